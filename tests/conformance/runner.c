/* SPDX-License-Identifier: MIT */
/*
 * uebpf-conformance-runner: runs BPF conformance test files (.data) through
 * a plugin program, with the plugin protocol of the public bpf_conformance
 * suite:
 *
 *   stdin   the program, as two-digit hex bytes separated by spaces, then "\n"
 *   argv[1] the test's memory as hex bytes separated by spaces, only if the
 *           test has a "-- mem" section; then every --plugin-opt, in order
 *   stdout  r0 in hex and exit status 0, or
 *   stderr  (or stdout) an error message and a non-zero exit status;
 *           status 77 (libuebpf's plugin, not the public protocol): the
 *           plugin cannot run this test in the mode asked for (its JIT
 *           declines the program), counted as skipped with the message
 *
 * With --elf, stdin holds instead the hex bytes of a minimal BPF ELF object
 * (see elf_wrap()) whose one program is the test's code, and "--elf" is
 * passed after every --plugin-opt, as the public suite's runner does.  An
 * error test whose plugin fails with another message is then skipped, not
 * failed: the object loader may refuse a broken program before the check
 * the test expects.
 *
 * Test file sections ('#' starts a comment anywhere):
 *   -- asm      the program in assembly (see asm.c)
 *   -- raw      the program as 64-bit words "0x0000000000000095" (the word's
 *               little-endian bytes are the instruction) or as two-digit
 *               hex bytes "95 00 00 00 00 00 00 00"; takes precedence over
 *               -- asm, and when both are present they must agree
 *   -- mem      input memory, hex bytes
 *   -- result   expected r0 (0x... hex or decimal)
 *   -- error    expected error message: matches if equal to the plugin's
 *               message or a substring of it; an empty -- error section
 *               accepts any error
 *   -- c, -- no register offset   ignored
 *
 * Usage: uebpf-conformance-runner --plugin PATH [--plugin-opt OPT]...
 *                                 [--elf] [--timeout SEC] [-v] FILE_OR_DIR...
 *        uebpf-conformance-runner --dump FILE_OR_DIR...
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "asm.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUTPUT_LIMIT (1u << 20)

/* ---- small growable buffer -------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
};

static void die_oom(void)
{
	fputs("uebpf-conformance-runner: out of memory\n", stderr);
	exit(2);
}

static void buf_add(struct buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 256;

		while (ncap < b->len + len + 1)
			ncap *= 2;
		b->p = realloc(b->p, ncap);
		if (!b->p)
			die_oom();
		b->cap = ncap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		buf_add(b, tmp, (size_t)n);
	} else {
		char *big = malloc((size_t)n + 1);

		if (!big)
			die_oom();
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		buf_add(b, big, (size_t)n);
		free(big);
	}
}

static void buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- the test file ---------------------------------------------------- */

struct test {
	struct buf asm_text; /* every line of the file; lines outside -- asm blanked */
	bool has_asm;
	bool has_raw;
	uint8_t *raw;
	size_t raw_len, raw_cap;
	uint8_t *mem;
	size_t mem_len, mem_cap;
	bool has_result;
	uint64_t result;
	bool has_error;
	char *error;
};

static void test_free(struct test *t)
{
	buf_free(&t->asm_text);
	free(t->raw);
	free(t->mem);
	free(t->error);
	memset(t, 0, sizeof(*t));
}

static void bytes_add(uint8_t **p, size_t *len, size_t *cap, uint8_t v)
{
	if (*len == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*p = realloc(*p, *cap);
		if (!*p)
			die_oom();
	}
	(*p)[(*len)++] = v;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static bool is_hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Parse "0x..." as hex, otherwise as (possibly negative) decimal. */
static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	bool neg = false;
	int base = 10;

	if (*s == '-') {
		neg = true;
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s || !is_hex_digit(*s) || (base == 10 && !(*s >= '0' && *s <= '9')))
		return false;
	errno = 0;
	*out = strtoull(s, &end, base);
	if (errno || *end)
		return false;
	if (neg)
		*out = 0 - *out;
	return true;
}

/* A hex byte: one or two hex digits, optionally prefixed with 0x. */
static bool parse_byte(const char *s, uint8_t *out)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!is_hex_digit(s[0]) || (s[1] && (!is_hex_digit(s[1]) || s[2])))
		return false;
	*out = (uint8_t)strtoul(s, NULL, 16);
	return true;
}

enum section { SEC_NONE, SEC_ASM, SEC_RAW, SEC_MEM, SEC_RESULT, SEC_ERROR, SEC_IGNORE };

static int parse_test(const char *path, struct test *t, char *why, size_t whylen)
{
	enum section sec = SEC_NONE;
	char *data = NULL, *line, *next;
	unsigned int lineno = 0;
	FILE *f;
	int ret = -1;

	memset(t, 0, sizeof(*t));
	f = fopen(path, "r");
	if (!f) {
		snprintf(why, whylen, "cannot open: %s", strerror(errno));
		return -1;
	}
	{
		struct buf b = { 0 };
		char chunk[4096];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_add(&b, chunk, n);
		buf_add(&b, "", 0);
		data = b.p;
	}
	fclose(f);

	for (line = data; line; line = next) {
		char *hash, *s;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		s = trim(line);

		if (!strncmp(s, "--", 2)) {
			char *d = trim(s + 2);

			if (!strcmp(d, "asm")) {
				sec = SEC_ASM;
				t->has_asm = true;
			} else if (!strcmp(d, "raw")) {
				sec = SEC_RAW;
				t->has_raw = true;
			} else if (!strcmp(d, "mem")) {
				sec = SEC_MEM;
			} else if (!strcmp(d, "result")) {
				sec = SEC_RESULT;
			} else if (!strcmp(d, "error")) {
				sec = SEC_ERROR;
				t->has_error = true;
			} else if (!strcmp(d, "c") || !strcmp(d, "no register offset")) {
				sec = SEC_IGNORE;
			} else {
				snprintf(why, whylen, "line %u: unknown section '-- %s'", lineno, d);
				goto out;
			}
			buf_add(&t->asm_text, "\n", 1);
			continue;
		}
		if (sec == SEC_ASM)
			buf_add(&t->asm_text, s, strlen(s));
		buf_add(&t->asm_text, "\n", 1);
		if (!*s)
			continue;

		switch (sec) {
		case SEC_RAW:
		case SEC_MEM: {
			char *tok, *save = NULL;

			for (tok = strtok_r(s, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
				uint8_t byte;
				uint64_t word;
				int i;

				if (parse_byte(tok, &byte) && (sec == SEC_MEM || strncmp(tok, "0x", 2))) {
					if (sec == SEC_MEM)
						bytes_add(&t->mem, &t->mem_len, &t->mem_cap, byte);
					else
						bytes_add(&t->raw, &t->raw_len, &t->raw_cap, byte);
				} else if (sec == SEC_RAW && parse_u64(tok, &word)) {
					if (t->raw_len % 8) {
						snprintf(why, whylen,
							 "line %u: raw word '%s' does not start an instruction", lineno,
							 tok);
						goto out;
					}
					for (i = 0; i < 8; i++)
						bytes_add(&t->raw, &t->raw_len, &t->raw_cap, (uint8_t)(word >> (8 * i)));
				} else {
					snprintf(why, whylen, "line %u: invalid %s byte '%s'", lineno,
						 sec == SEC_MEM ? "memory" : "raw", tok);
					goto out;
				}
			}
			break;
		}
		case SEC_RESULT:
			if (!parse_u64(s, &t->result)) {
				snprintf(why, whylen, "line %u: invalid result '%s'", lineno, s);
				goto out;
			}
			t->has_result = true;
			break;
		case SEC_ERROR:
			free(t->error);
			t->error = strdup(s);
			if (!t->error)
				die_oom();
			break;
		default:
			break;
		}
	}
	if (t->raw_len % 8) {
		snprintf(why, whylen, "-- raw has %zu bytes, not a multiple of 8", t->raw_len);
		goto out;
	}
	if (t->has_result && t->has_error) {
		snprintf(why, whylen, "has both -- result and -- error");
		goto out;
	}
	ret = 0;
out:
	free(data);
	return ret;
}

static bool same_program(const struct bpf_insn *insns, size_t n, const uint8_t *raw, size_t raw_len)
{
	size_t i;

	if (n * 8 != raw_len)
		return false;
	for (i = 0; i < n; i++) {
		uint8_t b[8];

		conf_insn_to_bytes(&insns[i], b);
		if (memcmp(b, raw + 8 * i, 8))
			return false;
	}
	return true;
}

/*
 * The program bytes of a test: -- raw if present (checked against -- asm
 * when both exist), else the assembled -- asm. Returns -1 with @why set on
 * a broken test, 1 if the file has no program at all.
 */
static int program_bytes(const char *path, struct test *t, uint8_t **prog, size_t *len, char *why,
			 size_t whylen)
{
	struct conf_asm_error err;
	struct bpf_insn *insns = NULL;
	size_t n = 0, i;
	uint8_t *bytes;

	*prog = NULL;
	*len = 0;
	if (!t->has_asm && !t->has_raw)
		return 1;
	if (t->has_asm) {
		if (conf_asm_assemble(t->asm_text.p ? t->asm_text.p : "", &insns, &n, &err)) {
			/* err.message starts with "line N: "; report it as "path:N: ..." */
			const char *msg = err.line ? strchr(err.message, ':') : NULL;

			if (msg)
				snprintf(why, whylen, "assembler: %s:%u:%s", path, err.line, msg + 1);
			else
				snprintf(why, whylen, "assembler: %s: %s", path, err.message);
			return -1;
		}
	}
	if (t->has_raw) {
		if (t->has_asm && !same_program(insns, n, t->raw, t->raw_len)) {
			snprintf(why, whylen, "-- asm and -- raw sections disagree");
			free(insns);
			return -1;
		}
		free(insns);
		bytes = malloc(t->raw_len ? t->raw_len : 1);
		if (!bytes)
			die_oom();
		if (t->raw_len)
			memcpy(bytes, t->raw, t->raw_len);
		*prog = bytes;
		*len = t->raw_len;
		return 0;
	}
	bytes = malloc(n ? n * 8 : 1);
	if (!bytes)
		die_oom();
	for (i = 0; i < n; i++)
		conf_insn_to_bytes(&insns[i], bytes + 8 * i);
	free(insns);
	*prog = bytes;
	*len = n * 8;
	return 0;
}

static void hex_bytes(struct buf *b, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf_printf(b, i ? " %02x" : "%02x", p[i]);
}

/* ---- the program as a BPF ELF object (--elf) --------------------------- */

#ifndef EM_BPF
#define EM_BPF 247
#endif

#define ELF_CODE_SECTION "prog"
#define ELF_FUNCTION "entry"

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/*
 * A minimal relocatable ELF64 little-endian EM_BPF object: one function,
 * no relocations, no BTF:
 *   [0] null
 *   [1] "prog"       PROGBITS, ALLOC|EXECINSTR: the code
 *   [2] .strtab      the symbol names
 *   [3] .symtab      the null symbol and "entry", a global FUNC covering
 *                    the whole code section
 *   [4] license      "GPL\0"
 *   [5] .shstrtab    the section names
 * The file: ELF header, each section's bytes at an 8-byte aligned offset in
 * that order, then the section header table.  Returns the malloc'ed bytes.
 */
static int cmp_sz(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}
static uint8_t *elf_wrap(const uint8_t *code, size_t code_len, size_t *out_len)
{
	enum { S_NULL, S_CODE, S_STRTAB, S_SYMTAB, S_LICENSE, S_SHSTRTAB, S_NUM };
	static const char license[] = "GPL";
	static const char shstrtab[] = "\0" ELF_CODE_SECTION "\0.strtab\0.symtab\0license\0.shstrtab";
	size_t n = code_len / 8, *tg = calloc(n + 2, sizeof(size_t)), nt = 0, k, j;
	struct buf strtab = { 0 };
	Elf64_Shdr sh[S_NUM];
	Elf64_Sym *sym;
	Elf64_Ehdr *eh;
	uint8_t *file;
	size_t off, size, nsym;
	int i;

	for (k = 0; k < n; k++) {
		const uint8_t *in = code + 8 * k;
		int32_t imm;
		int64_t t;
		memcpy(&imm, in + 4, 4);
		if (in[0] == 0x85 && (in[1] >> 4) == 1) {
			t = (int64_t)k + imm + 1;
			if (t > 0 && (uint64_t)t < n)
				tg[nt++] = (size_t)t;
		}
	}
	qsort(tg, nt, sizeof(*tg), cmp_sz);
	for (k = j = 0; k < nt; k++)
		if (!j || tg[j - 1] != tg[k])
			tg[j++] = tg[k];
	nt = j;
	nsym = 2 + nt;
	sym = calloc(nsym, sizeof(*sym));
	buf_add(&strtab, "", 1);
	/* locals first: [1..nt], then entry */
	for (k = 0; k < nt; k++) {
		char nm[32];
		int l = snprintf(nm, sizeof(nm), "sub_%zu", tg[k]);
		sym[1 + k].st_name = (Elf64_Word)strtab.len;
		buf_add(&strtab, nm, (size_t)l + 1);
		sym[1 + k].st_info = ELF64_ST_INFO(STB_LOCAL, STT_FUNC);
		sym[1 + k].st_shndx = S_CODE;
		sym[1 + k].st_value = tg[k] * 8;
		sym[1 + k].st_size = ((k + 1 < nt ? tg[k + 1] : n) - tg[k]) * 8;
	}
	sym[nsym - 1].st_name = (Elf64_Word)strtab.len;
	buf_add(&strtab, ELF_FUNCTION, sizeof(ELF_FUNCTION));
	sym[nsym - 1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
	sym[nsym - 1].st_shndx = S_CODE;
	sym[nsym - 1].st_size = (nt ? tg[0] : n) * 8;

	memset(sh, 0, sizeof(sh));
	sh[S_CODE].sh_name = 1;
	sh[S_STRTAB].sh_name = sh[S_CODE].sh_name + (Elf64_Word)sizeof(ELF_CODE_SECTION);
	sh[S_SYMTAB].sh_name = sh[S_STRTAB].sh_name + (Elf64_Word)sizeof(".strtab");
	sh[S_LICENSE].sh_name = sh[S_SYMTAB].sh_name + (Elf64_Word)sizeof(".symtab");
	sh[S_SHSTRTAB].sh_name = sh[S_LICENSE].sh_name + (Elf64_Word)sizeof("license");
	sh[S_CODE].sh_type = SHT_PROGBITS;
	sh[S_CODE].sh_flags = SHF_ALLOC | SHF_EXECINSTR;
	sh[S_CODE].sh_size = code_len;
	sh[S_CODE].sh_addralign = 8;
	sh[S_STRTAB].sh_type = SHT_STRTAB;
	sh[S_STRTAB].sh_size = strtab.len;
	sh[S_STRTAB].sh_addralign = 1;
	sh[S_SYMTAB].sh_type = SHT_SYMTAB;
	sh[S_SYMTAB].sh_size = nsym * sizeof(*sym);
	sh[S_SYMTAB].sh_link = S_STRTAB;
	sh[S_SYMTAB].sh_info = (Elf64_Word)(1 + nt);
	sh[S_SYMTAB].sh_addralign = 8;
	sh[S_SYMTAB].sh_entsize = sizeof(Elf64_Sym);
	sh[S_LICENSE].sh_type = SHT_PROGBITS;
	sh[S_LICENSE].sh_flags = SHF_ALLOC | SHF_WRITE;
	sh[S_LICENSE].sh_size = sizeof(license);
	sh[S_LICENSE].sh_addralign = 1;
	sh[S_SHSTRTAB].sh_type = SHT_STRTAB;
	sh[S_SHSTRTAB].sh_size = sizeof(shstrtab);
	sh[S_SHSTRTAB].sh_addralign = 1;
	off = sizeof(Elf64_Ehdr);
	for (i = 1; i < S_NUM; i++) {
		off = align8(off);
		sh[i].sh_offset = off;
		off += sh[i].sh_size;
	}
	off = align8(off);
	size = off + sizeof(sh);
	file = calloc(1, size);
	eh = (Elf64_Ehdr *)file;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_REL;
	eh->e_machine = EM_BPF;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_shoff = off;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = S_NUM;
	eh->e_shstrndx = S_SHSTRTAB;
	if (code_len)
		memcpy(file + sh[S_CODE].sh_offset, code, code_len);
	memcpy(file + sh[S_STRTAB].sh_offset, strtab.p, strtab.len);
	memcpy(file + sh[S_SYMTAB].sh_offset, sym, nsym * sizeof(*sym));
	memcpy(file + sh[S_LICENSE].sh_offset, license, sizeof(license));
	memcpy(file + sh[S_SHSTRTAB].sh_offset, shstrtab, sizeof(shstrtab));
	memcpy(file + off, sh, sizeof(sh));
	free(sym); free(tg); buf_free(&strtab);
	*out_len = size;
	return file;
}

/* ---- running the plugin ----------------------------------------------- */

struct run {
	struct buf out, err;
	bool timed_out;
	bool exited;
	int status; /* exit status if exited, else the signal */
	char spawn_error[256];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void read_into(int *fd, struct buf *b)
{
	char chunk[4096];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n > 0) {
		if (b->len < OUTPUT_LIMIT)
			buf_add(b, chunk, (size_t)n);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close(*fd);
		*fd = -1;
	}
}

static void close_fds(int in[2], int out[2], int err[2])
{
	int i;

	for (i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
}

static int run_plugin(const char *plugin, char **argv, const char *input, size_t input_len, double timeout,
		      struct run *r)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	double deadline = now() + timeout;
	size_t written = 0;
	int status = 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	buf_add(&r->out, "", 0);
	buf_add(&r->err, "", 0);
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		snprintf(r->spawn_error, sizeof(r->spawn_error), "pipe: %s", strerror(errno));
		goto fail_fds;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(r->spawn_error, sizeof(r->spawn_error), "fork: %s", strerror(errno));
		goto fail_fds;
	}
	if (pid == 0) {
		/* Own process group, so a timeout also stops anything the plugin started. */
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
			_exit(127);
		execv(plugin, argv);
		dprintf(2, "cannot execute %s: %s\n", plugin, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	in[0] = out[1] = err[1] = -1;
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	if (input_len == 0) {
		close(in[1]);
		in[1] = -1;
	}

	while (in[1] >= 0 || out[0] >= 0 || err[0] >= 0) {
		struct pollfd pfd[3];
		int nfds = 0, ms, i;
		double left = deadline - now();

		if (left <= 0) {
			r->timed_out = true;
			break;
		}
		ms = (int)(left * 1000) + 1;
		if (in[1] >= 0)
			pfd[nfds++] = (struct pollfd){ .fd = in[1], .events = POLLOUT };
		if (out[0] >= 0)
			pfd[nfds++] = (struct pollfd){ .fd = out[0], .events = POLLIN };
		if (err[0] >= 0)
			pfd[nfds++] = (struct pollfd){ .fd = err[0], .events = POLLIN };
		if (poll(pfd, (nfds_t)nfds, ms) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < nfds; i++) {
			if (!pfd[i].revents)
				continue;
			if (pfd[i].fd == in[1]) {
				ssize_t n = write(in[1], input + written, input_len - written);

				if (n > 0)
					written += (size_t)n;
				if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input_len) {
					close(in[1]);
					in[1] = -1;
				}
			} else if (pfd[i].fd == out[0]) {
				read_into(&out[0], &r->out);
			} else if (pfd[i].fd == err[0]) {
				read_into(&err[0], &r->err);
			}
		}
	}

	/* Output closed (or time is up): wait for the exit, still within the deadline. */
	for (;;) {
		pid_t w = r->timed_out ? 0 : waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			snprintf(r->spawn_error, sizeof(r->spawn_error), "waitpid: %s", strerror(errno));
			break;
		}
		if (r->timed_out || now() >= deadline) {
			r->timed_out = true;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		poll(NULL, 0, 5);
	}
	if (WIFEXITED(status)) {
		r->exited = true;
		r->status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		r->status = WTERMSIG(status);
	}
	close_fds(in, out, err);
	return r->spawn_error[0] ? -1 : 0;

fail_fds:
	close_fds(in, out, err);
	return -1;
}

/* Strip at the first '\r' and trailing white space, as the public runner does. */
static char *clean_message(char *s)
{
	char *cr = strchr(s, '\r');
	char *e;

	if (cr)
		*cr = '\0';
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* One line for a report: newlines become " | ", length bounded. */
static void one_line(char *dst, size_t size, const char *s)
{
	size_t j = 0;

	for (; *s && j + 4 < size; s++) {
		if (*s == '\n') {
			if (s[1])
				j += (size_t)snprintf(dst + j, size - j, " | ");
		} else {
			dst[j++] = *s;
		}
	}
	dst[j] = '\0';
}

/* ---- driver --------------------------------------------------------- */

struct options {
	const char *plugin;
	char **plugin_opts;
	int nopts;
	double timeout;
	bool verbose;
	bool dump;
	bool elf;
};

struct totals {
	unsigned int passed, failed, skipped;
};

enum outcome { PASS, FAIL, SKIP, SKIP_ELF };

static enum outcome run_test(const struct options *o, const char *path, char *why, size_t whylen,
			     struct buf *detail)
{
	struct test t;
	uint8_t *prog = NULL;
	size_t len;
	struct buf input = { 0 }, elf_input = { 0 }, mem = { 0 };
	struct run r;
	char **argv = NULL;
	enum outcome res = FAIL;
	int argc = 0, i, pr;

	why[0] = '\0';
	if (parse_test(path, &t, why, whylen)) {
		test_free(&t);
		return FAIL;
	}
	pr = program_bytes(path, &t, &prog, &len, why, whylen);
	if (pr < 0)
		goto out;
	if (pr > 0) {
		snprintf(why, whylen, "no -- asm or -- raw section");
		res = SKIP;
		goto out;
	}
	hex_bytes(&input, prog, len);
	buf_add(&input, "\n", 1);
	if (o->elf && !o->dump) {
		size_t elf_len;
		uint8_t *elf = elf_wrap(prog, len, &elf_len);

		hex_bytes(&elf_input, elf, elf_len);
		buf_add(&elf_input, "\n", 1);
		free(elf);
	}
	if (o->dump) {
		printf("%s:", path);
		if (t.mem_len) {
			hex_bytes(&mem, t.mem, t.mem_len);
			printf(" mem=[%s]", mem.p);
		}
		printf("\n");
		for (size_t k = 0; k < len; k += 8) {
			printf("  %04zu:", k / 8);
			for (i = 0; i < 8; i++)
				printf(" %02x", prog[k + (size_t)i]);
			printf("\n");
		}
		res = PASS;
		goto out;
	}

	if (!t.has_result && !t.has_error) {
		snprintf(why, whylen, "no -- result or -- error section");
		res = SKIP;
		goto out;
	}

	argv = calloc((size_t)o->nopts + 4, sizeof(*argv));
	if (!argv)
		die_oom();
	argv[argc++] = (char *)o->plugin;
	if (t.mem_len) {
		hex_bytes(&mem, t.mem, t.mem_len);
		argv[argc++] = mem.p;
	}
	for (i = 0; i < o->nopts; i++)
		argv[argc++] = o->plugin_opts[i];
	if (o->elf)
		argv[argc++] = (char *)"--elf"; /* last, as the public runner passes it */
	argv[argc] = NULL;

	if (run_plugin(o->plugin, argv, o->elf ? elf_input.p : input.p, o->elf ? elf_input.len : input.len,
		       o->timeout, &r)) {
		snprintf(why, whylen, "cannot run plugin: %s", r.spawn_error);
	} else if (r.timed_out) {
		snprintf(why, whylen, "plugin timed out after %g s", o->timeout);
	} else if (!r.exited) {
		snprintf(why, whylen, "plugin killed by signal %d (%s)", r.status, strsignal(r.status));
	} else {
		char *sout = clean_message(r.out.p), *serr = clean_message(r.err.p);
		const char *msg = (r.status && !*sout && *serr) ? serr : sout;
		char shown[400];

		one_line(shown, sizeof(shown), msg);
		if (r.status == 77) {
			snprintf(why, whylen, "plugin cannot run it in this mode: %s", shown);
			res = SKIP;
		} else if (r.status) {
			if (!t.has_error)
				snprintf(why, whylen, "plugin exited with status %d: %s (expected result 0x%" PRIx64 ")",
					 r.status, shown, t.result);
			else if (!t.error || !*t.error || !strcmp(msg, t.error) || strstr(sout, t.error) ||
				 strstr(serr, t.error))
				res = PASS;
			else
				snprintf(why, whylen, "plugin error '%s', expected '%s'", shown, t.error);
			/* Failed as it should, but the object loader may refuse
			 * the program before the check the test names: neither
			 * a pass nor a failure. */
			if (res == FAIL && t.has_error && o->elf)
				res = SKIP_ELF;
		} else if (t.has_error) {
			snprintf(why, whylen, "plugin succeeded with '%s', expected error '%s'", shown,
				 t.error ? t.error : "");
		} else {
			char *end;
			uint64_t v;

			errno = 0;
			v = strtoull(sout, &end, 16);
			while (*end == ' ' || *end == '\t' || *end == '\n')
				end++;
			if (!*sout || errno || end == sout || *end)
				snprintf(why, whylen, "plugin output '%s' is not a hex number", shown);
			else if (v != t.result)
				snprintf(why, whylen, "returned 0x%" PRIx64 ", expected 0x%" PRIx64, v, t.result);
			else
				res = PASS;
		}
		if (res == FAIL && *serr && msg != serr) {
			one_line(shown, sizeof(shown), serr);
			buf_printf(detail, "  stderr: %s\n", shown);
		}
	}
	if ((res == FAIL || res == SKIP_ELF) && o->verbose) {
		buf_printf(detail, "  program: %s", input.p);
		if (t.mem_len)
			buf_printf(detail, "  memory: %s\n", mem.p ? mem.p : "");
	}
	buf_free(&r.out);
	buf_free(&r.err);
out:
	free(argv);
	free(prog);
	buf_free(&input);
	buf_free(&elf_input);
	buf_free(&mem);
	test_free(&t);
	return res;
}

static void report(const struct options *o, const char *path, struct totals *tot)
{
	char why[1024];
	struct buf detail = { 0 };
	enum outcome res = run_test(o, path, why, sizeof(why), &detail);

	switch (res) {
	case PASS:
		tot->passed++;
		if (!o->dump)
			printf("PASS: %s\n", path);
		break;
	case FAIL:
		tot->failed++;
		printf("FAIL: %s: %s\n", path, why);
		if (detail.p)
			fputs(detail.p, stdout);
		break;
	case SKIP:
		tot->skipped++;
		printf("SKIP: %s: %s\n", path, why);
		break;
	case SKIP_ELF:
		tot->skipped++;
		printf("SKIP (elf): %s: %s\n", path, why);
		if (detail.p)
			fputs(detail.p, stdout);
		break;
	}
	fflush(stdout);
	buf_free(&detail);
}

static int data_filter(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 && !strcmp(d->d_name + len - 5, ".data");
}

static void run_path(const struct options *o, const char *path, struct totals *tot)
{
	struct dirent **list;
	struct stat st;
	int n, i;

	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
		report(o, path, tot);
		return;
	}
	n = scandir(path, &list, data_filter, alphasort);
	if (n < 0) {
		printf("FAIL: %s: cannot read directory: %s\n", path, strerror(errno));
		tot->failed++;
		return;
	}
	for (i = 0; i < n; i++) {
		char *full;
		size_t plen = strlen(path);

		if (asprintf(&full, "%s%s%s", path, plen && path[plen - 1] == '/' ? "" : "/", list[i]->d_name) < 0)
			die_oom();
		report(o, full, tot);
		free(full);
		free(list[i]);
	}
	free(list);
}

static void usage(FILE *f)
{
	fputs("usage: uebpf-conformance-runner --plugin PATH [--plugin-opt OPT]... [--elf] [--timeout SEC]\n"
	      "                                [-v] FILE_OR_DIR...\n"
	      "       uebpf-conformance-runner --dump FILE_OR_DIR...\n"
	      "Runs BPF conformance test files (*.data) through a plugin; prints PASS/FAIL per file\n"
	      "and a final line \"N passed, N failed[, N skipped]\". --dump only assembles and prints\n"
	      "the program bytes. --elf sends each program as a BPF ELF object and passes --elf to\n"
	      "the plugin.\n",
	      f);
}

int main(int argc, char **argv)
{
	struct options o = { .timeout = 10.0 };
	struct totals tot = { 0 };
	char **paths;
	int npaths = 0, i;

	paths = calloc((size_t)argc, sizeof(*paths));
	o.plugin_opts = calloc((size_t)argc, sizeof(*o.plugin_opts));
	if (!paths || !o.plugin_opts)
		die_oom();
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--plugin") && i + 1 < argc) {
			o.plugin = argv[++i];
		} else if (!strncmp(a, "--plugin=", 9)) {
			o.plugin = a + 9;
		} else if (!strcmp(a, "--plugin-opt") && i + 1 < argc) {
			o.plugin_opts[o.nopts++] = argv[++i];
		} else if (!strncmp(a, "--plugin-opt=", 13)) {
			o.plugin_opts[o.nopts++] = argv[i] + 13;
		} else if (!strcmp(a, "--timeout") && i + 1 < argc) {
			o.timeout = atof(argv[++i]);
			if (o.timeout <= 0) {
				fprintf(stderr, "uebpf-conformance-runner: invalid --timeout '%s'\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			o.verbose = true;
		} else if (!strcmp(a, "--dump")) {
			o.dump = true;
		} else if (!strcmp(a, "--elf")) {
			o.elf = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--")) {
			while (++i < argc)
				paths[npaths++] = argv[i];
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "uebpf-conformance-runner: unknown or incomplete option '%s'\n", a);
			usage(stderr);
			return 2;
		} else {
			paths[npaths++] = argv[i];
		}
	}
	if ((!o.plugin && !o.dump) || !npaths) {
		usage(stderr);
		return 2;
	}
	if (o.plugin && access(o.plugin, X_OK)) {
		fprintf(stderr, "uebpf-conformance-runner: plugin '%s' is not executable: %s\n", o.plugin,
			strerror(errno));
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < npaths; i++)
		run_path(&o, paths[i], &tot);

	printf("%u passed, %u failed", tot.passed, tot.failed);
	if (tot.skipped)
		printf(", %u skipped", tot.skipped);
	printf("\n");
	free(paths);
	free(o.plugin_opts);
	return tot.failed ? 1 : 0;
}
