// SPDX-License-Identifier: MIT
/* A kfunc call and a __ksym variable: kernel symbols user space lacks.
 * Each program is refused by name. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern void bpf_rcu_read_lock(void) __ksym;
extern const int bpf_prog_active __ksym;

SEC("xdp")
int call_kfunc(struct xdp_md *ctx)
{
	bpf_rcu_read_lock();
	return XDP_PASS;
}

SEC("xdp")
int read_ksym(struct xdp_md *ctx)
{
	return *(volatile const int *)&bpf_prog_active;
}

char _license[] SEC("license") = "GPL";
