/* SPDX-License-Identifier: MIT */
/* The targets of bpf_redirect_map(): DEVMAP, DEVMAP_HASH, CPUMAP, XSKMAP. */
#ifndef UEBPF_MAPS_REDIRECT_H
#define UEBPF_MAPS_REDIRECT_H

#include "map.h"

/*
 * For bpf_redirect_map(): copies the value stored at key (value_size
 * bytes: ifindex and program id for DEVMAP, qsize and program id for
 * CPUMAP, the host's socket id for XSKMAP) and returns 0, or -ENOENT.
 * The caller is in an epoch section.  Stored values never change in
 * place (an update publishes a new one), so the copy is consistent.
 */
static inline int uebpf_redirect_lookup(struct uebpf_map *map, uint32_t key,
					void *out_value)
{
	const void *v = map->ops->lookup(map, &key);

	if (!v)
		return -ENOENT;
	memcpy(out_value, v, map->value_size);
	return 0;
}

#endif /* UEBPF_MAPS_REDIRECT_H */
