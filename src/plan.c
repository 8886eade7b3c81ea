/*
 * The plan's lifecycle and its refresh: opening (a full build into a new
 * file, or an incremental refresh in one transaction), the source files and
 * what changed in them, the config tables and the meta stamps.  The stages
 * live in plan_derive.c (records and deliveries) and plan_replay.c (logs).
 */
#include "plan_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "gitrepo.h"
#include "safefile.h"
#include "util.h"
#include "xalloc.h"

extern const char plan_schema_sql[];

static const char *const state_names[STATE_COUNT] = {
	"pending", "claimed", "sent", "failed", "retrying", "suppressed", "skipped", "unconfirmed",
};

const char *delivery_state_name(enum delivery_state s)
{
	return (unsigned)s < STATE_COUNT ? state_names[s] : "?";
}

int delivery_state_parse(const char *s)
{
	int i;

	for (i = 0; i < STATE_COUNT; i++) {
		if (!strcmp(s, state_names[i]))
			return i;
	}
	return -1;
}

const char *campaign_state_name(enum campaign_state s)
{
	static const char *const names[] = { "active", "active_error", "paused",
					     "interrupted", "done", "merged" };
	return names[s];
}

const char *campaign_state_label(enum campaign_state s)
{
	static const char *const labels[] = { "Active", "Active but error", "Paused",
					      "Interrupted", "Done", "Merged" };
	return labels[s];
}

int plan_exec(struct plan *p, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(p->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(p->error, sizeof(p->error), "plan database: %s",
			 msg ? msg : sqlite3_errmsg(p->db));
		error_set("%s", p->error);
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int plan_prepare(struct plan *p, sqlite3_stmt **out, const char *sql)
{
	if (sqlite3_prepare_v3(p->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) != SQLITE_OK) {
		*out = NULL;
		return plan_sql_error(p, "prepare");
	}
	return 0;
}

void plan_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

void plan_bind_static(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

int plan_step_done(struct plan *p, sqlite3_stmt *st)
{
	int rc = plan_step(p, st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc < 0 ? -1 : 0;
}

/* ---- source files ---- */

static struct source *add_source(struct sources *s, char *rel, enum source_kind kind)
{
	struct source *src;

	XGROW(s->items, s->cap, s->count + 1);
	src = &s->items[s->count++];
	memset(src, 0, sizeof(*src));
	src->rel = rel;
	src->kind = kind;
	src->type = -1;
	return src;
}

static void sources_release(struct sources *s)
{
	size_t i;

	for (i = 0; i < s->count; i++) {
		free(s->items[i].rel);
		free(s->items[i].campaign);
		free(s->items[i].account);
	}
	free(s->items);
}

static void found_source(struct source *src, int found, const struct stat *st)
{
	if (found == 1) {
		src->exists = 1;
		src->size = (long long)st->st_size;
		src->mtime = (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
	}
	src->refused = found == CONTENT_REFUSED;
}

static void stat_source(const char *root, struct source *src)
{
	struct stat st;
	int r = content_stat(root, src->rel, &st);

	found_source(src, r == 0 ? 1 : r, &st);
}

/* A campaign's files as campaigns_load() found them: the folder is not
 * looked at again. */
static void add_campaign_sources(struct sources *s, const struct campaign *c)
{
	struct source *src;
	size_t i;

	src = add_source(s, xstrdup(c->path), SRC_CAMPAIGN);
	src->campaign = xstrdup(c->id);
	found_source(src, 1, &c->yaml_st);
	for (i = 0; i < c->nfiles; i++) {
		const struct campaign_file *f = &c->files[i];
		const char *name = strrchr(f->rel, '/') + 1;
		int is_log = i + 1 < c->nfiles;

		src = add_source(s, xstrdup(f->rel), is_log ? SRC_LOG : SRC_COMMANDS);
		src->campaign = xstrdup(c->id);
		if (is_log)
			src->account = xstrndup(name, strlen(name) - 4);
		found_source(src, f->found, &f->st);
	}
}

static int list_sources(struct plan *p, struct sources *s, struct diag_list *diags)
{
	char **names = NULL;
	int n, i, j, ret = 0;
	struct source *src;
	size_t first;

	add_source(s, xstrdup(CONFIG_FILE), SRC_CONFIG);
	add_source(s, xstrdup(SEGMENTS_FILE), SRC_SEGMENTS);
	add_source(s, xstrdup(SUPPRESSIONS_FILE), SRC_SUPPRESSIONS);
	for (i = 0; i < (int)s->count; i++)
		stat_source(p->root, &s->items[i]);
	for (i = 0; i < (int)p->campaigns.count; i++)
		add_campaign_sources(s, &p->campaigns.items[i]);
	first = s->count;
	for (i = 0; i < RTYPE_COUNT; i++) {
		n = recipients_files(&names, p->root, (enum recipient_type)i);
		if (n == CONTENT_REFUSED) {
			content_diag(diags);
			ret = -1;
		}
		for (j = 0; j < n; j++) {
			src = add_source(s, names[j], SRC_RECIPIENTS);
			src->type = i;
		}
		free(names);
	}
	for (; first < s->count; first++)
		stat_source(p->root, &s->items[first]);
	return ret;
}

/* The files table into known (every path listed) and into the sources it
 * lists, from one walk of the table. */
static int load_known(struct plan *p, struct sources *s, struct strmap *known)
{
	struct strmap at = STRMAP_INIT;
	struct strmap_entry *e;
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc;

	for (i = 0; i < s->count; i++)
		strmap_put(&at, s->items[i].rel, NULL)->value = (void *)(intptr_t)(i + 1);
	if (plan_prepare(p, &st, "SELECT path, size, mtime, blob, consumed FROM files") < 0) {
		strmap_release(&at, NULL);
		return -1;
	}
	while ((rc = plan_step(p, st)) == PLAN_ROW) {
		const char *path = plan_column_text(st, 0);
		struct source *src;

		strmap_put(known, path, NULL)->value = (void *)1;
		if (!(e = strmap_get(&at, path)))
			continue;
		src = &s->items[(intptr_t)e->value - 1];
		src->known = 1;
		src->old_size = sqlite3_column_int64(st, 1);
		src->old_mtime = sqlite3_column_int64(st, 2);
		snprintf(src->old_blob, sizeof(src->old_blob), "%s", plan_column_text(st, 3));
		src->consumed = src->old_consumed = sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	strmap_release(&at, NULL);
	return rc < 0 ? -1 : 0;
}

/* What a log's replayed prefix is checked against: FNV-1a, which the
 * sender can continue line by line as it appends. */
static void log_fingerprint(char out[41], const char *data, size_t len)
{
	snprintf(out, 41, "fnv1a:%016llx", (unsigned long long)fnv1a(FNV1A_INIT, data, len));
}

/* Decides for each file what changed, reading only what must be read. */
static int examine_sources(struct plan *p, struct sources *s, long long racy_since,
			   struct diag_list *diags)
{
	struct buf text = BUF_INIT;
	struct stat st;
	size_t i;
	int r, ret = -1;

	for (i = 0; i < s->count; i++) {
		struct source *src = &s->items[i];
		int is_log = src->kind == SRC_LOG || src->kind == SRC_COMMANDS;

		if (src->refused) {
			content_stat(p->root, src->rel, &st);
			content_diag(diags);
			goto done;
		}
		if (!src->exists) {
			src->changed = src->known;
			src->rewritten = is_log && src->known && src->consumed > 0;
			continue;
		}
		if (src->known && src->size == src->old_size && src->mtime == src->old_mtime &&
		    src->mtime < racy_since) {
			snprintf(src->blob, sizeof(src->blob), "%s", src->old_blob);
			continue;
		}
		p->files_read++;
		if (src->kind == SRC_RECIPIENTS && !src->known) {
			/* new to the plan: parsed whatever it holds, and its blob
			 * id computed by the thread that parses it (reader_blobs) */
			src->changed = 1;
			continue;
		}
		buf_reset(&text);
		if ((r = content_read(&text, p->root, src->rel, (size_t)1 << 31, diags)) < 0) {
			if (r != CONTENT_REFUSED)
				error_set("cannot read '%s': %s", src->rel, strerror(errno));
			goto done;
		}
		if (is_log) {
			char prefix[41];
			size_t keep = src->known ? (size_t)src->consumed : 0;

			if (keep > text.len) {
				src->rewritten = 1;
				continue;
			}
			log_fingerprint(prefix, text.ptr, keep);
			if (src->known && strcmp(prefix, src->old_blob)) {
				src->rewritten = 1;
				continue;
			}
			snprintf(src->blob, sizeof(src->blob), "%s", prefix);
			src->appended = text.len > keep;
		} else {
			gitrepo_blob_id(src->blob, text.ptr, text.len);
			src->changed = !src->known || strcmp(src->blob, src->old_blob);
		}
	}
	ret = 0;
done:
	buf_release(&text);
	return ret;
}

/* ---- the refresh ---- */

static char *filter_text(const struct filter *f)
{
	struct buf b = BUF_INIT;
	size_t i, j;

	buf_adds(&b, "{ ");
	for (i = 0; i < f->count; i++) {
		const struct filter_term *t = &f->terms[i];
		buf_addf(&b, "%s%s: ", i ? ", " : "", t->field);
		if (t->nvalues == 1) {
			buf_adds(&b, t->values[0]);
			continue;
		}
		buf_addc(&b, '[');
		for (j = 0; j < t->nvalues; j++)
			buf_addf(&b, "%s%s", j ? ", " : "", t->values[j]);
		buf_addc(&b, ']');
	}
	buf_adds(&b, " }");
	return buf_detach(&b, NULL);
}

/* Campaigns and accounts as configured now (the replay adds their history). */
static int write_config_tables(struct plan *p)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int ret = -1;

	/* the counts triggers go with the deliveries; the derivation counts
	 * (plan_counts_attach() after it) */
	if (plan_counts_detach(p) < 0 ||
	    plan_exec(p, "DELETE FROM accounts; DELETE FROM campaigns; DELETE FROM deliveries;"
			 "DELETE FROM counts; DELETE FROM daily; DELETE FROM progress;"
			 "DELETE FROM notifications; DELETE FROM bounces;") < 0)
		return -1;
	if (plan_prepare(p, &st,
			 "INSERT INTO accounts (id, owner, main, daily_limit, enabled) VALUES (?, ?, ?, ?, ?)") < 0)
		goto done;
	for (i = 0; i < p->cfg.naccounts; i++) {
		const struct account *a = &p->cfg.accounts[i];
		plan_bind_text(st, 1, a->id);
		plan_bind_text(st, 2, a->owner);
		sqlite3_bind_int(st, 3, a->main);
		sqlite3_bind_int64(st, 4, a->daily_limit);
		sqlite3_bind_int(st, 5, a->enabled);
		if (plan_step_done(p, st) < 0)
			goto done;
	}
	sqlite3_finalize(st);
	if (plan_prepare(p, &st,
			 "INSERT INTO campaigns (id, name, template, recipient_type, owner, department, status, segment, filter, vip_only, start, end, start_text, end_text, merged_into) "
			 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)") < 0)
		goto done;
	for (i = 0; i < p->campaigns.count; i++) {
		const struct campaign *c = &p->campaigns.items[i];
		const struct person *owner = config_person(&p->cfg, c->owner);
		char *ft = c->has_inline_filter ? filter_text(&c->filter) : NULL;

		if (!c->valid)
			continue;
		plan_bind_text(st, 1, c->id);
		plan_bind_text(st, 2, c->name);
		plan_bind_text(st, 3, c->template);
		plan_bind_text(st, 4, recipient_type_name((enum recipient_type)c->type));
		plan_bind_text(st, 5, c->owner);
		plan_bind_text(st, 6, owner ? owner->department : NULL);
		plan_bind_text(st, 7, campaign_status_name(c->status));
		plan_bind_text(st, 8, c->segment);
		plan_bind_text(st, 9, ft);
		sqlite3_bind_int(st, 10, c->vip_only);
		sqlite3_bind_int64(st, 11, (sqlite3_int64)c->start);
		sqlite3_bind_int64(st, 12, (sqlite3_int64)c->end);
		plan_bind_text(st, 13, c->start_text);
		plan_bind_text(st, 14, c->end_text);
		plan_bind_text(st, 15, c->merged_into);
		free(ft);
		if (plan_step_done(p, st) < 0)
			goto done;
	}
	ret = 0;
done:
	sqlite3_finalize(st);
	return ret;
}

static int write_files_table(struct plan *p, struct sources *s, struct strmap *known)
{
	sqlite3_stmt *put = NULL, *del = NULL;
	size_t i;
	int ret = -1;

	if (plan_prepare(p, &put,
			 "INSERT OR REPLACE INTO files (path, size, mtime, blob, consumed) VALUES (?, ?, ?, ?, ?)") < 0 ||
	    plan_prepare(p, &del, "DELETE FROM files WHERE path = ?") < 0)
		goto done;
	for (i = 0; i < s->count; i++) {
		struct source *src = &s->items[i];
		struct strmap_entry *e = strmap_get(known, src->rel);

		if (e)
			e->value = NULL; /* still present */
		if (!src->exists) {
			if (src->known) {
				plan_bind_text(del, 1, src->rel);
				if (plan_step_done(p, del) < 0)
					goto done;
			}
			continue;
		}
		if ((src->kind == SRC_LOG || src->kind == SRC_COMMANDS) && src->appended) {
			/* the blob of what was replayed */
			struct buf text = BUF_INIT;
			if (content_read(&text, p->root, src->rel, (size_t)1 << 31, NULL) == 0 &&
			    (size_t)src->consumed <= text.len)
				log_fingerprint(src->blob, text.ptr, (size_t)src->consumed);
			buf_release(&text);
		}
		/* its row as it is (a no-op build of 10,000 campaigns writes none) */
		if (src->known && src->size == src->old_size && src->mtime == src->old_mtime &&
		    src->consumed == src->old_consumed && !strcmp(src->blob, src->old_blob))
			continue;
		plan_bind_text(put, 1, src->rel);
		sqlite3_bind_int64(put, 2, src->size);
		sqlite3_bind_int64(put, 3, src->mtime);
		plan_bind_text(put, 4, src->blob);
		sqlite3_bind_int64(put, 5, src->consumed);
		if (plan_step_done(p, put) < 0)
			goto done;
	}
	/* known files no longer listed (a campaign removed, ...) */
	for (i = 0; i < known->cap; i++) {
		if (!known->slots[i].key || !known->slots[i].value)
			continue;
		plan_bind_text(del, 1, known->slots[i].key);
		if (plan_step_done(p, del) < 0)
			goto done;
	}
	ret = 0;
done:
	sqlite3_finalize(put);
	sqlite3_finalize(del);
	return ret;
}

static int set_meta(struct plan *p, const char *key, const char *value)
{
	sqlite3_stmt *st = NULL;
	int ret;

	if (plan_prepare(p, &st, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)") < 0)
		return -1;
	plan_bind_text(st, 1, key);
	plan_bind_text(st, 2, value);
	ret = plan_step_done(p, st);
	sqlite3_finalize(st);
	return ret;
}

static int get_meta_int(struct plan *p, const char *key, long long *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = 0;
	if (plan_prepare(p, &st, "SELECT value FROM meta WHERE key = ?") < 0)
		return -1;
	plan_bind_text(st, 1, key);
	rc = plan_step(p, st);
	if (rc == PLAN_ROW)
		*out = strtoll(plan_column_text(st, 0), NULL, 10);
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}

/* Loads the content that is cheap to load (all but the recipients). */
static int load_content(struct plan *p, struct diag_list *diags)
{
	size_t before = diags->errors;

	config_load(&p->cfg, p->root, diags);
	if (p->cfg.zone)
		clock_set_zone(p->cfg.zone);
	segments_load(&p->segments, p->root, diags);
	suppressions_load(&p->suppressions, p->root, diags);
	if (campaigns_load(&p->campaigns, p->root, &p->cfg, &p->segments, diags) < 0)
		diag_add(diags, DIAG_ERROR, "campaigns", 0, 0, "%s", error_last());
	return diags->errors > before ? -1 : 0;
}

/* Whether content other than logs changed (logs rewritten, files of
 * campaigns that no longer exist included), whether logs grew, and whether
 * anything but recipient files changed (*others). */
static void sources_changes(const struct sources *s, const struct strmap *known,
			    int *content_changed, int *logs_changed, int *others)
{
	struct strmap listed = STRMAP_INIT;
	size_t i;

	for (i = 0; i < s->count; i++) {
		const struct source *src = &s->items[i];
		if (src->kind == SRC_LOG || src->kind == SRC_COMMANDS) {
			*content_changed |= src->rewritten;
			*others |= src->rewritten;
			*logs_changed |= src->appended;
		} else if (src->changed) {
			*content_changed = 1;
			*others |= src->kind != SRC_RECIPIENTS;
		}
	}
	/* files of campaigns that no longer exist */
	for (i = 0; i < s->count; i++)
		strmap_put(&listed, s->items[i].rel, NULL);
	for (i = 0; i < known->cap; i++) {
		const char *key = known->slots[i].key;

		if (!key || strmap_get(&listed, key))
			continue;
		*content_changed = 1;
		*others |= strncmp(key, "recipients/", 11) || !str_has_suffix(key, ".yaml");
	}
	strmap_release(&listed, NULL);
}

/* The changed recipient files, in file order, go to the threads that parse
 * them while the refresh inserts the ones before; returns the list the
 * reader reads (free it after the reader). */
static struct recipient_source *reader_start(struct plan *p, struct sources *s)
{
	struct recipient_source *files = xcalloc(s->count ? s->count : 1, sizeof(*files));
	size_t i, n = 0;

	for (i = 0; i < s->count; i++) {
		struct source *src = &s->items[i];

		if (src->kind != SRC_RECIPIENTS || !src->changed)
			continue;
		src->parse_job = n;
		files[n].path = src->rel;
		files[n++].type = (enum recipient_type)src->type;
	}
	/* each file is checked on its own: ids across files meet in the table */
	p->reader = recipient_reader_start(p->root, &p->cfg, files, n,
					   RECIPIENT_FILE_ALONE | RECIPIENT_FILE_ENCODE | RECIPIENT_FILE_BLOB);
	return files;
}

/* The blob ids of the recipient files that examine_sources() left to the
 * parsing threads. */
static void reader_blobs(struct plan *p, struct sources *s)
{
	size_t i;

	for (i = 0; i < s->count; i++) {
		struct source *src = &s->items[i];

		if (src->kind == SRC_RECIPIENTS && src->changed && !src->blob[0])
			snprintf(src->blob, sizeof(src->blob), "%s",
				 recipient_reader_blob(p->reader, src->parse_job));
	}
}

/* The line of schema.sql after which come the indexes of the big tables. */
#define SCHEMA_BULK_MARK "\n-- mailout: bulk indexes\n"

/* The schema's tables and small indexes (indexes 0), or the indexes of the
 * big tables that a full build makes after its inserts (indexes 1). */
static int exec_schema(struct plan *p, int indexes)
{
	const char *mark = strstr(plan_schema_sql, SCHEMA_BULK_MARK);
	char *tables;
	int r;

	if (!mark)
		return indexes ? 0 : plan_exec(p, plan_schema_sql);
	if (indexes)
		return plan_exec(p, mark + 1);
	tables = xstrndup(plan_schema_sql, (size_t)(mark - plan_schema_sql));
	r = plan_exec(p, tables);
	free(tables);
	return r;
}

/* Refreshes the plan; fresh: the database is new (a full build). */
static int refresh(struct plan *p, int fresh, struct diag_list *diags)
{
	struct sources s = { NULL, 0, 0 };
	struct strmap known = STRMAP_INIT;
	struct deriver *scan_derive = NULL;
	struct rederive *partial = NULL;
	struct recipient_source *parsing = NULL;
	long long racy_since = 0;
	size_t errors = diags->errors;
	int content_changed = 0, logs_changed = 0, others = 0, ret = -1, derived = 0;
	int indexed = !fresh; /* a full build indexes the big tables once they are full */
	char stamp[32];
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (get_meta_int(p, "refreshed_ns", &racy_since) < 0)
		goto done;
	if (list_sources(p, &s, diags) < 0)
		goto done;
	if (load_known(p, &s, &known) < 0 || examine_sources(p, &s, racy_since, diags) < 0)
		goto done;
	sources_changes(&s, &known, &content_changed, &logs_changed, &others);
	parsing = reader_start(p, &s);
	/* a new plan derives the deliveries as the records are read, instead
	 * of reading them all back */
	if (fresh && (write_config_tables(p) < 0 || plan_deriver_open(&scan_derive, p) < 0))
		goto done;
	/* when only recipient files changed, only what they affect is derived again */
	if (!fresh && content_changed && !others && !logs_changed &&
	    plan_rederive_begin(&partial, p, &s, &known) < 0)
		goto done;
	if (plan_recipients_refresh(p, &s, &known, scan_derive, diags, &content_changed) < 0 ||
	    diags->errors > errors)
		goto done;
	reader_blobs(p, &s);
	recipient_reader_free(p->reader); /* its threads are through */
	p->reader = NULL;
	if (partial && (derived = plan_rederive_finish(partial, &s, diags)) < 0)
		goto done;
	if (content_changed && !(partial && derived == 1)) {
		p->rederived = 1;
		p->rederived_deliveries = 0;
		derived = plan_deriver_flush(scan_derive);
		plan_deriver_free(scan_derive); /* its memory goes before the replay's */
		scan_derive = NULL;
		if (derived >= 0 && !indexed) {
			indexed = 1;
			if (exec_schema(p, 1) < 0)
				goto done;
		}
		if (derived == 0)
			derived = write_config_tables(p) < 0 || plan_units_renumber(p) < 0
					  ? -1 : plan_deliveries_derive(p);
		if (derived < 0 || plan_counts_attach(p) < 0 || plan_replay_logs(p, &s, 1, diags) < 0 ||
		    plan_settle(p) < 0)
			goto done;
	} else if (logs_changed) {
		if (plan_replay_logs(p, &s, 0, diags) < 0 || plan_settle(p) < 0)
			goto done;
	}
	if (diags->errors > errors)
		goto done;
	if ((!indexed && exec_schema(p, 1) < 0) || write_files_table(p, &s, &known) < 0)
		goto done;
	snprintf(stamp, sizeof(stamp), "%lld",
		 (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
	if (set_meta(p, "refreshed_ns", stamp) < 0)
		goto done;
	if (content_changed || logs_changed || !p->built_at) {
		p->built_at = clock_now();
		snprintf(stamp, sizeof(stamp), "%lld", (long long)p->built_at);
		if (set_meta(p, "built_at", stamp) < 0 || set_meta(p, "commit", p->commit) < 0 ||
		    set_meta(p, "dirty", p->dirty ? "1" : "0") < 0)
			goto done;
	}
	ret = 0;
done:
	recipient_reader_free(p->reader);
	p->reader = NULL;
	free(parsing);
	plan_deriver_free(scan_derive);
	plan_rederive_free(partial);
	sources_release(&s);
	strmap_release(&known, NULL);
	return ret;
}

/* One connection, used by the thread that opened it only (the parsing
 * threads never touch the plan): no mutex around each call. */
static int open_db(struct plan *p, const char *path, int create)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);

	if (sqlite3_open_v2(path, &p->db, flags, NULL) != SQLITE_OK) {
		error_set("cannot open the plan '%s': %s", path,
			  p->db ? sqlite3_errmsg(p->db) : "out of memory");
		sqlite3_close(p->db);
		p->db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(p->db, 30000);
	return plan_exec(p, "PRAGMA foreign_keys = OFF; PRAGMA cache_size = -65536;");
}

/* Closes the connection with the statements prepared on it. */
static void close_db(struct plan *p)
{
	plan_queries_release(p);
	sqlite3_close(p->db);
	p->db = NULL;
}

static int schema_version(struct plan *p)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (plan_prepare(p, &st, "PRAGMA user_version") == 0 && plan_step(p, st) == PLAN_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Builds from scratch into a new file, then renames it over the plan. */
static int full_build(struct plan *p, struct diag_list *diags)
{
	char *tmp = xasprintf("%s.new.%ld", p->path, (long)getpid());
	int ret = -1;

	unlink(tmp);
	if (open_db(p, tmp, 1) < 0)
		goto done;
	if (plan_exec(p, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;") < 0 ||
	    exec_schema(p, 0) < 0 || plan_exec(p, "BEGIN") < 0)
		goto done;
	if (refresh(p, 1, diags) < 0)
		goto done;
	if (plan_exec(p, "COMMIT") < 0)
		goto done;
	close_db(p);
	{
		int fd = open(tmp, O_RDONLY);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	if (rename(tmp, p->path) < 0) {
		error_set("cannot replace '%s': %s", p->path, strerror(errno));
		goto done;
	}
	if (open_db(p, p->path, 0) < 0 || plan_exec(p, "PRAGMA journal_mode = DELETE;") < 0)
		goto done;
	ret = 0;
done:
	if (ret < 0) {
		close_db(p);
		unlink(tmp);
	}
	free(tmp);
	return ret;
}

static int incremental(struct plan *p, struct diag_list *diags)
{
	if (plan_exec(p, "PRAGMA synchronous = NORMAL; BEGIN IMMEDIATE") < 0)
		return -1;
	if (refresh(p, 0, diags) < 0) {
		plan_exec(p, "ROLLBACK");
		return -1;
	}
	return plan_exec(p, "COMMIT");
}

/* The files SQLite opens by name in the build folder are regular files
 * or absent, never links to follow. */
static int plan_files_check(struct plan *p, const char *build_dir)
{
	static const char *const names[] = { "plan.db", "plan.db-journal", "plan.db-wal", "plan.db-shm",
					     "send.lock" };
	struct buf rel = BUF_INIT;
	struct stat st;
	size_t i;
	int ret = 0;

	for (i = 0; i < sizeof(names) / sizeof(*names) && ret == 0; i++) {
		buf_reset(&rel);
		buf_addf(&rel, "%s%s", build_dir ? "" : "build/", names[i]);
		if (content_stat(build_dir ? build_dir : p->root, rel.ptr, &st) == CONTENT_REFUSED)
			ret = CONTENT_REFUSED;
	}
	if (ret == 0)
		error_clear();
	buf_release(&rel);
	return ret;
}

char *plan_dir_for(const char *root, const char *build_dir)
{
	return build_dir ? xstrdup(build_dir) : xasprintf("%s/build", root);
}

int plan_open(struct plan **out, const char *root, const char *build_dir, unsigned flags,
	      struct diag_list *diags)
{
	struct plan *p = xcalloc(1, sizeof(*p));
	struct stat st;
	long long built_at = 0;
	int r, held, ret = -1;

	*out = NULL;
	p->root = xstrdup(root);
	p->dir = plan_dir_for(root, build_dir);
	p->path = xasprintf("%s/plan.db", p->dir);
	held = content_hold(root);
	if (load_content(p, diags) < 0)
		goto done;
	if (gitrepo_head(root, p->commit, &p->dirty) < 0)
		goto done;
	/* build/ as committed may hold links: only --out is followed */
	r = build_dir ? mkdir_p(p->dir) : content_mkdirs(root, "build");
	if (r == 0)
		r = plan_files_check(p, build_dir);
	if (r < 0) {
		if (r == CONTENT_REFUSED)
			content_diag(diags);
		goto done;
	}
	if (!(flags & PLAN_REBUILD) && lstat(p->path, &st) == 0) {
		if (open_db(p, p->path, 0) == 0 && schema_version(p) == PLAN_SCHEMA_VERSION) {
			get_meta_int(p, "built_at", &built_at);
			p->built_at = (time_t)built_at;
			ret = incremental(p, diags);
			goto done;
		}
		close_db(p);
		error_clear();
	}
	ret = full_build(p, diags);
done:
	if (held)
		content_release();
	if (ret < 0) {
		if (!diags->errors)
			diag_add(diags, DIAG_ERROR, "build/plan.db", 0, 0, "%s", error_last());
		plan_close(p);
		return -1;
	}
	*out = p;
	return 0;
}

void plan_close(struct plan *p)
{
	if (!p)
		return;
	plan_queries_release(p);
	sqlite3_close(p->db);
	config_release(&p->cfg);
	segments_release(&p->segments);
	suppressions_release(&p->suppressions);
	campaigns_release(&p->campaigns);
	free(p->root);
	free(p->dir);
	free(p->path);
	free(p);
}

int plan_log_advance(struct plan *p, const char *rel, size_t offset, uint64_t fnv)
{
	sqlite3_stmt *st = NULL;
	struct stat sb;
	char fp[41];
	int ret = -1;

	if (content_stat(p->root, rel, &sb) < 0)
		goto done;
	snprintf(fp, sizeof(fp), "fnv1a:%016llx", (unsigned long long)fnv);
	if (plan_prepare(p, &st,
			 "INSERT OR REPLACE INTO files (path, size, mtime, blob, consumed) VALUES (?, ?, ?, ?, ?)") < 0)
		goto done;
	plan_bind_text(st, 1, rel);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)sb.st_size);
	sqlite3_bind_int64(st, 3, (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec);
	plan_bind_text(st, 4, fp);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)offset);
	ret = plan_step_done(p, st);
done:
	sqlite3_finalize(st);
	return ret;
}

int plan_refresh(struct plan *p, struct diag_list *diags)
{
	int held, ret;

	p->files_read = p->files_parsed = p->log_lines = 0;
	p->rederived = 0;
	p->rederived_deliveries = 0;
	/* the files may have changed under us (a fetch): read the content again */
	config_release(&p->cfg);
	segments_release(&p->segments);
	suppressions_release(&p->suppressions);
	campaigns_release(&p->campaigns);
	held = content_hold(p->root);
	ret = load_content(p, diags) < 0 ? -1 : incremental(p, diags);
	if (held)
		content_release();
	return ret;
}
