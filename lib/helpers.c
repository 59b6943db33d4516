/* SPDX-License-Identifier: MIT */
/* The helper table: kernel helper ids to functions, and their names. */
#include <time.h>

#include "internal.h"

#define HELPER_NAME(x) [BPF_FUNC_##x] = "bpf_" #x
static const char *const helper_names[] = { __BPF_FUNC_MAPPER(HELPER_NAME) };
#undef HELPER_NAME

const char *uebpf_helper_name(unsigned int id)
{
	if (id && id < ARRAY_SIZE(helper_names) && helper_names[id])
		return helper_names[id];
	return NULL;
}

static uint64_t helper_ktime_get_ns(uint64_t r1, uint64_t r2, uint64_t r3,
				    uint64_t r4, uint64_t r5,
				    struct uebpf_run_ctx *ctx)
{
	struct timespec ts;

	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Per-thread xorshift128+, seeded from the clock and the thread's address
 * space position: statistical, not cryptographic, as in the kernel. */
static __thread uint64_t prandom_state[2];

static uint64_t helper_get_prandom_u32(uint64_t r1, uint64_t r2, uint64_t r3,
				       uint64_t r4, uint64_t r5,
				       struct uebpf_run_ctx *ctx)
{
	uint64_t s1, s0;

	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ctx;
	if (unlikely(!prandom_state[0] && !prandom_state[1])) {
		prandom_state[0] = helper_ktime_get_ns(0, 0, 0, 0, 0, NULL) |
				   1;
		prandom_state[1] = (uintptr_t)&prandom_state ^
				   0x9e3779b97f4a7c15ull;
	}
	s1 = prandom_state[0];
	s0 = prandom_state[1];
	prandom_state[0] = s0;
	s1 ^= s1 << 23;
	prandom_state[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
	return (uint32_t)((prandom_state[1] + s0) >> 32);
}

static uint64_t helper_get_smp_processor_id(uint64_t r1, uint64_t r2,
					    uint64_t r3, uint64_t r4,
					    uint64_t r5,
					    struct uebpf_run_ctx *ctx)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return ctx->cpu;
}

static void set_helper(struct uebpf_runtime *rt, unsigned int id,
		       uebpf_helper_fn fn)
{
	rt->helpers[id].fn = fn;
	rt->helpers[id].name = uebpf_helper_name(id);
}

void uebpf_helpers_init_builtin(struct uebpf_runtime *rt)
{
	set_helper(rt, BPF_FUNC_ktime_get_ns, helper_ktime_get_ns);
	set_helper(rt, BPF_FUNC_get_prandom_u32, helper_get_prandom_u32);
	set_helper(rt, BPF_FUNC_get_smp_processor_id,
		   helper_get_smp_processor_id);
}
