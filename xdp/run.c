/* SPDX-License-Identifier: MIT */
/*
 * Running verified XDP programs: a host's buffer becomes the context the
 * program's r1 points to, the verdict and the new bounds go back in a
 * result.  The hook (xdp/hook.c) runs through the same path.
 */
#include <stdio.h>

#include "../lib/internal.h"
#include "xdp.h"
#include "run.h"

/* The kernel never runs XDP on a frame shorter than an Ethernet header:
 * drivers drop runts, BPF_PROG_TEST_RUN refuses them with EINVAL. */
#define ETH_HLEN 14
/* The kernel's xdp_metalen_invalid(): metadata lengths are multiples of
 * 4 that fit skb_shared_info.meta_len (a u8). */
#define XDP_META_MAX 252
/* A sz no struct of this API will ever reach: the array of a caller whose
 * sz is garbage is refused before anything is read through it. */
#define SZ_MAX 4096

void uebpf_prog_set_debug_checks(struct uebpf_prog *prog, bool on)
{
	/* Unverified programs always run checked. */
	prog->checked = on || !prog->verified;
}

static int exec(struct uebpf_prog *prog, struct uebpf_xdp_ctx *xctx,
		unsigned int cpu, uint64_t *r0)
{
	struct uebpf_region regions[3 + UEBPF_MAX_USED_MAPS];
	struct uebpf_epoch_rec *rec;
	struct uebpf_run_ctx ctx;
	int err;

	ctx.prog = prog;
	ctx.cpu = cpu;
	ctx.budget = prog->insn_budget;
	ctx.err = 0;
	ctx.err_pc = 0;
	ctx.regions = regions;
	ctx.nr_regions = 0;
	ctx.xdp = xctx;
	/* Only the debug mode looks at regions: a verified run pays nothing
	 * for them. */
	if (prog->checked) {
		/* [0] is the stack, which the interpreter fills in; then the
		 * packet with its metadata, and the context's rewritten xdp_md
		 * fields, which the program may only read.  Map values lookups
		 * return are found through the program's used maps
		 * (vm/interp.c). */
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
	err = uebpf_vm_run(prog, &ctx, (uintptr_t)xctx, 0, r0);
	uebpf_epoch_exit(rec);
	return err;
}

static unsigned int this_cpu(const struct uebpf_runtime *rt)
{
	return uebpf_this_cpu < rt->nr_cpus ? uebpf_this_cpu : 0;
}

int uebpf_xdp_run_ctx(struct uebpf_prog *prog, struct uebpf_xdp_ctx *xctx,
		      uint64_t *r0)
{
	if (!prog || !xctx || !r0)
		return -EINVAL;
	if (prog->type != BPF_PROG_TYPE_XDP || !prog->verified)
		return -EINVAL;
	return exec(prog, xctx, this_cpu(prog->rt), r0);
}

/* With statistics on: the run timed and counted in the thread's slot. */
static __attribute__((noinline)) int
exec_counted(struct uebpf_prog *prog, struct uebpf_xdp_ctx *xctx, uint64_t *r0)
{
	unsigned int cpu = this_cpu(prog->rt);
	uint64_t t0 = uebpf_now_ns();
	int err;

	err = exec(prog, xctx, cpu, r0);
	uebpf_prog_stats_add(prog, cpu, 1, uebpf_now_ns() - t0);
	return err;
}

bool uebpf_xdp_prog_ok(struct uebpf_prog *prog, const char *fn)
{
	const char *tn;

	if (!prog)
		return false;
	if (prog->type != BPF_PROG_TYPE_XDP) {
		tn = uebpf_prog_type_name(prog->type);
		uebpf_run_warn(prog->rt,
			       "%s: program '%s' has type %s (%d), not XDP\n",
			       fn, prog->name, tn ? tn : "unknown",
			       (int)prog->type);
		return false;
	}
	if (!prog->verified) {
		uebpf_run_warn(prog->rt,
			       "%s: XDP program '%s' was not verified: only "
			       "programs uebpf_prog_load() or "
			       "uebpf_object_load() accepted run\n",
			       fn, prog->name);
		return false;
	}
	return true;
}

/* True when the bytes of a newer caller's struct past the fields this
 * build knows are zero (fields it asked for and would not get). */
static bool tail_zero(const void *p, size_t known, size_t sz)
{
	const unsigned char *b = p;

	for (; known < sz; known++)
		if (b[known])
			return false;
	return true;
}

/*
 * The xdp_buff a driver would build, in our terms: every bound inside the
 * frame and in order, the checks BPF_PROG_TEST_RUN makes of its input (a
 * packet of at least ETH_HLEN bytes, metadata a multiple of 4 bytes and at
 * most 252).  On failure, why is the reason, for the log.
 */
static int buff_to_ctx(const struct uebpf_xdp_buff *b, struct uebpf_xdp_ctx *x,
		       char *why, size_t why_sz)
{
	uintptr_t hard, meta, data, end, frame_end;

	if (b->sz < offsetofend(struct uebpf_xdp_buff, data_end) ||
	    b->sz > SZ_MAX) {
		snprintf(why, why_sz,
			 "sz is %zu; declare the buffer with UEBPF_OPTS()",
			 b->sz);
		return -EINVAL;
	}
	if (unlikely(b->sz > sizeof(*b)) && !tail_zero(b, sizeof(*b), b->sz)) {
		snprintf(why, why_sz,
			 "sz is %zu, and bytes past the %zu this libuebpf "
			 "knows are not zero",
			 b->sz, sizeof(*b));
		return -EINVAL;
	}
	if (!b->data || !b->data_end) {
		snprintf(why, why_sz, "data or data_end is NULL");
		return -EINVAL;
	}
	data = (uintptr_t)b->data;
	end = (uintptr_t)b->data_end;
	hard = OPTS_GET(b, data_hard_start, NULL)
		       ? (uintptr_t)b->data_hard_start
		       : data;
	meta = OPTS_GET(b, data_meta, NULL) ? (uintptr_t)b->data_meta : data;
	if (end < data) {
		snprintf(why, why_sz, "data_end is %zu bytes before data",
			 (size_t)(data - end));
		return -EINVAL;
	}
	if (hard > data) {
		snprintf(why, why_sz, "data_hard_start is %zu bytes after data",
			 (size_t)(hard - data));
		return -EINVAL;
	}
	if (meta < hard || meta > data) {
		snprintf(why, why_sz,
			 "data_meta is outside [data_hard_start, data]");
		return -EINVAL;
	}
	if ((data - meta) % 4 || data - meta > XDP_META_MAX) {
		snprintf(why, why_sz,
			 "%zu bytes of metadata: the kernel allows a multiple "
			 "of 4 bytes, at most %d",
			 (size_t)(data - meta), XDP_META_MAX);
		return -EINVAL;
	}
	if (end - data < ETH_HLEN) {
		snprintf(why, why_sz,
			 "a packet of %zu bytes is shorter than an Ethernet "
			 "header (%d): the kernel never runs XDP on one "
			 "(BPF_PROG_TEST_RUN refuses it with EINVAL)",
			 (size_t)(end - data), ETH_HLEN);
		return -EINVAL;
	}
	if (OPTS_GET(b, frame_sz, 0)) {
		frame_end = hard + b->frame_sz;
		if (frame_end < end) {
			snprintf(why, why_sz,
				 "frame_sz %u ends %zu bytes before data_end",
				 b->frame_sz, (size_t)(end - frame_end));
			return -EINVAL;
		}
	} else {
		frame_end = end;
		if (end - hard > UINT32_MAX) {
			snprintf(why, why_sz, "the frame is larger than 4 GiB");
			return -EINVAL;
		}
	}
	x->data = b->data;
	x->data_end = b->data_end;
	x->data_meta = (void *)meta;
	x->ingress_ifindex = OPTS_GET(b, ingress_ifindex, 0);
	x->rx_queue_index = OPTS_GET(b, rx_queue_index, 0);
	x->egress_ifindex = OPTS_GET(b, egress_ifindex, 0);
	x->frame_sz = (uint32_t)(frame_end - hard);
	x->data_hard_start = (void *)hard;
	x->redirect_kind = UEBPF_XDP_REDIRECT_NONE;
	x->redirect_ifindex = 0;
	x->redirect_map = NULL;
	x->redirect_key = 0;
	x->redirect_flags = 0;
	return 0;
}

int uebpf_xdp_result_ok(struct uebpf_runtime *rt,
			const struct uebpf_xdp_result *res, const char *fn)
{
	if (!res || (res->sz >= offsetofend(struct uebpf_xdp_result, action) &&
		     res->sz <= SZ_MAX))
		return 0;
	uebpf_run_warn(rt,
		       "%s: struct uebpf_xdp_result has sz %zu; declare it "
		       "with UEBPF_OPTS()\n",
		       fn, res->sz);
	return -EINVAL;
}

#define RES_SET(r, field, v)              \
	do {                              \
		if (OPTS_HAS(r, field))   \
			(r)->field = (v); \
	} while (0)

/* Only the fields that fit in res->sz are written. */
static void fill_result(struct uebpf_prog *prog, const struct uebpf_xdp_ctx *x,
			uint64_t r0, int err, struct uebpf_xdp_result *res)
{
	uint32_t act = err ? XDP_ABORTED : (uint32_t)r0;

	if (act > XDP_REDIRECT) {
		if (!atomic_exchange(&prog->warned_action, true))
			pr_warn(prog->rt,
				"XDP program %s returned %u, which is no XDP "
				"action: treated as XDP_ABORTED, as the "
				"kernel's drivers do (expect packet loss)\n",
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

/* A buffer the run API refuses: the result says why, in err. */
static int refuse(struct uebpf_runtime *rt, const struct uebpf_xdp_buff *buf,
		  const char *why, struct uebpf_xdp_result *res)
{
	uebpf_run_warn(rt, "XDP buffer refused: %s\n", why);
	RES_SET(res, action, XDP_ABORTED);
	RES_SET(res, retval, 0);
	RES_SET(res, err, -EINVAL);
	/* The buffer as the caller gave it (nothing ran). */
	RES_SET(res, data, OPTS_GET(buf, data, NULL));
	RES_SET(res, data_end, OPTS_GET(buf, data_end, NULL));
	RES_SET(res, data_meta,
		OPTS_GET(buf, data_meta, NULL) ? buf->data_meta
					       : OPTS_GET(buf, data, NULL));
	if (OPTS_HAS(res, redirect))
		memset(&res->redirect, 0, sizeof(res->redirect));
	return -EINVAL;
}

int uebpf_xdp_run_one(struct uebpf_prog *prog, const struct uebpf_xdp_buff *buf,
		      struct uebpf_xdp_result *res)
{
	struct uebpf_xdp_ctx x;
	char why[256];
	uint64_t r0 = 0;
	int err;

	if (!buf)
		return refuse(prog->rt, buf, "the buffer is NULL", res);
	err = buff_to_ctx(buf, &x, why, sizeof(why));
	if (err)
		return refuse(prog->rt, buf, why, res);
	if (unlikely(uebpf_stats_on(prog->rt)))
		err = exec_counted(prog, &x, &r0);
	else
		err = exec(prog, &x, this_cpu(prog->rt), &r0);
	fill_result(prog, &x, r0, err, res);
	if (err)
		return err;
	return (uint32_t)r0 > XDP_REDIRECT ? XDP_ABORTED : (int)(uint32_t)r0;
}

int uebpf_xdp_pass(struct uebpf_runtime *rt, const struct uebpf_xdp_buff *buf,
		   struct uebpf_xdp_result *res)
{
	struct uebpf_xdp_ctx x;
	char why[256];

	if (!buf)
		return refuse(rt, buf, "the buffer is NULL", res);
	if (buff_to_ctx(buf, &x, why, sizeof(why)))
		return refuse(rt, buf, why, res);
	RES_SET(res, action, XDP_PASS);
	RES_SET(res, retval, XDP_PASS);
	RES_SET(res, err, 0);
	RES_SET(res, data, x.data);
	RES_SET(res, data_end, x.data_end);
	RES_SET(res, data_meta, x.data_meta);
	if (OPTS_HAS(res, redirect))
		memset(&res->redirect, 0, sizeof(res->redirect));
	return XDP_PASS;
}

int uebpf_xdp_batch_shape(struct uebpf_runtime *rt,
			  const struct uebpf_xdp_buff *bufs, size_t n,
			  const struct uebpf_xdp_result *results,
			  const char *fn, size_t *bstride, size_t *rstride)
{
	size_t i;

	*bstride = *rstride = 0;
	if (n > INT32_MAX) {
		uebpf_run_warn(
			rt,
			"%s: %zu buffers is more than a batch may hold (%d)\n",
			fn, n, INT32_MAX);
		return -EINVAL;
	}
	if (!n)
		return 0;
	if (!bufs) {
		uebpf_run_warn(rt, "%s: bufs is NULL\n", fn);
		return -EINVAL;
	}
	/* Each array's stride is its elements' sz: a caller built against
	 * an older or newer header passes elements of its own size. */
	*bstride = bufs[0].sz;
	if (*bstride < offsetofend(struct uebpf_xdp_buff, data_end) ||
	    *bstride > SZ_MAX) {
		uebpf_run_warn(rt,
			       "%s: bufs[0].sz is %zu; declare the buffers "
			       "with UEBPF_OPTS()\n",
			       fn, *bstride);
		return -EINVAL;
	}
	if (results) {
		*rstride = results[0].sz;
		if (uebpf_xdp_result_ok(rt, results, fn))
			return -EINVAL;
	}
	for (i = 1; i < n; i++) {
		const struct uebpf_xdp_buff *b =
			(const void *)((const char *)bufs + i * *bstride);
		const struct uebpf_xdp_result *r =
			(const void *)((const char *)results + i * *rstride);

		if (b->sz != *bstride || (results && r->sz != *rstride)) {
			uebpf_run_warn(rt,
				       "%s: element %zu has sz %zu, element 0 "
				       "has %zu: every element of an array has "
				       "the same sz\n",
				       fn, i, b->sz != *bstride ? b->sz : r->sz,
				       b->sz != *bstride ? *bstride : *rstride);
			return -EINVAL;
		}
	}
	return 0;
}

int uebpf_xdp_run(struct uebpf_prog *prog, const struct uebpf_xdp_buff *buf,
		  struct uebpf_xdp_result *result)
{
	if (!uebpf_xdp_prog_ok(prog, "uebpf_xdp_run"))
		return -EINVAL;
	if (uebpf_xdp_result_ok(prog->rt, result, "uebpf_xdp_run"))
		return -EINVAL;
	return uebpf_xdp_run_one(prog, buf, result);
}

int uebpf_xdp_run_batch(struct uebpf_prog *prog,
			const struct uebpf_xdp_buff *bufs, size_t n,
			struct uebpf_xdp_result *results)
{
	size_t i, bs, rs;

	if (!uebpf_xdp_prog_ok(prog, "uebpf_xdp_run_batch"))
		return -EINVAL;
	if (uebpf_xdp_batch_shape(prog->rt, bufs, n, results,
				  "uebpf_xdp_run_batch", &bs, &rs))
		return -EINVAL;
	for (i = 0; i < n; i++)
		uebpf_xdp_run_one(prog, UEBPF_XDP_AT(bufs, bs, i),
				  results ? UEBPF_XDP_AT(results, rs, i)
					  : NULL);
	return (int)n;
}
