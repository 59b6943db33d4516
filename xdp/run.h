/* SPDX-License-Identifier: MIT */
/* What xdp/run.c shares with the hook (xdp/hook.c). */
#ifndef UEBPF_XDP_RUN_H
#define UEBPF_XDP_RUN_H

#include "../lib/internal.h"
#include "xdp.h"

/* Element i of an array whose elements are stride bytes apart (the sz
 * of the caller's struct). */
#define UEBPF_XDP_AT(arr, stride, i) \
	((__typeof__(&(arr)[0]))(void *)((char *)(arr) + (i) * (stride)))

/* True for a verified XDP program; else logs why (naming fn). */
bool uebpf_xdp_prog_ok(struct uebpf_prog *prog, const char *fn) UEBPF_HIDDEN;

/* 0 when res is NULL or its sz is sane, else -EINVAL (logged). */
int uebpf_xdp_result_ok(struct uebpf_runtime *rt,
			const struct uebpf_xdp_result *res,
			const char *fn) UEBPF_HIDDEN;

/* Checks the arrays of a batch (count, every element's sz the same) and
 * gives their strides; -EINVAL (logged) when nothing may run. */
int uebpf_xdp_batch_shape(struct uebpf_runtime *rt,
			  const struct uebpf_xdp_buff *bufs, size_t n,
			  const struct uebpf_xdp_result *results,
			  const char *fn, size_t *bstride,
			  size_t *rstride) UEBPF_HIDDEN;

/* Runs a program the caller checked with uebpf_xdp_prog_ok() on one
 * buffer (checked here), counting it when statistics are on; returns the
 * verdict or a negative errno, as uebpf_xdp_run(). */
int uebpf_xdp_run_one(struct uebpf_prog *prog, const struct uebpf_xdp_buff *buf,
		      struct uebpf_xdp_result *res) UEBPF_HIDDEN;

/* What a device without an XDP program does: the buffer (checked) passes
 * unchanged. */
int uebpf_xdp_pass(struct uebpf_runtime *rt, const struct uebpf_xdp_buff *buf,
		   struct uebpf_xdp_result *res) UEBPF_HIDDEN;

#endif /* UEBPF_XDP_RUN_H */
