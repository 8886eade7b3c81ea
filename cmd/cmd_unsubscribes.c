/*
 * mailout unsubscribes sync: reads the unsubscribe mailbox and adds every
 * address that asked to recipients/suppressions.tsv.  What a message asks
 * is unsubscribe_classify()'s to say; this reads the mailbox, prints, and
 * publishes the results before the mailbox's state advances.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "imap.h"
#include "mailsync.h"
#include "plan.h"
#include "publish.h"
#include "schedule.h"
#include "sync.h"
#include "token.h"
#include "unsubscribe.h"
#include "xalloc.h"

#define STATE_KEY "unsubscribe"

static const char *const own_files[] = { SUPPRESSIONS_FILE, UNSUBSCRIBE_STATE_FILE };

struct unsub_run {
	struct config cfg;
	struct diag_list diags;
	struct publisher *pub; /* --commit / --push, or NULL */
	struct plan *p;
	struct token_keys *keys;
	struct mailsync_state state;
	struct cmd_mailbox mailbox;
	time_t now;
	/* what each message read came to, and its UID */
	struct unsubscribe_outcome *outcomes;
	unsigned long *uids;
	size_t noutcomes, outcomes_cap, uids_cap;
};

static struct unsubscribe_outcome *add_outcome(struct unsub_run *run, unsigned long uid)
{
	XGROW(run->outcomes, run->outcomes_cap, run->noutcomes + 1);
	XGROW(run->uids, run->uids_cap, run->noutcomes + 1);
	run->uids[run->noutcomes] = uid;
	return &run->outcomes[run->noutcomes++];
}

/* The plan, the keys, the state and the mailbox: 1 when all are there, 0
 * when there is nothing to read, -1 on failure (printed). */
static int open_run(struct unsub_run *run, struct cmd_ctx *ctx, int commit, const char *remote)
{
	config_load(&run->cfg, ctx->repo, &run->diags);
	if (!run->cfg.unsubscribe_mailbox && !run->diags.errors) {
		cmd_printf("unsubscribes: no 'unsubscribe.mailbox' in %s: nothing to read\n", CONFIG_FILE);
		return 0;
	}
	/* with --commit or --push: our files onto the remote's tip first */
	if ((commit || remote) && publisher_open(&run->pub, ctx->repo, remote, run->cfg.git_author,
						 "unsubscribes", own_files, 2) < 0) {
		cmd_error("%s", error_last());
		return -1;
	}
	/* content errors (reported here) stop the sync: the plan maps tokens */
	run->p = cmd_open_plan(ctx, NULL, 0);
	if (!run->p || !run->cfg.unsubscribe_mailbox)
		return -1;
	run->now = clock_now();
	if (run->now == (time_t)-1) {
		cmd_error("%s", error_last());
		return -1;
	}
	if (token_keys_from_env(&run->keys) < 0) {
		cmd_error("cannot verify unsubscribe tokens: %s", error_last());
		return -1;
	}
	if (mailsync_state_load(&run->state, ctx->repo, UNSUBSCRIBE_STATE_FILE) < 0) {
		cmd_error("%s", error_last());
		return -1;
	}
	run->mailbox.label = "unsubscribes";
	run->mailbox.key = STATE_KEY;
	run->mailbox.url = run->cfg.unsubscribe_mailbox;
	if (mailsync_open(&run->mailbox.imap, run->cfg.unsubscribe_mailbox, run->cfg.unsubscribe_username,
			  run->cfg.unsubscribe_password_env, &run->cfg.unsubscribe_tls) < 0) {
		cmd_error("cannot read the unsubscribe mailbox: %s", error_last());
		return -1;
	}
	return 1;
}

/* Judges one message; 0, or -1 when the plan could not be read (printed:
 * nothing is written and the state stays, the mail is read again). */
static int judge(void *payload, unsigned long uid, int r, const struct buf *raw)
{
	struct unsub_run *run = payload;
	struct unsubscribe_outcome *o = add_outcome(run, uid);

	if (r == IMAP_REFUSED) {
		memset(o, 0, sizeof(*o));
		o->verdict = UNSUBSCRIBE_VERDICT_MALFORMED;
		o->detail = xasprintf("ignored: the server would not return it: %s", error_last());
		return 0;
	}
	if (unsubscribe_classify(o, run->p, run->keys, raw->ptr, raw->len, r == IMAP_DAMAGED) < 0) {
		cmd_error("%s", error_last());
		return -1;
	}
	return 0;
}

/* Judges every new message; 0, or -1 when the mailbox or the plan could
 * not be read (printed; a failed fetch only stops the reading). */
static int read_mailbox(struct unsub_run *run)
{
	struct cmd_mailbox *m = &run->mailbox;
	unsigned long after = cmd_mailbox_after(m, &run->state), *uids = NULL;
	size_t n = 0;
	int ret = -1;

	if (imap_search(m->imap, after, NULL, &uids, &n, &m->done_uid) < 0) {
		cmd_error("cannot read the unsubscribe mailbox: %s", error_last());
		goto done;
	}
	cmd_printf("unsubscribes: %s: %zu new message%s\n", m->url, n, n == 1 ? "" : "s");
	ret = cmd_mailbox_fetch(m, uids, n, judge, run);
done:
	free(uids);
	return ret;
}

/* Writes and prints what the messages came to, and publishes it; the
 * number unsubscribed, or -1 (printed). */
static long write_results(struct unsub_run *run, const char *root, long *already)
{
	const struct unsubscribe_outcome *o;
	size_t i, added = 0;
	char *message;
	int rc;

	if (unsubscribe_suppress(root, run->outcomes, run->noutcomes, run->now,
				 run->cfg.hash_suppressions, &added) < 0) {
		cmd_error("%s", error_last());
		return -1;
	}
	for (i = 0; i < run->noutcomes; i++) {
		o = &run->outcomes[i];
		if (o->verdict != UNSUBSCRIBE_VERDICT_UNSUBSCRIBE)
			cmd_printf("  uid %lu: %s\n", run->uids[i], o->detail);
		else
			cmd_printf("  uid %lu: %s%s\n", run->uids[i],
				   o->added ? "unsubscribed " : "already suppressed: ", o->detail);
		*already += o->verdict == UNSUBSCRIBE_VERDICT_UNSUBSCRIBE && !o->added;
	}
	if (!added)
		return 0;
	cmd_printf("updated %s\n", SUPPRESSIONS_FILE);
	/* the results are published before the state advances */
	if (run->pub) {
		message = xasprintf("unsubscribes: %zu unsubscribed", added);
		rc = publisher_commit_push(run->pub, own_files, 1, message);
		free(message);
		if (rc < 0) {
			cmd_error("%s", error_last());
			return -1;
		}
	}
	return (long)added;
}

static void print_summary(const struct unsub_run *run, long unsubscribed, long already)
{
	long count[UNSUBSCRIBE_VERDICTS], ignored;
	size_t i;

	memset(count, 0, sizeof(count));
	for (i = 0; i < run->noutcomes; i++)
		count[run->outcomes[i].verdict]++;
	ignored = (long)run->noutcomes - count[UNSUBSCRIBE_VERDICT_UNSUBSCRIBE];
	cmd_printf("read %zu, unsubscribed %ld, already suppressed %ld, ignored %ld (forged %ld, unknown key %ld, malformed %ld, no token %ld, unknown recipient %ld)\n",
		   run->mailbox.read, unsubscribed, already, ignored, count[UNSUBSCRIBE_VERDICT_FORGED],
		   count[UNSUBSCRIBE_VERDICT_UNKNOWN_KEY], count[UNSUBSCRIBE_VERDICT_MALFORMED],
		   count[UNSUBSCRIBE_VERDICT_NO_TOKEN], count[UNSUBSCRIBE_VERDICT_UNKNOWN_RECIPIENT]);
}

static void run_release(struct unsub_run *run)
{
	size_t i;

	for (i = 0; i < run->noutcomes; i++)
		unsubscribe_outcome_release(&run->outcomes[i]);
	free(run->outcomes);
	free(run->uids);
	cmd_mailbox_release(&run->mailbox);
	token_keys_free(run->keys);
	plan_close(run->p);
	publisher_free(run->pub);
	mailsync_state_release(&run->state);
	config_release(&run->cfg);
	diag_release(&run->diags);
}

static int sync_unsubscribes(struct cmd_ctx *ctx, int commit, const char *remote)
{
	struct unsub_run run;
	long unsubscribed, already = 0;
	int code = 1, rc;

	memset(&run, 0, sizeof(run));
	run.diags = (struct diag_list)DIAG_LIST_INIT;
	rc = open_run(&run, ctx, commit, remote);
	if (rc <= 0) {
		code = rc < 0;
		goto done;
	}
	if (read_mailbox(&run) < 0)
		goto done;
	/* the results first, then the state */
	unsubscribed = write_results(&run, ctx->repo, &already);
	if (unsubscribed < 0 ||
	    cmd_mailbox_advance(&run.mailbox, &run.state, ctx->repo, UNSUBSCRIBE_STATE_FILE, run.pub,
				"unsubscribes: the mailbox is read up to here") < 0)
		goto done;
	print_summary(&run, unsubscribed, already);
	if (run.mailbox.why) {
		cmd_error("the unsubscribe sync stopped before UID %lu: %s", run.mailbox.done_uid + 1,
			  run.mailbox.why);
		goto done;
	}
	code = 0;
done:
	run_release(&run);
	return code;
}

static int run(struct cmd_ctx *ctx)
{
	return cmd_run_sync(ctx, sync_unsubscribes);
}

const struct command cmd_unsubscribes_entry = {
	.name = "unsubscribes",
	.summary = "read unsubscribe requests from the unsubscribe mailbox",
	.description = "Reads the unsubscribe mailbox over IMAP, read-only, and adds each address\n"
		       "that asked to recipients/suppressions.tsv.  It remembers how far it read in\n"
		       "recipients/unsubscribes-sync.tsv, written after the results, so a second\n"
		       "run adds nothing.\n",
	.opts = cmd_sync_opts,
	.help_column = CMD_SYNC_HELP_COLUMN,
	.exit_status = "0 done\n"
		       "1 the mailbox could not be read, or the results not written or published\n"
		       "2 usage: an unknown option, a missing or extra argument\n",
	.flags = NEEDS_REPO,
	.run = run,
};
