/*
 * mailout bounces sync: reads the delivery reports (RFC 3464) that arrive
 * in the sending accounts' inboxes; struct bounce_sync (bounce.h) decides
 * and records them as `bounce` events in the campaign logs, which the plan
 * replays, and hard bounces as lines of recipients/suppressions.tsv.  Only
 * messages whose Content-Type mentions a report are fetched, with
 * BODY.PEEK: the managers' own mail is never read nor marked.  A mailbox
 * that cannot be read (the server down, a refused login) is named and the
 * other accounts are read: exit EXIT_SOME_MAILBOXES, not 1, so that a
 * workflow can still send (opt-outs come from `unsubscribes sync`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounce.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "imap.h"
#include "mailsync.h"
#include "plan.h"
#include "publish.h"
#include "schedule.h"
#include "sync.h"
#include "util.h"
#include "xalloc.h"

#define REPORT_SEARCH "HEADER Content-Type report"

/* The exit code when only mailboxes could not be read: the sync of every
 * other account is written, nothing is broken (README, "Bounces"). */
#define EXIT_SOME_MAILBOXES 3

/* What sync_account() came to, besides 0. */
#define SYNC_FAILED (-1)    /* results or state not written: the sync is broken */
#define SYNC_UNREADABLE 1   /* the mailbox could not be read (all or from a UID on) */

struct bounce_run {
	struct bounce_sync sync;
	const struct account *account; /* whose mailbox is read */
	struct publisher *pub; /* --commit / --push, or NULL */
	struct buf report;     /* the lines printed after the results are written */
	long reports, not_reports; /* of the messages read */
	int plan_failed;       /* a plan query failed: the sync stops */
};

/* Appends one account's log lines and suppressions, and publishes them. */
static int results_write(struct bounce_run *run, const char *root)
{
	const struct bounce_sync *s = &run->sync;
	size_t i, n = 0, logs = 0, added = 0;
	const char **files;
	char *message;
	int rc = bounce_sync_write(&run->sync, root, &logs, &added);

	for (i = 0; i < logs; i++)
		cmd_printf("updated %s\n", s->logs[i].path);
	if (rc < 0)
		return -1;
	if (added)
		cmd_printf("updated %s\n", SUPPRESSIONS_FILE);
	/* published before the state advances */
	if (!run->pub || (!s->nlogs && !added))
		return 0;
	files = xcalloc(s->nlogs + 2, sizeof(char *));
	message = xasprintf("bounces: %zu report%s recorded", s->nlogs, s->nlogs == 1 ? "" : "s");
	for (i = 0; i < s->nlogs; i++)
		files[n++] = s->logs[i].path;
	files[n++] = SUPPRESSIONS_FILE;
	rc = publisher_commit_push(run->pub, files, n, message);
	free(files);
	free(message);
	return rc;
}

/* Reads one message of a mailbox, records and describes what it came to;
 * 0, or -1 when the plan could not be read (printed: nothing of this
 * mailbox is written, its state stays). */
static int read_message(void *payload, unsigned long uid, int r, const struct buf *raw)
{
	static const char *const effect[] = {
		[BOUNCE_RECORDED_BEFORE] = "recorded before",
		[BOUNCE_SUPPRESSED] = "the delivery failed, the address is suppressed",
		[BOUNCE_FAILED] = "the delivery failed, not suppressed",
		[BOUNCE_NOTED] = "noted, not suppressed",
	};
	struct bounce_run *run = payload;
	struct bounce_decision dc;
	struct dsn d;

	if (r == IMAP_REFUSED || bounce_parse(&d, raw->ptr, raw->len) < 0) {
		run->not_reports++;
		if (r == IMAP_REFUSED)
			buf_addf_visible(&run->report, "  uid %lu: the server would not return it: %s\n",
					 uid, error_last());
		return 0;
	}
	run->reports++;
	r = bounce_sync_add(&run->sync, &dc, &d, run->account->id);
	if (r < 0) {
		cmd_error("%s: %s", run->account->id, error_last());
		run->plan_failed = 1;
	} else if (dc.outcome == BOUNCE_NO_FAILURE) {
		buf_addf_visible(&run->report, "  uid %lu: delivery report without a failure (%s): nothing to record\n",
				 uid, d.recipients[0].action ? d.recipients[0].action : "no action");
	} else if (dc.outcome == BOUNCE_UNMATCHED) {
		buf_addf_visible(&run->report, "  uid %lu: delivery report for no message of the plan: left alone\n",
				 uid);
	} else {
		buf_addf_visible(&run->report, "  uid %lu: %s %s for recipient %s of %s: %s\n", uid,
				 mailsync_bounce_kind_name(dc.event.kind),
				 dc.block->status ? dc.block->status : "-", dc.recipient, dc.campaign,
				 effect[dc.outcome]);
	}
	bounce_decision_release(&dc);
	dsn_release(&d);
	return r;
}

/* Reads the new reports of one mailbox; 0, SYNC_UNREADABLE when the mailbox
 * could not be searched, or SYNC_FAILED when the plan could not be read
 * (printed; a failed fetch only stops the reading). */
static int read_reports(struct bounce_run *run, struct cmd_mailbox *m, unsigned long after)
{
	const struct account *a = run->account;
	unsigned long *all = NULL, *uids = NULL;
	size_t nall = 0, n = 0;
	int ret = SYNC_UNREADABLE;

	if (imap_search(m->imap, after, NULL, &all, &nall, &m->done_uid) < 0 ||
	    imap_search(m->imap, after, REPORT_SEARCH, &uids, &n, NULL) < 0) {
		cmd_error("%s: cannot read the mailbox: %s", a->id, error_last());
		goto done;
	}
	cmd_printf("%s: %s: %zu new message%s, %zu that may be delivery reports\n", a->id, a->imap, nall,
		   nall == 1 ? "" : "s", n);
	ret = cmd_mailbox_fetch(m, uids, n, read_message, run) < 0 ? SYNC_FAILED : 0;
done:
	free(all);
	free(uids);
	return ret;
}

/* Reads one account's mailbox; 0, SYNC_UNREADABLE when (some of) the
 * mailbox could not be read, SYNC_FAILED when its results could not be
 * written (printed; what was read is written either way). */
static int sync_account(struct bounce_run *run, const char *root, struct mailsync_state *state,
			const struct account *a)
{
	struct cmd_mailbox m = { a->id, a->id, a->imap, NULL, 0, NULL, 0 };
	const long *o = run->sync.outcomes, *k = run->sync.kinds;
	int ret = SYNC_UNREADABLE;

	run->account = a;
	bounce_sync_clear(&run->sync);
	buf_reset(&run->report);
	run->reports = run->not_reports = 0;
	if (mailsync_open_account(&m.imap, a) < 0) {
		cmd_error("%s: cannot read the mailbox: %s", a->id, error_last());
		goto done;
	}
	ret = read_reports(run, &m, cmd_mailbox_after(&m, state));
	if (ret)
		goto done;
	ret = SYNC_FAILED;
	if (results_write(run, root) < 0) {
		cmd_error("%s: %s", a->id, error_last());
		goto done;
	}
	fputs(run->report.ptr, stdout);
	if (cmd_mailbox_advance(&m, state, root, BOUNCE_STATE_FILE, run->pub,
				"bounces: the mailboxes are read up to here") < 0)
		goto done;
	cmd_printf("%s: read %zu, delivery reports %ld (hard bounces %ld, temporary %ld, policy %ld, other %ld, unmatched %ld, no failure %ld, recorded before %ld), not delivery reports %ld\n",
		   a->id, m.read, run->reports, k[BOUNCE_HARD], k[BOUNCE_TEMPORARY], k[BOUNCE_POLICY],
		   k[BOUNCE_OTHER] + k[BOUNCE_NONE], o[BOUNCE_UNMATCHED], o[BOUNCE_NO_FAILURE],
		   o[BOUNCE_RECORDED_BEFORE], run->not_reports);
	ret = 0;
	if (m.why) {
		cmd_error("%s: the sync stopped before UID %lu: %s", a->id, m.done_uid + 1, m.why);
		ret = SYNC_UNREADABLE;
	}
done:
	cmd_mailbox_release(&m);
	return ret;
}

/* --commit / --push: the publisher of the files a bounce sync may write. */
static int open_publisher(struct bounce_run *run, struct cmd_ctx *ctx, const struct config *cfg,
			  const char *remote)
{
	size_t n = 0;
	char **own = bounce_sync_files(ctx->repo, cfg, &n);
	int ret = publisher_open(&run->pub, ctx->repo, remote, cfg->git_author, "bounces",
				 (const char *const *)own, n);

	if (ret < 0)
		cmd_error("%s", error_last());
	free_list(own, n);
	return ret;
}

/* Reads every account's mailbox once, until a plan query fails: the exit
 * code, 1 when the sync of any failed, else EXIT_SOME_MAILBOXES when a
 * mailbox could not be read (one line names how many). */
static int sync_accounts(struct bounce_run *run, const char *root, struct mailsync_state *state,
			 const struct config *cfg)
{
	const struct account *a, *first;
	size_t i, mailboxes = 0, unreadable = 0;
	int failed = 0, r;

	for (i = 0; i < cfg->naccounts && !run->plan_failed; i++) {
		a = &cfg->accounts[i];
		if (!a->imap)
			continue;
		first = bounce_mailbox_read_before(cfg, i);
		if (first) {
			cmd_printf("%s: the same mailbox as %s, read once\n", a->id, first->id);
			continue;
		}
		mailboxes++;
		r = sync_account(run, root, state, a);
		if (r == SYNC_UNREADABLE)
			unreadable++;
		else if (r < 0)
			failed = 1;
	}
	if (failed || run->plan_failed)
		return 1;
	if (!unreadable)
		return 0;
	cmd_error("%zu of %zu mailbox%s could not be read (named above)", unreadable, mailboxes,
		  mailboxes == 1 ? "" : "es");
	return EXIT_SOME_MAILBOXES;
}

static int sync_bounces(struct cmd_ctx *ctx, int commit, const char *remote)
{
	int lock = -1;
	struct bounce_run run;
	struct config cfg;
	struct diag_list diags = DIAG_LIST_INIT;
	struct mailsync_state state;
	size_t i, mailboxes = 0;
	struct plan *p = NULL;
	time_t now;
	int code = 1;

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
	p = cmd_open_plan(ctx, NULL, 0);
	if (!p)
		goto done;
	now = clock_now();
	if (now == (time_t)-1) {
		cmd_error("%s", error_last());
		goto done;
	}
	bounce_sync_init(&run.sync, p, now);
	run.sync.hash_suppressions = cfg.hash_suppressions;
	if (mailsync_state_load(&state, ctx->repo, BOUNCE_STATE_FILE) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	code = sync_accounts(&run, ctx->repo, &state, plan_config(p));
done:
	bounce_sync_release(&run.sync);
	buf_release(&run.report);
	plan_close(p);
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
	.description = "Reads the delivery reports (RFC 3464) in each account's imap: mailbox,\n"
		       "read-only, records each in the log of the delivery it is about and\n"
		       "suppresses the addresses that bounced hard.  It remembers how far it read\n"
		       "in recipients/bounces-sync.tsv, written after the results.\n",
	.opts = cmd_sync_opts,
	.help_column = CMD_SYNC_HELP_COLUMN,
	.exit_status = "0 done: every mailbox was read\n"
		       "1 the results could not be written or published\n"
		       "2 usage: an unknown option, a missing or extra argument\n"
		       "3 some mailboxes could not be read (named); the others were\n",
	.flags = NEEDS_REPO,
	.run = run,
};
