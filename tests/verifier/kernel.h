/* SPDX-License-Identifier: MIT */
/*
 * The Linux kernel's verifier as an oracle for the soundness tests
 * (soundness --kernel): the generated program loaded as an XDP program
 * into the running kernel, with kernel maps of the same definitions.
 * Needs CAP_BPF (root); where bpf() is refused, ko_init() says so and the
 * tests go on without it.
 */
#ifndef UEBPF_TESTS_KERNEL_H
#define UEBPF_TESTS_KERNEL_H

#include <stddef.h>

#include "gen.h"

struct ko {
	int map_fd[GEN_MAX_MAPS];
	uint32_t map_id[GEN_MAX_MAPS]; /* the ids programs name (ours) */
	unsigned int nr_maps;
};

/* Kernel maps like maps[]; 0, or -errno (no permission: -EPERM). */
int ko_init(struct ko *k, const struct gen_map *maps, unsigned int nr_maps);
void ko_free(struct ko *k);
/* 1 if the kernel's verifier accepts p, 0 if it refuses it (its log in
 * log), -errno if it could not be asked. */
int ko_verdict(struct ko *k, const struct gen_prog *p, char *log,
	       size_t log_size);

#endif /* UEBPF_TESTS_KERNEL_H */
