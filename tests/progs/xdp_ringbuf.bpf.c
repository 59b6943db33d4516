// SPDX-License-Identifier: MIT
/*
 * Records out of the data path: every packet's length and first bytes
 * into a RINGBUF (output, and reserve with submit or discard), its length
 * pushed on a QUEUE and a STACK (with BPF_EXIST overwriting when full and
 * pops every fourth packet), and what the ring reports in stats.  The
 * kernel differential tests consume the ring and drain-and-refill the
 * queue and stack after every packet.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct rec {
	__u32 len;
	__u32 seq;
	__u8 head[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 8);
	__type(value, __u32);
} lens_q SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 8);
	__type(value, __u32);
} lens_s SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __s64);
} stats SEC(".maps");

static __always_inline void stat(__u32 k, __s64 v)
{
	__s64 *p = bpf_map_lookup_elem(&stats, &k);

	if (p)
		*p = v;
}

SEC("xdp")
int ring(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	__u32 len = ctx->data_end - ctx->data, zero = 0, v;
	struct rec r = {.len = len}, *rp;
	__s64 *seq = bpf_map_lookup_elem(&stats, &zero);

	if (!seq)
		return XDP_ABORTED;
	r.seq = (__u32)++ * seq;
	if (data + 16 <= end)
		__builtin_memcpy(r.head, data, 16);
	stat(1, bpf_ringbuf_output(&events, &r, sizeof(r), 0));
	rp = bpf_ringbuf_reserve(&events, sizeof(*rp), 0);
	if (rp) {
		*rp = r;
		rp->seq |= 0x80000000;
		if (r.seq & 1)
			bpf_ringbuf_submit(rp, 0);
		else
			bpf_ringbuf_discard(rp, 0);
	}
	stat(2, rp != 0);
	stat(3, bpf_map_push_elem(&lens_q, &len, 0));
	stat(4, bpf_map_push_elem(&lens_s, &len, r.seq % 3 ? 0 : BPF_EXIST));
	if (r.seq % 4 == 0) {
		stat(5, bpf_map_pop_elem(&lens_q, &v));
		stat(6, bpf_map_pop_elem(&lens_s, &v));
		stat(7, bpf_map_peek_elem(&lens_q, &v) ? -1 : v);
	}
	return len & 1 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "Dual MIT/GPL";
