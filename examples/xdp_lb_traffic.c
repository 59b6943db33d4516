/* SPDX-License-Identifier: MIT */
/*
 * The load balancer's sample traffic as a pcap file, and its
 * configuration as `uebpf batch` lines.
 *
 *   xdp_lb_traffic [-n COUNT] [-s SEED] OUT.pcap
 *       COUNT frames of xdp_lb_traffic(SEED) (tests/progs/xdp_lb_cp.c):
 *       TCP, UDP and pings to the demo VIPs over IPv4 and IPv6, VLAN and
 *       QinQ tags, IP options and IPv6 extension headers, fragments,
 *       foreign and malformed frames; the same file for the same seed.
 *   xdp_lb_traffic -b OBJECT
 *       the demo configuration (xdp_lb_configure) as lines of
 *       `map update OBJECT name MAP key hex .. value hex ..` on stdout.
 *   xdp_lb_traffic -S OBJECT
 *       `map lookup` lines for the statistics (lb_stats' named slots, the
 *       demo VIPs' lb_vip_stats), each after a comment naming it.
 *
 *   cc xdp_lb_traffic.c ../tests/progs/xdp_lb_cp.c -I../tests/progs -lpcap
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xdp_lb_cp.h"

struct out {
	pcap_dumper_t *dump;
	unsigned int n;
};

static int write_frame(void *ctx, const void *pkt, size_t len)
{
	struct out *o = ctx;
	struct pcap_pkthdr h = {0};

	/* Timestamps 1 ms apart from the epoch: the file depends only on
	 * the seed. */
	h.ts.tv_sec = o->n / 1000;
	h.ts.tv_usec = (o->n % 1000) * 1000;
	h.caplen = h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)o->dump, &h, pkt);
	o->n++;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int count = 10000, seed = 1;
	const char *batch_obj = NULL, *stats_obj = NULL;
	struct out o = {0};
	pcap_t *dead;
	int opt, rc;

	while ((opt = getopt(argc, argv, "n:s:b:S:h")) != -1) {
		switch (opt) {
		case 'n': count = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 's': seed = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'b': batch_obj = optarg; break;
		case 'S': stats_obj = optarg; break;
		default: goto usage;
		}
	}
	if (batch_obj) {
		rc = xdp_lb_write_batch(stdout, batch_obj);
		if (rc || fflush(stdout)) {
			fprintf(stderr, "writing the batch: %s\n",
				strerror(rc ? -rc : errno));
			return 1;
		}
		return 0;
	}
	if (stats_obj) {
		const struct xdp_lb_vip_def *vips;
		unsigned int i, n;

		/* "#!" lines and labels: uebpf batch prints them, so each
		 * statistic reads with its name (uebpf(1), BATCH FILES). */
		printf("#!\n#! lb_stats: every packet in one verdict slot, "
		       "and the paths it took\n");
		for (i = 0; i < LB_STAT_MAX; i++)
			printf("map lookup %s name lb_stats key %u 0 0 0"
			       "  #! %s\n",
			       stats_obj, i, lb_stat_names[i]);
		printf("#!\n#! lb_vip_stats: packets and bytes per VIP\n");
		vips = xdp_lb_demo_vips(&n);
		for (i = 0; i < n; i++)
			printf("map lookup %s name lb_vip_stats key %u %u 0 0"
			       "  #! %s\n",
			       stats_obj, vips[i].meta.vip_num & 0xff,
			       vips[i].meta.vip_num >> 8, vips[i].name);
		return 0;
	}
	if (optind != argc - 1)
		goto usage;
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	o.dump = dead ? pcap_dump_open(dead, argv[optind]) : NULL;
	if (!o.dump) {
		fprintf(stderr, "%s: %s\n", argv[optind],
			dead ? pcap_geterr(dead) : "pcap_open_dead failed");
		return 1;
	}
	rc = xdp_lb_traffic(seed, count, write_frame, &o);
	pcap_dump_close(o.dump);
	pcap_close(dead);
	if (rc < 0) {
		fprintf(stderr, "traffic: %s\n", strerror(-rc));
		return 1;
	}
	printf("wrote %u frames (seed %u) to %s\n", o.n, seed, argv[optind]);
	return 0;
usage:
	fprintf(stderr,
		"usage: %s [-n COUNT] [-s SEED] OUT.pcap\n"
		"       %s -b OBJECT > config.batch\n"
		"       %s -S OBJECT > stats.batch\n",
		argv[0], argv[0], argv[0]);
	return 2;
}
