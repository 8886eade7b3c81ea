#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "yamlfile.h"

static struct ydoc *parse(const char *text, struct diag_list *d)
{
	struct ydoc *doc = NULL;

	ydoc_parse(&doc, "x.yaml", text, strlen(text), 0, d);
	return doc;
}

static void test_positions(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct ydoc *doc = parse("a: 1\nlist:\n  - { id: x, v: [p, q] }\n", &d);
	const struct ynode *list, *rec;

	(void)state;
	assert_non_null(doc);
	assert_int_equal(d.count, 0);
	list = ynode_get(doc->root, "list");
	assert_int_equal(list->kind, YNODE_SEQ);
	rec = list->items[0];
	assert_int_equal(rec->line, 3);
	assert_int_equal(rec->col, 5);
	assert_string_equal(ynode_get(rec, "id")->value, "x");
	assert_int_equal(ynode_get(rec, "id")->col, 11);
	assert_int_equal(ynode_get(rec, "v")->count, 2);
	ydoc_free(doc);
}

static void test_alias_bomb_refused(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
			   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n";

	(void)state;
	assert_null(parse(bomb, &d));
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.items[0].line, 1);
	assert_int_equal(d.items[0].col, 4);
	assert_string_equal(d.items[0].message, "anchors and aliases are not allowed (anchor 'a')");
	diag_release(&d);
}

static void test_syntax_error_position(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;

	(void)state;
	assert_null(parse("a: 1\nb: [1, 2\nc: 3\n", &d));
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.items[0].line, 3);
	assert_non_null(strstr(d.items[0].message, "YAML syntax error"));
	diag_release(&d);
}

static void test_duplicate_key(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;

	(void)state;
	assert_null(parse("a: 1\nb: 2\na: 3\n", &d));
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.items[0].line, 3);
	assert_string_equal(d.items[0].message, "duplicate key 'a' (first at line 1)");
	diag_release(&d);
}

/* One error, at line:col, with message. */
static void assert_one_error(const char *text, int line, int col, const char *message)
{
	struct diag_list d = DIAG_LIST_INIT;

	assert_null(parse(text, &d));
	assert_int_equal(d.count, 1);
	assert_int_equal(d.errors, 1);
	assert_string_equal(d.items[0].path, "x.yaml");
	assert_int_equal(d.items[0].line, line);
	assert_int_equal(d.items[0].col, col);
	assert_string_equal(d.items[0].message, message);
	diag_release(&d);
}

/* A mapping large enough for the hash set of its keys: every duplicate is
 * found, at the second occurrence, naming the first. */
static void test_duplicate_key_in_large_mapping(void **state)
{
	struct buf text = BUF_INIT;
	int i;

	(void)state;
	for (i = 0; i < 500; i++)
		buf_addf(&text, "k%d: v\n", i);
	buf_adds(&text, "\"k3\": again\n");
	assert_one_error(text.ptr, 501, 1, "duplicate key 'k3' (first at line 4)");
	buf_reset(&text);
	for (i = 0; i < 500; i++)
		buf_addf(&text, "k%d: v\n", i);
	buf_adds(&text, "k499: again\n");
	assert_one_error(text.ptr, 501, 1, "duplicate key 'k499' (first at line 500)");
	/* keys that differ only after a NUL byte are different keys */
	buf_reset(&text);
	for (i = 0; i < 20; i++)
		buf_addf(&text, "\"k\\0%d\": v\n", i);
	buf_adds(&text, "\"k\\09\": again\n");
	assert_one_error(text.ptr, 21, 1, "duplicate key 'k' (first at line 10)");
	buf_release(&text);
}

/* The nesting depth: YAMLFILE_MAX_DEPTH levels parse, one more is an error
 * at the first level too many, in flow and block style. */
static void test_depth_limit(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct buf text = BUF_INIT;
	struct ydoc *doc;
	const struct ynode *n;
	int i;

	(void)state;
	assert_int_equal(YAMLFILE_MAX_DEPTH, 64);
	for (i = 0; i < YAMLFILE_MAX_DEPTH; i++)
		buf_addc(&text, '[');
	for (i = 0; i < YAMLFILE_MAX_DEPTH; i++)
		buf_addc(&text, ']');
	doc = parse(text.ptr, &d);
	assert_non_null(doc);
	assert_int_equal(d.count, 0);
	for (i = 1, n = doc->root; n->count; i++)
		n = n->items[0];
	assert_int_equal(i, YAMLFILE_MAX_DEPTH);
	ydoc_free(doc);

	buf_reset(&text);
	buf_adds(&text, "a:\n  b: ");
	for (i = 0; i < 100000; i++)
		buf_addc(&text, '[');
	/* two mappings, then the '[' of level 3 at column 6 */
	assert_one_error(text.ptr, 2, 6 + YAMLFILE_MAX_DEPTH - 2,
			 "lists and mappings nested deeper than 64 levels");

	buf_reset(&text);
	for (i = 0; i < YAMLFILE_MAX_DEPTH + 1; i++)
		buf_addf(&text, "%*sk:\n", i, "");
	assert_one_error(text.ptr, YAMLFILE_MAX_DEPTH + 1, YAMLFILE_MAX_DEPTH + 1,
			 "lists and mappings nested deeper than 64 levels");
	buf_release(&text);
}

/* YAMLFILE_MAX_KEYS keys in a mapping parse; the key after them is an error. */
static void test_keys_limit(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct buf text = BUF_INIT;
	struct ydoc *doc;
	int i;

	(void)state;
	assert_int_equal(YAMLFILE_MAX_KEYS, 1000);
	buf_adds(&text, "- { ");
	for (i = 0; i < YAMLFILE_MAX_KEYS; i++)
		buf_addf(&text, "%sk%03d: v", i ? ", " : "", i);
	buf_adds(&text, " }\n");
	doc = parse(text.ptr, &d);
	assert_non_null(doc);
	assert_int_equal(d.count, 0);
	assert_int_equal(doc->root->items[0]->count, YAMLFILE_MAX_KEYS);
	assert_string_equal(ynode_get(doc->root->items[0], "k999")->value, "v");
	ydoc_free(doc);

	buf_truncate(&text, text.len - 3);
	buf_adds(&text, ", k1000: v }\n");
	/* "- { " and 1000 times "k000: v, " */
	assert_one_error(text.ptr, 1, 5 + 9 * YAMLFILE_MAX_KEYS,
			 "more than 1000 keys in one mapping");
	buf_release(&text);
}

static void test_unknown_key_suggestion(void **state)
{
	static const struct ykey keys[] = { { "daily_limit", YKEY_REQUIRED }, { "owner", 0 }, { NULL, 0 } };
	struct diag_list d = DIAG_LIST_INIT;
	struct ydoc *doc = parse("daly_limit: 3\nowner: x\npassword: hunter2\n", &d);

	(void)state;
	assert_non_null(doc);
	assert_int_equal(ymap_check(doc, doc->root, "account", keys, &d), 2);
	ydoc_check_secrets(doc, &d);
	diag_sort(&d);
	assert_int_equal(d.count, 3);
	assert_string_equal(d.items[0].message,
			    "missing required key 'daily_limit' in account");
	assert_string_equal(d.items[1].message,
			    "unknown key 'daly_limit' in account (did you mean 'daily_limit'?)");
	assert_int_equal(d.items[2].line, 3);
	assert_string_equal(d.items[2].message,
			    "'password' would put a secret in the repository: keep it in an environment variable and name it with 'password_env'");
	ydoc_free(doc);
	diag_release(&d);
}

static void test_addresses(void **state)
{
	const char *why;

	(void)state;
	assert_int_equal(address_check("jana.novak@example.net", &why), 0);
	assert_int_equal(address_check("a+b@sub.example.com", &why), 0);
	assert_int_equal(address_check("a..b@example.com", &why), -1);
	assert_int_equal(address_check(".a@example.com", &why), -1);
	assert_int_equal(address_check("a@example", &why), -1);
	assert_int_equal(address_check("a@-x.example", &why), -1);
	assert_int_equal(address_check("a b@example.com", &why), -1);
	assert_int_equal(address_check("noat.example.com", &why), -1);
	assert_int_equal(address_check("x@exa_mple.com", &why), -1);
	assert_int_equal(address_check("12345678901234567890123456789012345678901234567890123456789012345@example.com", &why), -1);
	assert_string_equal(why, "local part longer than 64 characters");
}

/* A byte-order mark is no content and no column; CRLF reads like LF. */
static void test_bom_and_crlf(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct ydoc *doc = parse("\xef\xbb\xbfname: x\r\ntemplate: t\r\nlist:\r\n  - { id: y }\r\n", &d);
	const struct ynode *n;

	(void)state;
	assert_non_null(doc);
	assert_int_equal(d.count, 0);
	n = ynode_get(doc->root, "name");
	assert_string_equal(n->value, "x");
	assert_int_equal(n->line, 1);
	assert_int_equal(n->col, 7);
	assert_int_equal(doc->root->col, 1);
	n = ynode_get(doc->root, "template");
	assert_string_equal(n->value, "t");
	assert_int_equal(n->line, 2);
	assert_int_equal(n->col, 11);
	n = ynode_get(doc->root, "list")->items[0];
	assert_int_equal(n->line, 4);
	assert_int_equal(n->col, 5);
	assert_string_equal(ynode_get(n, "id")->value, "y");
	ydoc_free(doc);
	/* errors on line 1 and later lines are where they are without them */
	assert_one_error("\xef\xbb\xbf" "a: &x 1\r\n", 1, 4, "anchors and aliases are not allowed (anchor 'x')");
	assert_one_error("\xef\xbb\xbf" "a: 1\r\nb: 2\r\na: 3\r\n", 3, 1, "duplicate key 'a' (first at line 1)");
	/* only at the start: elsewhere it is a character like any other */
	doc = parse("a: \xef\xbb\xbfx\n", &d);
	assert_non_null(doc);
	assert_string_equal(ynode_get(doc->root, "a")->value, "\xef\xbb\xbfx");
	ydoc_free(doc);
	assert_int_equal(ydoc_bom_len("\xef\xbb\xbf", 3), 3);
	assert_int_equal(ydoc_bom_len("\xef\xbb", 2), 0);
	assert_int_equal(ydoc_bom_len("abc", 3), 0);
	diag_release(&d);
}

static void test_typed_words(void **state)
{
	(void)state;
	assert_int_equal(yscalar_typed_word("null"), YWORD_COMMON);
	assert_int_equal(yscalar_typed_word("~"), YWORD_COMMON);
	assert_int_equal(yscalar_typed_word("Yes"), YWORD_COMMON);
	assert_int_equal(yscalar_typed_word("OFF"), YWORD_COMMON);
	assert_int_equal(yscalar_typed_word("N"), YWORD_RARE);
	assert_int_equal(yscalar_typed_word("<<"), YWORD_RARE);
	assert_int_equal(yscalar_typed_word(".NaN"), YWORD_RARE);
	assert_int_equal(yscalar_typed_word("-.inf"), YWORD_RARE);
	assert_int_equal(yscalar_typed_word(""), YWORD_NONE);
	assert_int_equal(yscalar_typed_word("nulls"), YWORD_NONE);
	assert_int_equal(yscalar_typed_word("12"), YWORD_NONE);
	assert_int_equal(yscalar_typed_word("yes please"), YWORD_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_alias_bomb_refused),
		cmocka_unit_test(test_syntax_error_position),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_duplicate_key_in_large_mapping),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_keys_limit),
		cmocka_unit_test(test_unknown_key_suggestion),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_typed_words),
		cmocka_unit_test(test_bom_and_crlf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
