/* SPDX-License-Identifier: MIT */
/*
 * xdp_lb's control plane: plain C, no libuebpf or libbpf.  It writes the
 * load balancer's maps through a callback the host supplies (libuebpf's
 * uebpf_map_update_elem, libbpf's bpf_map_update_elem, or lines of a
 * `uebpf batch` file), and builds the sample traffic.
 *
 * The demo configuration (xdp_lb_configure):
 *   reals   1-4  10.0.0.1 .. 10.0.0.4          IPv4
 *           5-7  fc00:2::1 .. fc00:2::3        IPv6
 *   VIP 0   192.0.2.1:80/tcp     reals 1-4     IPv4 in IPv4; pings answered
 *   VIP 1   192.0.2.2:53/udp     reals 1-2     GUE over IPv4
 *   VIP 2   [2001:db8::1]:443/tcp reals 5-7    IPv6 in IPv6; pings answered
 *   VIP 3   [2001:db8::2]:443/udp reals 5-6    GUE over IPv6
 *   VIP 4   192.0.2.3:any/tcp    reals 5-6     IPv4 in IPv6, hash w/o ports
 *   VIP 5   192.0.2.5:80/tcp     no reals      (dropped: an empty ring)
 *   next hop 02:00:00:00:00:fe, tunnels from 172.16.0.0/16 and fc00:1::/96,
 *   TCP flows idle 300 s and UDP flows 30 s are hashed again.
 */
#ifndef XDP_LB_CP_H
#define XDP_LB_CP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xdp_lb.h"

struct xdp_lb_ops {
	void *ctx;
	/* bpf_map_update_elem on the named map of the loaded object */
	int (*update)(void *ctx, const char *map, const void *key,
		      const void *value, uint64_t flags);
};

/* The demo configuration above: 0, or the first failing update's return
 * value (a negative errno). */
int xdp_lb_configure(const struct xdp_lb_ops *ops);

/* Sample traffic: calls fn for n packets (Ethernet frames) hitting the
 * demo VIPs and others, deterministic for a seed.  Returns n, or the
 * first negative value fn returns (which stops it). */
int xdp_lb_traffic(unsigned int seed, unsigned int n,
		   int (*fn)(void *ctx, const void *pkt, size_t len),
		   void *ctx);

/* Write the demo configuration as `uebpf batch` lines, one per update:
 *   map update OBJ name MAP key hex 01 .. value hex 02 .. [noexist]
 * Returns 0 or -errno (a write error). */
int xdp_lb_write_batch(FILE *out, const char *obj);

/* ---- pieces the tests and hosts use -------------------------------------- */

struct xdp_lb_vip_def {
	const char *name;
	struct lb_vip_key key;
	struct lb_vip_meta meta;
	unsigned int nr_reals;
	uint32_t reals[8]; /* indexes into lb_reals */
};

/* The demo VIPs (ICMP echo entries are not among them); *n gets their
 * number. */
const struct xdp_lb_vip_def *xdp_lb_demo_vips(unsigned int *n);
/* The demo's real idx (1..7), NULL for others. */
const struct lb_real *xdp_lb_demo_real(uint32_t idx);
/* The demo's lb_config. */
void xdp_lb_demo_config(struct lb_config *cfg);

/* Maglev: fill ring[LB_RING_SIZE] with the real indexes given (each
 * appears about LB_RING_SIZE / n times; a real keeps most of its slots
 * when another is added or removed).  n == 0 leaves the ring zero. */
void xdp_lb_ring_fill(uint32_t *ring, const uint32_t *reals, unsigned int n);
/* Write VIP vip_num's ring (LB_RING_SIZE updates of lb_ring). */
int xdp_lb_set_ring(const struct xdp_lb_ops *ops, uint32_t vip_num,
		    const uint32_t *reals, unsigned int n);
/* Rewrite lb_config with these timeouts (0: flows never expire). */
int xdp_lb_set_timeouts(const struct xdp_lb_ops *ops, uint64_t tcp_ns,
			uint64_t udp_ns);

/* The real the program picks for a new flow to VIP v (its ring as
 * xdp_lb_ring_fill builds it): 0 when the ring is empty. */
uint32_t xdp_lb_expected_real(const struct xdp_lb_vip_def *v,
			      const struct lb_flow_key *key);

/* One packet to build. */
struct xdp_lb_pkt {
	int family;	 /* 4 or 6; 0: an ARP request */
	uint8_t proto;	 /* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6, others */
	uint32_t src[4]; /* network order; IPv4 in [0] */
	uint32_t dst[4];
	uint16_t sport, dport; /* host order */
	uint8_t icmp_type;
	uint8_t tos;
	unsigned int vlans;   /* 802.1Q tags (the outer one 802.1ad if > 1) */
	unsigned int payload; /* bytes after the L4 header */
	unsigned int flags;   /* XDP_LB_PKT_* */
};
#define XDP_LB_PKT_IP_OPTIONS (1u << 0) /* IPv4: 8 bytes of options */
#define XDP_LB_PKT_FRAGMENT   (1u << 1) /* IPv4 MF / IPv6 fragment header */
#define XDP_LB_PKT_EXT_HDRS   (1u << 2) /* IPv6: hop-by-hop + dest. options */
#define XDP_LB_PKT_SYN	      (1u << 3) /* TCP SYN (else ACK) */

/* Build p into buf (headers with valid checksums, a payload from seed,
 * padded to 60 bytes as on the wire): its length, 0 if cap is too
 * small. */
size_t xdp_lb_build(const struct xdp_lb_pkt *p, unsigned int seed, uint8_t *buf,
		    size_t cap);

/* RFC 1071 sum of len bytes, folded and inverted, starting from sum. */
uint16_t xdp_lb_csum(const void *data, size_t len, uint32_t sum);

#endif /* XDP_LB_CP_H */
