/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_TYPE_PERF_EVENT_ARRAY.  In the kernel each index holds a perf
 * event (usually one per CPU, opened by libbpf's perf_buffer) and
 * bpf_perf_event_output() writes a raw sample into it.  Here the host
 * installs one callback, uebpf_perf_event_array_set_callback(), that
 * stands for a perf event on every index: output hands it the index and
 * the sample.
 *
 * Host element calls keep the kernel's fd-array rules so that tools
 * iterating or clearing the map behave: update (BPF_ANY only) records the
 * u32 value the host passes where the kernel takes a perf event fd,
 * delete clears it (-ENOENT if unset), get_next_key walks indexes as an
 * array does, and lookup answers -ENOTSUPP as the kernel's does (it has
 * no map_fd_sys_lookup_elem for this type).  Recorded values do not gate
 * delivery: only the callback does.
 */
#include <stdlib.h>

#include "perf_event.h"

#define PE_CREATE_FLAGS \
	(BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_PRESERVE_ELEMS)
#define PE_SET (1ull << 32) /* slot holds a value */

struct pe_callback {
	uebpf_perf_event_fn fn;
	void *ctx;
};

struct perf_event_array {
	struct uebpf_map map;
	_Atomic(struct pe_callback *) cb;
	_Atomic uint64_t *slots; /* PE_SET | value, or 0 */
	uint64_t bytes;
};

static inline struct perf_event_array *to_pe(struct uebpf_map *map)
{
	return (struct perf_event_array *)map;
}

static inline uint32_t key_index(const void *key)
{
	uint32_t i;

	memcpy(&i, key, sizeof(i));
	return i;
}

int uebpf_perf_event_array_set_callback(struct uebpf_map *map,
					uebpf_perf_event_fn fn, void *ctx)
{
	struct pe_callback *cb = NULL, *old;
	struct perf_event_array *pe;

	if (!map || map->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return -EINVAL;
	pe = to_pe(map);
	if (fn) {
		cb = malloc(sizeof(*cb));
		if (!cb)
			return -ENOMEM;
		cb->fn = fn;
		cb->ctx = ctx;
	}
	old = atomic_exchange_explicit(&pe->cb, cb, memory_order_acq_rel);
	/* An output running now may still be calling the old one (with
	 * its ctx) until that program run ends: free it after that. */
	if (old)
		uebpf_epoch_retire(&map->rt->epoch, old, free);
	return 0;
}

long uebpf_perf_event_output(struct uebpf_map *map, uint64_t flags,
			     const void *data, uint64_t size)
{
	struct perf_event_array *pe = to_pe(map);
	uint64_t index = flags & BPF_F_INDEX_MASK;
	struct uebpf_epoch_rec *rec;
	struct pe_callback *cb;

	if (flags & ~(uint64_t)BPF_F_INDEX_MASK)
		return -EINVAL;
	if (index == BPF_F_CURRENT_CPU)
		index = map_this_cpu(map);
	if (index >= map->max_entries)
		return -E2BIG;
	if (size > UINT32_MAX) /* a perf raw sample's size is a u32 */
		return -E2BIG;
	rec = uebpf_epoch_enter(&map->rt->epoch);
	cb = atomic_load_explicit(&pe->cb, memory_order_acquire);
	if (cb)
		cb->fn(cb->ctx, (unsigned int)index, (void *)data,
		       (uint32_t)size);
	uebpf_epoch_exit(rec);
	return cb ? 0 : -ENOENT;
}

static long pe_update(struct uebpf_map *map, const void *key, const void *value,
		      uint64_t flags)
{
	struct perf_event_array *pe = to_pe(map);
	uint32_t i = key_index(key), v;

	if (flags != BPF_ANY)
		return -EINVAL;
	if (i >= map->max_entries)
		return -E2BIG;
	memcpy(&v, value, sizeof(v));
	atomic_store_explicit(&pe->slots[i], PE_SET | v, memory_order_relaxed);
	return 0;
}

static long pe_delete(struct uebpf_map *map, const void *key)
{
	struct perf_event_array *pe = to_pe(map);
	uint32_t i = key_index(key);

	if (i >= map->max_entries)
		return -E2BIG;
	if (!atomic_exchange_explicit(&pe->slots[i], 0, memory_order_relaxed))
		return -ENOENT;
	return 0;
}

static int pe_get_next_key(struct uebpf_map *map, const void *key,
			   void *next_key)
{
	uint32_t i, next;

	if (!key || (i = key_index(key)) >= map->max_entries) {
		next = 0;
	} else if (i == map->max_entries - 1) {
		return -ENOENT;
	} else {
		next = i + 1;
	}
	memcpy(next_key, &next, sizeof(next));
	return 0;
}

static int pe_check(struct uebpf_map *attr)
{
	if (attr->value_size != sizeof(uint32_t)) {
		map_warn(attr,
			 "PERF_EVENT_ARRAY value_size must be 4 (got %u)\n",
			 attr->value_size);
		return -EINVAL;
	}
	if (attr->key_size != sizeof(uint32_t) || !attr->max_entries) {
		map_warn(attr, "PERF_EVENT_ARRAY needs key_size 4 and max_entries > 0 (got %u, %u)\n",
			 attr->key_size, attr->max_entries);
		return -EINVAL;
	}
	if (attr->map_flags & ~PE_CREATE_FLAGS) {
		map_warn(attr, "map_flags 0x%x are not allowed for PERF_EVENT_ARRAY\n",
			 attr->map_flags & ~PE_CREATE_FLAGS);
		return -EINVAL;
	}
	return 0;
}

static int pe_alloc(const struct uebpf_map *attr, struct uebpf_map **out)
{
	struct perf_event_array *pe;
	uint64_t bytes = (uint64_t)attr->max_entries * sizeof(uint64_t);
	int err;

	pe = calloc(1, sizeof(*pe));
	if (!pe)
		return -ENOMEM;
	pe->map = *attr;
	atomic_init(&pe->cb, NULL);
	err = uebpf_map_charge(&pe->map, bytes);
	if (err) {
		free(pe);
		return err;
	}
	/* Zero pages until an index is set. */
	pe->slots = uebpf_map_reserve(&pe->map, bytes);
	if (!pe->slots) {
		uebpf_map_uncharge(&pe->map, bytes);
		free(pe);
		return -ENOMEM;
	}
	pe->bytes = bytes;
	pe->map.charged = bytes;
	*out = &pe->map;
	return 0;
}

static void pe_free(struct uebpf_map *map)
{
	struct perf_event_array *pe = to_pe(map);

	/* Freed after a grace period: no output can still be running. */
	free(atomic_load_explicit(&pe->cb, memory_order_relaxed));
	uebpf_map_unreserve((void *)pe->slots, pe->bytes);
	uebpf_map_uncharge(map, pe->bytes);
	free(pe);
}

const struct uebpf_map_ops uebpf_perf_event_array_ops = {
	.check = pe_check,
	.alloc = pe_alloc,
	.free = pe_free,
	/* lookup stays NULL: maps/map.c answers -ENOTSUPP, as the kernel. */
	.update = pe_update,
	.delete = pe_delete,
	.get_next_key = pe_get_next_key,
};
