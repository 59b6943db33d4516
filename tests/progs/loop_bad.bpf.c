// SPDX-License-Identifier: MIT
/* bpf_loop programs both verifiers must refuse (tests/unit/test_loop.c). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct cnt {
	__u64 i;
};

static int ret2_cb(__u32 i, void *ctx)
{
	return i & 2; /* 0 or 2: outside [0, 1] */
}

SEC("xdp")
int bad_ret(struct xdp_md *ctx)
{
	bpf_loop(4, ret2_cb, (void *)0, 0);
	return XDP_PASS;
}

static int count_cb(__u32 i, struct cnt *c)
{
	c->i++;
	return 0;
}

/* The counter grows with every iteration: after enough of them the index
 * is past the array. */
SEC("xdp")
int bad_counter(struct xdp_md *ctx)
{
	volatile __u64 arr[4] = { 1, 2, 3, 4 };
	struct cnt c = { 0 };

	bpf_loop(ctx->ingress_ifindex, count_cb, &c, 0);
	return arr[c.i] & 3;
}

char _license[] SEC("license") = "GPL";
