/*
 * --commit and --push for the commands that write results (send and the
 * syncs): commits exactly the files the command wrote, with libgit2; with a
 * remote, pushes; when the push is refused because the branch moved,
 * fetches and replays the lines the command appended on the new tip.
 */
#ifndef MAILOUT_CMD_PUBLISH_H
#define MAILOUT_CMD_PUBLISH_H

#include <stddef.h>
#include <time.h>

#include "sender.h"

struct publisher;

/*
 * A refused push is tried again because the remote's branch moved.  When
 * refusal after refusal finds the branch where it was (a lock left by a
 * killed push, a remote that cannot write its ref), it did not move and
 * pushing again cannot help: after PUBLISH_STUCK seconds of that, stop.
 * A push in progress elsewhere holds the lock for milliseconds.
 */
#define PUBLISH_STUCK 20

struct push_watch {
	char tip[41]; /* the remote's tip after the last refusal */
	time_t since; /* when a refusal first found it there */
	int seen; /* tip and since are set */
};

/* After a push that went through: forgets the refusals. */
void push_watch_reset(struct push_watch *w);
/* After a refused push (reason: its error_last()) and a fetch that found
 * the remote's branch at tip ("" for no branch) at time now: 0 to try
 * again, -1 (error_set, with reason) when the branch has stayed at tip
 * through refusals for PUBLISH_STUCK seconds.  A new tip starts over. */
int push_watch_refused(struct push_watch *w, const char *tip, const char *reason, time_t now);

/*
 * Opens the repository around root.  own lists the files (relative to
 * root) the command may write: any of them with uncommitted changes other
 * than lines appended at the end refuses the start; appended lines (an
 * earlier killed run's) are taken over.  With a remote: refuses a shallow
 * clone, fetches, and moves onto the remote's tip first.
 */
int publisher_open(struct publisher **out, const char *root, const char *remote,
		   const char *author, const char *command, const char *const *own, size_t nown);
void publisher_free(struct publisher *p);

/* The sender's hooks (payload: the publisher).  Every refused push is
 * watched (push_watch) across them, so a remote that refuses without
 * moving fails publish and catch_up alike. */
int publisher_publish(void *payload, const char *const *files, size_t n, int final,
		      const struct sender_report *report);
int publisher_catch_up(void *payload, const char *const *files, size_t n);
/* Adds to error_last() the files whose lines the remote lacks, with the
 * number of lines (the outcomes that are not published). */
void publisher_name_unpublished(void *payload, const char *const *files, size_t n);

/* For the syncs: commits the files with message and pushes, replaying on a
 * moved remote for as long as the remote keeps moving, up to 15 minutes,
 * and for PUBLISH_STUCK seconds when it refuses without moving.
 * A replayed line whose first two fields (address and reason) a line of
 * the tip's version has is dropped: concurrent syncs record an opt-out
 * once. */
int publisher_commit_push(struct publisher *p, const char *const *files, size_t n,
			  const char *message);

#endif
