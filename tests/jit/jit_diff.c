/* SPDX-License-Identifier: MIT */
/*
 * The JIT against the interpreter on random programs.
 *
 *   jit_diff [--seed S] [--count N] [--seconds T] [--runs R] [--mutate PCT]
 *            [--blocks B] [--raw-len L] [--mode xdp|raw|calls|all]
 *            [--index I] [-v] [--self]
 *
 * Program i of seed S, in three forms:
 *
 * xdp: an XDP program from the verifier's generator (tests/verifier/gen.c),
 *   loaded into two runtimes whose maps (ARRAY, HASH, PERCPU_ARRAY,
 *   LRU_HASH, .data, .rodata) are made and filled alike, once with engine
 *   INTERP and once with engine JIT (every other program with constant
 *   blinding).  What the verifier refuses is skipped (both engines must
 *   agree on that too).  R packets of various lengths and metadata go
 *   through both, one after the other in the same frame (odd ones as CPU
 *   slot 1, even ones as slot 0): the verdict (r0),
 *   the error, the frame's bytes, the new data / data_end / data_meta and
 *   every map's contents after each packet must be the same.
 *
 * raw: a straight-line program with forward jumps over r0..r9 (every ALU
 *   op and width with random and edge immediates, sign-extending moves,
 *   byte swaps, JMP / JMP32 of every kind, stack loads, stores and
 *   atomics, its memory, a subprogram it passes a stack pointer), run
 *   unverified (checked) by uebpf_prog_run() with each engine: the error
 *   and its message, r0 and the registers it dumps must be the same.
 *
 * calls: four XDP programs in a PROG_ARRAY built from idioms with helpers
 *   (adjust_head/meta/tail, bpf_loop, csum_diff, map lookups, tail calls),
 *   compared as in xdp mode (see calls_gen()).
 *
 * A difference prints the seed, the index, the program (as generated and
 * as it runs, uebpf_prog_dump_xlated), the packet and what differed, with
 * the command that replays it, and the exit status is 1.  A campaign that
 * compared nothing fails.  Without a JIT in the build it says so and
 * exits 0 (skipped); --self compares the interpreter with itself, to test
 * this program on such a build.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "../../xdp/xdp.h"
#include "../verifier/gen.h"
#include "../verifier/harness.h"
#include "../unit/log_mask.h"

struct opts {
	uint64_t seed;
	uint64_t count;
	double seconds;
	unsigned int runs;
	unsigned int mutate;
	unsigned int blocks;
	unsigned int raw_len;
	bool xdp, raw, calls;
	long long index;
	bool verbose;
	bool self;
};

static struct opts o = {
	.seed = 1,
	.count = 1000,
	.runs = 8,
	.mutate = 30,
	.raw_len = 64,
	.xdp = true,
	.raw = true,
	.calls = true,
	.index = -1,
};

enum { A, B }; /* A: the interpreter, B: the JIT */

static char last_warn[2][512];

static void log_fn(enum uebpf_log_level level, const char *msg, void *ctx)
{
	char *w = ctx;

	if (level == UEBPF_LOG_WARN)
		snprintf(w, sizeof(last_warn[0]), "%s", msg);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t prog_seed(uint64_t seed, uint64_t i)
{
	uint64_t s = seed ^ (i * 0xd1342543de82ef95ull);

	s += 0x9e3779b97f4a7c15ull;
	s = (s ^ (s >> 30)) * 0xbf58476d1ce4e5b9ull;
	s = (s ^ (s >> 27)) * 0x94d049bb133111ebull;
	return s ^ (s >> 31);
}

/* ---- two environments ------------------------------------------------------
 */

/* The harness's maps, made the same way in each runtime (so their ids
 * agree); no checking helper wrappers: the programs are verified. */
static int env_init(struct sh_env *e, int which, uint8_t *frame)
{
	int err = sh_env_init_maps(e, log_fn, last_warn[which]);

	if (err)
		return err;
	e->frame = frame; /* shared: packet pointers agree */
	e->vlog_size = 1 << 20;
	e->vlog = malloc(e->vlog_size);
	if (!e->vlog)
		return -ENOMEM;
	e->vlog[0] = '\0';
	return 0;
}

static void env_free(struct sh_env *e)
{
	unsigned int i;

	for (i = 0; i < e->nr_maps; i++)
		uebpf_map_put(e->maps[i]);
	if (e->rt)
		uebpf_runtime_free(e->rt);
	free(e->vlog);
	memset(e, 0, sizeof(*e));
}

static struct uebpf_prog *load(struct sh_env *e, int which,
			       enum bpf_prog_type type,
			       const struct bpf_insn *insns, size_t cnt,
			       bool blind)
{
	UEBPF_OPTS(uebpf_prog_load_opts, lo, .name = "gen", .log_buf = e->vlog,
		   .log_size = e->vlog_size, .log_level = 1,
		   .engine = which == A || o.self ? UEBPF_ENGINE_INTERP
						  : UEBPF_ENGINE_JIT,
		   .jit_blinding = which == B && blind && !o.self);

	e->vlog[0] = '\0';
	return uebpf_prog_load(e->rt, type, insns, cnt, &lo);
}

static void free_prog(struct sh_env *e, struct uebpf_prog *prog)
{
	uebpf_prog_free(prog);
	uebpf_epoch_synchronize(&e->rt->epoch);
}

/* ---- reporting -------------------------------------------------------------
 */

static void hexdump(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s%02x%s", i % 16 ? "" : "    ", p[i],
		       i % 16 == 15 || i + 1 == n ? "\n" : " ");
}

static void dump_xlated(const char *title, const struct uebpf_prog *prog)
{
	static char buf[1 << 20];

	if (!prog)
		return;
	if (uebpf_prog_dump_xlated(prog, buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "(dump failed)\n");
	printf("%s (%zu insns, engine %s, %zu bytes of code):\n%s", title,
	       uebpf_prog_insn_cnt(prog),
	       uebpf_prog_engine(prog) == UEBPF_ENGINE_JIT ? "jit" : "interp",
	       uebpf_prog_jited_len(prog), buf);
}

static unsigned long long failures;

static void fail_head(const char *mode, unsigned long long idx,
		      const char *what, bool blind)
{
	failures++;
	printf("\n==== JIT DIFFERENCE (%s): %s\n", mode, what);
	printf("seed %llu, program %llu%s\n", (unsigned long long)o.seed, idx,
	       blind ? ", constant blinding on" : "");
	printf("reproduce: jit_diff --seed %llu --index %llu --mode %s "
	       "--runs %u --mutate %u --blocks %u --raw-len %u -v\n",
	       (unsigned long long)o.seed, idx, mode, o.runs, o.mutate,
	       o.blocks, o.raw_len);
}

/* ---- xdp mode --------------------------------------------------------------
 */

/* One map's contents in both environments; 0 when equal, else prints
 * the first difference and returns 1. */
static bool quiet; /* cmp_map prints no values */

static int cmp_map(struct sh_env *e, unsigned int i, char *why, size_t wsz)
{
	struct uebpf_map *ma = e[A].maps[i], *mb = e[B].maps[i];
	const struct gen_map *g = &e[A].gmaps[i];
	uint8_t key[64], va[4096], vb[4096];
	size_t vsz = g->value_size;
	unsigned int na = 0, nb = 0;
	int ra, rb;

	if (g->type == BPF_MAP_TYPE_PERCPU_ARRAY)
		vsz = (size_t)((g->value_size + 7) & ~7u) *
		      uebpf_runtime_nr_cpus(e[A].rt);
	if (g->type == BPF_MAP_TYPE_ARRAY ||
	    g->type == BPF_MAP_TYPE_PERCPU_ARRAY) {
		uint32_t k;

		for (k = 0; k < g->max_entries; k++) {
			ra = uebpf_map_lookup_elem(ma, &k, va);
			rb = uebpf_map_lookup_elem(mb, &k, vb);
			if (ra || rb || memcmp(va, vb, vsz)) {
				size_t d = 0;

				while (d < vsz && va[d] == vb[d])
					d++;
				snprintf(why, wsz,
					 "map %s key %u: interp (%d) and jit "
					 "(%d) values differ at byte %zu",
					 uebpf_map_name(ma), k, ra, rb, d);
				if (quiet)
					return 1;
				printf("  interp value:\n");
				hexdump(va, vsz);
				printf("  jit value:\n");
				hexdump(vb, vsz);
				return 1;
			}
		}
		return 0;
	}
	/* hash maps: every key of each is in the other, equal */
	for (ra = uebpf_map_get_next_key(ma, NULL, key); !ra;
	     ra = uebpf_map_get_next_key(ma, key, key)) {
		na++;
		if (uebpf_map_lookup_elem(ma, key, va) ||
		    uebpf_map_lookup_elem(mb, key, vb) || memcmp(va, vb, vsz)) {
			snprintf(why, wsz, "map %s: an entry differs",
				 uebpf_map_name(ma));
			if (quiet)
				return 1;
			printf("  key:\n");
			hexdump(key, g->key_size);
			printf("  interp value:\n");
			hexdump(va, vsz);
			printf("  jit value (lookup %d):\n",
			       uebpf_map_lookup_elem(mb, key, vb));
			hexdump(vb, vsz);
			return 1;
		}
	}
	for (rb = uebpf_map_get_next_key(mb, NULL, key); !rb;
	     rb = uebpf_map_get_next_key(mb, key, key))
		nb++;
	if (na != nb) {
		snprintf(why, wsz, "map %s: interp has %u entries, jit %u",
			 uebpf_map_name(ma), na, nb);
		return 1;
	}
	return 0;
}

struct xdp_outcome {
	int err;
	uint64_t r0;
	ptrdiff_t data, data_end, data_meta;
	uint8_t frame[SH_FRAME];
};

struct stats {
	unsigned long long generated, accepted, refused, runs, raw_progs,
		raw_runs, raw_faults, xdp_errs, addr_dep, calls_sets,
		calls_refused, calls_runs;
};

/* What differs between two outcomes (and the maps of their two
 * environments), in why; "" when nothing. */
static void outcome_diff(struct sh_env *e, const struct xdp_outcome *out,
			 char *why, size_t wsz, const char *na, const char *nb)
{
	unsigned int m;

	why[0] = '\0';
	if (out[0].err != out[1].err || out[0].r0 != out[1].r0)
		snprintf(why, wsz, "%s: err %d r0 %#llx; %s: err %d r0 %#llx",
			 na, out[0].err, (unsigned long long)out[0].r0, nb,
			 out[1].err, (unsigned long long)out[1].r0);
	else if (out[0].data != out[1].data ||
		 out[0].data_end != out[1].data_end ||
		 out[0].data_meta != out[1].data_meta)
		snprintf(why, wsz,
			 "packet bounds (frame offsets): %s data %td end %td "
			 "meta %td; %s %td %td %td",
			 na, out[0].data, out[0].data_end, out[0].data_meta, nb,
			 out[1].data, out[1].data_end, out[1].data_meta);
	else if (memcmp(out[0].frame, out[1].frame, SH_FRAME)) {
		size_t d = 0;

		while (out[0].frame[d] == out[1].frame[d])
			d++;
		snprintf(why, wsz,
			 "frame bytes differ from offset %zu (data at %td): "
			 "%s %02x, %s %02x",
			 d, out[0].data, na, out[0].frame[d], nb,
			 out[1].frame[d]);
	}
	for (m = 0; m < e[0].nr_maps && !why[0]; m++)
		cmp_map(e, m, why, wsz);
}

static struct uebpf_xdp_ctx xctx; /* every run's: the same address */

static void run_packet(struct sh_env *e, struct uebpf_prog *prog,
		       struct gen_rng *rr, const struct gen_prog *p,
		       unsigned int k, uint8_t *frame, struct sh_packet *pk,
		       struct xdp_outcome *ot)
{
	sh_pick_packet(rr, p, k, pk);
	memset(frame, 0, SH_FRAME);
	sh_setup_packet(e, rr, pk, &xctx);
	/* odd packets on CPU slot 1: per-CPU values of another slot */
	uebpf_worker_bind(e->rt, k & 1);
	ot->r0 = 0xdeadbeef;
	ot->err = uebpf_xdp_run_ctx(prog, &xctx, &ot->r0);
	uebpf_worker_bind(e->rt, 0);
	ot->data = (uint8_t *)xctx.data - frame;
	ot->data_end = (uint8_t *)xctx.data_end - frame;
	ot->data_meta = (uint8_t *)xctx.data_meta - frame;
	memcpy(ot->frame, frame, SH_FRAME);
}

/* The interpreter from a fresh environment (maps elsewhere), its stack
 * pad bytes deeper: program i on packets 0..upto, the last's outcome in
 * *ot.  0, or -1 when it does not load. */
static int __attribute__((noinline))
replay(struct sh_env *e, const struct gen_prog *p, unsigned long long i,
       unsigned int upto, size_t pad, uint8_t *frame, struct xdp_outcome *ot)
{
	char *deeper = __builtin_alloca(pad + 16);
	struct uebpf_prog *prog;
	struct sh_packet pk;
	struct gen_rng rr;
	unsigned int k;

	__asm__ volatile("" : : "r"(deeper) : "memory");
	if (env_init(e, A, frame))
		return -1;
	prog = load(e, A, BPF_PROG_TYPE_XDP, p->insns, p->cnt, false);
	if (!prog)
		return -1;
	gen_rng_seed(&rr, prog_seed(o.seed ^ 0x5eed, i));
	sh_fill_maps(e, &rr);
	for (k = 0; k <= upto; k++)
		run_packet(e, prog, &rr, p, k, frame, &pk, ot);
	free_prog(e, prog);
	return 0;
}

/*
 * A program the verifier accepts may turn a pointer into a scalar (w4 =
 * w1, a 32-bit move, is a scalar to a privileged verifier) and let it
 * reach the packet, a map or r0: its results then depend on where the
 * stack and the maps are, which differ between the engines.  Two
 * interpreter runs whose stacks and maps lie elsewhere tell: when they
 * disagree too, the difference is not the JIT's.
 */
static bool address_dependent(const struct gen_prog *p, unsigned long long i,
			      unsigned int upto, uint8_t *frame)
{
	static struct xdp_outcome oc[2];
	struct sh_env c[2];
	bool dep = false;
	char why[512];

	memset(c, 0, sizeof(c));
	if (!replay(&c[0], p, i, upto, 0, frame, &oc[0]) &&
	    !replay(&c[1], p, i, upto, 3000, frame, &oc[1])) {
		quiet = true;
		outcome_diff(c, oc, why, sizeof(why), "interp", "interp");
		quiet = false;
		dep = why[0];
	}
	env_free(&c[0]);
	env_free(&c[1]);
	return dep;
}

static int xdp_one(struct sh_env *e, uint8_t *frame, unsigned long long i,
		   const struct gen_opts *go, struct stats *st)
{
	static struct gen_prog prog_buf;
	static struct xdp_outcome out[2];
	struct gen_prog *p = &prog_buf;
	struct uebpf_prog *prog[2];
	struct gen_rng r, rr[2];
	bool blind = i & 1;
	unsigned int k;
	int w, bad = 0;
	char why[512];

	gen_rng_seed(&r, prog_seed(o.seed, i));
	gen_program(&r, go, p);
	st->generated++;
	for (w = A; w <= B; w++) {
		prog[w] = load(&e[w], w, BPF_PROG_TYPE_XDP, p->insns, p->cnt,
			       blind);
	}
	if (o.verbose)
		printf("---- program %llu: %zu insns, %s: %s\n", i, p->cnt,
		       p->nr_mut ? "mutated" : "clean",
		       prog[A] ? "accepted" : "refused");
	if (!prog[A] != !prog[B]) {
		fail_head("xdp", i,
			  prog[A] ? "the JIT engine's load failed"
				  : "only the JIT engine's load "
				    "succeeded",
			  blind);
		printf("interp log (end):\n%s\n",
		       e[A].vlog + (strlen(e[A].vlog) > 2000
					    ? strlen(e[A].vlog) - 2000
					    : 0));
		printf("jit log (end):\n%s\n",
		       e[B].vlog + (strlen(e[B].vlog) > 2000
					    ? strlen(e[B].vlog) - 2000
					    : 0));
		gen_disasm(stdout, p->insns, p->cnt);
		bad = 1;
		goto out;
	}
	if (!prog[A]) {
		st->refused++;
		return 0;
	}
	st->accepted++;
	if (!o.self && uebpf_prog_engine(prog[B]) != UEBPF_ENGINE_JIT) {
		fail_head("xdp", i, "the JIT engine's program is interpreted",
			  blind);
		bad = 1;
		goto out;
	}
	/* the same map contents and packets for both */
	gen_rng_seed(&rr[A], prog_seed(o.seed ^ 0x5eed, i));
	rr[B] = rr[A];
	sh_fill_maps(&e[A], &rr[A]);
	sh_fill_maps(&e[B], &rr[B]);
	for (k = 0; k < o.runs && !bad; k++) {
		struct sh_packet pk;
		unsigned int m;

		for (w = A; w <= B; w++) {
			last_warn[w][0] = '\0';
			run_packet(&e[w], prog[w], &rr[w], p, k, frame, &pk,
				   &out[w]);
		}
		st->runs++;
		if (out[A].err)
			st->xdp_errs++;
		quiet = true;
		outcome_diff(e, out, why, sizeof(why), "interp", "jit");
		quiet = false;
		if (why[0] && address_dependent(p, i, k, frame)) {
			st->addr_dep++;
			if (o.verbose)
				printf("  run %u: %s; but the results depend "
				       "on addresses (a pointer leaked into a "
				       "scalar): not compared\n",
				       k, why);
			break;
		}
		if (why[0]) {
			fail_head("xdp", i, why, blind);
			printf("(two interpreter runs with the stack and the "
			       "maps elsewhere agree: no address leak)\n");
			for (m = 0; m < e[A].nr_maps; m++)
				if (cmp_map(e, m, why, sizeof(why)))
					break;
		}
		if (why[0]) {
			printf("packet %u (CPU slot %u): %u bytes, %u bytes of "
			       "metadata, ingress_ifindex %u, rx_queue_index "
			       "%u\n",
			       k, k & 1, pk.len, pk.meta, pk.ifindex, pk.rxq);
			if (last_warn[A][0])
				printf("interp log: %s", last_warn[A]);
			if (last_warn[B][0])
				printf("jit log: %s", last_warn[B]);
			bad = 1;
		} else if (o.verbose) {
			printf("  run %u: len %u meta %u: err %d r0 %llu\n", k,
			       pk.len, pk.meta, out[A].err,
			       (unsigned long long)out[A].r0);
		}
	}
	if (bad || (o.verbose && o.index >= 0)) {
		printf("program as generated (%zu insns, %s%s):\n", p->cnt,
		       p->nr_mut ? "mutated: " : "clean",
		       p->nr_mut ? p->muts : "");
		gen_disasm(stdout, p->insns, p->cnt);
		dump_xlated("program as run", prog[B]);
	}
out:
	for (w = A; w <= B; w++) {
		uebpf_worker_bind(e[w].rt, 0);
		if (prog[w])
			free_prog(&e[w], prog[w]);
	}
	fflush(stdout);
	return bad;
}

/* ---- raw mode --------------------------------------------------------------
 */

/*
 * r1 (the memory: 128 bytes) goes to r10 - 80; r10 - 64 .. r10 - 1 are
 * initialised and then loaded, stored and updated atomically at random;
 * the end stores r0..r9 at mem[0..80) through r10 - 88, as test_jit.c.
 */
#define RAW_MEM 128

static const uint64_t edges[] = {
	0,
	1,
	~0ull,
	0x7f,
	0x80,
	0xff,
	0x7fff,
	0x8000,
	0xffff,
	0x7fffffff,
	0x80000000,
	0xffffffff,
	0x100000000ull,
	0x7fffffffffffffffull,
	0x8000000000000000ull,
	0xffffffff80000000ull,
	63,
	64,
	31,
	32,
	-2ull,
};

static uint64_t rnd_val(struct gen_rng *r)
{
	switch (gen_below(r, 4)) {
	case 0: return edges[gen_below(r, sizeof(edges) / sizeof(edges[0]))];
	case 1: return (uint64_t)(int64_t)(int8_t)gen_below(r, 256);
	case 2: return (uint64_t)(int64_t)(int32_t)gen_u64(r);
	default: return gen_u64(r);
	}
}

static int32_t rnd_imm(struct gen_rng *r)
{
	return (int32_t)rnd_val(r);
}

struct rawp {
	struct bpf_insn i[1024];
	size_t n;
};

static void remit(struct rawp *p, uint8_t code, uint8_t dst, uint8_t src,
		  int16_t off, int32_t imm)
{
	if (p->n < sizeof(p->i) / sizeof(p->i[0]))
		p->i[p->n++] = (struct bpf_insn){.code = code,
						 .dst_reg = dst,
						 .src_reg = src,
						 .off = off,
						 .imm = imm};
}

static void rld64(struct rawp *p, uint8_t dst, uint64_t v)
{
	remit(p, BPF_LD | BPF_DW | BPF_IMM, dst, 0, 0, (int32_t)(uint32_t)v);
	remit(p, 0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
}

/* Forward jumps waiting for their target: patched when reached. */
struct pending {
	size_t pc;
	size_t target; /* index in the body */
};

/* Calls to the subprogram waiting for its address. */
struct rcalls {
	size_t pc[64];
	unsigned int n;
};

/*
 * len random blocks.  main: the memory (r1 at entry, saved at r10 - 80)
 * may be accessed, mostly in bounds (mem[80..128)), sometimes not (a
 * checked fault, which both engines must report alike), and calls to the
 * subprogram may be made (recorded in calls).  Forward jumps land within
 * the body or on what follows it.
 */
static void raw_body(struct gen_rng *r, struct rawp *p, unsigned int len,
		     bool main, struct rcalls *calls)
{
	static const uint8_t alu[] = {
		BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR,  BPF_AND,  BPF_LSH,
		BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH, BPF_END};
	static const uint8_t jmp[] = {BPF_JEQ, BPF_JGT,	 BPF_JGE,  BPF_JSET,
				      BPF_JNE, BPF_JSGT, BPF_JSGE, BPF_JLT,
				      BPF_JLE, BPF_JSLT, BPF_JSLE};
	static const uint8_t sizes[] = {BPF_B, BPF_H, BPF_W, BPF_DW};
	struct pending pend[256];
	unsigned int npend = 0, b, j;

	for (b = 0; b < len; b++) {
		uint8_t d = (uint8_t)gen_below(r, 10),
			s = (uint8_t)gen_below(r, 10);
		unsigned int kind = gen_below(r, 100);

		/* land pending jumps here */
		for (j = 0; j < npend;) {
			if (pend[j].target == b) {
				p->i[pend[j].pc].off =
					(int16_t)(p->n - pend[j].pc - 1);
				pend[j] = pend[--npend];
			} else {
				j++;
			}
		}
		if (kind < 56) {
			uint8_t op = alu[gen_below(r, sizeof(alu))];
			uint8_t cls = gen_chance(r, 50) ? BPF_ALU64 : BPF_ALU;
			bool x = gen_chance(r, 50);
			int16_t off = 0;
			int32_t imm = x ? 0 : rnd_imm(r);

			if (op == BPF_NEG) {
				remit(p, cls | op, d, 0, 0, 0);
				continue;
			}
			if (op == BPF_END) {
				static const int32_t w[] = {16, 32, 64};

				remit(p,
				      cls | op |
					      (gen_chance(r, 50) &&
							       cls == BPF_ALU
						       ? BPF_TO_BE
						       : BPF_TO_LE),
				      d, 0, 0, w[gen_below(r, 3)]);
				continue;
			}
			if ((op == BPF_DIV || op == BPF_MOD) &&
			    gen_chance(r, 50))
				off = 1;
			if (op == BPF_MOV && x && gen_chance(r, 30)) {
				static const int16_t m[] = {8, 16, 32};

				off = m[gen_below(r, cls == BPF_ALU64 ? 3 : 2)];
			}
			if ((op == BPF_LSH || op == BPF_RSH ||
			     op == BPF_ARSH) &&
			    !x && gen_chance(r, 80))
				imm = (int32_t)gen_below(
					r, cls == BPF_ALU64 ? 64 : 32);
			if ((op == BPF_DIV || op == BPF_MOD) && !x &&
			    gen_chance(r, 10))
				imm = 0;
			remit(p, cls | op | (x ? BPF_X : BPF_K), d, x ? s : 0,
			      off, imm);
		} else if (kind < 76) {
			/* a forward jump over a few blocks */
			uint8_t op = jmp[gen_below(r, sizeof(jmp))];
			uint8_t cls = gen_chance(r, 30) ? BPF_JMP32 : BPF_JMP;
			bool x = gen_chance(r, 50);
			size_t target = b + 1 + gen_below(r, 12);

			if (target > len)
				target = len;
			if (npend >= sizeof(pend) / sizeof(pend[0]))
				continue;
			if (gen_chance(r, 10)) {
				/* goto / gotol, behind a conditional jump
				 * over it (what follows must be reachable) */
				remit(p, BPF_JMP | op | BPF_K, d, 0, 1,
				      rnd_imm(r));
				if (gen_chance(r, 50))
					remit(p, BPF_JMP | BPF_JA, 0, 0, 0, 0);
				else
					remit(p, BPF_JMP32 | BPF_JA, 0, 0, 0,
					      0);
			} else {
				remit(p, cls | op | (x ? BPF_X : BPF_K), d,
				      x ? s : 0, 0, x ? 0 : rnd_imm(r));
			}
			pend[npend++] = (struct pending){p->n - 1, target};
		} else if (kind < 86) {
			/* stack loads and stores in r10 - 64 .. r10 - 1 */
			unsigned int si = gen_below(r, 4), n = 1u << si;
			int16_t off =
				(int16_t)(-(int)n *
					  (1 + (int)gen_below(r, 64 / n)));

			if (!gen_chance(r, 70))
				off = (int16_t)(-(int)n -
						(int)gen_below(r, 65 - n));
			switch (gen_below(r, 4)) {
			case 0:
				remit(p, BPF_LDX | BPF_MEM | sizes[si], d, 10,
				      off, 0);
				break;
			case 1:
				remit(p,
				      BPF_LDX | (si < 3 ? BPF_MEMSX : BPF_MEM) |
					      sizes[si],
				      d, 10, off, 0);
				break;
			case 2:
				remit(p, BPF_STX | BPF_MEM | sizes[si], 10, s,
				      off, 0);
				break;
			default:
				remit(p, BPF_ST | BPF_MEM | sizes[si], 10, 0,
				      off, rnd_imm(r));
				break;
			}
		} else if (kind < 92 && main) {
			/* the memory: d = r1 as it came; an access at
			 * mem[80..128), rarely out of bounds */
			unsigned int si = gen_below(r, 4), n = 1u << si;
			int16_t off = (int16_t)(80 + gen_below(r, 49 - n));

			if (gen_chance(r, 3))
				off = gen_chance(r, 50)
					      ? (int16_t)(RAW_MEM - n + 1 +
							  gen_below(r, 8))
					      : (int16_t) - (1 + (int)gen_below(
									 r, 8));
			if (d == s)
				s = (uint8_t)((s + 1) % 10);
			remit(p, BPF_LDX | BPF_MEM | BPF_DW, d, 10, -80, 0);
			switch (gen_below(r, 5)) {
			case 0:
				remit(p, BPF_LDX | BPF_MEM | sizes[si], s, d,
				      off, 0);
				break;
			case 1:
				remit(p, BPF_STX | BPF_MEM | sizes[si], d, s,
				      off, 0);
				break;
			case 2:
				remit(p, BPF_ST | BPF_MEM | sizes[si], d, 0,
				      off, rnd_imm(r));
				break;
			case 3:
				if (si < 3) {
					remit(p,
					      BPF_LDX | BPF_MEMSX | sizes[si],
					      s, d, off, 0);
					break;
				}
				/* fall through */
			default:
				/* an atomic, aligned unless out of bounds */
				si = 2 + gen_below(r, 2);
				n = 1u << si;
				if (off >= 80 && off + (int)n <= RAW_MEM)
					off = (int16_t)(off & ~(int)(n - 1));
				if (off < 80 && off >= 0)
					off = 80;
				remit(p, BPF_STX | BPF_ATOMIC | sizes[si], d, s,
				      off,
				      (int32_t[]){BPF_ADD, BPF_OR | BPF_FETCH,
						  BPF_XCHG, BPF_CMPXCHG,
						  BPF_XOR}[gen_below(r, 5)]);
				break;
			}
		} else if (kind < 95 && main && calls->n < 64) {
			/* a call, r9 pointing into this frame's initialised
			 * bytes (r1..r5 are the callee's afterwards; r9,
			 * restored, becomes a number again: stack addresses
			 * differ by engine) */
			remit(p, BPF_ALU64 | BPF_MOV | BPF_X, 9, 10, 0, 0);
			remit(p, BPF_ALU64 | BPF_ADD | BPF_K, 9, 0, 0, -64);
			calls->pc[calls->n++] = p->n;
			remit(p, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0);
			remit(p, BPF_ALU64 | BPF_MOV | BPF_K, 9, 0, 0,
			      rnd_imm(r));
		} else if (kind < 95 && !main) {
			/* the caller's frame through the pointer it passed
			 * (saved at r10 - 80): r10 - 64 .. r10 - 1 there */
			unsigned int si = gen_below(r, 4), n = 1u << si;
			int16_t off = (int16_t)gen_below(r, 65 - n);

			if (d == s)
				s = (uint8_t)((s + 1) % 10);
			remit(p, BPF_LDX | BPF_MEM | BPF_DW, d, 10, -80, 0);
			switch (gen_below(r, 4)) {
			case 0:
				remit(p, BPF_LDX | BPF_MEM | sizes[si], s, d,
				      off, 0);
				break;
			case 1:
				remit(p, BPF_STX | BPF_MEM | sizes[si], d, s,
				      off, 0);
				break;
			case 2:
				remit(p, BPF_ST | BPF_MEM | sizes[si], d, 0,
				      off, rnd_imm(r));
				break;
			default:
				remit(p, BPF_STX | BPF_ATOMIC | BPF_DW, d, s,
				      (int16_t)(off & ~7), BPF_ADD | BPF_FETCH);
				break;
			}
			/* no stack address may reach the caller */
			remit(p, BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0,
			      rnd_imm(r));
		} else {
			/* stack atomics, aligned */
			static const int32_t aops[] = {
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
			bool dw = gen_chance(r, 50);
			int16_t off =
				(int16_t)(dw ? -8 * (1 + (int)gen_below(r, 8))
					     : -4 * (1 +
						     (int)gen_below(r, 16)));

			remit(p, BPF_STX | BPF_ATOMIC | (dw ? BPF_DW : BPF_W),
			      10, s, off, aops[gen_below(r, 10)]);
		}
	}
	/* the end: pending jumps land on what follows */
	for (j = 0; j < npend; j++)
		p->i[pend[j].pc].off = (int16_t)(p->n - pend[j].pc - 1);
}

/* r10 - 64 .. r10 - 1 initialised (checked runs may read any byte, but
 * the engines need not agree on bytes never written). */
static void raw_init_stack(struct gen_rng *r, struct rawp *p)
{
	unsigned int k;

	for (k = 0; k < 8; k++) {
		rld64(p, (uint8_t)(k % 10), rnd_val(r));
		remit(p, BPF_STX | BPF_MEM | BPF_DW, 10, (uint8_t)(k % 10),
		      (int16_t)(-8 * (int)(k + 1)), 0);
	}
}

static void raw_gen(struct gen_rng *r, struct rawp *p, unsigned int len)
{
	struct rcalls calls = {.n = 0};
	size_t j, sub;
	unsigned int k;

	p->n = 0;
	remit(p, BPF_STX | BPF_MEM | BPF_DW, 10, 1, -80, 0);
	raw_init_stack(r, p);
	for (k = 0; k < 10; k++)
		rld64(p, (uint8_t)k, rnd_val(r));
	raw_body(r, p, len, true, &calls);
	/* the dump */
	remit(p, BPF_STX | BPF_MEM | BPF_DW, 10, 9, -88, 0);
	remit(p, BPF_LDX | BPF_MEM | BPF_DW, 9, 10, -80, 0);
	for (k = 0; k < 9; k++)
		remit(p, BPF_STX | BPF_MEM | BPF_DW, 9, (uint8_t)k,
		      (int16_t)(8 * k), 0);
	remit(p, BPF_LDX | BPF_MEM | BPF_DW, 8, 10, -88, 0);
	remit(p, BPF_STX | BPF_MEM | BPF_DW, 9, 8, 72, 0);
	remit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	if (calls.n) {
		/* the subprogram: its own stack, a body, exit */
		sub = p->n;
		/* the caller's pointer, kept where only the accesses
		 * above reach it */
		remit(p, BPF_STX | BPF_MEM | BPF_DW, 10, 9, -80, 0);
		remit(p, BPF_ALU64 | BPF_MOV | BPF_K, 9, 0, 0, rnd_imm(r));
		raw_init_stack(r, p);
		raw_body(r, p, 1 + gen_below(r, len / 2 + 1), false, &calls);
		remit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
		for (k = 0; k < calls.n; k++)
			p->i[calls.pc[k]].imm =
				(int32_t)(sub - calls.pc[k] - 1);
	}
	for (j = 0; j < p->n; j++)
		if (p->i[j].code == (BPF_JMP32 | BPF_JA)) {
			p->i[j].imm = p->i[j].off;
			p->i[j].off = 0;
		}
}

static int raw_one(struct sh_env *e, unsigned long long i, struct stats *st)
{
	static struct rawp p;
	static uint8_t mem[RAW_MEM] __attribute__((aligned(64)));
	uint8_t out[2][RAW_MEM];
	struct uebpf_prog *prog[2];
	uint64_t r0[2];
	int err[2], w, bad = 0;
	bool blind = !(i & 1);
	struct gen_rng r;
	char why[256] = "";

	gen_rng_seed(&r, prog_seed(o.seed ^ 0x4a17, i));
	raw_gen(&r, &p, 1 + gen_below(&r, o.raw_len));
	for (w = A; w <= B; w++) {
		prog[w] = load(&e[w], w, BPF_PROG_TYPE_UNSPEC, p.i, p.n, blind);
		if (!prog[w]) {
			fail_head("raw", i,
				  w == A ? "the interpreter's load failed (the "
					   "generator is wrong)"
					 : "the JIT engine's load failed",
				  blind);
			printf("log: %s\n", e[w].vlog);
			gen_disasm(stdout, p.i, p.n);
			if (prog[A])
				free_prog(&e[A], prog[A]);
			return 1;
		}
	}
	st->raw_progs++;
	if (!o.self && uebpf_prog_engine(prog[B]) != UEBPF_ENGINE_JIT) {
		fail_head("raw", i, "the JIT engine's program is interpreted",
			  blind);
		bad = 1;
	}
	for (w = A; w <= B && !bad; w++) {
		size_t k;

		for (k = 0; k < RAW_MEM; k++)
			mem[k] = (uint8_t)(k * 7 + i);
		last_warn[w][0] = '\0';
		r0[w] = 0x1234;
		err[w] = uebpf_prog_run(prog[w], mem, RAW_MEM, &r0[w]);
		memcpy(out[w], mem, RAW_MEM);
	}
	if (!bad) {
		st->raw_runs++;
		if (err[A])
			st->raw_faults++;
		if (err[A] != err[B] || r0[A] != r0[B])
			snprintf(
				why, sizeof(why),
				"interp: err %d r0 %#llx; jit: err %d r0 %#llx",
				err[A], (unsigned long long)r0[A], err[B],
				(unsigned long long)r0[B]);
		else if (!same_logs(last_warn[A], last_warn[B]))
			snprintf(why, sizeof(why),
				 "the runs stopped with different messages");
		else if (memcmp(out[A], out[B], RAW_MEM)) {
			size_t d = 0;

			while (out[A][d] == out[B][d])
				d++;
			snprintf(
				why, sizeof(why),
				"register dump differs at byte %zu (r%zu): "
				"interp %#llx, jit %#llx",
				d, d / 8,
				(unsigned long long)((uint64_t *)out[A])[d / 8],
				(unsigned long long)((
					uint64_t *)out[B])[d / 8]);
		}
		if (why[0]) {
			fail_head("raw", i, why, blind);
			if (last_warn[A][0])
				printf("interp log: %s", last_warn[A]);
			if (last_warn[B][0])
				printf("jit log: %s", last_warn[B]);
			bad = 1;
		}
	}
	if (bad || (o.verbose && o.index >= 0))
		dump_xlated("program", prog[A]);
	else if (o.verbose)
		printf("---- raw program %llu: %zu insns: err %d r0 %#llx\n", i,
		       p.n, err[A], (unsigned long long)r0[A]);
	for (w = A; w <= B; w++)
		free_prog(&e[w], prog[w]);
	fflush(stdout);
	return bad;
}

/* ---- calls mode ------------------------------------------------------------
 */

/*
 * Four XDP programs in a PROG_ARRAY (slots 1..4; 0 and 5 stay empty),
 * each from idioms the generator of tests/verifier does not make:
 * bpf_xdp_adjust_head / _meta / _tail with the packet reloaded after,
 * packet loads and stores, bpf_loop over a callback that updates a stack
 * struct, bpf_csum_diff, lookups in an ARRAY and a PERCPU_ARRAY (which the
 * JIT inlines) and tail calls (within the array, out of range or to an
 * empty slot), then a verdict.  Both runtimes are made afresh for each
 * program set; program 0 runs on the packets.
 */
#define NR_CALLS_PROGS 4

struct callsenv {
	struct uebpf_runtime *rt;
	struct uebpf_map *jmp, *acc, *pacc;
	struct uebpf_prog *prog[NR_CALLS_PROGS];
};

static void calls_gen(struct gen_rng *r, struct rawp *p, unsigned int j,
		      uint32_t jmp, uint32_t acc, uint32_t pacc)
{
	static const int32_t deltas[] = {-32, -16, -8, -4, 0, 4, 8, 14, 16, 40};
	static const int32_t helpers[] = {BPF_FUNC_xdp_adjust_head,
					  BPF_FUNC_xdp_adjust_meta,
					  BPF_FUNC_xdp_adjust_tail};
	static const uint8_t sizes[] = {BPF_B, BPF_H, BPF_W, BPF_DW};
	static const uint8_t ops[] = {BPF_ADD, BPF_MUL, BPF_LSH,
				      BPF_RSH, BPF_XOR, BPF_ARSH};
	size_t out_jump, cb_ld = 0;
	unsigned int k, n;
	bool loop = false;

	p->n = 0;
	remit(p, BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0);
	rld64(p, 7, rnd_val(r));
	rld64(p, 8, rnd_val(r));
	rld64(p, 9, rnd_val(r));
	if (gen_chance(r, 50)) {
		remit(p, BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0);
		remit(p, BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0,
		      deltas[gen_below(r, 10)]);
		remit(p, BPF_JMP | BPF_CALL, 0, 0, 0, helpers[gen_below(r, 3)]);
		remit(p, BPF_ALU64 | BPF_XOR | BPF_X, 7, 0, 0, 0);
	}
	/* r2 = data, r3 = data_end; at least 32 bytes, or out */
	remit(p, BPF_LDX | BPF_MEM | BPF_W, 2, 6, 0, 0);
	remit(p, BPF_LDX | BPF_MEM | BPF_W, 3, 6, 4, 0);
	remit(p, BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0);
	remit(p, BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, 32);
	out_jump = p->n;
	remit(p, BPF_JMP | BPF_JGT | BPF_X, 4, 3, 0, 0);
	n = 2 + gen_below(r, 10);
	for (k = 0; k < n; k++) {
		unsigned int si = gen_below(r, 4), sz = 1u << si;
		int16_t off = (int16_t)gen_below(r, 33 - sz);
		uint8_t d = (uint8_t)(7 + gen_below(r, 3));

		switch (gen_below(r, 4)) {
		case 0:
			remit(p, BPF_LDX | BPF_MEM | sizes[si], 5, 2, off, 0);
			remit(p, BPF_ALU64 | BPF_XOR | BPF_X, d, 5, 0, 0);
			break;
		case 1:
			remit(p, BPF_STX | BPF_MEM | sizes[si], 2, d, off, 0);
			break;
		case 2:
			remit(p,
			      (gen_chance(r, 50) ? BPF_ALU64 : BPF_ALU) |
				      ops[gen_below(r, 6)] | BPF_K,
			      d, 0, 0, (int32_t)gen_below(r, 32));
			break;
		default:
			remit(p, BPF_ALU64 | BPF_ADD | BPF_X, d,
			      (uint8_t)(7 + gen_below(r, 3)), 0, 0);
			break;
		}
	}
	if (gen_chance(r, 50)) {
		/* the packet's byte 5 & 15 (or & 0x3ff) iterations over a
		 * stack struct {r7, r8} */
		loop = true;
		remit(p, BPF_LDX | BPF_MEM | BPF_B, 1, 2, 5, 0);
		remit(p, BPF_ALU64 | BPF_AND | BPF_K, 1, 0, 0,
		      gen_chance(r, 80) ? 15 : 0x3ff);
		remit(p, BPF_STX | BPF_MEM | BPF_DW, 10, 7, -16, 0);
		remit(p, BPF_STX | BPF_MEM | BPF_DW, 10, 8, -8, 0);
		cb_ld = p->n;
		remit(p, BPF_LD | BPF_DW | BPF_IMM, 2, BPF_PSEUDO_FUNC, 0, 0);
		remit(p, 0, 0, 0, 0, 0);
		remit(p, BPF_ALU64 | BPF_MOV | BPF_X, 3, 10, 0, 0);
		remit(p, BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, -16);
		remit(p, BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0);
		remit(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_loop);
		remit(p, BPF_ALU64 | BPF_XOR | BPF_X, 9, 0, 0, 0);
		remit(p, BPF_LDX | BPF_MEM | BPF_DW, 7, 10, -16, 0);
		remit(p, BPF_LDX | BPF_MEM | BPF_DW, 8, 10, -8, 0);
	}
	if (gen_chance(r, 40)) {
		/* csum_diff(&r9 on the stack, 8, {r7, r8}, 16, r9) */
		remit(p, BPF_STX | BPF_MEM | BPF_DW, 10, 7, -32, 0);
		remit(p, BPF_STX | BPF_MEM | BPF_DW, 10, 8, -24, 0);
		remit(p, BPF_STX | BPF_MEM | BPF_DW, 10, 9, -40, 0);
		remit(p, BPF_ALU64 | BPF_MOV | BPF_X, 1, 10, 0, 0);
		remit(p, BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, -40);
		remit(p, BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 8);
		remit(p, BPF_ALU64 | BPF_MOV | BPF_X, 3, 10, 0, 0);
		remit(p, BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, -32);
		remit(p, BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 16);
		remit(p, BPF_ALU64 | BPF_MOV | BPF_X, 5, 9, 0, 0);
		remit(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_csum_diff);
		remit(p, BPF_ALU64 | BPF_ADD | BPF_X, 8, 0, 0, 0);
	}
	for (k = 0; k < 2; k++) {
		/* acc[r8 & 7] += r7, then pacc (keys 6, 7 miss) */
		remit(p, BPF_ALU64 | BPF_MOV | BPF_X, 1, 8, 0, 0);
		remit(p, BPF_ALU64 | BPF_AND | BPF_K, 1, 0, 0, 7);
		remit(p, BPF_STX | BPF_MEM | BPF_W, 10, 1, -44, 0);
		remit(p, BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0,
		      (int32_t)(k ? pacc : acc));
		remit(p, 0, 0, 0, 0, 0);
		remit(p, BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0);
		remit(p, BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -44);
		remit(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
		remit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3, 0);
		remit(p, BPF_LDX | BPF_MEM | BPF_DW, 1, 0, 0, 0);
		remit(p, BPF_ALU64 | BPF_ADD | BPF_X, 1, 7, 0, 0);
		remit(p, BPF_STX | BPF_MEM | BPF_DW, 0, 1, 0, 0);
	}
	if (gen_chance(r, 60)) {
		remit(p, BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0);
		remit(p, BPF_LD | BPF_DW | BPF_IMM, 2, BPF_PSEUDO_MAP_FD, 0,
		      (int32_t)jmp);
		remit(p, 0, 0, 0, 0, 0);
		remit(p, BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0,
		      (int32_t)((j + 1 + gen_below(r, 5)) % 7));
		remit(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call);
	}
	/* out: the verdict from r7 ^ r8 ^ r9 */
	p->i[out_jump].off = (int16_t)(p->n - out_jump - 1);
	remit(p, BPF_ALU64 | BPF_MOV | BPF_X, 0, 7, 0, 0);
	remit(p, BPF_ALU64 | BPF_XOR | BPF_X, 0, 8, 0, 0);
	remit(p, BPF_ALU64 | BPF_XOR | BPF_X, 0, 9, 0, 0);
	remit(p, BPF_ALU64 | BPF_AND | BPF_K, 0, 0, 0, 3);
	remit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	if (loop) {
		/* callback(i, s): s[0] = s[0] * 31 + i; s[1] ^= s[0]; stops
		 * (returns 1) at i == a random index */
		p->i[cb_ld].imm = (int32_t)(p->n - cb_ld - 1);
		remit(p, BPF_LDX | BPF_MEM | BPF_DW, 3, 2, 0, 0);
		remit(p, BPF_ALU64 | BPF_MUL | BPF_K, 3, 0, 0, 31);
		remit(p, BPF_ALU64 | BPF_ADD | BPF_X, 3, 1, 0, 0);
		remit(p, BPF_STX | BPF_MEM | BPF_DW, 2, 3, 0, 0);
		remit(p, BPF_LDX | BPF_MEM | BPF_DW, 4, 2, 8, 0);
		remit(p, BPF_ALU64 | BPF_XOR | BPF_X, 4, 3, 0, 0);
		remit(p, BPF_STX | BPF_MEM | BPF_DW, 2, 4, 8, 0);
		remit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
		remit(p, BPF_JMP | BPF_JNE | BPF_K, 1, 0, 1,
		      (int32_t)gen_below(r, 20));
		remit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
		remit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
}

/* A runtime with the maps and the four programs of set i; 0, or -(j + 1)
 * when program j is refused (the log in vlog), or another -errno. */
static int calls_env(struct callsenv *c, int which, unsigned long long i,
		     struct rawp *progs, char *vlog, size_t vsize)
{
	UEBPF_OPTS(uebpf_runtime_opts, ro, .nr_cpus = 2, .log_fn = log_fn,
		   .log_ctx = last_warn[which]);
	struct gen_rng r;
	unsigned int j;

	memset(c, 0, sizeof(*c));
	c->rt = uebpf_runtime_new(&ro);
	if (!c->rt)
		return -ENOMEM;
	c->jmp = uebpf_map_create(c->rt, BPF_MAP_TYPE_PROG_ARRAY, "jmp", 4, 4,
				  NR_CALLS_PROGS + 2, NULL);
	c->acc = uebpf_map_create(c->rt, BPF_MAP_TYPE_ARRAY, "acc", 4, 8, 6,
				  NULL);
	c->pacc = uebpf_map_create(c->rt, BPF_MAP_TYPE_PERCPU_ARRAY, "pacc", 4,
				   8, 6, NULL);
	if (!c->jmp || !c->acc || !c->pacc)
		return -ENOMEM;
	gen_rng_seed(&r, prog_seed(o.seed ^ 0xca11, i));
	for (j = 0; j < NR_CALLS_PROGS; j++) {
		UEBPF_OPTS(uebpf_prog_load_opts, lo, .name = "calls",
			   .log_buf = vlog, .log_size = vsize, .log_level = 1,
			   .engine = which == A || o.self ? UEBPF_ENGINE_INTERP
							  : UEBPF_ENGINE_JIT,
			   .jit_blinding =
				   which == B && !o.self && ((i >> j) & 1));
		uint32_t id, slot = j + 1;

		calls_gen(&r, &progs[j], j, uebpf_map_id(c->jmp),
			  uebpf_map_id(c->acc), uebpf_map_id(c->pacc));
		vlog[0] = '\0';
		c->prog[j] = uebpf_prog_load(c->rt, BPF_PROG_TYPE_XDP,
					     progs[j].i, progs[j].n, &lo);
		if (!c->prog[j])
			return -(int)(j + 1);
		id = uebpf_prog_id(c->prog[j]);
		if (uebpf_map_update_elem(c->jmp, &slot, &id, 0))
			return -EINVAL;
	}
	return 0;
}

static void calls_free(struct callsenv *c)
{
	unsigned int j;

	for (j = 0; j < NR_CALLS_PROGS; j++)
		if (c->prog[j])
			uebpf_prog_free(c->prog[j]);
	if (c->jmp)
		uebpf_map_put(c->jmp);
	if (c->acc)
		uebpf_map_put(c->acc);
	if (c->pacc)
		uebpf_map_put(c->pacc);
	if (c->rt)
		uebpf_runtime_free(c->rt);
}

static int calls_one(uint8_t *frame, unsigned long long i, struct stats *st)
{
	static const unsigned int lens[] = {14, 31, 32,	 33,  40,
					    60, 64, 100, 1500};
	static const unsigned int metas[] = {0, 4, 8, 32};
	static struct rawp progs[2][NR_CALLS_PROGS];
	static struct xdp_outcome out[2];
	static char vlog[2][1 << 16];
	struct callsenv c[2];
	struct gen_rng pr;
	unsigned int k, j;
	int w, err[2], bad = 0;
	char why[512] = "";

	for (w = A; w <= B; w++)
		err[w] = calls_env(&c[w], w, i, progs[w], vlog[w],
				   sizeof(vlog[w]));
	if (err[A] || err[B]) {
		if (err[A] != err[B]) {
			fail_head("calls", i, "the engines' loads disagree",
				  false);
			printf("interp: %d\n%s\njit: %d\n%s\n", err[A], vlog[A],
			       err[B], vlog[B]);
			bad = 1;
		} else if (!st->calls_refused++ || o.verbose) {
			printf("jit_diff: calls program set %llu refused (%d): "
			       "%s",
			       i, err[A],
			       vlog[A] + (strlen(vlog[A]) > 300
						  ? strlen(vlog[A]) - 300
						  : 0));
		}
		goto out;
	}
	st->calls_sets++;
	gen_rng_seed(&pr, prog_seed(o.seed ^ 0xbac, i));
	for (k = 0; k < o.runs && !bad; k++) {
		unsigned int len = lens[gen_below(&pr, 9)];
		unsigned int meta = metas[gen_below(&pr, 4)];
		uint64_t seed = gen_u64(&pr);
		unsigned int m;

		for (w = A; w <= B; w++) {
			struct xdp_outcome *ot = &out[w];
			struct gen_rng br;
			size_t b;

			gen_rng_seed(&br, seed);
			memset(frame, 0, SH_FRAME);
			for (b = 0; b < meta + len; b++)
				frame[SH_HEADROOM - meta + b] =
					(uint8_t)gen_below(&br, 256);
			memset(&xctx, 0, sizeof(xctx));
			xctx.data_hard_start = frame;
			xctx.data = frame + SH_HEADROOM;
			xctx.data_end = frame + SH_HEADROOM + len;
			xctx.data_meta = frame + SH_HEADROOM - meta;
			xctx.ingress_ifindex = 1;
			xctx.frame_sz = SH_FRAME;
			last_warn[w][0] = '\0';
			uebpf_worker_bind(c[w].rt, k & 1);
			ot->r0 = 0xdeadbeef;
			ot->err =
				uebpf_xdp_run_ctx(c[w].prog[0], &xctx, &ot->r0);
			uebpf_worker_bind(c[w].rt, 0);
			ot->data = (uint8_t *)xctx.data - frame;
			ot->data_end = (uint8_t *)xctx.data_end - frame;
			ot->data_meta = (uint8_t *)xctx.data_meta - frame;
			memcpy(ot->frame, frame, SH_FRAME);
		}
		st->calls_runs++;
		why[0] = '\0';
		if (out[A].err != out[B].err || out[A].r0 != out[B].r0)
			snprintf(
				why, sizeof(why),
				"interp: err %d r0 %#llx; jit: err %d r0 %#llx",
				out[A].err, (unsigned long long)out[A].r0,
				out[B].err, (unsigned long long)out[B].r0);
		else if (out[A].data != out[B].data ||
			 out[A].data_end != out[B].data_end ||
			 out[A].data_meta != out[B].data_meta ||
			 memcmp(out[A].frame, out[B].frame, SH_FRAME))
			snprintf(why, sizeof(why),
				 "the packet differs (interp data %td end %td "
				 "meta %td; jit %td %td %td)",
				 out[A].data, out[A].data_end, out[A].data_meta,
				 out[B].data, out[B].data_end,
				 out[B].data_meta);
		for (m = 0; m < 2 && !why[0]; m++) {
			struct uebpf_map *ma = m ? c[A].pacc : c[A].acc;
			struct uebpf_map *mb = m ? c[B].pacc : c[B].acc;
			uint64_t va[2], vb[2];
			uint32_t key;

			for (key = 0; key < 6; key++) {
				memset(va, 0, sizeof(va));
				memset(vb, 0, sizeof(vb));
				uebpf_map_lookup_elem(ma, &key, va);
				uebpf_map_lookup_elem(mb, &key, vb);
				if (!memcmp(va, vb, m ? 16 : 8))
					continue;
				snprintf(why, sizeof(why),
					 "map %s key %u: interp %#llx %#llx, "
					 "jit %#llx %#llx",
					 m ? "pacc" : "acc", key,
					 (unsigned long long)va[0],
					 (unsigned long long)va[1],
					 (unsigned long long)vb[0],
					 (unsigned long long)vb[1]);
				break;
			}
		}
		if (why[0]) {
			fail_head("calls", i, why, false);
			printf("packet %u (CPU slot %u): %u bytes, %u of "
			       "metadata\n",
			       k, k & 1, len, meta);
			if (last_warn[A][0])
				printf("interp log: %s", last_warn[A]);
			if (last_warn[B][0])
				printf("jit log: %s", last_warn[B]);
			bad = 1;
		}
	}
	if (bad || (o.verbose && o.index >= 0))
		for (j = 0; j < NR_CALLS_PROGS; j++) {
			char t[48];

			snprintf(t, sizeof(t), "program %u (slot %u)", j,
				 j + 1);
			dump_xlated(t, c[B].prog[j]);
		}
out:
	for (w = A; w <= B; w++)
		calls_free(&c[w]);
	fflush(stdout);
	return bad;
}

/* ---- main ------------------------------------------------------------------
 */

static void usage(void)
{
	fprintf(stderr,
		"usage: jit_diff [--seed S] [--count N] [--seconds T] "
		"[--runs R] [--mutate PCT]\n"
		"                [--blocks B] [--raw-len L] "
		"[--mode xdp|raw|calls|all] [--index I] [-v] [--self]\n");
	exit(2);
}

static bool build_has_jit(void)
{
	static const struct bpf_insn ret[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = 1},
		{.code = BPF_JMP | BPF_EXIT},
	};
	UEBPF_OPTS(uebpf_runtime_opts, ro, .log_quiet = 1);
	UEBPF_OPTS(uebpf_prog_load_opts, lo, .engine = UEBPF_ENGINE_JIT);
	struct uebpf_runtime *rt = uebpf_runtime_new(&ro);
	struct uebpf_prog *p;
	bool yes;

	if (!rt)
		return false;
	p = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, ret, 2, &lo);
	yes = p && uebpf_prog_engine(p) == UEBPF_ENGINE_JIT;
	uebpf_prog_free(p);
	uebpf_runtime_free(rt);
	return yes;
}

int main(int argc, char **argv)
{
	static uint8_t frame[SH_FRAME] __attribute__((aligned(4096)));
	struct sh_env env[2];
	struct stats st = {0};
	unsigned long long i, first, last;
	struct gen_opts go;
	double t0 = now();
	int a, err;

	for (a = 1; a < argc; a++) {
		const char *v = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(argv[a], "--seed") && v)
			o.seed = strtoull(v, NULL, 0), a++;
		else if (!strcmp(argv[a], "--count") && v)
			o.count = strtoull(v, NULL, 0), a++;
		else if (!strcmp(argv[a], "--seconds") && v)
			o.seconds = strtod(v, NULL), a++;
		else if (!strcmp(argv[a], "--runs") && v)
			o.runs = (unsigned int)strtoul(v, NULL, 0), a++;
		else if (!strcmp(argv[a], "--mutate") && v)
			o.mutate = (unsigned int)strtoul(v, NULL, 0), a++;
		else if (!strcmp(argv[a], "--blocks") && v)
			o.blocks = (unsigned int)strtoul(v, NULL, 0), a++;
		else if (!strcmp(argv[a], "--raw-len") && v)
			o.raw_len = (unsigned int)strtoul(v, NULL, 0), a++;
		else if (!strcmp(argv[a], "--index") && v)
			o.index = strtoll(v, NULL, 0), a++;
		else if (!strcmp(argv[a], "--mode") && v) {
			bool all = !strcmp(v, "all");

			o.xdp = all || !strcmp(v, "xdp");
			o.raw = all || !strcmp(v, "raw");
			o.calls = all || !strcmp(v, "calls");
			if (!o.xdp && !o.raw && !o.calls)
				usage();
			a++;
		} else if (!strcmp(argv[a], "-v"))
			o.verbose = true;
		else if (!strcmp(argv[a], "--self"))
			o.self = true;
		else
			usage();
	}
	if (!o.raw_len || o.raw_len > 600)
		usage();
	if (!o.self && !build_has_jit()) {
		printf("jit_diff: skipped: this build of libuebpf has no JIT "
		       "(an explicit UEBPF_ENGINE_JIT load fails); --self "
		       "tests this program against the interpreter alone\n");
		return 0;
	}
	for (a = A; a <= B; a++) {
		err = env_init(&env[a], a, frame);
		if (err) {
			fprintf(stderr, "jit_diff: setup failed: %s\n",
				strerror(-err));
			return 1;
		}
	}
	go = (struct gen_opts){.maps = env[A].gmaps,
			       .nr_maps = env[A].nr_maps,
			       .mutate_pct = o.mutate,
			       .max_blocks = o.blocks};
	first = o.index >= 0 ? (unsigned long long)o.index : 0;
	last = o.index >= 0 ? first + 1 : o.count;
	printf("jit_diff: seed %llu, %s %llu%s, modes%s%s%s, %u packets "
	       "each%s\n",
	       (unsigned long long)o.seed,
	       o.index >= 0 ? "program" : "programs:",
	       o.index >= 0 ? first : o.count,
	       o.seconds > 0 ? " (or the time limit)" : "", o.xdp ? " xdp" : "",
	       o.raw ? " raw" : "", o.calls ? " calls" : "", o.runs,
	       o.self ? ", SELF TEST: the interpreter against itself" : "");
	fflush(stdout);
	for (i = first; i < last && failures < 3; i++) {
		if (o.seconds > 0 && (i & 7) == 0 && now() - t0 > o.seconds)
			break;
		if (o.xdp)
			xdp_one(env, frame, i, &go, &st);
		if (o.raw)
			raw_one(env, i, &st);
		if (o.calls)
			calls_one(frame, i, &st);
	}
	printf("jit_diff: %llu XDP programs generated, %llu accepted (%llu "
	       "refused by the verifier, %llu address-dependent), %llu "
	       "packets compared (%llu ended in an error in both); %llu raw "
	       "programs, %llu runs compared (%llu faulted in both); %.1f s\n",
	       st.generated, st.accepted, st.refused, st.addr_dep, st.runs,
	       st.xdp_errs, st.raw_progs, st.raw_runs, st.raw_faults,
	       now() - t0);
	if (o.calls)
		printf("jit_diff: calls mode: %llu program sets loaded (%llu "
		       "refused), %llu packets compared\n",
		       st.calls_sets, st.calls_refused, st.calls_runs);
	for (a = A; a <= B; a++)
		env_free(&env[a]);
	if (failures) {
		printf("jit_diff: FAILED: %llu difference(s)\n", failures);
		return 1;
	}
	if (o.index < 0 && ((o.xdp && !st.runs) || (o.raw && !st.raw_runs) ||
			    (o.calls && !st.calls_runs))) {
		printf("jit_diff: FAILED: nothing was compared (%s)\n",
		       o.xdp && !st.runs       ? "the verifier accepted no XDP "
						 "program"
		       : o.raw && !st.raw_runs ? "no raw program ran"
					       : "no calls program set loaded");
		return 1;
	}
	printf("jit_diff: OK\n");
	return 0;
}
