/* events.c: the log vocabulary of events.h, as a table */
#include "events.h"

const struct event_info events[NEVENTS] = {
#define EVENT_INFO(sym, name, who, fields, meaning) { name, who, fields, meaning },
	LOG_EVENTS(EVENT_INFO)
#undef EVENT_INFO
};
