/* SPDX-License-Identifier: MIT */
/*
 * ELF through libelf: the file's sections, symbols, license, functions,
 * programs and relocations.  Nothing here trusts the file: every index,
 * offset and size is checked before it is used, and each rejection names
 * the section, symbol or relocation at fault.
 */
#include <stdio.h>
#include <stdlib.h>

#include "loader.h"

#define FMT_ERR(obj, ...)                                                      \
	({                                                                     \
		obj_warn(obj, __VA_ARGS__);                                    \
		-EINVAL;                                                       \
	})

static pthread_once_t elf_once = PTHREAD_ONCE_INIT;
static bool elf_ok;

static void elf_init(void)
{
	elf_ok = elf_version(EV_CURRENT) != EV_NONE;
}

const char *uebpf_elf_rel_name(uint32_t type)
{
	switch (type) {
	case R_BPF_NONE_:
		return "R_BPF_NONE";
	case R_BPF_64_64_:
		return "R_BPF_64_64";
	case R_BPF_64_ABS64_:
		return "R_BPF_64_ABS64";
	case R_BPF_64_ABS32_:
		return "R_BPF_64_ABS32";
	case R_BPF_64_NODYLD32_:
		return "R_BPF_64_NODYLD32";
	case R_BPF_64_32_:
		return "R_BPF_64_32";
	}
	return NULL;
}

const char *uebpf_elf_sym_name(const struct uebpf_object *obj, size_t i)
{
	/* Checked at parse: st_name < strtab_size, strtab NUL-terminated. */
	return obj->strtab + obj->syms[i].st_name;
}

const char *uebpf_elf_sym_desc(const struct uebpf_object *obj, size_t i)
{
	const Elf64_Sym *sym = &obj->syms[i];

	if (ELF64_ST_TYPE(sym->st_info) == STT_SECTION && !sym->st_name &&
	    sym->st_shndx && sym->st_shndx < obj->nr_secs)
		return obj->secs[sym->st_shndx].name;
	return uebpf_elf_sym_name(obj, i);
}

/* ---- program types by section name --------------------------------------- */

enum { SEC_EXACT, SEC_PREFIX, SEC_PLUS };

struct sec_def {
	const char *name;
	uint8_t match; /* EXACT: name; PREFIX: name...; PLUS: name[/...] */
	enum bpf_prog_type type;
	enum bpf_attach_type attach;
};

/* libbpf's SEC() conventions; the first match wins, so longer names come
 * before their prefixes. */
static const struct sec_def sec_defs[] = {
	{ "socket", SEC_EXACT, BPF_PROG_TYPE_SOCKET_FILTER, 0 },
	{ "sk_reuseport/migrate", SEC_EXACT, BPF_PROG_TYPE_SK_REUSEPORT,
	  BPF_SK_REUSEPORT_SELECT_OR_MIGRATE },
	{ "sk_reuseport", SEC_EXACT, BPF_PROG_TYPE_SK_REUSEPORT,
	  BPF_SK_REUSEPORT_SELECT },
	{ "kprobe", SEC_PLUS, BPF_PROG_TYPE_KPROBE, 0 },
	{ "uprobe", SEC_PLUS, BPF_PROG_TYPE_KPROBE, 0 },
	{ "uprobe.s", SEC_PLUS, BPF_PROG_TYPE_KPROBE, 0 },
	{ "kretprobe", SEC_PLUS, BPF_PROG_TYPE_KPROBE, 0 },
	{ "uretprobe", SEC_PLUS, BPF_PROG_TYPE_KPROBE, 0 },
	{ "uretprobe.s", SEC_PLUS, BPF_PROG_TYPE_KPROBE, 0 },
	{ "kprobe.multi", SEC_PLUS, BPF_PROG_TYPE_KPROBE,
	  BPF_TRACE_KPROBE_MULTI },
	{ "kretprobe.multi", SEC_PLUS, BPF_PROG_TYPE_KPROBE,
	  BPF_TRACE_KPROBE_MULTI },
	{ "ksyscall", SEC_PLUS, BPF_PROG_TYPE_KPROBE, 0 },
	{ "kretsyscall", SEC_PLUS, BPF_PROG_TYPE_KPROBE, 0 },
	{ "usdt", SEC_PLUS, BPF_PROG_TYPE_KPROBE, 0 },
	{ "tc", SEC_EXACT, BPF_PROG_TYPE_SCHED_CLS, 0 },
	{ "classifier", SEC_EXACT, BPF_PROG_TYPE_SCHED_CLS, 0 },
	{ "action", SEC_EXACT, BPF_PROG_TYPE_SCHED_ACT, 0 },
	{ "tracepoint", SEC_PLUS, BPF_PROG_TYPE_TRACEPOINT, 0 },
	{ "tp", SEC_PLUS, BPF_PROG_TYPE_TRACEPOINT, 0 },
	{ "raw_tracepoint", SEC_PLUS, BPF_PROG_TYPE_RAW_TRACEPOINT, 0 },
	{ "raw_tp", SEC_PLUS, BPF_PROG_TYPE_RAW_TRACEPOINT, 0 },
	{ "raw_tracepoint.w", SEC_PLUS, BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE,
	  0 },
	{ "raw_tp.w", SEC_PLUS, BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0 },
	{ "tp_btf", SEC_PLUS, BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP },
	{ "fentry", SEC_PLUS, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY },
	{ "fmod_ret", SEC_PLUS, BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN },
	{ "fexit", SEC_PLUS, BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT },
	{ "fentry.s", SEC_PLUS, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY },
	{ "fmod_ret.s", SEC_PLUS, BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN },
	{ "fexit.s", SEC_PLUS, BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT },
	{ "freplace", SEC_PLUS, BPF_PROG_TYPE_EXT, 0 },
	{ "lsm", SEC_PLUS, BPF_PROG_TYPE_LSM, BPF_LSM_MAC },
	{ "lsm.s", SEC_PLUS, BPF_PROG_TYPE_LSM, BPF_LSM_MAC },
	{ "lsm_cgroup", SEC_PLUS, BPF_PROG_TYPE_LSM, BPF_LSM_CGROUP },
	{ "iter", SEC_PLUS, BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER },
	{ "iter.s", SEC_PLUS, BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER },
	{ "syscall", SEC_EXACT, BPF_PROG_TYPE_SYSCALL, 0 },
	{ "xdp.frags/devmap", SEC_EXACT, BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP },
	{ "xdp/devmap", SEC_EXACT, BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP },
	{ "xdp.frags/cpumap", SEC_EXACT, BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP },
	{ "xdp/cpumap", SEC_EXACT, BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP },
	{ "xdp.frags", SEC_EXACT, BPF_PROG_TYPE_XDP, BPF_XDP },
	{ "xdp", SEC_EXACT, BPF_PROG_TYPE_XDP, BPF_XDP },
	{ "perf_event", SEC_EXACT, BPF_PROG_TYPE_PERF_EVENT, 0 },
	{ "lwt_in", SEC_EXACT, BPF_PROG_TYPE_LWT_IN, 0 },
	{ "lwt_out", SEC_EXACT, BPF_PROG_TYPE_LWT_OUT, 0 },
	{ "lwt_xmit", SEC_EXACT, BPF_PROG_TYPE_LWT_XMIT, 0 },
	{ "lwt_seg6local", SEC_EXACT, BPF_PROG_TYPE_LWT_SEG6LOCAL, 0 },
	{ "sockops", SEC_EXACT, BPF_PROG_TYPE_SOCK_OPS, BPF_CGROUP_SOCK_OPS },
	{ "sk_skb/stream_parser", SEC_EXACT, BPF_PROG_TYPE_SK_SKB,
	  BPF_SK_SKB_STREAM_PARSER },
	{ "sk_skb/stream_verdict", SEC_EXACT, BPF_PROG_TYPE_SK_SKB,
	  BPF_SK_SKB_STREAM_VERDICT },
	{ "sk_skb", SEC_EXACT, BPF_PROG_TYPE_SK_SKB, 0 },
	{ "sk_msg", SEC_EXACT, BPF_PROG_TYPE_SK_MSG, BPF_SK_MSG_VERDICT },
	{ "lirc_mode2", SEC_EXACT, BPF_PROG_TYPE_LIRC_MODE2, BPF_LIRC_MODE2 },
	{ "flow_dissector", SEC_EXACT, BPF_PROG_TYPE_FLOW_DISSECTOR,
	  BPF_FLOW_DISSECTOR },
	{ "cgroup_skb/ingress", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SKB,
	  BPF_CGROUP_INET_INGRESS },
	{ "cgroup_skb/egress", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SKB,
	  BPF_CGROUP_INET_EGRESS },
	{ "cgroup/skb", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SKB, 0 },
	{ "cgroup/sock_create", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCK,
	  BPF_CGROUP_INET_SOCK_CREATE },
	{ "cgroup/sock_release", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCK,
	  BPF_CGROUP_INET_SOCK_RELEASE },
	{ "cgroup/sock", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCK,
	  BPF_CGROUP_INET_SOCK_CREATE },
	{ "cgroup/post_bind4", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCK,
	  BPF_CGROUP_INET4_POST_BIND },
	{ "cgroup/post_bind6", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCK,
	  BPF_CGROUP_INET6_POST_BIND },
	{ "cgroup/bind4", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  BPF_CGROUP_INET4_BIND },
	{ "cgroup/bind6", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  BPF_CGROUP_INET6_BIND },
	{ "cgroup/connect4", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  BPF_CGROUP_INET4_CONNECT },
	{ "cgroup/connect6", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  BPF_CGROUP_INET6_CONNECT },
	{ "cgroup/sendmsg4", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  BPF_CGROUP_UDP4_SENDMSG },
	{ "cgroup/sendmsg6", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  BPF_CGROUP_UDP6_SENDMSG },
	{ "cgroup/recvmsg4", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  BPF_CGROUP_UDP4_RECVMSG },
	{ "cgroup/recvmsg6", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  BPF_CGROUP_UDP6_RECVMSG },
	{ "cgroup/getpeername4", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  BPF_CGROUP_INET4_GETPEERNAME },
	{ "cgroup/getpeername6", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  BPF_CGROUP_INET6_GETPEERNAME },
	{ "cgroup/getsockname4", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  BPF_CGROUP_INET4_GETSOCKNAME },
	{ "cgroup/getsockname6", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  BPF_CGROUP_INET6_GETSOCKNAME },
	{ "cgroup/sysctl", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SYSCTL,
	  BPF_CGROUP_SYSCTL },
	{ "cgroup/getsockopt", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCKOPT,
	  BPF_CGROUP_GETSOCKOPT },
	{ "cgroup/setsockopt", SEC_EXACT, BPF_PROG_TYPE_CGROUP_SOCKOPT,
	  BPF_CGROUP_SETSOCKOPT },
	{ "cgroup/dev", SEC_EXACT, BPF_PROG_TYPE_CGROUP_DEVICE,
	  BPF_CGROUP_DEVICE },
	{ "struct_ops", SEC_PLUS, BPF_PROG_TYPE_STRUCT_OPS, 0 },
	{ "sk_lookup", SEC_EXACT, BPF_PROG_TYPE_SK_LOOKUP, BPF_SK_LOOKUP },
};

static bool sec_matches(const struct sec_def *d, const char *sec)
{
	size_t n = strlen(d->name);

	if (strncmp(sec, d->name, n))
		return false;
	switch (d->match) {
	case SEC_EXACT:
		return sec[n] == '\0';
	case SEC_PLUS:
		return sec[n] == '\0' || sec[n] == '/';
	default:
		return true;
	}
}

bool uebpf_sec_prog_type(const char *sec, enum bpf_prog_type *type,
			 enum bpf_attach_type *attach, bool *legacy)
{
	size_t i;

	*legacy = false;
	for (i = 0; i < ARRAY_SIZE(sec_defs); i++) {
		if (sec_matches(&sec_defs[i], sec)) {
			*type = sec_defs[i].type;
			*attach = sec_defs[i].attach;
			return true;
		}
	}
	/* iproute2 and old samples: "xdp_prog", "xdp1", "xdp/foo". */
	if (!strncmp(sec, "xdp", 3)) {
		*type = BPF_PROG_TYPE_XDP;
		*attach = BPF_XDP;
		*legacy = true;
		return true;
	}
	*type = BPF_PROG_TYPE_UNSPEC;
	*attach = 0;
	return false;
}

/* ---- sections ------------------------------------------------------------ */

/* name is exactly base or base followed by ".something". */
static bool is_data_name(const char *name, const char *base)
{
	size_t n = strlen(base);

	return !strncmp(name, base, n) && (name[n] == '\0' || name[n] == '.');
}

/* What can be told from the bytes alone, before libelf parses them. */
static int check_ident(struct uebpf_object *obj)
{
	const unsigned char *id = obj->buf;

	if (obj->size < EI_NIDENT || memcmp(id, ELFMAG, SELFMAG)) {
		obj_warn(obj, "not an ELF file (no ELF magic in the first bytes)\n");
		return -ENOEXEC;
	}
	if (id[EI_CLASS] != ELFCLASS64) {
		obj_warn(obj, "ELF class %u, not ELFCLASS64: BPF objects are 64-bit; build with clang -target bpf\n",
			 id[EI_CLASS]);
		return -ENOEXEC;
	}
	if (id[EI_DATA] != ELFDATA2LSB) {
		obj_warn(obj, "the object is %s: libuebpf runs little-endian BPF; build with -target bpfel (or bpf on a little-endian host)\n",
			 id[EI_DATA] == ELFDATA2MSB ? "big-endian" :
						      "of unknown byte order");
		return -ENOEXEC;
	}
	if (obj->size < sizeof(Elf64_Ehdr)) {
		obj_warn(obj, "truncated ELF file: %zu bytes, the ELF header alone is %zu\n",
			 obj->size, sizeof(Elf64_Ehdr));
		return -ENOEXEC;
	}
	return 0;
}

static int check_header(struct uebpf_object *obj)
{
	const Elf64_Ehdr *eh = elf64_getehdr(obj->elf);

	if (!eh) {
		obj_warn(obj, "bad ELF header: %s\n", elf_errmsg(-1));
		return -ENOEXEC;
	}
	if (eh->e_machine != EM_BPF) {
		obj_warn(obj, "ELF machine %u is not EM_BPF (%u): this object was built for another CPU\n",
			 eh->e_machine, EM_BPF);
		return -ENOEXEC;
	}
	if (eh->e_type != ET_REL) {
		obj_warn(obj, "ELF type %u is not ET_REL: BPF objects are relocatable files (clang -c)\n",
			 eh->e_type);
		return -ENOEXEC;
	}
	if (eh->e_shentsize != sizeof(Elf64_Shdr)) {
		obj_warn(obj, "section header entries are %u bytes, not %zu\n",
			 eh->e_shentsize, sizeof(Elf64_Shdr));
		return -EINVAL;
	}
	/* libelf hands out headers, symbols and relocations in place. */
	if (eh->e_shoff % 8) {
		obj_warn(obj, "the section header table at offset %llu is not 8-byte aligned\n",
			 (unsigned long long)eh->e_shoff);
		return -EINVAL;
	}
	return 0;
}

struct span {
	uint64_t off, size;
	size_t idx;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* No two sections' file bytes overlap, none passes the end of the file,
 * and the section header table stays inside it too. */
static int check_layout(struct uebpf_object *obj, Elf_Scn **scns)
{
	const Elf64_Ehdr *eh = elf64_getehdr(obj->elf);
	struct span *sp;
	size_t i, n = 0;
	int err = 0;

	if (eh->e_shoff > obj->size ||
	    obj->nr_secs > (obj->size - eh->e_shoff) / sizeof(Elf64_Shdr))
		return FMT_ERR(obj, "the section header table (%zu entries at offset %llu) runs past the end of the %zu-byte file\n",
			       obj->nr_secs, (unsigned long long)eh->e_shoff,
			       obj->size);
	sp = calloc(obj->nr_secs, sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	for (i = 1; i < obj->nr_secs; i++) {
		const Elf64_Shdr *sh = elf64_getshdr(scns[i]);

		if (sh->sh_type == SHT_NOBITS || !sh->sh_size)
			continue;
		if ((sh->sh_type == SHT_SYMTAB || sh->sh_type == SHT_REL) &&
		    sh->sh_offset % 8) {
			err = FMT_ERR(obj, "section %zu (%s) at offset %llu is not 8-byte aligned\n",
				      i, obj->secs[i].name,
				      (unsigned long long)sh->sh_offset);
			goto out;
		}
		if (sh->sh_offset > obj->size ||
		    sh->sh_size > obj->size - sh->sh_offset) {
			err = FMT_ERR(obj, "section %zu (%s): %llu bytes at offset %llu run past the end of the %zu-byte file\n",
				      i, obj->secs[i].name,
				      (unsigned long long)sh->sh_size,
				      (unsigned long long)sh->sh_offset,
				      obj->size);
			goto out;
		}
		sp[n].off = sh->sh_offset;
		sp[n].size = sh->sh_size;
		sp[n++].idx = i;
	}
	qsort(sp, n, sizeof(*sp), cmp_span);
	for (i = 1; i < n; i++) {
		if (sp[i].off < sp[i - 1].off + sp[i - 1].size) {
			err = FMT_ERR(obj, "sections %zu (%s) and %zu (%s) overlap in the file\n",
				      sp[i - 1].idx,
				      obj->secs[sp[i - 1].idx].name, sp[i].idx,
				      obj->secs[sp[i].idx].name);
			goto out;
		}
	}
out:
	free(sp);
	return err;
}

static int sec_data(struct uebpf_object *obj, Elf_Scn *scn, size_t i)
{
	const Elf64_Shdr *sh = elf64_getshdr(scn);
	struct obj_sec *s = &obj->secs[i];
	Elf_Data *d;

	s->type = sh->sh_type;
	s->flags = sh->sh_flags;
	s->size = sh->sh_size;
	if (sh->sh_type == SHT_NOBITS || !sh->sh_size)
		return 0;
	d = elf_getdata(scn, NULL);
	if (!d || d->d_size != sh->sh_size || !d->d_buf)
		return FMT_ERR(obj, "section %zu (%s): cannot read its %llu bytes: %s\n",
			       i, s->name, (unsigned long long)sh->sh_size,
			       elf_errmsg(-1));
	s->data = d->d_buf;
	return 0;
}

static int set_license(struct uebpf_object *obj, const struct obj_sec *s)
{
	size_t n = s->size < LICENSE_LEN - 1 ? s->size : LICENSE_LEN - 1;

	if (!s->data && s->size)
		return FMT_ERR(obj, "section 'license' has no contents\n");
	if (s->data)
		memcpy(obj->license, s->data, n);
	obj->license[n] = '\0';
	return 0;
}

static int set_version(struct uebpf_object *obj, const struct obj_sec *s)
{
	if (s->size != 4 || !s->data)
		return FMT_ERR(obj, "section 'version' must hold one 4-byte kernel version, it has %llu bytes\n",
			       (unsigned long long)s->size);
	memcpy(&obj->kern_version, s->data, 4);
	return 0;
}

/* Gives each section its kind; remembers symtab, BTF and .BTF.ext. */
static int classify(struct uebpf_object *obj, size_t *symtab, size_t *btf,
		    size_t *btf_ext)
{
	size_t i;
	int err;

	for (i = 1; i < obj->nr_secs; i++) {
		struct obj_sec *s = &obj->secs[i];
		const char *n = s->name;

		s->map = -1;
		if (s->type == SHT_SYMTAB) {
			if (*symtab)
				return FMT_ERR(obj, "two symbol tables (sections %zu and %zu)\n",
					       *symtab, i);
			*symtab = i;
		} else if (s->type == SHT_REL) {
			s->kind = SEC_REL;
		} else if (!strcmp(n, "license")) {
			err = set_license(obj, s);
			if (err)
				return err;
		} else if (!strcmp(n, "version")) {
			err = set_version(obj, s);
			if (err)
				return err;
		} else if (!strcmp(n, ".BTF")) {
			*btf = i;
		} else if (!strcmp(n, ".BTF.ext")) {
			*btf_ext = i;
		} else if (!strcmp(n, ".maps")) {
			s->kind = SEC_BTF_MAPS;
			obj->btf_maps_sec = i;
		} else if (!strcmp(n, "maps")) {
			s->kind = SEC_LEGACY_MAPS;
			obj->legacy_maps_sec = i;
		} else if (is_data_name(n, ".struct_ops")) {
			obj_warn(obj, "section '%s': struct_ops maps are not supported\n",
				 n);
			return -EOPNOTSUPP;
		} else if (s->type == SHT_PROGBITS &&
			   (s->flags & SHF_EXECINSTR)) {
			if (s->size % INSN_SZ)
				return FMT_ERR(obj, "code section '%s' is %llu bytes, not a whole number of 8-byte instructions\n",
					       n, (unsigned long long)s->size);
			s->kind = SEC_CODE;
			if (!strcmp(n, ".text"))
				obj->text_sec = i;
			/* Instructions are read in place: keep them aligned
			 * even when a crafted file does not. */
			if ((uintptr_t)s->data % INSN_SZ) {
				s->copy = malloc(s->size);
				if (!s->copy)
					return -ENOMEM;
				memcpy(s->copy, s->data, s->size);
				s->data = s->copy;
			}
		} else if (s->type == SHT_PROGBITS && s->size &&
			   is_data_name(n, ".data")) {
			s->kind = SEC_DATA;
		} else if (s->type == SHT_PROGBITS && s->size &&
			   is_data_name(n, ".rodata")) {
			s->kind = SEC_RODATA;
		} else if (s->type == SHT_NOBITS && s->size &&
			   is_data_name(n, ".bss")) {
			s->kind = SEC_BSS;
		} else {
			obj_debug(obj, "section %zu (%s) ignored\n", i, n);
		}
	}
	if (!*symtab)
		return FMT_ERR(obj, "no symbol table: a stripped object cannot be loaded; keep the symbols (no strip, no -s)\n");
	return 0;
}

static int read_symbols(struct uebpf_object *obj, Elf_Scn **scns,
			size_t symtab)
{
	const Elf64_Shdr *sh = elf64_getshdr(scns[symtab]);
	const struct obj_sec *ss = &obj->secs[symtab], *st;
	size_t i;

	if (sh->sh_entsize != sizeof(Elf64_Sym) ||
	    ss->size % sizeof(Elf64_Sym))
		return FMT_ERR(obj, "symbol table: entries of %llu bytes in %llu bytes, expected %zu-byte entries\n",
			       (unsigned long long)sh->sh_entsize,
			       (unsigned long long)ss->size, sizeof(Elf64_Sym));
	if (!sh->sh_link || sh->sh_link >= obj->nr_secs ||
	    obj->secs[sh->sh_link].type != SHT_STRTAB)
		return FMT_ERR(obj, "symbol table: its string table (section %u) is missing or not a string table\n",
			       sh->sh_link);
	st = &obj->secs[sh->sh_link];
	if (!st->data || !st->size || st->data[st->size - 1])
		return FMT_ERR(obj, "symbol string table (section %u) is empty or not NUL-terminated\n",
			       sh->sh_link);
	obj->strtab = (const char *)st->data;
	obj->strtab_size = st->size;
	obj->syms = (const Elf64_Sym *)ss->data;
	obj->nr_syms = ss->size / sizeof(Elf64_Sym);
	if (!obj->nr_syms)
		return FMT_ERR(obj, "symbol table is empty\n");
	for (i = 0; i < obj->nr_syms; i++) {
		const Elf64_Sym *sym = &obj->syms[i];

		if (sym->st_name >= obj->strtab_size)
			return FMT_ERR(obj, "symbol #%zu: name offset %u is outside the string table (%zu bytes)\n",
				       i, sym->st_name, obj->strtab_size);
		if (sym->st_shndx == SHN_XINDEX)
			return FMT_ERR(obj, "symbol #%zu (%s): extended section indexes (SHN_XINDEX) are not supported\n",
				       i, uebpf_elf_sym_name(obj, i));
		if (sym->st_shndx >= obj->nr_secs &&
		    sym->st_shndx < SHN_LORESERVE)
			return FMT_ERR(obj, "symbol #%zu (%s) refers to section %u, but the file has %zu sections\n",
				       i, uebpf_elf_sym_name(obj, i),
				       sym->st_shndx, obj->nr_secs);
	}
	return 0;
}

/* ---- functions and programs ---------------------------------------------- */

static int cmp_func(const void *a, const void *b)
{
	const struct obj_func *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

struct obj_func *uebpf_elf_func_at(struct uebpf_object *obj, uint32_t sec,
				   size_t off)
{
	const struct obj_sec *s = &obj->secs[sec];
	size_t lo = s->first_func, hi = s->first_func + s->nr_funcs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct obj_func *f = &obj->funcs[mid];

		if (f->off == off)
			return f;
		if (f->off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void add_prog(struct uebpf_object *obj, struct obj_func *f,
		     const Elf64_Sym *sym)
{
	struct uebpf_object_prog *p = &obj->progs[obj->nr_progs];
	const char *sec = obj->secs[f->sec].name;
	bool legacy;

	p->obj = obj;
	p->name = f->name;
	p->func = f - obj->funcs;
	p->autoload = sec[0] != '?';
	p->sec_name = sec[0] == '?' ? sec + 1 : sec;
	p->type_known = uebpf_sec_prog_type(p->sec_name, &p->type, &p->attach,
					    &legacy);
	if (legacy)
		obj_info(obj, "program '%s': legacy section name '%s' taken as XDP (libbpf 1.x wants SEC(\"xdp\"))\n",
			 p->name, p->sec_name);
	else if (!p->type_known)
		obj_info(obj, "program '%s': section '%s' does not name a program type; set it with uebpf_object_prog_set_type()\n",
			 p->name, p->sec_name);
	if (ELF64_ST_VISIBILITY(sym->st_other) == STV_HIDDEN)
		obj_debug(obj, "program '%s' is hidden\n", p->name);
	f->prog = obj->nr_progs++;
}

static int find_funcs(struct uebpf_object *obj)
{
	size_t i, n = 0, nprogs = 0;

	for (i = 0; i < obj->nr_syms; i++) {
		const Elf64_Sym *sym = &obj->syms[i];

		if (ELF64_ST_TYPE(sym->st_info) == STT_FUNC && sym->st_shndx &&
		    sym->st_shndx < obj->nr_secs &&
		    obj->secs[sym->st_shndx].kind == SEC_CODE)
			n++;
	}
	obj->funcs = calloc(n ? n : 1, sizeof(*obj->funcs));
	if (!obj->funcs)
		return -ENOMEM;
	for (i = 0; i < obj->nr_syms; i++) {
		const Elf64_Sym *sym = &obj->syms[i];
		struct obj_func *f = &obj->funcs[obj->nr_funcs];
		const struct obj_sec *s;

		if (ELF64_ST_TYPE(sym->st_info) != STT_FUNC || !sym->st_shndx ||
		    sym->st_shndx >= obj->nr_secs ||
		    obj->secs[sym->st_shndx].kind != SEC_CODE)
			continue;
		s = &obj->secs[sym->st_shndx];
		f->name = uebpf_elf_sym_name(obj, i);
		f->sym = i;
		if (sym->st_value % INSN_SZ || sym->st_size % INSN_SZ ||
		    !sym->st_size || sym->st_value > s->size ||
		    sym->st_size > s->size - sym->st_value)
			return FMT_ERR(obj, "function '%s': %llu bytes at offset %llu do not fit section '%s' (%llu bytes) as whole instructions\n",
				       f->name,
				       (unsigned long long)sym->st_size,
				       (unsigned long long)sym->st_value,
				       s->name, (unsigned long long)s->size);
		f->sec = sym->st_shndx;
		f->off = sym->st_value / INSN_SZ;
		f->cnt = sym->st_size / INSN_SZ;
		f->prog = -1;
		/* Global functions outside .text are programs; static ones
		 * anywhere and everything in .text are subprograms. */
		if (f->sec != obj->text_sec &&
		    ELF64_ST_BIND(sym->st_info) != STB_LOCAL)
			nprogs++;
		else
			f->prog = -2; /* subprogram, marked below */
		obj->nr_funcs++;
	}
	qsort(obj->funcs, obj->nr_funcs, sizeof(*obj->funcs), cmp_func);
	for (i = 0; i < obj->nr_funcs; i++) {
		struct obj_func *f = &obj->funcs[i];
		struct obj_sec *s = &obj->secs[f->sec];

		if (i && f[-1].sec == f->sec && f[-1].off + f[-1].cnt > f->off)
			return FMT_ERR(obj, "functions '%s' and '%s' overlap in section '%s'\n",
				       f[-1].name, f->name, s->name);
		if (!s->nr_funcs)
			s->first_func = i;
		s->nr_funcs++;
	}
	obj->progs = calloc(nprogs ? nprogs : 1, sizeof(*obj->progs));
	if (!obj->progs)
		return -ENOMEM;
	/* Programs in section order, then by offset, as libbpf lists them. */
	for (i = 0; i < obj->nr_funcs; i++) {
		struct obj_func *f = &obj->funcs[i];

		if (f->prog == -2) {
			f->prog = -1;
			continue;
		}
		add_prog(obj, f, &obj->syms[f->sym]);
	}
	return 0;
}

/* ---- relocations --------------------------------------------------------- */

static int cmp_rel(const void *a, const void *b)
{
	const struct obj_rel *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* One relocation of a code section: it must sit on the instruction its
 * type applies to. */
static int check_code_rel(struct uebpf_object *obj, const struct obj_sec *s,
			  const struct obj_rel *r, size_t k, const char *rname)
{
	const char *tn = uebpf_elf_rel_name(r->type);
	struct bpf_insn in;

	if (r->off % INSN_SZ || r->off >= s->size)
		return FMT_ERR(obj, "%s: relocation #%zu at offset %llu is %s section '%s' (%llu bytes)\n",
			       rname, k, (unsigned long long)r->off,
			       r->off >= s->size ? "outside" :
						   "not on an instruction of",
			       s->name, (unsigned long long)s->size);
	memcpy(&in, s->data + r->off, sizeof(in));
	switch (r->type) {
	case R_BPF_64_64_:
		if (in.code != (BPF_LD | BPF_IMM | BPF_DW) ||
		    r->off + 2 * INSN_SZ > s->size)
			return FMT_ERR(obj, "%s: relocation #%zu (R_BPF_64_64 against '%s') at instruction %llu, which is not a 16-byte ld_imm64 (opcode 0x%02x)\n",
				       rname, k,
				       uebpf_elf_sym_desc(obj, r->sym),
				       (unsigned long long)r->off / INSN_SZ,
				       in.code);
		return 0;
	case R_BPF_64_32_:
		if (in.code != (BPF_JMP | BPF_CALL))
			return FMT_ERR(obj, "%s: relocation #%zu (R_BPF_64_32 against '%s') at instruction %llu, which is not a call (opcode 0x%02x)\n",
				       rname, k,
				       uebpf_elf_sym_desc(obj, r->sym),
				       (unsigned long long)r->off / INSN_SZ,
				       in.code);
		return 0;
	}
	obj_warn(obj, "%s: relocation #%zu at instruction %llu has type %s%s%u, which BPF code cannot have: only R_BPF_64_64 (ld_imm64) and R_BPF_64_32 (call)\n",
		 rname, k, (unsigned long long)r->off / INSN_SZ, tn ? tn : "",
		 tn ? " = " : "unknown ", r->type);
	return -EOPNOTSUPP;
}

static int read_rels(struct uebpf_object *obj, Elf_Scn **scns, size_t i,
		     size_t symtab)
{
	const Elf64_Shdr *sh = elf64_getshdr(scns[i]);
	const struct obj_sec *rs = &obj->secs[i];
	const Elf64_Rel *rel = (const Elf64_Rel *)rs->data;
	struct obj_sec *t;
	size_t k, n;
	int err;

	if (!sh->sh_info || sh->sh_info >= obj->nr_secs || sh->sh_info == i)
		return FMT_ERR(obj, "relocation section %zu (%s) applies to section %u, which does not exist\n",
			       i, rs->name, sh->sh_info);
	t = &obj->secs[sh->sh_info];
	if (t->kind != SEC_CODE && t->kind != SEC_BTF_MAPS &&
	    t->kind != SEC_DATA && t->kind != SEC_RODATA) {
		/* .BTF, .BTF.ext, .eh_frame, debug sections: nothing a
		 * program runs depends on them. */
		obj_debug(obj, "relocations of section '%s' ignored\n",
			  t->name);
		return 0;
	}
	if (sh->sh_link != symtab)
		return FMT_ERR(obj, "relocation section '%s' uses section %u as its symbol table, not the symbol table (%zu)\n",
			       rs->name, sh->sh_link, symtab);
	if (sh->sh_entsize != sizeof(Elf64_Rel) ||
	    rs->size % sizeof(Elf64_Rel))
		return FMT_ERR(obj, "relocation section '%s': %llu bytes of %llu-byte entries, expected %zu-byte entries\n",
			       rs->name, (unsigned long long)rs->size,
			       (unsigned long long)sh->sh_entsize,
			       sizeof(Elf64_Rel));
	if (t->rels)
		return FMT_ERR(obj, "section '%s' has two relocation sections\n",
			       t->name);
	n = rs->size / sizeof(Elf64_Rel);
	t->rels = calloc(n ? n : 1, sizeof(*t->rels));
	if (!t->rels)
		return -ENOMEM;
	for (k = 0; k < n; k++) {
		struct obj_rel *r = &t->rels[t->nr_rels];

		r->off = rel[k].r_offset;
		r->type = ELF64_R_TYPE(rel[k].r_info);
		r->sym = ELF64_R_SYM(rel[k].r_info);
		if (r->type == R_BPF_NONE_)
			continue;
		if (!r->sym || r->sym >= obj->nr_syms)
			return FMT_ERR(obj, "%s: relocation #%zu refers to symbol #%u, but the symbol table has %zu\n",
				       rs->name, k, r->sym, obj->nr_syms);
		if (t->kind == SEC_CODE) {
			err = check_code_rel(obj, t, r, k, rs->name);
			if (err)
				return err;
		} else if (r->off > t->size || t->size - r->off < 8) {
			return FMT_ERR(obj, "%s: relocation #%zu at offset %llu is outside section '%s' (%llu bytes)\n",
				       rs->name, k, (unsigned long long)r->off,
				       t->name, (unsigned long long)t->size);
		} else if (t->kind == SEC_BTF_MAPS &&
			   r->type != R_BPF_64_ABS64_ &&
			   r->type != R_BPF_64_64_) {
			const char *tn = uebpf_elf_rel_name(r->type);

			obj_warn(obj, "%s: relocation #%zu has type %s%s%u; map definitions take 64-bit pointers (R_BPF_64_ABS64)\n",
				 rs->name, k, tn ? tn : "", tn ? " = " : "unknown ",
				 r->type);
			return -EOPNOTSUPP;
		}
		t->nr_rels++;
	}
	qsort(t->rels, t->nr_rels, sizeof(*t->rels), cmp_rel);
	for (k = 1; k < t->nr_rels; k++)
		if (t->rels[k].off == t->rels[k - 1].off)
			return FMT_ERR(obj, "%s: two relocations at offset %llu\n",
				       rs->name,
				       (unsigned long long)t->rels[k].off);
	return 0;
}

static int open_btf(struct uebpf_object *obj, size_t btf, size_t btf_ext)
{
	const struct obj_sec *s;
	int err;

	if (!btf) {
		if (btf_ext)
			obj_debug(obj, ".BTF.ext without .BTF ignored\n");
		return 0;
	}
	s = &obj->secs[btf];
	if (s->type != SHT_PROGBITS || !s->data)
		return FMT_ERR(obj, "section .BTF is empty or not PROGBITS\n");
	obj->btf = btf__new(s->data, s->size);
	if (!obj->btf) {
		err = errno ? errno : EINVAL;
		obj_warn(obj, "malformed BTF in section .BTF (%llu bytes): %s; rebuild the object, or check it with bpftool btf dump file\n",
			 (unsigned long long)s->size, strerror(err));
		return err == ENOMEM ? -ENOMEM : -EINVAL;
	}
	btf__set_pointer_size(obj->btf, 8);
	if (!btf_ext)
		return 0;
	s = &obj->secs[btf_ext];
	if (s->type != SHT_PROGBITS || !s->data)
		return FMT_ERR(obj, "section .BTF.ext is empty or not PROGBITS\n");
	return uebpf_core_parse(obj, s->data, s->size);
}

int uebpf_elf_parse(struct uebpf_object *obj)
{
	size_t i, shstrndx, symtab = 0, btf = 0, btf_ext = 0;
	Elf_Scn **scns = NULL;
	int err;

	pthread_once(&elf_once, elf_init);
	if (!elf_ok) {
		obj_warn(obj, "libelf refuses its own version: %s\n",
			 elf_errmsg(-1));
		return -ENOEXEC;
	}
	err = check_ident(obj);
	if (err)
		return err;
	obj->elf = elf_memory((char *)obj->buf, obj->size);
	if (!obj->elf || elf_kind(obj->elf) != ELF_K_ELF) {
		obj_warn(obj, "corrupt ELF file: %s\n", elf_errmsg(-1));
		return -ENOEXEC;
	}
	err = check_header(obj);
	if (err)
		return err;
	if (elf_getshdrnum(obj->elf, &obj->nr_secs) ||
	    elf_getshdrstrndx(obj->elf, &shstrndx))
		return FMT_ERR(obj, "bad section header table: %s\n",
			       elf_errmsg(-1));
	if (obj->nr_secs < 2 || shstrndx >= obj->nr_secs || !shstrndx)
		return FMT_ERR(obj, "%zu sections, section names in section %zu: not a BPF object\n",
			       obj->nr_secs, shstrndx);
	if (obj->nr_secs > 65535)
		return FMT_ERR(obj, "%zu sections: more than this loader takes (65535)\n",
			       obj->nr_secs);
	obj->secs = calloc(obj->nr_secs, sizeof(*obj->secs));
	scns = calloc(obj->nr_secs, sizeof(*scns));
	if (!obj->secs || !scns) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 1; i < obj->nr_secs; i++) {
		const Elf64_Shdr *sh;

		scns[i] = elf_getscn(obj->elf, i);
		sh = scns[i] ? elf64_getshdr(scns[i]) : NULL;
		if (!sh) {
			err = FMT_ERR(obj, "section %zu: bad header: %s\n", i,
				      elf_errmsg(-1));
			goto out;
		}
		obj->secs[i].name = elf_strptr(obj->elf, shstrndx, sh->sh_name);
		if (!obj->secs[i].name) {
			err = FMT_ERR(obj, "section %zu: name offset %u is outside the section name table\n",
				      i, sh->sh_name);
			goto out;
		}
	}
	obj->secs[0].name = "";
	err = check_layout(obj, scns);
	for (i = 1; !err && i < obj->nr_secs; i++)
		err = sec_data(obj, scns[i], i);
	if (!err)
		err = classify(obj, &symtab, &btf, &btf_ext);
	if (!err)
		err = read_symbols(obj, scns, symtab);
	if (!err)
		err = find_funcs(obj);
	for (i = 1; !err && i < obj->nr_secs; i++) {
		const Elf64_Shdr *sh = elf64_getshdr(scns[i]);

		if (obj->secs[i].kind == SEC_REL)
			err = read_rels(obj, scns, i, symtab);
		else if (sh->sh_type == SHT_RELA && sh->sh_info &&
			 sh->sh_info < obj->nr_secs &&
			 obj->secs[sh->sh_info].kind == SEC_CODE)
			err = FMT_ERR(obj, "section '%s': BPF code is relocated with SHT_REL, not SHT_RELA\n",
				      obj->secs[i].name);
	}
	if (!err)
		err = open_btf(obj, btf, btf_ext);
out:
	free(scns);
	return err;
}
