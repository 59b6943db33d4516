// SPDX-License-Identifier: MIT
/* A map pinned by name: two objects that pin the same name share it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} shared_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 16);
} private_map SEC(".maps");

SEC("xdp")
int count(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&shared_stats, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
	return bpf_map_lookup_elem(&private_map, &k) ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
