/*
 * Campaigns: campaigns/<id>/campaign.yaml, written by people.  The
 * selection of a campaign's recipients is campaign_selects().
 */
#ifndef MAILOUT_CAMPAIGN_H
#define MAILOUT_CAMPAIGN_H

#include <time.h>

#include "config.h"
#include "diag.h"
#include "recipients.h"

enum campaign_status { CAMPAIGN_ACTIVE, CAMPAIGN_PAUSED, CAMPAIGN_MERGED };

struct campaign {
	char *id; /* the folder name */
	char *path; /* "campaigns/<id>/campaign.yaml" */
	char *name, *template, *owner, *segment, *merged_into;
	int type; /* enum recipient_type, -1 when invalid */
	enum campaign_status status;
	struct filter filter; /* the inline filter, or a copy of the segment's */
	int has_filter, has_inline_filter;
	time_t start, end; /* 0: none */
	char *start_text, *end_text;
	int vip_only;
	/* A merged campaign selects the union of the campaigns merged into it
	 * and carries their history (resolved by campaigns_load). */
	char **merged_from;
	size_t nmerged_from;
	const struct campaign **sources;
	int valid; /* every reference resolved: the campaign can be planned */
	struct pos pos, template_pos, owner_pos, segment_pos, merged_from_pos;
};

struct campaigns {
	struct campaign *items;
	size_t count;
};

/* Loads every campaigns/<id>/campaign.yaml in id order, resolving owner,
 * segment and template; problems become diagnostics.  Returns -1 only when
 * the campaigns folder cannot be read. */
int campaigns_load(struct campaigns *out, const char *root, const struct config *cfg,
		   const struct segments *segments, struct diag_list *diags);
void campaigns_release(struct campaigns *c);
const struct campaign *campaigns_find(const struct campaigns *c, const char *id);

/* Sets `status:` in campaigns/<id>/campaign.yaml, keeping the rest of the
 * file as it is (comments, order); written atomically. */
int campaign_set_status(const char *root, const char *id, const char *status);
/* Appends a people's command (log.h events retry-cmd, resume, merged) to
 * campaigns/<id>/commands.tsv. */
int campaign_command(const char *root, const char *id, const char *text, size_t len);

int campaign_id_check(const char *id); /* [a-z0-9][a-z0-9-]*, at most 64 */
const char *campaign_status_name(enum campaign_status s);

/* Whether the campaign selects r: its type, its owner's records only, the
 * segment or filter (neither: all), vip_only; for a campaign made by a
 * merge, whether one of its sources selects r. */
int campaign_selects(const struct campaign *c, const struct recipient *r);

#endif
