/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY through the public API,
 * with the program side (values in place, the JIT's layout) through
 * maps/map.h: creation checks and errnos, huge lazily-reserved arrays,
 * element semantics, the per-CPU user layout, memory accounting, and
 * readers, a writer and an iterator at once.
 */
#include <limits.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "map_test.h"
#include "../../maps/array.h"

#define ENOTSUPP_ 524

/* ---- helpers ------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lu %lu", &size, &resident), 2);
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* ---- creation ------------------------------------------------------------ */

static void test_create_checks(void **state)
{
	struct uebpf_runtime *rt = rt_new(3, 0);
	const enum bpf_map_type types[] = { BPF_MAP_TYPE_ARRAY,
					    BPF_MAP_TYPE_PERCPU_ARRAY };
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		enum bpf_map_type t = types[i];

		create_fails(rt, t, 8, 4, 1, 0, EINVAL, "key_size 8");
		create_fails(rt, t, 0, 4, 1, 0, EINVAL, "key_size 0");
		create_fails(rt, t, 4, 0, 1, 0, EINVAL, "value_size");
		create_fails(rt, t, 4, 4, 0, 0, EINVAL, "max_entries");
		create_fails(rt, t, 4, 4, 1, BPF_F_NO_PREALLOC, EINVAL,
			     "BPF_F_NO_PREALLOC");
		create_fails(rt, t, 4, 4, 1, BPF_F_NO_COMMON_LRU, EINVAL,
			     "not valid");
		create_fails(rt, t, 4, 4, 1, BPF_F_ZERO_SEED, EINVAL,
			     "not valid");
		create_fails(rt, t, 4, (uint32_t)INT_MAX + 1, 1, 0, E2BIG,
			     "larger than");
		create_fails(rt, t, 4, UINT32_MAX, 1, 0, E2BIG, "larger than");
		/* Rejected before the family sees them. */
		create_fails(rt, t, 4, 4, 1, BPF_F_RDONLY | BPF_F_WRONLY,
			     EINVAL, NULL);
		create_fails(rt, t, 4, 4, 1,
			     BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG, EINVAL,
			     NULL);
		create_fails(rt, t, 4, 4, 1, 1u << 30, EINVAL, NULL);

		create_ok(rt, t, 4, 4, 1, 0);
		create_ok(rt, t, 4, 1, 1, BPF_F_RDONLY);
		create_ok(rt, t, 4, 3, 7, BPF_F_WRONLY);
		create_ok(rt, t, 4, 4, 1, BPF_F_RDONLY_PROG);
		create_ok(rt, t, 4, 4, 1, BPF_F_WRONLY_PROG);
	}
	/* Only ARRAY is mmapable, can be a flexible inner map, and takes a
	 * NUMA node; the kernel's per-CPU allocator has none. */
	create_ok(rt, BPF_MAP_TYPE_ARRAY, 4, 4, 1, BPF_F_MMAPABLE);
	create_ok(rt, BPF_MAP_TYPE_ARRAY, 4, 4, 1, BPF_F_INNER_MAP);
	create_ok(rt, BPF_MAP_TYPE_ARRAY, 4, 4, 1, BPF_F_NUMA_NODE);
	create_ok(rt, BPF_MAP_TYPE_ARRAY, 4, 4, 1,
		  BPF_F_MMAPABLE | BPF_F_INNER_MAP | BPF_F_NUMA_NODE |
			  BPF_F_RDONLY_PROG);
	create_fails(rt, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 1, BPF_F_MMAPABLE,
		     EINVAL, "only for ARRAY");
	create_fails(rt, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 1, BPF_F_INNER_MAP,
		     EINVAL, "only for ARRAY");
	create_fails(rt, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 1, BPF_F_NUMA_NODE,
		     EINVAL, "BPF_F_NUMA_NODE");
	/* Per-CPU values: at most PCPU_MIN_UNIT_SIZE once rounded up. */
	create_ok(rt, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 32768, 2, 0);
	create_ok(rt, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 32761, 2, 0);
	create_fails(rt, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 32769, 1, 0, E2BIG,
		     "per-CPU values are at most 32768");
	create_ok(rt, BPF_MAP_TYPE_ARRAY, 4, 32769, 2, 0);
	create_ok(rt, BPF_MAP_TYPE_ARRAY, 4, 1 << 20, 2, 0);
	rt_free(rt);
}

/* Sizes past what memory can hold: -ENOMEM and a line saying so, never a
 * silently smaller map. */
static void test_create_too_big(void **state)
{
	struct uebpf_runtime *rt = rt_new(3, 0);

	(void)state;
	/* 2^31 x (2^32 - 1) bytes. */
	create_fails(rt, BPF_MAP_TYPE_ARRAY, 4, INT_MAX, UINT32_MAX, 0, ENOMEM,
		     "cannot reserve");
	/* 2^30 x 2^32: 4 EiB. */
	create_fails(rt, BPF_MAP_TYPE_ARRAY, 4, 1 << 30, UINT32_MAX, 0, ENOMEM,
		     "map 't'");
	/* 32 KiB x 2^32 x 3 CPU slots. */
	create_fails(rt, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 32768, UINT32_MAX, 0,
		     ENOMEM, "cannot reserve");
	rt_free(rt);

	/* The runtime's mem_limit counts the whole reservation. */
	rt = rt_new(3, 4 << 20);
	create_fails(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 1 << 20, 0, ENOMEM,
		     "mem_limit");
	create_fails(rt, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 200000, 0, ENOMEM,
		     "mem_limit");
	rt_free(rt);
}

static void test_mem_accounting(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 3 << 20);
	struct uebpf_map *a, *b;
	uint64_t used;

	(void)state;
	a = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 128 * 1024, 0); /* 1 MiB */
	assert_non_null(a);
	used = atomic_load(&rt->mem_used);
	assert_true(used >= 1 << 20 && used < (1 << 20) + 4096);
	b = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 128 * 1024, 0);
	assert_non_null(b);
	create_fails(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 128 * 1024, 0, ENOMEM,
		     "mem_limit");
	/* Freed after the grace period, and the charge with it. */
	uebpf_map_put(b);
	drain(rt);
	assert_int_equal(atomic_load(&rt->mem_used), used);
	b = create(rt, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 64 * 1024, 0);
	assert_non_null(b); /* 2 x 512 KiB */
	uebpf_map_put(b);
	uebpf_map_put(a);
	rt_free(rt);
}

/* Katran's ch_rings and the 16,777,214-entry maps: created at full size
 * at once, costing only the pages written. */
static void huge_array(struct uebpf_runtime *rt, enum bpf_map_type type,
		       uint32_t max_entries)
{
	uint64_t rss0, rss1, t0, t1;
	uint32_t k, v, out[3 * 2];
	struct uebpf_map *m;
	long page = sysconf(_SC_PAGESIZE);
	unsigned int i, n = 256;

	rss0 = rss_bytes();
	t0 = now_ns();
	m = create(rt, type, 4, 4, max_entries, 0);
	t1 = now_ns();
	rss1 = rss_bytes();
	assert_non_null(m);
	if (t1 - t0 >= 10 * 1000 * 1000)
		fail_msg("creating %u entries took %.3f ms", max_entries,
			 (t1 - t0) / 1e6);
	if (rss1 > rss0 && rss1 - rss0 >= 1 << 20)
		fail_msg("creating %u entries grew RSS by %llu bytes",
			 max_entries, (unsigned long long)(rss1 - rss0));
	assert_int_equal(uebpf_map_max_entries(m), max_entries);

	/* The ends and n pages in between, one value each. */
	for (i = 0; i <= n; i++) {
		k = i == n ? max_entries - 1 :
			     (uint32_t)((uint64_t)i * (max_entries / n));
		v = k ^ 0x5a5a5a5a;
		if (type == BPF_MAP_TYPE_ARRAY) {
			assert_int_equal(uebpf_map_update_elem(m, &k, &v, 0),
					 0);
		} else {
			uint64_t vals[3] = { v, v, v };

			assert_int_equal(uebpf_map_update_elem(m, &k, vals, 0),
					 0);
		}
	}
	if (type == BPF_MAP_TYPE_ARRAY)
		assert_true(rss_bytes() >= rss1 + (uint64_t)n * page / 2);
	for (i = 0; i <= n; i++) {
		k = i == n ? max_entries - 1 :
			     (uint32_t)((uint64_t)i * (max_entries / n));
		assert_int_equal(uebpf_map_lookup_elem(m, &k, out), 0);
		assert_int_equal(out[0], k ^ 0x5a5a5a5a);
		if (type == BPF_MAP_TYPE_PERCPU_ARRAY)
			assert_int_equal(out[4], k ^ 0x5a5a5a5a);
		k++; /* untouched: zero */
		if (k < max_entries) {
			assert_int_equal(uebpf_map_lookup_elem(m, &k, out), 0);
			assert_int_equal(out[0], 0);
		}
	}
	k = max_entries;
	v = 1;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, 0), -E2BIG);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, out), -ENOENT);
	uebpf_map_put(m);
}

static void test_huge_lazy(void **state)
{
	struct uebpf_runtime *rt = rt_new(3, 0);

	(void)state;
	huge_array(rt, BPF_MAP_TYPE_ARRAY, 33554944);
	huge_array(rt, BPF_MAP_TYPE_ARRAY, 16777214);
	huge_array(rt, BPF_MAP_TYPE_PERCPU_ARRAY, 16777214);
	rt_free(rt);
}

/* ---- elements ------------------------------------------------------------ */

static void test_array_elements(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_ARRAY, 4, 12, 10, 0);
	uint32_t k, v[3], out[3], elem_size;
	uint64_t stride;
	char *base, *p;

	(void)state;
	assert_non_null(m);
	/* Values start zeroed. */
	for (k = 0; k < 10; k++) {
		memset(out, 0xff, sizeof(out));
		assert_int_equal(uebpf_map_lookup_elem(m, &k, out), 0);
		assert_int_equal(out[0] | out[1] | out[2], 0);
	}
	k = 3;
	v[0] = 1, v[1] = 2, v[2] = 3;
	assert_int_equal(uebpf_map_update_elem(m, &k, v, BPF_ANY), 0);
	v[0] = 4;
	assert_int_equal(uebpf_map_update_elem(m, &k, v, BPF_EXIST), 0);
	assert_int_equal(uebpf_map_update_elem(m, &k, v, BPF_NOEXIST),
			 -EEXIST);
	assert_int_equal(uebpf_map_update_elem(m, &k, v, BPF_F_LOCK), -EINVAL);
	assert_int_equal(uebpf_map_update_elem(m, &k, v, 3), -EINVAL);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, out), 0);
	assert_memory_equal(out, v, sizeof(v));
	assert_int_equal(uebpf_map_delete_elem(m, &k), -EINVAL);
	assert_int_equal(uebpf_map_lookup_and_delete_elem(m, &k, out),
			 -ENOTSUPP_);
	k = 10;
	assert_int_equal(uebpf_map_update_elem(m, &k, v, BPF_ANY), -E2BIG);
	assert_int_equal(uebpf_map_update_elem(m, &k, v, BPF_NOEXIST), -E2BIG);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, out), -ENOENT);
	assert_int_equal(uebpf_map_delete_elem(m, &k), -EINVAL);
	k = UINT32_MAX;
	assert_int_equal(uebpf_map_lookup_elem(m, &k, out), -ENOENT);

	/* Program side: values in place, at the documented layout. */
	base = uebpf_array_base(m, &elem_size, &stride);
	assert_int_equal(elem_size, 16);
	assert_int_equal(stride, 0);
	assert_int_equal((uintptr_t)base % 4096, 0);
	p = prog_lookup(m, 3);
	assert_ptr_equal(p, base + 3 * 16);
	assert_ptr_equal(prog_lookup(m, 9), base + 9 * 16);
	assert_null(prog_lookup(m, 10));
	assert_null(prog_lookup(m, UINT32_MAX));
	assert_memory_equal(p, v, sizeof(v));
	/* A program's write is what the host reads, and the pointer stays
	 * the element's across host updates. */
	((uint32_t *)p)[1] = 77;
	k = 3;
	assert_int_equal(uebpf_map_lookup_elem(m, &k, out), 0);
	assert_int_equal(out[1], 77);
	v[2] = 99;
	assert_int_equal(uebpf_map_update_elem(m, &k, v, 0), 0);
	assert_ptr_equal(prog_lookup(m, 3), p);
	assert_int_equal(((uint32_t *)p)[2], 99);
	/* Updates copy value_size bytes: the padding stays as it was. */
	memset(p + 12, 0xab, 4);
	assert_int_equal(uebpf_map_update_elem(m, &k, v, 0), 0);
	assert_int_equal((uint8_t)p[15], 0xab);

	/* Program-side update: raw flags, checked as the kernel helper. */
	v[0] = 5;
	assert_int_equal(prog_update(m, 4, v, BPF_ANY), 0);
	assert_memory_equal(prog_lookup(m, 4), v, sizeof(v));
	assert_int_equal(prog_update(m, 4, v, BPF_EXIST), 0);
	assert_int_equal(prog_update(m, 4, v, BPF_NOEXIST), -EEXIST);
	assert_int_equal(prog_update(m, 4, v, BPF_F_LOCK), -EINVAL);
	assert_int_equal(prog_update(m, 4, v, BPF_F_LOCK | BPF_EXIST),
			 -EINVAL);
	assert_int_equal(prog_update(m, 4, v, 3), -EINVAL);
	assert_int_equal(prog_update(m, 4, v, 8), -EINVAL);
	assert_int_equal(prog_update(m, 10, v, BPF_ANY), -E2BIG);
	assert_int_equal(prog_update(m, 10, v, BPF_NOEXIST), -E2BIG);
	k = 4;
	assert_int_equal(m->ops->delete(m, &k), -EINVAL);
	uebpf_map_put(m);
	rt_free(rt);
}

static void test_get_next_key(void **state)
{
	struct uebpf_runtime *rt = rt_new(1, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 5, 0);
	uint32_t k, next, n = 0;
	int err;

	(void)state;
	assert_non_null(m);
	next = 99;
	assert_int_equal(uebpf_map_get_next_key(m, NULL, &next), 0);
	assert_int_equal(next, 0);
	k = 5;
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), 0);
	assert_int_equal(next, 0);
	k = UINT32_MAX;
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), 0);
	assert_int_equal(next, 0);
	k = 2;
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), 0);
	assert_int_equal(next, 3);
	k = 4;
	next = 99;
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), -ENOENT);
	assert_int_equal(next, 99);
	/* A walk visits every index once. */
	for (err = uebpf_map_get_next_key(m, NULL, &k); !err;
	     err = uebpf_map_get_next_key(m, &k, &k))
		assert_int_equal(k, n++);
	assert_int_equal(err, -ENOENT);
	assert_int_equal(n, 5);
	uebpf_map_put(m);
	rt_free(rt);
}

static void test_batch(void **state)
{
	struct uebpf_runtime *rt = rt_new(3, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_ARRAY, 4, 4, 6, 0);
	struct uebpf_map *pc = create(rt, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 2,
				      0);
	uint32_t keys[8], vals[8], out_batch, count = 8, i;
	uint64_t pvals[2 * 3];

	(void)state;
	assert_non_null(m);
	assert_non_null(pc);
	for (i = 0; i < 6; i++)
		keys[i] = i, vals[i] = 100 + i;
	count = 6;
	assert_int_equal(uebpf_map_update_batch(m, keys, vals, &count, NULL),
			 0);
	assert_int_equal(count, 6);
	memset(keys, 0, sizeof(keys));
	count = 8;
	assert_int_equal(uebpf_map_lookup_batch(m, NULL, &out_batch, keys,
						vals, &count, NULL),
			 -ENOENT);
	assert_int_equal(count, 6);
	for (i = 0; i < 6; i++) {
		assert_int_equal(keys[i], i);
		assert_int_equal(vals[i], 100 + i);
	}
	count = 8;
	assert_int_equal(uebpf_map_lookup_and_delete_batch(m, NULL, &out_batch,
							   keys, vals, &count,
							   NULL),
			 -ENOTSUPP_);
	/* The kernel's arrays have no delete_batch. */
	count = 1;
	assert_int_equal(uebpf_map_delete_batch(m, keys, &count, NULL),
			 -ENOTSUPP_);
	/* Exactly filled: 0, as the kernel; the next call finds the end. */
	count = 2;
	assert_int_equal(uebpf_map_lookup_batch(pc, NULL, &out_batch, keys,
						pvals, &count, NULL),
			 0);
	assert_int_equal(count, 2);
	count = 2;
	assert_int_equal(uebpf_map_lookup_batch(pc, &out_batch, &out_batch,
						keys, pvals, &count, NULL),
			 -ENOENT);
	assert_int_equal(count, 0);
	uebpf_map_put(m);
	uebpf_map_put(pc);
	rt_free(rt);
}

static void test_access_flags(void **state)
{
	struct uebpf_runtime *rt = rt_new(1, 0);
	struct uebpf_map *ro = create(rt, BPF_MAP_TYPE_ARRAY, 4, 4, 2,
				      BPF_F_RDONLY);
	struct uebpf_map *wo = create(rt, BPF_MAP_TYPE_ARRAY, 4, 4, 2,
				      BPF_F_WRONLY);
	struct uebpf_map *rop = create(rt, BPF_MAP_TYPE_ARRAY, 4, 4, 2,
				       BPF_F_RDONLY_PROG);
	uint32_t k = 1, v = 7, out = 0;

	(void)state;
	assert_int_equal(uebpf_map_update_elem(ro, &k, &v, 0), -EPERM);
	assert_int_equal(uebpf_map_lookup_elem(ro, &k, &out), 0);
	assert_int_equal(uebpf_map_update_elem(wo, &k, &v, 0), 0);
	assert_int_equal(uebpf_map_lookup_elem(wo, &k, &out), -EPERM);
	assert_int_equal(*(uint32_t *)prog_lookup(wo, 1), 7);
	/* Read-only for programs is the verifier's to enforce; the host
	 * still writes. */
	assert_int_equal(uebpf_map_update_elem(rop, &k, &v, 0), 0);
	assert_int_equal(uebpf_map_lookup_elem(rop, &k, &out), 0);
	assert_int_equal(out, 7);

	/* Frozen: the host may no longer write, programs still may. */
	assert_int_equal(uebpf_map_freeze(rop), 0);
	/* A frozen map grants no write permission, which freezing takes. */
	assert_int_equal(uebpf_map_freeze(rop), -EPERM);
	assert_int_equal(uebpf_map_update_elem(rop, &k, &v, 0), -EPERM);
	v = 8;
	assert_int_equal(prog_update(rop, 1, &v, 0), 0);
	assert_int_equal(uebpf_map_lookup_elem(rop, &k, &out), 0);
	assert_int_equal(out, 8);
	uebpf_map_put(ro);
	uebpf_map_put(wo);
	uebpf_map_put(rop);
	rt_free(rt);
}

/* ---- per-CPU ------------------------------------------------------------- */

static void test_percpu_layout(void **state)
{
	struct uebpf_runtime *rt = rt_new(3, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 100,
				     0);
	uint8_t in[24], out[24];
	uint32_t k, v, elem_size, *p;
	uint64_t stride;
	char *base;
	int cpu;

	(void)state;
	assert_non_null(m);
	assert_int_equal(uebpf_runtime_nr_cpus(rt), 3);
	/* nr_cpus values, each 4 bytes rounded up to 8. */
	k = 7;
	memset(out, 0xff, sizeof(out));
	assert_int_equal(uebpf_map_lookup_elem(m, &k, out), 0);
	for (cpu = 0; cpu < 24; cpu++)
		assert_int_equal(out[cpu], 0);
	memset(in, 0, sizeof(in));
	for (cpu = 0; cpu < 3; cpu++) {
		v = 100 + cpu;
		memcpy(in + 8 * cpu, &v, 4);
		memset(in + 8 * cpu + 4, 0xa0 + cpu, 4); /* padding */
	}
	assert_int_equal(uebpf_map_update_elem(m, &k, in, BPF_ANY), 0);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, out), 0);
	/* The kernel copies whole 8-byte slots, padding included. */
	assert_memory_equal(out, in, 24);

	/* The program side sees the calling CPU slot's copy (slot 0 here),
	 * the others at cpu * percpu_stride. */
	base = uebpf_array_base(m, &elem_size, &stride);
	assert_int_equal(elem_size, 8);
	assert_true(stride >= 100 * 8);
	assert_int_equal(stride % 4096, 0);
	p = prog_lookup(m, 7);
	assert_ptr_equal(p, base + 7 * 8);
	assert_int_equal(*p, 100);
	for (cpu = 0; cpu < 3; cpu++)
		assert_int_equal(*(uint32_t *)(base + cpu * stride + 7 * 8),
				 100 + cpu);
	assert_null(prog_lookup(m, 100));

	/* A program's update writes its own slot only. */
	v = 555;
	assert_int_equal(prog_update(m, 7, &v, BPF_ANY), 0);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, out), 0);
	assert_int_equal(*(uint32_t *)out, 555);
	assert_int_equal(*(uint32_t *)(out + 8), 101);
	assert_int_equal(*(uint32_t *)(out + 16), 102);
	assert_int_equal(prog_update(m, 7, &v, BPF_NOEXIST), -EEXIST);
	assert_int_equal(prog_update(m, 100, &v, BPF_ANY), -E2BIG);
	assert_int_equal(prog_update(m, 7, &v, BPF_F_LOCK), -EINVAL);

	/* Host errnos. */
	assert_int_equal(uebpf_map_update_elem(m, &k, in, BPF_NOEXIST),
			 -EEXIST);
	assert_int_equal(uebpf_map_update_elem(m, &k, in, BPF_EXIST), 0);
	assert_int_equal(uebpf_map_update_elem(m, &k, in, BPF_F_LOCK),
			 -EINVAL);
	k = 100;
	assert_int_equal(uebpf_map_update_elem(m, &k, in, BPF_ANY), -E2BIG);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, out), -ENOENT);
	assert_int_equal(uebpf_map_delete_elem(m, &k), -EINVAL);
	k = 0;
	assert_int_equal(uebpf_map_delete_elem(m, &k), -EINVAL);
	uebpf_map_put(m);

	/* 12-byte values: 16-byte slots in the user layout. */
	m = create(rt, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 12, 2, 0);
	assert_non_null(m);
	{
		uint32_t big[12] = { 1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0 };
		uint32_t got[12];

		k = 1;
		assert_int_equal(uebpf_map_update_elem(m, &k, big, 0), 0);
		assert_int_equal(uebpf_map_lookup_elem(m, &k, got), 0);
		assert_memory_equal(got, big, sizeof(big));
		assert_int_equal(((uint32_t *)prog_lookup(m, 1))[2], 3);
	}
	uebpf_map_put(m);
	rt_free(rt);
}

/* ---- readers, a writer, an iterator -------------------------------------- */

#define C_ENTRIES 64
#define C_VALUE 16 /* two 8-byte words */

struct cshared {
	struct uebpf_map *m;
	atomic_bool stop;
	atomic_ulong adds, reads, writes, walks;
};

/* Programs: look an index up and write into the value they got, on the
 * lower half; read the upper half, which the host rewrites. */
static void *c_reader(void *arg)
{
	struct cshared *s = arg;
	unsigned int seed = (unsigned int)(uintptr_t)&seed;
	unsigned long adds = 0, reads = 0;
	uint64_t *v;
	uint32_t k;

	while (!atomic_load(&s->stop)) {
		k = (uint32_t)rand_r(&seed) % (C_ENTRIES + 2);
		v = prog_lookup(s->m, k);
		if (k >= C_ENTRIES) {
			CHECK(!v);
			continue;
		}
		if (k < C_ENTRIES / 2) {
			__atomic_fetch_add(&v[0], 1, __ATOMIC_RELAXED);
			adds++;
		} else {
			/* The host writes both words with the index in the
			 * low byte: whatever mix is read, that holds. */
			uint64_t w = __atomic_load_n(&v[1], __ATOMIC_RELAXED);

			CHECK(!w || (w & 0xff) == k);
			reads++;
		}
	}
	atomic_fetch_add(&s->adds, adds);
	atomic_fetch_add(&s->reads, reads);
	return NULL;
}

static void *c_writer(void *arg)
{
	struct cshared *s = arg;
	uint64_t v[2], seq = 0;
	uint32_t k;

	while (!atomic_load(&s->stop)) {
		k = C_ENTRIES / 2 + (uint32_t)(seq % (C_ENTRIES / 2));
		v[0] = v[1] = (++seq << 8) | k;
		CHECK(uebpf_map_update_elem(s->m, &k, v, BPF_ANY) == 0);
		k = C_ENTRIES + (uint32_t)(seq % 3);
		CHECK(uebpf_map_update_elem(s->m, &k, v, BPF_ANY) == -E2BIG);
	}
	atomic_fetch_add(&s->writes, seq);
	return NULL;
}

static void *c_iterator(void *arg)
{
	struct cshared *s = arg;
	uint64_t v[2];
	uint32_t k, n;
	unsigned long walks = 0;
	int err;

	while (!atomic_load(&s->stop)) {
		n = 0;
		for (err = uebpf_map_get_next_key(s->m, NULL, &k); !err;
		     err = uebpf_map_get_next_key(s->m, &k, &k)) {
			CHECK(k == n++);
			CHECK(uebpf_map_lookup_elem(s->m, &k, v) == 0);
			if (k >= C_ENTRIES / 2 && v[1])
				CHECK((v[1] & 0xff) == k);
		}
		CHECK(err == -ENOENT);
		CHECK(n == C_ENTRIES);
		walks++;
	}
	atomic_fetch_add(&s->walks, walks);
	return NULL;
}

static void test_concurrency(void **state)
{
	struct uebpf_runtime *rt = rt_new(4, 0);
	struct cshared s = { 0 };
	uint64_t sum = 0, v[2];
	uint32_t k;

	(void)state;
	s.m = create(rt, BPF_MAP_TYPE_ARRAY, 4, C_VALUE, C_ENTRIES, 0);
	assert_non_null(s.m);
	run_threads(c_reader, c_writer, c_iterator, &s, &s.stop, 1000);
	assert_int_equal(atomic_load(&thread_failures), 0);
	print_message("1 s: %lu program writes, %lu reads, %lu host updates, %lu walks\n",
		      atomic_load(&s.adds), atomic_load(&s.reads),
		      atomic_load(&s.writes), atomic_load(&s.walks));
	/* Every program write landed, none was lost to the host's. */
	for (k = 0; k < C_ENTRIES / 2; k++) {
		assert_int_equal(uebpf_map_lookup_elem(s.m, &k, v), 0);
		sum += v[0];
	}
	assert_int_equal(sum, atomic_load(&s.adds));
	assert_true(atomic_load(&s.adds) > 0 && atomic_load(&s.reads) > 0);
	assert_true(atomic_load(&s.writes) > 0 && atomic_load(&s.walks) > 0);
	uebpf_map_put(s.m);
	rt_free(rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_checks),
		cmocka_unit_test(test_create_too_big),
		cmocka_unit_test(test_mem_accounting),
		cmocka_unit_test(test_huge_lazy),
		cmocka_unit_test(test_array_elements),
		cmocka_unit_test(test_get_next_key),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_access_flags),
		cmocka_unit_test(test_percpu_layout),
		cmocka_unit_test(test_concurrency),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
