/* SPDX-License-Identifier: MIT */
/*
 * LRU_HASH and LRU_PERCPU_HASH: creation checks, eviction instead of
 * -E2BIG, the reference bit keeping used keys, BPF_F_NO_COMMON_LRU, the
 * per-CPU layout, and several CPU slots updating one map.
 */
#include <pthread.h>
#include <time.h>

#include "map_test.h"
#include "../../maps/hash.h"

/* Present, without touching the reference bit (as the kernel's host-side
 * lookup). */
static bool present(struct uebpf_map *m, uint32_t key)
{
	struct uebpf_epoch_rec *rec = uebpf_epoch_enter(&m->rt->epoch);
	bool found = uebpf_htab_lookup_sys(m, &key) != NULL;

	uebpf_epoch_exit(rec);
	return found;
}

static void test_create_checks(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(3, 0);
	enum bpf_map_type L = BPF_MAP_TYPE_LRU_HASH,
			  P = BPF_MAP_TYPE_LRU_PERCPU_HASH;
	struct uebpf_map *m;

	(void)state;
	/* Always preallocated: the kernel's -ENOTSUPP. */
	create_fails(rt, L, 4, 8, 16, BPF_F_NO_PREALLOC, ENOTSUPP_ERRNO, NULL);
	create_fails(rt, P, 4, 8, 16, BPF_F_NO_PREALLOC, ENOTSUPP_ERRNO, NULL);
	create_fails(rt, L, 4, 8, 0, 0, EINVAL, NULL);
	create_fails(rt, L, 4, 8, 16, BPF_F_MMAPABLE, EINVAL, NULL);
	create_fails(rt, L, 4, 8, 16, BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE,
		     EINVAL, NULL);
	create_fails(rt, P, 4, 8, 16, BPF_F_NUMA_NODE, EINVAL, NULL);
	create_fails(rt, L, 4, 8, (1u << 31) + 1, 0, E2BIG, NULL);
	/* Rounded up to a multiple of the CPUs, 2^31 is too many. */
	create_fails(rt, L, 4, 8, 1u << 31, BPF_F_NO_COMMON_LRU, E2BIG, NULL);
	assert_null(create(rt, L, 0, 8, 4, 0));
	assert_int_equal(errno, EINVAL);
	assert_null(create(rt, P, 4, 32769, 4, 0));
	assert_int_equal(errno, E2BIG);

	m = create(rt, L, 4, 8, 16, BPF_F_NUMA_NODE | BPF_F_ZERO_SEED);
	assert_non_null(m);
	uebpf_map_put(m);
	/* Each CPU's list gets the same share. */
	m = create(rt, L, 4, 8, 10, BPF_F_NO_COMMON_LRU);
	assert_non_null(m);
	assert_int_equal(uebpf_map_max_entries(m), 12);
	uebpf_map_put(m);
	m = create(rt, P, 4, 8, 2, BPF_F_NO_COMMON_LRU);
	assert_non_null(m);
	assert_int_equal(uebpf_map_max_entries(m), 3);
	uebpf_map_put(m);
	rt_sync_free(rt);
}

static void test_flags_and_values(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_LRU_HASH, 4, 8, 16, 0);
	struct uebpf_epoch_rec *rec;
	uint64_t v = 1, out;
	uint32_t k = 5;

	(void)state;
	assert_non_null(m);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_EXIST), -ENOENT);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST), 0);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST),
			 -EEXIST);
	v = 2;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_EXIST), 0);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &out), 0);
	assert_int_equal(out, 2);
	rec = uebpf_epoch_enter(&rt->epoch);
	assert_int_equal(m->ops->update(m, &k, &v, 3), -EINVAL);
	v = 3;
	assert_int_equal(m->ops->update(m, &k, &v, BPF_ANY), 0);
	assert_int_equal(*(uint64_t *)m->ops->lookup(m, &k), 3);
	uebpf_epoch_exit(rec);
	assert_int_equal(uebpf_map_lookup_and_delete_elem(m, &k, &out), 0);
	assert_int_equal(out, 3);
	assert_int_equal(uebpf_map_lookup_and_delete_elem(m, &k, &out),
			 -ENOENT);
	assert_int_equal(uebpf_map_delete_elem(m, &k), -ENOENT);
	assert_int_equal(count_keys(m), 0);
	uebpf_map_put(m);
	rt_sync_free(rt);
}

/* An update never fails for lack of room, and the map never holds more
 * than max_entries. */
static void test_full_map_evicts(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	static const uint32_t sizes[] = {1, 2, 7, 64, 1000};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t max = sizes[i], k, n;
		struct uebpf_map *m =
			create(rt, BPF_MAP_TYPE_LRU_HASH, 4, 8, max, 0);
		uint64_t v, out;

		assert_non_null(m);
		for (k = 0; k < 10 * max + 50; k++) {
			v = k * 3ull;
			assert_int_equal(
				uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST),
				0);
			if (k % 17 == 0 || k < 2 * max) {
				n = count_keys(m);
				assert_true(n <= max);
				assert_true(n >= 1);
			}
			/* The key just written is there. */
			assert_int_equal(uebpf_map_lookup_elem(m, &k, &out), 0);
			assert_int_equal(out, k * 3ull);
		}
		/* Replacing in a full map works too.  (Not with BPF_EXIST in
		 * general: as in the kernel, the node is taken first, and in a
		 * tiny map that may evict the very key.) */
		k = 10 * max + 49;
		v = 1;
		assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
		assert_int_equal(uebpf_map_lookup_elem(m, &k, &out), 0);
		assert_int_equal(out, 1);
		assert_true(count_keys(m) <= max);
		uebpf_map_put(m);
	}
	rt_sync_free(rt);
}

/* Keys a program looks up survive eviction; keys nobody uses go first. */
static void hot_keys(bool use_them)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	const uint32_t max = 1000, hot = 100, fresh = 500;
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_LRU_HASH, 4, 8, max, 0);
	uint32_t k, i, hot_left = 0, cold_left = 0;
	uint64_t v = 0;

	assert_non_null(m);
	/* The hot keys are the oldest: plain FIFO would drop them first.
	 * (Like the kernel's, this LRU may evict a little before it is
	 * full, so they are used from the start.) */
	for (i = 0; i < max + fresh; i++) {
		assert_int_equal(uebpf_map_update_elem(m, &i, &v, BPF_ANY), 0);
		if (use_them && i >= hot)
			for (k = 0; k < hot; k++)
				assert_non_null(prog_lookup(m, k));
	}
	for (k = 0; k < hot; k++)
		hot_left += present(m, k);
	for (k = hot; k < max; k++)
		cold_left += present(m, k);
	assert_true(count_keys(m) <= max);
	if (use_them) {
		assert_int_equal(hot_left, hot);
		assert_true(cold_left <= max - fresh);
	} else {
		assert_int_equal(hot_left, 0);
	}
	uebpf_map_put(m);
	rt_sync_free(rt);
}

static void test_ref_bit(void **state)
{
	(void)state;
	hot_keys(true);
	hot_keys(false);
}

/* The host's lookups leave the bit alone, as the kernel's (syscall lookups
 * go through map_lookup_elem_sys_only, per-CPU copies do not mark either):
 * a control plane walking the map does not change what is evicted. */
static void host_lookups(enum bpf_map_type t)
{
	struct uebpf_runtime *rt = rt_new_quiet(1, 0);
	const uint32_t max = 256;
	struct uebpf_map *m = create(rt, t, 4, 8, max, 0);
	uint32_t k, i, nk;
	uint64_t v = 0, out;

	for (k = 0; k < max; k++)
		assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	for (i = 0; i < max; i++) {
		for (k = 0; k < 16; k++) {
			uebpf_map_lookup_elem(m, &k, &out);
			uebpf_map_get_next_key(m, &k, &nk);
		}
		k = max + i;
		assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	}
	/* Looked up all along, and gone all the same. */
	for (k = 0; k < 16; k++)
		assert_false(present(m, k));
	uebpf_map_put(m);
	rt_sync_free(rt);
}

static void test_host_lookup_does_not_mark(void **state)
{
	(void)state;
	host_lookups(BPF_MAP_TYPE_LRU_HASH);
	host_lookups(BPF_MAP_TYPE_LRU_PERCPU_HASH);
}

/* uebpf_htab_lookup_sys, which map.c calls for the host, finds what
 * ops->lookup finds. */
static void test_sys_lookup(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(1, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_LRU_HASH, 4, 8, 16, 0);
	uint32_t k;
	uint64_t v = 0;

	(void)state;
	for (k = 0; k < 10; k++)
		assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	for (k = 0; k < 10; k++)
		assert_true(present(m, k));
	uebpf_map_put(m);
	rt_sync_free(rt);
}

/* Replacing an element counts as a use (the kernel sets the new element's
 * reference bit): replaced keys outlive older, untouched ones. */
static void test_replace_marks(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(1, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_LRU_HASH, 4, 8, 256, 0);
	uint32_t k;
	uint64_t v = 0;

	(void)state;
	for (k = 0; k < 256; k++)
		assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	/* The first eviction wave takes the oldest half. */
	k = 1000;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	for (k = 128; k < 144; k++)
		assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_EXIST),
				 0);
	for (k = 2000; k < 2400; k++)
		assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	for (k = 128; k < 144; k++)
		assert_true(present(m, k));
	for (k = 144; k < 256; k++)
		assert_false(present(m, k));
	uebpf_map_put(m);
	rt_sync_free(rt);
}

/* A value pointer a program holds stays valid, with its value, while the
 * element is evicted and its node reused. */
static void test_held_pointer(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(1, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_LRU_HASH, 4, 8, 8, 0);
	struct uebpf_epoch_rec *rec;
	uint64_t v = 77, *p;
	uint32_t k = 1;

	(void)state;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	rec = uebpf_epoch_enter(&rt->epoch);
	/* Without marking it used, so that it does get evicted. */
	p = uebpf_htab_lookup_sys(m, &k);
	assert_non_null(p);
	for (k = 100; k < 1100; k++) {
		v = 0xbad;
		assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	}
	assert_false(present(m, 1));
	assert_int_equal(*p, 77);
	uebpf_epoch_exit(rec);
	uebpf_map_put(m);
	rt_sync_free(rt);
}

/* BPF_F_NO_COMMON_LRU: a CPU's updates evict only from its own list. */
static void test_no_common_lru(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(3, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_LRU_HASH, 4, 8, 10,
				     BPF_F_NO_COMMON_LRU);
	uint32_t k, mine = 0;
	uint64_t v = 0;

	(void)state;
	assert_non_null(m);
	assert_int_equal(uebpf_map_max_entries(m), 12);
	uebpf_this_cpu = 1;
	for (k = 100; k < 104; k++)
		assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	uebpf_this_cpu = 2;
	for (k = 200; k < 203; k++)
		assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	uebpf_this_cpu = 0;
	for (k = 0; k < 50; k++) {
		assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
		assert_true(count_keys(m) <= 12);
	}
	for (k = 100; k < 104; k++)
		assert_true(present(m, k));
	for (k = 200; k < 203; k++)
		assert_true(present(m, k));
	for (k = 0; k < 50; k++)
		mine += present(m, k);
	assert_true(mine >= 1 && mine <= 4);
	assert_true(present(m, 49));
	/* A delete gives the node back to the list it came from. */
	k = 100;
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	uebpf_this_cpu = 1;
	for (k = 300; k < 305; k++)
		assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	uebpf_this_cpu = 0;
	for (k = 200; k < 203; k++)
		assert_true(present(m, k));
	assert_true(count_keys(m) <= 12);
	uebpf_map_put(m);
	rt_sync_free(rt);
}

static void lru_percpu(uint32_t flags)
{
	struct uebpf_runtime *rt = rt_new_quiet(3, 0);
	struct uebpf_map *m =
		create(rt, BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 4, 6, flags);
	struct uebpf_epoch_rec *rec;
	uint64_t in[3] = {1, 2, 3}, out[3];
	uint32_t k = 1, v32, *p, i;

	assert_non_null(m);
	assert_int_equal(uebpf_map_update_elem(m, &k, in, BPF_EXIST), -ENOENT);
	assert_int_equal(uebpf_map_update_elem(m, &k, in, BPF_NOEXIST), 0);
	assert_int_equal(uebpf_map_update_elem(m, &k, in, BPF_NOEXIST),
			 -EEXIST);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, out), 0);
	assert_memory_equal(in, out, sizeof(in));
	rec = uebpf_epoch_enter(&rt->epoch);
	uebpf_this_cpu = 2;
	p = m->ops->lookup(m, &k);
	assert_int_equal(*p, 3);
	v32 = 9;
	assert_int_equal(m->ops->update(m, &k, &v32, BPF_ANY), 0);
	assert_int_equal(*p, 9);
	assert_int_equal(m->ops->update(m, &k, &v32, 8), -EINVAL);
	/* New from a program: zeros on the other CPUs. */
	k = 2;
	v32 = 0x55;
	assert_int_equal(m->ops->update(m, &k, &v32, BPF_ANY), 0);
	uebpf_epoch_exit(rec);
	uebpf_this_cpu = 0;
	assert_int_equal(uebpf_map_lookup_elem(m, &k, out), 0);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 0);
	assert_int_equal(out[2], 0x55);
	k = 1;
	assert_int_equal(uebpf_map_lookup_and_delete_elem(m, &k, out), 0);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[2], 9);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, out), -ENOENT);
	/* Full: evicts, never -E2BIG. */
	for (i = 0; i < 100; i++) {
		k = 10 + i;
		in[0] = i;
		assert_int_equal(uebpf_map_update_elem(m, &k, in, BPF_ANY), 0);
		assert_int_equal(uebpf_map_lookup_elem(m, &k, out), 0);
		assert_int_equal(out[0], i);
		assert_true(count_keys(m) <= uebpf_map_max_entries(m));
	}
	uebpf_map_put(m);
	rt_sync_free(rt);
}

static void test_lru_percpu(void **state)
{
	(void)state;
	lru_percpu(0);
	lru_percpu(BPF_F_NO_COMMON_LRU);
}

/* ---- CPU slots racing ---------------------------------------------------- */

struct worker {
	struct uebpf_map *map;
	unsigned int cpu;
	atomic_bool *stop;
	unsigned long ops, bad;
};

static void *updater(void *arg)
{
	struct worker *w = arg;
	struct uebpf_map *m = w->map;
	uint32_t k = w->cpu << 24;
	uint64_t v;

	uebpf_this_cpu = w->cpu;
	while (!atomic_load(w->stop)) {
		struct uebpf_epoch_rec *rec = uebpf_epoch_enter(&m->rt->epoch);
		uint64_t *p;
		int i;

		for (i = 0; i < 16; i++, w->ops++) {
			k++;
			v = k * 3ull;
			/* Program-side updates and lookups, as XDP workers. */
			if (m->ops->update(m, &k, &v, BPF_ANY))
				w->bad++;
			p = m->ops->lookup(m, &k);
			if (p &&
			    __atomic_load_n(p, __ATOMIC_RELAXED) != k * 3ull)
				w->bad++;
			p = m->ops->lookup(m, &(uint32_t){k - 40});
			if (p && __atomic_load_n(p, __ATOMIC_RELAXED) !=
					 (k - 40) * 3ull)
				w->bad++;
			if (i == 7)
				m->ops->delete (m, &(uint32_t){k - 3});
		}
		uebpf_epoch_exit(rec);
	}
	return NULL;
}

static void race(uint32_t flags, uint32_t max)
{
	struct uebpf_runtime *rt = rt_new_quiet(3, 0);
	struct uebpf_map *m =
		create(rt, BPF_MAP_TYPE_LRU_HASH, 4, 8, max, flags);
	struct worker w[3];
	pthread_t t[3];
	atomic_bool stop;
	struct timespec a, b;
	unsigned int i, n;
	uint32_t k, nk;
	uint64_t v;
	int err;

	assert_non_null(m);
	atomic_init(&stop, false);
	for (i = 0; i < 3; i++) {
		w[i] = (struct worker){.map = m, .cpu = i, .stop = &stop};
		assert_int_equal(pthread_create(&t[i], NULL, updater, &w[i]),
				 0);
	}
	/* The control plane walks and checks meanwhile. */
	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		n = 0;
		err = uebpf_map_get_next_key(m, NULL, &nk);
		while (!err && n < 100 * max) {
			n++;
			k = nk;
			if (!uebpf_map_lookup_elem(m, &k, &v))
				assert_true(v == k * 3ull);
			err = uebpf_map_get_next_key(m, &k, &nk);
		}
		assert_int_equal(err, -ENOENT);
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < 0.5);
	atomic_store(&stop, true);
	for (i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].bad, 0);
		assert_true(w[i].ops > 0);
	}
	assert_true(count_keys(m) <= uebpf_map_max_entries(m));
	uebpf_map_put(m);
	rt_sync_free(rt);
}

static void test_race(void **state)
{
	(void)state;
	race(0, 64);
	race(0, 4096);
	race(BPF_F_NO_COMMON_LRU, 96);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_checks),
		cmocka_unit_test(test_flags_and_values),
		cmocka_unit_test(test_full_map_evicts),
		cmocka_unit_test(test_ref_bit),
		cmocka_unit_test(test_host_lookup_does_not_mark),
		cmocka_unit_test(test_sys_lookup),
		cmocka_unit_test(test_replace_marks),
		cmocka_unit_test(test_held_pointer),
		cmocka_unit_test(test_no_common_lru),
		cmocka_unit_test(test_lru_percpu),
		cmocka_unit_test(test_race),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
