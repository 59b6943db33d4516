/* SPDX-License-Identifier: MIT */
/*
 * xdp_lb (tests/progs/xdp_lb.bpf.c), the project's own load balancer, in
 * the kernel and in libuebpf.
 *
 * Two backends run the same object: the kernel (libbpf 1.1: open, load,
 * configure with bpf_map_update_elem, BPF_PROG_TEST_RUN) and libuebpf
 * (uebpf_object_open_file, uebpf maps, uebpf_xdp_run).  Both are
 * configured by xdp_lb_configure() (tests/progs/xdp_lb_cp.c).
 *
 *  - Checks that stand on their own, on each backend: the encapsulation
 *    headers field by field (IPv4 in IPv4 with a valid outer checksum, GUE
 *    over IPv4 and IPv6, IPv6 in IPv6, IPv4 in IPv6), the real chosen is
 *    the Maglev ring's (computed here), the same flow keeps its real, flow
 *    timeouts re-hash (UDP's apart from TCP's), ICMP echo replies with
 *    valid checksums, VLAN tags removed by tail calls up to the kernel's
 *    limit, the verdicts of fragments, malformed and foreign frames, the
 *    shared flow table when a CPU has no table of its own, and the
 *    statistics adding up.
 *  - The kernel against libuebpf on the sample traffic (xdp_lb_traffic):
 *    every verdict and output frame, then lb_stats, lb_vip_stats and the
 *    flow table (last_seen, a clock reading, aside).
 *
 * Kernel tests skip, with the reason printed, without CAP_BPF.  The
 * process pins itself to CPU 0 so that the kernel's
 * bpf_get_smp_processor_id() is 0, as libuebpf's unbound thread is.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "uebpf.h"
#include "../progs/xdp_lb_cp.h"

#define HEADROOM 256
#define FRAME	 2048

static char obj_path[512];
static int ncpus;
static char no_kernel[256];
static char ulog[4096];

/* ---- backends
 * ---------------------------------------------------------------- */

struct be {
	const char *name;
	int kernel;
	/* kernel */
	struct bpf_object *kobj;
	int prog_fd;
	/* libuebpf */
	struct uebpf_runtime *rt;
	struct uebpf_object *uobj;
	struct uebpf_prog *prog;
};

static void log_fn(enum uebpf_log_level level, const char *msg, void *ctx)
{
	size_t n = strlen(ulog);

	(void)level;
	(void)ctx;
	if (n < sizeof(ulog) - 1)
		snprintf(ulog + n, sizeof(ulog) - n, "%s\n", msg);
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (getenv("TEST_LIBBPF_VERBOSE") || level == LIBBPF_WARN)
		vfprintf(stderr, fmt, ap);
	return 0;
}

static int k_update(void *ctx, const char *map, const void *key,
		    const void *value, uint64_t flags)
{
	struct be *b = ctx;
	int fd = bpf_object__find_map_fd_by_name(b->kobj, map);

	if (fd < 0)
		return -ENOENT;
	return bpf_map_update_elem(fd, key, value, flags) ? -errno : 0;
}

static struct uebpf_map *umap(struct be *b, const char *name)
{
	struct uebpf_object_map *m = uebpf_object_find_map(b->uobj, name);

	return m ? uebpf_object_map_handle(m) : NULL;
}

static int u_update(void *ctx, const char *map, const void *key,
		    const void *value, uint64_t flags)
{
	struct uebpf_map *m = umap(ctx, map);

	return m ? uebpf_map_update_elem(m, key, value, flags) : -ENOENT;
}

static int be_lookup(struct be *b, const char *map, const void *key,
		     void *value)
{
	if (b->kernel) {
		int fd = bpf_object__find_map_fd_by_name(b->kobj, map);

		return bpf_map_lookup_elem(fd, key, value) ? -errno : 0;
	}
	return uebpf_map_lookup_elem(umap(b, map), key, value);
}

static int be_delete(struct be *b, const char *map, const void *key)
{
	if (b->kernel) {
		int fd = bpf_object__find_map_fd_by_name(b->kobj, map);

		return bpf_map_delete_elem(fd, key) ? -errno : 0;
	}
	return uebpf_map_delete_elem(umap(b, map), key);
}

static int be_next_key(struct be *b, const char *map, const void *key,
		       void *next)
{
	if (b->kernel) {
		int fd = bpf_object__find_map_fd_by_name(b->kobj, map);

		return bpf_map_get_next_key(fd, key, next) ? -errno : 0;
	}
	return uebpf_map_get_next_key(umap(b, map), key, next);
}

static struct xdp_lb_ops be_ops(struct be *b)
{
	return (struct xdp_lb_ops){b, b->kernel ? k_update : u_update};
}

/* Run one frame: the verdict, the frame after the run in out. */
static int be_run(struct be *b, const void *in, size_t len, uint8_t *out,
		  size_t *out_len)
{
	if (b->kernel) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in,
			    .data_size_in = (uint32_t)len, .data_out = out,
			    .data_size_out = FRAME, .repeat = 1);
		int err = bpf_prog_test_run_opts(b->prog_fd, &o);

		if (err)
			return -errno;
		*out_len = o.data_size_out;
		return (int)o.retval;
	} else {
		static uint8_t frame[HEADROOM + FRAME];
		struct uebpf_xdp_buff buf = {.sz = sizeof(buf)};
		struct uebpf_xdp_result res = {.sz = sizeof(res)};
		int rc;

		memcpy(frame + HEADROOM, in, len);
		buf.data_hard_start = frame;
		buf.data = frame + HEADROOM;
		buf.data_end = frame + HEADROOM + len;
		buf.frame_sz = (uint32_t)(HEADROOM + len);
		rc = uebpf_xdp_run(b->prog, &buf, &res);
		if (rc < 0)
			return rc;
		*out_len =
			(size_t)((uint8_t *)res.data_end - (uint8_t *)res.data);
		memcpy(out, res.data, *out_len);
		return (int)res.action;
	}
}

static int kernel_open(struct be *b)
{
	b->kernel = 1;
	b->name = "kernel";
	b->kobj = bpf_object__open_file(obj_path, NULL);
	if (!b->kobj)
		return -errno;
	if (bpf_object__load(b->kobj))
		return -errno;
	b->prog_fd = bpf_program__fd(
		bpf_object__find_program_by_name(b->kobj, "xdp_lb"));
	return b->prog_fd < 0 ? -ENOENT : 0;
}

static int uebpf_open(struct be *b)
{
	UEBPF_OPTS(uebpf_runtime_opts, ro, .nr_cpus = (unsigned int)ncpus,
		   .log_fn = log_fn);
	static char vlog[1 << 16];
	UEBPF_OPTS(uebpf_object_open_opts, oo, .log_buf = vlog,
		   .log_size = sizeof(vlog), .log_level = 1);
	int err;

	b->name = "libuebpf";
	ulog[0] = 0;
	b->rt = uebpf_runtime_new(&ro);
	if (!b->rt)
		return -errno;
	b->uobj = uebpf_object_open_file(b->rt, obj_path, &oo);
	if (!b->uobj)
		return -errno;
	err = uebpf_object_load(b->uobj);
	if (err) {
		size_t n = strlen(vlog);

		fprintf(stderr, "libuebpf refused xdp_lb: %s\n%s%s\n",
			strerror(-err), ulog,
			n > 2000 ? vlog + n - 2000 : vlog);
		return err;
	}
	b->prog = uebpf_object_prog_handle(
		uebpf_object_find_prog(b->uobj, "xdp_lb"));
	return b->prog ? 0 : -errno;
}

static void be_close(struct be *b)
{
	if (b->kobj)
		bpf_object__close(b->kobj);
	if (b->uobj)
		uebpf_object_close(b->uobj);
	if (b->rt)
		uebpf_runtime_free(b->rt);
	memset(b, 0, sizeof(*b));
}

/* A configured backend for the test, or the test skips (no kernel) or
 * fails (libuebpf refuses the object). */
static void be_setup(struct be *b, int kernel)
{
	struct xdp_lb_ops ops;
	int err;

	memset(b, 0, sizeof(*b));
	if (kernel) {
		if (no_kernel[0]) {
			printf("skipped: %s\n", no_kernel);
			skip();
		}
		err = kernel_open(b);
		if (err)
			fail_msg("the kernel refused xdp_lb: %s",
				 strerror(-err));
	} else {
		err = uebpf_open(b);
		if (err)
			fail_msg("libuebpf refused xdp_lb: %s", strerror(-err));
	}
	ops = be_ops(b);
	err = xdp_lb_configure(&ops);
	if (err)
		fail_msg("%s: xdp_lb_configure: %s", b->name, strerror(-err));
}

/* ---- expectations -----------------------------------------------------------
 */

static const struct xdp_lb_vip_def *vip(unsigned int i)
{
	return &xdp_lb_demo_vips(NULL)[i];
}

static void pkt_to(struct xdp_lb_pkt *p, unsigned int v, unsigned int client)
{
	const struct xdp_lb_vip_def *d = vip(v);

	memset(p, 0, sizeof(*p));
	p->family = d->key.family;
	p->proto = d->key.proto;
	memcpy(p->dst, d->key.addr, sizeof(p->dst));
	if (p->family == 4) {
		p->src[0] = htonl(0x0a640000 + client);
	} else {
		p->src[0] = htonl(0x20010db8);
		p->src[1] = htonl(0xaa);
		p->src[3] = htonl(client);
	}
	p->sport = (uint16_t)(1024 + client);
	p->dport = ntohs(d->key.port) ? ntohs(d->key.port) : 9000;
	p->payload = 33;
}

static struct lb_flow_key key_of(const struct xdp_lb_pkt *p)
{
	struct lb_flow_key k = {.family = (uint8_t)p->family,
				.proto = p->proto};

	memcpy(k.src, p->src, sizeof(k.src));
	memcpy(k.dst, p->dst, sizeof(k.dst));
	k.sport = htons(p->sport);
	k.dport = htons(p->dport);
	return k;
}

static uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* The real whose address the outer header's destination is (0: none). */
static uint32_t real_of_addr(const uint8_t *addr, int v6)
{
	uint32_t i;

	for (i = 1; xdp_lb_demo_real(i); i++) {
		const struct lb_real *r = xdp_lb_demo_real(i);

		if (!!(r->flags & LB_REAL_V6) == v6 &&
		    !memcmp(r->addr, addr, v6 ? 16 : 4))
			return i;
	}
	return 0;
}

/*
 * out must be in's IP packet (after the Ethernet header and tags, its own
 * length, Ethernet padding aside) inside the encapsulation VIP v asks for,
 * towards a real; returns that real.
 */
static uint32_t check_encap(const char *who, const uint8_t *in, size_t in_len,
			    unsigned int vlans, const uint8_t *out,
			    size_t out_len, const struct xdp_lb_vip_def *v)
{
	const uint8_t gw[6] = {2, 0, 0, 0, 0, 0xfe};
	const uint8_t *ip = in + 14 + 4 * vlans;
	int inner_v6 = (ip[0] >> 4) == 6, gue = v->meta.flags & LB_VIP_GUE;
	size_t ip_len = inner_v6 ? 40 + rd16(ip + 4) : rd16(ip + 2);
	const uint8_t *o = out + 14, *inner;
	uint32_t real;

	assert_true(in_len >= 14 + 4 * vlans + ip_len);
	assert_true(out_len >= 14 + 20);
	assert_memory_equal(out, gw, 6);
	assert_memory_equal(out + 6, in, 6); /* from the address it came to */
	if (rd16(out + 12) == 0x0800) {
		uint8_t proto = gue ? IPPROTO_UDP : IPPROTO_IPIP;

		assert_int_equal(o[0], 0x45);
		assert_int_equal(rd16(o + 2), ip_len + 20 + (gue ? 8 : 0));
		assert_int_equal(rd16(o + 6), 0); /* no fragmenting fields */
		assert_int_equal(o[8], 64);
		assert_int_equal(o[9], proto);
		assert_int_equal(o[12], 172);
		assert_int_equal(o[13], 16);
		/* The outer checksum: the header sums to 0xffff. */
		if (xdp_lb_csum(o, 20, 0) != 0)
			fail_msg("%s: outer IPv4 checksum %04x is wrong", who,
				 rd16(o + 10));
		real = real_of_addr(o + 16, 0);
		inner = o + 20;
	} else {
		assert_int_equal(rd16(out + 12), 0x86dd);
		assert_int_equal(o[0] >> 4, 6);
		assert_int_equal(rd16(o + 4), ip_len + (gue ? 8 : 0));
		assert_int_equal(o[6], gue	  ? IPPROTO_UDP
				       : inner_v6 ? IPPROTO_IPV6
						  : IPPROTO_IPIP);
		assert_int_equal(o[7], 64);
		assert_int_equal(rd16(o + 8), 0xfc00);
		assert_int_equal(rd16(o + 10), 0x0001);
		real = real_of_addr(o + 24, 1);
		inner = o + 40;
	}
	if (gue) {
		/* GUE variant 1: UDP to 6080, the inner IP header next. */
		assert_int_equal(rd16(inner + 2), LB_GUE_PORT);
		assert_int_equal(rd16(inner + 4), ip_len + 8);
		assert_true(rd16(inner) >= 0x8000);
		inner += 8;
	}
	assert_true(real != 0);
	assert_true((size_t)(inner - out) + ip_len <= out_len);
	assert_memory_equal(inner, ip, ip_len);
	return real;
}

static uint64_t stat_of(struct be *b, const char *map, uint32_t slot, int bytes)
{
	struct lb_counter v[ncpus];
	uint64_t sum = 0;
	int i;

	assert_int_equal(be_lookup(b, map, &slot, v), 0);
	for (i = 0; i < ncpus; i++)
		sum += bytes ? v[i].bytes : v[i].packets;
	return sum;
}

/* ---- checks that stand on their own, on one backend -------------------------
 */

static void run_ok(struct be *b, const struct xdp_lb_pkt *p, int want,
		   uint8_t *in, size_t *in_len, uint8_t *out, size_t *out_len)
{
	int rc;

	*in_len = xdp_lb_build(p, 7, in, FRAME);
	assert_true(*in_len > 0);
	rc = be_run(b, in, *in_len, out, out_len);
	if (rc != want)
		fail_msg("%s: verdict %d, expected %d", b->name, rc, want);
}

static void encap(int kernel)
{
	uint8_t in[FRAME], out[FRAME];
	size_t in_len, out_len;
	unsigned int v, c;
	struct be b;

	be_setup(&b, kernel);
	for (v = 0; v < 5; v++) {
		unsigned int seen = 0;

		for (c = 0; c < 40; c++) {
			struct xdp_lb_pkt p;
			struct lb_flow_key k;
			uint32_t real, want;

			pkt_to(&p, v, c);
			p.vlans = c % 3 == 2
					  ? 2
					  : c % 3; /* untagged, 802.1Q, QinQ */
			p.payload = c * 7 % 120;
			if (v == 0 && c % 5 == 4)
				p.flags |= XDP_LB_PKT_IP_OPTIONS;
			if (v == 2 && c % 5 == 4)
				p.flags |= XDP_LB_PKT_EXT_HDRS;
			run_ok(&b, &p, XDP_TX, in, &in_len, out, &out_len);
			real = check_encap(b.name, in, in_len, p.vlans, out,
					   out_len, vip(v));
			k = key_of(&p);
			want = xdp_lb_expected_real(vip(v), &k);
			if (real != want)
				fail_msg("%s: %s client %u went to real %u, "
					 "the ring says %u",
					 b.name, vip(v)->name, c, real, want);
			seen |= 1u << real;
		}
		/* 40 flows spread over more than one real. */
		assert_true(__builtin_popcount(seen) > 1);
	}
	be_close(&b);
}

static void test_encap_kernel(void **s)
{
	(void)s;
	encap(1);
}
static void test_encap_uebpf(void **s)
{
	(void)s;
	encap(0);
}

/* Same flow, same real: even when the ring changes under it, until the
 * flow is idle past its timeout; UDP's timeout is its own. */
static void timeouts(int kernel)
{
	uint8_t in[FRAME], out[FRAME];
	size_t in_len, out_len;
	struct xdp_lb_ops ops;
	struct xdp_lb_pkt tcp, udp;
	uint32_t r_tcp, r_udp, other_tcp, other_udp, expired;
	struct be b;
	int i;

	be_setup(&b, kernel);
	ops = be_ops(&b);
	pkt_to(&tcp, 0, 3);
	pkt_to(&udp, 1, 3);
	run_ok(&b, &tcp, XDP_TX, in, &in_len, out, &out_len);
	r_tcp = check_encap(b.name, in, in_len, 0, out, out_len, vip(0));
	run_ok(&b, &udp, XDP_TX, in, &in_len, out, &out_len);
	r_udp = check_encap(b.name, in, in_len, 0, out, out_len, vip(1));
	/* Each VIP's ring now holds only another real. */
	other_tcp = r_tcp == 1 ? 2 : 1;
	other_udp = r_udp == 1 ? 2 : 1;
	assert_int_equal(xdp_lb_set_ring(&ops, 0, &other_tcp, 1), 0);
	assert_int_equal(xdp_lb_set_ring(&ops, 1, &other_udp, 1), 0);
	for (i = 0; i < 3; i++) {
		run_ok(&b, &tcp, XDP_TX, in, &in_len, out, &out_len);
		assert_int_equal(check_encap(b.name, in, in_len, 0, out,
					     out_len, vip(0)),
				 r_tcp);
		run_ok(&b, &udp, XDP_TX, in, &in_len, out, &out_len);
		assert_int_equal(check_encap(b.name, in, in_len, 0, out,
					     out_len, vip(1)),
				 r_udp);
	}
	assert_int_equal(stat_of(&b, "lb_stats", LB_STAT_FLOW_EXPIRED, 0), 0);
	assert_int_equal(stat_of(&b, "lb_stats", LB_STAT_FLOW_CPU_HIT, 0), 6);
	/* UDP flows expire after 1 ns, TCP's after 300 s. */
	assert_int_equal(xdp_lb_set_timeouts(&ops, 300ull * 1000000000, 1), 0);
	usleep(1000);
	run_ok(&b, &tcp, XDP_TX, in, &in_len, out, &out_len);
	assert_int_equal(
		check_encap(b.name, in, in_len, 0, out, out_len, vip(0)),
		r_tcp);
	run_ok(&b, &udp, XDP_TX, in, &in_len, out, &out_len);
	assert_int_equal(
		check_encap(b.name, in, in_len, 0, out, out_len, vip(1)),
		other_udp);
	assert_int_equal(stat_of(&b, "lb_stats", LB_STAT_FLOW_EXPIRED, 0), 1);
	/* Now TCP too. */
	assert_int_equal(xdp_lb_set_timeouts(&ops, 1, 1), 0);
	usleep(1000);
	run_ok(&b, &tcp, XDP_TX, in, &in_len, out, &out_len);
	assert_int_equal(
		check_encap(b.name, in, in_len, 0, out, out_len, vip(0)),
		other_tcp);
	expired = (uint32_t)stat_of(&b, "lb_stats", LB_STAT_FLOW_EXPIRED, 0);
	assert_int_equal(expired, 2);
	be_close(&b);
}

static void test_timeouts_kernel(void **s)
{
	(void)s;
	timeouts(1);
}
static void test_timeouts_uebpf(void **s)
{
	(void)s;
	timeouts(0);
}

static void icmp_echo(int kernel)
{
	uint8_t in[FRAME], out[FRAME];
	size_t in_len, out_len;
	struct xdp_lb_pkt p;
	struct be b;
	uint32_t ps;
	int i;

	be_setup(&b, kernel);
	/* IPv4: type 0, addresses and MACs swapped, checksums valid. */
	pkt_to(&p, 0, 9);
	p.proto = IPPROTO_ICMP;
	p.icmp_type = 8;
	run_ok(&b, &p, XDP_TX, in, &in_len, out, &out_len);
	assert_int_equal(out_len, in_len);
	assert_memory_equal(out, in + 6, 6);
	assert_memory_equal(out + 6, in, 6);
	assert_memory_equal(out + 26, in + 30, 4);
	assert_memory_equal(out + 30, in + 26, 4);
	assert_int_equal(out[34], 0);
	assert_int_equal(xdp_lb_csum(out + 14, 20, 0), 0);
	assert_int_equal(xdp_lb_csum(out + 34, 8 + p.payload, 0), 0);
	assert_memory_equal(out + 38, in + 38, 4 + p.payload);
	/* IPv6: type 129, checksum valid with the pseudo-header. */
	pkt_to(&p, 2, 9);
	p.proto = IPPROTO_ICMPV6;
	p.icmp_type = 128;
	run_ok(&b, &p, XDP_TX, in, &in_len, out, &out_len);
	assert_memory_equal(out + 22, in + 38, 16);
	assert_memory_equal(out + 38, in + 22, 16);
	assert_int_equal(out[54], 129);
	ps = 0;
	for (i = 0; i < 32; i += 2)
		ps += rd16(out + 22 + i);
	ps += IPPROTO_ICMPV6 + 8 + p.payload;
	assert_int_equal(xdp_lb_csum(out + 54, 8 + p.payload, ps), 0);
	/* Other ICMP to a VIP, and pings to a VIP without the flag, pass. */
	pkt_to(&p, 0, 9);
	p.proto = IPPROTO_ICMP;
	p.icmp_type = 13;
	run_ok(&b, &p, XDP_PASS, in, &in_len, out, &out_len);
	pkt_to(&p, 1, 9);
	p.proto = IPPROTO_ICMP;
	p.icmp_type = 8;
	run_ok(&b, &p, XDP_PASS, in, &in_len, out, &out_len);
	assert_int_equal(stat_of(&b, "lb_stats", LB_STAT_TX_ICMP_ECHO, 0), 2);
	be_close(&b);
}

static void test_icmp_kernel(void **s)
{
	(void)s;
	icmp_echo(1);
}
static void test_icmp_uebpf(void **s)
{
	(void)s;
	icmp_echo(0);
}

/* Verdicts of frames that are not balanced, and the counters. */
static void paths(int kernel)
{
	uint8_t in[FRAME], out[FRAME];
	size_t in_len, out_len;
	struct xdp_lb_pkt p;
	uint64_t total = 0;
	struct be b;
	int i;

	be_setup(&b, kernel);
	/* Fragments pass, unchanged. */
	pkt_to(&p, 0, 1);
	p.flags = XDP_LB_PKT_FRAGMENT;
	run_ok(&b, &p, XDP_PASS, in, &in_len, out, &out_len);
	assert_int_equal(out_len, in_len);
	assert_memory_equal(out, in, in_len);
	pkt_to(&p, 2, 1);
	p.flags = XDP_LB_PKT_FRAGMENT | XDP_LB_PKT_EXT_HDRS;
	run_ok(&b, &p, XDP_PASS, in, &in_len, out, &out_len);
	assert_int_equal(stat_of(&b, "lb_stats", LB_STAT_PASS_FRAG, 0), 2);
	/* Not a VIP (address, port), ARP: pass. */
	pkt_to(&p, 0, 1);
	p.dport = 81;
	run_ok(&b, &p, XDP_PASS, in, &in_len, out, &out_len);
	assert_memory_equal(out, in, in_len);
	pkt_to(&p, 0, 1);
	p.dst[0] = htonl(0x08080808);
	run_ok(&b, &p, XDP_PASS, in, &in_len, out, &out_len);
	pkt_to(&p, 0, 1);
	p.proto = IPPROTO_UDP;
	run_ok(&b, &p, XDP_PASS, in, &in_len, out, &out_len);
	assert_int_equal(stat_of(&b, "lb_stats", LB_STAT_PASS_NON_VIP, 0), 3);
	memset(&p, 0, sizeof(p));
	run_ok(&b, &p, XDP_PASS, in, &in_len, out, &out_len);
	assert_int_equal(stat_of(&b, "lb_stats", LB_STAT_PASS_NON_IP, 0), 1);
	/* A VIP without reals drops. */
	pkt_to(&p, 5, 1);
	run_ok(&b, &p, XDP_DROP, in, &in_len, out, &out_len);
	assert_int_equal(stat_of(&b, "lb_stats", LB_STAT_DROP_NO_REAL, 0), 1);
	assert_int_equal(stat_of(&b, "lb_vip_stats", 5, 0), 1);
	/* Malformed: each drops. */
	for (i = 0; i < 6; i++) {
		int rc;

		pkt_to(&p, 0, 1);
		in_len = xdp_lb_build(&p, 1, in, FRAME);
		switch (i) {
		case 0: in_len = 14 + 19; break; /* short IPv4 */
		case 1: in[14] = 0x44; break;	 /* ihl 4 */
		case 2: in[14] = 0x65; break;	 /* version 6 */
		case 3: in[16] = 0xff; break;	 /* tot_len */
		case 4:
			in[17] = 30;
			in_len = 44;
			break; /* short TCP */
		case 5:
			in[12] = 0x81;
			in[13] = 0;
			in_len = 17;
			break; /* tag */
		}
		rc = be_run(&b, in, in_len, out, &out_len);
		if (rc != XDP_DROP)
			fail_msg("%s: malformed frame %d: verdict %d", b.name,
				 i, rc);
	}
	assert_int_equal(stat_of(&b, "lb_stats", LB_STAT_DROP_MALFORMED, 0), 6);
	/* 35 tags: the first run and 33 tail calls remove 34, then the tail
	 * call fails and the frame passes with one tag left. */
	pkt_to(&p, 0, 1);
	p.vlans = 35;
	run_ok(&b, &p, XDP_PASS, in, &in_len, out, &out_len);
	assert_int_equal(out_len, in_len - 34 * 4);
	assert_memory_equal(out, in, 12);
	assert_memory_equal(out + 12, in + 12 + 34 * 4, out_len - 12);
	assert_int_equal(stat_of(&b, "lb_stats", LB_STAT_VLAN_POP, 0), 34);
	assert_int_equal(stat_of(&b, "lb_stats", LB_STAT_PASS_TAIL_FAIL, 0), 1);
	/* Every frame ended in exactly one verdict slot: 2 fragments, 3 not
	 * for a VIP, 1 ARP, 1 without reals, 6 malformed, 1 with tags left. */
	for (i = LB_STAT_PASS_NON_IP; i <= LB_STAT_TX_ICMP_ECHO; i++)
		total += stat_of(&b, "lb_stats", (uint32_t)i, 0);
	assert_int_equal(total, 14);
	be_close(&b);
}

static void test_paths_kernel(void **s)
{
	(void)s;
	paths(1);
}
static void test_paths_uebpf(void **s)
{
	(void)s;
	paths(0);
}

/* With no table in this CPU's slot, flows go to the shared one. */
static void shared_lru(int kernel)
{
	uint8_t in[FRAME], out[FRAME];
	size_t in_len, out_len;
	struct lb_flow_key k, nk;
	struct lb_flow f;
	struct xdp_lb_pkt p;
	uint32_t slot, real;
	struct be b;
	int n = 0;

	be_setup(&b, kernel);
	for (slot = 0; slot < LB_CPU_SLOTS; slot++)
		assert_int_equal(be_delete(&b, "lb_flows_cpu", &slot), 0);
	pkt_to(&p, 2, 5);
	run_ok(&b, &p, XDP_TX, in, &in_len, out, &out_len);
	real = check_encap(b.name, in, in_len, 0, out, out_len, vip(2));
	run_ok(&b, &p, XDP_TX, in, &in_len, out, &out_len);
	assert_int_equal(stat_of(&b, "lb_stats", LB_STAT_FLOW_SHARED, 0), 2);
	assert_int_equal(stat_of(&b, "lb_stats", LB_STAT_FLOW_SHARED_HIT, 0),
			 1);
	assert_int_equal(stat_of(&b, "lb_stats", LB_STAT_FLOW_NEW, 0), 1);
	k = key_of(&p);
	assert_int_equal(be_lookup(&b, "lb_flows", &k, &f), 0);
	assert_int_equal(f.real, real);
	assert_int_equal(f.vip_num, 2);
	assert_true(f.last_seen != 0);
	while (be_next_key(&b, "lb_flows", n ? &k : NULL, &nk) == 0) {
		k = nk;
		n++;
	}
	assert_int_equal(n, 1);
	be_close(&b);
}

static void test_shared_lru_kernel(void **s)
{
	(void)s;
	shared_lru(1);
}
static void test_shared_lru_uebpf(void **s)
{
	(void)s;
	shared_lru(0);
}

/* Every frame of the sample traffic the backend sends back out is right:
 * an echo reply, or the input's IP packet encapsulated towards the real
 * the VIP's ring names (the first packet of a flow picks it, the flow
 * keeps it: the rings do not change here). */
struct tx_ctx {
	struct be *b;
	unsigned int n, tx, echo;
};

static int check_tx(void *ctx, const void *pkt, size_t len)
{
	struct tx_ctx *t = ctx;
	const uint8_t *in = pkt, *ip, *l4;
	uint8_t out[FRAME];
	struct lb_flow_key k = {0};
	unsigned int vlans = 0, i, nv;
	const struct xdp_lb_vip_def *vips = xdp_lb_demo_vips(&nv);
	size_t out_len;
	uint8_t proto;
	int rc = be_run(t->b, pkt, len, out, &out_len);

	t->n++;
	if (rc != XDP_TX)
		return 0;
	t->tx++;
	while (rd16(in + 12 + 4 * vlans) == 0x8100 ||
	       rd16(in + 12 + 4 * vlans) == 0x88a8)
		vlans++;
	ip = in + 14 + 4 * vlans;
	if ((ip[0] >> 4) == 4) {
		k.family = 4;
		proto = ip[9];
		memcpy(k.src, ip + 12, 4);
		memcpy(k.dst, ip + 16, 4);
		l4 = ip + (ip[0] & 15) * 4;
	} else {
		k.family = 6;
		proto = ip[6];
		memcpy(k.src, ip + 8, 16);
		memcpy(k.dst, ip + 24, 16);
		l4 = ip + 40;
		while (proto == 0 || proto == 60) { /* the traffic's options */
			proto = l4[0];
			l4 += (l4[1] + 1) * 8;
		}
	}
	k.proto = proto;
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		assert_int_equal(out[(size_t)(l4 - in) - 4 * vlans],
				 proto == IPPROTO_ICMP ? 0 : 129);
		t->echo++;
		return 0;
	}
	memcpy(&k.sport, l4, 2);
	memcpy(&k.dport, l4 + 2, 2);
	for (i = 0; i < nv; i++) {
		const struct xdp_lb_vip_def *v = &vips[i];

		if (memcmp(v->key.addr, k.dst, 16) || v->key.proto != proto ||
		    (v->key.port != k.dport &&
		     !(v->meta.flags & LB_VIP_NO_PORT)))
			continue;
		if (check_encap(t->b->name, in, len, vlans, out, out_len, v) !=
		    xdp_lb_expected_real(v, &k))
			fail_msg("%s: frame %u: not the ring's real",
				 t->b->name, t->n - 1);
		return 0;
	}
	fail_msg("%s: frame %u sent out, but it is for no VIP", t->b->name,
		 t->n - 1);
	return -1;
}

static void traffic(int kernel)
{
	struct be b;
	struct tx_ctx t = {&b, 0, 0, 0};
	uint64_t total = 0;
	int i;

	be_setup(&b, kernel);
	assert_int_equal(xdp_lb_traffic(2, 3000, check_tx, &t), 3000);
	printf("%s: %u frames, %u sent out (%u echo replies), all checked\n",
	       b.name, t.n, t.tx, t.echo);
	assert_true(t.tx > 1500 && t.echo > 10);
	assert_int_equal(
		stat_of(&b, "lb_stats", LB_STAT_TX_IPIP, 0) +
			stat_of(&b, "lb_stats", LB_STAT_TX_IP6IP6, 0) +
			stat_of(&b, "lb_stats", LB_STAT_TX_IP4IP6, 0) +
			stat_of(&b, "lb_stats", LB_STAT_TX_GUE4, 0) +
			stat_of(&b, "lb_stats", LB_STAT_TX_GUE6, 0) +
			stat_of(&b, "lb_stats", LB_STAT_TX_ICMP_ECHO, 0),
		t.tx);
	for (i = LB_STAT_PASS_NON_IP; i <= LB_STAT_TX_ICMP_ECHO; i++) {
		uint64_t v = stat_of(&b, "lb_stats", (uint32_t)i, 0);

		/* The traffic reaches every verdict path. */
		if (!v && i != LB_STAT_DROP_ENCAP)
			fail_msg("%s: no frame took the %s path", b.name,
				 lb_stat_names[i]);
		total += v;
	}
	assert_int_equal(total, 3000);
	be_close(&b);
}

static void test_traffic_kernel(void **s)
{
	(void)s;
	traffic(1);
}
static void test_traffic_uebpf(void **s)
{
	(void)s;
	traffic(0);
}

/* ---- the kernel against libuebpf on the sample traffic
 * ----------------------- */

struct diff_ctx {
	struct be *k, *u;
	unsigned int n, tx, pass, drop;
};

static int diff_one(void *ctx, const void *pkt, size_t len)
{
	struct diff_ctx *d = ctx;
	uint8_t ko[FRAME], uo[FRAME];
	size_t kl = 0, ul = 0;
	int kr = be_run(d->k, pkt, len, ko, &kl);
	int ur = be_run(d->u, pkt, len, uo, &ul);

	if (kr != ur)
		fail_msg(
			"packet %u (%zu bytes): kernel verdict %d, libuebpf %d",
			d->n, len, kr, ur);
	if (kl != ul || memcmp(ko, uo, kl))
		fail_msg("packet %u: the output frames differ (kernel %zu "
			 "bytes, libuebpf %zu)",
			 d->n, kl, ul);
	d->tx += kr == XDP_TX;
	d->pass += kr == XDP_PASS;
	d->drop += kr == XDP_DROP;
	d->n++;
	return 0;
}

static void compare_percpu(struct diff_ctx *d, const char *map, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		uint64_t kp = stat_of(d->k, map, i, 0),
			 up = stat_of(d->u, map, i, 0);
		uint64_t kb = stat_of(d->k, map, i, 1),
			 ub = stat_of(d->u, map, i, 1);

		if (kp != up || kb != ub)
			fail_msg("%s[%u]: kernel %llu packets %llu bytes, "
				 "libuebpf %llu, %llu",
				 map, i, (unsigned long long)kp,
				 (unsigned long long)kb, (unsigned long long)up,
				 (unsigned long long)ub);
	}
}

/* Every flow of one table in the other, with the same real and VIP. */
static int compare_flows(struct be *a, struct be *b, const char *map)
{
	struct lb_flow_key k, nk;
	struct lb_flow fa, fb;
	int n = 0;

	while (be_next_key(a, map, n ? &k : NULL, &nk) == 0) {
		k = nk;
		n++;
		assert_int_equal(be_lookup(a, map, &k, &fa), 0);
		if (be_lookup(b, map, &k, &fb))
			fail_msg("%s: a flow of %s is missing in %s", map,
				 a->name, b->name);
		assert_int_equal(fa.real, fb.real);
		assert_int_equal(fa.vip_num, fb.vip_num);
	}
	return n;
}

static void test_traffic_diff(void **s)
{
	struct be k, u;
	struct diff_ctx d = {&k, &u, 0, 0, 0, 0};
	unsigned int seed = getenv("XDP_LB_SEED")
				    ? (unsigned int)atoi(getenv("XDP_LB_SEED"))
				    : 1;
	int nk, nu;

	(void)s;
	be_setup(&k, 1);
	be_setup(&u, 0);
	assert_int_equal(xdp_lb_traffic(seed, 3000, diff_one, &d), 3000);
	printf("traffic seed %u: %u frames, %u XDP_TX, %u XDP_PASS, %u "
	       "XDP_DROP, all alike\n",
	       seed, d.n, d.tx, d.pass, d.drop);
	assert_true(d.tx > 1000 && d.pass > 100 && d.drop > 50);
	compare_percpu(&d, "lb_stats", LB_STATS_SLOTS);
	compare_percpu(&d, "lb_vip_stats", 8);
	nk = compare_flows(&k, &u, "lb_flows_cpu0");
	nu = compare_flows(&u, &k, "lb_flows_cpu0");
	assert_int_equal(nk, nu);
	assert_true(nk > 50);
	be_close(&k);
	be_close(&u);
}

/* The batch lines say what the ops calls do. */
static int count_lines(void *ctx, const char *map, const void *key,
		       const void *value, uint64_t flags)
{
	(void)map;
	(void)key;
	(void)value;
	(void)flags;
	(*(unsigned int *)ctx)++;
	return 0;
}

static void test_batch_lines(void **s)
{
	unsigned int updates = 0, lines = 0;
	struct xdp_lb_ops ops = {&updates, count_lines};
	char *buf = NULL, *l;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	(void)s;
	assert_non_null(f);
	assert_int_equal(xdp_lb_configure(&ops), 0);
	assert_int_equal(xdp_lb_write_batch(f, "lb.o"), 0);
	fclose(f);
	for (l = buf; (l = strchr(l, '\n')); l++)
		lines++;
	assert_int_equal(lines, updates);
	assert_int_equal(updates, 1 + 7 + 6 + 2 + 5 * LB_RING_SIZE);
	assert_non_null(
		strstr(buf, "map update lb.o name lb_vips key hex c0 00 02 01 "
			    "00 00 00 00 00 00 00 00 00 00 00 00 00 50 06 04 "
			    "value hex 00 00 00 00 00 00 00 00 noexist\n"));
	free(buf);
}

static int group_setup(void **s)
{
	const struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = 2},
		{.code = BPF_JMP | BPF_EXIT},
	};
	const char *dir = getenv("UEBPF_PROGS_DIR");
	cpu_set_t set;
	int fd;

	(void)s;
	snprintf(obj_path, sizeof(obj_path), "%s/xdp_lb.o",
		 dir ? dir : "build/progs");
	libbpf_set_print(quiet);
	ncpus = libbpf_num_possible_cpus();
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		snprintf(no_kernel, sizeof(no_kernel),
			 "cannot pin to CPU 0: %s", strerror(errno));
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "probe", "GPL", insns, 2, NULL);
	if (fd >= 0)
		close(fd);
	else if (!no_kernel[0])
		snprintf(no_kernel, sizeof(no_kernel),
			 "the kernel does not load BPF programs here: %s",
			 errno == EPERM ? "no CAP_BPF (run as root)"
					: strerror(errno));
	if (no_kernel[0])
		printf("test_xdp_lb: kernel tests skip: %s\n", no_kernel);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_lines),
		cmocka_unit_test(test_encap_kernel),
		cmocka_unit_test(test_timeouts_kernel),
		cmocka_unit_test(test_icmp_kernel),
		cmocka_unit_test(test_paths_kernel),
		cmocka_unit_test(test_shared_lru_kernel),
		cmocka_unit_test(test_traffic_kernel),
		cmocka_unit_test(test_encap_uebpf),
		cmocka_unit_test(test_timeouts_uebpf),
		cmocka_unit_test(test_icmp_uebpf),
		cmocka_unit_test(test_paths_uebpf),
		cmocka_unit_test(test_shared_lru_uebpf),
		cmocka_unit_test(test_traffic_uebpf),
		cmocka_unit_test(test_traffic_diff),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
