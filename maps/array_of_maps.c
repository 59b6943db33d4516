/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_TYPE_ARRAY_OF_MAPS, and the inner-map compatibility rule that
 * HASH_OF_MAPS shares.
 *
 * The host stores an inner map by id; the outer map holds a reference
 * until the slot is replaced or deleted or the outer map is freed.  A
 * program's lookup returns the inner struct uebpf_map * itself (what the
 * kernel's verifier calls CONST_PTR_TO_MAP), the host's returns its id.  A
 * replaced inner map is put with uebpf_map_unref(), whose free waits for the
 * epoch, so a program that looked it up keeps a valid map until it ends.
 */
#include <stdio.h>

#include "array.h"

/* Flags that belong to a map fd, not to the map, in the kernel
 * (bpf_map_flags_retain_permanent()): never compared. */
#define FD_ONLY_FLAGS (BPF_F_RDONLY | BPF_F_WRONLY)

/* The kernel's bpf_map_meta_equal(), plus max_entries where the
 * template's type asks for it: ARRAY unless BPF_F_INNER_MAP
 * (array_map_meta_equal()) and XSKMAP (xsk_map_meta_equal()). */
bool uebpf_map_compatible_inner(const struct uebpf_map *tmpl,
				const struct uebpf_map *inner)
{
	uint32_t tf = tmpl->map_flags & ~FD_ONLY_FLAGS;
	uint32_t inf = inner->map_flags & ~FD_ONLY_FLAGS;
	char why[256] = "";
	size_t n = 0;

#define DIFFERS(fmt, ...)                                                      \
	n += (size_t)snprintf(n < sizeof(why) ? why + n : NULL,                \
			      n < sizeof(why) ? sizeof(why) - n : 0, "%s" fmt, \
			      n ? ", " : "", __VA_ARGS__)
	if (tmpl->type != inner->type)
		DIFFERS("type %s, template %s",
			uebpf_map_type_name(inner->type),
			uebpf_map_type_name(tmpl->type));
	if (tmpl->key_size != inner->key_size)
		DIFFERS("key_size %u, template %u", inner->key_size,
			tmpl->key_size);
	if (tmpl->value_size != inner->value_size)
		DIFFERS("value_size %u, template %u", inner->value_size,
			tmpl->value_size);
	if (tf != inf)
		DIFFERS("map_flags 0x%x, template 0x%x", inf, tf);
	if (tmpl->max_entries != inner->max_entries &&
	    ((tmpl->type == BPF_MAP_TYPE_ARRAY &&
	      !(tmpl->map_flags & BPF_F_INNER_MAP)) ||
	     tmpl->type == BPF_MAP_TYPE_XSKMAP))
		DIFFERS("max_entries %u, template %u%s", inner->max_entries,
			tmpl->max_entries,
			tmpl->type == BPF_MAP_TYPE_ARRAY ?
				" (BPF_F_INNER_MAP on the template allows any)" :
				"");
#undef DIFFERS
	if (!n)
		return true;
	pr_warn(inner->rt, "map '%s' (id %u) does not fit the inner-map template '%s': %s\n",
		inner->name, inner->id, tmpl->name, why);
	return false;
}

static int aom_alloc(const struct uebpf_map *attr, struct uebpf_map **map)
{
	if (!attr->inner_map) {
		/* The kernel's bpf_map_meta_alloc() without inner_map_fd. */
		map_warn(attr, "ARRAY_OF_MAPS needs an inner_map template (opts.inner_map)\n");
		return -EINVAL;
	}
	return uebpf_fd_array_alloc(attr, sizeof(struct uebpf_fd_array), map);
}

static void map_put(void *p)
{
	uebpf_map_unref(p);
}

static void aom_free(struct uebpf_map *map)
{
	uebpf_fd_array_free(map, map_put);
}

static void *map_get(struct uebpf_runtime *rt, uint32_t id)
{
	return uebpf_map_get_by_id_internal(rt, id);
}

/* uebpf_map_compatible_inner() logs why not. */
static int map_fits(struct uebpf_map *map, void *inner)
{
	return uebpf_map_compatible_inner(map->inner_map, inner) ? 0 : -EINVAL;
}

static uint32_t map_id(const void *p)
{
	return ((const struct uebpf_map *)p)->id;
}

static const struct uebpf_fd_array_objs inner_maps = {
	.what = "map",
	.get_by_id = map_get,
	.fits = map_fits,
	.put = map_put,
	.id = map_id,
};

static int aom_obj_update(struct uebpf_map *map, const void *key, uint32_t id,
			  uint64_t flags)
{
	return uebpf_fd_array_update(map, key, id, flags, &inner_maps);
}

static void *aom_lookup(struct uebpf_map *map, const void *key)
{
	uint32_t i;

	memcpy(&i, key, sizeof(i));
	return uebpf_fd_array_get(map, i);
}

static int aom_obj_lookup_id(struct uebpf_map *map, const void *key,
			     uint32_t *id)
{
	return uebpf_fd_array_lookup_id(map, key, id, &inner_maps);
}

static long aom_delete(struct uebpf_map *map, const void *key)
{
	return uebpf_fd_array_delete(map, key, &inner_maps);
}

/* Programs only look inner maps up; the verifier refuses updates. */
static long aom_update(struct uebpf_map *map, const void *key,
		       const void *value, uint64_t flags)
{
	(void)map, (void)key, (void)value, (void)flags;
	return -EOPNOTSUPP;
}

const struct uebpf_map_ops uebpf_array_of_maps_ops = {
	.check = uebpf_fd_array_check,
	.alloc = aom_alloc,
	.free = aom_free,
	.lookup = aom_lookup,
	.update = aom_update,
	.delete = aom_delete,
	.get_next_key = uebpf_array_get_next_key,
	.batch = true,
	.obj_update = aom_obj_update,
	.obj_lookup_id = aom_obj_lookup_id,
};
