/* SPDX-License-Identifier: MIT */
/* The soundness tests' runtime, maps, helpers, packets and runs (harness.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../../maps/map.h"
#include "../../xdp/xdp.h"
#include "harness.h"

/* The verifier's prototype table (vm/verifier.h), when the library has
 * one: the test helpers below take the prototype the library gives. */
struct uebpf_helper_proto;
const struct uebpf_helper_proto *uebpf_helper_proto(unsigned int id)
	__attribute__((weak, visibility("hidden")));

static struct sh_env *cur; /* one environment at a time */

/* ---- the runtime's log ----------------------------------------------------
 */

static void log_fn(enum uebpf_log_level level, const char *msg, void *ctx)
{
	struct sh_env *e = ctx;

	if (level != UEBPF_LOG_WARN ||
	    !strncmp(msg, "prog 'gen': load failed", 23))
		return;
	snprintf(e->last_warn, sizeof(e->last_warn), "%s", msg);
}

/* ---- checking wrappers around the map helpers --------------------------- */

/*
 * TEST-ONLY.  Helper arguments are part of what the verifier proves: a key
 * or value pointer must cover key_size / value_size bytes the program may
 * read, r1 must be one of its maps.  These wrappers check that against the
 * run's regions (and map values) before calling the library's helper; a
 * violation stops the run with -EFAULT, a soundness failure like a stray
 * load.  When the library has no map helpers yet (lib/helpers.c on
 * another branch), minimal ones over the map ops stand in.
 */
static uebpf_helper_fn real_fn[4];

static uint64_t hfault(struct uebpf_run_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static uint64_t hfault(struct uebpf_run_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (cur) {
		va_start(ap, fmt);
		vsnprintf(cur->helper_fault, sizeof(cur->helper_fault), fmt,
			  ap);
		va_end(ap);
	}
	ctx->err = -EFAULT;
	return 0;
}

static bool mem_ok(const struct uebpf_run_ctx *ctx, uint64_t a, size_t n)
{
	const struct uebpf_prog *prog = ctx->prog;
	unsigned int i;

	if (a + n < a)
		return false;
	for (i = 0; i < ctx->nr_regions; i++) {
		const struct uebpf_region *r = &ctx->regions[i];

		if (a >= r->lo && a <= r->hi - n && r->hi - r->lo >= n)
			return true;
	}
	for (i = 0; i < prog->nr_used_maps; i++) {
		struct uebpf_map *m = prog->used_maps[i];

		if (m->ops->value_contains && m->ops->value_contains(m, a, n))
			return true;
	}
	return false;
}

static struct uebpf_map *arg_map(const struct uebpf_run_ctx *ctx, uint64_t r1)
{
	size_t i;

	for (i = 0; i < ctx->prog->nr_used_maps; i++)
		if ((uintptr_t)ctx->prog->used_maps[i] == r1)
			return ctx->prog->used_maps[i];
	return NULL;
}

static uint64_t w_lookup(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			 uint64_t r5, struct uebpf_run_ctx *ctx)
{
	struct uebpf_map *m = arg_map(ctx, r1);

	if (!m)
		return hfault(ctx,
			      "bpf_map_lookup_elem: r1 0x%llx is not a map of "
			      "the program",
			      (unsigned long long)r1);
	if (!mem_ok(ctx, r2, m->key_size))
		return hfault(ctx,
			      "bpf_map_lookup_elem: key r2 0x%llx: %u bytes "
			      "the program may not read",
			      (unsigned long long)r2, m->key_size);
	if (real_fn[1])
		return real_fn[1](r1, r2, r3, r4, r5, ctx);
	return (uintptr_t)m->ops->lookup(m, (const void *)(uintptr_t)r2);
}

static uint64_t w_update(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			 uint64_t r5, struct uebpf_run_ctx *ctx)
{
	struct uebpf_map *m = arg_map(ctx, r1);

	if (!m)
		return hfault(ctx,
			      "bpf_map_update_elem: r1 0x%llx is not a map of "
			      "the program",
			      (unsigned long long)r1);
	if (m->map_flags & BPF_F_RDONLY_PROG)
		return hfault(ctx,
			      "bpf_map_update_elem: map '%s' is read-only for "
			      "programs (BPF_F_RDONLY_PROG)",
			      m->name);
	if (!mem_ok(ctx, r2, m->key_size))
		return hfault(ctx,
			      "bpf_map_update_elem: key r2 0x%llx: %u bytes "
			      "the program may not read",
			      (unsigned long long)r2, m->key_size);
	if (!mem_ok(ctx, r3, m->value_size))
		return hfault(ctx,
			      "bpf_map_update_elem: value r3 0x%llx: %u bytes "
			      "the program may not read",
			      (unsigned long long)r3, m->value_size);
	if (real_fn[2])
		return real_fn[2](r1, r2, r3, r4, r5, ctx);
	return (uint64_t)m->ops->update(m, (const void *)(uintptr_t)r2,
					(const void *)(uintptr_t)r3, r4);
}

static uint64_t w_delete(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			 uint64_t r5, struct uebpf_run_ctx *ctx)
{
	struct uebpf_map *m = arg_map(ctx, r1);

	if (!m)
		return hfault(ctx,
			      "bpf_map_delete_elem: r1 0x%llx is not a map of "
			      "the program",
			      (unsigned long long)r1);
	if (m->map_flags & BPF_F_RDONLY_PROG)
		return hfault(ctx,
			      "bpf_map_delete_elem: map '%s' is read-only for "
			      "programs (BPF_F_RDONLY_PROG)",
			      m->name);
	if (!mem_ok(ctx, r2, m->key_size))
		return hfault(ctx,
			      "bpf_map_delete_elem: key r2 0x%llx: %u bytes "
			      "the program may not read",
			      (unsigned long long)r2, m->key_size);
	if (real_fn[3])
		return real_fn[3](r1, r2, r3, r4, r5, ctx);
	return (uint64_t)m->ops->delete (m, (const void *)(uintptr_t)r2);
}

static void install_helpers(struct sh_env *e)
{
	static const uebpf_helper_fn wrappers[4] = {NULL, w_lookup, w_update,
						    w_delete};
	unsigned int id;

	for (id = BPF_FUNC_map_lookup_elem; id <= BPF_FUNC_map_delete_elem;
	     id++) {
		struct uebpf_helper *h = &e->rt->helpers[id];

		real_fn[id] = h->fn;
		if (!h->fn)
			e->own_map_helpers = true;
		h->fn = wrappers[id];
		if (!h->name)
			h->name = uebpf_helper_name(id);
		if (!h->proto && uebpf_helper_proto)
			h->proto = uebpf_helper_proto(id);
	}
}

/* ---- environment ----------------------------------------------------------
 */

int sh_env_init_maps(struct sh_env *e, uebpf_log_fn fn, void *log_ctx)
{
	static const struct {
		enum bpf_map_type type;
		const char *name;
		uint32_t key_size, value_size, max_entries, key_range, flags;
		bool global;
	} defs[] = {
		/* value sizes not multiples of 8: the padding is no value */
		{BPF_MAP_TYPE_ARRAY, "gen_array", 4, 44, 8, 10, 0, false},
		{BPF_MAP_TYPE_HASH, "gen_hash", 8, 24, 16, 20, 0, false},
		{BPF_MAP_TYPE_PERCPU_ARRAY, "gen_pcpu", 4, 16, 4, 5, 0, false},
		{BPF_MAP_TYPE_LRU_HASH, "gen_lru", 4, 36, 8, 12, 0, false},
		/* global data, .data / .bss and .rodata */
		{BPF_MAP_TYPE_ARRAY, "gen_data", 4, 64, 1, 1, 0, true},
		{BPF_MAP_TYPE_ARRAY, "gen_rodata", 4, 40, 1, 1,
		 BPF_F_RDONLY_PROG, true},
	};
	UEBPF_OPTS(uebpf_runtime_opts, ro, .nr_cpus = 2, .log_fn = fn,
		   .log_ctx = log_ctx);
	unsigned int i;

	memset(e, 0, sizeof(*e));
	e->rt = uebpf_runtime_new(&ro);
	if (!e->rt)
		return -errno;
	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		UEBPF_OPTS(uebpf_map_create_opts, mo,
			   .map_flags = defs[i].flags);
		struct uebpf_map *m = uebpf_map_create(
			e->rt, defs[i].type, defs[i].name, defs[i].key_size,
			defs[i].value_size, defs[i].max_entries, &mo);

		if (!m)
			return -errno;
		e->maps[i] = m;
		e->gmaps[i] =
			(struct gen_map){.id = uebpf_map_id(m),
					 .type = defs[i].type,
					 .key_size = defs[i].key_size,
					 .value_size = defs[i].value_size,
					 .max_entries = defs[i].max_entries,
					 .key_range = defs[i].key_range,
					 .map_flags = defs[i].flags,
					 .global = defs[i].global};
		e->nr_maps++;
	}
	return 0;
}

int sh_env_init(struct sh_env *e)
{
	int err = sh_env_init_maps(e, log_fn, e);

	if (err) {
		sh_env_free(e);
		return err;
	}
	e->frame = aligned_alloc(4096, SH_FRAME);
	e->vlog_size = 1 << 20;
	e->vlog = malloc(e->vlog_size);
	if (!e->frame || !e->vlog) {
		sh_env_free(e);
		return -ENOMEM;
	}
	memset(e->frame, 0, SH_FRAME);
	e->vlog[0] = '\0';
	install_helpers(e);
	cur = e;
	return 0;
}

void sh_env_free(struct sh_env *e)
{
	unsigned int i;

	for (i = 0; i < e->nr_maps; i++)
		uebpf_map_put(e->maps[i]);
	if (e->rt)
		uebpf_runtime_free(e->rt);
	free(e->frame);
	free(e->vlog);
	if (cur == e)
		cur = NULL;
	memset(e, 0, sizeof(*e));
}

/* Random bytes, half of them values at the edges of ranges (0, -1, the
 * sign bit...), which bounds bugs need to show. */
static void fill_bytes(struct gen_rng *r, uint8_t *p, size_t n)
{
	static const uint8_t edges[8] = {0x00, 0xff, 0x80, 0x7f,
					 0x01, 0xfe, 0x0f, 0xf0};
	size_t i;
	uint64_t v = 0, w = 0;

	for (i = 0; i < n; i++) {
		if (!(i & 7)) {
			v = gen_u64(r);
			w = gen_u64(r);
		}
		p[i] = (uint8_t)(v >> (8 * (i & 7)));
		if (w >> (8 * (i & 7)) & 1)
			p[i] = edges[(w >> (8 * (i & 7) + 1)) & 7];
	}
}

/* Every map's contents from r alone, whatever earlier programs stored:
 * hash maps are emptied first, so a program replayed with --index sees
 * what it saw in the campaign. */
void sh_fill_maps(struct sh_env *e, struct gen_rng *r)
{
	uint8_t val[4096], key[64];
	unsigned int i, k;

	for (i = 0; i < e->nr_maps; i++) {
		struct uebpf_map *m = e->maps[i];
		const struct gen_map *g = &e->gmaps[i];
		size_t vsz = g->value_size;

		if (g->type != BPF_MAP_TYPE_ARRAY &&
		    g->type != BPF_MAP_TYPE_PERCPU_ARRAY)
			while (!uebpf_map_get_next_key(m, NULL, key))
				if (uebpf_map_delete_elem(m, key))
					break;

		if (g->type == BPF_MAP_TYPE_PERCPU_ARRAY ||
		    g->type == BPF_MAP_TYPE_PERCPU_HASH)
			vsz = (size_t)((g->value_size + 7) & ~7u) *
			      uebpf_runtime_nr_cpus(e->rt);
		for (k = 0; k < g->key_range; k++) {
			uint64_t key = k;
			bool array = g->type == BPF_MAP_TYPE_ARRAY ||
				     g->type == BPF_MAP_TYPE_PERCPU_ARRAY;

			if (array) {
				if (k >= g->max_entries)
					break;
				fill_bytes(r, val, vsz);
				uebpf_map_update_elem(m, &key, val, BPF_ANY);
				continue;
			}
			if (gen_chance(r, 60)) {
				fill_bytes(r, val, vsz);
				uebpf_map_update_elem(m, &key, val, BPF_ANY);
			}
		}
	}
}

/* ---- packets ---------------------------------------------------------------
 */

void sh_pick_packet(struct gen_rng *r, const struct gen_prog *p, unsigned int k,
		    struct sh_packet *pk)
{
	static const unsigned int fixed[] = {0, 1, 13, 14, 34, 54, 60};
	static const unsigned int metas[] = {0, 4, 8, 32};
	long len;

	switch (k % 4) {
	case 1:
	case 3:
		if (p->nr_len_hints) {
			len = (long)p->len_hints[gen_below(r,
							   p->nr_len_hints)] -
			      1 + (long)gen_below(r, 3);
			break;
		}
		/* fall through */
	case 0: len = fixed[gen_below(r, 7)]; break;
	default: len = gen_below(r, SH_MAX_LEN + 1); break;
	}
	if (len < 0)
		len = 0;
	if (len > SH_MAX_LEN)
		len = SH_MAX_LEN;
	pk->len = (unsigned int)len;
	if (p->nr_meta_hints && gen_chance(r, 30)) {
		len = (long)p->meta_hints[gen_below(r, p->nr_meta_hints)] - 1 +
		      (long)gen_below(r, 3);
		pk->meta = len < 0 ? 0 : len > 64 ? 64 : (unsigned int)len;
	} else {
		pk->meta = metas[gen_below(r, 4)];
	}
	pk->ifindex = 1 + gen_below(r, 4);
	pk->rxq = gen_below(r, 4);
}

void sh_setup_packet(struct sh_env *e, struct gen_rng *r,
		     const struct sh_packet *pk, struct uebpf_xdp_ctx *x)
{
	uint8_t *data = e->frame + SH_HEADROOM;

	fill_bytes(r, data - pk->meta, pk->meta + pk->len);
	memset(x, 0, sizeof(*x));
	x->data_hard_start = e->frame;
	x->data = data;
	x->data_end = data + pk->len;
	x->data_meta = data - pk->meta;
	x->ingress_ifindex = pk->ifindex;
	x->rx_queue_index = pk->rxq;
	x->egress_ifindex = 0;
	x->frame_sz = SH_FRAME;
}

/* ---- programs ---------------------------------------------------------------
 */

/* The dry run's rewrite of xdp_md loads into struct uebpf_xdp_ctx loads,
 * which the verifier would do. */
static void rewrite_ctx(struct bpf_insn *in)
{
	switch (in->off) {
	case 0: in->off = offsetof(struct uebpf_xdp_ctx, data); break;
	case 4: in->off = offsetof(struct uebpf_xdp_ctx, data_end); break;
	case 8: in->off = offsetof(struct uebpf_xdp_ctx, data_meta); break;
	case 12:
		in->off = offsetof(struct uebpf_xdp_ctx, ingress_ifindex);
		return;
	case 16:
		in->off = offsetof(struct uebpf_xdp_ctx, rx_queue_index);
		return;
	case 20:
		in->off = offsetof(struct uebpf_xdp_ctx, egress_ifindex);
		return;
	default: return;
	}
	in->code = BPF_LDX | BPF_MEM | BPF_DW;
}

struct uebpf_prog *sh_load(struct sh_env *e, const struct gen_prog *p,
			   bool unverified, int *err)
{
	UEBPF_OPTS(uebpf_prog_load_opts, o, .name = "gen", .log_buf = e->vlog,
		   .log_size = e->vlog_size, .log_level = 1,
		   .insn_budget = SH_INSN_BUDGET);
	struct uebpf_prog *prog;

	if (!unverified) {
		prog = uebpf_prog_load(e->rt, BPF_PROG_TYPE_XDP, p->insns,
				       p->cnt, &o);
		if (!prog && errno == ENOSPC) {
			/* a log that does not fit may refuse the program,
			 * as the kernel's does: once more with room */
			char *big = malloc(64u << 20);

			if (big) {
				size_t len;
				int saved;

				o.log_buf = big;
				o.log_size = 64u << 20;
				prog = uebpf_prog_load(e->rt, BPF_PROG_TYPE_XDP,
						       p->insns, p->cnt, &o);
				saved = errno;
				/* its end, where the reason is */
				len = strlen(big);
				snprintf(e->vlog, e->vlog_size, "%s",
					 big + (len >= e->vlog_size
							? len - e->vlog_size + 1
							: 0));
				free(big);
				errno = saved;
			}
		}
	} else {
		static struct bpf_insn copy[GEN_MAX_INSNS];
		size_t pc;

		memcpy(copy, p->insns, p->cnt * sizeof(copy[0]));
		for (pc = 0; pc < p->cnt; pc++)
			if (p->ctx_load[pc])
				rewrite_ctx(&copy[pc]);
		prog = uebpf_prog_load(e->rt, BPF_PROG_TYPE_UNSPEC, copy,
				       p->cnt, &o);
		if (prog) {
			/* passed off as verified, for the run entry */
			prog->type = BPF_PROG_TYPE_XDP;
			prog->verified = true;
		}
	}
	if (!prog) {
		*err = -errno;
		return NULL;
	}
	*err = 0;
	uebpf_prog_set_debug_checks(prog, true);
	return prog;
}

int sh_run(struct sh_env *e, struct uebpf_prog *prog, struct uebpf_xdp_ctx *x,
	   uint64_t *r0)
{
	e->last_warn[0] = '\0';
	e->helper_fault[0] = '\0';
	cur = e;
	return uebpf_xdp_run_ctx(prog, x, r0);
}

void sh_free_prog(struct sh_env *e, struct uebpf_prog *prog)
{
	uebpf_prog_free(prog);
	uebpf_epoch_synchronize(&e->rt->epoch);
}

const struct bpf_insn *sh_prog_insns(const struct uebpf_prog *prog, size_t *cnt)
{
	*cnt = prog->insn_cnt;
	return prog->insns;
}
