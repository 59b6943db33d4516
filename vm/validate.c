/* SPDX-License-Identifier: MIT */
/*
 * Structural validation: every program passes here before the verifier,
 * the interpreter or the JIT looks at it.  Checked: opcodes and their
 * reserved fields, register numbers, writes to r10, jump and call targets,
 * ld_imm64 pairs, subprogram boundaries, falling off the end, unreachable
 * instructions, recursion and call depth.  Each rejection names the pc and
 * the rule broken.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../lib/internal.h"

#define REJECT_ERR(err, ...)                                                   \
	do {                                                                   \
		uebpf_vlog_printf(log, __VA_ARGS__);                           \
		uebpf_vlog_printf(log, "\n");                                  \
		return (err);                                                  \
	} while (0)
#define REJECT(...) REJECT_ERR(-EINVAL, __VA_ARGS__)

bool uebpf_insn_is_ld_imm64(const struct bpf_insn *insn)
{
	return insn->code == (BPF_LD | BPF_IMM | BPF_DW);
}

static bool is_alu_op_known(uint8_t op)
{
	return op <= BPF_END && op != 0xe0 && op != 0xf0;
}

/* Checks one instruction's opcode and fields.  Jump targets are checked
 * later, once every ld_imm64 is known. */
static int check_fields(struct uebpf_runtime *rt, const struct bpf_insn *insns,
			size_t cnt, size_t pc, struct uebpf_vlog *log)
{
	const struct bpf_insn *in = &insns[pc];
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	uint8_t mode = BPF_MODE(in->code), size = BPF_SIZE(in->code);
	bool is_x = BPF_SRC(in->code) == BPF_X;

	if (in->dst_reg > 10 || in->src_reg > 10)
		REJECT("invalid register at pc %zu: r%u (registers are r0..r10)",
		       pc, in->dst_reg > 10 ? in->dst_reg : in->src_reg);

	switch (cls) {
	case BPF_LD:
		if (mode == BPF_ABS || mode == BPF_IND)
			REJECT("legacy packet access (ld_abs/ld_ind) at pc %zu is not supported: load packet bytes through the context's data pointer",
			       pc);
		if (in->code != (BPF_LD | BPF_IMM | BPF_DW))
			goto unknown;
		if (pc + 1 >= cnt)
			REJECT("ld_imm64 at pc %zu has no second half: the program ends",
			       pc);
		if (in->off || insns[pc + 1].code || insns[pc + 1].dst_reg ||
		    insns[pc + 1].src_reg || insns[pc + 1].off)
			REJECT("reserved field is not zero in ld_imm64 at pc %zu",
			       pc);
		if (in->dst_reg == BPF_REG_10)
			goto r10;
		switch (in->src_reg) {
		case 0:
		case BPF_PSEUDO_MAP_VALUE:
		case BPF_PSEUDO_MAP_IDX_VALUE:
			break;
		case BPF_PSEUDO_MAP_FD:
		case BPF_PSEUDO_MAP_IDX:
		case BPF_PSEUDO_FUNC:
			if (insns[pc + 1].imm)
				REJECT("reserved field is not zero in ld_imm64 at pc %zu: the second immediate must be 0 for src %u",
				       pc, in->src_reg);
			break;
		case BPF_PSEUDO_BTF_ID:
			REJECT("ld_imm64 at pc %zu loads a kernel symbol (BPF_PSEUDO_BTF_ID), which user space does not have",
			       pc);
		default:
			REJECT("invalid ld_imm64 at pc %zu: unknown src %u", pc,
			       in->src_reg);
		}
		return 0;
	case BPF_LDX:
		if (mode != BPF_MEM && !(mode == BPF_MEMSX && size != BPF_DW))
			goto unknown;
		if (in->imm)
			goto reserved;
		if (in->dst_reg == BPF_REG_10)
			goto r10;
		return 0;
	case BPF_ST:
		if (mode != BPF_MEM)
			goto unknown;
		if (in->src_reg)
			goto reserved;
		return 0;
	case BPF_STX:
		if (mode == BPF_MEM) {
			if (in->imm)
				goto reserved;
			return 0;
		}
		if (mode != BPF_ATOMIC || (size != BPF_W && size != BPF_DW))
			goto unknown;
		switch (in->imm) {
		case BPF_ADD:
		case BPF_OR:
		case BPF_AND:
		case BPF_XOR:
			return 0;
		case BPF_ADD | BPF_FETCH:
		case BPF_OR | BPF_FETCH:
		case BPF_AND | BPF_FETCH:
		case BPF_XOR | BPF_FETCH:
		case BPF_XCHG:
			if (in->src_reg == BPF_REG_10)
				REJECT_ERR(-EACCES, "frame pointer r10 is read-only: atomic fetch at pc %zu writes it",
				       pc);
			return 0;
		case BPF_CMPXCHG:
			return 0;
		default:
			REJECT("unknown atomic operation 0x%x at pc %zu",
			       (unsigned)in->imm, pc);
		}
	case BPF_ALU:
	case BPF_ALU64:
		if (!is_alu_op_known(op))
			goto unknown;
		if (op == BPF_END) {
			if (cls == BPF_ALU64 && is_x)
				goto unknown;
			if (in->src_reg || in->off)
				goto reserved;
			if (in->imm != 16 && in->imm != 32 && in->imm != 64)
				REJECT("invalid byte swap width %d at pc %zu: must be 16, 32 or 64",
				       in->imm, pc);
		} else if (op == BPF_NEG) {
			if (is_x)
				goto unknown;
			if (in->src_reg || in->off || in->imm)
				goto reserved;
		} else {
			bool off_ok = !in->off;

			if (op == BPF_DIV || op == BPF_MOD)
				off_ok = in->off == 0 || in->off == 1;
			else if (op == BPF_MOV && is_x)
				off_ok = in->off == 0 || in->off == 8 ||
					 in->off == 16 ||
					 (in->off == 32 && cls == BPF_ALU64);
			if (!off_ok)
				goto reserved;
			if (is_x ? in->imm != 0 : in->src_reg != 0)
				goto reserved;
		}
		if (in->dst_reg == BPF_REG_10)
			goto r10;
		return 0;
	case BPF_JMP:
	case BPF_JMP32:
		switch (op) {
		case BPF_JA:
			if (is_x)
				goto unknown;
			if (in->dst_reg || in->src_reg ||
			    (cls == BPF_JMP ? in->imm != 0 : in->off != 0))
				goto reserved;
			return 0;
		case BPF_CALL:
			if (cls == BPF_JMP32)
				goto unknown;
			if (in->off)
				goto reserved;
			if (is_x) { /* callx: helper id in dst */
				if (in->src_reg || in->imm)
					goto reserved;
				return 0;
			}
			if (in->dst_reg)
				goto reserved;
			if (in->src_reg == BPF_PSEUDO_CALL)
				return 0;
			if (in->src_reg == BPF_PSEUDO_KFUNC_CALL)
				REJECT("kfunc call at pc %zu: kernel functions do not exist in user space",
				       pc);
			if (in->src_reg)
				goto reserved;
			if (in->imm < 0 || in->imm >= UEBPF_MAX_HELPER_ID ||
			    !rt->helpers[in->imm].fn) {
				const char *name =
					in->imm >= 0 ? uebpf_helper_name(in->imm) :
						       NULL;
				if (name)
					REJECT("unknown helper %s#%d at pc %zu: libuebpf does not implement it",
					       name, in->imm, pc);
				REJECT("unknown helper id %d at pc %zu", in->imm,
				       pc);
			}
			return 0;
		case BPF_EXIT:
			if (cls == BPF_JMP32 || is_x)
				goto unknown;
			if (in->dst_reg || in->src_reg || in->off || in->imm)
				goto reserved;
			return 0;
		case BPF_JCOND:
			if (cls == BPF_JMP && !is_x)
				REJECT("may_goto at pc %zu is not supported", pc);
			goto unknown;
		case 0xf0:
			goto unknown;
		default: /* conditional jumps */
			if (is_x ? in->imm != 0 : in->src_reg != 0)
				goto reserved;
			return 0;
		}
	}
unknown:
	REJECT("unknown opcode 0x%02x at pc %zu", in->code, pc);
reserved:
	REJECT("reserved field is not zero at pc %zu (opcode 0x%02x): dst r%u src r%u off %d imm %d",
	       pc, in->code, in->dst_reg, in->src_reg, in->off, in->imm);
r10:
	REJECT_ERR(-EACCES, "frame pointer r10 is read-only: written at pc %zu", pc);
}

/* Target of the jump, local call or callback reference at pc, if any. */
static bool branch_target(const struct bpf_insn *in, size_t pc, long *t)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);

	if (uebpf_insn_is_ld_imm64(in)) {
		*t = (long)pc + in->imm + 1;
		return in->src_reg == BPF_PSEUDO_FUNC;
	}
	if ((cls != BPF_JMP && cls != BPF_JMP32) || op == BPF_EXIT)
		return false;
	if (op == BPF_CALL) {
		*t = (long)pc + in->imm + 1;
		return in->src_reg == BPF_PSEUDO_CALL && !(in->code & BPF_X);
	}
	*t = (long)pc + (op == BPF_JA && cls == BPF_JMP32 ? in->imm : in->off) +
	     1;
	return true;
}

static bool is_call_local(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_CALL) &&
	       in->src_reg == BPF_PSEUDO_CALL;
}

static bool is_subprog_ref(const struct bpf_insn *in)
{
	return is_call_local(in) || (uebpf_insn_is_ld_imm64(in) &&
				     in->src_reg == BPF_PSEUDO_FUNC);
}

static bool ends_flow(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_EXIT) ||
	       in->code == (BPF_JMP | BPF_JA) ||
	       in->code == (BPF_JMP32 | BPF_JA);
}

struct vstate {
	const struct bpf_insn *insns;
	size_t cnt;
	uint8_t *flags;	    /* per pc, below */
	size_t *subprog_of; /* per pc: index of its subprogram */
	size_t *starts;	    /* subprogram entry pcs, sorted */
	size_t nr_sub;
	struct uebpf_vlog *log;
};

enum { F_SECOND = 1, F_START = 2, F_SEEN = 4, F_ONSTACK = 8, F_DONE = 16 };

static size_t subprog_end(const struct vstate *v, size_t s)
{
	return s + 1 < v->nr_sub ? v->starts[s + 1] : v->cnt;
}

/* Longest chain of frames from subprogram s, or a negative errno on
 * recursion or a chain too deep; depth[] memoises, 0 = not yet known.
 * level counts the frames already above and including s, so the search
 * stops at the limit and never recurses deeper than 9 on the host's stack,
 * however long a chain of subprograms the program holds. */
static int call_depth(struct vstate *v, size_t s, int level, int *depth,
		      uint8_t *onstack)
{
	struct uebpf_vlog *log = v->log;
	int best = 1, d;
	size_t pc;

	if (depth[s])
		return depth[s];
	onstack[s] = 1;
	for (pc = v->starts[s]; pc < subprog_end(v, s); pc++) {
		const struct bpf_insn *in = &v->insns[pc];
		size_t t;

		if (!is_call_local(in))
			continue;
		t = v->subprog_of[pc + in->imm + 1];
		if (onstack[t])
			REJECT_ERR(-E2BIG, "recursive call at pc %zu: the subprogram at pc %zu calls itself",
			       pc, v->starts[t]);
		if (level + 1 > UEBPF_MAX_CALL_FRAMES)
			REJECT_ERR(-E2BIG, "the call stack of %d frames is too deep: the call at pc %zu goes past the limit of %d",
			       level + 1, pc, UEBPF_MAX_CALL_FRAMES);
		d = call_depth(v, t, level + 1, depth, onstack);
		if (d < 0)
			return d;
		if (d + 1 > best)
			best = d + 1;
		if (level - 1 + best > UEBPF_MAX_CALL_FRAMES)
			REJECT_ERR(-E2BIG, "the call stack of %d frames is too deep: the call at pc %zu goes past the limit of %d",
			       level - 1 + best, pc, UEBPF_MAX_CALL_FRAMES);
	}
	onstack[s] = 0;
	depth[s] = best;
	return best;
}

static int check_graph(struct vstate *v)
{
	struct uebpf_vlog *log = v->log;
	const struct bpf_insn *insns = v->insns;
	size_t cnt = v->cnt, pc, s, sp = 0, *stack;
	int *depth, err = 0;
	uint8_t *onstack;

	/* Subprogram entries: pc 0 and every call or callback target. */
	v->flags[0] |= F_START;
	for (pc = 0; pc < cnt; pc++) {
		long t;

		if (v->flags[pc] & F_SECOND)
			continue;
		if (!branch_target(&insns[pc], pc, &t))
			continue;
		if (t < 0 || (size_t)t >= cnt)
			REJECT("jump out of range at pc %zu: target %ld, program has %zu instructions",
			       pc, t, cnt);
		if (v->flags[t] & F_SECOND)
			REJECT("jump at pc %zu goes into the middle of ld_imm64 at pc %ld",
			       pc, t - 1);
		if (is_subprog_ref(&insns[pc]))
			v->flags[t] |= F_START;
	}
	for (pc = 0; pc < cnt; pc++)
		if (v->flags[pc] & F_START)
			v->starts[v->nr_sub++] = pc;
	for (s = 0; s < v->nr_sub; s++) {
		size_t end = subprog_end(v, s);

		for (pc = v->starts[s]; pc < end; pc++)
			v->subprog_of[pc] = s;
		pc = end - 1;
		if (v->flags[pc] & F_SECOND)
			pc--;
		if (!ends_flow(&insns[pc]))
			REJECT(s + 1 < v->nr_sub ?
				       "execution falls off the end of the subprogram starting at pc %zu into the next one: its last instruction (pc %zu) is not exit or ja" :
				       s ? "execution falls off the end of the program in the subprogram starting at pc %zu: its last instruction (pc %zu) is not exit or ja" :
					   "execution falls off the end of the program (starting at pc %zu): the last instruction (pc %zu) is not exit or ja",
			       v->starts[s], pc);
	}
	/* Jumps stay inside their subprogram. */
	for (pc = 0; pc < cnt; pc++) {
		const struct bpf_insn *in = &insns[pc];
		long t;

		if (v->flags[pc] & F_SECOND || is_subprog_ref(in))
			continue;
		if (branch_target(in, pc, &t) &&
		    v->subprog_of[t] != v->subprog_of[pc])
			REJECT("jump out of range at pc %zu: target %ld is outside its subprogram (pc %zu to %zu)",
			       pc, t, v->starts[v->subprog_of[pc]],
			       subprog_end(v, v->subprog_of[pc]) - 1);
	}

	/* Reachability from pc 0: fall-through, jump, call and callback edges. */
	stack = malloc(cnt * sizeof(*stack));
	if (!stack)
		return -ENOMEM;
	stack[sp++] = 0;
	v->flags[0] |= F_SEEN;
	while (sp) {
		const struct bpf_insn *in;
		long next[2] = { -1, -1 };
		int i;

		pc = stack[--sp];
		in = &insns[pc];
		if (!ends_flow(in))
			next[0] = pc + (uebpf_insn_is_ld_imm64(in) ? 2 : 1);
		if (!branch_target(in, pc, &next[1]))
			next[1] = -1;
		for (i = 0; i < 2; i++) {
			if (next[i] < 0 || (v->flags[next[i]] & F_SEEN))
				continue;
			v->flags[next[i]] |= F_SEEN;
			stack[sp++] = next[i];
		}
	}
	free(stack);
	for (pc = 0; pc < cnt; pc++)
		if (!(v->flags[pc] & (F_SEEN | F_SECOND)))
			REJECT("unreachable instruction at pc %zu", pc);

	depth = calloc(v->nr_sub, sizeof(*depth));
	onstack = calloc(v->nr_sub, 1);
	if (!depth || !onstack)
		err = -ENOMEM;
	for (s = 0; !err && s < v->nr_sub; s++) {
		memset(onstack, 0, v->nr_sub);
		err = call_depth(v, s, 1, depth, onstack);
		err = err < 0 ? err : 0;
	}
	free(depth);
	free(onstack);
	return err;
}

int uebpf_validate(struct uebpf_runtime *rt, const struct bpf_insn *insns,
		   size_t cnt, struct uebpf_vlog *log)
{
	struct vstate v = { .insns = insns, .cnt = cnt, .log = log };
	size_t pc;
	int err = 0;

	if (!cnt)
		REJECT("program has no instructions");
	if (cnt > UEBPF_MAX_INSNS) {
		uebpf_vlog_printf(log, "program has %zu instructions, more than the limit of %d\n",
				  cnt, UEBPF_MAX_INSNS);
		return -E2BIG;
	}
	v.flags = calloc(cnt, 1);
	v.subprog_of = calloc(cnt, sizeof(*v.subprog_of));
	v.starts = calloc(cnt, sizeof(*v.starts));
	if (!v.flags || !v.subprog_of || !v.starts) {
		err = -ENOMEM;
		goto out;
	}
	for (pc = 0; pc < cnt && !err; pc++) {
		err = check_fields(rt, insns, cnt, pc, log);
		if (!err && uebpf_insn_is_ld_imm64(&insns[pc]))
			v.flags[++pc] |= F_SECOND;
	}
	if (!err)
		err = check_graph(&v);
out:
	free(v.flags);
	free(v.subprog_of);
	free(v.starts);
	return err;
}
