/* SPDX-License-Identifier: MIT */
/* Programs from raw instructions: load (validate, resolve), run, free. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "../maps/map.h"
#include "../vm/verifier.h"

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

static const char *map_ref_src(uint8_t src)
{
	switch (src) {
	case BPF_PSEUDO_MAP_FD:
		return "BPF_PSEUDO_MAP_FD";
	case BPF_PSEUDO_MAP_VALUE:
		return "BPF_PSEUDO_MAP_VALUE";
	case BPF_PSEUDO_MAP_IDX:
		return "BPF_PSEUDO_MAP_IDX";
	default:
		return "BPF_PSEUDO_MAP_IDX_VALUE";
	}
}

/* Holds the reference the caller took on map in prog->used_maps, or drops
 * it when the program already holds one. */
static int use_map(struct uebpf_prog *prog, struct uebpf_map *map,
		   struct uebpf_vlog *log)
{
	size_t i;

	for (i = 0; i < prog->nr_used_maps; i++) {
		if (prog->used_maps[i] == map) {
			uebpf_map_unref(map);
			return 0;
		}
	}
	if (prog->nr_used_maps == UEBPF_MAX_USED_MAPS) {
		uebpf_vlog_printf(log, "the program refers to more than %d maps\n",
				  UEBPF_MAX_USED_MAPS);
		uebpf_map_unref(map);
		return -E2BIG;
	}
	prog->used_maps[prog->nr_used_maps++] = map;
	return 0;
}

/* The kernel's map_direct_value_addr(): only single-element ARRAY maps
 * have a value whose address a program may load as a constant. */
static int value_addr(struct uebpf_map *map, uint32_t off, size_t pc,
		      uintptr_t *addr, struct uebpf_vlog *log)
{
	uint32_t zero = 0;
	void *v;

	if (map->type != BPF_MAP_TYPE_ARRAY) {
		uebpf_vlog_printf(log, "ld_imm64 at pc %zu: map '%s' is %s, which has no direct value access (only single-element ARRAY maps do)\n",
				  pc, map->name,
				  uebpf_map_type_name(map->type));
		return -EINVAL;
	}
	if (map->max_entries != 1) {
		uebpf_vlog_printf(log, "ld_imm64 at pc %zu: direct value access needs an ARRAY with max_entries 1, map '%s' has %u\n",
				  pc, map->name, map->max_entries);
		return -ENOTSUPP_ERRNO;
	}
	if (off >= map->value_size) {
		uebpf_vlog_printf(log, "ld_imm64 at pc %zu: invalid access to map value pointer, value_size=%u off=%u\n",
				  pc, map->value_size, off);
		return -EINVAL;
	}
	/* An array's storage lives as long as the map: no epoch section. */
	v = map->ops->lookup ? map->ops->lookup(map, &zero) : NULL;
	if (!v) {
		uebpf_vlog_printf(log, "ld_imm64 at pc %zu: map '%s' has no element 0\n",
				  pc, map->name);
		return -EINVAL;
	}
	*addr = (uintptr_t)v + off;
	return 0;
}

static int add_value_region(struct uebpf_prog *prog, struct uebpf_map *map,
			    uintptr_t base)
{
	struct uebpf_region *r;
	unsigned int i;

	for (i = 0; i < prog->nr_value_regions; i++)
		if (prog->value_regions[i].lo == base)
			return 0;
	r = realloc(prog->value_regions,
		    (prog->nr_value_regions + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	prog->value_regions = r;
	r[prog->nr_value_regions].lo = base;
	r[prog->nr_value_regions].hi = base + map->value_size;
	r[prog->nr_value_regions].flags =
		map->map_flags & BPF_F_RDONLY_PROG ? UEBPF_REGION_RDONLY : 0;
	prog->nr_value_regions++;
	return 0;
}

/*
 * Map references in ld_imm64: src 1 / 2 name a map by id (the host's fd),
 * src 5 / 6 by index into maps[] (the loader's; NULL for uebpf_prog_load,
 * as the kernel without fd_array).  Each becomes the map's address or the
 * address of its value plus off, and is remembered in prog->map_refs.
 */
static int resolve_ld_imm64(struct uebpf_prog *prog,
			    struct uebpf_map *const *maps, size_t nr_maps,
			    struct uebpf_vlog *log)
{
	struct uebpf_map_ref *ref;
	struct uebpf_map *map;
	size_t pc, n = 0;
	uintptr_t addr;
	int err;

	for (pc = 0; pc < prog->insn_cnt; pc++) {
		if (uebpf_insn_is_ld_imm64(&prog->insns[pc])) {
			n++;
			pc++;
		}
	}
	if (!n)
		return 0;
	prog->map_refs = calloc(n, sizeof(*prog->map_refs));
	prog->used_maps = calloc(n < UEBPF_MAX_USED_MAPS ? n :
							   UEBPF_MAX_USED_MAPS,
				 sizeof(*prog->used_maps));
	if (!prog->map_refs || !prog->used_maps)
		return -ENOMEM;

	for (pc = 0; pc < prog->insn_cnt; pc++) {
		struct bpf_insn *in = &prog->insns[pc];
		uint8_t src = in->src_reg;
		bool by_idx = src == BPF_PSEUDO_MAP_IDX ||
			      src == BPF_PSEUDO_MAP_IDX_VALUE;
		bool value = src == BPF_PSEUDO_MAP_VALUE ||
			     src == BPF_PSEUDO_MAP_IDX_VALUE;

		if (!uebpf_insn_is_ld_imm64(in))
			continue;
		pc++;
		if (src != BPF_PSEUDO_MAP_FD && !by_idx && !value)
			continue;
		if (by_idx && !maps) {
			uebpf_vlog_printf(log, "ld_imm64 at pc %zu uses %s, which indexes an array of maps only the object loader has: refer to maps by id with BPF_PSEUDO_MAP_FD or BPF_PSEUDO_MAP_VALUE\n",
					  pc - 1, map_ref_src(src));
			return -EPROTO;
		}
		if (by_idx) {
			if ((uint32_t)in->imm >= nr_maps || !maps[in->imm]) {
				uebpf_vlog_printf(log, "ld_imm64 at pc %zu: map index %u is out of range (%zu maps)\n",
						  pc - 1, (uint32_t)in->imm,
						  nr_maps);
				return -EBADF;
			}
			map = uebpf_map_ref(maps[in->imm]);
		} else {
			map = uebpf_map_get_by_id_internal(prog->rt, in->imm);
			if (!map) {
				uebpf_vlog_printf(log, "ld_imm64 at pc %zu refers to map id %u, but this runtime has no such map\n",
						  pc - 1, (uint32_t)in->imm);
				return -EBADF;
			}
		}
		err = use_map(prog, map, log);
		if (err)
			return err;
		ref = &prog->map_refs[prog->nr_map_refs++];
		ref->pc = pc - 1;
		ref->map = map;
		ref->kind = value ? BPF_PSEUDO_MAP_VALUE : BPF_PSEUDO_MAP_FD;
		ref->off = value ? (uint32_t)in[1].imm : 0;
		addr = (uintptr_t)map;
		if (value) {
			err = value_addr(map, ref->off, pc - 1, &addr, log);
			if (!err)
				err = add_value_region(prog, map,
						       addr - ref->off);
			if (err)
				return err;
		}
		in[0].src_reg = 0;
		in[0].imm = (int32_t)(uint32_t)addr;
		in[1].imm = (int32_t)(uint32_t)((uint64_t)addr >> 32);
	}
	return 0;
}

/* The engine, decided before verification: the PROG_ARRAYs a program
 * uses record whether their programs are compiled (the kernel's owner
 * jited check), since a JIT's tail call lands in the target's code. */
static int choose_engine(struct uebpf_prog *prog,
			 const struct uebpf_prog_load_opts *opts,
			 struct uebpf_vlog *log)
{
	enum uebpf_engine engine = OPTS_GET(opts, engine, UEBPF_ENGINE_DEFAULT);

	prog->jit_blinding = OPTS_GET(opts, jit_blinding, false);
	switch (engine) {
	case UEBPF_ENGINE_DEFAULT:
		/* A budget is counted by the interpreter only. */
		prog->jit_wanted = prog->rt->default_engine == UEBPF_ENGINE_JIT &&
				   prog->insn_budget == INT64_MAX;
		return 0;
	case UEBPF_ENGINE_INTERP:
		prog->jit_wanted = false;
		return 0;
	case UEBPF_ENGINE_JIT:
		if (!uebpf_jit_available()) {
			uebpf_vlog_printf(log, "engine UEBPF_ENGINE_JIT: this build of libuebpf has no JIT (x86-64 only); use UEBPF_ENGINE_INTERP\n");
			return -EOPNOTSUPP;
		}
		if (prog->insn_budget != INT64_MAX) {
			uebpf_vlog_printf(log, "engine UEBPF_ENGINE_JIT with an insn_budget: only the interpreter counts instructions; drop one of the two\n");
			return -EINVAL;
		}
		prog->jit_wanted = true;
		prog->jit_explicit = true;
		return 0;
	}
	uebpf_vlog_printf(log, "engine %d is unknown: use UEBPF_ENGINE_DEFAULT, _INTERP or _JIT\n",
			  (int)engine);
	return -EINVAL;
}

static struct uebpf_prog *load(struct uebpf_runtime *rt,
			       enum bpf_prog_type type,
			       const struct bpf_insn *insns, size_t insn_cnt,
			       const struct uebpf_prog_load_opts *opts,
			       bool internal, struct uebpf_map *const *maps,
			       size_t nr_maps)
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

	if (!internal && type != BPF_PROG_TYPE_UNSPEC &&
	    !uebpf_verifier_knows_type(type)) {
		const char *tn = uebpf_prog_type_name(type);

		err = -EOPNOTSUPP;
		uebpf_vlog_printf(log, "program type %s (%d) is not supported; this version verifies and runs XDP programs, and raw programs (BPF_PROG_TYPE_UNSPEC)\n",
				  tn ? tn : "unknown", type);
		goto fail;
	}
	if (internal && !uebpf_prog_type_name(type)) {
		err = -EINVAL;
		uebpf_vlog_printf(log, "unknown program type %d\n", type);
		goto fail;
	}
	prog = calloc(1, sizeof(*prog));
	if (!prog) {
		err = -ENOMEM;
		goto fail;
	}
	prog->rt = rt;
	atomic_init(&prog->refcnt, 1);
	prog->type = type;
	prog->expected_attach_type = OPTS_GET(opts, expected_attach_type, 0);
	snprintf(prog->name, sizeof(prog->name), "%s", name);
	prog->insn_cnt = insn_cnt;
	/* The interpreter counts down a signed budget: 0 (unlimited) and
	 * anything past INT64_MAX become INT64_MAX, once, here. */
	prog->insn_budget = OPTS_GET(opts, insn_budget, 0);
	if (!prog->insn_budget || prog->insn_budget > INT64_MAX)
		prog->insn_budget = INT64_MAX;
	prog->checked = true; /* until the verifier proves otherwise */
	err = choose_engine(prog, opts, log);
	if (err)
		goto fail;
	/* Validate our own copy, never the caller's buffer, which another
	 * thread could change between the check and the copy.  A count the
	 * validator refuses is refused before anything is read. */
	if (insn_cnt && insn_cnt <= UEBPF_MAX_INSNS) {
		prog->insns = malloc(insn_cnt * sizeof(*insns));
		if (!prog->insns) {
			err = -ENOMEM;
			goto fail;
		}
		memcpy(prog->insns, insns, insn_cnt * sizeof(*insns));
	}
	err = uebpf_validate(rt, prog->insns, insn_cnt, log);
	if (err)
		goto fail;
	err = resolve_ld_imm64(prog, internal ? maps : NULL,
			       internal ? nr_maps : 0, log);
	if (err)
		goto fail;
	/* Programs of a type the verifier knows run only once proven safe;
	 * raw programs run with every access checked. */
	if (uebpf_verifier_knows_type(type)) {
		err = uebpf_verify(prog, log);
		/* As the kernel: a log that did not fit fails the load, so
		 * the caller knows to retry with a bigger buffer. */
		if (vlog.truncated)
			err = -ENOSPC;
		if (err)
			goto fail;
	}
	if (prog->jit_wanted) {
		bool dflt = !prog->jit_explicit;
		struct uebpf_vlog jlog = { 0 };

		/* By default a program the JIT declines is interpreted, and
		 * the reason is the host's debug log, not the caller's. */
		err = uebpf_jit_compile(prog, dflt ? &jlog : log);
		if (err == -EOPNOTSUPP && dflt) {
			/* Only checked programs can be declined, and they
			 * own no PROG_ARRAY: the interpreter runs them. */
			pr_debug(rt, "prog '%s': runs in the interpreter: %s\n",
				 name, jlog.first);
			prog->jit_wanted = false;
			err = 0;
		}
		if (err && dflt && jlog.first[0])
			uebpf_vlog_printf(log, "%s\n", jlog.first);
		if (err)
			goto fail;
	}
	/* A cache line per CPU slot (run statistics), as the kernel's
	 * per-CPU bpf_prog_stats. */
	prog->stats = aligned_alloc(sizeof(*prog->stats),
				    rt->nr_cpus * sizeof(*prog->stats));
	if (!prog->stats) {
		err = -ENOMEM;
		goto fail;
	}
	memset(prog->stats, 0, rt->nr_cpus * sizeof(*prog->stats));
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

struct uebpf_prog *uebpf_prog_load(struct uebpf_runtime *rt,
				   enum bpf_prog_type type,
				   const struct bpf_insn *insns, size_t insn_cnt,
				   const struct uebpf_prog_load_opts *opts)
{
	return load(rt, type, insns, insn_cnt, opts, false, NULL, 0);
}

struct uebpf_prog *
uebpf_prog_load_internal(struct uebpf_runtime *rt, enum bpf_prog_type type,
			 const struct bpf_insn *insns, size_t insn_cnt,
			 const struct uebpf_prog_load_opts *opts,
			 struct uebpf_map *const *maps, size_t nr_maps)
{
	return load(rt, type, insns, insn_cnt, opts, true, maps, nr_maps);
}

static void prog_destroy(void *p)
{
	struct uebpf_prog *prog = p;

	uebpf_jit_free(prog);
	free(prog->call_maps);
	free(prog->insns);
	free(prog->used_maps);
	free(prog->map_refs);
	free(prog->value_regions);
	free(prog->stats);
	free(prog);
}

/* Map puts retire the maps themselves, so a run still inside its epoch
 * section keeps them: they can go before the program's own grace period. */
static void put_used_maps(struct uebpf_prog *prog)
{
	size_t i;

	for (i = 0; i < prog->nr_used_maps; i++)
		uebpf_map_unref(prog->used_maps[i]);
	prog->nr_used_maps = 0;
}

void uebpf_prog_put(struct uebpf_prog *prog)
{
	if (!prog || atomic_fetch_sub(&prog->refcnt, 1) != 1)
		return;
	if (prog->id)
		uebpf_idr_remove(&prog->rt->prog_ids, prog->id);
	put_used_maps(prog);
	/* A tail call may still be running it. */
	uebpf_epoch_retire(&prog->rt->epoch, prog, prog_destroy);
}

struct uebpf_prog *uebpf_prog_ref(struct uebpf_prog *prog)
{
	atomic_fetch_add(&prog->refcnt, 1);
	return prog;
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
		put_used_maps(prog);
		prog_destroy(prog);
		return;
	}
	uebpf_prog_put(prog);
}

uint32_t uebpf_prog_id(const struct uebpf_prog *prog)
{
	return prog ? prog->id : 0;
}

enum uebpf_engine uebpf_prog_engine(const struct uebpf_prog *prog)
{
	if (prog && uebpf_prog_jit_runs(prog))
		return UEBPF_ENGINE_JIT;
	return UEBPF_ENGINE_INTERP;
}

size_t uebpf_prog_jited_len(const struct uebpf_prog *prog)
{
	return prog && prog->jit_entry ? prog->jit_len : 0;
}

int uebpf_prog_run(struct uebpf_prog *prog, void *mem, size_t len,
		   uint64_t *retval)
{
	struct uebpf_region regions[2 + UEBPF_MAX_USED_MAPS];
	struct uebpf_epoch_rec *rec;
	struct uebpf_run_ctx ctx;
	uint64_t r0 = 0;
	int err;

	if (!prog || !retval || (!mem && len))
		return -EINVAL;
	if (prog->type != BPF_PROG_TYPE_UNSPEC)
		return -EINVAL;
	ctx.prog = prog;
	ctx.cpu = uebpf_this_cpu < prog->rt->nr_cpus ? uebpf_this_cpu : 0;
	ctx.budget = prog->insn_budget;
	ctx.err = 0;
	ctx.err_pc = 0;
	ctx.xdp = NULL;
	ctx.regions = regions;
	ctx.regions[1].lo = (uintptr_t)mem;
	ctx.regions[1].hi = (uintptr_t)mem + len;
	ctx.regions[1].flags = 0;
	if (prog->nr_value_regions)
		memcpy(&regions[2], prog->value_regions,
		       prog->nr_value_regions * sizeof(*regions));
	ctx.nr_regions = 2 + prog->nr_value_regions;
	rec = uebpf_epoch_enter(&prog->rt->epoch);
	if (unlikely(uebpf_stats_on(prog->rt))) {
		uint64_t t0 = uebpf_now_ns();

		err = uebpf_vm_run(prog, &ctx, (uintptr_t)mem, len, &r0);
		uebpf_prog_stats_add(prog, ctx.cpu, 1, uebpf_now_ns() - t0);
	} else {
		err = uebpf_vm_run(prog, &ctx, (uintptr_t)mem, len, &r0);
	}
	uebpf_epoch_exit(rec);
	if (err)
		return err;
	*retval = r0;
	return 0;
}

int uebpf_prog_get_stats(const struct uebpf_prog *prog,
			 struct uebpf_prog_stats *stats)
{
	uint64_t cnt = 0, ns = 0;
	unsigned int i;

	if (!prog || !stats)
		return -EINVAL;
	if (stats->sz < sizeof(stats->sz)) {
		pr_warn(prog->rt, "uebpf_prog_get_stats: struct uebpf_prog_stats has sz %zu; declare it with UEBPF_OPTS()\n",
			stats->sz);
		return -EINVAL;
	}
	/* Each slot is summed as it is now: runs on other workers go on. */
	for (i = 0; prog->stats && i < prog->rt->nr_cpus; i++) {
		cnt += atomic_load_explicit(&prog->stats[i].run_cnt,
					    memory_order_relaxed);
		ns += atomic_load_explicit(&prog->stats[i].run_time_ns,
					   memory_order_relaxed);
	}
	if (OPTS_HAS(stats, run_cnt))
		stats->run_cnt = cnt;
	if (OPTS_HAS(stats, run_time_ns))
		stats->run_time_ns = ns;
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
