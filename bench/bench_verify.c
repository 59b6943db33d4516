// SPDX-License-Identifier: MIT
/*
 * bench_verify: what loading, and verifying, each XDP program of a BPF
 * object costs in libuebpf, side by side with the kernel's bpf_prog_load().
 *
 *   bench_verify [-v] [-t SECONDS] [-n N] [--verify-only] [OBJ.o ...]
 *
 * Without objects: build/progs/big.o (the 2,288-instruction,
 * load-balancer-sized program) and every other object in build/progs (or
 * $UEBPF_PROGS_DIR) whose XDP programs have more than 500 instructions of
 * their own.
 *
 * For every program whose type is XDP (legacy "xdp_*" section names
 * included), three figures, each the median of N repetitions (N chosen so
 * that one figure takes about -t seconds, 0.5 by default; -n fixes it):
 *
 *   uebpf load    uebpf_object_open_file() + uebpf_object_load() of the
 *                 object with only this program's autoload on: ELF parsing,
 *                 map creation, linking, validation and (once the verifier
 *                 is in) verification.  Closing is not timed.
 *   uebpf verify  uebpf_prog_load_internal() of the program's linked
 *                 instructions (uebpf_object_prog_insns(), maps referred to
 *                 by id) while the object stays loaded: the load path
 *                 alone -- validation, map resolution, verification --
 *                 with the maps already created.  (The expected attach
 *                 type of xdp/devmap and xdp/cpumap programs is not
 *                 carried over: the load options have no field for it.)
 *   kernel        bpf_prog_load() of the same program's instructions as
 *                 libbpf linked them (bpf_program__insns() after one
 *                 bpf_object__load() of the object with only this program,
 *                 whose maps stay open, so the instructions carry their
 *                 fds): the kernel's verification and JIT, no map creation,
 *                 no BTF upload.  The type, expected attach type and flags
 *                 (BPF_F_XDP_HAS_FRAGS) are libbpf's; no func_info or
 *                 line_info is passed, so global functions are verified
 *                 inline, as libuebpf sees them.
 *
 * This is the most like-for-like pair: "uebpf verify" against "kernel",
 * the same linked instructions and existing maps on both sides; the ratio
 * column is their quotient.  The kernel column is skipped, with the reason
 * printed, without CAP_BPF.  The "verified" column says whether libuebpf's
 * loaded program went through its verifier (prog->verified): a build
 * without the verifier only validates, and its figures are not yet
 * comparable.
 *
 * --verify-only: no timing.  Each program is loaded once with a 16 MiB log
 * at log_level 1 and reported "accepted" or "REJECTED: <first line of the
 * log>" (-v adds the log's last 30 lines), beside the kernel's verdict for
 * the same program where CAP_BPF allows; a summary counts the programs the
 * kernel loads that libuebpf rejects (exit status 1 if there are any).
 * This is the acceptance check over a directory of real-world objects.
 *
 * Helpers: the validator refuses a call to a helper the runtime lacks.  So
 * that objects calling XDP helpers libuebpf does not implement yet can
 * still be loaded and verified, every helper id that has a prototype
 * (uebpf_helper_proto(), vm/verifier.h) but no function gets a placeholder
 * function (returning 0; the programs are never run here).  In a build
 * without the prototype table, every helper id the UAPI header names gets
 * one, as bench_load does.  Placeholders are installed in both modes.
 *
 * Maps declared with max_entries 0 that a loader must size (xdp-tools'
 * sample maps) get 256 entries, on both sides; maps pinned by name go to a
 * private directory under /sys/fs/bpf, removed at exit.
 *
 * Built against the static library: it reaches the runtime's helper table
 * and the internal program load.  Timing is reported, never judged: the
 * exit status is 0 unless an object cannot be read (or, with
 * --verify-only, libuebpf rejects what the kernel accepts).
 */
#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "uebpf.h"
#include "internal.h"
#include "../vm/verifier.h"

/* Defined once the prototype table lands (lib/helpers.c); until then the
 * weak reference is NULL and every named helper gets a placeholder. */
#pragma weak uebpf_helper_proto

#define LOG_SIZE  (16u << 20)
#define MAX_REPS  10000
#define MIN_REPS  3
#define BIG_INSNS 500

static double budget_s = 0.5;
static int objw = 28; /* width of the object column */
static int fixed_n;
static bool verbose, verify_only;
static char *log_buf;	      /* LOG_SIZE, libuebpf's log */
static char *klog_buf;	      /* LOG_SIZE, the kernel's */
static char last_warn[512];   /* the runtime's last warning */
static char last_libbpf[512]; /* libbpf's last warning */
static char pin_root[64];
static bool have_kernel;
static char no_kernel_reason[256];

/* ---- timing -------------------------------------------------------------- */

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One timed repetition: returns its duration in us, or a negative value
 * when the operation failed (the caller's state says why). */
typedef double (*rep_fn)(void *arg);

/* Median of N repetitions, N from the first (untimed) run unless -n. */
static double measure(rep_fn fn, void *arg, int *reps)
{
	double first = fn(arg), *t, med;
	int n, i;

	if (first < 0)
		return -1;
	if (fixed_n)
		n = fixed_n;
	else
		n = first > 0 ? (int)(budget_s * 1e6 / first) : MAX_REPS;
	if (n < MIN_REPS)
		n = MIN_REPS;
	if (n > MAX_REPS)
		n = MAX_REPS;
	t = calloc(n, sizeof(*t));
	if (!t)
		return -1;
	for (i = 0; i < n; i++) {
		t[i] = fn(arg);
		if (t[i] < 0) {
			free(t);
			return -1;
		}
	}
	qsort(t, n, sizeof(*t), cmp_double);
	med = t[n / 2];
	free(t);
	*reps = n;
	return med;
}

/* ---- logs ---------------------------------------------------------------- */

static void rt_log(enum uebpf_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level != UEBPF_LOG_WARN)
		return;
	snprintf(last_warn, sizeof(last_warn), "%s", msg);
	last_warn[strcspn(last_warn, "\n")] = 0;
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	char line[sizeof(last_libbpf)];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = 0;
	/* Keep the specific message, not the generic ones that follow it. */
	if (line[0] && !strstr(line, "failed to load object") &&
	    !strstr(line, "-- BEGIN") && !strstr(line, "-- END"))
		snprintf(last_libbpf, sizeof(last_libbpf), "%s", line);
	return 0;
}

/* The first non-empty line of a log, tabs made spaces. */
static void first_line(const char *log, char *out, size_t n)
{
	const char *p = log;

	snprintf(out, n, "(empty log)");
	while (*p) {
		size_t len = strcspn(p, "\n");

		if (len) {
			snprintf(out, n, "%.*s", (int)len, p);
			break;
		}
		p++;
	}
	for (char *c = out; *c; c++)
		if (*c == '\t')
			*c = ' ';
}

/* The kernel's reason at log_level 4: its first line that is neither a
 * statistics line nor a note on a global function verified on its own. */
static void kernel_reason(const char *log, char *out, size_t n)
{
	const char *p = log;

	snprintf(out, n, "(no message)");
	while (*p) {
		size_t len = strcspn(p, "\n");

		if (len && strncmp(p, "verification time", 17) &&
		    strncmp(p, "stack depth", 11) &&
		    strncmp(p, "processed ", 10) &&
		    strncmp(p, "Validating ", 11) &&
		    !memmem(p, len, "is global and assumed valid", 27)) {
			snprintf(out, n, "%.*s", (int)len, p);
			break;
		}
		p += len + (p[len] == '\n');
	}
}

static void print_tail(const char *log, int lines)
{
	const char *p = log + strlen(log);
	int n = 0;

	while (p > log && p[-1] == '\n')
		p--;
	while (p > log && n <= lines)
		if (*--p == '\n')
			n++;
	if (*p == '\n')
		p++;
	for (const char *l = p; *l;) {
		size_t len = strcspn(l, "\n");

		printf("    | %.*s\n", (int)len, l);
		l += len + (l[len] == '\n');
	}
}

/* ---- helpers ------------------------------------------------------------- */

static uint64_t placeholder(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			    uint64_t r5, struct uebpf_run_ctx *ctx)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ctx;
	return 0;
}

static int install_placeholders(struct uebpf_runtime *rt, bool *from_protos)
{
	int i, n = 0;

	*from_protos = uebpf_helper_proto != NULL;
	for (i = 1; i < UEBPF_MAX_HELPER_ID; i++) {
		const struct uebpf_helper_proto *proto =
			*from_protos ? uebpf_helper_proto(i) : NULL;

		if (rt->helpers[i].fn)
			continue;
		if (*from_protos ? !proto : !uebpf_helper_name(i))
			continue;
		rt->helpers[i].fn = placeholder;
		if (!rt->helpers[i].name)
			rt->helpers[i].name = uebpf_helper_name(i);
		if (!rt->helpers[i].proto)
			rt->helpers[i].proto = proto;
		n++;
	}
	return n;
}

/* ---- libuebpf ------------------------------------------------------------ */

struct ucase {
	struct uebpf_runtime *rt;
	const char *path;
	const char *prog;
	/* the verify-alone inputs */
	enum bpf_prog_type type;
	const struct bpf_insn *insns;
	size_t cnt;
	int err;
};

/* Maps declared with max_entries 0 for their loader to size get 256 (the
 * kernel side does the same in kload()). */
static void fix_uebpf_maps(struct uebpf_object *obj)
{
	struct uebpf_object_map *m;

	for (m = uebpf_object_next_map(obj, NULL); m;
	     m = uebpf_object_next_map(obj, m)) {
		enum bpf_map_type t = uebpf_object_map_type(m);

		if (!uebpf_object_map_max_entries(m) &&
		    t != BPF_MAP_TYPE_PERF_EVENT_ARRAY &&
		    t != BPF_MAP_TYPE_RINGBUF)
			uebpf_object_map_set_max_entries(m, 256);
	}
}

/* Opens path with only prog's autoload on.  Returns the object (NULL with
 * c->err) and, through *p, the program. */
static struct uebpf_object *uopen(struct ucase *c, unsigned int log_level,
				  struct uebpf_object_prog **pp)
{
	UEBPF_OPTS(uebpf_object_open_opts, o,
		   .log_buf = log_level ? log_buf : NULL,
		   .log_size = log_level ? LOG_SIZE : 0,
		   .log_level = log_level);
	struct uebpf_object_prog *p;
	struct uebpf_object *obj;

	obj = uebpf_object_open_file(c->rt, c->path, &o);
	if (!obj) {
		c->err = -errno;
		return NULL;
	}
	*pp = NULL;
	for (p = uebpf_object_next_prog(obj, NULL); p;
	     p = uebpf_object_next_prog(obj, p)) {
		bool me = !strcmp(uebpf_object_prog_name(p), c->prog);

		uebpf_object_prog_set_autoload(p, me);
		if (me)
			*pp = p;
	}
	fix_uebpf_maps(obj);
	c->err = *pp ? 0 : -ENOENT;
	return obj;
}

/* Pins made by a load, so that the next repetition creates its maps. */
static void uunpin(struct ucase *c, struct uebpf_object *obj)
{
	struct uebpf_object_map *m;

	for (m = uebpf_object_next_map(obj, NULL); m;
	     m = uebpf_object_next_map(obj, m))
		uebpf_map_unpin(c->rt, uebpf_object_map_name(m));
}

static double rep_uebpf_load(void *arg)
{
	struct ucase *c = arg;
	struct uebpf_object_prog *p = NULL;
	struct uebpf_object *obj;
	double t0, t1;

	t0 = now_us();
	obj = uopen(c, 0, &p);
	if (obj && !c->err)
		c->err = uebpf_object_load(obj);
	t1 = now_us();
	if (obj) {
		uunpin(c, obj);
		uebpf_object_close(obj);
	}
	return c->err ? -1 : t1 - t0;
}

static double rep_uebpf_verify(void *arg)
{
	UEBPF_OPTS(uebpf_prog_load_opts, o, .name = "bench_verify");
	struct ucase *c = arg;
	struct uebpf_prog *prog;
	double t0, t1;

	t0 = now_us();
	prog = uebpf_prog_load_internal(c->rt, c->type, c->insns, c->cnt, &o,
					NULL, 0);
	t1 = now_us();
	if (!prog) {
		c->err = -errno;
		return -1;
	}
	uebpf_prog_free(prog);
	return t1 - t0;
}

/* ---- the kernel ---------------------------------------------------------- */

struct kcase {
	const char *path;
	const char *prog;
	const char *license;
	struct bpf_object *obj;
	struct bpf_program *p;
	int err;
	char why[768]; /* why there is no kernel figure */
	long processed;
};

static int rm_cb(const char *p, const struct stat *s, int flag, struct FTW *f)
{
	(void)s, (void)flag, (void)f;
	return remove(p);
}

static void clean_pins(void)
{
	if (pin_root[0]) {
		nftw(pin_root, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
		mkdir(pin_root, 0700);
	}
}

/* Can this process load a program at all? */
static void probe_kernel(void)
{
	struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 2},
		{.code = BPF_JMP | BPF_EXIT},
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "probe", "GPL", insns, 2,
			       NULL);

	if (fd < 0) {
		snprintf(no_kernel_reason, sizeof(no_kernel_reason),
			 "bpf_prog_load: %s%s", strerror(errno),
			 errno == EPERM ? " (no CAP_BPF)" : "");
		return;
	}
	close(fd);
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/bench_verify-%d",
		 (int)getpid());
	if (mkdir(pin_root, 0700) && errno != EEXIST)
		pin_root[0] = 0; /* objects that pin will fail to load */
	have_kernel = true;
}

/* libbpf load of the object with only this program (log level 4 into
 * klog_buf); leaves k->obj open for the timed loads. */
static int kload(struct kcase *k)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo,
		    .pin_root_path = pin_root[0] ? pin_root : NULL);
	struct bpf_program *p;
	struct bpf_map *m;

	last_libbpf[0] = 0;
	k->processed = -1;
	k->obj = bpf_object__open_file(k->path, &oo);
	if (!k->obj) {
		k->err = -errno;
		snprintf(k->why, sizeof(k->why), "%s",
			 last_libbpf[0] ? last_libbpf : strerror(errno));
		return k->err;
	}
	k->p = NULL;
	bpf_object__for_each_program(p, k->obj)
	{
		bool me = !strcmp(bpf_program__name(p), k->prog);

		bpf_program__set_autoload(p, me);
		if (me)
			k->p = p;
	}
	if (!k->p) {
		snprintf(k->why, sizeof(k->why), "libbpf finds no program %s",
			 k->prog);
		return k->err = -ENOENT;
	}
	bpf_object__for_each_map(m, k->obj)
	{
		enum bpf_map_type t = bpf_map__type(m);

		if (!bpf_map__max_entries(m) &&
		    t != BPF_MAP_TYPE_PERF_EVENT_ARRAY &&
		    t != BPF_MAP_TYPE_RINGBUF)
			bpf_map__set_max_entries(m, 256);
	}
	/* libbpf 1.x no longer knows legacy "xdp_foo" section names. */
	if (bpf_program__type(k->p) == BPF_PROG_TYPE_UNSPEC)
		bpf_program__set_type(k->p, BPF_PROG_TYPE_XDP);
	klog_buf[0] = 0;
	bpf_program__set_log_buf(k->p, klog_buf, LOG_SIZE);
	bpf_program__set_log_level(k->p, 4);
	k->err = bpf_object__load(k->obj);
	if (klog_buf[0]) {
		const char *s = strstr(klog_buf, "processed ");

		k->processed = s ? strtol(s + 10, NULL, 10) : -1;
	}
	if (k->err) {
		char line[600];

		if (klog_buf[0]) {
			kernel_reason(klog_buf, line, sizeof(line));
			snprintf(k->why, sizeof(k->why), "rejected: %s", line);
		} else {
			snprintf(k->why, sizeof(k->why), "%s%s",
				 strncmp(last_libbpf, "libbpf: ", 8)
					 ? "libbpf: "
					 : "",
				 last_libbpf[0] ? last_libbpf
						: strerror(-k->err));
		}
	}
	return k->err;
}

static void kclose(struct kcase *k)
{
	bpf_object__close(k->obj);
	k->obj = NULL;
	clean_pins();
}

static double rep_kernel(void *arg)
{
	struct kcase *k = arg;
	LIBBPF_OPTS(bpf_prog_load_opts, o,
		    .expected_attach_type =
			    bpf_program__expected_attach_type(k->p),
		    .prog_flags = bpf_program__flags(k->p),
		    .kern_version = bpf_object__kversion(k->obj));
	double t0, t1;
	int fd;

	t0 = now_us();
	fd = bpf_prog_load(bpf_program__type(k->p), k->prog, k->license,
			   bpf_program__insns(k->p),
			   bpf_program__insn_cnt(k->p), &o);
	t1 = now_us();
	if (fd < 0) {
		k->err = -errno;
		return -1;
	}
	close(fd);
	return t1 - t0;
}

/* ---- one program --------------------------------------------------------- */

static int nr_progs, nr_accepted, nr_kernel_loads, nr_mismatch, nr_unverified;

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The object's name for the table: the last two path components. */
static const char *short_name(const char *path)
{
	const char *s = strrchr(path, '/'), *t = s;

	if (!s)
		return path;
	while (t > path && t[-1] != '/')
		t--;
	return t > path ? t : path;
}

static void verify_one(struct uebpf_runtime *rt, const char *path,
		       const char *name)
{
	struct ucase c = {.rt = rt, .path = path, .prog = name};
	struct kcase k = {.path = path, .prog = name};
	struct uebpf_object_prog *p = NULL;
	struct uebpf_object *obj;
	const char *kverdict = "-";
	char uverdict[700], line[600];
	bool accepted = false, verified = false;

	last_warn[0] = 0;
	log_buf[0] = 0;
	obj = uopen(&c, 1, &p);
	if (obj && !c.err)
		c.err = uebpf_object_load(obj);
	if (obj && !c.err) {
		struct uebpf_prog *h = uebpf_object_prog_handle(p);

		accepted = true;
		verified = h && h->verified;
		snprintf(uverdict, sizeof(uverdict), "%s",
			 verified ? "accepted"
				  : "accepted (not verified: this build has no "
				    "verifier)");
	} else {
		if (log_buf[0])
			first_line(log_buf, line, sizeof(line));
		else
			snprintf(line, sizeof(line), "%s",
				 last_warn[0] ? last_warn : strerror(-c.err));
		snprintf(uverdict, sizeof(uverdict), "REJECTED: %s", line);
	}
	if (have_kernel) {
		k.license = obj && p ? uebpf_object_prog_license(p) : "GPL";
		kverdict = kload(&k) ? k.why : "loads";
		nr_kernel_loads += !k.err;
		kclose(&k);
	}
	printf("%-*s %-34s %s", objw, short_name(path), name, uverdict);
	if (have_kernel)
		printf("   [kernel: %s]", kverdict);
	printf("\n");
	if (verbose && !accepted && log_buf[0])
		print_tail(log_buf, 30);
	if (verbose && !accepted && last_warn[0])
		printf("    | runtime: %s\n", last_warn);
	nr_progs++;
	nr_accepted += accepted;
	nr_unverified += accepted && !verified;
	if (have_kernel && !k.err && !accepted)
		nr_mismatch++;
	if (obj) {
		uunpin(&c, obj);
		uebpf_object_close(obj);
	}
}

static void fmt_us(char *buf, size_t n, double us)
{
	if (us < 0)
		snprintf(buf, n, "%s", "-");
	else
		snprintf(buf, n, "%.1f", us);
}

static void bench_one(struct uebpf_runtime *rt, const char *path,
		      const char *name)
{
	struct ucase c = {.rt = rt, .path = path, .prog = name};
	struct kcase k = {.path = path, .prog = name};
	struct uebpf_object_prog *p = NULL;
	struct uebpf_object *obj;
	double load_us, verify_us = -1, kernel_us = -1;
	char a[32], b[32], kc[32], ratio[32] = "-";
	const char *verified = "-";
	size_t insns = 0;
	int n1 = 0, n2 = 0, n3 = 0;
	char note[800] = "";

	last_warn[0] = 0;
	load_us = measure(rep_uebpf_load, &c, &n1);
	if (load_us < 0)
		snprintf(note, sizeof(note), "uebpf load: %s",
			 last_warn[0] ? last_warn : strerror(-c.err));

	/* Loaded once more, kept, for the verify-alone figure. */
	obj = uopen(&c, 0, &p);
	if (p)
		insns = uebpf_object_prog_insn_cnt(p); /* its own, unlinked */
	if (obj && !c.err && !uebpf_object_load(obj)) {
		struct uebpf_prog *h = uebpf_object_prog_handle(p);

		verified = h && h->verified ? "yes" : "no";
		nr_unverified += !(h && h->verified);
		c.type = uebpf_object_prog_type(p);
		c.insns = uebpf_object_prog_insns(p);
		c.cnt = insns = uebpf_object_prog_insn_cnt(p);
		verify_us = measure(rep_uebpf_verify, &c, &n2);
		if (verify_us < 0 && !note[0])
			snprintf(note, sizeof(note), "uebpf verify: %s",
				 last_warn[0] ? last_warn : strerror(-c.err));
	}

	if (have_kernel) {
		k.license = obj && p ? uebpf_object_prog_license(p) : "GPL";
		if (!kload(&k)) {
			if (!insns)
				insns = bpf_program__insn_cnt(k.p);
			kernel_us = measure(rep_kernel, &k, &n3);
			if (kernel_us < 0)
				snprintf(k.why, sizeof(k.why),
					 "bpf_prog_load of libbpf's "
					 "instructions: %s",
					 strerror(-k.err));
		}
		if (kernel_us < 0) {
			size_t l = strlen(note);

			snprintf(note + l, sizeof(note) - l, "%skernel: %s",
				 l ? "; " : "", k.why);
		}
		kclose(&k);
	}
	if (obj) {
		uunpin(&c, obj);
		uebpf_object_close(obj);
	}
	uebpf_epoch_synchronize(&rt->epoch);

	fmt_us(a, sizeof(a), load_us);
	fmt_us(b, sizeof(b), verify_us);
	if (have_kernel)
		fmt_us(kc, sizeof(kc), kernel_us);
	else
		snprintf(kc, sizeof(kc), "skipped");
	if (verify_us >= 0 && kernel_us > 0)
		snprintf(ratio, sizeof(ratio), "%.3g", verify_us / kernel_us);
	printf("%-*s %-34s %6zu %12s %12s %12s %7s %8s", objw, short_name(path),
	       name, insns, a, b, kc, ratio, verified);
	if (verbose)
		printf("   (N = %d/%d/%d)", n1, n2, n3);
	printf("\n");
	if (note[0])
		printf("    ^ %s\n", note);
	nr_progs++;
	fflush(stdout);
}

/* ---- objects ------------------------------------------------------------- */

/* The XDP programs of path, by name (NULL-terminated, malloc'd), and the
 * sum of their own instruction counts. */
static char **xdp_progs(struct uebpf_runtime *rt, const char *path,
			size_t *total)
{
	struct uebpf_object_prog *p = NULL;
	struct uebpf_object *obj;
	char **names = NULL;
	size_t n = 0;

	*total = 0;
	obj = uebpf_object_open_file(rt, path, NULL);
	if (!obj)
		return NULL;
	for (p = uebpf_object_next_prog(obj, NULL); p;
	     p = uebpf_object_next_prog(obj, p)) {
		char **nn;

		if (uebpf_object_prog_type(p) != BPF_PROG_TYPE_XDP)
			continue;
		nn = realloc(names, (n + 2) * sizeof(*names));
		if (!nn)
			break;
		names = nn;
		names[n++] = strdup(uebpf_object_prog_name(p));
		names[n] = NULL;
		*total += uebpf_object_prog_insn_cnt(p);
	}
	uebpf_object_close(obj);
	if (!names)
		names = calloc(1, sizeof(*names));
	return names;
}

static int run_object(struct uebpf_runtime *rt, const char *path)
{
	char **names;
	size_t total;
	int i;

	last_warn[0] = 0;
	names = xdp_progs(rt, path, &total);
	if (!names) {
		printf("%-*s %-34s %s: %s\n", objw, short_name(path), "-",
		       verify_only ? "REJECTED: cannot open" : "cannot open",
		       last_warn[0] ? last_warn : strerror(errno));
		return access(path, R_OK) ? 1 : 0;
	}
	if (!names[0] && verbose)
		printf("%-*s %-34s (no XDP program)\n", objw, short_name(path),
		       "-");
	for (i = 0; names[i]; i++) {
		if (verify_only)
			verify_one(rt, path, names[i]);
		else
			bench_one(rt, path, names[i]);
		free(names[i]);
	}
	free(names);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_verify [-v] [-t SECONDS] [-n N] [--verify-only] "
		"[OBJ.o ...]\n"
		"  default objects: big.o and the objects over %d instructions "
		"in build/progs\n"
		"  (or $UEBPF_PROGS_DIR)\n",
		BIG_INSNS);
	exit(2);
}

int main(int argc, char **argv)
{
	UEBPF_OPTS(uebpf_runtime_opts, ro, .log_fn = rt_log);
	struct uebpf_runtime *rt;
	bool from_protos;
	int i, nph, nr_paths = 0, rc = 0;
	const char **paths = NULL;
	glob_t g = {0};

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--verify-only"))
			verify_only = true;
		else if (!strcmp(argv[i], "-v"))
			verbose = true;
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			budget_s = atof(argv[++i]);
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			fixed_n = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--"))
			break;
		else
			usage();
	}
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	log_buf = malloc(LOG_SIZE);
	klog_buf = malloc(LOG_SIZE);
	rt = uebpf_runtime_new(&ro);
	if (!log_buf || !klog_buf || !rt) {
		fprintf(stderr, "bench_verify: out of memory\n");
		return 1;
	}
	nph = install_placeholders(rt, &from_protos);
	libbpf_set_print(libbpf_log);
	probe_kernel();

	printf("bench_verify: %s; %d helper placeholders (%s)\n",
	       verify_only ? "acceptance (--verify-only)"
			   : "median us per load, libuebpf beside the kernel",
	       nph,
	       from_protos ? "helpers with a prototype and no implementation"
			   : "no prototype table in this build: every named "
			     "helper");
	if (!have_kernel)
		printf("kernel column skipped: %s\n", no_kernel_reason);
	/* The objects: the arguments, or the project's large ones. */
	if (i < argc) {
		paths = (const char **)&argv[i];
		nr_paths = argc - i;
	} else {
		const char *dir = getenv("UEBPF_PROGS_DIR");
		char pat[4096];
		size_t j;

		snprintf(pat, sizeof(pat), "%s/*.o", dir ? dir : "build/progs");
		if (glob(pat, 0, NULL, &g) || !g.gl_pathc) {
			fprintf(stderr,
				"bench_verify: nothing matches %s (run make "
				"first, from the top directory, or set "
				"UEBPF_PROGS_DIR)\n",
				pat);
			return 1;
		}
		paths = calloc(g.gl_pathc, sizeof(*paths));
		if (!paths)
			return 1;
		for (j = 0; j < g.gl_pathc; j++) {
			const char *path = g.gl_pathv[j];
			size_t total;
			char **names = xdp_progs(rt, path, &total);

			if (names) {
				for (int x = 0; names[x]; x++)
					free(names[x]);
				free(names);
			}
			if (!strcmp(base(path), "big.o") || total > BIG_INSNS)
				paths[nr_paths++] = path;
		}
	}
	for (i = 0; i < nr_paths; i++)
		if ((int)strlen(short_name(paths[i])) > objw)
			objw = strlen(short_name(paths[i]));
	if (objw > 60)
		objw = 60;

	if (!verify_only)
		printf("%-*s %-34s %6s %12s %12s %12s %7s %8s\n", objw,
		       "object", "program", "insns", "uebpf load",
		       "uebpf verify", "kernel", "ratio", "verified");
	for (i = 0; i < nr_paths; i++)
		rc |= run_object(rt, paths[i]);
	if (g.gl_pathc) {
		free(paths);
		globfree(&g);
	}

	if (verify_only) {
		printf("acceptance: %d XDP programs, libuebpf accepts %d",
		       nr_progs, nr_accepted);
		if (nr_unverified)
			printf(" (%d of them unverified: no verifier in this "
			       "build)",
			       nr_unverified);
		if (have_kernel)
			printf(", the kernel loads %d; %d the kernel loads are "
			       "rejected by libuebpf",
			       nr_kernel_loads, nr_mismatch);
		printf("\n");
		if (nr_mismatch)
			rc = 1;
	} else {
		printf("ratio: uebpf verify / kernel (the same linked "
		       "instructions, maps existing).\n");
		if (nr_unverified)
			printf("note: %d programs were loaded without "
			       "verification (no verifier in this build): "
			       "their figures are validation only.\n",
			       nr_unverified);
	}
	if (pin_root[0]) {
		nftw(pin_root, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
		rmdir(pin_root);
	}
	uebpf_epoch_synchronize(&rt->epoch);
	uebpf_runtime_free(rt);
	free(log_buf);
	free(klog_buf);
	return rc;
}
