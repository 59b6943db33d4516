/* SPDX-License-Identifier: MIT */
/*
 * HASH_OF_MAPS: creation checks, ids on the host side and maps on the
 * program side, the inner map template, and the references values hold.
 */
#include "map_test.h"

static struct uebpf_map *inner_hash(struct uebpf_runtime *rt, uint32_t ks,
				    uint32_t max)
{
	struct uebpf_map *m = uebpf_map_create(rt, BPF_MAP_TYPE_HASH, "inner",
					       ks, 8, max, NULL);

	assert_non_null(m);
	return m;
}

static struct uebpf_map *outer(struct uebpf_runtime *rt, struct uebpf_map *tmpl,
			       uint32_t vs, uint32_t max, uint32_t flags)
{
	UEBPF_OPTS(uebpf_map_create_opts, o, .inner_map = tmpl,
		   .map_flags = flags);

	return uebpf_map_create(rt, BPF_MAP_TYPE_HASH_OF_MAPS, "outer", 4, vs,
				max, &o);
}

static int refs(struct uebpf_map *m)
{
	return atomic_load(&m->refcnt);
}

static void test_create(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);
	struct uebpf_map *tmpl = inner_hash(rt, 4, 16), *m;

	(void)state;
	/* No template: the kernel's inner_map_fd 0 is not a map. */
	assert_null(outer(rt, NULL, 4, 8, 0));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(cap.last, "inner map"));
	/* Values are ids, 4 bytes. */
	assert_null(outer(rt, tmpl, 8, 8, 0));
	assert_int_equal(errno, EINVAL);
	assert_null(outer(rt, tmpl, 4, 0, 0));
	assert_int_equal(errno, EINVAL);
	assert_null(outer(rt, tmpl, 4, 8, BPF_F_NO_COMMON_LRU));
	assert_int_equal(errno, EINVAL);
	assert_null(outer(rt, tmpl, 4, 8, BPF_F_MMAPABLE));
	assert_int_equal(errno, EINVAL);
	/* A map-in-map cannot be the template of another. */
	m = outer(rt, tmpl, 4, 8, 0);
	assert_non_null(m);
	assert_null(outer(rt, m, 4, 8, 0));
	/* The template is held by the outer map. */
	assert_int_equal(refs(tmpl), 2);
	uebpf_map_put(m);
	uebpf_epoch_synchronize(&rt->epoch);
	assert_int_equal(refs(tmpl), 1);
	m = outer(rt, tmpl, 4, 8, BPF_F_NO_PREALLOC);
	assert_non_null(m);
	uebpf_map_put(m);
	uebpf_map_put(tmpl);
	rt_sync_free(rt);
}

static void elements(uint32_t flags)
{
	struct uebpf_runtime *rt = rt_new(2, 0);
	struct uebpf_map *tmpl = inner_hash(rt, 4, 16);
	struct uebpf_map *a = inner_hash(rt, 4, 16), *b = inner_hash(rt, 4, 99);
	struct uebpf_map *bad = inner_hash(rt, 8, 16);
	struct uebpf_map *m = outer(rt, tmpl, 4, 2, flags);
	struct uebpf_epoch_rec *rec;
	uint32_t k = 1, id, out, nk;
	uint64_t v;

	assert_non_null(m);
	/* No map has this id: the kernel's -EBADF for a bad fd. */
	id = 9999;
	assert_int_equal(uebpf_map_update_elem(m, &k, &id, BPF_ANY), -EBADF);
	/* Not like the template: -EINVAL, and why in the log. */
	id = uebpf_map_id(bad);
	cap.last[0] = 0;
	assert_int_equal(uebpf_map_update_elem(m, &k, &id, BPF_ANY), -EINVAL);
	assert_non_null(strstr(cap.last, "template"));
	assert_int_equal(refs(bad), 1);
	/* Hash inner maps may differ in max_entries, as in the kernel. */
	id = uebpf_map_id(b);
	assert_int_equal(uebpf_map_update_elem(m, &k, &id, BPF_EXIST), -ENOENT);
	assert_int_equal(uebpf_map_update_elem(m, &k, &id, BPF_NOEXIST), 0);
	assert_int_equal(refs(b), 2);
	assert_int_equal(uebpf_map_update_elem(m, &k, &id, BPF_NOEXIST),
			 -EEXIST);
	assert_int_equal(refs(b), 2);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &out), 0);
	assert_int_equal(out, uebpf_map_id(b));
	/* Replacing drops the old map's reference. */
	id = uebpf_map_id(a);
	assert_int_equal(uebpf_map_update_elem(m, &k, &id, BPF_EXIST), 0);
	assert_int_equal(refs(a), 2);
	assert_int_equal(refs(b), 1);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &out), 0);
	assert_int_equal(out, uebpf_map_id(a));
	/* Full: count-based -E2BIG, as HASH. */
	k = 2;
	assert_int_equal(uebpf_map_update_elem(m, &k, &id, BPF_ANY), 0);
	assert_int_equal(refs(a), 3);
	k = 3;
	assert_int_equal(uebpf_map_update_elem(m, &k, &id, BPF_ANY), -E2BIG);
	assert_int_equal(refs(a), 3);

	/* Programs get the map itself, and use it. */
	rec = uebpf_epoch_enter(&rt->epoch);
	k = 1;
	assert_ptr_equal(m->ops->lookup(m, &k), a);
	k = 3;
	assert_null(m->ops->lookup(m, &k));
	uebpf_epoch_exit(rec);
	k = 5;
	v = 55;
	assert_int_equal(uebpf_map_update_elem(a, &k, &v, BPF_ANY), 0);

	/* Iteration, and the operations this type does not have. */
	assert_int_equal(uebpf_map_get_next_key(m, NULL, &nk), 0);
	assert_true(nk == 1 || nk == 2);
	k = nk;
	assert_int_equal(uebpf_map_get_next_key(m, &k, &nk), 0);
	assert_true(nk == 1 || nk == 2);
	assert_true(nk != k);
	k = nk;
	assert_int_equal(uebpf_map_get_next_key(m, &k, &nk), -ENOENT);
	assert_int_equal(uebpf_map_lookup_and_delete_elem(m, &k, &out),
			 -ENOTSUPP_ERRNO);
	{
		/* Batches give ids, as single lookups. */
		uint32_t keys[4], ids[4], ob, cnt = 4;

		assert_int_equal(uebpf_map_lookup_batch(m, NULL, &ob, keys, ids,
							&cnt, NULL),
				 -ENOENT);
		assert_int_equal(cnt, 2);
		assert_int_equal(ids[0], uebpf_map_id(a));
		assert_int_equal(ids[1], uebpf_map_id(a));
	}

	/* Deleting drops the reference. */
	k = 2;
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	assert_int_equal(refs(a), 2);
	assert_int_equal(uebpf_map_delete_elem(m, &k), -ENOENT);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &out), -ENOENT);

	/* The outer map keeps an inner map alive after its last user put;
	 * freeing the outer map puts it. */
	id = uebpf_map_id(a);
	uebpf_map_put(a);
	uebpf_epoch_synchronize(&rt->epoch);
	a = uebpf_map_get_by_id(rt, id);
	assert_non_null(a);
	assert_int_equal(refs(a), 2);
	uebpf_map_put(a);
	uebpf_map_put(m);
	uebpf_epoch_synchronize(&rt->epoch);
	assert_null(uebpf_map_get_by_id(rt, id));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(refs(tmpl), 1);
	uebpf_map_put(b);
	uebpf_map_put(bad);
	uebpf_map_put(tmpl);
	rt_sync_free(rt);
}

static void test_elements(void **state)
{
	(void)state;
	elements(0);
	elements(BPF_F_NO_PREALLOC);
}

/* An inner map a program still holds stays usable after the host removed
 * it from the outer map and dropped every reference. */
static void test_program_holds_inner(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);
	struct uebpf_map *tmpl = inner_hash(rt, 4, 4);
	struct uebpf_map *a = inner_hash(rt, 4, 4);
	struct uebpf_map *m = outer(rt, tmpl, 4, 4, 0), *p;
	struct uebpf_epoch_rec *rec;
	uint32_t k = 7, id = uebpf_map_id(a), i;
	uint64_t v = 3, *pv;

	(void)state;
	assert_int_equal(uebpf_map_update_elem(a, &k, &v, BPF_ANY), 0);
	assert_int_equal(uebpf_map_update_elem(m, &k, &id, BPF_ANY), 0);
	uebpf_map_put(a);
	rec = uebpf_epoch_enter(&rt->epoch);
	p = m->ops->lookup(m, &k);
	assert_ptr_equal(p, a);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	/* Gone for everyone else... */
	assert_null(uebpf_map_get_by_id(rt, id));
	for (i = 0; i < 200; i++)
		uebpf_epoch_reclaim(&rt->epoch);
	/* ...but the program's pointer still works until it returns. */
	pv = p->ops->lookup(p, &k);
	assert_non_null(pv);
	assert_int_equal(*pv, 3);
	uebpf_epoch_exit(rec);
	uebpf_map_put(m);
	uebpf_map_put(tmpl);
	rt_sync_free(rt);
}

/* Many replacements: references balance exactly. */
static void test_ref_balance(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);
	struct uebpf_map *tmpl = inner_hash(rt, 4, 4), *in[4];
	struct uebpf_map *m = outer(rt, tmpl, 4, 8, 0);
	uint32_t k, id, i;

	(void)state;
	for (i = 0; i < 4; i++)
		in[i] = inner_hash(rt, 4, 4);
	for (i = 0; i < 4000; i++) {
		k = i % 8;
		id = uebpf_map_id(in[(i * 7) % 4]);
		assert_int_equal(uebpf_map_update_elem(m, &k, &id, BPF_ANY), 0);
		if (i % 5 == 0)
			assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	}
	for (k = 0; k < 8; k++)
		uebpf_map_delete_elem(m, &k);
	for (i = 0; i < 4; i++) {
		assert_int_equal(refs(in[i]), 1);
		uebpf_map_put(in[i]);
	}
	uebpf_map_put(m);
	uebpf_map_put(tmpl);
	rt_sync_free(rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_elements),
		cmocka_unit_test(test_program_holds_inner),
		cmocka_unit_test(test_ref_balance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
