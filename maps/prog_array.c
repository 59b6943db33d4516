/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_TYPE_PROG_ARRAY: the targets of bpf_tail_call().
 *
 * The host stores a program by id (the kernel takes a program fd); the map
 * keeps a reference until the slot is replaced or deleted or the map is
 * freed.  Host lookups return the id.  Programs read slots with
 * uebpf_prog_array_get() (maps/array.h); a replaced program is put with
 * uebpf_prog_put(), whose free waits for the epoch, so a tail call already
 * on its way still finds it.
 *
 * As in the kernel, all programs of one array have the type and expected
 * attach type of the first one stored or verified using it; that owner
 * stays even when the array empties.
 */
#include "array.h"
#include "../vm/verifier.h"

static int prog_array_alloc(const struct uebpf_map *attr,
			    struct uebpf_map **map)
{
	return uebpf_fd_array_alloc(attr, sizeof(struct uebpf_fd_array), map);
}

static void prog_put(void *p)
{
	uebpf_prog_put(p);
}

static void prog_array_free(struct uebpf_map *map)
{
	uebpf_fd_array_free(map, prog_put);
}

/* The owner is the type and expected attach type of the first program,
 * in one int (the kernel compares both for a PROG_ARRAY). */
static int owner_of(const struct uebpf_prog *prog)
{
	/* Bit 30: compiled, as the kernel's owner.jited (a JIT's tail
	 * call lands in the target's code). */
	return (int)((uint32_t)prog->type |
		     ((uint32_t)prog->expected_attach_type << 16) |
		     ((uint32_t)prog->jit_wanted << 30));
}

/* The kernel's bpf_prog_map_compatible(), on the properties a program has
 * here: its type and expected attach type. */
int uebpf_prog_array_compatible(struct uebpf_map *map,
				const struct uebpf_prog *prog)
{
	struct uebpf_fd_array *a = (struct uebpf_fd_array *)map;
	int owner = -1, want = owner_of(prog);

	if (prog->type == BPF_PROG_TYPE_EXT) {
		map_warn(map, "program %u is an extension (BPF_PROG_TYPE_EXT), which cannot be a tail call target\n",
			 prog->id);
		return -EINVAL;
	}
	if (atomic_compare_exchange_strong(&a->owner, &owner, want) ||
	    owner == want)
		return 0;
	if ((owner ^ want) & (1 << 30))
		map_warn(map, "program %u is %s, but this PROG_ARRAY holds %s programs: load them with the same engine\n",
			 prog->id, prog->jit_wanted ? "JIT-compiled" : "interpreted",
			 prog->jit_wanted ? "interpreted" : "JIT-compiled");
	else if ((owner & 0xffff) != (int)prog->type)
		map_warn(map, "program %u has type %s, but this PROG_ARRAY holds %s programs\n",
			 prog->id, uebpf_prog_type_name(prog->type),
			 uebpf_prog_type_name((enum bpf_prog_type)(owner & 0xffff)));
	else
		map_warn(map, "program %u has expected attach type %u, but this PROG_ARRAY holds programs of attach type %u\n",
			 prog->id, (unsigned int)prog->expected_attach_type,
			 ((unsigned int)owner >> 16) & 0x3fff);
	return -EINVAL;
}

static int owner_check(struct uebpf_map *map, void *obj)
{
	return uebpf_prog_array_compatible(map, obj);
}

static void *prog_get(struct uebpf_runtime *rt, uint32_t id)
{
	return uebpf_prog_get_by_id_internal(rt, id);
}

static uint32_t prog_id(const void *p)
{
	return ((const struct uebpf_prog *)p)->id;
}

static const struct uebpf_fd_array_objs progs = {
	.what = "program",
	.get_by_id = prog_get,
	.fits = owner_check,
	.put = prog_put,
	.id = prog_id,
};

static int prog_array_obj_update(struct uebpf_map *map, const void *key,
				 uint32_t id, uint64_t flags)
{
	return uebpf_fd_array_update(map, key, id, flags, &progs);
}

static int prog_array_obj_lookup_id(struct uebpf_map *map, const void *key,
				    uint32_t *id)
{
	return uebpf_fd_array_lookup_id(map, key, id, &progs);
}

static long prog_array_delete(struct uebpf_map *map, const void *key)
{
	return uebpf_fd_array_delete(map, key, &progs);
}

/* Programs reach a PROG_ARRAY only through bpf_tail_call(); the verifier
 * refuses the element helpers, these answer if one gets through. */
static void *prog_array_lookup(struct uebpf_map *map, const void *key)
{
	(void)map, (void)key;
	return NULL;
}

static long prog_array_update(struct uebpf_map *map, const void *key,
			      const void *value, uint64_t flags)
{
	(void)map, (void)key, (void)value, (void)flags;
	return -EOPNOTSUPP;
}

/* The host let go of the array: empty it, as the kernel's
 * prog_array_map_clear() does, so that programs tail-calling through it
 * (and so holding it) do not keep each other alive forever. */
static void prog_array_release_uref(struct uebpf_map *map)
{
	struct uebpf_fd_array *a = (struct uebpf_fd_array *)map;
	uint32_t i, used = atomic_load(&a->used);
	void *old;

	for (i = 0; i < used && i < map->max_entries; i++) {
		old = uebpf_fd_array_xchg(map, i, NULL);
		if (old)
			prog_put(old);
	}
}

const struct uebpf_map_ops uebpf_prog_array_ops = {
	.check = uebpf_fd_array_check,
	.alloc = prog_array_alloc,
	.free = prog_array_free,
	.lookup = prog_array_lookup,
	.update = prog_array_update,
	.delete = prog_array_delete,
	.get_next_key = uebpf_array_get_next_key,
	.obj_update = prog_array_obj_update,
	.obj_lookup_id = prog_array_obj_lookup_id,
	.release_uref = prog_array_release_uref,
};
