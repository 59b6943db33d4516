/* SPDX-License-Identifier: MIT */
/*
 * uebpf map { show | dump | lookup | getnext | update | delete }: bpftool's
 * map commands and key/value syntax on the maps of an object file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "uebpf_tool.h"

static const char map_usage[] =
	"uebpf map { show | dump | lookup | getnext | update | delete } OBJ "
	"[name MAP] [key DATA] [value VALUE] [UPDATE_FLAGS]";

static bool is_per_cpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

static bool is_map_of_maps(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
	       t == BPF_MAP_TYPE_HASH_OF_MAPS;
}

/* A map and the buffers its commands need. */
struct map_ctx {
	struct uebpf_object *obj;
	struct uebpf_object_map *om;
	struct uebpf_map *map;
	const char *name;
	enum bpf_map_type type;
	uint32_t key_size, value_size;
	unsigned int nr_cpus; /* value copies: 1, or one per CPU slot */
	size_t value_step;    /* bytes between copies */
	size_t value_buf_size;
	/* BTF-formatted output: the key and value types (0: none). */
	const struct btf *btf;
	uint32_t key_id, value_id;
	bool formatted;
	uint8_t *sum; /* PERCPU_SUM: the summed value */
};

static int map_ctx_init(struct map_ctx *c, struct uebpf_object *obj,
			struct uebpf_object_map *om)
{
	memset(c, 0, sizeof(*c));
	c->obj = obj;
	c->om = om;
	c->name = uebpf_object_map_name(om);
	c->map = uebpf_object_map_handle(om);
	if (!c->map)
		return p_err("map '%s' was not created: %s", c->name,
			     strerror(errno));
	c->type = uebpf_map_type(c->map);
	c->key_size = uebpf_map_key_size(c->map);
	c->value_size = uebpf_map_value_size(c->map);
	c->nr_cpus =
		is_per_cpu(c->type) ? uebpf_runtime_nr_cpus(tool_runtime()) : 1;
	c->value_step = is_per_cpu(c->type) ? (c->value_size + 7u) & ~7u
					    : c->value_size;
	c->value_buf_size = c->value_step * c->nr_cpus;
	c->btf = NULL;
	c->key_id = c->value_id = 0;
	c->formatted = false;
	c->sum = NULL;
	if (!opts.hex) {
		c->btf = tool_object_btf(obj);
		c->formatted =
			c->btf &&
			!tool_map_btf(c->btf, c->name, c->type, c->key_size,
				      c->value_size, &c->key_id, &c->value_id);
	}
	if (c->formatted && is_per_cpu(c->type) && opts.percpu == PERCPU_SUM) {
		c->sum = calloc(1, c->value_size + 1);
		if (!c->sum)
			return p_err("out of memory");
	}
	return 0;
}

static void map_ctx_fini(struct map_ctx *c)
{
	free(c->sum);
	c->sum = NULL;
}

/* Whether CPU cpu's copy of a per-CPU value is printed. */
static bool show_cpu(const struct map_ctx *c, const uint8_t *value,
		     unsigned int cpu)
{
	const uint8_t *v = value + cpu * c->value_step;
	uint32_t i;

	if (opts.percpu != PERCPU_NONZERO)
		return true;
	for (i = 0; i < c->value_size; i++)
		if (v[i])
			return true;
	return false;
}

/* bpftool's do_dump_btf(): {"key": K, "value": V}, or for a per-CPU map
 * "values": [{"cpu": N, "value": V}, ...]; --percpu sum: one "value". */
static void dump_btf_entry(const struct map_ctx *c, const uint8_t *key,
			   const uint8_t *value, bool plain)
{
	unsigned int i;

	jsonw_start_object();
	if (c->key_id) {
		jsonw_name("key");
		tool_btf_dump(c->btf, c->key_id, key, plain);
	}
	if (!is_per_cpu(c->type)) {
		jsonw_name("value");
		tool_btf_dump(c->btf, c->value_id, value, plain);
	} else if (c->sum) {
		tool_btf_sum(c->btf, c->value_id, c->sum, value, c->nr_cpus,
			     c->value_step, c->value_size);
		jsonw_name("value");
		tool_btf_dump(c->btf, c->value_id, c->sum, plain);
	} else {
		jsonw_name("values");
		jsonw_start_array();
		for (i = 0; i < c->nr_cpus; i++) {
			if (!show_cpu(c, value, i))
				continue;
			jsonw_start_object();
			jsonw_int_field("cpu", i);
			jsonw_name("value");
			tool_btf_dump(c->btf, c->value_id,
				      value + i * c->value_step, plain);
			jsonw_end_object();
		}
		jsonw_end_array();
	}
	jsonw_end_object();
}

/* Plain output with BTF goes through the JSON writer, as bpftool's
 * btf_wtr: pretty, or one entry per line with --oneline. */
static void plain_btf_begin(bool array)
{
	if (opts.oneline) {
		jsonw_init_spaced(stdout);
		return;
	}
	jsonw_init(stdout, true);
	if (array)
		jsonw_start_array();
}

static void plain_btf_end(bool array)
{
	if (array && !opts.oneline)
		jsonw_end_array();
	jsonw_finish();
}

/* ---- show ------------------------------------------------------------ */

static void show_header(const struct map_ctx *c)
{
	char tbuf[32];

	map_type_str(c->type, tbuf, sizeof(tbuf));
	if (opts.json) {
		jsonw_uint_field("id", uebpf_map_id(c->map));
		jsonw_string_field("type", tbuf);
		jsonw_string_field("name", c->name);
		jsonw_uint_field("flags", uebpf_map_flags(c->map));
		return;
	}
	printf("%u: %s  name %s  flags 0x%x\n", uebpf_map_id(c->map), tbuf,
	       c->name, uebpf_map_flags(c->map));
}

static void show_one(const struct map_ctx *c)
{
	if (opts.json) {
		jsonw_start_object();
		show_header(c);
		jsonw_uint_field("bytes_key", c->key_size);
		jsonw_uint_field("bytes_value", c->value_size);
		jsonw_uint_field("max_entries", uebpf_map_max_entries(c->map));
		jsonw_end_object();
		return;
	}
	show_header(c);
	printf("\tkey %uB  value %uB  max_entries %u\n", c->key_size,
	       c->value_size, uebpf_map_max_entries(c->map));
}

/* "OBJ" alone: every map of the object; "OBJ name MAP": that one. */
typedef int (*map_fn)(struct map_ctx *c, bool several);

static int for_maps(int argc, char **argv, map_fn fn, const char *usage)
{
	struct uebpf_object_map *om;
	struct uebpf_object *obj;
	struct map_ctx c;
	int err = 0;

	if (argc < 1)
		return p_err("missing OBJ; usage: %s", usage);
	if (argc == 1) {
		obj = tool_object(argv[0]);
		if (!obj)
			return -1;
		if (opts.json)
			jsonw_start_array();
		for (om = uebpf_object_next_map(obj, NULL); om && !err;
		     om = uebpf_object_next_map(obj, om)) {
			err = map_ctx_init(&c, obj, om) ?: fn(&c, true);
			map_ctx_fini(&c);
		}
		if (opts.json)
			jsonw_end_array();
		return err;
	}
	om = map_parse(&argc, &argv, &obj);
	if (!om)
		return -1;
	if (argc)
		return p_err("unexpected argument '%s'; usage: %s", argv[0],
			     usage);
	err = map_ctx_init(&c, obj, om) ?: fn(&c, false);
	map_ctx_fini(&c);
	return err;
}

static int show_fn(struct map_ctx *c, bool several)
{
	(void)several;
	show_one(c);
	return 0;
}

static int do_show(int argc, char **argv)
{
	return for_maps(argc, argv, show_fn, "uebpf map show OBJ [name MAP]");
}

/* ---- entries ------------------------------------------------------------- */

static void print_entry_plain(const struct map_ctx *c, const uint8_t *key,
			      const uint8_t *value)
{
	unsigned int i;

	if (c->nr_cpus == 1 && !is_per_cpu(c->type)) {
		bool break_names = c->key_size > 16 || c->value_size > 16;
		bool single_line =
			c->key_size + c->value_size <= 24 && !break_names;

		if (c->key_size) {
			printf("key:%c", break_names ? '\n' : ' ');
			fprint_hex(stdout, key, c->key_size, " ");
			printf(single_line ? "  " : "\n");
		}
		if (c->value_size) {
			printf("value:%c", break_names ? '\n' : ' ');
			fprint_hex(stdout, value, c->value_size, " ");
		}
		printf("\n");
		return;
	}
	if (c->key_size) {
		printf("key:\n");
		fprint_hex(stdout, key, c->key_size, " ");
		printf("\n");
	}
	for (i = 0; i < c->nr_cpus && c->value_size; i++) {
		if (!show_cpu(c, value, i))
			continue;
		printf("value (CPU %02u):%c", i,
		       c->value_size > 16 ? '\n' : ' ');
		fprint_hex(stdout, value + i * c->value_step, c->value_size,
			   " ");
		printf("\n");
	}
}

static void print_entry_json(const struct map_ctx *c, const uint8_t *key,
			     const uint8_t *value)
{
	unsigned int i;

	jsonw_start_object();
	jsonw_name("key");
	jsonw_hex_bytes(key, c->key_size);
	if (!is_per_cpu(c->type)) {
		jsonw_name("value");
		jsonw_hex_bytes(value, c->value_size);
	} else {
		jsonw_name("values");
		jsonw_start_array();
		for (i = 0; i < c->nr_cpus; i++) {
			if (!show_cpu(c, value, i))
				continue;
			jsonw_start_object();
			jsonw_uint_field("cpu", i);
			jsonw_name("value");
			jsonw_hex_bytes(value + i * c->value_step,
					c->value_size);
			jsonw_end_object();
		}
		jsonw_end_array();
	}
	if (c->formatted) {
		jsonw_name("formatted");
		dump_btf_entry(c, key, value, false);
	}
	jsonw_end_object();
}

static void print_entry(const struct map_ctx *c, const uint8_t *key,
			const uint8_t *value)
{
	if (opts.json)
		print_entry_json(c, key, value);
	else if (c->formatted)
		dump_btf_entry(c, key, value, true);
	else
		print_entry_plain(c, key, value);
}

/* An entry whose lookup failed (not ENOENT of a map of maps or programs:
 * an empty slot), as bpftool prints it. */
static void print_entry_error(const struct map_ctx *c, const uint8_t *key,
			      int err)
{
	if (opts.json || c->formatted) {
		jsonw_start_object();
		jsonw_name("key");
		if (opts.json || !c->key_id)
			jsonw_hex_bytes(key, c->key_size);
		else
			tool_btf_dump(c->btf, c->key_id, key, true);
		jsonw_name("value");
		jsonw_start_object();
		jsonw_string_field("error", strerror(err));
		jsonw_end_object();
		jsonw_end_object();
		return;
	}
	printf("key: ");
	fprint_hex(stdout, key, c->key_size, " ");
	printf("  value: %s\n", err == ENOENT ? "<no entry>" : strerror(err));
}

static int dump_fn(struct map_ctx *c, bool several)
{
	uint8_t *key = calloc(1, c->key_size + 1), *prev = NULL;
	uint8_t *next = calloc(1, c->key_size + 1);
	uint8_t *value = calloc(1, c->value_buf_size + 1);
	unsigned int n = 0;
	int err = 0, e;

	if (!key || !next || !value) {
		err = p_err("out of memory");
		goto out;
	}
	if (several && opts.json) {
		jsonw_start_object();
		show_header(c);
		jsonw_name("elements");
	} else if (several) {
		show_header(c);
	}
	if (opts.json)
		jsonw_start_array();
	else if (c->formatted)
		plain_btf_begin(true);
	for (;;) {
		e = uebpf_map_get_next_key(c->map, prev, next);
		if (e == -ENOENT)
			break;
		if (e) {
			err = p_err("can't get next key of map %s: %s", c->name,
				    strerror(-e));
			break;
		}
		memcpy(key, next, c->key_size);
		prev = key;
		e = uebpf_map_lookup_elem(c->map, key, value);
		if (e == -ENOENT && (is_map_of_maps(c->type) ||
				     c->type == BPF_MAP_TYPE_PROG_ARRAY))
			continue;
		if (e) {
			print_entry_error(c, key, -e);
			continue;
		}
		print_entry(c, key, value);
		n++;
	}
	if (opts.json)
		jsonw_end_array();
	else if (c->formatted)
		plain_btf_end(true);
	if (several && opts.json)
		jsonw_end_object();
	/* bpftool prints no count after BTF-formatted entries. */
	if (!opts.json && !c->formatted)
		printf("Found %u element%s\n%s", n, n != 1 ? "s" : "",
		       several ? "\n" : "");
	else if (!opts.json && several)
		printf("\n");
out:
	free(key);
	free(next);
	free(value);
	return err;
}

static int do_dump(int argc, char **argv)
{
	return for_maps(argc, argv, dump_fn, "uebpf map dump OBJ [name MAP]");
}

/* ---- key and value arguments ------------------------------------------- */

static bool is_keyword(const char *s)
{
	return !strcmp(s, "key") || !strcmp(s, "value") || !strcmp(s, "any") ||
	       !strcmp(s, "exist") || !strcmp(s, "noexist");
}

/* "[hex] B B B ..." up to the next keyword, exactly n bytes. */
static int parse_bytes(int *argc, char ***argv, const char *what,
		       const struct map_ctx *c, uint8_t *out, uint32_t n)
{
	unsigned long long v;
	int base = 0;
	uint32_t i = 0;
	char *end;

	if (*argc && !strcmp((*argv)[0], "hex")) {
		base = 16;
		(*argc)--;
		(*argv)++;
	}
	while (*argc && !is_keyword((*argv)[0])) {
		const char *s = (*argv)[0];

		errno = 0;
		v = strtoull(s, &end, base);
		if (!*s || *end || errno || *s == '-')
			return p_err(
				"error parsing byte: '%s' is not a %s byte", s,
				base == 16 ? "hex" : "decimal (or 0x..)");
		if (v > 255)
			return p_err("error parsing byte: %s is more than 255 "
				     "(one byte)",
				     s);
		if (i < n)
			out[i] = (uint8_t)v;
		i++;
		(*argc)--;
		(*argv)++;
	}
	if (i != n)
		return p_err("%s has %u byte%s, map %s takes %u", what, i,
			     i == 1 ? "" : "s", c->name, n);
	return 0;
}

/* A map-in-map or PROG_ARRAY value: "id ID", "name NAME" (of this
 * object), or for maps "pinned NAME" (the runtime's pin). */
static int parse_ref_value(int *argc, char ***argv, const struct map_ctx *c,
			   uint32_t *id)
{
	bool maps = is_map_of_maps(c->type);
	const char *kind = maps ? "map" : "program", *how, *arg;
	struct uebpf_object_prog *p;
	struct uebpf_object_map *m;
	struct uebpf_map *pinned;

	if (*argc < 2)
		return p_err("value of %s %s: expected 'id ID' or 'name NAME' "
			     "(a %s)",
			     map_type_str(c->type, (char[32]){0}, 32), c->name,
			     kind);
	how = (*argv)[0];
	arg = (*argv)[1];
	*argc -= 2;
	*argv += 2;
	if (!strcmp(how, "id")) {
		char *end;
		unsigned long v = strtoul(arg, &end, 0);

		if (!*arg || *end || v > UINT32_MAX)
			return p_err("can't parse '%s' as a %s id", arg, kind);
		*id = (uint32_t)v;
		return 0;
	}
	if (!strcmp(how, "name")) {
		if (maps) {
			m = uebpf_object_find_map(c->obj, arg);
			if (!m || !uebpf_object_map_handle(m))
				return p_err("no map named '%s' in the object",
					     arg);
			*id = uebpf_map_id(uebpf_object_map_handle(m));
		} else {
			p = uebpf_object_find_prog(c->obj, arg);
			if (!p || !uebpf_object_prog_handle(p))
				return p_err("no loaded program named '%s' in "
					     "the object",
					     arg);
			*id = uebpf_prog_id(uebpf_object_prog_handle(p));
		}
		return 0;
	}
	if (maps && !strcmp(how, "pinned")) {
		pinned = uebpf_map_get_pinned(tool_runtime(), arg);
		if (!pinned)
			return p_err("no map pinned as '%s'", arg);
		*id = uebpf_map_id(pinned);
		uebpf_map_put(pinned);
		return 0;
	}
	return p_err("value of %s: expected 'id', 'name'%s, got '%s'", c->name,
		     maps ? " or 'pinned'" : "", how);
}

struct elem_args {
	uint8_t *key, *value;
	bool has_key, has_value, has_flags;
	uint64_t flags;
};

static int parse_elem(int argc, char **argv, const struct map_ctx *c,
		      struct elem_args *e, bool want_value, const char *usage)
{
	while (argc) {
		const char *w = argv[0];

		if (!strcmp(w, "key")) {
			if (e->has_key)
				return p_err("duplicate key");
			NEXT_ARG();
			if (parse_bytes(&argc, &argv, "key", c, e->key,
					c->key_size))
				return -1;
			e->has_key = true;
		} else if (!strcmp(w, "value") && want_value) {
			if (e->has_value)
				return p_err("duplicate value");
			NEXT_ARG();
			if (is_map_of_maps(c->type) ||
			    c->type == BPF_MAP_TYPE_PROG_ARRAY) {
				uint32_t id = 0;

				if (c->value_size != 4)
					return p_err(
						"value of %s is not 4 bytes",
						c->name);
				if (parse_ref_value(&argc, &argv, c, &id))
					return -1;
				memcpy(e->value, &id, 4);
			} else {
				unsigned int i;

				if (parse_bytes(&argc, &argv, "value", c,
						e->value, c->value_size))
					return -1;
				/* One value for every CPU slot, as bpftool. */
				for (i = 1; i < c->nr_cpus; i++)
					memcpy(e->value + i * c->value_step,
					       e->value, c->value_size);
			}
			e->has_value = true;
		} else if (want_value &&
			   (!strcmp(w, "any") || !strcmp(w, "exist") ||
			    !strcmp(w, "noexist"))) {
			if (e->has_flags)
				return p_err(
					"flags specified multiple times: %s",
					w);
			e->flags = !strcmp(w, "any")	 ? BPF_ANY
				   : !strcmp(w, "exist") ? BPF_EXIST
							 : BPF_NOEXIST;
			e->has_flags = true;
			NEXT_ARG();
		} else {
			return p_err("expected %s, got: '%s'; usage: %s",
				     want_value ? "key, value or flags" : "key",
				     w, usage);
		}
	}
	if (!e->has_key && c->key_size)
		return p_err("did not find key; usage: %s", usage);
	if (want_value && !e->has_value && c->value_size)
		return p_err("did not find value; usage: %s", usage);
	return 0;
}

/* Common to lookup, getnext, update, delete: the map, its buffers and the
 * parsed arguments. */
typedef int (*elem_fn)(struct map_ctx *c, struct elem_args *e);

static int with_elem(int argc, char **argv, bool want_value, bool key_opt,
		     elem_fn fn, const char *usage)
{
	struct uebpf_object_map *om;
	struct uebpf_object *obj;
	struct elem_args e = {0};
	struct map_ctx c;
	int err;

	om = map_parse(&argc, &argv, &obj);
	if (!om || map_ctx_init(&c, obj, om))
		return -1;
	e.key = calloc(1, c.key_size + 1);
	e.value = calloc(1, c.value_buf_size + 1);
	if (!e.key || !e.value) {
		err = p_err("out of memory");
	} else if (key_opt && !argc) {
		err = fn(&c, &e);
	} else {
		err = parse_elem(argc, argv, &c, &e, want_value, usage);
		if (!err)
			err = fn(&c, &e);
	}
	free(e.key);
	free(e.value);
	map_ctx_fini(&c);
	return err;
}

static int lookup_fn(struct map_ctx *c, struct elem_args *e)
{
	int err = uebpf_map_lookup_elem(c->map, c->key_size ? e->key : NULL,
					e->value);

	if (err == -ENOENT) {
		/* As bpftool: no "Error:", but a failing status. */
		if (opts.json) {
			jsonw_null();
		} else {
			printf("key:\n");
			fprint_hex(stdout, e->key, c->key_size, " ");
			printf("\n\nNot found\n");
		}
		return -1;
	}
	if (err)
		return p_err("lookup failed: %s", strerror(-err));
	if (!opts.json && c->formatted) {
		plain_btf_begin(false);
		print_entry(c, e->key, e->value);
		plain_btf_end(false);
		return 0;
	}
	print_entry(c, e->key, e->value);
	return 0;
}

static int do_lookup(int argc, char **argv)
{
	return with_elem(argc, argv, false, false, lookup_fn,
			 "uebpf map lookup OBJ [name MAP] key DATA");
}

static int getnext_fn(struct map_ctx *c, struct elem_args *e)
{
	uint8_t *next = calloc(1, c->key_size + 1);
	int err;

	if (!next)
		return p_err("out of memory");
	err = uebpf_map_get_next_key(c->map, e->has_key ? e->key : NULL, next);
	if (err) {
		free(next);
		return p_err("can't get next key: %s", strerror(-err));
	}
	if (opts.json) {
		jsonw_start_object();
		jsonw_name("key");
		if (e->has_key)
			jsonw_hex_bytes(e->key, c->key_size);
		else
			jsonw_null();
		jsonw_name("next_key");
		jsonw_hex_bytes(next, c->key_size);
		jsonw_end_object();
	} else {
		if (e->has_key) {
			printf("key:\n");
			fprint_hex(stdout, e->key, c->key_size, " ");
			printf("\n");
		} else {
			printf("key: None\n");
		}
		printf("next key:\n");
		fprint_hex(stdout, next, c->key_size, " ");
		printf("\n");
	}
	free(next);
	return 0;
}

static int do_getnext(int argc, char **argv)
{
	return with_elem(argc, argv, false, true, getnext_fn,
			 "uebpf map getnext OBJ [name MAP] [key DATA]");
}

static int update_fn(struct map_ctx *c, struct elem_args *e)
{
	int err = uebpf_map_update_elem(c->map, c->key_size ? e->key : NULL,
					e->value, e->flags);

	if (err)
		return p_err("update failed: %s", strerror(-err));
	if (opts.json)
		jsonw_null();
	return 0;
}

static int do_update(int argc, char **argv)
{
	return with_elem(argc, argv, true, false, update_fn,
			 "uebpf map update OBJ [name MAP] key DATA value VALUE "
			 "[any|exist|noexist]");
}

static int delete_fn(struct map_ctx *c, struct elem_args *e)
{
	int err = uebpf_map_delete_elem(c->map, e->key);

	if (err)
		return p_err("delete failed: %s", strerror(-err));
	if (opts.json)
		jsonw_null();
	return 0;
}

static int do_delete(int argc, char **argv)
{
	return with_elem(argc, argv, false, false, delete_fn,
			 "uebpf map delete OBJ [name MAP] key DATA");
}

int do_map(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{"show", do_show},	 {"list", do_show},
		{"dump", do_dump},	 {"lookup", do_lookup},
		{"getnext", do_getnext}, {"update", do_update},
		{"delete", do_delete},	 {NULL, NULL},
	};

	return cmd_select(cmds, argc, argv, "map", map_usage);
}
