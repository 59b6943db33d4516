// SPDX-License-Identifier: MIT
/*
 * bpf_xdp_adjust_head/meta/tail at and past the frame's limits.  Each
 * program takes the next delta of its table per packet (a counter carried
 * in step[]), records the helper's return code in rcs[], and writes into
 * the bytes it gained, so the kernel differential tests see where each
 * helper succeeds and fails and what the packet looks like afterwards.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NDELTA 16

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u32);
} step SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3 * NDELTA);
	__type(key, __u32);
	__type(value, __s64);
} rcs SEC(".maps");

static __always_inline __u32 next(__u32 which)
{
	__u32 *s = bpf_map_lookup_elem(&step, &which), v;

	if (!s)
		return 0;
	v = *s;
	*s = v + 1;
	return v % NDELTA;
}

static __always_inline void record(__u32 which, __u32 i, long rc)
{
	__u32 k = which * NDELTA + i;
	__s64 *r = bpf_map_lookup_elem(&rcs, &k);

	if (r)
		*r = rc;
}

static const volatile int head_deltas[NDELTA] = {
	-14, 14,   -256, -216, -217, -300, 4,	 -4,
	0,   1000, 3000, -1,   40,   -40,  -100, 64,
};

SEC("xdp")
int adjust_head(struct xdp_md *ctx)
{
	__u32 i = next(0);
	int delta = head_deltas[i & (NDELTA - 1)];
	long rc = bpf_xdp_adjust_head(ctx, delta);
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	record(0, i, rc);
	if (rc == 0 && delta < 0 && data + 14 <= end) {
		/* A new Ethernet header in front. */
		__builtin_memset(data, 0xee, 12);
		((__u8 *)data)[12] = 0x88;
		((__u8 *)data)[13] = 0xb5;
	}
	return rc ? XDP_DROP : XDP_TX;
}

static const volatile int meta_deltas[NDELTA] = {
	-4, -8, -32, -36, 4, -3, 0, -40, -252, 8, -12, -16, 32, -20, -24, -28,
};

SEC("xdp")
int adjust_meta(struct xdp_md *ctx)
{
	__u32 i = next(1);
	int delta = meta_deltas[i & (NDELTA - 1)];
	long rc = bpf_xdp_adjust_meta(ctx, delta);
	void *meta = (void *)(long)ctx->data_meta;
	void *data = (void *)(long)ctx->data;

	record(1, i, rc);
	if (meta + 4 <= data)
		*(__u32 *)meta = 0xfeedf00d + i;
	return rc ? XDP_ABORTED : XDP_PASS;
}

static const volatile int tail_deltas[NDELTA] = {
	-1,  1, 100,  -20,  3456, 3457, -3000, 4000,
	-40, 0, 2000, -100, 64,	  -64,	1500,  -1500,
};

SEC("xdp")
int adjust_tail(struct xdp_md *ctx)
{
	__u32 i = next(2);
	int delta = tail_deltas[i & (NDELTA - 1)];
	long rc = bpf_xdp_adjust_tail(ctx, delta);
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;

	record(2, i, rc);
	/* The last byte, whatever the length now. */
	if (end > data) {
		__u32 off = (__u32)(bpf_xdp_get_buff_len(ctx) - 1) & 0xfff;

		if (data + off + 1 <= end)
			data[off] = (__u8)i;
	}
	return rc ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "Dual MIT/GPL";
