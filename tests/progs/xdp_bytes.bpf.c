// SPDX-License-Identifier: MIT
/*
 * bpf_xdp_load_bytes/store_bytes and bpf_xdp_get_buff_len at offsets and
 * lengths from a table (in range, at the end, past it), and an IPv4 TTL
 * decrement with the checksum fixed incrementally by bpf_csum_diff.
 * Return codes and copied bytes land in maps for the kernel differential
 * tests to compare.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define NCASE 8

struct copy {
	__s64 load_rc, store_rc, buff_len;
	__u8 bytes[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} step SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NCASE);
	__type(key, __u32);
	__type(value, struct copy);
} copies SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __s64);
} csums SEC(".maps");

static const volatile __u32 offs[NCASE] = {0,	6,    14,   60,
					   100, 1500, 3500, 0xffffff00};
static const volatile __u32 lens[NCASE] = {14, 64, 20, 1, 64, 8, 16, 4};

SEC("xdp")
int bytes(struct xdp_md *ctx)
{
	__u32 zero = 0, *s = bpf_map_lookup_elem(&step, &zero), i, len;
	struct copy *c;

	if (!s)
		return XDP_ABORTED;
	i = (*s)++ % NCASE;
	c = bpf_map_lookup_elem(&copies, &i);
	if (!c)
		return XDP_ABORTED;
	len = lens[i & (NCASE - 1)];
	if (len < 1 || len > 64)
		return XDP_ABORTED;
	__builtin_memset(c->bytes, 0, sizeof(c->bytes));
	c->load_rc =
		bpf_xdp_load_bytes(ctx, offs[i & (NCASE - 1)], c->bytes, len);
	c->buff_len = bpf_xdp_get_buff_len(ctx);
	if (c->load_rc == 0) {
		c->bytes[0] ^= 0xff;
		c->store_rc = bpf_xdp_store_bytes(ctx, offs[i & (NCASE - 1)],
						  c->bytes, len);
	} else {
		c->store_rc = bpf_xdp_store_bytes(ctx, offs[i & (NCASE - 1)],
						  c->bytes, 1);
	}
	return c->load_rc ? XDP_DROP : XDP_TX;
}

/* TTL - 1 with an incremental checksum, as routers do. */
SEC("xdp")
int ttl_csum(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 old, new, k;
	__s64 sum, *r;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	old = *(__u32 *)&ip->ttl; /* ttl, protocol, check */
	ip->ttl--;
	ip->check = 0;
	new = *(__u32 *)&ip->ttl;
	sum = bpf_csum_diff(&old, 4, &new, 4, 0);
	k = 0;
	r = bpf_map_lookup_elem(&csums, &k);
	if (r)
		*r = sum;
	/* The whole header again, from scratch, over 20 bytes. */
	sum = bpf_csum_diff(0, 0, (void *)ip, sizeof(*ip), 0);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->check = ~sum;
	k = 1;
	r = bpf_map_lookup_elem(&csums, &k);
	if (r)
		*r = sum;
	return XDP_TX;
}

char _license[] SEC("license") = "Dual MIT/GPL";
