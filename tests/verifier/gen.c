/* SPDX-License-Identifier: MIT */
/*
 * The structured XDP program generator (see gen.h).
 *
 * A program is a sequence of blocks, each a small idiom of real XDP code.
 * While emitting, the generator keeps a model of what is known on every
 * path to the current instruction, the way the kernel's verifier does but
 * much coarser: which registers hold initialised scalars, which hold the
 * long-lived roles (data, data_end, data_meta, the context, an
 * accumulator), which stack bytes are initialised and which slots hold
 * spilled pointers, and how many packet (and metadata) bytes past data
 * earlier checks proved.  Clean code only uses what the model proves;
 * where control flow merges, the model is the intersection of both paths.
 *
 * Packet ranges follow the kernel's rule: a check "data + K <= data_end"
 * proves K bytes, a strict one ("data + K < data_end") proves K - 1.
 *
 * Register use follows clang: the roles live in r6..r9 when the program
 * calls anything (calls clobber r0..r5), block-local values in the other
 * registers, pointers among them dead at the end of their block.
 */
#include <stdarg.h>
#include <string.h>

#include "gen.h"

/* ---- randomness ---------------------------------------------------------- */

void gen_rng_seed(struct gen_rng *r, uint64_t seed)
{
	memset(r, 0, sizeof(*r));
	r->state = seed;
}

void gen_rng_bytes(struct gen_rng *r, const uint8_t *buf, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf ? buf : (const uint8_t *)"";
	r->len = buf ? len : 0;
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t take_bytes(struct gen_rng *r, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | (r->pos < r->len ? r->buf[r->pos++] : 0);
	return v;
}

uint64_t gen_u64(struct gen_rng *r)
{
	return r->buf ? take_bytes(r, 8) : splitmix(&r->state);
}

uint32_t gen_below(struct gen_rng *r, uint32_t n)
{
	if (n <= 1)
		return 0;
	if (r->buf)
		return (uint32_t)(take_bytes(r, n <= 256     ? 1
						: n <= 65536 ? 2
							     : 4) %
				  n);
	return (uint32_t)(splitmix(&r->state) % n);
}

bool gen_chance(struct gen_rng *r, unsigned int pct)
{
	return gen_below(r, 100) + pct >= 100;
}

/* ---- the generator's state ----------------------------------------------- */

#define MAX_LABELS 1024
#define MAX_FIX	   2048
#define MAX_SUBS   4
#define SOFT_CAP   1400 /* main stops adding blocks past this many insns */
#define SUB_CAP	   2600 /* a subprogram stops adding blocks past this */

enum { RK_UNINIT, RK_SCALAR, RK_ROLE };
enum { RO_D, RO_E, RO_M, RO_C, RO_A, RO_P, NR_ROLES };
/* Stack slots: what an aligned 8-byte slot holds on every path. */
enum { SL_NONE, SL_D, SL_E, SL_M, SL_C, SL_DIRTY };
enum { SUB_STACK, SUB_PKT };

struct model {
	uint8_t reg[11];
	uint8_t init[512]; /* byte fp-512+i initialised */
	uint8_t slot[64];  /* slot of bytes fp-512+8i .. +8 */
	uint16_t pkt_range, meta_range;
};

struct frame {
	struct model m;
	int8_t role[NR_ROLES]; /* register, or -1 */
	bool calls;	       /* may call helpers and subprograms */
	int out;	       /* label of the frame's early exit */
	bool out_used;
	uint16_t stack_limit; /* bytes of the frame the code uses */
	uint16_t stack_used;
	unsigned int depth; /* 0: main */
	uint16_t parg_size; /* bytes valid at the RO_P pointer */
};

struct sub {
	int label;
	int kind;
	uint16_t arg_size;
	unsigned int depth;
	bool emitted;
};

struct fix {
	uint32_t pc;
	int label;
	bool imm; /* the target goes in imm (calls) rather than off */
};

struct g {
	struct gen_rng *r;
	const struct gen_opts *o;
	struct gen_prog *p;
	size_t cnt;
	bool mutating;
	unsigned int mut_rate;
	bool overflow;
	int label_pc[MAX_LABELS];
	unsigned int nr_labels;
	/* The model at a label not yet placed: the intersection of the
	 * models at every jump to it.  dead: the last insn was a goto or
	 * an exit (nothing falls through to the next label). */
	struct model pend[MAX_LABELS];
	bool has_pend[MAX_LABELS];
	bool dead;
	struct fix fix[MAX_FIX];
	unsigned int nr_fix;
	struct frame *f;
	struct sub subs[MAX_SUBS];
	unsigned int nr_subs;
	unsigned int nest; /* blocks inside branches */
	size_t cap;	   /* soft cap of the frame being generated */
};

static uint32_t below(struct g *g, uint32_t n)
{
	return gen_below(g->r, n);
}

static bool chance(struct g *g, unsigned int pct)
{
	return gen_chance(g->r, pct);
}

/* A mutation site: true (and recorded) when this one is mutated. */
static void note_mut(struct g *g, const char *name);

static bool mut(struct g *g, const char *name)
{
	if (!g->mutating || !chance(g, g->mut_rate))
		return false;
	note_mut(g, name);
	return true;
}

static void hint_len(struct g *g, unsigned int k)
{
	unsigned int i;

	if (k > 0xffff)
		return;
	for (i = 0; i < g->p->nr_len_hints; i++)
		if (g->p->len_hints[i] == k)
			return;
	if (g->p->nr_len_hints < GEN_MAX_HINTS)
		g->p->len_hints[g->p->nr_len_hints++] = (uint16_t)k;
}

static void hint_meta(struct g *g, unsigned int k)
{
	unsigned int i;

	if (k > 255)
		return;
	for (i = 0; i < g->p->nr_meta_hints; i++)
		if (g->p->meta_hints[i] == k)
			return;
	if (g->p->nr_meta_hints < GEN_MAX_HINTS)
		g->p->meta_hints[g->p->nr_meta_hints++] = (uint8_t)k;
}

/* ---- emission ------------------------------------------------------------ */

static void emit(struct g *g, uint8_t code, uint8_t dst, uint8_t src,
		 int16_t off, int32_t imm)
{
	if (g->cnt >= GEN_MAX_INSNS - 2) {
		g->overflow = true;
		return;
	}
	g->dead = code == (BPF_JMP | BPF_JA) || code == (BPF_JMP | BPF_EXIT);
	g->p->insns[g->cnt++] = (struct bpf_insn){.code = code,
						  .dst_reg = dst,
						  .src_reg = src,
						  .off = off,
						  .imm = imm};
}

static void join(struct model *a, const struct model *b);

static int new_label(struct g *g)
{
	if (g->nr_labels >= MAX_LABELS) {
		g->overflow = true;
		return 0;
	}
	g->label_pc[g->nr_labels] = -1;
	g->has_pend[g->nr_labels] = false;
	return (int)g->nr_labels++;
}

/* The code after a label is reached from its jumps and, unless the last
 * insn was a goto or an exit, by falling through: what holds there is
 * what holds on all of them. */
static void place(struct g *g, int l)
{
	g->label_pc[l] = (int)g->cnt;
	if (g->has_pend[l]) {
		if (g->dead)
			g->f->m = g->pend[l];
		else
			join(&g->f->m, &g->pend[l]);
	}
	g->dead = false;
}

static void note_jump(struct g *g, int l)
{
	if (g->label_pc[l] >= 0)
		return; /* a back edge: the loop keeps its head's model */
	if (!g->has_pend[l]) {
		g->pend[l] = g->f->m;
		g->has_pend[l] = true;
	} else {
		join(&g->pend[l], &g->f->m);
	}
}

static void add_fix(struct g *g, int label, bool imm)
{
	if (g->nr_fix >= MAX_FIX) {
		g->overflow = true;
		return;
	}
	g->fix[g->nr_fix++] = (struct fix){(uint32_t)g->cnt, label, imm};
}

/* A conditional or unconditional jump to label. */
static void jmp(struct g *g, uint8_t code, int dst, int src, int32_t imm,
		int label)
{
	note_jump(g, label);
	add_fix(g, label, false);
	emit(g, code, (uint8_t)dst, (uint8_t)src, 0, imm);
}

static void ja(struct g *g, int label)
{
	jmp(g, BPF_JMP | BPF_JA, 0, 0, 0, label);
}

static void to_out(struct g *g, uint8_t code, int dst, int src, int32_t imm)
{
	g->f->out_used = true;
	jmp(g, code, dst, src, imm, g->f->out);
}

static void mov64(struct g *g, int dst, int src)
{
	emit(g, BPF_ALU64 | BPF_MOV | BPF_X, (uint8_t)dst, (uint8_t)src, 0, 0);
}

static void kill(struct g *g, int r);

/* A copy of a pointer: not a scalar as far as clean code is concerned. */
static void mov_ptr(struct g *g, int dst, int src)
{
	mov64(g, dst, src);
	kill(g, dst);
}

static void movi(struct g *g, int dst, int32_t imm)
{
	emit(g, BPF_ALU64 | BPF_MOV | BPF_K, (uint8_t)dst, 0, 0, imm);
}

static void addi(struct g *g, int dst, int32_t imm)
{
	emit(g, BPF_ALU64 | BPF_ADD | BPF_K, (uint8_t)dst, 0, 0, imm);
}

static uint8_t size_code(unsigned int s)
{
	return s == 1 ? BPF_B : s == 2 ? BPF_H : s == 4 ? BPF_W : BPF_DW;
}

static void ldx(struct g *g, unsigned int s, int dst, int src, int off, bool sx)
{
	emit(g, BPF_LDX | (sx && s < 8 ? BPF_MEMSX : BPF_MEM) | size_code(s),
	     (uint8_t)dst, (uint8_t)src, (int16_t)off, 0);
}

static void stx(struct g *g, unsigned int s, int dst, int src, int off)
{
	emit(g, BPF_STX | BPF_MEM | size_code(s), (uint8_t)dst, (uint8_t)src,
	     (int16_t)off, 0);
}

static void sti(struct g *g, unsigned int s, int dst, int off, int32_t imm)
{
	emit(g, BPF_ST | BPF_MEM | size_code(s), (uint8_t)dst, 0, (int16_t)off,
	     imm);
}

static void ld_map(struct g *g, int dst, uint32_t id)
{
	emit(g, BPF_LD | BPF_IMM | BPF_DW, (uint8_t)dst, BPF_PSEUDO_MAP_FD, 0,
	     (int32_t)id);
	emit(g, 0, 0, 0, 0, 0);
}

static void call_helper(struct g *g, int32_t id)
{
	emit(g, BPF_JMP | BPF_CALL, 0, 0, 0, id);
}

/* A 32-bit load of struct xdp_md field off from the context in reg. */
static void ctx_load(struct g *g, int dst, int ctx, int off)
{
	if (g->cnt < GEN_MAX_INSNS)
		g->p->ctx_load[g->cnt] = 1;
	ldx(g, 4, dst, ctx, off, false);
}

/* ---- the model ----------------------------------------------------------- */

static struct model *M(struct g *g)
{
	return &g->f->m;
}

static bool is_role(struct g *g, int r)
{
	int i;

	for (i = 0; i < NR_ROLES; i++)
		if (g->f->role[i] == r)
			return true;
	return false;
}

static void set_scalar(struct g *g, int r)
{
	if (!is_role(g, r))
		M(g)->reg[r] = RK_SCALAR;
}

static void kill(struct g *g, int r)
{
	if (r >= 0 && r < 10 && !is_role(g, r))
		M(g)->reg[r] = RK_UNINIT;
}

/* A helper or subprogram call: r0..r5 lose what they held; r0 becomes the
 * result (the caller says what it is). */
static void after_call(struct g *g)
{
	int r;

	for (r = 0; r <= 5; r++) {
		if (is_role(g, r)) {
			/* a role in a caller-saved register (a mutation):
			 * gone now, as far as clean code is concerned */
			int i;

			for (i = 0; i < NR_ROLES; i++)
				if (g->f->role[i] == r)
					g->f->role[i] = -1;
		}
		M(g)->reg[r] = RK_UNINIT;
	}
}

static void join(struct model *a, const struct model *b)
{
	int i;

	for (i = 0; i < 11; i++)
		if (a->reg[i] != b->reg[i])
			a->reg[i] = RK_UNINIT;
	for (i = 0; i < 512; i++)
		a->init[i] &= b->init[i];
	for (i = 0; i < 64; i++)
		if (a->slot[i] != b->slot[i])
			a->slot[i] =
				a->slot[i] || b->slot[i] ? SL_DIRTY : SL_NONE;
	if (b->pkt_range < a->pkt_range)
		a->pkt_range = b->pkt_range;
	if (b->meta_range < a->meta_range)
		a->meta_range = b->meta_range;
}

/* Registers not holding a role: the block's own. */
static uint16_t scratch_set(struct g *g)
{
	uint16_t s = 0;
	int r;

	for (r = 0; r <= 9; r++)
		if (!is_role(g, r))
			s |= (uint16_t)(1u << r);
	return s;
}

static int pick_from(struct g *g, uint16_t set)
{
	int r, n = __builtin_popcount(set), k;

	if (!n)
		return -1;
	k = (int)below(g, (uint32_t)n);
	for (r = 0; r <= 10; r++)
		if (set & (1u << r) && k-- == 0)
			return r;
	return -1;
}

static int pick_scratch(struct g *g, uint16_t avoid)
{
	return pick_from(g, scratch_set(g) & ~avoid);
}

/* A callee-saved register free for the block, or -1. */
static int pick_saved_scratch(struct g *g, uint16_t avoid)
{
	return pick_from(g, scratch_set(g) & ~avoid & 0x3c0);
}

/* A register known to hold a scalar (scratch or the accumulator). */
static int pick_scalar(struct g *g, uint16_t avoid)
{
	uint16_t s = 0;
	int r;

	for (r = 0; r <= 9; r++)
		if (M(g)->reg[r] == RK_SCALAR && !(avoid & (1u << r)))
			s |= (uint16_t)(1u << r);
	if (g->f->role[RO_A] >= 0 && !(avoid & (1u << g->f->role[RO_A])))
		s |= (uint16_t)(1u << g->f->role[RO_A]);
	return pick_from(g, s);
}

static int sidx(int off)
{
	return 512 + off;
}

/* [off, off + n) of the frame is initialised scalar data on every path. */
static bool stack_scalar_ok(struct g *g, int off, unsigned int n)
{
	unsigned int i;

	if (off < -512 || off + (int)n > 0)
		return false;
	for (i = 0; i < n; i++) {
		int b = sidx(off) + (int)i;

		if (!M(g)->init[b] || M(g)->slot[b / 8] != SL_NONE)
			return false;
	}
	return true;
}

static void stack_wrote_scalar(struct g *g, int off, unsigned int n)
{
	unsigned int i;

	if (off < -512 || off + (int)n > 0)
		return;
	for (i = 0; i < n; i++) {
		int b = sidx(off) + (int)i, s = b / 8;

		if (M(g)->slot[s] != SL_NONE) {
			/* a pointer slot partly overwritten: the kernel makes
			 * the whole slot plain data */
			if (M(g)->slot[s] != SL_DIRTY)
				memset(&M(g)->init[s * 8], 1, 8);
			M(g)->slot[s] = SL_NONE;
		}
		M(g)->init[b] = 1;
	}
}

static void stack_wrote_ptr(struct g *g, int off, int kind)
{
	int b = sidx(off);

	if (off < -512 || off > -8 || b % 8)
		return;
	memset(&M(g)->init[b], 1, 8);
	M(g)->slot[b / 8] = (uint8_t)kind;
}

/* Bytes of the frame for n bytes of data, 8-aligned: fresh ones while the
 * frame has room, then from the top again. */
static int stack_alloc(struct g *g, unsigned int n)
{
	struct frame *f = g->f;

	n = (n + 7) & ~7u;
	if (f->stack_used + n > f->stack_limit)
		f->stack_used = 0;
	f->stack_used = (uint16_t)(f->stack_used + n);
	return -(int)f->stack_used;
}

/* An 8-aligned offset whose slot holds kind, or 0. */
static int find_slot(struct g *g, int kind)
{
	int cand[64], n = 0, s;

	for (s = 0; s < 64; s++)
		if (M(g)->slot[s] == kind &&
		    (kind != SL_NONE || stack_scalar_ok(g, s * 8 - 512, 8)))
			cand[n++] = s;
	if (!n)
		return 0;
	return cand[below(g, (uint32_t)n)] * 8 - 512;
}

/* An initialised, s-aligned area of s bytes, or 0. */
static int find_scalar_area(struct g *g, unsigned int s)
{
	int cand[512], n = 0, off;

	for (off = -512; off <= -(int)s; off += (int)s)
		if (stack_scalar_ok(g, off, s))
			cand[n++] = off;
	if (!n)
		return 0;
	return cand[below(g, (uint32_t)n)];
}

/* ---- value sources ------------------------------------------------------- */

static const unsigned int sizes[] = {1, 2, 4, 8};

static unsigned int pick_size(struct g *g, unsigned int max)
{
	unsigned int s;

	if (max < 1)
		return 0;
	do
		s = sizes[below(g, 4)];
	while (s > max);
	return s;
}

static int32_t pick_imm(struct g *g)
{
	static const int32_t special[] = {0,	  1,	      -1,	 2,
					  7,	  8,	      0xff,	 0x100,
					  0xffff, 0x7fffffff, INT32_MIN, 1500,
					  -4096,  0x800,      0x86dd,	 17};

	switch (below(g, 4)) {
	case 0: return special[below(g, 16)];
	case 1: return (int32_t)below(g, 64);
	case 2: return -(int32_t)below(g, 64);
	default: return (int32_t)(uint32_t)gen_u64(g->r);
	}
}

static void emit_pkt_load(struct g *g, int dst, unsigned int s, int off);

/* dst := some initialised scalar (constant, packet byte, context field,
 * stack data, another scalar).  No mutation. */
static void init_scalar(struct g *g, int dst)
{
	struct frame *f = g->f;
	int src, off;
	unsigned int s;

	switch (below(g, 6)) {
	case 1:
		s = pick_size(g, f->m.pkt_range);
		if (s && f->role[RO_D] >= 0) {
			emit_pkt_load(g, dst, s,
				      (int)below(g, f->m.pkt_range - s + 1));
			return;
		}
		break;
	case 2:
		if (f->role[RO_C] >= 0) {
			static const int fields[] = {12, 16};

			ctx_load(g, dst, f->role[RO_C], fields[below(g, 2)]);
			set_scalar(g, dst);
			return;
		}
		break;
	case 3:
		s = sizes[below(g, 4)];
		off = find_scalar_area(g, s);
		if (off) {
			ldx(g, s, dst, 10, off, chance(g, 20));
			set_scalar(g, dst);
			return;
		}
		break;
	case 4:
		src = pick_scalar(g, (uint16_t)(1u << dst));
		if (src >= 0) {
			mov64(g, dst, src);
			set_scalar(g, dst);
			return;
		}
		break;
	}
	if (chance(g, 30))
		emit(g, BPF_ALU | BPF_MOV | BPF_K, (uint8_t)dst, 0, 0,
		     pick_imm(g));
	else
		movi(g, dst, pick_imm(g));
	set_scalar(g, dst);
}

/* A register holding a scalar, made so if needed. */
static int get_scalar(struct g *g, uint16_t avoid)
{
	int r = pick_scalar(g, avoid);

	if (r >= 0 && chance(g, 75))
		return r;
	r = pick_scratch(g, avoid);
	if (r < 0)
		return -1;
	init_scalar(g, r);
	return r;
}

/* ---- bounded indexes ------------------------------------------------------
 */

/* How an index was loaded: what its bits may be before any bound. */
enum { IDX_U8, IDX_S8, IDX_U16, IDX_U32, IDX_U64 };

static uint32_t mask_upto(uint32_t lim)
{
	uint32_t m = 0;

	while (m * 2 + 1 <= lim && m < 0x7fffffff)
		m = m * 2 + 1;
	return m;
}

/* Loads an index of kind src from base + off into r. */
static void load_index(struct g *g, int r, int base, int off, int src)
{
	static const unsigned int sz[] = {1, 1, 2, 4, 8};

	ldx(g, sz[src], r, base, off, src == IDX_S8);
	set_scalar(g, r);
}

static void bound_index(struct g *g, int r, uint32_t lim, int skip, int src,
			unsigned int depth);

/* Spilled to the stack and filled back: 8-byte spills keep the bounds. */
static void bound_then_spill(struct g *g, int r, uint32_t lim, int skip,
			     int src, unsigned int depth)
{
	int off;

	bound_index(g, r, lim, skip, src, depth + 1);
	off = stack_alloc(g, 8);
	if (mut(g, "index_fill_wider")) {
		/* 4 bytes spilled over other data, 8 filled */
		sti(g, 8, 10, off, -1);
		stx(g, 4, 10, r, off);
	} else {
		stx(g, 8, 10, r, off);
	}
	stack_wrote_scalar(g, off, 8);
	ldx(g, 8, r, 10, off, false);
}

/* Makes the index in r lie in [0, lim] on the path that goes on (the
 * other jumps to skip), the ways programs do: a mask, an unsigned or
 * signed compare, a 32-bit compare when the upper half is known zero, a
 * mask scaled and offset, a trip through the stack. */
static void bound_index(struct g *g, int r, uint32_t lim, int skip, int src,
			unsigned int depth)
{
	bool upper_zero = src == IDX_U8 || src == IDX_U16 || src == IDX_U32;
	uint32_t m, k, c;

	if (mut(g, "index_unbounded"))
		return;
	switch (below(g, depth ? 4 : 6)) {
	case 0:
		m = mask_upto(lim);
		if (mut(g, "index_mask_loose"))
			m = m * 2 + 1;
		emit(g, (chance(g, 30) ? BPF_ALU : BPF_ALU64) | BPF_AND | BPF_K,
		     (uint8_t)r, 0, 0, (int32_t)m);
		break;
	case 1:
		k = mut(g, "index_bound_off_by_one") ? lim + 1 : lim;
		if (chance(g, 50))
			jmp(g, BPF_JMP | BPF_JGT | BPF_K, r, 0, (int32_t)k,
			    skip);
		else
			jmp(g, BPF_JMP | BPF_JGE | BPF_K, r, 0, (int32_t)k + 1,
			    skip);
		break;
	case 2:
		jmp(g, BPF_JMP | BPF_JSGT | BPF_K, r, 0, (int32_t)lim, skip);
		/* "s< 0" and "s<= -1" both leave r >= 0 */
		if (mut(g, "index_signed_no_lower"))
			;
		else if (chance(g, 50))
			jmp(g, BPF_JMP | BPF_JSLT | BPF_K, r, 0, 0, skip);
		else
			jmp(g, BPF_JMP | BPF_JSLE | BPF_K, r, 0, -1, skip);
		break;
	case 3:
		if (!upper_zero && !mut(g, "index_jmp32_bound_on_64bit")) {
			jmp(g, BPF_JMP | BPF_JGT | BPF_K, r, 0, (int32_t)lim,
			    skip);
			break;
		}
		jmp(g, BPF_JMP32 | BPF_JGT | BPF_K, r, 0, (int32_t)lim, skip);
		break;
	case 4:
		k = below(g, 4);
		c = below(g, lim < 8 ? lim + 1 : 9);
		m = (lim - c) >> k;
		m = mask_upto(m);
		if (mut(g, "index_scale_overflow"))
			c += 1 + below(g, 4);
		emit(g, BPF_ALU64 | BPF_AND | BPF_K, (uint8_t)r, 0, 0,
		     (int32_t)m);
		if (k && chance(g, 50))
			emit(g, BPF_ALU64 | BPF_LSH | BPF_K, (uint8_t)r, 0, 0,
			     (int32_t)k);
		else if (k)
			emit(g, BPF_ALU64 | BPF_MUL | BPF_K, (uint8_t)r, 0, 0,
			     (int32_t)(1u << k));
		if (c)
			addi(g, r, (int32_t)c);
		break;
	default: bound_then_spill(g, r, lim, skip, src, depth); break;
	}
	set_scalar(g, r);
}

/* ---- packet accesses ----------------------------------------------------- */

static void emit_pkt_load(struct g *g, int dst, unsigned int s, int off)
{
	ldx(g, s, dst, g->f->role[RO_D], off, chance(g, 10));
	set_scalar(g, dst);
}

/* The comparison of a bounds check: ptr t against end e, in form 0..7
 * (below), failing to label fail.  Forms 4..7 are strict: they prove one
 * byte less (the kernel's range_right_open).  inverted proceeds when the
 * check fails; jmp32 compares the low halves only. */
static void emit_check(struct g *g, int form, int t, int e, bool inverted,
		       bool jmp32, int fail, bool fail_is_out)
{
	static const struct {
		uint8_t op;
		bool swap;   /* dst = end, src = ptr */
		bool direct; /* "if cond goto fail", else "if cond goto ok" */
	} forms[8] = {
		{BPF_JGT, false, true},	 {BPF_JLT, true, true},
		{BPF_JLE, false, false}, {BPF_JGE, true, false},
		{BPF_JGE, false, true},	 {BPF_JLE, true, true},
		{BPF_JLT, false, false}, {BPF_JGT, true, false},
	};
	uint8_t code = (jmp32 ? BPF_JMP32 : BPF_JMP) | forms[form].op | BPF_X;
	int dst = forms[form].swap ? e : t, src = forms[form].swap ? t : e;
	bool direct = forms[form].direct != inverted;

	if (fail_is_out)
		g->f->out_used = true;
	if (direct) {
		jmp(g, code, dst, src, 0, fail);
	} else {
		int ok = new_label(g);

		jmp(g, code, dst, src, 0, ok);
		ja(g, fail);
		place(g, ok);
	}
}

static const uint16_t hdr_lens[] = {1,	2,  4,	6,   8,	  12,  13,  14,	  16,
				    18, 20, 22, 24,  26,  28,  30,  32,	  34,
				    38, 40, 42, 46,  54,  58,  60,  64,	  66,
				    74, 78, 90, 100, 128, 256, 512, 1024, 1500};

/* A length to check for: usually a header boundary past what is known. */
static unsigned int pick_len(struct g *g, unsigned int at_least)
{
	unsigned int i, n = sizeof(hdr_lens) / sizeof(hdr_lens[0]), k;

	if (chance(g, 85)) {
		for (i = 0; i < n && hdr_lens[i] < at_least; i++)
			;
		if (i < n) {
			k = i + below(g, (n - i) < 6 ? n - i : 6);
			return hdr_lens[k];
		}
		return at_least + below(g, 64);
	}
	return 1 + below(g, 1600);
}

/* "t = D (+ via a copy); t += K; if t > E goto fail": proves K bytes (or
 * K - 1 for strict forms) on the path that goes on.  Returns the range
 * the model may assume from it (mutations may claim more). */
static unsigned int bounds_check(struct g *g, int ptr, int end, unsigned int k,
				 int fail, bool fail_is_out, bool meta)
{
	int form = (int)below(g, 8), t, base = ptr, c = -1;
	uint16_t avoid = (uint16_t)(1u << ptr | 1u << end);
	unsigned int range;
	bool inverted, jmp32;

	if (form >= 4 && k < 2)
		k = 2;
	if (meta)
		hint_meta(g, k);
	else
		hint_len(g, k);
	t = pick_scratch(g, avoid);
	if (t < 0)
		return 0;
	if (chance(g, 20)) { /* through a copy of the pointer */
		c = pick_scratch(g, (uint16_t)(avoid | 1u << t));
		if (c >= 0) {
			mov_ptr(g, c, ptr);
			base = c;
		}
	}
	mov_ptr(g, t, base);
	if (mut(g, "bounds_check_on_end"))
		mov_ptr(g, t, end); /* arithmetic on data_end */
	addi(g, t, (int32_t)k);
	range = form >= 4 ? k - 1 : k;
	inverted = mut(g, "bounds_inverted");
	jmp32 = mut(g, "bounds_jmp32");
	if (!mut(g, "bounds_missing"))
		emit_check(g, form, t, end, inverted, jmp32, fail, fail_is_out);
	if (mut(g, "bounds_off_by_one"))
		range += 1 + below(g, 2);
	kill(g, t);
	kill(g, c);
	return range;
}

/* One access of the packet within [0, range) of D (or a mutated one). */
static void pkt_access(struct g *g, int base, unsigned int range, bool meta)
{
	unsigned int s = pick_size(g, range);
	int off, b = base, c = 0, r;

	if (!s)
		return;
	off = (int)below(g, range - s + 1);
	if (mut(g, meta ? "meta_oob" : "pkt_oob"))
		off = (int)(range - s + 1 + below(g, 4));
	else if (mut(g, meta ? "meta_negative" : "pkt_negative"))
		off = -(int)(1 + below(g, 8));
	if (chance(g, 25)) { /* through a pointer advanced by a constant */
		b = pick_scratch(g, (uint16_t)(1u << base));
		if (b < 0) {
			b = base;
		} else {
			c = off > 0 ? (int)below(g, (uint32_t)off + 1) : 0;
			mov_ptr(g, b, base);
			if (c)
				addi(g, b, c);
		}
	}
	switch (below(g, 10)) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
	case 5:
		r = pick_scratch(g, (uint16_t)(1u << b | 1u << base));
		if (r < 0)
			break;
		ldx(g, s, r, b, off - c, chance(g, 10));
		set_scalar(g, r);
		break;
	case 6:
	case 7:
		r = pick_scalar(g, (uint16_t)(1u << b));
		if (r >= 0) {
			stx(g, s, b, r, off - c);
			break;
		}
		/* fall through */
	default:
		if (mut(g, "pkt_atomic") && s >= 4) {
			r = get_scalar(g, (uint16_t)(1u << b | 1u << base));
			if (r >= 0)
				emit(g, BPF_STX | BPF_ATOMIC | size_code(s),
				     (uint8_t)b, (uint8_t)r, (int16_t)(off - c),
				     BPF_ADD);
			break;
		}
		sti(g, s, b, off - c, pick_imm(g));
		break;
	}
	if (b != base)
		kill(g, b);
}

/* Bounds check whose failure leaves the frame: the range holds after. */
static void blk_bounds(struct g *g)
{
	struct frame *f = g->f;
	unsigned int range;

	if (f->role[RO_D] < 0 || f->role[RO_E] < 0)
		return;
	range = bounds_check(g, f->role[RO_D], f->role[RO_E],
			     pick_len(g, f->m.pkt_range + 1), f->out, true,
			     false);
	if (range > f->m.pkt_range)
		f->m.pkt_range = (uint16_t)range;
}

/* Accesses within the known range, or behind a check of their own whose
 * failure skips them. */
static void blk_pkt(struct g *g)
{
	struct frame *f = g->f;
	int skip = -1;
	unsigned int n, i, range;

	if (f->role[RO_D] < 0 || f->role[RO_E] < 0)
		return;
	if (!f->m.pkt_range || chance(g, 35)) {
		skip = new_label(g);
		range = bounds_check(g, f->role[RO_D], f->role[RO_E],
				     pick_len(g, 1), skip, false, false);
		if (range > f->m.pkt_range)
			f->m.pkt_range = (uint16_t)range;
	}
	n = 1 + below(g, 4);
	for (i = 0; i < n; i++)
		pkt_access(g, f->role[RO_D], f->m.pkt_range, false);
	if (skip >= 0)
		place(g, skip);
}

/* A packet pointer advanced by a bounded variable taken from the packet,
 * checked against data_end, then accessed. */
static void blk_varoff(struct g *g)
{
	struct frame *f = g->f;
	int D = f->role[RO_D], E = f->role[RO_E], skip, v, p, t;
	unsigned int ls, s, k, off2, range;
	uint16_t avoid;
	int src;

	if (D < 0 || E < 0)
		return;
	skip = new_label(g);
	if (f->m.pkt_range < 2) {
		range = bounds_check(g, D, E, pick_len(g, 2), skip, false,
				     false);
		if (range > f->m.pkt_range)
			f->m.pkt_range = (uint16_t)range;
	}
	avoid = (uint16_t)(1u << D | 1u << E);
	v = pick_scratch(g, avoid);
	p = pick_scratch(g, (uint16_t)(avoid | 1u << v));
	t = pick_scratch(g, (uint16_t)(avoid | 1u << v | 1u << p));
	if (v < 0 || p < 0 || t < 0 || f->m.pkt_range < 1)
		goto out;
	ls = f->m.pkt_range >= 2 && chance(g, 40) ? 2 : 1;
	src = ls == 2 ? IDX_U16 : chance(g, 15) ? IDX_S8 : IDX_U8;
	load_index(g, v, D, (int)below(g, f->m.pkt_range - ls + 1), src);
	if (chance(g, 20)) {
		/* the IPv4 header length: (b & 0xf) << 2 */
		emit(g, BPF_ALU64 | BPF_AND | BPF_K, (uint8_t)v, 0, 0, 0xf);
		emit(g, BPF_ALU64 | BPF_LSH | BPF_K, (uint8_t)v, 0, 0, 2);
	} else if (src != IDX_S8 && chance(g, 15)) {
		emit(g, (chance(g, 30) ? BPF_ALU : BPF_ALU64) | BPF_RSH | BPF_K,
		     (uint8_t)v, 0, 0,
		     ls == 2 ? 5 + (int)below(g, 8) : (int)below(g, 8));
	} else {
		static const uint32_t lims[] = {0x7,  0xf,   0x3f,
						0xff, 0x3ff, 0x7ff};

		bound_index(g, v,
			    chance(g, 70) ? lims[below(g, 6)] : below(g, 1601),
			    skip, src, 0);
	}
	set_scalar(g, v);
	if (chance(g, 50)) {
		mov_ptr(g, p, D);
		emit(g,
		     (mut(g, "varoff_alu32_ptr") ? BPF_ALU : BPF_ALU64) |
			     BPF_ADD | BPF_X,
		     (uint8_t)p, (uint8_t)v, 0, 0);
	} else {
		mov_ptr(g, p, v);
		emit(g, BPF_ALU64 | BPF_ADD | BPF_X, (uint8_t)p, (uint8_t)D, 0,
		     0);
	}
	s = sizes[below(g, 4)];
	off2 = below(g, 4);
	k = off2 + s + (chance(g, 50) ? 0 : below(g, 8));
	hint_len(g, k);
	if (mut(g, "varoff_check_before_add")) {
		/* checks D + k, then accesses D + v + off2 */
		range = bounds_check(g, D, E, k, skip, false, false);
	} else {
		range = bounds_check(g, p, E, k, skip, false, false);
	}
	if (range < off2 + s) { /* a strict form: one byte less */
		if (range < s)
			goto out;
		off2 = range - s;
	}
	if (mut(g, "varoff_oob"))
		off2 = range - s + 1 + below(g, 3);
	if (chance(g, 60)) {
		int r = pick_scratch(g, (uint16_t)(avoid | 1u << p));

		if (r >= 0) {
			ldx(g, s, r, p, (int)off2, false);
			set_scalar(g, r);
		}
	} else {
		int r = pick_scalar(g, (uint16_t)(1u << p));

		if (r >= 0)
			stx(g, s, p, r, (int)off2);
		else
			sti(g, s, p, (int)off2, pick_imm(g));
	}
out:
	kill(g, p);
	kill(g, t);
	kill(g, v);
	place(g, skip);
}

/* The metadata area: data_meta + K checked against data. */
static void blk_meta(struct g *g)
{
	struct frame *f = g->f;
	static const uint16_t ks[] = {1, 2, 4, 4, 8, 8, 12, 16, 20, 32};
	int Mr = f->role[RO_M], D = f->role[RO_D], skip = -1;
	unsigned int range, n, i;

	if (Mr < 0 || D < 0)
		return;
	if (!f->m.meta_range || chance(g, 60)) {
		bool global = chance(g, 30);

		if (!global)
			skip = new_label(g);
		range = bounds_check(g, Mr, D, ks[below(g, 10)],
				     global ? f->out : skip, global, true);
		if (range > f->m.meta_range)
			f->m.meta_range = (uint16_t)range;
	}
	n = 1 + below(g, 3);
	for (i = 0; i < n; i++)
		pkt_access(g, Mr, f->m.meta_range, true);
	if (skip >= 0)
		place(g, skip);
}

/* ---- maps ---------------------------------------------------------------- */

static const struct gen_map *pick_map(struct g *g, unsigned int *idx)
{
	unsigned int i = below(g, g->o->nr_maps + 2);

	/* the first two (an ARRAY and a HASH) twice as often */
	if (i >= g->o->nr_maps)
		i -= g->o->nr_maps;
	if (i >= g->o->nr_maps)
		i = 0;
	*idx = i;
	return &g->o->maps[i];
}

/* Writes a key for map m at fp + koff. */
static void build_key(struct g *g, const struct gen_map *m, int koff)
{
	uint32_t key = below(g, m->key_range ? m->key_range : 1);
	int r;

	if (mut(g, "key_uninit"))
		return;
	if (m->key_size == 4) {
		r = chance(g, 30) ? pick_scalar(g, 0) : -1;
		if (r >= 0)
			stx(g, 4, 10, r, koff);
		else
			sti(g, 4, 10, koff, (int32_t)key);
	} else if (m->key_size == 8) {
		switch (below(g, 3)) {
		case 0: sti(g, 8, 10, koff, (int32_t)key); break;
		case 1:
			sti(g, 4, 10, koff, (int32_t)key);
			if (!mut(g, "key_partial"))
				sti(g, 4, 10, koff + 4, 0);
			else
				return; /* upper half as it was */
			break;
		default:
			r = pick_scratch(g, 0);
			if (r < 0) {
				sti(g, 8, 10, koff, (int32_t)key);
				break;
			}
			movi(g, r, (int32_t)key);
			set_scalar(g, r);
			stx(g, 8, 10, r, koff);
			break;
		}
	} else {
		unsigned int i;

		for (i = 0; i < m->key_size; i += 4)
			sti(g, 4, 10, koff + (int)i, (int32_t)(i ? 0 : key));
	}
	stack_wrote_scalar(g, koff, m->key_size);
}

static void load_map_r1(struct g *g, const struct gen_map *m, uint16_t avoid)
{
	int r;

	if (chance(g, 20) &&
	    (r = pick_scratch(g, (uint16_t)(avoid | 1u << 1))) >= 0) {
		ld_map(g, r, m->id);
		mov64(g, 1, r);
		kill(g, r);
	} else {
		ld_map(g, 1, m->id);
	}
	if (mut(g, "map_ptr_arith"))
		addi(g, 1, 8);
}

/* r2 = fp + koff (the key), maybe off by a mutation. */
static void key_ptr(struct g *g, int reg, int koff, unsigned int ksize)
{
	mov64(g, reg, 10);
	if (mut(g, "key_ptr_past_frame"))
		koff = -(int)(ksize / 2);
	addi(g, reg, koff);
}

/* One access of a map value at v (which points vbase bytes into it). */
static void value_access(struct g *g, int v, const struct gen_map *m, int vbase,
			 int skip, bool v_is_r0)
{
	unsigned int vs = m->value_size, s, k, what = below(g, 9);
	int off, r, q;
	uint16_t avoid = (uint16_t)(1u << v);
	/* programs only read BPF_F_RDONLY_PROG values */
	bool ro = m->map_flags & BPF_F_RDONLY_PROG,
	     writes = what >= 2 && what != 5 && what != 6;

	if (ro && writes && !mut(g, "rdonly_value_write"))
		what = 0;
	switch (what) {
	case 0:
	case 1: /* load */
		s = pick_size(g, vs);
		off = (int)below(g, vs - s + 1);
		if (mut(g, "value_oob"))
			off = (int)(vs - s + 1 + below(g, 8));
		else if (mut(g, "value_negative"))
			off = -(int)(s + below(g, 8));
		r = pick_scratch(g, avoid);
		if (r < 0)
			return;
		ldx(g, s, r, v, off - vbase, chance(g, 10));
		set_scalar(g, r);
		return;
	case 2:
	case 3: /* store */
		s = pick_size(g, vs);
		off = (int)below(g, vs - s + 1);
		if (mut(g, "value_oob_store"))
			off = (int)(vs - s + 1 + below(g, 8));
		r = chance(g, 50) ? pick_scalar(g, avoid) : -1;
		if (mut(g, "value_store_pointer") && g->f->role[RO_D] >= 0) {
			s = 8;
			off = vs >= 8 ? (int)below(g, vs - 7) : 0;
			r = g->f->role[RO_D];
		}
		if (r >= 0)
			stx(g, s, v, r, off - vbase);
		else
			sti(g, s, v, off - vbase, pick_imm(g));
		return;
	case 4: { /* atomic, aligned */
		static const int32_t ops[] = {BPF_ADD,
					      BPF_OR,
					      BPF_AND,
					      BPF_XOR,
					      BPF_ADD | BPF_FETCH,
					      BPF_OR | BPF_FETCH,
					      BPF_AND | BPF_FETCH,
					      BPF_XOR | BPF_FETCH,
					      BPF_XCHG,
					      BPF_CMPXCHG};
		int32_t op = ops[below(g, 10)];

		s = vs >= 8 && chance(g, 50) ? 8 : 4;
		if (vs < s)
			return;
		off = (int)(below(g, (vs - s) / s + 1) * s);
		if (mut(g, "atomic_misaligned"))
			off += (int)(1 + below(g, s - 1));
		if ((off - vbase) % (int)s)
			return;
		if (op == BPF_CMPXCHG) {
			if (v_is_r0 || v == 0)
				op = BPF_XCHG;
			else {
				movi(g, 0, pick_imm(g));
				set_scalar(g, 0);
			}
		}
		r = get_scalar(g, (uint16_t)(avoid | 1u << 0));
		if (r < 0)
			return;
		emit(g, BPF_STX | BPF_ATOMIC | size_code(s), (uint8_t)v,
		     (uint8_t)r, (int16_t)(off - vbase), op);
		if (op & BPF_FETCH)
			set_scalar(g, r);
		if (op == BPF_CMPXCHG)
			set_scalar(g, 0);
		return;
	}
	case 5:
	case 6: { /* variable offset from a value field */
		static const unsigned int isz[] = {1, 1, 2, 4, 8};
		int src = (int)below(g, 5);

		s = pick_size(g, vs);
		r = pick_scratch(g, avoid);
		q = pick_scratch(g, (uint16_t)(avoid | 1u << r));
		if (r < 0 || q < 0 || vs < s + 1 || vs < isz[src])
			return;
		load_index(g, r, v, (int)below(g, vs - isz[src] + 1) - vbase,
			   src);
		bound_index(g, r, vs - s, skip, src, 0);
		mov_ptr(g, q, v);
		if (vbase)
			addi(g, q, -vbase);
		emit(g, BPF_ALU64 | BPF_ADD | BPF_X, (uint8_t)q, (uint8_t)r, 0,
		     0);
		k = below(g, 2);
		if (!k && ro && !mut(g, "rdonly_value_write"))
			k = 1;
		if (k)
			ldx(g, s, r, q, 0, false);
		else
			sti(g, s, q, 0, pick_imm(g));
		kill(g, q);
		if (!k)
			kill(g, r);
		return;
	}
	case 7: /* a packet field copied into the value */
		s = pick_size(g,
			      g->f->m.pkt_range < vs ? g->f->m.pkt_range : vs);
		if (!s || g->f->role[RO_D] < 0)
			return;
		r = pick_scratch(g, avoid);
		if (r < 0)
			return;
		emit_pkt_load(g, r, s,
			      (int)below(g, g->f->m.pkt_range - s + 1));
		stx(g, s, v, r, (int)below(g, vs - s + 1) - vbase);
		return;
	default: /* accumulate */
		s = vs >= 8 ? 8 : 4;
		r = pick_scratch(g, avoid);
		if (r < 0)
			return;
		off = (int)below(g, vs - s + 1);
		ldx(g, s, r, v, off - vbase, false);
		addi(g, r, 1);
		stx(g, s, v, r, off - vbase);
		set_scalar(g, r);
		return;
	}
}

/* bpf_map_lookup_elem, a null check, accesses to the value. */
static void blk_map(struct g *g)
{
	struct frame *f = g->f;
	const struct gen_map *m;
	unsigned int mi, n, i;
	int koff, v, skip, c = -1, vbase = 0;
	bool held = false;

	if (!f->calls || !g->o->nr_maps)
		return;
	m = pick_map(g, &mi);
	koff = stack_alloc(g, m->key_size);
	build_key(g, m, koff);
	key_ptr(g, 2, koff, m->key_size);
	load_map_r1(g, m, 1u << 2);
	call_helper(g, BPF_FUNC_map_lookup_elem);
	after_call(g);
	v = 0;
	if (chance(g, 35)) {
		int s = pick_saved_scratch(g, 0);

		if (s >= 0) {
			mov_ptr(g, s, 0);
			v = s;
			held = true;
		} else if ((s = pick_scratch(g, 1)) >= 0) {
			mov_ptr(g, s, 0);
			v = s;
		}
	}
	M(g)->reg[v] = RK_UNINIT; /* a pointer, not a scalar */
	skip = new_label(g);
	if (mut(g, "null_check_missing")) {
		;
	} else if (mut(g, "null_check_jmp32")) {
		jmp(g, BPF_JMP32 | BPF_JEQ | BPF_K, v, 0, 0, skip);
	} else if (mut(g, "null_check_inverted")) {
		jmp(g, BPF_JMP | BPF_JNE | BPF_K, v, 0, 0, skip);
	} else {
		switch (below(g, 5)) {
		case 0:
		case 1: jmp(g, BPF_JMP | BPF_JEQ | BPF_K, v, 0, 0, skip); break;
		case 2: {
			int ok = new_label(g);

			jmp(g, BPF_JMP | BPF_JNE | BPF_K, v, 0, 0, ok);
			ja(g, skip);
			place(g, ok);
			break;
		}
		case 3: /* through a copy */
			c = pick_scratch(g, (uint16_t)(1u << v));
			if (c < 0) {
				jmp(g, BPF_JMP | BPF_JEQ | BPF_K, v, 0, 0,
				    skip);
				break;
			}
			mov_ptr(g, c, v);
			jmp(g, BPF_JMP | BPF_JEQ | BPF_K, c, 0, 0, skip);
			break;
		default: to_out(g, BPF_JMP | BPF_JEQ | BPF_K, v, 0, 0); break;
		}
	}
	if (chance(g, 20)) { /* advance the value pointer */
		vbase = (int)(below(g, m->value_size / 8 + 1) * 8);
		if (vbase >= (int)m->value_size)
			vbase = 0;
		if (vbase)
			addi(g, v, vbase);
	}
	n = 1 + below(g, 4);
	for (i = 0; i < n; i++)
		value_access(g, v, m, vbase, skip, v == 0);
	if (held && chance(g, 50) &&
	    (!(m->map_flags & BPF_F_RDONLY_PROG) ||
	     mut(g, "update_rdonly_map"))) {
		/* delete (or replace) the element while holding its value:
		 * the memory stays the value until the program returns */
		load_map_r1(g, m, (uint16_t)(1u << v));
		key_ptr(g, 2, koff, m->key_size);
		if (chance(g, 50) && stack_scalar_ok(g, koff, m->key_size)) {
			int voff = stack_alloc(g, m->value_size);
			unsigned int b;

			for (b = 0; b + 8 <= m->value_size; b += 8)
				sti(g, 8, 10, voff + (int)b, pick_imm(g));
			if (b < m->value_size)
				sti(g, 4, 10, voff + (int)b, pick_imm(g));
			stack_wrote_scalar(g, voff, m->value_size);
			mov64(g, 3, 10);
			addi(g, 3, voff);
			movi(g, 4, 0);
			call_helper(g, BPF_FUNC_map_update_elem);
		} else {
			call_helper(g, BPF_FUNC_map_delete_elem);
		}
		after_call(g);
		set_scalar(g, 0);
		value_access(g, v, m, vbase, skip, false);
	}
	kill(g, c);
	kill(g, v);
	kill(g, 0);
	place(g, skip);
	kill(g, 0);
}

/* bpf_map_update_elem or bpf_map_delete_elem with stack buffers. */
static void blk_map_update(struct g *g)
{
	struct frame *f = g->f;
	const struct gen_map *m;
	unsigned int mi, b;
	int koff, voff;

	if (!f->calls || !g->o->nr_maps)
		return;
	m = pick_map(g, &mi);
	if (m->map_flags & BPF_F_RDONLY_PROG && !mut(g, "update_rdonly_map"))
		return;
	koff = stack_alloc(g, m->key_size);
	build_key(g, m, koff);
	if (chance(g, 30)) {
		load_map_r1(g, m, 0);
		key_ptr(g, 2, koff, m->key_size);
		call_helper(g, BPF_FUNC_map_delete_elem);
	} else {
		voff = stack_alloc(g, m->value_size);
		for (b = 0; b + 8 <= m->value_size; b += 8) {
			int r = chance(g, 30) ? pick_scalar(g, 0) : -1;

			if (b && mut(g, "update_value_uninit"))
				continue;
			if (r >= 0)
				stx(g, 8, 10, r, voff + (int)b);
			else
				sti(g, 8, 10, voff + (int)b, pick_imm(g));
		}
		if (b < m->value_size)
			sti(g, 4, 10, voff + (int)b, pick_imm(g));
		stack_wrote_scalar(g, voff, m->value_size);
		load_map_r1(g, m, 0);
		key_ptr(g, 2, koff, m->key_size);
		mov64(g, 3, 10);
		if (mut(g, "value_ptr_past_frame"))
			voff = -8;
		addi(g, 3, voff);
		movi(g, 4, (int32_t)below(g, 3));
		call_helper(g, BPF_FUNC_map_update_elem);
	}
	after_call(g);
	set_scalar(g, 0);
}

/* Global data: a variable of a single-element ARRAY by address. */
static void blk_global(struct g *g)
{
	const struct gen_map *ms[GEN_MAX_MAPS], *m;
	unsigned int i, n = 0, base;
	int r, skip;

	for (i = 0; i < g->o->nr_maps && n < GEN_MAX_MAPS; i++)
		if (g->o->maps[i].global)
			ms[n++] = &g->o->maps[i];
	r = pick_scratch(g, 0);
	if (!n || r < 0)
		return;
	m = ms[below(g, n)];
	/* the variable's offset, folded into the ld_imm64 as clang does */
	base = below(g, m->value_size);
	if (chance(g, 60))
		base &= ~7u;
	emit(g, BPF_LD | BPF_IMM | BPF_DW, (uint8_t)r, BPF_PSEUDO_MAP_VALUE, 0,
	     (int32_t)m->id);
	emit(g, 0, 0, 0, 0, (int32_t)base);
	kill(g, r);
	skip = new_label(g);
	n = 1 + below(g, 3);
	for (i = 0; i < n; i++)
		value_access(g, r, m, (int)base, skip, r == 0);
	kill(g, r);
	place(g, skip);
}

/* ---- stack --------------------------------------------------------------- */

static const int slot_of_role[NR_ROLES] = {SL_D, SL_E, SL_M, SL_C, 0, 0};

/* Use a pointer filled from the stack as its role would be used. */
static void use_filled(struct g *g, int r, int kind)
{
	struct frame *f = g->f;
	int x;

	switch (kind) {
	case SL_D:
		if (f->m.pkt_range)
			pkt_access(g, r, f->m.pkt_range, false);
		break;
	case SL_M:
		if (f->m.meta_range)
			pkt_access(g, r, f->m.meta_range, true);
		break;
	case SL_C:
		x = pick_scratch(g, (uint16_t)(1u << r));
		if (x >= 0) {
			ctx_load(g, x, r, chance(g, 50) ? 12 : 16);
			set_scalar(g, x);
		}
		break;
	case SL_E:
		if (f->role[RO_D] >= 0) {
			int skip = new_label(g);
			unsigned int range;

			range = bounds_check(g, f->role[RO_D], r,
					     pick_len(g, 1), skip, false,
					     false);
			if (range > f->m.pkt_range)
				f->m.pkt_range = (uint16_t)range;
			pkt_access(g, f->role[RO_D], f->m.pkt_range, false);
			place(g, skip);
		}
		break;
	}
}

static void blk_stack(struct g *g)
{
	struct frame *f = g->f;
	unsigned int n = 1 + below(g, 3), i, s;
	int off, r, ro, kind;

	for (i = 0; i < n; i++) {
		switch (below(g, 5)) {
		case 0: /* scalar spill */
			s = sizes[below(g, 4)];
			off = stack_alloc(g, 8) + (int)(below(g, 8 / s) * s);
			if (mut(g, "stack_misaligned") && s > 1)
				off += 1;
			if (mut(g, "stack_past_frame"))
				off = chance(g, 50) ? -(int)f->stack_limit - 512
						    : (int)below(g, 8);
			r = chance(g, 60) ? pick_scalar(g, 0) : -1;
			if (r >= 0)
				stx(g, s, 10, r, off);
			else
				sti(g, s, 10, off, pick_imm(g));
			stack_wrote_scalar(g, off, s);
			break;
		case 1: /* scalar fill */
			s = sizes[below(g, 4)];
			off = find_scalar_area(g, s);
			r = pick_scratch(g, 0);
			if (r < 0)
				break;
			if (!off && !mut(g, "stack_uninit_read"))
				break;
			if (!off)
				off = stack_alloc(g, 8);
			ldx(g, s, r, 10, off, chance(g, 15));
			set_scalar(g, r);
			break;
		case 2: /* pointer spill */
			ro = (int)below(g, 4);
			if (f->role[ro] < 0)
				break;
			off = stack_alloc(g, 8);
			stx(g, 8, 10, f->role[ro], off);
			stack_wrote_ptr(g, off, slot_of_role[ro]);
			break;
		case 3: /* pointer fill, then use */
			kind = SL_D + (int)below(g, 4);
			off = find_slot(g, kind);
			r = pick_scratch(g, 0);
			if (!off || r < 0)
				break;
			if (mut(g, "stack_pointer_clobbered"))
				sti(g, 1, 10, off + (int)below(g, 8), 0x41);
			if (mut(g, "stack_pointer_partial_fill")) {
				ldx(g, 4, r, 10, off, false);
				set_scalar(g, r);
				break;
			}
			ldx(g, 8, r, 10, off, false);
			kill(g, r);
			use_filled(g, r, kind);
			kill(g, r);
			break;
		default: /* through a pointer to the stack */
			s = sizes[below(g, 4)];
			r = pick_scratch(g, 0);
			if (r < 0)
				break;
			off = stack_alloc(g, 8);
			mov_ptr(g, r, 10);
			addi(g, r, off);
			sti(g, s, r, 0, pick_imm(g));
			stack_wrote_scalar(g, off, s);
			ro = pick_scratch(g, (uint16_t)(1u << r));
			if (ro >= 0) {
				ldx(g, s, ro, r, 0, false);
				set_scalar(g, ro);
			}
			kill(g, r);
			break;
		}
	}
}

/* ---- scalar ALU ------------------------------------------------------------
 */

static void alu_op(struct g *g, int dst)
{
	static const uint8_t ops[] = {
		BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR,  BPF_AND,  BPF_LSH,
		BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH, BPF_END};
	uint8_t op = ops[below(g, 14)],
		cls = chance(g, 30) ? BPF_ALU : BPF_ALU64;
	unsigned int width = cls == BPF_ALU ? 32 : 64;
	int src;
	int32_t imm;

	switch (op) {
	case BPF_NEG: emit(g, cls | BPF_NEG, (uint8_t)dst, 0, 0, 0); return;
	case BPF_END: {
		static const int32_t w[] = {16, 32, 64};

		if (chance(g, 30)) /* bswap */
			emit(g, BPF_ALU64 | BPF_END | BPF_TO_LE, (uint8_t)dst,
			     0, 0, w[below(g, 3)]);
		else
			emit(g,
			     BPF_ALU | BPF_END |
				     (chance(g, 50) ? BPF_TO_BE : BPF_TO_LE),
			     (uint8_t)dst, 0, 0, w[below(g, 3)]);
		return;
	}
	}
	src = chance(g, 45) ? pick_scalar(g, 0) : -1;
	if (mut(g, "alu_uninit_source")) {
		src = pick_from(g, scratch_set(g) & ~(1u << dst));
		if (src >= 0 && M(g)->reg[src] == RK_SCALAR)
			src = -1;
	}
	if (src >= 0) {
		int16_t off = 0;

		if ((op == BPF_DIV || op == BPF_MOD) && chance(g, 30))
			off = 1; /* sdiv, smod */
		if (op == BPF_MOV && chance(g, 30))
			off = (int16_t)(cls == BPF_ALU64 && chance(g, 30) ? 32
					: chance(g, 50)			  ? 8
									  : 16);
		emit(g, cls | op | BPF_X, (uint8_t)dst, (uint8_t)src, off, 0);
		return;
	}
	imm = pick_imm(g);
	if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) {
		imm = (int32_t)below(g, width);
		if (mut(g, "shift_out_of_range"))
			imm = (int32_t)(width + below(g, 8));
	}
	if ((op == BPF_DIV || op == BPF_MOD) && imm == 0)
		imm = mut(g, "div_by_zero_imm") ? 0 : 3;
	emit(g, cls | op | BPF_K, (uint8_t)dst, 0,
	     (op == BPF_DIV || op == BPF_MOD) && chance(g, 30) ? 1 : 0, imm);
}

static void blk_alu(struct g *g)
{
	struct frame *f = g->f;
	int d, n, i, a = f->role[RO_A];

	if (mut(g, "alu_on_pointer") && f->role[RO_D] >= 0) {
		/* pointer arithmetic the verifier must refuse, then a load */
		static const uint8_t bad[] = {BPF_MUL, BPF_OR,	BPF_AND,
					      BPF_LSH, BPF_XOR, BPF_DIV};
		int p = pick_scratch(g, 0);

		if (p < 0)
			return;
		mov_ptr(g, p, f->role[RO_D]);
		if (chance(g, 50))
			emit(g, BPF_ALU | BPF_ADD | BPF_K, (uint8_t)p, 0, 0, 1);
		else
			emit(g, BPF_ALU64 | bad[below(g, 6)] | BPF_K,
			     (uint8_t)p, 0, 0, 0x7ff);
		ldx(g, 1, p, p, 0, false);
		set_scalar(g, p);
		return;
	}
	d = pick_scratch(g, 0);
	if (d < 0)
		return;
	if (M(g)->reg[d] != RK_SCALAR && !mut(g, "alu_uninit_dst"))
		init_scalar(g, d);
	n = 1 + (int)below(g, 5);
	for (i = 0; i < n; i++)
		alu_op(g, d);
	set_scalar(g, d);
	switch (below(g, 4)) {
	case 0:
		if (a >= 0)
			emit(g,
			     BPF_ALU64 | (chance(g, 50) ? BPF_ADD : BPF_XOR) |
				     BPF_X,
			     (uint8_t)a, (uint8_t)d, 0, 0);
		break;
	case 1:
		if (f->m.pkt_range && f->role[RO_D] >= 0) {
			unsigned int s = pick_size(g, f->m.pkt_range);

			stx(g, s, f->role[RO_D], d,
			    (int)below(g, f->m.pkt_range - s + 1));
		}
		break;
	case 2: {
		int off = stack_alloc(g, 8);

		stx(g, 8, 10, d, off);
		stack_wrote_scalar(g, off, 8);
		break;
	}
	}
}

/* ---- control flow -------------------------------------------------------- */

static void gen_block(struct g *g, bool top);

static void cond_jump(struct g *g, int label)
{
	static const uint8_t ops[] = {BPF_JEQ, BPF_JGT,	 BPF_JGE,  BPF_JSET,
				      BPF_JNE, BPF_JSGT, BPF_JSGE, BPF_JLT,
				      BPF_JLE, BPF_JSLT, BPF_JSLE};
	uint8_t cls = chance(g, 25) ? BPF_JMP32 : BPF_JMP,
		op = ops[below(g, 11)];
	int a = get_scalar(g, 0), b;

	if (mut(g, "branch_on_uninit")) {
		int u = pick_from(g, scratch_set(g));

		if (u >= 0 && M(g)->reg[u] != RK_SCALAR)
			a = u;
	}
	if (a < 0)
		return;
	b = chance(g, 35) ? pick_scalar(g, (uint16_t)(1u << a)) : -1;
	if (b >= 0)
		jmp(g, cls | op | BPF_X, a, b, 0, label);
	else
		jmp(g, cls | op | BPF_K, a, 0, pick_imm(g), label);
}

static void blk_branch(struct g *g)
{
	int l1, l2;
	unsigned int i, n;

	if (g->nest >= 2)
		return;
	g->nest++;
	l1 = new_label(g);
	cond_jump(g, l1);
	n = 1 + below(g, 2);
	for (i = 0; i < n; i++)
		gen_block(g, false);
	if (chance(g, 40)) { /* else branch */
		l2 = new_label(g);
		ja(g, l2);
		place(g, l1);
		n = 1 + below(g, 2);
		for (i = 0; i < n; i++)
			gen_block(g, false);
		place(g, l2);
	} else {
		place(g, l1);
	}
	g->nest--;
}

/* A loop of at most 16 rounds, maybe walking the packet byte by byte. */
static void blk_loop(struct g *g)
{
	struct frame *f = g->f;
	int i, x, p = -1, t = -1, y = -1, head, brk, D = f->role[RO_D],
		  E = f->role[RO_E];
	unsigned int n = 1 + below(g, 16), form = below(g, 7), k, ops;
	bool walk;

	if (g->nest)
		return;
	i = pick_scratch(g, 0);
	x = pick_scratch(g, (uint16_t)(1u << i));
	if (i < 0 || x < 0)
		return;
	walk = D >= 0 && E >= 0 && chance(g, 50);
	if (walk) {
		uint16_t av = (uint16_t)(1u << i | 1u << x);

		p = pick_scratch(g, av);
		t = pick_scratch(g, (uint16_t)(av | 1u << p));
		y = pick_scratch(g, (uint16_t)(av | 1u << p | 1u << t));
		if (p < 0 || t < 0 || y < 0)
			walk = false;
	}
	if (M(g)->reg[x] != RK_SCALAR)
		movi(g, x, pick_imm(g));
	set_scalar(g, x);
	movi(g, i, form < 4 ? 0 : (int32_t)n);
	set_scalar(g, i);
	head = new_label(g);
	brk = new_label(g);
	/* what the body leaves in its temporaries is a pointer next round */
	if (walk) {
		kill(g, p);
		kill(g, t);
		kill(g, y);
	}
	place(g, head);
	ops = 1 + below(g, 3);
	for (k = 0; k < ops; k++) {
		if (chance(g, 50))
			emit(g, BPF_ALU64 | BPF_ADD | BPF_X, (uint8_t)x,
			     (uint8_t)i, 0, 0);
		else
			alu_op(g, x);
	}
	if (walk) {
		/* p = D + i; if p + 1 > E break; y = *(u8 *)p */
		mov_ptr(g, p, D);
		emit(g, BPF_ALU64 | BPF_ADD | BPF_X, (uint8_t)p, (uint8_t)i, 0,
		     0);
		mov_ptr(g, t, p);
		addi(g, t, 1);
		if (!mut(g, "loop_walk_unchecked"))
			jmp(g, BPF_JMP | BPF_JGT | BPF_X, t, E, 0, brk);
		ldx(g, 1, y, p, 0, false);
		emit(g, BPF_ALU64 | BPF_XOR | BPF_X, (uint8_t)x, (uint8_t)y, 0,
		     0);
		kill(g, p);
		kill(g, t);
		kill(g, y);
	}
	if (!mut(g, "loop_no_progress")) {
		if (form < 4)
			addi(g, i, 1);
		else
			addi(g, i, -1);
	}
	switch (form) {
	case 0:
		jmp(g, BPF_JMP | BPF_JLT | BPF_K, i, 0, (int32_t)n, head);
		break;
	case 1:
		jmp(g, BPF_JMP | BPF_JNE | BPF_K, i, 0, (int32_t)n, head);
		break;
	case 2:
		jmp(g, BPF_JMP | BPF_JLE | BPF_K, i, 0, (int32_t)n - 1, head);
		break;
	case 3:
		jmp(g, BPF_JMP32 | BPF_JLT | BPF_K, i, 0, (int32_t)n, head);
		break;
	case 4: jmp(g, BPF_JMP | BPF_JNE | BPF_K, i, 0, 0, head); break;
	case 5: jmp(g, BPF_JMP | BPF_JGT | BPF_K, i, 0, 0, head); break;
	default: jmp(g, BPF_JMP | BPF_JSGT | BPF_K, i, 0, 0, head); break;
	}
	place(g, brk);
	set_scalar(g, i);
	set_scalar(g, x);
}

/* ---- calls --------------------------------------------------------------- */

static struct sub *get_sub(struct g *g, int kind, uint16_t arg_size,
			   unsigned int depth)
{
	unsigned int i;

	for (i = 0; i < g->nr_subs; i++)
		if (g->subs[i].kind == kind &&
		    g->subs[i].arg_size == arg_size &&
		    g->subs[i].depth == depth && chance(g, 70))
			return &g->subs[i];
	if (g->nr_subs >= MAX_SUBS)
		return NULL;
	g->subs[g->nr_subs] = (struct sub){.label = new_label(g),
					   .kind = kind,
					   .arg_size = arg_size,
					   .depth = depth};
	return &g->subs[g->nr_subs++];
}

static void call_sub(struct g *g, struct sub *s)
{
	add_fix(g, s->label, true);
	emit(g, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0);
}

static void blk_call(struct g *g)
{
	struct frame *f = g->f;
	struct sub *s;
	int a = f->role[RO_A];

	if (!f->calls || f->depth >= 2)
		return;
	if (f->depth == 0 && f->role[RO_D] >= 0 && f->role[RO_E] >= 0 &&
	    chance(g, 30)) {
		s = get_sub(g, SUB_PKT, 0, f->depth + 1);
		if (!s)
			return;
		mov64(g, 1, f->role[RO_D]);
		mov64(g, 2, f->role[RO_E]);
	} else {
		uint16_t size = chance(g, 50) ? 8 : 16;
		int off, r, b;

		s = get_sub(g, SUB_STACK, size, f->depth + 1);
		if (!s)
			return;
		off = stack_alloc(g, size);
		for (b = 0; b < size; b += 8) {
			if (mut(g, "call_arg_uninit"))
				continue;
			r = chance(g, 40) ? pick_scalar(g, 0) : -1;
			if (r >= 0)
				stx(g, 8, 10, r, off + b);
			else
				sti(g, 8, 10, off + b, pick_imm(g));
			stack_wrote_scalar(g, off + b, 8);
		}
		if (!mut(g, "call_arg_missing")) {
			mov64(g, 1, 10);
			if (mut(g, "call_arg_past_frame"))
				off = -8;
			addi(g, 1, off);
		}
		r = pick_scalar(g, 1u << 1);
		if (r >= 0 && r != 2 && chance(g, 50))
			mov64(g, 2, r);
		else
			movi(g, 2, pick_imm(g));
	}
	call_sub(g, s);
	after_call(g);
	set_scalar(g, 0);
	if (a >= 0 && chance(g, 70))
		emit(g, BPF_ALU64 | BPF_ADD | BPF_X, (uint8_t)a, 0, 0, 0);
}

/* Re-reads context fields: data_end again, an interface index into the
 * accumulator, or data itself (which forgets what was proven on it). */
static void blk_ctx(struct g *g)
{
	struct frame *f = g->f;
	int C = f->role[RO_C], r;

	if (C < 0)
		return;
	switch (below(g, 4)) {
	case 0:
		if (f->role[RO_E] >= 0)
			ctx_load(g, f->role[RO_E], C, 4);
		break;
	case 1:
		if (f->role[RO_D] >= 0) {
			int s;

			ctx_load(g, f->role[RO_D], C, 0);
			f->m.pkt_range = 0;
			/* a spilled copy keeps the old pointer's range */
			for (s = 0; s < 64; s++)
				if (f->m.slot[s] == SL_D)
					f->m.slot[s] = SL_DIRTY;
		}
		break;
	default:
		r = f->role[RO_A] >= 0 && chance(g, 50) ? f->role[RO_A]
							: pick_scratch(g, 0);
		if (r < 0)
			break;
		if (mut(g, "ctx_write")) {
			stx(g, 4, C, r, 12);
			break;
		}
		if (mut(g, "ctx_bad_access")) {
			static const struct {
				uint8_t s;
				int16_t off;
			} bad[] = {
				{8, 0},	 {2, 0}, {4, 2},  {4, 24},
				{4, -4}, {8, 8}, {1, 12}, {4, 40},
			};
			unsigned int b = below(g, 8);

			ldx(g, bad[b].s, r, C, bad[b].off, false);
			if (chance(g, 50) && f->role[RO_D] >= 0)
				ldx(g, 1, r, r, 0, false); /* and use it */
			set_scalar(g, r);
			break;
		}
		ctx_load(g, r, C, chance(g, 50) ? 12 : 16);
		set_scalar(g, r);
		break;
	}
}

/* ---- frames -------------------------------------------------------------- */

static void gen_block(struct g *g, bool top)
{
	struct frame *f = g->f;
	unsigned int w;

	if (g->overflow || g->cnt > g->cap)
		return;
	w = below(g, 100);
	if (w < 13)
		blk_bounds(g);
	else if (w < 26)
		blk_pkt(g);
	else if (w < 33)
		blk_varoff(g);
	else if (w < 37)
		blk_meta(g);
	else if (w < 52)
		blk_map(g);
	else if (w < 57)
		blk_map_update(g);
	else if (w < 62)
		blk_global(g);
	else if (w < 70)
		blk_stack(g);
	else if (w < 81)
		blk_alu(g);
	else if (w < 88)
		blk_branch(g);
	else if (w < 92)
		top ? blk_loop(g) : blk_alu(g);
	else if (w < 97)
		blk_call(g);
	else
		blk_ctx(g);
	(void)f;
}

static void frame_init(struct frame *f, unsigned int depth, bool calls,
		       uint16_t stack_limit, int out)
{
	memset(f, 0, sizeof(*f));
	memset(f->role, -1, sizeof(f->role));
	f->depth = depth;
	f->calls = calls;
	f->stack_limit = stack_limit;
	f->out = out;
}

static void set_role(struct g *g, int role, int reg)
{
	g->f->role[role] = (int8_t)reg;
	if (reg >= 0)
		M(g)->reg[reg] = RK_ROLE;
}

/* "r0 = verdict; exit", and the early exit when something jumped there. */
static void frame_end(struct g *g, bool main_frame)
{
	struct frame *f = g->f;
	int a = f->role[RO_A];

	if (main_frame && a >= 0 && chance(g, 40)) {
		mov64(g, 0, a);
		emit(g, BPF_ALU64 | BPF_AND | BPF_K, 0, 0, 0, 3);
	} else if (main_frame && mut(g, "exit_r0_pointer") &&
		   f->role[RO_D] >= 0) {
		mov64(g, 0, f->role[RO_D]);
	} else if (!mut(g, "exit_r0_unset") || M(g)->reg[0] == RK_SCALAR) {
		int r = main_frame ? -1 : pick_scalar(g, 0);

		if (r >= 0 && chance(g, 60))
			mov64(g, 0, r);
		else
			movi(g, 0,
			     main_frame ? (int32_t)below(g, 5) : pick_imm(g));
	}
	emit(g, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	if (f->out_used) {
		place(g, f->out);
		movi(g, 0, main_frame ? (chance(g, 50) ? 1 : 2) : 0);
		emit(g, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
}

static void gen_sub(struct g *g, struct sub *s)
{
	struct frame fr;
	unsigned int n, i;
	bool calls = s->depth < 2 && s->kind == SUB_STACK && chance(g, 30);

	frame_init(&fr, s->depth, calls, s->depth == 1 ? 96 : 64, new_label(g));
	g->f = &fr;
	g->cap = SUB_CAP;
	place(g, s->label);
	s->emitted = true;
	if (s->kind == SUB_STACK) {
		int p = 1, x;

		if (calls) {
			mov64(g, 6, 1);
			p = 6;
		}
		set_role(g, RO_P, p);
		fr.parg_size = s->arg_size;
		M(g)->reg[2] = RK_SCALAR;
		/* read the argument, maybe past its end */
		x = pick_scratch(g, (uint16_t)(1u << p | 1u << 2));
		if (x >= 0) {
			int off = (int)(below(g, s->arg_size / 8) * 8);

			if (mut(g, "sub_arg_oob"))
				off = s->arg_size;
			ldx(g, 8, x, p, off, false);
			set_scalar(g, x);
			emit(g, BPF_ALU64 | BPF_ADD | BPF_X, (uint8_t)x, 2, 0,
			     0);
			if (chance(g, 60))
				stx(g, 8, p, x, off);
		}
	} else {
		int d = 1, e = 2;

		/* its own check: what the caller proved is not assumed */
		set_role(g, RO_D, d);
		set_role(g, RO_E, e);
	}
	n = 1 + below(g, 3);
	for (i = 0; i < n; i++)
		gen_block(g, true);
	if (s->kind == SUB_STACK && fr.role[RO_P] >= 0 && chance(g, 50)) {
		int r = get_scalar(g, (uint16_t)(1u << fr.role[RO_P]));
		int off = (int)(below(g, s->arg_size / 8) * 8);

		if (r >= 0)
			stx(g, 8, fr.role[RO_P], r, off);
	}
	frame_end(g, false);
}

static void resolve(struct g *g)
{
	unsigned int i;

	for (i = 0; i < g->nr_fix; i++) {
		struct fix *x = &g->fix[i];
		int t = g->label_pc[x->label];
		long rel;

		if (t < 0 || x->pc >= g->cnt) {
			g->overflow = true;
			continue;
		}
		rel = (long)t - (long)x->pc - 1;
		if (x->imm)
			g->p->insns[x->pc].imm = (int32_t)rel;
		else if (rel < INT16_MIN || rel > INT16_MAX)
			g->overflow = true;
		else
			g->p->insns[x->pc].off = (int16_t)rel;
	}
}

static void note_mut(struct g *g, const char *name)
{
	size_t len = strlen(g->p->muts);

	g->p->nr_mut++;
	if (len + strlen(name) + 2 < sizeof(g->p->muts))
		snprintf(g->p->muts + len, sizeof(g->p->muts) - len, "%s%s",
			 len ? " " : "", name);
}

/* Rare structural damage: the validator's business, in the same stream. */
static void structural(struct g *g)
{
	struct bpf_insn *in;

	if (!g->mutating || !chance(g, 3) || g->cnt < 2)
		return;
	in = &g->p->insns[below(g, (uint32_t)g->cnt)];
	switch (below(g, 3)) {
	case 0:
		if (BPF_CLASS(in->code) == BPF_JMP &&
		    BPF_OP(in->code) != BPF_CALL &&
		    BPF_OP(in->code) != BPF_EXIT) {
			in->off = (int16_t)(g->cnt + 5);
			note_mut(g, "struct_jump_out_of_range");
		}
		break;
	case 1:
		g->cnt--;
		note_mut(g, "struct_no_final_exit");
		break;
	default:
		in->code = 0xff;
		note_mut(g, "struct_bad_opcode");
		break;
	}
}

void gen_program(struct gen_rng *r, const struct gen_opts *o,
		 struct gen_prog *p)
{
	struct g *g;
	struct frame main_fr;
	unsigned int n, i, max_blocks = o->max_blocks ? o->max_blocks : 14;
	int roles[NR_ROLES], regs[10], nr = 0, k;
	bool have_calls;
	static struct g gs; /* large: not on the stack */

	g = &gs;
	memset(g, 0, sizeof(*g));
	memset(p, 0, sizeof(*p));
	g->r = r;
	g->o = o;
	g->p = p;
	g->mutating = gen_chance(r, o->mutate_pct);
	g->mut_rate = 3 + gen_below(r, 8);
	have_calls = o->nr_maps ? gen_chance(r, 60) : gen_chance(r, 25);

	/* Roles: D and E always; data_meta, the context, an accumulator
	 * sometimes.  With calls they live in r6..r9 (callee-saved). */
	for (k = 0; k < NR_ROLES; k++)
		roles[k] = -1;
	if (have_calls) {
		for (k = 6; k <= 9; k++)
			regs[nr++] = k;
	} else {
		for (k = 2; k <= 9; k++)
			regs[nr++] = k;
	}
	/* shuffle */
	for (k = nr - 1; k > 0; k--) {
		int j = (int)gen_below(r, (uint32_t)k + 1), t = regs[k];

		regs[k] = regs[j];
		regs[j] = t;
	}
	k = 0;
	roles[RO_D] = regs[k++];
	roles[RO_E] = regs[k++];
	if (gen_chance(r, 35))
		roles[RO_M] = regs[k++];
	if (gen_chance(r, 40))
		roles[RO_C] = regs[k++];
	if (k < nr && gen_chance(r, 50))
		roles[RO_A] = regs[k++];

	frame_init(&main_fr, 0, have_calls, have_calls ? 256 : 512,
		   new_label(g));
	g->f = &main_fr;
	g->cap = SOFT_CAP;
	if (have_calls && g->mutating && gen_chance(r, g->mut_rate)) {
		/* data in a caller-saved register: gone after a call */
		note_mut(g, "role_in_caller_saved_reg");
		roles[RO_D] = 2 + (int)gen_below(r, 4);
		if (roles[RO_D] == roles[RO_E])
			roles[RO_D] = 2;
	}

	/* Prologue: the context's pointers, clang's way. */
	M(g)->reg[1] = RK_ROLE;
	if (roles[RO_C] >= 0)
		mov64(g, roles[RO_C], 1);
	ctx_load(g, roles[RO_D], 1, 0);
	ctx_load(g, roles[RO_E], 1, 4);
	if (roles[RO_M] >= 0)
		ctx_load(g, roles[RO_M], 1, 8);
	if (roles[RO_A] >= 0) {
		if (gen_chance(r, 50))
			ctx_load(g, roles[RO_A], 1,
				 gen_chance(r, 50) ? 12 : 16);
		else
			movi(g, roles[RO_A], 0);
	}
	M(g)->reg[1] = RK_UNINIT;
	for (k = 0; k < NR_ROLES; k++)
		if (roles[k] >= 0)
			set_role(g, k, roles[k]);

	n = 1 + gen_below(r, max_blocks);
	for (i = 0; i < n; i++)
		gen_block(g, true);
	frame_end(g, true);

	/* Subprograms, in the order first called (they may call more). */
	for (i = 0; i < g->nr_subs; i++)
		if (!g->subs[i].emitted)
			gen_sub(g, &g->subs[i]);

	resolve(g);
	structural(g);
	if (g->overflow) {
		/* never expected; a trivial program rather than garbage */
		p->cnt = 2;
		p->insns[0] = (struct bpf_insn){
			.code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = 2};
		p->insns[1] = (struct bpf_insn){.code = BPF_JMP | BPF_EXIT};
		memset(p->ctx_load, 0, sizeof(p->ctx_load));
		return;
	}
	p->cnt = g->cnt;
}

/* ---- disassembly --------------------------------------------------------- */

static const char *const alu_names[16] = {
	"+=",  "-=", "*=", "/=", "|=",	 "&=",	"<<=", ">>=",
	"neg", "%=", "^=", "=",	 "s>>=", "end", "?",   "?",
};
static const char *const jmp_names[16] = {
	"goto", "==",	">", ">=", "&",	 "!=",	"s>", "s>=",
	"call", "exit", "<", "<=", "s<", "s<=", "?",  "?",
};
static const char *const sz_names[4] = {"u32", "u16", "u8", "u64"};
static const char *const szs_names[4] = {"s32", "s16", "s8", "s64"};

static const char *helper_name(int32_t id)
{
	switch (id) {
	case BPF_FUNC_map_lookup_elem: return "bpf_map_lookup_elem";
	case BPF_FUNC_map_update_elem: return "bpf_map_update_elem";
	case BPF_FUNC_map_delete_elem: return "bpf_map_delete_elem";
	case BPF_FUNC_ktime_get_ns: return "bpf_ktime_get_ns";
	case BPF_FUNC_get_prandom_u32: return "bpf_get_prandom_u32";
	case BPF_FUNC_get_smp_processor_id: return "bpf_get_smp_processor_id";
	default: return "helper";
	}
}

void gen_disasm_insn(char *buf, size_t size, const struct bpf_insn *insns,
		     size_t cnt, size_t pc)
{
	const struct bpf_insn *in = &insns[pc];
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	bool x = BPF_SRC(in->code) == BPF_X;
	char r = cls == BPF_ALU || cls == BPF_JMP32 ? 'w' : 'r';
	unsigned int szi = BPF_SIZE(in->code) >> 3;

	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		if (op == BPF_NEG)
			snprintf(buf, size, "%c%u = -%c%u", r, in->dst_reg, r,
				 in->dst_reg);
		else if (op == BPF_END)
			snprintf(buf, size, "r%u = %s%d r%u", in->dst_reg,
				 cls == BPF_ALU64 ? "bswap"
				 : x		  ? "be"
						  : "le",
				 in->imm, in->dst_reg);
		else if (op == BPF_MOV && x && in->off)
			snprintf(buf, size, "%c%u = (s%d)%c%u", r, in->dst_reg,
				 in->off, r, in->src_reg);
		else if (x)
			snprintf(buf, size, "%c%u %s%s %c%u", r, in->dst_reg,
				 in->off && (op == BPF_DIV || op == BPF_MOD)
					 ? "s"
					 : "",
				 alu_names[op >> 4], r, in->src_reg);
		else
			snprintf(buf, size, "%c%u %s%s %d", r, in->dst_reg,
				 in->off && (op == BPF_DIV || op == BPF_MOD)
					 ? "s"
					 : "",
				 alu_names[op >> 4], in->imm);
		return;
	case BPF_LDX:
		snprintf(buf, size, "r%u = *(%s *)(r%u %+d)", in->dst_reg,
			 BPF_MODE(in->code) == BPF_MEMSX ? szs_names[szi]
							 : sz_names[szi],
			 in->src_reg, in->off);
		return;
	case BPF_ST:
		snprintf(buf, size, "*(%s *)(r%u %+d) = %d", sz_names[szi],
			 in->dst_reg, in->off, in->imm);
		return;
	case BPF_STX:
		if (BPF_MODE(in->code) == BPF_ATOMIC) {
			static const char *const an[16] = {
				[BPF_ADD >> 4] = "add",
				[BPF_OR >> 4] = "or",
				[BPF_AND >> 4] = "and",
				[BPF_XOR >> 4] = "xor",
			};
			const char *w = szi == 3 ? "u64" : "u32";

			if (in->imm == BPF_XCHG)
				snprintf(buf, size,
					 "r%u = xchg_%s((%s *)(r%u %+d), r%u)",
					 in->src_reg, w, w, in->dst_reg,
					 in->off, in->src_reg);
			else if (in->imm == BPF_CMPXCHG)
				snprintf(buf, size,
					 "r0 = cmpxchg_%s((%s *)(r%u %+d), r0, "
					 "r%u)",
					 w, w, in->dst_reg, in->off,
					 in->src_reg);
			else if (in->imm & BPF_FETCH)
				snprintf(buf, size,
					 "r%u = atomic_fetch_%s((%s *)(r%u "
					 "%+d), r%u)",
					 in->src_reg,
					 an[(in->imm & ~BPF_FETCH) >> 4 & 15]
						 ? an[(in->imm & ~BPF_FETCH) >>
							      4 &
						      15]
						 : "?",
					 w, in->dst_reg, in->off, in->src_reg);
			else
				snprintf(buf, size,
					 "lock *(%s *)(r%u %+d) %s= r%u", w,
					 in->dst_reg, in->off,
					 in->imm == BPF_ADD   ? "+"
					 : in->imm == BPF_OR  ? "|"
					 : in->imm == BPF_AND ? "&"
					 : in->imm == BPF_XOR ? "^"
							      : "?",
					 in->src_reg);
			return;
		}
		snprintf(buf, size, "*(%s *)(r%u %+d) = r%u", sz_names[szi],
			 in->dst_reg, in->off, in->src_reg);
		return;
	case BPF_LD:
		if (in->code == (BPF_LD | BPF_IMM | BPF_DW) && pc + 1 < cnt) {
			uint64_t v = (uint32_t)in->imm |
				     (uint64_t)(uint32_t)in[1].imm << 32;

			if (in->src_reg == BPF_PSEUDO_MAP_FD)
				snprintf(buf, size, "r%u = map[id:%d] ll",
					 in->dst_reg, in->imm);
			else if (in->src_reg == BPF_PSEUDO_MAP_VALUE)
				snprintf(buf, size, "r%u = map[id:%d][0]+%d ll",
					 in->dst_reg, in->imm, in[1].imm);
			else
				snprintf(buf, size, "r%u = 0x%llx ll",
					 in->dst_reg, (unsigned long long)v);
			return;
		}
		break;
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_EXIT && cls == BPF_JMP) {
			snprintf(buf, size, "exit");
			return;
		}
		if (op == BPF_CALL && cls == BPF_JMP) {
			if (x)
				snprintf(buf, size, "callx r%u", in->dst_reg);
			else if (in->src_reg == BPF_PSEUDO_CALL)
				snprintf(buf, size, "call pc%+d (to %ld)",
					 in->imm, (long)pc + 1 + in->imm);
			else
				snprintf(buf, size, "call %s#%d",
					 helper_name(in->imm), in->imm);
			return;
		}
		if (op == BPF_JA) {
			int32_t d = cls == BPF_JMP32 ? in->imm : in->off;

			snprintf(buf, size, "goto%s pc%+d (to %ld)",
				 cls == BPF_JMP32 ? "l" : "", d,
				 (long)pc + 1 + d);
			return;
		}
		if (x)
			snprintf(buf, size,
				 "if %c%u %s %c%u goto pc%+d (to %ld)", r,
				 in->dst_reg, jmp_names[op >> 4], r,
				 in->src_reg, in->off, (long)pc + 1 + in->off);
		else
			snprintf(buf, size, "if %c%u %s %d goto pc%+d (to %ld)",
				 r, in->dst_reg, jmp_names[op >> 4], in->imm,
				 in->off, (long)pc + 1 + in->off);
		return;
	}
	snprintf(buf, size, "(%02x) dst r%u src r%u off %d imm %d", in->code,
		 in->dst_reg, in->src_reg, in->off, in->imm);
}

void gen_disasm(FILE *f, const struct bpf_insn *insns, size_t cnt)
{
	char line[160];
	size_t pc;

	for (pc = 0; pc < cnt; pc++) {
		gen_disasm_insn(line, sizeof(line), insns, cnt, pc);
		fprintf(f, "  %4zu: %s\n", pc, line);
		if (insns[pc].code == (BPF_LD | BPF_IMM | BPF_DW))
			pc++;
	}
}
