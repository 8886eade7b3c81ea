#include "schedule.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "diag.h"
#include "xalloc.h"

#define DAY 86400
#define TZ_FILE_MAX (1 << 20)
#define TZ_TABLE_LAST_YEAR 2100
#define SEARCH_DAYS 800 /* how far ahead the schedule looks: about two years */

/* ---- calendar arithmetic (proleptic Gregorian, days since 1970-01-01) ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* Linear in d, so days past the end of the month carry over. */
static int64_t days_from_civil(int64_t y, int m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y += floor_div(m - 1, 12);
	m = (int)(m - 1 - floor_div(m - 1, 12) * 12) + 1;
	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int64_t schedule_day_number(int64_t year, int month, int64_t day)
{
	return days_from_civil(year, month, day);
}

void schedule_civil_date(int64_t dn, int64_t *year, int *month, int *day)
{
	civil_from_days(dn, year, month, day);
}

static int weekday_of(int64_t dn)
{
	return (int)(dn - floor_div(dn + 4, 7) * 7 + 4);
}

/* ---- time zones ---- */

struct tz_type {
	int32_t utoff;
	unsigned char isdst;
	unsigned abbr; /* offset into abbrs */
};

/* A date of a POSIX TZ rule: Mm.w.d, Jn (no leap day) or n (zero-based). */
struct tz_when {
	char kind; /* 'M', 'J' or 'N' */
	int mon, week, wday, n;
	int32_t secs; /* local time of day of the change, may exceed a day */
};

struct tz {
	struct tz *next;
	char *name;
	int64_t *times; /* ascending transitions, the file's then the footer's */
	uint16_t *idx;  /* type after each transition */
	size_t ntimes;
	struct tz_type *types;
	size_t ntypes;
	char *abbrs;
	/* The footer's daylight-saving rule, followed from rule_from on. */
	int rule;
	int64_t rule_from;
	int32_t std_off, dst_off;
	struct tz_when start, end;
	unsigned std_type, dst_type;
};

/* the zones read so far: found and added under tz_lock (the campaigns are
 * loaded on several threads), never changed or freed until the end */
static struct tz *tz_cache;
static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct tz *clock_zone;

static int64_t rule_change(int64_t year, const struct tz_when *w, int32_t off_before)
{
	int64_t dn;

	if (w->kind == 'M') {
		int64_t first = days_from_civil(year, w->mon, 1);
		int shift = (w->wday - weekday_of(first) + 7) % 7;

		dn = first + shift + (int64_t)(w->week - 1) * 7;
		while (dn >= first + month_days(year, w->mon))
			dn -= 7;
	} else if (w->kind == 'J') {
		dn = days_from_civil(year, 1, 1) + w->n - 1 + (is_leap(year) && w->n >= 60);
	} else {
		dn = days_from_civil(year, 1, 1) + w->n;
	}
	return dn * DAY + w->secs - off_before;
}

static void rule_year(const struct tz *z, int64_t year, int64_t *start, int64_t *end)
{
	*start = rule_change(year, &z->start, z->std_off);
	*end = rule_change(year, &z->end, z->dst_off);
}

static int rule_isdst(const struct tz *z, int64_t t)
{
	int64_t y, s, e;
	int m, d;

	civil_from_days(floor_div(t + z->std_off, DAY), &y, &m, &d);
	rule_year(z, y, &s, &e);
	if (s < e)
		return t >= s && t < e;
	return !(t >= e && t < s);
}

static const struct tz_type *tz_type_at(const struct tz *z, int64_t t)
{
	size_t lo, hi;

	if (z->rule && t >= z->rule_from)
		return &z->types[rule_isdst(z, t) ? z->dst_type : z->std_type];
	if (!z->ntimes || t < z->times[0])
		return &z->types[0];
	lo = 0;
	hi = z->ntimes;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (z->times[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return &z->types[z->idx[lo]];
}

static int32_t tz_offset(const struct tz *z, int64_t t)
{
	return z ? tz_type_at(z, t)->utoff : 0;
}

/* ---- POSIX TZ strings (the TZif footer) ---- */

static int is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int tzs_name(const char **p, char *out, size_t size)
{
	const char *s = *p, *from;
	size_t n;

	if (*s == '<') {
		from = ++s;
		while (is_alpha(*s) || is_digit(*s) || *s == '+' || *s == '-')
			s++;
		if (*s != '>')
			return -1;
		n = (size_t)(s - from);
		s++;
	} else {
		from = s;
		while (is_alpha(*s))
			s++;
		n = (size_t)(s - from);
	}
	if (n < 3 || n >= size)
		return -1;
	memcpy(out, from, n);
	out[n] = '\0';
	*p = s;
	return 0;
}

static int tzs_number(const char **p, int max, int *out)
{
	const char *s = *p;
	int v = 0;

	if (!is_digit(*s))
		return -1;
	while (is_digit(*s)) {
		v = v * 10 + (*s++ - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	*p = s;
	return 0;
}

/* [+-]hh[:mm[:ss]] with hours up to max_hours. */
static int tzs_hms(const char **p, int max_hours, int32_t *out)
{
	const char *s = *p;
	int sign = 1, h, m = 0, sec = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (tzs_number(&s, max_hours, &h) < 0)
		return -1;
	if (*s == ':') {
		s++;
		if (tzs_number(&s, 59, &m) < 0)
			return -1;
		if (*s == ':') {
			s++;
			if (tzs_number(&s, 59, &sec) < 0)
				return -1;
		}
	}
	*out = sign * (h * 3600 + m * 60 + sec);
	*p = s;
	return 0;
}

static int tzs_when(const char **p, struct tz_when *w)
{
	const char *s = *p;

	memset(w, 0, sizeof(*w));
	if (*s == 'M') {
		s++;
		w->kind = 'M';
		if (tzs_number(&s, 12, &w->mon) < 0 || w->mon < 1 || *s++ != '.' ||
		    tzs_number(&s, 5, &w->week) < 0 || w->week < 1 || *s++ != '.' ||
		    tzs_number(&s, 6, &w->wday) < 0)
			return -1;
	} else if (*s == 'J') {
		s++;
		w->kind = 'J';
		if (tzs_number(&s, 365, &w->n) < 0 || w->n < 1)
			return -1;
	} else {
		w->kind = 'N';
		if (tzs_number(&s, 365, &w->n) < 0)
			return -1;
	}
	w->secs = 7200;
	if (*s == '/') {
		s++;
		if (tzs_hms(&s, 167, &w->secs) < 0)
			return -1;
	}
	*p = s;
	return 0;
}

struct tzs {
	char std_name[64], dst_name[64];
	int32_t std_off, dst_off; /* seconds east of UTC */
	int has_dst;
	struct tz_when start, end;
};

static int tzs_parse(const char *s, struct tzs *out)
{
	int32_t v;

	memset(out, 0, sizeof(*out));
	if (tzs_name(&s, out->std_name, sizeof(out->std_name)) < 0 || tzs_hms(&s, 24, &v) < 0)
		return -1;
	out->std_off = -v;
	if (!*s)
		return 0;
	if (tzs_name(&s, out->dst_name, sizeof(out->dst_name)) < 0)
		return -1;
	out->has_dst = 1;
	out->dst_off = out->std_off + 3600;
	if (*s && *s != ',') {
		if (tzs_hms(&s, 24, &v) < 0)
			return -1;
		out->dst_off = -v;
	}
	if (!*s) {
		/* No rule given: the traditional US default, as the C library does. */
		out->start = (struct tz_when){ 'M', 3, 2, 0, 0, 7200 };
		out->end = (struct tz_when){ 'M', 11, 1, 0, 0, 7200 };
		return 0;
	}
	if (*s++ != ',' || tzs_when(&s, &out->start) < 0 || *s++ != ',' ||
	    tzs_when(&s, &out->end) < 0 || *s)
		return -1;
	return 0;
}

/* ---- TZif files (RFC 8536) ---- */

struct tzif_head {
	int version;
	size_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be_time(const unsigned char *p, size_t size)
{
	if (size == 4)
		return (int32_t)be32(p);
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int tzif_head(const unsigned char *p, size_t len, struct tzif_head *h)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	h->version = p[4];
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return 0;
}

static size_t tzif_block(const struct tzif_head *h, size_t timesize)
{
	return h->timecnt * (timesize + 1) + h->typecnt * 6 + h->charcnt +
	       h->leapcnt * (timesize + 4) + h->isstdcnt + h->isutcnt;
}

static void tz_free(struct tz *z)
{
	if (!z)
		return;
	free(z->name);
	free(z->times);
	free(z->idx);
	free(z->types);
	free(z->abbrs);
	free(z);
}

static int tz_same_type(const struct tz *z, unsigned a, unsigned b)
{
	return z->types[a].utoff == z->types[b].utoff &&
	       z->types[a].isdst == z->types[b].isdst &&
	       !strcmp(z->abbrs + z->types[a].abbr, z->abbrs + z->types[b].abbr);
}

/* Appends a transition computed from the footer after the file's nfile. */
static void tz_push(struct tz *z, size_t nfile, int64_t t, unsigned type)
{
	if (t <= z->times[nfile - 1])
		return;
	if (z->ntimes > nfile && z->times[z->ntimes - 1] >= t) {
		if (z->times[z->ntimes - 1] > t)
			return;
		z->ntimes--; /* two changes at one instant cancel out */
	}
	if (tz_same_type(z, z->idx[z->ntimes - 1], type))
		return;
	z->times[z->ntimes] = t;
	z->idx[z->ntimes] = (uint16_t)type;
	z->ntimes++;
}

/* Lists the footer's transitions up to TZ_TABLE_LAST_YEAR in the table. */
static void tz_extend(struct tz *z)
{
	size_t nfile = z->ntimes;
	int64_t last, y, y0, s, e;
	int m, d;

	z->rule_from = INT64_MIN;
	if (!nfile)
		return;
	last = z->times[nfile - 1];
	z->rule_from = last;
	civil_from_days(floor_div(last, DAY), &y0, &m, &d);
	if (y0 < 1800 || y0 > TZ_TABLE_LAST_YEAR)
		return;
	for (y = y0; y <= TZ_TABLE_LAST_YEAR; y++) {
		rule_year(z, y, &s, &e);
		if (s < e) {
			tz_push(z, nfile, s, z->dst_type);
			tz_push(z, nfile, e, z->std_type);
		} else {
			tz_push(z, nfile, e, z->std_type);
			tz_push(z, nfile, s, z->dst_type);
		}
	}
	z->rule_from = z->times[z->ntimes - 1];
}

static int tz_invalid(const char *name)
{
	return error_set("unknown time zone '%s': expected an IANA zone such as Europe/Berlin"
			 " (its file is not a valid TZif file)", name);
}

/*
 * The header of the block to read, that of the 64-bit data in a file of
 * version 2 or later (*timesize 8), else the 32-bit one (*timesize 4), with
 * *data at the block; the whole block is inside the file.
 */
static int tzif_data(const char *name, const unsigned char *p, size_t len, struct tzif_head *h,
		     size_t *timesize, const unsigned char **data)
{
	size_t off = 44, block;

	*timesize = 4;
	if (tzif_head(p, len, h) < 0)
		return tz_invalid(name);
	if (h->version >= '2') {
		block = tzif_block(h, 4);
		if (len - off < block || tzif_head(p + off + block, len - off - block, h) < 0)
			return tz_invalid(name);
		off += block + 44;
		*timesize = 8;
	}
	if (h->leapcnt)
		return error_set("time zone '%s': zone files with leap seconds are not supported", name);
	if (!h->typecnt || h->typecnt > 256 || !h->charcnt || h->charcnt > 4096 ||
	    h->timecnt > 100000 || (h->isstdcnt && h->isstdcnt != h->typecnt) ||
	    (h->isutcnt && h->isutcnt != h->typecnt))
		return tz_invalid(name);
	if (len - off < tzif_block(h, *timesize))
		return tz_invalid(name);
	*data = p + off;
	return 0;
}

/* The footer line from f (right after the 64-bit block) to end: its text in
 * *text (owned by the caller, "" when the line is empty) and its rule in
 * *footer. */
static int tzif_footer(const char *name, const unsigned char *f, const unsigned char *end,
		       char **text, struct tzs *footer)
{
	const unsigned char *nl;

	if (f >= end || *f != '\n')
		return tz_invalid(name);
	nl = memchr(f + 1, '\n', (size_t)(end - f - 1));
	if (!nl)
		return tz_invalid(name);
	*text = xstrndup((const char *)f + 1, (size_t)(nl - f - 1));
	if (**text && tzs_parse(*text, footer) < 0)
		return tz_invalid(name);
	return 0;
}

/* A zone with room for the file's transitions and types, those the footer
 * adds, and every abbreviation. */
static struct tz *tz_alloc(const char *name, const struct tzif_head *h, const struct tzs *footer)
{
	struct tz *z = xcalloc(1, sizeof(*z));
	size_t years = footer->has_dst ? TZ_TABLE_LAST_YEAR - 1800 + 1 : 0;
	size_t cap = h->timecnt + 2 * years;
	size_t pool = h->charcnt + 1 + strlen(footer->std_name) + 1 + strlen(footer->dst_name) + 1;

	z->name = xstrdup(name);
	z->times = xcalloc(cap ? cap : 1, sizeof(*z->times));
	z->idx = xcalloc(cap ? cap : 1, sizeof(*z->idx));
	z->types = xcalloc(h->typecnt + 2, sizeof(*z->types));
	z->abbrs = xcalloc(pool, 1);
	return z;
}

/* The file's transitions (ascending), their types and the abbreviations
 * from the data block q; -1 when they do not hold together. */
static int tz_read_block(struct tz *z, const struct tzif_head *h, size_t timesize,
			 const unsigned char *q)
{
	const unsigned char *types;
	int64_t prev = 0;
	size_t i;

	for (i = 0; i < h->timecnt; i++) {
		int64_t t = be_time(q + i * timesize, timesize);

		if (i && t <= prev)
			return -1;
		z->times[i] = prev = t;
	}
	q += h->timecnt * timesize;
	for (i = 0; i < h->timecnt; i++) {
		if (q[i] >= h->typecnt)
			return -1;
		z->idx[i] = q[i];
	}
	z->ntimes = h->timecnt;
	q += h->timecnt;
	types = q;
	q += h->typecnt * 6;
	for (i = 0; i < h->typecnt; i++) {
		int32_t utoff = (int32_t)be32(types + i * 6);

		if (utoff < -25 * 3600 || utoff > 26 * 3600 || types[i * 6 + 4] > 1 ||
		    types[i * 6 + 5] >= h->charcnt)
			return -1;
		z->types[i].utoff = utoff;
		z->types[i].isdst = types[i * 6 + 4];
		z->types[i].abbr = types[i * 6 + 5];
	}
	z->ntypes = h->typecnt;
	memcpy(z->abbrs, q, h->charcnt);
	return 0;
}

/* The footer's types after the file's (abbreviations after the file's
 * charcnt bytes) and, with a daylight-saving rule, its transitions. */
static void tz_add_footer(struct tz *z, size_t charcnt, const struct tzs *footer)
{
	size_t at = charcnt + 1;

	z->std_off = footer->std_off;
	z->std_type = (unsigned)z->ntypes++;
	z->types[z->std_type].utoff = footer->std_off;
	z->types[z->std_type].abbr = (unsigned)at;
	memcpy(z->abbrs + at, footer->std_name, strlen(footer->std_name));
	at += strlen(footer->std_name) + 1;
	if (!footer->has_dst)
		return;
	z->rule = 1;
	z->dst_off = footer->dst_off;
	z->start = footer->start;
	z->end = footer->end;
	z->dst_type = (unsigned)z->ntypes++;
	z->types[z->dst_type].utoff = footer->dst_off;
	z->types[z->dst_type].isdst = 1;
	z->types[z->dst_type].abbr = (unsigned)at;
	memcpy(z->abbrs + at, footer->dst_name, strlen(footer->dst_name));
	tz_extend(z);
}

/* The zone of TZif file contents p; NULL after error_set(). */
static struct tz *tz_parse(const char *name, const unsigned char *p, size_t len)
{
	struct tzif_head h;
	struct tzs footer;
	struct tz *z = NULL;
	const unsigned char *q = NULL;
	char *footer_text = NULL;
	size_t timesize;

	memset(&footer, 0, sizeof(footer));
	if (tzif_data(name, p, len, &h, &timesize, &q) < 0)
		goto done;
	if (timesize == 8 &&
	    tzif_footer(name, q + tzif_block(&h, timesize), p + len, &footer_text, &footer) < 0)
		goto done;
	z = tz_alloc(name, &h, &footer);
	if (tz_read_block(z, &h, timesize, q) < 0) {
		tz_invalid(name);
		tz_free(z);
		z = NULL;
		goto done;
	}
	if (footer_text && *footer_text)
		tz_add_footer(z, h.charcnt, &footer);
done:
	free(footer_text);
	return z;
}

static int tz_name_ok(const char *name)
{
	const char *c;

	if (!*name || *name == '/' || strlen(name) > 255 || strstr(name, ".."))
		return 0;
	for (c = name; *c; c++)
		if (!is_alpha(*c) && !is_digit(*c) && !strchr("/_+-.", *c))
			return 0;
	return 1;
}

/* tz_get() under tz_lock. */
static struct tz *tz_find(const char *name)
{
	struct buf path = BUF_INIT, data = BUF_INIT;
	struct tz *z;
	struct stat st;
	const char *dir;

	if (!name)
		name = "";
	for (z = tz_cache; z; z = z->next)
		if (!strcmp(z->name, name))
			return z;
	if (!tz_name_ok(name)) {
		error_set("invalid time zone '%.64s': expected an IANA zone such as Europe/Berlin",
			  name);
		goto done;
	}
	dir = getenv("TZDIR");
	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	buf_addf(&path, "%s/%s", dir, name);
	if (stat(path.ptr, &st) < 0 || !S_ISREG(st.st_mode)) {
		error_set("unknown time zone '%s': expected an IANA zone such as Europe/Berlin",
			  name);
		goto done;
	}
	if (buf_read_file(&data, path.ptr, TZ_FILE_MAX) < 0) {
		error_set("cannot read time zone file '%s': %s", path.ptr, strerror(errno));
		goto done;
	}
	z = tz_parse(name, (const unsigned char *)data.ptr, data.len);
	if (z) {
		z->next = tz_cache;
		tz_cache = z;
	}
done:
	buf_release(&path);
	buf_release(&data);
	return z;
}

const struct tz *tz_get(const char *name)
{
	const struct tz *z;

	pthread_mutex_lock(&tz_lock);
	z = tz_find(name);
	pthread_mutex_unlock(&tz_lock);
	return z;
}

const char *tz_name(const struct tz *z)
{
	return z ? z->name : "UTC";
}

void tz_cache_release(void)
{
	pthread_mutex_lock(&tz_lock);
	while (tz_cache) {
		struct tz *next = tz_cache->next;

		tz_free(tz_cache);
		tz_cache = next;
	}
	clock_zone = NULL;
	pthread_mutex_unlock(&tz_lock);
}

void tz_to_local(const struct tz *z, time_t t, struct tm *out)
{
	const struct tz_type *type = z ? tz_type_at(z, t) : NULL;
	int32_t off = type ? type->utoff : 0;
	int64_t local = (int64_t)t + off, dn = floor_div(local, DAY), sod = local - dn * DAY, y;
	int m, d;

	civil_from_days(dn, &y, &m, &d);
	memset(out, 0, sizeof(*out));
	out->tm_year = (int)(y - 1900);
	out->tm_mon = m - 1;
	out->tm_mday = d;
	out->tm_hour = (int)(sod / 3600);
	out->tm_min = (int)(sod / 60 % 60);
	out->tm_sec = (int)(sod % 60);
	out->tm_wday = weekday_of(dn);
	out->tm_yday = (int)(dn - days_from_civil(y, 1, 1));
	out->tm_isdst = type ? type->isdst : 0;
	out->tm_gmtoff = off;
	out->tm_zone = type ? z->abbrs + type->abbr : "UTC";
}

/* The first instant in (a, b] whose offset differs from a's (b when none). */
static int64_t offset_change(const struct tz *z, int64_t a, int64_t b)
{
	int32_t o = tz_offset(z, a);

	if (tz_offset(z, b) == o)
		return b;
	while (b - a > 1) {
		int64_t mid = a + (b - a) / 2;

		if (tz_offset(z, mid) == o)
			a = mid;
		else
			b = mid;
	}
	return b;
}

/* The instant for local seconds since 1970-01-01 00:00 on the zone's clock. */
static int64_t zone_from_local(const struct tz *z, int64_t local)
{
	int32_t oa, ob;
	int64_t ta, tb;
	int ok_a, ok_b;

	if (!z)
		return local;
	/* The offsets before and after any change near that local time. */
	oa = tz_offset(z, local - 2 * DAY);
	ob = tz_offset(z, local + 2 * DAY);
	ta = local - oa;
	tb = local - ob;
	ok_a = tz_offset(z, ta) == oa;
	ok_b = tz_offset(z, tb) == ob;
	if (ok_a && ok_b)
		return ta < tb ? ta : tb;
	if (ok_a)
		return ta;
	if (ok_b)
		return tb;
	if (ob <= oa)
		return local - tz_offset(z, ta);
	/* A gap: the change happened between tb and ta; find its instant. */
	return offset_change(z, tb, ta);
}

time_t tz_from_local(const struct tz *z, int year, int mon, int day, int hour, int min, int sec)
{
	int64_t local = days_from_civil(year, mon, day) * DAY + (int64_t)hour * 3600 +
			(int64_t)min * 60 + sec;

	return (time_t)zone_from_local(z, local);
}

/* ---- parsing and formatting ---- */

struct stamp {
	int year, mon, day, hour, min, sec;
	int has_time, has_sec, has_zone;
	int32_t zone_off;
};

static int fixed_digits(const char **p, int n, int *out)
{
	const char *s = *p;
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	*p = s + n;
	return 0;
}

static int date_part(const char **p, struct stamp *st)
{
	const char *s = *p;

	if (fixed_digits(&s, 4, &st->year) < 0 || *s++ != '-' ||
	    fixed_digits(&s, 2, &st->mon) < 0 || *s++ != '-' ||
	    fixed_digits(&s, 2, &st->day) < 0)
		return -1;
	if (st->year < 1 || st->mon < 1 || st->mon > 12 || st->day < 1 ||
	    st->day > month_days(st->year, st->mon))
		return -1;
	*p = s;
	return 0;
}

/* YYYY-MM-DD[(T|t| )HH:MM[:SS[.fraction]][Z|z|(+|-)HH:MM]] */
static int stamp_parse(const char *s, struct stamp *st)
{
	int zh, zm;

	memset(st, 0, sizeof(*st));
	if (date_part(&s, st) < 0)
		return -1;
	if (!*s)
		return 0;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -1;
	s++;
	if (fixed_digits(&s, 2, &st->hour) < 0 || *s++ != ':' ||
	    fixed_digits(&s, 2, &st->min) < 0 || st->hour > 23 || st->min > 59)
		return -1;
	st->has_time = 1;
	if (*s == ':') {
		s++;
		if (fixed_digits(&s, 2, &st->sec) < 0 || st->sec > 60)
			return -1;
		st->has_sec = 1;
		if (*s == '.') {
			s++;
			if (!is_digit(*s))
				return -1;
			while (is_digit(*s))
				s++;
		}
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
		st->has_zone = 1;
	} else if (*s == '+' || *s == '-') {
		int sign = *s++ == '-' ? -1 : 1;

		if (fixed_digits(&s, 2, &zh) < 0 || *s++ != ':' || fixed_digits(&s, 2, &zm) < 0 ||
		    zh > 23 || zm > 59)
			return -1;
		st->has_zone = 1;
		st->zone_off = sign * (zh * 3600 + zm * 60);
	}
	return *s ? -1 : 0;
}

static int64_t stamp_local(const struct stamp *st)
{
	return days_from_civil(st->year, st->mon, st->day) * DAY + st->hour * 3600 +
	       st->min * 60 + st->sec;
}

int time_parse_rfc3339(const char *s, time_t *out)
{
	struct stamp st;

	if (stamp_parse(s, &st) < 0 || !st.has_sec || !st.has_zone)
		return error_set("invalid time '%.64s': expected RFC 3339 such as "
				 "2026-12-01T08:00:00Z or 2026-12-01T09:00:00+01:00", s);
	*out = (time_t)(stamp_local(&st) - st.zone_off);
	return 0;
}

int time_parse_local(const char *s, const struct tz *z, time_t *out)
{
	struct stamp st;

	if (stamp_parse(s, &st) < 0)
		return error_set("invalid time '%.64s': expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] "
				 "or RFC 3339 such as 2026-12-01T08:00:00Z", s);
	if (st.has_zone)
		*out = (time_t)(stamp_local(&st) - st.zone_off);
	else
		*out = (time_t)zone_from_local(z, stamp_local(&st));
	return 0;
}

void time_format_rfc3339(char out[32], time_t t)
{
	int64_t dn = floor_div(t, DAY), sod = (int64_t)t - dn * DAY, y;
	int m, d;

	civil_from_days(dn, &y, &m, &d);
	snprintf(out, 32, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d,
		 (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
}

int date_parse(const char *s, int *ymd_out)
{
	struct stamp st;

	memset(&st, 0, sizeof(st));
	if (date_part(&s, &st) < 0 || *s)
		return error_set("invalid date '%.64s': expected an existing date as YYYY-MM-DD", s);
	*ymd_out = st.year * 10000 + st.mon * 100 + st.day;
	return 0;
}

static int clock_part(const char **p, int *min_out)
{
	const char *s = *p;
	int h, m;

	if (fixed_digits(&s, 2, &h) < 0 || *s++ != ':' || fixed_digits(&s, 2, &m) < 0 ||
	    m > 59 || h > 24 || (h == 24 && m))
		return -1;
	*min_out = h * 60 + m;
	*p = s;
	return 0;
}

int hours_parse(const char *s, int *start_min, int *end_min)
{
	const char *p = s;
	int a, b;

	if (clock_part(&p, &a) < 0 || *p++ != '-' || clock_part(&p, &b) < 0 || *p ||
	    a >= 24 * 60 || a >= b)
		return error_set("invalid working hours '%.64s': expected HH:MM-HH:MM with the "
				 "start before the end, such as 08:30-17:30 (24:00 allowed as end)", s);
	*start_min = a;
	*end_min = b;
	return 0;
}

int weekday_parse(const char *s)
{
	static const char *const names[7] = {
		"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"
	};
	int i;

	for (i = 0; i < 7; i++)
		if (!strcmp(s, names[i]) || (strlen(s) == 3 && !strncmp(s, names[i], 3)))
			return i;
	return error_set("invalid day '%.64s': expected mon, tue, wed, thu, fri, sat or sun", s);
}

int duration_parse(const char *s, long *seconds_out)
{
	static const char units[] = "dhms";
	static const long scale[] = { DAY, 3600, 60, 1 };
	const char *p = s;
	long total = 0;
	int next = 0; /* the largest unit still allowed */

	if (!strcmp(s, "0")) {
		*seconds_out = 0;
		return 0;
	}
	while (*p) {
		const char *u;
		long v = 0;
		int k;

		if (!is_digit(*p))
			goto bad;
		while (is_digit(*p)) {
			if (v > (LONG_MAX - (*p - '0')) / 10)
				goto bad;
			v = v * 10 + (*p++ - '0');
		}
		u = *p ? strchr(units, *p) : NULL;
		if (!u || (k = (int)(u - units)) < next)
			goto bad;
		p++;
		if (v > (LONG_MAX - total) / scale[k])
			goto bad;
		total += v * scale[k];
		next = k + 1;
	}
	if (!next)
		goto bad;
	*seconds_out = total;
	return 0;
bad:
	return error_set("invalid duration '%.64s': expected a number with a unit, "
			 "such as 30s, 9m, 2h, 7d or 1h30m", s);
}

void clock_set_zone(const struct tz *z)
{
	clock_zone = z;
}

time_t clock_now(void)
{
	const char *now = getenv("MAILOUT_NOW");
	time_t t;

	if (!now || !*now)
		return time(NULL);
	if (time_parse_local(now, clock_zone, &t) < 0) {
		error_set("invalid MAILOUT_NOW '%.64s': expected RFC 3339 such as "
			  "2026-12-01T08:00:00Z or a local YYYY-MM-DDTHH:MM[:SS]", now);
		return (time_t)-1;
	}
	return t;
}

/* ---- working hours and pacing ---- */

struct local_day {
	int64_t dn; /* local day number */
	int ymd, wday;
	int sod; /* local seconds since midnight */
};

static int ymd_of(int64_t dn)
{
	int64_t y;
	int m, d;

	civil_from_days(dn, &y, &m, &d);
	return (int)(y * 10000 + m * 100 + d);
}

static void local_day_of(const struct schedule *s, time_t t, struct local_day *out)
{
	int64_t local = (int64_t)t + tz_offset(s->zone, t);

	out->dn = floor_div(local, DAY);
	out->sod = (int)(local - out->dn * DAY);
	out->ymd = ymd_of(out->dn);
	out->wday = weekday_of(out->dn);
}

static int is_holiday(const struct schedule *s, int ymd)
{
	size_t lo = 0, hi = s->nholidays;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->holidays[mid] == ymd)
			return 1;
		if (s->holidays[mid] < ymd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int is_working_day(const struct schedule *s, int wday, int ymd)
{
	return !(s->suspended & (1u << wday)) && !is_holiday(s, ymd);
}

static int local_open(const struct schedule *s, const struct local_day *ld)
{
	return ld->sod >= s->start_min * 60 && ld->sod < s->end_min * 60 &&
	       is_working_day(s, ld->wday, ld->ymd);
}

static int schedule_valid(const struct schedule *s)
{
	return s->start_min >= 0 && s->start_min < s->end_min && s->end_min <= 24 * 60 &&
	       (s->suspended & 0x7f) != 0x7f;
}

void schedule_init(struct schedule *s, const struct tz *zone)
{
	memset(s, 0, sizeof(*s));
	s->zone = zone;
	s->start_min = SCHEDULE_START_DEFAULT;
	s->end_min = SCHEDULE_END_DEFAULT;
	s->suspended = SCHEDULE_SUSPENDED_DEFAULT;
	s->burst = 1;
	s->burst_gap = SCHEDULE_BURST_GAP_DEFAULT;
}

int schedule_day(const struct schedule *s, time_t t)
{
	struct local_day ld;

	local_day_of(s, t, &ld);
	return ld.ymd;
}

int schedule_is_open(const struct schedule *s, time_t t)
{
	struct local_day ld;

	local_day_of(s, t, &ld);
	return local_open(s, &ld);
}

/*
 * The open stretches of local day dn in real time: the instants whose local
 * date is dn and whose time of day is within the hours.  Offsets change at
 * most a few times a day, so the day is cut where they change and each
 * piece of constant offset is intersected with the hours.
 */
struct day_window {
	int n;
	int64_t from[4], to[4];
	int64_t length; /* open seconds in all */
};

static void window_add(struct day_window *w, int64_t from, int64_t to)
{
	if (from >= to)
		return;
	if (w->n && w->to[w->n - 1] == from) {
		w->to[w->n - 1] = to;
	} else if (w->n < 4) {
		w->from[w->n] = from;
		w->to[w->n] = to;
		w->n++;
	} else {
		return;
	}
	w->length += to - from;
}

static void day_window_of(const struct schedule *s, int64_t dn, struct day_window *w)
{
	int64_t lo = dn * DAY + s->start_min * 60, hi = dn * DAY + s->end_min * 60;
	int64_t a = lo - 26 * 3600, end = hi + 26 * 3600;

	memset(w, 0, sizeof(*w));
	while (a < end) {
		int64_t step = a + 6 * 3600 < end ? a + 6 * 3600 : end;
		int64_t b = s->zone ? offset_change(s->zone, a, step) : step;
		int32_t o = tz_offset(s->zone, a);
		int64_t from = lo - o > a ? lo - o : a, to = hi - o < b ? hi - o : b;

		window_add(w, from, to);
		a = b;
	}
}

/* Open seconds of the window before t. */
static int64_t window_offset(const struct day_window *w, int64_t t)
{
	int64_t sum = 0;
	int i;

	for (i = 0; i < w->n && t > w->from[i]; i++)
		sum += (t < w->to[i] ? t : w->to[i]) - w->from[i];
	return sum;
}

/* The instant after off open seconds of the window; -1 past its end. */
static int64_t window_instant(const struct day_window *w, int64_t off)
{
	int i;

	for (i = 0; i < w->n; i++) {
		if (off < w->to[i] - w->from[i])
			return w->from[i] + off;
		off -= w->to[i] - w->from[i];
	}
	return -1;
}

/* schedule_next_open(), also giving the local day number of the result. */
static time_t next_open(const struct schedule *s, time_t t, int64_t *dn_out)
{
	struct local_day ld;
	struct day_window w;
	int64_t dn;
	int i, k;

	if (!schedule_valid(s))
		return (time_t)-1;
	local_day_of(s, t, &ld);
	if (local_open(s, &ld)) {
		*dn_out = ld.dn;
		return t;
	}
	for (i = 0, dn = ld.dn; i < SEARCH_DAYS; i++, dn++) {
		if (!is_working_day(s, weekday_of(dn), ymd_of(dn)))
			continue;
		/* the first stretch still ahead: after a fall-back the hours
		 * may open a second time on the same date */
		day_window_of(s, dn, &w);
		for (k = 0; k < w.n; k++) {
			if (w.to[k] > t) {
				*dn_out = dn;
				return (time_t)(w.from[k] > t ? w.from[k] : t);
			}
		}
	}
	return (time_t)-1;
}

time_t schedule_next_open(const struct schedule *s, time_t t)
{
	int64_t dn;

	return next_open(s, t, &dn);
}

/* The gap that spreads limit attempts over window seconds: rounded up, or
 * the largest whole gap that still fits them all; at least 1. */
static long gap_for(long long window, long long limit)
{
	long long gap;

	if (limit < 1)
		limit = 1;
	if (window <= 0)
		return 1;
	gap = (window + limit - 1) / limit;
	if (limit > 1 && gap * (limit - 1) >= window)
		gap = (window - 1) / (limit - 1);
	return gap < 1 ? 1 : (long)gap;
}

long schedule_interval(const struct schedule *s, int daily_limit)
{
	return gap_for((long long)(s->end_min - s->start_min) * 60, daily_limit);
}

long schedule_day_length(const struct schedule *s, time_t t)
{
	struct day_window w;
	struct local_day ld;

	local_day_of(s, t, &ld);
	day_window_of(s, ld.dn, &w);
	return (long)w.length;
}

long schedule_day_interval(const struct schedule *s, int daily_limit, time_t t)
{
	return gap_for(schedule_day_length(s, t), daily_limit);
}

/* The least time between two attempts of one burst. */
static long burst_gap(const struct schedule *s, long gap)
{
	if (s->burst <= 1)
		return gap;
	return s->burst_gap < gap ? s->burst_gap : gap;
}

static int burst_of(const struct schedule *s)
{
	return s->burst < 1 ? 1 : s->burst;
}

void schedule_pace_init(struct schedule_pace *p, const struct schedule *s, int daily_limit,
			time_t last_attempt)
{
	struct day_window w;
	struct local_day ld;

	memset(p, 0, sizeof(*p));
	p->day = INT64_MIN;
	if (!last_attempt)
		return;
	/* The bucket as it is known from the last attempt alone: empty then. */
	local_day_of(s, last_attempt, &ld);
	day_window_of(s, ld.dn, &w);
	p->day = ld.dn;
	p->tat = window_offset(&w, last_attempt) +
		 (int64_t)burst_of(s) * gap_for(w.length, daily_limit);
	p->last = last_attempt;
}

void schedule_pace_take(struct schedule_pace *p, const struct schedule *s, int daily_limit,
			time_t t)
{
	struct day_window w;
	struct local_day ld;
	int64_t off;

	local_day_of(s, t, &ld);
	day_window_of(s, ld.dn, &w);
	if (p->day != ld.dn) {
		p->day = ld.dn; /* a new window: the bucket is full */
		p->tat = 0;
	}
	off = window_offset(&w, t);
	p->tat = (p->tat > off ? p->tat : off) + gap_for(w.length, daily_limit);
	if (t > p->last)
		p->last = t;
}

/*
 * On open day dn from t on, the bucket's own constraints: a token, and the
 * burst gap after the last attempt.  -1 when the day's window has no room.
 */
static int64_t pace_on_day(const struct schedule *s, int limit, const struct schedule_pace *p,
			   int64_t dn, int64_t t, int *wait)
{
	struct day_window w;
	int64_t need, c;
	long gap;

	if (p->day != dn)
		return t; /* the first attempt of a window: at its start */
	day_window_of(s, dn, &w);
	gap = gap_for(w.length, limit);
	need = p->tat - (int64_t)(burst_of(s) - 1) * gap;
	if (window_offset(&w, t) < need) {
		c = window_instant(&w, need);
		if (c < 0)
			return -1;
		t = c;
		*wait = SCHEDULE_WAIT_TOKEN;
	}
	if (p->last && t < p->last + burst_gap(s, gap)) {
		t = p->last + burst_gap(s, gap);
		if (*wait < SCHEDULE_WAIT_BURST)
			*wait = SCHEDULE_WAIT_BURST;
	}
	return t;
}

time_t schedule_pace_due(const struct schedule *s, int daily_limit, const struct schedule_pace *p,
			 time_t now, schedule_count_fn attempts_for_day, void *payload, int *wait)
{
	time_t t = now, horizon = now + (time_t)SEARCH_DAYS * DAY, open;
	int64_t dn, c;
	int w = SCHEDULE_WAIT_NONE;

	if (daily_limit < 1) {
		error_set("invalid daily limit %d: expected at least 1", daily_limit);
		return (time_t)-1;
	}
	while (t <= horizon) {
		open = next_open(s, t, &dn);
		if (open == (time_t)-1)
			break;
		if (open > t)
			w = SCHEDULE_WAIT_TOKEN; /* waits for the hours */
		t = open;
		if (attempts_for_day && attempts_for_day(ymd_of(dn), payload) >= daily_limit) {
			t = (time_t)zone_from_local(s->zone, (dn + 1) * DAY);
			w = SCHEDULE_WAIT_TOKEN;
			continue;
		}
		c = pace_on_day(s, daily_limit, p, dn, t, &w);
		if (c == t) {
			if (wait)
				*wait = w;
			return t;
		}
		/* moved on: check the hours (and the day) again from there */
		t = c < 0 ? (time_t)zone_from_local(s->zone, (dn + 1) * DAY) : (time_t)c;
	}
	return (time_t)-1;
}

time_t schedule_next_due(const struct schedule *s, int daily_limit, time_t now,
			 time_t last_attempt, schedule_count_fn attempts_for_day, void *payload)
{
	struct schedule_pace p;

	schedule_pace_init(&p, s, daily_limit, last_attempt);
	return schedule_pace_due(s, daily_limit, &p, now, attempts_for_day, payload, NULL);
}
