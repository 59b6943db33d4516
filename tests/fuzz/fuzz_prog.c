/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: raw programs through uebpf_prog_load() (validation,
 * ld_imm64 resolution) and, when they load, uebpf_prog_run() over a
 * buffer allocated to its exact length, so AddressSanitizer sees any
 * access the run's bounds checks let through.
 *
 * Input layout:
 *   byte 0      bits 0-6: buffer length, mod 65 (0..64)
 *               bit 7:    buffer bytes come from the input (else a pattern)
 *   byte 1      flags, below: which repairs make the program more likely
 *               to pass validation and run for real
 *   [buffer]    the buffer's bytes when byte 0 bit 7 is set (short: pattern)
 *   rest        struct bpf_insn[], truncated to a multiple of 8 bytes and
 *               to MAX_INSNS instructions
 *
 * Without flags the instructions are used exactly as given; each flag
 * turns on one repair of the copy that is loaded.
 *
 * Besides memory errors, undefined behaviour and leaks, the target traps
 * on broken API contracts: NULL without errno from uebpf_prog_load(), a
 * log buffer left without its terminating NUL, a run that returns neither
 * 0 nor a negative errno, (FLAG_TWICE) two runs of a deterministic
 * program disagreeing, and, for a program that ends within its length (no
 * backward jump, no call), the JIT's checked code crashing or disagreeing
 * with the interpreter where the result cannot depend on addresses.
 *
 * FUZZ_PROG_VERBOSE=1 in the environment prints each input's program
 * after repair, the load result and log, and the run result.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uebpf.h"
/* White-box: built with the library's sources and -Ilib, the target may
 * reach the runtime's deferred reclamation (see reclaim()). */
#if __has_include("internal.h")
#include "internal.h"
#endif

#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80
#endif

#define MAX_INSNS 256
#define MAX_MEM	  64
#define BUDGET	  10000

enum {
	FLAG_EXIT = 1 << 0,   /* last instruction becomes exit */
	FLAG_JUMPS = 1 << 1,  /* jump, call and callback targets in range */
	FLAG_REGS = 1 << 2,   /* registers r0..r10, nothing writes r10 */
	FLAG_FIELDS = 1 << 3, /* reserved fields zero, known sub-ops */
	FLAG_MEM = 1 << 4,    /* r10/r1-based offsets inside stack/buffer */
	FLAG_TWICE = 1 << 5,  /* run twice, results must agree */
	FLAG_LOG = 1 << 6,    /* pass a verifier log buffer */
	FLAG_ODD = 1 << 7,    /* odd calls: NULL buffer, other prog types */
};

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr,                                     \
				"fuzz_prog: contract broken: %s (%s:%d)\n", \
				#cond, __FILE__, __LINE__);                 \
			__builtin_trap();                                   \
		}                                                           \
	} while (0)

static struct uebpf_runtime *rt;

/* uebpf_prog_free() retires a loaded program and frees it once no run can
 * hold it, in batches.  Freeing now keeps every input's allocations
 * balanced, which keeps libFuzzer's per-input leak check switched on. */
static void reclaim(void)
{
#ifdef UEBPF_EPOCH_H
	uebpf_epoch_synchronize(&rt->epoch);
#endif
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	UEBPF_OPTS(uebpf_runtime_opts, opts, .nr_cpus = 1, .log_quiet = 1);
	static const struct bpf_insn warm[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	struct uebpf_prog *prog;
	uint64_t r0;

	(void)argc, (void)argv;
	rt = uebpf_runtime_new(&opts);
	if (!rt)
		abort();
	/* One load and run up front, so per-thread state the runtime sets
	 * up on first use is not charged to the first input. */
	prog = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, warm, 2, NULL);
	if (!prog || uebpf_prog_run(prog, NULL, 0, &r0))
		abort();
	uebpf_prog_free(prog);
	reclaim();
	return 0;
}

static bool is_ld_imm64(const struct bpf_insn *in)
{
	return in->code == (BPF_LD | BPF_IMM | BPF_DW);
}

static unsigned int mem_size(uint8_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B: return 1;
	case BPF_H: return 2;
	case BPF_W: return 4;
	default: return 8;
	}
}

/* Helpers the runtime provides today; callx and unknown ids still reach
 * the validator through unrepaired inputs.  The programs have no maps:
 * the map and ring buffer helpers get whatever the registers hold, which
 * the argument checks of unverified programs must refuse. */
static const int32_t helper_ids[] = {
	BPF_FUNC_ktime_get_ns,
	BPF_FUNC_get_prandom_u32,
	BPF_FUNC_get_smp_processor_id,
	BPF_FUNC_map_lookup_elem,
	BPF_FUNC_map_update_elem,
	BPF_FUNC_map_delete_elem,
	BPF_FUNC_trace_printk,
	BPF_FUNC_csum_diff,
	BPF_FUNC_map_push_elem,
	BPF_FUNC_map_pop_elem,
	BPF_FUNC_jiffies64,
	BPF_FUNC_ktime_get_boot_ns,
	BPF_FUNC_ringbuf_output,
	BPF_FUNC_ringbuf_reserve,
	BPF_FUNC_ringbuf_submit,
	BPF_FUNC_ringbuf_discard,
	BPF_FUNC_perf_event_output,
};

static bool known_helper(int32_t id)
{
	size_t i;

	for (i = 0; i < sizeof(helper_ids) / sizeof(helper_ids[0]); i++)
		if (helper_ids[i] == id)
			return true;
	return false;
}

static const int32_t atomic_ops[] = {
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

static void fix_regs(struct bpf_insn *in)
{
	uint8_t cls = BPF_CLASS(in->code);
	bool pseudo_src = is_ld_imm64(in) || in->code == (BPF_JMP | BPF_CALL);

	in->dst_reg %= 11;
	if (!pseudo_src)
		in->src_reg %= 11;
	/* r10 is read-only: only a store's base may name it as dst */
	if (in->dst_reg == 10 && cls != BPF_ST && cls != BPF_STX &&
	    cls != BPF_JMP && cls != BPF_JMP32)
		in->dst_reg = 0;
	if (in->src_reg == 10 && cls == BPF_STX &&
	    BPF_MODE(in->code) == BPF_ATOMIC)
		in->src_reg = 1;
}

static void fix_fields(struct bpf_insn *in)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	bool is_x = BPF_SRC(in->code) == BPF_X;

	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		if (op > BPF_END || op == 0xe0 || op == 0xf0)
			in->code = (uint8_t)(cls | (op & 0x70) |
					     (in->code & BPF_X));
		op = BPF_OP(in->code);
		if (op == BPF_END) {
			static const int32_t w[] = {16, 32, 64};

			if (cls == BPF_ALU64)
				in->code &= (uint8_t)~BPF_X;
			in->src_reg = 0;
			in->off = 0;
			if (in->imm != 16 && in->imm != 32 && in->imm != 64)
				in->imm = w[(uint32_t)in->imm % 3];
		} else if (op == BPF_NEG) {
			in->code &= (uint8_t)~BPF_X;
			in->src_reg = 0;
			in->off = 0;
			in->imm = 0;
		} else {
			if (op == BPF_DIV || op == BPF_MOD)
				in->off &= 1;
			else if (op == BPF_MOV && is_x &&
				 !(in->off == 0 || in->off == 8 ||
				   in->off == 16 ||
				   (in->off == 32 && cls == BPF_ALU64)))
				in->off = (int16_t)((const int16_t[]){
					0, 8, 16,
					32})[(uint16_t)in->off %
					     (cls == BPF_ALU64 ? 4 : 3)];
			else if (op == BPF_MOV && is_x)
				; /* a valid movsx width: keep it */
			else
				in->off = 0;
			if (is_x)
				in->imm = 0;
			else
				in->src_reg = 0;
		}
		break;
	case BPF_JMP:
	case BPF_JMP32:
		switch (op) {
		case BPF_JA:
			in->code &= (uint8_t)~BPF_X;
			in->dst_reg = in->src_reg = 0;
			if (cls == BPF_JMP)
				in->imm = 0;
			else
				in->off = 0;
			break;
		case BPF_CALL:
			in->code = BPF_JMP | BPF_CALL | (in->code & BPF_X);
			in->off = 0;
			if (in->code & BPF_X) { /* callx r<dst> */
				in->src_reg = 0;
				in->imm = 0;
				break;
			}
			in->dst_reg = 0;
			in->src_reg &= BPF_PSEUDO_CALL;
			if (in->src_reg != BPF_PSEUDO_CALL &&
			    !known_helper(in->imm))
				in->imm = helper_ids[(uint32_t)in->imm %
						     (sizeof(helper_ids) /
						      sizeof(helper_ids[0]))];
			break;
		case BPF_EXIT:
			in->code = BPF_JMP | BPF_EXIT;
			in->dst_reg = in->src_reg = 0;
			in->off = 0;
			in->imm = 0;
			break;
		case 0xe0: /* may_goto and friends: make it a ja */
		case 0xf0:
			in->code = BPF_JMP | BPF_JA;
			in->dst_reg = in->src_reg = 0;
			in->imm = 0;
			break;
		default:
			if (is_x)
				in->imm = 0;
			else
				in->src_reg = 0;
		}
		break;
	case BPF_LDX:
		if (BPF_MODE(in->code) != BPF_MEM &&
		    !(BPF_MODE(in->code) == BPF_MEMSX &&
		      BPF_SIZE(in->code) != BPF_DW))
			in->code = BPF_LDX | BPF_MEM | BPF_SIZE(in->code);
		in->imm = 0;
		break;
	case BPF_ST:
		in->code = BPF_ST | BPF_MEM | BPF_SIZE(in->code);
		in->src_reg = 0;
		break;
	case BPF_STX:
		if (BPF_MODE(in->code) == BPF_ATOMIC &&
		    (BPF_SIZE(in->code) == BPF_W ||
		     BPF_SIZE(in->code) == BPF_DW)) {
			size_t i,
				n = sizeof(atomic_ops) / sizeof(atomic_ops[0]);

			for (i = 0; i < n && atomic_ops[i] != in->imm; i++)
				;
			if (i == n)
				in->imm = atomic_ops[(uint32_t)in->imm % n];
		} else {
			in->code = BPF_STX | BPF_MEM | BPF_SIZE(in->code);
			in->imm = 0;
		}
		break;
	case BPF_LD:
		if (!is_ld_imm64(in))
			in->code = BPF_LD | BPF_IMM | BPF_DW;
		in->off = 0;
		/* plain constants and callback references; map references
		 * stay possible through unrepaired inputs */
		if (in->src_reg != BPF_PSEUDO_FUNC)
			in->src_reg = 0;
		break;
	}
}

/* Where a jump, call or callback reference of `in` at pc points: the
 * field that holds the offset, or NULL. */
static void *target_field(struct bpf_insn *in, bool *is_imm)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);

	*is_imm = true;
	if (is_ld_imm64(in))
		return in->src_reg == BPF_PSEUDO_FUNC ? &in->imm : NULL;
	if (cls != BPF_JMP && cls != BPF_JMP32)
		return NULL;
	if (op == BPF_EXIT)
		return NULL;
	if (op == BPF_CALL)
		return in->src_reg == BPF_PSEUDO_CALL && !(in->code & BPF_X)
			       ? &in->imm
			       : NULL;
	if (op == BPF_JA && cls == BPF_JMP32)
		return &in->imm;
	*is_imm = false;
	return &in->off;
}

static bool ends_flow(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_EXIT) ||
	       in->code == (BPF_JMP | BPF_JA) ||
	       in->code == (BPF_JMP32 | BPF_JA);
}

/* Every target lands inside the program; call and callback targets
 * prefer a pc right after an exit or ja, where a subprogram may start. */
static void fix_jumps(struct bpf_insn *insns, size_t cnt)
{
	size_t pc, starts[MAX_INSNS], nr_starts = 0;

	for (pc = 1; pc < cnt; pc++)
		if (ends_flow(&insns[pc - 1]))
			starts[nr_starts++] = pc;
	for (pc = 0; pc < cnt; pc++) {
		struct bpf_insn *in = &insns[pc];
		bool is_imm, subprog;
		long raw, t;
		void *f = target_field(in, &is_imm);

		if (!f)
			continue;
		subprog = is_ld_imm64(in) || BPF_OP(in->code) == BPF_CALL;
		raw = is_imm ? *(int32_t *)f : *(int16_t *)f;
		t = raw + (long)pc + 1;
		if (t >= 0 && (size_t)t < cnt &&
		    (!subprog || !nr_starts ||
		     (t > 0 && ends_flow(&insns[t - 1]))))
			continue; /* already fine: keep it */
		if (subprog && nr_starts)
			t = (long)starts[(unsigned long)raw % nr_starts];
		else
			t = (long)(((unsigned long)(raw + (long)pc + 1)) % cnt);
		if (is_imm)
			*(int32_t *)f = (int32_t)(t - (long)pc - 1);
		else
			*(int16_t *)f = (int16_t)(t - (long)pc - 1);
		if (is_ld_imm64(in))
			pc++;
	}
}

/* Loads, stores and atomics based on r10 land in the frame, those based
 * on r1 in the buffer (when it is large enough). */
static void fix_mem(struct bpf_insn *in, size_t mem_len)
{
	uint8_t cls = BPF_CLASS(in->code);
	unsigned int sz = mem_size(in->code), base;
	bool atomic = cls == BPF_STX && BPF_MODE(in->code) == BPF_ATOMIC;

	if (cls == BPF_LDX)
		base = in->src_reg;
	else if (cls == BPF_ST || cls == BPF_STX)
		base = in->dst_reg;
	else
		return;
	if (base == 10) {
		/* in [-512, -sz], kept if it already is (a misaligned atomic
		 * included); a new one is a multiple of sz, and r10 is
		 * 16-aligned */
		if (in->off < -512 || in->off > -(int)sz)
			in->off = (int16_t)(-(int)(((uint16_t)in->off %
						    (512 / sz)) +
						   1) *
					    (int)sz);
	} else if (base == 1) {
		/* in [0, mem_len - sz], kept if it already is */
		if (mem_len < sz) {
			in->off = 0;
		} else if (in->off < 0 || (size_t)in->off > mem_len - sz) {
			in->off = (int16_t)((uint16_t)in->off %
					    (mem_len - sz + 1));
			if (atomic) /* the buffer is malloc-aligned */
				in->off &= (int16_t) ~(sz - 1);
		}
	}
}

static void repair(struct bpf_insn *insns, size_t cnt, uint8_t flags,
		   size_t mem_len)
{
	size_t pc;

	for (pc = 0; pc < cnt; pc++) {
		struct bpf_insn *in = &insns[pc];

		if (flags & FLAG_FIELDS)
			fix_fields(in);
		if (flags & FLAG_REGS)
			fix_regs(in);
		if (flags & FLAG_MEM)
			fix_mem(in, mem_len);
		if (is_ld_imm64(in) && pc + 1 < cnt) {
			if (flags & FLAG_FIELDS) {
				struct bpf_insn *hi = &insns[pc + 1];

				hi->code = 0;
				hi->dst_reg = hi->src_reg = 0;
				hi->off = 0;
				if (in->src_reg == BPF_PSEUDO_FUNC)
					hi->imm = 0;
			}
			pc++;
		}
	}
	if (flags & FLAG_EXIT)
		insns[cnt - 1] = (struct bpf_insn){.code = BPF_JMP | BPF_EXIT};
	if (flags & FLAG_JUMPS)
		fix_jumps(insns, cnt);
}

/* Results can differ between two runs only through the clock, the random
 * helper, callx (which may name either) or a stack address leaking into
 * a value (the buffer is the same in both runs). */
static bool deterministic(const struct bpf_insn *insns, size_t cnt)
{
	size_t pc;

	for (pc = 0; pc < cnt; pc++) {
		const struct bpf_insn *in = &insns[pc];

		if (is_ld_imm64(in)) {
			pc++;
			continue;
		}
		if (in->code == (BPF_JMP | BPF_CALL | BPF_X))
			return false;
		if (in->code == (BPF_JMP | BPF_CALL) &&
		    in->src_reg != BPF_PSEUDO_CALL &&
		    in->imm != BPF_FUNC_get_smp_processor_id)
			return false;
		if (in->src_reg == 10 && BPF_CLASS(in->code) != BPF_LDX)
			return false;
		if (in->dst_reg == 10 && (BPF_CLASS(in->code) == BPF_JMP ||
					  BPF_CLASS(in->code) == BPF_JMP32 ||
					  BPF_CLASS(in->code) == BPF_ALU ||
					  BPF_CLASS(in->code) == BPF_ALU64))
			return false;
	}
	return true;
}

/* No backward jump and no call: the program ends within cnt
 * instructions, so it may run with no budget, which the JIT needs. */
static bool straight(const struct bpf_insn *insns, size_t cnt)
{
	size_t pc;

	for (pc = 0; pc < cnt; pc++) {
		const struct bpf_insn *in = &insns[pc];
		uint8_t cls = BPF_CLASS(in->code);

		if (is_ld_imm64(in)) {
			pc++;
			continue;
		}
		if (cls != BPF_JMP && cls != BPF_JMP32)
			continue;
		if (BPF_OP(in->code) == BPF_CALL &&
		    (in->src_reg == BPF_PSEUDO_CALL || BPF_SRC(in->code) ||
		     in->imm == BPF_FUNC_loop))
			return false;
		if (in->code == (BPF_JMP32 | BPF_JA) ? in->imm < 0 :
		    BPF_OP(in->code) != BPF_CALL &&
		    BPF_OP(in->code) != BPF_EXIT && in->off < 0)
			return false;
	}
	return true;
}

/* FUZZ_PROG_VERBOSE=1 prints what one input becomes and does: for
 * reproducers, and to check that the seeds load and run as meant. */
static bool verbose(void)
{
	static int v = -1;

	if (v < 0)
		v = getenv("FUZZ_PROG_VERBOSE") != NULL;
	return v;
}

static void dump(const struct bpf_insn *insns, size_t cnt, size_t mem_len,
		 uint8_t flags)
{
	size_t pc;

	fprintf(stderr,
		"fuzz_prog: mem_len %zu flags 0x%02x, %zu insns after "
		"repair:\n",
		mem_len, flags, cnt);
	for (pc = 0; pc < cnt; pc++)
		fprintf(stderr,
			"  %3zu: code 0x%02x dst r%u src r%u off %6d imm "
			"%11d\n",
			pc, insns[pc].code, insns[pc].dst_reg,
			insns[pc].src_reg, insns[pc].off, insns[pc].imm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpf_insn *insns;
	struct uebpf_prog *prog;
	uint8_t *mem = NULL, *mem_copy = NULL, flags;
	size_t mem_len, cnt, i, log_size = 0;
	char *log = NULL;
	enum bpf_prog_type type = BPF_PROG_TYPE_UNSPEC;
	bool mem_null = false;

	if (size < 2)
		return 0;
	mem_len = (data[0] & 0x7f) % (MAX_MEM + 1);
	flags = data[1];
	data += 2;
	size -= 2;

	/* The buffer, exactly mem_len bytes long (ASan returns a distinct
	 * pointer for malloc(0)). */
	mem = malloc(mem_len);
	mem_copy = malloc(mem_len);
	if (!mem || !mem_copy)
		abort();
	for (i = 0; i < mem_len; i++)
		mem[i] = (uint8_t)(i * 0x9d + 0x5a);
	if (data[-2] & 0x80) {
		size_t n = size < mem_len ? size : mem_len;

		memcpy(mem, data, n);
		data += n;
		size -= n;
	}
	/* log size 1..256 from the input's last byte, so truncation happens */
	log_size = 1 + (size ? data[size - 1] : 63);

	cnt = size / sizeof(struct bpf_insn);
	if (cnt > MAX_INSNS)
		cnt = MAX_INSNS;
	/* malloc'd exactly, so an out-of-range read of the program shows */
	insns = malloc(cnt ? cnt * sizeof(*insns) : 1);
	if (!insns)
		abort();
	memcpy(insns, data, cnt * sizeof(*insns));
	if (cnt)
		repair(insns, cnt, flags, mem_len);

	if (flags & FLAG_ODD) {
		/* A few calls off the main path: empty programs, other
		 * program types, a NULL buffer of length 0. */
		if (cnt && (insns[0].imm & 0xf) == 0xf)
			type = (enum bpf_prog_type)(
				(uint32_t)insns[0].imm >> 4 & 0x3f);
		mem_null = mem_len == 0;
	}
	if (flags & FLAG_LOG) {
		log = malloc(log_size);
		if (!log)
			abort();
		memset(log, 'X', log_size);
	}

	{
		UEBPF_OPTS(uebpf_prog_load_opts, opts, .name = "fuzz",
			   .log_buf = log, .log_size = log ? log_size : 0,
			   .log_level = log ? 1 + (flags >> 7) : 0,
			   .insn_budget = BUDGET);

		errno = 0;
		prog = uebpf_prog_load(rt, type, cnt ? insns : NULL, cnt,
				       &opts);
		if (verbose()) {
			dump(insns, cnt, mem_len, flags);
			fprintf(stderr, "fuzz_prog: load: %s%s%s\n",
				prog ? "ok" : strerror(errno),
				log && *log ? "; log: " : "", log ? log : "");
		}
		CHECK(prog || errno > 0);
		if (log)
			CHECK(memchr(log, '\0', log_size) != NULL);
	}

	if (prog) {
		uint64_t r0 = 0, r0b = 0;
		int err, errb;

		CHECK(uebpf_prog_insn_cnt(prog) == cnt);
		CHECK(uebpf_prog_type(prog) == type);
		CHECK(strcmp(uebpf_prog_name(prog), "fuzz") == 0);
		if (mem_len)
			memcpy(mem_copy, mem, mem_len);
		err = uebpf_prog_run(prog, mem_null ? NULL : mem, mem_len, &r0);
		if (verbose())
			fprintf(stderr, "fuzz_prog: run: %d (%s), r0 0x%llx\n",
				err, err ? strerror(-err) : "ok",
				(unsigned long long)r0);
		/* 0 or a negative errno (today -ETIMEDOUT, -EFAULT, -EINVAL,
		 * -E2BIG), nothing else */
		CHECK(err <= 0 && err > -4096);
		if ((flags & FLAG_TWICE) && deterministic(insns, cnt)) {
			uint8_t *after = malloc(mem_len ? mem_len : 1);

			if (!after)
				abort();
			if (mem_len) {
				memcpy(after, mem, mem_len);
				memcpy(mem, mem_copy, mem_len);
			}
			errb = uebpf_prog_run(prog, mem_null ? NULL : mem,
					      mem_len, &r0b);
			CHECK(errb == err);
			CHECK(err || r0b == r0);
			CHECK(!mem_len || memcmp(after, mem, mem_len) == 0);
			free(after);
		}
		/* The same program compiled (checked code): never a crash,
		 * and, where the result cannot depend on addresses or time,
		 * the interpreter's result. */
		if (straight(insns, cnt) && err != -ETIMEDOUT) {
			UEBPF_OPTS(uebpf_prog_load_opts, jo, .name = "fuzz",
				   .engine = UEBPF_ENGINE_JIT);
			struct uebpf_prog *jp;
			uint8_t *after = malloc(mem_len ? mem_len : 1);
			uint64_t r0j = 0;
			int errj;

			if (!after)
				abort();
			/* mem holds what the interpreter left (the second
			 * run above, if any, left the same) */
			if (mem_len) {
				memcpy(after, mem, mem_len);
				memcpy(mem, mem_copy, mem_len);
			}
			jp = uebpf_prog_load(rt, type, insns, cnt, &jo);
			CHECK(jp || errno > 0);
			if (jp) {
				errj = uebpf_prog_run(jp, mem_null ? NULL : mem,
						      mem_len, &r0j);
				if (verbose())
					fprintf(stderr, "fuzz_prog: jit run: %d, r0 0x%llx\n",
						errj, (unsigned long long)r0j);
				CHECK(errj <= 0 && errj > -4096);
				if (deterministic(insns, cnt)) {
					CHECK(errj == err);
					CHECK(err || r0j == r0);
					CHECK(err || !mem_len ||
					      memcmp(after, mem, mem_len) == 0);
				}
				uebpf_prog_free(jp);
			}
			free(after);
		}
		uebpf_prog_free(prog);
		reclaim();
	}

	free(log);
	free(insns);
	free(mem);
	free(mem_copy);
	return 0;
}
