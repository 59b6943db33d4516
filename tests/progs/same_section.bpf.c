// SPDX-License-Identifier: MIT
/*
 * Subprograms in a program's own section: a static function (called with
 * no relocation, the offset relative) and a global one (R_BPF_64_32, and a
 * program of its own).  libbpf 1.x accepts neither; libuebpf links both.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline, section("xdp"))) int times7(int x)
{
	return x * 7;
}

__attribute__((noinline, section("xdp"))) int plus5(int x)
{
	return x + 5;
}

SEC("xdp")
int same_sec(struct xdp_md *ctx)
{
	volatile int v = 3;

	/* 21 + 8 */
	return times7(v) + plus5(v);
}

char _license[] SEC("license") = "GPL";
