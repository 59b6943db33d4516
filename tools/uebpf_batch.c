/* SPDX-License-Identifier: MIT */
/*
 * uebpf batch file FILE: one command per line, as bpftool batch reads
 * them ('#' comments, '\' continues a line, quotes group words), all in
 * this process, so the objects they name are loaded once and their maps
 * keep their state from line to line.  Stops at the first error, which
 * names the line.
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

static void strip_comment(char *s)
{
	char *c = strchr(s, '#');

	if (c)
		*c = '\0';
}

/* Appends continuation lines while the line ends with a backslash. */
static int join_continuations(char **buf, size_t *cap, FILE *fp,
			      unsigned int *lineno)
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
		strip_comment(more);
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
	char *buf = NULL;
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
	while (getline(&buf, &cap, fp) >= 0) {
		batch_line = ++lineno;
		strip_comment(buf);
		err = join_continuations(&buf, &cap, fp, &lineno);
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
			jsonw_name("output");
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
	if (opts.json)
		jsonw_end_array();
	else if (!err)
		printf("processed %u commands\n", done);
	return err;
}
