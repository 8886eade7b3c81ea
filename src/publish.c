#include "publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "gitrepo.h"
#include "log.h"
#include "safefile.h"
#include "util.h"
#include "xalloc.h"

/* How long a refused push is tried again while the remote keeps moving. */
#define PUBLISH_GRACE (15 * 60)
#define DEFAULT_AUTHOR "mailout <mailout@localhost>"

struct publisher {
	struct gitrepo *g;
	char *root;
	char *prefix; /* root relative to the git workdir: "" or "content/" */
	char *remote; /* NULL: commit only */
	char *author;
	char *command;
	char base[41]; /* the commit the remote has (what our lines follow) */
	long batches;
	struct push_watch watch; /* the remote's tip through refused pushes */
	char *refusal; /* why the last push was refused */
};

void push_watch_reset(struct push_watch *w)
{
	memset(w, 0, sizeof(*w));
}

int push_watch_refused(struct push_watch *w, const char *tip, const char *reason, time_t now)
{
	if (!w->seen || strcmp(w->tip, tip)) {
		snprintf(w->tip, sizeof(w->tip), "%s", tip);
		w->since = now;
		w->seen = 1;
		return 0;
	}
	if (now - w->since < PUBLISH_STUCK)
		return 0;
	if (!*tip)
		return error_set("%s; the remote had no such branch for %d s while it refused every "
				 "push, so pushing again cannot help", reason, PUBLISH_STUCK);
	return error_set("%s; the remote's branch stayed at %.12s for %d s while it refused every "
			 "push, so pushing again cannot help", reason, tip, PUBLISH_STUCK);
}

static char *workdir_path(const struct publisher *p, const char *rel)
{
	return xasprintf("%s%s", p->prefix, rel);
}

static char **workdir_paths(const struct publisher *p, const char *const *files, size_t n)
{
	char **out = xcalloc(n + 1, sizeof(char *));
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = workdir_path(p, files[i]);
	return out;
}

/* The lines appended to a file since commit rev: *suffix_out gets them, or
 * the whole content with *rewritten_out set when the file was changed
 * otherwise.  1 when the file is unchanged. */
static int appended_since(struct publisher *p, const char *rev, const char *rel,
			  struct buf *suffix_out, int *rewritten_out)
{
	struct buf old = BUF_INIT, now = BUF_INIT;
	char *wpath = workdir_path(p, rel);
	int rc, ret = -1;

	*rewritten_out = 0;
	buf_reset(suffix_out);
	rc = gitrepo_read_at(p->g, rev, wpath, &old);
	if (rc < 0)
		goto done;
	rc = content_read(&now, p->root, rel, (size_t)1 << 31, NULL);
	if (rc == CONTENT_REFUSED)
		goto done;
	if (rc < 0) {
		buf_release(&now); /* deleted: nothing of ours to keep */
		ret = 1;
		goto done;
	}
	if (now.len >= old.len && !memcmp(now.ptr, old.ptr, old.len)) {
		buf_add(suffix_out, now.ptr + old.len, now.len - old.len);
		ret = now.len == old.len ? 1 : 0;
	} else {
		*rewritten_out = 1;
		buf_add(suffix_out, now.ptr, now.len);
		ret = 0;
	}
done:
	buf_release(&old);
	buf_release(&now);
	free(wpath);
	return ret;
}

/* Appends our lines to a file the tip has: when the file was new to us
 * too (another runner created it first), our copy's header is not one of
 * our lines. */
static int append_lines(struct publisher *p, const char *rel, const struct buf *lines)
{
	const char *nl = memchr(lines->ptr, '\n', lines->len);
	size_t skip = 0;

	if (nl && log_header_version(lines->ptr, (size_t)(nl - lines->ptr)))
		skip = (size_t)(nl - lines->ptr) + 1;
	if (lines->len == skip)
		return 0;
	return log_append(p->root, rel, lines->ptr + skip, lines->len - skip, 1);
}

/* Puts our lines (kept in suffixes) back on the files as checked out now. */
static int reapply(struct publisher *p, const char *const *files, size_t n, struct buf *suffixes,
		   const int *rewritten)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int rc = 0;
		struct stat st;

		/* a file the tip lacks gets our content exactly (header included) */
		if (suffixes[i].len && content_mkdir_parents(p->root, files[i]) < 0)
			return -1;
		rc = content_stat(p->root, files[i], &st);
		if (rc == CONTENT_REFUSED)
			return -1;
		if (rewritten[i] || rc < 0 || st.st_size == 0)
			rc = suffixes[i].len ? content_write_atomic(p->root, files[i], suffixes[i].ptr,
								    suffixes[i].len)
					     : 0;
		else if (suffixes[i].len)
			rc = append_lines(p, files[i], &suffixes[i]);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int commit(struct publisher *p, const char *const *files, size_t n, const char *message,
		  int *committed)
{
	char **paths = workdir_paths(p, files, n);
	int ret = gitrepo_commit(p->g, (const char *const *)paths, n, p->author, message, committed);

	free_list(paths, n);
	return ret;
}

/* The part of a tab-separated line that names what it records: up to the
 * second tab (address and reason), or the whole line. */
static size_t line_key(const char *line, size_t len)
{
	const char *tab = memchr(line, '\t', len);

	if (tab)
		tab = memchr(tab + 1, '\t', len - (size_t)(tab + 1 - line));
	return tab ? (size_t)(tab - line) : len;
}

static int has_key(const struct buf *text, const char *key, size_t klen, int whole)
{
	size_t pos = 0;

	while (pos < text->len) {
		const char *nl = memchr(text->ptr + pos, '\n', text->len - pos);
		size_t len = nl ? (size_t)(nl - text->ptr) - pos : text->len - pos;

		if ((whole ? len : line_key(text->ptr + pos, len)) == klen &&
		    !memcmp(text->ptr + pos, key, klen))
			return 1;
		pos += len + 1;
	}
	return 0;
}

/* Drops from our lines those whose key the tip's version of rel already
 * has (another run recorded the same address and reason; in a campaign
 * log, the same line). */
static int drop_known_lines(struct publisher *p, const char *tip, const char *rel, struct buf *lines)
{
	struct buf theirs = BUF_INIT, kept = BUF_INIT;
	char *wpath = workdir_path(p, rel);
	size_t pos = 0, klen;
	int rc = gitrepo_read_at(p->g, tip, wpath, &theirs);
	/* a log line is the same record only when it is the same line */
	int whole = !strncmp(rel, "campaigns/", 10);

	free(wpath);
	if (rc != 0) {
		buf_release(&theirs);
		return rc < 0 ? -1 : 0;
	}
	while (pos < lines->len) {
		const char *nl = memchr(lines->ptr + pos, '\n', lines->len - pos);
		size_t len = nl ? (size_t)(nl - lines->ptr) - pos + 1 : lines->len - pos;

		klen = whole ? len - (nl != NULL) : line_key(lines->ptr + pos, len - (nl != NULL));
		if (!has_key(&theirs, lines->ptr + pos, klen, whole))
			buf_add(&kept, lines->ptr + pos, len);
		pos += len;
	}
	buf_reset(lines);
	buf_add(lines, kept.ptr ? kept.ptr : "", kept.len);
	buf_release(&kept);
	buf_release(&theirs);
	return 0;
}

/* Moves onto the remote's tip (fetched), keeping our lines in files: for
 * each file, what it has beyond the tip's version (our unpublished lines),
 * or beyond the last published base when the tip has lines of others.
 * With dedup (the syncs), lines the tip already records are dropped. */
static int onto_tip(struct publisher *p, const char *tip, const char *const *files, size_t n,
		    int dedup)
{
	struct buf *suffixes = xcalloc(n + 1, sizeof(*suffixes));
	int *rewritten = xcalloc(n + 1, sizeof(int));
	char head[41], *message = NULL, **paths = NULL;
	size_t i;
	int committed, ret = -1;

	if (gitrepo_head_oid(p->g, head) < 0)
		goto done;
	if (!strcmp(tip, head)) {
		snprintf(p->base, sizeof(p->base), "%s", tip);
		ret = 0;
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (appended_since(p, tip, files[i], &suffixes[i], &rewritten[i]) < 0)
			goto done;
		if (rewritten[i] &&
		    appended_since(p, p->base, files[i], &suffixes[i], &rewritten[i]) < 0)
			goto done;
		if (dedup && !rewritten[i] && drop_known_lines(p, tip, files[i], &suffixes[i]) < 0)
			goto done;
	}
	/* our files exactly as on the tip; other files follow when unchanged */
	paths = workdir_paths(p, files, n);
	if (gitrepo_reset_hard(p->g, tip, (const char *const *)paths, n) < 0)
		goto done;
	snprintf(p->base, sizeof(p->base), "%s", tip);
	if (reapply(p, files, n, suffixes, rewritten) < 0)
		goto done;
	message = xasprintf("%s: lines replayed on %.12s", p->command, tip);
	if (commit(p, files, n, message, &committed) < 0)
		goto done;
	ret = 0;
done:
	for (i = 0; i < n; i++)
		buf_release(&suffixes[i]);
	free(suffixes);
	free(rewritten);
	free(message);
	if (paths)
		free_list(paths, n);
	return ret;
}

/* Fetches after a refused push: -1 when the remote's branch has not moved
 * through the refusals for PUBLISH_STUCK seconds. */
static int fetch_refused(struct publisher *p, char tip[41])
{
	if (gitrepo_fetch(p->g, p->remote, tip) < 0)
		return -1;
	return push_watch_refused(&p->watch, tip, p->refusal ? p->refusal : "push refused",
				  time(NULL));
}

int publisher_open(struct publisher **out, const char *root, const char *remote,
		   const char *author, const char *command, const char *const *own, size_t nown)
{
	struct publisher *p = xcalloc(1, sizeof(*p));
	struct buf suffix = BUF_INIT;
	char tip[41];
	size_t i;
	int rewritten, rc, ret = -1;

	*out = NULL;
	srand((unsigned)getpid()); /* each process its own back-off pauses */
	p->root = xstrdup(root);
	p->remote = remote ? xstrdup(remote) : NULL;
	p->author = xstrdup(author ? author : DEFAULT_AUTHOR);
	p->command = xstrdup(command);
	if (gitrepo_open(&p->g, root) < 0)
		goto done;
	p->prefix = xstrdup(gitrepo_prefix(p->g));
	if (!gitrepo_branch(p->g)) {
		error_set("HEAD is detached: check out the branch to commit on");
		goto done;
	}
	if (gitrepo_head_oid(p->g, p->base) < 0)
		goto done;
	/* our files: appended lines are taken over, anything else refuses */
	for (i = 0; i < nown; i++) {
		rc = appended_since(p, "HEAD", own[i], &suffix, &rewritten);
		if (rc < 0)
			goto done;
		if (rewritten) {
			error_set("'%s' has uncommitted changes other than appended lines: commit or discard them first",
				  own[i]);
			goto done;
		}
	}
	if (p->remote) {
		if (gitrepo_is_shallow(p->g)) {
			error_set("this clone is shallow and libgit2 1.5 cannot fetch into it: check out with full history (fetch-depth: 0)");
			goto done;
		}
		if (gitrepo_fetch(p->g, p->remote, tip) < 0 || onto_tip(p, tip, own, nown, 0) < 0)
			goto done;
	}
	*out = p;
	p = NULL;
	ret = 0;
done:
	buf_release(&suffix);
	publisher_free(p);
	return ret;
}

void publisher_free(struct publisher *p)
{
	if (!p)
		return;
	gitrepo_free(p->g);
	free(p->root);
	free(p->prefix);
	free(p->remote);
	free(p->author);
	free(p->command);
	free(p->refusal);
	free(p);
}

static int push(struct publisher *p)
{
	int rc;

	if (!p->remote)
		return 0;
	rc = gitrepo_push(p->g, p->remote);
	if (rc == GITREPO_REJECTED) {
		free(p->refusal);
		p->refusal = xstrdup(error_last());
		return SENDER_REJECTED;
	}
	if (rc < 0)
		return -1;
	push_watch_reset(&p->watch);
	return gitrepo_head_oid(p->g, p->base);
}

static void pause_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* The pause after the attempt'th refused push in a row: growing from
 * 20-40 ms to 0.64-1.28 s, half of it random, so that runners pushing at
 * once spread out instead of colliding again. */
static long backoff_ms(int attempt)
{
	long cap = 40L << (attempt < 5 ? attempt : 5);

	return cap / 2 + rand() % (cap / 2);
}

/* Pushes; when the remote moved only in files that are not ours (runners
 * sharded by account), our commit goes onto the new tip and is pushed
 * again, as long as that keeps happening (up to PUBLISH_GRACE).  The pause
 * comes before the fetch, so that the tip we rebase on is as fresh as can
 * be when we push.  A tip that is still our base needs no rebase: the push
 * was refused for another reason (a lock), tried again for PUBLISH_STUCK
 * seconds.  SENDER_REJECTED when the new commits touch our files. */
static int push_rebasing(struct publisher *p, const char *const *files, size_t n)
{
	char **paths = workdir_paths(p, files, n);
	char tip[41];
	time_t deadline = time(NULL) + PUBLISH_GRACE;
	int moved, attempt = 0, rc;

	while ((rc = push(p)) == SENDER_REJECTED) {
		pause_ms(backoff_ms(attempt++));
		if (fetch_refused(p, tip) < 0) {
			rc = -1;
			break;
		}
		if (strcmp(tip, p->base)) {
			if (gitrepo_rebase_disjoint(p->g, p->base, tip, (const char *const *)paths, n,
						    p->author, &moved) < 0) {
				rc = -1;
				break;
			}
			if (!moved)
				break;
			snprintf(p->base, sizeof(p->base), "%s", tip);
		}
		if (time(NULL) > deadline) {
			rc = error_set("the remote kept moving for %d minutes", PUBLISH_GRACE / 60);
			break;
		}
	}
	free_list(paths, n);
	return rc;
}

/* Adds to the current error which of our lines the remote does not have. */
static void name_unpublished(struct publisher *p, const char *const *files, size_t n)
{
	struct buf msg = BUF_INIT, lines = BUF_INIT;
	size_t i, j, count, nfiles = 0;
	int rewritten;

	buf_adds(&msg, error_last());
	for (i = 0; i < n; i++) {
		if (appended_since(p, p->base, files[i], &lines, &rewritten) != 0)
			continue;
		for (j = count = 0; j < lines.len; j++)
			count += lines.ptr[j] == '\n';
		if (log_header_version(lines.ptr, strcspn(lines.ptr, "\n")))
			count--;
		buf_addf(&msg, "%s %s (%zu line%s)", nfiles++ ? "," : "; not on the remote:",
			 files[i], count, count == 1 ? "" : "s");
	}
	error_set("%s", msg.ptr);
	buf_release(&msg);
	buf_release(&lines);
}

int publisher_publish(void *payload, const char *const *files, size_t n, int final,
		      const struct sender_report *report)
{
	struct publisher *p = payload;
	struct buf message = BUF_INIT;
	int committed = 0, ret;

	/* without a remote, one commit at the end */
	if (!final && !p->remote)
		return 0;
	if (final)
		buf_addf(&message, "%s: %ld sent, %ld failed, %ld retrying, %ld deferred, %ld critical, %ld unconfirmed in %zu campaign%s",
			 p->command, report->sent, report->failed, report->retrying, report->deferred,
			 report->critical, report->unconfirmed, report->campaigns,
			 report->campaigns == 1 ? "" : "s");
	else
		buf_addf(&message, "%s: claims of batch %ld (%ld sent so far)", p->command,
			 ++p->batches, report->sent);
	ret = commit(p, files, n, message.ptr, &committed);
	buf_release(&message);
	if (ret < 0)
		return -1;
	return p->remote ? push_rebasing(p, files, n) : 0;
}

void publisher_name_unpublished(void *payload, const char *const *files, size_t n)
{
	struct publisher *p = payload;

	if (p->remote)
		name_unpublished(p, files, n);
}

int publisher_catch_up(void *payload, const char *const *files, size_t n)
{
	struct publisher *p = payload;
	char tip[41];

	if (fetch_refused(p, tip) < 0)
		return -1;
	return onto_tip(p, tip, files, n, 0);
}

int publisher_commit_push(struct publisher *p, const char *const *files, size_t n,
			  const char *message)
{
	time_t deadline = time(NULL) + PUBLISH_GRACE;
	char tip[41];
	int committed = 0, rc, attempt = 0;

	if (commit(p, files, n, message, &committed) < 0)
		return -1;
	while ((rc = push(p)) == SENDER_REJECTED) {
		if (time(NULL) > deadline) {
			rc = error_set("the remote kept moving for %d minutes", PUBLISH_GRACE / 60);
			name_unpublished(p, files, n);
			break;
		}
		pause_ms(backoff_ms(attempt++));
		if (fetch_refused(p, tip) < 0) {
			name_unpublished(p, files, n);
			return -1;
		}
		if (onto_tip(p, tip, files, n, 1) < 0)
			return -1;
	}
	return rc;
}
