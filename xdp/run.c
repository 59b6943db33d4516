/* SPDX-License-Identifier: MIT */
/* Running verified XDP programs on a context the caller prepared. */
#include "../lib/internal.h"
#include "xdp.h"

void uebpf_prog_set_debug_checks(struct uebpf_prog *prog, bool on)
{
	/* Unverified programs always run checked. */
	prog->checked = on || !prog->verified;
}

int uebpf_xdp_run_ctx(struct uebpf_prog *prog, struct uebpf_xdp_ctx *xctx,
		      uint64_t *r0)
{
	struct uebpf_region regions[3 + UEBPF_MAX_USED_MAPS];
	struct uebpf_epoch_rec *rec;
	struct uebpf_run_ctx ctx;
	int err;

	if (!prog || !xctx || !r0)
		return -EINVAL;
	if (prog->type != BPF_PROG_TYPE_XDP || !prog->verified)
		return -EINVAL;
	ctx.prog = prog;
	ctx.cpu = uebpf_this_cpu < prog->rt->nr_cpus ? uebpf_this_cpu : 0;
	ctx.budget = prog->insn_budget;
	ctx.err = 0;
	ctx.err_pc = 0;
	ctx.regions = regions;
	ctx.nr_regions = 0;
	/* Only the debug mode looks at regions: a verified run pays nothing
	 * for them. */
	if (prog->checked) {
		/* [0] is the stack, which the interpreter fills in; then the packet
		 * with its metadata, and the context's rewritten xdp_md fields,
		 * which the program may only read.  Map values lookups return are
		 * found through the program's used maps (vm/interp.c). */
		regions[1].lo = (uintptr_t)xctx->data_meta;
		regions[1].hi = (uintptr_t)xctx->data_end;
		regions[1].flags = 0;
		regions[2].lo = (uintptr_t)xctx;
		/* The fields past frame_sz are the helpers' alone. */
		regions[2].hi = (uintptr_t)&xctx->data_hard_start;
		regions[2].flags = UEBPF_REGION_RDONLY;
		if (prog->nr_value_regions)
			memcpy(&regions[3], prog->value_regions,
			       prog->nr_value_regions * sizeof(*regions));
		ctx.nr_regions = 3 + prog->nr_value_regions;
	}
	rec = uebpf_epoch_enter(&prog->rt->epoch);
	err = uebpf_interp_run(prog, &ctx, (uintptr_t)xctx, 0, r0);
	uebpf_epoch_exit(rec);
	return err;
}
