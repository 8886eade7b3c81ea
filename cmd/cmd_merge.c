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

int cmd_merge(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct opt opts[] = { { "into", 1, 0, NULL, NULL, 0 }, { "name", 1, 0, NULL, NULL, 0 },
			      { NULL, 0, 0, NULL, NULL, 0 } };
	struct campaign_undo undo = CAMPAIGN_UNDO_INIT;
	struct diag_list diags = DIAG_LIST_INIT;
	const struct campaign **sources = NULL;
	const char *into, *name;
	char *paused = NULL;
	struct plan *p = NULL;
	char **args = NULL;
	size_t nargs = 0, i, j;
	int r, code = 1;

	r = opts_parse(ctx, argc, argv, opts, &args, &nargs);
	if (r)
		return r > 0 ? 0 : EXIT_USAGE;
	into = opts[0].value;
	name = opts[1].value;
	code = EXIT_USAGE;
	if (nargs < 2) {
		cmd_usage_error(ctx, "name at least two campaigns to merge");
		goto done;
	}
	if (!into) {
		cmd_usage_error(ctx, "which campaign should they become? (--into ID)");
		goto done;
	}
	if (campaign_id_check(into) < 0) {
		cmd_usage_error(ctx, "invalid campaign id '%s': use lower-case letters, digits and '-', starting with a letter or digit",
				into);
		goto done;
	}
	if (name && (!*name || !header_safe(name, strlen(name)))) {
		cmd_usage_error(ctx, "the name must not be empty or hold a line break");
		goto done;
	}
	for (i = 0; i < nargs; i++) {
		for (j = 0; j < i; j++) {
			if (!strcmp(args[i], args[j])) {
				cmd_usage_error(ctx, "campaign '%s' is named twice", args[i]);
				goto done;
			}
		}
	}
	code = 1;
	p = cmd_open_plan(ctx, NULL, 0);
	if (!p)
		goto done;
	sources = xcalloc(nargs, sizeof(*sources));
	for (i = 0; i < nargs; i++) {
		sources[i] = campaigns_find(plan_campaigns(p), args[i]);
		if (!sources[i]) {
			cmd_error("unknown campaign '%s'", args[i]);
			goto done;
		}
		if (!paused && sources[i]->status == CAMPAIGN_PAUSED)
			paused = xstrdup(sources[i]->id);
	}
	if (campaign_merge(ctx->repo, sources, nargs, into, name, clock_now(), &undo) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	/* the plan must take the merge; otherwise nothing changes */
	plan_close(p);
	p = NULL;
	if (plan_open(&p, ctx->repo, NULL, 0, &diags) < 0) {
		diag_sort(&diags);
		diag_print(stderr, &diags);
		if (!diags.errors)
			cmd_error("%s", error_last());
		if (campaign_undo_apply(&undo) < 0)
			cmd_error("%s", error_last());
		cmd_error("the plan cannot take the merge; nothing was changed");
		goto done;
	}
	code = print_result(p, into, args, nargs, paused);
done:
	campaign_undo_release(&undo);
	diag_release(&diags);
	free(sources);
	free(paused);
	plan_close(p);
	opts_release(opts, args);
	return code;
}
