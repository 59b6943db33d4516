// SPDX-License-Identifier: MIT
/*
 * A tail call from a subprogram (test_jit.c): the target runs in the
 * subprogram's frame and returns to its caller, so frames pile up with
 * each tail call; the kernel bounds them only by the 33 tail calls.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jmp SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} out SEC(".maps");

static __attribute__((noinline)) int sub(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jmp, 0);
	return ctx->rx_queue_index + 1;
}

/* jmp[0] = itself: each run of its body counts in out[0]; the verdict
 * is the number of bodies plus one, modulo 4. */
SEC("xdp")
int tc_sub(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *p = bpf_map_lookup_elem(&out, &k);

	if (p)
		*p += 1;
	return (sub(ctx) + 1) & 3;
}

char _license[] SEC("license") = "GPL";
