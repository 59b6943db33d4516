/* SPDX-License-Identifier: MIT */
/*
 * The structural validator (vm/validate.c) through uebpf_prog_load(): every
 * rejection, one test each, checking errno and the log_buf message with its
 * pc; the programs it must accept; and the log_buf contract (truncation,
 * log_level 0, log_buf without log_size).
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

#include "uebpf.h"
#include "insn.h"

static struct uebpf_runtime *rt;
static char logbuf[8192];

static int group_setup(void **state)
{
	UEBPF_OPTS(uebpf_runtime_opts, o, .log_quiet = 1);

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

static struct uebpf_prog *load(const struct bpf_insn *insns, size_t cnt)
{
	UEBPF_OPTS(uebpf_prog_load_opts, o, .log_buf = logbuf,
		   .log_size = sizeof(logbuf), .log_level = 1);

	memset(logbuf, 'X', sizeof(logbuf));
	errno = 0;
	return uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, insns, cnt, &o);
}

/* The load fails with errno err and the log contains the formatted
 * message. */
static void expect_reject(const struct bpf_insn *insns, size_t cnt, int err,
			  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void expect_reject(const struct bpf_insn *insns, size_t cnt, int err,
			  const char *fmt, ...)
{
	struct uebpf_prog *prog;
	char want[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	prog = load(insns, cnt);
	if (prog) {
		uebpf_prog_free(prog);
		fail_msg("program accepted; expected rejection \"%s\"", want);
	}
	if (errno != err)
		fail_msg("errno %d (%s), expected %d (%s); log: \"%s\"", errno,
			 strerror(errno), err, strerror(err), logbuf);
	if (!memchr(logbuf, '\0', sizeof(logbuf)))
		fail_msg("log_buf is not NUL-terminated");
	if (!strstr(logbuf, want))
		fail_msg("log \"%s\" does not contain \"%s\"", logbuf, want);
}

static void expect_accept(const struct bpf_insn *insns, size_t cnt)
{
	struct uebpf_prog *prog = load(insns, cnt);

	if (!prog)
		fail_msg("program rejected (errno %d): \"%s\"", errno, logbuf);
	assert_string_equal(logbuf, "");
	uebpf_prog_free(prog);
}

#define REJECTS(err, ...)                                                      \
	expect_reject(prog_, ARRAY_LEN(prog_), err, __VA_ARGS__)
#define PROG(...) const struct bpf_insn prog_[] = { __VA_ARGS__ }
#define ACCEPTS() expect_accept(prog_, ARRAY_LEN(prog_))

#define TEST(name) static void name(void **state)
#define UNUSED (void)state

/* Message prefixes of vm/validate.c */
#define RESERVED "reserved field is not zero at pc %d (opcode 0x%02x)"
#define UNKNOWN "unknown opcode 0x%02x at pc %d"
#define R10 "frame pointer r10 is read-only: written at pc %d"

/* ---- size ------------------------------------------------------------------ */

TEST(test_empty_program)
{
	const struct bpf_insn one[] = { EXIT() };

	UNUSED;
	expect_reject(NULL, 0, EINVAL, "program has no instructions");
	expect_reject(one, 0, EINVAL, "program has no instructions");
}

TEST(test_too_many_insns)
{
	size_t cnt = 1000001;
	struct bpf_insn *p = calloc(cnt, sizeof(*p));

	UNUSED;
	assert_non_null(p);
	p[cnt - 1] = EXIT();
	expect_reject(p, cnt, E2BIG,
		      "program has 1000001 instructions, more than the limit of 1000000");
	free(p);
}

TEST(test_max_insns_accepted)
{
	size_t cnt = 1000000, i;
	struct bpf_insn *p = malloc(cnt * sizeof(*p));
	struct uebpf_prog *prog;
	uint64_t r0 = 0;

	UNUSED;
	assert_non_null(p);
	for (i = 0; i < cnt - 1; i++)
		p[i] = ALU64_IMM(BPF_ADD, 0, 1);
	p[0] = MOV64_IMM(0, 1);
	p[cnt - 1] = EXIT();
	prog = load(p, cnt);
	assert_non_null(prog);
	assert_int_equal(uebpf_prog_insn_cnt(prog), cnt);
	assert_int_equal(uebpf_prog_run(prog, NULL, 0, &r0), 0);
	assert_int_equal(r0, cnt - 1);
	uebpf_prog_free(prog);
	free(p);
}

/* ---- registers ----------------------------------------------------------- */

TEST(test_invalid_dst_reg)
{
	PROG(MOV64_IMM(0, 0), MOV64_IMM(11, 0), EXIT());

	UNUSED;
	REJECTS(EINVAL, "invalid register at pc 1: r11 (registers are r0..r10)");
}

TEST(test_invalid_src_reg)
{
	PROG(MOV64_IMM(0, 0), MOV64_REG(0, 11), EXIT());

	UNUSED;
	REJECTS(EINVAL, "invalid register at pc 1: r11 (registers are r0..r10)");
}

TEST(test_invalid_reg_15)
{
	PROG(MOV64_IMM(0, 0), LDX_MEM(BPF_W, 0, 15, 0), EXIT());

	UNUSED;
	REJECTS(EINVAL, "invalid register at pc 1: r15");
}

/* ---- unknown opcodes, a sample across the classes ---------------------- */

static void reject_unknown(uint8_t code, uint8_t dst, uint8_t src, int16_t off,
			   int32_t imm)
{
	PROG(MOV64_IMM(0, 0), INSN(code, dst, src, off, imm), EXIT());

	REJECTS(EINVAL, UNKNOWN, code, 1);
}

TEST(test_unknown_alu_e4) { UNUSED; reject_unknown(BPF_ALU | 0xe0 | BPF_K, 0, 0, 0, 0); }
TEST(test_unknown_alu_f4) { UNUSED; reject_unknown(BPF_ALU | 0xf0 | BPF_K, 0, 0, 0, 0); }
TEST(test_unknown_alu64_ef) { UNUSED; reject_unknown(BPF_ALU64 | 0xe0 | BPF_X, 0, 1, 0, 0); }
TEST(test_unknown_alu64_f7) { UNUSED; reject_unknown(BPF_ALU64 | 0xf0 | BPF_K, 0, 0, 0, 0); }
TEST(test_unknown_alu64_end_x) { UNUSED; reject_unknown(BPF_ALU64 | BPF_END | BPF_X, 0, 0, 0, 16); }
TEST(test_unknown_neg_x) { UNUSED; reject_unknown(BPF_ALU64 | BPF_NEG | BPF_X, 0, 0, 0, 0); }
TEST(test_unknown_neg32_x) { UNUSED; reject_unknown(BPF_ALU | BPF_NEG | BPF_X, 0, 1, 0, 0); }
TEST(test_unknown_jmp_f5) { UNUSED; reject_unknown(BPF_JMP | 0xf0 | BPF_K, 0, 0, 0, 0); }
TEST(test_unknown_jmp32_fe) { UNUSED; reject_unknown(BPF_JMP32 | 0xf0 | BPF_X, 0, 1, 0, 0); }
TEST(test_unknown_jmp32_call) { UNUSED; reject_unknown(BPF_JMP32 | BPF_CALL, 0, 0, 0, 5); }
TEST(test_unknown_jmp32_exit) { UNUSED; reject_unknown(BPF_JMP32 | BPF_EXIT, 0, 0, 0, 0); }
TEST(test_unknown_exit_x) { UNUSED; reject_unknown(BPF_JMP | BPF_EXIT | BPF_X, 0, 0, 0, 0); }
TEST(test_unknown_ja_x) { UNUSED; reject_unknown(BPF_JMP | BPF_JA | BPF_X, 0, 0, 0, 0); }
TEST(test_unknown_ja32_x) { UNUSED; reject_unknown(BPF_JMP32 | BPF_JA | BPF_X, 0, 0, 0, 0); }
TEST(test_unknown_jcond_x) { UNUSED; reject_unknown(BPF_JMP | BPF_JCOND | BPF_X, 0, 0, 0, 0); }
TEST(test_unknown_jmp32_jcond) { UNUSED; reject_unknown(BPF_JMP32 | BPF_JCOND | BPF_K, 0, 0, 0, 0); }
TEST(test_unknown_ld_imm_w) { UNUSED; reject_unknown(BPF_LD | BPF_IMM | BPF_W, 0, 0, 0, 0); }
TEST(test_unknown_ld_mem) { UNUSED; reject_unknown(BPF_LD | BPF_MEM | BPF_W, 0, 1, 0, 0); }
TEST(test_unknown_ld_imm_b) { UNUSED; reject_unknown(BPF_LD | BPF_IMM | BPF_B, 0, 0, 0, 0); }
TEST(test_unknown_ldx_memsx_dw) { UNUSED; reject_unknown(BPF_LDX | BPF_MEMSX | BPF_DW, 0, 1, 0, 0); }
TEST(test_unknown_ldx_imm) { UNUSED; reject_unknown(BPF_LDX | BPF_IMM | BPF_W, 0, 1, 0, 0); }
TEST(test_unknown_ldx_atomic) { UNUSED; reject_unknown(BPF_LDX | BPF_ATOMIC | BPF_W, 0, 1, 0, 0); }
TEST(test_unknown_stx_atomic_b) { UNUSED; reject_unknown(BPF_STX | BPF_ATOMIC | BPF_B, 1, 0, 0, BPF_ADD); }
TEST(test_unknown_stx_atomic_h) { UNUSED; reject_unknown(BPF_STX | BPF_ATOMIC | BPF_H, 1, 0, 0, BPF_ADD); }
TEST(test_unknown_stx_abs) { UNUSED; reject_unknown(BPF_STX | BPF_ABS | BPF_W, 1, 0, 0, 0); }
TEST(test_unknown_stx_memsx) { UNUSED; reject_unknown(BPF_STX | BPF_MEMSX | BPF_W, 1, 0, 0, 0); }
TEST(test_unknown_st_atomic) { UNUSED; reject_unknown(BPF_ST | BPF_ATOMIC | BPF_W, 1, 0, 0, BPF_ADD); }
TEST(test_unknown_st_imm) { UNUSED; reject_unknown(BPF_ST | BPF_IMM | BPF_DW, 1, 0, 0, 0); }
TEST(test_unknown_st_memsx) { UNUSED; reject_unknown(BPF_ST | BPF_MEMSX | BPF_B, 1, 0, 0, 0); }

/* ---- legacy packet access -------------------------------------------------- */

TEST(test_ld_abs)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 12), EXIT());

	UNUSED;
	REJECTS(EINVAL, "legacy packet access (ld_abs/ld_ind) at pc 1 is not supported");
}

TEST(test_ld_ind)
{
	PROG(MOV64_IMM(0, 0), MOV64_IMM(0, 0),
	     INSN(BPF_LD | BPF_IND | BPF_B, 0, 1, 0, 0), EXIT());

	UNUSED;
	REJECTS(EINVAL, "legacy packet access (ld_abs/ld_ind) at pc 2 is not supported");
}

/* ---- ld_imm64 ---------------------------------------------------------- */

TEST(test_ld_imm64_no_second_half)
{
	PROG(MOV64_IMM(0, 0), EXIT(), INSN(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1));

	UNUSED;
	REJECTS(EINVAL, "ld_imm64 at pc 2 has no second half: the program ends");
}

TEST(test_ld_imm64_only_insn)
{
	PROG(INSN(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1));

	UNUSED;
	REJECTS(EINVAL, "ld_imm64 at pc 0 has no second half");
}

static void reject_ld_imm64_fields(struct bpf_insn lo, struct bpf_insn hi)
{
	PROG(MOV64_IMM(0, 0), lo, hi, EXIT());

	REJECTS(EINVAL, "reserved field is not zero in ld_imm64 at pc 1");
}

TEST(test_ld_imm64_reserved_off)
{
	UNUSED;
	reject_ld_imm64_fields(INSN(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 1, 1),
			       INSN(0, 0, 0, 0, 0));
}

TEST(test_ld_imm64_reserved_second_code)
{
	UNUSED;
	reject_ld_imm64_fields(INSN(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1),
			       INSN(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 0));
}

TEST(test_ld_imm64_reserved_second_dst)
{
	UNUSED;
	reject_ld_imm64_fields(INSN(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1),
			       INSN(0, 1, 0, 0, 0));
}

TEST(test_ld_imm64_reserved_second_src)
{
	UNUSED;
	reject_ld_imm64_fields(INSN(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1),
			       INSN(0, 0, 2, 0, 0));
}

TEST(test_ld_imm64_reserved_second_off)
{
	UNUSED;
	reject_ld_imm64_fields(INSN(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1),
			       INSN(0, 0, 0, -1, 0));
}

/* Registers > 10 in the second half: still an invalid register? No: the
 * second half's dst and src must be 0, reported as reserved. */
TEST(test_ld_imm64_second_half_reg_12)
{
	UNUSED;
	reject_ld_imm64_fields(INSN(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1),
			       INSN(0, 12, 0, 0, 0));
}

static void reject_second_imm(uint8_t src)
{
	PROG(MOV64_IMM(0, 0), LD_IMM64_RAW(1, src, 0, 7), EXIT());

	REJECTS(EINVAL, "reserved field is not zero in ld_imm64 at pc 1: the second immediate must be 0 for src %u",
		src);
}

TEST(test_ld_imm64_map_fd_second_imm) { UNUSED; reject_second_imm(BPF_PSEUDO_MAP_FD); }
TEST(test_ld_imm64_map_idx_second_imm) { UNUSED; reject_second_imm(BPF_PSEUDO_MAP_IDX); }
TEST(test_ld_imm64_func_second_imm) { UNUSED; reject_second_imm(BPF_PSEUDO_FUNC); }

TEST(test_ld_imm64_btf_id)
{
	PROG(MOV64_IMM(0, 0), LD_IMM64_RAW(1, BPF_PSEUDO_BTF_ID, 5, 0), EXIT());

	UNUSED;
	REJECTS(EINVAL, "ld_imm64 at pc 1 loads a kernel symbol (BPF_PSEUDO_BTF_ID), which user space does not have");
}

TEST(test_ld_imm64_unknown_src)
{
	uint8_t src;

	UNUSED;
	for (src = 7; src <= 10; src++) {
		PROG(MOV64_IMM(0, 0), LD_IMM64_RAW(1, src, 5, 0), EXIT());

		REJECTS(EINVAL, "invalid ld_imm64 at pc 1: unknown src %u", src);
	}
}

/* ---- writes to r10 -------------------------------------------------------- */

TEST(test_r10_alu64_write)
{
	PROG(MOV64_IMM(0, 0), MOV64_IMM(10, 0), EXIT());

	UNUSED;
	REJECTS(EACCES, R10, 1);
}

TEST(test_r10_alu32_write)
{
	PROG(MOV64_IMM(0, 0), ALU32_REG(BPF_ADD, 10, 1), EXIT());

	UNUSED;
	REJECTS(EACCES, R10, 1);
}

TEST(test_r10_neg_write)
{
	PROG(MOV64_IMM(0, 0), NEG64(10), EXIT());

	UNUSED;
	REJECTS(EACCES, R10, 1);
}

TEST(test_r10_bswap_write)
{
	PROG(MOV64_IMM(0, 0), TO_BE(10, 16), EXIT());

	UNUSED;
	REJECTS(EACCES, R10, 1);
}

TEST(test_r10_ldx_write)
{
	PROG(MOV64_IMM(0, 0), LDX_MEM(BPF_DW, 10, 1, 0), EXIT());

	UNUSED;
	REJECTS(EACCES, R10, 1);
}

TEST(test_r10_ldx_memsx_write)
{
	PROG(MOV64_IMM(0, 0), LDX_MEMSX(BPF_W, 10, 1, 0), EXIT());

	UNUSED;
	REJECTS(EACCES, R10, 1);
}

TEST(test_r10_lddw_write)
{
	PROG(MOV64_IMM(0, 0), LD_IMM64(10, 0x1234), EXIT());

	UNUSED;
	REJECTS(EACCES, R10, 1);
}

TEST(test_r10_atomic_fetch_write)
{
	PROG(MOV64_IMM(0, 0), ATOMIC(BPF_DW, BPF_ADD | BPF_FETCH, 1, 10, 0), EXIT());

	UNUSED;
	REJECTS(EACCES, "frame pointer r10 is read-only: atomic fetch at pc 1 writes it");
}

TEST(test_r10_atomic_xchg_write)
{
	PROG(MOV64_IMM(0, 0), ATOMIC(BPF_W, BPF_XCHG, 1, 10, 0), EXIT());

	UNUSED;
	REJECTS(EACCES, "frame pointer r10 is read-only: atomic fetch at pc 1 writes it");
}

TEST(test_r10_atomic_or_fetch_write)
{
	PROG(MOV64_IMM(0, 0), ATOMIC(BPF_W, BPF_OR | BPF_FETCH, 1, 10, 0), EXIT());

	UNUSED;
	REJECTS(EACCES, "frame pointer r10 is read-only: atomic fetch at pc 1 writes it");
}

/* Reading r10, storing it, and atomics that do not write src are fine. */
TEST(test_r10_reads_accepted)
{
	PROG(MOV64_REG(1, 10), ALU64_IMM(BPF_ADD, 1, -8),
	     STX_MEM(BPF_DW, 10, 10, -16), ST_MEM(BPF_DW, 10, -8, 0),
	     ATOMIC(BPF_DW, BPF_ADD, 1, 10, 0),
	     ATOMIC(BPF_DW, BPF_CMPXCHG, 1, 10, 0),
	     JMP_REG(BPF_JEQ, 10, 1, 0), MOV64_IMM(0, 0), EXIT());

	UNUSED;
	ACCEPTS();
}

/* ---- reserved fields, class by class -------------------------------------- */

TEST(test_reserved_ldx_imm)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_LDX | BPF_MEM | BPF_W, 0, 1, 0, 1), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_LDX | BPF_MEM | BPF_W);
}

TEST(test_reserved_st_src)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_ST | BPF_MEM | BPF_W, 10, 1, -4, 1), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_ST | BPF_MEM | BPF_W);
}

TEST(test_reserved_stx_imm)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_STX | BPF_MEM | BPF_DW, 10, 1, -8, 3), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_STX | BPF_MEM | BPF_DW);
}

TEST(test_reserved_alu_k_with_src)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_ALU64 | BPF_ADD | BPF_K, 0, 1, 0, 1), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED ": dst r0 src r1 off 0 imm 1", 1,
		BPF_ALU64 | BPF_ADD | BPF_K);
}

TEST(test_reserved_alu32_k_with_src)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_ALU | BPF_XOR | BPF_K, 0, 2, 0, 1), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_ALU | BPF_XOR | BPF_K);
}

TEST(test_reserved_alu_x_with_imm)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_ALU64 | BPF_SUB | BPF_X, 0, 1, 0, 7), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED ": dst r0 src r1 off 0 imm 7", 1,
		BPF_ALU64 | BPF_SUB | BPF_X);
}

TEST(test_reserved_alu_off_nonzero)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 1, 1), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_ALU64 | BPF_ADD | BPF_K);
}

TEST(test_reserved_div_off_2)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_ALU64 | BPF_DIV | BPF_K, 0, 0, 2, 1), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED ": dst r0 src r0 off 2 imm 1", 1,
		BPF_ALU64 | BPF_DIV | BPF_K);
}

TEST(test_reserved_mod32_off_minus1)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_ALU | BPF_MOD | BPF_X, 0, 1, -1, 0), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_ALU | BPF_MOD | BPF_X);
}

TEST(test_reserved_mov_x_off_24)
{
	PROG(MOV64_IMM(0, 0), MOVSX64_REG(0, 1, 24), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_ALU64 | BPF_MOV | BPF_X);
}

TEST(test_reserved_mov32_x_off_32)
{
	PROG(MOV64_IMM(0, 0), MOVSX32_REG(0, 1, 32), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_ALU | BPF_MOV | BPF_X);
}

TEST(test_reserved_mov_k_off_8)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 8, 1), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_ALU64 | BPF_MOV | BPF_K);
}

TEST(test_reserved_neg_imm)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_ALU64 | BPF_NEG, 0, 0, 0, 1), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_ALU64 | BPF_NEG);
}

TEST(test_reserved_neg_src)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_ALU | BPF_NEG, 0, 1, 0, 0), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_ALU | BPF_NEG);
}

TEST(test_reserved_neg_off)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_ALU64 | BPF_NEG, 0, 0, 1, 0), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_ALU64 | BPF_NEG);
}

TEST(test_end_imm_8)
{
	PROG(MOV64_IMM(0, 0), TO_LE(0, 8), EXIT());

	UNUSED;
	REJECTS(EINVAL, "invalid byte swap width 8 at pc 1: must be 16, 32 or 64");
}

TEST(test_bswap_imm_0)
{
	PROG(MOV64_IMM(0, 0), BSWAP(0, 0), EXIT());

	UNUSED;
	REJECTS(EINVAL, "invalid byte swap width 0 at pc 1");
}

TEST(test_reserved_end_src)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_ALU | BPF_END | BPF_TO_BE, 0, 1, 0, 32), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_ALU | BPF_END | BPF_TO_BE);
}

TEST(test_reserved_end_off)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_ALU64 | BPF_END, 0, 0, 1, 32), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_ALU64 | BPF_END);
}

TEST(test_reserved_ja_imm)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_JMP | BPF_JA, 0, 0, 0, 1), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_JMP | BPF_JA);
}

TEST(test_reserved_ja_dst)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_JMP | BPF_JA, 1, 0, 0, 0), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_JMP | BPF_JA);
}

TEST(test_reserved_ja32_off)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_JMP32 | BPF_JA, 0, 0, 1, 0), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_JMP32 | BPF_JA);
}

TEST(test_reserved_ja32_src)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_JMP32 | BPF_JA, 0, 1, 0, 0), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_JMP32 | BPF_JA);
}

TEST(test_reserved_call_off)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_JMP | BPF_CALL, 0, 0, 1, BPF_FUNC_ktime_get_ns), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_JMP | BPF_CALL);
}

TEST(test_reserved_call_dst)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_JMP | BPF_CALL, 1, 0, 0, BPF_FUNC_ktime_get_ns), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_JMP | BPF_CALL);
}

TEST(test_reserved_call_unknown_src)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_JMP | BPF_CALL, 0, 3, 0, BPF_FUNC_ktime_get_ns), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_JMP | BPF_CALL);
}

TEST(test_reserved_local_call_off)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 1, 1), EXIT(),
	     EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_JMP | BPF_CALL);
}

TEST(test_reserved_callx_imm)
{
	PROG(MOV64_IMM(1, 5), INSN(BPF_JMP | BPF_CALL | BPF_X, 1, 0, 0, 5), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_JMP | BPF_CALL | BPF_X);
}

TEST(test_reserved_callx_src)
{
	PROG(MOV64_IMM(1, 5), INSN(BPF_JMP | BPF_CALL | BPF_X, 1, 2, 0, 0), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_JMP | BPF_CALL | BPF_X);
}

TEST(test_reserved_callx_off)
{
	PROG(MOV64_IMM(1, 5), INSN(BPF_JMP | BPF_CALL | BPF_X, 1, 0, 2, 0), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_JMP | BPF_CALL | BPF_X);
}

static void reject_exit_fields(uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_JMP | BPF_EXIT, dst, src, off, imm));

	REJECTS(EINVAL, RESERVED ": dst r%u src r%u off %d imm %d", 1,
		BPF_JMP | BPF_EXIT, dst, src, off, imm);
}

TEST(test_reserved_exit_dst) { UNUSED; reject_exit_fields(1, 0, 0, 0); }
TEST(test_reserved_exit_src) { UNUSED; reject_exit_fields(0, 1, 0, 0); }
TEST(test_reserved_exit_off) { UNUSED; reject_exit_fields(0, 0, -1, 0); }
TEST(test_reserved_exit_imm) { UNUSED; reject_exit_fields(0, 0, 0, 1); }

TEST(test_reserved_jcond_k_src)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0, 0), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_JMP | BPF_JEQ | BPF_K);
}

TEST(test_reserved_jmp32_k_src)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_JMP32 | BPF_JSGT | BPF_K, 0, 1, 0, 0), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_JMP32 | BPF_JSGT | BPF_K);
}

TEST(test_reserved_jcond_x_imm)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_JMP | BPF_JNE | BPF_X, 0, 1, 0, 4), EXIT());

	UNUSED;
	REJECTS(EINVAL, RESERVED, 1, BPF_JMP | BPF_JNE | BPF_X);
}

/* ---- atomics, calls ------------------------------------------------------- */

TEST(test_unknown_atomic_op)
{
	PROG(MOV64_IMM(0, 0), ATOMIC(BPF_DW, 0xff, 10, 1, -8), EXIT());

	UNUSED;
	REJECTS(EINVAL, "unknown atomic operation 0xff at pc 1");
}

TEST(test_unknown_atomic_op_mul_fetch)
{
	PROG(MOV64_IMM(0, 0), ATOMIC(BPF_W, BPF_MUL | BPF_FETCH, 10, 1, -8), EXIT());

	UNUSED;
	REJECTS(EINVAL, "unknown atomic operation 0x21 at pc 1");
}

/* xchg and cmpxchg always fetch: without the flag they are unknown. */
TEST(test_unknown_atomic_op_xchg_no_fetch)
{
	PROG(MOV64_IMM(0, 0), ATOMIC(BPF_DW, BPF_XCHG & ~BPF_FETCH, 10, 1, -8), EXIT());

	UNUSED;
	REJECTS(EINVAL, "unknown atomic operation 0xe0 at pc 1");
}

TEST(test_unknown_atomic_op_cmpxchg_no_fetch)
{
	PROG(MOV64_IMM(0, 0), ATOMIC(BPF_DW, BPF_CMPXCHG & ~BPF_FETCH, 10, 1, -8), EXIT());

	UNUSED;
	REJECTS(EINVAL, "unknown atomic operation 0xf0 at pc 1");
}

TEST(test_unknown_atomic_op_sub)
{
	PROG(MOV64_IMM(0, 0), ATOMIC(BPF_W, BPF_SUB, 10, 1, -8), EXIT());

	UNUSED;
	REJECTS(EINVAL, "unknown atomic operation 0x10 at pc 1");
}

TEST(test_kfunc_call)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, 1234),
	     EXIT());

	UNUSED;
	REJECTS(EINVAL, "kfunc call at pc 1: kernel functions do not exist in user space");
}

TEST(test_may_goto)
{
	PROG(MOV64_IMM(0, 0), INSN(BPF_JMP | BPF_JCOND | BPF_K, 0, 0, 0, 0), EXIT());

	UNUSED;
	REJECTS(EINVAL, "may_goto at pc 1 is not supported");
}

TEST(test_unknown_helper_big_id)
{
	PROG(MOV64_IMM(0, 0), CALL_HELPER(100000), EXIT());

	UNUSED;
	REJECTS(EINVAL, "unknown helper id 100000 at pc 1");
}

TEST(test_unknown_helper_negative_id)
{
	PROG(MOV64_IMM(0, 0), CALL_HELPER(-1), EXIT());

	UNUSED;
	REJECTS(EINVAL, "unknown helper id -1 at pc 1");
}

TEST(test_unknown_helper_named)
{
	/* A kernel helper of the socket-buffer programs, which libuebpf
	 * does not run. */
	PROG(MOV64_IMM(0, 0), CALL_HELPER(BPF_FUNC_skb_store_bytes), EXIT());

	UNUSED;
	REJECTS(EINVAL, "unknown helper bpf_skb_store_bytes#9 at pc 1: libuebpf does not implement it");
}

TEST(test_unknown_helper_within_table)
{
	/* Below the table size of 1024 but above every kernel id. */
	PROG(MOV64_IMM(0, 0), CALL_HELPER(1000), EXIT());

	UNUSED;
	REJECTS(EINVAL, "unknown helper id 1000 at pc 1");
}

TEST(test_known_helpers_accepted)
{
	PROG(CALL_HELPER(BPF_FUNC_ktime_get_ns), CALL_HELPER(BPF_FUNC_get_prandom_u32),
	     CALL_HELPER(BPF_FUNC_get_smp_processor_id), MOV64_IMM(3, 5), CALLX(3),
	     EXIT());

	UNUSED;
	ACCEPTS();
}

/* ---- jumps, subprograms, reachability ---------------------------------- */

TEST(test_jump_out_of_range_forward)
{
	PROG(MOV64_IMM(0, 0), JMP_IMM(BPF_JEQ, 0, 0, 5), EXIT());

	UNUSED;
	REJECTS(EINVAL, "jump out of range at pc 1: target 7, program has 3 instructions");
}

TEST(test_jump_out_of_range_just_past_end)
{
	PROG(MOV64_IMM(0, 0), JMP_IMM(BPF_JEQ, 0, 0, 1), EXIT());

	UNUSED;
	REJECTS(EINVAL, "jump out of range at pc 1: target 3, program has 3 instructions");
}

TEST(test_jump_out_of_range_backward)
{
	PROG(MOV64_IMM(0, 0), JA(-3), EXIT());

	UNUSED;
	REJECTS(EINVAL, "jump out of range at pc 1: target -1, program has 3 instructions");
}

TEST(test_jump_out_of_range_far_backward)
{
	PROG(MOV64_IMM(0, 0), JMP32_REG(BPF_JLT, 0, 1, -32768), EXIT());

	UNUSED;
	REJECTS(EINVAL, "jump out of range at pc 1: target -32766, program has 3 instructions");
}

TEST(test_ja32_out_of_range)
{
	PROG(MOV64_IMM(0, 0), JA32(1000000), EXIT());

	UNUSED;
	REJECTS(EINVAL, "jump out of range at pc 1: target 1000002, program has 3 instructions");
}

TEST(test_local_call_out_of_range)
{
	PROG(MOV64_IMM(0, 0), CALL_LOCAL(-5), EXIT());

	UNUSED;
	REJECTS(EINVAL, "jump out of range at pc 1: target -3, program has 3 instructions");
}

TEST(test_callback_ref_out_of_range)
{
	PROG(MOV64_IMM(0, 0), LD_IMM64_RAW(1, BPF_PSEUDO_FUNC, 10, 0), EXIT());

	UNUSED;
	REJECTS(EINVAL, "jump out of range at pc 1: target 12, program has 4 instructions");
}

TEST(test_jump_into_ld_imm64)
{
	PROG(JMP_IMM(BPF_JEQ, 1, 0, 2), LD_IMM64(0, 1), EXIT());

	UNUSED;
	/* target pc 3 is the exit; pc 2 is the second half */
	{
		PROG(JMP_IMM(BPF_JEQ, 1, 0, 1), LD_IMM64(0, 1), EXIT());

		REJECTS(EINVAL, "jump at pc 0 goes into the middle of ld_imm64 at pc 1");
	}
	ACCEPTS();
}

TEST(test_call_into_ld_imm64)
{
	PROG(CALL_LOCAL(1), EXIT(), LD_IMM64(0, 1), EXIT());

	UNUSED;
	{
		PROG(CALL_LOCAL(2), EXIT(), LD_IMM64(0, 1), EXIT());

		REJECTS(EINVAL, "jump at pc 0 goes into the middle of ld_imm64 at pc 2");
	}
	ACCEPTS();
}

TEST(test_jump_across_subprog_into_callee)
{
	PROG(CALL_LOCAL(2),		  /* 0: call 3 */
	     JA(2),			  /* 1: into the subprogram */
	     EXIT(),			  /* 2 */
	     MOV64_IMM(0, 0),		  /* 3: subprogram */
	     EXIT());			  /* 4 */

	UNUSED;
	REJECTS(EINVAL, "jump out of range at pc 1: target 4 is outside its subprogram (pc 0 to 2)");
}

TEST(test_jump_across_subprog_into_caller)
{
	PROG(MOV64_IMM(0, 0),		  /* 0 */
	     CALL_LOCAL(1),		  /* 1: call 3 */
	     EXIT(),			  /* 2 */
	     JMP_IMM(BPF_JEQ, 0, 0, -4),  /* 3: back to 0 */
	     EXIT());			  /* 4 */

	UNUSED;
	REJECTS(EINVAL, "jump out of range at pc 3: target 0 is outside its subprogram (pc 3 to 4)");
}

TEST(test_falls_off_end_main)
{
	PROG(MOV64_IMM(0, 0), MOV64_IMM(0, 1));

	UNUSED;
	REJECTS(EINVAL, "execution falls off the end of the program (starting at pc 0): the last instruction (pc 1) is not exit or ja");
}

TEST(test_falls_off_end_conditional)
{
	PROG(MOV64_IMM(0, 0), JMP_IMM(BPF_JEQ, 0, 0, -2));

	UNUSED;
	REJECTS(EINVAL, "execution falls off the end of the program (starting at pc 0): the last instruction (pc 1) is not exit or ja");
}

TEST(test_falls_off_end_ld_imm64)
{
	PROG(MOV64_IMM(0, 0), LD_IMM64(0, 7));

	UNUSED;
	REJECTS(EINVAL, "the last instruction (pc 1) is not exit or ja");
}

TEST(test_falls_off_end_main_into_subprog)
{
	PROG(CALL_LOCAL(2),	/* 0: call 3 */
	     MOV64_IMM(0, 0),	/* 1 */
	     MOV64_IMM(0, 1),	/* 2: falls into the subprogram */
	     MOV64_IMM(0, 2),	/* 3: subprogram */
	     EXIT());		/* 4 */

	UNUSED;
	REJECTS(EINVAL, "execution falls off the end of the subprogram starting at pc 0 into the next one: its last instruction (pc 2) is not exit or ja");
}

TEST(test_falls_off_end_last_subprog)
{
	PROG(CALL_LOCAL(1),	/* 0: call 2 */
	     EXIT(),		/* 1 */
	     MOV64_IMM(0, 2),	/* 2: subprogram */
	     MOV64_IMM(0, 3));	/* 3 */

	UNUSED;
	REJECTS(EINVAL, "execution falls off the end of the program in the subprogram starting at pc 2: its last instruction (pc 3) is not exit or ja");
}

TEST(test_ends_with_ja_accepted)
{
	PROG(MOV64_IMM(0, 0), JMP_IMM(BPF_JEQ, 0, 0, 1), JA(-3), EXIT());

	UNUSED;
	ACCEPTS();
}

TEST(test_unreachable_after_ja)
{
	PROG(MOV64_IMM(0, 0), JA(1), MOV64_IMM(0, 1), EXIT());

	UNUSED;
	REJECTS(EINVAL, "unreachable instruction at pc 2");
}

TEST(test_unreachable_after_exit)
{
	PROG(MOV64_IMM(0, 0), EXIT(), MOV64_IMM(0, 1), EXIT());

	UNUSED;
	REJECTS(EINVAL, "unreachable instruction at pc 2");
}

TEST(test_unreachable_ld_imm64)
{
	PROG(MOV64_IMM(0, 0), JA(2), LD_IMM64(0, 1), EXIT());

	UNUSED;
	REJECTS(EINVAL, "unreachable instruction at pc 2");
}

TEST(test_recursion_direct)
{
	PROG(CALL_LOCAL(1),	/* 0: call 2 */
	     EXIT(),		/* 1 */
	     CALL_LOCAL(-1),	/* 2: call 2 */
	     EXIT());		/* 3 */

	UNUSED;
	REJECTS(E2BIG, "recursive call at pc 2: the subprogram at pc 2 calls itself");
}

TEST(test_recursion_mutual)
{
	PROG(CALL_LOCAL(1),	/* 0: call A (2) */
	     EXIT(),		/* 1 */
	     CALL_LOCAL(1),	/* 2: A calls B (4) */
	     EXIT(),		/* 3 */
	     CALL_LOCAL(-3),	/* 4: B calls A (2) */
	     EXIT());		/* 5 */

	UNUSED;
	REJECTS(E2BIG, "recursive call at pc 4: the subprogram at pc 2");
}

TEST(test_recursion_into_main)
{
	PROG(CALL_LOCAL(1),	/* 0: call 2 */
	     EXIT(),		/* 1 */
	     CALL_LOCAL(-3),	/* 2: call 0 */
	     EXIT());		/* 3 */

	UNUSED;
	REJECTS(E2BIG, "recursive call at pc 2: the subprogram at pc 0");
}

/* A chain of nsub subprograms below main: 1 + nsub frames; the last one
 * returns 42. */
static struct bpf_insn *call_chain(size_t nsub, size_t *cnt)
{
	struct bpf_insn *p = calloc(2 * (nsub + 1), sizeof(*p));
	size_t i;

	assert_non_null(p);
	for (i = 0; i < nsub; i++) {
		p[2 * i] = CALL_LOCAL(1);
		p[2 * i + 1] = EXIT();
	}
	p[2 * nsub] = MOV64_IMM(0, 42);
	p[2 * nsub + 1] = EXIT();
	*cnt = 2 * (nsub + 1);
	return p;
}

TEST(test_call_depth_8_ok)
{
	size_t cnt;
	struct bpf_insn *p = call_chain(7, &cnt);
	struct uebpf_prog *prog;
	uint64_t r0 = 0;

	UNUSED;
	prog = load(p, cnt);
	if (!prog)
		fail_msg("8 frames rejected: %s", logbuf);
	assert_int_equal(uebpf_prog_run(prog, NULL, 0, &r0), 0);
	assert_int_equal(r0, 42);
	uebpf_prog_free(prog);
	free(p);
}

TEST(test_call_depth_9_rejected)
{
	size_t cnt;
	struct bpf_insn *p = call_chain(8, &cnt);

	UNUSED;
	/* The message names the call that makes the ninth frame. */
	expect_reject(p, cnt, E2BIG,
		      "call stack of 9 frames is too deep: the call at pc 14 goes past the limit of 8");
	free(p);
}

/* A chain far longer than the limit is refused at the ninth frame, not by
 * recursing down the whole chain on the host's stack. */
TEST(test_call_chain_200k_no_stack_overflow)
{
	size_t cnt;
	struct bpf_insn *p = call_chain(200000, &cnt);

	UNUSED;
	expect_reject(p, cnt, E2BIG, "call stack of 9 frames is too deep");
	free(p);
}

/* Depth counts the longest chain, not the number of calls. */
TEST(test_call_depth_wide_ok)
{
	struct bpf_insn p[64];
	size_t n = 0, i;

	UNUSED;
	for (i = 0; i < 20; i++)
		p[n++] = CALL_LOCAL(20 - i); /* every one calls the same subprog */
	p[n++] = EXIT();
	p[n++] = MOV64_IMM(0, 1);
	p[n++] = EXIT();
	expect_accept(p, n);
}

/* A callback reference (ld_imm64 BPF_PSEUDO_FUNC) starts a subprogram:
 * main must end before it. */
TEST(test_callback_ref_splits_subprog)
{
	PROG(LD_IMM64_RAW(1, BPF_PSEUDO_FUNC, 2, 0), /* 0-1: ref to pc 3 */
	     MOV64_IMM(0, 0),			    /* 2: main falls into 3 */
	     MOV64_IMM(0, 1), EXIT());		    /* 3-4: callback */

	UNUSED;
	REJECTS(EINVAL, "execution falls off the end of the subprogram starting at pc 0 into the next one: its last instruction (pc 2) is not exit or ja");
}

TEST(test_callback_ref_accepted)
{
	PROG(LD_IMM64_RAW(1, BPF_PSEUDO_FUNC, 2, 0), /* 0-1: ref to pc 3 */
	     EXIT(),				    /* 2 */
	     MOV64_IMM(0, 1), EXIT());		    /* 3-4: callback */

	UNUSED;
	ACCEPTS();
}

/* ---- map references --------------------------------------------------- */

TEST(test_map_fd_ebadf)
{
	PROG(LD_IMM64_RAW(1, BPF_PSEUDO_MAP_FD, 3, 0), MOV64_IMM(0, 0), EXIT());

	UNUSED;
	REJECTS(EBADF, "ld_imm64 at pc 0 refers to map id 3, but this runtime has no such map");
}

/* As the kernel without an fd_array: map indexes mean nothing here. */
TEST(test_map_idx_eproto)
{
	PROG(MOV64_IMM(0, 0), LD_IMM64_RAW(1, BPF_PSEUDO_MAP_IDX, 0, 0), EXIT());

	UNUSED;
	REJECTS(EPROTO, "ld_imm64 at pc 1 uses BPF_PSEUDO_MAP_IDX, which indexes an array of maps only the object loader has");
}

TEST(test_map_value_ebadf)
{
	PROG(MOV64_IMM(0, 0), LD_IMM64(2, 5), LD_IMM64_RAW(1, BPF_PSEUDO_MAP_VALUE, 7, 16),
	     EXIT());

	UNUSED;
	REJECTS(EBADF, "ld_imm64 at pc 3 refers to map id 7, but this runtime has no such map");
}

TEST(test_map_idx_value_eproto)
{
	PROG(MOV64_IMM(0, 0), LD_IMM64_RAW(1, BPF_PSEUDO_MAP_IDX_VALUE, 2, 8), EXIT());

	UNUSED;
	REJECTS(EPROTO, "ld_imm64 at pc 1 uses BPF_PSEUDO_MAP_IDX_VALUE, which indexes an array of maps only the object loader has");
}

/* ---- other load-time rejections -------------------------------------------- */

TEST(test_prog_type_unsupported)
{
	UEBPF_OPTS(uebpf_prog_load_opts, o, .log_buf = logbuf,
		   .log_size = sizeof(logbuf), .log_level = 1);
	const struct bpf_insn p[] = { MOV64_IMM(0, 2), EXIT() };

	UNUSED;
	errno = 0;
	assert_null(uebpf_prog_load(rt, BPF_PROG_TYPE_SCHED_CLS, p, 2, &o));
	assert_int_equal(errno, EOPNOTSUPP);
	assert_non_null(strstr(logbuf, "program type SCHED_CLS (3) is not supported"));
}

/* ---- the log buffer --------------------------------------------------------- */

/* First rejection of a program that fails at pc 1 with a long message. */
static const struct bpf_insn long_msg_prog[] = {
	MOV64_IMM(0, 0),
	INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, 1),
	EXIT(),
};
static const char long_msg[] =
	"kfunc call at pc 1: kernel functions do not exist in user space\n";

TEST(test_log_truncation)
{
	size_t sizes[] = { 1, 2, 8, 20, sizeof(long_msg) - 1, sizeof(long_msg) };
	unsigned char area[256];
	size_t i, j;

	UNUSED;
	for (i = 0; i < ARRAY_LEN(sizes); i++) {
		size_t sz = sizes[i];
		UEBPF_OPTS(uebpf_prog_load_opts, o, .log_buf = (char *)area,
			   .log_size = sz, .log_level = 1);

		memset(area, 0xcc, sizeof(area));
		errno = 0;
		assert_null(uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC,
					    long_msg_prog,
					    ARRAY_LEN(long_msg_prog), &o));
		assert_int_equal(errno, EINVAL);
		/* NUL-terminated inside the buffer, with the start of the
		 * message; nothing written past log_size. */
		assert_non_null(memchr(area, '\0', sz));
		assert_int_equal(strlen((char *)area), sz - 1);
		assert_memory_equal(area, long_msg, sz - 1);
		for (j = sz; j < sizeof(area); j++)
			if (area[j] != 0xcc)
				fail_msg("log_size %zu: byte %zu past the buffer was written",
					 sz, j);
	}
}

TEST(test_log_fits_exactly)
{
	char area[sizeof(long_msg) + 16];
	UEBPF_OPTS(uebpf_prog_load_opts, o, .log_buf = area,
		   .log_size = sizeof(long_msg), .log_level = 1);

	UNUSED;
	memset(area, 0x7f, sizeof(area));
	assert_null(uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, long_msg_prog,
				    ARRAY_LEN(long_msg_prog), &o));
	assert_string_equal(area, long_msg);
	assert_int_equal(area[sizeof(long_msg)], 0x7f);
}

TEST(test_log_level_0_with_buf_is_einval)
{
	char area[256], want[256];
	UEBPF_OPTS(uebpf_prog_load_opts, o, .log_buf = area,
		   .log_size = sizeof(area), .log_level = 0);

	UNUSED;
	memset(area, 'Z', sizeof(area));
	memset(want, 'Z', sizeof(want));
	errno = 0;
	assert_null(uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, long_msg_prog,
				    ARRAY_LEN(long_msg_prog), &o));
	/* As the kernel: a log_buf without a log_level is refused before
	 * anything is written to it. */
	assert_int_equal(errno, EINVAL);
	assert_memory_equal(area, want, sizeof(area));
}

TEST(test_log_level_unknown_bits_is_einval)
{
	char area[64];
	UEBPF_OPTS(uebpf_prog_load_opts, o, .log_buf = area,
		   .log_size = sizeof(area), .log_level = 8);
	const struct bpf_insn p[] = { MOV64_IMM(0, 0), EXIT() };

	UNUSED;
	errno = 0;
	assert_null(uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, p, 2, &o));
	assert_int_equal(errno, EINVAL);
	o.log_level = 7;
	struct uebpf_prog *prog =
		uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, p, 2, &o);
	assert_non_null(prog);
	uebpf_prog_free(prog);
}

TEST(test_log_buf_without_size)
{
	char area[64];
	UEBPF_OPTS(uebpf_prog_load_opts, o, .log_buf = area, .log_size = 0,
		   .log_level = 1);
	const struct bpf_insn p[] = { MOV64_IMM(0, 0), EXIT() };

	UNUSED;
	memset(area, 'Q', sizeof(area));
	errno = 0;
	assert_null(uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, p, 2, &o));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(area[0], 'Q');
}

TEST(test_log_size_without_buf)
{
	UEBPF_OPTS(uebpf_prog_load_opts, o, .log_buf = NULL, .log_size = 64,
		   .log_level = 1);
	const struct bpf_insn p[] = { MOV64_IMM(0, 0), EXIT() };

	UNUSED;
	errno = 0;
	assert_null(uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, p, 2, &o));
	assert_int_equal(errno, EINVAL);
}

TEST(test_success_leaves_log_empty)
{
	PROG(MOV64_IMM(0, 0), EXIT());

	UNUSED;
	ACCEPTS(); /* checks logbuf == "" */
}

/* ---- instructions that must be accepted ------------------------------------- */

TEST(test_accepts_full_isa_sample)
{
	PROG(MOV64_IMM(0, 1), MOV32_IMM(1, 2), SALU64_IMM(BPF_DIV, 0, 1),
	     SALU32_REG(BPF_MOD, 0, 1), MOVSX64_REG(2, 1, 8),
	     MOVSX64_REG(2, 1, 16), MOVSX64_REG(2, 1, 32),
	     MOVSX32_REG(2, 1, 8), MOVSX32_REG(2, 1, 16), NEG32(2), NEG64(2),
	     TO_LE(2, 16), TO_BE(2, 32), BSWAP(2, 64),
	     ST_MEM(BPF_DW, 10, -8, 0), LDX_MEMSX(BPF_B, 3, 10, -8),
	     LDX_MEMSX(BPF_H, 3, 10, -8), LDX_MEMSX(BPF_W, 3, 10, -8),
	     ATOMIC(BPF_DW, BPF_XCHG, 10, 3, -8),
	     ATOMIC(BPF_W, BPF_AND | BPF_FETCH, 10, 3, -8),
	     ATOMIC(BPF_W, BPF_CMPXCHG, 10, 3, -8),
	     ATOMIC(BPF_DW, BPF_XOR, 10, 3, -8),
	     JMP32_IMM(BPF_JSLE, 0, -1, 1), JA32(0), LD_IMM64(4, 0x123456789ull),
	     EXIT());

	UNUSED;
	ACCEPTS();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_program),
		cmocka_unit_test(test_too_many_insns),
		cmocka_unit_test(test_max_insns_accepted),
		cmocka_unit_test(test_invalid_dst_reg),
		cmocka_unit_test(test_invalid_src_reg),
		cmocka_unit_test(test_invalid_reg_15),
		cmocka_unit_test(test_unknown_alu_e4),
		cmocka_unit_test(test_unknown_alu_f4),
		cmocka_unit_test(test_unknown_alu64_ef),
		cmocka_unit_test(test_unknown_alu64_f7),
		cmocka_unit_test(test_unknown_alu64_end_x),
		cmocka_unit_test(test_unknown_neg_x),
		cmocka_unit_test(test_unknown_neg32_x),
		cmocka_unit_test(test_unknown_jmp_f5),
		cmocka_unit_test(test_unknown_jmp32_fe),
		cmocka_unit_test(test_unknown_jmp32_call),
		cmocka_unit_test(test_unknown_jmp32_exit),
		cmocka_unit_test(test_unknown_exit_x),
		cmocka_unit_test(test_unknown_ja_x),
		cmocka_unit_test(test_unknown_ja32_x),
		cmocka_unit_test(test_unknown_jcond_x),
		cmocka_unit_test(test_unknown_jmp32_jcond),
		cmocka_unit_test(test_unknown_ld_imm_w),
		cmocka_unit_test(test_unknown_ld_mem),
		cmocka_unit_test(test_unknown_ld_imm_b),
		cmocka_unit_test(test_unknown_ldx_memsx_dw),
		cmocka_unit_test(test_unknown_ldx_imm),
		cmocka_unit_test(test_unknown_ldx_atomic),
		cmocka_unit_test(test_unknown_stx_atomic_b),
		cmocka_unit_test(test_unknown_stx_atomic_h),
		cmocka_unit_test(test_unknown_stx_abs),
		cmocka_unit_test(test_unknown_stx_memsx),
		cmocka_unit_test(test_unknown_st_atomic),
		cmocka_unit_test(test_unknown_st_imm),
		cmocka_unit_test(test_unknown_st_memsx),
		cmocka_unit_test(test_ld_abs),
		cmocka_unit_test(test_ld_ind),
		cmocka_unit_test(test_ld_imm64_no_second_half),
		cmocka_unit_test(test_ld_imm64_only_insn),
		cmocka_unit_test(test_ld_imm64_reserved_off),
		cmocka_unit_test(test_ld_imm64_reserved_second_code),
		cmocka_unit_test(test_ld_imm64_reserved_second_dst),
		cmocka_unit_test(test_ld_imm64_reserved_second_src),
		cmocka_unit_test(test_ld_imm64_reserved_second_off),
		cmocka_unit_test(test_ld_imm64_second_half_reg_12),
		cmocka_unit_test(test_ld_imm64_map_fd_second_imm),
		cmocka_unit_test(test_ld_imm64_map_idx_second_imm),
		cmocka_unit_test(test_ld_imm64_func_second_imm),
		cmocka_unit_test(test_ld_imm64_btf_id),
		cmocka_unit_test(test_ld_imm64_unknown_src),
		cmocka_unit_test(test_r10_alu64_write),
		cmocka_unit_test(test_r10_alu32_write),
		cmocka_unit_test(test_r10_neg_write),
		cmocka_unit_test(test_r10_bswap_write),
		cmocka_unit_test(test_r10_ldx_write),
		cmocka_unit_test(test_r10_ldx_memsx_write),
		cmocka_unit_test(test_r10_lddw_write),
		cmocka_unit_test(test_r10_atomic_fetch_write),
		cmocka_unit_test(test_r10_atomic_xchg_write),
		cmocka_unit_test(test_r10_atomic_or_fetch_write),
		cmocka_unit_test(test_r10_reads_accepted),
		cmocka_unit_test(test_reserved_ldx_imm),
		cmocka_unit_test(test_reserved_st_src),
		cmocka_unit_test(test_reserved_stx_imm),
		cmocka_unit_test(test_reserved_alu_k_with_src),
		cmocka_unit_test(test_reserved_alu32_k_with_src),
		cmocka_unit_test(test_reserved_alu_x_with_imm),
		cmocka_unit_test(test_reserved_alu_off_nonzero),
		cmocka_unit_test(test_reserved_div_off_2),
		cmocka_unit_test(test_reserved_mod32_off_minus1),
		cmocka_unit_test(test_reserved_mov_x_off_24),
		cmocka_unit_test(test_reserved_mov32_x_off_32),
		cmocka_unit_test(test_reserved_mov_k_off_8),
		cmocka_unit_test(test_reserved_neg_imm),
		cmocka_unit_test(test_reserved_neg_src),
		cmocka_unit_test(test_reserved_neg_off),
		cmocka_unit_test(test_end_imm_8),
		cmocka_unit_test(test_bswap_imm_0),
		cmocka_unit_test(test_reserved_end_src),
		cmocka_unit_test(test_reserved_end_off),
		cmocka_unit_test(test_reserved_ja_imm),
		cmocka_unit_test(test_reserved_ja_dst),
		cmocka_unit_test(test_reserved_ja32_off),
		cmocka_unit_test(test_reserved_ja32_src),
		cmocka_unit_test(test_reserved_call_off),
		cmocka_unit_test(test_reserved_call_dst),
		cmocka_unit_test(test_reserved_call_unknown_src),
		cmocka_unit_test(test_reserved_local_call_off),
		cmocka_unit_test(test_reserved_callx_imm),
		cmocka_unit_test(test_reserved_callx_src),
		cmocka_unit_test(test_reserved_callx_off),
		cmocka_unit_test(test_reserved_exit_dst),
		cmocka_unit_test(test_reserved_exit_src),
		cmocka_unit_test(test_reserved_exit_off),
		cmocka_unit_test(test_reserved_exit_imm),
		cmocka_unit_test(test_reserved_jcond_k_src),
		cmocka_unit_test(test_reserved_jmp32_k_src),
		cmocka_unit_test(test_reserved_jcond_x_imm),
		cmocka_unit_test(test_unknown_atomic_op),
		cmocka_unit_test(test_unknown_atomic_op_mul_fetch),
		cmocka_unit_test(test_unknown_atomic_op_xchg_no_fetch),
		cmocka_unit_test(test_unknown_atomic_op_cmpxchg_no_fetch),
		cmocka_unit_test(test_unknown_atomic_op_sub),
		cmocka_unit_test(test_kfunc_call),
		cmocka_unit_test(test_may_goto),
		cmocka_unit_test(test_unknown_helper_big_id),
		cmocka_unit_test(test_unknown_helper_negative_id),
		cmocka_unit_test(test_unknown_helper_named),
		cmocka_unit_test(test_unknown_helper_within_table),
		cmocka_unit_test(test_known_helpers_accepted),
		cmocka_unit_test(test_jump_out_of_range_forward),
		cmocka_unit_test(test_jump_out_of_range_just_past_end),
		cmocka_unit_test(test_jump_out_of_range_backward),
		cmocka_unit_test(test_jump_out_of_range_far_backward),
		cmocka_unit_test(test_ja32_out_of_range),
		cmocka_unit_test(test_local_call_out_of_range),
		cmocka_unit_test(test_callback_ref_out_of_range),
		cmocka_unit_test(test_jump_into_ld_imm64),
		cmocka_unit_test(test_call_into_ld_imm64),
		cmocka_unit_test(test_jump_across_subprog_into_callee),
		cmocka_unit_test(test_jump_across_subprog_into_caller),
		cmocka_unit_test(test_falls_off_end_main),
		cmocka_unit_test(test_falls_off_end_conditional),
		cmocka_unit_test(test_falls_off_end_ld_imm64),
		cmocka_unit_test(test_falls_off_end_main_into_subprog),
		cmocka_unit_test(test_falls_off_end_last_subprog),
		cmocka_unit_test(test_ends_with_ja_accepted),
		cmocka_unit_test(test_unreachable_after_ja),
		cmocka_unit_test(test_unreachable_after_exit),
		cmocka_unit_test(test_unreachable_ld_imm64),
		cmocka_unit_test(test_recursion_direct),
		cmocka_unit_test(test_recursion_mutual),
		cmocka_unit_test(test_recursion_into_main),
		cmocka_unit_test(test_call_depth_8_ok),
		cmocka_unit_test(test_call_depth_9_rejected),
		cmocka_unit_test(test_call_chain_200k_no_stack_overflow),
		cmocka_unit_test(test_call_depth_wide_ok),
		cmocka_unit_test(test_callback_ref_splits_subprog),
		cmocka_unit_test(test_callback_ref_accepted),
		cmocka_unit_test(test_map_fd_ebadf),
		cmocka_unit_test(test_map_idx_eproto),
		cmocka_unit_test(test_map_value_ebadf),
		cmocka_unit_test(test_map_idx_value_eproto),
		cmocka_unit_test(test_prog_type_unsupported),
		cmocka_unit_test(test_log_truncation),
		cmocka_unit_test(test_log_fits_exactly),
		cmocka_unit_test(test_log_level_0_with_buf_is_einval),
		cmocka_unit_test(test_log_level_unknown_bits_is_einval),
		cmocka_unit_test(test_log_buf_without_size),
		cmocka_unit_test(test_log_size_without_buf),
		cmocka_unit_test(test_success_leaves_log_empty),
		cmocka_unit_test(test_accepts_full_isa_sample),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
