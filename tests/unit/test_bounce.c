#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "buf.h"
#include "xalloc.h"

/* A report with the given delivery-status blocks after the per-message
 * fields, returning headers of the original. */
static char *report(const char *blocks)
{
	return xasprintf("From: MAILER-DAEMON@mx.example.net\r\n"
			 "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n"
			 "--b\r\nContent-Type: text/plain\r\n\r\nSorry.\r\n"
			 "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
			 "Reporting-MTA: dns; mx.example.net\r\n\r\n%s"
			 "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
			 "Message-ID: <m-1@example.com>\r\nX-Mailout-Campaign: news\r\nX-Mailout-Recipient: c-1\r\n\r\n"
			 "--b--\r\n", blocks);
}

static int parse(struct dsn *d, const char *blocks)
{
	char *mail = report(blocks);
	int r = bounce_parse(d, mail, strlen(mail));

	free(mail);
	return r;
}

static void test_one_failure(void **state)
{
	struct dsn d;

	(void)state;
	assert_int_equal(parse(&d, "Final-Recipient: rfc822; other@example.org\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n"
				   "Final-Recipient: rfc822; Jana@Example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"), 0);
	assert_int_equal(d.count, 2);
	assert_string_equal(d.message_id, "<m-1@example.com>");
	assert_string_equal(d.campaign, "news");
	assert_string_equal(d.recipient, "c-1");
	assert_ptr_equal(bounce_first_failure(&d), &d.recipients[1]);
	assert_int_equal(bounce_block_is_for(&d.recipients[1], "jana@example.net"), 1);
	assert_int_equal(bounce_block_is_for(&d.recipients[0], "jana@example.net"), 0);
	/* named, or the only failure unless strict */
	assert_ptr_equal(bounce_pick_recipient(&d, "jana@example.net", 1), &d.recipients[1]);
	assert_ptr_equal(bounce_pick_recipient(&d, "max@example.com", 0), &d.recipients[1]);
	assert_null(bounce_pick_recipient(&d, "max@example.com", 1));
	/* a block that delivered is never picked */
	assert_null(bounce_pick_recipient(&d, "other@example.org", 1));
	dsn_release(&d);
}

static void test_several_failures(void **state)
{
	struct dsn d;

	(void)state;
	assert_int_equal(parse(&d, "Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
				   "Final-Recipient: rfc822; b@example.org\r\n"
				   "Original-Recipient: rfc822; jana@example.net\r\nAction: delayed\r\nStatus: 4.2.2\r\n\r\n"), 0);
	assert_ptr_equal(bounce_first_failure(&d), &d.recipients[0]);
	/* by the original recipient */
	assert_ptr_equal(bounce_pick_recipient(&d, "jana@example.net", 1), &d.recipients[1]);
	/* two failures: none is the only one */
	assert_null(bounce_pick_recipient(&d, "max@example.com", 0));
	dsn_release(&d);
}

static void test_no_failure_and_no_report(void **state)
{
	struct dsn d;

	(void)state;
	assert_int_equal(parse(&d, "Final-Recipient: rfc822; a@example.org\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n"), 0);
	assert_null(bounce_first_failure(&d));
	assert_null(bounce_pick_recipient(&d, "a@example.org", 0));
	dsn_release(&d);

	assert_int_equal(bounce_parse(&d, "Subject: hello\r\n\r\nbody\r\n", 25), -1);
	assert_int_equal(d.count, 0);
	assert_null(d.recipients);
	assert_int_equal(bounce_parse(&d, "", 0), -1);
	/* a report without recipient blocks is no report */
	assert_int_equal(parse(&d, ""), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_failure),
		cmocka_unit_test(test_several_failures),
		cmocka_unit_test(test_no_failure_and_no_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
