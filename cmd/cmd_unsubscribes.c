/*
 * mailout unsubscribes sync: reads the unsubscribe mailbox and adds every
 * address that asked to recipients/suppressions.tsv.
 *
 * A request carries a signed token (the List-Unsubscribe mailto puts it in
 * the subject; a reply quotes the footer link): it names the campaign and
 * the recipient, and the plan gives the address.  A message without a
 * token counts when its sender is a known recipient and its subject or
 * first line says "unsubscribe" (or "abmelden").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "campaign.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "imap.h"
#include "mailsync.h"
#include "plan.h"
#include "publish.h"
#include "schedule.h"
#include "token.h"
#include "unsubscribe.h"
#include "xalloc.h"

#define STATE_KEY "unsubscribe"

enum outcome {
	OUT_UNSUBSCRIBED, /* or already suppressed: the writer decides */
	OUT_FORGED,
	OUT_UNKNOWN_KEY,
	OUT_MALFORMED,
	OUT_NO_TOKEN,
	OUT_UNKNOWN_RECIPIENT,
	OUT_COUNT
};

/* What one message came to. */
struct request {
	unsigned long uid;
	enum outcome outcome;
	char *address;   /* OUT_UNSUBSCRIBED */
	char *source;    /* the campaign, or "mail" */
	char *detail;    /* for the report: never an address */
	size_t line;     /* its entry in the suppression lines */
};

struct unsub_run {
	struct plan *p;
	struct token_keys *keys;
	struct request *requests;
	size_t nrequests, cap;
};

static struct request *add_request(struct unsub_run *run, unsigned long uid, enum outcome o)
{
	struct request *r;

	XGROW(run->requests, run->cap, run->nrequests + 1);
	r = &run->requests[run->nrequests++];
	memset(r, 0, sizeof(*r));
	r->uid = uid;
	r->outcome = o;
	return r;
}

/* Judges one message; 0, or -1 when the plan could not be read. */
static int handle_message(struct unsub_run *run, unsigned long uid, const char *raw, size_t len,
			  int damaged)
{
	struct unsubscribe_request u;
	char *address = NULL, *id = NULL;
	struct request *req;
	int ret = 0;

	unsubscribe_parse(&u, run->keys, raw, len);
	switch (u.kind) {
	case UNSUBSCRIBE_TOKEN:
		if (plan_recipient_address(run->p, u.campaign, u.recipient, &address) < 0) {
			ret = -1;
			goto done;
		}
		if (!address) {
			req = add_request(run, uid, OUT_UNKNOWN_RECIPIENT);
			req->detail = xasprintf("ignored: a valid token for recipient %s of %s, but the plan has no such recipient",
						u.recipient, u.campaign);
			goto done;
		}
		req = add_request(run, uid, OUT_UNSUBSCRIBED);
		req->address = address;
		address = NULL;
		req->source = xstrdup(u.campaign);
		req->detail = xasprintf("recipient %s of %s", u.recipient, u.campaign);
		goto done;
	case UNSUBSCRIBE_FORGED:
		req = add_request(run, uid, OUT_FORGED);
		req->detail = xasprintf("ignored: forged token (%s)", u.why);
		goto done;
	case UNSUBSCRIBE_UNKNOWN_KEY:
	case UNSUBSCRIBE_MALFORMED:
		req = add_request(run, uid, u.kind == UNSUBSCRIBE_UNKNOWN_KEY ? OUT_UNKNOWN_KEY : OUT_MALFORMED);
		req->detail = xasprintf("ignored: %s", u.why);
		goto done;
	case UNSUBSCRIBE_MANGLED:
		req = add_request(run, uid, OUT_MALFORMED);
		req->detail = xstrdup("ignored: malformed unsubscribe token");
		goto done;
	case UNSUBSCRIBE_NO_TOKEN:
		break;
	}
	if (damaged) {
		req = add_request(run, uid, OUT_MALFORMED);
		req->detail = xstrdup("ignored: the message arrived damaged and holds no token");
		goto done;
	}
	/* no token: a known recipient who says so */
	if (u.from && plan_recipient_by_address(run->p, u.from, &id) < 0) {
		ret = -1;
		goto done;
	}
	if (id && u.asks) {
		req = add_request(run, uid, OUT_UNSUBSCRIBED);
		req->address = u.from;
		u.from = NULL;
		req->source = xstrdup("mail");
		req->detail = xasprintf("recipient %s, by a mail from the address", id);
		goto done;
	}
	req = add_request(run, uid, OUT_NO_TOKEN);
	req->detail = xstrdup(id ? "ignored: no token, and the message does not ask to unsubscribe" :
				   "ignored: no token, and the sender is not a known recipient");
done:
	unsubscribe_request_release(&u);
	free(address);
	free(id);
	return ret;
}

static void run_release(struct unsub_run *run)
{
	size_t i;

	for (i = 0; i < run->nrequests; i++) {
		free(run->requests[i].address);
		free(run->requests[i].source);
		free(run->requests[i].detail);
	}
	free(run->requests);
	token_keys_free(run->keys);
}

static int sync_unsubscribes(struct cmd_ctx *ctx, int commit, const char *remote)
{
	static const char *const own[] = { SUPPRESSIONS_FILE, UNSUBSCRIBE_STATE_FILE };
	struct publisher *pub = NULL;
	char *message = NULL;
	struct unsub_run run;
	struct config cfg;
	struct diag_list diags = DIAG_LIST_INIT;
	struct mailsync_state state;
	struct mailsync_suppression *lines = NULL;
	const struct mailsync_mark *mark;
	struct imap *imap = NULL;
	struct buf raw = BUF_INIT;
	unsigned long *uids = NULL, after, last, done_uid;
	size_t n = 0, i, nlines = 0, read = 0;
	long count[OUT_COUNT], already = 0, unsubscribed = 0, ignored;
	char *why = NULL;
	time_t now;
	int r, code = 1, stopped = 0;

	memset(&run, 0, sizeof(run));
	memset(&state, 0, sizeof(state));
	memset(count, 0, sizeof(count));
	config_load(&cfg, ctx->repo, &diags);
	if (!cfg.unsubscribe_mailbox && !diags.errors) {
		cmd_printf("unsubscribes: no 'unsubscribe.mailbox' in %s: nothing to read\n", CONFIG_FILE);
		code = 0;
		goto done;
	}
	/* with --commit or --push: our files onto the remote's tip first */
	if ((commit || remote) &&
	    publisher_open(&pub, ctx->repo, remote, cfg.git_author, "unsubscribes", own, 2) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	/* content errors (reported here) stop the sync: the plan maps tokens */
	run.p = cmd_open_plan(ctx, NULL, 0);
	if (!run.p || !cfg.unsubscribe_mailbox)
		goto done;
	now = clock_now();
	if (now == (time_t)-1) {
		cmd_error("%s", error_last());
		goto done;
	}
	if (token_keys_from_env(&run.keys) < 0) {
		cmd_error("cannot verify unsubscribe tokens: %s", error_last());
		goto done;
	}
	if (mailsync_state_load(&state, ctx->repo, UNSUBSCRIBE_STATE_FILE) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	if (mailsync_open(&imap, cfg.unsubscribe_mailbox, cfg.unsubscribe_username,
			  cfg.unsubscribe_password_env, &cfg.unsubscribe_tls) < 0) {
		cmd_error("cannot read the unsubscribe mailbox: %s", error_last());
		goto done;
	}
	mark = mailsync_state_get(&state, STATE_KEY);
	after = mailsync_state_after(&state, STATE_KEY, cfg.unsubscribe_mailbox,
				     imap_uidvalidity(imap));
	if (mark && !after && mark->last_uid)
		cmd_printf("unsubscribes: the mailbox's URL or UIDVALIDITY changed since the last sync: reading it from the start\n");
	if (imap_search(imap, after, NULL, &uids, &n, &last) < 0) {
		cmd_error("cannot read the unsubscribe mailbox: %s", error_last());
		goto done;
	}
	cmd_printf("unsubscribes: %s: %zu new message%s\n", cfg.unsubscribe_mailbox, n, n == 1 ? "" : "s");
	done_uid = last;
	for (i = 0; i < n; i++) {
		r = imap_fetch(imap, uids[i], &raw);
		if (r < 0) {
			why = xstrdup(error_last());
			stopped = 1;
			done_uid = uids[i] - 1;
			break;
		}
		if (r == IMAP_GONE)
			continue;
		read++;
		if (r == IMAP_REFUSED) {
			struct request *req = add_request(&run, uids[i], OUT_MALFORMED);

			req->detail = xasprintf("ignored: the server would not return it: %s", error_last());
			continue;
		}
		if (handle_message(&run, uids[i], raw.ptr, raw.len, r == IMAP_DAMAGED) < 0) {
			/* nothing is written and the state stays: the mail is read again */
			cmd_error("%s", error_last());
			goto done;
		}
	}

	/* the results first, then the state */
	lines = xcalloc(run.nrequests + 1, sizeof(*lines));
	for (i = 0; i < run.nrequests; i++) {
		struct request *q = &run.requests[i];

		if (q->outcome != OUT_UNSUBSCRIBED)
			continue;
		q->line = nlines;
		lines[nlines].address = q->address;
		lines[nlines].reason = "unsubscribed";
		lines[nlines].time = now;
		lines[nlines].source = q->source;
		nlines++;
	}
	if (nlines && mailsync_suppress(ctx->repo, lines, nlines, NULL) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	for (i = 0; i < run.nrequests; i++) {
		struct request *q = &run.requests[i];

		if (q->outcome == OUT_UNSUBSCRIBED) {
			if (lines[q->line].added)
				unsubscribed++;
			else
				already++;
			cmd_printf("  uid %lu: %s%s\n", q->uid,
			       lines[q->line].added ? "unsubscribed " : "already suppressed: ", q->detail);
		} else {
			count[q->outcome]++;
			cmd_printf("  uid %lu: %s\n", q->uid, q->detail);
		}
	}
	if (unsubscribed)
		cmd_printf("updated %s\n", SUPPRESSIONS_FILE);
	/* the results are published before the state advances */
	if (pub && unsubscribed) {
		message = xasprintf("unsubscribes: %ld unsubscribed", unsubscribed);
		if (publisher_commit_push(pub, own, 1, message) < 0) {
			cmd_error("%s", error_last());
			goto done;
		}
	}
	mark = mailsync_state_get(&state, STATE_KEY);
	if (!mark || mark->last_uid != done_uid || mark->uidvalidity != imap_uidvalidity(imap) ||
	    strcmp(mark->mailbox, cfg.unsubscribe_mailbox)) {
		mailsync_state_set(&state, STATE_KEY, cfg.unsubscribe_mailbox, imap_uidvalidity(imap),
				   done_uid);
		if (mailsync_state_save(&state, ctx->repo, UNSUBSCRIBE_STATE_FILE) < 0) {
			cmd_error("%s", error_last());
			goto done;
		}
		cmd_printf("updated %s\n", UNSUBSCRIBE_STATE_FILE);
		if (pub && publisher_commit_push(pub, own + 1, 1,
						 "unsubscribes: the mailbox is read up to here") < 0) {
			cmd_error("%s", error_last());
			goto done;
		}
	}
	ignored = count[OUT_FORGED] + count[OUT_UNKNOWN_KEY] + count[OUT_MALFORMED] +
		  count[OUT_NO_TOKEN] + count[OUT_UNKNOWN_RECIPIENT];
	cmd_printf("read %zu, unsubscribed %ld, already suppressed %ld, ignored %ld (forged %ld, unknown key %ld, malformed %ld, no token %ld, unknown recipient %ld)\n",
	       read, unsubscribed, already, ignored, count[OUT_FORGED], count[OUT_UNKNOWN_KEY],
	       count[OUT_MALFORMED], count[OUT_NO_TOKEN], count[OUT_UNKNOWN_RECIPIENT]);
	if (stopped) {
		cmd_error("the unsubscribe sync stopped before UID %lu: %s", done_uid + 1, why);
		goto done;
	}
	code = 0;
done:
	publisher_free(pub);
	free(message);
	imap_close(imap);
	free(uids);
	free(lines);
	free(why);
	buf_release(&raw);
	run_release(&run);
	plan_close(run.p);
	mailsync_state_release(&state);
	config_release(&cfg);
	diag_release(&diags);
	return code;
}

static int run(struct cmd_ctx *ctx)
{
	return cmd_run_sync(ctx, sync_unsubscribes);
}

const struct command cmd_unsubscribes_entry = {
	.name = "unsubscribes",
	.summary = "read unsubscribe requests from the unsubscribe mailbox",
	.opts = cmd_sync_opts,
	.help_column = CMD_SYNC_HELP_COLUMN,
	.flags = NEEDS_REPO,
	.run = run,
};
