/* SPDX-License-Identifier: MIT */
/*
 * Maps under concurrency, built with ThreadSanitizer (make check-tsan) and
 * with ASan/UBSan (make check):
 *
 *   map_stress [seconds]      (default 3)
 *
 * NWORKERS threads, each bound to its own CPU slot (uebpf_this_cpu), do
 * what programs do (lookups in place and updates through the ops table,
 * inside an epoch section) and what a host's fast path does (copying
 * lookups through the public API) on HASH, LRU_HASH, ARRAY and
 * PERCPU_ARRAY, while the main thread, the control plane, updates, deletes
 * and walks the maps with get_next_key from the host side.  Checked:
 *  - every value found belongs to the key it was found under, and values
 *    of the hash maps, which replace an element whole, are never torn (the
 *    two 8-byte halves of a value are always written equal), even when
 *    read again after the control plane may have deleted the element;
 *  - a per-CPU slot holds only what its worker or the host wrote;
 *  - return codes are the ones the kernel could give (an LRU update never
 *    fails for lack of room);
 *  - every get_next_key walk ends within 4 x max_entries steps (a pass
 *    that restarts because the LRU evicted its current key gets its own);
 *  - once quiet, no map holds more than max_entries elements.
 * Torn ARRAY values are counted, not failed: the kernel updates array
 * values in place and does not promise whole-value atomicity either.
 * Exit status 0 on success; one summary line on stdout, problems on
 * stderr.  UEBPF_STRESS_PARTIAL=1 leaves out map types the build lacks.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/internal.h"
#include "../../maps/map.h"

#define NWORKERS 4
#define CONTROL	 NWORKERS /* writer id of the control plane */

#define HASH_MAX  1024
#define HASH_KEYS 1280 /* more keys than room: -E2BIG happens */
#define LRU_MAX	  512
#define LRU_KEYS  576 /* a few more than room: evictions happen */
#define ARRAY_MAX 256
#define PCPU_MAX  64

enum { M_HASH, M_LRU, M_ARRAY, M_PCPU, NMAPS };

static const char *const map_names[NMAPS] = {"HASH", "LRU_HASH", "ARRAY",
					     "PERCPU_ARRAY"};
static struct uebpf_runtime *rt;
static struct uebpf_map *maps[NMAPS];
static atomic_bool stop;
static atomic_int nerrors;
static atomic_uint_fast64_t nops[NMAPS], ntorn_array, nctl_ops, niter;
static atomic_uint_fast64_t max_steps_seen, nrestarts;

/* A value: two equal words, each key(32) | writer(8) | sequence(24). */
struct val {
	uint64_t w[2];
};

static uint64_t word(uint32_t key, unsigned int writer, uint32_t seq)
{
	return (uint64_t)key << 32 | (uint64_t)(writer & 0xff) << 24 |
	       (seq & 0xffffff);
}

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	va_list ap;

	/* print the first few only; the count says the rest */
	if (atomic_fetch_add(&nerrors, 1) >= 20)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "map_stress: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/*
 * Checks one value read under key.  mem: read from map memory in place
 * (atomic 8-byte loads: a program's loads race with writers by design);
 * otherwise a host-side copy.  whole: the two halves must match.  slot: for
 * PERCPU_ARRAY, the CPU slot the value belongs to (-1 otherwise).
 */
static bool check_val(int m, uint32_t key, const void *v, bool mem, int slot,
		      const char *where)
{
	uint64_t w[2];
	int i;

	if (mem) {
		w[0] = __atomic_load_n((const uint64_t *)v, __ATOMIC_RELAXED);
		w[1] = __atomic_load_n((const uint64_t *)v + 1,
				       __ATOMIC_RELAXED);
	} else {
		memcpy(w, v, sizeof(w));
	}
	for (i = 0; i < 2; i++) {
		unsigned int wr = (w[i] >> 24) & 0xff;

		/* array elements never written are zero */
		if (!w[i] && (m == M_ARRAY || m == M_PCPU))
			continue;
		if (w[i] >> 32 != key) {
			report("%s %s key %u: value %016" PRIx64 " %016" PRIx64
			       " belongs to another key",
			       map_names[m], where, key, w[0], w[1]);
			return false;
		}
		if (slot >= 0 && wr != (unsigned int)slot && wr != CONTROL) {
			report("%s %s key %u: CPU slot %d holds %016" PRIx64
			       " %016" PRIx64 ", written by another slot",
			       map_names[m], where, key, slot, w[0], w[1]);
			return false;
		}
	}
	if (w[0] != w[1]) {
		if (m == M_HASH || m == M_LRU) {
			report("%s %s key %u: torn value %016" PRIx64
			       " %016" PRIx64,
			       map_names[m], where, key, w[0], w[1]);
			return false;
		}
		atomic_fetch_add_explicit(&ntorn_array, 1,
					  memory_order_relaxed);
	}
	return true;
}

static uint32_t key_domain(int m)
{
	switch (m) {
	case M_HASH: return HASH_KEYS;
	case M_LRU: return LRU_KEYS;
	case M_ARRAY: return ARRAY_MAX;
	default: return PCPU_MAX;
	}
}

/* Hash-map keys are 8 bytes: the 32-bit key number, twice. */
static void make_key(int m, uint32_t k, void *key)
{
	uint64_t kk = (uint64_t)k << 32 | k;

	if (m == M_HASH || m == M_LRU)
		memcpy(key, &kk, 8);
	else
		memcpy(key, &k, 4);
}

static bool update_rc_ok(int m, uint64_t flags, long rc)
{
	switch (rc) {
	case 0: return true;
	case -EEXIST: return flags == BPF_NOEXIST;
	case -ENOENT: return flags == BPF_EXIST && (m == M_HASH || m == M_LRU);
	case -E2BIG: return m == M_HASH && flags != BPF_EXIST;
	default: return false;
	}
}

/* ---- workers: what programs do ------------------------------------- */

struct worker {
	pthread_t tid;
	unsigned int slot;
	uint64_t rng;
	uint32_t seq;
};

static void prog_lookup(struct worker *w, int m, uint32_t k)
{
	struct uebpf_map *map = maps[m];
	struct uebpf_epoch_rec *rec;
	uint8_t key[8];
	void *v;

	make_key(m, k, key);
	rec = uebpf_epoch_enter(&rt->epoch);
	v = map->ops->lookup(map, key);
	if (v) {
		check_val(m, k, v, true, m == M_PCPU ? (int)w->slot : -1,
			  "program lookup");
		/* a deleted element stays readable until the section ends */
		if (!(xorshift(&w->rng) & 63))
			sched_yield();
		check_val(m, k, v, true, m == M_PCPU ? (int)w->slot : -1,
			  "program lookup, read again");
	} else if (m == M_ARRAY || m == M_PCPU) {
		report("%s program lookup of index %u < max_entries: NULL",
		       map_names[m], k);
	}
	uebpf_epoch_exit(rec);
}

static void prog_update(struct worker *w, int m, uint32_t k, uint64_t flags)
{
	struct uebpf_map *map = maps[m];
	struct uebpf_epoch_rec *rec;
	struct val v;
	uint8_t key[8];
	long rc;

	make_key(m, k, key);
	v.w[0] = v.w[1] = word(k, w->slot, ++w->seq);
	rec = uebpf_epoch_enter(&rt->epoch);
	rc = map->ops->update(map, key, &v, flags);
	uebpf_epoch_exit(rec);
	if (!update_rc_ok(m, flags, rc))
		report("%s program update key %u flags %" PRIu64 ": %ld",
		       map_names[m], k, flags, rc);
}

static void prog_delete(int m, uint32_t k)
{
	struct uebpf_map *map = maps[m];
	struct uebpf_epoch_rec *rec;
	uint8_t key[8];
	long rc;

	make_key(m, k, key);
	rec = uebpf_epoch_enter(&rt->epoch);
	rc = map->ops->delete (map, key);
	uebpf_epoch_exit(rec);
	if (m == M_ARRAY || m == M_PCPU ? rc != -EINVAL
					: rc != 0 && rc != -ENOENT)
		report("%s program delete key %u: %ld", map_names[m], k, rc);
}

static void host_lookup(int m, uint32_t k, int slot)
{
	uint8_t key[8];
	struct val v[NWORKERS];
	unsigned int c;
	int rc;

	make_key(m, k, key);
	rc = uebpf_map_lookup_elem(maps[m], key, v);
	if (rc == 0) {
		if (m != M_PCPU)
			check_val(m, k, &v[0], false, -1, "host lookup");
		else
			for (c = 0; c < NWORKERS; c++)
				if (slot < 0 || (int)c == slot)
					check_val(m, k, &v[c], false, c,
						  "host lookup");
	} else if (rc != -ENOENT || m == M_ARRAY || m == M_PCPU) {
		report("%s host lookup key %u: %d", map_names[m], k, rc);
	}
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	uint64_t flag_set[] = {BPF_ANY, BPF_ANY, BPF_NOEXIST, BPF_EXIST};

	uebpf_this_cpu = w->slot;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint64_t r = xorshift(&w->rng);
		int m = r % NMAPS;
		uint32_t k = (r >> 8) % key_domain(m);
		unsigned int op = (r >> 40) % 100;
		uint64_t fl = flag_set[(r >> 50) % 4];

		if (!maps[m])
			continue;

		/* deletes are the control plane's (see walk()), except
		 * on arrays, where they fail */
		if (op < 60)
			prog_lookup(w, m, k);
		else if (op < 86)
			prog_update(w, m, k, fl);
		else if (op < 88 && (m == M_ARRAY || m == M_PCPU))
			prog_delete(m, k);
		else
			host_lookup(m, k, -1);
		atomic_fetch_add_explicit(&nops[m], 1, memory_order_relaxed);
	}
	return NULL;
}

/* ---- the control plane ---------------------------------------------- */

/*
 * A full walk.  Only this thread deletes from HASH, and replacing a key
 * links the new element before unlinking the old, so a HASH walk never
 * loses its place: at most 4 x max_entries steps, no restart.  LRU updates
 * by the workers evict, and a walk whose current key was evicted starts
 * over (the kernel's rule): each pass from such a restart gets the same
 * bound, and a restart counts only if the key it left is gone.
 */
static void walk(int m)
{
	struct uebpf_map *map = maps[m];
	uint64_t limit = 4ull * uebpf_map_max_entries(map), steps = 0, seen;
	uint64_t pass = 0;
	uint8_t cur[8], next[8], met[HASH_KEYS] = {0};
	unsigned int restarts = 0;
	struct val v[NWORKERS];
	int rc;

	rc = uebpf_map_get_next_key(map, NULL, next);
	while (rc == 0) {
		uint32_t k;

		steps++;
		if (++pass > limit) {
			report("%s: get_next_key walk still going after "
			       "%" PRIu64 " steps (max_entries %u, %u "
			       "restarts)",
			       map_names[m], pass - 1,
			       uebpf_map_max_entries(map), restarts);
			return;
		}
		memcpy(&k, next, 4);
		if (k >= key_domain(m)) {
			report("%s: get_next_key returned key %u, never "
			       "inserted",
			       map_names[m], k);
			return;
		}
		if (met[k] && steps > 1) {
			memcpy(&k, cur, 4);
			if (uebpf_map_lookup_elem(map, cur, v) != -ENOENT) {
				/* the key before is still there: only a
				 * replaced key re-walks (the rest of its
				 * bucket), which the bound absorbs */
			} else if (m != M_LRU) {
				report("%s: walk restarted: key %u vanished "
				       "while nothing deleted it",
				       map_names[m], k);
				return;
			} else {
				if (++restarts > 16) {
					report("%s: walk restarted %u times",
					       map_names[m], restarts);
					return;
				}
				memset(met, 0, sizeof(met));
				pass = 1;
			}
			memcpy(&k, next, 4);
		}
		met[k] = 1;
		if (!(steps & 7))
			host_lookup(m, k, -1);
		memcpy(cur, next, sizeof(cur));
		rc = uebpf_map_get_next_key(map, cur, next);
	}
	if (rc != -ENOENT)
		report("%s: get_next_key walk ended with %d", map_names[m], rc);
	seen = atomic_load(&max_steps_seen);
	while (steps > seen &&
	       !atomic_compare_exchange_weak(&max_steps_seen, &seen, steps))
		;
	atomic_fetch_add(&niter, 1);
	atomic_fetch_add(&nrestarts, restarts);
}

static void control_step(uint64_t *rng, uint32_t *seq)
{
	uint64_t r = xorshift(rng);
	unsigned int op = r % 100, c;
	int m = (r >> 8) & 1 ? M_HASH : M_LRU;
	uint32_t k = (r >> 16) % key_domain(m);
	uint64_t fl = (r >> 40) % 3;
	struct val v[NWORKERS];
	uint8_t key[8];
	int rc;

	make_key(m, k, key);
	for (c = 0; c < NWORKERS; c++)
		v[c].w[0] = v[c].w[1] = word(k, CONTROL, ++*seq);
	if (op >= 50 && op < 75)
		m = (r >> 8) & 1 ? M_ARRAY : M_PCPU;
	if (!maps[m])
		return;
	if (op < 25) {
		rc = uebpf_map_update_elem(maps[m], key, v, fl);
		if (!update_rc_ok(m, fl, rc))
			report("%s host update key %u flags %" PRIu64 ": %d",
			       map_names[m], k, fl, rc);
	} else if (op < 40) {
		rc = uebpf_map_delete_elem(maps[m], key);
		if (rc && rc != -ENOENT)
			report("%s host delete key %u: %d", map_names[m], k,
			       rc);
	} else if (op < 50) {
		rc = uebpf_map_lookup_and_delete_elem(maps[m], key, v);
		if (rc == 0)
			check_val(m, k, v, false, -1, "lookup_and_delete");
		else if (rc != -ENOENT)
			report("%s host lookup_and_delete key %u: %d",
			       map_names[m], k, rc);
	} else if (op < 60) {
		k = (r >> 16) % key_domain(m);
		make_key(m, k, key);
		for (c = 0; c < NWORKERS; c++)
			v[c].w[0] = v[c].w[1] = word(k, CONTROL, ++*seq);
		rc = uebpf_map_update_elem(maps[m], key, v, BPF_ANY);
		if (rc)
			report("%s host update index %u: %d", map_names[m], k,
			       rc);
	} else if (op < 75) {
		host_lookup(m, (r >> 16) % key_domain(m), -1);
	} else if (op < 95) {
		host_lookup(m, k, -1);
	} else {
		walk(m);
	}
	atomic_fetch_add_explicit(&nctl_ops, 1, memory_order_relaxed);
}

/* ---- after the run: every map quiet ---------------------------------- */

static void final_check(int m)
{
	struct uebpf_map *map = maps[m];
	uint8_t cur[8], next[8];
	uint32_t n = 0, k;
	int rc;

	rc = uebpf_map_get_next_key(map, NULL, next);
	while (rc == 0 && n <= 4 * uebpf_map_max_entries(map)) {
		n++;
		memcpy(&k, next, 4);
		host_lookup(m, k, -1);
		memcpy(cur, next, sizeof(cur));
		rc = uebpf_map_get_next_key(map, cur, next);
	}
	if (rc != -ENOENT)
		report("%s: final walk ended with %d after %u keys",
		       map_names[m], rc, n);
	if (n > uebpf_map_max_entries(map))
		report("%s: holds %u elements, max_entries %u", map_names[m], n,
		       uebpf_map_max_entries(map));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	UEBPF_OPTS(uebpf_runtime_opts, ro, .nr_cpus = NWORKERS);
	struct worker w[NWORKERS];
	double secs = argc > 1 ? atof(argv[1]) : 3.0, t0, t;
	uint64_t rng = 0x9e3779b97f4a7c15ull, total = 0;
	uint32_t seq = 0;
	const uint32_t ksz[NMAPS] = {8, 8, 4, 4};
	const uint32_t max[NMAPS] = {HASH_MAX, LRU_MAX, ARRAY_MAX, PCPU_MAX};
	const enum bpf_map_type type[NMAPS] = {
		BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_ARRAY,
		BPF_MAP_TYPE_PERCPU_ARRAY};
	int i, m, partial;

	if (secs <= 0)
		secs = 3.0;
	partial = getenv("UEBPF_STRESS_PARTIAL") &&
		  atoi(getenv("UEBPF_STRESS_PARTIAL"));
	rt = uebpf_runtime_new(&ro);
	if (!rt) {
		perror("map_stress: uebpf_runtime_new");
		return 1;
	}
	for (m = 0; m < NMAPS; m++) {
		maps[m] = uebpf_map_create(rt, type[m], map_names[m], ksz[m],
					   sizeof(struct val), max[m], NULL);
		if (!maps[m] && errno == EOPNOTSUPP && partial) {
			fprintf(stderr,
				"map_stress: no %s in this build, left out "
				"(UEBPF_STRESS_PARTIAL)\n",
				map_names[m]);
			continue;
		}
		if (!maps[m]) {
			fprintf(stderr, "map_stress: cannot create %s: %s\n",
				map_names[m], strerror(errno));
			return 1;
		}
	}
	/* half full to start with */
	for (m = 0; m < NMAPS; m++)
		for (i = 0; maps[m] && i < (int)max[m] / 2; i++) {
			struct val v[NWORKERS];
			uint8_t key[8];
			int c;

			make_key(m, i, key);
			for (c = 0; c < NWORKERS; c++)
				v[c].w[0] = v[c].w[1] = word(i, CONTROL, 0);
			if (uebpf_map_update_elem(maps[m], key, v, BPF_ANY))
				report("%s: initial update of %d failed",
				       map_names[m], i);
		}
	for (i = 0; i < NWORKERS; i++) {
		w[i].slot = i;
		w[i].rng = 0x2545f4914f6cdd1dull * (i + 1);
		w[i].seq = 0;
		if (pthread_create(&w[i].tid, NULL, worker_fn, &w[i])) {
			perror("map_stress: pthread_create");
			return 1;
		}
	}
	/* the main thread is the control plane */
	t0 = now();
	do {
		for (i = 0; i < 64; i++)
			control_step(&rng, &seq);
		t = now();
	} while (t - t0 < secs && atomic_load(&nerrors) < 20);
	atomic_store(&stop, true);
	for (i = 0; i < NWORKERS; i++)
		pthread_join(w[i].tid, NULL);
	for (m = 0; m < NMAPS; m++)
		if (maps[m])
			final_check(m);
	for (m = 0; m < NMAPS; m++) {
		total += atomic_load(&nops[m]);
		uebpf_map_put(maps[m]);
	}
	uebpf_runtime_free(rt);

	printf("map_stress: %.1f s, %d workers: %" PRIu64
	       " worker ops (hash %" PRIu64 ", lru %" PRIu64 ", array %" PRIu64
	       ", percpu_array %" PRIu64 "), %" PRIu64 " control ops, %" PRIu64
	       " walks (longest %" PRIu64 " steps, %" PRIu64
	       " LRU restarts), %" PRIu64
	       " torn array reads (allowed), %d errors\n",
	       t - t0, NWORKERS, total, (uint64_t)atomic_load(&nops[M_HASH]),
	       (uint64_t)atomic_load(&nops[M_LRU]),
	       (uint64_t)atomic_load(&nops[M_ARRAY]),
	       (uint64_t)atomic_load(&nops[M_PCPU]),
	       (uint64_t)atomic_load(&nctl_ops), (uint64_t)atomic_load(&niter),
	       (uint64_t)atomic_load(&max_steps_seen),
	       (uint64_t)atomic_load(&nrestarts),
	       (uint64_t)atomic_load(&ntorn_array), atomic_load(&nerrors));
	return atomic_load(&nerrors) ? 1 : 0;
}
