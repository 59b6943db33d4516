/* SPDX-License-Identifier: MIT */
/*
 * libuebpf: BPF ELF objects, as clang or llc produce them for the kernel.
 * Included by uebpf.h; do not include it on its own.
 *
 * An object goes through two states:
 *
 *   opened   uebpf_object_open_file() / uebpf_object_open_mem() parsed the
 *            ELF file: its programs, maps, global data, BTF and
 *            relocations.  Nothing exists in the runtime yet; programs and
 *            maps are descriptions (struct uebpf_object_prog,
 *            struct uebpf_object_map) that the setters below may change.
 *   loaded   uebpf_object_load() created (or reused) the maps, linked every
 *            program (relocations, subprograms, CO-RE), loaded it
 *            (validation; verification once the verifier exists) and filled
 *            the initial values of PROG_ARRAY and map-in-map slots.  The
 *            descriptions now lead to the runtime's handles:
 *            uebpf_object_prog_handle() and uebpf_object_map_handle().
 *
 * The descriptions belong to the object and stay valid until
 * uebpf_object_close(); so do the handles they return, unless the host
 * takes its own reference (uebpf_map_get()).
 *
 * What an object may contain (the loader follows libbpf; where libbpf 1.x
 * refuses an old form, libuebpf still opens it):
 *  - programs: every global function in an executable section other than
 *    .text, several per section allowed; the section name gives the type
 *    as libbpf's SEC() names do ("xdp", "xdp.frags", "xdp/devmap", "tc",
 *    "kprobe/...", ...); a leading '?' (SEC("?xdp")) turns autoload off;
 *    legacy names starting with "xdp" ("xdp_prog", "xdp1") are XDP, with
 *    a notice in the log; other names leave the type unknown, and such a
 *    program does not load until uebpf_object_prog_set_type() says what
 *    it is;
 *  - subprograms: static or global functions in .text and static
 *    functions in a program's section, reached by calls (R_BPF_64_32, or
 *    no relocation within a section) or callback references (ld_imm64);
 *    each program gets a copy of every subprogram it reaches, appended
 *    after its own code in the order libbpf appends them;
 *  - maps: BTF-defined in ".maps" (__uint, __type, __array: inner map
 *    templates, initial PROG_ARRAY and map-in-map slots, pinning =
 *    LIBBPF_PIN_BY_NAME), legacy struct bpf_map_def in "maps" (of any
 *    size; bytes past the first 20 must be zero);
 *  - global data: .data, .data.*, .rodata, .rodata.*, .bss, .bss.* become
 *    single-element ARRAY maps holding the section's contents, named as
 *    libbpf names them ("<object>.rodata", ".rodata.foo"); .rodata and
 *    .rodata.* are BPF_F_RDONLY_PROG and frozen once filled;
 *  - CO-RE relocations (.BTF.ext), resolved against the object's own BTF:
 *    a local type "foo___flavor" stands for the object's "foo";
 *  - the extern LINUX_KERNEL_VERSION (the host kernel's version, from
 *    uname(2), as libbpf computes it).
 * Refused by name: at open, struct_ops sections and legacy map definitions
 * with fields past struct bpf_map_def; at load, other externs (__kconfig,
 * __ksym variables), kfunc calls, CO-RE relocations only kernel BTF could
 * resolve (a type the object's BTF does not define), relocations inside
 * global data.  Relocations in .BTF, .BTF.ext, .eh_frame and debug
 * sections are ignored; a relocation type other than R_BPF_64_64
 * (ld_imm64) and R_BPF_64_32 (call) in code is an error naming it.
 *
 * Thread safety, for every call below: an object is used by one thread at
 * a time; different objects may be opened, loaded and closed concurrently
 * in one runtime.  Once loaded, the getters may be called from any number
 * of threads while no thread closes the object.
 */
#ifndef UEBPF_OBJECT_H
#define UEBPF_OBJECT_H

#ifndef UEBPF_H
#error "include uebpf.h, not uebpf/object.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

struct uebpf_object;
struct uebpf_object_prog;
struct uebpf_object_map;

struct uebpf_object_open_opts {
	size_t sz;
	/* The object's name, which prefixes the global data maps' names;
	 * copied.  Default: the file name up to its first '.' for
	 * open_file, "<buf address>-<size>" in hex for open_mem (as libbpf). */
	const char *object_name;
	/* Passed to every program's load (struct uebpf_prog_load_opts): the
	 * buffer holds the log of the last program loaded, so after a failed
	 * uebpf_object_load() it explains the failure.  log_buf and log_size
	 * go together (EINVAL otherwise). */
	char *log_buf;
	size_t log_size;
	unsigned int log_level;
	/* Instructions one run of each program may execute; 0: unlimited. */
	uint64_t insn_budget;
	/* Passed to every program's load: the engine, constant blinding. */
	enum uebpf_engine engine;
	_Bool jit_blinding;
};

/*
 * Parse the BPF ELF object in the file at path.  opts may be NULL.
 * Returns the object, or NULL with errno set:
 *   ENOEXEC     not a little-endian 64-bit EM_BPF relocatable ELF file
 *               (or empty, or truncated before its ELF header);
 *   EINVAL      rt or path NULL, bad opts, or a malformed file:
 *               out-of-range indexes or offsets, overlapping sections,
 *               relocations off their instruction, malformed BTF or map
 *               definitions;
 *   EOPNOTSUPP  a well-formed feature libuebpf does not support
 *               (struct_ops, relocation types code cannot have, legacy
 *               map fields past struct bpf_map_def, unknown BTF map
 *               fields);
 *   E2BIG       a global data section over 1 GiB;
 *   ENOMEM, or the errno of open(2), fstat(2) or read(2) (ENOENT, EACCES,
 *   EISDIR...).
 * The runtime's log says what is wrong and where.
 * Thread safety: safe; rt may be in use by other threads.
 */
UEBPF_API struct uebpf_object *
uebpf_object_open_file(struct uebpf_runtime *rt, const char *path,
		       const struct uebpf_object_open_opts *opts);

/*
 * Parse a BPF ELF object held in memory.  The object keeps its own copy:
 * buf may be freed once this returns.  Errors as uebpf_object_open_file()
 * (ENOEXEC for size 0, EINVAL for buf NULL).  Thread safety: safe.
 */
UEBPF_API struct uebpf_object *
uebpf_object_open_mem(struct uebpf_runtime *rt, const void *buf, size_t size,
		      const struct uebpf_object_open_opts *opts);

/*
 * Create the maps (reusing those given to uebpf_object_map_reuse() and
 * those pinned under the same name), fill global data, freeze .rodata,
 * fill map-in-map slots, link and load every program whose autoload is
 * on, then fill PROG_ARRAY slots.  Returns 0, or a negative errno:
 *   -EINVAL     obj NULL; called twice; a relocation or CO-RE record that
 *               does not fit the code (the log names program, instruction
 *               and symbol); a pinned map of the same name whose type,
 *               sizes, max_entries or flags differ; a map-in-map without
 *               an inner template; a PROG_ARRAY slot whose program is not
 *               loaded;
 *   -EOPNOTSUPP an extern, kfunc or kernel-only CO-RE relocation, pointers
 *               in global data, a program whose type is unknown (set it,
 *               or turn its autoload off), a map type the runtime lacks;
 *   and the errors of uebpf_map_create(), uebpf_map_update_elem() (a
 *   slot past max_entries: -E2BIG) and uebpf_prog_load().
 * On failure everything the call created is released (and what it pinned
 * unpinned); the object can still be inspected and must be closed, but
 * not loaded again.
 * Thread safety: not with any other call on the same object.
 */
UEBPF_API int uebpf_object_load(struct uebpf_object *obj);

/*
 * Free the object, its programs, and its references to its maps (a map
 * lives on while the host, a pin, a program of another object or an
 * outer map holds it).  NULL is ignored.
 * Thread safety: not with any other call on the same object; none of the
 * object's programs may be running.
 */
UEBPF_API void uebpf_object_close(struct uebpf_object *obj);

/* The object's name (see object_name); NULL for a NULL obj. */
UEBPF_API const char *uebpf_object_name(const struct uebpf_object *obj);

/* ---- programs ----------------------------------------------------------- */

/*
 * The program (entry function) called name, or NULL with errno ENOENT
 * (EINVAL for NULL arguments).  Subprograms are not programs.
 */
UEBPF_API struct uebpf_object_prog *
uebpf_object_find_prog(const struct uebpf_object *obj, const char *name);

/*
 * Iteration in section order, then by offset, as libbpf lists programs:
 *	for (p = uebpf_object_next_prog(obj, NULL); p;
 *	     p = uebpf_object_next_prog(obj, p))
 * NULL after the last one (errno untouched), or with errno EINVAL when obj
 * is NULL or prev is not one of its programs.
 */
UEBPF_API struct uebpf_object_prog *
uebpf_object_next_prog(const struct uebpf_object *obj,
		       const struct uebpf_object_prog *prev);

/* Its function's name; NULL for a NULL p. */
UEBPF_API const char *uebpf_object_prog_name(const struct uebpf_object_prog *p);
/* The ELF section, without a leading '?'; NULL for a NULL p. */
UEBPF_API const char *
uebpf_object_prog_section(const struct uebpf_object_prog *p);
/* The type the section name gives, or the one set; BPF_PROG_TYPE_UNSPEC
 * when neither says. */
UEBPF_API enum bpf_prog_type
uebpf_object_prog_type(const struct uebpf_object_prog *p);
/*
 * Before load: the program's type, whatever its section says, as
 * bpf_program__set_type().  BPF_PROG_TYPE_UNSPEC loads it as a raw program
 * (uebpf_prog_run() runs it with r1 = memory, r2 = length).  0, -EBUSY
 * after load, -EINVAL for NULL or a type the kernel header does not name.
 */
UEBPF_API int uebpf_object_prog_set_type(struct uebpf_object_prog *p,
					 enum bpf_prog_type type);
/* Whether uebpf_object_load() loads it: on, off for SEC("?..."). */
UEBPF_API _Bool uebpf_object_prog_autoload(const struct uebpf_object_prog *p);
/* Before load: 0, -EBUSY after load, -EINVAL for NULL. */
UEBPF_API int uebpf_object_prog_set_autoload(struct uebpf_object_prog *p,
					     _Bool autoload);
/*
 * Instructions.  Before load, and for a program that was not loaded: the
 * function's own, as in the file.  After load: the linked program
 * (subprograms appended, relocations and CO-RE applied), with map
 * references written as a host writes them for uebpf_prog_load(): src
 * BPF_PSEUDO_MAP_FD or BPF_PSEUDO_MAP_VALUE, imm the map's id (and the
 * next instruction's imm the value offset).  The pointer stays valid until
 * load or close.  insn_cnt is 0 and insns NULL (errno EINVAL) for NULL.
 */
UEBPF_API size_t uebpf_object_prog_insn_cnt(const struct uebpf_object_prog *p);
UEBPF_API const struct bpf_insn *
uebpf_object_prog_insns(const struct uebpf_object_prog *p);
/* The object's license string ("" without a license section). */
UEBPF_API const char *
uebpf_object_prog_license(const struct uebpf_object_prog *p);
/*
 * After load: the loaded program, owned by the object (valid until
 * uebpf_object_close()).  NULL with errno EAGAIN when the object is not
 * loaded (or its load failed), ENOENT for a program whose autoload was
 * off, EINVAL for NULL.
 */
UEBPF_API struct uebpf_prog *
uebpf_object_prog_handle(const struct uebpf_object_prog *p);

/* ---- maps --------------------------------------------------------------- */

/*
 * The map called name: its variable or symbol name, or for global data
 * its section name (".rodata") or its map name ("myobj.rodata").  NULL
 * with errno ENOENT (EINVAL for NULL arguments).  Inner map templates are
 * not maps of the object.
 */
UEBPF_API struct uebpf_object_map *
uebpf_object_find_map(const struct uebpf_object *obj, const char *name);
/* Iteration, as uebpf_object_next_prog(): BTF and legacy maps in the
 * order the object defines them, then global data in section order. */
UEBPF_API struct uebpf_object_map *
uebpf_object_next_map(const struct uebpf_object *obj,
		      const struct uebpf_object_map *prev);

/*
 * The definition, as libbpf reports it: name (variable name, or
 * "<object>.rodata"-style for global data), type, sizes, max_entries
 * (PERF_EVENT_ARRAY 0 becomes the runtime's CPU slots, RINGBUF rounds up to
 * a power-of-2 number of pages), map_flags (the created map may have more:
 * DEVMAP adds BPF_F_RDONLY_PROG as the kernel does; see uebpf_map_flags()).
 * After uebpf_object_map_reuse(), the reused map's attributes.  0 (NULL
 * for the name) when m is NULL.
 */
UEBPF_API const char *uebpf_object_map_name(const struct uebpf_object_map *m);
UEBPF_API enum bpf_map_type
uebpf_object_map_type(const struct uebpf_object_map *m);
UEBPF_API uint32_t uebpf_object_map_key_size(const struct uebpf_object_map *m);
UEBPF_API uint32_t
uebpf_object_map_value_size(const struct uebpf_object_map *m);
UEBPF_API uint32_t
uebpf_object_map_max_entries(const struct uebpf_object_map *m);
UEBPF_API uint32_t uebpf_object_map_flags(const struct uebpf_object_map *m);

/* Before load: 0, -EBUSY after load, -EINVAL for NULL or global data
 * (always one element). */
UEBPF_API int uebpf_object_map_set_max_entries(struct uebpf_object_map *m,
					       uint32_t max_entries);
/*
 * Before load: use map instead of creating one (bpf_map__reuse_fd()): the
 * object takes a reference, the definition takes map's attributes, and
 * the object's initial values for it are not written, except PROG_ARRAY
 * slots, which are the object's programs.  NULL drops a reuse set before.
 * 0, -EBUSY after load, -EINVAL for NULL m or a map of another runtime.
 */
UEBPF_API int uebpf_object_map_reuse(struct uebpf_object_map *m,
				     struct uebpf_map *map);
/*
 * Before load: the inner map template of an ARRAY_OF_MAPS or HASH_OF_MAPS
 * (bpf_map__set_inner_map_fd()), in place of the one __array() declares;
 * the object takes a reference.  0, -EBUSY after load, -EINVAL for another
 * map type or a map of another runtime.
 */
UEBPF_API int uebpf_object_map_set_inner_map(struct uebpf_object_map *m,
					     struct uebpf_map *inner);
/*
 * Global data: the contents the map is created with (the section's, or as
 * set), which the host may read and change before load (a .rodata
 * configuration, say); *size (if not NULL) receives the value size.  NULL
 * with errno EINVAL for other maps.
 */
UEBPF_API const void *
uebpf_object_map_initial_value(const struct uebpf_object_map *m, size_t *size);
/* Before load; size must be the value size.  0, -EBUSY after load,
 * -EINVAL otherwise. */
UEBPF_API int uebpf_object_map_set_initial_value(struct uebpf_object_map *m,
						 const void *data, size_t size);
/*
 * After load: the map, owned by the object (valid until
 * uebpf_object_close(); take a reference with uebpf_map_get() to keep it
 * longer).  NULL with errno EAGAIN when the object is not loaded (or its
 * load failed), EINVAL for NULL.
 */
UEBPF_API struct uebpf_map *
uebpf_object_map_handle(const struct uebpf_object_map *m);

/* ---- pinning ------------------------------------------------------------ */

/*
 * A runtime keeps a registry of maps by name in place of the kernel's
 * /sys/fs/bpf.  A map defined with pinning = LIBBPF_PIN_BY_NAME is looked
 * up there by its full name at load: found, it is reused if type, sizes,
 * max_entries, flags and map_extra match (-EINVAL from the load
 * otherwise), and the object writes no initial values into it but its
 * PROG_ARRAY slots; not found, it is created, filled and pinned.  A pin
 * holds a reference until the name is unpinned or the runtime freed.  The
 * three calls are thread-safe.
 */
/* Pin map under name (1 to 255 bytes): 0, -EEXIST if the name is taken,
 * -EINVAL for a NULL map or a bad name, -ENOMEM. */
UEBPF_API int uebpf_map_pin(struct uebpf_map *map, const char *name);
/* Drop the pin: 0, -ENOENT when nothing is pinned there, -EINVAL. */
UEBPF_API int uebpf_map_unpin(struct uebpf_runtime *rt, const char *name);
/* A new reference to the map pinned under name (put it with
 * uebpf_map_put()), or NULL with errno ENOENT (EINVAL for NULL). */
UEBPF_API struct uebpf_map *uebpf_map_get_pinned(struct uebpf_runtime *rt,
						 const char *name);

#ifdef __cplusplus
}
#endif
#endif /* UEBPF_OBJECT_H */
