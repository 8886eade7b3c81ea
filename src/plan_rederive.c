/*
 * Deriving again only what changed recipient files can affect.  A
 * delivery depends on its record and on the other records of the same
 * address: within a campaign the first record of an address is the one
 * mailed, and across campaigns of one template the address is mailed once.
 * So when records change, the addresses they had or have now are derived
 * again, for the campaigns of their types and owners (no other campaign
 * can select them), and the same-template rule is settled again for those
 * addresses.  A delivery that appears, or whose address changes, gets its
 * history from a replay of its own log lines; one that stays keeps its
 * history and gets its new place, flag and (when never claimed) account.
 * The result equals a full derivation; where it could not (see
 * plan_replay_keys()) the refresh derives everything instead.
 */
#include "plan_private.h"

#include <stdlib.h>
#include <string.h>

#include "addrhash.h"
#include "buf.h"
#include "util.h"
#include "xalloc.h"

/* ---- file units ---- */

#define UNIT_STEP 65536LL
#define UNIT_MAX 2147483647LL

int plan_file_unit(struct plan *p, const char *path, int type, long long *out)
{
	sqlite3_stmt *st = NULL;
	long long lo = 0, hi = UNIT_MAX;
	int rc;

	if (plan_prepare(p, &st,
			 "SELECT (SELECT MAX(unit) FROM recipient_files WHERE type = ?1 AND path < ?2), "
			 "(SELECT MIN(unit) FROM recipient_files WHERE type = ?1 AND path > ?2)") < 0)
		return -1;
	sqlite3_bind_int(st, 1, type);
	plan_bind_text(st, 2, path);
	rc = plan_step(p, st);
	if (rc == PLAN_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			lo = sqlite3_column_int64(st, 0);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			hi = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;
	if (hi == UNIT_MAX && lo + UNIT_STEP < UNIT_MAX)
		*out = lo + UNIT_STEP; /* the last one: the files of a new plan */
	else if (hi - lo >= 2)
		*out = lo + (hi - lo) / 2;
	else {
		*out = lo;
		p->units_exhausted = 1;
	}
	return 0;
}

int plan_units_renumber(struct plan *p)
{
	sqlite3_stmt *files = NULL, *set = NULL;
	long long count = 0, step, i = 0;
	int rc, type = -1, ret = -1;

	if (plan_prepare(p, &files, "SELECT COUNT(*) FROM recipient_files") < 0)
		return -1;
	if (plan_step(p, files) == PLAN_ROW)
		count = sqlite3_column_int64(files, 0);
	sqlite3_finalize(files);
	step = count + 1 < UNIT_MAX / UNIT_STEP ? UNIT_STEP : UNIT_MAX / (count + 1);
	if (plan_prepare(p, &files, "SELECT id, type FROM recipient_files ORDER BY type, path") < 0 ||
	    plan_prepare(p, &set, "UPDATE recipient_files SET unit = ? WHERE id = ?") < 0)
		goto done;
	while ((rc = plan_step(p, files)) == PLAN_ROW) {
		if (sqlite3_column_int(files, 1) != type) {
			type = sqlite3_column_int(files, 1);
			i = 0;
		}
		sqlite3_bind_int64(set, 1, ++i * step);
		sqlite3_bind_int64(set, 2, sqlite3_column_int64(files, 0));
		if (plan_step_done(p, set) < 0)
			goto done;
	}
	if (rc < 0)
		goto done;
	p->units_exhausted = 0;
	ret = 0;
done:
	sqlite3_finalize(files);
	sqlite3_finalize(set);
	return ret;
}

/* ---- the records before and after ---- */

struct rederive {
	struct plan *p;
};

/* The records of the changed recipient files, as a temp table name. */
#define RECORDS_OF_CHANGED_FILES \
	"SELECT r.type, r.id, r.address, r.owner, r.vip, r.fields, r.line, f.unit " \
	"FROM temp.rederive_files t CROSS JOIN recipient_files f CROSS JOIN recipients r " \
	"WHERE f.path = t.path AND r.file = f.id"

int plan_rederive_begin(struct rederive **out, struct plan *p, const struct sources *s,
			const struct strmap *known)
{
	sqlite3_stmt *st = NULL;
	struct strmap listed = STRMAP_INIT;
	size_t i, changed = 0;
	int ret = -1;

	*out = NULL;
	for (i = 0; i < s->count; i++) {
		if (s->items[i].kind != SRC_RECIPIENTS)
			continue;
		strmap_put(&listed, s->items[i].rel, NULL);
		changed += s->items[i].changed;
	}
	/* when most files changed, deriving everything is cheaper */
	if (changed * 2 > listed.count) {
		strmap_release(&listed, NULL);
		return 0;
	}
	if (plan_exec(p, "CREATE TEMP TABLE IF NOT EXISTS rederive_files (path TEXT PRIMARY KEY) WITHOUT ROWID;"
			 "DROP TABLE IF EXISTS temp.rederive_old; DROP TABLE IF EXISTS temp.rederive_new;"
			 "DELETE FROM temp.rederive_files;") < 0 ||
	    plan_prepare(p, &st, "INSERT OR IGNORE INTO temp.rederive_files (path) VALUES (?)") < 0)
		goto done;
	for (i = 0; i < s->count; i++) {
		if (s->items[i].kind != SRC_RECIPIENTS || !s->items[i].changed)
			continue;
		plan_bind_text(st, 1, s->items[i].rel);
		if (plan_step_done(p, st) < 0)
			goto done;
	}
	/* files gone from the tree are in known only */
	for (i = 0; i < known->cap; i++) {
		const char *path = known->slots[i].key;

		if (!path || strncmp(path, "recipients/", 11) || !str_has_suffix(path, ".yaml") ||
		    strmap_get(&listed, path))
			continue;
		plan_bind_text(st, 1, path);
		if (plan_step_done(p, st) < 0)
			goto done;
	}
	if (plan_exec(p, "CREATE TEMP TABLE rederive_old AS " RECORDS_OF_CHANGED_FILES) < 0)
		goto done;
	*out = xcalloc(1, sizeof(**out));
	(*out)->p = p;
	ret = 0;
done:
	sqlite3_finalize(st);
	strmap_release(&listed, NULL);
	return ret;
}

void plan_rederive_free(struct rederive *rd)
{
	free(rd);
}

/*
 * The addresses of records that changed (any column, the place included):
 * those of the records before and after, into temp.rederive_addr.
 * Returns their number, or -1.
 */
static long changed_addresses(struct plan *p)
{
	sqlite3_stmt *st = NULL;
	long n = -1;

	if (plan_exec(p, "CREATE TEMP TABLE rederive_new AS " RECORDS_OF_CHANGED_FILES ";"
			 "CREATE TEMP TABLE IF NOT EXISTS rederive_addr (address TEXT PRIMARY KEY) WITHOUT ROWID;"
			 "DELETE FROM temp.rederive_addr;"
			 "INSERT OR IGNORE INTO temp.rederive_addr SELECT address FROM "
			 "(SELECT * FROM temp.rederive_old EXCEPT SELECT * FROM temp.rederive_new);"
			 "INSERT OR IGNORE INTO temp.rederive_addr SELECT address FROM "
			 "(SELECT * FROM temp.rederive_new EXCEPT SELECT * FROM temp.rederive_old);") < 0 ||
	    plan_prepare(p, &st, "SELECT COUNT(*) FROM temp.rederive_addr") < 0)
		return -1;
	if (plan_step(p, st) == PLAN_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* ---- the deliveries involved ---- */

/* A delivery that may change: as the plan has it, and as derived now. */
struct key {
	size_t campaign; /* index into p->campaigns */
	char *recipient;
	int old, now; /* it exists before, after */
	char *old_address, *address;
	long long old_ord, ord;
	int old_vip, vip, claimed;
	const char *old_account, *account; /* account ids (cfg's), or NULL */
	char *old_account_copy;
	uintptr_t flags; /* PLAN_KEY_* */
};

struct keys {
	struct strmap index; /* "campaign\trecipient" -> key number + 1 */
	struct key *items;
	size_t count, cap;
	struct buf name;
};

static struct key *key_get(struct plan *p, struct keys *k, size_t campaign, const char *recipient)
{
	struct strmap_entry *e;
	struct key *key;
	int added;

	buf_reset(&k->name);
	buf_addf(&k->name, "%s\t%s", p->campaigns.items[campaign].id, recipient);
	e = strmap_put(&k->index, k->name.ptr, &added);
	if (!added)
		return &k->items[(uintptr_t)e->value - 1];
	XGROW(k->items, k->cap, k->count + 1);
	key = &k->items[k->count++];
	memset(key, 0, sizeof(*key));
	key->campaign = campaign;
	key->recipient = xstrdup(recipient);
	e->value = (void *)(uintptr_t)k->count;
	return key;
}

static void keys_release(struct keys *k)
{
	size_t i;

	for (i = 0; i < k->count; i++) {
		free(k->items[i].recipient);
		free(k->items[i].old_address);
		free(k->items[i].address);
		free(k->items[i].old_account_copy);
	}
	free(k->items);
	strmap_release(&k->index, NULL);
	buf_release(&k->name);
}

/* What the whole change shares: the campaigns of each type and owner,
 * their selections (made when first needed), the keys. */
struct work {
	struct plan *p;
	struct strmap by_owner[RTYPE_COUNT]; /* owner -> list of campaign indexes + 1 */
	size_t *lists; /* the lists, each ended by 0 */
	size_t nlists, lists_cap;
	struct campaign_select *sel; /* by campaign index; campaign NULL until made */
	long *stamp; /* by campaign index: the address group that took it */
	struct keys keys;
	struct recipient_fields fields;
	unsigned char *wanted; /* campaigns with keys to replay */
};

static void work_init(struct work *w, struct plan *p)
{
	size_t i, j, n = p->campaigns.count;
	int t;

	memset(w, 0, sizeof(*w));
	w->p = p;
	buf_init(&w->keys.name, 0);
	w->sel = xcalloc(n + 1, sizeof(*w->sel));
	w->stamp = xcalloc(n + 1, sizeof(*w->stamp));
	w->wanted = xcalloc(n + 1, 1);
	for (t = 0; t < RTYPE_COUNT; t++) {
		for (i = 0; i < n; i++) {
			const struct campaign *c = &p->campaigns.items[i];
			struct strmap_entry *e;
			int added;

			if (!c->valid || c->type != t)
				continue;
			e = strmap_put(&w->by_owner[t], c->owner, &added);
			if (!added)
				continue;
			e->value = (void *)(uintptr_t)(w->nlists + 1);
			for (j = i; j < n; j++) {
				const struct campaign *o = &p->campaigns.items[j];
				if (o->valid && o->type == t && !strcmp(o->owner, c->owner)) {
					XGROW(w->lists, w->lists_cap, w->nlists + 1);
					w->lists[w->nlists++] = j + 1;
				}
			}
			XGROW(w->lists, w->lists_cap, w->nlists + 1);
			w->lists[w->nlists++] = 0;
		}
	}
}

static void work_release(struct work *w)
{
	size_t i;
	int t;

	for (i = 0; i < w->p->campaigns.count; i++) {
		if (w->sel[i].campaign)
			plan_select_release(&w->sel[i]);
	}
	for (t = 0; t < RTYPE_COUNT; t++)
		strmap_release(&w->by_owner[t], NULL);
	free(w->lists);
	free(w->sel);
	free(w->stamp);
	free(w->wanted);
	keys_release(&w->keys);
	recipient_fields_release(&w->fields);
}

/* The campaigns that can select records of type and owner: indexes + 1,
 * ended by 0. */
static const size_t *campaigns_of(struct work *w, int type, const char *owner)
{
	static const size_t none[1] = { 0 };
	const struct strmap_entry *e;

	if (type < 0 || type >= RTYPE_COUNT || !(e = strmap_get(&w->by_owner[type], owner)))
		return none;
	return &w->lists[(uintptr_t)e->value - 1];
}

static struct campaign_select *select_of(struct work *w, size_t ci)
{
	if (!w->sel[ci].campaign)
		plan_select_init(&w->sel[ci], &w->p->cfg, &w->p->campaigns.items[ci]);
	return &w->sel[ci];
}

/* Every key of the records (before the change) with an affected address. */
static int old_keys(struct work *w)
{
	struct plan *p = w->p;
	sqlite3_stmt *st = NULL;
	const size_t *c;
	int rc;

	if (plan_prepare(p, &st,
			 "SELECT type, id, owner FROM temp.rederive_old "
			 "WHERE address IN (SELECT address FROM temp.rederive_addr)") < 0)
		return -1;
	while ((rc = plan_step(p, st)) == PLAN_ROW) {
		for (c = campaigns_of(w, sqlite3_column_int(st, 0), plan_column_text(st, 2)); *c; c++)
			key_get(p, &w->keys, *c - 1, plan_column_text(st, 1));
	}
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}

/* Derives one record (of the address group `group`, in the plan's order)
 * for the campaigns of its type and owner. */
static void derive_record(struct work *w, sqlite3_stmt *st, long group)
{
	struct plan *p = w->p;
	struct recipient r;
	const size_t *c;
	int decoded = 0;

	memset(&r, 0, sizeof(r));
	r.type = (enum recipient_type)sqlite3_column_int(st, 0);
	r.id = plan_column_text(st, 1);
	r.owner = plan_column_text(st, 2);
	r.address = plan_column_text(st, 3);
	r.email = plan_column_text(st, 8);
	r.vip = sqlite3_column_int(st, 4);
	r.line = sqlite3_column_int(st, 6);
	for (c = campaigns_of(w, (int)r.type, r.owner); *c; c++) {
		size_t ci = *c - 1;
		struct campaign_select *cs = select_of(w, ci);
		struct key *k = key_get(p, &w->keys, ci, r.id);
		const struct account *a;

		if (w->stamp[ci] == group)
			continue; /* the address is this campaign's already */
		if (cs->needs_fields && !decoded) {
			r.node = recipient_decode_fields(&w->fields, sqlite3_column_blob(st, 5),
							 (size_t)sqlite3_column_bytes(st, 5));
			decoded = 1;
		}
		if (!campaign_selects(cs->campaign, &r))
			continue;
		w->stamp[ci] = group;
		a = plan_assign_account(r.vip && cs->vip.count ? &cs->vip : &cs->other, r.id);
		k->now = 1;
		k->address = xstrdup(r.address);
		k->ord = plan_ord(sqlite3_column_int64(st, 7), r.line);
		k->vip = r.vip;
		k->account = a ? a->id : NULL;
	}
}

/* The records (after the change) with an affected address, by address in
 * the plan's order: their keys, and what each campaign selects now. */
static int new_keys(struct work *w)
{
	struct plan *p = w->p;
	sqlite3_stmt *st = NULL;
	char *address = NULL;
	long group = 0;
	int rc;

	if (plan_prepare(p, &st,
			 "SELECT r.type, r.id, r.owner, r.address, r.vip, r.fields, r.line, f.unit, r.email "
			 "FROM recipients r JOIN recipient_files f ON f.id = r.file "
			 "WHERE r.address IN (SELECT address FROM temp.rederive_addr) "
			 "ORDER BY r.address, r.type, f.unit, r.line, r.id") < 0)
		return -1;
	while ((rc = plan_step(p, st)) == PLAN_ROW) {
		if (!address || strcmp(address, plan_column_text(st, 3))) {
			free(address);
			address = xstrdup(plan_column_text(st, 3));
			group++;
		}
		derive_record(w, st, group);
	}
	free(address);
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}

/* The deliveries of the keys as the plan has them. */
static int load_old(struct work *w)
{
	struct plan *p = w->p;
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = 0;

	if (plan_prepare(p, &st,
			 "SELECT address, ord, vip, account, claimed_at IS NOT NULL FROM deliveries "
			 "WHERE campaign = ? AND recipient = ?") < 0)
		return -1;
	for (i = 0; i < w->keys.count && rc >= 0; i++) {
		struct key *k = &w->keys.items[i];

		plan_bind_static(st, 1, p->campaigns.items[k->campaign].id);
		plan_bind_static(st, 2, k->recipient);
		rc = plan_step(p, st);
		if (rc == PLAN_ROW) {
			k->old = 1;
			k->old_address = xstrdup(plan_column_text(st, 0));
			k->old_ord = sqlite3_column_int64(st, 1);
			k->old_vip = sqlite3_column_int(st, 2);
			if (plan_column_text(st, 3))
				k->old_account = k->old_account_copy = xstrdup(plan_column_text(st, 3));
			k->claimed = sqlite3_column_int(st, 4);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}

static int str_differ(const char *a, const char *b)
{
	return a ? !b || strcmp(a, b) : b != NULL;
}

/* The statements that write deliveries. */
struct writes {
	sqlite3_stmt *del, *ins, *upd;
};

static int apply_key(struct work *w, struct writes *s, struct key *k, struct strmap *replay)
{
	struct plan *p = w->p;
	const char *campaign = p->campaigns.items[k->campaign].id;
	int moved = k->old && k->now && strcmp(k->old_address, k->address);
	char hash[ADDR_HASH_LEN + 1];

	if (k->old != k->now)
		k->flags = PLAN_KEY_EXISTENCE;
	else if (moved)
		k->flags = PLAN_KEY_ADDRESS;
	if (k->old && (!k->now || moved)) {
		plan_bind_static(s->del, 1, campaign);
		plan_bind_static(s->del, 2, k->recipient);
		if (plan_step_done(p, s->del) < 0)
			return -1;
	}
	if (k->now && (!k->old || moved)) {
		plan_bind_static(s->ins, 1, campaign);
		plan_bind_static(s->ins, 2, k->recipient);
		sqlite3_bind_int64(s->ins, 3, k->ord);
		plan_bind_static(s->ins, 4, k->address);
		sqlite3_bind_int(s->ins, 5, k->vip);
		plan_bind_static(s->ins, 6, k->account);
		addr_hash(k->address, hash);
		plan_bind_static(s->ins, 7, hash);
		if (plan_step_done(p, s->ins) < 0)
			return -1;
	} else if (k->now && (k->ord != k->old_ord || k->vip != k->old_vip ||
			      (!k->claimed && str_differ(k->account, k->old_account)))) {
		/* the history stays; a claim chose the account, if any did */
		sqlite3_bind_int64(s->upd, 1, k->ord);
		sqlite3_bind_int(s->upd, 2, k->vip);
		plan_bind_static(s->upd, 3, k->account);
		plan_bind_static(s->upd, 4, campaign);
		plan_bind_static(s->upd, 5, k->recipient);
		if (plan_step_done(p, s->upd) < 0)
			return -1;
		p->rederived_deliveries++;
	}
	if (k->flags) {
		char *name = xasprintf("%s\t%s", campaign, k->recipient);
		strmap_put(replay, name, NULL)->value = (void *)k->flags;
		free(name);
		w->wanted[k->campaign] = 1;
		p->rederived_deliveries++;
	}
	return 0;
}

/* Deletes, inserts and updates the deliveries of the keys. */
static int apply_keys(struct work *w, struct strmap *replay)
{
	struct plan *p = w->p;
	struct writes s = { NULL, NULL, NULL };
	size_t i;
	int ret = -1;

	if (plan_prepare(p, &s.del, "DELETE FROM deliveries WHERE campaign = ? AND recipient = ?") < 0 ||
	    plan_prepare(p, &s.ins,
			 "INSERT INTO deliveries (campaign, recipient, ord, address, vip, account, "
			 "address_hash, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')") < 0 ||
	    plan_prepare(p, &s.upd,
			 "UPDATE deliveries SET ord = ?1, vip = ?2, account = CASE WHEN claimed_at IS NULL "
			 "THEN ?3 ELSE account END WHERE campaign = ?4 AND recipient = ?5") < 0)
		goto done;
	for (i = 0; i < w->keys.count; i++) {
		if (apply_key(w, &s, &w->keys.items[i], replay) < 0)
			goto done;
	}
	ret = 0;
done:
	sqlite3_finalize(s.del);
	sqlite3_finalize(s.ins);
	sqlite3_finalize(s.upd);
	return ret;
}

/* ---- settling the addresses again ---- */

/* A delivery of the keys after the replay, settled as plan_settle() would. */
struct settled {
	struct key *key;
	const struct campaign *campaign;
	char state[16], *skipped_by; /* skipped_by: a campaign id, or NULL */
	int shared; /* its template is shared by campaigns that are not merged */
};

static int category(const char *state)
{
	if (!strcmp(state, "sent") || !strcmp(state, "claimed") || !strcmp(state, "unconfirmed") ||
	    !strcmp(state, "failed"))
		return 0;
	return !strcmp(state, "suppressed") ? 2 : 1;
}

/* The order of settle_shared_templates(): by pair, the keeper first. */
static int cmp_settled(const void *x, const void *y)
{
	const struct settled *a = *(const struct settled *const *)x;
	const struct settled *b = *(const struct settled *const *)y;
	int c = strcmp(a->campaign->template, b->campaign->template);

	if (!c)
		c = strcmp(a->key->address, b->key->address);
	if (!c)
		c = category(a->state) - category(b->state);
	if (!c && a->campaign->start != b->campaign->start)
		c = a->campaign->start < b->campaign->start ? -1 : 1;
	return c ? c : strcmp(a->campaign->id, b->campaign->id);
}

static int pending_or_retrying(const char *state)
{
	return !strcmp(state, "pending") || !strcmp(state, "retrying");
}

/* Whether the address is listed in suppressions.tsv or bounced hard. */
static int suppressed(struct plan *p, sqlite3_stmt *bounced, const char *address, int *out)
{
	char hash[ADDR_HASH_LEN + 1];
	int rc;

	*out = suppressions_find(&p->suppressions, address) != NULL;
	if (*out)
		return 0;
	addr_hash(address, hash);
	plan_bind_static(bounced, 1, hash);
	rc = plan_step(p, bounced);
	sqlite3_reset(bounced);
	*out = rc == PLAN_ROW;
	return rc < 0 ? -1 : 0;
}

/* Reads the keys' deliveries and settles each alone: claims of the
 * replayed ones unconfirmed, skips undone (to the state they had before),
 * suppressions applied. */
static int settle_each(struct work *w, struct settled *rows, size_t *n, const struct strmap *shared)
{
	struct plan *p = w->p;
	sqlite3_stmt *st = NULL, *bounced = NULL;
	size_t i;
	int rc = 0, sup;

	*n = 0;
	if (plan_prepare(p, &st, "SELECT state, next_at, skipped_by FROM deliveries WHERE campaign = ? AND recipient = ?") < 0 ||
	    plan_prepare(p, &bounced, "SELECT 1 FROM bounces WHERE hash = ?") < 0)
		goto done;
	for (i = 0; i < w->keys.count && rc >= 0; i++) {
		struct key *k = &w->keys.items[i];
		struct settled *row = &rows[*n];
		const char *state;

		if (!k->now)
			continue;
		plan_bind_static(st, 1, p->campaigns.items[k->campaign].id);
		plan_bind_static(st, 2, k->recipient);
		if ((rc = plan_step(p, st)) != PLAN_ROW) {
			sqlite3_reset(st);
			continue;
		}
		memset(row, 0, sizeof(*row));
		row->key = k;
		row->campaign = &p->campaigns.items[k->campaign];
		state = plan_column_text(st, 0);
		snprintf(row->state, sizeof(row->state), "%s", state);
		if (plan_column_text(st, 2))
			row->skipped_by = xstrdup(plan_column_text(st, 2));
		if (k->flags && !strcmp(state, "claimed"))
			snprintf(row->state, sizeof(row->state), "unconfirmed");
		if (!k->flags && !strcmp(state, "skipped"))
			snprintf(row->state, sizeof(row->state), "%s",
				 sqlite3_column_int64(st, 1) > 0 ? "retrying" : "pending");
		sqlite3_reset(st);
		if (!strcmp(row->state, "skipped") || !pending_or_retrying(row->state)) {
			/* kept as it is */
		} else if ((rc = suppressed(p, bounced, k->address, &sup)) < 0) {
			break;
		} else if (sup) {
			snprintf(row->state, sizeof(row->state), "suppressed");
		}
		if (strcmp(row->state, "skipped")) {
			free(row->skipped_by);
			row->skipped_by = NULL;
		}
		row->shared = row->campaign->status != CAMPAIGN_MERGED && row->campaign->template &&
			      (uintptr_t)strmap_get(shared, row->campaign->template)->value > 1;
		(*n)++;
	}
done:
	sqlite3_finalize(st);
	sqlite3_finalize(bounced);
	return rc < 0 || !st || !bounced ? -1 : 0;
}

/* The same template never reaches an address twice: per pair, the
 * keeper first, the others still to send skipped by it. */
static void settle_pairs(struct settled **order, size_t n)
{
	size_t i, first = 0;

	if (n)
		qsort(order, n, sizeof(*order), cmp_settled);
	for (i = 0; i < n; i++) {
		struct settled *row = order[i];

		if (i == 0 || strcmp(row->campaign->template, order[first]->campaign->template) ||
		    strcmp(row->key->address, order[first]->key->address)) {
			first = i;
			continue;
		}
		if (!pending_or_retrying(row->state))
			continue;
		snprintf(row->state, sizeof(row->state), "skipped");
		free(row->skipped_by);
		row->skipped_by = xstrdup(order[first]->campaign->id);
	}
}

/* Templates -> the number of valid campaigns not merged that use them. */
static void shared_templates(struct plan *p, struct strmap *out)
{
	size_t i;

	for (i = 0; i < p->campaigns.count; i++) {
		const struct campaign *c = &p->campaigns.items[i];
		struct strmap_entry *e;

		if (!c->valid || !c->template)
			continue;
		e = strmap_put(out, c->template, NULL);
		if (c->status != CAMPAIGN_MERGED)
			e->value = (void *)((uintptr_t)e->value + 1);
	}
}

static int settle_keys(struct work *w)
{
	struct plan *p = w->p;
	struct settled *rows = xcalloc(w->keys.count + 1, sizeof(*rows));
	struct settled **order = xcalloc(w->keys.count + 1, sizeof(*order));
	struct strmap shared = STRMAP_INIT;
	sqlite3_stmt *set = NULL;
	size_t i, n = 0, nshared = 0;
	int ret = -1;

	shared_templates(p, &shared);
	if (settle_each(w, rows, &n, &shared) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		if (rows[i].shared)
			order[nshared++] = &rows[i];
	}
	settle_pairs(order, nshared);
	if (plan_prepare(p, &set,
			 "UPDATE deliveries SET state = ?, skipped_by = ? WHERE campaign = ? AND recipient = ? "
			 "AND (state IS NOT ?1 OR skipped_by IS NOT ?2)") < 0)
		goto done;
	for (i = 0; i < n; i++) {
		plan_bind_static(set, 1, rows[i].state);
		plan_bind_static(set, 2, rows[i].skipped_by);
		plan_bind_static(set, 3, rows[i].campaign->id);
		plan_bind_static(set, 4, rows[i].key->recipient);
		if (plan_step_done(p, set) < 0)
			goto done;
	}
	ret = 0;
done:
	for (i = 0; i < n; i++)
		free(rows[i].skipped_by);
	free(rows);
	free(order);
	strmap_release(&shared, NULL);
	sqlite3_finalize(set);
	return ret;
}

int plan_rederive_finish(struct rederive *rd, struct sources *s, struct diag_list *diags)
{
	struct plan *p = rd->p;
	struct strmap replay = STRMAP_INIT;
	struct work w;
	long changed;
	int ret = -1;

	if (p->units_exhausted)
		return 0;
	if ((changed = changed_addresses(p)) < 0)
		return -1;
	if (!changed)
		return 1;
	work_init(&w, p);
	if (old_keys(&w) < 0 || new_keys(&w) < 0 || load_old(&w) < 0 || apply_keys(&w, &replay) < 0)
		goto done;
	if (replay.count) {
		ret = plan_replay_keys(p, s, &replay, w.wanted, diags);
		if (ret <= 0)
			goto done;
	}
	ret = settle_keys(&w) < 0 ? -1 : 1;
done:
	work_release(&w);
	strmap_release(&replay, NULL);
	return ret;
}
