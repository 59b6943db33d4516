// SPDX-License-Identifier: MIT
/* bpf_loop: results compared with the kernel's (tests/unit/test_loop.c).
 * The packet carries the arguments; results go to the array "out". */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} out SEC(".maps");

struct args {
	__u64 nr;
	__u64 flags;
	__u64 stop; /* the callback returns 1 at this index */
};

struct acc {
	__u64 sum;
	__u64 stop;
};

static void put(__u32 k, __u64 v)
{
	bpf_map_update_elem(&out, &k, &v, 0);
}

static int sum_cb(__u32 i, struct acc *a)
{
	if (i == a->stop)
		return 1;
	a->sum += i * 3 + 1;
	return 0;
}

/* flags from the packet: the helper's semantics (u32 nr_loops). */
SEC("xdp")
int loop_args(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct args *p = data;
	struct acc a = { 0, 0 };
	long r;

	if ((void *)(p + 1) > end)
		return XDP_ABORTED;
	a.stop = p->stop;
	r = bpf_loop(p->nr, sum_cb, &a, p->flags);
	put(0, r);
	put(1, a.sum);
	return XDP_PASS;
}

/* flags a known 0: the kernel inlines the loop (64-bit nr_loops check). */
SEC("xdp")
int loop_inline(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct args *p = data;
	struct acc a = { 0, 0 };
	long r;

	if ((void *)(p + 1) > end)
		return XDP_ABORTED;
	a.stop = p->stop;
	r = bpf_loop(p->nr, sum_cb, &a, 0);
	put(0, r);
	put(1, a.sum);
	return XDP_PASS;
}

/* Nested loops, the inner callback calling a subprogram. */
static __attribute__((noinline)) __u64 mix(__u64 x, __u32 j)
{
	return x * 31 + j;
}

static int inner_cb(__u32 j, struct acc *a)
{
	a->sum = mix(a->sum, j);
	return 0;
}

static int outer_cb(__u32 i, struct acc *a)
{
	struct acc in = { a->sum, 0 };

	bpf_loop(i + 1 < a->stop ? i + 1 : a->stop, inner_cb, &in, 0);
	a->sum = in.sum ^ i;
	return 0;
}

SEC("xdp")
int loop_nested(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct args *p = data;
	struct acc a = { 7, 0 };
	long r;

	if ((void *)(p + 1) > end)
		return XDP_ABORTED;
	a.stop = p->stop & 15;
	r = bpf_loop(p->nr & 31, outer_cb, &a, 0);
	put(0, r);
	put(1, a.sum);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
