// SPDX-License-Identifier: MIT
/*
 * Subprograms: static and global noinline functions in .text, a chain of
 * calls, two programs in one section calling the same subprograms, an
 * unreferenced global function, and a callback (bpf_loop) whose address
 * is loaded with ld_imm64.  prog_a and prog_b never read their context:
 * tests run them as raw programs and check what they return.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __noinline int square(int x)
{
	return x * x;
}

static __noinline int chain2(int x)
{
	return square(x) + 1;
}

static __noinline int chain1(int x)
{
	return chain2(x + 1) * 2;
}

__noinline int global_add(int a, int b)
{
	return a + b + 1000;
}

__noinline int unused_global(int x)
{
	return x - 1;
}

SEC("xdp")
int prog_a(struct xdp_md *ctx)
{
	volatile int v = 3;

	/* chain1(3) = (16 + 1) * 2 = 34; square(3) = 9; 34 + 9 + 1000 */
	return global_add(chain1(v), square(v));
}

SEC("xdp")
int prog_b(struct xdp_md *ctx)
{
	volatile int v = 5;

	/* square(5) = 25, 25 + 1 + 1000 */
	return global_add(square(v), 1);
}

static int loop_cb(__u32 i, void *ctx)
{
	*(__u64 *)ctx += i;
	return 0;
}

SEC("xdp")
int prog_cb(struct xdp_md *ctx)
{
	__u64 sum = 0;

	bpf_loop(10, loop_cb, &sum, 0);
	return sum == 45 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
