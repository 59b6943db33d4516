// SPDX-License-Identifier: MIT
/*
 * For the uebpf command's tests: maps of several kinds that a program
 * reads and writes, so a batch can update a map, run the program and
 * look at what it changed.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Packets seen, by the last byte of their EtherType. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* config[0]: the verdict to return (0: XDP_PASS). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} pcpu SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
};

struct inner inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = {&inner_a},
};

SEC("xdp")
int count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 key, zero = 0, *verdict;
	__u64 one = 1, *v;

	if (data + 14 > data_end)
		return XDP_ABORTED;
	key = ((__u8 *)data)[13];
	v = bpf_map_lookup_elem(&counters, &key);
	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&counters, &key, &one, BPF_ANY);
	v = bpf_map_lookup_elem(&pcpu, &zero);
	if (v)
		*v += 1;
	verdict = bpf_map_lookup_elem(&config, &zero);
	if (verdict && *verdict)
		return *verdict;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
