/*
 * What a change touches (validate --changed-since): the files changed
 * since a revision, the diagnostics in them and the campaigns whose
 * folders hold one.
 */
#ifndef MAILOUT_CHANGES_H
#define MAILOUT_CHANGES_H

#include <stddef.h>

#include "campaign.h"
#include "diag.h"

struct changes {
	char **files; /* relative to the root, sorted; owned */
	size_t count;
};
#define CHANGES_INIT { NULL, 0 }

/* The files of the repository at root changed since rev (committed,
 * staged, unstaged or untracked; those outside root left out).  -1 with
 * error_set() (an unknown revision, no git repository). */
int changes_since(struct changes *out, const char *root, const char *rev);
void changes_release(struct changes *c);

/* Whether path (relative to the root) is a changed file, or a directory
 * holding one.  "" is neither. */
int changes_touch(const struct changes *c, const char *path);

/* Marks the diagnostics in changed files (d->changed) and says so at the
 * end of their message, "... (changed since REV)", so that "path:line:col:"
 * still starts every line.  Returns how many. */
size_t changes_mark(const struct changes *c, struct diag_list *diags, const char *rev);

/* The ids of the campaigns whose folder holds a change, in the campaigns'
 * order, into out (room for campaigns->count; the ids are borrowed).
 * Returns how many. */
size_t changes_campaigns(const char **out, const struct changes *c,
			 const struct campaigns *campaigns);

#endif
