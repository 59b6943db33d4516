/* SPDX-License-Identifier: MIT */
/*
 * The runtime through the public API: version, creation, CPU slots, the
 * options-size rule (for uebpf_runtime_opts and uebpf_prog_load_opts),
 * logging, and the name tables.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "uebpf.h"
#include "insn.h"
#include "internal.h" /* the epoch's per-thread records */

#define OFFSETOFEND(type, field)                                               \
	(offsetof(type, field) + sizeof(((type *)0)->field))

/* ---- log capture -------------------------------------------------------- */

struct logcap {
	int calls;
	enum uebpf_log_level last_level;
	char text[8192]; /* every message, concatenated */
};

static void cap_fn(enum uebpf_log_level level, const char *msg, void *ctx)
{
	struct logcap *c = ctx;
	size_t len = strlen(c->text);

	c->calls++;
	c->last_level = level;
	snprintf(c->text + len, sizeof(c->text) - len, "%s", msg);
}

static void assert_logged(const struct logcap *c, const char *needle)
{
	if (!strstr(c->text, needle))
		fail_msg("log does not contain \"%s\"; log was: \"%s\"", needle,
			 c->text);
}

/* A runtime whose log goes to cap. */
static struct uebpf_runtime *new_captured(struct logcap *cap)
{
	UEBPF_OPTS(uebpf_runtime_opts, o, .log_fn = cap_fn, .log_ctx = cap);
	struct uebpf_runtime *rt = uebpf_runtime_new(&o);

	assert_non_null(rt);
	return rt;
}

/* Redirect stderr into a temporary file while fn runs; returns what was
 * written (static buffer). */
static char stderr_text[4096];

static const char *capture_stderr(void (*fn)(void *), void *arg)
{
	FILE *tmp = tmpfile();
	int saved, n;

	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	fn(arg);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = (int)fread(stderr_text, 1, sizeof(stderr_text) - 1, tmp);
	stderr_text[n > 0 ? n : 0] = '\0';
	fclose(tmp);
	return stderr_text;
}

static const struct bpf_insn ret0[] = { MOV64_IMM(0, 0), EXIT() };
static const struct bpf_insn bad_prog[] = { MOV64_IMM(0, 0) }; /* falls off */

/* ---- version and names -------------------------------------------------- */

static void test_version(void **state)
{
	char want[32];

	(void)state;
	assert_string_equal(uebpf_version(), "0.1.0");
	snprintf(want, sizeof(want), "%d.%d.%d", UEBPF_VERSION_MAJOR,
		 UEBPF_VERSION_MINOR, UEBPF_VERSION_PATCH);
	assert_string_equal(uebpf_version(), want);
}

static void test_helper_name(void **state)
{
	(void)state;
	assert_string_equal(uebpf_helper_name(5), "bpf_ktime_get_ns");
	assert_string_equal(uebpf_helper_name(BPF_FUNC_map_lookup_elem),
			    "bpf_map_lookup_elem");
	assert_string_equal(uebpf_helper_name(BPF_FUNC_get_smp_processor_id),
			    "bpf_get_smp_processor_id");
	assert_null(uebpf_helper_name(100000));
	assert_null(uebpf_helper_name(__BPF_FUNC_MAX_ID));
	assert_null(uebpf_helper_name(UINT32_MAX));
}

static void test_prog_type_name(void **state)
{
	(void)state;
	assert_string_equal(uebpf_prog_type_name(BPF_PROG_TYPE_XDP), "XDP");
	assert_string_equal(uebpf_prog_type_name(BPF_PROG_TYPE_UNSPEC),
			    "UNSPEC");
	assert_string_equal(uebpf_prog_type_name(BPF_PROG_TYPE_SCHED_CLS),
			    "SCHED_CLS");
	assert_null(uebpf_prog_type_name((enum bpf_prog_type)100000));
	assert_null(uebpf_prog_type_name((enum bpf_prog_type)-1));
}

/* ---- creation and CPU slots ---------------------------------------------- */

static void test_runtime_new_null_opts(void **state)
{
	struct uebpf_runtime *rt;
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	(void)state;
	rt = uebpf_runtime_new(NULL);
	assert_non_null(rt);
	assert_int_equal(uebpf_runtime_nr_cpus(rt),
			 online > 0 ? (unsigned int)online : 1);
	uebpf_runtime_free(rt);
	uebpf_runtime_free(NULL); /* no-op */
	assert_int_equal(uebpf_runtime_nr_cpus(NULL), 0);
}

static void test_nr_cpus_default(void **state)
{
	UEBPF_OPTS(uebpf_runtime_opts, o, .nr_cpus = 0);
	struct uebpf_runtime *rt;
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	(void)state;
	assert_true(online > 0);
	rt = uebpf_runtime_new(&o);
	assert_non_null(rt);
	assert_int_equal(uebpf_runtime_nr_cpus(rt), (unsigned int)online);
	uebpf_runtime_free(rt);
}

static void test_nr_cpus_explicit(void **state)
{
	unsigned int want[] = { 1, 3, 64, 4096 };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(want); i++) {
		UEBPF_OPTS(uebpf_runtime_opts, o, .nr_cpus = want[i]);
		struct uebpf_runtime *rt = uebpf_runtime_new(&o);

		assert_non_null(rt);
		assert_int_equal(uebpf_runtime_nr_cpus(rt), want[i]);
		uebpf_runtime_free(rt);
	}
}

static void test_nr_cpus_too_many(void **state)
{
	struct logcap cap = { 0 };
	unsigned int bad[] = { 4097, 100000, UINT32_MAX };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		UEBPF_OPTS(uebpf_runtime_opts, o, .nr_cpus = bad[i],
			   .log_fn = cap_fn, .log_ctx = &cap);

		errno = 0;
		assert_null(uebpf_runtime_new(&o));
		assert_int_equal(errno, E2BIG);
	}
	assert_int_equal(cap.calls, 3);
	assert_int_equal(cap.last_level, UEBPF_LOG_WARN);
	assert_logged(&cap, "nr_cpus 4097 is larger than the limit of 4096");
}

/* ---- the options-size rule: uebpf_runtime_opts ---------------------------- */

static int stderr_called;
static void must_not_be_called(enum uebpf_log_level level, const char *msg,
			       void *ctx)
{
	(void)level, (void)msg, (void)ctx;
	stderr_called++;
}


static void new_expect_einval(void *arg)
{
	errno = 0;
	assert_null(uebpf_runtime_new(arg));
	assert_int_equal(errno, EINVAL);
}

/* sz smaller than the sz field: rejected.  No field is read, log_fn
 * included, so the complaint goes to stderr. */
static void test_runtime_opts_sz_too_small(void **state)
{
	size_t szs[] = { 0, 1, sizeof(size_t) - 1 };
	char want[128];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(szs); i++) {
		struct uebpf_runtime_opts o;
		const char *err;

		memset(&o, 0, sizeof(o));
		o.sz = szs[i];
		o.log_fn = must_not_be_called;
		stderr_called = 0;
		err = capture_stderr(new_expect_einval, &o);
		assert_int_equal(stderr_called, 0);
		snprintf(want, sizeof(want),
			 "struct uebpf_runtime_opts: sz is %zu", szs[i]);
		if (!strstr(err, want))
			fail_msg("stderr \"%s\" lacks \"%s\"", err, want);
	}
}

/* Exactly sizeof(size_t): the caller knows only sz; every field defaults. */
static void test_runtime_opts_sz_only(void **state)
{
	struct uebpf_runtime_opts o;
	struct uebpf_runtime *rt;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(size_t);
	rt = uebpf_runtime_new(&o);
	assert_non_null(rt);
	assert_int_equal(uebpf_runtime_nr_cpus(rt),
			 (unsigned int)sysconf(_SC_NPROCESSORS_ONLN));
	uebpf_runtime_free(rt);
}

union big_runtime_opts {
	struct uebpf_runtime_opts o;
	unsigned char raw[sizeof(struct uebpf_runtime_opts) + 24];
};

static void test_runtime_opts_larger_zero_tail(void **state)
{
	union big_runtime_opts u;
	struct uebpf_runtime *rt;

	(void)state;
	memset(&u, 0, sizeof(u));
	u.o.sz = sizeof(u.raw);
	u.o.nr_cpus = 5;
	rt = uebpf_runtime_new(&u.o);
	assert_non_null(rt);
	assert_int_equal(uebpf_runtime_nr_cpus(rt), 5);
	uebpf_runtime_free(rt);
}

static void test_runtime_opts_larger_nonzero_tail(void **state)
{
	struct logcap cap = { 0 };
	union big_runtime_opts u;
	char want[128];
	size_t i;

	(void)state;
	/* Each byte of the unknown tail is checked, the last one too. */
	for (i = sizeof(struct uebpf_runtime_opts); i < sizeof(u.raw); i++) {
		memset(&u, 0, sizeof(u));
		memset(&cap, 0, sizeof(cap));
		u.o.sz = sizeof(u.raw);
		u.o.log_fn = cap_fn;
		u.o.log_ctx = &cap;
		u.raw[i] = 0x01;
		errno = 0;
		assert_null(uebpf_runtime_new(&u.o));
		assert_int_equal(errno, EINVAL);
		assert_int_equal(cap.calls, 1);
		assert_int_equal(cap.last_level, UEBPF_LOG_WARN);
		assert_logged(&cap, "struct uebpf_runtime_opts");
		snprintf(want, sizeof(want), "byte %zu is non-zero", i);
		assert_logged(&cap, want);
	}
}

/* An "old" caller whose struct ends after log_ctx: log_level and log_quiet
 * hold garbage beyond sz and must be ignored (so warnings still reach the
 * log_fn). */
static void test_runtime_opts_old_caller_ignores_beyond_sz(void **state)
{
	struct logcap cap = { 0 };
	union big_runtime_opts u;
	struct uebpf_runtime *rt;
	struct uebpf_prog *prog;

	(void)state;
	memset(&u, 0xa5, sizeof(u)); /* garbage everywhere */
	u.o.sz = OFFSETOFEND(struct uebpf_runtime_opts, log_ctx);
	u.o.nr_cpus = 2;
	u.o.log_fn = cap_fn;
	u.o.log_ctx = &cap;
	u.o.log_level = (enum uebpf_log_level)0xdeadbeef;
	u.o.log_quiet = 1;
	rt = uebpf_runtime_new(&u.o);
	assert_non_null(rt);
	assert_int_equal(uebpf_runtime_nr_cpus(rt), 2);
	/* A warning: log_quiet beyond sz was not honoured. */
	prog = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, bad_prog,
			       ARRAY_LEN(bad_prog), NULL);
	assert_null(prog);
	assert_true(cap.calls >= 1);
	assert_int_equal(cap.last_level, UEBPF_LOG_WARN);
	uebpf_runtime_free(rt);
}

static void new_with_opts(void *arg)
{
	errno = 0;
	assert_null(uebpf_runtime_new(arg));
	assert_int_equal(errno, E2BIG);
}

/* An old caller that knows only nr_cpus: log_fn beyond sz is not called
 * (the warning goes to stderr instead). */
static void test_runtime_opts_old_caller_log_fn_ignored(void **state)
{
	union big_runtime_opts u;
	const char *err;

	(void)state;
	memset(&u, 0, sizeof(u));
	u.o.sz = OFFSETOFEND(struct uebpf_runtime_opts, nr_cpus);
	u.o.nr_cpus = 5000;
	u.o.log_fn = must_not_be_called;
	stderr_called = 0;
	err = capture_stderr(new_with_opts, &u.o);
	assert_int_equal(stderr_called, 0);
	assert_non_null(strstr(err, "libuebpf: nr_cpus 5000"));
}

/* sz that ends inside nr_cpus: nr_cpus is not read at all. */
static void test_runtime_opts_sz_partial_field(void **state)
{
	union big_runtime_opts u;
	struct uebpf_runtime *rt;

	(void)state;
	memset(&u, 0, sizeof(u));
	u.o.sz = offsetof(struct uebpf_runtime_opts, nr_cpus) + 2;
	u.o.nr_cpus = 0x10000; /* low bytes zero, so the 2 bytes inside sz are 0 */
	rt = uebpf_runtime_new(&u.o);
	assert_non_null(rt);
	assert_int_equal(uebpf_runtime_nr_cpus(rt),
			 (unsigned int)sysconf(_SC_NPROCESSORS_ONLN));
	uebpf_runtime_free(rt);
}

/* ---- the options-size rule: uebpf_prog_load_opts ------------------------- */

union big_load_opts {
	struct uebpf_prog_load_opts o;
	unsigned char raw[sizeof(struct uebpf_prog_load_opts) + 24];
};

static void test_load_opts_sz_too_small(void **state)
{
	struct logcap cap = { 0 };
	struct uebpf_runtime *rt = new_captured(&cap);
	struct uebpf_prog_load_opts o;
	size_t szs[] = { 0, 1, sizeof(size_t) - 1 };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(szs); i++) {
		memset(&o, 0, sizeof(o));
		o.sz = szs[i];
		errno = 0;
		assert_null(uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, ret0,
					    ARRAY_LEN(ret0), &o));
		assert_int_equal(errno, EINVAL);
	}
	assert_logged(&cap, "struct uebpf_prog_load_opts: sz is 0");
	assert_logged(&cap, "UEBPF_OPTS");
	uebpf_runtime_free(rt);
}

static void test_load_opts_larger_zero_tail(void **state)
{
	struct logcap cap = { 0 };
	struct uebpf_runtime *rt = new_captured(&cap);
	union big_load_opts u;
	struct uebpf_prog *prog;

	(void)state;
	memset(&u, 0, sizeof(u));
	u.o.sz = sizeof(u.raw);
	u.o.name = "big";
	prog = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, ret0, ARRAY_LEN(ret0),
			       &u.o);
	assert_non_null(prog);
	assert_string_equal(uebpf_prog_name(prog), "big");
	assert_int_equal(cap.calls, 0);
	uebpf_prog_free(prog);
	uebpf_runtime_free(rt);
}

static void test_load_opts_larger_nonzero_tail(void **state)
{
	struct logcap cap = { 0 };
	struct uebpf_runtime *rt = new_captured(&cap);
	union big_load_opts u;
	char want[64];
	size_t i;

	(void)state;
	for (i = sizeof(struct uebpf_prog_load_opts); i < sizeof(u.raw); i++) {
		memset(&u, 0, sizeof(u));
		memset(&cap, 0, sizeof(cap));
		u.o.sz = sizeof(u.raw);
		u.raw[i] = 0xff;
		errno = 0;
		assert_null(uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, ret0,
					    ARRAY_LEN(ret0), &u.o));
		assert_int_equal(errno, EINVAL);
		assert_int_equal(cap.last_level, UEBPF_LOG_WARN);
		assert_logged(&cap, "struct uebpf_prog_load_opts");
		snprintf(want, sizeof(want), "byte %zu is non-zero", i);
		assert_logged(&cap, want);
	}
	uebpf_runtime_free(rt);
}

/* An old caller that knows only sz and name: log_buf (garbage pointer
 * without log_size, which would be EINVAL) and insn_budget are ignored. */
static void test_load_opts_old_caller_name_only(void **state)
{
	struct logcap cap = { 0 };
	struct uebpf_runtime *rt = new_captured(&cap);
	union big_load_opts u;
	struct uebpf_prog *prog;
	uint64_t r0 = 99;

	(void)state;
	memset(&u, 0x5a, sizeof(u));
	u.o.sz = OFFSETOFEND(struct uebpf_prog_load_opts, name);
	u.o.name = "old";
	u.o.log_buf = (char *)(uintptr_t)0x10; /* would crash if written */
	u.o.log_size = 0;
	u.o.log_level = 1;
	u.o.insn_budget = 1;
	prog = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, ret0, ARRAY_LEN(ret0),
			       &u.o);
	assert_non_null(prog);
	assert_string_equal(uebpf_prog_name(prog), "old");
	assert_int_equal(uebpf_prog_run(prog, NULL, 0, &r0), 0);
	assert_int_equal(r0, 0);
	uebpf_prog_free(prog);
	uebpf_runtime_free(rt);
}

/* An old caller that knows up to log_level: insn_budget beyond sz is
 * garbage (1) and must not limit the run. */
static void test_load_opts_old_caller_budget_ignored(void **state)
{
	const struct bpf_insn prog5[] = {
		MOV64_IMM(0, 1), ALU64_IMM(BPF_ADD, 0, 1),
		ALU64_IMM(BPF_ADD, 0, 1), ALU64_IMM(BPF_ADD, 0, 1), EXIT(),
	};
	struct logcap cap = { 0 };
	struct uebpf_runtime *rt = new_captured(&cap);
	union big_load_opts u;
	struct uebpf_prog *prog;
	char log[128];
	uint64_t r0 = 0;

	(void)state;
	memset(&u, 0x5a, sizeof(u));
	u.o.sz = OFFSETOFEND(struct uebpf_prog_load_opts, log_level);
	u.o.name = NULL;
	u.o.log_buf = log;
	u.o.log_size = sizeof(log);
	u.o.log_level = 1;
	u.o.insn_budget = 1;
	prog = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, prog5,
			       ARRAY_LEN(prog5), &u.o);
	assert_non_null(prog);
	assert_string_equal(uebpf_prog_name(prog), "");
	assert_int_equal(uebpf_prog_run(prog, NULL, 0, &r0), 0);
	assert_int_equal(r0, 4);
	uebpf_prog_free(prog);
	uebpf_runtime_free(rt);
}

/* The same struct with insn_budget inside sz: it is honoured. */
static void test_load_opts_budget_within_sz(void **state)
{
	const struct bpf_insn prog5[] = {
		MOV64_IMM(0, 1), ALU64_IMM(BPF_ADD, 0, 1),
		ALU64_IMM(BPF_ADD, 0, 1), ALU64_IMM(BPF_ADD, 0, 1), EXIT(),
	};
	struct logcap cap = { 0 };
	struct uebpf_runtime *rt = new_captured(&cap);
	UEBPF_OPTS(uebpf_prog_load_opts, o, .insn_budget = 1);
	struct uebpf_prog *prog;
	uint64_t r0 = 0;

	(void)state;
	prog = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, prog5,
			       ARRAY_LEN(prog5), &o);
	assert_non_null(prog);
	assert_int_equal(uebpf_prog_run(prog, NULL, 0, &r0), -ETIMEDOUT);
	assert_logged(&cap, "instruction budget of 1 exhausted");
	uebpf_prog_free(prog);
	uebpf_runtime_free(rt);
}

/* ---- programs: accessors ---------------------------------------------- */

static void test_prog_accessors(void **state)
{
	char longname[200];
	struct uebpf_runtime *rt = uebpf_runtime_new(NULL);
	struct uebpf_prog *prog;

	(void)state;
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	{
		UEBPF_OPTS(uebpf_prog_load_opts, o, .name = longname);

		prog = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, ret0,
				       ARRAY_LEN(ret0), &o);
	}
	assert_non_null(prog);
	longname[0] = 'X'; /* the name was copied */
	assert_int_equal(uebpf_prog_name(prog)[0], 'n');
	assert_true(strlen(uebpf_prog_name(prog)) < sizeof(longname) - 1);
	assert_int_equal(uebpf_prog_type(prog), BPF_PROG_TYPE_UNSPEC);
	assert_int_equal(uebpf_prog_insn_cnt(prog), 2);
	uebpf_prog_free(prog);
	uebpf_prog_free(NULL);
	assert_null(uebpf_prog_name(NULL));
	assert_int_equal(uebpf_prog_insn_cnt(NULL), 0);
	uebpf_runtime_free(rt);
}

static void test_prog_load_bad_args(void **state)
{
	struct logcap cap = { 0 };
	struct uebpf_runtime *rt = new_captured(&cap);

	(void)state;
	errno = 0;
	assert_null(uebpf_prog_load(NULL, BPF_PROG_TYPE_UNSPEC, ret0,
				    ARRAY_LEN(ret0), NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, NULL, 2, NULL));
	assert_int_equal(errno, EINVAL);
	uebpf_runtime_free(rt);
}

/* ---- logging ------------------------------------------------------------ */

static void test_log_fn_receives_warnings(void **state)
{
	struct logcap cap = { 0 };
	struct uebpf_runtime *rt = new_captured(&cap);
	UEBPF_OPTS(uebpf_prog_load_opts, o, .name = "falls");

	(void)state;
	assert_null(uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, bad_prog,
				    ARRAY_LEN(bad_prog), &o));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(cap.calls, 1);
	assert_int_equal(cap.last_level, UEBPF_LOG_WARN);
	/* The host's log names the program and the first verifier message,
	 * even though no log_buf was given. */
	assert_logged(&cap, "prog 'falls': load failed: ");
	assert_logged(&cap, "falls off the end of the program");
	uebpf_runtime_free(rt);
}

static void load_bad(void *arg)
{
	struct uebpf_runtime *rt = arg;

	assert_null(uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, bad_prog,
				    ARRAY_LEN(bad_prog), NULL));
}

static void test_log_quiet_suppresses(void **state)
{
	struct logcap cap = { 0 };
	UEBPF_OPTS(uebpf_runtime_opts, o, .log_fn = cap_fn, .log_ctx = &cap,
		   .log_quiet = 1);
	UEBPF_OPTS(uebpf_runtime_opts, o2, .log_quiet = 1);
	struct uebpf_runtime *rt = uebpf_runtime_new(&o);
	const char *err;

	(void)state;
	assert_non_null(rt);
	err = capture_stderr(load_bad, rt);
	assert_int_equal(cap.calls, 0);
	assert_string_equal(err, "");
	uebpf_runtime_free(rt);

	/* Quiet without a log_fn: nothing on stderr either. */
	rt = uebpf_runtime_new(&o2);
	assert_non_null(rt);
	err = capture_stderr(load_bad, rt);
	assert_string_equal(err, "");
	uebpf_runtime_free(rt);
}

static void test_log_default_stderr(void **state)
{
	struct uebpf_runtime *rt = uebpf_runtime_new(NULL);
	const char *err;

	(void)state;
	assert_non_null(rt);
	err = capture_stderr(load_bad, rt);
	assert_non_null(strstr(err, "libuebpf: prog '': load failed: "));
	uebpf_runtime_free(rt);
}

/* A rejected options struct is reported through the log_fn it carries
 * (logging is set up before the check). */
static void test_log_fn_gets_opts_complaint(void **state)
{
	struct logcap cap = { 0 };
	union big_runtime_opts u;

	(void)state;
	memset(&u, 0, sizeof(u));
	u.o.sz = sizeof(u.raw);
	u.o.log_fn = cap_fn;
	u.o.log_ctx = &cap;
	u.o.log_quiet = 1; /* quiet wins even here */
	u.raw[sizeof(u.raw) - 1] = 1;
	errno = 0;
	assert_null(uebpf_runtime_new(&u.o));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(cap.calls, 0);
}

/* C leaves an initialised struct's tail padding undefined: garbage there
 * is not a newer caller's field, and must not make the call fail; a byte
 * past sizeof still does. */
static void test_opts_tail_padding_ignored(void **state)
{
	struct uebpf_runtime *rt = uebpf_runtime_new(NULL);
	union {
		struct uebpf_map_create_opts o;
		unsigned char raw[sizeof(struct uebpf_map_create_opts) + 8];
	} u;
	size_t end = offsetof(struct uebpf_map_create_opts, numa_node) +
		     sizeof(u.o.numa_node);
	struct uebpf_map *m;

	(void)state;
	assert_non_null(rt);
	memset(&u, 0, sizeof(u));
	u.o.sz = sizeof(u.o);
	memset(u.raw + end, 0xa5, sizeof(u.o) - end); /* padding, if any */
	m = uebpf_map_create(rt, BPF_MAP_TYPE_ARRAY, "pad", 4, 4, 1, &u.o);
	assert_non_null(m);
	uebpf_map_put(m);
	u.o.sz = sizeof(u.raw);
	u.raw[sizeof(u.o)] = 1;
	errno = 0;
	assert_null(uebpf_map_create(rt, BPF_MAP_TYPE_ARRAY, "pad", 4, 4, 1,
				     &u.o));
	assert_int_equal(errno, EINVAL);
	uebpf_runtime_free(rt);
}

/* Two runtimes whose per-thread cache slots collide, used in turn by one
 * thread, must each keep one record for it, not one per run. */
static void test_epoch_records_bounded(void **state)
{
	const struct bpf_insn p[] = { MOV64_IMM(0, 1), EXIT() };
	struct uebpf_runtime *rts[5];
	struct uebpf_prog *a, *b;
	struct uebpf_epoch_rec *r;
	uint64_t r0;
	int i, n;

	(void)state;
	for (i = 0; i < 5; i++)
		assert_non_null(rts[i] = uebpf_runtime_new(NULL));
	a = uebpf_prog_load(rts[0], BPF_PROG_TYPE_UNSPEC, p, 2, NULL);
	b = uebpf_prog_load(rts[4], BPF_PROG_TYPE_UNSPEC, p, 2, NULL);
	assert_non_null(a);
	assert_non_null(b);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(uebpf_prog_run(a, NULL, 0, &r0), 0);
		assert_int_equal(uebpf_prog_run(b, NULL, 0, &r0), 0);
	}
	for (n = 0, r = atomic_load(&rts[0]->epoch.recs); r; r = r->next)
		n++;
	assert_int_equal(n, 1);
	for (n = 0, r = atomic_load(&rts[4]->epoch.recs); r; r = r->next)
		n++;
	assert_int_equal(n, 1);
	uebpf_prog_free(a);
	uebpf_prog_free(b);
	for (i = 0; i < 5; i++)
		uebpf_runtime_free(rts[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_helper_name),
		cmocka_unit_test(test_prog_type_name),
		cmocka_unit_test(test_runtime_new_null_opts),
		cmocka_unit_test(test_nr_cpus_default),
		cmocka_unit_test(test_nr_cpus_explicit),
		cmocka_unit_test(test_nr_cpus_too_many),
		cmocka_unit_test(test_runtime_opts_sz_too_small),
		cmocka_unit_test(test_runtime_opts_sz_only),
		cmocka_unit_test(test_runtime_opts_larger_zero_tail),
		cmocka_unit_test(test_runtime_opts_larger_nonzero_tail),
		cmocka_unit_test(test_runtime_opts_old_caller_ignores_beyond_sz),
		cmocka_unit_test(test_runtime_opts_old_caller_log_fn_ignored),
		cmocka_unit_test(test_runtime_opts_sz_partial_field),
		cmocka_unit_test(test_load_opts_sz_too_small),
		cmocka_unit_test(test_load_opts_larger_zero_tail),
		cmocka_unit_test(test_load_opts_larger_nonzero_tail),
		cmocka_unit_test(test_load_opts_old_caller_name_only),
		cmocka_unit_test(test_load_opts_old_caller_budget_ignored),
		cmocka_unit_test(test_load_opts_budget_within_sz),
		cmocka_unit_test(test_prog_accessors),
		cmocka_unit_test(test_prog_load_bad_args),
		cmocka_unit_test(test_log_fn_receives_warnings),
		cmocka_unit_test(test_log_quiet_suppresses),
		cmocka_unit_test(test_log_default_stderr),
		cmocka_unit_test(test_log_fn_gets_opts_complaint),
		cmocka_unit_test(test_epoch_records_bounded),
		cmocka_unit_test(test_opts_tail_padding_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
