/* SPDX-License-Identifier: MIT */
/*
 * bench_interp: nanoseconds per executed instruction of the libuebpf
 * interpreter and JIT, side by side with the Linux kernel (JIT or
 * interpreter, whichever the host runs) on the same loops.
 *
 *   bench_interp [ITERATIONS]      default 20000 loop iterations per run
 *
 * Three counted loops, each straight-line apart from its back edge, so the
 * number of executed instructions per run is exact:
 *   alu     add/xor/mul/shift/and on r2..r5, 10 insns per iteration
 *   stack   ldxdw/stxdw/ldxw/stxw at several offsets from r10
 *   packet  ldxdw/ldxw/ldxh/ldxb from the data buffer (r1 for libuebpf,
 *           xdp_md->data for the kernel; same loop body, equal prologues)
 *
 * libuebpf runs each loop twice over, in both engines:
 *   raw   as a BPF_PROG_TYPE_UNSPEC program through uebpf_prog_run():
 *         unverified, so the interpreter checks every access and the JIT
 *         compiles a bounds check into every load and store;
 *   xdp   the kernel's very instructions as a verified XDP program through
 *         uebpf_xdp_run(): no run-time checks in either engine.
 * The executed-instruction count is cross-checked with the raw program's
 * instruction budget (exactly N passes, N - 1 times out; only the
 * interpreter counts).  The kernel runs the XDP variant through
 * BPF_PROG_TEST_RUN, which reports the mean ns per run.  The best of
 * several repetitions is kept on every side.  Where the JIT does not take
 * a program (a build without one, or a placeholder), its column says
 * "unavailable".  Timing is reported, never judged: the exit status is 0
 * unless libuebpf itself fails.
 */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "uebpf.h"

/* ---- instruction builders ------------------------------------------------ */

#define INSN(CODE, DST, SRC, OFF, IMM)       \
	((struct bpf_insn){.code = (CODE),   \
			   .dst_reg = (DST), \
			   .src_reg = (SRC), \
			   .off = (OFF),     \
			   .imm = (IMM)})
#define ALU64_K(OP, DST, IMM)	 INSN(BPF_ALU64 | (OP) | BPF_K, DST, 0, 0, IMM)
#define ALU64_X(OP, DST, SRC)	 INSN(BPF_ALU64 | (OP) | BPF_X, DST, SRC, 0, 0)
#define MOV_K(DST, IMM)		 ALU64_K(BPF_MOV, DST, IMM)
#define MOV_X(DST, SRC)		 ALU64_X(BPF_MOV, DST, SRC)
#define LDX(SZ, DST, SRC, OFF)	 INSN(BPF_LDX | BPF_MEM | (SZ), DST, SRC, OFF, 0)
#define STX(SZ, DST, SRC, OFF)	 INSN(BPF_STX | BPF_MEM | (SZ), DST, SRC, OFF, 0)
#define JMP_K(OP, DST, IMM, OFF) INSN(BPF_JMP | (OP) | BPF_K, DST, 0, OFF, IMM)
#define JMP_X(OP, DST, SRC, OFF) INSN(BPF_JMP | (OP) | BPF_X, DST, SRC, OFF, 0)
#define EXIT_INSN()		 INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define R0  0
#define R1  1
#define R2  2
#define R3  3
#define R4  4
#define R5  5
#define R6  6
#define R7  7
#define R8  8
#define R9  9
#define R10 10

#define MAX_INSNS	64
#define XDP_PASS_ACTION 2 /* enum xdp_action lives in the same header */
#define PKT_LEN		64

struct prog {
	struct bpf_insn insn[MAX_INSNS];
	int n;
	int loop;      /* pc of the loop head */
	int back_edge; /* pc of the conditional back jump */
	int skip_at;   /* pc of a forward "bounds fail" jump, -1 if none */
};

static void emit(struct prog *p, struct bpf_insn in)
{
	if (p->n >= MAX_INSNS) {
		fprintf(stderr, "bench_interp: program too long\n");
		exit(2);
	}
	p->insn[p->n++] = in;
}

static void loop_head(struct prog *p)
{
	p->loop = p->n;
}

/* if r6 != 0 goto loop head */
static void loop_back(struct prog *p)
{
	p->back_edge = p->n;
	emit(p, JMP_K(BPF_JNE, R6, 0, (int16_t)(p->loop - (p->n + 1))));
}

/* The epilogue every variant shares: keep the accumulator alive on the
 * stack, return XDP_PASS.  A pending bounds-fail jump lands on r0 = 2. */
static void epilogue(struct prog *p, int acc)
{
	emit(p, STX(BPF_DW, R10, acc, -64));
	if (p->skip_at >= 0)
		p->insn[p->skip_at].off = (int16_t)(p->n - (p->skip_at + 1));
	emit(p, MOV_K(R0, XDP_PASS_ACTION));
	emit(p, EXIT_INSN());
}

/* Executed instructions of one run: everything outside the loop once, the
 * loop body `iters` times (every variant is straight-line apart from the
 * back edge and a bounds check that does not fire). */
static uint64_t insns_per_run(const struct prog *p, uint32_t iters)
{
	uint64_t body = (uint64_t)(p->back_edge - p->loop + 1);

	return (uint64_t)p->n - body + body * iters;
}

static void prog_init(struct prog *p)
{
	memset(p, 0, sizeof(*p));
	p->skip_at = -1;
}

/* (a) ALU: 10 insns per iteration. */
static void build_alu(struct prog *p, uint32_t iters)
{
	prog_init(p);
	emit(p, MOV_K(R6, (int32_t)iters));
	emit(p, MOV_K(R2, 1));
	emit(p, MOV_K(R3, 0x12345));
	emit(p, MOV_K(R4, 7));
	emit(p, MOV_K(R5, 0));
	loop_head(p);
	emit(p, ALU64_X(BPF_ADD, R2, R6));
	emit(p, ALU64_X(BPF_XOR, R3, R2));
	emit(p, ALU64_K(BPF_MUL, R4, 3));
	emit(p, ALU64_X(BPF_ADD, R5, R4));
	emit(p, ALU64_K(BPF_LSH, R2, 3));
	emit(p, ALU64_K(BPF_RSH, R3, 1));
	emit(p, ALU64_K(BPF_AND, R4, 0xffff));
	emit(p, ALU64_X(BPF_XOR, R5, R3));
	emit(p, ALU64_K(BPF_SUB, R6, 1));
	loop_back(p);
	epilogue(p, R5);
}

/* (b) stack: 13 insns per iteration, 8 of them loads or stores. */
static void build_stack(struct prog *p, uint32_t iters)
{
	prog_init(p);
	emit(p, MOV_K(R6, (int32_t)iters));
	emit(p, MOV_K(R2, 0));
	emit(p, MOV_K(R3, 1));
	emit(p, STX(BPF_DW, R10, R2, -8));
	emit(p, STX(BPF_DW, R10, R3, -16));
	emit(p, STX(BPF_W, R10, R3, -20));
	emit(p, STX(BPF_W, R10, R2, -24));
	loop_head(p);
	emit(p, LDX(BPF_DW, R2, R10, -8));
	emit(p, ALU64_X(BPF_ADD, R2, R6));
	emit(p, STX(BPF_DW, R10, R2, -8));
	emit(p, LDX(BPF_W, R3, R10, -20));
	emit(p, ALU64_K(BPF_ADD, R3, 1));
	emit(p, STX(BPF_W, R10, R3, -20));
	emit(p, LDX(BPF_DW, R4, R10, -16));
	emit(p, ALU64_X(BPF_XOR, R4, R2));
	emit(p, STX(BPF_DW, R10, R4, -16));
	emit(p, STX(BPF_W, R10, R6, -24));
	emit(p, LDX(BPF_W, R5, R10, -24));
	emit(p, ALU64_K(BPF_SUB, R6, 1));
	loop_back(p);
	epilogue(p, R4);
}

/* (c) packet: loads from the data buffer, 11 insns per iteration.  The
 * kernel finds the data in xdp_md (r1), libuebpf's raw programs get it in
 * r1 and its length in r2; both prologues are 3 instructions. */
static void build_packet(struct prog *p, uint32_t iters, bool kernel)
{
	prog_init(p);
	if (kernel) {
		emit(p, LDX(BPF_W, R7, R1, 0)); /* xdp_md->data */
		emit(p, LDX(BPF_W, R8, R1, 4)); /* xdp_md->data_end */
		emit(p, MOV_K(R0, 0));
	} else {
		emit(p, MOV_X(R7, R1));
		emit(p, MOV_X(R8, R1));
		emit(p, ALU64_X(BPF_ADD, R8, R2));
	}
	emit(p, MOV_X(R2, R7));
	emit(p, ALU64_K(BPF_ADD, R2, PKT_LEN));
	p->skip_at = p->n;
	emit(p, JMP_X(BPF_JGT, R2, R8, 0)); /* patched by epilogue() */
	emit(p, MOV_K(R6, (int32_t)iters));
	emit(p, MOV_K(R9, 0));
	loop_head(p);
	emit(p, LDX(BPF_DW, R2, R7, 0));
	emit(p, LDX(BPF_DW, R3, R7, 8));
	emit(p, LDX(BPF_W, R4, R7, 16));
	emit(p, LDX(BPF_H, R5, R7, 20));
	emit(p, LDX(BPF_B, R0, R7, 22));
	emit(p, ALU64_X(BPF_ADD, R2, R3));
	emit(p, ALU64_X(BPF_XOR, R4, R5));
	emit(p, ALU64_X(BPF_ADD, R9, R2));
	emit(p, ALU64_X(BPF_ADD, R9, R4));
	emit(p, ALU64_K(BPF_SUB, R6, 1));
	loop_back(p);
	epilogue(p, R9);
}

/* ---- timing ---------------------------------------------------------------
 */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#define REPETITIONS 7
#define TARGET_NS   100000000ull /* per repetition */

/* ---- libuebpf ---------------------------------------------------------------
 */

/* Loads p as `type` in `engine`.  A JIT load the build declines
 * (EOPNOTSUPP) is quiet: the caller prints "unavailable". */
static struct uebpf_prog *ue_load_as(struct uebpf_runtime *rt,
				     const struct prog *p, const char *name,
				     enum bpf_prog_type type,
				     enum uebpf_engine engine, uint64_t budget)
{
	static char log[1 << 24];
	struct uebpf_prog *prog;

	/* A verified loop logs every state it walks at level 1: the XDP
	 * variants load with the failure's reason only (level 0). */
	UEBPF_OPTS(uebpf_prog_load_opts, opts, .name = name, .log_buf = log,
		   .log_size = sizeof(log),
		   .log_level = 1,
		   .insn_budget = budget, .engine = engine);
	log[0] = '\0';
	prog = uebpf_prog_load(rt, type, p->insn, (size_t)p->n, &opts);
	if (!prog && !(engine == UEBPF_ENGINE_JIT && errno == EOPNOTSUPP))
		fprintf(stderr, "bench_interp: uebpf_prog_load(%s, %s): %s\n%s",
			name, engine == UEBPF_ENGINE_JIT ? "jit" : "interp",
			strerror(errno), strlen(log) > 2000 ? log + strlen(log) - 2000 : log);
	if (prog && uebpf_prog_engine(prog) != engine) {
		fprintf(stderr, "bench_interp: %s: asked for the %s, runs in "
			"the %s\n", name,
			engine == UEBPF_ENGINE_JIT ? "JIT" : "interpreter",
			engine == UEBPF_ENGINE_JIT ? "interpreter" : "JIT");
		uebpf_prog_free(prog);
		errno = EPROTO;
		prog = NULL;
	}
	return prog;
}

static struct uebpf_prog *ue_load(struct uebpf_runtime *rt,
				  const struct prog *p, const char *name,
				  uint64_t budget)
{
	return ue_load_as(rt, p, name, BPF_PROG_TYPE_UNSPEC,
			  UEBPF_ENGINE_INTERP, budget);
}

/* The budget agrees with the count: exactly `expect` instructions pass,
 * one fewer stops the run with -ETIMEDOUT. */
static bool ue_check_count(struct uebpf_runtime *rt, const struct prog *p,
			   const char *name, uint64_t expect, uint8_t *pkt)
{
	struct uebpf_prog *exact, *short_;
	uint64_t r0 = 0;
	bool ok = false;
	int e1 = -1, e2 = 0;

	exact = ue_load(rt, p, name, expect);
	short_ = ue_load(rt, p, name, expect - 1);
	if (exact && short_) {
		e1 = uebpf_prog_run(exact, pkt, PKT_LEN, &r0);
		e2 = uebpf_prog_run(short_, pkt, PKT_LEN, &r0);
		ok = e1 == 0 && e2 == -ETIMEDOUT;
	}
	if (!ok)
		fprintf(stderr,
			"bench_interp: %s: instruction count %llu not "
			"confirmed by the budget (exact run %d, one short "
			"%d)\n",
			name, (unsigned long long)expect, e1, e2);
	uebpf_prog_free(exact);
	uebpf_prog_free(short_);
	return ok;
}

/* One run: raw through uebpf_prog_run(), XDP through uebpf_xdp_run() on
 * a frame with the packet at a 256-byte headroom. */
static int ue_run1(struct uebpf_prog *prog, bool xdp, uint8_t *pkt,
		   uint64_t *r0)
{
	static uint8_t frame[4096] __attribute__((aligned(64)));
	UEBPF_OPTS(uebpf_xdp_buff, buf);
	UEBPF_OPTS(uebpf_xdp_result, res);
	int err;

	if (!xdp)
		return uebpf_prog_run(prog, pkt, PKT_LEN, r0);
	buf.data_hard_start = frame;
	buf.data = frame + UEBPF_XDP_HEADROOM;
	buf.data_end = frame + UEBPF_XDP_HEADROOM + PKT_LEN;
	buf.frame_sz = sizeof(frame) - 320;
	err = uebpf_xdp_run(prog, &buf, &res);
	*r0 = res.retval;
	return err < 0 ? err : 0;
}

/* Best ns per run of `prog`, or -1 on a failed run. */
static double ue_time(struct uebpf_prog *prog, bool xdp, uint8_t *pkt)
{
	uint64_t r0 = 0, t0, t1, best = UINT64_MAX, runs = 1;
	int i, rep, err;

	/* calibrate: enough runs for about TARGET_NS per repetition */
	t0 = now_ns();
	err = ue_run1(prog, xdp, pkt, &r0);
	t1 = now_ns();
	if (err || r0 != XDP_PASS_ACTION) {
		fprintf(stderr,
			"bench_interp: %s run: err %d r0 %llu\n",
			xdp ? "uebpf_xdp_run" : "uebpf_prog_run", err,
			(unsigned long long)r0);
		return -1;
	}
	if (t1 > t0)
		runs = TARGET_NS / (t1 - t0);
	if (runs < 1)
		runs = 1;
	if (runs > 1000000)
		runs = 1000000;
	for (rep = 0; rep < REPETITIONS; rep++) {
		t0 = now_ns();
		for (i = 0; (uint64_t)i < runs; i++)
			err |= ue_run1(prog, xdp, pkt, &r0);
		t1 = now_ns();
		if (err)
			return -1;
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	return (double)best / (double)runs;
}

/* ---- the kernel -------------------------------------------------------------
 */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static void print_log_tail(const char *log)
{
	size_t len = strlen(log);
	const char *s = len > 3000 ? log + len - 3000 : log;

	fprintf(stderr, "  verifier log%s:\n%s\n", s != log ? " (tail)" : "",
		s);
}

/* Loads p as XDP; returns the fd or -errno, with the reason printed. */
static int k_load(const struct prog *p, const char *name, char *stats,
		  size_t stats_sz)
{
	static char log[1 << 20];
	union bpf_attr attr;
	int fd, err;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_XDP;
	attr.insns = (uint64_t)(uintptr_t)p->insn;
	attr.insn_cnt = (uint32_t)p->n;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	snprintf(attr.prog_name, sizeof(attr.prog_name), "%s", name);
	/* level 4 = BPF_LOG_STATS: just the "processed N insns" summary */
	log[0] = '\0';
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 4;
	fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0) {
		const char *s = strstr(log, "processed ");

		snprintf(stats, stats_sz, "%.*s", s ? (int)strcspn(s, "\n") : 0,
			 s ? s : "");
		return fd;
	}
	err = errno;
	/* Again with the full log, for the reason. */
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_XDP;
	attr.insns = (uint64_t)(uintptr_t)p->insn;
	attr.insn_cnt = (uint32_t)p->n;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	log[0] = '\0';
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0) { /* loads with a log but not without: odd, use it */
		stats[0] = '\0';
		return fd;
	}
	fprintf(stderr, "  kernel: BPF_PROG_LOAD(%s) failed: %s\n", name,
		strerror(err));
	if (log[0])
		print_log_tail(log);
	return -err;
}

/* 1 if the kernel JIT-compiled fd, 0 if not, -1 if unknown. */
static int k_jited(int fd)
{
	struct bpf_prog_info info;
	union bpf_attr attr;

	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (uint32_t)fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uint64_t)(uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr))
		return -1;
	return info.jited_prog_len > 0;
}

/* Best mean ns per run, or -errno. */
static double k_time(int fd, uint8_t *pkt, double uebpf_ns_per_run)
{
	uint8_t out[PKT_LEN + 256];
	union bpf_attr attr;
	uint32_t repeat = 1000, best = UINT32_MAX;
	int rep;

	/* about TARGET_NS per repetition if the kernel is 10x faster than
	 * the interpreter */
	if (uebpf_ns_per_run > 0) {
		double r = 10.0 * (double)TARGET_NS / uebpf_ns_per_run;

		repeat = r < 10 ? 10 : r > 100000 ? 100000 : (uint32_t)r;
	}
	for (rep = 0; rep < REPETITIONS; rep++) {
		memset(&attr, 0, sizeof(attr));
		attr.test.prog_fd = (uint32_t)fd;
		attr.test.data_in = (uint64_t)(uintptr_t)pkt;
		attr.test.data_size_in = PKT_LEN;
		attr.test.data_out = (uint64_t)(uintptr_t)out;
		attr.test.data_size_out = sizeof(out);
		attr.test.repeat = repeat;
		if (sys_bpf(BPF_PROG_TEST_RUN, &attr)) {
			int err = errno;

			fprintf(stderr,
				"  kernel: BPF_PROG_TEST_RUN failed: %s\n",
				strerror(err));
			return -err;
		}
		if (attr.test.retval != XDP_PASS_ACTION) {
			fprintf(stderr, "  kernel: retval %u, expected %d\n",
				attr.test.retval, XDP_PASS_ACTION);
			return -EPROTO;
		}
		if (attr.test.duration < best)
			best = attr.test.duration;
	}
	return best;
}

static void print_jit_setting(void)
{
	FILE *f = fopen("/proc/sys/net/core/bpf_jit_enable", "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	if (v < 0)
		printf("kernel: net.core.bpf_jit_enable unreadable\n");
	else
		printf("kernel: net.core.bpf_jit_enable = %d (%s)\n", v,
		       v ? "JIT on" : "JIT off, interpreter");
}

/* ---- main -------------------------------------------------------------------
 */

/* Engines by column. */
enum { E_INTERP, E_JIT, E_NR };

struct result {
	const char *name;
	uint64_t insns;
	bool count_ok;
	/* ns per run, [raw/xdp][engine]; < 0: failed, -2: JIT unavailable */
	double ue[2][E_NR];
	double k_run; /* ns per run; < 0: skipped */
	int k_jit;
	char k_stats[160];
};

#define UNAVAILABLE (-2.0)

/* Loads p (raw or as XDP) in engine e and times it into *out. */
static int ue_measure(struct uebpf_runtime *rt, const struct prog *p,
		      const char *name, bool xdp, int e, uint8_t *pkt,
		      double *out)
{
	struct uebpf_prog *prog;

	prog = ue_load_as(rt, p, name,
			  xdp ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_UNSPEC,
			  e == E_JIT ? UEBPF_ENGINE_JIT : UEBPF_ENGINE_INTERP,
			  0);
	if (!prog) {
		if (e == E_JIT && errno == EOPNOTSUPP) {
			*out = UNAVAILABLE;
			return 0;
		}
		*out = -1;
		return 1;
	}
	*out = ue_time(prog, xdp, pkt);
	uebpf_prog_free(prog);
	return *out < 0;
}

static void fmt_ns(char *b, size_t n, double v)
{
	if (v == UNAVAILABLE)
		snprintf(b, n, "unavail.");
	else if (v < 0)
		snprintf(b, n, "failed");
	else
		snprintf(b, n, "%.0f", v);
}

static void fmt_ratio(char *b, size_t n, double a, double c)
{
	if (a < 0 || c <= 0)
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.2fx", a / c);
}

int main(int argc, char **argv)
{
	/* Load failures print their log here; the runtime's own warnings
	 * would repeat them (and a JIT the build lacks, once a program). */
	UEBPF_OPTS(uebpf_runtime_opts, ropts, .nr_cpus = 1, .log_quiet = 1);
	/* the count check's one-short runs fail on purpose: no warnings */
	UEBPF_OPTS(uebpf_runtime_opts, qopts, .nr_cpus = 1, .log_quiet = 1);
	struct prog ue_p[3], k_p[3];
	struct result res[3] = {
		{.name = "alu"}, {.name = "stack"}, {.name = "packet"}};
	struct uebpf_runtime *rt, *rt_quiet;
	uint8_t *pkt;
	uint32_t iters = 20000;
	bool kernel_ok = true, jit_missing = false;
	const char *kernel_skip = NULL;
	int i, m, e, cpu, status = 0;

	if (argc > 1) {
		char *end;
		unsigned long v = strtoul(argv[1], &end, 0);

		if (*end || v < 1 || v > INT32_MAX) {
			fprintf(stderr, "usage: %s [ITERATIONS]\n", argv[0]);
			return 2;
		}
		iters = (uint32_t)v;
	}

	/* One CPU, so the libuebpf side does not migrate mid-measurement
	 * (BPF_PROG_TEST_RUN disables migration itself). */
	cpu = sched_getcpu();
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			cpu = -1;
	}

	pkt = malloc(PKT_LEN);
	if (!pkt)
		return 1;
	for (i = 0; i < PKT_LEN; i++)
		pkt[i] = (uint8_t)(i * 37 + 11);

	build_alu(&ue_p[0], iters);
	build_stack(&ue_p[1], iters);
	build_packet(&ue_p[2], iters, false);
	build_alu(&k_p[0], iters);
	build_stack(&k_p[1], iters);
	build_packet(&k_p[2], iters, true);

	rt = uebpf_runtime_new(&ropts);
	rt_quiet = uebpf_runtime_new(&qopts);
	if (!rt || !rt_quiet) {
		fprintf(stderr, "bench_interp: uebpf_runtime_new: %s\n",
			strerror(errno));
		return 1;
	}
	printf("libuebpf %s interpreter and JIT vs kernel, %u loop iterations "
	       "per run, %s\n",
	       uebpf_version(), iters,
	       cpu >= 0 ? "pinned to one CPU" : "not pinned");
	fflush(stdout);

	for (i = 0; i < 3; i++) {
		res[i].insns = insns_per_run(&ue_p[i], iters);
		res[i].count_ok = ue_check_count(
			rt_quiet, &ue_p[i], res[i].name, res[i].insns, pkt);
		res[i].k_run = -1;
		res[i].k_jit = -1;
		if (insns_per_run(&k_p[i], iters) != res[i].insns) {
			fprintf(stderr,
				"bench_interp: %s: kernel variant differs in "
				"length\n",
				res[i].name);
			status = 1;
		}
		/* raw: our own variant; xdp: the kernel's instructions */
		for (m = 0; m < 2; m++)
			for (e = 0; e < E_NR; e++) {
				status |= ue_measure(rt, m ? &k_p[i] : &ue_p[i],
						     res[i].name, m, e, pkt,
						     &res[i].ue[m][e]);
				if (res[i].ue[m][e] == UNAVAILABLE)
					jit_missing = true;
			}
	}

	/* The kernel side: skipped, with the reason, wherever it fails. */
	print_jit_setting();
	for (i = 0; i < 3 && kernel_ok; i++) {
		uint64_t processed =
			(uint64_t)(k_p[i].back_edge - k_p[i].loop + 1) * iters;
		double fastest = res[i].ue[1][E_JIT] > 0 ? res[i].ue[1][E_JIT]
							  : res[i].ue[0][E_INTERP];
		int fd;

		if (processed > 900000) {
			kernel_skip = "the verifier would walk more than ~1M "
				      "instructions; use fewer iterations";
			kernel_ok = false;
			break;
		}
		fd = k_load(&k_p[i], res[i].name, res[i].k_stats,
			    sizeof(res[i].k_stats));
		if (fd < 0) {
			kernel_skip =
				fd == -EPERM || fd == -EACCES
					? "no permission for bpf(2) (needs "
					  "root or CAP_BPF + CAP_NET_ADMIN)"
					: "BPF_PROG_LOAD failed (see above)";
			/* a verifier rejection of one program does not
			 * condemn the others, a missing permission does */
			if (fd == -EPERM || fd == -EACCES || fd == -ENOSYS)
				kernel_ok = false;
			continue;
		}
		res[i].k_jit = k_jited(fd);
		/* k_time() sizes its repeat for a kernel 10x faster than
		 * the figure it gets: give it a tenth of the fastest one */
		res[i].k_run = k_time(fd, pkt, fastest > 0 ? fastest / 10 : -1);
		if (res[i].k_run < 0)
			kernel_skip = "BPF_PROG_TEST_RUN failed (see above)";
		close(fd);
	}
	if (kernel_skip)
		printf("kernel: skipped or partial: %s\n", kernel_skip);
	for (i = 0; i < 3; i++)
		if (res[i].k_stats[0])
			printf("kernel verifier, %s: %s\n", res[i].name,
			       res[i].k_stats);
	if (jit_missing)
		printf("JIT: unavailable (this build's JIT declines the "
		       "programs: EOPNOTSUPP)\n");

	printf("\n%-8s %-4s %10s | %9s %9s %9s | %7s %7s %7s | %9s %9s %s\n",
	       "bench", "as", "insns/run", "interp", "JIT", "kernel", "interp",
	       "JIT", "kernel", "interp/", "JIT/", "kernel");
	printf("%-8s %-4s %10s | %9s %9s %9s | %7s %7s %7s | %9s %9s %s\n", "",
	       "", "", "ns/run", "ns/run", "ns/run", "ns/ins", "ns/ins",
	       "ns/ins", "JIT", "kernel", "mode");
	for (i = 0; i < 3; i++) {
		const struct result *r = &res[i];

		for (m = 0; m < 2; m++) {
			char c[3][32], pi[3][32], ra[2][32];
			double v[3] = {r->ue[m][E_INTERP], r->ue[m][E_JIT],
				       r->k_run};
			int k;

			for (k = 0; k < 3; k++) {
				if (k == 2 && v[k] < 0) {
					snprintf(c[k], sizeof(c[k]), "-");
					snprintf(pi[k], sizeof(pi[k]), "-");
					continue;
				}
				fmt_ns(c[k], sizeof(c[k]), v[k]);
				if (v[k] >= 0)
					snprintf(pi[k], sizeof(pi[k]), "%.3f",
						 v[k] / (double)r->insns);
				else
					snprintf(pi[k], sizeof(pi[k]), "-");
			}
			fmt_ratio(ra[0], sizeof(ra[0]), v[0], v[1]);
			/* the kernel runs the XDP variant */
			fmt_ratio(ra[1], sizeof(ra[1]), m ? v[1] : -1, v[2]);
			printf("%-8s %-4s %10llu | %9s %9s %9s | %7s %7s %7s | "
			       "%9s %9s %s%s\n",
			       m ? "" : r->name, m ? "xdp" : "raw",
			       (unsigned long long)r->insns, c[0], c[1], c[2],
			       pi[0], pi[1], pi[2], ra[0], ra[1],
			       r->k_run < 0	? "-"
			       : r->k_jit == 1	? "jit"
			       : r->k_jit == 0	? "interp"
						: "?",
			       r->count_ok || m
				       ? ""
				       : "  (insn count NOT confirmed)");
		}
	}
	printf("\nraw: BPF_PROG_TYPE_UNSPEC through uebpf_prog_run(), "
	       "unverified: every access checked\n"
	       "     at run time (the JIT compiles a bounds check into "
	       "each load and store);\n"
	       "xdp: the kernel's instructions, verified, through "
	       "uebpf_xdp_run(): no run-time checks.\n"
	       "interp/JIT: how many times faster the JIT is; JIT/kernel: "
	       "same instructions (xdp rows).\n"
	       "Best of %d repetitions each.  Target: the JIT at least 20x "
	       "the interpreter on alu.\n",
	       REPETITIONS);

	uebpf_runtime_free(rt);
	uebpf_runtime_free(rt_quiet);
	free(pkt);
	return status;
}
