/* Erasure requests (see forget.h). */
#include "forget.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addrhash.h"
#include "erasures.h"
#include "githistory.h"
#include "recipients.h"
#include "safefile.h"
#include "schedule.h"
#include "xalloc.h"
#include "yamlfile.h"

/* Characters an address may hold next to its ends: one of them right
 * before or after a match means the match is part of another address. */
static int address_char(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~.", c)) || c >= 0x80;
}

static int ends_address(const char *text, size_t len, size_t at)
{
	unsigned char c;

	if (at >= len)
		return 1;
	c = (unsigned char)text[at];
	/* a full stop ends a sentence, not the domain, unless more follows */
	if (c == '.')
		return at + 1 >= len || !isalnum((unsigned char)text[at + 1]);
	return !isalnum(c) && c != '-' && c != '_' && c < 0x80;
}

const char *forget_find(const char *text, size_t len, const char *address)
{
	size_t alen = strlen(address), i;
	int first;

	if (!alen || alen > len)
		return NULL;
	first = tolower((unsigned char)address[0]);
	for (i = 0; i + alen <= len; i++) {
		if (tolower((unsigned char)text[i]) != first ||
		    strncasecmp(text + i, address, alen) != 0)
			continue;
		if (i > 0 && address_char((unsigned char)text[i - 1]))
			continue;
		if (ends_address(text, len, i + alen))
			return text + i;
	}
	return NULL;
}

size_t forget_replace(struct buf *out, const char *text, size_t len, const char *const *addresses,
		      size_t n)
{
	char hash[ADDR_HASH_LEN + 1];
	size_t pos = 0, count = 0, i, best_i = 0;

	for (;;) {
		const char *best = NULL, *p;

		for (i = 0; i < n; i++) {
			p = forget_find(text + pos, len - pos, addresses[i]);
			if (p && (!best || p < best)) {
				best = p;
				best_i = i;
			}
		}
		if (!best)
			break;
		buf_add(out, text + pos, (size_t)(best - (text + pos)));
		addr_hash(addresses[best_i], hash);
		buf_adds(out, hash);
		pos = (size_t)(best - text) + strlen(addresses[best_i]);
		count++;
	}
	buf_add(out, text + pos, len - pos);
	return count;
}

/* Record files: the offsets where lines start, so that a node's line and
 * column become a byte offset. */
struct lines {
	size_t *start; /* start[k]: line k + 1 */
	size_t count, bom;
	const char *text;
	size_t len;
};

static void lines_init(struct lines *l, const char *text, size_t len)
{
	size_t cap = 0, i;

	memset(l, 0, sizeof(*l));
	l->text = text;
	l->len = len;
	l->bom = ydoc_bom_len(text, len);
	XGROW(l->start, cap, 1);
	l->start[l->count++] = 0;
	for (i = 0; i < len; i++) {
		if (text[i] == '\n') {
			XGROW(l->start, cap, l->count + 1);
			l->start[l->count++] = i + 1;
		}
	}
}

/* The byte offset of a node's line and column (libyaml counts columns in
 * characters; line 1's from after a byte-order mark). */
static size_t lines_offset(const struct lines *l, int line, int col)
{
	size_t at, end;

	if (line < 1 || (size_t)line > l->count)
		return l->len;
	at = l->start[line - 1] + (line == 1 ? l->bom : 0);
	end = (size_t)line < l->count ? l->start[line] : l->len;
	while (col > 1 && at < end) {
		at++;
		while (at < end && ((unsigned char)l->text[at] & 0xC0) == 0x80)
			at++;
		col--;
	}
	return at;
}

static size_t line_start_of(const struct lines *l, size_t at)
{
	while (at > 0 && l->text[at - 1] != '\n')
		at--;
	return at;
}

/* Where the record of item starts: the line of its '-'. */
static size_t record_start(const struct lines *l, const struct ynode *item)
{
	size_t at = lines_offset(l, item->line, item->col), p = at;

	while (p > 0 && strchr(" \t\r\n", l->text[p - 1]))
		p--;
	if (p > 0 && l->text[p - 1] == '-')
		return line_start_of(l, p - 1);
	return line_start_of(l, at);
}

static int blank_or_comment(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && strchr(" \t\r", s[i]))
		i++;
	return i == len || s[i] == '\n' || s[i] == '#';
}

/* Moves end back over the comment and blank lines right before it (they
 * introduce what follows), never before start. */
static size_t record_end(const struct lines *l, size_t start, size_t end)
{
	for (;;) {
		size_t prev;

		if (end <= start)
			return start;
		prev = line_start_of(l, end - (l->text[end - 1] == '\n'));
		if (prev <= start || !blank_or_comment(l->text + prev, end - prev))
			return end;
		end = prev;
	}
}

static int record_matches(const struct ynode *item, const char *const *addresses, size_t n)
{
	const struct ynode *email = ynode_get(item, "email");
	size_t i;

	if (!email || email->kind != YNODE_SCALAR)
		return 0;
	for (i = 0; i < n; i++)
		if (!strcasecmp(email->value, addresses[i]))
			return 1;
	return 0;
}

int forget_remove_records(struct buf *out, size_t *removed_out, const char *path, const char *text,
			  size_t len, const char *const *addresses, size_t n,
			  struct diag_list *diags)
{
	struct ydoc *doc = NULL;
	struct lines l;
	size_t i, kept = 0, start, end;
	const struct ynode *root;
	int ret = -1;

	*removed_out = 0;
	lines_init(&l, text, len);
	if (ydoc_parse(&doc, path, text, len, 0, diags) < 0)
		goto done;
	root = doc->root;
	if (!root) {
		buf_add(out, text, len);
		ret = 0;
		goto done;
	}
	if (ynode_expect(doc, root, YNODE_SEQ, "a recipient file", diags) < 0)
		goto done;
	if (text[lines_offset(&l, root->line, root->col)] == '[') {
		ydiag(diags, doc, root, DIAG_ERROR,
		      "records written as one flow sequence cannot be removed one by one: write one '- ' line per record");
		goto done;
	}
	for (i = 0; i < root->count; i++) {
		if (!record_matches(root->items[i], addresses, n))
			continue;
		start = record_start(&l, root->items[i]);
		end = i + 1 < root->count ? record_start(&l, root->items[i + 1]) : len;
		end = record_end(&l, start, end);
		buf_add(out, text + kept, start - kept);
		kept = end;
		(*removed_out)++;
	}
	buf_add(out, text + kept, len - kept);
	ret = 0;
done:
	ydoc_free(doc);
	free(l.start);
	return ret;
}

static struct forget_file *add_file(struct forget_result *r, const char *path)
{
	struct forget_file *f;

	XGROW(r->files, r->files_cap, r->nfiles + 1);
	f = &r->files[r->nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	f->content = (struct buf)BUF_INIT;
	return f;
}

static int read_content(struct buf *b, const char *root, const char *rel)
{
	int r = content_read(b, root, rel, YAMLFILE_MAX_SIZE, NULL);

	if (r == CONTENT_REFUSED)
		return -1;
	if (r < 0)
		return error_set("cannot read '%s': %s", rel,
				 errno == EFBIG ? "file too large" : strerror(errno));
	return 0;
}

/* The records of every type. */
static int prepare_records(struct forget_result *out, const char *root,
			   const char *const *addresses, size_t n, struct diag_list *diags)
{
	struct buf text = BUF_INIT;
	char **files = NULL;
	int count = 0, i, t, ret = 0;
	size_t removed;

	for (t = 0; t < RTYPE_COUNT && !ret; t++) {
		count = recipients_files(&files, root, (enum recipient_type)t);
		if (count < 0) {
			ret = -1;
			count = 0;
		}
		for (i = 0; i < count && !ret; i++) {
			struct forget_file *f;
			struct buf kept = BUF_INIT;

			buf_reset(&text);
			if (read_content(&text, root, files[i]) < 0 ||
			    forget_remove_records(&kept, &removed, files[i], text.ptr ? text.ptr : "",
						  text.len, addresses, n, diags) < 0) {
				buf_release(&kept);
				ret = -1;
				break;
			}
			if (!removed) {
				buf_release(&kept);
				continue;
			}
			f = add_file(out, files[i]);
			f->records = removed;
			f->content = kept;
		}
		free_list(files, (size_t)count);
		files = NULL;
	}
	buf_release(&text);
	return ret;
}

/* One text file whose occurrences become hashes. */
static int prepare_replace(struct forget_result *out, const char *root, const char *rel,
			   const char *const *addresses, size_t n)
{
	struct buf text = BUF_INIT, now = BUF_INIT;
	size_t count;
	int ret = read_content(&text, root, rel);

	if (ret == 0) {
		count = forget_replace(&now, text.ptr ? text.ptr : "", text.len, addresses, n);
		if (count) {
			struct forget_file *f = add_file(out, rel);
			f->replaced = count;
			f->content = now;
			now = (struct buf)BUF_INIT;
		}
	}
	buf_release(&text);
	buf_release(&now);
	return ret;
}

/* Every campaign's result files. */
static int prepare_logs(struct forget_result *out, const char *root, const char *const *addresses,
			size_t n)
{
	char **campaigns = NULL, **logs = NULL, *dir, *rel;
	int nc, nl = 0, i, j, ret = 0;

	nc = content_list(&campaigns, root, "campaigns", NULL, 1);
	if (nc < 0)
		return -1;
	for (i = 0; i < nc && !ret; i++) {
		dir = xasprintf("campaigns/%s/log", campaigns[i]);
		nl = content_list(&logs, root, dir, ".tsv", 0);
		if (nl < 0) {
			ret = -1;
			nl = 0;
		}
		for (j = 0; j < nl && !ret; j++) {
			rel = xasprintf("%s/%s", dir, logs[j]);
			ret = prepare_replace(out, root, rel, addresses, n);
			free(rel);
		}
		free_list(logs, (size_t)nl);
		logs = NULL;
		free(dir);
	}
	free_list(campaigns, (size_t)nc);
	return ret;
}

/* The suppressions: plain lines of the addresses hashed, an erased line
 * for each address that has none. */
static int prepare_suppressions(struct forget_result *out, const char *root,
				const char *const *addresses, size_t n, time_t now)
{
	struct buf text = BUF_INIT, result = BUF_INIT, copy = BUF_INIT;
	struct erasures erased;
	char hash[ADDR_HASH_LEN + 1], stamp[32];
	size_t pos = 0, i, hashed = 0, added = 0;
	int r, ret = 0;

	memset(&erased, 0, sizeof(erased));
	r = content_read(&text, root, SUPPRESSIONS_FILE, YAMLFILE_MAX_SIZE, NULL);
	if (r == CONTENT_REFUSED || (r < 0 && errno != ENOENT)) {
		ret = read_content(&text, root, SUPPRESSIONS_FILE);
		goto done;
	}
	if (r < 0 || !text.len)
		buf_adds(&result, "address\treason\ttime\tsource\n");
	while (pos < text.len) {
		const char *nl = memchr(text.ptr + pos, '\n', text.len - pos);
		size_t len = nl ? (size_t)(nl - text.ptr) - pos + 1 : text.len - pos;

		hashed += forget_replace(&result, text.ptr + pos, len, addresses, n) > 0;
		pos += len;
	}
	if (result.len && result.ptr[result.len - 1] != '\n')
		buf_addc(&result, '\n');
	/* the erased lines of the file as it will be */
	buf_add(&copy, result.ptr, result.len);
	erasures_parse(&erased, copy.ptr);
	time_format_rfc3339(stamp, now);
	for (i = 0; i < n; i++) {
		if (erasures_line(&erased, addresses[i]))
			continue;
		addr_hash(addresses[i], hash);
		buf_addf(&result, "%s\t%s\t%s\t%s\n", hash, FORGET_REASON, stamp, FORGET_SOURCE);
		added++;
		strmap_put(&erased.by_hash, hash, &r)->value = (void *)(intptr_t)1;
	}
	if (hashed || added) {
		struct forget_file *f = add_file(out, SUPPRESSIONS_FILE);
		f->hashed = hashed;
		f->added = added;
		f->content = result;
		result = (struct buf)BUF_INIT;
	}
done:
	erasures_release(&erased);
	buf_release(&text);
	buf_release(&result);
	buf_release(&copy);
	return ret;
}

int forget_prepare(struct forget_result *out, const char *root, const char *const *addresses,
		   size_t n, time_t now, struct diag_list *diags)
{
	size_t errors = diags->errors;

	memset(out, 0, sizeof(*out));
	if (prepare_records(out, root, addresses, n, diags) < 0 ||
	    prepare_logs(out, root, addresses, n) < 0 ||
	    prepare_suppressions(out, root, addresses, n, now) < 0)
		return -1;
	return diags->errors > errors ? -1 : 0;
}

int forget_apply(struct forget_result *r, const char *root)
{
	size_t i;

	for (i = 0; i < r->nfiles; i++) {
		struct forget_file *f = &r->files[i];

		if (content_write_atomic(root, f->path, f->content.ptr ? f->content.ptr : "",
					 f->content.len) < 0)
			return -1;
		buf_release(&f->content);
	}
	return 0;
}

/* The line and column (in characters) of offset at in text. */
static void locate(const char *text, size_t at, int *line_out, int *col_out)
{
	size_t i;
	int line = 1, col = 1;

	for (i = 0; i < at; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)text[i] & 0xC0) != 0x80) {
			col++;
		}
	}
	*line_out = line;
	*col_out = col;
}

static void find_in_file(struct forget_result *r, const char *rel, const struct buf *text,
			 const char *const *addresses, size_t n)
{
	size_t i, pos;
	const char *p;

	for (i = 0; i < n; i++) {
		for (pos = 0; (p = forget_find(text->ptr + pos, text->len - pos, addresses[i]));
		     pos = (size_t)(p - text->ptr) + 1) {
			struct forget_leftover *l;

			XGROW(r->leftovers, r->leftovers_cap, r->nleftovers + 1);
			l = &r->leftovers[r->nleftovers++];
			l->path = xstrdup(rel);
			l->address = i;
			locate(text->ptr, (size_t)(p - text->ptr), &l->line, &l->col);
		}
	}
}

static int leftover_cmp(const void *a, const void *b)
{
	const struct forget_leftover *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

int forget_find_leftovers(struct forget_result *r, const char *root, const char *const *addresses,
			  size_t n)
{
	struct buf text = BUF_INIT;
	char **files = NULL;
	size_t nfiles = 0, i;
	int rc;

	rc = githistory_tracked(&files, &nfiles, root);
	if (rc < 0)
		return -1;
	r->tracked_checked = rc > 0;
	for (i = 0; i < nfiles; i++) {
		buf_reset(&text);
		/* a file gone from the working tree or not regular holds nothing here */
		if (content_read(&text, root, files[i], YAMLFILE_MAX_SIZE, NULL) < 0 || !text.len)
			continue;
		find_in_file(r, files[i], &text, addresses, n);
	}
	error_clear();
	if (r->nleftovers)
		qsort(r->leftovers, r->nleftovers, sizeof(*r->leftovers), leftover_cmp);
	buf_release(&text);
	free_list(files, nfiles);
	return 0;
}

void forget_result_release(struct forget_result *r)
{
	size_t i;

	for (i = 0; i < r->nfiles; i++) {
		free(r->files[i].path);
		buf_release(&r->files[i].content);
	}
	for (i = 0; i < r->nleftovers; i++)
		free(r->leftovers[i].path);
	free(r->files);
	free(r->leftovers);
	memset(r, 0, sizeof(*r));
}
