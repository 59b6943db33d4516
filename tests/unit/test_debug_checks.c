/* SPDX-License-Identifier: MIT */
/*
 * The interpreter's debug mode, which the verifier's soundness tests rely
 * on: in a checked run every access outside what the program may touch
 * faults.  Tested below the verifier, with raw programs and hand-made
 * regions: read-only regions refuse stores and atomics, the stack is the
 * frames in use (not the unused deeper ones, not a returned callee's), an
 * XDP run allows the packet with its metadata and the context's fields
 * (read only), map values are found through the program's maps; and each
 * map type's value_contains on its own.
 */
#include "map_test.h"
#include "../../maps/array.h"
#include "../../xdp/xdp.h"

#define TEST(name) static void name(void **state)
#define UNUSED	   (void)state

static struct uebpf_runtime *rt;

/* TEST-ONLY stand-in for bpf_map_lookup_elem, for when the library has
 * none yet: the program side of the map, as the real helper does. */
static uint64_t t_lookup(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			 uint64_t r5, struct uebpf_run_ctx *ctx)
{
	struct uebpf_map *m = (struct uebpf_map *)(uintptr_t)r1;

	(void)r3, (void)r4, (void)r5, (void)ctx;
	return (uintptr_t)m->ops->lookup(m, (const void *)(uintptr_t)r2);
}

static int setup(void **state)
{
	(void)state;
	rt = rt_new(4, 0);
	if (!rt->helpers[BPF_FUNC_map_lookup_elem].fn) {
		rt->helpers[BPF_FUNC_map_lookup_elem].fn = t_lookup;
		rt->helpers[BPF_FUNC_map_lookup_elem].name =
			"bpf_map_lookup_elem";
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	uebpf_worker_bind(rt, 0);
	rt_sync_free(rt);
	return 0;
}

static int reset_log(void **state)
{
	(void)state;
	cap.text[0] = '\0';
	return 0;
}

static struct uebpf_prog *load_raw(const struct bpf_insn *insns, size_t cnt)
{
	char log[1024];
	UEBPF_OPTS(uebpf_prog_load_opts, o, .name = "t", .log_buf = log,
		   .log_size = sizeof(log), .log_level = 1,
		   .insn_budget = 100000);
	struct uebpf_prog *p =
		uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, insns, cnt, &o);

	if (!p)
		fail_msg("load failed: %s", log);
	assert_true(p->checked);
	return p;
}

/* Runs insns checked with r1 and the regions given after the stack. */
static int run_regions(const struct bpf_insn *insns, size_t cnt, uint64_t r1,
		       const struct uebpf_region *extra, unsigned int nr,
		       uint64_t *r0)
{
	struct uebpf_prog *p = load_raw(insns, cnt);
	struct uebpf_region regions[8];
	struct uebpf_run_ctx ctx = {.prog = p,
				    .budget = 100000,
				    .regions = regions,
				    .nr_regions = 1 + nr};
	struct uebpf_epoch_rec *rec;
	int err;

	memcpy(&regions[1], extra, nr * sizeof(*extra));
	rec = uebpf_epoch_enter(&rt->epoch);
	err = uebpf_interp_run(p, &ctx, r1, 0, r0);
	uebpf_epoch_exit(rec);
	uebpf_prog_free(p);
	return err;
}

#define PROG(...) const struct bpf_insn prog_[] = {__VA_ARGS__}
#define RUN_R(r1, regs, nr, r0) \
	run_regions(prog_, ARRAY_LEN(prog_), (uintptr_t)(r1), regs, nr, r0)
#define RUN(r0) RUN_R(0, NULL, 0, r0)

/* ---- read-only regions ------------------------------------------------------
 */

TEST(test_rdonly_region_allows_loads)
{
	uint64_t buf[2] = {0x1122334455667788ull, 7}, r0 = 0;
	struct uebpf_region reg = {(uintptr_t)buf, (uintptr_t)(buf + 2),
				   UEBPF_REGION_RDONLY};
	PROG(LDX_MEM(BPF_DW, 0, 1, 8), LDX_MEM(BPF_B, 2, 1, 0),
	     ALU64_REG(BPF_ADD, 0, 2), EXIT());

	UNUSED;
	assert_int_equal(RUN_R(buf, &reg, 1, &r0), 0);
	assert_int_equal(r0, 7 + 0x88);
}

TEST(test_rdonly_region_refuses_stores)
{
	uint64_t buf[2] = {1, 2}, r0 = 0;
	struct uebpf_region reg = {(uintptr_t)buf, (uintptr_t)(buf + 2),
				   UEBPF_REGION_RDONLY};
	const struct bpf_insn st[] = {ST_MEM(BPF_W, 1, 4, 9), MOV64_IMM(0, 0),
				      EXIT()};
	const struct bpf_insn stx[] = {MOV64_IMM(2, 9),
				       STX_MEM(BPF_B, 1, 2, 15),
				       MOV64_IMM(0, 0), EXIT()};
	const struct bpf_insn atomic[] = {MOV64_IMM(2, 9),
					  ATOMIC(BPF_DW, BPF_ADD, 1, 2, 8),
					  MOV64_IMM(0, 0), EXIT()};

	UNUSED;
	assert_int_equal(run_regions(st, 3, (uintptr_t)buf, &reg, 1, &r0),
			 -EFAULT);
	assert_logged("read-only memory: store of 4 bytes");
	assert_int_equal(run_regions(stx, 4, (uintptr_t)buf, &reg, 1, &r0),
			 -EFAULT);
	assert_int_equal(run_regions(atomic, 4, (uintptr_t)buf, &reg, 1, &r0),
			 -EFAULT);
	assert_logged("read-only memory: atomic access of 8 bytes");
	assert_int_equal(buf[0], 1);
	assert_int_equal(buf[1], 2);
}

TEST(test_writable_region_takes_stores)
{
	uint64_t buf[2] = {1, 2}, r0 = 0;
	struct uebpf_region reg = {(uintptr_t)buf, (uintptr_t)(buf + 2), 0};
	PROG(ST_MEM(BPF_DW, 1, 0, 5), MOV64_IMM(2, 3),
	     ATOMIC(BPF_DW, BPF_ADD, 1, 2, 8), LDX_MEM(BPF_DW, 0, 1, 8),
	     EXIT());

	UNUSED;
	assert_int_equal(RUN_R(buf, &reg, 1, &r0), 0);
	assert_int_equal(r0, 5);
	assert_int_equal(buf[0], 5);
}

TEST(test_region_straddling_access_faults)
{
	uint8_t buf[16] = {0};
	uint64_t r0 = 0;
	struct uebpf_region reg = {(uintptr_t)buf, (uintptr_t)(buf + 12), 0};
	PROG(LDX_MEM(BPF_DW, 0, 1, 4), LDX_MEM(BPF_DW, 0, 1, 5), EXIT());

	UNUSED;
	assert_int_equal(RUN_R(buf, &reg, 1, &r0), -EFAULT);
	assert_logged("out-of-bounds load of 8 bytes");
	assert_logged("at pc 1");
}

/* ---- the stack: the frames in use
 * --------------------------------------------- */

TEST(test_main_frame_is_512_bytes)
{
	uint64_t r0 = 0;
	const struct bpf_insn ok[] = {ST_MEM(BPF_DW, 10, -512, 3),
				      LDX_MEM(BPF_DW, 0, 10, -512), EXIT()};
	/* the deeper frames are there, unused: out of bounds */
	const struct bpf_insn below[] = {MOV64_IMM(0, 0),
					 LDX_MEM(BPF_B, 0, 10, -513), EXIT()};
	const struct bpf_insn below_st[] = {ST_MEM(BPF_DW, 10, -1024, 1),
					    MOV64_IMM(0, 0), EXIT()};

	UNUSED;
	assert_int_equal(run_regions(ok, 3, 0, NULL, 0, &r0), 0);
	assert_int_equal(r0, 3);
	assert_int_equal(run_regions(below, 3, 0, NULL, 0, &r0), -EFAULT);
	assert_logged("out-of-bounds load of 1 bytes");
	assert_int_equal(run_regions(below_st, 3, 0, NULL, 0, &r0), -EFAULT);
}

TEST(test_callee_reads_caller_frame_through_pointer)
{
	uint64_t r0 = 0;
	PROG(ST_MEM(BPF_DW, 10, -8, 40), MOV64_REG(1, 10),
	     ALU64_IMM(BPF_ADD, 1, -8), CALL_LOCAL(2),
	     LDX_MEM(BPF_DW, 0, 10, -8), EXIT(),
	     /* sub: *r1 += 2, then its own frame's bottom */
	     LDX_MEM(BPF_DW, 2, 1, 0), ALU64_IMM(BPF_ADD, 2, 2),
	     STX_MEM(BPF_DW, 1, 2, 0), ST_MEM(BPF_DW, 10, -512, 1),
	     MOV64_IMM(0, 0), EXIT());

	UNUSED;
	assert_int_equal(RUN(&r0), 0);
	assert_int_equal(r0, 42);
}

TEST(test_callee_below_its_frame_faults)
{
	uint64_t r0 = 0;
	PROG(CALL_LOCAL(1), EXIT(), MOV64_IMM(0, 0),
	     LDX_MEM(BPF_DW, 0, 10, -520), EXIT());

	UNUSED;
	assert_int_equal(RUN(&r0), -EFAULT);
	assert_logged("at pc 3");
}

TEST(test_returned_callee_frame_faults)
{
	uint64_t r0 = 0;
	/* the callee wrote its frame; back in main, that frame is dead */
	PROG(CALL_LOCAL(2), LDX_MEM(BPF_DW, 0, 10, -520), EXIT(),
	     ST_MEM(BPF_DW, 10, -8, 1), MOV64_IMM(0, 0), EXIT());

	UNUSED;
	assert_int_equal(RUN(&r0), -EFAULT);
	assert_logged("out-of-bounds load of 8 bytes");
	assert_logged("at pc 1");
}

TEST(test_three_frames_through_pointers)
{
	uint64_t r0 = 0;
	/* main's slot, written by the grandchild through the pointer its
	 * parent passed on; each frame's own bottom used too */
	PROG(ST_MEM(BPF_DW, 10, -16, 1), MOV64_REG(1, 10),
	     ALU64_IMM(BPF_ADD, 1, -16), CALL_LOCAL(2),
	     LDX_MEM(BPF_DW, 0, 10, -16), EXIT(),
	     /* sub 1 (pc 6) */
	     ST_MEM(BPF_DW, 10, -512, 2), CALL_LOCAL(1), EXIT(),
	     /* sub 2 (pc 9) */
	     ST_MEM(BPF_DW, 10, -512, 3), LDX_MEM(BPF_DW, 2, 1, 0),
	     ALU64_IMM(BPF_ADD, 2, 99), STX_MEM(BPF_DW, 1, 2, 0),
	     MOV64_IMM(0, 0), EXIT());

	UNUSED;
	assert_int_equal(RUN(&r0), 0);
	assert_int_equal(r0, 100);
}

/* ---- XDP runs: packet, metadata, context ----------------------------------
 */

struct xdp_setup {
	uint8_t frame[1024] __attribute__((aligned(64)));
	struct uebpf_xdp_ctx x;
};

/* A raw program passed off as a verified XDP program: its loads are
 * already uebpf_xdp_ctx loads, as the verifier's rewrite makes them. */
static int run_xdp(const struct bpf_insn *insns, size_t cnt,
		   struct xdp_setup *s, unsigned int len, unsigned int meta,
		   uint64_t *r0)
{
	struct uebpf_prog *p = load_raw(insns, cnt);
	int err;

	p->type = BPF_PROG_TYPE_XDP;
	p->verified = true;
	uebpf_prog_set_debug_checks(p, true);
	assert_true(p->checked);
	memset(&s->x, 0, sizeof(s->x));
	s->x.data_hard_start = s->frame;
	s->x.data = s->frame + 256;
	s->x.data_end = s->frame + 256 + len;
	s->x.data_meta = s->frame + 256 - meta;
	s->x.ingress_ifindex = 3;
	s->x.frame_sz = sizeof(s->frame);
	err = uebpf_xdp_run_ctx(p, &s->x, r0);
	uebpf_prog_free(p);
	return err;
}

#define CTX_DATA    offsetof(struct uebpf_xdp_ctx, data)
#define CTX_END	    offsetof(struct uebpf_xdp_ctx, data_end)
#define CTX_META    offsetof(struct uebpf_xdp_ctx, data_meta)
#define CTX_IFINDEX offsetof(struct uebpf_xdp_ctx, ingress_ifindex)

TEST(test_xdp_context_is_read_only)
{
	static struct xdp_setup s;
	uint64_t r0 = 0;
	const struct bpf_insn reads[] = {
		LDX_MEM(BPF_DW, 2, 1, CTX_DATA),
		LDX_MEM(BPF_DW, 3, 1, CTX_END),
		LDX_MEM(BPF_DW, 4, 1, CTX_META),
		LDX_MEM(BPF_W, 0, 1, CTX_IFINDEX),
		LDX_MEM(BPF_W, 5, 1, offsetof(struct uebpf_xdp_ctx, frame_sz)),
		EXIT(),
	};
	const struct bpf_insn write[] = {
		MOV64_IMM(2, 7),
		STX_MEM(BPF_W, 1, 2, CTX_IFINDEX),
		MOV64_IMM(0, 0),
		EXIT(),
	};
	/* the helpers' part of the context is no field of xdp_md */
	const struct bpf_insn hidden[] = {
		LDX_MEM(BPF_DW, 0, 1,
			offsetof(struct uebpf_xdp_ctx, data_hard_start)),
		EXIT(),
	};

	UNUSED;
	assert_int_equal(run_xdp(reads, ARRAY_LEN(reads), &s, 60, 0, &r0), 0);
	assert_int_equal(r0, 3);
	assert_int_equal(run_xdp(write, ARRAY_LEN(write), &s, 60, 0, &r0),
			 -EFAULT);
	assert_logged("read-only memory: store of 4 bytes");
	assert_int_equal(s.x.ingress_ifindex, 3);
	assert_int_equal(run_xdp(hidden, ARRAY_LEN(hidden), &s, 60, 0, &r0),
			 -EFAULT);
}

TEST(test_xdp_packet_and_metadata)
{
	static struct xdp_setup s;
	uint64_t r0 = 0;
	/* last packet byte, first metadata byte, a store in between */
	const struct bpf_insn ok[] = {
		LDX_MEM(BPF_DW, 2, 1, CTX_DATA),
		LDX_MEM(BPF_DW, 4, 1, CTX_META),
		LDX_MEM(BPF_B, 0, 2, 13),
		LDX_MEM(BPF_B, 3, 4, 0),
		ST_MEM(BPF_W, 2, 0, 0x11),
		ST_MEM(BPF_W, 4, 4, 0x22),
		EXIT(),
	};
	const struct bpf_insn at_end[] = {
		LDX_MEM(BPF_DW, 2, 1, CTX_DATA),
		LDX_MEM(BPF_B, 0, 2, 14),
		EXIT(),
	};
	const struct bpf_insn below_meta[] = {
		LDX_MEM(BPF_DW, 4, 1, CTX_META),
		LDX_MEM(BPF_B, 0, 4, -1),
		EXIT(),
	};
	const struct bpf_insn headroom_store[] = {
		LDX_MEM(BPF_DW, 2, 1, CTX_DATA),
		ST_MEM(BPF_B, 2, -1, 1),
		MOV64_IMM(0, 0),
		EXIT(),
	};

	UNUSED;
	assert_int_equal(run_xdp(ok, ARRAY_LEN(ok), &s, 14, 8, &r0), 0);
	assert_int_equal(run_xdp(at_end, ARRAY_LEN(at_end), &s, 14, 8, &r0),
			 -EFAULT);
	assert_int_equal(
		run_xdp(below_meta, ARRAY_LEN(below_meta), &s, 14, 8, &r0),
		-EFAULT);
	/* without metadata, the byte before data is headroom */
	assert_int_equal(run_xdp(headroom_store, ARRAY_LEN(headroom_store), &s,
				 14, 0, &r0),
			 -EFAULT);
	assert_int_equal(run_xdp(headroom_store, ARRAY_LEN(headroom_store), &s,
				 14, 4, &r0),
			 0);
	assert_int_equal(run_xdp(ok, ARRAY_LEN(ok), &s, 0, 8, &r0), -EFAULT);
}

/* ---- map values through the program's maps ------------------------------ */

/* r0 = lookup(map, key 1); if !r0 return -1; OP at r0 + off. */
#define LOOKUP_THEN(id, ...)                                                   \
	ST_MEM(BPF_W, 10, -4, 1), MOV64_REG(2, 10), ALU64_IMM(BPF_ADD, 2, -4), \
		LD_IMM64_RAW(1, BPF_PSEUDO_MAP_FD, id, 0),                     \
		CALL_HELPER(BPF_FUNC_map_lookup_elem),                         \
		JMP_IMM(BPF_JNE, 0, 0, 2), MOV64_IMM(0, -1), EXIT(),           \
		__VA_ARGS__

TEST(test_lookup_value_bounds)
{
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_ARRAY, 4, 12, 4, 0);
	uint32_t id = uebpf_map_id(m);
	uint64_t r0 = 0;
	const struct bpf_insn last[] = {
		LOOKUP_THEN(id, LDX_MEM(BPF_W, 0, 0, 8), EXIT())};
	const struct bpf_insn past[] = {
		LOOKUP_THEN(id, LDX_MEM(BPF_W, 0, 0, 9), EXIT())};
	/* value_size 12 in 16-byte elements: the padding is no value */
	const struct bpf_insn pad[] = {LOOKUP_THEN(id, ST_MEM(BPF_B, 0, 12, 1),
						   MOV64_IMM(0, 0), EXIT())};
	const struct bpf_insn store[] = {LOOKUP_THEN(
		id, ST_MEM(BPF_W, 0, 8, 77), LDX_MEM(BPF_W, 0, 0, 8), EXIT())};

	UNUSED;
	assert_int_equal(run_regions(last, ARRAY_LEN(last), 0, NULL, 0, &r0),
			 0);
	assert_int_equal(run_regions(past, ARRAY_LEN(past), 0, NULL, 0, &r0),
			 -EFAULT);
	assert_logged("out-of-bounds load of 4 bytes");
	assert_int_equal(run_regions(pad, ARRAY_LEN(pad), 0, NULL, 0, &r0),
			 -EFAULT);
	assert_int_equal(run_regions(store, ARRAY_LEN(store), 0, NULL, 0, &r0),
			 0);
	assert_int_equal(r0, 77);
	uebpf_map_put(m);
}

TEST(test_value_of_a_map_the_program_does_not_use)
{
	struct uebpf_map *used = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	struct uebpf_map *other = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	void *v = prog_lookup(other, 0);
	uint64_t r0 = 0;
	/* r1 = the other map's value, which no region holds */
	const struct bpf_insn not_used[] = {
		LD_IMM64_RAW(3, BPF_PSEUDO_MAP_FD, uebpf_map_id(used), 0),
		LDX_MEM(BPF_DW, 0, 1, 0),
		EXIT(),
	};
	const struct bpf_insn is_used[] = {
		LD_IMM64_RAW(3, BPF_PSEUDO_MAP_FD, uebpf_map_id(other), 0),
		LDX_MEM(BPF_DW, 0, 1, 0),
		EXIT(),
	};

	UNUSED;
	memcpy(v, &(uint64_t){5}, 8);
	assert_int_equal(run_regions(not_used, ARRAY_LEN(not_used),
				     (uintptr_t)v, NULL, 0, &r0),
			 -EFAULT);
	assert_int_equal(run_regions(is_used, ARRAY_LEN(is_used), (uintptr_t)v,
				     NULL, 0, &r0),
			 0);
	assert_int_equal(r0, 5);
	uebpf_map_put(used);
	uebpf_map_put(other);
}

TEST(test_rdonly_prog_map_value)
{
	struct uebpf_map *m =
		create(rt, BPF_MAP_TYPE_ARRAY, 4, 16, 4, BPF_F_RDONLY_PROG);
	uint32_t id = uebpf_map_id(m);
	uint64_t r0 = 0;
	const struct bpf_insn load[] = {
		LOOKUP_THEN(id, LDX_MEM(BPF_DW, 0, 0, 8), EXIT())};
	const struct bpf_insn store[] = {LOOKUP_THEN(
		id, ST_MEM(BPF_DW, 0, 8, 1), MOV64_IMM(0, 0), EXIT())};
	/* global data of the map, by address: a read-only region */
	const struct bpf_insn direct[] = {
		LD_IMM64_RAW(1, BPF_PSEUDO_MAP_VALUE, 0, 4),
		ST_MEM(BPF_W, 1, 0, 1),
		MOV64_IMM(0, 0),
		EXIT(),
	};
	struct bpf_insn d[ARRAY_LEN(direct)];
	struct uebpf_map *one =
		create(rt, BPF_MAP_TYPE_ARRAY, 4, 16, 1, BPF_F_RDONLY_PROG);
	struct uebpf_prog *p;

	UNUSED;
	assert_int_equal(run_regions(load, ARRAY_LEN(load), 0, NULL, 0, &r0),
			 0);
	assert_int_equal(run_regions(store, ARRAY_LEN(store), 0, NULL, 0, &r0),
			 -EFAULT);
	assert_logged("read-only memory: store of 8 bytes");
	memcpy(d, direct, sizeof(d));
	d[0].imm = (int32_t)uebpf_map_id(one);
	p = load_raw(d, ARRAY_LEN(d));
	assert_int_equal(p->nr_value_regions, 1);
	assert_true(p->value_regions[0].flags & UEBPF_REGION_RDONLY);
	assert_int_equal(uebpf_prog_run(p, NULL, 0, &r0), -EFAULT);
	uebpf_prog_free(p);
	uebpf_map_put(one);
	uebpf_map_put(m);
}

/* ---- value_contains, map type by map type ---------------------------------
 */

static bool contains(struct uebpf_map *m, const void *a, size_t n)
{
	assert_non_null(m->ops->value_contains);
	return m->ops->value_contains(m, (uintptr_t)a, n);
}

/* v is one value of m (value_size vs): all of it, no byte around it. */
static void check_value(struct uebpf_map *m, const uint8_t *v)
{
	uint32_t vs = uebpf_map_value_size(m);

	assert_true(contains(m, v, vs));
	assert_true(contains(m, v, 1));
	assert_true(contains(m, v + vs - 1, 1));
	assert_true(contains(m, v + vs - 4, 4));
	assert_false(contains(m, v, vs + 1));
	assert_false(contains(m, v + vs - 3, 4));
	assert_false(contains(m, v + vs, 1));
	assert_false(contains(m, v - 1, 1));
	assert_false(contains(m, v - 1, 2));
}

TEST(test_value_contains_array)
{
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_ARRAY, 4, 12, 4, 0);
	uint8_t *v0 = prog_lookup(m, 0), *v3 = prog_lookup(m, 3);
	uint32_t i;
	int local;

	UNUSED;
	for (i = 0; i < 4; i++)
		check_value(m, prog_lookup(m, i));
	/* past the last element; elsewhere */
	assert_false(contains(m, v3 + 16, 1));
	assert_false(contains(m, v0 - 16, 1));
	assert_false(contains(m, &local, 1));
	assert_false(contains(m, NULL, 1));
	uebpf_map_put(m);
}

TEST(test_value_contains_percpu_array)
{
	struct uebpf_map *m =
		create(rt, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 20, 3, 0);
	uint32_t elem, i;
	uint64_t stride;
	uint8_t *base = uebpf_array_base(m, &elem, &stride);
	unsigned int cpu;

	UNUSED;
	for (cpu = 0; cpu < 4; cpu++) {
		assert_int_equal(uebpf_worker_bind(rt, cpu), 0);
		for (i = 0; i < 3; i++) {
			uint8_t *v = prog_lookup(m, i);

			assert_ptr_equal(v, base + i * elem + cpu * stride);
			check_value(m, v);
		}
	}
	uebpf_worker_bind(rt, 0);
	/* a fifth CPU slot's place, past the reservation */
	assert_false(contains(m, base + 4 * stride, 1));
	/* between the last value of a slot and the next slot */
	assert_false(contains(m, base + 3 * elem, 1));
	uebpf_map_put(m);
}

static uint64_t key8(uint32_t k)
{
	return k;
}

/* A hash family: each linked value, every CPU's for per-CPU maps, still
 * a value after a delete (until the grace period: the program may hold
 * it), the key beside it not. */
static void check_hash(enum bpf_map_type type, uint32_t flags)
{
	struct uebpf_map *m = create(rt, type, 8, 20, 256, flags);
	bool percpu = type == BPF_MAP_TYPE_PERCPU_HASH ||
		      type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	uint8_t val[4 * 24] = {0};
	uint8_t *v[4][3];
	unsigned int cpu, ncpu = percpu ? 4 : 1;
	uint32_t k;
	int local;

	for (k = 0; k < 3; k++) {
		uint64_t key = key8(k);

		assert_int_equal(uebpf_map_update_elem(m, &key, val, BPF_ANY),
				 0);
	}
	for (cpu = 0; cpu < ncpu; cpu++) {
		assert_int_equal(uebpf_worker_bind(rt, cpu), 0);
		for (k = 0; k < 3; k++) {
			uint64_t key = key8(k);
			struct uebpf_epoch_rec *rec =
				uebpf_epoch_enter(&rt->epoch);

			v[cpu][k] = m->ops->lookup(m, &key);
			uebpf_epoch_exit(rec);
			assert_non_null(v[cpu][k]);
			check_value(m, v[cpu][k]);
			if (!percpu) /* the key (8 bytes) comes just before */
				assert_false(contains(m, v[cpu][k] - 8, 8));
		}
	}
	uebpf_worker_bind(rt, 0);
	assert_false(contains(m, &local, 1));
	assert_false(contains(m, NULL, 1));
	/* a program deletes key 1 while it holds its value */
	{
		uint64_t key = key8(1);
		struct uebpf_epoch_rec *rec = uebpf_epoch_enter(&rt->epoch);

		assert_int_equal(m->ops->delete (m, &key), 0);
		for (cpu = 0; cpu < ncpu; cpu++)
			check_value(m, v[cpu][1]);
		uebpf_epoch_exit(rec);
	}
	uebpf_map_put(m);
}

TEST(test_value_contains_hash)
{
	UNUSED;
	check_hash(BPF_MAP_TYPE_HASH, 0);
	check_hash(BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC);
}

TEST(test_value_contains_percpu_hash)
{
	UNUSED;
	check_hash(BPF_MAP_TYPE_PERCPU_HASH, 0);
	check_hash(BPF_MAP_TYPE_PERCPU_HASH, BPF_F_NO_PREALLOC);
}

TEST(test_value_contains_lru_hash)
{
	UNUSED;
	check_hash(BPF_MAP_TYPE_LRU_HASH, 0);
	check_hash(BPF_MAP_TYPE_LRU_HASH, BPF_F_NO_COMMON_LRU);
}

TEST(test_value_contains_lru_percpu_hash)
{
	UNUSED;
	check_hash(BPF_MAP_TYPE_LRU_PERCPU_HASH, 0);
	check_hash(BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_F_NO_COMMON_LRU);
}

/* An element replaced by an update: the old value stays a value while a
 * program may hold it. */
TEST(test_value_contains_replaced_hash_value)
{
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_HASH, 8, 16, 4, 0);
	uint8_t val[16] = {1};
	uint64_t key = 5;
	struct uebpf_epoch_rec *rec;
	uint8_t *old, *now;

	UNUSED;
	assert_int_equal(uebpf_map_update_elem(m, &key, val, BPF_ANY), 0);
	rec = uebpf_epoch_enter(&rt->epoch);
	old = m->ops->lookup(m, &key);
	assert_int_equal(m->ops->update(m, &key, val, BPF_ANY), 0);
	now = m->ops->lookup(m, &key);
	assert_ptr_not_equal(old, now);
	check_value(m, old);
	check_value(m, now);
	uebpf_epoch_exit(rec);
	uebpf_map_put(m);
}

/* Types whose lookups give programs no plain values have no op. */
TEST(test_value_contains_absent_elsewhere)
{
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 2, 0);

	UNUSED;
	assert_null(m->ops->value_contains);
	uebpf_map_put(m);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup(t, reset_log)
	const struct CMUnitTest tests[] = {
		T(test_rdonly_region_allows_loads),
		T(test_rdonly_region_refuses_stores),
		T(test_writable_region_takes_stores),
		T(test_region_straddling_access_faults),
		T(test_main_frame_is_512_bytes),
		T(test_callee_reads_caller_frame_through_pointer),
		T(test_callee_below_its_frame_faults),
		T(test_returned_callee_frame_faults),
		T(test_three_frames_through_pointers),
		T(test_xdp_context_is_read_only),
		T(test_xdp_packet_and_metadata),
		T(test_lookup_value_bounds),
		T(test_value_of_a_map_the_program_does_not_use),
		T(test_rdonly_prog_map_value),
		T(test_value_contains_array),
		T(test_value_contains_percpu_array),
		T(test_value_contains_hash),
		T(test_value_contains_percpu_hash),
		T(test_value_contains_lru_hash),
		T(test_value_contains_lru_percpu_hash),
		T(test_value_contains_replaced_hash_value),
		T(test_value_contains_absent_elsewhere),
	};
#undef T
	return cmocka_run_group_tests(tests, setup, teardown);
}
