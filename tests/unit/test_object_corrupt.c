/* SPDX-License-Identifier: MIT */
/*
 * Bad objects: ELF files written here byte by byte (a small writer below)
 * and then broken one way at a time: truncated, corrupt headers, the wrong
 * machine or class, section and symbol indexes out of range, relocations
 * outside their section, off an instruction, of the wrong type or against
 * the wrong kind of symbol, overlapping and oversized sections, malformed
 * BTF (built with libbpf's btf__add_*() and then spoiled) and map
 * definitions.  Each must fail with the right errno and a log line that
 * says what is wrong; run under ASan/LSan, none may leak or crash.
 */
#include <elf.h>

#include <bpf/btf.h>

#include "test_object.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif
#define R_64_64 1
#define R_64_ABS64 2
#define R_64_32 10

/* ---- a tiny ELF writer --------------------------------------------------- */

struct wsec {
	const char *name;
	uint32_t type;
	uint64_t flags;
	const void *data;
	size_t size;
	uint32_t link, info;
	uint64_t entsize;
};

#define MAX_SECS 16

struct elf_spec {
	struct wsec secs[MAX_SECS]; /* [0] unused: the null section */
	int n;			    /* sections, shstrtab excluded */
};

/* Writes header, section contents (8-aligned), .shstrtab and the section
 * header table; returns the size. */
static size_t write_elf(const struct elf_spec *s, uint8_t *out, size_t cap)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)out;
	Elf64_Shdr sh[MAX_SECS + 1];
	char names[512];
	size_t off = sizeof(*eh), noff = 1;
	int i, shstr = s->n + 1;

	memset(out, 0, cap);
	memset(sh, 0, sizeof(sh));
	names[0] = '\0';
	for (i = 1; i <= s->n; i++) {
		const struct wsec *w = &s->secs[i];

		off = (off + 7) & ~(size_t)7;
		sh[i].sh_name = noff;
		noff += snprintf(names + noff, sizeof(names) - noff, "%s",
				 w->name) + 1;
		sh[i].sh_type = w->type;
		sh[i].sh_flags = w->flags;
		sh[i].sh_offset = off;
		sh[i].sh_size = w->size;
		sh[i].sh_link = w->link;
		sh[i].sh_info = w->info;
		sh[i].sh_entsize = w->entsize;
		sh[i].sh_addralign = 8;
		if (w->type != SHT_NOBITS) {
			assert_true(off + w->size < cap);
			memcpy(out + off, w->data, w->size);
			off += w->size;
		}
	}
	sh[shstr].sh_name = noff;
	noff += snprintf(names + noff, sizeof(names) - noff, ".shstrtab") + 1;
	sh[shstr].sh_type = SHT_STRTAB;
	sh[shstr].sh_offset = off;
	sh[shstr].sh_size = noff;
	memcpy(out + off, names, noff);
	off = (off + noff + 7) & ~(size_t)7;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_REL;
	eh->e_machine = EM_BPF;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(*eh);
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = shstr + 1;
	eh->e_shstrndx = shstr;
	eh->e_shoff = off;
	assert_true(off + (shstr + 1) * sizeof(Elf64_Shdr) <= cap);
	memcpy(out + off, sh, (shstr + 1) * sizeof(Elf64_Shdr));
	return off + (shstr + 1) * sizeof(Elf64_Shdr);
}

/* ---- the good object, in pieces the tests spoil -------------------------- */

enum { S_STRTAB = 1, S_XDP, S_TEXT, S_MAPS, S_DATA, S_SYMTAB, S_LICENSE,
       S_REL, S_N = S_REL };
enum { Y_NULL, Y_TEXT_SEC, Y_SUB, Y_PROG, Y_MAP, Y_VAR, Y_N };

static const char strtab[] = "\0sub\0prog\0mymap\0var";

static struct bpf_insn xdp_code[] = {
	/* r1 = &mymap (relocated), r2 = &var (relocated), call sub,
	 * r0 += 1, exit */
	{ .code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = 1 },
	{ 0 },
	{ .code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = 2 },
	{ 0 },
	{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_CALL, .imm = -1 },
	{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .imm = 1 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static const struct bpf_insn text_code[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = 41 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static const uint32_t map_def[5] = { BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0 };
static const uint64_t data_bytes = 7;

struct obj {
	struct elf_spec spec;
	Elf64_Sym syms[Y_N + 2];
	Elf64_Rel rels[4];
	struct bpf_insn xdp[ARRAY_SIZE(xdp_code)];
	uint8_t buf[8192];
	size_t size;
};

static struct wsec sec(const char *name, uint32_t type, uint64_t flags,
		       const void *data, size_t size)
{
	return (struct wsec){ .name = name,
			      .type = type,
			      .flags = flags,
			      .data = data,
			      .size = size };
}

static Elf64_Sym sym(uint32_t name, int type, int bind, uint16_t shndx,
		     uint64_t value, uint64_t size)
{
	return (Elf64_Sym){ .st_name = name,
			    .st_info = ELF64_ST_INFO(bind, type),
			    .st_shndx = shndx,
			    .st_value = value,
			    .st_size = size };
}

static void good(struct obj *o)
{
	struct wsec *s = o->spec.secs;

	memset(o, 0, sizeof(*o));
	memcpy(o->xdp, xdp_code, sizeof(xdp_code));
	o->syms[Y_TEXT_SEC] = sym(0, STT_SECTION, STB_LOCAL, S_TEXT, 0, 0);
	o->syms[Y_SUB] = sym(1, STT_FUNC, STB_LOCAL, S_TEXT, 0,
			     sizeof(text_code));
	o->syms[Y_PROG] = sym(5, STT_FUNC, STB_GLOBAL, S_XDP, 0,
			      sizeof(xdp_code));
	o->syms[Y_MAP] = sym(10, STT_OBJECT, STB_GLOBAL, S_MAPS, 0, 20);
	o->syms[Y_VAR] = sym(16, STT_OBJECT, STB_GLOBAL, S_DATA, 0, 8);
	o->rels[0] = (Elf64_Rel){ 0, ELF64_R_INFO(Y_MAP, R_64_64) };
	o->rels[1] = (Elf64_Rel){ 16, ELF64_R_INFO(Y_VAR, R_64_64) };
	o->rels[2] = (Elf64_Rel){ 32, ELF64_R_INFO(Y_SUB, R_64_32) };
	s[S_STRTAB] = sec(".strtab", SHT_STRTAB, 0, strtab, sizeof(strtab));
	s[S_XDP] = sec("xdp", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, o->xdp,
		       sizeof(o->xdp));
	s[S_TEXT] = sec(".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
			text_code, sizeof(text_code));
	s[S_MAPS] = sec("maps", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, map_def,
			sizeof(map_def));
	s[S_DATA] = sec(".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE,
			&data_bytes, 8);
	s[S_SYMTAB] = sec(".symtab", SHT_SYMTAB, 0, o->syms,
			  Y_N * sizeof(Elf64_Sym));
	s[S_SYMTAB].link = S_STRTAB;
	s[S_SYMTAB].info = 2;
	s[S_SYMTAB].entsize = sizeof(Elf64_Sym);
	s[S_LICENSE] = sec("license", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE,
			   "GPL", 4);
	s[S_REL] = sec(".relxdp", SHT_REL, 0, o->rels, 3 * sizeof(Elf64_Rel));
	s[S_REL].link = S_SYMTAB;
	s[S_REL].info = S_XDP;
	s[S_REL].entsize = sizeof(Elf64_Rel);
	o->spec.n = S_N;
}

static void build(struct obj *o)
{
	o->size = write_elf(&o->spec, o->buf, sizeof(o->buf));
}

static Elf64_Ehdr *ehdr(struct obj *o)
{
	return (Elf64_Ehdr *)o->buf;
}

static Elf64_Shdr *shdr(struct obj *o, int i)
{
	return (Elf64_Shdr *)(o->buf + ehdr(o)->e_shoff) + i;
}

/* open_mem must fail with err, logging needle. */
static void expect_open_fail(struct uebpf_runtime *rt, struct obj *o,
			     int err, const char *needle)
{
	struct uebpf_object *obj;

	cap.text[0] = '\0';
	errno = 0;
	obj = uebpf_object_open_mem(rt, o->buf, o->size, NULL);
	if (obj) {
		uebpf_object_close(obj);
		fail_msg("opened an object that should fail with \"%s\"",
			 needle);
	}
	if (errno != err)
		fail_msg("errno %d (%s), expected %d (%s); log:\n%s", errno,
			 strerror(errno), err, strerror(err), cap.text);
	assert_logged(needle);
}

/* Opens, then load must fail with err, logging needle. */
static void expect_load_fail(struct uebpf_runtime *rt, struct obj *o,
			     int err, const char *needle)
{
	struct uebpf_object *obj;
	int rc;

	cap.text[0] = '\0';
	obj = uebpf_object_open_mem(rt, o->buf, o->size, NULL);
	if (!obj)
		fail_msg("open failed: %s\n%s", strerror(errno), cap.text);
	rc = uebpf_object_load(obj);
	uebpf_object_close(obj);
	if (rc != -err)
		fail_msg("load returned %d, expected %d; log:\n%s", rc, -err,
			 cap.text);
	assert_logged(needle);
}

/* ---- the good object works ----------------------------------------------- */

static void test_good_object(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *obj;
	struct obj o;
	uint64_t r0 = 0;

	(void)state;
	good(&o);
	build(&o);
	obj = uebpf_object_open_mem(rt, o.buf, o.size, NULL);
	if (!obj)
		fail_msg("%s", cap.text);
	assert_int_equal(uebpf_object_prog_set_type(
				 uebpf_object_find_prog(obj, "prog"),
				 BPF_PROG_TYPE_UNSPEC),
			 0);
	assert_non_null(uebpf_object_find_map(obj, "mymap"));
	assert_non_null(uebpf_object_find_map(obj, ".data"));
	assert_int_equal(uebpf_object_load(obj), 0);
	assert_int_equal(uebpf_prog_run(uebpf_object_prog_handle(
						uebpf_object_find_prog(obj,
								       "prog")),
					NULL, 0, &r0),
			 0);
	assert_int_equal(r0, 42);
	assert_int_equal(uebpf_object_prog_insn_cnt(
				 uebpf_object_find_prog(obj, "prog")),
			 ARRAY_SIZE(xdp_code) + ARRAY_SIZE(text_code));
	uebpf_object_close(obj);
	rt_free(rt);
}

/* ---- headers and layout -------------------------------------------------- */

static void test_truncated(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *obj;
	struct obj o;
	size_t len;

	(void)state;
	good(&o);
	build(&o);
	/* Every prefix of the file: refused, whatever is cut. */
	for (len = 1; len < o.size; len++) {
		errno = 0;
		obj = uebpf_object_open_mem(rt, o.buf, len, NULL);
		if (obj)
			fail_msg("a %zu-byte prefix of %zu opened", len,
				 o.size);
		if (errno != ENOEXEC && errno != EINVAL)
			fail_msg("prefix %zu: errno %d (%s)", len, errno,
				 strerror(errno));
	}
	cap.text[0] = '\0';
	obj = uebpf_object_open_mem(rt, o.buf, 10, NULL);
	assert_null(obj);
	assert_logged("not an ELF file");
	obj = uebpf_object_open_mem(rt, o.buf, 40, NULL);
	assert_null(obj);
	assert_logged("truncated ELF file: 40 bytes");
	rt_free(rt);
}

static void test_bad_headers(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct obj o;

	(void)state;
	good(&o);
	build(&o);
	o.buf[0] = 0x7e;
	expect_open_fail(rt, &o, ENOEXEC, "not an ELF file");

	build(&o);
	o.buf[EI_CLASS] = ELFCLASS32;
	expect_open_fail(rt, &o, ENOEXEC, "ELF class 1, not ELFCLASS64");

	build(&o);
	o.buf[EI_DATA] = ELFDATA2MSB;
	expect_open_fail(rt, &o, ENOEXEC, "the object is big-endian");

	build(&o);
	ehdr(&o)->e_machine = EM_X86_64;
	expect_open_fail(rt, &o, ENOEXEC, "ELF machine 62 is not EM_BPF");

	build(&o);
	ehdr(&o)->e_type = ET_EXEC;
	expect_open_fail(rt, &o, ENOEXEC, "ELF type 2 is not ET_REL");

	build(&o);
	ehdr(&o)->e_shentsize = 32;
	expect_open_fail(rt, &o, EINVAL, "section header entries are 32 bytes");

	build(&o);
	ehdr(&o)->e_shoff = o.size - 8;
	expect_open_fail(rt, &o, EINVAL, "");

	build(&o);
	ehdr(&o)->e_shoff = UINT64_MAX - 100;
	expect_open_fail(rt, &o, EINVAL, "");

	build(&o);
	ehdr(&o)->e_shstrndx = 40;
	expect_open_fail(rt, &o, EINVAL, "");

	build(&o);
	ehdr(&o)->e_shnum = 60000;
	expect_open_fail(rt, &o, EINVAL, "");
	rt_free(rt);
}

static void test_bad_sections(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct obj o;

	(void)state;
	good(&o);
	build(&o);
	shdr(&o, S_XDP)->sh_offset = o.size + 100;
	expect_open_fail(rt, &o, EINVAL, "");

	build(&o);
	shdr(&o, S_MAPS)->sh_size = 1ull << 40;
	expect_open_fail(rt, &o, EINVAL, "");

	build(&o);
	shdr(&o, S_MAPS)->sh_offset = shdr(&o, S_XDP)->sh_offset + 8;
	expect_open_fail(rt, &o, EINVAL, "overlap in the file");

	build(&o);
	shdr(&o, S_TEXT)->sh_name = 100000;
	expect_open_fail(rt, &o, EINVAL, "name offset 100000");

	good(&o);
	o.spec.secs[S_XDP].size -= 4;
	build(&o);
	expect_open_fail(rt, &o, EINVAL,
			 "code section 'xdp' is 52 bytes, not a whole number of 8-byte instructions");

	/* RELA is not how BPF code is relocated. */
	good(&o);
	o.spec.secs[S_REL].type = SHT_RELA;
	o.spec.secs[S_REL].entsize = sizeof(Elf64_Rela);
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "relocated with SHT_REL, not SHT_RELA");

	good(&o);
	o.spec.secs[S_REL].info = 99;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "applies to section 99, which does not exist");

	good(&o);
	o.spec.secs[S_REL].entsize = 24;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "expected 16-byte entries");

	good(&o);
	o.spec.secs[S_REL].link = S_STRTAB;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "not the symbol table");

	/* struct_ops: a valid feature, refused by name. */
	good(&o);
	o.spec.secs[S_LICENSE].name = ".struct_ops";
	build(&o);
	expect_open_fail(rt, &o, EOPNOTSUPP, "struct_ops maps are not supported");

	good(&o);
	o.spec.secs[S_LICENSE].name = "version";
	o.spec.secs[S_LICENSE].size = 3;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "section 'version' must hold one 4-byte kernel version");
	rt_free(rt);
}

static void test_bad_symbols(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct obj o;

	(void)state;
	good(&o);
	o.spec.secs[S_SYMTAB].type = SHT_PROGBITS;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "no symbol table");

	good(&o);
	o.spec.secs[S_LICENSE] = o.spec.secs[S_SYMTAB];
	o.spec.secs[S_LICENSE].name = ".symtab2";
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "two symbol tables");

	good(&o);
	o.spec.secs[S_SYMTAB].link = S_XDP;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "is missing or not a string table");

	good(&o);
	o.spec.secs[S_SYMTAB].entsize = 16;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "expected 24-byte entries");

	good(&o);
	o.spec.secs[S_STRTAB].size = 6; /* cut in the middle of "prog" */
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "not NUL-terminated");

	good(&o);
	o.syms[Y_MAP].st_name = 5000;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "symbol #4: name offset 5000 is outside the string table");

	good(&o);
	o.syms[Y_VAR].st_shndx = 77;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "symbol #5 (var) refers to section 77, but the file has");

	good(&o);
	o.syms[Y_VAR].st_shndx = SHN_XINDEX;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "extended section indexes (SHN_XINDEX)");

	good(&o);
	o.syms[Y_PROG].st_size = 1000;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "function 'prog': 1000 bytes at offset 0 do not fit section 'xdp'");

	good(&o);
	o.syms[Y_SUB].st_value = 4;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "function 'sub': 16 bytes at offset 4");

	good(&o);
	o.syms[Y_PROG].st_size = 0;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "function 'prog'");

	/* Two functions sharing instructions. */
	good(&o);
	o.syms[Y_VAR] = sym(1, STT_FUNC, STB_LOCAL, S_XDP, 8, 16);
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "overlap in section 'xdp'");
	rt_free(rt);
}

/* ---- relocations --------------------------------------------------------- */

static void test_bad_relocations(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct obj o;

	(void)state;
	good(&o);
	o.rels[0].r_info = ELF64_R_INFO(50, R_64_64);
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "relocation #0 refers to symbol #50, but the symbol table has 6");

	good(&o);
	o.rels[0].r_info = ELF64_R_INFO(0, R_64_64);
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "refers to symbol #0");

	good(&o);
	o.rels[1].r_offset = 4096;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "relocation #1 at offset 4096 is outside section 'xdp'");

	good(&o);
	o.rels[1].r_offset = 20;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "relocation #1 at offset 20 is not on an instruction of section 'xdp'");

	/* R_BPF_64_64 on the call, R_BPF_64_32 on the ld_imm64. */
	good(&o);
	o.rels[2].r_info = ELF64_R_INFO(Y_SUB, R_64_64);
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "(R_BPF_64_64 against 'sub') at instruction 4, which is not a 16-byte ld_imm64");

	good(&o);
	o.rels[0].r_info = ELF64_R_INFO(Y_MAP, R_64_32);
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "(R_BPF_64_32 against 'mymap') at instruction 0, which is not a call");

	/* An ld_imm64 cut by the end of the section. */
	good(&o);
	o.xdp[6] = o.xdp[0];
	o.rels[2] = (Elf64_Rel){ 48, ELF64_R_INFO(Y_MAP, R_64_64) };
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "at instruction 6, which is not a 16-byte ld_imm64");

	good(&o);
	o.rels[0].r_info = ELF64_R_INFO(Y_MAP, R_64_ABS64);
	build(&o);
	expect_open_fail(rt, &o, EOPNOTSUPP, "has type R_BPF_64_ABS64 = 2, which BPF code cannot have");

	good(&o);
	o.rels[0].r_info = ELF64_R_INFO(Y_MAP, 77);
	build(&o);
	expect_open_fail(rt, &o, EOPNOTSUPP, "has type unknown 77");

	good(&o);
	o.rels[1].r_offset = 0;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "two relocations at offset 0");
	rt_free(rt);
}

/* Well-formed relocations that say the wrong thing: refused at load. */
static void test_wrong_targets(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct obj o;

	(void)state;
	/* ld_imm64 of a symbol in the license section. */
	good(&o);
	o.syms[Y_VAR].st_shndx = S_LICENSE;
	build(&o);
	expect_load_fail(rt, &o, EINVAL, "instruction 2 refers to 'var' in section 'license', which holds neither maps, global data nor code");

	/* A call relocated against a map. */
	good(&o);
	o.rels[2].r_info = ELF64_R_INFO(Y_MAP, R_64_32);
	build(&o);
	expect_load_fail(rt, &o, EINVAL, "instruction 4 calls 'mymap', which is not a function in a code section");

	/* A call into the middle of a function. */
	good(&o);
	o.rels[2].r_info = ELF64_R_INFO(Y_TEXT_SEC, R_64_32);
	o.xdp[4].imm = 0; /* .text + 0 + 1: the second instruction */
	build(&o);
	expect_load_fail(rt, &o, EINVAL, "instruction 4 calls instruction 1 of section '.text', where no function starts");

	/* A local call with no relocation leaving the section. */
	good(&o);
	o.spec.secs[S_REL].size = 2 * sizeof(Elf64_Rel);
	o.xdp[4].imm = 100;
	build(&o);
	expect_load_fail(rt, &o, EINVAL, "instruction 4 calls instruction 105 of section 'xdp'");

	/* A section symbol and an offset where no map is defined. */
	good(&o);
	o.syms[Y_N] = sym(0, STT_SECTION, STB_LOCAL, S_MAPS, 0, 0);
	o.spec.secs[S_SYMTAB].size += sizeof(Elf64_Sym);
	o.rels[0].r_info = ELF64_R_INFO(Y_N, R_64_64);
	o.xdp[0].imm = 8;
	build(&o);
	expect_load_fail(rt, &o, EINVAL, "refers to 'maps' at offset 8 of section 'maps', where no map is defined");

	/* Global data past its section. */
	good(&o);
	o.xdp[2].imm = 64;
	build(&o);
	expect_load_fail(rt, &o, EINVAL, "instruction 2 refers to byte 64 of 'var' (.data), outside its 8 bytes");

	/* ld_imm64 of a function symbol in a data section. */
	good(&o);
	o.syms[Y_VAR] = sym(16, STT_FUNC, STB_GLOBAL, S_DATA, 0, 0);
	build(&o);
	expect_load_fail(rt, &o, EINVAL, "loads 'var', a symbol of the wrong kind");

	/* A map reference with no relocation. */
	good(&o);
	o.spec.secs[S_REL].size = sizeof(Elf64_Rel);
	o.xdp[2].src_reg = BPF_PSEUDO_MAP_FD;
	o.xdp[2].imm = 1;
	o.rels[0] = (Elf64_Rel){ 0, ELF64_R_INFO(Y_MAP, R_64_64) };
	build(&o);
	expect_load_fail(rt, &o, EINVAL, "ld_imm64 at instruction 2 has src 1 but no relocation says what it loads");

	/* An undefined, uninitialised global (SHN_COMMON). */
	good(&o);
	o.syms[Y_VAR].st_shndx = SHN_COMMON;
	build(&o);
	expect_load_fail(rt, &o, EINVAL, "refers to 'var', which is in no section");

	/* Pointers in global data. */
	good(&o);
	o.spec.secs[S_REL].info = S_DATA;
	o.spec.secs[S_REL].size = sizeof(Elf64_Rel);
	o.rels[0] = (Elf64_Rel){ 0, ELF64_R_INFO(Y_MAP, R_64_ABS64) };
	build(&o);
	expect_load_fail(rt, &o, EOPNOTSUPP, "section '.data' holds pointers (a relocation against 'mymap' at byte 0)");
	rt_free(rt);
}

/* ---- maps ---------------------------------------------------------------- */

static void test_bad_legacy_maps(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct obj o;
	uint32_t def[7] = { BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0, 0, 3 };
	uint32_t bad_type[5] = { 999, 4, 4, 1, 0 };

	(void)state;
	good(&o);
	o.syms[Y_MAP].st_value = 4;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "legacy map 'mymap': a 20-byte definition at offset 4 does not fit section 'maps'");

	good(&o);
	o.syms[Y_VAR].st_shndx = S_MAPS;
	o.spec.secs[S_MAPS].size = 15;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "section 'maps': 15 bytes do not divide into 2 map definitions");

	good(&o);
	o.spec.secs[S_MAPS].data = def;
	o.spec.secs[S_MAPS].size = sizeof(def);
	o.syms[Y_MAP].st_size = sizeof(def);
	build(&o);
	expect_open_fail(rt, &o, EOPNOTSUPP, "legacy map 'mymap': byte 24 of its 28-byte definition is not zero");

	good(&o);
	o.spec.secs[S_MAPS].data = bad_type;
	build(&o);
	expect_load_fail(rt, &o, EINVAL, "map type unknown (999) is not supported");
	rt_free(rt);
}

/* A BTF-defined map "mymap" whose definition the caller may spoil. */
enum btf_flaw {
	BTF_OK,
	BTF_TYPE_NOT_PTR,  /* __uint() member that is an int */
	BTF_PTR_NOT_ARRAY, /* __uint() member pointing to an int */
	BTF_KEY_FWD,	   /* __type(key, struct fwd): size unknown */
	BTF_UNKNOWN_FIELD,
	BTF_NO_TYPE,
	BTF_KEY_CONFLICT,  /* key and key_size disagree */
	BTF_VALUES_NOT_LAST,
	BTF_VALUES_WRONG_MAP, /* values on an ARRAY */
	BTF_NOT_STRUCT,
	BTF_VAR_NOT_VAR,  /* DATASEC entry that is a struct */
	BTF_NO_SYMBOL,	  /* variable named unlike any symbol */
	BTF_PINNING_BAD,
	BTF_DEF_TOO_BIG, /* struct larger than its symbol */
	BTF_NO_DATASEC,
	BTF_CORRUPT,	 /* raw bytes spoiled after writing */
};

static void *make_btf(enum btf_flaw flaw, size_t *size)
{
	struct btf *btf = btf__new_empty();
	int i_int, a_type, p_type, a_max, p_max, p_key, st, var, fwd, a_pin,
		p_pin, a_vals, p_fn, proto;
	uint32_t type = flaw == BTF_VALUES_WRONG_MAP ? BPF_MAP_TYPE_ARRAY :
						       BPF_MAP_TYPE_HASH;
	const void *raw;
	uint32_t n;
	void *copy;

	assert_non_null(btf);
	i_int = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	a_type = btf__add_array(btf, i_int, i_int, type);
	p_type = btf__add_ptr(btf, a_type);
	a_max = btf__add_array(btf, i_int, i_int, 16);
	p_max = btf__add_ptr(btf, a_max);
	fwd = btf__add_fwd(btf, "opaque", BTF_FWD_STRUCT);
	p_key = btf__add_ptr(btf, flaw == BTF_KEY_FWD ? fwd : i_int);
	a_pin = btf__add_array(btf, i_int, i_int, 7);
	p_pin = btf__add_ptr(btf, a_pin);
	proto = btf__add_func_proto(btf, i_int);
	p_fn = btf__add_ptr(btf, proto);
	a_vals = btf__add_array(btf, i_int, p_fn, 0);
	st = btf__add_struct(btf, "", flaw == BTF_DEF_TOO_BIG ? 64 : 32);
	if (flaw != BTF_NO_TYPE)
		btf__add_field(btf, "type",
			       flaw == BTF_TYPE_NOT_PTR	 ? i_int :
			       flaw == BTF_PTR_NOT_ARRAY ? p_key :
							   p_type,
			       0, 0);
	if (flaw == BTF_VALUES_NOT_LAST)
		btf__add_field(btf, "values", a_vals, 64, 0);
	btf__add_field(btf, "key", p_key, 64, 0);
	btf__add_field(btf, "value", p_key, 128, 0);
	btf__add_field(btf, "max_entries", p_max, 192, 0);
	if (flaw == BTF_UNKNOWN_FIELD)
		btf__add_field(btf, "colour", p_max, 192, 0);
	if (flaw == BTF_KEY_CONFLICT)
		btf__add_field(btf, "key_size", p_max, 192, 0);
	if (flaw == BTF_PINNING_BAD)
		btf__add_field(btf, "pinning", p_pin, 192, 0);
	if (flaw == BTF_VALUES_WRONG_MAP)
		btf__add_field(btf, "values", a_vals, 256, 0);
	var = btf__add_var(btf, flaw == BTF_NO_SYMBOL ? "other" : "mymap",
			   BTF_VAR_GLOBAL_ALLOCATED,
			   flaw == BTF_NOT_STRUCT ? i_int : st);
	if (flaw != BTF_NO_DATASEC) {
		btf__add_datasec(btf, ".maps", 0);
		btf__add_datasec_var_info(btf, flaw == BTF_VAR_NOT_VAR ? st :
									 var,
					  0, 0);
	}
	raw = btf__raw_data(btf, &n);
	copy = malloc(n);
	assert_non_null(copy);
	memcpy(copy, raw, n);
	if (flaw == BTF_CORRUPT)
		((uint32_t *)copy)[2] = 0xffff; /* type section length */
	btf__free(btf);
	*size = n;
	return copy;
}

/* The good object with a .maps section and .BTF in place of "maps". */
static void *btf_object(struct obj *o, enum btf_flaw flaw)
{
	static const uint8_t maps_bytes[32];
	size_t size;
	void *btf = make_btf(flaw, &size);

	good(o);
	o->spec.secs[S_MAPS].name = ".maps";
	o->spec.secs[S_MAPS].data = maps_bytes;
	o->spec.secs[S_MAPS].size = sizeof(maps_bytes);
	o->syms[Y_MAP].st_size = 32;
	o->spec.secs[S_N + 1] = sec(".BTF", SHT_PROGBITS, 0, btf, size);
	o->spec.n = S_N + 1;
	build(o);
	return btf;
}

static void test_btf_map_defs(void **state)
{
	static const struct {
		enum btf_flaw flaw;
		int err;
		const char *msg;
	} cases[] = {
		{ BTF_TYPE_NOT_PTR, EINVAL, "map 'mymap': field 'type' is INT, not __uint()'s pointer to an array" },
		{ BTF_PTR_NOT_ARRAY, EINVAL, "map 'mymap': field 'type' points to INT, not to __uint()'s array" },
		{ BTF_KEY_FWD, EINVAL, "map 'mymap': the size of key type" },
		{ BTF_UNKNOWN_FIELD, EOPNOTSUPP, "map 'mymap': unknown field 'colour'" },
		{ BTF_NO_TYPE, EINVAL, "map 'mymap': no map type: add __uint(type, BPF_MAP_TYPE_...)" },
		{ BTF_KEY_CONFLICT, EINVAL, "map 'mymap': key_size is given twice, as 4 and as 16" },
		{ BTF_VALUES_NOT_LAST, EINVAL, "map 'mymap': 'values' must be the definition's last field" },
		{ BTF_VALUES_WRONG_MAP, EINVAL, "'values' is only for ARRAY_OF_MAPS, HASH_OF_MAPS and PROG_ARRAY" },
		{ BTF_NOT_STRUCT, EINVAL, "map 'mymap' is INT, not a struct definition" },
		{ BTF_VAR_NOT_VAR, EINVAL, "DATASEC .maps entry #0 is STRUCT, not a variable" },
		{ BTF_NO_SYMBOL, EINVAL, "map 'other': no symbol in section .maps says where it is" },
		{ BTF_PINNING_BAD, EINVAL, "map 'mymap': pinning 7 is neither LIBBPF_PIN_NONE (0) nor LIBBPF_PIN_BY_NAME (1)" },
		{ BTF_DEF_TOO_BIG, EINVAL, "map 'mymap': its 64-byte definition at offset 0 (32 bytes) does not fit" },
		{ BTF_NO_DATASEC, EINVAL, "section .maps has no DATASEC '.maps' in the BTF" },
		{ BTF_CORRUPT, EINVAL, "malformed BTF in section .BTF" },
	};
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *obj;
	struct obj o;
	size_t i;
	void *btf;

	(void)state;
	btf = btf_object(&o, BTF_OK);
	obj = uebpf_object_open_mem(rt, o.buf, o.size, NULL);
	if (!obj)
		fail_msg("the good BTF object does not open:\n%s", cap.text);
	assert_int_equal(uebpf_object_map_type(uebpf_object_find_map(obj,
								     "mymap")),
			 BPF_MAP_TYPE_HASH);
	assert_int_equal(uebpf_object_map_max_entries(
				 uebpf_object_find_map(obj, "mymap")),
			 16);
	assert_int_equal(uebpf_object_load(obj), 0);
	uebpf_object_close(obj);
	free(btf);

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		btf = btf_object(&o, cases[i].flaw);
		expect_open_fail(rt, &o, cases[i].err, cases[i].msg);
		free(btf);
	}

	/* .maps without any BTF. */
	good(&o);
	o.spec.secs[S_MAPS].name = ".maps";
	build(&o);
	expect_open_fail(rt, &o, EINVAL, "section .maps needs BTF to be read");
	rt_free(rt);
}

/* .BTF.ext: a good header and CO-RE records that point nowhere. */
static void test_bad_btf_ext(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct obj o;
	uint32_t ext[16];
	size_t size;
	void *btf = make_btf(BTF_OK, &size);
	struct btf *b = btf__new(btf, size);
	int xdp_name;

	(void)state;
	assert_non_null(b);
	xdp_name = btf__add_str(b, "xdp");
	free(btf);
	{
		uint32_t n;
		const void *raw = btf__raw_data(b, &n);

		btf = malloc(n);
		memcpy(btf, raw, n);
		size = n;
	}
	btf__free(b);

	memset(ext, 0, sizeof(ext));
	ext[0] = 0xeB9F | 1 << 16; /* magic, version 1, flags 0 */
	ext[1] = 32;	    /* hdr_len */
	ext[6] = 0;	    /* core_relo_off */
	ext[7] = 4 + 8 + 16; /* core_relo_len: rec size, one section, one */
	ext[8] = 16;	    /* record size */
	ext[9] = xdp_name;
	ext[10] = 1;
	ext[11] = 12; /* insn_off: not on an instruction */
	ext[12] = 1;
	ext[13] = 0;
	ext[14] = 0;

	good(&o);
	o.spec.secs[S_N + 1] = sec(".BTF", SHT_PROGBITS, 0, btf, size);
	o.spec.secs[S_N + 2] = sec(".BTF.ext", SHT_PROGBITS, 0, ext, 60);
	o.spec.n = S_N + 2;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, ".BTF.ext: CO-RE record #0 of section 'xdp' is at byte 12, not on one of its 7 instructions");

	/* On an instruction, with a bogus type and access string. */
	ext[11] = 40;
	ext[12] = 9999;
	build(&o);
	expect_load_fail(rt, &o, EINVAL, "program 'prog': CO-RE relocation (field byte offset) at instruction 5 has a malformed type [9999]");

	ext[13] = 99999; /* access string offset outside the strings */
	ext[12] = 1;
	build(&o);
	expect_load_fail(rt, &o, EINVAL, "has a malformed type [1] or access string");

	ext[14] = 77; /* unknown kind */
	build(&o);
	expect_load_fail(rt, &o, EOPNOTSUPP, "CO-RE relocation of unknown kind 77 at instruction 5");

	ext[7] = 4 + 8 + 160; /* more records than bytes */
	build(&o);
	expect_open_fail(rt, &o, EINVAL, ".BTF.ext: CO-RE section truncated");

	ext[1] = 2000; /* header longer than the section */
	build(&o);
	expect_open_fail(rt, &o, EINVAL, ".BTF.ext: bad header");

	ext[0] = 0x1234 | 1 << 16;
	ext[1] = 32;
	build(&o);
	expect_open_fail(rt, &o, EINVAL, ".BTF.ext: bad header (magic 0x1234");
	free(btf);
	rt_free(rt);
}

/* Random single-byte damage anywhere: never a crash, never a leak. */
static void test_byte_flips(void **state)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *obj;
	uint32_t seed = 12345;
	struct obj o;
	size_t i;
	void *btf = btf_object(&o, BTF_OK);

	(void)state;
	for (i = 0; i < 3000; i++) {
		uint8_t copy[sizeof(o.buf)];

		memcpy(copy, o.buf, o.size);
		seed = seed * 1103515245 + 12345;
		copy[(seed >> 8) % o.size] ^= (uint8_t)(1u << (seed % 8));
		seed = seed * 1103515245 + 12345;
		copy[(seed >> 8) % o.size] = (uint8_t)(seed >> 16);
		obj = uebpf_object_open_mem(rt, copy, o.size, NULL);
		if (obj) {
			uebpf_object_load(obj);
			uebpf_object_close(obj);
		} else if (!errno) {
			fail_msg("open failed without errno");
		}
	}
	free(btf);
	drain(rt);
	cap.text[0] = '\0';
	rt_free(rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_object),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_bad_sections),
		cmocka_unit_test(test_bad_symbols),
		cmocka_unit_test(test_bad_relocations),
		cmocka_unit_test(test_wrong_targets),
		cmocka_unit_test(test_bad_legacy_maps),
		cmocka_unit_test(test_btf_map_defs),
		cmocka_unit_test(test_bad_btf_ext),
		cmocka_unit_test(test_byte_flips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
