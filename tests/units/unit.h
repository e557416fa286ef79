/*
 * unit.h: the checks of tests/units/. A check that holds says nothing; the
 * first that does not prints "not ok - SENTENCE (FILE:LINE)" and ends the
 * program with status 1. A program that cannot check here prints
 * "skip - REASON" and ends with 77. Only the process that main() runs
 * checks: a forked child reports to it, and ends with _exit().
 */
#ifndef UNIT_H
#define UNIT_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Unless cond: the sentence, and exit 1. */
#define CHECK(cond, sentence) do { \
	if (!(cond)) { \
		printf("not ok - %s (%s:%d)\n", (sentence), __FILE__, __LINE__); \
		exit(1); \
	} \
} while (0)

/* CHECK() of a system call: the sentence ends with errno's message. */
#define CHECK_SYS(cond, sentence) do { \
	if (!(cond)) { \
		printf("not ok - %s: %s (%s:%d)\n", (sentence), strerror(errno), __FILE__, \
		    __LINE__); \
		exit(1); \
	} \
} while (0)

/* The rest cannot be checked here: the reason, and exit 77. */
#define SKIP(reason) do { \
	printf("skip - %s\n", (reason)); \
	exit(77); \
} while (0)

/* Whether two strings are the same; NULL is the same as nothing. */
static inline int
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

#endif
