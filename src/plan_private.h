/*
 * The plan's insides, for src/plan*.c (and the plan's own unit tests):
 * the database handle and the helpers every query goes through.  Nothing
 * else includes this header; callers use the named queries of plan.h.
 */
#ifndef MAILOUT_PLAN_PRIVATE_H
#define MAILOUT_PLAN_PRIVATE_H

#include <sqlite3.h>

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
	sqlite3_stmt **queries; /* the named single-row queries, prepared once */
	struct recipient_reader *reader; /* during a refresh: the changed recipient files */
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
	long long old_size, old_mtime, consumed;
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
/* Derives every delivery from the recipients table. */
int plan_deliveries_derive(struct plan *p);
/* After a replay: claims without outcome, suppressions, the same template. */
int plan_settle(struct plan *p);
/* Replays logs: all of them from the start (full), or the appended tails. */
int plan_replay_logs(struct plan *p, struct sources *s, int full, struct diag_list *diags);

#endif
