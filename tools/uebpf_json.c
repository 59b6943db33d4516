/* SPDX-License-Identifier: MIT */
/*
 * A small JSON writer with bpftool's output shape: compact by default,
 * four-space indentation with -p.  One document per process (a batch is
 * one array).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "uebpf_tool.h"

#define MAX_DEPTH 64

static struct {
	FILE *f;
	bool pretty;
	bool spaced; /* one line, ", " and ": " (uebpf --oneline) */
	unsigned int depth;
	bool first[MAX_DEPTH];	/* no element written yet at this depth */
	bool is_obj[MAX_DEPTH]; /* the container at this depth is an object */
	bool after_name;	/* a name was written, its value comes next */
	bool wrote;		/* anything at all */
} w;

void jsonw_init(FILE *f, bool pretty)
{
	memset(&w, 0, sizeof(w));
	w.f = f;
	w.pretty = pretty;
	w.first[0] = true;
}

void jsonw_init_spaced(FILE *f)
{
	jsonw_init(f, false);
	w.spaced = true;
}

bool jsonw_active(void)
{
	return w.f && w.depth > 0;
}

bool jsonw_in_object(void)
{
	return w.f && w.depth > 0 && w.is_obj[w.depth] && !w.after_name;
}

void jsonw_finish(void)
{
	if (w.f && w.wrote)
		fputc('\n', w.f);
	if (w.f)
		fflush(w.f);
	w.wrote = false;
}

static void indent(void)
{
	unsigned int i;

	if (!w.pretty)
		return;
	fputc('\n', w.f);
	for (i = 0; i < w.depth; i++)
		fputs("    ", w.f);
}

/* Before any value or name: the comma; with -p, a new line and the
 * indentation before a name only, as bpftool's json_writer (an array's
 * elements follow each other: "[{", "},{", "[1,2,3"). */
static void sep_(bool name)
{
	if (w.after_name) {
		w.after_name = false;
		return;
	}
	if (w.depth == 0 && w.wrote)
		fputc('\n', w.f); /* a second document: one per line */
	if (w.depth && !w.first[w.depth])
		fputs(w.spaced ? ", " : ",", w.f);
	if (w.depth && name)
		indent();
	w.first[w.depth] = false;
	w.wrote = true;
}

static void sep(void)
{
	sep_(false);
}

static void open_(char c)
{
	sep();
	fputc(c, w.f);
	if (w.depth + 1 < MAX_DEPTH)
		w.depth++;
	w.first[w.depth] = true;
	w.is_obj[w.depth] = c == '{';
}

static void close_(char c)
{
	bool empty = w.first[w.depth];

	if (w.depth)
		w.depth--;
	if (!empty)
		indent();
	fputc(c, w.f);
}

void jsonw_start_object(void)
{
	open_('{');
}

void jsonw_end_object(void)
{
	close_('}');
}

void jsonw_start_array(void)
{
	open_('[');
}

void jsonw_end_array(void)
{
	close_(']');
}

static void quoted(const char *s)
{
	const unsigned char *p;

	fputc('"', w.f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", w.f); break;
		case '\\': fputs("\\\\", w.f); break;
		case '\n': fputs("\\n", w.f); break;
		case '\t': fputs("\\t", w.f); break;
		case '\r': fputs("\\r", w.f); break;
		default:
			if (*p < 0x20)
				fprintf(w.f, "\\u%04x", *p);
			else
				fputc(*p, w.f);
		}
	}
	fputc('"', w.f);
}

void jsonw_name(const char *name)
{
	sep_(true);
	quoted(name);
	fputs(w.pretty || w.spaced ? ": " : ":", w.f);
	w.after_name = true;
}

void jsonw_raw(const char *s)
{
	sep();
	fputs(s, w.f);
}

void jsonw_string(const char *s)
{
	sep();
	quoted(s ? s : "");
}

void jsonw_uint(uint64_t v)
{
	sep();
	fprintf(w.f, "%" PRIu64, v);
}

void jsonw_int(int64_t v)
{
	sep();
	fprintf(w.f, "%" PRId64, v);
}

void jsonw_float(double v)
{
	sep();
	if (isfinite(v))
		fprintf(w.f, "%.3f", v);
	else
		fputs("null", w.f);
}

void jsonw_bool(bool v)
{
	jsonw_raw(v ? "true" : "false");
}

void jsonw_null(void)
{
	jsonw_raw("null");
}

void jsonw_string_field(const char *name, const char *s)
{
	jsonw_name(name);
	jsonw_string(s);
}

void jsonw_uint_field(const char *name, uint64_t v)
{
	jsonw_name(name);
	jsonw_uint(v);
}

void jsonw_int_field(const char *name, int64_t v)
{
	jsonw_name(name);
	jsonw_int(v);
}

void jsonw_bool_field(const char *name, bool v)
{
	jsonw_name(name);
	jsonw_bool(v);
}

void jsonw_hex_bytes(const void *data, size_t n)
{
	const uint8_t *b = data;
	char s[8];
	size_t i;

	jsonw_start_array();
	for (i = 0; i < n; i++) {
		snprintf(s, sizeof(s), "\"0x%02x\"", b[i]);
		jsonw_raw(s);
	}
	jsonw_end_array();
}

void jsonw_dec_bytes(const void *data, size_t n)
{
	const uint8_t *b = data;
	size_t i;

	jsonw_start_array();
	for (i = 0; i < n; i++)
		jsonw_uint(b[i]);
	jsonw_end_array();
}
