/* SPDX-License-Identifier: MIT */
/*
 * bench_interp: nanoseconds per executed instruction of the libuebpf
 * interpreter, side by side with the Linux kernel (JIT or interpreter,
 * whichever the host runs) on the same loops.
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
 * libuebpf runs them as BPF_PROG_TYPE_UNSPEC programs through
 * uebpf_prog_run(); the executed-instruction count is cross-checked with
 * the run's instruction budget (exactly N passes, N - 1 times out).  The
 * kernel runs the same instructions as an XDP program through
 * BPF_PROG_TEST_RUN, which reports the mean ns per run.  The best of
 * several repetitions is kept on both sides.  Timing is reported, never
 * judged: the exit status is 0 unless libuebpf itself fails.
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

static struct uebpf_prog *ue_load(struct uebpf_runtime *rt,
				  const struct prog *p, const char *name,
				  uint64_t budget)
{
	char log[4096];
	struct uebpf_prog *prog;

	UEBPF_OPTS(uebpf_prog_load_opts, opts, .name = name, .log_buf = log,
		   .log_size = sizeof(log), .log_level = 1,
		   .insn_budget = budget);
	prog = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, p->insn, (size_t)p->n,
			       &opts);
	if (!prog)
		fprintf(stderr, "bench_interp: uebpf_prog_load(%s): %s\n%s",
			name, strerror(errno), log);
	return prog;
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

/* Best ns per run of `prog`, or -1 on a failed run. */
static double ue_time(struct uebpf_prog *prog, uint8_t *pkt)
{
	uint64_t r0 = 0, t0, t1, best = UINT64_MAX, runs = 1;
	int i, rep, err;

	/* calibrate: enough runs for about TARGET_NS per repetition */
	t0 = now_ns();
	err = uebpf_prog_run(prog, pkt, PKT_LEN, &r0);
	t1 = now_ns();
	if (err || r0 != XDP_PASS_ACTION) {
		fprintf(stderr,
			"bench_interp: uebpf_prog_run: err %d r0 %llu\n", err,
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
			err |= uebpf_prog_run(prog, pkt, PKT_LEN, &r0);
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

struct result {
	const char *name;
	uint64_t insns;
	bool count_ok;
	double ue_run; /* ns per run; < 0: failed */
	double k_run;  /* ns per run; < 0: skipped */
	int k_jit;
	char k_stats[160];
};

int main(int argc, char **argv)
{
	UEBPF_OPTS(uebpf_runtime_opts, ropts, .nr_cpus = 1);
	/* the count check's one-short runs fail on purpose: no warnings */
	UEBPF_OPTS(uebpf_runtime_opts, qopts, .nr_cpus = 1, .log_quiet = 1);
	struct prog ue_p[3], k_p[3];
	struct result res[3] = {
		{.name = "alu"}, {.name = "stack"}, {.name = "packet"}};
	struct uebpf_runtime *rt, *rt_quiet;
	uint8_t *pkt;
	uint32_t iters = 20000;
	bool kernel_ok = true;
	const char *kernel_skip = NULL;
	int i, cpu, status = 0;

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
	printf("libuebpf %s interpreter vs kernel, %u loop iterations per run, "
	       "%s\n",
	       uebpf_version(), iters,
	       cpu >= 0 ? "pinned to one CPU" : "not pinned");
	fflush(stdout);

	for (i = 0; i < 3; i++) {
		struct uebpf_prog *prog;

		res[i].insns = insns_per_run(&ue_p[i], iters);
		res[i].count_ok = ue_check_count(
			rt_quiet, &ue_p[i], res[i].name, res[i].insns, pkt);
		res[i].ue_run = -1;
		res[i].k_run = -1;
		res[i].k_jit = -1;
		if (insns_per_run(&k_p[i], iters) != res[i].insns) {
			fprintf(stderr,
				"bench_interp: %s: kernel variant differs in "
				"length\n",
				res[i].name);
			status = 1;
		}
		prog = ue_load(rt, &ue_p[i], res[i].name, 0);
		if (!prog) {
			status = 1;
			continue;
		}
		res[i].ue_run = ue_time(prog, pkt);
		if (res[i].ue_run < 0)
			status = 1;
		uebpf_prog_free(prog);
	}

	/* The kernel side: skipped, with the reason, wherever it fails. */
	print_jit_setting();
	for (i = 0; i < 3 && kernel_ok; i++) {
		uint64_t processed =
			(uint64_t)(k_p[i].back_edge - k_p[i].loop + 1) * iters;
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
		res[i].k_run = k_time(fd, pkt, res[i].ue_run);
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

	printf("\n%-8s %10s %13s %13s %13s %13s %9s %s\n", "bench", "insns/run",
	       "uebpf ns/run", "uebpf ns/ins", "kernel ns/run", "kernel ns/ins",
	       "ratio", "kernel mode");
	for (i = 0; i < 3; i++) {
		const struct result *r = &res[i];
		char ue_run[32] = "failed", ue_ins[32] = "-";
		char k_run[32] = "-", k_ins[32] = "-", ratio[32] = "-";

		if (r->ue_run >= 0) {
			snprintf(ue_run, sizeof(ue_run), "%.0f", r->ue_run);
			snprintf(ue_ins, sizeof(ue_ins), "%.3f",
				 r->ue_run / (double)r->insns);
		}
		if (r->k_run >= 0) {
			snprintf(k_run, sizeof(k_run), "%.0f", r->k_run);
			snprintf(k_ins, sizeof(k_ins), "%.3f",
				 r->k_run / (double)r->insns);
			if (r->ue_run >= 0 && r->k_run > 0)
				snprintf(ratio, sizeof(ratio), "%.1fx",
					 r->ue_run / r->k_run);
		}
		printf("%-8s %10llu %13s %13s %13s %13s %9s %s%s\n", r->name,
		       (unsigned long long)r->insns, ue_run, ue_ins, k_run,
		       k_ins, ratio,
		       r->k_run < 0    ? "-"
		       : r->k_jit == 1 ? "jit"
		       : r->k_jit == 0 ? "interp"
				       : "?",
		       r->count_ok ? "" : "  (insn count NOT confirmed)");
	}
	printf("\nratio = uebpf ns/run / kernel ns/run (same instructions); "
	       "best of %d repetitions each\n",
	       REPETITIONS);

	uebpf_runtime_free(rt);
	uebpf_runtime_free(rt_quiet);
	free(pkt);
	return status;
}
