/* SPDX-License-Identifier: MIT */
/*
 * libpcap behind a small interface: <pcap/pcap.h> defines the classic
 * BPF's struct bpf_insn, which <linux/bpf.h> (through uebpf.h) defines
 * too, so no file includes both.
 */
#ifndef UEBPF_PCAPIO_H
#define UEBPF_PCAPIO_H

#include <stdint.h>
#include <stdio.h>

struct pcapio_in;
struct pcapio_out;

struct pcapio_pkt {
	const uint8_t *data;
	uint32_t caplen, len;
	int64_t ts_sec, ts_usec;
};

/* NULL with the reason in err (at least 256 bytes). */
struct pcapio_in *pcapio_open(const char *path, char *err);
/* 1: a packet; 0: end of file; -1: error (pcapio_error()). */
int pcapio_next(struct pcapio_in *in, struct pcapio_pkt *pkt);
const char *pcapio_error(struct pcapio_in *in);
/* The stream, for progress: position in the file. */
FILE *pcapio_file(struct pcapio_in *in);
void pcapio_close(struct pcapio_in *in);

/* A file with the input's link type and snapshot length. */
struct pcapio_out *pcapio_create(struct pcapio_in *in, const char *path,
				 char *err);
void pcapio_write(struct pcapio_out *out, const struct pcapio_pkt *pkt);
/* 0, or -1 when the data did not reach the file. */
int pcapio_finish(struct pcapio_out *out);

#endif
