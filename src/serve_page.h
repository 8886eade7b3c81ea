/*
 * The pages `mailout serve` answers with, in the organisation's language
 * (src/lang.h, the "serve." texts), built in or from a theme directory
 * (`mailout serve --theme DIR`).
 *
 * A theme holds all four pages, each a mustache template (src/template.h):
 *
 *   confirm.html  GET or HEAD with a valid token: a form that POSTs it
 *   done.html     the request is recorded (200)
 *   invalid.html  the token does not verify (400): offer the mailto
 *   message.html  every other answer (404, 405, 413, 429, 431, 503)
 *
 * Placeholders, the same on every page (empty where they do not apply):
 *   {{lang}}          the language tag (organization.language)
 *   {{organization}}  organization.name
 *   {{title}}, {{text}}  the page's heading and sentence, in the language
 *   {{button}}        confirm: the label of the button
 *   {{action}}, {{token}}  confirm: the form's action and its field "t"
 *   {{address}}, {{mailto_text}}  invalid: unsubscribe.address and the
 *                     sentence that introduces it
 *   {{status}}        the HTTP status code
 * Every value is HTML-escaped; a triple mustache or an unknown name is an
 * error when the theme is loaded, as is a missing or unreadable file.
 */
#ifndef MAILOUT_SERVE_PAGE_H
#define MAILOUT_SERVE_PAGE_H

#include "buf.h"
#include "diag.h"

#define SERVE_THEME_FILE_MAX (64 * 1024)

enum serve_page_kind { SERVE_PAGE_CONFIRM, SERVE_PAGE_DONE, SERVE_PAGE_INVALID, SERVE_PAGE_MESSAGE };

struct serve_page_values {
	const char *language, *organization, *address; /* of every page */
	const char *action, *token;                    /* confirm */
	const char *title_key, *text_key;              /* message: keys of src/lang.c */
	unsigned status;
};

struct serve_pages;

/*
 * The built-in pages (theme NULL) or those of the directory theme.
 * Returns 0 and *out (free with serve_pages_free), or -1 with every
 * problem in diags at file:line:col.
 */
int serve_pages_load(struct serve_pages **out, const char *theme, struct diag_list *diags);
/* NULL is fine. */
void serve_pages_free(struct serve_pages *p);
/* Appends the page kind filled from v to out; never fails. */
void serve_pages_render(struct buf *out, const struct serve_pages *p, enum serve_page_kind kind,
			const struct serve_page_values *v);

#endif
