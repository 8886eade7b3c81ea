#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addrhash.h"
#include "buf.h"
#include "safefile.h"
#include "schedule.h"
#include "util.h"
#include "xalloc.h"

static const char *const event_names[LOG_EVENT_COUNT] = {
	"claim", "sent", "failed", "retry", "deferred", "critical", "bounce", "retry-cmd",
	"resume", "merged", "release", "confirmed", "not-sent",
};
/* The number of fields each event has after time and event. */
static const size_t event_fields[LOG_EVENT_COUNT] = { 3, 4, 4, 5, 5, 4, 4, 1, 0, 1, 1, 3, 3 };

const char *log_event_name(enum log_event e)
{
	return (unsigned)e < LOG_EVENT_COUNT ? event_names[e] : "?";
}

int log_header_version(const char *s, size_t len)
{
	size_t n = strlen(LOG_HEADER);

	if (len == n + 1 && s[n] == '\r')
		len--;
	if (len != n)
		return 0;
	if (!memcmp(s, LOG_HEADER, n))
		return LOG_VERSION;
	return memcmp(s, LOG_HEADER_V1, n) ? 0 : 1;
}

/* The version of a file from its text: its header's; 2 when it has none
 * mailout knows (a reader reports that). */
static int text_version(const char *text, size_t len)
{
	const char *nl = memchr(text, '\n', len);
	int v = log_header_version(text, nl ? (size_t)(nl - text) : len);

	return v ? v : LOG_VERSION;
}

static int parse_line(struct log_entry *out, char *line)
{
	char *f[LOG_MAX_FIELDS + 2];
	size_t n = 0, i;
	int ev;

	f[n++] = line;
	for (; *line; line++) {
		if (*line == '\t') {
			*line = '\0';
			if (n == LOG_MAX_FIELDS + 2)
				return -1;
			f[n++] = line + 1;
		}
	}
	if (n < 2 || time_parse_rfc3339(f[0], &out->time) < 0)
		return -1;
	for (ev = 0; ev < LOG_EVENT_COUNT && strcmp(f[1], event_names[ev]); ev++)
		;
	if (ev == LOG_EVENT_COUNT || n - 2 != event_fields[ev])
		return -1;
	out->event = (enum log_event)ev;
	out->nfields = n - 2;
	for (i = 0; i < out->nfields; i++)
		out->field[i] = f[i + 2];
	return 0;
}

int log_read(const char *root, const char *rel, size_t offset, log_entry_fn fn, void *payload,
	     size_t *consumed_out, struct diag_list *diags)
{
	struct buf text = BUF_INIT;
	char *line, *nl;
	size_t pos;
	int lineno = 1, r, ret = -1, version;

	*consumed_out = offset;
	if ((r = content_read(&text, root, rel, (size_t)1 << 31, NULL)) < 0) {
		if (r != CONTENT_REFUSED)
			error_set("cannot read '%s': %s", rel, strerror(errno));
		goto done;
	}
	if (offset > text.len) {
		error_set("'%s' is shorter than before: it was rewritten, not appended", rel);
		goto done;
	}
	version = text_version(text.ptr, text.len);
	for (pos = 0; pos < offset; pos++)
		lineno += text.ptr[pos] == '\n';
	for (pos = offset; pos < text.len; pos = (size_t)(nl - text.ptr) + 1, lineno++) {
		struct log_entry e;

		line = text.ptr + pos;
		nl = memchr(line, '\n', text.len - pos);
		if (!nl) {
			diag_add(diags, DIAG_WARNING, rel, lineno, 1,
				 "incomplete last line ignored (a run was interrupted while writing it)");
			break;
		}
		*nl = '\0';
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		*consumed_out = (size_t)(nl - text.ptr) + 1;
		if (!*line)
			continue;
		if (*line == '#') {
			if (pos == 0 && !log_header_version(line, strlen(line)))
				diag_add(diags, DIAG_ERROR, rel, lineno, 1,
					 "unknown log format '%s' (expected '%s' or '%s')", line,
					 LOG_HEADER, LOG_HEADER_V1);
			continue;
		}
		memset(&e, 0, sizeof(e));
		e.line = lineno;
		e.version = version;
		if (parse_line(&e, line) < 0) {
			/* most likely a line cut short by a killed run, ended by the next append */
			diag_add(diags, DIAG_WARNING, rel, lineno, 1, "malformed log line ignored");
			continue;
		}
		/* still replayed: dropping a claim could mail someone twice */
		if (e.event == LOG_CLAIM && version >= 2 && !addr_is_hash(e.field[1]))
			diag_add(diags, DIAG_WARNING, rel, lineno, (int)(e.field[1] - line) + 1,
				 "a claim of a version 2 log holds an address, not its hash");
		if (fn(&e, payload)) {
			ret = -1;
			goto done;
		}
	}
	ret = 0;
done:
	buf_release(&text);
	return ret;
}

/* Control characters (tab, line breaks, escapes, DEL) become spaces. */
static void add_clean(struct buf *b, const char *s)
{
	for (; s && *s; s++)
		buf_addc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

void log_format(struct buf *b, time_t t, enum log_event e, const char *const *fields,
		size_t nfields)
{
	char when[32];
	size_t i;

	time_format_rfc3339(when, t);
	buf_adds(b, when);
	buf_addc(b, '\t');
	buf_adds(b, event_names[e]);
	for (i = 0; i < nfields; i++) {
		buf_addc(b, '\t');
		add_clean(b, fields[i] && *fields[i] ? fields[i] : "-");
	}
	buf_addc(b, '\n');
}

void log_format_version(struct buf *b, int version, time_t t, enum log_event e,
			const char *const *fields, size_t nfields)
{
	const char *f[LOG_MAX_FIELDS];
	char hash[ADDR_HASH_LEN + 1];
	size_t i;

	if (e != LOG_CLAIM || version < 2 || nfields < 2 || nfields > LOG_MAX_FIELDS ||
	    !fields[1] || addr_is_hash(fields[1])) {
		log_format(b, t, e, fields, nfields);
		return;
	}
	for (i = 0; i < nfields; i++)
		f[i] = fields[i];
	addr_hash(fields[1], hash);
	f[1] = hash;
	log_format(b, t, e, f, nfields);
}

static int write_all(int fd, const char *p, size_t len, const char *path);

int log_append(const char *root, const char *path, const char *text, size_t len, int sync)
{
	struct buf b = BUF_INIT;
	struct stat st;
	int fd = -1, ret = -1;
	char last;

	if (content_mkdir_parents(root, path) < 0)
		return -1;
	fd = content_append_open(root, path, 1);
	if (fd < 0)
		goto done;
	if (fstat(fd, &st) < 0) {
		error_set("cannot stat '%s': %s", path, strerror(errno));
		goto done;
	}
	if (st.st_size == 0)
		buf_adds(&b, LOG_HEADER "\n");
	else if (pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n')
		buf_addc(&b, '\n');
	buf_add(&b, text, len);
	if (write_all(fd, b.ptr, b.len, path) < 0)
		goto done;
	if (sync && fsync(fd) < 0) {
		error_set("cannot sync '%s': %s", path, strerror(errno));
		goto done;
	}
	ret = 0;
done:
	if (fd >= 0)
		close(fd);
	buf_release(&b);
	return ret;
}

static int write_all(int fd, const char *p, size_t len, const char *path)
{
	if (fd_write_all(fd, p, len) < 0)
		return error_set("cannot write '%s': %s", path, strerror(errno));
	return 0;
}

int log_terminate(const char *root, const char *path)
{
	struct stat st;
	char last;
	int fd, ret = 0;

	fd = content_append_open(root, path, 0);
	if (fd < 0)
		return fd == -1 && errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 &&
	    last != '\n')
		ret = write_all(fd, "\n", 1, path) < 0 ? -1 : 1;
	close(fd);
	return ret;
}

int log_writer_open(struct log_writer **out, const char *root, const char *path)
{
	struct log_writer *w = NULL;
	struct buf text = BUF_INIT;
	int r;

	*out = NULL;
	if (content_mkdir_parents(root, path) < 0 || log_terminate(root, path) < 0)
		return -1;
	w = xcalloc(1, sizeof(*w));
	w->path = xstrdup(path);
	w->fd = content_append_open(root, path, 1);
	if (w->fd < 0)
		goto fail;
	if ((r = content_read(&text, root, path, (size_t)1 << 31, NULL)) < 0) {
		if (r != CONTENT_REFUSED)
			error_set("cannot read '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (!text.len) {
		if (write_all(w->fd, LOG_HEADER "\n", strlen(LOG_HEADER) + 1, path) < 0)
			goto fail;
		buf_adds(&text, LOG_HEADER "\n");
	}
	w->version = text_version(text.ptr, text.len);
	w->offset = w->start = text.len;
	w->fnv = fnv1a(FNV1A_INIT, text.ptr, text.len);
	buf_release(&text);
	*out = w;
	return 0;
fail:
	buf_release(&text);
	log_writer_close(w);
	return -1;
}

int log_writer_append(struct log_writer *w, const char *text, size_t len)
{
	if (write_all(w->fd, text, len, w->path) < 0)
		return -1;
	w->offset += len;
	w->fnv = fnv1a(w->fnv, text, len);
	w->dirty = 1;
	return 0;
}

int log_writer_sync(struct log_writer *w)
{
	if (!w->dirty)
		return 0;
	if (fsync(w->fd) < 0)
		return error_set("cannot sync '%s': %s", w->path, strerror(errno));
	w->dirty = 0;
	return 0;
}

void log_writer_close(struct log_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->path);
	free(w);
}

char *log_path(const char *campaign, const char *account)
{
	return xasprintf("campaigns/%s/log/%s.tsv", campaign, account);
}
