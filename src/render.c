#include "render.h"

#include <cmark.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "campaign.h"
#include "config.h"
#include "lang.h"
#include "mime.h"
#include "recipients.h"
#include "safefile.h"
#include "text.h"
#include "xalloc.h"
#include "yamlfile.h"

/* What stands in for a mustache tag while cmark reads the Markdown: letters
 * and digits, which cmark copies unchanged into text, link targets and
 * code alike. */
#define PLACEHOLDER "mailoutph"

/* Names every message can use besides the recipient's fields. */
static const char *const owner_keys[] = { "id", "name", "email", NULL };
static const char *const organization_keys[] = { "name", "postal_address", "site_url", "language",
						   NULL };
static const char *const campaign_keys[] = { "id", "name", NULL };

static const struct render_group groups[] = {
	{ "owner", owner_keys },
	{ "organization", organization_keys },
	{ "campaign", campaign_keys },
};

const struct render_group *render_group_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(groups) / sizeof(*groups); i++) {
		if (strlen(groups[i].name) == len && !strncmp(groups[i].name, name, len))
			return &groups[i];
	}
	return NULL;
}

static int group_has(const struct render_group *g, const char *key)
{
	const char *const *k;

	for (k = g->keys; *k; k++) {
		if (!strcmp(*k, key))
			return 1;
	}
	return 0;
}

/* ---- front matter ---- */

/* A file saved on Windows reads as it would elsewhere: a byte-order mark
 * at its start is no content, and CRLF line ends become LF (line and
 * column numbers stay those of the file). */
static void normalize_source(struct buf *text)
{
	size_t from = ydoc_bom_len(text->ptr, text->len), to = 0;

	for (; from < text->len; from++) {
		if (text->ptr[from] == '\r' && from + 1 < text->len && text->ptr[from + 1] == '\n')
			continue;
		text->ptr[to++] = text->ptr[from];
	}
	buf_truncate(text, to);
}

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

/* ---- Markdown ---- */

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The first occurrence of the n-byte needle in [from, to), or to. */
static size_t find(const char *s, size_t from, size_t to, const char *needle, size_t n)
{
	size_t i;

	for (i = from; i + n <= to; i++) {
		if (s[i] == needle[0] && !memcmp(s + i, needle, n))
			return i;
	}
	return to;
}

/* A code fence line ("```" or "~~~", up to three spaces before it): its
 * character and length, 0 when the line is none. */
static size_t fence_at(const char *s, size_t from, size_t to, char *c)
{
	size_t i = from, n = 0;

	while (i < to && i - from < 3 && s[i] == ' ')
		i++;
	if (i >= to || (s[i] != '`' && s[i] != '~'))
		return 0;
	*c = s[i];
	while (i + n < to && s[i + n] == *c)
		n++;
	return n >= 3 ? n : 0;
}

/*
 * The Markdown source as the text part shows it: the same, except that a
 * backslash ending a line outside code (Markdown's hard line break) is
 * dropped.  Lines and the columns of tags stay where they were.
 */
static void markdown_text_source(struct buf *out, const char *s, size_t len)
{
	size_t i = 0, e, ce, k, fence = 0, n;
	char fence_char = 0, c;

	while (i < len) {
		for (e = i; e < len && s[e] != '\n'; e++)
			;
		ce = e > i && s[e - 1] == '\r' ? e - 1 : e;
		n = fence_at(s, i, ce, &c);
		if (fence) {
			if (n >= fence && c == fence_char)
				fence = 0;
			buf_add(out, s + i, e - i);
		} else if (n) {
			fence = n;
			fence_char = c;
			buf_add(out, s + i, e - i);
		} else {
			for (k = ce; k > i && s[k - 1] == '\\'; k--)
				;
			if ((ce - k) % 2) {
				buf_add(out, s + i, ce - 1 - i);
				buf_add(out, s + ce, e - ce);
			} else {
				buf_add(out, s + i, e - i);
			}
		}
		if (e < len)
			buf_addc(out, '\n');
		i = e + 1;
	}
}

/* A mustache tag at o ("{{" there): 0 and its end and sigil, as
 * template_parse() reads it; -1 when o starts no complete tag. */
static int scan_tag(const char *s, size_t len, size_t o, size_t *end, char *sigil_out)
{
	size_t q = o + 2, close;
	const char *delim;
	char sigil = 0;

	while (q < len && is_space(s[q]))
		q++;
	if (q < len && s[q] && strchr("#^/!>=&{<$", s[q]))
		sigil = s[q++];
	delim = sigil == '{' ? "}}}" : "}}";
	close = find(s, q, len, delim, strlen(delim));
	if (close == len || (sigil != '!' && find(s, q, close, "{{", 2) < close))
		return -1;
	*end = close + strlen(delim);
	*sigil_out = sigil;
	return 0;
}

/* Whether the tag [o, end) is alone on its line (blanks around it). */
static int alone_on_line(const char *s, size_t len, size_t o, size_t end)
{
	size_t k = o, e = end;

	while (k > 0 && is_blank(s[k - 1]))
		k--;
	if (k > 0 && s[k - 1] != '\n')
		return 0;
	while (e < len && is_blank(s[e]))
		e++;
	return e == len || s[e] == '\n' || (s[e] == '\r' && e + 1 < len && s[e + 1] == '\n');
}

struct tag_span {
	size_t start, end;
};

/* Inline CSS for the elements cmark makes, in the built-in frame. */
static const struct {
	const char *tag, *styled;
} inline_styles[] = {
	{ "<p>", "<p style=\"margin:0 0 16px;\">" },
	{ "<h1>", "<h1 style=\"margin:24px 0 12px;font-size:26px;line-height:1.25;\">" },
	{ "<h2>", "<h2 style=\"margin:24px 0 12px;font-size:21px;line-height:1.3;\">" },
	{ "<h3>", "<h3 style=\"margin:20px 0 8px;font-size:18px;line-height:1.35;\">" },
	{ "<h4>", "<h4 style=\"margin:16px 0 8px;font-size:16px;\">" },
	{ "<h5>", "<h5 style=\"margin:16px 0 8px;font-size:15px;\">" },
	{ "<h6>", "<h6 style=\"margin:16px 0 8px;font-size:14px;\">" },
	{ "<ul>", "<ul style=\"margin:0 0 16px;padding-left:24px;\">" },
	{ "<ol>", "<ol style=\"margin:0 0 16px;padding-left:24px;\">" },
	{ "<ol start=", "<ol style=\"margin:0 0 16px;padding-left:24px;\" start=" },
	{ "<li>", "<li style=\"margin:0 0 6px;\">" },
	{ "<blockquote>",
	  "<blockquote style=\"margin:0 0 16px;padding:0 0 0 12px;border-left:3px solid #d1d5db;color:#4b5563;\">" },
	{ "<pre>",
	  "<pre style=\"margin:0 0 16px;padding:12px;background-color:#f3f4f6;border-radius:4px;overflow:auto;white-space:pre-wrap;\">" },
	{ "<code>", "<code style=\"font-family:Menlo,Consolas,monospace;font-size:14px;\">" },
	{ "<code class=", "<code style=\"font-family:Menlo,Consolas,monospace;font-size:14px;\" class=" },
	{ "<hr>", "<hr style=\"border:0;border-top:1px solid #e5e7eb;margin:24px 0;\">" },
	{ "<a href=", "<a style=\"color:#1a56db;text-decoration:underline;\" href=" },
	{ "<img src=", "<img style=\"max-width:100%;height:auto;border:0;\" src=" },
};

/* cmark writes void elements the XHTML way ("<br />"); HTML has no end
 * slash: "<br>", "<hr>", "<img ...>".  Quoted attribute values are skipped
 * whole, so a '>' inside one ends nothing. */
static void html_void_tags(struct buf *out, const char *html)
{
	static const char *const names[] = { "br", "hr", "img" };
	const char *p = html, *lt, *e, *end;
	size_t i, n = 0, count = sizeof(names) / sizeof(*names);
	char quote;

	while ((lt = strchr(p, '<'))) {
		for (i = 0; i < count; i++) {
			n = strlen(names[i]);
			if (!strncmp(lt + 1, names[i], n) && (lt[1 + n] == ' ' || lt[1 + n] == '/'))
				break;
		}
		if (i == count) {
			buf_add(out, p, (size_t)(lt + 1 - p));
			p = lt + 1;
			continue;
		}
		for (e = lt + 1 + n, quote = 0; *e && (quote || *e != '>'); e++) {
			if (quote && *e == quote)
				quote = 0;
			else if (!quote && (*e == '"' || *e == '\''))
				quote = *e;
		}
		if (*e != '>')
			break;
		end = e;
		if (end[-1] == '/')
			for (end--; end > lt + 1 + n && end[-1] == ' '; end--)
				;
		buf_add(out, p, (size_t)(end - p));
		buf_addc(out, '>');
		p = e + 1;
	}
	buf_adds(out, p);
}

static void add_styles(struct buf *out, const char *html)
{
	const char *p = html, *lt;
	size_t i;

	while ((lt = strchr(p, '<'))) {
		buf_add(out, p, (size_t)(lt - p));
		p = lt;
		for (i = 0; i < sizeof(inline_styles) / sizeof(*inline_styles); i++) {
			size_t n = strlen(inline_styles[i].tag);

			if (!strncmp(p, inline_styles[i].tag, n)) {
				buf_adds(out, inline_styles[i].styled);
				p += n;
				break;
			}
		}
		if (i == sizeof(inline_styles) / sizeof(*inline_styles))
			buf_addc(out, *p++);
	}
	buf_adds(out, p);
}

/* Puts the tags back where cmark left their placeholders: "<!--PH-->" (a
 * tag alone on its line), "&lt;!--PH--&gt;" (the same inside code) or PH. */
static void restore_tags(struct buf *out, const char *html, const char *prefix,
			 const char *src, const struct tag_span *tags, size_t ntags)
{
	size_t plen = strlen(prefix), len = strlen(html), from = 0, i = 0, d, start, end;
	unsigned long idx;

	while ((i = find(html, i, len, prefix, plen)) < len) {
		d = i + plen;
		idx = 0;
		while (d < len && html[d] >= '0' && html[d] <= '9' && idx < ntags)
			idx = idx * 10 + (unsigned long)(html[d++] - '0');
		if (d == i + plen || d >= len || html[d] != 'x' || idx >= ntags) {
			i++;
			continue;
		}
		start = i;
		end = d + 1;
		if (start >= 4 && !memcmp(html + start - 4, "<!--", 4) &&
		    !strncmp(html + end, "-->", 3)) {
			start -= 4;
			end += 3;
		} else if (start >= 7 && !memcmp(html + start - 7, "&lt;!--", 7) &&
			   !strncmp(html + end, "--&gt;", 6)) {
			start -= 7;
			end += 6;
		}
		buf_add(out, html + from, start - from);
		buf_add(out, src + tags[idx].start, tags[idx].end - tags[idx].start);
		from = i = end;
	}
	buf_add(out, html + from, len - from);
}

void render_markdown_html(struct buf *out, const char *src, size_t len, int styled)
{
	struct buf prefix = BUF_INIT, md = BUF_INIT, with_styles = BUF_INIT, voids = BUF_INIT;
	struct tag_span *tags = NULL;
	size_t ntags = 0, cap = 0, i = 0, from = 0, end;
	char sigil, *html;

	/* a placeholder that the text itself does not contain */
	buf_adds(&prefix, PLACEHOLDER);
	while (find(src, 0, len, prefix.ptr, prefix.len) < len)
		buf_addc(&prefix, 'q');
	while (i + 1 < len) {
		if (src[i] != '{' || src[i + 1] != '{') {
			i++;
			continue;
		}
		if (scan_tag(src, len, i, &end, &sigil) < 0) {
			i += 2;
			continue;
		}
		XGROW(tags, cap, ntags + 1);
		tags[ntags].start = i;
		tags[ntags].end = end;
		buf_add(&md, src + from, i - from);
		/* an HTML comment on its own line is an HTML block: it ends a
		 * paragraph and leaves none behind */
		if (sigil && strchr("#^/!", sigil) && alone_on_line(src, len, i, end))
			buf_addf(&md, "<!--%s%zux-->", prefix.ptr, ntags);
		else
			buf_addf(&md, "%s%zux", prefix.ptr, ntags);
		ntags++;
		from = i = end;
	}
	buf_add(&md, src + from, len - from);

	html = cmark_markdown_to_html(md.ptr, md.len, CMARK_OPT_UNSAFE);
	html_void_tags(&voids, html);
	if (styled)
		add_styles(&with_styles, voids.ptr);
	restore_tags(out, styled ? with_styles.ptr : voids.ptr, prefix.ptr, src, tags, ntags);
	free(html);
	buf_release(&voids);
	free(tags);
	buf_release(&prefix);
	buf_release(&md);
	buf_release(&with_styles);
}

/* The block quote or list marker at s[i] (before end, the end of its line):
 * its length, 0 when there is none. */
static size_t container_marker(const char *s, size_t i, size_t end)
{
	size_t n = 0;

	if (s[i] == '>')
		return 1;
	if (s[i] == '-' || s[i] == '+' || s[i] == '*') {
		n = 1;
	} else {
		while (i + n < end && n < 9 && s[i + n] >= '0' && s[i + n] <= '9')
			n++;
		if (!n || i + n >= end || (s[i + n] != '.' && s[i + n] != ')'))
			return 0;
		n++;
	}
	return i + n == end || is_blank(s[i + n]) ? n : 0;
}

/* Where the thematic break ending the line [from, end) starts ("- - -",
 * "***", "_ _ _": three or more of one of -*_ and blanks), or end. */
static size_t thematic_break_start(const char *s, size_t from, size_t end)
{
	size_t k = end, n = 0, at = end;
	char c = 0;

	for (; k > from; k--) {
		char x = s[k - 1];

		if (is_blank(x))
			continue;
		if ((x != '-' && x != '*' && x != '_') || (c && x != c))
			break;
		c = x;
		if (++n >= 3)
			at = k - 1;
	}
	return at;
}

int render_markdown_check(const char *src, size_t len, const char *path, int line0,
			  struct diag_list *diags)
{
	size_t i = 0, e, k, m, hr, bol = 0;
	int line = line0, depth;

	/* a lone CR ends a line for cmark too; only LF counts for positions */
	for (i = 0; i <= len; i = e + 1) {
		for (e = i; e < len && src[e] != '\n' && src[e] != '\r'; e++)
			;
		hr = thematic_break_start(src, i, e);
		for (k = i, depth = 0;; k += m) {
			while (k < e && is_blank(src[k]))
				k++;
			if (k >= e || k >= hr || !(m = container_marker(src, k, e)))
				break;
			if (++depth > RENDER_MARKDOWN_MAX_DEPTH) {
				diag_add(diags, DIAG_ERROR, path, line, (int)(k - bol) + 1,
					 "block quotes and lists nested deeper than %d levels",
					 RENDER_MARKDOWN_MAX_DEPTH);
				return -1;
			}
		}
		if (e < len && src[e] == '\n') {
			line++;
			bol = e + 1;
		}
	}
	return 0;
}

/* Parses HTML made from Markdown; its problems are reported at path. */
static int parse_html(struct template **out, const char *html, size_t len, const char *path,
		      int line, struct diag_list *diags)
{
	struct diag_list local = DIAG_LIST_INIT;
	int ret;

	ret = template_parse(out, html, len, path, 1, 1, &local);
	if (ret < 0)
		diag_add(diags, DIAG_ERROR, path, line, 1,
			 "the mustache tags do not pair up in the HTML made from this Markdown (%s); put section tags on lines of their own",
			 local.count ? local.items[0].message : "parse error");
	diag_release(&local);
	return ret;
}

static int markdown_template(struct template **out, const char *src, size_t len, int styled,
			     const char *path, int line, struct diag_list *diags)
{
	struct buf html = BUF_INIT;
	int ret;

	*out = NULL;
	if (render_markdown_check(src, len, path, line, diags) < 0)
		return -1;
	render_markdown_html(&html, src, len, styled);
	ret = parse_html(out, html.ptr, html.len, path, line, diags);
	buf_release(&html);
	return ret;
}

/* ---- files ---- */

int newsletter_load(struct newsletter **out, const char *root, const char *name,
		    struct diag_list *diags)
{
	struct buf text = BUF_INIT, plain = BUF_INIT;
	struct newsletter *nl = xcalloc(1, sizeof(*nl));
	struct ydoc *doc = NULL;
	const struct ynode *subject;
	size_t fm_start, fm_end = 0, body = 0;
	int r, ret = -1, bad = 0;

	*out = NULL;
	nl->name = xstrdup(name);
	nl->path = xasprintf("templates/%s.md", name);
	if ((r = content_read(&text, root, nl->path, YAMLFILE_MAX_SIZE, diags)) < 0) {
		if (r != CONTENT_REFUSED)
			diag_add(diags, DIAG_ERROR, nl->path, 0, 0, "cannot read: %s",
				 errno == EFBIG ? "file too large" : strerror(errno));
		goto done;
	}
	normalize_source(&text);
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
	subject = ynode_get(doc->root, "subject");
	if (subject) {
		nl->subject_line = subject->line;
		nl->subject_col = subject->col;
	}
	if (parse_field(&nl->subject, &nl->subject_source, doc, subject, "subject", diags) < 0)
		bad = 1;
	if (parse_field(&nl->preheader, &nl->preheader_source, doc,
			ynode_get(doc->root, "preheader"), "preheader", diags) < 0)
		bad = 1;
	nl->body_len = text.len - body;
	nl->body_source = xstrndup(text.ptr + body, nl->body_len);
	markdown_text_source(&plain, nl->body_source, nl->body_len);
	if (template_parse(&nl->body, plain.ptr, plain.len, nl->path, nl->body_line, 1, diags) < 0)
		bad = 1;
	else if (markdown_template(&nl->html, nl->body_source, nl->body_len, 0, nl->path,
				   nl->body_line, diags) < 0)
		bad = 1;
	if (!bad && nl->subject)
		ret = 0;
done:
	ydoc_free(doc);
	buf_release(&text);
	buf_release(&plain);
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
	template_free(nl->html);
	free(nl);
}

int signature_load(struct template **out, char **source_out, const char *root,
		   const char *person, struct diag_list *diags)
{
	struct buf text = BUF_INIT, plain = BUF_INIT;
	struct template *html = NULL;
	char *rel = xasprintf("templates/signatures/%s.md", person);
	int r, ret = 0;

	*out = NULL;
	*source_out = NULL;
	if ((r = content_read(&text, root, rel, YAMLFILE_MAX_SIZE, diags)) < 0) {
		if (r == CONTENT_REFUSED) {
			ret = -1;
		} else if (errno != ENOENT) {
			diag_add(diags, DIAG_ERROR, rel, 0, 0, "cannot read: %s",
				 errno == EFBIG ? "file too large" : strerror(errno));
			ret = -1;
		}
		goto done;
	}
	normalize_source(&text);
	if (memchr(text.ptr, '\0', text.len)) {
		diag_add(diags, DIAG_ERROR, rel, 0, 0, "NUL byte in file");
		ret = -1;
		goto done;
	}
	markdown_text_source(&plain, text.ptr, text.len);
	ret = template_parse(out, plain.ptr, plain.len, rel, 1, 1, diags);
	if (ret == 0 && markdown_template(&html, text.ptr, text.len, 0, rel, 1, diags) < 0) {
		template_free(*out);
		*out = NULL;
		ret = -1;
	}
	if (ret == 0)
		*source_out = buf_detach(&text, NULL);
done:
	template_free(html);
	free(rel);
	buf_release(&text);
	buf_release(&plain);
	return ret;
}

struct layout_check {
	struct diag_list *diags;
	int content, escaped_content;
};

static int check_layout_ref(const struct template_ref *ref, void *payload)
{
	struct layout_check *lc = payload;
	const char *name = ref->name, *dot = strchr(name, '.');
	const struct render_group *g = render_group_find(name, dot ? (size_t)(dot - name) : strlen(name));
	int unescaped = ref->kind == TEMPLATE_REF_UNESCAPED;

	if (!strcmp(name, "content")) {
		if (ref->kind == TEMPLATE_REF_VARIABLE) {
			lc->escaped_content++;
			diag_add(lc->diags, DIAG_ERROR, LAYOUT_FILE, ref->line, ref->col,
				 "write {{{content}}}: the message is HTML and {{content}} would show it as text");
		} else if (unescaped && lc->content++) {
			diag_add(lc->diags, DIAG_ERROR, LAYOUT_FILE, ref->line, ref->col,
				 "{{{content}}} appears more than once: the message would be repeated");
		}
		return 0;
	}
	if (!strcmp(name, "subject") || !strcmp(name, "preheader") || !strcmp(name, ".")) {
		if (unescaped)
			diag_add(lc->diags, DIAG_ERROR, LAYOUT_FILE, ref->line, ref->col,
				 "'%s' carries recipient data, which is always escaped in HTML: write {{%s}}",
				 name, name);
		return 0;
	}
	if (!strcmp(name, "unsubscribe_url"))
		return 0;
	if (g && (!dot || group_has(g, dot + 1)) &&
	    (dot || ref->kind == TEMPLATE_REF_SECTION || ref->kind == TEMPLATE_REF_INVERTED))
		return 0;
	if (ref->section && !dot) {
		const struct render_group *sg = render_group_find(ref->section, strlen(ref->section));
		if (sg && group_has(sg, name))
			return 0;
	}
	diag_add(lc->diags, DIAG_ERROR, LAYOUT_FILE, ref->line, ref->col,
		 "unknown variable '%s' in the layout: it can use content, subject, preheader, unsubscribe_url, owner.id/name/email, organization.name/postal_address/site_url and campaign.id/name",
		 name);
	return 0;
}

int layout_load(struct template **out, const char *root, struct diag_list *diags)
{
	struct buf text = BUF_INIT;
	struct layout_check lc = { diags, 0, 0 };
	size_t errors = diags->errors;
	int r, ret = 0;

	*out = NULL;
	if ((r = content_read(&text, root, LAYOUT_FILE, YAMLFILE_MAX_SIZE, diags)) < 0) {
		if (r == CONTENT_REFUSED) {
			ret = -1;
		} else if (errno != ENOENT) {
			diag_add(diags, DIAG_ERROR, LAYOUT_FILE, 0, 0, "cannot read: %s",
				 errno == EFBIG ? "file too large" : strerror(errno));
			ret = -1;
		}
		goto done;
	}
	normalize_source(&text);
	if (memchr(text.ptr, '\0', text.len)) {
		diag_add(diags, DIAG_ERROR, LAYOUT_FILE, 0, 0, "NUL byte in file");
		ret = -1;
		goto done;
	}
	if (template_parse(out, text.ptr, text.len, LAYOUT_FILE, 1, 1, diags) < 0) {
		ret = -1;
		goto done;
	}
	template_foreach_ref(*out, check_layout_ref, &lc);
	if (!lc.content && !lc.escaped_content)
		diag_add(diags, DIAG_ERROR, LAYOUT_FILE, 0, 0,
			 "the layout has no {{{content}}}: the messages would have no body, signature or unsubscribe link");
	if (diags->errors > errors) {
		template_free(*out);
		*out = NULL;
		ret = -1;
	}
done:
	buf_release(&text);
	return ret;
}

/* ---- the footer's reason ---- */

static const struct ykey footer_keys[] = {
	{ "contacts", 0 }, { "companies", 0 }, { "leads", 0 }, { NULL, 0 }
};

struct footer_check {
	struct diag_list *diags;
	const char *path;
};

/* The reason knows the campaign, not the recipient: owner.*,
 * organization.* and campaign.* only. */
static int check_footer_ref(const struct template_ref *ref, void *payload)
{
	struct footer_check *fc = payload;
	const char *dot = strchr(ref->name, '.');
	const struct render_group *g = dot ? render_group_find(ref->name, (size_t)(dot - ref->name)) : NULL;

	if (!g || !group_has(g, dot + 1))
		diag_add(fc->diags, DIAG_ERROR, fc->path, ref->line, ref->col,
			 "unknown name '%s' in the footer's reason: it may use owner.*, organization.* and campaign.*",
			 ref->name);
	return 0;
}

static int footer_parse(struct template **out, const char *text, const char *path, int line,
			int col, struct diag_list *diags)
{
	struct footer_check fc = { diags, path };
	size_t errors = diags->errors;

	if (template_parse(out, text, strlen(text), path, line, col, diags) < 0)
		return -1;
	template_foreach_ref(*out, check_footer_ref, &fc);
	if (diags->errors == errors)
		return 0;
	template_free(*out);
	*out = NULL;
	return -1;
}

int footer_load(struct template **out, const char *root, const char *language,
		struct diag_list *diags)
{
	static const char *const keys[RTYPE_COUNT] = {
		[RTYPE_CONTACTS] = "message.why.contacts", [RTYPE_COMPANIES] = "message.why.companies",
		[RTYPE_LEADS] = "message.why.leads",
	};
	struct ydoc *doc = NULL;
	const struct ynode *n;
	struct stat st;
	size_t errors = diags->errors;
	int t;

	memset(out, 0, RTYPE_COUNT * sizeof(*out));
	/* absent: the built-in texts; anything else is read (and refused there) */
	if ((content_stat(root, FOOTER_FILE, &st) == 0 || errno != ENOENT) &&
	    (ydoc_load_file(&doc, root, FOOTER_FILE, diags) < 0 ||
	     (doc->root && ymap_check(doc, doc->root, "footer", footer_keys, diags) &&
	      doc->root->kind != YNODE_MAP)))
		goto done;
	for (t = 0; t < RTYPE_COUNT; t++) {
		n = doc ? ynode_get(doc->root, recipient_type_name((enum recipient_type)t)) : NULL;
		if (n && ynode_expect(doc, n, YNODE_SCALAR, "a footer's reason", diags) == 0)
			footer_parse(&out[t], n->value, FOOTER_FILE, n->line, n->col + !n->plain, diags);
		else if (!n)
			footer_parse(&out[t], lang_text(language, keys[t]), "the built-in footer", 1, 1,
				     diags);
	}
done:
	ydoc_free(doc);
	if (diags->errors == errors)
		return 0;
	for (t = 0; t < RTYPE_COUNT; t++) {
		template_free(out[t]);
		out[t] = NULL;
	}
	return -1;
}

/* ---- rendering ---- */

/*
 * The built-in frame: one centred column of at most 600 pixels that
 * narrows with the screen, inline CSS only, and the preheader hidden at
 * the top (followed by invisible characters, so that mail clients do not
 * fill the preview line with the start of the body).  It is hidden by
 * display, size and overflow alone: a 1px font or text in the background's
 * colour is what spam filters score as hidden text (SpamAssassin's
 * FONT_INVIS_MSGID and HTML_FONT_LOW_CONTRAST).
 */
static const char builtin_frame[] =
	"<!DOCTYPE html>\n"
	"<html lang=\"{{organization.language}}\">\n"
	"<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<meta name=\"x-apple-disable-message-reformatting\">\n"
	"<title>{{subject}}</title>\n"
	"</head>\n"
	"<body style=\"margin:0;padding:0;background-color:#f4f4f5;\">\n"
	"{{#preheader}}\n"
	"<div style=\"display:none;max-height:0;max-width:0;overflow:hidden;mso-hide:all;\">{{preheader}}"
	"&#8199;&#65279;&#847;&#8199;&#65279;&#847;&#8199;&#65279;&#847;&#8199;&#65279;&#847;"
	"&#8199;&#65279;&#847;&#8199;&#65279;&#847;&#8199;&#65279;&#847;&#8199;&#65279;&#847;"
	"</div>\n"
	"{{/preheader}}\n"
	"<table role=\"presentation\" width=\"100%\" cellspacing=\"0\" cellpadding=\"0\" border=\"0\" "
	"style=\"background-color:#f4f4f5;\">\n"
	"<tbody>\n"
	"<tr>\n"
	"<td align=\"center\" style=\"padding:24px 12px;\">\n"
	"<table role=\"presentation\" width=\"100%\" cellspacing=\"0\" cellpadding=\"0\" border=\"0\" "
	"style=\"max-width:600px;background-color:#ffffff;border-radius:6px;\">\n"
	"<tbody>\n"
	"<tr>\n"
	"<td style=\"padding:32px 28px;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
	"font-size:16px;line-height:1.5;color:#1f2933;text-align:left;\">\n"
	"{{{content}}}\n"
	"</td>\n"
	"</tr>\n"
	"</tbody>\n"
	"</table>\n"
	"</td>\n"
	"</tr>\n"
	"</tbody>\n"
	"</table>\n"
	"</body>\n"
	"</html>\n";

struct render {
	const struct config *cfg;
	const struct campaign *campaign;
	const struct person *owner;
	struct newsletter *nl;
	struct template *body_html; /* styled for the built-in frame; NULL: nl->html */
	struct template *sig_text, *sig_html; /* NULL without a signature */
	struct template *layout; /* templates/layout.html or the built-in frame */
	char *list_id; /* "\"Campaign name\" <id.host>" */
	char *page_url; /* SITE_URL/unsubscribe/# */
	char *https_url; /* the https entry of List-Unsubscribe before the token, or NULL */
	int one_click;
	char *mailto; /* mailto:ADDRESS?subject=unsubscribe%20 */
	char *why; /* why the recipient gets the message */
	char *footer_html; /* up to the token of the link */
	char *footer_html_tail; /* after the token */
	char **fields; /* recipient fields the templates use, for render_sample() */
	size_t nfields, fields_cap;
	/* reused for every message */
	struct buf url, subject, preheader, text, content, html, scratch;
};

static struct tvalue *string_or_null(const char *s)
{
	return s ? tvalue_string(s) : tvalue_null();
}

void render_context_groups(struct tvalue *ctx, const struct config *cfg,
			   const struct campaign *c)
{
	const struct person *owner = c->owner ? config_person(cfg, c->owner) : NULL;
	struct tvalue *g;

	g = tvalue_map();
	tvalue_map_set(g, "id", string_or_null(c->owner));
	tvalue_map_set(g, "name", string_or_null(owner ? owner->name : NULL));
	tvalue_map_set(g, "email", string_or_null(owner ? owner->email : NULL));
	tvalue_map_set(ctx, "owner", g);
	g = tvalue_map();
	tvalue_map_set(g, "name", string_or_null(cfg->org_name));
	tvalue_map_set(g, "postal_address", string_or_null(cfg->postal_address));
	tvalue_map_set(g, "site_url", string_or_null(cfg->site_url));
	tvalue_map_set(g, "language", tvalue_string(cfg->language ? cfg->language : "en"));
	tvalue_map_set(ctx, "organization", g);
	g = tvalue_map();
	tvalue_map_set(g, "id", string_or_null(c->id));
	tvalue_map_set(g, "name", string_or_null(c->name));
	tvalue_map_set(ctx, "campaign", g);
}

static void add_field(struct render *r, const char *name, size_t len)
{
	size_t i;

	if ((len == 2 && !strncmp(name, "id", 2)) || (len == 5 && !strncmp(name, "email", 5)) ||
	    (len == 3 && !strncmp(name, "vip", 3)) ||
	    (len == 15 && !strncmp(name, "unsubscribe_url", 15)))
		return;
	for (i = 0; i < r->nfields; i++) {
		if (strlen(r->fields[i]) == len && !strncmp(r->fields[i], name, len))
			return;
	}
	XGROW(r->fields, r->fields_cap, r->nfields + 1);
	r->fields[r->nfields++] = xstrndup(name, len);
}

static int collect_field(const struct template_ref *ref, void *payload)
{
	struct render *r = payload;
	const char *dot = strchr(ref->name, '.');
	size_t len = dot ? (size_t)(dot - ref->name) : strlen(ref->name);

	if (!strcmp(ref->name, ".") || render_group_find(ref->name, len))
		return 0;
	if (ref->section && render_group_find(ref->section, strlen(ref->section)))
		return 0;
	add_field(r, ref->name, len);
	return 0;
}

/* The host of an http(s) URL, for List-Id; NULL when it has none usable. */
static char *url_host(const char *url)
{
	const char *p = strstr(url, "://"), *e;
	size_t i, n;

	if (!p)
		return NULL;
	p += 3;
	for (e = p; *e && *e != '/' && *e != ':' && *e != '?' && *e != '#' && *e != '@'; e++)
		;
	if (*e == '@')
		return NULL;
	n = (size_t)(e - p);
	if (!n || !memchr(p, '.', n))
		return NULL;
	for (i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return NULL;
	}
	return xstrndup(p, n);
}

static void prepare_links(struct render *r)
{
	const struct config *cfg = r->cfg;
	const struct campaign *c = r->campaign;
	struct buf b = BUF_INIT;
	char *host = url_host(cfg->site_url);
	const char *s;

	r->page_url = xasprintf("%s/unsubscribe/#", cfg->site_url);
	if (cfg->one_click_url) {
		r->https_url = xasprintf("%s%ct=", cfg->one_click_url,
					 strchr(cfg->one_click_url, '?') ? '&' : '?');
		r->one_click = 1;
	} else if (!strncmp(cfg->site_url, "https://", 8)) {
		r->https_url = xstrdup(r->page_url);
	}
	r->mailto = xasprintf("mailto:%s?subject=unsubscribe%%20", cfg->unsubscribe_address);

	/* List-Id: the campaign's name quoted, and the campaign id under the site's host */
	buf_addc(&b, '"');
	for (s = c->name ? c->name : c->id; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(&b, '\\');
		buf_addc(&b, *s);
	}
	buf_addf(&b, "\" <%s.%s>", c->id, host ? host : "mailout.invalid");
	r->list_id = buf_detach(&b, NULL);

	/* the unsubscribe link alone on a line 44 pixels high: a tap target */
	buf_adds(&b, "<p class=\"mailout-footer\" style=\"margin:32px 0 0;padding:16px 0 0;"
		     "border-top:1px solid #e5e7eb;font-size:12px;line-height:1.5;color:#6b7280;\">");
	buf_add_html(&b, r->why, strlen(r->why));
	buf_adds(&b, "<br>\n<a style=\"display:inline-block;min-height:44px;line-height:44px;"
		     "font-size:14px;color:#4b5563;text-decoration:underline;\" href=\"");
	buf_add_html(&b, r->page_url, strlen(r->page_url));
	r->footer_html = buf_detach(&b, NULL);
	buf_adds(&b, "\">");
	s = lang_text(cfg->language, "message.unsubscribe");
	buf_add_html(&b, s, strlen(s));
	buf_adds(&b, "</a><br>\n");
	buf_add_html(&b, cfg->org_name, strlen(cfg->org_name));
	buf_adds(&b, ", ");
	buf_add_html(&b, cfg->postal_address, strlen(cfg->postal_address));
	buf_adds(&b, "</p>\n");
	r->footer_html_tail = buf_detach(&b, NULL);
	free(host);
}

/* The footer's reason for the campaign's recipients, as plain text, in
 * *out; -1 with diagnostics. */
static int render_why(char **out, const char *root, const struct config *cfg,
		      const struct campaign *c, struct diag_list *diags)
{
	struct template *why[RTYPE_COUNT];
	struct tvalue *ctx;
	struct buf b = BUF_INIT;
	int t;

	if (footer_load(why, root, cfg->language, diags) < 0)
		return -1;
	ctx = tvalue_map();
	render_context_groups(ctx, cfg, c);
	template_render(&b, why[c->type], ctx, TEMPLATE_TEXT);
	tvalue_free(ctx);
	for (t = 0; t < RTYPE_COUNT; t++)
		template_free(why[t]);
	*out = buf_detach(&b, NULL);
	return 0;
}

int render_open(struct render **out, const char *root, const struct config *cfg,
		const struct campaign *c, struct diag_list *diags)
{
	struct render *r = xcalloc(1, sizeof(*r));
	char *sig_source = NULL;
	size_t errors = diags->errors;
	int ret = -1, styled;

	*out = NULL;
	buf_init(&r->url, 0);
	buf_init(&r->subject, 0);
	buf_init(&r->preheader, 0);
	buf_init(&r->text, 0);
	buf_init(&r->content, 0);
	buf_init(&r->html, 0);
	buf_init(&r->scratch, 0);
	r->cfg = cfg;
	r->campaign = c;
	if (!c->template || !c->owner || c->type < 0) {
		error_set("campaign '%s' is not valid ('mailout validate' shows why)", c->id);
		goto done;
	}
	r->owner = config_person(cfg, c->owner);
	if (!r->owner) {
		error_set("campaign '%s': unknown owner '%s'", c->id, c->owner);
		goto done;
	}
	if (!cfg->org_name || !cfg->postal_address || !cfg->site_url || !cfg->unsubscribe_address) {
		error_set("%s lacks the organisation's name, postal address or site URL, or the unsubscribe address ('mailout validate' shows it)",
			  CONFIG_FILE);
		goto done;
	}
	if (newsletter_load(&r->nl, root, c->template, diags) < 0 ||
	    signature_load(&r->sig_text, &sig_source, root, c->owner, diags) < 0 ||
	    layout_load(&r->layout, root, diags) < 0 ||
	    render_why(&r->why, root, cfg, c, diags) < 0)
		goto done;
	styled = !r->layout;
	if (styled) {
		if (template_parse(&r->layout, builtin_frame, sizeof(builtin_frame) - 1,
				   "built-in frame", 1, 1, diags) < 0 ||
		    markdown_template(&r->body_html, r->nl->body_source, r->nl->body_len, 1,
				      r->nl->path, r->nl->body_line, diags) < 0)
			goto done;
	}
	if (sig_source) {
		char *rel = xasprintf("templates/signatures/%s.md", c->owner);
		int bad = markdown_template(&r->sig_html, sig_source, strlen(sig_source), styled,
					    rel, 1, diags);
		free(rel);
		if (bad < 0)
			goto done;
	}
	template_foreach_ref(r->nl->subject, collect_field, r);
	if (r->nl->preheader)
		template_foreach_ref(r->nl->preheader, collect_field, r);
	template_foreach_ref(r->nl->body, collect_field, r);
	if (r->sig_text)
		template_foreach_ref(r->sig_text, collect_field, r);
	prepare_links(r);
	ret = 0;
done:
	if (ret < 0 && diags->errors > errors)
		error_set("the templates of campaign '%s' have errors ('mailout validate' shows them)",
			  c->id);
	free(sig_source);
	if (ret < 0)
		render_free(r);
	else
		*out = r;
	return ret;
}

void render_free(struct render *r)
{
	size_t i;

	if (!r)
		return;
	newsletter_free(r->nl);
	template_free(r->body_html);
	template_free(r->sig_text);
	template_free(r->sig_html);
	template_free(r->layout);
	free(r->list_id);
	free(r->page_url);
	free(r->https_url);
	free(r->mailto);
	free(r->why);
	free(r->footer_html);
	free(r->footer_html_tail);
	for (i = 0; i < r->nfields; i++)
		free(r->fields[i]);
	free(r->fields);
	buf_release(&r->url);
	buf_release(&r->subject);
	buf_release(&r->preheader);
	buf_release(&r->text);
	buf_release(&r->content);
	buf_release(&r->html);
	buf_release(&r->scratch);
	free(r);
}

static int token_ok(const char *t)
{
	const char *p;

	if (!t || !*t)
		return 0;
	for (p = t; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-'))
			return 0;
	}
	return 1;
}

/* Appends s without the whitespace and blank lines around it. */
static void add_trimmed(struct buf *out, const char *s, size_t len)
{
	const char *e = s + len;

	while (s < e && is_space(*s))
		s++;
	while (e > s && is_space(e[-1]))
		e--;
	buf_add(out, s, (size_t)(e - s));
}

/* Renders every part of rec's message into r's buffers. */
static int render_parts(struct render *r, const struct recipient *rec, const char *token)
{
	const struct config *cfg = r->cfg;
	struct tvalue *ctx;

	if (!token_ok(token))
		return error_set("invalid unsubscribe token for recipient '%s'", rec->id);
	buf_reset(&r->url);
	buf_adds(&r->url, r->page_url);
	buf_adds(&r->url, token);

	ctx = tvalue_map();
	recipient_context(ctx, rec);
	render_context_groups(ctx, cfg, r->campaign);
	tvalue_map_set(ctx, "unsubscribe_url", tvalue_stringn(r->url.ptr, r->url.len));

	buf_reset(&r->subject);
	template_render(&r->subject, r->nl->subject, ctx, TEMPLATE_TEXT);
	buf_reset(&r->preheader);
	if (r->nl->preheader)
		template_render(&r->preheader, r->nl->preheader, ctx, TEMPLATE_TEXT);

	/* text: the Markdown, the signature after "-- ", the footer */
	buf_reset(&r->text);
	buf_reset(&r->scratch);
	template_render(&r->scratch, r->nl->body, ctx, TEMPLATE_TEXT);
	add_trimmed(&r->text, r->scratch.ptr, r->scratch.len);
	buf_addc(&r->text, '\n');
	if (r->sig_text) {
		buf_reset(&r->scratch);
		template_render(&r->scratch, r->sig_text, ctx, TEMPLATE_TEXT);
		buf_adds(&r->text, "\n-- \n");
		add_trimmed(&r->text, r->scratch.ptr, r->scratch.len);
		buf_addc(&r->text, '\n');
	}
	buf_addc(&r->text, '\n');
	buf_adds(&r->text, r->why);
	buf_addf(&r->text, "\n%s: ", lang_text(cfg->language, "message.unsubscribe"));
	buf_add(&r->text, r->url.ptr, r->url.len);
	buf_addf(&r->text, "\n%s, %s\n", cfg->org_name, cfg->postal_address);

	/* html: the body, the signature and the footer inside the frame */
	buf_reset(&r->content);
	template_render(&r->content, r->body_html ? r->body_html : r->nl->html, ctx, TEMPLATE_HTML);
	if (r->sig_html) {
		buf_adds(&r->content, "<div class=\"mailout-signature\" style=\"margin:24px 0 0;\">\n");
		template_render(&r->content, r->sig_html, ctx, TEMPLATE_HTML);
		buf_adds(&r->content, "</div>\n");
	}
	buf_adds(&r->content, r->footer_html);
	buf_adds(&r->content, token);
	buf_adds(&r->content, r->footer_html_tail);
	tvalue_map_set(ctx, "content", tvalue_stringn(r->content.ptr, r->content.len));
	tvalue_map_set(ctx, "subject", tvalue_stringn(r->subject.ptr, r->subject.len));
	tvalue_map_set(ctx, "preheader", tvalue_stringn(r->preheader.ptr, r->preheader.len));
	buf_reset(&r->html);
	template_render(&r->html, r->layout, ctx, TEMPLATE_HTML);
	tvalue_free(ctx);
	return 0;
}

int render_recipient(struct rendered *out, struct render *r, const struct recipient *rec,
		     const char *token)
{
	memset(out, 0, sizeof(*out));
	if (render_parts(r, rec, token) < 0)
		return -1;
	out->subject = xstrndup(r->subject.ptr, r->subject.len);
	out->preheader = xstrndup(r->preheader.ptr, r->preheader.len);
	out->text = xstrndup(r->text.ptr, r->text.len);
	out->html = xstrndup(r->html.ptr, r->html.len);
	return 0;
}

void rendered_release(struct rendered *m)
{
	free(m->subject);
	free(m->preheader);
	free(m->text);
	free(m->html);
	memset(m, 0, sizeof(*m));
}

/* The display name of To: contacts and leads "first last", companies full_name. */
static void display_name(struct buf *out, const struct recipient *rec)
{
	const char *first, *last, *full;

	if (rec->type == RTYPE_COMPANIES) {
		full = recipient_field(rec, "full_name");
		if (full)
			add_trimmed(out, full, strlen(full));
		return;
	}
	first = recipient_field(rec, "first_name");
	last = recipient_field(rec, "last_name");
	if (first)
		add_trimmed(out, first, strlen(first));
	if (last && *last) {
		if (out->len)
			buf_addc(out, ' ');
		add_trimmed(out, last, strlen(last));
	}
}

/* What no header can carry: a control character other than TAB, or bytes
 * that are not UTF-8. */
static int header_refuses(const char *v)
{
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 1;
	}
	return !text_utf8_valid(v, strlen(v));
}

struct culprit {
	const struct recipient *rec;
	const char *field;
};

static int find_culprit(const struct template_ref *ref, void *payload)
{
	struct culprit *c = payload;
	const char *v;

	if (ref->kind != TEMPLATE_REF_VARIABLE && ref->kind != TEMPLATE_REF_UNESCAPED)
		return 0;
	v = recipient_field(c->rec, ref->name);
	if (!v || !header_refuses(v))
		return 0;
	c->field = ref->name;
	return 1;
}

/* The recipient's field that a header of its message cannot carry: one
 * of the To name's, else one the subject uses; NULL when none. */
static const char *header_culprit(const struct render *r, const struct recipient *rec)
{
	static const char *const person[] = { "first_name", "last_name", NULL };
	static const char *const company[] = { "full_name", NULL };
	const char *const *name = rec->type == RTYPE_COMPANIES ? company : person;
	struct culprit c = { rec, NULL };
	const char *v;

	for (; *name; name++) {
		v = recipient_field(rec, *name);
		if (v && header_refuses(v))
			return *name;
	}
	template_foreach_ref(r->nl->subject, find_culprit, &c);
	return c.field;
}

static int build_message(struct buf *out, struct render *r, const struct recipient *rec,
			 const struct account *a, const char *token, time_t date,
			 const char *message_id, const char *proof_to, char **message_id_out)
{
	struct buf https = BUF_INIT, mailto = BUF_INIT, name = BUF_INIT, subject = BUF_INIT;
	struct mime_message m;
	const char *culprit;
	int ret = -1;

	if (message_id_out)
		*message_id_out = NULL;
	if (!a || !a->from) {
		error_set("no sending account for recipient '%s'", rec->id);
		goto done;
	}
	if (render_parts(r, rec, token) < 0)
		goto done;
	memset(&m, 0, sizeof(m));
	m.from = a->from;
	if (proof_to) {
		buf_adds(&subject, RENDER_PROOF_PREFIX);
		buf_add(&subject, r->subject.ptr, r->subject.len);
		m.subject = subject.ptr;
		m.to_address = proof_to;
	} else {
		display_name(&name, rec);
		m.to_name = name.len ? name.ptr : NULL;
		m.to_address = rec->email;
		m.subject = r->subject.ptr;
		m.campaign = r->campaign->id;
		m.recipient = rec->id;
	}
	m.text = r->text.ptr;
	m.html = r->html.ptr;
	m.date = date;
	m.message_id = message_id;
	if (r->https_url) {
		buf_adds(&https, r->https_url);
		buf_adds(&https, token);
		m.unsubscribe_https = https.ptr;
	}
	buf_adds(&mailto, r->mailto);
	buf_adds(&mailto, token);
	m.unsubscribe_mailto = mailto.ptr;
	m.one_click = r->one_click;
	m.list_id = r->list_id;
	ret = mime_build(out, &m, message_id_out);
	culprit = ret < 0 && !proof_to ? header_culprit(r, rec) : NULL;
	if (culprit) {
		char *why = xstrdup(error_last());

		error_set("field '%s' of recipient '%s': %s", culprit, rec->id, why);
		free(why);
	}
done:
	buf_release(&https);
	buf_release(&mailto);
	buf_release(&name);
	buf_release(&subject);
	return ret;
}

int render_mime(struct buf *out, struct render *r, const struct recipient *rec,
		const struct account *a, const char *token, time_t date, const char *message_id,
		char **message_id_out)
{
	return build_message(out, r, rec, a, token, date, message_id, NULL, message_id_out);
}

int render_mime_proof(struct buf *out, struct render *r, const struct recipient *rec,
		      const struct account *a, const char *token, time_t date,
		      const char *to_address, char **message_id_out)
{
	if (!to_address || !*to_address)
		return error_set("a proof needs a test address");
	return build_message(out, r, rec, a, token, date, NULL, to_address, message_id_out);
}

/* Made-up values for a sample recipient: no real person's data. */
static const struct {
	const char *field, *value;
} sample_values[] = {
	{ "first_name", "Jane" },
	{ "last_name", "Doe" },
	{ "full_name", "Example Ltd" },
	{ "company", "Example Ltd" },
	{ "company_name", "Example Ltd" },
	{ "title", "Head of Purchasing" },
	{ "country", "DE" },
	{ "city", "Berlin" },
};

static char *sample_value(const char *field)
{
	struct buf b = BUF_INIT;
	const char *p;
	size_t i;

	for (i = 0; i < sizeof(sample_values) / sizeof(*sample_values); i++) {
		if (!strcmp(sample_values[i].field, field))
			return xstrdup(sample_values[i].value);
	}
	buf_addc(&b, '[');
	for (p = field; *p; p++)
		buf_addc(&b, *p == '_' ? ' ' : *p);
	buf_addc(&b, ']');
	return buf_detach(&b, NULL);
}

int render_sample(struct rendered *out, struct render *r)
{
	const struct campaign *c = r->campaign;
	size_t n = r->nfields, i;
	struct ynode map, *nodes = xcalloc(2 * n + 1, sizeof(*nodes));
	struct ynode **items = xcalloc(2 * n + 1, sizeof(*items));
	char **values = xcalloc(n + 1, sizeof(*values));
	struct recipient rec;
	int ret;

	for (i = 0; i < n; i++) {
		values[i] = sample_value(r->fields[i]);
		nodes[2 * i].kind = YNODE_SCALAR;
		nodes[2 * i].plain = 1;
		nodes[2 * i].value = r->fields[i];
		nodes[2 * i].len = strlen(r->fields[i]);
		nodes[2 * i + 1].kind = YNODE_SCALAR;
		nodes[2 * i + 1].value = values[i];
		nodes[2 * i + 1].len = strlen(values[i]);
		items[2 * i] = &nodes[2 * i];
		items[2 * i + 1] = &nodes[2 * i + 1];
	}
	memset(&map, 0, sizeof(map));
	map.kind = YNODE_MAP;
	map.items = items;
	map.count = n;
	memset(&rec, 0, sizeof(rec));
	rec.type = (enum recipient_type)c->type;
	rec.id = "sample";
	rec.email = rec.address = c->type == RTYPE_COMPANIES ? "office@example.com" : "jane.doe@example.com";
	rec.owner = c->owner;
	rec.vip = c->vip_only;
	rec.node = &map;
	ret = render_recipient(out, r, &rec, RENDER_SAMPLE_TOKEN);
	for (i = 0; i < n; i++)
		free(values[i]);
	free(values);
	free(items);
	free(nodes);
	return ret;
}
