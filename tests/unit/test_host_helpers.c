/* SPDX-License-Identifier: MIT */
/*
 * Host helpers (uebpf_runtime_register_helper()): registration errors, the
 * verifier checking calls against the registered prototype, and calls
 * reaching the host's function with the program's arguments and the
 * host's context.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "uebpf.h"
#include "insn.h"

static struct uebpf_runtime *rt;
static char logged[4096];
static char vlog[8192];

static void log_cb(enum uebpf_log_level level, const char *msg, void *ctx)
{
	(void)level;
	(void)ctx;
	snprintf(logged, sizeof(logged), "%s", msg);
}

static int setup(void **state)
{
	UEBPF_OPTS(uebpf_runtime_opts, o, .log_fn = log_cb);

	(void)state;
	logged[0] = '\0';
	rt = uebpf_runtime_new(&o);
	return rt ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	uebpf_runtime_free(rt);
	return 0;
}

static struct uebpf_prog *load(enum bpf_prog_type type,
			       const struct bpf_insn *insns, size_t n)
{
	UEBPF_OPTS(uebpf_prog_load_opts, o, .name = "hh", .log_buf = vlog,
		   .log_size = sizeof(vlog), .log_level = 1);

	vlog[0] = '\0';
	return uebpf_prog_load(rt, type, insns, n, &o);
}

#define HOST_ID 1000

struct seen {
	uint64_t r[5];
	void *ctx;
	int calls;
	uint8_t bytes[16];
};

static struct seen seen;

/* Sums the r2 bytes at r1, plus r3. */
static uint64_t sum_bytes(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			  uint64_t r5, void *ctx)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)r1;
	uint64_t s = r3, i;

	seen.r[0] = r1, seen.r[1] = r2, seen.r[2] = r3, seen.r[3] = r4;
	seen.r[4] = r5;
	seen.ctx = ctx;
	seen.calls++;
	for (i = 0; i < r2; i++)
		s += p[i];
	if (r2 <= sizeof(seen.bytes))
		memcpy(seen.bytes, p, r2);
	return s;
}

static int host_ctx_obj;

static int reg_sum(unsigned int id)
{
	UEBPF_OPTS(uebpf_helper_opts, o, .ctx = &host_ctx_obj,
		   .ret = UEBPF_HELPER_RET_INTEGER,
		   .args = { UEBPF_HELPER_ARG_MEM, UEBPF_HELPER_ARG_SIZE,
			     UEBPF_HELPER_ARG_ANYTHING });

	return uebpf_runtime_register_helper(rt, id, "sum_bytes", sum_bytes,
					     &o);
}

/* r0 = sum_bytes(fp - 8 (bytes 1..8), 8, 1000). */
static void test_called_with_args(void **state)
{
	const struct bpf_insn insns[] = {
		LD_IMM64(1, 0x0807060504030201ull),
		STX_MEM(BPF_DW, 10, 1, -8),
		MOV64_REG(1, 10),
		ALU64_IMM(BPF_ADD, 1, -8),
		MOV64_IMM(2, 8),
		MOV64_IMM(3, 1000),
		CALL_HELPER(HOST_ID),
		EXIT(),
	};
	static uint8_t pkt[64];
	struct uebpf_prog *p;
	uint64_t r0 = 0;
	UEBPF_OPTS(uebpf_xdp_buff, b, .data = pkt, .data_end = pkt + 64);
	UEBPF_OPTS(uebpf_xdp_result, r);

	(void)state;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(reg_sum(HOST_ID), 0);
	/* A raw program. */
	p = load(BPF_PROG_TYPE_UNSPEC, insns, ARRAY_LEN(insns));
	if (!p)
		fail_msg("refused: %s", vlog);
	assert_int_equal(uebpf_prog_run(p, pkt, sizeof(pkt), &r0), 0);
	assert_int_equal(r0, 1000 + 36);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.r[1], 8);
	assert_int_equal(seen.r[2], 1000);
	assert_ptr_equal(seen.ctx, &host_ctx_obj);
	assert_memory_equal(seen.bytes, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	uebpf_prog_free(p);
	/* An XDP program, run on a buffer. */
	p = load(BPF_PROG_TYPE_XDP, insns, ARRAY_LEN(insns));
	if (!p)
		fail_msg("refused: %s", vlog);
	uebpf_xdp_run(p, &b, &r);
	assert_int_equal(r.retval, 1036);
	assert_int_equal(seen.calls, 2);
	uebpf_prog_free(p);
}

/* The verifier checks calls against the registered prototype. */
static void test_wrong_args_refused(void **state)
{
	/* A scalar where memory is due. */
	const struct bpf_insn scalar_mem[] = {
		MOV64_IMM(1, 0x1000), MOV64_IMM(2, 8), MOV64_IMM(3, 0),
		CALL_HELPER(HOST_ID), EXIT(),
	};
	/* Size 0 for ARG_SIZE. */
	const struct bpf_insn zero_size[] = {
		ST_MEM(BPF_DW, 10, -8, 0), MOV64_REG(1, 10),
		ALU64_IMM(BPF_ADD, 1, -8), MOV64_IMM(2, 0), MOV64_IMM(3, 0),
		CALL_HELPER(HOST_ID), EXIT(),
	};
	/* Past the stack slot it initialised. */
	const struct bpf_insn too_big[] = {
		ST_MEM(BPF_DW, 10, -8, 0), MOV64_REG(1, 10),
		ALU64_IMM(BPF_ADD, 1, -8), MOV64_IMM(2, 16), MOV64_IMM(3, 0),
		CALL_HELPER(HOST_ID), EXIT(),
	};
	/* Uninitialised stack as readable memory. */
	const struct bpf_insn uninit[] = {
		MOV64_REG(1, 10), ALU64_IMM(BPF_ADD, 1, -8), MOV64_IMM(2, 8),
		MOV64_IMM(3, 0), CALL_HELPER(HOST_ID), EXIT(),
	};
	/* r3 never set. */
	const struct bpf_insn unset[] = {
		ST_MEM(BPF_DW, 10, -8, 0), MOV64_REG(1, 10),
		ALU64_IMM(BPF_ADD, 1, -8), MOV64_IMM(2, 8),
		CALL_HELPER(HOST_ID), EXIT(),
	};

	struct uebpf_prog *p;
	uint64_t r0;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(reg_sum(HOST_ID), 0);
	assert_null(load(BPF_PROG_TYPE_XDP, scalar_mem, ARRAY_LEN(scalar_mem)));
	if (!strstr(vlog, "R1 type=scalar expected=fp"))
		fail_msg("log: %s", vlog);
	/* A raw program is not verified: its call is checked as it runs,
	 * against the registered prototype, and never reaches the host. */
	p = load(BPF_PROG_TYPE_UNSPEC, scalar_mem, ARRAY_LEN(scalar_mem));
	assert_non_null(p);
	assert_int_equal(uebpf_prog_run(p, NULL, 0, &r0), -EFAULT);
	assert_int_equal(seen.calls, 0);
	uebpf_prog_free(p);
	assert_null(load(BPF_PROG_TYPE_XDP, zero_size, ARRAY_LEN(zero_size)));
	if (!strstr(vlog, "R2 invalid zero-sized read"))
		fail_msg("log: %s", vlog);
	assert_null(load(BPF_PROG_TYPE_XDP, too_big, ARRAY_LEN(too_big)));
	assert_null(load(BPF_PROG_TYPE_XDP, uninit, ARRAY_LEN(uninit)));
	assert_null(load(BPF_PROG_TYPE_XDP, unset, ARRAY_LEN(unset)));
	if (!strstr(vlog, "R3 !read_ok"))
		fail_msg("log: %s", vlog);
}

/* Ids nobody registered stay refused at load, by name where the kernel
 * has one. */
static void test_unknown_refused(void **state)
{
	const struct bpf_insn host_id[] = { CALL_HELPER(HOST_ID + 1), EXIT() };
	const struct bpf_insn kernel_id[] = {
		CALL_HELPER(BPF_FUNC_probe_read), EXIT()
	};

	(void)state;
	assert_int_equal(reg_sum(HOST_ID), 0);
	assert_null(load(BPF_PROG_TYPE_XDP, host_id, 2));
	assert_int_equal(errno, EINVAL);
	if (!strstr(vlog, "unknown helper id 1001 at pc 0"))
		fail_msg("log: %s", vlog);
	assert_null(load(BPF_PROG_TYPE_XDP, kernel_id, 2));
	if (!strstr(vlog, "unknown helper bpf_probe_read#4 at pc 0"))
		fail_msg("log: %s", vlog);
}

/* A kernel helper id libuebpf lacks can be the host's. */
static void test_kernel_id_lacking(void **state)
{
	const struct bpf_insn insns[] = {
		ST_MEM(BPF_DW, 10, -8, 0x01010101), MOV64_REG(1, 10),
		ALU64_IMM(BPF_ADD, 1, -8), MOV64_IMM(2, 4), MOV64_IMM(3, 5),
		CALL_HELPER(BPF_FUNC_probe_read), EXIT(),
	};
	struct uebpf_prog *p;
	uint64_t r0 = 0;

	(void)state;
	assert_int_equal(reg_sum(BPF_FUNC_probe_read), 0);
	p = load(BPF_PROG_TYPE_UNSPEC, insns, ARRAY_LEN(insns));
	if (!p)
		fail_msg("refused: %s", vlog);
	assert_int_equal(uebpf_prog_run(p, NULL, 0, &r0), 0);
	assert_int_equal(r0, 9);
	uebpf_prog_free(p);
}

static uint64_t map_key_fn(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			   uint64_t r5, void *ctx)
{
	uint32_t k;

	(void)r3, (void)r4, (void)r5, (void)ctx;
	memcpy(&k, (const void *)(uintptr_t)r2, 4);
	seen.r[0] = r1;
	return k * 2;
}

/* MAP and MAP_KEY: the host gets the map handle and the key. */
static void test_map_args(void **state)
{
	struct uebpf_map *m, *q;
	struct uebpf_prog *p;
	uint64_t r0 = 0;
	UEBPF_OPTS(uebpf_helper_opts, o,
		   .args = { UEBPF_HELPER_ARG_MAP, UEBPF_HELPER_ARG_MAP_KEY });

	(void)state;
	m = uebpf_map_create(rt, BPF_MAP_TYPE_HASH, "h", 4, 8, 4, NULL);
	q = uebpf_map_create(rt, BPF_MAP_TYPE_QUEUE, "q", 0, 8, 4, NULL);
	assert_non_null(m);
	assert_non_null(q);
	assert_int_equal(uebpf_runtime_register_helper(rt, 900, "map_key",
						       map_key_fn, &o),
			 0);
	{
		const struct bpf_insn insns[] = {
			ST_MEM(BPF_W, 10, -4, 21),
			LD_IMM64_RAW(1, BPF_PSEUDO_MAP_FD, uebpf_map_id(m), 0),
			MOV64_REG(2, 10),
			ALU64_IMM(BPF_ADD, 2, -4),
			CALL_HELPER(900),
			EXIT(),
		};
		/* A 4-byte key from a 2-byte slot. */
		const struct bpf_insn short_key[] = {
			ST_MEM(BPF_H, 10, -2, 21),
			LD_IMM64_RAW(1, BPF_PSEUDO_MAP_FD, uebpf_map_id(m), 0),
			MOV64_REG(2, 10),
			ALU64_IMM(BPF_ADD, 2, -2),
			CALL_HELPER(900),
			EXIT(),
		};
		/* A queue: a map the kernel keeps for its own helpers. */
		const struct bpf_insn queue[] = {
			ST_MEM(BPF_W, 10, -4, 21),
			LD_IMM64_RAW(1, BPF_PSEUDO_MAP_FD, uebpf_map_id(q), 0),
			MOV64_REG(2, 10),
			ALU64_IMM(BPF_ADD, 2, -4),
			CALL_HELPER(900),
			EXIT(),
		};

		p = load(BPF_PROG_TYPE_UNSPEC, insns, ARRAY_LEN(insns));
		if (!p)
			fail_msg("refused: %s", vlog);
		assert_int_equal(uebpf_prog_run(p, NULL, 0, &r0), 0);
		assert_int_equal(r0, 42);
		assert_ptr_equal((void *)(uintptr_t)seen.r[0], m);
		uebpf_prog_free(p);
		/* Raw programs are checked as they run; XDP programs are
		 * verified at load. */
		assert_null(load(BPF_PROG_TYPE_XDP, short_key,
				 ARRAY_LEN(short_key)));
		assert_null(load(BPF_PROG_TYPE_XDP, queue, ARRAY_LEN(queue)));
		if (!strstr(vlog, "cannot pass map_type"))
			fail_msg("log: %s", vlog);
	}
	uebpf_map_put(m);
	uebpf_map_put(q);
}

static uint64_t void_fn(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			uint64_t r5, void *ctx)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ctx;
	seen.calls++;
	return 0;
}

/* RET_VOID: r0 is not readable after the call. */
static void test_ret_void(void **state)
{
	const struct bpf_insn reads_r0[] = { CALL_HELPER(901), EXIT() };
	const struct bpf_insn ok[] = {
		CALL_HELPER(901), MOV64_IMM(0, 3), EXIT()
	};
	struct uebpf_prog *p;
	uint64_t r0;
	UEBPF_OPTS(uebpf_helper_opts, o, .ret = UEBPF_HELPER_RET_VOID);

	(void)state;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(uebpf_runtime_register_helper(rt, 901, "nothing",
						       void_fn, &o),
			 0);
	assert_null(load(BPF_PROG_TYPE_XDP, reads_r0, 2));
	if (!strstr(vlog, "R0 !read_ok"))
		fail_msg("log: %s", vlog);
	p = load(BPF_PROG_TYPE_UNSPEC, ok, 3);
	assert_non_null(p);
	assert_int_equal(uebpf_prog_run(p, NULL, 0, &r0), 0);
	assert_int_equal(r0, 3);
	assert_int_equal(seen.calls, 1);
	uebpf_prog_free(p);
}

#define REG(id, ...)                                                           \
	({                                                                     \
		UEBPF_OPTS(uebpf_helper_opts, o_, __VA_ARGS__);                \
		uebpf_runtime_register_helper(rt, id, "h", sum_bytes, &o_);   \
	})

static void expect_log(const char *s)
{
	if (!strstr(logged, s))
		fail_msg("expected '%s' in the log: %s", s, logged);
	logged[0] = '\0';
}

static void test_register_errors(void **state)
{
	(void)state;
	/* Ids libuebpf implements (or has the kernel's prototype of). */
	assert_int_equal(REG(BPF_FUNC_map_lookup_elem), -EEXIST);
	expect_log("already a libuebpf helper (bpf_map_lookup_elem)");
	assert_int_equal(REG(BPF_FUNC_xdp_adjust_head), -EEXIST);
	assert_int_equal(REG(BPF_FUNC_tail_call), -EEXIST);
	/* Out of range. */
	assert_int_equal(REG(0), -EINVAL);
	expect_log("outside 1..1023");
	assert_int_equal(REG(1024), -EINVAL);
	assert_int_equal(REG(UINT32_MAX), -EINVAL);
	/* Bad sequences. */
	assert_int_equal(REG(800, .args = { UEBPF_HELPER_ARG_SIZE }), -EINVAL);
	expect_log("argument 1 (SIZE) must come right after a MEM");
	assert_int_equal(REG(800, .args = { UEBPF_HELPER_ARG_ANYTHING,
					    UEBPF_HELPER_ARG_SIZE }),
			 -EINVAL);
	assert_int_equal(REG(800, .args = { UEBPF_HELPER_ARG_MEM }), -EINVAL);
	expect_log("argument 1 (MEM) must be followed by its SIZE");
	assert_int_equal(REG(800, .args = { UEBPF_HELPER_ARG_ANYTHING,
					    UEBPF_HELPER_ARG_ANYTHING,
					    UEBPF_HELPER_ARG_ANYTHING,
					    UEBPF_HELPER_ARG_ANYTHING,
					    UEBPF_HELPER_ARG_UNINIT_MEM }),
			 -EINVAL);
	assert_int_equal(REG(800, .args = { UEBPF_HELPER_ARG_MAP_KEY }),
			 -EINVAL);
	expect_log("argument 1 (MAP_KEY) needs a MAP argument before it");
	assert_int_equal(REG(800, .args = { UEBPF_HELPER_ARG_ANYTHING,
					    UEBPF_HELPER_ARG_MAP_VALUE,
					    UEBPF_HELPER_ARG_MAP }),
			 -EINVAL);
	assert_int_equal(REG(800, .args = { UEBPF_HELPER_ARG_MAP,
					    UEBPF_HELPER_ARG_MAP }),
			 -EINVAL);
	assert_int_equal(REG(800, .args = { UEBPF_HELPER_ARG_NONE,
					    UEBPF_HELPER_ARG_ANYTHING }),
			 -EINVAL);
	expect_log("follows NONE");
	assert_int_equal(REG(800, .args = { (enum uebpf_helper_arg)99 }),
			 -EINVAL);
	assert_int_equal(REG(800, .ret = (enum uebpf_helper_ret)7), -EINVAL);
	/* No function, no name. */
	assert_int_equal(uebpf_runtime_register_helper(rt, 800, "x", NULL,
						       NULL),
			 -EINVAL);
	assert_int_equal(uebpf_runtime_register_helper(rt, 800, NULL,
						       sum_bytes, NULL),
			 -EINVAL);
	assert_int_equal(uebpf_runtime_register_helper(NULL, 800, "x",
						       sum_bytes, NULL),
			 -EINVAL);
	/* None of those registered anything: 800 is still free. */
	assert_int_equal(REG(800, .args = { UEBPF_HELPER_ARG_MEM_OR_NULL,
					    UEBPF_HELPER_ARG_SIZE_OR_ZERO,
					    UEBPF_HELPER_ARG_CTX }),
			 0);
	/* Once. */
	assert_int_equal(REG(800), -EEXIST);
	expect_log("already a host helper (h)");
	/* opts NULL: integer, no arguments. */
	assert_int_equal(uebpf_runtime_register_helper(rt, 801, "x", sum_bytes,
						       NULL),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_called_with_args, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wrong_args_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_kernel_id_lacking, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_map_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ret_void, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_errors, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
