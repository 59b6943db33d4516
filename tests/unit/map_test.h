/* SPDX-License-Identifier: MIT */
/*
 * What the map unit tests (tests/unit/test_map_*.c) share: runtimes and
 * their teardown checks, a log capture, creation that must fail or
 * succeed, element calls with u32 keys, program-side calls in an epoch
 * section, programs whose helper runs test code, and checks for threads.
 * All static inline: a test uses what it needs.
 */
#ifndef UEBPF_TESTS_MAP_TEST_H
#define UEBPF_TESTS_MAP_TEST_H

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "uebpf.h"
#include "insn.h"
#include "../../maps/map.h"

/* ---- log capture --------------------------------------------------------- */

struct logcap {
	char text[16384]; /* every line since the last reset */
	char last[1024];  /* the latest line alone */
};

static struct logcap cap;

/* rt_new()'s log_fn: appends to cap.text, replaces cap.last. */
static inline void cap_fn(enum uebpf_log_level level, const char *msg,
			  void *ctx)
{
	struct logcap *c = ctx;
	size_t len = strlen(c->text);

	(void)level;
	snprintf(c->text + len, sizeof(c->text) - len, "%s", msg);
	snprintf(c->last, sizeof(c->last), "%s", msg);
}

/* Fails unless a line logged since cap.text was emptied holds needle. */
static inline void assert_logged(const char *needle)
{
	if (!strstr(cap.text, needle))
		fail_msg("log does not contain \"%s\"; log was: \"%s\"", needle,
			 cap.text);
}

/* ---- runtimes ------------------------------------------------------------ */

/* nr_cpus CPU slots, mem_limit bytes (0: none), logging into cap, emptied. */
static inline struct uebpf_runtime *rt_new(unsigned int nr_cpus,
					   uint64_t mem_limit)
{
	UEBPF_OPTS(uebpf_runtime_opts, o, .nr_cpus = nr_cpus,
		   .mem_limit = mem_limit, .log_fn = cap_fn, .log_ctx = &cap);
	struct uebpf_runtime *rt;

	cap.text[0] = '\0';
	cap.last[0] = '\0';
	rt = uebpf_runtime_new(&o);
	assert_non_null(rt);
	return rt;
}

/* The same, logging nothing. */
static inline struct uebpf_runtime *rt_new_quiet(unsigned int nr_cpus,
						 uint64_t mem_limit)
{
	UEBPF_OPTS(uebpf_runtime_opts, o, .nr_cpus = nr_cpus,
		   .mem_limit = mem_limit, .log_quiet = 1);
	struct uebpf_runtime *rt = uebpf_runtime_new(&o);

	assert_non_null(rt);
	return rt;
}

/* Frees what the last puts retired: uebpf_epoch_retire() reclaims on
 * every 64th pending retirement, and with no reader active a reclaim
 * frees everything; tiny maps put here provide the retirements. */
static inline void drain(struct uebpf_runtime *rt)
{
	int guard = 0;

	while (rt->epoch.nr_retired && guard++ < 100000) {
		struct uebpf_map *m = uebpf_map_create(
			rt, BPF_MAP_TYPE_ARRAY, "drain", 4, 4, 1, NULL);

		assert_non_null(m);
		uebpf_map_put(m);
	}
	assert_int_equal(rt->epoch.nr_retired, 0);
}

/* Frees an rt_new() runtime; everything the test made must be gone: no
 * memory charged, and the runtime finds no map or program id still held. */
static inline void rt_free(struct uebpf_runtime *rt)
{
	drain(rt);
	assert_int_equal(atomic_load(&rt->mem_used), 0);
	cap.text[0] = '\0';
	uebpf_runtime_free(rt);
	if (strstr(cap.text, "still held"))
		fail_msg("leaked: %s", cap.text);
}

/* Frees what is retired, including what that retires in turn, then rt. */
static inline void rt_sync_free(struct uebpf_runtime *rt)
{
	int i;

	for (i = 0; i < 4; i++)
		uebpf_epoch_synchronize(&rt->epoch);
	uebpf_runtime_free(rt);
}

/* Puts m, waits for its free, checks every byte it charged was given back
 * and frees rt. */
static inline void put_and_check_uncharged(struct uebpf_runtime *rt,
					   struct uebpf_map *m)
{
	uebpf_map_put(m);
	uebpf_epoch_synchronize(&rt->epoch);
	assert_int_equal(atomic_load(&rt->mem_used), 0);
	uebpf_runtime_free(rt);
}

/* ---- creation ------------------------------------------------------------ */

/* A map named "t"; inner is a map-in-map's template.  NULL and errno if
 * creation fails. */
static inline struct uebpf_map *
create_in(struct uebpf_runtime *rt, enum bpf_map_type type, uint32_t key_size,
	  uint32_t value_size, uint32_t max_entries, uint32_t flags,
	  struct uebpf_map *inner)
{
	UEBPF_OPTS(uebpf_map_create_opts, o, .map_flags = flags,
		   .inner_map = inner);

	return uebpf_map_create(rt, type, "t", key_size, value_size,
				max_entries, &o);
}

/* create_in() without a template. */
static inline struct uebpf_map *create(struct uebpf_runtime *rt,
				       enum bpf_map_type type,
				       uint32_t key_size, uint32_t value_size,
				       uint32_t max_entries, uint32_t flags)
{
	return create_in(rt, type, key_size, value_size, max_entries, flags,
			 NULL);
}

/* Creation must fail with err; the log must say why (if why is given). */
static inline void create_fails_in(struct uebpf_runtime *rt,
				   enum bpf_map_type type, uint32_t key_size,
				   uint32_t value_size, uint32_t max_entries,
				   uint32_t flags, struct uebpf_map *inner,
				   int err, const char *why)
{
	struct uebpf_map *m;

	cap.text[0] = '\0';
	errno = 0;
	m = create_in(rt, type, key_size, value_size, max_entries, flags,
		      inner);
	if (m)
		fail_msg("%s key %u value %u max %u flags 0x%x: created",
			 uebpf_map_type_name(type), key_size, value_size,
			 max_entries, flags);
	if (errno != err)
		fail_msg("%s key %u value %u max %u flags 0x%x: errno %d, want %d",
			 uebpf_map_type_name(type), key_size, value_size,
			 max_entries, flags, errno, err);
	if (why)
		assert_logged(why);
}

/* create_fails_in() without a template. */
static inline void create_fails(struct uebpf_runtime *rt,
				enum bpf_map_type type, uint32_t key_size,
				uint32_t value_size, uint32_t max_entries,
				uint32_t flags, int err, const char *why)
{
	create_fails_in(rt, type, key_size, value_size, max_entries, flags,
			NULL, err, why);
}

/* Creation must succeed, and the map report flags_after as its flags. */
static inline void create_ok_as(struct uebpf_runtime *rt,
				enum bpf_map_type type, uint32_t key_size,
				uint32_t value_size, uint32_t max_entries,
				uint32_t flags, uint32_t flags_after)
{
	struct uebpf_map *m = create(rt, type, key_size, value_size,
				     max_entries, flags);

	if (!m)
		fail_msg("%s key %u value %u max %u flags 0x%x: errno %d; log: %s",
			 uebpf_map_type_name(type), key_size, value_size,
			 max_entries, flags, errno, cap.last);
	assert_int_equal(uebpf_map_flags(m), flags_after);
	uebpf_map_put(m);
}

/* Creation must succeed, and the map keep the flags it was given. */
static inline void create_ok(struct uebpf_runtime *rt, enum bpf_map_type type,
			     uint32_t key_size, uint32_t value_size,
			     uint32_t max_entries, uint32_t flags)
{
	create_ok_as(rt, type, key_size, value_size, max_entries, flags, flags);
}

/* Creates and puts a map on a quiet 2-CPU runtime of its own: 0, or the
 * creation's -errno; either way nothing may stay charged. */
static inline int create_err(enum bpf_map_type type, uint32_t key_size,
			     uint32_t value_size, uint32_t max_entries,
			     uint32_t flags, uint64_t mem_limit)
{
	UEBPF_OPTS(uebpf_map_create_opts, o, .map_flags = flags);
	struct uebpf_runtime *rt = rt_new_quiet(2, mem_limit);
	struct uebpf_map *m;
	int err = 0;

	errno = 0;
	m = uebpf_map_create(rt, type, "c", key_size, value_size, max_entries,
			     &o);
	if (!m)
		err = -errno;
	put_and_check_uncharged(rt, m);
	return err;
}

/* ---- elements ------------------------------------------------------------ */

/* The host's lookup and delete of a u32 key. */
static inline int lookup(struct uebpf_map *m, uint32_t k, void *v)
{
	return uebpf_map_lookup_elem(m, &k, v);
}

static inline int delete_key(struct uebpf_map *m, uint32_t k)
{
	return uebpf_map_delete_elem(m, &k);
}

/* How many keys a get_next_key walk finds; it must end with -ENOENT. */
static inline unsigned int count_keys(struct uebpf_map *m)
{
	uint32_t ks = uebpf_map_key_size(m);
	uint8_t *k = malloc(ks), *nk = malloc(ks);
	unsigned int n = 0;
	int err = uebpf_map_get_next_key(m, NULL, nk);

	while (!err) {
		n++;
		memcpy(k, nk, ks);
		err = uebpf_map_get_next_key(m, k, nk);
	}
	assert_int_equal(err, -ENOENT);
	free(k);
	free(nk);
	return n;
}

/* A program's lookup of a u32 key, in an epoch section as a running
 * program is (nested in the run's own section when called from one). */
static inline void *prog_lookup(struct uebpf_map *m, uint32_t k)
{
	struct uebpf_epoch_rec *rec = uebpf_epoch_enter(&m->rt->epoch);
	void *p = m->ops->lookup(m, &k);

	uebpf_epoch_exit(rec);
	return p;
}

/* A program's update (raw flags, as the helper's), likewise. */
static inline long prog_update(struct uebpf_map *m, uint32_t k, const void *v,
			       uint64_t flags)
{
	struct uebpf_epoch_rec *rec = uebpf_epoch_enter(&m->rt->epoch);
	long err = m->ops->update(m, &k, v, flags);

	uebpf_epoch_exit(rec);
	return err;
}

/* ---- programs ------------------------------------------------------------ */

/* A helper id no kernel helper uses: the tests' program-side code. */
#define TEST_HELPER 1000

/* A raw program returning r0. */
static inline struct uebpf_prog *load_ret(struct uebpf_runtime *rt, int32_t r0)
{
	const struct bpf_insn insns[] = { MOV64_IMM(0, r0), EXIT() };
	struct uebpf_prog *p;

	p = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, insns, 2, NULL);
	assert_non_null(p);
	return p;
}

/* Runs p; returns its r0. */
static inline int64_t run(struct uebpf_prog *p)
{
	uint64_t r0 = 0;

	assert_int_equal(uebpf_prog_run(p, NULL, 0, &r0), 0);
	return (int64_t)r0;
}

/* Test code a program runs as TEST_HELPER: fn(arg), passed in its ctx. */
typedef void (*in_prog_fn)(void *arg);
struct in_prog {
	in_prog_fn fn;
	void *arg;
};

static inline uint64_t in_prog_helper(uint64_t r1, uint64_t r2, uint64_t r3,
				      uint64_t r4, uint64_t r5,
				      struct uebpf_run_ctx *ctx)
{
	struct in_prog *ip = (struct in_prog *)(uintptr_t)r1;

	(void)r2, (void)r3, (void)r4, (void)r5, (void)ctx;
	ip->fn(ip->arg);
	return 0;
}

/* A program that calls TEST_HELPER, or NULL (for threads, which cannot
 * assert); load_helper_prog() registers the helper first. */
static inline struct uebpf_prog *load_helper_caller(struct uebpf_runtime *rt)
{
	const struct bpf_insn insns[] = { CALL_HELPER(TEST_HELPER), EXIT() };

	return uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, insns, 2, NULL);
}

/* Registers TEST_HELPER in rt and loads a program calling it. */
static inline struct uebpf_prog *load_helper_prog(struct uebpf_runtime *rt)
{
	struct uebpf_prog *p;

	rt->helpers[TEST_HELPER].fn = in_prog_helper;
	rt->helpers[TEST_HELPER].name = "test_in_prog";
	p = load_helper_caller(rt);
	assert_non_null(p);
	return p;
}

/* Runs fn(arg) in program p (of load_helper_prog()), inside the run's
 * epoch section. */
static inline void run_in_prog(struct uebpf_prog *p, in_prog_fn fn, void *arg)
{
	struct in_prog ip = { fn, arg };
	uint64_t r0;

	assert_int_equal(uebpf_prog_run(p, &ip, sizeof(ip), &r0), 0);
}

/* ---- threads ------------------------------------------------------------- */

/* cmocka's asserts jump back to the test: threads count failures, and
 * print the first few. */
static atomic_int thread_failures;

static inline void check_in_thread(bool ok, const char *file, int line,
				   const char *cond)
{
	if (!ok && atomic_fetch_add(&thread_failures, 1) < 5)
		fprintf(stderr, "%s:%d: failed: %s\n", file, line, cond);
}

#define CHECK(cond) check_in_thread((cond), __FILE__, __LINE__, #cond)

/* Four readers, a host and an iterator thread, all given arg, for ms
 * milliseconds; then *stop is set and they are joined. */
static inline void run_threads(void *(*reader)(void *), void *(*host)(void *),
			       void *(*iterator)(void *), void *arg,
			       atomic_bool *stop, unsigned int ms)
{
	pthread_t th[6];
	int i;

	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader, arg), 0);
	assert_int_equal(pthread_create(&th[4], NULL, host, arg), 0);
	assert_int_equal(pthread_create(&th[5], NULL, iterator, arg), 0);
	usleep(ms * 1000);
	atomic_store(stop, true);
	for (i = 0; i < 6; i++)
		pthread_join(th[i], NULL);
}

/* A reader thread's loop: runs fn(arg) in a program of its own (rt's
 * TEST_HELPER registered already) until *stop. */
static inline void run_in_prog_until(struct uebpf_runtime *rt, in_prog_fn fn,
				     void *arg, atomic_bool *stop)
{
	struct uebpf_prog *p = load_helper_caller(rt);
	struct in_prog ip = { fn, arg };
	uint64_t r0;

	CHECK(p != NULL);
	while (p && !atomic_load(stop))
		CHECK(uebpf_prog_run(p, &ip, sizeof(ip), &r0) == 0);
	uebpf_prog_free(p);
}

#endif /* UEBPF_TESTS_MAP_TEST_H */
