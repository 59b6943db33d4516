/* SPDX-License-Identifier: MIT */
/*
 * A minimal host: load a BPF program from raw instructions and run it on a
 * buffer.  The program computes the Internet checksum (RFC 1071) of the
 * buffer it is given, a loop over 16-bit words with a carry fold; the host
 * computes the same in C and compares.  Then it shows what a rejected
 * program looks like.
 *
 *   cc checksum.c $(pkg-config --cflags --libs libuebpf)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <uebpf.h>

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/* r1 = buf, r2 = len (even) */
static const struct bpf_insn csum_prog[] = {
	INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),	   /* r0 = 0 */
	INSN(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 6, 0),	   /* if r2 == 0 goto fold */
	INSN(BPF_LDX | BPF_MEM | BPF_H, 3, 1, 0, 0),	   /* loop: r3 = *(u16 *)r1 */
	INSN(BPF_ALU | BPF_END | BPF_TO_BE, 3, 0, 0, 16),  /* r3 = ntohs(r3) */
	INSN(BPF_ALU64 | BPF_ADD | BPF_X, 0, 3, 0, 0),	   /* r0 += r3 */
	INSN(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 2),	   /* r1 += 2 */
	INSN(BPF_ALU64 | BPF_SUB | BPF_K, 2, 0, 0, 2),	   /* r2 -= 2 */
	INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, -6, 0),	   /* if r2 != 0 goto loop */
	INSN(BPF_ALU64 | BPF_MOV | BPF_X, 3, 0, 0, 0),	   /* fold: r3 = r0 */
	INSN(BPF_ALU64 | BPF_RSH | BPF_K, 3, 0, 0, 16),	   /* r3 >>= 16 */
	INSN(BPF_JMP | BPF_JEQ | BPF_K, 3, 0, 3, 0),	   /* if r3 == 0 goto done */
	INSN(BPF_ALU64 | BPF_AND | BPF_K, 0, 0, 0, 0xffff), /* r0 &= 0xffff */
	INSN(BPF_ALU64 | BPF_ADD | BPF_X, 0, 3, 0, 0),	   /* r0 += r3 */
	INSN(BPF_JMP | BPF_JA, 0, 0, -6, 0),		   /* goto fold */
	INSN(BPF_ALU | BPF_XOR | BPF_K, 0, 0, 0, 0xffff),  /* done: r0 = ~r0 & 0xffff */
	INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
};

static uint16_t csum_c(const uint8_t *p, size_t len)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

int main(void)
{
	/* An IPv4 header with its checksum field zeroed. */
	uint8_t hdr[20] = { 0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00,
			    0x40, 0x06, 0x00, 0x00, 0xac, 0x10, 0x0a, 0x63,
			    0xac, 0x10, 0x0a, 0x0c };
	const struct bpf_insn bad[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
		INSN(BPF_JMP | BPF_JA, 0, 0, 5, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	char log[256];
	UEBPF_OPTS(uebpf_prog_load_opts, opts, .name = "csum", .log_buf = log,
		   .log_size = sizeof(log), .log_level = 1);
	struct uebpf_runtime *rt;
	struct uebpf_prog *prog;
	uint64_t r0;
	int err;

	printf("libuebpf %s\n", uebpf_version());
	rt = uebpf_runtime_new(NULL);
	if (!rt) {
		perror("uebpf_runtime_new");
		return 1;
	}
	prog = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, csum_prog,
			       sizeof(csum_prog) / sizeof(csum_prog[0]), &opts);
	if (!prog) {
		fprintf(stderr, "load failed: %s\n%s", strerror(errno), log);
		return 1;
	}
	err = uebpf_prog_run(prog, hdr, sizeof(hdr), &r0);
	if (err) {
		fprintf(stderr, "run failed: %s\n", strerror(-err));
		return 1;
	}
	printf("BPF program: IPv4 header checksum = 0x%04llx\n",
	       (unsigned long long)r0);
	printf("C reference: IPv4 header checksum = 0x%04x\n",
	       csum_c(hdr, sizeof(hdr)));
	uebpf_prog_free(prog);

	printf("Loading a program that jumps past its end:\n");
	opts.name = "bad";
	prog = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, bad, 3, &opts);
	printf("  uebpf_prog_load: %s (errno %d)\n  log: %s",
	       prog ? "accepted?!" : strerror(errno), errno, log);
	uebpf_runtime_free(rt);
	return r0 == csum_c(hdr, sizeof(hdr)) && !prog ? 0 : 1;
}
