// SPDX-License-Identifier: MIT
/* An iproute2 definition asking for pinning (PIN_GLOBAL_NS = 2 in its
 * seventh field): libuebpf does not understand it, and says so. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_elf_map {
	__u32 type, size_key, size_value, max_elem, flags;
	__u32 id, pinning, inner_id, inner_idx;
};

struct bpf_elf_map SEC("maps") pinned_counters = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = 4,
	.size_value = 8,
	.max_elem = 2,
	.pinning = 2,
};

SEC("xdp")
int xdp_pinned(struct xdp_md *ctx)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&pinned_counters, &k) ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
