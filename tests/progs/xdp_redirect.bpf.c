// SPDX-License-Identifier: MIT
/*
 * bpf_redirect and bpf_redirect_map into DEVMAP, DEVMAP_HASH, XSKMAP and
 * CPUMAP: keys present and absent, the fallback action in the flags'
 * low bits, invalid flags.  BPF_PROG_TEST_RUN only reports the verdict,
 * so each helper's return value also goes into rcs[] for the kernel
 * differential tests (tests/kernel/ sets tx_ports[0], tx_ports_hash[5]
 * to lo and cpus[0]).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NCASE 8

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 5);
	__type(key, __u32);
	__type(value, __u32);
} step SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 5 * NCASE);
	__type(key, __u32);
	__type(value, __s64);
} rcs SEC(".maps");

static __always_inline __u32 next(__u32 which)
{
	__u32 *s = bpf_map_lookup_elem(&step, &which), v;

	if (!s)
		return 0;
	v = *s;
	*s = v + 1;
	return v % NCASE;
}

static __always_inline long record(__u32 which, __u32 i, long rc)
{
	__u32 k = which * NCASE + i;
	__s64 *r = bpf_map_lookup_elem(&rcs, &k);

	if (r)
		*r = rc;
	return rc;
}

static const volatile __u32 keys[NCASE] = {0, 1, 5, 3, 0, 7, 2, 0};
static const volatile __u64 flags[NCASE] = {0,	    XDP_PASS,	 XDP_DROP, 0,
					    XDP_TX, XDP_ABORTED, 8,	   0};

SEC("xdp")
int redirect_ifindex(struct xdp_md *ctx)
{
	static const volatile __u32 ifx[NCASE] = {1, 2, 0, 1, 99, 1, 1, 3};
	static const volatile __u64 f[NCASE] = {0, 0, 0, 1, 0, 2, 0, 0};
	__u32 i = next(0);

	return record(0, i, bpf_redirect(ifx[i & 7], f[i & 7]));
}

SEC("xdp")
int redirect_devmap(struct xdp_md *ctx)
{
	__u32 i = next(1);

	return record(1, i,
		      bpf_redirect_map(&tx_ports, keys[i & 7], flags[i & 7]));
}

SEC("xdp")
int redirect_devmap_hash(struct xdp_md *ctx)
{
	__u32 i = next(2);

	return record(
		2, i,
		bpf_redirect_map(&tx_ports_hash, keys[i & 7], flags[i & 7]));
}

SEC("xdp")
int redirect_xsk(struct xdp_md *ctx)
{
	__u32 i = next(3);

	return record(3, i,
		      bpf_redirect_map(&xsks, ctx->rx_queue_index + keys[i & 7],
				       flags[i & 7]));
}

SEC("xdp")
int redirect_cpu(struct xdp_md *ctx)
{
	__u32 i = next(4);

	return record(4, i,
		      bpf_redirect_map(&cpus, keys[i & 7] & 1, flags[i & 7]));
}

char _license[] SEC("license") = "Dual MIT/GPL";
