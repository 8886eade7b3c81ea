/*
 * Campaigns: campaigns/<id>/campaign.yaml, written by people.  The
 * selection of a campaign's recipients is campaign_selects().
 */
#ifndef MAILOUT_CAMPAIGN_H
#define MAILOUT_CAMPAIGN_H

#include <time.h>

#include <sys/stat.h>

#include "buf.h"
#include "config.h"
#include "diag.h"
#include "recipients.h"

enum campaign_status { CAMPAIGN_ACTIVE, CAMPAIGN_PAUSED, CAMPAIGN_MERGED };

/* A file of a campaign's folder as campaigns_load() found it, stat taken
 * before anything read it: what the plan's refresh compares with what it
 * recorded, without looking again. */
struct campaign_file {
	char *rel; /* "campaigns/<id>/log/<account>.tsv" or ".../commands.tsv" */
	int found; /* 1 a regular file, 0 absent (or unreadable), CONTENT_REFUSED */
	struct stat st; /* when found */
};

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
	/* By campaigns_load(): campaign.yaml's stat before it was read; the
	 * logs in name order, then commands.tsv (found or not). */
	struct stat yaml_st;
	struct campaign_file *files;
	size_t nfiles;
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
/* One campaign from its campaign.yaml already parsed, into c (whose id and
 * path are set, the rest zero), as campaigns_load() reads each; the merged
 * campaigns are not resolved.  c is released as an item of campaigns. */
void campaign_load_doc(struct campaign *c, const struct ydoc *doc, const char *root,
		       const struct config *cfg, const struct segments *segments,
		       struct diag_list *diags);
const struct campaign *campaigns_find(const struct campaigns *c, const char *id);

/* Sets `status:` in campaigns/<id>/campaign.yaml, keeping the rest of the
 * file as it is (comments, order); written atomically. */
int campaign_set_status(const char *root, const char *id, const char *status);

/*
 * What an edit of campaign files wrote, so that it can be undone: files
 * created (removed again), files changed (their old text written back),
 * folders made (removed again).  The edits below add their steps to an
 * undo given to them (it may be NULL) and, when they fail, undo their own
 * steps before returning -1.
 */
struct campaign_undo_step;
struct campaign_undo {
	struct campaign_undo_step *steps;
	size_t count, cap;
};
#define CAMPAIGN_UNDO_INIT { NULL, 0, 0 }
/* Undoes every step, newest first, and empties u; goes on past a failing
 * step and returns -1 (error_set) when any failed. */
int campaign_undo_apply(struct campaign_undo *u);
void campaign_undo_release(struct campaign_undo *u);

/* Sets `status: merged` and `merged_into: INTO` in campaigns/<id>/
 * campaign.yaml, keeping the rest of the file as campaign_set_status()
 * does; merged_into goes right after status when the file has none. */
int campaign_set_merged(const char *root, const char *id, const char *into,
			struct campaign_undo *undo);

/* Creates campaigns/<id>/campaign.yaml holding text (written atomically).
 * The folder is made here, so an existing campaign (or one created at the
 * same moment) is refused: "campaign 'x' already exists". */
int campaign_create(const char *root, const char *id, const char *text, size_t len,
		    struct campaign_undo *undo);

/* A campaign file as mailout writes it (new, merge).  Strings are
 * borrowed. */
struct campaign_spec {
	const char *name, *template, *owner;
	enum recipient_type type;
	const char *segment; /* or filter, or neither (every record of the owner) */
	const struct filter *filter;
	const char *const *merged_from; /* a merge's sources */
	size_t nmerged_from;
	int paused, vip_only;
	const char *start, *end; /* as written (a date or a date-time); NULL: none */
};
/* Appends the campaign.yaml text of spec to out: one key per line, with a
 * short comment like the example campaigns, values quoted where YAML
 * needs it. */
void campaign_format(struct buf *out, const struct campaign_spec *spec);

/*
 * Whether the campaigns can be merged: at least two, each valid, none
 * merged already or made by a merge, none given twice, and all with the
 * same template, recipient type and owner.  Otherwise -1 with error_set
 * naming what differs: "cannot merge: 'a' has owner alice, 'b' has owner
 * bob".
 */
int campaign_merge_check(const struct campaign *const *sources, size_t n);

/*
 * Merges the sources into a new campaign `into` (campaign_merge_check()
 * first): campaigns/<into>/campaign.yaml with merged_from, the shared
 * template, type and owner, name (NULL: "<first source's name> (merged)"),
 * the earliest start and the latest end (none when a source has none),
 * vip_only when every source has it, paused when a source is paused;
 * `merged SOURCE` lines at time now in campaigns/<into>/commands.tsv;
 * then every source gets status merged and merged_into.  New files are
 * written first; on failure everything written is undone.
 */
int campaign_merge(const char *root, const struct campaign *const *sources, size_t n,
		   const char *into, const char *name, time_t now, struct campaign_undo *undo);

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
