/* SPDX-License-Identifier: MIT */
/*
 * The object loader through the public API, on the objects of tests/progs
 * (built into build/progs): open, getters, iteration, the setters before
 * load, load (maps, global data, slots, pins, reuse), and the linked
 * programs run as raw programs where they never read their context.
 */
#include <sys/utsname.h>

#include "test_object.h"

#define ENOTSUPP_ 524

/* Runs p as a raw program (it must not read its context); returns r0. */
static uint64_t run_raw(struct uebpf_object_prog *p)
{
	uint64_t r0 = 0;
	int err;

	err = uebpf_prog_run(uebpf_object_prog_handle(p), NULL, 0, &r0);
	if (err)
		fail_msg("running %s: %s\n%s", uebpf_object_prog_name(p),
			 strerror(-err), cap.text);
	return r0;
}

/* Opens name with every program raw, and loads it. */
static struct uebpf_object *load_raw(struct uebpf_runtime *rt,
				     const char *name)
{
	struct uebpf_object *obj = open_obj(rt, name);
	struct uebpf_object_prog *p;
	int err;

	for (p = uebpf_object_next_prog(obj, NULL); p;
	     p = uebpf_object_next_prog(obj, p))
		assert_int_equal(uebpf_object_prog_set_type(
					 p, BPF_PROG_TYPE_UNSPEC),
				 0);
	err = uebpf_object_load(obj);
	if (err)
		fail_msg("loading %s: %s\n%s", name, strerror(-err), cap.text);
	return obj;
}

static struct uebpf_object_prog *prog(struct uebpf_object *obj,
				      const char *name)
{
	struct uebpf_object_prog *p = uebpf_object_find_prog(obj, name);

	if (!p)
		fail_msg("no program '%s'", name);
	return p;
}

static struct uebpf_object_map *map(struct uebpf_object *obj,
				    const char *name)
{
	struct uebpf_object_map *m = uebpf_object_find_map(obj, name);

	if (!m)
		fail_msg("no map '%s'", name);
	return m;
}

/* ---- open ---------------------------------------------------------------- */

static void test_open_bad_args(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	char byte = 0;

	(void)state;
	errno = 0;
	assert_null(uebpf_object_open_file(NULL, obj_path("xdp_pass"), NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(uebpf_object_open_file(rt, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(uebpf_object_open_mem(rt, NULL, 10, NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(uebpf_object_open_mem(rt, &byte, 0, NULL));
	assert_int_equal(errno, ENOEXEC);
	assert_null(uebpf_object_open_file(rt, "/nonexistent/x.o", NULL));
	assert_int_equal(errno, ENOENT);
	assert_logged("cannot open '/nonexistent/x.o'");
	assert_null(uebpf_object_open_file(rt, "/", NULL));
	assert_int_equal(errno, EISDIR);
	assert_int_equal(uebpf_object_load(NULL), -EINVAL);
	uebpf_object_close(NULL);
	assert_null(uebpf_object_name(NULL));
	rt_free(rt);
}

static void test_open_opts(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *obj;
	union {
		struct uebpf_object_open_opts o;
		char raw[sizeof(struct uebpf_object_open_opts) + 8];
	} u;
	char log[16];

	(void)state;
	memset(&u, 0, sizeof(u));
	u.o.sz = sizeof(u);
	u.raw[sizeof(u.raw) - 1] = 1;
	errno = 0;
	assert_null(uebpf_object_open_file(rt, obj_path("xdp_pass"), &u.o));
	assert_int_equal(errno, EINVAL);
	assert_logged("struct uebpf_object_open_opts: byte");

	u.raw[sizeof(u.raw) - 1] = 0; /* a newer caller's zero tail is fine */
	u.o.object_name = "renamed";
	obj = uebpf_object_open_file(rt, obj_path("xdp_pass"), &u.o);
	assert_non_null(obj);
	assert_string_equal(uebpf_object_name(obj), "renamed");
	uebpf_object_close(obj);

	{
		UEBPF_OPTS(uebpf_object_open_opts, o, .log_buf = log);

		assert_null(uebpf_object_open_file(rt, obj_path("xdp_pass"),
						   &o));
		assert_int_equal(errno, EINVAL);
		assert_logged("log_buf and log_size must be given together");
	}
	{
		/* The kernel's log rules, checked at open, not at load. */
		UEBPF_OPTS(uebpf_object_open_opts, o, .log_buf = log,
			   .log_size = sizeof(log));

		errno = 0;
		assert_null(uebpf_object_open_file(rt, obj_path("xdp_pass"),
						   &o));
		assert_int_equal(errno, EINVAL);
		assert_logged("log_buf given with log_level 0");
		o.log_level = 8;
		errno = 0;
		assert_null(uebpf_object_open_file(rt, obj_path("xdp_pass"),
						   &o));
		assert_int_equal(errno, EINVAL);
		assert_logged("log_level 0x8 has unknown bits");
	}
	rt_free(rt);
}

static void test_open_names(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *obj;
	char name[64];
	size_t size;
	void *buf;

	(void)state;
	obj = open_obj(rt, "xdp_pass");
	assert_string_equal(uebpf_object_name(obj), "xdp_pass");
	uebpf_object_close(obj);

	/* From memory: libbpf's "<address>-<size>", and the object keeps
	 * its own copy of the bytes. */
	buf = read_obj("global_data", &size);
	obj = uebpf_object_open_mem(rt, buf, size, NULL);
	assert_non_null(obj);
	snprintf(name, sizeof(name), "%lx-%lx", (unsigned long)(uintptr_t)buf,
		 (unsigned long)size);
	assert_string_equal(uebpf_object_name(obj), name);
	memset(buf, 0xff, size);
	free(buf);
	assert_int_equal(uebpf_object_load(obj), 0);
	/* No object name characters fit before a 7+ character section. */
	assert_non_null(uebpf_object_find_map(obj, ".rodata"));
	uebpf_object_close(obj);
	rt_free(rt);
}

/* ---- programs ------------------------------------------------------------ */

static void test_prog_getters(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *obj = open_obj(rt, "xdp_pass");
	struct uebpf_object_prog *p;
	const struct bpf_insn *in;

	(void)state;
	p = uebpf_object_next_prog(obj, NULL);
	assert_non_null(p);
	assert_ptr_equal(uebpf_object_find_prog(obj, "xdp_pass"), p);
	assert_null(uebpf_object_next_prog(obj, p));
	assert_string_equal(uebpf_object_prog_name(p), "xdp_pass");
	assert_string_equal(uebpf_object_prog_section(p), "xdp");
	assert_int_equal(uebpf_object_prog_type(p), BPF_PROG_TYPE_XDP);
	assert_string_equal(uebpf_object_prog_license(p), "Dual MIT/GPL");
	assert_true(uebpf_object_prog_autoload(p));
	assert_int_equal(uebpf_object_prog_insn_cnt(p), 2);
	in = uebpf_object_prog_insns(p);
	assert_non_null(in);
	assert_int_equal(BPF_OP(in[0].code), BPF_MOV);
	assert_int_equal(in[0].imm, XDP_PASS);
	assert_int_equal(in[1].code, BPF_JMP | BPF_EXIT);

	errno = 0;
	assert_null(uebpf_object_prog_handle(p));
	assert_int_equal(errno, EAGAIN);
	assert_null(uebpf_object_find_prog(obj, "nope"));
	assert_int_equal(errno, ENOENT);
	assert_null(uebpf_object_find_prog(obj, NULL));
	assert_int_equal(errno, EINVAL);
	/* A pointer that is not one of this object's programs. */
	assert_null(uebpf_object_next_prog(
		obj, (const struct uebpf_object_prog *)&errno));
	assert_int_equal(errno, EINVAL);

	assert_int_equal(uebpf_object_load(obj), 0);
	assert_non_null(uebpf_object_prog_handle(p));
	assert_int_equal(uebpf_prog_type(uebpf_object_prog_handle(p)),
			 BPF_PROG_TYPE_XDP);
	assert_string_equal(uebpf_prog_name(uebpf_object_prog_handle(p)),
			    "xdp_pass");
	/* XDP programs do not run before the XDP issue. */
	{
		uint64_t r0;

		assert_int_equal(uebpf_prog_run(uebpf_object_prog_handle(p),
						NULL, 0, &r0),
				 -EINVAL);
	}
	assert_int_equal(uebpf_object_prog_set_type(p, BPF_PROG_TYPE_XDP),
			 -EBUSY);
	assert_int_equal(uebpf_object_prog_set_autoload(p, false), -EBUSY);
	assert_int_equal(uebpf_object_load(obj), -EINVAL);
	assert_logged("loaded already");
	uebpf_object_close(obj);
	rt_free(rt);
}

static void test_section_names(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *obj = open_obj(rt, "legacy_sec");
	struct uebpf_object_prog *p;
	const char *order[] = { "legacy_foo", "legacy_one", "optional",
				"classifier", "untyped" };
	int i = 0;

	(void)state;
	for (p = uebpf_object_next_prog(obj, NULL); p;
	     p = uebpf_object_next_prog(obj, p))
		assert_string_equal(uebpf_object_prog_name(p), order[i++]);
	assert_int_equal(i, 5);
	assert_logged("program 'legacy_foo': legacy section name 'xdp_foo' taken as XDP");
	assert_logged("program 'legacy_one': legacy section name 'xdp1' taken as XDP");
	assert_int_equal(uebpf_object_prog_type(prog(obj, "legacy_foo")),
			 BPF_PROG_TYPE_XDP);
	assert_int_equal(uebpf_object_prog_type(prog(obj, "legacy_one")),
			 BPF_PROG_TYPE_XDP);
	p = prog(obj, "optional");
	assert_string_equal(uebpf_object_prog_section(p), "xdp");
	assert_false(uebpf_object_prog_autoload(p));
	assert_int_equal(uebpf_object_prog_type(prog(obj, "classifier")),
			 BPF_PROG_TYPE_SCHED_CLS);
	assert_int_equal(uebpf_object_prog_type(prog(obj, "untyped")),
			 BPF_PROG_TYPE_UNSPEC);

	/* The untyped program stops the load, by name. */
	assert_int_equal(uebpf_object_load(obj), -EOPNOTSUPP);
	assert_logged("program 'untyped': section 'mystery' does not say its type");
	uebpf_object_close(obj);

	obj = open_obj(rt, "legacy_sec");
	assert_int_equal(uebpf_object_prog_set_type(prog(obj, "untyped"), 9999),
			 -EINVAL);
	p = prog(obj, "untyped");
	assert_int_equal(
		uebpf_object_prog_set_type(p, BPF_PROG_TYPE_SOCKET_FILTER), 0);
	assert_int_equal(uebpf_object_load(obj), 0);
	assert_int_equal(uebpf_prog_type(uebpf_object_prog_handle(
				 prog(obj, "untyped"))),
			 BPF_PROG_TYPE_SOCKET_FILTER);
	assert_int_equal(uebpf_prog_type(uebpf_object_prog_handle(
				 prog(obj, "classifier"))),
			 BPF_PROG_TYPE_SCHED_CLS);
	errno = 0;
	assert_null(uebpf_object_prog_handle(prog(obj, "optional")));
	assert_int_equal(errno, ENOENT);
	/* Not loaded: still the function's own code. */
	assert_int_equal(uebpf_object_prog_insn_cnt(prog(obj, "optional")), 2);
	uebpf_object_close(obj);

	obj = open_obj(rt, "legacy_sec");
	assert_int_equal(uebpf_object_prog_set_autoload(prog(obj, "untyped"),
							false),
			 0);
	assert_int_equal(uebpf_object_prog_set_autoload(prog(obj, "optional"),
							true),
			 0);
	assert_int_equal(uebpf_object_load(obj), 0);
	assert_non_null(uebpf_object_prog_handle(prog(obj, "optional")));
	assert_null(uebpf_object_prog_handle(prog(obj, "untyped")));
	uebpf_object_close(obj);
	rt_free(rt);
}

static void test_subprograms(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *obj;
	struct uebpf_object_prog *a, *b;
	size_t own;

	(void)state;
	obj = open_obj(rt, "subprogs");
	/* .text functions are subprograms, not programs. */
	assert_null(uebpf_object_find_prog(obj, "unused_global"));
	assert_null(uebpf_object_find_prog(obj, "global_add"));
	assert_null(uebpf_object_find_prog(obj, "square"));
	a = prog(obj, "prog_a");
	b = prog(obj, "prog_b");
	assert_string_equal(uebpf_object_prog_section(a), "xdp");
	assert_string_equal(uebpf_object_prog_section(b), "xdp");
	own = uebpf_object_prog_insn_cnt(a);
	uebpf_object_close(obj);

	obj = load_raw(rt, "subprogs");
	a = prog(obj, "prog_a");
	b = prog(obj, "prog_b");
	/* square, chain1, chain2 and global_add appended, once each. */
	assert_true(uebpf_object_prog_insn_cnt(a) > own);
	assert_int_equal((uint32_t)run_raw(a), 34 + 9 + 1000);
	assert_int_equal((uint32_t)run_raw(b), 25 + 1 + 1000);
	/* The callback reference became a BPF_PSEUDO_FUNC ld_imm64. */
	{
		struct uebpf_object_prog *cb = prog(obj, "prog_cb");
		const struct bpf_insn *in = uebpf_object_prog_insns(cb);
		size_t i, n = uebpf_object_prog_insn_cnt(cb), refs = 0;

		for (i = 0; i < n; i++) {
			if (in[i].code == (BPF_LD | BPF_IMM | BPF_DW) &&
			    in[i].src_reg == BPF_PSEUDO_FUNC) {
				size_t t = i + in[i].imm + 1;

				assert_true(t < n);
				refs++;
			}
		}
		assert_int_equal(refs, 1);
	}
	uebpf_object_close(obj);

	/* A static and a global function in the program's own section. */
	obj = load_raw(rt, "same_section");
	assert_int_equal((uint32_t)run_raw(prog(obj, "same_sec")), 21 + 8);
	assert_int_equal((uint32_t)run_raw(prog(obj, "plus5")), 5);
	uebpf_object_close(obj);
	rt_free(rt);
}

static void test_llc_pipeline(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *obj = load_raw(rt, "llc_pipeline");

	(void)state;
	/* 40 + 2, and pick(6) = 3 */
	assert_int_equal((uint32_t)run_raw(prog(obj, "count_and_pass")), 45);
	assert_non_null(uebpf_object_prog_handle(prog(obj, "count_map")));
	uebpf_object_close(obj);
	rt_free(rt);
}

/* ---- maps ---------------------------------------------------------------- */

struct want_map {
	const char *name;
	enum bpf_map_type type;
	uint32_t key, value, max, flags;
};

static void check_maps(struct uebpf_object *obj, const struct want_map *w,
		       size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct uebpf_object_map *m = map(obj, w[i].name);

		if (uebpf_object_map_type(m) != w[i].type ||
		    uebpf_object_map_key_size(m) != w[i].key ||
		    uebpf_object_map_value_size(m) != w[i].value ||
		    uebpf_object_map_max_entries(m) != w[i].max ||
		    uebpf_object_map_flags(m) != w[i].flags)
			fail_msg("map %s: %s key %u value %u max %u flags 0x%x",
				 w[i].name,
				 uebpf_map_type_name(uebpf_object_map_type(m)),
				 uebpf_object_map_key_size(m),
				 uebpf_object_map_value_size(m),
				 uebpf_object_map_max_entries(m),
				 uebpf_object_map_flags(m));
	}
}

static void test_btf_maps(void **state)
{
	struct uebpf_runtime *rt = rt_new_cpus(3, true);
	const struct want_map want[] = {
		{ "array", BPF_MAP_TYPE_ARRAY, 4, 16, 16, 0 },
		{ "percpu_array", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4, 0 },
		{ "hash", BPF_MAP_TYPE_HASH, 16, 16, 1024, BPF_F_NO_PREALLOC },
		{ "percpu_hash", BPF_MAP_TYPE_PERCPU_HASH, 8, 8, 128, 0 },
		{ "lru_hash", BPF_MAP_TYPE_LRU_HASH, 16, 4, 1000, 0 },
		{ "lru_percpu_hash", BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 16, 256,
		  BPF_F_NO_COMMON_LRU },
		{ "lpm", BPF_MAP_TYPE_LPM_TRIE, 8, 4, 64, BPF_F_NO_PREALLOC },
		{ "array_of_maps", BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4, 0 },
		{ "hash_of_maps", BPF_MAP_TYPE_HASH_OF_MAPS, 4, 4, 4, 0 },
		{ "prog_array", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 8, 0 },
		{ "devmap", BPF_MAP_TYPE_DEVMAP, 4, 4, 8, 0 },
		{ "devmap_hash", BPF_MAP_TYPE_DEVMAP_HASH, 4, 8, 8, 0 },
		{ "xskmap", BPF_MAP_TYPE_XSKMAP, 4, 4, 4, 0 },
		{ "cpumap", BPF_MAP_TYPE_CPUMAP, 4, 8, 4, 0 },
		/* 10000 bytes rounded up to 4 pages */
		{ "ringbuf", BPF_MAP_TYPE_RINGBUF, 0, 0, 16384, 0 },
		/* no max_entries: one per CPU slot */
		{ "perf_events", BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 3, 0 },
		{ "queue", BPF_MAP_TYPE_QUEUE, 0, 4, 16, 0 },
		{ "stack", BPF_MAP_TYPE_STACK, 0, 8, 16, 0 },
		{ "ch_rings", BPF_MAP_TYPE_ARRAY, 4, 4, 33554944, 0 },
	};
	struct uebpf_object *obj = open_obj(rt, "maps_btf");
	struct uebpf_object_map *m;
	struct uebpf_map *h, *inner;
	const struct bpf_insn *in;
	uint32_t seen[64] = { 0 }, key = 0, id;
	size_t i, n, nmaps = 0;

	(void)state;
	check_maps(obj, want, ARRAY_SIZE(want));
	for (m = uebpf_object_next_map(obj, NULL); m;
	     m = uebpf_object_next_map(obj, m))
		nmaps++;
	/* The 19 maps and clang's .rodata.cst16 constant pool. */
	assert_int_equal(nmaps, ARRAY_SIZE(want) + 1);
	errno = 0;
	assert_null(uebpf_object_map_handle(map(obj, "array")));
	assert_int_equal(errno, EAGAIN);
	assert_null(uebpf_object_find_map(obj, "nope"));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(uebpf_object_load(obj), 0);
	check_maps(obj, want, ARRAY_SIZE(want));

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		h = uebpf_object_map_handle(map(obj, want[i].name));
		assert_non_null(h);
		assert_int_equal(uebpf_map_type(h), want[i].type);
		assert_int_equal(uebpf_map_value_size(h), want[i].value);
		/* As the kernel, a per-CPU LRU without a common list has a
		 * multiple of the CPU count: 256 becomes 258 on 3 slots. */
		if (want[i].type == BPF_MAP_TYPE_LRU_PERCPU_HASH)
			assert_int_equal(uebpf_map_max_entries(h), 258);
		else
			assert_int_equal(uebpf_map_max_entries(h), want[i].max);
	}
	/* The inner template: the outer map takes only its inner type. */
	h = uebpf_object_map_handle(map(obj, "array_of_maps"));
	inner = uebpf_map_create(rt, BPF_MAP_TYPE_ARRAY, "in", 4, 8, 8, NULL);
	id = uebpf_map_id(inner);
	assert_int_equal(uebpf_map_update_elem(h, &key, &id, 0), 0);
	uebpf_map_put(inner);
	inner = uebpf_map_create(rt, BPF_MAP_TYPE_HASH, "in2", 4, 8, 8, NULL);
	id = uebpf_map_id(inner);
	assert_int_not_equal(uebpf_map_update_elem(h, &key, &id, 0), 0);
	uebpf_map_put(inner);

	/* Every BTF map is referenced by touch_maps, by id. */
	in = uebpf_object_prog_insns(prog(obj, "touch_maps"));
	n = uebpf_object_prog_insn_cnt(prog(obj, "touch_maps"));
	for (i = 0; i < n; i++) {
		if (in[i].code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		if (in[i].src_reg == BPF_PSEUDO_MAP_FD) {
			assert_true(in[i].imm > 0 && in[i].imm < 64);
			seen[in[i].imm] = 1;
		}
		i++;
	}
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		id = uebpf_map_id(uebpf_object_map_handle(map(obj,
							      want[i].name)));
		if (!seen[id])
			fail_msg("touch_maps does not refer to map %s (id %u)",
				 want[i].name, id);
	}
	uebpf_object_close(obj);
	rt_free(rt);
}

static void test_legacy_maps(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	const struct want_map legacy[] = {
		{ "rx_count", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 256, 0 },
		{ "flows", BPF_MAP_TYPE_HASH, 8, 16, 4096, BPF_F_NO_PREALLOC },
		{ "tx_port", BPF_MAP_TYPE_DEVMAP, 4, 4, 64, 0 },
	};
	const struct want_map ext[] = {
		{ "counters", BPF_MAP_TYPE_ARRAY, 4, 8, 2, 0 },
		{ "seen", BPF_MAP_TYPE_LRU_HASH, 4, 4, 128, 0 },
	};
	struct uebpf_object *obj;

	(void)state;
	obj = open_obj(rt, "legacy_maps");
	check_maps(obj, legacy, ARRAY_SIZE(legacy));
	assert_string_equal(uebpf_object_prog_section(prog(obj, "legacy_prog")),
			    "xdp_legacy");
	assert_int_equal(uebpf_object_load(obj), 0);
	assert_non_null(uebpf_object_map_handle(map(obj, "flows")));
	uebpf_object_close(obj);

	/* 36-byte definitions, zero past the fifth field; no license. */
	obj = open_obj(rt, "legacy_maps_ext");
	check_maps(obj, ext, ARRAY_SIZE(ext));
	assert_string_equal(uebpf_object_prog_license(prog(obj, "xdp_ext")),
			    "");
	assert_int_equal(uebpf_object_load(obj), 0);
	uebpf_object_close(obj);

	/* iproute2's pinning field is not understood: refused by name. */
	errno = 0;
	assert_null(uebpf_object_open_file(rt, obj_path("legacy_maps_pinned"),
					   NULL));
	assert_int_equal(errno, EOPNOTSUPP);
	assert_logged("legacy map 'pinned_counters': byte 24 of its 36-byte definition is not zero");
	rt_free(rt);
}

static void test_global_data(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	const struct want_map want[] = {
		{ "global_d.rodata", BPF_MAP_TYPE_ARRAY, 4, 24, 1,
		  BPF_F_RDONLY_PROG | BPF_F_MMAPABLE },
		{ "global_d.data", BPF_MAP_TYPE_ARRAY, 4, 16, 1,
		  BPF_F_MMAPABLE },
		{ "global_d.bss", BPF_MAP_TYPE_ARRAY, 4, 40, 1,
		  BPF_F_MMAPABLE },
		{ ".data.custom", BPF_MAP_TYPE_ARRAY, 4, 8, 1, BPF_F_MMAPABLE },
		{ ".rodata.custom", BPF_MAP_TYPE_ARRAY, 4, 4, 1,
		  BPF_F_RDONLY_PROG | BPF_F_MMAPABLE },
	};
	struct uebpf_object *obj = open_obj(rt, "global_data");
	struct uebpf_object_map *ro = map(obj, ".rodata.custom");
	uint32_t zero = 0, v32 = 2000;
	const void *init;
	uint64_t v64;
	size_t size;

	(void)state;
	check_maps(obj, want, ARRAY_SIZE(want));
	/* Found by section name and by map name alike. */
	assert_ptr_equal(map(obj, ".rodata"), map(obj, "global_d.rodata"));
	assert_ptr_equal(map(obj, ".bss"), map(obj, "global_d.bss"));
	init = uebpf_object_map_initial_value(ro, &size);
	assert_non_null(init);
	assert_int_equal(size, 4);
	assert_int_equal(*(const uint32_t *)init, 1000);
	init = uebpf_object_map_initial_value(map(obj, ".bss"), &size);
	assert_int_equal(size, 40);
	assert_int_equal(((const uint8_t *)init)[0], 0);
	assert_int_equal(uebpf_object_map_set_initial_value(ro, &v32, 3),
			 -EINVAL);
	assert_int_equal(uebpf_object_map_set_initial_value(ro, &v32, 4), 0);
	assert_int_equal(uebpf_object_map_set_max_entries(ro, 2), -EINVAL);
	assert_int_equal(uebpf_object_prog_set_type(prog(obj, "run_globals"),
						    BPF_PROG_TYPE_UNSPEC),
			 0);
	assert_int_equal(uebpf_object_load(obj), 0);
	assert_int_equal(uebpf_object_map_set_initial_value(ro, &v32, 4),
			 -EBUSY);

	/* 100 + 'h' + 'd' + hits 1 + counter 103 + static 10
	 * + custom 7 + 2000 */
	assert_int_equal((uint32_t)run_raw(prog(obj, "run_globals")), 2425);
	assert_int_equal(uebpf_map_lookup_elem(uebpf_object_map_handle(map(
						       obj, ".data.custom")),
					       &zero, &v64),
			 0);
	assert_int_equal(v64, 2007);
	/* Ran twice: the program's writes stay in the maps. */
	assert_int_equal((uint32_t)run_raw(prog(obj, "run_globals")),
			 2425 + 1 + 3 + 10 + 2000);

	/* .rodata is frozen once filled; .data is not. */
	assert_int_equal(uebpf_map_update_elem(uebpf_object_map_handle(ro),
					       &zero, &v32, 0),
			 -EPERM);
	assert_int_equal(uebpf_map_update_elem(uebpf_object_map_handle(map(
						       obj, ".data.custom")),
					       &zero, &v64, 0),
			 0);
	uebpf_object_close(obj);
	rt_free(rt);
}

static void test_map_in_map_slots(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *obj = open_obj(rt, "map_in_map");
	struct uebpf_map *outer, *jt;
	uint32_t k, id;

	(void)state;
	assert_int_equal(uebpf_object_load(obj), 0);
	outer = uebpf_object_map_handle(map(obj, "outer_array"));
	k = 0;
	assert_int_equal(uebpf_map_lookup_elem(outer, &k, &id), 0);
	assert_int_equal(id, uebpf_map_id(uebpf_object_map_handle(
				     map(obj, "inner_a"))));
	k = 1;
	assert_int_equal(uebpf_map_lookup_elem(outer, &k, &id), -ENOENT);
	k = 2;
	assert_int_equal(uebpf_map_lookup_elem(outer, &k, &id), 0);
	assert_int_equal(id, uebpf_map_id(uebpf_object_map_handle(
				     map(obj, "inner_b"))));
	outer = uebpf_object_map_handle(map(obj, "outer_hash"));
	k = 5;
	assert_int_equal(uebpf_map_lookup_elem(outer, &k, &id), 0);
	assert_int_equal(id, uebpf_map_id(uebpf_object_map_handle(
				     map(obj, "inner_b"))));

	jt = uebpf_object_map_handle(map(obj, "jmp_table"));
	k = 0;
	assert_int_equal(uebpf_map_lookup_elem(jt, &k, &id), 0);
	assert_int_equal(id, uebpf_prog_id(uebpf_object_prog_handle(
				     prog(obj, "tail_0"))));
	k = 3;
	assert_int_equal(uebpf_map_lookup_elem(jt, &k, &id), 0);
	assert_int_equal(id, uebpf_prog_id(uebpf_object_prog_handle(
				     prog(obj, "tail_3"))));
	k = 1;
	assert_int_equal(uebpf_map_lookup_elem(jt, &k, &id), -ENOENT);
	uebpf_object_close(obj);

	/* A slot's program must be loaded. */
	obj = open_obj(rt, "map_in_map");
	assert_int_equal(uebpf_object_prog_set_autoload(prog(obj, "tail_3"),
							false),
			 0);
	assert_int_equal(uebpf_object_load(obj), -EINVAL);
	assert_logged("map 'jmp_table': slot 3 holds program 'tail_3', which is not loaded");
	/* The failed load released everything. */
	assert_null(uebpf_object_map_handle(map(obj, "jmp_table")));
	assert_null(uebpf_object_prog_handle(prog(obj, "tail_0")));
	uebpf_object_close(obj);

	/* A slot past max_entries is the map's error, by name. */
	obj = open_obj(rt, "map_in_map");
	assert_int_equal(uebpf_object_map_set_max_entries(map(obj,
							      "outer_array"),
							  2),
			 0);
	assert_int_equal(uebpf_object_load(obj), -E2BIG);
	assert_logged("map 'outer_array': cannot set slot 2 to map 'inner_b'");
	uebpf_object_close(obj);
	rt_free(rt);
}

static void test_set_max_entries_and_inner(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *obj = open_obj(rt, "maps_btf");
	struct uebpf_map *tmpl;

	(void)state;
	assert_int_equal(uebpf_object_map_set_max_entries(map(obj, "ch_rings"),
							  1024),
			 0);
	assert_int_equal(uebpf_object_map_max_entries(map(obj, "ch_rings")),
			 1024);
	/* Ring buffers round up, as libbpf does. */
	assert_int_equal(uebpf_object_map_set_max_entries(map(obj, "ringbuf"),
							  5000),
			 0);
	assert_int_equal(uebpf_object_map_max_entries(map(obj, "ringbuf")),
			 8192);
	assert_int_equal(uebpf_object_map_set_inner_map(map(obj, "hash"), NULL),
			 -EINVAL);
	/* A host template replaces the BTF one.  The program reads values of
	 * the BTF template's size: with a 4-byte template the verifier
	 * rightly refuses it, so it loads raw here. */
	uebpf_object_prog_set_type(prog(obj, "touch_maps"), BPF_PROG_TYPE_UNSPEC);
	tmpl = uebpf_map_create(rt, BPF_MAP_TYPE_HASH, "tmpl", 4, 4, 4, NULL);
	assert_int_equal(uebpf_object_map_set_inner_map(map(obj,
							    "array_of_maps"),
							tmpl),
			 0);
	assert_int_equal(uebpf_object_load(obj), 0);
	assert_int_equal(uebpf_map_max_entries(uebpf_object_map_handle(
				 map(obj, "ch_rings"))),
			 1024);
	{
		struct uebpf_map *inner = uebpf_map_create(
			rt, BPF_MAP_TYPE_HASH, "in", 4, 4, 4, NULL);
		uint32_t k = 1, id = uebpf_map_id(inner);

		assert_int_equal(uebpf_map_update_elem(
					 uebpf_object_map_handle(
						 map(obj, "array_of_maps")),
					 &k, &id, 0),
				 0);
		uebpf_map_put(inner);
	}
	assert_int_equal(uebpf_object_map_set_max_entries(map(obj, "ch_rings"),
							  1),
			 -EBUSY);
	uebpf_object_close(obj);
	uebpf_map_put(tmpl);
	rt_free(rt);
}

static void test_map_reuse(void **state)
{
	struct uebpf_runtime *rt = rt_new(), *other = rt_new();
	struct uebpf_object *obj = open_obj(rt, "maps_btf");
	struct uebpf_object_map *m = map(obj, "array");
	struct uebpf_map *mine, *foreign;
	const struct bpf_insn *in;
	size_t i, n;
	bool found = false;

	(void)state;
	mine = uebpf_map_create(rt, BPF_MAP_TYPE_ARRAY, "host_array", 4, 16,
				32, NULL);
	foreign = uebpf_map_create(other, BPF_MAP_TYPE_ARRAY, "x", 4, 16, 32,
				   NULL);
	assert_int_equal(uebpf_object_map_reuse(m, foreign), -EINVAL);
	assert_int_equal(uebpf_object_map_reuse(m, mine), 0);
	/* The definition takes the reused map's attributes. */
	assert_int_equal(uebpf_object_map_max_entries(m), 32);
	assert_int_equal(uebpf_object_load(obj), 0);
	assert_ptr_equal(uebpf_object_map_handle(m), mine);
	in = uebpf_object_prog_insns(prog(obj, "touch_maps"));
	n = uebpf_object_prog_insn_cnt(prog(obj, "touch_maps"));
	for (i = 0; i < n; i++)
		if (in[i].code == (BPF_LD | BPF_IMM | BPF_DW) &&
		    in[i].src_reg == BPF_PSEUDO_MAP_FD &&
		    (uint32_t)in[i].imm == uebpf_map_id(mine))
			found = true;
	assert_true(found);
	uebpf_object_close(obj);
	/* The host's reference outlives the object. */
	assert_int_equal(uebpf_map_max_entries(mine), 32);
	uebpf_map_put(mine);
	uebpf_map_put(foreign);
	rt_free(other);
	rt_free(rt);
}

static void test_pinning(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *a, *b, *c;
	struct uebpf_map *pinned;

	(void)state;
	a = open_obj(rt, "pinning");
	b = open_obj(rt, "pinning");
	assert_int_equal(uebpf_object_load(a), 0);
	assert_int_equal(uebpf_object_load(b), 0);
	assert_ptr_equal(uebpf_object_map_handle(map(a, "shared_stats")),
			 uebpf_object_map_handle(map(b, "shared_stats")));
	assert_ptr_not_equal(uebpf_object_map_handle(map(a, "private_map")),
			     uebpf_object_map_handle(map(b, "private_map")));
	pinned = uebpf_map_get_pinned(rt, "shared_stats");
	assert_ptr_equal(pinned,
			 uebpf_object_map_handle(map(a, "shared_stats")));
	uebpf_map_put(pinned);

	/* Same name, another value size: refused, nothing pinned. */
	c = open_obj(rt, "pinning_mismatch");
	assert_int_equal(uebpf_object_load(c), -EINVAL);
	assert_logged("map 'shared_stats': the map pinned under this name is ARRAY key 4 value 8");
	uebpf_object_close(c);

	/* The pin outlives the objects. */
	uebpf_object_close(a);
	uebpf_object_close(b);
	pinned = uebpf_map_get_pinned(rt, "shared_stats");
	assert_non_null(pinned);
	assert_int_equal(uebpf_map_pin(pinned, "shared_stats"), -EEXIST);
	assert_int_equal(uebpf_map_pin(pinned, "alias"), 0);
	assert_int_equal(uebpf_map_pin(pinned, ""), -EINVAL);
	uebpf_map_put(pinned);
	assert_int_equal(uebpf_map_unpin(rt, "shared_stats"), 0);
	assert_int_equal(uebpf_map_unpin(rt, "shared_stats"), -ENOENT);
	errno = 0;
	assert_null(uebpf_map_get_pinned(rt, "shared_stats"));
	assert_int_equal(errno, ENOENT);

	/* Unpinned: the mismatching definition now creates its own. */
	c = open_obj(rt, "pinning_mismatch");
	assert_int_equal(uebpf_object_load(c), 0);
	pinned = uebpf_map_get_pinned(rt, "shared_stats");
	assert_int_equal(uebpf_map_value_size(pinned), 4);
	uebpf_map_put(pinned);
	uebpf_object_close(c);
	/* "alias" and the new pin go with the runtime. */
	rt_free(rt);
}

static void test_load_failure_unpins(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *obj = open_obj(rt, "pinning");

	(void)state;
	/* The program cannot load: the map it pinned is unpinned again. */
	assert_int_equal(uebpf_object_prog_set_type(prog(obj, "count"),
						    BPF_PROG_TYPE_UNSPEC),
			 0);
	memset(rt->helpers, 0, sizeof(rt->helpers));
	assert_int_not_equal(uebpf_object_load(obj), 0);
	assert_logged("unknown helper bpf_map_lookup_elem");
	assert_null(uebpf_map_get_pinned(rt, "shared_stats"));
	errno = 0;
	assert_null(uebpf_object_map_handle(map(obj, "shared_stats")));
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(uebpf_object_load(obj), -EINVAL);
	assert_logged("already loaded and failed");
	uebpf_object_close(obj);
	rt_free(rt);
}

static void test_log_buf(void **state)
{
	struct uebpf_runtime *rt = rt_new_cpus(2, false);
	char log[512];
	UEBPF_OPTS(uebpf_object_open_opts, o, .log_buf = log,
		   .log_size = sizeof(log), .log_level = 1);
	struct uebpf_object *obj;

	(void)state;
	obj = uebpf_object_open_file(rt, obj_path("pinning"), &o);
	assert_non_null(obj);
	/* A runtime without the helper the program calls. */
	rt->helpers[BPF_FUNC_map_lookup_elem].fn = NULL;
	assert_int_equal(uebpf_object_load(obj), -EINVAL);
	if (!strstr(log, "unknown helper bpf_map_lookup_elem#1"))
		fail_msg("log_buf: %s", log);
	assert_logged("program 'count' (section 'xdp') did not load");
	uebpf_object_close(obj);
	rt_free(rt);
}

/* ---- externs and CO-RE --------------------------------------------------- */

static void test_kernel_version(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *obj = load_raw(rt, "externs");
	struct uebpf_object_map *k = map(obj, ".kconfig");
	unsigned int a = 0, b = 0, c = 0;
	struct utsname u;
	uint32_t zero = 0, v = 1;

	(void)state;
	assert_int_equal(uname(&u), 0);
	assert_true(sscanf(u.release, "%u.%u.%u", &a, &b, &c) >= 2);
	assert_int_equal((uint32_t)run_raw(prog(obj, "kver")),
			 (a << 16) + (b << 8) + (c > 255 ? 255 : c));
	assert_string_equal(uebpf_object_map_name(k), "externs.kconfig");
	assert_int_equal(uebpf_object_map_flags(k) & BPF_F_RDONLY_PROG,
			 BPF_F_RDONLY_PROG);
	assert_int_equal(uebpf_map_update_elem(uebpf_object_map_handle(k),
					       &zero, &v, 0),
			 -EPERM);
	uebpf_object_close(obj);
	rt_free(rt);
}

static void test_externs_refused(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *obj;

	(void)state;
	obj = open_obj(rt, "extern_kconfig");
	assert_int_equal(uebpf_object_load(obj), -EOPNOTSUPP);
	assert_logged("program 'hz': instruction 0 refers to the __kconfig variable 'CONFIG_HZ'");
	uebpf_object_close(obj);

	obj = open_obj(rt, "extern_ksym");
	assert_int_equal(uebpf_object_load(obj), -EOPNOTSUPP);
	assert_logged("program 'call_kfunc': instruction 0 calls the kernel function 'bpf_rcu_read_lock' (a kfunc, __ksym)");
	uebpf_object_close(obj);

	obj = open_obj(rt, "extern_ksym");
	uebpf_object_prog_set_autoload(prog(obj, "call_kfunc"), false);
	assert_int_equal(uebpf_object_load(obj), -EOPNOTSUPP);
	assert_logged("program 'read_ksym': instruction 0 refers to the __ksym variable 'bpf_prog_active'");
	uebpf_object_close(obj);

	/* Nothing refused is loaded: fine. */
	obj = open_obj(rt, "extern_ksym");
	uebpf_object_prog_set_autoload(prog(obj, "call_kfunc"), false);
	uebpf_object_prog_set_autoload(prog(obj, "read_ksym"), false);
	assert_int_equal(uebpf_object_load(obj), 0);
	uebpf_object_close(obj);
	rt_free(rt);
}

static void test_core(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *obj = load_raw(rt, "core");

	(void)state;
	assert_int_equal((uint32_t)run_raw(prog(obj, "core_read")), 148);
	uebpf_object_close(obj);

	obj = open_obj(rt, "core_kernel");
	assert_int_equal(uebpf_object_load(obj), -EOPNOTSUPP);
	assert_logged("program 'kernel_core': CO-RE relocation (type exists) at instruction 0 needs struct task_struct, which the object's BTF does not define");
	uebpf_object_close(obj);
	rt_free(rt);
}

static void test_big(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *obj = open_obj(rt, "big");
	struct uebpf_object_map *m;
	size_t n = 0;

	(void)state;
	for (m = uebpf_object_next_map(obj, NULL); m;
	     m = uebpf_object_next_map(obj, m))
		n++;
	assert_int_equal(n, 15);
	assert_int_equal(uebpf_object_load(obj), 0);
	assert_int_equal(uebpf_object_prog_insn_cnt(prog(obj,
							 "balancer_ingress")),
			 2288);
	assert_int_equal(uebpf_map_max_entries(uebpf_object_map_handle(
				 map(obj, "server_id_map"))),
			 16777214);
	uebpf_object_close(obj);
	rt_free(rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_bad_args),
		cmocka_unit_test(test_open_opts),
		cmocka_unit_test(test_open_names),
		cmocka_unit_test(test_prog_getters),
		cmocka_unit_test(test_section_names),
		cmocka_unit_test(test_subprograms),
		cmocka_unit_test(test_llc_pipeline),
		cmocka_unit_test(test_btf_maps),
		cmocka_unit_test(test_legacy_maps),
		cmocka_unit_test(test_global_data),
		cmocka_unit_test(test_map_in_map_slots),
		cmocka_unit_test(test_set_max_entries_and_inner),
		cmocka_unit_test(test_map_reuse),
		cmocka_unit_test(test_pinning),
		cmocka_unit_test(test_load_failure_unpins),
		cmocka_unit_test(test_log_buf),
		cmocka_unit_test(test_kernel_version),
		cmocka_unit_test(test_externs_refused),
		cmocka_unit_test(test_core),
		cmocka_unit_test(test_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
