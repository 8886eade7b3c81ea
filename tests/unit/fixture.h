/*
 * Fixtures for unit tests: scratch repositories in a temporary directory.
 */
#ifndef MAILOUT_TEST_FIXTURE_H
#define MAILOUT_TEST_FIXTURE_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

/* Runs a shell command made from fmt, its output thrown away; its exit
 * status (0: it worked), the command shown on stderr when it failed. */
static inline int fixture_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int fixture_run(const char *fmt, ...)
{
	struct buf cmd = BUF_INIT;
	va_list ap;
	int r;

	va_start(ap, fmt);
	buf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	buf_adds(&cmd, " >/dev/null 2>&1");
	r = system(cmd.ptr);
	if (r != 0)
		fprintf(stderr, "failed: %s\n", cmd.ptr);
	buf_release(&cmd);
	return r;
}

/* Creates a temporary directory; the caller frees the path. */
static inline char *fixture_tmpdir(void)
{
	char tmpl[] = "/tmp/mailout-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

/* Writes root/rel with content, creating the directories on the way. */
static inline int fixture_write(const char *root, const char *rel, const char *content)
{
	char path[4096];
	char *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		*slash = '/';
	}
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(content, f);
	return fclose(f);
}

static inline int fixture_append(const char *root, const char *rel, const char *content)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "a");
	if (!f)
		return -1;
	fputs(content, f);
	return fclose(f);
}

static inline void fixture_remove(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

#endif
