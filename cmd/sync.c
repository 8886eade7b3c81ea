#include "sync.h"

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "diag.h"
#include "xalloc.h"

unsigned long cmd_mailbox_after(const struct cmd_mailbox *m, const struct mailsync_state *s)
{
	const struct mailsync_mark *mark = mailsync_state_get(s, m->key);
	unsigned long after = mailsync_state_after(s, m->key, m->url, imap_uidvalidity(m->imap));

	if (mark && !after && mark->last_uid)
		cmd_printf("%s: the mailbox's URL or UIDVALIDITY changed since the last sync: reading it from the start\n",
			   m->label);
	return after;
}

int cmd_mailbox_fetch(struct cmd_mailbox *m, const unsigned long *uids, size_t n, cmd_message_fn fn,
		      void *payload)
{
	struct buf raw = BUF_INIT;
	size_t i;
	int r, ret = 0;

	for (i = 0; i < n && !ret; i++) {
		r = imap_fetch(m->imap, uids[i], &raw);
		if (r < 0) {
			m->why = xstrdup(error_last());
			m->done_uid = uids[i] - 1;
			break;
		}
		if (r == IMAP_GONE)
			continue;
		m->read++;
		ret = fn(payload, uids[i], r, &raw);
	}
	buf_release(&raw);
	return ret < 0 ? -1 : 0;
}

int cmd_mailbox_advance(const struct cmd_mailbox *m, struct mailsync_state *s, const char *root,
			const char *rel, struct publisher *pub, const char *message)
{
	int rc = mailsync_state_advance(s, root, rel, m->key, m->url, imap_uidvalidity(m->imap),
					m->done_uid);

	if (rc > 0) {
		cmd_printf("updated %s\n", rel);
		if (pub)
			rc = publisher_commit_push(pub, &rel, 1, message);
	}
	if (rc < 0)
		cmd_error("%s", error_last());
	return rc < 0 ? -1 : 0;
}

void cmd_mailbox_release(struct cmd_mailbox *m)
{
	imap_close(m->imap);
	free(m->why);
	m->imap = NULL;
	m->why = NULL;
}

/* `unsubscribes sync` and `bounces sync` */
static int sync_commit;
static const char *sync_push;

const struct opt_spec cmd_sync_opts[] = {
	OPT_ARG("sync", 0, NULL),
	OPT_SWITCH("commit", &sync_commit, "commit what the sync wrote"),
	OPT_VALUE("push", &sync_push, "REMOTE", "commit and push (the results first, then the state)"),
	OPT_END
};

int cmd_run_sync(struct cmd_ctx *ctx, int (*sync)(struct cmd_ctx *ctx, int commit, const char *remote))
{
	if (ctx->nargs == 0)
		cmd_usage_error(ctx, "missing the action: 'sync'");
	else if (strcmp(ctx->args[0], "sync"))
		cmd_usage_error(ctx, "unknown action '%s': the only one is 'sync'", ctx->args[0]);
	else if (ctx->nargs > 1)
		cmd_usage_error(ctx, "unexpected argument '%s'", ctx->args[1]);
	else
		return sync(ctx, sync_commit, sync_push);
	return EXIT_USAGE;
}
