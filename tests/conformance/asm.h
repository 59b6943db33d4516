/* SPDX-License-Identifier: MIT */
/*
 * A small assembler for the textual BPF syntax used by the conformance
 * test files (tests/conformance/NAME.data): "mov %r0, 1", "ldxdw %r0, [%r1+8]",
 * "lock fetch add [%r10-8], %r1", "call local func", labels "name:", ...
 *
 * The output is an array of struct bpf_insn from <linux/bpf.h>; a lddw
 * occupies two slots, as in the kernel's encoding.
 */
#ifndef UEBPF_CONFORMANCE_ASM_H
#define UEBPF_CONFORMANCE_ASM_H

#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

/* Older UAPI headers (6.1) predate the sign-extending load mode (RFC 9669). */
#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80
#endif

struct conf_asm_error {
	unsigned int line; /* 1-based line of the source text, 0 if none */
	char message[512]; /* "line 12: unknown mnemonic 'foo'" */
};

/*
 * Assemble the NUL-terminated text @source.
 *
 * On success returns 0 and stores a malloc'ed array in *@insns (free() it)
 * and its length in *@count; an empty text yields *@insns == NULL and
 * *@count == 0. On failure returns -1, fills @err (which may be NULL) and
 * leaves *@insns and *@count untouched.
 *
 * Line numbers in messages count from 1 at the start of @source.
 */
int conf_asm_assemble(const char *source, struct bpf_insn **insns, size_t *count,
		      struct conf_asm_error *err);

/*
 * A map reference in a "lddw %rD, map:NAME" (src_reg BPF_PSEUDO_MAP_FD) or
 * "lddw %rD, map_value:NAME+OFF" (src_reg BPF_PSEUDO_MAP_VALUE, OFF in the
 * second slot's imm): the caller stores the map's fd or id into
 * insns[pc].imm before loading.
 */
struct conf_asm_map_ref {
	size_t pc;	/* the lddw's first slot */
	char name[64];
};

/*
 * As conf_asm_assemble(), and also accepts map references, returned in a
 * malloc'ed array *@refs of *@nrefs entries (NULL and 0 if none; free()
 * it).  conf_asm_assemble() refuses map references.
 */
int conf_asm_assemble_refs(const char *source, struct bpf_insn **insns, size_t *count,
			   struct conf_asm_map_ref **refs, size_t *nrefs,
			   struct conf_asm_error *err);

/* Serialize one instruction into its 8-byte little-endian wire form. */
void conf_insn_to_bytes(const struct bpf_insn *insn, uint8_t out[8]);

/* The inverse of conf_insn_to_bytes(). */
void conf_insn_from_bytes(const uint8_t in[8], struct bpf_insn *insn);

#endif /* UEBPF_CONFORMANCE_ASM_H */
