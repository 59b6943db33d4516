/* SPDX-License-Identifier: MIT */
/*
 * Linking one program: its function's code, then every subprogram it
 * reaches appended once, depth first in the order the calls appear (the
 * layout libbpf produces), with relocations and CO-RE records applied:
 *
 *   call + R_BPF_64_32      a subprogram: symbol offset + imm + 1
 *   call, src 1, no reloc   a static subprogram of the same section
 *   call + R_BPF_64_32 to an undefined symbol: a kfunc, refused
 *   ld_imm64 + R_BPF_64_64  a map (.maps, maps), global data (value
 *                           address + offset), a function (callback),
 *                           LINUX_KERNEL_VERSION; other externs refused
 *
 * Map references come out as BPF_PSEUDO_MAP_IDX / _IDX_VALUE with imm the
 * index in obj->maps, which uebpf_prog_load_internal() resolves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>

#include "loader.h"

struct linker {
	struct uebpf_object *obj;
	const char *prog;
	struct bpf_insn *insns;
	size_t cnt, cap;
	uint64_t gen;
	/* Functions appended but not yet scanned, depth first. */
	struct frame {
		struct obj_func *f;
		size_t next; /* next instruction to scan */
		size_t rel;  /* next relocation of its section */
	} *stack;
	size_t depth;
};

#define LINK_ERR(l, err, fmt, ...)                                             \
	({                                                                     \
		obj_warn((l)->obj, "program '%s': " fmt, (l)->prog,            \
			 ##__VA_ARGS__);                                       \
		err;                                                           \
	})

uint32_t uebpf_kernel_version(void)
{
	unsigned int a = 0, b = 0, c = 0;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%u.%u.%u", &a, &b, &c) < 2)
		return 0;
	/* KERNEL_VERSION() with the sublevel capped, as the kernel does. */
	return (a << 16) + (b << 8) + (c > 255 ? 255 : c);
}

static size_t first_rel(const struct obj_sec *s, uint64_t off)
{
	size_t lo = 0, hi = s->nr_rels;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->rels[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Copies f to the end of the program and queues it for scanning. */
static int append(struct linker *l, struct obj_func *f)
{
	struct uebpf_object *obj = l->obj;
	const struct obj_sec *s = &obj->secs[f->sec];
	size_t i, k;
	int err;

	if (l->cnt + f->cnt > UEBPF_MAX_INSNS)
		return LINK_ERR(l, -E2BIG, "more than %d instructions with its subprograms\n",
				UEBPF_MAX_INSNS);
	if (l->cnt + f->cnt > l->cap) {
		size_t cap = (l->cnt + f->cnt) * 2;
		struct bpf_insn *n = realloc(l->insns, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		l->insns = n;
		l->cap = cap;
	}
	memcpy(l->insns + l->cnt, s->data + f->off * INSN_SZ,
	       f->cnt * INSN_SZ);
	f->link_gen = l->gen;
	f->link_pos = l->cnt;
	l->cnt += f->cnt;

	/* CO-RE first, on the function's own code, as libbpf does. */
	for (k = 0; k < s->nr_core && s->core[k].insn_off / INSN_SZ < f->off;
	     k++)
		;
	for (; k < s->nr_core &&
	       s->core[k].insn_off / INSN_SZ < f->off + f->cnt;
	     k++) {
		i = s->core[k].insn_off / INSN_SZ - f->off;
		err = uebpf_core_apply(obj, l->prog, &s->core[k],
				       &l->insns[f->link_pos + i], f->cnt - i,
				       f->link_pos + i);
		if (err)
			return err;
	}
	if (l->depth == obj->nr_funcs)
		return -EINVAL; /* each function is appended once */
	l->stack[l->depth++] = (struct frame){
		.f = f,
		.next = 0,
		.rel = first_rel(s, f->off * INSN_SZ),
	};
	return 0;
}

/* Where a call or callback lands: the function starting there, appended
 * to this program if it is not yet. */
static int target(struct linker *l, uint32_t sec, int64_t off, size_t pc,
		  struct obj_func **res)
{
	struct uebpf_object *obj = l->obj;
	struct obj_func *f = NULL;

	if (off >= 0 && (uint64_t)off < obj->secs[sec].size / INSN_SZ)
		f = uebpf_elf_func_at(obj, sec, (size_t)off);
	if (!f)
		return LINK_ERR(l, -EINVAL, "instruction %zu calls instruction %lld of section '%s', where no function starts\n",
				pc, (long long)off, obj->secs[sec].name);
	*res = f;
	if (f->link_gen == l->gen)
		return 0;
	return append(l, f);
}

static const char *extern_kind(struct uebpf_object *obj, const char *name)
{
	static const char *const secs[] = { ".ksyms", ".kconfig" };
	static const char *const what[] = { "__ksym variable",
					     "__kconfig variable" };
	size_t i;
	int j, id;

	for (i = 0; obj->btf && i < ARRAY_SIZE(secs); i++) {
		const struct btf_var_secinfo *vi;
		const struct btf_type *ds;

		id = btf__find_by_name_kind(obj->btf, secs[i],
					    BTF_KIND_DATASEC);
		if (id < 0)
			continue;
		ds = btf__type_by_id(obj->btf, id);
		vi = btf_var_secinfos(ds);
		for (j = 0; j < btf_vlen(ds); j++, vi++) {
			const struct btf_type *v =
				btf__type_by_id(obj->btf, vi->type);
			const char *n = v ? btf__name_by_offset(obj->btf,
								v->name_off) :
					    NULL;

			if (n && !strcmp(n, name))
				return what[i];
		}
	}
	return "extern variable";
}

static int map_index(struct uebpf_object *obj, enum obj_map_kind kind)
{
	size_t i;

	for (i = 0; i < obj->nr_maps; i++)
		if (obj->maps[i].kind == kind)
			return (int)i;
	return -1;
}

static int ld_imm64(struct linker *l, size_t pc, const struct obj_rel *r)
{
	struct bpf_insn *in = &l->insns[pc];
	struct uebpf_object *obj = l->obj;
	const Elf64_Sym *sym = &obj->syms[r->sym];
	const char *name = uebpf_elf_sym_desc(obj, r->sym);
	uint8_t type = ELF64_ST_TYPE(sym->st_info);
	const struct obj_sec *s;
	struct obj_func *f;
	int64_t off;
	size_t i;
	int err, idx;

	if (sym->st_shndx == SHN_UNDEF) {
		if (!strcmp(name, "LINUX_KERNEL_VERSION")) {
			idx = map_index(obj, MAP_KCONFIG);
			if (idx < 0)
				return -EINVAL;
			in[0].src_reg = BPF_PSEUDO_MAP_IDX_VALUE;
			in[0].imm = idx;
			in[1].imm = 0;
			return 0;
		}
		return LINK_ERR(l, -EOPNOTSUPP, "instruction %zu refers to the %s '%s', which only the kernel provides: libuebpf resolves no externs but LINUX_KERNEL_VERSION\n",
				pc, extern_kind(obj, name), name);
	}
	if (sym->st_shndx >= obj->nr_secs)
		return LINK_ERR(l, -EINVAL, "instruction %zu refers to '%s', which is in no section (an uninitialised global? initialise it, or make it static)\n",
				pc, name);
	s = &obj->secs[sym->st_shndx];
	switch (s->kind) {
	case SEC_CODE:
		if (type != STT_FUNC && type != STT_SECTION)
			break;
		off = (int64_t)sym->st_value + in->imm;
		if (off % INSN_SZ)
			return LINK_ERR(l, -EINVAL, "instruction %zu takes the address of '%s'%+d, which is not on an instruction\n",
					pc, name, in->imm);
		err = target(l, sym->st_shndx, off / INSN_SZ, pc, &f);
		if (err)
			return err;
		in = &l->insns[pc]; /* append() may have moved the code */
		in[0].src_reg = BPF_PSEUDO_FUNC;
		in[0].imm = (int32_t)(f->link_pos - pc - 1);
		in[1].imm = 0;
		return 0;
	case SEC_BTF_MAPS:
	case SEC_LEGACY_MAPS:
		if (type == STT_FUNC)
			break;
		off = (int64_t)sym->st_value +
		      (type == STT_SECTION ? in->imm : 0);
		for (i = 0; i < obj->nr_user_maps; i++) {
			if (obj->maps[i].sec == sym->st_shndx &&
			    (int64_t)obj->maps[i].sec_off == off) {
				in[0].src_reg = BPF_PSEUDO_MAP_IDX;
				in[0].imm = (int32_t)i;
				in[1].imm = 0;
				return 0;
			}
		}
		return LINK_ERR(l, -EINVAL, "instruction %zu refers to '%s' at offset %lld of section '%s', where no map is defined\n",
				pc, name, (long long)off, s->name);
	case SEC_DATA:
	case SEC_RODATA:
	case SEC_BSS:
		if (type == STT_FUNC)
			break;
		off = (int64_t)sym->st_value + in->imm;
		if (off < 0 || (uint64_t)off >= s->size)
			return LINK_ERR(l, -EINVAL, "instruction %zu refers to byte %lld of '%s' (%s), outside its %llu bytes\n",
					pc, (long long)off, name, s->name,
					(unsigned long long)s->size);
		in[0].src_reg = BPF_PSEUDO_MAP_IDX_VALUE;
		in[0].imm = s->map;
		in[1].imm = (int32_t)off;
		return 0;
	default:
		return LINK_ERR(l, -EINVAL, "instruction %zu refers to '%s' in section '%s', which holds neither maps, global data nor code\n",
				pc, name, s->name);
	}
	return LINK_ERR(l, -EINVAL, "instruction %zu loads '%s', a symbol of the wrong kind (type %u) for section '%s'\n",
			pc, name, type, s->name);
}

static int call(struct linker *l, size_t pc, const struct frame *fr,
		size_t i, const struct obj_rel *r)
{
	struct bpf_insn *in = &l->insns[pc];
	struct uebpf_object *obj = l->obj;
	struct obj_func *f;
	uint32_t sec;
	int64_t off;
	int err;

	if (r) {
		const Elf64_Sym *sym = &obj->syms[r->sym];
		const char *name = uebpf_elf_sym_desc(obj, r->sym);
		uint8_t type = ELF64_ST_TYPE(sym->st_info);

		if (sym->st_shndx == SHN_UNDEF)
			return LINK_ERR(l, -EOPNOTSUPP, "instruction %zu calls the kernel function '%s' (a kfunc, __ksym), which does not exist in user space\n",
					pc, name);
		if (in->src_reg != BPF_PSEUDO_CALL)
			return LINK_ERR(l, -EINVAL, "instruction %zu is a relocated call to '%s' but not a BPF-to-BPF call (src %u)\n",
					pc, name, in->src_reg);
		if (sym->st_shndx >= obj->nr_secs ||
		    obj->secs[sym->st_shndx].kind != SEC_CODE ||
		    (type != STT_FUNC && type != STT_SECTION) ||
		    sym->st_value % INSN_SZ)
			return LINK_ERR(l, -EINVAL, "instruction %zu calls '%s', which is not a function in a code section\n",
					pc, name);
		sec = sym->st_shndx;
		off = (int64_t)(sym->st_value / INSN_SZ) + in->imm + 1;
	} else if (in->src_reg == BPF_PSEUDO_CALL) {
		/* A static function of the same section: imm is relative. */
		sec = fr->f->sec;
		off = (int64_t)(fr->f->off + i) + in->imm + 1;
	} else {
		return 0; /* a helper */
	}
	err = target(l, sec, off, pc, &f);
	if (err)
		return err;
	l->insns[pc].imm = (int32_t)(f->link_pos - pc - 1);
	return 0;
}

/* Scans the top function until it appends another (which then goes
 * first) or ends. */
static int scan(struct linker *l)
{
	struct uebpf_object *obj = l->obj;
	struct frame *fr = &l->stack[l->depth - 1];
	const struct obj_sec *s = &obj->secs[fr->f->sec];
	size_t depth = l->depth;
	int err;

	while (fr->next < fr->f->cnt) {
		size_t i = fr->next, pc = fr->f->link_pos + i;
		uint64_t off = (fr->f->off + i) * INSN_SZ;
		const struct obj_rel *r = NULL;
		struct bpf_insn *in = &l->insns[pc];
		bool wide = in->code == (BPF_LD | BPF_IMM | BPF_DW);

		while (fr->rel < s->nr_rels && s->rels[fr->rel].off < off)
			fr->rel++;
		if (fr->rel < s->nr_rels && s->rels[fr->rel].off == off)
			r = &s->rels[fr->rel];
		fr->next += wide ? 2 : 1;
		if (wide && i + 1 >= fr->f->cnt)
			return LINK_ERR(l, -EINVAL, "ld_imm64 at instruction %zu is cut by the end of function '%s'\n",
					pc, fr->f->name);
		if (wide && r) {
			err = ld_imm64(l, pc, r);
		} else if (wide && in->src_reg) {
			return LINK_ERR(l, -EINVAL, "ld_imm64 at instruction %zu has src %u but no relocation says what it loads\n",
					pc, in->src_reg);
		} else if (in->code == (BPF_JMP | BPF_CALL)) {
			err = call(l, pc, fr, i, r);
		} else {
			continue;
		}
		if (err)
			return err;
		/* append() may have moved the stack and pushed a frame. */
		if (l->depth != depth)
			return 0;
		fr = &l->stack[l->depth - 1];
	}
	l->depth--;
	return 0;
}

int uebpf_link_prog(struct uebpf_object *obj, struct uebpf_object_prog *p,
		    struct bpf_insn **insns, size_t *cnt)
{
	struct linker l = { .obj = obj, .prog = p->name };
	size_t i;
	int err;

	for (i = 1; i < obj->nr_secs; i++) {
		const struct obj_sec *s = &obj->secs[i];

		if ((s->kind == SEC_DATA || s->kind == SEC_RODATA) &&
		    s->nr_rels) {
			obj_warn(obj, "section '%s' holds pointers (a relocation against '%s' at byte %llu): pointers in global data are not supported\n",
				 s->name,
				 uebpf_elf_sym_desc(obj, s->rels[0].sym),
				 (unsigned long long)s->rels[0].off);
			return -EOPNOTSUPP;
		}
	}
	l.gen = ++obj->link_gen;
	l.stack = calloc(obj->nr_funcs ? obj->nr_funcs : 1, sizeof(*l.stack));
	if (!l.stack)
		return -ENOMEM;
	err = append(&l, &obj->funcs[p->func]);
	while (!err && l.depth)
		err = scan(&l);
	free(l.stack);
	if (err) {
		free(l.insns);
		return err;
	}
	*insns = l.insns;
	*cnt = l.cnt;
	return 0;
}

int uebpf_object_link_all(struct uebpf_object *obj)
{
	struct bpf_insn *insns;
	size_t i, cnt;
	int err;

	for (i = 0; i < obj->nr_progs; i++) {
		if (!obj->progs[i].autoload)
			continue;
		err = uebpf_link_prog(obj, &obj->progs[i], &insns, &cnt);
		if (err)
			return err;
		free(insns);
	}
	return 0;
}
