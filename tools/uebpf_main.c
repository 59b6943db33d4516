/* SPDX-License-Identifier: MIT */
/*
 * uebpf: bpftool's commands for BPF ELF objects that libuebpf runs in user
 * space.  Options, the top-level command table, errors.  See uebpf(1).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "uebpf_tool.h"

struct tool_opts opts;
const char *bin_name = "uebpf";
const char *batch_file;
unsigned int batch_line;

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (opts.json && !strcmp(kind, "Error")) {
		char full[1200];

		if (batch_file)
			snprintf(full, sizeof(full), "%s:%u: %s", batch_file,
				 batch_line, msg);
		else
			snprintf(full, sizeof(full), "%s", msg);
		if (jsonw_in_object()) {
			jsonw_string_field("error", full);
		} else {
			jsonw_start_object();
			jsonw_string_field("error", full);
			jsonw_end_object();
		}
		return;
	}
	fflush(stdout);
	if (batch_file)
		fprintf(stderr, "%s: %s:%u: %s\n", kind, batch_file, batch_line,
			msg);
	else
		fprintf(stderr, "%s: %s\n", kind, msg);
}

int p_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("Error", fmt, ap);
	va_end(ap);
	return -1;
}

void p_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("Warning", fmt, ap);
	va_end(ap);
}

bool is_prefix(const char *pfx, const char *str)
{
	size_t n;

	if (!pfx || !*pfx)
		return false;
	n = strlen(pfx);
	return strlen(str) >= n && !memcmp(str, pfx, n);
}

/* Edit distance, for "did you mean": small words only. */
static unsigned int distance(const char *a, const char *b)
{
	unsigned int d[32][32], i, j, la = strlen(a), lb = strlen(b);

	if (la >= 32 || lb >= 32)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			unsigned int s =
				d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < s)
				s = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < s)
				s = d[i][j - 1] + 1;
			d[i][j] = s;
		}
	return d[la][lb];
}

int cmd_select(const struct cmd *cmds, int argc, char **argv, const char *what,
	       const char *usage_line)
{
	const struct cmd *c, *best = NULL;
	unsigned int d, best_d = 3;

	if (argc < 1)
		return p_err("missing %s command; usage: %s", what, usage_line);
	for (c = cmds; c->name; c++)
		if (is_prefix(argv[0], c->name))
			return c->fn(argc - 1, argv + 1);
	for (c = cmds; c->name; c++) {
		d = distance(argv[0], c->name);
		if (d < best_d) {
			best_d = d;
			best = c;
		}
	}
	if (best)
		return p_err("unknown %s command '%s' (did you mean '%s'?); "
			     "usage: %s",
			     what, argv[0], best->name, usage_line);
	return p_err("unknown %s command '%s'; usage: %s", what, argv[0],
		     usage_line);
}

static const char usage_text[] =
	"Usage: %1$s [OPTIONS] prog show OBJ [name NAME]\n"
	"       %1$s [OPTIONS] prog dump xlated OBJ [name NAME]\n"
	"       %1$s [OPTIONS] prog run OBJ [name NAME] data_in FILE [data_out "
	"FILE]\n"
	"                        [data_size_out N] [ctx_in FILE] [ctx_out "
	"FILE]\n"
	"                        [ctx_size_out N] [repeat N]\n"
	"       %1$s [OPTIONS] map { show | dump } OBJ [name MAP]\n"
	"       %1$s [OPTIONS] map lookup OBJ [name MAP] key DATA\n"
	"       %1$s [OPTIONS] map getnext OBJ [name MAP] [key DATA]\n"
	"       %1$s [OPTIONS] map update OBJ [name MAP] key DATA value VALUE\n"
	"                        [UPDATE_FLAGS]\n"
	"       %1$s [OPTIONS] map delete OBJ [name MAP] key DATA\n"
	"       %1$s [OPTIONS] pcap OBJ [name NAME] IN.pcap [OUT.pcap]\n"
	"       %1$s [OPTIONS] batch file FILE\n"
	"       %1$s version\n"
	"\n"
	"       DATA := { [hex] BYTES }\n"
	"       VALUE := { DATA | id ID | name NAME }   (map-in-map, prog "
	"array)\n"
	"       UPDATE_FLAGS := { any | exist | noexist }\n"
	"       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} |\n"
	"                    {--interp | --jit} | {-h|--help} | {-V|--version} "
	"|\n"
	"                    --hex | --oneline | --percpu { all | nonzero | "
	"sum } }\n"
	"\n"
	"OBJ is a BPF ELF object file, opened and loaded by libuebpf; in a "
	"batch\n"
	"an object is loaded once and shared by every line that names it.\n"
	"Maps print their keys and values BTF-formatted when the object has "
	"BTF\n"
	"(--hex: bytes); in a batch file, '#!TEXT' prints TEXT.\n"
	"--interp / --jit load every program in the interpreter / the JIT (a\n"
	"program the JIT cannot take is then an error); neither: the library's\n"
	"default (the JIT where there is one; UEBPF_ENGINE=interp|jit changes it).\n"
	"See uebpf(1).\n";

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (opts.json) {
		jsonw_null();
		return 0;
	}
	fprintf(stderr, usage_text, bin_name);
	return 0;
}

/* The engine a two-instruction XDP program gets when loaded with
 * engine: UEBPF_ENGINE_INTERP when the JIT refuses it (a build without
 * one), -1 when nothing loads. */
static int probe_engine(enum uebpf_engine engine)
{
	static const struct bpf_insn pass[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = 2 /* XDP_PASS */},
		{.code = BPF_JMP | BPF_EXIT},
	};
	UEBPF_OPTS(uebpf_runtime_opts, ro, .log_quiet = true);
	UEBPF_OPTS(uebpf_prog_load_opts, lo, .name = "probe",
		   .engine = engine);
	struct uebpf_runtime *rt = uebpf_runtime_new(&ro);
	struct uebpf_prog *prog;
	int ret = -1;

	if (!rt)
		return -1;
	prog = uebpf_prog_load(rt, BPF_PROG_TYPE_XDP, pass, 2, &lo);
	if (prog) {
		ret = (int)uebpf_prog_engine(prog);
		uebpf_prog_free(prog);
	} else if (errno == EOPNOTSUPP) {
		ret = UEBPF_ENGINE_INTERP;
	}
	uebpf_runtime_free(rt);
	return ret;
}

static int do_version(int argc, char **argv)
{
	bool jit = probe_engine(UEBPF_ENGINE_JIT) == UEBPF_ENGINE_JIT;
	int dflt = probe_engine(UEBPF_ENGINE_DEFAULT);
	const char *dname = dflt < 0 ? "unknown" : engine_str(dflt);

	(void)argv;
	if (argc)
		return p_err("'version' takes no arguments, got '%s'", argv[0]);
	if (opts.json) {
		jsonw_start_object();
		jsonw_string_field("version", uebpf_version());
		jsonw_name("features");
		jsonw_start_object();
		jsonw_bool_field("interpreter", true);
		jsonw_bool_field("jit", jit);
		jsonw_end_object();
		jsonw_string_field("default_engine", dname);
		jsonw_end_object();
	} else {
		printf("%s v%s\n", bin_name, uebpf_version());
		printf("using libuebpf %s\n", uebpf_version());
		printf("features: interpreter%s\n", jit ? ", jit" : "");
		/* UEBPF_ENGINE in the environment changes it. */
		printf("default engine: %s\n", dname);
	}
	return 0;
}

static const struct cmd top_cmds[] = {
	{"help", do_help}, {"batch", do_batch}, {"prog", do_prog},
	{"map", do_map},   {"pcap", do_pcap},	{"version", do_version},
	{NULL, NULL},
};

int tool_dispatch(int argc, char **argv)
{
	return cmd_select(
		top_cmds, argc, argv, "top-level",
		"uebpf { prog | map | pcap | batch | version | help } ...");
}

/* --interp / --jit: the engine every program of the command is loaded
 * with.  The library decides whether it can: a --jit load it cannot
 * compile fails with its reason (a build without a JIT, an object that
 * needs the interpreter). */
static int set_engine(enum tool_engine engine)
{
	if (opts.engine != ENGINE_DEFAULT && opts.engine != engine)
		return p_err("--interp and --jit exclude each other; see '%s "
			     "--help'",
			     bin_name);
	opts.engine = engine;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"pretty", no_argument, NULL, 'p'},
		{"debug", no_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"interp", no_argument, NULL, 'I'},
		{"jit", no_argument, NULL, 'J'},
		{"hex", no_argument, NULL, 'x'},
		{"oneline", no_argument, NULL, 'o'},
		{"percpu", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	bool version = false, help = false;
	int opt, ret = 0;

	setlinebuf(stdout);
	opterr = 0;
	/* "+": stop at the first non-option, as bpftool's commands take
	 * arguments that may start with '-' ("-" for stdin). */
	while ((opt = getopt_long(argc, argv, "+:jpdhV", long_opts, NULL)) >=
	       0) {
		switch (opt) {
		case 'p':
			opts.pretty = true;
			/* fall through */
		case 'j':
			opts.json = true;
			jsonw_init(stdout, opts.pretty);
			break;
		case 'd': opts.debug = true; break;
		case 'h': help = true; break;
		case 'V': version = true; break;
		case 'I': ret = set_engine(ENGINE_INTERP); break;
		case 'J': ret = set_engine(ENGINE_JIT); break;
		case 'x': opts.hex = true; break;
		case 'o': opts.oneline = true; break;
		case 'c':
			if (!strcmp(optarg, "all"))
				opts.percpu = PERCPU_ALL;
			else if (!strcmp(optarg, "nonzero"))
				opts.percpu = PERCPU_NONZERO;
			else if (!strcmp(optarg, "sum"))
				opts.percpu = PERCPU_SUM;
			else
				ret = p_err("--percpu: expected 'all', "
					    "'nonzero' or 'sum', got '%s'",
					    optarg);
			break;
		case ':':
			ret = p_err("option '%s' needs an argument; see '%s "
				    "--help'",
				    argv[optind - 1], bin_name);
			break;
		default:
			ret = p_err("unrecognized option '%s'; see '%s --help'",
				    argv[optind - 1], bin_name);
			break;
		}
		if (ret)
			return 255;
	}
	argc -= optind;
	argv += optind;
	if (help)
		ret = do_help(argc, argv);
	else if (version)
		ret = do_version(0, argv);
	else if (argc == 0)
		ret = p_err("missing command; see '%s --help'", bin_name);
	else
		ret = tool_dispatch(argc, argv);
	if (opts.json)
		jsonw_finish();
	tool_objects_free();
	return ret ? 255 : 0;
}
