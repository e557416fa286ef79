/* opt.c: long options ("--name VALUE" or "--name=VALUE") without getopt_long */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"
#include "util.h"

#ifndef VERSION
#define VERSION "unknown"	/* config.mk defines it for every build of make's */
#endif

int
opt_next(char **argv, int *i, const struct opt *opts, const char **arg)
{
	const char *word = argv[*i], *eq;
	size_t len;

	if (word == NULL)
		return 0;
	(*i)++;
	if (strcmp(word, "-h") == 0)
		word = "--help";
	if (strncmp(word, "--", 2) != 0 || word[2] == '\0') {
		warn("unexpected argument '%s'", word);
		return -1;
	}
	word += 2;
	eq = strchr(word, '=');
	len = eq ? (size_t)(eq - word) : strlen(word);
	for (; opts->name; opts++) {
		if (strlen(opts->name) != len || strncmp(opts->name, word, len) != 0)
			continue;
		*arg = NULL;
		if (opts->has_arg && eq) {
			*arg = eq + 1;
		} else if (opts->has_arg) {
			if (argv[*i] == NULL) {
				warn("option --%s needs a value", opts->name);
				return -1;
			}
			*arg = argv[(*i)++];
		} else if (eq) {
			warn("option --%s takes no value", opts->name);
			return -1;
		}
		return opts->id;
	}
	warn("unknown option --%.*s", (int)len, word);
	return -1;
}

static const char *synopsis = "";

void
opt_program(const char *path, const char *text)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	if (path && *path)
		argv0 = slash && slash[1] ? slash + 1 : path;
	synopsis = text;
}

void
opt_print_usage(FILE *f)
{
	int indent = (int)strlen("usage: ") + (int)strlen(argv0) + 1;
	const char *p = synopsis;
	size_t n;

	fprintf(f, "usage: %s ", argv0);
	for (; *p; p += n + (p[n] == '\n')) {
		n = strcspn(p, "\n");
		fprintf(f, "%*s%.*s\n", p == synopsis ? 0 : indent, "", (int)n, p);
	}
}

void
opt_usage(void)
{
	opt_print_usage(stderr);
	fprintf(stderr, "Try '%s --help' for more.\n", argv0);
	exit(EXIT_USAGE);
}

void
opt_version(void)
{
	printf("%s (closelab) %s\n", argv0, VERSION);
	exit(fflush(stdout) == 0 && !ferror(stdout) ? 0 : EXIT_RUNTIME);
}

long
opt_num(const char *name, const char *arg, long min, long max)
{
	long v = 0;

	if (parse_num(arg, min, max, &v) == -1)
		opt_bad("--%s needs a number from %ld to %ld, not '%s'", name, min, max, arg);
	return v;
}

int
opt_word(const char *name, const char *arg, const char *const *words)
{
	char list[256] = "";
	int i;

	for (i = 0; words[i]; i++)
		if (strcmp(arg, words[i]) == 0)
			return i;
	/* "a, b or c" */
	for (i = 0; words[i]; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
		    i == 0 ? "" : words[i + 1] ? ", " : " or ", words[i]);
	opt_bad("--%s must be %s, not '%s'", name, list, arg);
	return -1;
}
