/*
 * Newsletters: templates/<name>.md (YAML front matter with `subject` and
 * `preheader`, then Markdown with mustache variables), the owners'
 * signatures, and the rendering of one message for one recipient.
 */
#ifndef MAILOUT_RENDER_H
#define MAILOUT_RENDER_H

#include <stddef.h>

#include "diag.h"
#include "template.h"

struct newsletter {
	char *name; /* "december-update" */
	char *path; /* "templates/december-update.md" */
	char *subject_source, *preheader_source; /* as written */
	struct template *subject, *preheader; /* preheader may be NULL */
	char *body_source; /* the Markdown after the front matter */
	size_t body_len;
	int body_line; /* line of the file where the body starts */
	struct template *body; /* the Markdown source as a template (text part) */
};

/* Loads and parses templates/<name>.md.  Returns 0, or -1 with
 * diagnostics (then *out is NULL). */
int newsletter_load(struct newsletter **out, const char *root, const char *name,
		    struct diag_list *diags);
void newsletter_free(struct newsletter *n);

/* templates/signatures/<person>.md as a template; 0 and *out NULL when the
 * file does not exist. */
int signature_load(struct template **out, char **source_out, const char *root,
		   const char *person, struct diag_list *diags);

#endif
