/* SPDX-License-Identifier: MIT */
/*
 * The helper table: kernel helper ids to functions, their names and the
 * kernel's prototypes (what the verifier checks each call against), and
 * the helpers that need no XDP buffer: maps, clocks, checksums, ring
 * buffers, perf events and trace_printk.  The helpers that work on the
 * packet or the run's verdict come with the XDP context (xdp/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"
#include "../maps/map.h"
#include "../maps/perf_event.h"
#include "../maps/ringbuf.h"
#include "../vm/callback.h"
#include "../vm/verifier.h"

#define HELPER_NAME(x) [BPF_FUNC_##x] = "bpf_" #x
static const char *const helper_names[] = { __BPF_FUNC_MAPPER(HELPER_NAME) };
#undef HELPER_NAME

const char *uebpf_helper_name(unsigned int id)
{
	if (id && id < ARRAY_SIZE(helper_names) && helper_names[id])
		return helper_names[id];
	return NULL;
}

/* ---- prototypes ------------------------------------------------------------
 *
 * As the kernel's struct bpf_func_proto for the program types libuebpf
 * runs: for XDP the protos xdp_func_proto() and bpf_base_func_proto()
 * return (bpf_xdp_event_output_proto for perf_event_output,
 * bpf_xdp_redirect_proto for redirect, the XDP flavours of fib_lookup and
 * check_mtu).  MEM_RDONLY, MEM_WRITE and MEM_ALIGNED have no kind of their
 * own here: PTR_TO_MEM is read (and, for fib_lookup, written back),
 * PTR_TO_UNINIT_MEM only written, PTR_TO_INT 4 aligned bytes both ways.
 * Every entry has UEBPF_HELPER_XDP, so flags == 0 means "no prototype".
 */

#define ARG(x) UEBPF_ARG_##x
#define PROTO(ret_, flags_, ...)                                               \
	{ .ret = UEBPF_RET_##ret_, .arg = { __VA_ARGS__ }, .flags = (flags_) }
#define XDP UEBPF_HELPER_XDP
#define RAW UEBPF_HELPER_RAW
/* bpf_helper_changes_pkt_data() of net/core/filter.c, for our set:
 * adjust_head, adjust_meta and adjust_tail.  xdp_store_bytes writes in
 * place and keeps the bounds; a tail call that fails leaves the packet
 * alone and one that succeeds never returns. */
#define PKT UEBPF_HELPER_CHANGES_PKT
#define TAIL UEBPF_HELPER_TAIL_CALL

static const struct uebpf_helper_proto protos[] = {
	[BPF_FUNC_map_lookup_elem] = PROTO(PTR_TO_MAP_VALUE_OR_NULL, XDP | RAW,
					   ARG(CONST_MAP_PTR),
					   ARG(PTR_TO_MAP_KEY)),
	[BPF_FUNC_map_update_elem] = PROTO(INTEGER, XDP | RAW,
					   ARG(CONST_MAP_PTR),
					   ARG(PTR_TO_MAP_KEY),
					   ARG(PTR_TO_MAP_VALUE), ARG(ANYTHING)),
	[BPF_FUNC_map_delete_elem] = PROTO(INTEGER, XDP | RAW,
					   ARG(CONST_MAP_PTR),
					   ARG(PTR_TO_MAP_KEY)),
	[BPF_FUNC_ktime_get_ns] = PROTO(INTEGER, XDP | RAW, ),
	/* r3..r5 are not checked: the format decides what they are. */
	[BPF_FUNC_trace_printk] = PROTO(INTEGER, XDP | RAW, ARG(PTR_TO_MEM),
					ARG(CONST_SIZE)),
	[BPF_FUNC_get_prandom_u32] = PROTO(INTEGER, XDP | RAW, ),
	[BPF_FUNC_get_smp_processor_id] = PROTO(INTEGER, XDP | RAW, ),
	[BPF_FUNC_tail_call] = PROTO(VOID, XDP | TAIL, ARG(PTR_TO_CTX),
				     ARG(CONST_MAP_PTR), ARG(ANYTHING)),
	[BPF_FUNC_redirect] = PROTO(INTEGER, XDP, ARG(ANYTHING), ARG(ANYTHING)),
	[BPF_FUNC_perf_event_output] = PROTO(INTEGER, XDP, ARG(PTR_TO_CTX),
					     ARG(CONST_MAP_PTR), ARG(ANYTHING),
					     ARG(PTR_TO_MEM),
					     ARG(CONST_SIZE_OR_ZERO)),
	[BPF_FUNC_csum_diff] = PROTO(INTEGER, XDP | RAW,
				     ARG(PTR_TO_MEM_OR_NULL),
				     ARG(CONST_SIZE_OR_ZERO),
				     ARG(PTR_TO_MEM_OR_NULL),
				     ARG(CONST_SIZE_OR_ZERO), ARG(ANYTHING)),
	[BPF_FUNC_xdp_adjust_head] = PROTO(INTEGER, XDP | PKT, ARG(PTR_TO_CTX),
					   ARG(ANYTHING)),
	[BPF_FUNC_redirect_map] = PROTO(INTEGER, XDP, ARG(CONST_MAP_PTR),
					ARG(ANYTHING), ARG(ANYTHING)),
	[BPF_FUNC_xdp_adjust_meta] = PROTO(INTEGER, XDP | PKT, ARG(PTR_TO_CTX),
					   ARG(ANYTHING)),
	[BPF_FUNC_xdp_adjust_tail] = PROTO(INTEGER, XDP | PKT, ARG(PTR_TO_CTX),
					   ARG(ANYTHING)),
	[BPF_FUNC_fib_lookup] = PROTO(INTEGER, XDP, ARG(PTR_TO_CTX),
				      ARG(PTR_TO_MEM), ARG(CONST_SIZE),
				      ARG(ANYTHING)),
	[BPF_FUNC_map_push_elem] = PROTO(INTEGER, XDP | RAW, ARG(CONST_MAP_PTR),
					 ARG(PTR_TO_MAP_VALUE), ARG(ANYTHING)),
	[BPF_FUNC_map_pop_elem] = PROTO(INTEGER, XDP | RAW, ARG(CONST_MAP_PTR),
					ARG(PTR_TO_UNINIT_MAP_VALUE)),
	[BPF_FUNC_map_peek_elem] = PROTO(INTEGER, XDP | RAW, ARG(CONST_MAP_PTR),
					 ARG(PTR_TO_UNINIT_MAP_VALUE)),
	[BPF_FUNC_jiffies64] = PROTO(INTEGER, XDP | RAW, ),
	[BPF_FUNC_ktime_get_boot_ns] = PROTO(INTEGER, XDP | RAW, ),
	[BPF_FUNC_ringbuf_output] = PROTO(INTEGER, XDP | RAW,
					  ARG(CONST_MAP_PTR), ARG(PTR_TO_MEM),
					  ARG(CONST_SIZE_OR_ZERO),
					  ARG(ANYTHING)),
	[BPF_FUNC_ringbuf_reserve] = PROTO(PTR_TO_ALLOC_MEM_OR_NULL, XDP | RAW,
					   ARG(CONST_MAP_PTR),
					   ARG(CONST_ALLOC_SIZE_OR_ZERO),
					   ARG(ANYTHING)),
	[BPF_FUNC_ringbuf_submit] = PROTO(VOID, XDP | RAW,
					  ARG(PTR_TO_ALLOC_MEM),
					  ARG(ANYTHING)),
	[BPF_FUNC_ringbuf_discard] = PROTO(VOID, XDP | RAW,
					   ARG(PTR_TO_ALLOC_MEM),
					   ARG(ANYTHING)),
	[BPF_FUNC_ringbuf_query] = PROTO(INTEGER, XDP | RAW,
					 ARG(CONST_MAP_PTR), ARG(ANYTHING)),
	[BPF_FUNC_check_mtu] = PROTO(INTEGER, XDP, ARG(PTR_TO_CTX),
				     ARG(ANYTHING), ARG(PTR_TO_INT),
				     ARG(ANYTHING), ARG(ANYTHING)),
	[BPF_FUNC_loop] = PROTO(INTEGER, XDP, ARG(ANYTHING), ARG(PTR_TO_FUNC),
				ARG(PTR_TO_STACK_OR_NULL), ARG(ANYTHING)),
	[BPF_FUNC_xdp_get_buff_len] = PROTO(INTEGER, XDP, ARG(PTR_TO_CTX)),
	[BPF_FUNC_xdp_load_bytes] = PROTO(INTEGER, XDP, ARG(PTR_TO_CTX),
					  ARG(ANYTHING), ARG(PTR_TO_UNINIT_MEM),
					  ARG(CONST_SIZE)),
	/* PTR_TO_MEM since the kernel's fix "bpf: Fix bpf_xdp_store_bytes
	 * proto for read-only arg" (it used to say PTR_TO_UNINIT_MEM). */
	[BPF_FUNC_xdp_store_bytes] = PROTO(INTEGER, XDP, ARG(PTR_TO_CTX),
					   ARG(ANYTHING), ARG(PTR_TO_MEM),
					   ARG(CONST_SIZE)),
};

#undef ARG
#undef PROTO
#undef XDP
#undef RAW
#undef PKT
#undef TAIL

const struct uebpf_helper_proto *uebpf_helper_proto(unsigned int id)
{
	if (id < ARRAY_SIZE(protos) && protos[id].flags)
		return &protos[id];
	return NULL;
}

/* ---- arguments of unverified programs ----------------------------------- */

static bool run_mem_ok(const struct uebpf_run_ctx *ctx, uint64_t a, uint64_t n)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_regions; i++) {
		uint64_t lo = ctx->regions[i].lo, hi = ctx->regions[i].hi;

		if (a >= lo && a <= hi && n <= hi - a)
			return true;
	}
	return false;
}

/* A map pointer is one of the program's maps, or an inner map it looked
 * up: a live map of the runtime.  Either stays valid for the run, which
 * is inside an epoch section. */
static struct uebpf_map *run_map(const struct uebpf_run_ctx *ctx, uint64_t a)
{
	const struct uebpf_prog *prog = ctx->prog;
	struct uebpf_idr *ids = &prog->rt->map_ids;
	struct uebpf_map *map = NULL;
	uint32_t i;

	for (i = 0; i < prog->nr_used_maps; i++)
		if ((uintptr_t)prog->used_maps[i] == a)
			return prog->used_maps[i];
	pthread_mutex_lock(&ids->lock);
	for (i = 0; i < ids->nr && !map; i++)
		if (ids->slots[i] && (uintptr_t)ids->slots[i] == a)
			map = ids->slots[i];
	pthread_mutex_unlock(&ids->lock);
	return map;
}

static bool ringbuf_sample_ok(const struct uebpf_run_ctx *ctx, uint64_t a)
{
	const struct uebpf_prog *prog = ctx->prog;
	size_t i;

	for (i = 0; i < prog->nr_used_maps; i++)
		if (prog->used_maps[i]->type == BPF_MAP_TYPE_RINGBUF &&
		    uebpf_ringbuf_is_reserved(prog->used_maps[i],
					      (const void *)(uintptr_t)a))
			return true;
	return false;
}

/* The kernel's check_map_func_compatibility(), for the helpers that cast
 * the map to their family's struct; the element helpers go through ops
 * that every family fills or leaves NULL. */
static bool map_fits(unsigned int id, const struct uebpf_map *map)
{
	switch (id) {
	case BPF_FUNC_ringbuf_output:
	case BPF_FUNC_ringbuf_reserve:
	case BPF_FUNC_ringbuf_query:
		return map->type == BPF_MAP_TYPE_RINGBUF;
	case BPF_FUNC_perf_event_output:
		return map->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
	default:
		return true;
	}
}

static bool arg_fault(struct uebpf_run_ctx *ctx, unsigned int id, int arg,
		      uint64_t a, uint64_t n, const char *why)
{
	pr_warn(ctx->prog->rt,
		"prog '%s': %s argument %d (0x%llx, %llu bytes) %s\n",
		ctx->prog->name, uebpf_helper_name(id), arg + 1,
		(unsigned long long)a, (unsigned long long)n, why);
	ctx->err = -EFAULT;
	return false;
}

bool uebpf_helper_args_ok(struct uebpf_run_ctx *ctx, unsigned int id,
			  uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			  uint64_t r5)
{
	const struct uebpf_helper_proto *p =
		id < UEBPF_MAX_HELPER_ID && ctx->prog &&
				ctx->prog->rt->helpers[id].proto ?
			ctx->prog->rt->helpers[id].proto :
			uebpf_helper_proto(id);
	const uint64_t r[5] = { r1, r2, r3, r4, r5 };
	struct uebpf_map *map = NULL;
	uint64_t n;
	int i;

	if (!p)
		return true;
	for (i = 0; i < 5 && p->arg[i] != UEBPF_ARG_NONE; i++) {
		switch (p->arg[i]) {
		case UEBPF_ARG_CONST_MAP_PTR:
			map = run_map(ctx, r[i]);
			if (!map)
				return arg_fault(ctx, id, i, r[i], 0,
						 "is not a map of this runtime");
			if (!map_fits(id, map))
				return arg_fault(ctx, id, i, r[i], 0,
						 "is a map of the wrong type");
			continue;
		case UEBPF_ARG_PTR_TO_MAP_KEY:
			n = map->key_size;
			break;
		case UEBPF_ARG_PTR_TO_MAP_VALUE:
		case UEBPF_ARG_PTR_TO_UNINIT_MAP_VALUE:
			n = map->value_size;
			break;
		case UEBPF_ARG_PTR_TO_MEM_OR_NULL:
			if (!r[i] && !r[i + 1])
				continue;
			/* fall through */
		case UEBPF_ARG_PTR_TO_MEM:
		case UEBPF_ARG_PTR_TO_UNINIT_MEM:
			n = r[i + 1]; /* the CONST_SIZE that follows */
			break;
		case UEBPF_ARG_PTR_TO_INT:
			n = 4;
			break;
		case UEBPF_ARG_PTR_TO_LONG:
			n = 8;
			break;
		case UEBPF_ARG_PTR_TO_ALLOC_MEM:
			if (!ringbuf_sample_ok(ctx, r[i]))
				return arg_fault(ctx, id, i, r[i], 0,
						 "is not a reserved ring buffer record");
			continue;
		default:
			/* Scalars; the context and callbacks are found by
			 * the helpers that take them, not through r1. */
			continue;
		}
		if (!run_mem_ok(ctx, r[i], n))
			return arg_fault(ctx, id, i, r[i], n,
					 "is outside the memory the program may touch");
	}
	return true;
}

/* Programs the verifier proved safe pass what their prototype says;
 * the others are checked at every call, as their loads and stores are. */
#define ARGS_OK(id)                                                            \
	(likely(!ctx->prog || !ctx->prog->checked) ||                          \
	 uebpf_helper_args_ok(ctx, id, r1, r2, r3, r4, r5))

#define UNUSED_ARGS() (void)r1, (void)r2, (void)r3, (void)r4, (void)r5

/* ---- clocks and CPU ------------------------------------------------------ */

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t helper_ktime_get_ns(uint64_t r1, uint64_t r2, uint64_t r3,
				    uint64_t r4, uint64_t r5,
				    struct uebpf_run_ctx *ctx)
{
	UNUSED_ARGS();
	(void)ctx;
	return clock_ns(CLOCK_MONOTONIC);
}

static uint64_t helper_ktime_get_boot_ns(uint64_t r1, uint64_t r2,
					 uint64_t r3, uint64_t r4, uint64_t r5,
					 struct uebpf_run_ctx *ctx)
{
	UNUSED_ARGS();
	(void)ctx;
	return clock_ns(CLOCK_BOOTTIME);
}

/*
 * jiffies as a kernel built with CONFIG_HZ=1000 counts them: a tick per
 * millisecond of CLOCK_MONOTONIC, starting from INITIAL_JIFFIES (five
 * minutes short of a 32-bit wrap) as the kernel's do, so that programs
 * see values of the kernel's magnitude.  Debian's kernels use HZ=250; a
 * program converting with its own CONFIG_HZ must be given 1000.
 */
#define UEBPF_HZ 1000ull
#define INITIAL_JIFFIES ((uint64_t)(uint32_t)(-300 * (int)UEBPF_HZ))

static uint64_t helper_jiffies64(uint64_t r1, uint64_t r2, uint64_t r3,
				 uint64_t r4, uint64_t r5,
				 struct uebpf_run_ctx *ctx)
{
	UNUSED_ARGS();
	(void)ctx;
	return INITIAL_JIFFIES +
	       clock_ns(CLOCK_MONOTONIC) / (1000000000ull / UEBPF_HZ);
}

/* Per-thread xorshift128+, seeded from the clock and the thread's address
 * space position: statistical, not cryptographic, as in the kernel. */
static __thread uint64_t prandom_state[2];

static uint64_t helper_get_prandom_u32(uint64_t r1, uint64_t r2, uint64_t r3,
				       uint64_t r4, uint64_t r5,
				       struct uebpf_run_ctx *ctx)
{
	uint64_t s1, s0;

	UNUSED_ARGS();
	(void)ctx;
	if (unlikely(!prandom_state[0] && !prandom_state[1])) {
		prandom_state[0] = clock_ns(CLOCK_MONOTONIC) | 1;
		prandom_state[1] = (uintptr_t)&prandom_state ^
				   0x9e3779b97f4a7c15ull;
	}
	s1 = prandom_state[0];
	s0 = prandom_state[1];
	prandom_state[0] = s0;
	s1 ^= s1 << 23;
	prandom_state[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
	return (uint32_t)((prandom_state[1] + s0) >> 32);
}

static uint64_t helper_get_smp_processor_id(uint64_t r1, uint64_t r2,
					    uint64_t r3, uint64_t r4,
					    uint64_t r5,
					    struct uebpf_run_ctx *ctx)
{
	UNUSED_ARGS();
	return ctx->cpu;
}

/* ---- maps -----------------------------------------------------------------
 *
 * Straight to the family's program-side ops, as the kernel's helpers call
 * map->ops->map_*_elem: the families check the flags and give the errors.
 * Per-CPU families act on the calling thread's slot (map_this_cpu()),
 * which is ctx->cpu: a run takes its slot from the same thread variable.
 * Map-in-map lookups return the inner struct uebpf_map *, which is what a
 * program's CONST_PTR_TO_MAP holds.  An op a family lacks answers as the
 * kernel's syscalls do; the verifier keeps programs from getting there.
 */

static uint64_t helper_map_lookup_elem(uint64_t r1, uint64_t r2, uint64_t r3,
				       uint64_t r4, uint64_t r5,
				       struct uebpf_run_ctx *ctx)
{
	struct uebpf_map *map = (struct uebpf_map *)(uintptr_t)r1;

	if (!ARGS_OK(BPF_FUNC_map_lookup_elem) || !map->ops->lookup)
		return 0;
	return (uintptr_t)map->ops->lookup(map, (const void *)(uintptr_t)r2);
}

static uint64_t helper_map_update_elem(uint64_t r1, uint64_t r2, uint64_t r3,
				       uint64_t r4, uint64_t r5,
				       struct uebpf_run_ctx *ctx)
{
	struct uebpf_map *map = (struct uebpf_map *)(uintptr_t)r1;

	if (!ARGS_OK(BPF_FUNC_map_update_elem))
		return 0;
	if (!map->ops->update)
		return (uint64_t)-ENOTSUPP_ERRNO;
	return (uint64_t)map->ops->update(map, (const void *)(uintptr_t)r2,
					  (const void *)(uintptr_t)r3, r4);
}

static uint64_t helper_map_delete_elem(uint64_t r1, uint64_t r2, uint64_t r3,
				       uint64_t r4, uint64_t r5,
				       struct uebpf_run_ctx *ctx)
{
	struct uebpf_map *map = (struct uebpf_map *)(uintptr_t)r1;

	if (!ARGS_OK(BPF_FUNC_map_delete_elem))
		return 0;
	if (!map->ops->delete)
		return (uint64_t)-ENOTSUPP_ERRNO;
	return (uint64_t)map->ops->delete(map, (const void *)(uintptr_t)r2);
}

static uint64_t helper_map_push_elem(uint64_t r1, uint64_t r2, uint64_t r3,
				     uint64_t r4, uint64_t r5,
				     struct uebpf_run_ctx *ctx)
{
	struct uebpf_map *map = (struct uebpf_map *)(uintptr_t)r1;

	if (!ARGS_OK(BPF_FUNC_map_push_elem))
		return 0;
	if (!map->ops->push)
		return (uint64_t)-ENOTSUPP_ERRNO;
	return (uint64_t)map->ops->push(map, (const void *)(uintptr_t)r2, r3);
}

static uint64_t helper_map_pop_elem(uint64_t r1, uint64_t r2, uint64_t r3,
				    uint64_t r4, uint64_t r5,
				    struct uebpf_run_ctx *ctx)
{
	struct uebpf_map *map = (struct uebpf_map *)(uintptr_t)r1;

	if (!ARGS_OK(BPF_FUNC_map_pop_elem))
		return 0;
	if (!map->ops->pop)
		return (uint64_t)-ENOTSUPP_ERRNO;
	return (uint64_t)map->ops->pop(map, (void *)(uintptr_t)r2);
}

static uint64_t helper_map_peek_elem(uint64_t r1, uint64_t r2, uint64_t r3,
				     uint64_t r4, uint64_t r5,
				     struct uebpf_run_ctx *ctx)
{
	struct uebpf_map *map = (struct uebpf_map *)(uintptr_t)r1;

	if (!ARGS_OK(BPF_FUNC_map_peek_elem))
		return 0;
	if (!map->ops->peek)
		return (uint64_t)-ENOTSUPP_ERRNO;
	return (uint64_t)map->ops->peek(map, (void *)(uintptr_t)r2);
}

/* ---- ring buffers and perf events ------------------------------------------ */

static uint64_t helper_ringbuf_output(uint64_t r1, uint64_t r2, uint64_t r3,
				      uint64_t r4, uint64_t r5,
				      struct uebpf_run_ctx *ctx)
{
	if (!ARGS_OK(BPF_FUNC_ringbuf_output))
		return 0;
	return (uint64_t)uebpf_ringbuf_output((struct uebpf_map *)(uintptr_t)r1,
					      (const void *)(uintptr_t)r2, r3,
					      r4);
}

static uint64_t helper_ringbuf_reserve(uint64_t r1, uint64_t r2, uint64_t r3,
				       uint64_t r4, uint64_t r5,
				       struct uebpf_run_ctx *ctx)
{
	if (!ARGS_OK(BPF_FUNC_ringbuf_reserve))
		return 0;
	return (uintptr_t)uebpf_ringbuf_reserve(
		(struct uebpf_map *)(uintptr_t)r1, r2, r3);
}

/* submit and discard return nothing: flags other than the wakeup ones
 * are ignored, as the kernel's bpf_ringbuf_commit() ignores them. */
static uint64_t helper_ringbuf_submit(uint64_t r1, uint64_t r2, uint64_t r3,
				      uint64_t r4, uint64_t r5,
				      struct uebpf_run_ctx *ctx)
{
	if (ARGS_OK(BPF_FUNC_ringbuf_submit))
		uebpf_ringbuf_submit((void *)(uintptr_t)r1, r2);
	return 0;
}

static uint64_t helper_ringbuf_discard(uint64_t r1, uint64_t r2, uint64_t r3,
				       uint64_t r4, uint64_t r5,
				       struct uebpf_run_ctx *ctx)
{
	if (ARGS_OK(BPF_FUNC_ringbuf_discard))
		uebpf_ringbuf_discard((void *)(uintptr_t)r1, r2);
	return 0;
}

static uint64_t helper_ringbuf_query(uint64_t r1, uint64_t r2, uint64_t r3,
				     uint64_t r4, uint64_t r5,
				     struct uebpf_run_ctx *ctx)
{
	if (!ARGS_OK(BPF_FUNC_ringbuf_query))
		return 0;
	return uebpf_ringbuf_query((struct uebpf_map *)(uintptr_t)r1, r2);
}

/*
 * bpf_xdp_event_output(): the index (or BPF_F_CURRENT_CPU, the run's CPU
 * slot) in the low 32 bits of flags; the upper 32 bits ask for that many
 * bytes of the packet to be appended to the sample, which is not
 * supported yet: a non-zero count is refused with -EINVAL rather than
 * silently dropped.
 */
static uint64_t helper_perf_event_output(uint64_t r1, uint64_t r2, uint64_t r3,
					 uint64_t r4, uint64_t r5,
					 struct uebpf_run_ctx *ctx)
{
	uint64_t index = r3 & BPF_F_INDEX_MASK;

	if (!ARGS_OK(BPF_FUNC_perf_event_output))
		return 0;
	if (r3 & ~(BPF_F_INDEX_MASK | BPF_F_CTXLEN_MASK))
		return (uint64_t)-EINVAL;
	if (r3 & BPF_F_CTXLEN_MASK)
		return (uint64_t)-EINVAL;
	if (index == BPF_F_CURRENT_CPU)
		index = ctx->cpu;
	return (uint64_t)uebpf_perf_event_output(
		(struct uebpf_map *)(uintptr_t)r2, index,
		(const void *)(uintptr_t)r4, r5);
}

/* ---- checksums --------------------------------------------------------------
 *
 * bpf_csum_diff() as current kernels compute it (checked against 6.18):
 * csum_partial() of the new words with the seed, minus csum_partial() of
 * the old ones, folded to 16 bits (not inverted); any sizes.  Kernels
 * before the "optimize and homogenize for all archs" rework (6.1 among
 * them) returned the unfolded 32-bit sum of ~from and to and refused
 * sizes that were not multiples of 4 or added up to more than 512 bytes;
 * the two results agree once folded.
 */

/* x86-64's csum_partial(): the one's complement sum of the buffer read as
 * little-endian words, the tail zero-padded, with the seed; folded to 32
 * bits.  It is 0 only when the seed and every byte are. */
static uint32_t csum_partial(const uint8_t *p, uint32_t len, uint32_t seed)
{
	uint64_t sum = seed;
	uint32_t w;

	for (; len >= 4; len -= 4, p += 4) {
		memcpy(&w, p, 4);
		sum += w;
	}
	if (len) {
		w = 0;
		memcpy(&w, p, len);
		sum += w;
	}
	while (sum >> 32)
		sum = (sum & 0xffffffff) + (sum >> 32);
	return (uint32_t)sum;
}

static uint32_t csum_add(uint32_t a, uint32_t b)
{
	uint32_t r = a + b;

	return r + (r < b);
}

static uint16_t csum_from32to16(uint32_t sum)
{
	sum += (sum >> 16) | (sum << 16);
	return (uint16_t)(sum >> 16);
}

static uint64_t helper_csum_diff(uint64_t r1, uint64_t r2, uint64_t r3,
				 uint64_t r4, uint64_t r5,
				 struct uebpf_run_ctx *ctx)
{
	const uint8_t *from = (const uint8_t *)(uintptr_t)r1;
	const uint8_t *to = (const uint8_t *)(uintptr_t)r3;
	uint32_t from_size = (uint32_t)r2, to_size = (uint32_t)r4;
	uint32_t seed = (uint32_t)r5, sum = seed;

	if (!ARGS_OK(BPF_FUNC_csum_diff))
		return 0;
	if (from_size && to_size)
		sum = csum_add(csum_partial(to, to_size, seed),
			       ~csum_partial(from, from_size, 0));
	else if (to_size)
		sum = csum_partial(to, to_size, seed);
	else if (from_size)
		sum = ~csum_partial(from, from_size, ~seed);
	return csum_from32to16(sum);
}

/* ---- trace_printk -------------------------------------------------------- */

/* MAX_BPRINTF_BUF: longer output is cut; the length returned is not. */
#define PRINTK_BUF 1024

/* Whether this line may reach the log; *missed gets the count of lines
 * suppressed in the interval that just ended, once. */
static bool printk_allowed(struct uebpf_ratelimit *rl, unsigned int *missed)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	uint64_t begin = atomic_load_explicit(&rl->begin, memory_order_relaxed);

	*missed = 0;
	if (!begin || now - begin >= rl->interval_ns) {
		if (atomic_compare_exchange_strong(&rl->begin, &begin,
						   now ? now : 1)) {
			*missed = atomic_exchange(&rl->missed, 0);
			atomic_store(&rl->printed, 0);
		}
	}
	if (atomic_fetch_add(&rl->printed, 1) < rl->burst)
		return true;
	atomic_fetch_add(&rl->missed, 1);
	return false;
}

/* bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3): the line goes to the
 * host's log at UEBPF_LOG_INFO (the kernel's trace_pipe), rate-limited;
 * returns the length of the formatted line, or -EINVAL for a format the
 * kernel refuses. */
static uint64_t helper_trace_printk(uint64_t r1, uint64_t r2, uint64_t r3,
				   uint64_t r4, uint64_t r5,
				   struct uebpf_run_ctx *ctx)
{
	const uint64_t args[3] = { r3, r4, r5 };
	struct uebpf_runtime *rt;
	char buf[PRINTK_BUF];
	unsigned int missed;
	size_t len;
	int ret;

	if (!ARGS_OK(BPF_FUNC_trace_printk))
		return 0;
	ret = uebpf_bprintf(ctx, buf, sizeof(buf),
			    (const char *)(uintptr_t)r1, (uint32_t)r2, args, 3);
	if (ret < 0 || !ctx->prog)
		return (uint64_t)(int64_t)ret;
	rt = ctx->prog->rt;
	if (rt->log_quiet || rt->log_level < UEBPF_LOG_INFO)
		return (uint64_t)(int64_t)ret;
	if (!printk_allowed(&rt->printk_rl, &missed))
		return (uint64_t)(int64_t)ret;
	if (missed)
		pr_info(rt, "bpf_trace_printk: %u lines suppressed\n", missed);
	/* One line per call, whether or not the format ended in \n. */
	len = strlen(buf);
	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	pr_info(rt, "prog '%s': %s\n", ctx->prog->name, buf);
	return (uint64_t)(int64_t)ret;
}

/* ---- the table ------------------------------------------------------------- */

static void set_helper(struct uebpf_runtime *rt, unsigned int id,
		       uebpf_helper_fn fn)
{
	rt->helpers[id].fn = fn;
}

void uebpf_helpers_init_builtin(struct uebpf_runtime *rt)
{
	unsigned int id;

	/* Every helper with a prototype is named and described, whether or
	 * not it has a function yet: the validator refuses calls to the
	 * ones without, by name. */
	for (id = 0; id < ARRAY_SIZE(protos); id++) {
		if (!protos[id].flags)
			continue;
		rt->helpers[id].name = uebpf_helper_name(id);
		rt->helpers[id].proto = &protos[id];
	}
	set_helper(rt, BPF_FUNC_map_lookup_elem, helper_map_lookup_elem);
	set_helper(rt, BPF_FUNC_map_update_elem, helper_map_update_elem);
	set_helper(rt, BPF_FUNC_map_delete_elem, helper_map_delete_elem);
	set_helper(rt, BPF_FUNC_ktime_get_ns, helper_ktime_get_ns);
	set_helper(rt, BPF_FUNC_trace_printk, helper_trace_printk);
	set_helper(rt, BPF_FUNC_get_prandom_u32, helper_get_prandom_u32);
	set_helper(rt, BPF_FUNC_get_smp_processor_id,
		   helper_get_smp_processor_id);
	set_helper(rt, BPF_FUNC_perf_event_output, helper_perf_event_output);
	set_helper(rt, BPF_FUNC_csum_diff, helper_csum_diff);
	set_helper(rt, BPF_FUNC_map_push_elem, helper_map_push_elem);
	set_helper(rt, BPF_FUNC_map_pop_elem, helper_map_pop_elem);
	set_helper(rt, BPF_FUNC_map_peek_elem, helper_map_peek_elem);
	set_helper(rt, BPF_FUNC_jiffies64, helper_jiffies64);
	set_helper(rt, BPF_FUNC_ktime_get_boot_ns, helper_ktime_get_boot_ns);
	set_helper(rt, BPF_FUNC_ringbuf_output, helper_ringbuf_output);
	set_helper(rt, BPF_FUNC_ringbuf_reserve, helper_ringbuf_reserve);
	set_helper(rt, BPF_FUNC_ringbuf_submit, helper_ringbuf_submit);
	set_helper(rt, BPF_FUNC_ringbuf_discard, helper_ringbuf_discard);
	set_helper(rt, BPF_FUNC_ringbuf_query, helper_ringbuf_query);
	set_helper(rt, BPF_FUNC_tail_call, uebpf_helper_tail_call);
	set_helper(rt, BPF_FUNC_loop, uebpf_helper_loop);
	uebpf_xdp_helpers_init(rt);

	/* The kernel's printk_ratelimited() allows 10 lines per 5 s; trace
	 * output is meant to be read, so more, but never a flood. */
	rt->printk_rl.interval_ns = 1000000000ull;
	rt->printk_rl.burst = 100;
}

/* ---- host helpers ------------------------------------------------------------
 *
 * The interpreter calls rt->helpers[id].fn(r1..r5, run ctx), which says
 * nothing of id: each id gets a trampoline of its own that passes it on,
 * so the host's function and context are found without a lookup by
 * address.  1024 small functions, made by the preprocessor.
 */

static uint64_t host_call(unsigned int id, uint64_t r1, uint64_t r2,
			  uint64_t r3, uint64_t r4, uint64_t r5,
			  struct uebpf_run_ctx *ctx)
{
	const struct uebpf_helper *h;

	if (unlikely(!ctx->prog))
		return 0;
	if (!ARGS_OK(id))
		return 0;
	h = &ctx->prog->rt->helpers[id];
	return h->host_fn(r1, r2, r3, r4, r5, h->host_ctx);
}

#define HOST_TRAMP(n)                                                          \
	static uint64_t host_tramp_##n(uint64_t r1, uint64_t r2, uint64_t r3,  \
				       uint64_t r4, uint64_t r5,               \
				       struct uebpf_run_ctx *ctx)              \
	{                                                                      \
		return host_call(0x##n, r1, r2, r3, r4, r5, ctx);              \
	}
#define HOST_X16(M, p)                                                         \
	M(p##0) M(p##1) M(p##2) M(p##3) M(p##4) M(p##5) M(p##6) M(p##7)        \
	M(p##8) M(p##9) M(p##a) M(p##b) M(p##c) M(p##d) M(p##e) M(p##f)
#define HOST_T16(p) HOST_X16(HOST_TRAMP, p)
#define HOST_T256(p)                                                           \
	HOST_T16(p##0) HOST_T16(p##1) HOST_T16(p##2) HOST_T16(p##3)            \
	HOST_T16(p##4) HOST_T16(p##5) HOST_T16(p##6) HOST_T16(p##7)            \
	HOST_T16(p##8) HOST_T16(p##9) HOST_T16(p##a) HOST_T16(p##b)            \
	HOST_T16(p##c) HOST_T16(p##d) HOST_T16(p##e) HOST_T16(p##f)
HOST_T256(0) HOST_T256(1) HOST_T256(2) HOST_T256(3)

#define HOST_PTR(n) host_tramp_##n,
#define HOST_P16(p) HOST_X16(HOST_PTR, p)
#define HOST_P256(p)                                                           \
	HOST_P16(p##0) HOST_P16(p##1) HOST_P16(p##2) HOST_P16(p##3)            \
	HOST_P16(p##4) HOST_P16(p##5) HOST_P16(p##6) HOST_P16(p##7)            \
	HOST_P16(p##8) HOST_P16(p##9) HOST_P16(p##a) HOST_P16(p##b)            \
	HOST_P16(p##c) HOST_P16(p##d) HOST_P16(p##e) HOST_P16(p##f)
static const uebpf_helper_fn host_tramps[UEBPF_MAX_HELPER_ID] = {
	HOST_P256(0) HOST_P256(1) HOST_P256(2) HOST_P256(3)
};

/* The runtime's copy of a host helper's prototype and name. */
struct host_helper {
	struct uebpf_helper_proto proto; /* first: freed through it */
	char name[];
};

static const char *const host_arg_names[] = {
	[UEBPF_HELPER_ARG_NONE] = "NONE",
	[UEBPF_HELPER_ARG_ANYTHING] = "ANYTHING",
	[UEBPF_HELPER_ARG_MAP] = "MAP",
	[UEBPF_HELPER_ARG_MAP_KEY] = "MAP_KEY",
	[UEBPF_HELPER_ARG_MAP_VALUE] = "MAP_VALUE",
	[UEBPF_HELPER_ARG_MEM] = "MEM",
	[UEBPF_HELPER_ARG_MEM_OR_NULL] = "MEM_OR_NULL",
	[UEBPF_HELPER_ARG_UNINIT_MEM] = "UNINIT_MEM",
	[UEBPF_HELPER_ARG_SIZE] = "SIZE",
	[UEBPF_HELPER_ARG_SIZE_OR_ZERO] = "SIZE_OR_ZERO",
	[UEBPF_HELPER_ARG_CTX] = "CTX",
};

/* The public argument kinds as the verifier's, checked as the kernel's
 * check_func_proto() checks a prototype: sizes right after memory,
 * memory always followed by its size, map keys and values after the map,
 * nothing after the first NONE.  Returns 0 or -EINVAL with the reason. */
static int host_proto(struct uebpf_runtime *rt, const char *name,
		      const struct uebpf_helper_opts *opts,
		      struct uebpf_helper_proto *p)
{
	enum uebpf_helper_ret ret = OPTS_GET(opts, ret, UEBPF_HELPER_RET_INTEGER);
	enum uebpf_helper_arg args[6] = { UEBPF_HELPER_ARG_NONE };
	bool has_map = false, ended = false;
	unsigned int i;

	if (OPTS_HAS(opts, args))
		memcpy(args, opts->args, sizeof(opts->args));
	memset(p, 0, sizeof(*p));
	p->flags = UEBPF_HELPER_XDP | UEBPF_HELPER_RAW;
	switch (ret) {
	case UEBPF_HELPER_RET_INTEGER:
		p->ret = UEBPF_RET_INTEGER;
		break;
	case UEBPF_HELPER_RET_VOID:
		p->ret = UEBPF_RET_VOID;
		break;
	default:
		pr_warn(rt, "uebpf_runtime_register_helper: %s: return kind %d is no enum uebpf_helper_ret\n",
			name, (int)ret);
		return -EINVAL;
	}
	for (i = 0; i < 5; i++) {
		enum uebpf_helper_arg a = args[i];
		enum uebpf_helper_arg prev = i ? args[i - 1] :
						 UEBPF_HELPER_ARG_NONE;
		const char *why = NULL;

		if ((unsigned int)a >= ARRAY_SIZE(host_arg_names)) {
			pr_warn(rt, "uebpf_runtime_register_helper: %s: argument %u: kind %d is no enum uebpf_helper_arg\n",
				name, i + 1, (int)a);
			return -EINVAL;
		}
		if (ended && a != UEBPF_HELPER_ARG_NONE)
			why = "follows NONE, which ends the arguments";
		switch (a) {
		case UEBPF_HELPER_ARG_NONE:
			ended = true;
			p->arg[i] = UEBPF_ARG_NONE;
			break;
		case UEBPF_HELPER_ARG_ANYTHING:
			p->arg[i] = UEBPF_ARG_ANYTHING;
			break;
		case UEBPF_HELPER_ARG_MAP:
			if (has_map)
				why = "is a second map: a helper takes one";
			has_map = true;
			p->arg[i] = UEBPF_ARG_CONST_MAP_PTR;
			break;
		case UEBPF_HELPER_ARG_MAP_KEY:
		case UEBPF_HELPER_ARG_MAP_VALUE:
			if (!has_map)
				why = "needs a MAP argument before it";
			p->arg[i] = a == UEBPF_HELPER_ARG_MAP_KEY ?
					    UEBPF_ARG_PTR_TO_MAP_KEY :
					    UEBPF_ARG_PTR_TO_MAP_VALUE;
			break;
		case UEBPF_HELPER_ARG_MEM:
		case UEBPF_HELPER_ARG_MEM_OR_NULL:
		case UEBPF_HELPER_ARG_UNINIT_MEM: {
			enum uebpf_helper_arg next = args[i + 1];

			if (next != UEBPF_HELPER_ARG_SIZE &&
			    next != UEBPF_HELPER_ARG_SIZE_OR_ZERO)
				why = "must be followed by its SIZE or SIZE_OR_ZERO";
			p->arg[i] = a == UEBPF_HELPER_ARG_MEM ?
					    UEBPF_ARG_PTR_TO_MEM :
				    a == UEBPF_HELPER_ARG_MEM_OR_NULL ?
					    UEBPF_ARG_PTR_TO_MEM_OR_NULL :
					    UEBPF_ARG_PTR_TO_UNINIT_MEM;
			break;
		}
		case UEBPF_HELPER_ARG_SIZE:
		case UEBPF_HELPER_ARG_SIZE_OR_ZERO:
			if (prev != UEBPF_HELPER_ARG_MEM &&
			    prev != UEBPF_HELPER_ARG_MEM_OR_NULL &&
			    prev != UEBPF_HELPER_ARG_UNINIT_MEM)
				why = "must come right after a MEM, MEM_OR_NULL or UNINIT_MEM argument";
			p->arg[i] = a == UEBPF_HELPER_ARG_SIZE ?
					    UEBPF_ARG_CONST_SIZE :
					    UEBPF_ARG_CONST_SIZE_OR_ZERO;
			break;
		case UEBPF_HELPER_ARG_CTX:
			p->arg[i] = UEBPF_ARG_PTR_TO_CTX;
			break;
		}
		if (why) {
			pr_warn(rt, "uebpf_runtime_register_helper: %s: argument %u (%s) %s\n",
				name, i + 1, host_arg_names[a], why);
			return -EINVAL;
		}
	}
	return 0;
}

int uebpf_runtime_register_helper(struct uebpf_runtime *rt, unsigned int id,
				  const char *name, uebpf_host_helper_fn fn,
				  const struct uebpf_helper_opts *opts)
{
	struct uebpf_helper *h;
	struct host_helper *hh;
	size_t len;
	int err;

	if (!rt)
		return -EINVAL;
	if (!fn || !name || !*name) {
		pr_warn(rt, "uebpf_runtime_register_helper: id %u: %s\n", id,
			!fn ? "fn is NULL" : "a helper needs a name");
		return -EINVAL;
	}
	if (!id || id >= UEBPF_MAX_HELPER_ID) {
		pr_warn(rt, "uebpf_runtime_register_helper: %s: id %u is outside 1..%d\n",
			name, id, UEBPF_MAX_HELPER_ID - 1);
		return -EINVAL;
	}
	if (!OPTS_VALID(rt, opts, uebpf_helper_opts, args))
		return -EINVAL;
	h = &rt->helpers[id];
	if (uebpf_helper_proto(id) || h->fn) {
		pr_warn(rt, "uebpf_runtime_register_helper: %s: id %u is already %s (%s)\n",
			name, id, h->host_fn ? "a host helper" : "a libuebpf helper",
			h->name ? h->name : uebpf_helper_name(id));
		return -EEXIST;
	}
	len = strnlen(name, 64);
	hh = calloc(1, sizeof(*hh) + len + 1);
	if (!hh)
		return -ENOMEM;
	memcpy(hh->name, name, len);
	err = host_proto(rt, hh->name, opts, &hh->proto);
	if (err) {
		free(hh);
		return err;
	}
	h->host_fn = fn;
	h->host_ctx = OPTS_GET(opts, ctx, NULL);
	h->name = hh->name;
	h->proto = &hh->proto;
	/* Last, and released: the validator takes fn != NULL as "exists". */
	__atomic_store_n(&h->fn, host_tramps[id], __ATOMIC_RELEASE);
	return 0;
}

void uebpf_helpers_fini(struct uebpf_runtime *rt)
{
	unsigned int id;

	for (id = 0; id < UEBPF_MAX_HELPER_ID; id++)
		if (rt->helpers[id].host_fn)
			free((void *)rt->helpers[id].proto);
}
