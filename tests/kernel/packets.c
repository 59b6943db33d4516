/* SPDX-License-Identifier: MIT */
/*
 * Packet corpus builder.  A frame is written layer by layer into a struct
 * pb, which remembers where its IPv4/IPv6 and L4 headers start; pb_fin()
 * then fills in lengths and checksums, so a test can still break a field
 * afterwards on purpose.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packets.h"

const uint8_t kd_v6_good[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01};
const uint8_t kd_v6_deny[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x66};
const uint8_t kd_v6_lpm_deny[16] = {0x20, 0x01, 0x0d,	    0xb8,
				    0x0b, 0xad, [15] = 0x05};
const uint8_t kd_v6_dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, [15] = 0x02};

/* ---- corpus ------------------------------------------------------------- */

int kd_corpus_add_full(struct kd_corpus *c, const char *name, const void *meta,
		       uint32_t meta_len, const void *frame, size_t len,
		       uint32_t ingress_ifindex, uint32_t rx_queue_index)
{
	struct kd_pkt *p;

	if (meta_len > KD_MAX_META || len > KD_MAX_FRAME)
		return -EINVAL;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		struct kd_pkt *np = realloc(c->p, cap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		c->p = np;
		c->cap = cap;
	}
	p = &c->p[c->n];
	memset(p, 0, sizeof(*p));
	p->data = malloc(meta_len + len + 1);
	if (!p->data)
		return -ENOMEM;
	if (meta_len)
		memcpy(p->data, meta, meta_len);
	if (len)
		memcpy(p->data + meta_len, frame, len);
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->len = (uint32_t)len;
	p->meta_len = meta_len;
	p->ingress_ifindex = ingress_ifindex;
	p->rx_queue_index = rx_queue_index;
	c->n++;
	return 0;
}

int kd_corpus_add(struct kd_corpus *c, const char *name, const void *frame,
		  size_t len)
{
	return kd_corpus_add_full(c, name, NULL, 0, frame, len, 0, 0);
}

void kd_corpus_free(struct kd_corpus *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->p[i].data);
	free(c->p);
	memset(c, 0, sizeof(*c));
}

/* ---- frame builder ------------------------------------------------------ */

struct pb {
	uint8_t b[KD_MAX_FRAME];
	size_t n;
	long ip4, ip6, l4; /* offsets, -1 when absent */
	int l4proto;
	int no_l4_csum; /* a non-first fragment: no L4 header */
};

static uint32_t rng_state;

static uint32_t rnd(void)
{
	uint32_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return rng_state = x;
}

static void pb_init(struct pb *p)
{
	p->n = 0;
	p->ip4 = p->ip6 = p->l4 = -1;
	p->l4proto = 0;
	p->no_l4_csum = 0;
}

static void put8(struct pb *p, unsigned int v)
{
	if (p->n < sizeof(p->b))
		p->b[p->n++] = (uint8_t)v;
}

static void put16(struct pb *p, unsigned int v)
{
	put8(p, v >> 8);
	put8(p, v);
}

static void put32(struct pb *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p, v & 0xffff);
}

static void putn(struct pb *p, const void *d, size_t n)
{
	const uint8_t *s = d;

	while (n--)
		put8(p, *s++);
}

static void set16(struct pb *p, size_t off, unsigned int v)
{
	p->b[off] = (uint8_t)(v >> 8);
	p->b[off + 1] = (uint8_t)v;
}

static void payload(struct pb *p, size_t n)
{
	while (n--)
		put8(p, rnd() & 0xff);
}

enum l2 { L2_PLAIN, L2_VLAN, L2_QINQ };
static const char *const l2_names[] = {"eth", "vlan", "qinq"};

static const uint8_t mac_dst[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t mac_src[6] = {0x02, 0, 0, 0, 0, 0x01};

static void pb_l2(struct pb *p, enum l2 l2, unsigned int type)
{
	putn(p, mac_dst, 6);
	putn(p, mac_src, 6);
	switch (l2) {
	case L2_PLAIN: put16(p, type); break;
	case L2_VLAN:
		put16(p, 0x8100);
		put16(p, 100);
		put16(p, type);
		break;
	case L2_QINQ:
		put16(p, 0x88a8);
		put16(p, 200);
		put16(p, 0x8100);
		put16(p, 100);
		put16(p, type);
		break;
	}
}

/* IPv4 header with optlen bytes of options (a multiple of 4); frag is the
 * flags and offset field as on the wire. */
static void pb_ip4(struct pb *p, uint32_t src, uint32_t dst, int proto,
		   size_t optlen, unsigned int frag)
{
	size_t i;

	p->ip4 = (long)p->n;
	put8(p, 0x40 | (uint8_t)(5 + optlen / 4));
	put8(p, 0);
	put16(p, 0);	  /* total length: pb_fin */
	put16(p, 0x1234); /* id */
	put16(p, frag);
	put8(p, 64);
	put8(p, proto);
	put16(p, 0); /* checksum: pb_fin */
	put32(p, src);
	put32(p, dst);
	/* Options: a record route, NOPs, EOL padding. */
	for (i = 0; i < optlen; i++) {
		if (i == 0 && optlen >= 8)
			put8(p, 7);
		else if (i == 1 && optlen >= 8)
			put8(p, (uint8_t)(optlen - 1 < 39 ? optlen - 1 : 39));
		else if (i == 2 && optlen >= 8)
			put8(p, 4);
		else
			put8(p, i == optlen - 1 ? 0 : 1);
	}
	p->l4proto = proto;
	if (frag & 0x1fff)
		p->no_l4_csum = 1;
}

static void pb_ip6(struct pb *p, const uint8_t *src, const uint8_t *dst,
		   int next)
{
	p->ip6 = (long)p->n;
	put32(p, 0x60000000u | 0x12345);
	put16(p, 0); /* payload length: pb_fin */
	put8(p, next);
	put8(p, 64);
	putn(p, src, 16);
	putn(p, dst, 16);
	p->l4proto = next;
}

/* An extension header of 8 * (1 + len8) bytes, padded with PadN. */
static void pb_ip6_ext(struct pb *p, int next, int len8)
{
	int i;

	put8(p, next);
	put8(p, len8);
	for (i = 0; i < 6 + 8 * len8; i++)
		put8(p, i == 0 ? 1 : i == 1 ? 6 + 8 * len8 - 2 : 0);
	p->l4proto = next;
}

static void pb_ip6_frag(struct pb *p, int next, unsigned int off8, int more)
{
	put8(p, next);
	put8(p, 0);
	put16(p, (off8 << 3) | (more ? 1 : 0));
	put32(p, 0xabcd1234);
	p->l4proto = next;
	if (off8)
		p->no_l4_csum = 1;
}

static void pb_tcp(struct pb *p, unsigned int sport, unsigned int dport,
		   unsigned int flags, int with_opts)
{
	size_t optlen = with_opts ? 20 : 0;

	if (!p->no_l4_csum)
		p->l4 = (long)p->n;
	put16(p, sport);
	put16(p, dport);
	put32(p, 0x01020304);
	put32(p, flags & 0x10 ? 0x0a0b0c0d : 0);
	put8(p, (uint8_t)((5 + optlen / 4) << 4));
	put8(p, flags);
	put16(p, 64240);
	put16(p, 0);
	put16(p, 0);
	if (with_opts) {
		/* MSS, SACK permitted, timestamps, NOP, window scale */
		put8(p, 2);
		put8(p, 4);
		put16(p, 1460);
		put8(p, 4);
		put8(p, 2);
		put8(p, 8);
		put8(p, 10);
		put32(p, 0x11223344);
		put32(p, 0);
		put8(p, 1);
		put8(p, 3);
		put8(p, 3);
		put8(p, 7);
	}
}

static void pb_udp(struct pb *p, unsigned int sport, unsigned int dport)
{
	if (!p->no_l4_csum)
		p->l4 = (long)p->n;
	put16(p, sport);
	put16(p, dport);
	put16(p, 0);
	put16(p, 0);
}

static void pb_icmp_echo(struct pb *p, int v6)
{
	if (!p->no_l4_csum)
		p->l4 = (long)p->n;
	put8(p, v6 ? 128 : 8);
	put8(p, 0);
	put16(p, 0);
	put16(p, 0x4242);
	put16(p, 1);
}

static void pb_icmp6_ns(struct pb *p, const uint8_t *target)
{
	p->l4 = (long)p->n;
	put8(p, 135);
	put8(p, 0);
	put16(p, 0);
	put32(p, 0);
	putn(p, target, 16);
	put8(p, 1); /* source link-layer address option */
	put8(p, 1);
	putn(p, mac_src, 6);
}

static uint32_t sum16(const uint8_t *d, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)d[i] << 8 | d[i + 1];
	if (n & 1)
		s += (uint32_t)d[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Lengths and checksums of the headers the frame has. */
static void pb_fin(struct pb *p)
{
	uint32_t s = 0;
	size_t l4len;

	if (p->ip4 >= 0) {
		size_t ihl = (p->b[p->ip4] & 15) * 4;

		set16(p, p->ip4 + 2, (unsigned int)(p->n - p->ip4));
		set16(p, p->ip4 + 10, fold(sum16(p->b + p->ip4, ihl, 0)));
	}
	if (p->ip6 >= 0)
		set16(p, p->ip6 + 4, (unsigned int)(p->n - p->ip6 - 40));
	if (p->l4 < 0)
		return;
	l4len = p->n - p->l4;
	if (p->l4proto == 17)
		set16(p, p->l4 + 4, (unsigned int)l4len);
	if (p->ip4 >= 0) {
		if (p->l4proto != 1)
			s = sum16(p->b + p->ip4 + 12, 8,
				  (uint32_t)p->l4proto + (uint32_t)l4len);
	} else if (p->ip6 >= 0) {
		s = sum16(p->b + p->ip6 + 8, 32,
			  (uint32_t)p->l4proto + (uint32_t)l4len);
	}
	s = sum16(p->b + p->l4, l4len, s);
	switch (p->l4proto) {
	case 6: set16(p, p->l4 + 16, fold(s)); break;
	case 17: set16(p, p->l4 + 6, fold(s)); break;
	case 1:
	case 58: set16(p, p->l4 + 2, fold(s)); break;
	}
}

static int add(struct kd_corpus *c, struct pb *p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int add(struct kd_corpus *c, struct pb *p, const char *fmt, ...)
{
	char name[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	return kd_corpus_add(c, name, p->b, p->n);
}

/* ---- the corpus ---------------------------------------------------------- */

#define TRY(x)                      \
	do {                        \
		int rc_ = (x);      \
		if (rc_)            \
			return rc_; \
	} while (0)

static int add_l2_set(struct kd_corpus *c, struct pb *p, enum l2 l2)
{
	static const struct {
		uint32_t a;
		const char *n;
	} v4[] = {{KD_V4_GOOD, "good"},
		  {KD_V4_DENY, "deny"},
		  {KD_V4_LPM_DENY, "lpmdeny"}};
	static const struct {
		const uint8_t *a;
		const char *n;
	} v6[] = {{kd_v6_good, "good"},
		  {kd_v6_deny, "deny"},
		  {kd_v6_lpm_deny, "lpmdeny"}};
	const char *ln = l2_names[l2];
	size_t i;

	for (i = 0; i < 3; i++) {
		pb_init(p);
		pb_l2(p, l2, 0x0800);
		pb_ip4(p, v4[i].a, KD_V4_DST, 6, 0, 0);
		pb_tcp(p, 40000 + (unsigned)i, 80, 0x02, 0);
		pb_fin(p);
		TRY(add(c, p, "%s/ip4-%s/tcp-syn:80", ln, v4[i].n));

		pb_init(p);
		pb_l2(p, l2, 0x0800);
		pb_ip4(p, v4[i].a, KD_V4_DST, 6, 0, 0x4000);
		pb_tcp(p, 40100, 443, 0x18, 1);
		payload(p, 100 + 7 * i);
		pb_fin(p);
		TRY(add(c, p, "%s/ip4-%s/tcp-psh-opts:443", ln, v4[i].n));

		pb_init(p);
		pb_l2(p, l2, 0x0800);
		pb_ip4(p, v4[i].a, KD_V4_DST, 6, 0, 0);
		pb_tcp(p, 40200, KD_PORT_DENY, 0x02, 0);
		pb_fin(p);
		TRY(add(c, p, "%s/ip4-%s/tcp:23", ln, v4[i].n));

		pb_init(p);
		pb_l2(p, l2, 0x0800);
		pb_ip4(p, v4[i].a, KD_V4_DST, 17, 0, 0);
		pb_udp(p, 5353, 53);
		payload(p, 33);
		pb_fin(p);
		TRY(add(c, p, "%s/ip4-%s/udp:53", ln, v4[i].n));

		pb_init(p);
		pb_l2(p, l2, 0x0800);
		pb_ip4(p, v4[i].a, KD_V4_DST, 17, 0, 0);
		pb_udp(p, 12345, 4789);
		payload(p, 64);
		pb_fin(p);
		TRY(add(c, p, "%s/ip4-%s/udp:4789", ln, v4[i].n));

		pb_init(p);
		pb_l2(p, l2, 0x0800);
		pb_ip4(p, v4[i].a, KD_V4_DST, 1, 0, 0);
		pb_icmp_echo(p, 0);
		payload(p, 56);
		pb_fin(p);
		TRY(add(c, p, "%s/ip4-%s/icmp-echo", ln, v4[i].n));
	}
	for (i = 0; i < 3; i++) {
		pb_init(p);
		pb_l2(p, l2, 0x86dd);
		pb_ip6(p, v6[i].a, kd_v6_dst, 6);
		pb_tcp(p, 40000, 80, 0x02, 1);
		pb_fin(p);
		TRY(add(c, p, "%s/ip6-%s/tcp-syn:80", ln, v6[i].n));

		pb_init(p);
		pb_l2(p, l2, 0x86dd);
		pb_ip6(p, v6[i].a, kd_v6_dst, 6);
		pb_tcp(p, 40000, KD_PORT_DENY, 0x02, 0);
		pb_fin(p);
		TRY(add(c, p, "%s/ip6-%s/tcp:23", ln, v6[i].n));

		pb_init(p);
		pb_l2(p, l2, 0x86dd);
		pb_ip6(p, v6[i].a, kd_v6_dst, 17);
		pb_udp(p, 5353, 53);
		payload(p, 41);
		pb_fin(p);
		TRY(add(c, p, "%s/ip6-%s/udp:53", ln, v6[i].n));

		pb_init(p);
		pb_l2(p, l2, 0x86dd);
		pb_ip6(p, v6[i].a, kd_v6_dst, 58);
		pb_icmp_echo(p, 1);
		payload(p, 56);
		pb_fin(p);
		TRY(add(c, p, "%s/ip6-%s/icmp6-echo", ln, v6[i].n));

		pb_init(p);
		pb_l2(p, l2, 0x86dd);
		pb_ip6(p, v6[i].a, kd_v6_dst, 58);
		pb_icmp6_ns(p, kd_v6_dst);
		pb_fin(p);
		TRY(add(c, p, "%s/ip6-%s/icmp6-ns", ln, v6[i].n));
	}
	pb_init(p);
	pb_l2(p, l2, 0x0806);
	put16(p, 1);
	put16(p, 0x0800);
	put8(p, 6);
	put8(p, 4);
	put16(p, 1);
	putn(p, mac_src, 6);
	put32(p, KD_V4_GOOD);
	payload(p, 0);
	put32(p, 0);
	put16(p, 0);
	put32(p, KD_V4_DST);
	TRY(add(c, p, "%s/arp-request", ln));
	return 0;
}

static int add_ip4_oddities(struct kd_corpus *c, struct pb *p)
{
	static const size_t optlens[] = {4, 8, 20, 40};
	size_t i;

	for (i = 0; i < sizeof(optlens) / sizeof(optlens[0]); i++) {
		pb_init(p);
		pb_l2(p, L2_PLAIN, 0x0800);
		pb_ip4(p, KD_V4_GOOD, KD_V4_DST, 17, optlens[i], 0);
		pb_udp(p, 1000, KD_PORT_DENY);
		payload(p, 20);
		pb_fin(p);
		TRY(add(c, p, "ip4-options-%zu/udp:23", optlens[i]));
	}
	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x0800);
	pb_ip4(p, KD_V4_LPM_DENY, KD_V4_DST, 6, 12, 0x4000);
	pb_tcp(p, 1000, 22, 0x10, 1);
	pb_fin(p);
	TRY(add(c, p, "ip4-options-12-df/tcp-lpmdeny"));

	/* Fragments: first (MF, offset 0), middle, last; a DF one. */
	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x0800);
	pb_ip4(p, KD_V4_GOOD, KD_V4_DST, 17, 0, 0x2000);
	pb_udp(p, 1000, KD_PORT_DENY);
	payload(p, 64);
	pb_fin(p);
	TRY(add(c, p, "ip4-frag-first/udp:23"));
	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x0800);
	pb_ip4(p, KD_V4_GOOD, KD_V4_DST, 17, 0, 0x2000 | 9);
	payload(p, 72);
	pb_fin(p);
	TRY(add(c, p, "ip4-frag-middle"));
	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x0800);
	pb_ip4(p, KD_V4_DENY, KD_V4_DST, 17, 0, 18);
	payload(p, 30);
	pb_fin(p);
	TRY(add(c, p, "ip4-frag-last-deny"));
	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x0800);
	pb_ip4(p, KD_V4_GOOD, KD_V4_DST, 6, 0, 0x4000 | 3);
	payload(p, 40);
	pb_fin(p);
	TRY(add(c, p, "ip4-df-with-offset"));

	/* Broken headers. */
	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x0800);
	pb_ip4(p, KD_V4_GOOD, KD_V4_DST, 6, 0, 0);
	pb_tcp(p, 1, 80, 0x02, 0);
	pb_fin(p);
	p->b[14] = 0x44; /* IHL 4 */
	TRY(add(c, p, "ip4-bad-ihl-4"));
	p->b[14] = 0x40;
	TRY(add(c, p, "ip4-bad-ihl-0"));
	p->b[14] = 0x4f; /* IHL 15 reaches past a 40-byte frame */
	TRY(add(c, p, "ip4-ihl-15-short"));
	p->b[14] = 0x65;
	TRY(add(c, p, "ip4-version-6"));
	p->n = 14 + 10;
	TRY(add(c, p, "ip4-truncated-header"));
	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x0800);
	pb_ip4(p, KD_V4_GOOD, KD_V4_DST, 6, 0, 0);
	pb_tcp(p, 1, 80, 0x02, 0);
	pb_fin(p);
	p->n = 14 + 20 + 10;
	TRY(add(c, p, "ip4-truncated-tcp"));
	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x0800);
	pb_ip4(p, KD_V4_GOOD, KD_V4_DST, 17, 0, 0);
	pb_udp(p, 1, 53);
	pb_fin(p);
	set16(p, 14 + 2, 1400); /* total length past the frame */
	TRY(add(c, p, "ip4-totlen-too-big"));
	p->n = 14 + 20 + 4;
	TRY(add(c, p, "ip4-truncated-udp"));
	return 0;
}

static int add_ip6_chains(struct kd_corpus *c, struct pb *p)
{
	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x86dd);
	pb_ip6(p, kd_v6_good, kd_v6_dst, 0);
	pb_ip6_ext(p, 17, 0);
	pb_udp(p, 1000, 53);
	payload(p, 12);
	pb_fin(p);
	TRY(add(c, p, "ip6-hbh/udp:53"));

	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x86dd);
	pb_ip6(p, kd_v6_good, kd_v6_dst, 0);
	pb_ip6_ext(p, 43, 0);
	pb_ip6_ext(p, 6, 2); /* routing header, 24 bytes */
	pb_tcp(p, 1000, KD_PORT_DENY, 0x02, 0);
	pb_fin(p);
	TRY(add(c, p, "ip6-hbh-rt/tcp:23"));

	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x86dd);
	pb_ip6(p, kd_v6_deny, kd_v6_dst, 60);
	pb_ip6_ext(p, 44, 1);
	pb_ip6_frag(p, 17, 0, 1);
	pb_udp(p, 1000, 53);
	payload(p, 24);
	pb_fin(p);
	TRY(add(c, p, "ip6-dst-frag-first/udp-deny"));

	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x86dd);
	pb_ip6(p, kd_v6_good, kd_v6_dst, 44);
	pb_ip6_frag(p, 6, 100, 0);
	payload(p, 48);
	pb_fin(p);
	TRY(add(c, p, "ip6-frag-last"));

	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x86dd);
	pb_ip6(p, kd_v6_good, kd_v6_dst, 0);
	pb_ip6_ext(p, 60, 0);
	pb_ip6_ext(p, 43, 1);
	pb_ip6_ext(p, 44, 0);
	pb_ip6_frag(p, 60, 0, 1);
	pb_ip6_ext(p, 6, 0);
	pb_tcp(p, 1000, KD_PORT_DENY, 0x02, 1);
	pb_fin(p);
	TRY(add(c, p, "ip6-chain-5/tcp:23"));

	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x86dd);
	pb_ip6(p, kd_v6_good, kd_v6_dst, 0);
	pb_ip6_ext(p, 60, 0);
	pb_ip6_ext(p, 60, 0);
	pb_ip6_ext(p, 60, 0);
	pb_ip6_ext(p, 60, 0);
	pb_ip6_ext(p, 60, 0);
	pb_ip6_ext(p, 60, 0);
	pb_ip6_ext(p, 60, 0);
	pb_ip6_ext(p, 17, 0);
	pb_udp(p, 1000, 53);
	pb_fin(p);
	TRY(add(c, p, "ip6-chain-9/udp"));

	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x86dd);
	pb_ip6(p, kd_v6_good, kd_v6_dst, 59);
	payload(p, 16);
	pb_fin(p);
	TRY(add(c, p, "ip6-no-next-header"));

	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x86dd);
	pb_ip6(p, kd_v6_good, kd_v6_dst, 253);
	payload(p, 16);
	pb_fin(p);
	TRY(add(c, p, "ip6-experimental-next"));

	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x86dd);
	pb_ip6(p, kd_v6_good, kd_v6_dst, 0);
	pb_ip6_ext(p, 17, 4); /* claims 40 bytes */
	pb_fin(p);
	p->n -= 20;
	TRY(add(c, p, "ip6-truncated-ext"));

	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x86dd);
	pb_ip6(p, kd_v6_good, kd_v6_dst, 6);
	p->n = 14 + 30;
	TRY(add(c, p, "ip6-truncated-header"));
	return 0;
}

static int add_sizes(struct kd_corpus *c, struct pb *p)
{
	/* Runts: the kernel refuses data_size_in < ETH_HLEN. */
	static const size_t runts[] = {0, 1, 6, 12, 13};
	/* The kernel's linear area is 4096 - 256 - 320 = 3520 bytes; past
	 * it BPF_PROG_TEST_RUN puts the rest in fragments. */
	static const size_t jumbo[] = {1514, 3000, 3519, 3520,
				       3521, 4096, 9000};
	uint8_t meta[KD_MAX_META];
	size_t i;

	pb_init(p);
	payload(p, 14);
	for (i = 0; i < sizeof(runts) / sizeof(runts[0]); i++) {
		p->n = runts[i];
		TRY(add(c, p, "runt-%zu", runts[i]));
	}
	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x0800);
	TRY(add(c, p, "exact-14/ip4-type"));
	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x8100);
	TRY(add(c, p, "exact-14/vlan-type"));
	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x86dd);
	TRY(add(c, p, "exact-14/ip6-type"));
	pb_init(p);
	pb_l2(p, L2_VLAN, 0x0800);
	p->n = 16;
	TRY(add(c, p, "16/vlan-cut"));

	for (i = 0; i < sizeof(jumbo) / sizeof(jumbo[0]); i++) {
		pb_init(p);
		pb_l2(p, L2_PLAIN, 0x0800);
		pb_ip4(p, KD_V4_GOOD, KD_V4_DST, 17, 0, 0);
		pb_udp(p, 9, 9);
		payload(p, jumbo[i] - p->n);
		pb_fin(p);
		TRY(add(c, p, "jumbo-%zu/udp", jumbo[i]));
	}

	/* Metadata before the frame, and the receive queue. */
	for (i = 0; i < sizeof(meta); i++)
		meta[i] = (uint8_t)(0xa0 + i);
	pb_init(p);
	pb_l2(p, L2_PLAIN, 0x0800);
	pb_ip4(p, KD_V4_GOOD, KD_V4_DST, 6, 0, 0);
	pb_tcp(p, 40000, 80, 0x02, 0);
	pb_fin(p);
	TRY(kd_corpus_add_full(c, "meta-4/tcp", meta, 4, p->b, p->n, 0, 0));
	TRY(kd_corpus_add_full(c, "meta-8/tcp", meta, 8, p->b, p->n, 1, 0));
	TRY(kd_corpus_add_full(c, "meta-32/tcp", meta, 32, p->b, p->n, 1, 0));
	TRY(kd_corpus_add_full(c, "lo-rxq0/tcp", NULL, 0, p->b, p->n, 1, 0));
	TRY(kd_corpus_add_full(c, "meta-8/runt-6", meta, 8, p->b, 6, 0, 0));
	TRY(kd_corpus_add_full(c, "meta-4/jumbo-3520", meta, 4, p->b, 14, 0,
			       0));
	/* That last one is only 14 bytes of frame: grow it to the linear
	 * maximum with metadata (3520 + 4 bytes in all). */
	{
		struct kd_pkt *k = &c->p[c->n - 1];
		uint8_t *d = realloc(k->data, 4 + 3520);

		if (!d)
			return -ENOMEM;
		for (i = 4 + 14; i < 4 + 3520; i++)
			d[i] = (uint8_t)i;
		k->data = d;
		k->len = 3520;
	}
	return 0;
}

/* Every frame so far again with a few bytes flipped, or cut short. */
static int add_mutations(struct kd_corpus *c, size_t base_n, size_t count)
{
	uint8_t buf[KD_MAX_FRAME];
	size_t i, j;

	for (i = 0; i < count; i++) {
		const struct kd_pkt *s = &c->p[rnd() % base_n];
		char name[64];
		size_t len = s->len, flips = 1 + rnd() % 4;

		if (len < 15 || len > 2048)
			continue;
		memcpy(buf, s->data + s->meta_len, len);
		for (j = 0; j < flips; j++)
			buf[rnd() % (len < 80 ? len : 80)] ^=
				(uint8_t)(1 + rnd() % 255);
		if (rnd() % 4 == 0)
			len = 14 + rnd() % (len - 14);
		snprintf(name, sizeof(name), "mut%zu<%.50s", i, s->name);
		TRY(kd_corpus_add(c, name, buf, len));
	}
	return 0;
}

int kd_corpus_build(struct kd_corpus *c, unsigned int seed)
{
	struct pb *p = malloc(sizeof(*p));
	size_t base;
	int rc = 0;

	if (!p)
		return -ENOMEM;
	rng_state = seed ? seed : 1;
	rc = rc ?: add_l2_set(c, p, L2_PLAIN);
	rc = rc ?: add_l2_set(c, p, L2_VLAN);
	rc = rc ?: add_l2_set(c, p, L2_QINQ);
	rc = rc ?: add_ip4_oddities(c, p);
	rc = rc ?: add_ip6_chains(c, p);
	base = c->n;
	rc = rc ?: add_sizes(c, p);
	rc = rc ?: add_mutations(c, base, 60);
	free(p);
	return rc;
}
