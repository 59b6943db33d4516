// SPDX-License-Identifier: MIT
/*
 * A small parse-and-drop filter for bench/bench_xdp.c: Ethernet, up to two
 * VLAN tags (802.1Q, 802.1ad), IPv4 (options; fragments pass after the
 * address check) and IPv6 (the upper header right after the fixed one),
 * TCP and UDP.  A source address in deny_v4/deny_v6 or a (protocol,
 * destination port) in deny_ports drops the packet and counts a hit in
 * the entry; a header cut short drops it too.  Every verdict is counted
 * in the per-CPU stats.  With the deny lists empty (no configuration)
 * every well-formed packet is parsed to its ports, looked up and passed.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

enum {
	ST_PASS,
	ST_DENY_ADDR,
	ST_DENY_PORT,
	ST_MALFORMED,
	ST_MAX,
};

struct port_key {
	__u8 proto;
	__u8 pad;
	__u16 port; /* network order */
};

struct vlan_hdr_ {
	__be16 tci;
	__be16 proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* IPv4 source, network order */
	__type(value, __u64);
} deny_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct in6_addr);
	__type(value, __u64);
} deny_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct port_key);
	__type(value, __u64);
} deny_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ST_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline int verdict(__u32 reason, int action)
{
	__u64 *cnt = bpf_map_lookup_elem(&stats, &reason);

	if (cnt)
		*cnt += 1;
	return action;
}

static __always_inline int hit(__u64 *hits, __u32 reason)
{
	__sync_fetch_and_add(hits, 1);
	return verdict(reason, XDP_DROP);
}

SEC("xdp")
int bench_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct port_key pk = {};
	void *l4;
	__u16 proto;
	__u64 *hits;
	int i;

	if ((void *)(eth + 1) > data_end)
		return verdict(ST_MALFORMED, XDP_DROP);
	proto = eth->h_proto;
	l4 = eth + 1;
#pragma unroll
	for (i = 0; i < 2; i++) {
		struct vlan_hdr_ *vh = l4;

		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > data_end)
			return verdict(ST_MALFORMED, XDP_DROP);
		proto = vh->proto;
		l4 = vh + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l4;
		__u32 src;

		if ((void *)(ip + 1) > data_end || ip->ihl < 5)
			return verdict(ST_MALFORMED, XDP_DROP);
		src = ip->saddr;
		hits = bpf_map_lookup_elem(&deny_v4, &src);
		if (hits)
			return hit(hits, ST_DENY_ADDR);
		/* Only the first fragment has the ports. */
		if (ip->frag_off & bpf_htons(0x1fff))
			return verdict(ST_PASS, XDP_PASS);
		pk.proto = ip->protocol;
		l4 = (void *)ip + ip->ihl * 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l4;

		if ((void *)(ip6 + 1) > data_end)
			return verdict(ST_MALFORMED, XDP_DROP);
		hits = bpf_map_lookup_elem(&deny_v6, &ip6->saddr);
		if (hits)
			return hit(hits, ST_DENY_ADDR);
		pk.proto = ip6->nexthdr;
		l4 = ip6 + 1;
	} else {
		return verdict(ST_PASS, XDP_PASS);
	}

	if (pk.proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end)
			return verdict(ST_MALFORMED, XDP_DROP);
		pk.port = th->dest;
	} else if (pk.proto == IPPROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end)
			return verdict(ST_MALFORMED, XDP_DROP);
		pk.port = uh->dest;
	} else {
		return verdict(ST_PASS, XDP_PASS);
	}
	hits = bpf_map_lookup_elem(&deny_ports, &pk);
	if (hits)
		return hit(hits, ST_DENY_PORT);
	return verdict(ST_PASS, XDP_PASS);
}

char _license[] SEC("license") = "Dual MIT/GPL";
