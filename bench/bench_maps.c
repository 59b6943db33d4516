/* SPDX-License-Identifier: MIT */
/*
 * bench_maps: nanoseconds per host-side map operation in libuebpf, side by
 * side with the same operation on a kernel map through libbpf.
 *
 *   bench_maps [--quick] [TYPE...]
 *	--quick: 1K entries only, fewer operations; TYPE: only these map
 *	types (HASH, LRU_HASH, ...), all by default
 *
 * For each map type, at 1K and 1M entries: host-side lookup and update
 * (BPF_ANY on existing keys) of keys drawn at random from the populated set
 * (pre-generated, not sequential), and for the LRU hashes an update on a
 * full map with keys never seen before (each one evicts).  Hash keys are 16
 * bytes, array keys 4, LPM_TRIE keys an IPv4 prefix (4 + 4 bytes); values 8
 * bytes.  libuebpf runs with as many CPU slots as the kernel has possible
 * CPUs, so per-CPU values have the same layout on both sides.
 *
 * The kernel column goes through bpf(2): one syscall per operation, which
 * dominates; it is printed for scale, labelled "kernel (syscall)", with the
 * ratio kernel / libuebpf.  Best of 3 runs on both sides.  Targets are
 * reported, never asserted: the exit status is 0 unless an operation fails.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "uebpf.h"

#define RUNS   3
#define KSZ    16
#define VSZ    8
#define NINNER 4

static unsigned int u_ops = 1u << 21; /* operations per timed run */
static unsigned int k_ops = 1u << 17;
static int ncpus;
static bool have_kernel;
static char no_kernel[160];
static struct uebpf_runtime *rt;
static uint64_t sink;
static int failures;

static uint64_t mix64(uint64_t z)
{
	/* splitmix64's finalizer: a bijection, so distinct i, distinct keys */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void key16(uint64_t i, uint8_t *k)
{
	uint64_t a = mix64(i), b = mix64(i ^ 0x5555555555555555ull);

	memcpy(k, &a, 8);
	memcpy(k + 8, &b, 8);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ---- what one benchmark needs ------------------------------------- */

enum kind { K_ARRAY, K_HASH, K_LPM, K_HOM };

struct bcase {
	const char *name;
	enum bpf_map_type type;
	enum kind kind;
	bool lookup, update, lru_full;
};

static const struct bcase cases[] = {
	{"ARRAY", BPF_MAP_TYPE_ARRAY, K_ARRAY, true, true, false},
	{"PERCPU_ARRAY", BPF_MAP_TYPE_PERCPU_ARRAY, K_ARRAY, true, true, false},
	{"HASH", BPF_MAP_TYPE_HASH, K_HASH, true, true, false},
	{"PERCPU_HASH", BPF_MAP_TYPE_PERCPU_HASH, K_HASH, true, true, false},
	{"LRU_HASH", BPF_MAP_TYPE_LRU_HASH, K_HASH, true, true, true},
	{"LRU_PERCPU_HASH", BPF_MAP_TYPE_LRU_PERCPU_HASH, K_HASH, true, true,
	 true},
	{"LPM_TRIE", BPF_MAP_TYPE_LPM_TRIE, K_LPM, true, false, false},
	{"HASH_OF_MAPS", BPF_MAP_TYPE_HASH_OF_MAPS, K_HOM, true, false, false},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* One side of the comparison: a libuebpf map or a kernel fd. */
struct side {
	bool kernel;
	struct uebpf_map *m;
	int fd;
};

static int s_lookup(struct side *s, const void *k, void *v)
{
	return s->kernel ? bpf_map_lookup_elem(s->fd, k, v)
			 : uebpf_map_lookup_elem(s->m, k, v);
}

static int s_update(struct side *s, const void *k, const void *v,
		    uint64_t flags)
{
	return s->kernel ? bpf_map_update_elem(s->fd, k, v, flags)
			 : uebpf_map_update_elem(s->m, k, v, flags);
}

static uint32_t key_size(const struct bcase *c)
{
	return c->kind == K_ARRAY ? 4 : c->kind == K_LPM ? 8 : KSZ;
}

static uint32_t value_size(const struct bcase *c)
{
	return c->kind == K_HOM ? 4 : VSZ;
}

/* Host-side value bytes: per-CPU maps carry one 8-byte value per CPU. */
static size_t host_vsz(const struct bcase *c)
{
	if (c->type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	    c->type == BPF_MAP_TYPE_PERCPU_HASH ||
	    c->type == BPF_MAP_TYPE_LRU_PERCPU_HASH)
		return (size_t)VSZ * ncpus;
	return value_size(c);
}

/* The key of element i of the populated set. */
static void elem_key(const struct bcase *c, uint64_t i, uint8_t *k)
{
	uint32_t idx = (uint32_t)i, len, addr;

	switch (c->kind) {
	case K_ARRAY: memcpy(k, &idx, 4); break;
	case K_LPM:
		/* /16../32 prefixes; host bits cleared */
		len = 16 + mix64(i) % 17;
		addr = (uint32_t)mix64(i ^ 0xabcdef) & (~0u << (32 - len));
		memcpy(k, &len, 4);
		k[4] = addr >> 24;
		k[5] = addr >> 16;
		k[6] = addr >> 8;
		k[7] = addr;
		break;
	default: key16(i, k); break;
	}
}

/* A lookup key for element i: LPM looks up a /32 inside the prefix. */
static void lookup_key(const struct bcase *c, uint64_t i, uint8_t *k)
{
	uint32_t len, addr;

	elem_key(c, i, k);
	if (c->kind != K_LPM)
		return;
	memcpy(&len, k, 4);
	addr = (uint32_t)k[4] << 24 | (uint32_t)k[5] << 16 |
	       (uint32_t)k[6] << 8 | k[7];
	if (len < 32)
		addr |= (uint32_t)rnd() & (~0u >> len);
	len = 32;
	memcpy(k, &len, 4);
	k[4] = addr >> 24;
	k[5] = addr >> 16;
	k[6] = addr >> 8;
	k[7] = addr;
}

struct inner {
	struct uebpf_map *m[NINNER];
	int fd[NINNER];
};

static int make_side(struct side *s, const struct bcase *c, uint32_t n,
		     bool kernel, struct inner *in)
{
	uint32_t flags = c->kind == K_LPM ? BPF_F_NO_PREALLOC : 0;

	memset(s, 0, sizeof(*s));
	s->kernel = kernel;
	s->fd = -1;
	if (kernel) {
		LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);

		if (c->kind == K_HOM)
			o.inner_map_fd = in->fd[0];
		s->fd = bpf_map_create(c->type, "bench", key_size(c),
				       value_size(c), n, &o);
		return s->fd < 0 ? s->fd : 0;
	} else {
		UEBPF_OPTS(uebpf_map_create_opts, o, .map_flags = flags);

		if (c->kind == K_HOM)
			o.inner_map = in->m[0];
		s->m = uebpf_map_create(rt, c->type, "bench", key_size(c),
					value_size(c), n, &o);
		return s->m ? 0 : -errno;
	}
}

static void free_side(struct side *s)
{
	if (s->kernel && s->fd >= 0)
		close(s->fd);
	if (!s->kernel)
		uebpf_map_put(s->m);
}

/* Element i's value: its index (map-in-map: one of the inner maps). */
static void elem_val(struct side *s, const struct bcase *c, uint32_t i,
		     struct inner *in, uint8_t *v)
{
	uint32_t id;

	if (c->kind == K_HOM) {
		id = s->kernel ? (uint32_t)in->fd[i % NINNER]
			       : uebpf_map_id(in->m[i % NINNER]);
		memcpy(v, &id, 4);
	} else {
		memcpy(v, &i, sizeof(i));
	}
}

/* The kernel side goes by batches where the type has them: an update of a
 * map-in-map waits for an RCU grace period, once per syscall. */
#define POP_CHUNK 4096

static int populate(struct side *s, const struct bcase *c, uint32_t n,
		    struct inner *in)
{
	size_t ksz = key_size(c), hv = host_vsz(c);
	uint8_t *k = calloc(POP_CHUNK, ksz), *v = calloc(POP_CHUNK, hv);
	bool batch = s->kernel;
	uint32_t i, j, cnt;
	int err = 0;

	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < n && !err; i += cnt) {
		cnt = n - i < POP_CHUNK ? n - i : POP_CHUNK;
		for (j = 0; j < cnt; j++) {
			elem_key(c, i + j, k + j * ksz);
			elem_val(s, c, i + j, in, v + j * hv);
		}
		if (batch) {
			LIBBPF_OPTS(bpf_map_batch_opts, o);
			uint32_t done = cnt;

			err = bpf_map_update_batch(s->fd, k, v, &done, &o);
			if (!err)
				continue;
			batch = false; /* no batches for this type */
			err = 0;
		}
		for (j = 0; j < cnt && !err; j++)
			err = s_update(s, k + j * ksz, v + j * hv, BPF_ANY);
	}
	free(k);
	free(v);
	return err;
}

/* ---- timing ------------------------------------------------------- */

enum op { OP_LOOKUP, OP_UPDATE, OP_LRU_FULL };

/* Best ns/op of RUNS runs; keys: nops pre-generated keys per run (for
 * OP_LRU_FULL, RUNS x nops fresh ones). */
static double time_op(struct side *s, const struct bcase *c, enum op op,
		      const uint8_t *keys, unsigned int nops)
{
	size_t ksz = key_size(c), hv = host_vsz(c);
	uint8_t *v = calloc(1, hv);
	double best = 1e30, t0, t;
	unsigned int i, r, misses = 0;
	int err;

	if (!v)
		return -1;
	for (r = 0; r < RUNS; r++) {
		const uint8_t *kr =
			op == OP_LRU_FULL ? keys + r * nops * ksz : keys;

		t0 = now_ns();
		for (i = 0; i < nops; i++) {
			const uint8_t *k = kr + (size_t)i * ksz;

			if (op == OP_LOOKUP) {
				err = s_lookup(s, k, v);
				if (err == -ENOENT)
					misses++;
				else if (err)
					goto fail;
				sink += v[0];
			} else {
				v[0] = (uint8_t)i;
				err = s_update(s, k, v, BPF_ANY);
				if (err)
					goto fail;
			}
		}
		t = (now_ns() - t0) / nops;
		if (t < best)
			best = t;
	}
	/* LRU maps may have evicted a few of the populated keys */
	if (misses && !c->lru_full)
		fprintf(stderr, "bench_maps: %s: %u lookups found nothing\n",
			c->name, misses);
	free(v);
	return best;
fail:
	fprintf(stderr, "bench_maps: %s %s %s failed: %s\n",
		s->kernel ? "kernel" : "libuebpf", c->name,
		op == OP_LOOKUP ? "lookup" : "update", strerror(-err));
	failures++;
	free(v);
	return -1;
}

/* ---- the table ---------------------------------------------------- */

static double hash_lookup_1m = -1, lru_full_1m = -1;

static void row(const char *name, uint32_t n, const char *op, double u,
		double k)
{
	char us[24], ks[24], ratio[24];

	if (u >= 0)
		snprintf(us, sizeof(us), "%.1f", u);
	else
		snprintf(us, sizeof(us), "n/a");
	if (k >= 0)
		snprintf(ks, sizeof(ks), "%.1f", k);
	else
		snprintf(ks, sizeof(ks), "n/a");
	if (u > 0 && k > 0)
		snprintf(ratio, sizeof(ratio), "%.1fx", k / u);
	else
		snprintf(ratio, sizeof(ratio), "-");
	printf("%-16s %8s  %-14s %14s %18s %10s\n", name,
	       n >= 1u << 20 ? "1M" : "1K", op, us, ks, ratio);
	fflush(stdout);
}

static uint8_t *gen_keys(const struct bcase *c, uint32_t n, unsigned int nops,
			 uint64_t first_fresh)
{
	size_t ksz = key_size(c);
	uint8_t *keys = malloc((size_t)nops * ksz);
	unsigned int i;

	if (!keys) {
		perror("bench_maps: malloc");
		exit(1);
	}
	for (i = 0; i < nops; i++) {
		uint64_t e = first_fresh ? first_fresh + i : rnd() % n;

		if (first_fresh)
			elem_key(c, e, keys + (size_t)i * ksz);
		else
			lookup_key(c, e, keys + (size_t)i * ksz);
	}
	return keys;
}

static void bench_case(const struct bcase *c, uint32_t n, struct inner *in)
{
	struct side us, ks;
	double res[2][3];
	uint8_t *keys = NULL, *ukeys = NULL;
	int err, side, o;
	unsigned int nops[2] = {u_ops, k_ops};

	for (side = 0; side < 2; side++)
		for (o = 0; o < 3; o++)
			res[side][o] = -1;
	err = make_side(&us, c, n, false, in);
	if (err) {
		printf("%-16s %8s  (libuebpf: %s)\n", c->name,
		       n >= 1u << 20 ? "1M" : "1K", strerror(-err));
		return;
	}
	if (populate(&us, c, n, in)) {
		fprintf(stderr, "bench_maps: libuebpf %s: populating failed\n",
			c->name);
		failures++;
		free_side(&us);
		return;
	}
	ks.kernel = true;
	ks.fd = -1;
	if (have_kernel && (err = make_side(&ks, c, n, true, in)) == 0)
		err = populate(&ks, c, n, in);
	if (have_kernel && err)
		fprintf(stderr, "bench_maps: kernel %s at %u: %s\n", c->name, n,
			strerror(-err));
	keys = gen_keys(c, n, u_ops, 0);
	for (side = 0; side < 2; side++) {
		struct side *s = side ? &ks : &us;

		if (side && (!have_kernel || ks.fd < 0))
			break;
		if (c->lookup)
			res[side][0] =
				time_op(s, c, OP_LOOKUP, keys, nops[side]);
		if (c->update)
			res[side][1] =
				time_op(s, c, OP_UPDATE, keys, nops[side]);
		if (c->lru_full) {
			/* full already: n keys went in; these are new */
			ukeys = gen_keys(c, n, RUNS * nops[side],
					 (uint64_t)n + 1 + side * (1ull << 32));
			res[side][2] =
				time_op(s, c, OP_LRU_FULL, ukeys, nops[side]);
			free(ukeys);
		}
	}
	if (c->lookup)
		row(c->name, n, "lookup", res[0][0], res[1][0]);
	if (c->update)
		row(c->name, n, "update", res[0][1], res[1][1]);
	if (c->lru_full)
		row(c->name, n, "update (full)", res[0][2], res[1][2]);
	if (n >= 1u << 20 && c->type == BPF_MAP_TYPE_HASH)
		hash_lookup_1m = res[0][0];
	if (n >= 1u << 20 && c->type == BPF_MAP_TYPE_LRU_HASH)
		lru_full_1m = res[0][2];
	free(keys);
	free_side(&us);
	if (ks.fd >= 0)
		close(ks.fd);
}

/* What the machine's memory costs, for reading the 1M rows: random reads
 * in 64 MiB, independent (misses overlap, as consecutive lookups can) and
 * as a dependent chain (one miss after the other). */
static void memory_baseline(void)
{
	size_t n = (64u << 20) / sizeof(uint64_t), i;
	uint64_t *buf = malloc(n * sizeof(*buf)), x = 0, sum = 0;
	unsigned int nops = u_ops, r;
	double t0, ind = 1e30, dep = 1e30, t;

	if (!buf)
		return;
	/* a random cycle through every slot (Sattolo) */
	for (i = 0; i < n; i++)
		buf[i] = i;
	for (i = n - 1; i > 0; i--) {
		size_t j = rnd() % i;
		uint64_t tmp = buf[i];

		buf[i] = buf[j];
		buf[j] = tmp;
	}
	for (r = 0; r < RUNS; r++) {
		t0 = now_ns();
		for (i = 0; i < nops; i++)
			sum += buf[mix64(i + r) & (n - 1)];
		t = (now_ns() - t0) / nops;
		ind = t < ind ? t : ind;
		t0 = now_ns();
		for (i = 0; i < nops; i++)
			x = buf[x];
		t = (now_ns() - t0) / nops;
		dep = t < dep ? t : dep;
	}
	sink += sum + x;
	printf("memory: random 8-byte reads in 64 MiB: %.1f ns independent, "
	       "%.1f ns dependent\n",
	       ind, dep);
	free(buf);
}

static void target(const char *what, double got, double want)
{
	if (got < 0)
		printf("  %-36s <= %5.0f ns: not measured\n", what, want);
	else
		printf("  %-36s <= %5.0f ns: %6.1f ns  %s\n", what, want, got,
		       got <= want ? "met" : "MISSED");
}

int main(int argc, char **argv)
{
	struct inner in;
	uint32_t sizes[] = {1u << 10, 1u << 20};
	unsigned int nsizes = 2, i, j;
	bool only[NCASES] = {false}, wanted = false;
	int fd, a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--quick")) {
			nsizes = 1;
			u_ops = 1u << 16;
			k_ops = 1u << 12;
			continue;
		}
		for (i = 0; i < NCASES; i++)
			if (!strcmp(argv[a], cases[i].name))
				break;
		if (i == NCASES) {
			fprintf(stderr,
				"usage: bench_maps [--quick] [TYPE...]\n");
			return 2;
		}
		only[i] = wanted = true;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		ncpus = (int)sysconf(_SC_NPROCESSORS_CONF);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "probe", 4, 4, 1, NULL);
	have_kernel = fd >= 0;
	if (fd >= 0)
		close(fd);
	else
		snprintf(no_kernel, sizeof(no_kernel), "%s%s", strerror(-fd),
			 fd == -EPERM ? " (needs CAP_BPF)" : "");
	{
		UEBPF_OPTS(uebpf_runtime_opts, o, .nr_cpus = ncpus,
			   .log_quiet = true);
		rt = uebpf_runtime_new(&o);
	}
	if (!rt) {
		perror("bench_maps: uebpf_runtime_new");
		return 1;
	}
	/* inner maps of HASH_OF_MAPS */
	memset(&in, 0, sizeof(in));
	for (i = 0; i < NINNER; i++) {
		in.m[i] = uebpf_map_create(rt, BPF_MAP_TYPE_ARRAY, "inner", 4,
					   8, 16, NULL);
		in.fd[i] = have_kernel ? bpf_map_create(BPF_MAP_TYPE_ARRAY,
							"inner", 4, 8, 16, NULL)
				       : -1;
	}

	printf("bench_maps: host-side map operations, ns/op, best of %d runs; "
	       "%d CPU slots (per-CPU values: %d x 8 bytes)\n",
	       RUNS, ncpus, ncpus);
	printf("keys: hash 16 bytes, array 4, LPM_TRIE IPv4 prefix 8; values 8 "
	       "bytes; random keys from a pre-generated array\n");
	printf("libuebpf: %u ops per run; kernel: %u ops per run%s%s\n", u_ops,
	       k_ops, have_kernel ? "" : "; kernel n/a: ",
	       have_kernel ? "" : no_kernel);
	if (nsizes > 1)
		memory_baseline();
	printf("\n%-16s %8s  %-14s %14s %18s %10s\n", "map", "entries", "op",
	       "libuebpf", "kernel (syscall)", "ratio");
	printf("%-16s %8s  %-14s %14s %18s %10s\n", "", "", "", "ns/op",
	       "ns/op", "k/u");
	for (j = 0; j < nsizes; j++)
		for (i = 0; i < NCASES; i++) {
			if (wanted && !only[i])
				continue;
			if (cases[i].kind == K_HOM && !in.m[0]) {
				printf("%-16s %8s  (libuebpf: no ARRAY for the "
				       "inner maps)\n",
				       cases[i].name,
				       sizes[j] >= 1u << 20 ? "1M" : "1K");
				continue;
			}
			bench_case(&cases[i], sizes[j], &in);
		}
	printf("\ntargets (libuebpf, reported, not asserted):\n");
	target("HASH lookup at 1M entries", hash_lookup_1m, 25);
	target("LRU_HASH update on a full map at 1M", lru_full_1m, 100);
	for (i = 0; i < NINNER; i++) {
		uebpf_map_put(in.m[i]);
		if (in.fd[i] >= 0)
			close(in.fd[i]);
	}
	uebpf_runtime_free(rt);
	if (sink == 42)
		printf("\n"); /* keeps the lookups from being optimised away */
	return failures ? 1 : 0;
}
