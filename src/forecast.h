/*
 * What the plan will send, day by day: a dry run of the sender on a
 * virtual clock, which changes nothing.  `mailout send --dry-run` and
 * `mailout validate --changed-since` print it as a Markdown table.
 */
#ifndef MAILOUT_FORECAST_H
#define MAILOUT_FORECAST_H

#include <time.h>

#include "buf.h"
#include "plan.h"

#define FORECAST_MAX_DAYS 366

struct forecast_campaign {
	const char *id; /* owned by the plan */
	long total;
	time_t first, last; /* of its sends */
	long *per_day; /* indexed like forecast.days */
};

struct forecast {
	int *days; /* yyyymmdd in the organisation's zone, ascending */
	size_t ndays, days_cap;
	struct forecast_campaign *campaigns; /* in the plan's campaign order */
	size_t ncampaigns;
	time_t start, end;
	long horizon; /* seconds simulated: --for, else FORECAST_MAX_DAYS */
	int complete; /* everything pending was placed within the horizon */
};

/* Simulates from start for at most FORECAST_MAX_DAYS (or duration seconds
 * when > 0); on_line (may be NULL) gets every would-be send. */
int forecast_run(struct forecast *out, struct plan *p, time_t start, long duration,
		 void (*on_line)(const char *line, void *payload), void *payload);
/* The table: one row per day, one column per campaign that sends (only
 * those in `only` when it is not NULL), a total row. */
void forecast_markdown(struct buf *out, const struct forecast *f, const char *const *only,
		       size_t nonly);
void forecast_release(struct forecast *f);

#endif
