// SPDX-License-Identifier: MIT
/* Legacy map definitions: struct bpf_map_def in SEC("maps"), as objects
 * built before BTF-defined maps declare them.  libbpf 1.x refuses these. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") rx_count = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 256,
};

struct bpf_map_def SEC("maps") flows = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = 8,
	.value_size = 16,
	.max_entries = 4096,
	.map_flags = BPF_F_NO_PREALLOC,
};

struct bpf_map_def SEC("maps") tx_port = {
	.type = BPF_MAP_TYPE_DEVMAP,
	.key_size = 4,
	.value_size = 4,
	.max_entries = 64,
};

SEC("xdp_legacy")
int legacy_prog(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 flow = 0, *v = bpf_map_lookup_elem(&rx_count, &key);

	if (v)
		(*v)++;
	if (bpf_map_lookup_elem(&flows, &flow))
		return XDP_DROP;
	return bpf_redirect_map(&tx_port, 0, 0);
}

char _license[] SEC("license") = "GPL";
