// SPDX-License-Identifier: MIT
/*
 * Built as Katran builds its objects: clang -emit-llvm for the host, then
 * llc -march=bpf.  The result carries .eh_frame with .rel.eh_frame, local
 * LBB* symbols in the code, and calls between sections.  count_and_pass
 * reads no context; a test runs it as a raw program.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} llc_counts SEC(".maps");

__u64 llc_total = 40;

static __attribute__((noinline)) int pick(int x)
{
	int i, r = 0;

#pragma clang loop unroll(full)
	for (i = 0; i < 6; i++)
		r += (i & 1) ? i : -i;
	return r + x - 6;
}

SEC("xdp")
int count_and_pass(struct xdp_md *ctx)
{
	volatile int n = 6;

	llc_total += 2;
	/* pick(6) = -0 +1 -2 +3 -4 +5 = 3; 42 + 3 */
	return llc_total + pick(n);
}

SEC("xdp")
int count_map(struct xdp_md *ctx)
{
	__u32 k = 1;
	__u64 *v = bpf_map_lookup_elem(&llc_counts, &k);

	if (v)
		(*v)++;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
