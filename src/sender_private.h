/*
 * What the files of the sender share (not an API): its limits, the state of
 * one run (struct run) with its campaigns, accounts and their pairs, and
 * the functions one file of it calls in the other.  sender.c plans and
 * sends; sender_outcome.c records what came of each attempt.
 */
#ifndef MAILOUT_SENDER_PRIVATE_H
#define MAILOUT_SENDER_PRIVATE_H

#include "sender.h"

#include <time.h>

#include "buf.h"
#include "log.h"
#include "schedule.h"
#include "smtp.h"
#include "util.h"

#define RETRY_FIRST (30 * 60)
#define RETRY_MAX_DELAY (8 * 3600)
#define RETRY_GIVE_UP (4 * 24 * 3600)
#define NETWORK_PAUSE (5 * 60)
#define THROTTLE_PAUSE (30 * 60)
#define BATCH_MESSAGES 200
#define BATCH_MAX_ITEMS 1000
#define SENDER_REFUSAL_GRACE (15 * 60) /* seconds of refused pushes in a row */
#define REJECTED_IN_ROW 3 /* RCPT refusals with one code: about the account */

struct scamp;
struct sacct;

/* The deliveries of one campaign through one account. */
struct spair {
	struct scamp *camp;
	struct sacct *acct;
	long pending;
	time_t min_retry; /* earliest retry, 0 when none */
	struct log_writer *log;
	char *rel; /* campaigns/<id>/log/<account>.tsv */
	size_t mark; /* the log's size before the current batch */
	int mark_valid;
};

struct scamp {
	const struct campaign *c;
	int eligible; /* active, valid, not interrupted */
	struct render *render;
	long sent;
};

struct day_count {
	int day;
	long attempts;
};

struct sacct {
	const struct account *a;
	int selected, red, broken;
	time_t last_attempt, rest_until;
	struct schedule_pace pace; /* the bucket, from last_attempt at the start */
	struct day_count days[8];
	size_t ndays;
	struct spair **pairs; /* round robin order: oldest campaign start first */
	size_t npairs, cursor;
	struct smtp *smtp;
	char *from_address;
	int rejected_in_row; /* the last RCPT attempts refused with rejected_code */
	char rejected_code[16];
};

struct run {
	struct plan *p;
	const struct sender_options *o;
	struct sender_report *report;
	struct diag_list *diags; /* o->diags, or own_diags */
	struct diag_list own_diags;
	struct plan_applier *applier;
	struct token_keys *keys;
	struct scamp *camps;
	size_t ncamps;
	struct sacct *accts;
	size_t naccts;
	struct spair *pairs;
	size_t npairs;
	time_t now, end;
	int in_tx;
	long since_commit;
	struct timespec last_commit;
	int query_failed; /* a plan query failed where only a count could be returned */
	struct buf msg, line;
	struct plan_recipient_holder holder;
	struct strmap written; /* files this run appended to */
};


/* A delivery as the sender holds it while it tries it. */
struct delivery {
	char *campaign, *recipient, *address;
	int retrying;
	time_t first_at;
	long attempts;
};

/* A message planned in a batch: claimed, then delivered at its moment. */
struct item {
	struct spair *pair;
	struct delivery d;
	time_t due;
	char *message_id;
	int done;
};

/* sender_outcome.c */
int sender_record(struct run *r, struct spair *pair, enum log_event ev, const char *const *fields,
		  size_t nfields);
void sender_emit(struct run *r, enum sender_event_kind kind, struct spair *pair,
		 const char *recipient, const struct smtp_reply *reply, const char *text);

int sender_record_unbuilt(struct run *r, struct item *it);
int sender_record_outcome(struct run *r, struct item *it, const struct smtp_reply *reply,
			  enum smtp_class cls);

#endif
