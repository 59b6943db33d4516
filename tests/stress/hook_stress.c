/* SPDX-License-Identifier: MIT */
/*
 * The XDP attach point under concurrency, built with ASan/UBSan
 * (make check-stress) and ThreadSanitizer (make check-tsan):
 *
 *   hook_stress [seconds]      (default 3)
 *
 * NWORKERS threads, each bound to its own CPU slot, run packets through
 * one hook (single runs and batches) and now and then take a reference on
 * the attached program with uebpf_xdp_hook_prog(), while the main thread,
 * the control plane, loads a fresh program (XDP_PASS, XDP_DROP, or one
 * that bumps a PERCPU_ARRAY counter and returns XDP_TX), attaches it,
 * sometimes over the one it expects (replace), sometimes detaches, drops
 * its own reference at once and toggles run statistics.  Every swapped-out
 * program is freed by its last reference, the hook's, once the workers
 * let go of it: a use after free is ASan's to find.  Checked:
 *  - every verdict is one of the programs' (or XDP_PASS, with none);
 *  - a batch runs on one program: its verdicts are all equal;
 *  - the counter's slots add up to the XDP_TX verdicts seen;
 *  - after the last detach and a grace period, no program is left.
 * Exit status 0 on success; one summary line on stdout, problems on stderr.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/internal.h"
#include "../unit/insn.h"

#define NWORKERS 3
#define BATCH	 8
#define MAX_IDS	 (1u << 20)

static struct uebpf_runtime *rt;
static struct uebpf_xdp_hook *hook;
static struct uebpf_map *counter;
static atomic_bool stop;
static atomic_int nerrors;

struct worker {
	pthread_t tid;
	unsigned int slot;
	uint64_t verdicts[XDP_REDIRECT + 1];
	uint64_t refs;
};

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&nerrors, 1) >= 20)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "hook_stress: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

static bool verdict_ok(int v)
{
	return v == XDP_PASS || v == XDP_DROP || v == XDP_TX;
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct uebpf_xdp_result res[BATCH];
	struct uebpf_xdp_buff bufs[BATCH];
	static __thread unsigned char mem[BATCH][512];
	struct uebpf_prog *p;
	uint64_t n = 0;
	int i, ret;

	if (uebpf_worker_bind(rt, w->slot)) {
		report("cannot bind to slot %u", w->slot);
		return NULL;
	}
	for (i = 0; i < BATCH; i++) {
		memset(&bufs[i], 0, sizeof(bufs[i]));
		bufs[i].sz = sizeof(bufs[i]);
		bufs[i].data_hard_start = mem[i];
		bufs[i].data = mem[i] + UEBPF_XDP_HEADROOM;
		bufs[i].data_end = mem[i] + UEBPF_XDP_HEADROOM + 64;
		bufs[i].frame_sz = sizeof(mem[i]);
		memset(&res[i], 0, sizeof(res[i]));
		res[i].sz = sizeof(res[i]);
	}
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		switch (n++ % 16) {
		case 0:
			/* A reference of our own, used after a swap. */
			p = uebpf_xdp_hook_prog(hook);
			if (p) {
				if (uebpf_prog_type(p) != BPF_PROG_TYPE_XDP)
					report("hook_prog: not an XDP program");
				ret = uebpf_xdp_run(p, &bufs[0], &res[0]);
				if (!verdict_ok(ret))
					report("run on a held program: %d",
					       ret);
				uebpf_prog_free(p);
				w->refs++;
			}
			break;
		case 1:
		case 2:
		case 3:
			ret = uebpf_xdp_hook_run_batch(hook, bufs, BATCH, res);
			if (ret != BATCH)
				report("batch returned %d", ret);
			for (i = 0; i < BATCH; i++) {
				if (res[i].err || !verdict_ok(res[i].action))
					report("batch: err %d, action %u",
					       res[i].err, res[i].action);
				else if (res[i].action != res[0].action)
					report("batch ran on two programs "
					       "(%u, then %u)",
					       res[0].action, res[i].action);
				else
					w->verdicts[res[i].action]++;
			}
			break;
		default:
			ret = uebpf_xdp_hook_run(hook, &bufs[1], &res[1]);
			if (!verdict_ok(ret) || res[1].err ||
			    res[1].action != (uint32_t)ret)
				report("run: %d, err %d, action %u", ret,
				       res[1].err, res[1].action);
			else
				w->verdicts[ret]++;
		}
	}
	return NULL;
}

static struct uebpf_prog *load(int kind)
{
	uint32_t id = uebpf_map_id(counter);
	const struct bpf_insn bump[] = {
		ST_MEM(BPF_W, 10, -4, 0),
		LD_IMM64_RAW(1, BPF_PSEUDO_MAP_FD, id, 0),
		MOV64_REG(2, 10),
		ALU64_IMM(BPF_ADD, 2, -4),
		CALL_HELPER(BPF_FUNC_map_lookup_elem),
		JMP_IMM(BPF_JEQ, 0, 0, 3),
		LDX_MEM(BPF_DW, 1, 0, 0),
		ALU64_IMM(BPF_ADD, 1, 1),
		STX_MEM(BPF_DW, 0, 1, 0),
		MOV64_IMM(0, XDP_TX),
		EXIT(),
	};
	const struct bpf_insn ret[] = {
		MOV64_IMM(0, kind == 0 ? XDP_PASS : XDP_DROP),
		EXIT(),
	};
	UEBPF_OPTS(uebpf_prog_load_opts, o, .name = "stress");
	struct uebpf_prog *p;

	if (kind == 2)
		p = uebpf_prog_load(rt, BPF_PROG_TYPE_XDP, bump,
				    ARRAY_LEN(bump), &o);
	else
		p = uebpf_prog_load(rt, BPF_PROG_TYPE_XDP, ret, ARRAY_LEN(ret),
				    &o);
	if (!p)
		report("load: %s", strerror(errno));
	return p;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	UEBPF_OPTS(uebpf_runtime_opts, ro, .nr_cpus = NWORKERS + 1);
	double secs = argc > 1 ? atof(argv[1]) : 3.0, t0, t = 0;
	uint64_t rng = 0x9e3779b97f4a7c15ull, tx = 0, total = 0, refs = 0;
	uint64_t sum = 0, v[NWORKERS + 1];
	struct worker w[NWORKERS];
	uint32_t *ids, nids = 0, k = 0, left = 0, i;
	unsigned int detaches = 0, replaces = 0;
	int err;

	if (secs <= 0)
		secs = 3.0;
	ids = calloc(MAX_IDS, sizeof(*ids));
	rt = uebpf_runtime_new(&ro);
	if (!ids || !rt) {
		perror("hook_stress: setup");
		return 1;
	}
	counter = uebpf_map_create(rt, BPF_MAP_TYPE_PERCPU_ARRAY, "counter", 4,
				   8, 1, NULL);
	hook = uebpf_xdp_hook_new(rt);
	if (!counter || !hook) {
		perror("hook_stress: map or hook");
		return 1;
	}
	memset(w, 0, sizeof(w));
	for (i = 0; i < NWORKERS; i++) {
		w[i].slot = i;
		if (pthread_create(&w[i].tid, NULL, worker_fn, &w[i])) {
			perror("hook_stress: pthread_create");
			return 1;
		}
	}
	t0 = now();
	do {
		struct uebpf_prog *p = NULL, *cur;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		if (rng % 16 == 0) {
			detaches++;
		} else {
			p = load((int)(rng >> 8) % 3);
			if (!p)
				break;
			if (nids < MAX_IDS)
				ids[nids++] = uebpf_prog_id(p);
		}
		if (rng % 4 == 1) {
			/* Over the one attached now: nobody else attaches,
			 * so the expected program must match. */
			UEBPF_OPTS(uebpf_xdp_hook_attach_opts, o,
				   .replace = true);

			o.expected_prog = cur = uebpf_xdp_hook_prog(hook);
			err = uebpf_xdp_hook_attach(hook, p, &o);
			uebpf_prog_free(cur);
			replaces++;
		} else {
			err = uebpf_xdp_hook_attach(hook, p, NULL);
		}
		if (err)
			report("attach: %s", strerror(-err));
		uebpf_prog_free(p);
		if (rng % 64 == 3)
			uebpf_runtime_enable_stats(rt, (rng >> 20) & 1);
		t = now();
	} while (t - t0 < secs && atomic_load(&nerrors) < 20);
	atomic_store(&stop, true);
	for (i = 0; i < NWORKERS; i++)
		pthread_join(w[i].tid, NULL);

	if (uebpf_xdp_hook_attach(hook, NULL, NULL))
		report("final detach failed");
	uebpf_epoch_synchronize(&rt->epoch);
	for (i = 0; i < nids; i++) {
		struct uebpf_prog *p =
			uebpf_prog_get_by_id_internal(rt, ids[i]);

		if (p) {
			left++;
			uebpf_prog_put(p);
		}
	}
	if (left)
		report("%u programs still alive after the last detach", left);
	for (i = 0; i < NWORKERS; i++) {
		int j;

		tx += w[i].verdicts[XDP_TX];
		refs += w[i].refs;
		for (j = 0; j <= XDP_REDIRECT; j++)
			total += w[i].verdicts[j];
	}
	if (uebpf_map_lookup_elem(counter, &k, v))
		report("counter lookup failed");
	for (i = 0; i <= NWORKERS; i++)
		sum += v[i];
	/* Runs through a held reference bump the counter too: at most one
	 * per held reference. */
	if (sum < tx || sum > tx + refs)
		report("the counter says %" PRIu64
		       " runs, the workers saw %" PRIu64
		       " XDP_TX verdicts (+ up to %" PRIu64 " held runs)",
		       sum, tx, refs);
	uebpf_xdp_hook_free(hook);
	uebpf_map_put(counter);
	uebpf_runtime_free(rt);
	free(ids);

	printf("hook_stress: %.1f s, %d workers: %" PRIu64 " packets (%" PRIu64
	       " XDP_TX), %u programs attached "
	       "(%u replacing), %u detaches, %" PRIu64
	       " held references, %d errors\n",
	       t - t0, NWORKERS, total, tx, nids, replaces, detaches, refs,
	       atomic_load(&nerrors));
	return atomic_load(&nerrors) ? 1 : 0;
}
