// SPDX-License-Identifier: MIT
/*
 * For the uebpf command's tests, run beside the kernel's
 * BPF_PROG_TEST_RUN: programs that rewrite packet bytes, read the
 * context's metadata and ifindex fields, and pick verdicts by EtherType.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __always_inline void swap_macs(__u8 *p)
{
	__u8 t;
	int i;

	for (i = 0; i < 6; i++) {
		t = p[i];
		p[i] = p[6 + i];
		p[6 + i] = t;
	}
}

/* Swap the MACs; IPv4: decrement the TTL, fix the checksum (RFC 1624). */
SEC("xdp")
int rewrite(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *data_end = (void *)(long)ctx->data_end;
	__u32 sum;

	if (data + 14 > data_end)
		return XDP_ABORTED;
	swap_macs(data);
	if (data[12] != 0x08 || data[13] != 0x00 || data + 34 > data_end)
		return XDP_TX;
	data[22] -= 1; /* TTL */
	sum = ((__u32)data[24] << 8 | data[25]) + 0x0100;
	sum = (sum & 0xffff) + (sum >> 16);
	data[24] = sum >> 8;
	data[25] = sum & 0xff;
	return XDP_TX;
}

/* Writes what the program sees of its context into the packet: the
 * first 4 bytes of metadata (or 0xee..), the metadata length,
 * ingress_ifindex and rx_queue_index. */
SEC("xdp")
int ctx_info(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *data_end = (void *)(long)ctx->data_end;
	__u8 *meta = (void *)(long)ctx->data_meta;
	__u32 m = 0xeeeeeeee;

	if (data + 16 > data_end)
		return XDP_ABORTED;
	if (meta + 4 <= data)
		m = *(__u32 *)meta;
	*(__u32 *)(data + 0) = m;
	*(__u32 *)(data + 4) = (__u32)(data - meta);
	*(__u32 *)(data + 8) = ctx->ingress_ifindex;
	*(__u32 *)(data + 12) = ctx->rx_queue_index;
	return XDP_PASS;
}

/* By EtherType: IPv4 passes with its MACs swapped, IPv6 goes back
 * (XDP_TX) with its first byte after the Ethernet header inverted, ARP is
 * dropped, anything else redirected (without a target). */
SEC("xdp")
int classify(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *data_end = (void *)(long)ctx->data_end;

	if (data + 14 > data_end)
		return XDP_ABORTED;
	if (data[12] == 0x08 && data[13] == 0x00) {
		swap_macs(data);
		return XDP_PASS;
	}
	if (data[12] == 0x86 && data[13] == 0xdd) {
		if (data + 15 <= data_end)
			data[14] ^= 0xff;
		return XDP_TX;
	}
	if (data[12] == 0x08 && data[13] == 0x06)
		return XDP_DROP;
	return XDP_REDIRECT;
}

char _license[] SEC("license") = "GPL";
