/* SPDX-License-Identifier: MIT */
/*
 * The verifier: proves a program safe before it runs, as the kernel's does.
 *
 * Path-sensitive abstract interpretation.  Every register and every 8-byte
 * stack slot has a kind (scalar or one of the pointer kinds) and, for
 * scalars and variable pointer offsets, a tnum plus signed and unsigned
 * 64- and 32-bit bounds.  Each path is followed instruction by instruction;
 * a conditional jump whose outcome is not known forks the state, and the
 * other side is explored later (depth first).
 *
 * States are pruned: at jump targets a checkpoint of the state is kept, and
 * a later state that is no more general than a completed checkpoint at the
 * same instruction is safe because the checkpoint was.  Two refinements
 * make that work on real programs, as in the kernel:
 *   - liveness: registers that are dead at the instruction (computed by a
 *     backward data-flow pass before the walk) are not compared;
 *   - precision: scalars start "imprecise" and match any scalar; a scalar
 *     becomes precise when its value decides something (pointer offset,
 *     helper size, a branch proven taken), and that fact is propagated
 *     backwards along the current path to the checkpoints it passed.
 *
 * Context loads are rewritten in place once the walk is done: every load
 * through PTR_TO_CTX is recorded with the field it reads, and becomes a
 * load from the library's own context struct (xdp/xdp.h).
 *
 * Messages follow the kernel's wording so that users can search for them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../lib/internal.h"
#include "../maps/map.h"
#include "../xdp/xdp.h"
#include "disasm.h"
#include "verifier.h"

#define MAX_PACKET_OFF 0xffff
#define MAX_VAR_OFF (1ll << 29)
#define MAX_SLOTS (UEBPF_STACK_SIZE / 8)
#define MAX_REFS 16

/* ---- tnums: a value whose bits are known (value) or unknown (mask) ---- */

struct tnum {
	uint64_t value, mask;
};

#define TNUM(v, m) ((struct tnum){ .value = (v), .mask = (m) })
static const struct tnum tnum_unknown = { 0, ~0ull };

static struct tnum tnum_const(uint64_t v)
{
	return TNUM(v, 0);
}

static bool tnum_is_const(struct tnum a)
{
	return !a.mask;
}

static struct tnum tnum_range(uint64_t min, uint64_t max)
{
	uint64_t chi = min ^ max, delta;
	int bits = chi ? 64 - __builtin_clzll(chi) : 0;

	if (bits > 63)
		return tnum_unknown;
	delta = (1ull << bits) - 1;
	return TNUM(min & ~delta, delta);
}

static struct tnum tnum_add(struct tnum a, struct tnum b)
{
	uint64_t sm = a.mask + b.mask, sv = a.value + b.value;
	uint64_t sigma = sm + sv, chi = sigma ^ sv;
	uint64_t mu = chi | a.mask | b.mask;

	return TNUM(sv & ~mu, mu);
}

static struct tnum tnum_sub(struct tnum a, struct tnum b)
{
	uint64_t dv = a.value - b.value;
	uint64_t alpha = dv + a.mask, beta = dv - b.mask;
	uint64_t chi = alpha ^ beta, mu = chi | a.mask | b.mask;

	return TNUM(dv & ~mu, mu);
}

static struct tnum tnum_and(struct tnum a, struct tnum b)
{
	uint64_t alpha = a.value | a.mask, beta = b.value | b.mask;
	uint64_t v = a.value & b.value;

	return TNUM(v, alpha & beta & ~v);
}

static struct tnum tnum_or(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value, mu = a.mask | b.mask;

	return TNUM(v, mu & ~v);
}

static struct tnum tnum_xor(struct tnum a, struct tnum b)
{
	uint64_t v = a.value ^ b.value, mu = a.mask | b.mask;

	return TNUM(v & ~mu, mu);
}

/* Shift-and-add over the multiplier's bits: sound, not the tightest. */
static struct tnum tnum_mul(struct tnum a, struct tnum b)
{
	struct tnum acc_v = tnum_const(a.value * b.value);
	struct tnum acc_m = tnum_const(0);

	while (a.value || a.mask) {
		if (a.value & 1)
			acc_m = tnum_add(acc_m, TNUM(0, b.mask));
		else if (a.mask & 1)
			acc_m = tnum_add(acc_m, TNUM(0, b.value | b.mask));
		a = TNUM(a.value >> 1, a.mask >> 1);
		b = TNUM(b.value << 1, b.mask << 1);
	}
	return tnum_add(acc_v, acc_m);
}

static struct tnum tnum_lshift(struct tnum a, unsigned int s)
{
	return TNUM(a.value << s, a.mask << s);
}

static struct tnum tnum_rshift(struct tnum a, unsigned int s)
{
	return TNUM(a.value >> s, a.mask >> s);
}

static struct tnum tnum_arshift(struct tnum a, unsigned int s, bool w32)
{
	if (w32)
		return TNUM((uint32_t)((int32_t)a.value >> s),
			    (uint32_t)((int32_t)a.mask >> s));
	return TNUM((uint64_t)((int64_t)a.value >> s),
		    (uint64_t)((int64_t)a.mask >> s));
}

static struct tnum tnum_intersect(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value, mu = a.mask & b.mask;

	return TNUM(v & ~mu, mu);
}

static struct tnum tnum_cast(struct tnum a, unsigned int size)
{
	uint64_t m = size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;

	return TNUM(a.value & m, a.mask & m);
}

static struct tnum tnum_subreg(struct tnum a)
{
	return tnum_cast(a, 4);
}

static struct tnum tnum_with_subreg(struct tnum a, struct tnum sub)
{
	return tnum_or(TNUM(a.value & ~0xffffffffull, a.mask & ~0xffffffffull),
		       tnum_subreg(sub));
}

/* b is a subset of a */
static bool tnum_in(struct tnum a, struct tnum b)
{
	if (b.mask & ~a.mask)
		return false;
	b.value &= ~a.mask;
	return a.value == b.value;
}

static void tnum_str(char *buf, size_t len, struct tnum a)
{
	snprintf(buf, len, "(0x%" PRIx64 "; 0x%" PRIx64 ")", a.value, a.mask);
}

/* ---- register and stack state ------------------------------------------ */

enum rtype {
	NOT_INIT = 0,
	SCALAR,
	PTR_TO_CTX,
	CONST_PTR_TO_MAP,
	PTR_TO_MAP_VALUE,
	PTR_TO_MAP_KEY,
	PTR_TO_STACK,
	PTR_TO_PACKET_META,
	PTR_TO_PACKET,
	PTR_TO_PACKET_END,
	PTR_TO_MEM,
	PTR_TO_FUNC,
};

static const char *const rtype_names[] = {
	[NOT_INIT] = "?",
	[SCALAR] = "scalar",
	[PTR_TO_CTX] = "ctx",
	[CONST_PTR_TO_MAP] = "map_ptr",
	[PTR_TO_MAP_VALUE] = "map_value",
	[PTR_TO_MAP_KEY] = "map_key",
	[PTR_TO_STACK] = "fp",
	[PTR_TO_PACKET_META] = "pkt_meta",
	[PTR_TO_PACKET] = "pkt",
	[PTR_TO_PACKET_END] = "pkt_end",
	[PTR_TO_MEM] = "mem",
	[PTR_TO_FUNC] = "func",
};

struct reg {
	uint8_t type;	   /* enum rtype */
	bool maybe_null;   /* *_OR_NULL: needs a null check first */
	bool precise;	   /* scalar whose value matters (pruning) */
	bool rdonly;	   /* PTR_TO_MEM: read-only memory */
	int32_t off;	   /* pointers: fixed offset */
	uint32_t id;	   /* null-check / packet-range / linked-scalar id */
	uint32_t ref_id;   /* acquired reference (ringbuf record) */
	struct tnum var;   /* scalars: value; pointers: variable offset */
	int64_t smin, smax;
	uint64_t umin, umax;
	int32_t s32min, s32max;
	uint32_t u32min, u32max;
	/* per kind */
	struct uebpf_map *map; /* map value, map key, map ptr */
	int32_t range;	       /* packet: bytes proven past off 0 */
	uint32_t mem_size;     /* PTR_TO_MEM */
	uint32_t frameno;      /* PTR_TO_STACK */
	uint32_t subprog;      /* PTR_TO_FUNC: its first insn */
};

enum slot_kind { S_INVALID = 0, S_SPILL, S_MISC, S_ZERO };

struct slot {
	uint8_t t[8];	 /* per byte, byte 0 at the lowest address */
	struct reg spilled; /* valid when t[0] == S_SPILL */
};

struct frame {
	struct reg regs[MAX_BPF_REG];
	uint32_t nslots; /* slots allocated (slot i covers fp-8(i+1)..fp-8i) */
	struct slot *stack;
	int callsite;	 /* insn of the call that made this frame, -1 */
	uint32_t frameno;
	uint32_t subprog; /* first insn of the function */
	/* A callback (bpf_loop's): its exit goes back to the call insn,
	 * which decides whether to explore one more iteration. */
	bool in_callback;
	uint32_t nrefs_at_entry;
	/* Iterations of this frame's callback explored on this path (the
	 * kernel's callback_depth); not compared when pruning. */
	uint32_t callback_depth;
};

struct ref {
	uint32_t id;
	uint32_t insn;
};

struct vstate {
	struct frame *fr[UEBPF_MAX_CALL_FRAMES];
	uint32_t curframe;
	uint32_t nrefs;
	struct ref refs[MAX_REFS];
	/* Callback iterations pushed on this path (callback_unroll_depth):
	 * states of different iterations are no infinite loop. */
	uint32_t cb_unroll;
	/* checkpoints only */
	struct vstate *parent;
	struct vstate *next; /* in the list of its instruction */
	uint32_t branches;
	uint32_t insn;
	uint32_t hits, misses;
};

/* ---- bounds ---------------------------------------------------------------- */

static void mark_unbounded(struct reg *r)
{
	r->smin = INT64_MIN;
	r->smax = INT64_MAX;
	r->umin = 0;
	r->umax = UINT64_MAX;
	r->s32min = INT32_MIN;
	r->s32max = INT32_MAX;
	r->u32min = 0;
	r->u32max = UINT32_MAX;
}

static void mark_known(struct reg *r, uint64_t v)
{
	r->var = tnum_const(v);
	r->smin = r->smax = (int64_t)v;
	r->umin = r->umax = v;
	r->s32min = r->s32max = (int32_t)v;
	r->u32min = r->u32max = (uint32_t)v;
}

static void mark_scalar_unknown(struct reg *r)
{
	memset(r, 0, sizeof(*r));
	r->type = SCALAR;
	r->var = tnum_unknown;
	mark_unbounded(r);
}

static void mark_scalar_const(struct reg *r, uint64_t v)
{
	memset(r, 0, sizeof(*r));
	r->type = SCALAR;
	mark_known(r, v);
}

static void mark_not_init(struct reg *r)
{
	memset(r, 0, sizeof(*r));
}

static bool reg_is_const(const struct reg *r)
{
	return r->type == SCALAR && tnum_is_const(r->var);
}

static bool reg_is_pkt(const struct reg *r)
{
	return r->type == PTR_TO_PACKET || r->type == PTR_TO_PACKET_META;
}

#define max_t(a, b) ((a) > (b) ? (a) : (b))
#define min_t(a, b) ((a) < (b) ? (a) : (b))

/* Tighten bounds from each other and from the tnum until they agree. */
static void update_from_tnum(struct reg *r)
{
	struct tnum s = tnum_subreg(r->var);

	r->s32min = max_t(r->s32min,
			  (int32_t)(s.value | (s.mask & 0x80000000u)));
	r->s32max = min_t(r->s32max,
			  (int32_t)(s.value | (s.mask & 0x7fffffffu)));
	r->u32min = max_t(r->u32min, (uint32_t)s.value);
	r->u32max = min_t(r->u32max, (uint32_t)(s.value | s.mask));
	r->smin = max_t(r->smin,
			(int64_t)(r->var.value | (r->var.mask & (1ull << 63))));
	r->smax = min_t(r->smax,
			(int64_t)(r->var.value | (r->var.mask & ~(1ull << 63))));
	r->umin = max_t(r->umin, r->var.value);
	r->umax = min_t(r->umax, r->var.value | r->var.mask);
}

static void deduce_bounds(struct reg *r)
{
	/* 32-bit: signed and unsigned agree when the sign is known. */
	if (r->s32min >= 0 || r->s32max < 0) {
		r->s32min = r->u32min = max_t((uint32_t)r->s32min, r->u32min);
		r->s32max = r->u32max = min_t((uint32_t)r->s32max, r->u32max);
	} else if ((int32_t)r->u32max >= 0) {
		r->s32min = r->u32min;
		r->s32max = r->u32max = min_t((uint32_t)r->s32max, r->u32max);
	} else if ((int32_t)r->u32min < 0) {
		r->s32min = r->u32min = max_t((uint32_t)r->s32min, r->u32min);
		r->s32max = r->u32max;
	}
	if (r->smin >= 0 || r->smax < 0) {
		r->smin = r->umin = max_t((uint64_t)r->smin, r->umin);
		r->smax = r->umax = min_t((uint64_t)r->smax, r->umax);
	} else if ((int64_t)r->umax >= 0) {
		r->smin = r->umin;
		r->smax = r->umax = min_t((uint64_t)r->smax, r->umax);
	} else if ((int64_t)r->umin < 0) {
		r->smin = r->umin = max_t((uint64_t)r->smin, r->umin);
		r->smax = r->umax;
	}
	/* 64 -> 32: the upper halves of the range are equal. */
	if ((r->umin >> 32) == (r->umax >> 32)) {
		r->u32min = max_t(r->u32min, (uint32_t)r->umin);
		r->u32max = min_t(r->u32max, (uint32_t)r->umax);
		if ((int32_t)r->umin <= (int32_t)r->umax) {
			r->s32min = max_t(r->s32min, (int32_t)r->umin);
			r->s32max = min_t(r->s32max, (int32_t)r->umax);
		}
	}
	if (((uint64_t)r->smin >> 32) == ((uint64_t)r->smax >> 32)) {
		if ((uint32_t)r->smin <= (uint32_t)r->smax) {
			r->u32min = max_t(r->u32min, (uint32_t)r->smin);
			r->u32max = min_t(r->u32max, (uint32_t)r->smax);
		}
		if ((int32_t)r->smin <= (int32_t)r->smax) {
			r->s32min = max_t(r->s32min, (int32_t)r->smin);
			r->s32max = min_t(r->s32max, (int32_t)r->smax);
		}
	}
	/* 32 -> 64: same upper half, so the lower half's bounds apply. */
	if ((r->umin >> 32) == (r->umax >> 32)) {
		uint64_t hi = r->umin & ~0xffffffffull;

		r->umin = max_t(r->umin, hi | r->u32min);
		r->umax = min_t(r->umax, hi | r->u32max);
		if (r->smin >= 0 || r->smax < 0) {
			r->smin = max_t(r->smin, (int64_t)r->umin);
			r->smax = min_t(r->smax, (int64_t)r->umax);
		}
	}
}

static void bounds_to_tnum(struct reg *r)
{
	struct tnum v = tnum_intersect(r->var, tnum_range(r->umin, r->umax));
	struct tnum s = tnum_intersect(tnum_subreg(v),
				       tnum_range(r->u32min, r->u32max));

	r->var = tnum_with_subreg(v, s);
}

static void bounds_sync(struct reg *r)
{
	update_from_tnum(r);
	deduce_bounds(r);
	deduce_bounds(r);
	bounds_to_tnum(r);
	update_from_tnum(r);
}

/* An impossible register: bounds crossed or tnum contradicts them. */
static bool bounds_invalid(const struct reg *r)
{
	return r->umin > r->umax || r->smin > r->smax ||
	       r->u32min > r->u32max || r->s32min > r->s32max ||
	       (r->var.value & r->var.mask);
}

/* Bounds of a value zero-extended from its low 32 bits. */
static void zext32(struct reg *r)
{
	r->var = tnum_subreg(r->var);
	r->umin = r->u32min;
	r->umax = r->u32max;
	r->smin = r->u32min;
	r->smax = r->u32max;
	r->s32min = INT32_MIN;
	r->s32max = INT32_MAX;
	bounds_sync(r);
}

/* The register as a 32-bit value zero-extended (for ALU32 inputs). */
static void as32(struct reg *r)
{
	struct reg t = *r;

	mark_unbounded(r);
	r->var = tnum_subreg(t.var);
	r->u32min = t.u32min;
	r->u32max = t.u32max;
	r->s32min = t.s32min;
	r->s32max = t.s32max;
	r->umin = t.u32min;
	r->umax = t.u32max;
	r->smin = t.u32min;
	r->smax = t.u32max;
	bounds_sync(r);
}

static void coerce_size(struct reg *r, unsigned int size)
{
	uint64_t m;

	if (size >= 8)
		return;
	m = (1ull << (size * 8)) - 1;
	r->var = tnum_cast(r->var, size);
	if ((r->umin & ~m) == (r->umax & ~m)) {
		r->umin &= m;
		r->umax &= m;
	} else {
		r->umin = 0;
		r->umax = m;
	}
	if (r->umin > r->umax) {
		r->umin = 0;
		r->umax = m;
	}
	r->smin = r->umin;
	r->smax = r->umax;
	r->u32min = 0;
	r->u32max = UINT32_MAX;
	r->s32min = INT32_MIN;
	r->s32max = INT32_MAX;
	bounds_sync(r);
}

/* ---- the verifier's environment ---------------------------------------- */

/* Per instruction, what the walk learnt. */
struct insn_aux {
	uint8_t ptr_type;  /* base pointer kind of a load/store (ctx rewrite) */
	bool prune_point;
	uint16_t ctx_field; /* ctx load: offset in struct uebpf_xdp_ctx + 1 */
	uint8_t ctx_size;   /* ... and its size */
	uint16_t live_in;   /* registers read before written from here on */
	uint32_t subprog;   /* first insn of its function */
	/* bpf_loop call: its callback is an implicit loop back to here. */
	bool calls_callback;
	/* The kernel inlines a bpf_loop whose flags are a known 0 at every
	 * visit and whose callback is always the same (optimize_bpf_loop):
	 * LOOP_INLINE_UNSEEN, _FIT or _NOT_FIT. */
	uint8_t loop_inline;
	uint32_t loop_callback;
	/* A subprogram's first insn: it calls bpf_tail_call somewhere. */
	bool has_tail_call;
};

enum { LOOP_INLINE_UNSEEN = 0, LOOP_INLINE_FIT, LOOP_INLINE_NOT_FIT };

/* What path entries say about a frame change into them. */
#define PATH_CB_ENTRY (1u << 0)	 /* first insn of a callback */
#define PATH_CB_RETURN (1u << 1) /* the call insn, after a callback exit */

/* One instruction of the current path, for precision backtracking. */
struct pathent {
	uint32_t insn;
	uint8_t frame;
	int8_t sframe; /* stack access: frame of the slot, -1 none */
	int16_t spi;   /* ... its slot, -2 variable (not tracked) */
	uint8_t flags; /* PATH_* */
	struct vstate *ckpt; /* checkpoint taken before this insn */
};

struct pending {
	struct vstate *st;
	uint32_t insn;
	uint32_t prev_insn;
	size_t path_len;
	size_t log_len;
	uint8_t path_flags; /* PATH_* of its first insn */
};

struct env {
	struct uebpf_prog *prog;
	struct bpf_insn *insns;
	uint32_t cnt;
	struct uebpf_vlog *log;
	struct insn_aux *aux;
	struct vstate **explored; /* per insn, a list of checkpoints */
	struct vstate *cur;
	struct pending *stack;
	size_t nstack, capstack;
	struct pathent *path;
	size_t npath, cappath;
	uint32_t insn_processed;
	uint32_t prev_insn_processed, jmps_processed, prev_jmps_processed;
	uint32_t total_states, peak_states, cur_states, max_states_per_insn;
	uint32_t id_gen;
	uint32_t *subprog_stack; /* per insn of a function entry: max depth */
	struct vstate *evicted; /* off the lists but still on a path */
	bool has_tail_call;
	uint8_t next_path_flags; /* PATH_* for the next insn walked */
	int err;
};

#define LOG_L1(e) ((e)->log && (e)->log->level & 1)
#define LOG_L2(e) ((e)->log && (e)->log->level & 2)

#define verbose(e, ...) uebpf_vlog_printf((e)->log, __VA_ARGS__)

static struct frame *cur_frame(struct env *e)
{
	return e->cur->fr[e->cur->curframe];
}

static struct reg *cur_regs(struct env *e)
{
	return cur_frame(e)->regs;
}

static void free_state(struct vstate *st)
{
	uint32_t i;

	if (!st)
		return;
	for (i = 0; i <= st->curframe; i++) {
		if (st->fr[i]) {
			free(st->fr[i]->stack);
			free(st->fr[i]);
		}
	}
	free(st);
}

static struct frame *copy_frame(const struct frame *src)
{
	struct frame *f = malloc(sizeof(*f));

	if (!f)
		return NULL;
	*f = *src;
	f->stack = NULL;
	if (src->nslots) {
		f->stack = malloc(src->nslots * sizeof(struct slot));
		if (!f->stack) {
			free(f);
			return NULL;
		}
		memcpy(f->stack, src->stack, src->nslots * sizeof(struct slot));
	}
	return f;
}

static struct vstate *copy_state(const struct vstate *src)
{
	struct vstate *st = calloc(1, sizeof(*st));
	uint32_t i;

	if (!st)
		return NULL;
	st->curframe = src->curframe;
	st->nrefs = src->nrefs;
	st->cb_unroll = src->cb_unroll;
	memcpy(st->refs, src->refs, sizeof(st->refs));
	for (i = 0; i <= src->curframe; i++) {
		st->fr[i] = copy_frame(src->fr[i]);
		if (!st->fr[i]) {
			st->curframe = i ? i - 1 : 0;
			free_state(st);
			return NULL;
		}
	}
	return st;
}

static int grow_stack(struct frame *f, uint32_t nslots)
{
	struct slot *s;

	if (nslots <= f->nslots)
		return 0;
	s = realloc(f->stack, nslots * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s + f->nslots, 0, (nslots - f->nslots) * sizeof(*s));
	f->stack = s;
	f->nslots = nslots;
	return 0;
}

/* ---- the log ------------------------------------------------------------- */

#define trace(e, ...)                                                          \
	do {                                                                   \
		(e)->log->tracing = true;                                      \
		uebpf_vlog_printf((e)->log, __VA_ARGS__);                      \
		(e)->log->tracing = false;                                     \
	} while (0)

static void print_reg(struct env *e, const struct reg *r)
{
	char t[64];

	if (r->type == SCALAR) {
		if (reg_is_const(r)) {
			trace(e, "%" PRId64, (int64_t)r->var.value);
			return;
		}
		trace(e, "scalar(");
		if (r->id)
			trace(e, "id=%u,", r->id);
		if (r->smin != INT64_MIN || r->smax != INT64_MAX)
			trace(e, "smin=%" PRId64 ",smax=%" PRId64 ",", r->smin,
				r->smax);
		if (r->umin || r->umax != UINT64_MAX)
			trace(e, "umin=%" PRIu64 ",umax=%" PRIu64 ",", r->umin,
				r->umax);
		tnum_str(t, sizeof(t), r->var);
		trace(e, "var_off=%s)", t);
		return;
	}
	trace(e, "%s%s(", rtype_names[r->type],
		r->maybe_null ? "_or_null" : "");
	if (r->id)
		trace(e, "id=%u,", r->id);
	if (r->ref_id)
		trace(e, "ref_obj_id=%u,", r->ref_id);
	if (r->type == PTR_TO_MAP_VALUE || r->type == CONST_PTR_TO_MAP ||
	    r->type == PTR_TO_MAP_KEY)
		trace(e, "map=%s,ks=%u,vs=%u,", r->map->name,
			r->map->key_size, r->map->value_size);
	if (reg_is_pkt(r))
		trace(e, "r=%d,", r->range);
	if (r->type == PTR_TO_MEM)
		trace(e, "sz=%u,", r->mem_size);
	if (r->off)
		trace(e, "off=%d,", r->off);
	if (!tnum_is_const(r->var) || r->var.value) {
		tnum_str(t, sizeof(t), r->var);
		trace(e, "var_off=%s,", t);
	}
	trace(e, ")");
}

static void print_state(struct env *e, const struct vstate *st)
{
	uint32_t f, i, j;

	for (f = 0; f <= st->curframe; f++) {
		const struct frame *fr = st->fr[f];

		if (st->curframe)
			trace(e, "frame%u:", f);
		for (i = 0; i < MAX_BPF_REG; i++) {
			if (fr->regs[i].type == NOT_INIT)
				continue;
			if (i == BPF_REG_10 &&
			    fr->regs[i].type == PTR_TO_STACK) {
				trace(e, " R10=fp%u", fr->frameno);
				continue;
			}
			trace(e, " R%u=", i);
			print_reg(e, &fr->regs[i]);
		}
		for (i = 0; i < fr->nslots; i++) {
			const struct slot *s = &fr->stack[i];
			char k[9];

			if (s->t[0] == S_SPILL) {
				trace(e, " fp-%u=", 8 * (i + 1));
				print_reg(e, &s->spilled);
				continue;
			}
			for (j = 0; j < 8; j++)
				k[7 - j] = "?rm0"[s->t[j]];
			k[8] = '\0';
			if (strcmp(k, "????????"))
				trace(e, " fp-%u=%s", 8 * (i + 1), k);
		}
	}
	trace(e, "\n");
}

static void print_insn(struct env *e, uint32_t idx)
{
	char buf[128];

	uebpf_disasm(&e->insns[idx], buf, sizeof(buf));
	trace(e, "%u: (%02x) %s\n", idx, e->insns[idx].code, buf);
}

/* ---- register reads and writes --------------------------------------------- */

static int check_reg_read(struct env *e, unsigned int regno)
{
	if (cur_regs(e)[regno].type == NOT_INIT) {
		verbose(e, "R%u !read_ok\n", regno);
		return -EACCES;
	}
	return 0;
}

static int check_reg_write(struct env *e, unsigned int regno)
{
	if (regno == BPF_REG_10) {
		verbose(e, "frame pointer is read only\n");
		return -EACCES;
	}
	return 0;
}

static bool is_pointer(const struct reg *r)
{
	return r->type != SCALAR && r->type != NOT_INIT;
}

/* ---- precision --------------------------------------------------------------- */

static int mark_precise(struct env *e, uint32_t frame, uint16_t regs,
			uint64_t slots);

static int mark_reg_precise(struct env *e, unsigned int regno)
{
	struct reg *r = &cur_regs(e)[regno];

	if (r->type != SCALAR || r->precise)
		return 0;
	return mark_precise(e, e->cur->curframe, 1u << regno, 0);
}

/* ---- scalar ALU ---------------------------------------------------------------- */

static bool add_overflows_s(int64_t a, int64_t b, int64_t *res)
{
	return __builtin_add_overflow(a, b, res);
}

static void scalar_add(struct reg *d, const struct reg *s)
{
	int64_t smin, smax;
	uint64_t umin = d->umin + s->umin, umax = d->umax + s->umax;

	if (add_overflows_s(d->smin, s->smin, &smin) ||
	    add_overflows_s(d->smax, s->smax, &smax)) {
		d->smin = INT64_MIN;
		d->smax = INT64_MAX;
	} else {
		d->smin = smin;
		d->smax = smax;
	}
	if (umin < d->umin || umax < d->umax) {
		d->umin = 0;
		d->umax = UINT64_MAX;
	} else {
		d->umin = umin;
		d->umax = umax;
	}
	d->var = tnum_add(d->var, s->var);
}

static void scalar_sub(struct reg *d, const struct reg *s)
{
	int64_t smin, smax;

	if (__builtin_sub_overflow(d->smin, s->smax, &smin) ||
	    __builtin_sub_overflow(d->smax, s->smin, &smax)) {
		d->smin = INT64_MIN;
		d->smax = INT64_MAX;
	} else {
		d->smin = smin;
		d->smax = smax;
	}
	if (d->umin < s->umax) {
		d->umin = 0;
		d->umax = UINT64_MAX;
	} else {
		d->umin -= s->umax;
		d->umax -= s->umin;
	}
	d->var = tnum_sub(d->var, s->var);
}

/* dst op= src for scalars, 64-bit arithmetic on (possibly zero-extended
 * 32-bit) inputs; 32-bit results are truncated by the caller.  Returns
 * false when the result is unknown. */
static void scalar_alu(struct reg *d, const struct reg *s, uint8_t op,
		       bool w32)
{
	unsigned int bits = w32 ? 32 : 64;
	uint64_t k;

	switch (op) {
	case BPF_ADD:
		scalar_add(d, s);
		break;
	case BPF_SUB:
		scalar_sub(d, s);
		break;
	case BPF_MUL:
		d->var = tnum_mul(d->var, s->var);
		if (d->smin < 0 || s->smin < 0 ||
		    (d->umax && s->umax > UINT64_MAX / d->umax) ||
		    d->umax * s->umax > (uint64_t)INT64_MAX) {
			mark_unbounded(d);
		} else {
			d->umin *= s->umin;
			d->umax *= s->umax;
			d->smin = d->umin;
			d->smax = d->umax;
		}
		break;
	case BPF_AND:
		d->var = tnum_and(d->var, s->var);
		d->umin = d->var.value;
		d->umax = min_t(d->umax, s->umax);
		if (d->smin < 0 || s->smin < 0) {
			d->smin = INT64_MIN;
			d->smax = INT64_MAX;
		} else {
			d->smin = d->umin;
			d->smax = d->umax;
		}
		break;
	case BPF_OR:
		d->var = tnum_or(d->var, s->var);
		d->umin = max_t(d->umin, s->umin);
		d->umax = d->var.value | d->var.mask;
		if (d->smin < 0 || s->smin < 0) {
			d->smin = INT64_MIN;
			d->smax = INT64_MAX;
		} else {
			d->smin = d->umin;
			d->smax = d->umax;
		}
		break;
	case BPF_XOR:
		d->var = tnum_xor(d->var, s->var);
		d->umin = d->var.value;
		d->umax = d->var.value | d->var.mask;
		if (d->smin >= 0 && s->smin >= 0) {
			d->smin = d->umin;
			d->smax = d->umax;
		} else {
			d->smin = INT64_MIN;
			d->smax = INT64_MAX;
		}
		break;
	case BPF_LSH:
		if (!reg_is_const(s) || s->var.value >= bits) {
			d->var = tnum_unknown;
			mark_unbounded(d);
			break;
		}
		k = s->var.value;
		d->var = tnum_lshift(d->var, k);
		if (k && d->umax > (UINT64_MAX >> k)) {
			mark_unbounded(d);
		} else {
			d->umin <<= k;
			d->umax <<= k;
			d->smin = INT64_MIN;
			d->smax = INT64_MAX;
		}
		break;
	case BPF_RSH:
		if (!reg_is_const(s) || s->var.value >= bits) {
			d->var = tnum_unknown;
			mark_unbounded(d);
			break;
		}
		k = s->var.value;
		d->var = tnum_rshift(d->var, k);
		d->umin >>= k;
		d->umax >>= k;
		d->smin = INT64_MIN;
		d->smax = INT64_MAX;
		break;
	case BPF_ARSH:
		if (!reg_is_const(s) || s->var.value >= bits) {
			d->var = tnum_unknown;
			mark_unbounded(d);
			break;
		}
		k = s->var.value;
		if (w32) {
			/* on the sign-extended 32-bit value */
			int32_t lo = d->s32min >> k, hi = d->s32max >> k;

			d->var = tnum_subreg(tnum_arshift(d->var, k, true));
			mark_unbounded(d);
			d->s32min = lo;
			d->s32max = hi;
			/* the caller truncates: keep the 32-bit bounds */
			d->u32min = 0;
			d->u32max = UINT32_MAX;
			return;
		}
		d->var = tnum_arshift(d->var, k, false);
		d->smin >>= k;
		d->smax >>= k;
		d->umin = 0;
		d->umax = UINT64_MAX;
		break;
	case BPF_DIV:
	case BPF_MOD:
		/* Unsigned by a known non-zero constant: bounded. */
		if (reg_is_const(s) && s->var.value &&
		    (!w32 || (uint32_t)s->var.value)) {
			k = w32 ? (uint32_t)s->var.value : s->var.value;
			if (op == BPF_DIV) {
				d->umin /= k;
				d->umax /= k;
			} else {
				d->umin = 0;
				d->umax = min_t(d->umax, k - 1);
			}
			d->var = tnum_range(d->umin, d->umax);
			d->smin = INT64_MIN;
			d->smax = INT64_MAX;
			break;
		}
		d->var = tnum_unknown;
		mark_unbounded(d);
		break;
	default:
		d->var = tnum_unknown;
		mark_unbounded(d);
		break;
	}
	/* The 32-bit bounds are rederived from the 64-bit ones. */
	d->u32min = 0;
	d->u32max = UINT32_MAX;
	d->s32min = INT32_MIN;
	d->s32max = INT32_MAX;
	bounds_sync(d);
}

/* dst = (w32 ? low 32 bits of : ) dst op src, for two scalars. */
static void scalar_op(struct reg *d, const struct reg *src, uint8_t op,
		      bool w32, bool sdivmod)
{
	struct reg s = *src;
	bool arsh32 = w32 && op == BPF_ARSH;

	d->id = 0;
	if (sdivmod) {
		mark_scalar_unknown(d);
		if (w32)
			zext32(d);
		return;
	}
	if (w32) {
		int32_t slo = d->s32min, shi = d->s32max;

		as32(d);
		as32(&s);
		if (arsh32) {
			d->s32min = slo;
			d->s32max = shi;
		}
	}
	scalar_alu(d, &s, op, w32);
	if (w32) {
		if (arsh32) {
			d->umin = d->u32min = 0;
			d->umax = UINT32_MAX;
			d->u32max = UINT32_MAX;
			d->smin = 0;
			d->smax = UINT32_MAX;
			bounds_sync(d);
			return;
		}
		if (d->umax > UINT32_MAX || d->umin > d->umax) {
			struct tnum v = tnum_subreg(d->var);

			mark_unbounded(d);
			d->var = v;
			d->umax = UINT32_MAX;
			d->smin = 0;
			d->smax = UINT32_MAX;
		} else {
			d->var = tnum_subreg(d->var);
			d->smin = d->umin;
			d->smax = d->umax;
		}
		d->u32min = 0;
		d->u32max = UINT32_MAX;
		d->s32min = INT32_MIN;
		d->s32max = INT32_MAX;
		bounds_sync(d);
	}
}

static uint64_t do_bswap(uint64_t v, int bits)
{
	switch (bits) {
	case 16:
		return __builtin_bswap16((uint16_t)v);
	case 32:
		return __builtin_bswap32((uint32_t)v);
	default:
		return __builtin_bswap64(v);
	}
}

/* ---- pointer arithmetic ----------------------------------------------------- */

static const char *op_str(uint8_t op)
{
	static const char *const s[16] = {
		"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=",
		"^=", "=", "s>>=", "endian", "?", "?",
	};

	return s[op >> 4];
}

static const char *reg_type_str(const struct reg *r)
{
	static char buf[32];

	if (r->maybe_null) {
		snprintf(buf, sizeof(buf), "%s_or_null", rtype_names[r->type]);
		return buf;
	}
	return rtype_names[r->type];
}

/* The kernel's check_reg_sane_offset(), for the scalar added and for the
 * resulting pointer. */
static bool ptr_off_sane(struct env *e, const struct reg *r, uint8_t type)
{
	bool known = tnum_is_const(r->var);
	int64_t val = (int64_t)r->var.value;

	if (known && (val >= MAX_VAR_OFF || val <= -MAX_VAR_OFF)) {
		verbose(e, "math between %s pointer and %" PRId64 " is not allowed\n",
			rtype_names[type], val);
		return false;
	}
	if (r->off >= MAX_VAR_OFF || r->off <= -MAX_VAR_OFF) {
		verbose(e, "%s pointer offset %d is not allowed\n",
			rtype_names[type], r->off);
		return false;
	}
	if (r->smin == INT64_MIN) {
		verbose(e, "math between %s pointer and register with unbounded min value is not allowed\n",
			rtype_names[type]);
		return false;
	}
	if (r->smin >= MAX_VAR_OFF || r->smin <= -MAX_VAR_OFF) {
		verbose(e, "value %" PRId64 " makes %s pointer be out of bounds\n",
			r->smin, rtype_names[type]);
		return false;
	}
	return true;
}

/* dst = ptr +/- scalar (ptr may be dst or src). */
static int adjust_ptr(struct env *e, const struct bpf_insn *in,
		      const struct reg *ptr, const struct reg *off,
		      unsigned int ptr_regno, unsigned int off_regno)
{
	struct reg *dst = &cur_regs(e)[in->dst_reg];
	uint8_t op = BPF_OP(in->code);
	struct reg res = *ptr;
	int err;

	if (BPF_CLASS(in->code) == BPF_ALU) {
		verbose(e, "R%u 32-bit pointer arithmetic prohibited\n",
			in->dst_reg);
		return -EACCES;
	}
	if (ptr->maybe_null) {
		verbose(e, "R%u pointer arithmetic on %s prohibited, null-check it first\n",
			in->dst_reg, reg_type_str(ptr));
		return -EACCES;
	}
	switch (ptr->type) {
	case CONST_PTR_TO_MAP:
	case PTR_TO_PACKET_END:
	case PTR_TO_FUNC:
		verbose(e, "R%u pointer arithmetic on %s prohibited\n",
			in->dst_reg, reg_type_str(ptr));
		return -EACCES;
	default:
		break;
	}
	if (op == BPF_SUB && ptr_regno == in->src_reg &&
	    BPF_SRC(in->code) == BPF_X && in->src_reg != in->dst_reg) {
		verbose(e, "R%u tried to subtract pointer from scalar\n",
			in->dst_reg);
		return -EACCES;
	}
	if (op != BPF_ADD && op != BPF_SUB) {
		if (op == BPF_AND || op == BPF_OR || op == BPF_XOR)
			verbose(e, "R%u bitwise operator %s on pointer prohibited\n",
				in->dst_reg, op_str(op));
		else
			verbose(e, "R%u pointer arithmetic with %s operator prohibited\n",
				in->dst_reg, op_str(op));
		return -EACCES;
	}
	if (!ptr_off_sane(e, off, ptr->type))
		return -EINVAL;
	if (off_regno < MAX_BPF_REG) {
		err = mark_reg_precise(e, off_regno);
		if (err)
			return err;
	}
	if (reg_is_const(off)) {
		int64_t k = (int64_t)off->var.value;

		if (op == BPF_SUB)
			k = -k;
		if (k <= -MAX_VAR_OFF || k >= MAX_VAR_OFF) {
			verbose(e, "R%u pointer offset %" PRId64 " is not allowed\n",
				in->dst_reg, k);
			return -EACCES;
		}
		res.off = ptr->off + (int32_t)k;
	} else {
		struct reg v = { .var = ptr->var, .smin = ptr->smin,
				 .smax = ptr->smax, .umin = ptr->umin,
				 .umax = ptr->umax };

		if (op == BPF_SUB && ptr->type != PTR_TO_STACK &&
		    ptr->type != PTR_TO_MAP_VALUE && !reg_is_pkt(ptr) &&
		    ptr->type != PTR_TO_MEM) {
			verbose(e, "R%u subtraction from %s pointer prohibited\n",
				in->dst_reg, reg_type_str(ptr));
			return -EACCES;
		}
		if (op == BPF_ADD)
			scalar_add(&v, off);
		else
			scalar_sub(&v, off);
		res.var = v.var;
		res.smin = v.smin;
		res.smax = v.smax;
		res.umin = v.umin;
		res.umax = v.umax;
		res.u32min = 0;
		res.u32max = UINT32_MAX;
		res.s32min = INT32_MIN;
		res.s32max = INT32_MAX;
		bounds_sync(&res);
		if (reg_is_pkt(ptr)) {
			/* something was added: a new family, no range yet */
			res.id = ++e->id_gen;
			res.range = 0;
		}
	}
	if (!ptr_off_sane(e, &res, res.type))
		return -EINVAL;
	*dst = res;
	return 0;
}

static int check_alu(struct env *e, const struct bpf_insn *in)
{
	struct reg *regs = cur_regs(e), *dst = &regs[in->dst_reg];
	uint8_t op = BPF_OP(in->code);
	bool w32 = BPF_CLASS(in->code) == BPF_ALU;
	bool x = BPF_SRC(in->code) == BPF_X;
	struct reg src;
	int err;

	if (op == BPF_END || op == BPF_NEG) {
		err = check_reg_read(e, in->dst_reg);
		if (!err)
			err = check_reg_write(e, in->dst_reg);
		if (err)
			return err;
		if (is_pointer(dst)) {
			verbose(e, "R%u pointer arithmetic with %s operator prohibited\n",
				in->dst_reg, op_str(op));
			return -EACCES;
		}
		if (op == BPF_NEG) {
			if (reg_is_const(dst)) {
				uint64_t v = -dst->var.value;

				mark_scalar_const(dst, w32 ? (uint32_t)v : v);
			} else {
				mark_scalar_unknown(dst);
				if (w32)
					zext32(dst);
			}
			return 0;
		}
		/* END: to_le is a truncation on this little-endian host */
		if (reg_is_const(dst)) {
			uint64_t v = dst->var.value;

			if (!w32 || x)
				v = do_bswap(v, in->imm);
			if (in->imm < 64)
				v &= (1ull << in->imm) - 1;
			mark_scalar_const(dst, v);
		} else if (w32 && !x) {
			dst->id = 0;
			coerce_size(dst, in->imm / 8);
		} else {
			mark_scalar_unknown(dst);
			coerce_size(dst, in->imm / 8);
		}
		return 0;
	}

	if (x) {
		err = check_reg_read(e, in->src_reg);
		if (err)
			return err;
		src = regs[in->src_reg];
	} else {
		mark_scalar_const(&src, w32 ? (uint32_t)in->imm :
					      (uint64_t)(int64_t)in->imm);
	}
	err = check_reg_write(e, in->dst_reg);
	if (err)
		return err;

	if (op == BPF_MOV) {
		if (x && in->off) { /* movsx */
			if (is_pointer(&src)) {
				verbose(e, "R%u sign-extension of a pointer prohibited\n",
					in->src_reg);
				return -EACCES;
			}
			if (reg_is_const(&src)) {
				int64_t v = in->off == 8 ? (int8_t)src.var.value :
					    in->off == 16 ? (int16_t)src.var.value :
							    (int32_t)src.var.value;

				mark_scalar_const(dst, w32 ? (uint32_t)v :
							     (uint64_t)v);
			} else {
				int64_t lim = 1ll << (in->off - 1);

				mark_scalar_unknown(dst);
				dst->smin = -lim;
				dst->smax = lim - 1;
				if (w32) {
					dst->s32min = (int32_t)-lim;
					dst->s32max = (int32_t)(lim - 1);
					dst->smin = INT64_MIN;
					dst->smax = INT64_MAX;
					dst->u32min = 0;
					dst->u32max = UINT32_MAX;
					dst->umin = 0;
					dst->umax = UINT32_MAX;
					dst->var = tnum_range(0, UINT32_MAX);
				}
				bounds_sync(dst);
			}
			return 0;
		}
		if (!x) {
			mark_scalar_const(dst, src.var.value);
			return 0;
		}
		if (!w32) {
			if (src.type == SCALAR && !reg_is_const(&src) &&
			    !src.id) {
				/* link the copies: a check on one bounds both */
				regs[in->src_reg].id = ++e->id_gen;
				src.id = regs[in->src_reg].id;
			}
			*dst = src;
			return 0;
		}
		/* w = w: a pointer's low half is a scalar */
		if (is_pointer(&src)) {
			mark_scalar_unknown(dst);
			zext32(dst);
			return 0;
		}
		*dst = src;
		dst->id = 0;
		zext32(dst);
		return 0;
	}

	err = check_reg_read(e, in->dst_reg);
	if (err)
		return err;
	if (is_pointer(dst) && is_pointer(&src)) {
		if (op == BPF_SUB && !w32) {
			/* ptr - ptr: a scalar (pkt_end - data and the like) */
			mark_scalar_unknown(dst);
			return 0;
		}
		verbose(e, "R%u pointer %s pointer prohibited\n", in->dst_reg,
			op_str(op));
		return -EACCES;
	}
	if (is_pointer(dst))
		return adjust_ptr(e, in, dst, &src, in->dst_reg,
				  x ? in->src_reg : MAX_BPF_REG);
	if (is_pointer(&src)) {
		struct reg ptr = src, off = *dst;

		if (op != BPF_ADD) {
			if (op == BPF_SUB)
				verbose(e, "R%u tried to subtract pointer from scalar\n",
					in->dst_reg);
			else if (op == BPF_AND || op == BPF_OR ||
				 op == BPF_XOR)
				verbose(e, "R%u bitwise operator %s on pointer prohibited\n",
					in->dst_reg, op_str(op));
			else
				verbose(e, "R%u pointer arithmetic with %s operator prohibited\n",
					in->dst_reg, op_str(op));
			return -EACCES;
		}
		return adjust_ptr(e, in, &ptr, &off, in->src_reg, in->dst_reg);
	}
	/* scalar op scalar */
	if ((op == BPF_DIV || op == BPF_MOD) && !x && !in->imm) {
		verbose(e, "div by zero\n");
		return -EINVAL;
	}
	if ((op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) && !x &&
	    (uint32_t)in->imm >= (w32 ? 32u : 64u)) {
		verbose(e, "invalid shift %d\n", in->imm);
		return -EINVAL;
	}
	scalar_op(dst, &src, op, w32,
		  (op == BPF_DIV || op == BPF_MOD) && in->off == 1);
	return 0;
}

/* ---- context descriptions --------------------------------------------------- */

/* One field of a program type's context as the program sees it, and where
 * its value lives in the library's context. */
struct ctx_field {
	uint16_t off, size;	 /* in the program's struct (xdp_md) */
	uint16_t real_off;	 /* in the library's struct */
	uint8_t real_size;
	uint8_t type;		 /* enum rtype of what the load yields */
	enum bpf_attach_type need_attach; /* 0: any */
};

struct ctx_desc {
	enum bpf_prog_type type;
	uint16_t size; /* sizeof the program's struct */
	const struct ctx_field *fields;
	unsigned int nr_fields;
	uint32_t helper_flag; /* UEBPF_HELPER_* bit allowing a helper */
};

static const struct ctx_field xdp_fields[] = {
	{ 0, 4, offsetof(struct uebpf_xdp_ctx, data), 8, PTR_TO_PACKET, 0 },
	{ 4, 4, offsetof(struct uebpf_xdp_ctx, data_end), 8, PTR_TO_PACKET_END, 0 },
	{ 8, 4, offsetof(struct uebpf_xdp_ctx, data_meta), 8, PTR_TO_PACKET_META, 0 },
	{ 12, 4, offsetof(struct uebpf_xdp_ctx, ingress_ifindex), 4, SCALAR, 0 },
	{ 16, 4, offsetof(struct uebpf_xdp_ctx, rx_queue_index), 4, SCALAR, 0 },
	{ 20, 4, offsetof(struct uebpf_xdp_ctx, egress_ifindex), 4, SCALAR,
	  BPF_XDP_DEVMAP },
};

static const struct ctx_desc ctx_descs[] = {
	{ BPF_PROG_TYPE_XDP, 24, xdp_fields, ARRAY_SIZE(xdp_fields),
	  UEBPF_HELPER_XDP },
};

static const struct ctx_desc *ctx_desc_for(enum bpf_prog_type type)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ctx_descs); i++)
		if (ctx_descs[i].type == type)
			return &ctx_descs[i];
	return NULL;
}

bool uebpf_verifier_knows_type(enum bpf_prog_type type)
{
	return ctx_desc_for(type) != NULL;
}

/* ---- memory access ---------------------------------------------------------------- */

enum access { ACC_READ, ACC_WRITE };

static int check_mem_bounds(struct env *e, unsigned int regno,
			    const struct reg *r, int off, int size,
			    uint32_t mem_size, bool zero_ok)
{
	int64_t lo, hi;

	if (r->smin < 0 &&
	    (r->smin == INT64_MIN || r->smin + off < 0)) {
		verbose(e, "R%u min value is negative, either use unsigned index or do a if (index >=0) check.\n",
			regno);
		return -EACCES;
	}
	lo = r->smin + off;
	if (lo < 0 || (!size && !zero_ok) || lo + size > (int64_t)mem_size) {
		if (tnum_is_const(r->var))
			goto fixed;
		verbose(e, "R%u min value is outside of the allowed memory range\n",
			regno);
		return -EACCES;
	}
	if (r->umax >= (uint64_t)MAX_VAR_OFF) {
		verbose(e, "R%u unbounded memory access, make sure to bounds check any such access\n",
			regno);
		return -EACCES;
	}
	hi = (int64_t)r->umax + off;
	if (hi + size > (int64_t)mem_size) {
		if (tnum_is_const(r->var))
			goto fixed;
		verbose(e, "R%u max value is outside of the allowed memory range\n",
			regno);
		return -EACCES;
	}
	return 0;
fixed:
	off += (int)(int64_t)r->var.value;
	if (r->type == PTR_TO_MAP_VALUE)
		verbose(e, "invalid access to map value, value_size=%u off=%d size=%d\n",
			mem_size, off, size);
	else
		verbose(e, "invalid access to memory, mem_size=%u off=%d size=%d\n",
			mem_size, off, size);
	return -EACCES;
}

static int check_packet_access(struct env *e, unsigned int regno,
			       const struct reg *r, int off, int size,
			       bool zero_ok)
{
	if (r->smin < 0) {
		verbose(e, "R%u min value is negative, either use unsigned index or do a if (index >=0) check.\n",
			regno);
		return -EACCES;
	}
	if (off < 0 || (!size && !zero_ok) || off + size > r->range ||
	    r->umax > MAX_PACKET_OFF || r->umax + off > MAX_PACKET_OFF) {
		/* The kernel prints the access offset in both places. */
		verbose(e, "invalid access to packet, off=%d size=%d, R%u(id=%u,off=%d,r=%d)\n",
			off, size, regno, r->id, off, r->range);
		verbose(e, "R%u offset is outside of the packet\n", regno);
		return -EACCES;
	}
	return 0;
}

static struct frame *stack_frame_of(struct env *e, const struct reg *r)
{
	return e->cur->fr[r->frameno];
}

static void record_stack_access(struct env *e, uint32_t frameno, int spi)
{
	struct pathent *p = &e->path[e->npath - 1];

	if (p->sframe >= 0 && (p->sframe != (int)frameno || p->spi != spi))
		p->spi = -2; /* two slots: not tracked, backtracking gives up */
	else {
		p->sframe = frameno;
		p->spi = spi;
	}
}

/* Slot index and byte within it of stack offset off (negative). */
#define SPI(off) ((-(off) - 1) / 8)
#define SBYTE(off) (8 - 1 - ((-(off) - 1) % 8))

static void note_stack_depth(struct env *e, struct frame *f, int lowest)
{
	uint32_t depth = -lowest;
	uint32_t *d = &e->subprog_stack[f->subprog];

	if (depth > *d)
		*d = depth;
}

/* The stack bytes [off, off+size) of frame f must all be written.  A slot
 * the frame never wrote is reported with its range, an unwritten byte
 * inside a written slot with its position, as the kernel does. */
static int check_stack_init(struct env *e, struct frame *f, int off, int size,
			    unsigned int regno, bool helper)
{
	int i;

	for (i = 0; i < size; i++) {
		int o = off + i, spi = SPI(o);
		struct slot *s;

		if ((uint32_t)spi >= f->nslots) {
			verbose(e, "invalid read from stack R%u off=%d size=%d\n",
				regno, off, size);
			return -EACCES;
		}
		s = &f->stack[spi];
		if (s->t[SBYTE(o)] == S_INVALID) {
			if (helper)
				verbose(e, "invalid read from stack R%u off %d+%d size %d\n",
					regno, off, i, size);
			else
				verbose(e, "invalid read from stack off %d+%d size %d\n",
					off, i, size);
			return -EACCES;
		}
		if (helper && s->t[SBYTE(o)] == S_SPILL &&
		    s->spilled.type != SCALAR) {
			verbose(e, "R%u leaks addr into helper function: stack off %d holds a %s pointer\n",
				regno, o, rtype_names[s->spilled.type]);
			return -EACCES;
		}
	}
	return 0;
}

/* Bytes [off, off+size) of f are written with kind: a spill they touch is
 * one no more (its other bytes become unknown data). */
static void stack_mark_written(struct frame *f, int off, int size,
			       uint8_t kind)
{
	int i, j;

	for (i = 0; i < size; i++) {
		int o = off + i;
		struct slot *s = &f->stack[SPI(o)];

		if (s->t[SBYTE(o)] == S_SPILL) {
			for (j = 0; j < 8; j++)
				if (s->t[j] == S_SPILL)
					s->t[j] = S_MISC;
			mark_not_init(&s->spilled);
		}
		s->t[SBYTE(o)] = kind;
	}
}

static int stack_bounds(struct env *e, unsigned int regno, int64_t lo,
			int64_t hi, int size, enum access t)
{
	if (lo < -UEBPF_STACK_SIZE || hi + size > 0 || size <= 0) {
		verbose(e, "invalid %s stack R%u off=%" PRId64 " size=%d\n",
			t == ACC_READ ? "read from" : "write to", regno, lo,
			size);
		return -EACCES;
	}
	return 0;
}

/* Leading bytes of a slot that hold a spilled register. */
static int spill_size(const struct slot *s)
{
	int n = 0;

	while (n < 8 && s->t[n] == S_SPILL)
		n++;
	return n;
}

/* A fixed-offset access to the stack. value: the register stored (or
 * loaded into), NULL for an immediate store / helper access. */
static int check_stack_access(struct env *e, unsigned int regno,
			      const struct reg *ptr, int off, int size,
			      enum access t, const struct reg *value,
			      uint64_t imm, struct reg *out)
{
	struct frame *f = stack_frame_of(e, ptr);
	int64_t o = off + ptr->off;
	int err, spi, j;
	struct slot *s;

	if (!tnum_is_const(ptr->var)) {
		/* variable offset: reads need every byte written, writes
		 * spoil every slot they may touch */
		int64_t lo = o + ptr->smin, hi = o + ptr->smax, i;

		err = stack_bounds(e, regno, lo, hi, size, t);
		if (err)
			return err;
		note_stack_depth(e, f, (int)lo);
		record_stack_access(e, ptr->frameno, -2);
		if (t == ACC_READ) {
			err = check_stack_init(e, f, (int)lo,
					       (int)(hi - lo) + size, regno,
					       false);
			if (err) {
				verbose(e, "invalid variable-offset read from stack R%u\n",
					regno);
				return err;
			}
			mark_scalar_unknown(out);
			coerce_size(out, size);
			return 0;
		}
		if (value && is_pointer(value)) {
			verbose(e, "R%u variable-offset stack write of a pointer prohibited\n",
				regno);
			return -EACCES;
		}
		err = grow_stack(f, (-lo + 7) / 8);
		if (err)
			return err;
		for (i = lo; i < hi + size; i++)
			stack_mark_written(f, (int)i, 1, S_MISC);
		return 0;
	}
	o += (int64_t)ptr->var.value;
	if (o % size) {
		char tn[48];

		tnum_str(tn, sizeof(tn), ptr->var);
		verbose(e, "misaligned stack access off %s+%d+%d size %d\n", tn,
			ptr->off, off, size);
		return -EACCES;
	}
	err = stack_bounds(e, regno, o, o, size, t);
	if (err)
		return err;
	note_stack_depth(e, f, (int)o);
	spi = SPI(o);
	record_stack_access(e, ptr->frameno, spi);

	if (t == ACC_WRITE) {
		err = grow_stack(f, spi + 1);
		if (err)
			return err;
		s = &f->stack[spi];
		if (value && is_pointer(value)) {
			if (size != 8) {
				verbose(e, "invalid size of register spill\n");
				return -EACCES;
			}
			if (value->type == PTR_TO_STACK &&
			    value->frameno > ptr->frameno) {
				verbose(e, "cannot spill pointers to stack into stack frame of the caller\n");
				return -EACCES;
			}
		}
		if (!value) {
			struct reg k;

			/* st imm: a known constant, as a spill */
			mark_scalar_const(&k, (uint64_t)(int64_t)(int32_t)imm);
			if (size < 8)
				k.var.value &= (1ull << (size * 8)) - 1,
					mark_known(&k, k.var.value);
			stack_mark_written(f, (int)o, size, S_MISC);
			if (!(o % 8)) {
				s->spilled = k;
				for (j = 0; j < size; j++)
					s->t[j] = S_SPILL;
			} else if (!k.var.value) {
				stack_mark_written(f, (int)o, size, S_ZERO);
			}
			return 0;
		}
		if (is_pointer(value) || !(o % 8)) {
			/* a spill: the register's state is kept */
			stack_mark_written(f, (int)o, size, S_MISC);
			s->spilled = *value;
			if (size < 8) {
				if (reg_is_const(value))
					mark_scalar_const(&s->spilled,
							  value->var.value &
							  ((1ull << (size * 8)) - 1));
				else if (value->umax >> (size * 8))
					coerce_size(&s->spilled, size);
				s->spilled.id = reg_is_const(value) ||
							!(value->umax >> (size * 8)) ?
						s->spilled.id : 0;
			}
			for (j = 0; j < size; j++)
				s->t[j] = S_SPILL;
			return 0;
		}
		stack_mark_written(f, (int)o, size,
				   reg_is_const(value) && !value->var.value ?
					   S_ZERO :
					   S_MISC);
		return 0;
	}

	/* read */
	err = check_stack_init(e, f, (int)o, size, regno, false);
	if (err)
		return err;
	s = &f->stack[spi];
	if (s->t[SBYTE(o)] == S_SPILL) {
		int n = spill_size(s), at = (int)(o + 8 * (spi + 1));

		if (s->spilled.type != SCALAR) {
			if (size != 8 || n != 8) {
				verbose(e, "invalid size of register fill\n");
				return -EACCES;
			}
			*out = s->spilled;
			return 0;
		}
		if (!at && size == n) {
			*out = s->spilled;
			return 0;
		}
		if (at + size <= n && reg_is_const(&s->spilled)) {
			uint64_t v = s->spilled.var.value >> (8 * at);

			if (size < 8)
				v &= (1ull << (size * 8)) - 1;
			mark_scalar_const(out, v);
			return 0;
		}
		if (!at && size < n && !(s->spilled.umax >> (size * 8))) {
			*out = s->spilled;
			return 0;
		}
		mark_scalar_unknown(out);
		coerce_size(out, size);
		return 0;
	}
	{
		int i;
		bool zero = true;

		for (i = 0; i < size; i++)
			if (s->t[SBYTE(o + i)] != S_ZERO)
				zero = false;
		if (zero) {
			mark_scalar_const(out, 0);
			return 0;
		}
	}
	mark_scalar_unknown(out);
	coerce_size(out, size);
	return 0;
}

static int check_ctx_access(struct env *e, uint32_t idx, unsigned int regno,
			    const struct reg *r, int off, int size,
			    enum access t, struct reg *out)
{
	const struct ctx_desc *cd = ctx_desc_for(e->prog->type);
	unsigned int i;

	if (r->off || !tnum_is_const(r->var) || r->var.value) {
		if (!tnum_is_const(r->var)) {
			char t[48];

			tnum_str(t, sizeof(t), r->var);
			verbose(e, "variable ctx access var_off=%s disallowed\n",
				t);
		} else
			verbose(e, "dereference of modified ctx ptr R%u off=%d disallowed\n",
				regno, r->off + (int)r->var.value);
		return -EACCES;
	}
	if (!cd)
		goto bad;
	for (i = 0; i < cd->nr_fields; i++) {
		const struct ctx_field *fd = &cd->fields[i];

		if (off != fd->off || size != fd->size)
			continue;
		if (t == ACC_WRITE)
			break;
		if (fd->need_attach &&
		    e->prog->expected_attach_type != fd->need_attach)
			break;
		e->aux[idx].ctx_field = fd->real_off + 1;
		e->aux[idx].ctx_size = fd->real_size;
		if (fd->type == SCALAR) {
			mark_scalar_unknown(out);
			coerce_size(out, 4);
		} else {
			mark_not_init(out);
			out->type = fd->type;
			out->var = tnum_const(0);
			mark_known(out, 0);
			out->var = tnum_const(0);
		}
		return 0;
	}
bad:
	verbose(e, "invalid bpf_context access off=%d size=%d\n", off, size);
	return -EACCES;
}

/*
 * A load (t == ACC_READ, result in *out) or store (value: the register
 * stored, NULL for an immediate) of size bytes at regs[regno] + off.
 */
static int check_mem_access(struct env *e, uint32_t idx, unsigned int regno,
			    int off, int size, enum access t,
			    const struct reg *value, unsigned int value_regno,
			    uint64_t imm, struct reg *out)
{
	struct reg *r = &cur_regs(e)[regno];
	struct insn_aux *aux = &e->aux[idx];
	uint8_t base = r->type;
	int err;

	if (r->type == NOT_INIT) {
		verbose(e, "R%u !read_ok\n", regno);
		return -EACCES;
	}
	/* One instruction, one kind of base pointer where the rewrite
	 * depends on it. */
	if (aux->ptr_type && aux->ptr_type != base &&
	    (aux->ptr_type == PTR_TO_CTX || base == PTR_TO_CTX)) {
		verbose(e, "same insn cannot be used with different pointers\n");
		return -EINVAL;
	}
	aux->ptr_type = base;

	if (r->maybe_null) {
		verbose(e, "R%u invalid mem access '%s'\n", regno,
			reg_type_str(r));
		return -EACCES;
	}
	if (t == ACC_WRITE && value && is_pointer(value) &&
	    r->type != PTR_TO_STACK) {
		const char *where = r->type == PTR_TO_MAP_VALUE ? "map" :
				    reg_is_pkt(r)		? "packet" :
				    r->type == PTR_TO_CTX	? "ctx" :
								  "mem";

		verbose(e, "R%u leaks addr into %s\n", value_regno, where);
		return -EACCES;
	}

	switch (r->type) {
	case PTR_TO_STACK:
		return check_stack_access(e, regno, r, off, size, t, value, imm,
					  out);
	case PTR_TO_MAP_VALUE:
		if (t == ACC_WRITE &&
		    (r->map->map_flags & BPF_F_RDONLY_PROG)) {
			verbose(e, "write into map forbidden, value_size=%u off=%d size=%d\n",
				r->map->value_size, off, size);
			return -EACCES;
		}
		if (t == ACC_READ && (r->map->map_flags & BPF_F_WRONLY_PROG)) {
			verbose(e, "read from map forbidden, value_size=%u off=%d size=%d\n",
				r->map->value_size, off, size);
			return -EACCES;
		}
		err = check_mem_bounds(e, regno, r, off + r->off, size,
				       r->map->value_size, false);
		if (err)
			return err;
		break;
	case PTR_TO_MAP_KEY:
		if (t == ACC_WRITE) {
			verbose(e, "R%u cannot write into map_key\n", regno);
			return -EACCES;
		}
		err = check_mem_bounds(e, regno, r, off + r->off, size,
				       r->map->key_size, false);
		if (err)
			return err;
		break;
	case PTR_TO_MEM:
		if (t == ACC_WRITE && r->rdonly) {
			verbose(e, "R%u cannot write into %s\n", regno,
				reg_type_str(r));
			return -EACCES;
		}
		err = check_mem_bounds(e, regno, r, off + r->off, size,
				       r->mem_size, false);
		if (err)
			return err;
		break;
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
		err = check_packet_access(e, regno, r, off + r->off, size,
					  false);
		if (err)
			return err;
		break;
	case PTR_TO_CTX:
		return check_ctx_access(e, idx, regno, r, off, size, t, out);
	default:
		verbose(e, "R%u invalid mem access '%s'\n", regno,
			reg_type_str(r));
		return -EACCES;
	}
	if (t == ACC_READ) {
		mark_scalar_unknown(out);
		coerce_size(out, size);
	}
	return 0;
}

/* The value of stack bytes [off, off+size) of f if the walk knows it
 * (a spilled constant or zeroes); 0 and *out set, or -1. */
static int check_stack_access_peek(struct frame *f, int off, int size,
				   struct reg *out)
{
	struct slot *s = &f->stack[SPI(off)];
	int at = off + 8 * (SPI(off) + 1), i;
	bool zero = true;

	if (at + size > 8)
		return -1;
	if (s->t[at] == S_SPILL && at + size <= spill_size(s) &&
	    reg_is_const(&s->spilled)) {
		uint64_t v = s->spilled.var.value >> (8 * at);

		if (size < 8)
			v &= (1ull << (size * 8)) - 1;
		mark_scalar_const(out, v);
		return 0;
	}
	for (i = 0; i < size; i++)
		if (s->t[at + i] != S_ZERO)
			zero = false;
	if (!zero)
		return -1;
	mark_scalar_const(out, 0);
	return 0;
}

/* ---- helper calls ------------------------------------------------------------ */

/* Memory a helper reads or writes through regs[regno]: size bytes (umax of
 * a size register, already bounded), zero allowed or not. */
static int check_helper_mem(struct env *e, uint32_t idx, unsigned int regno,
			    int64_t size, bool zero_ok, enum access t)
{
	struct reg *r = &cur_regs(e)[regno];
	struct frame *f;
	int64_t lo, hi;
	int err, i;

	(void)idx;
	if (r->maybe_null) {
		verbose(e, "R%u type=%s expected=fp, pkt, pkt_meta, map_key, map_value, mem\n",
			regno, reg_type_str(r));
		return -EACCES;
	}
	switch (r->type) {
	case PTR_TO_STACK:
		f = stack_frame_of(e, r);
		lo = r->off + r->smin;
		hi = r->off + r->smax;
		if (!size) {
			if (zero_ok)
				return 0;
			verbose(e, "invalid zero-sized read\n");
			return -EACCES;
		}
		if (lo < -UEBPF_STACK_SIZE || hi + size > 0) {
			verbose(e, "invalid %s stack R%u off=%" PRId64 " size=%" PRId64 "\n",
				t == ACC_READ ? "read from" : "write to",
				regno, lo, size);
			return -EINVAL;
		}
		note_stack_depth(e, f, (int)lo);
		record_stack_access(e, r->frameno, -2);
		if (t == ACC_WRITE) {
			err = grow_stack(f, (-lo + 7) / 8);
			if (err)
				return err;
		}
		if (t == ACC_READ)
			return check_stack_init(e, f, (int)lo,
						(int)(hi - lo + size), regno,
						true);
		for (i = (int)lo; i < hi + size; i++)
			stack_mark_written(f, i, 1, S_MISC);
		return 0;
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
		return check_packet_access(e, regno, r, r->off, (int)size,
					   zero_ok);
	case PTR_TO_MAP_VALUE:
		if (t == ACC_WRITE &&
		    (r->map->map_flags & BPF_F_RDONLY_PROG)) {
			verbose(e, "write into map forbidden, value_size=%u off=%d size=%" PRId64 "\n",
				r->map->value_size, r->off, size);
			return -EACCES;
		}
		return check_mem_bounds(e, regno, r, r->off, (int)size,
					r->map->value_size, zero_ok);
	case PTR_TO_MAP_KEY:
		return check_mem_bounds(e, regno, r, r->off, (int)size,
					r->map->key_size, zero_ok);
	case PTR_TO_MEM:
		if (t == ACC_WRITE && r->rdonly) {
			verbose(e, "R%u cannot write into %s\n", regno,
				reg_type_str(r));
			return -EACCES;
		}
		return check_mem_bounds(e, regno, r, r->off, (int)size,
					r->mem_size, zero_ok);
	default:
		verbose(e, "R%u type=%s expected=fp, pkt, pkt_meta, map_key, map_value, mem\n",
			regno, reg_type_str(r));
		return -EACCES;
	}
}

/* The kernel's check_map_func_compatibility, both directions. */
static bool map_func_ok(const struct uebpf_map *map, int func)
{
	switch (map->type) {
	case BPF_MAP_TYPE_PROG_ARRAY:
		if (func != BPF_FUNC_tail_call)
			return false;
		break;
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
		if (func != BPF_FUNC_perf_event_output)
			return false;
		break;
	case BPF_MAP_TYPE_RINGBUF:
		if (func != BPF_FUNC_ringbuf_output &&
		    func != BPF_FUNC_ringbuf_reserve &&
		    func != BPF_FUNC_ringbuf_query)
			return false;
		break;
	case BPF_MAP_TYPE_DEVMAP:
	case BPF_MAP_TYPE_DEVMAP_HASH:
	case BPF_MAP_TYPE_XSKMAP:
		if (func != BPF_FUNC_redirect_map &&
		    func != BPF_FUNC_map_lookup_elem)
			return false;
		break;
	case BPF_MAP_TYPE_CPUMAP:
		if (func != BPF_FUNC_redirect_map)
			return false;
		break;
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
		if (func != BPF_FUNC_map_lookup_elem)
			return false;
		break;
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
		if (func != BPF_FUNC_map_peek_elem &&
		    func != BPF_FUNC_map_pop_elem &&
		    func != BPF_FUNC_map_push_elem)
			return false;
		break;
	default:
		break;
	}
	switch (func) {
	case BPF_FUNC_tail_call:
		return map->type == BPF_MAP_TYPE_PROG_ARRAY;
	case BPF_FUNC_perf_event_output:
		return map->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
	case BPF_FUNC_ringbuf_output:
	case BPF_FUNC_ringbuf_reserve:
	case BPF_FUNC_ringbuf_query:
		return map->type == BPF_MAP_TYPE_RINGBUF;
	case BPF_FUNC_redirect_map:
		return map->type == BPF_MAP_TYPE_DEVMAP ||
		       map->type == BPF_MAP_TYPE_DEVMAP_HASH ||
		       map->type == BPF_MAP_TYPE_CPUMAP ||
		       map->type == BPF_MAP_TYPE_XSKMAP;
	case BPF_FUNC_map_peek_elem:
	case BPF_FUNC_map_pop_elem:
	case BPF_FUNC_map_push_elem:
		return map->type == BPF_MAP_TYPE_QUEUE ||
		       map->type == BPF_MAP_TYPE_STACK;
	case BPF_FUNC_map_update_elem:
	case BPF_FUNC_map_delete_elem:
		return map->type != BPF_MAP_TYPE_ARRAY_OF_MAPS &&
		       map->type != BPF_MAP_TYPE_HASH_OF_MAPS;
	default:
		return true;
	}
}

static int acquire_ref(struct env *e, uint32_t insn, uint32_t *id)
{
	struct vstate *st = e->cur;

	if (st->nrefs == MAX_REFS) {
		verbose(e, "more than %d references held at once\n", MAX_REFS);
		return -E2BIG;
	}
	*id = ++e->id_gen;
	st->refs[st->nrefs].id = *id;
	st->refs[st->nrefs].insn = insn;
	st->nrefs++;
	return 0;
}

static void release_regs_with_ref(struct env *e, uint32_t ref)
{
	uint32_t f, i;

	for (f = 0; f <= e->cur->curframe; f++) {
		struct frame *fr = e->cur->fr[f];

		for (i = 0; i < MAX_BPF_REG; i++)
			if (fr->regs[i].ref_id == ref)
				mark_scalar_unknown(&fr->regs[i]);
		for (i = 0; i < fr->nslots; i++)
			if (fr->stack[i].t[0] == S_SPILL &&
			    fr->stack[i].spilled.ref_id == ref)
				mark_scalar_unknown(&fr->stack[i].spilled);
	}
}

static int release_ref(struct env *e, uint32_t ref)
{
	struct vstate *st = e->cur;
	uint32_t i;

	for (i = 0; i < st->nrefs; i++) {
		if (st->refs[i].id == ref) {
			st->refs[i] = st->refs[--st->nrefs];
			release_regs_with_ref(e, ref);
			return 0;
		}
	}
	verbose(e, "release of an unacquired reference id=%u\n", ref);
	return -EINVAL;
}

static void clear_pkt_pointers(struct env *e)
{
	uint32_t f, i;

	for (f = 0; f <= e->cur->curframe; f++) {
		struct frame *fr = e->cur->fr[f];

		for (i = 0; i < MAX_BPF_REG; i++)
			if (reg_is_pkt(&fr->regs[i]) ||
			    fr->regs[i].type == PTR_TO_PACKET_END)
				mark_scalar_unknown(&fr->regs[i]);
		for (i = 0; i < fr->nslots; i++)
			if (fr->stack[i].t[0] == S_SPILL &&
			    (reg_is_pkt(&fr->stack[i].spilled) ||
			     fr->stack[i].spilled.type == PTR_TO_PACKET_END))
				mark_scalar_unknown(&fr->stack[i].spilled);
	}
}

struct call_meta {
	struct uebpf_map *map;
	unsigned int mem_regno; /* the memory a size argument bounds */
	bool mem_write;
	bool mem_maybe_null;
	uint32_t release_ref;
	int64_t alloc_size;
	int callback; /* PTR_TO_FUNC target insn, -1 */
	bool nonnull; /* the lookup cannot fail */
};

static int check_helper_arg(struct env *e, uint32_t idx, unsigned int regno,
			    uint8_t at, struct call_meta *m, int func)
{
	struct reg *r = &cur_regs(e)[regno];
	int err;

	if (at == UEBPF_ARG_NONE)
		return 0;
	err = check_reg_read(e, regno);
	if (err)
		return err;
	switch (at) {
	case UEBPF_ARG_ANYTHING:
		return 0;
	case UEBPF_ARG_CONST_MAP_PTR:
		if (r->type != CONST_PTR_TO_MAP || r->maybe_null) {
			verbose(e, "R%u type=%s expected=map_ptr\n", regno,
				reg_type_str(r));
			return -EACCES;
		}
		m->map = r->map;
		if (!map_func_ok(m->map, func)) {
			verbose(e, "cannot pass map_type %d into func %s#%d\n",
				m->map->type, uebpf_helper_name(func), func);
			return -EINVAL;
		}
		/* The kernel's record_func_map(): helpers that write the
		 * map are refused for BPF_F_RDONLY_PROG maps. */
		if ((m->map->map_flags & BPF_F_RDONLY_PROG) &&
		    (func == BPF_FUNC_map_update_elem ||
		     func == BPF_FUNC_map_delete_elem ||
		     func == BPF_FUNC_map_push_elem ||
		     func == BPF_FUNC_map_pop_elem)) {
			verbose(e, "write into map forbidden\n");
			return -EACCES;
		}
		return 0;
	case UEBPF_ARG_PTR_TO_MAP_KEY:
	case UEBPF_ARG_PTR_TO_MAP_VALUE:
	case UEBPF_ARG_PTR_TO_UNINIT_MAP_VALUE:
		if (!m->map) {
			verbose(e, "invalid map_ptr to access map->%s\n",
				at == UEBPF_ARG_PTR_TO_MAP_KEY ? "key" : "value");
			return -EACCES;
		}
		return check_helper_mem(e, idx, regno,
					at == UEBPF_ARG_PTR_TO_MAP_KEY ?
						m->map->key_size :
						m->map->value_size,
					false,
					at == UEBPF_ARG_PTR_TO_UNINIT_MAP_VALUE ?
						ACC_WRITE :
						ACC_READ);
	case UEBPF_ARG_PTR_TO_MEM_OR_NULL:
		if (reg_is_const(r) && !r->var.value) {
			m->mem_regno = regno;
			m->mem_maybe_null = true;
			return 0;
		}
		/* fallthrough */
	case UEBPF_ARG_PTR_TO_MEM:
	case UEBPF_ARG_PTR_TO_UNINIT_MEM:
		if (r->type == SCALAR || r->type == CONST_PTR_TO_MAP ||
		    r->type == PTR_TO_CTX || r->type == PTR_TO_PACKET_END ||
		    r->type == PTR_TO_FUNC || r->maybe_null) {
			verbose(e, "R%u type=%s expected=fp, pkt, pkt_meta, map_key, map_value, mem\n",
				regno, reg_type_str(r));
			return -EACCES;
		}
		m->mem_regno = regno;
		m->mem_write = at == UEBPF_ARG_PTR_TO_UNINIT_MEM;
		m->mem_maybe_null = false;
		return 0;
	case UEBPF_ARG_CONST_SIZE:
	case UEBPF_ARG_CONST_SIZE_OR_ZERO: {
		bool zero_ok = at == UEBPF_ARG_CONST_SIZE_OR_ZERO;

		if (r->type != SCALAR) {
			verbose(e, "R%u type=%s expected=scalar\n", regno,
				reg_type_str(r));
			return -EACCES;
		}
		err = mark_reg_precise(e, regno);
		if (err)
			return err;
		if (r->smin < 0) {
			verbose(e, "R%u min value is negative, either use unsigned or 'var &= const'\n",
				regno);
			return -EACCES;
		}
		if (!r->umin && !zero_ok) {
			verbose(e, "R%u invalid zero-sized read: u64=[%" PRIu64 ",%" PRIu64 "]\n",
				regno, r->umin, r->umax);
			return -EACCES;
		}
		if (r->umax >= (uint64_t)MAX_VAR_OFF) {
			verbose(e, "R%u unbounded memory access, use 'var &= const' or 'if (var < const)'\n",
				regno);
			return -EACCES;
		}
		if (m->mem_maybe_null) {
			if (r->umax) {
				verbose(e, "R%u type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem: a NULL buffer needs size 0\n",
					m->mem_regno);
				return -EACCES;
			}
			return 0;
		}
		err = check_helper_mem(e, idx, m->mem_regno, (int64_t)r->umin,
				       zero_ok, m->mem_write ? ACC_WRITE :
							       ACC_READ);
		if (!err && r->umax != r->umin)
			err = check_helper_mem(e, idx, m->mem_regno,
					       (int64_t)r->umax, zero_ok,
					       m->mem_write ? ACC_WRITE :
							      ACC_READ);
		return err;
	}
	case UEBPF_ARG_PTR_TO_CTX:
		if (r->type != PTR_TO_CTX) {
			verbose(e, "R%u type=%s expected=ctx\n", regno,
				reg_type_str(r));
			return -EACCES;
		}
		if (r->off || !tnum_is_const(r->var) || r->var.value) {
			verbose(e, "dereference of modified ctx ptr R%u off=%d disallowed\n",
				regno, r->off);
			return -EACCES;
		}
		return 0;
	case UEBPF_ARG_PTR_TO_INT:
	case UEBPF_ARG_PTR_TO_LONG:
		err = check_helper_mem(e, idx, regno,
				       at == UEBPF_ARG_PTR_TO_INT ? 4 : 8, false,
				       ACC_READ);
		if (!err)
			err = check_helper_mem(e, idx, regno,
					       at == UEBPF_ARG_PTR_TO_INT ? 4 : 8,
					       false, ACC_WRITE);
		return err;
	case UEBPF_ARG_PTR_TO_FUNC:
		if (r->type != PTR_TO_FUNC) {
			verbose(e, "R%u type=%s expected=func\n", regno,
				reg_type_str(r));
			return -EACCES;
		}
		m->callback = r->subprog;
		return 0;
	case UEBPF_ARG_PTR_TO_STACK_OR_NULL:
		if (reg_is_const(r) && !r->var.value)
			return 0;
		if (r->type != PTR_TO_STACK) {
			verbose(e, "R%u type=%s expected=fp\n", regno,
				reg_type_str(r));
			return -EACCES;
		}
		return 0;
	case UEBPF_ARG_PTR_TO_ALLOC_MEM:
		if (r->type != PTR_TO_MEM || !r->ref_id || r->maybe_null) {
			verbose(e, "R%u type=%s expected=ringbuf_mem\n", regno,
				reg_type_str(r));
			return -EACCES;
		}
		if (r->off || !tnum_is_const(r->var) || r->var.value) {
			verbose(e, "R%u must have zero offset when passed to release func\n",
				regno);
			return -EACCES;
		}
		m->release_ref = r->ref_id;
		return 0;
	case UEBPF_ARG_CONST_ALLOC_SIZE_OR_ZERO:
		if (!reg_is_const(r)) {
			verbose(e, "R%u is not a known constant'\n", regno);
			return -EACCES;
		}
		err = mark_reg_precise(e, regno);
		if (err)
			return err;
		m->alloc_size = (int64_t)r->var.value;
		if (m->alloc_size < 0 || m->alloc_size >= MAX_VAR_OFF) {
			verbose(e, "R%u invalid size %" PRId64 "\n", regno,
				m->alloc_size);
			return -EACCES;
		}
		return 0;
	}
	verbose(e, "unknown argument kind %u\n", at);
	return -EFAULT;
}

static int loop_call(struct env *e, uint32_t idx, int target);
static int push_branch(struct env *e, struct vstate *st, uint32_t insn,
		       uint32_t prev);

/*
 * The kernel's map_ptr_state: the map a helper call at idx takes, when
 * every path reaching it passes the same one, which the JIT may then
 * inline.  Only a map the program names (used_maps) counts: an inner map
 * a map-in-map lookup returned is known here by its template only.
 */
static int record_call_map(struct env *e, uint32_t idx, struct uebpf_map *map)
{
	struct uebpf_prog *prog = e->prog;
	bool named = false;
	size_t i;

	for (i = 0; i < prog->nr_used_maps; i++) {
		if (prog->used_maps[i]->inner_map == map)
			break;
		if (prog->used_maps[i] == map)
			named = true;
	}
	if (!named || i < prog->nr_used_maps)
		map = UEBPF_CALL_MAP_POISON;
	if (!prog->call_maps) {
		prog->call_maps = calloc(e->cnt, sizeof(*prog->call_maps));
		if (!prog->call_maps)
			return -ENOMEM;
	}
	if (!prog->call_maps[idx])
		prog->call_maps[idx] = map;
	else if (prog->call_maps[idx] != map)
		prog->call_maps[idx] = UEBPF_CALL_MAP_POISON;
	return 0;
}

static int check_helper_call(struct env *e, uint32_t idx, int *next)
{
	const struct bpf_insn *in = &e->insns[idx];
	const struct ctx_desc *cd = ctx_desc_for(e->prog->type);
	struct call_meta m = { .callback = -1 };
	const struct uebpf_helper *h;
	const struct uebpf_helper_proto *p;
	int func = in->imm, err;
	struct reg *regs;
	unsigned int i;

	h = func >= 0 && func < UEBPF_MAX_HELPER_ID ?
		    &e->prog->rt->helpers[func] : NULL;
	p = h && h->proto ? h->proto : func >= 0 ? uebpf_helper_proto(func) :
						   NULL;
	if (!p || (cd && !(p->flags & cd->helper_flag))) {
		const char *n = func >= 0 ? uebpf_helper_name(func) : NULL;

		if (n)
			verbose(e, "program of this type cannot use helper %s#%d\n",
				n, func);
		else
			verbose(e, "invalid func unknown#%d\n", func);
		return -EINVAL;
	}
	for (i = 0; i < 5; i++) {
		err = check_helper_arg(e, idx, BPF_REG_1 + i, p->arg[i], &m,
				       func);
		if (err)
			return err;
		if (p->arg[i] == UEBPF_ARG_NONE)
			break;
	}
	if (m.map) {
		err = record_call_map(e, idx, m.map);
		if (err)
			return err;
	}
	/* An ARRAY lookup with a constant key in range cannot fail: the
	 * kernel elides the null check the program would otherwise need. */
	if (func == BPF_FUNC_map_lookup_elem && m.map && !m.map->inner_map &&
	    (m.map->type == BPF_MAP_TYPE_ARRAY ||
	     m.map->type == BPF_MAP_TYPE_PERCPU_ARRAY)) {
		const struct reg *k = &cur_regs(e)[BPF_REG_2];
		struct reg kv;

		if (k->type == PTR_TO_STACK && tnum_is_const(k->var) &&
		    !((k->off + (int64_t)k->var.value) % 4)) {
			struct frame *kf = stack_frame_of(e, k);
			int64_t o = k->off + (int64_t)k->var.value;
			int spi = SPI(o);

			mark_not_init(&kv);
			if ((uint32_t)spi < kf->nslots &&
			    !check_stack_access_peek(kf, (int)o, 4, &kv) &&
			    reg_is_const(&kv) &&
			    (uint32_t)kv.var.value < m.map->max_entries) {
				/* the key's value now matters for pruning */
				err = mark_precise(e, k->frameno, 0,
						   1ull << spi);
				if (err)
					return err;
				m.nonnull = true;
			}
		}
	}
	if (m.release_ref) {
		err = release_ref(e, m.release_ref);
		if (err)
			return err;
	}
	if (p->flags & UEBPF_HELPER_TAIL_CALL)
		e->has_tail_call = true;
	/* The callback's first iteration starts from the state before the
	 * call clobbers r1-r5: the caller's arguments stay for the next. */
	if (func == BPF_FUNC_loop && m.callback >= 0) {
		err = loop_call(e, idx, m.callback);
		if (err)
			return err;
	}

	regs = cur_regs(e);
	for (i = BPF_REG_1; i <= BPF_REG_5; i++)
		mark_not_init(&regs[i]);
	switch (p->ret) {
	case UEBPF_RET_INTEGER:
		mark_scalar_unknown(&regs[BPF_REG_0]);
		if (func == BPF_FUNC_get_smp_processor_id) {
			regs[0].umax = e->prog->rt->nr_cpus - 1;
			bounds_sync(&regs[0]);
		}
		break;
	case UEBPF_RET_VOID:
		mark_not_init(&regs[BPF_REG_0]);
		break;
	case UEBPF_RET_PTR_TO_MAP_VALUE_OR_NULL:
		if (!m.map) {
			verbose(e, "kernel subsystem misconfigured verifier\n");
			return -EINVAL;
		}
		mark_not_init(&regs[0]);
		regs[0].maybe_null = !m.nonnull;
		regs[0].id = m.nonnull ? 0 : ++e->id_gen;
		if (m.map->inner_map) {
			regs[0].type = CONST_PTR_TO_MAP;
			regs[0].map = m.map->inner_map;
		} else {
			regs[0].type = PTR_TO_MAP_VALUE;
			regs[0].map = m.map;
		}
		mark_known(&regs[0], 0);
		break;
	case UEBPF_RET_PTR_TO_ALLOC_MEM_OR_NULL:
		mark_not_init(&regs[0]);
		regs[0].type = PTR_TO_MEM;
		regs[0].maybe_null = true;
		regs[0].mem_size = (uint32_t)m.alloc_size;
		mark_known(&regs[0], 0);
		err = acquire_ref(e, idx, &regs[0].ref_id);
		if (err)
			return err;
		regs[0].id = regs[0].ref_id;
		break;
	}
	if (p->flags & UEBPF_HELPER_CHANGES_PKT)
		clear_pkt_pointers(e);
	*next = idx + 1;
	return 0;
}

/*
 * bpf_loop(nr_loops, callback, ctx, flags), as the kernel verifies it since
 * 6.7: the walk goes on after the call as if the callback ran no more
 * times, and a copy of the state enters the callback in a new frame (r1
 * the index, r2 the caller's r3).  The callback's exit comes back to this
 * call, which pushes one more iteration while fewer than nr_loops' umax
 * were explored on the path; is_state_visited() stops the iterations once
 * the state at the call is within one still being explored (the loop's
 * fixpoint).
 */
static int push_callback(struct env *e, uint32_t idx, int target)
{
	struct vstate *st = e->cur, *cb;
	struct frame *caller = cur_frame(e), *callee;
	int err;

	if (st->curframe + 1 >= UEBPF_MAX_CALL_FRAMES) {
		verbose(e, "the call stack of %u frames is too deep !\n",
			st->curframe + 2);
		return -E2BIG;
	}
	callee = calloc(1, sizeof(*callee));
	cb = callee ? copy_state(st) : NULL;
	if (!cb) {
		free(callee);
		return -ENOMEM;
	}
	callee->callsite = (int)idx;
	callee->frameno = st->curframe + 1;
	callee->subprog = (uint32_t)target;
	callee->in_callback = true;
	callee->nrefs_at_entry = st->nrefs;
	mark_scalar_unknown(&callee->regs[BPF_REG_1]);
	callee->regs[BPF_REG_2] = caller->regs[BPF_REG_3];
	callee->regs[BPF_REG_10].type = PTR_TO_STACK;
	callee->regs[BPF_REG_10].frameno = callee->frameno;
	mark_known(&callee->regs[BPF_REG_10], 0);
	cb->fr[cb->curframe]->callback_depth++;
	cb->fr[++cb->curframe] = callee;
	cb->cb_unroll++;
	err = push_branch(e, cb, (uint32_t)target, idx);
	if (err) {
		free_state(cb);
		return err;
	}
	e->stack[e->nstack - 1].path_flags = PATH_CB_ENTRY;
	caller->callback_depth = 0;
	return 0;
}

static int loop_call(struct env *e, uint32_t idx, int target)
{
	struct insn_aux *a = &e->aux[idx];
	struct reg *regs = cur_regs(e);
	bool flags_zero = reg_is_const(&regs[BPF_REG_4]) &&
			  !regs[BPF_REG_4].var.value;
	int err;

	/* The kernel's update_loop_inline_state(): the inlined loop differs
	 * from the helper where nr_loops has bits above 31, and in the width
	 * of its -E2BIG (vm/interp_body.h). */
	if (flags_zero) {
		err = mark_reg_precise(e, BPF_REG_4);
		if (err)
			return err;
	}
	if (a->loop_inline == LOOP_INLINE_UNSEEN) {
		a->loop_inline = flags_zero ? LOOP_INLINE_FIT :
					      LOOP_INLINE_NOT_FIT;
		a->loop_callback = (uint32_t)target;
	} else if (!flags_zero || a->loop_callback != (uint32_t)target) {
		a->loop_inline = LOOP_INLINE_NOT_FIT;
	}
	/* Whether to explore one more iteration depends on r1. */
	err = mark_reg_precise(e, BPF_REG_1);
	if (err)
		return err;
	regs = cur_regs(e);
	if (cur_frame(e)->callback_depth < regs[BPF_REG_1].umax)
		return push_callback(e, idx, target);
	cur_frame(e)->callback_depth = 0;
	if (LOG_L2(e))
		trace(e, "frame%u bpf_loop iteration limit reached\n",
		      e->cur->curframe);
	return 0;
}

/* ---- conditional jumps ------------------------------------------------------ */

static uint8_t flip_op(uint8_t op)
{
	switch (op) {
	case BPF_JGT: return BPF_JLT;
	case BPF_JGE: return BPF_JLE;
	case BPF_JLT: return BPF_JGT;
	case BPF_JLE: return BPF_JGE;
	case BPF_JSGT: return BPF_JSLT;
	case BPF_JSGE: return BPF_JSLE;
	case BPF_JSLT: return BPF_JSGT;
	case BPF_JSLE: return BPF_JSGE;
	default: return op; /* JEQ, JNE, JSET */
	}
}

static uint8_t negate_op(uint8_t op)
{
	switch (op) {
	case BPF_JEQ: return BPF_JNE;
	case BPF_JNE: return BPF_JEQ;
	case BPF_JGT: return BPF_JLE;
	case BPF_JGE: return BPF_JLT;
	case BPF_JLT: return BPF_JGE;
	case BPF_JLE: return BPF_JGT;
	case BPF_JSGT: return BPF_JSLE;
	case BPF_JSGE: return BPF_JSLT;
	case BPF_JSLT: return BPF_JSGE;
	case BPF_JSLE: return BPF_JSGT;
	default: return 0xff; /* JSET: no negation as a comparison */
	}
}

/* Ranges of a scalar as seen by a 64- or 32-bit comparison. */
struct rng {
	uint64_t umin, umax;
	int64_t smin, smax;
	struct tnum var;
};

static struct rng rng_of(const struct reg *r, bool w32)
{
	struct rng g;

	if (w32) {
		g.umin = r->u32min;
		g.umax = r->u32max;
		g.smin = r->s32min;
		g.smax = r->s32max;
		g.var = tnum_subreg(r->var);
	} else {
		g.umin = r->umin;
		g.umax = r->umax;
		g.smin = r->smin;
		g.smax = r->smax;
		g.var = r->var;
	}
	return g;
}

/* 1 taken, 0 not taken, -1 unknown: "a op b" for scalar ranges. */
static int branch_taken(struct rng a, struct rng b, uint8_t op)
{
	switch (op) {
	case BPF_JEQ:
		if (tnum_is_const(a.var) && tnum_is_const(b.var))
			return a.var.value == b.var.value;
		if (a.umin > b.umax || a.umax < b.umin || a.smin > b.smax ||
		    a.smax < b.smin)
			return 0;
		if ((a.var.value & ~(a.var.mask | b.var.mask)) !=
		    (b.var.value & ~(a.var.mask | b.var.mask)))
			return 0;
		return -1;
	case BPF_JNE: {
		int t = branch_taken(a, b, BPF_JEQ);

		return t < 0 ? -1 : !t;
	}
	case BPF_JSET:
		if (!tnum_is_const(b.var))
			return -1;
		if (a.var.value & b.var.value)
			return 1;
		if (!((a.var.value | a.var.mask) & b.var.value))
			return 0;
		return -1;
	case BPF_JGT:
		if (a.umin > b.umax)
			return 1;
		if (a.umax <= b.umin)
			return 0;
		return -1;
	case BPF_JGE:
		if (a.umin >= b.umax)
			return 1;
		if (a.umax < b.umin)
			return 0;
		return -1;
	case BPF_JLT:
		return branch_taken(b, a, BPF_JGT);
	case BPF_JLE:
		return branch_taken(b, a, BPF_JGE);
	case BPF_JSGT:
		if (a.smin > b.smax)
			return 1;
		if (a.smax <= b.smin)
			return 0;
		return -1;
	case BPF_JSGE:
		if (a.smin >= b.smax)
			return 1;
		if (a.smax < b.smin)
			return 0;
		return -1;
	case BPF_JSLT:
		return branch_taken(b, a, BPF_JSGT);
	case BPF_JSLE:
		return branch_taken(b, a, BPF_JSGE);
	}
	return -1;
}

/* Narrow a and b, two scalars, assuming "a op b" holds. */
static void refine(struct reg *a, struct reg *b, uint8_t op, bool w32)
{
	if (w32) {
		switch (op) {
		case BPF_JEQ: {
			struct tnum t = tnum_intersect(tnum_subreg(a->var),
						       tnum_subreg(b->var));

			a->u32min = b->u32min = max_t(a->u32min, b->u32min);
			a->u32max = b->u32max = min_t(a->u32max, b->u32max);
			a->s32min = b->s32min = max_t(a->s32min, b->s32min);
			a->s32max = b->s32max = min_t(a->s32max, b->s32max);
			a->var = tnum_with_subreg(a->var, t);
			b->var = tnum_with_subreg(b->var, t);
			break;
		}
		case BPF_JNE:
			if (tnum_is_const(tnum_subreg(b->var))) {
				uint32_t v = (uint32_t)b->var.value;

				if (a->u32min == v && a->u32min < a->u32max)
					a->u32min++;
				else if (a->u32max == v && a->u32max > a->u32min)
					a->u32max--;
				if (a->s32min == (int32_t)v &&
				    a->s32min < a->s32max)
					a->s32min++;
				else if (a->s32max == (int32_t)v &&
					 a->s32max > a->s32min)
					a->s32max--;
			}
			break;
		case BPF_JSET:
			if (tnum_is_const(b->var) &&
			    !((uint32_t)b->var.value &
			      ((uint32_t)b->var.value - 1)))
				a->var = tnum_or(a->var,
						 tnum_const((uint32_t)b->var.value));
			break;
		case BPF_JGT:
			a->u32min = max_t(a->u32min, b->u32min + 1);
			b->u32max = min_t(b->u32max, a->u32max - 1);
			break;
		case BPF_JGE:
			a->u32min = max_t(a->u32min, b->u32min);
			b->u32max = min_t(b->u32max, a->u32max);
			break;
		case BPF_JSGT:
			a->s32min = max_t(a->s32min, b->s32min + 1);
			b->s32max = min_t(b->s32max, a->s32max - 1);
			break;
		case BPF_JSGE:
			a->s32min = max_t(a->s32min, b->s32min);
			b->s32max = min_t(b->s32max, a->s32max);
			break;
		case BPF_JLT: case BPF_JLE: case BPF_JSLT: case BPF_JSLE:
			refine(b, a, flip_op(op), w32);
			return;
		}
	} else {
		switch (op) {
		case BPF_JEQ: {
			struct tnum t = tnum_intersect(a->var, b->var);

			a->umin = b->umin = max_t(a->umin, b->umin);
			a->umax = b->umax = min_t(a->umax, b->umax);
			a->smin = b->smin = max_t(a->smin, b->smin);
			a->smax = b->smax = min_t(a->smax, b->smax);
			a->var = b->var = t;
			break;
		}
		case BPF_JNE:
			if (tnum_is_const(b->var)) {
				uint64_t v = b->var.value;

				if (a->umin == v && a->umin < a->umax)
					a->umin++;
				else if (a->umax == v && a->umax > a->umin)
					a->umax--;
				if (a->smin == (int64_t)v && a->smin < a->smax)
					a->smin++;
				else if (a->smax == (int64_t)v &&
					 a->smax > a->smin)
					a->smax--;
			}
			break;
		case BPF_JSET:
			if (tnum_is_const(b->var) &&
			    !(b->var.value & (b->var.value - 1)))
				a->var = tnum_or(a->var, b->var);
			break;
		case BPF_JGT:
			a->umin = max_t(a->umin, b->umin + 1);
			b->umax = min_t(b->umax, a->umax - 1);
			break;
		case BPF_JGE:
			a->umin = max_t(a->umin, b->umin);
			b->umax = min_t(b->umax, a->umax);
			break;
		case BPF_JSGT:
			a->smin = max_t(a->smin, b->smin + 1);
			b->smax = min_t(b->smax, a->smax - 1);
			break;
		case BPF_JSGE:
			a->smin = max_t(a->smin, b->smin);
			b->smax = min_t(b->smax, a->smax);
			break;
		case BPF_JLT: case BPF_JLE: case BPF_JSLT: case BPF_JSLE:
			refine(b, a, flip_op(op), w32);
			return;
		}
	}
	bounds_sync(a);
	bounds_sync(b);
}

/* "not (a op b)" for JSET: a & b == 0 */
static void refine_not_jset(struct reg *a, const struct reg *b, bool w32)
{
	if (!tnum_is_const(b->var))
		return;
	a->var = tnum_and(a->var, tnum_const(w32 ? ~(uint64_t)(uint32_t)b->var.value :
						   ~b->var.value));
	bounds_sync(a);
}

/* Every register linked to r by id (copies of one scalar) takes r's
 * bounds. */
static void sync_linked(struct vstate *st, const struct reg *r)
{
	uint32_t f, i;

	if (!r->id || r->type != SCALAR)
		return;
	for (f = 0; f <= st->curframe; f++) {
		struct frame *fr = st->fr[f];

		for (i = 0; i < MAX_BPF_REG; i++)
			if (fr->regs[i].type == SCALAR &&
			    fr->regs[i].id == r->id)
				fr->regs[i] = *r;
		for (i = 0; i < fr->nslots; i++)
			if (fr->stack[i].t[0] == S_SPILL &&
			    fr->stack[i].spilled.type == SCALAR &&
			    fr->stack[i].spilled.id == r->id)
				fr->stack[i].spilled = *r;
	}
}

/* After "if rX == 0": every copy of a maybe-null pointer with this id
 * becomes NULL (a scalar 0) or a valid pointer. */
static void mark_null(struct env *e, struct vstate *st, uint32_t id,
		      bool is_null)
{
	uint32_t f, i, ref = 0;

	for (f = 0; f <= st->curframe; f++) {
		struct frame *fr = st->fr[f];

		for (i = 0; i < MAX_BPF_REG + fr->nslots; i++) {
			struct reg *r = i < MAX_BPF_REG ? &fr->regs[i] :
				&fr->stack[i - MAX_BPF_REG].spilled;

			if (i >= MAX_BPF_REG &&
			    fr->stack[i - MAX_BPF_REG].t[0] != S_SPILL)
				continue;
			if (!r->maybe_null || r->id != id)
				continue;
			if (is_null) {
				if (r->ref_id)
					ref = r->ref_id;
				mark_scalar_const(r, 0);
			} else {
				r->maybe_null = false;
				if (!r->ref_id)
					r->id = 0;
			}
		}
	}
	if (ref) {
		for (i = 0; i < st->nrefs; i++) {
			if (st->refs[i].id == ref) {
				st->refs[i] = st->refs[--st->nrefs];
				break;
			}
		}
	}
	(void)e;
}

static void set_pkt_range(struct vstate *st, const struct reg *p, int range)
{
	uint32_t f, i;

	for (f = 0; f <= st->curframe; f++) {
		struct frame *fr = st->fr[f];

		for (i = 0; i < MAX_BPF_REG; i++)
			if (fr->regs[i].type == p->type &&
			    fr->regs[i].id == p->id)
				fr->regs[i].range = max_t(fr->regs[i].range,
							  range);
		for (i = 0; i < fr->nslots; i++)
			if (fr->stack[i].t[0] == S_SPILL &&
			    fr->stack[i].spilled.type == p->type &&
			    fr->stack[i].spilled.id == p->id)
				fr->stack[i].spilled.range =
					max_t(fr->stack[i].spilled.range, range);
	}
}

/* p (pkt or pkt_meta + off) compared with its end (pkt_end, or pkt for
 * meta): in the branch where "p <= end" holds, bytes [0, off) past the
 * family's base are in the packet; where "p < end" holds, [0, off].  */
static void pkt_cond(struct vstate *taken, struct vstate *fall,
		     const struct reg *dst, const struct reg *src, uint8_t op)
{
	const struct reg *p;
	bool p_first;
	struct vstate *le = NULL, *lt = NULL;

	if (dst->type == PTR_TO_PACKET &&
	    (src->type == PTR_TO_PACKET_END)) {
		p = dst;
		p_first = true;
	} else if (dst->type == PTR_TO_PACKET_END &&
		   src->type == PTR_TO_PACKET) {
		p = src;
		p_first = false;
	} else if (dst->type == PTR_TO_PACKET_META &&
		   src->type == PTR_TO_PACKET && !src->off &&
		   tnum_is_const(src->var) && !src->var.value) {
		p = dst;
		p_first = true;
	} else if (dst->type == PTR_TO_PACKET && !dst->off &&
		   tnum_is_const(dst->var) && !dst->var.value &&
		   src->type == PTR_TO_PACKET_META) {
		p = src;
		p_first = false;
	} else {
		return;
	}
	if (!p_first)
		op = flip_op(op);
	/* now "p op end" */
	switch (op) {
	case BPF_JGT: le = fall; break;	 /* not (p > end): p <= end */
	case BPF_JGE: lt = fall; break;	 /* not (p >= end): p < end */
	case BPF_JLT: lt = taken; break;
	case BPF_JLE: le = taken; break;
	default: return;
	}
	if (p->off < 0 || p->umax > MAX_PACKET_OFF ||
	    p->umax + p->off > MAX_PACKET_OFF)
		return;
	if (le && p->off > 0)
		set_pkt_range(le, p, p->off);
	if (lt)
		set_pkt_range(lt, p, p->off + 1);
}

/* ---- forks ---------------------------------------------------------------- */

static int push_branch(struct env *e, struct vstate *st, uint32_t insn,
		       uint32_t prev)
{
	struct pending *p;

	if (e->nstack == e->capstack) {
		size_t n = e->capstack ? e->capstack * 2 : 64;

		if (n > 8192 * 16) {
			verbose(e, "The sequence of %zu jumps is too complex.\n",
				e->nstack);
			return -E2BIG;
		}
		p = realloc(e->stack, n * sizeof(*p));
		if (!p)
			return -ENOMEM;
		e->stack = p;
		e->capstack = n;
	}
	st->parent = e->cur->parent;
	if (st->parent)
		st->parent->branches++;
	p = &e->stack[e->nstack++];
	p->st = st;
	p->insn = insn;
	p->prev_insn = prev;
	p->path_len = e->npath;
	p->log_len = e->log ? e->log->len : 0;
	p->path_flags = 0;
	return 0;
}

static bool reg_not_null(const struct reg *r)
{
	if (r->maybe_null)
		return false;
	switch (r->type) {
	case PTR_TO_STACK:
	case PTR_TO_MAP_VALUE:
	case PTR_TO_MAP_KEY:
	case PTR_TO_CTX:
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
	case PTR_TO_MEM:
	case CONST_PTR_TO_MAP:
	case PTR_TO_FUNC:
		return true;
	default:
		return false;
	}
}

static int check_cond_jmp(struct env *e, uint32_t idx, uint32_t *next)
{
	const struct bpf_insn *in = &e->insns[idx];
	uint8_t op = BPF_OP(in->code);
	bool w32 = BPF_CLASS(in->code) == BPF_JMP32;
	bool x = BPF_SRC(in->code) == BPF_X;
	uint32_t target = idx + in->off + 1;
	struct reg *regs = cur_regs(e), srck;
	struct reg *dst = &regs[in->dst_reg], *src;
	struct vstate *other;
	int pred = -1, err;

	err = check_reg_read(e, in->dst_reg);
	if (!err && x)
		err = check_reg_read(e, in->src_reg);
	if (err)
		return err;
	if (x) {
		src = &regs[in->src_reg];
	} else {
		mark_scalar_const(&srck, w32 ? (uint32_t)in->imm :
					       (uint64_t)(int64_t)in->imm);
		src = &srck;
	}
	e->jmps_processed++;

	if (dst->type == SCALAR && src->type == SCALAR) {
		pred = branch_taken(rng_of(dst, w32), rng_of(src, w32), op);
		if (pred >= 0) {
			err = mark_reg_precise(e, in->dst_reg);
			if (!err && x)
				err = mark_reg_precise(e, in->src_reg);
			if (err)
				return err;
		}
	} else if (!w32 && (op == BPF_JEQ || op == BPF_JNE) &&
		   reg_is_const(src) && !src->var.value && reg_not_null(dst)) {
		pred = op == BPF_JNE;
	}
	if (pred == 1) {
		*next = target;
		return 0;
	}
	if (pred == 0) {
		*next = idx + 1;
		return 0;
	}

	other = copy_state(e->cur);
	if (!other)
		return -ENOMEM;
	{
		struct frame *of = other->fr[other->curframe];
		struct reg *tdst = &of->regs[in->dst_reg];
		struct reg tk = srck;
		struct reg *tsrc = x ? &of->regs[in->src_reg] : &tk;
		bool taken_dead = false, fall_dead = false;

		if (dst->type == SCALAR && src->type == SCALAR) {
			if (op == BPF_JSET) {
				refine(tdst, tsrc, op, w32);
				refine_not_jset(dst, src, w32);
			} else {
				refine(tdst, tsrc, op, w32);
				refine(dst, src, negate_op(op), w32);
			}
			taken_dead = bounds_invalid(tdst) || bounds_invalid(tsrc);
			fall_dead = bounds_invalid(dst) || bounds_invalid(src);
			if (!taken_dead) {
				sync_linked(other, tdst);
				if (x)
					sync_linked(other, tsrc);
			}
			if (!fall_dead) {
				sync_linked(e->cur, dst);
				if (x)
					sync_linked(e->cur, src);
			}
		} else if (!w32 && (op == BPF_JEQ || op == BPF_JNE) &&
			   dst->maybe_null && reg_is_const(src) &&
			   !src->var.value) {
			uint32_t id = dst->id;

			mark_null(e, other, id, op == BPF_JEQ);
			mark_null(e, e->cur, id, op != BPF_JEQ);
		} else if (!w32 && (op == BPF_JEQ || op == BPF_JNE) && x &&
			   src->maybe_null && reg_is_const(dst) &&
			   !dst->var.value) {
			uint32_t id = src->id;

			mark_null(e, other, id, op == BPF_JEQ);
			mark_null(e, e->cur, id, op != BPF_JEQ);
		} else if (!w32 && x) {
			pkt_cond(other, e->cur, dst, src, op);
		}
		if (taken_dead && fall_dead) {
			/* cannot happen with consistent inputs */
			free_state(other);
			verbose(e, "verifier bug: both branches impossible at insn %u\n",
				idx);
			return -EFAULT;
		}
		if (taken_dead) {
			free_state(other);
			*next = idx + 1;
			return 0;
		}
		if (fall_dead) {
			/* continue on the taken side */
			struct vstate *t = e->cur;

			other->parent = t->parent;
			e->cur = other;
			free_state(t);
			*next = target;
			return 0;
		}
	}
	err = push_branch(e, other, target, idx);
	if (err) {
		free_state(other);
		return err;
	}
	*next = idx + 1;
	return 0;
}

/* ---- state comparison (pruning) ----------------------------------------------- */

struct idmap {
	uint32_t old[256], cur[256];
	unsigned int n;
};

static bool check_ids(uint32_t old_id, uint32_t cur_id, struct idmap *m)
{
	unsigned int i;

	if (!old_id && !cur_id)
		return true;
	if (!old_id || !cur_id)
		return false;
	for (i = 0; i < m->n; i++) {
		if (m->old[i] == old_id)
			return m->cur[i] == cur_id;
		if (m->cur[i] == cur_id)
			return false;
	}
	if (m->n == ARRAY_SIZE(m->old))
		return false;
	m->old[m->n] = old_id;
	m->cur[m->n++] = cur_id;
	return true;
}

static bool range_within(const struct reg *o, const struct reg *c)
{
	return o->umin <= c->umin && o->umax >= c->umax &&
	       o->smin <= c->smin && o->smax >= c->smax &&
	       o->u32min <= c->u32min && o->u32max >= c->u32max &&
	       o->s32min <= c->s32min && o->s32max >= c->s32max &&
	       tnum_in(o->var, c->var);
}

static bool regs_exact(const struct reg *o, const struct reg *c,
		       struct idmap *m)
{
	return o->type == c->type && o->maybe_null == c->maybe_null &&
	       o->off == c->off && o->var.value == c->var.value &&
	       o->var.mask == c->var.mask && o->smin == c->smin &&
	       o->smax == c->smax && o->umin == c->umin && o->umax == c->umax &&
	       o->s32min == c->s32min && o->s32max == c->s32max &&
	       o->u32min == c->u32min && o->u32max == c->u32max &&
	       o->map == c->map && o->range == c->range &&
	       o->mem_size == c->mem_size && o->frameno == c->frameno &&
	       o->subprog == c->subprog && check_ids(o->id, c->id, m) &&
	       check_ids(o->ref_id, c->ref_id, m);
}

/* How states are compared, as the kernel's enum exact_level. */
enum { NOT_EXACT = 0, EXACT, RANGE_WITHIN };

/* EXACT: identical states (a loop that made no progress); otherwise c must
 * be no more general than o, and with RANGE_WITHIN every scalar counts,
 * precise or not (o's exploration is not complete, its marks neither). */
static bool regsafe(const struct reg *o, const struct reg *c, int mode,
		    struct idmap *m)
{
	if (mode == EXACT)
		return regs_exact(o, c, m);
	if (o->type == NOT_INIT)
		return true;
	if (c->type == NOT_INIT || o->type != c->type)
		return false;
	if (o->type == SCALAR) {
		if (!o->precise && mode == NOT_EXACT)
			return true;
		if (!range_within(o, c))
			return false;
		if (o->id && !check_ids(o->id, c->id, m))
			return false;
		return true;
	}
	if (o->maybe_null != c->maybe_null || o->off != c->off ||
	    o->rdonly != c->rdonly)
		return false;
	if (!range_within(o, c))
		return false;
	if (!check_ids(o->id, c->id, m) || !check_ids(o->ref_id, c->ref_id, m))
		return false;
	switch (o->type) {
	case PTR_TO_MAP_VALUE:
	case PTR_TO_MAP_KEY:
	case CONST_PTR_TO_MAP:
		return o->map == c->map;
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
		return o->range <= c->range;
	case PTR_TO_MEM:
		return o->mem_size == c->mem_size;
	case PTR_TO_STACK:
		return o->frameno == c->frameno;
	case PTR_TO_FUNC:
		return o->subprog == c->subprog;
	default:
		return true;
	}
}

static bool slot_scalarish(const struct slot *s, int j)
{
	if (s->t[j] == S_MISC || s->t[j] == S_ZERO)
		return true;
	return s->t[j] == S_SPILL && s->spilled.type == SCALAR;
}

static bool stacksafe(const struct frame *o, const struct frame *c,
		      int mode, struct idmap *m)
{
	bool exact = mode == EXACT;
	static const struct slot invalid;
	uint32_t i;
	int j;

	if (exact && o->nslots != c->nslots)
		return false;
	for (i = 0; i < o->nslots; i++) {
		const struct slot *os = &o->stack[i];
		const struct slot *cs = i < c->nslots ? &c->stack[i] : &invalid;

		if (exact) {
			if (memcmp(os->t, cs->t, 8))
				return false;
			if (os->t[0] == S_SPILL &&
			    !regs_exact(&os->spilled, &cs->spilled, m))
				return false;
			continue;
		}
		if (os->t[0] == S_SPILL) {
			if (cs->t[0] == S_SPILL &&
			    spill_size(os) == spill_size(cs)) {
				if (!regsafe(&os->spilled, &cs->spilled, mode,
					     m))
					return false;
				for (j = spill_size(os); j < 8; j++) {
					if (os->t[j] == S_INVALID)
						continue;
					if (os->t[j] == S_ZERO ?
						    cs->t[j] != S_ZERO :
						    !slot_scalarish(cs, j))
						return false;
				}
				continue;
			}
			if (os->spilled.type == SCALAR && !os->spilled.precise &&
			    mode == NOT_EXACT) {
				for (j = 0; j < 8; j++)
					if (!slot_scalarish(cs, j))
						return false;
				continue;
			}
			return false;
		}
		for (j = 0; j < 8; j++) {
			switch (os->t[j]) {
			case S_INVALID:
				break;
			case S_MISC:
				if (!slot_scalarish(cs, j))
					return false;
				break;
			case S_ZERO:
				if (cs->t[j] == S_ZERO)
					break;
				if (cs->t[j] == S_SPILL &&
				    reg_is_const(&cs->spilled) &&
				    !cs->spilled.var.value)
					break;
				return false;
			default:
				return false;
			}
		}
	}
	return true;
}

static uint16_t frame_live(struct env *e, const struct vstate *st, uint32_t f,
			   uint32_t insn)
{
	const struct frame *callee;

	if (f == st->curframe)
		return e->aux[insn].live_in;
	/* A callback's caller goes back to the call insn, which reads the
	 * arguments again: what is live there. */
	callee = st->fr[f + 1];
	if (callee->in_callback)
		return e->aux[callee->callsite].live_in;
	/* a caller frame: its callee-saved registers, live after the call */
	return e->aux[callee->callsite + 1].live_in & 0x3c0;
}

static bool states_equal(struct env *e, const struct vstate *o,
			 const struct vstate *c, uint32_t insn, int mode)
{
	struct idmap m;
	uint32_t f, i;

	if (o->curframe != c->curframe || o->nrefs != c->nrefs)
		return false;
	m.n = 0;
	for (f = 0; f <= o->curframe; f++) {
		const struct frame *of = o->fr[f], *cf = c->fr[f];
		uint16_t live = frame_live(e, o, f, insn);

		if (of->callsite != cf->callsite ||
		    of->in_callback != cf->in_callback)
			return false;
		for (i = 0; i < BPF_REG_10; i++) {
			if (!(live & (1u << i)))
				continue;
			if (!regsafe(&of->regs[i], &cf->regs[i], mode, &m))
				return false;
		}
		if (!stacksafe(of, cf, mode, &m))
			return false;
	}
	for (i = 0; i < o->nrefs; i++)
		if (!check_ids(o->refs[i].id, c->refs[i].id, &m))
			return false;
	return true;
}

/* ---- precision backtracking ---------------------------------------------------- */

struct bt {
	uint16_t regs[UEBPF_MAX_CALL_FRAMES];
	uint64_t slots[UEBPF_MAX_CALL_FRAMES];
};

static bool bt_empty(const struct bt *b)
{
	unsigned int i;

	for (i = 0; i < UEBPF_MAX_CALL_FRAMES; i++)
		if (b->regs[i] || b->slots[i])
			return false;
	return true;
}

static void mark_all_precise_on_path(struct env *e, size_t from)
{
	size_t k;

	for (k = from + 1; k-- > 0;) {
		struct vstate *st = e->path[k].ckpt;
		uint32_t f, i;

		if (!st)
			continue;
		for (f = 0; f <= st->curframe; f++) {
			struct frame *fr = st->fr[f];

			for (i = 0; i < MAX_BPF_REG; i++)
				if (fr->regs[i].type == SCALAR)
					fr->regs[i].precise = true;
			for (i = 0; i < fr->nslots; i++)
				if (fr->stack[i].t[0] == S_SPILL &&
				    fr->stack[i].spilled.type == SCALAR)
					fr->stack[i].spilled.precise = true;
		}
	}
}

/* Marks what b holds precise in st; returns true if anything was new. */
static bool bt_mark(const struct bt *b, struct vstate *st)
{
	bool changed = false;
	uint32_t f, i;

	for (f = 0; f <= st->curframe; f++) {
		struct frame *fr = st->fr[f];

		for (i = 0; i < MAX_BPF_REG; i++) {
			struct reg *r = &fr->regs[i];

			if (!(b->regs[f] & (1u << i)) || r->type != SCALAR ||
			    r->precise)
				continue;
			r->precise = true;
			changed = true;
		}
		for (i = 0; i < fr->nslots && i < 64; i++) {
			struct reg *r = &fr->stack[i].spilled;

			if (!(b->slots[f] & (1ull << i)) ||
			    fr->stack[i].t[0] != S_SPILL || r->type != SCALAR ||
			    r->precise)
				continue;
			r->precise = true;
			changed = true;
		}
	}
	return changed;
}

/* Undo instruction p->insn for the set b: what it defines leaves the set,
 * what those values came from joins it.  false: give up. */
static bool bt_insn(struct env *e, const struct pathent *p, struct bt *b)
{
	const struct bpf_insn *in = &e->insns[p->insn];
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	uint32_t f = p->frame;
	uint16_t dbit = 1u << in->dst_reg, sbit = 1u << in->src_reg;
	bool x = BPF_SRC(in->code) == BPF_X;

	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		if (!(b->regs[f] & dbit))
			return true;
		if (op == BPF_MOV) {
			b->regs[f] &= ~dbit;
			if (x)
				b->regs[f] |= sbit;
		} else if (x && op != BPF_END && op != BPF_NEG) {
			b->regs[f] |= sbit;
		}
		return true;
	case BPF_LDX:
		if (!(b->regs[f] & dbit))
			return true;
		b->regs[f] &= ~dbit;
		if (p->sframe >= 0) {
			if (p->spi < 0)
				return false;
			b->slots[p->sframe] |= 1ull << p->spi;
		}
		return true;
	case BPF_ST:
	case BPF_STX:
		if (p->sframe < 0)
			return true;
		if (p->spi < 0)
			return !b->slots[p->sframe];
		if (!(b->slots[p->sframe] & (1ull << p->spi)))
			return true;
		if (BPF_MODE(in->code) == BPF_ATOMIC)
			return false;
		b->slots[p->sframe] &= ~(1ull << p->spi);
		if (cls == BPF_STX)
			b->regs[f] |= sbit;
		return true;
	case BPF_LD:
		b->regs[f] &= ~dbit;
		return true;
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_CALL && in->src_reg == BPF_PSEUDO_CALL)
			return true; /* the frame change carried the args */
		if (op == BPF_CALL) {
			/* r0 comes from the helper; r1-r5 are clobbered */
			b->regs[f] &= ~0x3f;
			return true;
		}
		if (op == BPF_JA || op == BPF_EXIT)
			return true;
		if (x && (b->regs[f] & (dbit | sbit)))
			b->regs[f] |= dbit | sbit;
		return true;
	}
	return true;
}

static int mark_precise(struct env *e, uint32_t frame, uint16_t regs,
			uint64_t slots)
{
	struct bt b;
	size_t k;

	memset(&b, 0, sizeof(b));
	b.regs[frame] = regs;
	b.slots[frame] = slots;
	bt_mark(&b, e->cur);
	if (!e->npath)
		return 0;
	for (k = e->npath - 1;; k--) {
		struct pathent *p = &e->path[k];

		if (p->ckpt && !bt_mark(&b, p->ckpt) && k != e->npath - 1)
			return 0; /* already precise from here back */
		if (!k || bt_empty(&b))
			return 0;
		/* step back over insn k-1, minding frame changes */
		{
			struct pathent *q = &e->path[k - 1];

			if (p->frame == q->frame + 1 &&
			    (p->flags & PATH_CB_ENTRY)) {
				/* q is bpf_loop, p its callback's first
				 * insn: the callback's r2 is the caller's
				 * r3, its r1 (the index) is new, and the
				 * caller's registers are as before q. */
				if (b.regs[p->frame] & (1u << BPF_REG_2))
					b.regs[q->frame] |= 1u << BPF_REG_3;
				if ((b.regs[p->frame] & ~0x6) ||
				    b.slots[p->frame]) {
					mark_all_precise_on_path(e, k - 1);
					return 0;
				}
				b.regs[p->frame] = 0;
				b.slots[p->frame] = 0;
				continue;
			}
			if (q->frame == p->frame + 1 &&
			    (p->flags & PATH_CB_RETURN)) {
				/* q is the callback's exit, back to its
				 * bpf_loop: the caller's registers went
				 * through untouched, the callback's r0
				 * does not reach it. */
				b.regs[q->frame] = 0;
				b.slots[q->frame] = 0;
				continue;
			}
			if (p->frame == q->frame + 1) {
				/* q called into p's frame: args r1-r5 */
				b.regs[q->frame] |= b.regs[p->frame] & 0x3e;
				if ((b.regs[p->frame] & ~0x3e) ||
				    b.slots[p->frame]) {
					mark_all_precise_on_path(e, k - 1);
					return 0;
				}
				b.regs[p->frame] = 0;
				b.slots[p->frame] = 0;
			} else if (q->frame == p->frame + 1) {
				/* q was the callee's exit: r0 came from it */
				if (b.regs[p->frame] & 1)
					b.regs[q->frame] |= 1;
				b.regs[p->frame] &= ~0x3f;
			} else if (q->frame != p->frame) {
				mark_all_precise_on_path(e, k - 1);
				return 0;
			}
			if (!bt_insn(e, q, &b)) {
				mark_all_precise_on_path(e, k - 1);
				return 0;
			}
		}
	}
}

/* The precision the pruning state relied on is needed here too. */
static int propagate_precision(struct env *e, const struct vstate *old)
{
	uint32_t f, i;

	for (f = 0; f <= old->curframe; f++) {
		const struct frame *fr = old->fr[f];
		uint16_t regs = 0;
		uint64_t slots = 0;

		for (i = 0; i < MAX_BPF_REG; i++)
			if (fr->regs[i].type == SCALAR && fr->regs[i].precise)
				regs |= 1u << i;
		for (i = 0; i < fr->nslots && i < 64; i++)
			if (fr->stack[i].t[0] == S_SPILL &&
			    fr->stack[i].spilled.type == SCALAR &&
			    fr->stack[i].spilled.precise)
				slots |= 1ull << i;
		if (regs || slots) {
			int err = mark_precise(e, f, regs, slots);

			if (err)
				return err;
		}
	}
	return 0;
}

/* The current state was found within a state whose exploration is not
 * complete (a callback loop's fixpoint): every scalar's value mattered to
 * that comparison, so every scalar is precise back along the path. */
static int mark_all_scalars_precise(struct env *e)
{
	const struct vstate *st = e->cur;
	uint32_t f, i;

	for (f = 0; f <= st->curframe; f++) {
		const struct frame *fr = st->fr[f];
		uint16_t regs = 0;
		uint64_t slots = 0;
		int err;

		for (i = 0; i < BPF_REG_10; i++)
			if (fr->regs[i].type == SCALAR)
				regs |= 1u << i;
		for (i = 0; i < fr->nslots && i < 64; i++)
			if (fr->stack[i].t[0] == S_SPILL &&
			    fr->stack[i].spilled.type == SCALAR)
				slots |= 1ull << i;
		if (!regs && !slots)
			continue;
		err = mark_precise(e, f, regs, slots);
		if (err)
			return err;
	}
	return 0;
}

/* 1: pruned, 0: go on, < 0: error. */
static int is_state_visited(struct env *e, uint32_t idx)
{
	struct vstate **pp, *sl, *n;
	bool add;
	uint32_t nr = 0;

	for (pp = &e->explored[idx]; (sl = *pp);) {
		nr++;
		if (sl->branches && e->aux[idx].calls_callback) {
			/* A callback's iteration came back to its bpf_loop
			 * call: no more general than a visit still being
			 * explored means the iterations reached a fixpoint. */
			if (states_equal(e, sl, e->cur, idx, RANGE_WITHIN)) {
				sl->hits++;
				return mark_all_scalars_precise(e) ?: 1;
			}
		} else if (sl->branches) {
			if (sl->cb_unroll == e->cur->cb_unroll &&
			    states_equal(e, sl, e->cur, idx, EXACT)) {
				verbose(e, "infinite loop detected at insn %u\n",
					idx);
				return -EINVAL;
			}
		} else if (states_equal(e, sl, e->cur, idx, NOT_EXACT)) {
			sl->hits++;
			return propagate_precision(e, sl) ?: 1;
		}
		sl->misses++;
		/* A state that keeps missing is not worth comparing with:
		 * off the list (freed now if complete, at the end if a path
		 * still runs through it). */
		if (sl->misses > sl->hits * 3 + 3) {
			*pp = sl->next;
			e->cur_states--;
			if (sl->branches) {
				sl->next = e->evicted;
				e->evicted = sl;
			} else {
				free_state(sl);
			}
			continue;
		}
		pp = &sl->next;
	}
	add = !e->explored[idx] || e->aux[idx].calls_callback ||
	      (e->jmps_processed - e->prev_jmps_processed >= 2 &&
	       e->insn_processed - e->prev_insn_processed >= 8);
	if (!add)
		return 0;
	e->prev_jmps_processed = e->jmps_processed;
	e->prev_insn_processed = e->insn_processed;
	n = copy_state(e->cur);
	if (!n)
		return -ENOMEM;
	n->insn = idx;
	n->branches = 1;
	n->parent = e->cur->parent;
	e->cur->parent = n;
	n->next = e->explored[idx];
	e->explored[idx] = n;
	e->path[e->npath - 1].ckpt = n;
	e->total_states++;
	e->cur_states++;
	if (e->cur_states > e->peak_states)
		e->peak_states = e->cur_states;
	if (nr + 1 > e->max_states_per_insn)
		e->max_states_per_insn = nr + 1;
	return 0;
}

/* A path ended: its checkpoints lose a branch, completed ones their
 * parents. */
static void path_done(struct env *e)
{
	struct vstate *st = e->cur->parent;

	while (st) {
		if (--st->branches)
			break;
		st = st->parent;
	}
}

/* ---- calls, exits, loads of 64-bit immediates ------------------------------- */

static int check_pseudo_call(struct env *e, uint32_t idx, uint32_t *next)
{
	struct vstate *st = e->cur;
	struct frame *caller = cur_frame(e), *callee;
	uint32_t target = idx + e->insns[idx].imm + 1, i;

	if (st->curframe + 1 >= UEBPF_MAX_CALL_FRAMES) {
		verbose(e, "the call stack of %u frames is too deep !\n",
			st->curframe + 2);
		return -E2BIG;
	}
	callee = calloc(1, sizeof(*callee));
	if (!callee)
		return -ENOMEM;
	callee->callsite = idx;
	callee->frameno = st->curframe + 1;
	callee->subprog = target;
	for (i = BPF_REG_1; i <= BPF_REG_5; i++)
		callee->regs[i] = caller->regs[i];
	callee->regs[BPF_REG_10].type = PTR_TO_STACK;
	callee->regs[BPF_REG_10].frameno = callee->frameno;
	mark_known(&callee->regs[BPF_REG_10], 0);
	st->fr[++st->curframe] = callee;
	*next = target;
	return 0;
}

static bool regs_exact(const struct reg *o, const struct reg *c,
		       struct idmap *m);

static void maybe_widen(const struct reg *o, struct reg *c, struct idmap *m)
{
	if (o->type != SCALAR || c->type != SCALAR || o->precise ||
	    c->precise || regs_exact(o, c, m))
		return;
	mark_scalar_unknown(c);
}

/*
 * The kernel's widening for callback loops (widen_imprecise_scalars): back
 * at the bpf_loop call, a scalar that is not precise and changed since the
 * visit of the call still being explored becomes unknown, so that a
 * counter nothing depends on lets the iterations converge.  Only loses
 * information.
 */
static void widen_loop_state(struct env *e, uint32_t callsite)
{
	struct vstate *cur = e->cur, *old;
	struct idmap m;
	uint32_t f, i, n;

	for (old = e->explored[callsite]; old; old = old->next) {
		if (!old->branches || old->curframe != cur->curframe)
			continue;
		for (f = 0; f <= cur->curframe; f++)
			if (old->fr[f]->callsite != cur->fr[f]->callsite)
				break;
		if (f > cur->curframe)
			break;
	}
	if (!old)
		return;
	m.n = 0;
	for (f = 0; f <= cur->curframe; f++) {
		struct frame *fo = old->fr[f], *fc = cur->fr[f];

		for (i = 0; i < BPF_REG_10; i++)
			maybe_widen(&fo->regs[i], &fc->regs[i], &m);
		n = min_t(fo->nslots, fc->nslots);
		for (i = 0; i < n; i++)
			if (fo->stack[i].t[0] == S_SPILL &&
			    fc->stack[i].t[0] == S_SPILL)
				maybe_widen(&fo->stack[i].spilled,
					    &fc->stack[i].spilled, &m);
	}
}

static int check_exit(struct env *e, uint32_t idx, uint32_t *next, bool *done)
{
	struct vstate *st = e->cur;
	struct frame *callee = cur_frame(e), *caller;
	struct reg r0;
	uint32_t i;
	int err;

	(void)idx;
	err = check_reg_read(e, BPF_REG_0);
	if (err)
		return err;
	r0 = callee->regs[BPF_REG_0];
	if (st->curframe && callee->in_callback) {
		if (r0.type != SCALAR) {
			verbose(e, "R0 not a scalar value\n");
			return -EACCES;
		}
		err = mark_reg_precise(e, BPF_REG_0);
		if (err)
			return err;
		/* bpf_loop's callbacks return 0 (go on) or 1 (stop), all 64
		 * bits of it. */
		if (r0.smin < 0 || r0.smax > 1) {
			verbose(e, "At callback return the register R0 has");
			if (r0.smin != INT64_MIN)
				verbose(e, " smin=%" PRId64, r0.smin);
			if (r0.smax != INT64_MAX)
				verbose(e, " smax=%" PRId64, r0.smax);
			if (r0.smin == INT64_MIN && r0.smax == INT64_MAX)
				verbose(e, " unknown scalar value");
			verbose(e, " should have been in [0, 1]\n");
			return -EINVAL;
		}
		if (st->nrefs > callee->nrefs_at_entry) {
			verbose(e, "Unreleased reference id=%u alloc_insn=%u\n",
				st->refs[st->nrefs - 1].id,
				st->refs[st->nrefs - 1].insn);
			return -EINVAL;
		}
		/* Back to the bpf_loop call, with the caller's registers as
		 * they were: it decides on one more iteration. */
		*next = (uint32_t)callee->callsite;
		st->fr[st->curframe] = NULL;
		free(callee->stack);
		free(callee);
		st->curframe--;
		widen_loop_state(e, *next);
		e->next_path_flags = PATH_CB_RETURN;
		*done = false;
		return 0;
	}
	if (st->curframe) {
		if (r0.type == PTR_TO_STACK && r0.frameno == callee->frameno) {
			verbose(e, "cannot return stack pointer to the caller frame\n");
			return -EINVAL;
		}
		*next = callee->callsite + 1;
		st->fr[st->curframe] = NULL;
		free(callee->stack);
		free(callee);
		st->curframe--;
		caller = cur_frame(e);
		caller->regs[BPF_REG_0] = r0;
		for (i = BPF_REG_1; i <= BPF_REG_5; i++)
			mark_not_init(&caller->regs[i]);
		*done = false;
		return 0;
	}
	if (is_pointer(&r0)) {
		verbose(e, "R0 leaks addr as return value\n");
		return -EACCES;
	}
	if (st->nrefs) {
		verbose(e, "Unreleased reference id=%u alloc_insn=%u\n",
			st->refs[0].id, st->refs[0].insn);
		return -EINVAL;
	}
	*done = true;
	return 0;
}

static const struct uebpf_map_ref *map_ref_at(struct env *e, uint32_t pc)
{
	const struct uebpf_prog *p = e->prog;
	size_t lo = 0, hi = p->nr_map_refs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (p->map_refs[mid].pc == pc)
			return &p->map_refs[mid];
		if (p->map_refs[mid].pc < pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int check_ld_imm64(struct env *e, uint32_t idx)
{
	const struct bpf_insn *in = &e->insns[idx];
	struct reg *dst = &cur_regs(e)[in->dst_reg];
	const struct uebpf_map_ref *ref = map_ref_at(e, idx);
	int err = check_reg_write(e, in->dst_reg);

	if (err)
		return err;
	if (ref) {
		mark_not_init(dst);
		dst->map = ref->map;
		mark_known(dst, 0);
		if (ref->kind == BPF_PSEUDO_MAP_VALUE) {
			dst->type = PTR_TO_MAP_VALUE;
			dst->off = ref->off;
		} else {
			dst->type = CONST_PTR_TO_MAP;
		}
		return 0;
	}
	if (in->src_reg == BPF_PSEUDO_FUNC) {
		mark_not_init(dst);
		dst->type = PTR_TO_FUNC;
		dst->subprog = idx + in->imm + 1;
		mark_known(dst, 0);
		return 0;
	}
	mark_scalar_const(dst, (uint64_t)(uint32_t)in->imm |
				       ((uint64_t)(uint32_t)in[1].imm << 32));
	return 0;
}

static int check_load_store(struct env *e, uint32_t idx)
{
	const struct bpf_insn *in = &e->insns[idx];
	uint8_t cls = BPF_CLASS(in->code);
	int size = BPF_SIZE(in->code) == BPF_B ? 1 :
		   BPF_SIZE(in->code) == BPF_H ? 2 :
		   BPF_SIZE(in->code) == BPF_W ? 4 : 8;
	struct reg *regs = cur_regs(e), out;
	int err;

	if (cls == BPF_LDX) {
		err = check_reg_read(e, in->src_reg);
		if (!err)
			err = check_reg_write(e, in->dst_reg);
		if (err)
			return err;
		err = check_mem_access(e, idx, in->src_reg, in->off, size,
				       ACC_READ, NULL, 0, 0, &out);
		if (err)
			return err;
		if (BPF_MODE(in->code) == BPF_MEMSX && out.type == SCALAR) {
			if (reg_is_const(&out)) {
				int64_t v = size == 1 ? (int8_t)out.var.value :
					    size == 2 ? (int16_t)out.var.value :
							(int32_t)out.var.value;

				mark_scalar_const(&out, (uint64_t)v);
			} else {
				mark_scalar_unknown(&out);
				out.smin = -(1ll << (size * 8 - 1));
				out.smax = (1ll << (size * 8 - 1)) - 1;
				bounds_sync(&out);
			}
		}
		regs = cur_regs(e);
		regs[in->dst_reg] = out;
		return 0;
	}
	if (cls == BPF_STX && BPF_MODE(in->code) == BPF_ATOMIC) {
		struct reg *ptr;
		unsigned int load_reg;

		err = check_reg_read(e, in->src_reg);
		if (!err)
			err = check_reg_read(e, in->dst_reg);
		if (!err && in->imm == BPF_CMPXCHG)
			err = check_reg_read(e, BPF_REG_0);
		if (err)
			return err;
		if (is_pointer(&regs[in->src_reg])) {
			verbose(e, "R%u leaks addr into mem\n", in->src_reg);
			return -EACCES;
		}
		if (in->imm == BPF_CMPXCHG && is_pointer(&regs[BPF_REG_0])) {
			verbose(e, "R0 leaks addr into mem\n");
			return -EACCES;
		}
		ptr = &regs[in->dst_reg];
		if (ptr->type != PTR_TO_STACK && ptr->type != PTR_TO_MAP_VALUE &&
		    ptr->type != PTR_TO_MEM) {
			verbose(e, "BPF_ATOMIC stores into R%u %s is not allowed\n",
				in->dst_reg, reg_type_str(ptr));
			return -EACCES;
		}
		err = check_mem_access(e, idx, in->dst_reg, in->off, size,
				       ACC_READ, NULL, 0, 0, &out);
		if (!err)
			err = check_mem_access(e, idx, in->dst_reg, in->off,
					       size, ACC_WRITE, NULL, 0, 1,
					       NULL);
		if (err)
			return err;
		if (ptr->type == PTR_TO_STACK && size == 8) {
			/* the slot now holds an unknown scalar, not a spill */
			struct frame *f = stack_frame_of(e, ptr);
			int64_t o = in->off + ptr->off + (int64_t)ptr->var.value;

			stack_mark_written(f, (int)o, 8, S_MISC);
		}
		if (!(in->imm & BPF_FETCH))
			return 0;
		load_reg = in->imm == BPF_CMPXCHG ? BPF_REG_0 : in->src_reg;
		mark_scalar_unknown(&regs[load_reg]);
		if (size == 4)
			zext32(&regs[load_reg]);
		return 0;
	}
	/* ST / STX */
	err = check_reg_read(e, in->dst_reg);
	if (!err && cls == BPF_STX)
		err = check_reg_read(e, in->src_reg);
	if (err)
		return err;
	if (cls == BPF_STX) {
		struct reg v = regs[in->src_reg];

		return check_mem_access(e, idx, in->dst_reg, in->off, size,
					ACC_WRITE, &v, in->src_reg, 0, NULL);
	}
	return check_mem_access(e, idx, in->dst_reg, in->off, size, ACC_WRITE,
				NULL, 0, (uint64_t)(int64_t)in->imm, NULL);
}

/* ---- static analyses before the walk --------------------------------------- */

static uint16_t helper_arg_mask(struct env *e, int32_t func)
{
	const struct uebpf_helper_proto *p = NULL;
	uint16_t m = 0;
	unsigned int i;

	if (func >= 0 && func < UEBPF_MAX_HELPER_ID)
		p = e->prog->rt->helpers[func].proto;
	if (!p && func >= 0)
		p = uebpf_helper_proto(func);
	if (!p)
		return 0x3e;
	for (i = 0; i < 5 && p->arg[i] != UEBPF_ARG_NONE; i++)
		m |= 1u << (BPF_REG_1 + i);
	return m;
}

/* Registers read before written from each insn on (live-in sets), by
 * iterating the backward data-flow equations to a fixed point. */
static void compute_liveness(struct env *e)
{
	uint32_t cnt = e->cnt, i;
	bool changed = true;

	while (changed) {
		changed = false;
		for (i = cnt; i-- > 0;) {
			const struct bpf_insn *in = &e->insns[i];
			uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
			uint16_t out = 0, use = 0, def = 0, live;
			uint16_t d = 1u << in->dst_reg, s = 1u << in->src_reg;
			bool x = BPF_SRC(in->code) == BPF_X;

			switch (cls) {
			case BPF_ALU:
			case BPF_ALU64:
				def = d;
				if (op != BPF_MOV)
					use |= d;
				if (x && op != BPF_END && op != BPF_NEG)
					use |= s;
				if (i + 1 < cnt)
					out = e->aux[i + 1].live_in;
				break;
			case BPF_LDX:
				use = s;
				def = d;
				out = i + 1 < cnt ? e->aux[i + 1].live_in : 0;
				break;
			case BPF_ST:
				use = d;
				out = i + 1 < cnt ? e->aux[i + 1].live_in : 0;
				break;
			case BPF_STX:
				use = d | s;
				if (BPF_MODE(in->code) == BPF_ATOMIC &&
				    (in->imm & BPF_FETCH)) {
					if (in->imm == BPF_CMPXCHG) {
						use |= 1;
						def = 1;
					} else {
						def = s;
					}
				}
				out = i + 1 < cnt ? e->aux[i + 1].live_in : 0;
				break;
			case BPF_LD:
				def = d;
				out = i + 2 < cnt ? e->aux[i + 2].live_in : 0;
				break;
			case BPF_JMP:
			case BPF_JMP32:
				if (op == BPF_EXIT) {
					use = 1;
					break;
				}
				if (op == BPF_CALL) {
					if (in->src_reg == BPF_PSEUDO_CALL)
						use = 0x3e;
					else if (x)
						use = 0x3e | d;
					else
						use = helper_arg_mask(e, in->imm);
					def = 0x3f;
					out = i + 1 < cnt ? e->aux[i + 1].live_in : 0;
					break;
				}
				if (op == BPF_JA) {
					int32_t off = cls == BPF_JMP32 ? in->imm : in->off;

					out = e->aux[i + off + 1].live_in;
					break;
				}
				use = d | (x ? s : 0);
				out = e->aux[i + in->off + 1].live_in;
				if (i + 1 < cnt)
					out |= e->aux[i + 1].live_in;
				break;
			}
			live = (out & ~def) | use;
			live &= 0x7ff;
			if (live != e->aux[i].live_in) {
				e->aux[i].live_in = live;
				changed = true;
			}
		}
	}
}

static int mark_subprogs_and_prune_points(struct env *e)
{
	uint32_t i, cur = 0;
	bool *start = calloc(e->cnt + 1, 1);

	if (!start)
		return -ENOMEM;
	start[0] = true;
	for (i = 0; i < e->cnt; i++) {
		const struct bpf_insn *in = &e->insns[i];
		uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);

		if (uebpf_insn_is_ld_imm64(in)) {
			if (in->src_reg == BPF_PSEUDO_FUNC)
				start[i + in->imm + 1] = true;
			i++;
			continue;
		}
		if (cls != BPF_JMP && cls != BPF_JMP32)
			continue;
		if (op == BPF_CALL && in->src_reg == BPF_PSEUDO_CALL) {
			start[i + in->imm + 1] = true;
			e->aux[i + in->imm + 1].prune_point = true;
			e->aux[i + 1].prune_point = true;
			continue;
		}
		if (op == BPF_CALL && BPF_SRC(in->code) == BPF_K &&
		    !in->src_reg && in->imm == BPF_FUNC_loop) {
			/* an implicit loop: a checkpoint at every visit */
			e->aux[i].calls_callback = true;
			e->aux[i].prune_point = true;
			e->aux[i + 1].prune_point = true;
			continue;
		}
		if (op == BPF_CALL || op == BPF_EXIT)
			continue;
		if (op == BPF_JA) {
			e->aux[i + (cls == BPF_JMP32 ? in->imm : in->off) + 1]
				.prune_point = true;
			continue;
		}
		e->aux[i + in->off + 1].prune_point = true;
		e->aux[i + 1].prune_point = true;
	}
	for (i = 0; i < e->cnt; i++) {
		const struct bpf_insn *in = &e->insns[i];

		if (start[i])
			cur = i;
		e->aux[i].subprog = cur;
		/* as the kernel, whether or not the call is reachable */
		if (in->code == (BPF_JMP | BPF_CALL) && !in->src_reg &&
		    in->imm == BPF_FUNC_tail_call)
			e->aux[cur].has_tail_call = true;
	}
	free(start);
	return 0;
}

/* Deepest combined stack of any chain of calls, frames rounded up to 32
 * bytes as the kernel's JIT does.  As the kernel's check_max_stack_depth(),
 * a callback's address (bpf_loop's) counts as a call where it is taken,
 * and a subprogram that tail-calls may not sit on 256 bytes or more of its
 * callers' stack: a tail call replaces its frame only, so 33 of them could
 * pile up the frames below. */
static int stack_chain(struct env *e, uint32_t sub, int depth, int *max,
		       int *frames)
{
	uint32_t i;
	int d = depth + (int)((max_t(e->subprog_stack[sub], 1u) + 31) & ~31u);

	if (sub && e->aux[sub].has_tail_call && depth >= 256) {
		verbose(e, "tail_calls are not allowed when call stack of previous frames is %d bytes. Too large\n",
			depth);
		return -EACCES;
	}
	if (d > UEBPF_STACK_SIZE) {
		verbose(e, "combined stack size of %d calls is %d. Too large\n",
			*frames + 1, d);
		return -EACCES;
	}
	if (d > *max)
		*max = d;
	for (i = sub; i < e->cnt && e->aux[i].subprog == sub; i++) {
		const struct bpf_insn *in = &e->insns[i];
		uint32_t target = i + in->imm + 1;
		int err;

		if (uebpf_insn_is_ld_imm64(in)) {
			i++;
			if (in->src_reg != BPF_PSEUDO_FUNC)
				continue;
		} else if (in->code != (BPF_JMP | BPF_CALL) ||
			   in->src_reg != BPF_PSEUDO_CALL) {
			continue;
		}
		if (++*frames >= UEBPF_MAX_CALL_FRAMES) {
			verbose(e, "the call stack of %d frames is too deep !\n",
				*frames);
			return -E2BIG;
		}
		err = stack_chain(e, target, d, max, frames);
		(*frames)--;
		if (err)
			return err;
	}
	return 0;
}

/* ---- the walk ------------------------------------------------------------------- */

static int push_path(struct env *e, uint32_t idx)
{
	struct pathent *p;

	if (e->npath == e->cappath) {
		size_t n = e->cappath ? e->cappath * 2 : 1024;

		p = realloc(e->path, n * sizeof(*p));
		if (!p)
			return -ENOMEM;
		e->path = p;
		e->cappath = n;
	}
	p = &e->path[e->npath++];
	p->insn = idx;
	p->frame = (uint8_t)e->cur->curframe;
	p->sframe = -1;
	p->spi = -1;
	p->flags = e->next_path_flags;
	e->next_path_flags = 0;
	p->ckpt = NULL;
	return 0;
}

static int pop_branch(struct env *e, uint32_t *idx)
{
	struct pending *p;

	if (!e->nstack)
		return 0;
	p = &e->stack[--e->nstack];
	free_state(e->cur);
	e->cur = p->st;
	*idx = p->insn;
	e->npath = p->path_len;
	e->next_path_flags = p->path_flags;
	if (e->log && e->log->buf && !(e->log->level & 2) &&
	    p->log_len < e->log->len) {
		/* level 1 keeps the failing path only */
		e->log->len = p->log_len;
		e->log->buf[p->log_len] = '\0';
	}
	if (LOG_L1(e)) {
		trace(e, "from %u to %u:", p->prev_insn, p->insn);
		print_state(e, e->cur);
	}
	return 1;
}

static int do_check(struct env *e)
{
	uint32_t idx = 0, next;
	bool done;
	int err;

	for (;;) {
		const struct bpf_insn *in;
		uint8_t cls;

		if (idx >= e->cnt) {
			verbose(e, "invalid insn idx %u insn_cnt %u\n", idx,
				e->cnt);
			return -EFAULT;
		}
		if (++e->insn_processed > UEBPF_MAX_INSNS) {
			verbose(e, "BPF program is too large. Processed %u insn\n",
				e->insn_processed);
			return -E2BIG;
		}
		err = push_path(e, idx);
		if (err)
			return err;
		if (e->aux[idx].prune_point) {
			err = is_state_visited(e, idx);
			if (err < 0)
				return err;
			if (err == 1) {
				if (LOG_L1(e))
					trace(e, "%u: safe\n", idx);
				goto path_end;
			}
		}
		if (LOG_L2(e)) {
			trace(e, "%u:", idx);
			print_state(e, e->cur);
		}
		if (LOG_L1(e))
			print_insn(e, idx);

		in = &e->insns[idx];
		cls = BPF_CLASS(in->code);
		next = idx + 1;
		switch (cls) {
		case BPF_ALU:
		case BPF_ALU64:
			err = check_alu(e, in);
			break;
		case BPF_LDX:
		case BPF_ST:
		case BPF_STX:
			err = check_load_store(e, idx);
			break;
		case BPF_LD:
			err = check_ld_imm64(e, idx);
			next = idx + 2;
			break;
		case BPF_JMP:
		case BPF_JMP32:
			switch (BPF_OP(in->code)) {
			case BPF_JA:
				next = idx + 1 +
				       (cls == BPF_JMP32 ? in->imm : in->off);
				err = 0;
				break;
			case BPF_CALL:
				if (BPF_SRC(in->code) == BPF_X) {
					verbose(e, "callx is not allowed in verified programs\n");
					err = -EINVAL;
				} else if (in->src_reg == BPF_PSEUDO_CALL) {
					err = check_pseudo_call(e, idx, &next);
				} else if (in->src_reg) {
					verbose(e, "kfunc calls are not supported\n");
					err = -EINVAL;
				} else {
					err = check_helper_call(e, idx,
								(int *)&next);
				}
				break;
			case BPF_EXIT:
				err = check_exit(e, idx, &next, &done);
				if (!err && done)
					goto path_end;
				break;
			default:
				err = check_cond_jmp(e, idx, &next);
				break;
			}
			break;
		default:
			verbose(e, "unknown insn class %d\n", cls);
			err = -EINVAL;
		}
		if (err)
			return err;
		idx = next;
		continue;
path_end:
		path_done(e);
		if (!pop_branch(e, &idx))
			return 0;
	}
}

/* ---- after the walk: rewrite the context loads -------------------------------- */

static void convert_ctx_accesses(struct env *e)
{
	uint32_t i;

	for (i = 0; i < e->cnt; i++) {
		struct bpf_insn *in = &e->insns[i];
		const struct insn_aux *a = &e->aux[i];

		if (!a->ctx_field)
			continue;
		in->code = BPF_LDX | BPF_MEM |
			   (a->ctx_size == 8 ? BPF_DW :
			    a->ctx_size == 4 ? BPF_W :
			    a->ctx_size == 2 ? BPF_H : BPF_B);
		in->off = a->ctx_field - 1;
	}
}

/* A bpf_loop call the kernel would inline runs the inlined version's
 * semantics: the interpreter reads off 1 (helper calls have off 0). */
static void mark_inlined_loops(struct env *e)
{
	uint32_t i;

	for (i = 0; i < e->cnt; i++)
		if (e->aux[i].calls_callback &&
		    e->aux[i].loop_inline == LOOP_INLINE_FIT)
			e->insns[i].off = 1;
}

/* As the kernel's bpf_check_tail_call() once the program is verified: it
 * must fit every PROG_ARRAY it uses (the first program to use or enter an
 * array sets its type and expected attach type). */
static int check_prog_arrays(struct env *e)
{
	size_t i;
	int err;

	for (i = 0; i < e->prog->nr_used_maps; i++) {
		struct uebpf_map *m = e->prog->used_maps[i];

		if (m->type != BPF_MAP_TYPE_PROG_ARRAY)
			continue;
		err = uebpf_prog_array_compatible(m, e->prog);
		if (err) {
			verbose(e, "program does not fit PROG_ARRAY '%s': its programs have another type or expected attach type\n",
				m->name);
			return err;
		}
	}
	return 0;
}

static void free_env(struct env *e)
{
	uint32_t i;

	for (i = 0; i < e->cnt && e->explored; i++) {
		struct vstate *st = e->explored[i], *n;

		for (; st; st = n) {
			n = st->next;
			free_state(st);
		}
	}
	while (e->nstack)
		free_state(e->stack[--e->nstack].st);
	while (e->evicted) {
		struct vstate *n = e->evicted->next;

		free_state(e->evicted);
		e->evicted = n;
	}
	free_state(e->cur);
	free(e->stack);
	free(e->path);
	free(e->explored);
	free(e->aux);
	free(e->subprog_stack);
}

int uebpf_verify(struct uebpf_prog *prog, struct uebpf_vlog *log)
{
	struct env env = { 0 }, *e = &env;
	struct frame *f0;
	int err, max_depth = 0, frames = 0;

	if (!ctx_desc_for(prog->type)) {
		const char *n = uebpf_prog_type_name(prog->type);

		uebpf_vlog_printf(log, "program type %s is not supported by the verifier\n",
				  n ? n : "unknown");
		return -EOPNOTSUPP;
	}
	e->prog = prog;
	e->insns = prog->insns;
	e->cnt = (uint32_t)prog->insn_cnt;
	e->log = log;
	e->aux = calloc(e->cnt + 1, sizeof(*e->aux));
	e->explored = calloc(e->cnt + 1, sizeof(*e->explored));
	e->subprog_stack = calloc(e->cnt + 1, sizeof(*e->subprog_stack));
	e->cur = calloc(1, sizeof(*e->cur));
	f0 = calloc(1, sizeof(*f0));
	if (!e->aux || !e->explored || !e->subprog_stack || !e->cur || !f0) {
		free(f0);
		err = -ENOMEM;
		goto out;
	}
	err = mark_subprogs_and_prune_points(e);
	if (err) {
		free(f0);
		goto out;
	}
	compute_liveness(e);

	f0->callsite = -1;
	f0->regs[BPF_REG_1].type = PTR_TO_CTX;
	mark_known(&f0->regs[BPF_REG_1], 0);
	f0->regs[BPF_REG_10].type = PTR_TO_STACK;
	mark_known(&f0->regs[BPF_REG_10], 0);
	e->cur->fr[0] = f0;

	err = do_check(e);
	if (!err)
		err = stack_chain(e, 0, 0, &max_depth, &frames);
	if (log && (log->level & 4) && !err)
		trace(e, "stack depth %d\n", max_depth);
	if (log && log->level)
		trace(e, "processed %u insns (limit %d) max_states_per_insn %u total_states %u peak_states %u mark_read 0\n",
			e->insn_processed, UEBPF_MAX_INSNS,
			e->max_states_per_insn, e->total_states,
			e->peak_states);
	if (err)
		goto out;
	err = check_prog_arrays(e);
	if (err)
		goto out;
	convert_ctx_accesses(e);
	mark_inlined_loops(e);
	prog->stack_depth = (uint32_t)max_depth;
	prog->verified = true;
	prog->checked = false;
out:
	free_env(e);
	return err;
}
