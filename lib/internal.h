/* SPDX-License-Identifier: MIT */
/* Private declarations shared by lib/, vm/, maps/ and xdp/. */
#ifndef UEBPF_INTERNAL_H
#define UEBPF_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <pthread.h>
#include <time.h>

#include "uebpf.h"
#include "epoch.h"

#define UEBPF_HIDDEN __attribute__((visibility("hidden")))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---- constants the 6.1 UAPI header of Debian 12 may lack ------------- */
#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80
#endif
#ifndef BPF_JCOND
#define BPF_JCOND 0xe0
#endif

/* Kernel limits the runtime shares. */
#define UEBPF_STACK_SIZE 512	  /* bytes per frame (MAX_BPF_STACK) */
#define UEBPF_MAX_CALL_FRAMES 8	  /* MAX_CALL_FRAMES */
#define UEBPF_MAX_INSNS 1000000	  /* BPF_COMPLEXITY_LIMIT_INSNS */
#define UEBPF_MAX_HELPER_ID 1024  /* size of the helper table */

/* ---- options ------------------------------------------------------------ */

/* True when opts is NULL or its sz is sane and every byte past the fields
 * this build knows (known_sz) is zero.  Logs the reason otherwise. */
bool uebpf_opts_valid(struct uebpf_runtime *rt, const void *opts,
		      size_t known_sz, const char *type_name) UEBPF_HIDDEN;

#define offsetofend(type, field)                                               \
	(offsetof(type, field) + sizeof(((type *)0)->field))
/* Bytes past sizeof(struct type) must be zero: a newer caller's fields
 * this build does not know.  The struct's own tail padding is not checked
 * (C leaves it undefined in an initialised struct), so a new field always
 * starts at or after the previous version's sizeof.  last_field names the
 * last field this build knows, for the reader. */
#define OPTS_VALID(rt, opts, type, last_field)                                 \
	uebpf_opts_valid(rt, opts, sizeof(struct type), #type)
#define OPTS_HAS(opts, field)                                                  \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) +        \
				       sizeof((opts)->field))
#define OPTS_GET(opts, field, fallback)                                        \
	(OPTS_HAS(opts, field) ? (opts)->field : (fallback))

/* ---- logging -------------------------------------------------------------- */

void uebpf_log(const struct uebpf_runtime *rt, enum uebpf_log_level level,
	       const char *fmt, ...) UEBPF_HIDDEN
	__attribute__((format(printf, 3, 4)));
#define pr_warn(rt, ...) uebpf_log(rt, UEBPF_LOG_WARN, __VA_ARGS__)
#define pr_info(rt, ...) uebpf_log(rt, UEBPF_LOG_INFO, __VA_ARGS__)
#define pr_debug(rt, ...) uebpf_log(rt, UEBPF_LOG_DEBUG, __VA_ARGS__)

/* A caller-supplied log buffer (log_buf/log_size/log_level), always kept
 * NUL-terminated; what does not fit is dropped and remembered. */
struct uebpf_vlog {
	char *buf;
	size_t size;
	size_t len;
	unsigned int level;
	bool truncated;
	/* Set while printing traces (instructions, states), which are not
	 * the message that explains a failure. */
	bool tracing;
	/* The first message, kept whatever the level, for the host's log. */
	char first[256];
};

void uebpf_vlog_printf(struct uebpf_vlog *log, const char *fmt, ...)
	UEBPF_HIDDEN __attribute__((format(printf, 2, 3)));

/* ---- helpers -------------------------------------------------------------- */

struct uebpf_run_ctx;

/* Helpers take r1..r5 and the run context, and return r0. */
typedef uint64_t (*uebpf_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3,
				    uint64_t r4, uint64_t r5,
				    struct uebpf_run_ctx *ctx);

struct uebpf_helper_proto;

struct uebpf_helper {
	uebpf_helper_fn fn;
	const char *name;
	/* What the verifier checks a call against (vm/verifier.h). */
	const struct uebpf_helper_proto *proto;
	/* A host helper (uebpf_runtime_register_helper()): fn is a
	 * trampoline that calls host_fn(r1..r5, host_ctx); name and proto
	 * are the runtime's own copies. */
	uebpf_host_helper_fn host_fn;
	void *host_ctx;
};

void uebpf_helpers_init_builtin(struct uebpf_runtime *rt) UEBPF_HIDDEN;
/* Frees what uebpf_runtime_register_helper() allocated. */
void uebpf_helpers_fini(struct uebpf_runtime *rt) UEBPF_HIDDEN;
/* xdp/helpers.c: installs the XDP helpers (packet bounds, bytes,
 * redirects, fib_lookup, check_mtu) in rt->helpers. */
void uebpf_xdp_helpers_init(struct uebpf_runtime *rt) UEBPF_HIDDEN;

/* For a program the verifier has not proven safe (prog->checked): true
 * when helper id's pointer and map arguments are memory the run may touch
 * and maps of this runtime; else logs why, sets ctx->err to -EFAULT (the
 * run stops when the helper returns) and returns false. */
bool uebpf_helper_args_ok(struct uebpf_run_ctx *ctx, unsigned int id,
			  uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			  uint64_t r5) UEBPF_HIDDEN;

/* lib/printk.c: fmt (NUL-terminated within fmt_size bytes) and nr_args
 * raw arguments formatted as the kernel's bpf_trace_printk() formats
 * them, into out (always terminated).  Returns the length of the whole
 * output, which may exceed out_size - 1, or -EINVAL / -ENOSPC where the
 * kernel's bpf_bprintf_prepare() refuses the format or its arguments. */
int uebpf_bprintf(const struct uebpf_run_ctx *ctx, char *out, size_t out_size,
		  const char *fmt, uint32_t fmt_size, const uint64_t *args,
		  unsigned int nr_args) UEBPF_HIDDEN;

/* bpf_trace_printk's rate limit: at most burst lines per interval_ns
 * reach the log; the rest are counted and reported once. */
struct uebpf_ratelimit {
	uint64_t interval_ns;
	unsigned int burst;
	_Atomic uint64_t begin; /* start of the current interval, ns */
	atomic_uint printed;
	atomic_uint missed;
};

/* ---- runtime ------------------------------------------------------------- */

/* Ids of maps and programs, as the kernel's idr: 1, 2, ... never reused
 * while the runtime lives. */
struct uebpf_idr {
	pthread_mutex_t lock;
	void **slots; /* slots[id - 1] */
	uint32_t nr;
	uint32_t cap;
};

int uebpf_idr_alloc(struct uebpf_idr *idr, void *obj, uint32_t *id)
	UEBPF_HIDDEN;
void uebpf_idr_remove(struct uebpf_idr *idr, uint32_t id) UEBPF_HIDDEN;

/* A map pinned by name (LIBBPF_PIN_BY_NAME, uebpf_map_pin()); the
 * registry holds one reference. */
struct uebpf_pin {
	char *name;
	struct uebpf_map *map;
};

struct uebpf_runtime {
	unsigned int nr_cpus;
	uint64_t mem_limit;
	atomic_uint_fast64_t mem_used;
	struct uebpf_epoch epoch;
	struct uebpf_idr map_ids;
	struct uebpf_idr prog_ids;
	uebpf_log_fn log_fn;
	void *log_ctx;
	enum uebpf_log_level log_level;
	bool log_quiet;
	struct uebpf_helper helpers[UEBPF_MAX_HELPER_ID];
	struct uebpf_ratelimit printk_rl;
	/* The host's answers to bpf_fib_lookup() and bpf_check_mtu()
	 * (uebpf_runtime_set_fib_lookup(), uebpf_runtime_set_mtu()). */
	uebpf_fib_lookup_fn fib_lookup_fn;
	void *fib_lookup_ctx;
	uebpf_mtu_fn mtu_fn;
	void *mtu_ctx;
	/* Pinned maps, so objects that pin the same name share the map. */
	pthread_mutex_t pin_lock;
	struct uebpf_pin *pins;
	size_t nr_pins;
	/* uebpf_runtime_enable_stats(): runs are counted and timed. */
	atomic_bool stats_on;
	/* What UEBPF_ENGINE_DEFAULT means here: the environment variable
	 * UEBPF_ENGINE, read when the runtime is made, or the build's own
	 * (UEBPF_ENGINE_JIT where uebpf_jit_available()). */
	enum uebpf_engine default_engine;
	/* Warnings the run API gives per call (a bad buffer, a program of
	 * the wrong type): at most a burst per interval reach the log. */
	struct uebpf_ratelimit run_rl;
};

/* lib/pin.c: drops every pin; uebpf_runtime_free() calls it first. */
void uebpf_pins_free(struct uebpf_runtime *rt) UEBPF_HIDDEN;

/* The CPU slot the calling thread runs as (0 until it binds). */
extern __thread unsigned int uebpf_this_cpu UEBPF_HIDDEN;

/* ---- run statistics ------------------------------------------------------ */

/* One CPU slot's counters, on a cache line of its own: workers on
 * different slots never write the same line.  Threads sharing a slot add
 * atomically. */
struct uebpf_prog_stats_slot {
	_Atomic uint64_t run_cnt;
	_Atomic uint64_t run_time_ns;
} __attribute__((aligned(64)));

static inline uint64_t uebpf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The run path's one test: are runs being counted? */
#define uebpf_stats_on(rt)                                                     \
	atomic_load_explicit(&(rt)->stats_on, memory_order_relaxed)

/* Rate-limited warning from the run API (rt->run_rl). */
void uebpf_run_warn(struct uebpf_runtime *rt, const char *fmt, ...)
	UEBPF_HIDDEN __attribute__((format(printf, 2, 3)));

/* ---- programs ------------------------------------------------------------ */

/* A memory region a run may touch; unverified programs (and verified ones
 * in debug mode) are checked against these at every load and store. */
struct uebpf_region {
	uintptr_t lo, hi; /* [lo, hi) */
	uint32_t flags;	  /* UEBPF_REGION_* */
};

/* The program may read the region but not write it (the context, values
 * of BPF_F_RDONLY_PROG maps). */
#define UEBPF_REGION_RDONLY (1u << 0)

struct uebpf_run_ctx {
	const struct uebpf_prog *prog;
	unsigned int cpu;
	uint64_t budget; /* instruction slots left */
	int err;	 /* why a run stopped early, negative errno */
	size_t err_pc;
	/* [0] = stack, [1] = r1 memory, then the map values the program
	 * addresses directly (global data); XDP runs add the context.  The
	 * interpreter fills in [0]: in a checked run, the frames in use (the
	 * current one and its callers'), never the unused deeper ones.  An
	 * access no region holds may still fall inside a value of one of
	 * prog->used_maps (map ops value_contains): values lookups return. */
	struct uebpf_region *regions;
	unsigned int nr_regions;
	/* An XDP run's struct uebpf_xdp_ctx (xdp/xdp.h), for the helpers that
	 * take no context argument (bpf_redirect, bpf_redirect_map). */
	void *xdp;
	/* JIT runs (vm/jit_x86_64.c), set up by uebpf_jit_run(): the entry's
	 * stack pointer, to leave from any depth when a checked run stops;
	 * tail calls made; the helper id of a callx in checked code.  (A
	 * checked run's stack is regions[0], as the interpreter's.) */
	void *jit_sp;
	uint32_t tail_calls;
	uint64_t jit_callx;
};

/* An ld_imm64 that loads a map (BPF_PSEUDO_MAP_FD) or the address of its
 * element 0 plus off (BPF_PSEUDO_MAP_VALUE): rewritten to that constant at
 * load, remembered here for the verifier. */
struct uebpf_map_ref {
	size_t pc;
	struct uebpf_map *map;
	uint8_t kind; /* BPF_PSEUDO_MAP_FD or BPF_PSEUDO_MAP_VALUE */
	uint32_t off;
};

struct uebpf_prog {
	struct uebpf_runtime *rt;
	atomic_int refcnt;
	uint32_t id;
	char name[64];
	enum bpf_prog_type type;
	enum bpf_attach_type expected_attach_type;
	struct bpf_insn *insns;
	size_t insn_cnt;
	uint64_t insn_budget; /* per run, 1..INT64_MAX (INT64_MAX: unlimited) */
	/* Programs the verifier has not proven safe run with every memory
	 * access checked against the run's regions. */
	bool checked;
	/* The verifier accepted it (and rewrote its context accesses). */
	bool verified;
	/* Deepest stack use of any frame, from the verifier. */
	uint32_t stack_depth;
	/* An XDP verdict outside 0..4 was logged once already. */
	atomic_bool warned_action;
	/* The maps it refers to, one reference each (the kernel's used_maps),
	 * every reference by pc, and the values it addresses directly. */
	struct uebpf_map **used_maps;
	size_t nr_used_maps;
	struct uebpf_map_ref *map_refs;
	size_t nr_map_refs;
	struct uebpf_region *value_regions;
	unsigned int nr_value_regions;
	/* Run statistics, one slot per CPU slot of the runtime; NULL for a
	 * program that never finished loading. */
	struct uebpf_prog_stats_slot *stats;
	/* The verifier's record, per instruction, of the map a helper call
	 * takes in r1 when every path passes the same one (else NULL): what
	 * lets the JIT inline lookups.  NULL for unverified programs. */
	struct uebpf_map **call_maps;
#define UEBPF_CALL_MAP_POISON ((struct uebpf_map *)1) /* paths differ */
	/* JIT (vm/jit_x86_64.c): chosen before verification (a PROG_ARRAY's
	 * programs must agree), then the code: entry is called from C, body
	 * is where a tail call lands, past the prologue.  jit_checked: the
	 * code tests every access, as run_checked; a program in debug mode
	 * whose code was compiled unchecked runs in the interpreter. */
	bool jit_wanted;
	bool jit_explicit; /* UEBPF_ENGINE_JIT asked for */
	bool jit_blinding;
	bool jit_checked;
	uint64_t (*jit_entry)(uint64_t r1, uint64_t r2,
			      struct uebpf_run_ctx *ctx);
	const void *jit_body;
	void *jit_image;
	size_t jit_len;	     /* code bytes */
	size_t jit_map_len;  /* bytes mapped */
};

/* Adds n runs taking ns nanoseconds together to cpu's slot of prog. */
static inline void uebpf_prog_stats_add(struct uebpf_prog *prog,
					unsigned int cpu, uint64_t n,
					uint64_t ns)
{
	struct uebpf_prog_stats_slot *s;

	if (!prog->stats)
		return;
	s = &prog->stats[cpu];
	atomic_fetch_add_explicit(&s->run_cnt, n, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->run_time_ns, ns, memory_order_relaxed);
}

/* The kernel's MAX_USED_MAPS: distinct maps one program may refer to. */
#define UEBPF_MAX_USED_MAPS 64

/* The object loader's way in: any program type (stored; only raw programs
 * run yet), and ld_imm64 with src BPF_PSEUDO_MAP_IDX / _IDX_VALUE whose
 * imm indexes maps[] besides the ids of src 1 / 2. */
struct uebpf_prog *
uebpf_prog_load_internal(struct uebpf_runtime *rt, enum bpf_prog_type type,
			 const struct bpf_insn *insns, size_t insn_cnt,
			 const struct uebpf_prog_load_opts *opts,
			 struct uebpf_map *const *maps, size_t nr_maps)
	UEBPF_HIDDEN;

void uebpf_prog_put(struct uebpf_prog *prog) UEBPF_HIDDEN;
/* Takes another reference on a program the caller holds (or knows to be
 * held, inside an epoch section); returns prog. */
struct uebpf_prog *uebpf_prog_ref(struct uebpf_prog *prog) UEBPF_HIDDEN;
/* Takes a reference; NULL when no live program has that id. */
struct uebpf_prog *uebpf_prog_get_by_id_internal(struct uebpf_runtime *rt,
						 uint32_t id) UEBPF_HIDDEN;

/* vm/validate.c: structural checks every program passes before anything
 * else looks at it. */
int uebpf_validate(struct uebpf_runtime *rt, const struct bpf_insn *insns,
		   size_t cnt, struct uebpf_vlog *log) UEBPF_HIDDEN;

/* vm/interp.c: run from pc 0 with r1, r2; returns 0 and sets *r0, or a
 * negative errno with ctx->err_pc set. */
int uebpf_interp_run(const struct uebpf_prog *prog, struct uebpf_run_ctx *ctx,
		     uint64_t r1, uint64_t r2, uint64_t *r0) UEBPF_HIDDEN;

/* vm/jit_x86_64.c.  True when this build has a JIT. */
bool uebpf_jit_available(void) UEBPF_HIDDEN;
/* Compile prog (validated; verified unless prog->checked) into
 * prog->jit_*; returns 0, -EOPNOTSUPP with the reason in log for a
 * program the JIT does not take, or -ENOMEM. */
int uebpf_jit_compile(struct uebpf_prog *prog, struct uebpf_vlog *log)
	UEBPF_HIDDEN;
void uebpf_jit_free(struct uebpf_prog *prog) UEBPF_HIDDEN;
/* Runs the JIT's code; as uebpf_interp_run(). */
int uebpf_jit_run(const struct uebpf_prog *prog, struct uebpf_run_ctx *ctx,
		  uint64_t r1, uint64_t r2, uint64_t *r0) UEBPF_HIDDEN;

/* The run path's engine choice: the JIT's code when it matches the
 * program's checking mode, the interpreter otherwise. */
static inline bool uebpf_prog_jit_runs(const struct uebpf_prog *prog)
{
	return prog->jit_entry && prog->jit_checked == prog->checked;
}

static inline int uebpf_vm_run(const struct uebpf_prog *prog,
			       struct uebpf_run_ctx *ctx, uint64_t r1,
			       uint64_t r2, uint64_t *r0)
{
	if (uebpf_prog_jit_runs(prog))
		return uebpf_jit_run(prog, ctx, r1, r2, r0);
	return uebpf_interp_run(prog, ctx, r1, r2, r0);
}

/* vm/interp.c, for checked JIT runs: may the running program access
 * [a, a + n) (write: a store or an atomic; atomic: must be aligned) at pc?
 * 0, or -EFAULT with ctx->err and err_pc set and the reason logged as the
 * interpreter logs it.  The stack region is not consulted. */
int uebpf_interp_check_access(const struct uebpf_prog *prog,
			      struct uebpf_run_ctx *ctx, size_t pc, uint64_t a,
			      unsigned int n, bool write, bool atomic)
	UEBPF_HIDDEN;
/* Logs a run stopping at pc with err for reason what, as the interpreter
 * does, and sets ctx->err, ctx->err_pc; returns err. */
int uebpf_interp_fault(const struct uebpf_prog *prog,
		       struct uebpf_run_ctx *ctx, size_t pc, int err,
		       const char *what) UEBPF_HIDDEN;

/* vm/disasm.c-like helpers for messages. */
bool uebpf_insn_is_ld_imm64(const struct bpf_insn *insn) UEBPF_HIDDEN;

#endif /* UEBPF_INTERNAL_H */
