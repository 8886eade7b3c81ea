/*
 * The campaign page's chart: messages sent per day, stacked by account, as
 * inline SVG (no script, styled by the theme's s0..s7 classes), with the
 * same numbers as a table for screen readers and for copying.
 */
#include "site_private.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"
#include "xalloc.h"

#define CHART_DAYS_MAX 366
#define CHART_SERIES 8

/* The drawing in SVG units: the plot inside margins for the labels. */
#define CHART_WIDTH 760.0
#define CHART_HEIGHT 260.0
#define CHART_LEFT 48.0
#define CHART_RIGHT 12.0
#define CHART_TOP 12.0
#define CHART_BOTTOM 30.0
#define PLOT_WIDTH (CHART_WIDTH - CHART_LEFT - CHART_RIGHT)
#define PLOT_HEIGHT (CHART_HEIGHT - CHART_TOP - CHART_BOTTOM)

static const char *const month_abbr[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* The days of a campaign page laid out: the last CHART_DAYS_MAX days up to
 * the latest one with a send, one series per account. */
struct chart {
	const char **series; /* interned account ids, in order of their first day */
	size_t nseries;
	long first, ndays; /* day numbers of schedule_day_number() */
	long *sent; /* [day * nseries + series] */
	long *total; /* [day] */
	long sum, max; /* sent over all days, on the busiest day */
	long step, ymax; /* the axis: ticks every step, up to ymax */
	double slot, bar_w; /* width of a day, of its bar */
	int label_every; /* a date under every label_every-th day */
};

/* The chart's days are YYYYMMDD numbers; the calendar is schedule's. */
static long days_from_civil(int ymd)
{
	return (long)schedule_day_number(ymd / 10000, ymd / 100 % 100, ymd % 100);
}

static int civil_from_days(long z)
{
	int64_t y;
	int m, d;

	schedule_civil_date(z, &y, &m, &d);
	return (int)(y * 10000 + m * 100 + d);
}

static long nice_step(long raw)
{
	long p = 1;

	if (raw < 1)
		return 1;
	while (p * 10 <= raw)
		p *= 10;
	if (raw <= p)
		return p;
	if (raw <= 2 * p)
		return 2 * p;
	if (raw <= 5 * p)
		return 5 * p;
	return 10 * p;
}

static void put_day(struct buf *b, int ymd)
{
	buf_addf(b, "%s %d", month_abbr[(ymd / 100 % 100 + 11) % 12], ymd % 100);
}

/* The accounts in order of their first day. */
static void chart_series(struct chart *ch, const struct campaign_page *pg)
{
	size_t i, k;

	ch->series = xcalloc(pg->ndays, sizeof(*ch->series));
	for (i = 0; i < pg->ndays; i++) {
		for (k = 0; k < ch->nseries && ch->series[k] != pg->days[i].account; k++)
			;
		if (k == ch->nseries)
			ch->series[ch->nseries++] = pg->days[i].account;
	}
}

/* The sums by day and account, and the scale; pg has at least one day. */
static void chart_init(struct chart *ch, const struct campaign_page *pg)
{
	size_t i, k;
	long last, day;

	memset(ch, 0, sizeof(*ch));
	chart_series(ch, pg);
	last = days_from_civil(pg->days[pg->ndays - 1].day);
	ch->first = days_from_civil(pg->days[0].day);
	if (last - ch->first + 1 > CHART_DAYS_MAX)
		ch->first = last - CHART_DAYS_MAX + 1;
	ch->ndays = last - ch->first + 1;
	ch->sent = xcalloc((size_t)ch->ndays * ch->nseries, sizeof(*ch->sent));
	ch->total = xcalloc((size_t)ch->ndays, sizeof(*ch->total));
	for (i = 0; i < pg->ndays; i++) {
		day = days_from_civil(pg->days[i].day) - ch->first;
		if (day < 0)
			continue;
		for (k = 0; ch->series[k] != pg->days[i].account; k++)
			;
		ch->sent[day * (long)ch->nseries + (long)k] += pg->days[i].sent;
		ch->total[day] += pg->days[i].sent;
		ch->sum += pg->days[i].sent;
	}
	for (day = 0; day < ch->ndays; day++)
		ch->max = ch->total[day] > ch->max ? ch->total[day] : ch->max;
	ch->step = nice_step((ch->max + 3) / 4);
	ch->ymax = ch->step * ((ch->max + ch->step - 1) / ch->step);
	if (ch->ymax < ch->step)
		ch->ymax = ch->step;
	ch->slot = PLOT_WIDTH / (double)ch->ndays;
	ch->bar_w = ch->slot * 0.7 > 56 ? 56 : ch->slot * 0.7;
	ch->label_every = (int)((ch->ndays + 7) / 8);
}

static void chart_release(struct chart *ch)
{
	free(ch->series);
	free(ch->sent);
	free(ch->total);
}

/* The horizontal lines of the axis, each with its value. */
static void put_chart_grid(struct buf *b, const struct chart *ch)
{
	long tick;
	double y;

	for (tick = 0; tick <= ch->ymax; tick += ch->step) {
		y = CHART_TOP + PLOT_HEIGHT - PLOT_HEIGHT * (double)tick / (double)ch->ymax;
		buf_addf(b, "<line class=\"%s\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
			 "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%ld</text>\n",
			 tick ? "grid-line" : "axis", CHART_LEFT, CHART_WIDTH - CHART_RIGHT, y, y,
			 CHART_LEFT - 6, y + 4, tick);
	}
}

/* One day's bars, stacked from the first account up, and its date when
 * it carries a label. */
static void put_chart_day(struct buf *b, const struct chart *ch, long day)
{
	int ymd = civil_from_days(ch->first + day);
	double x = CHART_LEFT + ch->slot * (double)day + (ch->slot - ch->bar_w) / 2;
	double y = CHART_TOP + PLOT_HEIGHT, h;
	size_t k;

	for (k = 0; k < ch->nseries; k++) {
		long v = ch->sent[day * (long)ch->nseries + (long)k];
		if (!v)
			continue;
		h = PLOT_HEIGHT * (double)v / (double)ch->ymax;
		y -= h;
		buf_addf(b, "<rect class=\"s%zu\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"><title>",
			 k % CHART_SERIES, x, y, ch->bar_w, h);
		put_day(b, ymd);
		buf_adds(b, ", ");
		site_put(b, ch->series[k]);
		buf_addf(b, ": %ld sent</title></rect>\n", v);
	}
	if (day % ch->label_every == 0) {
		buf_addf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
			 CHART_LEFT + ch->slot * (double)day + ch->slot / 2, CHART_HEIGHT - 10);
		put_day(b, ymd);
		buf_adds(b, "</text>\n");
	}
}

static void put_chart_svg(struct buf *b, const struct chart *ch)
{
	long day;
	size_t k;

	buf_adds(b, "<figure class=\"chart\">");
	buf_addf(b, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"Messages sent per day by account: ",
		 CHART_WIDTH, CHART_HEIGHT);
	site_put_count(b, ch->sum);
	buf_addf(b, " over %ld day%s, at most ", ch->ndays, ch->ndays == 1 ? "" : "s");
	site_put_count(b, ch->max);
	buf_adds(b, " a day\" focusable=\"false\">\n");
	put_chart_grid(b, ch);
	for (day = 0; day < ch->ndays; day++)
		put_chart_day(b, ch, day);
	buf_adds(b, "</svg>\n<figcaption><ul class=\"legend\">");
	for (k = 0; k < ch->nseries; k++) {
		buf_addf(b, "<li><span class=\"swatch s%zu\" aria-hidden=\"true\"></span>", k % CHART_SERIES);
		site_put(b, ch->series[k]);
		buf_adds(b, "</li>");
	}
	buf_adds(b, "</ul></figcaption></figure>\n");
}

/* The numbers behind the bars: a row for each day with a send. */
static void put_chart_table(struct buf *b, const struct chart *ch)
{
	long day;
	size_t k;

	buf_adds(b, "<details class=\"as-table\"><summary>Show the numbers</summary>"
		    "<div class=\"table-wrap\" tabindex=\"0\" role=\"group\" aria-label=\"Sent per day\">"
		    "<table class=\"data\" id=\"chart-table\"><thead><tr><th scope=\"col\">Day</th>");
	for (k = 0; k < ch->nseries; k++) {
		buf_adds(b, "<th scope=\"col\" class=\"num\">");
		site_put(b, ch->series[k]);
		buf_adds(b, "</th>");
	}
	buf_adds(b, "<th scope=\"col\" class=\"num\">Total</th></tr></thead><tbody>");
	for (day = 0; day < ch->ndays; day++) {
		int ymd = civil_from_days(ch->first + day);
		if (!ch->total[day])
			continue;
		buf_addf(b, "<tr><th scope=\"row\">%04d-%02d-%02d</th>", ymd / 10000, ymd / 100 % 100,
			 ymd % 100);
		for (k = 0; k < ch->nseries; k++) {
			buf_adds(b, "<td class=\"num\">");
			site_put_count(b, ch->sent[day * (long)ch->nseries + (long)k]);
			buf_adds(b, "</td>");
		}
		buf_adds(b, "<td class=\"num\">");
		site_put_count(b, ch->total[day]);
		buf_adds(b, "</td></tr>");
	}
	buf_adds(b, "</tbody></table></div></details>\n");
}

void site_put_chart(struct buf *b, const struct campaign_page *pg)
{
	struct chart ch;

	if (!pg->ndays) {
		buf_adds(b, "<p class=\"muted\">Nothing sent yet.</p>");
		return;
	}
	chart_init(&ch, pg);
	put_chart_svg(b, &ch);
	put_chart_table(b, &ch);
	chart_release(&ch);
}
