/* SPDX-License-Identifier: MIT */
/*
 * Run semantics through uebpf_prog_run(): the r1/r2 calling convention,
 * checked memory accesses, the instruction budget, callx, helpers, BPF to
 * BPF calls, concurrency, and a handful of ALU edge cases (the conformance
 * suite covers the ISA in depth).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "uebpf.h"
#include "insn.h"

/* Warnings (faults, budget) are collected here instead of stderr. */
static char runlog[16384];

static void log_fn(enum uebpf_log_level level, const char *msg, void *ctx)
{
	size_t len = strlen(runlog);

	(void)level, (void)ctx;
	snprintf(runlog + len, sizeof(runlog) - len, "%s", msg);
}

static struct uebpf_runtime *rt;

static int group_setup(void **state)
{
	UEBPF_OPTS(uebpf_runtime_opts, o, .log_fn = log_fn, .nr_cpus = 4);

	(void)state;
	rt = uebpf_runtime_new(&o);
	return rt ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	uebpf_runtime_free(rt);
	return 0;
}

static int test_setup(void **state)
{
	(void)state;
	runlog[0] = '\0';
	return 0;
}

static struct uebpf_prog *load_budget(const struct bpf_insn *insns,
				      size_t cnt, uint64_t budget)
{
	char vlog[1024];
	UEBPF_OPTS(uebpf_prog_load_opts, o, .name = "t", .log_buf = vlog,
		   .log_size = sizeof(vlog), .log_level = 1,
		   .insn_budget = budget);
	struct uebpf_prog *prog;

	prog = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, insns, cnt, &o);
	if (!prog)
		fail_msg("load failed (errno %d): %s", errno, vlog);
	return prog;
}

/* Load, run once on mem/len, free; returns the run's result, r0 in *r0. */
static int run_budget(const struct bpf_insn *insns, size_t cnt, void *mem,
		      size_t len, uint64_t budget, uint64_t *r0)
{
	struct uebpf_prog *prog = load_budget(insns, cnt, budget);
	int err;

	err = uebpf_prog_run(prog, mem, len, r0);
	uebpf_prog_free(prog);
	return err;
}

#define PROG(...) const struct bpf_insn prog_[] = { __VA_ARGS__ }
#define RUN(mem, len, r0) run_budget(prog_, ARRAY_LEN(prog_), mem, len, 0, r0)
#define RUN_BUDGET(budget, r0)                                                 \
	run_budget(prog_, ARRAY_LEN(prog_), NULL, 0, budget, r0)

/* Runs a program that takes no memory and returns r0, asserting success. */
static uint64_t ret_of(const struct bpf_insn *insns, size_t cnt)
{
	uint64_t r0 = 0xdeadbeefdeadbeefull;
	int err = run_budget(insns, cnt, NULL, 0, 0, &r0);

	if (err)
		fail_msg("run failed: %d (%s); log: %s", err, strerror(-err),
			 runlog);
	return r0;
}
#define RET() ret_of(prog_, ARRAY_LEN(prog_))

#define TEST(name) static void name(void **state)
#define UNUSED (void)state

static void assert_logged(const char *needle)
{
	if (!strstr(runlog, needle))
		fail_msg("runtime log lacks \"%s\"; log: \"%s\"", needle, runlog);
}

/* A heap buffer, so nothing else the run may touch lies next to it. */
static uint8_t *buffer(size_t len)
{
	uint8_t *p = aligned_alloc(64, len < 64 ? 64 : (len + 63) / 64 * 64);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i + 1);
	return p;
}

/* ---- the calling convention -------------------------------------------- */

TEST(test_r1_mem_r2_len)
{
	uint8_t *mem = buffer(16);
	uint64_t r0 = 0;
	PROG(MOV64_REG(0, 2), EXIT());
	const struct bpf_insn sum[] = {
		/* r0 = mem[0] + mem[15] + len */
		LDX_MEM(BPF_B, 0, 1, 0), LDX_MEM(BPF_B, 3, 1, 15),
		ALU64_REG(BPF_ADD, 0, 3), ALU64_REG(BPF_ADD, 0, 2), EXIT(),
	};

	UNUSED;
	assert_int_equal(RUN(mem, 16, &r0), 0);
	assert_int_equal(r0, 16);
	assert_int_equal(run_budget(sum, ARRAY_LEN(sum), mem, 16, 0, &r0), 0);
	assert_int_equal(r0, 1 + 16 + 16);
	free(mem);
}

TEST(test_r1_is_the_address)
{
	uint8_t *mem = buffer(8);
	uint64_t r0 = 0;
	PROG(MOV64_REG(0, 1), EXIT());

	UNUSED;
	assert_int_equal(RUN(mem, 8, &r0), 0);
	assert_int_equal(r0, (uintptr_t)mem);
	free(mem);
}

TEST(test_store_visible_to_host)
{
	uint8_t *mem = buffer(16);
	uint64_t r0 = 0;
	PROG(ST_MEM(BPF_W, 1, 4, 0x11223344), MOV64_IMM(3, -1),
	     STX_MEM(BPF_H, 1, 3, 14), MOV64_IMM(0, 0), EXIT());
	const uint8_t head[8] = { 1, 2, 3, 4, 0x44, 0x33, 0x22, 0x11 };

	UNUSED;
	assert_int_equal(RUN(mem, 16, &r0), 0);
	assert_memory_equal(mem, head, 8);
	assert_int_equal(mem[8], 9);
	assert_int_equal(mem[13], 14);
	assert_int_equal(mem[14], 0xff);
	assert_int_equal(mem[15], 0xff);
	free(mem);
}

TEST(test_no_memory)
{
	uint64_t r0 = 7;
	PROG(MOV64_REG(0, 1), ALU64_REG(BPF_OR, 0, 2), EXIT());

	UNUSED;
	assert_int_equal(RUN(NULL, 0, &r0), 0);
	assert_int_equal(r0, 0);
}

TEST(test_run_bad_args)
{
	PROG(MOV64_IMM(0, 1), EXIT());
	struct uebpf_prog *prog = load_budget(prog_, ARRAY_LEN(prog_), 0);
	uint64_t r0 = 5;
	uint8_t b[4];

	UNUSED;
	assert_int_equal(uebpf_prog_run(NULL, b, 4, &r0), -EINVAL);
	assert_int_equal(uebpf_prog_run(prog, b, 4, NULL), -EINVAL);
	assert_int_equal(uebpf_prog_run(prog, NULL, 4, &r0), -EINVAL);
	assert_int_equal(r0, 5);
	uebpf_prog_free(prog);
}

/* ---- checked memory accesses ------------------------------------------- */

static void expect_fault(const struct bpf_insn *insns, size_t cnt,
			 uint8_t *mem, size_t len, const char *what)
{
	uint64_t r0 = 0x5555;
	int err = run_budget(insns, cnt, mem, len, 0, &r0);

	assert_int_equal(err, -EFAULT);
	assert_int_equal(r0, 0x5555); /* untouched */
	assert_logged(what);
}
#define FAULTS(mem, len, what) expect_fault(prog_, ARRAY_LEN(prog_), mem, len, what)

TEST(test_load_just_past_end)
{
	uint8_t *mem = buffer(16);
	PROG(MOV64_IMM(0, 0), LDX_MEM(BPF_B, 0, 1, 16), EXIT());

	UNUSED;
	FAULTS(mem, 16, "prog 't': out-of-bounds load of 1 bytes");
	assert_logged("at pc 1");
	free(mem);
}

TEST(test_load_straddles_end)
{
	uint8_t *mem = buffer(16);
	PROG(MOV64_IMM(0, 0), LDX_MEM(BPF_DW, 0, 1, 9), EXIT());

	UNUSED;
	FAULTS(mem, 16, "out-of-bounds load of 8 bytes");
	free(mem);
}

TEST(test_load_last_bytes_ok)
{
	uint8_t *mem = buffer(16);
	uint64_t r0 = 0;
	PROG(LDX_MEM(BPF_DW, 0, 1, 8), EXIT());

	UNUSED;
	assert_int_equal(RUN(mem, 16, &r0), 0);
	assert_int_equal(r0, 0x100f0e0d0c0b0a09ull);
	free(mem);
}

TEST(test_load_before_start)
{
	uint8_t *mem = buffer(16);
	PROG(MOV64_IMM(0, 0), LDX_MEM(BPF_B, 0, 1, -1), EXIT());

	UNUSED;
	FAULTS(mem, 16, "out-of-bounds load of 1 bytes");
	free(mem);
}

TEST(test_load_sx_past_end)
{
	uint8_t *mem = buffer(16);
	PROG(MOV64_IMM(0, 0), LDX_MEMSX(BPF_W, 0, 1, 13), EXIT());

	UNUSED;
	FAULTS(mem, 16, "out-of-bounds load of 4 bytes");
	free(mem);
}

TEST(test_load_len_zero_buffer)
{
	uint8_t *mem = buffer(16);
	PROG(MOV64_IMM(0, 0), LDX_MEM(BPF_B, 0, 1, 0), EXIT());

	UNUSED;
	FAULTS(mem, 0, "out-of-bounds load of 1 bytes");
	free(mem);
}

TEST(test_load_null_address)
{
	PROG(MOV64_IMM(3, 0), LDX_MEM(BPF_DW, 0, 3, 0), EXIT());

	UNUSED;
	FAULTS(NULL, 0, "out-of-bounds load of 8 bytes at 0x0 at pc 1");
}

TEST(test_load_wraparound_address)
{
	PROG(MOV64_IMM(3, -1), LDX_MEM(BPF_W, 0, 3, 0), EXIT());

	UNUSED;
	FAULTS(NULL, 0, "out-of-bounds load of 4 bytes");
}

TEST(test_store_just_past_end)
{
	uint8_t *mem = buffer(16);
	PROG(MOV64_IMM(0, 0), ST_MEM(BPF_B, 1, 16, 0x77), EXIT());

	UNUSED;
	FAULTS(mem, 16, "out-of-bounds store of 1 bytes");
	free(mem);
}

TEST(test_store_before_start)
{
	uint8_t *mem = buffer(16);
	PROG(MOV64_IMM(0, 0), STX_MEM(BPF_H, 1, 0, -2), EXIT());

	UNUSED;
	FAULTS(mem, 16, "out-of-bounds store of 2 bytes");
	free(mem);
}

TEST(test_atomic_just_past_end)
{
	uint8_t *mem = buffer(16);
	PROG(MOV64_IMM(0, 0), MOV64_IMM(3, 1),
	     ATOMIC(BPF_W, BPF_ADD, 1, 3, 16), EXIT());

	UNUSED;
	FAULTS(mem, 16, "out-of-bounds atomic access of 4 bytes");
	free(mem);
}

TEST(test_atomic_before_start)
{
	uint8_t *mem = buffer(16);
	PROG(MOV64_IMM(0, 0), MOV64_IMM(3, 1),
	     ATOMIC(BPF_DW, BPF_XCHG, 1, 3, -8), EXIT());

	UNUSED;
	FAULTS(mem, 16, "out-of-bounds atomic access of 8 bytes");
	free(mem);
}

TEST(test_atomic_misaligned)
{
	uint8_t *mem = buffer(32);
	PROG(MOV64_IMM(0, 0), MOV64_IMM(3, 1),
	     ATOMIC(BPF_W, BPF_ADD, 1, 3, 2), EXIT());

	UNUSED;
	FAULTS(mem, 32, "misaligned atomic access");
	free(mem);
}

TEST(test_atomic_dw_misaligned)
{
	uint8_t *mem = buffer(32);
	PROG(MOV64_IMM(0, 0), MOV64_IMM(3, 1),
	     ATOMIC(BPF_DW, BPF_CMPXCHG, 1, 3, 4), EXIT());

	UNUSED;
	FAULTS(mem, 32, "misaligned atomic access");
	free(mem);
}

TEST(test_atomics_in_bounds)
{
	uint8_t *mem = buffer(16);
	uint64_t r0 = 0;
	PROG(MOV64_IMM(3, 5), ATOMIC(BPF_DW, BPF_ADD | BPF_FETCH, 1, 3, 8),
	     /* r3 = old dword at 8 */
	     MOV64_REG(0, 3), MOV64_IMM(4, 0x0f),
	     ATOMIC(BPF_W, BPF_AND, 1, 4, 0), EXIT());

	UNUSED;
	memset(mem, 0, 16);
	*(uint64_t *)(mem + 8) = 100;
	*(uint32_t *)mem = 0x12345678;
	assert_int_equal(RUN(mem, 16, &r0), 0);
	assert_int_equal(r0, 100);
	assert_int_equal(*(uint64_t *)(mem + 8), 105);
	assert_int_equal(*(uint32_t *)mem, 0x8);
	free(mem);
}

TEST(test_stack_512_ok)
{
	uint64_t r0 = 0;
	PROG(ST_MEM(BPF_DW, 10, -8, 0x1234), ST_MEM(BPF_DW, 10, -512, 0x77),
	     ST_MEM(BPF_B, 10, -1, 0x5a), LDX_MEM(BPF_DW, 0, 10, -512),
	     LDX_MEM(BPF_W, 3, 10, -8), ALU64_REG(BPF_ADD, 0, 3),
	     LDX_MEM(BPF_B, 3, 10, -1), ALU64_REG(BPF_ADD, 0, 3), EXIT());

	UNUSED;
	assert_int_equal(RUN(NULL, 0, &r0), 0);
	assert_int_equal(r0, 0x77 + 0x1234 + 0x5a);
}

TEST(test_stack_zeroed_at_start)
{
	uint64_t r0 = 1;
	PROG(LDX_MEM(BPF_DW, 0, 10, -8), EXIT());

	UNUSED;
	assert_int_equal(RUN(NULL, 0, &r0), 0);
	assert_int_equal(r0, 0);
}

TEST(test_stack_below_limit)
{
	PROG(MOV64_IMM(0, 0), LDX_MEM(BPF_B, 0, 10, -4097), EXIT());

	UNUSED;
	FAULTS(NULL, 0, "out-of-bounds load of 1 bytes");
}

TEST(test_stack_store_below_limit)
{
	PROG(MOV64_IMM(0, 0), ST_MEM(BPF_DW, 10, -4104, 1), EXIT());

	UNUSED;
	FAULTS(NULL, 0, "out-of-bounds store of 8 bytes");
}

TEST(test_stack_above_r10)
{
	PROG(MOV64_IMM(0, 0), LDX_MEM(BPF_B, 0, 10, 0), EXIT());

	UNUSED;
	FAULTS(NULL, 0, "out-of-bounds load of 1 bytes");
}

TEST(test_stack_straddles_r10)
{
	PROG(MOV64_IMM(0, 0), LDX_MEM(BPF_DW, 0, 10, -4), EXIT());

	UNUSED;
	FAULTS(NULL, 0, "out-of-bounds load of 8 bytes");
}

/* ---- the instruction budget ---------------------------------------------- */

TEST(test_budget_infinite_loop)
{
	uint64_t r0 = 0x77;
	/* r0 counts up forever: the jump back is always taken */
	PROG(MOV64_IMM(0, 0), ALU64_IMM(BPF_ADD, 0, 1),
	     JMP_REG(BPF_JEQ, 1, 1, -2), EXIT());

	UNUSED;
	assert_int_equal(RUN_BUDGET(1000, &r0), -ETIMEDOUT);
	assert_int_equal(r0, 0x77);
	assert_logged("prog 't': instruction budget of 1000 exhausted at pc 2");
}

TEST(test_budget_self_loop)
{
	uint64_t r0 = 0;
	PROG(JMP_REG(BPF_JEQ, 1, 1, -1), EXIT());

	UNUSED;
	assert_int_equal(RUN_BUDGET(1000, &r0), -ETIMEDOUT);
	assert_int_equal(RUN_BUDGET(1, &r0), -ETIMEDOUT);
}

/* A straight line of n instructions: n - 1 additions and exit. */
static struct bpf_insn *straight(size_t n)
{
	struct bpf_insn *p = malloc(n * sizeof(*p));
	size_t i;

	assert_non_null(p);
	p[0] = MOV64_IMM(0, 1);
	for (i = 1; i < n - 1; i++)
		p[i] = ALU64_IMM(BPF_ADD, 0, 1);
	p[n - 1] = EXIT();
	return p;
}

TEST(test_budget_straight_line_exact)
{
	size_t ns[] = { 1, 2, 10, 1000 }, i;

	UNUSED;
	for (i = 0; i < ARRAY_LEN(ns); i++) {
		size_t n = ns[i];
		struct bpf_insn *p = n == 1 ? NULL : straight(n);
		struct bpf_insn one[] = { EXIT() };
		const struct bpf_insn *prog = p ? p : one;
		uint64_t r0 = 0;

		assert_int_equal(run_budget(prog, n, NULL, 0, n, &r0), 0);
		if (n > 1)
			assert_int_equal(r0, n - 1);
		assert_int_equal(run_budget(prog, n, NULL, 0, n - 1 ? n - 1 : 0, &r0),
				 n == 1 ? 0 : -ETIMEDOUT);
		free(p);
	}
}

/* ld_imm64 takes two instruction slots of the budget. */
TEST(test_budget_counts_ld_imm64_as_two)
{
	uint64_t r0 = 0;
	PROG(LD_IMM64(0, 0x100000000ull), EXIT());

	UNUSED;
	assert_int_equal(RUN_BUDGET(3, &r0), 0);
	assert_int_equal(r0, 0x100000000ull);
	assert_int_equal(RUN_BUDGET(2, &r0), -ETIMEDOUT);
}

/* Charged per straight-line segment: a loop's total is exactly the
 * number of instructions executed. */
TEST(test_budget_loop_exact)
{
	uint64_t r0 = 0;
	/* 1 + 10 * 2 + 1 = 22 instructions executed */
	PROG(MOV64_IMM(0, 0), ALU64_IMM(BPF_ADD, 0, 1),
	     JMP_IMM(BPF_JLT, 0, 10, -2), EXIT());

	UNUSED;
	assert_int_equal(RUN_BUDGET(22, &r0), 0);
	assert_int_equal(r0, 10);
	assert_int_equal(RUN_BUDGET(21, &r0), -ETIMEDOUT);
}

/* Helper calls and local calls are in the count too. */
TEST(test_budget_with_calls_exact)
{
	uint64_t r0 = 0;
	/* main: call, (helper), exit = 3; sub: mov, exit = 2 -> 5 */
	PROG(CALL_LOCAL(2), CALL_HELPER(BPF_FUNC_get_smp_processor_id), EXIT(),
	     MOV64_IMM(0, 9), EXIT());

	UNUSED;
	assert_int_equal(RUN_BUDGET(5, &r0), 0);
	assert_int_equal(RUN_BUDGET(4, &r0), -ETIMEDOUT);
}

TEST(test_budget_zero_is_unlimited)
{
	uint64_t r0 = 0;
	/* 10,000,000 iterations, about 30 million instructions */
	PROG(MOV64_IMM(0, 0), LD_IMM64(3, 10000000), ALU64_IMM(BPF_ADD, 0, 1),
	     JMP_REG(BPF_JLT, 0, 3, -2), EXIT());

	UNUSED;
	assert_int_equal(RUN_BUDGET(0, &r0), 0);
	assert_int_equal(r0, 10000000);
}

/* A budget of 2^63 or more is "more than any run can use", not a
 * negative number.  (Fails against lib/prog.c + vm/interp_body.h as of
 * this writing: the budget is converted to int64_t, so UINT64_MAX becomes
 * -1 and the run stops at once with -ETIMEDOUT, and 2^63 becomes INT64_MIN
 * and the first charge overflows, undefined behaviour.) */
TEST(test_budget_huge_is_unlimited)
{
	uint64_t budgets[] = { INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX };
	size_t i;
	PROG(MOV64_IMM(0, 3), EXIT());

	UNUSED;
	for (i = 0; i < ARRAY_LEN(budgets); i++) {
		uint64_t r0 = 0;
		int err = RUN_BUDGET(budgets[i], &r0);

		if (err)
			fail_msg("insn_budget %llu: run returned %d",
				 (unsigned long long)budgets[i], err);
		assert_int_equal(r0, 3);
	}
}

/* The budget is per run, not per program. */
TEST(test_budget_per_run)
{
	PROG(MOV64_IMM(0, 0), ALU64_IMM(BPF_ADD, 0, 1), EXIT());
	struct uebpf_prog *prog = load_budget(prog_, ARRAY_LEN(prog_), 3);
	uint64_t r0;
	int i;

	UNUSED;
	for (i = 0; i < 5; i++) {
		r0 = 0;
		assert_int_equal(uebpf_prog_run(prog, NULL, 0, &r0), 0);
		assert_int_equal(r0, 1);
	}
	uebpf_prog_free(prog);
}

/* ---- calls and helpers ------------------------------------------------------ */

TEST(test_callx_unknown_id)
{
	uint64_t r0 = 0x99;
	PROG(MOV64_IMM(0, 0), LD_IMM64(3, 100000), CALLX(3), EXIT());

	UNUSED;
	assert_int_equal(RUN(NULL, 0, &r0), -EINVAL);
	assert_int_equal(r0, 0x99);
	assert_logged("callx to an unknown helper id at pc 3");
}

TEST(test_callx_unimplemented_id)
{
	uint64_t r0 = 0x99;
	PROG(MOV64_IMM(0, 0), MOV64_IMM(3, BPF_FUNC_skb_store_bytes), CALLX(3),
	     EXIT());

	UNUSED;
	assert_int_equal(RUN(NULL, 0, &r0), -EINVAL);
}

TEST(test_callx_negative_id)
{
	uint64_t r0 = 0x99;
	PROG(MOV64_IMM(0, 0), MOV64_IMM(3, -1), CALLX(3), EXIT());

	UNUSED;
	assert_int_equal(RUN(NULL, 0, &r0), -EINVAL);
}

TEST(test_callx_known_id)
{
	PROG(MOV64_IMM(0, 77), MOV64_IMM(4, BPF_FUNC_get_smp_processor_id),
	     CALLX(4), EXIT());

	UNUSED;
	assert_int_equal(RET(), 0);
}

TEST(test_ktime_get_ns)
{
	PROG(CALL_HELPER(BPF_FUNC_ktime_get_ns), MOV64_REG(6, 0),
	     CALL_HELPER(BPF_FUNC_ktime_get_ns), ALU64_REG(BPF_SUB, 0, 6),
	     EXIT());
	const struct bpf_insn now[] = { CALL_HELPER(BPF_FUNC_ktime_get_ns), EXIT() };

	UNUSED;
	/* monotonic: the second reading is not before the first */
	assert_true((int64_t)RET() >= 0);
	assert_true(ret_of(now, ARRAY_LEN(now)) > 0);
}

TEST(test_prandom_u32)
{
	PROG(CALL_HELPER(BPF_FUNC_get_prandom_u32), MOV64_REG(6, 0),
	     CALL_HELPER(BPF_FUNC_get_prandom_u32), ALU64_IMM(BPF_RSH, 0, 32),
	     ALU64_IMM(BPF_RSH, 6, 32), ALU64_REG(BPF_OR, 0, 6), EXIT());

	UNUSED;
	assert_int_equal(RET(), 0); /* 32-bit values */
}

TEST(test_smp_processor_id_unbound)
{
	PROG(MOV64_IMM(0, 55), CALL_HELPER(BPF_FUNC_get_smp_processor_id),
	     EXIT());

	UNUSED;
	assert_int_equal(RET(), 0);
}

static void *smp_id_thread(void *arg)
{
	struct uebpf_prog *prog = arg;
	uint64_t r0 = 12345;

	if (uebpf_prog_run(prog, NULL, 0, &r0))
		return (void *)(uintptr_t)-1;
	return (void *)(uintptr_t)r0;
}

TEST(test_smp_processor_id_fresh_thread)
{
	PROG(MOV64_IMM(0, 55), CALL_HELPER(BPF_FUNC_get_smp_processor_id),
	     EXIT());
	struct uebpf_prog *prog = load_budget(prog_, ARRAY_LEN(prog_), 0);
	pthread_t th;
	void *res;

	UNUSED;
	assert_int_equal(pthread_create(&th, NULL, smp_id_thread, prog), 0);
	assert_int_equal(pthread_join(th, &res), 0);
	assert_int_equal((uintptr_t)res, 0);
	uebpf_prog_free(prog);
}

/* A worker bound to a slot runs as that slot; other threads are not. */
static void *bind_thread(void *arg)
{
	struct uebpf_prog *prog = arg;
	uint64_t r0 = 12345;

	if (uebpf_worker_bind(rt, 3) || uebpf_worker_cpu() != 3 ||
	    uebpf_prog_run(prog, NULL, 0, &r0))
		return (void *)(uintptr_t)-1;
	return (void *)(uintptr_t)r0;
}

TEST(test_worker_bind)
{
	PROG(MOV64_IMM(0, 55), CALL_HELPER(BPF_FUNC_get_smp_processor_id),
	     EXIT());
	struct uebpf_prog *prog = load_budget(prog_, ARRAY_LEN(prog_), 0);
	pthread_t th;
	void *res;

	UNUSED;
	assert_int_equal(uebpf_worker_bind(rt, 4), -EINVAL); /* nr_cpus 4 */
	assert_int_equal(uebpf_worker_bind(NULL, 0), -EINVAL);
	assert_int_equal(pthread_create(&th, NULL, bind_thread, prog), 0);
	assert_int_equal(pthread_join(th, &res), 0);
	assert_int_equal((uintptr_t)res, 3);
	/* This thread never bound: still slot 0. */
	assert_int_equal(uebpf_worker_cpu(), 0);
	assert_int_equal(RET(), 0);
	assert_int_equal(uebpf_worker_bind(rt, 2), 0);
	assert_int_equal(RET(), 2);
	assert_int_equal(uebpf_worker_bind(rt, 0), 0);
	uebpf_prog_free(prog);
}

/* Helper arguments are r1..r5, clobbered registers are not preserved, r6
 * to r9 are. */
TEST(test_helper_preserves_callee_saved)
{
	PROG(MOV64_IMM(6, 6), MOV64_IMM(7, 7), MOV64_IMM(8, 8), MOV64_IMM(9, 9),
	     CALL_HELPER(BPF_FUNC_get_smp_processor_id), MOV64_REG(0, 6),
	     ALU64_REG(BPF_ADD, 0, 7), ALU64_REG(BPF_ADD, 0, 8),
	     ALU64_REG(BPF_ADD, 0, 9), EXIT());

	UNUSED;
	assert_int_equal(RET(), 30);
}

/* BPF to BPF calls: r1..r5 passed, r6..r9 and the caller's stack kept,
 * each frame with its own stack. */
TEST(test_local_call_frames)
{
	PROG(MOV64_IMM(6, 100), ST_MEM(BPF_DW, 10, -8, 1000),
	     MOV64_IMM(1, 1), MOV64_IMM(2, 2),
	     CALL_LOCAL(4),				/* 4: call 9 */
	     ALU64_REG(BPF_ADD, 0, 6),			/* + 100 */
	     LDX_MEM(BPF_DW, 3, 10, -8),		/* + 1000 */
	     ALU64_REG(BPF_ADD, 0, 3), EXIT(),		/* 8 */
	     /* 9: sub(r1, r2) = r1 + r2 + own stack; clobbers r6 and its
	      * own r10 - 8 */
	     MOV64_IMM(6, 0), ST_MEM(BPF_DW, 10, -8, 10),
	     LDX_MEM(BPF_DW, 0, 10, -8), ALU64_REG(BPF_ADD, 0, 1),
	     ALU64_REG(BPF_ADD, 0, 2), EXIT());

	UNUSED;
	assert_int_equal(RET(), 10 + 1 + 2 + 100 + 1000);
}

/* The deepest frame's stack is usable in full (8 frames x 512 bytes). */
TEST(test_deepest_frame_stack)
{
	struct bpf_insn p[32];
	size_t n = 0, i;
	uint64_t r0 = 0;

	UNUSED;
	/* frame i (pc 4i): store 100 + i at its r10 - 512, call frame i + 1
	 * (pc 4i + 4), return what it stored */
	for (i = 0; i < 7; i++) {
		p[n++] = ST_MEM(BPF_DW, 10, -512, (int32_t)(100 + i));
		p[n++] = CALL_LOCAL(2);
		p[n++] = LDX_MEM(BPF_DW, 0, 10, -512);
		p[n++] = EXIT();
	}
	/* the 8th frame */
	p[n++] = ST_MEM(BPF_DW, 10, -512, 0x4242);
	p[n++] = ST_MEM(BPF_DW, 10, -8, 0x4242);
	p[n++] = EXIT();
	assert_int_equal(run_budget(p, n, NULL, 0, 0, &r0), 0);
	assert_int_equal(r0, 100); /* main's own slot, untouched by callees */
}

/* ---- concurrency ----------------------------------------------------------- */

struct worker {
	struct uebpf_prog *prog;
	uint64_t seed;
	long bad;
};

/* The program: r0 = sum of the 8 dwords at r1 + len, and it increments
 * the first dword with an atomic add. */
static const struct bpf_insn sum_prog[] = {
	MOV64_REG(0, 2), MOV64_IMM(4, 0), /* r4 = byte offset */
	MOV64_REG(5, 1), ALU64_REG(BPF_ADD, 5, 4), /* 2: r5 = r1 + r4 */
	LDX_MEM(BPF_DW, 3, 5, 0), ALU64_REG(BPF_ADD, 0, 3),
	ALU64_IMM(BPF_ADD, 4, 8), JMP_IMM(BPF_JLT, 4, 64, -6),
	MOV64_IMM(3, 1), ATOMIC(BPF_DW, BPF_ADD, 1, 3, 0), EXIT(),
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	uint64_t buf[8], want, r0;
	long i;
	int j;

	for (i = 0; i < 100000; i++) {
		want = 64;
		for (j = 0; j < 8; j++) {
			buf[j] = w->seed * (uint64_t)(i + 1) + (uint64_t)j;
			want += buf[j];
		}
		r0 = 0;
		if (uebpf_prog_run(w->prog, buf, sizeof(buf), &r0) ||
		    r0 != want ||
		    buf[0] != w->seed * (uint64_t)(i + 1) + 1)
			w->bad++;
	}
	return NULL;
}

TEST(test_concurrent_runs)
{
	struct uebpf_prog *prog = load_budget(sum_prog, ARRAY_LEN(sum_prog), 0);
	struct worker w[2] = { { prog, 0x1111, 0 }, { prog, 0x987654321ull, 0 } };
	pthread_t th[2];
	int i;

	UNUSED;
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker_fn, &w[i]), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(w[0].bad, 0);
	assert_int_equal(w[1].bad, 0);
	uebpf_prog_free(prog);
}

/* ---- ALU edge cases ---------------------------------------------------------- */

TEST(test_div_by_zero)
{
	PROG(MOV64_IMM(0, 1234), MOV64_IMM(3, 0), ALU64_REG(BPF_DIV, 0, 3),
	     EXIT());
	const struct bpf_insn d32[] = {
		LD_IMM64(0, 0xffffffff00000010ull), ALU32_IMM(BPF_DIV, 0, 0), EXIT(),
	};
	const struct bpf_insn m64[] = {
		MOV64_IMM(0, -7), MOV64_IMM(3, 0), ALU64_REG(BPF_MOD, 0, 3), EXIT(),
	};
	const struct bpf_insn m32[] = {
		LD_IMM64(0, 0xffffffff00000010ull), MOV64_IMM(3, 0),
		ALU32_REG(BPF_MOD, 0, 3), EXIT(),
	};
	const struct bpf_insn sdiv[] = {
		MOV64_IMM(0, -9), SALU64_IMM(BPF_DIV, 0, 0), EXIT(),
	};
	const struct bpf_insn smod[] = {
		MOV64_IMM(0, -9), SALU64_IMM(BPF_MOD, 0, 0), EXIT(),
	};

	UNUSED;
	assert_int_equal(RET(), 0);
	assert_int_equal(ret_of(d32, ARRAY_LEN(d32)), 0);
	assert_int_equal(ret_of(m64, ARRAY_LEN(m64)), (uint64_t)-7);
	/* modulo by zero leaves dst, truncated to 32 bits */
	assert_int_equal(ret_of(m32, ARRAY_LEN(m32)), 0x10);
	assert_int_equal(ret_of(sdiv, ARRAY_LEN(sdiv)), 0);
	assert_int_equal(ret_of(smod, ARRAY_LEN(smod)), (uint64_t)-9);
}

TEST(test_sdiv_int_min_by_minus_one)
{
	PROG(LD_IMM64(0, 0x8000000000000000ull), SALU64_IMM(BPF_DIV, 0, -1),
	     EXIT());
	const struct bpf_insn s32[] = {
		MOV32_IMM(0, INT32_MIN), MOV32_IMM(3, -1), SALU32_REG(BPF_DIV, 0, 3),
		EXIT(),
	};
	const struct bpf_insn neg[] = {
		MOV64_IMM(0, -7), SALU64_IMM(BPF_DIV, 0, 2), EXIT(),
	};

	UNUSED;
	assert_int_equal(RET(), 0x8000000000000000ull);
	assert_int_equal(ret_of(s32, ARRAY_LEN(s32)), 0x80000000u);
	/* truncated toward zero */
	assert_int_equal(ret_of(neg, ARRAY_LEN(neg)), (uint64_t)-3);
}

TEST(test_smod)
{
	PROG(LD_IMM64(0, 0x8000000000000000ull), MOV64_IMM(3, -1),
	     SALU64_REG(BPF_MOD, 0, 3), EXIT());
	const struct bpf_insn m[] = {
		MOV64_IMM(0, -7), SALU64_IMM(BPF_MOD, 0, 3), EXIT(),
	};
	const struct bpf_insn m32[] = {
		MOV32_IMM(0, 7), SALU32_IMM(BPF_MOD, 0, -3), EXIT(),
	};
	const struct bpf_insn m32min[] = {
		MOV32_IMM(0, INT32_MIN), SALU32_IMM(BPF_MOD, 0, -1), EXIT(),
	};

	UNUSED;
	assert_int_equal(RET(), 0);
	/* the sign of the dividend */
	assert_int_equal(ret_of(m, ARRAY_LEN(m)), (uint64_t)-1);
	assert_int_equal(ret_of(m32, ARRAY_LEN(m32)), 1);
	assert_int_equal(ret_of(m32min, ARRAY_LEN(m32min)), 0);
}

TEST(test_shifts_masked)
{
	PROG(MOV64_IMM(0, 0x10), MOV64_IMM(3, 64), ALU64_REG(BPF_LSH, 0, 3),
	     EXIT());
	const struct bpf_insn r65[] = {
		MOV64_IMM(0, 0x10), MOV64_IMM(3, 65), ALU64_REG(BPF_RSH, 0, 3), EXIT(),
	};
	const struct bpf_insn a32[] = {
		MOV32_IMM(0, -16), MOV64_IMM(3, 33), ALU32_REG(BPF_ARSH, 0, 3), EXIT(),
	};
	const struct bpf_insn l32[] = {
		MOV32_IMM(0, 1), ALU32_IMM(BPF_LSH, 0, 32), EXIT(),
	};
	const struct bpf_insn a64[] = {
		MOV64_IMM(0, -16), ALU64_IMM(BPF_ARSH, 0, 66), EXIT(),
	};

	UNUSED;
	assert_int_equal(RET(), 0x10);
	assert_int_equal(ret_of(r65, ARRAY_LEN(r65)), 0x8);
	assert_int_equal(ret_of(a32, ARRAY_LEN(a32)), 0xfffffff8u);
	assert_int_equal(ret_of(l32, ARRAY_LEN(l32)), 1);
	assert_int_equal(ret_of(a64, ARRAY_LEN(a64)), (uint64_t)-4);
}

TEST(test_alu32_zero_extends)
{
	PROG(MOV64_IMM(0, -1), ALU32_IMM(BPF_ADD, 0, 1), EXIT());
	const struct bpf_insn mov[] = { MOV64_IMM(0, -1), MOV32_REG(0, 0), EXIT() };
	const struct bpf_insn movk[] = { MOV32_IMM(0, -1), EXIT() };
	const struct bpf_insn neg[] = { MOV64_IMM(0, 1), NEG32(0), EXIT() };
	const struct bpf_insn sx[] = {
		MOV64_IMM(3, 0x80), MOVSX32_REG(0, 3, 8), EXIT(),
	};
	const struct bpf_insn sx64[] = {
		MOV64_IMM(3, 0x80), MOVSX64_REG(0, 3, 8), EXIT(),
	};
	const struct bpf_insn ldsx[] = {
		ST_MEM(BPF_W, 10, -4, -2), LDX_MEMSX(BPF_W, 0, 10, -4), EXIT(),
	};
	const struct bpf_insn be[] = {
		LD_IMM64(0, 0x1122334455667788ull), TO_BE(0, 16), EXIT(),
	};
	const struct bpf_insn le[] = {
		LD_IMM64(0, 0x1122334455667788ull), TO_LE(0, 32), EXIT(),
	};

	UNUSED;
	assert_int_equal(RET(), 0);
	assert_int_equal(ret_of(mov, ARRAY_LEN(mov)), 0xffffffffu);
	assert_int_equal(ret_of(movk, ARRAY_LEN(movk)), 0xffffffffu);
	assert_int_equal(ret_of(neg, ARRAY_LEN(neg)), 0xffffffffu);
	assert_int_equal(ret_of(sx, ARRAY_LEN(sx)), 0xffffff80u);
	assert_int_equal(ret_of(sx64, ARRAY_LEN(sx64)), (uint64_t)-128);
	assert_int_equal(ret_of(ldsx, ARRAY_LEN(ldsx)), (uint64_t)-2);
	assert_int_equal(ret_of(be, ARRAY_LEN(be)), 0x8877);
	assert_int_equal(ret_of(le, ARRAY_LEN(le)), 0x55667788);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, test_setup)
	const struct CMUnitTest tests[] = {
		T(test_r1_mem_r2_len),
		T(test_r1_is_the_address),
		T(test_store_visible_to_host),
		T(test_no_memory),
		T(test_run_bad_args),
		T(test_load_just_past_end),
		T(test_load_straddles_end),
		T(test_load_last_bytes_ok),
		T(test_load_before_start),
		T(test_load_sx_past_end),
		T(test_load_len_zero_buffer),
		T(test_load_null_address),
		T(test_load_wraparound_address),
		T(test_store_just_past_end),
		T(test_store_before_start),
		T(test_atomic_just_past_end),
		T(test_atomic_before_start),
		T(test_atomic_misaligned),
		T(test_atomic_dw_misaligned),
		T(test_atomics_in_bounds),
		T(test_stack_512_ok),
		T(test_stack_zeroed_at_start),
		T(test_stack_below_limit),
		T(test_stack_store_below_limit),
		T(test_stack_above_r10),
		T(test_stack_straddles_r10),
		T(test_budget_infinite_loop),
		T(test_budget_self_loop),
		T(test_budget_straight_line_exact),
		T(test_budget_counts_ld_imm64_as_two),
		T(test_budget_loop_exact),
		T(test_budget_with_calls_exact),
		T(test_budget_zero_is_unlimited),
		T(test_budget_huge_is_unlimited),
		T(test_budget_per_run),
		T(test_callx_unknown_id),
		T(test_callx_unimplemented_id),
		T(test_callx_negative_id),
		T(test_callx_known_id),
		T(test_ktime_get_ns),
		T(test_prandom_u32),
		T(test_smp_processor_id_unbound),
		T(test_smp_processor_id_fresh_thread),
		T(test_worker_bind),
		T(test_helper_preserves_callee_saved),
		T(test_local_call_frames),
		T(test_deepest_frame_stack),
		T(test_concurrent_runs),
		T(test_div_by_zero),
		T(test_sdiv_int_min_by_minus_one),
		T(test_smod),
		T(test_shifts_masked),
		T(test_alu32_zero_extends),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
