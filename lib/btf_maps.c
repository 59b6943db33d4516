/* SPDX-License-Identifier: MIT */
/*
 * Map definitions: BTF-defined maps in ".maps" (read with libbpf's btf__*
 * API), legacy struct bpf_map_def in "maps", the global data sections, and
 * the initial slots of PROG_ARRAY and map-in-map definitions.
 *
 * A BTF map is a variable of an anonymous struct whose members encode the
 * attributes in their types: __uint(name, n) is "int (*name)[n]", so the
 * value is the array's length; __type(key, T) is "T *key", so the size is
 * sizeof(T); __array(values, D) is "D *values[]", a zero-length array of
 * pointers to the inner map's definition (or to a function prototype for
 * PROG_ARRAY), whose initialised elements are relocations.  clang leaves
 * the DATASEC's size and offsets 0, so where a map lives comes from its
 * ELF symbol.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "loader.h"

#define LEGACY_DEF_SZ 20 /* struct bpf_map_def: five u32 */
#define MAX_DATA_SIZE (1ull << 30)

const struct btf_type *uebpf_btf_skip_mods(const struct btf *btf, uint32_t id,
					   uint32_t *res_id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	int depth = 0;

	while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
		if (++depth > 32)
			return NULL;
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (res_id)
		*res_id = id;
	return t;
}

static const char *kind_str(const struct btf_type *t)
{
	static const char *const names[] = {
		"UNKNOWN", "INT",     "PTR",	  "ARRAY",    "STRUCT",
		"UNION",   "ENUM",    "FWD",	  "TYPEDEF",  "VOLATILE",
		"CONST",   "RESTRICT", "FUNC",	  "FUNC_PROTO", "VAR",
		"DATASEC", "FLOAT",   "DECL_TAG", "TYPE_TAG", "ENUM64",
	};

	if (!t)
		return "missing";
	return btf_kind(t) < ARRAY_SIZE(names) ? names[btf_kind(t)] : "UNKNOWN";
}

void uebpf_data_map_name(const char *obj_name, const char *sec_name,
			 char *buf, size_t size)
{
	size_t sfx = strlen(sec_name), pfx = strlen(obj_name), i;

	/* libbpf's naming: as much of the object's name as fits before the
	 * section's (which counts as at least 7 characters), none at all for
	 * ".data.foo"-style sections, 15 characters in all. */
	if (sfx < 7)
		sfx = 7;
	if (sfx > 15)
		sfx = 15;
	if (strchr(sec_name + 1, '.'))
		pfx = 0;
	else if (pfx > 15 - sfx)
		pfx = 15 - sfx;
	snprintf(buf, size, "%.*s%.*s", (int)pfx, obj_name, (int)sfx,
		 sec_name);
	for (i = 0; buf[i]; i++)
		if (!isalnum((unsigned char)buf[i]) && buf[i] != '_' &&
		    buf[i] != '.')
			buf[i] = '_';
}

static uint32_t ringbuf_size(uint32_t sz)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), n;

	/* The kernel wants a power-of-2 number of pages; libbpf rounds
	 * up to the next one, and so do we. */
	if (!sz || (sz % page == 0 && !((sz / page) & (sz / page - 1))))
		return sz;
	for (n = page; n <= UINT32_MAX; n <<= 1)
		if (n > sz)
			return (uint32_t)n;
	return sz;
}

void uebpf_map_def_fixup(struct uebpf_object *obj, struct map_def *def)
{
	if (def->type == BPF_MAP_TYPE_RINGBUF)
		def->max_entries = ringbuf_size(def->max_entries);
	if (def->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY && !def->max_entries)
		def->max_entries = obj->rt->nr_cpus;
}

/* ---- BTF-defined maps ---------------------------------------------------- */

/* __uint(name, n): "int (*name)[n]". */
static int field_uint(struct uebpf_object *obj, const char *map,
		      const char *field, uint32_t type_id, uint32_t *val)
{
	const struct btf_type *t = uebpf_btf_skip_mods(obj->btf, type_id, NULL);
	const struct btf_type *arr;

	if (!t || !btf_is_ptr(t)) {
		obj_warn(obj, "map '%s': field '%s' is %s, not __uint()'s pointer to an array\n",
			 map, field, kind_str(t));
		return -EINVAL;
	}
	arr = btf__type_by_id(obj->btf, t->type);
	if (!arr || !btf_is_array(arr)) {
		obj_warn(obj, "map '%s': field '%s' points to %s, not to __uint()'s array\n",
			 map, field, kind_str(arr));
		return -EINVAL;
	}
	*val = btf_array(arr)->nelems;
	return 0;
}

/* __type(key, T): "T *key". */
static int field_size(struct uebpf_object *obj, const char *map,
		      const char *field, uint32_t type_id, uint32_t *size)
{
	const struct btf_type *t = uebpf_btf_skip_mods(obj->btf, type_id, NULL);
	long long sz;

	if (!t || !btf_is_ptr(t)) {
		obj_warn(obj, "map '%s': field '%s' is %s, not __type()'s pointer\n",
			 map, field, kind_str(t));
		return -EINVAL;
	}
	sz = btf__resolve_size(obj->btf, t->type);
	if (sz < 0 || sz > UINT32_MAX) {
		obj_warn(obj, "map '%s': the size of %s type [%u] cannot be determined\n",
			 map, field, t->type);
		return -EINVAL;
	}
	*size = (uint32_t)sz;
	return 0;
}

static int set_size(struct uebpf_object *obj, const char *map,
		    const char *what, uint32_t *dst, uint32_t sz)
{
	if (*dst && *dst != sz) {
		obj_warn(obj, "map '%s': %s is given twice, as %u and as %u\n",
			 map, what, *dst, sz);
		return -EINVAL;
	}
	*dst = sz;
	return 0;
}

static bool is_map_in_map(uint32_t type)
{
	return type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
	       type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

static int parse_def(struct uebpf_object *obj, const char *map,
		     const struct btf_type *st, struct map_def *def,
		     struct map_def *inner, bool *has_inner);

/* __array(values, D): "D *values[]", D an inner map's definition or, for
 * PROG_ARRAY, a function prototype. */
static int field_values(struct uebpf_object *obj, const char *map,
			const struct btf_type *st, int i, uint32_t type_id,
			struct map_def *def, struct map_def *inner,
			bool *has_inner)
{
	const struct btf_type *t;
	char inner_name[128];

	if (!inner) {
		obj_warn(obj, "map '%s': an inner map cannot have 'values' of its own (one level of map-in-map)\n",
			 map);
		return -EOPNOTSUPP;
	}
	if (i != btf_vlen(st) - 1) {
		obj_warn(obj, "map '%s': 'values' must be the definition's last field\n",
			 map);
		return -EINVAL;
	}
	if (!is_map_in_map(def->type) &&
	    def->type != BPF_MAP_TYPE_PROG_ARRAY) {
		obj_warn(obj, "map '%s': 'values' is only for ARRAY_OF_MAPS, HASH_OF_MAPS and PROG_ARRAY (declare __uint(type, ...) before it)\n",
			 map);
		return -EINVAL;
	}
	if (set_size(obj, map, "value_size", &def->value_size, 4))
		return -EINVAL;
	t = btf__type_by_id(obj->btf, type_id);
	if (!t || !btf_is_array(t) || btf_array(t)->nelems) {
		obj_warn(obj, "map '%s': 'values' is %s, not __array()'s zero-length array\n",
			 map, kind_str(t));
		return -EINVAL;
	}
	t = uebpf_btf_skip_mods(obj->btf, btf_array(t)->type, NULL);
	if (!t || !btf_is_ptr(t)) {
		obj_warn(obj, "map '%s': 'values' holds %s, not pointers\n",
			 map, kind_str(t));
		return -EINVAL;
	}
	t = uebpf_btf_skip_mods(obj->btf, t->type, NULL);
	if (def->type == BPF_MAP_TYPE_PROG_ARRAY) {
		if (!t || !btf_is_func_proto(t)) {
			obj_warn(obj, "map '%s': PROG_ARRAY 'values' must point to functions, not %s\n",
				 map, kind_str(t));
			return -EINVAL;
		}
		return 0;
	}
	if (!t || !btf_is_struct(t)) {
		obj_warn(obj, "map '%s': map-in-map 'values' must point to an inner map definition (a struct), not %s\n",
			 map, kind_str(t));
		return -EINVAL;
	}
	snprintf(inner_name, sizeof(inner_name), "%s.inner", map);
	*has_inner = true;
	return parse_def(obj, inner_name, t, inner, NULL, NULL);
}

/* inner is NULL when parsing an inner definition. */
static int parse_def(struct uebpf_object *obj, const char *map,
		     const struct btf_type *st, struct map_def *def,
		     struct map_def *inner, bool *has_inner)
{
	const struct btf_member *m = btf_members(st);
	int i, n = btf_vlen(st), err = 0;
	uint32_t sz = 0;

	for (i = 0; i < n && !err; i++, m++) {
		const char *f = btf__name_by_offset(obj->btf, m->name_off);

		if (!f || !*f) {
			obj_warn(obj, "map '%s': field #%d has no name\n", map,
				 i);
			return -EINVAL;
		}
		if (!strcmp(f, "type"))
			err = field_uint(obj, map, f, m->type, &def->type);
		else if (!strcmp(f, "max_entries"))
			err = field_uint(obj, map, f, m->type,
					 &def->max_entries);
		else if (!strcmp(f, "map_flags"))
			err = field_uint(obj, map, f, m->type, &def->map_flags);
		else if (!strcmp(f, "numa_node"))
			err = field_uint(obj, map, f, m->type, &def->numa_node);
		else if (!strcmp(f, "key_size"))
			err = field_uint(obj, map, f, m->type, &sz) ?:
				      set_size(obj, map, "key_size",
					       &def->key_size, sz);
		else if (!strcmp(f, "key"))
			err = field_size(obj, map, f, m->type, &sz) ?:
				      set_size(obj, map, "key_size",
					       &def->key_size, sz);
		else if (!strcmp(f, "value_size"))
			err = field_uint(obj, map, f, m->type, &sz) ?:
				      set_size(obj, map, "value_size",
					       &def->value_size, sz);
		else if (!strcmp(f, "value"))
			err = field_size(obj, map, f, m->type, &sz) ?:
				      set_size(obj, map, "value_size",
					       &def->value_size, sz);
		else if (!strcmp(f, "map_extra")) {
			err = field_uint(obj, map, f, m->type, &sz);
			def->map_extra = sz;
		} else if (!strcmp(f, "pinning")) {
			if (!inner) {
				obj_warn(obj, "map '%s': an inner map cannot be pinned\n",
					 map);
				return -EINVAL;
			}
			err = field_uint(obj, map, f, m->type, &def->pinning);
			if (!err && def->pinning > 1) {
				obj_warn(obj, "map '%s': pinning %u is neither LIBBPF_PIN_NONE (0) nor LIBBPF_PIN_BY_NAME (1)\n",
					 map, def->pinning);
				return -EINVAL;
			}
		} else if (!strcmp(f, "values")) {
			err = field_values(obj, map, st, i, m->type, def, inner,
					   has_inner);
		} else {
			obj_warn(obj, "map '%s': unknown field '%s'\n", map, f);
			return -EOPNOTSUPP;
		}
	}
	if (!err && def->type == BPF_MAP_TYPE_UNSPEC) {
		obj_warn(obj, "map '%s': no map type: add __uint(type, BPF_MAP_TYPE_...)\n",
			 map);
		return -EINVAL;
	}
	return err;
}

/* The symbol of the .maps variable called name. */
static const Elf64_Sym *map_sym(struct uebpf_object *obj, const char *name)
{
	size_t i;

	for (i = 1; i < obj->nr_syms; i++) {
		const Elf64_Sym *s = &obj->syms[i];

		if (s->st_shndx == obj->btf_maps_sec &&
		    ELF64_ST_TYPE(s->st_info) != STT_SECTION &&
		    !strcmp(uebpf_elf_sym_name(obj, i), name))
			return s;
	}
	return NULL;
}

static int btf_maps(struct uebpf_object *obj)
{
	const struct obj_sec *sec = &obj->secs[obj->btf_maps_sec];
	const struct btf_var_secinfo *vi;
	const struct btf_type *ds;
	int i, n, id, err;

	if (!obj->btf) {
		obj_warn(obj, "section .maps needs BTF to be read, and the object has no .BTF: build it with -g\n");
		return -EINVAL;
	}
	id = btf__find_by_name_kind(obj->btf, ".maps", BTF_KIND_DATASEC);
	if (id < 0) {
		obj_warn(obj, "section .maps has no DATASEC '.maps' in the BTF to describe it\n");
		return -EINVAL;
	}
	obj->btf_maps_datasec = id;
	ds = btf__type_by_id(obj->btf, id);
	vi = btf_var_secinfos(ds);
	n = btf_vlen(ds);
	for (i = 0; i < n; i++, vi++) {
		struct uebpf_object_map *m = &obj->maps[obj->nr_maps];
		const struct btf_type *var, *st;
		const Elf64_Sym *sym;
		const char *name;

		var = btf__type_by_id(obj->btf, vi->type);
		if (!var || !btf_is_var(var)) {
			obj_warn(obj, "DATASEC .maps entry #%d is %s, not a variable\n",
				 i, kind_str(var));
			return -EINVAL;
		}
		name = btf__name_by_offset(obj->btf, var->name_off);
		if (!name || !*name) {
			obj_warn(obj, "map #%d in .maps has no name\n", i);
			return -EINVAL;
		}
		if (btf_var(var)->linkage == BTF_VAR_GLOBAL_EXTERN) {
			obj_warn(obj, "map '%s' is extern: maps must be defined in the object\n",
				 name);
			return -EOPNOTSUPP;
		}
		sym = map_sym(obj, name);
		if (!sym) {
			obj_warn(obj, "map '%s': no symbol in section .maps says where it is\n",
				 name);
			return -EINVAL;
		}
		st = uebpf_btf_skip_mods(obj->btf, var->type, NULL);
		if (!st || !btf_is_struct(st)) {
			obj_warn(obj, "map '%s' is %s, not a struct definition\n",
				 name, kind_str(st));
			return -EINVAL;
		}
		if (sym->st_value > sec->size ||
		    sym->st_size > sec->size - sym->st_value ||
		    st->size > sym->st_size) {
			obj_warn(obj, "map '%s': its %u-byte definition at offset %llu (%llu bytes) does not fit section .maps (%llu bytes)\n",
				 name, st->size,
				 (unsigned long long)sym->st_value,
				 (unsigned long long)sym->st_size,
				 (unsigned long long)sec->size);
			return -EINVAL;
		}
		m->obj = obj;
		m->kind = MAP_BTF;
		m->sec = obj->btf_maps_sec;
		m->sec_off = sym->st_value;
		m->sec_size = sym->st_size;
		m->name = strdup(name);
		if (!m->name)
			return -ENOMEM;
		obj->nr_maps++;
		err = parse_def(obj, name, st, &m->def, &m->inner,
				&m->has_inner);
		if (err)
			return err;
		uebpf_map_def_fixup(obj, &m->def);
		if (m->has_inner)
			uebpf_map_def_fixup(obj, &m->inner);
	}
	return 0;
}

/* ---- legacy "maps" ------------------------------------------------------- */

static int legacy_maps(struct uebpf_object *obj)
{
	const struct obj_sec *sec = &obj->secs[obj->legacy_maps_sec];
	size_t i, n = 0, def_sz, j;

	for (i = 1; i < obj->nr_syms; i++)
		if (obj->syms[i].st_shndx == obj->legacy_maps_sec &&
		    ELF64_ST_TYPE(obj->syms[i].st_info) != STT_SECTION)
			n++;
	if (!n)
		return 0;
	/* One size for all, as the compiler laid them out. */
	if (!sec->size || sec->size % n || !sec->data) {
		obj_warn(obj, "section 'maps': %llu bytes do not divide into %zu map definitions\n",
			 (unsigned long long)sec->size, n);
		return -EINVAL;
	}
	def_sz = sec->size / n;
	for (i = 1; i < obj->nr_syms; i++) {
		const Elf64_Sym *sym = &obj->syms[i];
		struct uebpf_object_map *m = &obj->maps[obj->nr_maps];
		const uint8_t *p;
		uint32_t f[5] = { 0 };

		if (sym->st_shndx != obj->legacy_maps_sec ||
		    ELF64_ST_TYPE(sym->st_info) == STT_SECTION)
			continue;
		m->name = strdup(uebpf_elf_sym_name(obj, i));
		if (!m->name)
			return -ENOMEM;
		m->obj = obj;
		m->kind = MAP_LEGACY;
		m->sec = obj->legacy_maps_sec;
		m->sec_off = sym->st_value;
		m->sec_size = def_sz;
		obj->nr_maps++;
		if (!*m->name || sym->st_value > sec->size ||
		    def_sz > sec->size - sym->st_value) {
			obj_warn(obj, "legacy map '%s': a %zu-byte definition at offset %llu does not fit section 'maps' (%llu bytes)\n",
				 m->name, def_sz,
				 (unsigned long long)sym->st_value,
				 (unsigned long long)sec->size);
			return -EINVAL;
		}
		p = sec->data + sym->st_value;
		memcpy(f, p, def_sz < LEGACY_DEF_SZ ? def_sz : LEGACY_DEF_SZ);
		for (j = LEGACY_DEF_SZ; j < def_sz; j++) {
			if (p[j]) {
				obj_warn(obj, "legacy map '%s': byte %zu of its %zu-byte definition is not zero; libuebpf understands the 20 bytes of struct bpf_map_def (type, key_size, value_size, max_entries, map_flags) and nothing after them\n",
					 m->name, j, def_sz);
				return -EOPNOTSUPP;
			}
		}
		m->def.type = f[0];
		m->def.key_size = f[1];
		m->def.value_size = f[2];
		m->def.max_entries = f[3];
		m->def.map_flags = f[4];
		uebpf_map_def_fixup(obj, &m->def);
	}
	return 0;
}

/* ---- global data --------------------------------------------------------- */

/* libbpf makes a data map BPF_F_MMAPABLE when its DATASEC has a variable
 * visible outside the object; the flag is kept for the same view. */
static bool data_mmapable(struct uebpf_object *obj, const char *sec_name)
{
	const struct btf_var_secinfo *vi;
	const struct btf_type *ds;
	int id, i;

	if (!obj->btf)
		return false;
	id = btf__find_by_name_kind(obj->btf, sec_name, BTF_KIND_DATASEC);
	if (id < 0)
		return false;
	ds = btf__type_by_id(obj->btf, id);
	vi = btf_var_secinfos(ds);
	for (i = 0; i < btf_vlen(ds); i++, vi++) {
		const struct btf_type *v = btf__type_by_id(obj->btf, vi->type);
		const char *name;
		size_t k;

		if (!v || !btf_is_var(v) ||
		    btf_var(v)->linkage == BTF_VAR_STATIC)
			continue;
		name = btf__name_by_offset(obj->btf, v->name_off);
		/* Hidden symbols count as static. */
		for (k = 1; name && k < obj->nr_syms; k++)
			if (!strcmp(uebpf_elf_sym_name(obj, k), name) &&
			    ELF64_ST_TYPE(obj->syms[k].st_info) == STT_OBJECT)
				break;
		if (name && k < obj->nr_syms &&
		    (ELF64_ST_VISIBILITY(obj->syms[k].st_other) == STV_HIDDEN ||
		     ELF64_ST_VISIBILITY(obj->syms[k].st_other) ==
			     STV_INTERNAL))
			continue;
		return true;
	}
	return false;
}

static int add_data_map(struct uebpf_object *obj, enum obj_map_kind kind,
			const char *real_name, const void *data, uint64_t size)
{
	struct uebpf_object_map *m = &obj->maps[obj->nr_maps];
	char name[16];

	/* Global data is kilobytes; a crafted size must not make us
	 * allocate gigabytes for it. */
	if (size > MAX_DATA_SIZE) {
		obj_warn(obj, "section '%s' is %llu bytes; global data sections are limited to 1 GiB\n",
			 real_name, (unsigned long long)size);
		return -E2BIG;
	}
	uebpf_data_map_name(obj->name, real_name, name, sizeof(name));
	m->obj = obj;
	m->kind = kind;
	m->name = strdup(name);
	m->real_name = strdup(real_name);
	m->data = calloc(1, size);
	if (!m->name || !m->real_name || !m->data) {
		free(m->name);
		free(m->real_name);
		free(m->data);
		memset(m, 0, sizeof(*m));
		return -ENOMEM;
	}
	if (data)
		memcpy(m->data, data, size);
	m->def.type = BPF_MAP_TYPE_ARRAY;
	m->def.key_size = 4;
	m->def.value_size = (uint32_t)size;
	m->def.max_entries = 1;
	if (kind == MAP_RODATA || kind == MAP_KCONFIG)
		m->def.map_flags = BPF_F_RDONLY_PROG;
	if (data_mmapable(obj, real_name))
		m->def.map_flags |= BPF_F_MMAPABLE;
	obj->nr_maps++;
	return 0;
}

static bool is_kernel_version_sym(const struct uebpf_object *obj, size_t i)
{
	return obj->syms[i].st_shndx == SHN_UNDEF &&
	       ELF64_ST_BIND(obj->syms[i].st_info) != STB_LOCAL &&
	       !strcmp(uebpf_elf_sym_name(obj, i), "LINUX_KERNEL_VERSION");
}

/* LINUX_KERNEL_VERSION lives in a ".kconfig" map, as with libbpf; its
 * size comes from its BTF declaration (u32 unless it says otherwise). */
static int kconfig_map(struct uebpf_object *obj)
{
	uint64_t size = 4, v = uebpf_kernel_version();
	uint8_t buf[8] = { 0 };
	size_t i;
	int id;

	for (i = 1; i < obj->nr_syms; i++)
		if (is_kernel_version_sym(obj, i))
			break;
	if (i == obj->nr_syms)
		return 0;
	if (obj->btf) {
		id = btf__find_by_name_kind(obj->btf, "LINUX_KERNEL_VERSION",
					    BTF_KIND_VAR);
		if (id > 0) {
			long long sz = btf__resolve_size(
				obj->btf, btf__type_by_id(obj->btf, id)->type);

			if (sz == 8)
				size = 8;
		}
	}
	memcpy(buf, &v, sizeof(v)); /* little-endian: u32 or u64 alike */
	return add_data_map(obj, MAP_KCONFIG, ".kconfig", buf, size);
}

/* ---- initial slots ------------------------------------------------------- */

static struct uebpf_object_map *map_containing(struct uebpf_object *obj,
					       uint64_t off)
{
	size_t i;

	for (i = 0; i < obj->nr_user_maps; i++) {
		struct uebpf_object_map *m = &obj->maps[i];

		if (m->kind == MAP_BTF && off >= m->sec_off &&
		    off - m->sec_off < m->sec_size &&
		    m->sec_size - (off - m->sec_off) >= 8)
			return m;
	}
	return NULL;
}

static int slot_target(struct uebpf_object *obj, struct uebpf_object_map *m,
		       const struct obj_rel *r, uint32_t *target)
{
	const Elf64_Sym *sym = &obj->syms[r->sym];
	const char *name = uebpf_elf_sym_desc(obj, r->sym);
	size_t i;

	if (is_map_in_map(m->def.type)) {
		for (i = 0; i < obj->nr_user_maps; i++) {
			if (obj->maps[i].kind == MAP_BTF &&
			    sym->st_shndx == obj->btf_maps_sec &&
			    obj->maps[i].sec_off == sym->st_value) {
				*target = i;
				return 0;
			}
		}
		obj_warn(obj, "map '%s': initial value '%s' is not a map defined in .maps\n",
			 m->name, name);
		return -EINVAL;
	}
	if (ELF64_ST_TYPE(sym->st_info) == STT_FUNC &&
	    sym->st_shndx < obj->nr_secs && sym->st_value % INSN_SZ == 0) {
		struct obj_func *f = uebpf_elf_func_at(obj, sym->st_shndx,
						       sym->st_value / INSN_SZ);

		if (f && f->prog >= 0) {
			*target = f->prog;
			return 0;
		}
	}
	obj_warn(obj, "map '%s': initial value '%s' is not a program (a global function in a program section)\n",
		 m->name, name);
	return -EINVAL;
}

static int map_slots(struct uebpf_object *obj)
{
	const struct obj_sec *sec = &obj->secs[obj->btf_maps_sec];
	size_t k;
	int err;

	for (k = 0; k < sec->nr_rels; k++) {
		const struct obj_rel *r = &sec->rels[k];
		struct uebpf_object_map *m = map_containing(obj, r->off);
		const struct btf_type *ds, *var, *st;
		const struct btf_member *last;
		struct map_slot *slots;
		uint64_t moff, rel;
		uint32_t target;
		const char *name;

		if (!m) {
			obj_warn(obj, ".maps: relocation at offset %llu is inside no map definition\n",
				 (unsigned long long)r->off);
			return -EINVAL;
		}
		if (!is_map_in_map(m->def.type) &&
		    m->def.type != BPF_MAP_TYPE_PROG_ARRAY) {
			obj_warn(obj, "map '%s': initial values are only for PROG_ARRAY and map-in-map\n",
				 m->name);
			return -EINVAL;
		}
		/* The values start at the offset of the last member, which
		 * parse_def() checked is 'values'. */
		ds = btf__type_by_id(obj->btf, obj->btf_maps_datasec);
		var = btf__type_by_id(obj->btf,
				      btf_var_secinfos(ds)[m - obj->maps].type);
		st = uebpf_btf_skip_mods(obj->btf, var->type, NULL);
		last = btf_members(st) + btf_vlen(st) - 1;
		name = btf_vlen(st) ? btf__name_by_offset(obj->btf,
							  last->name_off) :
				      NULL;
		if (!name || strcmp(name, "values")) {
			obj_warn(obj, "map '%s': initial values need an __array(values, ...) field\n",
				 m->name);
			return -EINVAL;
		}
		moff = btf_member_bit_offset(st, btf_vlen(st) - 1) / 8;
		rel = r->off - m->sec_off;
		if (rel < moff || (rel - moff) % 8) {
			obj_warn(obj, "map '%s': relocation at offset %llu is not on an element of 'values'\n",
				 m->name, (unsigned long long)r->off);
			return -EINVAL;
		}
		err = slot_target(obj, m, r, &target);
		if (err)
			return err;
		slots = realloc(m->slots, (m->nr_slots + 1) * sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		m->slots = slots;
		slots[m->nr_slots].slot = (uint32_t)((rel - moff) / 8);
		slots[m->nr_slots++].target = target;
	}
	return 0;
}

int uebpf_maps_parse(struct uebpf_object *obj)
{
	size_t i, n = 1; /* .kconfig */
	int err = 0;

	if (obj->btf_maps_sec && obj->btf) {
		int id = btf__find_by_name_kind(obj->btf, ".maps",
						BTF_KIND_DATASEC);

		if (id > 0)
			n += btf_vlen(btf__type_by_id(obj->btf, id));
	}
	for (i = 1; i < obj->nr_syms; i++)
		if (obj->legacy_maps_sec &&
		    obj->syms[i].st_shndx == obj->legacy_maps_sec)
			n++;
	for (i = 1; i < obj->nr_secs; i++)
		if (obj->secs[i].kind >= SEC_DATA &&
		    obj->secs[i].kind <= SEC_BSS)
			n++;
	obj->maps = calloc(n, sizeof(*obj->maps));
	if (!obj->maps)
		return -ENOMEM;

	/* Only BTF-defined maps' order matters: their index in the DATASEC
	 * is their index here (map_slots() relies on it). */
	if (obj->btf_maps_sec)
		err = btf_maps(obj);
	if (!err && obj->legacy_maps_sec)
		err = legacy_maps(obj);
	obj->nr_user_maps = obj->nr_maps;
	for (i = 1; !err && i < obj->nr_secs; i++) {
		struct obj_sec *s = &obj->secs[i];
		enum obj_map_kind kind;

		if (s->kind == SEC_DATA)
			kind = MAP_DATA;
		else if (s->kind == SEC_RODATA)
			kind = MAP_RODATA;
		else if (s->kind == SEC_BSS)
			kind = MAP_BSS;
		else
			continue;
		s->map = obj->nr_maps;
		err = add_data_map(obj, kind, s->name, s->data, s->size);
	}
	if (!err)
		err = kconfig_map(obj);
	if (!err && obj->btf_maps_sec && obj->btf)
		err = map_slots(obj);
	return err;
}
