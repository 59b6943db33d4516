/* SPDX-License-Identifier: MIT */
/*
 * What every map shares: creation and its checks, ids and references,
 * memory accounting, and the host-side calls, which check flags and
 * permissions as the kernel's syscall layer does and then call the family.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "map.h"

#define MAP_TYPE_NAME(x) [BPF_MAP_TYPE_##x] = #x
static const char *const map_type_names[] = {
	MAP_TYPE_NAME(UNSPEC),
	MAP_TYPE_NAME(HASH),
	MAP_TYPE_NAME(ARRAY),
	MAP_TYPE_NAME(PROG_ARRAY),
	MAP_TYPE_NAME(PERF_EVENT_ARRAY),
	MAP_TYPE_NAME(PERCPU_HASH),
	MAP_TYPE_NAME(PERCPU_ARRAY),
	MAP_TYPE_NAME(STACK_TRACE),
	MAP_TYPE_NAME(CGROUP_ARRAY),
	MAP_TYPE_NAME(LRU_HASH),
	MAP_TYPE_NAME(LRU_PERCPU_HASH),
	MAP_TYPE_NAME(LPM_TRIE),
	MAP_TYPE_NAME(ARRAY_OF_MAPS),
	MAP_TYPE_NAME(HASH_OF_MAPS),
	MAP_TYPE_NAME(DEVMAP),
	MAP_TYPE_NAME(SOCKMAP),
	MAP_TYPE_NAME(CPUMAP),
	MAP_TYPE_NAME(XSKMAP),
	MAP_TYPE_NAME(SOCKHASH),
	MAP_TYPE_NAME(CGROUP_STORAGE),
	MAP_TYPE_NAME(REUSEPORT_SOCKARRAY),
	MAP_TYPE_NAME(PERCPU_CGROUP_STORAGE),
	MAP_TYPE_NAME(QUEUE),
	MAP_TYPE_NAME(STACK),
	MAP_TYPE_NAME(SK_STORAGE),
	MAP_TYPE_NAME(DEVMAP_HASH),
	MAP_TYPE_NAME(STRUCT_OPS),
	MAP_TYPE_NAME(RINGBUF),
	MAP_TYPE_NAME(INODE_STORAGE),
	MAP_TYPE_NAME(TASK_STORAGE),
	MAP_TYPE_NAME(BLOOM_FILTER),
	MAP_TYPE_NAME(USER_RINGBUF),
};
#undef MAP_TYPE_NAME

const char *uebpf_map_type_name(enum bpf_map_type type)
{
	if ((size_t)type < ARRAY_SIZE(map_type_names) && map_type_names[type])
		return map_type_names[type];
	return NULL;
}

/* A type with no entry is refused at creation, by name. */
#define OPS(type, ops) [BPF_MAP_TYPE_##type] = &ops
static const struct uebpf_map_ops *const map_ops[] = {
	[BPF_MAP_TYPE_UNSPEC] = NULL,
	OPS(ARRAY, uebpf_array_ops),
	OPS(PERCPU_ARRAY, uebpf_percpu_array_ops),
	OPS(HASH, uebpf_hash_ops),
	OPS(PERCPU_HASH, uebpf_percpu_hash_ops),
	OPS(LRU_HASH, uebpf_lru_hash_ops),
	OPS(LRU_PERCPU_HASH, uebpf_lru_percpu_hash_ops),
	OPS(ARRAY_OF_MAPS, uebpf_array_of_maps_ops),
	OPS(HASH_OF_MAPS, uebpf_hash_of_maps_ops),
	OPS(PROG_ARRAY, uebpf_prog_array_ops),
	OPS(DEVMAP, uebpf_devmap_ops),
	OPS(DEVMAP_HASH, uebpf_devmap_hash_ops),
	OPS(XSKMAP, uebpf_xskmap_ops),
	OPS(CPUMAP, uebpf_cpumap_ops),
	OPS(LPM_TRIE, uebpf_lpm_trie_ops),
	OPS(RINGBUF, uebpf_ringbuf_ops),
	OPS(PERF_EVENT_ARRAY, uebpf_perf_event_array_ops),
	OPS(QUEUE, uebpf_queue_ops),
	OPS(STACK, uebpf_stack_ops),
};
#undef OPS

const struct uebpf_map_ops *uebpf_map_ops_for(enum bpf_map_type type)
{
	if ((size_t)type < ARRAY_SIZE(map_ops))
		return map_ops[type];
	return NULL;
}

/* ---- memory ------------------------------------------------------------ */

int uebpf_map_charge(struct uebpf_map *map, uint64_t bytes)
{
	struct uebpf_runtime *rt = map->rt;
	uint64_t used;

	used = atomic_fetch_add(&rt->mem_used, bytes) + bytes;
	if (rt->mem_limit && used > rt->mem_limit) {
		/* Freed maps and elements give their bytes back only after
		 * a grace period: reclaim what can be, then look again. */
		atomic_fetch_sub(&rt->mem_used, bytes);
		uebpf_epoch_reclaim(&rt->epoch);
		used = atomic_fetch_add(&rt->mem_used, bytes) + bytes;
		if (used <= rt->mem_limit)
			return 0;
		atomic_fetch_sub(&rt->mem_used, bytes);
		map_warn(map, "needs %llu more bytes, over the runtime's mem_limit of %llu (%llu in use)\n",
			 (unsigned long long)bytes,
			 (unsigned long long)rt->mem_limit,
			 (unsigned long long)(used - bytes));
		return -ENOMEM;
	}
	return 0;
}

void uebpf_map_uncharge(struct uebpf_map *map, uint64_t bytes)
{
	atomic_fetch_sub(&map->rt->mem_used, bytes);
}

void *uebpf_map_reserve(struct uebpf_map *map, uint64_t bytes)
{
	void *p;

	if (!bytes)
		bytes = 1;
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		map_warn(map, "cannot reserve %llu bytes: %s\n",
			 (unsigned long long)bytes, strerror(errno));
		return NULL;
	}
	return p;
}

void uebpf_map_unreserve(void *p, uint64_t bytes)
{
	if (p)
		munmap(p, bytes ? bytes : 1);
}

/* ---- creation, ids, references ------------------------------------------ */

#define KNOWN_MAP_FLAGS                                                        \
	(BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE |           \
	 BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_ZERO_SEED | BPF_F_RDONLY_PROG |   \
	 BPF_F_WRONLY_PROG | BPF_F_MMAPABLE | BPF_F_INNER_MAP |               \
	 BPF_F_PRESERVE_ELEMS)

struct uebpf_map *uebpf_map_create(struct uebpf_runtime *rt,
				   enum bpf_map_type type, const char *name,
				   uint32_t key_size, uint32_t value_size,
				   uint32_t max_entries,
				   const struct uebpf_map_create_opts *opts)
{
	const struct uebpf_map_ops *ops;
	struct uebpf_map tmpl = { 0 }, *map = NULL;
	struct uebpf_map *inner;
	const char *tn = uebpf_map_type_name(type);
	size_t i;
	int err;

	if (!rt) {
		errno = EINVAL;
		return NULL;
	}
	if (!OPTS_VALID(rt, opts, uebpf_map_create_opts, numa_node)) {
		errno = EINVAL;
		return NULL;
	}
	/* A scratch map so the checks can log with the name. */
	tmpl.rt = rt;
	tmpl.type = type;
	tmpl.key_size = key_size;
	tmpl.value_size = value_size;
	tmpl.max_entries = max_entries;
	tmpl.map_flags = OPTS_GET(opts, map_flags, 0);
	tmpl.map_extra = OPTS_GET(opts, map_extra, 0);
	inner = OPTS_GET(opts, inner_map, NULL);
	for (i = 0; name && name[i] && i < sizeof(tmpl.name) - 1; i++) {
		/* The kernel's bpf_obj_name_cpy(): alnum, '_' and '.' only. */
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.')) {
			pr_warn(rt, "map name '%s': character '%c' is not allowed (letters, digits, '_' and '.')\n",
				name, c);
			errno = EINVAL;
			return NULL;
		}
		tmpl.name[i] = c;
	}

	ops = uebpf_map_ops_for(type);
	if (!ops) {
		map_warn(&tmpl, "map type %s (%d) is not supported by libuebpf\n",
			 tn ? tn : "unknown", type);
		errno = tn && type != BPF_MAP_TYPE_UNSPEC ? EOPNOTSUPP : EINVAL;
		return NULL;
	}
	if (tmpl.map_flags & ~KNOWN_MAP_FLAGS) {
		map_warn(&tmpl, "unknown map_flags 0x%x\n",
			 tmpl.map_flags & ~KNOWN_MAP_FLAGS);
		errno = EINVAL;
		return NULL;
	}
	if ((tmpl.map_flags & BPF_F_RDONLY && tmpl.map_flags & BPF_F_WRONLY) ||
	    (tmpl.map_flags & BPF_F_RDONLY_PROG &&
	     tmpl.map_flags & BPF_F_WRONLY_PROG)) {
		map_warn(&tmpl, "map_flags ask for read-only and write-only at once\n");
		errno = EINVAL;
		return NULL;
	}
	if (tmpl.map_extra) {
		/* Only bloom filters (not supported) give it a meaning. */
		map_warn(&tmpl, "map_extra must be 0 for %s\n", tn);
		errno = EINVAL;
		return NULL;
	}
	if (inner && type != BPF_MAP_TYPE_ARRAY_OF_MAPS &&
	    type != BPF_MAP_TYPE_HASH_OF_MAPS) {
		map_warn(&tmpl, "inner_map is only for ARRAY_OF_MAPS and HASH_OF_MAPS\n");
		errno = EINVAL;
		return NULL;
	}

	tmpl.ops = ops;
	err = ops->check(&tmpl);
	if (err) {
		errno = -err;
		return NULL;
	}
	if (inner) {
		if (inner->inner_map) {
			map_warn(&tmpl, "inner_map '%s' is itself a map-in-map: only one level of nesting is supported\n",
				 inner->name);
			errno = EINVAL;
			return NULL;
		}
		if (inner->type == BPF_MAP_TYPE_PROG_ARRAY) {
			map_warn(&tmpl, "inner_map '%s' is a PROG_ARRAY, which cannot be a map-in-map value\n",
				 inner->name);
			errno = ENOTSUPP_ERRNO;
			return NULL;
		}
		tmpl.inner_map = uebpf_map_ref(inner);
	}
	err = ops->alloc(&tmpl, &map);
	if (err)
		goto fail;
	/* The family copied tmpl; from here on map owns inner_map. */
	tmpl.inner_map = NULL;
	atomic_init(&map->refcnt, 1);
	atomic_init(&map->usercnt, 1);
	atomic_init(&map->frozen, false);
	err = uebpf_idr_alloc(&rt->map_ids, map, &map->id);
	if (err) {
		uebpf_map_unref(map->inner_map);
		map->ops->free(map);
		map = NULL;
		goto fail;
	}
	pr_debug(rt, "map '%s': created %s, key %u, value %u, max_entries %u, flags 0x%x, id %u\n",
		 map->name, tn, key_size, value_size, max_entries,
		 map->map_flags, map->id);
	return map;
fail:
	if (tmpl.inner_map)
		uebpf_map_unref(tmpl.inner_map);
	errno = -err;
	return NULL;
}

struct uebpf_map *uebpf_map_ref(struct uebpf_map *map)
{
	if (map)
		atomic_fetch_add(&map->refcnt, 1);
	return map;
}

struct uebpf_map *uebpf_map_get(struct uebpf_map *map)
{
	if (map) {
		atomic_fetch_add(&map->usercnt, 1);
		atomic_fetch_add(&map->refcnt, 1);
	}
	return map;
}

struct uebpf_map *uebpf_map_get_by_id_internal(struct uebpf_runtime *rt,
					       uint32_t id)
{
	struct uebpf_map *map = NULL;
	int n;

	pthread_mutex_lock(&rt->map_ids.lock);
	if (id && id <= rt->map_ids.nr && (map = rt->map_ids.slots[id - 1])) {
		n = atomic_load(&map->refcnt);
		do {
			if (!n) {
				map = NULL;
				break;
			}
		} while (!atomic_compare_exchange_weak(&map->refcnt, &n, n + 1));
	}
	pthread_mutex_unlock(&rt->map_ids.lock);
	return map;
}

struct uebpf_map *uebpf_map_get_by_id(struct uebpf_runtime *rt, uint32_t id)
{
	struct uebpf_map *map;

	if (!rt) {
		errno = EINVAL;
		return NULL;
	}
	map = uebpf_map_get_by_id_internal(rt, id);
	if (!map)
		errno = ENOENT;
	else
		atomic_fetch_add(&map->usercnt, 1);
	return map;
}

static void map_destroy(void *p)
{
	struct uebpf_map *map = p;
	struct uebpf_map *inner = map->inner_map;

	map->ops->free(map);
	uebpf_map_unref(inner);
}

void uebpf_map_put(struct uebpf_map *map)
{
	if (!map)
		return;
	if (atomic_fetch_sub(&map->usercnt, 1) == 1 && map->ops->release_uref)
		map->ops->release_uref(map);
	uebpf_map_unref(map);
}

void uebpf_map_unref(struct uebpf_map *map)
{
	if (!map || atomic_fetch_sub(&map->refcnt, 1) != 1)
		return;
	uebpf_idr_remove(&map->rt->map_ids, map->id);
	/* A program may still hold a pointer into it (an inner map just
	 * replaced in its outer map, say): free after a grace period. */
	uebpf_epoch_retire(&map->rt->epoch, map, map_destroy);
}

/* ---- getters --------------------------------------------------------------- */

const char *uebpf_map_name(const struct uebpf_map *map)
{
	return map ? map->name : NULL;
}

enum bpf_map_type uebpf_map_type(const struct uebpf_map *map)
{
	return map ? map->type : BPF_MAP_TYPE_UNSPEC;
}

uint32_t uebpf_map_key_size(const struct uebpf_map *map)
{
	return map ? map->key_size : 0;
}

uint32_t uebpf_map_value_size(const struct uebpf_map *map)
{
	return map ? map->value_size : 0;
}

uint32_t uebpf_map_max_entries(const struct uebpf_map *map)
{
	return map ? map->max_entries : 0;
}

uint32_t uebpf_map_flags(const struct uebpf_map *map)
{
	return map ? map->map_flags : 0;
}

uint32_t uebpf_map_id(const struct uebpf_map *map)
{
	return map ? map->id : 0;
}

/* ---- host-side element calls --------------------------------------------- */

static bool is_obj_map(const struct uebpf_map *map)
{
	return map->ops->obj_update != NULL;
}

static bool is_queue_stack(const struct uebpf_map *map)
{
	return map->type == BPF_MAP_TYPE_QUEUE ||
	       map->type == BPF_MAP_TYPE_STACK;
}

/* Value bytes the host passes for one element. */
static size_t host_value_size(const struct uebpf_map *map)
{
	if (map_is_percpu(map))
		return (size_t)round_up8(map->value_size) * map->rt->nr_cpus;
	if (is_obj_map(map))
		return sizeof(uint32_t);
	return map->value_size;
}

/* Peek or pop for the host: through a scratch buffer, so that a failure
 * leaves the caller's buffer as it was (the program-side ops zero it). */
static int queue_stack_take(struct uebpf_map *map, void *value, bool pop)
{
	struct uebpf_epoch_rec *rec;
	void *tmp = malloc(map->value_size);
	int err;

	if (!tmp)
		return -ENOMEM;
	rec = uebpf_epoch_enter(&map->rt->epoch);
	err = (int)(pop ? map->ops->pop(map, tmp) : map->ops->peek(map, tmp));
	uebpf_epoch_exit(rec);
	if (!err)
		memcpy(value, tmp, map->value_size);
	free(tmp);
	return err;
}

int uebpf_map_lookup_elem_flags(struct uebpf_map *map, const void *key,
				void *value, uint64_t flags)
{
	struct uebpf_epoch_rec *rec;
	void *v;
	int err = 0;

	if (!map || !value || (!key && map->key_size))
		return -EINVAL;
	if (map->map_flags & BPF_F_WRONLY)
		return -EPERM;
	if (flags & ~(uint64_t)BPF_F_LOCK)
		return -EINVAL;
	if (flags & BPF_F_LOCK)
		return -EINVAL; /* no bpf_spin_lock in values yet */
	if (is_queue_stack(map))
		return queue_stack_take(map, value, false);
	rec = uebpf_epoch_enter(&map->rt->epoch);
	if (map_is_percpu(map)) {
		err = map->ops->percpu_copy(map, key, value);
	} else if (is_obj_map(map)) {
		err = map->ops->obj_lookup_id(map, key, value);
	} else if (!map->ops->lookup) {
		err = -ENOTSUPP_ERRNO;
	} else {
		v = map->ops->sys_lookup ? map->ops->sys_lookup(map, key) :
					   map->ops->lookup(map, key);
		if (v)
			map_value_load(value, v, map->value_size);
		else
			err = -ENOENT;
	}
	uebpf_epoch_exit(rec);
	return err;
}

int uebpf_map_lookup_elem(struct uebpf_map *map, const void *key, void *value)
{
	return uebpf_map_lookup_elem_flags(map, key, value, 0);
}

int uebpf_map_update_elem(struct uebpf_map *map, const void *key,
			  const void *value, uint64_t flags)
{
	struct uebpf_epoch_rec *rec;
	int err;

	if (!map || (!key && map->key_size) || !value)
		return -EINVAL;
	if (map->map_flags & BPF_F_RDONLY || atomic_load(&map->frozen))
		return -EPERM;
	if (is_queue_stack(map))
		return (int)map->ops->push(map, value, flags);
	err = map_check_update_flags(flags);
	if (err)
		return err;
	rec = uebpf_epoch_enter(&map->rt->epoch);
	if (map_is_percpu(map))
		err = map->ops->percpu_update(map, key, value, flags);
	else if (is_obj_map(map))
		err = map->ops->obj_update(map, key, *(const uint32_t *)value,
					   flags);
	else if (!map->ops->update)
		err = -ENOTSUPP_ERRNO;
	else
		err = (int)map->ops->update(map, key, value, flags);
	uebpf_epoch_exit(rec);
	return err;
}

int uebpf_map_delete_elem(struct uebpf_map *map, const void *key)
{
	struct uebpf_epoch_rec *rec;
	int err;

	if (!map || (!key && map->key_size))
		return -EINVAL;
	if (map->map_flags & BPF_F_RDONLY || atomic_load(&map->frozen))
		return -EPERM;
	if (!map->ops->delete)
		return -EINVAL;
	rec = uebpf_epoch_enter(&map->rt->epoch);
	err = (int)map->ops->delete(map, key);
	uebpf_epoch_exit(rec);
	return err;
}

int uebpf_map_get_next_key(struct uebpf_map *map, const void *key,
			   void *next_key)
{
	struct uebpf_epoch_rec *rec;
	int err;

	if (!map || !next_key)
		return -EINVAL;
	if (map->map_flags & BPF_F_WRONLY)
		return -EPERM;
	if (!map->ops->get_next_key)
		return -ENOTSUPP_ERRNO;
	rec = uebpf_epoch_enter(&map->rt->epoch);
	err = map->ops->get_next_key(map, key, next_key);
	uebpf_epoch_exit(rec);
	return err;
}

int uebpf_map_lookup_and_delete_elem(struct uebpf_map *map, const void *key,
				     void *value)
{
	struct uebpf_epoch_rec *rec;
	int err;

	if (!map || !value)
		return -EINVAL;
	if (map->map_flags & (BPF_F_RDONLY | BPF_F_WRONLY) ||
	    atomic_load(&map->frozen))
		return -EPERM;
	if (is_queue_stack(map))
		return queue_stack_take(map, value, true);
	if (!key && map->key_size)
		return -EINVAL;
	if (!map->ops->lookup_and_delete)
		return -ENOTSUPP_ERRNO;
	rec = uebpf_epoch_enter(&map->rt->epoch);
	err = map->ops->lookup_and_delete(map, key, value, 0);
	uebpf_epoch_exit(rec);
	return err;
}

int uebpf_map_freeze(struct uebpf_map *map)
{
	bool was = false;

	if (!map)
		return -EINVAL;
	if (map->type == BPF_MAP_TYPE_STRUCT_OPS)
		return -ENOTSUPP_ERRNO;
	/* Freezing takes write permission, which a read-only or an already
	 * frozen map no longer grants (the kernel's map_get_sys_perms). */
	if (map->map_flags & BPF_F_RDONLY)
		return -EPERM;
	if (!atomic_compare_exchange_strong(&map->frozen, &was, true))
		return -EPERM;
	return 0;
}

/* ---- batches ---------------------------------------------------------------
 * Built on get_next_key, as the kernel's generic_map_*_batch: the position
 * token (in_batch/out_batch) is a key, key_size bytes.
 */

static bool is_hash_family(const struct uebpf_map *map)
{
	return map->type == BPF_MAP_TYPE_HASH ||
	       map->type == BPF_MAP_TYPE_PERCPU_HASH ||
	       map->type == BPF_MAP_TYPE_LRU_HASH ||
	       map->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* Checks made before *count is touched, as the kernel makes them. */
static int batch_check(struct uebpf_map *map, uint32_t *count,
		       const struct uebpf_map_batch_opts *opts)
{
	if (!map || !count)
		return -EINVAL;
	if (!map->ops->batch)
		return -ENOTSUPP_ERRNO;
	if (!OPTS_VALID(map->rt, opts, uebpf_map_batch_opts, flags))
		return -EINVAL;
	/* Only the hash tables' batch code looks at (and refuses) flags. */
	if (OPTS_GET(opts, flags, 0) && is_hash_family(map))
		return -EINVAL;
	if (OPTS_GET(opts, elem_flags, 0) & ~(uint64_t)BPF_F_LOCK)
		return -EINVAL;
	if (OPTS_GET(opts, elem_flags, 0) & BPF_F_LOCK)
		return -EINVAL; /* no bpf_spin_lock in values yet */
	return 0;
}

static int lookup_batch(struct uebpf_map *map, void *in_batch, void *out_batch,
			void *keys, void *values, uint32_t *count,
			const struct uebpf_map_batch_opts *opts, bool delete)
{
	size_t vsz, ksz;
	uint32_t want, n = 0;
	uint8_t *cur = NULL, *next = NULL;
	int err;

	err = batch_check(map, count, opts);
	if (err)
		return err;
	if (!map->ops->batch)
		return -ENOTSUPP_ERRNO;
	if (map->map_flags & BPF_F_WRONLY)
		return -EPERM;
	want = *count;
	*count = 0;
	if (!want)
		return 0;
	if (!keys || !values || !out_batch)
		return -EINVAL;
	vsz = host_value_size(map);
	ksz = map->key_size;
	cur = malloc(ksz ? ksz : 1);
	next = malloc(ksz ? ksz : 1);
	if (!cur || !next) {
		err = -ENOMEM;
		goto out;
	}
	/* The kernel's order: an exactly filled batch returns 0, and only
	 * running out of keys (possibly on the next call) says -ENOENT. */
	err = 0;
	while (n < want) {
		err = uebpf_map_get_next_key(map, n ? cur : in_batch, next);
		if (err)
			break;
		err = uebpf_map_lookup_elem_flags(map, next,
						  (uint8_t *)values + n * vsz,
						  OPTS_GET(opts, elem_flags, 0));
		if (err == -ENOENT) {
			/* An empty slot (map-in-map) or an element deleted
			 * meanwhile: skip it, as the kernel's generic batch
			 * does (checked against kernel 6.18). */
			memcpy(cur, next, ksz);
			if (!n)
				in_batch = cur;
			continue;
		}
		if (err)
			break;
		memcpy((uint8_t *)keys + n * ksz, next, ksz);
		memcpy(cur, next, ksz);
		n++;
		if (delete)
			uebpf_map_delete_elem(map, cur);
	}
	*count = n;
	if (n)
		memcpy(out_batch, cur, ksz);
out:
	free(cur);
	free(next);
	return err;
}

int uebpf_map_lookup_batch(struct uebpf_map *map, void *in_batch,
			   void *out_batch, void *keys, void *values,
			   uint32_t *count,
			   const struct uebpf_map_batch_opts *opts)
{
	return lookup_batch(map, in_batch, out_batch, keys, values, count, opts,
			    false);
}

int uebpf_map_lookup_and_delete_batch(struct uebpf_map *map, void *in_batch,
				      void *out_batch, void *keys,
				      void *values, uint32_t *count,
				      const struct uebpf_map_batch_opts *opts)
{
	if (map && (map->type == BPF_MAP_TYPE_ARRAY ||
		    map->type == BPF_MAP_TYPE_PERCPU_ARRAY))
		return -ENOTSUPP_ERRNO;
	if (map && (map->map_flags & BPF_F_RDONLY || atomic_load(&map->frozen)))
		return -EPERM;
	return lookup_batch(map, in_batch, out_batch, keys, values, count, opts,
			    true);
}

int uebpf_map_update_batch(struct uebpf_map *map, const void *keys,
			   const void *values, uint32_t *count,
			   const struct uebpf_map_batch_opts *opts)
{
	uint32_t i, want;
	size_t vsz;
	int err;

	err = batch_check(map, count, opts);
	if (err)
		return err;
	want = *count;
	*count = 0;
	if (want && (!keys || !values))
		return -EINVAL;
	vsz = host_value_size(map);
	for (i = 0; i < want; i++) {
		err = uebpf_map_update_elem(map,
					    (const uint8_t *)keys +
						    (size_t)i * map->key_size,
					    (const uint8_t *)values + i * vsz,
					    OPTS_GET(opts, elem_flags, 0));
		if (err)
			break;
		*count = i + 1;
	}
	return err;
}

int uebpf_map_delete_batch(struct uebpf_map *map, const void *keys,
			   uint32_t *count,
			   const struct uebpf_map_batch_opts *opts)
{
	uint32_t i, want;
	int err;

	err = batch_check(map, count, opts);
	if (err)
		return err;
	if (map->type == BPF_MAP_TYPE_ARRAY ||
	    map->type == BPF_MAP_TYPE_PERCPU_ARRAY)
		return -ENOTSUPP_ERRNO;
	want = *count;
	*count = 0;
	if (want && !keys)
		return -EINVAL;
	for (i = 0; i < want; i++) {
		err = uebpf_map_delete_elem(map, (const uint8_t *)keys +
							 (size_t)i *
								 map->key_size);
		if (err)
			break;
		*count = i + 1;
	}
	return err;
}
