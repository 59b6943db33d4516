/* SPDX-License-Identifier: MIT */
/*
 * The verifier's interface: helper prototypes (the table that also drives
 * dispatch), program-type context descriptions, and the entry point.
 */
#ifndef UEBPF_VERIFIER_H
#define UEBPF_VERIFIER_H

#include "../lib/internal.h"

/* What a helper argument must be, as the kernel's enum bpf_arg_type. */
enum uebpf_arg_type {
	UEBPF_ARG_NONE = 0,		/* the helper takes no more arguments */
	UEBPF_ARG_ANYTHING,		/* any initialised scalar */
	UEBPF_ARG_CONST_MAP_PTR,	/* a map the verifier knows */
	UEBPF_ARG_PTR_TO_MAP_KEY,	/* key_size readable bytes */
	UEBPF_ARG_PTR_TO_MAP_VALUE,	/* value_size readable bytes */
	UEBPF_ARG_PTR_TO_UNINIT_MAP_VALUE, /* value_size writable bytes */
	UEBPF_ARG_PTR_TO_MEM,		/* readable; size in the next arg */
	UEBPF_ARG_PTR_TO_MEM_OR_NULL,	/* same, or NULL with size 0 */
	UEBPF_ARG_PTR_TO_UNINIT_MEM,	/* writable; size in the next arg */
	UEBPF_ARG_CONST_SIZE,		/* size of the previous arg, > 0 */
	UEBPF_ARG_CONST_SIZE_OR_ZERO,	/* same, >= 0 */
	UEBPF_ARG_PTR_TO_CTX,		/* the program's context */
	UEBPF_ARG_PTR_TO_INT,		/* 4 readable and writable bytes */
	UEBPF_ARG_PTR_TO_LONG,		/* 8 readable and writable bytes */
	UEBPF_ARG_PTR_TO_FUNC,		/* a subprogram (callback) */
	UEBPF_ARG_PTR_TO_STACK_OR_NULL, /* callback context */
	UEBPF_ARG_PTR_TO_ALLOC_MEM,	/* a ringbuf record: released */
	UEBPF_ARG_CONST_ALLOC_SIZE_OR_ZERO, /* size of the record returned */
};

enum uebpf_ret_type {
	UEBPF_RET_INTEGER = 0,
	UEBPF_RET_VOID,
	UEBPF_RET_PTR_TO_MAP_VALUE_OR_NULL,
	UEBPF_RET_PTR_TO_ALLOC_MEM_OR_NULL, /* acquires a reference */
};

/* The helper changes the packet: every packet pointer is invalidated. */
#define UEBPF_HELPER_CHANGES_PKT (1u << 0)
/* The helper is bpf_tail_call. */
#define UEBPF_HELPER_TAIL_CALL (1u << 1)
/* Allowed in XDP programs (other context types add their own bits). */
#define UEBPF_HELPER_XDP (1u << 2)
/* Allowed in raw (BPF_PROG_TYPE_UNSPEC) programs. */
#define UEBPF_HELPER_RAW (1u << 3)

struct uebpf_helper_proto {
	uint8_t ret;	  /* enum uebpf_ret_type */
	uint8_t arg[5];	  /* enum uebpf_arg_type, UEBPF_ARG_NONE after the last */
	uint16_t flags;	  /* UEBPF_HELPER_* */
};

/* lib/helpers.c: the kernel's prototype for a helper id, whether or not
 * libuebpf implements it; NULL for ids it has no prototype for. */
const struct uebpf_helper_proto *uebpf_helper_proto(unsigned int id)
	UEBPF_HIDDEN;

/*
 * Verify prog->insns (validated, map references resolved) as a program of
 * prog->type, and rewrite its context accesses in place.  Returns 0 and
 * clears prog->checked, or a negative errno with the reason in log.
 */
int uebpf_verify(struct uebpf_prog *prog, struct uebpf_vlog *log) UEBPF_HIDDEN;

/* maps/prog_array.c, the kernel's bpf_prog_map_compatible(): 0 when prog
 * may be stored in or tail-call through the PROG_ARRAY map (the first
 * program sets the array's type and expected attach type), else -EINVAL
 * with the reason in the runtime's log. */
int uebpf_prog_array_compatible(struct uebpf_map *map,
				const struct uebpf_prog *prog) UEBPF_HIDDEN;

/* True when the verifier knows prog type's context (it can verify and
 * run programs of that type). */
bool uebpf_verifier_knows_type(enum bpf_prog_type type) UEBPF_HIDDEN;

#endif /* UEBPF_VERIFIER_H */
