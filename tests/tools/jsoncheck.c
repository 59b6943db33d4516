// SPDX-License-Identifier: MIT
/* jsoncheck < FILE: exit 0 when stdin is one or more JSON values (one per
 * line or separated by white space), 1 otherwise.  For the uebpf tests
 * where python3 is missing. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *p;

static void ws(void)
{
	while (isspace((unsigned char)*p))
		p++;
}

static int value(int depth);

static int string(void)
{
	if (*p++ != '"')
		return 0;
	while (*p && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return 0;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return 0;
				p += 4;
			} else if (!strchr("\"\\/bfnrt", *p)) {
				return 0;
			}
		}
		p++;
	}
	return *p++ == '"';
}

static int number(void)
{
	const char *s = p;

	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return 0;
	if (*p == '0' && isdigit((unsigned char)p[1]))
		return 0;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return p > s;
}

static int seq(char close, int depth, int obj)
{
	p++;
	ws();
	if (*p == close) {
		p++;
		return 1;
	}
	for (;;) {
		if (obj) {
			ws();
			if (!string())
				return 0;
			ws();
			if (*p++ != ':')
				return 0;
		}
		if (!value(depth + 1))
			return 0;
		ws();
		if (*p == close) {
			p++;
			return 1;
		}
		if (*p++ != ',')
			return 0;
	}
}

static int value(int depth)
{
	if (depth > 200)
		return 0;
	ws();
	switch (*p) {
	case '{': return seq('}', depth, 1);
	case '[': return seq(']', depth, 0);
	case '"': return string();
	case 't': return !strncmp(p, "true", 4) && (p += 4);
	case 'f': return !strncmp(p, "false", 5) && (p += 5);
	case 'n': return !strncmp(p, "null", 4) && (p += 4);
	default: return number();
	}
}

int main(void)
{
	static char buf[1 << 24];
	size_t n = fread(buf, 1, sizeof(buf) - 1, stdin);
	int values = 0;

	buf[n] = '\0';
	p = buf;
	for (ws(); *p; ws(), values++)
		if (!value(0))
			return 1;
	return values ? 0 : 1;
}
