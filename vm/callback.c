/* SPDX-License-Identifier: MIT */
/*
 * The helper-table entries of bpf_tail_call and bpf_loop (vm/callback.h).
 * The interpreter dispatches both itself; a caller that reaches these
 * instead (an execution engine that does not know them) gets a run that
 * stops with -EOPNOTSUPP and says why, never a call that silently did
 * nothing.
 */
#include "callback.h"

static uint64_t not_here(struct uebpf_run_ctx *ctx, const char *name)
{
	if (ctx->prog)
		pr_warn(ctx->prog->rt,
			"prog '%s': %s must be run by the interpreter's own dispatch\n",
			ctx->prog->name, name);
	ctx->err = -EOPNOTSUPP;
	return 0;
}

uint64_t uebpf_helper_tail_call(uint64_t r1, uint64_t r2, uint64_t r3,
				uint64_t r4, uint64_t r5,
				struct uebpf_run_ctx *ctx)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return not_here(ctx, "bpf_tail_call");
}

uint64_t uebpf_helper_loop(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			   uint64_t r5, struct uebpf_run_ctx *ctx)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return not_here(ctx, "bpf_loop");
}
