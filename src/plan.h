/*
 * The send plan: build/plan.db, a SQLite database derived from the
 * repository (schema.sql).  plan_open() refreshes it incrementally:
 *
 *  - a source file whose size and mtime are unchanged is trusted unread;
 *    one whose git blob id is unchanged is not parsed again;
 *  - a changed recipient file replaces only its own records;
 *  - when any content other than logs changed, the deliveries are derived
 *    again from the recipients and every log is replayed;
 *  - when logs were only appended to, just the new lines are replayed.
 *
 * A refresh runs in one transaction and a full build writes a new file
 * that replaces the old one by rename(), so a failed or killed build
 * leaves the previous plan as it was.  Counts and statuses are computed in
 * one place, plan_summaries(), for the status command, its JSON and the site.
 */
#ifndef MAILOUT_PLAN_H
#define MAILOUT_PLAN_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "campaign.h"
#include "config.h"
#include "diag.h"
#include "log.h"
#include "recipients.h"

#define PLAN_SCHEMA_VERSION 2
#define PLAN_REBUILD 1u

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
};

/*
 * Opens and refreshes the plan of the repository at root; build_dir NULL
 * means <root>/build.  Content problems are added to diags; with any error
 * the plan is left as it was and -1 is returned.
 */
int plan_open(struct plan **out, const char *root, const char *build_dir, unsigned flags,
	      struct diag_list *diags);
void plan_close(struct plan *p);

enum delivery_state {
	STATE_PENDING,
	STATE_CLAIMED,
	STATE_SENT,
	STATE_FAILED,
	STATE_RETRYING,
	STATE_SUPPRESSED,
	STATE_SKIPPED,
	STATE_UNCONFIRMED,
	STATE_COUNT
};
const char *delivery_state_name(enum delivery_state s);
int delivery_state_parse(const char *s);

enum campaign_state {
	STATUS_ACTIVE,
	STATUS_ACTIVE_ERROR,
	STATUS_PAUSED,
	STATUS_INTERRUPTED,
	STATUS_DONE,
	STATUS_MERGED
};
const char *campaign_state_name(enum campaign_state s); /* "active_error", ... */
const char *campaign_state_label(enum campaign_state s); /* "Active but error", ... */

struct account_summary {
	const struct account *account;
	int usable;
	int red; /* a critical error, until resume */
	char reason[256]; /* why not usable; "" when usable */
	long attempts_today; /* in the account's zone */
	long sent_today; /* in the organisation's zone */
};

struct notification {
	time_t time;
	char *account, *recipient, *message;
};

struct campaign_summary {
	const struct campaign *campaign;
	const char *department; /* the owner's, may be NULL */
	enum campaign_state status;
	long recipients;
	long count[STATE_COUNT]; /* claimed is counted as unconfirmed */
	int completion; /* 0-100 */
	long sent_today;
	struct account_summary *accounts; /* the owner's accounts */
	size_t naccounts;
	struct notification *notifications; /* newest first, at most 20 */
	size_t nnotifications;
	long total_notifications;
};

/* Summaries of every campaign in id order, at time now. */
int plan_summaries(struct plan *p, time_t now, struct campaign_summary **out, size_t *n);
void plan_summaries_free(struct campaign_summary *s, size_t n);
/* Usability of every account at time now (same order as cfg.accounts). */
int plan_accounts(struct plan *p, time_t now, struct account_summary **out);

/*
 * A recipient of the plan by type and id, decoded into *out; its strings
 * and nodes live in holder and fields until the next call with them.
 * Returns 0, 1 when there is no such recipient, -1 on error.
 */
struct plan_recipient_holder {
	char *id, *email, *address, *owner;
	void *blob;
	size_t blob_len;
	struct recipient_fields fields;
};
int plan_recipient(struct plan *p, int type, const char *id, struct recipient *out,
		   struct plan_recipient_holder *holder);
void plan_recipient_holder_release(struct plan_recipient_holder *h);

/*
 * Records that the log rel (relative to the root) has been applied to the
 * plan up to offset, whose content hashes to fnv (FNV-1a from FNV1A_INIT):
 * the sender calls it in the transaction that applies its own lines.
 */
int plan_log_advance(struct plan *p, const char *rel, size_t offset, uint64_t fnv);

/* Refreshes an open plan again (after logs were appended by this process
 * or files changed under it): the content is loaded again, so pointers
 * into cfg, campaigns, segments and suppressions are invalid afterwards. */
int plan_refresh(struct plan *p, struct diag_list *diags);

/*
 * Applies log events to the plan as they are written, through the same
 * code that replays logs, so a sender's view and a rebuilt plan agree.
 * flush stores the aggregates (daily counts, account states) and settles
 * suppressions; call it before committing.
 */
struct plan_applier;
int plan_applier_open(struct plan_applier **out, struct plan *p, struct diag_list *diags);
int plan_applier_apply(struct plan_applier *a, const char *campaign, const char *account,
		       const struct log_entry *e);
int plan_applier_flush(struct plan_applier *a);
void plan_applier_free(struct plan_applier *a);

/* Helpers shared with the sender. */
int plan_exec(struct plan *p, const char *sql);
int plan_prepare(struct plan *p, sqlite3_stmt **out, const char *sql);

#endif
