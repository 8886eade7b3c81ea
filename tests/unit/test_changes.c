#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "changes.h"
#include "fixture.h"
#include "xalloc.h"

/* a shell command that must work */
#define run(...) assert_int_equal(fixture_run(__VA_ARGS__), 0)

static char *files[] = { "campaigns/a/campaign.yaml", "recipients/contacts/x.yaml",
			 "templates/t.md" };
static const struct changes some = { files, 3 };

static void test_touch(void **state)
{
	const struct changes none = CHANGES_INIT;

	(void)state;
	assert_true(changes_touch(&some, "campaigns/a/campaign.yaml"));
	assert_true(changes_touch(&some, "campaigns/a"));
	assert_true(changes_touch(&some, "campaigns"));
	assert_true(changes_touch(&some, "templates/t.md"));
	assert_false(changes_touch(&some, "campaigns/ab"));
	assert_false(changes_touch(&some, "campaigns/a/campaign.yam"));
	assert_false(changes_touch(&some, "templates/t"));
	assert_false(changes_touch(&some, "campaigns/a/campaign.yaml/x"));
	assert_false(changes_touch(&some, ""));
	assert_false(changes_touch(&none, "campaigns"));
}

static void test_mark(void **state)
{
	struct diag_list diags = DIAG_LIST_INIT;

	(void)state;
	diag_add(&diags, DIAG_ERROR, "campaigns/a/campaign.yaml", 4, 10, "unknown template 'x'");
	diag_add(&diags, DIAG_WARNING, "campaigns/b/campaign.yaml", 1, 1, "selects no recipients");
	diag_add(&diags, DIAG_WARNING, "recipients/contacts", 0, 0, "a folder's warning");
	assert_int_equal(changes_mark(&some, &diags, "origin/main"), 2);
	assert_string_equal(diags.items[0].message, "unknown template 'x' (changed since origin/main)");
	assert_int_equal(diags.items[0].changed, 1);
	assert_string_equal(diags.items[1].message, "selects no recipients");
	assert_int_equal(diags.items[1].changed, 0);
	assert_string_equal(diags.items[2].message, "a folder's warning (changed since origin/main)");
	assert_int_equal(diags.items[2].changed, 1);
	diag_release(&diags);
}

static void test_campaigns(void **state)
{
	struct campaign items[3];
	struct campaigns campaigns = { items, 3 };
	const char *ids[3] = { NULL, NULL, NULL };

	(void)state;
	memset(items, 0, sizeof(items));
	items[0].id = "a";
	items[1].id = "ab";
	items[2].id = "b";
	assert_int_equal(changes_campaigns(ids, &some, &campaigns), 1);
	assert_string_equal(ids[0], "a");
	assert_null(ids[1]);
	files[0] = "campaigns/b/log/x.tsv";
	assert_int_equal(changes_campaigns(ids, &some, &campaigns), 1);
	assert_string_equal(ids[0], "b");
	files[0] = "campaigns/a/campaign.yaml";
}

/* The content below the working tree's top: its own files only, relative
 * to it. */
static void test_since(void **state)
{
	struct changes c = CHANGES_INIT;
	char *dir = fixture_tmpdir(), *root;

	(void)state;
	assert_non_null(dir);
	root = xasprintf("%s/content", dir);
	run("git init -q -b main '%s'", dir);
	assert_int_equal(fixture_write(dir, "content/campaigns/a/campaign.yaml", "name: A\n"), 0);
	assert_int_equal(fixture_write(dir, "content/templates/t.md", "Hi\n"), 0);
	assert_int_equal(fixture_write(dir, "README", "outside\n"), 0);
	run("git -C '%s' add -A && git -C '%s' -c user.name=T -c user.email=t@example.com commit -q -m one",
	    dir, dir);
	assert_int_equal(changes_since(&c, root, "HEAD"), 0);
	assert_int_equal(c.count, 0);
	changes_release(&c);

	assert_int_equal(fixture_write(dir, "content/templates/t.md", "Hello\n"), 0);
	assert_int_equal(fixture_write(dir, "content/campaigns/b/campaign.yaml", "name: B\n"), 0);
	assert_int_equal(fixture_write(dir, "README", "changed outside\n"), 0);
	assert_int_equal(changes_since(&c, root, "HEAD"), 0);
	assert_int_equal(c.count, 2);
	assert_string_equal(c.files[0], "campaigns/b/campaign.yaml");
	assert_string_equal(c.files[1], "templates/t.md");
	changes_release(&c);
	assert_null(c.files);

	assert_int_equal(changes_since(&c, root, "nope"), -1);
	assert_non_null(strstr(error_last(), "unknown revision 'nope'"));
	assert_null(c.files);
	assert_int_equal(c.count, 0);
	changes_release(&c);
	fixture_remove(dir);
	free(root);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_touch),
		cmocka_unit_test(test_mark),
		cmocka_unit_test(test_campaigns),
		cmocka_unit_test(test_since),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
