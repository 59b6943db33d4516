/* SPDX-License-Identifier: MIT */
/*
 * The uebpf command: bpftool's syntax over BPF ELF objects run in user
 * space by libuebpf.  Shared declarations of tools/uebpf*.c; the tool uses
 * only the library's public API.
 */
#ifndef UEBPF_TOOL_H
#define UEBPF_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <uebpf.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- options and errors ---------------------------------------------- */

/* --interp / --jit: the engine of every program the command loads
 * (struct uebpf_object_open_opts.engine); none: the library's default. */
enum tool_engine {
	ENGINE_DEFAULT,
	ENGINE_INTERP,
	ENGINE_JIT,
};

/* Per-CPU values in map output (--percpu). */
enum percpu_mode {
	PERCPU_ALL,	/* one value per CPU, as bpftool */
	PERCPU_NONZERO, /* only the CPUs whose value is not all zero */
	PERCPU_SUM,	/* one value: integer fields summed (needs BTF) */
};

struct tool_opts {
	bool json;
	bool pretty;
	bool debug;   /* -d: the full verifier log of every load */
	bool hex;     /* --hex: keys and values in hex even with BTF */
	bool oneline; /* --oneline: a formatted entry per line */
	enum percpu_mode percpu;
	enum tool_engine engine;
};

extern struct tool_opts opts;
extern const char *bin_name;

/* Where batch commands come from, for messages: "FILE:LINE: ". */
extern const char *batch_file;
extern unsigned int batch_line;

/* Every error goes through here: "Error: ..." on stderr, or
 * {"error": "..."} in the JSON output.  Returns -1 for `return p_err()`. */
int p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- command tables ------------------------------------------------- */

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
};

bool is_prefix(const char *pfx, const char *str);
/* Runs the command argv[0] names (a prefix is enough, as in bpftool);
 * otherwise the error suggests the right form with usage_line. */
int cmd_select(const struct cmd *cmds, int argc, char **argv, const char *what,
	       const char *usage_line);

/* The top-level table: "prog ...", "map ...", ... */
int tool_dispatch(int argc, char **argv);
int do_prog(int argc, char **argv);
int do_map(int argc, char **argv);
int do_pcap(int argc, char **argv);
int do_batch(int argc, char **argv);

/* Argument helpers: NEXT_ARG() moves on; REQ_ARGS(n, what) fails with
 * "missing ..." unless n arguments are left. */
#define NEXT_ARG()      \
	({              \
		argc--; \
		argv++; \
	})
#define REQ_ARGS(n, what)                          \
	({                                         \
		int _ok = argc >= (n);             \
		if (!_ok)                          \
			p_err("missing %s", what); \
		_ok;                               \
	})

/* ---- objects ---------------------------------------------------------- */

struct uebpf_runtime *tool_runtime(void);
/* The object at path, opened and loaded once per process: a batch that
 * names it again gets the same object, with its maps' state.  NULL after
 * printing why. */
struct uebpf_object *tool_object(const char *path);
void tool_objects_free(void);
/* The object's BTF (read once from its file), NULL when it has none. */
const struct btf *tool_object_btf(struct uebpf_object *obj);

/* ---- BTF (uebpf_btf.c) ------------------------------------------------- */

struct btf;
struct btf *tool_btf_load(const char *path);
void tool_btf_free(struct btf *btf);
/* The BTF types of a map's key and value, as libbpf gives them to the
 * kernel: 0 and -ENOENT when the map has none (then it prints in hex). */
int tool_map_btf(const struct btf *btf, const char *name,
		 enum bpf_map_type type, uint32_t key_size, uint32_t value_size,
		 uint32_t *key_id, uint32_t *value_id);
/* Writes the value of type type_id at data through the JSON writer, in
 * bpftool's btf_dumper shape; plain: bpftool's is_plain_text. */
int tool_btf_dump(const struct btf *btf, uint32_t type_id, const void *data,
		  bool plain);
/* dst: CPU 0's value with the integer fields of the other CPUs' added. */
void tool_btf_sum(const struct btf *btf, uint32_t type_id, void *dst,
		  const void *values, unsigned int nr_cpus, size_t step,
		  size_t size);

/* Parses "OBJ [name NAME]" at *argv: the program called NAME, or the
 * object's only/first program.  Moves argc/argv past what it used. */
struct uebpf_object_prog *prog_parse(int *argc, char ***argv,
				     struct uebpf_object **objp);
/* "OBJ [name NAME]" for maps: NAME, or the only map. */
struct uebpf_object_map *map_parse(int *argc, char ***argv,
				   struct uebpf_object **objp);

/* The loaded program, checked to be runnable by the engine chosen. */
struct uebpf_prog *prog_handle(struct uebpf_object_prog *p);
/* The library engine --interp / --jit ask for (UEBPF_ENGINE_DEFAULT when
 * neither), and an engine's name as the tool prints it. */
enum uebpf_engine tool_engine(void);
const char *engine_str(enum uebpf_engine engine);

/* Lower-case kernel names, as libbpf prints them ("xdp", "percpu_hash"). */
const char *prog_type_str(enum bpf_prog_type type, char *buf, size_t n);
const char *map_type_str(enum bpf_map_type type, char *buf, size_t n);

/* ---- JSON writer ------------------------------------------------------ */

void jsonw_init(FILE *f, bool pretty);
/* One line, with a space after ',' and ':' (the plain --oneline output). */
void jsonw_init_spaced(FILE *f);
void jsonw_finish(void);
void jsonw_start_object(void);
void jsonw_end_object(void);
void jsonw_start_array(void);
void jsonw_end_array(void);
void jsonw_name(const char *name);
void jsonw_string(const char *s);
void jsonw_uint(uint64_t v);
void jsonw_int(int64_t v);
void jsonw_bool(bool v);
void jsonw_null(void);
void jsonw_float(double v);
/* A raw value (a number, a quoted "0x0a") written as it is. */
void jsonw_raw(const char *s);
void jsonw_string_field(const char *name, const char *s);
void jsonw_uint_field(const char *name, uint64_t v);
void jsonw_int_field(const char *name, int64_t v);
void jsonw_bool_field(const char *name, bool v);
/* Bytes as bpftool prints keys and values: ["0x0a","0x00",...]. */
void jsonw_hex_bytes(const void *data, size_t n);
/* Bytes as numbers: [10,0,...] (bpftool's data_out). */
void jsonw_dec_bytes(const void *data, size_t n);
/* True while any value is open (an error then lands inside it). */
bool jsonw_active(void);
/* True where the next thing written must be a field name. */
bool jsonw_in_object(void);

/* ---- shared output ---------------------------------------------------- */

/* bpftool's fprint_hex: bytes "0a 00 ..", two spaces after 8, a new line
 * after 16. */
void fprint_hex(FILE *f, const void *data, size_t n, const char *sep);

/* Reads a whole file ("-" for stdin).  0, or -1 after printing why. */
int read_file_all(const char *path, void **data, size_t *size);

#endif /* UEBPF_TOOL_H */
