#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "buf.h"
#include "diag.h"
#include "template.h"

/* The official mustache specification, run from the repository root. */

static yaml_node_t *map_lookup(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(doc, pair->key);

		if (k && k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			return yaml_document_get_node(doc, pair->value);
	}
	return NULL;
}

static int scalar_is(const char *s, const char *a, const char *b, const char *c)
{
	return !strcmp(s, a) || !strcmp(s, b) || !strcmp(s, c);
}

/*
 * A plain YAML scalar is null, a bool, a number or a string; quoted ones are
 * strings.  mailout's data is strings, so numbers become the text the spec
 * expects: 85 -> "85", 1.210 -> "1.21".
 */
static struct tvalue *scalar_value(const yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	char num[64], *end;
	double d;

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return tvalue_stringn(s, len);
	if (!len || !strcmp(s, "~") || scalar_is(s, "null", "Null", "NULL"))
		return tvalue_null();
	if (scalar_is(s, "true", "True", "TRUE"))
		return tvalue_bool(1);
	if (scalar_is(s, "false", "False", "FALSE"))
		return tvalue_bool(0);
	if (strchr("0123456789+-.", s[0])) {
		d = strtod(s, &end);
		if (end == s + len) {
			snprintf(num, sizeof(num), "%.15g", d);
			return tvalue_string(num);
		}
	}
	return tvalue_stringn(s, len);
}

static struct tvalue *yaml_value(yaml_document_t *doc, yaml_node_t *n)
{
	struct tvalue *v;
	yaml_node_item_t *item;
	yaml_node_pair_t *pair;

	assert_non_null(n);
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return scalar_value(n);
	case YAML_SEQUENCE_NODE:
		v = tvalue_list();
		for (item = n->data.sequence.items.start; item < n->data.sequence.items.top; item++)
			tvalue_list_push(v, yaml_value(doc, yaml_document_get_node(doc, *item)));
		return v;
	case YAML_MAPPING_NODE:
		v = tvalue_map();
		for (pair = n->data.mapping.pairs.start; pair < n->data.mapping.pairs.top; pair++) {
			yaml_node_t *k = yaml_document_get_node(doc, pair->key);

			assert_int_equal(k->type, YAML_SCALAR_NODE);
			tvalue_map_set(v, (char *)k->data.scalar.value,
				       yaml_value(doc, yaml_document_get_node(doc, pair->value)));
		}
		return v;
	default:
		fail_msg("unexpected YAML node");
		return NULL;
	}
}

static const char *scalar_text(yaml_node_t *n, size_t *len)
{
	assert_non_null(n);
	assert_int_equal(n->type, YAML_SCALAR_NODE);
	*len = n->data.scalar.length;
	return (const char *)n->data.scalar.value;
}

/* Runs every case of tests/mustache-spec/<name>.yml; expects `cases` of them. */
static void run_spec(const char *name, size_t cases)
{
	char path[256];
	FILE *f;
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *tests;
	yaml_node_item_t *item;
	size_t ran = 0, failed = 0;

	snprintf(path, sizeof(path), "tests/mustache-spec/%s.yml", name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_true(yaml_parser_initialize(&parser));
	yaml_parser_set_input_file(&parser, f);
	assert_true(yaml_parser_load(&parser, &doc));
	tests = map_lookup(&doc, yaml_document_get_root_node(&doc), "tests");
	assert_non_null(tests);
	assert_int_equal(tests->type, YAML_SEQUENCE_NODE);

	for (item = tests->data.sequence.items.start; item < tests->data.sequence.items.top;
	     item++) {
		yaml_node_t *test = yaml_document_get_node(&doc, *item);
		struct diag_list diags = DIAG_LIST_INIT;
		struct buf out = BUF_INIT;
		struct template *t = NULL;
		struct tvalue *data;
		const char *case_name, *src, *expected;
		size_t case_len, src_len, expected_len;

		case_name = scalar_text(map_lookup(&doc, test, "name"), &case_len);
		src = scalar_text(map_lookup(&doc, test, "template"), &src_len);
		expected = scalar_text(map_lookup(&doc, test, "expected"), &expected_len);
		data = yaml_value(&doc, map_lookup(&doc, test, "data"));
		ran++;
		if (template_parse(&t, src, src_len, "spec", 1, 1, &diags) < 0) {
			failed++;
			printf("spec %s: '%s': parse error: %s\n", name, case_name,
			       diags.count ? diags.items[0].message : "?");
			fflush(stdout);
		} else {
			template_render(&out, t, data, TEMPLATE_HTML);
			if (out.len != expected_len || memcmp(out.ptr, expected, expected_len)) {
				failed++;
				printf("spec %s: '%s': expected \"%s\", got \"%s\"\n", name,
				       case_name, expected, out.ptr);
				fflush(stdout);
			}
		}
		template_free(t);
		tvalue_free(data);
		buf_release(&out);
		diag_release(&diags);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	assert_int_equal(failed, 0);
	assert_int_equal(ran, cases);
}

static void test_spec_interpolation(void **state)
{
	(void)state;
	run_spec("interpolation", 42);
}

static void test_spec_sections(void **state)
{
	(void)state;
	run_spec("sections", 34);
}

static void test_spec_inverted(void **state)
{
	(void)state;
	run_spec("inverted", 22);
}

static void test_spec_comments(void **state)
{
	(void)state;
	run_spec("comments", 12);
}

/* mailout's own cases */

/* Parses src and renders it with context; returns the output (free it). */
static char *render(const char *src, const struct tvalue *context, enum template_escape escape)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct template *t = NULL;
	struct buf out = BUF_INIT;

	assert_int_equal(template_parse(&t, src, strlen(src), "t.md", 1, 1, &diags), 0);
	assert_int_equal(diags.count, 0);
	template_render(&out, t, context, escape);
	template_free(t);
	diag_release(&diags);
	return buf_detach(&out, NULL);
}

static void assert_render(const char *src, const struct tvalue *context,
			  enum template_escape escape, const char *expected)
{
	char *got = render(src, context, escape);

	assert_string_equal(got, expected);
	free(got);
}

/*
 * Parses src (expected to fail) at line0/col0 of templates/x.md and checks
 * the diagnostics, given as "line:col: message" strings, in order.
 */
static void assert_errors(const char *src, int line0, int col0, size_t count, ...)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct template *t = (struct template *)&diags; /* must come back NULL */
	struct buf got = BUF_INIT;
	va_list ap;
	size_t i;

	assert_int_equal(template_parse(&t, src, strlen(src), "templates/x.md", line0, col0,
					&diags), -1);
	assert_null(t);
	va_start(ap, count);
	for (i = 0; i < diags.count; i++) {
		buf_reset(&got);
		assert_string_equal(diags.items[i].path, "templates/x.md");
		assert_int_equal(diags.items[i].severity, DIAG_ERROR);
		buf_addf(&got, "%d:%d: %s", diags.items[i].line, diags.items[i].col,
			 diags.items[i].message);
		if (i < count)
			assert_string_equal(got.ptr, va_arg(ap, const char *));
	}
	va_end(ap);
	assert_int_equal(diags.count, count);
	assert_int_equal(diags.errors, count);
	buf_release(&got);
	diag_release(&diags);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	assert_errors("Hi\n  {{#items}}x\n", 5, 3, 1,
		      "6:3: unclosed section 'items' (no '{{/items}}')");
	assert_errors("{{#a}}\nx{{/b}}", 1, 1, 1,
		      "2:2: '{{/b}}' does not close the open section 'a' (opened at 1:1)");
	assert_errors("{{#a}}{{^b}}{{/a}}", 1, 1, 1,
		      "1:7: unclosed section 'b' (no '{{/b}}')");
	assert_errors("ab {{/x}}", 3, 10, 1, "3:13: '{{/x}}' closes no open section");
	assert_errors("ab\n{{/x}}", 3, 10, 1, "4:1: '{{/x}}' closes no open section");
	assert_errors("Dear {{> partial}}\n", 1, 1, 1,
		      "1:6: partials are not supported: '{{> partial}}'");
	assert_errors("{{=<% %>=}}", 2, 1, 1,
		      "2:1: changing delimiters ('{{=...=}}') is not supported");
	assert_errors("{{<parent}}{{/parent}}", 1, 1, 2,
		      "1:1: template inheritance is not supported: '{{< parent}}'",
		      "1:12: '{{/parent}}' closes no open section");
	assert_errors("Hello {{name\nbye", 1, 1, 1, "1:7: unterminated tag: '{{' without '}}'");
	assert_errors("{{{name}}", 1, 1, 1, "1:1: unterminated tag: '{{{' without '}}}'");
	/* The scan resumes at the next tag, which is fine. */
	assert_errors("x {{name\n{{other}} {{", 1, 1, 2,
		      "1:3: unterminated tag: '{{' without '}}'",
		      "2:11: unterminated tag: '{{' without '}}'");
	assert_errors("{{first name}} {{a..b}} {{ }} {{#}}{{/}}", 1, 1, 5,
		      "1:1: invalid name 'first name': names have no spaces",
		      "1:16: invalid name 'a..b': empty part between dots",
		      "1:25: empty name in '{{ }}'",
		      "1:31: empty name in '{{#}}'",
		      "1:36: empty name in '{{/}}'");
	/* Every error is reported, in source order, positions after CRLF lines too. */
	assert_errors("{{#list}}\r\n  {{> row}}\r\n{{/lsit}}\r\n{{^x}}", 10, 1, 3,
		      "11:3: partials are not supported: '{{> row}}'",
		      "12:1: '{{/lsit}}' does not close the open section 'list' (opened at 10:1)",
		      "13:1: unclosed section 'x' (no '{{/x}}')");
}

/* n sections {{#a}}, or {{^a}} for the innermost, around "x", then
 * their closes and a last line. */
static void nested_sections(struct buf *src, int n, const char *last_line)
{
	int i;

	buf_reset(src);
	for (i = 0; i < n; i++)
		buf_adds(src, i == n - 1 ? "{{^a}}" : "{{#a}}");
	buf_adds(src, "x");
	for (i = 0; i < n; i++)
		buf_adds(src, "{{/a}}");
	buf_addf(src, "\n%s", last_line);
}

static void test_nesting_limit(void **state)
{
	struct tvalue *ctx = tvalue_map(), *inner = tvalue_map();
	struct buf src = BUF_INIT;
	char *got;

	(void)state;
	tvalue_map_set(inner, "b", tvalue_bool(0));
	tvalue_map_set(ctx, "a", inner);
	/* exactly at the limit: parsed and rendered */
	nested_sections(&src, TEMPLATE_MAX_DEPTH, "{{a.b}}");
	got = render(src.ptr, ctx, TEMPLATE_TEXT);
	assert_string_equal(got, "\nfalse");
	free(got);
	/* one deeper: one error at the section too many; the rest of the
	 * template is not read (its closes and tags are not reported) */
	nested_sections(&src, TEMPLATE_MAX_DEPTH + 1, "{{/b}} {{ }}");
	assert_int_equal(TEMPLATE_MAX_DEPTH, 64);
	assert_errors(src.ptr, 3, 5, 1, "3:389: sections nested deeper than 64 levels");
	buf_release(&src);
	tvalue_free(ctx);
}

static void test_escaping(void **state)
{
	struct tvalue *ctx = tvalue_map();

	(void)state;
	tvalue_map_set(ctx, "company", tvalue_string("<b>Evil & Co</b> \"q\" 'a'"));
	assert_render("{{company}}", ctx, TEMPLATE_HTML,
		      "&lt;b&gt;Evil &amp; Co&lt;/b&gt; &quot;q&quot; &#39;a&#39;");
	assert_render("{{company}}", ctx, TEMPLATE_TEXT, "<b>Evil & Co</b> \"q\" 'a'");
	assert_render("{{{company}}}|{{& company}}", ctx, TEMPLATE_HTML,
		      "<b>Evil & Co</b> \"q\" 'a'|<b>Evil & Co</b> \"q\" 'a'");
	assert_render("{{{ company }}}", ctx, TEMPLATE_TEXT, "<b>Evil & Co</b> \"q\" 'a'");
	tvalue_free(ctx);
}

/* A template whose only name is the implicit iterator has no name parts. */
static void test_only_implicit_iterator(void **state)
{
	struct tvalue *world = tvalue_string("world <&>");
	struct tvalue *ctx = tvalue_map();

	(void)state;
	assert_render("Hello, {{.}}!", world, TEMPLATE_HTML, "Hello, world &lt;&amp;&gt;!");
	assert_render("Hello, {{{.}}}!", world, TEMPLATE_TEXT, "Hello, world <&>!");
	assert_render("{{#.}}[{{.}}]{{/.}}{{^.}}none{{/.}}", world, TEMPLATE_TEXT, "[world <&>]");
	assert_render("Hello, {{.}}!", NULL, TEMPLATE_TEXT, "Hello, !");
	assert_render("{{^.}}none{{/.}}", NULL, TEMPLATE_TEXT, "none");
	assert_render("Hello, {{.}}!", ctx, TEMPLATE_TEXT, "Hello, !");
	tvalue_free(ctx);
	tvalue_free(world);
}

static void test_dotted_names_in_sections(void **state)
{
	struct tvalue *ctx = tvalue_map(), *owner = tvalue_map(), *org = tvalue_map();
	struct tvalue *items = tvalue_list(), *item;
	const char *titles[] = { "Pricing", "Roadmap" };
	size_t i;

	(void)state;
	tvalue_map_set(owner, "name", tvalue_string("Alice Example"));
	tvalue_map_set(owner, "email", tvalue_string("alice@example.com"));
	tvalue_map_set(org, "site_url", tvalue_string("https://status.example.com"));
	for (i = 0; i < 2; i++) {
		item = tvalue_map();
		tvalue_map_set(item, "title", tvalue_string(titles[i]));
		tvalue_list_push(items, item);
	}
	tvalue_map_set(ctx, "owner", owner);
	tvalue_map_set(ctx, "organization", org);
	tvalue_map_set(ctx, "items", items);
	tvalue_map_set(ctx, "first_name", tvalue_string("Jana"));
	assert_render("Hi {{first_name}},\n"
		      "{{#items}}\n"
		      "- {{title}} ({{owner.name}}, {{ organization.site_url }})\n"
		      "{{/items}}\n"
		      "{{#owner}}{{name}} <{{email}}> for {{first_name}}{{/owner}}\n"
		      "{{owner.missing.deeper}}{{first_name.x}}{{#owner.name}}[{{.}}]{{/owner.name}}",
		      ctx, TEMPLATE_TEXT,
		      "Hi Jana,\n"
		      "- Pricing (Alice Example, https://status.example.com)\n"
		      "- Roadmap (Alice Example, https://status.example.com)\n"
		      "Alice Example <alice@example.com> for Jana\n"
		      "[Alice Example]");
	assert_ptr_equal(tvalue_map_get(ctx, "owner"), owner);
	assert_string_equal(tvalue_map_get(tvalue_map_get(ctx, "owner"), "name")->str,
			    "Alice Example");
	assert_null(tvalue_map_get(ctx, "nobody"));
	assert_null(tvalue_map_get(items, "title"));
	tvalue_free(ctx);
}

static void test_values(void **state)
{
	struct tvalue *ctx = tvalue_map(), *tags = tvalue_list();
	struct buf out = BUF_INIT;
	struct template *t = NULL;
	struct diag_list diags = DIAG_LIST_INIT;
	const char *src = "{{#title}}[{{title}}]{{/title}}{{^title}}no title{{/title}}"
			  " {{vip}} {{tags}} {{#vip}}VIP{{/vip}}{{^empty}}none{{/empty}}"
			  " {{nothing}}{{#empty_map}}map{{/empty_map}}";

	(void)state;
	tvalue_map_set(ctx, "title", tvalue_string(""));
	tvalue_map_set(ctx, "vip", tvalue_bool(1));
	tvalue_list_push(tags, tvalue_string("news & offers"));
	tvalue_list_push(tags, tvalue_bool(0));
	tvalue_list_push(tags, tvalue_map());
	tvalue_list_push(tags, tvalue_string("events"));
	tvalue_map_set(ctx, "tags", tags);
	tvalue_map_set(ctx, "empty", tvalue_list());
	tvalue_map_set(ctx, "nothing", NULL);
	tvalue_map_set(ctx, "empty_map", tvalue_map());
	assert_int_equal(tvalue_map_get(ctx, "nothing")->kind, TVALUE_NULL);
	assert_int_equal(template_parse(&t, src, strlen(src), "t.md", 1, 1, &diags), 0);
	template_render(&out, t, ctx, TEMPLATE_HTML);
	assert_string_equal(out.ptr, "no title true news &amp; offers, false, events VIPnone map");

	/* Replacing a value keeps the map's order and renders the new one. */
	tvalue_map_set(ctx, "title", tvalue_stringn("Q4\0ignored", 2));
	tvalue_map_set(ctx, "vip", tvalue_bool(0));
	assert_int_equal(ctx->count, 6);
	assert_string_equal(ctx->members[0].key, "title");
	buf_reset(&out);
	template_render(&out, t, ctx, TEMPLATE_TEXT);
	assert_string_equal(out.ptr, "[Q4] false news & offers, false, events none map");

	/* No context at all: everything is missing; output is appended. */
	template_render(&out, t, NULL, TEMPLATE_TEXT);
	assert_string_equal(out.ptr, "[Q4] false news & offers, false, events none map"
				     "no title   none ");
	template_free(t);
	template_free(NULL);
	tvalue_free(NULL);
	tvalue_free(ctx);
	buf_release(&out);
	diag_release(&diags);
}

static void test_standalone_crlf(void **state)
{
	struct tvalue *ctx = tvalue_map();
	const char *src = "Hello {{name}}\r\n"
			  "  {{#vip}}\r\n"
			  "VIP\r\n"
			  "\t{{/vip}}  \r\n"
			  "{{! a note\r\n for editors }}\r\n"
			  "{{^vip}}\r\n"
			  "regular\r\n"
			  "{{/vip}}\r\n"
			  "  {{name}}\r\n"
			  "Bye";

	(void)state;
	tvalue_map_set(ctx, "name", tvalue_string("Jana"));
	tvalue_map_set(ctx, "vip", tvalue_bool(1));
	assert_render(src, ctx, TEMPLATE_TEXT, "Hello Jana\r\nVIP\r\n  Jana\r\nBye");
	tvalue_map_set(ctx, "vip", tvalue_bool(0));
	assert_render(src, ctx, TEMPLATE_TEXT, "Hello Jana\r\nregular\r\n  Jana\r\nBye");
	/* A lone CR is no line ending; two tags on a line are not standalone. */
	assert_render("{{#vip}}\r{{/vip}}x\n{{^vip}}{{/vip}}\n", ctx, TEMPLATE_TEXT, "x\n\n");
	tvalue_free(ctx);
}

struct collected {
	struct buf text;
	int calls, stop_at;
};

static int collect_ref(const struct template_ref *ref, void *payload)
{
	struct collected *c = payload;
	static const char *kinds[] = { "var", "unescaped", "section", "inverted" };

	buf_addf(&c->text, "%s %s %d:%d depth %d in %s\n", kinds[ref->kind], ref->name,
		 ref->line, ref->col, ref->depth, ref->section ? ref->section : "-");
	return ++c->calls == c->stop_at ? 7 : 0;
}

static void test_foreach_ref(void **state)
{
	const char *src = "Hi {{first_name}},\n"
			  "{{#owner}}\n"
			  "  {{ owner.name }}{{{sig}}}{{! not a ref }}\n"
			  "{{/owner}}{{^vip}}x{{& y}}{{#.}}{{.}}{{/.}}{{/vip}}\n"
			  "{{unsubscribe_url}}";
	struct diag_list diags = DIAG_LIST_INIT;
	struct template *t = NULL;
	struct collected c = { BUF_INIT, 0, 0 };

	(void)state;
	assert_int_equal(template_parse(&t, src, strlen(src), "templates/x.md", 2, 10, &diags),
			 0);
	assert_int_equal(template_foreach_ref(t, collect_ref, &c), 0);
	assert_string_equal(c.text.ptr,
			    "var first_name 2:13 depth 0 in -\n"
			    "section owner 3:1 depth 0 in -\n"
			    "var owner.name 4:3 depth 1 in owner\n"
			    "unescaped sig 4:19 depth 1 in owner\n"
			    "inverted vip 5:11 depth 0 in -\n"
			    "unescaped y 5:20 depth 1 in vip\n"
			    "section . 5:27 depth 1 in vip\n"
			    "var . 5:33 depth 2 in .\n"
			    "var unsubscribe_url 6:1 depth 0 in -\n");
	assert_int_equal(c.calls, 9);

	buf_reset(&c.text);
	c.calls = 0;
	c.stop_at = 2;
	assert_int_equal(template_foreach_ref(t, collect_ref, &c), 7);
	assert_int_equal(c.calls, 2);
	template_free(t);
	buf_release(&c.text);
	diag_release(&diags);
}

static void test_long_list(void **state)
{
	struct tvalue *ctx = tvalue_map(), *list = tvalue_list(), *item;
	struct buf expected = BUF_INIT;
	char n[16];
	int i;

	(void)state;
	buf_adds(&expected, "<ul>\n");
	for (i = 0; i < 1000; i++) {
		snprintf(n, sizeof(n), "%d", i);
		item = tvalue_map();
		tvalue_map_set(item, "n", tvalue_string(n));
		tvalue_list_push(list, item);
		buf_addf(&expected, "<li>%d of Example &amp; Co</li>\n", i);
	}
	buf_adds(&expected, "</ul>");
	tvalue_map_set(ctx, "rows", list);
	tvalue_map_set(ctx, "company", tvalue_string("Example & Co"));
	assert_render("<ul>\n{{#rows}}\n<li>{{n}} of {{company}}</li>\n{{/rows}}\n</ul>", ctx,
		      TEMPLATE_HTML, expected.ptr);
	tvalue_free(ctx);
	buf_release(&expected);
}

/* A newsletter of about 2 KB with a dozen tags, rendered many times. */
static void test_render_speed(void **state)
{
	struct buf src = BUF_INIT, out = BUF_INIT;
	struct diag_list diags = DIAG_LIST_INIT;
	struct template *t = NULL;
	struct tvalue *ctx = tvalue_map(), *owner = tvalue_map();
	struct timespec t0, t1;
	double seconds;
	int i;

	(void)state;
	buf_adds(&src, "Hello {{first_name}} {{last_name}},\n\n");
	for (i = 0; i < 16; i++)
		buf_adds(&src, "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed "
			       "do eiusmod tempor incididunt ut labore et dolore magna.\n");
	buf_adds(&src, "{{#vip}}As a valued customer of {{company}}...{{/vip}}\n"
		       "{{^vip}}Join us!{{/vip}}\n{{owner.name}} <{{owner.email}}>\n"
		       "{{title}} {{country}}\n[Unsubscribe]({{{unsubscribe_url}}})\n");
	assert_int_equal(src.len, 2081);
	assert_int_equal(template_parse(&t, src.ptr, src.len, "t.md", 1, 1, &diags), 0);
	tvalue_map_set(owner, "name", tvalue_string("Alice Example"));
	tvalue_map_set(owner, "email", tvalue_string("alice@example.com"));
	tvalue_map_set(ctx, "first_name", tvalue_string("Jana"));
	tvalue_map_set(ctx, "last_name", tvalue_string("Novak"));
	tvalue_map_set(ctx, "company", tvalue_string("Acme"));
	tvalue_map_set(ctx, "title", tvalue_string("Dr."));
	tvalue_map_set(ctx, "country", tvalue_string("DE"));
	tvalue_map_set(ctx, "vip", tvalue_bool(1));
	tvalue_map_set(ctx, "owner", owner);
	tvalue_map_set(ctx, "unsubscribe_url",
		       tvalue_string("https://status.example.com/unsubscribe/#v1.k.c.r.m"));
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	for (i = 0; i < 10000; i++) {
		buf_reset(&out);
		template_render(&out, t, ctx, TEMPLATE_HTML);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_non_null(strstr(out.ptr, "As a valued customer of Acme...\n\n"
				       "Alice Example <alice@example.com>\nDr. DE\n"));
	/* A generous bound of CPU time (100 µs a render) that holds under
	 * sanitizers and on a busy machine: a guard against a quadratic render. */
	assert_true(seconds < 1.0);
	template_free(t);
	tvalue_free(ctx);
	buf_release(&src);
	buf_release(&out);
	diag_release(&diags);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_interpolation),
		cmocka_unit_test(test_spec_sections),
		cmocka_unit_test(test_spec_inverted),
		cmocka_unit_test(test_spec_comments),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_only_implicit_iterator),
		cmocka_unit_test(test_dotted_names_in_sections),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_standalone_crlf),
		cmocka_unit_test(test_foreach_ref),
		cmocka_unit_test(test_long_list),
		cmocka_unit_test(test_render_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
