#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "mailsync.h"
#include "recipients.h"
#include "xalloc.h"
#include "fixture.h"

static char *read_rel(const char *root, const char *rel)
{
	struct buf path = BUF_INIT, text = BUF_INIT;

	buf_addf(&path, "%s/%s", root, rel);
	if (buf_read_file(&text, path.ptr, 1 << 20) < 0) {
		buf_release(&path);
		return NULL;
	}
	buf_release(&path);
	return buf_detach(&text, NULL);
}

static void test_state_round_trip(void **state)
{
	struct mailsync_state s, again;
	char *dir = fixture_tmpdir(), *text;

	(void)state;
	assert_non_null(dir);
	/* a missing file is an empty state */
	assert_int_equal(mailsync_state_load(&s, dir, BOUNCE_STATE_FILE), 0);
	assert_int_equal(s.count, 0);
	assert_int_equal(mailsync_state_after(&s, "alice-news", "imaps://x/INBOX", 7), 0);
	mailsync_state_set(&s, "zed", "imaps://z.example.com/INBOX", 1795668939ul, 12);
	mailsync_state_set(&s, "alice-news", "imap://127.0.0.1:1143/INBOX", 5, 4294967295ul);
	mailsync_state_set(&s, "zed", "imaps://z.example.com/INBOX", 1795668939ul, 13);
	assert_int_equal(mailsync_state_save(&s, dir, BOUNCE_STATE_FILE), 0);
	text = read_rel(dir, BOUNCE_STATE_FILE);
	assert_string_equal(text, "key\tmailbox\tuidvalidity\tlast_uid\n"
				  "alice-news\timap://127.0.0.1:1143/INBOX\t5\t4294967295\n"
				  "zed\timaps://z.example.com/INBOX\t1795668939\t13\n");
	free(text);
	assert_int_equal(mailsync_state_load(&again, dir, BOUNCE_STATE_FILE), 0);
	assert_int_equal(again.count, 2);
	assert_int_equal(mailsync_state_after(&again, "zed", "imaps://z.example.com/INBOX", 1795668939ul), 13);
	/* another UIDVALIDITY or URL starts over */
	assert_int_equal(mailsync_state_after(&again, "zed", "imaps://z.example.com/INBOX", 1), 0);
	assert_int_equal(mailsync_state_after(&again, "zed", "imaps://other.example.com/INBOX", 1795668939ul), 0);
	assert_int_equal(mailsync_state_after(&again, "nobody", "imaps://z.example.com/INBOX", 1795668939ul), 0);
	assert_non_null(mailsync_state_get(&again, "alice-news"));
	assert_null(mailsync_state_get(&again, "alice"));
	mailsync_state_release(&again);
	mailsync_state_release(&s);
	fixture_remove(dir);
	free(dir);
}

static void test_state_errors(void **state)
{
	static const char *const bad[] = {
		"key\tmailbox\tuidvalidity\tlast_uid\nunsubscribe\timap://x/INBOX\t5\n",
		"unsubscribe\timap://x/INBOX\t5\t6\textra\n",
		"unsubscribe\timap://x/INBOX\t-5\t6\n",
		"unsubscribe\timap://x/INBOX\t5\t4294967296\n",
		"\timap://x/INBOX\t5\t6\n",
		"unsubscribe\timap://x/INBOX\t5\t6x\n",
		NULL
	};
	struct mailsync_state s;
	char *dir = fixture_tmpdir();
	size_t i;

	(void)state;
	for (i = 0; bad[i]; i++) {
		assert_int_equal(fixture_write(dir, UNSUBSCRIBE_STATE_FILE, bad[i]), 0);
		assert_int_equal(mailsync_state_load(&s, dir, UNSUBSCRIBE_STATE_FILE), -1);
		assert_non_null(strstr(error_last(), UNSUBSCRIBE_STATE_FILE ":"));
		mailsync_state_release(&s);
	}
	/* comments, blank lines and CRLF are fine */
	assert_int_equal(fixture_write(dir, UNSUBSCRIBE_STATE_FILE,
				       "# state\r\n\r\nunsubscribe\timap://x/INBOX\t5\t6\r\n"), 0);
	assert_int_equal(mailsync_state_load(&s, dir, UNSUBSCRIBE_STATE_FILE), 0);
	assert_int_equal(mailsync_state_after(&s, "unsubscribe", "imap://x/INBOX", 5), 6);
	mailsync_state_release(&s);
	fixture_remove(dir);
	free(dir);
}

#define JANA_HASH "sha256:60c64e4aaf9b023a9ee18b8190e194a931f558736dafb419ffb2a62346e73aa5"
#define LEA_HASH "sha256:837b55a6524924b0b94fcc98d0f47bdf734037eabfc6102aa3e05bc9a442dfa1"

/* privacy.hash_suppressions: lines hold hashes; either form already in
 * the file counts as the same person. */
static void test_suppress_hashed(void **state)
{
	struct mailsync_suppression lines[4];
	char *dir = fixture_tmpdir(), *text;
	size_t i, added = 99;

	(void)state;
	memset(lines, 0, sizeof(lines));
	assert_int_equal(fixture_write(dir, SUPPRESSIONS_FILE,
				       "address\treason\ttime\tsource\n"
				       "Lukas@example.com\tmanual\t2026-11-01T00:00:00Z\tmanual\n"
				       LEA_HASH "\tbounced\t2026-11-02T00:00:00Z\tc-2\n"), 0);
	lines[0].address = "lukas@example.com"; /* there as an address */
	lines[1].address = "LEA@example.com";   /* there as a hash */
	lines[2].address = "Jana.Novak@example.net"; /* new: written as its hash */
	lines[3].address = JANA_HASH;                /* the same person, given as a hash */
	for (i = 0; i < 4; i++) {
		lines[i].reason = "unsubscribed";
		lines[i].time = 1796631600; /* 2026-12-07T08:20:00Z */
		lines[i].source = "december-update";
	}
	assert_int_equal(mailsync_suppress(dir, lines, 4, 1, &added), 0);
	assert_int_equal(added, 1);
	assert_int_equal(lines[0].added, 0);
	assert_int_equal(lines[1].added, 0);
	assert_int_equal(lines[2].added, 1);
	assert_int_equal(lines[3].added, 0);
	text = read_rel(dir, SUPPRESSIONS_FILE);
	assert_string_equal(text, "address\treason\ttime\tsource\n"
				  "Lukas@example.com\tmanual\t2026-11-01T00:00:00Z\tmanual\n"
				  LEA_HASH "\tbounced\t2026-11-02T00:00:00Z\tc-2\n"
				  JANA_HASH "\tunsubscribed\t2026-12-07T08:20:00Z\tdecember-update\n");
	assert_null(strstr(text, "jana"));
	free(text);
	/* without the key, a hash given is still written as a hash */
	lines[0].address = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
	assert_int_equal(mailsync_suppress(dir, lines, 1, 0, &added), 0);
	assert_int_equal(added, 1);
	text = read_rel(dir, SUPPRESSIONS_FILE);
	assert_non_null(strstr(text, "\nsha256:0000000000000000000000000000000000000000000000000000000000000000\tunsubscribed\t"));
	free(text);
	fixture_remove(dir);
	free(dir);
}

static void test_suppress(void **state)
{
	struct mailsync_suppression lines[4];
	struct suppressions loaded;
	struct diag_list diags = DIAG_LIST_INIT;
	char *dir = fixture_tmpdir(), *text;
	size_t added = 99;

	(void)state;
	memset(lines, 0, sizeof(lines));
	lines[0].address = "Jana.Novak@Example.NET";
	lines[0].reason = "unsubscribed";
	lines[0].time = 1796631600; /* 2026-12-07T08:20:00Z */
	lines[0].source = "december-update";
	lines[1].address = "jana.novak@example.net"; /* the same address again */
	lines[1].reason = "unsubscribed";
	lines[1].time = 1796631600;
	lines[1].source = "mail";
	/* no file yet: created with its header */
	assert_int_equal(mailsync_suppress(dir, lines, 2, 0, &added), 0);
	assert_int_equal(added, 1);
	assert_int_equal(lines[0].added, 1);
	assert_int_equal(lines[1].added, 0);
	text = read_rel(dir, SUPPRESSIONS_FILE);
	assert_string_equal(text, "address\treason\ttime\tsource\n"
				  "jana.novak@example.net\tunsubscribed\t2026-12-07T08:20:00Z\tdecember-update\n");
	free(text);

	/* a file written by a person, last line without its newline: kept byte for byte */
	assert_int_equal(fixture_write(dir, SUPPRESSIONS_FILE,
				       "address\treason\ttime\tsource\r\n"
				       "# people write here too\r\n"
				       "LUKAS@example.com\tmanual\t2026-11-01T00:00:00Z\tmanual"), 0);
	lines[0].address = "lukas@EXAMPLE.com";
	lines[1].address = "lea@example.com";
	lines[1].reason = "bounced";
	lines[1].source = "c-2";
	assert_int_equal(mailsync_suppress(dir, lines, 2, 0, &added), 0);
	assert_int_equal(added, 1);
	assert_int_equal(lines[0].added, 0);
	assert_int_equal(lines[1].added, 1);
	text = read_rel(dir, SUPPRESSIONS_FILE);
	assert_string_equal(text, "address\treason\ttime\tsource\r\n"
				  "# people write here too\r\n"
				  "LUKAS@example.com\tmanual\t2026-11-01T00:00:00Z\tmanual\n"
				  "lea@example.com\tbounced\t2026-12-07T08:20:00Z\tc-2\n");
	free(text);
	/* what recipients.c reads back */
	assert_int_equal(suppressions_load(&loaded, dir, &diags), 0);
	assert_int_equal(diags.errors, 0);
	assert_string_equal(suppressions_find(&loaded, "lea@example.com")->reason, "bounced");
	assert_string_equal(suppressions_find(&loaded, "lukas@example.com")->reason, "manual");
	suppressions_release(&loaded);
	diag_release(&diags);

	/* nothing new: the file is not touched */
	assert_int_equal(mailsync_suppress(dir, lines, 2, 0, &added), 0);
	assert_int_equal(added, 0);
	/* a field with a tab is refused, and nothing is written */
	lines[2].address = "new@example.com";
	lines[2].reason = "unsubscribed";
	lines[2].source = "bad\tsource";
	assert_int_equal(mailsync_suppress(dir, lines + 2, 1, 0, &added), -1);
	assert_int_equal(lines[2].added, 0);
	/* so is one with an escape character */
	lines[2].source = "bad\x1b[2Jsource";
	assert_int_equal(mailsync_suppress(dir, lines + 2, 1, 0, &added), -1);
	assert_string_equal(error_last(), "cannot add 'new@example.com' to recipients/suppressions.tsv: a control character in a field");
	assert_int_equal(lines[2].added, 0);
	text = read_rel(dir, SUPPRESSIONS_FILE);
	assert_null(strstr(text, "new@example.com"));
	free(text);
	fixture_remove(dir);
	free(dir);
}

static void test_bounce_kind(void **state)
{
	static const struct {
		const char *action, *status;
		enum bounce_kind kind;
	} cases[] = {
		{ "failed", "5.1.1", BOUNCE_HARD },
		{ "failed", "5.1.10", BOUNCE_HARD },
		{ "failed", "5.2.1", BOUNCE_HARD },
		{ NULL, "5.1.2", BOUNCE_HARD },
		{ "failed", "5.2.2", BOUNCE_TEMPORARY },
		{ "failed", "4.4.7", BOUNCE_TEMPORARY },
		{ "delayed", "4.4.1", BOUNCE_TEMPORARY },
		{ "delayed", "5.1.1", BOUNCE_TEMPORARY },
		{ "delayed", NULL, BOUNCE_TEMPORARY },
		{ "failed", "5.7.1", BOUNCE_POLICY },
		{ "delayed", "5.7.0", BOUNCE_POLICY },
		{ "failed", "5.4.4", BOUNCE_OTHER },
		{ "failed", "5.2.3", BOUNCE_OTHER },
		{ "failed", NULL, BOUNCE_OTHER },
		{ "delivered", "2.0.0", BOUNCE_NONE },
		{ "relayed", "2.0.0", BOUNCE_NONE },
		{ "expanded", "2.0.0", BOUNCE_NONE },
		{ "whatever", "5.1.1", BOUNCE_NONE },
		{ NULL, NULL, BOUNCE_NONE },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(mailsync_bounce_kind(cases[i].action, cases[i].status), cases[i].kind);
	assert_string_equal(mailsync_bounce_kind_name(BOUNCE_HARD), "hard bounce");
	assert_string_equal(mailsync_bounce_kind_name(BOUNCE_POLICY), "policy");
}

static void test_bounce_describe(void **state)
{
	struct dsn_recipient r;
	struct mailsync_bounce b;
	char long_diag[600];

	(void)state;
	memset(&r, 0, sizeof(r));
	r.action = "failed";
	r.status = "5.1.1";
	r.diagnostic = "550 5.1.1 <a@example.net>: User unknown\r\n";
	mailsync_bounce_describe(&b, &r);
	assert_int_equal(b.kind, BOUNCE_HARD);
	assert_string_equal(b.code, "550");
	assert_string_equal(b.enhanced, "5.1.1");
	assert_string_equal(b.text, "delivery report: failed: 550 5.1.1 <a@example.net>: User unknown  ");
	mailsync_bounce_release(&b);

	/* a delay that names a hard code must not read as a hard bounce */
	r.action = "delayed";
	r.status = "5.1.1";
	r.diagnostic = "X-Postfix; host not found";
	mailsync_bounce_describe(&b, &r);
	assert_int_equal(b.kind, BOUNCE_TEMPORARY);
	assert_string_equal(b.code, "-");
	assert_string_equal(b.enhanced, "-");
	assert_string_equal(b.text, "delivery report: delayed (5.1.1): X-Postfix; host not found");
	mailsync_bounce_release(&b);

	r.action = NULL;
	r.status = NULL;
	memset(long_diag, 'x', sizeof(long_diag) - 1);
	long_diag[sizeof(long_diag) - 1] = '\0';
	memcpy(long_diag, "451-4.7.1 \xc3\xa9", 12);
	r.diagnostic = long_diag;
	mailsync_bounce_describe(&b, &r);
	assert_int_equal(b.kind, BOUNCE_NONE);
	assert_string_equal(b.code, "451");
	assert_string_equal(b.enhanced, "-");
	assert_int_equal(strlen(b.text), 300);
	assert_memory_equal(b.text, "delivery report: failed: 451-4.7.1 \xc3\xa9xx", 39);
	mailsync_bounce_release(&b);
}

/* A report's fields longer than the whole text, with control characters:
 * the text stays within 300 bytes and holds none of them. */
static void test_bounce_describe_hostile(void **state)
{
	struct dsn_recipient r;
	struct mailsync_bounce b;
	char action[400], expected[301];
	size_t i;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(action, 'a', sizeof(action) - 1);
	action[sizeof(action) - 1] = '\0';
	memcpy(action, "fail\x1b[2J\x07", 9);
	r.action = action;
	r.status = "5.1.1";
	r.diagnostic = "550 5.1.1 \x1b]0;x\x07 gone";
	mailsync_bounce_describe(&b, &r);
	assert_int_equal(strlen(b.text), 300);
	memset(expected, 'a', 300);
	expected[300] = '\0';
	memcpy(expected, "delivery report: fail [2J ", 26);
	assert_string_equal(b.text, expected);
	mailsync_bounce_release(&b);

	/* the fields fit: each control character a space */
	r.action = "failed\x7f";
	r.status = "5.7.1";
	r.diagnostic = "550 5.7.1 \x1b[31mspam\x1b[0m\ttext\x00";
	mailsync_bounce_describe(&b, &r);
	assert_int_equal(b.kind, BOUNCE_NONE);
	assert_string_equal(b.text, "delivery report: failed : 550 5.7.1  [31mspam [0m text");
	for (i = 0; b.text[i]; i++)
		assert_true((unsigned char)b.text[i] >= 0x20 && b.text[i] != 0x7f);
	mailsync_bounce_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_state_errors),
		cmocka_unit_test(test_suppress),
		cmocka_unit_test(test_suppress_hashed),
		cmocka_unit_test(test_bounce_kind),
		cmocka_unit_test(test_bounce_describe),
		cmocka_unit_test(test_bounce_describe_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
