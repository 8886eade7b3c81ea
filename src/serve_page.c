/*
 * The pages of `mailout serve` (see serve_page.h): four mustache
 * templates, built in or from a theme, filled with the texts of
 * src/lang.c and the few values of a request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"
#include "serve_page.h"
#include "template.h"
#include "xalloc.h"

#define PAGE_COUNT 4

struct serve_pages {
	struct template *page[PAGE_COUNT];
};

static const char *const page_files[PAGE_COUNT] = { "confirm.html", "done.html", "invalid.html",
						    "message.html" };

static const char *const placeholders[] = { "lang", "organization", "title", "text", "button", "action",
					    "token", "address", "mailto_text", "status", NULL };

#define PAGE_HEAD \
	"<!DOCTYPE html>\n<html lang=\"{{lang}}\"><head><meta charset=\"utf-8\">" \
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{{title}}</title>" \
	"<style>body{font-family:sans-serif;max-width:34em;margin:3em auto;padding:0 1em;line-height:1.5}" \
	"button{font-size:1.1em;padding:.5em 1.5em}</style></head><body><h1>{{title}}</h1>\n"
#define PAGE_TAIL "</body></html>\n"

static const char *const builtin[PAGE_COUNT] = {
	PAGE_HEAD "<p>{{text}}</p>\n<form method=\"post\" action=\"{{action}}\">"
		  "<input type=\"hidden\" name=\"t\" value=\"{{token}}\">"
		  "<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"
		  "<button type=\"submit\" id=\"unsubscribe\">{{button}}</button></form>\n" PAGE_TAIL,
	PAGE_HEAD "<p id=\"done\">{{text}}</p>\n" PAGE_TAIL,
	PAGE_HEAD "<p>{{text}}</p>\n<p>{{mailto_text}}: <a href=\"mailto:{{address}}?subject=unsubscribe\">"
		  "{{address}}</a></p>\n" PAGE_TAIL,
	PAGE_HEAD "<p>{{text}}</p>\n" PAGE_TAIL,
};

struct check {
	const char *path;
	struct diag_list *diags;
	int bad;
};

/* Every name a theme uses is one of placeholders[], always escaped. */
static int check_ref(const struct template_ref *ref, void *payload)
{
	struct check *c = payload;
	size_t i;

	if (ref->kind == TEMPLATE_REF_UNESCAPED) {
		diag_add(c->diags, DIAG_ERROR, c->path, ref->line, ref->col,
			 "'%s' is not escaped: write {{%s}} (every value is HTML-escaped)", ref->name, ref->name);
		c->bad = 1;
		return 0;
	}
	for (i = 0; placeholders[i]; i++)
		if (!strcmp(ref->name, placeholders[i]))
			return 0;
	diag_add(c->diags, DIAG_ERROR, c->path, ref->line, ref->col,
		 "unknown placeholder '%s' (see `mailout serve --help`)", ref->name);
	c->bad = 1;
	return 0;
}

static int page_load(struct template **out, const char *theme, size_t i, struct diag_list *diags)
{
	struct buf text = BUF_INIT;
	struct check c;
	char *path = theme ? xasprintf("%s/%s", theme, page_files[i]) : xasprintf("(built-in %s)", page_files[i]);
	int ret = -1;

	*out = NULL;
	if (!theme) {
		buf_adds(&text, builtin[i]);
	} else if (buf_read_file(&text, path, SERVE_THEME_FILE_MAX) < 0) {
		diag_add(diags, DIAG_ERROR, path, 0, 0, "cannot read the page: %s",
			 errno == EFBIG ? "larger than 64 KiB" : strerror(errno));
		goto done;
	}
	if (template_parse(out, text.ptr, text.len, path, 1, 1, diags) < 0)
		goto done;
	c.path = path;
	c.diags = diags;
	c.bad = 0;
	template_foreach_ref(*out, check_ref, &c);
	if (c.bad) {
		template_free(*out);
		*out = NULL;
		goto done;
	}
	ret = 0;
done:
	free(path);
	buf_release(&text);
	return ret;
}

int serve_pages_load(struct serve_pages **out, const char *theme, struct diag_list *diags)
{
	struct serve_pages *p = xcalloc(1, sizeof(*p));
	size_t i;
	int ret = 0;

	for (i = 0; i < PAGE_COUNT; i++)
		if (page_load(&p->page[i], theme, i, diags) < 0)
			ret = -1;
	if (ret < 0) {
		serve_pages_free(p);
		p = NULL;
	}
	*out = p;
	return ret;
}

void serve_pages_free(struct serve_pages *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < PAGE_COUNT; i++)
		template_free(p->page[i]);
	free(p);
}

/* The text of key with its "%s" replaced by the organisation. */
static struct tvalue *text_value(const char *language, const char *key, const char *organization)
{
	const char *text = lang_text(language, key), *at;
	struct buf b = BUF_INIT;
	struct tvalue *v;

	if (!text)
		text = "";
	at = strstr(text, "%s");
	if (at) {
		buf_add(&b, text, (size_t)(at - text));
		buf_adds(&b, organization);
		buf_adds(&b, at + 2);
	} else {
		buf_adds(&b, text);
	}
	v = tvalue_stringn(b.ptr, b.len);
	buf_release(&b);
	return v;
}

void serve_pages_render(struct buf *out, const struct serve_pages *p, enum serve_page_kind kind,
			const struct serve_page_values *v)
{
	static const char *const keys[][2] = {
		{ "serve.confirm.title", "serve.confirm.text" },
		{ "serve.done.title", "serve.done.text" },
		{ "serve.invalid.title", "serve.invalid.text" },
	};
	const char *title_key = kind == SERVE_PAGE_MESSAGE ? v->title_key : keys[kind][0];
	const char *text_key = kind == SERVE_PAGE_MESSAGE ? v->text_key : keys[kind][1];
	const char *org = v->organization ? v->organization : "";
	struct tvalue *ctx = tvalue_map();
	char status[16];

	snprintf(status, sizeof(status), "%u", v->status);
	tvalue_map_set(ctx, "lang", tvalue_string(v->language ? v->language : "en"));
	tvalue_map_set(ctx, "organization", tvalue_string(org));
	tvalue_map_set(ctx, "title", text_value(v->language, title_key, org));
	tvalue_map_set(ctx, "text", text_value(v->language, text_key, org));
	tvalue_map_set(ctx, "status", tvalue_string(status));
	if (kind == SERVE_PAGE_CONFIRM) {
		tvalue_map_set(ctx, "button", text_value(v->language, "serve.confirm.button", org));
		tvalue_map_set(ctx, "action", tvalue_string(v->action ? v->action : ""));
		tvalue_map_set(ctx, "token", tvalue_string(v->token ? v->token : ""));
	}
	if (kind == SERVE_PAGE_INVALID) {
		tvalue_map_set(ctx, "address", tvalue_string(v->address ? v->address : ""));
		tvalue_map_set(ctx, "mailto_text", text_value(v->language, "serve.invalid.mailto", org));
	}
	template_render(out, p->page[kind], ctx, TEMPLATE_HTML);
	tvalue_free(ctx);
}
