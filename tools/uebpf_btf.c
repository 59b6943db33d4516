/* SPDX-License-Identifier: MIT */
/*
 * BTF-formatted keys and values, as bpftool prints the maps of an object
 * that has BTF: the object's .BTF is read with libbpf's public BTF API,
 * a map's key and value types are found in the ".maps" DATASEC (the map
 * variable's struct has `key` and `value` pointer members) or, for a
 * global data map, are its section's DATASEC; values are written through
 * the tool's JSON writer in bpftool's shape (btf_dumper): numbers,
 * {"member": ...} objects, [...] arrays, char arrays as strings, enums by
 * name.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "uebpf_tool.h"

#define MAX_DEPTH 32

static int quiet_print(enum libbpf_print_level level, const char *fmt,
		       va_list ap)
{
	if (!opts.debug || level == LIBBPF_DEBUG)
		return 0;
	fflush(stdout);
	fputs("libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

/* Skips typedefs, const, volatile, restrict and type tags. */
static uint32_t skip_mods(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	int n = 0;

	while (t && n++ < MAX_DEPTH &&
	       (btf_is_mod(t) || btf_is_typedef(t) ||
		btf_kind(t) == BTF_KIND_TYPE_TAG)) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	return t ? id : 0;
}

/*
 * clang leaves the DATASECs of global data with size 0 and the variables'
 * offsets unset; libbpf fixes them from the ELF symbols when it opens an
 * object, and so does this, so a global data map's value can be printed.
 */
static void fix_datasecs(struct btf *btf, const char *path)
{
	Elf_Scn *scn = NULL, *symscn = NULL;
	size_t shstrndx, strndx = 0, nsyms = 0, i, j;
	Elf_Data *symdata = NULL;
	GElf_Shdr sh;
	uint32_t id, n = btf__type_cnt(btf);
	Elf *elf;
	int fd;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		goto out;
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB) {
			symscn = scn;
			symdata = elf_getdata(scn, NULL);
			nsyms = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
			strndx = sh.sh_link;
			break;
		}
	if (!symscn || !symdata)
		goto out;
	for (id = 1; id < n; id++) {
		/* Ours to patch: btf__parse_elf() gave this process a copy. */
		struct btf_type *t =
			(struct btf_type *)btf__type_by_id(btf, id);
		const char *sec = btf__name_by_offset(btf, t->name_off);
		struct btf_var_secinfo *vs;
		size_t secndx = 0;

		if (!btf_is_datasec(t) || !sec || !strcmp(sec, ".maps"))
			continue;
		scn = NULL;
		while ((scn = elf_nextscn(elf, scn))) {
			const char *name;

			if (!gelf_getshdr(scn, &sh))
				continue;
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (name && !strcmp(name, sec)) {
				secndx = elf_ndxscn(scn);
				if (!t->size)
					t->size = (uint32_t)sh.sh_size;
				break;
			}
		}
		if (!secndx)
			continue;
		vs = btf_var_secinfos(t);
		for (i = 0; i < btf_vlen(t); i++) {
			const struct btf_type *v =
				btf__type_by_id(btf, vs[i].type);
			const char *vname =
				v ? btf__name_by_offset(btf, v->name_off)
				  : NULL;

			for (j = 0; vname && j < nsyms; j++) {
				GElf_Sym sym;
				const char *sn;

				if (!gelf_getsym(symdata, (int)j, &sym) ||
				    sym.st_shndx != secndx)
					continue;
				sn = elf_strptr(elf, strndx, sym.st_name);
				if (sn && !strcmp(sn, vname)) {
					vs[i].offset = (uint32_t)sym.st_value;
					break;
				}
			}
		}
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
}

struct btf *tool_btf_load(const char *path)
{
	struct btf *btf;

	libbpf_set_print(quiet_print);
	btf = btf__parse_elf(path, NULL);
	if (!btf || libbpf_get_error(btf))
		return NULL; /* no .BTF: hex, as bpftool for a map without */
	fix_datasecs(btf, path);
	return btf;
}

void tool_btf_free(struct btf *btf)
{
	btf__free(btf);
}

/* The type a `__type(key, T)` member points to. */
static uint32_t member_pointee(const struct btf *btf, const struct btf_type *st,
			       const char *name)
{
	const struct btf_member *m = btf_members(st);
	const struct btf_type *t;
	unsigned int i;

	for (i = 0; i < btf_vlen(st); i++, m++) {
		if (strcmp(btf__name_by_offset(btf, m->name_off), name))
			continue;
		t = btf__type_by_id(btf, skip_mods(btf, m->type));
		return t && btf_is_ptr(t) ? t->type : 0;
	}
	return 0;
}

/* libbpf creates these without BTF key and value types (the kernel takes
 * none), so bpftool prints them in hex. */
static bool takes_btf(enum bpf_map_type type)
{
	switch (type) {
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
	case BPF_MAP_TYPE_CGROUP_ARRAY:
	case BPF_MAP_TYPE_STACK_TRACE:
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
	case BPF_MAP_TYPE_DEVMAP:
	case BPF_MAP_TYPE_DEVMAP_HASH:
	case BPF_MAP_TYPE_CPUMAP:
	case BPF_MAP_TYPE_XSKMAP:
	case BPF_MAP_TYPE_SOCKMAP:
	case BPF_MAP_TYPE_SOCKHASH:
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
	case BPF_MAP_TYPE_PROG_ARRAY:
	case BPF_MAP_TYPE_RINGBUF: return false;
	default: return true;
	}
}

static bool size_is(const struct btf *btf, uint32_t id, uint32_t size)
{
	return id && btf__resolve_size(btf, id) == (int64_t)size;
}

int tool_map_btf(const struct btf *btf, const char *name,
		 enum bpf_map_type type, uint32_t key_size, uint32_t value_size,
		 uint32_t *key_id, uint32_t *value_id)
{
	const struct btf_type *sec, *var, *st;
	const struct btf_var_secinfo *vs;
	const char *dot;
	int32_t sid;
	unsigned int i;

	*key_id = *value_id = 0;
	if (!btf || !takes_btf(type))
		return -ENOENT;
	sid = btf__find_by_name_kind(btf, ".maps", BTF_KIND_DATASEC);
	sec = sid > 0 ? btf__type_by_id(btf, (uint32_t)sid) : NULL;
	for (i = 0, vs = sec ? btf_var_secinfos(sec) : NULL;
	     sec && i < btf_vlen(sec); i++, vs++) {
		var = btf__type_by_id(btf, vs->type);
		if (!var || !btf_is_var(var) ||
		    strcmp(btf__name_by_offset(btf, var->name_off), name))
			continue;
		st = btf__type_by_id(btf, skip_mods(btf, var->type));
		if (!st || !btf_is_struct(st))
			return -ENOENT;
		*key_id = member_pointee(btf, st, "key");
		*value_id = member_pointee(btf, st, "value");
		/* As the kernel: the types must have the map's sizes; a map
		 * given by key_size alone has no key type. */
		if (*key_id && !size_is(btf, *key_id, key_size))
			*key_id = 0;
		if (!size_is(btf, *value_id, value_size) ||
		    (!*key_id && key_size)) {
			*key_id = *value_id = 0;
			return -ENOENT;
		}
		return 0;
	}
	/* A global data map ("obj.bss", ".data.custom"): its section's
	 * DATASEC, no key type, as libbpf gives the kernel. */
	dot = strchr(name, '.');
	if (type != BPF_MAP_TYPE_ARRAY || !dot)
		return -ENOENT;
	sid = btf__find_by_name_kind(btf, dot, BTF_KIND_DATASEC);
	if (sid <= 0)
		return -ENOENT;
	sec = btf__type_by_id(btf, (uint32_t)sid);
	if (sec->size != value_size)
		return -ENOENT;
	for (i = 0, vs = btf_var_secinfos(sec); i < btf_vlen(sec); i++, vs++)
		if ((uint64_t)vs->offset + vs->size > value_size)
			return -ENOENT;
	*value_id = (uint32_t)sid;
	return 0;
}

/* ---- the printer ----------------------------------------------------------
 */

struct dumper {
	const struct btf *btf;
	bool plain; /* bpftool's is_plain_text: hex numbers unquoted */
};

static void put_hex128(const struct dumper *d, uint64_t hi, uint64_t lo)
{
	char s[48];

	if (hi)
		snprintf(s, sizeof(s), "%s0x%" PRIx64 "%016" PRIx64 "%s",
			 d->plain ? "" : "\"", hi, lo, d->plain ? "" : "\"");
	else
		snprintf(s, sizeof(s), "%s0x%" PRIx64 "%s",
			 d->plain ? "" : "\"", lo, d->plain ? "" : "\"");
	jsonw_raw(s);
}

/* nr_bits bits at bit bit_off of data (little-endian), in hex as bpftool
 * prints bitfields. */
static void put_bits(const struct dumper *d, const uint8_t *data,
		     unsigned int bit_off, unsigned int nr_bits)
{
	uint64_t lo = 0, hi = 0;
	unsigned int i, b;

	data += bit_off / 8;
	bit_off %= 8;
	for (i = 0; i < nr_bits && i < 128; i++) {
		b = bit_off + i;
		if (!((data[b / 8] >> (b % 8)) & 1))
			continue;
		if (i < 64)
			lo |= 1ull << i;
		else
			hi |= 1ull << (i - 64);
	}
	put_hex128(d, hi, lo);
}

static void put_int(const struct dumper *d, const struct btf_type *t,
		    unsigned int bit_off, const uint8_t *data)
{
	uint32_t info = *(const uint32_t *)(t + 1);
	unsigned int bits = BTF_INT_BITS(info), enc = BTF_INT_ENCODING(info);
	uint64_t u = 0;
	char s[32];

	bit_off += BTF_INT_OFFSET(info);
	if (bit_off || bits % 8 ||
	    (bits != 8 && bits != 16 && bits != 32 && bits != 64 &&
	     bits != 128)) {
		put_bits(d, data, bit_off, bits);
		return;
	}
	if (bits == 128) {
		uint64_t lo, hi;

		memcpy(&lo, data, 8);
		memcpy(&hi, data + 8, 8);
		put_hex128(d, hi, lo);
		return;
	}
	memcpy(&u, data, bits / 8);
	if (enc & BTF_INT_BOOL) {
		jsonw_bool(u != 0);
	} else if (enc & BTF_INT_CHAR && bits == 8) {
		if (isprint((int)u))
			snprintf(s, sizeof(s), "\"%s%c\"",
				 u == '"' || u == '\\' ? "\\" : "", (int)u);
		else if (d->plain)
			snprintf(s, sizeof(s), "0x%" PRIx64, u);
		else
			snprintf(s, sizeof(s), "\"\\u00%02" PRIx64 "\"", u);
		jsonw_raw(s);
	} else if (enc & BTF_INT_SIGNED) {
		int64_t v = bits == 64	 ? (int64_t)u
			    : bits == 32 ? (int32_t)u
			    : bits == 16 ? (int16_t)u
					 : (int8_t)u;

		jsonw_int(v);
	} else {
		jsonw_uint(u);
	}
}

static bool is_str_array(const struct btf *btf, const struct btf_array *a,
			 const uint8_t *s)
{
	const struct btf_type *e;
	uint32_t i;

	if (!a->nelems)
		return false;
	e = btf__type_by_id(btf, a->type);
	while (e && btf_is_mod(e)) /* not typedefs, as bpftool */
		e = btf__type_by_id(btf, e->type);
	if (!e || !btf_is_int(e) || e->size != 1 ||
	    (!(btf_int_encoding(e) & BTF_INT_CHAR) &&
	     strcmp(btf__name_by_offset(btf, e->name_off), "char")))
		return false;
	for (i = 0; i < a->nelems; i++) {
		if (!s[i])
			return true;
		if (s[i] <= 0x1f || s[i] >= 0x7f)
			return false;
	}
	return false;
}

static int dump_type(const struct dumper *d, uint32_t id, unsigned int bit_off,
		     const uint8_t *data, int depth);

static int dump_struct(const struct dumper *d, const struct btf_type *t,
		       const uint8_t *data, int depth)
{
	const struct btf_member *m = btf_members(t);
	unsigned int i;
	int err = 0;

	jsonw_start_object();
	for (i = 0; i < btf_vlen(t) && !err; i++, m++) {
		uint32_t off = btf_member_bit_offset(t, i);
		uint32_t bf = btf_member_bitfield_size(t, i);

		jsonw_name(btf__name_by_offset(d->btf, m->name_off));
		if (bf)
			put_bits(d, data, off, bf);
		else
			err = dump_type(d, m->type, off % 8, data + off / 8,
					depth + 1);
	}
	jsonw_end_object();
	return err;
}

static int dump_array(const struct dumper *d, const struct btf_type *t,
		      const uint8_t *data, int depth)
{
	const struct btf_array *a = btf_array(t);
	int64_t esz;
	uint32_t i;
	int err = 0;

	if (is_str_array(d->btf, a, data)) {
		jsonw_string((const char *)data);
		return 0;
	}
	esz = btf__resolve_size(d->btf, a->type);
	if (esz < 0)
		return (int)esz;
	jsonw_start_array();
	for (i = 0; i < a->nelems && !err; i++)
		err = dump_type(d, a->type, 0, data + i * esz, depth + 1);
	jsonw_end_array();
	return err;
}

static void dump_enum(const struct dumper *d, const struct btf_type *t,
		      const uint8_t *data)
{
	bool is_signed = btf_kflag(t);
	uint64_t u = 0;
	int64_t s;
	unsigned int i;

	memcpy(&u, data, t->size <= 8 ? t->size : 8);
	s = t->size == 1   ? (int8_t)u
	    : t->size == 2 ? (int16_t)u
	    : t->size == 4 ? (int32_t)u
			   : (int64_t)u;
	if (!is_signed && t->size < 8)
		s = (int64_t)u;
	for (i = 0; i < btf_vlen(t); i++) {
		int64_t v;
		uint32_t name_off;

		if (btf_is_enum(t)) {
			v = is_signed ? (int64_t)btf_enum(t)[i].val
				      : (int64_t)(uint32_t)btf_enum(t)[i].val;
			name_off = btf_enum(t)[i].name_off;
		} else {
			v = (int64_t)btf_enum64_value(&btf_enum64(t)[i]);
			name_off = btf_enum64(t)[i].name_off;
		}
		if (t->size < 8 && !is_signed)
			v &= (int64_t)((1ull << (t->size * 8)) - 1);
		if (v == s) {
			jsonw_string(btf__name_by_offset(d->btf, name_off));
			return;
		}
	}
	if (is_signed)
		jsonw_int(s);
	else
		jsonw_uint((uint64_t)s);
}

static int dump_type(const struct dumper *d, uint32_t id, unsigned int bit_off,
		     const uint8_t *data, int depth)
{
	const struct btf_type *t;
	char s[64];
	uint64_t u = 0;
	unsigned int i;
	int err = 0;

	if (depth > MAX_DEPTH)
		return -ELOOP;
	id = skip_mods(d->btf, id);
	t = id ? btf__type_by_id(d->btf, id) : NULL;
	if (!t) {
		jsonw_string("(unknown)");
		return 0;
	}
	switch (btf_kind(t)) {
	case BTF_KIND_INT: put_int(d, t, bit_off, data); return 0;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: return dump_struct(d, t, data, depth);
	case BTF_KIND_ARRAY: return dump_array(d, t, data, depth);
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: dump_enum(d, t, data); return 0;
	case BTF_KIND_PTR:
		memcpy(&u, data, 8);
		if (d->plain) {
			snprintf(s, sizeof(s), "0x%" PRIx64, u);
			jsonw_raw(s);
		} else {
			jsonw_uint(u);
		}
		return 0;
	case BTF_KIND_FLOAT:
		if (t->size == 4) {
			float f;

			memcpy(&f, data, 4);
			snprintf(s, sizeof(s), "%.9g", f);
		} else if (t->size == 8) {
			double f;

			memcpy(&f, data, 8);
			snprintf(s, sizeof(s), "%.17g", f);
		} else {
			snprintf(s, sizeof(s), "\"(float%u)\"", t->size * 8);
		}
		if (!strpbrk(s, "0123456789") || strstr(s, "inf") ||
		    strstr(s, "nan"))
			snprintf(s, sizeof(s), "\"%s\"", "(not finite)");
		jsonw_raw(s);
		return 0;
	case BTF_KIND_VAR:
		jsonw_start_object();
		jsonw_name(btf__name_by_offset(d->btf, t->name_off));
		err = dump_type(d, t->type, bit_off, data, depth + 1);
		jsonw_end_object();
		return err;
	case BTF_KIND_DATASEC: {
		const struct btf_var_secinfo *vs = btf_var_secinfos(t);

		jsonw_start_object();
		jsonw_name(btf__name_by_offset(d->btf, t->name_off));
		jsonw_start_array();
		for (i = 0; i < btf_vlen(t) && !err; i++)
			err = dump_type(d, vs[i].type, 0, data + vs[i].offset,
					depth + 1);
		jsonw_end_array();
		jsonw_end_object();
		return err;
	}
	default:
		snprintf(s, sizeof(s), "(unsupported kind %u)", btf_kind(t));
		jsonw_string(s);
		return 0;
	}
}

int tool_btf_dump(const struct btf *btf, uint32_t type_id, const void *data,
		  bool plain)
{
	struct dumper d = {.btf = btf, .plain = plain};

	return dump_type(&d, type_id, 0, data, 0);
}

/* ---- per-CPU sums ----------------------------------------------------------
 */

static void sum_type(const struct btf *btf, uint32_t id, uint8_t *dst,
		     const uint8_t *src, int depth)
{
	const struct btf_type *t;
	unsigned int i;

	if (depth > MAX_DEPTH)
		return;
	id = skip_mods(btf, id);
	t = id ? btf__type_by_id(btf, id) : NULL;
	if (!t)
		return;
	switch (btf_kind(t)) {
	case BTF_KIND_INT: {
		uint32_t info = *(const uint32_t *)(t + 1);
		unsigned int bits = BTF_INT_BITS(info);
		uint64_t a = 0, b = 0;

		if (BTF_INT_OFFSET(info) ||
		    btf_int_encoding(t) & BTF_INT_BOOL ||
		    btf_int_encoding(t) & BTF_INT_CHAR ||
		    (bits != 8 && bits != 16 && bits != 32 && bits != 64))
			return;
		memcpy(&a, dst, bits / 8);
		memcpy(&b, src, bits / 8);
		a += b; /* two's complement: signed sums wrap the same way */
		memcpy(dst, &a, bits / 8);
		return;
	}
	case BTF_KIND_STRUCT: {
		const struct btf_member *m = btf_members(t);

		for (i = 0; i < btf_vlen(t); i++, m++) {
			uint32_t off = btf_member_bit_offset(t, i);

			if (!btf_member_bitfield_size(t, i) && !(off % 8))
				sum_type(btf, m->type, dst + off / 8,
					 src + off / 8, depth + 1);
		}
		return;
	}
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array(t);
		int64_t esz = btf__resolve_size(btf, a->type);

		for (i = 0; esz > 0 && i < a->nelems; i++)
			sum_type(btf, a->type, dst + i * esz, src + i * esz,
				 depth + 1);
		return;
	}
	case BTF_KIND_VAR: sum_type(btf, t->type, dst, src, depth + 1); return;
	case BTF_KIND_DATASEC: {
		const struct btf_var_secinfo *vs = btf_var_secinfos(t);

		for (i = 0; i < btf_vlen(t); i++)
			sum_type(btf, vs[i].type, dst + vs[i].offset,
				 src + vs[i].offset, depth + 1);
		return;
	}
	default: return; /* unions, enums, pointers: CPU 0's */
	}
}

void tool_btf_sum(const struct btf *btf, uint32_t type_id, void *dst,
		  const void *values, unsigned int nr_cpus, size_t step,
		  size_t size)
{
	const uint8_t *v = values;
	unsigned int i;

	memcpy(dst, v, size);
	for (i = 1; i < nr_cpus; i++)
		sum_type(btf, type_id, dst, v + i * step, 0);
}
