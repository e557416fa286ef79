/*
 * parsers.c: a libFuzzer target for what reads untrusted text: the option
 * parser (long options, numbers, words) and the log-line reader the
 * client uses on a server's log. make fuzz runs it for a bounded time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/log.h"
#include "../../common/opt.h"
#include "../../common/util.h"

static const struct opt opts[] = {
	{ "port", 1, 1 }, { "then", 1, 2 }, { "help", 0, 3 }, { "send", 1, 4 },
	{ NULL, 0, 0 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *argv[64], value[64], *p;
	struct logline line;
	const char *arg;
	long v;
	int argc = 0, i = 0, id;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	/* the whole input as a number, and as a log line */
	parse_num(text, 0, 65535, &v);
	log_parse(text, &line);
	log_field(text, "conn", value, sizeof value);
	log_field(text, "t", value, sizeof value);

	/* its words as argv */
	argv[argc++] = "fuzz";
	for (p = strtok(text, " \n"); p && argc < 63; p = strtok(NULL, " \n"))
		argv[argc++] = p;
	argv[argc] = NULL;
	i = 1;
	while ((id = opt_next(argv, &i, opts, &arg)) > 0)
		if (id == 1 || id == 2)
			parse_num(arg, 1, 65535, &v);
	free(text);
	return 0;
}
