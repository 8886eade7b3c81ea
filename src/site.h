/*
 * The status site: build/site/, static HTML generated from the send plan
 * and the theme in the repository's site/ folder.
 *
 *   site/page.html         the frame of every status page (a template of
 *                          src/template.h, rendered with HTML escaping)
 *   site/unsubscribe.html  the public unsubscribe page
 *   site/style.css         copied to assets/style.css
 *   site/app.js            copied to assets/app.js
 *
 * Pages written (every link is relative, so the site works from disk and
 * from any static host, under any path):
 *
 *   index.html                    every campaign (company managers): the
 *                                 first 50 rows, index-2.html ... the next
 *                                 50 each, index-data-1.js ... the whole
 *                                 list's data for search, filters and sorting
 *   departments/<id>/index.html   one department's campaigns (sales
 *                                 managers), paged and with data the same way
 *   campaigns/<id>/index.html     configuration, progress chart, accounts,
 *                                 failures, retrying and unconfirmed
 *                                 recipients, what to do next, preview
 *   campaigns/<id>/preview.html   the newsletter rendered for a made-up
 *                                 sample recipient, shown in a sandboxed iframe
 *   accounts/index.html           every sending account
 *   unsubscribe/index.html        reads the token from the URL fragment
 *   assets/style.css, assets/app.js
 *   .manifest                     what each file holds (site_files.c)
 *
 * The site holds aggregates only: counts, campaign names and settings, the
 * servers' replies with every address in them masked (j•••@example.net),
 * recipient ids, never a recipient address.  Everything from content is
 * escaped for where it goes (HTML text, attribute, JSON in a script
 * element); each page carries a strict Content-Security-Policy and loads
 * nothing from another host.  Lists of recipients are capped at
 * SITE_LIST_MAX rows per list (the newest), with the total shown.
 *
 * The implementation is spread over src/site*.c by concern (building, the
 * page frame, the pages, the chart); src/site_private.h says which is which.
 */
#ifndef MAILOUT_SITE_H
#define MAILOUT_SITE_H

#include <time.h>

#include "buf.h"
#include "diag.h"
#include "plan.h"

#define SITE_THEME_DIR "site"

/* The default theme built into the program (the repository's site/ at
 * build time), used for files a content repository's site/ lacks. */
struct site_theme_file {
	const char *name; /* "page.html", ... */
	const char *data;
};
extern const struct site_theme_file site_theme_files[];
#define SITE_LIST_MAX 200

/*
 * Writes <out_dir>/site/ from the plan at time now (which decides "sent
 * today" and the status of the accounts).  The site is built in a
 * temporary directory next to it, then put in place of the old one by
 * rename, so readers see the old site or the new one, never a part.  A
 * file whose content is unchanged but for the build's time and commit is
 * a hard link to the old site's file, which keeps its time stamp.
 * Problems with the theme (a missing file, a template syntax error) and
 * with newsletters are added to diags and give -1; other failures give -1
 * after error_set().  The old site is left as it was on any failure.
 * scan: what site_scan_start(out_dir) found, taken and freed; NULL: the
 * old site is looked at here.
 */
struct site_scan;
int site_build(struct plan *p, const char *out_dir, time_t now, struct site_scan *scan,
	       struct diag_list *diags);

/*
 * Starts looking at what the old site in <out_dir>/site holds (its files'
 * names and sizes) on a thread of its own, so that it overlaps the plan's
 * refresh: 20,000 files at 10,000 campaigns.  site_build() takes the scan;
 * site_scan_free() frees one no build took.
 */
struct site_scan *site_scan_start(const char *out_dir);
void site_scan_free(struct site_scan *scan);

/* "jana.novak@example.net" -> "j•••@example.net" (the first character of
 * the local part and the domain are kept), appended to out. */
void site_mask_address(struct buf *out, const char *address);
/* Appends text with everything that looks like an address masked as
 * site_mask_address() does. */
void site_mask_text(struct buf *out, const char *text);

#endif
