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

/* Serialize one instruction into its 8-byte little-endian wire form. */
void conf_insn_to_bytes(const struct bpf_insn *insn, uint8_t out[8]);

/* The inverse of conf_insn_to_bytes(). */
void conf_insn_from_bytes(const uint8_t in[8], struct bpf_insn *insn);

#endif /* UEBPF_CONFORMANCE_ASM_H */
