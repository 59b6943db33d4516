/* SPDX-License-Identifier: MIT */
/*
 * The body of the interpreter, included twice by vm/interp.c: once as
 * run_checked (INTERP_CHECKED 1, every memory access tested against the
 * run's regions) and once as run_fast, for verified programs.  A template
 * rather than an inline function because a function holding a computed
 * goto table cannot be cloned.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init" /* [0 ... 255] = &&bad */
static __attribute__((noinline)) int
INTERP_NAME(const struct uebpf_prog *prog, struct uebpf_run_ctx *ctx,
	    uint64_t r1, uint64_t r2, uint64_t *r0)
{
	/* prog and base change with tail calls, and back at returns. */
	const bool checked = INTERP_CHECKED;
	static const void *const jt[256] = {
		[0 ... 255] = &&bad,
#define ALU(op, name)                                                          \
	[BPF_ALU | op | BPF_K] = &&alu32_##name##_k,                           \
	[BPF_ALU | op | BPF_X] = &&alu32_##name##_x,                           \
	[BPF_ALU64 | op | BPF_K] = &&alu64_##name##_k,                         \
	[BPF_ALU64 | op | BPF_X] = &&alu64_##name##_x
		ALU(BPF_ADD, add), ALU(BPF_SUB, sub), ALU(BPF_MUL, mul),
		ALU(BPF_DIV, div), ALU(BPF_OR, or), ALU(BPF_AND, and),
		ALU(BPF_LSH, lsh), ALU(BPF_RSH, rsh), ALU(BPF_MOD, mod),
		ALU(BPF_XOR, xor), ALU(BPF_MOV, mov), ALU(BPF_ARSH, arsh),
#undef ALU
		[BPF_ALU | BPF_NEG] = &&alu32_neg,
		[BPF_ALU64 | BPF_NEG] = &&alu64_neg,
		[BPF_ALU | BPF_END | BPF_TO_LE] = &&to_le,
		[BPF_ALU | BPF_END | BPF_TO_BE] = &&to_be,
		[BPF_ALU64 | BPF_END | BPF_TO_LE] = &&to_be, /* bswap */
#define JMP(op, name)                                                          \
	[BPF_JMP | op | BPF_K] = &&jmp_##name##_k,                             \
	[BPF_JMP | op | BPF_X] = &&jmp_##name##_x,                             \
	[BPF_JMP32 | op | BPF_K] = &&jmp32_##name##_k,                         \
	[BPF_JMP32 | op | BPF_X] = &&jmp32_##name##_x
		JMP(BPF_JEQ, jeq), JMP(BPF_JGT, jgt), JMP(BPF_JGE, jge),
		JMP(BPF_JSET, jset), JMP(BPF_JNE, jne), JMP(BPF_JSGT, jsgt),
		JMP(BPF_JSGE, jsge), JMP(BPF_JLT, jlt), JMP(BPF_JLE, jle),
		JMP(BPF_JSLT, jslt), JMP(BPF_JSLE, jsle),
#undef JMP
		[BPF_JMP | BPF_JA] = &&ja,
		[BPF_JMP32 | BPF_JA] = &&ja32,
		[BPF_JMP | BPF_CALL] = &&call,
		[BPF_JMP | BPF_CALL | BPF_X] = &&callx,
		[BPF_JMP | BPF_EXIT] = &&exit,
		[BPF_LD | BPF_IMM | BPF_DW] = &&ld_imm64,
#define MEM(sz, name)                                                          \
	[BPF_LDX | BPF_MEM | sz] = &&ldx_##name,                               \
	[BPF_STX | BPF_MEM | sz] = &&stx_##name,                               \
	[BPF_ST | BPF_MEM | sz] = &&st_##name
		MEM(BPF_B, b), MEM(BPF_H, h), MEM(BPF_W, w), MEM(BPF_DW, dw),
#undef MEM
		[BPF_LDX | BPF_MEMSX | BPF_B] = &&ldxs_b,
		[BPF_LDX | BPF_MEMSX | BPF_H] = &&ldxs_h,
		[BPF_LDX | BPF_MEMSX | BPF_W] = &&ldxs_w,
		[BPF_STX | BPF_ATOMIC | BPF_W] = &&atomic_w,
		[BPF_STX | BPF_ATOMIC | BPF_DW] = &&atomic_dw,
	};
	const struct bpf_insn *base = prog->insns;
	const struct uebpf_helper *const helpers = prog->rt->helpers;
	const struct bpf_insn *ip = base, *seg = base;
	int64_t budget = (int64_t)ctx->budget;
	struct frame frames_here[UEBPF_MAX_CALL_FRAMES], *frames = frames_here;
	/* Frames past 8, which only tail calls from subprograms make (each
	 * target runs in the frame of the function that called it, and may
	 * call on): allocated the first time, freed at any return. */
	struct deep_frames *deep __attribute__((cleanup(deep_free))) = NULL;
	unsigned int depth = 0, tail_calls = 0;
	uint64_t reg[11];
	uint8_t stack[UEBPF_STACK_SIZE * UEBPF_MAX_CALL_FRAMES]
		__attribute__((aligned(16)));

	if (checked) {
		/* The stack region is the frames in use: main's 512 bytes at
		 * the top, growing by a frame at each call and shrinking at
		 * each return, so the unused deeper frames (and a returned
		 * callee's) are out of bounds. */
		memset(stack, 0, sizeof(stack));
		memset(reg, 0, sizeof(reg));
		ctx->regions[0].lo =
			(uintptr_t)stack + sizeof(stack) - UEBPF_STACK_SIZE;
		ctx->regions[0].hi = (uintptr_t)stack + sizeof(stack);
		ctx->regions[0].flags = 0;
	}
	reg[1] = r1;
	reg[2] = r2;
	reg[10] = (uintptr_t)stack + sizeof(stack);

/* The frame pointer of the function at depth d. */
#define FRAME_FP(d)                                                            \
	((d) < UEBPF_MAX_CALL_FRAMES ?                                         \
		 (uintptr_t)stack + sizeof(stack) - (d) * UEBPF_STACK_SIZE :   \
		 (uintptr_t)deep->stack + sizeof(deep->stack) -                \
			 ((d) - UEBPF_MAX_CALL_FRAMES) * UEBPF_STACK_SIZE)
/* Room for one more frame, or leave: past 8 frames only after a tail
 * call (as the kernel, whose limit is the 33 tail calls). */
#define FRAME_ROOM()                                                           \
	do {                                                                   \
		if (unlikely(depth + 1 >= UEBPF_MAX_CALL_FRAMES)) {            \
			if (checked || !tail_calls ||                          \
			    depth + 1 >= DEEP_FRAMES)                          \
				return fault(prog, ctx, ip, -E2BIG,            \
					     "call stack deeper than 8 frames", \
					     0, 0, 0);                         \
			if (!deep) {                                           \
				deep = calloc(1, sizeof(*deep));               \
				if (!deep)                                     \
					return fault(prog, ctx, ip, -ENOMEM,   \
						     "no memory for frames",   \
						     0, 0, 0);                 \
				memcpy(deep->frames, frames,                   \
				       depth * sizeof(*frames));               \
				frames = deep->frames;                         \
			}                                                      \
		}                                                              \
	} while (0)
#define DST reg[ip->dst_reg]
#define SRC reg[ip->src_reg]
#define IMM ((int64_t)ip->imm)
#define OFF ip->off
#define NEXT goto *jt[(++ip)->code]
#define SET_PROG(p)                                                            \
	do {                                                                   \
		const struct uebpf_prog *p_ = (p);                             \
		if (p_ != prog) {                                              \
			if (checked)                                           \
				switch_value_regions(ctx, prog, p_);           \
			prog = p_;                                             \
			base = p_->insns;                                      \
			ctx->prog = p_;                                        \
		}                                                              \
	} while (0)
#define CHARGE()                                                               \
	do {                                                                   \
		budget -= ip - seg + 1;                                        \
		if (unlikely(budget < 0))                                      \
			return fault(prog, ctx, ip, -ETIMEDOUT, "", 0, 0, 0);  \
	} while (0)
#define JUMP(delta)                                                            \
	do {                                                                   \
		CHARGE();                                                      \
		ip += (delta) + 1;                                             \
		seg = ip;                                                      \
		goto *jt[ip->code];                                            \
	} while (0)
/* write: a store or an atomic, which read-only regions refuse. */
#define CHECK(what, a, n, write)                                               \
	do {                                                                   \
		int k_;                                                        \
		if (checked && unlikely((k_ = region_ok(prog, ctx, (a), (n),   \
							 (write))) !=          \
					ACCESS_OK))                            \
			return fault(prog, ctx, ip, -EFAULT, what, (a), (n),   \
				     k_);                                      \
	} while (0)

	goto *jt[ip->code];

	/* ALU: dst = dst op src, 32-bit forms zero-extend the result. */
#define ALU_BOTH(name, expr32, expr64)                                         \
	alu32_##name##_k : { uint32_t a = DST, b = (uint32_t)ip->imm; DST = (uint32_t)(expr32); NEXT; } \
	alu32_##name##_x : { uint32_t a = DST, b = (uint32_t)SRC; DST = (uint32_t)(expr32); NEXT; } \
	alu64_##name##_k : { uint64_t a = DST, b = (uint64_t)IMM; DST = (expr64); NEXT; } \
	alu64_##name##_x : { uint64_t a = DST, b = SRC; DST = (expr64); NEXT; }
	ALU_BOTH(add, a + b, a + b)
	ALU_BOTH(sub, a - b, a - b)
	ALU_BOTH(mul, a * b, a * b)
	ALU_BOTH(or, a | b, a | b)
	ALU_BOTH(and, a & b, a & b)
	ALU_BOTH(xor, a ^ b, a ^ b)
	ALU_BOTH(lsh, a << (b & 31), a << (b & 63))
	ALU_BOTH(rsh, a >> (b & 31), a >> (b & 63))
	ALU_BOTH(arsh, (int32_t)a >> (b & 31), (int64_t)a >> (b & 63))
	/* off 1 selects the signed forms */
	ALU_BOTH(div,
		 OFF ? (b == 0 ? 0 : b == UINT32_MAX ? -a : (uint32_t)((int32_t)a / (int32_t)b))
		     : (b ? a / b : 0),
		 OFF ? (b == 0 ? 0 : b == UINT64_MAX ? -a : (uint64_t)((int64_t)a / (int64_t)b))
		     : (b ? a / b : 0))
	ALU_BOTH(mod,
		 OFF ? (b == 0 ? a : b == UINT32_MAX ? 0 : (uint32_t)((int32_t)a % (int32_t)b))
		     : (b ? a % b : a),
		 OFF ? (b == 0 ? a : b == UINT64_MAX ? 0 : (uint64_t)((int64_t)a % (int64_t)b))
		     : (b ? a % b : a))
#undef ALU_BOTH
alu32_mov_k:
	DST = (uint32_t)ip->imm;
	NEXT;
alu32_mov_x: /* off 8/16: movsx */
	switch (OFF) {
	case 8: DST = (uint32_t)(int32_t)(int8_t)SRC; NEXT;
	case 16: DST = (uint32_t)(int32_t)(int16_t)SRC; NEXT;
	default: DST = (uint32_t)SRC; NEXT;
	}
alu64_mov_k:
	DST = (uint64_t)IMM;
	NEXT;
alu64_mov_x:
	switch (OFF) {
	case 8: DST = (uint64_t)(int64_t)(int8_t)SRC; NEXT;
	case 16: DST = (uint64_t)(int64_t)(int16_t)SRC; NEXT;
	case 32: DST = (uint64_t)(int64_t)(int32_t)SRC; NEXT;
	default: DST = SRC; NEXT;
	}
alu32_neg:
	DST = (uint32_t)-(uint32_t)DST;
	NEXT;
alu64_neg:
	DST = -DST;
	NEXT;
to_le: /* little-endian host: truncate */
	switch (ip->imm) {
	case 16: DST = (uint16_t)DST; NEXT;
	case 32: DST = (uint32_t)DST; NEXT;
	default: NEXT;
	}
to_be:
	switch (ip->imm) {
	case 16: DST = __builtin_bswap16((uint16_t)DST); NEXT;
	case 32: DST = __builtin_bswap32((uint32_t)DST); NEXT;
	default: DST = __builtin_bswap64(DST); NEXT;
	}

	/* Conditional jumps: 64-bit compare the registers, 32-bit their low
	 * halves; imm is sign-extended for the 64-bit forms. */
#define JMP_BOTH(name, cmp)                                                    \
	jmp_##name##_k : { uint64_t a = DST, b = (uint64_t)IMM; if (cmp(a, b, int64_t)) JUMP(OFF); NEXT; } \
	jmp_##name##_x : { uint64_t a = DST, b = SRC; if (cmp(a, b, int64_t)) JUMP(OFF); NEXT; } \
	jmp32_##name##_k : { uint32_t a = DST, b = (uint32_t)ip->imm; if (cmp(a, b, int32_t)) JUMP(OFF); NEXT; } \
	jmp32_##name##_x : { uint32_t a = DST, b = (uint32_t)SRC; if (cmp(a, b, int32_t)) JUMP(OFF); NEXT; }
#define EQ(a, b, s) ((a) == (b))
#define NE(a, b, s) ((a) != (b))
#define GT(a, b, s) ((a) > (b))
#define GE(a, b, s) ((a) >= (b))
#define LT(a, b, s) ((a) < (b))
#define LE(a, b, s) ((a) <= (b))
#define SET(a, b, s) ((a) & (b))
#define SGT(a, b, s) ((s)(a) > (s)(b))
#define SGE(a, b, s) ((s)(a) >= (s)(b))
#define SLT(a, b, s) ((s)(a) < (s)(b))
#define SLE(a, b, s) ((s)(a) <= (s)(b))
	JMP_BOTH(jeq, EQ)
	JMP_BOTH(jne, NE)
	JMP_BOTH(jgt, GT)
	JMP_BOTH(jge, GE)
	JMP_BOTH(jlt, LT)
	JMP_BOTH(jle, LE)
	JMP_BOTH(jset, SET)
	JMP_BOTH(jsgt, SGT)
	JMP_BOTH(jsge, SGE)
	JMP_BOTH(jslt, SLT)
	JMP_BOTH(jsle, SLE)
#undef JMP_BOTH
ja:
	JUMP(OFF);
ja32:
	JUMP(ip->imm);

ld_imm64:
	/* Map references were resolved to addresses at load time; a
	 * callback reference (BPF_PSEUDO_FUNC) keeps its pc. */
	if (ip->src_reg == BPF_PSEUDO_FUNC)
		DST = (uint64_t)(ip - base) + ip->imm + 1;
	else
		DST = (uint64_t)(uint32_t)ip[0].imm |
		      ((uint64_t)(uint32_t)ip[1].imm << 32);
	ip++;
	NEXT;

	/* Memory: dst/src + off, any alignment. */
#define MEM(name, type)                                                        \
	ldx_##name : { uint64_t a = SRC + OFF; CHECK("load", a, sizeof(type), false); DST = LOAD(type, a); NEXT; } \
	stx_##name : { uint64_t a = DST + OFF; CHECK("store", a, sizeof(type), true); STORE(type, a, SRC); NEXT; } \
	st_##name : { uint64_t a = DST + OFF; CHECK("store", a, sizeof(type), true); STORE(type, a, IMM); NEXT; }
	MEM(b, uint8_t)
	MEM(h, uint16_t)
	MEM(w, uint32_t)
	MEM(dw, uint64_t)
#undef MEM
ldxs_b: { uint64_t a = SRC + OFF; CHECK("load", a, 1, false); DST = (uint64_t)(int64_t)LOAD(int8_t, a); NEXT; }
ldxs_h: { uint64_t a = SRC + OFF; CHECK("load", a, 2, false); DST = (uint64_t)(int64_t)LOAD(int16_t, a); NEXT; }
ldxs_w: { uint64_t a = SRC + OFF; CHECK("load", a, 4, false); DST = (uint64_t)(int64_t)LOAD(int32_t, a); NEXT; }

	/* Atomics: imm selects the operation; BPF_FETCH puts the old value
	 * in src (zero-extended for 32 bits); cmpxchg compares with r0 and
	 * loads the old value into r0. */
#define ATOMIC(label, type)                                                    \
	label : {                                                              \
		uint64_t a = DST + OFF;                                        \
		type *p = (type *)(uintptr_t)a, old;                           \
		CHECK("atomic access", a, sizeof(type), true);                 \
		if (checked && unlikely(a & (sizeof(type) - 1)))               \
			return fault(prog, ctx, ip, -EFAULT,                   \
				     "misaligned atomic access", a,            \
				     sizeof(type), 0);                         \
		switch (ip->imm) {                                             \
		case BPF_ADD: __atomic_fetch_add(p, (type)SRC, __ATOMIC_SEQ_CST); NEXT; \
		case BPF_OR: __atomic_fetch_or(p, (type)SRC, __ATOMIC_SEQ_CST); NEXT; \
		case BPF_AND: __atomic_fetch_and(p, (type)SRC, __ATOMIC_SEQ_CST); NEXT; \
		case BPF_XOR: __atomic_fetch_xor(p, (type)SRC, __ATOMIC_SEQ_CST); NEXT; \
		case BPF_ADD | BPF_FETCH: SRC = __atomic_fetch_add(p, (type)SRC, __ATOMIC_SEQ_CST); NEXT; \
		case BPF_OR | BPF_FETCH: SRC = __atomic_fetch_or(p, (type)SRC, __ATOMIC_SEQ_CST); NEXT; \
		case BPF_AND | BPF_FETCH: SRC = __atomic_fetch_and(p, (type)SRC, __ATOMIC_SEQ_CST); NEXT; \
		case BPF_XOR | BPF_FETCH: SRC = __atomic_fetch_xor(p, (type)SRC, __ATOMIC_SEQ_CST); NEXT; \
		case BPF_XCHG: SRC = __atomic_exchange_n(p, (type)SRC, __ATOMIC_SEQ_CST); NEXT; \
		default: /* BPF_CMPXCHG */                                     \
			old = (type)reg[0];                                    \
			__atomic_compare_exchange_n(p, &old, (type)SRC, false, \
						    __ATOMIC_SEQ_CST,          \
						    __ATOMIC_SEQ_CST);         \
			reg[0] = old;                                          \
			NEXT;                                                  \
		}                                                              \
	}
	ATOMIC(atomic_w, uint32_t)
	ATOMIC(atomic_dw, uint64_t)
#undef ATOMIC

call:
	if (ip->src_reg == BPF_PSEUDO_CALL) {
		struct frame *f;

		CHARGE();
		FRAME_ROOM();
		f = &frames[depth++];
		__builtin_memcpy(f->saved, &reg[6], sizeof(f->saved));
		f->fp = reg[10];
		f->ret = ip + 1;
		f->prog = prog;
		f->is_loop = false;
		reg[10] = FRAME_FP(depth);
		if (checked)
			ctx->regions[0].lo -= UEBPF_STACK_SIZE;
		ip += ip->imm + 1;
		seg = ip;
		goto *jt[ip->code];
	}
	if (unlikely(ip->imm == BPF_FUNC_tail_call))
		goto tail_call;
	if (unlikely(ip->imm == BPF_FUNC_loop))
		goto loop;
	ctx->budget = budget;
	reg[0] = helpers[ip->imm].fn(reg[1], reg[2], reg[3], reg[4], reg[5],
				     ctx);
	if (unlikely(ctx->err))
		return ctx->err;
	budget = (int64_t)ctx->budget;
	NEXT;

	/* bpf_loop(nr_loops, callback, ctx, flags): the callback runs in a
	 * frame of its own below the caller's, as a subprogram would, once
	 * per iteration (its exit decides on the next, below).  The kernel
	 * inlines a call whose flags the verifier knows are 0 (insn off 1,
	 * vm/verifier.c): that version compares all 64 bits of nr_loops with
	 * BPF_MAX_LOOPS and returns a 32-bit -E2BIG. */
loop: {
	uint64_t n = reg[1];
	struct frame *f;

	if (ip->off == 1) {
		if (n > MAX_LOOPS) {
			reg[0] = (uint32_t)-E2BIG;
			NEXT;
		}
	} else {
		if (reg[4]) {
			reg[0] = (uint64_t)-EINVAL;
			NEXT;
		}
		n = (uint32_t)n;
		if (n > MAX_LOOPS) {
			reg[0] = (uint64_t)-E2BIG;
			NEXT;
		}
	}
	if (!n) {
		reg[0] = 0;
		NEXT;
	}
	if (checked && unlikely(reg[2] >= prog->insn_cnt))
		return fault(prog, ctx, ip, -EINVAL,
			     "bpf_loop callback outside the program", reg[2],
			     0, 0);
	CHARGE();
	FRAME_ROOM();
	f = &frames[depth++];
	__builtin_memcpy(f->saved, &reg[6], sizeof(f->saved));
	f->fp = reg[10];
	f->ret = ip + 1;
	f->prog = prog;
	f->is_loop = true;
	f->loop_cb = base + reg[2];
	f->loop_ctx = reg[3];
	f->loop_i = 0;
	f->loop_n = (uint32_t)n;
	if (checked)
		ctx->regions[0].lo -= UEBPF_STACK_SIZE;
	reg[1] = 0;
	reg[2] = f->loop_ctx;
	reg[3] = reg[4] = reg[5] = 0;
	reg[10] = FRAME_FP(depth);
	ip = seg = f->loop_cb;
	goto *jt[ip->code];
}

	/* bpf_tail_call(ctx, prog_array, index), as the kernel's interpreter
	 * and x86 JIT: an index past the array, the 33rd tail call of the
	 * run or an empty slot (which still counts) do nothing and the
	 * program goes on; otherwise the target replaces the running
	 * function (main: the program; a subprogram or callback: that frame
	 * only, its exit returning to the caller) with r1 still the context.
	 * The run is inside the runtime's epoch section, so a target the
	 * host replaces meanwhile stays alive until the run ends. */
tail_call: {
	struct uebpf_map *map = (struct uebpf_map *)(uintptr_t)reg[2];
	uint32_t index = (uint32_t)reg[3];
	const struct uebpf_prog *t;

	if (unlikely(!prog->verified))
		return fault(prog, ctx, ip, -EINVAL,
			     "bpf_tail_call in a program the verifier did not prove safe",
			     0, 0, 0);
	if (index >= map->max_entries || tail_calls >= MAX_TAIL_CALL_CNT)
		NEXT;
	tail_calls++;
	t = uebpf_prog_array_get(map, index);
	if (!t)
		NEXT;
	CHARGE();
	SET_PROG(t);
	ip = seg = base;
	goto *jt[ip->code];
}
callx: {
	uint64_t id = DST;

	if (unlikely(id >= UEBPF_MAX_HELPER_ID || !helpers[id].fn))
		return fault(prog, ctx, ip, -EINVAL,
			     "callx to an unknown helper id", id, 0, 0);
	if (unlikely(id == BPF_FUNC_tail_call))
		goto tail_call;
	if (unlikely(id == BPF_FUNC_loop))
		goto loop;
	ctx->budget = budget;
	reg[0] = helpers[id].fn(reg[1], reg[2], reg[3], reg[4], reg[5], ctx);
	if (unlikely(ctx->err))
		return ctx->err;
	budget = (int64_t)ctx->budget;
	NEXT;
}
exit:
	CHARGE();
	if (depth) {
		struct frame *f = &frames[depth - 1];

		if (f->is_loop) {
			/* A callback returned: 0 goes on, anything else
			 * stops (the verifier allows only 0 and 1). */
			if (reg[0]) {
				reg[0] = (uint64_t)f->loop_i + 1;
			} else if (++f->loop_i < f->loop_n) {
				SET_PROG(f->prog);
				reg[1] = f->loop_i;
				reg[2] = f->loop_ctx;
				reg[3] = reg[4] = reg[5] = 0;
				reg[10] = FRAME_FP(depth);
				ip = seg = f->loop_cb;
				goto *jt[ip->code];
			} else {
				reg[0] = f->loop_n;
			}
		}
		depth--;
		SET_PROG(f->prog);
		__builtin_memcpy(&reg[6], f->saved, sizeof(f->saved));
		reg[10] = f->fp;
		if (checked)
			ctx->regions[0].lo += UEBPF_STACK_SIZE;
		ip = seg = f->ret;
		goto *jt[ip->code];
	}
	ctx->budget = budget;
	*r0 = reg[0];
	return 0;
bad:
	return fault(prog, ctx, ip, -EINVAL, "invalid opcode (not validated)",
		     0, 0, 0);
#undef FRAME_FP
#undef FRAME_ROOM
#undef DST
#undef SRC
#undef IMM
#undef OFF
#undef NEXT
#undef SET_PROG
#undef CHARGE
#undef JUMP
#undef CHECK
}
#pragma GCC diagnostic pop
