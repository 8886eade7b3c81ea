#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "schedule.h"
#include "xalloc.h"

static const char *iso(time_t t)
{
	static char out[32];

	time_format_rfc3339(out, t);
	return out;
}

static time_t at(const char *rfc3339)
{
	time_t t = 0;

	assert_int_equal(time_parse_rfc3339(rfc3339, &t), 0);
	return t;
}

static const struct tz *zone(const char *name)
{
	const struct tz *z = tz_get(name);

	assert_non_null(z);
	return z;
}

static void assert_local(const struct tz *z, const char *utc, const char *local, long gmtoff,
			 int isdst, const char *abbr)
{
	struct tm tm;
	char text[64];

	tz_to_local(z, at(utc), &tm);
	snprintf(text, sizeof(text), "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	assert_string_equal(text, local);
	assert_int_equal(tm.tm_gmtoff, gmtoff);
	assert_int_equal(tm.tm_isdst, isdst);
	assert_string_equal(tm.tm_zone, abbr);
}

static void test_tz_berlin(void **state)
{
	const struct tz *z = zone("Europe/Berlin");
	struct tm tm;

	(void)state;
	assert_ptr_equal(tz_get("Europe/Berlin"), z);
	assert_string_equal(tz_name(z), "Europe/Berlin");
	/* Spring forward on 2026-03-29 at 01:00 UTC: 02:00 CET becomes 03:00 CEST. */
	assert_local(z, "2026-03-29T00:59:59Z", "2026-03-29 01:59:59", 3600, 0, "CET");
	assert_local(z, "2026-03-29T01:00:00Z", "2026-03-29 03:00:00", 7200, 1, "CEST");
	/* Fall back on 2026-10-25 at 01:00 UTC: 03:00 CEST becomes 02:00 CET. */
	assert_local(z, "2026-10-25T00:59:59Z", "2026-10-25 02:59:59", 7200, 1, "CEST");
	assert_local(z, "2026-10-25T01:00:00Z", "2026-10-25 02:00:00", 3600, 0, "CET");
	/* Years beyond the table follow the zone's rule. */
	assert_local(z, "2150-07-01T12:00:00Z", "2150-07-01 14:00:00", 7200, 1, "CEST");
	assert_local(z, "2150-01-01T12:00:00Z", "2150-01-01 13:00:00", 3600, 0, "CET");
	assert_local(z, "2040-03-25T00:59:59Z", "2040-03-25 01:59:59", 3600, 0, "CET");
	assert_local(z, "2040-03-25T01:00:00Z", "2040-03-25 03:00:00", 7200, 1, "CEST");

	tz_to_local(z, at("2026-03-29T12:00:00Z"), &tm);
	assert_int_equal(tm.tm_wday, 0);
	assert_int_equal(tm.tm_yday, 87);
	tz_to_local(z, at("2026-12-31T22:59:59Z"), &tm);
	assert_int_equal(tm.tm_yday, 364);
	assert_int_equal(tm.tm_wday, 4);

	/* Plain, gap (the instant after it) and overlap (the earlier one). */
	assert_string_equal(iso(tz_from_local(z, 2026, 12, 1, 8, 0, 0)), "2026-12-01T07:00:00Z");
	assert_string_equal(iso(tz_from_local(z, 2026, 7, 1, 8, 0, 0)), "2026-07-01T06:00:00Z");
	assert_string_equal(iso(tz_from_local(z, 2026, 3, 29, 1, 59, 59)), "2026-03-29T00:59:59Z");
	assert_string_equal(iso(tz_from_local(z, 2026, 3, 29, 2, 0, 0)), "2026-03-29T01:00:00Z");
	assert_string_equal(iso(tz_from_local(z, 2026, 3, 29, 2, 30, 0)), "2026-03-29T01:00:00Z");
	assert_string_equal(iso(tz_from_local(z, 2026, 3, 29, 3, 0, 0)), "2026-03-29T01:00:00Z");
	assert_string_equal(iso(tz_from_local(z, 2026, 10, 25, 1, 59, 59)), "2026-10-24T23:59:59Z");
	assert_string_equal(iso(tz_from_local(z, 2026, 10, 25, 2, 30, 0)), "2026-10-25T00:30:00Z");
	assert_string_equal(iso(tz_from_local(z, 2026, 10, 25, 3, 0, 0)), "2026-10-25T02:00:00Z");
	/* Out-of-range fields carry over. */
	assert_string_equal(iso(tz_from_local(z, 2026, 12, 32, 0, 0, 0)), "2026-12-31T23:00:00Z");
	assert_string_equal(iso(tz_from_local(z, 2026, 11, 30, 24, 0, 0)), "2026-11-30T23:00:00Z");
	assert_int_equal(tz_from_local(z, 2026, 3, 29, 3, 0, 0), 1774746000);
}

static void test_tz_new_york_sydney_kolkata_utc(void **state)
{
	const struct tz *ny = zone("America/New_York");
	const struct tz *syd = zone("Australia/Sydney");
	const struct tz *kol = zone("Asia/Kolkata");
	const struct tz *utc = zone("UTC");

	(void)state;
	assert_local(ny, "2026-03-08T06:59:59Z", "2026-03-08 01:59:59", -18000, 0, "EST");
	assert_local(ny, "2026-03-08T07:00:00Z", "2026-03-08 03:00:00", -14400, 1, "EDT");
	assert_local(ny, "2026-11-01T05:59:59Z", "2026-11-01 01:59:59", -14400, 1, "EDT");
	assert_local(ny, "2026-11-01T06:00:00Z", "2026-11-01 01:00:00", -18000, 0, "EST");
	assert_string_equal(iso(tz_from_local(ny, 2026, 3, 8, 2, 30, 0)), "2026-03-08T07:00:00Z");
	assert_string_equal(iso(tz_from_local(ny, 2026, 11, 1, 1, 30, 0)), "2026-11-01T05:30:00Z");
	assert_string_equal(iso(tz_from_local(ny, 2026, 11, 1, 2, 0, 0)), "2026-11-01T07:00:00Z");
	assert_local(ny, "2039-11-06T05:59:59Z", "2039-11-06 01:59:59", -14400, 1, "EDT");
	assert_local(ny, "2039-11-06T06:00:00Z", "2039-11-06 01:00:00", -18000, 0, "EST");

	/* Southern hemisphere: summer time over the new year. */
	assert_local(syd, "2026-01-15T00:00:00Z", "2026-01-15 11:00:00", 39600, 1, "AEDT");
	assert_local(syd, "2026-04-04T15:59:59Z", "2026-04-05 02:59:59", 39600, 1, "AEDT");
	assert_local(syd, "2026-04-04T16:00:00Z", "2026-04-05 02:00:00", 36000, 0, "AEST");
	assert_local(syd, "2026-10-03T15:59:59Z", "2026-10-04 01:59:59", 36000, 0, "AEST");
	assert_local(syd, "2026-10-03T16:00:00Z", "2026-10-04 03:00:00", 39600, 1, "AEDT");
	assert_string_equal(iso(tz_from_local(syd, 2026, 10, 4, 2, 15, 0)), "2026-10-03T16:00:00Z");
	assert_string_equal(iso(tz_from_local(syd, 2026, 4, 5, 2, 30, 0)), "2026-04-04T15:30:00Z");

	assert_local(kol, "2026-12-01T08:00:00Z", "2026-12-01 13:30:00", 19800, 0, "IST");
	assert_local(kol, "2036-06-01T20:00:00Z", "2036-06-02 01:30:00", 19800, 0, "IST");
	assert_string_equal(iso(tz_from_local(kol, 2026, 12, 1, 13, 30, 0)), "2026-12-01T08:00:00Z");

	assert_local(utc, "2026-12-01T08:00:00Z", "2026-12-01 08:00:00", 0, 0, "UTC");
	assert_local(NULL, "2026-12-01T08:00:00Z", "2026-12-01 08:00:00", 0, 0, "UTC");
	assert_int_equal(tz_from_local(utc, 2026, 12, 1, 8, 0, 0), 1796112000);
	assert_int_equal(tz_from_local(NULL, 2026, 12, 1, 8, 0, 0), 1796112000);
}

static void test_tz_rejects(void **state)
{
	static const char *const bad[] = {
		"Mars/Olympus", "../../etc/passwd", "Europe/../UTC", "/etc/localtime", "",
		"Europe", "zone.tab", "Europe/Berlin ", "Europe/Berlin\n", "right/UTC",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		error_clear();
		assert_null(tz_get(bad[i]));
		assert_non_null(strstr(error_last(), "time zone"));
	}
	assert_null(tz_get("Mars/Olympus"));
	assert_string_equal(error_last(), "unknown time zone 'Mars/Olympus': expected an IANA "
					  "zone such as Europe/Berlin");
	assert_null(tz_get("right/UTC"));
	assert_non_null(strstr(error_last(), "leap seconds"));
	assert_null(tz_get(NULL));
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void add_be32(struct buf *b, uint32_t v)
{
	buf_addc(b, (char)(v >> 24));
	buf_addc(b, (char)(v >> 16));
	buf_addc(b, (char)(v >> 8));
	buf_addc(b, (char)v);
}

/* A TZif header: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt. */
static void add_head(struct buf *b, char version, uint32_t timecnt, uint32_t typecnt,
		     uint32_t charcnt)
{
	buf_add(b, "TZif", 4);
	buf_addc(b, version);
	buf_add(b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 15);
	add_be32(b, 0);
	add_be32(b, 0);
	add_be32(b, 0);
	add_be32(b, timecnt);
	add_be32(b, typecnt);
	add_be32(b, charcnt);
}

static void test_tz_files(void **state)
{
	char dir[] = "/tmp/mailout-tz-XXXXXX";
	char *sub, *slim, *v1, *text, *cut;
	struct buf b = BUF_INIT;
	const struct tz *z;
	const char *old = getenv("TZDIR");
	char *saved = old ? xstrdup(old) : NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	sub = xasprintf("%s/Test", dir);
	slim = xasprintf("%s/Test/Slim", dir);
	v1 = xasprintf("%s/Test/Old", dir);
	text = xasprintf("%s/Test/Text", dir);
	cut = xasprintf("%s/Test/Cut", dir);
	assert_int_equal(mkdir(sub, 0700), 0);

	/* A slim file: no transitions at all, only the footer's rule. */
	add_head(&b, '2', 0, 1, 4);
	buf_add(&b, "\0\0\x0e\x10\0\0CET\0", 10);
	add_head(&b, '2', 0, 1, 4);
	buf_add(&b, "\0\0\x0e\x10\0\0CET\0", 10);
	buf_adds(&b, "\nCET-1CEST,M3.5.0,M10.5.0/3\n");
	write_file(slim, b.ptr, b.len);
	write_file(cut, b.ptr, b.len - 5);
	buf_reset(&b);

	/* Version 1 only: one change at 1970-01-01 from AAA (UTC) to BBB (+01:00). */
	add_head(&b, '\0', 1, 2, 8);
	add_be32(&b, 0);
	buf_addc(&b, 1);
	buf_add(&b, "\0\0\0\0\0\0\0\0\x0e\x10\0\x04", 12);
	buf_add(&b, "AAA\0BBB\0", 8);
	write_file(v1, b.ptr, b.len);
	write_file(text, "Europe/Berlin\n", 14);

	setenv("TZDIR", dir, 1);
	z = tz_get("Test/Slim");
	assert_non_null(z);
	assert_local(z, "2026-03-29T00:59:59Z", "2026-03-29 01:59:59", 3600, 0, "CET");
	assert_local(z, "2026-03-29T01:00:00Z", "2026-03-29 03:00:00", 7200, 1, "CEST");
	assert_local(z, "2026-10-25T01:00:00Z", "2026-10-25 02:00:00", 3600, 0, "CET");
	assert_string_equal(iso(tz_from_local(z, 2026, 3, 29, 2, 30, 0)), "2026-03-29T01:00:00Z");
	z = tz_get("Test/Old");
	assert_non_null(z);
	assert_local(z, "1969-12-31T23:59:59Z", "1969-12-31 23:59:59", 0, 0, "AAA");
	assert_local(z, "2026-12-01T08:00:00Z", "2026-12-01 09:00:00", 3600, 0, "BBB");
	assert_null(tz_get("Test/Text"));
	assert_non_null(strstr(error_last(), "not a valid TZif file"));
	assert_null(tz_get("Test/Cut"));
	assert_non_null(strstr(error_last(), "not a valid TZif file"));
	assert_null(tz_get("Test"));
	if (saved)
		setenv("TZDIR", saved, 1);
	else
		unsetenv("TZDIR");

	assert_int_equal(unlink(slim), 0);
	assert_int_equal(unlink(cut), 0);
	assert_int_equal(unlink(v1), 0);
	assert_int_equal(unlink(text), 0);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(rmdir(dir), 0);
	buf_release(&b);
	free(sub);
	free(slim);
	free(v1);
	free(text);
	free(cut);
	free(saved);
}

static void test_rfc3339(void **state)
{
	static const char *const round[] = {
		"2026-12-01T08:00:00Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
		"2038-01-19T03:14:08Z", "2000-02-29T12:34:56Z", "2100-03-01T00:00:00Z",
		"1900-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
	};
	static const char *const bad[] = {
		"2026-12-01T08:00Z", "2026-12-01T08:00:00", "2026-12-01", "2026-13-01T00:00:00Z",
		"2026-02-29T00:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T08:60:00Z",
		"2026-12-01T08:00:00+1:00", "2026-12-01T08:00:00+0100", "2026-12-01T08:00:00Zjunk",
		"2026-12-01T08:00:00.Z", "", "26-12-01T08:00:00Z", " 2026-12-01T08:00:00Z",
	};
	time_t t = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(round) / sizeof(*round); i++)
		assert_string_equal(iso(at(round[i])), round[i]);
	assert_int_equal(at("2026-12-01T08:00:00Z"), 1796112000);
	assert_int_equal(at("1969-12-31T23:59:59Z"), -1);
	assert_int_equal(at("2026-12-01T09:00:00+01:00"), 1796112000);
	assert_int_equal(at("2026-12-01T02:30:00-05:30"), 1796112000);
	assert_int_equal(at("2026-12-01T08:00:00.987654Z"), 1796112000);
	assert_int_equal(at("2026-12-01t08:00:00z"), 1796112000);
	assert_int_equal(at("2026-12-01 08:00:00-00:00"), 1796112000);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		error_clear();
		assert_int_equal(time_parse_rfc3339(bad[i], &t), -1);
		assert_non_null(strstr(error_last(), "expected RFC 3339"));
	}
}

static void test_parse_local(void **state)
{
	const struct tz *berlin = zone("Europe/Berlin");
	time_t t = 0;

	(void)state;
	assert_int_equal(time_parse_local("2026-12-01T08:00", berlin, &t), 0);
	assert_string_equal(iso(t), "2026-12-01T07:00:00Z");
	assert_int_equal(time_parse_local("2026-12-01 08:00:30", berlin, &t), 0);
	assert_string_equal(iso(t), "2026-12-01T07:00:30Z");
	assert_int_equal(time_parse_local("2026-12-01", berlin, &t), 0);
	assert_string_equal(iso(t), "2026-11-30T23:00:00Z");
	assert_int_equal(time_parse_local("2026-07-01T08:00", berlin, &t), 0);
	assert_string_equal(iso(t), "2026-07-01T06:00:00Z");
	assert_int_equal(time_parse_local("2026-03-29T02:30", berlin, &t), 0);
	assert_string_equal(iso(t), "2026-03-29T01:00:00Z");
	assert_int_equal(time_parse_local("2026-12-01T08:00:00Z", berlin, &t), 0);
	assert_string_equal(iso(t), "2026-12-01T08:00:00Z");
	assert_int_equal(time_parse_local("2026-12-01T08:00:00+05:30", berlin, &t), 0);
	assert_string_equal(iso(t), "2026-12-01T02:30:00Z");
	assert_int_equal(time_parse_local("2026-12-01T08:00", zone("Asia/Kolkata"), &t), 0);
	assert_string_equal(iso(t), "2026-12-01T02:30:00Z");
	assert_int_equal(time_parse_local("2026-12-01", NULL, &t), 0);
	assert_string_equal(iso(t), "2026-12-01T00:00:00Z");

	assert_int_equal(time_parse_local("2026-12-01T8:00", berlin, &t), -1);
	assert_non_null(strstr(error_last(), "expected YYYY-MM-DD"));
	assert_int_equal(time_parse_local("01.12.2026", berlin, &t), -1);
	assert_int_equal(time_parse_local("2026-12-01T08", berlin, &t), -1);
	assert_int_equal(time_parse_local("2026-12-01T", berlin, &t), -1);
	assert_int_equal(time_parse_local("2026-11-31", berlin, &t), -1);
}

static void test_date_parse(void **state)
{
	static const char *const bad[] = {
		"2026-02-29", "2026-02-30", "1900-02-29", "2026-04-31", "2026-13-01", "2026-00-10",
		"2026-01-00", "2026-4-01", "2026-12-24x", "0000-01-01", "24.12.2026", "",
	};
	int ymd = 0;
	size_t i;

	(void)state;
	assert_int_equal(date_parse("2026-12-24", &ymd), 0);
	assert_int_equal(ymd, 20261224);
	assert_int_equal(date_parse("2024-02-29", &ymd), 0);
	assert_int_equal(ymd, 20240229);
	assert_int_equal(date_parse("2000-02-29", &ymd), 0);
	assert_int_equal(ymd, 20000229);
	assert_int_equal(date_parse("2026-12-31", &ymd), 0);
	assert_int_equal(ymd, 20261231);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ymd = 0;
		assert_int_equal(date_parse(bad[i], &ymd), -1);
		assert_int_equal(ymd, 0);
	}
	assert_string_equal(error_last(), "invalid date '': expected an existing date as YYYY-MM-DD");
}

static void test_hours_parse(void **state)
{
	static const char *const bad[] = {
		"25:00-26:00", "17:00-08:00", "8-17", "08:00-08:00", "24:00-24:00", "08:60-09:00",
		"08:00-24:01", " 08:00-17:00", "08:00 - 17:00", "8:30-17:30", "08:30-17:30x", "",
	};
	int a = -1, b = -1;
	size_t i;

	(void)state;
	assert_int_equal(hours_parse("08:30-17:30", &a, &b), 0);
	assert_int_equal(a, 510);
	assert_int_equal(b, 1050);
	assert_int_equal(hours_parse("00:00-24:00", &a, &b), 0);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1440);
	assert_int_equal(hours_parse("23:59-24:00", &a, &b), 0);
	assert_int_equal(a, 1439);
	assert_int_equal(b, 1440);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		a = b = -1;
		error_clear();
		assert_int_equal(hours_parse(bad[i], &a, &b), -1);
		assert_int_equal(a, -1);
		assert_non_null(strstr(error_last(), "expected HH:MM-HH:MM"));
	}
}

static void test_weekday_parse(void **state)
{
	static const char *const names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
	int i;

	(void)state;
	for (i = 0; i < 7; i++)
		assert_int_equal(weekday_parse(names[i]), i);
	assert_int_equal(weekday_parse("sunday"), 0);
	assert_int_equal(weekday_parse("wednesday"), 3);
	assert_int_equal(weekday_parse("friday"), 5);
	assert_int_equal(weekday_parse("saturday"), 6);
	assert_int_equal(weekday_parse("Mon"), -1);
	assert_int_equal(weekday_parse("mo"), -1);
	assert_int_equal(weekday_parse("mond"), -1);
	assert_int_equal(weekday_parse("sunday "), -1);
	assert_int_equal(weekday_parse(""), -1);
	assert_non_null(strstr(error_last(), "expected mon, tue"));
}

static void test_duration_parse(void **state)
{
	static const char *const bad[] = {
		"-5s", "5", "1h30", "30m1h", "1h1h", "5x", "", " 5s", "5s ", "+5s", "h", "1.5h",
		"99999999999999999999s", "106751991167301d", "106751991167300d86400s",
	};
	long v = -1;
	size_t i;

	(void)state;
	assert_int_equal(duration_parse("30s", &v), 0);
	assert_int_equal(v, 30);
	assert_int_equal(duration_parse("9m", &v), 0);
	assert_int_equal(v, 540);
	assert_int_equal(duration_parse("2h", &v), 0);
	assert_int_equal(v, 7200);
	assert_int_equal(duration_parse("7d", &v), 0);
	assert_int_equal(v, 604800);
	assert_int_equal(duration_parse("1h30m", &v), 0);
	assert_int_equal(v, 5400);
	assert_int_equal(duration_parse("2d12h5m3s", &v), 0);
	assert_int_equal(v, 216303);
	assert_int_equal(duration_parse("90m", &v), 0);
	assert_int_equal(v, 5400);
	assert_int_equal(duration_parse("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(duration_parse("0s", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(duration_parse("106751991167300d", &v), 0);
	assert_int_equal(v, 106751991167300L * 86400);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		v = -1;
		error_clear();
		assert_int_equal(duration_parse(bad[i], &v), -1);
		assert_int_equal(v, -1);
		assert_non_null(strstr(error_last(), "such as 30s, 9m, 2h, 7d"));
	}
}

static void berlin_schedule(struct schedule *s)
{
	schedule_init(s, zone("Europe/Berlin"));
}

static void test_next_open(void **state)
{
	static const int holidays[] = { 20261224, 20261225, 20261228 };
	struct schedule s;

	(void)state;
	berlin_schedule(&s);
	assert_int_equal(s.start_min, 510);
	assert_int_equal(s.end_min, 1050);
	assert_int_equal(s.suspended, (1u << 0) | (1u << 5) | (1u << 6));

	/* Thursday 17:30 (the end is exclusive) -> Monday 08:30. */
	assert_int_equal(schedule_is_open(&s, at("2026-12-03T16:29:59Z")), 1);
	assert_int_equal(schedule_is_open(&s, at("2026-12-03T16:30:00Z")), 0);
	assert_int_equal(schedule_next_open(&s, at("2026-12-03T16:29:59Z")), at("2026-12-03T16:29:59Z"));
	assert_string_equal(iso(schedule_next_open(&s, at("2026-12-03T16:30:00Z"))), "2026-12-07T07:30:00Z");
	assert_int_equal(schedule_next_open(&s, at("2026-12-03T16:30:00Z")), 1796628600);
	/* Friday morning inside the hours is still closed. */
	assert_int_equal(schedule_is_open(&s, at("2026-12-04T10:00:00Z")), 0);
	assert_string_equal(iso(schedule_next_open(&s, at("2026-12-04T10:00:00Z"))), "2026-12-07T07:30:00Z");
	/* Before the hours on a working day. */
	assert_string_equal(iso(schedule_next_open(&s, at("2026-12-02T06:00:00Z"))), "2026-12-02T07:30:00Z");
	assert_int_equal(schedule_is_open(&s, at("2026-12-02T07:29:59Z")), 0);
	assert_int_equal(schedule_is_open(&s, at("2026-12-02T07:30:00Z")), 1);
	/* Across the change to summer time (Sunday 2026-03-29). */
	assert_string_equal(iso(schedule_next_open(&s, at("2026-03-26T17:00:00Z"))), "2026-03-30T06:30:00Z");

	/* Holidays: Thursday 24th and Monday 28th. */
	s.holidays = holidays;
	s.nholidays = 3;
	assert_string_equal(iso(schedule_next_open(&s, at("2026-12-23T17:00:00Z"))), "2026-12-29T07:30:00Z");
	assert_int_equal(schedule_is_open(&s, at("2026-12-24T10:00:00Z")), 0);
	assert_int_equal(schedule_is_open(&s, at("2026-12-23T10:00:00Z")), 1);

	/* The day counted is the local one. */
	assert_int_equal(schedule_day(&s, at("2026-12-01T22:59:59Z")), 20261201);
	assert_int_equal(schedule_day(&s, at("2026-12-01T23:00:00Z")), 20261202);
	s.zone = zone("America/New_York");
	assert_int_equal(schedule_day(&s, at("2026-12-02T04:59:59Z")), 20261201);
	assert_int_equal(schedule_day(&s, at("2026-12-02T05:00:00Z")), 20261202);
	assert_string_equal(iso(schedule_next_open(&s, at("2026-12-03T22:30:00Z"))), "2026-12-07T13:30:00Z");

	/* Every day suspended: never open. */
	s.suspended = 0x7f;
	assert_int_equal(schedule_next_open(&s, at("2026-12-01T10:00:00Z")), (time_t)-1);
	assert_int_equal(schedule_next_due(&s, 94, at("2026-12-01T10:00:00Z"), 0, NULL, NULL), (time_t)-1);
}

static void test_interval(void **state)
{
	struct schedule s;
	time_t start, end;
	int k;

	(void)state;
	berlin_schedule(&s);
	assert_int_equal(schedule_interval(&s, 94), 345);
	start = tz_from_local(s.zone, 2026, 12, 1, 8, 30, 0);
	end = tz_from_local(s.zone, 2026, 12, 1, 17, 30, 0);
	assert_int_equal(end - start, 32400);
	for (k = 0; k < 94; k++) {
		assert_true(start + k * 345 < end);
		assert_int_equal(schedule_is_open(&s, start + k * 345), 1);
	}
	assert_int_equal(schedule_interval(&s, 1), 32400);
	assert_int_equal(schedule_interval(&s, 100), 324);
	assert_int_equal(schedule_interval(&s, 32400), 1);
	assert_int_equal(schedule_interval(&s, 1000000), 1);
	/* Rounding up to 33 s would not fit 1000 sends: 999 * 32 < 32400 does. */
	assert_int_equal(schedule_interval(&s, 1000), 32);
	s.start_min = 0;
	s.end_min = 1440;
	assert_int_equal(schedule_interval(&s, 94), 920);
}

struct sim {
	const struct schedule *s;
	int64_t first_day;     /* local day number of counts[0] */
	int counts[16];
	time_t first[16];
	time_t last[16];
};

static int64_t day_number(int ymd)
{
	return tz_from_local(NULL, ymd / 10000, ymd / 100 % 100, ymd % 100, 0, 0, 0) / 86400;
}

static int sim_count(int ymd, void *payload)
{
	struct sim *sim = payload;
	int64_t i = day_number(ymd) - sim->first_day;

	assert_true(i >= 0 && i < 16);
	return sim->counts[i];
}

/* Sends from from_ymd 00:00 until to_ymd 00:00 local; returns the total. */
static int simulate(struct sim *sim, const struct schedule *s, int limit, int from_ymd,
		    int to_ymd, time_t start)
{
	time_t now, last = 0, t, stop;
	long gap = schedule_interval(s, limit);
	int total = 0;

	memset(sim, 0, sizeof(*sim));
	sim->s = s;
	sim->first_day = day_number(from_ymd);
	now = start ? start : tz_from_local(s->zone, from_ymd / 10000, from_ymd / 100 % 100,
					    from_ymd % 100, 0, 0, 0);
	stop = tz_from_local(s->zone, to_ymd / 10000, to_ymd / 100 % 100, to_ymd % 100, 0, 0, 0);
	for (;;) {
		int64_t i;

		t = schedule_next_due(s, limit, now, last, sim_count, sim);
		assert_true(t != (time_t)-1);
		if (t >= stop)
			break;
		assert_true(t >= now);
		assert_int_equal(schedule_is_open(s, t), 1);
		if (last && schedule_day(s, t) == schedule_day(s, last)) /* gap within a day */
			assert_true(t - last >= gap);
		i = day_number(schedule_day(s, t)) - sim->first_day;
		assert_true(i >= 0 && i < 16);
		if (!sim->counts[i])
			sim->first[i] = t;
		sim->counts[i]++;
		sim->last[i] = t;
		total++;
		last = now = t;
	}
	return total;
}

static void test_next_due_week(void **state)
{
	static const int holidays[] = { 20261224, 20261225 };
	/* Sunday 20th to Monday 28th December 2026. */
	static const int expect[] = { 0, 94, 94, 94, 0, 0, 0, 0, 94 };
	struct schedule s;
	struct sim sim;
	int i;

	(void)state;
	berlin_schedule(&s);
	s.holidays = holidays;
	s.nholidays = 2;
	assert_int_equal(simulate(&sim, &s, 94, 20261220, 20261229, 0), 4 * 94);
	for (i = 0; i < 9; i++) {
		int d = 20 + i;

		assert_int_equal(sim.counts[i], expect[i]);
		if (!expect[i])
			continue;
		assert_int_equal(sim.first[i], tz_from_local(s.zone, 2026, 12, d, 8, 30, 0));
		assert_int_equal(sim.last[i], tz_from_local(s.zone, 2026, 12, d, 8, 30, 0) + 93 * 345);
		assert_true(sim.last[i] < tz_from_local(s.zone, 2026, 12, d, 17, 30, 0));
	}
	assert_string_equal(iso(sim.first[1]), "2026-12-21T07:30:00Z");

	/* New York over the end of summer time (Sunday 1 November 2026). */
	s.zone = zone("America/New_York");
	s.holidays = NULL;
	s.nholidays = 0;
	assert_int_equal(simulate(&sim, &s, 94, 20261025, 20261103, 0), 5 * 94);
	for (i = 0; i < 9; i++)
		assert_int_equal(sim.counts[i], (i >= 1 && i <= 4) || i == 8 ? 94 : 0);
	assert_string_equal(iso(sim.first[1]), "2026-10-26T12:30:00Z");
	assert_string_equal(iso(sim.first[8]), "2026-11-02T13:30:00Z");
}

static void test_next_due_rules(void **state)
{
	struct schedule s;
	struct sim sim;
	time_t now, last;

	(void)state;
	berlin_schedule(&s);
	memset(&sim, 0, sizeof(sim));
	sim.first_day = day_number(20261130);

	/* A run starting inside the hours sends at once. */
	now = at("2026-12-01T10:17:05Z");
	assert_int_equal(schedule_next_due(&s, 94, now, 0, sim_count, &sim), now);
	assert_int_equal(schedule_next_due(&s, 94, now, at("2026-11-30T16:29:00Z"), sim_count, &sim), now);
	/* Otherwise at the start of the hours. */
	assert_string_equal(iso(schedule_next_due(&s, 94, at("2026-12-01T05:00:00Z"), 0, sim_count, &sim)),
			    "2026-12-01T07:30:00Z");
	/* Never closer than the interval to the last attempt. */
	last = now - 100;
	assert_int_equal(schedule_next_due(&s, 94, now, last, sim_count, &sim), last + 345);
	/* No catch-up burst after the sender was away: at once, then paced. */
	last = at("2026-12-01T08:00:00Z");
	now = at("2026-12-01T12:00:00Z");
	assert_int_equal(schedule_next_due(&s, 94, now, last, sim_count, &sim), now);
	assert_int_equal(schedule_next_due(&s, 94, now, now, sim_count, &sim), now + 345);
	/* The interval running past the end of the hours moves to the next working day. */
	last = at("2026-12-01T16:25:00Z");
	assert_string_equal(iso(schedule_next_due(&s, 94, last, last, sim_count, &sim)),
			    "2026-12-02T07:30:00Z");
	/* The day's limit reached: the next working day, whose count is its own. */
	sim.counts[1] = 94;
	assert_string_equal(iso(schedule_next_due(&s, 94, at("2026-12-01T10:00:00Z"), 0, sim_count, &sim)),
			    "2026-12-02T07:30:00Z");
	sim.counts[2] = 94;
	sim.counts[3] = 93;
	assert_string_equal(iso(schedule_next_due(&s, 94, at("2026-12-01T10:00:00Z"), 0, sim_count, &sim)),
			    "2026-12-03T07:30:00Z");
	sim.counts[3] = 94;
	assert_string_equal(iso(schedule_next_due(&s, 94, at("2026-12-01T10:00:00Z"), 0, sim_count, &sim)),
			    "2026-12-07T07:30:00Z");
	/* Without a counting callback only the clock applies. */
	assert_int_equal(schedule_next_due(&s, 94, at("2026-12-01T10:00:00Z"), 0, NULL, NULL),
			 at("2026-12-01T10:00:00Z"));

	error_clear();
	assert_int_equal(schedule_next_due(&s, 0, now, 0, NULL, NULL), (time_t)-1);
	assert_non_null(strstr(error_last(), "expected at least 1"));

	/* A run that starts mid-window spreads the rest of the day's sends. */
	assert_int_equal(simulate(&sim, &s, 94, 20261201, 20261202, at("2026-12-01T12:00:00Z")),
			 (16 * 3600 + 1800 - 12 * 3600 + 344) / 345);
	assert_int_equal(sim.first[0], at("2026-12-01T12:00:00Z"));
}

static void test_end_at_midnight(void **state)
{
	struct schedule s;
	struct sim sim;
	int i;

	(void)state;
	berlin_schedule(&s);
	assert_int_equal(hours_parse("18:00-24:00", &s.start_min, &s.end_min), 0);
	assert_int_equal(schedule_interval(&s, 10), 2160);
	/* Thursday 3 December is the last working day of the week. */
	assert_int_equal(schedule_is_open(&s, at("2026-12-03T22:59:59Z")), 1);
	assert_int_equal(schedule_is_open(&s, at("2026-12-03T23:00:00Z")), 0);
	assert_string_equal(iso(schedule_next_open(&s, at("2026-12-03T23:00:00Z"))), "2026-12-07T17:00:00Z");
	assert_int_equal(simulate(&sim, &s, 10, 20261201, 20261208, 0), 40);
	for (i = 0; i < 7; i++)
		assert_int_equal(sim.counts[i], i <= 2 || i == 6 ? 10 : 0);
	assert_string_equal(iso(sim.first[0]), "2026-12-01T17:00:00Z");
	assert_string_equal(iso(sim.last[0]), "2026-12-01T22:24:00Z");

	/* All day long: open from midnight to midnight on working days. */
	assert_int_equal(hours_parse("00:00-24:00", &s.start_min, &s.end_min), 0);
	assert_int_equal(schedule_is_open(&s, at("2026-12-02T22:59:59Z")), 1);
	assert_int_equal(schedule_is_open(&s, at("2026-12-02T23:00:00Z")), 1);
	assert_int_equal(schedule_is_open(&s, at("2026-12-03T23:00:00Z")), 0);
	assert_int_equal(simulate(&sim, &s, 94, 20261201, 20261204, 0), 3 * 94);
	assert_string_equal(iso(sim.first[0]), "2026-11-30T23:00:00Z");
	/* the first send of each day at midnight, not in the phase of the first run */
	assert_string_equal(iso(sim.first[1]), "2026-12-01T23:00:00Z");
	assert_string_equal(iso(sim.first[2]), "2026-12-02T23:00:00Z");
}

/* Sends as fast as the pace allows over one local day; the count. */
static int day_sends(const struct schedule *s, int limit, int y, int m, int d, time_t *first,
		     time_t *last_out)
{
	struct schedule_pace p;
	time_t t = tz_from_local(s->zone, y, m, d, 0, 0, 0);
	time_t stop = tz_from_local(s->zone, y, m, d + 1, 0, 0, 0);
	int n = 0;

	schedule_pace_init(&p, s, limit, 0);
	for (;;) {
		t = schedule_pace_due(s, limit, &p, t, NULL, NULL, NULL);
		if (t == (time_t)-1 || t >= stop || n >= limit)
			break;
		assert_int_equal(schedule_is_open(s, t), 1);
		if (!n)
			*first = t;
		*last_out = t;
		schedule_pace_take(&p, s, limit, t);
		n++;
	}
	return n;
}

static void test_dst_days(void **state)
{
	struct schedule s;
	time_t first = 0, last = 0;

	(void)state;
	schedule_init(&s, zone("America/New_York"));
	s.suspended = 0;
	assert_int_equal(hours_parse("01:00-04:00", &s.start_min, &s.end_min), 0);
	/* Spring forward on 8 March 2026: 02:00 does not exist, the day has
	 * two open hours and still holds the whole limit. */
	assert_int_equal(schedule_day_length(&s, tz_from_local(s.zone, 2026, 3, 8, 12, 0, 0)), 7200);
	assert_int_equal(schedule_day_interval(&s, 6, tz_from_local(s.zone, 2026, 3, 8, 12, 0, 0)), 1200);
	assert_int_equal(day_sends(&s, 6, 2026, 3, 8, &first, &last), 6);
	assert_string_equal(iso(first), "2026-03-08T06:00:00Z");
	assert_string_equal(iso(last), "2026-03-08T07:40:00Z");
	assert_int_equal(day_sends(&s, 100, 2027, 3, 14, &first, &last), 100);
	/* Fall back on 1 November 2026: 01:00-02:00 twice, four open hours. */
	assert_int_equal(schedule_day_length(&s, tz_from_local(s.zone, 2026, 11, 1, 12, 0, 0)), 14400);
	assert_int_equal(day_sends(&s, 100, 2026, 11, 1, &first, &last), 100);
	/* A 24-hour window with limit 1 keeps midnight after the change. */
	assert_int_equal(hours_parse("00:00-24:00", &s.start_min, &s.end_min), 0);
	assert_int_equal(day_sends(&s, 1, 2026, 3, 9, &first, &last), 1);
	assert_string_equal(iso(first), "2026-03-09T04:00:00Z");

	/* Chatham falls back at 03:45 to 02:45 on 5 April 2026: the hours
	 * 03:00-04:00 open again the same date and are used. */
	schedule_init(&s, zone("Pacific/Chatham"));
	s.suspended = 0;
	assert_int_equal(hours_parse("03:00-04:00", &s.start_min, &s.end_min), 0);
	assert_int_equal(schedule_day_length(&s, tz_from_local(s.zone, 2026, 4, 5, 12, 0, 0)), 6300);
	assert_int_equal(schedule_is_open(&s, at("2026-04-04T13:59:59Z")), 1);
	assert_int_equal(schedule_is_open(&s, at("2026-04-04T14:00:00Z")), 0);
	assert_string_equal(iso(schedule_next_open(&s, at("2026-04-04T14:00:00Z"))), "2026-04-04T14:15:00Z");
	assert_int_equal(day_sends(&s, 7, 2026, 4, 5, &first, &last), 7);
	assert_string_equal(iso(first), "2026-04-04T13:15:00Z");
	assert_string_equal(iso(last), "2026-04-04T15:00:00Z");
}

static void test_burst(void **state)
{
	struct schedule s;
	struct schedule_pace p;
	time_t now = at("2026-12-01T09:00:00Z"), t;
	int wait, k;

	(void)state;
	berlin_schedule(&s);
	s.burst = 6;
	s.burst_gap = 20;
	schedule_pace_init(&p, &s, 100, 0);
	/* a full bucket: six attempts 20 s apart, then one per interval (324 s) */
	for (k = 0; k < 6; k++) {
		t = schedule_pace_due(&s, 100, &p, now, NULL, NULL, &wait);
		assert_int_equal(t, now + (k ? 20 : 0));
		assert_int_equal(wait, k ? SCHEDULE_WAIT_BURST : SCHEDULE_WAIT_NONE);
		schedule_pace_take(&p, &s, 100, t);
		now = t;
	}
	t = schedule_pace_due(&s, 100, &p, now, NULL, NULL, &wait);
	assert_int_equal(wait, SCHEDULE_WAIT_TOKEN);
	assert_int_equal(t, at("2026-12-01T09:00:00Z") + 324);
	/* an hour away refills the bucket to six, never more */
	now = at("2026-12-01T11:00:00Z");
	for (k = 0; k < 6; k++) {
		t = schedule_pace_due(&s, 100, &p, now, NULL, NULL, &wait);
		assert_int_equal(t, now);
		schedule_pace_take(&p, &s, 100, t);
		now = t + 20;
	}
	t = schedule_pace_due(&s, 100, &p, now, NULL, NULL, &wait);
	assert_int_equal(wait, SCHEDULE_WAIT_TOKEN);
	/* a new run knows only the last attempt: an empty bucket then */
	schedule_pace_init(&p, &s, 100, at("2026-12-01T11:01:40Z"));
	assert_int_equal(schedule_pace_due(&s, 100, &p, at("2026-12-01T11:01:41Z"), NULL, NULL, &wait),
			 at("2026-12-01T11:01:40Z") + 324);
	/* the next day starts full at the start of the hours */
	assert_string_equal(iso(schedule_pace_due(&s, 100, &p, at("2026-12-01T16:30:00Z"), NULL, NULL, &wait)),
			    "2026-12-02T07:30:00Z");
	assert_int_equal(wait, SCHEDULE_WAIT_TOKEN);
}

static void test_clock_now(void **state)
{
	const char *old = getenv("MAILOUT_NOW");
	char *saved = old ? xstrdup(old) : NULL;
	time_t before, t;

	(void)state;
	setenv("MAILOUT_NOW", "2026-12-01T08:00:00Z", 1);
	assert_int_equal(clock_now(), 1796112000);
	clock_set_zone(zone("Europe/Berlin"));
	assert_int_equal(clock_now(), 1796112000);
	setenv("MAILOUT_NOW", "2026-12-01T09:00", 1);
	assert_int_equal(clock_now(), 1796112000);
	setenv("MAILOUT_NOW", "2026-12-01", 1);
	assert_string_equal(iso(clock_now()), "2026-11-30T23:00:00Z");
	clock_set_zone(NULL);
	setenv("MAILOUT_NOW", "2026-12-01T09:00", 1);
	assert_string_equal(iso(clock_now()), "2026-12-01T09:00:00Z");
	setenv("MAILOUT_NOW", "tomorrow", 1);
	error_clear();
	assert_int_equal(clock_now(), (time_t)-1);
	assert_non_null(strstr(error_last(), "MAILOUT_NOW"));
	unsetenv("MAILOUT_NOW");
	before = time(NULL);
	t = clock_now();
	assert_true(t >= before && t <= time(NULL));
	if (saved)
		setenv("MAILOUT_NOW", saved, 1);
	free(saved);
}

static int teardown(void **state)
{
	(void)state;
	tz_cache_release();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tz_berlin),
		cmocka_unit_test(test_tz_new_york_sydney_kolkata_utc),
		cmocka_unit_test(test_tz_rejects),
		cmocka_unit_test(test_tz_files),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_parse_local),
		cmocka_unit_test(test_date_parse),
		cmocka_unit_test(test_hours_parse),
		cmocka_unit_test(test_weekday_parse),
		cmocka_unit_test(test_duration_parse),
		cmocka_unit_test(test_next_open),
		cmocka_unit_test(test_interval),
		cmocka_unit_test(test_next_due_week),
		cmocka_unit_test(test_next_due_rules),
		cmocka_unit_test(test_end_at_midnight),
		cmocka_unit_test(test_dst_days),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_clock_now),
	};
	int rc = cmocka_run_group_tests(tests, NULL, teardown);

	error_clear();
	return rc;
}
