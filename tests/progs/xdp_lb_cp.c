/* SPDX-License-Identifier: MIT */
/*
 * xdp_lb's control plane and traffic generator (see xdp_lb_cp.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "xdp_lb_cp.h"

/* Network order in constant initialisers (htonl() is not one). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define BE32(x) __builtin_bswap32(x)
#else
#define BE32(x) (x)
#endif
#define V4(a, b, c, d)                                       \
	{                                                    \
		BE32((a) << 24 | (b) << 16 | (c) << 8 | (d)) \
	}
#define V6(w0, w1, w2, w3)                             \
	{                                              \
		BE32(w0), BE32(w1), BE32(w2), BE32(w3) \
	}

/* ---- the demo configuration ------------------------------------------------
 */

static const struct lb_real demo_reals[] = {
	[1] = {.addr = V4(10, 0, 0, 1)},
	[2] = {.addr = V4(10, 0, 0, 2)},
	[3] = {.addr = V4(10, 0, 0, 3)},
	[4] = {.addr = V4(10, 0, 0, 4)},
	[5] = {.addr = V6(0xfc000002, 0, 0, 1), .flags = LB_REAL_V6},
	[6] = {.addr = V6(0xfc000002, 0, 0, 2), .flags = LB_REAL_V6},
	[7] = {.addr = V6(0xfc000002, 0, 0, 3), .flags = LB_REAL_V6},
};
#define NR_DEMO_REALS (sizeof(demo_reals) / sizeof(demo_reals[0]))

static const struct xdp_lb_vip_def demo_vips[] = {
	{"192.0.2.1:80/tcp (ipip)",
	 {.addr = V4(192, 0, 2, 1), .proto = IPPROTO_TCP, .family = 4},
	 {0, 0},
	 4,
	 {1, 2, 3, 4}},
	{"192.0.2.2:53/udp (gue4)",
	 {.addr = V4(192, 0, 2, 2), .proto = IPPROTO_UDP, .family = 4},
	 {LB_VIP_GUE, 1},
	 2,
	 {1, 2}},
	{"[2001:db8::1]:443/tcp (ip6ip6)",
	 {.addr = V6(0x20010db8, 0, 0, 1), .proto = IPPROTO_TCP, .family = 6},
	 {0, 2},
	 3,
	 {5, 6, 7}},
	{"[2001:db8::2]:443/udp (gue6)",
	 {.addr = V6(0x20010db8, 0, 0, 2), .proto = IPPROTO_UDP, .family = 6},
	 {LB_VIP_GUE, 3},
	 2,
	 {5, 6}},
	{"192.0.2.3:*/tcp (ip4ip6)",
	 {.addr = V4(192, 0, 2, 3), .proto = IPPROTO_TCP, .family = 4},
	 {LB_VIP_NO_PORT | LB_VIP_NO_SRC_PORT, 4},
	 2,
	 {5, 6}},
	{"192.0.2.5:80/tcp (no reals)",
	 {.addr = V4(192, 0, 2, 5), .proto = IPPROTO_TCP, .family = 4},
	 {0, 5},
	 0,
	 {0}},
};
#define NR_DEMO_VIPS (sizeof(demo_vips) / sizeof(demo_vips[0]))

/* Ports, host order; xdp_lb_demo_vips() sets them in the keys. */
static const uint16_t demo_ports[NR_DEMO_VIPS] = {80, 53, 443, 443, 0, 80};

static struct xdp_lb_vip_def vips_rt[NR_DEMO_VIPS];

const struct xdp_lb_vip_def *xdp_lb_demo_vips(unsigned int *n)
{
	unsigned int i;

	for (i = 0; i < NR_DEMO_VIPS; i++) {
		vips_rt[i] = demo_vips[i];
		vips_rt[i].key.port = htons(demo_ports[i]);
	}
	if (n)
		*n = NR_DEMO_VIPS;
	return vips_rt;
}

const struct lb_real *xdp_lb_demo_real(uint32_t idx)
{
	if (idx == 0 || idx >= NR_DEMO_REALS)
		return NULL;
	return &demo_reals[idx];
}

void xdp_lb_demo_config(struct lb_config *cfg)
{
	static const uint8_t gw[6] = {0x02, 0, 0, 0, 0, 0xfe};
	static const uint32_t src6[4] = V6(0xfc000001, 0, 0, 0);

	memset(cfg, 0, sizeof(*cfg));
	cfg->tcp_timeout_ns = 300ull * 1000000000;
	cfg->udp_timeout_ns = 30ull * 1000000000;
	memcpy(cfg->gw_mac, gw, sizeof(gw));
	cfg->gue_port = htons(LB_GUE_PORT);
	cfg->src_v4 = htonl(172u << 24 | 16u << 16);
	memcpy(cfg->src_v6, src6, sizeof(src6));
}

/* ---- Maglev -----------------------------------------------------------------
 */

void xdp_lb_ring_fill(uint32_t *ring, const uint32_t *reals, unsigned int n)
{
	const uint32_t m = LB_RING_SIZE;
	uint32_t *offset, *skip, *next;
	uint32_t filled = 0, i;

	memset(ring, 0, m * sizeof(*ring));
	if (!n)
		return;
	offset = calloc(n, sizeof(*offset));
	skip = calloc(n, sizeof(*skip));
	next = calloc(n, sizeof(*next));
	if (!offset || !skip || !next)
		abort();
	/* Each real's permutation of the slots: start and stride from two
	 * hashes of its index; m is prime, so any stride visits them all. */
	for (i = 0; i < n; i++) {
		offset[i] = lb_mix32(reals[i] * 2654435761u ^ 0x5bd1e995u) % m;
		skip[i] = lb_mix32(reals[i] + 0x27d4eb2fu) % (m - 1) + 1;
	}
	/* Round robin: each real takes its next free preferred slot. */
	while (filled < m) {
		for (i = 0; i < n && filled < m; i++) {
			uint32_t c;

			do
				c = (uint32_t)((offset[i] +
						(uint64_t)next[i]++ * skip[i]) %
					       m);
			while (ring[c]);
			ring[c] = reals[i];
			filled++;
		}
	}
	free(offset);
	free(skip);
	free(next);
}

uint32_t xdp_lb_expected_real(const struct xdp_lb_vip_def *v,
			      const struct lb_flow_key *key)
{
	static uint32_t ring[LB_RING_SIZE];
	struct lb_flow_key k = *key;
	uint32_t h;

	if (v->meta.flags & LB_VIP_NO_PORT)
		k.dport = 0;
	h = lb_flow_hash(&k, !!(v->meta.flags & LB_VIP_NO_SRC_PORT));
	xdp_lb_ring_fill(ring, v->reals, v->nr_reals);
	return ring[h % LB_RING_SIZE];
}

/* ---- writing the maps -------------------------------------------------------
 */

int xdp_lb_set_ring(const struct xdp_lb_ops *ops, uint32_t vip_num,
		    const uint32_t *reals, unsigned int n)
{
	uint32_t *ring = malloc(LB_RING_SIZE * sizeof(*ring));
	uint32_t i;
	int err = 0;

	if (!ring)
		return -ENOMEM;
	if (vip_num >= LB_MAX_VIPS) {
		free(ring);
		return -EINVAL;
	}
	xdp_lb_ring_fill(ring, reals, n);
	for (i = 0; i < LB_RING_SIZE && !err; i++) {
		uint32_t key = vip_num * LB_RING_SIZE + i;

		err = ops->update(ops->ctx, "lb_ring", &key, &ring[i], BPF_ANY);
	}
	free(ring);
	return err;
}

int xdp_lb_set_timeouts(const struct xdp_lb_ops *ops, uint64_t tcp_ns,
			uint64_t udp_ns)
{
	struct lb_config cfg;
	uint32_t zero = 0;

	xdp_lb_demo_config(&cfg);
	cfg.tcp_timeout_ns = tcp_ns;
	cfg.udp_timeout_ns = udp_ns;
	return ops->update(ops->ctx, "lb_config", &zero, &cfg, BPF_ANY);
}

int xdp_lb_configure(const struct xdp_lb_ops *ops)
{
	const struct xdp_lb_vip_def *vips = xdp_lb_demo_vips(NULL);
	struct lb_config cfg;
	uint32_t zero = 0, i;
	int err;

	xdp_lb_demo_config(&cfg);
	err = ops->update(ops->ctx, "lb_config", &zero, &cfg, BPF_ANY);
	for (i = 1; i < NR_DEMO_REALS && !err; i++)
		err = ops->update(ops->ctx, "lb_reals", &i, &demo_reals[i],
				  BPF_ANY);
	for (i = 0; i < NR_DEMO_VIPS && !err; i++) {
		err = ops->update(ops->ctx, "lb_vips", &vips[i].key,
				  &vips[i].meta, BPF_NOEXIST);
		if (!err && vips[i].nr_reals)
			err = xdp_lb_set_ring(ops, vips[i].meta.vip_num,
					      vips[i].reals, vips[i].nr_reals);
	}
	/* Pings to the first IPv4 and IPv6 VIP addresses are answered. */
	for (i = 0; i < NR_DEMO_VIPS && !err; i++) {
		struct lb_vip_key k = vips[i].key;
		struct lb_vip_meta meta = {LB_VIP_ICMP_ECHO,
					   vips[i].meta.vip_num};

		if (i != 0 && i != 2)
			continue;
		k.port = 0;
		k.proto = k.family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
		err = ops->update(ops->ctx, "lb_vips", &k, &meta, BPF_NOEXIST);
	}
	return err;
}

/* ---- `uebpf batch` lines ----------------------------------------------------
 */

struct batch_ctx {
	FILE *out;
	const char *obj;
};

static uint32_t value_size(const char *map)
{
	if (!strcmp(map, "lb_config"))
		return sizeof(struct lb_config);
	if (!strcmp(map, "lb_reals"))
		return sizeof(struct lb_real);
	if (!strcmp(map, "lb_vips"))
		return sizeof(struct lb_vip_meta);
	return sizeof(uint32_t); /* lb_ring */
}

static uint32_t key_size(const char *map)
{
	return strcmp(map, "lb_vips") ? sizeof(uint32_t)
				      : sizeof(struct lb_vip_key);
}

static void hex(FILE *f, const void *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		putc(' ', f);
		putc(digits[b[i] >> 4], f);
		putc(digits[b[i] & 15], f);
	}
}

static int batch_update(void *ctx, const char *map, const void *key,
			const void *value, uint64_t flags)
{
	struct batch_ctx *b = ctx;

	fprintf(b->out, "map update %s name %s key hex", b->obj, map);
	hex(b->out, key, key_size(map));
	fputs(" value hex", b->out);
	hex(b->out, value, value_size(map));
	fputs(flags == BPF_NOEXIST ? " noexist\n"
	      : flags == BPF_EXIST ? " exist\n"
				   : "\n",
	      b->out);
	return ferror(b->out) ? -EIO : 0;
}

int xdp_lb_write_batch(FILE *out, const char *obj)
{
	struct batch_ctx b = {out, obj};
	struct xdp_lb_ops ops = {&b, batch_update};

	return xdp_lb_configure(&ops);
}

/* ---- packets ----------------------------------------------------------------
 */

uint16_t xdp_lb_csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint16_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint16_t)(p[len - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* The pseudo-header's sum (host order, unfolded). */
static uint32_t pseudo_sum(const struct xdp_lb_pkt *p, uint32_t l4_len)
{
	const uint8_t *a = (const uint8_t *)p->src,
		      *b = (const uint8_t *)p->dst;
	size_t n = p->family == 4 ? 4 : 16, i;
	uint32_t s = 0;

	for (i = 0; i < n; i += 2)
		s += (a[i] << 8 | a[i + 1]) + (b[i] << 8 | b[i + 1]);
	return s + p->proto + (l4_len & 0xffff) + (l4_len >> 16);
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v;
}

static uint64_t next_rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const uint8_t lb_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t client_mac[6] = {0x02, 0, 0, 0, 0, 0x01};

size_t xdp_lb_build(const struct xdp_lb_pkt *p, unsigned int seed, uint8_t *buf,
		    size_t cap)
{
	size_t l4hdr = 0, iphdr = 0, ext = 0, off, l4len, total, i;
	uint64_t rs = seed;
	uint8_t *ip, *l4;
	unsigned int t;

	if (p->family == 0) {
		/* An ARP request: who has 192.0.2.1. */
		total = 14 + 4 * p->vlans + 28;
	} else {
		l4hdr = p->proto == IPPROTO_TCP ? 20 : 8;
		iphdr = p->family == 4
				? 20 + (p->flags & XDP_LB_PKT_IP_OPTIONS ? 8
									 : 0)
				: 40;
		if (p->family == 6 && (p->flags & XDP_LB_PKT_EXT_HDRS))
			ext += 16;
		if (p->family == 6 && (p->flags & XDP_LB_PKT_FRAGMENT))
			ext += 8;
		total = 14 + 4 * p->vlans + iphdr + ext + l4hdr + p->payload;
	}
	if (cap < 60 || total > cap)
		return 0;
	memset(buf, 0, total < 60 ? 60 : total);
	memcpy(buf, lb_mac, 6);
	memcpy(buf + 6, client_mac, 6);
	off = 12;
	for (t = 0; t < p->vlans; t++) {
		put16(buf + off, t == 0 && p->vlans > 1 ? 0x88a8 : 0x8100);
		put16(buf + off + 2, (uint16_t)(100 + t) & 0x0fff);
		off += 4;
	}
	if (p->family == 0) {
		static const uint8_t arp[28] = {
			0,   1,	 8,   0, 6, 4, 0, 1, 2, 0, 0,	0, 0, 1,
			198, 51, 100, 1, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1,
		};
		put16(buf + off, 0x0806);
		memcpy(buf + off + 2, arp, sizeof(arp));
		return total < 60 ? 60 : total;
	}
	put16(buf + off, p->family == 4 ? 0x0800 : 0x86dd);
	ip = buf + off + 2;
	l4 = ip + iphdr + ext;
	l4len = l4hdr + p->payload;
	for (i = 0; i < p->payload; i++)
		l4[l4hdr + i] = (uint8_t)next_rnd(&rs);

	/* L4 header, checksum last. */
	if (p->proto == IPPROTO_TCP) {
		uint32_t seq = (uint32_t)next_rnd(&rs);

		put16(l4, p->sport);
		put16(l4 + 2, p->dport);
		memcpy(l4 + 4, &seq, 4);
		l4[12] = 5 << 4;
		l4[13] = p->flags & XDP_LB_PKT_SYN ? 0x02 : 0x10;
		put16(l4 + 14, 65535);
	} else if (p->proto == IPPROTO_UDP) {
		put16(l4, p->sport);
		put16(l4 + 2, p->dport);
		put16(l4 + 4, (uint16_t)l4len);
	} else if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
		l4[0] = p->icmp_type;
		put16(l4 + 4, p->sport); /* identifier */
		put16(l4 + 6, p->dport); /* sequence */
	}
	if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP ||
	    p->proto == IPPROTO_ICMPV6) {
		size_t co = p->proto == IPPROTO_TCP   ? 16
			    : p->proto == IPPROTO_UDP ? 6
						      : 2;
		uint16_t c =
			xdp_lb_csum(l4, l4len, pseudo_sum(p, (uint32_t)l4len));

		if (p->proto == IPPROTO_UDP && c == 0)
			c = 0xffff;
		memcpy(l4 + co, &c, 2);
	} else if (p->proto == IPPROTO_ICMP) {
		uint16_t c = xdp_lb_csum(l4, l4len, 0);

		memcpy(l4 + 2, &c, 2);
	}

	if (p->family == 4) {
		uint16_t c;

		ip[0] = 0x40 | (uint8_t)(iphdr / 4);
		ip[1] = p->tos;
		put16(ip + 2, (uint16_t)(iphdr + l4len));
		put16(ip + 4, (uint16_t)next_rnd(&rs));
		put16(ip + 6, p->flags & XDP_LB_PKT_FRAGMENT ? 0x2000 : 0x4000);
		ip[8] = 64;
		ip[9] = p->proto;
		memcpy(ip + 12, &p->src[0], 4);
		memcpy(ip + 16, &p->dst[0], 4);
		if (iphdr > 20) {
			/* Router alert, then end of options. */
			ip[20] = 0x94;
			ip[21] = 4;
		}
		c = xdp_lb_csum(ip, iphdr, 0);
		memcpy(ip + 10, &c, 2);
	} else {
		uint8_t *e = ip + 40;
		uint8_t next = p->proto;

		ip[0] = 0x60 | (p->tos >> 4);
		ip[1] = (uint8_t)(p->tos << 4);
		put16(ip + 4, (uint16_t)(ext + l4len));
		ip[7] = 64;
		memcpy(ip + 8, p->src, 16);
		memcpy(ip + 24, p->dst, 16);
		if (p->flags & XDP_LB_PKT_FRAGMENT) {
			/* The last header before L4: a first fragment. */
			e[ext - 8] = next;
			put16(e + ext - 6, 0x0001); /* offset 0, M set */
			next = IPPROTO_FRAGMENT;
		}
		if (p->flags & XDP_LB_PKT_EXT_HDRS) {
			/* Hop-by-hop (8 bytes, PadN), destination options
			 * (8 bytes, PadN). */
			e[0] = IPPROTO_DSTOPTS;
			e[2] = 1;
			e[3] = 4;
			e[8] = next;
			e[10] = 1;
			e[11] = 4;
			next = IPPROTO_HOPOPTS;
		}
		ip[6] = next;
	}
	return total < 60 ? 60 : total;
}

/* ---- the sample traffic -----------------------------------------------------
 */

static void client_v4(uint32_t *a, unsigned int k)
{
	a[0] = htonl(198u << 24 | 51u << 16 | 100u << 8 | (1 + k));
}

static void client_v6(uint32_t *a, unsigned int k)
{
	a[0] = htonl(0x20010db8);
	a[1] = htonl(0xc1);
	a[2] = 0;
	a[3] = htonl(1 + k);
}

/* A packet to demo VIP v from client k (one of 24): flows repeat. */
static void to_vip(struct xdp_lb_pkt *p, unsigned int v, unsigned int k)
{
	const struct xdp_lb_vip_def *d = &xdp_lb_demo_vips(NULL)[v];

	memset(p, 0, sizeof(*p));
	p->family = d->key.family;
	p->proto = d->key.proto;
	memcpy(p->dst, d->key.addr, sizeof(p->dst));
	if (p->family == 4)
		client_v4(p->src, k);
	else
		client_v6(p->src, k);
	p->sport = (uint16_t)(20000 + 7 * k);
	p->dport = ntohs(d->key.port);
}

enum malformed {
	M_SHORT_IP,   /* Ethernet, then half an IPv4 header */
	M_BAD_IHL,    /* ihl 3 */
	M_TOT_LEN,    /* tot_len past the frame */
	M_SHORT_TCP,  /* the TCP header cut at 10 bytes */
	M_V6_PAYLOAD, /* payload_len past the frame */
	M_VERSION,    /* version 5 in an IPv4 EtherType */
	M_SHORT_VLAN, /* a VLAN tag, then the frame ends */
	M_COUNT,
};

int xdp_lb_traffic(unsigned int seed, unsigned int n,
		   int (*fn)(void *ctx, const void *pkt, size_t len), void *ctx)
{
	uint64_t rs = (uint64_t)seed * 0x2545f4914f6cdd1dull + 1;
	uint8_t buf[1024];
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned int r = next_rnd(&rs) % 100, k = next_rnd(&rs) % 24;
		unsigned int pseed = (unsigned int)next_rnd(&rs);
		struct xdp_lb_pkt p;
		size_t len;
		int err;

		if (r < 20)
			to_vip(&p, 0, k);
		else if (r < 30)
			to_vip(&p, 1, k);
		else if (r < 45)
			to_vip(&p, 2, k);
		else if (r < 53)
			to_vip(&p, 3, k);
		else if (r < 60) {
			static const uint16_t ports[] = {22, 80, 8443};

			to_vip(&p, 4, k);
			p.dport = ports[k % 3];
		} else if (r < 62)
			to_vip(&p, 5, k);
		else if (r < 64) {
			to_vip(&p, 0, k);
			p.proto = IPPROTO_ICMP;
			p.icmp_type = 8;
		} else if (r < 65) {
			to_vip(&p, 2, k);
			p.proto = IPPROTO_ICMPV6;
			p.icmp_type = 128;
		} else if (r < 66) {
			to_vip(&p, 0, k);
			p.proto = IPPROTO_ICMP;
			p.icmp_type = 3; /* unreachable: not answered */
		} else if (r < 72) {
			to_vip(&p, 0, k);
			p.dst[0] = htonl(203u << 24 | 113u << 8 | (1 + k));
		} else if (r < 75) {
			to_vip(&p, 3, k);
			p.dst[3] = htonl(0x99);
		} else if (r < 77) {
			memset(&p, 0, sizeof(p));
		} else if (r < 80) {
			to_vip(&p, 0, k);
			p.vlans = 1;
		} else if (r < 82) {
			to_vip(&p, 2, k);
			p.vlans = 2;
		} else if (r < 83) {
			/* More tags than the kernel's 33 tail calls strip. */
			to_vip(&p, 0, k);
			p.vlans = 35;
		} else if (r < 85) {
			to_vip(&p, 0, k);
			p.flags |= XDP_LB_PKT_IP_OPTIONS;
		} else if (r < 86) {
			to_vip(&p, 0, k);
			p.flags |= XDP_LB_PKT_FRAGMENT;
		} else if (r < 88) {
			to_vip(&p, 2, k);
			p.flags |= XDP_LB_PKT_EXT_HDRS;
		} else if (r < 89) {
			to_vip(&p, 2, k);
			p.flags |= XDP_LB_PKT_FRAGMENT;
		} else {
			to_vip(&p, 0, k);
		}
		p.payload = next_rnd(&rs) % 200;
		if (next_rnd(&rs) % 8 == 0 && p.proto == IPPROTO_TCP)
			p.flags |= XDP_LB_PKT_SYN;
		p.tos = (uint8_t)(next_rnd(&rs) % 4) << 2;
		len = xdp_lb_build(&p, pseed, buf, sizeof(buf));
		if (r >= 89) {
			/* Malformed, one way or another. */
			switch (next_rnd(&rs) % M_COUNT) {
			case M_SHORT_IP: len = 14 + 10; break;
			case M_BAD_IHL: buf[14] = 0x43; break;
			case M_TOT_LEN:
				put16(buf + 16, (uint16_t)(len + 1));
				break;
			case M_SHORT_TCP:
				put16(buf + 16, 30);
				len = 14 + 30;
				break;
			case M_V6_PAYLOAD:
				to_vip(&p, 2, k);
				p.payload = 10;
				len = xdp_lb_build(&p, pseed, buf, sizeof(buf));
				put16(buf + 18, (uint16_t)(len - 54 + 1));
				break;
			case M_VERSION: buf[14] = 0x55; break;
			case M_SHORT_VLAN:
				put16(buf + 12, 0x8100);
				len = 16;
				break;
			}
		}
		if (!len)
			return -EINVAL;
		err = fn(ctx, buf, len);
		if (err < 0)
			return err;
	}
	return (int)n;
}
