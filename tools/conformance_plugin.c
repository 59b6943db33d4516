/* SPDX-License-Identifier: MIT */
/*
 * uebpf-conformance-plugin: the plugin protocol of the public
 * bpf_conformance suite.  The program arrives on stdin as hex bytes, the
 * memory (if any) as hex bytes in argv[1], then options:
 *   --interpret   load with engine UEBPF_ENGINE_INTERP (an instruction
 *                 budget stops endless loops)
 *   --jit         load with engine UEBPF_ENGINE_JIT (no budget: the JIT
 *                 counts nothing; the runner's timeout stops a loop)
 *   (neither)     the library's default engine, with the budget: the
 *                 interpreter
 *   --insn-budget N  this budget instead (0: none); with --jit the
 *                 library refuses the load (EINVAL, its message)
 *   --elf         stdin is a BPF ELF object: its first program runs, raw
 * Prints r0 in hex and exits 0, or prints the error and exits 1.  With
 * --jit, a build without a JIT is an error (status 1); a program the JIT
 * declines (a raw program only the interpreter runs: tail calls,
 * bpf_loop, callbacks) exits 77 with the library's reason, which the
 * runner counts as skipped.
 */
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uebpf.h"

/* Parses hex bytes separated by any white space; returns the count or -1. */
static long parse_hex(const char *s, uint8_t **out)
{
	size_t cap = 64, n = 0;
	uint8_t *buf = malloc(cap);

	if (!buf)
		return -1;
	while (*s) {
		unsigned int v;
		int used;

		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		if (sscanf(s, "%2x%n", &v, &used) != 1) {
			free(buf);
			return -1;
		}
		s += used;
		if (n == cap) {
			uint8_t *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				return -1;
			}
			buf = nb;
		}
		buf[n++] = v;
	}
	*out = buf;
	return (long)n;
}

static char *read_all(FILE *f)
{
	size_t cap = 4096, n = 0, got;
	char *buf = malloc(cap + 1);

	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *nb = realloc(buf, (cap *= 2) + 1);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
	}
	if (buf)
		buf[n] = '\0';
	return buf;
}

static char last_msg[1024];

/* Keeps the library's last warning: it says why a run stopped. */
static void keep_msg(enum uebpf_log_level level, const char *msg, void *ctx)
{
	(void)level, (void)ctx;
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
	last_msg[strcspn(last_msg, "\n")] = '\0';
}

/* The object's first program, loaded as a raw program (the suite's ELF
 * tests are raw programs in any section). */
static struct uebpf_prog *load_elf(struct uebpf_runtime *rt,
				   const uint8_t *buf, size_t len,
				   struct uebpf_object **obj, char *log,
				   size_t log_size, enum uebpf_engine engine,
				   uint64_t budget)
{
	UEBPF_OPTS(uebpf_object_open_opts, o, .object_name = "conformance",
		   .log_buf = log, .log_size = log_size, .log_level = 1,
		   .insn_budget = budget, .engine = engine);
	struct uebpf_object_prog *p, *first;
	int err;

	*obj = uebpf_object_open_mem(rt, buf, len, &o);
	if (!*obj)
		return NULL;
	first = uebpf_object_next_prog(*obj, NULL);
	for (p = first; p; p = uebpf_object_next_prog(*obj, p)) {
		uebpf_object_prog_set_type(p, BPF_PROG_TYPE_UNSPEC);
		uebpf_object_prog_set_autoload(p, p == first);
	}
	err = first ? uebpf_object_load(*obj) : -ENOENT;
	if (err) {
		errno = -err;
		return NULL;
	}
	return uebpf_object_prog_handle(first);
}

/* Can this build compile a program at all?  An exit with nothing in
 * BPF_PROG_TYPE_UNSPEC's way. */
static bool jit_available(struct uebpf_runtime *rt)
{
	static const struct bpf_insn ret0[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K},
		{.code = BPF_JMP | BPF_EXIT},
	};
	UEBPF_OPTS(uebpf_prog_load_opts, o, .name = "jit_probe",
		   .engine = UEBPF_ENGINE_JIT);
	struct uebpf_prog *p = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC, ret0,
					       2, &o);
	bool ok = p && uebpf_prog_engine(p) == UEBPF_ENGINE_JIT;

	uebpf_prog_free(p);
	return ok;
}

int main(int argc, char **argv)
{
	UEBPF_OPTS(uebpf_runtime_opts, ropts, .log_fn = keep_msg);
	char log[4096] = "";
	enum uebpf_engine engine = UEBPF_ENGINE_DEFAULT;
	uint64_t budget = 100000000;
	bool budget_set = false;
	uint8_t *code = NULL, *mem = NULL;
	long code_len, mem_len = 0;
	struct uebpf_object *obj = NULL;
	struct uebpf_runtime *rt;
	struct uebpf_prog *prog;
	bool elf = false;
	uint64_t r0;
	char *text;
	int i, err, ret = 1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--interpret")) {
			engine = UEBPF_ENGINE_INTERP;
		} else if (!strcmp(argv[i], "--elf")) {
			elf = true;
		} else if (!strcmp(argv[i], "--jit")) {
			engine = UEBPF_ENGINE_JIT;
			if (!budget_set)
				budget = 0;
		} else if (!strcmp(argv[i], "--insn-budget") && i + 1 < argc) {
			char *end;

			errno = 0;
			budget = strtoull(argv[++i], &end, 0);
			if (errno || !*argv[i] || *end) {
				fprintf(stderr, "--insn-budget: '%s' is not a "
					"number\n", argv[i]);
				return 1;
			}
			budget_set = true;
		} else if (!strncmp(argv[i], "--", 2)) {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			return 1;
		} else if ((mem_len = parse_hex(argv[i], &mem)) < 0) {
			fprintf(stderr, "memory argument is not hex bytes\n");
			return 1;
		}
	}
	text = read_all(stdin);
	if (!text || (code_len = parse_hex(text, &code)) < 0) {
		fprintf(stderr, "program on stdin is not hex bytes\n");
		return 1;
	}
	free(text);
	if (!elf && code_len % sizeof(struct bpf_insn)) {
		fprintf(stderr, "program is %ld bytes, not a multiple of 8\n",
			code_len);
		free(code);
		free(mem);
		return 1;
	}
	rt = uebpf_runtime_new(&ropts);
	if (!rt) {
		fprintf(stderr, "uebpf_runtime_new: %s\n", strerror(errno));
		free(code);
		free(mem);
		return 1;
	}
	if (elf) {
		prog = load_elf(rt, code, code_len, &obj, log, sizeof(log),
				engine, budget);
	} else {
		UEBPF_OPTS(uebpf_prog_load_opts, popts, .name = "conformance",
			   .log_buf = log, .log_size = sizeof(log),
			   .log_level = 1, .insn_budget = budget,
			   .engine = engine);

		prog = uebpf_prog_load(rt, BPF_PROG_TYPE_UNSPEC,
				       (const struct bpf_insn *)code,
				       code_len / sizeof(struct bpf_insn),
				       &popts);
	}
	/* Every exit frees what it made: the sanitizer build counts leaks
	 * as failures, on error paths too. */
	if (!prog) {
		int e = errno;

		log[strcspn(log, "\n")] = '\0';
		fprintf(stderr, "%s\n", log[0]	     ? log :
					 last_msg[0] ? last_msg :
						       strerror(e));
		/* The JIT is there but takes raw programs of this kind
		 * only in the interpreter: not this engine's test. */
		ret = engine == UEBPF_ENGINE_JIT && e == EOPNOTSUPP &&
				      jit_available(rt)
			      ? 77
			      : 1;
		goto out;
	}
	if (engine != UEBPF_ENGINE_DEFAULT &&
	    uebpf_prog_engine(prog) != engine) {
		fprintf(stderr, "loaded with engine %d, runs on engine %d\n",
			(int)engine, (int)uebpf_prog_engine(prog));
		goto out;
	}
	err = uebpf_prog_run(prog, mem, mem_len, &r0);
	if (err) {
		fprintf(stderr, "%s\n", last_msg[0] ? last_msg : strerror(-err));
		goto out;
	}
	printf("%" PRIx64 "\n", r0);
	ret = 0;
out:
	if (obj)
		uebpf_object_close(obj);
	else
		uebpf_prog_free(prog);
	uebpf_runtime_free(rt);
	free(code);
	free(mem);
	return ret;
}
