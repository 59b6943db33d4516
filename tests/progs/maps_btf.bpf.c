// SPDX-License-Identifier: MIT
/*
 * Every map type XDP programs use, defined through BTF: __uint, __type,
 * key_size/value_size, map_flags, inner map templates, and a
 * 33,554,944-entry array as big as Katran's ch_rings.  touch_maps uses each
 * map with a helper the kernel accepts for its type, so the object also
 * loads in the kernel.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct flow {
	__u32 src, dst;
	__u16 sport, dport;
	__u8 proto;
};

struct stats {
	__u64 packets, bytes;
};

struct lpm_v4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct stats);
	__uint(max_entries, 16);
} array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(key_size, 4);
	__uint(value_size, 8);
	__uint(max_entries, 4);
} percpu_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct flow);
	__type(value, struct stats);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, __u64);
	__type(value, __u64);
	__uint(max_entries, 128);
} percpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct flow);
	__type(value, __u32);
	__uint(max_entries, 1000);
} lru_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__type(key, __u32);
	__type(value, struct stats);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
} lru_percpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_v4);
	__type(value, __u32);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} lpm SEC(".maps");

struct inner_array {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 8);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_array);
} array_of_maps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_LRU_HASH);
		__type(key, struct flow);
		__type(value, __u32);
		__uint(max_entries, 100);
	});
} hash_of_maps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 8);
	__uint(key_size, 4);
	__uint(value_size, 4);
} prog_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 8);
} devmap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
	__uint(max_entries, 8);
} devmap_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(key_size, 4);
	__uint(value_size, 4);
	__uint(max_entries, 4);
} xskmap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
	__uint(max_entries, 4);
} cpumap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 10000); /* rounded up to 16 KiB, as libbpf does */
} ringbuf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__type(value, __u32);
	__uint(max_entries, 16);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(value_size, 8);
	__uint(max_entries, 16);
} stack SEC(".maps");

/* Katran's ch_rings: 65,537 rings of 512 reals, 128 MiB of values. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 33554944);
} ch_rings SEC(".maps");

SEC("xdp")
int touch_maps(struct xdp_md *ctx)
{
	struct flow f = { .proto = 6 };
	struct lpm_v4 pfx = { .prefixlen = 32 };
	struct stats *s;
	__u32 key = 0, *v32, val = 1;
	__u64 k64 = 0, *v64;
	void *inner;

	s = bpf_map_lookup_elem(&array, &key);
	if (s)
		s->packets++;
	v64 = bpf_map_lookup_elem(&percpu_array, &key);
	if (v64)
		(*v64)++;
	s = bpf_map_lookup_elem(&hash, &f);
	if (s)
		s->bytes += 64;
	v64 = bpf_map_lookup_elem(&percpu_hash, &k64);
	if (v64)
		(*v64)++;
	v32 = bpf_map_lookup_elem(&lru_hash, &f);
	if (v32)
		(*v32)++;
	s = bpf_map_lookup_elem(&lru_percpu_hash, &key);
	if (s)
		s->packets++;
	v32 = bpf_map_lookup_elem(&lpm, &pfx);
	if (v32)
		(*v32)++;
	inner = bpf_map_lookup_elem(&array_of_maps, &key);
	if (inner) {
		v64 = bpf_map_lookup_elem(inner, &key);
		if (v64)
			(*v64)++;
	}
	inner = bpf_map_lookup_elem(&hash_of_maps, &key);
	if (inner) {
		v32 = bpf_map_lookup_elem(inner, &f);
		if (v32)
			(*v32)++;
	}
	v32 = bpf_map_lookup_elem(&ch_rings, &key);
	if (v32)
		key = *v32 & 3;
	bpf_ringbuf_output(&ringbuf, &val, sizeof(val), 0);
	bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, &val,
			      sizeof(val));
	bpf_map_push_elem(&queue, &val, 0);
	bpf_map_peek_elem(&stack, &k64);
	bpf_tail_call(ctx, &prog_array, key);
	if (key == 1)
		return bpf_redirect_map(&xskmap, 0, XDP_PASS);
	if (key == 2)
		return bpf_redirect_map(&cpumap, 0, XDP_PASS);
	if (key == 3)
		return bpf_redirect_map(&devmap_hash, 0, XDP_PASS);
	return bpf_redirect_map(&devmap, key, XDP_PASS);
}

char _license[] SEC("license") = "GPL";
