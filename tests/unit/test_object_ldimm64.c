/* SPDX-License-Identifier: MIT */
/*
 * Map references in ld_imm64.  Public uebpf_prog_load(): src
 * BPF_PSEUDO_MAP_FD / BPF_PSEUDO_MAP_VALUE with imm a map id, as the host
 * writes them; the index forms are the loader's (EPROTO).  Internal
 * uebpf_prog_load_internal(): indexes into the loader's map array, any
 * program type.  Both: the kernel's direct value access rules, references
 * held by the program, the relocation records the verifier will read, and
 * value regions a checked run may touch.
 */
#include "test_object.h"
#include "insn.h"

static char logbuf[1024];

static struct uebpf_prog *load(struct uebpf_runtime *rt,
			       const struct bpf_insn *insns, size_t cnt)
{
	UEBPF_OPTS(uebpf_prog_load_opts, o, .log_buf = logbuf,
		   .log_size = sizeof(logbuf), .log_level = 1);

	return uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, insns, cnt, &o);
}

static void expect_refused(struct uebpf_runtime *rt,
			   const struct bpf_insn *insns, size_t cnt, int err,
			   const char *msg)
{
	errno = 0;
	assert_null(load(rt, insns, cnt));
	if (errno != err)
		fail_msg("errno %d (%s), expected %d; log: %s", errno,
			 strerror(errno), err, logbuf);
	if (!strstr(logbuf, msg))
		fail_msg("log \"%s\" lacks \"%s\"", logbuf, msg);
}

static struct uebpf_map *array(struct uebpf_runtime *rt, uint32_t vsz,
			       uint32_t max)
{
	struct uebpf_map *m = uebpf_map_create(rt, BPF_MAP_TYPE_ARRAY, "a", 4,
					       vsz, max, NULL);

	assert_non_null(m);
	return m;
}

static void test_map_fd_by_id(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_map *m = array(rt, 8, 4);
	uint32_t id = uebpf_map_id(m);
	const struct bpf_insn insns[] = {
		LD_IMM64_RAW(0, BPF_PSEUDO_MAP_FD, id, 0),
		LD_IMM64_RAW(1, BPF_PSEUDO_MAP_FD, id, 0),
		EXIT(),
	};
	struct uebpf_prog *p;
	uint64_t r0;

	(void)state;
	p = load(rt, insns, ARRAY_LEN(insns));
	assert_non_null(p);
	/* r0 = the map itself: what the helpers will take. */
	assert_int_equal(uebpf_prog_run(p, NULL, 0, &r0), 0);
	assert_int_equal(r0, (uintptr_t)m);
	/* Two references, one map held, both recorded. */
	assert_int_equal(p->nr_used_maps, 1);
	assert_int_equal(p->nr_map_refs, 2);
	assert_int_equal(p->map_refs[1].pc, 2);
	assert_ptr_equal(p->map_refs[1].map, m);
	assert_int_equal(p->map_refs[1].kind, BPF_PSEUDO_MAP_FD);
	assert_int_equal(p->insns[0].src_reg, 0);

	/* The program keeps the map alive after the host lets go. */
	uebpf_map_put(m);
	assert_ptr_equal(uebpf_map_get_by_id(rt, id), m);
	uebpf_map_put(m);
	uebpf_prog_free(p);
	drain(rt);
	errno = 0;
	assert_null(uebpf_map_get_by_id(rt, id));
	assert_int_equal(errno, ENOENT);
	rt_free(rt);
}

static void test_unknown_id(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	const struct bpf_insn fd[] = {
		LD_IMM64_RAW(1, BPF_PSEUDO_MAP_FD, 3, 0),
		MOV64_IMM(0, 0),
		EXIT(),
	};
	const struct bpf_insn value[] = {
		MOV64_IMM(0, 0),
		LD_IMM64_RAW(1, BPF_PSEUDO_MAP_VALUE, 7, 16),
		EXIT(),
	};

	(void)state;
	expect_refused(rt, fd, ARRAY_LEN(fd), EBADF,
		       "ld_imm64 at pc 0 refers to map id 3, but this runtime has no such map");
	expect_refused(rt, value, ARRAY_LEN(value), EBADF,
		       "ld_imm64 at pc 1 refers to map id 7, but this runtime has no such map");
	rt_free(rt);
}

/* The index forms need the loader's map array (the kernel's fd_array). */
static void test_index_forms_public(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_map *m = array(rt, 8, 1);
	const struct bpf_insn idx[] = {
		MOV64_IMM(0, 0),
		LD_IMM64_RAW(1, BPF_PSEUDO_MAP_IDX, 0, 0),
		EXIT(),
	};
	const struct bpf_insn idx_value[] = {
		MOV64_IMM(0, 0),
		LD_IMM64_RAW(1, BPF_PSEUDO_MAP_IDX_VALUE, 0, 0),
		EXIT(),
	};

	(void)state;
	expect_refused(rt, idx, ARRAY_LEN(idx), EPROTO,
		       "ld_imm64 at pc 1 uses BPF_PSEUDO_MAP_IDX, which indexes an array of maps only the object loader has");
	expect_refused(rt, idx_value, ARRAY_LEN(idx_value), EPROTO,
		       "uses BPF_PSEUDO_MAP_IDX_VALUE");
	uebpf_map_put(m);
	rt_free(rt);
}

static void test_direct_value_rules(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_map *one = array(rt, 16, 1), *many = array(rt, 16, 2);
	struct uebpf_map *pcpu, *hash;
	struct bpf_insn insns[] = {
		LD_IMM64_RAW(0, BPF_PSEUDO_MAP_VALUE, 0, 0),
		EXIT(),
	};

	(void)state;
	pcpu = uebpf_map_create(rt, BPF_MAP_TYPE_PERCPU_ARRAY, "p", 4, 16, 1,
				NULL);
	hash = uebpf_map_create(rt, BPF_MAP_TYPE_HASH, "h", 4, 16, 1, NULL);
	assert_non_null(pcpu);
	assert_non_null(hash);

	insns[0].imm = uebpf_map_id(hash);
	expect_refused(rt, insns, ARRAY_LEN(insns), EINVAL,
		       "map 'h' is HASH, which has no direct value access");
	insns[0].imm = uebpf_map_id(pcpu);
	expect_refused(rt, insns, ARRAY_LEN(insns), EINVAL,
		       "map 'p' is PERCPU_ARRAY");
	/* The kernel's -ENOTSUPP (524) for an array of more than one. */
	insns[0].imm = uebpf_map_id(many);
	expect_refused(rt, insns, ARRAY_LEN(insns), 524,
		       "direct value access needs an ARRAY with max_entries 1, map 'a' has 2");
	insns[0].imm = uebpf_map_id(one);
	insns[1].imm = 16;
	expect_refused(rt, insns, ARRAY_LEN(insns), EINVAL,
		       "invalid access to map value pointer, value_size=16 off=16");
	insns[1].imm = 15;
	{
		struct uebpf_prog *p = load(rt, insns, ARRAY_LEN(insns));
		uint64_t r0;

		assert_non_null(p);
		assert_int_equal(uebpf_prog_run(p, NULL, 0, &r0), 0);
		assert_int_equal(p->map_refs[0].kind, BPF_PSEUDO_MAP_VALUE);
		assert_int_equal(p->map_refs[0].off, 15);
		/* Element 0's address plus the offset. */
		assert_int_equal(r0 - 15, p->value_regions[0].lo);
		assert_int_equal(p->value_regions[0].hi -
					 p->value_regions[0].lo,
				 16);
		uebpf_prog_free(p);
	}
	uebpf_map_put(one);
	uebpf_map_put(many);
	uebpf_map_put(pcpu);
	uebpf_map_put(hash);
	rt_free(rt);
}

/* A checked run may read and write a directly addressed value, and no
 * byte past it. */
static void test_value_region(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_map *m = array(rt, 8, 1);
	uint32_t id = uebpf_map_id(m), zero = 0;
	const struct bpf_insn inc[] = {
		LD_IMM64_RAW(1, BPF_PSEUDO_MAP_VALUE, id, 0),
		LDX_MEM(BPF_DW, 0, 1, 0),
		ALU64_IMM(BPF_ADD, 0, 1),
		STX_MEM(BPF_DW, 1, 0, 0),
		EXIT(),
	};
	const struct bpf_insn past[] = {
		LD_IMM64_RAW(1, BPF_PSEUDO_MAP_VALUE, id, 4),
		LDX_MEM(BPF_DW, 0, 1, 0),
		EXIT(),
	};
	struct uebpf_prog *p;
	uint64_t r0, v = 41;

	(void)state;
	assert_int_equal(uebpf_map_update_elem(m, &zero, &v, 0), 0);
	p = load(rt, inc, ARRAY_LEN(inc));
	assert_non_null(p);
	assert_int_equal(uebpf_prog_run(p, NULL, 0, &r0), 0);
	assert_int_equal(r0, 42);
	assert_int_equal(uebpf_map_lookup_elem(m, &zero, &v), 0);
	assert_int_equal(v, 42);
	uebpf_prog_free(p);

	p = load(rt, past, ARRAY_LEN(past));
	assert_non_null(p);
	assert_int_equal(uebpf_prog_run(p, NULL, 0, &r0), -EFAULT);
	assert_logged("out-of-bounds load of 8 bytes");
	uebpf_prog_free(p);
	uebpf_map_put(m);
	rt_free(rt);
}

static void test_too_many_maps(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_map *maps[UEBPF_MAX_USED_MAPS + 1];
	struct bpf_insn insns[2 * (UEBPF_MAX_USED_MAPS + 1) + 2];
	size_t i, n = 0;

	(void)state;
	for (i = 0; i <= UEBPF_MAX_USED_MAPS; i++) {
		maps[i] = array(rt, 4, 1);
		insns[n++] = (struct bpf_insn){ .code = BPF_LD | BPF_IMM |
							BPF_DW,
						.dst_reg = 1,
						.src_reg = BPF_PSEUDO_MAP_FD,
						.imm = uebpf_map_id(maps[i]) };
		insns[n++] = (struct bpf_insn){ 0 };
	}
	insns[n++] = MOV64_IMM(0, 0);
	insns[n++] = EXIT();
	expect_refused(rt, insns, n, E2BIG,
		       "the program refers to more than 64 maps");
	/* 64 are fine. */
	memmove(insns, insns + 2, (n - 2) * sizeof(*insns));
	{
		struct uebpf_prog *p = load(rt, insns, n - 2);

		assert_non_null(p);
		assert_int_equal(p->nr_used_maps, UEBPF_MAX_USED_MAPS);
		uebpf_prog_free(p);
	}
	for (i = 0; i <= UEBPF_MAX_USED_MAPS; i++)
		uebpf_map_put(maps[i]);
	rt_free(rt);
}

/* ---- the loader's way in ------------------------------------------------- */

static void test_internal_indexes(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_map *maps[2] = { array(rt, 8, 4), array(rt, 8, 1) };
	const struct bpf_insn insns[] = {
		LD_IMM64_RAW(1, BPF_PSEUDO_MAP_IDX, 0, 0),
		LD_IMM64_RAW(0, BPF_PSEUDO_MAP_IDX_VALUE, 1, 4),
		EXIT(),
	};
	const struct bpf_insn bad[] = {
		LD_IMM64_RAW(1, BPF_PSEUDO_MAP_IDX, 2, 0),
		MOV64_IMM(0, 0),
		EXIT(),
	};
	UEBPF_OPTS(uebpf_prog_load_opts, o, .name = "idx");
	struct uebpf_prog *p;
	uint64_t r0;

	(void)state;
	p = uebpf_prog_load_internal(rt, BPF_PROG_TYPE_UNSPEC, insns,
				     ARRAY_LEN(insns), &o, maps, 2);
	assert_non_null(p);
	assert_int_equal(p->nr_used_maps, 2);
	assert_ptr_equal(p->map_refs[0].map, maps[0]);
	assert_int_equal(p->map_refs[1].kind, BPF_PSEUDO_MAP_VALUE);
	assert_int_equal(p->map_refs[1].off, 4);
	assert_int_equal(uebpf_prog_run(p, NULL, 0, &r0), 0);
	assert_int_equal(r0 - 4, p->value_regions[0].lo);
	uebpf_prog_free(p);

	errno = 0;
	assert_null(uebpf_prog_load_internal(rt, BPF_PROG_TYPE_UNSPEC, bad,
					     ARRAY_LEN(bad), &o, maps, 2));
	assert_int_equal(errno, EBADF);
	assert_logged("map index 2 is out of range (2 maps)");

	/* A type the verifier does not know is stored, not run. */
	p = uebpf_prog_load_internal(rt, BPF_PROG_TYPE_SCHED_CLS, insns,
				     ARRAY_LEN(insns), &o, maps, 2);
	assert_non_null(p);
	assert_int_equal(uebpf_prog_type(p), BPF_PROG_TYPE_SCHED_CLS);
	assert_int_equal(uebpf_prog_run(p, NULL, 0, &r0), -EINVAL);
	uebpf_prog_free(p);
	errno = 0;
	assert_null(uebpf_prog_load_internal(rt, 4000, insns,
					     ARRAY_LEN(insns), &o, maps, 2));
	assert_int_equal(errno, EINVAL);
	/* The public call refuses types the verifier does not know. */
	errno = 0;
	assert_null(uebpf_prog_load(rt, BPF_PROG_TYPE_SCHED_CLS, insns,
				    ARRAY_LEN(insns), NULL));
	assert_int_equal(errno, EOPNOTSUPP);
	uebpf_map_put(maps[0]);
	uebpf_map_put(maps[1]);
	rt_free(rt);
}

/* A failed load drops the references it took. */
static void test_failed_load_puts_maps(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_map *m = array(rt, 8, 2);
	uint32_t id = uebpf_map_id(m);
	const struct bpf_insn insns[] = {
		LD_IMM64_RAW(1, BPF_PSEUDO_MAP_FD, id, 0),
		LD_IMM64_RAW(0, BPF_PSEUDO_MAP_VALUE, id, 0),
		EXIT(),
	};

	(void)state;
	expect_refused(rt, insns, ARRAY_LEN(insns), 524, "max_entries 1");
	uebpf_map_put(m);
	drain(rt);
	assert_null(uebpf_map_get_by_id(rt, id));
	rt_free(rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_fd_by_id),
		cmocka_unit_test(test_unknown_id),
		cmocka_unit_test(test_index_forms_public),
		cmocka_unit_test(test_direct_value_rules),
		cmocka_unit_test(test_value_region),
		cmocka_unit_test(test_too_many_maps),
		cmocka_unit_test(test_internal_indexes),
		cmocka_unit_test(test_failed_load_puts_maps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
