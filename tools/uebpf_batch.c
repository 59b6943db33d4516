/* SPDX-License-Identifier: MIT */
/*
 * uebpf batch file FILE: one command per line, as bpftool batch reads
 * them ('#' comments, '\' continues a line, quotes group words), all in
 * this process, so the objects they name are loaded once and their maps
 * keep their state from line to line.  Stops at the first error, which
 * names the line.  Two comments print: a line "#! TEXT" prints TEXT, and
 * "COMMAND #! LABEL" prints LABEL before the command's output.  Program
 * run statistics are on (prog show reports the runs).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "uebpf_tool.h"

#define MAX_ARGS 4096

/* Splits line into words in place; quotes ' and " group words. */
static int make_args(char *line, char **argv, int max)
{
	static const char ws[] = " \t\r\n";
	char *cp = line;
	int argc = 0;

	while (*cp) {
		cp += strspn(cp, ws);
		if (!*cp)
			break;
		if (argc >= max - 1)
			return p_err("too many arguments (more than %d)",
				     max - 1);
		if (*cp == '\'' || *cp == '"') {
			char quote = *cp++;

			argv[argc++] = cp;
			cp = strchr(cp, quote);
			if (!cp)
				return p_err("unterminated quoted string");
		} else {
			argv[argc++] = cp;
			cp += strcspn(cp, ws);
			if (!*cp)
				break;
		}
		*cp++ = '\0';
	}
	argv[argc] = NULL;
	return argc;
}

#define LABEL_WIDTH 32

/* Cuts the comment off; a "#!" comment's text (trimmed) goes to *label. */
static void strip_comment(char *s, char **label)
{
	char *c = strchr(s, '#'), *e;

	if (!c)
		return;
	*c = '\0';
	if (c[1] != '!')
		return;
	c += 2;
	c += strspn(c, " \t");
	for (e = c + strlen(c); e > c && strchr(" \t\r\n", e[-1]); e--)
		;
	*e = '\0';
	*label = c;
}

/* An echo line: "#!" first on the line. */
static bool echo_line(const char *s)
{
	s += strspn(s, " \t");
	return s[0] == '#' && s[1] == '!';
}

/* Appends continuation lines while the line ends with a backslash. */
static int join_continuations(char **buf, size_t *cap, FILE *fp,
			      unsigned int *lineno, char **label, char **lbuf)
{
	char *more = NULL;
	size_t more_cap = 0, len;
	ssize_t n;

	for (;;) {
		len = strlen(*buf);
		while (len &&
		       ((*buf)[len - 1] == '\n' || (*buf)[len - 1] == '\r'))
			len--;
		if (!len || (*buf)[len - 1] != '\\')
			break;
		(*buf)[len - 1] = '\0';
		n = getline(&more, &more_cap, fp);
		if (n < 0) {
			free(more);
			return p_err("missing continuation line");
		}
		(*lineno)++;
		{
			char *l = NULL;

			strip_comment(more, &l);
			if (l) { /* more is reused: keep a copy */
				free(*lbuf);
				*lbuf = strdup(l);
				*label = *lbuf;
			}
		}
		if (strlen(*buf) + (size_t)n + 2 > *cap) {
			char *t = realloc(*buf, strlen(*buf) + (size_t)n + 2);

			if (!t) {
				free(more);
				return p_err("out of memory");
			}
			*buf = t;
			*cap = strlen(*buf) + (size_t)n + 2;
		}
		strcat(*buf, " ");
		strcat(*buf, more);
	}
	free(more);
	return 0;
}

int do_batch(int argc, char **argv)
{
	static char *args[MAX_ARGS];
	unsigned int lineno = 0, done = 0;
	const char *path;
	char *buf = NULL, *label, *lbuf = NULL;
	size_t cap = 0;
	int n, i, err = 0;
	FILE *fp;

	if (batch_file)
		return p_err("batch cannot be used inside a batch");
	if (argc < 2)
		return p_err("too few parameters for batch; usage: uebpf batch "
			     "file FILE");
	if (!is_prefix(argv[0], "file"))
		return p_err("expected 'file', got: %s; usage: uebpf batch "
			     "file FILE",
			     argv[0]);
	if (argc > 2)
		return p_err("too many parameters for batch; usage: uebpf "
			     "batch file FILE");
	path = argv[1];
	fp = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!fp)
		return p_err("can't open file (%s): %s", path, strerror(errno));
	if (opts.json)
		jsonw_start_array();
	batch_file = strcmp(path, "-") ? path : "<stdin>";
	/* As the kernel with kernel.bpf_stats_enabled: prog show reports
	 * the runs of the lines before it. */
	if (tool_runtime())
		uebpf_runtime_enable_stats(tool_runtime(), true);
	while (getline(&buf, &cap, fp) >= 0) {
		bool echo = echo_line(buf);

		batch_line = ++lineno;
		label = NULL;
		strip_comment(buf, &label);
		if (echo) {
			if (opts.json) {
				jsonw_start_object();
				jsonw_string_field("echo", label);
				jsonw_end_object();
			} else {
				printf("%s\n", label);
			}
			continue;
		}
		if (label) { /* buf may move: keep a copy */
			free(lbuf);
			lbuf = strdup(label);
			label = lbuf;
		}
		err = join_continuations(&buf, &cap, fp, &lineno, &label,
					 &lbuf);
		if (err)
			break;
		n = make_args(buf, args, MAX_ARGS);
		if (n < 0) {
			err = -1;
			break;
		}
		if (!n)
			continue;
		if (opts.json) {
			jsonw_start_object();
			jsonw_name("command");
			jsonw_start_array();
			for (i = 0; i < n; i++)
				jsonw_string(args[i]);
			jsonw_end_array();
			if (label)
				jsonw_string_field("label", label);
			jsonw_name("output");
		} else if (label) {
			printf("%-*s ", LABEL_WIDTH - 1, label);
		}
		err = tool_dispatch(n, args);
		if (opts.json)
			jsonw_end_object();
		if (err)
			break;
		done++;
	}
	if (!err && ferror(fp))
		err = p_err("reading batch file failed: %s", strerror(errno));
	batch_file = NULL;
	if (fp != stdin)
		fclose(fp);
	free(buf);
	free(lbuf);
	if (opts.json)
		jsonw_end_array();
	else if (!err)
		printf("processed %u commands\n", done);
	return err;
}
