/*
 * The plan's insides, for src/plan*.c (and the plan's own unit tests):
 * the database handle and the helpers every query goes through.  Nothing
 * else includes this header; callers use the named queries of plan.h.
 */
#ifndef MAILOUT_PLAN_PRIVATE_H
#define MAILOUT_PLAN_PRIVATE_H

#include <sqlite3.h>
#include <stdint.h>

#include "plan.h"
#include "util.h"

struct plan {
	sqlite3 *db;
	char *root;
	char *dir; /* the build directory */
	char *path; /* <dir>/plan.db */
	struct config cfg;
	struct segments segments;
	struct suppressions suppressions;
	struct campaigns campaigns;
	char commit[41];
	int dirty;
	time_t built_at;
	/* what the last refresh did, for tests and benchmarks */
	size_t files_read, files_parsed, log_lines;
	int rederived;
	size_t rederived_deliveries; /* by a partial derivation */
	int units_exhausted;
	sqlite3_stmt **queries; /* the named single-row queries, prepared once */
	/* the statements of iterators, kept for the next iterator of the same
	 * SQL (the site opens a few per campaign page) */
	struct plan_cached {
		const char *sql;
		sqlite3_stmt *st;
		int busy; /* an iterator holds it */
	} cached[32];
	size_t ncached;
	struct recipient_reader *reader; /* during a refresh: the changed recipient files */
	int reading; /* plan_read_begin() calls not yet ended */
	int read_began; /* the outermost of them began a transaction */
	char error[512]; /* the message of the last failed query */
};

int plan_exec(struct plan *p, const char *sql);
int plan_prepare(struct plan *p, sqlite3_stmt **out, const char *sql);

/*
 * Runs one step of st: PLAN_ROW when it returned a row, PLAN_DONE when it
 * is through, or -1 after recording SQLite's message (error_set() and
 * plan_error()).  Every query of the plan steps through it.
 */
int plan_step(struct plan *p, sqlite3_stmt *st);
/* Records "plan database (what): <SQLite's message>"; returns -1. */
int plan_sql_error(struct plan *p, const char *what);
/* Column i as text, NULL for NULL. */
const char *plan_column_text(sqlite3_stmt *st, int i);
/* Finalizes the statements of the named queries (before the handle closes). */
void plan_queries_release(struct plan *p);

/* ---- shared by the stages of a refresh ----
 *
 * plan.c lists the source files and orchestrates a refresh;
 * plan_derive.c loads recipient records, derives the deliveries and
 * settles them; plan_replay.c replays the logs over them.
 */

/* Binds text (NULL binds NULL); _static does not copy it, so it must stay
 * valid until the statement has run. */
void plan_bind_text(sqlite3_stmt *st, int i, const char *s);
void plan_bind_static(sqlite3_stmt *st, int i, const char *s);
/* Runs a prepared statement that returns no rows, then resets it. */
int plan_step_done(struct plan *p, sqlite3_stmt *st);

/* The files a plan is built from, and what a refresh found changed. */
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
	long long old_size, old_mtime, consumed, old_consumed;
	char old_blob[41];
	/* decided by the refresh */
	int changed; /* content differs (not for logs) */
	int appended; /* log grew, prefix unchanged */
	int rewritten; /* log changed in what was replayed already */
	char blob[41];
	size_t parse_job; /* a changed recipient file: its place in p->reader */
};

struct sources {
	struct source *items;
	size_t count, cap;
};


/*
 * Deliveries derived as the records are read (a new plan): the deriver
 * gets each record plan_recipients_refresh() inserts.  _flush writes what
 * it derived and returns 1, or 0 when it gave up (the records came in an
 * order it cannot derive in) and the deliveries must be derived from the
 * table; _free accepts NULL.
 */
struct deriver;
int plan_deriver_open(struct deriver **out, struct plan *p);
int plan_deriver_flush(struct deriver *d);
void plan_deriver_free(struct deriver *d);

/* Replaces the records of the changed recipient files (known: the paths
 * of the files table); *changed_out is set when any changed. */
int plan_recipients_refresh(struct plan *p, struct sources *s, struct strmap *known,
			    struct deriver *derive, struct diag_list *diags, int *changed_out);
/* The counts table (plan_counts.c): _attach creates the triggers that keep
 * it as deliveries change, _detach drops them for a bulk derivation, which
 * adds what it counted with _add (*st: a statement prepared on first use,
 * the caller finalizes it; account NULL for none). */
int plan_counts_attach(struct plan *p);
int plan_counts_detach(struct plan *p);
int plan_counts_add(struct plan *p, sqlite3_stmt **st, const char *campaign, const char *account,
		    const char *state, long n);

/*
 * A delivery's send order within its campaign: the place of its record,
 * (unit << 32) + line, where the unit orders the files of a type by path
 * (ties, records on one line, go by recipient id).  A new file gets a unit
 * between those of its neighbours (plan_file_unit(); -1 after error_set());
 * when two are too close, p->units_exhausted is set and a full derivation
 * numbers the files again (plan_units_renumber()).
 */
static inline long long plan_ord(long long unit, int line)
{
	return unit * 4294967296LL + line;
}
int plan_file_unit(struct plan *p, const char *path, int type, long long *out);
int plan_units_renumber(struct plan *p);

/* Selection and account assignment of one campaign (plan_derive.c). */
struct candidates {
	const struct account **items;
	uint64_t *hashes; /* of each account's id */
	size_t count;
};
struct campaign_select {
	const struct campaign *campaign;
	struct candidates vip, other;
	int needs_fields;
};
void plan_owner_candidates(const struct config *cfg, const char *owner, int main,
			   struct candidates *out);
const struct account *plan_assign_account(const struct candidates *c, const char *recipient);
void plan_select_init(struct campaign_select *cs, const struct config *cfg,
		      const struct campaign *c);
void plan_select_release(struct campaign_select *cs);

/*
 * Deriving again only what changed recipient files can affect
 * (plan_rederive.c), when nothing but recipient files changed: _begin,
 * before plan_recipients_refresh(), keeps the records of the changed
 * files (*out stays NULL when most files changed: derive everything); _finish compares them with the new ones and derives, replays and
 * settles again the deliveries of the campaigns of their types and owners
 * for the addresses involved.  _finish returns 1 when done, 0 when the
 * change needs a full derivation (a delivery appearing or going away that
 * a hard bounce, a released claim or a confirmation in the logs depends
 * on; no room for a new file's unit), -1 on error; _free accepts NULL.
 */
struct rederive;
int plan_rederive_begin(struct rederive **out, struct plan *p, const struct sources *s,
			const struct strmap *known);
int plan_rederive_finish(struct rederive *rd, struct sources *s, struct diag_list *diags);
void plan_rederive_free(struct rederive *rd);

/* Derives every delivery from the recipients table. */
int plan_deliveries_derive(struct plan *p);
/* After a replay: claims without outcome, suppressions, the same template. */
int plan_settle(struct plan *p);
/* Replays logs: all of them from the start (full), or the appended tails. */
int plan_replay_logs(struct plan *p, struct sources *s, int full, struct diag_list *diags);
/*
 * Replays, from the start, the lines of the keys ("campaign\trecipient",
 * value the flags below) alone, reading the logs of the campaigns marked
 * in wanted (by index) and of those merged into them; nothing but those
 * deliveries changes.  Returns 1, or 0 when a line's effect reaches past
 * its delivery for a key whose delivery appeared, went away or changed
 * address (a full derivation is needed), -1 on error.
 */
#define PLAN_KEY_EXISTENCE 1u /* the delivery appeared or went away */
#define PLAN_KEY_ADDRESS 2u /* derived again with another address */
int plan_replay_keys(struct plan *p, struct sources *s, const struct strmap *keys,
		     const unsigned char *wanted, struct diag_list *diags);

#endif
