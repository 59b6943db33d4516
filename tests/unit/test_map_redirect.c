/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_CPUMAP and BPF_MAP_TYPE_XSKMAP: the
 * kernel's checks and errnos, the values the host and programs read, the
 * program references of DEVMAP and CPUMAP values, uebpf_redirect_lookup(),
 * and values staying put under a running program while the host replaces
 * them.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
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
#include "../../maps/map.h"
#include "../../maps/redirect.h"

#define TEST_HELPER 1000

/* ---- helpers ------------------------------------------------------------- */

struct logcap {
	char text[16384];
};

static void cap_fn(enum uebpf_log_level level, const char *msg, void *ctx)
{
	struct logcap *c = ctx;
	size_t len = strlen(c->text);

	(void)level;
	snprintf(c->text + len, sizeof(c->text) - len, "%s", msg);
}

static struct logcap cap;

static struct uebpf_runtime *rt_new(unsigned int nr_cpus)
{
	UEBPF_OPTS(uebpf_runtime_opts, o, .nr_cpus = nr_cpus, .log_fn = cap_fn,
		   .log_ctx = &cap);
	struct uebpf_runtime *rt;

	cap.text[0] = '\0';
	rt = uebpf_runtime_new(&o);
	assert_non_null(rt);
	return rt;
}

static void assert_logged(const char *needle)
{
	if (!strstr(cap.text, needle))
		fail_msg("log does not contain \"%s\"; log was: \"%s\"", needle,
			 cap.text);
}

/* Frees what the last puts retired: uebpf_epoch_retire() reclaims on
 * every 64th pending retirement, and with no reader active a reclaim
 * frees everything; tiny maps put here provide the retirements. */
static void drain(struct uebpf_runtime *rt)
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

static void rt_free(struct uebpf_runtime *rt)
{
	drain(rt);
	assert_int_equal(atomic_load(&rt->mem_used), 0);
	cap.text[0] = '\0';
	uebpf_runtime_free(rt);
	if (strstr(cap.text, "still held"))
		fail_msg("leaked: %s", cap.text);
}

static struct uebpf_map *create(struct uebpf_runtime *rt,
				enum bpf_map_type type, uint32_t key_size,
				uint32_t value_size, uint32_t max_entries,
				uint32_t flags)
{
	UEBPF_OPTS(uebpf_map_create_opts, o, .map_flags = flags);

	return uebpf_map_create(rt, type, "t", key_size, value_size,
				max_entries, &o);
}

static void create_fails(struct uebpf_runtime *rt, enum bpf_map_type type,
			 uint32_t key_size, uint32_t value_size,
			 uint32_t max_entries, uint32_t flags, int err,
			 const char *why)
{
	struct uebpf_map *m;

	cap.text[0] = '\0';
	errno = 0;
	m = create(rt, type, key_size, value_size, max_entries, flags);
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

static void create_ok(struct uebpf_runtime *rt, enum bpf_map_type type,
		      uint32_t value_size, uint32_t max_entries,
		      uint32_t flags, uint32_t flags_after)
{
	struct uebpf_map *m = create(rt, type, 4, value_size, max_entries,
				     flags);

	if (!m)
		fail_msg("%s value %u max %u flags 0x%x: errno %d; log: %s",
			 uebpf_map_type_name(type), value_size, max_entries,
			 flags, errno, cap.text);
	assert_int_equal(uebpf_map_flags(m), flags_after);
	uebpf_map_put(m);
}

/* A raw program standing in for an XDP one (only raw programs load yet). */
static struct uebpf_prog *load_xdp(struct uebpf_runtime *rt)
{
	const struct bpf_insn insns[] = { MOV64_IMM(0, 2), EXIT() };
	struct uebpf_prog *p;

	p = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, insns, 2, NULL);
	assert_non_null(p);
	p->type = BPF_PROG_TYPE_XDP;
	return p;
}

static int update2(struct uebpf_map *m, uint32_t k, uint32_t a, uint32_t b,
		   uint64_t flags)
{
	uint32_t v[2] = { a, b };

	return uebpf_map_update_elem(m, &k, v, flags);
}

static int lookup(struct uebpf_map *m, uint32_t k, void *v)
{
	return uebpf_map_lookup_elem(m, &k, v);
}

static int delete_key(struct uebpf_map *m, uint32_t k)
{
	return uebpf_map_delete_elem(m, &k);
}

static uint32_t *prog_lookup(struct uebpf_map *m, uint32_t k)
{
	return m->ops->lookup(m, &k);
}

typedef void (*in_prog_fn)(void *arg);
struct in_prog {
	in_prog_fn fn;
	void *arg;
};

static uint64_t in_prog_helper(uint64_t r1, uint64_t r2, uint64_t r3,
			       uint64_t r4, uint64_t r5,
			       struct uebpf_run_ctx *ctx)
{
	struct in_prog *ip = (struct in_prog *)(uintptr_t)r1;

	(void)r2, (void)r3, (void)r4, (void)r5, (void)ctx;
	ip->fn(ip->arg);
	return 0;
}

/* A program whose helper runs fn(arg), in the run's epoch section. */
static struct uebpf_prog *load_helper_prog(struct uebpf_runtime *rt)
{
	const struct bpf_insn insns[] = { CALL_HELPER(TEST_HELPER), EXIT() };
	struct uebpf_prog *p;

	rt->helpers[TEST_HELPER].fn = in_prog_helper;
	rt->helpers[TEST_HELPER].name = "test_in_prog";
	p = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, insns, 2, NULL);
	assert_non_null(p);
	return p;
}

/* ---- creation ------------------------------------------------------------ */

static void test_create_checks(void **state)
{
	struct uebpf_runtime *rt = rt_new(4);
	const enum bpf_map_type types[] = { BPF_MAP_TYPE_DEVMAP,
					    BPF_MAP_TYPE_XSKMAP,
					    BPF_MAP_TYPE_CPUMAP };
	const uint32_t never[] = { BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG,
				   BPF_F_MMAPABLE, BPF_F_INNER_MAP,
				   BPF_F_NO_PREALLOC };
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_LEN(types); i++) {
		enum bpf_map_type t = types[i];

		create_fails(rt, t, 8, 4, 4, 0, EINVAL, "key_size 8");
		create_fails(rt, t, 0, 4, 4, 0, EINVAL, "key_size 0");
		create_fails(rt, t, 4, 0, 4, 0, EINVAL, "value_size 0");
		create_fails(rt, t, 4, 12, 4, 0, EINVAL, "value_size 12");
		create_fails(rt, t, 4, 4, 0, 0, EINVAL, "max_entries 0");
		for (j = 0; j < ARRAY_LEN(never); j++)
			create_fails(rt, t, 4, 4, 4, never[j], EINVAL,
				     "not valid for");
	}
	/* DEVMAP: 4 or 8 bytes; read-only to programs whatever asked. */
	create_ok(rt, BPF_MAP_TYPE_DEVMAP, 4, 1, 0, BPF_F_RDONLY_PROG);
	create_ok(rt, BPF_MAP_TYPE_DEVMAP, 8, 1, BPF_F_NUMA_NODE,
		  BPF_F_NUMA_NODE | BPF_F_RDONLY_PROG);
	create_ok(rt, BPF_MAP_TYPE_DEVMAP, 8, 100000, BPF_F_RDONLY,
		  BPF_F_RDONLY | BPF_F_RDONLY_PROG);
	create_ok(rt, BPF_MAP_TYPE_DEVMAP, 8, 1, BPF_F_WRONLY,
		  BPF_F_WRONLY | BPF_F_RDONLY_PROG);
	/* XSKMAP: 4 bytes. */
	create_fails(rt, BPF_MAP_TYPE_XSKMAP, 4, 8, 4, 0, EINVAL,
		     "values are 4 bytes");
	create_ok(rt, BPF_MAP_TYPE_XSKMAP, 4, 64, 0, 0);
	create_ok(rt, BPF_MAP_TYPE_XSKMAP, 4, 64,
		  BPF_F_NUMA_NODE | BPF_F_RDONLY,
		  BPF_F_NUMA_NODE | BPF_F_RDONLY);
	create_ok(rt, BPF_MAP_TYPE_XSKMAP, 4, 64, BPF_F_WRONLY, BPF_F_WRONLY);
	/* CPUMAP: only BPF_F_NUMA_NODE, at most NR_CPUS entries. */
	create_ok(rt, BPF_MAP_TYPE_CPUMAP, 4, 1, 0, 0);
	create_ok(rt, BPF_MAP_TYPE_CPUMAP, 8, 8192, BPF_F_NUMA_NODE,
		  BPF_F_NUMA_NODE);
	create_fails(rt, BPF_MAP_TYPE_CPUMAP, 4, 8, 4, BPF_F_RDONLY, EINVAL,
		     "not valid for CPUMAP");
	create_fails(rt, BPF_MAP_TYPE_CPUMAP, 4, 8, 4, BPF_F_WRONLY, EINVAL,
		     "not valid for CPUMAP");
	create_fails(rt, BPF_MAP_TYPE_CPUMAP, 4, 8, 8193, 0, E2BIG,
		     "at most 8192");
	create_fails(rt, BPF_MAP_TYPE_CPUMAP, 4, 8, UINT32_MAX, 0, E2BIG,
		     NULL);
	rt_free(rt);
}

/* ---- DEVMAP -------------------------------------------------------------- */

static void test_devmap(void **state)
{
	struct uebpf_runtime *rt = rt_new(2);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_DEVMAP, 4, 8, 4, 0);
	struct uebpf_map *m4 = create(rt, BPF_MAP_TYPE_DEVMAP, 4, 4, 4, 0);
	struct uebpf_prog *xdp = load_xdp(rt);
	struct uebpf_prog *raw = uebpf_prog_load(
		rt, BPF_PROG_TYPE_UNSPEC,
		(const struct bpf_insn[]){ MOV64_IMM(0, 0), EXIT() }, 2, NULL);
	uint32_t v[2], xid = uebpf_prog_id(xdp), k, next;

	(void)state;
	assert_non_null(m);
	assert_non_null(m4);
	assert_int_equal(lookup(m, 0, v), -ENOENT);
	assert_null(prog_lookup(m, 0));
	assert_int_equal(uebpf_redirect_lookup(m, 0, v), -ENOENT);

	assert_int_equal(update2(m, 0, 5, 0, BPF_ANY), 0);
	assert_int_equal(lookup(m, 0, v), 0);
	assert_int_equal(v[0], 5);
	assert_int_equal(v[1], 0);
	/* With a program: the host reads back its id. */
	assert_int_equal(update2(m, 1, 7, xid, BPF_EXIST), 0);
	assert_int_equal(lookup(m, 1, v), 0);
	assert_int_equal(v[0], 7);
	assert_int_equal(v[1], xid);
	assert_int_equal(prog_lookup(m, 1)[0], 7);
	assert_int_equal(prog_lookup(m, 1)[1], xid);
	memset(v, 0, sizeof(v));
	assert_int_equal(uebpf_redirect_lookup(m, 1, v), 0);
	assert_int_equal(v[0], 7);
	assert_int_equal(v[1], xid);
	assert_null(prog_lookup(m, 4));
	assert_int_equal(uebpf_redirect_lookup(m, 4, v), -ENOENT);

	/* Programs must exist and be XDP programs. */
	cap.text[0] = '\0';
	assert_int_equal(update2(m, 2, 7, 9999, 0), -EINVAL);
	assert_logged("no program has id 9999");
	assert_int_equal(update2(m, 2, 7, uebpf_prog_id(raw), 0), -EINVAL);
	assert_logged("has type UNSPEC");
	/* A negative fd is no program, as in the kernel. */
	assert_int_equal(update2(m, 2, 7, (uint32_t)-5, 0), 0);
	assert_int_equal(lookup(m, 2, v), 0);
	assert_int_equal(v[1], 0);
	/* ifindex 0 empties the slot, and takes no program. */
	assert_int_equal(update2(m, 1, 0, xid, 0), -EINVAL);
	assert_int_equal(update2(m, 1, 0, 0, 0), 0);
	assert_int_equal(lookup(m, 1, v), -ENOENT);
	assert_int_equal(update2(m, 1, 0, 0, 0), 0);

	/* Flags and indexes: every slot exists, as in an array. */
	assert_int_equal(update2(m, 3, 8, 0, BPF_NOEXIST), -EEXIST);
	assert_int_equal(update2(m, 3, 8, 0, BPF_EXIST), 0);
	assert_int_equal(update2(m, 3, 8, 0, BPF_F_LOCK), -EINVAL);
	assert_int_equal(update2(m, 4, 8, 0, BPF_ANY), -E2BIG);
	assert_int_equal(update2(m, 4, 8, 0, BPF_NOEXIST), -E2BIG);
	assert_int_equal(lookup(m, 4, v), -ENOENT);
	k = 3;
	assert_int_equal(m->ops->update(m, &k, v, 3), -EINVAL);
	assert_int_equal(m->ops->update(m, &k, v, BPF_F_LOCK), -EINVAL);
	/* Delete empties whatever was there; only the index is checked. */
	assert_int_equal(delete_key(m, 3), 0);
	assert_int_equal(lookup(m, 3, v), -ENOENT);
	assert_int_equal(delete_key(m, 3), 0);
	assert_int_equal(delete_key(m, 4), -EINVAL);
	assert_int_equal(delete_key(m, UINT32_MAX), -EINVAL);
	assert_int_equal(uebpf_map_get_next_key(m, NULL, &next), 0);
	assert_int_equal(next, 0);
	k = 2;
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), 0);
	assert_int_equal(next, 3);
	k = 3;
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), -ENOENT);

	/* 4-byte values: the ifindex only. */
	k = 0;
	v[0] = 9;
	assert_int_equal(uebpf_map_update_elem(m4, &k, v, 0), 0);
	v[0] = 0;
	assert_int_equal(uebpf_map_lookup_elem(m4, &k, v), 0);
	assert_int_equal(v[0], 9);
	v[0] = 0;
	assert_int_equal(uebpf_redirect_lookup(m4, 0, v), 0);
	assert_int_equal(v[0], 9);

	uebpf_map_put(m);
	uebpf_map_put(m4);
	uebpf_prog_free(xdp);
	uebpf_prog_free(raw);
	rt_free(rt);
}

/* A stored program lives as long as a value holds it. */
static void test_devmap_prog_refs(void **state)
{
	struct uebpf_runtime *rt = rt_new(2);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_DEVMAP, 4, 8, 4, 0);
	struct uebpf_map *c = create(rt, BPF_MAP_TYPE_CPUMAP, 4, 8, 2, 0);
	struct uebpf_prog *p = load_xdp(rt);
	uint32_t id = uebpf_prog_id(p), v[2];

	(void)state;
	assert_int_equal(update2(m, 0, 3, id, 0), 0);
	assert_int_equal(update2(c, 1, 64, id, 0), 0);
	uebpf_prog_free(p);
	drain(rt);
	assert_int_equal(update2(m, 1, 3, id, 0), 0); /* still resolves */
	assert_int_equal(delete_key(m, 1), 0);
	assert_int_equal(lookup(m, 0, v), 0);
	assert_int_equal(v[1], id);
	/* Replaced, then deleted: the last reference goes. */
	assert_int_equal(update2(m, 0, 4, 0, 0), 0);
	drain(rt);
	assert_int_equal(update2(m, 1, 3, id, 0), 0);
	assert_int_equal(delete_key(m, 1), 0);
	assert_int_equal(delete_key(c, 1), 0);
	drain(rt);
	assert_int_equal(update2(m, 1, 3, id, 0), -EINVAL);

	/* Freeing the map puts its programs. */
	p = load_xdp(rt);
	id = uebpf_prog_id(p);
	assert_int_equal(update2(m, 2, 3, id, 0), 0);
	assert_int_equal(update2(c, 0, 10, id, 0), 0);
	uebpf_prog_free(p);
	uebpf_map_put(c);
	drain(rt);
	assert_int_equal(update2(m, 3, 3, id, 0), 0);
	assert_int_equal(delete_key(m, 3), 0);
	uebpf_map_put(m);
	drain(rt);
	rt_free(rt);
}

/* ---- CPUMAP -------------------------------------------------------------- */

static void test_cpumap(void **state)
{
	struct uebpf_runtime *rt = rt_new(3);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_CPUMAP, 4, 8, 64, 0);
	struct uebpf_map *m4 = create(rt, BPF_MAP_TYPE_CPUMAP, 4, 4, 4, 0);
	struct uebpf_prog *xdp = load_xdp(rt);
	uint32_t v[2], xid = uebpf_prog_id(xdp), k;

	(void)state;
	assert_non_null(m);
	assert_int_equal(lookup(m, 0, v), -ENOENT);
	assert_int_equal(update2(m, 2, 128, 0, BPF_ANY), 0);
	assert_int_equal(lookup(m, 2, v), 0);
	assert_int_equal(v[0], 128);
	assert_int_equal(v[1], 0);
	assert_int_equal(update2(m, 1, 16384, xid, BPF_EXIST), 0);
	assert_int_equal(lookup(m, 1, v), 0);
	assert_int_equal(v[0], 16384);
	assert_int_equal(v[1], xid);
	memset(v, 0, sizeof(v));
	assert_int_equal(uebpf_redirect_lookup(m, 1, v), 0);
	assert_int_equal(v[0], 16384);
	assert_int_equal(prog_lookup(m, 2)[0], 128);

	/* The kernel's order: flags, index, NOEXIST, qsize, CPU. */
	assert_int_equal(update2(m, 64, 20000, 0, BPF_F_LOCK), -EINVAL);
	assert_int_equal(update2(m, 64, 20000, 0, BPF_NOEXIST), -E2BIG);
	assert_int_equal(update2(m, 2, 20000, 0, BPF_NOEXIST), -EEXIST);
	cap.text[0] = '\0';
	assert_int_equal(update2(m, 3, 16385, 0, 0), -EOVERFLOW);
	assert_logged("qsize 16385");
	cap.text[0] = '\0';
	assert_int_equal(update2(m, 3, 10, 0, 0), -ENODEV);
	assert_logged("3 CPU slots");
	assert_int_equal(update2(m, 63, 10, 0, 0), -ENODEV);
	assert_int_equal(update2(m, 63, 0, 0, 0), -ENODEV);
	/* A bad program: the kernel reports it as -ENOMEM. */
	cap.text[0] = '\0';
	assert_int_equal(update2(m, 0, 10, 9999, 0), -ENOMEM);
	assert_logged("no program has id 9999");
	/* qsize 0 empties the slot. */
	assert_int_equal(update2(m, 2, 0, 0, 0), 0);
	assert_int_equal(lookup(m, 2, v), -ENOENT);
	assert_int_equal(delete_key(m, 1), 0);
	assert_int_equal(delete_key(m, 1), 0);
	assert_int_equal(lookup(m, 1, v), -ENOENT);
	assert_int_equal(delete_key(m, 63), 0); /* not a CPU slot, in range */
	assert_int_equal(delete_key(m, 64), -EINVAL);
	k = 63;
	assert_int_equal(uebpf_map_get_next_key(m, &k, v), -ENOENT);

	k = 0;
	v[0] = 32;
	assert_int_equal(uebpf_map_update_elem(m4, &k, v, 0), 0);
	v[0] = 0;
	assert_int_equal(uebpf_map_lookup_elem(m4, &k, v), 0);
	assert_int_equal(v[0], 32);

	uebpf_map_put(m);
	uebpf_map_put(m4);
	uebpf_prog_free(xdp);
	rt_free(rt);
}

/* ---- XSKMAP -------------------------------------------------------------- */

static void test_xskmap(void **state)
{
	struct uebpf_runtime *rt = rt_new(2);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_XSKMAP, 4, 4, 4, 0);
	uint32_t k, v, next;

	(void)state;
	assert_non_null(m);
	assert_null(prog_lookup(m, 0));
	/* The host's socket id goes in as is; BPF_EXIST and BPF_NOEXIST
	 * are honoured, unlike the other array maps. */
	k = 0, v = 77;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_EXIST), -ENOENT);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST), 0);
	assert_int_equal(*prog_lookup(m, 0), 77);
	v = 0;
	assert_int_equal(uebpf_redirect_lookup(m, 0, &v), 0);
	assert_int_equal(v, 77);
	v = 77; /* the same socket again */
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST), 0);
	v = 78;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST),
			 -EEXIST);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_EXIST), 0);
	assert_int_equal(*prog_lookup(m, 0), 78);
	k = 1, v = 0; /* id 0 is an id */
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	assert_non_null(prog_lookup(m, 1));
	assert_int_equal(*prog_lookup(m, 1), 0);
	k = 4;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), -E2BIG);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_F_LOCK),
			 -EINVAL);
	/* The kernel lets no one read a socket back from user space. */
	k = 0;
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &v), -EOPNOTSUPP);
	k = 2;
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &v), -EOPNOTSUPP);
	assert_int_equal(m->ops->update(m, &k, &v, 0), -EOPNOTSUPP);
	/* Delete: 0 whether or not a socket was there. */
	assert_int_equal(delete_key(m, 0), 0);
	assert_null(prog_lookup(m, 0));
	assert_int_equal(uebpf_redirect_lookup(m, 0, &v), -ENOENT);
	assert_int_equal(delete_key(m, 0), 0);
	assert_int_equal(delete_key(m, 4), -EINVAL);
	assert_null(prog_lookup(m, 4));
	k = 2;
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), 0);
	assert_int_equal(next, 3);
	uebpf_map_put(m);
	rt_free(rt);
}

/* None of the three has the kernel's batch operations; all freeze. */
static void test_batch_and_freeze(void **state)
{
	struct uebpf_runtime *rt = rt_new(2);
	const enum bpf_map_type types[] = { BPF_MAP_TYPE_DEVMAP,
					    BPF_MAP_TYPE_CPUMAP,
					    BPF_MAP_TYPE_XSKMAP };
	uint32_t keys[2] = { 0, 1 }, vals[4] = { 1, 0, 1, 0 }, ob, count;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(types); i++) {
		struct uebpf_map *m = create(rt, types[i], 4, 4, 2, 0);

		assert_non_null(m);
		count = 2;
		assert_int_equal(uebpf_map_update_batch(m, keys, vals, &count,
							NULL),
				 -524);
		count = 2;
		assert_int_equal(uebpf_map_lookup_batch(m, NULL, &ob, keys,
							vals, &count, NULL),
				 -524);
		count = 1;
		assert_int_equal(uebpf_map_delete_batch(m, keys, &count, NULL),
				 -524);
		assert_int_equal(uebpf_map_update_elem(m, &keys[0], vals, 0),
				 0);
		assert_int_equal(uebpf_map_freeze(m), 0);
		assert_int_equal(uebpf_map_update_elem(m, &keys[1], vals, 0),
				 -EPERM);
		assert_int_equal(delete_key(m, 0), -EPERM);
		assert_non_null(prog_lookup(m, 0));
		uebpf_map_put(m);
	}
	rt_free(rt);
}

/* A program keeps reading the value it found while the host replaces it
 * and reclaims run: values are never changed in place. */
struct epoch_case {
	struct uebpf_runtime *rt;
	struct uebpf_map *m;
	int steps;
};

static void epoch_case_fn(void *arg)
{
	struct epoch_case *c = arg;
	uint32_t *v = prog_lookup(c->m, 1);
	struct uebpf_map *x;
	int i;

	assert_non_null(v);
	assert_int_equal(v[0], 11);
	assert_int_equal(update2(c->m, 1, 12, 0, 0), 0);
	assert_int_equal(delete_key(c->m, 1), 0);
	for (i = 0; i < 200; i++) {
		x = uebpf_map_create(c->rt, BPF_MAP_TYPE_ARRAY, "x", 4, 4, 1,
				     NULL);
		uebpf_map_put(x);
	}
	assert_true(c->rt->epoch.nr_retired > 200);
	assert_int_equal(v[0], 11);
	assert_null(prog_lookup(c->m, 1));
	c->steps++;
}

static void test_redirect_epoch(void **state)
{
	struct uebpf_runtime *rt = rt_new(1);
	struct uebpf_prog *p = load_helper_prog(rt);
	struct epoch_case c = { rt, create(rt, BPF_MAP_TYPE_DEVMAP, 4, 8, 2, 0),
				0 };
	struct in_prog ip = { epoch_case_fn, &c };
	uint64_t r0;

	(void)state;
	assert_int_equal(update2(c.m, 1, 11, 0, 0), 0);
	assert_int_equal(uebpf_prog_run(p, &ip, sizeof(ip), &r0), 0);
	assert_int_equal(c.steps, 1);
	uebpf_map_put(c.m);
	uebpf_prog_free(p);
	rt_free(rt);
}

/* ---- programs, the host and an iterator at once -------------------------- */

#define C_SLOTS 8

static atomic_int thread_failures;
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond) && atomic_fetch_add(&thread_failures, 1) < 5)    \
			fprintf(stderr, "%s:%d: failed: %s\n", __FILE__,       \
				__LINE__, #cond);                              \
	} while (0)

struct cshared {
	struct uebpf_runtime *rt;
	struct uebpf_map *dev, *cpu, *xsk;
	atomic_bool stop;
	atomic_ulong found, updates, walks;
};

struct creader {
	struct cshared *s;
	unsigned int seed;
	unsigned long found;
};

/* One program run: bpf_redirect_map()'s lookups, and a value read twice
 * must read the same. */
static void reader_step(void *arg)
{
	struct creader *r = arg;
	struct cshared *s = r->s;
	uint32_t k = (uint32_t)rand_r(&r->seed) % (C_SLOTS + 1);
	uint32_t v[2], *p, first;

	if (uebpf_redirect_lookup(s->dev, k, v) == 0) {
		CHECK(k < C_SLOTS && (v[0] & 0xff) == k && v[1] == 0);
		r->found++;
	}
	p = prog_lookup(s->dev, k);
	if (p) {
		first = p[0];
		if (!(rand_r(&r->seed) & 7))
			sched_yield(); /* let the host replace it */
		CHECK(p[0] == first && (first & 0xff) == k);
	}
	if (uebpf_redirect_lookup(s->cpu, k, v) == 0)
		CHECK(k < 2 && v[0] >= 1 && v[0] <= 16384);
	if (uebpf_redirect_lookup(s->xsk, k, v) == 0)
		CHECK((v[0] & 0xff) == k);
}

static void *c_reader(void *arg)
{
	struct cshared *s = arg;
	struct creader r = { s, (unsigned int)(uintptr_t)&r, 0 };
	struct in_prog ip = { reader_step, &r };
	struct uebpf_prog *p;
	uint64_t r0;

	p = uebpf_prog_load(s->rt, BPF_PROG_TYPE_UNSPEC,
			    (const struct bpf_insn[]){ CALL_HELPER(TEST_HELPER),
						       EXIT() },
			    2, NULL);
	CHECK(p != NULL);
	while (p && !atomic_load(&s->stop))
		CHECK(uebpf_prog_run(p, &ip, sizeof(ip), &r0) == 0);
	uebpf_prog_free(p);
	atomic_fetch_add(&s->found, r.found);
	return NULL;
}

static void *c_host(void *arg)
{
	struct cshared *s = arg;
	unsigned int seed = 777;
	unsigned long n = 0;
	uint32_t k, seq = 0, v;
	int err;

	while (!atomic_load(&s->stop)) {
		k = (uint32_t)rand_r(&seed) % C_SLOTS;
		seq++;
		switch (rand_r(&seed) % 6) {
		case 0:
		case 1:
			CHECK(update2(s->dev, k, (seq << 8) | k, 0, 0) == 0);
			break;
		case 2:
			CHECK(delete_key(s->dev, k) == 0);
			break;
		case 3:
			err = update2(s->cpu, k, 1 + seq % 16384, 0, 0);
			CHECK(err == (k < 2 ? 0 : -ENODEV));
			break;
		case 4:
			v = (seq << 8) | k;
			CHECK(uebpf_map_update_elem(s->xsk, &k, &v, 0) == 0);
			break;
		default:
			CHECK(delete_key(s->xsk, k) == 0);
			CHECK(delete_key(s->cpu, k) == 0);
		}
		n++;
	}
	atomic_fetch_add(&s->updates, n);
	return NULL;
}

static void *c_iterator(void *arg)
{
	struct cshared *s = arg;
	unsigned long walks = 0;
	uint32_t k, n, v[2];
	int err;

	while (!atomic_load(&s->stop)) {
		n = 0;
		for (err = uebpf_map_get_next_key(s->dev, NULL, &k); !err;
		     err = uebpf_map_get_next_key(s->dev, &k, &k)) {
			CHECK(k == n++);
			err = lookup(s->dev, k, v);
			CHECK(err == -ENOENT ||
			      (err == 0 && (v[0] & 0xff) == k));
		}
		CHECK(err == -ENOENT && n == C_SLOTS);
		walks++;
	}
	atomic_fetch_add(&s->walks, walks);
	return NULL;
}

static void test_concurrency(void **state)
{
	struct uebpf_runtime *rt = rt_new(2);
	struct uebpf_prog *hp = load_helper_prog(rt);
	struct cshared s = { 0 };
	pthread_t th[6];
	int i;

	(void)state;
	s.rt = rt;
	s.dev = create(rt, BPF_MAP_TYPE_DEVMAP, 4, 8, C_SLOTS, 0);
	s.cpu = create(rt, BPF_MAP_TYPE_CPUMAP, 4, 8, C_SLOTS, 0);
	s.xsk = create(rt, BPF_MAP_TYPE_XSKMAP, 4, 4, C_SLOTS, 0);
	assert_non_null(s.dev);
	assert_non_null(s.cpu);
	assert_non_null(s.xsk);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, c_reader, &s), 0);
	assert_int_equal(pthread_create(&th[4], NULL, c_host, &s), 0);
	assert_int_equal(pthread_create(&th[5], NULL, c_iterator, &s), 0);
	usleep(1000 * 1000);
	atomic_store(&s.stop, true);
	for (i = 0; i < 6; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_load(&thread_failures), 0);
	print_message("1 s: %lu redirect lookups found, %lu host updates, %lu walks\n",
		      atomic_load(&s.found), atomic_load(&s.updates),
		      atomic_load(&s.walks));
	assert_true(atomic_load(&s.found) > 0);
	assert_true(atomic_load(&s.updates) > 0);
	assert_true(atomic_load(&s.walks) > 0);
	uebpf_map_put(s.dev);
	uebpf_map_put(s.cpu);
	uebpf_map_put(s.xsk);
	uebpf_prog_free(hp);
	rt_free(rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_checks),
		cmocka_unit_test(test_devmap),
		cmocka_unit_test(test_devmap_prog_refs),
		cmocka_unit_test(test_cpumap),
		cmocka_unit_test(test_xskmap),
		cmocka_unit_test(test_batch_and_freeze),
		cmocka_unit_test(test_redirect_epoch),
		cmocka_unit_test(test_concurrency),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
