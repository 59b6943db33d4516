/* SPDX-License-Identifier: MIT */
/*
 * Objects: one runtime per process, each object file opened and loaded
 * once (a batch shares it), programs and maps found by name.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "uebpf_tool.h"

#define LOG_SIZE       (1u << 20)
#define DEBUG_LOG_SIZE (16u << 20)

struct tool_obj {
	char *path; /* as resolved by realpath(), the cache key */
	struct uebpf_object *obj;
	char *log;
	struct btf *btf;
	bool btf_read;
};

static struct uebpf_runtime *rt;
static struct tool_obj *objs;
static size_t nr_objs;
/* The last lookup, so a batch of a million lines naming one object does
 * not resolve its path a million times. */
static const char *last_arg;
static size_t last_idx;

static void log_cb(enum uebpf_log_level level, const char *msg, void *ctx)
{
	size_t n = strlen(msg);

	(void)ctx;
	(void)level;
	fflush(stdout);
	fprintf(stderr, "libuebpf: %s%s", msg,
		n && msg[n - 1] == '\n' ? "" : "\n");
}

struct uebpf_runtime *tool_runtime(void)
{
	if (!rt) {
		UEBPF_OPTS(uebpf_runtime_opts, ro, .log_fn = log_cb,
			   .log_level = opts.debug ? UEBPF_LOG_DEBUG
						   : UEBPF_LOG_WARN);

		rt = uebpf_runtime_new(&ro);
		if (!rt)
			p_err("cannot create the libuebpf runtime: %s",
			      strerror(errno));
	}
	return rt;
}

void tool_objects_free(void)
{
	size_t i;

	for (i = 0; i < nr_objs; i++) {
		uebpf_object_close(objs[i].obj);
		free(objs[i].path);
		free(objs[i].log);
		tool_btf_free(objs[i].btf);
	}
	free(objs);
	objs = NULL;
	nr_objs = 0;
	last_arg = NULL;
	uebpf_runtime_free(rt);
	rt = NULL;
}

static void print_log(const char *path, const char *log)
{
	if (!log || !*log)
		return;
	fflush(stdout);
	fprintf(stderr, "-- verifier log of %s --\n%s%s-- end of log --\n",
		path, log, log[strlen(log) - 1] == '\n' ? "" : "\n");
}

static int open_error(const char *path, int err)
{
	switch (err) {
	case ENOEXEC:
		return p_err("%s: not a BPF ELF object file (need a 64-bit "
			     "little-endian EM_BPF relocatable ELF)",
			     path);
	case EOPNOTSUPP:
		return p_err("%s: uses a feature libuebpf does not support "
			     "(see the message above)",
			     path);
	default:
		return p_err("can't open object file %s: %s", path,
			     strerror(err));
	}
}

static struct uebpf_object *load(const char *arg, const char *path, char **logp)
{
	size_t log_size = opts.debug ? DEBUG_LOG_SIZE : LOG_SIZE;
	char *log = calloc(1, log_size);
	struct uebpf_object *obj;
	int err;

	if (!log) {
		p_err("out of memory");
		return NULL;
	}
	{
		UEBPF_OPTS(uebpf_object_open_opts, oo, .log_buf = log,
			   .log_size = log_size,
			   .log_level = opts.debug ? 1 | 2 | 4 : 1,
			   .engine = tool_engine());

		obj = uebpf_object_open_file(tool_runtime(), path, &oo);
	}
	if (!obj) {
		open_error(arg, errno);
		free(log);
		return NULL;
	}
	err = uebpf_object_load(obj);
	if (err) {
		print_log(arg, log);
		p_err("failed to load object file %s: %s", arg, strerror(-err));
		uebpf_object_close(obj);
		free(log);
		return NULL;
	}
	if (opts.debug)
		print_log(arg, log);
	*logp = log;
	return obj;
}

struct uebpf_object *tool_object(const char *arg)
{
	char real[PATH_MAX];
	struct tool_obj *t;
	struct stat st;
	size_t i;

	if (last_arg && !strcmp(last_arg, arg))
		return objs[last_idx].obj;
	if (!tool_runtime())
		return NULL;
	if (stat(arg, &st)) {
		p_err("can't open object file %s: %s", arg, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		p_err("%s: not a regular file (expected a BPF ELF object)",
		      arg);
		return NULL;
	}
	if (!realpath(arg, real)) {
		p_err("can't resolve %s: %s", arg, strerror(errno));
		return NULL;
	}
	for (i = 0; i < nr_objs; i++)
		if (!strcmp(objs[i].path, real))
			goto found;
	t = realloc(objs, (nr_objs + 1) * sizeof(*objs));
	if (!t) {
		p_err("out of memory");
		return NULL;
	}
	objs = t;
	t = &objs[nr_objs];
	memset(t, 0, sizeof(*t));
	t->obj = load(arg, real, &t->log);
	if (!t->obj)
		return NULL;
	t->path = strdup(real);
	if (!t->path) {
		uebpf_object_close(t->obj);
		free(t->log);
		p_err("out of memory");
		return NULL;
	}
	i = nr_objs++;
found:
	/* objs[i].path outlives the batch line arg points into: keep it. */
	last_idx = i;
	last_arg = NULL;
	if (strlen(arg) < PATH_MAX) {
		static char last_buf[PATH_MAX];

		strcpy(last_buf, arg);
		last_arg = last_buf;
	}
	return objs[i].obj;
}

const struct btf *tool_object_btf(struct uebpf_object *obj)
{
	size_t i;

	for (i = 0; i < nr_objs; i++) {
		if (objs[i].obj != obj)
			continue;
		if (!objs[i].btf_read) {
			objs[i].btf = tool_btf_load(objs[i].path);
			objs[i].btf_read = true;
		}
		return objs[i].btf;
	}
	return NULL;
}

/* "name NAME" if it comes next. */
static const char *parse_name(int *argc, char ***argv)
{
	const char *name;

	if (*argc < 1 || strcmp((*argv)[0], "name"))
		return NULL;
	if (*argc < 2) {
		p_err("missing NAME after 'name'");
		return "";
	}
	name = (*argv)[1];
	*argc -= 2;
	*argv += 2;
	return name;
}

static void list_progs(const struct uebpf_object *obj, char *buf, size_t n)
{
	struct uebpf_object_prog *p;
	size_t len = 0;

	buf[0] = '\0';
	for (p = uebpf_object_next_prog(obj, NULL); p && len + 2 < n;
	     p = uebpf_object_next_prog(obj, p))
		len += snprintf(buf + len, n - len, "%s%s", len ? ", " : "",
				uebpf_object_prog_name(p));
}

static void list_maps(const struct uebpf_object *obj, char *buf, size_t n)
{
	struct uebpf_object_map *m;
	size_t len = 0;

	buf[0] = '\0';
	for (m = uebpf_object_next_map(obj, NULL); m && len + 2 < n;
	     m = uebpf_object_next_map(obj, m))
		len += snprintf(buf + len, n - len, "%s%s", len ? ", " : "",
				uebpf_object_map_name(m));
}

struct uebpf_object_prog *prog_parse(int *argc, char ***argv,
				     struct uebpf_object **objp)
{
	struct uebpf_object_prog *p;
	struct uebpf_object *obj;
	const char *path, *name;
	char list[512];

	if (*argc < 1) {
		p_err("missing OBJ (a BPF ELF object file)");
		return NULL;
	}
	path = (*argv)[0];
	(*argc)--;
	(*argv)++;
	name = parse_name(argc, argv);
	if (name && !*name)
		return NULL;
	obj = tool_object(path);
	if (!obj)
		return NULL;
	*objp = obj;
	if (name) {
		p = uebpf_object_find_prog(obj, name);
		if (!p) {
			list_progs(obj, list, sizeof(list));
			p_err("no program named '%s' in %s (programs: %s)",
			      name, path, *list ? list : "none");
		}
		return p;
	}
	/* The first program that was loaded, as bpftool prog load takes the
	 * first one. */
	for (p = uebpf_object_next_prog(obj, NULL); p;
	     p = uebpf_object_next_prog(obj, p))
		if (uebpf_object_prog_autoload(p))
			return p;
	p_err("%s has no program to run", path);
	return NULL;
}

struct uebpf_object_map *map_parse(int *argc, char ***argv,
				   struct uebpf_object **objp)
{
	struct uebpf_object_map *m, *first;
	struct uebpf_object *obj;
	const char *path, *name;
	char list[512];

	if (*argc < 1) {
		p_err("missing OBJ (a BPF ELF object file)");
		return NULL;
	}
	path = (*argv)[0];
	(*argc)--;
	(*argv)++;
	name = parse_name(argc, argv);
	if (name && !*name)
		return NULL;
	obj = tool_object(path);
	if (!obj)
		return NULL;
	*objp = obj;
	if (name) {
		m = uebpf_object_find_map(obj, name);
		if (!m) {
			list_maps(obj, list, sizeof(list));
			p_err("no map named '%s' in %s (maps: %s)", name, path,
			      *list ? list : "none");
		}
		return m;
	}
	first = uebpf_object_next_map(obj, NULL);
	if (!first) {
		p_err("%s has no maps", path);
		return NULL;
	}
	if (uebpf_object_next_map(obj, first)) {
		list_maps(obj, list, sizeof(list));
		p_err("%s has several maps (%s): choose one with 'name MAP'",
		      path, list);
		return NULL;
	}
	return first;
}

struct uebpf_prog *prog_handle(struct uebpf_object_prog *p)
{
	struct uebpf_prog *prog = uebpf_object_prog_handle(p);

	if (!prog) {
		p_err("program '%s' was not loaded (%s)",
		      uebpf_object_prog_name(p),
		      errno == ENOENT ? "its autoload is off"
				      : strerror(errno));
		return NULL;
	}
	/* The library fails a load it cannot give the engine asked for;
	 * this only guards that promise. */
	if (tool_engine() != UEBPF_ENGINE_DEFAULT &&
	    uebpf_prog_engine(prog) != tool_engine()) {
		p_err("program '%s' runs on engine %s, not %s as asked",
		      uebpf_object_prog_name(p),
		      engine_str(uebpf_prog_engine(prog)),
		      engine_str(tool_engine()));
		return NULL;
	}
	return prog;
}

enum uebpf_engine tool_engine(void)
{
	switch (opts.engine) {
	case ENGINE_INTERP: return UEBPF_ENGINE_INTERP;
	case ENGINE_JIT: return UEBPF_ENGINE_JIT;
	default: return UEBPF_ENGINE_DEFAULT;
	}
}

const char *engine_str(enum uebpf_engine engine)
{
	switch (engine) {
	case UEBPF_ENGINE_INTERP: return "interp";
	case UEBPF_ENGINE_JIT: return "jit";
	default: return "default";
	}
}

static const char *lower(const char *name, char *buf, size_t n)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < n; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[i] = '\0';
	return buf;
}

const char *prog_type_str(enum bpf_prog_type type, char *buf, size_t n)
{
	const char *name = uebpf_prog_type_name(type);

	if (type == BPF_PROG_TYPE_UNSPEC)
		return "raw";
	if (!name) {
		snprintf(buf, n, "type %u", (unsigned int)type);
		return buf;
	}
	return lower(name, buf, n);
}

const char *map_type_str(enum bpf_map_type type, char *buf, size_t n)
{
	const char *name = uebpf_map_type_name(type);

	if (!name) {
		snprintf(buf, n, "type %u", (unsigned int)type);
		return buf;
	}
	return lower(name, buf, n);
}

void fprint_hex(FILE *f, const void *data, size_t n, const char *sep)
{
	const uint8_t *b = data;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *pfx = "";

		if (i && !(i % 16))
			fputc('\n', f);
		else if (i && !(i % 8))
			fputs("  ", f);
		else if (i)
			pfx = sep;
		fprintf(f, "%s%02x", pfx, b[i]);
	}
}

int read_file_all(const char *path, void **data, size_t *size)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 4096, len = 0, n;
	char *buf, *t;

	if (!f)
		return p_err("failed to open %s: %s", path, strerror(errno));
	buf = malloc(cap);
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			t = cap < (1u << 30) ? realloc(buf, cap * 2) : NULL;
			if (!t) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = t;
			cap *= 2;
		}
	}
	if (!buf || ferror(f)) {
		int e = buf ? errno : ENOMEM;

		free(buf);
		if (f != stdin)
			fclose(f);
		return p_err("failed to read %s: %s", path, strerror(e));
	}
	if (f != stdin)
		fclose(f);
	*data = buf;
	*size = len;
	return 0;
}
