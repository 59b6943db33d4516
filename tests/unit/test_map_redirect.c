/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_CPUMAP and BPF_MAP_TYPE_XSKMAP: the
 * kernel's checks and errnos, the values the host and programs read, the
 * program references of DEVMAP and CPUMAP values, uebpf_redirect_lookup(),
 * and values staying put under a running program while the host replaces
 * them.
 */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "map_test.h"
#include "../../maps/redirect.h"

/* ---- helpers ------------------------------------------------------------- */

/* A raw program standing in for an XDP one (only raw programs load yet). */
static struct uebpf_prog *load_xdp(struct uebpf_runtime *rt)
{
	struct uebpf_prog *p = load_ret(rt, 2);

	p->type = BPF_PROG_TYPE_XDP;
	return p;
}

static int update2(struct uebpf_map *m, uint32_t k, uint32_t a, uint32_t b,
		   uint64_t flags)
{
	uint32_t v[2] = { a, b };

	return uebpf_map_update_elem(m, &k, v, flags);
}

/* Redirect values are u32 words: a program's lookup, typed. */
static uint32_t *prog_lookup_u32(struct uebpf_map *m, uint32_t k)
{
	return prog_lookup(m, k);
}

/* ---- creation ------------------------------------------------------------ */

static void test_create_checks(void **state)
{
	struct uebpf_runtime *rt = rt_new(4, 0);
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
	create_ok_as(rt, BPF_MAP_TYPE_DEVMAP, 4, 4, 1, 0, BPF_F_RDONLY_PROG);
	create_ok_as(rt, BPF_MAP_TYPE_DEVMAP, 4, 8, 1, BPF_F_NUMA_NODE,
		     BPF_F_NUMA_NODE | BPF_F_RDONLY_PROG);
	create_ok_as(rt, BPF_MAP_TYPE_DEVMAP, 4, 8, 100000, BPF_F_RDONLY,
		     BPF_F_RDONLY | BPF_F_RDONLY_PROG);
	create_ok_as(rt, BPF_MAP_TYPE_DEVMAP, 4, 8, 1, BPF_F_WRONLY,
		     BPF_F_WRONLY | BPF_F_RDONLY_PROG);
	/* XSKMAP: 4 bytes. */
	create_fails(rt, BPF_MAP_TYPE_XSKMAP, 4, 8, 4, 0, EINVAL,
		     "values are 4 bytes");
	create_ok(rt, BPF_MAP_TYPE_XSKMAP, 4, 4, 64, 0);
	create_ok(rt, BPF_MAP_TYPE_XSKMAP, 4, 4, 64,
		  BPF_F_NUMA_NODE | BPF_F_RDONLY);
	create_ok(rt, BPF_MAP_TYPE_XSKMAP, 4, 4, 64, BPF_F_WRONLY);
	/* CPUMAP: only BPF_F_NUMA_NODE, at most NR_CPUS entries. */
	create_ok(rt, BPF_MAP_TYPE_CPUMAP, 4, 4, 1, 0);
	create_ok(rt, BPF_MAP_TYPE_CPUMAP, 4, 8, 8192, BPF_F_NUMA_NODE);
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
	struct uebpf_runtime *rt = rt_new(2, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_DEVMAP, 4, 8, 4, 0);
	struct uebpf_map *m4 = create(rt, BPF_MAP_TYPE_DEVMAP, 4, 4, 4, 0);
	struct uebpf_prog *xdp = load_xdp(rt);
	struct uebpf_prog *raw = load_ret(rt, 0);
	uint32_t v[2], xid = uebpf_prog_id(xdp), k, next;

	(void)state;
	assert_non_null(m);
	assert_non_null(m4);
	assert_int_equal(lookup(m, 0, v), -ENOENT);
	assert_null(prog_lookup_u32(m, 0));
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
	assert_int_equal(prog_lookup_u32(m, 1)[0], 7);
	assert_int_equal(prog_lookup_u32(m, 1)[1], xid);
	memset(v, 0, sizeof(v));
	assert_int_equal(uebpf_redirect_lookup(m, 1, v), 0);
	assert_int_equal(v[0], 7);
	assert_int_equal(v[1], xid);
	assert_null(prog_lookup_u32(m, 4));
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
	struct uebpf_runtime *rt = rt_new(2, 0);
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
	struct uebpf_runtime *rt = rt_new(3, 0);
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
	assert_int_equal(prog_lookup_u32(m, 2)[0], 128);

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
	struct uebpf_runtime *rt = rt_new(2, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_XSKMAP, 4, 4, 4, 0);
	uint32_t k, v, next;

	(void)state;
	assert_non_null(m);
	assert_null(prog_lookup_u32(m, 0));
	/* The host's socket id goes in as is; BPF_EXIST and BPF_NOEXIST
	 * are honoured, unlike the other array maps. */
	k = 0, v = 77;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_EXIST), -ENOENT);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST), 0);
	assert_int_equal(*prog_lookup_u32(m, 0), 77);
	v = 0;
	assert_int_equal(uebpf_redirect_lookup(m, 0, &v), 0);
	assert_int_equal(v, 77);
	v = 77; /* the same socket again */
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST), 0);
	v = 78;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST),
			 -EEXIST);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_EXIST), 0);
	assert_int_equal(*prog_lookup_u32(m, 0), 78);
	k = 1, v = 0; /* id 0 is an id */
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	assert_non_null(prog_lookup_u32(m, 1));
	assert_int_equal(*prog_lookup_u32(m, 1), 0);
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
	assert_null(prog_lookup_u32(m, 0));
	assert_int_equal(uebpf_redirect_lookup(m, 0, &v), -ENOENT);
	assert_int_equal(delete_key(m, 0), 0);
	assert_int_equal(delete_key(m, 4), -EINVAL);
	assert_null(prog_lookup_u32(m, 4));
	k = 2;
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), 0);
	assert_int_equal(next, 3);
	uebpf_map_put(m);
	rt_free(rt);
}

/* None of the three has the kernel's batch operations; all freeze. */
static void test_batch_and_freeze(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);
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
		assert_non_null(prog_lookup_u32(m, 0));
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
	uint32_t *v = prog_lookup_u32(c->m, 1);
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
	assert_null(prog_lookup_u32(c->m, 1));
	c->steps++;
}

static void test_redirect_epoch(void **state)
{
	struct uebpf_runtime *rt = rt_new(1, 0);
	struct uebpf_prog *p = load_helper_prog(rt);
	struct epoch_case c = { rt, create(rt, BPF_MAP_TYPE_DEVMAP, 4, 8, 2, 0),
				0 };

	(void)state;
	assert_int_equal(update2(c.m, 1, 11, 0, 0), 0);
	run_in_prog(p, epoch_case_fn, &c);
	assert_int_equal(c.steps, 1);
	uebpf_map_put(c.m);
	uebpf_prog_free(p);
	rt_free(rt);
}

/* ---- programs, the host and an iterator at once -------------------------- */

#define C_SLOTS 8

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
	p = prog_lookup_u32(s->dev, k);
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

	run_in_prog_until(s->rt, reader_step, &r, &s->stop);
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
	struct uebpf_runtime *rt = rt_new(2, 0);
	struct uebpf_prog *hp = load_helper_prog(rt);
	struct cshared s = { 0 };

	(void)state;
	s.rt = rt;
	s.dev = create(rt, BPF_MAP_TYPE_DEVMAP, 4, 8, C_SLOTS, 0);
	s.cpu = create(rt, BPF_MAP_TYPE_CPUMAP, 4, 8, C_SLOTS, 0);
	s.xsk = create(rt, BPF_MAP_TYPE_XSKMAP, 4, 4, C_SLOTS, 0);
	assert_non_null(s.dev);
	assert_non_null(s.cpu);
	assert_non_null(s.xsk);
	run_threads(c_reader, c_host, c_iterator, &s, &s.stop, 1000);
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
