/* SPDX-License-Identifier: MIT */
/* Reading and writing pcap files with libpcap (see uebpf_pcapio.h). */
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "uebpf_pcapio.h"

struct pcapio_in {
	pcap_t *p;
};

struct pcapio_out {
	pcap_t *dead;
	pcap_dumper_t *d;
};

struct pcapio_in *pcapio_open(const char *path, char *err)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcapio_in *in = calloc(1, sizeof(*in));

	if (!in) {
		snprintf(err, 256, "out of memory");
		return NULL;
	}
	in->p = pcap_open_offline(path, ebuf);
	if (!in->p) {
		snprintf(err, 256, "%s", ebuf);
		free(in);
		return NULL;
	}
	return in;
}

int pcapio_next(struct pcapio_in *in, struct pcapio_pkt *pkt)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(in->p, &h, &data);

	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1)
		return -1;
	pkt->data = data;
	pkt->caplen = h->caplen;
	pkt->len = h->len;
	pkt->ts_sec = h->ts.tv_sec;
	pkt->ts_usec = h->ts.tv_usec;
	return 1;
}

const char *pcapio_error(struct pcapio_in *in)
{
	return pcap_geterr(in->p);
}

FILE *pcapio_file(struct pcapio_in *in)
{
	return pcap_file(in->p);
}

void pcapio_close(struct pcapio_in *in)
{
	if (!in)
		return;
	pcap_close(in->p);
	free(in);
}

struct pcapio_out *pcapio_create(struct pcapio_in *in, const char *path,
				 char *err)
{
	struct pcapio_out *out = calloc(1, sizeof(*out));

	if (!out) {
		snprintf(err, 256, "out of memory");
		return NULL;
	}
	out->dead = pcap_open_dead_with_tstamp_precision(
		pcap_datalink(in->p), pcap_snapshot(in->p),
		PCAP_TSTAMP_PRECISION_MICRO);
	if (!out->dead) {
		snprintf(err, 256, "out of memory");
		free(out);
		return NULL;
	}
	out->d = pcap_dump_open(out->dead, path);
	if (!out->d) {
		snprintf(err, 256, "%s", pcap_geterr(out->dead));
		pcap_close(out->dead);
		free(out);
		return NULL;
	}
	return out;
}

void pcapio_write(struct pcapio_out *out, const struct pcapio_pkt *pkt)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = pkt->ts_sec;
	h.ts.tv_usec = pkt->ts_usec;
	h.caplen = pkt->caplen;
	h.len = pkt->len;
	pcap_dump((u_char *)out->d, &h, pkt->data);
}

int pcapio_finish(struct pcapio_out *out)
{
	int err;

	if (!out)
		return 0;
	err = pcap_dump_flush(out->d);
	pcap_dump_close(out->d);
	pcap_close(out->dead);
	free(out);
	return err ? -1 : 0;
}
