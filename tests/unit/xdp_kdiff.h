/* SPDX-License-Identifier: MIT */
/*
 * One BPF object loaded twice, into the kernel through libbpf and into
 * libuebpf, and its XDP programs run on the same packets through
 * BPF_PROG_TEST_RUN and uebpf_xdp_run(): for the tests that compare the
 * two (test_loop.c, test_tail_call.c).
 */
#ifndef XDP_KDIFF_H
#define XDP_KDIFF_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <uebpf.h>

struct kd {
	struct bpf_object *ko;
	struct uebpf_runtime *rt;
	struct uebpf_object *uo;
	int kerr, uerr; /* load results */
	char ulog[1 << 16];
	char klog[1 << 16];
};

static const char *kd_no_kernel; /* why the kernel is not asked, or NULL */

static int kd_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

static int kd_probe(void **state)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = 2 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd;

	(void)state;
	libbpf_set_print(kd_quiet);
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "probe", "GPL", insns, 2, NULL);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	kd_no_kernel = errno == EPERM ? "no CAP_BPF (run as root)" :
					strerror(errno);
	return 0;
}

#define KD_NEED_KERNEL()                                                       \
	do {                                                                   \
		if (kd_no_kernel) {                                            \
			printf("skipped: the kernel does not load BPF here: %s\n", \
			       kd_no_kernel);                                  \
			skip();                                                \
		}                                                              \
	} while (0)

static char *kd_path(const char *obj)
{
	static char path[4096];
	const char *dir = getenv("UEBPF_PROGS_DIR");

	snprintf(path, sizeof(path), "%s/%s.o", dir ? dir : "build/progs", obj);
	return path;
}

/* Opens obj in both and loads only the programs named in only (NULL: all). */
static void kd_load(struct kd *d, const char *obj, const char *const *only)
{
	UEBPF_OPTS(uebpf_runtime_opts, ro, .log_quiet = 1);
	UEBPF_OPTS(uebpf_object_open_opts, uo, .log_buf = d->ulog,
		   .log_size = sizeof(d->ulog), .log_level = 1);
	struct uebpf_object_prog *up;
	struct bpf_program *kp;
	size_t i;

	memset(d, 0, sizeof(*d));
	d->rt = uebpf_runtime_new(&ro);
	assert_non_null(d->rt);
	d->uo = uebpf_object_open_file(d->rt, kd_path(obj), &uo);
	assert_non_null(d->uo);
	for (up = uebpf_object_next_prog(d->uo, NULL); up && only;
	     up = uebpf_object_next_prog(d->uo, up)) {
		bool on = false;

		for (i = 0; only[i]; i++)
			on |= !strcmp(only[i], uebpf_object_prog_name(up));
		uebpf_object_prog_set_autoload(up, on);
	}
	d->uerr = uebpf_object_load(d->uo);
	if (kd_no_kernel)
		return;
	d->ko = bpf_object__open_file(kd_path(obj), NULL);
	assert_non_null(d->ko);
	bpf_object__for_each_program(kp, d->ko) {
		bool on = !only;

		for (i = 0; only && only[i]; i++)
			on |= !strcmp(only[i], bpf_program__name(kp));
		bpf_program__set_autoload(kp, on);
		if (on) {
			bpf_program__set_log_buf(kp, d->klog, sizeof(d->klog));
			bpf_program__set_log_level(kp, 1);
		}
	}
	d->kerr = bpf_object__load(d->ko);
}

static void kd_close(struct kd *d)
{
	if (d->ko)
		bpf_object__close(d->ko);
	uebpf_object_close(d->uo);
	uebpf_runtime_free(d->rt);
}

static struct uebpf_prog *kd_uprog(struct kd *d, const char *name)
{
	struct uebpf_object_prog *p = uebpf_object_find_prog(d->uo, name);

	assert_non_null(p);
	assert_non_null(uebpf_object_prog_handle(p));
	return uebpf_object_prog_handle(p);
}

static int kd_kprog(struct kd *d, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(d->ko, name);

	assert_non_null(p);
	return bpf_program__fd(p);
}

static struct uebpf_map *kd_umap(struct kd *d, const char *name)
{
	struct uebpf_object_map *m = uebpf_object_find_map(d->uo, name);

	assert_non_null(m);
	return uebpf_object_map_handle(m);
}

static int kd_kmap(struct kd *d, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(d->ko, name);

	assert_non_null(m);
	return bpf_map__fd(m);
}

/* Runs prog on a copy of pkt in both; the verdicts must agree. */
static uint32_t kd_run(struct kd *d, const char *prog, const void *pkt,
		       uint32_t len)
{
	uint8_t kbuf[256], frame[512 + 256];
	UEBPF_OPTS(uebpf_xdp_buff, b, .data_hard_start = frame,
		   .data = frame + UEBPF_XDP_HEADROOM,
		   .data_end = frame + UEBPF_XDP_HEADROOM + len,
		   .frame_sz = sizeof(frame));
	UEBPF_OPTS(uebpf_xdp_result, res);
	int ret;

	assert_true(len <= sizeof(kbuf));
	memcpy(frame + UEBPF_XDP_HEADROOM, pkt, len);
	ret = uebpf_xdp_run(kd_uprog(d, prog), &b, &res);
	assert_true(ret >= 0);
	assert_int_equal(res.err, 0);
	if (!kd_no_kernel) {
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = kbuf,
			    .data_size_in = len, .repeat = 1);

		memcpy(kbuf, pkt, len);
		assert_int_equal(bpf_prog_test_run_opts(kd_kprog(d, prog), &t),
				 0);
		if (t.retval != res.retval)
			fail_msg("%s: kernel retval %u, libuebpf %u", prog,
				 t.retval, res.retval);
	}
	return res.retval;
}

/* out[key] (a u64 array) in both, which must agree. */
static uint64_t kd_val(struct kd *d, const char *map, uint32_t key)
{
	uint64_t u = 0, k = 0;

	assert_int_equal(uebpf_map_lookup_elem(kd_umap(d, map), &key, &u), 0);
	if (!kd_no_kernel) {
		assert_int_equal(bpf_map_lookup_elem(kd_kmap(d, map), &key, &k),
				 0);
		if (k != u)
			fail_msg("%s[%u]: kernel 0x%llx, libuebpf 0x%llx", map,
				 key, (unsigned long long)k,
				 (unsigned long long)u);
	}
	return u;
}

#endif /* XDP_KDIFF_H */
