/* SPDX-License-Identifier: MIT */
/*
 * What the XDP run and hook tests share: small XDP programs written as
 * instructions (loaded into libuebpf by map id, into the kernel by map
 * fd) and packet buffers with the kernel's headroom.
 */
#ifndef UEBPF_TESTS_XDP_TEST_H
#define UEBPF_TESTS_XDP_TEST_H

#include "map_test.h"

/* A program under construction. */
struct xprog {
	struct bpf_insn i[64];
	int n;
};

static inline void xemit(struct xprog *p, struct bpf_insn in)
{
	assert_true(p->n < (int)ARRAY_LEN(p->i));
	p->i[p->n++] = in;
}

/* dst = the map: its id for libuebpf, its fd for the kernel. */
static inline void xemit_map(struct xprog *p, int dst, uint32_t id_or_fd)
{
	xemit(p, INSN(BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0,
		      id_or_fd));
	xemit(p, INSN(0, 0, 0, 0, 0));
}

/* return r0 */
static inline void xprog_ret(struct xprog *p, int32_t r0)
{
	p->n = 0;
	xemit(p, MOV64_IMM(0, r0));
	xemit(p, EXIT());
}

/* (*(u64 *)lookup(map, &zero))++ when found; map is a (PERCPU_)ARRAY of
 * u64 with u32 keys.  Leaves r0..r5 clobbered. */
static inline void xemit_bump(struct xprog *p, uint32_t map)
{
	xemit(p, ST_MEM(BPF_W, 10, -4, 0));
	xemit_map(p, 1, map);
	xemit(p, MOV64_REG(2, 10));
	xemit(p, ALU64_IMM(BPF_ADD, 2, -4));
	xemit(p, CALL_HELPER(BPF_FUNC_map_lookup_elem));
	xemit(p, JMP_IMM(BPF_JEQ, 0, 0, 3));
	xemit(p, LDX_MEM(BPF_DW, 1, 0, 0));
	xemit(p, ALU64_IMM(BPF_ADD, 1, 1));
	xemit(p, STX_MEM(BPF_DW, 0, 1, 0));
}

/* Bumps element 0 of map, returns verdict. */
static inline void xprog_bump(struct xprog *p, uint32_t map, int32_t verdict)
{
	p->n = 0;
	xemit_bump(p, map);
	xemit(p, MOV64_IMM(0, verdict));
	xemit(p, EXIT());
}

/* Bumps element 0 of pcpu (a PERCPU_ARRAY) and stores
 * bpf_get_smp_processor_id() + 1 in seen[cpu] (an ARRAY of u64); XDP_PASS. */
static inline void xprog_cpu(struct xprog *p, uint32_t pcpu, uint32_t seen)
{
	p->n = 0;
	xemit_bump(p, pcpu);
	xemit(p, CALL_HELPER(BPF_FUNC_get_smp_processor_id));
	xemit(p, STX_MEM(BPF_W, 10, 0, -8));
	xemit(p, ALU64_IMM(BPF_ADD, 0, 1));
	xemit(p, STX_MEM(BPF_DW, 10, 0, -16));
	xemit_map(p, 1, seen);
	xemit(p, MOV64_REG(2, 10));
	xemit(p, ALU64_IMM(BPF_ADD, 2, -8));
	xemit(p, MOV64_REG(3, 10));
	xemit(p, ALU64_IMM(BPF_ADD, 3, -16));
	xemit(p, MOV64_IMM(4, 0));
	xemit(p, CALL_HELPER(BPF_FUNC_map_update_elem));
	xemit(p, MOV64_IMM(0, XDP_PASS));
	xemit(p, EXIT());
}

/* Rewrites the Ethernet header as a reflector would (swaps the first
 * bytes of the two addresses, stores 0xab at byte 13, inverts the
 * EtherType) and returns XDP_TX; XDP_DROP for a packet shorter than 14. */
static inline void xprog_rewrite(struct xprog *p)
{
	p->n = 0;
	xemit(p, LDX_MEM(BPF_W, 2, 1, 0)); /* data */
	xemit(p, LDX_MEM(BPF_W, 3, 1, 4)); /* data_end */
	xemit(p, MOV64_REG(4, 2));
	xemit(p, ALU64_IMM(BPF_ADD, 4, 14));
	xemit(p, JMP_REG(BPF_JGT, 4, 3, 10));
	xemit(p, LDX_MEM(BPF_B, 5, 2, 0));
	xemit(p, LDX_MEM(BPF_B, 6, 2, 6));
	xemit(p, STX_MEM(BPF_B, 2, 6, 0));
	xemit(p, STX_MEM(BPF_B, 2, 5, 6));
	xemit(p, LDX_MEM(BPF_H, 5, 2, 12));
	xemit(p, ALU64_IMM(BPF_XOR, 5, 0xffff));
	xemit(p, STX_MEM(BPF_H, 2, 5, 12));
	xemit(p, ST_MEM(BPF_B, 2, 13, 0xab));
	xemit(p, MOV64_IMM(0, XDP_TX));
	xemit(p, EXIT());
	xemit(p, MOV64_IMM(0, XDP_DROP));
	xemit(p, EXIT());
}

/* r0 = bpf_get_prandom_u32(): the verdict is usually out of range, and
 * the result's retval carries the number. */
static inline void xprog_prandom(struct xprog *p)
{
	p->n = 0;
	xemit(p, CALL_HELPER(BPF_FUNC_get_prandom_u32));
	xemit(p, EXIT());
}

static inline struct uebpf_prog *xload_as(struct uebpf_runtime *rt,
					  const struct xprog *p,
					  const char *name,
					  enum bpf_attach_type attach)
{
	static char vlog[4096];
	UEBPF_OPTS(uebpf_prog_load_opts, o, .name = name, .log_buf = vlog,
		   .log_size = sizeof(vlog), .log_level = 1,
		   .expected_attach_type = attach);
	struct uebpf_prog *prog;

	vlog[0] = '\0';
	prog = uebpf_prog_load(rt, BPF_PROG_TYPE_XDP, p->i, p->n, &o);
	if (!prog)
		fail_msg("loading %s: %s; verifier log: %s", name,
			 strerror(errno), vlog);
	return prog;
}

static inline struct uebpf_prog *xload(struct uebpf_runtime *rt,
				       const struct xprog *p, const char *name)
{
	return xload_as(rt, p, name, 0);
}

static inline struct uebpf_prog *xload_ret(struct uebpf_runtime *rt, int32_t r0,
					   const char *name)
{
	struct xprog p;

	xprog_ret(&p, r0);
	return xload(rt, &p, name);
}

/* A frame as a driver gives it: UEBPF_XDP_HEADROOM bytes of headroom,
 * then len bytes of packet, then the rest of a 2 KiB frame. */
struct frame {
	unsigned char mem[2048];
};

static inline void frame_buff(struct frame *f, uint32_t len,
			      struct uebpf_xdp_buff *b)
{
	memset(b, 0, sizeof(*b));
	b->sz = sizeof(*b);
	b->data_hard_start = f->mem;
	b->data = f->mem + UEBPF_XDP_HEADROOM;
	b->data_end = f->mem + UEBPF_XDP_HEADROOM + len;
	b->frame_sz = sizeof(f->mem);
}

/* Packet bytes i * 7 + seed. */
static inline void frame_fill(struct frame *f, uint32_t len, unsigned seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		f->mem[UEBPF_XDP_HEADROOM + i] = (unsigned char)(i * 7 + seed);
}

#endif /* UEBPF_TESTS_XDP_TEST_H */
