/* SPDX-License-Identifier: MIT */
/* bpf_tail_call chains against the kernel's (BPF_PROG_TEST_RUN) where
 * bpf(2) is allowed: the 33-call limit, empty slots and indexes past the
 * array, a chain across three programs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "xdp_kdiff.h"

static struct kd d;

/* jmp[slot] = prog in both. */
static void set_slot(uint32_t slot, const char *prog)
{
	uint32_t id = uebpf_prog_id(kd_uprog(&d, prog));
	int fd;

	assert_int_equal(uebpf_map_update_elem(kd_umap(&d, "jmp"), &slot, &id,
					       0),
			 0);
	if (kd_no_kernel)
		return;
	fd = kd_kprog(&d, prog);
	assert_int_equal(bpf_map_update_elem(kd_kmap(&d, "jmp"), &slot, &fd,
					     0),
			 0);
}

static void load(void)
{
	kd_load(&d, "tail_call", NULL);
	if (d.uerr)
		fail_msg("libuebpf refused:\n%s", d.ulog);
	if (!kd_no_kernel && d.kerr)
		fail_msg("kernel refused:\n%s", d.klog);
}

static void test_self_limit(void **state)
{
	uint8_t pkt[64] = { 0 };

	(void)state;
	load();
	set_slot(0, "tc_self");
	assert_int_equal(kd_run(&d, "tc_self", pkt, sizeof(pkt)), XDP_PASS);
	/* the first run plus MAX_TAIL_CALL_CNT tail calls */
	assert_int_equal(kd_val(&d, "out", 0), 34);
	/* the count is per run */
	assert_int_equal(kd_run(&d, "tc_self", pkt, sizeof(pkt)), XDP_PASS);
	assert_int_equal(kd_val(&d, "out", 0), 68);
	kd_close(&d);
}

static void test_miss_goes_on(void **state)
{
	uint8_t pkt[64] = { 0 };

	(void)state;
	load();
	assert_int_equal(kd_run(&d, "tc_miss", pkt, sizeof(pkt)), XDP_DROP);
	assert_int_equal(kd_val(&d, "out", 1), 12);
	kd_close(&d);
}

static void test_chain_of_three(void **state)
{
	uint8_t pkt[64] = { 0x42 };

	(void)state;
	load();
	/* before the slots are filled: tc_a goes on after its tail call */
	assert_int_equal(kd_run(&d, "tc_a", pkt, sizeof(pkt)), XDP_ABORTED);
	assert_int_equal(kd_val(&d, "out", 2), 1);
	set_slot(2, "tc_b");
	set_slot(3, "tc_c");
	assert_int_equal(kd_run(&d, "tc_a", pkt, sizeof(pkt)), XDP_TX);
	assert_int_equal(kd_val(&d, "out", 2), 1123);
	pkt[0] = 0;
	assert_int_equal(kd_run(&d, "tc_a", pkt, sizeof(pkt)), XDP_PASS);
	assert_int_equal(kd_val(&d, "out", 2), 1123123);
	/* a target taken out of the array: the chain stops there */
	{
		uint32_t k = 3;

		assert_int_equal(
			uebpf_map_delete_elem(kd_umap(&d, "jmp"), &k), 0);
		if (!kd_no_kernel)
			assert_int_equal(
				bpf_map_delete_elem(kd_kmap(&d, "jmp"), &k), 0);
	}
	assert_int_equal(kd_run(&d, "tc_a", pkt, sizeof(pkt)), XDP_ABORTED);
	assert_int_equal(kd_val(&d, "out", 2), 112312312);
	kd_close(&d);
}

/* A program of another expected attach type cannot use the array. */
static void test_owner_attach_type(void **state)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 2 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	UEBPF_OPTS(uebpf_prog_load_opts, o,
		   .expected_attach_type = BPF_XDP_DEVMAP);
	struct uebpf_prog *p;
	uint32_t k = 1, id;

	(void)state;
	load();
	p = uebpf_prog_load(d.rt, BPF_PROG_TYPE_XDP, insns, 2, &o);
	assert_non_null(p);
	id = uebpf_prog_id(p);
	/* the object's programs (plain XDP) own the array already */
	assert_int_equal(uebpf_map_update_elem(kd_umap(&d, "jmp"), &k, &id, 0),
			 -EINVAL);
	uebpf_prog_free(p);
	kd_close(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self_limit),
		cmocka_unit_test(test_miss_goes_on),
		cmocka_unit_test(test_chain_of_three),
		cmocka_unit_test(test_owner_attach_type),
	};

	return cmocka_run_group_tests(tests, kd_probe, NULL);
}
