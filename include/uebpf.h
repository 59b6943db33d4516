/* SPDX-License-Identifier: MIT */
/*
 * libuebpf: run unmodified eBPF programs (XDP first) in user space.
 *
 * This is the only header a host includes.  Conventions:
 *  - functions returning int return 0 (or a non-negative value) on success
 *    and a negative errno on failure;
 *  - functions returning a pointer return NULL and set errno on failure;
 *  - options structs start with `size_t sz` and are declared with
 *    UEBPF_OPTS(); the library reads only the fields that fit in sz and
 *    rejects a struct whose bytes beyond the fields it knows are not zero;
 *  - human-readable detail goes to the runtime's log callback, the
 *    verifier's log to the log_buf a caller passes at load time.
 * See uebpf(7).
 */
#ifndef UEBPF_H
#define UEBPF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/bpf.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UEBPF_API __attribute__((visibility("default")))

#define UEBPF_VERSION_MAJOR 0
#define UEBPF_VERSION_MINOR 1
#define UEBPF_VERSION_PATCH 0

/*
 * Declare and zero an options struct, set its sz and any named fields:
 *   UEBPF_OPTS(uebpf_prog_load_opts, opts, .log_level = 1);
 */
#define UEBPF_OPTS(TYPE, NAME, ...)                                            \
	struct TYPE NAME = ({                                                  \
		memset(&NAME, 0, sizeof(struct TYPE));                         \
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ };       \
	})

struct uebpf_runtime;
struct uebpf_prog;
struct uebpf_map;

/* Version of the library actually loaded, as "0.1.0". */
UEBPF_API const char *uebpf_version(void);

/* ---- runtime ---------------------------------------------------------- */

enum uebpf_log_level {
	UEBPF_LOG_WARN = 0,
	UEBPF_LOG_INFO = 1,
	UEBPF_LOG_DEBUG = 2,
};

typedef void (*uebpf_log_fn)(enum uebpf_log_level level, const char *msg,
			     void *ctx);

struct uebpf_runtime_opts {
	size_t sz;
	/* Number of CPU slots (workers); 0 means the number of online CPUs. */
	unsigned int nr_cpus;
	/* Receives every message of level <= log_level (default: warnings
	 * only); NULL writes them to stderr. */
	uebpf_log_fn log_fn;
	void *log_ctx;
	enum uebpf_log_level log_level;
	/* Do not log anything, not even warnings to stderr. */
	_Bool log_quiet;
	/* Bytes all maps of this runtime may use together; 0: no limit.  A
	 * map creation or allocation past it fails with -ENOMEM. */
	uint64_t mem_limit;
};

UEBPF_API struct uebpf_runtime *
uebpf_runtime_new(const struct uebpf_runtime_opts *opts);
UEBPF_API void uebpf_runtime_free(struct uebpf_runtime *rt);
UEBPF_API unsigned int uebpf_runtime_nr_cpus(const struct uebpf_runtime *rt);

/* Per-CPU means per worker: the calling thread runs programs and per-CPU
 * map operations as CPU slot cpu (< nr_cpus) from now on; a thread that
 * never binds is slot 0.  Returns 0 or -EINVAL. */
UEBPF_API int uebpf_worker_bind(struct uebpf_runtime *rt, unsigned int cpu);
/* The calling thread's CPU slot. */
UEBPF_API unsigned int uebpf_worker_cpu(void);

/* ---- programs --------------------------------------------------------- */

/*
 * Program types.  The kernel's enum bpf_prog_type is used as it is; in
 * addition BPF_PROG_TYPE_UNSPEC means a "raw" program that uebpf_prog_run()
 * calls with r1 = memory and r2 = its length, as the BPF conformance suite
 * expects.
 */

/* The engine that runs a program (struct uebpf_prog_load_opts.engine,
 * uebpf_prog_engine()). */
enum uebpf_engine {
	/* The x86-64 JIT where the library was built for x86-64, the
	 * interpreter elsewhere; the environment variable UEBPF_ENGINE
	 * (interp or jit) changes this default for runtimes made after it
	 * is set.  A program with an insn_budget, a program in debug mode,
	 * and a raw (unverified) program using tail calls, bpf_loop or
	 * callbacks run in the interpreter. */
	UEBPF_ENGINE_DEFAULT = 0,
	UEBPF_ENGINE_INTERP = 1,
	/* The JIT or a failed load (EOPNOTSUPP with the reason logged). */
	UEBPF_ENGINE_JIT = 2,
};

struct uebpf_prog_load_opts {
	size_t sz;
	/* Program name (for logs and tools); copied. */
	const char *name;
	/* Verifier / validator log, as in the kernel's bpf_prog_load(). */
	char *log_buf;
	size_t log_size;
	unsigned int log_level;
	/* Maximum number of instructions one run may execute; 0: unlimited.
	 * A run that exceeds it stops and returns -ETIMEDOUT. */
	uint64_t insn_budget;
	/* As the kernel's expected_attach_type: BPF_XDP_DEVMAP lets an XDP
	 * program read xdp_md.egress_ifindex.  0 (BPF_CGROUP_INET_INGRESS)
	 * is the plain attach point of the type. */
	enum bpf_attach_type expected_attach_type;
	/* Interpreter or JIT; see enum uebpf_engine. */
	enum uebpf_engine engine;
	/* JIT only: constant blinding.  Every immediate operand is emitted
	 * XORed with a random key and decoded at run time, so the program's
	 * constants never appear in executable memory (for programs from
	 * untrusted sources, as the kernel's bpf_jit_harden). */
	_Bool jit_blinding;
};

UEBPF_API struct uebpf_prog *
uebpf_prog_load(struct uebpf_runtime *rt, enum bpf_prog_type type,
		const struct bpf_insn *insns, size_t insn_cnt,
		const struct uebpf_prog_load_opts *opts);
UEBPF_API void uebpf_prog_free(struct uebpf_prog *prog);

/* Run a raw program with r1 = mem and r2 = len; *retval receives r0. */
UEBPF_API int uebpf_prog_run(struct uebpf_prog *prog, void *mem, size_t len,
			     uint64_t *retval);

UEBPF_API const char *uebpf_prog_name(const struct uebpf_prog *prog);
UEBPF_API enum bpf_prog_type uebpf_prog_type(const struct uebpf_prog *prog);
UEBPF_API size_t uebpf_prog_insn_cnt(const struct uebpf_prog *prog);
/* The program's id, unique in its runtime: what a PROG_ARRAY takes. */
UEBPF_API uint32_t uebpf_prog_id(const struct uebpf_prog *prog);
/* The engine its runs use: UEBPF_ENGINE_JIT or UEBPF_ENGINE_INTERP. */
UEBPF_API enum uebpf_engine uebpf_prog_engine(const struct uebpf_prog *prog);
/* Bytes of machine code the JIT made for it, 0 when interpreted. */
UEBPF_API size_t uebpf_prog_jited_len(const struct uebpf_prog *prog);

/* The program as it runs (verified, context accesses rewritten), one line
 * per instruction as `bpftool prog dump xlated` prints it:
 * "   0: (61) r2 = *(u32 *)(r1 +0)".  Writes at most size bytes, always
 * NUL-terminated when size > 0, and returns the length of the whole text,
 * as snprintf() does (buf NULL with size 0 asks for it), or -EINVAL. */
UEBPF_API int uebpf_prog_dump_xlated(const struct uebpf_prog *prog, char *buf,
				     size_t size);

/* ---- maps -------------------------------------------------------------- */

/*
 * Maps follow the kernel's semantics flag by flag and error by error; the
 * names follow libbpf's.  Where the kernel takes a file descriptor in a
 * value (map-in-map, PROG_ARRAY, DEVMAP/CPUMAP programs), libuebpf takes
 * the object's id: uebpf_map_id() or uebpf_prog_id().  Per-CPU maps take
 * and return, on the host side, nr_cpus values each rounded up to 8 bytes.
 */

struct uebpf_map_create_opts {
	size_t sz;
	uint32_t map_flags;	  /* BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, ... */
	struct uebpf_map *inner_map; /* template of map-in-map values */
	uint64_t map_extra;	  /* as the kernel's map_extra */
	uint32_t numa_node;	  /* accepted and ignored */
};

UEBPF_API struct uebpf_map *
uebpf_map_create(struct uebpf_runtime *rt, enum bpf_map_type type,
		 const char *name, uint32_t key_size, uint32_t value_size,
		 uint32_t max_entries, const struct uebpf_map_create_opts *opts);
/* References: create returns one; get takes another, put drops one and
 * frees the map with the last. */
UEBPF_API struct uebpf_map *uebpf_map_get(struct uebpf_map *map);
UEBPF_API struct uebpf_map *uebpf_map_get_by_id(struct uebpf_runtime *rt,
						uint32_t id);
UEBPF_API void uebpf_map_put(struct uebpf_map *map);

UEBPF_API int uebpf_map_lookup_elem(struct uebpf_map *map, const void *key,
				    void *value);
UEBPF_API int uebpf_map_lookup_elem_flags(struct uebpf_map *map,
					  const void *key, void *value,
					  uint64_t flags);
UEBPF_API int uebpf_map_update_elem(struct uebpf_map *map, const void *key,
				    const void *value, uint64_t flags);
UEBPF_API int uebpf_map_delete_elem(struct uebpf_map *map, const void *key);
UEBPF_API int uebpf_map_get_next_key(struct uebpf_map *map, const void *key,
				     void *next_key);
UEBPF_API int uebpf_map_lookup_and_delete_elem(struct uebpf_map *map,
					       const void *key, void *value);
UEBPF_API int uebpf_map_freeze(struct uebpf_map *map);

struct uebpf_map_batch_opts {
	size_t sz;
	uint64_t elem_flags;
	uint64_t flags;
};

/* As the kernel's BPF_MAP_*_BATCH: *count is in/out; in_batch NULL starts
 * at the beginning, out_batch receives the position to continue from, and
 * -ENOENT says the end was reached (with *count the entries returned). */
UEBPF_API int uebpf_map_lookup_batch(struct uebpf_map *map, void *in_batch,
				     void *out_batch, void *keys,
				     void *values, uint32_t *count,
				     const struct uebpf_map_batch_opts *opts);
UEBPF_API int uebpf_map_lookup_and_delete_batch(
	struct uebpf_map *map, void *in_batch, void *out_batch, void *keys,
	void *values, uint32_t *count, const struct uebpf_map_batch_opts *opts);
UEBPF_API int uebpf_map_update_batch(struct uebpf_map *map, const void *keys,
				     const void *values, uint32_t *count,
				     const struct uebpf_map_batch_opts *opts);
UEBPF_API int uebpf_map_delete_batch(struct uebpf_map *map, const void *keys,
				     uint32_t *count,
				     const struct uebpf_map_batch_opts *opts);

UEBPF_API const char *uebpf_map_name(const struct uebpf_map *map);
UEBPF_API enum bpf_map_type uebpf_map_type(const struct uebpf_map *map);
UEBPF_API uint32_t uebpf_map_key_size(const struct uebpf_map *map);
UEBPF_API uint32_t uebpf_map_value_size(const struct uebpf_map *map);
UEBPF_API uint32_t uebpf_map_max_entries(const struct uebpf_map *map);
UEBPF_API uint32_t uebpf_map_flags(const struct uebpf_map *map);
UEBPF_API uint32_t uebpf_map_id(const struct uebpf_map *map);
UEBPF_API const char *uebpf_map_type_name(enum bpf_map_type type);

/* BPF_MAP_TYPE_RINGBUF: consume the submitted records in order, as libbpf's
 * ring_buffer__consume() does; fn returning non-zero stops early.  Returns
 * the number of records consumed or a negative errno. */
typedef int (*uebpf_ringbuf_fn)(void *ctx, void *data, size_t size);
UEBPF_API int uebpf_ringbuf_consume(struct uebpf_map *map, uebpf_ringbuf_fn fn,
				    void *ctx);

/* BPF_MAP_TYPE_PERF_EVENT_ARRAY: bpf_perf_event_output() calls fn with the
 * CPU slot index the record was written to.  Without a callback the helper
 * returns -ENOENT, as the kernel does for an index with no perf event. */
typedef void (*uebpf_perf_event_fn)(void *ctx, unsigned int cpu, void *data,
				    uint32_t size);
UEBPF_API int uebpf_perf_event_array_set_callback(struct uebpf_map *map,
						  uebpf_perf_event_fn fn,
						  void *ctx);

/* Names of kernel constants, for messages: "bpf_ktime_get_ns", "XDP";
 * NULL for an id the kernel header does not name. */
UEBPF_API const char *uebpf_helper_name(unsigned int helper_id);
UEBPF_API const char *uebpf_prog_type_name(enum bpf_prog_type type);

#include "uebpf/object.h"
#include "uebpf/xdp.h"

#ifdef __cplusplus
}
#endif
#endif /* UEBPF_H */
