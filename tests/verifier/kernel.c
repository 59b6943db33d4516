/* SPDX-License-Identifier: MIT */
/* The kernel's verifier as an oracle (kernel.h), through libbpf's bpf(2)
 * wrappers: test code only, the library never calls the kernel. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "kernel.h"

int ko_init(struct ko *k, const struct gen_map *maps, unsigned int nr_maps)
{
	unsigned int i;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < nr_maps && i < GEN_MAX_MAPS; i++) {
		LIBBPF_OPTS(bpf_map_create_opts, mo,
			    .map_flags = maps[i].map_flags);
		int fd = bpf_map_create((enum bpf_map_type)maps[i].type, "gen",
					maps[i].key_size, maps[i].value_size,
					maps[i].max_entries, &mo);

		if (fd < 0) {
			int err = -errno;

			ko_free(k);
			return err;
		}
		k->map_fd[i] = fd;
		k->map_id[i] = maps[i].id;
		k->nr_maps++;
	}
	return 0;
}

void ko_free(struct ko *k)
{
	unsigned int i;

	for (i = 0; i < k->nr_maps; i++)
		close(k->map_fd[i]);
	k->nr_maps = 0;
}

int ko_verdict(struct ko *k, const struct gen_prog *p, char *log,
	       size_t log_size)
{
	static struct bpf_insn copy[GEN_MAX_INSNS];
	LIBBPF_OPTS(bpf_prog_load_opts, o);
	size_t pc;
	unsigned int i;
	int fd;

	memcpy(copy, p->insns, p->cnt * sizeof(copy[0]));
	/* maps by fd, as the kernel wants them */
	for (pc = 0; pc + 1 < p->cnt; pc++) {
		if (copy[pc].code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		if (copy[pc].src_reg == BPF_PSEUDO_MAP_FD ||
		    copy[pc].src_reg == BPF_PSEUDO_MAP_VALUE)
			for (i = 0; i < k->nr_maps; i++)
				if ((uint32_t)copy[pc].imm == k->map_id[i]) {
					copy[pc].imm = k->map_fd[i];
					break;
				}
		pc++;
	}
	if (log && log_size)
		log[0] = '\0';
	/* Without a log first: at level 1 the kernel logs every insn it
	 * walks, and a log that does not fit is a refusal (ENOSPC). */
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "gen", "GPL", copy, p->cnt, &o);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	if (errno == EPERM)
		return -EPERM;
	if (log && log_size) {
		/* again for the reason: the end of the log (rotating) */
		o.log_buf = log;
		o.log_size = (__u32)log_size;
		o.log_level = 1;
		fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "gen", "GPL", copy,
				   p->cnt, &o);
		if (fd >= 0) { /* cannot be, but then it is accepted */
			close(fd);
			return 1;
		}
	}
	return 0;
}
