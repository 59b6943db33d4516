/* SPDX-License-Identifier: MIT */
/*
 * The interpreter: one flat dispatch over the 256 opcodes, threaded with
 * computed gotos, each case the RFC 9669 pseudo-code for its instruction.
 *
 * Semantics where the RFC leaves the kernel's verifier behind:
 *   - division by zero gives 0, modulo by zero leaves dst unchanged
 *     (truncated to 32 bits for the 32-bit forms);
 *   - shift amounts are masked to 63 (64-bit) or 31 (32-bit);
 *   - sdiv INT_MIN / -1 is INT_MIN, smod INT_MIN % -1 is 0.
 *
 * The instruction budget is charged once per straight-line run: at every
 * taken jump, call and exit the instructions since the last one are
 * subtracted, so the untaken path pays nothing.
 *
 * A program the verifier has not proven safe runs "checked": every load,
 * store and atomic is tested against the run's memory regions (the stack
 * and the buffer passed in r1) and a stray access stops the run with
 * -EFAULT instead of touching the host's memory.
 */
#include "../lib/internal.h"

struct frame {
	uint64_t saved[4]; /* r6..r9 */
	uint64_t fp;	   /* r10 */
	const struct bpf_insn *ret;
};

static inline bool region_ok(const struct uebpf_run_ctx *ctx, uintptr_t a,
			     size_t n)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_regions; i++)
		if (a >= ctx->regions[i].lo && a <= ctx->regions[i].hi - n &&
		    ctx->regions[i].hi - ctx->regions[i].lo >= n)
			return true;
	return false;
}

static __attribute__((noinline)) int fault(const struct uebpf_prog *prog,
					   struct uebpf_run_ctx *ctx,
					   const struct bpf_insn *ip, int err,
					   const char *what, uint64_t a,
					   unsigned int n)
{
	ctx->err = err;
	ctx->err_pc = ip - prog->insns;
	if (err == -EFAULT)
		pr_warn(prog->rt,
			"prog '%s': out-of-bounds %s of %u bytes at 0x%llx at pc %zu\n",
			prog->name, what, n, (unsigned long long)a, ctx->err_pc);
	else if (err == -ETIMEDOUT)
		pr_warn(prog->rt,
			"prog '%s': instruction budget of %llu exhausted at pc %zu\n",
			prog->name, (unsigned long long)prog->insn_budget,
			ctx->err_pc);
	else
		pr_warn(prog->rt, "prog '%s': %s at pc %zu\n", prog->name,
			what, ctx->err_pc);
	return err;
}

#define LOAD(type, a) ({ type v_; __builtin_memcpy(&v_, (void *)(uintptr_t)(a), sizeof(v_)); v_; })
#define STORE(type, a, v) ({ type v_ = (type)(v); __builtin_memcpy((void *)(uintptr_t)(a), &v_, sizeof(v_)); })

#define INTERP_NAME run_checked
#define INTERP_CHECKED 1
#include "interp_body.h"
#undef INTERP_NAME
#undef INTERP_CHECKED

#define INTERP_NAME run_fast
#define INTERP_CHECKED 0
#include "interp_body.h"
#undef INTERP_NAME
#undef INTERP_CHECKED

int uebpf_interp_run(const struct uebpf_prog *prog, struct uebpf_run_ctx *ctx,
		     uint64_t r1, uint64_t r2, uint64_t *r0)
{
	return prog->checked ? run_checked(prog, ctx, r1, r2, r0) :
			       run_fast(prog, ctx, r1, r2, r0);
}
