/* SPDX-License-Identifier: MIT */
/*
 * The verifier's soundness campaign: every program the verifier accepts
 * must run without touching memory outside what it may touch.
 *
 *   verifier_soundness --seed S --count N [--seconds T] [--runs R]
 *                      [--mutate PCT] [--blocks B] [--index I] [-v]
 *                      [--unverified] [--kernel]
 *
 * --mutate: percent of programs with mutations (50); --blocks: at most
 * that many idioms in main (14); --runs: packets per accepted program (8).
 *
 * Program i of seed S comes from the generator (gen.h) seeded from (S, i);
 * it is loaded as an XDP program with the maps pre-created, and when the
 * verifier accepts it, run in the interpreter's debug mode (every access
 * checked against the stack frames in use, the packet with its metadata,
 * the context, map values; every helper argument checked too) on R
 * packets of various lengths and metadata sizes, with random map
 * contents.  A fault, or an exhausted instruction budget, is a soundness
 * failure: the program, the verifier's log, the packet and the fault are
 * printed with the command that reproduces it, and the exit status is 1.
 *
 * --index I generates and runs program I of seed S alone (with -v, shows
 * it whatever happens).  --unverified is the generator's own test, for
 * when there is no verifier: programs are passed off as verified without
 * one (harness.h), so clean programs must never fault (else the generator
 * is wrong) and mutated ones should, sometimes (else the mutations or the
 * debug mode catch nothing).
 *
 * A campaign in which the verifier accepts nothing tested nothing: it
 * fails, saying so.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "../../xdp/xdp.h"
#include "gen.h"
#include "harness.h"
#include "kernel.h"

struct opts {
	uint64_t seed;
	uint64_t count;
	double seconds;
	unsigned int runs;
	unsigned int mutate;
	unsigned int blocks;
	long long index;
	bool verbose;
	bool unverified;
	bool kernel;
};

/* Why clean programs were refused: the last line of the log, digits
 * folded, counted. */
#define MAX_REASONS 64
struct reason {
	char text[160];
	unsigned long n;
	unsigned long long example;
};
struct reasons {
	struct reason r[MAX_REASONS];
	unsigned int n;
};
static struct reasons ours, kernels;

static int cmp_reason(const void *a, const void *b);

static void note_reason(struct reasons *t, const char *log,
			unsigned long long idx, int err)
{
	char line[160], folded[160];
	const char *end, *start;
	size_t i, j, n;

	end = log + strlen(log);
	for (;;) {
		while (end > log && (end[-1] == '\n' || end[-1] == ' '))
			end--;
		start = end;
		while (start > log && start[-1] != '\n')
			start--;
		/* the kernel's statistics come after the reason */
		if (start == log || (strncmp(start, "processed ", 10) &&
				     strncmp(start, "verification time", 17) &&
				     strncmp(start, "stack depth", 11)))
			break;
		end = start;
	}
	n = (size_t)(end - start);
	if (!n) {
		snprintf(line, sizeof(line), "(empty log) %s", strerror(-err));
	} else {
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, start, n);
		line[n] = '\0';
	}
	for (i = j = 0; line[i] && j + 1 < sizeof(folded); i++) {
		if (line[i] >= '0' && line[i] <= '9') {
			if (!j || folded[j - 1] != '#')
				folded[j++] = '#';
		} else {
			folded[j++] = line[i];
		}
	}
	folded[j] = '\0';
	for (i = 0; i < t->n; i++) {
		if (!strcmp(t->r[i].text, folded)) {
			t->r[i].n++;
			return;
		}
	}
	if (t->n < MAX_REASONS) {
		snprintf(t->r[t->n].text, sizeof(t->r[0].text), "%s", folded);
		t->r[t->n].n = 1;
		t->r[t->n].example = idx;
		t->n++;
	}
}

static void print_reasons(struct reasons *t, const char *title)
{
	unsigned int n;

	if (!t->n)
		return;
	qsort(t->r, t->n, sizeof(t->r[0]), cmp_reason);
	printf("  %s:\n", title);
	for (n = 0; n < t->n && n < 10; n++)
		printf("    %6lu  %s  (e.g. --index %llu)\n", t->r[n].n,
		       t->r[n].text, t->r[n].example);
}

static int cmp_reason(const void *a, const void *b)
{
	const struct reason *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

static uint64_t prog_seed(uint64_t seed, uint64_t i)
{
	uint64_t s = seed ^ (i * 0xd1342543de82ef95ull);

	s += 0x9e3779b97f4a7c15ull;
	s = (s ^ (s >> 30)) * 0xbf58476d1ce4e5b9ull;
	s = (s ^ (s >> 27)) * 0x94d049bb133111ebull;
	return s ^ (s >> 31);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void hexdump(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s%02x%s", i % 16 ? "" : "    ", p[i],
		       i % 16 == 15 || i + 1 == n ? "\n" : " ");
}

static void print_prog(const char *title, const struct bpf_insn *insns,
		       size_t cnt)
{
	printf("%s (%zu insns):\n", title, cnt);
	gen_disasm(stdout, insns, cnt);
}

static void report(const struct opts *o, struct sh_env *e,
		   unsigned long long idx, const struct gen_prog *p,
		   struct uebpf_prog *prog, const struct uebpf_xdp_ctx *x,
		   const struct sh_packet *pk, int err, const char *what)
{
	const struct bpf_insn *run;
	size_t cnt;

	printf("\n==== SOUNDNESS FAILURE: %s\n", what);
	printf("seed %llu, program %llu (%s: %s)\n",
	       (unsigned long long)o->seed, idx,
	       p->nr_mut ? "mutated" : "clean", p->nr_mut ? p->muts : "-");
	printf("reproduce: verifier_soundness --seed %llu --index %llu -v%s\n",
	       (unsigned long long)o->seed, idx,
	       o->unverified ? " --unverified" : "");
	printf("run returned %d (%s)\n", err, strerror(-err));
	if (e->helper_fault[0])
		printf("helper: %s\n", e->helper_fault);
	if (e->last_warn[0])
		printf("runtime: %s", e->last_warn);
	printf("packet: %u bytes, %u bytes of metadata, ingress_ifindex %u, "
	       "rx_queue_index %u\n",
	       pk->len, pk->meta, x->ingress_ifindex, x->rx_queue_index);
	printf("  metadata:\n");
	hexdump((const uint8_t *)x->data_meta, pk->meta);
	printf("  data:\n");
	hexdump((const uint8_t *)x->data, pk->len);
	print_prog("program as generated", p->insns, p->cnt);
	run = sh_prog_insns(prog, &cnt);
	print_prog("program as run (after the verifier's rewrites)", run, cnt);
	printf("verifier log:\n%s\n", e->vlog[0] ? e->vlog : "(empty)");
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: verifier_soundness [--seed S] [--count N] "
		"[--seconds T] [--runs R]\n"
		"                          [--mutate PCT] [--blocks B] "
		"[--index I] [-v]\n"
		"                          [--unverified] [--kernel]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = {
		.seed = 1, .count = 1000, .runs = 8, .mutate = 50, .index = -1};
	unsigned long long i, first, last,
		generated = 0, accepted = 0, clean = 0, clean_acc = 0,
		mutated_acc = 0, runs = 0, faults = 0, unsupported = 0;
	static struct gen_prog prog_buf;
	struct gen_prog *p = &prog_buf;
	struct sh_env env, *e = &env;
	struct gen_opts go;
	struct ko ko;
	bool have_kernel = false;
	static char klog[1 << 20];
	unsigned long long k_clean = 0, k_mut = 0, k_asked = 0, here_not_k = 0,
			   k_not_here = 0, here_not_k_ex = 0, k_not_here_ex = 0;
	double t0 = now();
	int a, err, first_err = 0;
	char first_log[256] = "";

	for (a = 1; a < argc; a++) {
		const char *v = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(argv[a], "--seed") && v)
			o.seed = strtoull(v, NULL, 0), a++;
		else if (!strcmp(argv[a], "--count") && v)
			o.count = strtoull(v, NULL, 0), a++;
		else if (!strcmp(argv[a], "--seconds") && v)
			o.seconds = strtod(v, NULL), a++;
		else if (!strcmp(argv[a], "--runs") && v)
			o.runs = (unsigned int)strtoul(v, NULL, 0), a++;
		else if (!strcmp(argv[a], "--mutate") && v)
			o.mutate = (unsigned int)strtoul(v, NULL, 0), a++;
		else if (!strcmp(argv[a], "--blocks") && v)
			o.blocks = (unsigned int)strtoul(v, NULL, 0), a++;
		else if (!strcmp(argv[a], "--index") && v)
			o.index = strtoll(v, NULL, 0), a++;
		else if (!strcmp(argv[a], "-v"))
			o.verbose = true;
		else if (!strcmp(argv[a], "--unverified"))
			o.unverified = true;
		else if (!strcmp(argv[a], "--kernel"))
			o.kernel = true;
		else
			usage();
	}
	err = sh_env_init(e);
	if (err) {
		fprintf(stderr, "verifier_soundness: setup failed: %s\n",
			strerror(-err));
		return 1;
	}
	go = (struct gen_opts){.maps = e->gmaps,
			       .nr_maps = e->nr_maps,
			       .mutate_pct = o.mutate,
			       .max_blocks = o.blocks};
	if (o.kernel) {
		err = ko_init(&ko, e->gmaps, e->nr_maps);
		if (err)
			printf("verifier_soundness: no kernel oracle (bpf(2): "
			       "%s): going on without\n",
			       strerror(-err));
		have_kernel = !err;
	}
	first = o.index >= 0 ? (unsigned long long)o.index : 0;
	last = o.index >= 0 ? first + 1 : o.count;
	printf("verifier_soundness: seed %llu, %s %llu%s, %u runs each%s\n",
	       (unsigned long long)o.seed,
	       o.index >= 0 ? "program" : "programs:",
	       o.index >= 0 ? first : o.count,
	       o.seconds > 0 ? " (or the time limit)" : "", o.runs,
	       !o.unverified ? ""
	       : have_kernel
		       ? ", UNVERIFIED dry run of what the kernel's verifier "
			 "accepts (tests the debug mode)"
		       : ", UNVERIFIED dry run (tests the generator)");
	if (e->own_map_helpers)
		printf("verifier_soundness: the library has no map helpers: "
		       "test-only ones stand in\n");
	fflush(stdout);

	for (i = first; i < last; i++) {
		struct gen_rng r, rr;
		struct uebpf_prog *prog;
		unsigned int k;
		int kv;

		if (o.seconds > 0 && (i & 15) == 0 && now() - t0 > o.seconds)
			break;
		gen_rng_seed(&r, prog_seed(o.seed, i));
		gen_program(&r, &go, p);
		generated++;
		if (!p->nr_mut)
			clean++;
		/* map contents and packets from their own stream, so that
		 * --index replays them whatever the generator consumed */
		gen_rng_seed(&rr, prog_seed(o.seed ^ 0x5eed, i));
		sh_fill_maps(e, &rr);
		prog = sh_load(e, p, o.unverified, &err);
		kv = -1;
		if (have_kernel) {
			kv = ko_verdict(&ko, p, klog, sizeof(klog));
			if (kv < 0) {
				printf("verifier_soundness: the kernel refused "
				       "to be asked (%s): going on without\n",
				       strerror(-kv));
				have_kernel = false;
			} else {
				k_asked++;
				if (kv && p->nr_mut)
					k_mut++;
				else if (kv)
					k_clean++;
				else if (!p->nr_mut)
					note_reason(&kernels, klog, i, -EACCES);
				if (!o.unverified && prog && !kv &&
				    !here_not_k++)
					here_not_k_ex = i;
				if (!o.unverified && !prog && kv &&
				    !k_not_here++)
					k_not_here_ex = i;
			}
			/* the dry run runs what the kernel accepts */
			if (o.unverified && prog && kv == 0) {
				sh_free_prog(e, prog);
				prog = NULL;
				err = -EACCES;
				snprintf(e->vlog, e->vlog_size,
					 "refused by the kernel");
			}
		}
		if (o.verbose) {
			printf("---- program %llu: %zu insns, %s%s%s\n", i,
			       p->cnt, p->nr_mut ? "mutated: " : "clean",
			       p->nr_mut ? p->muts : "",
			       prog ? ", accepted" : ", refused");
			if (o.index >= 0)
				gen_disasm(stdout, p->insns, p->cnt);
			if (!prog || o.index >= 0)
				printf("%s", e->vlog);
			if (kv == 0)
				printf("the kernel refused it:\n%s", klog);
		}
		if (!prog) {
			if (!first_err) {
				first_err = err;
				snprintf(first_log, sizeof(first_log), "%s",
					 e->vlog);
			}
			if (err == -EOPNOTSUPP)
				unsupported++;
			if (!p->nr_mut && !(o.unverified && kv == 0))
				note_reason(&ours, e->vlog, i, err);
			continue;
		}
		accepted++;
		if (p->nr_mut)
			mutated_acc++;
		else
			clean_acc++;
		for (k = 0; k < o.runs; k++) {
			struct uebpf_xdp_ctx x;
			struct sh_packet pk;
			uint64_t r0 = 0;

			sh_pick_packet(&rr, p, k, &pk);
			sh_setup_packet(e, &rr, &pk, &x);
			err = sh_run(e, prog, &x, &r0);
			runs++;
			if (o.verbose)
				printf("  run %u: len %u meta %u: %d, r0 "
				       "%llu%s%s\n",
				       k, pk.len, pk.meta, err,
				       (unsigned long long)r0, err ? " " : "",
				       err ? (e->helper_fault[0]
						      ? e->helper_fault
						      : e->last_warn)
					   : "");
			if (!err)
				continue;
			faults++;
			if (o.unverified && p->nr_mut && kv != 1)
				break; /* expected: move on */
			report(&o, e, i, p, prog, &x, &pk, err,
			       o.unverified && kv == 1
				       ? "a program the kernel accepts faulted "
					 "in the dry run: the debug checks are "
					 "too strict (or the kernel is unsound)"
			       : o.unverified
				       ? "a clean program faulted in the dry "
					 "run: the generator is wrong"
			       : err == -ETIMEDOUT
				       ? "an accepted program ran out of its "
					 "instruction budget"
				       : "an accepted program made an access "
					 "it may not make");
			sh_free_prog(e, prog);
			sh_env_free(e);
			return 1;
		}
		sh_free_prog(e, prog);
	}

	printf("verifier_soundness: %llu programs (%llu clean, %llu mutated) "
	       "in %.1f s\n",
	       generated, clean, generated - clean, now() - t0);
	printf("  accepted: %llu (%.1f%%); clean %llu/%llu (%.1f%%), mutated "
	       "%llu/%llu (%.1f%%)\n",
	       accepted, generated ? 100.0 * accepted / generated : 0.0,
	       clean_acc, clean, clean ? 100.0 * clean_acc / clean : 0.0,
	       mutated_acc, generated - clean,
	       generated - clean ? 100.0 * mutated_acc / (generated - clean)
				 : 0.0);
	printf("  runs: %llu, faults: %llu%s\n", runs, faults,
	       o.unverified
		       ? " (in mutated programs: what the debug mode caught)"
		       : "");
	print_reasons(&ours, "clean programs refused, by the log's last line");
	if (k_asked) {
		printf("  the kernel's verifier accepted %llu/%llu (%.1f%%); "
		       "clean %llu/%llu (%.1f%%), mutated %llu/%llu (%.1f%%)\n",
		       k_clean + k_mut, k_asked,
		       100.0 * (k_clean + k_mut) / k_asked, k_clean, clean,
		       clean ? 100.0 * k_clean / clean : 0.0, k_mut,
		       generated - clean,
		       generated - clean ? 100.0 * k_mut / (generated - clean)
					 : 0.0);
		if (!o.unverified)
			printf("  accepted here but refused by the kernel: "
			       "%llu%s%llu%s; refused here but accepted by the "
			       "kernel: %llu%s%llu%s\n",
			       here_not_k, here_not_k ? " (e.g. --index " : "",
			       here_not_k ? here_not_k_ex : 0,
			       here_not_k ? ")" : "", k_not_here,
			       k_not_here ? " (e.g. --index " : "",
			       k_not_here ? k_not_here_ex : 0,
			       k_not_here ? ")" : "");
		print_reasons(&kernels, "clean programs the kernel refused, by "
					"its log's last line");
	}
	if (have_kernel)
		ko_free(&ko);
	sh_env_free(e);

	if (o.index >= 0)
		return 0;
	if (!accepted) {
		printf("verifier_soundness: FAILED: the verifier accepted none "
		       "of %llu programs, so nothing was tested.\n",
		       generated);
		if (unsupported == generated)
			printf("  uebpf_prog_load(BPF_PROG_TYPE_XDP) answers "
			       "EOPNOTSUPP: the verifier (vm/verifier.c) is "
			       "not in this build yet.\n");
		printf("  the first refusal: %s: %s\n", strerror(-first_err),
		       first_log[0] ? first_log : "(empty log)");
		return 1;
	}
	if (o.unverified && !k_asked && !faults) {
		printf("verifier_soundness: FAILED: the dry run ran %llu "
		       "mutated programs and the debug mode caught no fault in "
		       "any: the mutations or the checks are broken.\n",
		       mutated_acc);
		return 1;
	}
	if (!o.unverified && clean && clean_acc * 10 < clean)
		printf("verifier_soundness: note: under 10%% of the clean "
		       "programs were accepted: the campaign explores little "
		       "(see the reasons above).\n");
	printf("verifier_soundness: OK\n");
	return 0;
}
