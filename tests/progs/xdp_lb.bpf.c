// SPDX-License-Identifier: MIT
/*
 * xdp_lb: a layer-4 load balancer in one XDP program, written for
 * libuebpf's tests and examples (the map layout is in xdp_lb.h).
 *
 * For each frame:
 *  1. Ethernet; an 802.1Q/802.1ad tag is removed (the addresses moved
 *     over it, bpf_xdp_adjust_head(+4)) and the program tail-calls itself
 *     through lb_progs, once per tag, QinQ included.  When the tail call
 *     fails (slot empty, or the kernel's limit of 33 reached) the frame
 *     passes as it is now.
 *  2. IPv4 (options skipped; fragments pass) or IPv6 (hop-by-hop, routing,
 *     destination options and AH skipped; a fragment header passes);
 *     truncated or inconsistent headers drop; other EtherTypes pass.
 *  3. TCP, UDP (ports) or other protocols (port 0); ICMP echo requests to
 *     an address with an LB_VIP_ICMP_ECHO entry are answered in place.
 *  4. The VIP: lb_vips (addr, port, proto), then (addr, 0, proto) for
 *     LB_VIP_NO_PORT VIPs; anything else passes.
 *  5. The flow: this CPU's LRU (lb_flows_cpu[cpu]) or, with no map in
 *     that slot, the shared lb_flows.  A flow idle past its timeout (UDP
 *     and TCP have their own) or new is hashed (lb_flow_hash, no seed)
 *     onto the VIP's ring in lb_ring, a Maglev table the control plane
 *     fills, and remembered.
 *  6. Encapsulation towards the real, the frame sent back out (XDP_TX):
 *     IPv4 in IPv4 (outer checksum summed here, word by word), IPv6 or
 *     IPv4 in IPv6, or for LB_VIP_GUE VIPs UDP on port 6080 (GUE variant
 *     1: the inner IP header right after UDP) over IPv4 (checksum with
 *     bpf_csum_diff) or IPv6 (UDP checksum zero, RFC 6935).
 * Every packet ends in exactly one lb_stats verdict slot; VIP traffic
 * is also counted in lb_vip_stats.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xdp_lb.h"

#define IP_MF_OFFSET 0x3fff

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

/* ---- maps -----------------------------------------------------------------
 */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_MAX_VIPS);
	__type(key, struct lb_vip_key);
	__type(value, struct lb_vip_meta);
} lb_vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_MAX_REALS);
	__type(key, __u32);
	__type(value, struct lb_real);
} lb_reals SEC(".maps");

/* 33,554,944 u32s: 128 MiB the kernel allocates at creation, libuebpf as
 * pages are touched. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_RING_ENTRIES);
	__type(key, __u32);
	__type(value, __u32);
} lb_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_config);
} lb_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB_FLOWS);
	__type(key, struct lb_flow_key);
	__type(value, struct lb_flow);
} lb_flows SEC(".maps");

struct lb_flow_lru {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB_FLOWS_CPU);
	__type(key, struct lb_flow_key);
	__type(value, struct lb_flow);
};

struct lb_flow_lru lb_flows_cpu0 SEC(".maps"), lb_flows_cpu1 SEC(".maps"),
	lb_flows_cpu2 SEC(".maps"), lb_flows_cpu3 SEC(".maps"),
	lb_flows_cpu4 SEC(".maps"), lb_flows_cpu5 SEC(".maps"),
	lb_flows_cpu6 SEC(".maps"), lb_flows_cpu7 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, LB_CPU_SLOTS);
	__type(key, __u32);
	__array(values, struct lb_flow_lru);
} lb_flows_cpu SEC(".maps") = {
	.values = {&lb_flows_cpu0, &lb_flows_cpu1, &lb_flows_cpu2,
		   &lb_flows_cpu3, &lb_flows_cpu4, &lb_flows_cpu5,
		   &lb_flows_cpu6, &lb_flows_cpu7},
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_STATS_SLOTS);
	__type(key, __u32);
	__type(value, struct lb_counter);
} lb_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct lb_counter);
} lb_vip_stats SEC(".maps");

int xdp_lb(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__array(values, int(struct xdp_md *));
} lb_progs SEC(".maps") = {
	.values = {[0] = (void *)&xdp_lb},
};

/* ---- small pieces -----------------------------------------------------------
 */

static __always_inline void count(__u32 slot, __u64 bytes)
{
	struct lb_counter *c = bpf_map_lookup_elem(&lb_stats, &slot);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

static __always_inline int verdict(__u32 slot, __u64 bytes, int action)
{
	count(slot, bytes);
	return action;
}

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* RFC 1624: the checksum after one 16-bit word changes from old to new. */
static __always_inline __u16 csum_replace2(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check + (__u16)~old + (__u32) new;

	return csum_fold(sum);
}

/* The packet bounds after a helper moved them. */
#define RELOAD(ctx, data, data_end)                       \
	do {                                              \
		data = (void *)(long)(ctx)->data;         \
		data_end = (void *)(long)(ctx)->data_end; \
	} while (0)

/* ---- 1. VLAN tags: one per tail call
 * ----------------------------------------- */

static __always_inline int pop_vlan(struct xdp_md *ctx, __u64 len)
{
	void *data, *data_end;
	unsigned char macs[12];

	RELOAD(ctx, data, data_end);
	if (data + sizeof(struct ethhdr) + sizeof(struct vlan_tag) > data_end)
		return verdict(LB_STAT_DROP_MALFORMED, len, XDP_DROP);
	__builtin_memcpy(macs, data, sizeof(macs));
	if (bpf_xdp_adjust_head(ctx, (int)sizeof(struct vlan_tag)))
		return verdict(LB_STAT_DROP_MALFORMED, len, XDP_DROP);
	RELOAD(ctx, data, data_end);
	if (data + sizeof(struct ethhdr) > data_end)
		return verdict(LB_STAT_DROP_MALFORMED, len, XDP_DROP);
	__builtin_memcpy(data, macs, sizeof(macs));
	count(LB_STAT_VLAN_POP, len);
	bpf_tail_call(ctx, &lb_progs, 0);
	return verdict(LB_STAT_PASS_TAIL_FAIL, len - sizeof(struct vlan_tag),
		       XDP_PASS);
}

/* ---- 6. encapsulation ---------------------------------------------------- */

/* The new Ethernet header at data, the old one at data + room: towards
 * the gateway, from the address the frame came to. */
static __always_inline void put_eth(struct ethhdr *eth, struct ethhdr *old,
				    const struct lb_config *cfg, __u16 proto)
{
	__builtin_memcpy(eth->h_source, old->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, cfg->gw_mac, ETH_ALEN);
	eth->h_proto = bpf_htons(proto);
}

static __always_inline int encap_v4(struct xdp_md *ctx,
				    const struct lb_config *cfg,
				    const struct lb_real *real, __u32 hash,
				    __u16 inner_len, __u8 inner_tos,
				    const int gue, __u64 len)
{
	int room = sizeof(struct iphdr) + (gue ? sizeof(struct udphdr) : 0);
	void *data, *data_end;
	struct ethhdr *eth;
	struct iphdr *iph;
	__u16 tot_len;

	if (bpf_xdp_adjust_head(ctx, -room))
		return verdict(LB_STAT_DROP_ENCAP, len, XDP_DROP);
	RELOAD(ctx, data, data_end);
	/* The old Ethernet header, read before the outer header covers it. */
	if (data + room + sizeof(struct ethhdr) > data_end)
		return verdict(LB_STAT_DROP_ENCAP, len, XDP_DROP);
	eth = data;
	put_eth(eth, data + room, cfg, ETH_P_IP);
	iph = data + sizeof(struct ethhdr);
	tot_len = inner_len + room;
	iph->version = 4;
	iph->ihl = 5;
	iph->tos = inner_tos;
	iph->tot_len = bpf_htons(tot_len);
	iph->id = 0;
	iph->frag_off = 0;
	iph->ttl = 64;
	iph->check = 0;
	iph->saddr = (cfg->src_v4 & bpf_htonl(0xffff0000)) |
		     bpf_htonl(hash & 0xffff);
	iph->daddr = real->addr[0];
	if (gue) {
		struct udphdr *udp = (void *)(iph + 1);
		__u16 port =
			cfg->gue_port ? cfg->gue_port : bpf_htons(LB_GUE_PORT);
		__s64 sum;

		iph->protocol = IPPROTO_UDP;
		udp->source = bpf_htons(0x8000 | (hash >> 17));
		udp->dest = port;
		udp->len = bpf_htons(inner_len + sizeof(*udp));
		udp->check = 0;
		/* The outer checksum by the helper, over the packet itself. */
		sum = bpf_csum_diff(0, 0, (__be32 *)iph, sizeof(*iph), 0);
		iph->check = csum_fold((__u32)sum);
		return verdict(LB_STAT_TX_GUE4, len, XDP_TX);
	}
	/* The outer checksum by hand: ten 16-bit words. */
	iph->protocol = IPPROTO_IPIP;
	{
		__u16 *w = (__u16 *)iph;
		__u32 sum = 0;
		int i;

#pragma unroll
		for (i = 0; i < (int)(sizeof(*iph) / 2); i++)
			sum += w[i];
		iph->check = csum_fold(sum);
	}
	return verdict(LB_STAT_TX_IPIP, len, XDP_TX);
}

static __always_inline int encap_v6(struct xdp_md *ctx,
				    const struct lb_config *cfg,
				    const struct lb_real *real, __u32 hash,
				    __u16 inner_len, __u8 inner_tc,
				    int inner_v6, const int gue, __u64 len)
{
	int room = sizeof(struct ipv6hdr) + (gue ? sizeof(struct udphdr) : 0);
	void *data, *data_end;
	struct ipv6hdr *ip6;
	__u16 payload;

	if (bpf_xdp_adjust_head(ctx, -room))
		return verdict(LB_STAT_DROP_ENCAP, len, XDP_DROP);
	RELOAD(ctx, data, data_end);
	if (data + room + sizeof(struct ethhdr) > data_end)
		return verdict(LB_STAT_DROP_ENCAP, len, XDP_DROP);
	put_eth(data, data + room, cfg, ETH_P_IPV6);
	ip6 = data + sizeof(struct ethhdr);
	payload = inner_len + (gue ? sizeof(struct udphdr) : 0);
	/* Version 6, the inner traffic class, a flow label from the hash. */
	ip6->version = 6;
	ip6->priority = inner_tc >> 4;
	ip6->flow_lbl[0] = (inner_tc << 4) | ((hash >> 16) & 0x0f);
	ip6->flow_lbl[1] = hash >> 8;
	ip6->flow_lbl[2] = hash;
	ip6->payload_len = bpf_htons(payload);
	ip6->hop_limit = 64;
	ip6->saddr.in6_u.u6_addr32[0] = cfg->src_v6[0];
	ip6->saddr.in6_u.u6_addr32[1] = cfg->src_v6[1];
	ip6->saddr.in6_u.u6_addr32[2] = cfg->src_v6[2];
	ip6->saddr.in6_u.u6_addr32[3] = bpf_htonl(hash);
	ip6->daddr.in6_u.u6_addr32[0] = real->addr[0];
	ip6->daddr.in6_u.u6_addr32[1] = real->addr[1];
	ip6->daddr.in6_u.u6_addr32[2] = real->addr[2];
	ip6->daddr.in6_u.u6_addr32[3] = real->addr[3];
	if (gue) {
		struct udphdr *udp = (void *)(ip6 + 1);

		ip6->nexthdr = IPPROTO_UDP;
		udp->source = bpf_htons(0x8000 | (hash >> 17));
		udp->dest =
			cfg->gue_port ? cfg->gue_port : bpf_htons(LB_GUE_PORT);
		udp->len = bpf_htons(payload);
		udp->check = 0;
		return verdict(LB_STAT_TX_GUE6, len, XDP_TX);
	}
	ip6->nexthdr = inner_v6 ? IPPROTO_IPV6 : IPPROTO_IPIP;
	return verdict(inner_v6 ? LB_STAT_TX_IP6IP6 : LB_STAT_TX_IP4IP6, len,
		       XDP_TX);
}

/* ---- 4, 5. VIP, flow, real
 * --------------------------------------------------- */

struct pkt {
	struct lb_flow_key key;
	__u64 len;	 /* the frame's length as received */
	__u16 inner_len; /* the IP packet's own length (no Ethernet padding) */
	__u8 tos;	 /* IPv4 TOS or IPv6 traffic class */
};

static __always_inline int balance(struct xdp_md *ctx, struct pkt *p)
{
	struct lb_vip_key vk = {};
	struct lb_vip_meta *vip;
	struct lb_config *cfg;
	struct lb_real *real;
	struct lb_flow *flow;
	struct lb_counter *vc;
	struct lb_flow nf = {};
	__u32 zero = 0, cpu, hash, real_idx = 0, vip_num, flags;
	__u64 now, timeout;
	void *lru;

	__builtin_memcpy(vk.addr, p->key.dst, sizeof(vk.addr));
	vk.port = p->key.dport;
	vk.proto = p->key.proto;
	vk.family = p->key.family;
	vip = bpf_map_lookup_elem(&lb_vips, &vk);
	if (!vip) {
		vk.port = 0;
		vip = bpf_map_lookup_elem(&lb_vips, &vk);
		if (!vip || !(vip->flags & LB_VIP_NO_PORT))
			return verdict(LB_STAT_PASS_NON_VIP, p->len, XDP_PASS);
	}
	vip_num = vip->vip_num;
	flags = vip->flags;
	if (vip_num >= LB_MAX_VIPS)
		return verdict(LB_STAT_DROP_NO_REAL, p->len, XDP_DROP);
	vc = bpf_map_lookup_elem(&lb_vip_stats, &vip_num);
	if (vc) {
		vc->packets++;
		vc->bytes += p->len;
	}
	cfg = bpf_map_lookup_elem(&lb_config, &zero);
	if (!cfg)
		return verdict(LB_STAT_DROP_NO_REAL, p->len, XDP_DROP);
	if (flags & LB_VIP_NO_PORT)
		p->key.dport = 0;
	hash = lb_flow_hash(&p->key, flags & LB_VIP_NO_SRC_PORT);

	/* This CPU's flow table, or the shared one. */
	cpu = bpf_get_smp_processor_id();
	lru = bpf_map_lookup_elem(&lb_flows_cpu, &cpu);
	if (!lru) {
		lru = &lb_flows;
		count(LB_STAT_FLOW_SHARED, p->len);
	}
	now = bpf_ktime_get_ns();
	timeout = p->key.proto == IPPROTO_UDP ? cfg->udp_timeout_ns
					      : cfg->tcp_timeout_ns;
	flow = bpf_map_lookup_elem(lru, &p->key);
	if (flow && flow->vip_num == vip_num) {
		if (timeout && now - flow->last_seen > timeout) {
			count(LB_STAT_FLOW_EXPIRED, p->len);
		} else {
			real_idx = flow->real;
			flow->last_seen = now;
			count(lru == (void *)&lb_flows ? LB_STAT_FLOW_SHARED_HIT
						       : LB_STAT_FLOW_CPU_HIT,
			      p->len);
		}
	} else {
		count(LB_STAT_FLOW_NEW, p->len);
	}
	if (!real_idx) {
		__u32 slot = vip_num * LB_RING_SIZE + hash % LB_RING_SIZE;
		__u32 *r = bpf_map_lookup_elem(&lb_ring, &slot);

		if (!r || !*r)
			return verdict(LB_STAT_DROP_NO_REAL, p->len, XDP_DROP);
		real_idx = *r;
		nf.real = real_idx;
		nf.vip_num = vip_num;
		nf.last_seen = now;
		bpf_map_update_elem(lru, &p->key, &nf, BPF_ANY);
	}
	real = bpf_map_lookup_elem(&lb_reals, &real_idx);
	if (!real)
		return verdict(LB_STAT_DROP_NO_REAL, p->len, XDP_DROP);

	/* gue is a constant in each call: the headroom taken must be one for
	 * the verifier to know the new header's bounds. */
	if (real->flags & LB_REAL_V6) {
		if (flags & LB_VIP_GUE)
			return encap_v6(ctx, cfg, real, hash, p->inner_len,
					p->tos, p->key.family == 6, 1, p->len);
		return encap_v6(ctx, cfg, real, hash, p->inner_len, p->tos,
				p->key.family == 6, 0, p->len);
	}
	if (flags & LB_VIP_GUE)
		return encap_v4(ctx, cfg, real, hash, p->inner_len, p->tos, 1,
				p->len);
	if (p->key.family == 6)
		/* IPv6 towards an IPv4 real: only GUE carries it. */
		return verdict(LB_STAT_DROP_NO_REAL, p->len, XDP_DROP);
	return encap_v4(ctx, cfg, real, hash, p->inner_len, p->tos, 0, p->len);
}

/* ---- 3. ICMP echo for a VIP -------------------------------------------------
 */

static __always_inline int is_echo_vip(const struct pkt *p)
{
	struct lb_vip_key vk = {};
	struct lb_vip_meta *vip;

	__builtin_memcpy(vk.addr, p->key.dst, sizeof(vk.addr));
	vk.proto = p->key.proto;
	vk.family = p->key.family;
	vip = bpf_map_lookup_elem(&lb_vips, &vk);
	return vip && (vip->flags & LB_VIP_ICMP_ECHO);
}

static __always_inline void swap_macs(struct ethhdr *eth)
{
	unsigned char tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

/* ---- 2. IPv4 and IPv6 ---------------------------------------------------- */

static __always_inline int handle_v4(struct xdp_md *ctx, __u64 len)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *iph = data + sizeof(struct ethhdr);
	struct pkt p = {};
	__u32 ihl, tot_len;
	void *l4;

	if ((void *)(iph + 1) > data_end)
		return verdict(LB_STAT_DROP_MALFORMED, len, XDP_DROP);
	ihl = iph->ihl * 4;
	tot_len = bpf_ntohs(iph->tot_len);
	if (iph->version != 4 || ihl < sizeof(*iph) || tot_len < ihl ||
	    tot_len > len - sizeof(struct ethhdr))
		return verdict(LB_STAT_DROP_MALFORMED, len, XDP_DROP);
	l4 = (void *)iph + ihl;
	if (l4 > data_end)
		return verdict(LB_STAT_DROP_MALFORMED, len, XDP_DROP);
	if (iph->frag_off & bpf_htons(IP_MF_OFFSET))
		return verdict(LB_STAT_PASS_FRAG, len, XDP_PASS);
	p.len = len;
	p.inner_len = tot_len;
	p.tos = iph->tos;
	p.key.family = 4;
	p.key.proto = iph->protocol;
	p.key.src[0] = iph->saddr;
	p.key.dst[0] = iph->daddr;

	switch (iph->protocol) {
	case IPPROTO_TCP:
	case IPPROTO_UDP: {
		__be16 *ports = l4;
		__u32 l4size = iph->protocol == IPPROTO_TCP
				       ? sizeof(struct tcphdr)
				       : sizeof(struct udphdr);

		/* Both carry the ports in their first four bytes; a TCP
		 * header must be there whole, in the frame and inside the
		 * IP packet's length. */
		if (l4 + l4size > data_end || ihl + l4size > tot_len)
			return verdict(LB_STAT_DROP_MALFORMED, len, XDP_DROP);
		p.key.sport = ports[0];
		p.key.dport = ports[1];
		break;
	}
	case IPPROTO_ICMP: {
		struct icmphdr *icmp = l4;
		__u16 old;

		if ((void *)(icmp + 1) > data_end)
			return verdict(LB_STAT_DROP_MALFORMED, len, XDP_DROP);
		if (icmp->type != ICMP_ECHO || !is_echo_vip(&p))
			return verdict(LB_STAT_PASS_NON_VIP, len, XDP_PASS);
		/* Echo reply: addresses swapped (the IPv4 checksum does not
		 * change), type 8 -> 0 with the checksum adjusted. */
		old = *(__u16 *)icmp;
		icmp->type = ICMP_ECHOREPLY;
		icmp->checksum =
			csum_replace2(icmp->checksum, old, *(__u16 *)icmp);
		iph->saddr = p.key.dst[0];
		iph->daddr = p.key.src[0];
		swap_macs(data);
		return verdict(LB_STAT_TX_ICMP_ECHO, len, XDP_TX);
	}
	default: break;
	}
	return balance(ctx, &p);
}

#define MAX_EXT_HDRS 4

static __always_inline int handle_v6(struct xdp_md *ctx, __u64 len)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);
	struct pkt p = {};
	__u32 payload, ext = 0, step;
	__u8 nexthdr;
	void *l4;
	int i;

	if ((void *)(ip6 + 1) > data_end)
		return verdict(LB_STAT_DROP_MALFORMED, len, XDP_DROP);
	payload = bpf_ntohs(ip6->payload_len);
	if (ip6->version != 6 ||
	    payload + sizeof(*ip6) > len - sizeof(struct ethhdr))
		return verdict(LB_STAT_DROP_MALFORMED, len, XDP_DROP);
	nexthdr = ip6->nexthdr;
	l4 = ip6 + 1;
#pragma unroll
	for (i = 0; i < MAX_EXT_HDRS; i++) {
		struct ipv6_opt_hdr *eh = l4;

		if (nexthdr == IPPROTO_FRAGMENT)
			return verdict(LB_STAT_PASS_FRAG, len, XDP_PASS);
		if (nexthdr != IPPROTO_HOPOPTS && nexthdr != IPPROTO_ROUTING &&
		    nexthdr != IPPROTO_DSTOPTS && nexthdr != IPPROTO_AH)
			break;
		if (l4 + 8 > data_end)
			return verdict(LB_STAT_DROP_MALFORMED, len, XDP_DROP);
		/* AH counts 4-byte words less two, the others 8-byte words
		 * less one. */
		if (nexthdr == IPPROTO_AH)
			step = (eh->hdrlen + 2) * 4;
		else
			step = (eh->hdrlen + 1) * 8;
		l4 += step;
		ext += step;
		nexthdr = eh->nexthdr;
	}
	if (nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	    nexthdr == IPPROTO_DSTOPTS || nexthdr == IPPROTO_AH ||
	    nexthdr == IPPROTO_FRAGMENT)
		/* More extension headers than we follow. */
		return verdict(LB_STAT_PASS_NON_VIP, len, XDP_PASS);
	if (l4 > data_end)
		return verdict(LB_STAT_DROP_MALFORMED, len, XDP_DROP);
	p.len = len;
	p.inner_len = payload + sizeof(*ip6);
	p.tos = (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4);
	p.key.family = 6;
	p.key.proto = nexthdr;
	__builtin_memcpy(p.key.src, &ip6->saddr, 16);
	__builtin_memcpy(p.key.dst, &ip6->daddr, 16);

	switch (nexthdr) {
	case IPPROTO_TCP:
	case IPPROTO_UDP: {
		__be16 *ports = l4;
		__u32 l4size = nexthdr == IPPROTO_TCP ? sizeof(struct tcphdr)
						      : sizeof(struct udphdr);

		if (l4 + l4size > data_end || ext + l4size > payload)
			return verdict(LB_STAT_DROP_MALFORMED, len, XDP_DROP);
		p.key.sport = ports[0];
		p.key.dport = ports[1];
		break;
	}
	case IPPROTO_ICMPV6: {
		struct icmp6hdr *icmp = l4;
		struct in6_addr tmp;
		__u16 old;

		if ((void *)(icmp + 1) > data_end)
			return verdict(LB_STAT_DROP_MALFORMED, len, XDP_DROP);
		if (icmp->icmp6_type != ICMPV6_ECHO_REQUEST || !is_echo_vip(&p))
			return verdict(LB_STAT_PASS_NON_VIP, len, XDP_PASS);
		/* Swapping the addresses leaves the pseudo-header's sum as
		 * it was; type 128 -> 129. */
		old = *(__u16 *)icmp;
		icmp->icmp6_type = ICMPV6_ECHO_REPLY;
		icmp->icmp6_cksum =
			csum_replace2(icmp->icmp6_cksum, old, *(__u16 *)icmp);
		tmp = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = tmp;
		swap_macs(data);
		return verdict(LB_STAT_TX_ICMP_ECHO, len, XDP_TX);
	}
	default: break;
	}
	return balance(ctx, &p);
}

/* ---- entry --------------------------------------------------------------- */

SEC("xdp")
int xdp_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 len = data_end - data;

	if ((void *)(eth + 1) > data_end)
		return verdict(LB_STAT_DROP_MALFORMED, len, XDP_DROP);
	switch (eth->h_proto) {
	case bpf_htons(ETH_P_8021Q):
	case bpf_htons(ETH_P_8021AD): return pop_vlan(ctx, len);
	case bpf_htons(ETH_P_IP): return handle_v4(ctx, len);
	case bpf_htons(ETH_P_IPV6): return handle_v6(ctx, len);
	default: return verdict(LB_STAT_PASS_NON_IP, len, XDP_PASS);
	}
}

char _license[] SEC("license") = "Dual MIT/GPL";
