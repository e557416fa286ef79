/*
 * events.c: the log vocabulary of common/events.h, a line an event:
 * "NAME<TAB>KEY KEY...", the keys of the fields it may have, in order.
 */
#include <stdio.h>
#include <string.h>

#include "../../common/events.h"

int
main(void)
{
	const char *f, *eq;
	int i;

	for (i = 0; i < NEVENTS; i++) {
		printf("%s\t", events[i].name);
		/* "key=" or "key=a|b", a space between */
		for (f = events[i].fields; (eq = strchr(f, '=')) != NULL; ) {
			printf("%s%.*s", f == events[i].fields ? "" : " ", (int)(eq - f), f);
			f = eq + strcspn(eq, " ");
			f += strspn(f, " ");
		}
		putchar('\n');
	}
	return 0;
}
