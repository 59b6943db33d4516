/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the verifier's soundness property from fuzzer bytes.
 *
 * The input drives the structured XDP program generator
 * (tests/verifier/gen.h; each decision takes one to four bytes, zeros past
 * the end).  The program is loaded as an XDP program; when the verifier
 * accepts it, it runs in the interpreter's debug mode on a few packets
 * (lengths around the constants its checks use, 0, 1, 14, ..., random;
 * metadata 0 to 32 bytes) with map contents and packet bytes derived from
 * a hash of the input.  A fault, an exhausted instruction budget or any
 * other error from a verified program traps, after printing the program,
 * the verifier log and the fault.
 *
 * Built with the library's sources under ASan and UBSan, so the
 * verifier's own memory errors show too.
 *
 * FUZZ_VERIFIER_UNVERIFIED=1: the generator's dry run instead (no
 * verifier; clean programs only, passed off as verified): a fault there
 * is the generator's bug.  FUZZ_VERIFIER_VERBOSE=1: print every program.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uebpf.h"
#include "internal.h"
#include "../../xdp/xdp.h"
#include "../verifier/gen.h"
#include "../verifier/harness.h"

#define RUNS 6

static struct sh_env env;
static struct gen_opts gopts;
static bool unverified, verbose;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (sh_env_init(&env))
		abort();
	gopts = (struct gen_opts){
		.maps = env.gmaps, .nr_maps = env.nr_maps, .mutate_pct = 50};
	unverified = getenv("FUZZ_VERIFIER_UNVERIFIED") != NULL;
	verbose = getenv("FUZZ_VERIFIER_VERBOSE") != NULL;
	return 0;
}

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

static void report(const struct gen_prog *p, struct uebpf_prog *prog,
		   const struct sh_packet *pk, int err)
{
	const struct bpf_insn *run;
	size_t cnt;

	fprintf(stderr,
		"\nfuzz_verifier: SOUNDNESS FAILURE: a %s program %s returned "
		"%d (%s)\n",
		p->nr_mut ? "mutated" : "clean",
		unverified ? "(unverified dry run)" : "the verifier accepted",
		err, strerror(-err));
	if (p->nr_mut)
		fprintf(stderr, "mutations: %s\n", p->muts);
	if (env.helper_fault[0])
		fprintf(stderr, "helper: %s\n", env.helper_fault);
	if (env.last_warn[0])
		fprintf(stderr, "runtime: %s", env.last_warn);
	fprintf(stderr, "packet: %u bytes, %u bytes of metadata\n", pk->len,
		pk->meta);
	fprintf(stderr, "program as generated (%zu insns):\n", p->cnt);
	gen_disasm(stderr, p->insns, p->cnt);
	run = sh_prog_insns(prog, &cnt);
	fprintf(stderr, "program as run (%zu insns):\n", cnt);
	gen_disasm(stderr, run, cnt);
	fprintf(stderr, "verifier log:\n%s\n", env.vlog);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gen_prog p;
	struct gen_rng r, rr;
	struct uebpf_prog *prog;
	unsigned int k;
	int err;

	gen_rng_bytes(&r, data, size);
	gen_program(&r, &gopts, &p);
	if (unverified && p.nr_mut)
		return 0;
	gen_rng_seed(&rr, fnv(data, size));
	sh_fill_maps(&env, &rr);
	errno = 0;
	prog = sh_load(&env, &p, unverified, &err);
	if (verbose) {
		fprintf(stderr, "fuzz_verifier: %zu insns, %s%s: %s\n", p.cnt,
			p.nr_mut ? "mutated: " : "clean",
			p.nr_mut ? p.muts : "",
			prog ? "accepted" : strerror(-err));
		gen_disasm(stderr, p.insns, p.cnt);
		if (!prog)
			fprintf(stderr, "%s\n", env.vlog);
	}
	if (!prog) {
		/* a refusal is an errno and a NUL-terminated log */
		if (err >= 0 || !memchr(env.vlog, '\0', env.vlog_size))
			__builtin_trap();
		uebpf_epoch_synchronize(&env.rt->epoch);
		return 0;
	}
	for (k = 0; k < RUNS; k++) {
		struct uebpf_xdp_ctx x;
		struct sh_packet pk;
		uint64_t r0 = 0;

		sh_pick_packet(&rr, &p, k, &pk);
		sh_setup_packet(&env, &rr, &pk, &x);
		err = sh_run(&env, prog, &x, &r0);
		if (err) {
			report(&p, prog, &pk, err);
			__builtin_trap();
		}
	}
	sh_free_prog(&env, prog);
	return 0;
}
