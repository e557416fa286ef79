/* opt.h: long options ("--name VALUE" or "--name=VALUE") without getopt_long */
#ifndef OPT_H
#define OPT_H

#include <stdio.h>

struct opt {
	const char *name;	/* without the leading "--" */
	int has_arg;
	int id;			/* > 0, returned by opt_next() */
};

/*
 * Return the id of the next option in argv, starting at *i, and point *arg at
 * its value; 0 when argv is used up; -1 after printing why argv is wrong.
 */
int opt_next(char **argv, int *i, const struct opt *opts, const char **arg);

/*
 * The program's name, from argv[0] (so that an installed closelab-server
 * calls itself that), and its synopsis: the option part, one line per line,
 * to follow "usage: NAME".
 */
void opt_program(const char *path, const char *synopsis);
/* "usage: NAME ..." with the synopsis, its lines aligned under the first. */
void opt_print_usage(FILE *f);
/* Print the usage and a pointer to --help on stderr; exit 2. */
void opt_usage(void);
/* Print "NAME (closelab) VERSION" on stdout; exit 0. */
void opt_version(void);
/* A usage error: print the line naming the problem, then opt_usage(). */
#define opt_bad(...) (warn(__VA_ARGS__), opt_usage())
/* The value of option --name as a number in [min, max], or a usage error. */
long opt_num(const char *name, const char *arg, long min, long max);
/* The index of the value of --name in words (NULL-ended), or a usage error. */
int opt_word(const char *name, const char *arg, const char *const *words);

#endif
