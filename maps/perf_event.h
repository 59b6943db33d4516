/* SPDX-License-Identifier: MIT */
/* Program side of BPF_MAP_TYPE_PERF_EVENT_ARRAY, for bpf_perf_event_output().
 */
#ifndef UEBPF_MAPS_PERF_EVENT_H
#define UEBPF_MAPS_PERF_EVENT_H

#include "map.h"

/*
 * flags & BPF_F_INDEX_MASK picks the index, BPF_F_CURRENT_CPU the calling
 * thread's CPU slot.  Calls the host's callback with (index, data, size)
 * and returns 0; -EINVAL for other flag bits, -E2BIG for an index past
 * max_entries, -ENOENT when the host installed no callback.  Helpers that
 * append packet bytes (BPF_F_CTXLEN_MASK) assemble the record first.
 */
long uebpf_perf_event_output(struct uebpf_map *map, uint64_t flags,
			     const void *data, uint64_t size) UEBPF_HIDDEN;

#endif /* UEBPF_MAPS_PERF_EVENT_H */
