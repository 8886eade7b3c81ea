/*
 * The clock rules: time zones, time parsing and formatting, working hours,
 * suspended days, holidays and the pacing of each sending account.
 *
 * Time zones are read from the TZif files of the system's zone database
 * ($TZDIR, default /usr/share/zoneinfo) by mailout itself, never through
 * setenv("TZ"): a zone is loaded once into a process-wide cache, its
 * transitions extended from the file's POSIX TZ footer up to the year 2100,
 * and every conversion afterwards is a binary search in memory.  Instants
 * after that table follow the footer's rule, computed on the fly, so slim
 * zone files (which stop listing transitions early) work too.  Zone files
 * with leap seconds ("right/...") are refused.  The cache is not
 * thread-safe: load zones before starting threads.
 *
 * Functions returning int give 0 on success and -1 after error_set() with a
 * message that says what was expected.
 */
#ifndef MAILOUT_SCHEDULE_H
#define MAILOUT_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ---- time zones ---- */

struct tz; /* owned by a process-wide cache; never freed by callers */

/*
 * The zone called name ("Europe/Berlin", "UTC"), loaded on first use.  NULL
 * after error_set() when name is not a zone: names with "..", a leading
 * "/" or characters outside [A-Za-z0-9/_+-.] are refused before any file
 * is opened, as is a file that is not TZif.
 */
const struct tz *tz_get(const char *name);
const char *tz_name(const struct tz *z);

/*
 * Local time of t in zone z (NULL means UTC).  Every field of out is set,
 * including tm_gmtoff (seconds east of UTC), tm_isdst, tm_wday, tm_yday
 * and tm_zone (points into the cache).
 */
void tz_to_local(const struct tz *z, time_t t, struct tm *out);

/*
 * The instant at which the wall clock of zone z (NULL means UTC) shows the
 * given local time.  In a gap (spring forward) it is the instant right
 * after the gap; in an overlap (fall back) the earlier of the two.  Fields
 * out of range are carried over (day 32 of a month is a day of the next
 * one, hour 24 is midnight of the next day).
 */
time_t tz_from_local(const struct tz *z, int year, int mon /* 1-12 */, int day,
		     int hour, int min, int sec);

/* Frees every cached zone; pointers from tz_get() are invalid afterwards. */
void tz_cache_release(void);

/* ---- parsing and formatting ---- */

/* "2026-12-01T08:00:00Z" or "...+01:00"; fractional seconds are ignored. */
int time_parse_rfc3339(const char *s, time_t *out);
/*
 * "2026-12-01T08:00", "2026-12-01T08:00:00", "2026-12-01 08:00" or the date
 * alone "2026-12-01" (00:00) on the wall clock of zone z (NULL means UTC);
 * a full RFC 3339 time (with Z or an offset) is taken as it is.
 */
int time_parse_local(const char *s, const struct tz *z, time_t *out);
/* UTC, "2026-12-01T07:00:00Z". */
void time_format_rfc3339(char out[32], time_t t);
/* "2026-12-24" -> 20261224; the date must exist (2026-02-30 is refused). */
int date_parse(const char *s, int *ymd_out);
/*
 * "08:30-17:30" -> 510, 1050 (minutes of the day).  The end is exclusive,
 * "24:00" is allowed as the end only, and the start must be before the end.
 */
int hours_parse(const char *s, int *start_min, int *end_min);
/* "sun", "mon", ... or "sunday", ... (lower case) -> 0 (sunday) .. 6; else -1. */
int weekday_parse(const char *s);
/*
 * "30s", "9m", "2h", "7d" or combinations from the largest unit down
 * ("1h30m", "2d12h"); "0" alone is 0.  Refuses signs, spaces, repeated or
 * misordered units and values that do not fit a long.
 */
int duration_parse(const char *s, long *seconds_out);

/*
 * The current time: MAILOUT_NOW when set (RFC 3339, or a local date-time
 * in the zone given to clock_set_zone(), UTC before that), else time(NULL).
 * A malformed MAILOUT_NOW gives (time_t)-1 after error_set().
 */
time_t clock_now(void);
void clock_set_zone(const struct tz *z);

/* ---- working hours and pacing ---- */

#define SCHEDULE_START_DEFAULT (8 * 60 + 30)
#define SCHEDULE_END_DEFAULT (17 * 60 + 30)
#define SCHEDULE_SUSPENDED_DEFAULT ((1u << 5) | (1u << 6) | (1u << 0)) /* fri, sat, sun */

struct schedule {
	const struct tz *zone;  /* the organisation's or the account's override; NULL = UTC */
	int start_min, end_min; /* working hours, end exclusive (1440 = 24:00) */
	unsigned suspended;     /* bit (1u << wday), 0 = sunday; default fri, sat, sun */
	const int *holidays;    /* sorted yyyymmdd, borrowed from the caller */
	size_t nholidays;
	int burst;              /* attempts a full bucket holds; 1 = strict pace */
	long burst_gap;         /* least seconds between the attempts of one burst */
};

#define SCHEDULE_BURST_GAP_DEFAULT 20

/* Default hours and suspended days, no holidays, burst 1. */
void schedule_init(struct schedule *s, const struct tz *zone);

/* The local yyyymmdd of t: the day on which the daily limit counts it. */
int schedule_day(const struct schedule *s, time_t t);
/* Whether t is on a working day that is not a holiday, inside the hours. */
int schedule_is_open(const struct schedule *s, time_t t);
/*
 * t when open, else the start of the next open window, searching about two
 * years ahead; (time_t)-1 when there is none (every day suspended).
 */
time_t schedule_next_open(const struct schedule *s, time_t t);
/*
 * The least gap in seconds between two sends of an account: the nominal
 * window length divided by daily_limit, rounded up, at least 1.  When
 * rounding up would keep a full window from holding daily_limit sends
 * (limits above about the square root of the window in seconds), it is
 * the largest whole gap that still fits them all.
 */
long schedule_interval(const struct schedule *s, int daily_limit);
/*
 * The open seconds of the local day of t (0 on a day off) and the gap of
 * that day: its real length, so a day that loses or gains an hour to a
 * change of offset still holds daily_limit sends.
 */
long schedule_day_length(const struct schedule *s, time_t t);
long schedule_day_interval(const struct schedule *s, int daily_limit, time_t t);

/*
 * Counts the attempts an account already made on local day yyyymmdd.
 */
typedef int (*schedule_count_fn)(int yyyymmdd, void *payload);

/*
 * The pace of one account: a token bucket per working window.  Each local
 * day's window starts with a full bucket of s->burst tokens; a token is
 * added every schedule_day_interval() of open time, never more than
 * s->burst; each attempt takes one.  Attempts of one burst are at least
 * s->burst_gap apart (the gap itself when that is shorter).  Time outside
 * the hours adds nothing, and the gap does not reach across days: the
 * first attempt of each window may be at its start.  With burst 1 this is
 * the strict pace of one attempt per interval.
 */
struct schedule_pace {
	int64_t day; /* local day number of the bucket; INT64_MIN before any */
	int64_t tat; /* open seconds of that day at which the bucket is full again
		      * (burst 1: when the next attempt may go) */
	time_t last; /* the last attempt, 0 none */
};

/*
 * The state known from an account's last attempt alone (0: none): the
 * bucket empty right after it.  A run that kept the state in memory knows
 * more; one that starts afresh never sends more than the bucket allows.
 */
void schedule_pace_init(struct schedule_pace *p, const struct schedule *s, int daily_limit,
			time_t last_attempt);
/* Records an attempt at t (the moment returned by schedule_pace_due()). */
void schedule_pace_take(struct schedule_pace *p, const struct schedule *s, int daily_limit,
			time_t t);

enum {
	SCHEDULE_WAIT_NONE,  /* due at now */
	SCHEDULE_WAIT_BURST, /* due after the burst gap, a token is there */
	SCHEDULE_WAIT_TOKEN  /* waits for a new token, the hours or another day */
};

/*
 * The earliest moment >= now at which an account may send its next
 * message: inside an open window, on a day whose count (attempts_for_day;
 * NULL counts 0) is below daily_limit, when the bucket holds a token and
 * the burst gap since the last attempt has passed.  *wait (may be NULL)
 * says what the moment waits for.  (time_t)-1 when no such moment exists
 * within about two years, or after error_set() when daily_limit < 1.
 */
time_t schedule_pace_due(const struct schedule *s, int daily_limit, const struct schedule_pace *p,
			 time_t now, schedule_count_fn attempts_for_day, void *payload, int *wait);

/* schedule_pace_due() from the state schedule_pace_init() gives. */
time_t schedule_next_due(const struct schedule *s, int daily_limit, time_t now,
			 time_t last_attempt, schedule_count_fn attempts_for_day,
			 void *payload);

/* Day numbers of the proleptic Gregorian calendar (0 is 1970-01-01) and
 * back; days past the end of a month carry over. */
int64_t schedule_day_number(int64_t year, int month, int64_t day);
void schedule_civil_date(int64_t dn, int64_t *year, int *month, int *day);

#endif
