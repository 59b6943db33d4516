// SPDX-License-Identifier: MIT
/* Pins the name pinning.bpf.c pins, with another value size. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 4);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} shared_stats SEC(".maps");

SEC("xdp")
int count32(struct xdp_md *ctx)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&shared_stats, &k) ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
