// SPDX-License-Identifier: MIT
/* A CO-RE relocation only the kernel's BTF can resolve: the flavor
 * task_struct___mine stands for the kernel's struct task_struct, which
 * this object does not define.  Refused at load, by name. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___mine {
	int pid;
} __attribute__((preserve_access_index));

SEC("xdp")
int kernel_core(struct xdp_md *ctx)
{
	return bpf_core_type_exists(struct task_struct___mine) ? XDP_PASS :
								  XDP_DROP;
}

char _license[] SEC("license") = "GPL";
