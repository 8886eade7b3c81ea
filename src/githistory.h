/*
 * What git holds besides the working tree: the files of the index, and
 * every commit reachable from any ref, searched blob by blob.  For erasure
 * requests: a person's address must leave the history too, and this finds
 * where it still is.
 */
#ifndef MAILOUT_GITHISTORY_H
#define MAILOUT_GITHISTORY_H

#include <stddef.h>
#include <time.h>

/* The files of the git index that lie below root, root-relative, sorted
 * (*out freed with free_list).  1, or 0 with an empty list when root is in
 * no git repository; -1 after error_set(). */
int githistory_tracked(char ***out, size_t *n_out, const char *root);

/* Whether blob content text[0..len) holds what is searched (1) or not (0). */
typedef int (*githistory_match_fn)(const char *text, size_t len, void *payload);

/* A commit whose tree holds a matching blob. */
struct githistory_hit {
	char id[41];
	time_t time; /* the committer's */
	const char *const *paths; /* working-tree paths of the matching blobs, sorted */
	size_t npaths;
};
/* 0 to go on, non-zero to stop the walk. */
typedef int (*githistory_hit_fn)(const struct githistory_hit *hit, void *payload);

struct githistory_stats {
	size_t commits, trees, blobs; /* walked; distinct trees and blobs read */
};

/*
 * Walks every commit reachable from HEAD and from all refs (branches,
 * tags, remote-tracking and other refs), newest first, and calls hit for
 * each commit whose tree holds a blob that match accepts.  Each blob and
 * each tree is read once: results are kept by object id, so a tree an
 * earlier commit had is not walked again.  Submodules are not entered.
 * 0, or -1 after error_set() (root in no git repository among the causes).
 */
int githistory_search(const char *root, githistory_match_fn match, void *match_payload,
		      githistory_hit_fn hit, void *hit_payload, struct githistory_stats *stats_out);

/* Whether commit ancestor (40 hex digits) is descendant or one of its
 * ancestors: 1, 0, or -1 after error_set(). */
int githistory_contains(const char *root, const char *descendant, const char *ancestor);

#endif
