/*
 * The plan's insides, for src/plan*.c (and the plan's own unit tests):
 * the database handle and the helpers every query goes through.  Nothing
 * else includes this header; callers use the named queries of plan.h.
 */
#ifndef MAILOUT_PLAN_PRIVATE_H
#define MAILOUT_PLAN_PRIVATE_H

#include <sqlite3.h>

#include "plan.h"

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

#endif
