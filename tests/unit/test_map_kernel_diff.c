/* SPDX-License-Identifier: MIT */
/*
 * The kernel as oracle for maps: the same host-side operations are applied
 * to a kernel map (bpf(2) through libbpf, which returns -errno) and to a
 * libuebpf map, and every return code and every value read back must be
 * the same.  Where the two may legitimately differ (hash iteration order,
 * LRU victims, ids instead of fds) the tests compare sets and invariants.
 *
 * Every test skips, with the reason printed, when bpf(2) is not allowed
 * (no CAP_BPF) or when libuebpf does not have the map type yet.  The
 * process pins itself to one CPU (the kernel's LRU lists are per CPU) and
 * runs libuebpf with as many CPU slots as the kernel has possible CPUs, so
 * per-CPU values have one layout.  Environment:
 *   UEBPF_DIFF_STRICT=1      a map type libuebpf lacks fails, not skips
 *   UEBPF_DIFF_KEEP_GOING=1  report every difference, fail at the end
 *   UEBPF_DIFF_SEED=n        seed of the randomized sequences
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "uebpf.h"

#define ENOTSUPP 524 /* the kernel's, returned as it is by bpf(2) */
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static struct uebpf_runtime *rt;
static int ncpus;
static char no_kernel[256]; /* why bpf(2) cannot be used, or "" */
static int strict;
static unsigned long long seed = 0x5eed1234;
static char ulog[2048]; /* libuebpf's last log line, for failure messages */

/* ---- small helpers ------------------------------------------------------ */

static void log_fn(enum uebpf_log_level level, const char *msg, void *ctx)
{
	(void)level;
	(void)ctx;
	snprintf(ulog, sizeof(ulog), "%s", msg);
}

static const char *errname(int rc)
{
	static char bufs[8][24];
	static unsigned int n;
	char *b;

	switch (rc) {
	case 0: return "0";
	case -EINVAL: return "-EINVAL";
	case -ENOENT: return "-ENOENT";
	case -EEXIST: return "-EEXIST";
	case -E2BIG: return "-E2BIG";
	case -EPERM: return "-EPERM";
	case -ENOSPC: return "-ENOSPC";
	case -EBUSY: return "-EBUSY";
	case -ENOMEM: return "-ENOMEM";
	case -EBADF: return "-EBADF";
	case -EOPNOTSUPP: return "-EOPNOTSUPP";
	case -ENOTSUPP: return "-ENOTSUPP";
	case -EFAULT: return "-EFAULT";
	case -EACCES: return "-EACCES";
	case -EINTR: return "-EINTR";
	}
	b = bufs[n++ % NELEM(bufs)];
	snprintf(b, sizeof(bufs[0]), "%d", rc);
	return b;
}

static const char *hex(const void *p, size_t len)
{
	static char bufs[8][80];
	static unsigned int n;
	const uint8_t *b = p;
	char *s = bufs[n++ % NELEM(bufs)];
	size_t i, o = 0;

	if (!p)
		return "NULL";
	for (i = 0; i < len && o + 4 < sizeof(bufs[0]); i++)
		o += snprintf(s + o, sizeof(bufs[0]) - o, "%02x", b[i]);
	if (i < len)
		snprintf(s + o, sizeof(bufs[0]) - o, "..");
	return s;
}

/* Report a difference at the caller's line and end the test; with
 * UEBPF_DIFF_KEEP_GOING=1 report it, go on, and fail at the end of the
 * test (later differences may then be consequences of the first). */
static int keep_going, ndiffs;

static void diff_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void diff_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_error(fmt, ap);
	va_end(ap);
	print_error("\n");
	if (ulog[0])
		print_error("  (libuebpf last logged: %s)\n", ulog);
	ndiffs++;
	if (keep_going)
		print_error("  at %s:%d\n", file, line);
	else
		_fail(file, line);
}

static int test_teardown(void **state)
{
	(void)state;
	if (ndiffs) {
		print_error("%d differences from the kernel\n", ndiffs);
		ndiffs = 0;
		return -1;
	}
	return 0;
}

#define LOC const char *file, int line
#define AT  __FILE__, __LINE__

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	/* splitmix64: deterministic, so a failing sequence can be replayed */
	uint64_t z = (rnd_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void need_kernel(void)
{
	if (no_kernel[0]) {
		print_message("[  SKIP    ] %s\n", no_kernel);
		skip();
	}
	ulog[0] = '\0';
	ndiffs = 0;
}

/* ---- the pair: one kernel map and one libuebpf map ---------------------- */

struct spec {
	enum bpf_map_type type;
	uint32_t ksz, vsz, max, flags;
	uint64_t extra;
	int kinner;		  /* inner template fd, or -1 */
	struct uebpf_map *uinner; /* inner template, or NULL */
};

struct pair {
	const char *name;
	struct spec s;
	int fd;
	struct uebpf_map *m;
	size_t hvsz; /* bytes of one host-side value */
};

static int k_create(const struct spec *s)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = s->flags,
		    .map_extra = s->extra);

	if (s->kinner >= 0)
		o.inner_map_fd = s->kinner;
	return bpf_map_create(s->type, "diff", s->ksz, s->vsz, s->max, &o);
}

static struct uebpf_map *u_create(const struct spec *s, int *err)
{
	UEBPF_OPTS(uebpf_map_create_opts, o, .map_flags = s->flags,
		   .map_extra = s->extra, .inner_map = s->uinner);
	struct uebpf_map *m;

	m = uebpf_map_create(rt, s->type, "diff", s->ksz, s->vsz, s->max, &o);
	*err = m ? 0 : -errno;
	return m;
}

static bool is_percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static size_t host_vsz(const struct spec *s)
{
	if (is_percpu(s->type))
		return (size_t)((s->vsz + 7) & ~7u) * ncpus;
	return s->vsz;
}

/* Skip the test when libuebpf lacks the type (its family is not built). */
static void skip_unsupported(const char *what, enum bpf_map_type type)
{
	const char *tn = uebpf_map_type_name(type);

	if (strict)
		fail_msg("%s: libuebpf does not support map type %s", what,
			 tn ? tn : "?");
	print_message(
		"[  SKIP    ] %s: libuebpf has no %s map yet (-EOPNOTSUPP)\n",
		what, tn ? tn : "?");
	skip();
}

/* Creates both maps, which must succeed, and compares what each reports
 * about itself (the kernel rounds some max_entries up). */
static void pair_open(struct pair *p, const char *name, struct spec s, LOC)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	int err;

	memset(p, 0, sizeof(*p));
	p->name = name;
	p->s = s;
	p->hvsz = host_vsz(&s);
	p->m = u_create(&s, &err);
	if (!p->m && err == -EOPNOTSUPP)
		skip_unsupported(name, s.type);
	p->fd = k_create(&s);
	if (p->fd < 0 || !p->m) {
		diff_fail(file, line, "%s: create: kernel %s, libuebpf %s",
			  name, errname(p->fd < 0 ? p->fd : 0), errname(err));
		_fail(file, line); /* nothing to go on with */
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(p->fd, &info, &len))
		diff_fail(file, line, "%s: bpf_obj_get_info_by_fd failed",
			  name);
	if (info.max_entries != uebpf_map_max_entries(p->m) ||
	    info.key_size != uebpf_map_key_size(p->m) ||
	    info.value_size != uebpf_map_value_size(p->m))
		diff_fail(file, line,
			  "%s: kernel reports key %u value %u max_entries %u, "
			  "libuebpf key %u value %u max_entries %u",
			  name, info.key_size, info.value_size,
			  info.max_entries, uebpf_map_key_size(p->m),
			  uebpf_map_value_size(p->m),
			  uebpf_map_max_entries(p->m));
}

#define PAIR(p, name, ...) \
	pair_open(p, name, (struct spec){.kinner = -1, __VA_ARGS__}, AT)

static void pair_close(struct pair *p)
{
	if (p->fd >= 0)
		close(p->fd);
	uebpf_map_put(p->m);
	p->fd = -1;
	p->m = NULL;
}

static void cmp_rc(struct pair *p, const char *op, const void *key, int k,
		   int u, LOC)
{
	if (k != u)
		diff_fail(file, line, "%s: %s key %s: kernel %s, libuebpf %s",
			  p->name, op, hex(key, p->s.ksz), errname(k),
			  errname(u));
}

static void cmp_bytes(struct pair *p, const char *op, const void *key,
		      const uint8_t *kv, const uint8_t *uv, size_t n, LOC)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (kv[i] != uv[i]) {
			diff_fail(file, line,
				  "%s: %s key %s: byte %zu differs: kernel %s, "
				  "libuebpf %s",
				  p->name, op, hex(key, p->s.ksz), i,
				  hex(kv + (i & ~7ul), 16),
				  hex(uv + (i & ~7ul), 16));
			return;
		}
}

static int do_update(struct pair *p, const void *key, const void *kval,
		     const void *uval, uint64_t flags, LOC)
{
	char op[48];
	int k, u;

	k = bpf_map_update_elem(p->fd, key, kval, flags);
	u = uebpf_map_update_elem(p->m, key, uval, flags);
	snprintf(op, sizeof(op), "update(flags 0x%llx)",
		 (unsigned long long)flags);
	cmp_rc(p, op, key, k, u, file, line);
	return k;
}

/* Looks key up in both maps, compares rc and every byte read back (the
 * buffers start out filled with the same garbage), copies the value to out
 * if not NULL. */
static int do_lookup(struct pair *p, const void *key, void *out, LOC)
{
	uint8_t *kv = malloc(p->hvsz), *uv = malloc(p->hvsz);
	int k, u;

	assert_non_null(kv);
	assert_non_null(uv);
	memset(kv, 0xa5, p->hvsz);
	memset(uv, 0xa5, p->hvsz);
	k = bpf_map_lookup_elem(p->fd, key, kv);
	u = uebpf_map_lookup_elem(p->m, key, uv);
	cmp_rc(p, "lookup", key, k, u, file, line);
	if (!k && !u)
		cmp_bytes(p, "lookup", key, kv, uv, p->hvsz, file, line);
	if (out)
		memcpy(out, kv, p->hvsz);
	free(kv);
	free(uv);
	return k;
}

static int do_lookup_flags(struct pair *p, const void *key, uint64_t flags, LOC)
{
	uint8_t *kv = malloc(p->hvsz), *uv = malloc(p->hvsz);
	int k, u;

	assert_non_null(kv);
	assert_non_null(uv);
	k = bpf_map_lookup_elem_flags(p->fd, key, kv, flags);
	u = uebpf_map_lookup_elem_flags(p->m, key, uv, flags);
	cmp_rc(p, "lookup_flags", key, k, u, file, line);
	free(kv);
	free(uv);
	return k;
}

static int do_delete(struct pair *p, const void *key, LOC)
{
	int k = bpf_map_delete_elem(p->fd, key);
	int u = uebpf_map_delete_elem(p->m, key);

	cmp_rc(p, "delete", key, k, u, file, line);
	return k;
}

static int do_lookup_and_delete(struct pair *p, const void *key, LOC)
{
	uint8_t *kv = malloc(p->hvsz), *uv = malloc(p->hvsz);
	int k, u;

	assert_non_null(kv);
	assert_non_null(uv);
	memset(kv, 0xa5, p->hvsz);
	memset(uv, 0xa5, p->hvsz);
	k = bpf_map_lookup_and_delete_elem(p->fd, key, kv);
	u = uebpf_map_lookup_and_delete_elem(p->m, key, uv);
	cmp_rc(p, "lookup_and_delete", key, k, u, file, line);
	if (!k && !u)
		cmp_bytes(p, "lookup_and_delete", key, kv, uv, p->hvsz, file,
			  line);
	free(kv);
	free(uv);
	return k;
}

/* get_next_key on both; same_order: the keys returned must match too. */
static int do_next(struct pair *p, const void *key, void *knext, void *unext,
		   bool same_order, LOC)
{
	int k = bpf_map_get_next_key(p->fd, key, knext);
	int u = uebpf_map_get_next_key(p->m, key, unext);

	cmp_rc(p, "get_next_key", key, k, u, file, line);
	if (!k && same_order && memcmp(knext, unext, p->s.ksz))
		diff_fail(file, line,
			  "%s: get_next_key(%s): kernel gives %s, libuebpf %s",
			  p->name, hex(key, p->s.ksz), hex(knext, p->s.ksz),
			  hex(unext, p->s.ksz));
	return k;
}

#define UPDATE(p, key, val, fl)	  do_update(p, key, val, val, fl, AT)
#define LOOKUP(p, key)		  do_lookup(p, key, NULL, AT)
#define DELETE(p, key)		  do_delete(p, key, AT)
#define LOOKUP_AND_DELETE(p, key) do_lookup_and_delete(p, key, AT)

/* Keys in get_next_key order from NULL; fails past limit steps.  Returns
 * the count; *last_rc is the rc that ended the walk. */
static int walk_kernel(int fd, uint32_t ksz, uint8_t *keys, int limit,
		       int *last_rc)
{
	uint8_t *prev = NULL;
	int n = 0, rc;

	for (;;) {
		if (n >= limit)
			fail_msg("kernel iteration did not end after %d keys",
				 limit);
		rc = bpf_map_get_next_key(fd, prev, keys + (size_t)n * ksz);
		if (rc)
			break;
		prev = keys + (size_t)n * ksz;
		n++;
	}
	*last_rc = rc;
	return n;
}

static int walk_uebpf(struct uebpf_map *m, uint32_t ksz, uint8_t *keys,
		      int limit, int *last_rc)
{
	uint8_t *prev = NULL;
	int n = 0, rc;

	for (;;) {
		if (n >= limit)
			fail_msg("libuebpf iteration did not end after %d keys",
				 limit);
		rc = uebpf_map_get_next_key(m, prev, keys + (size_t)n * ksz);
		if (rc)
			break;
		prev = keys + (size_t)n * ksz;
		n++;
	}
	*last_rc = rc;
	return n;
}

static uint32_t sort_ksz;

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sort_ksz);
}

/* Compares two key lists as sets (sorted in place). */
static void cmp_key_sets(struct pair *p, const char *what, uint8_t *kk, int kn,
			 uint8_t *uk, int un, LOC)
{
	int i;

	if (kn != un) {
		diff_fail(file, line, "%s: %s: kernel has %d keys, libuebpf %d",
			  p->name, what, kn, un);
		return;
	}
	sort_ksz = p->s.ksz;
	qsort(kk, kn, p->s.ksz, key_cmp);
	qsort(uk, un, p->s.ksz, key_cmp);
	for (i = 0; i < kn; i++)
		if (memcmp(kk + (size_t)i * p->s.ksz, uk + (size_t)i * p->s.ksz,
			   p->s.ksz)) {
			diff_fail(file, line,
				  "%s: %s: key sets differ at sorted position "
				  "%d: kernel %s, libuebpf %s",
				  p->name, what, i,
				  hex(kk + (size_t)i * p->s.ksz, p->s.ksz),
				  hex(uk + (size_t)i * p->s.ksz, p->s.ksz));
			return;
		}
}

/* Full iteration on both.  same_order: key by key; otherwise as sets.
 * Then every key found is looked up in both and compared. */
static int cmp_iteration(struct pair *p, bool same_order, LOC)
{
	int limit = (int)uebpf_map_max_entries(p->m) * 4 + 16;
	uint8_t *kk = calloc(limit, p->s.ksz), *uk = calloc(limit, p->s.ksz);
	int kn, un, krc, urc, i;

	assert_non_null(kk);
	assert_non_null(uk);
	kn = walk_kernel(p->fd, p->s.ksz, kk, limit, &krc);
	un = walk_uebpf(p->m, p->s.ksz, uk, limit, &urc);
	if (krc != urc)
		diff_fail(file, line,
			  "%s: iteration ended with kernel %s, libuebpf %s",
			  p->name, errname(krc), errname(urc));
	if (same_order) {
		if (kn != un)
			diff_fail(file, line,
				  "%s: iteration: kernel %d keys, libuebpf %d",
				  p->name, kn, un);
		for (i = 0; i < kn && i < un; i++)
			if (memcmp(kk + (size_t)i * p->s.ksz,
				   uk + (size_t)i * p->s.ksz, p->s.ksz)) {
				diff_fail(file, line,
					  "%s: iteration step %d: kernel %s, "
					  "libuebpf %s",
					  p->name, i,
					  hex(kk + (size_t)i * p->s.ksz,
					      p->s.ksz),
					  hex(uk + (size_t)i * p->s.ksz,
					      p->s.ksz));
				break;
			}
	} else {
		cmp_key_sets(p, "iteration", kk, kn, uk, un, file, line);
	}
	for (i = 0; i < kn; i++)
		do_lookup(p, kk + (size_t)i * p->s.ksz, NULL, file, line);
	free(kk);
	free(uk);
	return kn;
}

/* ---- ARRAY ----------------------------------------------------------- */

static void fill(void *v, size_t n, uint64_t pattern)
{
	uint8_t *b = v;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(pattern >> (8 * (i % 8))) ^ (uint8_t)i;
}

static void test_array(void **state)
{
	struct pair p;
	uint8_t va[12], vb[12];
	uint32_t k, kn, un;
	uint32_t odd[] = {8, 9, 100, 0x7fffffff, 0xffffffff};
	size_t i;

	(void)state;
	need_kernel();
	PAIR(&p, "ARRAY(4,12,8)", .type = BPF_MAP_TYPE_ARRAY, .ksz = 4,
	     .vsz = 12, .max = 8);
	fill(va, sizeof(va), 0x1111);
	fill(vb, sizeof(vb), 0x2222);
	for (k = 0; k < 8; k++)
		LOOKUP(&p, &k);
	for (i = 0; i < NELEM(odd); i++) {
		LOOKUP(&p, &odd[i]);
		UPDATE(&p, &odd[i], va, BPF_ANY);
		UPDATE(&p, &odd[i], va, BPF_NOEXIST);
		UPDATE(&p, &odd[i], va, BPF_EXIST);
		DELETE(&p, &odd[i]);
	}
	k = 3;
	UPDATE(&p, &k, va, BPF_ANY);
	UPDATE(&p, &k, vb, BPF_NOEXIST); /* elements always exist */
	LOOKUP(&p, &k);
	UPDATE(&p, &k, vb, BPF_EXIST);
	LOOKUP(&p, &k);
	UPDATE(&p, &k, va, 3);		/* NOEXIST | EXIST */
	UPDATE(&p, &k, va, BPF_F_LOCK); /* no bpf_spin_lock in the value */
	UPDATE(&p, &k, va, 8);
	UPDATE(&p, &k, va, 1ull << 32);
	do_lookup_flags(&p, &k, BPF_F_LOCK, AT);
	do_lookup_flags(&p, &k, 1, AT);
	do_lookup_flags(&p, &k, 0, AT);
	DELETE(&p, &k); /* arrays cannot delete */
	LOOKUP(&p, &k);
	LOOKUP_AND_DELETE(&p, &k);
	k = 7;
	UPDATE(&p, &k, va, BPF_EXIST);

	/* get_next_key: from NULL, each index, the last, out of range */
	do_next(&p, NULL, &kn, &un, true, AT);
	for (k = 0; k < 8; k++)
		do_next(&p, &k, &kn, &un, true, AT);
	for (i = 0; i < NELEM(odd); i++)
		do_next(&p, &odd[i], &kn, &un, true, AT);
	cmp_iteration(&p, true, AT);
	pair_close(&p);
}

static void test_percpu_array(void **state)
{
	struct pair p;
	uint8_t *v;
	uint32_t k, kn, un;
	size_t hv;
	int c;

	(void)state;
	need_kernel();
	PAIR(&p, "PERCPU_ARRAY(4,12,4)", .type = BPF_MAP_TYPE_PERCPU_ARRAY,
	     .ksz = 4, .vsz = 12, .max = 4);
	hv = p.hvsz;
	assert_int_equal(hv, 16 * (size_t)ncpus);
	v = calloc(1, hv);
	assert_non_null(v);
	for (k = 0; k < 5; k++)
		LOOKUP(&p, &k);
	/* each CPU its own value, padding to 8 bytes left zero */
	for (c = 0; c < ncpus; c++)
		fill(v + 16 * c, 12, 0x100 + c);
	k = 1;
	UPDATE(&p, &k, v, BPF_ANY);
	LOOKUP(&p, &k);
	UPDATE(&p, &k, v, BPF_NOEXIST);
	UPDATE(&p, &k, v, BPF_EXIST);
	UPDATE(&p, &k, v, BPF_F_LOCK);
	UPDATE(&p, &k, v, 3);
	k = 4;
	UPDATE(&p, &k, v, BPF_ANY);
	DELETE(&p, &k);
	k = 2;
	DELETE(&p, &k);
	LOOKUP_AND_DELETE(&p, &k);
	/* what becomes of non-zero padding bytes */
	for (c = 0; c < ncpus; c++)
		memset(v + 16 * c + 12, 0xee, 4);
	k = 3;
	UPDATE(&p, &k, v, BPF_ANY);
	LOOKUP(&p, &k);
	do_next(&p, NULL, &kn, &un, true, AT);
	for (k = 0; k < 6; k++)
		do_next(&p, &k, &kn, &un, true, AT);
	cmp_iteration(&p, true, AT);
	free(v);
	pair_close(&p);
}

/* Batches on an array: the order is the index order, so every chunk must
 * match, keys and values, as must the rc that ends the walk. */
static void test_array_batch(void **state)
{
	struct pair p;
	uint32_t keys[16], kkeys[16], ukeys[16], kout, uout, kc, uc, k;
	uint64_t vals[16], kvals[16], uvals[16];
	LIBBPF_OPTS(bpf_map_batch_opts, kopts);
	UEBPF_OPTS(uebpf_map_batch_opts, uopts);
	uint32_t chunks[] = {3, 4, 8, 9, 1};
	void *kin, *uin;
	int krc, urc, round;
	size_t c;

	(void)state;
	need_kernel();
	PAIR(&p, "ARRAY(4,8,8)", .type = BPF_MAP_TYPE_ARRAY, .ksz = 4, .vsz = 8,
	     .max = 8);
	for (k = 0; k < 8; k++) {
		uint64_t v = 1000 + k;

		UPDATE(&p, &k, &v, BPF_ANY);
	}
	for (c = 0; c < NELEM(chunks); c++) {
		kin = uin = NULL;
		for (round = 0; round < 20; round++) {
			memset(kvals, 0, sizeof(kvals));
			memset(uvals, 0, sizeof(uvals));
			kc = uc = chunks[c];
			krc = bpf_map_lookup_batch(p.fd, kin, &kout, kkeys,
						   kvals, &kc, &kopts);
			urc = uebpf_map_lookup_batch(p.m, uin, &uout, ukeys,
						     uvals, &uc, &uopts);
			if (krc != urc || kc != uc)
				diff_fail(AT,
					  "ARRAY lookup_batch chunk %u round "
					  "%d: kernel %s count %u, libuebpf %s "
					  "count %u",
					  chunks[c], round, errname(krc), kc,
					  errname(urc), uc);
			if (memcmp(kkeys, ukeys, kc * 4) ||
			    memcmp(kvals, uvals, kc * 8))
				diff_fail(AT,
					  "ARRAY lookup_batch chunk %u round "
					  "%d: different keys or values",
					  chunks[c], round);
			if (kc && kout != uout)
				diff_fail(
					AT,
					"ARRAY lookup_batch chunk %u round %d: "
					"out_batch kernel %u, libuebpf %u",
					chunks[c], round, kout, uout);
			if (krc || urc)
				break;
			kin = &kout;
			uin = &uout;
		}
	}
	/* count 0, bad flags, bad elem_flags */
	kc = uc = 0;
	krc = bpf_map_lookup_batch(p.fd, NULL, &kout, kkeys, kvals, &kc,
				   &kopts);
	urc = uebpf_map_lookup_batch(p.m, NULL, &uout, ukeys, uvals, &uc,
				     &uopts);
	if (krc != urc || kc != uc)
		diff_fail(AT,
			  "ARRAY lookup_batch count 0: kernel %s count %u, "
			  "libuebpf %s count %u",
			  errname(krc), kc, errname(urc), uc);
	kopts.flags = uopts.flags = 1;
	kc = uc = 4;
	krc = bpf_map_lookup_batch(p.fd, NULL, &kout, kkeys, kvals, &kc,
				   &kopts);
	urc = uebpf_map_lookup_batch(p.m, NULL, &uout, ukeys, uvals, &uc,
				     &uopts);
	cmp_rc(&p, "lookup_batch(flags 1)", NULL, krc, urc, AT);
	kopts.flags = uopts.flags = 0;
	kopts.elem_flags = uopts.elem_flags = BPF_NOEXIST;
	kc = uc = 4;
	krc = bpf_map_lookup_batch(p.fd, NULL, &kout, kkeys, kvals, &kc,
				   &kopts);
	urc = uebpf_map_lookup_batch(p.m, NULL, &uout, ukeys, uvals, &uc,
				     &uopts);
	cmp_rc(&p, "lookup_batch(elem_flags NOEXIST)", NULL, krc, urc, AT);
	kopts.elem_flags = uopts.elem_flags = 0;

	/* update_batch: one out of range stops it */
	for (k = 0; k < 6; k++) {
		keys[k] = k == 4 ? 100 : k;
		vals[k] = 2000 + k;
	}
	kc = uc = 6;
	krc = bpf_map_update_batch(p.fd, keys, vals, &kc, &kopts);
	urc = uebpf_map_update_batch(p.m, keys, vals, &uc, &uopts);
	if (krc != urc || kc != uc)
		diff_fail(AT,
			  "ARRAY update_batch: kernel %s count %u, libuebpf %s "
			  "count %u",
			  errname(krc), kc, errname(urc), uc);
	kopts.flags = uopts.flags = 1;
	kc = uc = 2;
	krc = bpf_map_update_batch(p.fd, keys, vals, &kc, &kopts);
	urc = uebpf_map_update_batch(p.m, keys, vals, &uc, &uopts);
	cmp_rc(&p, "update_batch(flags 1)", NULL, krc, urc, AT);
	kopts.flags = uopts.flags = 0;
	kc = uc = 0;
	krc = bpf_map_update_batch(p.fd, keys, vals, &kc, &kopts);
	urc = uebpf_map_update_batch(p.m, keys, vals, &uc, &uopts);
	if (krc != urc || kc != uc)
		diff_fail(AT,
			  "ARRAY update_batch count 0: kernel %s count %u, "
			  "libuebpf %s count %u",
			  errname(krc), kc, errname(urc), uc);
	kopts.elem_flags = uopts.elem_flags = BPF_EXIST;
	kc = uc = 2;
	krc = bpf_map_update_batch(p.fd, keys, vals, &kc, &kopts);
	urc = uebpf_map_update_batch(p.m, keys, vals, &uc, &uopts);
	if (krc != urc || kc != uc)
		diff_fail(AT,
			  "ARRAY update_batch elem_flags EXIST: kernel %s "
			  "count %u, libuebpf %s count %u",
			  errname(krc), kc, errname(urc), uc);
	kopts.elem_flags = uopts.elem_flags = 0;
	cmp_iteration(&p, true, AT);

	/* arrays have neither delete_batch nor lookup_and_delete_batch */
	kc = uc = 2;
	krc = bpf_map_delete_batch(p.fd, keys, &kc, &kopts);
	urc = uebpf_map_delete_batch(p.m, keys, &uc, &uopts);
	if (krc != urc || kc != uc)
		diff_fail(AT,
			  "ARRAY delete_batch: kernel %s count %u, libuebpf %s "
			  "count %u",
			  errname(krc), kc, errname(urc), uc);
	kc = uc = 2;
	krc = bpf_map_lookup_and_delete_batch(p.fd, NULL, &kout, kkeys, kvals,
					      &kc, &kopts);
	urc = uebpf_map_lookup_and_delete_batch(p.m, NULL, &uout, ukeys, uvals,
						&uc, &uopts);
	if (krc != urc)
		diff_fail(
			AT,
			"ARRAY lookup_and_delete_batch: kernel %s, libuebpf %s",
			errname(krc), errname(urc));
	pair_close(&p);
}

/* ---- HASH ------------------------------------------------------------ */

static void hash_common(const char *name, uint32_t flags)
{
	struct pair p;
	uint64_t k, kn, un, kfirst, ufirst;
	uint8_t v[16];
	int n;

	PAIR(&p, name, .type = BPF_MAP_TYPE_HASH, .ksz = 8, .vsz = 16,
	     .max = 16, .flags = flags);
	k = 1;
	do_next(&p, NULL, &kn, &un, true, AT); /* empty: -ENOENT */
	do_next(&p, &k, &kn, &un, true, AT);
	LOOKUP(&p, &k);
	DELETE(&p, &k);
	LOOKUP_AND_DELETE(&p, &k);
	fill(v, 16, 7);
	UPDATE(&p, &k, v, BPF_EXIST);
	UPDATE(&p, &k, v, 3);
	UPDATE(&p, &k, v, BPF_F_LOCK);
	for (k = 1; k <= 16; k++) {
		fill(v, 16, k * 0x0101);
		UPDATE(&p, &k, v, k & 1 ? BPF_NOEXIST : BPF_ANY);
	}
	/* full */
	k = 17;
	UPDATE(&p, &k, v, BPF_ANY);
	UPDATE(&p, &k, v, BPF_NOEXIST);
	UPDATE(&p, &k, v, BPF_EXIST);
	LOOKUP(&p, &k);
	/* replacing works when full; the flags are checked first */
	k = 5;
	fill(v, 16, 0x5555);
	UPDATE(&p, &k, v, BPF_ANY);
	LOOKUP(&p, &k);
	fill(v, 16, 0x5556);
	UPDATE(&p, &k, v, BPF_EXIST);
	LOOKUP(&p, &k);
	UPDATE(&p, &k, v, BPF_NOEXIST);
	n = cmp_iteration(&p, false, AT);
	assert_int_equal(n, 16);

	/* get_next_key from NULL and from a missing key both start over */
	k = 999;
	assert_int_equal(bpf_map_get_next_key(p.fd, NULL, &kfirst), 0);
	assert_int_equal(uebpf_map_get_next_key(p.m, NULL, &ufirst), 0);
	do_next(&p, &k, &kn, &un, false, AT);
	if (kn != kfirst)
		fail_msg("kernel: get_next_key(missing) is not the first key");
	if (un != ufirst)
		diff_fail(AT,
			  "%s: libuebpf get_next_key(missing key) gives %llu, "
			  "get_next_key(NULL) %llu",
			  name, (unsigned long long)un,
			  (unsigned long long)ufirst);

	k = 5;
	DELETE(&p, &k);
	DELETE(&p, &k);
	LOOKUP(&p, &k);
	k = 17;
	UPDATE(&p, &k, v, BPF_NOEXIST); /* room again */
	LOOKUP_AND_DELETE(&p, &k);
	LOOKUP_AND_DELETE(&p, &k);
	LOOKUP(&p, &k);
	UPDATE(&p, &k, v, BPF_EXIST);
	cmp_iteration(&p, false, AT);

	/* empty it the usual way: delete whatever get_next_key(NULL) gives */
	for (n = 0; n < 64; n++) {
		int krc = bpf_map_get_next_key(p.fd, NULL, &kn);
		int urc = uebpf_map_get_next_key(p.m, NULL, &un);

		cmp_rc(&p, "get_next_key", NULL, krc, urc, AT);
		if (krc)
			break;
		assert_int_equal(bpf_map_delete_elem(p.fd, &kn), 0);
		assert_int_equal(uebpf_map_delete_elem(p.m, &un), 0);
	}
	assert_int_equal(n, 15);
	pair_close(&p);
}

static void test_hash(void **state)
{
	(void)state;
	need_kernel();
	hash_common("HASH(8,16,16)", 0);
}

static void test_hash_no_prealloc(void **state)
{
	(void)state;
	need_kernel();
	hash_common("HASH(8,16,16,NO_PREALLOC)", BPF_F_NO_PREALLOC);
}

/* Walks a batch call to the end on one side; returns the keys found. */
typedef int (*kbatch_fn)(int fd, void *in, void *out, void *keys, void *values,
			 __u32 *count, const struct bpf_map_batch_opts *opts);
typedef int (*ubatch_fn)(struct uebpf_map *m, void *in, void *out, void *keys,
			 void *values, uint32_t *count,
			 const struct uebpf_map_batch_opts *opts);

static int batch_walk_k(struct pair *p, kbatch_fn fn, uint32_t chunk,
			uint8_t *keys, uint8_t *vals, int *last_rc)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	uint8_t in[64], out[64];
	bool first = true;
	uint32_t n = 0, c;
	int rc, round;

	for (round = 0; round < 1000; round++) {
		c = chunk;
		rc = fn(p->fd, first ? NULL : in, out,
			keys + (size_t)n * p->s.ksz, vals + (size_t)n * p->hvsz,
			&c, &o);
		n += c;
		if (rc)
			break;
		memcpy(in, out, sizeof(in));
		first = false;
	}
	*last_rc = rc;
	return n;
}

static int batch_walk_u(struct pair *p, ubatch_fn fn, uint32_t chunk,
			uint8_t *keys, uint8_t *vals, int *last_rc)
{
	UEBPF_OPTS(uebpf_map_batch_opts, o);
	uint8_t in[64], out[64];
	bool first = true;
	uint32_t n = 0, c;
	int rc, round;

	for (round = 0; round < 1000; round++) {
		c = chunk;
		rc = fn(p->m, first ? NULL : in, out,
			keys + (size_t)n * p->s.ksz, vals + (size_t)n * p->hvsz,
			&c, &o);
		n += c;
		if (rc)
			break;
		memcpy(in, out, sizeof(in));
		first = false;
	}
	*last_rc = rc;
	return n;
}

/* Batch results as sets of (key, value) records. */
static void cmp_batch_sets(struct pair *p, const char *what, uint8_t *kk,
			   uint8_t *kv, int kn, uint8_t *uk, uint8_t *uv,
			   int un, LOC)
{
	size_t rec = p->s.ksz + p->hvsz;
	uint8_t *a = calloc(kn + 1, rec), *b = calloc(un + 1, rec);
	int i;

	assert_non_null(a);
	assert_non_null(b);
	if (kn != un) {
		diff_fail(file, line,
			  "%s: %s: kernel returned %d elements, libuebpf %d",
			  p->name, what, kn, un);
		free(a);
		free(b);
		return;
	}
	for (i = 0; i < kn; i++) {
		memcpy(a + i * rec, kk + (size_t)i * p->s.ksz, p->s.ksz);
		memcpy(a + i * rec + p->s.ksz, kv + i * p->hvsz, p->hvsz);
		memcpy(b + i * rec, uk + (size_t)i * p->s.ksz, p->s.ksz);
		memcpy(b + i * rec + p->s.ksz, uv + i * p->hvsz, p->hvsz);
	}
	sort_ksz = rec;
	qsort(a, kn, rec, key_cmp);
	qsort(b, kn, rec, key_cmp);
	for (i = 0; i < kn; i++)
		if (memcmp(a + i * rec, b + i * rec, rec)) {
			diff_fail(file, line,
				  "%s: %s: element sets differ at sorted "
				  "position %d: kernel %s, libuebpf %s",
				  p->name, what, i, hex(a + i * rec, rec),
				  hex(b + i * rec, rec));
			break;
		}
	free(a);
	free(b);
}

static void test_hash_batch(void **state)
{
	struct pair p;
	LIBBPF_OPTS(bpf_map_batch_opts, kopts);
	UEBPF_OPTS(uebpf_map_batch_opts, uopts);
	uint64_t keys[64], vals[64 * 2], k, kout, uout;
	uint8_t kk[128 * 8], kv[128 * 16], uk[128 * 8], uv[128 * 16];
	uint32_t kc, uc, chunks[] = {64, 40, 16, 7};
	int kn, un, krc, urc, i;
	size_t c;

	(void)state;
	need_kernel();
	PAIR(&p, "HASH(8,16,64)", .type = BPF_MAP_TYPE_HASH, .ksz = 8,
	     .vsz = 16, .max = 64);
	for (k = 0; k < 40; k++) {
		uint64_t v[2] = {k * 3, ~k};

		UPDATE(&p, &k, v, BPF_NOEXIST);
	}
	for (c = 0; c < NELEM(chunks); c++) {
		char what[48];

		kn = batch_walk_k(&p, bpf_map_lookup_batch, chunks[c], kk, kv,
				  &krc);
		un = batch_walk_u(&p, uebpf_map_lookup_batch, chunks[c], uk, uv,
				  &urc);
		snprintf(what, sizeof(what), "lookup_batch by %u", chunks[c]);
		/* a chunk smaller than a bucket is -ENOSPC in the kernel */
		if (krc == -ENOSPC) {
			print_message(
				"kernel lookup_batch by %u: -ENOSPC (bucket "
				"larger than the chunk), not compared\n",
				chunks[c]);
			continue;
		}
		cmp_rc(&p, what, NULL, krc, urc, AT);
		cmp_batch_sets(&p, what, kk, kv, kn, uk, uv, un, AT);
	}
	/* count 0 and invalid flags */
	kc = uc = 0;
	krc = bpf_map_lookup_batch(p.fd, NULL, &kout, kk, kv, &kc, &kopts);
	urc = uebpf_map_lookup_batch(p.m, NULL, &uout, uk, uv, &uc, &uopts);
	if (krc != urc || kc != uc)
		diff_fail(AT,
			  "HASH lookup_batch count 0: kernel %s count %u, "
			  "libuebpf %s count %u",
			  errname(krc), kc, errname(urc), uc);
	kopts.flags = uopts.flags = 1;
	kc = uc = 8;
	krc = bpf_map_lookup_batch(p.fd, NULL, &kout, kk, kv, &kc, &kopts);
	urc = uebpf_map_lookup_batch(p.m, NULL, &uout, uk, uv, &uc, &uopts);
	cmp_rc(&p, "lookup_batch(flags 1)", NULL, krc, urc, AT);
	kopts.flags = uopts.flags = 0;

	/* update_batch: the first failing element stops it, count says where */
	for (i = 0; i < 30; i++) {
		keys[i] = 100 + i;
		vals[2 * i] = i;
		vals[2 * i + 1] = ~(uint64_t)i;
	}
	keys[3] = 7; /* exists: fine with elem_flags 0 */
	kc = uc = 30;
	krc = bpf_map_update_batch(p.fd, keys, vals, &kc, &kopts);
	urc = uebpf_map_update_batch(p.m, keys, vals, &uc, &uopts);
	if (krc != urc || kc != uc)
		diff_fail(AT,
			  "HASH update_batch past full: kernel %s count %u, "
			  "libuebpf %s count %u",
			  errname(krc), kc, errname(urc), uc);
	kopts.elem_flags = uopts.elem_flags = BPF_F_LOCK;
	kc = uc = 2;
	krc = bpf_map_update_batch(p.fd, keys, vals, &kc, &kopts);
	urc = uebpf_map_update_batch(p.m, keys, vals, &uc, &uopts);
	if (krc != urc || kc != uc)
		diff_fail(AT,
			  "HASH update_batch BPF_F_LOCK: kernel %s count %u, "
			  "libuebpf %s count %u",
			  errname(krc), kc, errname(urc), uc);
	kopts.elem_flags = uopts.elem_flags = 0;
	cmp_iteration(&p, false, AT);

	/* delete_batch stops at the first missing key */
	keys[0] = 100;
	keys[1] = 99999;
	keys[2] = 101;
	kc = uc = 3;
	krc = bpf_map_delete_batch(p.fd, keys, &kc, &kopts);
	urc = uebpf_map_delete_batch(p.m, keys, &uc, &uopts);
	if (krc != urc || kc != uc)
		diff_fail(AT,
			  "HASH delete_batch: kernel %s count %u, libuebpf %s "
			  "count %u",
			  errname(krc), kc, errname(urc), uc);
	cmp_iteration(&p, false, AT);

	/* lookup_and_delete_batch empties it */
	kn = batch_walk_k(&p, bpf_map_lookup_and_delete_batch, 64, kk, kv,
			  &krc);
	un = batch_walk_u(&p, uebpf_map_lookup_and_delete_batch, 64, uk, uv,
			  &urc);
	cmp_rc(&p, "lookup_and_delete_batch", NULL, krc, urc, AT);
	cmp_batch_sets(&p, "lookup_and_delete_batch", kk, kv, kn, uk, uv, un,
		       AT);
	assert_int_equal(cmp_iteration(&p, false, AT), 0);
	pair_close(&p);
}

static void percpu_hash_common(const char *name, enum bpf_map_type type)
{
	struct pair p;
	uint32_t k, kn, un;
	uint8_t *v;
	int c, n;

	/* an LRU this small evicts on any update once full, even a failing
	 * one, and victims may differ: give it room */
	PAIR(&p, name, .type = type, .ksz = 4, .vsz = 12,
	     .max = type == BPF_MAP_TYPE_PERCPU_HASH ? 4 : 8);
	v = calloc(1, p.hvsz);
	assert_non_null(v);
	k = 1;
	LOOKUP(&p, &k);
	do_next(&p, NULL, &kn, &un, true, AT);
	for (k = 1; k <= 4; k++) {
		for (c = 0; c < ncpus; c++)
			fill(v + 16 * c, 12, k << 8 | c);
		UPDATE(&p, &k, v, BPF_NOEXIST);
		LOOKUP(&p, &k);
	}
	/* full: -E2BIG, or, for the LRU, an eviction (even by an update
	 * that fails) whose victim may differ: the rest would not compare */
	k = 5;
	if (type == BPF_MAP_TYPE_PERCPU_HASH) {
		UPDATE(&p, &k, v, BPF_ANY);
		UPDATE(&p, &k, v, BPF_EXIST);
	}
	k = 2;
	UPDATE(&p, &k, v, BPF_NOEXIST);
	UPDATE(&p, &k, v, BPF_EXIST);
	LOOKUP(&p, &k);
	UPDATE(&p, &k, v, BPF_F_LOCK);
	LOOKUP_AND_DELETE(&p, &k);
	LOOKUP_AND_DELETE(&p, &k);
	k = 3;
	DELETE(&p, &k);
	DELETE(&p, &k);
	n = cmp_iteration(&p, false, AT);
	assert_int_equal(n, 2);
	free(v);
	pair_close(&p);
}

static void test_percpu_hash(void **state)
{
	(void)state;
	need_kernel();
	percpu_hash_common("PERCPU_HASH(4,12,4)", BPF_MAP_TYPE_PERCPU_HASH);
}

/* ---- LRU ------------------------------------------------------------- */

/* Victims may differ; compare what must hold in both: every update
 * succeeds, at most max_entries elements, the last keys written survive. */
static void lru_common(const char *name, uint32_t max, uint32_t flags,
		       int inserts, int survivors, bool full_flags)
{
	struct pair p;
	uint64_t k, v, kn, un;
	int kcnt, ucnt, krc, urc, i;
	uint8_t *keys;

	PAIR(&p, name, .type = BPF_MAP_TYPE_LRU_HASH, .ksz = 8, .vsz = 8,
	     .max = max, .flags = flags);
	k = 1;
	LOOKUP(&p, &k);
	DELETE(&p, &k);
	UPDATE(&p, &k, &k, BPF_EXIST);
	for (k = 1; k <= (uint64_t)inserts; k++) {
		v = k * 7;
		UPDATE(&p, &k, &v, k % 3 ? BPF_ANY : BPF_NOEXIST);
	}
	for (i = 0; i < survivors; i++) {
		k = inserts - i;
		LOOKUP(&p, &k);
		if (bpf_map_lookup_elem(p.fd, &k, &v))
			fail_msg("kernel: key %llu written %d updates ago was "
				 "evicted",
				 (unsigned long long)k, i);
	}
	/* flags still apply on a full LRU; the kernel takes a free node
	 * (evicting) before it checks them, so with max_entries 1 even a
	 * failed update loses the only element */
	if (full_flags) {
		k = inserts;
		UPDATE(&p, &k, &v, BPF_NOEXIST);
		k = 10 * (uint64_t)inserts;
		UPDATE(&p, &k, &v, BPF_EXIST);
		UPDATE(&p, &k, &v, 3);
		k = inserts;
		LOOKUP(&p, &k);
	}
	keys = calloc(max * 4 + 16, 8);
	assert_non_null(keys);
	kcnt = walk_kernel(p.fd, 8, keys, max * 4 + 16, &krc);
	ucnt = walk_uebpf(p.m, 8, keys, max * 4 + 16, &urc);
	cmp_rc(&p, "iteration end", NULL, krc, urc, AT);
	print_message("%s: after %d inserts kernel holds %d, libuebpf %d\n",
		      name, inserts, kcnt, ucnt);
	if (ucnt > (int)uebpf_map_max_entries(p.m) || (kcnt && !ucnt))
		diff_fail(AT, "%s: libuebpf holds %d elements, max_entries %u",
			  name, ucnt, uebpf_map_max_entries(p.m));
	/* an update on the full map succeeds in both, and the key is there */
	k = 1000000;
	v = 42;
	UPDATE(&p, &k, &v, BPF_NOEXIST);
	LOOKUP(&p, &k);
	DELETE(&p, &k);
	DELETE(&p, &k);
	LOOKUP_AND_DELETE(&p, &k);
	k = inserts;
	LOOKUP_AND_DELETE(&p, &k);
	/* get_next_key(NULL) and from a missing key */
	k = 5000000;
	do_next(&p, &k, &kn, &un, false, AT);
	free(keys);
	pair_close(&p);
}

static void test_lru_hash(void **state)
{
	(void)state;
	need_kernel();
	lru_common("LRU_HASH(8,8,128)", 128, 0, 2000, 8, true);
	lru_common("LRU_HASH(8,8,1024)", 1024, 0, 10000, 16, true);
	/* one element: whatever evicts, it is the one */
	lru_common("LRU_HASH(8,8,1)", 1, 0, 100, 1, true);
}

static void test_lru_hash_no_common(void **state)
{
	(void)state;
	need_kernel();
	lru_common("LRU_HASH(8,8,128,NO_COMMON_LRU)", 128, BPF_F_NO_COMMON_LRU,
		   2000, 8, true);
	/* max_entries rounded up to a multiple of the CPUs */
	lru_common("LRU_HASH(8,8,3,NO_COMMON_LRU)", 3, BPF_F_NO_COMMON_LRU, 100,
		   1, false);
}

/* Host-side lookups do not count as uses: the kernel's syscall lookup of
 * an LRU element leaves its reference bit alone, so it is evicted as if it
 * had not been looked up. */
static void test_lru_host_lookup_no_ref(void **state)
{
	struct pair p;
	uint64_t k, v;

	(void)state;
	need_kernel();
	PAIR(&p, "LRU_HASH(8,8,8)", .type = BPF_MAP_TYPE_LRU_HASH, .ksz = 8,
	     .vsz = 8, .max = 8);
	for (k = 1; k <= 8; k++)
		UPDATE(&p, &k, &k, BPF_ANY);
	k = 1;
	LOOKUP(&p, &k);
	k = 1000;
	v = 1;
	UPDATE(&p, &k, &v, BPF_ANY); /* full: evicts */
	for (k = 1; k <= 8; k++)
		LOOKUP(&p, &k);
	cmp_iteration(&p, false, AT);
	pair_close(&p);
}

static void test_lru_percpu_hash(void **state)
{
	struct pair p;
	uint32_t k;
	uint8_t *v;
	int c;

	(void)state;
	need_kernel();
	percpu_hash_common("LRU_PERCPU_HASH(4,12,8)",
			   BPF_MAP_TYPE_LRU_PERCPU_HASH);
	PAIR(&p, "LRU_PERCPU_HASH(4,12,8)",
	     .type = BPF_MAP_TYPE_LRU_PERCPU_HASH, .ksz = 4, .vsz = 12,
	     .max = 8);
	v = calloc(1, p.hvsz);
	assert_non_null(v);
	for (k = 0; k < 200; k++) {
		for (c = 0; c < ncpus; c++)
			fill(v + 16 * c, 12, k * 31 + c);
		UPDATE(&p, &k, v, BPF_ANY);
		LOOKUP(&p, &k);
	}
	free(v);
	pair_close(&p);
}

/* ---- LPM_TRIE ---------------------------------------------------------- */

struct lpm4 {
	uint32_t prefixlen;
	uint8_t a[4];
};

static struct lpm4 lpm4(uint32_t len, uint32_t addr)
{
	struct lpm4 k = {.prefixlen = len};

	k.a[0] = addr >> 24;
	k.a[1] = addr >> 16;
	k.a[2] = addr >> 8;
	k.a[3] = addr;
	return k;
}

static void test_lpm_trie(void **state)
{
	struct pair p;
	struct lpm4 k, kn, un;
	uint64_t v;
	uint32_t base[] = {0x0a000000, 0x0a010000, 0x0a010200, 0x0a010203,
			   0xc0a80000, 0xc0a80100, 0x00000000, 0xffffffff};
	uint32_t blen[] = {8, 16, 24, 32, 16, 24, 0, 32};
	struct lpm4 added[400];
	int nadded = 0, i;

	(void)state;
	need_kernel();
	PAIR(&p, "LPM_TRIE(8,8,300)", .type = BPF_MAP_TYPE_LPM_TRIE, .ksz = 8,
	     .vsz = 8, .max = 300, .flags = BPF_F_NO_PREALLOC);
	rnd_state = seed;
	k = lpm4(32, 0x0a010203);
	LOOKUP(&p, &k);
	do_next(&p, NULL, &kn, &un, true, AT);
	for (i = 0; i < (int)NELEM(base); i++) {
		k = lpm4(blen[i], base[i]);
		v = 100 + i;
		UPDATE(&p, &k, &v, BPF_NOEXIST);
		added[nadded++] = k;
	}
	/* random prefixes, host bits sometimes set, random flags */
	for (i = 0; i < 250; i++) {
		uint64_t r = rnd();
		uint32_t len = r % 33, addr = (uint32_t)(r >> 8);
		uint64_t fl = (r >> 40) % 3;

		if (!(r & (1ull << 60)) && len < 32)
			addr &= len ? ~0u << (32 - len) : 0;
		if (r & (1ull << 61))
			addr = (addr & 0x00ffffff) | 0x0a000000; /* 10/8 */
		k = lpm4(len, addr);
		v = 1000 + i;
		if (!UPDATE(&p, &k, &v, fl) && nadded < (int)NELEM(added))
			added[nadded++] = k;
	}
	/* bad prefix lengths */
	k = lpm4(33, 0x0a000000);
	UPDATE(&p, &k, &v, BPF_ANY);
	DELETE(&p, &k);
	k.prefixlen = 0xffffffff;
	UPDATE(&p, &k, &v, BPF_ANY);
	UPDATE(&p, &k, &v, 4);
	/* longest-prefix lookups: random, inside 10/8, at exact bases, and
	 * with a lookup prefix shorter than 32 or past it */
	for (i = 0; i < 5000; i++) {
		uint64_t r = rnd();
		uint32_t addr = (uint32_t)r;

		if (i % 3 == 0)
			addr = (addr & 0x0003ffff) | 0x0a000000;
		if (i % 7 == 0)
			addr = base[(r >> 32) % NELEM(base)];
		k = lpm4(i % 11 == 0 ? (r >> 40) % 40 : 32, addr);
		LOOKUP(&p, &k);
	}
	cmp_iteration(&p, true, AT);
	/* get_next_key from every stored key and from missing ones */
	for (i = 0; i < nadded; i++)
		do_next(&p, &added[i], &kn, &un, true, AT);
	k = lpm4(20, 0x0b0b0000);
	do_next(&p, &k, &kn, &un, true, AT);
	k = lpm4(40, 0x0a000000);
	do_next(&p, &k, &kn, &un, true, AT);
	/* deletes: exact prefix only; intermediate nodes are not elements */
	k = lpm4(24, 0x0a010200);
	DELETE(&p, &k);
	DELETE(&p, &k);
	k = lpm4(23, 0x0a010200);
	DELETE(&p, &k);
	k = lpm4(16, 0x0a010203); /* host bits differ from 10.1.0.0/16 */
	DELETE(&p, &k);
	for (i = 0; i < nadded; i += 3)
		DELETE(&p, &added[i]);
	LOOKUP_AND_DELETE(&p, &added[1]);
	for (i = 0; i < 3000; i++) {
		uint64_t r = rnd();

		k = lpm4(32, i & 1 ? (uint32_t)r
				   : ((uint32_t)r & 0x0003ffff) | 0x0a000000);
		LOOKUP(&p, &k);
	}
	cmp_iteration(&p, true, AT);
	for (i = 0; i < nadded; i++)
		do_next(&p, &added[i], &kn, &un, true, AT);
	pair_close(&p);
}

/* A full trie, and IPv6-sized keys. */
static void test_lpm_trie_full(void **state)
{
	struct pair p;
	struct {
		uint32_t prefixlen;
		uint8_t a[16];
	} k6, kn6, un6;
	struct lpm4 k;
	uint64_t v = 1;
	int i;

	(void)state;
	need_kernel();
	PAIR(&p, "LPM_TRIE(8,8,8)", .type = BPF_MAP_TYPE_LPM_TRIE, .ksz = 8,
	     .vsz = 8, .max = 8, .flags = BPF_F_NO_PREALLOC);
	for (i = 0; i < 12; i++) {
		k = lpm4(8 + i, 0x0a000000 | (uint32_t)i << 16);
		UPDATE(&p, &k, &v, BPF_ANY);
	}
	/* replacing an existing prefix works when full */
	k = lpm4(8, 0x0a000000);
	v = 2;
	UPDATE(&p, &k, &v, BPF_ANY);
	UPDATE(&p, &k, &v, BPF_EXIST);
	UPDATE(&p, &k, &v, BPF_NOEXIST);
	LOOKUP(&p, &k);
	cmp_iteration(&p, true, AT);
	pair_close(&p);

	PAIR(&p, "LPM_TRIE(20,8,64)", .type = BPF_MAP_TYPE_LPM_TRIE, .ksz = 20,
	     .vsz = 8, .max = 64, .flags = BPF_F_NO_PREALLOC);
	rnd_state = seed + 6;
	for (i = 0; i < 80; i++) {
		uint64_t r = rnd();

		memset(&k6, 0, sizeof(k6));
		k6.prefixlen = r % 129;
		k6.a[0] = 0x20;
		k6.a[1] = 0x01;
		memcpy(k6.a + 2, &r, 8);
		v = i;
		UPDATE(&p, &k6, &v, BPF_ANY);
	}
	k6.prefixlen = 129;
	UPDATE(&p, &k6, &v, BPF_ANY);
	for (i = 0; i < 2000; i++) {
		uint64_t r = rnd();

		k6.prefixlen = 128;
		k6.a[0] = 0x20;
		k6.a[1] = 0x01;
		memcpy(k6.a + 2, &r, 8);
		r = rnd();
		memcpy(k6.a + 10, &r, 6);
		LOOKUP(&p, &k6);
	}
	cmp_iteration(&p, true, AT);
	do_next(&p, NULL, &kn6, &un6, true, AT);
	pair_close(&p);
}

/* ---- QUEUE / STACK ------------------------------------------------------- */

static int qs_op(struct pair *p, int op, uint64_t val, uint64_t flags, LOC)
{
	uint64_t kv = 0xa5a5, uv = 0xa5a5;
	int k, u;

	switch (op) {
	case 0: /* push */
		return do_update(p, NULL, &val, &val, flags, file, line);
	case 1: /* pop */
		k = bpf_map_lookup_and_delete_elem(p->fd, NULL, &kv);
		u = uebpf_map_lookup_and_delete_elem(p->m, NULL, &uv);
		cmp_rc(p, "pop", NULL, k, u, file, line);
		break;
	default: /* peek */
		k = bpf_map_lookup_elem(p->fd, NULL, &kv);
		u = uebpf_map_lookup_elem(p->m, NULL, &uv);
		cmp_rc(p, "peek", NULL, k, u, file, line);
		break;
	}
	if (!k && kv != uv)
		diff_fail(file, line,
			  "%s: %s: kernel gives %llu, libuebpf %llu", p->name,
			  op == 1 ? "pop" : "peek", (unsigned long long)kv,
			  (unsigned long long)uv);
	return k;
}

static void queue_stack_common(const char *name, enum bpf_map_type type)
{
	struct pair p;
	uint64_t v = 1, kn, un;
	int i;

	PAIR(&p, name, .type = type, .ksz = 0, .vsz = 8, .max = 4);
	qs_op(&p, 2, 0, 0, AT);
	qs_op(&p, 1, 0, 0, AT);
	for (i = 1; i <= 5; i++)
		qs_op(&p, 0, i, BPF_ANY, AT); /* the 5th: full */
	qs_op(&p, 0, 6, BPF_NOEXIST, AT);
	qs_op(&p, 2, 0, 0, AT);
	qs_op(&p, 0, 7, BPF_EXIST, AT); /* overwrites the oldest */
	qs_op(&p, 0, 8, BPF_EXIST, AT);
	qs_op(&p, 0, 9, 3, AT);
	qs_op(&p, 0, 9, BPF_F_LOCK, AT);
	qs_op(&p, 2, 0, 0, AT);
	for (i = 0; i < 6; i++)
		qs_op(&p, 1, 0, 0, AT);
	/* no keys: delete, get_next_key, a key where none is expected */
	do_delete(&p, NULL, AT);
	do_next(&p, NULL, &kn, &un, true, AT);
	do_lookup_flags(&p, NULL, BPF_F_LOCK, AT);
	/* random sequence */
	rnd_state = seed + type;
	for (i = 0; i < 1000; i++) {
		uint64_t r = rnd();
		int op = r % 5 < 2 ? 0 : r % 5 < 4 ? 1 : 2;
		uint64_t fl = (r >> 8) % 4 == 3 ? BPF_EXIST : (r >> 8) % 3;

		qs_op(&p, op, v++, fl, AT);
	}
	/* frozen: push and pop refused, peek allowed */
	qs_op(&p, 0, v++, BPF_ANY, AT);
	assert_int_equal(bpf_map_freeze(p.fd), uebpf_map_freeze(p.m));
	qs_op(&p, 0, v++, BPF_ANY, AT);
	qs_op(&p, 1, 0, 0, AT);
	qs_op(&p, 2, 0, 0, AT);
	pair_close(&p);
}

static void test_queue(void **state)
{
	(void)state;
	need_kernel();
	queue_stack_common("QUEUE(0,8,4)", BPF_MAP_TYPE_QUEUE);
}

static void test_stack(void **state)
{
	(void)state;
	need_kernel();
	queue_stack_common("STACK(0,8,4)", BPF_MAP_TYPE_STACK);
}

/* ---- map-in-map ------------------------------------------------------- */

struct inner {
	const char *name;
	struct spec s;
	int fd;
	struct uebpf_map *m;
};

/* Outer values: the kernel takes an fd and returns an id, libuebpf takes
 * an id and returns one; compare rc, and that each side's id is the one of
 * the same inner map. */
static void mim_common(const char *name, enum bpf_map_type type, uint32_t ksz,
		       uint32_t tmpl_flags)
{
#define INNER(nm, t, k, v, m, f)                \
	{                                       \
		.name = nm,                     \
		.s = {.type = BPF_MAP_TYPE_##t, \
		      .ksz = k,                 \
		      .vsz = v,                 \
		      .max = m,                 \
		      .flags = f,               \
		      .kinner = -1},            \
		.fd = -1                        \
	}
	struct inner in[] = {
		INNER("compatible", ARRAY, 4, 8, 4, tmpl_flags),
		INNER("max_entries 8", ARRAY, 4, 8, 8, tmpl_flags),
		INNER("value 16", ARRAY, 4, 16, 4, tmpl_flags),
		INNER("PERCPU_ARRAY", PERCPU_ARRAY, 4, 8, 4, 0),
		INNER("RDONLY_PROG", ARRAY, 4, 8, 4,
		      tmpl_flags | BPF_F_RDONLY_PROG),
		INNER("compatible 2", ARRAY, 4, 8, 4, tmpl_flags),
	};
#undef INNER
	struct spec tmpl = {.type = BPF_MAP_TYPE_ARRAY,
			    .ksz = 4,
			    .vsz = 8,
			    .max = 4,
			    .flags = tmpl_flags,
			    .kinner = -1};
	struct pair p;
	int tfd, err, krc, urc;
	struct uebpf_map *tm;
	uint8_t key[8] = {0};
	uint32_t kid, uid, bad, kn[2], un[2];
	size_t i, j;

	tm = u_create(&tmpl, &err);
	if (!tm && err == -EOPNOTSUPP)
		skip_unsupported(name, BPF_MAP_TYPE_ARRAY);
	assert_non_null(tm);
	tfd = k_create(&tmpl);
	assert_true(tfd >= 0);
	for (i = 0; i < NELEM(in); i++) {
		in[i].fd = k_create(&in[i].s);
		in[i].m = u_create(&in[i].s, &err);
		if (!in[i].m && err == -EOPNOTSUPP)
			skip_unsupported(name, in[i].s.type);
		assert_true(in[i].fd >= 0);
		assert_non_null(in[i].m);
	}
	pair_open(&p, name,
		  (struct spec){.type = type,
				.ksz = ksz,
				.vsz = 4,
				.max = 4,
				.kinner = tfd,
				.uinner = tm},
		  AT);
	for (i = 0; i < NELEM(in); i++) {
		char op[64];

		key[0] = (uint8_t)i;
		snprintf(op, sizeof(op), "update(inner %s)", in[i].name);
		krc = bpf_map_update_elem(p.fd, key, &in[i].fd, BPF_ANY);
		uid = uebpf_map_id(in[i].m);
		urc = uebpf_map_update_elem(p.m, key, &uid, BPF_ANY);
		cmp_rc(&p, op, key, krc, urc, AT);
	}
	/* lookups: ids of the same inner maps */
	for (i = 0; i < NELEM(in) + 1; i++) {
		struct bpf_map_info info;
		uint32_t len = sizeof(info);

		key[0] = (uint8_t)i;
		krc = bpf_map_lookup_elem(p.fd, key, &kid);
		urc = uebpf_map_lookup_elem(p.m, key, &uid);
		cmp_rc(&p, "lookup", key, krc, urc, AT);
		if (krc)
			continue;
		for (j = 0; j < NELEM(in); j++) {
			memset(&info, 0, sizeof(info));
			assert_int_equal(
				bpf_obj_get_info_by_fd(in[j].fd, &info, &len),
				0);
			if (info.id == kid)
				break;
		}
		assert_true(j < NELEM(in));
		if (uid != uebpf_map_id(in[j].m))
			diff_fail(AT,
				  "%s: key %zu: kernel holds inner '%s', "
				  "libuebpf id %u is not it (%u)",
				  name, i, in[j].name, uid,
				  uebpf_map_id(in[j].m));
	}
	/* flags, replace, a number that is no map, delete */
	key[0] = 0;
	krc = bpf_map_update_elem(p.fd, key, &in[5].fd, BPF_NOEXIST);
	uid = uebpf_map_id(in[5].m);
	urc = uebpf_map_update_elem(p.m, key, &uid, BPF_NOEXIST);
	cmp_rc(&p, "update(NOEXIST)", key, krc, urc, AT);
	krc = bpf_map_update_elem(p.fd, key, &in[5].fd, BPF_EXIST);
	urc = uebpf_map_update_elem(p.m, key, &uid, BPF_EXIST);
	cmp_rc(&p, "update(EXIST)", key, krc, urc, AT);
	key[0] = 3;
	krc = bpf_map_update_elem(p.fd, key, &in[5].fd, BPF_EXIST);
	urc = uebpf_map_update_elem(p.m, key, &uid, BPF_EXIST);
	cmp_rc(&p, "update(EXIST, empty slot)", key, krc, urc, AT);
	bad = 12345; /* neither an open fd nor a map id */
	krc = bpf_map_update_elem(p.fd, key, &bad, BPF_ANY);
	urc = uebpf_map_update_elem(p.m, key, &bad, BPF_ANY);
	cmp_rc(&p, "update(no such map)", key, krc, urc, AT);
	key[0] = 9; /* past max_entries: out of range or full */
	krc = bpf_map_update_elem(p.fd, key, &in[0].fd, BPF_ANY);
	uid = uebpf_map_id(in[0].m);
	urc = uebpf_map_update_elem(p.m, key, &uid, BPF_ANY);
	cmp_rc(&p, "update", key, krc, urc, AT);
	for (i = 0; i < 10; i++) {
		key[0] = (uint8_t)i;
		krc = bpf_map_delete_elem(p.fd, key);
		urc = uebpf_map_delete_elem(p.m, key);
		cmp_rc(&p, "delete", key, krc, urc, AT);
	}
	krc = bpf_map_lookup_and_delete_elem(p.fd, key, &kid);
	urc = uebpf_map_lookup_and_delete_elem(p.m, key, &uid);
	cmp_rc(&p, "lookup_and_delete", key, krc, urc, AT);
	do_next(&p, NULL, kn, un, type == BPF_MAP_TYPE_ARRAY_OF_MAPS, AT);
	krc = bpf_map_freeze(p.fd);
	urc = uebpf_map_freeze(p.m);
	cmp_rc(&p, "freeze", NULL, krc, urc, AT);
	pair_close(&p);
	for (i = 0; i < NELEM(in); i++) {
		close(in[i].fd);
		uebpf_map_put(in[i].m);
	}
	close(tfd);
	uebpf_map_put(tm);
}

static void test_array_of_maps(void **state)
{
	(void)state;
	need_kernel();
	mim_common("ARRAY_OF_MAPS(4,4,4)", BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 0);
	mim_common("ARRAY_OF_MAPS(4,4,4) INNER_MAP", BPF_MAP_TYPE_ARRAY_OF_MAPS,
		   4, BPF_F_INNER_MAP);
}

static void test_hash_of_maps(void **state)
{
	(void)state;
	need_kernel();
	mim_common("HASH_OF_MAPS(8,4,4)", BPF_MAP_TYPE_HASH_OF_MAPS, 8, 0);
}

/* Creating map-in-maps: value size, missing or unsuitable templates. */
static void test_map_in_map_create(void **state)
{
	struct spec arr = {.type = BPF_MAP_TYPE_ARRAY,
			   .ksz = 4,
			   .vsz = 8,
			   .max = 4,
			   .kinner = -1};
	struct spec s;
	struct uebpf_map *ua, *uo, *m;
	int kfd, ko, k, err, devnull;
	enum bpf_map_type types[] = {BPF_MAP_TYPE_ARRAY_OF_MAPS,
				     BPF_MAP_TYPE_HASH_OF_MAPS};
	size_t i;

	(void)state;
	need_kernel();
	ua = u_create(&arr, &err);
	if (!ua)
		skip_unsupported("map-in-map create", BPF_MAP_TYPE_ARRAY);
	kfd = k_create(&arr);
	assert_true(kfd >= 0);
	devnull = open("/dev/null", O_RDONLY);
	assert_true(devnull >= 0);
	for (i = 0; i < NELEM(types); i++) {
		const char *tn = uebpf_map_type_name(types[i]);

		s = (struct spec){types[i], 4, 4, 4, 0, 0, kfd, ua};
		m = u_create(&s, &err);
		if (!m && err == -EOPNOTSUPP)
			skip_unsupported("map-in-map create", types[i]);
		k = k_create(&s);
		if ((k < 0 ? k : 0) != err)
			diff_fail(AT,
				  "%s with an ARRAY template: kernel %s, "
				  "libuebpf %s",
				  tn, errname(k < 0 ? k : 0), errname(err));
		/* an outer map as template: one level only */
		s.kinner = k;
		s.uinner = m;
		uo = u_create(&s, &err);
		ko = k_create(&s);
		if ((ko < 0 ? ko : 0) != err)
			diff_fail(AT,
				  "%s with a map-in-map template: kernel %s, "
				  "libuebpf %s",
				  tn, errname(ko < 0 ? ko : 0), errname(err));
		if (ko >= 0)
			close(ko);
		uebpf_map_put(uo);
		close(k);
		uebpf_map_put(m);

		s = (struct spec){types[i], 4, 8, 4, 0, 0, kfd, ua};
		m = u_create(&s, &err);
		k = k_create(&s);
		if ((k < 0 ? k : 0) != err)
			diff_fail(
				AT,
				"%s with value_size 8: kernel %s, libuebpf %s",
				tn, errname(k < 0 ? k : 0), errname(err));
		if (k >= 0)
			close(k);
		uebpf_map_put(m);

		/* no template: the kernel gets an fd that is no map */
		s = (struct spec){types[i], 4, 4, 4, 0, 0, devnull, NULL};
		m = u_create(&s, &err);
		k = k_create(&s);
		if ((k < 0 ? k : 0) != err)
			diff_fail(
				AT,
				"%s without a template: kernel %s, libuebpf %s",
				tn, errname(k < 0 ? k : 0), errname(err));
		if (k >= 0)
			close(k);
		uebpf_map_put(m);
	}
	close(devnull);
	close(kfd);
	uebpf_map_put(ua);
}

/* ---- creation ------------------------------------------------------------ */

struct create_case {
	enum bpf_map_type type;
	uint32_t ksz, vsz, max, flags;
	uint64_t extra;
	bool info_only; /* print a difference, do not fail */
};

#define CC(t, k, v, m, f)                              \
	{                                              \
		BPF_MAP_TYPE_##t, k, v, m, f, 0, false \
	}

static const struct create_case create_cases[] = {
	CC(UNSPEC, 4, 4, 1, 0),
	CC(HASH, 0, 8, 4, 0),
	CC(HASH, 4, 0, 4, 0),
	CC(HASH, 4, 8, 0, 0),
	CC(HASH, 512, 8, 4, 0),
	CC(HASH, 513, 8, 4, 0),
	CC(HASH, 4, 8, 4, BPF_F_NO_PREALLOC),
	CC(HASH, 4, 8, 4, BPF_F_ZERO_SEED),
	CC(HASH, 4, 8, 4, BPF_F_NO_COMMON_LRU),
	CC(HASH, 4, 8, 4, BPF_F_MMAPABLE),
	CC(HASH, 4, 8, 4, BPF_F_RDONLY | BPF_F_WRONLY),
	CC(HASH, 4, 8, 4, BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG),
	CC(HASH, 4, 8, 4, BPF_F_RDONLY_PROG),
	CC(HASH, 4, 8, 4, BPF_F_INNER_MAP),
	CC(HASH, 4, 8, 4, 1u << 30),
	CC(HASH, 4, 1u << 22, 1, 0),
	CC(HASH, 4, 1u << 21, 1, BPF_F_NO_PREALLOC),
	{BPF_MAP_TYPE_HASH, 4, 8, 4, 0, 1, false}, /* map_extra */
	CC(PERCPU_HASH, 4, 32768, 1, 0),
	CC(PERCPU_HASH, 4, 32769, 1, 0),
	CC(PERCPU_HASH, 4, 8, 4, BPF_F_NO_PREALLOC),
	CC(PERCPU_HASH, 4, 8, 4, BPF_F_NO_COMMON_LRU),
	CC(LRU_HASH, 4, 8, 4, 0),
	CC(LRU_HASH, 4, 8, 4, BPF_F_NO_PREALLOC),
	CC(LRU_HASH, 4, 8, 4, BPF_F_NO_COMMON_LRU),
	CC(LRU_HASH, 4, 8, 1, BPF_F_NO_COMMON_LRU),
	CC(LRU_HASH, 4, 8, 4, BPF_F_ZERO_SEED),
	CC(LRU_HASH, 0, 8, 4, 0),
	CC(LRU_HASH, 4, 0, 4, 0),
	CC(LRU_HASH, 4, 8, 0, 0),
	CC(LRU_PERCPU_HASH, 4, 8, 4, BPF_F_NO_COMMON_LRU),
	CC(LRU_PERCPU_HASH, 4, 8, 4, BPF_F_NO_PREALLOC),
	CC(LRU_PERCPU_HASH, 4, 32769, 4, 0),
	CC(ARRAY, 4, 8, 4, 0),
	CC(ARRAY, 8, 8, 4, 0),
	CC(ARRAY, 0, 8, 4, 0),
	CC(ARRAY, 4, 0, 4, 0),
	CC(ARRAY, 4, 8, 0, 0),
	CC(ARRAY, 4, 8, 4, BPF_F_NO_PREALLOC),
	CC(ARRAY, 4, 8, 4, BPF_F_ZERO_SEED),
	CC(ARRAY, 4, 8, 4, BPF_F_NO_COMMON_LRU),
	CC(ARRAY, 4, 8, 4, BPF_F_MMAPABLE),
	CC(ARRAY, 4, 8, 4, BPF_F_INNER_MAP),
	CC(ARRAY, 4, 8, 4, BPF_F_RDONLY_PROG),
	CC(ARRAY, 4, 8, 4, BPF_F_WRONLY_PROG),
	CC(ARRAY, 4, 8, 4, BPF_F_RDONLY),
	CC(ARRAY, 4, 8, 4, BPF_F_WRONLY),
	CC(ARRAY, 4, 1u << 22, 1, 0),
	CC(ARRAY, 4, (1u << 22) + 1, 1, 0),
	CC(ARRAY, 4, 4, 33554944, 0),
	CC(PERCPU_ARRAY, 4, 32768, 1, 0),
	CC(PERCPU_ARRAY, 4, 32769, 1, 0),
	CC(PERCPU_ARRAY, 4, 8, 4, BPF_F_MMAPABLE),
	CC(PERCPU_ARRAY, 8, 8, 4, 0),
	CC(LPM_TRIE, 8, 8, 16, 0),
	CC(LPM_TRIE, 8, 8, 16, BPF_F_NO_PREALLOC),
	CC(LPM_TRIE, 4, 8, 16, BPF_F_NO_PREALLOC),
	CC(LPM_TRIE, 5, 8, 16, BPF_F_NO_PREALLOC),
	CC(LPM_TRIE, 260, 8, 16, BPF_F_NO_PREALLOC),
	CC(LPM_TRIE, 261, 8, 16, BPF_F_NO_PREALLOC),
	CC(LPM_TRIE, 8, 0, 16, BPF_F_NO_PREALLOC),
	CC(LPM_TRIE, 8, 8, 0, BPF_F_NO_PREALLOC),
	CC(LPM_TRIE, 8, 1u << 22, 16, BPF_F_NO_PREALLOC),
	CC(LPM_TRIE, 8, 8, 16, BPF_F_NO_PREALLOC | BPF_F_RDONLY_PROG),
	CC(LPM_TRIE, 8, 8, 16, BPF_F_NO_PREALLOC | BPF_F_MMAPABLE),
	CC(LPM_TRIE, 8, 8, 16, BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED),
	CC(QUEUE, 0, 8, 4, 0),
	CC(QUEUE, 4, 8, 4, 0),
	CC(QUEUE, 0, 0, 4, 0),
	CC(QUEUE, 0, 8, 0, 0),
	CC(QUEUE, 0, 8, 4, BPF_F_NO_PREALLOC),
	CC(QUEUE, 0, 8, 4, BPF_F_RDONLY_PROG),
	CC(QUEUE, 0, 8, 4, BPF_F_ZERO_SEED),
	CC(QUEUE, 0, (1u << 22) + 1, 4, 0),
	CC(STACK, 0, 8, 4, 0),
	CC(STACK, 8, 8, 4, 0),
	CC(STACK, 0, 8, 4, BPF_F_NO_PREALLOC),
	CC(RINGBUF, 0, 0, 4096, 0),
	CC(RINGBUF, 0, 0, 65536, 0),
	CC(RINGBUF, 0, 0, 4097, 0),
	CC(RINGBUF, 0, 0, 3 * 4096, 0),
	CC(RINGBUF, 0, 0, 2048, 0),
	CC(RINGBUF, 0, 0, 0, 0),
	CC(RINGBUF, 4, 0, 4096, 0),
	CC(RINGBUF, 0, 4, 4096, 0),
	CC(RINGBUF, 0, 0, 4096, BPF_F_NO_PREALLOC),
	CC(RINGBUF, 0, 0, 4096, BPF_F_RDONLY_PROG),
	CC(PERF_EVENT_ARRAY, 4, 4, 4, 0),
	CC(PERF_EVENT_ARRAY, 4, 8, 4, 0),
	CC(PERF_EVENT_ARRAY, 8, 4, 4, 0),
	CC(PERF_EVENT_ARRAY, 4, 4, 0, 0),
	CC(PROG_ARRAY, 4, 4, 4, 0),
	CC(PROG_ARRAY, 4, 8, 4, 0),
	CC(PROG_ARRAY, 8, 4, 4, 0),
	CC(PROG_ARRAY, 4, 4, 0, 0),
	CC(PROG_ARRAY, 4, 4, 4, BPF_F_NO_PREALLOC),
	CC(DEVMAP, 4, 4, 4, 0),
	CC(DEVMAP, 4, 8, 4, 0),
	CC(DEVMAP, 4, 12, 4, 0),
	CC(DEVMAP, 8, 4, 4, 0),
	CC(DEVMAP, 4, 4, 0, 0),
	CC(DEVMAP, 4, 4, 4, BPF_F_NO_PREALLOC),
	CC(DEVMAP, 4, 4, 4, BPF_F_RDONLY_PROG),
	CC(DEVMAP_HASH, 4, 4, 4, 0),
	CC(DEVMAP_HASH, 4, 8, 4, 0),
	CC(DEVMAP_HASH, 4, 6, 4, 0),
	CC(DEVMAP_HASH, 2, 4, 4, 0),
	CC(CPUMAP, 4, 4, 4, 0),
	CC(CPUMAP, 4, 8, 4, 0),
	CC(CPUMAP, 4, 12, 4, 0),
	CC(CPUMAP, 8, 4, 4, 0),
	CC(CPUMAP, 4, 4, 0, 0),
	CC(CPUMAP, 4, 4, 4, BPF_F_NO_PREALLOC),
	CC(XSKMAP, 4, 4, 4, 0),
	CC(XSKMAP, 4, 8, 4, 0),
	CC(XSKMAP, 8, 4, 4, 0),
	CC(XSKMAP, 4, 4, 0, 0),
	CC(XSKMAP, 4, 4, 4, BPF_F_NO_PREALLOC),
};

static void test_create_errors(void **state)
{
	const struct create_case *c;
	struct spec s;
	struct uebpf_map *m;
	int k, err, compared = 0, skipped = 0, diffs = 0;
	size_t i;

	(void)state;
	need_kernel();
	for (i = 0; i < NELEM(create_cases); i++) {
		const char *tn;

		c = &create_cases[i];
		tn = uebpf_map_type_name(c->type);
		s = (struct spec){c->type,  c->ksz,   c->vsz, c->max,
				  c->flags, c->extra, -1,     NULL};
		ulog[0] = '\0';
		m = u_create(&s, &err);
		uebpf_map_put(m);
		if (err == -EOPNOTSUPP && c->type != BPF_MAP_TYPE_UNSPEC) {
			skipped++;
			if (strict)
				fail_msg("libuebpf does not support %s", tn);
			continue;
		}
		k = k_create(&s);
		if (k >= 0)
			close(k);
		k = k < 0 ? k : 0;
		compared++;
		if (k != err) {
			print_error("create %s key %u value %u max_entries %u "
				    "flags 0x%x map_extra %llu: kernel %s, "
				    "libuebpf %s%s%s\n",
				    tn ? tn : "?", c->ksz, c->vsz, c->max,
				    c->flags, (unsigned long long)c->extra,
				    errname(k), errname(err),
				    ulog[0] ? "; libuebpf logged: " : "", ulog);
			if (!c->info_only)
				diffs++;
		}
	}
	print_message("creation: %d cases compared, %d skipped (type not in "
		      "this libuebpf build)\n",
		      compared, skipped);
	if (diffs)
		fail_msg("%d creation cases differ from the kernel", diffs);
}

/* Types the kernel has and libuebpf refuses by name; never compared. */
static void test_create_unsupported(void **state)
{
	enum bpf_map_type types[] = {
		BPF_MAP_TYPE_SOCKMAP, BPF_MAP_TYPE_SOCKHASH,
		BPF_MAP_TYPE_STACK_TRACE, BPF_MAP_TYPE_CGROUP_ARRAY};
	struct spec s = {0, 4, 4, 4, 0, 0, -1, NULL};
	size_t i;
	int err;

	(void)state;
	need_kernel();
	for (i = 0; i < NELEM(types); i++) {
		s.type = types[i];
		s.vsz = types[i] == BPF_MAP_TYPE_STACK_TRACE ? 8 : 4;
		assert_null(u_create(&s, &err));
		if (err != -EOPNOTSUPP)
			fail_msg("%s: libuebpf gives %s, expected -EOPNOTSUPP",
				 uebpf_map_type_name(types[i]), errname(err));
	}
	/* a type number nobody knows */
	s.type = (enum bpf_map_type)9999;
	assert_null(u_create(&s, &err));
	cmp_rc(&(struct pair){.name = "type 9999"}, "create", NULL,
	       k_create(&s), err, AT);
}

/* ---- permissions: freeze, RDONLY, WRONLY -----------------------------------
 */

static void perms_common(const char *name, enum bpf_map_type type)
{
	struct pair p;
	uint32_t key = 1, kn, un, kc, uc;
	uint64_t v = 5, kv[8], uv[8];
	uint32_t kk[8], uk[8], kout, uout;
	LIBBPF_OPTS(bpf_map_batch_opts, kopts);
	UEBPF_OPTS(uebpf_map_batch_opts, uopts);
	uint32_t modes[] = {0, BPF_F_RDONLY, BPF_F_WRONLY};
	size_t i;
	int krc, urc, freeze;

	for (freeze = 0; freeze < 2; freeze++)
		for (i = 0; i < NELEM(modes); i++) {
			char nm[64];

			if (freeze && modes[i])
				continue;
			snprintf(nm, sizeof(nm), "%s%s", name,
				 freeze			    ? " frozen"
				 : modes[i] == BPF_F_RDONLY ? " RDONLY"
				 : modes[i] == BPF_F_WRONLY ? " WRONLY"
							    : "");
			PAIR(&p, nm, .type = type, .ksz = 4, .vsz = 8, .max = 4,
			     .flags = modes[i]);
			UPDATE(&p, &key, &v, BPF_ANY);
			if (freeze) {
				krc = bpf_map_freeze(p.fd);
				urc = uebpf_map_freeze(p.m);
				cmp_rc(&p, "freeze", NULL, krc, urc, AT);
			}
			UPDATE(&p, &key, &v, BPF_ANY);
			key = 2;
			UPDATE(&p, &key, &v, BPF_ANY);
			key = 1;
			LOOKUP(&p, &key);
			do_next(&p, NULL, &kn, &un, false, AT);
			DELETE(&p, &key);
			LOOKUP_AND_DELETE(&p, &key);
			kc = uc = 8; /* more than there is: ends with -ENOENT */
			krc = bpf_map_lookup_batch(p.fd, NULL, &kout, kk, kv,
						   &kc, &kopts);
			urc = uebpf_map_lookup_batch(p.m, NULL, &uout, uk, uv,
						     &uc, &uopts);
			cmp_rc(&p, "lookup_batch", NULL, krc, urc, AT);
			kc = uc = 1;
			krc = bpf_map_update_batch(p.fd, &key, &v, &kc, &kopts);
			urc = uebpf_map_update_batch(p.m, &key, &v, &uc,
						     &uopts);
			cmp_rc(&p, "update_batch", NULL, krc, urc, AT);
			krc = bpf_map_freeze(p.fd);
			urc = uebpf_map_freeze(p.m);
			cmp_rc(&p, "freeze (again)", NULL, krc, urc, AT);
			UPDATE(&p, &key, &v, BPF_ANY);
			pair_close(&p);
		}
}

static void test_perms_array(void **state)
{
	(void)state;
	need_kernel();
	perms_common("ARRAY(4,8,4)", BPF_MAP_TYPE_ARRAY);
}

static void test_perms_hash(void **state)
{
	(void)state;
	need_kernel();
	perms_common("HASH(4,8,4)", BPF_MAP_TYPE_HASH);
}

/* BPF_F_RDONLY_PROG / WRONLY_PROG restrict programs, not the host. */
static void test_prog_flags_host(void **state)
{
	struct pair p;
	uint32_t key = 0, kn, un;
	uint64_t v = 9;

	(void)state;
	need_kernel();
	PAIR(&p, "ARRAY(4,8,2,RDONLY_PROG)", .type = BPF_MAP_TYPE_ARRAY,
	     .ksz = 4, .vsz = 8, .max = 2, .flags = BPF_F_RDONLY_PROG);
	UPDATE(&p, &key, &v, BPF_ANY);
	LOOKUP(&p, &key);
	do_next(&p, &key, &kn, &un, true, AT);
	pair_close(&p);
	PAIR(&p, "HASH(4,8,2,WRONLY_PROG)", .type = BPF_MAP_TYPE_HASH, .ksz = 4,
	     .vsz = 8, .max = 2, .flags = BPF_F_WRONLY_PROG);
	UPDATE(&p, &key, &v, BPF_ANY);
	LOOKUP(&p, &key);
	DELETE(&p, &key);
	pair_close(&p);
}

/* ---- RINGBUF element calls ------------------------------------------------
 */

static void test_ringbuf_elem_ops(void **state)
{
	struct pair p;
	uint8_t kn[8], un[8];

	(void)state;
	need_kernel();
	PAIR(&p, "RINGBUF(4096)", .type = BPF_MAP_TYPE_RINGBUF, .ksz = 0,
	     .vsz = 0, .max = 4096);
	/* value_size 0: give both a buffer anyway */
	p.hvsz = 8;
	LOOKUP(&p, NULL);
	UPDATE(&p, NULL, kn, BPF_ANY);
	DELETE(&p, NULL);
	do_next(&p, NULL, kn, un, true, AT);
	LOOKUP_AND_DELETE(&p, NULL);
	cmp_rc(&p, "freeze", NULL, bpf_map_freeze(p.fd), uebpf_map_freeze(p.m),
	       AT);
	pair_close(&p);
}

/* ---- randomized sequences --------------------------------------------------
 */

/* n random host-side operations applied to both maps; keys drawn from a
 * domain larger than max_entries so that full maps are hit. */
static void random_ops(struct pair *p, int n, uint32_t key_domain,
		       bool same_order)
{
	uint8_t key[8] = {0}, kn[8], un[8];
	uint8_t *val = calloc(1, p->hvsz);
	uint64_t flag_set[] = {BPF_ANY,	  BPF_ANY, BPF_NOEXIST,
			       BPF_EXIST, 3,	   BPF_F_LOCK};
	int i, stats[8] = {0};

	assert_non_null(val);
	for (i = 0; i < n; i++) {
		uint64_t r = rnd(), kv = r % key_domain;
		unsigned int op = (r >> 16) % 100;
		size_t b;

		memcpy(key, &kv, p->s.ksz < 8 ? p->s.ksz : 8);
		if (op < 40) {
			for (b = 0; b < p->hvsz; b++)
				val[b] = (uint8_t)(rnd() >> 8);
			if (is_percpu(p->s.type)) /* padding: zero */
				for (b = 0; b < p->hvsz; b++)
					if (b % ((p->s.vsz + 7) & ~7u) >=
					    p->s.vsz)
						val[b] = 0;
			stats[0] +=
				!UPDATE(p, key, val,
					flag_set[(r >> 24) % NELEM(flag_set)]);
		} else if (op < 65) {
			stats[1] += !LOOKUP(p, key);
		} else if (op < 80) {
			stats[2] += !DELETE(p, key);
		} else if (op < 90) {
			stats[3] += !LOOKUP_AND_DELETE(p, key);
		} else if (op < 95) {
			/* the successor depends on the order; from NULL the
			 * rc only says whether the map is empty */
			do_next(p, same_order ? key : NULL, kn, un, same_order,
				AT);
		} else {
			cmp_iteration(p, same_order, AT);
		}
	}
	cmp_iteration(p, same_order, AT);
	print_message("%s: %d random ops: %d updates, %d lookups, %d deletes, "
		      "%d lookup_and_delete succeeded\n",
		      p->name, n, stats[0], stats[1], stats[2], stats[3]);
	free(val);
}

static void test_random_hash(void **state)
{
	struct pair p;

	(void)state;
	need_kernel();
	rnd_state = seed;
	print_message("seed %llu (UEBPF_DIFF_SEED)\n", seed);
	PAIR(&p, "HASH(8,16,64)", .type = BPF_MAP_TYPE_HASH, .ksz = 8,
	     .vsz = 16, .max = 64);
	random_ops(&p, 2000, 96, false);
	pair_close(&p);
	PAIR(&p, "HASH(8,16,64,NO_PREALLOC)", .type = BPF_MAP_TYPE_HASH,
	     .ksz = 8, .vsz = 16, .max = 64, .flags = BPF_F_NO_PREALLOC);
	random_ops(&p, 2000, 96, false);
	pair_close(&p);
}

static void test_random_others(void **state)
{
	struct pair p;

	(void)state;
	need_kernel();
	rnd_state = seed + 1;
	PAIR(&p, "ARRAY(4,16,32)", .type = BPF_MAP_TYPE_ARRAY, .ksz = 4,
	     .vsz = 16, .max = 32);
	random_ops(&p, 2000, 40, true);
	pair_close(&p);
	PAIR(&p, "PERCPU_ARRAY(4,12,32)", .type = BPF_MAP_TYPE_PERCPU_ARRAY,
	     .ksz = 4, .vsz = 12, .max = 32);
	random_ops(&p, 2000, 40, true);
	pair_close(&p);
	PAIR(&p, "PERCPU_HASH(4,12,32)", .type = BPF_MAP_TYPE_PERCPU_HASH,
	     .ksz = 4, .vsz = 12, .max = 32);
	random_ops(&p, 2000, 48, false);
	pair_close(&p);
}

/* ---- setup ----------------------------------------------------------------
 */

static int group_setup(void **state)
{
	const char *e;
	int fd;

	(void)state;
	e = getenv("UEBPF_DIFF_STRICT");
	strict = e && *e && *e != '0';
	e = getenv("UEBPF_DIFF_KEEP_GOING");
	keep_going = e && *e && *e != '0';
	e = getenv("UEBPF_DIFF_SEED");
	if (e && *e)
		seed = strtoull(e, NULL, 0);
	/* The kernel's LRU keeps per-CPU lists; this thread is libuebpf's
	 * slot 0, so run every syscall on one CPU too: both then see one
	 * CPU's history. */
	{
		cpu_set_t set;
		int cpu = sched_getcpu();

		CPU_ZERO(&set);
		CPU_SET(cpu >= 0 ? cpu : 0, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			perror("test_map_kernel_diff: sched_setaffinity");
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		snprintf(no_kernel, sizeof(no_kernel),
			 "cannot count the possible CPUs: %s", errname(ncpus));
		ncpus = 1;
	} else {
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "probe", 4, 4, 1, NULL);
		if (fd < 0)
			snprintf(no_kernel, sizeof(no_kernel),
				 "kernel maps unavailable: bpf(BPF_MAP_CREATE) "
				 "gives %s (%s)%s",
				 errname(fd), strerror(-fd),
				 fd == -EPERM ? "; needs CAP_BPF" : "");
		else
			close(fd);
	}
	if (no_kernel[0])
		fprintf(stderr, "test_map_kernel_diff: every test skips: %s\n",
			no_kernel);
	{
		UEBPF_OPTS(uebpf_runtime_opts, o, .nr_cpus = ncpus,
			   .log_fn = log_fn);
		rt = uebpf_runtime_new(&o);
	}
	return rt ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	uebpf_runtime_free(rt);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_array, test_teardown),
		cmocka_unit_test_teardown(test_percpu_array, test_teardown),
		cmocka_unit_test_teardown(test_array_batch, test_teardown),
		cmocka_unit_test_teardown(test_hash, test_teardown),
		cmocka_unit_test_teardown(test_hash_no_prealloc, test_teardown),
		cmocka_unit_test_teardown(test_hash_batch, test_teardown),
		cmocka_unit_test_teardown(test_percpu_hash, test_teardown),
		cmocka_unit_test_teardown(test_lru_hash, test_teardown),
		cmocka_unit_test_teardown(test_lru_hash_no_common,
					  test_teardown),
		cmocka_unit_test_teardown(test_lru_host_lookup_no_ref,
					  test_teardown),
		cmocka_unit_test_teardown(test_lru_percpu_hash, test_teardown),
		cmocka_unit_test_teardown(test_lpm_trie, test_teardown),
		cmocka_unit_test_teardown(test_lpm_trie_full, test_teardown),
		cmocka_unit_test_teardown(test_queue, test_teardown),
		cmocka_unit_test_teardown(test_stack, test_teardown),
		cmocka_unit_test_teardown(test_array_of_maps, test_teardown),
		cmocka_unit_test_teardown(test_hash_of_maps, test_teardown),
		cmocka_unit_test_teardown(test_map_in_map_create,
					  test_teardown),
		cmocka_unit_test_teardown(test_create_errors, test_teardown),
		cmocka_unit_test_teardown(test_create_unsupported,
					  test_teardown),
		cmocka_unit_test_teardown(test_perms_array, test_teardown),
		cmocka_unit_test_teardown(test_perms_hash, test_teardown),
		cmocka_unit_test_teardown(test_prog_flags_host, test_teardown),
		cmocka_unit_test_teardown(test_ringbuf_elem_ops, test_teardown),
		cmocka_unit_test_teardown(test_random_hash, test_teardown),
		cmocka_unit_test_teardown(test_random_others, test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
