/* SPDX-License-Identifier: MIT */
/*
 * The loader against the kernel's own loader, where CAP_BPF is present
 * (skipped, with the reason printed, where it is not):
 *
 *  1. libbpf's view of each test object (bpf_object__open + load into the
 *     kernel) equals libuebpf's: the same maps with the same type, sizes,
 *     max_entries and flags; the same programs, types, sections, and
 *     instructions after linking, one by one (map references compared by
 *     the map they name).
 *  2. libuebpf's linked programs load into the kernel: each program's
 *     instructions, its map ids swapped for kernel maps created from the
 *     same definitions, pass the kernel's verifier, also for the objects
 *     libbpf 1.x refuses (legacy maps, subprograms in a program's section)
 *     or resolves differently (CO-RE against the object's own types).
 */
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "test_object.h"
#include "../../maps/map.h"

static bool have_bpf;
static const char *why_not;
static char klog[1 << 20];

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (getenv("TEST_LIBBPF_VERBOSE") || level == LIBBPF_WARN)
		vfprintf(stderr, fmt, ap);
	return 0;
}

static int probe(void **state)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = 2 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd;

	(void)state;
	libbpf_set_print(quiet);
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "probe", "GPL", insns, 2, NULL);
	if (fd >= 0) {
		close(fd);
		have_bpf = true;
		return 0;
	}
	why_not = errno == EPERM ? "no CAP_BPF (run as root)" :
				   strerror(errno);
	printf("test_object_libbpf: skipping, the kernel does not load BPF programs here: %s\n",
	       why_not);
	return 0;
}

#define NEED_BPF()                                                             \
	do {                                                                   \
		if (!have_bpf) {                                               \
			printf("skipped: %s\n", why_not);                      \
			skip();                                                \
		}                                                              \
	} while (0)

/* ---- 1. libbpf's view ---------------------------------------------------- */

/* What both loaders are told before load, for objects that need it. */
static void prepare(const char *name, struct bpf_object *lo,
		    struct uebpf_object *uo)
{
	struct bpf_map *m;

	/* Pins would go to /sys/fs/bpf: not from a test. */
	bpf_object__for_each_map(m, lo)
		bpf_map__set_pin_path(m, NULL);
	if (!strcmp(name, "legacy_sec")) {
		/* libbpf 1.x knows no "xdp_foo" or "xdp1". */
		bpf_program__set_type(
			bpf_object__find_program_by_name(lo, "legacy_foo"),
			BPF_PROG_TYPE_XDP);
		bpf_program__set_type(
			bpf_object__find_program_by_name(lo, "legacy_one"),
			BPF_PROG_TYPE_XDP);
		bpf_program__set_autoload(
			bpf_object__find_program_by_name(lo, "untyped"),
			false);
		uebpf_object_prog_set_autoload(
			uebpf_object_find_prog(uo, "untyped"), false);
	}
}

static void compare_maps(const char *name, struct bpf_object *lo,
			 struct uebpf_object *uo)
{
	struct uebpf_object_map *um;
	struct bpf_map *lm;
	size_t n = 0, un = 0;

	bpf_object__for_each_map(lm, lo) {
		um = uebpf_object_find_map(uo, bpf_map__name(lm));
		if (!um)
			fail_msg("%s: libbpf has map '%s', libuebpf does not",
				 name, bpf_map__name(lm));
		if (bpf_map__type(lm) != uebpf_object_map_type(um) ||
		    bpf_map__key_size(lm) != uebpf_object_map_key_size(um) ||
		    bpf_map__value_size(lm) !=
			    uebpf_object_map_value_size(um) ||
		    bpf_map__max_entries(lm) !=
			    uebpf_object_map_max_entries(um) ||
		    bpf_map__map_flags(lm) != uebpf_object_map_flags(um))
			fail_msg("%s: map '%s': libbpf %u/%u/%u/%u/0x%x, libuebpf %u/%u/%u/%u/0x%x (type/key/value/max/flags)",
				 name, bpf_map__name(lm), bpf_map__type(lm),
				 bpf_map__key_size(lm), bpf_map__value_size(lm),
				 bpf_map__max_entries(lm),
				 bpf_map__map_flags(lm),
				 uebpf_object_map_type(um),
				 uebpf_object_map_key_size(um),
				 uebpf_object_map_value_size(um),
				 uebpf_object_map_max_entries(um),
				 uebpf_object_map_flags(um));
		n++;
	}
	for (um = uebpf_object_next_map(uo, NULL); um;
	     um = uebpf_object_next_map(uo, um))
		un++;
	if (n != un)
		fail_msg("%s: libbpf has %zu maps, libuebpf %zu", name, n, un);
}

/* The name of the map an ld_imm64 of libbpf's (fd) or ours (id) loads. */
static const char *libbpf_map_name(struct bpf_object *lo, int fd)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, lo)
		if (bpf_map__fd(m) == fd)
			return bpf_map__name(m);
	return "?";
}

static const char *our_map_name(struct uebpf_object *uo, uint32_t id)
{
	struct uebpf_object_map *m;

	for (m = uebpf_object_next_map(uo, NULL); m;
	     m = uebpf_object_next_map(uo, m))
		if (uebpf_map_id(uebpf_object_map_handle(m)) == id)
			return uebpf_object_map_name(m);
	return "?";
}

static void compare_progs(const char *name, struct bpf_object *lo,
			  struct uebpf_object *uo)
{
	struct uebpf_object_prog *up;
	struct bpf_program *lp;
	size_t n = 0, un = 0, i;

	bpf_object__for_each_program(lp, lo) {
		const struct bpf_insn *li, *ui;
		size_t cnt;

		up = uebpf_object_find_prog(uo, bpf_program__name(lp));
		if (!up)
			fail_msg("%s: libbpf has program '%s', libuebpf does not",
				 name, bpf_program__name(lp));
		n++;
		if (bpf_program__autoload(lp) != uebpf_object_prog_autoload(up))
			fail_msg("%s: program '%s': autoload differs", name,
				 bpf_program__name(lp));
		if (strcmp(bpf_program__section_name(lp),
			   uebpf_object_prog_section(up)))
			fail_msg("%s: program '%s': section '%s' vs '%s'",
				 name, bpf_program__name(lp),
				 bpf_program__section_name(lp),
				 uebpf_object_prog_section(up));
		if (!bpf_program__autoload(lp))
			continue;
		/* prepare() may have made one raw on purpose */
		if (bpf_program__type(lp) != uebpf_object_prog_type(up) &&
		    uebpf_object_prog_type(up) != BPF_PROG_TYPE_UNSPEC)
			fail_msg("%s: program '%s': type %d vs %d", name,
				 bpf_program__name(lp), bpf_program__type(lp),
				 uebpf_object_prog_type(up));
		cnt = bpf_program__insn_cnt(lp);
		if (cnt != uebpf_object_prog_insn_cnt(up))
			fail_msg("%s: program '%s': libbpf links %zu instructions, libuebpf %zu",
				 name, bpf_program__name(lp), cnt,
				 uebpf_object_prog_insn_cnt(up));
		li = bpf_program__insns(lp);
		ui = uebpf_object_prog_insns(up);
		for (i = 0; i < cnt; i++) {
			struct bpf_insn a = li[i], b = ui[i];
			bool map_ref = a.code == (BPF_LD | BPF_IMM | BPF_DW) &&
				       (a.src_reg == BPF_PSEUDO_MAP_FD ||
					a.src_reg == BPF_PSEUDO_MAP_VALUE);

			if (map_ref &&
			    strcmp(libbpf_map_name(lo, a.imm),
				   our_map_name(uo, (uint32_t)b.imm)))
				fail_msg("%s: program '%s': instruction %zu loads map '%s' in libbpf, '%s' in libuebpf",
					 name, bpf_program__name(lp), i,
					 libbpf_map_name(lo, a.imm),
					 our_map_name(uo, (uint32_t)b.imm));
			if (map_ref)
				a.imm = b.imm = 0;
			if (memcmp(&a, &b, sizeof(a)))
				fail_msg("%s: program '%s': instruction %zu differs: libbpf %02x %u %u %d %d, libuebpf %02x %u %u %d %d",
					 name, bpf_program__name(lp), i,
					 a.code, a.dst_reg, a.src_reg, a.off,
					 a.imm, b.code, b.dst_reg, b.src_reg,
					 b.off, b.imm);
		}
	}
	for (up = uebpf_object_next_prog(uo, NULL); up;
	     up = uebpf_object_next_prog(uo, up))
		un++;
	if (n != un)
		fail_msg("%s: libbpf has %zu programs, libuebpf %zu", name, n,
			 un);
}

static void compare(const char *name)
{
	struct uebpf_runtime *rt = rt_new();
	struct bpf_object *lo;
	struct uebpf_object *uo;
	int err;

	lo = bpf_object__open_file(obj_path(name), NULL);
	if (!lo)
		fail_msg("libbpf cannot open %s: %s", obj_path(name),
			 strerror(errno));
	uo = open_obj(rt, name);
	prepare(name, lo, uo);
	err = bpf_object__load(lo);
	if (err)
		fail_msg("libbpf cannot load %s into the kernel: %s",
			 obj_path(name), strerror(-err));
	err = uebpf_object_load(uo);
	if (err)
		fail_msg("libuebpf cannot load %s: %s\n%s", obj_path(name),
			 strerror(-err), cap.text);
	compare_maps(name, lo, uo);
	compare_progs(name, lo, uo);
	uebpf_object_close(uo);
	bpf_object__close(lo);
	rt_free(rt);
}

#define COMPARE(obj)                                                           \
	static void test_libbpf_##obj(void **state)                            \
	{                                                                      \
		(void)state;                                                   \
		NEED_BPF();                                                    \
		compare(#obj);                                                 \
	}

COMPARE(xdp_pass)
COMPARE(maps_btf)
COMPARE(global_data)
COMPARE(subprogs)
COMPARE(map_in_map)
COMPARE(pinning)
COMPARE(externs)
COMPARE(llc_pipeline)
COMPARE(legacy_sec)
COMPARE(big)

/* ---- 2. our linked code in the kernel ------------------------------------ */

static int kernel_map(const char *name, enum bpf_map_type type, uint32_t key,
		      uint32_t value, uint32_t max, uint32_t flags,
		      int inner_fd)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);
	int fd;

	if (inner_fd >= 0)
		o.inner_map_fd = inner_fd;
	fd = bpf_map_create(type, NULL, key, value, max, &o);
	if (fd < 0)
		fail_msg("kernel map for '%s' (%s key %u value %u max %u flags 0x%x): %s",
			 name, uebpf_map_type_name(type), key, value, max,
			 flags, strerror(errno));
	return fd;
}

/* The kernel verifies a callback (bpf_loop's) only with BTF func_info,
 * which is libbpf's business, not the linker's: such programs are
 * compared with libbpf's instead (part 1). */
static bool has_callback(struct uebpf_object_prog *p)
{
	const struct bpf_insn *in = uebpf_object_prog_insns(p);
	size_t i, n = uebpf_object_prog_insn_cnt(p);

	for (i = 0; i < n; i++)
		if (in[i].code == (BPF_LD | BPF_IMM | BPF_DW) &&
		    in[i].src_reg == BPF_PSEUDO_FUNC)
			return true;
	return false;
}

static void kernel_load_ours(const char *name)
{
	struct uebpf_runtime *rt = rt_new();
	struct uebpf_object *uo = open_obj(rt, name);
	struct uebpf_object_prog *p;
	struct uebpf_object_map *m;
	int fds[64], n = 0, i, loaded = 0;
	uint32_t ids[64];

	if (!strcmp(name, "legacy_sec"))
		uebpf_object_prog_set_autoload(
			uebpf_object_find_prog(uo, "untyped"), false);
	/* A program libuebpf's verifier refuses on purpose, loaded raw here
	 * (the kernel still gets it as XDP): plus5's return of ctx + 5 (a
	 * pointer leak libuebpf forbids, a privileged kernel allows). */
	if (!strcmp(name, "same_section"))
		uebpf_object_prog_set_type(uebpf_object_find_prog(uo, "plus5"),
					   BPF_PROG_TYPE_UNSPEC);
	if (uebpf_object_load(uo))
		fail_msg("libuebpf cannot load %s:\n%s", name, cap.text);
	for (m = uebpf_object_next_map(uo, NULL); m;
	     m = uebpf_object_next_map(uo, m), n++) {
		struct uebpf_map *h = uebpf_object_map_handle(m);
		int inner = -1;

		assert_true(n < 64);
		if (h->inner_map)
			inner = kernel_map("inner", h->inner_map->type,
					   h->inner_map->key_size,
					   h->inner_map->value_size,
					   h->inner_map->max_entries,
					   h->inner_map->map_flags, -1);
		fds[n] = kernel_map(uebpf_object_map_name(m),
				    uebpf_object_map_type(m),
				    uebpf_object_map_key_size(m),
				    uebpf_object_map_value_size(m),
				    uebpf_object_map_max_entries(m),
				    uebpf_object_map_flags(m), inner);
		ids[n] = uebpf_map_id(h);
		if (inner >= 0)
			close(inner);
		/* Global data: the same contents, and frozen if .rodata. */
		if (uebpf_object_map_initial_value(m, NULL)) {
			size_t sz = uebpf_object_map_value_size(m);
			uint8_t *v = malloc(sz);
			uint32_t zero = 0;

			assert_int_equal(uebpf_map_lookup_elem(h, &zero, v), 0);
			assert_int_equal(bpf_map_update_elem(fds[n], &zero, v,
							     0),
					 0);
			free(v);
			if (uebpf_object_map_flags(m) & BPF_F_RDONLY_PROG)
				assert_int_equal(bpf_map_freeze(fds[n]), 0);
		}
	}
	for (p = uebpf_object_next_prog(uo, NULL); p;
	     p = uebpf_object_next_prog(uo, p)) {
		size_t cnt = uebpf_object_prog_insn_cnt(p), k;
		struct bpf_insn *insns;
		LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = klog,
			    .log_size = sizeof(klog), .log_level = 1);
		int fd;

		if (!uebpf_object_prog_handle(p) || has_callback(p))
			continue;
		insns = malloc(cnt * sizeof(*insns));
		assert_non_null(insns);
		memcpy(insns, uebpf_object_prog_insns(p),
		       cnt * sizeof(*insns));
		for (k = 0; k + 1 < cnt; k++) {
			if (insns[k].code != (BPF_LD | BPF_IMM | BPF_DW))
				continue;
			if (insns[k].src_reg == BPF_PSEUDO_MAP_FD ||
			    insns[k].src_reg == BPF_PSEUDO_MAP_VALUE) {
				for (i = 0; i < n; i++)
					if (ids[i] == (uint32_t)insns[k].imm)
						break;
				assert_true(i < n);
				insns[k].imm = fds[i];
			}
			k++;
		}
		klog[0] = '\0';
		fd = bpf_prog_load(uebpf_object_prog_type(p) ?: BPF_PROG_TYPE_XDP,
				   uebpf_object_prog_name(p),
				   *uebpf_object_prog_license(p) ?
					   uebpf_object_prog_license(p) :
					   "GPL",
				   insns, cnt, &o);
		free(insns);
		if (fd < 0)
			fail_msg("%s: the kernel refuses libuebpf's program '%s' (%zu instructions): %s\n%s",
				 name, uebpf_object_prog_name(p), cnt,
				 strerror(errno), klog);
		close(fd);
		loaded++;
	}
	assert_true(loaded > 0);
	for (i = 0; i < n; i++)
		close(fds[i]);
	uebpf_object_close(uo);
	rt_free(rt);
}

#define KERNEL(obj)                                                            \
	static void test_kernel_##obj(void **state)                            \
	{                                                                      \
		(void)state;                                                   \
		NEED_BPF();                                                    \
		kernel_load_ours(#obj);                                        \
	}

KERNEL(xdp_pass)
KERNEL(maps_btf)
KERNEL(global_data)
KERNEL(subprogs)
KERNEL(same_section)
KERNEL(map_in_map)
KERNEL(legacy_maps)
KERNEL(legacy_maps_ext)
KERNEL(legacy_sec)
KERNEL(llc_pipeline)
KERNEL(core)
KERNEL(externs)
KERNEL(big)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libbpf_xdp_pass),
		cmocka_unit_test(test_libbpf_maps_btf),
		cmocka_unit_test(test_libbpf_global_data),
		cmocka_unit_test(test_libbpf_subprogs),
		cmocka_unit_test(test_libbpf_map_in_map),
		cmocka_unit_test(test_libbpf_pinning),
		cmocka_unit_test(test_libbpf_externs),
		cmocka_unit_test(test_libbpf_llc_pipeline),
		cmocka_unit_test(test_libbpf_legacy_sec),
		cmocka_unit_test(test_libbpf_big),
		cmocka_unit_test(test_kernel_xdp_pass),
		cmocka_unit_test(test_kernel_maps_btf),
		cmocka_unit_test(test_kernel_global_data),
		cmocka_unit_test(test_kernel_subprogs),
		cmocka_unit_test(test_kernel_same_section),
		cmocka_unit_test(test_kernel_map_in_map),
		cmocka_unit_test(test_kernel_legacy_maps),
		cmocka_unit_test(test_kernel_legacy_maps_ext),
		cmocka_unit_test(test_kernel_legacy_sec),
		cmocka_unit_test(test_kernel_llc_pipeline),
		cmocka_unit_test(test_kernel_core),
		cmocka_unit_test(test_kernel_externs),
		cmocka_unit_test(test_kernel_big),
	};

	/* Not compared with libbpf, and why: legacy_maps*, libbpf 1.x
	 * refuses SEC("maps"); same_section, it refuses subprograms outside
	 * .text; core, it resolves struct meta against vmlinux, which lacks
	 * it; core_kernel, extern_*, pinning_mismatch, both refuse them. */
	return cmocka_run_group_tests(tests, probe, NULL);
}
