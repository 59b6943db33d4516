/* SPDX-License-Identifier: MIT */
#ifndef UEBPF_DISASM_H
#define UEBPF_DISASM_H

#include <stddef.h>
#include <linux/bpf.h>

/* Writes insn (and, for ld_imm64, the slot after it) as text; returns
 * what snprintf returns. */
int uebpf_disasm(const struct bpf_insn *insn, char *buf, size_t len)
	__attribute__((visibility("hidden")));

#endif
