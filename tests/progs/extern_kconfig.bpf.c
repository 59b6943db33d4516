// SPDX-License-Identifier: MIT
/* A kconfig extern: only the kernel's configuration has it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int CONFIG_HZ __kconfig;

SEC("xdp")
int hz(struct xdp_md *ctx)
{
	return CONFIG_HZ > 100 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
