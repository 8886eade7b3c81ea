#include "render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "xalloc.h"
#include "yamlfile.h"

static const struct ykey front_matter_keys[] = {
	{ "subject", YKEY_REQUIRED }, { "preheader", 0 }, { NULL, 0 }
};

/* Finds the closing "---" line of the front matter; returns the offset of
 * the body and sets *fm_end to the end of the front matter text. */
static int split_front_matter(const char *text, size_t len, size_t *fm_end, size_t *body,
			      int *body_line)
{
	size_t pos, line_start;
	int line = 1;

	if (len < 4 || strncmp(text, "---", 3) || (text[3] != '\n' && text[3] != '\r'))
		return -1;
	pos = text[3] == '\r' ? 5 : 4;
	line = 2;
	while (pos < len) {
		line_start = pos;
		while (pos < len && text[pos] != '\n')
			pos++;
		if (pos - line_start >= 3 && !strncmp(text + line_start, "---", 3) &&
		    (pos - line_start == 3 || (pos - line_start == 4 && text[line_start + 3] == '\r'))) {
			*fm_end = line_start;
			*body = pos < len ? pos + 1 : pos;
			*body_line = line + 1;
			return 0;
		}
		pos++;
		line++;
	}
	return -1;
}

static int parse_field(struct template **out, char **source_out, const struct ydoc *doc,
		       const struct ynode *n, const char *key, struct diag_list *diags)
{
	*out = NULL;
	*source_out = NULL;
	if (ynode_is_null(n))
		return 0;
	if (n->kind != YNODE_SCALAR) {
		ydiag(diags, doc, n, DIAG_ERROR, "'%s' must be a value", key);
		return -1;
	}
	if (!header_safe(n->value, n->len)) {
		ydiag(diags, doc, n, DIAG_ERROR,
		      "'%s' contains a line break or NUL, which could inject mail headers", key);
		return -1;
	}
	*source_out = xstrdup(n->value);
	return template_parse(out, n->value, n->len, doc->path, n->line,
			      n->col + (n->plain ? 0 : 1), diags);
}

int newsletter_load(struct newsletter **out, const char *root, const char *name,
		    struct diag_list *diags)
{
	struct buf full = BUF_INIT, text = BUF_INIT;
	struct newsletter *nl = xcalloc(1, sizeof(*nl));
	struct ydoc *doc = NULL;
	size_t fm_start, fm_end = 0, body = 0;
	int ret = -1, bad = 0;

	*out = NULL;
	nl->name = xstrdup(name);
	nl->path = xasprintf("templates/%s.md", name);
	buf_addf(&full, "%s/%s", root, nl->path);
	if (buf_read_file(&text, full.ptr, YAMLFILE_MAX_SIZE) < 0) {
		diag_add(diags, DIAG_ERROR, nl->path, 0, 0, "cannot read: %s",
			 errno == EFBIG ? "file too large" : strerror(errno));
		goto done;
	}
	if (memchr(text.ptr, '\0', text.len)) {
		diag_add(diags, DIAG_ERROR, nl->path, 0, 0, "NUL byte in file");
		goto done;
	}
	if (split_front_matter(text.ptr, text.len, &fm_end, &body, &nl->body_line) < 0) {
		diag_add(diags, DIAG_ERROR, nl->path, 1, 1,
			 "missing front matter: start the file with a '---' line, 'subject: ...', and a closing '---' line");
		goto done;
	}
	fm_start = text.ptr[3] == '\r' ? 5 : 4;
	if (ydoc_parse(&doc, nl->path, text.ptr + fm_start, fm_end - fm_start, 1, diags) < 0)
		goto done;
	ydoc_check_secrets(doc, diags);
	if (!doc->root) {
		diag_add(diags, DIAG_ERROR, nl->path, 1, 1, "missing required key 'subject' in front matter");
		goto done;
	}
	if (ymap_check(doc, doc->root, "front matter", front_matter_keys, diags))
		bad = 1;
	if (doc->root->kind != YNODE_MAP)
		goto done;
	if (parse_field(&nl->subject, &nl->subject_source, doc, ynode_get(doc->root, "subject"),
			"subject", diags) < 0)
		bad = 1;
	if (parse_field(&nl->preheader, &nl->preheader_source, doc,
			ynode_get(doc->root, "preheader"), "preheader", diags) < 0)
		bad = 1;
	nl->body_len = text.len - body;
	nl->body_source = xstrndup(text.ptr + body, nl->body_len);
	if (template_parse(&nl->body, nl->body_source, nl->body_len, nl->path, nl->body_line, 1,
			   diags) < 0)
		bad = 1;
	if (!bad && nl->subject)
		ret = 0;
done:
	ydoc_free(doc);
	buf_release(&full);
	buf_release(&text);
	if (ret < 0)
		newsletter_free(nl);
	else
		*out = nl;
	return ret;
}

void newsletter_free(struct newsletter *nl)
{
	if (!nl)
		return;
	free(nl->name);
	free(nl->path);
	free(nl->subject_source);
	free(nl->preheader_source);
	free(nl->body_source);
	template_free(nl->subject);
	template_free(nl->preheader);
	template_free(nl->body);
	free(nl);
}

int signature_load(struct template **out, char **source_out, const char *root,
		   const char *person, struct diag_list *diags)
{
	struct buf full = BUF_INIT, text = BUF_INIT;
	char *rel = xasprintf("templates/signatures/%s.md", person);
	int ret = 0;

	*out = NULL;
	*source_out = NULL;
	buf_addf(&full, "%s/%s", root, rel);
	if (buf_read_file(&text, full.ptr, YAMLFILE_MAX_SIZE) < 0) {
		if (errno != ENOENT) {
			diag_add(diags, DIAG_ERROR, rel, 0, 0, "cannot read: %s", strerror(errno));
			ret = -1;
		}
		goto done;
	}
	ret = template_parse(out, text.ptr, text.len, rel, 1, 1, diags);
	if (ret == 0)
		*source_out = buf_detach(&text, NULL);
done:
	free(rel);
	buf_release(&full);
	buf_release(&text);
	return ret;
}
