/* SPDX-License-Identifier: MIT */
/*
 * Instruction builders for the unit tests.  Each macro is an expression of
 * type struct bpf_insn (a compound literal), so programs are written as
 *
 *	const struct bpf_insn prog[] = { MOV64_IMM(0, 1), EXIT() };
 *
 * LD_IMM64 and LD_IMM64_RAW expand to two instructions and may only be
 * used inside such an array initializer.
 */
#ifndef UEBPF_TESTS_INSN_H
#define UEBPF_TESTS_INSN_H

#include <stdint.h>
#include <linux/bpf.h>

/* Newer than the 6.1 UAPI header of Debian 12. */
#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80
#endif
#ifndef BPF_JCOND
#define BPF_JCOND 0xe0
#endif

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Any instruction, fields as given. */
#define INSN(CODE, DST, SRC, OFF, IMM)                                         \
	((struct bpf_insn){ .code = (uint8_t)(CODE),                           \
			    .dst_reg = (DST),                                  \
			    .src_reg = (SRC),                                  \
			    .off = (int16_t)(OFF),                             \
			    .imm = (int32_t)(IMM) })

/* ALU: OP is BPF_ADD, BPF_SUB, ... */
#define ALU64_IMM(OP, DST, IMM) INSN(BPF_ALU64 | (OP) | BPF_K, DST, 0, 0, IMM)
#define ALU64_REG(OP, DST, SRC) INSN(BPF_ALU64 | (OP) | BPF_X, DST, SRC, 0, 0)
#define ALU32_IMM(OP, DST, IMM) INSN(BPF_ALU | (OP) | BPF_K, DST, 0, 0, IMM)
#define ALU32_REG(OP, DST, SRC) INSN(BPF_ALU | (OP) | BPF_X, DST, SRC, 0, 0)
/* Signed division and modulo (off 1). */
#define SALU64_IMM(OP, DST, IMM) INSN(BPF_ALU64 | (OP) | BPF_K, DST, 0, 1, IMM)
#define SALU64_REG(OP, DST, SRC) INSN(BPF_ALU64 | (OP) | BPF_X, DST, SRC, 1, 0)
#define SALU32_IMM(OP, DST, IMM) INSN(BPF_ALU | (OP) | BPF_K, DST, 0, 1, IMM)
#define SALU32_REG(OP, DST, SRC) INSN(BPF_ALU | (OP) | BPF_X, DST, SRC, 1, 0)

#define MOV64_IMM(DST, IMM) ALU64_IMM(BPF_MOV, DST, IMM)
#define MOV64_REG(DST, SRC) ALU64_REG(BPF_MOV, DST, SRC)
#define MOV32_IMM(DST, IMM) ALU32_IMM(BPF_MOV, DST, IMM)
#define MOV32_REG(DST, SRC) ALU32_REG(BPF_MOV, DST, SRC)
/* Sign-extending moves: BITS is 8, 16 (or 32 for the 64-bit form). */
#define MOVSX64_REG(DST, SRC, BITS)                                            \
	INSN(BPF_ALU64 | BPF_MOV | BPF_X, DST, SRC, BITS, 0)
#define MOVSX32_REG(DST, SRC, BITS)                                            \
	INSN(BPF_ALU | BPF_MOV | BPF_X, DST, SRC, BITS, 0)
#define NEG64(DST) INSN(BPF_ALU64 | BPF_NEG, DST, 0, 0, 0)
#define NEG32(DST) INSN(BPF_ALU | BPF_NEG, DST, 0, 0, 0)
/* Byte swaps: WIDTH 16, 32, 64. */
#define TO_LE(DST, WIDTH) INSN(BPF_ALU | BPF_END | BPF_TO_LE, DST, 0, 0, WIDTH)
#define TO_BE(DST, WIDTH) INSN(BPF_ALU | BPF_END | BPF_TO_BE, DST, 0, 0, WIDTH)
#define BSWAP(DST, WIDTH) INSN(BPF_ALU64 | BPF_END | BPF_TO_LE, DST, 0, 0, WIDTH)

/* 64-bit immediate load: two instruction slots. */
#define LD_IMM64_RAW(DST, SRC, LO, HI)                                         \
	INSN(BPF_LD | BPF_DW | BPF_IMM, DST, SRC, 0, LO), INSN(0, 0, 0, 0, HI)
#define LD_IMM64(DST, VAL)                                                     \
	LD_IMM64_RAW(DST, 0, (uint32_t)(uint64_t)(VAL),                        \
		     (uint32_t)((uint64_t)(VAL) >> 32))

/* Memory: SIZE is BPF_B, BPF_H, BPF_W, BPF_DW. */
#define LDX_MEM(SIZE, DST, SRC, OFF)                                           \
	INSN(BPF_LDX | BPF_MEM | (SIZE), DST, SRC, OFF, 0)
#define LDX_MEMSX(SIZE, DST, SRC, OFF)                                         \
	INSN(BPF_LDX | BPF_MEMSX | (SIZE), DST, SRC, OFF, 0)
#define STX_MEM(SIZE, DST, SRC, OFF)                                           \
	INSN(BPF_STX | BPF_MEM | (SIZE), DST, SRC, OFF, 0)
#define ST_MEM(SIZE, DST, OFF, IMM) INSN(BPF_ST | BPF_MEM | (SIZE), DST, 0, OFF, IMM)
/* OP is BPF_ADD, BPF_ADD | BPF_FETCH, BPF_XCHG, BPF_CMPXCHG, ... */
#define ATOMIC(SIZE, OP, DST, SRC, OFF)                                        \
	INSN(BPF_STX | BPF_ATOMIC | (SIZE), DST, SRC, OFF, OP)

/* Jumps: OP is BPF_JEQ, BPF_JGT, ...; OFF relative to the next insn. */
#define JMP_IMM(OP, DST, IMM, OFF) INSN(BPF_JMP | (OP) | BPF_K, DST, 0, OFF, IMM)
#define JMP_REG(OP, DST, SRC, OFF) INSN(BPF_JMP | (OP) | BPF_X, DST, SRC, OFF, 0)
#define JMP32_IMM(OP, DST, IMM, OFF)                                           \
	INSN(BPF_JMP32 | (OP) | BPF_K, DST, 0, OFF, IMM)
#define JMP32_REG(OP, DST, SRC, OFF)                                           \
	INSN(BPF_JMP32 | (OP) | BPF_X, DST, SRC, OFF, 0)
#define JA(OFF) INSN(BPF_JMP | BPF_JA, 0, 0, OFF, 0)
#define JA32(IMM) INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, IMM)

/* Calls: a helper by id, a subprogram at a relative offset, a helper whose
 * id is in register REG. */
#define CALL_HELPER(ID) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, ID)
#define CALL_LOCAL(REL) INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, REL)
#define CALLX(REG) INSN(BPF_JMP | BPF_CALL | BPF_X, REG, 0, 0, 0)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#endif /* UEBPF_TESTS_INSN_H */
