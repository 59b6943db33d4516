/* SPDX-License-Identifier: MIT */
/*
 * uebpf_xdp_run() and uebpf_xdp_run_batch(): verdicts, results that honour
 * their sz, the buffers the run API refuses (and why), programs of the
 * wrong type; run statistics (uebpf_runtime_enable_stats,
 * uebpf_prog_get_stats) per CPU slot; workers: per-CPU maps,
 * bpf_get_smp_processor_id() and bpf_get_prandom_u32() per bound thread.
 *
 * The kernel is the oracle where it can be asked (BPF_PROG_TEST_RUN
 * through libbpf): verdicts and retval of the same instructions, the
 * bytes a program writes, which packet and metadata lengths a run
 * accepts, and how runs are counted with BPF_ENABLE_STATS.  Those tests
 * skip, with the reason printed, without CAP_BPF.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp_test.h"

static struct uebpf_runtime *rt;
static char no_kernel[256];

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

/* Empties the log capture and the run API's rate limit (10 warnings per
 * 5 s), so the next warning is logged. */
static void log_reset(void)
{
	cap.text[0] = '\0';
	atomic_store(&rt->run_rl.printed, 0);
}

static void need_kernel(void)
{
	if (no_kernel[0]) {
		print_message("[  SKIP    ] %s\n", no_kernel);
		skip();
	}
}

/* The same instructions in the kernel: an fd, or -errno. */
static int kload(const struct xprog *p)
{
	static char klog[8192];
	LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = klog,
		    .log_size = sizeof(klog), .log_level = 1);
	int fd;

	klog[0] = '\0';
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xdp_run", "GPL", p->i, p->n, &o);
	if (fd < 0)
		print_message("kernel verifier: %s\n", klog);
	return fd;
}

/* BPF_PROG_TEST_RUN on pkt (len bytes) with meta bytes of metadata
 * before it; out receives the packet after the run.  Returns the
 * syscall's result. */
static int ktest_run(int fd, const void *pkt, uint32_t len, uint32_t meta,
		     void *out, uint32_t *out_len, uint32_t *retval)
{
	unsigned char in[4096];
	struct xdp_md ctx = {.data = meta, .data_end = meta + len};
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = in,
		    .data_size_in = meta + len, .data_out = out,
		    .data_size_out = out ? 4096 : 0, .repeat = 1);
	int err;

	assert_true(meta + len <= sizeof(in));
	memset(in, 0, meta);
	memcpy(in + meta, pkt, len);
	if (meta) {
		t.ctx_in = &ctx;
		t.ctx_size_in = sizeof(ctx);
	}
	err = bpf_prog_test_run_opts(fd, &t);
	if (retval)
		*retval = t.retval;
	if (out_len)
		*out_len = t.data_size_out;
	return err;
}

/* ---- verdicts and results ----------------------------------------------- */

static void test_verdicts(void **state)
{
	static const uint32_t rets[] = {XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX,
					XDP_REDIRECT};
	struct uebpf_xdp_buff b;
	struct frame f;
	unsigned int i;

	(void)state;
	frame_fill(&f, 60, 1);
	for (i = 0; i < ARRAY_LEN(rets); i++) {
		struct uebpf_prog *p = xload_ret(rt, rets[i], "verdict");
		UEBPF_OPTS(uebpf_xdp_result, r, .err = 1);

		frame_buff(&f, 60, &b);
		assert_int_equal(uebpf_xdp_run(p, &b, &r), (int)rets[i]);
		assert_int_equal(r.action, rets[i]);
		assert_int_equal(r.retval, rets[i]);
		assert_int_equal(r.err, 0);
		assert_ptr_equal(r.data, b.data);
		assert_ptr_equal(r.data_end, b.data_end);
		assert_ptr_equal(r.data_meta, b.data);
		/* No bpf_redirect() in the run: no target. */
		assert_int_equal(r.redirect.kind, UEBPF_XDP_REDIRECT_NONE);
		/* result may be NULL. */
		assert_int_equal(uebpf_xdp_run(p, &b, NULL), (int)rets[i]);
		uebpf_prog_free(p);
	}
}

/* A return value outside 0..4 is XDP_ABORTED, as drivers treat it; the
 * retval is what the program returned, and the warning comes once. */
static void test_invalid_verdict(void **state)
{
	struct uebpf_prog *p = xload_ret(rt, 7, "seven");
	UEBPF_OPTS(uebpf_xdp_result, r);
	struct uebpf_xdp_buff b;
	struct frame f;
	const char *first;

	(void)state;
	frame_fill(&f, 64, 3);
	frame_buff(&f, 64, &b);
	log_reset();
	assert_int_equal(uebpf_xdp_run(p, &b, &r), XDP_ABORTED);
	assert_int_equal(r.action, XDP_ABORTED);
	assert_int_equal(r.retval, 7);
	assert_int_equal(r.err, 0);
	assert_logged("returned 7, which is no XDP action");
	first = strstr(cap.text, "no XDP action");
	assert_int_equal(uebpf_xdp_run(p, &b, &r), XDP_ABORTED);
	assert_null(strstr(first + 1, "no XDP action"));
	uebpf_prog_free(p);
}

/* The library writes only the result fields that fit in sz. */
static void test_result_sz(void **state)
{
	struct uebpf_prog *p = xload_ret(rt, XDP_TX, "tx");
	struct uebpf_xdp_result r;
	struct uebpf_xdp_buff b;
	struct frame f;

	(void)state;
	frame_buff(&f, 64, &b);

	memset(&r, 0xa5, sizeof(r));
	r.sz = offsetofend(struct uebpf_xdp_result, action);
	assert_int_equal(uebpf_xdp_run(p, &b, &r), XDP_TX);
	assert_int_equal(r.action, XDP_TX);
	assert_int_equal(r.retval, 0xa5a5a5a5);
	assert_int_equal(r.err, (int)0xa5a5a5a5);

	memset(&r, 0xa5, sizeof(r));
	r.sz = offsetofend(struct uebpf_xdp_result, data_end);
	assert_int_equal(uebpf_xdp_run(p, &b, &r), XDP_TX);
	assert_int_equal(r.retval, XDP_TX);
	assert_ptr_equal(r.data_end, b.data_end);
	assert_int_equal((uintptr_t)r.data_meta,
			 (uintptr_t)0xa5a5a5a5a5a5a5a5ull);
	assert_int_equal(r.redirect.ifindex, 0xa5a5a5a5);

	/* A result whose sz was never set is refused before the run. */
	memset(&r, 0, sizeof(r));
	log_reset();
	assert_int_equal(uebpf_xdp_run(p, &b, &r), -EINVAL);
	assert_logged("struct uebpf_xdp_result has sz 0");
	uebpf_prog_free(p);
}

/* A program of another type, or an XDP program never verified. */
static void test_wrong_prog(void **state)
{
	struct uebpf_prog *raw = load_ret(rt, XDP_PASS);
	UEBPF_OPTS(uebpf_xdp_result, r);
	struct uebpf_xdp_buff b;
	struct frame f;

	(void)state;
	frame_buff(&f, 64, &b);
	log_reset();
	assert_int_equal(uebpf_xdp_run(raw, &b, &r), -EINVAL);
	assert_logged("has type UNSPEC (0), not XDP");
	assert_int_equal(uebpf_xdp_run_batch(raw, &b, 1, &r), -EINVAL);
	/* Unverified: what uebpf_prog_load() never makes of an XDP program. */
	raw->type = BPF_PROG_TYPE_XDP;
	log_reset();
	assert_int_equal(uebpf_xdp_run(raw, &b, &r), -EINVAL);
	assert_logged("was not verified");
	raw->type = BPF_PROG_TYPE_UNSPEC;
	assert_int_equal(uebpf_xdp_run(NULL, &b, &r), -EINVAL);
	uebpf_prog_free(raw);
}

/* ---- buffers ------------------------------------------------------------ */

struct bad_buf {
	const char *what;
	const char *logged;
	void (*make)(struct frame *f, struct uebpf_xdp_buff *b);
};

static void bb_sz0(struct frame *f, struct uebpf_xdp_buff *b)
{
	(void)f;
	b->sz = 0;
}
static void bb_data_null(struct frame *f, struct uebpf_xdp_buff *b)
{
	(void)f;
	b->data = NULL;
}
static void bb_end_null(struct frame *f, struct uebpf_xdp_buff *b)
{
	(void)f;
	b->data_end = NULL;
}
static void bb_end_before(struct frame *f, struct uebpf_xdp_buff *b)
{
	b->data_end = f->mem + UEBPF_XDP_HEADROOM - 1;
}
static void bb_hard_after(struct frame *f, struct uebpf_xdp_buff *b)
{
	b->data_hard_start = f->mem + UEBPF_XDP_HEADROOM + 1;
}
static void bb_meta_before(struct frame *f, struct uebpf_xdp_buff *b)
{
	b->data_hard_start = f->mem + 8;
	b->data_meta = f->mem + 4;
	b->frame_sz = sizeof(f->mem) - 8;
}
static void bb_meta_after(struct frame *f, struct uebpf_xdp_buff *b)
{
	(void)f;
	b->data_meta = (char *)b->data + 4;
}
static void bb_meta_odd(struct frame *f, struct uebpf_xdp_buff *b)
{
	(void)f;
	b->data_meta = (char *)b->data - 6;
}
static void bb_meta_big(struct frame *f, struct uebpf_xdp_buff *b)
{
	(void)f;
	b->data_meta = (char *)b->data - 256;
}
static void bb_empty(struct frame *f, struct uebpf_xdp_buff *b)
{
	(void)f;
	b->data_end = b->data;
}
static void bb_runt(struct frame *f, struct uebpf_xdp_buff *b)
{
	(void)f;
	b->data_end = (char *)b->data + 13;
}
static void bb_frame_small(struct frame *f, struct uebpf_xdp_buff *b)
{
	(void)f;
	b->frame_sz = UEBPF_XDP_HEADROOM + 63;
}

static const struct bad_buf bad_bufs[] = {
	{"sz 0", "sz is 0", bb_sz0},
	{"data NULL", "data or data_end is NULL", bb_data_null},
	{"data_end NULL", "data or data_end is NULL", bb_end_null},
	{"data_end < data", "data_end is 1 bytes before data", bb_end_before},
	{"hard_start > data", "data_hard_start is 1 bytes after data",
	 bb_hard_after},
	{"meta < hard_start", "data_meta is outside", bb_meta_before},
	{"meta > data", "data_meta is outside", bb_meta_after},
	{"meta 6 bytes", "6 bytes of metadata", bb_meta_odd},
	{"meta 256 bytes", "256 bytes of metadata", bb_meta_big},
	{"empty packet", "a packet of 0 bytes is shorter", bb_empty},
	{"13-byte packet", "a packet of 13 bytes is shorter", bb_runt},
	{"frame_sz too small", "frame_sz 319 ends 1 bytes before data_end",
	 bb_frame_small},
};

/* Each refused with -EINVAL and a logged reason, in a single run and as
 * one buffer of a batch, which goes on with the next. */
static void test_bad_buffers(void **state)
{
	struct uebpf_prog *p = xload_ret(rt, XDP_PASS, "pass");
	struct uebpf_xdp_result res[2];
	struct uebpf_xdp_buff bufs[2];
	struct frame f, g;
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad_bufs); i++) {
		UEBPF_OPTS(uebpf_xdp_result, r, .action = XDP_PASS);

		frame_buff(&f, 64, &bufs[0]);
		bad_bufs[i].make(&f, &bufs[0]);
		log_reset();
		if (uebpf_xdp_run(p, &bufs[0], &r) != -EINVAL)
			fail_msg("%s: not refused", bad_bufs[i].what);
		assert_logged(bad_bufs[i].logged);
		assert_int_equal(r.err, -EINVAL);
		assert_int_equal(r.action, XDP_ABORTED);

		/* In a batch: the bad one fails alone.  Element sz must
		 * agree, so the sz case is the batch's own. */
		if (bufs[0].sz == 0)
			continue;
		frame_buff(&g, 64, &bufs[1]);
		res[0] = r;
		res[1] = r;
		assert_int_equal(uebpf_xdp_run_batch(p, bufs, 2, res), 2);
		assert_int_equal(res[0].err, -EINVAL);
		assert_int_equal(res[0].action, XDP_ABORTED);
		assert_int_equal(res[1].err, 0);
		assert_int_equal(res[1].action, XDP_PASS);
	}
	assert_int_equal(uebpf_xdp_run(p, NULL, NULL), -EINVAL);
	uebpf_prog_free(p);
}

/* Per-call warnings are rate limited as the kernel's net_ratelimit(): 10
 * per 5 s, then a count of those suppressed. */
static void test_warn_ratelimit(void **state)
{
	struct uebpf_prog *p = xload_ret(rt, XDP_PASS, "pass");
	struct uebpf_xdp_buff b;
	struct frame f;
	const char *s;
	int i, n = 0;

	(void)state;
	frame_buff(&f, 64, &b);
	b.data_end = b.data;
	log_reset();
	for (i = 0; i < 25; i++)
		assert_int_equal(uebpf_xdp_run(p, &b, NULL), -EINVAL);
	for (s = cap.text; (s = strstr(s, "XDP buffer refused")); s++)
		n++;
	assert_int_equal(n, 10);
	/* The next interval: the count first, then the warning. */
	atomic_store(&rt->run_rl.begin, 0);
	cap.text[0] = '\0';
	assert_int_equal(uebpf_xdp_run(p, &b, NULL), -EINVAL);
	assert_logged("15 run warnings suppressed");
	assert_logged("XDP buffer refused");
	uebpf_prog_free(p);
}

/* What runs: the shortest packet, no headroom, no tailroom, metadata. */
static void test_good_buffers(void **state)
{
	struct xprog x;
	struct uebpf_prog *p;
	UEBPF_OPTS(uebpf_xdp_result, r);
	UEBPF_OPTS(uebpf_xdp_buff, b);
	unsigned char pkt[14];
	struct frame f;

	(void)state;
	xprog_rewrite(&x);
	p = xload(rt, &x, "rewrite");

	/* 14 bytes, no headroom, no tailroom, no metadata. */
	memset(pkt, 0x11, sizeof(pkt));
	pkt[6] = 0x22;
	b.data = pkt;
	b.data_end = pkt + sizeof(pkt);
	assert_int_equal(uebpf_xdp_run(p, &b, &r), XDP_TX);
	assert_int_equal(pkt[0], 0x22);
	assert_int_equal(pkt[6], 0x11);
	assert_int_equal(pkt[13], 0xab);
	assert_ptr_equal(r.data_meta, pkt);

	/* 252 bytes of metadata, the most there can be. */
	frame_buff(&f, 64, &b);
	b.data_meta = (char *)b.data - 252;
	assert_int_equal(uebpf_xdp_run(p, &b, &r), XDP_TX);
	assert_ptr_equal(r.data_meta, b.data_meta);

	/* frame_sz exactly to data_end. */
	frame_buff(&f, 64, &b);
	b.frame_sz = UEBPF_XDP_HEADROOM + 64;
	assert_int_equal(uebpf_xdp_run(p, &b, &r), XDP_TX);
	uebpf_prog_free(p);
}

/* A caller built against a newer header: its struct is longer; fields
 * this library does not know must be zero. */
static void test_newer_caller(void **state)
{
	struct {
		struct uebpf_xdp_buff b;
		uint64_t newer;
	} nb;
	struct {
		struct uebpf_xdp_result r;
		uint64_t newer;
	} nr;
	struct uebpf_prog *p = xload_ret(rt, XDP_DROP, "drop");
	struct frame f;

	(void)state;
	frame_buff(&f, 64, &nb.b);
	nb.b.sz = sizeof(nb);
	nb.newer = 0;
	memset(&nr, 0, sizeof(nr));
	nr.r.sz = sizeof(nr);
	nr.newer = 42;
	assert_int_equal(uebpf_xdp_run(p, &nb.b, &nr.r), XDP_DROP);
	assert_int_equal(nr.r.action, XDP_DROP);
	assert_int_equal(nr.newer, 42); /* not the library's to write */
	nb.newer = 1;
	log_reset();
	assert_int_equal(uebpf_xdp_run(p, &nb.b, &nr.r), -EINVAL);
	assert_logged("past the");
	uebpf_prog_free(p);
}

/* ---- batches ------------------------------------------------------------ */

static void test_batch(void **state)
{
	struct uebpf_prog *p;
	struct uebpf_xdp_result res[8];
	struct uebpf_xdp_buff bufs[8];
	struct frame f[8];
	struct xprog x;
	int i;

	(void)state;
	xprog_rewrite(&x);
	p = xload(rt, &x, "rewrite");
	for (i = 0; i < 8; i++) {
		frame_fill(&f[i], 64, i);
		frame_buff(&f[i], i == 5 ? 10 : 64, &bufs[i]);
		memset(&res[i], 0, sizeof(res[i]));
		res[i].sz = sizeof(res[i]);
	}
	assert_int_equal(uebpf_xdp_run_batch(p, bufs, 8, res), 8);
	for (i = 0; i < 8; i++) {
		if (i == 5) {
			assert_int_equal(res[i].err, -EINVAL);
			assert_int_equal(res[i].action, XDP_ABORTED);
			assert_int_equal(f[i].mem[UEBPF_XDP_HEADROOM + 13],
					 (unsigned char)(13 * 7 + i));
			continue;
		}
		assert_int_equal(res[i].err, 0);
		assert_int_equal(res[i].action, XDP_TX);
		assert_int_equal(f[i].mem[UEBPF_XDP_HEADROOM + 13], 0xab);
		assert_int_equal(f[i].mem[UEBPF_XDP_HEADROOM],
				 (unsigned char)(6 * 7 + i));
	}
	/* Nothing to run is not an error; no buffers is. */
	assert_int_equal(uebpf_xdp_run_batch(p, NULL, 0, NULL), 0);
	assert_int_equal(uebpf_xdp_run_batch(p, NULL, 1, res), -EINVAL);
	/* Results may be left out. */
	assert_int_equal(uebpf_xdp_run_batch(p, bufs, 8, NULL), 8);
	/* Elements whose sz differ: nothing runs. */
	res[3].sz = 8;
	log_reset();
	assert_int_equal(uebpf_xdp_run_batch(p, bufs, 8, res), -EINVAL);
	assert_logged("element 3 has sz 8");
	uebpf_prog_free(p);
}

/* A caller built against an older header: its elements are shorter, and
 * the arrays' strides are their sz. */
struct old_result {
	size_t sz;
	uint32_t action;
	uint32_t retval;
	int err;
};

static void test_batch_older_caller(void **state)
{
	struct uebpf_prog *p = xload_ret(rt, 7, "seven");
	struct old_result res[4];
	struct uebpf_xdp_buff bufs[4];
	struct frame f[4];
	int i;

	(void)state;
	_Static_assert(offsetof(struct old_result, err) ==
			       offsetof(struct uebpf_xdp_result, err),
		       "old_result is a prefix");
	for (i = 0; i < 4; i++) {
		frame_buff(&f[i], 64, &bufs[i]);
		memset(&res[i], 0xee, sizeof(res[i]));
		/* Its sz covers action, retval and err, not data. */
		res[i].sz = sizeof(struct old_result);
	}
	assert_true(sizeof(struct old_result) <
		    offsetofend(struct uebpf_xdp_result, data));
	assert_int_equal(
		uebpf_xdp_run_batch(p, bufs, 4, (struct uebpf_xdp_result *)res),
		4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(res[i].action, XDP_ABORTED);
		assert_int_equal(res[i].retval, 7);
		assert_int_equal(res[i].err, 0);
	}
	uebpf_prog_free(p);
}

/* ---- the kernel as oracle --------------------------------------------- */

/* Verdict, retval and the packet after the run, for the same
 * instructions and packets, in the kernel and here. */
static void test_kernel_same_output(void **state)
{
	static const int32_t rets[] = {XDP_DROP, XDP_PASS, 7, -1};
	unsigned char pkt[128], kout[4096];
	uint32_t kret, klen, i, len;
	struct uebpf_prog *p;
	struct xprog x;
	int fd;

	(void)state;
	need_kernel();
	for (i = 0; i <= ARRAY_LEN(rets); i++) {
		if (i < ARRAY_LEN(rets))
			xprog_ret(&x, rets[i]);
		else
			xprog_rewrite(&x);
		fd = kload(&x);
		assert_true(fd >= 0);
		p = xload(rt, &x, "oracle");
		for (len = 14; len <= sizeof(pkt); len += 57) {
			UEBPF_OPTS(uebpf_xdp_result, r);
			struct uebpf_xdp_buff b;
			struct frame f;
			int ret;

			frame_fill(&f, len, (unsigned)(i + len));
			memcpy(pkt, f.mem + UEBPF_XDP_HEADROOM, len);
			assert_int_equal(
				ktest_run(fd, pkt, len, 0, kout, &klen, &kret),
				0);
			frame_buff(&f, len, &b);
			ret = uebpf_xdp_run(p, &b, &r);
			assert_int_equal(r.retval, kret);
			/* The verdict a driver acts on. */
			assert_int_equal(ret, kret <= XDP_REDIRECT
						      ? (int)kret
						      : XDP_ABORTED);
			assert_int_equal(r.action, ret);
			assert_int_equal((char *)r.data_end - (char *)r.data,
					 klen);
			assert_memory_equal(r.data, kout, klen);
		}
		close(fd);
		uebpf_prog_free(p);
	}
}

/* Which packet and metadata lengths run, in the kernel and here. */
static void test_kernel_same_refusals(void **state)
{
	unsigned char pkt[64] = {0};
	struct uebpf_prog *p;
	uint32_t len, meta;
	struct xprog x;
	int fd, kerr, err;

	(void)state;
	need_kernel();
	xprog_ret(&x, XDP_PASS);
	fd = kload(&x);
	assert_true(fd >= 0);
	p = xload(rt, &x, "pass");
	for (meta = 0; meta <= 40; meta++) {
		for (len = 0; len <= 20; len++) {
			struct uebpf_xdp_buff b;
			struct frame f;

			kerr = ktest_run(fd, pkt, len, meta, NULL, NULL, NULL);
			frame_buff(&f, len, &b);
			b.data_meta = (char *)b.data - meta;
			err = uebpf_xdp_run(p, &b, NULL);
			if ((kerr == 0) != (err == XDP_PASS) ||
			    (kerr && kerr != err))
				fail_msg("meta %u, packet %u: kernel %d, "
					 "libuebpf %d",
					 meta, len, kerr, err);
		}
	}
	close(fd);
	uebpf_prog_free(p);
}

/* ---- statistics --------------------------------------------------------- */

static void get_stats(struct uebpf_prog *p, uint64_t *cnt, uint64_t *ns)
{
	UEBPF_OPTS(uebpf_prog_stats, s);

	assert_int_equal(uebpf_prog_get_stats(p, &s), 0);
	*cnt = s.run_cnt;
	if (ns)
		*ns = s.run_time_ns;
}

static void test_stats(void **state)
{
	struct uebpf_prog *p = xload_ret(rt, XDP_PASS, "pass");
	struct uebpf_prog *raw = load_ret(rt, 1);
	struct uebpf_xdp_buff bufs[3];
	struct frame f[3];
	uint64_t cnt, ns, ns2;
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		frame_buff(&f[i], 64, &bufs[i]);
	/* Off by default. */
	assert_int_equal(uebpf_xdp_run(p, &bufs[0], NULL), XDP_PASS);
	get_stats(p, &cnt, &ns);
	assert_int_equal(cnt, 0);
	assert_int_equal(ns, 0);

	uebpf_runtime_enable_stats(rt, true);
	assert_int_equal(uebpf_xdp_run(p, &bufs[0], NULL), XDP_PASS);
	get_stats(p, &cnt, &ns);
	assert_int_equal(cnt, 1);
	assert_true(ns > 0);
	/* A batch counts each buffer that ran; a refused one did not. */
	bufs[1].data_end = bufs[1].data;
	assert_int_equal(uebpf_xdp_run_batch(p, bufs, 3, NULL), 3);
	get_stats(p, &cnt, &ns2);
	assert_int_equal(cnt, 3);
	assert_true(ns2 > ns);
	/* Raw programs too. */
	assert_int_equal(run(raw), 1);
	get_stats(raw, &cnt, NULL);
	assert_int_equal(cnt, 1);

	/* Off again: the counters stay as they were. */
	uebpf_runtime_enable_stats(rt, false);
	assert_int_equal(uebpf_xdp_run(p, &bufs[0], NULL), XDP_PASS);
	assert_int_equal(run(raw), 1);
	get_stats(p, &cnt, &ns);
	assert_int_equal(cnt, 3);
	assert_int_equal(ns, ns2);
	get_stats(raw, &cnt, NULL);
	assert_int_equal(cnt, 1);

	/* sz: run_time_ns not written when it does not fit. */
	{
		struct uebpf_prog_stats s = {
			.sz = offsetofend(struct uebpf_prog_stats, run_cnt),
			.run_time_ns = 99,
		};

		assert_int_equal(uebpf_prog_get_stats(p, &s), 0);
		assert_int_equal(s.run_cnt, 3);
		assert_int_equal(s.run_time_ns, 99);
		s.sz = 0;
		assert_int_equal(uebpf_prog_get_stats(p, &s), -EINVAL);
		assert_int_equal(uebpf_prog_get_stats(p, NULL), -EINVAL);
		assert_int_equal(uebpf_prog_get_stats(NULL, &s), -EINVAL);
	}
	uebpf_prog_free(p);
	uebpf_prog_free(raw);
}

/* Two workers on slots 1 and 2 count into their own slots, each on a
 * cache line of its own; the sum is every run. */
struct stats_worker {
	struct uebpf_prog *prog;
	unsigned int slot;
	int runs;
};

static void *stats_worker_main(void *arg)
{
	struct stats_worker *w = arg;
	struct uebpf_xdp_buff b;
	struct frame f;
	int i;

	CHECK(uebpf_worker_bind(w->prog->rt, w->slot) == 0);
	frame_buff(&f, 64, &b);
	for (i = 0; i < w->runs; i++)
		CHECK(uebpf_xdp_run(w->prog, &b, NULL) == XDP_PASS);
	return NULL;
}

static void test_stats_per_slot(void **state)
{
	struct uebpf_prog *p = xload_ret(rt, XDP_PASS, "pass");
	struct stats_worker w[2] = {{p, 1, 3000}, {p, 2, 5000}};
	pthread_t th[2];
	uint64_t cnt, ns;
	int i;

	(void)state;
	uebpf_runtime_enable_stats(rt, true);
	for (i = 0; i < 2; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, stats_worker_main, &w[i]),
			0);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	uebpf_runtime_enable_stats(rt, false);
	assert_int_equal(atomic_load(&thread_failures), 0);
	get_stats(p, &cnt, &ns);
	assert_int_equal(cnt, 8000);
	assert_true(ns > 0);
	assert_int_equal(p->stats[0].run_cnt, 0);
	assert_int_equal(p->stats[1].run_cnt, 3000);
	assert_int_equal(p->stats[2].run_cnt, 5000);
	assert_true((uintptr_t)&p->stats[1] - (uintptr_t)&p->stats[0] >= 64);
	assert_int_equal((uintptr_t)p->stats % 64, 0);
	uebpf_prog_free(p);
}

/* BPF_ENABLE_STATS: the kernel counts every run of BPF_PROG_TEST_RUN's
 * repeat loop; so does libuebpf for each run. */
static void test_kernel_stats(void **state)
{
	struct bpf_prog_info info;
	uint32_t info_len = sizeof(info);
	unsigned char pkt[64] = {0};
	struct uebpf_prog *p;
	struct xprog x;
	uint64_t cnt;
	int fd, sfd, i;

	(void)state;
	need_kernel();
	xprog_ret(&x, XDP_PASS);
	fd = kload(&x);
	assert_true(fd >= 0);
	sfd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (sfd < 0) {
		close(fd);
		print_message("[  SKIP    ] BPF_ENABLE_STATS: %s\n",
			      strerror(-sfd));
		skip();
	}
	{
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt,
			    .data_size_in = sizeof(pkt), .repeat = 5);

		assert_int_equal(bpf_prog_test_run_opts(fd, &t), 0);
	}
	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &info_len), 0);
	close(sfd);
	close(fd);

	p = xload(rt, &x, "pass");
	uebpf_runtime_enable_stats(rt, true);
	for (i = 0; i < 5; i++) {
		struct uebpf_xdp_buff b;
		struct frame f;

		frame_buff(&f, sizeof(pkt), &b);
		assert_int_equal(uebpf_xdp_run(p, &b, NULL), XDP_PASS);
	}
	uebpf_runtime_enable_stats(rt, false);
	get_stats(p, &cnt, NULL);
	assert_int_equal(cnt, info.run_cnt);
	uebpf_prog_free(p);
}

/* ---- workers ------------------------------------------------------------ */

struct cpu_worker {
	struct uebpf_prog *prog;
	unsigned int slot;
	int runs;
	uint32_t rnd[16];
};

static void *cpu_worker_main(void *arg)
{
	struct cpu_worker *w = arg;
	struct uebpf_xdp_buff b;
	struct frame f;
	int i;

	CHECK(uebpf_worker_bind(w->prog->rt, w->slot) == 0);
	frame_buff(&f, 64, &b);
	for (i = 0; i < w->runs; i++) {
		UEBPF_OPTS(uebpf_xdp_result, r);

		CHECK(uebpf_xdp_run(w->prog, &b, &r) >= 0);
		if (i < (int)ARRAY_LEN(w->rnd))
			w->rnd[i] = r.retval;
	}
	return NULL;
}

static void run_workers(struct cpu_worker *w, int n)
{
	pthread_t th[4];
	int i;

	for (i = 0; i < n; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, cpu_worker_main, &w[i]),
			0);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_load(&thread_failures), 0);
}

/* A PERCPU_ARRAY slot and bpf_get_smp_processor_id() follow the
 * worker's binding. */
static void test_worker_slots(void **state)
{
	struct uebpf_map *pcpu, *seen;
	struct cpu_worker w[2];
	struct uebpf_prog *p;
	uint64_t v[4], s;
	struct xprog x;
	uint32_t k;

	(void)state;
	pcpu = create(rt, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, 0);
	seen = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
	xprog_cpu(&x, uebpf_map_id(pcpu), uebpf_map_id(seen));
	p = xload(rt, &x, "cpu");
	memset(w, 0, sizeof(w));
	w[0].prog = w[1].prog = p;
	w[0].slot = 1;
	w[0].runs = 300;
	w[1].slot = 3;
	w[1].runs = 700;
	run_workers(w, 2);

	k = 0;
	assert_int_equal(uebpf_map_lookup_elem(pcpu, &k, v), 0);
	assert_int_equal(v[0], 0);
	assert_int_equal(v[1], 300);
	assert_int_equal(v[2], 0);
	assert_int_equal(v[3], 700);
	for (k = 0; k < 4; k++) {
		assert_int_equal(uebpf_map_lookup_elem(seen, &k, &s), 0);
		assert_int_equal(s, k == 1 || k == 3 ? k + 1 : 0);
	}
	uebpf_prog_free(p);
	uebpf_map_put(pcpu);
	uebpf_map_put(seen);
}

/* bpf_get_prandom_u32() is per thread: two workers draw different
 * sequences. */
static void test_worker_prandom(void **state)
{
	struct cpu_worker w[2];
	struct uebpf_prog *p;
	struct xprog x;
	unsigned int i, same = 0, distinct = 0;

	(void)state;
	xprog_prandom(&x);
	p = xload(rt, &x, "prandom");
	memset(w, 0, sizeof(w));
	w[0].prog = w[1].prog = p;
	w[0].slot = 0;
	w[1].slot = 1;
	w[0].runs = w[1].runs = ARRAY_LEN(w[0].rnd);
	run_workers(w, 2);
	for (i = 0; i < ARRAY_LEN(w[0].rnd); i++) {
		same += w[0].rnd[i] == w[1].rnd[i];
		distinct += i && w[0].rnd[i] != w[0].rnd[i - 1];
	}
	assert_true(same < 2);
	assert_true(distinct > ARRAY_LEN(w[0].rnd) / 2);
	uebpf_prog_free(p);
}

static int group_setup(void **state)
{
	struct xprog x;
	int fd;

	(void)state;
	xprog_ret(&x, XDP_PASS);
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "probe", "GPL", x.i, x.n, NULL);
	if (fd < 0)
		snprintf(no_kernel, sizeof(no_kernel),
			 "kernel XDP programs unavailable: bpf(BPF_PROG_LOAD) "
			 "gives %d (%s)%s",
			 fd, strerror(-fd),
			 fd == -EPERM ? "; needs CAP_BPF" : "");
	else
		close(fd);
	if (no_kernel[0])
		fprintf(stderr, "test_xdp_run: kernel comparisons skip: %s\n",
			no_kernel);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_verdicts),
		T(test_invalid_verdict),
		T(test_result_sz),
		T(test_wrong_prog),
		T(test_bad_buffers),
		T(test_warn_ratelimit),
		T(test_good_buffers),
		T(test_newer_caller),
		T(test_batch),
		T(test_batch_older_caller),
		T(test_kernel_same_output),
		T(test_kernel_same_refusals),
		T(test_stats),
		T(test_stats_per_slot),
		T(test_kernel_stats),
		T(test_worker_slots),
		T(test_worker_prandom),
#undef T
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
