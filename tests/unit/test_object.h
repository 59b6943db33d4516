/* SPDX-License-Identifier: MIT */
/*
 * What the object loader's tests share: a runtime whose log is captured,
 * the test objects under build/progs (UEBPF_PROGS_DIR overrides), and two
 * white-box stand-ins until the helpers issue lands:
 *
 *  - stub_helpers(): the validator refuses a program calling a helper the
 *    runtime lacks, and the map helpers are not in yet; every helper the
 *    kernel names gets a placeholder that returns 0, so objects that call
 *    them load.  No test runs a program that calls one.
 *  - drain(): a map-in-map or PROG_ARRAY frees what it holds when it is
 *    reclaimed, after a grace period; draining before uebpf_runtime_free()
 *    keeps the runtime's "still held" warnings and LSan quiet.
 */
#ifndef UEBPF_TEST_OBJECT_H
#define UEBPF_TEST_OBJECT_H

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>

#include <cmocka.h>

#include "uebpf.h"
#include "internal.h"

/* Not every test uses every helper. */
#define MAYBE_UNUSED __attribute__((unused))

struct logcap {
	char text[1 << 16];
};

static struct logcap cap;

MAYBE_UNUSED static void cap_fn(enum uebpf_log_level level, const char *msg,
				void *ctx)
{
	struct logcap *c = ctx;
	size_t len = strlen(c->text);

	(void)level;
	snprintf(c->text + len, sizeof(c->text) - len, "%s", msg);
}

MAYBE_UNUSED static uint64_t stub_helper(uint64_t r1, uint64_t r2, uint64_t r3,
			    uint64_t r4, uint64_t r5, struct uebpf_run_ctx *ctx)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ctx;
	return 0;
}

MAYBE_UNUSED static void stub_helpers(struct uebpf_runtime *rt)
{
	unsigned int i;

	for (i = 1; i < UEBPF_MAX_HELPER_ID; i++) {
		if (!rt->helpers[i].fn && uebpf_helper_name(i)) {
			rt->helpers[i].fn = stub_helper;
			rt->helpers[i].name = uebpf_helper_name(i);
		}
	}
}

MAYBE_UNUSED static struct uebpf_runtime *rt_new_cpus(unsigned int nr_cpus,
						   bool stubs)
{
	UEBPF_OPTS(uebpf_runtime_opts, o, .nr_cpus = nr_cpus,
		   .log_fn = cap_fn, .log_ctx = &cap,
		   .log_level = UEBPF_LOG_INFO);
	struct uebpf_runtime *rt;

	cap.text[0] = '\0';
	rt = uebpf_runtime_new(&o);
	assert_non_null(rt);
	if (stubs)
		stub_helpers(rt);
	return rt;
}

MAYBE_UNUSED static struct uebpf_runtime *rt_new(void)
{
	return rt_new_cpus(2, true);
}

MAYBE_UNUSED static void drain(struct uebpf_runtime *rt)
{
	int i;

	/* Each pass frees what the previous one's frees retired. */
	for (i = 0; i < 4 && rt->epoch.nr_retired; i++)
		uebpf_epoch_synchronize(&rt->epoch);
}

MAYBE_UNUSED static void rt_free(struct uebpf_runtime *rt)
{
	drain(rt);
	uebpf_runtime_free(rt);
	if (strstr(cap.text, "still held"))
		fail_msg("runtime freed with objects held: %s", cap.text);
}

MAYBE_UNUSED static void assert_logged(const char *needle)
{
	if (!strstr(cap.text, needle))
		fail_msg("log does not contain \"%s\"; log was:\n%s", needle,
			 cap.text);
}

MAYBE_UNUSED static const char *progs_dir(void)
{
	const char *d = getenv("UEBPF_PROGS_DIR");

	return d && *d ? d : "build/progs";
}

MAYBE_UNUSED static const char *obj_path(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.o", progs_dir(), name);
	return path;
}

MAYBE_UNUSED static struct uebpf_object *open_obj(struct uebpf_runtime *rt,
				     const char *name)
{
	struct uebpf_object *obj = uebpf_object_open_file(rt, obj_path(name),
							  NULL);

	if (!obj)
		fail_msg("cannot open %s: %s (build the test objects: make %s)\n%s",
			 obj_path(name), strerror(errno), obj_path(name),
			 cap.text);
	return obj;
}

MAYBE_UNUSED static void *read_obj(const char *name, size_t *size)
{
	FILE *f = fopen(obj_path(name), "rb");
	void *buf;
	long n;

	if (!f)
		fail_msg("cannot read %s: %s", obj_path(name), strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc(n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	fclose(f);
	*size = n;
	return buf;
}

#endif /* UEBPF_TEST_OBJECT_H */
