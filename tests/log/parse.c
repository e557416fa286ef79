/*
 * parse.c: each line of the corpus (standard input) as common/log.c reads
 * it, in the form parse.awk prints for common/log.awk: "invalid", or the
 * fixed fields and then the value of each key that the corpus's first line
 * names ("# keys: ..."), "-" where it has none.
 */
#include <stdio.h>
#include <string.h>

#include "../../common/log.h"

int
main(void)
{
	char line[1024], keys[256] = "", value[256], *key, *save;
	struct logline l;

	while (fgets(line, sizeof line, stdin)) {
		if (strncmp(line, "# keys:", 7) == 0 && keys[0] == '\0') {
			snprintf(keys, sizeof keys, "%s", line + 7);
			keys[strcspn(keys, "\n")] = '\0';
			continue;
		}
		if (line[0] == '#')
			continue;
		if (log_parse(line, &l) == -1) {
			puts("invalid");
			continue;
		}
		printf("t=%lld pid=%ld role=%s conn=%s ev=%s", (long long)l.t, l.pid, l.role,
		    l.conn, l.ev);
		for (key = strtok_r(strcpy(value, keys), " ", &save); key;
		    key = strtok_r(NULL, " ", &save)) {
			char v[256];
			printf(" %s=%s", key, log_field(line, key, v, sizeof v) ? v : "-");
		}
		putchar('\n');
	}
	return 0;
}
