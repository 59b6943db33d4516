/* SPDX-License-Identifier: MIT */
/*
 * A structured random generator of XDP programs, for the verifier's
 * soundness tests (tests/verifier/soundness.c, tests/fuzz/fuzz_verifier.c).
 *
 * Programs look like what clang makes of real XDP code: the context's
 * data / data_end / data_meta loaded first, packet bounds checks against
 * data_end (every comparison form, both operand orders, through copies),
 * packet loads and stores at constant and masked variable offsets, map
 * lookups with keys built on the stack and null checks, map value reads,
 * writes and atomics, stack spills and fills of scalars and pointers,
 * scalar ALU, short forward branches, small bounded loops, BPF-to-BPF
 * calls passing stack or packet pointers, and an exit with an XDP verdict.
 *
 * A share of the programs is mutated: a check made off by one, inverted
 * or left out, a null check missing, an offset past a value, a read of an
 * uninitialised register...  The generator knows which programs it meant
 * to be safe ("clean": no mutation applied) and what it changed in the
 * others.  A sound verifier may accept or reject any of them; whatever it
 * accepts must run without a stray memory access.  A clean program that
 * faults when run unverified (soundness --unverified) is a bug of the
 * generator itself.
 *
 * Everything is deterministic from a seed, or from a byte string (each
 * decision takes one to four bytes; past the end every decision is 0,
 * which always means "the simplest choice, no mutation"), for libFuzzer.
 */
#ifndef UEBPF_TESTS_GEN_H
#define UEBPF_TESTS_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/bpf.h>

#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80
#endif

#define GEN_MAX_INSNS 4096
#define GEN_MAX_MAPS  8
#define GEN_MAX_HINTS 32

/* ---- randomness ---------------------------------------------------------- */

struct gen_rng {
	uint64_t state;	    /* seed mode: splitmix64 */
	const uint8_t *buf; /* byte mode when non-NULL */
	size_t len, pos;
};

void gen_rng_seed(struct gen_rng *r, uint64_t seed);
void gen_rng_bytes(struct gen_rng *r, const uint8_t *buf, size_t len);
/* Uniform in [0, n) (n 0 or 1: 0). */
uint32_t gen_below(struct gen_rng *r, uint32_t n);
/* True with pct percent probability; byte mode past the end: false. */
bool gen_chance(struct gen_rng *r, unsigned int pct);
uint64_t gen_u64(struct gen_rng *r);

/* ---- the maps programs may use ------------------------------------------ */

struct gen_map {
	uint32_t id;   /* ld_imm64 src 1 (BPF_PSEUDO_MAP_FD) imm */
	uint32_t type; /* enum bpf_map_type */
	uint32_t key_size, value_size, max_entries;
	/* Keys the generator writes are below key_range (some miss). */
	uint32_t key_range;
	uint32_t map_flags; /* BPF_F_RDONLY_PROG: programs only read */
	/* A single-element ARRAY programs address as global data
	 * (ld_imm64 src 2, BPF_PSEUDO_MAP_VALUE), as clang does .data,
	 * .bss and .rodata. */
	bool global;
};

struct gen_opts {
	const struct gen_map *maps;
	unsigned int nr_maps;
	/* Percent of programs that get mutations (each site then has a small
	 * chance to be mutated): 0 gives only clean programs. */
	unsigned int mutate_pct;
	/* Blocks in main (1..max_blocks); 0: a default. */
	unsigned int max_blocks;
};

/* ---- a generated program ------------------------------------------------- */

struct gen_prog {
	struct bpf_insn insns[GEN_MAX_INSNS];
	size_t cnt;
	/* Mutations applied, space-separated names; 0 means clean. */
	unsigned int nr_mut;
	char muts[512];
	/* Packet and metadata lengths at which its checks change outcome
	 * (the constants they compare with): worth running on, +-1. */
	uint16_t len_hints[GEN_MAX_HINTS];
	unsigned int nr_len_hints;
	uint8_t meta_hints[GEN_MAX_HINTS];
	unsigned int nr_meta_hints;
	/* ctx_load[pc]: the insn is a well-formed 32-bit load of a struct
	 * xdp_md field (what the verifier rewrites); used by the unverified
	 * dry run, which rewrites them itself. */
	uint8_t ctx_load[GEN_MAX_INSNS];
};

/* Generate one program from r; never fails (the program may be invalid
 * when a structural mutation was chosen). */
void gen_program(struct gen_rng *r, const struct gen_opts *opts,
		 struct gen_prog *out);

/* ---- disassembly --------------------------------------------------------- */

/* One instruction (and its second slot for ld_imm64) in the kernel's
 * verifier-log syntax: "r2 = *(u32 *)(r1 +0)", "if r3 > r2 goto pc+4". */
void gen_disasm_insn(char *buf, size_t size, const struct bpf_insn *insns,
		     size_t cnt, size_t pc);
/* Every instruction, "  pc: text", with jump targets marked. */
void gen_disasm(FILE *f, const struct bpf_insn *insns, size_t cnt);

#endif /* UEBPF_TESTS_GEN_H */
