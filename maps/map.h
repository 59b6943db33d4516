/* SPDX-License-Identifier: MIT */
/*
 * Maps: one file per family behind struct uebpf_map_ops.
 *
 * Two sides use a map.  The program side (helpers, later the JIT) works in
 * place: lookup returns a pointer to the value, update takes one value (the
 * calling CPU slot's, for per-CPU maps).  The host side (the public
 * uebpf_map_* calls in maps/map.c) copies values in and out, uses the
 * user-space per-CPU layout, and takes ids where the kernel takes fds.
 *
 * Every program-side operation runs inside an epoch section (lib/epoch.h):
 * memory a program may still point to is retired with uebpf_epoch_retire()
 * and freed only after every thread has left the sections it was in.
 */
#ifndef UEBPF_MAP_H
#define UEBPF_MAP_H

#include <pthread.h>
#include <stdatomic.h>

#include "../lib/internal.h"

struct uebpf_map;

/* The kernel's ENOTSUPP (524), which bpf(2) returns as it is for map
 * operations a type lacks; user space has no name for it. */
#define ENOTSUPP_ERRNO 524

struct uebpf_map_ops {
	/* Creation: check the attributes (sizes, flags, max_entries) the
	 * family accepts, logging why not, then allocate its storage.
	 * map->key_size etc. are set; alloc may set map->elem_size. */
	int (*check)(struct uebpf_map *attr);
	/* Allocates the family's struct (struct uebpf_map first), copies
	 * *attr into it, and sets up storage. */
	int (*alloc)(const struct uebpf_map *attr, struct uebpf_map **map);
	/* Frees storage and the struct; inner_map is put by the caller. */
	void (*free)(struct uebpf_map *map);

	/* Program side.  lookup returns the value in place or NULL. */
	void *(*lookup)(struct uebpf_map *map, const void *key);
	long (*update)(struct uebpf_map *map, const void *key,
		       const void *value, uint64_t flags);
	long (*delete)(struct uebpf_map *map, const void *key);
	long (*push)(struct uebpf_map *map, const void *value, uint64_t flags);
	long (*pop)(struct uebpf_map *map, void *value);
	long (*peek)(struct uebpf_map *map, void *value);

	/* Host side.  NULL where the family has nothing to add to the
	 * generic wrappers in maps/map.c. */
	/* A lookup that leaves no trace (an LRU's reference bit is the
	 * program's business only); NULL: lookup serves. */
	void *(*sys_lookup)(struct uebpf_map *map, const void *key);
	/* The type has the kernel's batch operations (hash and array
	 * maps); delete_batch also needs delete to be meaningful. */
	bool batch;
	int (*get_next_key)(struct uebpf_map *map, const void *key,
			    void *next_key);
	/* Per-CPU maps: copy all slots out / in, user layout. */
	int (*percpu_copy)(struct uebpf_map *map, const void *key,
			   void *value);
	int (*percpu_update)(struct uebpf_map *map, const void *key,
			     const void *value, uint64_t flags);
	int (*lookup_and_delete)(struct uebpf_map *map, const void *key,
				 void *value, uint64_t flags);
	/* Maps whose values are objects (map-in-map, PROG_ARRAY): the host
	 * passes an id; the map stores a reference to the object. */
	int (*obj_update)(struct uebpf_map *map, const void *key, uint32_t id,
			  uint64_t flags);
	int (*obj_lookup_id)(struct uebpf_map *map, const void *key,
			     uint32_t *id);
	/* The host dropped its last reference (usercnt reached 0). */
	void (*release_uref)(struct uebpf_map *map);

	/* Debug mode (vm/interp.c, checked runs): true when [addr, addr + n)
	 * lies entirely inside one value a program of this map may hold a
	 * pointer to (any CPU slot's, for per-CPU maps), whether or not its
	 * element is still linked.  Slow is fine: called only for an access
	 * outside every fixed region.  NULL: the type gives programs no
	 * values. */
	bool (*value_contains)(struct uebpf_map *map, uintptr_t addr,
			       size_t n);
};

struct uebpf_map {
	const struct uebpf_map_ops *ops;
	struct uebpf_runtime *rt;
	enum bpf_map_type type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags;
	uint64_t map_extra;
	uint32_t id;
	char name[16]; /* BPF_OBJ_NAME_LEN, as the kernel truncates */
	/* refcnt counts every holder; usercnt only the host's (create,
	 * uebpf_map_get, get_by_id, pins, objects), as the kernel's uref: when
	 * the host lets go, release_uref breaks the cycles programs make
	 * (a PROG_ARRAY holding the programs that hold it). */
	atomic_int refcnt;
	atomic_int usercnt;
	atomic_bool frozen;
	/* Template of map-in-map values (a reference), or NULL. */
	struct uebpf_map *inner_map;
	/* Bytes charged to the runtime's mem_limit at creation. */
	uint64_t charged;
	/* Family-private state follows in the family's own struct. */
};

/* A family's registration; maps/map.c holds the table by map type. */
const struct uebpf_map_ops *uebpf_map_ops_for(enum bpf_map_type type)
	UEBPF_HIDDEN;

extern const struct uebpf_map_ops uebpf_array_ops UEBPF_HIDDEN;
extern const struct uebpf_map_ops uebpf_percpu_array_ops UEBPF_HIDDEN;
extern const struct uebpf_map_ops uebpf_hash_ops UEBPF_HIDDEN;
extern const struct uebpf_map_ops uebpf_percpu_hash_ops UEBPF_HIDDEN;
extern const struct uebpf_map_ops uebpf_lru_hash_ops UEBPF_HIDDEN;
extern const struct uebpf_map_ops uebpf_lru_percpu_hash_ops UEBPF_HIDDEN;
extern const struct uebpf_map_ops uebpf_array_of_maps_ops UEBPF_HIDDEN;
extern const struct uebpf_map_ops uebpf_hash_of_maps_ops UEBPF_HIDDEN;
extern const struct uebpf_map_ops uebpf_prog_array_ops UEBPF_HIDDEN;
extern const struct uebpf_map_ops uebpf_devmap_ops UEBPF_HIDDEN;
extern const struct uebpf_map_ops uebpf_devmap_hash_ops UEBPF_HIDDEN;
extern const struct uebpf_map_ops uebpf_xskmap_ops UEBPF_HIDDEN;
extern const struct uebpf_map_ops uebpf_cpumap_ops UEBPF_HIDDEN;
extern const struct uebpf_map_ops uebpf_lpm_trie_ops UEBPF_HIDDEN;
extern const struct uebpf_map_ops uebpf_ringbuf_ops UEBPF_HIDDEN;
extern const struct uebpf_map_ops uebpf_perf_event_array_ops UEBPF_HIDDEN;
extern const struct uebpf_map_ops uebpf_queue_ops UEBPF_HIDDEN;
extern const struct uebpf_map_ops uebpf_stack_ops UEBPF_HIDDEN;

/* ---- shared by the families ------------------------------------------- */

static inline uint32_t round_up8(uint32_t n)
{
	return (n + 7) & ~7u;
}

static inline bool map_is_percpu(const struct uebpf_map *map)
{
	return map->type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       map->type == BPF_MAP_TYPE_PERCPU_HASH ||
	       map->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* The CPU slot the calling thread runs as, clamped to the runtime's. */
static inline unsigned int map_this_cpu(const struct uebpf_map *map)
{
	unsigned int cpu = uebpf_this_cpu;

	return cpu < map->rt->nr_cpus ? cpu : 0;
}

/* Charge / uncharge bytes against the runtime's mem_limit; charge fails
 * with -ENOMEM and a log line naming the map. */
int uebpf_map_charge(struct uebpf_map *map, uint64_t bytes) UEBPF_HIDDEN;
void uebpf_map_uncharge(struct uebpf_map *map, uint64_t bytes) UEBPF_HIDDEN;

/* Anonymous memory reserved, not touched: pages cost only once written. */
void *uebpf_map_reserve(struct uebpf_map *map, uint64_t bytes) UEBPF_HIDDEN;
void uebpf_map_unreserve(void *p, uint64_t bytes) UEBPF_HIDDEN;

/* Update flags common to element maps: BPF_ANY, BPF_NOEXIST, BPF_EXIST
 * (and BPF_F_LOCK, which needs a bpf_spin_lock in the value). */
static inline int map_check_update_flags(uint64_t flags)
{
	if ((flags & ~(uint64_t)BPF_F_LOCK) > BPF_EXIST)
		return -EINVAL;
	if (flags & BPF_F_LOCK)
		return -EINVAL; /* no bpf_spin_lock values yet */
	return 0;
}

/* Values shared with running programs are copied word by word with
 * relaxed atomics: a program may write the same value at the same time,
 * and torn copies are what the kernel gives too.  The map side is 8-byte
 * aligned for the 8-byte steps; a misaligned tail falls back to smaller
 * words, each naturally aligned because values start 8-aligned. */
static inline void map_value_store(void *map_dst, const void *src, size_t n)
{
	unsigned char *d = map_dst;
	const unsigned char *s = src;
	uint64_t w;
	uint32_t h;
	uint16_t q;

	for (; n >= 8; n -= 8, d += 8, s += 8) {
		memcpy(&w, s, 8);
		__atomic_store_n((uint64_t *)d, w, __ATOMIC_RELAXED);
	}
	if (n >= 4) {
		memcpy(&h, s, 4);
		__atomic_store_n((uint32_t *)d, h, __ATOMIC_RELAXED);
		n -= 4, d += 4, s += 4;
	}
	if (n >= 2) {
		memcpy(&q, s, 2);
		__atomic_store_n((uint16_t *)d, q, __ATOMIC_RELAXED);
		n -= 2, d += 2, s += 2;
	}
	if (n)
		__atomic_store_n(d, *s, __ATOMIC_RELAXED);
}

static inline void map_value_load(void *dst, const void *map_src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = map_src;
	uint64_t w;
	uint32_t h;
	uint16_t q;

	for (; n >= 8; n -= 8, d += 8, s += 8) {
		w = __atomic_load_n((const uint64_t *)s, __ATOMIC_RELAXED);
		memcpy(d, &w, 8);
	}
	if (n >= 4) {
		h = __atomic_load_n((const uint32_t *)s, __ATOMIC_RELAXED);
		memcpy(d, &h, 4);
		n -= 4, d += 4, s += 4;
	}
	if (n >= 2) {
		q = __atomic_load_n((const uint16_t *)s, __ATOMIC_RELAXED);
		memcpy(d, &q, 2);
		n -= 2, d += 2, s += 2;
	}
	if (n)
		*d = __atomic_load_n(s, __ATOMIC_RELAXED);
}

#define map_warn(map, fmt, ...)                                                \
	pr_warn((map)->rt, "map '%s': " fmt, (map)->name, ##__VA_ARGS__)

/* References the library takes for itself (a program's used maps, an
 * outer map's slots, a template): they keep the map alive but are not the
 * host's, so they do not hold a PROG_ARRAY's programs in place. */
struct uebpf_map *uebpf_map_ref(struct uebpf_map *map) UEBPF_HIDDEN;
void uebpf_map_unref(struct uebpf_map *map) UEBPF_HIDDEN;
/* An internal reference by id (map-in-map values); NULL if none. */
struct uebpf_map *uebpf_map_get_by_id_internal(struct uebpf_runtime *rt,
					       uint32_t id) UEBPF_HIDDEN;
/* True when inner may be stored in a map-in-map whose template is tmpl,
 * with the kernel's compatibility rules. */
bool uebpf_map_compatible_inner(const struct uebpf_map *tmpl,
				const struct uebpf_map *inner) UEBPF_HIDDEN;

#endif /* UEBPF_MAP_H */
