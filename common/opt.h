/* opt.h: long options ("--name VALUE" or "--name=VALUE") without getopt_long */
#ifndef OPT_H
#define OPT_H

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

#endif
