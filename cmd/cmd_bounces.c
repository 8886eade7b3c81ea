/*
 * mailout bounces sync: reads the delivery reports (RFC 3464) that arrive
 * in the sending accounts' inboxes and records them as `bounce` events in
 * the campaign logs; the plan replays them (a hard bounce fails the
 * delivery and suppresses the address).  Hard bounces also get a line in
 * recipients/suppressions.tsv.  Only messages whose Content-Type mentions
 * a report are fetched, with BODY.PEEK: the managers' own mail is never
 * read nor marked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounce.h"
#include "buf.h"
#include "campaign.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "imap.h"
#include "log.h"
#include "mailparse.h"
#include "mailsync.h"
#include "plan.h"
#include "publish.h"
#include "safefile.h"
#include "schedule.h"
#include "util.h"
#include "xalloc.h"

#define REPORT_SEARCH "HEADER Content-Type report"

enum tally {
	T_READ,
	T_REPORTS,
	T_HARD,
	T_TEMPORARY,
	T_POLICY,
	T_OTHER,
	T_UNMATCHED,
	T_NO_FAILURE,
	T_ALREADY,
	T_NOT_REPORTS,
	T_COUNT
};

/* The delivery a report is about. */
struct delivery {
	char *campaign, *recipient, *address, *account;
};

/* The lines to append to one log file. */
struct log_lines {
	char *path; /* relative to the repository */
	struct buf text;
};

struct bounce_run {
	struct plan *p;
	struct publisher *pub; /* --commit / --push, or NULL */
	time_t now;
	struct strmap recorded; /* "campaign\trecipient\tnotification" written in this run */
	/* one account's results, written before its state advances */
	struct log_lines *logs;
	size_t nlogs, logs_cap;
	struct mailsync_suppression *suppress;
	char **suppress_strings; /* what the suppression lines point to */
	size_t nsuppress, suppress_cap, strings_cap, nstrings;
	struct buf report; /* the lines printed after the results are written */
	long tally[T_COUNT];
	int plan_failed; /* a plan query failed: the sync stops */
};

static void delivery_release(struct delivery *d)
{
	free(d->campaign);
	free(d->recipient);
	free(d->address);
	free(d->account);
	memset(d, 0, sizeof(*d));
}

/* The next delivery of it: 1, 0 at the end, -1 on error. */
static int read_delivery(struct plan_iter *it, struct delivery *out)
{
	struct plan_delivery d;
	int rc = plan_delivery_next(it, &d);

	if (rc != PLAN_ROW)
		return rc;
	out->campaign = xstrdup(d.campaign);
	out->recipient = xstrdup(d.recipient);
	out->address = xstrdup(d.address);
	out->account = d.account ? xstrdup(d.account) : NULL;
	return 1;
}

/*
 * The delivery d reports on, and its block (*block_out, NULL when none):
 * by the returned Message-ID (which only mailout's own message has), else
 * by the X-Mailout headers of the returned part when the report also
 * names the delivery's address (those headers are easy to forge).
 * 0, or -1 when the plan could not be read.
 */
static int match(struct bounce_run *run, const struct dsn *d, struct delivery *out,
		 const struct dsn_recipient **block_out)
{
	const struct dsn_recipient *block = NULL;
	struct plan_iter *it = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (d->message_id) {
		if (plan_delivery_by_message_id_open(&it, run->p, d->message_id) < 0)
			return -1;
		while (!block && (rc = read_delivery(it, out)) == 1) {
			block = bounce_pick_recipient(d, out->address, 0);
			if (!block)
				delivery_release(out);
		}
		plan_iter_free(it);
		it = NULL;
	}
	if (rc >= 0 && !block && d->campaign && d->recipient) {
		if (plan_delivery_sent_open(&it, run->p, d->campaign, d->recipient) < 0)
			return -1;
		rc = read_delivery(it, out);
		if (rc == 1) {
			block = bounce_pick_recipient(d, out->address, 1);
			if (!block)
				delivery_release(out);
		}
		plan_iter_free(it);
	}
	*block_out = block;
	return rc < 0 ? -1 : 0;
}

static struct log_lines *log_for(struct bounce_run *run, const char *campaign, const char *account)
{
	char *path = xasprintf("campaigns/%s/log/%s.tsv", campaign, account);
	size_t i;

	for (i = 0; i < run->nlogs; i++) {
		if (!strcmp(run->logs[i].path, path)) {
			free(path);
			return &run->logs[i];
		}
	}
	XGROW(run->logs, run->logs_cap, run->nlogs + 1);
	run->logs[run->nlogs].path = path;
	buf_init(&run->logs[run->nlogs].text, 256);
	return &run->logs[run->nlogs++];
}

static const char *keep(struct bounce_run *run, const char *s)
{
	XGROW(run->suppress_strings, run->strings_cap, run->nstrings + 1);
	run->suppress_strings[run->nstrings] = xstrdup(s);
	return run->suppress_strings[run->nstrings++];
}

/* Whether the plan, or this run, has recorded this bounce already: 1 or
 * 0, -1 when the plan could not be read. */
static int already_recorded(struct bounce_run *run, const struct delivery *dl,
			    const char *notification)
{
	char *key = xasprintf("%s\t%s\t%s", dl->campaign, dl->recipient, notification);
	int added;

	strmap_put(&run->recorded, key, &added);
	free(key);
	if (!added)
		return 1;
	return plan_notification_exists(run->p, dl->campaign, dl->recipient, notification);
}

/* Records what report d says; 0, or -1 when the plan could not be read. */
static int handle_report(struct bounce_run *run, const struct account *synced, unsigned long uid,
			 const struct dsn *d)
{
	const struct dsn_recipient *block;
	struct mailsync_bounce b;
	struct delivery dl;
	const char *account, *fields[4];
	char *notification = NULL;
	int found, ret = 0;

	memset(&b, 0, sizeof(b));
	memset(&dl, 0, sizeof(dl));
	if (!bounce_first_failure(d)) {
		run->tally[T_NO_FAILURE]++;
		buf_addf_visible(&run->report, "  uid %lu: delivery report without a failure (%s): nothing to record\n",
			 uid, d->recipients[0].action ? d->recipients[0].action : "no action");
		goto done;
	}
	if (match(run, d, &dl, &block) < 0) {
		ret = -1;
		goto done;
	}
	if (!block || campaign_id_check(dl.campaign) != 0) {
		run->tally[T_UNMATCHED]++;
		buf_addf_visible(&run->report, "  uid %lu: delivery report for no message of the plan: left alone\n",
			 uid);
		goto done;
	}
	mailsync_bounce_describe(&b, block);
	/* the log of the account that sent it */
	account = dl.account && id_check(dl.account) == 0 ? dl.account : synced->id;
	notification = xasprintf("bounce: %s %s %s", b.code, b.enhanced, b.text);
	found = already_recorded(run, &dl, notification);
	if (found < 0) {
		ret = -1;
		goto done;
	}
	if (found) {
		run->tally[T_ALREADY]++;
		buf_addf_visible(&run->report, "  uid %lu: %s %s for recipient %s of %s: recorded before\n", uid,
			 mailsync_bounce_kind_name(b.kind), block->status ? block->status : "-",
			 dl.recipient, dl.campaign);
		goto done;
	}
	fields[0] = dl.recipient;
	fields[1] = b.code;
	fields[2] = b.enhanced;
	fields[3] = b.text;
	log_format(&log_for(run, dl.campaign, account)->text, run->now, LOG_BOUNCE, fields, 4);
	switch (b.kind) {
	case BOUNCE_HARD:
		run->tally[T_HARD]++;
		XGROW(run->suppress, run->suppress_cap, run->nsuppress + 1);
		memset(&run->suppress[run->nsuppress], 0, sizeof(run->suppress[0]));
		run->suppress[run->nsuppress].address = keep(run, dl.address);
		run->suppress[run->nsuppress].reason = "bounced";
		run->suppress[run->nsuppress].time = run->now;
		run->suppress[run->nsuppress].source = keep(run, dl.campaign);
		run->nsuppress++;
		break;
	case BOUNCE_TEMPORARY:
		run->tally[T_TEMPORARY]++;
		break;
	case BOUNCE_POLICY:
		run->tally[T_POLICY]++;
		break;
	case BOUNCE_OTHER:
	case BOUNCE_NONE:
		run->tally[T_OTHER]++;
		break;
	}
	buf_addf_visible(&run->report, "  uid %lu: %s %s for recipient %s of %s: %s\n", uid,
		 mailsync_bounce_kind_name(b.kind), block->status ? block->status : "-", dl.recipient,
		 dl.campaign,
		 b.kind == BOUNCE_HARD ? "the delivery failed, the address is suppressed" :
					 "noted, not suppressed");
done:
	free(notification);
	mailsync_bounce_release(&b);
	delivery_release(&dl);
	return ret;
}

/* Clears one account's results. */
static void results_reset(struct bounce_run *run)
{
	size_t i;

	for (i = 0; i < run->nlogs; i++) {
		free(run->logs[i].path);
		buf_release(&run->logs[i].text);
	}
	run->nlogs = 0;
	for (i = 0; i < run->nstrings; i++)
		free(run->suppress_strings[i]);
	run->nstrings = 0;
	run->nsuppress = 0;
	buf_reset(&run->report);
	memset(run->tally, 0, sizeof(run->tally));
}

/* Appends one account's log lines and suppressions. */
static int results_write(struct bounce_run *run, const char *root)
{
	struct buf path = BUF_INIT;
	size_t i, added = 0;
	int ret = -1;

	for (i = 0; i < run->nlogs; i++) {
		if (log_append(root, run->logs[i].path, run->logs[i].text.ptr, run->logs[i].text.len, 1) < 0)
			goto done;
		cmd_printf("updated %s\n", run->logs[i].path);
	}
	if (run->nsuppress && mailsync_suppress(root, run->suppress, run->nsuppress, &added) < 0)
		goto done;
	if (added)
		cmd_printf("updated %s\n", SUPPRESSIONS_FILE);
	/* published before the state advances */
	if (run->pub && (run->nlogs || added)) {
		const char **files = xcalloc(run->nlogs + 2, sizeof(char *));
		char *message = xasprintf("bounces: %zu report%s recorded", run->nlogs,
					  run->nlogs == 1 ? "" : "s");
		size_t n = 0;
		int rc;

		for (i = 0; i < run->nlogs; i++)
			files[n++] = run->logs[i].path;
		files[n++] = SUPPRESSIONS_FILE;
		rc = publisher_commit_push(run->pub, files, n, message);
		free(files);
		free(message);
		if (rc < 0)
			goto done;
	}
	ret = 0;
done:
	buf_release(&path);
	return ret;
}

/* An earlier account that reads the same mailbox, or NULL. */
static const struct account *same_mailbox(const struct config *cfg, size_t k)
{
	const struct account *a = &cfg->accounts[k], *b;
	size_t i;

	for (i = 0; i < k; i++) {
		b = &cfg->accounts[i];
		if (b->imap && !strcmp(b->imap, a->imap) &&
		    !strcmp(b->username ? b->username : "", a->username ? a->username : ""))
			return b;
	}
	return NULL;
}

/* Reads one account's mailbox; 0, or -1 when the sync of it failed
 * (printed). */
static int sync_account(struct bounce_run *run, const char *root, struct mailsync_state *state,
			const struct account *a)
{
	struct imap *imap = NULL;
	struct buf raw = BUF_INIT;
	struct dsn d;
	unsigned long *all = NULL, *uids = NULL, after, last, done_uid;
	const struct mailsync_mark *mark;
	size_t nall = 0, n = 0, i;
	char *why = NULL;
	int r, ret = -1, stopped = 0;

	results_reset(run);
	if (mailsync_open_account(&imap, a) < 0) {
		cmd_error("%s: cannot read the mailbox: %s", a->id, error_last());
		goto done;
	}
	mark = mailsync_state_get(state, a->id);
	after = mailsync_state_after(state, a->id, a->imap, imap_uidvalidity(imap));
	if (mark && !after && mark->last_uid)
		cmd_printf("%s: the mailbox's URL or UIDVALIDITY changed since the last sync: reading it from the start\n",
		       a->id);
	if (imap_search(imap, after, NULL, &all, &nall, &last) < 0 ||
	    imap_search(imap, after, REPORT_SEARCH, &uids, &n, NULL) < 0) {
		cmd_error("%s: cannot read the mailbox: %s", a->id, error_last());
		goto done;
	}
	cmd_printf("%s: %s: %zu new message%s, %zu that may be delivery reports\n", a->id, a->imap, nall,
	       nall == 1 ? "" : "s", n);
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
		run->tally[T_READ]++;
		if (r == IMAP_REFUSED) {
			run->tally[T_NOT_REPORTS]++;
			buf_addf_visible(&run->report, "  uid %lu: the server would not return it: %s\n", uids[i],
				 error_last());
			continue;
		}
		if (bounce_parse(&d, raw.ptr, raw.len) < 0) {
			run->tally[T_NOT_REPORTS]++;
		} else {
			run->tally[T_REPORTS]++;
			r = handle_report(run, a, uids[i], &d);
			dsn_release(&d);
		}
		if (r < 0) {
			/* nothing of this mailbox is written, its state stays */
			cmd_error("%s: %s", a->id, error_last());
			run->plan_failed = 1;
			goto done;
		}
	}
	if (results_write(run, root) < 0) {
		cmd_error("%s: %s", a->id, error_last());
		goto done;
	}
	fputs(run->report.ptr, stdout);
	mark = mailsync_state_get(state, a->id);
	if (!mark || mark->last_uid != done_uid || mark->uidvalidity != imap_uidvalidity(imap) ||
	    strcmp(mark->mailbox, a->imap)) {
		mailsync_state_set(state, a->id, a->imap, imap_uidvalidity(imap), done_uid);
		if (mailsync_state_save(state, root, BOUNCE_STATE_FILE) < 0) {
			cmd_error("%s", error_last());
			goto done;
		}
		cmd_printf("updated %s\n", BOUNCE_STATE_FILE);
		if (run->pub) {
			const char *state_file = BOUNCE_STATE_FILE;
			if (publisher_commit_push(run->pub, &state_file, 1,
						  "bounces: the mailboxes are read up to here") < 0) {
				cmd_error("%s", error_last());
				goto done;
			}
		}
	}
	cmd_printf("%s: read %ld, delivery reports %ld (hard bounces %ld, temporary %ld, policy %ld, other %ld, unmatched %ld, no failure %ld, recorded before %ld), not delivery reports %ld\n",
	       a->id, run->tally[T_READ], run->tally[T_REPORTS], run->tally[T_HARD],
	       run->tally[T_TEMPORARY], run->tally[T_POLICY], run->tally[T_OTHER],
	       run->tally[T_UNMATCHED], run->tally[T_NO_FAILURE], run->tally[T_ALREADY],
	       run->tally[T_NOT_REPORTS]);
	if (stopped) {
		cmd_error("%s: the sync stopped before UID %lu: %s", a->id, done_uid + 1, why);
		goto done;
	}
	ret = 0;
done:
	imap_close(imap);
	free(all);
	free(uids);
	free(why);
	buf_release(&raw);
	return ret;
}

/* The files a bounce sync may write: suppressions, its state, and the log
 * of every account in every campaign. */
static int open_publisher(struct bounce_run *run, struct cmd_ctx *ctx, const struct config *cfg,
			  const char *remote)
{
	char **names = NULL, **own;
	int n = content_list(&names, ctx->repo, "campaigns", NULL, 1), ret;
	size_t i, j, k = 0;

	own = xcalloc((size_t)(n > 0 ? n : 0) * cfg->naccounts + 3, sizeof(char *));
	own[k++] = xstrdup(SUPPRESSIONS_FILE);
	own[k++] = xstrdup(BOUNCE_STATE_FILE);
	for (i = 0; n > 0 && i < (size_t)n; i++) {
		for (j = 0; j < cfg->naccounts; j++)
			own[k++] = xasprintf("campaigns/%s/log/%s.tsv", names[i], cfg->accounts[j].id);
	}
	ret = publisher_open(&run->pub, ctx->repo, remote, cfg->git_author, "bounces",
			     (const char *const *)own, k);
	if (ret < 0)
		cmd_error("%s", error_last());
	free_list(names, n > 0 ? (size_t)n : 0);
	free_list(own, k);
	return ret;
}

static int sync_bounces(struct cmd_ctx *ctx, int commit, const char *remote)
{
	int lock = -1;
	struct bounce_run run;
	struct config cfg;
	struct diag_list diags = DIAG_LIST_INIT;
	struct mailsync_state state;
	const struct account *a, *first;
	size_t i, mailboxes = 0;
	int code = 1, failed = 0;

	memset(&run, 0, sizeof(run));
	buf_init(&run.report, 1024);
	memset(&state, 0, sizeof(state));
	config_load(&cfg, ctx->repo, &diags);
	for (i = 0; i < cfg.naccounts; i++)
		mailboxes += cfg.accounts[i].imap != NULL;
	if (!mailboxes && !diags.errors) {
		cmd_printf("bounces: no account has an 'imap' mailbox in %s: nothing to read\n", CONFIG_FILE);
		code = 0;
		goto done;
	}
	if (cmd_lock_logs(ctx->repo, &lock) < 0)
		goto done;
	if ((commit || remote) && !diags.errors && open_publisher(&run, ctx, &cfg, remote) < 0)
		goto done;
	run.p = cmd_open_plan(ctx, NULL, 0);
	if (!run.p)
		goto done;
	run.now = clock_now();
	if (run.now == (time_t)-1) {
		cmd_error("%s", error_last());
		goto done;
	}
	if (mailsync_state_load(&state, ctx->repo, BOUNCE_STATE_FILE) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	for (i = 0; i < plan_config(run.p)->naccounts; i++) {
		a = &plan_config(run.p)->accounts[i];
		if (!a->imap)
			continue;
		first = same_mailbox(plan_config(run.p), i);
		if (first) {
			cmd_printf("%s: the same mailbox as %s, read once\n", a->id, first->id);
			continue;
		}
		if (sync_account(&run, ctx->repo, &state, a) < 0)
			failed = 1;
		if (run.plan_failed)
			break;
	}
	code = failed ? 1 : 0;
done:
	results_reset(&run);
	free(run.logs);
	free(run.suppress);
	free(run.suppress_strings);
	buf_release(&run.report);
	strmap_release(&run.recorded, NULL);
	plan_close(run.p);
	publisher_free(run.pub);
	if (lock >= 0)
		close(lock);
	mailsync_state_release(&state);
	config_release(&cfg);
	diag_release(&diags);
	return code;
}

static int run(struct cmd_ctx *ctx)
{
	return cmd_run_sync(ctx, sync_bounces);
}

const struct command cmd_bounces_entry = {
	.name = "bounces",
	.summary = "read delivery reports from the sending mailboxes",
	.opts = cmd_sync_opts,
	.help_column = CMD_SYNC_HELP_COLUMN,
	.flags = NEEDS_REPO,
	.run = run,
};
