/* SPDX-License-Identifier: MIT */
/* The x86-64 JIT: placeholder until the compiler lands. */
#include "../lib/internal.h"

bool uebpf_jit_available(void)
{
	return false;
}

int uebpf_jit_compile(struct uebpf_prog *prog, struct uebpf_vlog *log)
{
	(void)prog;
	uebpf_vlog_printf(log, "this build of libuebpf has no JIT\n");
	return -EOPNOTSUPP;
}

void uebpf_jit_free(struct uebpf_prog *prog)
{
	(void)prog;
}

int uebpf_jit_run(const struct uebpf_prog *prog, struct uebpf_run_ctx *ctx,
		  uint64_t r1, uint64_t r2, uint64_t *r0)
{
	return uebpf_interp_run(prog, ctx, r1, r2, r0);
}
