/* SPDX-License-Identifier: MIT */
/*
 * The formatting of bpf_trace_printk(), in the kernel's two steps:
 * prepare() applies bpf_bprintf_prepare()'s rules (which formats are
 * allowed, at most nr_args conversions, strings and IP addresses copied
 * into a 512-byte argument buffer), then print() writes what bstr_printf()
 * writes for the format and those arguments.
 *
 * Conversions: %d %i %u %x %X with l or ll, %c, %s, %%, and the pointer
 * forms %p %pK %px %ps %pS %pB %pks %pus %pI4 %pi4 %pI6 %pi6; flags
 * 0 + - space and a width; no precision.  Where user space cannot do what
 * the kernel does:
 *   - %p and %pK print the address itself as %px does (16 hex digits):
 *     the kernel prints a hash of it, keyed per boot;
 *   - %ps %pS %pB print 0x and the address, which is what the kernel
 *     prints for an address with no kernel symbol, as every user-space
 *     address is;
 *   - strings and IP addresses are read as copy_from_kernel_nofault()
 *     reads: an address that cannot be read gives an empty string or a
 *     zero address.  A verified program may name any readable memory of
 *     the process (as a kernel program any kernel memory); an unverified
 *     one only the memory its run may touch.  %pus, a string in user
 *     memory, prints empty as in the kernel, where no address an XDP
 *     program holds is a user address.
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

#define BIN_SIZE 512	  /* MAX_BPRINTF_BIN_ARGS */
#define MAX_WIDTH 8388607 /* FIELD_WIDTH_MAX, (1 << 23) - 1 */
#define PAGE 4096u

/* The kernel's ctype, for the ASCII characters a format may hold. */
static bool k_isprint(int c)
{
	return c >= 0x20 && c < 0x7f;
}

static bool k_isspace(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool k_isdigit(int c)
{
	return c >= '0' && c <= '9';
}

static bool k_isalnum(int c)
{
	return k_isdigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool k_ispunct(int c)
{
	return k_isprint(c) && c != ' ' && !k_isalnum(c);
}

/* ---- reading what arguments point to ----------------------------------- */

static bool checked(const struct uebpf_run_ctx *ctx)
{
	return ctx->prog && ctx->prog->checked;
}

/* Bytes readable at a, up to n: within the run's regions for a checked
 * program (0 outside them), else whatever the process can read. */
static size_t readable(const struct uebpf_run_ctx *ctx, uintptr_t a, size_t n)
{
	unsigned int i;

	if (!checked(ctx))
		return n;
	for (i = 0; i < ctx->nr_regions; i++)
		if (a >= ctx->regions[i].lo && a < ctx->regions[i].hi)
			return n < ctx->regions[i].hi - a ?
				       n : ctx->regions[i].hi - a;
	return 0;
}

/* Copies n bytes from a, which may be any number: false when any of them
 * cannot be read.  process_vm_readv() on our own process fails with
 * EFAULT where a plain read would crash. */
static bool read_nofault(const struct uebpf_run_ctx *ctx, void *dst,
			 uintptr_t a, size_t n)
{
	struct iovec local = { dst, n }, remote = { (void *)a, n };

	if (!n)
		return true;
	if (checked(ctx)) {
		if (readable(ctx, a, n) < n)
			return false;
		memcpy(dst, (const void *)a, n);
		return true;
	}
	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) ==
	       (ssize_t)n;
}

/* strncpy_from_kernel_nofault(): the string at a, at most count bytes
 * with its NUL (cut and terminated if longer).  Returns the bytes used
 * with the NUL, or -EFAULT with dst empty. */
static long read_str(const struct uebpf_run_ctx *ctx, char *dst, uintptr_t a,
		     size_t count)
{
	size_t got = 0, chunk;
	const char *nul;

	while (got < count) {
		/* A page at a time: a string may end before a page that
		 * cannot be read. */
		chunk = PAGE - (a + got) % PAGE;
		if (chunk > count - got)
			chunk = count - got;
		if (checked(ctx))
			chunk = readable(ctx, a + got, chunk);
		if (!chunk || !read_nofault(ctx, dst + got, a + got, chunk)) {
			dst[0] = '\0';
			return -EFAULT;
		}
		nul = memchr(dst + got, '\0', chunk);
		if (nul)
			return nul - dst + 1;
		got += chunk;
	}
	dst[count - 1] = '\0';
	return (long)count;
}

/* ---- prepare ---------------------------------------------------------------- */

enum arg_kind { A_INT, A_CHAR, A_PTR, A_STR };

struct arg {
	enum arg_kind kind;
	uint64_t val;	 /* A_INT, A_CHAR, A_PTR */
	const char *str; /* A_STR, in bin */
};

struct prep {
	const struct uebpf_run_ctx *ctx;
	char bin[BIN_SIZE];
	size_t used; /* of bin, as the kernel's tmp_buf */
	struct arg arg[3];
};

/* Room for an integer or pointer argument of size bytes, 4-aligned. */
static int bin_scalar(struct prep *p, size_t size)
{
	p->used = (p->used + 3) & ~(size_t)3;
	if (p->used > BIN_SIZE || BIN_SIZE - p->used < size)
		return -ENOSPC;
	p->used += size;
	return 0;
}

/* %s, %pks and %pus (user memory: none of the addresses a program holds
 * is one, in the kernel's terms, so it always prints empty). */
static int bin_string(struct prep *p, struct arg *a, uint64_t ptr, bool user)
{
	char *s = p->bin + p->used;
	long n = -EFAULT;

	if (p->used >= BIN_SIZE)
		return -ENOSPC;
	if (!user)
		n = read_str(p->ctx, s, (uintptr_t)ptr, BIN_SIZE - p->used);
	else
		s[0] = '\0';
	if (n < 0)
		n = 1; /* the empty string */
	a->kind = A_STR;
	a->str = s;
	p->used += (size_t)n;
	return 0;
}

/* %pI4 %pi4 %pI6 %pi6, formatted now as the kernel does with snprintf();
 * an unreadable address prints as zeros. */
static int bin_ip(struct prep *p, struct arg *a, char form, char ver,
		  uint64_t ptr)
{
	uint8_t ip[16];
	size_t len = ver == '4' ? 4 : 16, room, i;
	char *s = p->bin + p->used, tmp[48];
	int n = 0;

	if (p->used > BIN_SIZE || BIN_SIZE - p->used < len)
		return -ENOSPC;
	if (!read_nofault(p->ctx, ip, (uintptr_t)ptr, len))
		memset(ip, 0, len);
	if (ver == '4') {
		n = snprintf(tmp, sizeof(tmp),
			     form == 'I' ? "%u.%u.%u.%u" :
					   "%03u.%03u.%03u.%03u",
			     ip[0], ip[1], ip[2], ip[3]);
	} else {
		for (i = 0; i < 8; i++)
			n += snprintf(tmp + n, sizeof(tmp) - n, "%s%02x%02x",
				      form == 'I' && i ? ":" : "", ip[2 * i],
				      ip[2 * i + 1]);
	}
	room = BIN_SIZE - p->used;
	snprintf(s, room, "%s", tmp);
	a->kind = A_STR;
	a->str = s;
	/* The kernel steps over what snprintf() would have written. */
	p->used += (size_t)n + 1 < room ? (size_t)n + 1 : room;
	return 0;
}

/* %pB, which the kernel formats at once: an address with no kernel
 * symbol prints as 0x and the address.  No room check, as in the kernel. */
static void bin_symbol(struct prep *p, struct arg *a, uint64_t ptr)
{
	size_t room = p->used < BIN_SIZE ? BIN_SIZE - p->used : 0;
	int n;

	n = snprintf(room ? p->bin + p->used : NULL, room, "0x%llx",
		     (unsigned long long)ptr);
	a->kind = A_STR;
	a->str = room ? p->bin + p->used : "";
	p->used += (size_t)n + 1 < room ? (size_t)n + 1 : room;
}

/* bpf_bprintf_prepare(): 0 with the arguments captured, or -EINVAL for a
 * format the kernel refuses, -ENOSPC when the arguments do not fit. */
static int prepare(struct prep *p, const char *fmt, size_t n,
		   const uint64_t *raw, unsigned int nr_args)
{
	unsigned int num = 0;
	struct arg *a;
	size_t i, size;
	char ptype;
	int err;

	for (i = 0; i < n; i++) {
		unsigned char c = fmt[i];

		if (c >= 0x80 || (!k_isprint(c) && !k_isspace(c)))
			return -EINVAL;
		if (c != '%')
			continue;
		if (fmt[i + 1] == '%') {
			i++;
			continue;
		}
		if (num >= nr_args)
			return -EINVAL;
		a = &p->arg[num];
		/* fmt is NUL-terminated: fmt[i + 1] is at worst the NUL. */
		i++;
		while (fmt[i] == '0' || fmt[i] == '+' || fmt[i] == '-' ||
		       fmt[i] == ' ')
			i++;
		if (fmt[i] >= '1' && fmt[i] <= '9') {
			i++;
			while (k_isdigit(fmt[i]))
				i++;
		}

		if (fmt[i] == 'p') {
			char n1 = fmt[i + 1];

			if ((n1 == 'k' || n1 == 'u') && fmt[i + 2] == 's') {
				ptype = n1;
				i += 2;
				goto fmt_str;
			}
			if (n1 == 0 || k_isspace(n1) || k_ispunct(n1) ||
			    n1 == 'K' || n1 == 'x' || n1 == 's' || n1 == 'S') {
				err = bin_scalar(p, sizeof(long));
				if (err)
					return err;
				a->kind = A_PTR;
				a->val = raw[num++];
				i++;
				continue;
			}
			if (n1 == 'B') {
				bin_symbol(p, a, raw[num++]);
				i++;
				continue;
			}
			if ((n1 != 'i' && n1 != 'I') ||
			    (fmt[i + 2] != '4' && fmt[i + 2] != '6'))
				return -EINVAL;
			err = bin_ip(p, a, n1, fmt[i + 2], raw[num++]);
			if (err)
				return err;
			i += 2;
			continue;
		} else if (fmt[i] == 's') {
			ptype = 's';
fmt_str:
			if (fmt[i + 1] != 0 && !k_isspace(fmt[i + 1]) &&
			    !k_ispunct(fmt[i + 1]))
				return -EINVAL;
			err = bin_string(p, a, raw[num++], ptype == 'u');
			if (err)
				return err;
			continue;
		} else if (fmt[i] == 'c') {
			if (p->used >= BIN_SIZE)
				return -ENOSPC;
			p->used++;
			a->kind = A_CHAR;
			a->val = (uint8_t)raw[num++];
			continue;
		}

		size = 4;
		if (fmt[i] == 'l') {
			size = 8;
			i++;
		}
		if (fmt[i] == 'l')
			i++;
		if (fmt[i] != 'i' && fmt[i] != 'd' && fmt[i] != 'u' &&
		    fmt[i] != 'x' && fmt[i] != 'X')
			return -EINVAL;
		err = bin_scalar(p, size);
		if (err)
			return err;
		a->kind = A_INT;
		a->val = size == 4 ? (uint32_t)raw[num] : raw[num];
		num++;
	}
	return 0;
}

/* ---- print ------------------------------------------------------------------ */

struct sink {
	char *buf;
	size_t size;
	size_t len; /* what the whole output takes */
};

static void __attribute__((format(printf, 2, 3)))
put(struct sink *o, const char *fmt, ...)
{
	size_t room = o->len < o->size ? o->size - o->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

struct spec {
	bool left, zero, plus, space;
	int width; /* -1: none */
};

/* A string (or character) in its field: spaces, never zeros, as the
 * kernel's widen_string(). */
static void put_str(struct sink *o, const struct spec *s, const char *str)
{
	put(o, s->left ? "%-*s" : "%*s", s->width < 0 ? 0 : s->width, str);
}

static void put_num(struct sink *o, const struct spec *s, char conv, int size,
		    uint64_t v)
{
	char f[16];
	size_t k = 0;

	f[k++] = '%';
	if (s->left)
		f[k++] = '-';
	if (s->zero)
		f[k++] = '0';
	if (s->plus)
		f[k++] = '+';
	if (s->space)
		f[k++] = ' ';
	f[k++] = '*';
	if (size == 8) {
		f[k++] = 'l';
		f[k++] = 'l';
	}
	f[k++] = conv == 'i' ? 'd' : conv;
	f[k] = '\0';
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (conv == 'd' || conv == 'i') {
		if (size == 8)
			put(o, f, s->width < 0 ? 0 : s->width, (long long)v);
		else
			put(o, f, s->width < 0 ? 0 : s->width, (int)(uint32_t)v);
	} else {
		if (size == 8)
			put(o, f, s->width < 0 ? 0 : s->width,
			    (unsigned long long)v);
		else
			put(o, f, s->width < 0 ? 0 : s->width, (uint32_t)v);
	}
#pragma GCC diagnostic pop
}

/* bstr_printf() over a format prepare() accepted. */
static void print(struct sink *o, const char *fmt, size_t n,
		  const struct arg *args)
{
	const struct arg *a = args;
	struct spec s;
	size_t i;
	int size;
	char tmp[24];

	for (i = 0; i < n; i++) {
		if (fmt[i] != '%') {
			put(o, "%c", fmt[i]);
			continue;
		}
		if (fmt[++i] == '%') {
			put(o, "%%");
			continue;
		}
		memset(&s, 0, sizeof(s));
		for (;; i++) {
			if (fmt[i] == '-')
				s.left = true;
			else if (fmt[i] == '0')
				s.zero = true;
			else if (fmt[i] == '+')
				s.plus = true;
			else if (fmt[i] == ' ')
				s.space = true;
			else
				break;
		}
		s.width = -1;
		if (k_isdigit(fmt[i])) {
			s.width = 0;
			while (k_isdigit(fmt[i])) {
				if (s.width <= MAX_WIDTH)
					s.width = s.width * 10 + fmt[i] - '0';
				i++;
			}
			if (s.width > MAX_WIDTH)
				s.width = MAX_WIDTH;
		}
		switch (fmt[i]) {
		case 'p':
			if (a->kind == A_STR) {
				put_str(o, &s, a->str);
			} else if (fmt[i + 1] == 's' || fmt[i + 1] == 'S') {
				snprintf(tmp, sizeof(tmp), "0x%llx",
					 (unsigned long long)a->val);
				put_str(o, &s, tmp);
			} else {
				/* pointer_string(): 16 digits, zero-padded,
				 * unless the format gives a width. */
				struct spec ps = { .left = s.left,
						   .zero = s.zero,
						   .width = s.width };

				if (ps.width < 0) {
					ps.width = 16;
					ps.zero = true;
				}
				put_num(o, &ps, 'x', 8, a->val);
			}
			/* Extensions and what follows them up to a
			 * non-alphanumeric character belong to the %p. */
			while (k_isalnum(fmt[i + 1]))
				i++;
			break;
		case 's':
			put_str(o, &s, a->str);
			break;
		case 'c':
			if (!s.left)
				while (--s.width > 0)
					put(o, " ");
			put(o, "%c", (char)a->val);
			while (--s.width > 0)
				put(o, " ");
			break;
		default:
			size = 4;
			if (fmt[i] == 'l') {
				size = 8;
				i++;
			}
			if (fmt[i] == 'l')
				i++;
			put_num(o, &s, fmt[i], size, a->val);
			break;
		}
		a++;
	}
}

int uebpf_bprintf(const struct uebpf_run_ctx *ctx, char *out, size_t out_size,
		  const char *fmt, uint32_t fmt_size, const uint64_t *args,
		  unsigned int nr_args)
{
	struct sink o = { out, out_size, 0 };
	struct prep p;
	const char *end;
	int err;

	if (out_size)
		out[0] = '\0';
	if (nr_args > ARRAY_SIZE(p.arg))
		return -EINVAL;
	end = fmt ? memchr(fmt, '\0', fmt_size) : NULL;
	if (!end)
		return -EINVAL;
	p.ctx = ctx;
	p.used = 0;
	err = prepare(&p, fmt, (size_t)(end - fmt), args, nr_args);
	if (err)
		return err;
	print(&o, fmt, (size_t)(end - fmt), p.arg);
	if (o.len > INT32_MAX)
		o.len = INT32_MAX;
	return (int)o.len;
}
