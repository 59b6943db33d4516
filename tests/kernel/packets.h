/* SPDX-License-Identifier: MIT */
/*
 * The packet corpus of the kernel differential tests: frames built in C,
 * the same on every run (a fixed seed drives the random ones).
 */
#ifndef KD_PACKETS_H
#define KD_PACKETS_H

#include <stddef.h>
#include <stdint.h>

/* Longest frame the corpus builds (bigger than the kernel's linear area,
 * to reach BPF_PROG_TEST_RUN's fragment path). */
#define KD_MAX_FRAME 9216
/* The kernel takes at most 32 bytes of metadata, in steps of 4. */
#define KD_MAX_META 32

struct kd_pkt {
	char name[64];
	uint8_t *data;	   /* meta_len bytes of metadata, then the frame */
	uint32_t len;	   /* bytes of frame (after the metadata) */
	uint32_t meta_len; /* 0..KD_MAX_META, a multiple of 4 */
	/* What the program reads as ingress_ifindex / rx_queue_index: 0
	 * for "not given" (the kernel then uses lo, queue 0). */
	uint32_t ingress_ifindex;
	uint32_t rx_queue_index;
};

struct kd_corpus {
	struct kd_pkt *p;
	size_t n, cap;
};

/* Append a copy of a frame (and metadata); 0 or -ENOMEM. */
int kd_corpus_add(struct kd_corpus *c, const char *name, const void *frame,
		  size_t len);
int kd_corpus_add_full(struct kd_corpus *c, const char *name, const void *meta,
		       uint32_t meta_len, const void *frame, size_t len,
		       uint32_t ingress_ifindex, uint32_t rx_queue_index);

/* The standard corpus: Ethernet II, VLAN and QinQ; IPv4 (options,
 * fragments, broken headers), IPv6 (extension header chains), TCP, UDP,
 * ICMP, ICMPv6, ARP; runts, 14-byte frames, jumbo frames; metadata; and
 * seeded mutations of all of them.  0 or -ENOMEM. */
int kd_corpus_build(struct kd_corpus *c, unsigned int seed);
void kd_corpus_free(struct kd_corpus *c);

/* Addresses and ports the corpus uses, for deny lists that must hit. */
#define KD_V4_GOOD     0x0a000001u   /* 10.0.0.1 */
#define KD_V4_DENY     0x0a000042u   /* 10.0.0.66: an exact deny entry */
#define KD_V4_LPM_DENY 0xc0a8c805u   /* 192.168.200.5: in 192.168.128.0/17 */
#define KD_V4_DST      0xc0a80001u   /* 192.168.0.1 */
#define KD_PORT_DENY   23	     /* telnet, denied for TCP */
extern const uint8_t kd_v6_good[16]; /* 2001:db8::1 */
extern const uint8_t kd_v6_deny[16]; /* 2001:db8::66: exact deny */
extern const uint8_t kd_v6_lpm_deny[16]; /* 2001:db8:bad::5, in /48 */
extern const uint8_t kd_v6_dst[16];	 /* 2001:db8:1::2 */

#endif
