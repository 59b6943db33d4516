// SPDX-License-Identifier: MIT
/* Section names: legacy XDP names (iproute2, old samples), SEC("?xdp")
 * with autoload off, tc, and a name that says no type at all. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp_foo")
int legacy_foo(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp1")
int legacy_one(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("?xdp")
int optional(struct xdp_md *ctx)
{
	return XDP_TX;
}

SEC("tc")
int classifier(struct __sk_buff *skb)
{
	return 0;
}

SEC("mystery")
int untyped(void *ctx)
{
	return 1;
}

char _license[] SEC("license") = "GPL";
