/* SPDX-License-Identifier: MIT */
/*
 * The XDP attach point: one program pointer that workers read inside an
 * epoch section and the control plane swaps.  The hook holds a reference
 * on its program; a program swapped out keeps it until every run that may
 * have loaded the old pointer has left its section (uebpf_epoch_retire),
 * as the kernel's dev_xdp_install() puts the old program after an RCU
 * grace period.
 */
#include <stdlib.h>

#include "run.h"

struct uebpf_xdp_hook {
	struct uebpf_runtime *rt;
	_Atomic(struct uebpf_prog *) prog;
	pthread_mutex_t lock; /* one attacher at a time */
};

struct uebpf_xdp_hook *uebpf_xdp_hook_new(struct uebpf_runtime *rt)
{
	struct uebpf_xdp_hook *hook;

	if (!rt) {
		errno = EINVAL;
		return NULL;
	}
	hook = calloc(1, sizeof(*hook));
	if (!hook || pthread_mutex_init(&hook->lock, NULL)) {
		free(hook);
		errno = ENOMEM;
		return NULL;
	}
	hook->rt = rt;
	atomic_init(&hook->prog, NULL);
	return hook;
}

static void hook_put(void *p)
{
	uebpf_prog_put(p);
}

/* The hook's reference on old goes once no run can hold it; freed now
 * when no worker is inside a run, else by a later reclaim. */
static void retire(struct uebpf_runtime *rt, struct uebpf_prog *old)
{
	if (!old)
		return;
	uebpf_epoch_retire(&rt->epoch, old, hook_put);
	uebpf_epoch_reclaim(&rt->epoch);
}

void uebpf_xdp_hook_free(struct uebpf_xdp_hook *hook)
{
	if (!hook)
		return;
	retire(hook->rt, atomic_exchange(&hook->prog, NULL));
	pthread_mutex_destroy(&hook->lock);
	free(hook);
}

/* What the kernel's dev_xdp_attach() refuses of a program. */
static int attachable(struct uebpf_xdp_hook *hook, struct uebpf_prog *prog)
{
	if (prog->rt != hook->rt) {
		pr_warn(hook->rt,
			"uebpf_xdp_hook_attach: program '%s' belongs to "
			"another runtime than the hook\n",
			prog->name);
		return -EINVAL;
	}
	if (!uebpf_xdp_prog_ok(prog, "uebpf_xdp_hook_attach"))
		return -EINVAL;
	if (prog->expected_attach_type == BPF_XDP_DEVMAP ||
	    prog->expected_attach_type == BPF_XDP_CPUMAP) {
		pr_warn(hook->rt,
			"uebpf_xdp_hook_attach: program '%s' was loaded for "
			"%s: such programs run on redirected packets and "
			"cannot be attached to a device, as in the kernel\n",
			prog->name,
			prog->expected_attach_type == BPF_XDP_DEVMAP
				? "BPF_XDP_DEVMAP"
				: "BPF_XDP_CPUMAP");
		return -EINVAL;
	}
	return 0;
}

int uebpf_xdp_hook_attach(struct uebpf_xdp_hook *hook, struct uebpf_prog *prog,
			  const struct uebpf_xdp_hook_attach_opts *opts)
{
	struct uebpf_prog *cur, *expected;
	bool replace;
	int err;

	if (!hook)
		return -EINVAL;
	if (!OPTS_VALID(hook->rt, opts, uebpf_xdp_hook_attach_opts, replace))
		return -EINVAL;
	replace = OPTS_GET(opts, replace, false);
	expected = OPTS_GET(opts, expected_prog, NULL);
	if (expected && !replace) {
		/* The kernel: an expected fd without XDP_FLAGS_REPLACE. */
		pr_warn(hook->rt, "uebpf_xdp_hook_attach: expected_prog is set "
				  "but replace is not\n");
		return -EINVAL;
	}
	if (prog) {
		err = attachable(hook, prog);
		if (err)
			return err;
	}
	pthread_mutex_lock(&hook->lock);
	cur = atomic_load_explicit(&hook->prog, memory_order_relaxed);
	if (replace && cur != expected) {
		pthread_mutex_unlock(&hook->lock);
		pr_warn(hook->rt,
			"uebpf_xdp_hook_attach: the program attached (%s%s%s) "
			"is not expected_prog (%s%s%s)\n",
			cur ? "'" : "", cur ? cur->name : "none",
			cur ? "'" : "", expected ? "'" : "",
			expected ? expected->name : "none",
			expected ? "'" : "");
		return -EEXIST;
	}
	if (cur == prog) {
		pthread_mutex_unlock(&hook->lock);
		return 0;
	}
	if (prog)
		uebpf_prog_ref(prog);
	/* release: a worker that loads prog sees it whole. */
	atomic_store_explicit(&hook->prog, prog, memory_order_release);
	pthread_mutex_unlock(&hook->lock);
	retire(hook->rt, cur);
	return 0;
}

struct uebpf_prog *uebpf_xdp_hook_prog(struct uebpf_xdp_hook *hook)
{
	struct uebpf_epoch_rec *rec;
	struct uebpf_prog *prog;

	if (!hook) {
		errno = EINVAL;
		return NULL;
	}
	/* Inside the section the hook's reference cannot be dropped, so
	 * the count is above zero when we add ours. */
	rec = uebpf_epoch_enter(&hook->rt->epoch);
	prog = atomic_load_explicit(&hook->prog, memory_order_acquire);
	if (prog)
		uebpf_prog_ref(prog);
	uebpf_epoch_exit(rec);
	if (!prog)
		errno = ENOENT;
	return prog;
}

int uebpf_xdp_hook_run(struct uebpf_xdp_hook *hook,
		       const struct uebpf_xdp_buff *buf,
		       struct uebpf_xdp_result *result)
{
	struct uebpf_epoch_rec *rec;
	struct uebpf_prog *prog;
	int ret;

	if (!hook)
		return -EINVAL;
	if (uebpf_xdp_result_ok(hook->rt, result, "uebpf_xdp_hook_run"))
		return -EINVAL;
	rec = uebpf_epoch_enter(&hook->rt->epoch);
	prog = atomic_load_explicit(&hook->prog, memory_order_acquire);
	if (prog)
		ret = uebpf_xdp_run_one(prog, buf, result);
	else
		ret = uebpf_xdp_pass(hook->rt, buf, result);
	uebpf_epoch_exit(rec);
	return ret;
}

int uebpf_xdp_hook_run_batch(struct uebpf_xdp_hook *hook,
			     const struct uebpf_xdp_buff *bufs, size_t n,
			     struct uebpf_xdp_result *results)
{
	struct uebpf_epoch_rec *rec;
	struct uebpf_prog *prog;
	size_t i, bs, rs;

	if (!hook)
		return -EINVAL;
	if (uebpf_xdp_batch_shape(hook->rt, bufs, n, results,
				  "uebpf_xdp_hook_run_batch", &bs, &rs))
		return -EINVAL;
	/* One program for the whole batch, as for a driver's NAPI poll. */
	rec = uebpf_epoch_enter(&hook->rt->epoch);
	prog = atomic_load_explicit(&hook->prog, memory_order_acquire);
	for (i = 0; i < n; i++) {
		const struct uebpf_xdp_buff *b = UEBPF_XDP_AT(bufs, bs, i);
		struct uebpf_xdp_result *r =
			results ? UEBPF_XDP_AT(results, rs, i) : NULL;

		if (prog)
			uebpf_xdp_run_one(prog, b, r);
		else
			uebpf_xdp_pass(hook->rt, b, r);
	}
	uebpf_epoch_exit(rec);
	return (int)n;
}
