/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_TYPE_PROG_ARRAY and BPF_MAP_TYPE_ARRAY_OF_MAPS: values are
 * programs and maps, stored by id, held by reference.  Through the public
 * API, with the program side (uebpf_prog_array_get(), inner-map lookups)
 * run from a helper inside uebpf_prog_run(), that is inside the epoch
 * section a real program runs in.
 */
#include <pthread.h>
#include <unistd.h>

#include "map_test.h"
#include "../../maps/array.h"

/* ---- helpers ------------------------------------------------------------- */

static int update_id(struct uebpf_map *m, uint32_t k, uint32_t id,
		     uint64_t flags)
{
	return uebpf_map_update_elem(m, &k, &id, flags);
}

/* ---- creation ------------------------------------------------------------ */

static void test_create_checks(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);
	struct uebpf_map *tmpl = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
	const enum bpf_map_type types[] = { BPF_MAP_TYPE_PROG_ARRAY,
					    BPF_MAP_TYPE_ARRAY_OF_MAPS };
	const uint32_t ok_flags[] = { 0, BPF_F_NUMA_NODE, BPF_F_RDONLY,
				      BPF_F_WRONLY };
	size_t i, j;

	(void)state;
	assert_non_null(tmpl);
	for (i = 0; i < 2; i++) {
		enum bpf_map_type t = types[i];
		struct uebpf_map *in = t == BPF_MAP_TYPE_ARRAY_OF_MAPS ? tmpl :
									 NULL;

		create_fails_in(rt, t, 4, 8, 4, 0, in, EINVAL, "4-byte ids");
		create_fails_in(rt, t, 4, 0, 4, 0, in, EINVAL, "4-byte ids");
		create_fails_in(rt, t, 8, 4, 4, 0, in, EINVAL, "key_size 8");
		create_fails_in(rt, t, 4, 4, 0, 0, in, EINVAL, "max_entries");
		create_fails_in(rt, t, 4, 4, 4, BPF_F_RDONLY_PROG, in, EINVAL,
				"BPF_F_RDONLY_PROG");
		create_fails_in(rt, t, 4, 4, 4, BPF_F_WRONLY_PROG, in, EINVAL,
				"BPF_F_WRONLY_PROG");
		create_fails_in(rt, t, 4, 4, 4, BPF_F_MMAPABLE, in, EINVAL,
				"only for ARRAY");
		create_fails_in(rt, t, 4, 4, 4, BPF_F_INNER_MAP, in, EINVAL,
				"only for ARRAY");
		create_fails_in(rt, t, 4, 4, 4, BPF_F_NO_PREALLOC, in, EINVAL,
				"BPF_F_NO_PREALLOC");
		create_fails_in(rt, t, 4, 4, 4, BPF_F_ZERO_SEED, in, EINVAL,
				"not valid");
		for (j = 0; j < ARRAY_LEN(ok_flags); j++) {
			struct uebpf_map *m =
				create_in(rt, t, 4, 4, 4, ok_flags[j], in);

			if (!m)
				fail_msg("%s flags 0x%x: errno %d",
					 uebpf_map_type_name(t), ok_flags[j],
					 errno);
			assert_int_equal(uebpf_map_flags(m), ok_flags[j]);
			uebpf_map_put(m);
		}
	}
	/* The kernel's bpf_map_meta_alloc() needs inner_map_fd. */
	create_fails_in(rt, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4, 0, NULL,
			EINVAL, "needs an inner_map");
	create_fails_in(rt, BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0, tmpl, EINVAL,
			NULL);
	/* Templates that cannot be inner maps (errnos are maps/map.c's). */
	{
		struct uebpf_map *pa =
			create(rt, BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 2, 0);
		struct uebpf_map *aom = create_in(
			rt, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2, 0, tmpl);

		assert_non_null(pa);
		assert_non_null(aom);
		assert_null(create_in(rt, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2,
				      0, pa));
		assert_null(create_in(rt, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2,
				      0, aom));
		uebpf_map_put(pa);
		uebpf_map_put(aom);
	}
	uebpf_map_put(tmpl);
	rt_free(rt);
}

/* ---- PROG_ARRAY ---------------------------------------------------------- */

static void test_prog_array(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0);
	struct uebpf_prog *p1 = load_ret(rt, 11), *p2 = load_ret(rt, 22);
	uint32_t id = 0, k, next;

	(void)state;
	assert_non_null(m);
	assert_int_not_equal(uebpf_prog_id(p1), uebpf_prog_id(p2));
	assert_int_equal(lookup(m, 0, &id), -ENOENT);
	assert_null(uebpf_prog_array_get(m, 0));

	assert_int_equal(update_id(m, 0, uebpf_prog_id(p1), BPF_ANY), 0);
	assert_int_equal(lookup(m, 0, &id), 0);
	assert_int_equal(id, uebpf_prog_id(p1));
	assert_ptr_equal(uebpf_prog_array_get(m, 0), p1);
	assert_int_equal(run(uebpf_prog_array_get(m, 0)), 11);
	/* Replacing: the slot now runs p2. */
	assert_int_equal(update_id(m, 0, uebpf_prog_id(p2), BPF_ANY), 0);
	assert_int_equal(lookup(m, 0, &id), 0);
	assert_int_equal(id, uebpf_prog_id(p2));
	assert_int_equal(run(uebpf_prog_array_get(m, 0)), 22);
	/* The same program in two slots. */
	assert_int_equal(update_id(m, 3, uebpf_prog_id(p2), BPF_ANY), 0);
	assert_ptr_equal(uebpf_prog_array_get(m, 3), p2);
	assert_null(uebpf_prog_array_get(m, 1));
	assert_null(uebpf_prog_array_get(m, 4));
	assert_null(uebpf_prog_array_get(m, UINT32_MAX));

	/* The kernel's fd_array update takes BPF_ANY only. */
	assert_int_equal(update_id(m, 1, uebpf_prog_id(p1), BPF_NOEXIST),
			 -EINVAL);
	assert_int_equal(update_id(m, 0, uebpf_prog_id(p1), BPF_EXIST),
			 -EINVAL);
	assert_int_equal(update_id(m, 0, uebpf_prog_id(p1), BPF_F_LOCK),
			 -EINVAL);
	assert_int_equal(update_id(m, 4, uebpf_prog_id(p1), BPF_ANY), -E2BIG);
	cap.text[0] = '\0';
	assert_int_equal(update_id(m, 1, 0, BPF_ANY), -EBADF);
	assert_int_equal(update_id(m, 1, 9999, BPF_ANY), -EBADF);
	assert_logged("no program has id 9999");
	assert_int_equal(lookup(m, 4, &id), -ENOENT);
	assert_int_equal(lookup(m, 1, &id), -ENOENT);
	assert_int_equal(delete_key(m, 4), -E2BIG);
	assert_int_equal(delete_key(m, 1), -ENOENT);
	assert_int_equal(delete_key(m, 3), 0);
	assert_int_equal(delete_key(m, 3), -ENOENT);
	assert_null(uebpf_prog_array_get(m, 3));
	assert_int_equal(lookup(m, 3, &id), -ENOENT);
	k = 0;
	assert_int_equal(uebpf_map_lookup_and_delete_elem(m, &k, &id), -524);

	/* Indexes are keys whether filled or not. */
	assert_int_equal(uebpf_map_get_next_key(m, NULL, &next), 0);
	assert_int_equal(next, 0);
	k = 2;
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), 0);
	assert_int_equal(next, 3);
	k = 3;
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), -ENOENT);
	k = 7;
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), 0);
	assert_int_equal(next, 0);

	/* Programs reach it only by tail calls. */
	k = 0;
	assert_null(m->ops->lookup(m, &k));
	assert_int_equal(m->ops->update(m, &k, &id, 0), -EOPNOTSUPP);

	uebpf_map_put(m);
	uebpf_prog_free(p1);
	uebpf_prog_free(p2);
	rt_free(rt);
}

static void test_prog_array_refs(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 8, 0);
	struct uebpf_map *m2 = create(rt, BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 8, 0);
	struct uebpf_prog *p = load_ret(rt, 33), *q = load_ret(rt, 44);
	uint32_t pid = uebpf_prog_id(p), qid = uebpf_prog_id(q), id;

	(void)state;
	assert_non_null(m);
	assert_non_null(m2);
	/* The map keeps the program when the host lets it go. */
	assert_int_equal(update_id(m, 5, pid, 0), 0);
	uebpf_prog_free(p);
	drain(rt);
	assert_int_equal(lookup(m, 5, &id), 0);
	assert_int_equal(id, pid);
	assert_int_equal(run(uebpf_prog_array_get(m, 5)), 33);
	assert_int_equal(update_id(m2, 0, pid, 0), 0); /* id still resolves */
	assert_int_equal(delete_key(m2, 0), 0);
	/* Deleting drops the last reference: the id is gone. */
	assert_int_equal(delete_key(m, 5), 0);
	assert_int_equal(update_id(m2, 0, pid, 0), -EBADF);

	/* Replacing drops it too. */
	assert_int_equal(update_id(m, 1, qid, 0), 0);
	uebpf_prog_free(q);
	q = load_ret(rt, 55);
	assert_int_equal(update_id(m, 1, uebpf_prog_id(q), 0), 0);
	assert_int_equal(update_id(m2, 0, qid, 0), -EBADF);

	/* Freeing the map drops every reference it held. */
	qid = uebpf_prog_id(q);
	assert_int_equal(update_id(m, 7, qid, 0), 0);
	uebpf_prog_free(q);
	assert_int_equal(update_id(m2, 2, qid, 0), 0);
	assert_int_equal(delete_key(m2, 2), 0);
	uebpf_map_put(m);
	drain(rt);
	assert_int_equal(update_id(m2, 2, qid, 0), -EBADF);
	uebpf_map_put(m2);
	rt_free(rt);
}

/* All programs of an array have the type of the first one stored. */
/* A program that refers to the PROG_ARRAY holding it: a cycle of
 * references, broken as the kernel breaks it, when the host drops its last
 * reference to the array (its uref) the array lets its programs go. */
static void test_prog_array_cycle(void **state)
{
	struct uebpf_runtime *rt = rt_new(1, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0);
	uint32_t mid = uebpf_map_id(m), pid, id;
	const struct bpf_insn insns[] = {
		{ .code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = 1,
		  .src_reg = BPF_PSEUDO_MAP_FD, .imm = (int32_t)mid },
		{ 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 3 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct uebpf_prog *p = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, insns,
					       4, NULL);
	struct uebpf_map *again;

	(void)state;
	assert_non_null(p);
	pid = uebpf_prog_id(p);
	assert_int_equal(update_id(m, 2, pid, 0), 0);
	uebpf_prog_free(p); /* the array holds it, it holds the array */

	/* Another host reference keeps the programs in place. */
	again = uebpf_map_get_by_id(rt, mid);
	assert_ptr_equal(again, m);
	uebpf_map_put(m);
	drain(rt);
	assert_int_equal(lookup(again, 2, &id), 0);
	assert_int_equal(id, pid);

	/* The last one empties the array, and then everything goes. */
	uebpf_map_put(again);
	drain(rt);
	drain(rt);
	errno = 0;
	assert_null(uebpf_map_get_by_id(rt, mid));
	assert_int_equal(errno, ENOENT);
	rt_free(rt); /* fails on any map or program id still held */
}

static void test_prog_array_owner_type(void **state)
{
	struct uebpf_runtime *rt = rt_new(1, 0);
	struct uebpf_map *m = create(rt, BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0);
	struct uebpf_map *m2 = create(rt, BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0);
	struct uebpf_prog *raw = load_ret(rt, 1), *xdp = load_ret(rt, 2);
	struct uebpf_prog *ext = load_ret(rt, 3);

	(void)state;
	/* Only raw programs load yet: other types are set by hand. */
	xdp->type = BPF_PROG_TYPE_XDP;
	ext->type = BPF_PROG_TYPE_EXT;

	assert_int_equal(update_id(m, 0, uebpf_prog_id(raw), 0), 0);
	cap.text[0] = '\0';
	assert_int_equal(update_id(m, 1, uebpf_prog_id(xdp), 0), -EINVAL);
	assert_logged("has type XDP, but this PROG_ARRAY holds UNSPEC");
	assert_int_equal(update_id(m, 1, uebpf_prog_id(ext), 0), -EINVAL);
	/* The owner type stays when the array empties. */
	assert_int_equal(delete_key(m, 0), 0);
	assert_int_equal(update_id(m, 0, uebpf_prog_id(xdp), 0), -EINVAL);
	assert_int_equal(update_id(m, 0, uebpf_prog_id(raw), 0), 0);
	/* Another array can own XDP programs. */
	assert_int_equal(update_id(m2, 0, uebpf_prog_id(xdp), 0), 0);
	assert_int_equal(update_id(m2, 1, uebpf_prog_id(raw), 0), -EINVAL);
	assert_int_equal(update_id(m2, 1, uebpf_prog_id(ext), 0), -EINVAL);
	uebpf_map_put(m);
	uebpf_map_put(m2);
	uebpf_prog_free(raw);
	uebpf_prog_free(xdp);
	uebpf_prog_free(ext);
	rt_free(rt);
}

/* ---- ARRAY_OF_MAPS ------------------------------------------------------- */

static void test_aom(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);
	struct uebpf_map *tmpl = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
	struct uebpf_map *outer, *a, *b;
	uint32_t id, k, next;
	uint64_t v = 0;

	(void)state;
	outer = create_in(rt, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 3, 0, tmpl);
	assert_non_null(outer);
	/* The outer map holds the template. */
	uebpf_map_put(tmpl);
	a = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
	b = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
	assert_non_null(a);
	assert_non_null(b);

	assert_int_equal(lookup(outer, 0, &id), -ENOENT);
	assert_null(prog_lookup(outer, 0));
	assert_int_equal(update_id(outer, 0, uebpf_map_id(a), BPF_ANY), 0);
	assert_int_equal(lookup(outer, 0, &id), 0);
	assert_int_equal(id, uebpf_map_id(a));
	/* A program's lookup gives the inner map itself. */
	assert_ptr_equal(prog_lookup(outer, 0), a);
	assert_null(prog_lookup(outer, 1));
	assert_null(prog_lookup(outer, 3));
	assert_null(prog_lookup(outer, UINT32_MAX));
	v = 42;
	k = 2;
	assert_int_equal(uebpf_map_update_elem(a, &k, &v, 0), 0);
	{
		struct uebpf_map *in = prog_lookup(outer, 0);
		uint64_t *pv = in->ops->lookup(in, &k);

		assert_int_equal(*pv, 42);
	}
	assert_int_equal(update_id(outer, 0, uebpf_map_id(b), BPF_ANY), 0);
	assert_ptr_equal(prog_lookup(outer, 0), b);
	assert_int_equal(update_id(outer, 2, uebpf_map_id(b), BPF_ANY), 0);

	/* Errnos. */
	assert_int_equal(update_id(outer, 1, uebpf_map_id(a), BPF_NOEXIST),
			 -EINVAL);
	assert_int_equal(update_id(outer, 1, uebpf_map_id(a), BPF_EXIST),
			 -EINVAL);
	assert_int_equal(update_id(outer, 3, uebpf_map_id(a), BPF_ANY), -E2BIG);
	cap.text[0] = '\0';
	assert_int_equal(update_id(outer, 1, 0, BPF_ANY), -EBADF);
	assert_int_equal(update_id(outer, 1, 7777, BPF_ANY), -EBADF);
	assert_logged("no map has id 7777");
	assert_int_equal(update_id(outer, 1, uebpf_map_id(outer), BPF_ANY),
			 -EINVAL);
	assert_int_equal(lookup(outer, 3, &id), -ENOENT);
	assert_int_equal(lookup(outer, 1, &id), -ENOENT);
	assert_int_equal(delete_key(outer, 3), -E2BIG);
	assert_int_equal(delete_key(outer, 1), -ENOENT);
	assert_int_equal(delete_key(outer, 2), 0);
	assert_int_equal(delete_key(outer, 2), -ENOENT);
	assert_int_equal(lookup(outer, 2, &id), -ENOENT);
	k = 0;
	assert_int_equal(outer->ops->update(outer, &k, &id, 0), -EOPNOTSUPP);
	k = 1;
	assert_int_equal(uebpf_map_get_next_key(outer, &k, &next), 0);
	assert_int_equal(next, 2);
	k = 2;
	assert_int_equal(uebpf_map_get_next_key(outer, &k, &next), -ENOENT);

	uebpf_map_put(a);
	uebpf_map_put(b);
	uebpf_map_put(outer);
	rt_free(rt);
}

static void compat(struct uebpf_runtime *rt, struct uebpf_map *outer,
		   enum bpf_map_type type, uint32_t value_size,
		   uint32_t max_entries, uint32_t flags, int err,
		   const char *why)
{
	struct uebpf_map *in =
		create(rt, type, 4, value_size, max_entries, flags);

	if (!in)
		fail_msg("inner %s: errno %d", uebpf_map_type_name(type),
			 errno);
	cap.text[0] = '\0';
	if (update_id(outer, 0, uebpf_map_id(in), 0) != err)
		fail_msg("inner %s value %u max %u flags 0x%x: want %d; log: %s",
			 uebpf_map_type_name(type), value_size, max_entries,
			 flags, err, cap.text);
	if (why)
		assert_logged(why);
	uebpf_map_put(in);
}

/* The kernel's bpf_map_meta_equal() and the types' map_meta_equal. */
static void test_aom_compat(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);
	struct uebpf_map *t, *o;

	(void)state;
	t = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_RDONLY_PROG);
	o = create_in(rt, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 1, 0, t);
	assert_non_null(o);
	compat(rt, o, BPF_MAP_TYPE_ARRAY, 8, 4, BPF_F_RDONLY_PROG, 0, NULL);
	/* fd flags are not the map's. */
	compat(rt, o, BPF_MAP_TYPE_ARRAY, 8, 4,
	       BPF_F_RDONLY_PROG | BPF_F_RDONLY, 0, NULL);
	compat(rt, o, BPF_MAP_TYPE_ARRAY, 8, 4,
	       BPF_F_RDONLY_PROG | BPF_F_WRONLY, 0, NULL);
	compat(rt, o, BPF_MAP_TYPE_ARRAY, 4, 4, BPF_F_RDONLY_PROG, -EINVAL,
	       "value_size 4, template 8");
	compat(rt, o, BPF_MAP_TYPE_ARRAY, 8, 5, BPF_F_RDONLY_PROG, -EINVAL,
	       "max_entries 5, template 4");
	compat(rt, o, BPF_MAP_TYPE_ARRAY, 8, 4, 0, -EINVAL,
	       "map_flags 0x0, template 0x80");
	compat(rt, o, BPF_MAP_TYPE_PERCPU_ARRAY, 8, 4, BPF_F_RDONLY_PROG,
	       -EINVAL, "type PERCPU_ARRAY, template ARRAY");
	/* All differences in one line, naming the maps. */
	compat(rt, o, BPF_MAP_TYPE_ARRAY, 16, 9, 0, -EINVAL,
	       "value_size 16, template 8, map_flags 0x0, template 0x80, max_entries 9, template 4");
	assert_logged("does not fit the inner-map template 't'");
	uebpf_map_put(o);
	uebpf_map_put(t);

	/* BPF_F_INNER_MAP: any max_entries, but the flag must match. */
	t = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_INNER_MAP);
	o = create_in(rt, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 1, 0, t);
	assert_non_null(o);
	compat(rt, o, BPF_MAP_TYPE_ARRAY, 8, 1000, BPF_F_INNER_MAP, 0, NULL);
	compat(rt, o, BPF_MAP_TYPE_ARRAY, 8, 1, BPF_F_INNER_MAP, 0, NULL);
	compat(rt, o, BPF_MAP_TYPE_ARRAY, 8, 4, 0, -EINVAL, "map_flags");
	uebpf_map_put(o);
	uebpf_map_put(t);

	/* Other types compare no max_entries, except XSKMAP. */
	t = create(rt, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4, 0);
	o = create_in(rt, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 1, 0, t);
	compat(rt, o, BPF_MAP_TYPE_PERCPU_ARRAY, 8, 100, 0, 0, NULL);
	uebpf_map_put(o);
	uebpf_map_put(t);
	t = create(rt, BPF_MAP_TYPE_DEVMAP, 4, 8, 4, 0);
	o = create_in(rt, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 1, 0, t);
	compat(rt, o, BPF_MAP_TYPE_DEVMAP, 8, 64, 0, 0, NULL);
	compat(rt, o, BPF_MAP_TYPE_DEVMAP, 4, 4, 0, -EINVAL, "value_size");
	uebpf_map_put(o);
	uebpf_map_put(t);
	t = create(rt, BPF_MAP_TYPE_XSKMAP, 4, 4, 4, 0);
	o = create_in(rt, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 1, 0, t);
	compat(rt, o, BPF_MAP_TYPE_XSKMAP, 4, 4, 0, 0, NULL);
	compat(rt, o, BPF_MAP_TYPE_XSKMAP, 4, 8, 0, -EINVAL,
	       "max_entries 8, template 4");
	uebpf_map_put(o);
	uebpf_map_put(t);
	t = create(rt, BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0);
	o = create_in(rt, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 1, 0, t);
	compat(rt, o, BPF_MAP_TYPE_PROG_ARRAY, 4, 1, 0, -EINVAL,
	       "type PROG_ARRAY");
	uebpf_map_put(o);
	uebpf_map_put(t);
	rt_free(rt);
}

/* An inner map lives as long as a reference does: the host's or a slot's. */
static void test_aom_refs(void **state)
{
	struct uebpf_runtime *rt = rt_new(2, 0);
	struct uebpf_map *tmpl = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	struct uebpf_map *outer =
		create_in(rt, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4, 0, tmpl);
	struct uebpf_map *in, *got;
	uint32_t id, k = 0;
	uint64_t v = 7, out = 0;

	(void)state;
	in = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	id = uebpf_map_id(in);
	assert_int_equal(update_id(outer, 0, id, 0), 0);
	assert_int_equal(update_id(outer, 1, id, 0), 0);
	assert_int_equal(uebpf_map_update_elem(in, &k, &v, 0), 0);
	uebpf_map_put(in);
	drain(rt);
	/* Alive through the outer map's references. */
	got = uebpf_map_get_by_id(rt, id);
	assert_ptr_equal(got, in);
	assert_int_equal(uebpf_map_lookup_elem(got, &k, &out), 0);
	assert_int_equal(out, 7);
	uebpf_map_put(got);
	assert_ptr_equal(prog_lookup(outer, 1), in);
	assert_int_equal(delete_key(outer, 0), 0);
	got = uebpf_map_get_by_id(rt, id);
	assert_ptr_equal(got, in);
	uebpf_map_put(got);
	/* The last reference goes with the last slot. */
	assert_int_equal(delete_key(outer, 1), 0);
	errno = 0;
	assert_null(uebpf_map_get_by_id(rt, id));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(update_id(outer, 0, id, 0), -EBADF);

	/* Replacing puts the old inner map. */
	in = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	id = uebpf_map_id(in);
	assert_int_equal(update_id(outer, 2, id, 0), 0);
	uebpf_map_put(in);
	in = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	assert_int_equal(update_id(outer, 2, uebpf_map_id(in), 0), 0);
	assert_null(uebpf_map_get_by_id(rt, id));
	assert_int_equal(errno, ENOENT);

	/* Freeing the outer map puts what it holds, template included. */
	id = uebpf_map_id(in);
	uebpf_map_put(in);
	k = uebpf_map_id(tmpl);
	uebpf_map_put(tmpl);
	got = uebpf_map_get_by_id(rt, k);
	assert_ptr_equal(got, tmpl);
	uebpf_map_put(got);
	uebpf_map_put(outer);
	drain(rt);
	assert_null(uebpf_map_get_by_id(rt, id));
	assert_null(uebpf_map_get_by_id(rt, k));
	rt_free(rt);
}

/* A program that looked an inner map up keeps it while it runs, even when
 * the host replaces it and drops the last reference meanwhile. */
struct epoch_case {
	struct uebpf_runtime *rt;
	struct uebpf_map *outer;
	uint32_t replacement;
	int steps;
};

static void epoch_case_fn(void *arg)
{
	struct epoch_case *c = arg;
	struct uebpf_map *in = prog_lookup(c->outer, 0), *m;
	uint32_t k = 0, id = in->id;
	uint64_t *v = in->ops->lookup(in, &k);
	int i;

	assert_int_equal(*v, 5);
	assert_int_equal(update_id(c->outer, 0, c->replacement, 0), 0);
	assert_null(uebpf_map_get_by_id(c->rt, id)); /* unreachable... */
	/* ...and reclaims run while this program is in its section. */
	for (i = 0; i < 200; i++) {
		m = uebpf_map_create(c->rt, BPF_MAP_TYPE_ARRAY, "x", 4, 4, 1,
				     NULL);
		uebpf_map_put(m);
	}
	assert_true(c->rt->epoch.nr_retired > 200);
	/* ...yet the map and its values are still there. */
	assert_int_equal(*v, 5);
	*v = 6;
	assert_ptr_equal(in->ops->lookup(in, &k), v);
	assert_int_equal(in->max_entries, 1);
	c->steps++;
}

static void test_aom_epoch(void **state)
{
	struct uebpf_runtime *rt = rt_new(1, 0);
	struct uebpf_map *tmpl = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	struct uebpf_map *outer =
		create_in(rt, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 1, 0, tmpl);
	struct uebpf_map *a = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	struct uebpf_map *b = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	struct uebpf_prog *p = load_helper_prog(rt);
	struct epoch_case c = { rt, outer, uebpf_map_id(b), 0 };
	uint32_t k = 0;
	uint64_t v = 5;

	(void)state;
	assert_int_equal(uebpf_map_update_elem(a, &k, &v, 0), 0);
	assert_int_equal(update_id(outer, 0, uebpf_map_id(a), 0), 0);
	uebpf_map_put(a);
	run_in_prog(p, epoch_case_fn, &c);
	assert_int_equal(c.steps, 1);
	uebpf_map_put(b);
	/* Out of the section, the old map goes. */
	drain(rt);
	uebpf_prog_free(p);
	uebpf_map_put(outer);
	uebpf_map_put(tmpl);
	rt_free(rt);
}

/* Batches exist for ARRAY_OF_MAPS (ids in, ids out), not PROG_ARRAY; both
 * can be frozen against the host's writes. */
static void test_batch_and_freeze(void **state)
{
	struct uebpf_runtime *rt = rt_new(1, 0);
	struct uebpf_map *tmpl = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	struct uebpf_map *outer =
		create_in(rt, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4, 0, tmpl);
	struct uebpf_map *pa = create(rt, BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0);
	struct uebpf_map *a = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	struct uebpf_map *b = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	struct uebpf_prog *p = load_ret(rt, 1);
	uint32_t keys[4] = { 1, 3 }, ids[4], out_batch, count, id;

	(void)state;
	ids[0] = uebpf_map_id(a), ids[1] = uebpf_map_id(b);
	count = 2;
	assert_int_equal(uebpf_map_update_batch(outer, keys, ids, &count, NULL),
			 0);
	assert_int_equal(count, 2);
	memset(ids, 0, sizeof(ids));
	count = 4;
	assert_int_equal(uebpf_map_lookup_batch(outer, NULL, &out_batch, keys,
						ids, &count, NULL),
			 -ENOENT);
	assert_int_equal(count, 2);
	assert_int_equal(keys[0], 1);
	assert_int_equal(ids[0], uebpf_map_id(a));
	assert_int_equal(keys[1], 3);
	assert_int_equal(ids[1], uebpf_map_id(b));
	count = 4;
	assert_int_equal(uebpf_map_lookup_batch(pa, NULL, &out_batch, keys,
						ids, &count, NULL),
			 -524);
	count = 1;
	ids[0] = uebpf_prog_id(p);
	assert_int_equal(uebpf_map_update_batch(pa, keys, ids, &count, NULL),
			 -524);

	/* Frozen: the host may no longer write; reads go on. */
	assert_int_equal(update_id(pa, 0, uebpf_prog_id(p), 0), 0);
	assert_int_equal(uebpf_map_freeze(pa), 0);
	assert_int_equal(update_id(pa, 1, uebpf_prog_id(p), 0), -EPERM);
	assert_int_equal(delete_key(pa, 0), -EPERM);
	assert_int_equal(lookup(pa, 0, &id), 0);
	assert_ptr_equal(uebpf_prog_array_get(pa, 0), p);
	assert_int_equal(uebpf_map_freeze(outer), 0);
	assert_int_equal(update_id(outer, 0, uebpf_map_id(a), 0), -EPERM);
	assert_int_equal(delete_key(outer, 1), -EPERM);
	assert_ptr_equal(prog_lookup(outer, 1), a);

	uebpf_map_put(a);
	uebpf_map_put(b);
	uebpf_map_put(outer);
	uebpf_map_put(pa);
	uebpf_map_put(tmpl);
	uebpf_prog_free(p);
	rt_free(rt);
}

/* ---- programs, the host and an iterator at once -------------------------- */

#define C_SLOTS 16

struct cshared {
	struct uebpf_runtime *rt;
	struct uebpf_map *outer, *parr;
	atomic_bool stop;
	atomic_ulong hits, tails, updates, walks;
};

struct creader {
	struct cshared *s;
	unsigned int seed;
	unsigned long hits, tails;
};

/* One program run: an inner-map lookup written into, and a tail call. */
static void reader_step(void *arg)
{
	struct creader *r = arg;
	struct cshared *s = r->s;
	uint32_t k = (uint32_t)rand_r(&r->seed) % (C_SLOTS + 1), zero = 0;
	struct uebpf_map *in = prog_lookup(s->outer, k);
	struct uebpf_prog *p = uebpf_prog_array_get(s->parr, k);
	uint64_t *v, r0;

	if (k == C_SLOTS) {
		CHECK(!in && !p);
		return;
	}
	if (in) {
		CHECK(in->type == BPF_MAP_TYPE_ARRAY && in->value_size == 8);
		v = in->ops->lookup(in, &zero);
		CHECK(v != NULL);
		if (v) {
			/* The host stored the map's id in its value. */
			CHECK(__atomic_load_n(v, __ATOMIC_RELAXED) >> 32 ==
			      in->id);
			__atomic_fetch_add(v, 1, __ATOMIC_RELAXED);
		}
		r->hits++;
	}
	if (p) {
		/* Each program returns its own id. */
		CHECK(uebpf_prog_run(p, NULL, 0, &r0) == 0 && r0 == p->id);
		r->tails++;
	}
}

static void *c_reader(void *arg)
{
	struct cshared *s = arg;
	struct creader r = { s, (unsigned int)(uintptr_t)&r, 0, 0 };

	run_in_prog_until(s->rt, reader_step, &r, &s->stop);
	atomic_fetch_add(&s->hits, r.hits);
	atomic_fetch_add(&s->tails, r.tails);
	return NULL;
}

/* Returns its own id: loaded, then patched before anyone can run it
 * (interpreted: a JIT's code would not see the patch). */
static struct uebpf_prog *load_self_id(struct uebpf_runtime *rt)
{
	const struct bpf_insn insns[] = { MOV64_IMM(0, 0), EXIT() };
	UEBPF_OPTS(uebpf_prog_load_opts, o, .engine = UEBPF_ENGINE_INTERP);
	struct uebpf_prog *p;

	p = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, insns, 2, &o);
	if (p)
		p->insns[0].imm = (int32_t)p->id;
	return p;
}

static void *c_host(void *arg)
{
	struct cshared *s = arg;
	unsigned int seed = 12345, op;
	unsigned long n = 0;
	struct uebpf_map *in;
	struct uebpf_prog *p;
	uint64_t v;
	uint32_t k, zero = 0;
	int err;

	while (!atomic_load(&s->stop)) {
		k = (uint32_t)rand_r(&seed) % C_SLOTS;
		op = (unsigned int)rand_r(&seed) % 10;
		if (op < 4) {
			in = uebpf_map_create(s->rt, BPF_MAP_TYPE_ARRAY, "in",
					      4, 8, 1, NULL);
			CHECK(in != NULL);
			if (!in)
				continue;
			v = (uint64_t)uebpf_map_id(in) << 32;
			CHECK(uebpf_map_update_elem(in, &zero, &v, 0) == 0);
			CHECK(update_id(s->outer, k, uebpf_map_id(in), 0) == 0);
			uebpf_map_put(in); /* the outer map's now */
		} else if (op < 6) {
			err = delete_key(s->outer, k);
			CHECK(err == 0 || err == -ENOENT);
		} else if (op < 9) {
			p = load_self_id(s->rt);
			CHECK(p != NULL);
			if (!p)
				continue;
			CHECK(update_id(s->parr, k, uebpf_prog_id(p), 0) == 0);
			uebpf_prog_free(p);
		} else {
			err = delete_key(s->parr, k);
			CHECK(err == 0 || err == -ENOENT);
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
	struct uebpf_map *in;
	uint32_t k, id, n, zero = 0;
	uint64_t v;
	int err;

	while (!atomic_load(&s->stop)) {
		n = 0;
		for (err = uebpf_map_get_next_key(s->outer, NULL, &k); !err;
		     err = uebpf_map_get_next_key(s->outer, &k, &k)) {
			CHECK(k == n++);
			err = lookup(s->outer, k, &id);
			CHECK(err == 0 || err == -ENOENT);
			if (err)
				continue;
			in = uebpf_map_get_by_id(s->rt, id);
			if (!in) /* replaced since */
				continue;
			CHECK(uebpf_map_lookup_elem(in, &zero, &v) == 0);
			CHECK(v >> 32 == id);
			uebpf_map_put(in);
		}
		CHECK(err == -ENOENT && n == C_SLOTS);
		for (k = 0; k < C_SLOTS; k++) {
			err = lookup(s->parr, k, &id);
			CHECK(err == 0 || err == -ENOENT);
		}
		walks++;
	}
	atomic_fetch_add(&s->walks, walks);
	return NULL;
}

static void test_concurrency(void **state)
{
	struct uebpf_runtime *rt = rt_new(4, 0);
	struct uebpf_map *tmpl = create(rt, BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	struct uebpf_prog *hp = load_helper_prog(rt); /* registers it */
	struct cshared s = { 0 };

	(void)state;
	s.rt = rt;
	s.outer = create_in(rt, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, C_SLOTS, 0,
			    tmpl);
	s.parr = create(rt, BPF_MAP_TYPE_PROG_ARRAY, 4, 4, C_SLOTS, 0);
	assert_non_null(s.outer);
	assert_non_null(s.parr);
	run_threads(c_reader, c_host, c_iterator, &s, &s.stop, 2000);
	assert_int_equal(atomic_load(&thread_failures), 0);
	print_message("2 s: %lu inner-map writes, %lu tail calls, %lu host updates, %lu walks\n",
		      atomic_load(&s.hits), atomic_load(&s.tails),
		      atomic_load(&s.updates), atomic_load(&s.walks));
	assert_true(atomic_load(&s.hits) > 0);
	assert_true(atomic_load(&s.tails) > 0);
	assert_true(atomic_load(&s.updates) > 0);
	assert_true(atomic_load(&s.walks) > 0);
	uebpf_map_put(s.outer);
	uebpf_map_put(s.parr);
	uebpf_map_put(tmpl);
	uebpf_prog_free(hp);
	rt_free(rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_checks),
		cmocka_unit_test(test_prog_array),
		cmocka_unit_test(test_prog_array_refs),
		cmocka_unit_test(test_prog_array_cycle),
		cmocka_unit_test(test_prog_array_owner_type),
		cmocka_unit_test(test_aom),
		cmocka_unit_test(test_aom_compat),
		cmocka_unit_test(test_aom_refs),
		cmocka_unit_test(test_aom_epoch),
		cmocka_unit_test(test_batch_and_freeze),
		cmocka_unit_test(test_concurrency),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
