#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "diag.h"
#include "initfiles.h"

static void parse_ok(const char *text, const char *source, const char *ref)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct init_pin pin;

	assert_int_equal(init_pin_parse(&pin, text, strlen(text), "mailout-version", &diags), 0);
	assert_int_equal(diags.count, 0);
	assert_string_equal(pin.source, source);
	assert_string_equal(pin.ref, ref);
	init_pin_release(&pin);
	diag_release(&diags);
}

/* The one diagnostic of text, as "line:col: message". */
static void parse_bad(const char *text, size_t len, const char *want)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct init_pin pin;
	struct buf got = BUF_INIT;

	assert_int_equal(init_pin_parse(&pin, text, len, "mailout-version", &diags), -1);
	assert_int_equal(diags.count, 1);
	buf_addf(&got, "%d:%d: %s", diags.items[0].line, diags.items[0].col, diags.items[0].message);
	assert_string_equal(got.ptr, want);
	buf_release(&got);
	init_pin_release(&pin);
	diag_release(&diags);
}

static void test_pin(void **state)
{
	(void)state;
	parse_ok("# a comment\nsource: https://git.example.com/m.git\nref: v0.1.0\n",
		 "https://git.example.com/m.git", "v0.1.0");
	parse_ok("ref:\tabc  \r\n\nsource:/srv/mailout.git", "/srv/mailout.git", "abc");
	parse_bad("source: x\n", 10, "2:1: no 'ref:' line");
	parse_bad("ref: v1\nsource: x\nref: v2\n", 24, "3:1: 'ref' is given twice");
	parse_bad("source: x\nref: --upload-pack=evil\n", 33,
		  "2:6: 'ref' needs one word without spaces or control characters, not starting with '-'");
	parse_bad("source: a b\nref: v1\n", 20,
		  "1:9: 'source' needs one word without spaces or control characters, not starting with '-'");
	parse_bad("version: 1\nsource: x\nref: v1\n", 29, "1:1: unknown key 'version' (known: source, ref)");
	parse_bad("source x\n", 9, "1:1: expected 'source: URL' or 'ref: REF'");
	parse_bad("source: x\nref: v1\0\n", 19, "2:1: holds a NUL byte");
}

static struct config *one_account(void)
{
	static struct account a[2];
	static struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	memset(a, 0, sizeof(a));
	a[0].id = "a-main";
	a[0].password_env = "PW_A";
	a[0].imap = "imaps://imap.example.com/INBOX";
	a[1].id = "a-oauth";
	a[1].client_secret_env = "CS_A";
	a[1].refresh_token_env = "RT_A";
	cfg.accounts = a;
	cfg.naccounts = 2;
	cfg.unsubscribe_password_env = "PW_UNSUB";
	return &cfg;
}

static void test_render_lists(void **state)
{
	struct init_pin pin = { "https://git.example.com/m.git", "v9" };
	struct buf out = BUF_INIT;

	(void)state;
	init_render(&out, "env:\n    @ACCOUNT_SECRETS@\n  b:\n    @BOUNCE_SECRETS@\nsource: @SOURCE@ @REF@ @x@\n#  @ENV_FILE@\n",
		    one_account(), &pin, NULL);
	assert_string_equal(out.ptr, "env:\n"
				     "    PW_A: ${{ secrets.PW_A }}\n"
				     "    CS_A: ${{ secrets.CS_A }}\n"
				     "    RT_A: ${{ secrets.RT_A }}\n"
				     "  b:\n"
				     "    PW_A: ${{ secrets.PW_A }}\n"
				     "source: https://git.example.com/m.git v9 @x@\n"
				     "#  PW_UNSUB=...             unsubscribe.password_env\n"
				     "#  PW_A=...                 password_env of account a-main\n"
				     "#  CS_A=...                 client_secret_env of account a-oauth\n"
				     "#  RT_A=...                 refresh_token_env of account a-oauth\n");
	buf_release(&out);
}

static void test_yours_lines(void **state)
{
	const char *tmpl = "a\n  cron: \"7 * * * *\" # yours: when\nb\n# yours: next\nwhen=1\nc\n";
	const char *mine = "a\n  cron: \"9 1 * * *\" # yours: ours\nb\n# yours: next\nwhen=2\nc\n";
	struct buf out = BUF_INIT;

	(void)state;
	init_render(&out, tmpl, NULL, NULL, NULL);
	assert_int_equal(init_compare(out.ptr, mine), 0);
	assert_int_equal(init_compare(out.ptr, "a\n  cron: \"9 1 * * *\"\nb\n# yours: next\nwhen=2\nc\n"), 2);
	assert_int_equal(init_compare(out.ptr, "a\n  cron: \"9 1 * * *\" # yours\nB\n# yours: next\nwhen=2\nc\n"), 3);
	assert_int_equal(init_compare(out.ptr, "a\n  cron: \"9 1 * * *\" # yours\nb\n# yours: next\nwhen=2\nc\nd\n"), 7);
	assert_int_equal(init_compare(out.ptr, "a\n  cron: \"9 1 * * *\" # yours\nb\n# yours: next\nwhen=2\nc"), 6);
	/* an update keeps the repository's lines */
	buf_reset(&out);
	init_render(&out, tmpl, NULL, NULL, mine);
	assert_string_equal(out.ptr, mine);
	buf_release(&out);
}

static void test_files_embedded(void **state)
{
	const struct init_file *f;
	int pin = 0, send = 0;

	(void)state;
	for (f = init_files; f->path; f++) {
		pin |= !strcmp(f->path, "mailout-version") && strstr(f->text, "ref: @REF@\n");
		send |= !strcmp(f->path, ".github/workflows/send.yml") && strstr(f->text, "@ACCOUNT_SECRETS@");
	}
	assert_true(pin);
	assert_true(send);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pin),
		cmocka_unit_test(test_render_lists),
		cmocka_unit_test(test_yours_lines),
		cmocka_unit_test(test_files_embedded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
