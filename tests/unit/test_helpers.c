/* SPDX-License-Identifier: MIT */
/*
 * The helper table and the helpers that need no XDP buffer.
 *
 * Prototypes: every helper libuebpf knows has the kernel's prototype
 * (written out again here from the kernel's bpf_func_protos), argument
 * lists without holes, sizes after the memory they measure, and the
 * flags the verifier relies on.
 *
 * Helpers, called directly through rt->helpers[id].fn and from raw
 * programs: the map helpers on hash, array, per-CPU and map-in-map maps
 * with the kernel's error codes; push / pop / peek; bpf_csum_diff()
 * against a reference written here and, where bpf(2) is allowed, against
 * the kernel; the ring buffer helpers with uebpf_ringbuf_consume();
 * perf_event_output; trace_printk's formats, log line and rate limit; the
 * clocks.  Unverified programs get their helper arguments checked.
 *
 * Kernel comparisons skip, with the reason printed, without CAP_BPF.
 */
#include <bpf/bpf.h>
#include <time.h>

#include "map_test.h"
#include "../../maps/perf_event.h"
#include "../../maps/ringbuf.h"
#include "../../vm/verifier.h"

#define ENOTSUPP 524
#define P(x) ((uint64_t)(uintptr_t)(x))

static struct uebpf_runtime *rt;

/* A 4-slot runtime whose log (every level, trace_printk's INFO lines
 * included) goes to cap. */
static int setup(void **state)
{
	UEBPF_OPTS(uebpf_runtime_opts, o, .nr_cpus = 4, .log_fn = cap_fn,
		   .log_ctx = &cap, .log_level = UEBPF_LOG_INFO);

	(void)state;
	cap.text[0] = '\0';
	cap.last[0] = '\0';
	rt = uebpf_runtime_new(&o);
	assert_int_equal(uebpf_worker_bind(rt, 0), 0);
	return rt ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	uebpf_worker_bind(rt, 0);
	rt_free(rt);
	return 0;
}

/* ---- calling helpers --------------------------------------------------------
 */

/* The helper as a run would call it: the thread's CPU slot, inside an
 * epoch section, no program (so no argument checks). */
static uint64_t call_on(unsigned int cpu, unsigned int id, const uint64_t *r)
{
	struct uebpf_run_ctx ctx = { .cpu = cpu };
	struct uebpf_epoch_rec *rec;
	uint64_t r0;

	assert_non_null(rt->helpers[id].fn);
	rec = uebpf_epoch_enter(&rt->epoch);
	r0 = rt->helpers[id].fn(r[0], r[1], r[2], r[3], r[4], &ctx);
	uebpf_epoch_exit(rec);
	assert_int_equal(ctx.err, 0);
	return r0;
}

#define CALL(id, ...) call_on(uebpf_worker_cpu(), id, (uint64_t[5]){ __VA_ARGS__ })
#define CALL_ERR(id, ...) ((int64_t)CALL(id, __VA_ARGS__))

/* A raw program built instruction by instruction. */
struct pb {
	struct bpf_insn i[512];
	int n;
};

static void emit(struct pb *b, struct bpf_insn in)
{
	assert_true(b->n < (int)ARRAY_LEN(b->i));
	b->i[b->n++] = in;
}

static void emit_ld64(struct pb *b, int dst, uint8_t src, uint64_t v)
{
	emit(b, INSN(BPF_LD | BPF_DW | BPF_IMM, dst, src, 0, (uint32_t)v));
	emit(b, INSN(0, 0, 0, 0, (uint32_t)(v >> 32)));
}

/* dst = the map (its id for libuebpf, an fd for the kernel). */
static void emit_map(struct pb *b, int dst, uint32_t id_or_fd)
{
	emit_ld64(b, dst, BPF_PSEUDO_MAP_FD, id_or_fd);
}

/* The bytes of s (with its NUL, padded to 8) at fp + off, through r1. */
static void emit_str(struct pb *b, int off, const char *s)
{
	size_t len = strlen(s) + 1, k;
	uint64_t w;

	for (k = 0; k < len; k += 8) {
		w = 0;
		memcpy(&w, s + k, len - k < 8 ? len - k : 8);
		emit_ld64(b, 1, 0, w);
		emit(b, STX_MEM(BPF_DW, 10, 1, off + (int)k));
	}
}

static struct uebpf_prog *load_pb(const struct pb *b)
{
	char vlog[1024] = "";
	UEBPF_OPTS(uebpf_prog_load_opts, o, .name = "t", .log_buf = vlog,
		   .log_size = sizeof(vlog), .log_level = 1);
	struct uebpf_prog *p;

	p = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, b->i, b->n, &o);
	if (!p)
		fail_msg("load failed (errno %d): %s", errno, vlog);
	return p;
}

/* Loads, runs once on mem, frees; the run's result, r0 in *r0. */
static int run_pb(const struct pb *b, void *mem, size_t len, uint64_t *r0)
{
	struct uebpf_prog *p = load_pb(b);
	int err;

	*r0 = 0xdeadbeef;
	err = uebpf_prog_run(p, mem, len, r0);
	uebpf_prog_free(p);
	return err;
}

static uint64_t run_ok(const struct pb *b)
{
	uint64_t r0;
	int err = run_pb(b, NULL, 0, &r0);

	if (err)
		fail_msg("run failed: %d; log: %s", err, cap.text);
	return r0;
}

static struct uebpf_map *mk(enum bpf_map_type type, uint32_t ks, uint32_t vs,
			    uint32_t max)
{
	struct uebpf_map *m = create(rt, type, ks, vs, max, 0);

	if (!m)
		fail_msg("cannot create %s: %s", uebpf_map_type_name(type),
			 cap.last);
	return m;
}

/* ---- prototypes -------------------------------------------------------------
 */

#define A(x) UEBPF_ARG_##x
#define R(x) UEBPF_RET_##x

/* The kernel's protos, read again from its sources: kernel/bpf/helpers.c,
 * ringbuf.c, bpf_iter.c, core.c, kernel/trace/bpf_trace.c and the XDP
 * ones of net/core/filter.c. */
static const struct {
	unsigned int id;
	uint8_t ret;
	uint8_t arg[5];
	bool raw, impl;
} want[] = {
	{ BPF_FUNC_map_lookup_elem, R(PTR_TO_MAP_VALUE_OR_NULL),
	  { A(CONST_MAP_PTR), A(PTR_TO_MAP_KEY) }, true, true },
	{ BPF_FUNC_map_update_elem, R(INTEGER),
	  { A(CONST_MAP_PTR), A(PTR_TO_MAP_KEY), A(PTR_TO_MAP_VALUE),
	    A(ANYTHING) }, true, true },
	{ BPF_FUNC_map_delete_elem, R(INTEGER),
	  { A(CONST_MAP_PTR), A(PTR_TO_MAP_KEY) }, true, true },
	{ BPF_FUNC_ktime_get_ns, R(INTEGER), { 0 }, true, true },
	{ BPF_FUNC_trace_printk, R(INTEGER),
	  { A(PTR_TO_MEM), A(CONST_SIZE) }, true, true },
	{ BPF_FUNC_get_prandom_u32, R(INTEGER), { 0 }, true, true },
	{ BPF_FUNC_get_smp_processor_id, R(INTEGER), { 0 }, true, true },
	{ BPF_FUNC_tail_call, R(VOID),
	  { A(PTR_TO_CTX), A(CONST_MAP_PTR), A(ANYTHING) }, false, true },
	{ BPF_FUNC_redirect, R(INTEGER), { A(ANYTHING), A(ANYTHING) }, false,
	  true },
	{ BPF_FUNC_perf_event_output, R(INTEGER),
	  { A(PTR_TO_CTX), A(CONST_MAP_PTR), A(ANYTHING), A(PTR_TO_MEM),
	    A(CONST_SIZE_OR_ZERO) }, false, true },
	{ BPF_FUNC_csum_diff, R(INTEGER),
	  { A(PTR_TO_MEM_OR_NULL), A(CONST_SIZE_OR_ZERO), A(PTR_TO_MEM_OR_NULL),
	    A(CONST_SIZE_OR_ZERO), A(ANYTHING) }, true, true },
	{ BPF_FUNC_xdp_adjust_head, R(INTEGER), { A(PTR_TO_CTX), A(ANYTHING) },
	  false, true },
	{ BPF_FUNC_redirect_map, R(INTEGER),
	  { A(CONST_MAP_PTR), A(ANYTHING), A(ANYTHING) }, false, true },
	{ BPF_FUNC_xdp_adjust_meta, R(INTEGER), { A(PTR_TO_CTX), A(ANYTHING) },
	  false, true },
	{ BPF_FUNC_xdp_adjust_tail, R(INTEGER), { A(PTR_TO_CTX), A(ANYTHING) },
	  false, true },
	{ BPF_FUNC_fib_lookup, R(INTEGER),
	  { A(PTR_TO_CTX), A(PTR_TO_MEM), A(CONST_SIZE), A(ANYTHING) }, false,
	  true },
	{ BPF_FUNC_map_push_elem, R(INTEGER),
	  { A(CONST_MAP_PTR), A(PTR_TO_MAP_VALUE), A(ANYTHING) }, true, true },
	{ BPF_FUNC_map_pop_elem, R(INTEGER),
	  { A(CONST_MAP_PTR), A(PTR_TO_UNINIT_MAP_VALUE) }, true, true },
	{ BPF_FUNC_map_peek_elem, R(INTEGER),
	  { A(CONST_MAP_PTR), A(PTR_TO_UNINIT_MAP_VALUE) }, true, true },
	{ BPF_FUNC_jiffies64, R(INTEGER), { 0 }, true, true },
	{ BPF_FUNC_ktime_get_boot_ns, R(INTEGER), { 0 }, true, true },
	{ BPF_FUNC_ringbuf_output, R(INTEGER),
	  { A(CONST_MAP_PTR), A(PTR_TO_MEM), A(CONST_SIZE_OR_ZERO),
	    A(ANYTHING) }, true, true },
	{ BPF_FUNC_ringbuf_reserve, R(PTR_TO_ALLOC_MEM_OR_NULL),
	  { A(CONST_MAP_PTR), A(CONST_ALLOC_SIZE_OR_ZERO), A(ANYTHING) }, true,
	  true },
	{ BPF_FUNC_ringbuf_submit, R(VOID),
	  { A(PTR_TO_ALLOC_MEM), A(ANYTHING) }, true, true },
	{ BPF_FUNC_ringbuf_discard, R(VOID),
	  { A(PTR_TO_ALLOC_MEM), A(ANYTHING) }, true, true },
	{ BPF_FUNC_ringbuf_query, R(INTEGER),
	  { A(CONST_MAP_PTR), A(ANYTHING) }, true, true },
	{ BPF_FUNC_check_mtu, R(INTEGER),
	  { A(PTR_TO_CTX), A(ANYTHING), A(PTR_TO_INT), A(ANYTHING),
	    A(ANYTHING) }, false, true },
	{ BPF_FUNC_loop, R(INTEGER),
	  { A(ANYTHING), A(PTR_TO_FUNC), A(PTR_TO_STACK_OR_NULL), A(ANYTHING) },
	  false, true },
	{ BPF_FUNC_xdp_get_buff_len, R(INTEGER), { A(PTR_TO_CTX) }, false,
	  true },
	{ BPF_FUNC_xdp_load_bytes, R(INTEGER),
	  { A(PTR_TO_CTX), A(ANYTHING), A(PTR_TO_UNINIT_MEM), A(CONST_SIZE) },
	  false, true },
	{ BPF_FUNC_xdp_store_bytes, R(INTEGER),
	  { A(PTR_TO_CTX), A(ANYTHING), A(PTR_TO_MEM), A(CONST_SIZE) }, false,
	  true },
};

static void test_protos_match_kernel(void **state)
{
	const struct uebpf_helper_proto *p;
	size_t k;
	int i;

	(void)state;
	for (k = 0; k < ARRAY_LEN(want); k++) {
		const char *name = uebpf_helper_name(want[k].id);
		uint16_t flags = UEBPF_HELPER_XDP;

		p = uebpf_helper_proto(want[k].id);
		if (!p)
			fail_msg("%s has no prototype", name);
		if (p->ret != want[k].ret)
			fail_msg("%s returns kind %u, kernel %u", name, p->ret,
				 want[k].ret);
		for (i = 0; i < 5; i++)
			if (p->arg[i] != want[k].arg[i])
				fail_msg("%s arg %d is kind %u, kernel %u", name,
					 i + 1, p->arg[i], want[k].arg[i]);
		if (want[k].raw)
			flags |= UEBPF_HELPER_RAW;
		if (want[k].id == BPF_FUNC_xdp_adjust_head ||
		    want[k].id == BPF_FUNC_xdp_adjust_meta ||
		    want[k].id == BPF_FUNC_xdp_adjust_tail)
			flags |= UEBPF_HELPER_CHANGES_PKT;
		if (want[k].id == BPF_FUNC_tail_call)
			flags |= UEBPF_HELPER_TAIL_CALL;
		if (p->flags != flags)
			fail_msg("%s flags 0x%x, want 0x%x", name, p->flags,
				 flags);
		/* The runtime's table points at it, names it, and has a
		 * function exactly for the implemented ones. */
		assert_ptr_equal(rt->helpers[want[k].id].proto, p);
		assert_string_equal(rt->helpers[want[k].id].name, name);
		if (want[k].impl != (rt->helpers[want[k].id].fn != NULL))
			fail_msg("%s: implemented %d, want %d", name,
				 rt->helpers[want[k].id].fn != NULL,
				 want[k].impl);
	}
}

static void test_protos_only_known_ids(void **state)
{
	unsigned int id, n = 0;
	size_t k;

	(void)state;
	for (id = 0; id < UEBPF_MAX_HELPER_ID + 10; id++) {
		bool listed = false;

		for (k = 0; k < ARRAY_LEN(want); k++)
			listed |= want[k].id == id;
		if (uebpf_helper_proto(id))
			n++;
		assert_int_equal(uebpf_helper_proto(id) != NULL, listed);
		if (id < UEBPF_MAX_HELPER_ID && !listed) {
			assert_null(rt->helpers[id].proto);
			assert_null(rt->helpers[id].fn);
		}
	}
	assert_int_equal(n, ARRAY_LEN(want));
	assert_null(uebpf_helper_proto(UINT32_MAX));
}

static bool is_mem(uint8_t a)
{
	return a == A(PTR_TO_MEM) || a == A(PTR_TO_MEM_OR_NULL) ||
	       a == A(PTR_TO_UNINIT_MEM);
}

static bool is_size(uint8_t a)
{
	return a == A(CONST_SIZE) || a == A(CONST_SIZE_OR_ZERO);
}

/* What the verifier assumes of every prototype. */
static void test_protos_consistent(void **state)
{
	const struct uebpf_helper_proto *p;
	unsigned int id;
	int i;

	(void)state;
	for (id = 0; id < UEBPF_MAX_HELPER_ID; id++) {
		const char *name = uebpf_helper_name(id);
		bool map = false, end = false;

		p = uebpf_helper_proto(id);
		if (!p)
			continue;
		assert_true(p->flags & UEBPF_HELPER_XDP);
		assert_true(p->ret <= R(PTR_TO_ALLOC_MEM_OR_NULL));
		for (i = 0; i < 5; i++) {
			uint8_t a = p->arg[i];

			assert_true(a <= A(CONST_ALLOC_SIZE_OR_ZERO));
			/* No holes: nothing after the first NONE. */
			if (end && a != A(NONE))
				fail_msg("%s: arg %d after the last", name,
					 i + 1);
			end |= a == A(NONE);
			/* A size follows the memory it measures, and only
			 * that. */
			if (is_mem(a) && (i == 4 || !is_size(p->arg[i + 1])))
				fail_msg("%s: arg %d has no size after it",
					 name, i + 1);
			if (is_size(a) && (!i || !is_mem(p->arg[i - 1])))
				fail_msg("%s: size arg %d follows no memory",
					 name, i + 1);
			/* Keys and values are sized by an earlier map. */
			if ((a == A(PTR_TO_MAP_KEY) ||
			     a == A(PTR_TO_MAP_VALUE) ||
			     a == A(PTR_TO_UNINIT_MAP_VALUE)) &&
			    !map)
				fail_msg("%s: arg %d has no map before it",
					 name, i + 1);
			map |= a == A(CONST_MAP_PTR);
			/* An allocation size goes with an allocation. */
			if (a == A(CONST_ALLOC_SIZE_OR_ZERO))
				assert_int_equal(p->ret,
						 R(PTR_TO_ALLOC_MEM_OR_NULL));
			/* A callback comes with its context. */
			if (a == A(PTR_TO_FUNC))
				assert_int_equal(p->arg[i + 1],
						 A(PTR_TO_STACK_OR_NULL));
		}
		if (p->ret == R(PTR_TO_MAP_VALUE_OR_NULL))
			assert_true(map);
	}
}

/* A helper with a prototype but no function yet is refused by name. */
static void test_unimplemented_refused_by_name(void **state)
{
	char vlog[512] = "";
	UEBPF_OPTS(uebpf_prog_load_opts, o, .log_buf = vlog,
		   .log_size = sizeof(vlog), .log_level = 1);
	const struct bpf_insn insns[] = {
		MOV64_IMM(2, 0), CALL_HELPER(BPF_FUNC_skb_store_bytes), EXIT()
	};

	(void)state;
	assert_null(uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, insns, 3, &o));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(vlog, "unknown helper bpf_skb_store_bytes#9 at pc 1"));
}

/* ---- maps -------------------------------------------------------------------
 */

static void test_hash_helpers(void **state)
{
	struct uebpf_map *m = mk(BPF_MAP_TYPE_HASH, 4, 8, 2);
	uint32_t k1 = 1, k2 = 2, k3 = 3;
	uint64_t v = 11, got;
	uint64_t *pv;

	(void)state;
	assert_int_equal(CALL(BPF_FUNC_map_lookup_elem, P(m), P(&k1)), 0);
	assert_int_equal(CALL_ERR(BPF_FUNC_map_update_elem, P(m), P(&k1), P(&v),
				  BPF_NOEXIST), 0);
	assert_int_equal(CALL_ERR(BPF_FUNC_map_update_elem, P(m), P(&k1), P(&v),
				  BPF_NOEXIST), -EEXIST);
	assert_int_equal(CALL_ERR(BPF_FUNC_map_update_elem, P(m), P(&k2), P(&v),
				  BPF_EXIST), -ENOENT);
	assert_int_equal(CALL_ERR(BPF_FUNC_map_update_elem, P(m), P(&k1), P(&v),
				  4), -EINVAL);
	assert_int_equal(CALL_ERR(BPF_FUNC_map_update_elem, P(m), P(&k1), P(&v),
				  BPF_F_LOCK), -EINVAL);
	v = 22;
	assert_int_equal(CALL_ERR(BPF_FUNC_map_update_elem, P(m), P(&k2), P(&v),
				  BPF_ANY), 0);
	/* Full: a new key has no room, an existing one is replaced. */
	assert_int_equal(CALL_ERR(BPF_FUNC_map_update_elem, P(m), P(&k3), P(&v),
				  BPF_ANY), -E2BIG);
	v = 33;
	assert_int_equal(CALL_ERR(BPF_FUNC_map_update_elem, P(m), P(&k2), P(&v),
				  BPF_EXIST), 0);
	/* The lookup is the value in place: the host sees a write. */
	pv = (uint64_t *)(uintptr_t)CALL(BPF_FUNC_map_lookup_elem, P(m), P(&k2));
	assert_non_null(pv);
	assert_int_equal(*pv, 33);
	*pv = 44;
	assert_int_equal(lookup(m, 2, &got), 0);
	assert_int_equal(got, 44);
	assert_int_equal(CALL_ERR(BPF_FUNC_map_delete_elem, P(m), P(&k3)),
			 -ENOENT);
	assert_int_equal(CALL_ERR(BPF_FUNC_map_delete_elem, P(m), P(&k1)), 0);
	assert_int_equal(CALL(BPF_FUNC_map_lookup_elem, P(m), P(&k1)), 0);
	assert_int_equal(lookup(m, 1, &got), -ENOENT);
	uebpf_map_put(m);
}

static void test_array_helpers(void **state)
{
	struct uebpf_map *m = mk(BPF_MAP_TYPE_ARRAY, 4, 8, 4);
	uint32_t k = 3, out = 4;
	uint64_t v = 7, got;

	(void)state;
	assert_int_equal(CALL(BPF_FUNC_map_lookup_elem, P(m), P(&out)), 0);
	assert_non_null((void *)(uintptr_t)CALL(BPF_FUNC_map_lookup_elem, P(m),
						 P(&k)));
	assert_int_equal(CALL_ERR(BPF_FUNC_map_update_elem, P(m), P(&out), P(&v),
				  BPF_ANY), -E2BIG);
	assert_int_equal(CALL_ERR(BPF_FUNC_map_update_elem, P(m), P(&k), P(&v),
				  BPF_NOEXIST), -EEXIST);
	assert_int_equal(CALL_ERR(BPF_FUNC_map_update_elem, P(m), P(&k), P(&v),
				  BPF_EXIST + 1), -EINVAL);
	assert_int_equal(CALL_ERR(BPF_FUNC_map_update_elem, P(m), P(&k), P(&v),
				  BPF_EXIST), 0);
	assert_int_equal(lookup(m, 3, &got), 0);
	assert_int_equal(got, 7);
	/* Array elements cannot be deleted. */
	assert_int_equal(CALL_ERR(BPF_FUNC_map_delete_elem, P(m), P(&k)),
			 -EINVAL);
	uebpf_map_put(m);
}

/* A map type without program-side element calls answers as the kernel's
 * syscalls do (its verifier keeps programs from getting there). */
static void test_missing_ops(void **state)
{
	struct uebpf_map *rb = mk(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096);
	struct uebpf_map *a = mk(BPF_MAP_TYPE_ARRAY, 4, 8, 1);
	uint32_t k = 0;
	uint64_t v = 0;

	(void)state;
	assert_int_equal(CALL(BPF_FUNC_map_lookup_elem, P(rb), P(&k)), 0);
	assert_int_equal(CALL_ERR(BPF_FUNC_map_update_elem, P(rb), P(&k), P(&v),
				  0), -ENOTSUPP);
	assert_int_equal(CALL_ERR(BPF_FUNC_map_push_elem, P(a), P(&v), 0),
			 -ENOTSUPP);
	assert_int_equal(CALL_ERR(BPF_FUNC_map_pop_elem, P(a), P(&v)),
			 -ENOTSUPP);
	assert_int_equal(CALL_ERR(BPF_FUNC_map_peek_elem, P(a), P(&v)),
			 -ENOTSUPP);
	uebpf_map_put(rb);
	uebpf_map_put(a);
}

/* r0 = 1000 + the CPU slot, stored with map_update_elem at key 0. */
static void percpu_update_prog(struct pb *b, struct uebpf_map *m)
{
	b->n = 0;
	emit(b, ST_MEM(BPF_W, 10, -4, 0));
	emit(b, CALL_HELPER(BPF_FUNC_get_smp_processor_id));
	emit(b, ALU64_IMM(BPF_ADD, 0, 1000));
	emit(b, STX_MEM(BPF_DW, 10, 0, -16));
	emit_map(b, 1, uebpf_map_id(m));
	emit(b, MOV64_REG(2, 10));
	emit(b, ALU64_IMM(BPF_ADD, 2, -4));
	emit(b, MOV64_REG(3, 10));
	emit(b, ALU64_IMM(BPF_ADD, 3, -16));
	emit(b, MOV64_IMM(4, BPF_ANY));
	emit(b, CALL_HELPER(BPF_FUNC_map_update_elem));
	emit(b, EXIT());
}

static void check_percpu(struct uebpf_map *m, const bool *set)
{
	uint64_t vals[4];
	uint32_t k = 0;
	int cpu;

	memset(vals, 0xff, sizeof(vals));
	assert_int_equal(uebpf_map_lookup_elem(m, &k, vals), 0);
	for (cpu = 0; cpu < 4; cpu++)
		assert_int_equal(vals[cpu], set[cpu] ? 1000 + (uint64_t)cpu : 0);
}

/* A program's per-CPU update and lookup act on the slot its thread is
 * bound to, which is also what bpf_get_smp_processor_id() says. */
static void test_percpu_slot_follows_bind(void **state)
{
	enum bpf_map_type types[] = { BPF_MAP_TYPE_PERCPU_ARRAY,
				      BPF_MAP_TYPE_PERCPU_HASH,
				      BPF_MAP_TYPE_LRU_PERCPU_HASH };
	struct pb b;
	size_t t;

	(void)state;
	for (t = 0; t < ARRAY_LEN(types); t++) {
		struct uebpf_map *m = mk(types[t], 4, 8, 4);
		bool set[4] = { false };
		uint32_t k = 0;
		uint64_t *pv;

		if (types[t] != BPF_MAP_TYPE_PERCPU_ARRAY) {
			uint64_t zeros[4] = { 0 };

			assert_int_equal(uebpf_map_update_elem(m, &k, zeros, 0),
					 0);
		}
		percpu_update_prog(&b, m);
		assert_int_equal(uebpf_worker_bind(rt, 2), 0);
		assert_int_equal(run_ok(&b), 0);
		set[2] = true;
		check_percpu(m, set);
		assert_int_equal(uebpf_worker_bind(rt, 1), 0);
		assert_int_equal(run_ok(&b), 0);
		set[1] = true;
		check_percpu(m, set);
		/* The helper's lookup gives this slot's value. */
		pv = (uint64_t *)(uintptr_t)CALL(BPF_FUNC_map_lookup_elem,
						 P(m), P(&k));
		assert_non_null(pv);
		assert_int_equal(*pv, 1001);
		assert_int_equal(uebpf_worker_bind(rt, 3), 0);
		pv = (uint64_t *)(uintptr_t)CALL(BPF_FUNC_map_lookup_elem,
						 P(m), P(&k));
		assert_int_equal(*pv, 0);
		assert_int_equal(uebpf_worker_bind(rt, 0), 0);
		uebpf_map_put(m);
	}
}

/* Map-in-map: the lookup returns the inner map itself, which the program
 * then uses as a map (what the verifier calls CONST_PTR_TO_MAP). */
static void test_map_in_map_lookup(void **state)
{
	struct uebpf_map *tmpl = mk(BPF_MAP_TYPE_ARRAY, 4, 8, 4);
	struct uebpf_map *inner = mk(BPF_MAP_TYPE_ARRAY, 4, 8, 4);
	struct uebpf_map *aom, *hom;
	uint32_t k = 0, k1 = 1, id = uebpf_map_id(inner);
	uint64_t v = 0x77, got;
	struct pb b = { .n = 0 };
	int which;

	(void)state;
	aom = create_in(rt, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2, 0, tmpl);
	hom = create_in(rt, BPF_MAP_TYPE_HASH_OF_MAPS, 4, 4, 2, 0, tmpl);
	assert_non_null(aom);
	assert_non_null(hom);
	assert_int_equal(uebpf_map_update_elem(aom, &k, &id, 0), 0);
	assert_int_equal(uebpf_map_update_elem(hom, &k, &id, 0), 0);
	for (which = 0; which < 2; which++) {
		struct uebpf_map *outer = which ? hom : aom;

		assert_ptr_equal((void *)(uintptr_t)CALL(BPF_FUNC_map_lookup_elem,
							 P(outer), P(&k)),
				 inner);
		assert_int_equal(CALL(BPF_FUNC_map_lookup_elem, P(outer), P(&k1)),
				 0);
		/* outer[0][1] = 0x77 + which, through the inner map. */
		b.n = 0;
		emit(&b, ST_MEM(BPF_W, 10, -4, 0));
		emit(&b, ST_MEM(BPF_W, 10, -8, 1));
		emit(&b, ST_MEM(BPF_DW, 10, -16, 0x77 + which));
		emit_map(&b, 1, uebpf_map_id(outer));
		emit(&b, MOV64_REG(2, 10));
		emit(&b, ALU64_IMM(BPF_ADD, 2, -4));
		emit(&b, CALL_HELPER(BPF_FUNC_map_lookup_elem));
		emit(&b, JMP_IMM(BPF_JNE, 0, 0, 2));
		emit(&b, MOV64_IMM(0, -1));
		emit(&b, EXIT());
		emit(&b, MOV64_REG(1, 0));
		emit(&b, MOV64_REG(2, 10));
		emit(&b, ALU64_IMM(BPF_ADD, 2, -8));
		emit(&b, MOV64_REG(3, 10));
		emit(&b, ALU64_IMM(BPF_ADD, 3, -16));
		emit(&b, MOV64_IMM(4, BPF_ANY));
		emit(&b, CALL_HELPER(BPF_FUNC_map_update_elem));
		emit(&b, EXIT());
		assert_int_equal(run_ok(&b), 0);
		assert_int_equal(lookup(inner, 1, &got), 0);
		assert_int_equal(got, v + which);
	}
	uebpf_map_put(aom);
	uebpf_map_put(hom);
	uebpf_map_put(inner);
	uebpf_map_put(tmpl);
}

/* The same errors from a program: each call's r0 in a slot of mem. */
static void test_map_helpers_in_program(void **state)
{
	struct uebpf_map *m = mk(BPF_MAP_TYPE_HASH, 4, 8, 1);
	struct pb b = { .n = 0 };
	uint64_t r0;
	struct {
		uint32_t k1, k2;
		uint64_t v;
		int64_t ret[4];
	} mem = { 1, 2, 5, { 0 } };
	int i;

	(void)state;
	/* r6 = mem; four updates: k1 NOEXIST, k1 NOEXIST, k2 ANY, k1 bad. */
	emit(&b, MOV64_REG(6, 1));
	for (i = 0; i < 4; i++) {
		static const int keyoff[] = { 0, 0, 4, 0 };
		static const int flags[] = { BPF_NOEXIST, BPF_NOEXIST, BPF_ANY,
					     8 };

		emit_map(&b, 1, uebpf_map_id(m));
		emit(&b, MOV64_REG(2, 6));
		emit(&b, ALU64_IMM(BPF_ADD, 2, keyoff[i]));
		emit(&b, MOV64_REG(3, 6));
		emit(&b, ALU64_IMM(BPF_ADD, 3, 8));
		emit(&b, MOV64_IMM(4, flags[i]));
		emit(&b, CALL_HELPER(BPF_FUNC_map_update_elem));
		emit(&b, STX_MEM(BPF_DW, 6, 0, 16 + 8 * i));
	}
	emit(&b, MOV64_IMM(0, 0));
	emit(&b, EXIT());
	assert_int_equal(run_pb(&b, &mem, sizeof(mem), &r0), 0);
	assert_int_equal(mem.ret[0], 0);
	assert_int_equal(mem.ret[1], -EEXIST);
	assert_int_equal(mem.ret[2], -E2BIG);
	assert_int_equal(mem.ret[3], -EINVAL);
	uebpf_map_put(m);
}

/* ---- arguments of unverified programs ---------------------------------------
 */

/* A raw program is checked: its helper arguments must be its maps and
 * memory its run may touch, or the run stops with -EFAULT. */
static void test_unverified_args_checked(void **state)
{
	struct uebpf_map *h = mk(BPF_MAP_TYPE_HASH, 4, 8, 4);
	struct uebpf_map *rb = mk(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096);
	static uint64_t host_secret = 42;
	struct pb b = { .n = 0 };
	uint64_t r0;

	(void)state;
	/* Not a map. */
	emit_ld64(&b, 1, 0, P(&host_secret));
	emit(&b, MOV64_REG(2, 10));
	emit(&b, ALU64_IMM(BPF_ADD, 2, -8));
	emit(&b, CALL_HELPER(BPF_FUNC_map_lookup_elem));
	emit(&b, EXIT());
	cap.text[0] = '\0';
	assert_int_equal(run_pb(&b, NULL, 0, &r0), -EFAULT);
	assert_logged("bpf_map_lookup_elem argument 1");
	assert_logged("is not a map of this runtime");

	/* A key in the host's memory. */
	b.n = 0;
	emit_map(&b, 1, uebpf_map_id(h));
	emit_ld64(&b, 2, 0, P(&host_secret));
	emit(&b, CALL_HELPER(BPF_FUNC_map_lookup_elem));
	emit(&b, EXIT());
	cap.text[0] = '\0';
	assert_int_equal(run_pb(&b, NULL, 0, &r0), -EFAULT);
	assert_logged("bpf_map_lookup_elem argument 2");
	assert_logged("is outside the memory the program may touch");

	/* A key running past the end of the program's stack. */
	b.n = 0;
	emit_map(&b, 1, uebpf_map_id(h));
	emit(&b, MOV64_REG(2, 10));
	emit(&b, ALU64_IMM(BPF_ADD, 2, -2));
	emit(&b, CALL_HELPER(BPF_FUNC_map_delete_elem));
	emit(&b, EXIT());
	assert_int_equal(run_pb(&b, NULL, 0, &r0), -EFAULT);

	/* A size larger than the memory. */
	b.n = 0;
	emit(&b, MOV64_REG(3, 1));
	emit(&b, MOV64_IMM(1, 0));
	emit(&b, MOV64_IMM(2, 0));
	emit(&b, MOV64_IMM(4, 64));
	emit(&b, MOV64_IMM(5, 0));
	emit(&b, CALL_HELPER(BPF_FUNC_csum_diff));
	emit(&b, EXIT());
	{
		uint8_t mem[64] = { 1 };

		assert_int_equal(run_pb(&b, mem, 64, &r0), 0);
		assert_int_equal(run_pb(&b, mem, 63, &r0), -EFAULT);
	}

	/* A ring buffer record that reserve did not return. */
	b.n = 0;
	emit(&b, MOV64_REG(1, 10));
	emit(&b, ALU64_IMM(BPF_ADD, 1, -8));
	emit(&b, MOV64_IMM(2, 0));
	emit(&b, CALL_HELPER(BPF_FUNC_ringbuf_submit));
	emit(&b, EXIT());
	cap.text[0] = '\0';
	assert_int_equal(run_pb(&b, NULL, 0, &r0), -EFAULT);
	assert_logged("is not a reserved ring buffer record");

	/* A hash map where a ring buffer must be. */
	b.n = 0;
	emit_map(&b, 1, uebpf_map_id(h));
	emit(&b, MOV64_IMM(2, 0));
	emit(&b, CALL_HELPER(BPF_FUNC_ringbuf_query));
	emit(&b, EXIT());
	cap.text[0] = '\0';
	assert_int_equal(run_pb(&b, NULL, 0, &r0), -EFAULT);
	assert_logged("is a map of the wrong type");

	/* The right one. */
	b.n = 0;
	emit_map(&b, 1, uebpf_map_id(rb));
	emit(&b, MOV64_IMM(2, BPF_RB_RING_SIZE));
	emit(&b, CALL_HELPER(BPF_FUNC_ringbuf_query));
	emit(&b, EXIT());
	assert_int_equal(run_ok(&b), 4096);
	uebpf_map_put(h);
	uebpf_map_put(rb);
}

/* ---- queue and stack --------------------------------------------------------
 */

static void test_push_pop_peek(void **state)
{
	struct uebpf_map *q = mk(BPF_MAP_TYPE_QUEUE, 0, 8, 2);
	struct uebpf_map *s = mk(BPF_MAP_TYPE_STACK, 0, 8, 2);
	uint64_t v, out;
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct uebpf_map *m = i ? s : q;

		out = 9;
		assert_int_equal(CALL_ERR(BPF_FUNC_map_pop_elem, P(m), P(&out)),
				 -ENOENT);
		assert_int_equal(out, 0); /* defined after a failed pop */
		out = 9;
		assert_int_equal(CALL_ERR(BPF_FUNC_map_peek_elem, P(m), P(&out)),
				 -ENOENT);
		assert_int_equal(out, 0);
		v = 1;
		assert_int_equal(CALL_ERR(BPF_FUNC_map_push_elem, P(m), P(&v),
					  BPF_NOEXIST), -EINVAL);
		assert_int_equal(CALL_ERR(BPF_FUNC_map_push_elem, P(m), P(&v), 4),
				 -EINVAL);
		assert_int_equal(CALL_ERR(BPF_FUNC_map_push_elem, P(m), P(&v),
					  BPF_ANY), 0);
		v = 2;
		assert_int_equal(CALL_ERR(BPF_FUNC_map_push_elem, P(m), P(&v),
					  BPF_ANY), 0);
		v = 3;
		assert_int_equal(CALL_ERR(BPF_FUNC_map_push_elem, P(m), P(&v),
					  BPF_ANY), -E2BIG);
		/* BPF_EXIST makes room by dropping the oldest (1). */
		assert_int_equal(CALL_ERR(BPF_FUNC_map_push_elem, P(m), P(&v),
					  BPF_EXIST), 0);
		assert_int_equal(CALL_ERR(BPF_FUNC_map_peek_elem, P(m), P(&out)),
				 0);
		assert_int_equal(out, i ? 3 : 2);
		assert_int_equal(CALL_ERR(BPF_FUNC_map_pop_elem, P(m), P(&out)),
				 0);
		assert_int_equal(out, i ? 3 : 2);
		assert_int_equal(CALL_ERR(BPF_FUNC_map_pop_elem, P(m), P(&out)),
				 0);
		assert_int_equal(out, i ? 2 : 3);
		assert_int_equal(CALL_ERR(BPF_FUNC_map_pop_elem, P(m), P(&out)),
				 -ENOENT);
	}
	uebpf_map_put(q);
	uebpf_map_put(s);
}

static void test_push_pop_in_program(void **state)
{
	struct uebpf_map *q = mk(BPF_MAP_TYPE_QUEUE, 0, 8, 4);
	struct pb b = { .n = 0 };
	uint64_t v = 0;

	(void)state;
	/* push 5, push 6, pop into fp-16: r0 = popped value * 10 + peeked. */
	emit(&b, ST_MEM(BPF_DW, 10, -8, 5));
	emit_map(&b, 1, uebpf_map_id(q));
	emit(&b, MOV64_REG(2, 10));
	emit(&b, ALU64_IMM(BPF_ADD, 2, -8));
	emit(&b, MOV64_IMM(3, 0));
	emit(&b, CALL_HELPER(BPF_FUNC_map_push_elem));
	emit(&b, ST_MEM(BPF_DW, 10, -8, 6));
	emit_map(&b, 1, uebpf_map_id(q));
	emit(&b, MOV64_REG(2, 10));
	emit(&b, ALU64_IMM(BPF_ADD, 2, -8));
	emit(&b, MOV64_IMM(3, 0));
	emit(&b, CALL_HELPER(BPF_FUNC_map_push_elem));
	emit_map(&b, 1, uebpf_map_id(q));
	emit(&b, MOV64_REG(2, 10));
	emit(&b, ALU64_IMM(BPF_ADD, 2, -16));
	emit(&b, CALL_HELPER(BPF_FUNC_map_pop_elem));
	emit_map(&b, 1, uebpf_map_id(q));
	emit(&b, MOV64_REG(2, 10));
	emit(&b, ALU64_IMM(BPF_ADD, 2, -24));
	emit(&b, CALL_HELPER(BPF_FUNC_map_peek_elem));
	emit(&b, LDX_MEM(BPF_DW, 0, 10, -16));
	emit(&b, ALU64_IMM(BPF_MUL, 0, 10));
	emit(&b, LDX_MEM(BPF_DW, 1, 10, -24));
	emit(&b, ALU64_REG(BPF_ADD, 0, 1));
	emit(&b, EXIT());
	assert_int_equal(run_ok(&b), 56);
	/* The host pops what is left. */
	assert_int_equal(uebpf_map_lookup_and_delete_elem(q, NULL, &v), 0);
	assert_int_equal(v, 6);
	uebpf_map_put(q);
}

/* ---- csum_diff -----------------------------------------------------------------
 *
 * The reference works with residues, not folds: csum_partial() is the
 * residue mod 2^32 - 1 of the seed plus the little-endian 32-bit words
 * (the tail zero-padded), written 0xffffffff when it is 0 but some input
 * was not; the one's complement add and the 16-bit fold likewise.
 */

static uint32_t ref_residue32(uint64_t v)
{
	return (uint32_t)(v % 0xffffffffull);
}

static uint32_t ref_partial(const uint8_t *p, uint32_t len, uint32_t seed)
{
	uint64_t acc = seed % 0xffffffffull;
	bool nonzero = seed != 0;
	uint32_t i;

	for (i = 0; i < len; i++) {
		acc = (acc + ((uint64_t)p[i] << (8 * (i % 4)))) % 0xffffffffull;
		nonzero |= p[i] != 0;
	}
	if (!nonzero)
		return 0;
	return ref_residue32(acc) ? ref_residue32(acc) : 0xffffffff;
}

static uint32_t ref_add(uint32_t a, uint32_t b)
{
	uint64_t v = ((uint64_t)a + b) % 0xffffffffull;

	if (!a && !b)
		return 0;
	return v ? (uint32_t)v : 0xffffffff;
}

static uint16_t ref_fold(uint32_t x)
{
	uint32_t v = x % 0xffff;

	if (!x)
		return 0;
	return v ? (uint16_t)v : 0xffff;
}

static uint64_t ref_csum_diff(const uint8_t *from, uint32_t fs,
			      const uint8_t *to, uint32_t ts, uint32_t seed)
{
	uint32_t r = seed;

	if (fs && ts)
		r = ref_add(ref_partial(to, ts, seed), ~ref_partial(from, fs, 0));
	else if (ts)
		r = ref_partial(to, ts, seed);
	else if (fs)
		r = ~ref_partial(from, fs, ~seed);
	return ref_fold(r);
}

static uint64_t rnd_state = 0x1234567;

static uint64_t rnd(void)
{
	uint64_t z = (rnd_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Data patterns where the one's complement corner cases live. */
static void fill(uint8_t *p, size_t n, int pattern)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = pattern == 0 ? 0 : pattern == 1 ? 0xff : (uint8_t)rnd();
}

static const uint32_t seeds[] = { 0, 1, 0xffff, 0x10000, 0x12345678,
				  0xfffffffe, 0xffffffff };

static void test_csum_diff_reference(void **state)
{
	uint8_t from[80], to[80];
	uint32_t fs, ts;
	size_t s;
	int pf, pt;

	(void)state;
	for (fs = 0; fs <= 20; fs++) {
		for (ts = 0; ts <= 20; ts++) {
			for (s = 0; s < ARRAY_LEN(seeds); s++) {
				for (pf = 0; pf < 3; pf++) {
					for (pt = 0; pt < 3; pt++) {
						uint64_t got, want;

						fill(from, fs, pf);
						fill(to, ts, pt);
						want = ref_csum_diff(from, fs, to, ts,
								     seeds[s]);
						got = CALL(BPF_FUNC_csum_diff,
							   fs ? P(from) : 0, fs,
							   ts ? P(to) : 0, ts,
							   seeds[s]);
						if (got != want)
							fail_msg("from %u to %u seed 0x%x patterns %d/%d: 0x%llx, reference 0x%llx",
								 fs, ts, seeds[s], pf, pt,
								 (unsigned long long)got,
								 (unsigned long long)want);
					}
				}
			}
		}
	}
	/* Large buffers and odd sizes, random seeds. */
	{
		static uint8_t a[4096 + 7], c[4096 + 7];
		int k;

		for (k = 0; k < 200; k++) {
			uint32_t n1 = rnd() % sizeof(a), n2 = rnd() % sizeof(c);
			uint32_t seed = (uint32_t)rnd();

			fill(a, n1, 2);
			fill(c, n2, 2);
			assert_int_equal(CALL(BPF_FUNC_csum_diff, P(a), n1, P(c),
					      n2, seed),
					 ref_csum_diff(a, n1, c, n2, seed));
		}
	}
}

/* What the helper's arguments mean: sizes and the seed are 32-bit, the
 * result is the 16-bit one's complement sum, NULL goes with size 0. */
static void test_csum_diff_semantics(void **state)
{
	uint8_t hdr[20] = { 0x45, 0, 0, 0x54, 0, 0, 0x40, 0, 0x40, 1, 0, 0,
			    10, 0, 0, 1, 10, 0, 0, 2 };
	uint8_t old_ip[4] = { 10, 0, 0, 1 }, new_ip[4] = { 192, 168, 1, 1 };
	uint16_t sum, after;
	uint64_t r;

	(void)state;
	/* An IPv4 header checksum: ~fold(sum over the header). */
	r = CALL(BPF_FUNC_csum_diff, 0, 0, P(hdr), 20, 0);
	assert_true(r <= 0xffff);
	sum = (uint16_t)~r;
	memcpy(hdr + 10, &sum, 2);
	assert_int_equal(CALL(BPF_FUNC_csum_diff, 0, 0, P(hdr), 20, 0), 0xffff);
	/* An address change patched with the diff gives the same checksum
	 * as computing it again. */
	r = CALL(BPF_FUNC_csum_diff, P(old_ip), 4, P(new_ip), 4,
		 (uint16_t)~sum);
	after = (uint16_t)~r;
	memcpy(hdr + 12, new_ip, 4);
	memset(hdr + 10, 0, 2);
	assert_int_equal(after,
			 (uint16_t)~CALL(BPF_FUNC_csum_diff, 0, 0, P(hdr), 20, 0));
	/* Sizes of any length are taken (current kernels); the upper halves
	 * of the size and seed registers are ignored. */
	assert_int_equal(CALL(BPF_FUNC_csum_diff, 0, 0, P(hdr), 3, 0),
			 ref_csum_diff(NULL, 0, hdr, 3, 0));
	assert_int_equal(CALL(BPF_FUNC_csum_diff, P(hdr), 0x100000005ull, 0, 0,
			      0xabc00000001ull),
			 ref_csum_diff(hdr, 5, NULL, 0, 1));
	assert_int_equal(CALL(BPF_FUNC_csum_diff, 0, 0, 0, 0, 0x12345678), 0x68ac);
	assert_int_equal(CALL(BPF_FUNC_csum_diff, 0, 0, 0, 0, 0), 0);
}

/* ---- ring buffer ----------------------------------------------------------- */

struct recs {
	int n;
	size_t size[16];
	uint8_t data[16][64];
};

static int collect(void *ctx, void *data, size_t size)
{
	struct recs *r = ctx;

	assert_true(r->n < 16);
	r->size[r->n] = size;
	memcpy(r->data[r->n], data, size < 64 ? size : 64);
	r->n++;
	return 0;
}

static void test_ringbuf_helpers(void **state)
{
	struct uebpf_map *rb = mk(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096);
	struct recs got = { 0 };
	uint8_t *s1, *s2, *s3;
	uint64_t data = 0x1122334455667788ull;

	(void)state;
	assert_int_equal(CALL(BPF_FUNC_ringbuf_query, P(rb), BPF_RB_RING_SIZE),
			 4096);
	assert_int_equal(CALL(BPF_FUNC_ringbuf_query, P(rb), BPF_RB_AVAIL_DATA),
			 0);
	assert_int_equal(CALL(BPF_FUNC_ringbuf_query, P(rb), 77), 0);
	/* Reserve takes no flags. */
	assert_int_equal(CALL(BPF_FUNC_ringbuf_reserve, P(rb), 8, 1), 0);
	assert_int_equal(CALL(BPF_FUNC_ringbuf_reserve, P(rb), 4096, 0), 0);
	s1 = (uint8_t *)(uintptr_t)CALL(BPF_FUNC_ringbuf_reserve, P(rb), 5, 0);
	s2 = (uint8_t *)(uintptr_t)CALL(BPF_FUNC_ringbuf_reserve, P(rb), 16, 0);
	s3 = (uint8_t *)(uintptr_t)CALL(BPF_FUNC_ringbuf_reserve, P(rb), 0, 0);
	assert_non_null(s1);
	assert_non_null(s2);
	assert_non_null(s3);
	memcpy(s1, "abcde", 5);
	memset(s2, 0x5a, 16);
	/* 8 + 8, 8 + 16, 8 + 0 reserved. */
	assert_int_equal(CALL(BPF_FUNC_ringbuf_query, P(rb), BPF_RB_PROD_POS),
			 48);
	/* Nothing is consumed while the first record is busy. */
	assert_int_equal(CALL(BPF_FUNC_ringbuf_submit, P(s2),
			      BPF_RB_FORCE_WAKEUP), 0);
	assert_int_equal(uebpf_ringbuf_consume(rb, collect, &got), 0);
	assert_int_equal(CALL(BPF_FUNC_ringbuf_discard, P(s1),
			      BPF_RB_NO_WAKEUP), 0);
	assert_int_equal(CALL(BPF_FUNC_ringbuf_submit, P(s3), 0), 0);
	/* Output: flags are the wakeup ones only; no room is -EAGAIN. */
	assert_int_equal(CALL_ERR(BPF_FUNC_ringbuf_output, P(rb), P(&data), 8,
				  BPF_RB_NO_WAKEUP | 4),
			 -EINVAL);
	assert_int_equal(CALL_ERR(BPF_FUNC_ringbuf_output, P(rb), P(&data), 8,
				  BPF_RB_NO_WAKEUP), 0);
	assert_int_equal(CALL_ERR(BPF_FUNC_ringbuf_output, P(rb), P(&data), 5000,
				  0), -EAGAIN);
	assert_int_equal(CALL(BPF_FUNC_ringbuf_query, P(rb), BPF_RB_AVAIL_DATA),
			 64);
	assert_int_equal(uebpf_ringbuf_consume(rb, collect, &got), 3);
	assert_int_equal(got.n, 3);
	assert_int_equal(got.size[0], 16);
	assert_int_equal(got.data[0][15], 0x5a);
	assert_int_equal(got.size[1], 0);
	assert_int_equal(got.size[2], 8);
	assert_memory_equal(got.data[2], &data, 8);
	assert_int_equal(CALL(BPF_FUNC_ringbuf_query, P(rb), BPF_RB_AVAIL_DATA),
			 0);
	assert_int_equal(CALL(BPF_FUNC_ringbuf_query, P(rb), BPF_RB_CONS_POS),
			 64);
	uebpf_map_put(rb);
}

static void test_ringbuf_in_program(void **state)
{
	struct uebpf_map *rb = mk(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096);
	struct recs got = { 0 };
	struct pb b = { .n = 0 };

	(void)state;
	/* reserve 16 + submit, reserve 8 + discard, output 8 from the stack;
	 * r0 = the data available. */
	emit_map(&b, 1, uebpf_map_id(rb));
	emit(&b, MOV64_IMM(2, 16));
	emit(&b, MOV64_IMM(3, 0));
	emit(&b, CALL_HELPER(BPF_FUNC_ringbuf_reserve));
	emit(&b, JMP_IMM(BPF_JNE, 0, 0, 1));
	emit(&b, EXIT());
	emit(&b, MOV64_REG(1, 0));
	emit(&b, MOV64_IMM(2, 0));
	emit(&b, CALL_HELPER(BPF_FUNC_ringbuf_submit));
	emit_map(&b, 1, uebpf_map_id(rb));
	emit(&b, MOV64_IMM(2, 8));
	emit(&b, MOV64_IMM(3, 0));
	emit(&b, CALL_HELPER(BPF_FUNC_ringbuf_reserve));
	emit(&b, JMP_IMM(BPF_JNE, 0, 0, 1));
	emit(&b, EXIT());
	emit(&b, MOV64_REG(1, 0));
	emit(&b, MOV64_IMM(2, BPF_RB_NO_WAKEUP));
	emit(&b, CALL_HELPER(BPF_FUNC_ringbuf_discard));
	emit(&b, ST_MEM(BPF_DW, 10, -8, 0x55));
	emit_map(&b, 1, uebpf_map_id(rb));
	emit(&b, MOV64_REG(2, 10));
	emit(&b, ALU64_IMM(BPF_ADD, 2, -8));
	emit(&b, MOV64_IMM(3, 8));
	emit(&b, MOV64_IMM(4, 0));
	emit(&b, CALL_HELPER(BPF_FUNC_ringbuf_output));
	emit(&b, JMP_IMM(BPF_JEQ, 0, 0, 2));
	emit(&b, MOV64_IMM(0, -1));
	emit(&b, EXIT());
	emit_map(&b, 1, uebpf_map_id(rb));
	emit(&b, MOV64_IMM(2, BPF_RB_AVAIL_DATA));
	emit(&b, CALL_HELPER(BPF_FUNC_ringbuf_query));
	emit(&b, EXIT());
	assert_int_equal(run_ok(&b), 24 + 16 + 16);
	assert_int_equal(uebpf_ringbuf_consume(rb, collect, &got), 2);
	assert_int_equal(got.size[0], 16);
	assert_int_equal(got.size[1], 8);
	assert_int_equal(got.data[1][0], 0x55);
	uebpf_map_put(rb);
}

/* ---- perf_event_output ------------------------------------------------------- */

struct pe_got {
	int n;
	unsigned int cpu;
	uint32_t size;
	uint8_t first;
};

static void pe_cb(void *ctx, unsigned int cpu, void *data, uint32_t size)
{
	struct pe_got *g = ctx;

	g->n++;
	g->cpu = cpu;
	g->size = size;
	g->first = size ? *(uint8_t *)data : 0;
}

static uint64_t pe_call(unsigned int cpu, struct uebpf_map *m, uint64_t flags,
			const void *data, uint64_t size)
{
	return call_on(cpu, BPF_FUNC_perf_event_output,
		       (uint64_t[5]){ 0, P(m), flags, P(data), size });
}

static void test_perf_event_output(void **state)
{
	struct uebpf_map *m = mk(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 4);
	struct pe_got g = { 0 };
	uint8_t data[3] = { 7, 8, 9 };

	(void)state;
	assert_int_equal((int64_t)pe_call(0, m, 0, data, 3), -ENOENT);
	assert_int_equal(uebpf_perf_event_array_set_callback(m, pe_cb, &g), 0);
	/* BPF_F_CURRENT_CPU is the run's slot. */
	assert_int_equal(pe_call(2, m, BPF_F_CURRENT_CPU, data, 3), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.cpu, 2);
	assert_int_equal(g.size, 3);
	assert_int_equal(g.first, 7);
	assert_int_equal(pe_call(2, m, 1, data, 0), 0);
	assert_int_equal(g.cpu, 1);
	assert_int_equal(g.size, 0);
	assert_int_equal((int64_t)pe_call(0, m, 4, data, 3), -E2BIG);
	/* Bits past BPF_F_CTXLEN_MASK are unknown; packet bytes need the
	 * XDP context, which this helper is not given yet. */
	assert_int_equal((int64_t)pe_call(0, m, 1ull << 60, data, 3), -EINVAL);
	assert_int_equal((int64_t)pe_call(0, m, (14ull << 32) | 1, data, 3),
			 -EINVAL);
	assert_int_equal(g.n, 2);
	uebpf_map_put(m);
}

/* ---- trace_printk ----------------------------------------------------------- */

static int fmt_ret;

/* uebpf_bprintf() as bpf_trace_printk() calls it, outside any program. */
static const char *fmt3(const char *fmt, uint64_t a1, uint64_t a2, uint64_t a3)
{
	static char out[1024];
	struct uebpf_run_ctx ctx = { 0 };
	const uint64_t args[3] = { a1, a2, a3 };

	fmt_ret = uebpf_bprintf(&ctx, out, sizeof(out), fmt,
				(uint32_t)strlen(fmt) + 1, args, 3);
	return out;
}

#define FMT_IS(want, fmt, ...)                                                 \
	do {                                                                   \
		const char *got_ = fmt3(fmt, __VA_ARGS__);                     \
		if (fmt_ret < 0 || strcmp(got_, want) ||                      \
		    fmt_ret != (int)strlen(want))                              \
			fail_msg("\"%s\": \"%s\" (%d), want \"%s\"", fmt, got_, \
				 fmt_ret, want);                               \
	} while (0)

#define FMT_FAILS(err, fmt, ...)                                               \
	do {                                                                   \
		fmt3(fmt, __VA_ARGS__);                                        \
		if (fmt_ret != (err))                                          \
			fail_msg("\"%s\": %d, want %d", fmt, fmt_ret, err);   \
	} while (0)

static void test_printk_formats(void **state)
{
	const char *s = "str";
	uint8_t ip4[4] = { 192, 0, 2, 1 };
	uint8_t ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
			    0, 0, 0, 0, 0, 0, 0, 1 };
	char big[700];
	char want[64];

	(void)state;
	FMT_IS("plain\n", "plain\n", 0, 0, 0);
	FMT_IS("-1 4294967295 ffffffff", "%d %u %x", -1, -1, -1);
	FMT_IS("-1 -1 FFFFFFFFFFFFFFFF", "%ld %lli %llX", -1, -1, -1);
	FMT_IS("4294967296 1 0x10", "%lu %i 0x%lx", 1ull << 32, 1, 16);
	/* int conversions see 32 bits. */
	FMT_IS("0 5", "%d %u", 1ull << 32, (1ull << 32) + 5, 0);
	FMT_IS("[   42][42   ][00042]", "[%5d][%-5d][%05d]", 42, 42, 42);
	FMT_IS("[+42][ 42][-0042]", "[%+d][% d][%05d]", 42, 42, -42);
	FMT_IS("100% a", "100%% %c", 'a', 0, 0);
	FMT_IS("[  x][x  ]", "[%3c][%-3c]", 'x', 'x', 0);
	FMT_IS("[str][  str][str  ]", "[%s][%5s][%-5s]", P(s), P(s), P(s));
	/* An unreadable string prints as empty. */
	FMT_IS("[]", "[%s]", 8, 0, 0);
	FMT_IS("[]", "[%s]", 0, 0, 0);
	snprintf(want, sizeof(want), "%016llx 0x%llx %016llx",
		 (unsigned long long)P(s), (unsigned long long)P(s),
		 (unsigned long long)P(s));
	FMT_IS(want, "%px %ps %pK", P(s), P(s), P(s));
	FMT_IS("0000000000000000 0x0", "%p %pS", 0, 0, 0);
	/* Extensions end at the first non-alphanumeric character. */
	snprintf(want, sizeof(want), "%016llx-", (unsigned long long)P(s));
	FMT_IS(want, "%pxyz-", P(s), 0, 0);
	FMT_IS("192.0.2.1 192.000.002.001", "%pI4 %pi4", P(ip4), P(ip4), 0);
	FMT_IS("2001:0db8:0000:0000:0000:0000:0000:0001",
	       "%pI6", P(ip6), 0, 0);
	FMT_IS("20010db8000000000000000000000001", "%pi6", P(ip6), 0, 0);
	FMT_IS("0.0.0.0", "%pI4", 16, 0, 0);
	/* No address a program holds is user memory, as in the kernel. */
	FMT_IS("str ", "%pks %pus", P(s), P(s), 0);

	/* What the kernel refuses. */
	FMT_FAILS(-EINVAL, "%d %d %d %d", 1, 2, 3);
	FMT_FAILS(-EINVAL, "%5.2d", 1, 0, 0);
	FMT_FAILS(-EINVAL, "%#x", 1, 0, 0);
	FMT_FAILS(-EINVAL, "%hd", 1, 0, 0);
	FMT_FAILS(-EINVAL, "%lf", 1, 0, 0);
	FMT_FAILS(-EINVAL, "%n", 1, 0, 0);
	FMT_FAILS(-EINVAL, "%sx", P(s), 0, 0);
	FMT_FAILS(-EINVAL, "%pa", P(s), 0, 0);
	FMT_FAILS(-EINVAL, "%pI5", P(s), 0, 0);
	FMT_FAILS(-EINVAL, "bell\a", 0, 0, 0);
	FMT_FAILS(-EINVAL, "\xc3\xa9", 0, 0, 0);
	FMT_FAILS(-EINVAL, "trailing %", 0, 0, 0);
	{
		struct uebpf_run_ctx ctx = { 0 };
		const uint64_t args[3] = { 0 };
		char out[16];

		/* No NUL within fmt_size. */
		assert_int_equal(uebpf_bprintf(&ctx, out, sizeof(out), "abc", 3,
					       args, 3),
				 -EINVAL);
		/* Only what comes before the NUL counts. */
		assert_int_equal(uebpf_bprintf(&ctx, out, sizeof(out),
					       "ab\0%d%d%d%d", 11, args, 3),
				 2);
		/* The length is the whole line's, the text is cut. */
		assert_int_equal(uebpf_bprintf(&ctx, out, 4, "%d", 5,
					       (uint64_t[3]){ 123456 }, 3),
				 6);
		assert_string_equal(out, "123");
	}
	/* Strings share the kernel's 512-byte argument buffer. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fmt3("%s", P(big), 0, 0);
	assert_int_equal(fmt_ret, 511);
	FMT_FAILS(-ENOSPC, "%s%d", P(big), 1, 0);
	FMT_FAILS(-ENOSPC, "%s%c", P(big), 1, 0);
	big[500] = '\0';
	fmt3("%s%d", P(big), 7, 0);
	assert_int_equal(fmt_ret, 501);
}

/* fmt on the stack at fp - 64, r3..r5 from the caller; r0 is the
 * helper's. */
static uint64_t printk_prog(const char *fmt, uint64_t a1, uint64_t a2,
			    uint64_t a3, void *mem, size_t len, int *err)
{
	struct pb b = { .n = 0 };
	uint64_t r0;

	emit(&b, MOV64_REG(6, 1));
	emit_str(&b, -64, fmt);
	emit(&b, MOV64_REG(1, 10));
	emit(&b, ALU64_IMM(BPF_ADD, 1, -64));
	emit(&b, MOV64_IMM(2, (int)strlen(fmt) + 1));
	emit_ld64(&b, 3, 0, a1);
	emit_ld64(&b, 4, 0, a2);
	emit_ld64(&b, 5, 0, a3);
	/* A string argument of -1 means "in the program's memory". */
	if (a1 == UINT64_MAX)
		emit(&b, MOV64_REG(3, 6));
	emit(&b, CALL_HELPER(BPF_FUNC_trace_printk));
	emit(&b, EXIT());
	*err = run_pb(&b, mem, len, &r0);
	return r0;
}

static void test_printk_in_program(void **state)
{
	static const char secret[] = "host";
	char mem[16] = "from mem";
	int err;

	(void)state;
	cap.text[0] = '\0';
	assert_int_equal(printk_prog("n=%d u=%u x=%x\n", -5, 6, 255, NULL, 0,
				     &err),
			 strlen("n=-5 u=6 x=ff\n"));
	assert_int_equal(err, 0);
	assert_logged("prog 't': n=-5 u=6 x=ff\n");
	/* No newline in the format: the log still gets one line. */
	cap.text[0] = '\0';
	printk_prog("no newline", 0, 0, 0, NULL, 0, &err);
	assert_string_equal(cap.text, "prog 't': no newline\n");
	/* An unverified program's strings come from its own memory only. */
	cap.text[0] = '\0';
	assert_int_equal(printk_prog("[%s]", UINT64_MAX, 0, 0, mem, sizeof(mem),
				     &err),
			 strlen("[from mem]"));
	assert_logged("[from mem]");
	cap.text[0] = '\0';
	assert_int_equal(printk_prog("[%s]", P(secret), 0, 0, NULL, 0, &err),
			 2);
	assert_logged("prog 't': []\n");
	/* A refused format logs nothing and says -EINVAL. */
	cap.text[0] = '\0';
	assert_int_equal((int64_t)printk_prog("%q", 0, 0, 0, NULL, 0, &err),
			 -EINVAL);
	assert_int_equal(err, 0);
	assert_string_equal(cap.text, "");
	/* The log level decides whether lines are logged, not the result. */
	rt->log_level = UEBPF_LOG_WARN;
	assert_int_equal(printk_prog("quiet %d", 1, 0, 0, NULL, 0, &err), 7);
	assert_string_equal(cap.text, "");
	rt->log_level = UEBPF_LOG_INFO;
}

static unsigned int count(const char *hay, const char *needle)
{
	unsigned int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay++;
	}
	return n;
}

/* A loop printing cannot flood the host: burst lines per interval, then
 * one line saying how many were dropped. */
static void test_printk_rate_limit(void **state)
{
	struct pb b = { .n = 0 };
	int i;

	(void)state;
	rt->printk_rl.burst = 5;
	rt->printk_rl.interval_ns = 3600ull * 1000000000;
	atomic_store(&rt->printk_rl.begin, 0);
	/* for (i = 0; i < 100; i++) bpf_trace_printk("tick %d", i); */
	emit(&b, MOV64_IMM(6, 0));
	emit_str(&b, -16, "tick %d");
	emit(&b, MOV64_REG(1, 10));
	emit(&b, ALU64_IMM(BPF_ADD, 1, -16));
	emit(&b, MOV64_IMM(2, 8));
	emit(&b, MOV64_REG(3, 6));
	emit(&b, CALL_HELPER(BPF_FUNC_trace_printk));
	emit(&b, ALU64_IMM(BPF_ADD, 6, 1));
	emit(&b, JMP_IMM(BPF_JLT, 6, 100, -7));
	emit(&b, EXIT());
	cap.text[0] = '\0';
	assert_int_equal(run_ok(&b), 7); /* "tick 99" */
	assert_int_equal(count(cap.text, "tick"), 5);
	assert_logged("tick 4\n");
	/* The next interval starts with the count of the dropped ones. */
	atomic_store(&rt->printk_rl.begin, 1);
	cap.text[0] = '\0';
	run_ok(&b);
	assert_logged("bpf_trace_printk: 95 lines suppressed\n");
	assert_int_equal(count(cap.text, "tick"), 5);
	for (i = 0; i < 2; i++)
		assert_int_equal(count(cap.text, "suppressed"), 1);
}

/* ---- clocks ----------------------------------------------------------------- */

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void test_clocks(void **state)
{
	const uint64_t initial = (uint32_t)(-300 * 1000);
	uint64_t j0, j1, b0, b1, m0, mono;
	struct pb b = { .n = 0 };
	int i;

	(void)state;
	mono = now_ns(CLOCK_MONOTONIC);
	j0 = CALL(BPF_FUNC_jiffies64);
	b0 = CALL(BPF_FUNC_ktime_get_boot_ns);
	m0 = CALL(BPF_FUNC_ktime_get_ns);
	/* HZ 1000 from INITIAL_JIFFIES, as a kernel's jiffies. */
	assert_true(j0 >= initial + mono / 1000000);
	assert_true(j0 <= initial + now_ns(CLOCK_MONOTONIC) / 1000000);
	/* Boot time counts suspend, so it is never behind monotonic. */
	assert_true(b0 >= m0 - 1000000);
	assert_true(b0 <= now_ns(CLOCK_BOOTTIME));
	for (i = 0; i < 1000; i++) {
		j1 = CALL(BPF_FUNC_jiffies64);
		b1 = CALL(BPF_FUNC_ktime_get_boot_ns);
		assert_true(j1 >= j0);
		assert_true(b1 >= b0);
		j0 = j1;
		b0 = b1;
	}
	usleep(20000);
	assert_true(CALL(BPF_FUNC_jiffies64) >= j0 + 19);
	/* From a program: r0 = boot ns difference of two calls >= 0 and
	 * jiffies never going back. */
	emit(&b, CALL_HELPER(BPF_FUNC_jiffies64));
	emit(&b, MOV64_REG(6, 0));
	emit(&b, CALL_HELPER(BPF_FUNC_ktime_get_boot_ns));
	emit(&b, MOV64_REG(7, 0));
	emit(&b, CALL_HELPER(BPF_FUNC_jiffies64));
	emit(&b, JMP_REG(BPF_JGE, 0, 6, 2));
	emit(&b, MOV64_IMM(0, -1));
	emit(&b, EXIT());
	emit(&b, CALL_HELPER(BPF_FUNC_ktime_get_boot_ns));
	emit(&b, JMP_REG(BPF_JGE, 0, 7, 2));
	emit(&b, MOV64_IMM(0, -2));
	emit(&b, EXIT());
	emit(&b, MOV64_IMM(0, 0));
	emit(&b, EXIT());
	assert_int_equal(run_ok(&b), 0);
}

/* ---- against the kernel ---------------------------------------------------------
 *
 * The same helper calls in XDP programs run by BPF_PROG_TEST_RUN.  The
 * programs return r0's low 32 bits, which hold every result compared.
 */

static char no_kernel[256];

static void need_kernel(void)
{
	if (no_kernel[0]) {
		print_message("[  SKIP    ] %s\n", no_kernel);
		skip();
	}
}

/* Loads b as an XDP program into the kernel; -errno or an fd. */
static int kernel_load(const struct pb *b)
{
	static char klog[8192];
	LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = klog,
		    .log_size = sizeof(klog), .log_level = 1);
	int fd;

	klog[0] = '\0';
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "helpers", "GPL", b->i, b->n, &o);
	if (fd < 0 && fd != -EPERM)
		print_message("kernel verifier: %s\n", klog);
	return fd;
}

static int kernel_run(const struct pb *b, void *pkt, uint32_t len,
		      uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = len,
		    .repeat = 1);
	int fd = kernel_load(b), err;

	if (fd < 0)
		return fd;
	err = bpf_prog_test_run_opts(fd, &t);
	close(fd);
	*retval = t.retval;
	return err;
}

/* r0 = csum_diff(pkt + 0, fs, pkt + 512, ts, seed) on a packet of at
 * least 1024 bytes; with xdp, the bounds check the kernel wants. */
static void csum_prog(struct pb *b, uint32_t fs, uint32_t ts, uint64_t seed,
		      bool xdp)
{
	b->n = 0;
	if (xdp) {
		emit(b, LDX_MEM(BPF_W, 2, 1, 0)); /* data */
		emit(b, LDX_MEM(BPF_W, 3, 1, 4)); /* data_end */
		emit(b, MOV64_REG(4, 2));
		emit(b, ALU64_IMM(BPF_ADD, 4, 1024));
		emit(b, JMP_REG(BPF_JLE, 4, 3, 2));
		emit(b, MOV64_IMM(0, 0xbad));
		emit(b, EXIT());
		emit(b, MOV64_REG(1, 2));
	}
	emit(b, MOV64_REG(3, 1));
	emit(b, ALU64_IMM(BPF_ADD, 3, 512));
	if (!fs)
		emit(b, MOV64_IMM(1, 0));
	if (!ts)
		emit(b, MOV64_IMM(3, 0));
	emit(b, MOV64_IMM(2, (int32_t)fs));
	emit(b, MOV64_IMM(4, (int32_t)ts));
	emit_ld64(b, 5, 0, seed);
	emit(b, CALL_HELPER(BPF_FUNC_csum_diff));
	emit(b, EXIT());
}

static void test_csum_diff_kernel(void **state)
{
	static const uint32_t sizes[] = { 0, 1, 2, 3, 4, 5, 7, 8, 12, 20,
					  36, 40, 64, 100, 256, 511, 512 };
	static uint8_t pkt[1100];
	uint64_t seed64[] = { 0, 1, 0xffff, 0x12345678, 0xffffffff,
			      0xdeadbeef00000001ull };
	int compared = 0, pattern, fd;
	bool old_kernel = false;
	struct pb b;
	size_t i, j, s;
	uint32_t kret;

	(void)state;
	need_kernel();
	/* Kernels before the csum_diff rework refuse odd sizes. */
	fill(pkt, sizeof(pkt), 2);
	csum_prog(&b, 3, 0, 0, true);
	fd = kernel_run(&b, pkt, sizeof(pkt), &kret);
	if (fd < 0) {
		print_message("[  SKIP    ] BPF_PROG_TEST_RUN: %s\n",
			      strerror(-fd));
		skip();
	}
	if (kret == (uint32_t)-EINVAL) {
		old_kernel = true;
		print_message("this kernel has the older bpf_csum_diff (an "
			      "unfolded 32-bit sum, sizes in multiples of 4 "
			      "up to 512 in all): comparing the folded sums\n");
	}
	for (pattern = 0; pattern < 3; pattern++) {
		fill(pkt, sizeof(pkt), pattern);
		for (i = 0; i < ARRAY_LEN(sizes); i++) {
			for (j = 0; j < ARRAY_LEN(sizes); j++) {
				for (s = 0; s < ARRAY_LEN(seed64); s++) {
					uint32_t fs = sizes[i], ts = sizes[j];
					uint64_t ours, r0;

					if ((i + j + s) % 3 && pattern != 2)
						continue;
					if (old_kernel &&
					    ((fs | ts) % 4 || fs + ts > 512))
						continue;
					csum_prog(&b, fs, ts, seed64[s], true);
					assert_int_equal(kernel_run(&b, pkt,
								    sizeof(pkt),
								    &kret), 0);
					csum_prog(&b, fs, ts, seed64[s], false);
					assert_int_equal(run_pb(&b, pkt,
								sizeof(pkt),
								&r0), 0);
					ours = r0;
					if (old_kernel ?
						    ref_fold(kret) % 0xffff !=
							    ours % 0xffff :
						    kret != ours)
						fail_msg("from %u to %u seed 0x%llx pattern %d: kernel 0x%x, libuebpf 0x%llx",
							 fs, ts,
							 (unsigned long long)seed64[s],
							 pattern, kret,
							 (unsigned long long)ours);
					compared++;
				}
			}
		}
	}
	print_message("csum_diff: %d cases agree with the kernel\n", compared);
}

/* A map in both worlds, created alike. */
struct kpair {
	int fd;
	struct uebpf_map *m;
};

static void kpair_new(struct kpair *p, enum bpf_map_type type, uint32_t ks,
		      uint32_t vs, uint32_t max)
{
	p->fd = bpf_map_create(type, "k", ks, vs, max, NULL);
	assert_true(p->fd >= 0);
	p->m = mk(type, ks, vs, max);
}

static void kpair_free(struct kpair *p)
{
	close(p->fd);
	uebpf_map_put(p->m);
}

/* r0 = helper(map, fp-8 (key, u32 k), fp-24 (value, u64 v), flags) for the
 * helpers taking a key and value; r0 = (r0 != 0) for lookups. */
enum op { LOOKUP, UPDATE, DELETE, PUSH, POP, PEEK, RB_OUTPUT, RB_QUERY,
	  RB_RESERVE };

static void op_prog(struct pb *b, uint32_t map, enum op op, uint32_t k,
		    int32_t v, int32_t flags)
{
	static const unsigned int id[] = {
		BPF_FUNC_map_lookup_elem, BPF_FUNC_map_update_elem,
		BPF_FUNC_map_delete_elem, BPF_FUNC_map_push_elem,
		BPF_FUNC_map_pop_elem,	  BPF_FUNC_map_peek_elem,
		BPF_FUNC_ringbuf_output,  BPF_FUNC_ringbuf_query,
		BPF_FUNC_ringbuf_reserve,
	};

	b->n = 0;
	emit(b, ST_MEM(BPF_W, 10, -8, k));
	emit(b, ST_MEM(BPF_DW, 10, -24, v));
	emit_map(b, 1, map);
	switch (op) {
	case LOOKUP:
	case DELETE:
		emit(b, MOV64_REG(2, 10));
		emit(b, ALU64_IMM(BPF_ADD, 2, -8));
		break;
	case UPDATE:
		emit(b, MOV64_REG(2, 10));
		emit(b, ALU64_IMM(BPF_ADD, 2, -8));
		emit(b, MOV64_REG(3, 10));
		emit(b, ALU64_IMM(BPF_ADD, 3, -24));
		emit(b, MOV64_IMM(4, flags));
		break;
	case PUSH:
	case POP:
	case PEEK:
		emit(b, MOV64_REG(2, 10));
		emit(b, ALU64_IMM(BPF_ADD, 2, -24));
		emit(b, MOV64_IMM(3, flags));
		break;
	case RB_OUTPUT:
		emit(b, MOV64_REG(2, 10));
		emit(b, ALU64_IMM(BPF_ADD, 2, -24));
		emit(b, MOV64_IMM(3, 8));
		emit(b, MOV64_IMM(4, flags));
		break;
	case RB_QUERY:
		emit(b, MOV64_IMM(2, flags));
		break;
	case RB_RESERVE:
		emit(b, MOV64_IMM(2, 8));
		emit(b, MOV64_IMM(3, flags));
		break;
	}
	emit(b, CALL_HELPER(id[op]));
	if (op == RB_RESERVE) {
		emit(b, JMP_IMM(BPF_JEQ, 0, 0, 4));
		emit(b, MOV64_REG(1, 0));
		emit(b, MOV64_IMM(2, 0));
		emit(b, CALL_HELPER(BPF_FUNC_ringbuf_submit));
		emit(b, MOV64_IMM(0, 1));
	}
	if (op == LOOKUP) {
		emit(b, JMP_IMM(BPF_JEQ, 0, 0, 1));
		emit(b, MOV64_IMM(0, 1));
	}
	emit(b, EXIT());
}

static int op_diffs;

static void op_both(struct kpair *p, const char *what, enum op op, uint32_t k,
		    int32_t v, int32_t flags)
{
	static uint8_t pkt[64];
	struct pb b;
	uint32_t kret;
	uint64_t r0;

	op_prog(&b, (uint32_t)p->fd, op, k, v, flags);
	assert_int_equal(kernel_run(&b, pkt, sizeof(pkt), &kret), 0);
	op_prog(&b, uebpf_map_id(p->m), op, k, v, flags);
	assert_int_equal(run_pb(&b, NULL, 0, &r0), 0);
	if ((uint32_t)r0 != kret) {
		print_message("%s: kernel %d, libuebpf %d\n", what, (int)kret,
			      (int)r0);
		op_diffs++;
	}
}

static void test_map_helpers_kernel(void **state)
{
	struct kpair p;

	(void)state;
	need_kernel();
	op_diffs = 0;
	kpair_new(&p, BPF_MAP_TYPE_HASH, 4, 8, 2);
	op_both(&p, "hash lookup miss", LOOKUP, 1, 0, 0);
	op_both(&p, "hash update noexist", UPDATE, 1, 5, BPF_NOEXIST);
	op_both(&p, "hash update noexist again", UPDATE, 1, 5, BPF_NOEXIST);
	op_both(&p, "hash update exist missing", UPDATE, 2, 5, BPF_EXIST);
	op_both(&p, "hash update any", UPDATE, 2, 5, BPF_ANY);
	op_both(&p, "hash update full", UPDATE, 3, 5, BPF_ANY);
	op_both(&p, "hash update flags 4", UPDATE, 1, 5, 4);
	op_both(&p, "hash update F_LOCK", UPDATE, 1, 5, BPF_F_LOCK);
	op_both(&p, "hash lookup hit", LOOKUP, 1, 0, 0);
	op_both(&p, "hash delete missing", DELETE, 3, 0, 0);
	op_both(&p, "hash delete", DELETE, 1, 0, 0);
	kpair_free(&p);

	kpair_new(&p, BPF_MAP_TYPE_ARRAY, 4, 8, 2);
	op_both(&p, "array lookup out of range", LOOKUP, 2, 0, 0);
	op_both(&p, "array lookup", LOOKUP, 1, 0, 0);
	op_both(&p, "array update out of range", UPDATE, 2, 5, BPF_ANY);
	op_both(&p, "array update noexist", UPDATE, 1, 5, BPF_NOEXIST);
	op_both(&p, "array update exist", UPDATE, 1, 5, BPF_EXIST);
	op_both(&p, "array update flags 3", UPDATE, 1, 5, 3);
	op_both(&p, "array delete", DELETE, 1, 0, 0);
	kpair_free(&p);

	kpair_new(&p, BPF_MAP_TYPE_QUEUE, 0, 8, 2);
	op_both(&p, "queue pop empty", POP, 0, 0, 0);
	op_both(&p, "queue peek empty", PEEK, 0, 0, 0);
	op_both(&p, "queue push noexist", PUSH, 0, 1, BPF_NOEXIST);
	op_both(&p, "queue push", PUSH, 0, 1, BPF_ANY);
	op_both(&p, "queue push", PUSH, 0, 2, BPF_ANY);
	op_both(&p, "queue push full", PUSH, 0, 3, BPF_ANY);
	op_both(&p, "queue push exist", PUSH, 0, 3, BPF_EXIST);
	op_both(&p, "queue pop", POP, 0, 0, 0);
	kpair_free(&p);

	kpair_new(&p, BPF_MAP_TYPE_RINGBUF, 0, 0, 4096);
	op_both(&p, "ringbuf output bad flags", RB_OUTPUT, 0, 1, 4);
	op_both(&p, "ringbuf output", RB_OUTPUT, 0, 1, 0);
	op_both(&p, "ringbuf output no wakeup", RB_OUTPUT, 0, 1,
		BPF_RB_NO_WAKEUP);
	op_both(&p, "ringbuf reserve flags", RB_RESERVE, 0, 0, 1);
	op_both(&p, "ringbuf reserve", RB_RESERVE, 0, 0, 0);
	op_both(&p, "ringbuf avail data", RB_QUERY, 0, 0, BPF_RB_AVAIL_DATA);
	op_both(&p, "ringbuf ring size", RB_QUERY, 0, 0, BPF_RB_RING_SIZE);
	op_both(&p, "ringbuf prod pos", RB_QUERY, 0, 0, BPF_RB_PROD_POS);
	op_both(&p, "ringbuf cons pos", RB_QUERY, 0, 0, BPF_RB_CONS_POS);
	op_both(&p, "ringbuf unknown query", RB_QUERY, 0, 0, 99);
	kpair_free(&p);
	assert_int_equal(op_diffs, 0);
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
		fprintf(stderr, "test_helpers: kernel comparisons skip: %s\n",
			no_kernel);
	return 0;
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_protos_match_kernel),
		T(test_protos_only_known_ids),
		T(test_protos_consistent),
		T(test_unimplemented_refused_by_name),
		T(test_hash_helpers),
		T(test_array_helpers),
		T(test_missing_ops),
		T(test_percpu_slot_follows_bind),
		T(test_map_in_map_lookup),
		T(test_map_helpers_in_program),
		T(test_unverified_args_checked),
		T(test_push_pop_peek),
		T(test_push_pop_in_program),
		T(test_csum_diff_reference),
		T(test_csum_diff_semantics),
		T(test_ringbuf_helpers),
		T(test_ringbuf_in_program),
		T(test_perf_event_output),
		T(test_printk_formats),
		T(test_printk_in_program),
		T(test_printk_rate_limit),
		T(test_clocks),
		T(test_csum_diff_kernel),
		T(test_map_helpers_kernel),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
