/* SPDX-License-Identifier: MIT */
/*
 * CO-RE relocations (.BTF.ext), resolved against the object's own BTF.
 *
 * The kernel's loaders resolve a CO-RE record against the running kernel's
 * BTF; user space has no kernel types, so the target here is the object's
 * own BTF.  A local type "foo___flavor" stands for the type "foo", which
 * must then be defined in the object too; a relocation whose type only the
 * kernel's BTF could provide (a flavor with no unflavored definition, a
 * forward declaration) is refused with the type's name.  For an unflavored
 * type the target is the type itself, so the compiler's values stand,
 * after the same checks libbpf makes on the instruction.
 *
 * A field relocation is an access string "i:m:n...": i indexes the root
 * pointer as an array, each following number picks a member of a struct
 * or union, or an element of an array.  The field is found in the target by
 * member names, through anonymous members, as libbpf does.
 */
#include <limits.h>
#include <stdlib.h>

#include "loader.h"

#define MAX_ACCESS 64
#define POISON_IMM 195896080 /* 0xbad2310, libbpf's "bad relo" call */

/* ---- .BTF.ext ------------------------------------------------------------ */

struct ext_hdr {
	uint16_t magic;
	uint8_t version;
	uint8_t flags;
	uint32_t hdr_len;
	uint32_t func_info_off, func_info_len;
	uint32_t line_info_off, line_info_len;
	uint32_t core_relo_off, core_relo_len;
};

static int cmp_core(const void *a, const void *b)
{
	const struct obj_core_relo *x = a, *y = b;

	return x->insn_off < y->insn_off ? -1 : x->insn_off > y->insn_off;
}

static int add_records(struct uebpf_object *obj, const char *sec_name,
		       const uint8_t *p, uint32_t n, uint32_t rec_size)
{
	struct obj_core_relo *core;
	struct obj_sec *s = NULL;
	size_t i;

	for (i = 1; i < obj->nr_secs; i++) {
		if (obj->secs[i].kind == SEC_CODE &&
		    !strcmp(obj->secs[i].name, sec_name)) {
			s = &obj->secs[i];
			break;
		}
	}
	if (!s) {
		obj_debug(obj, ".BTF.ext: CO-RE records of section '%s', which has no code, ignored\n",
			  sec_name);
		return 0;
	}
	core = realloc(s->core, (s->nr_core + n) * sizeof(*core));
	if (!core)
		return -ENOMEM;
	s->core = core;
	for (i = 0; i < n; i++, p += rec_size) {
		struct obj_core_relo *r = &core[s->nr_core];

		memcpy(r, p, sizeof(*r));
		if (r->insn_off % INSN_SZ || r->insn_off >= s->size) {
			obj_warn(obj, ".BTF.ext: CO-RE record #%zu of section '%s' is at byte %u, not on one of its %llu instructions\n",
				 i, sec_name, r->insn_off,
				 (unsigned long long)s->size / INSN_SZ);
			return -EINVAL;
		}
		s->nr_core++;
	}
	return 0;
}

int uebpf_core_parse(struct uebpf_object *obj, const uint8_t *data,
		     size_t size)
{
	struct ext_hdr h = { 0 };
	const uint8_t *p, *end;
	uint32_t rec_size;
	size_t i;
	int err;

	if (size < 8)
		goto bad;
	memcpy(&h, data, size < sizeof(h) ? size : sizeof(h));
	if (h.magic != BTF_MAGIC || h.version != 1 || h.hdr_len < 24 ||
	    h.hdr_len > size) {
		obj_warn(obj, ".BTF.ext: bad header (magic 0x%x, version %u, header length %u of %zu bytes)\n",
			 h.magic, h.version, h.hdr_len, size);
		return -EINVAL;
	}
	/* The CO-RE part of the header is optional (older compilers). */
	if (h.hdr_len < sizeof(h))
		return 0;
	if (!h.core_relo_len)
		return 0;
	if (h.core_relo_off > size - h.hdr_len ||
	    h.core_relo_len > size - h.hdr_len - h.core_relo_off ||
	    h.core_relo_len < 4)
		goto bad;
	p = data + h.hdr_len + h.core_relo_off;
	end = p + h.core_relo_len;
	memcpy(&rec_size, p, 4);
	p += 4;
	if (rec_size < sizeof(struct obj_core_relo) || rec_size % 4) {
		obj_warn(obj, ".BTF.ext: CO-RE records of %u bytes, expected at least %zu\n",
			 rec_size, sizeof(struct obj_core_relo));
		return -EINVAL;
	}
	while (p < end) {
		uint32_t name_off, n;
		const char *name;

		if (end - p < 8)
			goto bad;
		memcpy(&name_off, p, 4);
		memcpy(&n, p + 4, 4);
		p += 8;
		if (!n || n > (size_t)(end - p) / rec_size)
			goto bad;
		name = btf__name_by_offset(obj->btf, name_off);
		if (!name || !*name) {
			obj_warn(obj, ".BTF.ext: CO-RE records name section string %u, which the BTF does not have\n",
				 name_off);
			return -EINVAL;
		}
		err = add_records(obj, name, p, n, rec_size);
		if (err)
			return err;
		p += (size_t)n * rec_size;
	}
	for (i = 1; i < obj->nr_secs; i++)
		if (obj->secs[i].nr_core)
			qsort(obj->secs[i].core, obj->secs[i].nr_core,
			      sizeof(*obj->secs[i].core), cmp_core);
	return 0;
bad:
	obj_warn(obj, ".BTF.ext: CO-RE section truncated or its lengths run past the %zu-byte section\n",
		 size);
	return -EINVAL;
}

/* ---- specs --------------------------------------------------------------- */

/* One step of a field access: a named member, or an array element. */
struct acc {
	uint32_t type_id; /* the struct, union or array accessed */
	uint32_t idx;	  /* member or element index */
	const char *name; /* member name; NULL for an element */
};

struct spec {
	uint32_t root_id;
	struct acc acc[MAX_ACCESS];
	int len;
	/* Raw indexes as in the access string, for the local side. */
	uint32_t raw[MAX_ACCESS];
	int raw_len;
	uint64_t bit_off;
	uint32_t field_id; /* type of the field reached */
	/* The last step: member of a composite (for bitfields). */
	uint32_t last_composite, last_member;
	bool last_is_member;
};

static const char *kind_name(uint32_t kind)
{
	static const char *const names[] = {
		"field byte offset", "field byte size", "field exists",
		"field signed",	     "field lshift",	"field rshift",
		"local type id",     "target type id",	"type exists",
		"type size",	     "enum value exists", "enum value",
		"type matches",
	};

	return kind < ARRAY_SIZE(names) ? names[kind] : "unknown";
}

static bool is_field_kind(uint32_t k)
{
	return k <= BPF_CORE_FIELD_RSHIFT_U64;
}

static bool is_enum_kind(uint32_t k)
{
	return k == BPF_CORE_ENUMVAL_EXISTS || k == BPF_CORE_ENUMVAL_VALUE;
}

/* Length of name without a "___flavor" suffix. */
static size_t essential_len(const char *name)
{
	const char *p = strstr(name, "___");

	return p ? (size_t)(p - name) : strlen(name);
}

static const char *type_name(const struct btf *btf, const struct btf_type *t)
{
	const char *n = btf__name_by_offset(btf, t->name_off);

	return n ? n : "";
}

static int parse_access(const char *s, uint32_t *raw, int *len)
{
	*len = 0;
	while (*s) {
		unsigned long v = 0;
		int digits = 0;

		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (unsigned long)(*s++ - '0');
			if (v > UINT32_MAX)
				return -EINVAL;
			digits++;
		}
		if (!digits || *len == MAX_ACCESS)
			return -EINVAL;
		raw[(*len)++] = (uint32_t)v;
		if (*s == ':')
			s++;
		else if (*s)
			return -EINVAL;
	}
	return *len ? 0 : -EINVAL;
}

static long long type_size(const struct btf *btf, uint32_t id)
{
	return btf__resolve_size(btf, id);
}

/* Walks the access string over the local type. */
static int local_spec(struct uebpf_object *obj, uint32_t kind,
		      uint32_t type_id, const char *access, struct spec *sp)
{
	const struct btf *btf = obj->btf;
	const struct btf_type *t;
	uint32_t id;
	long long sz;
	int i;

	memset(sp, 0, sizeof(*sp));
	sp->root_id = type_id;
	if (parse_access(access, sp->raw, &sp->raw_len))
		return -EINVAL;
	t = uebpf_btf_skip_mods(btf, type_id, &id);
	if (!t || !type_id)
		return -EINVAL;
	if (!is_field_kind(kind)) {
		if (is_enum_kind(kind) &&
		    (!btf_is_any_enum(t) || sp->raw_len != 1 ||
		     sp->raw[0] >= btf_vlen(t)))
			return -EINVAL;
		if (!is_enum_kind(kind) && (sp->raw_len != 1 || sp->raw[0]))
			return -EINVAL;
		return 0;
	}
	sz = type_size(btf, id);
	if (sz < 0)
		return -EINVAL;
	sp->bit_off = (uint64_t)sp->raw[0] * (uint64_t)sz * 8;
	sp->field_id = id;
	for (i = 1; i < sp->raw_len; i++) {
		uint32_t a = sp->raw[i];

		t = uebpf_btf_skip_mods(btf, id, &id);
		if (!t)
			return -EINVAL;
		if (btf_is_composite(t)) {
			const struct btf_member *m = btf_members(t) + a;
			const char *n;

			if (a >= btf_vlen(t))
				return -EINVAL;
			sp->bit_off += btf_member_bit_offset(t, a);
			n = btf__name_by_offset(btf, m->name_off);
			sp->last_composite = id;
			sp->last_member = a;
			sp->last_is_member = true;
			if (n && *n) {
				if (sp->len == MAX_ACCESS)
					return -EINVAL;
				sp->acc[sp->len++] =
					(struct acc){ id, a, n };
			}
			id = m->type;
		} else if (btf_is_array(t)) {
			const struct btf_array *arr = btf_array(t);

			sz = type_size(btf, arr->type);
			if (sz < 0)
				return -EINVAL;
			if (sp->len == MAX_ACCESS)
				return -EINVAL;
			sp->acc[sp->len++] = (struct acc){ id, a, NULL };
			sp->bit_off += (uint64_t)a * (uint64_t)sz * 8;
			sp->last_is_member = false;
			id = arr->type;
		} else {
			return -EINVAL;
		}
		sp->field_id = id;
	}
	return 0;
}

/* Finds member name in composite id, through anonymous members; adds its
 * bit offset.  depth bounds hostile nesting. */
static bool find_member(const struct btf *btf, uint32_t id, const char *name,
			uint64_t *bit_off, uint32_t *mtype, uint32_t *comp,
			uint32_t *midx, int depth)
{
	const struct btf_type *t = uebpf_btf_skip_mods(btf, id, &id);
	const struct btf_member *m;
	int i;

	if (!t || !btf_is_composite(t) || depth > 32)
		return false;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);
		uint64_t off = btf_member_bit_offset(t, i);

		if (n && *n) {
			if (strcmp(n, name))
				continue;
			*bit_off += off;
			*mtype = m->type;
			*comp = id;
			*midx = i;
			return true;
		}
		if (find_member(btf, m->type, name, bit_off, mtype, comp, midx,
				depth + 1)) {
			*bit_off += off;
			return true;
		}
	}
	return false;
}

/* Whether a local and a target field can stand for each other. */
static bool fields_compat(const struct btf *btf, uint32_t a, uint32_t b,
			  int depth)
{
	const struct btf_type *x = uebpf_btf_skip_mods(btf, a, NULL);
	const struct btf_type *y = uebpf_btf_skip_mods(btf, b, NULL);

	if (!x || !y || depth > 32)
		return false;
	if (btf_is_composite(x) || btf_is_fwd(x))
		return btf_is_composite(y) || btf_is_fwd(y);
	if (btf_is_any_enum(x) || btf_is_int(x))
		return btf_is_any_enum(y) || btf_is_int(y);
	if (btf_is_array(x))
		return btf_is_array(y) &&
		       fields_compat(btf, btf_array(x)->type,
				     btf_array(y)->type, depth + 1);
	return btf_kind(x) == btf_kind(y);
}

/* Matches the local field access in candidate cand; false when the field
 * does not exist there. */
static bool target_spec(const struct btf *btf, const struct spec *loc,
			uint32_t cand, struct spec *sp)
{
	const struct btf_type *t;
	uint32_t id = cand;
	long long sz;
	int i;

	memset(sp, 0, sizeof(*sp));
	sp->root_id = cand;
	sz = type_size(btf, cand);
	if (sz < 0)
		return false;
	sp->bit_off = (uint64_t)loc->raw[0] * (uint64_t)sz * 8;
	sp->field_id = cand;
	for (i = 0; i < loc->len; i++) {
		const struct acc *a = &loc->acc[i];

		if (a->name) {
			uint32_t mtype, comp, midx;

			if (!find_member(btf, id, a->name, &sp->bit_off,
					 &mtype, &comp, &midx, 0))
				return false;
			sp->last_composite = comp;
			sp->last_member = midx;
			sp->last_is_member = true;
			id = mtype;
		} else {
			const struct btf_array *arr;

			t = uebpf_btf_skip_mods(btf, id, &id);
			if (!t || !btf_is_array(t))
				return false;
			arr = btf_array(t);
			/* A zero-length (flexible) array takes any index. */
			if (arr->nelems && a->idx >= arr->nelems)
				return false;
			sz = type_size(btf, arr->type);
			if (sz < 0)
				return false;
			sp->bit_off += (uint64_t)a->idx * (uint64_t)sz * 8;
			sp->last_is_member = false;
			id = arr->type;
		}
		sp->field_id = id;
	}
	return fields_compat(btf, loc->field_id, id, 0);
}

struct value {
	uint64_t val;
	uint32_t size;	   /* field size, for a load/store's width */
	uint32_t type_id;  /* its type */
	bool validate;	   /* the instruction must hold the local value */
};

/* The value a field relocation kind takes for spec sp (NULL: no such
 * field); -ENOENT asks for the instruction to be poisoned. */
static int field_value(const struct btf *btf, uint32_t kind,
		       const struct spec *sp, struct value *v)
{
	const struct btf_type *t, *mt;
	uint32_t byte_off, byte_sz, bit_sz = 0, bit_off, fid, eid;
	bool bitfield = false;
	long long sz;

	memset(v, 0, sizeof(*v));
	v->validate = true;
	if (kind == BPF_CORE_FIELD_EXISTS) {
		v->val = sp != NULL;
		return 0;
	}
	if (!sp)
		return -ENOENT;
	if (sp->bit_off / 8 > UINT32_MAX)
		return -EINVAL;
	bit_off = (uint32_t)sp->bit_off;
	mt = uebpf_btf_skip_mods(btf, sp->field_id, &fid);
	if (!mt)
		return -EINVAL;
	if (sp->last_is_member) {
		t = btf__type_by_id(btf, sp->last_composite);
		bit_sz = btf_member_bitfield_size(t, sp->last_member);
		bitfield = bit_sz > 0;
	}
	if (bitfield) {
		/* Smallest naturally aligned load of the member's type
		 * size (or larger) covering the bits. */
		byte_sz = mt->size;
		if (!byte_sz || byte_sz > 8)
			return -EINVAL;
		byte_off = bit_off / 8 / byte_sz * byte_sz;
		while (bit_off + bit_sz - byte_off * 8 > byte_sz * 8) {
			if (byte_sz >= 8)
				return -E2BIG;
			byte_sz *= 2;
			byte_off = bit_off / 8 / byte_sz * byte_sz;
		}
		v->validate = false; /* the compiler's choice may differ */
	} else {
		sz = type_size(btf, fid);
		if (sz < 0 || sz > UINT32_MAX)
			return -EINVAL;
		byte_sz = (uint32_t)sz;
		byte_off = bit_off / 8;
		bit_sz = byte_sz * 8;
	}
	switch (kind) {
	case BPF_CORE_FIELD_BYTE_OFFSET:
		v->val = byte_off;
		if (!bitfield) {
			/* Element size of arrays, for the access width. */
			t = uebpf_btf_skip_mods(btf, fid, &eid);
			while (t && btf_is_array(t))
				t = uebpf_btf_skip_mods(btf,
							btf_array(t)->type,
							&eid);
			sz = t ? type_size(btf, eid) : -1;
			if (sz < 0)
				return -EINVAL;
			v->size = (uint32_t)sz;
			v->type_id = eid;
		}
		return 0;
	case BPF_CORE_FIELD_BYTE_SIZE:
		v->val = byte_sz;
		return 0;
	case BPF_CORE_FIELD_SIGNED:
		v->val = (btf_is_any_enum(mt) && btf_kflag(mt)) ||
			 (btf_is_int(mt) &&
			  (btf_int_encoding(mt) & BTF_INT_SIGNED));
		v->validate = true;
		return 0;
	case BPF_CORE_FIELD_LSHIFT_U64:
		v->val = 64 - (bit_off + bit_sz - byte_off * 8);
		return 0;
	case BPF_CORE_FIELD_RSHIFT_U64:
		v->val = 64 - bit_sz;
		v->validate = true;
		return 0;
	}
	return -EINVAL;
}

/* Types of the object's BTF that can stand for local type id: same kind,
 * named as its name without a flavor.  Returns how many, the first few
 * in cands. */
static int candidates(const struct btf *btf, uint32_t id, uint32_t *cands,
		      int max)
{
	const struct btf_type *lt = btf__type_by_id(btf, id), *t;
	const char *ln = type_name(btf, lt);
	size_t elen = essential_len(ln);
	uint32_t i, n = btf__type_cnt(btf);
	int found = 0;

	for (i = 1; i < n; i++) {
		const char *tn;

		t = btf__type_by_id(btf, i);
		if (btf_kind(t) != btf_kind(lt))
			continue;
		tn = type_name(btf, t);
		if (strlen(tn) != elen || strncmp(tn, ln, elen))
			continue;
		if (found < max)
			cands[found] = i;
		found++;
	}
	return found;
}

static const char *kind_word(const struct btf_type *t)
{
	if (btf_is_struct(t))
		return "struct ";
	if (btf_is_union(t))
		return "union ";
	if (btf_is_any_enum(t))
		return "enum ";
	return "";
}

static const char *enumerator_name(const struct btf *btf,
				   const struct btf_type *t, int i)
{
	return btf__name_by_offset(btf, btf_is_enum(t) ?
						btf_enum(t)[i].name_off :
						btf_enum64(t)[i].name_off);
}

/* Signed enums sign-extend their 32-bit values, as libbpf reads them. */
static uint64_t enumerator_value(const struct btf_type *t, int i)
{
	if (btf_is_enum64(t))
		return btf_enum64_value(btf_enum64(t) + i);
	if (btf_kflag(t))
		return (uint64_t)(int64_t)btf_enum(t)[i].val;
	return (uint32_t)btf_enum(t)[i].val;
}

/* Enumerator idx of the local enum, found by name in candidate cand:
 * false when cand lacks it. */
static bool enum_value(const struct btf *btf, uint32_t local, uint32_t idx,
		       uint32_t cand, uint64_t *val)
{
	const struct btf_type *lt = uebpf_btf_skip_mods(btf, local, NULL);
	const struct btf_type *ct = btf__type_by_id(btf, cand);
	const char *ln = enumerator_name(btf, lt, idx);
	size_t elen;
	int i;

	if (!ln || !ct || !btf_is_any_enum(ct))
		return false;
	elen = essential_len(ln);
	for (i = 0; i < btf_vlen(ct); i++) {
		const char *cn = enumerator_name(btf, ct, i);

		if (!cn || essential_len(cn) != elen || strncmp(cn, ln, elen))
			continue;
		*val = enumerator_value(ct, i);
		return true;
	}
	return false;
}

/* orig: the local value, new: the target's. */
struct result {
	struct value orig, new;
	bool poison;
	bool bad_memsz;
};

static int resolve(struct uebpf_object *obj, const char *prog,
		   const struct obj_core_relo *r, size_t pc, struct result *res)
{
	const struct btf *btf = obj->btf;
	const char *access = btf__name_by_offset(btf, r->access_str_off);
	const struct btf_type *lt = btf__type_by_id(btf, r->type_id);
	struct spec loc, tgt;
	uint32_t cands[4], cid;
	int nc, i, err = 0;
	bool have = false;

	memset(res, 0, sizeof(*res));
	if (r->kind > BPF_CORE_TYPE_MATCHES) {
		obj_warn(obj, "program '%s': CO-RE relocation of unknown kind %u at instruction %zu\n",
			 prog, r->kind, pc);
		return -EOPNOTSUPP;
	}
	if (!access || !lt ||
	    local_spec(obj, r->kind, r->type_id, access, &loc)) {
		obj_warn(obj, "program '%s': CO-RE relocation (%s) at instruction %zu has a malformed type [%u] or access string \"%s\"\n",
			 prog, kind_name(r->kind), pc, r->type_id,
			 access ? access : "");
		return -EINVAL;
	}
	if (r->kind == BPF_CORE_TYPE_ID_LOCAL) {
		res->orig.val = res->new.val = r->type_id;
		res->orig.validate = true;
		return 0;
	}
	if (!*type_name(btf, lt)) {
		obj_warn(obj, "program '%s': CO-RE relocation (%s) at instruction %zu is against an anonymous type, which cannot be relocated\n",
			 prog, kind_name(r->kind), pc);
		return -EINVAL;
	}
	cid = r->type_id;
	if (is_enum_kind(r->kind))
		uebpf_btf_skip_mods(btf, r->type_id, &cid);
	nc = candidates(btf, cid, cands, ARRAY_SIZE(cands));
	if (!nc) {
		obj_warn(obj, "program '%s': CO-RE relocation (%s) at instruction %zu needs %s%.*s, which the object's BTF does not define (only kernel BTF would): libuebpf resolves CO-RE relocations against the object's own types\n",
			 prog, kind_name(r->kind), pc, kind_word(lt),
			 (int)essential_len(type_name(btf, lt)),
			 type_name(btf, lt));
		return -EOPNOTSUPP;
	}
	if (nc > (int)ARRAY_SIZE(cands))
		nc = ARRAY_SIZE(cands);

	if (is_field_kind(r->kind)) {
		err = field_value(btf, r->kind, &loc, &res->orig);
		if (err)
			goto bad;
	} else if (is_enum_kind(r->kind)) {
		/* local_spec() checked: an enum, the index in range. */
		const struct btf_type *et = uebpf_btf_skip_mods(btf, r->type_id,
								NULL);

		res->orig.validate = true;
		res->orig.val = r->kind == BPF_CORE_ENUMVAL_EXISTS ?
					1 :
					enumerator_value(et, loc.raw[0]);
	} else {
		res->orig.validate = r->kind != BPF_CORE_TYPE_ID_TARGET;
		res->orig.val = r->kind == BPF_CORE_TYPE_SIZE ?
					(uint64_t)type_size(btf, r->type_id) :
				r->kind == BPF_CORE_TYPE_ID_TARGET ?
					r->type_id :
					1;
	}

	for (i = 0; i < nc; i++) {
		struct value v = { 0 };
		bool ok = true;

		if (is_field_kind(r->kind)) {
			ok = target_spec(btf, &loc, cands[i], &tgt);
			err = field_value(btf, r->kind, ok ? &tgt : NULL, &v);
			if (err == -ENOENT) {
				res->poison = true;
				err = 0;
				continue;
			}
			if (err)
				goto bad;
		} else if (is_enum_kind(r->kind)) {
			ok = enum_value(btf, r->type_id, loc.raw[0], cands[i],
					&v.val);
			if (r->kind == BPF_CORE_ENUMVAL_EXISTS)
				v.val = ok;
			else if (!ok) {
				res->poison = true;
				continue;
			}
		} else if (r->kind == BPF_CORE_TYPE_SIZE) {
			long long sz = type_size(btf, cands[i]);

			if (sz < 0)
				goto bad;
			v.val = (uint64_t)sz;
		} else if (r->kind == BPF_CORE_TYPE_ID_TARGET) {
			v.val = cands[i];
		} else { /* exists, matches */
			v.val = 1;
		}
		if (have &&
		    (v.val != res->new.val || v.size != res->new.size)) {
			obj_warn(obj, "program '%s': CO-RE relocation (%s) at instruction %zu is ambiguous: the object defines %s%s more than once, with different layouts\n",
				 prog, kind_name(r->kind), pc, kind_word(lt),
				 type_name(btf, lt));
			return -EINVAL;
		}
		res->new = v;
		have = true;
	}
	if (have)
		res->poison = false;
	if (have && res->orig.size != res->new.size) {
		const struct btf_type *a = btf__type_by_id(btf,
							   res->orig.type_id);
		const struct btf_type *b = btf__type_by_id(btf,
							   res->new.type_id);

		/* A load of another width reads the same value only for
		 * pointers and unsigned integers. */
		res->bad_memsz =
			!(a && b && btf_is_ptr(a) && btf_is_ptr(b)) &&
			!(a && b && btf_is_int(a) && btf_is_int(b) &&
			  !(btf_int_encoding(a) & BTF_INT_SIGNED) &&
			  !(btf_int_encoding(b) & BTF_INT_SIGNED));
	}
	return 0;
bad:
	obj_warn(obj, "program '%s': CO-RE relocation (%s) at instruction %zu: %s%s cannot be laid out from its BTF\n",
		 prog, kind_name(r->kind), pc, kind_word(lt),
		 type_name(btf, lt));
	return -EINVAL;
}

static int size_code(uint32_t bytes)
{
	switch (bytes) {
	case 1:
		return BPF_B;
	case 2:
		return BPF_H;
	case 4:
		return BPF_W;
	case 8:
		return BPF_DW;
	}
	return -1;
}

static uint32_t code_bytes(uint8_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B:
		return 1;
	case BPF_H:
		return 2;
	case BPF_W:
		return 4;
	}
	return 8;
}

static void poison(struct bpf_insn *insn, size_t avail)
{
	if (insn->code == (BPF_LD | BPF_IMM | BPF_DW) && avail > 1)
		insn[1] = (struct bpf_insn){ .code = BPF_JMP | BPF_CALL,
					     .imm = POISON_IMM };
	*insn = (struct bpf_insn){ .code = BPF_JMP | BPF_CALL,
				   .imm = POISON_IMM };
}

int uebpf_core_apply(struct uebpf_object *obj, const char *prog_name,
		     const struct obj_core_relo *relo, struct bpf_insn *insn,
		     size_t avail, size_t pc)
{
	struct result res;
	uint64_t orig, val;
	int err, sc;

	err = resolve(obj, prog_name, relo, pc, &res);
	if (err)
		return err;
	if (res.poison) {
		obj_warn(obj, "program '%s': CO-RE relocation (%s) at instruction %zu: the field or value does not exist in the object's BTF; the instruction is poisoned, as libbpf does\n",
			 prog_name, kind_name(relo->kind), pc);
		poison(insn, avail);
		return 0;
	}
	orig = res.orig.val;
	val = res.new.val;
	switch (BPF_CLASS(insn->code)) {
	case BPF_ALU:
	case BPF_ALU64:
		if (BPF_SRC(insn->code) != BPF_K)
			break;
		if (res.orig.validate && (uint64_t)(uint32_t)insn->imm !=
						 (uint64_t)(uint32_t)orig)
			goto mismatch;
		insn->imm = (int32_t)val;
		return 0;
	case BPF_LDX:
	case BPF_ST:
	case BPF_STX:
		if (res.orig.validate && (int64_t)insn->off != (int64_t)orig)
			goto mismatch;
		if (val > SHRT_MAX) {
			obj_warn(obj, "program '%s': CO-RE relocation at instruction %zu: offset %llu does not fit the instruction\n",
				 prog_name, pc, (unsigned long long)val);
			return -ERANGE;
		}
		if (res.bad_memsz) {
			poison(insn, avail);
			return 0;
		}
		insn->off = (int16_t)val;
		if (res.new.size && res.orig.size != res.new.size) {
			sc = size_code(res.new.size);
			if (code_bytes(insn->code) != res.orig.size || sc < 0)
				goto mismatch;
			insn->code = BPF_MODE(insn->code) | sc |
				     BPF_CLASS(insn->code);
		}
		return 0;
	case BPF_LD:
		if (insn->code != (BPF_LD | BPF_IMM | BPF_DW) || avail < 2)
			break;
		if (res.orig.validate &&
		    ((uint64_t)(uint32_t)insn[0].imm |
		     (uint64_t)insn[1].imm << 32) != orig)
			goto mismatch;
		insn[0].imm = (int32_t)(uint32_t)val;
		insn[1].imm = (int32_t)(uint32_t)(val >> 32);
		return 0;
	}
	obj_warn(obj, "program '%s': CO-RE relocation (%s) at instruction %zu is on an instruction (opcode 0x%02x) it cannot patch\n",
		 prog_name, kind_name(relo->kind), pc, insn->code);
	return -EINVAL;
mismatch:
	obj_warn(obj, "program '%s': CO-RE relocation (%s) at instruction %zu expects the value %llu, which the instruction (opcode 0x%02x) does not hold\n",
		 prog_name, kind_name(relo->kind), pc, (unsigned long long)orig,
		 insn->code);
	return -EINVAL;
}
