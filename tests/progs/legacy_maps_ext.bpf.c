// SPDX-License-Identifier: MIT
/* Legacy definitions larger than struct bpf_map_def (iproute2's struct
 * bpf_elf_map has id, pinning, inner_id, inner_idx after the five fields):
 * extra fields left zero are accepted.  No license section, as some old
 * objects have none. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_elf_map {
	__u32 type, size_key, size_value, max_elem, flags;
	__u32 id, pinning, inner_id, inner_idx;
};

struct bpf_elf_map SEC("maps") counters = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = 4,
	.size_value = 8,
	.max_elem = 2,
};

struct bpf_elf_map SEC("maps") seen = {
	.type = BPF_MAP_TYPE_LRU_HASH,
	.size_key = 4,
	.size_value = 4,
	.max_elem = 128,
};

SEC("xdp")
int xdp_ext(struct xdp_md *ctx)
{
	__u32 k = 1;
	__u64 *c = bpf_map_lookup_elem(&counters, &k);

	if (c)
		(*c)++;
	bpf_map_update_elem(&seen, &k, &k, BPF_ANY);
	return XDP_PASS;
}
