/* SPDX-License-Identifier: MIT */
/*
 * The XDP attach point (struct uebpf_xdp_hook): an empty hook passes
 * every packet unchanged; attach swaps programs, with XDP_FLAGS_REPLACE's
 * expected program (-EEXIST on mismatch) and the kernel's refusals
 * (-EINVAL for a program of another type, one loaded for a devmap or
 * cpumap, one of another runtime); the hook's reference is dropped only
 * once no run can hold the old program; and workers bound to CPU slots
 * run packets through the hook while the control plane swaps programs
 * thousands of times: every verdict is one of an attached program's,
 * every batch runs on one program, a counting program's per-CPU counter
 * equals the verdicts seen, and every program is freed in the end.
 */
#include <inttypes.h>

#include "xdp_test.h"

static struct uebpf_runtime *rt;

static int setup(void **state)
{
	(void)state;
	rt = rt_new(4, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	uebpf_worker_bind(rt, 0);
	rt_free(rt);
	return 0;
}

/* Is a program with this id still alive (anyone holding a reference)? */
static bool prog_alive(uint32_t id)
{
	struct uebpf_prog *p = uebpf_prog_get_by_id_internal(rt, id);

	if (p)
		uebpf_prog_put(p);
	return p != NULL;
}

static struct uebpf_xdp_hook *hook_new(void)
{
	struct uebpf_xdp_hook *h = uebpf_xdp_hook_new(rt);

	assert_non_null(h);
	return h;
}

static int attach(struct uebpf_xdp_hook *h, struct uebpf_prog *p)
{
	return uebpf_xdp_hook_attach(h, p, NULL);
}

static int attach_replacing(struct uebpf_xdp_hook *h, struct uebpf_prog *p,
			    struct uebpf_prog *expected)
{
	UEBPF_OPTS(uebpf_xdp_hook_attach_opts, o, .replace = true,
		   .expected_prog = expected);

	return uebpf_xdp_hook_attach(h, p, &o);
}

static int hook_verdict(struct uebpf_xdp_hook *h)
{
	struct uebpf_xdp_buff b;
	struct frame f;

	frame_buff(&f, 64, &b);
	return uebpf_xdp_hook_run(h, &b, NULL);
}

/* ---- an empty hook ------------------------------------------------------ */

static void test_empty_hook(void **state)
{
	struct uebpf_xdp_hook *h = hook_new();
	struct uebpf_xdp_result res[3];
	struct uebpf_xdp_buff bufs[3];
	struct frame f[3];
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		frame_fill(&f[i], 64, i);
		frame_buff(&f[i], 64, &bufs[i]);
		memset(&res[i], 0, sizeof(res[i]));
		res[i].sz = sizeof(res[i]);
		res[i].action = XDP_DROP;
	}
	bufs[2].data_meta = (char *)bufs[2].data - 8;
	assert_int_equal(uebpf_xdp_hook_run(h, &bufs[0], &res[0]), XDP_PASS);
	assert_int_equal(res[0].action, XDP_PASS);
	assert_int_equal(res[0].err, 0);
	assert_ptr_equal(res[0].data, bufs[0].data);
	assert_ptr_equal(res[0].data_end, bufs[0].data_end);
	assert_ptr_equal(res[0].data_meta, bufs[0].data);
	assert_int_equal(f[0].mem[UEBPF_XDP_HEADROOM + 5], 5 * 7);

	assert_int_equal(uebpf_xdp_hook_run_batch(h, bufs, 3, res), 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(res[i].action, XDP_PASS);
	assert_ptr_equal(res[2].data_meta, bufs[2].data_meta);

	/* The buffer is still checked. */
	bufs[1].data_end = (char *)bufs[1].data + 13;
	cap.text[0] = '\0';
	assert_int_equal(uebpf_xdp_hook_run(h, &bufs[1], &res[1]), -EINVAL);
	assert_int_equal(res[1].err, -EINVAL);
	assert_int_equal(res[1].action, XDP_ABORTED);
	assert_logged("shorter than an Ethernet header");

	errno = 0;
	assert_null(uebpf_xdp_hook_prog(h));
	assert_int_equal(errno, ENOENT);
	/* Detaching nothing is fine. */
	assert_int_equal(attach(h, NULL), 0);
	uebpf_xdp_hook_free(h);

	errno = 0;
	assert_null(uebpf_xdp_hook_new(NULL));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(uebpf_xdp_hook_run(NULL, &bufs[0], NULL), -EINVAL);
	assert_int_equal(uebpf_xdp_hook_attach(NULL, NULL, NULL), -EINVAL);
	uebpf_xdp_hook_free(NULL);
}

/* ---- attach ------------------------------------------------------------- */

static void test_attach_swap(void **state)
{
	struct uebpf_xdp_hook *h = hook_new();
	struct uebpf_prog *pass = xload_ret(rt, XDP_PASS, "pass");
	struct uebpf_prog *drop = xload_ret(rt, XDP_DROP, "drop");
	struct uebpf_prog *cur;

	(void)state;
	assert_int_equal(attach(h, pass), 0);
	assert_int_equal(hook_verdict(h), XDP_PASS);
	assert_int_equal(attach(h, drop), 0);
	assert_int_equal(hook_verdict(h), XDP_DROP);
	/* Attaching what is attached changes nothing. */
	assert_int_equal(attach(h, drop), 0);
	assert_int_equal(hook_verdict(h), XDP_DROP);

	cur = uebpf_xdp_hook_prog(h);
	assert_ptr_equal(cur, drop);
	/* A reference of the caller's own: it outlives the others. */
	uebpf_prog_free(drop);
	assert_int_equal(attach(h, NULL), 0);
	assert_int_equal(hook_verdict(h), XDP_PASS);
	assert_true(prog_alive(uebpf_prog_id(cur)));
	assert_string_equal(uebpf_prog_name(cur), "drop");
	uebpf_prog_free(cur);
	assert_int_equal(attach(h, pass), 0);
	uebpf_xdp_hook_free(h);
	uebpf_prog_free(pass);
}

/* XDP_FLAGS_REPLACE: only over the program expected (or none). */
static void test_replace(void **state)
{
	struct uebpf_xdp_hook *h = hook_new();
	struct uebpf_prog *pass = xload_ret(rt, XDP_PASS, "pass");
	struct uebpf_prog *drop = xload_ret(rt, XDP_DROP, "drop");
	UEBPF_OPTS(uebpf_xdp_hook_attach_opts, o, .expected_prog = pass);

	(void)state;
	/* None attached: expected NULL matches. */
	assert_int_equal(attach_replacing(h, pass, drop), -EEXIST);
	assert_int_equal(attach_replacing(h, pass, NULL), 0);
	assert_int_equal(hook_verdict(h), XDP_PASS);
	cap.text[0] = '\0';
	assert_int_equal(attach_replacing(h, drop, NULL), -EEXIST);
	assert_logged(
		"the program attached ('pass') is not expected_prog (none)");
	assert_int_equal(attach_replacing(h, drop, drop), -EEXIST);
	assert_int_equal(hook_verdict(h), XDP_PASS);
	assert_int_equal(attach_replacing(h, drop, pass), 0);
	assert_int_equal(hook_verdict(h), XDP_DROP);
	/* Detach, replacing. */
	assert_int_equal(attach_replacing(h, NULL, pass), -EEXIST);
	assert_int_equal(attach_replacing(h, NULL, drop), 0);
	assert_int_equal(hook_verdict(h), XDP_PASS);
	/* An expected program without replace, as an expected fd without
	 * XDP_FLAGS_REPLACE. */
	cap.text[0] = '\0';
	assert_int_equal(uebpf_xdp_hook_attach(h, pass, &o), -EINVAL);
	assert_logged("expected_prog is set but replace is not");
	uebpf_xdp_hook_free(h);
	uebpf_prog_free(pass);
	uebpf_prog_free(drop);
}

/* What the kernel's dev_xdp_attach() refuses. */
static void test_attach_refused(void **state)
{
	struct uebpf_xdp_hook *h = hook_new();
	struct uebpf_prog *pass = xload_ret(rt, XDP_PASS, "pass");
	struct uebpf_prog *raw = load_ret(rt, XDP_DROP);
	struct uebpf_runtime *rt2 = rt_new_quiet(1, 0);
	struct uebpf_prog *other, *devmap;
	struct xprog x;
	struct {
		struct uebpf_xdp_hook_attach_opts o;
		uint64_t newer;
	} big = {.o.sz = sizeof(big), .newer = 1};
	UEBPF_OPTS(uebpf_xdp_hook_attach_opts, o);

	(void)state;
	assert_int_equal(attach(h, pass), 0);
	cap.text[0] = '\0';
	assert_int_equal(attach(h, raw), -EINVAL);
	assert_logged("has type UNSPEC (0), not XDP");

	xprog_ret(&x, XDP_PASS);
	devmap = xload_as(rt, &x, "devmap_prog", BPF_XDP_DEVMAP);
	cap.text[0] = '\0';
	assert_int_equal(attach(h, devmap), -EINVAL);
	assert_logged("BPF_XDP_DEVMAP");

	other = uebpf_prog_load(rt2, BPF_PROG_TYPE_XDP, x.i, x.n, NULL);
	assert_non_null(other);
	cap.text[0] = '\0';
	assert_int_equal(attach(h, other), -EINVAL);
	assert_logged("another runtime");

	o.sz = 0;
	assert_int_equal(uebpf_xdp_hook_attach(h, NULL, &o), -EINVAL);
	assert_int_equal(uebpf_xdp_hook_attach(h, NULL, &big.o), -EINVAL);
	/* Still the first. */
	assert_ptr_equal(uebpf_xdp_hook_prog(h), pass);
	uebpf_prog_free(pass);

	uebpf_xdp_hook_free(h);
	uebpf_prog_free(pass);
	uebpf_prog_free(raw);
	uebpf_prog_free(devmap);
	uebpf_prog_free(other);
	rt_sync_free(rt2);
}

/* ---- references --------------------------------------------------------- */

/* The hook's reference keeps a program the host freed; after a swap it is
 * dropped once no run can hold the program, not before. */
static void test_refs(void **state)
{
	struct uebpf_xdp_hook *h = hook_new();
	struct uebpf_prog *p = xload_ret(rt, XDP_TX, "tx");
	uint32_t id = uebpf_prog_id(p);
	struct uebpf_epoch_rec *rec;

	(void)state;
	assert_int_equal(attach(h, p), 0);
	uebpf_prog_free(p);
	assert_true(prog_alive(id));
	assert_int_equal(hook_verdict(h), XDP_TX);

	/* Detached while no run is in progress: gone at once. */
	assert_int_equal(attach(h, NULL), 0);
	assert_false(prog_alive(id));

	/* Detached while a run (here, this thread's read section) may
	 * still hold it: alive until the section ends. */
	p = xload_ret(rt, XDP_TX, "tx2");
	id = uebpf_prog_id(p);
	assert_int_equal(attach(h, p), 0);
	uebpf_prog_free(p);
	rec = uebpf_epoch_enter(&rt->epoch);
	assert_int_equal(attach(h, NULL), 0);
	assert_true(prog_alive(id));
	uebpf_epoch_exit(rec);
	uebpf_epoch_synchronize(&rt->epoch);
	assert_false(prog_alive(id));

	/* Freeing the hook detaches. */
	p = xload_ret(rt, XDP_TX, "tx3");
	id = uebpf_prog_id(p);
	assert_int_equal(attach(h, p), 0);
	uebpf_prog_free(p);
	uebpf_xdp_hook_free(h);
	uebpf_epoch_synchronize(&rt->epoch);
	assert_false(prog_alive(id));
}

/* Hook runs count in the attached program's statistics. */
static void test_hook_stats(void **state)
{
	struct uebpf_xdp_hook *h = hook_new();
	struct uebpf_prog *p = xload_ret(rt, XDP_DROP, "drop");
	UEBPF_OPTS(uebpf_prog_stats, s);
	struct uebpf_xdp_buff bufs[4];
	struct frame f[4];
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		frame_buff(&f[i], 64, &bufs[i]);
	assert_int_equal(attach(h, p), 0);
	assert_int_equal(hook_verdict(h), XDP_DROP);
	uebpf_runtime_enable_stats(rt, true);
	assert_int_equal(hook_verdict(h), XDP_DROP);
	assert_int_equal(uebpf_xdp_hook_run_batch(h, bufs, 4, NULL), 4);
	uebpf_runtime_enable_stats(rt, false);
	assert_int_equal(uebpf_prog_get_stats(p, &s), 0);
	assert_int_equal(s.run_cnt, 5);
	assert_true(s.run_time_ns > 0);
	uebpf_xdp_hook_free(h);
	uebpf_prog_free(p);
}

/* ---- swapping under load ----------------------------------------------- */

#define NWORKERS 3
#define NSWAPS	 3000
#define BATCH	 4

struct swap_ctx {
	struct uebpf_xdp_hook *hook;
	atomic_bool stop;
	atomic_uint_fast64_t runs;
};

struct swap_worker {
	struct swap_ctx *c;
	unsigned int slot;
	uint64_t verdicts[XDP_REDIRECT + 1];
};

static void *swap_worker_main(void *arg)
{
	struct swap_worker *w = arg;
	struct uebpf_xdp_result res[BATCH];
	struct uebpf_xdp_buff bufs[BATCH];
	struct frame f[BATCH];
	uint64_t n = 0;
	int i, ret;

	CHECK(uebpf_worker_bind(rt, w->slot) == 0);
	for (i = 0; i < BATCH; i++) {
		frame_buff(&f[i], 64, &bufs[i]);
		memset(&res[i], 0, sizeof(res[i]));
		res[i].sz = sizeof(res[i]);
	}
	while (!atomic_load_explicit(&w->c->stop, memory_order_relaxed)) {
		if (n++ % 2) {
			ret = uebpf_xdp_hook_run(w->c->hook, &bufs[0], &res[0]);
			CHECK(ret == XDP_PASS || ret == XDP_DROP ||
			      ret == XDP_TX);
			CHECK(res[0].err == 0 &&
			      res[0].action == (uint32_t)ret);
			if (ret >= 0 && ret <= XDP_REDIRECT)
				w->verdicts[ret]++;
			continue;
		}
		CHECK(uebpf_xdp_hook_run_batch(w->c->hook, bufs, BATCH, res) ==
		      BATCH);
		for (i = 0; i < BATCH; i++) {
			CHECK(res[i].err == 0);
			/* One program for the whole batch. */
			CHECK(res[i].action == res[0].action);
			if (res[i].action <= XDP_REDIRECT)
				w->verdicts[res[i].action]++;
		}
	}
	return NULL;
}

static void test_swap_under_load(void **state)
{
	struct swap_worker w[NWORKERS];
	struct uebpf_map *counter;
	struct swap_ctx c = {0};
	pthread_t th[NWORKERS];
	uint32_t ids[NSWAPS], k = 0;
	uint64_t tx = 0, v[4], sum = 0, total = 0;
	struct xprog progs[3];
	struct uebpf_prog *p;
	unsigned int i, j;

	(void)state;
	counter = create(rt, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, 0);
	xprog_ret(&progs[0], XDP_PASS);
	xprog_ret(&progs[1], XDP_DROP);
	xprog_bump(&progs[2], uebpf_map_id(counter), XDP_TX);
	c.hook = hook_new();
	memset(w, 0, sizeof(w));
	for (i = 0; i < NWORKERS; i++) {
		w[i].c = &c;
		w[i].slot = i;
		assert_int_equal(
			pthread_create(&th[i], NULL, swap_worker_main, &w[i]),
			0);
	}
	/* A fresh program each time, whose only reference after the attach
	 * is the hook's: a swap frees it once the workers let go. */
	for (i = 0; i < NSWAPS; i++) {
		p = xload(rt, &progs[i % 3], "swap");
		ids[i] = uebpf_prog_id(p);
		assert_int_equal(attach(c.hook, p), 0);
		uebpf_prog_free(p);
		if (i % 500 == 0)
			usleep(1000);
	}
	atomic_store(&c.stop, true);
	for (i = 0; i < NWORKERS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_load(&thread_failures), 0);

	assert_int_equal(attach(c.hook, NULL), 0);
	uebpf_epoch_synchronize(&rt->epoch);
	for (i = 0; i < NSWAPS; i++)
		if (prog_alive(ids[i]))
			fail_msg("program %u (swap %u) is still alive", ids[i],
				 i);

	for (i = 0; i < NWORKERS; i++) {
		tx += w[i].verdicts[XDP_TX];
		for (j = 0; j <= XDP_REDIRECT; j++)
			total += w[i].verdicts[j];
	}
	assert_int_equal(uebpf_map_lookup_elem(counter, &k, v), 0);
	for (i = 0; i < 4; i++)
		sum += v[i];
	/* Each TX verdict is one run of the counting program. */
	assert_int_equal(sum, tx);
	assert_int_equal(v[3], 0); /* no worker on slot 3 */
	print_message("  %" PRIu64 " packets through %d swaps, %" PRIu64
		      " by the counting program\n",
		      total, NSWAPS, tx);
	assert_true(total > 0);
	uebpf_xdp_hook_free(c.hook);
	uebpf_map_put(counter);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_empty_hook),
		T(test_attach_swap),
		T(test_replace),
		T(test_attach_refused),
		T(test_refs),
		T(test_hook_stats),
		T(test_swap_under_load),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
