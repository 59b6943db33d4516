/* SPDX-License-Identifier: MIT */
/*
 * Helpers the interpreter runs itself: bpf_tail_call replaces the running
 * program and bpf_loop calls back into it, so both are dispatched inside
 * vm/interp_body.h, never through the helper table.  The table still
 * holds a function for each, so that the validator and the verifier treat
 * them as implemented helpers and a host cannot register its own at their
 * ids.
 */
#ifndef UEBPF_CALLBACK_H
#define UEBPF_CALLBACK_H

#include "../lib/internal.h"

uint64_t uebpf_helper_tail_call(uint64_t r1, uint64_t r2, uint64_t r3,
				uint64_t r4, uint64_t r5,
				struct uebpf_run_ctx *ctx) UEBPF_HIDDEN;
uint64_t uebpf_helper_loop(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			   uint64_t r5, struct uebpf_run_ctx *ctx) UEBPF_HIDDEN;

#endif /* UEBPF_CALLBACK_H */
