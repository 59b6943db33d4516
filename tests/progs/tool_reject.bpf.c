// SPDX-License-Identifier: MIT
/*
 * For the uebpf command's tests: a program every verifier must reject
 * (it reads the packet without checking data_end), so loading the object
 * fails and the tool shows the verifier's log.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int unchecked(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;

	return data[20] == 1 ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
