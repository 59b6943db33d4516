// SPDX-License-Identifier: MIT
/*
 * Global data in every section libbpf maps: .data, .rodata (const volatile
 * configuration), .bss, custom .data.* / .rodata.* sections, string
 * literals (.rodata.str1.1).  run_globals never reads its context, so a
 * test can run it as a raw program and check each value it reads and
 * writes.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u64 cfg_mult = 3;	   /* .rodata */
const volatile __u32 cfg_table[4] = { 10, 20, 30, 40 };
__u64 counter = 100;			   /* .data */
__u64 hits;				   /* .bss */
__u32 scratch[8];			   /* .bss */
__u64 custom_val SEC(".data.custom") = 7;   /* .data.custom */
const volatile __u32 custom_ro SEC(".rodata.custom") = 1000;
static __u64 static_val = 5;		   /* .data, static */
static const char greeting[] = "hello, world";

SEC("xdp")
int run_globals(struct xdp_md *ctx)
{
	__u64 sum = 0;
	int i;

	hits++;
	counter += cfg_mult;
	static_val *= 2;
	for (i = 0; i < 4; i++)
		sum += cfg_table[i];
	scratch[3] = 0xabcd;
	custom_val += custom_ro;
	/* 0: 'h' */
	sum += greeting[0] + greeting[sizeof(greeting) - 2];
	/* 100 + 104 ('h') + 100 ('d') + hits + counter + static + custom */
	return sum + hits + counter + static_val + custom_val;
}

char _license[] SEC("license") = "GPL";
