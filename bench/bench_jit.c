// SPDX-License-Identifier: MIT
/*
 * bench_jit: what the x86-64 JIT costs at load time, against the 1 ms
 * target for a program of about 2,300 instructions, with verification
 * reported separately.
 *
 *   bench_jit [ITERATIONS]      default 200; the median is printed
 *
 * Programs:
 *   gen2300   generated here: exactly 2,300 instructions of XDP code,
 *             packet and stack loads and stores, 64- and 32-bit ALU, short
 *             forward branches that rejoin and long ones to the exit (the
 *             JIT's short and near jump encodings both occur);
 *   big.o     $UEBPF_PROGS_DIR/big.o, a Katran-sized balancer;
 *   xdp_lb.o  $UEBPF_PROGS_DIR/xdp_lb.o, the project's load balancer.
 *
 * For each: the program is loaded once in the interpreter (verified), then
 * uebpf_jit_compile() (hidden; this bench links the static library) is
 * timed alone on it, compile and free, plain and with constant blinding.
 * For gen2300 also the whole uebpf_prog_load() with engine INTERP (copy,
 * validation, verification) and with engine JIT: their difference is the
 * JIT's share of a load.  Where the build's JIT declines (EOPNOTSUPP) the
 * JIT figures say "unavailable".  Timing is reported, never judged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "uebpf.h"
#include "internal.h"

#define TARGET_NS 1000000.0
#define GEN_INSNS 2300

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* ---- the generated program ------------------------------------------------ */

#define INSN(CODE, DST, SRC, OFF, IMM)       \
	((struct bpf_insn){.code = (CODE),   \
			   .dst_reg = (DST), \
			   .src_reg = (SRC), \
			   .off = (OFF),     \
			   .imm = (IMM)})

static struct bpf_insn gen[GEN_INSNS];
static int gen_n;
/* the long jumps to the exit block, patched once it is placed */
static int exits[GEN_INSNS];
static int nexits;

static void emit(struct bpf_insn in)
{
	gen[gen_n++] = in;
}

static void jump_exit(uint8_t op, uint8_t reg, int32_t imm)
{
	exits[nexits++] = gen_n;
	emit(INSN(BPF_JMP | op | BPF_K, reg, 0, 0, imm));
}

static void build_gen(void)
{
	uint32_t x = 12345;
	int i, k = 0;

	gen_n = nexits = 0;
	/* r2 = data, r3 = data_end; 64 bytes or XDP_PASS */
	emit(INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0));
	emit(INSN(BPF_LDX | BPF_MEM | BPF_W, 3, 1, 4, 0));
	emit(INSN(BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0));
	emit(INSN(BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, 64));
	exits[nexits++] = gen_n;
	emit(INSN(BPF_JMP | BPF_JGT | BPF_X, 4, 3, 0, 0));
	for (i = 5; i <= 9; i++)
		emit(INSN(BPF_ALU64 | BPF_MOV | BPF_K, i, 0, 0, i * 1000 + 1));
	/* the body, up to the 2-instruction exit block */
	while (gen_n < GEN_INSNS - 2) {
		int room = GEN_INSNS - 2 - gen_n;
		int16_t so = (int16_t)(-8 * (k % 8 + 1));

		x = x * 1103515245u + 12345u;
		if (room < 2) {
			emit(INSN(BPF_ALU64 | BPF_ADD | BPF_K, 9, 0, 0,
				  (int32_t)(x >> 8)));
			break;
		}
		switch (k++ % 12) {
		case 0: /* packet loads */
			emit(INSN(BPF_LDX | BPF_MEM | BPF_DW, 4, 2,
				  (int16_t)(8 * (x % 8)), 0));
			emit(INSN(BPF_LDX | BPF_MEM | BPF_W, 5, 2,
				  (int16_t)(4 * (x % 15)), 0));
			break;
		case 1:
			emit(INSN(BPF_ALU64 | BPF_ADD | BPF_X, 4, 5, 0, 0));
			emit(INSN(BPF_ALU64 | BPF_XOR | BPF_K, 6, 0, 0,
				  (int32_t)x));
			break;
		case 2:
			emit(INSN(BPF_ALU64 | BPF_MUL | BPF_K, 6, 0, 0, 7));
			emit(INSN(BPF_ALU64 | BPF_MOV | BPF_X, 7, 4, 0, 0));
			break;
		case 3:
			emit(INSN(BPF_ALU64 | BPF_RSH | BPF_K, 7, 0, 0,
				  (int32_t)(x % 63 + 1)));
			emit(INSN(BPF_ALU | BPF_MOV | BPF_X, 8, 6, 0, 0));
			break;
		case 4: /* a long jump to the exit */
			jump_exit(BPF_JEQ, 4, (int32_t)x);
			emit(INSN(BPF_ALU | BPF_ADD | BPF_K, 8, 0, 0,
				  (int32_t)(x >> 4)));
			break;
		case 5: /* stack */
			emit(INSN(BPF_STX | BPF_MEM | BPF_DW, 10, 4, so, 0));
			emit(INSN(BPF_LDX | BPF_MEM | BPF_DW, 5, 10, so, 0));
			break;
		case 6:
			emit(INSN(BPF_ALU64 | BPF_OR | BPF_X, 9, 7, 0, 0));
			emit(INSN(BPF_ALU64 | BPF_SUB | BPF_X, 9, 8, 0, 0));
			break;
		case 7: /* a short branch that rejoins: same state either way */
			emit(INSN(BPF_JMP | BPF_JSGT | BPF_X, 5, 6, 1, 0));
			emit(INSN(BPF_ALU64 | BPF_MOV | BPF_X, 7, 7, 0, 0));
			break;
		case 8:
			emit(INSN(BPF_ALU | BPF_LSH | BPF_K, 8, 0, 0,
				  (int32_t)(x % 31 + 1)));
			emit(INSN(BPF_ALU64 | BPF_AND | BPF_K, 6, 0, 0,
				  (int32_t)(x | 0xff)));
			break;
		case 9:
			emit(INSN(BPF_STX | BPF_MEM | BPF_W, 10, 8, so, 0));
			emit(INSN(BPF_LDX | BPF_MEM | BPF_H, 4, 2,
				  (int16_t)(2 * (x % 31)), 0));
			break;
		case 10:
			jump_exit(BPF_JGT, 9, (int32_t)(x & 0x7fffffff));
			emit(INSN(BPF_ALU64 | BPF_ARSH | BPF_K, 9, 0, 0, 3));
			break;
		default:
			emit(INSN(BPF_ALU64 | BPF_ADD | BPF_K, 6, 0, 0,
				  (int32_t)(x >> 3)));
			emit(INSN(BPF_ALU64 | BPF_NEG, 7, 0, 0, 0));
			break;
		}
	}
	for (i = 0; i < nexits; i++)
		gen[exits[i]].off = (int16_t)(gen_n - (exits[i] + 1));
	emit(INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 2)); /* XDP_PASS */
	emit(INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

/* ---- timing ---------------------------------------------------------------- */

struct fig {
	double compile, blinded, cmin, bmin;
	size_t len, blen;
	int err; /* 0, or the compile's error */
};

/* uebpf_jit_compile() alone, n times on a program loaded in the
 * interpreter: compile, then free. */
static int time_compile(struct uebpf_prog *prog, int n, struct fig *f)
{
	static char logbuf[4096];
	struct uebpf_vlog log;
	double *t = calloc(n, sizeof(double));
	int i, b, err = 0;

	if (!t)
		return -ENOMEM;
	for (b = 0; b < 2; b++) {
		prog->jit_blinding = b;
		for (i = 0; i < n; i++) {
			double t0;

			memset(&log, 0, sizeof(log));
			log.buf = logbuf;
			log.size = sizeof(logbuf);
			log.level = 1;
			t0 = now_ns();
			err = uebpf_jit_compile(prog, &log);
			t[i] = now_ns() - t0;
			if (err) {
				if (err != -EOPNOTSUPP)
					fprintf(stderr, "bench_jit: compile: "
						"%s\n%s", strerror(-err),
						logbuf);
				f->err = err;
				free(t);
				prog->jit_blinding = false;
				return err;
			}
			if (!i) {
				if (b)
					f->blen = prog->jit_len;
				else
					f->len = prog->jit_len;
			}
			uebpf_jit_free(prog);
			prog->jit_entry = NULL;
			prog->jit_body = NULL;
			prog->jit_image = NULL;
			prog->jit_len = prog->jit_map_len = 0;
		}
		/* median() sorts: t[0] is then the fastest */
		if (b) {
			f->blinded = median(t, n);
			f->bmin = t[0];
		} else {
			f->compile = median(t, n);
			f->cmin = t[0];
		}
	}
	prog->jit_blinding = false;
	free(t);
	return 0;
}

static void print_fig(const char *name, size_t insns, const struct fig *f)
{
	if (f->err == -EOPNOTSUPP) {
		printf("%-10s %6zu | %10s %10s | %8s %8s | %8s %8s | %s\n",
		       name, insns, "unavail.", "unavail.", "-", "-", "-", "-",
		       "JIT: unavailable (EOPNOTSUPP)");
		return;
	}
	if (f->err) {
		printf("%-10s %6zu | failed: %s\n", name, insns,
		       strerror(-f->err));
		return;
	}
	printf("%-10s %6zu | %10.1f %10.1f | %8.1f %8.1f | %8zu %8zu | %s\n",
	       name, insns, f->compile / 1e3, f->blinded / 1e3, f->cmin / 1e3,
	       f->bmin / 1e3, f->len, f->blen,
	       f->compile <= TARGET_NS ? "met" : "MISSED");
}

/* The largest program of an object, loaded in the interpreter. */
static struct uebpf_prog *object_prog(struct uebpf_runtime *rt,
				      const char *path,
				      struct uebpf_object **objp)
{
	static char log[1 << 24];
	UEBPF_OPTS(uebpf_object_open_opts, oo, .log_buf = log,
		   .log_size = sizeof(log), .log_level = 1,
		   .engine = UEBPF_ENGINE_INTERP);
	struct uebpf_object *obj = uebpf_object_open_file(rt, path, &oo);
	struct uebpf_object_prog *p;
	struct uebpf_prog *best = NULL;
	int err;

	*objp = obj;
	if (!obj) {
		fprintf(stderr, "bench_jit: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	err = uebpf_object_load(obj);
	if (err) {
		fprintf(stderr, "bench_jit: %s: load: %s\n%s", path,
			strerror(-err),
			strlen(log) > 3000 ? log + strlen(log) - 3000 : log);
		return NULL;
	}
	for (p = uebpf_object_next_prog(obj, NULL); p;
	     p = uebpf_object_next_prog(obj, p)) {
		struct uebpf_prog *h = uebpf_object_prog_handle(p);

		if (h && (!best || uebpf_prog_insn_cnt(h) >
					   uebpf_prog_insn_cnt(best)))
			best = h;
	}
	return best;
}

/* Median ns of uebpf_prog_load(gen) in engine e, or -errno. */
static double time_load(struct uebpf_runtime *rt, enum uebpf_engine e, int n)
{
	double *t = calloc(n, sizeof(double)), r;
	int i;

	if (!t)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		UEBPF_OPTS(uebpf_prog_load_opts, o, .name = "gen2300",
			   .engine = e);
		struct uebpf_prog *p;
		double t0 = now_ns();

		p = uebpf_prog_load(rt, BPF_PROG_TYPE_XDP, gen, gen_n, &o);
		t[i] = now_ns() - t0;
		if (!p) {
			r = -errno;
			free(t);
			return r;
		}
		uebpf_prog_free(p);
	}
	r = median(t, n);
	free(t);
	return r;
}

int main(int argc, char **argv)
{
	static char log[1 << 20];
	const char *dir = getenv("UEBPF_PROGS_DIR");
	const char *objs[] = {"big", "xdp_lb"};
	int n = argc > 1 ? atoi(argv[1]) : 200, i, status = 0;
	UEBPF_OPTS(uebpf_runtime_opts, ro, .log_quiet = 1);
	UEBPF_OPTS(uebpf_prog_load_opts, lo, .name = "gen2300", .log_buf = log,
		   .log_size = sizeof(log), .log_level = 1,
		   .engine = UEBPF_ENGINE_INTERP);
	struct uebpf_runtime *rt;
	struct uebpf_prog *prog;
	struct fig f;
	double li, lj;

	if (n < 5)
		n = 5;
	if (!dir || !*dir)
		dir = "build/progs";
	rt = uebpf_runtime_new(&ro);
	if (!rt)
		return 1;
	build_gen();
	printf("bench_jit: JIT compile time (uebpf_jit_compile alone: "
	       "compile, map, protect, and free), in us,\nmedian and fastest "
	       "of %d; target %.0f us (median) for a program of about 2,300 "
	       "instructions\n\n",
	       n, TARGET_NS / 1e3);
	printf("%-10s %6s | %10s %10s | %8s %8s | %8s %8s | target\n",
	       "program", "insns", "JIT us", "blinded", "min", "blinded",
	       "bytes", "blinded");
	printf("%-10s %6s | %21s | %17s |\n", "", "", "median", "fastest");

	prog = uebpf_prog_load(rt, BPF_PROG_TYPE_XDP, gen, gen_n, &lo);
	if (!prog) {
		fprintf(stderr, "bench_jit: the generated program does not "
			"load: %s\n%s", strerror(errno),
			strlen(log) > 3000 ? log + strlen(log) - 3000 : log);
		return 1;
	}
	memset(&f, 0, sizeof(f));
	if (time_compile(prog, n, &f) && f.err != -EOPNOTSUPP)
		status = 1;
	print_fig("gen2300", uebpf_prog_insn_cnt(prog), &f);
	uebpf_prog_free(prog);

	for (i = 0; i < 2; i++) {
		struct uebpf_object *obj;
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s.o", dir, objs[i]);
		prog = object_prog(rt, path, &obj);
		if (!prog) {
			snprintf(path, sizeof(path), "%s.o", objs[i]);
			printf("%-10s %6s | failed (see above)\n", path, "-");
			status = 1;
		} else {
			memset(&f, 0, sizeof(f));
			if (time_compile(prog, n, &f) && f.err != -EOPNOTSUPP)
				status = 1;
			snprintf(path, sizeof(path), "%s.o", objs[i]);
			print_fig(path, uebpf_prog_insn_cnt(prog), &f);
		}
		if (obj)
			uebpf_object_close(obj);
	}

	/* The whole load of gen2300, both engines. */
	li = time_load(rt, UEBPF_ENGINE_INTERP, n);
	lj = time_load(rt, UEBPF_ENGINE_JIT, n);
	printf("\nuebpf_prog_load(gen2300, %d insns), median of %d:\n",
	       gen_n, n);
	if (li < 0) {
		printf("  engine INTERP   failed: %s\n", strerror((int)-li));
		status = 1;
	} else {
		printf("  engine INTERP   %9.1f us  (copy, validation, "
		       "verification)\n", li / 1e3);
	}
	if (lj == -EOPNOTSUPP)
		printf("  engine JIT      JIT: unavailable (EOPNOTSUPP)\n");
	else if (lj < 0)
		printf("  engine JIT      failed: %s\n", strerror((int)-lj));
	else if (li >= 0)
		printf("  engine JIT      %9.1f us  (the same and the JIT: "
		       "%.1f us more)\n", lj / 1e3, (lj - li) / 1e3);
	uebpf_epoch_synchronize(&rt->epoch);
	uebpf_epoch_synchronize(&rt->epoch);
	uebpf_runtime_free(rt);
	return status;
}
