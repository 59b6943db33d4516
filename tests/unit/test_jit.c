/* SPDX-License-Identifier: MIT */
/*
 * The x86-64 JIT against the interpreter.  Every case builds programs
 * (raw ones, run by uebpf_prog_run(), and verified XDP ones) and runs each
 * with engine INTERP, engine JIT and engine JIT with constant blinding on
 * the same memory, at the same address: r0, the error, every byte of the
 * memory and (through a dump every generated program ends with) all ten
 * registers r0..r9 must be identical.
 *
 * The programs are generated so that every encoding path of the JIT is
 * hit: every ALU op with K operands that fit in imm8 and that need imm32
 * and with X operands for every pair of destination and source registers
 * (the registers that need a REX prefix, and those x86 instructions use
 * implicitly: rcx for shifts, rax/rdx for division), division by zero and
 * INT_MIN / -1, conditional jumps and gotos over 1..80 instructions
 * forwards and backwards (across the rel8 / rel32 boundary), loads and
 * stores of every size at disp8 and disp32 offsets from every base
 * register, atomics, ld_imm64, BPF-to-BPF calls; then the checked mode's
 * faults and stack (laid out as the interpreter lays it out: contiguous
 * frames, not cleared between calls), constant blinding (the image never
 * holds the constant), W^X, the engine options, inline array lookups per
 * CPU slot, and the XDP programs of tests/progs with tail calls (from a
 * subprogram too, against the kernel where bpf(2) is allowed) and
 * bpf_loop.
 *
 * The interpreter is the oracle (the conformance suite and the kernel
 * differential tests check it).  While the build has no JIT, every case
 * that needs one skips with the reason printed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "uebpf.h"
#include "insn.h"
#include "../../lib/internal.h"
#include "../../xdp/xdp.h"
#include "log_mask.h"

/* ---- runtime, log, JIT presence ------------------------------------------ */

static char runlog[1 << 16];

static void log_fn(enum uebpf_log_level level, const char *msg, void *ctx)
{
	size_t len = strlen(runlog);

	(void)level, (void)ctx;
	if (len + 1 < sizeof(runlog))
		snprintf(runlog + len, sizeof(runlog) - len, "%s", msg);
}

static struct uebpf_runtime *rt;
static char no_jit[512]; /* why the JIT cases skip; "" when it is there */
/* UEBPF_TEST_JIT_SELF=1: the "JIT" engines load as the interpreter, so
 * that the generated programs themselves can be checked on a build
 * without a JIT (every comparison must then hold trivially); the cases
 * that inspect machine code still skip. */
static bool self_mode;
static unsigned long long compared; /* runs compared, all cases */

static struct uebpf_runtime *new_rt(void)
{
	UEBPF_OPTS(uebpf_runtime_opts, o, .log_fn = log_fn, .nr_cpus = 4);

	return uebpf_runtime_new(&o);
}

static int group_setup(void **state)
{
	static const struct bpf_insn ret1[] = {MOV64_IMM(0, 1), EXIT()};
	char vlog[512] = "";
	UEBPF_OPTS(uebpf_prog_load_opts, o, .name = "probe",
		   .engine = UEBPF_ENGINE_JIT, .log_buf = vlog,
		   .log_size = sizeof(vlog), .log_level = 1);
	struct uebpf_prog *p;

	(void)state;
	self_mode = getenv("UEBPF_TEST_JIT_SELF") &&
		    !strcmp(getenv("UEBPF_TEST_JIT_SELF"), "1");
	unsetenv("UEBPF_ENGINE");
	rt = new_rt();
	if (!rt)
		return -1;
	p = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, ret1, 2, &o);
	if (!p) {
		if (errno != EOPNOTSUPP)
			return -1;
		snprintf(no_jit, sizeof(no_jit),
			 "an explicit UEBPF_ENGINE_JIT load fails with "
			 "EOPNOTSUPP: this build has no JIT (%.*s)",
			 (int)strcspn(vlog, "\n"), vlog);
		return 0;
	}
	if (uebpf_prog_engine(p) != UEBPF_ENGINE_JIT)
		snprintf(no_jit, sizeof(no_jit),
			 "explicit JIT load runs in engine %d",
			 (int)uebpf_prog_engine(p));
	uebpf_prog_free(p);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	uebpf_runtime_free(rt);
	print_message("test_jit: %llu runs compared between the engines\n",
		      compared);
	return 0;
}

static int test_setup(void **state)
{
	(void)state;
	runlog[0] = '\0';
	return 0;
}

/* Cases that compare engines (they run in self mode too)... */
#define NEED_JIT()                                                  \
	do {                                                        \
		if (no_jit[0] && !self_mode) {                      \
			print_message("[  SKIP    ] %s\n", no_jit); \
			skip();                                     \
		}                                                   \
	} while (0)
/* ... and those that need machine code. */
#define NEED_REAL_JIT()                                             \
	do {                                                        \
		if (no_jit[0] || self_mode) {                       \
			print_message("[  SKIP    ] %s\n", no_jit); \
			skip();                                     \
		}                                                   \
	} while (0)

#define TEST(name) static void name(void **state)
#define UNUSED	   (void)state

/* ---- loading and comparing ----------------------------------------------- */

/* The engines compared: the interpreter first, the oracle. */
enum { E_INTERP, E_JIT, E_BLIND, NR_E };
static const char *const e_name[NR_E] = {"interp", "jit", "jit+blinding"};

static struct uebpf_prog *load_as(struct uebpf_runtime *r,
				  enum bpf_prog_type type,
				  const struct bpf_insn *insns, size_t cnt,
				  int e, char *vlog, size_t vsize)
{
	UEBPF_OPTS(uebpf_prog_load_opts, o, .name = "t", .log_buf = vlog,
		   .log_size = vsize, .log_level = 1,
		   .engine = e == E_INTERP || self_mode ? UEBPF_ENGINE_INTERP
							: UEBPF_ENGINE_JIT,
		   .jit_blinding = e == E_BLIND && !self_mode);

	if (vsize)
		vlog[0] = '\0';
	return uebpf_prog_load(r, type, insns, cnt, &o);
}

/* One memory buffer every run uses, so that pointers into it a program
 * leaves in registers or memory are the same whatever the engine. */
#define WORK_LEN 2048
static uint8_t work[WORK_LEN] __attribute__((aligned(4096)));

struct outcome {
	int err;
	uint64_t r0;
	uint8_t mem[WORK_LEN];
	char log[512];
};

static void print_prog(const struct bpf_insn *insns, size_t cnt)
{
	static char buf[1 << 18];
	struct uebpf_prog *p;
	char vlog[256];

	p = load_as(rt, BPF_PROG_TYPE_UNSPEC, insns, cnt, E_INTERP, vlog,
		    sizeof(vlog));
	if (p && uebpf_prog_dump_xlated(p, buf, sizeof(buf)) >= 0)
		print_message("program (%zu insns):\n%s", cnt, buf);
	else
		print_message("program (%zu insns) does not load: %s\n", cnt,
			      vlog);
	if (p)
		uebpf_prog_free(p);
}

static size_t first_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n && a[i] == b[i]; i++)
		;
	return i;
}

/*
 * Loads insns (raw) with each engine and runs each on every input (len
 * bytes of WORK_LEN, placed at work, r1 = work, r2 = len); asserts that
 * error, r0 and memory agree.  Returns the interpreter's outcome of the
 * last input in *last when given.
 */
static void diff_inputs(const char *what, const struct bpf_insn *insns,
			size_t cnt, const uint8_t *const *inputs,
			size_t nr_inputs, size_t len, bool same_log,
			struct outcome *last)
{
	static struct outcome out[NR_E];
	struct uebpf_prog *p[NR_E];
	char vlog[1024];
	size_t k;
	int e;

	for (e = 0; e < NR_E; e++) {
		p[e] = load_as(rt, BPF_PROG_TYPE_UNSPEC, insns, cnt, e, vlog,
			       sizeof(vlog));
		if (!p[e]) {
			print_prog(insns, cnt);
			fail_msg("%s: load with engine %s failed: %s; log: %s",
				 what, e_name[e], strerror(errno), vlog);
		}
		if (e != E_INTERP && !self_mode &&
		    uebpf_prog_engine(p[e]) != UEBPF_ENGINE_JIT)
			fail_msg("%s: engine %s load runs in engine %d", what,
				 e_name[e], (int)uebpf_prog_engine(p[e]));
	}
	for (k = 0; k < nr_inputs; k++) {
		for (e = 0; e < NR_E; e++) {
			struct outcome *o = &out[e];

			memcpy(work, inputs[k], WORK_LEN);
			runlog[0] = '\0';
			o->r0 = 0x5555aaaa5555aaaaull;
			o->err = uebpf_prog_run(p[e], work, len, &o->r0);
			memcpy(o->mem, work, WORK_LEN);
			snprintf(o->log, sizeof(o->log), "%s", runlog);
			compared++;
		}
		for (e = E_JIT; e < NR_E; e++) {
			const struct outcome *a = &out[E_INTERP], *b = &out[e];
			size_t d = first_diff(a->mem, b->mem, WORK_LEN);

			if (a->err == b->err && a->r0 == b->r0 &&
			    d == WORK_LEN &&
			    (!same_log || same_logs(a->log, b->log)))
				continue;
			print_prog(insns, cnt);
			if (d < WORK_LEN)
				print_message(
					"memory differs from byte %zu: interp "
					"%02x, %s %02x (dump: r%zu)\n",
					d, a->mem[d], e_name[e], b->mem[d],
					d < 80 ? d / 8 : 99);
			fail_msg("%s (input %zu): interp err %d r0 %#llx log "
				 "\"%s\"; %s err %d r0 %#llx log \"%s\"",
				 what, k, a->err, (unsigned long long)a->r0,
				 a->log, e_name[e], b->err,
				 (unsigned long long)b->r0, b->log);
		}
	}
	if (last)
		*last = out[E_INTERP];
	for (e = 0; e < NR_E; e++)
		uebpf_prog_free(p[e]);
}

/* The standard input: every byte a function of its index. */
static const uint8_t *pattern(void)
{
	static uint8_t m[WORK_LEN];
	size_t i;

	if (!m[1])
		for (i = 0; i < WORK_LEN; i++)
			m[i] = (uint8_t)(i * 37 + 11 + (i >> 8));
	return m;
}

/* One run on the standard input, which must succeed (the generated
 * programs never fault: one that does tests less than it means to). */
static void diff1(const char *what, const struct bpf_insn *insns, size_t cnt)
{
	const uint8_t *in[1] = {pattern()};
	struct outcome o;

	diff_inputs(what, insns, cnt, in, 1, WORK_LEN, false, &o);
	if (o.err) {
		print_prog(insns, cnt);
		fail_msg("%s: the program faults (%d): %s", what, o.err, o.log);
	}
}

/* ---- generated programs ------------------------------------------------- */

/*
 * Every generated program starts by saving r1 (work) at r10 - 192 and ends
 * with a dump of r0..r9 into work[0..80) that needs no register of its
 * own: r9 goes to r10 - 200, r9 = work, then the stores.  Bodies keep off
 * r10 - 200 .. r10 - 185.
 */
#define SAVE_SLOT  (-192)
#define SPILL_SLOT (-200)

struct pb {
	struct bpf_insn i[8192];
	size_t n;
};

static void emit(struct pb *p, struct bpf_insn in)
{
	assert_true(p->n < ARRAY_LEN(p->i));
	p->i[p->n++] = in;
}

static void emit_ld64(struct pb *p, int dst, uint64_t v)
{
	emit(p, INSN(BPF_LD | BPF_DW | BPF_IMM, dst, 0, 0, (uint32_t)v));
	emit(p, INSN(0, 0, 0, 0, (uint32_t)(v >> 32)));
}

static void prologue(struct pb *p)
{
	p->n = 0;
	emit(p, STX_MEM(BPF_DW, 10, 1, SAVE_SLOT));
}

/* r0..r9 = vals[...]. */
static void init_regs(struct pb *p, const uint64_t *vals)
{
	int r;

	for (r = 0; r < 10; r++)
		emit_ld64(p, r, vals[r]);
}

/* dst = work + off */
static void emit_work_ptr(struct pb *p, int dst, int32_t off)
{
	emit(p, LDX_MEM(BPF_DW, dst, 10, SAVE_SLOT));
	if (off)
		emit(p, ALU64_IMM(BPF_ADD, dst, off));
}

static void epilogue(struct pb *p)
{
	int r;

	emit(p, STX_MEM(BPF_DW, 10, 9, SPILL_SLOT));
	emit(p, LDX_MEM(BPF_DW, 9, 10, SAVE_SLOT));
	for (r = 0; r < 9; r++)
		emit(p, STX_MEM(BPF_DW, 9, r, 8 * r));
	emit(p, LDX_MEM(BPF_DW, 8, 10, SPILL_SLOT));
	emit(p, STX_MEM(BPF_DW, 9, 8, 72));
	emit(p, EXIT());
}

/* Values at the edges, for registers. */
static const uint64_t vals[] = {
	0,
	1,
	~0ull,
	2,
	7,
	0x7f,
	0x80,
	0xff,
	0x7fffffff,
	0x80000000,
	0xffffffff,
	0x100000000ull,
	0x8000000000000000ull,
	0x7fffffffffffffffull,
	0x0123456789abcdefull,
	0xfedcba9876543210ull,
	~1ull,
	63,
	64,
	33,
	0xffffffff80000000ull,
	0x00000000fffffffeull,
	0x8000000000000001ull,
	0xffffffffffff8000ull,
	0x5a17c0de12345678ull,
	3,
	-3ull,
	0x10,
	0xffffffff00000000ull,
	0x1f,
	-7ull,
	0x8001,
};
#define NV ARRAY_LEN(vals)

static void pick_vals(uint64_t *out, unsigned int seed)
{
	int r;

	for (r = 0; r < 10; r++)
		out[r] = vals[(seed * 7 + (unsigned int)r * 11) % NV];
}

/* Immediates: fit in imm8, need imm32, signs, edges. */
static const int32_t imms[] = {
	0,	 1,	   -1, 127,	   128,	      -128,	  -129, 255,
	256,	 3,	   -3, 0x7fffffff, INT32_MIN, 0x5a17c0de, 7,	0xffff,
	0x10000, -0x10000, 63, 32,	   31,	      0x40000000, -2,
};

struct alu_op {
	uint8_t op;
	int16_t off; /* 1: signed div/mod; 8/16/32: movsx */
	const char *name;
};

static const struct alu_op alu_ops[] = {
	{BPF_ADD, 0, "add"},	  {BPF_SUB, 0, "sub"},
	{BPF_MUL, 0, "mul"},	  {BPF_DIV, 0, "div"},
	{BPF_MOD, 0, "mod"},	  {BPF_OR, 0, "or"},
	{BPF_AND, 0, "and"},	  {BPF_XOR, 0, "xor"},
	{BPF_LSH, 0, "lsh"},	  {BPF_RSH, 0, "rsh"},
	{BPF_ARSH, 0, "arsh"},	  {BPF_MOV, 0, "mov"},
	{BPF_DIV, 1, "sdiv"},	  {BPF_MOD, 1, "smod"},
	{BPF_MOV, 8, "movsx8"},	  {BPF_MOV, 16, "movsx16"},
	{BPF_MOV, 32, "movsx32"},
};

/* ---- ALU --------------------------------------------------------------------
 */

/* X operands: every op, both classes, every (dst, src) pair of r0..r9,
 * twice with different values (zero divisors and -1 among them). */
TEST(test_alu_reg_pairs)
{
	static struct pb p;
	unsigned int oi, cls, d, s, k, n = 0;
	uint64_t v[10];
	char what[96];

	UNUSED;
	NEED_JIT();
	for (oi = 0; oi < ARRAY_LEN(alu_ops); oi++) {
		const struct alu_op *op = &alu_ops[oi];

		for (cls = 0; cls < 2; cls++) {
			uint8_t c = cls ? BPF_ALU64 : BPF_ALU;

			/* movsx32 is ALU64 only */
			if (!cls && op->off == 32)
				continue;
			for (d = 0; d < 10; d++)
				for (s = 0; s < 10; s++)
					for (k = 0; k < 2; k++) {
						prologue(&p);
						pick_vals(v, d * 10 + s +
								     k * 50 +
								     oi);
						init_regs(&p, v);
						emit(&p,
						     INSN(c | op->op | BPF_X, d,
							  s, op->off, 0));
						epilogue(&p);
						snprintf(what, sizeof(what),
							 "%s%s r%u, r%u "
							 "(values %u)",
							 op->name,
							 cls ? "64" : "32", d,
							 s, k);
						diff1(what, p.i, p.n);
						n++;
					}
		}
	}
	print_message("alu X: %u programs\n", n);
}

/* Divisor and dividend pairs that matter, through registers, in every
 * position (r0 and r3 are rax and rdx in most x86 JITs). */
TEST(test_div_mod_edges)
{
	static const struct {
		uint64_t a, b;
	} cases[] = {
		{7, 0},
		{0, 0},
		{~0ull, 0},
		{0x8000000000000000ull, ~0ull},
		{0x80000000, 0xffffffff},
		{0xffffffff80000000ull, 0xffffffffffffffffull},
		{0x1234567880000000ull, 0x00000000ffffffffull},
		{0x100000000ull, 0x100000000ull}, /* 32-bit: 0 / 0 */
		{-7ull, 2},
		{7, -2ull},
		{-7ull, -2ull},
		{0x8000000000000001ull, 0x7fffffffffffffffull},
	};
	static const uint8_t ops[] = {BPF_DIV, BPF_MOD};
	static struct pb p;
	unsigned int c, oi, cls, sg, d, s, n = 0;
	char what[96];

	UNUSED;
	NEED_JIT();
	for (c = 0; c < ARRAY_LEN(cases); c++)
		for (oi = 0; oi < 2; oi++)
			for (cls = 0; cls < 2; cls++)
				for (sg = 0; sg < 2; sg++)
					for (d = 0; d < 10; d += 3)
						for (s = 0; s < 10; s++) {
							uint64_t v[10];
							unsigned int r;

							if (s == d)
								continue;
							for (r = 0; r < 10; r++)
								v[r] = 0x1111111111111111ull *
								       r;
							v[d] = cases[c].a;
							v[s] = cases[c].b;
							prologue(&p);
							init_regs(&p, v);
							emit(&p,
							     INSN((cls ? BPF_ALU64
								       : BPF_ALU) |
									  ops[oi] |
									  BPF_X,
								  d, s, sg, 0));
							/* and by K, the
							 * divisor's low half */
							emit(&p,
							     INSN((cls ? BPF_ALU64
								       : BPF_ALU) |
									  ops[oi] |
									  BPF_K,
								  s, 0, sg,
								  (int32_t)cases[c]
									  .b));
							epilogue(&p);
							snprintf(
								what,
								sizeof(what),
								"%s%s%s r%u, "
								"r%u: %#llx, "
								"%#llx",
								sg ? "s" : "",
								oi ? "mod"
								   : "div",
								cls ? "64"
								    : "32",
								d, s,
								(unsigned long long)
									cases[c]
										.a,
								(unsigned long long)
									cases[c]
										.b);
							diff1(what, p.i, p.n);
							n++;
						}
	print_message("div/mod edges: %u programs\n", n);
}

/* K operands: every op with every immediate, applied to each of r0..r9. */
TEST(test_alu_imm)
{
	static struct pb p;
	unsigned int oi, cls, ii, d, n = 0;
	uint64_t v[10];
	char what[96];

	UNUSED;
	NEED_JIT();
	for (oi = 0; oi < ARRAY_LEN(alu_ops); oi++) {
		const struct alu_op *op = &alu_ops[oi];

		if (op->off >= 8) /* movsx has no K form */
			continue;
		for (cls = 0; cls < 2; cls++)
			for (ii = 0; ii < ARRAY_LEN(imms); ii++) {
				prologue(&p);
				pick_vals(v, ii + oi * 3 + cls);
				init_regs(&p, v);
				for (d = 0; d < 10; d++)
					emit(&p,
					     INSN((cls ? BPF_ALU64 : BPF_ALU) |
							  op->op | BPF_K,
						  d, 0, op->off, imms[ii]));
				epilogue(&p);
				snprintf(what, sizeof(what), "%s%s rN, %d",
					 op->name, cls ? "64" : "32", imms[ii]);
				diff1(what, p.i, p.n);
				n++;
			}
	}
	print_message("alu K: %u programs\n", n);
}

/* neg, byte swaps (to_le, to_be, bswap of 16, 32, 64), on every register
 * and several values. */
TEST(test_neg_end)
{
	static const struct {
		uint8_t code;
		int32_t imm;
		const char *name;
	} ops[] = {
		{BPF_ALU | BPF_NEG, 0, "neg32"},
		{BPF_ALU64 | BPF_NEG, 0, "neg64"},
		{BPF_ALU | BPF_END | BPF_TO_LE, 16, "le16"},
		{BPF_ALU | BPF_END | BPF_TO_LE, 32, "le32"},
		{BPF_ALU | BPF_END | BPF_TO_LE, 64, "le64"},
		{BPF_ALU | BPF_END | BPF_TO_BE, 16, "be16"},
		{BPF_ALU | BPF_END | BPF_TO_BE, 32, "be32"},
		{BPF_ALU | BPF_END | BPF_TO_BE, 64, "be64"},
		{BPF_ALU64 | BPF_END | BPF_TO_LE, 16, "bswap16"},
		{BPF_ALU64 | BPF_END | BPF_TO_LE, 32, "bswap32"},
		{BPF_ALU64 | BPF_END | BPF_TO_LE, 64, "bswap64"},
	};
	static struct pb p;
	unsigned int oi, k, d, n = 0;
	uint64_t v[10];

	UNUSED;
	NEED_JIT();
	for (oi = 0; oi < ARRAY_LEN(ops); oi++)
		for (k = 0; k < 4; k++) {
			prologue(&p);
			pick_vals(v, k * 10 + oi);
			init_regs(&p, v);
			for (d = 0; d < 10; d++)
				emit(&p,
				     INSN(ops[oi].code, d, 0, 0, ops[oi].imm));
			epilogue(&p);
			diff1(ops[oi].name, p.i, p.n);
			n++;
		}
	print_message("neg/end: %u programs\n", n);
}

/* ld_imm64 of edge values into every register. */
TEST(test_ld_imm64)
{
	static struct pb p;
	unsigned int k, n = 0;
	uint64_t v[10];

	UNUSED;
	NEED_JIT();
	for (k = 0; k < NV; k++) {
		prologue(&p);
		pick_vals(v, k);
		init_regs(&p, v);
		/* and a 32-bit mov of the low half, sign-extended or not */
		emit(&p, MOV64_IMM(3, (int32_t)v[4]));
		emit(&p, MOV32_IMM(5, (int32_t)v[6]));
		epilogue(&p);
		diff1("ld_imm64", p.i, p.n);
		n++;
	}
	print_message("ld_imm64: %u programs\n", n);
}

/* ---- jumps ------------------------------------------------------------------
 */

static const uint8_t jops[] = {BPF_JEQ,	 BPF_JNE,  BPF_JGT,  BPF_JGE,
			       BPF_JLT,	 BPF_JLE,  BPF_JSGT, BPF_JSGE,
			       BPF_JSLT, BPF_JSLE, BPF_JSET};

/* Inputs for the jump programs: r3 = *(u64 *)(work + 128), r4 = *(u64
 * *)(work + 136); equal, less, greater, signs, equal low halves only. */
static const uint64_t jpairs[][2] = {
	{5, 5},
	{5, 6},
	{6, 5},
	{~0ull, 1},
	{1, ~0ull},
	{0x100000005ull, 5},
	{0x80000000, 0},
	{0, 0},
	{0x8000000000000000ull, 0x7fffffffffffffffull},
};

static const uint8_t *const *jump_inputs(void)
{
	static uint8_t m[ARRAY_LEN(jpairs)][WORK_LEN];
	static const uint8_t *ptr[ARRAY_LEN(jpairs)];
	size_t k;

	for (k = 0; k < ARRAY_LEN(jpairs); k++) {
		memcpy(m[k], pattern(), WORK_LEN);
		memcpy(m[k] + 128, &jpairs[k][0], 8);
		memcpy(m[k] + 136, &jpairs[k][1], 8);
		ptr[k] = m[k];
	}
	return ptr;
}

/* One filler: 3- and 4-byte encodings, alternating. */
static void filler(struct pb *p, unsigned int i)
{
	if (i & 1)
		emit(p, ALU32_IMM(BPF_ADD, 0, 1));
	else
		emit(p, ALU64_IMM(BPF_ADD, 0, 1));
}

static void jump_prog(struct pb *p, unsigned int n, uint8_t op, bool is32,
		      bool reg, bool back, bool ja32, int32_t k)
{
	uint8_t cls = is32 ? BPF_JMP32 : BPF_JMP;
	struct bpf_insn cond;
	uint64_t v[10];
	unsigned int i;

	prologue(p);
	pick_vals(v, n);
	v[0] = 0;
	v[7] = 0;
	init_regs(p, v);
	emit_work_ptr(p, 1, 0);
	emit(p, LDX_MEM(BPF_DW, 3, 1, 128));
	emit(p, LDX_MEM(BPF_DW, 4, 1, 136));
	if (!back) {
		/* if r3 op r4/k goto +n; n fillers; dump */
		cond = reg ? INSN(cls | op | BPF_X, 3, 4, n, 0)
			   : INSN(cls | op | BPF_K, 3, 0, n, k);
		emit(p, cond);
		for (i = 0; i < n; i++)
			filler(p, i);
	} else {
		/* goto C; L: n fillers; r7 += 1; if r7 > 3 goto +1;
		 * C: if r3 op r4/k goto L */
		emit(p, ja32 ? JA32((int32_t)n + 2) : JA((int16_t)(n + 2)));
		for (i = 0; i < n; i++)
			filler(p, i);
		emit(p, ALU64_IMM(BPF_ADD, 7, 1));
		emit(p, JMP_IMM(BPF_JGT, 7, 3, 1));
		cond = reg ? INSN(cls | op | BPF_X, 3, 4, -(int)(n + 3), 0)
			   : INSN(cls | op | BPF_K, 3, 0, -(int)(n + 3), k);
		emit(p, cond);
	}
	epilogue(p);
}

/* Conditional jumps (every op, JMP and JMP32, K and X) forwards and
 * backwards over 1..80 fillers, and goto / gotol forwards over as many:
 * each encoding crosses from rel8 to rel32 somewhere in between. */
TEST(test_jump_ranges)
{
	const uint8_t *const *in;
	static struct pb p;
	unsigned int n, oi, v, cnt = 0;
	char what[96];

	UNUSED;
	NEED_JIT();
	in = jump_inputs();
	for (n = 1; n <= 80; n++) {
		for (oi = 0; oi < ARRAY_LEN(jops); oi++)
			for (v = 0; v < 4; v++) {
				bool is32 = v & 1, reg = v & 2;
				int back;

				for (back = 0; back < 2; back++) {
					jump_prog(&p, n, jops[oi], is32, reg,
						  back, (n + oi) & 1, 5);
					snprintf(what, sizeof(what),
						 "%s jump op %#x%s%s over %u",
						 back ? "backward" : "forward",
						 jops[oi], is32 ? " jmp32" : "",
						 reg ? " reg" : " imm", n);
					diff_inputs(what, p.i, p.n, in,
						    ARRAY_LEN(jpairs), WORK_LEN,
						    false, NULL);
					cnt++;
				}
			}
		/* goto and gotol forwards: over n fillers to the dump */
		for (v = 0; v < 2; v++) {
			uint64_t vv[10];
			unsigned int i;

			prologue(&p);
			pick_vals(vv, n);
			vv[0] = 0;
			init_regs(&p, vv);
			/* the fillers run when r3 == 5, else the goto jumps
			 * over them */
			emit_work_ptr(&p, 1, 0);
			emit(&p, LDX_MEM(BPF_DW, 3, 1, 128));
			emit(&p, JMP_IMM(BPF_JEQ, 3, 5, 1));
			emit(&p, v ? JA32((int32_t)n) : JA((int16_t)n));
			for (i = 0; i < n; i++)
				filler(&p, i);
			epilogue(&p);
			diff_inputs(v ? "gotol forward" : "goto forward", p.i,
				    p.n, in, ARRAY_LEN(jpairs), WORK_LEN, false,
				    NULL);
			cnt++;
		}
	}
	print_message("jumps: %u programs\n", cnt);
}

/* Jump against imm8 and imm32 constants and registers of each kind. */
TEST(test_jump_imm_regs)
{
	static struct pb p;
	unsigned int oi, ii, d, cls, cnt = 0;
	uint64_t v[10];
	char what[96];

	UNUSED;
	NEED_JIT();
	for (oi = 0; oi < ARRAY_LEN(jops); oi++)
		for (cls = 0; cls < 2; cls++)
			for (ii = 0; ii < ARRAY_LEN(imms); ii++) {
				/* for each register: if rD op imm: r0 |= bit */
				prologue(&p);
				pick_vals(v, ii + oi);
				init_regs(&p, v);
				emit(&p, STX_MEM(BPF_DW, 10, 0, -8));
				emit(&p, MOV64_IMM(0, 0));
				for (d = 1; d < 10; d++) {
					emit(&p,
					     INSN((cls ? BPF_JMP32 : BPF_JMP) |
							  jops[oi] | BPF_K,
						  d, 0, 1, imms[ii]));
					emit(&p, JA(1));
					emit(&p, ALU64_IMM(BPF_OR, 0, 1 << d));
				}
				/* r0 itself, against the saved value */
				emit(&p, LDX_MEM(BPF_DW, 1, 10, -8));
				emit(&p, STX_MEM(BPF_DW, 10, 0, -16));
				emit(&p, MOV64_REG(0, 1));
				emit(&p, INSN((cls ? BPF_JMP32 : BPF_JMP) |
						      jops[oi] | BPF_K,
					      0, 0, 2, imms[ii]));
				emit(&p, LDX_MEM(BPF_DW, 0, 10, -16));
				emit(&p, JA(2));
				emit(&p, LDX_MEM(BPF_DW, 0, 10, -16));
				emit(&p, ALU64_IMM(BPF_OR, 0, 1));
				epilogue(&p);
				snprintf(what, sizeof(what),
					 "jump op %#x%s imm %d", jops[oi],
					 cls ? " jmp32" : "", imms[ii]);
				diff1(what, p.i, p.n);
				cnt++;
			}
	/* registers: every (dst, src) pair, every op, both classes */
	for (oi = 0; oi < ARRAY_LEN(jops); oi++)
		for (cls = 0; cls < 2; cls++)
			for (d = 0; d < 10; d++) {
				unsigned int s;

				prologue(&p);
				pick_vals(v, d + oi * 2 + cls);
				init_regs(&p, v);
				emit(&p, STX_MEM(BPF_DW, 10, 0, -8));
				emit(&p, ST_MEM(BPF_DW, 10, -16, 0));
				for (s = 0; s < 10; s++) {
					emit(&p,
					     INSN((cls ? BPF_JMP32 : BPF_JMP) |
							  jops[oi] | BPF_X,
						  d, s, 1, 0));
					emit(&p, JA(3));
					emit(&p, LDX_MEM(BPF_DW, 1, 10, -16));
					emit(&p, ALU64_IMM(BPF_OR, 1, 1 << s));
					emit(&p, STX_MEM(BPF_DW, 10, 1, -16));
				}
				emit(&p, LDX_MEM(BPF_DW, 1, 10, -16));
				epilogue(&p);
				snprintf(what, sizeof(what),
					 "jump op %#x%s r%u, rS", jops[oi],
					 cls ? " jmp32" : "", d);
				diff1(what, p.i, p.n);
				cnt++;
			}
	print_message("jump operands: %u programs\n", cnt);
}

/* ---- memory -----------------------------------------------------------------
 */

static const uint8_t sizes[] = {BPF_B, BPF_H, BPF_W, BPF_DW};
static const int sz_bytes[] = {1, 2, 4, 8};

static bool reserved(int off, int n)
{
	return off < SPILL_SLOT + 16 && off + n > SPILL_SLOT;
}

/*
 * Stores (STX, ST) and loads (LDX, LDX MEMSX) of every size from base
 * register b (r0..r9 pointing into work at +1024 or into the stack at
 * r10 - 512; r10 itself) at offsets that need disp8 and disp32, with data
 * registers cycling over the others.
 */
TEST(test_load_store)
{
	static const int moffs[] = {-512, -511, -300, -257, -256, -129, -128,
				    -127, -9,	-1,   0,    1,	  7,	127,
				    128,  255,	256,  384,  500,  504};
	static const int soffs[] = {-512, -511, -505, -300, -257,
				    -256, -129, -128, -127, -64,
				    -9,	  -8,	-4,   -2,   -1};
	static const int poffs[] = {0,	 1,   7,   8,	127, 128, 129,
				    255, 256, 300, 400, 504, 511};
	static struct pb p;
	unsigned int b, si, kind, oi, cnt = 0, turn = 0;
	uint64_t v[10];
	char what[96];

	UNUSED;
	NEED_JIT();
	for (b = 0; b <= 10; b++)
		for (kind = 0; kind < (b == 10 ? 1u : 2u); kind++)
			for (si = 0; si < 4; si++) {
				const int *offs = b == 10 ? soffs
						  : kind  ? poffs
							  : moffs;
				size_t noffs = b == 10 ? ARRAY_LEN(soffs)
					       : kind  ? ARRAY_LEN(poffs)
						       : ARRAY_LEN(moffs);
				int n = sz_bytes[si];

				prologue(&p);
				pick_vals(v, b * 4 + si);
				init_regs(&p, v);
				if (b != 10 && !kind)
					emit_work_ptr(&p, b, 1024);
				else if (b != 10) {
					emit(&p, MOV64_REG(b, 10));
					emit(&p, ALU64_IMM(BPF_ADD, b, -512));
				}
				for (oi = 0; oi < noffs; oi++) {
					int off = offs[oi], soff = off;
					unsigned int s, d;

					/* in range, clear of the reserved slots
					 */
					if (b == 10 && off + n > 0)
						continue;
					if (kind && off + n > 512)
						continue;
					if (off + 1024 + n > WORK_LEN)
						continue;
					if (b == 10 || kind)
						soff = b == 10 ? off
							       : off - 512;
					if ((b == 10 || kind) &&
					    reserved(soff, n))
						continue;
					do
						s = turn++ % 10;
					while (s == b);
					do
						d = turn++ % 10;
					while (d == b);
					emit(&p, STX_MEM(sizes[si], b, s, off));
					emit(&p, LDX_MEM(sizes[si], d, b, off));
					emit(&p, ST_MEM(sizes[si], b, off,
							imms[oi %
							     ARRAY_LEN(imms)]));
					do
						d = turn++ % 10;
					while (d == b);
					if (sizes[si] != BPF_DW)
						emit(&p, LDX_MEMSX(sizes[si], d,
								   b, off));
					else
						emit(&p, LDX_MEM(BPF_DW, d, b,
								 off));
					/* the ST'd value, into a data register
					 */
					do
						d = turn++ % 10;
					while (d == b);
					emit(&p, LDX_MEM(sizes[si], d, b, off));
				}
				/* a pointer into the stack must not reach the
				 * dump: its address differs per engine */
				if (b != 10 && kind)
					emit(&p, MOV64_IMM(b, 0x77));
				epilogue(&p);
				snprintf(what, sizeof(what),
					 "load/store size %d base r%u%s", n, b,
					 b == 10 ? ""
					 : kind	 ? " (stack)"
						 : " (work)");
				diff1(what, p.i, p.n);
				cnt++;
			}
	print_message("load/store: %u programs\n", cnt);
}

/* Atomics: every op, with and without fetch, xchg, cmpxchg (succeeding
 * and failing), 32 and 64 bits, every (base, src) pair of r0..r9 on work
 * and r10 on the stack, offsets of disp8 and disp32. */
TEST(test_atomics)
{
	static const int32_t aops[] = {
		BPF_ADD,
		BPF_OR,
		BPF_AND,
		BPF_XOR,
		BPF_ADD | BPF_FETCH,
		BPF_OR | BPF_FETCH,
		BPF_AND | BPF_FETCH,
		BPF_XOR | BPF_FETCH,
		BPF_XCHG,
		BPF_CMPXCHG,
	};
	static const int offs[] = {0, 8, -8, 120, 128, -128, -136, 504, -512};
	static const int soffs[] = {-8, -16, -128, -136, -512};
	static struct pb p;
	unsigned int oi, si, b, s, cnt = 0;
	uint64_t v[10];
	char what[96];

	UNUSED;
	NEED_JIT();
	for (oi = 0; oi < ARRAY_LEN(aops); oi++)
		for (si = 2; si < 4; si++)
			for (b = 0; b <= 10; b++)
				for (s = 0; s < 10; s++) {
					int off =
						b == 10 ? soffs[(s + oi) %
								ARRAY_LEN(
									soffs)]
							: offs[(s + oi + b) %
							       ARRAY_LEN(offs)];

					if (s == b)
						continue;
					prologue(&p);
					pick_vals(v, b * 10 + s + oi);
					init_regs(&p, v);
					if (b != 10)
						emit_work_ptr(&p, b, 1024);
					else
						emit(&p, STX_MEM(BPF_DW, 10, 6,
								 off));
					if (aops[oi] == BPF_CMPXCHG && b != 0) {
						/* fails (memory != r0) ... */
						emit(&p,
						     ATOMIC(sizes[si], aops[oi],
							    b, s, off));
						/* ... then succeeds: memory =
						 * r0 */
						emit(&p, STX_MEM(sizes[si], b,
								 0, off));
						emit(&p, ALU64_IMM(BPF_ADD, s,
								   0x1010));
						emit(&p,
						     ATOMIC(sizes[si], aops[oi],
							    b, s, off));
					} else {
						emit(&p,
						     ATOMIC(sizes[si], aops[oi],
							    b, s, off));
					}
					/* once more (r0 is no pointer after a
					 * cmpxchg based on it) */
					if (aops[oi] != BPF_CMPXCHG || b != 0)
						emit(&p,
						     ATOMIC(sizes[si], aops[oi],
							    b, s, off));
					if (aops[oi] == BPF_CMPXCHG && b == 0) {
						/* keep what it loaded, r0 = the
						 * base again */
						emit(&p,
						     MOV64_REG(s == 7 ? 8 : 7,
							       0));
						emit_work_ptr(&p, 0, 1024);
					}
					/* the memory word, into a register */
					emit(&p,
					     LDX_MEM(sizes[si],
						     s == 5 || b == 5 ? 6 : 5,
						     b, off));
					epilogue(&p);
					snprintf(what, sizeof(what),
						 "atomic %#x size %d [r%u%+d], "
						 "r%u",
						 aops[oi], sz_bytes[si], b, off,
						 s);
					diff1(what, p.i, p.n);
					cnt++;
				}
	print_message("atomics: %u programs\n", cnt);
}

/* r10 as a source: copies of the frame pointer address the same stack. */
TEST(test_frame_pointer_source)
{
	static struct pb p;
	unsigned int d, cnt = 0;
	uint64_t v[10];

	UNUSED;
	NEED_JIT();
	for (d = 0; d < 10; d++) {
		prologue(&p);
		pick_vals(v, d);
		init_regs(&p, v);
		emit(&p, STX_MEM(BPF_DW, 10, d, -16));
		emit(&p, MOV64_REG(d, 10));
		emit(&p, ALU64_IMM(BPF_ADD, d, -24));
		emit(&p, ST_MEM(BPF_DW, d, 0, 0x5a17c0de));
		emit(&p, ST_MEM(BPF_W, d, -300, -129));
		emit(&p, LDX_MEM(BPF_DW, d, d, 8)); /* r10 - 16 */
		emit(&p, LDX_MEM(BPF_DW, (d + 1) % 10, 10, -24));
		emit(&p, LDX_MEM(BPF_W, (d + 2) % 10, 10, -324));
		/* r10 - r10 and a 32-bit copy's difference */
		emit(&p, MOV64_REG((d + 3) % 10, 10));
		emit(&p, ALU64_REG(BPF_SUB, (d + 3) % 10, 10));
		epilogue(&p);
		diff1("r10 as source", p.i, p.n);
		cnt++;
	}
	print_message("frame pointer: %u programs\n", cnt);
}

/* ---- BPF-to-BPF calls
 * -------------------------------------------------------- */

TEST(test_calls)
{
	static struct pb p;
	size_t f1, f2, call1, call2;
	uint64_t v[10];
	int i;

	UNUSED;
	NEED_JIT();
	/* main -> f1 -> f2 with pointers into both callers' stacks,
	 * r6..r9 preserved over the calls, arguments in r1..r5 */
	prologue(&p);
	pick_vals(v, 3);
	init_regs(&p, v);
	emit(&p, ST_MEM(BPF_DW, 10, -8, 11));
	emit(&p, MOV64_REG(1, 10));
	emit(&p, ALU64_IMM(BPF_ADD, 1, -8));
	emit(&p, MOV64_IMM(2, 2));
	emit(&p, MOV64_IMM(3, 3));
	emit(&p, MOV64_IMM(4, 4));
	emit(&p, MOV64_IMM(5, 5));
	call1 = p.n;
	emit(&p, CALL_LOCAL(0)); /* patched */
	/* r1..r5 are undefined after a call (and may hold addresses in a
	 * callee's stack, which differ by engine) */
	for (i = 1; i < 6; i++)
		emit(&p, MOV64_IMM(i, i));
	emit(&p, LDX_MEM(BPF_DW, 1, 10, -8));
	emit(&p, ALU64_REG(BPF_ADD, 0, 1));
	emit(&p, ALU64_REG(BPF_ADD, 0, 6));
	epilogue(&p);
	f1 = p.n;
	/* f1(r1 = &main's slot, r2..r5): its own slot, calls f2 */
	for (i = 6; i < 10; i++)
		emit(&p, MOV64_IMM(i, 1000 + i)); /* clobbers r6..r9 */
	emit(&p, ST_MEM(BPF_DW, 10, -8, 22));
	emit(&p, ST_MEM(BPF_DW, 10, -512, 33));
	emit(&p, MOV64_REG(6, 1));
	emit(&p, MOV64_REG(7, 2));
	emit(&p, ALU64_REG(BPF_ADD, 7, 3));
	emit(&p, ALU64_REG(BPF_ADD, 7, 4));
	emit(&p, ALU64_REG(BPF_ADD, 7, 5));
	emit(&p, MOV64_REG(2, 10));
	emit(&p, ALU64_IMM(BPF_ADD, 2, -8));
	call2 = p.n;
	emit(&p, CALL_LOCAL(0)); /* patched */
	emit(&p, ALU64_REG(BPF_ADD, 0, 7));
	emit(&p, LDX_MEM(BPF_DW, 1, 10, -8));
	emit(&p, ALU64_REG(BPF_ADD, 0, 1));
	emit(&p, LDX_MEM(BPF_DW, 1, 10, -512));
	emit(&p, ALU64_REG(BPF_MUL, 0, 1));
	emit(&p, LDX_MEM(BPF_DW, 1, 6, 0));
	emit(&p, ALU64_REG(BPF_ADD, 0, 1));
	emit(&p, EXIT());
	f2 = p.n;
	/* f2(r1 = &main's slot, r2 = &f1's slot) */
	emit(&p, LDX_MEM(BPF_DW, 0, 1, 0));
	emit(&p, LDX_MEM(BPF_DW, 3, 2, 0));
	emit(&p, ALU64_REG(BPF_ADD, 0, 3));
	emit(&p, MOV64_IMM(4, 100));
	emit(&p, ATOMIC(BPF_DW, BPF_ADD, 1, 4, 0));
	emit(&p, ST_MEM(BPF_DW, 2, 0, 1000));
	emit(&p, ST_MEM(BPF_DW, 10, -512, 44));
	for (i = 6; i < 10; i++)
		emit(&p, MOV64_IMM(i, -i));
	emit(&p, EXIT());
	p.i[call1].imm = (int32_t)(f1 - call1 - 1);
	p.i[call2].imm = (int32_t)(f2 - call2 - 1);
	diff1("nested calls with stack pointers", p.i, p.n);
}

/* The deepest chain allowed, each frame using its whole stack, and the
 * chains the loader refuses (too deep, recursive) with either engine. */
TEST(test_call_depth)
{
	struct bpf_insn p[64];
	size_t n = 0, i;
	int e;

	UNUSED;
	NEED_JIT();
	for (i = 0; i < 7; i++) {
		p[n++] = ST_MEM(BPF_DW, 10, -512, (int32_t)(100 + i));
		p[n++] = ST_MEM(BPF_DW, 10, -8, (int32_t)(200 + i));
		p[n++] = CALL_LOCAL(4);
		p[n++] = LDX_MEM(BPF_DW, 1, 10, -512);
		p[n++] = ALU64_IMM(BPF_MUL, 0, 3);
		p[n++] = ALU64_REG(BPF_ADD, 0, 1);
		p[n++] = EXIT();
	}
	p[n++] = ST_MEM(BPF_DW, 10, -512, 0x4242);
	p[n++] = LDX_MEM(BPF_DW, 0, 10, -512);
	p[n++] = EXIT();
	diff1("8 frames", p, n);

	/* a 9th frame, and recursion: refused at load, E2BIG, whatever the
	 * engine */
	n -= 3;
	p[n++] = CALL_LOCAL(1);
	p[n++] = EXIT();
	p[n++] = MOV64_IMM(0, 1);
	p[n++] = EXIT();
	for (e = 0; e < NR_E; e++) {
		char vlog[512];

		assert_null(load_as(rt, BPF_PROG_TYPE_UNSPEC, p, n, e, vlog,
				    sizeof(vlog)));
		assert_int_equal(errno, E2BIG);
	}
	{
		const struct bpf_insn rec[] = {
			MOV64_IMM(1, 5),
			CALL_LOCAL(1),
			EXIT(),
			JMP_IMM(BPF_JEQ, 1, 0, 3),
			ALU64_IMM(BPF_SUB, 1, 1),
			CALL_LOCAL(-3),
			EXIT(),
			MOV64_IMM(0, 0),
			EXIT(),
		};

		for (e = 0; e < NR_E; e++) {
			char vlog[512];

			assert_null(load_as(rt, BPF_PROG_TYPE_UNSPEC, rec,
					    ARRAY_LEN(rec), e, vlog,
					    sizeof(vlog)));
			assert_int_equal(errno, E2BIG);
			assert_non_null(strstr(vlog, "recursive"));
		}
	}
}

/* ---- checked mode: faults
 * ---------------------------------------------------- */

/* Same error, same r0 (untouched), same memory and the same log line
 * (but for addresses). */
static void fault_case(const char *what, const struct bpf_insn *insns,
		       size_t cnt, size_t len, int want)
{
	const uint8_t *in[1] = {pattern()};
	struct outcome o;

	diff_inputs(what, insns, cnt, in, 1, len, true, &o);
	if (o.err != want)
		fail_msg("%s: interpreter returned %d, expected %d", what,
			 o.err, want);
}

TEST(test_checked_faults)
{
	UNUSED;
	NEED_JIT();
	{
		const struct bpf_insn p[] = {MOV64_IMM(0, 0),
					     LDX_MEM(BPF_B, 0, 1, 16), EXIT()};
		fault_case("load past the end", p, ARRAY_LEN(p), 16, -EFAULT);
		fault_case("load inside", p, ARRAY_LEN(p), 17, 0);
	}
	{
		const struct bpf_insn p[] = {MOV64_IMM(0, 0),
					     LDX_MEM(BPF_DW, 0, 1, 9), EXIT()};
		fault_case("load straddling the end", p, ARRAY_LEN(p), 16,
			   -EFAULT);
		fault_case("load at the end", p, ARRAY_LEN(p), 17, 0);
	}
	{
		const struct bpf_insn p[] = {
			MOV64_IMM(0, 0), LDX_MEMSX(BPF_W, 0, 1, -1), EXIT()};
		fault_case("load before the start", p, ARRAY_LEN(p), 16,
			   -EFAULT);
	}
	{
		const struct bpf_insn p[] = {MOV64_IMM(3, 0),
					     LDX_MEM(BPF_DW, 0, 3, 0), EXIT()};
		fault_case("null load", p, ARRAY_LEN(p), 16, -EFAULT);
	}
	{
		const struct bpf_insn p[] = {MOV64_IMM(3, -1),
					     LDX_MEM(BPF_W, 0, 3, 0), EXIT()};
		fault_case("wrapping load", p, ARRAY_LEN(p), 16, -EFAULT);
	}
	{
		const struct bpf_insn p[] = {
			MOV64_IMM(0, 0), ST_MEM(BPF_H, 1, 15, 0x77), EXIT()};
		fault_case("st past the end", p, ARRAY_LEN(p), 16, -EFAULT);
		fault_case("st at the end", p, ARRAY_LEN(p), 17, 0);
	}
	{
		const struct bpf_insn p[] = {MOV64_IMM(0, 0), MOV64_IMM(5, 9),
					     STX_MEM(BPF_W, 1, 5, -4), EXIT()};
		fault_case("stx before the start", p, ARRAY_LEN(p), 16,
			   -EFAULT);
	}
	{
		const struct bpf_insn p[] = {
			MOV64_IMM(0, 0), MOV64_IMM(3, 1),
			ATOMIC(BPF_W, BPF_ADD | BPF_FETCH, 1, 3, 16), EXIT()};
		fault_case("atomic past the end", p, ARRAY_LEN(p), 16, -EFAULT);
		fault_case("atomic at the end", p, ARRAY_LEN(p), 20, 0);
	}
	{
		const struct bpf_insn p[] = {MOV64_IMM(0, 0), MOV64_IMM(3, 1),
					     ATOMIC(BPF_W, BPF_XCHG, 1, 3, 2),
					     EXIT()};
		fault_case("misaligned atomic", p, ARRAY_LEN(p), 16, -EFAULT);
	}
	{
		const struct bpf_insn p[] = {
			MOV64_IMM(0, 0), MOV64_IMM(3, 1),
			ATOMIC(BPF_DW, BPF_CMPXCHG, 1, 3, 8), EXIT()};
		fault_case("cmpxchg past the end", p, ARRAY_LEN(p), 15,
			   -EFAULT);
		fault_case("cmpxchg inside", p, ARRAY_LEN(p), 16, 0);
	}
	{
		/* a fault after a store: what was written stays written */
		const struct bpf_insn p[] = {ST_MEM(BPF_DW, 1, 0, 0x1234),
					     MOV64_IMM(0, 7),
					     LDX_MEM(BPF_B, 0, 1, 64), EXIT()};
		fault_case("fault after a store", p, ARRAY_LEN(p), 64, -EFAULT);
	}
	{
		/* the stack: below the frame, above it in main */
		const struct bpf_insn p[] = {MOV64_IMM(0, 0),
					     LDX_MEM(BPF_DW, 0, 10, 0), EXIT()};
		const struct bpf_insn q[] = {MOV64_REG(2, 10),
					     ALU64_IMM(BPF_ADD, 2, -513),
					     LDX_MEM(BPF_B, 0, 2, 0), EXIT()};
		const uint8_t *in[1] = {pattern()};
		struct outcome o;

		diff_inputs("load above main's frame", p, ARRAY_LEN(p), in, 1,
			    16, false, &o);
		assert_int_equal(o.err, -EFAULT);
		diff_inputs("load below the frame", q, ARRAY_LEN(q), in, 1, 16,
			    false, &o);
		assert_int_equal(o.err, -EFAULT);
	}
	{
		/* a fault in a callee ends the whole run (callers'
		 * frames: test_checked_frames_contiguous) */
		const struct bpf_insn p[] = {
			ST_MEM(BPF_DW, 10, -8, 99),
			CALL_LOCAL(2),
			ALU64_IMM(BPF_ADD, 0, 1),
			EXIT(),
			MOV64_IMM(0, 99),
			LDX_MEM(BPF_DW, 2, 1, 0),
			EXIT(),
		};
		struct bpf_insn q[ARRAY_LEN(p)];
		const uint8_t *in[1] = {pattern()};
		struct outcome o;

		diff_inputs("a callee's access to the memory", p, ARRAY_LEN(p),
			    in, 1, 16, false, &o);
		assert_int_equal(o.err, 0);
		assert_int_equal(o.r0, 100);
		memcpy(q, p, sizeof(p));
		q[5] = LDX_MEM(BPF_DW, 2, 1, 9);
		fault_case("fault in a callee", q, ARRAY_LEN(q), 16, -EFAULT);
	}
}

/*
 * The stack of checked runs as the interpreter lays it out: frames are
 * contiguous (a callee's r10 is its caller's r10 - 512), so a callee
 * addressing past its own frame reaches its caller's slots; the callers'
 * frames are the memory it may touch.
 */
TEST(test_checked_frames_contiguous)
{
	const struct bpf_insn p[] = {
		ST_MEM(BPF_DW, 10, -16, 77),
		ST_MEM(BPF_DW, 10, -512, 78),
		CALL_LOCAL(3),
		LDX_MEM(BPF_DW, 1, 10, -16),
		ALU64_REG(BPF_ADD, 0, 1),
		EXIT(),
		/* the callee: main's r10 - 16 and - 512, then writes them */
		LDX_MEM(BPF_DW, 0, 10, 512 - 16),
		LDX_MEM(BPF_DW, 1, 10, 0),
		ALU64_IMM(BPF_LSH, 0, 8),
		ALU64_REG(BPF_OR, 0, 1),
		ST_MEM(BPF_DW, 10, 512 - 16, 1000),
		EXIT(),
	};

	UNUSED;
	NEED_JIT();
	fault_case("callee addresses its caller's frame through r10", p,
		   ARRAY_LEN(p), 16, 0);
}

/* A subprogram's frame is not cleared between calls in the interpreter:
 * what one call left, the next sees (raw programs may read any stack
 * byte). */
TEST(test_checked_frame_reuse)
{
	const struct bpf_insn p[] = {
		CALL_LOCAL(4),
		MOV64_REG(6, 0),
		CALL_LOCAL(2),
		ALU64_REG(BPF_ADD, 0, 6),
		EXIT(),
		/* f: r0 = its r10 - 8 + 100; its r10 - 8 = 5 */
		LDX_MEM(BPF_DW, 0, 10, -8),
		ST_MEM(BPF_DW, 10, -8, 5),
		ALU64_IMM(BPF_ADD, 0, 100),
		EXIT(),
	};

	UNUSED;
	NEED_JIT();
	fault_case("a subprogram called twice reads its frame", p, ARRAY_LEN(p),
		   16, 0);
}

/* Faults on the stack: the same error and the same message. */
TEST(test_checked_stack_faults)
{
	UNUSED;
	NEED_JIT();
	{
		const struct bpf_insn p[] = {
			ST_MEM(BPF_DW, 10, -16, 0),
			MOV64_IMM(1, 1),
			ATOMIC(BPF_W, BPF_ADD, 10, 1, -10),
			MOV64_IMM(0, 1),
			EXIT(),
		};
		fault_case("misaligned 32-bit atomic on the stack", p,
			   ARRAY_LEN(p), 16, -EFAULT);
	}
	{
		const struct bpf_insn p[] = {
			ST_MEM(BPF_DW, 10, -16, 0),
			MOV64_IMM(1, 1),
			ATOMIC(BPF_DW, BPF_XCHG, 10, 1, -12),
			MOV64_IMM(0, 1),
			EXIT(),
		};
		fault_case("misaligned 64-bit xchg on the stack", p,
			   ARRAY_LEN(p), 16, -EFAULT);
	}
	{
		const struct bpf_insn p[] = {
			MOV64_IMM(0, 0), LDX_MEM(BPF_DW, 0, 10, -4), EXIT()};
		fault_case("load straddling the top of the stack", p,
			   ARRAY_LEN(p), 16, -EFAULT);
	}
	{
		/* a pointer into a callee's frame, used after its return */
		const struct bpf_insn p[] = {
			CALL_LOCAL(2),	  LDX_MEM(BPF_DW, 0, 0, 0),
			EXIT(),		  ST_MEM(BPF_DW, 10, -8, 9),
			MOV64_REG(0, 10), ALU64_IMM(BPF_ADD, 0, -8),
			EXIT(),
		};
		const uint8_t *in[1] = {pattern()};
		struct outcome o;

		diff_inputs("a returned callee's frame", p, ARRAY_LEN(p), in, 1,
			    16, false, &o);
		assert_int_equal(o.err, -EFAULT);
	}
}

/*
 * r1..r5 after a helper call in a raw program: the verifier would refuse
 * to read them, but raw programs are not verified, and the interpreter
 * leaves the arguments there.  Whatever the engine leaves must be the same
 * (and never a host address the program did not have).
 */
TEST(test_checked_regs_after_helper)
{
	static struct pb q;
	struct uebpf_map *m;

	UNUSED;
	NEED_JIT();
	m = uebpf_map_create(rt, BPF_MAP_TYPE_HASH, "h", 4, 8, 4, NULL);
	assert_non_null(m);
	/* lookup(map, &key) with r3..r5 set; then r3..r5 into work[0..24)
	 * (r1 and r2, the map and a stack address, are the program's own) */
	q.n = 0;
	emit(&q, STX_MEM(BPF_DW, 10, 1, -24));
	emit(&q, ST_MEM(BPF_W, 10, -4, 1));
	emit(&q, INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0,
		      uebpf_map_id(m)));
	emit(&q, INSN(0, 0, 0, 0, 0));
	emit(&q, MOV64_REG(2, 10));
	emit(&q, ALU64_IMM(BPF_ADD, 2, -4));
	emit(&q, MOV64_IMM(3, 33));
	emit(&q, MOV64_IMM(4, 44));
	emit(&q, MOV64_IMM(5, 55));
	emit(&q, CALL_HELPER(BPF_FUNC_map_lookup_elem));
	emit(&q, LDX_MEM(BPF_DW, 0, 10, -24));
	emit(&q, STX_MEM(BPF_DW, 0, 3, 0));
	emit(&q, STX_MEM(BPF_DW, 0, 4, 8));
	emit(&q, STX_MEM(BPF_DW, 0, 5, 16));
	emit(&q, MOV64_IMM(0, 0));
	emit(&q, EXIT());
	fault_case("r3..r5 after a helper call", q.i, q.n, 64, 0);
	uebpf_map_put(m);
}

/* INT_MIN / -1 and INT_MIN % -1 by K, in every register. */
TEST(test_sdiv_intmin_imm)
{
	static struct pb p;
	unsigned int cls, op, d;
	uint64_t v[10];

	UNUSED;
	NEED_JIT();
	for (cls = 0; cls < 2; cls++)
		for (op = 0; op < 2; op++) {
			for (d = 0; d < 10; d++)
				v[d] = cls ? 0x8000000000000000ull
					   : 0xffffffff80000000ull +
						       (d & 1) * 0x100000000ull;
			prologue(&p);
			init_regs(&p, v);
			for (d = 0; d < 10; d++)
				emit(&p, INSN((cls ? BPF_ALU64 : BPF_ALU) |
						      (op ? BPF_MOD : BPF_DIV) |
						      BPF_K,
					      d, 0, 1, -1));
			epilogue(&p);
			diff1(op ? "smod INT_MIN, -1" : "sdiv INT_MIN, -1", p.i,
			      p.n);
		}
}

/* ---- constant blinding
 * ------------------------------------------------------- */

static bool image_has(const struct uebpf_prog *prog, uint32_t v)
{
	const uint8_t *img = prog->jit_image;
	size_t i;

	for (i = 0; i + 4 <= prog->jit_len; i++)
		if (!memcmp(img + i, &v, 4))
			return true;
	return false;
}

TEST(test_blinding_hides_constants)
{
	const uint32_t c = 0x5a17c0de;
	const struct bpf_insn progs[][8] = {
		{MOV64_IMM(0, c), EXIT()},
		{MOV32_IMM(0, c), EXIT()},
		{MOV64_IMM(0, 1), ALU64_IMM(BPF_ADD, 0, c), EXIT()},
		{MOV64_IMM(0, 1), ALU32_IMM(BPF_XOR, 0, c), EXIT()},
		{MOV64_IMM(0, 1), ALU64_IMM(BPF_MUL, 0, c), EXIT()},
		{MOV64_IMM(0, 1), ALU64_IMM(BPF_AND, 0, c), EXIT()},
		{MOV64_IMM(0, 1), ALU64_IMM(BPF_DIV, 0, c), EXIT()},
		{MOV64_IMM(0, 1), JMP_IMM(BPF_JEQ, 0, c, 1), EXIT(),
		 MOV64_IMM(0, 2), EXIT()},
		{MOV64_IMM(0, 1), JMP32_IMM(BPF_JSGT, 0, c, 1), EXIT(),
		 MOV64_IMM(0, 2), EXIT()},
		{ST_MEM(BPF_W, 10, -8, c), LDX_MEM(BPF_W, 0, 10, -8), EXIT()},
		{ST_MEM(BPF_DW, 10, -8, c), LDX_MEM(BPF_DW, 0, 10, -8), EXIT()},
		{LD_IMM64(0, 0x5a17c0de5a17c0deull), EXIT()},
		{LD_IMM64(0, 0x000000005a17c0deull), EXIT()},
	};
	static const size_t lens[] = {2, 2, 3, 3, 3, 3, 3, 5, 5, 3, 3, 3, 3};
	size_t i;

	UNUSED;
	NEED_REAL_JIT();
	for (i = 0; i < ARRAY_LEN(progs); i++) {
		struct uebpf_prog *plain, *blind;
		char vlog[512];

		diff1("blinding", progs[i], lens[i]);
		plain = load_as(rt, BPF_PROG_TYPE_UNSPEC, progs[i], lens[i],
				E_JIT, vlog, sizeof(vlog));
		blind = load_as(rt, BPF_PROG_TYPE_UNSPEC, progs[i], lens[i],
				E_BLIND, vlog, sizeof(vlog));
		assert_non_null(plain);
		assert_non_null(blind);
		assert_non_null(plain->jit_image);
		assert_non_null(blind->jit_image);
		assert_true(plain->jit_len > 0);
		assert_int_equal(uebpf_prog_jited_len(blind), blind->jit_len);
		if (!image_has(plain, c))
			fail_msg("program %zu: 0x%x is not in the image "
				 "without blinding (the test would prove "
				 "nothing)",
				 i, c);
		if (image_has(blind, c))
			fail_msg("program %zu: 0x%x is in the image with "
				 "blinding on",
				 i, c);
		uebpf_prog_free(plain);
		uebpf_prog_free(blind);
	}
}

/* Two loads blind with different keys: the same program, different
 * code (and the same results, which diff1 checks above). */
TEST(test_blinding_keys_differ)
{
	const struct bpf_insn p[] = {MOV64_IMM(0, 0x11223344),
				     ALU64_IMM(BPF_ADD, 0, 0x01020304), EXIT()};
	struct uebpf_prog *a, *b;
	char vlog[256];

	UNUSED;
	NEED_REAL_JIT();
	a = load_as(rt, BPF_PROG_TYPE_UNSPEC, p, 3, E_BLIND, vlog, 256);
	b = load_as(rt, BPF_PROG_TYPE_UNSPEC, p, 3, E_BLIND, vlog, 256);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a->jit_len != b->jit_len ||
		    memcmp(a->jit_image, b->jit_image, a->jit_len));
	uebpf_prog_free(a);
	uebpf_prog_free(b);
}

/* ---- W^X
 * ------------------------------------------------------------------------ */

TEST(test_wx)
{
	const struct bpf_insn p[] = {MOV64_IMM(0, 1), EXIT()};
	struct uebpf_prog *progs[8];
	char line[512], perms[8];
	bool found = false;
	uintptr_t img;
	FILE *f;
	int i;

	UNUSED;
	NEED_REAL_JIT();
	for (i = 0; i < 8; i++) {
		char vlog[256];

		progs[i] = load_as(rt, BPF_PROG_TYPE_UNSPEC, p, 2,
				   i & 1 ? E_BLIND : E_JIT, vlog, sizeof(vlog));
		assert_non_null(progs[i]);
	}
	img = (uintptr_t)progs[3]->jit_image;
	f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
			continue;
		if (strchr(perms, 'w') && strchr(perms, 'x'))
			fail_msg("a mapping is writable and executable: %s",
				 line);
		if (img >= lo && img < hi) {
			found = true;
			if (strncmp(perms, "r-x", 3))
				fail_msg("the JIT image's mapping is %s: %s",
					 perms, line);
		}
	}
	fclose(f);
	assert_true(found);
	for (i = 0; i < 8; i++)
		uebpf_prog_free(progs[i]);
}

/* ---- options
 * -------------------------------------------------------------------- */

TEST(test_options)
{
	const struct bpf_insn p[] = {MOV64_IMM(0, 3), EXIT()};
	char vlog[512];
	struct uebpf_prog *prog;
	uint64_t r0 = 0;

	UNUSED;
	/* an unknown engine: EINVAL with or without a JIT */
	{
		UEBPF_OPTS(uebpf_prog_load_opts, o, .engine = 7,
			   .log_buf = vlog, .log_size = sizeof(vlog),
			   .log_level = 1);

		assert_null(
			uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, p, 2, &o));
		assert_int_equal(errno, EINVAL);
		assert_non_null(strstr(vlog, "unknown"));
	}
	/* INTERP: the interpreter, no code */
	prog = load_as(rt, BPF_PROG_TYPE_UNSPEC, p, 2, E_INTERP, vlog,
		       sizeof(vlog));
	assert_non_null(prog);
	assert_int_equal(uebpf_prog_engine(prog), UEBPF_ENGINE_INTERP);
	assert_int_equal(uebpf_prog_jited_len(prog), 0);
	assert_null(prog->jit_entry);
	uebpf_prog_free(prog);

	NEED_REAL_JIT();
	/* JIT: code, reported */
	prog = load_as(rt, BPF_PROG_TYPE_UNSPEC, p, 2, E_JIT, vlog,
		       sizeof(vlog));
	assert_non_null(prog);
	assert_int_equal(uebpf_prog_engine(prog), UEBPF_ENGINE_JIT);
	assert_true(uebpf_prog_jited_len(prog) > 0);
	assert_int_equal(uebpf_prog_run(prog, work, 8, &r0), 0);
	assert_int_equal(r0, 3);
	uebpf_prog_free(prog);
	/* JIT and an insn_budget: EINVAL */
	{
		UEBPF_OPTS(uebpf_prog_load_opts, o, .engine = UEBPF_ENGINE_JIT,
			   .insn_budget = 100, .log_buf = vlog,
			   .log_size = sizeof(vlog), .log_level = 1);

		assert_null(
			uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, p, 2, &o));
		assert_int_equal(errno, EINVAL);
		assert_non_null(strstr(vlog, "insn_budget"));
	}
	/* the default with a budget: the interpreter, which counts */
	{
		const struct bpf_insn loop[] = {
			MOV64_IMM(0, 0), JMP_IMM(BPF_JEQ, 0, 0, -1), EXIT()};
		UEBPF_OPTS(uebpf_prog_load_opts, o, .insn_budget = 1000);

		prog = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, loop, 3, &o);
		assert_non_null(prog);
		assert_int_equal(uebpf_prog_engine(prog), UEBPF_ENGINE_INTERP);
		assert_int_equal(uebpf_prog_run(prog, work, 8, &r0),
				 -ETIMEDOUT);
		uebpf_prog_free(prog);
	}
	/* the default: the JIT (x86-64) */
	{
		UEBPF_OPTS(uebpf_prog_load_opts, o);

		prog = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, p, 2, &o);
		assert_non_null(prog);
		assert_int_equal(uebpf_prog_engine(prog), UEBPF_ENGINE_JIT);
		uebpf_prog_free(prog);
		prog = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, p, 2, NULL);
		assert_non_null(prog);
		assert_int_equal(uebpf_prog_engine(prog), UEBPF_ENGINE_JIT);
		uebpf_prog_free(prog);
	}
}

/* UEBPF_ENGINE: read when a runtime is made. */
TEST(test_engine_env)
{
	const struct bpf_insn p[] = {MOV64_IMM(0, 3), EXIT()};
	static const struct {
		const char *val;
		enum uebpf_engine want;
	} cases[] = {
		{"interp", UEBPF_ENGINE_INTERP},
		{"jit", UEBPF_ENGINE_JIT},
		{NULL, UEBPF_ENGINE_JIT},
		{"bogus", UEBPF_ENGINE_JIT}, /* ignored, with a warning */
	};
	size_t i;

	UNUSED;
	NEED_REAL_JIT();
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		struct uebpf_runtime *r;
		struct uebpf_prog *prog;
		char vlog[256];
		uint64_t r0 = 0;

		if (cases[i].val)
			setenv("UEBPF_ENGINE", cases[i].val, 1);
		else
			unsetenv("UEBPF_ENGINE");
		runlog[0] = '\0';
		r = new_rt();
		unsetenv("UEBPF_ENGINE");
		assert_non_null(r);
		if (cases[i].val && !strcmp(cases[i].val, "bogus") &&
		    !strstr(runlog, "UEBPF_ENGINE='bogus' ignored"))
			fail_msg("no warning for UEBPF_ENGINE=bogus: %s",
				 runlog);
		prog = uebpf_prog_load(r, BPF_PROG_TYPE_UNSPEC, p, 2, NULL);
		assert_non_null(prog);
		if (uebpf_prog_engine(prog) != cases[i].want)
			fail_msg("UEBPF_ENGINE=%s: engine %d, expected %d",
				 cases[i].val ? cases[i].val : "(unset)",
				 (int)uebpf_prog_engine(prog),
				 (int)cases[i].want);
		assert_int_equal(uebpf_prog_run(prog, work, 8, &r0), 0);
		assert_int_equal(r0, 3);
		/* an explicit engine wins over the environment */
		uebpf_prog_free(prog);
		prog = load_as(r, BPF_PROG_TYPE_UNSPEC, p, 2, E_INTERP, vlog,
			       sizeof(vlog));
		assert_non_null(prog);
		assert_int_equal(uebpf_prog_engine(prog), UEBPF_ENGINE_INTERP);
		uebpf_prog_free(prog);
		prog = load_as(r, BPF_PROG_TYPE_UNSPEC, p, 2, E_JIT, vlog,
			       sizeof(vlog));
		assert_non_null(prog);
		assert_int_equal(uebpf_prog_engine(prog), UEBPF_ENGINE_JIT);
		uebpf_prog_free(prog);
		uebpf_runtime_free(r);
	}
}

/* callx (raw programs only): the helper whose id a register holds, as the
 * interpreter calls it, refusing what it refuses. */
TEST(test_callx)
{
	UNUSED;
	NEED_JIT();
	{
		const struct bpf_insn p[] = {
			MOV64_IMM(6, BPF_FUNC_get_smp_processor_id),
			CALLX(6),
			ALU64_IMM(BPF_ADD, 0, 100),
			EXIT(),
		};
		fault_case("callx bpf_get_smp_processor_id", p, ARRAY_LEN(p),
			   16, 0);
	}
	{
		const struct bpf_insn p[] = {
			MOV64_IMM(6, 9999),
			CALLX(6),
			MOV64_IMM(0, 1),
			EXIT(),
		};
		const struct bpf_insn q[] = {
			MOV64_IMM(6, 0),
			CALLX(6),
			MOV64_IMM(0, 1),
			EXIT(),
		};
		fault_case("callx to an unknown helper id", p, ARRAY_LEN(p), 16,
			   -EINVAL);
		fault_case("callx to helper id 0", q, ARRAY_LEN(q), 16,
			   -EINVAL);
	}
}

/* bpf_loop through callx (the callback given as an instruction index:
 * BPF_PSEUDO_FUNC would make the JIT decline the whole program).  The
 * default engine leaves a raw program with callx to the interpreter,
 * which runs the loop; an explicit JIT load compiles it, and the run
 * fails with EOPNOTSUPP naming the engine to use (uebpf_prog_load(3)). */
TEST(test_callx_loop)
{
	UNUSED;
	NEED_JIT();
	{
		/* bpf_loop through callx: the callback as an instruction
		 * index (no BPF_PSEUDO_FUNC, which the JIT declines) */
		const struct bpf_insn p[] = {
			MOV64_IMM(1, 3),
			MOV64_IMM(2, 8),
			MOV64_IMM(3, 0),
			MOV64_IMM(4, 0),
			MOV64_IMM(6, BPF_FUNC_loop),
			CALLX(6),
			/* never taken: makes the callback reachable */
			JMP_IMM(BPF_JEQ, 6, 0, 1),
			EXIT(),
			/* pc 8: the callback */
			MOV64_IMM(0, 0),
			EXIT(),
		};
		UEBPF_OPTS(uebpf_prog_load_opts, dflt, .name = "t");
		struct uebpf_prog *d, *i, *j;
		char jlog[512] = "";
		uint64_t r0d = 0, r0i = 0, r0j = 0;
		uint8_t mem[16] = {0};

		d = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, p, ARRAY_LEN(p),
				    &dflt);
		i = load_as(rt, BPF_PROG_TYPE_UNSPEC, p, ARRAY_LEN(p), E_INTERP,
			    NULL, 0);
		j = load_as(rt, BPF_PROG_TYPE_UNSPEC, p, ARRAY_LEN(p), E_JIT,
			    jlog, sizeof(jlog));
		assert_non_null(d);
		assert_non_null(i);
		assert_non_null(j);
		assert_int_equal(uebpf_prog_engine(d), UEBPF_ENGINE_INTERP);
		assert_int_equal(uebpf_prog_engine(j), UEBPF_ENGINE_JIT);
		assert_int_equal(uebpf_prog_run(i, mem, sizeof(mem), &r0i), 0);
		assert_int_equal(uebpf_prog_run(d, mem, sizeof(mem), &r0d), 0);
		assert_int_equal(r0i, 3);
		assert_int_equal(r0d, r0i);
		if (!self_mode)
			assert_int_equal(uebpf_prog_run(j, mem, sizeof(mem),
							&r0j), -EOPNOTSUPP);
		uebpf_prog_free(d);
		uebpf_prog_free(i);
		uebpf_prog_free(j);
	}
}

/* bpf_tail_call through callx: refused in a program no verifier proved
 * safe, with the same error and message. */
TEST(test_callx_tail_call)
{
	struct uebpf_map *jmp;

	UNUSED;
	NEED_JIT();
	jmp = uebpf_map_create(rt, BPF_MAP_TYPE_PROG_ARRAY, "jmp", 4, 4, 2,
			       NULL);
	assert_non_null(jmp);
	{
		const struct bpf_insn p[] = {
			LD_IMM64_RAW(2, BPF_PSEUDO_MAP_FD, uebpf_map_id(jmp),
				     0),
			MOV64_IMM(3, 1),
			MOV64_IMM(6, BPF_FUNC_tail_call),
			CALLX(6),
			MOV64_IMM(0, 5),
			EXIT(),
		};
		fault_case("bpf_tail_call through callx", p, ARRAY_LEN(p), 16,
			   -EINVAL);
	}
	uebpf_map_put(jmp);
}

/* What the JIT does not compile in raw programs: an explicit JIT load
 * fails with EOPNOTSUPP, the default one runs in the interpreter. */
TEST(test_declined_raw)
{
	const struct bpf_insn loop[] = {
		MOV64_IMM(1, 3),
		LD_IMM64_RAW(2, BPF_PSEUDO_FUNC, 5, 0),
		MOV64_IMM(3, 0),
		MOV64_IMM(4, 0),
		CALL_HELPER(BPF_FUNC_loop),
		EXIT(),
		/* callback */
		MOV64_IMM(0, 0),
		EXIT(),
	};
	const struct {
		const struct bpf_insn *p;
		size_t n;
		const char *name;
	} cases[] = {
		{loop, ARRAY_LEN(loop), "bpf_loop"},
	};
	size_t i;

	UNUSED;
	NEED_REAL_JIT();
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		struct uebpf_prog *prog;
		uint64_t r0[2] = {0, 0};
		char vlog[512];
		int e;

		prog = load_as(rt, BPF_PROG_TYPE_UNSPEC, cases[i].p, cases[i].n,
			       E_JIT, vlog, sizeof(vlog));
		if (prog)
			fail_msg("%s: explicit JIT load succeeded",
				 cases[i].name);
		assert_int_equal(errno, EOPNOTSUPP);
		for (e = 0; e < 2; e++) {
			UEBPF_OPTS(uebpf_prog_load_opts, o);

			prog = e ? uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC,
						   cases[i].p, cases[i].n, &o)
				 : load_as(rt, BPF_PROG_TYPE_UNSPEC, cases[i].p,
					   cases[i].n, E_INTERP, vlog,
					   sizeof(vlog));
			if (!prog)
				fail_msg("%s: load failed: %s", cases[i].name,
					 vlog);
			assert_int_equal(uebpf_prog_engine(prog),
					 UEBPF_ENGINE_INTERP);
			assert_int_equal(uebpf_prog_run(prog, work, 8, &r0[e]),
					 0);
			uebpf_prog_free(prog);
		}
		assert_int_equal(r0[0], r0[1]);
	}
}

/* ---- XDP: verified programs, compiled unchecked
 * ---------------------------------- */

static struct uebpf_prog *xdp_load(struct uebpf_runtime *r,
				   const struct bpf_insn *insns, size_t cnt,
				   int e)
{
	static char vlog[1 << 16];
	struct uebpf_prog *prog;

	prog = load_as(r, BPF_PROG_TYPE_XDP, insns, cnt, e, vlog, sizeof(vlog));
	if (!prog)
		fail_msg("XDP load (%s): %s\n%s", e_name[e], strerror(errno),
			 vlog);
	return prog;
}

/* Runs prog on a packet of len bytes (pattern), returns the result, the
 * packet after the run in out. */
static int xdp_run(struct uebpf_prog *prog, size_t len, uint8_t *out,
		   struct uebpf_xdp_result *res)
{
	static uint8_t frame[4096] __attribute__((aligned(64)));
	UEBPF_OPTS(uebpf_xdp_buff, b, .data_hard_start = frame,
		   .data = frame + UEBPF_XDP_HEADROOM,
		   .data_end = frame + UEBPF_XDP_HEADROOM + len,
		   .frame_sz = sizeof(frame));
	int ret;

	memset(frame, 0, sizeof(frame));
	memcpy(frame + UEBPF_XDP_HEADROOM, pattern(), len);
	memset(res, 0, sizeof(*res));
	res->sz = sizeof(*res);
	ret = uebpf_xdp_run(prog, &b, res);
	memcpy(out, frame, sizeof(frame));
	return ret;
}

/* Inline lookups in an ARRAY and a PERCPU_ARRAY (the slot of the bound
 * worker), a miss past max_entries, the values written back. */
TEST(test_xdp_inline_lookups)
{
	struct uebpf_map *arr[NR_E], *pcpu[NR_E];
	unsigned int cpu, e, key;
	uint8_t out[NR_E][4096];
	int ret[NR_E];

	UNUSED;
	NEED_JIT();
	for (e = 0; e < 2; e++) {
		uint64_t init[4] = {10, 20, 30, 40};

		arr[e] = uebpf_map_create(rt, BPF_MAP_TYPE_ARRAY, "arr", 4, 12,
					  3, NULL);
		pcpu[e] = uebpf_map_create(rt, BPF_MAP_TYPE_PERCPU_ARRAY,
					   "pcpu", 4, 8, 2, NULL);
		assert_non_null(arr[e]);
		assert_non_null(pcpu[e]);
		for (key = 0; key < 2; key++)
			assert_int_equal(
				uebpf_map_update_elem(pcpu[e], &key, init, 0),
				0);
	}
	for (cpu = 0; cpu < 4; cpu++) {
		struct uebpf_prog *prog[2];
		struct uebpf_xdp_result res[2];

		for (e = 0; e < 2; e++) {
			/* for key in 0..3: v = lookup(arr, key); if v:
			 * v[0] += key + 1 (u32), r6 += v[0], v[2] = r6; then
			 * pcpu[key & 1] += 1 + r6; return r6 & 3 */
			const struct bpf_insn p[] = {
				MOV64_IMM(6, 0),
				MOV64_IMM(7, 0),
				/* loop: */
				STX_MEM(BPF_W, 10, 7, -4),
				LD_IMM64_RAW(1, BPF_PSEUDO_MAP_FD,
					     uebpf_map_id(arr[e]), 0),
				MOV64_REG(2, 10),
				ALU64_IMM(BPF_ADD, 2, -4),
				CALL_HELPER(BPF_FUNC_map_lookup_elem),
				JMP_IMM(BPF_JEQ, 0, 0, 6),
				LDX_MEM(BPF_W, 1, 0, 0),
				ALU64_REG(BPF_ADD, 1, 7),
				ALU64_IMM(BPF_ADD, 1, 1),
				STX_MEM(BPF_W, 0, 1, 0),
				ALU64_REG(BPF_ADD, 6, 1),
				STX_MEM(BPF_W, 0, 6, 8),
				/* per-CPU */
				MOV64_REG(1, 7),
				ALU64_IMM(BPF_AND, 1, 1),
				STX_MEM(BPF_W, 10, 1, -8),
				LD_IMM64_RAW(1, BPF_PSEUDO_MAP_FD,
					     uebpf_map_id(pcpu[e]), 0),
				MOV64_REG(2, 10),
				ALU64_IMM(BPF_ADD, 2, -8),
				CALL_HELPER(BPF_FUNC_map_lookup_elem),
				JMP_IMM(BPF_JEQ, 0, 0, 4),
				LDX_MEM(BPF_DW, 1, 0, 0),
				ALU64_REG(BPF_ADD, 1, 6),
				ALU64_IMM(BPF_ADD, 1, 1),
				STX_MEM(BPF_DW, 0, 1, 0),
				ALU64_IMM(BPF_ADD, 7, 1),
				JMP_IMM(BPF_JLT, 7, 4, -28),
				MOV64_REG(0, 6),
				ALU64_IMM(BPF_AND, 0, 3),
				EXIT(),
			};

			prog[e] = xdp_load(rt, p, ARRAY_LEN(p), e);
			if (e && !self_mode)
				assert_int_equal(uebpf_prog_engine(prog[e]),
						 UEBPF_ENGINE_JIT);
			assert_int_equal(uebpf_worker_bind(rt, cpu), 0);
			ret[e] = xdp_run(prog[e], 64, out[e], &res[e]);
			compared++;
			uebpf_worker_bind(rt, 0);
		}
		assert_int_equal(ret[0], ret[1]);
		assert_int_equal(res[0].retval, res[1].retval);
		assert_memory_equal(out[0], out[1], 4096);
		for (key = 0; key < 3; key++) {
			uint8_t a[12], b[12];

			assert_int_equal(uebpf_map_lookup_elem(arr[0], &key, a),
					 0);
			assert_int_equal(uebpf_map_lookup_elem(arr[1], &key, b),
					 0);
			assert_memory_equal(a, b, 12);
		}
		for (key = 0; key < 2; key++) {
			uint64_t a[4], b[4];

			assert_int_equal(
				uebpf_map_lookup_elem(pcpu[0], &key, a), 0);
			assert_int_equal(
				uebpf_map_lookup_elem(pcpu[1], &key, b), 0);
			assert_memory_equal(a, b, sizeof(a));
			/* the bound slot moved, the others did not */
			assert_true(a[cpu] != 10 + 10 * cpu || cpu > 3);
		}
		for (e = 0; e < 2; e++)
			uebpf_prog_free(prog[e]);
	}
	for (e = 0; e < 2; e++) {
		uebpf_map_put(arr[e]);
		uebpf_map_put(pcpu[e]);
	}
}

/* Debug checks: a program compiled unchecked runs in the interpreter
 * while they are on. */
TEST(test_xdp_debug_mode)
{
	const struct bpf_insn p[] = {MOV64_IMM(0, XDP_TX), EXIT()};
	struct uebpf_prog *prog;
	struct uebpf_xdp_result res;
	static uint8_t out[4096];

	UNUSED;
	NEED_REAL_JIT();
	prog = xdp_load(rt, p, 2, E_JIT);
	assert_int_equal(uebpf_prog_engine(prog), UEBPF_ENGINE_JIT);
	uebpf_prog_set_debug_checks(prog, true);
	assert_int_equal(uebpf_prog_engine(prog), UEBPF_ENGINE_INTERP);
	assert_int_equal(xdp_run(prog, 64, out, &res), XDP_TX);
	uebpf_prog_set_debug_checks(prog, false);
	assert_int_equal(uebpf_prog_engine(prog), UEBPF_ENGINE_JIT);
	assert_int_equal(xdp_run(prog, 64, out, &res), XDP_TX);
	uebpf_prog_free(prog);
}

/* The objects of tests/progs with tail calls and bpf_loop, opened once per
 * engine: the same verdicts, the same map contents. */
struct objpair {
	struct uebpf_runtime *rt[NR_E];
	struct uebpf_object *obj[NR_E];
};

static char *prog_path(const char *obj)
{
	static char path[4096];
	const char *dir = getenv("UEBPF_PROGS_DIR");

	snprintf(path, sizeof(path), "%s/%s.o", dir ? dir : "build/progs", obj);
	return path;
}

static void obj_open(struct objpair *o, const char *name)
{
	static char vlog[1 << 16];
	int e;

	for (e = 0; e < NR_E; e++) {
		UEBPF_OPTS(uebpf_object_open_opts, oo, .log_buf = vlog,
			   .log_size = sizeof(vlog), .log_level = 1,
			   .engine = e == E_INTERP || self_mode
					     ? UEBPF_ENGINE_INTERP
					     : UEBPF_ENGINE_JIT,
			   .jit_blinding = e == E_BLIND && !self_mode);
		struct uebpf_object_prog *p;
		int err;

		o->rt[e] = new_rt();
		assert_non_null(o->rt[e]);
		o->obj[e] =
			uebpf_object_open_file(o->rt[e], prog_path(name), &oo);
		if (!o->obj[e])
			fail_msg("%s: %s", prog_path(name), strerror(errno));
		err = uebpf_object_load(o->obj[e]);
		if (err)
			fail_msg("%s (%s): %s\n%s", name, e_name[e],
				 strerror(-err), vlog);
		for (p = uebpf_object_next_prog(o->obj[e], NULL); p;
		     p = uebpf_object_next_prog(o->obj[e], p))
			if (!self_mode &&
			    uebpf_object_prog_type(p) == BPF_PROG_TYPE_XDP &&
			    uebpf_prog_engine(uebpf_object_prog_handle(p)) !=
				    (e == E_INTERP ? UEBPF_ENGINE_INTERP
						   : UEBPF_ENGINE_JIT))
				fail_msg("%s: %s runs in engine %d", name,
					 uebpf_object_prog_name(p),
					 (int)uebpf_prog_engine(
						 uebpf_object_prog_handle(p)));
	}
}

static void obj_close(struct objpair *o)
{
	int e;

	for (e = 0; e < NR_E; e++) {
		uebpf_object_close(o->obj[e]);
		uebpf_runtime_free(o->rt[e]);
	}
}

static struct uebpf_prog *obj_prog(struct objpair *o, int e, const char *n)
{
	struct uebpf_object_prog *p = uebpf_object_find_prog(o->obj[e], n);

	assert_non_null(p);
	return uebpf_object_prog_handle(p);
}

static struct uebpf_map *obj_map(struct objpair *o, int e, const char *n)
{
	struct uebpf_object_map *m = uebpf_object_find_map(o->obj[e], n);

	assert_non_null(m);
	return uebpf_object_map_handle(m);
}

/* Runs prog on pkt in each engine; verdicts, packets and the u64 array
 * map out must agree.  Returns the retval. */
static uint32_t obj_run(struct objpair *o, const char *prog, const void *pkt,
			uint32_t len)
{
	static uint8_t frame[NR_E][1024];
	struct uebpf_xdp_result res[NR_E];
	uint64_t vals[NR_E][4];
	uint32_t k;
	int e;

	for (e = 0; e < NR_E; e++) {
		UEBPF_OPTS(uebpf_xdp_buff, b, .data_hard_start = frame[e],
			   .data = frame[e] + UEBPF_XDP_HEADROOM,
			   .data_end = frame[e] + UEBPF_XDP_HEADROOM + len,
			   .frame_sz = sizeof(frame[e]));

		memset(frame[e], 0, sizeof(frame[e]));
		memcpy(frame[e] + UEBPF_XDP_HEADROOM, pkt, len);
		memset(&res[e], 0, sizeof(res[e]));
		res[e].sz = sizeof(res[e]);
		assert_true(uebpf_xdp_run(obj_prog(o, e, prog), &b, &res[e]) >=
			    0);
		compared++;
	}
	for (e = 1; e < NR_E; e++) {
		if (res[e].retval != res[0].retval || res[e].err != res[0].err)
			fail_msg("%s: interp retval %u err %d, %s retval %u "
				 "err %d",
				 prog, res[0].retval, res[0].err, e_name[e],
				 res[e].retval, res[e].err);
		assert_memory_equal(frame[0], frame[e], sizeof(frame[0]));
	}
	for (k = 0; k < 4; k++) {
		for (e = 0; e < NR_E; e++)
			assert_int_equal(
				uebpf_map_lookup_elem(obj_map(o, e, "out"), &k,
						      &vals[e][k]),
				0);
		for (e = 1; e < NR_E; e++)
			if (vals[e][k] != vals[0][k])
				fail_msg("%s: out[%u] interp %llu, %s %llu",
					 prog, k,
					 (unsigned long long)vals[0][k],
					 e_name[e],
					 (unsigned long long)vals[e][k]);
	}
	return res[0].retval;
}

static void set_slot(struct objpair *o, uint32_t slot, const char *prog)
{
	int e;

	for (e = 0; e < NR_E; e++) {
		uint32_t id = uebpf_prog_id(obj_prog(o, e, prog));

		assert_int_equal(uebpf_map_update_elem(obj_map(o, e, "jmp"),
						       &slot, &id, 0),
				 0);
	}
}

TEST(test_xdp_tail_calls)
{
	struct objpair o;
	uint8_t pkt[64] = {0x42};
	int i;

	UNUSED;
	NEED_JIT();
	obj_open(&o, "tail_call");
	/* the limit: 33 tail calls after each first run */
	set_slot(&o, 0, "tc_self");
	for (i = 0; i < 3; i++)
		assert_int_equal(obj_run(&o, "tc_self", pkt, sizeof(pkt)),
				 XDP_PASS);
	assert_int_equal(obj_run(&o, "tc_miss", pkt, sizeof(pkt)), XDP_DROP);
	assert_int_equal(obj_run(&o, "tc_a", pkt, sizeof(pkt)), XDP_ABORTED);
	set_slot(&o, 2, "tc_b");
	set_slot(&o, 3, "tc_c");
	assert_int_equal(obj_run(&o, "tc_a", pkt, sizeof(pkt)), XDP_TX);
	pkt[0] = 0;
	assert_int_equal(obj_run(&o, "tc_a", pkt, sizeof(pkt)), XDP_PASS);
	{
		uint64_t v = 0;
		uint32_t k = 0;

		/* 3 runs of the first plus 33 tail calls each */
		assert_int_equal(
			uebpf_map_lookup_elem(obj_map(&o, 1, "out"), &k, &v),
			0);
		assert_int_equal(v, 3 * 34);
	}
	obj_close(&o);
}

TEST(test_xdp_bpf_loop)
{
	static const uint64_t args[][3] = {
		{10, 0, ~0ull},
		{0, 0, ~0ull},
		{10, 0, 3},
		{10, 1, ~0ull},
		{(8u << 20) + 1, 0, ~0ull},
		{(1ull << 32) + 5, 0, ~0ull},
		{3, 0, 0},
		{31, 0, 9},
		{7, 0, 5},
	};
	static const char *const progs[] = {"loop_args", "loop_inline",
					    "loop_nested"};
	struct objpair o;
	size_t a, pi;

	UNUSED;
	NEED_JIT();
	obj_open(&o, "loop");
	for (pi = 0; pi < ARRAY_LEN(progs); pi++)
		for (a = 0; a < ARRAY_LEN(args); a++) {
			uint8_t pkt[64] = {0};

			memcpy(pkt, args[a], sizeof(args[a]));
			assert_int_equal(
				obj_run(&o, progs[pi], pkt, sizeof(pkt)),
				XDP_PASS);
		}
	obj_close(&o);
}

/*
 * A tail call from a subprogram, into the program itself: every tail call
 * leaves the subprogram's frame on the stack (the target returns to the
 * subprogram's caller), so 34 bodies run nested, deeper than 8 frames,
 * which the kernel allows (it bounds tail calls, not those frames).  Both
 * engines against each other and, where bpf(2) is allowed, against the
 * kernel's BPF_PROG_TEST_RUN.
 */
TEST(test_xdp_tail_call_from_subprog)
{
	uint8_t pkt[64] = {0};
	struct objpair o;
	uint64_t runs[NR_E] = {0}, kruns = 0;
	uint32_t ret[NR_E], kret = 0, k = 0;
	struct bpf_object *ko;
	int e, kerr = -1;

	UNUSED;
	NEED_JIT();
	obj_open(&o, "tail_call_sub");
	set_slot(&o, 0, "tc_sub");
	for (e = 0; e < NR_E; e++) {
		static uint8_t frame[1024];
		UEBPF_OPTS(uebpf_xdp_buff, b, .data_hard_start = frame,
			   .data = frame + UEBPF_XDP_HEADROOM,
			   .data_end = frame + UEBPF_XDP_HEADROOM + sizeof(pkt),
			   .frame_sz = sizeof(frame));
		UEBPF_OPTS(uebpf_xdp_result, res);

		runlog[0] = '\0';
		uebpf_xdp_run(obj_prog(&o, e, "tc_sub"), &b, &res);
		ret[e] = res.err ? (uint32_t)res.err : res.retval;
		assert_int_equal(uebpf_map_lookup_elem(obj_map(&o, e, "out"),
						       &k, &runs[e]),
				 0);
		print_message("%s: retval %u err %d, %llu bodies ran%s%s",
			      e_name[e], res.retval, res.err,
			      (unsigned long long)runs[e],
			      runlog[0] ? "; log: " : "\n", runlog);
		compared++;
	}
	obj_close(&o);
	ko = bpf_object__open_file(prog_path("tail_call_sub"), NULL);
	if (ko && !bpf_object__load(ko)) {
		int fd = bpf_program__fd(
			bpf_object__find_program_by_name(ko, "tc_sub"));
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt,
			    .data_size_in = sizeof(pkt), .repeat = 1);

		bpf_map_update_elem(
			bpf_map__fd(bpf_object__find_map_by_name(ko, "jmp")),
			&k, &fd, 0);
		kerr = bpf_prog_test_run_opts(fd, &t);
		kret = t.retval;
		bpf_map_lookup_elem(
			bpf_map__fd(bpf_object__find_map_by_name(ko, "out")),
			&k, &kruns);
		print_message("kernel: retval %u, %llu bodies ran\n", kret,
			      (unsigned long long)kruns);
	} else {
		print_message("the kernel is not asked: bpf(2) refused "
			      "(no CAP_BPF?)\n");
	}
	if (ko)
		bpf_object__close(ko);
	for (e = 0; e < NR_E; e++) {
		if (!kerr && (ret[e] != kret || runs[e] != kruns))
			fail_msg("%s: retval/err %d, %llu bodies; the kernel: "
				 "retval %u, %llu bodies",
				 e_name[e], (int)ret[e],
				 (unsigned long long)runs[e], kret,
				 (unsigned long long)kruns);
		if (ret[e] != ret[0] || runs[e] != runs[0])
			fail_msg("interp: retval/err %d, %llu bodies; %s: %d, "
				 "%llu",
				 (int)ret[0], (unsigned long long)runs[0],
				 e_name[e], (int)ret[e],
				 (unsigned long long)runs[e]);
	}
}

/* Every other object of tests/progs with XDP programs: loads in both
 * engines (what the JIT declines fails the test) and agrees on a few
 * packets.  Programs whose results depend on time or randomness are only
 * loaded. */
TEST(test_xdp_objects_load)
{
	static const char *const objs[] = {
		"subprogs",    "xdp_parse_drop", "xdp_pass",   "xdp_bytes",
		"global_data", "bench_filter",	 "xdp_adjust", "xdp_redirect"};
	size_t i;

	UNUSED;
	NEED_JIT();
	for (i = 0; i < ARRAY_LEN(objs); i++) {
		struct objpair o;
		struct uebpf_object_prog *p;

		obj_open(&o, objs[i]);
		for (p = uebpf_object_next_prog(o.obj[0], NULL); p;
		     p = uebpf_object_next_prog(o.obj[0], p)) {
			const char *name = uebpf_object_prog_name(p);
			static const uint32_t lens[] = {14, 34,	 54,  60,
							64, 128, 1500};
			size_t l;
			int e;

			if (uebpf_object_prog_type(p) != BPF_PROG_TYPE_XDP)
				continue;
			for (l = 0; l < ARRAY_LEN(lens); l++) {
				static uint8_t frame[NR_E][2048];
				struct uebpf_xdp_result res[NR_E];

				for (e = 0; e < NR_E; e++) {
					UEBPF_OPTS(
						uebpf_xdp_buff, b,
						.data_hard_start = frame[e],
						.data = frame[e] +
							UEBPF_XDP_HEADROOM,
						.data_end = frame[e] +
							    UEBPF_XDP_HEADROOM +
							    lens[l],
						.frame_sz = sizeof(frame[e]));

					memset(frame[e], 0, sizeof(frame[e]));
					memcpy(frame[e] + UEBPF_XDP_HEADROOM,
					       pattern(), lens[l]);
					memset(&res[e], 0, sizeof(res[e]));
					res[e].sz = sizeof(res[e]);
					uebpf_xdp_run(obj_prog(&o, e, name), &b,
						      &res[e]);
					compared++;
				}
				for (e = 1; e < NR_E; e++) {
					if (res[e].retval != res[0].retval ||
					    res[e].err != res[0].err ||
					    (uint8_t *)res[e].data - frame[e] !=
						    (uint8_t *)res[0].data -
							    frame[0] ||
					    (uint8_t *)res[e].data_end -
							    frame[e] !=
						    (uint8_t *)res[0].data_end -
							    frame[0])
						fail_msg("%s/%s len %u: interp "
							 "retval %u err %d, %s "
							 "retval %u err %d",
							 objs[i], name, lens[l],
							 res[0].retval,
							 res[0].err, e_name[e],
							 res[e].retval,
							 res[e].err);
					assert_memory_equal(frame[0], frame[e],
							    sizeof(frame[0]));
					/* the redirect target (maps by name:
					 * each engine has its own) */
					assert_int_equal(res[e].redirect.kind,
							 res[0].redirect.kind);
					assert_int_equal(
						res[e].redirect.ifindex,
						res[0].redirect.ifindex);
					assert_int_equal(res[e].redirect.key,
							 res[0].redirect.key);
					assert_int_equal(res[e].redirect.flags,
							 res[0].redirect.flags);
					assert_true(!res[e].redirect.map ==
						    !res[0].redirect.map);
					if (res[0].redirect.map)
						assert_string_equal(
							uebpf_map_name(
								res[e].redirect
									.map),
							uebpf_map_name(
								res[0].redirect
									.map));
				}
			}
		}
		obj_close(&o);
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, test_setup)
	const struct CMUnitTest tests[] = {
		T(test_options),
		T(test_engine_env),
		T(test_declined_raw),
		T(test_callx),
		T(test_callx_loop),
		T(test_callx_tail_call),
		T(test_alu_imm),
		T(test_alu_reg_pairs),
		T(test_div_mod_edges),
		T(test_neg_end),
		T(test_ld_imm64),
		T(test_jump_ranges),
		T(test_jump_imm_regs),
		T(test_load_store),
		T(test_atomics),
		T(test_frame_pointer_source),
		T(test_calls),
		T(test_call_depth),
		T(test_checked_faults),
		T(test_checked_frames_contiguous),
		T(test_checked_frame_reuse),
		T(test_checked_stack_faults),
		T(test_checked_regs_after_helper),
		T(test_sdiv_intmin_imm),
		T(test_blinding_hides_constants),
		T(test_blinding_keys_differ),
		T(test_wx),
		T(test_xdp_inline_lookups),
		T(test_xdp_debug_mode),
		T(test_xdp_tail_calls),
		T(test_xdp_bpf_loop),
		T(test_xdp_tail_call_from_subprog),
		T(test_xdp_objects_load),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
