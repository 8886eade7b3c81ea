/*
 * What the files of the status site share; included by src/site*.c only.
 *
 *   site.c           building: reading the plan, the theme
 *   site_files.c     writing files, keeping those that did not change,
 *                    putting the new site in place of the old one
 *   site_page.c      the page frame and the output helpers every page uses
 *                    (escaping with addresses masked, counts, times, names)
 *   site_pages.c     the campaign lists (top page, departments), the
 *                    accounts page and the unsubscribe page
 *   site_campaign.c  the campaign page and its newsletter preview
 *   site_chart.c     the campaign page's chart of messages sent per day
 *
 * Strings from content reach a page only through site_put() and the other
 * site_put_*() helpers, which escape for HTML and mask addresses.
 */
#ifndef MAILOUT_SITE_PRIVATE_H
#define MAILOUT_SITE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "diag.h"
#include "plan.h"
#include "site.h"
#include "template.h"
#include "util.h"

/* A page's <title> at most (WCAG's and html-validate's long-title). */
#define SITE_TITLE_MAX 70

/* ---- the site being built ---- */

struct account_counts {
	const char *account; /* interned; NULL: no account assigned */
	long count[STATE_COUNT];
	long sent_today;
};

struct day_sent {
	int day; /* yyyymmdd in the organisation's zone */
	const char *account; /* interned */
	long sent;
};

struct campaign_page {
	const struct campaign_summary *summary;
	struct account_counts *accounts;
	size_t naccounts;
	struct day_sent *days; /* by day */
	size_t ndays, days_cap;
};

struct theme {
	struct template *page, *unsubscribe;
	uint64_t page_source; /* the hash of site/page.html */
	struct buf css, js;
	char css_href[48], js_href[48];
};

struct site {
	struct plan *p;
	const struct config *cfg;
	time_t now;
	int today;
	char updated[48], updated_iso[32];
	struct campaign_summary *summaries;
	size_t n;
	struct account_summary *accounts; /* cfg.accounts order */
	struct campaign_page *pages; /* parallel to summaries */
	struct strmap ids; /* campaign id -> page index + 1 */
	struct strmap names; /* interned account ids */
	struct theme theme;
	char *dir; /* the new site, a temporary directory (in dir_path) */
	const char *out_dir; /* where site/ goes */
	char *old_dir; /* <out>/site, the site being replaced */
	struct buf dir_path, manifest; /* the new site's .manifest */
	struct buf old_manifest; /* the old site's, as read */
	struct strmap old_files; /* path -> struct site_file, the old .manifest */
	size_t old_strays; /* what the old site holds besides its manifest's files */
	size_t files_written, files_kept;
	uint64_t inputs; /* of the page being written, for the manifest; 0: none */
	uint64_t site_inputs; /* what every page is made from; 0: not known */
	struct strmap input_files; /* path -> struct site_input_file (site_inputs.c) */
	struct diag_list *diags;
	int query_failed; /* a plan query failed where only a count could be returned */
};

/* ---- site.c: the site's data and files ---- */

/* The one copy of an account id (owned by s), so ids compare as pointers;
 * NULL stays NULL. */
const char *site_intern(struct site *s, const char *name);
/* The counts of account (interned) on the campaign's page, added when new. */
struct account_counts *site_counts_for(struct campaign_page *pg, const char *account);
/* error_set() with the plan's message about what was read; gives -1. */
int site_plan_failed(struct site *s, const char *what);

/* ---- site_files.c: the files, kept where unchanged, and the swap ---- */

/* Reads what the old site <out_dir>/site holds (out_dir must outlive s). */
void site_files_begin(struct site *s, const char *out_dir, struct site_scan *scan);
/* Writes rel (a path inside the new site) with its folders, or links the
 * old site's file there when it holds the same content but for the stamps
 * (s->updated, s->updated_iso, the commit); the new site's temporary
 * folder next to the old one is made at the first file that differs.  -1
 * after error_set(). */
int site_write(struct site *s, const char *rel, const char *data, size_t len);
/* When the old site's files rels (n of them) were made from inputs (the
 * page's site_page_inputs(), not 0) and are still there as made, keeps
 * them as site_write() keeps unchanged files and gives 1; 0 when they are
 * to be written (nothing is recorded then); -1 after error_set(). */
int site_keep_files(struct site *s, const char *const *rels, size_t n, uint64_t inputs);
/* Puts the new site in place of the old one, unless every file is as it
 * was; -1 after error_set(). */
int site_files_commit(struct site *s);
/* Removes the new site's folder unless committed, and frees the rest. */
void site_files_release(struct site *s);
/* rm -r path; 0, or -1 when something stayed. */
int site_remove_tree(const char *path);

/* ---- site_inputs.c: what a page is made from ---- */

/* Sets s->site_inputs: the program (its build and its libraries'), the
 * theme's frame, what the frame shows of mailout.yaml, the commit's
 * presence and the working tree's state; 0 when the program cannot be
 * told apart from another build. */
void site_inputs_begin(struct site *s);
/* A campaign page's inputs: s->site_inputs, body (the page but for its
 * preview and its frame) and everything the preview is rendered from
 * (the newsletter, signature, layout and footer files, the campaign's
 * and the organisation's values); 0 when one of them cannot be read (the
 * page is then made, and the renderer says what is wrong). */
uint64_t site_page_inputs(struct site *s, const struct campaign *c, const struct buf *body);
void site_inputs_release(struct site *s);

/* ---- site_page.c: output helpers ---- */

/* HTML text or attribute value, addresses masked; NULL puts nothing. */
void site_put(struct buf *b, const char *s);
/* A JSON string for a script element, addresses masked; NULL puts "". */
void site_put_json(struct buf *b, const char *s);
/* A template value, addresses masked (the template escapes it). */
struct tvalue *site_masked_value(const char *s);
/* 1234567 -> "1,234,567". */
void site_put_count(struct buf *b, long n);
/* "2026-12-03 16:00 CET" in the organisation's zone. */
void site_format_local(const struct site *s, time_t t, char out[48]);
/* A <time> element in the organisation's zone; 0 puts a dash. */
void site_put_time(struct buf *b, const struct site *s, time_t t);
/* The name of a person or department, else its id ("" for NULL). */
const char *site_person_name(const struct site *s, const char *id);
const char *site_department_name(const struct site *s, const char *id);
/* "Contacts", "Companies", "Leads". */
void site_put_type(struct buf *b, int type);

/* Pieces several pages show. */
void site_put_badge(struct buf *b, enum campaign_state st);
void site_put_bar(struct buf *b, int percent, int large);
void site_put_star(struct buf *b, const struct account_summary *a);
void site_put_note(struct buf *b, const struct site *s, const struct notification *nt);
/* An interrupted campaign's critical notification (cs->critical, time set),
 * naming the campaign that recorded it when that is another one. */
void site_put_critical(struct buf *b, const struct site *s, const struct campaign_summary *cs);
/* Text with every UTC time written as 2026-12-03T14:00:02Z in the
 * organisation's zone instead ("2026-12-03 15:00 CET"). */
void site_local_times(struct buf *out, const struct site *s, const char *text);
/* A text from the plan through site_put() with local times. */
void site_put_reason(struct buf *b, const struct site *s, const char *reason);
/* The star alone, hidden from screen readers (its title tells the state on
 * hover): for places that say the state in words beside it. */
void site_put_star_mark(struct buf *b, const struct account_summary *a);
/* The reasons of every account (s->accounts and each summary's) with
 * their times in the organisation's zone. */
void site_localize_reasons(struct site *s);

/* ---- site_page.c: the frame ---- */

/* The way up to the top of the site from a page depth (0 to 2) folders
 * below it: "", "../", "../../". */
const char *site_up(int depth);
/* Writes rel (depth folders below the top) with content in the frame of
 * site/page.html; -1 after error_set(). */
int site_write_page(struct site *s, const char *rel, int depth, const char *title,
		    const struct buf *content);

/* ---- site_list.c: what the campaign lists need beyond their first page ---- */

/* Rows of a campaign list on each of its static pages, and in each of its
 * data files. */
#define SITE_PAGE_ROWS 50
#define SITE_DATA_ROWS 500
#define SITE_LIST_PAGES(n) ((n) ? ((n) + SITE_PAGE_ROWS - 1) / SITE_PAGE_ROWS : 1)
#define SITE_LIST_CHUNKS(n) ((n) ? ((n) + SITE_DATA_ROWS - 1) / SITE_DATA_ROWS : 1)

/* The links to the pages of a list (index.html, index-2.html, ...) around
 * page at of pages; an empty hidden nav for one page. */
void site_put_pager(struct buf *b, size_t at, size_t pages);
/* Writes dir (a folder inside the site, "" or ending in "/")
 * index-data-1.js ...: the rows (indexes into s->summaries) as data for
 * site/app.js; -1 after error_set(). */
int site_write_list_data(struct site *s, const char *dir, const size_t *rows, size_t nrows);

/* ---- the pages; each gives 0, or -1 after error_set() or diagnostics ---- */

/* site_pages.c: the campaigns of one department (NULL: all), written to
 * dir (depth folders below the top, "" or ending in "/"): index.html with
 * the first SITE_PAGE_ROWS, index-2.html ... with the next, and the list's
 * data files. */
int site_write_campaign_list(struct site *s, const char *dir, int depth, const char *department);
int site_write_accounts_page(struct site *s);
int site_write_unsubscribe_page(struct site *s);

/* site_campaign.c: campaigns/<id>/index.html and preview.html. */
int site_write_campaign_page(struct site *s, struct campaign_page *pg);

/* site_chart.c: sent per day, stacked by account, as inline SVG with a
 * table of the numbers beside it. */
void site_put_chart(struct buf *b, const struct campaign_page *pg);

#endif
