// SPDX-License-Identifier: MIT
/* LINUX_KERNEL_VERSION, the one extern libuebpf resolves (from uname(2),
 * as libbpf does). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;

SEC("xdp")
int kver(struct xdp_md *ctx)
{
	return LINUX_KERNEL_VERSION;
}

char _license[] SEC("license") = "GPL";
