/* SPDX-License-Identifier: MIT */
/*
 * uebpf pcap OBJ [name NAME] IN.pcap [OUT.pcap]: every packet of a capture
 * through an XDP program; the packets it passes or sends back (XDP_PASS,
 * XDP_TX), as the program left them, go to OUT.pcap; a summary of the
 * verdicts follows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "uebpf_pcapio.h"
#include "uebpf_tool.h"

/* A frame as BPF_PROG_TEST_RUN and page-based drivers give one: a
 * 4096-byte page less the kernel's skb_shared_info reserve, 256 bytes of
 * headroom; a packet too long for it gets a frame its own size plus the
 * same tailroom. */
#define PAGE	       4096u
#define SHINFO_RESERVE 320u
#define DATA_ROOM      (PAGE - UEBPF_XDP_HEADROOM - SHINFO_RESERVE)
#define MAX_TARGETS    32

struct target {
	enum uebpf_xdp_redirect_kind kind;
	uint32_t ifindex;
	const char *map;
	uint32_t key;
	uint64_t count;
};

struct pcap_stats {
	uint64_t packets, bytes_in, written, errors;
	uint64_t actions[XDP_REDIRECT + 1];
	uint64_t run_ns, wall_ns;
	struct target targets[MAX_TARGETS];
	unsigned int nr_targets;
	uint64_t other_targets;
	int first_err;
};

static const char *const action_names[] = {
	"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT",
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void count_target(struct pcap_stats *s, const struct uebpf_xdp_result *r)
{
	const char *map =
		r->redirect.map ? uebpf_map_name(r->redirect.map) : NULL;
	unsigned int i;

	for (i = 0; i < s->nr_targets; i++) {
		struct target *t = &s->targets[i];

		if (t->kind == r->redirect.kind &&
		    t->ifindex == r->redirect.ifindex && t->map == map &&
		    t->key == r->redirect.key) {
			t->count++;
			return;
		}
	}
	if (s->nr_targets == MAX_TARGETS) {
		s->other_targets++;
		return;
	}
	s->targets[s->nr_targets++] = (struct target){
		.kind = r->redirect.kind,
		.ifindex = r->redirect.ifindex,
		.map = map,
		.key = r->redirect.key,
		.count = 1,
	};
}

/* A progress bar on a terminal, for files over 4 MiB. */
struct progress {
	bool on;
	long size;
	FILE *f;
	int last;
};

static void progress_init(struct progress *p, struct pcapio_in *in,
			  const char *path)
{
	struct stat st;

	memset(p, 0, sizeof(*p));
	p->last = -1;
	if (!isatty(STDERR_FILENO) || stat(path, &st) || st.st_size < (4 << 20))
		return;
	p->on = true;
	p->size = st.st_size;
	p->f = pcapio_file(in);
}

static void progress_show(struct progress *p, bool done)
{
	long pos;
	int pct, i;

	if (!p->on)
		return;
	pos = done ? p->size : (p->f ? ftell(p->f) : 0);
	pct = p->size ? (int)(pos * 100 / p->size) : 100;
	if (pct == p->last && !done)
		return;
	p->last = pct;
	fputs("\r[", stderr);
	for (i = 0; i < 50; i++)
		fputc(i < pct / 2 ? '#' : ' ', stderr);
	fprintf(stderr, "] %3d%%", pct);
	if (done)
		fputs("\n", stderr);
	fflush(stderr);
}

static void print_summary(const struct pcap_stats *s, const char *out)
{
	double ns = s->packets ? (double)s->run_ns / s->packets : 0;
	double pps = s->run_ns ? s->packets * 1e9 / s->run_ns : 0;
	unsigned int i;
	char buf[64];

	if (opts.json) {
		jsonw_start_object();
		jsonw_uint_field("packets", s->packets);
		jsonw_uint_field("bytes", s->bytes_in);
		jsonw_name("actions");
		jsonw_start_object();
		for (i = 0; i <= XDP_REDIRECT; i++)
			jsonw_uint_field(action_names[i], s->actions[i]);
		jsonw_end_object();
		jsonw_uint_field("errors", s->errors);
		jsonw_name("redirect_targets");
		jsonw_start_array();
		for (i = 0; i < s->nr_targets; i++) {
			const struct target *t = &s->targets[i];

			jsonw_start_object();
			if (t->kind == UEBPF_XDP_REDIRECT_NONE) {
				jsonw_string_field("kind", "none");
			} else if (t->kind == UEBPF_XDP_REDIRECT_IFINDEX) {
				jsonw_string_field("kind", "ifindex");
				jsonw_uint_field("ifindex", t->ifindex);
			} else {
				jsonw_string_field("kind", "map");
				jsonw_string_field("map", t->map);
				jsonw_uint_field("key", t->key);
			}
			jsonw_uint_field("packets", t->count);
			jsonw_end_object();
		}
		jsonw_end_array();
		if (out) {
			jsonw_string_field("output", out);
			jsonw_uint_field("written", s->written);
		}
		jsonw_uint_field("run_ns", s->run_ns);
		jsonw_name("ns_per_packet");
		jsonw_float(ns);
		jsonw_name("packets_per_second");
		jsonw_float(pps);
		jsonw_end_object();
		return;
	}
	printf("packets %llu  bytes %llu\n", (unsigned long long)s->packets,
	       (unsigned long long)s->bytes_in);
	for (i = 0; i <= XDP_REDIRECT; i++)
		printf("  %-13s %llu\n", action_names[i],
		       (unsigned long long)s->actions[i]);
	if (s->errors)
		printf("  run errors    %llu (counted as XDP_ABORTED; first: "
		       "%s)\n",
		       (unsigned long long)s->errors, strerror(-s->first_err));
	for (i = 0; i < s->nr_targets; i++) {
		const struct target *t = &s->targets[i];

		if (t->kind == UEBPF_XDP_REDIRECT_NONE)
			snprintf(buf, sizeof(buf), "no target (dropped)");
		else if (t->kind == UEBPF_XDP_REDIRECT_IFINDEX)
			snprintf(buf, sizeof(buf), "ifindex %u", t->ifindex);
		else
			snprintf(buf, sizeof(buf), "map %s key %u", t->map,
				 t->key);
		printf("  redirect to %s: %llu\n", buf,
		       (unsigned long long)t->count);
	}
	if (s->other_targets)
		printf("  redirect to other targets: %llu\n",
		       (unsigned long long)s->other_targets);
	if (out)
		printf("wrote %llu packets (XDP_PASS, XDP_TX) to %s\n",
		       (unsigned long long)s->written, out);
	printf("%.1f ns per packet, %.0f packets/s (program runs only)\n", ns,
	       pps);
}

/* Zeroed frame of room for len bytes of packet. */
struct frame {
	uint8_t *mem;
	size_t size;
};

static int frame_for(struct frame *f, size_t len, uint32_t *frame_sz)
{
	size_t room = len > DATA_ROOM ? len : DATA_ROOM;
	size_t need = UEBPF_XDP_HEADROOM + room;

	if (need > f->size) {
		uint8_t *m = realloc(f->mem, need);

		if (!m)
			return -ENOMEM;
		f->mem = m;
		f->size = need;
	}
	/* Every byte a program may see or expose starts as zero, as in
	 * BPF_PROG_TEST_RUN: the results do not depend on earlier packets. */
	memset(f->mem, 0, need);
	*frame_sz = (uint32_t)need;
	return 0;
}

static int run_file(struct uebpf_prog *prog, struct pcapio_in *in,
		    struct pcapio_out *out, struct progress *pg,
		    struct pcap_stats *s)
{
	UEBPF_OPTS(uebpf_xdp_buff, buf);
	UEBPF_OPTS(uebpf_xdp_result, res);
	struct frame f = {0};
	struct pcapio_pkt pkt;
	uint64_t t0, t1;
	int rc, ret;

	while ((rc = pcapio_next(in, &pkt)) == 1) {
		uint32_t frame_sz;

		if (frame_for(&f, pkt.caplen, &frame_sz)) {
			free(f.mem);
			return p_err("out of memory");
		}
		memcpy(f.mem + UEBPF_XDP_HEADROOM, pkt.data, pkt.caplen);
		buf.data_hard_start = f.mem;
		buf.data = f.mem + UEBPF_XDP_HEADROOM;
		buf.data_end = f.mem + UEBPF_XDP_HEADROOM + pkt.caplen;
		buf.data_meta = NULL;
		buf.frame_sz = frame_sz;
		t0 = now_ns();
		ret = uebpf_xdp_run(prog, &buf, &res);
		t1 = now_ns();
		s->run_ns += t1 - t0;
		s->packets++;
		s->bytes_in += pkt.caplen;
		if (ret < 0) {
			if (!s->errors)
				s->first_err = ret;
			s->errors++;
			s->actions[XDP_ABORTED]++;
		} else {
			s->actions[res.action]++;
			if (res.action == XDP_REDIRECT)
				count_target(s, &res);
		}
		if (out && ret >= 0 &&
		    (res.action == XDP_PASS || res.action == XDP_TX)) {
			struct pcapio_pkt o = pkt;

			o.data = res.data;
			o.caplen = (uint32_t)((uint8_t *)res.data_end -
					      (uint8_t *)res.data);
			/* What the capture cut off still counts in len. */
			o.len = pkt.len - pkt.caplen + o.caplen;
			pcapio_write(out, &o);
			s->written++;
		}
		if (!(s->packets & 4095))
			progress_show(pg, false);
	}
	free(f.mem);
	if (rc < 0)
		return p_err("reading packet %llu: %s",
			     (unsigned long long)s->packets + 1,
			     pcapio_error(in));
	return 0;
}

int do_pcap(int argc, char **argv)
{
	struct uebpf_object_prog *p;
	struct uebpf_object *obj;
	struct uebpf_prog *prog;
	struct pcapio_out *out = NULL;
	struct pcapio_in *in;
	const char *in_path, *out_path = NULL;
	struct pcap_stats s;
	struct progress pg;
	char tbuf[32], ebuf[256];
	uint64_t t0;
	int err;

	if (argc < 2)
		return p_err("missing %s; usage: uebpf pcap OBJ [name NAME] "
			     "IN.pcap [OUT.pcap]",
			     argc ? "IN.pcap" : "OBJ and IN.pcap");
	p = prog_parse(&argc, &argv, &obj);
	if (!p)
		return -1;
	if (argc < 1 || argc > 2)
		return p_err("%s; usage: uebpf pcap OBJ [name NAME] IN.pcap "
			     "[OUT.pcap]",
			     argc ? "too many arguments" : "missing IN.pcap");
	in_path = argv[0];
	if (argc == 2)
		out_path = argv[1];
	prog = prog_handle(p);
	if (!prog)
		return -1;
	uebpf_runtime_enable_stats(tool_runtime(), true);
	if (uebpf_prog_type(prog) != BPF_PROG_TYPE_XDP)
		return p_err(
			"program '%s' is of type %s: pcap runs XDP programs",
			uebpf_prog_name(prog),
			prog_type_str(uebpf_prog_type(prog), tbuf,
				      sizeof(tbuf)));
	in = pcapio_open(in_path, ebuf);
	if (!in)
		return p_err("can't read pcap file %s: %s", in_path, ebuf);
	if (out_path) {
		out = pcapio_create(in, out_path, ebuf);
		if (!out) {
			pcapio_close(in);
			return p_err("can't write pcap file %s: %s", out_path,
				     ebuf);
		}
	}
	memset(&s, 0, sizeof(s));
	progress_init(&pg, in, in_path);
	t0 = now_ns();
	err = run_file(prog, in, out, &pg, &s);
	s.wall_ns = now_ns() - t0;
	progress_show(&pg, true);
	if (pcapio_finish(out) && !err)
		err = p_err("can't write pcap file %s", out_path);
	if (!err)
		print_summary(&s, out_path);
	pcapio_close(in);
	return err;
}
