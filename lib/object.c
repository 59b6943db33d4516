/* SPDX-License-Identifier: MIT */
/*
 * BPF ELF objects: open (lib/elf.c, lib/btf_maps.c), load (maps, link in
 * lib/link.c, uebpf_prog_load_internal()), close, and the getters and
 * setters of programs and maps.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"
#include "../maps/map.h"

/* Largest file open_file reads: objects are kilobytes to a few MiB. */
#define MAX_OBJ_SIZE (1ull << 30)

static void free_object(struct uebpf_object *obj)
{
	size_t i;

	for (i = 0; i < obj->nr_progs; i++) {
		uebpf_prog_free(obj->progs[i].prog);
		free(obj->progs[i].insns);
	}
	for (i = 0; i < obj->nr_maps; i++) {
		struct uebpf_object_map *m = &obj->maps[i];

		uebpf_map_put(m->map);
		uebpf_map_put(m->reuse);
		uebpf_map_put(m->inner_tmpl);
		free(m->name);
		free(m->real_name);
		free(m->data);
		free(m->slots);
	}
	for (i = 0; obj->secs && i < obj->nr_secs; i++) {
		free(obj->secs[i].rels);
		free(obj->secs[i].core);
		free(obj->secs[i].copy);
	}
	free(obj->secs);
	free(obj->funcs);
	free(obj->progs);
	free(obj->maps);
	btf__free(obj->btf);
	if (obj->elf)
		elf_end(obj->elf);
	free(obj->buf);
	free(obj);
}

void uebpf_object_close(struct uebpf_object *obj)
{
	if (obj)
		free_object(obj);
}

/* Takes buf (malloc'd) whatever happens. */
static struct uebpf_object *open_buf(struct uebpf_runtime *rt, uint8_t *buf,
				     size_t size, const char *name,
				     const struct uebpf_object_open_opts *opts)
{
	struct uebpf_object *obj;
	int err;

	obj = calloc(1, sizeof(*obj));
	if (!obj) {
		free(buf);
		errno = ENOMEM;
		return NULL;
	}
	obj->rt = rt;
	obj->buf = buf;
	obj->size = size;
	snprintf(obj->name, sizeof(obj->name), "%s",
		 OPTS_GET(opts, object_name, NULL) ?: name);
	obj->log_buf = OPTS_GET(opts, log_buf, NULL);
	obj->log_size = OPTS_GET(opts, log_size, 0);
	obj->log_level = OPTS_GET(opts, log_level, 0);
	obj->insn_budget = OPTS_GET(opts, insn_budget, 0);
	obj->engine = OPTS_GET(opts, engine, UEBPF_ENGINE_DEFAULT);
	obj->jit_blinding = OPTS_GET(opts, jit_blinding, false);
	err = uebpf_elf_parse(obj);
	if (!err)
		err = uebpf_maps_parse(obj);
	if (err) {
		/* Every step logs what is wrong; only memory goes unsaid. */
		if (err == -ENOMEM)
			obj_warn(obj, "cannot open: out of memory\n");
		free_object(obj);
		errno = -err;
		return NULL;
	}
	obj_debug(obj, "opened: %zu programs, %zu maps, %zu functions\n",
		  obj->nr_progs, obj->nr_maps, obj->nr_funcs);
	return obj;
}

static bool open_args_ok(struct uebpf_runtime *rt,
			 const struct uebpf_object_open_opts *opts)
{
	if (!OPTS_VALID(rt, opts, uebpf_object_open_opts, insn_budget))
		return false;
	if (!OPTS_GET(opts, log_buf, NULL) != !OPTS_GET(opts, log_size, 0)) {
		pr_warn(rt, "uebpf_object_open_opts: log_buf and log_size must be given together\n");
		return false;
	}
	/* The rules uebpf_prog_load() applies at load, checked up front. */
	if (OPTS_GET(opts, log_buf, NULL) && !OPTS_GET(opts, log_level, 0)) {
		pr_warn(rt, "uebpf_object_open_opts: log_buf given with log_level 0: set log_level to 1\n");
		return false;
	}
	if (OPTS_GET(opts, log_level, 0) & ~7u) {
		pr_warn(rt, "uebpf_object_open_opts: log_level 0x%x has unknown bits\n",
			OPTS_GET(opts, log_level, 0));
		return false;
	}
	return true;
}

struct uebpf_object *
uebpf_object_open_mem(struct uebpf_runtime *rt, const void *buf, size_t size,
		      const struct uebpf_object_open_opts *opts)
{
	char name[64];
	uint8_t *copy;

	if (!rt || !buf || !open_args_ok(rt, opts)) {
		errno = EINVAL;
		return NULL;
	}
	if (!size) {
		pr_warn(rt, "uebpf_object_open_mem: the buffer is empty\n");
		errno = ENOEXEC;
		return NULL;
	}
	copy = malloc(size);
	if (!copy) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(copy, buf, size);
	/* libbpf's name for an object without a file. */
	snprintf(name, sizeof(name), "%lx-%lx", (unsigned long)(uintptr_t)buf,
		 (unsigned long)size);
	return open_buf(rt, copy, size, name, opts);
}

struct uebpf_object *
uebpf_object_open_file(struct uebpf_runtime *rt, const char *path,
		       const struct uebpf_object_open_opts *opts)
{
	char name[OBJ_NAME_LEN];
	const char *base;
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd, err;

	if (!rt || !path || !open_args_ok(rt, opts)) {
		errno = EINVAL;
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		err = errno;
		pr_warn(rt, "cannot open '%s': %s\n", path, strerror(err));
		if (fd >= 0)
			close(fd);
		errno = err;
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || !st.st_size ||
	    (uint64_t)st.st_size > MAX_OBJ_SIZE) {
		pr_warn(rt, "'%s' is not a BPF object: %s\n", path,
			!S_ISREG(st.st_mode) ? "not a regular file" :
			!st.st_size	     ? "empty" :
					       "larger than 1 GiB");
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : ENOEXEC;
		return NULL;
	}
	buf = malloc(st.st_size);
	if (!buf) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, st.st_size - got);

		if (n <= 0) {
			err = n ? errno : EIO;
			if (n < 0 && err == EINTR)
				continue;
			pr_warn(rt, "cannot read '%s': %s\n", path,
				n ? strerror(err) : "file shrank while read");
			free(buf);
			close(fd);
			errno = err;
			return NULL;
		}
		got += n;
	}
	close(fd);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(base, "."), base);
	return open_buf(rt, buf, got, name, opts);
}

const char *uebpf_object_name(const struct uebpf_object *obj)
{
	return obj ? obj->name : NULL;
}

/* ---- load ---------------------------------------------------------------- */

static bool def_matches(const struct uebpf_object_map *m,
			const struct uebpf_map *map)
{
	return map->type == m->def.type && map->key_size == m->def.key_size &&
	       map->value_size == m->def.value_size &&
	       map->max_entries == m->def.max_entries &&
	       map->map_flags == m->def.map_flags &&
	       map->map_extra == m->def.map_extra;
}

static struct uebpf_map *create(struct uebpf_object *obj,
				const char *name, const struct map_def *def,
				struct uebpf_map *inner)
{
	UEBPF_OPTS(uebpf_map_create_opts, o, .map_flags = def->map_flags,
		   .inner_map = inner, .map_extra = def->map_extra,
		   .numa_node = def->numa_node);

	return uebpf_map_create(obj->rt, def->type, name, def->key_size,
				def->value_size, def->max_entries, &o);
}

static bool is_map_in_map(uint32_t type)
{
	return type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
	       type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

static int create_map(struct uebpf_object *obj, struct uebpf_object_map *m)
{
	struct uebpf_map *inner = NULL;
	char name[128];
	int err;

	if (is_map_in_map(m->def.type)) {
		if (m->inner_tmpl) {
			inner = uebpf_map_get(m->inner_tmpl);
		} else if (m->has_inner) {
			snprintf(name, sizeof(name), "%s.inner", m->name);
			inner = create(obj, name, &m->inner, NULL);
			if (!inner) {
				err = -errno;
				obj_warn(obj, "map '%s': cannot create its inner map template: %s\n",
					 m->name, strerror(errno));
				return err;
			}
		} else {
			obj_warn(obj, "map '%s': %s needs an inner map template: declare __array(values, struct {...}) or call uebpf_object_map_set_inner_map()\n",
				 m->name, uebpf_map_type_name(m->def.type));
			return -EINVAL;
		}
	}
	m->map = create(obj, m->name, &m->def, inner);
	err = m->map ? 0 : -errno;
	/* The outer map holds its own reference to the template. */
	uebpf_map_put(inner);
	if (err) {
		obj_warn(obj, "map '%s': cannot create it: %s\n", m->name,
			 strerror(-err));
		return err;
	}
	if (m->data) {
		uint32_t zero = 0;

		err = uebpf_map_update_elem(m->map, &zero, m->data, 0);
		if (!err && (m->kind == MAP_RODATA || m->kind == MAP_KCONFIG))
			err = uebpf_map_freeze(m->map);
		if (err) {
			obj_warn(obj, "map '%s': cannot fill it with section '%s': %s\n",
				 m->name, m->real_name, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Returns 1 when the map was found pinned (and is not to be filled). */
static int pinned_map(struct uebpf_object *obj, struct uebpf_object_map *m,
		      bool *pinned_here)
{
	struct uebpf_runtime *rt = obj->rt;
	struct uebpf_map *map;
	int err = 0;

	pthread_mutex_lock(&rt->pin_lock);
	map = uebpf_pin_get_locked(rt, m->name);
	if (map) {
		if (!def_matches(m, map)) {
			obj_warn(obj, "map '%s': the map pinned under this name is %s key %u value %u max_entries %u flags 0x%x, this definition asks for %s key %u value %u max_entries %u flags 0x%x\n",
				 m->name, uebpf_map_type_name(map->type),
				 map->key_size, map->value_size,
				 map->max_entries, map->map_flags,
				 uebpf_map_type_name(m->def.type),
				 m->def.key_size, m->def.value_size,
				 m->def.max_entries, m->def.map_flags);
			uebpf_map_put(map);
			err = -EINVAL;
		} else {
			m->map = map;
			err = 1;
		}
	} else {
		err = create_map(obj, m);
		if (!err)
			err = uebpf_pin_add_locked(rt, m->name, m->map);
		*pinned_here = !err;
	}
	pthread_mutex_unlock(&rt->pin_lock);
	return err;
}

static int fill_slots(struct uebpf_object *obj, struct uebpf_object_map *m)
{
	size_t k;
	int err;

	/* Slots are indexes: a map with other keys cannot take them (a
	 * HASH_OF_MAPS with 8-byte keys, say, would read past the index). */
	if (m->nr_slots && uebpf_map_key_size(m->map) != sizeof(uint32_t)) {
		obj_warn(obj, "map '%s': initial values need 4-byte keys, but its keys are %u bytes\n",
			 m->name, uebpf_map_key_size(m->map));
		return -EINVAL;
	}
	for (k = 0; k < m->nr_slots; k++) {
		const struct map_slot *s = &m->slots[k];
		bool prog = m->def.type == BPF_MAP_TYPE_PROG_ARRAY;
		const char *tname = prog ? obj->progs[s->target].name :
					   obj->maps[s->target].name;
		uint32_t id;

		if (prog && !obj->progs[s->target].prog) {
			obj_warn(obj, "map '%s': slot %u holds program '%s', which is not loaded (its autoload is off)\n",
				 m->name, s->slot, tname);
			return -EINVAL;
		}
		id = prog ? uebpf_prog_id(obj->progs[s->target].prog) :
			    uebpf_map_id(obj->maps[s->target].map);
		err = uebpf_map_update_elem(m->map, &s->slot, &id, 0);
		if (err) {
			obj_warn(obj, "map '%s': cannot set slot %u to %s '%s': %s\n",
				 m->name, s->slot, prog ? "program" : "map",
				 tname, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Index form (loader) to id form (host), for uebpf_object_prog_insns(). */
static void to_ids(struct uebpf_object *obj, struct bpf_insn *insns,
		   size_t cnt)
{
	size_t pc;

	for (pc = 0; pc + 1 < cnt; pc++) {
		struct bpf_insn *in = &insns[pc];

		if (in->code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		if (in->src_reg == BPF_PSEUDO_MAP_IDX ||
		    in->src_reg == BPF_PSEUDO_MAP_IDX_VALUE) {
			in->src_reg = in->src_reg == BPF_PSEUDO_MAP_IDX ?
					      BPF_PSEUDO_MAP_FD :
					      BPF_PSEUDO_MAP_VALUE;
			in->imm = (int32_t)uebpf_map_id(obj->maps[in->imm].map);
		}
		pc++;
	}
}

static int load_prog(struct uebpf_object *obj, struct uebpf_object_prog *p,
		     struct uebpf_map **maps)
{
	UEBPF_OPTS(uebpf_prog_load_opts, o, .name = p->name,
		   .log_buf = obj->log_buf, .log_size = obj->log_size,
		   .log_level = obj->log_level,
		   .insn_budget = obj->insn_budget,
		   .expected_attach_type = p->attach, .engine = obj->engine,
		   .jit_blinding = obj->jit_blinding);
	struct bpf_insn *insns;
	size_t cnt;
	int err;

	err = uebpf_link_prog(obj, p, &insns, &cnt);
	if (err)
		return err;
	p->prog = uebpf_prog_load_internal(obj->rt, p->type, insns, cnt, &o,
					   maps, obj->nr_maps);
	if (!p->prog) {
		err = -errno;
		obj_warn(obj, "program '%s' (section '%s') did not load: %s\n",
			 p->name, p->sec_name, strerror(errno));
		free(insns);
		return err;
	}
	to_ids(obj, insns, cnt);
	p->insns = insns;
	p->insn_cnt = cnt;
	return 0;
}

static void unload(struct uebpf_object *obj, const bool *pinned_here)
{
	size_t i;

	for (i = 0; i < obj->nr_progs; i++) {
		uebpf_prog_free(obj->progs[i].prog);
		obj->progs[i].prog = NULL;
		free(obj->progs[i].insns);
		obj->progs[i].insns = NULL;
	}
	for (i = 0; i < obj->nr_maps; i++) {
		if (pinned_here && pinned_here[i])
			uebpf_map_unpin(obj->rt, obj->maps[i].name);
		uebpf_map_put(obj->maps[i].map);
		obj->maps[i].map = NULL;
	}
}

int uebpf_object_load(struct uebpf_object *obj)
{
	struct uebpf_map **maps = NULL;
	bool *pinned_here = NULL, *filled = NULL;
	size_t i;
	int err = 0;

	if (!obj)
		return -EINVAL;
	if (obj->state != OBJ_OPEN) {
		obj_warn(obj, "uebpf_object_load: the object was %s; open it again to load it again\n",
			 obj->state == OBJ_LOADED ? "loaded already" :
						    "already loaded and failed");
		return -EINVAL;
	}
	for (i = 0; i < obj->nr_progs; i++) {
		struct uebpf_object_prog *p = &obj->progs[i];

		if (p->autoload && !p->type_known) {
			obj_warn(obj, "program '%s': section '%s' does not say its type; set it with uebpf_object_prog_set_type() or turn its autoload off\n",
				 p->name, p->sec_name);
			return -EOPNOTSUPP;
		}
	}
	maps = calloc(obj->nr_maps + 1, sizeof(*maps));
	pinned_here = calloc(obj->nr_maps + 1, sizeof(*pinned_here));
	filled = calloc(obj->nr_maps + 1, sizeof(*filled));
	if (!maps || !pinned_here || !filled) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; !err && i < obj->nr_maps; i++) {
		struct uebpf_object_map *m = &obj->maps[i];

		if (m->reuse) {
			m->map = uebpf_map_get(m->reuse);
		} else if (m->def.pinning == 1 /* LIBBPF_PIN_BY_NAME */) {
			err = pinned_map(obj, m, &pinned_here[i]);
			filled[i] = err == 0;
			err = err < 0 ? err : 0;
		} else {
			err = create_map(obj, m);
			filled[i] = true;
		}
		maps[i] = m->map;
	}
	/* Map-in-map slots once every map exists; only in maps we made. */
	for (i = 0; !err && i < obj->nr_maps; i++)
		if (filled[i] && is_map_in_map(obj->maps[i].def.type))
			err = fill_slots(obj, &obj->maps[i]);
	for (i = 0; !err && i < obj->nr_progs; i++)
		if (obj->progs[i].autoload)
			err = load_prog(obj, &obj->progs[i], maps);
	/* PROG_ARRAY slots are the programs', filled in reused maps too. */
	for (i = 0; !err && i < obj->nr_maps; i++)
		if (obj->maps[i].def.type == BPF_MAP_TYPE_PROG_ARRAY)
			err = fill_slots(obj, &obj->maps[i]);
out:
	if (err) {
		unload(obj, pinned_here);
		obj->state = OBJ_FAILED;
	} else {
		obj->state = OBJ_LOADED;
	}
	free(maps);
	free(pinned_here);
	free(filled);
	return err;
}

/* ---- programs ------------------------------------------------------------ */

static bool prog_of(const struct uebpf_object *obj,
		    const struct uebpf_object_prog *p)
{
	return p >= obj->progs && p < obj->progs + obj->nr_progs;
}

struct uebpf_object_prog *
uebpf_object_find_prog(const struct uebpf_object *obj, const char *name)
{
	size_t i;

	if (!obj || !name) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < obj->nr_progs; i++)
		if (!strcmp(obj->progs[i].name, name))
			return &obj->progs[i];
	errno = ENOENT;
	return NULL;
}

struct uebpf_object_prog *
uebpf_object_next_prog(const struct uebpf_object *obj,
		       const struct uebpf_object_prog *prev)
{
	size_t i;

	if (!obj || (prev && !prog_of(obj, prev))) {
		errno = EINVAL;
		return NULL;
	}
	i = prev ? (size_t)(prev - obj->progs) + 1 : 0;
	return i < obj->nr_progs ? &obj->progs[i] : NULL;
}

const char *uebpf_object_prog_name(const struct uebpf_object_prog *p)
{
	return p ? p->name : NULL;
}

const char *uebpf_object_prog_section(const struct uebpf_object_prog *p)
{
	return p ? p->sec_name : NULL;
}

enum bpf_prog_type uebpf_object_prog_type(const struct uebpf_object_prog *p)
{
	return p ? p->type : BPF_PROG_TYPE_UNSPEC;
}

int uebpf_object_prog_set_type(struct uebpf_object_prog *p,
			       enum bpf_prog_type type)
{
	if (!p || !uebpf_prog_type_name(type))
		return -EINVAL;
	if (p->obj->state != OBJ_OPEN)
		return -EBUSY;
	p->type = type;
	p->type_known = true;
	return 0;
}

_Bool uebpf_object_prog_autoload(const struct uebpf_object_prog *p)
{
	return p ? p->autoload : false;
}

int uebpf_object_prog_set_autoload(struct uebpf_object_prog *p,
				   _Bool autoload)
{
	if (!p)
		return -EINVAL;
	if (p->obj->state != OBJ_OPEN)
		return -EBUSY;
	p->autoload = autoload;
	return 0;
}

size_t uebpf_object_prog_insn_cnt(const struct uebpf_object_prog *p)
{
	if (!p)
		return 0;
	return p->insns ? p->insn_cnt : p->obj->funcs[p->func].cnt;
}

const struct bpf_insn *
uebpf_object_prog_insns(const struct uebpf_object_prog *p)
{
	const struct obj_func *f;

	if (!p) {
		errno = EINVAL;
		return NULL;
	}
	if (p->insns)
		return p->insns;
	f = &p->obj->funcs[p->func];
	/* Code sections are kept 8-byte aligned (lib/elf.c). */
	return (const struct bpf_insn *)(p->obj->secs[f->sec].data +
					 f->off * INSN_SZ);
}

const char *uebpf_object_prog_license(const struct uebpf_object_prog *p)
{
	return p ? p->obj->license : NULL;
}

struct uebpf_prog *uebpf_object_prog_handle(const struct uebpf_object_prog *p)
{
	if (!p) {
		errno = EINVAL;
		return NULL;
	}
	if (p->obj->state != OBJ_LOADED) {
		errno = EAGAIN;
		return NULL;
	}
	if (!p->prog)
		errno = ENOENT;
	return p->prog;
}

/* ---- maps ---------------------------------------------------------------- */

static bool map_of(const struct uebpf_object *obj,
		   const struct uebpf_object_map *m)
{
	return m >= obj->maps && m < obj->maps + obj->nr_maps;
}

struct uebpf_object_map *
uebpf_object_find_map(const struct uebpf_object *obj, const char *name)
{
	size_t i;

	if (!obj || !name) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < obj->nr_maps; i++) {
		struct uebpf_object_map *m = &obj->maps[i];

		if (!strcmp(m->name, name) ||
		    (m->real_name && !strcmp(m->real_name, name)))
			return m;
	}
	errno = ENOENT;
	return NULL;
}

struct uebpf_object_map *
uebpf_object_next_map(const struct uebpf_object *obj,
		      const struct uebpf_object_map *prev)
{
	size_t i;

	if (!obj || (prev && !map_of(obj, prev))) {
		errno = EINVAL;
		return NULL;
	}
	i = prev ? (size_t)(prev - obj->maps) + 1 : 0;
	return i < obj->nr_maps ? &obj->maps[i] : NULL;
}

/* The definition, as libbpf reports it: the family may add flags to the
 * map it creates (DEVMAP adds BPF_F_RDONLY_PROG, as the kernel does),
 * which uebpf_map_flags() on the handle shows. */
static struct map_def cur_def(const struct uebpf_object_map *m)
{
	return m->def;
}

const char *uebpf_object_map_name(const struct uebpf_object_map *m)
{
	return m ? m->name : NULL;
}

enum bpf_map_type uebpf_object_map_type(const struct uebpf_object_map *m)
{
	return m ? cur_def(m).type : BPF_MAP_TYPE_UNSPEC;
}

uint32_t uebpf_object_map_key_size(const struct uebpf_object_map *m)
{
	return m ? cur_def(m).key_size : 0;
}

uint32_t uebpf_object_map_value_size(const struct uebpf_object_map *m)
{
	return m ? cur_def(m).value_size : 0;
}

uint32_t uebpf_object_map_max_entries(const struct uebpf_object_map *m)
{
	return m ? cur_def(m).max_entries : 0;
}

uint32_t uebpf_object_map_flags(const struct uebpf_object_map *m)
{
	return m ? cur_def(m).map_flags : 0;
}

static int map_settable(const struct uebpf_object_map *m)
{
	if (!m)
		return -EINVAL;
	return m->obj->state == OBJ_OPEN ? 0 : -EBUSY;
}

int uebpf_object_map_set_max_entries(struct uebpf_object_map *m,
				     uint32_t max_entries)
{
	int err = map_settable(m);

	if (err)
		return err;
	if (m->data) {
		obj_warn(m->obj, "map '%s' holds global data: it has exactly one element\n",
			 m->name);
		return -EINVAL;
	}
	m->def.max_entries = max_entries;
	uebpf_map_def_fixup(m->obj, &m->def);
	return 0;
}

int uebpf_object_map_reuse(struct uebpf_object_map *m, struct uebpf_map *map)
{
	int err = map_settable(m);

	if (err)
		return err;
	if (map && map->rt != m->obj->rt) {
		obj_warn(m->obj, "map '%s': the map to reuse belongs to another runtime\n",
			 m->name);
		return -EINVAL;
	}
	uebpf_map_put(m->reuse);
	m->reuse = uebpf_map_get(map);
	/* The reused map's attributes are the definition now. */
	if (map) {
		m->def.type = map->type;
		m->def.key_size = map->key_size;
		m->def.value_size = map->value_size;
		m->def.max_entries = map->max_entries;
		m->def.map_flags = map->map_flags;
		m->def.map_extra = map->map_extra;
	}
	return 0;
}

int uebpf_object_map_set_inner_map(struct uebpf_object_map *m,
				   struct uebpf_map *inner)
{
	int err = map_settable(m);

	if (err)
		return err;
	if (!is_map_in_map(m->def.type) || (inner && inner->rt != m->obj->rt)) {
		obj_warn(m->obj, "map '%s': an inner map template is only for an ARRAY_OF_MAPS or HASH_OF_MAPS, from the same runtime\n",
			 m->name);
		return -EINVAL;
	}
	uebpf_map_put(m->inner_tmpl);
	m->inner_tmpl = uebpf_map_get(inner);
	return 0;
}

const void *uebpf_object_map_initial_value(const struct uebpf_object_map *m,
					   size_t *size)
{
	if (!m || !m->data) {
		errno = EINVAL;
		return NULL;
	}
	if (size)
		*size = m->def.value_size;
	return m->data;
}

int uebpf_object_map_set_initial_value(struct uebpf_object_map *m,
				       const void *data, size_t size)
{
	int err = map_settable(m);

	if (err)
		return err;
	if (!m->data || m->kind == MAP_KCONFIG || !data ||
	    size != m->def.value_size) {
		obj_warn(m->obj, "map '%s': an initial value is for global data, and must be the section's size (%u bytes)\n",
			 m->name, m->def.value_size);
		return -EINVAL;
	}
	memcpy(m->data, data, size);
	return 0;
}

struct uebpf_map *uebpf_object_map_handle(const struct uebpf_object_map *m)
{
	if (!m) {
		errno = EINVAL;
		return NULL;
	}
	if (m->obj->state != OBJ_LOADED || !m->map) {
		errno = EAGAIN;
		return NULL;
	}
	return m->map;
}
