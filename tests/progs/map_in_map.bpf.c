// SPDX-License-Identifier: MIT
/*
 * Map-in-map with inner templates and initial slots, and a PROG_ARRAY
 * with initial programs: __array(values, ...) with designated
 * initialisers, which clang emits as relocations in .rel.maps.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 4);
};

struct inner inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} outer_array SEC(".maps") = {
	.values = { &inner_a, [2] = &inner_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, struct inner);
} outer_hash SEC(".maps") = {
	.values = { [5] = &inner_b },
};

int tail_0(struct xdp_md *ctx);
int tail_3(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__array(values, int(struct xdp_md *));
} jmp_table SEC(".maps") = {
	.values = { [0] = (void *)&tail_0, [3] = (void *)&tail_3 },
};

SEC("xdp")
int tail_0(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int tail_3(struct xdp_md *ctx)
{
	return XDP_TX;
}

SEC("xdp")
int entry(struct xdp_md *ctx)
{
	__u32 k = 0, *v;
	void *in = bpf_map_lookup_elem(&outer_array, &k);

	if (in) {
		v = bpf_map_lookup_elem(in, &k);
		if (v)
			(*v)++;
	}
	k = 5;
	in = bpf_map_lookup_elem(&outer_hash, &k);
	if (in) {
		k = 1;
		v = bpf_map_lookup_elem(in, &k);
		if (v)
			(*v)++;
	}
	bpf_tail_call(ctx, &jmp_table, 3);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
