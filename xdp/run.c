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
	ctx.xdp = xctx;
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

/* The xdp_buff checks the kernel's BPF_PROG_TEST_RUN makes of a ctx_in
 * (xdp_convert_md_to_buff), in our terms: every bound inside the frame
 * and in order. */
static int buff_to_ctx(const struct uebpf_xdp_buff *b, struct uebpf_xdp_ctx *x)
{
	uintptr_t hard, meta, data, end, frame_end;

	if (!OPTS_HAS(b, data_end) || !b->data || !b->data_end)
		return -EINVAL;
	data = (uintptr_t)b->data;
	end = (uintptr_t)b->data_end;
	hard = b->data_hard_start ? (uintptr_t)b->data_hard_start : data;
	meta = OPTS_GET(b, data_meta, NULL) ? (uintptr_t)b->data_meta : data;
	frame_end = OPTS_GET(b, frame_sz, 0) ? hard + b->frame_sz : end;
	if (hard > meta || meta > data || data > end || end > frame_end ||
	    frame_end < hard)
		return -EINVAL;
	memset(x, 0, sizeof(*x));
	x->data = b->data;
	x->data_end = b->data_end;
	x->data_meta = (void *)meta;
	x->data_hard_start = (void *)hard;
	x->frame_sz = (uint32_t)(frame_end - hard);
	x->ingress_ifindex = OPTS_GET(b, ingress_ifindex, 0);
	x->rx_queue_index = OPTS_GET(b, rx_queue_index, 0);
	x->egress_ifindex = OPTS_GET(b, egress_ifindex, 0);
	return 0;
}

#define RES_SET(r, field, v)                                                   \
	do {                                                                   \
		if (OPTS_HAS(r, field))                                        \
			(r)->field = (v);                                      \
	} while (0)

static void fill_result(struct uebpf_prog *prog,
			const struct uebpf_xdp_ctx *x, uint64_t r0, int err,
			struct uebpf_xdp_result *res)
{
	uint32_t act = err ? XDP_ABORTED : (uint32_t)r0;

	if (act > XDP_REDIRECT) {
		if (!atomic_exchange(&prog->warned_action, true))
			pr_warn(prog->rt,
				"XDP program %s returned %u, which is no XDP "
				"action: treated as XDP_ABORTED, as the "
				"kernel's drivers do (expect packet loss)",
				prog->name, act);
		act = XDP_ABORTED;
	}
	if (!res)
		return;
	RES_SET(res, action, act);
	RES_SET(res, retval, err ? 0 : (uint32_t)r0);
	RES_SET(res, err, err);
	RES_SET(res, data, x->data);
	RES_SET(res, data_end, x->data_end);
	RES_SET(res, data_meta, x->data_meta);
	if (OPTS_HAS(res, redirect)) {
		memset(&res->redirect, 0, sizeof(res->redirect));
		if (act == XDP_REDIRECT) {
			res->redirect.kind = x->redirect_kind;
			res->redirect.ifindex = x->redirect_ifindex;
			res->redirect.map = x->redirect_map;
			res->redirect.key = x->redirect_key;
			res->redirect.flags = x->redirect_flags;
		}
	}
}

static bool runnable(const struct uebpf_prog *prog)
{
	return prog && prog->type == BPF_PROG_TYPE_XDP && prog->verified;
}

static int run_one(struct uebpf_prog *prog, const struct uebpf_xdp_buff *buf,
		   struct uebpf_xdp_result *res)
{
	struct uebpf_xdp_ctx x;
	uint64_t r0 = 0;
	int err;

	err = buff_to_ctx(buf, &x);
	if (err) {
		pr_warn(prog->rt,
			"XDP buffer: bounds out of order or outside the frame "
			"(need data_hard_start <= data_meta <= data <= "
			"data_end <= data_hard_start + frame_sz)");
		memset(&x, 0, sizeof(x));
		fill_result(prog, &x, 0, err, res);
		return err;
	}
	err = uebpf_xdp_run_ctx(prog, &x, &r0);
	fill_result(prog, &x, r0, err, res);
	if (err)
		return err;
	return (uint32_t)r0 > XDP_REDIRECT ? XDP_ABORTED : (int)(uint32_t)r0;
}

int uebpf_xdp_run(struct uebpf_prog *prog, const struct uebpf_xdp_buff *buf,
		  struct uebpf_xdp_result *result)
{
	if (!runnable(prog) || !buf)
		return -EINVAL;
	return run_one(prog, buf, result);
}

int uebpf_xdp_run_batch(struct uebpf_prog *prog,
			const struct uebpf_xdp_buff *bufs, size_t n,
			struct uebpf_xdp_result *results)
{
	size_t i;

	if (!runnable(prog) || (n && !bufs) || n > INT32_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		run_one(prog, &bufs[i], results ? &results[i] : NULL);
	return (int)n;
}
