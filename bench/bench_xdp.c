/* SPDX-License-Identifier: MIT */
/*
 * bench_xdp: per-packet time of XDP programs in libuebpf, in both of its
 * engines (the JIT and the interpreter), side by side with the kernel
 * (BPF_PROG_TEST_RUN: JIT or interpreter, whichever the host runs), on the
 * same objects, packets and maps, in one run; libuebpf's batch-run
 * throughput per engine; and what constant blinding costs the JIT.
 *
 *   bench_xdp [-n REPEAT] [-r RUNS] [-f FRESH] [-c CPU] [-m MIX] [-b BATCH]
 *             [-t UEBPF_TOOL] [--no-cli]
 *	REPEAT  runs per `prog run ... repeat` (1000000)
 *	RUNS    interleaved repetitions; the best of each side is kept (5)
 *	FRESH   runs of a fresh-packet chunk, 4 chunks a repetition (20000)
 *	CPU     the CPU everything is pinned to (0)
 *	MIX     different packets of the load balancer's sample traffic (4096)
 *	BATCH   buffers per uebpf_xdp_run_batch() call (64)
 *	--no-cli  skip the `uebpf prog run` / `bpftool prog run` processes
 *
 * Objects: $UEBPF_PROGS_DIR (build/progs) xdp_pass.o, bench_filter.o (a
 * parse-and-drop filter), xdp_parse_drop.o when it is there, xdp_lb.o (the
 * load balancer, configured on both sides by xdp_lb_configure()); and
 * xdp_drop, two instructions (r0 = XDP_DROP; exit) loaded as they are on
 * both sides.  Each is loaded into libuebpf once per engine (its own
 * runtime and maps, the LB configured in each): UEBPF_ENGINE_INTERP,
 * UEBPF_ENGINE_JIT and, for bench_filter and xdp_lb, UEBPF_ENGINE_JIT with
 * jit_blinding.  Where the JIT declines a program (a build without one)
 * its columns say "unavail.".
 *
 * 1. `prog run ... repeat N`: the mean ns per run that `bpftool prog run
 *    pinned ... repeat N` prints for the kernel and `uebpf prog run ...
 *    repeat N` for libuebpf, both as separate processes, and the same two
 *    loops in this process (bpf_prog_test_run_opts with repeat N, whose
 *    duration is what bpftool prints; uebpf_xdp_run N times as the tool
 *    does).  Both repeat loops run each time on the packet as the previous
 *    run left it: the kernel does not reset it between repeats, and the
 *    tool mirrors that.  The kernel's programs are pinned in a bpffs
 *    mounted in a private mount namespace; the load balancer's pinned
 *    program is the one this process loaded and configured, and `uebpf
 *    batch` gets the configuration lines before its `prog run`.
 * 2. A fresh packet each run: the kernel through BPF_PROG_TEST_RUN with
 *    repeat 1, one call per packet, its own duration averaged; libuebpf
 *    with the packet copied into a 256-byte-headroom frame, then two clock
 *    reads around uebpf_xdp_run() (the copy not timed), averaged.  Each
 *    side's figure so includes one clock read, as the kernel's does.
 * 3. Throughput of uebpf_xdp_run_batch() over the sample traffic, fresh
 *    copies in 256-byte-headroom frames, in packets per second, per
 *    engine.
 * 4. Constant blinding: table 2's runs of bench_filter and xdp_lb with the
 *    JIT's code blinded and not, and the code sizes.
 *
 * The command-line column runs `uebpf prog run` with UEBPF_ENGINE=jit
 * where this build's JIT takes the programs, UEBPF_ENGINE=interp where it
 * does not; xdp_drop has no object, so only bpftool runs it there.
 *
 * Everything runs pinned to one CPU; the repetitions alternate which side
 * goes first; each side keeps its best, and ratios come from this run
 * only.  The kernel columns are skipped, with the reason, where the
 * kernel does not load BPF programs (no CAP_BPF).  Timing is reported,
 * never judged: the exit status is 0 unless something fails to run or the
 * two sides' verdicts differ (which would make the comparison moot).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netinet/in.h>

#include "uebpf.h"
#include "xdp_lb_cp.h"

#define HEADROOM UEBPF_XDP_HEADROOM
#define FRAME	 4096
/* As the uebpf tool's frame: a page less the kernel's skb_shared_info. */
#define FRAME_SZ    (FRAME - 320)
#define BATCH_FRAME 2048
#define MAX_PKT	    1536

static unsigned int repeat = 1000000, runs = 5, fresh = 20000, cpu;
static unsigned int mix_n = 4096, batch_n = 64;
static bool no_cli;
static const char *progs_dir = "build/progs";
static char tool[PATH_MAX];
static char tmpdir[PATH_MAX], pindir[PATH_MAX];
static bool pin_mounted;
static char no_kernel[256], no_bpftool[256], no_tool[256];
static uint32_t lo_ifindex;
static int failures;

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench_xdp: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	failures++;
}

/* snprintf for paths and messages: a path that does not fit is fatal. */
static void __attribute__((format(printf, 3, 4)))
fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, size, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		fprintf(stderr, "bench_xdp: a path or command is too long\n");
		exit(1);
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double min_d(double a, double b)
{
	return a < b ? a : b;
}

/* ---- packets --------------------------------------------------------------
 */

struct pkt {
	uint8_t data[MAX_PKT];
	size_t len;
};

static struct pkt tcp4, udp6;
static struct pkt *mix;

/* TCP over IPv4 to VIP 0 (192.0.2.1:80): the LB encapsulates it in IPv4
 * (XDP_TX); the filter parses it to its port and passes it. */
static void build_tcp4(void)
{
	const struct xdp_lb_vip_def *v = &xdp_lb_demo_vips(NULL)[0];
	struct xdp_lb_pkt p = {0};

	p.family = 4;
	p.proto = IPPROTO_TCP;
	memcpy(p.dst, v->key.addr, sizeof(p.dst));
	p.src[0] = htonl(0xc6336407); /* 198.51.100.7 */
	p.sport = 40000;
	p.dport = ntohs(v->key.port);
	p.payload = 10; /* a 64-byte frame */
	tcp4.len = xdp_lb_build(&p, 1, tcp4.data, sizeof(tcp4.data));
}

/* UDP over IPv6 in an 802.1Q tag to VIP 3 ([2001:db8::2]:443). */
static void build_udp6(void)
{
	const struct xdp_lb_vip_def *v = &xdp_lb_demo_vips(NULL)[3];
	struct xdp_lb_pkt p = {0};

	p.family = 6;
	p.proto = IPPROTO_UDP;
	memcpy(p.dst, v->key.addr, sizeof(p.dst));
	p.src[0] = htonl(0x20010db8);
	p.src[1] = htonl(0xffff0000);
	p.src[3] = htonl(7);
	p.sport = 50000;
	p.dport = ntohs(v->key.port);
	p.vlans = 1;
	p.payload = 10;
	udp6.len = xdp_lb_build(&p, 2, udp6.data, sizeof(udp6.data));
}

static int add_mix(void *ctx, const void *data, size_t len)
{
	unsigned int *i = ctx;

	if (len > MAX_PKT || len < 14)
		return -EINVAL;
	memcpy(mix[*i].data, data, len);
	mix[*i].len = len;
	(*i)++;
	return 0;
}

/* ---- the objects, on both sides ------------------------------------------
 */

/* libuebpf's engines, as columns. */
enum { V_INTERP, V_JIT, V_BLIND, V_NR };

/* One libuebpf load of a target. */
struct uside {
	struct uebpf_runtime *rt;
	struct uebpf_object *uo;
	struct uebpf_prog *up;	/* NULL: not loaded (see unavail) */
	bool unavail;		/* the JIT declined it (EOPNOTSUPP) */
};

struct target {
	const char *obj;  /* file name in progs_dir, without .o */
	const char *prog; /* program name */
	bool lb;	  /* the load balancer: configure its maps */
	bool blind;	  /* also load it with jit_blinding (table 4) */
	/* a program of a few instructions instead of an object */
	const struct bpf_insn *insns;
	size_t insn_cnt;
	char path[PATH_MAX];
	/* libuebpf, per engine */
	struct uside u[V_NR];
	struct uside *cur; /* the one u_update() configures */
	/* kernel */
	struct bpf_object *ko;
	int kfd;
	char pin[PATH_MAX];
	/* the `uebpf batch` file configuring it (LB) */
	char batch_cfg[PATH_MAX];
};

static const struct bpf_insn drop_insns[] = {
	{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = XDP_DROP},
	{.code = BPF_JMP | BPF_EXIT},
};

static struct target t_pass = {.obj = "xdp_pass", .prog = "xdp_pass"};
static struct target t_drop = {.obj = "xdp_drop",
			       .prog = "xdp_drop",
			       .insns = drop_insns,
			       .insn_cnt = 2};
static struct target t_filter = {
	.obj = "bench_filter", .prog = "bench_filter", .blind = true};
static struct target t_pd = {.obj = "xdp_parse_drop"};
static struct target t_lb = {
	.obj = "xdp_lb", .prog = "xdp_lb", .lb = true, .blind = true};

static bool jit_missing; /* some JIT load was declined */

static int u_update(void *ctx, const char *map, const void *key,
		    const void *value, uint64_t flags)
{
	struct target *t = ctx;
	struct uebpf_object_map *m = uebpf_object_find_map(t->cur->uo, map);

	return m ? uebpf_map_update_elem(uebpf_object_map_handle(m), key, value,
					 flags)
		 : -ENOENT;
}

static int k_update(void *ctx, const char *map, const void *key,
		    const void *value, uint64_t flags)
{
	struct target *t = ctx;
	int fd = bpf_object__find_map_fd_by_name(t->ko, map);

	if (fd < 0)
		return -ENOENT;
	return bpf_map_update_elem(fd, key, value, flags) ? -errno : 0;
}

/* Loads t into libuebpf for engine variant v: its own runtime. */
static int u_open(struct target *t, int v)
{
	static char log[1 << 16];
	struct uside *u = &t->u[v];
	enum uebpf_engine engine =
		v == V_INTERP ? UEBPF_ENGINE_INTERP : UEBPF_ENGINE_JIT;
	UEBPF_OPTS(uebpf_runtime_opts, ro, .log_quiet = 1);
	UEBPF_OPTS(uebpf_object_open_opts, oo, .log_buf = log,
		   .log_size = sizeof(log), .log_level = 1, .engine = engine,
		   .jit_blinding = v == V_BLIND);
	UEBPF_OPTS(uebpf_prog_load_opts, po, .name = t->prog, .log_buf = log,
		   .log_size = sizeof(log), .log_level = 1, .engine = engine,
		   .jit_blinding = v == V_BLIND);
	struct uebpf_object_prog *p;
	int err = 0;

	log[0] = 0;
	u->rt = uebpf_runtime_new(&ro);
	if (!u->rt)
		return -errno;
	/* The kernel's bpf_get_smp_processor_id() is the pinned CPU: this
	 * thread runs as that CPU slot where the runtime has it. */
	if (cpu < uebpf_runtime_nr_cpus(u->rt))
		uebpf_worker_bind(u->rt, cpu);
	if (t->insns) {
		u->up = uebpf_prog_load(u->rt, BPF_PROG_TYPE_XDP, t->insns,
					t->insn_cnt, &po);
		if (!u->up)
			err = -errno;
	} else {
		u->uo = uebpf_object_open_file(u->rt, t->path, &oo);
		if (!u->uo)
			return -errno;
		err = uebpf_object_load(u->uo);
	}
	if (err == -EOPNOTSUPP && engine == UEBPF_ENGINE_JIT) {
		u->unavail = jit_missing = true;
		return 0;
	}
	if (err) {
		fprintf(stderr, "%s", log);
		return err;
	}
	if (!t->insns) {
		p = t->prog ? uebpf_object_find_prog(u->uo, t->prog)
			    : uebpf_object_next_prog(u->uo, NULL);
		if (!p)
			return -ENOENT;
		t->prog = uebpf_object_prog_name(p);
		u->up = uebpf_object_prog_handle(p);
		if (!u->up)
			return -ENOENT;
	}
	if (uebpf_prog_engine(u->up) != engine) {
		fprintf(stderr, "bench_xdp: %s: asked for the %s, runs in the "
			"%s\n", t->obj,
			engine == UEBPF_ENGINE_JIT ? "JIT" : "interpreter",
			engine == UEBPF_ENGINE_JIT ? "interpreter" : "JIT");
		return -EPROTO;
	}
	if (t->lb) {
		struct xdp_lb_ops ops = {t, u_update};

		t->cur = u;
		err = xdp_lb_configure(&ops);
	}
	return err;
}

static int k_open(struct target *t)
{
	struct bpf_program *p;
	int err;

	if (t->insns) {
		t->kfd = bpf_prog_load(BPF_PROG_TYPE_XDP, t->prog, "GPL",
				       t->insns, t->insn_cnt, NULL);
		if (t->kfd < 0)
			return -errno;
		goto pin;
	}
	t->ko = bpf_object__open_file(t->path, NULL);
	if (!t->ko)
		return -errno;
	err = bpf_object__load(t->ko);
	if (err)
		return err;
	p = bpf_object__find_program_by_name(t->ko, t->prog);
	if (!p)
		return -ENOENT;
	t->kfd = bpf_program__fd(p);
	if (t->lb) {
		struct xdp_lb_ops ops = {t, k_update};

		err = xdp_lb_configure(&ops);
		if (err)
			return err;
	}
pin:
	if (pin_mounted) {
		fmt(t->pin, sizeof(t->pin), "%s/%s", pindir, t->obj);
		if (bpf_obj_pin(t->kfd, t->pin)) {
			fmt(no_bpftool, sizeof(no_bpftool), "pinning %s: %s",
			    t->pin, strerror(errno));
			t->pin[0] = 0;
		}
	}
	return 0;
}

static void target_close(struct target *t)
{
	int v;

	if (t->pin[0])
		unlink(t->pin);
	if (t->ko)
		bpf_object__close(t->ko);
	else if (t->insns && t->kfd > 0)
		close(t->kfd);
	for (v = 0; v < V_NR; v++) {
		if (t->u[v].uo)
			uebpf_object_close(t->u[v].uo);
		else if (t->u[v].up)
			uebpf_prog_free(t->u[v].up);
		if (t->u[v].rt)
			uebpf_runtime_free(t->u[v].rt);
	}
}

/* ---- kernel: BPF_PROG_TEST_RUN ------------------------------------------- */

/* Mean ns per run of repeat n (the duration bpftool prints), the verdict
 * in *ret. */
static double k_repeat(struct target *t, const struct pkt *p, uint32_t n,
		       uint32_t *ret)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->data,
		    .data_size_in = (uint32_t)p->len, .repeat = n);

	if (bpf_prog_test_run_opts(t->kfd, &o)) {
		fail("%s: BPF_PROG_TEST_RUN: %s", t->obj, strerror(errno));
		return -1;
	}
	*ret = o.retval;
	return o.duration;
}

/* Mean of the kernel's own duration over n single runs on pkts[i % np];
 * hist[verdict] counts. */
static double k_fresh(struct target *t, const struct pkt *pkts, unsigned np,
		      unsigned int n, unsigned int *hist)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct pkt *p = &pkts[i % np];
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->data,
			    .data_size_in = (uint32_t)p->len, .repeat = 1);

		if (bpf_prog_test_run_opts(t->kfd, &o)) {
			fail("%s: BPF_PROG_TEST_RUN: %s", t->obj,
			     strerror(errno));
			return -1;
		}
		sum += o.duration;
		hist[o.retval < 5 ? o.retval : 5]++;
	}
	return (double)sum / n;
}

/* ---- libuebpf -------------------------------------------------------------
 */

static uint8_t *frame;

static void fill_buf(struct uebpf_xdp_buff *buf, uint8_t *fr, size_t frame_sz,
		     const struct pkt *p)
{
	memcpy(fr + HEADROOM, p->data, p->len);
	buf->data_hard_start = fr;
	buf->data = fr + HEADROOM;
	buf->data_end = fr + HEADROOM + p->len;
	buf->data_meta = NULL;
	buf->frame_sz = (uint32_t)frame_sz;
	buf->ingress_ifindex = lo_ifindex;
	buf->rx_queue_index = 0;
}

/* As `uebpf prog run ... repeat n`: each run on the packet as the previous
 * one left it; the mean ns per run. */
static double u_repeat(struct target *t, struct uebpf_prog *up,
		       const struct pkt *p, uint32_t n, uint32_t *ret)
{
	UEBPF_OPTS(uebpf_xdp_buff, buf);
	UEBPF_OPTS(uebpf_xdp_result, res);
	uint64_t t0, dt;
	uint32_t i;
	int rc;

	memset(frame, 0, FRAME);
	fill_buf(&buf, frame, FRAME_SZ, p);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		rc = uebpf_xdp_run(up, &buf, &res);
		if (rc < 0) {
			fail("%s: uebpf_xdp_run: %s", t->obj, strerror(-rc));
			return -1;
		}
		buf.data = res.data;
		buf.data_end = res.data_end;
		buf.data_meta = res.data_meta;
	}
	dt = now_ns() - t0;
	*ret = res.retval;
	return (double)dt / n;
}

/* A fresh copy of pkts[i % np] each run, the run alone timed. */
static double u_fresh(struct target *t, struct uebpf_prog *up,
		      const struct pkt *pkts, unsigned np, unsigned int n,
		      unsigned int *hist)
{
	UEBPF_OPTS(uebpf_xdp_buff, buf);
	UEBPF_OPTS(uebpf_xdp_result, res);
	uint64_t sum = 0, t0;
	unsigned int i;
	int rc;

	for (i = 0; i < n; i++) {
		fill_buf(&buf, frame, FRAME_SZ, &pkts[i % np]);
		t0 = now_ns();
		rc = uebpf_xdp_run(up, &buf, &res);
		sum += now_ns() - t0;
		if (rc < 0) {
			fail("%s: uebpf_xdp_run: %s", t->obj, strerror(-rc));
			return -1;
		}
		hist[res.retval < 5 ? res.retval : 5]++;
	}
	return (double)sum / n;
}

struct batch_res {
	double run_pps, all_pps;
};

/* uebpf_xdp_run_batch over total packets of the mix, batch_n a call. */
static int u_batch(struct target *t, struct uebpf_prog *up, unsigned int total,
		   struct batch_res *r)
{
	static struct uebpf_xdp_buff *bufs;
	static struct uebpf_xdp_result *res;
	static uint8_t *frames;
	uint64_t run = 0, t0, t1, w0;
	unsigned int done = 0, i, k = 0;
	int rc;

	if (!bufs) {
		bufs = calloc(batch_n, sizeof(*bufs));
		res = calloc(batch_n, sizeof(*res));
		frames = aligned_alloc(64, (size_t)batch_n * BATCH_FRAME);
		if (!bufs || !res || !frames)
			return -ENOMEM;
		for (i = 0; i < batch_n; i++) {
			bufs[i].sz = sizeof(bufs[i]);
			res[i].sz = sizeof(res[i]);
		}
	}
	w0 = now_ns();
	while (done < total) {
		for (i = 0; i < batch_n; i++) {
			fill_buf(&bufs[i], frames + (size_t)i * BATCH_FRAME,
				 BATCH_FRAME, &mix[k]);
			k = k + 1 == mix_n ? 0 : k + 1;
		}
		t0 = now_ns();
		rc = uebpf_xdp_run_batch(up, bufs, batch_n, res);
		t1 = now_ns();
		if (rc < 0) {
			fail("%s: uebpf_xdp_run_batch: %s", t->obj,
			     strerror(-rc));
			return rc;
		}
		for (i = 0; i < batch_n; i++)
			if (res[i].err) {
				fail("%s: a batch buffer failed: %s", t->obj,
				     strerror(-res[i].err));
				return res[i].err;
			}
		run += t1 - t0;
		done += batch_n;
	}
	r->run_pps = (double)done * 1e9 / (double)run;
	r->all_pps = (double)done * 1e9 / (double)(now_ns() - w0);
	return 0;
}

/* ---- the command lines ----------------------------------------------------
 */

/* Run cmd: the mean ns of the last "Return value: R, duration (average):
 * Dns" line it prints (-1 on failure), R in *ret. */
static double run_cli(const char *cmd, uint32_t *ret)
{
	char line[512];
	unsigned long long d;
	unsigned int r;
	double out = -1;
	FILE *f = popen(cmd, "r");
	int st;

	if (!f) {
		fail("popen(%s): %s", cmd, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Return value: %u, duration (average): %lluns",
			   &r, &d) == 2) {
			out = (double)d;
			*ret = r;
		}
	st = pclose(f);
	if (st != 0 || out < 0) {
		fail("`%s` failed (status %d)", cmd, st);
		return -1;
	}
	return out;
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");
	size_t w;

	if (!f)
		return -errno;
	w = fwrite(data, 1, len, f);
	if (fclose(f) || w != len)
		return -EIO;
	return 0;
}

/* ---- setup ------------------------------------------------------------------
 */

static void probe_kernel(void)
{
	const struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = 2},
		{.code = BPF_JMP | BPF_EXIT},
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "probe", "GPL", insns, 2,
			       NULL);

	if (fd >= 0) {
		close(fd);
		return;
	}
	fmt(no_kernel, sizeof(no_kernel),
	    "the kernel does not load BPF "
	    "programs here: %s",
	    errno == EPERM ? "no CAP_BPF (run as root)" : strerror(errno));
}

/* A bpffs of our own: a private mount namespace, so nothing outside sees
 * it and it goes away with the process. */
static void mount_pins(void)
{
	if (system("bpftool version >/dev/null 2>&1") != 0) {
		fmt(no_bpftool, sizeof(no_bpftool), "bpftool is not on PATH");
		return;
	}
	fmt(pindir, sizeof(pindir), "%s/bpffs", tmpdir);
	if (mkdir(pindir, 0700) || unshare(CLONE_NEWNS) ||
	    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("bpf", pindir, "bpf", 0, "mode=0700")) {
		fmt(no_bpftool, sizeof(no_bpftool),
		    "no private bpffs for bpftool's pins: %s", strerror(errno));
		return;
	}
	pin_mounted = true;
}

static void find_tool(const char *arg)
{
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (arg) {
		fmt(tool, sizeof(tool), "%s", arg);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0)
			n = 0;
		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash)
			*slash = 0;
		/* build/bench/bench_xdp -> build/uebpf */
		fmt(tool, sizeof(tool), "%s/../uebpf", exe);
	}
	if (access(tool, X_OK))
		fmt(no_tool, sizeof(no_tool), "%s: %s", tool, strerror(errno));
}

static int setup_target(struct target *t)
{
	int err, v;

	fmt(t->path, sizeof(t->path), "%s/%s.o", progs_dir, t->obj);
	for (v = 0; v < V_NR; v++) {
		if (v == V_BLIND && !t->blind)
			continue;
		err = u_open(t, v);
		if (err) {
			fail("libuebpf (%s): %s: %s",
			     v == V_INTERP ? "interpreter" : "JIT",
			     t->insns ? t->obj : t->path, strerror(-err));
			return err;
		}
	}
	if (!no_kernel[0]) {
		err = k_open(t);
		if (err) {
			fail("kernel (libbpf): %s: %s", t->path,
			     strerror(-err));
			return err;
		}
	}
	if (t->lb && !no_tool[0]) {
		FILE *f;

		fmt(t->batch_cfg, sizeof(t->batch_cfg), "%s/%s.batch", tmpdir,
		    t->obj);
		f = fopen(t->batch_cfg, "w");
		if (!f || xdp_lb_write_batch(f, t->path) || fclose(f)) {
			fail("writing %s failed", t->batch_cfg);
			return -EIO;
		}
	}
	return 0;
}

/* ---- table 1: prog run ... repeat N ----------------------------------------
 */

#define NONE 1e308 /* no figure */
#define UNAV 1e307 /* the JIT declined the program */

static const char *cli_engine = "interp"; /* UEBPF_ENGINE for the tool */

struct row1 {
	struct target *t;
	const struct pkt *p;
	const char *label;
	char file[PATH_MAX];
	double u_cli, k_cli, k_in, u_in[V_NR]; /* best ns per run */
	uint32_t r_u_cli, r_k_cli, r_k_in, r_u_in[V_NR];
};

static void row1_ours(struct row1 *w)
{
	char cmd[8 * PATH_MAX];
	uint32_t ret;
	double d;
	int v;

	for (v = V_INTERP; v <= V_JIT; v++) {
		struct uside *u = &w->t->u[v];

		if (u->unavail) {
			w->u_in[v] = UNAV;
			continue;
		}
		d = u_repeat(w->t, u->up, w->p, repeat, &ret);
		if (d >= 0) {
			w->u_in[v] = min_d(w->u_in[v], d);
			w->r_u_in[v] = ret;
		}
	}
	if (no_cli || no_tool[0] || w->t->insns)
		return;
	if (w->t->lb) {
		/* The configuration, then the run, in one process. */
		fmt(cmd, sizeof(cmd),
		    "{ cat %s; echo 'prog run %s name %s data_in %s repeat "
		    "%u'; } > %s/run.batch && UEBPF_ENGINE=%s %s batch file "
		    "%s/run.batch",
		    w->t->batch_cfg, w->t->path, w->t->prog, w->file, repeat,
		    tmpdir, cli_engine, tool, tmpdir);
	} else {
		fmt(cmd, sizeof(cmd),
		    "UEBPF_ENGINE=%s %s prog run %s name %s data_in %s "
		    "repeat %u",
		    cli_engine, tool, w->t->path, w->t->prog, w->file, repeat);
	}
	d = run_cli(cmd, &ret);
	if (d >= 0) {
		w->u_cli = min_d(w->u_cli, d);
		w->r_u_cli = ret;
	}
}

static void row1_run(struct row1 *w, unsigned int rep)
{
	char cmd[8 * PATH_MAX];
	uint32_t ret;
	double d;
	int side;

	for (side = 0; side < 2; side++) {
		bool kernel = (side + rep) % 2;

		if (!kernel) {
			row1_ours(w);
			continue;
		}
		if (no_kernel[0])
			continue;
		d = k_repeat(w->t, w->p, repeat, &ret);
		if (d >= 0) {
			w->k_in = min_d(w->k_in, d);
			w->r_k_in = ret;
		}
		if (!no_cli && !no_bpftool[0] && w->t->pin[0]) {
			fmt(cmd, sizeof(cmd),
			    "bpftool prog run pinned %s data_in %s repeat %u",
			    w->t->pin, w->file, repeat);
			d = run_cli(cmd, &ret);
			if (d >= 0) {
				w->k_cli = min_d(w->k_cli, d);
				w->r_k_cli = ret;
			}
		}
	}
}

static void print_ns(double v)
{
	if (v >= NONE)
		printf(" %8s", "-");
	else if (v >= UNAV)
		printf(" %8s", "unavail.");
	else
		printf(" %8.0f", v);
}

static void print_ns1(double v)
{
	if (v >= NONE)
		printf(" %8s", "-");
	else if (v >= UNAV)
		printf(" %8s", "unavail.");
	else
		printf(" %8.1f", v);
}

/* a / b, "how many times b" */
static void print_ratio(double a, double b)
{
	if (a >= UNAV || b >= UNAV || b <= 0)
		printf(" %7s", "-");
	else
		printf(" %6.2fx", a / b);
}

/* ---- table 2: a fresh packet each run -------------------------------------
 */

struct row2 {
	struct target *t;
	const struct pkt *pkts;
	unsigned int np;
	const char *label;
	double u[V_NR], k;
	unsigned int hu[V_NR][6], hk[6];
	bool mismatch;
};

static void row2_run(struct row2 *w, unsigned int rep)
{
	unsigned int hu[V_NR][6] = {{0}}, hk[6] = {0};
	static const char *const vn[V_NR] = {"interpreter", "JIT",
					     "JIT, blinded"};
	bool did_k = false;
	double d;
	int side, v;

	for (side = 0; side < 2; side++) {
		bool kernel = (side + rep) % 2;

		if (kernel && !no_kernel[0]) {
			d = k_fresh(w->t, w->pkts, w->np, fresh, hk);
			if (d >= 0)
				w->k = min_d(w->k, d);
			did_k = true;
		} else if (!kernel) {
			for (v = 0; v < V_NR; v++) {
				struct uside *u = &w->t->u[v];

				if (u->unavail) {
					w->u[v] = UNAV;
					continue;
				}
				if (!u->up)
					continue;
				d = u_fresh(w->t, u->up, w->pkts, w->np, fresh,
					    hu[v]);
				if (d >= 0)
					w->u[v] = min_d(w->u[v], d);
			}
		}
	}
	for (v = 0; v < V_NR; v++) {
		if (!w->t->u[v].up)
			continue;
		if (did_k && memcmp(hu[v], hk, sizeof(hk)) && !w->mismatch) {
			w->mismatch = true;
			fail("%s, %s: the verdicts differ: libuebpf (%s) "
			     "aborted/drop/pass/tx/redirect/other "
			     "%u/%u/%u/%u/%u/%u, kernel %u/%u/%u/%u/%u/%u",
			     w->t->obj, w->label, vn[v], hu[v][0], hu[v][1],
			     hu[v][2], hu[v][3], hu[v][4], hu[v][5], hk[0],
			     hk[1], hk[2], hk[3], hk[4], hk[5]);
		}
		if (v > V_INTERP && memcmp(hu[v], hu[V_INTERP], sizeof(hk)) &&
		    !w->mismatch) {
			w->mismatch = true;
			fail("%s, %s: the %s's verdicts differ from the "
			     "interpreter's",
			     w->t->obj, w->label, vn[v]);
		}
	}
	memcpy(w->hu, hu, sizeof(hu));
	memcpy(w->hk, hk, sizeof(hk));
}

/* ---- the tables ------------------------------------------------------------
 */

static void report1(struct row1 *r1, unsigned int n1)
{
	unsigned int i;
	int v;

	printf("\n1. `prog run ... repeat %u`: mean ns per run, each run on "
	       "the packet the previous run left\n",
	       repeat);
	printf("%-14s %-13s %4s | %-26s | %-44s\n", "", "", "",
	       no_cli ? "" : "  command line processes", "  in this process");
	printf("%-14s %-13s %4s | %8s %8s %7s  | %8s %8s %8s %7s %7s\n",
	       "program", "packet", "ret", "uebpf", "bpftool", "ratio",
	       "interp", "JIT", "kernel", "JIT/k", "int/JIT");
	for (i = 0; i < n1; i++) {
		struct row1 *w = &r1[i];
		uint32_t ret = w->r_u_in[V_INTERP];
		bool differ = (w->k_in < UNAV && w->r_k_in != ret) ||
			      (w->u_cli < UNAV && w->r_u_cli != ret) ||
			      (w->k_cli < UNAV && w->r_k_cli != ret);

		for (v = V_JIT; v <= V_JIT; v++)
			if (w->u_in[v] < UNAV && w->r_u_in[v] != ret)
				differ = true;
		if (differ)
			fail("%s, %s: return values differ: interpreter %u, "
			     "JIT %u, kernel %u, uebpf prog run %u, bpftool "
			     "%u",
			     w->t->obj, w->label, ret, w->r_u_in[V_JIT],
			     w->r_k_in, w->r_u_cli, w->r_k_cli);
		printf("%-14s %-13s %4u |", w->t->obj, w->label, ret);
		print_ns(w->u_cli);
		print_ns(w->k_cli);
		print_ratio(w->u_cli, w->k_cli);
		printf("  |");
		print_ns(w->u_in[V_INTERP]);
		print_ns(w->u_in[V_JIT]);
		print_ns(w->k_in);
		print_ratio(w->u_in[V_JIT], w->k_in);
		print_ratio(w->u_in[V_INTERP], w->u_in[V_JIT]);
		printf("\n");
	}
	printf("   uebpf: `UEBPF_ENGINE=%s uebpf prog run OBJ name PROG "
	       "data_in PKT repeat %u`; bpftool:\n"
	       "   `bpftool prog run pinned PIN data_in PKT repeat %u`; in "
	       "this process: uebpf_xdp_run()\n"
	       "   %u times as the tool does, and bpf_prog_test_run_opts("
	       "repeat %u), whose duration is\n"
	       "   what bpftool prints.  JIT/k: JIT / kernel; int/JIT: "
	       "interpreter / JIT.\n",
	       cli_engine, repeat, repeat, repeat, repeat);
	printf("(*) xdp_lb encapsulates the VIP packet (IPv4 in IPv4, "
	       "XDP_TX) on the first run only: the\n"
	       "   other %u runs see the encapsulated packet, addressed to "
	       "a real, and pass it (ret 2),\n"
	       "   so this row times the LB's parse-and-pass path; table 2 "
	       "has a fresh packet each run.\n",
	       repeat - 1);
	if (!no_cli)
		printf("   For xdp_lb, `uebpf batch` runs the configuration "
		       "lines (xdp_lb_write_batch) before\n"
		       "   `prog run`; bpftool runs the program this process "
		       "loaded and configured through\n"
		       "   libbpf (xdp_lb_configure), pinned in a bpffs of a "
		       "private mount namespace.\n"
		       "   xdp_drop has no object file: bpftool alone runs "
		       "it from the command line.\n");
	fflush(stdout);
}

/* xdp_pass's figure on a side: what a run costs there with an empty
 * program (the clock reads, the call). */
static double floor_of(struct row2 *r2, unsigned int n2, int v)
{
	unsigned int i;

	for (i = 0; i < n2; i++)
		if (r2[i].t == &t_pass)
			return v < 0 ? r2[i].k : r2[i].u[v];
	return NONE;
}

static double less(double a, double b)
{
	return a >= UNAV || b >= UNAV ? NONE : a - b;
}

static void report2(struct row2 *r2, unsigned int n2)
{
	double fj = floor_of(r2, n2, V_JIT), fk = floor_of(r2, n2, -1);
	unsigned int i;

	printf("\n2. a fresh packet each run: mean ns of one run, the best "
	       "of %u chunks of %u runs.  kernel:\n   BPF_PROG_TEST_RUN with "
	       "repeat 1 per packet, its own duration (two ktime reads "
	       "around the run);\n   libuebpf: the "
	       "packet copied into a 256 B headroom frame (not timed), "
	       "two clock reads\n   around uebpf_xdp_run().  \"beyond "
	       "xdp_pass\": less the side's "
	       "xdp_pass figure (the clock reads\n"
	       "   and the call around an empty program).\n",
	       runs * 4, fresh);
	printf("%-14s %-21s | %8s %8s %8s %7s %7s | %17s %7s | %s\n", "", "",
	       "", "", "", "", "", "JIT beyond pass", "", "");
	printf("%-14s %-21s | %8s %8s %8s %7s %7s | %8s %8s %7s | %s\n",
	       "program", "packets", "interp", "JIT", "kernel", "JIT/k",
	       "int/JIT", "JIT", "kernel", "JIT/k", "drop/pass/tx");
	for (i = 0; i < n2; i++) {
		struct row2 *w = &r2[i];
		bool base = w->t == &t_pass;
		char lab[64];

		if (w->np > 1)
			fmt(lab, sizeof(lab), "%s (%u)", w->label,
			    w->np < fresh ? w->np : fresh);
		else
			fmt(lab, sizeof(lab), "%s", w->label);
		printf("%-14s %-21s |", w->t->obj, lab);
		print_ns1(w->u[V_INTERP]);
		print_ns1(w->u[V_JIT]);
		print_ns1(w->k);
		print_ratio(w->u[V_JIT], w->k);
		print_ratio(w->u[V_INTERP], w->u[V_JIT]);
		printf(" |");
		print_ns1(base ? NONE : less(w->u[V_JIT], fj));
		print_ns1(base ? NONE : less(w->k, fk));
		/* a ratio of two figures within the noise says nothing */
		if (base || less(w->u[V_JIT], fj) < 2 || less(w->k, fk) < 2)
			print_ratio(UNAV, 1);
		else
			print_ratio(less(w->u[V_JIT], fj), less(w->k, fk));
		printf(" | %u/%u/%u%s\n", w->hu[V_INTERP][1], w->hu[V_INTERP][2],
		       w->hu[V_INTERP][3],
		       w->mismatch ? "  VERDICTS DIFFER" : "");
	}
	printf("   JIT/k: JIT / kernel; int/JIT: interpreter / JIT.  "
	       "Targets: xdp_lb's sample traffic at\n"
	       "   most 0.67x the kernel's per-packet time, xdp_pass and "
	       "xdp_drop at most 1.0x.\n");
	fflush(stdout);
}

static struct batch_res best3[8][V_NR];

/* Packets of one batch-run chunk: the whole mix, 16 times. */
static unsigned int batch_chunk(void)
{
	return (mix_n * 16 + batch_n - 1) / batch_n * batch_n;
}

static void run3(struct target **targets, unsigned int nt)
{
	struct batch_res r = {0};
	unsigned int i;
	int v;

	for (i = 0; i < nt; i++)
		for (v = V_INTERP; v <= V_JIT; v++) {
			struct batch_res *b = &best3[i][v];

			if (!targets[i]->u[v].up ||
			    u_batch(targets[i], targets[i]->u[v].up,
				    batch_chunk(), &r))
				continue;
			if (r.run_pps > b->run_pps)
				b->run_pps = r.run_pps;
			if (r.all_pps > b->all_pps)
				b->all_pps = r.all_pps;
		}
}

static void print_mpps(const struct uside *u, const struct batch_res *b)
{
	if (u->unavail)
		printf(" %8s %8s %8s", "unavail.", "", "");
	else if (b->run_pps <= 0)
		printf(" %8s %8s %8s", "failed", "", "");
	else
		printf(" %8.2f %8.1f %8.2f", b->run_pps / 1e6,
		       1e9 / b->run_pps, b->all_pps / 1e6);
}

static void report3(struct target **targets, unsigned int nt, struct row2 *r2,
		    unsigned int n2)
{
	unsigned int i, j;

	printf("\n3. uebpf_xdp_run_batch() throughput per engine: %u buffers "
	       "a call (256 B headroom), fresh\n"
	       "   copies of the %u packets of the LB's sample traffic; the "
	       "best of %u chunks of %u packets.\n"
	       "   \"+copy\": Mpps with the copies into the frames timed too.  "
	       "The kernel's figure of table 2\n"
	       "   for scale.\n",
	       batch_n, mix_n, runs * 4, batch_chunk());
	printf("%-14s | %-26s | %-26s | %s\n", "", "  interpreter", "  JIT",
	       "");
	printf("%-14s | %8s %8s %8s | %8s %8s %8s | %s\n", "program", "Mpps",
	       "ns/pkt", "+copy", "Mpps", "ns/pkt", "+copy",
	       "kernel (table 2)");
	for (i = 0; i < nt; i++) {
		double kns = NONE;

		/* The row of the same traffic, or one packet's. */
		for (j = 0; j < n2; j++)
			if (r2[j].t == targets[i] &&
			    (r2[j].np > 1 || targets[i] == &t_pass ||
			     targets[i] == &t_drop))
				kns = r2[j].k;
		printf("%-14s |", targets[i]->obj);
		print_mpps(&targets[i]->u[V_INTERP], &best3[i][V_INTERP]);
		printf(" |");
		print_mpps(&targets[i]->u[V_JIT], &best3[i][V_JIT]);
		printf(" |");
		if (kns < UNAV)
			printf(" %.2f Mpps (%.0f ns a run)\n", 1e3 / kns, kns);
		else
			printf(" -\n");
	}
	fflush(stdout);
}

/* Table 4: blinding, from table 2's rows of the targets loaded blinded. */
static void report4(struct row2 *r2, unsigned int n2)
{
	unsigned int i;

	printf("\n4. constant blinding (jit_blinding): table 2's fresh-packet "
	       "runs, the JIT's code blinded\n   and not; the code size "
	       "(uebpf_prog_jited_len) of each.\n");
	printf("%-14s %-21s | %8s %8s %8s %7s | %8s %8s\n", "program",
	       "packets", "JIT", "blinded", "cost ns", "cost", "bytes",
	       "blinded");
	for (i = 0; i < n2; i++) {
		struct row2 *w = &r2[i];
		const struct uside *j = &w->t->u[V_JIT], *b = &w->t->u[V_BLIND];
		char lab[64];

		if (!w->t->blind)
			continue;
		if (w->np > 1)
			fmt(lab, sizeof(lab), "%s (%u)", w->label,
			    w->np < fresh ? w->np : fresh);
		else
			fmt(lab, sizeof(lab), "%s", w->label);
		printf("%-14s %-21s |", w->t->obj, lab);
		print_ns1(w->u[V_JIT]);
		print_ns1(w->u[V_BLIND]);
		print_ns1(less(w->u[V_BLIND], w->u[V_JIT]));
		if (w->u[V_JIT] < UNAV && w->u[V_BLIND] < UNAV)
			printf(" %+6.1f%%",
			       100.0 * (w->u[V_BLIND] - w->u[V_JIT]) /
				       w->u[V_JIT]);
		else
			printf(" %7s", "-");
		printf(" |");
		if (j->up && b->up)
			printf(" %8zu %8zu\n", uebpf_prog_jited_len(j->up),
			       uebpf_prog_jited_len(b->up));
		else
			printf(" %8s %8s\n", "-", "-");
	}
	fflush(stdout);
}

/* ---- main ------------------------------------------------------------------
 */

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-n REPEAT] [-r RUNS] [-f FRESH] [-c CPU] [-m MIX] "
		"[-b BATCH] [-t UEBPF_TOOL] [--no-cli]\n",
		argv0);
	exit(2);
}

static void cleanup(void)
{
	char path[PATH_MAX + 32];

	target_close(&t_pass);
	target_close(&t_drop);
	target_close(&t_filter);
	target_close(&t_pd);
	target_close(&t_lb);
	if (pin_mounted)
		umount(pindir);
	if (pindir[0])
		rmdir(pindir);
	if (tmpdir[0]) {
		fmt(path, sizeof(path), "rm -rf '%s'", tmpdir);
		if (system(path) != 0)
			fprintf(stderr, "bench_xdp: could not remove %s\n",
				tmpdir);
	}
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"no-cli", no_argument, NULL, 'N'},
		{NULL, 0, NULL, 0},
	};
	const char *tool_arg = NULL, *env;
	struct row1 r1[12];
	struct row2 r2[12];
	struct target *targets[8];
	unsigned int n1 = 0, n2 = 0, nt = 0, i, j, rep;
	struct utsname un;
	cpu_set_t set;
	char path[PATH_MAX + 32], jit[16] = "?";
	FILE *f;
	bool have_pd;
	int opt;

	while ((opt = getopt_long(argc, argv, "n:r:f:c:m:b:t:h", lopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'n':
			repeat = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'r': runs = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'f': fresh = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'c': cpu = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'm': mix_n = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'b':
			batch_n = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 't': tool_arg = optarg; break;
		case 'N': no_cli = true; break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || !repeat || !runs || !fresh || !mix_n || !batch_n)
		usage(argv[0]);
	env = getenv("UEBPF_PROGS_DIR");
	if (env && *env)
		progs_dir = env;
	libbpf_set_print(quiet);

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "bench_xdp: cannot pin to CPU %u: %s\n", cpu,
			strerror(errno));
		return 1;
	}
	lo_ifindex = if_nametoindex("lo");
	frame = aligned_alloc(64, FRAME);
	mix = calloc(mix_n, sizeof(*mix));
	fmt(tmpdir, sizeof(tmpdir), "/tmp/bench_xdp.XXXXXX");
	if (!frame || !mix || !mkdtemp(tmpdir)) {
		fprintf(stderr, "bench_xdp: setup: %s\n", strerror(errno));
		return 1;
	}
	atexit(cleanup);

	build_tcp4();
	build_udp6();
	i = 0;
	if (xdp_lb_traffic(1, mix_n, add_mix, &i) < 0) {
		fprintf(stderr, "bench_xdp: building the sample traffic\n");
		return 1;
	}

	probe_kernel();
	if (no_kernel[0])
		fmt(no_bpftool, sizeof(no_bpftool), "%s", no_kernel);
	else if (!no_cli)
		mount_pins();
	find_tool(tool_arg);

	fmt(path, sizeof(path), "%s/xdp_parse_drop.o", progs_dir);
	have_pd = access(path, R_OK) == 0;
	targets[nt++] = &t_pass;
	targets[nt++] = &t_drop;
	targets[nt++] = &t_filter;
	if (have_pd)
		targets[nt++] = &t_pd;
	targets[nt++] = &t_lb;
	for (i = 0; i < nt; i++)
		if (setup_target(targets[i]))
			return 1;
	if (!t_pass.u[V_JIT].unavail)
		cli_engine = "jit";

	/* Table 1's rows: each packet also as a file for the tools. */
	memset(r1, 0, sizeof(r1));
	r1[n1++] =
		(struct row1){.t = &t_pass, .p = &tcp4, .label = "tcp4, 64 B"};
	r1[n1++] =
		(struct row1){.t = &t_drop, .p = &tcp4, .label = "tcp4, 64 B"};
	r1[n1++] = (struct row1){
		.t = &t_filter, .p = &tcp4, .label = "tcp4, 64 B"};
	r1[n1++] =
		(struct row1){.t = &t_filter, .p = &udp6, .label = "vlan udp6"};
	if (have_pd) {
		r1[n1++] = (struct row1){
			.t = &t_pd, .p = &tcp4, .label = "tcp4, 64 B"};
		r1[n1++] = (struct row1){
			.t = &t_pd, .p = &udp6, .label = "vlan udp6"};
	}
	r1[n1++] =
		(struct row1){.t = &t_lb, .p = &tcp4, .label = "tcp4 VIP (*)"};
	for (i = 0; i < n1; i++) {
		fmt(r1[i].file, sizeof(r1[i].file), "%s/pkt%u", tmpdir, i);
		if (write_file(r1[i].file, r1[i].p->data, r1[i].p->len)) {
			fprintf(stderr, "bench_xdp: writing %s failed\n",
				r1[i].file);
			return 1;
		}
		r1[i].u_cli = r1[i].k_cli = r1[i].k_in = NONE;
		for (j = 0; j < V_NR; j++)
			r1[i].u_in[j] = NONE;
	}

	memset(r2, 0, sizeof(r2));
	r2[n2++] = (struct row2){
		.t = &t_pass, .pkts = &tcp4, .np = 1, .label = "tcp4, 64 B"};
	r2[n2++] = (struct row2){
		.t = &t_drop, .pkts = &tcp4, .np = 1, .label = "tcp4, 64 B"};
	r2[n2++] = (struct row2){
		.t = &t_filter, .pkts = &tcp4, .np = 1, .label = "tcp4, 64 B"};
	r2[n2++] = (struct row2){.t = &t_filter,
				 .pkts = mix,
				 .np = mix_n,
				 .label = "sample traffic"};
	if (have_pd)
		r2[n2++] = (struct row2){.t = &t_pd,
					 .pkts = mix,
					 .np = mix_n,
					 .label = "sample traffic"};
	r2[n2++] = (struct row2){.t = &t_lb,
				 .pkts = &tcp4,
				 .np = 1,
				 .label = "tcp4 VIP: encap, TX"};
	r2[n2++] = (struct row2){.t = &t_lb,
				 .pkts = mix,
				 .np = mix_n,
				 .label = "sample traffic"};
	for (i = 0; i < n2; i++) {
		r2[i].k = NONE;
		for (j = 0; j < V_NR; j++)
			r2[i].u[j] = NONE;
	}

	uname(&un);
	f = fopen("/proc/sys/net/core/bpf_jit_enable", "r");
	if (f) {
		if (!fgets(jit, sizeof(jit), f))
			fmt(jit, sizeof(jit), "?");
		jit[strcspn(jit, "\n")] = 0;
		fclose(f);
	}
	printf("bench_xdp: XDP per-packet time, libuebpf %s (JIT and "
	       "interpreter) beside Linux %s\n(bpf_jit_enable=%s), "
	       "pinned to CPU %u; best of %u interleaved repetitions; "
	       "ratios from\nthis run only\n",
	       uebpf_version(), un.release, jit, cpu, runs);
	if (jit_missing)
		printf("JIT: unavailable (this build's JIT declines the "
		       "programs: EOPNOTSUPP)\n");
	if (no_kernel[0])
		printf("kernel columns skipped: %s\n", no_kernel);
	else if (!no_cli && no_bpftool[0])
		printf("bpftool column skipped: %s\n", no_bpftool);
	if (!no_cli && no_tool[0])
		printf("uebpf column skipped: %s\n", no_tool);
	fflush(stdout);

	/* Tables 2 and 3 run short chunks: four of them a repetition. */
	for (rep = 0; rep < runs; rep++) {
		for (i = 0; i < n1; i++)
			row1_run(&r1[i], rep);
		for (j = 0; j < 4; j++) {
			for (i = 0; i < n2; i++)
				row2_run(&r2[i], rep * 4 + j);
			run3(targets, nt);
		}
	}

	report1(r1, n1);
	report2(r2, n2);
	report3(targets, nt, r2, n2);
	report4(r2, n2);
	return failures ? 1 : 0;
}
