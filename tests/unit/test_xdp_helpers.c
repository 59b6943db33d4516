/* SPDX-License-Identifier: MIT */
/*
 * The XDP helpers (xdp/helpers.c) against the kernel.
 *
 * Every sweep runs one small XDP program twice: through the kernel's
 * BPF_PROG_TEST_RUN and through uebpf_xdp_run() on a frame laid out as
 * test_run lays out its own (bpf_prog_test_run_xdp() in 6.18): a 4096-byte
 * page, the packet 256 bytes in (the metadata from ctx_in right before
 * it), and the frame's hard end 320 bytes (SKB_DATA_ALIGN(sizeof(struct
 * skb_shared_info))) before the page's end, which libuebpf's frame_sz
 * leaves out: frame_sz = 3776.  The helpers' operands come from the
 * packet, so the verifier cannot fold them; the programs return the
 * helpers' return codes, and the output bytes, metadata length and packet
 * length are compared too.
 *
 * bpf_check_mtu: test_run's ingress device is the namespace's lo (MTU
 * 65536); the libuebpf side runs with ingress_ifindex 1 and an MTU
 * callback that asks the kernel (SIOCGIFMTU) for the MTU of the device
 * with that ifindex, -ENODEV when there is none, so both sides see the
 * same devices.  The default of 1500 without a callback is tested apart.
 *
 * Kernel comparisons skip, with the reason printed, without CAP_BPF.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <bpf/bpf.h>

#include "uebpf.h"
#include "insn.h"
#include "../../xdp/xdp.h"

#define PAGE 4096
#define HEADROOM 256
#define SHINFO 320
#define FRAME_SZ (PAGE - SHINFO)

static struct uebpf_runtime *rt;
static char no_kernel[256];
static unsigned int kcases, kdiffs;

struct pb {
	struct bpf_insn i[160];
	size_t n;
};

static void emit(struct pb *b, struct bpf_insn in)
{
	assert_true(b->n < ARRAY_LEN(b->i));
	b->i[b->n++] = in;
}

static void emit_map(struct pb *b, int dst, uint32_t id_or_fd)
{
	emit(b, INSN(BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0,
		     id_or_fd));
	emit(b, INSN(0, 0, 0, 0, 0));
}

static char vlog[16384];

static struct uebpf_prog *our_load(const struct pb *b)
{
	UEBPF_OPTS(uebpf_prog_load_opts, o, .name = "xh", .log_buf = vlog,
		   .log_size = sizeof(vlog), .log_level = 1);

	vlog[0] = '\0';
	return uebpf_prog_load(rt, BPF_PROG_TYPE_XDP, b->i, b->n, &o);
}

static int kernel_load(const struct pb *b)
{
	static char klog[16384];
	LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = klog,
		    .log_size = sizeof(klog), .log_level = 1);
	int fd;

	klog[0] = '\0';
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xh", "GPL", b->i, b->n, &o);
	if (fd < 0 && fd != -EPERM)
		print_message("kernel verifier: %s\n", klog);
	return fd;
}

static void need_kernel(void)
{
	if (no_kernel[0]) {
		print_message("[  SKIP    ] %s\n", no_kernel);
		skip();
	}
}

/* ---- one case on both sides ---------------------------------------------- */

struct outcome {
	int err;
	uint32_t retval;
	uint32_t meta_len, len;
	uint8_t bytes[PAGE];
};

/* A pair of programs (one per side) and what runs them. */
struct pair {
	int fd;
	struct uebpf_prog *p;
};

static void pair_load(struct pair *pr, const struct pb *kb,
		      const struct pb *ob)
{
	pr->fd = kernel_load(kb);
	assert_true(pr->fd >= 0);
	pr->p = our_load(ob ? ob : kb);
	if (!pr->p)
		fail_msg("libuebpf refused the program: %s", vlog);
}

static void pair_free(struct pair *pr)
{
	close(pr->fd);
	uebpf_prog_free(pr->p);
}

static void kernel_case(int fd, const uint8_t *in, uint32_t metalen,
			uint32_t len, struct outcome *o)
{
	static uint8_t out[PAGE];
	struct xdp_md cin = { .data = metalen, .data_end = metalen + len };
	struct xdp_md cout = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = in,
		    .data_size_in = metalen + len, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &cin,
		    .ctx_size_in = sizeof(cin), .ctx_out = &cout,
		    .ctx_size_out = sizeof(cout), .repeat = 1);

	memset(o, 0, sizeof(*o));
	o->err = bpf_prog_test_run_opts(fd, &t);
	o->retval = t.retval;
	o->meta_len = cout.data;
	o->len = cout.data_end - cout.data;
	if (!o->err)
		memcpy(o->bytes, out, t.data_size_out < PAGE ? t.data_size_out : PAGE);
}

static void our_case(struct uebpf_prog *p, const uint8_t *in, uint32_t metalen,
		     uint32_t len, struct outcome *o)
{
	static uint8_t frame[PAGE];
	uint8_t *data = frame + HEADROOM;
	int ret;

	memset(frame, 0, sizeof(frame));
	memcpy(data - metalen, in, metalen + len);
	UEBPF_OPTS(uebpf_xdp_buff, b, .data_hard_start = frame, .data = data,
		   .data_end = data + len, .data_meta = data - metalen,
		   .frame_sz = FRAME_SZ, .ingress_ifindex = 1);
	UEBPF_OPTS(uebpf_xdp_result, r);

	memset(o, 0, sizeof(*o));
	ret = uebpf_xdp_run(p, &b, &r);
	o->err = ret < 0 ? ret : 0;
	o->retval = r.retval;
	o->meta_len = (uint32_t)((uint8_t *)r.data - (uint8_t *)r.data_meta);
	o->len = (uint32_t)((uint8_t *)r.data_end - (uint8_t *)r.data);
	if (!o->err)
		memcpy(o->bytes, r.data_meta, o->meta_len + o->len);
}

/* Runs in (metalen bytes of metadata, then len of packet) on both sides;
 * counts a difference, printing it with what. */
static void both(const struct pair *pr, const uint8_t *in, uint32_t metalen,
		 uint32_t len, const char *what)
{
	static struct outcome k, u;

	kernel_case(pr->fd, in, metalen, len, &k);
	our_case(pr->p, in, metalen, len, &u);
	kcases++;
	if (k.err || u.err || k.retval != u.retval || k.meta_len != u.meta_len ||
	    k.len != u.len || memcmp(k.bytes, u.bytes, k.meta_len + k.len)) {
		kdiffs++;
		print_message("%s: kernel err %d ret %d meta %u len %u; "
			      "libuebpf err %d ret %d meta %u len %u%s\n",
			      what, k.err, (int)k.retval, k.meta_len, k.len,
			      u.err, (int)u.retval, u.meta_len, u.len,
			      k.meta_len == u.meta_len && k.len == u.len &&
					      memcmp(k.bytes, u.bytes,
						     k.meta_len + k.len) ?
				      " (bytes differ)" :
				      "");
	}
}

static void report(const char *what)
{
	print_message("%s: %u kernel-compared cases, %u differ\n", what,
		      kcases, kdiffs);
	assert_int_equal(kdiffs, 0);
}

/* A packet of len bytes after metalen of metadata: a pattern, with the
 * little-endian words w[0..2] at the packet's start. */
static uint8_t *mkpkt(uint32_t metalen, uint32_t len, const uint32_t *w,
		      unsigned int nw)
{
	static uint8_t in[PAGE];
	uint32_t i;

	for (i = 0; i < metalen + len; i++)
		in[i] = (uint8_t)(i * 7 + 3);
	memcpy(in + metalen, w, nw * 4);
	return in;
}

/* ---- programs --------------------------------------------------------------- */

/* r6 = ctx; packet words 0 and 1 in r7, r8 (at least 12 bytes); returns
 * 99 when the packet is shorter. */
static void prologue(struct pb *b, int need)
{
	emit(b, MOV64_REG(6, 1));
	emit(b, LDX_MEM(BPF_W, 2, 6, 0));
	emit(b, LDX_MEM(BPF_W, 3, 6, 4));
	emit(b, MOV64_REG(4, 2));
	emit(b, ALU64_IMM(BPF_ADD, 4, need));
	emit(b, JMP_REG(BPF_JLE, 4, 3, 2));
	emit(b, MOV64_IMM(0, 99));
	emit(b, EXIT());
	emit(b, LDX_MEM(BPF_W, 7, 2, 0));
	emit(b, LDX_MEM(BPF_W, 8, 2, 4));
	emit(b, LDX_MEM(BPF_W, 9, 2, 8));
}

/* r0 = h1(ctx, word 0), then, with h2, (r0 << 16) | (h2(ctx, word 1) &
 * 0xffff). */
static void ops_prog(struct pb *b, int h1, int h2)
{
	b->n = 0;
	prologue(b, 12);
	emit(b, MOV64_REG(1, 6));
	emit(b, MOV64_REG(2, 7));
	emit(b, CALL_HELPER(h1));
	if (h2) {
		emit(b, MOV64_REG(9, 0));
		emit(b, MOV64_REG(1, 6));
		emit(b, MOV64_REG(2, 8));
		emit(b, CALL_HELPER(h2));
		emit(b, ALU64_IMM(BPF_LSH, 9, 16));
		emit(b, ALU64_IMM(BPF_AND, 0, 0xffff));
		emit(b, ALU64_REG(BPF_OR, 0, 9));
	}
	emit(b, EXIT());
}

static const char *hname(int h)
{
	return h ? uebpf_helper_name(h) : "-";
}

/* Sweeps a two-op program over packet sizes, metadata lengths and the
 * operand pairs cands() gives for each. */
typedef unsigned int (*cands_fn)(uint32_t len, uint32_t meta, int32_t (*c)[2],
				 unsigned int max);

static void sweep(int h1, int h2, cands_fn cands)
{
	static const uint32_t lens[] = { 14, 15, 60, 512, 3000 };
	static const uint32_t metas[] = { 0, 4, 32, 216 };
	int32_t c[128][2];
	struct pair pr;
	struct pb b;
	char what[160];
	unsigned int li, mi, n, i;

	ops_prog(&b, h1, h2);
	pair_load(&pr, &b, NULL);
	for (li = 0; li < ARRAY_LEN(lens); li++)
		for (mi = 0; mi < ARRAY_LEN(metas); mi++) {
			n = cands(lens[li], metas[mi], c, ARRAY_LEN(c));
			for (i = 0; i < n; i++) {
				uint32_t w[2] = { (uint32_t)c[i][0],
						  (uint32_t)c[i][1] };

				snprintf(what, sizeof(what),
					 "%s(%d) %s(%d) len %u meta %u",
					 hname(h1), c[i][0], hname(h2), c[i][1],
					 lens[li], metas[mi]);
				both(&pr, mkpkt(metas[mi], lens[li], w, 2),
				     metas[mi], lens[li], what);
			}
		}
	pair_free(&pr);
}

/* Around each limit and a few far values. */
static unsigned int around(int64_t *lim, unsigned int nlim, int32_t (*c)[2],
			   unsigned int n, unsigned int max, int32_t other)
{
	static const int64_t far[] = { 0, 1, -1, 4, -4, INT32_MIN, INT32_MAX,
				       4096, -4096 };
	unsigned int i;
	int d;

	for (i = 0; i < nlim; i++)
		for (d = -4; d <= 4; d++)
			if (n < max && lim[i] + d >= INT32_MIN &&
			    lim[i] + d <= INT32_MAX) {
				c[n][0] = (int32_t)(lim[i] + d);
				c[n++][1] = other;
			}
	for (i = 0; i < ARRAY_LEN(far) && n < max; i++) {
		c[n][0] = (int32_t)far[i];
		c[n++][1] = other;
	}
	return n;
}

/* adjust_head: data down to 40 + metalen past the frame's start, up to 14
 * before data_end. */
static unsigned int head_cands(uint32_t len, uint32_t meta, int32_t (*c)[2],
			       unsigned int max)
{
	int64_t lim[] = { 40 + (int64_t)meta - HEADROOM, (int64_t)len - 14,
			  -HEADROOM };

	return around(lim, ARRAY_LEN(lim), c, 0, max, 0);
}

/* adjust_tail: data_end up to the frame's hard end, down to 14 past
 * data. */
static unsigned int tail_cands(uint32_t len, uint32_t meta, int32_t (*c)[2],
			       unsigned int max)
{
	int64_t lim[] = { FRAME_SZ - HEADROOM - (int64_t)len,
			  14 - (int64_t)len, PAGE - HEADROOM - (int64_t)len };

	(void)meta;
	return around(lim, ARRAY_LEN(lim), c, 0, max, 0);
}

/* adjust_meta: data_meta down to 40 past the frame's start, up to data,
 * the length a multiple of 4 up to 252. */
static unsigned int meta_cands(uint32_t len, uint32_t meta, int32_t (*c)[2],
			       unsigned int max)
{
	int64_t lim[] = { (int64_t)meta + 40 - HEADROOM, (int64_t)meta,
			  (int64_t)meta - 252, (int64_t)meta - 32 };

	(void)len;
	return around(lim, ARRAY_LEN(lim), c, 0, max, 0);
}

/* adjust_head(h) then adjust_meta(m): with data moved up by h, the
 * metadata can reach its 252-byte limit before the frame's start. */
static unsigned int head_meta_cands(uint32_t len, uint32_t meta,
				    int32_t (*c)[2], unsigned int max)
{
	static const int32_t heads[] = { 0, 32, 64, 100 };
	unsigned int n = 0, i;
	int32_t m;

	for (i = 0; i < ARRAY_LEN(heads); i++) {
		if ((uint32_t)heads[i] + 14 > len)
			continue;
		for (m = -264; m <= -240 && n < max; m += 1) {
			c[n][0] = heads[i];
			c[n++][1] = m + (int32_t)meta;
		}
		for (m = -220 + heads[i]; m <= -212 + heads[i] && n < max; m++) {
			c[n][0] = heads[i];
			c[n++][1] = m + (int32_t)meta;
		}
	}
	return n;
}

/* adjust_meta(m) then adjust_head(h) near its lower limit, which the
 * metadata moves (and which moves the metadata). */
static unsigned int meta_head_cands(uint32_t len, uint32_t meta,
				    int32_t (*c)[2], unsigned int max)
{
	static const int32_t metas[] = { 0, -4, -32, -36 };
	unsigned int n = 0, i;
	int32_t h;

	(void)len;
	for (i = 0; i < ARRAY_LEN(metas); i++)
		for (h = -3; h <= 3 && n < max; h++) {
			c[n][0] = metas[i];
			c[n++][1] = 40 + (int32_t)meta - metas[i] - HEADROOM + h;
		}
	return n;
}

/* adjust_tail(t) then get_buff_len, adjust_head(h) then adjust_tail(t). */
static unsigned int tail_len_cands(uint32_t len, uint32_t meta,
				   int32_t (*c)[2], unsigned int max)
{
	return tail_cands(len, meta, c, max);
}

static unsigned int head_tail_cands(uint32_t len, uint32_t meta,
				    int32_t (*c)[2], unsigned int max)
{
	static const int32_t heads[] = { -100, 0, 20 };
	unsigned int n = 0, i;
	int32_t t;

	for (i = 0; i < ARRAY_LEN(heads); i++)
		for (t = -3; t <= 3 && n + 2 < max; t++) {
			int32_t newlen = (int32_t)len - heads[i];

			c[n][0] = heads[i];
			c[n++][1] = 14 - newlen + t;
			c[n][0] = heads[i];
			c[n++][1] = FRAME_SZ - HEADROOM - heads[i] - newlen + t;
		}
	(void)meta;
	return n;
}

static void test_adjust_kernel(void **state)
{
	(void)state;
	need_kernel();
	kcases = kdiffs = 0;
	sweep(BPF_FUNC_xdp_adjust_head, 0, head_cands);
	sweep(BPF_FUNC_xdp_adjust_tail, 0, tail_cands);
	sweep(BPF_FUNC_xdp_adjust_meta, 0, meta_cands);
	sweep(BPF_FUNC_xdp_adjust_head, BPF_FUNC_xdp_adjust_meta,
	      head_meta_cands);
	sweep(BPF_FUNC_xdp_adjust_meta, BPF_FUNC_xdp_adjust_head,
	      meta_head_cands);
	sweep(BPF_FUNC_xdp_adjust_tail, BPF_FUNC_xdp_get_buff_len,
	      tail_len_cands);
	sweep(BPF_FUNC_xdp_adjust_head, BPF_FUNC_xdp_adjust_tail,
	      head_tail_cands);
	report("adjust_head/tail/meta, get_buff_len");
}

/* ---- load and store bytes ---------------------------------------------------- */

/* r0 = xdp_load_bytes(ctx, word 0, fp - 64, len): on success the first
 * loaded word xor the last byte << 24; xdp_store_bytes stores a pattern
 * and returns what the helper did. */
static void bytes_prog(struct pb *b, int h, int32_t len)
{
	int k;

	b->n = 0;
	prologue(b, 12);
	for (k = 1; k <= 8; k++)
		emit(b, ST_MEM(BPF_DW, 10, -8 * k,
			       h == BPF_FUNC_xdp_store_bytes ? 0x5a5b5c5d * k :
							       0));
	emit(b, MOV64_REG(1, 6));
	emit(b, MOV64_REG(2, 7));
	emit(b, MOV64_REG(3, 10));
	emit(b, ALU64_IMM(BPF_ADD, 3, -64));
	emit(b, MOV64_IMM(4, len));
	emit(b, CALL_HELPER(h));
	if (h == BPF_FUNC_xdp_load_bytes) {
		emit(b, JMP_IMM(BPF_JNE, 0, 0, 4));
		emit(b, LDX_MEM(BPF_W, 0, 10, -64));
		emit(b, LDX_MEM(BPF_B, 1, 10, -64 + len - 1));
		emit(b, ALU64_IMM(BPF_LSH, 1, 24));
		emit(b, ALU64_REG(BPF_XOR, 0, 1));
	}
	emit(b, EXIT());
}

static void test_bytes_kernel(void **state)
{
	static const int32_t lens[] = { 1, 4, 13, 64 };
	static const uint32_t pkts[] = { 14, 60, 200 };
	static const int hs[] = { BPF_FUNC_xdp_load_bytes,
				  BPF_FUNC_xdp_store_bytes };
	unsigned int hi, li, pi, oi;
	char what[128];
	struct pair pr;
	struct pb b;

	(void)state;
	need_kernel();
	kcases = kdiffs = 0;
	for (hi = 0; hi < ARRAY_LEN(hs); hi++)
		for (li = 0; li < ARRAY_LEN(lens); li++) {
			bytes_prog(&b, hs[hi], lens[li]);
			pair_load(&pr, &b, NULL);
			for (pi = 0; pi < ARRAY_LEN(pkts); pi++) {
				int64_t p = pkts[pi], l = lens[li];
				int64_t offs[] = { 0, 1, p - l - 1, p - l,
						   p - l + 1, p, 0xffff,
						   0x10000, 0xffffffff,
						   0x7fffffff, 0xfffffff0 };

				for (oi = 0; oi < ARRAY_LEN(offs); oi++) {
					uint32_t w = (uint32_t)offs[oi];

					snprintf(what, sizeof(what),
						 "%s off %u len %d pkt %u",
						 hname(hs[hi]), w, lens[li],
						 pkts[pi]);
					both(&pr, mkpkt(0, pkts[pi], &w, 1), 0,
					     pkts[pi], what);
					both(&pr, mkpkt(8, pkts[pi], &w, 1), 8,
					     pkts[pi], what);
				}
			}
			pair_free(&pr);
		}
	report("xdp_load_bytes/xdp_store_bytes");
}

/* ---- check_mtu ---------------------------------------------------------------- */

static int kernel_mtu(void *ctx, uint32_t ifindex)
{
	char name[IF_NAMESIZE];
	struct ifreq ifr;
	int s, ret;

	(void)ctx;
	if (!if_indextoname(ifindex, name))
		return -ENODEV;
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ret = ioctl(s, SIOCGIFMTU, &ifr) ? -ENODEV : ifr.ifr_mtu;
	close(s);
	return ret;
}

/* check_mtu(ctx, word 2 (ifindex), &(word 1), word 0 (len_diff), flags);
 * the mtu_len it leaves goes back to word 2 of the packet. */
static void mtu_prog(struct pb *b, int32_t flags)
{
	b->n = 0;
	prologue(b, 12);
	emit(b, STX_MEM(BPF_W, 10, 8, -4));
	emit(b, MOV64_REG(1, 6));
	emit(b, MOV64_REG(2, 9));
	emit(b, MOV64_REG(3, 10));
	emit(b, ALU64_IMM(BPF_ADD, 3, -4));
	emit(b, MOV64_REG(4, 7));
	emit(b, MOV64_IMM(5, flags));
	emit(b, CALL_HELPER(BPF_FUNC_check_mtu));
	emit(b, LDX_MEM(BPF_W, 1, 10, -4));
	emit(b, LDX_MEM(BPF_W, 2, 6, 0));
	emit(b, LDX_MEM(BPF_W, 3, 6, 4));
	emit(b, MOV64_REG(4, 2));
	emit(b, ALU64_IMM(BPF_ADD, 4, 12));
	emit(b, JMP_REG(BPF_JGT, 4, 3, 1));
	emit(b, STX_MEM(BPF_W, 2, 1, 8));
	emit(b, EXIT());
}

static void test_check_mtu_kernel(void **state)
{
	static const int32_t flags[] = { 0, BPF_MTU_CHK_SEGS, 2 };
	static const uint32_t ifs[] = { 0, 1, 424242 };
	static const uint32_t mtus[] = { 0, 1, 1500, 65536, 65537,
					 0xffffffff, 0x7ffffff0 };
	static const int32_t diffs[] = { 0, 1, -1, 65536 - 60 + 14,
					 65536 - 60 + 15, INT32_MAX,
					 INT32_MIN, -100000 };
	unsigned int fi, ii, mi, di;
	char what[128];
	struct pair pr;
	struct pb b;

	(void)state;
	need_kernel();
	kcases = kdiffs = 0;
	uebpf_runtime_set_mtu(rt, kernel_mtu, NULL);
	for (fi = 0; fi < ARRAY_LEN(flags); fi++) {
		mtu_prog(&b, flags[fi]);
		pair_load(&pr, &b, NULL);
		for (ii = 0; ii < ARRAY_LEN(ifs); ii++)
			for (mi = 0; mi < ARRAY_LEN(mtus); mi++)
				for (di = 0; di < ARRAY_LEN(diffs); di++) {
					uint32_t w[3] = { (uint32_t)diffs[di],
							  mtus[mi], ifs[ii] };

					snprintf(what, sizeof(what),
						 "check_mtu if %u mtu_len %u diff %d flags %d",
						 ifs[ii], mtus[mi], diffs[di],
						 flags[fi]);
					both(&pr, mkpkt(0, 60, w, 3), 0, 60,
					     what);
				}
		pair_free(&pr);
	}
	uebpf_runtime_set_mtu(rt, NULL, NULL);
	report("check_mtu");
}

/* Without a callback every device has MTU 1500 (+ 14 of L2 header). */
static void test_check_mtu_default(void **state)
{
	static uint8_t frame[PAGE];
	struct uebpf_prog *p;
	struct pb b;
	uint32_t w[3];
	struct {
		uint32_t len, mtu_in;
		int32_t diff;
		uint32_t ret, mtu_out;
	} cases[] = {
		{ 1514, 0, 0, BPF_MTU_CHK_RET_SUCCESS, 1500 },
		{ 1514, 0, 1, BPF_MTU_CHK_RET_FRAG_NEEDED, 1500 },
		{ 1515, 0, 0, BPF_MTU_CHK_RET_FRAG_NEEDED, 1500 },
		{ 1515, 0, -1, BPF_MTU_CHK_RET_SUCCESS, 1500 },
		{ 60, 1500, 0, BPF_MTU_CHK_RET_SUCCESS, 1500 },
		{ 60, 1501, 0, BPF_MTU_CHK_RET_FRAG_NEEDED, 1500 },
		{ 60, 1501, -1, BPF_MTU_CHK_RET_SUCCESS, 1500 },
	};
	unsigned int i;

	(void)state;
	mtu_prog(&b, 0);
	p = our_load(&b);
	assert_non_null(p);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		uint8_t *data = frame + HEADROOM;
		UEBPF_OPTS(uebpf_xdp_buff, xb, .data_hard_start = frame,
			   .data = data, .data_end = data + cases[i].len,
			   .frame_sz = FRAME_SZ);
		UEBPF_OPTS(uebpf_xdp_result, r);

		w[0] = (uint32_t)cases[i].diff;
		w[1] = cases[i].mtu_in;
		w[2] = 7; /* any device */
		memcpy(data, w, sizeof(w));
		assert_true(uebpf_xdp_run(p, &xb, &r) >= 0);
		assert_int_equal(r.retval, cases[i].ret);
		memcpy(w, data, sizeof(w));
		assert_int_equal(w[2], cases[i].mtu_out);
	}
	uebpf_prog_free(p);
}

static int no_device(void *ctx, uint32_t ifindex)
{
	*(uint32_t *)ctx = ifindex;
	return -ENODEV;
}

/* The callback's device: 0 is the ingress device; a negative answer is
 * -ENODEV, mtu_len left as it was. */
static void test_check_mtu_callback(void **state)
{
	static uint8_t frame[PAGE];
	uint8_t *data = frame + HEADROOM;
	uint32_t asked = 0, w[3] = { 0, 1500, 0 };
	struct uebpf_prog *p;
	struct pb b;
	UEBPF_OPTS(uebpf_xdp_buff, xb, .data_hard_start = frame, .data = data,
		   .data_end = data + 60, .frame_sz = FRAME_SZ,
		   .ingress_ifindex = 42);
	UEBPF_OPTS(uebpf_xdp_result, r);

	(void)state;
	mtu_prog(&b, 0);
	p = our_load(&b);
	assert_non_null(p);
	uebpf_runtime_set_mtu(rt, no_device, &asked);
	memcpy(data, w, sizeof(w));
	uebpf_xdp_run(p, &xb, &r);
	assert_int_equal((int)r.retval, -ENODEV);
	assert_int_equal(asked, 42);
	memcpy(w, data, sizeof(w));
	assert_int_equal(w[2], 1500);
	w[2] = 9;
	memcpy(data, w, sizeof(w));
	uebpf_xdp_run(p, &xb, &r);
	assert_int_equal(asked, 9);
	uebpf_runtime_set_mtu(rt, NULL, NULL);
	uebpf_prog_free(p);
}

/* ---- redirects ---------------------------------------------------------------- */

/* r0 = bpf_redirect(word 0, flags) or bpf_redirect_map(map, word 0,
 * flags). */
static void redirect_prog(struct pb *b, uint32_t map, int64_t flags)
{
	b->n = 0;
	prologue(b, 12);
	if (map) {
		emit_map(b, 1, map);
		emit(b, MOV64_REG(2, 7));
		emit(b, INSN(BPF_LD | BPF_DW | BPF_IMM, 3, 0, 0,
			     (uint32_t)flags));
		emit(b, INSN(0, 0, 0, 0, (uint32_t)((uint64_t)flags >> 32)));
		emit(b, CALL_HELPER(BPF_FUNC_redirect_map));
	} else {
		emit(b, MOV64_REG(1, 7));
		emit(b, INSN(BPF_LD | BPF_DW | BPF_IMM, 2, 0, 0,
			     (uint32_t)flags));
		emit(b, INSN(0, 0, 0, 0, (uint32_t)((uint64_t)flags >> 32)));
		emit(b, CALL_HELPER(BPF_FUNC_redirect));
	}
	emit(b, EXIT());
}

static const int64_t redirect_flags[] = {
	0, XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, 4, 7,
	BPF_F_BROADCAST, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS,
	BPF_F_BROADCAST | XDP_PASS, BPF_F_EXCLUDE_INGRESS,
	BPF_F_EXCLUDE_INGRESS | XDP_DROP, 1 << 5, 1ll << 32, -1,
};

struct rmap {
	enum bpf_map_type type;
	uint32_t key; /* present (DEVMAP, DEVMAP_HASH), else 0 */
	int fd;
	struct uebpf_map *m;
};

static void rmap_new(struct rmap *r, enum bpf_map_type type)
{
	uint32_t ifindex = 1;
	UEBPF_OPTS(uebpf_map_create_opts, o);

	r->type = type;
	r->key = type == BPF_MAP_TYPE_DEVMAP_HASH ? 7 : 0;
	r->fd = bpf_map_create(type, "r", 4, 4, 4, NULL);
	assert_true(r->fd >= 0);
	r->m = uebpf_map_create(rt, type, "r", 4, 4, 4, &o);
	assert_non_null(r->m);
	if (type == BPF_MAP_TYPE_DEVMAP || type == BPF_MAP_TYPE_DEVMAP_HASH) {
		/* ifindex 1: lo, which exists wherever the test runs. */
		assert_int_equal(bpf_map_update_elem(r->fd, &r->key, &ifindex, 0), 0);
		assert_int_equal(uebpf_map_update_elem(r->m, &r->key, &ifindex, 0), 0);
	}
}

static void rmap_free(struct rmap *r)
{
	close(r->fd);
	uebpf_map_put(r->m);
}

static void test_redirect_kernel(void **state)
{
	static const enum bpf_map_type types[] = {
		BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH,
		BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_XSKMAP,
	};
	static const uint32_t keys[] = { 0, 3, 7, 0xffffffff };
	unsigned int ti, fi, ki;
	struct pb kb, ob;
	struct pair pr;
	char what[128];

	(void)state;
	need_kernel();
	kcases = kdiffs = 0;
	for (fi = 0; fi < ARRAY_LEN(redirect_flags); fi++) {
		redirect_prog(&kb, 0, redirect_flags[fi]);
		pair_load(&pr, &kb, NULL);
		for (ki = 0; ki < ARRAY_LEN(keys); ki++) {
			snprintf(what, sizeof(what), "redirect(%u, 0x%llx)",
				 keys[ki],
				 (unsigned long long)redirect_flags[fi]);
			both(&pr, mkpkt(0, 60, &keys[ki], 1), 0, 60, what);
		}
		pair_free(&pr);
	}
	for (ti = 0; ti < ARRAY_LEN(types); ti++) {
		struct rmap r;

		rmap_new(&r, types[ti]);
		for (fi = 0; fi < ARRAY_LEN(redirect_flags); fi++) {
			redirect_prog(&kb, (uint32_t)r.fd, redirect_flags[fi]);
			redirect_prog(&ob, uebpf_map_id(r.m),
				      redirect_flags[fi]);
			pair_load(&pr, &kb, &ob);
			for (ki = 0; ki < ARRAY_LEN(keys); ki++) {
				snprintf(what, sizeof(what),
					 "redirect_map(%s, %u, 0x%llx)",
					 uebpf_map_type_name(types[ti]),
					 keys[ki],
					 (unsigned long long)redirect_flags[fi]);
				both(&pr, mkpkt(0, 60, &keys[ki], 1), 0, 60,
				     what);
			}
			pair_free(&pr);
		}
		rmap_free(&r);
	}
	report("redirect/redirect_map");
}

/* What XDP_REDIRECT results carry. */
static void test_redirect_result(void **state)
{
	static uint8_t frame[PAGE];
	uint8_t *data = frame + HEADROOM;
	struct uebpf_map *dm, *cm;
	struct uebpf_prog *p;
	uint32_t k = 2, v = 17, key;
	struct pb b;
	UEBPF_OPTS(uebpf_xdp_buff, xb, .data_hard_start = frame, .data = data,
		   .data_end = data + 60, .frame_sz = FRAME_SZ);
	UEBPF_OPTS(uebpf_xdp_result, r);

	(void)state;
	dm = uebpf_map_create(rt, BPF_MAP_TYPE_DEVMAP, "d", 4, 4, 4, NULL);
	cm = uebpf_map_create(rt, BPF_MAP_TYPE_CPUMAP, "c", 4, 4, 1, NULL);
	assert_non_null(dm);
	assert_non_null(cm);
	assert_int_equal(uebpf_map_update_elem(dm, &k, &v, 0), 0);

	/* A DEVMAP entry: its device. */
	redirect_prog(&b, uebpf_map_id(dm), 0);
	p = our_load(&b);
	assert_non_null(p);
	key = 2;
	memcpy(data, &key, 4);
	assert_int_equal(uebpf_xdp_run(p, &xb, &r), XDP_REDIRECT);
	assert_int_equal(r.redirect.kind, UEBPF_XDP_REDIRECT_MAP);
	assert_ptr_equal(r.redirect.map, dm);
	assert_int_equal(r.redirect.key, 2);
	assert_int_equal(r.redirect.ifindex, 17);
	assert_int_equal(r.redirect.flags, 0);
	/* No entry: no target, the verdict from the flags. */
	key = 1;
	memcpy(data, &key, 4);
	assert_int_equal(uebpf_xdp_run(p, &xb, &r), XDP_ABORTED);
	assert_int_equal(r.redirect.kind, UEBPF_XDP_REDIRECT_NONE);
	uebpf_prog_free(p);

	redirect_prog(&b, uebpf_map_id(dm),
		      BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS | XDP_PASS);
	p = our_load(&b);
	assert_non_null(p);
	assert_int_equal(uebpf_xdp_run(p, &xb, &r), XDP_REDIRECT);
	assert_int_equal(r.redirect.kind, UEBPF_XDP_REDIRECT_MAP);
	assert_int_equal(r.redirect.flags,
			 BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS | XDP_PASS);
	uebpf_prog_free(p);

	redirect_prog(&b, uebpf_map_id(cm), XDP_PASS);
	p = our_load(&b);
	assert_non_null(p);
	assert_int_equal(uebpf_xdp_run(p, &xb, &r), XDP_PASS);
	assert_int_equal(r.redirect.kind, UEBPF_XDP_REDIRECT_NONE);
	uebpf_prog_free(p);

	redirect_prog(&b, 0, 0);
	p = our_load(&b);
	assert_non_null(p);
	key = 5;
	memcpy(data, &key, 4);
	assert_int_equal(uebpf_xdp_run(p, &xb, &r), XDP_REDIRECT);
	assert_int_equal(r.redirect.kind, UEBPF_XDP_REDIRECT_IFINDEX);
	assert_int_equal(r.redirect.ifindex, 5);
	uebpf_prog_free(p);
	uebpf_map_put(dm);
	uebpf_map_put(cm);
}

/* bpf_redirect(4) then a redirect_map() miss: the kernel's redirect_info
 * still names ifindex 4 (map_id INT_MAX, tgt_index untouched). */
static void test_redirect_miss_keeps_ifindex(void **state)
{
	static uint8_t frame[PAGE];
	uint8_t *data = frame + HEADROOM;
	struct uebpf_map *dm;
	struct uebpf_prog *p;
	struct pb b = { .n = 0 };
	UEBPF_OPTS(uebpf_xdp_buff, xb, .data_hard_start = frame, .data = data,
		   .data_end = data + 60, .frame_sz = FRAME_SZ);
	UEBPF_OPTS(uebpf_xdp_result, r);

	(void)state;
	dm = uebpf_map_create(rt, BPF_MAP_TYPE_DEVMAP, "d", 4, 4, 4, NULL);
	assert_non_null(dm);
	emit(&b, MOV64_IMM(1, 4));
	emit(&b, MOV64_IMM(2, 0));
	emit(&b, CALL_HELPER(BPF_FUNC_redirect));
	emit_map(&b, 1, uebpf_map_id(dm));
	emit(&b, MOV64_IMM(2, 1));
	emit(&b, MOV64_IMM(3, XDP_REDIRECT & 3));
	emit(&b, CALL_HELPER(BPF_FUNC_redirect_map));
	emit(&b, MOV64_IMM(0, XDP_REDIRECT));
	emit(&b, EXIT());
	p = our_load(&b);
	assert_non_null(p);
	assert_int_equal(uebpf_xdp_run(p, &xb, &r), XDP_REDIRECT);
	assert_int_equal(r.redirect.kind, UEBPF_XDP_REDIRECT_IFINDEX);
	assert_int_equal(r.redirect.ifindex, 4);
	uebpf_prog_free(p);
	uebpf_map_put(dm);
}

/* redirect_map takes the four redirect map types only: the verifier
 * refuses an ARRAY, as the kernel's does. */
static void test_redirect_map_wrong_map(void **state)
{
	struct uebpf_map *m;
	struct pb b;
	int fd, kfd;

	(void)state;
	m = uebpf_map_create(rt, BPF_MAP_TYPE_ARRAY, "a", 4, 4, 4, NULL);
	assert_non_null(m);
	redirect_prog(&b, uebpf_map_id(m), 0);
	assert_null(our_load(&b));
	assert_int_equal(errno, EINVAL);
	if (!strstr(vlog, "cannot pass map_type 2 into func bpf_redirect_map#51"))
		fail_msg("log: %s", vlog);
	uebpf_map_put(m);
	if (no_kernel[0])
		return;
	kfd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "a", 4, 4, 4, NULL);
	assert_true(kfd >= 0);
	redirect_prog(&b, (uint32_t)kfd, 0);
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xh", "GPL", b.i, b.n, NULL);
	assert_int_equal(fd, -EINVAL);
	close(kfd);
}

/* ---- fib_lookup ------------------------------------------------------------------ */

/* fib_lookup(ctx, fp - 96 (family word 0, ifindex 1), plen, flags). */
static void fib_prog(struct pb *b, int32_t plen, int32_t flags)
{
	int k;

	b->n = 0;
	prologue(b, 12);
	for (k = 1; k <= 12; k++)
		emit(b, ST_MEM(BPF_DW, 10, -8 * k, 0));
	emit(b, STX_MEM(BPF_B, 10, 7, -96));
	emit(b, ST_MEM(BPF_W, 10, -96 + 8, 1));
	emit(b, MOV64_REG(1, 6));
	emit(b, MOV64_REG(2, 10));
	emit(b, ALU64_IMM(BPF_ADD, 2, -96));
	emit(b, MOV64_IMM(3, plen));
	emit(b, MOV64_IMM(4, flags));
	emit(b, CALL_HELPER(BPF_FUNC_fib_lookup));
	emit(b, EXIT());
}

/* The argument checks the kernel makes before it looks at a route. */
static void test_fib_lookup_kernel(void **state)
{
	static const struct {
		int32_t plen, flags;
		uint32_t family;
	} cases[] = {
		{ 63, 0, AF_INET },   { 1, 0, AF_INET6 },
		{ 63, 1 << 6, 0 },    { 64, 1 << 6, AF_INET },
		{ 96, 1 << 6, AF_INET }, { 64, -1, AF_INET },
		{ 64, BPF_FIB_LOOKUP_DIRECT | (1 << 7), AF_INET6 },
		{ 64, 0, 0 },	      { 64, 0, 1 },
		{ 96, BPF_FIB_LOOKUP_OUTPUT, 3 },
		{ 64, 0x3f, 255 },
	};
	unsigned int i;
	char what[128];
	struct pair pr;
	struct pb b;

	(void)state;
	need_kernel();
	kcases = kdiffs = 0;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		fib_prog(&b, cases[i].plen, cases[i].flags);
		pair_load(&pr, &b, NULL);
		snprintf(what, sizeof(what), "fib_lookup plen %d flags 0x%x family %u",
			 cases[i].plen, cases[i].flags, cases[i].family);
		both(&pr, mkpkt(0, 60, &cases[i].family, 1), 0, 60, what);
		pair_free(&pr);
	}
	report("fib_lookup argument checks");
}

struct fib_seen {
	uint32_t flags, ifindex;
	uint8_t family;
	int calls;
};

static int fib_cb(void *ctx, struct bpf_fib_lookup *params, uint32_t flags)
{
	struct fib_seen *s = ctx;

	s->calls++;
	s->flags = flags;
	s->family = params->family;
	s->ifindex = params->ifindex;
	params->ifindex = 77;
	return BPF_FIB_LKUP_RET_NO_NEIGH;
}

/* Without a callback a lookup is not forwarded; with one, the host's
 * answer and its changes to params reach the program. */
static void test_fib_lookup_host(void **state)
{
	static uint8_t frame[PAGE];
	uint8_t *data = frame + HEADROOM;
	struct fib_seen seen = { 0 };
	uint32_t fam = AF_INET;
	struct uebpf_prog *p, *p2;
	struct pb b;
	UEBPF_OPTS(uebpf_xdp_buff, xb, .data_hard_start = frame, .data = data,
		   .data_end = data + 60, .frame_sz = FRAME_SZ);
	UEBPF_OPTS(uebpf_xdp_result, r);

	(void)state;
	memcpy(data, &fam, 4);
	fib_prog(&b, 64, BPF_FIB_LOOKUP_OUTPUT);
	p = our_load(&b);
	assert_non_null(p);
	uebpf_xdp_run(p, &xb, &r);
	assert_int_equal(r.retval, BPF_FIB_LKUP_RET_NOT_FWDED);

	uebpf_runtime_set_fib_lookup(rt, fib_cb, &seen);
	uebpf_xdp_run(p, &xb, &r);
	assert_int_equal(r.retval, BPF_FIB_LKUP_RET_NO_NEIGH);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.flags, BPF_FIB_LOOKUP_OUTPUT);
	assert_int_equal(seen.family, AF_INET);
	assert_int_equal(seen.ifindex, 1);

	/* The program sees the host's changes: return params.ifindex. */
	b.n--; /* drop the exit */
	emit(&b, LDX_MEM(BPF_W, 0, 10, -96 + 8));
	emit(&b, EXIT());
	p2 = our_load(&b);
	assert_non_null(p2);
	uebpf_xdp_run(p2, &xb, &r);
	assert_int_equal(r.retval, 77);

	/* Argument errors never reach the host. */
	fam = 0;
	memcpy(data, &fam, 4);
	uebpf_xdp_run(p, &xb, &r);
	assert_int_equal((int)r.retval, -EAFNOSUPPORT);
	assert_int_equal(seen.calls, 2);
	uebpf_runtime_set_fib_lookup(rt, NULL, NULL);
	uebpf_prog_free(p);
	uebpf_prog_free(p2);
}

/* ---- debug mode ------------------------------------------------------------------- */

/* A checked run follows the packet the helpers move: after
 * adjust_head(-14) the 14 new bytes are the program's to write. */
static void test_checked_run_follows_packet(void **state)
{
	static uint8_t frame[PAGE];
	uint8_t *data = frame + HEADROOM;
	struct uebpf_prog *p;
	struct pb b = { .n = 0 };
	UEBPF_OPTS(uebpf_xdp_buff, xb, .data_hard_start = frame, .data = data,
		   .data_end = data + 60, .frame_sz = FRAME_SZ);
	UEBPF_OPTS(uebpf_xdp_result, r);

	(void)state;
	emit(&b, MOV64_REG(6, 1));
	emit(&b, MOV64_IMM(2, -14));
	emit(&b, CALL_HELPER(BPF_FUNC_xdp_adjust_head));
	emit(&b, JMP_IMM(BPF_JNE, 0, 0, 6));
	emit(&b, LDX_MEM(BPF_W, 2, 6, 0));
	emit(&b, LDX_MEM(BPF_W, 3, 6, 4));
	emit(&b, MOV64_REG(4, 2));
	emit(&b, ALU64_IMM(BPF_ADD, 4, 14));
	emit(&b, JMP_REG(BPF_JGT, 4, 3, 1));
	emit(&b, ST_MEM(BPF_B, 2, 0, 0xee));
	emit(&b, MOV64_IMM(0, XDP_PASS));
	emit(&b, EXIT());
	p = our_load(&b);
	assert_non_null(p);
	uebpf_prog_set_debug_checks(p, true);
	assert_int_equal(uebpf_xdp_run(p, &xb, &r), XDP_PASS);
	assert_int_equal(r.err, 0);
	assert_ptr_equal(r.data, data - 14);
	assert_int_equal(frame[HEADROOM - 14], 0xee);
	uebpf_prog_free(p);
}

static int setup(void **state)
{
	UEBPF_OPTS(uebpf_runtime_opts, o, .log_quiet = true);

	(void)state;
	rt = uebpf_runtime_new(&o);
	return rt ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	uebpf_runtime_free(rt);
	return 0;
}

static int group_setup(void **state)
{
	int fd;

	(void)state;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "probe", 4, 4, 1, NULL);
	if (fd < 0)
		snprintf(no_kernel, sizeof(no_kernel),
			 "kernel BPF unavailable: bpf(BPF_MAP_CREATE) gives %s%s",
			 strerror(-fd), fd == -EPERM ? "; needs CAP_BPF" : "");
	else
		close(fd);
	if (no_kernel[0])
		fprintf(stderr, "test_xdp_helpers: kernel comparisons skip: %s\n",
			no_kernel);
	return 0;
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_adjust_kernel),
		T(test_bytes_kernel),
		T(test_check_mtu_kernel),
		T(test_check_mtu_default),
		T(test_check_mtu_callback),
		T(test_redirect_kernel),
		T(test_redirect_result),
		T(test_redirect_miss_keeps_ifindex),
		T(test_redirect_map_wrong_map),
		T(test_fib_lookup_kernel),
		T(test_fib_lookup_host),
		T(test_checked_run_follows_packet),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
