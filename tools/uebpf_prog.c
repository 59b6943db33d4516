/* SPDX-License-Identifier: MIT */
/*
 * uebpf prog { show | dump xlated | run }: bpftool's prog commands on the
 * programs of an object file.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>

#include "uebpf_tool.h"

static const char prog_usage[] =
	"uebpf prog { show OBJ | dump xlated OBJ | run OBJ data_in FILE ... } "
	"[name NAME]";

/* ---- show ------------------------------------------------------------- */

/* The kernel's license_is_gpl_compatible(). */
static bool gpl_compatible(const char *lic)
{
	static const char *const ok[] = {
		"GPL",		"GPL v2",	"GPL and additional rights",
		"Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL",
	};
	size_t i;

	for (i = 0; lic && i < ARRAY_SIZE(ok); i++)
		if (!strcmp(lic, ok[i]))
			return true;
	return false;
}

/* The maps a loaded program refers to: its ld_imm64 of src
 * BPF_PSEUDO_MAP_FD / _VALUE, whose imm the object sets to the map's id. */
static size_t prog_map_ids(const struct uebpf_object_prog *p, uint32_t *ids,
			   size_t max)
{
	const struct bpf_insn *in = uebpf_object_prog_insns(p);
	size_t n = uebpf_object_prog_insn_cnt(p), i, j, nr = 0;

	for (i = 0; in && i + 1 < n; i++) {
		if (in[i].code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		if (in[i].src_reg == BPF_PSEUDO_MAP_FD ||
		    in[i].src_reg == BPF_PSEUDO_MAP_VALUE) {
			for (j = 0; j < nr && ids[j] != (uint32_t)in[i].imm;
			     j++)
				;
			if (j == nr && nr < max)
				ids[nr++] = (uint32_t)in[i].imm;
		}
		i++;
	}
	return nr;
}

/* Run statistics (uebpf_prog_get_stats()): counted while the runtime's
 * stats are on, as the kernel's with kernel.bpf_stats_enabled; prog run,
 * pcap and batch turn them on.  Shown once the program has run, as
 * bpftool shows them when run_time_ns is not 0. */
static bool prog_stats(const struct uebpf_prog *prog, uint64_t *cnt,
		       uint64_t *ns)
{
	UEBPF_OPTS(uebpf_prog_stats, st);

	*cnt = *ns = 0;
	if (uebpf_prog_get_stats(prog, &st))
		return false;
	*cnt = st.run_cnt;
	*ns = st.run_time_ns;
	return st.run_cnt || st.run_time_ns;
}

static void show_one(struct uebpf_object *obj, struct uebpf_object_prog *p)
{
	struct uebpf_prog *prog = uebpf_object_prog_handle(p);
	enum bpf_prog_type type = uebpf_object_prog_type(p);
	bool gpl = gpl_compatible(uebpf_object_prog_license(p));
	uint64_t run_cnt = 0, run_ns = 0;
	bool stats = prog && prog_stats(prog, &run_cnt, &run_ns);
	const char *check =
		type == BPF_PROG_TYPE_UNSPEC ? "checked" : "verified";
	uint32_t ids[64];
	size_t nr_ids = prog ? prog_map_ids(p, ids, ARRAY_SIZE(ids)) : 0, i;
	size_t insns = prog ? uebpf_prog_insn_cnt(prog) : 0;
	/* Compiled: the JIT runs it, and its code has a size. */
	bool jited = prog && uebpf_prog_engine(prog) == UEBPF_ENGINE_JIT;
	size_t jited_len = jited ? uebpf_prog_jited_len(prog) : 0;
	char tbuf[32];

	(void)obj;
	if (opts.json) {
		jsonw_start_object();
		if (prog)
			jsonw_uint_field("id", uebpf_prog_id(prog));
		jsonw_string_field("type",
				   prog_type_str(type, tbuf, sizeof(tbuf)));
		jsonw_string_field("name", uebpf_object_prog_name(p));
		jsonw_string_field("section", uebpf_object_prog_section(p));
		jsonw_bool_field("gpl_compatible", gpl);
		jsonw_bool_field("loaded", prog != NULL);
		if (stats) {
			jsonw_uint_field("run_time_ns", run_ns);
			jsonw_uint_field("run_cnt", run_cnt);
		}
		if (prog) {
			jsonw_uint_field("bytes_xlated", insns * 8);
			/* bpftool's: bytes_jited only when jited. */
			jsonw_bool_field("jited", jited);
			if (jited)
				jsonw_uint_field("bytes_jited", jited_len);
			jsonw_string_field("engine",
					   engine_str(uebpf_prog_engine(prog)));
			jsonw_uint_field("insns", insns);
			jsonw_bool_field(check, true);
			jsonw_name("map_ids");
			jsonw_start_array();
			for (i = 0; i < nr_ids; i++)
				jsonw_uint(ids[i]);
			jsonw_end_array();
		}
		jsonw_end_object();
		return;
	}
	if (prog)
		printf("%u: ", uebpf_prog_id(prog));
	else
		printf("-: ");
	printf("%s  name %s  section %s%s",
	       prog_type_str(type, tbuf, sizeof(tbuf)),
	       uebpf_object_prog_name(p), uebpf_object_prog_section(p),
	       gpl ? "  gpl" : "");
	if (stats)
		printf(" run_time_ns %llu run_cnt %llu",
		       (unsigned long long)run_ns, (unsigned long long)run_cnt);
	printf("\n");
	if (!prog) {
		printf("\tnot loaded (autoload off)\n");
		return;
	}
	/* bpftool's "xlated NB  jited NB" / "xlated NB  not jited". */
	printf("\txlated %zuB  ", insns * 8);
	if (jited)
		printf("jited %zuB", jited_len);
	else
		printf("not jited");
	printf("  insns %zu  %s  engine %s", insns, check,
	       engine_str(uebpf_prog_engine(prog)));
	if (nr_ids) {
		printf("  map_ids ");
		for (i = 0; i < nr_ids; i++)
			printf("%u%s", ids[i], i + 1 < nr_ids ? "," : "");
	}
	printf("\n");
}

static int do_show(int argc, char **argv)
{
	struct uebpf_object_prog *p;
	struct uebpf_object *obj;
	bool all = argc == 1;

	if (argc < 1)
		return p_err(
			"missing OBJ; usage: uebpf prog show OBJ [name NAME]");
	p = prog_parse(&argc, &argv, &obj);
	if (!p)
		return -1;
	if (argc)
		return p_err("unexpected argument '%s'; usage: uebpf prog show "
			     "OBJ [name NAME]",
			     argv[0]);
	if (!all) {
		show_one(obj, p);
		return 0;
	}
	if (opts.json)
		jsonw_start_array();
	for (p = uebpf_object_next_prog(obj, NULL); p;
	     p = uebpf_object_next_prog(obj, p))
		show_one(obj, p);
	if (opts.json)
		jsonw_end_array();
	return 0;
}

/* ---- dump xlated -------------------------------------------------------- */

static void dump_json(char *text)
{
	char *line, *save = NULL, *colon;

	jsonw_start_array();
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		colon = strchr(line, ':');
		if (!colon)
			continue;
		jsonw_start_object();
		jsonw_uint_field("pc", strtoul(line, NULL, 10));
		jsonw_string_field("disasm", colon + 2);
		jsonw_end_object();
	}
	jsonw_end_array();
}

static int do_dump(int argc, char **argv)
{
	struct uebpf_object_prog *p;
	struct uebpf_object *obj;
	struct uebpf_prog *prog;
	char *text;
	int len;

	if (argc < 1 || !is_prefix(argv[0], "xlated"))
		return p_err(
			"%s; usage: uebpf prog dump xlated OBJ [name NAME] "
			"(only 'xlated': the JIT's code is not dumped)",
			argc ? "expected 'xlated'" : "missing 'xlated'");
	NEXT_ARG();
	p = prog_parse(&argc, &argv, &obj);
	if (!p)
		return -1;
	if (argc)
		return p_err("unexpected argument '%s'; usage: uebpf prog dump "
			     "xlated OBJ [name NAME]",
			     argv[0]);
	prog = prog_handle(p);
	if (!prog)
		return -1;
	len = uebpf_prog_dump_xlated(prog, NULL, 0);
	if (len < 0)
		return p_err("can't dump program: %s", strerror(-len));
	text = malloc((size_t)len + 1);
	if (!text)
		return p_err("out of memory");
	uebpf_prog_dump_xlated(prog, text, (size_t)len + 1);
	if (opts.json)
		dump_json(text);
	else
		fputs(text, stdout);
	free(text);
	return 0;
}

/* ---- run ---------------------------------------------------------------- */

/*
 * The frame BPF_PROG_TEST_RUN builds for XDP (net/bpf/test_run.c): one
 * 4096-byte page, XDP_PACKET_HEADROOM before the packet, the metadata
 * ctx_in asks for taken from that headroom, and the kernel's
 * skb_shared_info reserve at the end, which a libuebpf frame does not
 * count (uebpf/xdp.h).  The bytes around the packet are zero.
 */
#define PAGE		 4096u
#define SHINFO_RESERVE	 320u /* SKB_DATA_ALIGN(sizeof(skb_shared_info)) */
#define ETH_HLEN_	 14u
#define DEFAULT_SIZE_OUT 32768u /* bpftool's default data/ctx_size_out */

struct xdp_md_ {
	uint32_t data, data_end, data_meta;
	uint32_t ingress_ifindex, rx_queue_index, egress_ifindex;
};

struct run_args {
	const char *data_in, *data_out, *ctx_in, *ctx_out;
	uint32_t data_size_out, ctx_size_out, repeat;
};

static int parse_u32(const char *what, const char *s, uint32_t *v)
{
	unsigned long long x;
	char *end;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (!*s || *end || errno || x > UINT32_MAX || *s == '-')
		return p_err("can't parse %s as %s", s, what);
	*v = (uint32_t)x;
	return 0;
}

static int parse_run_args(int argc, char **argv, struct run_args *a)
{
	static const char *const kw[] = {"data_in", "data_out", "data_size_out",
					 "ctx_in",  "ctx_out",	"ctx_size_out",
					 "repeat"};
	size_t i, hits, k = 0;

	a->repeat = 1;
	while (argc) {
		for (i = hits = 0; i < ARRAY_SIZE(kw); i++) {
			if (!strcmp(argv[0], kw[i])) {
				k = i;
				hits = 1;
				break;
			}
			if (is_prefix(argv[0], kw[i])) {
				k = i;
				hits++;
			}
		}
		if (hits == 0)
			return p_err("expected no more arguments, 'data_in', "
				     "'data_out', 'data_size_out', 'ctx_in', "
				     "'ctx_out', 'ctx_size_out' or 'repeat', "
				     "got: '%s'?",
				     argv[0]);
		if (hits > 1) {
			char list[128] = "";

			for (i = 0; i < ARRAY_SIZE(kw); i++)
				if (is_prefix(argv[0], kw[i]))
					snprintf(list + strlen(list),
						 sizeof(list) - strlen(list),
						 "%s'%s'", *list ? " or " : "",
						 kw[i]);
			return p_err("ambiguous prefix: '%s' could be %s",
				     argv[0], list);
		}
		if (argc < 2)
			return p_err("missing argument after '%s'", kw[k]);
		switch (k) {
		case 0: a->data_in = argv[1]; break;
		case 1: a->data_out = argv[1]; break;
		case 2:
			if (parse_u32("output data size", argv[1],
				      &a->data_size_out))
				return -1;
			break;
		case 3: a->ctx_in = argv[1]; break;
		case 4: a->ctx_out = argv[1]; break;
		case 5:
			if (parse_u32("output context size", argv[1],
				      &a->ctx_size_out))
				return -1;
			break;
		case 6:
			if (parse_u32("repeat number", argv[1], &a->repeat))
				return -1;
			break;
		}
		argc -= 2;
		argv += 2;
	}
	if (a->data_in && a->ctx_in && !strcmp(a->data_in, "-") &&
	    !strcmp(a->ctx_in, "-"))
		return p_err("cannot use standard input for both data_in and "
			     "ctx_in");
	if (!a->data_in)
		return p_err("missing data_in: an XDP program runs on a packet "
			     "(at least %u bytes)",
			     ETH_HLEN_);
	return 0;
}

static int run_fail(int err, const char *why)
{
	return p_err("failed to run program: %s (%s)", strerror(err), why);
}

/* Real RX queues of a device, as /sys/class/net/DEV/queues/rx-* count them. */
static unsigned int rx_queues(const char *dev)
{
	char path[64 + IF_NAMESIZE];
	unsigned int n = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", dev);
	d = opendir(path);
	if (!d)
		return 1;
	while ((de = readdir(d)))
		n += !strncmp(de->d_name, "rx-", 3);
	closedir(d);
	return n ? n : 1;
}

/* bpf_ctx_init() and the checks of bpf_prog_test_run_xdp() and
 * xdp_convert_md_to_buff() on a ctx_in. */
static int check_ctx(const void *raw, size_t size, size_t data_size,
		     struct xdp_md_ *md)
{
	const uint8_t *b = raw;
	char dev[IF_NAMESIZE];
	size_t i;

	memset(md, 0, sizeof(*md));
	for (i = sizeof(*md); i < size; i++)
		if (b[i])
			return run_fail(E2BIG, "ctx_in has non-zero bytes past "
					       "struct xdp_md");
	memcpy(md, raw, size < sizeof(*md) ? size : sizeof(*md));
	if (md->data_meta)
		return run_fail(EINVAL, "ctx_in: data_meta must be 0");
	if (md->data_end != data_size)
		return run_fail(EINVAL, "ctx_in: data_end must be the size "
					"of data_in");
	if (md->data > md->data_end)
		return run_fail(EINVAL, "ctx_in: data past data_end");
	if (md->data % 4 || md->data > 32)
		return run_fail(EINVAL, "ctx_in: metadata length (data) "
					"must be a multiple of 4, at most 32");
	if (md->egress_ifindex)
		return run_fail(EINVAL, "ctx_in: egress_ifindex must be 0");
	if (!md->ingress_ifindex && md->rx_queue_index)
		return run_fail(EINVAL, "ctx_in: rx_queue_index without "
					"ingress_ifindex");
	if (md->ingress_ifindex) {
		if (!if_indextoname(md->ingress_ifindex, dev))
			return run_fail(ENODEV, "ctx_in: no device has "
						"ingress_ifindex");
		if (md->rx_queue_index >= rx_queues(dev))
			return run_fail(EINVAL, "ctx_in: rx_queue_index past "
						"the device's RX queues");
	}
	return 0;
}

static int write_out(const char *path, const void *data, size_t n,
		     const char *json_key)
{
	FILE *f;
	size_t w;

	if (!strcmp(path, "-")) {
		if (opts.json) {
			jsonw_name(json_key);
			jsonw_dec_bytes(data, n);
		} else {
			/* bpftool's hex_print */
			const uint8_t *b = data;
			size_t i, j;

			for (i = 0; i < n; i += 16) {
				printf("%07zx\t", i);
				for (j = i; j < i + 16 && j < n; j++)
					printf("%02x%s", b[j],
					       j % 2 ? " " : "");
				for (; j < i + 16; j++)
					printf("  %s", j % 2 ? " " : "");
				printf("| ");
				for (j = i; j < i + 16 && j < n; j++)
					printf("%c%s",
					       b[j] < ' ' || b[j] > '~' ? '.'
									: b[j],
					       j == i + 7 ? " " : "");
				printf("\n");
			}
		}
		return 0;
	}
	f = fopen(path, "wb");
	if (!f)
		return p_err("failed to open %s: %s", path, strerror(errno));
	w = fwrite(data, 1, n, f);
	if (fclose(f) || w != n)
		return p_err("failed to write output data/ctx: %s",
			     strerror(errno));
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int run_xdp(struct uebpf_prog *prog, const struct run_args *a,
		   uint8_t *data_in, size_t data_size, uint8_t *ctx_raw,
		   size_t ctx_size)
{
	UEBPF_OPTS(uebpf_xdp_buff, buf);
	UEBPF_OPTS(uebpf_xdp_result, res);
	uint32_t meta = 0, max_data, repeat = a->repeat ? a->repeat : 1, i;
	uint32_t data_size_out, ctx_size_out;
	uint8_t *frame;
	struct xdp_md_ md;
	uint64_t t0, dt;
	size_t out_len;
	int err = 0, ret;

	if (ctx_raw && check_ctx(ctx_raw, ctx_size, data_size, &md))
		return -1;
	if (ctx_raw)
		meta = md.data;
	if (data_size < ETH_HLEN_)
		return run_fail(EINVAL, "data_in is shorter than an Ethernet "
					"header (14 bytes)");
	max_data = PAGE - (UEBPF_XDP_HEADROOM - meta) - SHINFO_RESERVE;
	if (data_size > max_data)
		return p_err("failed to run program: data_in has %zu bytes, "
			     "one frame holds %u: multi-buffer (fragmented) "
			     "packets are not supported",
			     data_size, max_data);
	frame = calloc(1, PAGE);
	if (!frame)
		return p_err("out of memory");
	memcpy(frame + UEBPF_XDP_HEADROOM - meta, data_in, data_size);
	buf.data_hard_start = frame;
	buf.data_meta = frame + UEBPF_XDP_HEADROOM - meta;
	buf.data = frame + UEBPF_XDP_HEADROOM;
	buf.data_end = frame + UEBPF_XDP_HEADROOM - meta + data_size;
	buf.frame_sz = PAGE - SHINFO_RESERVE;
	/* The kernel runs the test on the loopback device's queue 0 unless
	 * ctx_in names a device: that is what the program reads. */
	buf.ingress_ifindex = if_nametoindex("lo");
	if (ctx_raw && md.ingress_ifindex) {
		buf.ingress_ifindex = md.ingress_ifindex;
		buf.rx_queue_index = md.rx_queue_index;
	}
	/* As the kernel's bpf_test_run(): every repeat runs on the packet as
	 * the previous run left it. */
	t0 = now_ns();
	for (i = 0; i < repeat; i++) {
		ret = uebpf_xdp_run(prog, &buf, &res);
		if (ret < 0) {
			err = ret;
			break;
		}
		buf.data = res.data;
		buf.data_end = res.data_end;
		buf.data_meta = res.data_meta;
	}
	dt = now_ns() - t0;
	if (err) {
		free(frame);
		return p_err("failed to run program: %s", strerror(-err));
	}
	out_len = (size_t)((uint8_t *)res.data_end - (uint8_t *)res.data_meta);
	data_size_out = a->data_size_out ? a->data_size_out : DEFAULT_SIZE_OUT;
	ctx_size_out = a->ctx_size_out ? a->ctx_size_out : DEFAULT_SIZE_OUT;
	if (out_len > data_size_out || (ctx_raw && ctx_size_out < sizeof(md))) {
		free(frame);
		return p_err("failed to run program: %s", strerror(ENOSPC));
	}
	if (opts.json)
		jsonw_start_object();
	/* Output errors do not hide the run's result, as in bpftool. */
	if (a->data_out)
		err |= write_out(a->data_out, res.data_meta, out_len,
				 "data_out");
	if (ctx_raw && a->ctx_out) {
		md.data = (uint32_t)((uint8_t *)res.data -
				     (uint8_t *)res.data_meta);
		md.data_end = (uint32_t)out_len;
		err |= write_out(a->ctx_out, &md, sizeof(md), "ctx_out");
	}
	if (opts.json) {
		jsonw_uint_field("retval", res.retval);
		jsonw_uint_field("duration", dt / repeat);
		jsonw_end_object();
	} else {
		printf("Return value: %u, duration%s: %lluns\n", res.retval,
		       a->repeat > 1 ? " (average)" : "",
		       (unsigned long long)(dt / repeat));
	}
	free(frame);
	return err ? -1 : 0;
}

static int do_run(int argc, char **argv)
{
	struct uebpf_object_prog *p;
	struct uebpf_object *obj;
	struct uebpf_prog *prog;
	struct run_args a = {0};
	void *data = NULL, *ctx = NULL;
	size_t data_size = 0, ctx_size = 0;
	char tbuf[32];
	int err;

	p = prog_parse(&argc, &argv, &obj);
	if (!p)
		return -1;
	if (parse_run_args(argc, argv, &a))
		return -1;
	prog = prog_handle(p);
	if (!prog)
		return -1;
	/* No run statistics here: a lone prog run could not show them, and
	 * their clock reads would land in the duration it reports (batch
	 * turns them on for prog show). */
	if (uebpf_prog_type(prog) != BPF_PROG_TYPE_XDP)
		return p_err("program '%s' is of type %s: prog run runs XDP "
			     "programs",
			     uebpf_prog_name(prog),
			     prog_type_str(uebpf_prog_type(prog), tbuf,
					   sizeof(tbuf)));
	if (read_file_all(a.data_in, &data, &data_size))
		return -1;
	if (a.ctx_in && read_file_all(a.ctx_in, &ctx, &ctx_size)) {
		free(data);
		return -1;
	}
	err = run_xdp(prog, &a, data, data_size, ctx, ctx_size);
	free(data);
	free(ctx);
	return err;
}

int do_prog(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{"show", do_show}, {"list", do_show}, {"dump", do_dump},
		{"run", do_run},   {NULL, NULL},
	};

	return cmd_select(cmds, argc, argv, "prog", prog_usage);
}
