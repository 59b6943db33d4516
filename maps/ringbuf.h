/* SPDX-License-Identifier: MIT */
/*
 * Program side of BPF_MAP_TYPE_RINGBUF, for the bpf_ringbuf_* helpers.
 * Same arguments, results and record format as the kernel's helpers; the
 * wakeup flags are accepted and have nothing to wake.  The host consumes
 * with uebpf_ringbuf_consume().
 */
#ifndef UEBPF_MAPS_RINGBUF_H
#define UEBPF_MAPS_RINGBUF_H

#include "map.h"

/* A sample of size bytes, contiguous even across the ring's end, or NULL
 * when flags != 0, size is too large or the ring has no room (a record
 * is never overwritten before the consumer is past it). */
void *uebpf_ringbuf_reserve(struct uebpf_map *map, uint64_t size,
			    uint64_t flags) UEBPF_HIDDEN;
/* Commit a reserved sample: visible to the consumer, or skipped by it. */
void uebpf_ringbuf_submit(void *sample, uint64_t flags) UEBPF_HIDDEN;
void uebpf_ringbuf_discard(void *sample, uint64_t flags) UEBPF_HIDDEN;
/* reserve + copy + submit: 0, -EINVAL for unknown flags, -EAGAIN when
 * there is no room. */
long uebpf_ringbuf_output(struct uebpf_map *map, const void *data,
			  uint64_t size, uint64_t flags) UEBPF_HIDDEN;
/* BPF_RB_AVAIL_DATA, BPF_RB_RING_SIZE, BPF_RB_CONS_POS, BPF_RB_PROD_POS;
 * 0 for anything else. */
uint64_t uebpf_ringbuf_query(struct uebpf_map *map,
			     uint64_t flags) UEBPF_HIDDEN;
/* True when sample is a record of map that reserve returned and nobody
 * submitted or discarded yet: what bpf_ringbuf_submit() may be handed by
 * a program the verifier has not checked. */
bool uebpf_ringbuf_is_reserved(struct uebpf_map *map,
			       const void *sample) UEBPF_HIDDEN;

#endif /* UEBPF_MAPS_RINGBUF_H */
