/* SPDX-License-Identifier: MIT */
/*
 * What the soundness campaign (soundness.c) and its libFuzzer twin
 * (tests/fuzz/fuzz_verifier.c) share: a runtime with the maps generated
 * programs use, checking wrappers around the map helpers, packets in an
 * xdp_buff-like frame, and loading and running a generated program in the
 * interpreter's debug mode.
 *
 * White-box: built with -Ilib against the library's internals (the static
 * library or its sources).
 */
#ifndef UEBPF_TESTS_HARNESS_H
#define UEBPF_TESTS_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "uebpf.h"
#include "gen.h"

struct uebpf_xdp_ctx;

#define SH_HEADROOM    256  /* XDP_PACKET_HEADROOM */
#define SH_FRAME       4096 /* frame_sz */
#define SH_MAX_LEN     1600 /* packet lengths 0..SH_MAX_LEN */
#define SH_INSN_BUDGET 1000000

struct sh_env {
	struct uebpf_runtime *rt;
	struct uebpf_map *maps[GEN_MAX_MAPS];
	struct gen_map gmaps[GEN_MAX_MAPS];
	unsigned int nr_maps;
	uint8_t *frame; /* SH_FRAME bytes, page-aligned */
	char *vlog;	/* the verifier log of the last load */
	size_t vlog_size;
	/* The runtime's last warning (a fault names its pc there), and
	 * what a checking helper wrapper found wrong, if it stopped a run. */
	char last_warn[512];
	char helper_fault[512];
	/* Test-only helper implementations were installed (the library
	 * had no bpf_map_*_elem of its own). */
	bool own_map_helpers;
};

struct sh_packet {
	unsigned int len, meta;
	uint32_t ifindex, rxq;
};

/* A runtime of 2 CPU slots, the maps (ARRAY, HASH, PERCPU_ARRAY,
 * LRU_HASH) and the helper wrappers.  0 or -errno. */
int sh_env_init(struct sh_env *e);
/* Only its runtime (logging to fn) and maps, the same every time, so two
 * environments' map ids agree: what sh_env_init() starts with.  0 or
 * -errno; sh_env_free() frees what was made either way. */
int sh_env_init_maps(struct sh_env *e, uebpf_log_fn fn, void *log_ctx);
void sh_env_free(struct sh_env *e);

/* Random contents for every map, from r. */
void sh_fill_maps(struct sh_env *e, struct gen_rng *r);

/* Run k of a program: a length from the fixed list (0, 1, 13, 14, 34, 54,
 * 60), from the program's hints (+-1) or random in 0..SH_MAX_LEN; metadata
 * 0, 4, 8 or 32 bytes (or a hint). */
void sh_pick_packet(struct gen_rng *r, const struct gen_prog *p, unsigned int k,
		    struct sh_packet *pk);
/* The frame for pk, random bytes from r, and its context in *x. */
void sh_setup_packet(struct sh_env *e, struct gen_rng *r,
		     const struct sh_packet *pk, struct uebpf_xdp_ctx *x);

/*
 * Loads p as an XDP program (maps referred to by id), log_level 1 into
 * e->vlog, the instruction budget SH_INSN_BUDGET; debug checks on.  NULL
 * with *err = -errno when it is refused.
 *
 * unverified: the dry run that tests the generator itself, for when no
 * verifier is there: the xdp_md loads are rewritten here, the program is
 * loaded raw (BPF_PROG_TYPE_UNSPEC, which nothing verifies) and then
 * passed off as a verified XDP program, so it runs checked on the same
 * regions.
 */
struct uebpf_prog *sh_load(struct sh_env *e, const struct gen_prog *p,
			   bool unverified, int *err);
/* One run in debug mode; 0 or the run's -errno (the fault is described
 * in e->last_warn or e->helper_fault). */
int sh_run(struct sh_env *e, struct uebpf_prog *prog, struct uebpf_xdp_ctx *x,
	   uint64_t *r0);
/* Frees prog and what its retirement leaves pending. */
void sh_free_prog(struct sh_env *e, struct uebpf_prog *prog);

/* The instructions the interpreter runs (after the verifier's rewrites). */
const struct bpf_insn *sh_prog_insns(const struct uebpf_prog *prog,
				     size_t *cnt);

#endif /* UEBPF_TESTS_HARNESS_H */
