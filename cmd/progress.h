/*
 * What `mailout send` shows while it runs: a line per event and, on a
 * terminal, the live progress: a block with a line
 * per account (attempts today of its limit, errors, the last attempt) and
 * a bar per active campaign, redrawn in place under the event lines that
 * need attention.
 */
#ifndef MAILOUT_PROGRESS_H
#define MAILOUT_PROGRESS_H

#include <stddef.h>
#include <time.h>

#include "sender.h"

struct plan;

struct live_account {
	const char *id; /* borrowed from the plan's configuration */
	long limit, today, errors;
	time_t last;
};

struct live_campaign {
	const char *id; /* borrowed from the plan's campaigns */
	long total, done;
};

struct progress {
	int tty; /* stdout is a terminal: the block is drawn */
	long events;
	struct live_account *accounts;
	size_t naccounts;
	struct live_campaign *campaigns;
	size_t ncampaigns;
	int drawn; /* lines of the block on the screen */
	struct timespec last_draw;
};

/* The accounts of so and the active campaigns of p, as they stand now. */
void progress_init(struct progress *pr, struct plan *p, const struct sender_options *so);
void progress_release(struct progress *pr);
/* Takes the block off the screen, so that a line can go above it. */
void progress_clear(struct progress *pr);
/* Draws the block again, at most every 100 ms unless force. */
void progress_draw(struct progress *pr, int force);
/* Counts an event of the sender in its account and campaign.  A sent
 * message only redraws the block: 1, no line for it.  Otherwise the block
 * is taken off, so that the event's line goes above it (drawn again with
 * progress_draw(pr, 1) after the line): 0. */
int progress_event(struct progress *pr, const struct sender_event *e);
/* The sender's on_event (payload: the struct progress): a line per event
 * on stdout (warnings on stderr as "mailout: ..."), the block around them
 * on a terminal. */
void progress_on_event(const struct sender_event *e, void *payload);

#endif
