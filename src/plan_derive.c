/*
 * Deriving the deliveries: recipient records into the plan, selection and
 * account assignment per campaign, and settling them after a replay
 * (claims without outcome, suppressions, the same template).
 */
#include "plan_private.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addrhash.h"
#include "buf.h"
#include "util.h"
#include "xalloc.h"

/* ---- recipients ---- */

/* Deliveries derived as the records are read (a new plan); see below. */
struct deriver;
static int deriver_scanned(struct deriver *d, const struct recipient *r, long long file,
			   long long ord, const struct buf *fields);

struct record_insert {
	struct plan *p;
	sqlite3_stmt *insert, *find;
	long long file_id, unit;
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
	if (r->fields)
		buf_add(&ri->fields, r->fields, r->fields_len); /* encoded by the reader */
	else
		recipient_encode_fields(&ri->fields, r->node);
	sqlite3_bind_int(ri->insert, 1, (int)r->type);
	plan_bind_static(ri->insert, 2, r->id);
	sqlite3_bind_int64(ri->insert, 3, ri->file_id);
	sqlite3_bind_int(ri->insert, 4, r->line);
	plan_bind_static(ri->insert, 5, r->email);
	plan_bind_static(ri->insert, 6, r->address);
	plan_bind_static(ri->insert, 7, r->owner);
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
		plan_bind_text(ri->find, 2, r->id);
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
	} else if (ri->derive &&
		   deriver_scanned(ri->derive, r, ri->file_id, plan_ord(ri->unit, r->line), &ri->fields) < 0) {
		ri->failed = -1;
	}
}

/* The statements of a recipients refresh. */
struct recipients_refresh {
	struct plan *p;
	sqlite3_stmt *get_file, *add_file, *drop, *drop_file;
	struct record_insert ri;
};

static int recipients_refresh_prepare(struct recipients_refresh *rr)
{
	struct plan *p = rr->p;

	return plan_prepare(p, &rr->get_file, "SELECT id, unit FROM recipient_files WHERE path = ?") < 0 ||
	       plan_prepare(p, &rr->add_file, "INSERT INTO recipient_files (path, type, unit) VALUES (?, ?, ?)") < 0 ||
	       plan_prepare(p, &rr->drop, "DELETE FROM recipients WHERE file = ?") < 0 ||
	       plan_prepare(p, &rr->drop_file, "DELETE FROM recipient_files WHERE path = ?") < 0 ||
	       plan_prepare(p, &rr->ri.insert,
			    "INSERT INTO recipients (type, id, file, line, email, address, owner, vip, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)") < 0 ||
	       plan_prepare(p, &rr->ri.find,
			    "SELECT f.path, r.line FROM recipients r JOIN recipient_files f ON f.id = r.file WHERE r.type = ? AND r.id = ?") < 0
		       ? -1 : 0;
}

static void recipients_refresh_release(struct recipients_refresh *rr)
{
	sqlite3_finalize(rr->get_file);
	sqlite3_finalize(rr->add_file);
	sqlite3_finalize(rr->drop);
	sqlite3_finalize(rr->drop_file);
	sqlite3_finalize(rr->ri.insert);
	sqlite3_finalize(rr->ri.find);
	buf_release(&rr->ri.fields);
}

/* Deletes the records of the recipient file path, when the plan has it. */
static int file_records_drop(struct recipients_refresh *rr, const char *path)
{
	int rc;

	plan_bind_text(rr->get_file, 1, path);
	rc = plan_step(rr->p, rr->get_file);
	if (rc < 0)
		return -1;
	if (rc == PLAN_ROW) {
		sqlite3_bind_int64(rr->drop, 1, sqlite3_column_int64(rr->get_file, 0));
		if (plan_step_done(rr->p, rr->drop) < 0)
			return -1;
	}
	sqlite3_reset(rr->get_file);
	return 0;
}

/* Drops the records and the row of recipient files gone from the tree. */
static int drop_gone_files(struct recipients_refresh *rr, const struct sources *s,
			   const struct strmap *known, int *changed_out)
{
	size_t i;

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
		if (file_records_drop(rr, path) < 0)
			return -1;
		plan_bind_text(rr->drop_file, 1, path);
		if (plan_step_done(rr->p, rr->drop_file) < 0)
			return -1;
		*changed_out = 1;
	}
	return 0;
}

/* Reads one changed recipient file into the table. */
static int parse_changed_file(struct recipients_refresh *rr, const struct source *src,
			      struct diag_list *diags)
{
	struct plan *p = rr->p;
	int rc;

	plan_bind_text(rr->get_file, 1, src->rel);
	rc = plan_step(p, rr->get_file);
	if (rc < 0)
		return -1;
	if (rc == PLAN_ROW) {
		rr->ri.file_id = sqlite3_column_int64(rr->get_file, 0);
		rr->ri.unit = sqlite3_column_int64(rr->get_file, 1);
		sqlite3_reset(rr->get_file);
	} else {
		sqlite3_reset(rr->get_file);
		if (plan_file_unit(p, src->rel, src->type, &rr->ri.unit) < 0)
			return -1;
		plan_bind_text(rr->add_file, 1, src->rel);
		sqlite3_bind_int(rr->add_file, 2, src->type);
		sqlite3_bind_int64(rr->add_file, 3, rr->ri.unit);
		if (plan_step_done(p, rr->add_file) < 0)
			return -1;
		rr->ri.file_id = sqlite3_last_insert_rowid(p->db);
	}
	p->files_parsed++;
	recipient_reader_scan(p->reader, src->parse_job, NULL, insert_record, &rr->ri, diags);
	return rr->ri.failed ? -1 : 0;
}

/* Replaces the records of the changed recipient files; derive, when set,
 * gets each record inserted. */
int plan_recipients_refresh(struct plan *p, struct sources *s, struct strmap *known,
			    struct deriver *derive, struct diag_list *diags, int *changed_out)
{
	struct recipients_refresh rr;
	size_t i;
	int ret = -1;

	memset(&rr, 0, sizeof(rr));
	rr.p = p;
	rr.ri.p = p;
	rr.ri.diags = diags;
	rr.ri.derive = derive;
	if (recipients_refresh_prepare(&rr) < 0 || drop_gone_files(&rr, s, known, changed_out) < 0)
		goto done;
	/* Removing every changed file's records first lets records move
	 * between files without a false duplicate. */
	for (i = 0; i < s->count; i++) {
		struct source *src = &s->items[i];

		if (src->kind != SRC_RECIPIENTS || !src->changed)
			continue;
		*changed_out = 1;
		if (file_records_drop(&rr, src->rel) < 0)
			goto done;
	}
	for (i = 0; i < s->count; i++) {
		struct source *src = &s->items[i];

		if (src->kind == SRC_RECIPIENTS && src->changed &&
		    parse_changed_file(&rr, src, diags) < 0)
			goto done;
	}
	ret = 0;
done:
	recipients_refresh_release(&rr);
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
void plan_owner_candidates(const struct config *cfg, const char *owner, int main,
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

const struct account *plan_assign_account(const struct candidates *c, const char *recipient)
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

void plan_select_init(struct campaign_select *cs, const struct config *cfg,
		      const struct campaign *c)
{
	cs->campaign = c;
	cs->needs_fields = campaign_needs_fields(c);
	plan_owner_candidates(cfg, c->owner, 1, &cs->vip);
	plan_owner_candidates(cfg, c->owner, 0, &cs->other);
}

void plan_select_release(struct campaign_select *cs)
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
	size_t id_at, address_at, hash_at; /* offsets into the batch's text */
	const char *id, *address, *hash; /* set when the batch is written */
};

struct delivery_batch {
	struct delivery_row *rows;
	size_t count, cap;
	struct buf text;
};

static void batch_add(struct delivery_batch *b, size_t campaign, const struct recipient *r,
		      const char *hash, const struct account *a, long long ord)
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
	row->hash_at = b->text.len;
	buf_add(&b->text, hash, ADDR_HASH_LEN + 1);
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
		b->rows[i].hash = b->text.ptr + b->rows[i].hash_at;
	}
	if (b->count)
		qsort(b->rows, b->count, sizeof(*b->rows), cmp_delivery_row);
	for (i = 0; i < b->count; i++) {
		const struct delivery_row *row = &b->rows[i];

		plan_bind_static(ins, 1, p->campaigns.items[row->campaign].id);
		plan_bind_static(ins, 2, row->id);
		sqlite3_bind_int64(ins, 3, row->ord);
		plan_bind_static(ins, 4, row->address);
		sqlite3_bind_int(ins, 5, row->vip);
		plan_bind_static(ins, 6, row->account);
		plan_bind_static(ins, 7, row->hash);
		if (plan_step_done(p, ins) < 0)
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
	/* records handed over as read: the place of the previous one */
	long long last_file;
	int last_line;
	int abandoned; /* two records on one line: the table orders them */
	/* pending deliveries per campaign and account (index + 1, 0 for
	 * none), for the counts table: the triggers are off while deriving */
	long *counts;
	size_t counts_width;
};

static int deriver_init(struct deriver *d, struct plan *p)
{
	memset(d, 0, sizeof(*d));
	d->p = p;
	d->type = -1;
	buf_init(&d->batch.text, 0);
	d->sel = xcalloc(p->campaigns.count + 1, sizeof(*d->sel));
	d->counts_width = p->cfg.naccounts + 1;
	d->counts = xcalloc((p->campaigns.count + 1) * d->counts_width, sizeof(*d->counts));
	return plan_prepare(p, &d->ins,
			    "INSERT INTO deliveries (campaign, recipient, ord, address, vip, account, address_hash, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')");
}

static void deriver_release(struct deriver *d)
{
	size_t i;

	if (!d->p)
		return;
	for (i = 0; i < d->nsel; i++)
		plan_select_release(&d->sel[i]);
	free(d->sel);
	taken_release(&d->taken);
	free(d->batch.rows);
	buf_release(&d->batch.text);
	recipient_fields_release(&d->fields);
	sqlite3_finalize(d->ins);
	free(d->counts);
	memset(d, 0, sizeof(*d));
}

/* Switches to the campaigns of type t; returns how many there are. */
static size_t deriver_type(struct deriver *d, int t)
{
	size_t i;

	if (t == d->type)
		return d->nsel;
	for (i = 0; i < d->nsel; i++)
		plan_select_release(&d->sel[i]);
	taken_release(&d->taken);
	d->nsel = 0;
	d->type = t;
	for (i = 0; i < d->p->campaigns.count; i++) {
		const struct campaign *c = &d->p->campaigns.items[i];
		struct campaign_select *cs = &d->sel[d->nsel];

		if (!c->valid || c->type != t)
			continue;
		plan_select_init(cs, &d->p->cfg, c);
		d->nsel++;
	}
	return d->nsel;
}

/* The deliveries of one record of the current type; blob holds its fields
 * as the plan stores them (decoded when a campaign filters on them). */
static int deriver_record(struct deriver *d, struct recipient *r, long long ord, const void *blob,
			  size_t len)
{
	struct strmap_entry *seen = NULL;
	char hash[ADDR_HASH_LEN + 1];
	int decoded = 0;
	size_t i, ci;

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
		if (!seen) {
			seen = strmap_put(&d->taken.addresses, r->address, NULL);
			addr_hash(r->address, hash); /* once per record, only when selected */
		}
		if (taken_check(&d->taken, seen, i))
			continue; /* the same address twice: mailed once */
		a = plan_assign_account(r->vip && cs->vip.count ? &cs->vip : &cs->other, r->id);
		ci = (size_t)(cs->campaign - d->p->campaigns.items);
		d->counts[ci * d->counts_width + (a ? (size_t)(a - d->p->cfg.accounts) + 1 : 0)]++;
		batch_add(&d->batch, ci, r, hash, a, ord);
	}
	if (d->batch.count >= DELIVERY_BATCH)
		return batch_write(d->p, &d->batch, d->ins);
	return 0;
}

static int deriver_scanned(struct deriver *d, const struct recipient *r, long long file,
			   long long ord, const struct buf *fields)
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
	return deriver_record(d, &copy, ord, fields->ptr, fields->len);
}

/* Writes the counts of what was derived (the table holds none yet). */
static int deriver_counts_write(struct deriver *d)
{
	sqlite3_stmt *st = NULL;
	size_t c, a;
	int ret = 0;

	for (c = 0; c < d->p->campaigns.count && ret == 0; c++) {
		for (a = 0; a < d->counts_width && ret == 0; a++) {
			long n = d->counts[c * d->counts_width + a];

			if (n)
				ret = plan_counts_add(d->p, &st, d->p->campaigns.items[c].id,
						      a ? d->p->cfg.accounts[a - 1].id : NULL,
						      "pending", n);
		}
	}
	sqlite3_finalize(st);
	return ret;
}

int plan_deriver_open(struct deriver **out, struct plan *p)
{
	struct deriver *d = xcalloc(1, sizeof(*d));

	*out = NULL;
	if (deriver_init(d, p) < 0) {
		plan_deriver_free(d);
		return -1;
	}
	*out = d;
	return 0;
}

int plan_deriver_flush(struct deriver *d)
{
	if (!d || d->abandoned)
		return 0;
	return batch_write(d->p, &d->batch, d->ins) < 0 || deriver_counts_write(d) < 0 ? -1 : 1;
}

void plan_deriver_free(struct deriver *d)
{
	if (!d)
		return;
	deriver_release(d);
	free(d);
}

int plan_deliveries_derive(struct plan *p)
{
	struct deriver d;
	sqlite3_stmt *files = NULL, *recs = NULL;
	int t, rc, rf, ret = -1;

	if (deriver_init(&d, p) < 0 ||
	    plan_prepare(p, &files, "SELECT id, unit FROM recipient_files WHERE type = ? ORDER BY path") < 0 ||
	    plan_prepare(p, &recs,
			 "SELECT id, email, address, owner, vip, fields, line FROM recipients WHERE file = ? ORDER BY line, id") < 0)
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
				if (deriver_record(&d, &r, plan_ord(sqlite3_column_int64(files, 1), r.line),
						   sqlite3_column_blob(recs, 5),
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
	if (batch_write(p, &d.batch, d.ins) < 0 || deriver_counts_write(&d) < 0)
		goto done;
	ret = 0;
done:
	deriver_release(&d);
	sqlite3_finalize(files);
	sqlite3_finalize(recs);
	return ret;
}


/* ---- settling ---- */


/*
 * The same template never reaches an address twice.  Only a (template,
 * address) pair of two deliveries or more can skip one, so plan_settle() first
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

struct skips {
	struct skip_row *rows;
	size_t count, cap;
	struct buf text;
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

/* Claims without outcome become unconfirmed; deliveries still to send to
 * a bounced or listed address are suppressed. */
static int settle_suppressions(struct plan *p)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int ret = -1;

	if (plan_exec(p, "UPDATE deliveries SET state = 'unconfirmed' WHERE state = 'claimed';"
			 "CREATE TEMP TABLE IF NOT EXISTS suppressed_hashes (hash TEXT PRIMARY KEY) WITHOUT ROWID;"
			 "DELETE FROM temp.suppressed_hashes;"
			 "INSERT OR IGNORE INTO temp.suppressed_hashes SELECT hash FROM bounces;") < 0)
		goto done;
	if (plan_prepare(p, &st, "INSERT OR IGNORE INTO temp.suppressed_hashes (hash) VALUES (?)") < 0)
		goto done;
	for (i = 0; i < p->suppressions.by_hash.cap; i++) {
		if (!p->suppressions.by_hash.slots[i].key)
			continue;
		plan_bind_text(st, 1, p->suppressions.by_hash.slots[i].key);
		if (plan_step_done(p, st) < 0)
			goto done;
	}
	if (plan_exec(p, "UPDATE deliveries SET state = 'suppressed' WHERE state IN ('pending', 'retrying') "
			 "AND address_hash IN (SELECT hash FROM temp.suppressed_hashes);") < 0)
		goto done;
	ret = 0;
done:
	sqlite3_finalize(st);
	return ret;
}

/* Collects the deliveries of shared pairs (st, ordered by pair, the one
 * that keeps the pair first) still to send after their pair's first. */
static int skips_collect(struct plan *p, sqlite3_stmt *st, struct skips *out)
{
	char *prev_key = NULL;
	size_t owner = 0;
	int rc;

	while ((rc = plan_step(p, st)) == PLAN_ROW) {
		char *key = xasprintf("%s\n%s", plan_column_text(st, 0), plan_column_text(st, 1));
		const char *state = plan_column_text(st, 4);

		if (!prev_key || strcmp(prev_key, key)) {
			free(prev_key);
			prev_key = key;
			owner = text_add(&out->text, plan_column_text(st, 2));
			continue;
		}
		free(key);
		if (strcmp(state, "pending") && strcmp(state, "retrying"))
			continue;
		XGROW(out->rows, out->cap, out->count + 1);
		out->rows[out->count].by_at = owner;
		out->rows[out->count].campaign_at = text_add(&out->text, plan_column_text(st, 2));
		out->rows[out->count].recipient_at = text_add(&out->text, plan_column_text(st, 3));
		out->count++;
	}
	free(prev_key);
	return rc < 0 ? -1 : 0;
}

static int skips_apply(struct plan *p, sqlite3_stmt *skip, struct skips *s)
{
	size_t i;

	for (i = 0; i < s->count; i++) {
		s->rows[i].campaign = s->text.ptr + s->rows[i].campaign_at;
		s->rows[i].recipient = s->text.ptr + s->rows[i].recipient_at;
		s->rows[i].by = s->text.ptr + s->rows[i].by_at;
	}
	if (s->count)
		qsort(s->rows, s->count, sizeof(*s->rows), cmp_skip_row);
	for (i = 0; i < s->count; i++) {
		plan_bind_static(skip, 1, s->rows[i].by);
		plan_bind_static(skip, 2, s->rows[i].campaign);
		plan_bind_static(skip, 3, s->rows[i].recipient);
		if (plan_step_done(p, skip) < 0)
			return -1;
	}
	return 0;
}

/* The same template never reaches an address twice: per template and
 * address, the delivery with history, else the earliest campaign, keeps
 * it; the others still to send are skipped. */
static int settle_shared_templates(struct plan *p)
{
	sqlite3_stmt *st = NULL, *skip = NULL;
	struct shared_pairs shared = { NULL, 0, 0 };
	struct skips skips = { NULL, 0, 0, BUF_INIT };
	int ret = -1, registered = 0;

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
	if (skips_collect(p, st, &skips) < 0 || skips_apply(p, skip, &skips) < 0)
		goto done;
	ret = 0;
done:
	sqlite3_finalize(st);
	sqlite3_finalize(skip);
	if (registered)
		sqlite3_create_function(p->db, "shared_pair", 2, SQLITE_UTF8, NULL, NULL, NULL, NULL);
	free(shared.hashes);
	free(skips.rows);
	buf_release(&skips.text);
	return ret;
}

int plan_settle(struct plan *p)
{
	if (settle_suppressions(p) < 0)
		return -1;
	return settle_shared_templates(p);
}
