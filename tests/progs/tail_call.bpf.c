// SPDX-License-Identifier: MIT
/* bpf_tail_call: chains compared with the kernel's (test_tail_call.c). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jmp SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} out SEC(".maps");

static void add(__u32 k, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&out, &k);

	if (p)
		*p = *p * 10 + v;
}

/* jmp[0] = itself: stops after the kernel's 33 tail calls. */
SEC("xdp")
int tc_self(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *p = bpf_map_lookup_elem(&out, &k);

	if (p)
		*p += 1;
	bpf_tail_call(ctx, &jmp, 0);
	return XDP_PASS;
}

/* An empty slot and an index past the array: the program goes on. */
SEC("xdp")
int tc_miss(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jmp, 1);
	add(1, 1);
	bpf_tail_call(ctx, &jmp, 100);
	add(1, 2);
	return XDP_DROP;
}

/* tc_a -> jmp[2] (tc_b) -> jmp[3] (tc_c) */
SEC("xdp")
int tc_a(struct xdp_md *ctx)
{
	add(2, 1);
	bpf_tail_call(ctx, &jmp, 2);
	return XDP_ABORTED;
}

SEC("xdp")
int tc_b(struct xdp_md *ctx)
{
	add(2, 2);
	bpf_tail_call(ctx, &jmp, 3);
	return XDP_ABORTED;
}

SEC("xdp")
int tc_c(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	add(2, 3);
	if (data + 1 > end)
		return XDP_ABORTED;
	return *(__u8 *)data == 0x42 ? XDP_TX : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
