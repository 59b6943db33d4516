/* SPDX-License-Identifier: MIT */
/* bpf_loop: verified callbacks and their results, against the kernel's
 * (BPF_PROG_TEST_RUN) where bpf(2) is allowed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "xdp_kdiff.h"

struct args {
	uint64_t nr, flags, stop;
};

static struct kd d;

/* sum_cb's sum over i < n: 3i + 1 each */
static uint64_t sum_to(uint64_t n)
{
	return 3 * (n * (n - 1) / 2) + n;
}

static void run_args(const char *prog, uint64_t nr, uint64_t flags,
		     uint64_t stop, uint64_t *ret, uint64_t *sum)
{
	struct args a = { nr, flags, stop };
	uint8_t pkt[64] = { 0 };

	memcpy(pkt, &a, sizeof(a));
	assert_int_equal(kd_run(&d, prog, pkt, sizeof(pkt)), XDP_PASS);
	*ret = kd_val(&d, "out", 0);
	*sum = kd_val(&d, "out", 1);
}

static void test_loop_results(void **state)
{
	static const char *const progs[] = { "loop_args", "loop_inline",
					     "loop_nested", NULL };
	uint64_t ret, sum;

	(void)state;
	kd_load(&d, "loop", progs);
	if (d.uerr)
		fail_msg("libuebpf refused:\n%s", d.ulog);
	if (!kd_no_kernel && d.kerr)
		fail_msg("kernel refused:\n%s", d.klog);

	/* all iterations, none, an early stop */
	run_args("loop_args", 10, 0, ~0ull, &ret, &sum);
	assert_int_equal(ret, 10);
	assert_int_equal(sum, sum_to(10));
	run_args("loop_args", 0, 0, ~0ull, &ret, &sum);
	assert_int_equal(ret, 0);
	assert_int_equal(sum, 0);
	run_args("loop_args", 10, 0, 3, &ret, &sum);
	assert_int_equal(ret, 4);
	assert_int_equal(sum, sum_to(3));
	/* flags != 0: -EINVAL; over BPF_MAX_LOOPS: -E2BIG */
	run_args("loop_args", 10, 1, ~0ull, &ret, &sum);
	assert_int_equal(ret, (uint64_t)-EINVAL);
	assert_int_equal(sum, 0);
	run_args("loop_args", (8u << 20) + 1, 0, ~0ull, &ret, &sum);
	assert_int_equal(ret, (uint64_t)-E2BIG);
	/* the helper takes nr_loops as a u32 */
	run_args("loop_args", (1ull << 32) + 5, 0, ~0ull, &ret, &sum);
	assert_int_equal(ret, 5);
	/* exactly BPF_MAX_LOOPS, stopped early */
	run_args("loop_args", 8u << 20, 0, 1000, &ret, &sum);
	assert_int_equal(ret, 1001);

	/* the inlined loop: the same, but all 64 bits of nr_loops count
	 * (whatever the kernel does, both must agree) */
	run_args("loop_inline", 10, 0, ~0ull, &ret, &sum);
	assert_int_equal(ret, 10);
	run_args("loop_inline", 10, 0, 7, &ret, &sum);
	assert_int_equal(ret, 8);
	run_args("loop_inline", (8u << 20) + 1, 0, ~0ull, &ret, &sum);
	run_args("loop_inline", (1ull << 32) + 5, 0, ~0ull, &ret, &sum);

	/* nested loops with a subprogram in the inner callback */
	for (uint64_t nr = 0; nr < 8; nr++)
		for (uint64_t stop = 0; stop < 6; stop += 2)
			run_args("loop_nested", nr, 0, stop, &ret, &sum);
	kd_close(&d);
}

/* What both verifiers refuse. */
static void refused(const char *prog, const char *umsg)
{
	const char *const only[] = { prog, NULL };

	kd_load(&d, "loop_bad", only);
	if (!d.uerr)
		fail_msg("%s: libuebpf loaded it", prog);
	if (!strstr(d.ulog, umsg))
		fail_msg("%s: libuebpf's log lacks \"%s\":\n%s", prog, umsg,
			 d.ulog);
	if (!kd_no_kernel && !d.kerr)
		fail_msg("%s: the kernel loaded it", prog);
	if (!kd_no_kernel && !strstr(d.klog, umsg))
		fail_msg("%s: the kernel's log lacks \"%s\":\n%s", prog, umsg,
			 d.klog);
	kd_close(&d);
}

static void test_callback_return_range(void **state)
{
	(void)state;
	refused("bad_ret", "At callback return the register R0 has smin=0 smax=2 should have been in [0, 1]");
}

static void test_counter_out_of_bounds(void **state)
{
	(void)state;
	refused("bad_counter", "invalid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loop_results),
		cmocka_unit_test(test_callback_return_range),
		cmocka_unit_test(test_counter_out_of_bounds),
	};

	return cmocka_run_group_tests(tests, kd_probe, NULL);
}
