// SPDX-License-Identifier: MIT
/*
 * CO-RE relocations that resolve against the object's own BTF: field
 * offsets and sizes, a flavor ("___v2") whose layout differs from the type
 * it stands for, bitfields, existence checks, type sizes and enum values.
 * core_read never reads its context: a test runs it as a raw program and
 * checks the value it returns.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct meta {
	__u32 a;
	__u16 b;
	__u8 lo : 3, hi : 5;
	__u64 e;
	__u32 arr[4];
} __attribute__((preserve_access_index));

/* The same fields in another order, standing for struct meta. */
struct meta___v2 {
	__u64 e;
	__u32 a;
	__u32 missing;
} __attribute__((preserve_access_index));

enum color { RED = 1, GREEN = 5, BLUE = 9 };

struct meta g_meta = {
	.a = 11, .b = 22, .lo = 5, .hi = 17, .e = 33, .arr = { 1, 2, 3, 4 },
};

SEC("xdp")
int core_read(struct xdp_md *ctx)
{
	struct meta *m = &g_meta;
	struct meta___v2 *m2 = (void *)&g_meta;
	__u64 r = 0;

	r += m->a;				  /* 11 */
	r += m->b;				  /* 22 */
	r += m->arr[2];				  /* 3 */
	r += m2->e;				  /* 33, at meta's offset */
	r += m2->a;				  /* 11 */
	r += BPF_CORE_READ_BITFIELD(m, hi);	  /* 17 */
	r += BPF_CORE_READ_BITFIELD(m, lo);	  /* 5 */
	r += bpf_core_field_exists(m2->missing); /* 0 */
	r += bpf_core_field_exists(m2->e);	  /* 1 */
	r += bpf_core_field_size(m->b);		  /* 2 */
	r += bpf_core_type_size(struct meta);	  /* 32 */
	r += bpf_core_type_exists(struct meta___v2); /* 1 */
	r += bpf_core_enum_value(enum color, BLUE);  /* 9 */
	r += bpf_core_enum_value_exists(enum color, GREEN); /* 1 */
	/* 11+22+3+33+11+17+5+0+1+2+32+1+9+1 = 148 */
	return r;
}

char _license[] SEC("license") = "GPL";
