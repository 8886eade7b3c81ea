#include "plan_private.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "gitrepo.h"
#include "log.h"
#include "safefile.h"
#include "schedule.h"
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

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* Binds text that stays valid until the statement has run (no copy). */
static void bind_static(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Runs a prepared statement that returns no rows, then resets it. */
static int step_done(struct plan *p, sqlite3_stmt *st)
{
	int rc = plan_step(p, st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc < 0 ? -1 : 0;
}

/* ---- source files ---- */

enum source_kind { SRC_CONFIG, SRC_SEGMENTS, SRC_SUPPRESSIONS, SRC_CAMPAIGN, SRC_RECIPIENTS,
		   SRC_LOG, SRC_COMMANDS };

struct source {
	char *rel;
	enum source_kind kind;
	int type; /* recipient type, for SRC_RECIPIENTS */
	char *campaign, *account; /* for logs */
	long long size, mtime;
	int exists;
	int refused; /* not a regular file, or under a link: never read */
	/* from the files table */
	int known;
	long long old_size, old_mtime, consumed;
	char old_blob[41];
	/* decided by the refresh */
	int changed; /* content differs (not for logs) */
	int appended; /* log grew, prefix unchanged */
	int rewritten; /* log changed in what was replayed already */
	char blob[41];
};

struct sources {
	struct source *items;
	size_t count, cap;
};

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

static void stat_source(const char *root, struct source *src)
{
	struct stat st;
	int r = content_stat(root, src->rel, &st);

	if (r == 0) {
		src->exists = 1;
		src->size = (long long)st.st_size;
		src->mtime = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	}
	src->refused = r == CONTENT_REFUSED;
}

static int list_sources(struct plan *p, struct sources *s, struct diag_list *diags)
{
	char **names = NULL, **logs = NULL;
	int n, i, j, nlogs, ret = 0;
	struct buf dir = BUF_INIT;
	struct source *src;

	add_source(s, xstrdup(CONFIG_FILE), SRC_CONFIG);
	add_source(s, xstrdup(SEGMENTS_FILE), SRC_SEGMENTS);
	add_source(s, xstrdup(SUPPRESSIONS_FILE), SRC_SUPPRESSIONS);
	for (i = 0; i < (int)p->campaigns.count; i++) {
		const struct campaign *c = &p->campaigns.items[i];

		src = add_source(s, xstrdup(c->path), SRC_CAMPAIGN);
		src->campaign = xstrdup(c->id);
		buf_reset(&dir);
		buf_addf(&dir, "campaigns/%s/log", c->id);
		nlogs = content_list(&logs, p->root, dir.ptr, ".tsv", 0);
		if (nlogs == CONTENT_REFUSED) {
			content_diag(diags);
			ret = -1;
		}
		for (j = 0; j < nlogs; j++) {
			src = add_source(s, xasprintf("campaigns/%s/log/%s", c->id, logs[j]), SRC_LOG);
			src->campaign = xstrdup(c->id);
			src->account = xstrndup(logs[j], strlen(logs[j]) - 4);
		}
		free_list(logs, nlogs > 0 ? (size_t)nlogs : 0);
		src = add_source(s, xasprintf("campaigns/%s/commands.tsv", c->id), SRC_COMMANDS);
		src->campaign = xstrdup(c->id);
	}
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
	buf_release(&dir);
	for (i = 0; i < (int)s->count; i++)
		stat_source(p->root, &s->items[i]);
	return ret;
}

static int load_known(struct plan *p, struct sources *s, struct strmap *known)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc;

	if (plan_prepare(p, &st, "SELECT path, size, mtime, blob, consumed FROM files") < 0)
		return -1;
	while ((rc = plan_step(p, st)) == PLAN_ROW)
		strmap_put(known, plan_column_text(st, 0), NULL)->value = (void *)1;
	sqlite3_reset(st);
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;
	if (plan_prepare(p, &st, "SELECT size, mtime, blob, consumed FROM files WHERE path = ?") < 0)
		return -1;
	for (i = 0; i < s->count; i++) {
		struct source *src = &s->items[i];

		bind_text(st, 1, src->rel);
		rc = plan_step(p, st);
		if (rc < 0)
			break;
		if (rc == PLAN_ROW) {
			src->known = 1;
			src->old_size = sqlite3_column_int64(st, 0);
			src->old_mtime = sqlite3_column_int64(st, 1);
			snprintf(src->old_blob, sizeof(src->old_blob), "%s", plan_column_text(st, 2));
			src->consumed = sqlite3_column_int64(st, 3);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
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

/* ---- recipients ---- */

/* Deliveries derived as the records are read (a new plan); see below. */
struct deriver;
static int deriver_scanned(struct deriver *d, const struct recipient *r, long long file,
			   const struct buf *fields);

struct record_insert {
	struct plan *p;
	sqlite3_stmt *insert, *find;
	long long file_id;
	struct buf fields;
	struct diag_list *diags;
	struct deriver *derive; /* NULL: derived later from the table */
	int failed;
};

static void insert_record(const struct recipient *r, void *payload)
{
	struct record_insert *ri = payload;
	int rc;

	buf_reset(&ri->fields);
	recipient_encode_fields(&ri->fields, r->node);
	sqlite3_bind_int(ri->insert, 1, (int)r->type);
	bind_static(ri->insert, 2, r->id);
	sqlite3_bind_int64(ri->insert, 3, ri->file_id);
	sqlite3_bind_int(ri->insert, 4, r->line);
	bind_static(ri->insert, 5, r->email);
	bind_static(ri->insert, 6, r->address);
	bind_static(ri->insert, 7, r->owner);
	sqlite3_bind_int(ri->insert, 8, r->vip);
	sqlite3_bind_blob(ri->insert, 9, ri->fields.ptr, (int)ri->fields.len, SQLITE_STATIC);
	rc = sqlite3_step(ri->insert);
	sqlite3_reset(ri->insert);
	sqlite3_clear_bindings(ri->insert); /* the record's strings go with it */
	if (rc == SQLITE_CONSTRAINT) {
		/* the same id in another file of this type, parsed earlier */
		const char *other = "another file";
		int line = 0;

		sqlite3_bind_int(ri->find, 1, (int)r->type);
		bind_text(ri->find, 2, r->id);
		rc = plan_step(ri->p, ri->find);
		if (rc < 0) {
			ri->failed = -1;
			sqlite3_reset(ri->find);
			return;
		}
		if (rc == PLAN_ROW) {
			other = plan_column_text(ri->find, 0);
			line = sqlite3_column_int(ri->find, 1);
		}
		diag_add(ri->diags, DIAG_ERROR, r->path, ynode_get(r->node, "id")->line,
			 ynode_get(r->node, "id")->col, "duplicate %s id '%s' (first at %s:%d)",
			 recipient_type_name(r->type), r->id, other, line);
		sqlite3_reset(ri->find);
	} else if (rc != SQLITE_DONE) {
		ri->failed = plan_sql_error(ri->p, "insert recipient");
	} else if (ri->derive && deriver_scanned(ri->derive, r, ri->file_id, &ri->fields) < 0) {
		ri->failed = -1;
	}
}

/* Replaces the records of the changed recipient files; derive, when set,
 * gets each record inserted. */
static int refresh_recipients(struct plan *p, struct sources *s, struct strmap *known,
			      struct deriver *derive, struct diag_list *diags, int *changed_out)
{
	struct record_insert ri;
	sqlite3_stmt *get_file = NULL, *add_file = NULL, *drop = NULL, *drop_file = NULL;
	size_t i;
	int rc, ret = -1;

	memset(&ri, 0, sizeof(ri));
	ri.p = p;
	ri.diags = diags;
	ri.derive = derive;
	if (plan_prepare(p, &get_file, "SELECT id FROM recipient_files WHERE path = ?") < 0 ||
	    plan_prepare(p, &add_file, "INSERT INTO recipient_files (path, type) VALUES (?, ?)") < 0 ||
	    plan_prepare(p, &drop, "DELETE FROM recipients WHERE file = ?") < 0 ||
	    plan_prepare(p, &drop_file, "DELETE FROM recipient_files WHERE path = ?") < 0 ||
	    plan_prepare(p, &ri.insert,
			 "INSERT INTO recipients (type, id, file, line, email, address, owner, vip, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)") < 0 ||
	    plan_prepare(p, &ri.find,
			 "SELECT f.path, r.line FROM recipients r JOIN recipient_files f ON f.id = r.file WHERE r.type = ? AND r.id = ?") < 0)
		goto done;
	/* files gone from the tree */
	for (i = 0; i < known->cap; i++) {
		const char *path = known->slots[i].key;
		size_t j;
		int present = 0;

		if (!path || strncmp(path, "recipients/", 11) || !str_has_suffix(path, ".yaml") ||
		    !strcmp(path, SEGMENTS_FILE))
			continue;
		for (j = 0; j < s->count && !present; j++)
			present = !strcmp(s->items[j].rel, path);
		if (present)
			continue;
		bind_text(get_file, 1, path);
		rc = plan_step(p, get_file);
		if (rc < 0)
			goto done;
		if (rc == PLAN_ROW) {
			sqlite3_bind_int64(drop, 1, sqlite3_column_int64(get_file, 0));
			if (step_done(p, drop) < 0)
				goto done;
		}
		sqlite3_reset(get_file);
		bind_text(drop_file, 1, path);
		if (step_done(p, drop_file) < 0)
			goto done;
		*changed_out = 1;
	}
	/* Removing every changed file's records first lets records move
	 * between files without a false duplicate. */
	for (i = 0; i < s->count; i++) {
		struct source *src = &s->items[i];

		if (src->kind != SRC_RECIPIENTS || !src->changed)
			continue;
		*changed_out = 1;
		bind_text(get_file, 1, src->rel);
		rc = plan_step(p, get_file);
		if (rc < 0)
			goto done;
		if (rc == PLAN_ROW) {
			sqlite3_bind_int64(drop, 1, sqlite3_column_int64(get_file, 0));
			if (step_done(p, drop) < 0)
				goto done;
		}
		sqlite3_reset(get_file);
	}
	for (i = 0; i < s->count; i++) {
		struct source *src = &s->items[i];
		struct recipient_scan scan;

		if (src->kind != SRC_RECIPIENTS || !src->changed)
			continue;
		bind_text(get_file, 1, src->rel);
		rc = plan_step(p, get_file);
		if (rc < 0)
			goto done;
		if (rc == PLAN_ROW) {
			ri.file_id = sqlite3_column_int64(get_file, 0);
			sqlite3_reset(get_file);
		} else {
			sqlite3_reset(get_file);
			bind_text(add_file, 1, src->rel);
			sqlite3_bind_int(add_file, 2, src->type);
			if (step_done(p, add_file) < 0)
				goto done;
			ri.file_id = sqlite3_last_insert_rowid(p->db);
		}
		p->files_parsed++;
		recipient_scan_init(&scan);
		recipients_scan_file(&scan, p->root, src->rel, (enum recipient_type)src->type,
				     &p->cfg, insert_record, &ri, diags);
		recipient_scan_release(&scan);
		if (ri.failed)
			goto done;
	}
	ret = 0;
done:
	sqlite3_finalize(get_file);
	sqlite3_finalize(add_file);
	sqlite3_finalize(drop);
	sqlite3_finalize(drop_file);
	sqlite3_finalize(ri.insert);
	sqlite3_finalize(ri.find);
	buf_release(&ri.fields);
	return ret;
}

/* ---- deliveries ---- */

/*
 * The account of a recipient: weighted rendezvous hashing over the
 * candidate accounts, weighted by daily limit, so that rebuilding gives the
 * same answer and adding or removing an account moves only the recipients
 * it must.  VIP recipients go through the owner's main accounts (the other
 * ones when there is no main account); others never through a main account.
 */
struct candidates {
	const struct account **items;
	uint64_t *hashes; /* of each account's id */
	size_t count;
};

static void owner_candidates(const struct config *cfg, const char *owner, int main,
			     struct candidates *out)
{
	size_t i;

	out->items = xcalloc(cfg->naccounts + 1, sizeof(*out->items));
	out->hashes = xcalloc(cfg->naccounts + 1, sizeof(*out->hashes));
	out->count = 0;
	for (i = 0; i < cfg->naccounts; i++) {
		const struct account *a = &cfg->accounts[i];
		if (a->owner && !strcmp(a->owner, owner) && a->enabled && a->main == main &&
		    a->daily_limit > 0) {
			out->hashes[out->count] = hash_bytes(a->id, strlen(a->id));
			out->items[out->count++] = a;
		}
	}
}

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

static const struct account *assign_account(const struct candidates *c, const char *recipient)
{
	const struct account *best = NULL;
	double best_score = -1;
	uint64_t hr;
	size_t i;

	if (c->count == 1)
		return c->items[0];
	hr = mix64(hash_bytes(recipient, strlen(recipient)));
	for (i = 0; i < c->count; i++) {
		uint64_t h = mix64(c->hashes[i] ^ hr);
		double u, score;

		u = ((double)(h >> 11) + 0.5) / 9007199254740992.0; /* (0, 1) */
		score = (double)c->items[i]->daily_limit / -log(u);
		if (score > best_score) {
			best_score = score;
			best = c->items[i];
		}
	}
	return best;
}

struct campaign_select {
	const struct campaign *campaign;
	struct candidates vip, other;
	int needs_fields;
};

static int campaign_needs_fields(const struct campaign *c)
{
	size_t i;

	if (c->has_filter)
		return 1;
	for (i = 0; i < c->nmerged_from; i++) {
		if (c->sources && c->sources[i] && campaign_needs_fields(c->sources[i]))
			return 1;
	}
	return 0;
}

static void release_select(struct campaign_select *cs)
{
	free(cs->vip.items);
	free(cs->vip.hashes);
	free(cs->other.items);
	free(cs->other.hashes);
	memset(cs, 0, sizeof(*cs));
}

/*
 * Which campaigns already took an address (dedupe within a campaign): per
 * selected address of a type, a list of campaign_select indexes in one
 * array, linked by index (0 ends a list, so entries are numbered from 1).
 * Far smaller than a set of addresses per campaign.
 */
struct taken {
	struct strmap addresses; /* value: the list's first entry */
	struct taken_entry {
		uint32_t select, next;
	} *entries;
	size_t count, cap;
};

/* Returns 1 when the address's campaign `select` took it already, else
 * records that it does now and returns 0. */
static int taken_check(struct taken *t, struct strmap_entry *e, size_t select)
{
	uint32_t i;

	for (i = (uint32_t)(uintptr_t)e->value; i; i = t->entries[i - 1].next) {
		if (t->entries[i - 1].select == select)
			return 1;
	}
	XGROW(t->entries, t->cap, t->count + 1);
	t->entries[t->count].select = (uint32_t)select;
	t->entries[t->count].next = (uint32_t)(uintptr_t)e->value;
	e->value = (void *)(uintptr_t)++t->count;
	return 0;
}

static void taken_release(struct taken *t)
{
	strmap_release(&t->addresses, NULL);
	free(t->entries);
	memset(t, 0, sizeof(*t));
}

/*
 * Derived deliveries wait in a batch and go into the table in key order
 * (campaign, recipient): in the order they are derived, every recipient
 * would touch the pages of every campaign that selects it.
 */
#define DELIVERY_BATCH 262144

struct delivery_row {
	size_t campaign; /* index into p->campaigns, which is in id order */
	const char *account;
	long long ord;
	int vip;
	size_t id_at, address_at; /* offsets into the batch's text */
	const char *id, *address; /* set when the batch is written */
};

struct delivery_batch {
	struct delivery_row *rows;
	size_t count, cap;
	struct buf text;
};

static void batch_add(struct delivery_batch *b, size_t campaign, const struct recipient *r,
		      const struct account *a, long long ord)
{
	struct delivery_row *row;

	XGROW(b->rows, b->cap, b->count + 1);
	row = &b->rows[b->count++];
	row->campaign = campaign;
	row->account = a ? a->id : NULL;
	row->ord = ord;
	row->vip = r->vip;
	row->id_at = b->text.len;
	buf_add(&b->text, r->id, strlen(r->id) + 1);
	row->address_at = b->text.len;
	buf_add(&b->text, r->address, strlen(r->address) + 1);
}

static int cmp_delivery_row(const void *x, const void *y)
{
	const struct delivery_row *a = x, *b = y;

	if (a->campaign != b->campaign)
		return a->campaign < b->campaign ? -1 : 1;
	return strcmp(a->id, b->id);
}

static int batch_write(struct plan *p, struct delivery_batch *b, sqlite3_stmt *ins)
{
	size_t i;

	for (i = 0; i < b->count; i++) {
		b->rows[i].id = b->text.ptr + b->rows[i].id_at;
		b->rows[i].address = b->text.ptr + b->rows[i].address_at;
	}
	if (b->count)
		qsort(b->rows, b->count, sizeof(*b->rows), cmp_delivery_row);
	for (i = 0; i < b->count; i++) {
		const struct delivery_row *row = &b->rows[i];

		bind_static(ins, 1, p->campaigns.items[row->campaign].id);
		bind_static(ins, 2, row->id);
		sqlite3_bind_int64(ins, 3, row->ord);
		bind_static(ins, 4, row->address);
		sqlite3_bind_int(ins, 5, row->vip);
		bind_static(ins, 6, row->account);
		if (step_done(p, ins) < 0)
			return -1;
	}
	b->count = 0;
	buf_reset(&b->text);
	return 0;
}

/*
 * Deliveries are derived record by record in the plan's order: by type,
 * file path and line, and for each record the campaigns in id order (ord
 * counts in that order; the first record of an address is the one mailed).
 * A new plan gets the records as they are read; otherwise they are read
 * back from the recipients table.
 */
struct deriver {
	struct plan *p;
	struct campaign_select *sel; /* the campaigns of the current type */
	size_t nsel;
	int type; /* -1 before the first record */
	struct taken taken;
	struct delivery_batch batch;
	struct recipient_fields fields;
	sqlite3_stmt *ins;
	long long ord;
	/* records handed over as read: the place of the previous one */
	long long last_file;
	int last_line;
	int abandoned; /* two records on one line: the table orders them */
};

static int deriver_init(struct deriver *d, struct plan *p)
{
	memset(d, 0, sizeof(*d));
	d->p = p;
	d->type = -1;
	buf_init(&d->batch.text, 0);
	d->sel = xcalloc(p->campaigns.count + 1, sizeof(*d->sel));
	return plan_prepare(p, &d->ins,
			    "INSERT INTO deliveries (campaign, recipient, ord, address, vip, account, state) VALUES (?, ?, ?, ?, ?, ?, 'pending')");
}

static void deriver_release(struct deriver *d)
{
	size_t i;

	if (!d->p)
		return;
	for (i = 0; i < d->nsel; i++)
		release_select(&d->sel[i]);
	free(d->sel);
	taken_release(&d->taken);
	free(d->batch.rows);
	buf_release(&d->batch.text);
	recipient_fields_release(&d->fields);
	sqlite3_finalize(d->ins);
	memset(d, 0, sizeof(*d));
}

/* Switches to the campaigns of type t; returns how many there are. */
static size_t deriver_type(struct deriver *d, int t)
{
	size_t i;

	if (t == d->type)
		return d->nsel;
	for (i = 0; i < d->nsel; i++)
		release_select(&d->sel[i]);
	taken_release(&d->taken);
	d->nsel = 0;
	d->type = t;
	for (i = 0; i < d->p->campaigns.count; i++) {
		const struct campaign *c = &d->p->campaigns.items[i];
		struct campaign_select *cs = &d->sel[d->nsel];

		if (!c->valid || c->type != t)
			continue;
		cs->campaign = c;
		cs->needs_fields = campaign_needs_fields(c);
		owner_candidates(&d->p->cfg, c->owner, 1, &cs->vip);
		owner_candidates(&d->p->cfg, c->owner, 0, &cs->other);
		d->nsel++;
	}
	return d->nsel;
}

/* The deliveries of one record of the current type; blob holds its fields
 * as the plan stores them (decoded when a campaign filters on them). */
static int deriver_record(struct deriver *d, struct recipient *r, const void *blob, size_t len)
{
	struct strmap_entry *seen = NULL;
	int decoded = 0;
	size_t i;

	for (i = 0; i < d->nsel; i++) {
		struct campaign_select *cs = &d->sel[i];
		const struct account *a;

		if (strcmp(cs->campaign->owner, r->owner))
			continue;
		if (cs->needs_fields && !decoded) {
			r->node = recipient_decode_fields(&d->fields, blob, len);
			decoded = 1;
		}
		if (!campaign_selects(cs->campaign, r))
			continue;
		if (!seen)
			seen = strmap_put(&d->taken.addresses, r->address, NULL);
		if (taken_check(&d->taken, seen, i))
			continue; /* the same address twice: mailed once */
		a = assign_account(r->vip && cs->vip.count ? &cs->vip : &cs->other, r->id);
		batch_add(&d->batch, (size_t)(cs->campaign - d->p->campaigns.items), r, a, d->ord++);
	}
	if (d->batch.count >= DELIVERY_BATCH)
		return batch_write(d->p, &d->batch, d->ins);
	return 0;
}

static int deriver_scanned(struct deriver *d, const struct recipient *r, long long file,
			   const struct buf *fields)
{
	struct recipient copy;

	if (d->abandoned)
		return 0;
	if (file == d->last_file && r->line == d->last_line) {
		/* read back from the table, these come in id order: derive
		 * everything from the table instead */
		d->abandoned = 1;
		d->batch.count = 0;
		buf_reset(&d->batch.text);
		return 0;
	}
	d->last_file = file;
	d->last_line = r->line;
	if (!deriver_type(d, (int)r->type))
		return 0;
	/* the record as it reads back from the table */
	memset(&copy, 0, sizeof(copy));
	copy.type = r->type;
	copy.id = r->id;
	copy.email = r->email;
	copy.address = r->address;
	copy.owner = r->owner;
	copy.vip = r->vip;
	copy.line = r->line;
	return deriver_record(d, &copy, fields->ptr, fields->len);
}

static int derive_deliveries(struct plan *p)
{
	struct deriver d;
	sqlite3_stmt *files = NULL, *recs = NULL;
	int t, rc, rf, ret = -1;

	if (deriver_init(&d, p) < 0 ||
	    plan_prepare(p, &files, "SELECT id FROM recipient_files WHERE type = ? ORDER BY path") < 0 ||
	    plan_prepare(p, &recs,
			 "SELECT id, email, address, owner, vip, fields, line FROM recipients WHERE file = ? ORDER BY line") < 0)
		goto done;
	for (t = 0; t < RTYPE_COUNT; t++) {
		if (!deriver_type(&d, t))
			continue;
		sqlite3_bind_int(files, 1, t);
		while ((rf = plan_step(p, files)) == PLAN_ROW) {
			sqlite3_bind_int64(recs, 1, sqlite3_column_int64(files, 0));
			while ((rc = plan_step(p, recs)) == PLAN_ROW) {
				struct recipient r;

				memset(&r, 0, sizeof(r));
				r.type = (enum recipient_type)t;
				r.id = plan_column_text(recs, 0);
				r.email = plan_column_text(recs, 1);
				r.address = plan_column_text(recs, 2);
				r.owner = plan_column_text(recs, 3);
				r.vip = sqlite3_column_int(recs, 4);
				r.line = sqlite3_column_int(recs, 6);
				if (deriver_record(&d, &r, sqlite3_column_blob(recs, 5),
						   (size_t)sqlite3_column_bytes(recs, 5)) < 0) {
					sqlite3_reset(recs);
					sqlite3_reset(files);
					goto done;
				}
			}
			sqlite3_reset(recs);
			if (rc < 0) {
				sqlite3_reset(files);
				goto done;
			}
		}
		sqlite3_reset(files);
		if (rf < 0)
			goto done;
	}
	if (batch_write(p, &d.batch, d.ins) < 0)
		goto done;
	ret = 0;
done:
	deriver_release(&d);
	sqlite3_finalize(files);
	sqlite3_finalize(recs);
	return ret;
}

/* ---- log replay ---- */

struct account_run {
	char *id;
	const struct account *account; /* NULL when no longer configured */
	long long red_since, resumed_at, rest_until, last_attempt;
	char *red_reason, *rest_reason;
};

struct replay {
	struct plan *p;
	struct diag_list *diags;
	const char *campaign;
	const char *account;
	long long *last_error, *last_reset; /* per campaign, in campaigns order */
	size_t ci;
	struct account_run *accounts;
	size_t naccounts;
	struct strmap daily, progress; /* "account\tday" / "campaign\taccount\tday" -> count */
	sqlite3_stmt *get, *set_state, *claim, *sent, *note, *bounce;
	size_t lines;
	int failed;
	/* replaying a merged campaign's log for the campaign it was merged
	 * into: only the deliveries' history, never the account's */
	int history;
};

static struct account_run *account_run(struct replay *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->naccounts; i++) {
		if (!strcmp(r->accounts[i].id, id))
			return &r->accounts[i];
	}
	r->accounts = xrealloc(r->accounts, (r->naccounts + 1) * sizeof(*r->accounts));
	memset(&r->accounts[r->naccounts], 0, sizeof(*r->accounts));
	r->accounts[r->naccounts].id = xstrdup(id);
	r->accounts[r->naccounts].account = config_account(&r->p->cfg, id);
	return &r->accounts[r->naccounts++];
}

static void count_add(struct strmap *m, const char *key, long n)
{
	struct strmap_entry *e = strmap_put(m, key, NULL);
	e->value = (void *)((intptr_t)e->value + n);
}

static int parse_code(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *end || v < 0 || v > 999 ? 0 : (int)v;
}

static int hard_bounce(const char *enhanced)
{
	return !strncmp(enhanced, "5.1.", 4) || !strcmp(enhanced, "5.2.1");
}

/* A delivery report whose server gave up, whatever the status (bounce.h). */
static int final_report(const struct log_entry *e)
{
	return e->event == LOG_BOUNCE && !strncmp(e->field[3], "delivery report: failed", 23);
}

static void set_max(long long *x, long long v)
{
	if (v > *x)
		*x = v;
}

static void replace_str(char **dst, const char *s)
{
	free(*dst);
	*dst = xstrdup(s);
}

static int add_notification(struct replay *r, const struct log_entry *e, const char *what)
{
	struct buf msg = BUF_INIT;
	int ret;

	if (r->history)
		return 0;
	/* server replies usually carry their codes already */
	if (!strncmp(e->field[3], e->field[1], strlen(e->field[1])))
		buf_addf(&msg, "%s: %s", what, e->field[3]);
	else if (!strcmp(e->field[2], "-"))
		buf_addf(&msg, "%s: %s %s", what, e->field[1], e->field[3]);
	else
		buf_addf(&msg, "%s: %s %s %s", what, e->field[1], e->field[2], e->field[3]);
	bind_text(r->note, 1, r->campaign);
	sqlite3_bind_int64(r->note, 2, (sqlite3_int64)e->time);
	bind_text(r->note, 3, r->account);
	bind_text(r->note, 4, e->field[0]);
	bind_text(r->note, 5, msg.ptr);
	ret = step_done(r->p, r->note);
	buf_release(&msg);
	set_max(&r->last_error[r->ci], (long long)e->time);
	return ret;
}

/* Sets state and reply of a delivery. */
static int set_state(struct replay *r, const char *recipient, const char *state, time_t t,
		     const struct log_entry *e, long long next_at, int reset_attempts)
{
	sqlite3_stmt *st = r->set_state;

	bind_text(st, 1, state);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)t);
	if (e && e->nfields >= 4) {
		sqlite3_bind_int(st, 3, parse_code(e->field[1]));
		bind_text(st, 4, e->field[2]);
		bind_text(st, 5, e->field[3]);
	}
	sqlite3_bind_int64(st, 6, next_at);
	sqlite3_bind_int(st, 7, reset_attempts);
	bind_text(st, 8, r->campaign);
	bind_text(st, 9, recipient);
	return step_done(r->p, st);
}

static int undo_attempt(struct replay *r, const char *recipient)
{
	sqlite3_stmt *st = NULL;
	int ret;

	if (plan_prepare(r->p, &st,
			 "UPDATE deliveries SET attempts = MAX(attempts - 1, 0), "
			 "first_at = CASE WHEN attempts <= 1 THEN NULL ELSE first_at END "
			 "WHERE campaign = ? AND recipient = ?") < 0)
		return -1;
	bind_text(st, 1, r->campaign);
	bind_text(st, 2, recipient);
	ret = step_done(r->p, st);
	sqlite3_finalize(st);
	return ret;
}

static int replay_entry(const struct log_entry *e, void *payload)
{
	struct replay *r = payload;
	struct plan *p = r->p;
	const char *recipient = e->nfields ? e->field[0] : NULL;
	char *state = NULL, *address = NULL;
	long long last_event = 0, claimed_at = 0;
	time_t until;
	struct account_run *ar;
	struct buf key = BUF_INIT;
	int found = 0, ret = 0, rc;
	size_t i;

	r->lines++;
	if (recipient && e->event != LOG_MERGED) {
		bind_text(r->get, 1, r->campaign);
		bind_text(r->get, 2, recipient);
		rc = plan_step(p, r->get);
		if (rc < 0) {
			sqlite3_reset(r->get);
			ret = -1;
			goto done;
		}
		if (rc == PLAN_ROW) {
			found = 1;
			state = xstrdup(plan_column_text(r->get, 0));
			last_event = sqlite3_column_int64(r->get, 1);
			address = xstrdup(plan_column_text(r->get, 2));
			claimed_at = sqlite3_column_int64(r->get, 3);
		}
		sqlite3_reset(r->get);
		/* history never overrides what the campaign did itself since */
		if (r->history && found && (long long)e->time < last_event)
			found = 0;
	}
	if (r->history && (e->event == LOG_RESUME || e->event == LOG_MERGED))
		goto done;
	/* an outcome is the moment the account last used the server (claims
	 * of a batch are written ahead of it) */
	if (!r->history && e->event >= LOG_SENT && e->event <= LOG_CRITICAL && r->account)
		set_max(&account_run(r, r->account)->last_attempt, (long long)e->time);
	switch (e->event) {
	case LOG_CLAIM:
		if (!r->history) {
			ar = account_run(r, r->account);
			set_max(&ar->last_attempt, (long long)e->time);
			buf_addf(&key, "%s\t%d", r->account,
				 schedule_day(ar->account ? &ar->account->schedule : &p->cfg.schedule,
					      e->time));
			count_add(&r->daily, key.ptr, 1);
		}
		if (!found)
			break;
		bind_text(r->claim, 1, r->account);
		sqlite3_bind_int64(r->claim, 2, (sqlite3_int64)e->time);
		bind_text(r->claim, 3, e->field[2]);
		bind_text(r->claim, 4, r->campaign);
		bind_text(r->claim, 5, recipient);
		ret = step_done(p, r->claim);
		break;
	case LOG_SENT:
		buf_addf(&key, "%s\t%s\t%d", r->campaign, r->account,
			 schedule_day(&p->cfg.schedule, e->time));
		count_add(&r->progress, key.ptr, 1);
		if (!found)
			break;
		ret = set_state(r, recipient, "sent", e->time, e, 0, 0);
		if (!ret) {
			sqlite3_bind_int64(r->sent, 1, (sqlite3_int64)e->time);
			bind_text(r->sent, 2, r->campaign);
			bind_text(r->sent, 3, recipient);
			ret = step_done(p, r->sent);
		}
		break;
	case LOG_FAILED:
	case LOG_BOUNCE:
		ret = add_notification(r, e, e->event == LOG_FAILED ? "failed" : "bounce");
		if (!found || ret)
			break;
		if (e->event == LOG_FAILED || hard_bounce(e->field[2]) || final_report(e))
			ret = set_state(r, recipient, "failed", e->time, e, 0, 0);
		if (!ret && hard_bounce(e->field[2])) {
			bind_text(r->bounce, 1, address);
			sqlite3_bind_int64(r->bounce, 2, (sqlite3_int64)e->time);
			bind_text(r->bounce, 3, r->campaign);
			ret = step_done(p, r->bounce);
		}
		break;
	case LOG_RETRY:
		ret = add_notification(r, e, "temporary failure, will retry");
		if (found && !ret && time_parse_rfc3339(e->field[4], &until) == 0)
			ret = set_state(r, recipient, "retrying", e->time, e, (long long)until, 0);
		break;
	case LOG_DEFERRED:
	case LOG_CRITICAL:
		if (r->history) {
			if (found)
				ret = set_state(r, recipient, "pending", e->time, e, 0, 0);
			break;
		}
		ar = account_run(r, r->account);
		ret = add_notification(r, e, e->event == LOG_DEFERRED ? "account resting" :
			"critical error, account stopped until resume");
		if (e->event == LOG_DEFERRED) {
			if (time_parse_rfc3339(e->field[4], &until) == 0 && (long long)until > ar->rest_until) {
				ar->rest_until = (long long)until;
				replace_str(&ar->rest_reason, e->field[3]);
			}
		} else if ((long long)e->time >= ar->red_since) {
			ar->red_since = (long long)e->time;
			replace_str(&ar->red_reason, e->field[3]);
		}
		if (found && !ret)
			ret = set_state(r, recipient, "pending", e->time, e, 0, 0);
		break;
	case LOG_RETRY_CMD:
		if (!r->history)
			set_max(&r->last_reset[r->ci], (long long)e->time);
		if (found && (long long)e->time >= last_event &&
		    (!strcmp(state, "failed") || !strcmp(state, "retrying") ||
		     !strcmp(state, "claimed") || !strcmp(state, "unconfirmed")))
			ret = set_state(r, recipient, "pending", e->time, NULL, 0, 1);
		break;
	case LOG_RESUME:
		set_max(&r->last_reset[r->ci], (long long)e->time);
		for (i = 0; i < p->cfg.naccounts; i++) {
			const struct account *a = &p->cfg.accounts[i];
			if (a->owner && !strcmp(a->owner, p->campaigns.items[r->ci].owner))
				set_max(&account_run(r, a->id)->resumed_at, (long long)e->time);
		}
		break;
	case LOG_RELEASE:
		/* the claim, possibly settled as unconfirmed meanwhile, and nothing since */
		if (!found || (strcmp(state, "claimed") &&
			       (strcmp(state, "unconfirmed") || last_event != claimed_at)))
			break;
		if (!r->history) {
			ar = account_run(r, r->account);
			buf_addf(&key, "%s\t%d", r->account,
				 schedule_day(ar->account ? &ar->account->schedule : &p->cfg.schedule,
					      (time_t)claimed_at));
			count_add(&r->daily, key.ptr, -1);
		}
		ret = set_state(r, recipient, "pending", e->time, NULL, 0, 0);
		if (!ret)
			ret = undo_attempt(r, recipient);
		break;
	case LOG_MERGED:
	case LOG_EVENT_COUNT:
		break;
	}
done:
	free(state);
	free(address);
	buf_release(&key);
	if (ret)
		r->failed = 1;
	return ret;
}

static int replay_prepare(struct replay *r)
{
	struct plan *p = r->p;

	return plan_prepare(p, &r->get,
			    "SELECT state, last_event, address, claimed_at FROM deliveries WHERE campaign = ? AND recipient = ?") < 0 ||
	       plan_prepare(p, &r->set_state,
			    "UPDATE deliveries SET state = ?1, last_event = ?2, code = COALESCE(?3, code), enhanced = COALESCE(?4, enhanced), reply = COALESCE(?5, reply), next_at = ?6, attempts = CASE WHEN ?7 THEN 0 ELSE attempts END, first_at = CASE WHEN ?7 THEN NULL ELSE first_at END WHERE campaign = ?8 AND recipient = ?9") < 0 ||
	       plan_prepare(p, &r->claim,
			    "UPDATE deliveries SET state = 'claimed', account = ?1, claimed_at = ?2, first_at = COALESCE(first_at, ?2), last_event = ?2, message_id = ?3, attempts = attempts + 1 WHERE campaign = ?4 AND recipient = ?5") < 0 ||
	       plan_prepare(p, &r->sent,
			    "UPDATE deliveries SET sent_at = ? WHERE campaign = ? AND recipient = ?") < 0 ||
	       plan_prepare(p, &r->note,
			    "INSERT INTO notifications (campaign, time, account, recipient, message) VALUES (?, ?, ?, ?, ?)") < 0 ||
	       plan_prepare(p, &r->bounce,
			    "INSERT INTO bounces (address, time, campaign) VALUES (?, ?, ?) ON CONFLICT (address) DO NOTHING") < 0
		       ? -1 : 0;
}

static void replay_release(struct replay *r)
{
	size_t i;

	sqlite3_finalize(r->get);
	sqlite3_finalize(r->set_state);
	sqlite3_finalize(r->claim);
	sqlite3_finalize(r->sent);
	sqlite3_finalize(r->note);
	sqlite3_finalize(r->bounce);
	for (i = 0; i < r->naccounts; i++) {
		free(r->accounts[i].id);
		free(r->accounts[i].red_reason);
		free(r->accounts[i].rest_reason);
	}
	free(r->accounts);
	free(r->last_error);
	free(r->last_reset);
	strmap_release(&r->daily, NULL);
	strmap_release(&r->progress, NULL);
}

/* Loads what earlier replays recorded (for a tail replay). */
static int replay_load(struct replay *r)
{
	struct plan *p = r->p;
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc;

	if (plan_prepare(p, &st,
			 "SELECT id, red_since, resumed_at, rest_until, last_attempt, red_reason, rest_reason FROM accounts") < 0)
		return -1;
	while ((rc = plan_step(p, st)) == PLAN_ROW) {
		struct account_run *ar = account_run(r, plan_column_text(st, 0));
		ar->red_since = sqlite3_column_int64(st, 1);
		ar->resumed_at = sqlite3_column_int64(st, 2);
		ar->rest_until = sqlite3_column_int64(st, 3);
		ar->last_attempt = sqlite3_column_int64(st, 4);
		if (plan_column_text(st, 5))
			ar->red_reason = xstrdup(plan_column_text(st, 5));
		if (plan_column_text(st, 6))
			ar->rest_reason = xstrdup(plan_column_text(st, 6));
	}
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;
	if (plan_prepare(p, &st, "SELECT last_error, last_reset FROM campaigns WHERE id = ?") < 0)
		return -1;
	for (i = 0; i < p->campaigns.count; i++) {
		bind_text(st, 1, p->campaigns.items[i].id);
		rc = plan_step(p, st);
		if (rc < 0)
			break;
		if (rc == PLAN_ROW) {
			r->last_error[i] = sqlite3_column_int64(st, 0);
			r->last_reset[i] = sqlite3_column_int64(st, 1);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}

/* Writes the aggregates of a replay back. */
static int replay_store(struct replay *r)
{
	struct plan *p = r->p;
	sqlite3_stmt *st = NULL;
	size_t i;
	int ret = -1;

	if (plan_prepare(p, &st,
			 "UPDATE accounts SET red_since = ?, resumed_at = ?, rest_until = ?, last_attempt = ?, red_reason = ?, rest_reason = ? WHERE id = ?") < 0)
		goto done;
	for (i = 0; i < r->naccounts; i++) {
		struct account_run *ar = &r->accounts[i];
		sqlite3_bind_int64(st, 1, ar->red_since);
		sqlite3_bind_int64(st, 2, ar->resumed_at);
		sqlite3_bind_int64(st, 3, ar->rest_until);
		sqlite3_bind_int64(st, 4, ar->last_attempt);
		bind_text(st, 5, ar->red_reason);
		bind_text(st, 6, ar->rest_reason);
		bind_text(st, 7, ar->id);
		if (step_done(p, st) < 0)
			goto done;
	}
	sqlite3_finalize(st);
	if (plan_prepare(p, &st, "UPDATE campaigns SET last_error = ?, last_reset = ? WHERE id = ?") < 0)
		goto done;
	for (i = 0; i < p->campaigns.count; i++) {
		sqlite3_bind_int64(st, 1, r->last_error[i]);
		sqlite3_bind_int64(st, 2, r->last_reset[i]);
		bind_text(st, 3, p->campaigns.items[i].id);
		if (step_done(p, st) < 0)
			goto done;
	}
	sqlite3_finalize(st);
	if (plan_prepare(p, &st,
			 "INSERT INTO daily (account, day, attempts) VALUES (?, ?, ?) ON CONFLICT (account, day) DO UPDATE SET attempts = attempts + excluded.attempts") < 0)
		goto done;
	for (i = 0; i < r->daily.cap; i++) {
		char *key = r->daily.slots[i].key, *tab;
		if (!key)
			continue;
		tab = strchr(key, '\t');
		sqlite3_bind_text(st, 1, key, (int)(tab - key), SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, strtoll(tab + 1, NULL, 10));
		sqlite3_bind_int64(st, 3, (intptr_t)r->daily.slots[i].value);
		if (step_done(p, st) < 0)
			goto done;
	}
	sqlite3_finalize(st);
	if (plan_prepare(p, &st,
			 "INSERT INTO progress (campaign, account, day, sent) VALUES (?, ?, ?, ?) ON CONFLICT (campaign, account, day) DO UPDATE SET sent = sent + excluded.sent") < 0)
		goto done;
	for (i = 0; i < r->progress.cap; i++) {
		char *key = r->progress.slots[i].key, *t1, *t2;
		if (!key)
			continue;
		t1 = strchr(key, '\t');
		t2 = strchr(t1 + 1, '\t');
		sqlite3_bind_text(st, 1, key, (int)(t1 - key), SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, t1 + 1, (int)(t2 - t1 - 1), SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, strtoll(t2 + 1, NULL, 10));
		sqlite3_bind_int64(st, 4, (intptr_t)r->progress.slots[i].value);
		if (step_done(p, st) < 0)
			goto done;
	}
	ret = 0;
done:
	sqlite3_finalize(st);
	return ret;
}

static int campaign_index(struct plan *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->campaigns.count; i++) {
		if (!strcmp(p->campaigns.items[i].id, id))
			return (int)i;
	}
	return -1;
}

/* A merged campaign's log counts for the campaign it was merged into too:
 * nobody it mailed is mailed again, and failures keep their state. */
static int replay_history(struct plan *p, struct replay *r, const struct source *src,
			  size_t from, struct diag_list *diags)
{
	const struct campaign *c = &p->campaigns.items[r->ci];
	size_t consumed = 0;
	int target, ret;

	if (c->status != CAMPAIGN_MERGED || !c->merged_into)
		return 0;
	target = campaign_index(p, c->merged_into);
	if (target < 0 || !p->campaigns.items[target].valid)
		return 0;
	r->campaign = p->campaigns.items[target].id;
	r->ci = (size_t)target;
	r->history = 1;
	ret = log_read(p->root, src->rel, from, replay_entry, r, &consumed, diags);
	r->history = 0;
	return ret;
}

/* Replays logs: all of them from the start (full), or the appended tails. */
static int replay_logs(struct plan *p, struct sources *s, int full, struct diag_list *diags)
{
	struct replay r;
	size_t i, pass;
	int ret = -1;

	memset(&r, 0, sizeof(r));
	r.p = p;
	r.diags = diags;
	r.last_error = xcalloc(p->campaigns.count + 1, sizeof(long long));
	r.last_reset = xcalloc(p->campaigns.count + 1, sizeof(long long));
	if (replay_prepare(&r) < 0 || replay_load(&r) < 0)
		goto done;
	/* sender logs first, then people's commands: commands apply by time */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < s->count; i++) {
			struct source *src = &s->items[i];
			size_t consumed = 0, from = full ? 0 : (size_t)src->consumed;
			int ci;

			if (src->kind != (pass ? SRC_COMMANDS : SRC_LOG) || !src->exists)
				continue;
			if (!full && !src->appended) {
				continue;
			}
			ci = campaign_index(p, src->campaign);
			if (ci < 0 || !p->campaigns.items[ci].valid) {
				src->consumed = 0;
				continue;
			}
			r.campaign = src->campaign;
			r.account = src->account;
			r.ci = (size_t)ci;
			if (log_read(p->root, src->rel, from, replay_entry, &r, &consumed, diags) < 0) {
				if (!r.failed)
					diag_add(diags, DIAG_ERROR, src->rel, 0, 0, "%s", error_last());
				goto done;
			}
			if (replay_history(p, &r, src, from, diags) < 0)
				goto done;
			src->consumed = (long long)consumed;
			src->appended = 1; /* its files row gets the new prefix */
		}
	}
	if (replay_store(&r) < 0)
		goto done;
	p->log_lines += r.lines;
	ret = 0;
done:
	replay_release(&r);
	return ret;
}

/*
 * The same template never reaches an address twice.  Only a (template,
 * address) pair of two deliveries or more can skip one, so settle() first
 * finds those pairs by a hash of each (few, usually), and sorts the
 * deliveries of those pairs alone.
 */
struct shared_pairs {
	uint64_t *hashes; /* sorted; each a pair of two deliveries or more */
	size_t count, cap;
};

static uint64_t pair_hash(const unsigned char *template, const unsigned char *address)
{
	uint64_t h = fnv1a(FNV1A_INIT, template, strlen((const char *)template));

	h = fnv1a(h, "\n", 1);
	return fnv1a(h, address, strlen((const char *)address));
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* SQL function shared_pair(template, address): whether the pair may be shared. */
static void shared_pair_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct shared_pairs *sp = sqlite3_user_data(ctx);
	const unsigned char *t = sqlite3_value_text(argv[0]), *a = sqlite3_value_text(argv[1]);
	uint64_t h;

	(void)argc;
	h = t && a ? pair_hash(t, a) : 0;
	sqlite3_result_int(ctx, t && a && sp->count &&
			   bsearch(&h, sp->hashes, sp->count, sizeof(h), cmp_u64) != NULL);
}

#define SHARED_TEMPLATE_DELIVERIES \
	"FROM deliveries d JOIN campaigns c ON c.id = d.campaign " \
	"WHERE c.status != 'merged' AND c.template IN " \
	"(SELECT template FROM campaigns WHERE status != 'merged' GROUP BY template HAVING COUNT(*) > 1)"

static int find_shared_pairs(struct plan *p, struct shared_pairs *out)
{
	sqlite3_stmt *st = NULL;
	size_t i, n = 0;
	int rc;

	if (plan_prepare(p, &st, "SELECT c.template, d.address " SHARED_TEMPLATE_DELIVERIES) < 0)
		return -1;
	while ((rc = plan_step(p, st)) == PLAN_ROW) {
		XGROW(out->hashes, out->cap, out->count + 1);
		out->hashes[out->count++] = pair_hash(sqlite3_column_text(st, 0),
						      sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;
	if (out->count)
		qsort(out->hashes, out->count, sizeof(*out->hashes), cmp_u64);
	for (i = 0; i < out->count; i++) {
		if ((i > 0 && out->hashes[i] == out->hashes[i - 1]) ||
		    i + 1 == out->count || out->hashes[i] != out->hashes[i + 1])
			continue; /* alone, or counted already */
		out->hashes[n++] = out->hashes[i];
	}
	out->count = n;
	return 0;
}

/* Deliveries to skip, applied in key order. */
struct skip_row {
	size_t campaign_at, recipient_at, by_at; /* offsets into text */
	const char *campaign, *recipient, *by;
};

static int cmp_skip_row(const void *x, const void *y)
{
	const struct skip_row *a = x, *b = y;
	int c = strcmp(a->campaign, b->campaign);

	return c ? c : strcmp(a->recipient, b->recipient);
}

static size_t text_add(struct buf *b, const char *s)
{
	size_t at = b->len;

	buf_add(b, s, strlen(s) + 1);
	return at;
}

/* After a replay: claims without outcome, suppressions, the same template. */
static int settle(struct plan *p)
{
	sqlite3_stmt *st = NULL, *skip = NULL;
	struct shared_pairs shared = { NULL, 0, 0 };
	struct skip_row *skips = NULL;
	struct buf text = BUF_INIT;
	size_t i, nskips = 0, skips_cap = 0;
	int ret = -1, registered = 0;
	char *prev_key = NULL;

	if (plan_exec(p, "UPDATE deliveries SET state = 'unconfirmed' WHERE state = 'claimed';"
			 "CREATE TEMP TABLE IF NOT EXISTS suppressed (address TEXT PRIMARY KEY) WITHOUT ROWID;"
			 "DELETE FROM temp.suppressed;"
			 "INSERT OR IGNORE INTO temp.suppressed SELECT address FROM bounces;") < 0)
		goto done;
	if (plan_prepare(p, &st, "INSERT OR IGNORE INTO temp.suppressed (address) VALUES (?)") < 0)
		goto done;
	for (i = 0; i < p->suppressions.by_address.cap; i++) {
		if (!p->suppressions.by_address.slots[i].key)
			continue;
		bind_text(st, 1, p->suppressions.by_address.slots[i].key);
		if (step_done(p, st) < 0)
			goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (plan_exec(p, "UPDATE deliveries SET state = 'suppressed' WHERE state IN ('pending', 'retrying') "
			 "AND address IN (SELECT address FROM temp.suppressed);") < 0)
		goto done;
	/* The same template never reaches an address twice: per template and
	 * address, the delivery with history, else the earliest campaign, keeps
	 * it; the others still to send are skipped. */
	if (find_shared_pairs(p, &shared) < 0)
		goto done;
	if (!shared.count) {
		ret = 0;
		goto done;
	}
	if (sqlite3_create_function(p->db, "shared_pair", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
				    &shared, shared_pair_fn, NULL, NULL) != SQLITE_OK) {
		plan_sql_error(p, "function");
		goto done;
	}
	registered = 1;
	if (plan_prepare(p, &st,
			 "SELECT c.template, d.address, d.campaign, d.recipient, d.state "
			 SHARED_TEMPLATE_DELIVERIES " AND shared_pair(c.template, d.address) "
			 "ORDER BY c.template, d.address, "
			 "CASE WHEN d.state IN ('sent', 'claimed', 'unconfirmed', 'failed') THEN 0 "
			 "WHEN d.state = 'suppressed' THEN 2 ELSE 1 END, c.start, c.id") < 0 ||
	    plan_prepare(p, &skip,
			 "UPDATE deliveries SET state = 'skipped', skipped_by = ? WHERE campaign = ? AND recipient = ?") < 0)
		goto done;
	{
		size_t owner = 0;
		int rc;

		while ((rc = plan_step(p, st)) == PLAN_ROW) {
			char *key = xasprintf("%s\n%s", plan_column_text(st, 0), plan_column_text(st, 1));
			const char *state = plan_column_text(st, 4);

			if (!prev_key || strcmp(prev_key, key)) {
				free(prev_key);
				prev_key = key;
				owner = text_add(&text, plan_column_text(st, 2));
				continue;
			}
			free(key);
			if (strcmp(state, "pending") && strcmp(state, "retrying"))
				continue;
			XGROW(skips, skips_cap, nskips + 1);
			skips[nskips].by_at = owner;
			skips[nskips].campaign_at = text_add(&text, plan_column_text(st, 2));
			skips[nskips].recipient_at = text_add(&text, plan_column_text(st, 3));
			nskips++;
		}
		if (rc < 0)
			goto done;
	}
	for (i = 0; i < nskips; i++) {
		skips[i].campaign = text.ptr + skips[i].campaign_at;
		skips[i].recipient = text.ptr + skips[i].recipient_at;
		skips[i].by = text.ptr + skips[i].by_at;
	}
	if (nskips)
		qsort(skips, nskips, sizeof(*skips), cmp_skip_row);
	for (i = 0; i < nskips; i++) {
		bind_static(skip, 1, skips[i].by);
		bind_static(skip, 2, skips[i].campaign);
		bind_static(skip, 3, skips[i].recipient);
		if (step_done(p, skip) < 0)
			goto done;
	}
	ret = 0;
done:
	free(prev_key);
	sqlite3_finalize(st);
	sqlite3_finalize(skip);
	if (registered)
		sqlite3_create_function(p->db, "shared_pair", 2, SQLITE_UTF8, NULL, NULL, NULL, NULL);
	free(shared.hashes);
	free(skips);
	buf_release(&text);
	return ret;
}

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

	if (plan_exec(p, "DELETE FROM accounts; DELETE FROM campaigns; DELETE FROM deliveries;"
			 "DELETE FROM daily; DELETE FROM progress; DELETE FROM notifications;"
			 "DELETE FROM bounces;") < 0)
		return -1;
	if (plan_prepare(p, &st,
			 "INSERT INTO accounts (id, owner, main, daily_limit, enabled) VALUES (?, ?, ?, ?, ?)") < 0)
		goto done;
	for (i = 0; i < p->cfg.naccounts; i++) {
		const struct account *a = &p->cfg.accounts[i];
		bind_text(st, 1, a->id);
		bind_text(st, 2, a->owner);
		sqlite3_bind_int(st, 3, a->main);
		sqlite3_bind_int64(st, 4, a->daily_limit);
		sqlite3_bind_int(st, 5, a->enabled);
		if (step_done(p, st) < 0)
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
		bind_text(st, 1, c->id);
		bind_text(st, 2, c->name);
		bind_text(st, 3, c->template);
		bind_text(st, 4, recipient_type_name((enum recipient_type)c->type));
		bind_text(st, 5, c->owner);
		bind_text(st, 6, owner ? owner->department : NULL);
		bind_text(st, 7, campaign_status_name(c->status));
		bind_text(st, 8, c->segment);
		bind_text(st, 9, ft);
		sqlite3_bind_int(st, 10, c->vip_only);
		sqlite3_bind_int64(st, 11, (sqlite3_int64)c->start);
		sqlite3_bind_int64(st, 12, (sqlite3_int64)c->end);
		bind_text(st, 13, c->start_text);
		bind_text(st, 14, c->end_text);
		bind_text(st, 15, c->merged_into);
		free(ft);
		if (step_done(p, st) < 0)
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
				bind_text(del, 1, src->rel);
				if (step_done(p, del) < 0)
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
		bind_text(put, 1, src->rel);
		sqlite3_bind_int64(put, 2, src->size);
		sqlite3_bind_int64(put, 3, src->mtime);
		bind_text(put, 4, src->blob);
		sqlite3_bind_int64(put, 5, src->consumed);
		if (step_done(p, put) < 0)
			goto done;
	}
	/* known files no longer listed (a campaign removed, ...) */
	for (i = 0; i < known->cap; i++) {
		if (!known->slots[i].key || !known->slots[i].value)
			continue;
		bind_text(del, 1, known->slots[i].key);
		if (step_done(p, del) < 0)
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
	bind_text(st, 1, key);
	bind_text(st, 2, value);
	ret = step_done(p, st);
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
	bind_text(st, 1, key);
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

/* Refreshes the plan; fresh: the database is new (a full build). */
static int refresh(struct plan *p, int fresh, struct diag_list *diags)
{
	struct sources s = { NULL, 0, 0 };
	struct strmap known = STRMAP_INIT;
	struct deriver scan_derive;
	long long racy_since = 0;
	size_t i, errors = diags->errors;
	int content_changed = 0, logs_changed = 0, ret = -1, derived;
	char stamp[32];
	struct timespec now;

	memset(&scan_derive, 0, sizeof(scan_derive));
	clock_gettime(CLOCK_REALTIME, &now);
	if (get_meta_int(p, "refreshed_ns", &racy_since) < 0)
		goto done;
	if (list_sources(p, &s, diags) < 0)
		goto done;
	if (load_known(p, &s, &known) < 0 || examine_sources(p, &s, racy_since, diags) < 0)
		goto done;
	for (i = 0; i < s.count; i++) {
		struct source *src = &s.items[i];
		if (src->kind == SRC_LOG || src->kind == SRC_COMMANDS) {
			content_changed |= src->rewritten;
			logs_changed |= src->appended;
		} else if (src->changed) {
			content_changed = 1;
		}
	}
	/* files of campaigns that no longer exist */
	for (i = 0; i < known.cap; i++) {
		size_t j;
		int listed = 0;
		if (!known.slots[i].key)
			continue;
		for (j = 0; j < s.count && !listed; j++)
			listed = !strcmp(s.items[j].rel, known.slots[i].key);
		content_changed |= !listed;
	}
	/* a new plan derives the deliveries as the records are read, instead
	 * of reading them all back */
	if (fresh && (write_config_tables(p) < 0 || deriver_init(&scan_derive, p) < 0))
		goto done;
	if (refresh_recipients(p, &s, &known, fresh ? &scan_derive : NULL, diags,
			       &content_changed) < 0 || diags->errors > errors)
		goto done;
	if (content_changed) {
		int scanned = fresh && !scan_derive.abandoned;

		p->rederived = 1;
		derived = scanned ? batch_write(p, &scan_derive.batch, scan_derive.ins) : 0;
		deriver_release(&scan_derive); /* its memory goes before the replay's */
		if (!scanned && !derived)
			derived = write_config_tables(p) < 0 ? -1 : derive_deliveries(p);
		if (derived < 0 || replay_logs(p, &s, 1, diags) < 0 || settle(p) < 0)
			goto done;
	} else if (logs_changed) {
		if (replay_logs(p, &s, 0, diags) < 0 || settle(p) < 0)
			goto done;
	}
	if (diags->errors > errors)
		goto done;
	if (write_files_table(p, &s, &known) < 0)
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
	deriver_release(&scan_derive);
	sources_release(&s);
	strmap_release(&known, NULL);
	return ret;
}

static int open_db(struct plan *p, const char *path, int create)
{
	if (sqlite3_open_v2(path, &p->db,
			    SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0), NULL) != SQLITE_OK) {
		error_set("cannot open the plan '%s': %s", path,
			  p->db ? sqlite3_errmsg(p->db) : "out of memory");
		sqlite3_close(p->db);
		p->db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(p->db, 30000);
	return plan_exec(p, "PRAGMA foreign_keys = OFF; PRAGMA cache_size = -65536;");
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
	    plan_exec(p, plan_schema_sql) < 0 || plan_exec(p, "BEGIN") < 0)
		goto done;
	if (refresh(p, 1, diags) < 0)
		goto done;
	if (plan_exec(p, "COMMIT") < 0)
		goto done;
	sqlite3_close(p->db);
	p->db = NULL;
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
		sqlite3_close(p->db);
		p->db = NULL;
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

int plan_open(struct plan **out, const char *root, const char *build_dir, unsigned flags,
	      struct diag_list *diags)
{
	struct plan *p = xcalloc(1, sizeof(*p));
	struct stat st;
	long long built_at = 0;
	int r, ret = -1;

	*out = NULL;
	p->root = xstrdup(root);
	p->dir = build_dir ? xstrdup(build_dir) : xasprintf("%s/build", root);
	p->path = xasprintf("%s/plan.db", p->dir);
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
		sqlite3_close(p->db);
		p->db = NULL;
		error_clear();
	}
	ret = full_build(p, diags);
done:
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
	bind_text(st, 1, rel);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)sb.st_size);
	sqlite3_bind_int64(st, 3, (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec);
	bind_text(st, 4, fp);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)offset);
	ret = step_done(p, st);
done:
	sqlite3_finalize(st);
	return ret;
}

int plan_refresh(struct plan *p, struct diag_list *diags)
{
	p->files_read = p->files_parsed = p->log_lines = 0;
	p->rederived = 0;
	/* the files may have changed under us (a fetch): read the content again */
	config_release(&p->cfg);
	segments_release(&p->segments);
	suppressions_release(&p->suppressions);
	campaigns_release(&p->campaigns);
	if (load_content(p, diags) < 0)
		return -1;
	return incremental(p, diags);
}

struct plan_applier {
	struct replay r;
};

int plan_applier_open(struct plan_applier **out, struct plan *p, struct diag_list *diags)
{
	struct plan_applier *a = xcalloc(1, sizeof(*a));

	*out = NULL;
	a->r.p = p;
	a->r.diags = diags;
	a->r.last_error = xcalloc(p->campaigns.count + 1, sizeof(long long));
	a->r.last_reset = xcalloc(p->campaigns.count + 1, sizeof(long long));
	if (replay_prepare(&a->r) < 0 || replay_load(&a->r) < 0) {
		plan_applier_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

int plan_applier_apply(struct plan_applier *a, const char *campaign, const char *account,
		       const struct log_entry *e)
{
	int ci = campaign_index(a->r.p, campaign);

	if (ci < 0)
		return error_set("unknown campaign '%s'", campaign);
	a->r.campaign = campaign;
	a->r.account = account;
	a->r.ci = (size_t)ci;
	return replay_entry(e, &a->r) ? -1 : 0;
}

int plan_applier_flush(struct plan_applier *a)
{
	int ret = replay_store(&a->r);

	/* the counts were added to the tables: start again from zero */
	strmap_release(&a->r.daily, NULL);
	strmap_release(&a->r.progress, NULL);
	if (ret == 0)
		ret = settle(a->r.p);
	return ret;
}

void plan_applier_free(struct plan_applier *a)
{
	if (!a)
		return;
	replay_release(&a->r);
	free(a);
}
