#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "fixture.h"
#include "serve_page.h"

static char *theme;

static void theme_file(const char *name, const char *text)
{
	assert_int_equal(fixture_write(theme, name, text), 0);
}

static void values(struct serve_page_values *v, const char *language)
{
	memset(v, 0, sizeof(*v));
	v->language = language;
	v->organization = "Beispiel & Söhne";
	v->address = "unsubscribe@example.com";
	v->action = "/u";
	v->token = "v1.\"><script>";
	v->status = 200;
}

/* The built-in pages in English and German, every value escaped. */
static void test_builtin(void **state)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct serve_pages *p = NULL;
	struct serve_page_values v;
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(serve_pages_load(&p, NULL, &diags), 0);
	assert_int_equal(diags.errors, 0);
	values(&v, "en");
	serve_pages_render(&b, p, SERVE_PAGE_CONFIRM, &v);
	assert_non_null(strstr(b.ptr, "<html lang=\"en\">"));
	assert_non_null(strstr(b.ptr, "<title>Unsubscribe?</title>"));
	assert_non_null(strstr(b.ptr, "<p>Press the button and you will get no more newsletters from "
				      "Beispiel &amp; Söhne.</p>"));
	assert_non_null(strstr(b.ptr, "<form method=\"post\" action=\"/u\"><input type=\"hidden\" name=\"t\" "
				      "value=\"v1.&quot;&gt;&lt;script&gt;\">"));
	assert_non_null(strstr(b.ptr, ">Unsubscribe</button>"));
	assert_null(strstr(b.ptr, "<script>"));
	buf_reset(&b);
	values(&v, "de-AT");
	serve_pages_render(&b, p, SERVE_PAGE_DONE, &v);
	assert_non_null(strstr(b.ptr, "<html lang=\"de-AT\">"));
	assert_non_null(strstr(b.ptr, "<h1>Sie sind abgemeldet</h1>"));
	assert_non_null(strstr(b.ptr, "<p id=\"done\">Sie erhalten keine Newsletter mehr von Beispiel &amp; Söhne.</p>"));
	buf_reset(&b);
	serve_pages_render(&b, p, SERVE_PAGE_INVALID, &v);
	assert_non_null(strstr(b.ptr, "<h1>Dieser Abmeldelink funktioniert nicht</h1>"));
	assert_non_null(strstr(b.ptr, "an: <a href=\"mailto:unsubscribe@example.com?subject=unsubscribe\">"
				      "unsubscribe@example.com</a>"));
	buf_reset(&b);
	v.title_key = "serve.rate.title";
	v.text_key = "serve.rate.text";
	v.status = 429;
	serve_pages_render(&b, p, SERVE_PAGE_MESSAGE, &v);
	assert_non_null(strstr(b.ptr, "<h1>Zu viele Anfragen</h1>\n<p>Bitte warten Sie eine Minute"));
	buf_release(&b);
	serve_pages_free(p);
	diag_release(&diags);
}

/* A theme replaces the pages; what is wrong with one is found at load,
 * with its place. */
static void test_theme(void **state)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct serve_pages *p = NULL;
	struct serve_page_values v;
	struct buf b = BUF_INIT;
	(void)state;
	theme = fixture_tmpdir();
	assert_non_null(theme);
	theme_file("confirm.html", "<form action=\"{{action}}\"><input name=\"t\" value=\"{{token}}\">{{button}}</form>\n");
	theme_file("done.html", "{{status}} {{title}}: {{text}} ({{lang}}, {{organization}})\n");
	theme_file("invalid.html", "{{#address}}<a href=\"mailto:{{address}}\">{{mailto_text}}</a>{{/address}}\n");
	/* message.html is missing */
	assert_int_equal(serve_pages_load(&p, theme, &diags), -1);
	assert_null(p);
	assert_int_equal(diags.errors, 1);
	assert_non_null(strstr(diags.items[0].path, "/message.html"));
	assert_string_equal(diags.items[0].message, "cannot read the page: No such file or directory");
	diag_release(&diags);

	theme_file("message.html", "<p>{{text}}</p>\n<p>{{{title}}} {{org}}</p>\n");
	assert_int_equal(serve_pages_load(&p, theme, &diags), -1);
	assert_int_equal(diags.errors, 2);
	assert_int_equal(diags.items[0].line, 2);
	assert_int_equal(diags.items[0].col, 4);
	assert_string_equal(diags.items[0].message, "'title' is not escaped: write {{title}} (every value is HTML-escaped)");
	assert_int_equal(diags.items[1].col, 16);
	assert_string_equal(diags.items[1].message, "unknown placeholder 'org' (see `mailout serve --help`)");
	diag_release(&diags);

	theme_file("message.html", "<p>{{#text}}broken</p>\n");
	assert_int_equal(serve_pages_load(&p, theme, &diags), -1);
	assert_int_equal(diags.errors, 1);
	assert_non_null(strstr(diags.items[0].path, "/message.html"));
	diag_release(&diags);

	theme_file("message.html", "<p>{{status}}: {{text}}</p>\n");
	assert_int_equal(serve_pages_load(&p, theme, &diags), 0);
	values(&v, "en");
	serve_pages_render(&b, p, SERVE_PAGE_CONFIRM, &v);
	assert_string_equal(b.ptr, "<form action=\"/u\"><input name=\"t\" value=\"v1.&quot;&gt;&lt;script&gt;\">Unsubscribe</form>\n");
	buf_reset(&b);
	serve_pages_render(&b, p, SERVE_PAGE_DONE, &v);
	assert_string_equal(b.ptr, "200 You are unsubscribed: You will get no more newsletters from Beispiel &amp; Söhne. "
				   "(en, Beispiel &amp; Söhne)\n");
	buf_reset(&b);
	v.status = 404;
	v.title_key = "serve.missing.title";
	v.text_key = "serve.missing.text";
	serve_pages_render(&b, p, SERVE_PAGE_MESSAGE, &v);
	assert_string_equal(b.ptr, "<p>404: There is nothing here.</p>\n");
	buf_release(&b);
	serve_pages_free(p);
	diag_release(&diags);
	fixture_remove(theme);
	free(theme);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_theme),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
