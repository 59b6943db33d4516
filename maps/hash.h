/* SPDX-License-Identifier: MIT */
/* Entry points of the hash maps (maps/hash.c) for the rest of the library. */
#ifndef UEBPF_MAPS_HASH_H
#define UEBPF_MAPS_HASH_H

#include "map.h"

/*
 * DEVMAP_HASH, for bpf_redirect_map(): copies the entry of key as a
 * struct bpf_devmap_val (ifindex, then the id of its program or 0; 8 bytes
 * whatever the map's value_size) to out_value.  Returns 0, or -ENOENT.
 * Call it inside an epoch read section, as every program-side operation.
 */
int uebpf_devmap_hash_lookup(struct uebpf_map *map, uint32_t key,
			     void *out_value) UEBPF_HIDDEN;

/*
 * ops->sys_lookup of the LRU hashes: the value in place, or NULL.  Unlike
 * ops->lookup it leaves the element's reference bit alone, as the kernel's
 * map_lookup_elem_sys_only, so a control plane walking the map does not
 * change what gets evicted.
 */
void *uebpf_htab_lookup_sys(struct uebpf_map *map,
			    const void *key) UEBPF_HIDDEN;

#endif /* UEBPF_MAPS_HASH_H */
