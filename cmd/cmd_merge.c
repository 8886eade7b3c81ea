#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "campaign.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "plan.h"
#include "schedule.h"
#include "xalloc.h"

/* "'a', 'b' and 'c'" */
static void add_id_list(struct buf *b, char **ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_addf(b, "%s'%s'", i == 0 ? "" : i + 1 == n ? " and " : ", ", ids[i]);
}

/* "60 recipients: 18 sent so far, 1 failed, 41 pending" */
static void add_counts(struct buf *b, const struct campaign_summary *s)
{
	static const enum delivery_state shown[] = { STATE_FAILED, STATE_RETRYING,
						      STATE_UNCONFIRMED, STATE_SUPPRESSED,
						      STATE_SKIPPED };
	size_t i;

	buf_addf(b, "%ld recipient%s: %ld sent so far", s->recipients, s->recipients == 1 ? "" : "s",
		 s->count[STATE_SENT]);
	for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		if (s->count[shown[i]])
			buf_addf(b, ", %ld %s", s->count[shown[i]], delivery_state_name(shown[i]));
	}
	buf_addf(b, ", %ld pending", s->count[STATE_PENDING]);
}

/* The merged campaign's counts from the refreshed plan; paused names a
 * source that was paused (NULL: none). */
static int print_result(struct plan *p, const char *into, char **ids, size_t n,
			const char *paused)
{
	struct campaign_summary *list = NULL;
	struct buf line = BUF_INIT;
	size_t count = 0, i;
	int code = 1;

	if (plan_summaries(p, clock_now(), &list, &count) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	for (i = 0; i < count && strcmp(list[i].campaign->id, into); i++)
		;
	if (i == count) {
		cmd_error("campaign '%s' is missing from the plan", into);
		goto done;
	}
	buf_adds(&line, "merge: ");
	add_id_list(&line, ids, n);
	buf_addf(&line, " merged into '%s' (campaigns/%s/campaign.yaml)\n%s: ", into, into, into);
	add_counts(&line, &list[i]);
	buf_addc(&line, '\n');
	if (paused)
		buf_addf(&line, "%s: paused, as '%s' was; 'mailout resume %s' starts it\n", into,
			 paused, into);
	fputs(line.ptr, stdout);
	code = 0;
done:
	buf_release(&line);
	plan_summaries_free(list, count);
	return code;
}

static const char *into, *name;

static const struct opt_spec opts[] = {
	OPT_ARG("CAMPAIGN", 0, NULL),
	OPT_ARG("CAMPAIGN...", 0, NULL),
	OPT_VALUE_USAGE("into", &into, "ID", USAGE_REQUIRED, NULL,
			"the new campaign: the union of theirs, with their history"),
	OPT_VALUE("name", &name, "NAME", "its name (default: the first one's name and \"(merged)\")"),
	OPT_END
};

static int check_args(struct cmd_ctx *ctx)
{
	size_t i, j;

	if (ctx->nargs < 2) {
		cmd_usage_error(ctx, "name at least two campaigns to merge");
		return EXIT_USAGE;
	}
	if (!into) {
		cmd_usage_error(ctx, "which campaign should they become? (--into ID)");
		return EXIT_USAGE;
	}
	if (campaign_id_check(into) < 0) {
		cmd_usage_error(ctx, "invalid campaign id '%s': use lower-case letters, digits and '-', starting with a letter or digit",
				into);
		return EXIT_USAGE;
	}
	if (name && (!*name || !header_safe(name, strlen(name)))) {
		cmd_usage_error(ctx, "the name must not be empty or hold a line break");
		return EXIT_USAGE;
	}
	for (i = 0; i < ctx->nargs; i++) {
		for (j = 0; j < i; j++) {
			if (!strcmp(ctx->args[i], ctx->args[j])) {
				cmd_usage_error(ctx, "campaign '%s' is named twice", ctx->args[i]);
				return EXIT_USAGE;
			}
		}
	}
	return 0;
}

static int run(struct cmd_ctx *ctx)
{
	struct campaign_undo undo = CAMPAIGN_UNDO_INIT;
	struct diag_list diags = DIAG_LIST_INIT;
	const struct campaign **sources = ctx->campaigns;
	char *paused = NULL;
	size_t nargs = ctx->nargs, i;
	int code = 1;

	for (i = 0; i < nargs; i++) {
		if (!paused && sources[i]->status == CAMPAIGN_PAUSED)
			paused = xstrdup(sources[i]->id);
	}
	if (campaign_merge(ctx->repo, sources, nargs, into, name, clock_now(), &undo) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	/* the plan must take the merge; otherwise nothing changes */
	plan_close(ctx->plan);
	ctx->plan = NULL;
	if (plan_open(&ctx->plan, ctx->repo, NULL, 0, &diags) < 0) {
		diag_sort(&diags);
		diag_print(stderr, &diags);
		if (!diags.errors)
			cmd_error("%s", error_last());
		if (campaign_undo_apply(&undo) < 0)
			cmd_error("%s", error_last());
		cmd_error("the plan cannot take the merge; nothing was changed");
		goto done;
	}
	code = print_result(ctx->plan, into, ctx->args, nargs, paused);
done:
	campaign_undo_release(&undo);
	diag_release(&diags);
	free(paused);
	return code;
}

const struct command cmd_merge_entry = {
	.name = "merge",
	.summary = "merge campaigns that share template, type and owner",
	.description = "Merges campaigns that duplicate each other into one new campaign ID.  They\n"
		       "must share template, recipient type and owner; otherwise the merge is\n"
		       "refused, naming what differs, and nothing changes.  Nobody already mailed by\n"
		       "one of them is mailed again.\n",
	.opts = opts,
	.help_column = 18,
	.notes = "The campaigns merged get status merged and send nothing more.\n",
	.flags = NEEDS_REPO | NEEDS_PLAN | CAMPAIGN_ARGS,
	.check = check_args,
	.run = run,
};
