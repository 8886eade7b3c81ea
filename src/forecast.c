#include "forecast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"
#include "sender.h"
#include "xalloc.h"

struct collect {
	struct forecast *f;
	struct plan *p;
	void (*on_line)(const char *line, void *payload);
	void *payload;
	struct buf line;
};

static size_t day_index(struct forecast *f, int day)
{
	size_t i, j;

	for (i = 0; i < f->ndays && f->days[i] < day; i++)
		;
	if (i < f->ndays && f->days[i] == day)
		return i;
	XGROW(f->days, f->days_cap, f->ndays + 1);
	memmove(f->days + i + 1, f->days + i, (f->ndays - i) * sizeof(int));
	f->days[i] = day;
	for (j = 0; j < f->ncampaigns; j++) {
		struct forecast_campaign *c = &f->campaigns[j];
		c->per_day = xrealloc(c->per_day, (f->ndays + 1) * sizeof(long));
		memmove(c->per_day + i + 1, c->per_day + i, (f->ndays - i) * sizeof(long));
		c->per_day[i] = 0;
	}
	f->ndays++;
	return i;
}

static void on_event(const struct sender_event *e, void *payload)
{
	struct collect *col = payload;
	struct forecast *f = col->f;
	size_t i, d;
	char when[32];

	if (e->kind != SENDER_WOULD_SEND)
		return;
	d = day_index(f, schedule_day(&plan_config(col->p)->schedule, e->time));
	for (i = 0; i < f->ncampaigns; i++) {
		struct forecast_campaign *c = &f->campaigns[i];
		if (strcmp(c->id, e->campaign))
			continue;
		c->per_day[d]++;
		c->total++;
		if (!c->first)
			c->first = e->time;
		c->last = e->time;
	}
	if (col->on_line) {
		time_format_rfc3339(when, e->time);
		buf_reset(&col->line);
		buf_addf(&col->line, "%s  %-20s %-28s %s", when, e->account, e->campaign, e->recipient);
		col->on_line(col->line.ptr, col->payload);
	}
}

int forecast_run(struct forecast *out, struct plan *p, time_t start, long duration,
		 void (*on_line)(const char *line, void *payload), void *payload)
{
	struct sender_options so;
	struct sender_report report;
	struct collect col;
	long waiting;
	size_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(&so, 0, sizeof(so));
	memset(&col, 0, sizeof(col));
	buf_init(&col.line, 0);
	out->campaigns = xcalloc(plan_campaigns(p)->count + 1, sizeof(*out->campaigns));
	for (i = 0; i < plan_campaigns(p)->count; i++) {
		out->campaigns[out->ncampaigns].id = plan_campaigns(p)->items[i].id;
		out->campaigns[out->ncampaigns].per_day = xcalloc(1, sizeof(long));
		out->ncampaigns++;
	}
	col.f = out;
	col.p = p;
	col.on_line = on_line;
	col.payload = payload;
	so.now = start;
	so.duration = duration > 0 ? duration : (long)FORECAST_MAX_DAYS * 86400;
	out->horizon = so.duration;
	so.dry_run = 1;
	so.on_event = on_event;
	so.payload = &col;
	ret = sender_run(p, &so, &report);
	out->start = report.started;
	out->end = report.ended ? report.ended : report.started;
	/* complete when nothing active is left pending after the simulation
	 * (the dry run rolled back: compare what it placed with what waits) */
	if (ret == 0) {
		ret = plan_waiting_deliveries(p, &waiting);
		out->complete = ret == 0 && waiting <= report.sent;
	}
	buf_release(&col.line);
	return ret;
}

static int wanted(const char *id, const char *const *only, size_t nonly)
{
	size_t i;

	if (!only)
		return 1;
	for (i = 0; i < nonly; i++) {
		if (!strcmp(only[i], id))
			return 1;
	}
	return 0;
}

/* "3 days", "36 hours", "90 minutes", "1 second": the largest whole unit. */
static void horizon_text(struct buf *out, long secs)
{
	static const char *const names[] = { "day", "hour", "minute", "second" };
	static const long scale[] = { 86400, 3600, 60, 1 };
	size_t i = 0;

	while (i < 3 && secs % scale[i])
		i++;
	buf_addf(out, "%ld %s%s", secs / scale[i], names[i], secs / scale[i] == 1 ? "" : "s");
}

void forecast_markdown(struct buf *out, const struct forecast *f, const char *const *only,
		       size_t nonly)
{
	size_t i, j, shown = 0;
	long total;

	for (j = 0; j < f->ncampaigns; j++)
		shown += f->campaigns[j].total > 0 && wanted(f->campaigns[j].id, only, nonly);
	if (!shown) {
		buf_adds(out, "Nothing will be sent.\n");
		return;
	}
	buf_adds(out, "| day |");
	for (j = 0; j < f->ncampaigns; j++) {
		if (f->campaigns[j].total > 0 && wanted(f->campaigns[j].id, only, nonly))
			buf_addf(out, " %s |", f->campaigns[j].id);
	}
	buf_adds(out, " total |\n|---|");
	for (i = 0; i < shown; i++)
		buf_adds(out, "---:|");
	buf_adds(out, "---:|\n");
	for (i = 0; i < f->ndays; i++) {
		total = 0;
		for (j = 0; j < f->ncampaigns; j++) {
			if (f->campaigns[j].total > 0 && wanted(f->campaigns[j].id, only, nonly))
				total += f->campaigns[j].per_day[i];
		}
		if (!total)
			continue; /* a day only other campaigns send on */
		total = 0;
		buf_addf(out, "| %04d-%02d-%02d |", f->days[i] / 10000, f->days[i] / 100 % 100,
			 f->days[i] % 100);
		for (j = 0; j < f->ncampaigns; j++) {
			const struct forecast_campaign *c = &f->campaigns[j];
			if (c->total > 0 && wanted(c->id, only, nonly)) {
				buf_addf(out, " %ld |", c->per_day[i]);
				total += c->per_day[i];
			}
		}
		buf_addf(out, " %ld |\n", total);
	}
	total = 0;
	buf_adds(out, "| **total** |");
	for (j = 0; j < f->ncampaigns; j++) {
		const struct forecast_campaign *c = &f->campaigns[j];
		if (c->total > 0 && wanted(c->id, only, nonly)) {
			buf_addf(out, " **%ld** |", c->total);
			total += c->total;
		}
	}
	buf_addf(out, " **%ld** |\n", total);
	if (!f->complete) {
		buf_adds(out, "\nNot everything is placed within ");
		horizon_text(out, f->horizon);
		buf_adds(out, ": some recipients wait longer.\n");
	}
}

void forecast_release(struct forecast *f)
{
	size_t i;

	for (i = 0; i < f->ncampaigns; i++)
		free(f->campaigns[i].per_day);
	free(f->campaigns);
	free(f->days);
	memset(f, 0, sizeof(*f));
}
