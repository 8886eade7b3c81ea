/*
 * Newsletters and the messages made from them.
 *
 * templates/<name>.md holds YAML front matter (`subject`, `preheader`) and a
 * Markdown body with mustache variables; templates/signatures/<person>.md
 * is the owner's signature (Markdown too); templates/layout.html, when
 * present, is the HTML frame.  The Markdown is turned into HTML once per
 * template (render_markdown_html): mustache tags are hidden from cmark and
 * put back afterwards, so the result is an HTML template rendered per
 * recipient with HTML escaping.  The text part is the Markdown source
 * itself after substitution.
 *
 * A campaign's messages are made by a renderer, compiled once per campaign:
 *
 *   struct render *r;
 *   if (render_open(&r, root, &cfg, campaign, &diags) < 0)
 *           ... the problems are in diags ...
 *   for each recipient:
 *           token = token_make(keys, campaign->id, rec.id);
 *           render_mime(&msg, r, &rec, account, token, now, NULL, &message_id);
 *   render_free(r);
 *
 * The template context of every part: the recipient's fields
 * (recipient_context()), owner.id/name/email (the campaign owner),
 * organization.name/postal_address/site_url, campaign.id/name and
 * unsubscribe_url.
 */
#ifndef MAILOUT_RENDER_H
#define MAILOUT_RENDER_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "diag.h"
#include "template.h"

struct account;
struct campaign;
struct config;
struct recipient;

/* The groups of names every message has besides the recipient's fields:
 * owner.*, organization.*, campaign.*. */
struct render_group {
	const char *name;
	const char *const *keys; /* NULL-terminated */
};
/* The group called name (len bytes), or NULL. */
const struct render_group *render_group_find(const char *name, size_t len);

struct newsletter {
	char *name; /* "december-update" */
	char *path; /* "templates/december-update.md" */
	char *subject_source, *preheader_source; /* as written */
	struct template *subject, *preheader; /* preheader may be NULL */
	int subject_line, subject_col; /* where the subject's value starts */
	char *body_source; /* the Markdown after the front matter */
	size_t body_len;
	int body_line; /* line of the file where the body starts */
	struct template *body; /* the text part: the Markdown as a template */
	struct template *html; /* the body as HTML (render_markdown_html), unstyled */
};

/* Loads and parses templates/<name>.md, its HTML form included.  Returns
 * 0, or -1 with diagnostics (then *out is NULL). */
int newsletter_load(struct newsletter **out, const char *root, const char *name,
		    struct diag_list *diags);
void newsletter_free(struct newsletter *n);

/*
 * templates/signatures/<person>.md as a text template (*out) and its source
 * (*source_out, for render_markdown_html; free() it).  Its HTML form is
 * checked too.  0 with both NULL when the file does not exist; -1 with
 * diagnostics when it cannot be read or parsed.
 */
int signature_load(struct template **out, char **source_out, const char *root,
		   const char *person, struct diag_list *diags);

/*
 * templates/layout.html, the HTML frame, checked: it must hold {{{content}}}
 * exactly once (the message: body, signature and footer) and may use
 * {{subject}}, {{preheader}} (escaped only: they carry recipient data),
 * {{unsubscribe_url}}, owner.*, organization.* and campaign.*.  0 and *out
 * NULL when there is no layout (the built-in frame is used); -1 with
 * diagnostics when it is unusable.
 */
#define LAYOUT_FILE "templates/layout.html"
int layout_load(struct template **out, const char *root, struct diag_list *diags);

/*
 * Why a recipient of each type gets the message, the first line of every
 * footer: out[type] (RTYPE_COUNT templates, indexed by enum recipient_type;
 * free each with template_free()) from templates/footer.yaml where it has
 * the type's key (contacts, companies, leads: a mustache text), else the
 * built-in text in LANGUAGE (src/lang.c: "you are a contact of ...", "your
 * company is a customer of ...", "you asked ... about ...").  The texts may
 * use owner.*, organization.* and campaign.* (no recipient fields) and are
 * rendered as plain text.  0, or -1 with diagnostics (then every out[] is
 * NULL).
 */
#define FOOTER_FILE "templates/footer.yaml"
int footer_load(struct template **out, const char *root, const char *language,
		struct diag_list *diags);

/*
 * Appends the HTML of the Markdown src (len bytes) with its mustache tags
 * kept as they were, ready for template_parse().  A section, inverted
 * section, closing or comment tag alone on its line stays alone on a line
 * of the HTML, outside any paragraph, so the standalone-line rule removes
 * it without leaving an empty <p></p>; other tags stay where they were,
 * link targets included.  Raw HTML is kept (CMARK_OPT_UNSAFE: templates
 * are reviewed content).  With styled, the elements cmark makes get inline
 * CSS (the built-in frame).
 */
void render_markdown_html(struct buf *out, const char *src, size_t len, int styled);

/*
 * Block quotes and lists nest at most RENDER_MARKDOWN_MAX_DEPTH levels: no
 * line of the Markdown src (len bytes, starting at line0 of path) may begin
 * with more block quote ('>') and list markers ('-', '+', '*', '1.', '1)')
 * than that, code blocks included.  cmark has no such limit and its cost
 * grows with the depth.  Linear in len; every Markdown template is checked
 * before it is turned into HTML.  Returns 0, or -1 after a diagnostic at
 * the first marker over the limit.
 */
#define RENDER_MARKDOWN_MAX_DEPTH 32
int render_markdown_check(const char *src, size_t len, const char *path, int line0,
			  struct diag_list *diags);

/*
 * Sets owner, organization and campaign (maps) in the context map ctx, as
 * every part of c's messages sees them.
 */
void render_context_groups(struct tvalue *ctx, const struct config *cfg,
			   const struct campaign *c);

struct render;

/*
 * Compiles campaign c's messages: its newsletter, the owner's signature,
 * the layout (or the built-in frame) and the footer.  cfg and c must
 * outlive the renderer.  Returns 0 and *out (free with render_free()), or
 * -1 with diagnostics (content problems) or error_set().
 */
int render_open(struct render **out, const char *root, const struct config *cfg,
		const struct campaign *c, struct diag_list *diags);
void render_free(struct render *r);

/* One recipient's message; every string allocated (rendered_release()). */
struct rendered {
	char *subject, *preheader; /* plain text */
	char *text; /* the text/plain part, LF line ends */
	char *html; /* the text/html part */
};

/*
 * Renders the message for rec.  token is the recipient's unsubscribe token
 * (token_make()); it must consist of token characters ([A-Za-z0-9._-]).
 * Returns 0, or -1 after error_set().
 */
int render_recipient(struct rendered *out, struct render *r, const struct recipient *rec,
		     const char *token);
void rendered_release(struct rendered *m);

/*
 * Appends the whole RFC 5322 message for rec sent through account a,
 * exactly what the sender hands to SMTP: From from the account, To the
 * recipient's address with a display name (contacts and leads: first_name
 * last_name; companies: full_name), Date = date, Message-ID = message_id or
 * a new one at the From domain, List-Unsubscribe (https entry and mailto
 * entry, as "Unsubscribe URLs" in DESIGN.md), List-Unsubscribe-Post with
 * one_click_url, List-Id "<campaign>.<site host>", X-Mailout-Campaign and
 * X-Mailout-Recipient.  The same message id gives the same bytes.
 * *message_id_out (may be NULL) receives the Message-ID (free() it).
 * Returns 0, or -1 after error_set() with out as it was; when a header
 * cannot be built from one of rec's fields (a control character in
 * first_name), the message names it: "field 'first_name' of recipient
 * 'c-1': To header: line break or control character refused".
 */
int render_mime(struct buf *out, struct render *r, const struct recipient *rec,
		const struct account *a, const char *token, time_t date, const char *message_id,
		char **message_id_out);

/*
 * A proof of rec's message for a test address: the same message with
 * "[Proof] " before the subject and To set to to_address (no display
 * name), without the X-Mailout-* headers (a bounce of a proof must not
 * count against the recipient).  The caller passes a token made for
 * RENDER_PROOF_RECIPIENT, so trying the unsubscribe link of a proof
 * unsubscribes nobody: the id is longer than any recipient id can be.
 */
#define RENDER_PROOF_PREFIX "[Proof] "
#define RENDER_PROOF_RECIPIENT "proof-of-a-message-for-a-test-address-not-for-any-recipient-of-the-campaign"
int render_mime_proof(struct buf *out, struct render *r, const struct recipient *rec,
		      const struct account *a, const char *token, time_t date,
		      const char *to_address, char **message_id_out);

/*
 * The campaign's message for a made-up recipient of its type (values
 * invented from the field names the templates use: first_name "Jane",
 * last_name "Doe", company "Example Ltd", other fields "[field name]"; a
 * VIP when the campaign is VIP only), with RENDER_SAMPLE_TOKEN as the
 * token: what the status site shows as the preview.
 */
#define RENDER_SAMPLE_TOKEN "sample"
int render_sample(struct rendered *out, struct render *r);

#endif
