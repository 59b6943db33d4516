/* SPDX-License-Identifier: MIT */
/*
 * HASH, PERCPU_HASH and DEVMAP_HASH: creation checks, element semantics
 * and errno paths as the kernel's, get_next_key order, per-CPU layout,
 * memory accounting, and readers racing a writer and an iterator.
 */
#include <pthread.h>
#include <time.h>

#include "map_test.h"
#include "../../maps/hash.h"

/* ---- creation ------------------------------------------------------------ */

static void test_create_checks(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);
	enum bpf_map_type H = BPF_MAP_TYPE_HASH, P = BPF_MAP_TYPE_PERCPU_HASH;

	(void)state;
	create_fails(rt, H, 0, 8, 16, 0, EINVAL, NULL);
	create_fails(rt, H, 4, 0, 16, 0, EINVAL, NULL);
	create_fails(rt, H, 4, 8, 0, 0, EINVAL, NULL);
	create_fails(rt, P, 0, 8, 16, 0, EINVAL, NULL);
	/* key + value >= KMALLOC_MAX_SIZE - sizeof(struct htab_elem) */
	create_fails(rt, H, 4, (4u << 20) - 48 - 4, 1, 0, E2BIG, NULL);
	create_fails(rt, H, UINT32_MAX, UINT32_MAX, 1, 0, E2BIG, NULL);
	create_ok(rt, H, 4, (4u << 20) - 48 - 5, 1, 0);
	/* Keys larger than the BPF stack are fine, as in kernels >= 5.11. */
	create_ok(rt, H, 1024, 8, 4, 0);
	/* Per-CPU values are bound by PCPU_MIN_UNIT_SIZE. */
	create_fails(rt, P, 4, 32769, 4, 0, E2BIG, NULL);
	create_ok(rt, P, 4, 32768, 4, 0);
	create_ok(rt, H, 4, 32769, 4, 0);
	create_fails(rt, H, 4, 8, (1u << 31) + 1, 0, E2BIG, NULL);
	create_fails(rt, H, 4, 8, UINT32_MAX, 0, E2BIG, NULL);

	/* Flags. */
	create_fails(rt, H, 4, 8, 16, BPF_F_NO_COMMON_LRU, EINVAL, NULL);
	create_fails(rt, P, 4, 8, 16, BPF_F_NO_COMMON_LRU, EINVAL, NULL);
	create_fails(rt, H, 4, 8, 16, BPF_F_MMAPABLE, EINVAL, NULL);
	create_fails(rt, H, 4, 8, 16, BPF_F_INNER_MAP, EINVAL, NULL);
	create_fails(rt, P, 4, 8, 16, BPF_F_NUMA_NODE, EINVAL, NULL);
	create_ok(rt, H, 4, 8, 16, BPF_F_NUMA_NODE);
	create_ok(rt, H, 4, 8, 16, BPF_F_ZERO_SEED);
	create_ok(rt, H, 4, 8, 16, BPF_F_NO_PREALLOC);
	create_ok(rt, P, 4, 8, 16, BPF_F_NO_PREALLOC);
	create_ok(rt, H, 4, 8, 16, BPF_F_RDONLY_PROG);
	create_ok(rt, H, 4, 8, 16, BPF_F_WRONLY_PROG);
	create_ok(rt, H, 4, 8, 16, BPF_F_RDONLY);
	{
		UEBPF_OPTS(uebpf_map_create_opts, o, .map_extra = 1);

		assert_null(uebpf_map_create(rt, H, "x", 4, 8, 16, &o));
		assert_int_equal(errno, EINVAL);
	}
	rt_sync_free(rt);
}

static void test_create_memory(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 1u << 20);
	struct uebpf_map *m;
	uint64_t before;

	(void)state;
	/* Preallocation is charged at creation, as in the kernel. */
	before = atomic_load(&rt->mem_used);
	m = create(rt, BPF_MAP_TYPE_HASH, 8, 64, 4096, 0);
	assert_non_null(m);
	assert_true(atomic_load(&rt->mem_used) - before >= 4096 * (8 + 64));
	uebpf_map_put(m);
	uebpf_epoch_synchronize(&rt->epoch);
	assert_int_equal(atomic_load(&rt->mem_used), before);

	/* Too big for the limit: -ENOMEM, never a smaller map. */
	create_fails(rt, BPF_MAP_TYPE_HASH, 8, 64, 1u << 20, 0, ENOMEM, NULL);
	/* key_size x max_entries far beyond memory passes the checks and
	 * fails on the charge. */
	create_fails(rt, BPF_MAP_TYPE_HASH, 4096, 8, 1u << 31, 0, ENOMEM, NULL);
	create_fails(rt, BPF_MAP_TYPE_PERCPU_HASH, 8, 32768, 1u << 20, 0,
		     ENOMEM, NULL);
	/* Without preallocation only the buckets are charged up front. */
	m = create(rt, BPF_MAP_TYPE_HASH, 8, 64, 16384, BPF_F_NO_PREALLOC);
	assert_non_null(m);
	assert_true(atomic_load(&rt->mem_used) - before < 16384 * 72);
	uebpf_map_put(m);
	rt_sync_free(rt);
}

static void test_create_fast(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);
	struct timespec a, b;
	struct uebpf_map *m;
	double ms;

	(void)state;
	/* Storage is reserved, not touched: a 4M-entry map is instant. */
	clock_gettime(CLOCK_MONOTONIC, &a);
	m = create(rt, BPF_MAP_TYPE_HASH, 16, 8, 4u << 20, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_non_null(m);
	ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
	assert_true(ms < 100);
	uebpf_map_put(m);
	rt_sync_free(rt);
}

/* ---- elements ------------------------------------------------------------ */

static void crud(struct uebpf_runtime *rt, uint32_t flags)
{
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_HASH, 4, 8, 8, flags);
	uint32_t k = 1;
	uint64_t v = 10, out = 0;

	assert_non_null(m);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &out), -ENOENT);
	assert_int_equal(uebpf_map_delete_elem(m, &k), -ENOENT);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_EXIST), -ENOENT);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST), 0);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &out), 0);
	assert_int_equal(out, 10);
	v = 11;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST),
			 -EEXIST);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_EXIST), 0);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &out), 0);
	assert_int_equal(out, 11);
	v = 12;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &out), 0);
	assert_int_equal(out, 12);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, 3), -EINVAL);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_F_LOCK), -EINVAL);
	out = 0;
	assert_int_equal(uebpf_map_lookup_and_delete_elem(m, &k, &out), 0);
	assert_int_equal(out, 12);
	assert_int_equal(uebpf_map_lookup_and_delete_elem(m, &k, &out),
			 -ENOENT);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &out), -ENOENT);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	assert_int_equal(uebpf_map_delete_elem(m, &k), -ENOENT);
	assert_int_equal(count_keys(m), 0);
	uebpf_map_put(m);
}

static void test_crud(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);

	(void)state;
	crud(rt, 0);
	crud(rt, BPF_F_NO_PREALLOC);
	crud(rt, BPF_F_ZERO_SEED);
	rt_sync_free(rt);
}

/* Keys of every size go through the generic hash and compare. */
static void test_key_sizes(void **state)
{
	static const uint32_t sizes[] = {1, 3, 4, 7, 8, 12, 16, 20, 40, 513};
	struct uebpf_runtime *rt = rt_new(1, 0);
	uint8_t key[600], nk[600];
	size_t s;
	uint32_t i, j, v;

	(void)state;
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		uint32_t ks = sizes[s], n = ks == 1 ? 256 : 300;
		struct uebpf_map *m =
			create(rt, BPF_MAP_TYPE_HASH, ks, 4, n, 0);

		assert_non_null(m);
		for (i = 0; i < n; i++) {
			memset(key, 0xa5, ks);
			/* Differ in the last byte(s) only: tails must count. */
			for (j = 0; j < 4 && j < ks; j++)
				key[ks - 1 - j] = (uint8_t)(i >> (8 * j));
			assert_int_equal(
				uebpf_map_update_elem(m, key, &i, BPF_NOEXIST),
				0);
		}
		assert_int_equal(count_keys(m), n);
		for (i = 0; i < n; i++) {
			memset(key, 0xa5, ks);
			for (j = 0; j < 4 && j < ks; j++)
				key[ks - 1 - j] = (uint8_t)(i >> (8 * j));
			assert_int_equal(uebpf_map_lookup_elem(m, key, &v), 0);
			assert_int_equal(v, i);
		}
		assert_int_equal(uebpf_map_get_next_key(m, NULL, nk), 0);
		uebpf_map_put(m);
	}
	rt_sync_free(rt);
}

/* Count-based, as the kernel: with max_entries elements another key fails
 * with -E2BIG, but replacing one still works, with any flag allowing it. */
static void full_map(struct uebpf_runtime *rt, enum bpf_map_type t,
		     uint32_t flags)
{
	uint32_t max = 5, k, vs = t == BPF_MAP_TYPE_PERCPU_HASH ? 8 * 2 : 8;
	struct uebpf_map *m = create(rt, t, 4, 8, max, flags);
	uint64_t v[2] = {1, 2}, out[2];
	int round;

	assert_non_null(m);
	(void)vs;
	for (round = 0; round < 3; round++) {
		for (k = 0; k < max; k++)
			assert_int_equal(
				uebpf_map_update_elem(m, &k, v, BPF_ANY), 0);
		k = max;
		assert_int_equal(uebpf_map_update_elem(m, &k, v, BPF_ANY),
				 -E2BIG);
		assert_int_equal(uebpf_map_update_elem(m, &k, v, BPF_NOEXIST),
				 -E2BIG);
		assert_int_equal(uebpf_map_update_elem(m, &k, v, BPF_EXIST),
				 -ENOENT);
		/* Replacing, many times over: the old elements wait for their
		 * grace period, the map stays usable. */
		for (k = 0; k < 1000; k++) {
			uint32_t key = k % max;

			v[0] = k;
			assert_int_equal(uebpf_map_update_elem(
						 m, &key, v,
						 k & 1 ? BPF_ANY : BPF_EXIST),
					 0);
		}
		k = 2;
		assert_int_equal(uebpf_map_lookup_elem(m, &k, out), 0);
		assert_int_equal(out[0], 997);
		assert_int_equal(count_keys(m), max);
		assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
		k = max;
		assert_int_equal(uebpf_map_update_elem(m, &k, v, BPF_NOEXIST),
				 0);
		assert_int_equal(uebpf_map_update_elem(m, &k, v, BPF_NOEXIST),
				 -EEXIST);
		for (k = 0; k <= max; k++)
			uebpf_map_delete_elem(m, &k);
		assert_int_equal(count_keys(m), 0);
	}
	uebpf_map_put(m);
}

static void test_full(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);

	(void)state;
	full_map(rt, BPF_MAP_TYPE_HASH, 0);
	full_map(rt, BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC);
	full_map(rt, BPF_MAP_TYPE_PERCPU_HASH, 0);
	full_map(rt, BPF_MAP_TYPE_PERCPU_HASH, BPF_F_NO_PREALLOC);
	rt_sync_free(rt);
}

/* BPF_F_NO_PREALLOC: charged per element, given back once freed. */
static void test_no_prealloc_charge(void **state)
{
	struct uebpf_runtime *rt = rt_new(1, 256 << 10);
	struct uebpf_map *m;
	uint64_t base, v[16] = {0};
	uint32_t k, n = 0;
	int err = 0;

	(void)state;
	m = create(rt, BPF_MAP_TYPE_HASH, 4, sizeof(v), 10000,
		   BPF_F_NO_PREALLOC);
	assert_non_null(m);
	base = atomic_load(&rt->mem_used);
	for (k = 0; k < 10000 && !err; k++) {
		err = uebpf_map_update_elem(m, &k, v, BPF_ANY);
		if (!err)
			n++;
	}
	/* The limit ends it, with -ENOMEM, well before max_entries. */
	assert_int_equal(err, -ENOMEM);
	assert_true(n > 100 && n < 10000);
	assert_true(atomic_load(&rt->mem_used) > base + n * sizeof(v));
	assert_int_equal(count_keys(m), n);
	/* Replacing needs a second element for a while: at the limit it
	 * fails with -ENOMEM and leaves the old value. */
	k = 0;
	v[0] = 42;
	assert_int_equal(uebpf_map_update_elem(m, &k, v, BPF_ANY), -ENOMEM);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, v), 0);
	assert_int_equal(v[0], 0);
	/* Deleting gives the charge back at once, not after the grace
	 * period, so what fits never depends on timing. */
	for (k = 0; k < n; k++)
		assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	assert_int_equal(atomic_load(&rt->mem_used), base);
	/* And the memory is usable again. */
	for (k = 0; k < n; k++)
		assert_int_equal(uebpf_map_update_elem(m, &k, v, BPF_ANY), 0);
	uebpf_map_put(m);
	rt_sync_free(rt);
}

/* ---- get_next_key -------------------------------------------------------- */

static void test_get_next_key(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_HASH, 8, 4, 1000, 0);
	uint64_t k, nk, first;
	uint8_t *seen = calloc(1000, 1);
	uint32_t v = 0, i, n = 0;
	int err;

	(void)state;
	assert_non_null(m);
	assert_int_equal(uebpf_map_get_next_key(m, NULL, &nk), -ENOENT);
	k = 5;
	assert_int_equal(uebpf_map_get_next_key(m, &k, &nk), -ENOENT);
	for (i = 0; i < 1000; i++) {
		k = i * 7919ull + (1ull << 40);
		assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	}
	/* Every key exactly once. */
	err = uebpf_map_get_next_key(m, NULL, &nk);
	first = nk;
	while (!err) {
		i = (uint32_t)((nk - (1ull << 40)) / 7919);
		assert_true(i < 1000);
		assert_int_equal(seen[i], 0);
		seen[i] = 1;
		n++;
		k = nk;
		err = uebpf_map_get_next_key(m, &k, &nk);
	}
	assert_int_equal(err, -ENOENT);
	assert_int_equal(n, 1000);
	/* A key not in the map, as NULL, starts over. */
	k = 3;
	assert_int_equal(uebpf_map_get_next_key(m, &k, &nk), 0);
	assert_true(nk == first);
	/* Deleting the current key while walking restarts, never loops. */
	assert_int_equal(uebpf_map_get_next_key(m, NULL, &nk), 0);
	k = nk;
	assert_int_equal(uebpf_map_get_next_key(m, &k, &nk), 0);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	assert_int_equal(uebpf_map_get_next_key(m, &k, &nk), 0);
	assert_true(nk != k);
	assert_int_equal(count_keys(m), 999);
	free(seen);
	uebpf_map_put(m);
	rt_sync_free(rt);
}

/* With BPF_F_ZERO_SEED the layout, hence the walk order, is reproducible. */
static void test_zero_seed(void **state)
{
	struct uebpf_runtime *rt = rt_new(1, 0);
	struct uebpf_map *a =
		create(rt, BPF_MAP_TYPE_HASH, 4, 4, 64, BPF_F_ZERO_SEED);
	struct uebpf_map *b =
		create(rt, BPF_MAP_TYPE_HASH, 4, 4, 64, BPF_F_ZERO_SEED);
	uint32_t k, ka, kb, v = 0;
	int ea, eb;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	for (k = 0; k < 50; k++) {
		assert_int_equal(uebpf_map_update_elem(a, &k, &v, 0), 0);
		assert_int_equal(uebpf_map_update_elem(b, &k, &v, 0), 0);
	}
	ea = uebpf_map_get_next_key(a, NULL, &ka);
	eb = uebpf_map_get_next_key(b, NULL, &kb);
	while (!ea && !eb) {
		assert_int_equal(ka, kb);
		ea = uebpf_map_get_next_key(a, &ka, &ka);
		eb = uebpf_map_get_next_key(b, &kb, &kb);
	}
	assert_int_equal(ea, -ENOENT);
	assert_int_equal(eb, -ENOENT);
	uebpf_map_put(a);
	uebpf_map_put(b);
	rt_sync_free(rt);
}

static void test_batch(void **state)
{
	struct uebpf_runtime *rt = rt_new(1, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_HASH, 4, 8, 100, 0);
	uint32_t keys[100], out_batch, count = 100, i;
	uint64_t vals[100], sum = 0;

	(void)state;
	for (i = 0; i < 100; i++) {
		keys[i] = i;
		vals[i] = i * 3;
	}
	assert_int_equal(uebpf_map_update_batch(m, keys, vals, &count, NULL),
			 0);
	assert_int_equal(count, 100);
	memset(keys, 0xff, sizeof(keys));
	count = 100;
	assert_int_equal(uebpf_map_lookup_batch(m, NULL, &out_batch, keys, vals,
						&count, NULL),
			 0); /* exactly filled, as the kernel */
	assert_int_equal(count, 100);
	for (i = 0; i < 100; i++) {
		assert_int_equal(vals[i], keys[i] * 3);
		sum += keys[i];
	}
	assert_int_equal(sum, 99 * 100 / 2);
	uebpf_map_put(m);
	rt_sync_free(rt);
}

/* ---- program side -------------------------------------------------------- */

static void test_prog_side(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_HASH, 4, 8, 4, 0);
	struct uebpf_epoch_rec *rec;
	uint64_t v = 7, *p, *q;
	uint32_t k = 1, i;

	(void)state;
	assert_non_null(m);
	rec = uebpf_epoch_enter(&rt->epoch);
	assert_null(m->ops->lookup(m, &k));
	assert_int_equal(m->ops->update(m, &k, &v, 3), -EINVAL);
	assert_int_equal(m->ops->update(m, &k, &v, BPF_F_LOCK), -EINVAL);
	assert_int_equal(m->ops->update(m, &k, &v, BPF_EXIST), -ENOENT);
	assert_int_equal(m->ops->update(m, &k, &v, BPF_ANY), 0);
	p = m->ops->lookup(m, &k);
	assert_non_null(p);
	assert_int_equal(*p, 7);
	/* In place: a program's store is what the host reads. */
	*p = 8;
	uebpf_epoch_exit(rec);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &v), 0);
	assert_int_equal(v, 8);

	/* A pointer a program holds keeps its value while it runs, whatever
	 * the host does meanwhile: replace, delete, churn the pool. */
	rec = uebpf_epoch_enter(&rt->epoch);
	p = m->ops->lookup(m, &k);
	v = 100;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	q = m->ops->lookup(m, &k);
	assert_ptr_not_equal(p, q);
	assert_int_equal(*p, 8);
	assert_int_equal(*q, 100);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	for (i = 0; i < 10000; i++) {
		uint32_t key = i % 4;

		v = 0xdead;
		assert_int_equal(uebpf_map_update_elem(m, &key, &v, BPF_ANY),
				 0);
		assert_int_equal(uebpf_map_delete_elem(m, &key), 0);
	}
	assert_int_equal(*p, 8);
	assert_int_equal(*q, 100);
	assert_int_equal(m->ops->delete (m, &k), -ENOENT);
	uebpf_epoch_exit(rec);
	uebpf_map_put(m);
	rt_sync_free(rt);
}

/* ---- PERCPU_HASH --------------------------------------------------------- */

static void percpu_layout(uint32_t flags)
{
	struct uebpf_runtime *rt = rt_new(3, 0);
	struct uebpf_map *m =
		create(rt, BPF_MAP_TYPE_PERCPU_HASH, 4, 4, 8, flags);
	struct uebpf_epoch_rec *rec;
	uint32_t k = 1, v32, *p;
	uint64_t in[3], out[3];
	uint8_t raw[24];
	unsigned int cpu;

	assert_non_null(m);
	/* Host side: nr_cpus values, each rounded up to 8 bytes. */
	in[0] = 0x1111111111111111ull;
	in[1] = 0x2222222222222222ull;
	in[2] = 0x3333333333333333ull;
	assert_int_equal(uebpf_map_update_elem(m, &k, in, BPF_ANY), 0);
	memset(out, 0, sizeof(out));
	assert_int_equal(uebpf_map_lookup_elem(m, &k, out), 0);
	assert_memory_equal(in, out, sizeof(in));
	/* Program side: the slot of the CPU the thread runs as. */
	rec = uebpf_epoch_enter(&rt->epoch);
	for (cpu = 0; cpu < 3; cpu++) {
		uebpf_this_cpu = cpu;
		p = m->ops->lookup(m, &k);
		assert_non_null(p);
		assert_int_equal(*p, (uint32_t)in[cpu]);
	}
	/* An update in place changes only this CPU's value (value_size
	 * bytes of it). */
	uebpf_this_cpu = 1;
	v32 = 0xabcd;
	assert_int_equal(m->ops->update(m, &k, &v32, BPF_EXIST), 0);
	uebpf_epoch_exit(rec);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, out), 0);
	assert_int_equal(out[0], in[0]);
	assert_int_equal(out[1], 0x222222220000abcdull);
	assert_int_equal(out[2], in[2]);

	/* A new element from a program: this CPU's value, zeros on the
	 * others (the kernel's pcpu_init_value), padding zeroed too. */
	k = 2;
	rec = uebpf_epoch_enter(&rt->epoch);
	uebpf_this_cpu = 2;
	v32 = 0x77;
	assert_int_equal(m->ops->update(m, &k, &v32, BPF_NOEXIST), 0);
	assert_int_equal(m->ops->update(m, &k, &v32, BPF_NOEXIST), -EEXIST);
	assert_int_equal(m->ops->update(m, &k, &v32, 4), -EINVAL);
	uebpf_epoch_exit(rec);
	uebpf_this_cpu = 0;
	memset(raw, 0xee, sizeof(raw));
	assert_int_equal(uebpf_map_lookup_elem(m, &k, raw), 0);
	memcpy(out, raw, sizeof(out));
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 0);
	assert_int_equal(out[2], 0x77);

	/* Delete and reinsert from a program: no stale values show, even
	 * in elements that held other values before. */
	for (v32 = 0; v32 < 300; v32++) {
		uint32_t key = 100 + v32 % 4;
		uint64_t ff[3] = {~0ull, ~0ull, ~0ull};

		assert_int_equal(uebpf_map_update_elem(m, &key, ff, BPF_ANY),
				 0);
		assert_int_equal(uebpf_map_delete_elem(m, &key), 0);
	}
	uebpf_epoch_synchronize(&rt->epoch);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	rec = uebpf_epoch_enter(&rt->epoch);
	uebpf_this_cpu = 0;
	v32 = 5;
	assert_int_equal(m->ops->update(m, &k, &v32, BPF_ANY), 0);
	uebpf_epoch_exit(rec);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, out), 0);
	assert_int_equal(out[0], 5);
	assert_int_equal(out[1], 0);
	assert_int_equal(out[2], 0);

	/* lookup_and_delete: the user layout too. */
	k = 1;
	memset(out, 0, sizeof(out));
	assert_int_equal(uebpf_map_lookup_and_delete_elem(m, &k, out), 0);
	assert_int_equal(out[1], 0x222222220000abcdull);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, out), -ENOENT);
	assert_int_equal(uebpf_map_lookup_and_delete_elem(m, &k, out), -ENOENT);
	/* Host flags. */
	assert_int_equal(uebpf_map_update_elem(m, &k, in, BPF_EXIST), -ENOENT);
	assert_int_equal(uebpf_map_update_elem(m, &k, in, BPF_NOEXIST), 0);
	assert_int_equal(uebpf_map_update_elem(m, &k, in, BPF_NOEXIST),
			 -EEXIST);
	assert_int_equal(count_keys(m), 2);
	uebpf_map_put(m);
	rt_sync_free(rt);
}

static void test_percpu(void **state)
{
	(void)state;
	percpu_layout(0);
	percpu_layout(BPF_F_NO_PREALLOC);
}

/* Per-CPU values never show another CPU's or a previous element's bytes,
 * across many reuses of the pool. */
static void test_percpu_reuse(void **state)
{
	struct uebpf_runtime *rt = rt_new(3, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_PERCPU_HASH, 4, 12, 4, 0);
	uint8_t in[48], out[48];
	uint32_t k, i;

	(void)state;
	assert_non_null(m);
	for (i = 0; i < 2000; i++) {
		k = i % 6;
		memset(in, (int)(i & 0xff), sizeof(in));
		if (uebpf_map_update_elem(m, &k, in, BPF_ANY) == -E2BIG) {
			k = (i + 1) % 6;
			uebpf_map_delete_elem(m, &k);
			k = (i + 2) % 6;
			uebpf_map_delete_elem(m, &k);
			k = i % 6;
			assert_int_equal(
				uebpf_map_update_elem(m, &k, in, BPF_ANY), 0);
		}
		assert_int_equal(uebpf_map_lookup_elem(m, &k, out), 0);
		assert_memory_equal(in, out, 48);
	}
	uebpf_map_put(m);
	rt_sync_free(rt);
}

/* ---- DEVMAP_HASH --------------------------------------------------------- */

/* Programs of type XDP cannot be loaded yet: register one by hand. */
static struct uebpf_prog *fake_prog(struct uebpf_runtime *rt,
				    enum bpf_prog_type type)
{
	struct uebpf_prog *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->rt = rt;
	atomic_init(&p->refcnt, 1);
	p->type = type;
	assert_int_equal(uebpf_idr_alloc(&rt->prog_ids, p, &p->id), 0);
	return p;
}

static void test_devmap_hash(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);
	enum bpf_map_type D = BPF_MAP_TYPE_DEVMAP_HASH;
	struct uebpf_prog *xdp = fake_prog(rt, BPF_PROG_TYPE_XDP);
	struct uebpf_prog *raw = fake_prog(rt, BPF_PROG_TYPE_UNSPEC);
	struct bpf_devmap_val dv, out;
	struct uebpf_epoch_rec *rec;
	struct uebpf_map *m, *m4;
	uint32_t k, v4;

	(void)state;
	create_fails(rt, D, 8, 4, 4, 0, EINVAL, NULL);
	create_fails(rt, D, 4, 12, 4, 0, EINVAL, NULL);
	create_fails(rt, D, 4, 0, 4, 0, EINVAL, NULL);
	create_fails(rt, D, 4, 4, 0, 0, EINVAL, NULL);
	create_fails(rt, D, 4, 4, 4, BPF_F_NO_PREALLOC, EINVAL, NULL);
	create_fails(rt, D, 4, 4, 4, BPF_F_RDONLY_PROG, EINVAL, NULL);
	create_fails(rt, D, 4, 4, (1u << 31) + 1, 0, EINVAL, NULL);
	m4 = create(rt, D, 4, 4, 2, BPF_F_NUMA_NODE);
	assert_non_null(m4);
	/* Programs get the entry itself: the map is read-only for them. */
	assert_true(uebpf_map_flags(m4) & BPF_F_RDONLY_PROG);

	k = 10;
	v4 = 0;
	assert_int_equal(uebpf_map_update_elem(m4, &k, &v4, BPF_ANY), -EINVAL);
	v4 = 3;
	/* BPF_EXIST on a missing key adds it: this type does not check. */
	assert_int_equal(uebpf_map_update_elem(m4, &k, &v4, BPF_EXIST), 0);
	assert_int_equal(uebpf_map_update_elem(m4, &k, &v4, BPF_NOEXIST),
			 -EEXIST);
	k = 11;
	assert_int_equal(uebpf_map_update_elem(m4, &k, &v4, BPF_NOEXIST), 0);
	k = 12;
	assert_int_equal(uebpf_map_update_elem(m4, &k, &v4, BPF_ANY), -E2BIG);
	k = 11;
	v4 = 0;
	assert_int_equal(uebpf_map_lookup_elem(m4, &k, &v4), 0);
	assert_int_equal(v4, 3);
	assert_int_equal(uebpf_map_lookup_and_delete_elem(m4, &k, &v4),
			 -ENOTSUPP_ERRNO);
	{
		/* No batch operations for this type in the kernel. */
		uint32_t keys[2], vals[2], ob, cnt = 2;

		assert_int_equal(uebpf_map_lookup_batch(m4, NULL, &ob, keys,
							vals, &cnt, NULL),
				 -ENOTSUPP_ERRNO);
	}
	assert_int_equal(uebpf_map_delete_elem(m4, &k), 0);
	assert_int_equal(uebpf_map_delete_elem(m4, &k), -ENOENT);

	m = create(rt, D, 4, 8, 4, 0);
	assert_non_null(m);
	k = 1;
	dv.ifindex = 7;
	dv.bpf_prog.id = 999;
	assert_int_equal(uebpf_map_update_elem(m, &k, &dv, BPF_ANY), -EINVAL);
	dv.bpf_prog.id = uebpf_prog_id(raw);
	assert_int_equal(uebpf_map_update_elem(m, &k, &dv, BPF_ANY), -EINVAL);
	dv.bpf_prog.id = uebpf_prog_id(xdp);
	assert_int_equal(uebpf_map_update_elem(m, &k, &dv, BPF_ANY), 0);
	assert_int_equal(atomic_load(&xdp->refcnt), 2);
	memset(&out, 0, sizeof(out));
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &out), 0);
	assert_int_equal(out.ifindex, 7);
	assert_int_equal(out.bpf_prog.id, uebpf_prog_id(xdp));
	/* fd <= 0 (here: id as a signed int) means no program. */
	k = 2;
	dv.ifindex = 8;
	dv.bpf_prog.fd = -1;
	assert_int_equal(uebpf_map_update_elem(m, &k, &dv, BPF_ANY), 0);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &out), 0);
	assert_int_equal(out.ifindex, 8);
	assert_int_equal(out.bpf_prog.id, 0);
	/* What bpf_redirect_map() will use, and a program's lookup. */
	rec = uebpf_epoch_enter(&rt->epoch);
	assert_int_equal(uebpf_devmap_hash_lookup(m, 1, &out), 0);
	assert_int_equal(out.ifindex, 7);
	assert_int_equal(out.bpf_prog.id, uebpf_prog_id(xdp));
	assert_int_equal(uebpf_devmap_hash_lookup(m, 3, &out), -ENOENT);
	k = 2;
	assert_int_equal(
		((struct bpf_devmap_val *)m->ops->lookup(m, &k))->ifindex, 8);
	uebpf_epoch_exit(rec);
	/* Replacing or deleting drops the program reference. */
	k = 1;
	dv.ifindex = 9;
	dv.bpf_prog.id = uebpf_prog_id(xdp);
	assert_int_equal(uebpf_map_update_elem(m, &k, &dv, BPF_ANY), 0);
	assert_int_equal(atomic_load(&xdp->refcnt), 2);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	assert_int_equal(atomic_load(&xdp->refcnt), 1);
	assert_int_equal(uebpf_map_update_elem(m, &k, &dv, BPF_ANY), 0);
	assert_int_equal(atomic_load(&xdp->refcnt), 2);
	assert_int_equal(count_keys(m), 2);
	/* Freeing the map drops it too. */
	uebpf_map_put(m);
	uebpf_epoch_synchronize(&rt->epoch);
	assert_int_equal(atomic_load(&xdp->refcnt), 1);
	uebpf_map_put(m4);
	uebpf_prog_put(xdp);
	uebpf_prog_put(raw);
	rt_sync_free(rt);
}

/* ---- concurrency --------------------------------------------------------- */

#define STRESS_KEYS 512

struct stress {
	struct uebpf_runtime *rt;
	struct uebpf_map *map;
	atomic_bool stop;
	atomic_ulong reads, hits, walks, torn, bad_walks;
	unsigned int cpu;
};

/* Values are (version << 32) | (key ^ version): a torn or foreign value
 * breaks the relation. */
static uint64_t mkval(uint32_t key, uint32_t ver)
{
	return ((uint64_t)ver << 32) | (key ^ ver);
}

static bool val_ok(uint32_t key, uint64_t v)
{
	return ((uint32_t)(v >> 32) ^ (uint32_t)v) == key;
}

static void *reader(void *arg)
{
	struct stress *s = arg;
	struct uebpf_map *m = s->map;
	unsigned long reads = 0, hits = 0, torn = 0;
	uint32_t key = s->cpu * 7;

	uebpf_this_cpu = s->cpu;
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		struct uebpf_epoch_rec *rec = uebpf_epoch_enter(&s->rt->epoch);
		int i;

		/* A "program" run: a few lookups, each value re-read later
		 * in the run, when the writer may have replaced it. */
		for (i = 0; i < 8; i++) {
			uint64_t *p, a, b;

			key = (key * 1103515245u + 12345u) % STRESS_KEYS;
			p = m->ops->lookup(m, &key);
			reads++;
			if (!p)
				continue;
			hits++;
			a = __atomic_load_n(p, __ATOMIC_RELAXED);
			for (int spin = 0; spin < 50; spin++)
				atomic_signal_fence(memory_order_seq_cst);
			b = __atomic_load_n(p, __ATOMIC_RELAXED);
			if (!val_ok(key, a) || a != b)
				torn++;
		}
		uebpf_epoch_exit(rec);
	}
	atomic_fetch_add(&s->reads, reads);
	atomic_fetch_add(&s->hits, hits);
	atomic_fetch_add(&s->torn, torn);
	return NULL;
}

/* cmocka's asserts are for the main thread: others count failures. */
static void *iterator(void *arg)
{
	struct stress *s = arg;
	uint32_t k, nk;
	unsigned long steps;

	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		int err = uebpf_map_get_next_key(s->map, NULL, &nk);

		/* A walk restarts when its current key is deleted, as in the
		 * kernel: how long it takes depends on the writer, but each
		 * call returns a key of the map or the end. */
		for (steps = 0; !err && steps < 1000u * STRESS_KEYS; steps++) {
			if (nk >= STRESS_KEYS) {
				atomic_fetch_add(&s->bad_walks, 1);
				break;
			}
			k = nk;
			err = uebpf_map_get_next_key(s->map, &k, &nk);
		}
		if (err && err != -ENOENT)
			atomic_fetch_add(&s->bad_walks, 1);
		if (err == -ENOENT)
			atomic_fetch_add(&s->walks, 1);
	}
	return NULL;
}

static void stress(enum bpf_map_type type, uint32_t flags, double seconds)
{
	struct uebpf_runtime *rt = rt_new(4, 0);
	struct stress s = {.rt = rt};
	struct stress rs[2];
	pthread_t r[2], it;
	struct timespec a, b;
	uint32_t ver = 1, key;
	unsigned long ops = 0;
	uint64_t v;
	int i, err;

	s.map = create(rt, type, 4, 8, STRESS_KEYS, flags);
	assert_non_null(s.map);
	atomic_init(&s.stop, false);
	for (i = 0; i < 2; i++) {
		rs[i] = s;
		rs[i].cpu = (unsigned int)i + 1;
		assert_int_equal(pthread_create(&r[i], NULL, reader, &rs[i]),
				 0);
	}
	assert_int_equal(pthread_create(&it, NULL, iterator, &s), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (i = 0; i < 1000; i++, ops++) {
			key = (uint32_t)(ops * 2654435761u) % STRESS_KEYS;
			if (ops % 3 == 2) {
				err = uebpf_map_delete_elem(s.map, &key);
				assert_true(!err || err == -ENOENT);
			} else {
				v = mkval(key, ver++);
				assert_int_equal(uebpf_map_update_elem(s.map,
								       &key, &v,
								       BPF_ANY),
						 0);
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 <
		 seconds);
	for (i = 0; i < 2; i++)
		atomic_store(&rs[i].stop, true);
	atomic_store(&s.stop, true);
	for (i = 0; i < 2; i++) {
		pthread_join(r[i], NULL);
		atomic_fetch_add(&s.reads, atomic_load(&rs[i].reads));
		atomic_fetch_add(&s.hits, atomic_load(&rs[i].hits));
		atomic_fetch_add(&s.torn, atomic_load(&rs[i].torn));
	}
	pthread_join(it, NULL);
	assert_int_equal(atomic_load(&s.torn), 0);
	assert_int_equal(atomic_load(&s.bad_walks), 0);
	assert_true(atomic_load(&s.hits) > 0);
	assert_true(atomic_load(&s.walks) > 0);
	assert_true(ops > 1000);
	/* Everything is still consistent afterwards. */
	for (key = 0; key < STRESS_KEYS; key++)
		if (!uebpf_map_lookup_elem(s.map, &key, &v))
			assert_true(val_ok(key, v));
	uebpf_map_put(s.map);
	rt_sync_free(rt);
}

/* A key that is only ever replaced is always found: the new element
 * takes the old one's place in its chain at once. */
struct replacer {
	struct uebpf_runtime *rt;
	struct uebpf_map *map;
	atomic_bool stop;
	atomic_ulong misses, lookups;
};

static void *replace_reader(void *arg)
{
	struct replacer *r = arg;
	unsigned long misses = 0, n = 0;
	uint32_t k;

	uebpf_this_cpu = 1;
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		struct uebpf_epoch_rec *rec = uebpf_epoch_enter(&r->rt->epoch);
		uint32_t nk;

		for (k = 0; k < 16; k++, n++)
			if (!r->map->ops->lookup(r->map, &k))
				misses++;
		uebpf_epoch_exit(rec);
		/* A walk never restarts either: nothing is deleted. */
		k = 0;
		if (!uebpf_map_get_next_key(r->map, NULL, &nk))
			for (k = 1; k < 64 &&
				    !uebpf_map_get_next_key(r->map, &nk, &nk);
			     k++)
				;
		if (k != 16)
			misses++;
	}
	atomic_store(&r->misses, misses);
	atomic_store(&r->lookups, n);
	return NULL;
}

static void test_replace_never_misses(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);
	struct replacer r = {.rt = rt};
	struct timespec a, b;
	pthread_t t;
	uint64_t v = 0;
	uint32_t k;

	(void)state;
	/* 16 keys in 16 buckets: chains of a few elements. */
	r.map = create(rt, BPF_MAP_TYPE_HASH, 4, 8, 16, 0);
	assert_non_null(r.map);
	for (k = 0; k < 16; k++)
		assert_int_equal(uebpf_map_update_elem(r.map, &k, &v, BPF_ANY),
				 0);
	atomic_init(&r.stop, false);
	assert_int_equal(pthread_create(&t, NULL, replace_reader, &r), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (k = 0; k < 16; k++, v++)
			assert_int_equal(
				uebpf_map_update_elem(r.map, &k, &v, BPF_EXIST),
				0);
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < 0.5);
	atomic_store(&r.stop, true);
	pthread_join(t, NULL);
	assert_true(atomic_load(&r.lookups) > 0);
	assert_int_equal(atomic_load(&r.misses), 0);
	uebpf_map_put(r.map);
	rt_sync_free(rt);
}

static void test_stress(void **state)
{
	(void)state;
	stress(BPF_MAP_TYPE_HASH, 0, 1.0);
	stress(BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC, 0.5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_checks),
		cmocka_unit_test(test_create_memory),
		cmocka_unit_test(test_create_fast),
		cmocka_unit_test(test_crud),
		cmocka_unit_test(test_key_sizes),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_no_prealloc_charge),
		cmocka_unit_test(test_get_next_key),
		cmocka_unit_test(test_zero_seed),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_prog_side),
		cmocka_unit_test(test_percpu),
		cmocka_unit_test(test_percpu_reuse),
		cmocka_unit_test(test_devmap_hash),
		cmocka_unit_test(test_replace_never_misses),
		cmocka_unit_test(test_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
