/* SPDX-License-Identifier: MIT */
/* Programs from raw instructions: load (validate, resolve), run, free. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define PROG_TYPE_NAME(x) [BPF_PROG_TYPE_##x] = #x
static const char *const prog_type_names[] = {
	PROG_TYPE_NAME(UNSPEC),
	PROG_TYPE_NAME(SOCKET_FILTER),
	PROG_TYPE_NAME(KPROBE),
	PROG_TYPE_NAME(SCHED_CLS),
	PROG_TYPE_NAME(SCHED_ACT),
	PROG_TYPE_NAME(TRACEPOINT),
	PROG_TYPE_NAME(XDP),
	PROG_TYPE_NAME(PERF_EVENT),
	PROG_TYPE_NAME(CGROUP_SKB),
	PROG_TYPE_NAME(CGROUP_SOCK),
	PROG_TYPE_NAME(LWT_IN),
	PROG_TYPE_NAME(LWT_OUT),
	PROG_TYPE_NAME(LWT_XMIT),
	PROG_TYPE_NAME(SOCK_OPS),
	PROG_TYPE_NAME(SK_SKB),
	PROG_TYPE_NAME(CGROUP_DEVICE),
	PROG_TYPE_NAME(SK_MSG),
	PROG_TYPE_NAME(RAW_TRACEPOINT),
	PROG_TYPE_NAME(CGROUP_SOCK_ADDR),
	PROG_TYPE_NAME(LWT_SEG6LOCAL),
	PROG_TYPE_NAME(LIRC_MODE2),
	PROG_TYPE_NAME(SK_REUSEPORT),
	PROG_TYPE_NAME(FLOW_DISSECTOR),
	PROG_TYPE_NAME(CGROUP_SYSCTL),
	PROG_TYPE_NAME(RAW_TRACEPOINT_WRITABLE),
	PROG_TYPE_NAME(CGROUP_SOCKOPT),
	PROG_TYPE_NAME(TRACING),
	PROG_TYPE_NAME(STRUCT_OPS),
	PROG_TYPE_NAME(EXT),
	PROG_TYPE_NAME(LSM),
	PROG_TYPE_NAME(SK_LOOKUP),
	PROG_TYPE_NAME(SYSCALL),
};
#undef PROG_TYPE_NAME

const char *uebpf_prog_type_name(enum bpf_prog_type type)
{
	if ((size_t)type < ARRAY_SIZE(prog_type_names) &&
	    prog_type_names[type])
		return prog_type_names[type];
	return NULL;
}

/* Map references in ld_imm64 need the map registry of the maps issue;
 * until then no map id resolves, and the message says which pc asked. */
static int resolve_ld_imm64(struct uebpf_prog *prog, struct uebpf_vlog *log)
{
	size_t pc;

	for (pc = 0; pc < prog->insn_cnt; pc++) {
		struct bpf_insn *in = &prog->insns[pc];

		if (!uebpf_insn_is_ld_imm64(in))
			continue;
		switch (in->src_reg) {
		case BPF_PSEUDO_MAP_FD:
		case BPF_PSEUDO_MAP_IDX:
		case BPF_PSEUDO_MAP_VALUE:
		case BPF_PSEUDO_MAP_IDX_VALUE:
			uebpf_vlog_printf(log, "ld_imm64 at pc %zu refers to map %s %d, but this runtime has no such map\n",
					  pc,
					  in->src_reg == BPF_PSEUDO_MAP_FD ||
							  in->src_reg ==
								  BPF_PSEUDO_MAP_VALUE ?
						  "id" :
						  "index",
					  in->imm);
			return -EBADF;
		}
		pc++;
	}
	return 0;
}

struct uebpf_prog *uebpf_prog_load(struct uebpf_runtime *rt,
				   enum bpf_prog_type type,
				   const struct bpf_insn *insns, size_t insn_cnt,
				   const struct uebpf_prog_load_opts *opts)
{
	struct uebpf_vlog vlog = { 0 }, *log = &vlog;
	struct uebpf_prog *prog = NULL;
	const char *name;
	int err;

	if (!rt || (!insns && insn_cnt)) {
		errno = EINVAL;
		return NULL;
	}
	if (!OPTS_VALID(rt, opts, uebpf_prog_load_opts, insn_budget)) {
		errno = EINVAL;
		return NULL;
	}
	vlog.buf = OPTS_GET(opts, log_buf, NULL);
	vlog.size = OPTS_GET(opts, log_size, 0);
	vlog.level = OPTS_GET(opts, log_level, 0);
	/* The kernel's rules for the log attributes. */
	if ((vlog.buf && !vlog.size) || (!vlog.buf && vlog.size)) {
		pr_warn(rt, "log_buf and log_size must be given together\n");
		errno = EINVAL;
		return NULL;
	}
	if (vlog.buf && !vlog.level) {
		pr_warn(rt, "log_buf given with log_level 0: set log_level to 1 (or 2 for every state)\n");
		errno = EINVAL;
		return NULL;
	}
	if (vlog.level & ~7u) {
		pr_warn(rt, "log_level 0x%x has unknown bits (1: errors, 2: every state, 4: statistics)\n",
			vlog.level);
		errno = EINVAL;
		return NULL;
	}
	if (vlog.buf)
		vlog.buf[0] = '\0';
	name = OPTS_GET(opts, name, NULL);
	if (!name)
		name = "";

	if (type != BPF_PROG_TYPE_UNSPEC) {
		const char *tn = uebpf_prog_type_name(type);

		err = -EOPNOTSUPP;
		uebpf_vlog_printf(log, "program type %s (%d) is not supported; this version runs raw programs (BPF_PROG_TYPE_UNSPEC)\n",
				  tn ? tn : "unknown", type);
		goto fail;
	}
	err = uebpf_validate(rt, insns, insn_cnt, log);
	if (err)
		goto fail;

	prog = calloc(1, sizeof(*prog));
	if (!prog) {
		err = -ENOMEM;
		goto fail;
	}
	prog->rt = rt;
	atomic_init(&prog->refcnt, 1);
	prog->type = type;
	snprintf(prog->name, sizeof(prog->name), "%s", name);
	prog->insn_cnt = insn_cnt;
	prog->insn_budget = OPTS_GET(opts, insn_budget, 0);
	prog->checked = true; /* until the verifier proves otherwise */
	prog->insns = malloc(insn_cnt * sizeof(*insns));
	if (!prog->insns) {
		err = -ENOMEM;
		goto fail;
	}
	memcpy(prog->insns, insns, insn_cnt * sizeof(*insns));
	err = resolve_ld_imm64(prog, log);
	if (err)
		goto fail;
	err = uebpf_idr_alloc(&rt->prog_ids, prog, &prog->id);
	if (err)
		goto fail;
	return prog;

fail:
	pr_warn(rt, "prog '%s': load failed: %s\n", name,
		vlog.first[0] ? vlog.first : strerror(-err));
	uebpf_prog_free(prog);
	errno = -err;
	return NULL;
}

static void prog_destroy(void *p)
{
	struct uebpf_prog *prog = p;

	free(prog->insns);
	free(prog);
}

void uebpf_prog_put(struct uebpf_prog *prog)
{
	if (!prog || atomic_fetch_sub(&prog->refcnt, 1) != 1)
		return;
	if (prog->id)
		uebpf_idr_remove(&prog->rt->prog_ids, prog->id);
	/* A tail call may still be running it. */
	uebpf_epoch_retire(&prog->rt->epoch, prog, prog_destroy);
}

struct uebpf_prog *uebpf_prog_get_by_id_internal(struct uebpf_runtime *rt,
						 uint32_t id)
{
	struct uebpf_prog *prog = NULL;
	int n;

	pthread_mutex_lock(&rt->prog_ids.lock);
	if (id && id <= rt->prog_ids.nr && (prog = rt->prog_ids.slots[id - 1])) {
		n = atomic_load(&prog->refcnt);
		do {
			if (!n) {
				prog = NULL;
				break;
			}
		} while (!atomic_compare_exchange_weak(&prog->refcnt, &n, n + 1));
	}
	pthread_mutex_unlock(&rt->prog_ids.lock);
	return prog;
}

void uebpf_prog_free(struct uebpf_prog *prog)
{
	if (!prog)
		return;
	if (!prog->id) { /* never fully loaded */
		prog_destroy(prog);
		return;
	}
	uebpf_prog_put(prog);
}

uint32_t uebpf_prog_id(const struct uebpf_prog *prog)
{
	return prog ? prog->id : 0;
}

int uebpf_prog_run(struct uebpf_prog *prog, void *mem, size_t len,
		   uint64_t *retval)
{
	struct uebpf_epoch_rec *rec;
	struct uebpf_run_ctx ctx;
	uint64_t r0 = 0;
	int err;

	if (!prog || !retval || (!mem && len))
		return -EINVAL;
	if (prog->type != BPF_PROG_TYPE_UNSPEC)
		return -EINVAL;
	ctx.prog = prog;
	ctx.cpu = uebpf_this_cpu;
	/* The interpreter counts down a signed budget: anything past
	 * INT64_MAX is as good as unlimited. */
	ctx.budget = prog->insn_budget && prog->insn_budget < INT64_MAX ?
			     prog->insn_budget :
			     INT64_MAX;
	ctx.err = 0;
	ctx.err_pc = 0;
	ctx.regions[1].lo = (uintptr_t)mem;
	ctx.regions[1].hi = (uintptr_t)mem + len;
	ctx.nr_regions = 2;
	rec = uebpf_epoch_enter(&prog->rt->epoch);
	err = uebpf_interp_run(prog, &ctx, (uintptr_t)mem, len, &r0);
	uebpf_epoch_exit(rec);
	if (err)
		return err;
	*retval = r0;
	return 0;
}

const char *uebpf_prog_name(const struct uebpf_prog *prog)
{
	return prog ? prog->name : NULL;
}

enum bpf_prog_type uebpf_prog_type(const struct uebpf_prog *prog)
{
	return prog ? prog->type : BPF_PROG_TYPE_UNSPEC;
}

size_t uebpf_prog_insn_cnt(const struct uebpf_prog *prog)
{
	return prog ? prog->insn_cnt : 0;
}
