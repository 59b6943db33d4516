// SPDX-License-Identifier: MIT
/*
 * For the uebpf command's tests of BTF-formatted map output: a hash map
 * whose key and value are structs with every kind bpftool's btf_dumper
 * prints (integers of each size and sign, a char array, an enum,
 * bitfields, an array, a union, a nested struct), a per-CPU counter the
 * program adds to, and global data.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum tool_color { RED = 0, GREEN = 5, BLUE = 7 };

struct tool_key {
	__u32 id;
	__u16 port;
	__u8 proto;
	__u8 pad;
};

struct tool_rec {
	__u64 big;
	__u32 u32;
	__s16 s16;
	__s8 s8;
	char name[9];
	enum tool_color color;
	__u8 low : 3, high : 5;
	__u8 pad[3];
	__u16 ports[2];
	union {
		__u32 word;
		__u8 bytes[4];
	} un;
	struct {
		__u32 a, b;
	} inner;
};

struct tool_counter {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, struct tool_key);
	__type(value, struct tool_rec);
} recs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct tool_counter);
} pcnt SEC(".maps");

__u64 runs = 0;
const volatile __u32 verdict = XDP_PASS;

SEC("xdp")
int count(struct xdp_md *ctx)
{
	struct tool_counter *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&pcnt, &zero);
	if (c) {
		c->packets += 1;
		c->bytes += ctx->data_end - ctx->data;
	}
	__sync_fetch_and_add(&runs, 1);
	return verdict;
}

char _license[] SEC("license") = "GPL";
