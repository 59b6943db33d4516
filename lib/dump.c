/* SPDX-License-Identifier: MIT */
/*
 * The program as it runs, as text: what `bpftool prog dump xlated` prints
 * for a kernel program, one line per instruction, from the instructions
 * the verifier left (context accesses rewritten) and the map references
 * load remembered.
 */
#include <stdio.h>

#include "internal.h"
#include "../vm/disasm.h"

/* Appends to buf like snprintf, counting what does not fit. */
struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->len < o->size) {
		size_t room = o->size - o->len - 1;

		memcpy(o->buf + o->len, s, n < room ? n : room);
		o->buf[o->len + (n < room ? n : room)] = '\0';
	}
	o->len += n;
}

static const struct uebpf_map_ref *ref_at(const struct uebpf_prog *prog,
					  size_t pc)
{
	size_t i;

	for (i = 0; i < prog->nr_map_refs; i++)
		if (prog->map_refs[i].pc == pc)
			return &prog->map_refs[i];
	return NULL;
}

/* ld_imm64 of a map: the kernel's dump names it by id, not by address. */
static void map_ref_text(const struct bpf_insn *in,
			 const struct uebpf_map_ref *ref, char *buf, size_t n)
{
	if (ref->kind == BPF_PSEUDO_MAP_FD)
		snprintf(buf, n, "r%u = map[id:%u]", in->dst_reg,
			 uebpf_map_id(ref->map));
	else
		snprintf(buf, n, "r%u = map[id:%u][0]+%u", in->dst_reg,
			 uebpf_map_id(ref->map), ref->off);
}

int uebpf_prog_dump_xlated(const struct uebpf_prog *prog, char *buf,
			   size_t size)
{
	struct out o = {.buf = buf, .size = buf ? size : 0};
	char text[160], line[200];
	size_t pc;

	if (!prog || (!buf && size))
		return -EINVAL;
	if (o.size)
		buf[0] = '\0';
	for (pc = 0; pc < prog->insn_cnt; pc++) {
		const struct bpf_insn *in = &prog->insns[pc];
		const struct uebpf_map_ref *ref = NULL;
		bool wide =
			uebpf_insn_is_ld_imm64(in) && pc + 1 < prog->insn_cnt;

		if (wide)
			ref = ref_at(prog, pc);
		if (ref)
			map_ref_text(in, ref, text, sizeof(text));
		else
			uebpf_disasm(in, text, sizeof(text));
		snprintf(line, sizeof(line), "%4zu: (%02x) %s\n", pc, in->code,
			 text);
		put(&o, line);
		if (wide)
			pc++;
		if (o.len > INT32_MAX)
			return -E2BIG;
	}
	return (int)o.len;
}
