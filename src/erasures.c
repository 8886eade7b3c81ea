/* The erased persons of recipients/suppressions.tsv (see erasures.h). */
#include "erasures.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "addrhash.h"
#include "safefile.h"
#include "suppressions.h"
#include "yamlfile.h"

/* Suppression lines: the fields of one line (its copy in line). */
static size_t split_tabs(char *line, char **field, size_t max)
{
	size_t n = 0;

	field[n++] = line;
	for (; *line && n < max; line++) {
		if (*line == '\t') {
			*line = '\0';
			field[n++] = line + 1;
		}
	}
	return n;
}

void erasures_parse(struct erasures *out, char *text)
{
	char *line, *next, *field[4], hash[ADDR_HASH_LEN + 1];
	int lineno = 0, added;

	for (line = text; line && *line; line = next) {
		struct strmap_entry *e;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (++lineno == 1 || *line == '#')
			continue;
		line[strcspn(line, "\r")] = '\0';
		if (split_tabs(line, field, 4) < 2 || strcmp(field[1], ERASED_REASON) || !*field[0])
			continue;
		if (addr_is_hash(field[0]))
			snprintf(hash, sizeof(hash), "%s", field[0]);
		else
			addr_hash(field[0], hash);
		e = strmap_put(&out->by_hash, hash, &added);
		if (added)
			e->value = (void *)(intptr_t)lineno;
	}
}

int erasures_load(struct erasures *out, const char *root)
{
	struct buf text = BUF_INIT;
	int r, ret = 0;

	memset(out, 0, sizeof(*out));
	r = content_read(&text, root, SUPPRESSIONS_FILE, YAMLFILE_MAX_SIZE, NULL);
	if (r == CONTENT_REFUSED)
		ret = -1;
	else if (r < 0 && errno != ENOENT)
		ret = error_set("cannot read '%s': %s", SUPPRESSIONS_FILE, strerror(errno));
	else if (r == 0 && text.len)
		erasures_parse(out, text.ptr);
	buf_release(&text);
	return ret;
}

int erasures_line(const struct erasures *e, const char *address)
{
	char hash[ADDR_HASH_LEN + 1];
	const struct strmap_entry *found;

	if (addr_is_hash(address))
		snprintf(hash, sizeof(hash), "%s", address);
	else
		addr_hash(address, hash);
	found = strmap_get(&e->by_hash, hash);
	return found ? (int)(intptr_t)found->value : 0;
}

void erasures_release(struct erasures *e)
{
	strmap_release(&e->by_hash, NULL);
}

