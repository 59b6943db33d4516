/* SPDX-License-Identifier: MIT */
/*
 * libuebpf: running XDP programs on packet buffers the host owns.
 * Included by uebpf.h; do not include it on its own.
 *
 * The host describes a buffer as the kernel's xdp_buff does: headroom
 * before the packet (data_hard_start .. data), an optional metadata area
 * right before data (data_meta .. data), the packet (data .. data_end) and
 * tailroom up to data_hard_start + frame_sz.  A verified XDP program runs
 * on it in place: bpf_xdp_adjust_head/meta/tail move the bounds within
 * that frame, exactly where the kernel lets them move, and the result
 * gives the new bounds, the verdict and, for XDP_REDIRECT, the target.
 * The library never sends a packet anywhere: the host does what the
 * verdict says (ARCHITECTURE.md, key decision 6).
 */
#ifndef UEBPF_XDP_PUBLIC_H
#define UEBPF_XDP_PUBLIC_H

/* ---- buffers and results ------------------------------------------------ */

/* The headroom the kernel gives every XDP frame (XDP_PACKET_HEADROOM). */
#define UEBPF_XDP_HEADROOM 256

struct uebpf_xdp_buff {
	size_t sz;
	/* Start of the frame: the headroom begins here.  NULL means the
	 * packet has no headroom (data_hard_start = data). */
	void *data_hard_start;
	/* The packet: [data, data_end). */
	void *data;
	void *data_end;
	/* Start of the metadata, in [data_hard_start, data]; NULL means no
	 * metadata yet (data_meta = data). */
	void *data_meta;
	/* Bytes from data_hard_start the frame may use, tailroom included;
	 * 0 means the frame ends at data_end (no tailroom).  Unlike the
	 * kernel's xdp_buff.frame_sz this does not count the skb_shared_info
	 * reserve at the end of a kernel frame: a kernel frame of frame_sz K
	 * behaves as a libuebpf frame of K - 320 (on x86-64). */
	uint32_t frame_sz;
	/* What the program reads as xdp_md.ingress_ifindex,
	 * rx_queue_index and (BPF_XDP_DEVMAP programs) egress_ifindex. */
	uint32_t ingress_ifindex;
	uint32_t rx_queue_index;
	uint32_t egress_ifindex;
};

/* What an XDP_REDIRECT verdict names, in struct uebpf_xdp_result. */
enum uebpf_xdp_redirect_kind {
	/* No target: the program returned XDP_REDIRECT without a successful
	 * bpf_redirect()/bpf_redirect_map() in this run.  The kernel drops
	 * such a packet (xdp_do_redirect() fails). */
	UEBPF_XDP_REDIRECT_NONE = 0,
	/* bpf_redirect(ifindex, 0): redirect.ifindex. */
	UEBPF_XDP_REDIRECT_IFINDEX,
	/* bpf_redirect_map(map, key, flags): redirect.map and redirect.key
	 * (a DEVMAP/DEVMAP_HASH slot, an XSKMAP queue, a CPUMAP cpu); for
	 * DEVMAP and DEVMAP_HASH, redirect.ifindex is the entry's device.
	 * With BPF_F_BROADCAST in redirect.flags the packet goes to every
	 * device of the map (but the ingress one with
	 * BPF_F_EXCLUDE_INGRESS) and the key is not used. */
	UEBPF_XDP_REDIRECT_MAP,
};

struct uebpf_xdp_result {
	size_t sz;
	/* The verdict: XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX or
	 * XDP_REDIRECT.  A program returning anything else gets XDP_ABORTED
	 * here, as the kernel's drivers treat it (bpf_warn_invalid_xdp_action),
	 * and a warning in the log, once per program. */
	uint32_t action;
	/* The program's return value as it was (what BPF_PROG_TEST_RUN
	 * reports as retval). */
	uint32_t retval;
	/* 0, or the negative errno that stopped the run (then action is
	 * XDP_ABORTED): in a batch, each buffer's own outcome. */
	int err;
	/* The packet after the run: data_hard_start and frame_sz do not
	 * change; data, data_end and data_meta may (data_meta == data: no
	 * metadata). */
	void *data;
	void *data_end;
	void *data_meta;
	/* The target of an XDP_REDIRECT (kind NONE for other verdicts). */
	struct {
		enum uebpf_xdp_redirect_kind kind;
		uint32_t ifindex;
		/* Not a new reference: valid as long as the program is. */
		struct uebpf_map *map;
		uint32_t key;
		uint64_t flags;
	} redirect;
};

/*
 * Run a loaded (verified) XDP program on one buffer, in place.  Returns
 * the verdict (also in result->action), or a negative errno: -EINVAL for
 * a program that is not a verified XDP program, a result whose sz is
 * unset, or a buffer the kernel would never run XDP on (bounds out of
 * order or outside the frame, a packet shorter than ETH_HLEN (14 bytes)
 * as BPF_PROG_TEST_RUN refuses, metadata that is not a multiple of 4
 * bytes or longer than 252), each logged with its reason; and whatever
 * error stopped the run (-ETIMEDOUT past the instruction budget).  result
 * may be NULL; only its fields that fit in result->sz are written.
 */
UEBPF_API int uebpf_xdp_run(struct uebpf_prog *prog,
			    const struct uebpf_xdp_buff *buf,
			    struct uebpf_xdp_result *result);

/*
 * Run prog on n buffers in order, results[i] receiving buffer i's result.
 * Each array's stride is its elements' sz (the caller's struct size), the
 * same for every element.  A buffer that fails does not stop the batch:
 * its result has err set and action XDP_ABORTED.  Returns n, or a negative
 * errno when nothing ran (-EINVAL: not a verified XDP program, bufs NULL
 * with n > 0, elements whose sz differ).  results may be NULL.
 */
UEBPF_API int uebpf_xdp_run_batch(struct uebpf_prog *prog,
				  const struct uebpf_xdp_buff *bufs, size_t n,
				  struct uebpf_xdp_result *results);

/* ---- the attach point ------------------------------------------------------ */

/*
 * An XDP hook stands for a device's XDP attach point: it holds one program
 * (or none) that uebpf_xdp_hook_run() runs.  uebpf_xdp_hook_attach() swaps
 * it atomically while workers run packets through the hook: a packet
 * already running finishes on the program it started with, and the hook's
 * reference to the old program is dropped once no worker can still be
 * running it.
 */
struct uebpf_xdp_hook;

UEBPF_API struct uebpf_xdp_hook *uebpf_xdp_hook_new(struct uebpf_runtime *rt);
/* Detaches the program and frees the hook; no worker may be using it. */
UEBPF_API void uebpf_xdp_hook_free(struct uebpf_xdp_hook *hook);

struct uebpf_xdp_hook_attach_opts {
	size_t sz;
	/* As XDP_FLAGS_REPLACE with old_prog_fd: attach only if this is the
	 * program attached now (NULL: only if none is), else -EEXIST. */
	struct uebpf_prog *expected_prog;
	_Bool replace; /* expected_prog is meaningful */
};

/* Attach prog (a verified XDP program of the hook's runtime, not one
 * loaded for BPF_XDP_DEVMAP or BPF_XDP_CPUMAP: -EINVAL; the hook takes a
 * reference), or detach with prog NULL.  -EEXIST when opts->replace and
 * the program attached is not opts->expected_prog. */
UEBPF_API int
uebpf_xdp_hook_attach(struct uebpf_xdp_hook *hook, struct uebpf_prog *prog,
		      const struct uebpf_xdp_hook_attach_opts *opts);
/* The program attached now, with a new reference the caller puts with
 * uebpf_prog_free(); NULL when none. */
UEBPF_API struct uebpf_prog *uebpf_xdp_hook_prog(struct uebpf_xdp_hook *hook);
/* As uebpf_xdp_run() on the program attached now; with none attached
 * every packet passes (XDP_PASS), unchanged, as on a device without XDP.
 * A batch runs all its buffers on one program, as a driver's NAPI poll. */
UEBPF_API int uebpf_xdp_hook_run(struct uebpf_xdp_hook *hook,
				 const struct uebpf_xdp_buff *buf,
				 struct uebpf_xdp_result *result);
UEBPF_API int uebpf_xdp_hook_run_batch(struct uebpf_xdp_hook *hook,
				       const struct uebpf_xdp_buff *bufs,
				       size_t n,
				       struct uebpf_xdp_result *results);

/* ---- run statistics ------------------------------------------------------- */

/* As the kernel's kernel.bpf_stats_enabled: off by default (they cost two
 * clock reads per run).  Counting starts when turned on; turning it off
 * keeps the counts.  Every run counts: uebpf_xdp_run(), each buffer of a
 * batch that ran, hook runs, uebpf_prog_run(). */
UEBPF_API void uebpf_runtime_enable_stats(struct uebpf_runtime *rt,
					  _Bool on);

struct uebpf_prog_stats {
	size_t sz;
	uint64_t run_cnt;     /* runs counted while stats were on */
	uint64_t run_time_ns; /* their total time */
};

/* The program's counters, summed over every worker's CPU slot; only the
 * fields that fit in stats->sz are written. */
UEBPF_API int uebpf_prog_get_stats(const struct uebpf_prog *prog,
				   struct uebpf_prog_stats *stats);

/* ---- host callbacks ------------------------------------------------------- */

/*
 * bpf_fib_lookup(): the host answers with its own routing table.  The
 * helper first makes the kernel's checks (plen below sizeof(struct
 * bpf_fib_lookup) or flags outside BPF_FIB_LOOKUP_DIRECT, _OUTPUT,
 * _SKIP_NEIGH, _TBID, _SRC and _MARK: -EINVAL; a family other than
 * AF_INET and AF_INET6: -EAFNOSUPPORT); then fn gets the program's struct
 * bpf_fib_lookup (linux/bpf.h) to read and fill in, and the flags; it
 * returns a BPF_FIB_LKUP_RET_* code or a negative errno, which the helper
 * returns to the program.  Without a callback every lookup answers
 * BPF_FIB_LKUP_RET_NOT_FWDED, as a host with no route.  fn NULL removes
 * the callback.
 */
struct bpf_fib_lookup;
typedef int (*uebpf_fib_lookup_fn)(void *ctx, struct bpf_fib_lookup *params,
				   uint32_t flags);
UEBPF_API void uebpf_runtime_set_fib_lookup(struct uebpf_runtime *rt,
					    uebpf_fib_lookup_fn fn, void *ctx);

/*
 * bpf_check_mtu() and the MTU the host's devices have: fn returns the MTU
 * of ifindex (the program's 0 arrives as the run's ingress_ifindex), or a
 * negative errno for no such device (the helper then returns -ENODEV).
 * Every device has an Ethernet header (dev->hard_header_len 14).  Without
 * a callback every device has MTU 1500.  fn NULL removes the callback.
 */
typedef int (*uebpf_mtu_fn)(void *ctx, uint32_t ifindex);
UEBPF_API void uebpf_runtime_set_mtu(struct uebpf_runtime *rt,
				     uebpf_mtu_fn fn, void *ctx);

/* ---- host helpers --------------------------------------------------------- */

/* Argument and return kinds of a host helper, checked by the verifier as
 * the kernel checks struct bpf_func_proto. */
enum uebpf_helper_arg {
	UEBPF_HELPER_ARG_NONE = 0,   /* no more arguments */
	UEBPF_HELPER_ARG_ANYTHING,   /* any initialised scalar */
	UEBPF_HELPER_ARG_MAP,	     /* a map the program refers to */
	UEBPF_HELPER_ARG_MAP_KEY,    /* key_size readable bytes (after MAP) */
	UEBPF_HELPER_ARG_MAP_VALUE,  /* value_size readable bytes */
	UEBPF_HELPER_ARG_MEM,	     /* readable memory; size in the next */
	UEBPF_HELPER_ARG_MEM_OR_NULL, /* same, or NULL with size 0 */
	UEBPF_HELPER_ARG_UNINIT_MEM, /* writable memory; size in the next */
	UEBPF_HELPER_ARG_SIZE,	     /* the previous argument's size, > 0 */
	UEBPF_HELPER_ARG_SIZE_OR_ZERO, /* the same, >= 0 */
	UEBPF_HELPER_ARG_CTX,	     /* the program's context */
};

enum uebpf_helper_ret {
	UEBPF_HELPER_RET_INTEGER = 0, /* a 64-bit scalar */
	UEBPF_HELPER_RET_VOID,	      /* nothing the program may read */
};

/* A host helper gets r1..r5 as the program passed them (pointers as
 * addresses; a CTX argument is the library's own context, which the host
 * must not dereference) and opts->ctx; it returns r0. */
typedef uint64_t (*uebpf_host_helper_fn)(uint64_t r1, uint64_t r2,
					 uint64_t r3, uint64_t r4, uint64_t r5,
					 void *ctx);

struct uebpf_helper_opts {
	size_t sz;
	/* Passed to fn as ctx. */
	void *ctx;
	enum uebpf_helper_ret ret;
	enum uebpf_helper_arg args[5];
};

/*
 * Register fn as helper id for programs loaded from now on.  id must not be
 * one libuebpf implements or registered already (-EEXIST) and is 1..1023
 * (-EINVAL): a kernel helper id libuebpf lacks, or one of the host's own
 * above the kernel's (__BPF_FUNC_MAX_ID).  opts->args must pair every MEM,
 * MEM_OR_NULL or UNINIT_MEM with the SIZE or SIZE_OR_ZERO right after it
 * and put MAP before MAP_KEY and MAP_VALUE (-EINVAL, with the reason
 * logged); opts NULL: no arguments, an integer result.  name (copied, up
 * to 64 bytes) is what logs call it.  Not thread-safe against loads on
 * the same runtime.
 */
UEBPF_API int uebpf_runtime_register_helper(struct uebpf_runtime *rt,
					    unsigned int id, const char *name,
					    uebpf_host_helper_fn fn,
					    const struct uebpf_helper_opts *opts);

#endif /* UEBPF_XDP_PUBLIC_H */
