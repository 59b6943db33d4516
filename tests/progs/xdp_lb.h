/* SPDX-License-Identifier: MIT */
/*
 * xdp_lb: the project's own layer-4 load balancer (tests/progs/xdp_lb.bpf.c).
 * The map layouts and the flow hash, shared by the BPF program, its control
 * plane (xdp_lb_cp.c) and the hosts and tests that drive it.  Included by
 * both sides: only <linux/types.h> types and static inline functions.
 *
 * Addresses and ports are in network byte order everywhere (as they appear
 * in the packet); an IPv4 address is addr[0], the other words zero.
 *
 * Maps (names are what bpf_object__find_map_by_name() and `uebpf map`
 * take):
 *   lb_vips      HASH        struct lb_vip_key -> struct lb_vip_meta
 *   lb_reals     ARRAY       real index -> struct lb_real (0: no real)
 *   lb_ring      ARRAY       vip_num * LB_RING_SIZE + slot -> real index
 *   lb_config    ARRAY       0 -> struct lb_config
 *   lb_flows     LRU_HASH    struct lb_flow_key -> struct lb_flow (shared)
 *   lb_flows_cpu ARRAY_OF_MAPS cpu -> per-CPU LRU_HASH (lb_flows_cpu0..7)
 *   lb_stats     PERCPU_ARRAY enum lb_stat -> struct lb_counter
 *   lb_vip_stats PERCPU_ARRAY vip_num -> struct lb_counter
 *   lb_progs     PROG_ARRAY  0 -> the program itself (VLAN tag removal)
 */
#ifndef XDP_LB_H
#define XDP_LB_H

#include <linux/types.h>

#define LB_MAX_VIPS 512
/* A prime, so that Maglev's permutations reach every slot. */
#define LB_RING_SIZE	65537
#define LB_RING_ENTRIES (LB_MAX_VIPS * LB_RING_SIZE) /* 33,554,944 */
#define LB_MAX_REALS	4096
#define LB_FLOWS	65536 /* the shared LRU */
#define LB_FLOWS_CPU	8192  /* each per-CPU LRU */
#define LB_CPU_SLOTS	8     /* lb_flows_cpu slots declared in the object */
#define LB_GUE_PORT	6080  /* host order; lb_config.gue_port overrides */

/* lb_vip_meta.flags */
#define LB_VIP_GUE	   (1u << 0) /* encapsulate in UDP (GUE variant 1) */
#define LB_VIP_NO_PORT	   (1u << 1) /* any destination port: key port 0 */
#define LB_VIP_NO_SRC_PORT (1u << 2) /* hash without the source port */
#define LB_VIP_ICMP_ECHO   (1u << 3) /* key (addr, 0, ICMP): answer pings */

/* lb_real.flags */
#define LB_REAL_V6 (1u << 0)

struct lb_vip_key {
	__u32 addr[4];
	__u16 port;
	__u8 proto;
	__u8 family; /* 4 or 6 */
};

struct lb_vip_meta {
	__u32 flags;
	__u32 vip_num; /* < LB_MAX_VIPS: its ring and its lb_vip_stats slot */
};

struct lb_real {
	__u32 addr[4];
	__u32 flags;
};

struct lb_flow_key {
	__u32 src[4];
	__u32 dst[4];
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 family;
	__u16 pad;
};

struct lb_flow {
	__u32 real;
	__u32 vip_num;
	/* bpf_ktime_get_ns() of the flow's last packet: the only field that
	 * differs between two runs of the same traffic. */
	__u64 last_seen;
};

struct lb_config {
	/* Flows idle longer than this are hashed again (and counted). */
	__u64 tcp_timeout_ns;
	__u64 udp_timeout_ns;
	/* Destination MAC of encapsulated packets (the next hop). */
	__u8 gw_mac[6];
	/* GUE destination port, network order (0: LB_GUE_PORT). */
	__u16 gue_port;
	/* Outer source prefixes: the low 16 bits of the IPv4 one and the
	 * last 32 of the IPv6 one come from the flow hash, so that reals'
	 * receive-side scaling spreads the tunnels. */
	__u32 src_v4;
	__u32 src_v6[4];
};

struct lb_counter {
	__u64 packets;
	__u64 bytes;
};

/* lb_stats slots: one per verdict and path. */
enum lb_stat {
	LB_STAT_PASS_NON_IP = 0, /* ARP & co. */
	LB_STAT_PASS_NON_VIP,	 /* IP, not for a VIP */
	LB_STAT_PASS_FRAG,	 /* IPv4 fragment or IPv6 fragment header */
	LB_STAT_PASS_TAIL_FAIL,	 /* bpf_tail_call() returned: tags left */
	LB_STAT_DROP_MALFORMED,	 /* truncated or inconsistent headers */
	LB_STAT_DROP_NO_REAL,	 /* empty ring slot or real */
	LB_STAT_DROP_ENCAP,	 /* adjust_head refused (no headroom) */
	LB_STAT_TX_IPIP,	 /* IPv4 in IPv4 */
	LB_STAT_TX_IP6IP6,	 /* IPv6 in IPv6 */
	LB_STAT_TX_IP4IP6,	 /* IPv4 in IPv6 */
	LB_STAT_TX_GUE4,	 /* anything in UDP over IPv4 */
	LB_STAT_TX_GUE6,	 /* anything in UDP over IPv6 */
	LB_STAT_TX_ICMP_ECHO,	 /* echo reply for a VIP */
	LB_STAT_VLAN_POP,	 /* a tag removed, then a tail call */
	LB_STAT_FLOW_CPU_HIT,	 /* found in this CPU's LRU */
	LB_STAT_FLOW_SHARED_HIT, /* found in the shared LRU */
	LB_STAT_FLOW_NEW,	 /* hashed: not found */
	LB_STAT_FLOW_EXPIRED,	 /* hashed again: idle past the timeout */
	LB_STAT_FLOW_SHARED,	 /* used the shared LRU: no per-CPU slot */
	LB_STAT_MAX,
};
#define LB_STATS_SLOTS 32

static const char *const lb_stat_names[LB_STAT_MAX] __attribute__((unused)) = {
	"pass_non_ip",	  "pass_non_vip", "pass_frag",	  "pass_tail_fail",
	"drop_malformed", "drop_no_real", "drop_encap",	  "tx_ipip",
	"tx_ip6ip6",	  "tx_ip4ip6",	  "tx_gue4",	  "tx_gue6",
	"tx_icmp_echo",	  "vlan_pop",	  "flow_cpu_hit", "flow_shared_hit",
	"flow_new",	  "flow_expired", "flow_shared",
};

/*
 * The flow hash: a fixed function of the 5-tuple (no seed, no prandom),
 * so that the same flow maps to the same ring slot in the kernel, in
 * libuebpf and in a test computing the expected real.  A multiply-xorshift
 * mix over the key's 32-bit words.
 */
#ifdef __bpf__
#define LB_UNROLL _Pragma("unroll")
#else
#define LB_UNROLL
#endif

static inline __u32 lb_mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	h *= 0x846ca68bu;
	h ^= h >> 16;
	return h;
}

static inline __u32 lb_flow_hash(const struct lb_flow_key *k, int no_sport)
{
	__u32 h = 0x9e3779b9u ^ k->proto;
	int i;

	LB_UNROLL
	for (i = 0; i < 4; i++)
		h = lb_mix32(h ^ k->src[i]) + 0x9e3779b9u;
	LB_UNROLL
	for (i = 0; i < 4; i++)
		h = lb_mix32(h ^ k->dst[i]) + 0x9e3779b9u;
	h ^= no_sport ? k->dport : ((__u32)k->sport << 16 | k->dport);
	return lb_mix32(h);
}

#endif /* XDP_LB_H */
