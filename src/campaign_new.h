/*
 * New campaigns (`mailout new`): one per recipient type, from a template,
 * for an owner, created as one change that validates or is not made at
 * all.  The steps, in order:
 *
 *   struct campaign_new req = CAMPAIGN_NEW_INIT;
 *   campaign_new_add_types(&req, "contacts,leads");
 *   req.template = "winter-news"; req.owner = "alice"; req.start = ...;
 *   campaign_new_names(&req, &cfg, NULL, NULL);
 *   campaign_new_create(&result, &req, root);   (the files, or why not)
 *   campaign_new_forecast(result.plan, &req);   (when they are through)
 *   campaign_new_count(result.plan, &req.items[i]);   (whom each reaches)
 *   campaign_new_result_release(&result);
 *   campaign_new_release(&req);
 *
 * Nothing here prints: what went wrong is error_last() or diagnostics.
 */
#ifndef MAILOUT_CAMPAIGN_NEW_H
#define MAILOUT_CAMPAIGN_NEW_H

#include <time.h>

#include "config.h"
#include "diag.h"
#include "recipients.h"

struct plan;
struct tz;

/* One campaign to create. */
struct campaign_new_item {
	enum recipient_type type;
	char *id, *name; /* campaign_new_names() */
	/* campaign_new_count(): the deliveries of the created campaign */
	long recipients; /* neither suppressed nor skipped */
	long vip, suppressed, skipped, pending;
	/* campaign_new_forecast(): messages the owner's accounts would send
	 * within a year, and the last one's time */
	long would_send;
	time_t last_send;
};

/* What to create.  The strings are borrowed; items and filter are owned
 * (campaign_new_release()). */
struct campaign_new {
	struct campaign_new_item *items; /* one per recipient type, in the order given */
	size_t count;
	const char *template, *owner;
	const char *segment; /* or filter (has_filter), or neither */
	const char *start; /* a date or date-time as given; the id takes its date */
	const char *end; /* NULL: none */
	struct filter filter;
	int has_filter, paused, vip_only;
};
#define CAMPAIGN_NEW_INIT { NULL, 0, NULL, NULL, NULL, NULL, NULL, { NULL, 0 }, 0, 0, 0 }

void campaign_new_release(struct campaign_new *req);

/* Adds an item per type of "contacts,leads".  -1 with error_set() for an
 * unknown type (with the closest as a suggestion) or one given twice. */
int campaign_new_add_types(struct campaign_new *req, const char *text);

/* Sets the filter from text, a YAML mapping as a campaign's filter:
 * "{country: [DE, AT], tags: newsletter}".  -1 with the problems in diags
 * (their path is "--filter"). */
int campaign_new_set_filter(struct campaign_new *req, const char *text, struct diag_list *diags);

/* Sets each item's id and name.  The id is id, or the template's name in
 * lower case with '-' for the rest and the start date
 * ("winter-news-2026-12-07"); with several types the type is added
 * ("-contacts").  The name is name (with " (TYPE)" for several types), or
 * "TEMPLATE (TYPE of OWNER'S NAME, from DATE)".  -1 with error_set() when
 * an id is not a valid campaign id. */
int campaign_new_names(struct campaign_new *req, const struct config *cfg, const char *id,
		       const char *name);

/* The item whose campaign folder holds path (relative to the root), or -1. */
int campaign_new_item_of(const struct campaign_new *req, const char *path);

/* The local date of t in zone, "2026-12-07". */
void campaign_new_local_date(char out[32], const struct tz *zone, time_t t);

enum campaign_new_outcome {
	CAMPAIGN_NEW_CREATED, /* the files are written; diags: the warnings they brought */
	CAMPAIGN_NEW_FAILED, /* error: why (an id is taken, the content has errors already,
			      * a file cannot be written) */
	CAMPAIGN_NEW_INVALID, /* diags: the errors the new campaigns brought (sorted) */
	CAMPAIGN_NEW_NO_PLAN /* the plan cannot take them: diags are the warnings
			      * they brought, then the plan's diagnostics (sorted);
			      * error says why when none of the plan's is an error */
};

struct campaign_new_result {
	enum campaign_new_outcome outcome;
	struct diag_list diags;
	char *error; /* FAILED, NO_PLAN: why, or NULL */
	char *undo_error; /* INVALID, NO_PLAN: taking the files back failed too, why */
	struct plan *plan; /* CREATED: the plan with the new campaigns */
};
#define CAMPAIGN_NEW_RESULT_INIT { CAMPAIGN_NEW_CREATED, DIAG_LIST_INIT, NULL, NULL, NULL }

/* Frees the result's strings and diagnostics and closes its plan. */
void campaign_new_result_release(struct campaign_new_result *r);

/*
 * Creates the campaigns of req (named) in the repository at root: refuses
 * an id whose folder exists and content with errors already; writes each
 * campaigns/<id>/campaign.yaml atomically, validates the repository with
 * them, and takes every new file back when they bring an error (a
 * diagnostic not there before) or the plan cannot take them.  Returns 0
 * when created (out->plan is open), -1 when nothing was created (out says
 * why, error_last() too).
 */
int campaign_new_create(struct campaign_new_result *out, struct campaign_new *req,
			const char *root);

/* A dry run of the owner's accounts on a virtual clock from now for a
 * year, setting each item's would_send and last_send; nothing changes.
 * 0, or -1 with error_set(). */
int campaign_new_forecast(struct plan *p, struct campaign_new *req);

/* Sets the item's counts from the plan.  0, or -1 with error_set(). */
int campaign_new_count(struct plan *p, struct campaign_new_item *item);

#endif
