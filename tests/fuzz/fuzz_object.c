/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the input is an ELF object for uebpf_object_open_mem();
 * what opens is loaded (maps created, programs linked and validated) and
 * every program that loads runs once as a raw program, under a budget, so
 * linking mistakes show up as memory errors instead of passing unnoticed.
 * The corpus starts from the test objects (the .o files of build/progs).
 *
 * Each input gets a fresh runtime with a memory limit, so map definitions
 * asking for gigabytes fail as they should instead of exhausting the
 * machine, and no pin or map outlives its input.
 *
 * Besides memory errors, undefined behaviour and leaks, the target traps
 * on broken API contracts: NULL without errno from open, a load returning
 * neither 0 nor a negative errno, a loaded program without a handle.
 *
 * FUZZ_OBJECT_VERBOSE=1 in the environment sends the library's log to
 * stderr.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uebpf.h"
/* White-box, as fuzz_prog: built with the library's sources and -Ilib. */
#include "internal.h"

#define MEM_LIMIT (64ull << 20)
#define BUDGET 100000

static bool verbose;

/* The map helpers come with a later issue; until then the validator
 * refuses programs calling them, which would stop every real object at
 * load.  Placeholders let the load go on; they never touch memory. */
static uint64_t stub(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
		     uint64_t r5, struct uebpf_run_ctx *ctx)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ctx;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	verbose = getenv("FUZZ_OBJECT_VERBOSE") != NULL;
	return 0;
}

static void run_all(struct uebpf_object *obj)
{
	struct uebpf_object_prog *p;
	uint8_t mem[64];

	for (p = uebpf_object_next_prog(obj, NULL); p;
	     p = uebpf_object_next_prog(obj, p)) {
		struct uebpf_prog *prog = uebpf_object_prog_handle(p);
		uint64_t r0;
		int err;

		if (!uebpf_object_prog_autoload(p))
			continue;
		if (!prog)
			abort(); /* loaded, but no handle */
		memset(mem, 0x5a, sizeof(mem));
		err = uebpf_prog_run(prog, mem, sizeof(mem), &r0);
		if (err > 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	UEBPF_OPTS(uebpf_runtime_opts, ro, .nr_cpus = 2,
		   .mem_limit = MEM_LIMIT, .log_quiet = !verbose,
		   .log_level = UEBPF_LOG_DEBUG);
	UEBPF_OPTS(uebpf_object_open_opts, oo, .object_name = "fuzz",
		   .insn_budget = BUDGET);
	struct uebpf_object_prog *p;
	struct uebpf_runtime *rt;
	struct uebpf_object *obj;
	unsigned int i;
	int err;

	rt = uebpf_runtime_new(&ro);
	if (!rt)
		return 0;
	for (i = 1; i < UEBPF_MAX_HELPER_ID; i++)
		if (!rt->helpers[i].fn && uebpf_helper_name(i))
			rt->helpers[i].fn = stub;

	errno = 0;
	obj = uebpf_object_open_mem(rt, data, size, &oo);
	if (!obj) {
		if (!errno)
			abort(); /* NULL without errno */
		goto out;
	}
	/* Raw programs run; whatever the sections say. */
	for (p = uebpf_object_next_prog(obj, NULL); p;
	     p = uebpf_object_next_prog(obj, p))
		uebpf_object_prog_set_type(p, BPF_PROG_TYPE_UNSPEC);
	err = uebpf_object_load(obj);
	if (err > 0)
		abort();
	if (!err)
		run_all(obj);
	uebpf_object_close(obj);
out:
	/* What closing retired, and what that freed in turn. */
	for (i = 0; i < 8 && rt->epoch.nr_retired; i++)
		uebpf_epoch_synchronize(&rt->epoch);
	uebpf_runtime_free(rt);
	return 0;
}
