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
 * store and atomic is tested against the run's memory regions (the frames
 * in use, the buffer passed in r1 or the XDP packet and context, global
 * data, map values lookups returned) and a stray access, or a write to
 * read-only memory, stops the run with -EFAULT instead of touching the
 * host's memory.  Verified programs run checked too in debug mode
 * (uebpf_prog_set_debug_checks()), which is how the soundness tests catch
 * an access the verifier should not have allowed.
 */
#include <stdlib.h>

#include "../lib/internal.h"
#include "../maps/array.h"
#include "../maps/map.h"

/* The kernel's MAX_TAIL_CALL_CNT and BPF_MAX_LOOPS. */
#define MAX_TAIL_CALL_CNT 33
#define MAX_LOOPS (8u * 1024 * 1024)

/* A caller's state, kept while a subprogram or a bpf_loop callback runs
 * in the frame below. */
struct frame {
	uint64_t saved[4]; /* r6..r9 */
	uint64_t fp;	   /* r10 */
	const struct bpf_insn *ret;
	/* The caller's program: a tail call in the callee replaces the
	 * callee only, and its exit comes back here. */
	const struct uebpf_prog *prog;
	/* bpf_loop: the callee is the callback, run again while it returns
	 * 0 and iterations are left. */
	const struct bpf_insn *loop_cb;
	uint64_t loop_ctx;
	uint32_t loop_i, loop_n;
	bool is_loop;
};

/* Frames a run may have: 8, and past them only those tail calls from
 * subprograms pile up, at most 7 more for each of the 33. */
#define DEEP_FRAMES (UEBPF_MAX_CALL_FRAMES * (MAX_TAIL_CALL_CNT + 1))

struct deep_frames {
	struct frame frames[DEEP_FRAMES];
	uint8_t stack[UEBPF_STACK_SIZE * (DEEP_FRAMES - UEBPF_MAX_CALL_FRAMES)]
		__attribute__((aligned(16)));
};

static void deep_free(struct deep_frames **d)
{
	free(*d);
}

/* Checked runs: the regions past the fixed ones (stack, buffer or packet
 * and context) are the running program's global data, which change with
 * a tail call and back at a return into the caller's program. */
static void switch_value_regions(struct uebpf_run_ctx *ctx,
				 const struct uebpf_prog *from,
				 const struct uebpf_prog *to)
{
	unsigned int fixed = ctx->nr_regions - from->nr_value_regions;

	if (to->nr_value_regions)
		memcpy(&ctx->regions[fixed], to->value_regions,
		       to->nr_value_regions * sizeof(*ctx->regions));
	ctx->nr_regions = fixed + to->nr_value_regions;
}

/*
 * Checked runs: may the program access [a, a + n)?  Read-only regions
 * (the context, values of BPF_F_RDONLY_PROG maps) refuse writes.  An
 * access no region holds may still fall inside a value of one of the
 * program's maps, which a lookup returned at run time: each map type
 * that can say so (ops->value_contains) is asked, slowly, only then.
 */
enum { ACCESS_OK, ACCESS_OOB, ACCESS_RDONLY };

static __attribute__((noinline)) int map_value_ok(const struct uebpf_prog *prog,
						  uintptr_t a, size_t n,
						  bool write)
{
	bool rdonly = false;
	size_t i;

	for (i = 0; i < prog->nr_used_maps; i++) {
		struct uebpf_map *m = prog->used_maps[i];

		if (!m->ops->value_contains || !m->ops->value_contains(m, a, n))
			continue;
		if (!write || !(m->map_flags & BPF_F_RDONLY_PROG))
			return ACCESS_OK;
		rdonly = true;
	}
	return rdonly ? ACCESS_RDONLY : ACCESS_OOB;
}

static inline int region_ok(const struct uebpf_prog *prog,
			    const struct uebpf_run_ctx *ctx, uintptr_t a,
			    size_t n, bool write)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_regions; i++) {
		const struct uebpf_region *r = &ctx->regions[i];

		if (a >= r->lo && a <= r->hi - n && r->hi - r->lo >= n) {
			if (write && (r->flags & UEBPF_REGION_RDONLY))
				return ACCESS_RDONLY;
			return ACCESS_OK;
		}
	}
	return map_value_ok(prog, a, n, write);
}

static __attribute__((noinline)) int fault(const struct uebpf_prog *prog,
					   struct uebpf_run_ctx *ctx,
					   const struct bpf_insn *ip, int err,
					   const char *what, uint64_t a,
					   unsigned int n, int kind)
{
	ctx->err = err;
	ctx->err_pc = ip - prog->insns;
	if (err == -EFAULT)
		pr_warn(prog->rt,
			"prog '%s': %s %s of %u bytes at 0x%llx at pc %zu\n",
			prog->name, kind == ACCESS_RDONLY ? "read-only memory:" :
			"out-of-bounds", what, n, (unsigned long long)a,
			ctx->err_pc);
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

int uebpf_interp_check_access(const struct uebpf_prog *prog,
			      struct uebpf_run_ctx *ctx, size_t pc, uint64_t a,
			      unsigned int n, bool write, bool atomic)
{
	int k = region_ok(prog, ctx, a, n, write);

	if (k != ACCESS_OK)
		return fault(prog, ctx, prog->insns + pc, -EFAULT,
			     atomic ? "atomic access" : write ? "store" : "load",
			     a, n, k);
	if (atomic && (a & (n - 1)))
		return fault(prog, ctx, prog->insns + pc, -EFAULT,
			     "misaligned atomic access", a, n, 0);
	return 0;
}

int uebpf_interp_fault(const struct uebpf_prog *prog,
		       struct uebpf_run_ctx *ctx, size_t pc, int err,
		       const char *what)
{
	return fault(prog, ctx, prog->insns + pc, err, what, 0, 0, 0);
}

int uebpf_interp_run(const struct uebpf_prog *prog, struct uebpf_run_ctx *ctx,
		     uint64_t r1, uint64_t r2, uint64_t *r0)
{
	return prog->checked ? run_checked(prog, ctx, r1, r2, r0) :
			       run_fast(prog, ctx, r1, r2, r0);
}
