/* events.c: the log vocabulary of events.h, as a table */
#include <string.h>

#include "events.h"

const struct event_info events[NEVENTS] = {
#define EVENT_INFO(sym, name, who, fields, meaning) { name, who, fields, meaning },
	LOG_EVENTS(EVENT_INFO)
#undef EVENT_INFO
};

int
event_named(const char *name)
{
	int i;

	for (i = 0; i < NEVENTS; i++)
		if (strcmp(events[i].name, name) == 0)
			return i;
	return -1;
}
