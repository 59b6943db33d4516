/* SPDX-License-Identifier: MIT */
/*
 * verifier_runner: the verifier's rejection and acceptance corpus.
 *
 * Every file DIR/reject/NAME.s is a minimal unsafe XDP program the verifier
 * must refuse, every DIR/accept/NAME.s a safe one it must load.  The program
 * is written in the conformance assembler's syntax (tests/conformance/asm.c;
 * "lddw %r1, map:NAME" loads a map declared in the header).  Header comment
 * lines:
 *
 *   # maps: NAME TYPE KEY_SIZE VALUE_SIZE MAX_ENTRIES [FLAG...]  (zero or more)
 *   # error: SUBSTRING        the kernel's log says this (reject cases)
 *   # uebpf-error: SUBSTRING  libuebpf's log says this instead
 *   # errno: EACCES           what the kernel returns (reject cases)
 *   # kernel-caps: unpriv     the kernel loads it without CAP_PERFMON and
 *                             CAP_SYS_ADMIN (CAP_BPF and CAP_NET_ADMIN kept)
 *   # attach: devmap          expected attach type BPF_XDP_DEVMAP
 *
 * TYPE is a map type's name as in BPF_MAP_TYPE_<TYPE>, in either case
 * ("array", "HASH", "ringbuf"); a FLAG is rdonly_prog, wronly_prog or
 * no_prealloc (BPF_F_RDONLY_PROG, ...).
 *
 * Each case is loaded with log_level 1 into libuebpf as BPF_PROG_TYPE_XDP
 * (maps created with uebpf_map_create, references patched with their ids)
 * and, when bpf(2) is allowed, into the kernel (maps from bpf_map_create,
 * references patched with their fds), the oracle the corpus is checked
 * against.  A reject case passes when the load fails with the errno and a
 * log containing the message; an accept case when the load succeeds.
 *
 * Usage: verifier_runner [--kernel-only] [-v] [DIR]   (DIR: tests/verifier)
 *   --kernel-only   check the corpus against the kernel alone
 *   -v              one line per case, and the log of every failure in full
 * Exit status 1 when any case fails.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <bpf/bpf.h>

#include "uebpf.h"
#include "../conformance/asm.h"
#include "../../lib/internal.h"
#include "../../vm/verifier.h"

/*
 * The corpus is about the verifier, not about which helpers this version
 * implements: a helper the kernel has and libuebpf knows the prototype of
 * but does not implement yet gets a placeholder, so the program is judged
 * by the verifier alone.  Placeholders never run (the runner only loads).
 */
static uint64_t placeholder(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			    uint64_t r5, struct uebpf_run_ctx *ctx)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ctx;
	abort();
}

static void install_placeholders(struct uebpf_runtime *rt)
{
	unsigned int id;

	for (id = 1; id < UEBPF_MAX_HELPER_ID; id++) {
		if (rt->helpers[id].fn || !uebpf_helper_proto(id))
			continue;
		rt->helpers[id].fn = placeholder;
		rt->helpers[id].name = uebpf_helper_name(id);
		rt->helpers[id].proto = uebpf_helper_proto(id);
	}
}

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel's, returned as it is by bpf(2) */
#endif
/* Set by the Makefile when struct uebpf_prog_load_opts has the field. */
#ifndef RUNNER_HAVE_ATTACH_TYPE
#define RUNNER_HAVE_ATTACH_TYPE 0
#endif

#define MAX_MAPS 8
#define LOG_SIZE (16u << 20)
#define TAIL_LINES 20
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct map_decl {
	char name[64];
	enum bpf_map_type type;
	unsigned int key_size, value_size, max_entries;
	unsigned int flags; /* BPF_F_* */
};

struct vcase {
	char name[256];
	char path[4096];
	bool reject;
	struct map_decl maps[MAX_MAPS];
	int nmaps;
	char error[512];
	char uerror[512];
	int err; /* positive errno */
	bool unpriv;
	enum bpf_attach_type attach;
	bool has_attach;
	struct bpf_insn *insns;
	size_t cnt;
	struct conf_asm_map_ref *refs;
	size_t nrefs;
};

static bool verbose;
static char *logbuf; /* LOG_SIZE bytes, shared with the unpriv child */
static int nfail;

/* ---- names --------------------------------------------------------------- */

static const struct {
	const char *name;
	int err;
} errnames[] = {
	{ "EACCES", EACCES }, { "EINVAL", EINVAL },	{ "E2BIG", E2BIG },
	{ "EPERM", EPERM },   { "ENOSPC", ENOSPC },	{ "EFAULT", EFAULT },
	{ "ENOMEM", ENOMEM }, { "EBUSY", EBUSY },	{ "ENOENT", ENOENT },
	{ "EBADF", EBADF },   { "ENOTSUPP", ENOTSUPP }, { "EOPNOTSUPP", EOPNOTSUPP },
	{ "EPROTO", EPROTO }, { "ERANGE", ERANGE },	{ "EFBIG", EFBIG },
};

static const char *errname(int err)
{
	static char buf[4][24];
	static unsigned int n;
	size_t i;
	char *b;

	if (!err)
		return "success";
	for (i = 0; i < NELEM(errnames); i++)
		if (errnames[i].err == err)
			return errnames[i].name;
	b = buf[n++ % NELEM(buf)];
	snprintf(b, sizeof(buf[0]), "errno %d", err);
	return b;
}

static int errno_of(const char *s)
{
	size_t i;

	for (i = 0; i < NELEM(errnames); i++)
		if (!strcmp(errnames[i].name, s))
			return errnames[i].err;
	return 0;
}

#define MT(x) { #x, BPF_MAP_TYPE_##x }
static const struct {
	const char *name;
	enum bpf_map_type type;
} map_types[] = {
	MT(HASH), MT(ARRAY), MT(PROG_ARRAY), MT(PERF_EVENT_ARRAY),
	MT(PERCPU_HASH), MT(PERCPU_ARRAY), MT(LRU_HASH), MT(LRU_PERCPU_HASH),
	MT(LPM_TRIE), MT(ARRAY_OF_MAPS), MT(HASH_OF_MAPS), MT(DEVMAP),
	MT(DEVMAP_HASH), MT(CPUMAP), MT(XSKMAP), MT(QUEUE), MT(STACK),
	MT(RINGBUF),
};
#undef MT

static int map_type_of(const char *s, enum bpf_map_type *type)
{
	size_t i, j;

	for (i = 0; i < NELEM(map_types); i++) {
		const char *n = map_types[i].name;

		if (strlen(s) != strlen(n))
			continue;
		for (j = 0; n[j] && toupper((unsigned char)s[j]) == n[j]; j++)
			;
		if (!n[j]) {
			*type = map_types[i].type;
			return 0;
		}
	}
	return -1;
}

/* ---- reporting ---------------------------------------------------------- */

static void print_tail(const char *who, const char *log)
{
	const char *p = log + strlen(log);
	int lines = 0;

	if (!*log) {
		printf("    (%s log is empty)\n", who);
		return;
	}
	if (!verbose) {
		while (p > log) {
			p--;
			if (*p == '\n' && p[1] && ++lines == TAIL_LINES) {
				p++;
				break;
			}
		}
	} else {
		p = log;
	}
	printf("    --- %s log%s ---\n", who, p > log ? " (last 20 lines)" : "");
	while (*p) {
		const char *eol = strchr(p, '\n');
		int len = eol ? (int)(eol - p) : (int)strlen(p);

		printf("    | %.*s\n", len, p);
		p += len + (eol ? 1 : 0);
	}
}

static void failf(const struct vcase *c, const char *who, const char *log, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void failf(const struct vcase *c, const char *who, const char *log, const char *fmt, ...)
{
	va_list ap;

	nfail++;
	printf("FAIL %s/%s [%s]: ", c->reject ? "reject" : "accept", c->name, who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (log)
		print_tail(who, log);
}

/* ---- cases ------------------------------------------------------------ */

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Header lines "# key: value"; other comments are free text.  Returns 0
 * or -1 with a message in why. */
static int parse_header(struct vcase *c, const char *text, char *why, size_t whysz)
{
	const char *p = text;
	unsigned int lineno = 0;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[1024], *s, *colon, *key, *val;

		lineno++;
		snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), p);
		p += len + (eol ? 1 : 0);
		s = trim(line);
		if (*s != '#')
			continue;
		s = trim(s + 1);
		colon = strchr(s, ':');
		if (!colon)
			continue;
		*colon = '\0';
		key = trim(s);
		val = trim(colon + 1);
		if (!strcmp(key, "maps")) {
			struct map_decl *m;
			char type[64];

			if (c->nmaps == MAX_MAPS) {
				snprintf(why, whysz, "line %u: more than %d maps", lineno, MAX_MAPS);
				return -1;
			}
			char flags[4][32] = { "", "", "", "" };
			int nf, f;

			m = &c->maps[c->nmaps];
			nf = sscanf(val, "%63s %63s %u %u %u %31s %31s %31s %31s", m->name, type,
				    &m->key_size, &m->value_size, &m->max_entries, flags[0],
				    flags[1], flags[2], flags[3]);
			if (nf < 5 || map_type_of(type, &m->type)) {
				snprintf(why, whysz,
					 "line %u: expected '# maps: NAME TYPE KEY_SIZE VALUE_SIZE MAX_ENTRIES [FLAG...]', got '%s'",
					 lineno, val);
				return -1;
			}
			for (f = 0; f < nf - 5; f++) {
				if (!strcmp(flags[f], "rdonly_prog"))
					m->flags |= BPF_F_RDONLY_PROG;
				else if (!strcmp(flags[f], "wronly_prog"))
					m->flags |= BPF_F_WRONLY_PROG;
				else if (!strcmp(flags[f], "no_prealloc"))
					m->flags |= BPF_F_NO_PREALLOC;
				else {
					snprintf(why, whysz, "line %u: unknown map flag '%s'", lineno,
						 flags[f]);
					return -1;
				}
			}
			c->nmaps++;
		} else if (!strcmp(key, "error")) {
			snprintf(c->error, sizeof(c->error), "%s", val);
		} else if (!strcmp(key, "uebpf-error")) {
			snprintf(c->uerror, sizeof(c->uerror), "%s", val);
		} else if (!strcmp(key, "errno")) {
			c->err = errno_of(val);
			if (!c->err) {
				snprintf(why, whysz, "line %u: unknown errno '%s'", lineno, val);
				return -1;
			}
		} else if (!strcmp(key, "kernel-caps")) {
			if (strcmp(val, "unpriv")) {
				snprintf(why, whysz, "line %u: kernel-caps must be 'unpriv'", lineno);
				return -1;
			}
			c->unpriv = true;
		} else if (!strcmp(key, "attach")) {
			if (strcmp(val, "devmap")) {
				snprintf(why, whysz, "line %u: attach must be 'devmap'", lineno);
				return -1;
			}
			c->attach = BPF_XDP_DEVMAP;
			c->has_attach = true;
		}
	}
	if (c->reject && (!c->error[0] || !c->err)) {
		snprintf(why, whysz, "a reject case needs '# error:' and '# errno:'");
		return -1;
	}
	if (!c->reject && (c->error[0] || c->uerror[0] || c->err)) {
		snprintf(why, whysz, "an accept case has no '# error:', '# uebpf-error:' or '# errno:'");
		return -1;
	}
	return 0;
}

static int load_case(struct vcase *c, char *why, size_t whysz)
{
	struct conf_asm_error aerr;
	char *text = read_text(c->path);
	size_t i;
	int j;

	if (!text) {
		snprintf(why, whysz, "cannot read the file: %s", strerror(errno));
		return -1;
	}
	if (parse_header(c, text, why, whysz)) {
		free(text);
		return -1;
	}
	if (conf_asm_assemble_refs(text, &c->insns, &c->cnt, &c->refs, &c->nrefs, &aerr)) {
		snprintf(why, whysz, "assembler: %s", aerr.message);
		free(text);
		return -1;
	}
	free(text);
	for (i = 0; i < c->nrefs; i++) {
		for (j = 0; j < c->nmaps; j++)
			if (!strcmp(c->maps[j].name, c->refs[i].name))
				break;
		if (j == c->nmaps) {
			snprintf(why, whysz, "map '%s' is not declared in a '# maps:' line", c->refs[i].name);
			return -1;
		}
	}
	return 0;
}

static void free_case(struct vcase *c)
{
	free(c->insns);
	free(c->refs);
}

/* Patch every map reference with ids[] (the index of the map in c->maps). */
static struct bpf_insn *patched(const struct vcase *c, const int *ids)
{
	struct bpf_insn *insns = malloc(c->cnt * sizeof(*insns));
	size_t i;
	int j;

	if (!insns)
		return NULL;
	memcpy(insns, c->insns, c->cnt * sizeof(*insns));
	for (i = 0; i < c->nrefs; i++) {
		for (j = 0; j < c->nmaps; j++)
			if (!strcmp(c->maps[j].name, c->refs[i].name))
				insns[c->refs[i].pc].imm = ids[j];
	}
	return insns;
}

/* ---- libuebpf ------------------------------------------------------------- */

static struct uebpf_runtime *rt;

static bool set_attach_type(struct uebpf_prog_load_opts *opts, const struct vcase *c)
{
#if RUNNER_HAVE_ATTACH_TYPE
	opts->expected_attach_type = c->attach;
	return true;
#else
	(void)opts;
	return !c->has_attach;
#endif
}

/* Returns true when the case was checked, false when skipped. */
static bool run_uebpf(const struct vcase *c)
{
	UEBPF_OPTS(uebpf_prog_load_opts, opts, .name = "vcase", .log_buf = logbuf,
		   .log_size = LOG_SIZE, .log_level = 1);
	struct uebpf_map *maps[MAX_MAPS] = { 0 };
	int ids[MAX_MAPS] = { 0 };
	struct bpf_insn *insns = NULL;
	struct uebpf_prog *prog;
	const char *want;
	bool truncated = false;
	int j, err;

	if (!set_attach_type(&opts, c)) {
		if (verbose)
			printf("  %s: libuebpf skipped: struct uebpf_prog_load_opts has no expected_attach_type\n",
			       c->name);
		return false;
	}
	for (j = 0; j < c->nmaps; j++) {
		const struct map_decl *m = &c->maps[j];

		UEBPF_OPTS(uebpf_map_create_opts, mo, .map_flags = m->flags);

		maps[j] = uebpf_map_create(rt, m->type, m->name, m->key_size, m->value_size,
					   m->max_entries, &mo);
		if (!maps[j]) {
			failf(c, "libuebpf", NULL, "cannot create map '%s': %s", m->name,
			      strerror(errno));
			goto out;
		}
		ids[j] = (int)uebpf_map_id(maps[j]);
	}
	insns = patched(c, ids);
	if (!insns) {
		failf(c, "libuebpf", NULL, "out of memory");
		goto out;
	}
	logbuf[0] = '\0';
	prog = uebpf_prog_load(rt, BPF_PROG_TYPE_XDP, insns, c->cnt, &opts);
	err = prog ? 0 : errno;
	if (err == ENOSPC && strlen(logbuf) >= LOG_SIZE - 2) {
		/* As for the kernel: the log did not fit; the errno without it.
		 * libuebpf's log keeps its head, not its tail as the
		 * kernel's does, so the message cannot be checked. */
		truncated = true;
		opts.log_buf = NULL;
		opts.log_size = 0;
		opts.log_level = 0;
		prog = uebpf_prog_load(rt, BPF_PROG_TYPE_XDP, insns, c->cnt, &opts);
		err = prog ? 0 : errno;
	}
	uebpf_prog_free(prog);
	want = c->uerror[0] ? c->uerror : c->error;
	if (!c->reject) {
		if (err)
			failf(c, "libuebpf", logbuf, "expected the program to load, got %s",
			      errname(err));
	} else if (!err) {
		failf(c, "libuebpf", logbuf, "expected %s with \"%s\", but the program loaded",
		      errname(c->err), want);
	} else if (err != c->err || (!truncated && !strstr(logbuf, want))) {
		failf(c, "libuebpf", logbuf, "expected %s with \"%s\", got %s%s", errname(c->err),
		      want, errname(err),
		      strstr(logbuf, want) ? "" : " and a log without that message");
	}
out:
	free(insns);
	for (j = 0; j < c->nmaps; j++)
		uebpf_map_put(maps[j]);
	return true;
}

/* ---- the kernel ----------------------------------------------------------- */

static char no_kernel[256]; /* why the oracle is skipped, or "" */

static int kernel_load_raw(const struct bpf_insn *insns, size_t cnt, enum bpf_attach_type attach,
			   char *log, size_t logsz)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = attach, .log_buf = log,
		    .log_size = (unsigned int)logsz, .log_level = log ? 1 : 0);
	int fd;

	if (log)
		log[0] = '\0';
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "vcase", "GPL", insns, cnt, &o);
	fd = fd < 0 ? (errno ? -errno : fd) : fd;
	/* A log that did not fit turns the verdict into ENOSPC (the log keeps
	 * its tail): the errno is asked again without a log. */
	if (fd == -ENOSPC && log && strlen(log) >= logsz - 2) {
		LIBBPF_OPTS(bpf_prog_load_opts, o0, .expected_attach_type = attach);

		fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "vcase", "GPL", insns, cnt, &o0);
		fd = fd < 0 ? (errno ? -errno : fd) : fd;
	}
	return fd;
}

static int capget_self(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };

	return (int)syscall(SYS_capget, &h, d);
}

static int capset_self(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };

	return (int)syscall(SYS_capset, &h, d);
}

static void cap_clear(struct __user_cap_data_struct d[2], int cap)
{
	uint32_t bit = 1u << (cap & 31);

	d[cap >> 5].effective &= ~bit;
	d[cap >> 5].permitted &= ~bit;
	d[cap >> 5].inheritable &= ~bit;
}

static bool cap_has(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap >> 5].effective & (1u << (cap & 31));
}

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/*
 * Load into the kernel; unpriv cases in a child that dropped CAP_PERFMON
 * and CAP_SYS_ADMIN.  Returns 0 when the program loaded, a negative errno
 * when it did not, or INT_MIN after writing the reason to why.
 */
#define KERNEL_ERROR (-100000)
static int kernel_load(const struct vcase *c, const struct bpf_insn *insns, char *why, size_t whysz)
{
	int *shared, status, ret;
	pid_t pid;

	if (!c->unpriv) {
		ret = kernel_load_raw(insns, c->cnt, c->attach, logbuf, LOG_SIZE);
		if (ret >= 0) {
			close(ret);
			ret = 0;
		}
		return ret;
	}
	shared = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		snprintf(why, whysz, "mmap: %s", strerror(errno));
		return KERNEL_ERROR;
	}
	*shared = KERNEL_ERROR;
	logbuf[0] = '\0';
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		snprintf(why, whysz, "fork: %s", strerror(errno));
		munmap(shared, sizeof(int));
		return KERNEL_ERROR;
	}
	if (!pid) {
		struct __user_cap_data_struct d[2];

		if (capget_self(d)) {
			snprintf(logbuf, LOG_SIZE, "capget: %s", strerror(errno));
			_exit(1);
		}
		cap_clear(d, CAP_SYS_ADMIN);
		cap_clear(d, CAP_PERFMON);
		if (capset_self(d) || capget_self(d) || cap_has(d, CAP_SYS_ADMIN) ||
		    cap_has(d, CAP_PERFMON)) {
			snprintf(logbuf, LOG_SIZE, "cannot drop CAP_SYS_ADMIN and CAP_PERFMON: %s",
				 strerror(errno));
			_exit(1);
		}
		ret = kernel_load_raw(insns, c->cnt, c->attach, logbuf, LOG_SIZE);
		*shared = ret >= 0 ? 0 : ret;
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ret = *shared;
	munmap(shared, sizeof(int));
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(why, whysz, "unprivileged child failed: %s", logbuf);
		return KERNEL_ERROR;
	}
	return ret;
}

/* Returns true when the kernel checked the case and agreed. */
static bool run_kernel(const struct vcase *c)
{
	int fds[MAX_MAPS], j, ret;
	struct bpf_insn *insns = NULL;
	char why[512] = "";
	bool agreed = false;

	for (j = 0; j < c->nmaps; j++)
		fds[j] = -1;
	for (j = 0; j < c->nmaps; j++) {
		const struct map_decl *m = &c->maps[j];
		LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = m->flags);
		char name[16];

		snprintf(name, sizeof(name), "%s", m->name);
		fds[j] = bpf_map_create(m->type, name, m->key_size, m->value_size, m->max_entries, &mo);
		if (fds[j] < 0) {
			failf(c, "kernel", NULL, "cannot create map '%s': %s", m->name, strerror(errno));
			goto out;
		}
	}
	insns = patched(c, fds);
	if (!insns) {
		failf(c, "kernel", NULL, "out of memory");
		goto out;
	}
	ret = kernel_load(c, insns, why, sizeof(why));
	if (ret == KERNEL_ERROR) {
		failf(c, "kernel", NULL, "%s", why);
		goto out;
	}
	if (!c->reject) {
		if (ret)
			failf(c, "kernel", logbuf, "expected the program to load, got %s",
			      errname(-ret));
		else
			agreed = true;
	} else if (!ret) {
		failf(c, "kernel", logbuf, "expected %s with \"%s\", but the program loaded",
		      errname(c->err), c->error);
	} else if (-ret != c->err || !strstr(logbuf, c->error)) {
		failf(c, "kernel", logbuf, "expected %s with \"%s\", got %s%s", errname(c->err),
		      c->error, errname(-ret),
		      strstr(logbuf, c->error) ? "" : " and a log without that message");
	} else {
		agreed = true;
	}
out:
	free(insns);
	for (j = 0; j < c->nmaps; j++)
		if (fds[j] >= 0)
			close(fds[j]);
	return agreed;
}

static void probe_kernel(void)
{
	static const struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "probe", 4, 4, 1, NULL);
	if (fd < 0) {
		snprintf(no_kernel, sizeof(no_kernel), "bpf(BPF_MAP_CREATE) fails with %s%s",
			 errname(errno), errno == EPERM ? "; needs root or CAP_BPF" : "");
		return;
	}
	close(fd);
	fd = kernel_load_raw(prog, NELEM(prog), 0, NULL, 0);
	if (fd < 0) {
		snprintf(no_kernel, sizeof(no_kernel), "bpf(BPF_PROG_LOAD) of an XDP program fails with %s%s",
			 errname(-fd), fd == -EPERM ? "; needs CAP_BPF and CAP_NET_ADMIN" : "");
		return;
	}
	close(fd);
}

/* ---- main ----------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted .s files of dir; NULL when it cannot be read. */
static char **list_cases(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t cap = 0;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len < 3 || strcmp(e->d_name + len - 2, ".s"))
			continue;
		if (*n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));

			if (!nn)
				break;
			names = nn;
		}
		names[(*n)++] = strndup(e->d_name, len - 2);
	}
	closedir(d);
	if (!names)
		names = calloc(1, sizeof(*names));
	qsort(names, *n, sizeof(*names), cmp_str);
	return names;
}

int main(int argc, char **argv)
{
	const char *dir = "tests/verifier";
	bool kernel_only = false;
	int counts[2] = { 0, 0 }, agreed = 0, kernel_checked = 0, skipped = 0;
	int i, k;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--kernel-only"))
			kernel_only = true;
		else if (!strcmp(argv[i], "-v"))
			verbose = true;
		else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: %s [--kernel-only] [-v] [DIR]\n", argv[0]);
			return 2;
		} else
			dir = argv[i];
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	logbuf = mmap(NULL, LOG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (logbuf == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	probe_kernel();
	if (no_kernel[0])
		printf("kernel oracle skipped: %s\n", no_kernel);
	if (!kernel_only) {
		UEBPF_OPTS(uebpf_runtime_opts, ro, .nr_cpus = 1, .log_quiet = 1);

		rt = uebpf_runtime_new(&ro);
		if (rt)
			install_placeholders(rt);
		if (!rt) {
			fprintf(stderr, "uebpf_runtime_new: %s\n", strerror(errno));
			return 1;
		}
	}

	for (k = 0; k < 2; k++) {
		const char *kind = k == 0 ? "reject" : "accept";
		char sub[4096];
		char **names;
		size_t n, m;

		snprintf(sub, sizeof(sub), "%s/%s", dir, kind);
		names = list_cases(sub, &n);
		if (!names) {
			fprintf(stderr, "%s: %s\n", sub, strerror(errno));
			return 1;
		}
		for (m = 0; m < n; m++) {
			struct vcase c;
			char why[1024];
			int before = nfail;

			memset(&c, 0, sizeof(c));
			c.reject = k == 0;
			snprintf(c.name, sizeof(c.name), "%s", names[m]);
			if (snprintf(c.path, sizeof(c.path), "%s/%s.s", sub, names[m]) >=
			    (int)sizeof(c.path)) {
				fprintf(stderr, "%s/%s.s: path too long\n", sub, names[m]);
				return 1;
			}
			free(names[m]);
			counts[k]++;
			if (load_case(&c, why, sizeof(why))) {
				printf("FAIL %s/%s: bad case: %s\n", kind, c.name, why);
				nfail++;
				free_case(&c);
				continue;
			}
			if (!kernel_only && !run_uebpf(&c))
				skipped++;
			if (!no_kernel[0]) {
				kernel_checked++;
				if (run_kernel(&c))
					agreed++;
			}
			if (verbose)
				printf("%-4s %s/%s\n", nfail == before ? "ok" : "FAIL", kind, c.name);
			free_case(&c);
		}
		free(names);
	}
	if (rt)
		uebpf_runtime_free(rt);

	if (nfail) {
		printf("verifier corpus: %d reject, %d accept: %d failure%s", counts[0], counts[1], nfail,
		       nfail == 1 ? "" : "s");
		if (!no_kernel[0])
			printf(" (kernel agreed on %d of %d)", agreed, kernel_checked);
		printf("%s\n", kernel_only ? " [kernel only]" : "");
		return 1;
	}
	printf("verifier corpus: %d reject, %d accept: all as expected", counts[0], counts[1]);
	if (!no_kernel[0])
		printf(" (kernel agreed on %d)", agreed);
	else
		printf(" (kernel oracle skipped)");
	if (kernel_only)
		printf(" [kernel only]");
	if (skipped)
		printf("; %d case%s skipped in libuebpf (no expected_attach_type)", skipped,
		       skipped == 1 ? "" : "s");
	printf("\n");
	return 0;
}
