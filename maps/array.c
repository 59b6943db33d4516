/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY, and what every
 * array-indexed map shares (attribute checks, get_next_key, pointer slots).
 *
 * Layout (documented for the JIT in maps/array.h, uebpf_array_base()):
 * one reservation, value i of CPU slot c at
 *	base + i * elem_size + c * percpu_stride,
 * elem_size = round_up8(value_size), percpu_stride = 0 for ARRAY and a
 * page-aligned region size for PERCPU_ARRAY.  Pages cost memory only once
 * written, so a 33,554,944-entry array is created at once.
 *
 * Elements always exist: update never inserts, delete is -EINVAL, values
 * start zeroed.  Programs get values in place; the host copies them word
 * by word (map_value_store/load) since programs may be writing.
 */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "array.h"

/* The kernel's PCPU_MIN_UNIT_SIZE: the largest per-CPU value. */
#define PCPU_VALUE_MAX (32 * 1024)

#define ARRAY_FLAGS                                                            \
	(BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_RDONLY | BPF_F_WRONLY |      \
	 BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG | BPF_F_INNER_MAP)

static const char *type_name(const struct uebpf_map *map)
{
	return uebpf_map_type_name(map->type);
}

int uebpf_array_check(struct uebpf_map *attr)
{
	bool percpu = attr->type == BPF_MAP_TYPE_PERCPU_ARRAY;
	uint32_t bad = attr->map_flags & ~ARRAY_FLAGS;

	if (attr->key_size != 4) {
		map_warn(attr, "key_size %u: %s keys are 4-byte indexes\n",
			 attr->key_size, type_name(attr));
		return -EINVAL;
	}
	if (!attr->value_size || !attr->max_entries) {
		map_warn(attr, "%s needs a non-zero value_size and max_entries (got %u and %u)\n",
			 type_name(attr), attr->value_size, attr->max_entries);
		return -EINVAL;
	}
	if (bad & BPF_F_NO_PREALLOC) {
		map_warn(attr, "BPF_F_NO_PREALLOC: %s elements always exist\n",
			 type_name(attr));
		return -EINVAL;
	}
	if (bad) {
		map_warn(attr, "map_flags 0x%x are not valid for %s\n", bad,
			 type_name(attr));
		return -EINVAL;
	}
	if (percpu && attr->map_flags & BPF_F_NUMA_NODE) {
		/* The kernel's percpu allocator has no node argument. */
		map_warn(attr, "BPF_F_NUMA_NODE is not valid for PERCPU_ARRAY\n");
		return -EINVAL;
	}
	if (attr->type != BPF_MAP_TYPE_ARRAY &&
	    attr->map_flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)) {
		map_warn(attr, "BPF_F_MMAPABLE and BPF_F_INNER_MAP are only for ARRAY, not %s\n",
			 type_name(attr));
		return -EINVAL;
	}
	if (attr->value_size > INT_MAX) {
		map_warn(attr, "value_size %u is larger than %d\n",
			 attr->value_size, INT_MAX);
		return -E2BIG;
	}
	if (percpu && round_up8(attr->value_size) > PCPU_VALUE_MAX) {
		map_warn(attr, "value_size %u: per-CPU values are at most %d bytes\n",
			 attr->value_size, PCPU_VALUE_MAX);
		return -E2BIG;
	}
	return 0;
}

int uebpf_array_get_next_key(struct uebpf_map *map, const void *key,
			     void *next_key)
{
	uint32_t i = UINT32_MAX, next;

	if (key)
		memcpy(&i, key, sizeof(i));
	if (i >= map->max_entries)
		next = 0;
	else if (i == map->max_entries - 1)
		return -ENOENT;
	else
		next = i + 1;
	memcpy(next_key, &next, sizeof(next));
	return 0;
}

/* ---- ARRAY, PERCPU_ARRAY ------------------------------------------------- */

static int array_alloc(const struct uebpf_map *attr, struct uebpf_map **out)
{
	unsigned int ncpu = map_is_percpu(attr) ? attr->rt->nr_cpus : 1;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t one, size;
	struct uebpf_array *a;
	int err;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->map = *attr;
	a->elem_size = round_up8(attr->value_size);
	one = (uint64_t)a->elem_size * attr->max_entries; /* < 2^63 */
	if (ncpu > 1)
		one = (one + page - 1) & ~(page - 1);
	if (__builtin_mul_overflow(one, (uint64_t)ncpu, &size) ||
	    size > UINT64_MAX - sizeof(*a)) {
		map_warn(attr, "%u x %u-byte values on %u CPU slots do not fit in 64 bits\n",
			 attr->max_entries, a->elem_size, ncpu);
		free(a);
		return -ENOMEM;
	}
	a->percpu_stride = map_is_percpu(attr) ? one : 0;
	err = uebpf_map_charge(&a->map, size + sizeof(*a));
	if (err) {
		free(a);
		return err;
	}
	a->base = uebpf_map_reserve(&a->map, size);
	if (!a->base) {
		uebpf_map_uncharge(&a->map, size + sizeof(*a));
		free(a);
		return -ENOMEM;
	}
	a->size = size;
	a->map.charged = size + sizeof(*a);
	*out = &a->map;
	return 0;
}

static void array_free(struct uebpf_map *map)
{
	struct uebpf_array *a = (struct uebpf_array *)map;

	uebpf_map_unreserve(a->base, a->size);
	uebpf_map_uncharge(map, map->charged);
	free(a);
}

static inline void *array_elem(const struct uebpf_array *a, uint32_t i,
			       unsigned int cpu)
{
	return a->base + (uint64_t)i * a->elem_size + cpu * a->percpu_stride;
}

static inline uint32_t key_index(const void *key)
{
	uint32_t i;

	memcpy(&i, key, sizeof(i));
	return i;
}

static void *array_lookup(struct uebpf_map *map, const void *key)
{
	uint32_t i = key_index(key);

	if (unlikely(i >= map->max_entries))
		return NULL;
	return array_elem((struct uebpf_array *)map, i, 0);
}

static void *percpu_array_lookup(struct uebpf_map *map, const void *key)
{
	uint32_t i = key_index(key);

	if (unlikely(i >= map->max_entries))
		return NULL;
	return array_elem((struct uebpf_array *)map, i, map_this_cpu(map));
}

/* Program side (and the host's update of ARRAY): one value, the calling
 * CPU slot's for PERCPU_ARRAY. */
static long array_update(struct uebpf_map *map, const void *key,
			 const void *value, uint64_t flags)
{
	struct uebpf_array *a = (struct uebpf_array *)map;
	uint32_t i = key_index(key);
	unsigned int cpu = a->percpu_stride ? map_this_cpu(map) : 0;

	if (unlikely((flags & ~(uint64_t)BPF_F_LOCK) > BPF_EXIST))
		return -EINVAL;
	if (unlikely(i >= map->max_entries))
		return -E2BIG; /* every element exists: nothing to insert */
	if (unlikely(flags & BPF_NOEXIST))
		return -EEXIST;
	if (unlikely(flags & BPF_F_LOCK))
		return -EINVAL; /* no bpf_spin_lock in values */
	map_value_store(array_elem(a, i, cpu), value, map->value_size);
	return 0;
}

static long array_delete(struct uebpf_map *map, const void *key)
{
	(void)map, (void)key;
	return -EINVAL;
}

/* Host side of PERCPU_ARRAY: nr_cpus values of elem_size bytes each. */
static int percpu_array_copy(struct uebpf_map *map, const void *key,
			     void *value)
{
	struct uebpf_array *a = (struct uebpf_array *)map;
	uint32_t i = key_index(key);
	unsigned int cpu;

	if (i >= map->max_entries)
		return -ENOENT;
	for (cpu = 0; cpu < map->rt->nr_cpus; cpu++)
		map_value_load((char *)value + (size_t)cpu * a->elem_size,
			       array_elem(a, i, cpu), a->elem_size);
	return 0;
}

static int percpu_array_update(struct uebpf_map *map, const void *key,
			       const void *value, uint64_t flags)
{
	struct uebpf_array *a = (struct uebpf_array *)map;
	uint32_t i = key_index(key);
	unsigned int cpu;

	if (flags > BPF_EXIST)
		return -EINVAL;
	if (i >= map->max_entries)
		return -E2BIG;
	if (flags == BPF_NOEXIST)
		return -EEXIST;
	for (cpu = 0; cpu < map->rt->nr_cpus; cpu++)
		map_value_store(array_elem(a, i, cpu),
				(const char *)value +
					(size_t)cpu * a->elem_size,
				a->elem_size);
	return 0;
}

/* Debug mode: value i of CPU slot c is [base + i * elem_size + c * stride,
 * + value_size); the padding up to elem_size belongs to no value. */
static bool array_value_contains(struct uebpf_map *map, uintptr_t addr,
				 size_t n)
{
	struct uebpf_array *a = (struct uebpf_array *)map;
	uint64_t off, in;

	if (addr < (uintptr_t)a->base || addr - (uintptr_t)a->base >= a->size)
		return false;
	off = addr - (uintptr_t)a->base;
	if (a->percpu_stride) {
		if (off / a->percpu_stride >= map->rt->nr_cpus)
			return false;
		off %= a->percpu_stride;
	}
	if (off / a->elem_size >= map->max_entries)
		return false;
	in = off % a->elem_size;
	return n <= map->value_size && in <= map->value_size - n;
}

const struct uebpf_map_ops uebpf_array_ops = {
	.check = uebpf_array_check,
	.alloc = array_alloc,
	.free = array_free,
	.lookup = array_lookup,
	.update = array_update,
	.delete = array_delete,
	.get_next_key = uebpf_array_get_next_key,
	.batch = true,
	.value_contains = array_value_contains,
};

const struct uebpf_map_ops uebpf_percpu_array_ops = {
	.check = uebpf_array_check,
	.alloc = array_alloc,
	.free = array_free,
	.lookup = percpu_array_lookup,
	.update = array_update,
	.delete = array_delete,
	.get_next_key = uebpf_array_get_next_key,
	.batch = true,
	.percpu_copy = percpu_array_copy,
	.percpu_update = percpu_array_update,
	.value_contains = array_value_contains,
};

/* ---- pointer slots: PROG_ARRAY, ARRAY_OF_MAPS, redirect maps ------------- */

int uebpf_fd_array_check(struct uebpf_map *attr)
{
	if (attr->value_size != sizeof(uint32_t)) {
		map_warn(attr, "value_size %u: %s values are 4-byte ids\n",
			 attr->value_size, type_name(attr));
		return -EINVAL;
	}
	if (attr->map_flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) {
		map_warn(attr, "BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG are not valid for %s\n",
			 type_name(attr));
		return -EINVAL;
	}
	return uebpf_array_check(attr);
}

int uebpf_fd_array_alloc(const struct uebpf_map *attr, size_t struct_size,
			 struct uebpf_map **out)
{
	uint64_t size = (uint64_t)attr->max_entries * sizeof(void *);
	struct uebpf_fd_array *a;
	int err;

	a = calloc(1, struct_size);
	if (!a)
		return -ENOMEM;
	a->map = *attr;
	atomic_init(&a->used, 0);
	atomic_init(&a->owner, -1);
	err = uebpf_map_charge(&a->map, size + struct_size);
	if (err) {
		free(a);
		return err;
	}
	a->slots = uebpf_map_reserve(&a->map, size);
	if (!a->slots) {
		uebpf_map_uncharge(&a->map, size + struct_size);
		free(a);
		return -ENOMEM;
	}
	a->size = size;
	a->map.charged = size + struct_size;
	*out = &a->map;
	return 0;
}

void uebpf_fd_array_free(struct uebpf_map *map, void (*put)(void *))
{
	struct uebpf_fd_array *a = (struct uebpf_fd_array *)map;
	uint32_t i, used = atomic_load(&a->used);
	void *p;

	/* No reader is left; only the slots ever used are scanned, so a
	 * huge, sparsely used map is freed without touching its pages. */
	for (i = 0; i < used; i++) {
		p = atomic_load_explicit(&a->slots[i], memory_order_relaxed);
		if (p)
			put(p);
	}
	uebpf_map_unreserve(a->slots, a->size);
	uebpf_map_uncharge(map, map->charged);
	free(a);
}

void *uebpf_fd_array_xchg(struct uebpf_map *map, uint32_t index, void *obj)
{
	struct uebpf_fd_array *a = (struct uebpf_fd_array *)map;
	unsigned int used = atomic_load(&a->used);

	while (obj && used <= index &&
	       !atomic_compare_exchange_weak(&a->used, &used, index + 1))
		;
	return atomic_exchange_explicit(&a->slots[index], obj,
					memory_order_acq_rel);
}

int uebpf_fd_array_update(struct uebpf_map *map, const void *key, uint32_t id,
			  uint64_t flags,
			  const struct uebpf_fd_array_objs *objs)
{
	uint32_t i = key_index(key);
	void *obj, *old;
	int err;

	if (flags != BPF_ANY)
		return -EINVAL;
	if (i >= map->max_entries)
		return -E2BIG;
	obj = objs->get_by_id(map->rt, id);
	if (!obj) {
		/* The kernel's answer to a closed fd. */
		map_warn(map, "no %s has id %u\n", objs->what, id);
		return -EBADF;
	}
	err = objs->fits(map, obj);
	if (err) {
		objs->put(obj);
		return err;
	}
	old = uebpf_fd_array_xchg(map, i, obj);
	if (old)
		objs->put(old);
	return 0;
}

int uebpf_fd_array_lookup_id(struct uebpf_map *map, const void *key,
			     uint32_t *id,
			     const struct uebpf_fd_array_objs *objs)
{
	void *obj = uebpf_fd_array_get(map, key_index(key));
	uint32_t obj_id;

	if (!obj)
		return -ENOENT;
	obj_id = objs->id(obj);
	memcpy(id, &obj_id, sizeof(*id)); /* the host's buffer */
	return 0;
}

long uebpf_fd_array_delete(struct uebpf_map *map, const void *key,
			   const struct uebpf_fd_array_objs *objs)
{
	uint32_t i = key_index(key);
	void *old;

	if (i >= map->max_entries)
		return -E2BIG;
	old = uebpf_fd_array_xchg(map, i, NULL);
	if (!old)
		return -ENOENT;
	objs->put(old);
	return 0;
}
