/* SPDX-License-Identifier: MIT */
/*
 * The XDP context a verified program's r1 points to.  Programs are
 * compiled against struct xdp_md (32-bit fields); the verifier rewrites
 * every context load into a load from this struct, so data pointers are
 * full 64-bit addresses (ARCHITECTURE.md, key decision 1).
 */
#ifndef UEBPF_XDP_H
#define UEBPF_XDP_H

#include <stdbool.h>
#include <stdint.h>

#include "uebpf.h"

struct uebpf_xdp_ctx {
	/* Read by the program (rewritten xdp_md fields). */
	void *data;		  /* xdp_md.data */
	void *data_end;		  /* xdp_md.data_end */
	void *data_meta;	  /* xdp_md.data_meta */
	uint32_t ingress_ifindex; /* xdp_md.ingress_ifindex */
	uint32_t rx_queue_index;  /* xdp_md.rx_queue_index */
	uint32_t egress_ifindex;  /* xdp_md.egress_ifindex */
	uint32_t frame_sz;	  /* bytes from data_hard_start */
	/* Helpers' state: never reachable by the program. */
	void *data_hard_start;
	/* Where an XDP_REDIRECT goes: what bpf_redirect() and
	 * bpf_redirect_map() set (the kernel's bpf_redirect_info), cleared
	 * at the start of every run. */
	enum uebpf_xdp_redirect_kind redirect_kind;
	uint32_t redirect_ifindex;
	struct uebpf_map *redirect_map;
	uint32_t redirect_key;
	uint64_t redirect_flags;
};

#endif /* UEBPF_XDP_H */

struct uebpf_prog;

/* Run a verified XDP program on ctx (the packet bounds and metadata the
 * caller set up) in the interpreter; returns 0 and sets *r0, or a negative
 * errno.  When prog->checked is set (the debug mode the soundness tests
 * use), every memory access is checked against the regions the program may
 * touch: its stack, the context, the packet [data_meta, data_end) and map
 * values. */
int uebpf_xdp_run_ctx(struct uebpf_prog *prog, struct uebpf_xdp_ctx *ctx,
		      uint64_t *r0) __attribute__((visibility("hidden")));

/* Debug mode on or off for a loaded program (tests only). */
void uebpf_prog_set_debug_checks(struct uebpf_prog *prog, bool on)
	__attribute__((visibility("hidden")));
