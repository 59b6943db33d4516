// SPDX-License-Identifier: MIT
/*
 * A parse-and-drop filter: Ethernet, up to two VLAN tags (802.1Q, QinQ),
 * IPv4 (options, fragments) and IPv6 (extension header chains), TCP and
 * UDP ports.  A source address in deny_v4/deny_v6 (HASH) or in a prefix
 * of deny_lpm4/deny_lpm6 (LPM_TRIE), or a destination port in deny_ports,
 * drops the packet; malformed headers drop it too.  Counters are
 * PERCPU_ARRAY (by reason) and PERCPU_HASH (by EtherType).  Used by the
 * kernel differential tests (tests/kernel/) and the benchmarks.
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
	CNT_PKTS,
	CNT_BYTES,
	CNT_PASS,
	CNT_DENY_ADDR,
	CNT_DENY_PREFIX,
	CNT_DENY_PORT,
	CNT_MALFORMED,
	CNT_FRAGMENT,
	CNT_EXT_HDRS,
	CNT_MAX,
};

struct lpm4_key {
	__u32 prefixlen;
	__u32 addr;
};

struct lpm6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct port_key {
	__u8 proto;
	__u8 pad;
	__u16 port; /* network order */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);   /* IPv4 source, network order */
	__type(value, __u64); /* hits */
} deny_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct in6_addr);
	__type(value, __u64);
} deny_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm4_key);
	__type(value, __u64);
} deny_lpm4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm6_key);
	__type(value, __u64);
} deny_lpm6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct port_key);
	__type(value, __u64);
} deny_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 32);
	__type(key, __u16); /* EtherType after the tags, host order */
	__type(value, __u64);
} by_proto SEC(".maps");

static __always_inline void count(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += n;
}

static __always_inline int hit(__u64 *v, __u32 reason)
{
	__sync_fetch_and_add(v, 1);
	count(reason, 1);
	return XDP_DROP;
}

/* Destination port of a TCP/UDP header at l4, or -1 with the verdict in
 * *verdict. */
static __always_inline int l4_port(void *l4, void *end, __u8 proto,
				   int *verdict)
{
	struct port_key k = {.proto = proto};
	__u64 *v;

	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > end || th->doff < 5 ||
		    l4 + th->doff * 4 > end)
			goto bad;
		k.port = th->dest;
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > end)
			goto bad;
		k.port = uh->dest;
	} else {
		return 0;
	}
	v = bpf_map_lookup_elem(&deny_ports, &k);
	if (v) {
		*verdict = hit(v, CNT_DENY_PORT);
		return -1;
	}
	return 0;
bad:
	count(CNT_MALFORMED, 1);
	*verdict = XDP_DROP;
	return -1;
}

static __always_inline int do_ipv4(void *p, void *end)
{
	struct iphdr *ip = p;
	struct lpm4_key lk = {.prefixlen = 32};
	int verdict = XDP_PASS;
	__u32 saddr;
	__u64 *v;

	if ((void *)(ip + 1) > end || ip->version != 4 || ip->ihl < 5 ||
	    p + ip->ihl * 4 > end)
		goto bad;
	if (bpf_ntohs(ip->tot_len) < ip->ihl * 4)
		goto bad;
	saddr = ip->saddr;
	v = bpf_map_lookup_elem(&deny_v4, &saddr);
	if (v)
		return hit(v, CNT_DENY_ADDR);
	lk.addr = saddr;
	v = bpf_map_lookup_elem(&deny_lpm4, &lk);
	if (v)
		return hit(v, CNT_DENY_PREFIX);
	if (ip->frag_off & bpf_htons(0x3fff)) {
		count(CNT_FRAGMENT, 1);
		/* Only the first fragment has the ports. */
		if (ip->frag_off & bpf_htons(0x1fff))
			return XDP_PASS;
	}
	if (l4_port(p + ip->ihl * 4, end, ip->protocol, &verdict))
		return verdict;
	return XDP_PASS;
bad:
	count(CNT_MALFORMED, 1);
	return XDP_DROP;
}

static __always_inline int do_ipv6(void *p, void *end)
{
	struct ipv6hdr *ip6 = p;
	struct lpm6_key lk = {.prefixlen = 128};
	int verdict = XDP_PASS, i;
	__u8 next;
	__u64 *v;

	if ((void *)(ip6 + 1) > end || ip6->version != 6)
		goto bad;
	v = bpf_map_lookup_elem(&deny_v6, &ip6->saddr);
	if (v)
		return hit(v, CNT_DENY_ADDR);
	__builtin_memcpy(lk.addr, &ip6->saddr, 16);
	v = bpf_map_lookup_elem(&deny_lpm6, &lk);
	if (v)
		return hit(v, CNT_DENY_PREFIX);
	next = ip6->nexthdr;
	p = ip6 + 1;
	for (i = 0; i < 8; i++) {
		struct ipv6_opt_hdr *eh = p;

		if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
		    next == IPPROTO_DSTOPTS) {
			if ((void *)(eh + 1) > end)
				goto bad;
			count(CNT_EXT_HDRS, 1);
			next = eh->nexthdr;
			p += (eh->hdrlen + 1) * 8;
		} else if (next == IPPROTO_FRAGMENT) {
			struct frag_hdr {
				__u8 nexthdr, reserved;
				__be16 frag_off;
				__be32 id;
			} *fh = p;

			if ((void *)(fh + 1) > end)
				goto bad;
			count(CNT_FRAGMENT, 1);
			if (fh->frag_off & bpf_htons(0xfff8))
				return XDP_PASS;
			next = fh->nexthdr;
			p = fh + 1;
		} else {
			break;
		}
	}
	if (p > end)
		goto bad;
	if (l4_port(p, end, next, &verdict))
		return verdict;
	return XDP_PASS;
bad:
	count(CNT_MALFORMED, 1);
	return XDP_DROP;
}

SEC("xdp")
int xdp_parse_drop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 one = 1, *pc;
	void *p = eth + 1;
	__u16 proto;
	int verdict, i;

	count(CNT_PKTS, 1);
	count(CNT_BYTES, end - data);
	if (p > end) {
		count(CNT_MALFORMED, 1);
		return XDP_DROP;
	}
	proto = eth->h_proto;
	for (i = 0; i < 2; i++) {
		struct vlan {
			__be16 tci, proto;
		} *vh = p;

		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > end) {
			count(CNT_MALFORMED, 1);
			return XDP_DROP;
		}
		proto = vh->proto;
		p = vh + 1;
	}
	{
		__u16 hp = bpf_ntohs(proto);

		pc = bpf_map_lookup_elem(&by_proto, &hp);
		if (pc)
			*pc += 1;
		else
			bpf_map_update_elem(&by_proto, &hp, &one, BPF_NOEXIST);
	}
	if (proto == bpf_htons(ETH_P_IP))
		verdict = do_ipv4(p, end);
	else if (proto == bpf_htons(ETH_P_IPV6))
		verdict = do_ipv6(p, end);
	else
		verdict = XDP_PASS;
	if (verdict == XDP_PASS)
		count(CNT_PASS, 1);
	return verdict;
}

char _license[] SEC("license") = "Dual MIT/GPL";
