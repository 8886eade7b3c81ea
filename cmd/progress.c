#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "plan.h"
#include "schedule.h"
#include "xalloc.h"

void progress_init(struct progress *pr, struct plan *p, const struct sender_options *so)
{
	struct campaign_summary *list = NULL;
	struct account_summary *accounts = NULL;
	size_t n = 0, i, k;

	if (plan_accounts(p, clock_now(), &accounts) == 0) {
		pr->accounts = xcalloc(plan_config(p)->naccounts + 1, sizeof(*pr->accounts));
		for (i = 0; i < plan_config(p)->naccounts; i++) {
			int selected = !so->accounts;
			for (k = 0; k < so->naccounts; k++)
				selected |= !strcmp(so->accounts[k], plan_config(p)->accounts[i].id);
			if (!selected)
				continue;
			pr->accounts[pr->naccounts].id = plan_config(p)->accounts[i].id;
			pr->accounts[pr->naccounts].limit = plan_config(p)->accounts[i].daily_limit;
			pr->accounts[pr->naccounts].today = accounts[i].attempts_today;
			pr->naccounts++;
		}
		free(accounts);
	}
	if (plan_summaries(p, clock_now(), &list, &n) == 0) {
		pr->campaigns = xcalloc(n + 1, sizeof(*pr->campaigns));
		for (i = 0; i < n; i++) {
			if (list[i].status != STATUS_ACTIVE && list[i].status != STATUS_ACTIVE_ERROR)
				continue;
			pr->campaigns[pr->ncampaigns].id = list[i].campaign->id;
			pr->campaigns[pr->ncampaigns].total = list[i].recipients;
			pr->campaigns[pr->ncampaigns].done = list[i].recipients - list[i].count[STATE_PENDING] -
							     list[i].count[STATE_RETRYING] -
							     list[i].count[STATE_UNCONFIRMED];
			pr->ncampaigns++;
		}
		plan_summaries_free(list, n);
	}
}

void progress_release(struct progress *pr)
{
	free(pr->accounts);
	free(pr->campaigns);
}

void progress_clear(struct progress *pr)
{
	if (pr->drawn)
		printf("\033[%dA\r\033[J", pr->drawn);
	pr->drawn = 0;
}

void progress_draw(struct progress *pr, int force)
{
	struct timespec now;
	char when[32];
	size_t i;
	int j, fill;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!force && pr->drawn &&
	    (now.tv_sec - pr->last_draw.tv_sec) * 1000 + (now.tv_nsec - pr->last_draw.tv_nsec) / 1000000 < 100)
		return;
	pr->last_draw = now;
	progress_clear(pr);
	for (i = 0; i < pr->naccounts; i++) {
		const struct live_account *a = &pr->accounts[i];
		if (a->last)
			time_format_rfc3339(when, a->last);
		cmd_printf("  %-20s %6ld/%-6ld today  %4ld error%s  %s\n", a->id, a->today, a->limit,
		       a->errors, a->errors == 1 ? " " : "s", a->last ? when : "");
		pr->drawn++;
	}
	for (i = 0; i < pr->ncampaigns; i++) {
		const struct live_campaign *c = &pr->campaigns[i];
		fill = c->total ? (int)(c->done * 30 / c->total) : 30;
		cmd_printf("  %-28s [", c->id);
		for (j = 0; j < 30; j++)
			putchar(j < fill ? '#' : '.');
		cmd_printf("] %3d%%  %ld/%ld\n", c->total ? (int)(c->done * 100 / c->total) : 100, c->done,
		       c->total);
		pr->drawn++;
	}
	fflush(stdout);
}

static void progress_count(struct progress *pr, const struct sender_event *e)
{
	size_t i;

	for (i = 0; i < pr->naccounts; i++) {
		struct live_account *a = &pr->accounts[i];
		if (strcmp(a->id, e->account))
			continue;
		a->today++;
		a->last = e->time;
		a->errors += e->kind != SENDER_SENT && e->kind != SENDER_UNCONFIRMED;
	}
	for (i = 0; i < pr->ncampaigns; i++) {
		if (!strcmp(pr->campaigns[i].id, e->campaign) &&
		    (e->kind == SENDER_SENT || e->kind == SENDER_FAILED))
			pr->campaigns[i].done++;
	}
}


int progress_event(struct progress *pr, const struct sender_event *e)
{
	progress_count(pr, e);
	if (e->kind == SENDER_SENT) {
		progress_draw(pr, 0);
		return 1;
	}
	progress_clear(pr); /* the event line goes above the block */
	return 0;
}

static const char *kind_name(enum sender_event_kind k)
{
	static const char *const names[] = { "sent", "failed", "retry", "deferred", "critical",
					     "unconfirmed", "would send" };
	return names[k];
}

/* The reply an event carries: as the server sent it (its code first), or
 * libcurl's words after the code 0 when there was no reply. */
static void print_reply(const struct sender_event *e)
{
	char code[16];
	const char *text = e->text ? e->text : "";

	if (!e->code && !*text)
		return;
	snprintf(code, sizeof(code), "%d ", e->code);
	if (e->code && !strncmp(text, code, strlen(code)))
		cmd_printf(" %s", text);
	else
		cmd_printf(" %d %s %s", e->code, e->enhanced ? e->enhanced : "", text);
}

void progress_on_event(const struct sender_event *e, void *payload)
{
	struct progress *pr = payload;
	char when[32];

	if (e->kind == SENDER_WARNING) {
		fprintf(stderr, "mailout: %s\n", e->text);
		return;
	}
	pr->events++;
	time_format_rfc3339(when, e->time);
	if (e->kind == SENDER_WOULD_SEND) {
		cmd_printf("%s  %-20s %-28s %s\n", when, e->account, e->campaign, e->recipient);
		return;
	}
	if (pr->tty && progress_event(pr, e))
		return;
	cmd_printf("%s  %-11s %-28s %-16s via %-20s", when, kind_name(e->kind), e->campaign,
	       e->recipient, e->account);
	print_reply(e);
	cmd_printf("\n");
	if (pr->tty)
		progress_draw(pr, 1);
	fflush(stdout);
}
