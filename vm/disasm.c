/* SPDX-License-Identifier: MIT */
/*
 * One instruction as text, in the kernel's verifier-log syntax:
 *   "r2 = *(u32 *)(r1 +0)", "if r3 > r2 goto pc+4", "call bpf_map_lookup_elem#1".
 * Used by the verifier log and, later, by `uebpf prog dump xlated`.
 */
#include <stdio.h>

#include "../lib/internal.h"
#include "disasm.h"

static const char *const alu_ops[16] = {
	[BPF_ADD >> 4] = "+=",	[BPF_SUB >> 4] = "-=",	[BPF_MUL >> 4] = "*=",
	[BPF_DIV >> 4] = "/=",	[BPF_OR >> 4] = "|=",	[BPF_AND >> 4] = "&=",
	[BPF_LSH >> 4] = "<<=", [BPF_RSH >> 4] = ">>=", [BPF_NEG >> 4] = "neg",
	[BPF_MOD >> 4] = "%=",	[BPF_XOR >> 4] = "^=",	[BPF_MOV >> 4] = "=",
	[BPF_ARSH >> 4] = "s>>=", [BPF_END >> 4] = "endian",
};

static const char *const jmp_ops[16] = {
	[BPF_JEQ >> 4] = "==",	[BPF_JGT >> 4] = ">",	[BPF_JGE >> 4] = ">=",
	[BPF_JSET >> 4] = "&",	[BPF_JNE >> 4] = "!=",	[BPF_JSGT >> 4] = "s>",
	[BPF_JSGE >> 4] = "s>=", [BPF_JLT >> 4] = "<",	[BPF_JLE >> 4] = "<=",
	[BPF_JSLT >> 4] = "s<", [BPF_JSLE >> 4] = "s<=",
};

static const char *const size_names[4] = { "u32", "u16", "u8", "u64" };

static const char *sz(const struct bpf_insn *in, bool sx)
{
	static const char *const s_names[4] = { "s32", "s16", "s8", "s64" };

	return (sx ? s_names : size_names)[BPF_SIZE(in->code) >> 3];
}

int uebpf_disasm(const struct bpf_insn *in, char *buf, size_t len)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	bool x = BPF_SRC(in->code) == BPF_X;
	char r = cls == BPF_ALU || cls == BPF_JMP32 ? 'w' : 'r';
	const char *name;

	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		if (op == BPF_NEG)
			return snprintf(buf, len, "%c%u = -%c%u", r, in->dst_reg,
					r, in->dst_reg);
		if (op == BPF_END) {
			const char *k = cls == BPF_ALU64 ? "bswap" :
					x ? "be" : "le";

			return snprintf(buf, len, "r%u = %s%d r%u", in->dst_reg,
					k, in->imm, in->dst_reg);
		}
		if (op == BPF_MOV && x && in->off)
			return snprintf(buf, len, "%c%u = (s%d)%c%u", r,
					in->dst_reg, in->off, r, in->src_reg);
		name = alu_ops[op >> 4];
		if (!name)
			break;
		if ((op == BPF_DIV || op == BPF_MOD) && in->off == 1) {
			if (x)
				return snprintf(buf, len, "%c%u s%s %c%u", r,
						in->dst_reg, name, r,
						in->src_reg);
			return snprintf(buf, len, "%c%u s%s %d", r, in->dst_reg,
					name, in->imm);
		}
		if (x)
			return snprintf(buf, len, "%c%u %s %c%u", r, in->dst_reg,
					name, r, in->src_reg);
		return snprintf(buf, len, "%c%u %s %d", r, in->dst_reg, name,
				in->imm);
	case BPF_LDX:
		return snprintf(buf, len, "r%u = *(%s *)(r%u %+d)", in->dst_reg,
				sz(in, BPF_MODE(in->code) == BPF_MEMSX),
				in->src_reg, in->off);
	case BPF_ST:
		return snprintf(buf, len, "*(%s *)(r%u %+d) = %d", sz(in, false),
				in->dst_reg, in->off, in->imm);
	case BPF_STX:
		if (BPF_MODE(in->code) == BPF_ATOMIC) {
			static const char *const aops[16] = {
				[BPF_ADD >> 4] = "add", [BPF_AND >> 4] = "and",
				[BPF_OR >> 4] = "or", [BPF_XOR >> 4] = "xor",
			};
			const char *w = BPF_SIZE(in->code) == BPF_DW ? "64" : "";
			int a = in->imm & ~BPF_FETCH;

			if (in->imm == BPF_XCHG)
				return snprintf(buf, len, "r%u = atomic%s_xchg((%s *)(r%u %+d), r%u)",
						in->src_reg, w, sz(in, false),
						in->dst_reg, in->off, in->src_reg);
			if (in->imm == BPF_CMPXCHG)
				return snprintf(buf, len, "r0 = atomic%s_cmpxchg((%s *)(r%u %+d), r0, r%u)",
						w, sz(in, false), in->dst_reg,
						in->off, in->src_reg);
			if (a >= 0 && a < 256 && aops[a >> 4]) {
				if (in->imm & BPF_FETCH)
					return snprintf(buf, len, "r%u = atomic%s_fetch_%s((%s *)(r%u %+d), r%u)",
							in->src_reg, w,
							aops[a >> 4],
							sz(in, false),
							in->dst_reg, in->off,
							in->src_reg);
				return snprintf(buf, len, "lock *(%s *)(r%u %+d) %s= r%u",
						sz(in, false), in->dst_reg,
						in->off,
						a == BPF_ADD ? "+" :
						a == BPF_AND ? "&" :
						a == BPF_OR  ? "|" : "^",
						in->src_reg);
			}
			break;
		}
		return snprintf(buf, len, "*(%s *)(r%u %+d) = r%u", sz(in, false),
				in->dst_reg, in->off, in->src_reg);
	case BPF_LD:
		if (in->code != (BPF_LD | BPF_IMM | BPF_DW))
			break;
		if (in->src_reg == BPF_PSEUDO_FUNC)
			return snprintf(buf, len, "r%u = func pc%+d", in->dst_reg,
					in->imm);
		return snprintf(buf, len, "r%u = 0x%llx ll", in->dst_reg,
				(unsigned long long)(uint32_t)in->imm |
					((unsigned long long)(uint32_t)in[1].imm
					 << 32));
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_JA)
			return snprintf(buf, len, "goto pc%+d",
					cls == BPF_JMP32 ? in->imm : in->off);
		if (op == BPF_EXIT && cls == BPF_JMP)
			return snprintf(buf, len, "exit");
		if (op == BPF_CALL && cls == BPF_JMP) {
			if (in->src_reg == BPF_PSEUDO_CALL)
				return snprintf(buf, len, "call pc%+d", in->imm);
			if (x)
				return snprintf(buf, len, "callx r%u", in->dst_reg);
			name = uebpf_helper_name(in->imm);
			return snprintf(buf, len, "call %s#%d",
					name ? name : "unknown", in->imm);
		}
		name = jmp_ops[op >> 4];
		if (!name)
			break;
		if (x)
			return snprintf(buf, len, "if %c%u %s %c%u goto pc%+d", r,
					in->dst_reg, name, r, in->src_reg,
					in->off);
		return snprintf(buf, len, "if %c%u %s 0x%x goto pc%+d", r,
				in->dst_reg, name, (uint32_t)in->imm, in->off);
	}
	return snprintf(buf, len, "(%02x) unknown", in->code);
}
