/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK: a ring of max_entries + 1
 * value slots under one lock.  Values are pushed at head; a queue pops the
 * oldest (tail), a stack the newest (head - 1).  One slot always stays
 * free so that head == tail means empty.  A push with BPF_EXIST on a full
 * map drops the oldest value, for both types, as the kernel does.
 *
 * No key: the host's update pushes, lookup peeks, lookup_and_delete pops
 * (maps/map.c routes them); element lookup/update/delete/get_next_key
 * fail as the kernel's do.
 */
#include <stdlib.h>

#include "map.h"

/* The kernel's KMALLOC_MAX_SIZE on x86-64: larger values could not be
 * copied to user space. */
#define QS_VALUE_SIZE_MAX (4u << 20)

#define QS_CREATE_FLAGS                                                      \
	(BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | \
	 BPF_F_WRONLY_PROG)

struct queue_stack {
	struct uebpf_map map;
	pthread_mutex_t lock;
	uint32_t head, tail; /* under lock */
	uint32_t size;	     /* max_entries + 1 */
	uint8_t *elems;
	uint64_t bytes;
};

static inline struct queue_stack *to_qs(struct uebpf_map *map)
{
	return (struct queue_stack *)map;
}

static inline uint8_t *slot(struct queue_stack *qs, uint32_t i)
{
	return qs->elems + (size_t)i * qs->map.value_size;
}

static inline uint32_t next(const struct queue_stack *qs, uint32_t i)
{
	return i + 1 >= qs->size ? 0 : i + 1;
}

static long qs_push(struct uebpf_map *map, const void *value, uint64_t flags)
{
	struct queue_stack *qs = to_qs(map);

	/* BPF_EXIST makes room by dropping the oldest; nothing else goes. */
	if (flags & BPF_NOEXIST || flags > BPF_EXIST)
		return -EINVAL;
	pthread_mutex_lock(&qs->lock);
	if (next(qs, qs->head) == qs->tail) {
		if (!(flags & BPF_EXIST)) {
			pthread_mutex_unlock(&qs->lock);
			return -E2BIG;
		}
		qs->tail = next(qs, qs->tail);
	}
	memcpy(slot(qs, qs->head), value, map->value_size);
	qs->head = next(qs, qs->head);
	pthread_mutex_unlock(&qs->lock);
	return 0;
}

/* Queue: the oldest value, at tail. */
static long queue_get(struct uebpf_map *map, void *value, bool pop)
{
	struct queue_stack *qs = to_qs(map);

	pthread_mutex_lock(&qs->lock);
	if (qs->head == qs->tail) {
		pthread_mutex_unlock(&qs->lock);
		/* The program's buffer is defined after the call. */
		memset(value, 0, map->value_size);
		return -ENOENT;
	}
	memcpy(value, slot(qs, qs->tail), map->value_size);
	if (pop)
		qs->tail = next(qs, qs->tail);
	pthread_mutex_unlock(&qs->lock);
	return 0;
}

/* Stack: the newest value, just below head. */
static long stack_get(struct uebpf_map *map, void *value, bool pop)
{
	struct queue_stack *qs = to_qs(map);
	uint32_t top;

	pthread_mutex_lock(&qs->lock);
	if (qs->head == qs->tail) {
		pthread_mutex_unlock(&qs->lock);
		memset(value, 0, map->value_size);
		return -ENOENT;
	}
	top = qs->head ? qs->head - 1 : qs->size - 1;
	memcpy(value, slot(qs, top), map->value_size);
	if (pop)
		qs->head = top;
	pthread_mutex_unlock(&qs->lock);
	return 0;
}

static long queue_pop(struct uebpf_map *map, void *value)
{
	return queue_get(map, value, true);
}

static long queue_peek(struct uebpf_map *map, void *value)
{
	return queue_get(map, value, false);
}

static long stack_pop(struct uebpf_map *map, void *value)
{
	return stack_get(map, value, true);
}

static long stack_peek(struct uebpf_map *map, void *value)
{
	return stack_get(map, value, false);
}

/* The element calls the kernel keeps for these types, and their answers. */
static void *qs_lookup(struct uebpf_map *map, const void *key)
{
	(void)map;
	(void)key;
	return NULL;
}

static long qs_update(struct uebpf_map *map, const void *key, const void *value,
		      uint64_t flags)
{
	(void)map;
	(void)key;
	(void)value;
	(void)flags;
	return -EINVAL;
}

static long qs_delete(struct uebpf_map *map, const void *key)
{
	(void)map;
	(void)key;
	return -EINVAL;
}

static int qs_get_next_key(struct uebpf_map *map, const void *key,
			   void *next_key)
{
	(void)map;
	(void)key;
	(void)next_key;
	return -EINVAL;
}

static int qs_check(struct uebpf_map *attr)
{
	const char *tn = uebpf_map_type_name(attr->type);

	if (!attr->max_entries || attr->key_size || !attr->value_size) {
		map_warn(attr, "%s needs key_size 0, value_size > 0 and max_entries > 0 (got %u, %u, %u)\n",
			 tn, attr->key_size, attr->value_size,
			 attr->max_entries);
		return -EINVAL;
	}
	if (attr->map_flags & ~QS_CREATE_FLAGS) {
		map_warn(attr, "map_flags 0x%x are not allowed for %s\n",
			 attr->map_flags & ~QS_CREATE_FLAGS, tn);
		return -EINVAL;
	}
	if (attr->value_size > QS_VALUE_SIZE_MAX) {
		map_warn(attr, "%s value_size %u is larger than %u\n", tn,
			 attr->value_size, QS_VALUE_SIZE_MAX);
		return -E2BIG;
	}
	return 0;
}

static int qs_alloc(const struct uebpf_map *attr, struct uebpf_map **out)
{
	struct queue_stack *qs;
	uint64_t bytes;
	int err;

	qs = calloc(1, sizeof(*qs));
	if (!qs)
		return -ENOMEM;
	qs->map = *attr;
	qs->size = attr->max_entries + 1; /* may wrap to 0 at UINT32_MAX */
	bytes = ((uint64_t)attr->max_entries + 1) * attr->value_size;
	if (qs->size == 0) {
		/* head/tail are u32, as the kernel's: it could not allocate
		 * this either. */
		map_warn(attr, "max_entries %u is too large for %s\n",
			 attr->max_entries, uebpf_map_type_name(attr->type));
		free(qs);
		return -ENOMEM;
	}
	err = uebpf_map_charge(&qs->map, bytes);
	if (err) {
		free(qs);
		return err;
	}
	/* Touched only as values are pushed. */
	qs->elems = uebpf_map_reserve(&qs->map, bytes);
	if (!qs->elems || pthread_mutex_init(&qs->lock, NULL)) {
		uebpf_map_unreserve(qs->elems, bytes);
		uebpf_map_uncharge(&qs->map, bytes);
		free(qs);
		return -ENOMEM;
	}
	qs->bytes = bytes;
	qs->map.charged = bytes;
	*out = &qs->map;
	return 0;
}

static void qs_free(struct uebpf_map *map)
{
	struct queue_stack *qs = to_qs(map);

	uebpf_map_unreserve(qs->elems, qs->bytes);
	uebpf_map_uncharge(map, qs->bytes);
	pthread_mutex_destroy(&qs->lock);
	free(qs);
}

const struct uebpf_map_ops uebpf_queue_ops = {
	.check = qs_check,
	.alloc = qs_alloc,
	.free = qs_free,
	.lookup = qs_lookup,
	.update = qs_update,
	.delete = qs_delete,
	.push = qs_push,
	.pop = queue_pop,
	.peek = queue_peek,
	.get_next_key = qs_get_next_key,
};

const struct uebpf_map_ops uebpf_stack_ops = {
	.check = qs_check,
	.alloc = qs_alloc,
	.free = qs_free,
	.lookup = qs_lookup,
	.update = qs_update,
	.delete = qs_delete,
	.push = qs_push,
	.pop = stack_pop,
	.peek = stack_peek,
	.get_next_key = qs_get_next_key,
};
