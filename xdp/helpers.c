/* SPDX-License-Identifier: MIT */
/*
 * The helpers that work on an XDP run's packet and verdict, with the
 * return codes of the kernel's (net/core/filter.c, checked against 6.18):
 *
 *  bpf_xdp_adjust_head/meta/tail   move data, data_meta, data_end inside
 *                                  the frame the host described
 *  bpf_xdp_get_buff_len, bpf_xdp_load_bytes, bpf_xdp_store_bytes
 *  bpf_redirect, bpf_redirect_map  record the target for the result
 *  bpf_fib_lookup, bpf_check_mtu   ask the host (uebpf_runtime_set_*)
 *
 * Frames are single-buffer (the kernel's "no frags" paths).  Where the
 * kernel reserves room at the ends of a frame we do too: the head keeps
 * sizeof(struct xdp_frame) (40 bytes on 64-bit kernels) free, since a
 * kernel converts the buffer to an xdp_frame there on XDP_REDIRECT and
 * XDP_TX; the tail reserve (skb_shared_info) is already outside our
 * frame_sz (include/uebpf/xdp.h), so the hard end is data_hard_start +
 * frame_sz.
 *
 * The helpers that take the context find it in ctx->xdp, the run's own
 * struct uebpf_xdp_ctx, not in r1: r1 is the same pointer for a verified
 * program, and cannot be anything else for a checked one.
 */
#include <sys/socket.h>

#include "../lib/internal.h"
#include "../maps/redirect.h"
#include "xdp.h"

/* sizeof(struct xdp_frame) on 64-bit kernels (BTF of 6.18, x86-64). */
#define XDP_FRAME_SZ 40
#define ETH_HLEN 14
/* xdp_metalen_invalid(): 4-byte multiples up to the largest value of
 * skb_shared_info.meta_len, a u8 since 6.7 (32 before). */
#define XDP_META_MAX 255
/* The device's L2 header bpf_check_mtu() adds to the MTU: Ethernet's
 * (and loopback's) dev->hard_header_len. */
#define MTU_HARD_HEADER_LEN ETH_HLEN
#define MTU_DEFAULT 1500

#ifndef BPF_FIB_LOOKUP_MARK
#define BPF_FIB_LOOKUP_MARK (1U << 5)
#endif
/* What bpf_xdp_fib_lookup() accepts (BPF_FIB_LOOKUP_MASK in 6.18). */
#define FIB_LOOKUP_FLAGS                                                       \
	(BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_OUTPUT |                       \
	 BPF_FIB_LOOKUP_SKIP_NEIGH | BPF_FIB_LOOKUP_TBID |                     \
	 BPF_FIB_LOOKUP_SRC | BPF_FIB_LOOKUP_MARK)

/* Programs the verifier proved safe pass what their prototype says; the
 * others have their pointer arguments checked (lib/helpers.c). */
#define ARGS_OK(id)                                                            \
	(likely(!ctx->prog || !ctx->prog->checked) ||                          \
	 uebpf_helper_args_ok(ctx, id, r1, r2, r3, r4, r5))

#define UNUSED_ARGS() (void)r1, (void)r2, (void)r3, (void)r4, (void)r5

static struct uebpf_xdp_ctx *xdp_of(struct uebpf_run_ctx *ctx)
{
	return ctx->xdp;
}

/* A checked run bounds packet accesses by regions[1] (xdp/run.c): it
 * follows the packet as the helpers move it. */
static void pkt_moved(struct uebpf_run_ctx *ctx, const struct uebpf_xdp_ctx *x)
{
	if (ctx->prog && ctx->prog->checked && ctx->nr_regions > 1) {
		ctx->regions[1].lo = (uintptr_t)x->data_meta;
		ctx->regions[1].hi = (uintptr_t)x->data_end;
	}
}

#define RET(v) ((uint64_t)(int64_t)(v))

/* ---- moving the packet's bounds ------------------------------------------ */

/* The packet's bounds as offsets from data_hard_start: frames are at most
 * 4 GiB and deltas 32-bit, so int64_t arithmetic never wraps and compares
 * as the kernel's pointers do. */
struct bounds {
	int64_t meta, data, end, frame_end;
};

static struct bounds bounds_of(const struct uebpf_xdp_ctx *x)
{
	uintptr_t hard = (uintptr_t)x->data_hard_start;

	return (struct bounds){
		.meta = (int64_t)((uintptr_t)x->data_meta - hard),
		.data = (int64_t)((uintptr_t)x->data - hard),
		.end = (int64_t)((uintptr_t)x->data_end - hard),
		.frame_end = x->frame_sz,
	};
}

static void *at(const struct uebpf_xdp_ctx *x, int64_t off)
{
	return (uint8_t *)x->data_hard_start + off;
}

/* bpf_xdp_adjust_head(ctx, delta): data moves by delta, the metadata with
 * it; data stays XDP_FRAME_SZ + metalen past the frame's start and
 * ETH_HLEN before data_end. */
static uint64_t helper_xdp_adjust_head(uint64_t r1, uint64_t r2, uint64_t r3,
				       uint64_t r4, uint64_t r5,
				       struct uebpf_run_ctx *ctx)
{
	struct uebpf_xdp_ctx *x = xdp_of(ctx);
	int64_t off = (int32_t)r2, metalen, nd;
	struct bounds b;

	UNUSED_ARGS();
	if (!x)
		return RET(-EINVAL);
	b = bounds_of(x);
	metalen = b.meta <= b.data ? b.data - b.meta : 0;
	nd = b.data + off;
	if (nd < XDP_FRAME_SZ + metalen || nd > b.end - ETH_HLEN)
		return RET(-EINVAL);
	if (metalen)
		memmove(at(x, b.meta + off), at(x, b.meta), (size_t)metalen);
	x->data_meta = at(x, b.meta + off);
	x->data = at(x, nd);
	pkt_moved(ctx, x);
	return 0;
}

/* bpf_xdp_adjust_meta(ctx, delta): data_meta moves by delta, within
 * [data_hard_start + XDP_FRAME_SZ, data], leaving a metadata area of a
 * multiple of 4 bytes up to 252. */
static uint64_t helper_xdp_adjust_meta(uint64_t r1, uint64_t r2, uint64_t r3,
				       uint64_t r4, uint64_t r5,
				       struct uebpf_run_ctx *ctx)
{
	struct uebpf_xdp_ctx *x = xdp_of(ctx);
	int64_t off = (int32_t)r2, nm, metalen;
	struct bounds b;

	UNUSED_ARGS();
	if (!x)
		return RET(-EINVAL);
	b = bounds_of(x);
	/* A buffer whose metadata the host does not support (data_meta past
	 * data, as the kernel's xdp_set_data_meta_invalid()): -ENOTSUPP. */
	if (b.meta > b.data)
		return RET(-ENOTSUPP_ERRNO);
	nm = b.meta + off;
	if (nm < XDP_FRAME_SZ || nm > b.data)
		return RET(-EINVAL);
	metalen = b.data - nm;
	if ((metalen & 3) || metalen > XDP_META_MAX)
		return RET(-EACCES);
	x->data_meta = at(x, nm);
	pkt_moved(ctx, x);
	return 0;
}

/* bpf_xdp_adjust_tail(ctx, delta): data_end moves by delta, at most to the
 * frame's end and at least ETH_HLEN past data; grown bytes are zeroed.
 * The kernel's other check, frame_sz <= PAGE_SIZE, is a driver sanity
 * check (WARN_ONCE) we leave out: a host's frames may be larger. */
static uint64_t helper_xdp_adjust_tail(uint64_t r1, uint64_t r2, uint64_t r3,
				       uint64_t r4, uint64_t r5,
				       struct uebpf_run_ctx *ctx)
{
	struct uebpf_xdp_ctx *x = xdp_of(ctx);
	int64_t off = (int32_t)r2, ne;
	struct bounds b;

	UNUSED_ARGS();
	if (!x)
		return RET(-EINVAL);
	b = bounds_of(x);
	ne = b.end + off;
	if (ne > b.frame_end || ne < b.data + ETH_HLEN)
		return RET(-EINVAL);
	if (off > 0)
		memset(at(x, b.end), 0, (size_t)off);
	x->data_end = at(x, ne);
	pkt_moved(ctx, x);
	return 0;
}

/* ---- reading and writing the packet ------------------------------------- */

static uint64_t helper_xdp_get_buff_len(uint64_t r1, uint64_t r2, uint64_t r3,
					uint64_t r4, uint64_t r5,
					struct uebpf_run_ctx *ctx)
{
	struct uebpf_xdp_ctx *x = xdp_of(ctx);

	UNUSED_ARGS();
	if (!x)
		return 0;
	return (uintptr_t)x->data_end - (uintptr_t)x->data;
}

/* bpf_xdp_pointer()'s checks: offsets and lengths above 0xffff are
 * -EFAULT, a range past the packet -EINVAL. */
static int xdp_range(const struct uebpf_xdp_ctx *x, uint32_t off, uint32_t len)
{
	if (off > 0xffff || len > 0xffff)
		return -EFAULT;
	if (off + len > (uintptr_t)x->data_end - (uintptr_t)x->data)
		return -EINVAL;
	return 0;
}

static uint64_t helper_xdp_load_bytes(uint64_t r1, uint64_t r2, uint64_t r3,
				      uint64_t r4, uint64_t r5,
				      struct uebpf_run_ctx *ctx)
{
	struct uebpf_xdp_ctx *x = xdp_of(ctx);
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;
	int err;

	if (!ARGS_OK(BPF_FUNC_xdp_load_bytes))
		return 0;
	if (!x)
		return RET(-EINVAL);
	/* On failure the buffer is left as it was, as in the kernel. */
	err = xdp_range(x, off, len);
	if (err)
		return RET(err);
	memcpy((void *)(uintptr_t)r3, (const uint8_t *)x->data + off, len);
	return 0;
}

static uint64_t helper_xdp_store_bytes(uint64_t r1, uint64_t r2, uint64_t r3,
				       uint64_t r4, uint64_t r5,
				       struct uebpf_run_ctx *ctx)
{
	struct uebpf_xdp_ctx *x = xdp_of(ctx);
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;
	int err;

	if (!ARGS_OK(BPF_FUNC_xdp_store_bytes))
		return 0;
	if (!x)
		return RET(-EINVAL);
	err = xdp_range(x, off, len);
	if (err)
		return RET(err);
	/* memmove: the source may be the packet itself. */
	memmove((uint8_t *)x->data + off, (const void *)(uintptr_t)r3, len);
	return 0;
}

/* ---- redirects -------------------------------------------------------------
 *
 * The kernel's struct bpf_redirect_info in our terms.  A successful call
 * replaces what an earlier one recorded.  A redirect_map() that finds no
 * entry leaves the state the kernel leaves (map_type UNSPEC, map_id
 * INT_MAX, tgt_index untouched): an ifindex redirect to the last target
 * index recorded, which is no target at all when nothing was (ifindex 0
 * names no device, so the kernel's xdp_do_redirect() fails: NONE).
 */

static uint32_t tgt_index(const struct uebpf_xdp_ctx *x)
{
	switch (x->redirect_kind) {
	case UEBPF_XDP_REDIRECT_IFINDEX:
		return x->redirect_ifindex;
	case UEBPF_XDP_REDIRECT_MAP:
		return x->redirect_key;
	default:
		return 0;
	}
}

static void set_ifindex_target(struct uebpf_xdp_ctx *x, uint32_t ifindex)
{
	x->redirect_kind = ifindex ? UEBPF_XDP_REDIRECT_IFINDEX :
				     UEBPF_XDP_REDIRECT_NONE;
	x->redirect_ifindex = ifindex;
	x->redirect_map = NULL;
	x->redirect_key = 0;
	x->redirect_flags = 0;
}

/* bpf_redirect(ifindex, flags), XDP flavour: no flags exist. */
static uint64_t helper_redirect(uint64_t r1, uint64_t r2, uint64_t r3,
				uint64_t r4, uint64_t r5,
				struct uebpf_run_ctx *ctx)
{
	struct uebpf_xdp_ctx *x = xdp_of(ctx);

	UNUSED_ARGS();
	if (r2 || !x)
		return XDP_ABORTED;
	set_ifindex_target(x, (uint32_t)r1);
	return XDP_REDIRECT;
}

#define XDP_ACTION_MASK (XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX)

/* bpf_redirect_map(map, key, flags): __bpf_xdp_redirect_map() of the
 * kernel.  The low two bits of flags are the verdict when key has no
 * entry; DEVMAP and DEVMAP_HASH also take BPF_F_BROADCAST (every entry,
 * the key unused) and BPF_F_EXCLUDE_INGRESS; any other bit is
 * XDP_ABORTED. */
static uint64_t helper_redirect_map(uint64_t r1, uint64_t r2, uint64_t r3,
				    uint64_t r4, uint64_t r5,
				    struct uebpf_run_ctx *ctx)
{
	struct uebpf_map *map = (struct uebpf_map *)(uintptr_t)r1;
	struct uebpf_xdp_ctx *x = xdp_of(ctx);
	uint32_t key = (uint32_t)r2, val[2] = { 0, 0 };
	uint64_t flags = r3, flag_mask = 0;
	bool found;

	if (!ARGS_OK(BPF_FUNC_redirect_map))
		return 0;
	if (!x)
		return XDP_ABORTED;
	switch (map->type) {
	case BPF_MAP_TYPE_DEVMAP:
	case BPF_MAP_TYPE_DEVMAP_HASH:
		flag_mask = BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS;
		break;
	case BPF_MAP_TYPE_CPUMAP:
	case BPF_MAP_TYPE_XSKMAP:
		break;
	default:
		/* The verifier refuses other maps; a checked run may not. */
		return XDP_ABORTED;
	}
	if (flags & ~(uint64_t)(XDP_ACTION_MASK | flag_mask))
		return XDP_ABORTED;
	found = map->value_size <= sizeof(val) &&
		!uebpf_redirect_lookup(map, key, val);
	if (!found && !(flags & BPF_F_BROADCAST)) {
		set_ifindex_target(x, tgt_index(x));
		return flags & XDP_ACTION_MASK;
	}
	x->redirect_kind = UEBPF_XDP_REDIRECT_MAP;
	x->redirect_map = map;
	x->redirect_key = key;
	x->redirect_ifindex = found && (map->type == BPF_MAP_TYPE_DEVMAP ||
					map->type == BPF_MAP_TYPE_DEVMAP_HASH) ?
				      val[0] :
				      0;
	x->redirect_flags = flags & BPF_F_BROADCAST ? flags : 0;
	return XDP_REDIRECT;
}

/* ---- asking the host ------------------------------------------------------ */

/* bpf_fib_lookup(ctx, params, plen, flags), XDP flavour: the kernel's
 * checks of plen, flags and family, then the host's routing table. */
static uint64_t helper_fib_lookup(uint64_t r1, uint64_t r2, uint64_t r3,
				  uint64_t r4, uint64_t r5,
				  struct uebpf_run_ctx *ctx)
{
	struct bpf_fib_lookup *params = (struct bpf_fib_lookup *)(uintptr_t)r2;
	const struct uebpf_runtime *rt = ctx->prog ? ctx->prog->rt : NULL;
	uint32_t flags = (uint32_t)r4;
	uebpf_fib_lookup_fn fn;

	if (!ARGS_OK(BPF_FUNC_fib_lookup))
		return 0;
	if ((int32_t)r3 < (int32_t)sizeof(*params))
		return RET(-EINVAL);
	if (flags & ~FIB_LOOKUP_FLAGS)
		return RET(-EINVAL);
	if (params->family != AF_INET && params->family != AF_INET6)
		return RET(-EAFNOSUPPORT);
	fn = rt ? rt->fib_lookup_fn : NULL;
	if (!fn)
		return BPF_FIB_LKUP_RET_NOT_FWDED;
	return RET(fn(rt->fib_lookup_ctx, params, flags));
}

/* The MTU of ifindex (0: the run's ingress device), or -ENODEV. */
static int dev_mtu(const struct uebpf_runtime *rt,
		   const struct uebpf_xdp_ctx *x, uint32_t ifindex)
{
	int mtu;

	if (!rt || !rt->mtu_fn)
		return MTU_DEFAULT;
	mtu = rt->mtu_fn(rt->mtu_ctx, ifindex ? ifindex : x->ingress_ifindex);
	return mtu < 0 ? -ENODEV : mtu;
}

/* bpf_check_mtu(ctx, ifindex, &mtu_len, len_diff, flags), XDP flavour:
 * the packet (or *mtu_len + the L2 header, when *mtu_len is set) plus
 * len_diff against the device's MTU plus its L2 header; *mtu_len gets the
 * MTU.  No flag is valid (BPF_MTU_CHK_SEGS is the skb flavour's).  A call
 * that fails (-EINVAL, -ENODEV) leaves *mtu_len alone, as 6.18 does. */
static uint64_t helper_check_mtu(uint64_t r1, uint64_t r2, uint64_t r3,
				 uint64_t r4, uint64_t r5,
				 struct uebpf_run_ctx *ctx)
{
	struct uebpf_xdp_ctx *x = xdp_of(ctx);
	uint32_t *mtu_len = (uint32_t *)(uintptr_t)r3;
	int32_t len_diff = (int32_t)r4;
	int ret = BPF_MTU_CHK_RET_SUCCESS, mtu;
	int32_t len;

	if (!ARGS_OK(BPF_FUNC_check_mtu))
		return 0;
	if (!x || r5)
		return RET(-EINVAL);
	mtu = dev_mtu(ctx->prog ? ctx->prog->rt : NULL, x, (uint32_t)r2);
	if (mtu < 0)
		return RET(mtu);
	/* The kernel's int arithmetic, wrapping as it does. */
	len = *mtu_len ? (int32_t)(*mtu_len + MTU_HARD_HEADER_LEN) :
			 (int32_t)((uintptr_t)x->data_end - (uintptr_t)x->data);
	len = (int32_t)((uint32_t)len + (uint32_t)len_diff);
	if (len > mtu + MTU_HARD_HEADER_LEN)
		ret = BPF_MTU_CHK_RET_FRAG_NEEDED;
	*mtu_len = (uint32_t)mtu;
	return RET(ret);
}

void uebpf_xdp_helpers_init(struct uebpf_runtime *rt)
{
	rt->helpers[BPF_FUNC_redirect].fn = helper_redirect;
	rt->helpers[BPF_FUNC_xdp_adjust_head].fn = helper_xdp_adjust_head;
	rt->helpers[BPF_FUNC_redirect_map].fn = helper_redirect_map;
	rt->helpers[BPF_FUNC_xdp_adjust_meta].fn = helper_xdp_adjust_meta;
	rt->helpers[BPF_FUNC_xdp_adjust_tail].fn = helper_xdp_adjust_tail;
	rt->helpers[BPF_FUNC_fib_lookup].fn = helper_fib_lookup;
	rt->helpers[BPF_FUNC_check_mtu].fn = helper_check_mtu;
	rt->helpers[BPF_FUNC_xdp_get_buff_len].fn = helper_xdp_get_buff_len;
	rt->helpers[BPF_FUNC_xdp_load_bytes].fn = helper_xdp_load_bytes;
	rt->helpers[BPF_FUNC_xdp_store_bytes].fn = helper_xdp_store_bytes;
}
