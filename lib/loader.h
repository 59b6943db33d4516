/* SPDX-License-Identifier: MIT */
/*
 * The object loader's private state, shared by its steps:
 *
 *   lib/elf.c       ELF file -> sections, symbols, functions, programs,
 *                   relocations (every index and offset checked)
 *   lib/btf_maps.c  map definitions: BTF ".maps", legacy "maps", global
 *                   data sections
 *   lib/core.c      .BTF.ext CO-RE records, resolved against the object's
 *                   own BTF
 *   lib/link.c      one program's code: relocations applied, subprograms
 *                   appended, map references as indexes into obj->maps
 *   lib/object.c    the public calls: open, load, close, getters, setters
 *
 * Offsets into sections are kept in bytes as the ELF file gives them, and
 * in instructions (8 bytes) once they are known to be aligned.
 */
#ifndef UEBPF_LOADER_H
#define UEBPF_LOADER_H

#include <libelf.h>
#include <gelf.h>
#include <bpf/btf.h>

#include "internal.h"

/* Relocation types of EM_BPF (LLVM's names; glibc's elf.h lacks some). */
#define R_BPF_NONE_ 0
#define R_BPF_64_64_ 1
#define R_BPF_64_ABS64_ 2
#define R_BPF_64_ABS32_ 3
#define R_BPF_64_NODYLD32_ 4
#define R_BPF_64_32_ 10

#define INSN_SZ 8
#define OBJ_NAME_LEN 64
#define LICENSE_LEN 128

enum sec_kind {
	SEC_OTHER = 0, /* ignored */
	SEC_CODE,      /* executable: programs and subprograms */
	SEC_BTF_MAPS,  /* .maps */
	SEC_LEGACY_MAPS, /* maps */
	SEC_DATA,      /* .data, .data.* */
	SEC_RODATA,    /* .rodata, .rodata.* */
	SEC_BSS,       /* .bss, .bss.* */
	SEC_REL,       /* SHT_REL, applied to its target */
};

/* One relocation of a code or .maps section, sorted by off. */
struct obj_rel {
	uint64_t off; /* byte offset in the target section */
	uint32_t type;
	uint32_t sym;
};

/* One .BTF.ext CO-RE record (struct bpf_core_relo). */
struct obj_core_relo {
	uint32_t insn_off; /* bytes into the section */
	uint32_t type_id;
	uint32_t access_str_off;
	uint32_t kind;
};

struct obj_sec {
	const char *name;
	uint32_t type; /* sh_type */
	uint64_t flags;
	const uint8_t *data; /* NULL for SHT_NOBITS */
	uint64_t size;
	void *copy; /* code at a misaligned file offset, realigned */
	enum sec_kind kind;
	int map; /* global data: index in obj->maps, else -1 */
	/* Code and .maps: relocations; code: the non-ignored relocations of
	 * global data sections are refused at load, hence kept too. */
	struct obj_rel *rels;
	size_t nr_rels;
	/* Code: CO-RE records, sorted by insn_off. */
	struct obj_core_relo *core;
	size_t nr_core;
	/* Code: its functions, obj->funcs[first_func ...], by offset. */
	size_t first_func, nr_funcs;
};

/* A FUNC symbol in a code section. */
struct obj_func {
	const char *name;
	size_t sym;
	uint32_t sec;
	size_t off, cnt; /* in instructions */
	int prog;	 /* entry program index, or -1 for a subprogram */
	/* Linking: where it sits in the program being linked. */
	uint64_t link_gen;
	size_t link_pos;
};

enum obj_map_kind {
	MAP_BTF,
	MAP_LEGACY,
	MAP_DATA,
	MAP_RODATA,
	MAP_BSS,
	MAP_KCONFIG,
};

struct map_def {
	uint32_t type, key_size, value_size, max_entries, map_flags;
	uint32_t numa_node, pinning;
	uint64_t map_extra;
};

/* An initial PROG_ARRAY or map-in-map slot. */
struct map_slot {
	uint32_t slot;
	uint32_t target; /* index in obj->progs or obj->maps */
};

struct uebpf_object_map {
	struct uebpf_object *obj;
	char *name;	  /* variable, symbol, or libbpf's data map name */
	char *real_name;  /* global data: the section name */
	enum obj_map_kind kind;
	struct map_def def;
	bool has_inner;
	struct map_def inner; /* template from __array(values, struct {...}) */
	uint32_t sec;
	uint64_t sec_off, sec_size; /* the definition's bytes */
	struct map_slot *slots;
	size_t nr_slots;
	uint8_t *data; /* global data: initial value (value_size bytes) */
	struct uebpf_map *reuse, *inner_tmpl;
	struct uebpf_map *map; /* after load */
};

struct uebpf_object_prog {
	struct uebpf_object *obj;
	const char *name;
	const char *sec_name; /* without '?' */
	uint32_t func;	      /* in obj->funcs */
	enum bpf_prog_type type;
	enum bpf_attach_type attach;
	bool type_known, autoload;
	struct bpf_insn *insns; /* linked, id form; NULL before load */
	size_t insn_cnt;
	struct uebpf_prog *prog;
};

enum obj_state { OBJ_OPEN, OBJ_LOADED, OBJ_FAILED };

struct uebpf_object {
	struct uebpf_runtime *rt;
	char name[OBJ_NAME_LEN];
	char license[LICENSE_LEN];
	uint32_t kern_version;
	enum obj_state state;

	uint8_t *buf; /* our copy of the file */
	size_t size;
	Elf *elf;
	struct obj_sec *secs;
	size_t nr_secs;
	const Elf64_Sym *syms;
	size_t nr_syms;
	const char *strtab;
	size_t strtab_size;
	uint32_t text_sec, btf_maps_sec, legacy_maps_sec; /* 0: none */
	struct btf *btf;
	uint32_t btf_maps_datasec; /* BTF id of DATASEC .maps */

	struct obj_func *funcs;
	size_t nr_funcs;
	struct uebpf_object_prog *progs;
	size_t nr_progs;
	struct uebpf_object_map *maps;
	size_t nr_maps;
	size_t nr_user_maps; /* BTF and legacy maps come first */

	uint64_t link_gen;

	/* From the open options, for every program's load. */
	char *log_buf;
	size_t log_size;
	unsigned int log_level;
	uint64_t insn_budget;
	enum uebpf_engine engine;
	bool jit_blinding;
};

#define obj_warn(obj, fmt, ...)                                                \
	pr_warn((obj)->rt, "object '%s': " fmt, (obj)->name, ##__VA_ARGS__)
#define obj_info(obj, fmt, ...)                                                \
	pr_info((obj)->rt, "object '%s': " fmt, (obj)->name, ##__VA_ARGS__)
#define obj_debug(obj, fmt, ...)                                               \
	pr_debug((obj)->rt, "object '%s': " fmt, (obj)->name, ##__VA_ARGS__)

/* ---- lib/elf.c ----------------------------------------------------------- */

/* Parses obj->buf: sections, symbols, license, functions, programs and
 * relocations; opens the BTF.  Every index, offset and size checked. */
int uebpf_elf_parse(struct uebpf_object *obj) UEBPF_HIDDEN;
/* Symbol i's name ("" when it has none); i < obj->nr_syms. */
const char *uebpf_elf_sym_name(const struct uebpf_object *obj, size_t i)
	UEBPF_HIDDEN;
/* What a message calls symbol i: its name, or its section's for a
 * section symbol. */
const char *uebpf_elf_sym_desc(const struct uebpf_object *obj, size_t i)
	UEBPF_HIDDEN;
/* "R_BPF_64_64", ... or NULL. */
const char *uebpf_elf_rel_name(uint32_t type) UEBPF_HIDDEN;
/* The function of section sec that starts at insn off, or NULL. */
struct obj_func *uebpf_elf_func_at(struct uebpf_object *obj, uint32_t sec,
				   size_t off) UEBPF_HIDDEN;
/* Program type and expected attach type from a section name. */
bool uebpf_sec_prog_type(const char *sec, enum bpf_prog_type *type,
			 enum bpf_attach_type *attach, bool *legacy)
	UEBPF_HIDDEN;

/* ---- lib/btf_maps.c ------------------------------------------------------ */

/* The maps: BTF-defined, legacy, then global data, with initial slots. */
int uebpf_maps_parse(struct uebpf_object *obj) UEBPF_HIDDEN;
/* Ring buffer sizes rounded to a power-of-2 number of pages, and 0
 * PERF_EVENT_ARRAY entries made the number of CPU slots, as libbpf does. */
void uebpf_map_def_fixup(struct uebpf_object *obj, struct map_def *def)
	UEBPF_HIDDEN;
/* The libbpf name of a global data map: object name prefix + section. */
void uebpf_data_map_name(const char *obj_name, const char *sec_name,
			 char *buf, size_t size) UEBPF_HIDDEN;
/* Skips modifiers and typedefs (bounded, for cyclic input); NULL when an
 * id is out of range.  *id receives the id of the type returned. */
const struct btf_type *uebpf_btf_skip_mods(const struct btf *btf, uint32_t id,
					   uint32_t *res_id) UEBPF_HIDDEN;

/* ---- lib/core.c ---------------------------------------------------------- */

/* Reads .BTF.ext and hangs its CO-RE records on their code sections. */
int uebpf_core_parse(struct uebpf_object *obj, const uint8_t *data,
		     size_t size) UEBPF_HIDDEN;
/* Applies one CO-RE record to insn (at pc of program prog_name); logs and
 * returns a negative errno when it cannot. */
int uebpf_core_apply(struct uebpf_object *obj, const char *prog_name,
		     const struct obj_core_relo *relo, struct bpf_insn *insn,
		     size_t avail, size_t pc) UEBPF_HIDDEN;

/* ---- lib/link.c ---------------------------------------------------------- */

/* Links program p: its code with every reachable subprogram appended,
 * relocations and CO-RE applied; map references as BPF_PSEUDO_MAP_IDX /
 * _IDX_VALUE with imm the index in obj->maps.  *insns is malloc'd. */
int uebpf_link_prog(struct uebpf_object *obj, struct uebpf_object_prog *p,
		    struct bpf_insn **insns, size_t *cnt) UEBPF_HIDDEN;
/* Links every program whose autoload is on, discarding the results: what
 * open + link costs, for bench/bench_load.c. */
int uebpf_object_link_all(struct uebpf_object *obj) UEBPF_HIDDEN;
/* The version LINUX_KERNEL_VERSION holds: the host kernel's, as libbpf. */
uint32_t uebpf_kernel_version(void) UEBPF_HIDDEN;

/* ---- lib/pin.c ----------------------------------------------------------- */

/* With rt->pin_lock held: pin (taking a reference), or a new reference to
 * the pinned map (NULL when none). */
int uebpf_pin_add_locked(struct uebpf_runtime *rt, const char *name,
			 struct uebpf_map *map) UEBPF_HIDDEN;
struct uebpf_map *uebpf_pin_get_locked(struct uebpf_runtime *rt,
				       const char *name) UEBPF_HIDDEN;

#endif /* UEBPF_LOADER_H */
