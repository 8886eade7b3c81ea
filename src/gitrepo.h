/*
 * libgit2: blob ids of files, and the commit a plan was built from.
 */
#ifndef MAILOUT_GITREPO_H
#define MAILOUT_GITREPO_H

#include <stddef.h>

/* git's blob id of data, as 40 hex digits. */
void gitrepo_blob_id(char out[41], const void *data, size_t len);

/* The commit checked out at root (40 hex digits, or "" when root is not in
 * a git repository or has no commit yet) and whether the working tree has
 * changes (ignored files aside).  Returns 0 or -1 (error_set). */
int gitrepo_head(const char *root, char commit_out[41], int *dirty_out);

#endif
