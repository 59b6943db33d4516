// SPDX-License-Identifier: MIT
/*
 * pcap files for the uebpf command's tests, with libpcap only:
 *   pcapgen write FILE N      N Ethernet frames: IPv4, IPv6, ARP and an
 *                             unknown EtherType in turn, of varied lengths
 *   pcapgen expect IN OUT     what tool_rewrite.o's classify does to IN,
 *                             written independently of the library: the
 *                             packets it passes or sends back, in OUT,
 *                             and the verdict counts on stdout
 *   pcapgen dump FILE         one line per packet: caplen, len, hex bytes
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

static const unsigned char kinds[4][2] = {
	{0x08, 0x00},
	{0x86, 0xdd},
	{0x08, 0x06},
	{0x12, 0x34},
};

static int write_file(const char *path, int n)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = dead ? pcap_dump_open(dead, path) : NULL;
	unsigned char pkt[1600];
	struct pcap_pkthdr h;
	int i, j;

	if (!d) {
		fprintf(stderr, "pcapgen: can't write %s\n", path);
		return 1;
	}
	for (i = 0; i < n; i++) {
		size_t len = 60 + (size_t)(i * 37) % 1400;

		for (j = 0; j < (int)len; j++)
			pkt[j] = (unsigned char)(i * 7 + j * 13);
		memcpy(&pkt[12], kinds[i % 4], 2);
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = 1700000000 + i;
		h.ts.tv_usec = i;
		h.caplen = h.len = (bpf_u_int32)len;
		pcap_dump((u_char *)d, &h, pkt);
	}
	pcap_dump_close(d);
	pcap_close(dead);
	return 0;
}

static int expect(const char *in_path, const char *out_path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *in = pcap_open_offline(in_path, err), *dead;
	unsigned long counts[5] = {0};
	static const char *const names[5] = {"XDP_ABORTED", "XDP_DROP",
					     "XDP_PASS", "XDP_TX",
					     "XDP_REDIRECT"};
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_dumper_t *d;
	unsigned char pkt[65536], t;
	int i, act;

	if (!in) {
		fprintf(stderr, "pcapgen: %s\n", err);
		return 1;
	}
	dead = pcap_open_dead(pcap_datalink(in), pcap_snapshot(in));
	d = pcap_dump_open(dead, out_path);
	if (!d)
		return 1;
	while (pcap_next_ex(in, &h, &data) == 1) {
		memcpy(pkt, data, h->caplen);
		if (h->caplen < 14) {
			act = 0;
		} else if (pkt[12] == 0x08 && pkt[13] == 0x00) {
			for (i = 0; i < 6; i++) {
				t = pkt[i];
				pkt[i] = pkt[6 + i];
				pkt[6 + i] = t;
			}
			act = 2;
		} else if (pkt[12] == 0x86 && pkt[13] == 0xdd) {
			if (h->caplen >= 15)
				pkt[14] ^= 0xff;
			act = 3;
		} else if (pkt[12] == 0x08 && pkt[13] == 0x06) {
			act = 1;
		} else {
			act = 4;
		}
		counts[act]++;
		if (act == 2 || act == 3)
			pcap_dump((u_char *)d, h, pkt);
	}
	pcap_dump_close(d);
	pcap_close(dead);
	pcap_close(in);
	for (i = 0; i < 5; i++)
		printf("%s %lu\n", names[i], counts[i]);
	return 0;
}

static int dump(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *in = pcap_open_offline(path, err);
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned int i;

	if (!in) {
		fprintf(stderr, "pcapgen: %s\n", err);
		return 1;
	}
	printf("linktype %d\n", pcap_datalink(in));
	while (pcap_next_ex(in, &h, &data) == 1) {
		printf("%u %u %ld.%06ld ", h->caplen, h->len,
		       (long)h->ts.tv_sec, (long)h->ts.tv_usec);
		for (i = 0; i < h->caplen; i++)
			printf("%02x", data[i]);
		printf("\n");
	}
	pcap_close(in);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "write"))
		return write_file(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "expect"))
		return expect(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "dump"))
		return dump(argv[2]);
	fprintf(stderr, "usage: pcapgen { write FILE N | expect IN OUT | dump "
			"FILE }\n");
	return 2;
}
