/* SPDX-License-Identifier: MIT */
/*
 * Assembler for the textual BPF syntax of the conformance test files.
 *
 * Syntax, one instruction or label per line ('#' starts a comment):
 *
 *   label:                          defines a label (an instruction may follow)
 *   add %r0, %r1    add32 %r0, 5    ALU64 / ALU (suffix 32; "64" is optional)
 *   sub mul div or and lsh rsh mod xor mov arsh    (same forms)
 *   sdiv smod                       signed division / modulo (off = 1)
 *   neg %r0         neg32 %r0
 *   movsx832 movsx864 movsx1632 movsx1664 movsx3264 %rD, %rS   (off = 8/16/32)
 *   be16/be32/be64 le16/le32/le64 %rD          BPF_ALU | BPF_END
 *   bswap16/32/64 (alias swap16/32/64) %rD     BPF_ALU64 | BPF_END | BPF_TO_LE
 *   lddw %rD, imm64
 *   lddw %rD, map:NAME              map reference (src 1, BPF_PSEUDO_MAP_FD)
 *   lddw %rD, map_value:NAME+OFF    map value address (src 2, BPF_PSEUDO_MAP_VALUE)
 *   ldxb ldxh ldxw ldxdw %rD, [%rS+off]        ldxsb ldxsh ldxsw (BPF_MEMSX)
 *   stb sth stw stdw [%rD+off], imm32
 *   stxb stxh stxw stxdw [%rD+off], %rS
 *   lock [fetch] add|and|or|xor[32] [%rD+off], %rS
 *   lock xchg[32] / lock cmpxchg[32] [%rD+off], %rS
 *   ldabsb/h/w/dw imm    ldindb/h/w/dw %rS, imm       (legacy packet access)
 *   ja target       ja32 target     (ja32 puts the offset into imm)
 *   jeq jgt jge jset jne jsgt jsge jlt jle jslt jsle[32] %rD, %rS|imm, target
 *   call N | call helper N          helper call (imm = N)
 *   call %rN | callx %rN            call by register (BPF_JMP|BPF_CALL|BPF_X, dst = N)
 *   call local target               BPF-to-BPF call (src = 1, imm = pc-relative)
 *   call runtime N                  src = 2, imm = N
 *   exit
 *
 * A jump target is a label or a signed number ("+1", "-3"). The name
 * "exit", unless defined as a label, means the first exit instruction of
 * the program. Registers are %r0..%r15 (the "r" form without '%' is
 * accepted too); r11..r15 exist only to write negative tests. Numbers are
 * decimal or 0x-hex; a 32-bit immediate accepts -2^31..2^31-1 in decimal
 * or 0..0xffffffff in hex; a 16-bit offset -32768..32767 or 0..0xffff.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "asm.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 8
#define MAX_TOKEN 96

struct label {
	char *name;
	size_t pc;
	unsigned int line;
};

enum fixup_kind {
	FIX_OFF, /* 16-bit offset field */
	FIX_IMM, /* 32-bit imm field (ja32, call local) */
};

struct fixup {
	size_t pc;
	char *label;
	enum fixup_kind kind;
	unsigned int line;
};

struct as {
	struct bpf_insn *insns;
	size_t n, cap;
	struct label *labels;
	size_t nlabels, caplabels;
	struct fixup *fixups;
	size_t nfixups, capfixups;
	struct conf_asm_map_ref *refs; /* NULL when map references are refused */
	size_t nrefs, caprefs;
	bool want_refs;
	long first_exit;
	unsigned int line;
	struct conf_asm_error *err;
};

struct toks {
	int n;
	char t[MAX_TOKENS][MAX_TOKEN];
};

static int fail(struct as *as, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct as *as, const char *fmt, ...)
{
	if (as->err) {
		va_list ap;
		int len = 0;

		as->err->line = as->line;
		if (as->line)
			len = snprintf(as->err->message, sizeof(as->err->message), "line %u: ", as->line);
		if (len < 0 || (size_t)len >= sizeof(as->err->message))
			len = 0;
		va_start(ap, fmt);
		vsnprintf(as->err->message + len, sizeof(as->err->message) - (size_t)len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return true;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, ncap * elem);
	if (!np)
		return false;
	*p = np;
	*cap = ncap;
	return true;
}

/* ---- tokens ------------------------------------------------------------ */

/*
 * Split a line into tokens. Separators are white space and commas; a
 * bracketed memory operand "[%r1 + 8]" is one token with its blanks removed.
 */
static int tokenize(struct as *as, const char *s, struct toks *tk)
{
	tk->n = 0;
	for (;;) {
		size_t len = 0;
		char *out;

		while (*s && (isspace((unsigned char)*s) || *s == ','))
			s++;
		if (!*s)
			return 0;
		if (tk->n == MAX_TOKENS)
			return fail(as, "too many operands");
		out = tk->t[tk->n];
		if (*s == '[') {
			while (*s && *s != ']') {
				if (!isspace((unsigned char)*s)) {
					if (len + 2 >= MAX_TOKEN)
						return fail(as, "operand too long");
					out[len++] = *s;
				}
				s++;
			}
			if (*s != ']')
				return fail(as, "missing ']' in memory operand");
			out[len++] = *s++;
		} else {
			while (*s && !isspace((unsigned char)*s) && *s != ',' && *s != '[') {
				if (len + 1 >= MAX_TOKEN)
					return fail(as, "token too long");
				out[len++] = *s++;
			}
		}
		out[len] = '\0';
		tk->n++;
	}
}

/* ---- numbers, registers, operands ------------------------------------- */

/* [+-]? (0x hex | decimal); the magnitude must fit in 64 bits. */
static bool parse_number(const char *s, bool *neg, uint64_t *mag, bool *hex)
{
	uint64_t v = 0;
	unsigned int base = 10;
	int digits = 0;

	*neg = false;
	if (*s == '+' || *s == '-') {
		*neg = *s == '-';
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	*hex = base == 16;
	for (; *s; s++, digits++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			return false;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	if (!digits)
		return false;
	*mag = v;
	return true;
}

static bool looks_numeric(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	return isdigit((unsigned char)*s);
}

static int get_imm32(struct as *as, const char *s, int32_t *out)
{
	bool neg, hex;
	uint64_t mag;

	if (!parse_number(s, &neg, &mag, &hex))
		return fail(as, "invalid immediate '%s'", s);
	if (neg) {
		if (mag > 0x80000000ULL)
			return fail(as, "immediate '%s' is out of 32-bit range", s);
		*out = (int32_t)(0 - (int64_t)mag);
	} else if (hex) {
		if (mag > 0xffffffffULL)
			return fail(as, "immediate '%s' is out of 32-bit range", s);
		*out = (int32_t)(uint32_t)mag;
	} else {
		if (mag > 0x7fffffffULL)
			return fail(as, "immediate '%s' is out of 32-bit range (use hex for unsigned values)", s);
		*out = (int32_t)mag;
	}
	return 0;
}

static int get_off16(struct as *as, const char *s, int16_t *out)
{
	bool neg, hex;
	uint64_t mag;

	if (!parse_number(s, &neg, &mag, &hex))
		return fail(as, "invalid offset '%s'", s);
	if (neg) {
		if (mag > 0x8000)
			return fail(as, "offset '%s' is out of 16-bit range", s);
		*out = (int16_t)(0 - (int32_t)mag);
	} else if (hex) {
		if (mag > 0xffff)
			return fail(as, "offset '%s' is out of 16-bit range", s);
		*out = (int16_t)(uint16_t)mag;
	} else {
		if (mag > 0x7fff)
			return fail(as, "offset '%s' is out of 16-bit range", s);
		*out = (int16_t)mag;
	}
	return 0;
}

static int get_imm64(struct as *as, const char *s, uint64_t *out)
{
	bool neg, hex;
	uint64_t mag;

	if (!parse_number(s, &neg, &mag, &hex))
		return fail(as, "invalid 64-bit immediate '%s'", s);
	if (neg) {
		if (mag > 0x8000000000000000ULL)
			return fail(as, "immediate '%s' is out of 64-bit range", s);
		*out = 0 - mag;
	} else {
		*out = mag;
	}
	return 0;
}

static bool is_reg(const char *s)
{
	return s[0] == '%' || (s[0] == 'r' && isdigit((unsigned char)s[1]));
}

static int get_reg(struct as *as, const char *s, uint8_t *out)
{
	const char *p = s;
	unsigned int v = 0;

	if (*p == '%')
		p++;
	if (*p++ != 'r' || !isdigit((unsigned char)*p))
		return fail(as, "invalid register '%s'", s);
	if (p[0] == '0' && p[1])
		return fail(as, "invalid register '%s'", s);
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p) || v > 15)
			return fail(as, "invalid register '%s'", s);
		v = v * 10 + (unsigned int)(*p - '0');
	}
	if (v > 15)
		return fail(as, "invalid register '%s' (r0..r10; r11..r15 only for negative tests)", s);
	*out = (uint8_t)v;
	return 0;
}

/* "[%rN]", "[%rN+off]" or "[%rN-off]". */
static int get_mem(struct as *as, const char *s, uint8_t *reg, int16_t *off)
{
	char buf[MAX_TOKEN];
	size_t len = strlen(s);
	char *sign;

	if (len < 3 || s[0] != '[' || s[len - 1] != ']')
		return fail(as, "expected a memory operand like [%%r1+8], got '%s'", s);
	memcpy(buf, s + 1, len - 2);
	buf[len - 2] = '\0';
	sign = strpbrk(buf, "+-");
	*off = 0;
	if (sign) {
		char offs[MAX_TOKEN];

		strcpy(offs, sign);
		*sign = '\0';
		if (get_off16(as, offs, off))
			return -1;
	}
	return get_reg(as, buf, reg);
}

static bool valid_label(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '$')
			return false;
	return true;
}

/* ---- emitting ------------------------------------------------------------ */

static int emit(struct as *as, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn *insn;

	if (!grow((void **)&as->insns, &as->cap, as->n + 1, sizeof(*as->insns)))
		return fail(as, "out of memory");
	insn = &as->insns[as->n++];
	memset(insn, 0, sizeof(*insn));
	insn->code = code;
	insn->dst_reg = dst & 0xf;
	insn->src_reg = src & 0xf;
	insn->off = off;
	insn->imm = imm;
	return 0;
}

/*
 * Resolve a jump target for the instruction about to be emitted at as->n.
 * A number is used as is; a label is recorded for fixing up at the end.
 */
static int jump_target(struct as *as, const char *s, enum fixup_kind kind, int16_t *off, int32_t *imm)
{
	struct fixup *f;

	*off = 0;
	*imm = 0;
	if (looks_numeric(s))
		return kind == FIX_OFF ? get_off16(as, s, off) : get_imm32(as, s, imm);
	if (!valid_label(s))
		return fail(as, "invalid jump target '%s'", s);
	if (!grow((void **)&as->fixups, &as->capfixups, as->nfixups + 1, sizeof(*as->fixups)))
		return fail(as, "out of memory");
	f = &as->fixups[as->nfixups];
	f->label = strdup(s);
	if (!f->label)
		return fail(as, "out of memory");
	f->pc = as->n;
	f->kind = kind;
	f->line = as->line;
	as->nfixups++;
	return 0;
}

static int define_label(struct as *as, const char *name)
{
	size_t i;

	if (!valid_label(name))
		return fail(as, "invalid label name '%s'", name);
	for (i = 0; i < as->nlabels; i++)
		if (!strcmp(as->labels[i].name, name))
			return fail(as, "duplicate label '%s' (first defined on line %u)", name,
				    as->labels[i].line);
	if (!grow((void **)&as->labels, &as->caplabels, as->nlabels + 1, sizeof(*as->labels)))
		return fail(as, "out of memory");
	as->labels[as->nlabels].name = strdup(name);
	if (!as->labels[as->nlabels].name)
		return fail(as, "out of memory");
	as->labels[as->nlabels].pc = as->n;
	as->labels[as->nlabels].line = as->line;
	as->nlabels++;
	return 0;
}

static int want_ops(struct as *as, const char *mnemonic, int have, int want)
{
	if (have != want)
		return fail(as, "'%s' takes %d operand%s, got %d", mnemonic, want, want == 1 ? "" : "s", have);
	return 0;
}

/* Split a trailing "32" or "64" off @m into @base; returns 32, 64 or 0. */
static int split_width(const char *m, char *base, size_t size)
{
	size_t len = strlen(m);

	snprintf(base, size, "%s", m);
	if (len > 2 && (!strcmp(m + len - 2, "32") || !strcmp(m + len - 2, "64"))) {
		base[len - 2] = '\0';
		return m[len - 2] == '3' ? 32 : 64;
	}
	return 0;
}

/* ---- instruction families --------------------------------------------- */

static const struct alu_op {
	const char *name;
	uint8_t op;
	int16_t off;
	int nops;
	bool need_width;
} alu_ops[] = {
	{ "add", BPF_ADD, 0, 2, false },    { "sub", BPF_SUB, 0, 2, false },
	{ "mul", BPF_MUL, 0, 2, false },    { "div", BPF_DIV, 0, 2, false },
	{ "sdiv", BPF_DIV, 1, 2, false },   { "or", BPF_OR, 0, 2, false },
	{ "and", BPF_AND, 0, 2, false },    { "lsh", BPF_LSH, 0, 2, false },
	{ "rsh", BPF_RSH, 0, 2, false },    { "neg", BPF_NEG, 0, 1, false },
	{ "mod", BPF_MOD, 0, 2, false },    { "smod", BPF_MOD, 1, 2, false },
	{ "xor", BPF_XOR, 0, 2, false },    { "mov", BPF_MOV, 0, 2, false },
	{ "arsh", BPF_ARSH, 0, 2, false },  { "movsx8", BPF_MOV, 8, 2, true },
	{ "movsx16", BPF_MOV, 16, 2, true }, { "movsx32", BPF_MOV, 32, 2, true },
};

static const struct alu_op *find_alu(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(alu_ops) / sizeof(alu_ops[0]); i++)
		if (!strcmp(alu_ops[i].name, name))
			return &alu_ops[i];
	return NULL;
}

/* Returns 1 if @m is not an ALU mnemonic, 0 when encoded, -1 on error. */
static int asm_alu(struct as *as, const char *m, const struct toks *tk)
{
	char base[MAX_TOKEN];
	int width = split_width(m, base, sizeof(base));
	const struct alu_op *op = width ? find_alu(base) : NULL;
	uint8_t cls = width == 32 ? BPF_ALU : BPF_ALU64;
	uint8_t dst = 0, src = 0;
	int32_t imm = 0;
	uint8_t srcbit = BPF_K;

	if (!op) {
		op = find_alu(m);
		if (!op)
			return 1;
		if (op->need_width)
			return fail(as, "'%s' needs a width: movsx832, movsx864, movsx1632, movsx1664 or movsx3264", m);
		cls = BPF_ALU64;
	}
	if (want_ops(as, m, tk->n - 1, op->nops))
		return -1;
	if (get_reg(as, tk->t[1], &dst))
		return -1;
	if (op->nops == 2) {
		if (is_reg(tk->t[2])) {
			srcbit = BPF_X;
			if (get_reg(as, tk->t[2], &src))
				return -1;
		} else if (get_imm32(as, tk->t[2], &imm)) {
			return -1;
		}
	}
	return emit(as, (uint8_t)(cls | op->op | srcbit), dst, src, op->off, imm);
}

/* be16/32/64, le16/32/64, bswap16/32/64 (swap16/32/64). */
static int asm_endian(struct as *as, const char *m, const struct toks *tk)
{
	static const struct {
		const char *prefix;
		uint8_t code;
	} kinds[] = {
		{ "be", BPF_ALU | BPF_END | BPF_TO_BE },
		{ "le", BPF_ALU | BPF_END | BPF_TO_LE },
		{ "bswap", BPF_ALU64 | BPF_END | BPF_TO_LE },
		{ "swap", BPF_ALU64 | BPF_END | BPF_TO_LE },
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t plen = strlen(kinds[i].prefix);
		const char *w = m + plen;
		uint8_t dst = 0;

		if (strncmp(m, kinds[i].prefix, plen))
			continue;
		if (strcmp(w, "16") && strcmp(w, "32") && strcmp(w, "64"))
			continue;
		if (want_ops(as, m, tk->n - 1, 1) || get_reg(as, tk->t[1], &dst))
			return -1;
		return emit(as, kinds[i].code, dst, 0, 0, atoi(w));
	}
	return 1;
}

static const struct {
	const char *name;
	uint8_t op;
} jmp_ops[] = {
	{ "jeq", BPF_JEQ },   { "jgt", BPF_JGT },   { "jge", BPF_JGE },   { "jset", BPF_JSET },
	{ "jne", BPF_JNE },   { "jsgt", BPF_JSGT }, { "jsge", BPF_JSGE }, { "jlt", BPF_JLT },
	{ "jle", BPF_JLE },   { "jslt", BPF_JSLT }, { "jsle", BPF_JSLE },
};

static int asm_jcc(struct as *as, const char *m, const struct toks *tk)
{
	char base[MAX_TOKEN];
	int width = split_width(m, base, sizeof(base));
	size_t i;

	for (i = 0; i < sizeof(jmp_ops) / sizeof(jmp_ops[0]); i++) {
		uint8_t dst = 0, src = 0, srcbit = BPF_K;
		int32_t imm = 0, unused = 0;
		int16_t off = 0;

		if (strcmp(jmp_ops[i].name, base))
			continue;
		if (want_ops(as, m, tk->n - 1, 3) || get_reg(as, tk->t[1], &dst))
			return -1;
		if (is_reg(tk->t[2])) {
			srcbit = BPF_X;
			if (get_reg(as, tk->t[2], &src))
				return -1;
		} else if (get_imm32(as, tk->t[2], &imm)) {
			return -1;
		}
		if (jump_target(as, tk->t[3], FIX_OFF, &off, &unused))
			return -1;
		return emit(as, (uint8_t)((width == 32 ? BPF_JMP32 : BPF_JMP) | jmp_ops[i].op | srcbit), dst,
			    src, off, imm);
	}
	return 1;
}

static const struct {
	const char *suffix;
	uint8_t size;
} sizes[] = {
	{ "b", BPF_B },
	{ "h", BPF_H },
	{ "w", BPF_W },
	{ "dw", BPF_DW },
};

static int size_of(const char *suffix)
{
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (!strcmp(sizes[i].suffix, suffix))
			return sizes[i].size;
	return -1;
}

/* ldx*, ldxs*, st*, stx*, ldabs*, ldind*. */
static int asm_mem(struct as *as, const char *m, const struct toks *tk)
{
	uint8_t reg = 0, reg2 = 0;
	int16_t off = 0;
	int32_t imm = 0;
	int size;

	if (!strncmp(m, "ldxs", 4) && (size = size_of(m + 4)) >= 0 && size != BPF_DW) {
		if (want_ops(as, m, tk->n - 1, 2) || get_reg(as, tk->t[1], &reg) ||
		    get_mem(as, tk->t[2], &reg2, &off))
			return -1;
		return emit(as, (uint8_t)(BPF_LDX | BPF_MEMSX | size), reg, reg2, off, 0);
	}
	if (!strncmp(m, "ldx", 3) && (size = size_of(m + 3)) >= 0) {
		if (want_ops(as, m, tk->n - 1, 2) || get_reg(as, tk->t[1], &reg) ||
		    get_mem(as, tk->t[2], &reg2, &off))
			return -1;
		return emit(as, (uint8_t)(BPF_LDX | BPF_MEM | size), reg, reg2, off, 0);
	}
	if (!strncmp(m, "stx", 3) && (size = size_of(m + 3)) >= 0) {
		if (want_ops(as, m, tk->n - 1, 2) || get_mem(as, tk->t[1], &reg, &off) ||
		    get_reg(as, tk->t[2], &reg2))
			return -1;
		return emit(as, (uint8_t)(BPF_STX | BPF_MEM | size), reg, reg2, off, 0);
	}
	if (!strncmp(m, "st", 2) && (size = size_of(m + 2)) >= 0) {
		if (want_ops(as, m, tk->n - 1, 2) || get_mem(as, tk->t[1], &reg, &off) ||
		    get_imm32(as, tk->t[2], &imm))
			return -1;
		return emit(as, (uint8_t)(BPF_ST | BPF_MEM | size), reg, 0, off, imm);
	}
	if (!strncmp(m, "ldabs", 5) && (size = size_of(m + 5)) >= 0) {
		if (want_ops(as, m, tk->n - 1, 1) || get_imm32(as, tk->t[1], &imm))
			return -1;
		return emit(as, (uint8_t)(BPF_LD | BPF_ABS | size), 0, 0, 0, imm);
	}
	if (!strncmp(m, "ldind", 5) && (size = size_of(m + 5)) >= 0) {
		if (want_ops(as, m, tk->n - 1, 2) || get_reg(as, tk->t[1], &reg2) ||
		    get_imm32(as, tk->t[2], &imm))
			return -1;
		return emit(as, (uint8_t)(BPF_LD | BPF_IND | size), 0, reg2, 0, imm);
	}
	return 1;
}

/* "map:NAME" or "map_value:NAME[+OFF]": one more map reference at as->n. */
static int asm_map_ref(struct as *as, uint8_t dst, const char *s)
{
	bool value = !strncmp(s, "map_value:", 10);
	const char *name = s + (value ? 10 : 4);
	char buf[MAX_TOKEN];
	int32_t off = 0;
	char *plus;
	struct conf_asm_map_ref *ref;

	if (!as->want_refs)
		return fail(as, "map reference '%s' needs conf_asm_assemble_refs()", s);
	snprintf(buf, sizeof(buf), "%s", name);
	plus = strchr(buf, '+');
	if (plus) {
		if (!value)
			return fail(as, "'%s': an offset needs map_value:NAME+OFF", s);
		if (get_imm32(as, plus + 1, &off))
			return -1;
		*plus = '\0';
	}
	if (!valid_label(buf) || strlen(buf) >= sizeof(ref->name))
		return fail(as, "invalid map name in '%s'", s);
	if (!grow((void **)&as->refs, &as->caprefs, as->nrefs + 1, sizeof(*as->refs)))
		return fail(as, "out of memory");
	ref = &as->refs[as->nrefs++];
	ref->pc = as->n;
	snprintf(ref->name, sizeof(ref->name), "%s", buf);
	if (emit(as, BPF_LD | BPF_IMM | BPF_DW, dst, value ? BPF_PSEUDO_MAP_VALUE : BPF_PSEUDO_MAP_FD, 0, 0))
		return -1;
	return emit(as, 0, 0, 0, 0, off);
}

static int asm_lddw(struct as *as, const struct toks *tk)
{
	uint8_t dst = 0;
	uint64_t v = 0;

	if (want_ops(as, "lddw", tk->n - 1, 2) || get_reg(as, tk->t[1], &dst))
		return -1;
	if (!strncmp(tk->t[2], "map:", 4) || !strncmp(tk->t[2], "map_value:", 10))
		return asm_map_ref(as, dst, tk->t[2]);
	if (get_imm64(as, tk->t[2], &v))
		return -1;
	if (emit(as, BPF_LD | BPF_IMM | BPF_DW, dst, 0, 0, (int32_t)(uint32_t)v))
		return -1;
	return emit(as, 0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
}

/* lock [fetch] op[32|64] [%rD+off], %rS */
static int asm_lock(struct as *as, const struct toks *tk)
{
	static const struct {
		const char *name;
		int32_t imm;
	} ops[] = {
		{ "add", BPF_ADD }, { "and", BPF_AND }, { "or", BPF_OR }, { "xor", BPF_XOR },
		{ "xchg", BPF_XCHG }, { "cmpxchg", BPF_CMPXCHG },
	};
	char base[MAX_TOKEN];
	int i = 1, width;
	bool fetch = false;
	uint8_t dst = 0, src = 0;
	int16_t off = 0;
	size_t k;

	if (i < tk->n && !strcmp(tk->t[i], "fetch")) {
		fetch = true;
		i++;
	}
	if (i >= tk->n)
		return fail(as, "'lock' needs an operation: add, and, or, xor, xchg or cmpxchg");
	width = split_width(tk->t[i], base, sizeof(base));
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		if (!strcmp(ops[k].name, base))
			break;
	if (k == sizeof(ops) / sizeof(ops[0]))
		return fail(as, "unknown atomic operation '%s'", tk->t[i]);
	if (tk->n - i - 1 != 2)
		return fail(as, "'lock %s' takes 2 operands, got %d", tk->t[i], tk->n - i - 1);
	if (get_mem(as, tk->t[i + 1], &dst, &off) || get_reg(as, tk->t[i + 2], &src))
		return -1;
	return emit(as, (uint8_t)(BPF_STX | BPF_ATOMIC | (width == 32 ? BPF_W : BPF_DW)), dst, src, off,
		    ops[k].imm | (fetch ? BPF_FETCH : 0));
}

static int asm_call(struct as *as, const char *m, const struct toks *tk)
{
	const char *mode = NULL, *target;
	int32_t imm = 0;
	int16_t off = 0;
	uint8_t reg = 0;

	if (!strcmp(m, "callx")) {
		if (want_ops(as, m, tk->n - 1, 1) || get_reg(as, tk->t[1], &reg))
			return -1;
		return emit(as, BPF_JMP | BPF_CALL | BPF_X, reg, 0, 0, 0);
	}
	if (tk->n == 3) {
		mode = tk->t[1];
		target = tk->t[2];
	} else if (tk->n == 2) {
		target = tk->t[1];
	} else {
		return fail(as, "'call' takes a target: call N, call %%rN or call local LABEL");
	}
	if (!mode) {
		if (is_reg(target))
			mode = "helper";
		else if (looks_numeric(target))
			mode = "helper";
		else
			mode = "local";
	}
	if (!strcmp(mode, "helper")) {
		if (is_reg(target)) {
			if (get_reg(as, target, &reg))
				return -1;
			return emit(as, BPF_JMP | BPF_CALL | BPF_X, reg, 0, 0, 0);
		}
		if (get_imm32(as, target, &imm))
			return -1;
		return emit(as, BPF_JMP | BPF_CALL, 0, 0, 0, imm);
	}
	if (!strcmp(mode, "local")) {
		if (jump_target(as, target, FIX_IMM, &off, &imm))
			return -1;
		return emit(as, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, imm);
	}
	if (!strcmp(mode, "runtime")) {
		if (get_imm32(as, target, &imm))
			return -1;
		return emit(as, BPF_JMP | BPF_CALL, 0, 2, 0, imm);
	}
	return fail(as, "unknown call mode '%s' (helper, local or runtime)", mode);
}

static int asm_line(struct as *as, struct toks *tk)
{
	const char *m;
	int16_t off = 0;
	int32_t imm = 0;
	int r;

	/* A leading "label:" (an instruction may follow on the same line). */
	if (tk->n && tk->t[0][strlen(tk->t[0]) - 1] == ':') {
		tk->t[0][strlen(tk->t[0]) - 1] = '\0';
		if (define_label(as, tk->t[0]))
			return -1;
		memmove(tk->t[0], tk->t[1], sizeof(tk->t[0]) * (size_t)(tk->n - 1));
		tk->n--;
	}
	if (!tk->n)
		return 0;
	m = tk->t[0];

	if (!strcmp(m, "exit")) {
		if (want_ops(as, m, tk->n - 1, 0))
			return -1;
		if (as->first_exit < 0)
			as->first_exit = (long)as->n;
		return emit(as, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	if (!strcmp(m, "ja")) {
		if (want_ops(as, m, tk->n - 1, 1) || jump_target(as, tk->t[1], FIX_OFF, &off, &imm))
			return -1;
		return emit(as, BPF_JMP | BPF_JA, 0, 0, off, 0);
	}
	if (!strcmp(m, "ja32")) {
		if (want_ops(as, m, tk->n - 1, 1) || jump_target(as, tk->t[1], FIX_IMM, &off, &imm))
			return -1;
		return emit(as, BPF_JMP32 | BPF_JA, 0, 0, 0, imm);
	}
	if (!strcmp(m, "call") || !strcmp(m, "callx"))
		return asm_call(as, m, tk);
	if (!strcmp(m, "lddw"))
		return asm_lddw(as, tk);
	if (!strcmp(m, "lock"))
		return asm_lock(as, tk);
	if ((r = asm_endian(as, m, tk)) <= 0)
		return r;
	if ((r = asm_jcc(as, m, tk)) <= 0)
		return r;
	if ((r = asm_mem(as, m, tk)) <= 0)
		return r;
	if ((r = asm_alu(as, m, tk)) <= 0)
		return r;
	return fail(as, "unknown mnemonic '%s'", m);
}

static int resolve(struct as *as)
{
	size_t i, j;

	for (i = 0; i < as->nfixups; i++) {
		const struct fixup *f = &as->fixups[i];
		long target = -1;
		long delta;

		for (j = 0; j < as->nlabels; j++)
			if (!strcmp(as->labels[j].name, f->label))
				target = (long)as->labels[j].pc;
		if (target < 0 && !strcmp(f->label, "exit"))
			target = as->first_exit;
		as->line = f->line;
		if (target < 0)
			return fail(as, "undefined label '%s'", f->label);
		delta = target - (long)f->pc - 1;
		if (f->kind == FIX_OFF) {
			if (delta < INT16_MIN || delta > INT16_MAX)
				return fail(as, "jump to '%s' does not fit the 16-bit offset (use ja32)", f->label);
			as->insns[f->pc].off = (int16_t)delta;
		} else {
			as->insns[f->pc].imm = (int32_t)delta;
		}
	}
	return 0;
}

int conf_asm_assemble(const char *source, struct bpf_insn **insns, size_t *count,
		      struct conf_asm_error *err)
{
	return conf_asm_assemble_refs(source, insns, count, NULL, NULL, err);
}

int conf_asm_assemble_refs(const char *source, struct bpf_insn **insns, size_t *count,
			   struct conf_asm_map_ref **refs, size_t *nrefs,
			   struct conf_asm_error *err)
{
	struct as as;
	const char *p = source;
	struct toks *tk;
	int ret = -1;
	size_t i;

	memset(&as, 0, sizeof(as));
	as.first_exit = -1;
	as.err = err;
	as.want_refs = refs && nrefs;
	if (err) {
		err->line = 0;
		err->message[0] = '\0';
	}
	tk = malloc(sizeof(*tk));
	if (!tk) {
		fail(&as, "out of memory");
		return -1;
	}

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char *line = strndup(p, len);
		char *hash;
		int r;

		as.line++;
		if (!line) {
			fail(&as, "out of memory");
			goto out;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		r = tokenize(&as, line, tk);
		if (!r)
			r = asm_line(&as, tk);
		free(line);
		if (r)
			goto out;
		p += len;
		if (*p == '\n')
			p++;
	}
	if (resolve(&as))
		goto out;

	*insns = as.insns;
	*count = as.n;
	as.insns = NULL;
	if (as.want_refs) {
		*refs = as.refs;
		*nrefs = as.nrefs;
		as.refs = NULL;
	}
	ret = 0;
out:
	free(tk);
	free(as.refs);
	free(as.insns);
	for (i = 0; i < as.nlabels; i++)
		free(as.labels[i].name);
	free(as.labels);
	for (i = 0; i < as.nfixups; i++)
		free(as.fixups[i].label);
	free(as.fixups);
	return ret;
}

void conf_insn_to_bytes(const struct bpf_insn *insn, uint8_t out[8])
{
	uint16_t off = (uint16_t)insn->off;
	uint32_t imm = (uint32_t)insn->imm;

	out[0] = insn->code;
	out[1] = (uint8_t)((insn->src_reg << 4) | (insn->dst_reg & 0xf));
	out[2] = (uint8_t)off;
	out[3] = (uint8_t)(off >> 8);
	out[4] = (uint8_t)imm;
	out[5] = (uint8_t)(imm >> 8);
	out[6] = (uint8_t)(imm >> 16);
	out[7] = (uint8_t)(imm >> 24);
}

void conf_insn_from_bytes(const uint8_t in[8], struct bpf_insn *insn)
{
	memset(insn, 0, sizeof(*insn));
	insn->code = in[0];
	insn->dst_reg = in[1] & 0xf;
	insn->src_reg = (in[1] >> 4) & 0xf;
	insn->off = (int16_t)(uint16_t)(in[2] | (in[3] << 8));
	insn->imm = (int32_t)((uint32_t)in[4] | ((uint32_t)in[5] << 8) | ((uint32_t)in[6] << 16) |
			      ((uint32_t)in[7] << 24));
}
