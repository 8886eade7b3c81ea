/* recipients/suppressions.tsv (see suppressions.h). */
#include "suppressions.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addrhash.h"
#include "config.h"
#include "safefile.h"
#include "schedule.h"
#include "xalloc.h"
#include "yamlfile.h"

static const char *const suppression_reasons[] = { "unsubscribed", "bounced", "manual", "erased",
						   NULL };

/* Whether s starts with the hash prefix in any case: meant as a hash. */
static int looks_hashed(const char *s)
{
	return !strncasecmp(s, ADDR_HASH_PREFIX, sizeof(ADDR_HASH_PREFIX) - 1);
}

/* The column (from 1) of the first character that spoils hash s. */
static int hash_error_column(const char *s)
{
	size_t i, p = sizeof(ADDR_HASH_PREFIX) - 1;

	if (strncmp(s, ADDR_HASH_PREFIX, p))
		return 1;
	for (i = p; i < ADDR_HASH_LEN && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'));
	     i++)
		;
	return (int)i + 1;
}

/* Splits line at tabs into at most 4 fields; returns how many. */
static size_t split_fields(char *line, char *field[4])
{
	size_t nf;

	for (nf = 0, field[0] = line; nf < 4;) {
		char *tab = strchr(field[nf], '\t');
		nf++;
		if (!tab)
			break;
		*tab = '\0';
		if (nf < 4)
			field[nf] = tab + 1;
	}
	return nf;
}

/* Checks the first field of line lineno; 0 when it is an address or a hash. */
static int check_key(const char *key, int lineno, struct diag_list *diags)
{
	const char *why;

	if (looks_hashed(key)) {
		if (addr_is_hash(key))
			return 0;
		diag_add(diags, DIAG_ERROR, SUPPRESSIONS_FILE, lineno, hash_error_column(key),
			 "invalid hash '%.80s': expected sha256: and 64 lower-case hex digits", key);
		return -1;
	}
	if (address_check(key, &why) < 0) {
		diag_add(diags, DIAG_ERROR, SUPPRESSIONS_FILE, lineno, 1, "invalid address '%s': %s",
			 key, why);
		return -1;
	}
	return 0;
}

static void add_suppression(struct suppressions *out, const char *key, const char *reason,
			    int lineno)
{
	char hash[ADDR_HASH_LEN + 1];
	struct strmap_entry *e;
	struct suppression *s;
	int hashed = addr_is_hash(key);

	if (!hashed && !out->plain++)
		out->first_plain = lineno;
	if (hashed)
		memcpy(hash, key, sizeof(hash));
	else
		addr_hash(key, hash);
	e = strmap_put(&out->by_hash, hash, NULL);
	if (e->value)
		return;
	s = xcalloc(1, sizeof(*s));
	s->reason = xstrdup(reason);
	s->line = lineno;
	s->hashed = hashed;
	e->value = s;
}

/* One line (NUL-terminated, its line end removed) of the file. */
static void parse_line(struct suppressions *out, char *line, int lineno, struct diag_list *diags)
{
	char *field[4];
	size_t i, nf;
	time_t t;

	if (!*line || *line == '#')
		return;
	nf = split_fields(line, field);
	if (lineno == 1) {
		if (nf != 4 || strcmp(field[0], "address") || strcmp(field[1], "reason") ||
		    strcmp(field[2], "time") || strcmp(field[3], "source"))
			diag_add(diags, DIAG_ERROR, SUPPRESSIONS_FILE, 1, 1,
				 "expected the header 'address<TAB>reason<TAB>time<TAB>source'");
		return;
	}
	if (nf != 4 || strchr(field[3], '\t')) {
		diag_add(diags, DIAG_ERROR, SUPPRESSIONS_FILE, lineno, 1,
			 "expected 4 tab-separated fields: address, reason, time, source");
		return;
	}
	if (check_key(field[0], lineno, diags) < 0)
		return;
	for (i = 0; suppression_reasons[i] && strcmp(suppression_reasons[i], field[1]); i++)
		;
	if (!suppression_reasons[i])
		diag_add(diags, DIAG_ERROR, SUPPRESSIONS_FILE, lineno, (int)(field[1] - line) + 1,
			 "invalid reason '%s': expected unsubscribed, bounced, manual or erased",
			 field[1]);
	if (time_parse_rfc3339(field[2], &t) < 0)
		diag_add(diags, DIAG_ERROR, SUPPRESSIONS_FILE, lineno, (int)(field[2] - line) + 1,
			 "invalid time '%s': expected RFC 3339 like 2026-11-02T09:14:00Z", field[2]);
	error_clear();
	/* a bad reason still suppresses: the person asked for something */
	add_suppression(out, field[0], suppression_reasons[i] ? field[1] : "manual", lineno);
}

int suppressions_parse(struct suppressions *out, const char *text, size_t len,
		       struct diag_list *diags)
{
	struct buf line = BUF_INIT;
	const char *p = text, *end = text + len, *nl;
	int lineno = 0;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		buf_reset(&line);
		buf_add(&line, p, (size_t)((nl ? nl : end) - p));
		p = nl ? nl + 1 : end;
		lineno++;
		if (line.len && line.ptr[line.len - 1] == '\r')
			line.ptr[--line.len] = '\0';
		parse_line(out, line.ptr, lineno, diags);
	}
	buf_release(&line);
	return 0;
}

int suppressions_load(struct suppressions *out, const char *root, struct diag_list *diags)
{
	struct buf text = BUF_INIT;
	int r, ret = 0;

	memset(out, 0, sizeof(*out));
	if ((r = content_read(&text, root, SUPPRESSIONS_FILE, YAMLFILE_MAX_SIZE, diags)) < 0) {
		if (r == CONTENT_REFUSED) {
			ret = -1;
		} else if (errno != ENOENT) {
			diag_add(diags, DIAG_ERROR, SUPPRESSIONS_FILE, 0, 0, "cannot read: %s",
				 errno == EFBIG ? "file too large" : strerror(errno));
			ret = -1;
		}
	} else {
		suppressions_parse(out, text.ptr, text.len, diags);
	}
	buf_release(&text);
	return ret;
}

const struct suppression *suppressions_find(const struct suppressions *s, const char *key)
{
	char hash[ADDR_HASH_LEN + 1];
	const struct strmap_entry *e;

	if (!s->by_hash.count)
		return NULL;
	if (addr_is_hash(key))
		e = strmap_get(&s->by_hash, key);
	else {
		addr_hash(key, hash);
		e = strmap_get(&s->by_hash, hash);
	}
	return e ? e->value : NULL;
}

static void suppression_free(void *v)
{
	struct suppression *s = v;

	if (s)
		free(s->reason);
	free(s);
}

void suppressions_release(struct suppressions *s)
{
	strmap_release(&s->by_hash, suppression_free);
	memset(s, 0, sizeof(*s));
}

char *suppression_field(const char *address, int hash)
{
	char *out;

	if (addr_is_hash(address))
		return xstrdup(address);
	if (hash) {
		out = xmalloc(ADDR_HASH_LEN + 1);
		addr_hash(address, out);
		return out;
	}
	out = xstrdup(address);
	str_lower(out);
	return out;
}

void suppressions_hash_text(struct buf *out, const char *text, size_t len, size_t *converted)
{
	const char *p = text, *end = text + len, *nl, *stop;
	char hash[ADDR_HASH_LEN + 1], *key;
	size_t keylen;
	int lineno = 0;

	*converted = 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		stop = nl ? nl + 1 : end;
		lineno++;
		/* the first field (the parse found a tab on every line); text
		 * need not end with a NUL */
		for (keylen = 0; p + keylen < stop && !strchr("\t\r\n", p[keylen]); keylen++)
			;
		key = xstrndup(p, keylen);
		if (lineno > 1 && keylen && *p != '#' && !addr_is_hash(key)) {
			addr_hash(key, hash);
			buf_adds(out, hash);
			buf_add(out, p + keylen, (size_t)(stop - p - keylen));
			(*converted)++;
		} else {
			buf_add(out, p, (size_t)(stop - p));
		}
		free(key);
		p = stop;
	}
}
