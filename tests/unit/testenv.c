/* SPDX-License-Identifier: MIT */
/*
 * testenv: reads the env file named by $FB_TEST_ENV (see testenv.h).  Returns new strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "testenv.h"

char *
testenv_get(const char *name)
{
	const char *path = getenv("FB_TEST_ENV");
	char line[1024], *val = NULL;
	size_t n = strlen(name);
	FILE *f;

	if (path == NULL || (f = fopen(path, "r")) == NULL)
		return NULL;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *v = line, *end;

		if (strncmp(v, "export ", 7) == 0)
			v += 7;
		if (strncmp(v, name, n) != 0 || v[n] != '=')
			continue;
		v += n + 1;
		end = v + strcspn(v, "\r\n");
		if (end > v && (*v == '\'' || *v == '"') && end[-1] == *v) {
			v++;
			end--;
		}
		free(val);
		val = xstrndup(v, (size_t)(end - v));
	}
	fclose(f);
	return val;
}

int
testenv_may_skip(void)
{
	const char *s = getenv("FB_ALLOW_SKIP");

	return s != NULL && strcmp(s, "1") == 0;
}
