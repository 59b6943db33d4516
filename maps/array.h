/* SPDX-License-Identifier: MIT */
/*
 * Array-indexed maps: the storage layout a JIT may inline, and what the
 * array families (maps/array.c, prog_array.c, array_of_maps.c, redirect.c)
 * share.
 *
 * ARRAY and PERCPU_ARRAY keep their values in one reservation (mmap,
 * touched lazily).  The value of index i (and, per-CPU, of CPU slot c) is
 *
 *	base + i * elem_size + c * percpu_stride
 *
 * once i < max_entries has been checked; elem_size is value_size rounded
 * up to 8, percpu_stride is 0 for ARRAY.  Per-CPU copies are CPU-major:
 * each CPU slot owns a page-aligned region, so workers counting into the
 * same index never share a cache line.  base, elem_size and percpu_stride
 * never change while the map lives.
 *
 * PROG_ARRAY and ARRAY_OF_MAPS hold one pointer per index (a program, an
 * inner map), NULL when empty, swapped with atomic exchanges; readers load
 * them with acquire ordering and no lock.
 */
#ifndef UEBPF_MAPS_ARRAY_H
#define UEBPF_MAPS_ARRAY_H

#include "map.h"

struct uebpf_array {
	struct uebpf_map map;
	char *base;
	uint32_t elem_size;
	uint64_t percpu_stride;
	uint64_t size; /* bytes reserved */
};

/* PROG_ARRAY (struct uebpf_prog *) and ARRAY_OF_MAPS (struct uebpf_map *). */
struct uebpf_fd_array {
	struct uebpf_map map;
	void *_Atomic *slots;
	uint64_t size;	  /* bytes reserved */
	atomic_uint used; /* one past the highest index ever stored */
	atomic_int owner; /* PROG_ARRAY: type of the first program, or -1 */
};

/* For the JIT: the layout above.  Returns base. */
static inline void *uebpf_array_base(struct uebpf_map *map,
				     uint32_t *elem_size,
				     uint64_t *percpu_stride)
{
	struct uebpf_array *a = (struct uebpf_array *)map;

	*elem_size = a->elem_size;
	*percpu_stride = a->percpu_stride;
	return a->base;
}

/* What a PROG_ARRAY or ARRAY_OF_MAPS holds at index, or NULL.  Lock-free;
 * the caller is in an epoch section, which keeps a replaced object alive. */
static inline void *uebpf_fd_array_get(struct uebpf_map *map, uint32_t index)
{
	struct uebpf_fd_array *a = (struct uebpf_fd_array *)map;

	if (unlikely(index >= map->max_entries))
		return NULL;
	return atomic_load_explicit(&a->slots[index], memory_order_acquire);
}

/* For bpf_tail_call(): the program at index, or NULL. */
static inline struct uebpf_prog *uebpf_prog_array_get(struct uebpf_map *map,
						      uint32_t index)
{
	return uebpf_fd_array_get(map, index);
}

/* ---- shared by the array families (maps/array.c) ---------------------- */

/* The kernel's array_map_alloc_check(): key 4, value and max_entries not
 * 0, the array flag set, value size limits. */
int uebpf_array_check(struct uebpf_map *attr) UEBPF_HIDDEN;
/* get_next_key of every array-indexed map. */
int uebpf_array_get_next_key(struct uebpf_map *map, const void *key,
			     void *next_key) UEBPF_HIDDEN;

/* PROG_ARRAY and ARRAY_OF_MAPS (and the redirect maps' slots). */
int uebpf_fd_array_check(struct uebpf_map *attr) UEBPF_HIDDEN;
/* struct_size: the family's struct, which starts with struct uebpf_fd_array. */
int uebpf_fd_array_alloc(const struct uebpf_map *attr, size_t struct_size,
			 struct uebpf_map **map) UEBPF_HIDDEN;
/* Drops what every slot holds with put, then frees the map. */
void uebpf_fd_array_free(struct uebpf_map *map, void (*put)(void *))
	UEBPF_HIDDEN;
/* Stores obj (may be NULL) at index; returns what was there. */
void *uebpf_fd_array_xchg(struct uebpf_map *map, uint32_t index, void *obj)
	UEBPF_HIDDEN;

/* What the slots of a PROG_ARRAY or ARRAY_OF_MAPS hold, for the host's
 * calls below (the kernel's map_fd_get_ptr and map_fd_put_ptr). */
struct uebpf_fd_array_objs {
	const char *what; /* "program", "map": for the log */
	/* A new reference to the object with this id, or NULL. */
	void *(*get_by_id)(struct uebpf_runtime *rt, uint32_t id);
	/* 0 if obj may be stored in map, else -errno with the reason logged. */
	int (*fits)(struct uebpf_map *map, void *obj);
	void (*put)(void *obj);
	uint32_t (*id)(const void *obj);
};

/* The host's update by id, as the kernel's bpf_fd_array_map_update_elem():
 * BPF_ANY only, then the index, then the object; the slot then holds the
 * new object's reference, and the one it held before is put. */
int uebpf_fd_array_update(struct uebpf_map *map, const void *key, uint32_t id,
			  uint64_t flags,
			  const struct uebpf_fd_array_objs *objs) UEBPF_HIDDEN;
/* The host's lookup: the id of what the slot holds, or -ENOENT. */
int uebpf_fd_array_lookup_id(struct uebpf_map *map, const void *key,
			     uint32_t *id,
			     const struct uebpf_fd_array_objs *objs)
	UEBPF_HIDDEN;
/* Empties the slot and puts what it held: -E2BIG past the end, -ENOENT if
 * it was empty. */
long uebpf_fd_array_delete(struct uebpf_map *map, const void *key,
			   const struct uebpf_fd_array_objs *objs) UEBPF_HIDDEN;

#endif /* UEBPF_MAPS_ARRAY_H */
