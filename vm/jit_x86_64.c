/* SPDX-License-Identifier: MIT */
/*
 * The x86-64 JIT.
 *
 * Registers.  BPF registers live in x86 registers for the whole run, as
 * in the kernel's JIT, chosen so that a helper call needs no moves: the
 * SysV argument registers are BPF r1..r5 and the run context, the sixth
 * argument, is kept in r12.
 *
 *	r0 rax   r1 rdi   r2 rsi   r3 rdx   r4 rcx   r5 r8
 *	r6 rbx   r7 r13   r8 r14   r9 r15   r10 rbp  (ctx) r12
 *
 * r9, r10 and r11 are scratch; r11 is also the blinded constant ("AX").
 *
 * Frames.  Every function (main, each subprogram, bpf_loop callbacks)
 * has the same frame, so a tail call can land in another program's code
 * past its prologue and its exits still unwind the frame it landed in:
 *
 *	push rbp, rbx, r12, r13, r14, r15; mov rbp, rsp; sub rsp, 520
 *
 * The BPF stack is [rbp - 512, rbp); rsp stays 16-byte aligned in the
 * body, so helpers are called as they are.  An exit is mov rsp, rbp, the
 * pops and ret: main's returns r0 to uebpf_jit_run().
 *
 * Jumps take their shortest form: the program is emitted again, with the
 * addresses of the previous pass, until no instruction moves; the last
 * pass writes into a read-write mapping that is then made read-only and
 * executable.
 *
 * Checked code.  Programs the verifier has not proven safe (raw programs)
 * are compiled with a check before every load, store and atomic: a call
 * to a stub that asks uebpf_interp_check_access() whether the run may
 * touch those bytes (the frames in use, which the code keeps in the run
 * context, then the interpreter's regions), and leaves the run from any
 * depth with -EFAULT when not.  Tail calls, bpf_loop and callbacks need
 * proofs only the verifier gives: programs using them are left to the
 * interpreter.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "../lib/internal.h"
#include "../maps/array.h"
#include "../maps/map.h"
#include "verifier.h"

#if defined(__x86_64__)

#define MAX_TAIL_CALL_CNT 33
#define MAX_LOOPS (8u * 1024 * 1024)
#define FRAME 520 /* 512 of BPF stack, 8 to keep rsp aligned */

enum {
	RAX = 0, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
	R8, R9, R10, R11, R12, R13, R14, R15,
};
#define AUX 11 /* BPF-side name of the blinded constant's register */

static const uint8_t xreg[12] = {
	[0] = RAX, [1] = RDI, [2] = RSI, [3] = RDX, [4] = RCX, [5] = R8,
	[6] = RBX, [7] = R13, [8] = R14, [9] = R15, [10] = RBP, [AUX] = R11,
};

struct jit {
	const struct uebpf_prog *prog;
	const struct bpf_insn *insns;
	size_t cnt;
	bool checked, blind;
	uint8_t *buf;
	size_t len, cap;
	bool oom;
	/* Body of instruction i (its prologue first, for a function start)
	 * and, for function starts, the prologue: old from the previous
	 * pass, new being made. */
	uint32_t *old, *cur, *fold, *fcur;
	bool *func;
	/* Stubs at the end (checked code), old and new. */
	uint32_t stub_check, stub_fault, stub_e2big;
	uint32_t nstub_check, nstub_fault, nstub_e2big;
	bool first; /* first pass: every jump long */
	bool too_far; /* a jump within an instruction's code overflowed */
	uint64_t rnd;
};

/* ---- bytes ---------------------------------------------------------------- */

static void emit(struct jit *j, const void *p, size_t n)
{
	if (j->len + n > j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 4096;
		uint8_t *b;

		while (cap < j->len + n)
			cap *= 2;
		b = realloc(j->buf, cap);
		if (!b) {
			j->oom = true;
			j->len += n;
			return;
		}
		j->buf = b;
		j->cap = cap;
	}
	if (!j->oom)
		memcpy(j->buf + j->len, p, n);
	j->len += n;
}

static void e1(struct jit *j, uint8_t b)
{
	emit(j, &b, 1);
}

static void e2(struct jit *j, uint8_t a, uint8_t b)
{
	uint8_t v[2] = { a, b };

	emit(j, v, 2);
}

static void e4(struct jit *j, uint32_t v)
{
	emit(j, &v, 4);
}

static void e8(struct jit *j, uint64_t v)
{
	emit(j, &v, 8);
}

static bool is_imm8(int64_t v)
{
	return v >= -128 && v <= 127;
}

static bool is_simm32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

/* REX with W, and the high bits of reg (ModRM.reg), index and base. */
static void rex(struct jit *j, bool w, int reg, int index, int base,
		bool force)
{
	uint8_t r = 0x40 | (w << 3) | ((reg & 8) >> 1) | ((index & 8) >> 2) |
		    ((base & 8) >> 3);

	if (r != 0x40 || force)
		e1(j, r);
}

/* ModRM for register-direct operands. */
static void modrm_rr(struct jit *j, int reg, int rm)
{
	e1(j, 0xc0 | ((reg & 7) << 3) | (rm & 7));
}

/* ModRM (+ SIB, displacement) for [base + disp]. */
static void modrm_mem(struct jit *j, int reg, int base, int32_t disp)
{
	int mod = disp == 0 && (base & 7) != RBP ? 0 : is_imm8(disp) ? 1 : 2;

	e1(j, (mod << 6) | ((reg & 7) << 3) | (base & 7));
	if ((base & 7) == RSP)
		e1(j, 0x24);
	if (mod == 1)
		e1(j, (uint8_t)disp);
	else if (mod == 2)
		e4(j, (uint32_t)disp);
}

/* op reg, rm (register-direct); opcode 0x0f-prefixed when op > 0xff. */
static void op_rr(struct jit *j, bool w, unsigned int op, int reg, int rm)
{
	rex(j, w, reg, 0, rm, false);
	if (op > 0xff)
		e1(j, op >> 8);
	e1(j, op & 0xff);
	modrm_rr(j, reg, rm);
}

static void op_rm(struct jit *j, bool w, unsigned int op, int reg, int base,
		  int32_t disp, bool byte_reg)
{
	/* sil/dil (6, 7) need a REX to be byte registers at all */
	rex(j, w, reg, 0, base, byte_reg && reg >= 4);
	if (op > 0xff)
		e1(j, op >> 8);
	e1(j, op & 0xff);
	modrm_mem(j, reg, base, disp);
}

/* ALU with an immediate: 0x83 /ext ib or 0x81 /ext id. */
static void alu_ri(struct jit *j, bool w, int ext, int rm, int32_t imm,
		   bool long_form)
{
	rex(j, w, 0, 0, rm, false);
	if (is_imm8(imm) && !long_form) {
		e1(j, 0x83);
		modrm_rr(j, ext, rm);
		e1(j, (uint8_t)imm);
	} else {
		e1(j, 0x81);
		modrm_rr(j, ext, rm);
		e4(j, (uint32_t)imm);
	}
}

static void mov_rr(struct jit *j, bool w, int dst, int src)
{
	op_rr(j, w, 0x89, src, dst);
}

/* dst = imm as BPF's 32-bit (zero-extended) or 64-bit (sign-extended)
 * mov; exact keeps the length independent of the value (blinding). */
static void mov_ri(struct jit *j, bool w, int dst, int32_t imm, bool exact)
{
	if (!exact && imm == 0) {
		op_rr(j, false, 0x31, dst, dst); /* xor r32, r32 */
		return;
	}
	if (w && (imm < 0 || exact)) {
		rex(j, true, 0, 0, dst, false);
		e1(j, 0xc7);
		modrm_rr(j, 0, dst);
	} else {
		rex(j, false, 0, 0, dst, false);
		e1(j, 0xb8 + (dst & 7));
	}
	e4(j, (uint32_t)imm);
}

static void mov_r64(struct jit *j, int dst, uint64_t v)
{
	if (v <= UINT32_MAX) {
		mov_ri(j, false, dst, (int32_t)(uint32_t)v, false);
	} else if (is_simm32((int64_t)v)) {
		mov_ri(j, true, dst, (int32_t)v, false);
	} else {
		rex(j, true, 0, 0, dst, false);
		e1(j, 0xb8 + (dst & 7));
		e8(j, v);
	}
}

static void movabs(struct jit *j, int dst, uint64_t v)
{
	rex(j, true, 0, 0, dst, false);
	e1(j, 0xb8 + (dst & 7));
	e8(j, v);
}

static void push(struct jit *j, int r)
{
	rex(j, false, 0, 0, r, false);
	e1(j, 0x50 + (r & 7));
}

static void pop(struct jit *j, int r)
{
	rex(j, false, 0, 0, r, false);
	e1(j, 0x58 + (r & 7));
}

static void call_reg(struct jit *j, int r)
{
	rex(j, false, 0, 0, r, false);
	e2(j, 0xff, 0xd0 | (r & 7));
}

static void call_abs(struct jit *j, const void *fn)
{
	movabs(j, R10, (uintptr_t)fn);
	call_reg(j, R10);
}

/* ---- jumps -------------------------------------------------------------- */

/* A jump (cc < 0: jmp) to image offset target: known from the previous
 * pass, or earlier in this instruction's code; rel8 when it fits (never
 * in the first pass). */
static void jump_to(struct jit *j, int cc, uint32_t target)
{
	int64_t rel8 = (int64_t)target - (int64_t)(j->len + 2);

	if (!j->first && is_imm8(rel8)) {
		e2(j, cc < 0 ? 0xeb : 0x70 | cc, (uint8_t)rel8);
		return;
	}
	if (cc < 0) {
		e1(j, 0xe9);
		e4(j, (uint32_t)((int64_t)target - (int64_t)(j->len + 4)));
	} else {
		e2(j, 0x0f, 0x80 | cc);
		e4(j, (uint32_t)((int64_t)target - (int64_t)(j->len + 4)));
	}
}

static void call_to(struct jit *j, uint32_t target)
{
	e1(j, 0xe8);
	e4(j, (uint32_t)((int64_t)target - (int64_t)(j->len + 4)));
}

/* A short forward jump within one instruction's code: returns where its
 * rel8 is, for patch_here(). */
static size_t jcc8(struct jit *j, int cc)
{
	e2(j, cc < 0 ? 0xeb : 0x70 | cc, 0);
	return j->len - 1;
}

static void patch_here(struct jit *j, size_t at)
{
	size_t d = j->len - at - 1;

	if (d > 127)
		j->too_far = true;
	if (!j->oom)
		j->buf[at] = (uint8_t)d;
}

enum { CC_B = 2, CC_AE = 3, CC_E = 4, CC_NE = 5, CC_BE = 6, CC_A = 7,
       CC_L = 0xc, CC_GE = 0xd, CC_LE = 0xe, CC_G = 0xf };

/* ---- prologue and epilogue ------------------------------------------------ */

static void prologue(struct jit *j, bool main)
{
	static const int saved[] = { RBP, RBX, R12, R13, R14, R15 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(saved); i++)
		push(j, saved[i]);
	if (j->checked) {
		/* Checked code: the BPF stack is the interpreter's, one zeroed
		 * block of 8 frames, each callee's 512 bytes below its
		 * caller's, and regions[0] is the frames in use, grown here
		 * and shrunk at the exit as the interpreter does at calls
		 * (the call site checked the depth); the native frame only
		 * keeps rsp aligned. */
		alu_ri(j, true, 5, RSP, 8, false);
		if (main) {
			mov_rr(j, true, R12, RDX);
			op_rm(j, true, 0x89, RSP, R12,
			      offsetof(struct uebpf_run_ctx, jit_sp), false);
		}
		op_rm(j, true, 0x8b, R11, R12,
		      offsetof(struct uebpf_run_ctx, regions), false);
		if (main) /* rbp = regions[0].hi, the top of the block */
			op_rm(j, true, 0x8b, RBP, R11,
			      offsetof(struct uebpf_region, hi), false);
		else
			op_rm(j, true, 0x8d, RBP, RBP, -UEBPF_STACK_SIZE,
			      false);
		/* sub qword [r11 + lo], 512 */
		op_rm(j, true, 0x81, 5, R11, offsetof(struct uebpf_region, lo),
		      false);
		e4(j, UEBPF_STACK_SIZE);
		if (main) {
			/* As the interpreter's checked runs: the registers
			 * r1 and r2 do not set start at 0. */
			static const int zero[] = { RAX, RDX, RCX, R8, RBX,
						    R13, R14, R15 };

			for (i = 0; i < ARRAY_SIZE(zero); i++)
				op_rr(j, false, 0x31, zero[i], zero[i]);
		}
		return;
	}
	mov_rr(j, true, RBP, RSP);
	alu_ri(j, true, 5, RSP, FRAME, false); /* sub rsp, FRAME */
	if (main) {
		mov_rr(j, true, R12, RDX);
		/* mov [r12 + jit_sp], rbp */
		op_rm(j, true, 0x89, RBP, R12,
		      offsetof(struct uebpf_run_ctx, jit_sp), false);
	}
}

/* From the stack pointer the prologue left: pop what it pushed, return. */
static void pops(struct jit *j)
{
	pop(j, R15);
	pop(j, R14);
	pop(j, R13);
	pop(j, R12);
	pop(j, RBX);
	pop(j, RBP);
	e1(j, 0xc3);
}

static void epilogue(struct jit *j)
{
	if (j->checked) { /* add qword [regions + lo], 512 */
		op_rm(j, true, 0x8b, R11, R12,
		      offsetof(struct uebpf_run_ctx, regions), false);
		op_rm(j, true, 0x81, 0, R11, offsetof(struct uebpf_region, lo),
		      false);
		e4(j, UEBPF_STACK_SIZE);
		alu_ri(j, true, 0, RSP, 8, false);
	} else {
		mov_rr(j, true, RSP, RBP);
	}
	pops(j);
}

/* ---- blinding ------------------------------------------------------------- */

static uint32_t next_key(struct jit *j)
{
	/* xorshift64*: keys only have to be unpredictable from outside */
	j->rnd ^= j->rnd >> 12;
	j->rnd ^= j->rnd << 25;
	j->rnd ^= j->rnd >> 27;
	return (uint32_t)((j->rnd * 0x2545f4914f6cdd1dull) >> 32);
}

/* r11 = the 64-bit sign extension of imm, built from two constants
 * neither of which is imm. */
static void blind_imm(struct jit *j, int32_t imm)
{
	uint32_t key = next_key(j);

	mov_ri(j, true, R11, (int32_t)((uint32_t)imm ^ key), true);
	alu_ri(j, true, 6, R11, (int32_t)key, true); /* xor r11, key */
}

/* ---- instructions ----------------------------------------------------------- */

/* div/mod of dst by the value in r11 (already loaded: zero-extended
 * 32-bit or 64-bit); the zero and INT_MIN / -1 cases as the interpreter. */
static void divmod(struct jit *j, bool w, bool mod, bool sgn, int dst,
		   bool maybe_zero, bool maybe_m1)
{
	size_t z = 0, m1 = 0, done1 = 0, done2 = 0;

	if (maybe_zero) {
		op_rr(j, w, 0x85, R11, R11); /* test r11, r11 */
		z = jcc8(j, CC_NE);
		if (!mod)
			op_rr(j, false, 0x31, dst, dst);
		else if (!w)
			mov_rr(j, false, dst, dst);
		done1 = jcc8(j, -1);
		patch_here(j, z);
	}
	if (sgn && maybe_m1) {
		alu_ri(j, w, 7, R11, -1, false); /* cmp r11, -1 */
		m1 = jcc8(j, CC_NE);
		if (!mod) { /* neg dst */
			rex(j, w, 0, 0, dst, false);
			e2(j, 0xf7, 0xd8 | (dst & 7));
		} else {
			op_rr(j, false, 0x31, dst, dst);
		}
		done2 = jcc8(j, -1);
		patch_here(j, m1);
	}
	if (dst != RAX)
		mov_rr(j, true, R9, RAX);
	if (dst != RDX)
		mov_rr(j, true, R10, RDX);
	if (dst != RAX)
		mov_rr(j, true, RAX, dst);
	if (sgn) {
		rex(j, w, 0, 0, 0, false);
		e1(j, 0x99); /* cdq / cqo */
	} else {
		op_rr(j, false, 0x31, RDX, RDX);
	}
	rex(j, w, 0, 0, R11, false);
	e2(j, 0xf7, (sgn ? 0xf8 : 0xf0) | (R11 & 7)); /* (i)div r11 */
	mov_rr(j, w, dst, mod ? RDX : RAX);
	if (dst != RAX)
		mov_rr(j, true, RAX, R9);
	if (dst != RDX)
		mov_rr(j, true, RDX, R10);
	if (maybe_zero)
		patch_here(j, done1);
	if (sgn && maybe_m1)
		patch_here(j, done2);
}

/* Shift dst by cl, with the count in src. */
static void shift_x(struct jit *j, bool w, int ext, int dst, int src)
{
	if (src == RCX) {
		rex(j, w, 0, 0, dst, false);
		e2(j, 0xd3, 0xc0 | (ext << 3) | (dst & 7));
		return;
	}
	mov_rr(j, true, R10, RCX);
	mov_rr(j, true, RCX, src);
	if (dst == RCX) {
		rex(j, w, 0, 0, R10, false);
		e2(j, 0xd3, 0xc0 | (ext << 3) | (R10 & 7));
		mov_rr(j, true, RCX, R10);
		return;
	}
	rex(j, w, 0, 0, dst, false);
	e2(j, 0xd3, 0xc0 | (ext << 3) | (dst & 7));
	mov_rr(j, true, RCX, R10);
}

/*
 * Checked code: may the run touch [base + off, + size)?  An access to the
 * frame itself through r10 at a constant offset always may (every frame
 * of checked code is 512 bytes); one inside regions[1], the memory or
 * packet the run was given, is tested in line; anything else asks the
 * stub, which knows every region, the callers' frames and map values.
 */
static void checked_access(struct jit *j, size_t pc, int base, int16_t off,
			   unsigned int size, bool write, bool atomic)
{
	const size_t r1 = sizeof(struct uebpf_region);
	size_t wrap, below, above, ro = 0, ok;

	if (base == RBP && off >= -UEBPF_STACK_SIZE &&
	    off + (int)size <= 0 && (!atomic || !(off & (size - 1))))
		return;
	op_rm(j, true, 0x8d, R10, base, off, false); /* lea r10, [base+off] */
	if (!atomic) {
		op_rm(j, true, 0x8d, R9, R10, (int32_t)size, false);
		op_rr(j, true, 0x39, R10, R9); /* cmp r9, r10 */
		wrap = jcc8(j, CC_B);
		op_rm(j, true, 0x8b, R11, R12,
		      offsetof(struct uebpf_run_ctx, regions), false);
		op_rm(j, true, 0x3b, R10, R11,
		      (int32_t)(r1 + offsetof(struct uebpf_region, lo)), false);
		below = jcc8(j, CC_B);
		op_rm(j, true, 0x3b, R9, R11,
		      (int32_t)(r1 + offsetof(struct uebpf_region, hi)), false);
		above = jcc8(j, CC_A);
		if (write) { /* test byte [r11 + flags], RDONLY */
			op_rm(j, false, 0xf6, 0, R11,
			      (int32_t)(r1 + offsetof(struct uebpf_region,
						      flags)), false);
			e1(j, UEBPF_REGION_RDONLY);
			ro = jcc8(j, CC_NE);
		}
		ok = jcc8(j, -1);
		patch_here(j, wrap);
		patch_here(j, below);
		patch_here(j, above);
		if (write)
			patch_here(j, ro);
	}
	mov_ri(j, false, R11,
	       (int32_t)((pc << 8) | (atomic << 5) | (write << 4) | size),
	       true);
	call_to(j, j->stub_check);
	if (!atomic)
		patch_here(j, ok);
}

static void emit_load(struct jit *j, unsigned int sz, bool sx, int dst,
		      int base, int16_t off)
{
	switch (sz) {
	case BPF_B:
		op_rm(j, sx, sx ? 0x0fbe : 0x0fb6, dst, base, off, false);
		break;
	case BPF_H:
		op_rm(j, sx, sx ? 0x0fbf : 0x0fb7, dst, base, off, false);
		break;
	case BPF_W:
		op_rm(j, sx, sx ? 0x63 : 0x8b, dst, base, off, false);
		break;
	default:
		op_rm(j, true, 0x8b, dst, base, off, false);
		break;
	}
}

static void emit_store(struct jit *j, unsigned int sz, int src, int base,
		       int16_t off)
{
	switch (sz) {
	case BPF_B:
		op_rm(j, false, 0x88, src, base, off, true);
		break;
	case BPF_H:
		e1(j, 0x66);
		op_rm(j, false, 0x89, src, base, off, false);
		break;
	case BPF_W:
		op_rm(j, false, 0x89, src, base, off, false);
		break;
	default:
		op_rm(j, true, 0x89, src, base, off, false);
		break;
	}
}

static void emit_store_imm(struct jit *j, unsigned int sz, int base,
			   int16_t off, int32_t imm)
{
	switch (sz) {
	case BPF_B:
		op_rm(j, false, 0xc6, 0, base, off, false);
		e1(j, (uint8_t)imm);
		break;
	case BPF_H:
		e1(j, 0x66);
		op_rm(j, false, 0xc7, 0, base, off, false);
		e1(j, (uint8_t)imm);
		e1(j, (uint8_t)(imm >> 8));
		break;
	case BPF_W:
		op_rm(j, false, 0xc7, 0, base, off, false);
		e4(j, (uint32_t)imm);
		break;
	default:
		op_rm(j, true, 0xc7, 0, base, off, false);
		e4(j, (uint32_t)imm);
		break;
	}
}

static unsigned int size_bytes(unsigned int sz)
{
	return sz == BPF_B ? 1 : sz == BPF_H ? 2 : sz == BPF_W ? 4 : 8;
}

static void emit_atomic(struct jit *j, const struct bpf_insn *in)
{
	bool w = BPF_SIZE(in->code) == BPF_DW;
	int dst = xreg[in->dst_reg], src = xreg[in->src_reg];
	int16_t off = in->off;
	unsigned int op;

	switch (in->imm) {
	case BPF_ADD:
	case BPF_OR:
	case BPF_AND:
	case BPF_XOR:
		op = in->imm == BPF_ADD ? 0x01 : in->imm == BPF_OR ? 0x09 :
		     in->imm == BPF_AND ? 0x21 : 0x31;
		e1(j, 0xf0);
		op_rm(j, w, op, src, dst, off, false);
		return;
	case BPF_ADD | BPF_FETCH:
		e1(j, 0xf0);
		op_rm(j, w, 0x0fc1, src, dst, off, false); /* lock xadd */
		return;
	case BPF_XCHG:
		op_rm(j, w, 0x87, src, dst, off, false);
		return;
	case BPF_CMPXCHG:
		e1(j, 0xf0);
		op_rm(j, w, 0x0fb1, src, dst, off, false);
		if (!w)
			mov_rr(j, false, RAX, RAX);
		return;
	}
	/* or/and/xor with fetch: a cmpxchg loop.  r9 = address, r10 = r0,
	 * r11 = the new value; the operand is src (or r10 if src is r0). */
	op = in->imm == (BPF_OR | BPF_FETCH) ? 0x09 :
	     in->imm == (BPF_AND | BPF_FETCH) ? 0x21 : 0x31;
	op_rm(j, true, 0x8d, R9, dst, off, false);
	mov_rr(j, true, R10, RAX);
	op_rm(j, w, 0x8b, RAX, R9, 0, false);
	{
		size_t top = j->len;

		mov_rr(j, w, R11, RAX);
		op_rr(j, w, op, src == RAX ? R10 : src, R11);
		e1(j, 0xf0);
		op_rm(j, w, 0x0fb1, R11, R9, 0, false);
		jump_to(j, CC_NE, (uint32_t)top);
	}
	mov_rr(j, w, src, RAX);
	if (src != RAX)
		mov_rr(j, true, RAX, R10);
}

/* Whether the map at this call is an array whose lookup can be inlined. */
static struct uebpf_map *call_map(const struct jit *j, size_t pc)
{
	struct uebpf_map *m;

	if (!j->prog->call_maps || j->checked)
		return NULL;
	m = j->prog->call_maps[pc];
	return m == UEBPF_CALL_MAP_POISON ? NULL : m;
}

static void inline_array_lookup(struct jit *j, struct uebpf_map *m)
{
	uint64_t stride;
	uint32_t esize;
	void *base = uebpf_array_base(m, &esize, &stride);
	size_t null, done;

	/* eax = *(u32 *)r2; if (eax >= max_entries) r0 = NULL */
	op_rm(j, false, 0x8b, RAX, RSI, 0, false);
	alu_ri(j, false, 7, RAX, (int32_t)m->max_entries, false);
	null = jcc8(j, CC_AE);
	/* rax = base + rax * elem_size (+ cpu * stride) */
	if (esize && !(esize & (esize - 1))) {
		rex(j, true, 0, 0, RAX, false);
		e2(j, 0xc1, 0xe0 | RAX);
		e1(j, (uint8_t)__builtin_ctz(esize));
	} else {
		op_rr(j, true, 0x69, RAX, RAX); /* imul rax, rax, imm32 */
		e4(j, esize);
	}
	if (stride) {
		op_rm(j, false, 0x8b, R11, R12,
		      offsetof(struct uebpf_run_ctx, cpu), false);
		movabs(j, R10, stride);
		op_rr(j, true, 0x0faf, R11, R10); /* imul r11, r10 */
		op_rr(j, true, 0x01, R11, RAX);	  /* add rax, r11 */
	}
	movabs(j, R11, (uintptr_t)base);
	op_rr(j, true, 0x01, R11, RAX);
	done = jcc8(j, -1);
	patch_here(j, null);
	op_rr(j, false, 0x31, RAX, RAX);
	patch_here(j, done);
}

/* bpf_tail_call(ctx, map, index) in line, as the interpreter: an index
 * past the end, the 34th tail call or an empty slot go on (the last
 * still counts); otherwise the target's code runs in this frame. */
static void inline_tail_call(struct jit *j)
{
	size_t s1, s2, s3, s4;

	/* cmp edx, [rsi + max_entries]; jae skip */
	op_rm(j, false, 0x3b, RDX, RSI, offsetof(struct uebpf_map, max_entries),
	      false);
	s1 = jcc8(j, CC_AE);
	/* cmp dword [r12 + tail_calls], 33; jae skip */
	op_rm(j, false, 0x83, 7, R12,
	      offsetof(struct uebpf_run_ctx, tail_calls), false);
	e1(j, MAX_TAIL_CALL_CNT);
	s2 = jcc8(j, CC_AE);
	op_rm(j, false, 0x83, 0, R12,
	      offsetof(struct uebpf_run_ctx, tail_calls), false);
	e1(j, 1);
	/* r10 = slots[edx] */
	op_rm(j, true, 0x8b, R10, RSI, offsetof(struct uebpf_fd_array, slots),
	      false);
	mov_rr(j, false, R11, RDX);
	/* mov r10, [r10 + r11*8] */
	rex(j, true, R10, R11, R10, false);
	e1(j, 0x8b);
	e1(j, 0x04 | ((R10 & 7) << 3));
	e1(j, (3 << 6) | ((R11 & 7) << 3) | (R10 & 7));
	op_rr(j, true, 0x85, R10, R10);
	s3 = jcc8(j, CC_E);
	/* ctx->prog = target */
	op_rm(j, true, 0x89, R10, R12, offsetof(struct uebpf_run_ctx, prog),
	      false);
	op_rm(j, true, 0x8b, R10, R10, offsetof(struct uebpf_prog, jit_body),
	      false);
	op_rr(j, true, 0x85, R10, R10);
	s4 = jcc8(j, CC_E);
	/* jmp r10 */
	rex(j, false, 0, 0, R10, false);
	e2(j, 0xff, 0xe0 | (R10 & 7));
	patch_here(j, s1);
	patch_here(j, s2);
	patch_here(j, s3);
	patch_here(j, s4);
}

/* bpf_loop(nr, callback, ctx, flags) in line: the callback is called
 * natively, its state on the stack (32 bytes keep rsp aligned).  off 1:
 * the verifier knows flags are 0 (the kernel's inlined form). */
static void inline_loop(struct jit *j, const struct bpf_insn *in)
{
	size_t bad_flags = 0, big, big2 = 0, zero, top, out, out2, out3 = 0;

	if (in->off != 1) {
		op_rr(j, true, 0x85, RCX, RCX);
		bad_flags = jcc8(j, CC_NE);
		mov_rr(j, false, RDI, RDI); /* nr_loops is a u32 */
	}
	/* cmp rdi, MAX_LOOPS; ja too_big */
	alu_ri(j, true, 7, RDI, MAX_LOOPS, false);
	big = jcc8(j, CC_A);
	op_rr(j, true, 0x85, RDI, RDI);
	zero = jcc8(j, CC_E);
	push(j, RDI); /* [rsp+24] n */
	push(j, RSI); /* [rsp+16] callback */
	push(j, RDX); /* [rsp+8] ctx */
	op_rr(j, false, 0x31, RDI, RDI);
	push(j, RDI); /* [rsp] i */
	top = j->len;
	op_rm(j, true, 0x8b, RDI, RSP, 0, false);
	op_rm(j, true, 0x8b, RSI, RSP, 8, false);
	op_rr(j, false, 0x31, RDX, RDX);
	op_rr(j, false, 0x31, RCX, RCX);
	op_rr(j, false, 0x31, R8, R8);
	/* call [rsp + 16] */
	e2(j, 0xff, 0x54);
	e2(j, 0x24, 16);
	op_rm(j, true, 0x8b, RDI, RSP, 0, false);
	alu_ri(j, true, 0, RDI, 1, false);
	op_rm(j, true, 0x89, RDI, RSP, 0, false);
	op_rr(j, true, 0x85, RAX, RAX);
	out = jcc8(j, CC_NE);
	op_rm(j, true, 0x3b, RDI, RSP, 24, false); /* cmp rdi, [rsp+24] */
	jump_to(j, CC_B, (uint32_t)top);
	patch_here(j, out);
	mov_rr(j, true, RAX, RDI); /* i + 1 when stopped, n when done */
	alu_ri(j, true, 0, RSP, 32, false);
	out2 = jcc8(j, -1);
	patch_here(j, zero);
	op_rr(j, false, 0x31, RAX, RAX);
	out3 = jcc8(j, -1);
	patch_here(j, big);
	if (in->off == 1)
		mov_ri(j, false, RAX, -E2BIG, false); /* a u32 -E2BIG */
	else
		mov_ri(j, true, RAX, -E2BIG, false);
	if (in->off != 1) {
		big2 = jcc8(j, -1);
		patch_here(j, bad_flags);
		mov_ri(j, true, RAX, -EINVAL, false);
		patch_here(j, big2);
	}
	patch_here(j, out2);
	patch_here(j, out3);
}

/* Checked code: a raw program may read r1..r5 after a call, and finds
 * its arguments there, as in the interpreter, not what the C function
 * left (host addresses among them).  48 bytes keep rsp aligned. */
static const int arg_regs[] = { RDI, RSI, RDX, RCX, R8 };

static void save_args(struct jit *j)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(arg_regs); i++)
		push(j, arg_regs[i]);
	alu_ri(j, true, 5, RSP, 8, false);
}

static void restore_args(struct jit *j)
{
	int i;

	alu_ri(j, true, 0, RSP, 8, false);
	for (i = (int)ARRAY_SIZE(arg_regs) - 1; i >= 0; i--)
		pop(j, arg_regs[i]);
}

static int emit_call(struct jit *j, size_t pc, const struct bpf_insn *in)
{
	const struct uebpf_runtime *rt = j->prog->rt;
	const struct uebpf_helper *h;
	struct uebpf_map *m;

	if (in->src_reg == BPF_PSEUDO_CALL) {
		size_t t = pc + in->imm + 1;

		if (j->checked) {
			size_t ok;

			/* frames in use: regions[0].hi - lo, below 8 */
			op_rm(j, true, 0x8b, R11, R12,
			      offsetof(struct uebpf_run_ctx, regions), false);
			op_rm(j, true, 0x8b, R10, R11,
			      offsetof(struct uebpf_region, hi), false);
			op_rm(j, true, 0x2b, R10, R11,
			      offsetof(struct uebpf_region, lo), false);
			alu_ri(j, true, 7, R10,
			       UEBPF_STACK_SIZE * UEBPF_MAX_CALL_FRAMES, false);
			ok = jcc8(j, CC_B);
			mov_ri(j, false, R11, (int32_t)pc, true);
			jump_to(j, -1, j->stub_e2big);
			patch_here(j, ok);
		}
		call_to(j, j->fold[t]);
		return 0;
	}
	switch (in->imm) {
	case BPF_FUNC_tail_call:
		inline_tail_call(j);
		return 0;
	case BPF_FUNC_loop:
		inline_loop(j, in);
		return 0;
	case BPF_FUNC_get_smp_processor_id:
		if (rt->helpers[in->imm].host_fn)
			break;
		op_rm(j, false, 0x8b, RAX, R12,
		      offsetof(struct uebpf_run_ctx, cpu), false);
		return 0;
	case BPF_FUNC_map_lookup_elem:
		m = call_map(j, pc);
		if (!m || m->inner_map)
			break;
		if (m->type == BPF_MAP_TYPE_ARRAY ||
		    m->type == BPF_MAP_TYPE_PERCPU_ARRAY) {
			inline_array_lookup(j, m);
			return 0;
		}
		/* Any other map: its lookup directly, no helper between. */
		if (m->ops->lookup) {
			call_abs(j, (const void *)m->ops->lookup);
			return 0;
		}
		break;
	}
	h = &rt->helpers[in->imm];
	/* A host helper directly, with its own context; checked code goes
	 * through the trampoline, which checks the arguments first. */
	if (h->host_fn && !j->checked) {
		movabs(j, R9, (uintptr_t)h->host_ctx);
		call_abs(j, (const void *)h->host_fn);
	} else {
		if (j->checked)
			save_args(j);
		mov_rr(j, true, R9, R12);
		call_abs(j, (const void *)h->fn);
		if (j->checked)
			restore_args(j);
	}
	if (j->checked) {
		/* cmp dword [r12 + err], 0; jne fault */
		op_rm(j, false, 0x83, 7, R12,
		      offsetof(struct uebpf_run_ctx, err), false);
		e1(j, 0);
		jump_to(j, CC_NE, j->stub_fault);
	}
	return 0;
}

/* callx in checked code: the helper whose id the register held, as the
 * interpreter's callx (ctx->err_pc holds the pc until a fault sets it). */
static uint64_t jit_callx(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			  uint64_t r5, struct uebpf_run_ctx *ctx)
{
	const struct uebpf_helper *helpers = ctx->prog->rt->helpers;
	uint64_t id = ctx->jit_callx;
	size_t pc = ctx->err_pc;

	ctx->err_pc = 0;
	if (id >= UEBPF_MAX_HELPER_ID || !helpers[id].fn) {
		uebpf_interp_fault(ctx->prog, ctx, pc, -EINVAL,
				   "callx to an unknown helper id");
		return 0;
	}
	if (id == BPF_FUNC_tail_call) {
		uebpf_interp_fault(ctx->prog, ctx, pc, -EINVAL,
				   "bpf_tail_call in a program the verifier did not prove safe");
		return 0;
	}
	if (id == BPF_FUNC_loop) {
		uebpf_interp_fault(ctx->prog, ctx, pc, -EOPNOTSUPP,
				   "bpf_loop through callx: load the program with engine UEBPF_ENGINE_INTERP");
		return 0;
	}
	return helpers[id].fn(r1, r2, r3, r4, r5, ctx);
}

static const uint8_t jcc_of[16] = {
	[BPF_JEQ >> 4] = CC_E,	 [BPF_JGT >> 4] = CC_A,	 [BPF_JGE >> 4] = CC_AE,
	[BPF_JSET >> 4] = CC_NE, [BPF_JNE >> 4] = CC_NE, [BPF_JSGT >> 4] = CC_G,
	[BPF_JSGE >> 4] = CC_GE, [BPF_JLT >> 4] = CC_B,	 [BPF_JLE >> 4] = CC_BE,
	[BPF_JSLT >> 4] = CC_L,	 [BPF_JSLE >> 4] = CC_LE,
};

static int unsupported(size_t pc, const char *what, struct uebpf_vlog *log)
{
	uebpf_vlog_printf(log, "JIT: %s at insn %zu; the interpreter runs it (engine UEBPF_ENGINE_INTERP)\n",
			  what, pc);
	return -EOPNOTSUPP;
}

static int emit_insn(struct jit *j, size_t pc, struct uebpf_vlog *log)
{
	const struct bpf_insn *in = &j->insns[pc];
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	bool w = cls == BPF_ALU64 || cls == BPF_JMP;
	int dst = xreg[in->dst_reg & 0xf], src = xreg[in->src_reg & 0xf];
	bool k = BPF_SRC(in->code) == BPF_K;
	int32_t imm = in->imm;

	if (in->dst_reg > 10 || in->src_reg > 10)
		return unsupported(pc, "register out of range", log);
	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		if (op == BPF_END) {
			bool swap = cls == BPF_ALU64 ||
				    BPF_SRC(in->code) == BPF_TO_BE;

			if (!swap) {
				if (imm == 16)
					op_rr(j, false, 0x0fb7, dst, dst);
				else if (imm == 32)
					mov_rr(j, false, dst, dst);
			} else if (imm == 16) {
				/* ror r16, 8; movzx r32, r16 */
				e1(j, 0x66);
				rex(j, false, 0, 0, dst, false);
				e2(j, 0xc1, 0xc8 | (dst & 7));
				e1(j, 8);
				op_rr(j, false, 0x0fb7, dst, dst);
			} else {
				rex(j, imm == 64, 0, 0, dst, false);
				e2(j, 0x0f, 0xc8 | (dst & 7));
			}
			return 0;
		}
		if (op == BPF_NEG) {
			rex(j, w, 0, 0, dst, false);
			e2(j, 0xf7, 0xd8 | (dst & 7));
			return 0;
		}
		if (k && j->blind && op != BPF_MOV) {
			blind_imm(j, imm);
			k = false;
			src = R11;
		}
		switch (op) {
		case BPF_MOV:
			if (k) {
				if (j->blind) {
					uint32_t key = next_key(j);

					mov_ri(j, w, dst, (int32_t)((uint32_t)imm ^ key), true);
					alu_ri(j, w, 6, dst, (int32_t)key, true);
				} else {
					mov_ri(j, w, dst, imm, false);
				}
			} else if (in->off == 8) {
				/* movsx from a byte register: sil/dil need a REX */
				rex(j, w, dst, 0, src, src >= 4);
				e2(j, 0x0f, 0xbe);
				modrm_rr(j, dst, src);
			} else if (in->off == 16) {
				op_rr(j, w, 0x0fbf, dst, src);
			} else if (in->off == 32 && w) {
				op_rr(j, true, 0x63, dst, src);
			} else if (w && dst == src) {
				/* r = r: nothing */
			} else {
				mov_rr(j, w, dst, src);
			}
			return 0;
		case BPF_ADD: case BPF_SUB: case BPF_OR: case BPF_AND:
		case BPF_XOR: {
			static const uint8_t rr[] = { [BPF_ADD >> 4] = 0x01,
				[BPF_SUB >> 4] = 0x29, [BPF_OR >> 4] = 0x09,
				[BPF_AND >> 4] = 0x21, [BPF_XOR >> 4] = 0x31 };
			static const uint8_t ext[] = { [BPF_ADD >> 4] = 0,
				[BPF_SUB >> 4] = 5, [BPF_OR >> 4] = 1,
				[BPF_AND >> 4] = 4, [BPF_XOR >> 4] = 6 };

			if (k)
				alu_ri(j, w, ext[op >> 4], dst, imm, false);
			else
				op_rr(j, w, rr[op >> 4], src, dst);
			return 0;
		}
		case BPF_MUL:
			if (k && (imm == 3 || imm == 5 || imm == 9)) {
				/* lea dst, [dst + dst*(imm-1)]: 1 cycle, not 3 */
				rex(j, w, dst, dst, dst, false);
				e1(j, 0x8d);
				if ((dst & 7) == RBP) { /* rbp/r13 base: disp8 0 */
					e1(j, 0x44 | ((dst & 7) << 3));
					e1(j, ((imm == 3 ? 1 : imm == 5 ? 2 : 3) << 6) |
					      ((dst & 7) << 3) | (dst & 7));
					e1(j, 0);
				} else {
					e1(j, 0x04 | ((dst & 7) << 3));
					e1(j, ((imm == 3 ? 1 : imm == 5 ? 2 : 3) << 6) |
					      ((dst & 7) << 3) | (dst & 7));
				}
				return 0;
			}
			if (k && imm > 0 && !(imm & (imm - 1))) {
				/* shl dst, log2(imm) */
				rex(j, w, 0, 0, dst, false);
				e2(j, 0xc1, 0xe0 | (dst & 7));
				e1(j, (uint8_t)__builtin_ctz((uint32_t)imm));
				return 0;
			}
			if (k) {
				op_rr(j, w, is_imm8(imm) ? 0x6b : 0x69, dst, dst);
				if (is_imm8(imm))
					e1(j, (uint8_t)imm);
				else
					e4(j, (uint32_t)imm);
			} else {
				op_rr(j, w, 0x0faf, dst, src);
			}
			return 0;
		case BPF_DIV:
		case BPF_MOD: {
			bool sgn = in->off == 1;

			if (k) {
				if (w)
					mov_ri(j, true, R11, imm, false);
				else
					mov_ri(j, false, R11, imm, false);
			} else {
				mov_rr(j, w, R11, src);
			}
			divmod(j, w, op == BPF_MOD, sgn, dst, !k || imm == 0,
			       !k || imm == -1);
			return 0;
		}
		case BPF_LSH:
		case BPF_RSH:
		case BPF_ARSH: {
			int e = op == BPF_LSH ? 4 : op == BPF_RSH ? 5 : 7;

			if (k) {
				rex(j, w, 0, 0, dst, false);
				e2(j, 0xc1, 0xc0 | (e << 3) | (dst & 7));
				e1(j, (uint8_t)(imm & (w ? 63 : 31)));
			} else {
				shift_x(j, w, e, dst, src);
			}
			return 0;
		}
		}
		return unsupported(pc, "unknown ALU operation", log);

	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_JA) {
			int64_t d = cls == BPF_JMP ? in->off : in->imm;

			jump_to(j, -1, j->old[pc + d + 1]);
			return 0;
		}
		if (op == BPF_CALL) {
			if (BPF_SRC(in->code) == BPF_X) {
				/* checked code only (the verifier refuses it):
				 * the id goes through the run context */
				op_rm(j, true, 0x89, dst, R12,
				      offsetof(struct uebpf_run_ctx, jit_callx),
				      false);
				mov_ri(j, false, R11, (int32_t)pc, true);
				op_rm(j, true, 0x89, R11, R12,
				      offsetof(struct uebpf_run_ctx, err_pc),
				      false);
				save_args(j);
				mov_rr(j, true, R9, R12);
				call_abs(j, (const void *)jit_callx);
				restore_args(j);
				op_rm(j, false, 0x83, 7, R12,
				      offsetof(struct uebpf_run_ctx, err), false);
				e1(j, 0);
				jump_to(j, CC_NE, j->stub_fault);
				return 0;
			}
			return emit_call(j, pc, in);
		}
		if (op == BPF_EXIT) {
			epilogue(j);
			return 0;
		}
		if (op > BPF_JSLE || op == 0xe0)
			return unsupported(pc, "unknown jump", log);
		if (k && j->blind) {
			blind_imm(j, imm);
			k = false;
			src = R11;
		}
		if (op == BPF_JSET) {
			if (k) {
				rex(j, w, 0, 0, dst, false);
				e2(j, 0xf7, 0xc0 | (dst & 7));
				e4(j, (uint32_t)imm);
			} else {
				op_rr(j, w, 0x85, src, dst);
			}
		} else if (k) {
			if (imm == 0)
				op_rr(j, w, 0x85, dst, dst);
			else
				alu_ri(j, w, 7, dst, imm, false);
		} else {
			op_rr(j, w, 0x39, src, dst);
		}
		jump_to(j, jcc_of[op >> 4], j->old[pc + in->off + 1]);
		return 0;

	case BPF_LD:
		if (in->code != (BPF_LD | BPF_IMM | BPF_DW))
			return unsupported(pc, "legacy packet load", log);
		if (in->src_reg == BPF_PSEUDO_FUNC) {
			size_t t = pc + in->imm + 1;

			/* lea dst, [rip + rel32] */
			rex(j, true, dst, 0, 0, false);
			e2(j, 0x8d, 0x05 | ((dst & 7) << 3));
			e4(j, (uint32_t)((int64_t)j->fold[t] -
					 (int64_t)(j->len + 4)));
		} else {
			uint64_t v = (uint64_t)(uint32_t)in[0].imm |
				     ((uint64_t)(uint32_t)in[1].imm << 32);

			if (j->blind) {
				uint64_t key = ((uint64_t)next_key(j) << 32) |
					       next_key(j);

				movabs(j, dst, v ^ key);
				movabs(j, R11, key);
				op_rr(j, true, 0x31, R11, dst);
			} else {
				mov_r64(j, dst, v);
			}
		}
		return 0;

	case BPF_LDX:
		if (BPF_MODE(in->code) != BPF_MEM &&
		    BPF_MODE(in->code) != BPF_MEMSX)
			return unsupported(pc, "load mode", log);
		if (j->checked)
			checked_access(j, pc, src, in->off,
				       size_bytes(BPF_SIZE(in->code)), false,
				       false);
		emit_load(j, BPF_SIZE(in->code),
			  BPF_MODE(in->code) == BPF_MEMSX, dst, src, in->off);
		return 0;

	case BPF_ST:
	case BPF_STX:
		if (BPF_MODE(in->code) == BPF_ATOMIC && cls == BPF_STX) {
			if (j->checked)
				checked_access(j, pc, dst, in->off,
					       size_bytes(BPF_SIZE(in->code)),
					       true, true);
			emit_atomic(j, in);
			return 0;
		}
		if (BPF_MODE(in->code) != BPF_MEM)
			return unsupported(pc, "store mode", log);
		if (j->checked)
			checked_access(j, pc, dst, in->off,
				       size_bytes(BPF_SIZE(in->code)), true,
				       false);
		if (cls == BPF_STX) {
			emit_store(j, BPF_SIZE(in->code), src, dst, in->off);
		} else if (j->blind) {
			blind_imm(j, imm);
			emit_store(j, BPF_SIZE(in->code), R11, dst, in->off);
		} else {
			emit_store_imm(j, BPF_SIZE(in->code), dst, in->off, imm);
		}
		return 0;
	}
	return unsupported(pc, "unknown instruction class", log);
}

/* ---- stubs of checked code ----------------------------------------------- */

/* r10 = address, r11 = pc << 8 | atomic << 5 | write << 4 | size. */
static int jit_check(struct uebpf_run_ctx *ctx, uint64_t a, uint32_t info)
{
	return uebpf_interp_check_access(ctx->prog, ctx, info >> 8, a,
					 info & 0xf, info & 0x10, info & 0x20);
}

static void jit_e2big(struct uebpf_run_ctx *ctx, uint32_t pc)
{
	uebpf_interp_fault(ctx->prog, ctx, pc, -E2BIG,
			   "call stack deeper than 8 frames");
}

static void emit_stubs(struct jit *j)
{
	static const int saved[] = { RAX, RDI, RSI, RDX, RCX, R8, R9 };
	int i;

	/* check: the caller's registers kept; rsp is 8 past aligned */
	j->nstub_check = (uint32_t)j->len;
	for (i = 0; i < (int)ARRAY_SIZE(saved); i++)
		push(j, saved[i]);
	mov_rr(j, true, RDI, R12);
	mov_rr(j, true, RSI, R10);
	mov_rr(j, false, RDX, R11);
	movabs(j, RAX, (uintptr_t)jit_check);
	call_reg(j, RAX);
	op_rr(j, false, 0x85, RAX, RAX);
	for (i = (int)ARRAY_SIZE(saved) - 1; i >= 0; i--)
		pop(j, saved[i]);
	jump_to(j, CC_NE, j->stub_fault);
	e1(j, 0xc3);

	/* e2big: pc in r11; reached by a jump from the body (aligned) */
	j->nstub_e2big = (uint32_t)j->len;
	mov_rr(j, true, RDI, R12);
	mov_rr(j, false, RSI, R11);
	movabs(j, RAX, (uintptr_t)jit_e2big);
	call_reg(j, RAX);

	/* fault: leave from any depth, ctx->err says why */
	j->nstub_fault = (uint32_t)j->len;
	op_rm(j, true, 0x8b, RSP, R12, offsetof(struct uebpf_run_ctx, jit_sp),
	      false);
	alu_ri(j, true, 0, RSP, 8, false);
	pops(j);
}

/* ---- passes --------------------------------------------------------------- */

static int one_pass(struct jit *j, struct uebpf_vlog *log)
{
	size_t pc;
	int err;

	j->len = 0;
	for (pc = 0; pc < j->cnt; pc++) {
		if (j->func[pc]) {
			j->fcur[pc] = (uint32_t)j->len;
			prologue(j, pc == 0);
		}
		j->cur[pc] = (uint32_t)j->len;
		err = emit_insn(j, pc, log);
		if (err)
			return err;
		if (uebpf_insn_is_ld_imm64(&j->insns[pc])) {
			pc++;
			j->cur[pc] = (uint32_t)j->len;
		}
	}
	j->cur[j->cnt] = (uint32_t)j->len;
	if (j->checked)
		emit_stubs(j);
	if (j->too_far) {
		uebpf_vlog_printf(log, "JIT: internal error: a short jump overflowed\n");
		return -EFAULT;
	}
	return j->oom ? -ENOMEM : 0;
}

/* Function starts: main, every bpf-to-bpf call target, every callback. */
static int find_funcs(struct jit *j, struct uebpf_vlog *log)
{
	size_t pc;

	j->func[0] = true;
	for (pc = 0; pc < j->cnt; pc++) {
		const struct bpf_insn *in = &j->insns[pc];
		int64_t t = (int64_t)pc + in->imm + 1;

		if (in->code == (BPF_JMP | BPF_CALL) &&
		    in->src_reg == BPF_PSEUDO_CALL) {
			if (t <= 0 || t >= (int64_t)j->cnt)
				return unsupported(pc, "call to the main function or outside the program", log);
			j->func[t] = true;
		} else if (in->code == (BPF_LD | BPF_IMM | BPF_DW) &&
			   in->src_reg == BPF_PSEUDO_FUNC) {
			if (j->checked)
				return unsupported(pc, "callback in a program the verifier did not check", log);
			if (t <= 0 || t >= (int64_t)j->cnt)
				return unsupported(pc, "callback outside the program", log);
			j->func[t] = true;
		} else if (j->checked && !j->prog->jit_explicit &&
			   in->code == (BPF_JMP | BPF_CALL | BPF_X)) {
			/* Compiled only when asked for: bpf_loop through a
			 * callx fails the compiled run (its callback is a pc
			 * no compiled function starts at). */
			return unsupported(pc, "callx, whose helper is known only at run time (bpf_loop through it needs the interpreter)", log);
		} else if (j->checked && in->code == (BPF_JMP | BPF_CALL) &&
			   in->src_reg == 0 &&
			   (in->imm == BPF_FUNC_tail_call ||
			    in->imm == BPF_FUNC_loop)) {
			return unsupported(pc, in->imm == BPF_FUNC_loop ?
				"bpf_loop in a program the verifier did not check" :
				"bpf_tail_call in a program the verifier did not check",
				log);
		} else if (in->code == (BPF_JMP | BPF_CALL) &&
			   in->src_reg == 0 &&
			   ((uint32_t)in->imm >= UEBPF_MAX_HELPER_ID ||
			    !j->prog->rt->helpers[in->imm].fn)) {
			return unsupported(pc, "call to an unknown helper", log);
		}
		if (uebpf_insn_is_ld_imm64(in))
			pc++;
	}
	return 0;
}

bool uebpf_jit_available(void)
{
	return true;
}

int uebpf_jit_compile(struct uebpf_prog *prog, struct uebpf_vlog *log)
{
	struct jit j = { 0 };
	size_t n = prog->insn_cnt + 1, pass, map_len;
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *mem;
	int err;

	if (!prog->insn_cnt)
		return unsupported(0, "empty program", log);
	j.prog = prog;
	j.insns = prog->insns;
	j.cnt = prog->insn_cnt;
	j.checked = prog->checked;
	j.blind = prog->jit_blinding;
	if (j.blind && getrandom(&j.rnd, sizeof(j.rnd), 0) != sizeof(j.rnd))
		j.rnd = (uint64_t)uebpf_now_ns() ^ (uintptr_t)&j;
	j.rnd |= 1;
	j.old = calloc(n, sizeof(*j.old));
	j.cur = calloc(n, sizeof(*j.cur));
	j.fold = calloc(n, sizeof(*j.fold));
	j.fcur = calloc(n, sizeof(*j.fcur));
	j.func = calloc(n, sizeof(*j.func));
	err = -ENOMEM;
	if (!j.old || !j.cur || !j.fold || !j.fcur || !j.func)
		goto out;
	err = find_funcs(&j, log);
	if (err)
		goto out;
	/* First pass: every jump long; then until nothing moves. */
	j.first = true;
	for (pass = 0;; pass++) {
		err = one_pass(&j, log);
		if (err)
			goto out;
		if (!j.first && !memcmp(j.old, j.cur, n * sizeof(*j.old)) &&
		    !memcmp(j.fold, j.fcur, n * sizeof(*j.fold)) &&
		    j.stub_check == j.nstub_check &&
		    j.stub_fault == j.nstub_fault &&
		    j.stub_e2big == j.nstub_e2big)
			break;
		if (pass > 64) {
			/* never seen; long jumps converge in two passes */
			j.first = true;
		} else {
			j.first = false;
		}
		memcpy(j.old, j.cur, n * sizeof(*j.old));
		memcpy(j.fold, j.fcur, n * sizeof(*j.fold));
		j.stub_check = j.nstub_check;
		j.stub_fault = j.nstub_fault;
		j.stub_e2big = j.nstub_e2big;
		if (pass > 70) {
			uebpf_vlog_printf(log, "JIT: code size did not settle\n");
			err = -EOPNOTSUPP;
			goto out;
		}
	}
	/* W^X: written while read-write, executable only once read-only. */
	map_len = (j.len + (size_t)page - 1) & ~((size_t)page - 1);
	mem = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(mem, j.buf, j.len);
	/* int3 in the tail of the page */
	memset(mem + j.len, 0xcc, map_len - j.len);
	if (mprotect(mem, map_len, PROT_READ | PROT_EXEC)) {
		err = -errno;
		munmap(mem, map_len);
		uebpf_vlog_printf(log, "JIT: cannot make the code executable: %s\n",
				  strerror(-err));
		goto out;
	}
	prog->jit_image = mem;
	prog->jit_map_len = map_len;
	prog->jit_len = j.len;
	prog->jit_checked = j.checked;
	prog->jit_body = mem + j.old[0];
	prog->jit_entry = (uint64_t (*)(uint64_t, uint64_t,
					struct uebpf_run_ctx *))(void *)mem;
	err = 0;
out:
	free(j.buf);
	free(j.old);
	free(j.cur);
	free(j.fold);
	free(j.fcur);
	free(j.func);
	return err;
}

void uebpf_jit_free(struct uebpf_prog *prog)
{
	if (prog->jit_image)
		munmap(prog->jit_image, prog->jit_map_len);
	prog->jit_image = NULL;
	prog->jit_entry = NULL;
	prog->jit_body = NULL;
}

/* Checked code runs on the interpreter's stack: 8 zeroed frames, and
 * regions[0] the ones in use, which the code grows and shrinks. */
static __attribute__((noinline)) uint64_t
run_checked(const struct uebpf_prog *prog, struct uebpf_run_ctx *ctx,
	    uint64_t r1, uint64_t r2)
{
	uint8_t stack[UEBPF_STACK_SIZE * UEBPF_MAX_CALL_FRAMES]
		__attribute__((aligned(16)));

	memset(stack, 0, sizeof(stack));
	ctx->regions[0].lo = ctx->regions[0].hi =
		(uintptr_t)stack + sizeof(stack);
	ctx->regions[0].flags = 0;
	return prog->jit_entry(r1, r2, ctx);
}

int uebpf_jit_run(const struct uebpf_prog *prog, struct uebpf_run_ctx *ctx,
		  uint64_t r1, uint64_t r2, uint64_t *r0)
{
	uint64_t v;

	ctx->tail_calls = 0;
	if (prog->jit_checked)
		v = run_checked(prog, ctx, r1, r2);
	else
		v = prog->jit_entry(r1, r2, ctx);
	if (unlikely(ctx->err))
		return ctx->err;
	*r0 = v;
	return 0;
}

#else /* !__x86_64__ */

bool uebpf_jit_available(void)
{
	return false;
}

int uebpf_jit_compile(struct uebpf_prog *prog, struct uebpf_vlog *log)
{
	(void)prog;
	uebpf_vlog_printf(log, "this build of libuebpf has no JIT (x86-64 only)\n");
	return -EOPNOTSUPP;
}

void uebpf_jit_free(struct uebpf_prog *prog)
{
	(void)prog;
}

int uebpf_jit_run(const struct uebpf_prog *prog, struct uebpf_run_ctx *ctx,
		  uint64_t r1, uint64_t r2, uint64_t *r0)
{
	return uebpf_interp_run(prog, ctx, r1, r2, r0);
}

#endif
