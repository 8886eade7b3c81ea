#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mailparse.h"

static void parse(struct mail_part *m, const char *text)
{
	mail_parse(m, text, strlen(text));
}

static void test_headers_unfolded(void **state)
{
	struct mail_part m;

	(void)state;
	parse(&m, "From Sender Mon Dec  7 10:00:00 2026\n"
		  "Subject: a long\r\n"
		  "\tsubject  line\r\n"
		  "X-Empty:\r\n"
		  "Not a header line\r\n"
		  "message-id :  <abc@example.com> \r\n"
		  "\r\n"
		  "Body: not a header\r\n");
	assert_int_equal(m.nheaders, 3);
	assert_string_equal(mail_header(&m, "subject"), "a long\tsubject  line");
	assert_string_equal(mail_header(&m, "X-Empty"), "");
	assert_string_equal(mail_header(&m, "Message-ID"), "<abc@example.com>");
	assert_null(mail_header(&m, "Body"));
	assert_string_equal(m.type, "text/plain");
	assert_string_equal(m.body, "Body: not a header\r\n");
	mail_part_release(&m);

	/* no blank line: all headers, empty body */
	parse(&m, "Subject: only\n");
	assert_string_equal(mail_header(&m, "Subject"), "only");
	assert_int_equal(m.body_len, 0);
	mail_part_release(&m);
}

static void test_encoded_words(void **state)
{
	char *s;

	(void)state;
	s = mail_decode_words("=?UTF-8?Q?Sch=C3=B6ne_Feiertage?= =?utf-8?B?IQ==?= und =?ISO-8859-1?Q?Gr=FC=DFe?=");
	assert_string_equal(s, "Schöne Feiertage! und Grüße");
	free(s);
	s = mail_decode_words("plain =?bogus text =?UTF-8?X?abc?= end");
	assert_string_equal(s, "plain =?bogus text =?UTF-8?X?abc?= end");
	free(s);
	s = mail_decode_words("=?UTF-8*de?Q?abmelden?=\r\n =?UTF-8?Q?_bitte?=");
	assert_string_equal(s, "abmelden bitte");
	free(s);
	s = mail_decode_words("=?windows-1252?Q?caf=E9?=");
	assert_string_equal(s, "café");
	free(s);
}

static void test_addresses(void **state)
{
	char *a;

	(void)state;
	a = mail_address("Jana Novak <Jana.Novak@Example.NET>");
	assert_string_equal(a, "jana.novak@example.net");
	free(a);
	a = mail_address("\"Novak, Jana <boss>\" <jana@example.net>");
	assert_string_equal(a, "jana@example.net");
	free(a);
	a = mail_address("jana@example.net (Jana Novak)");
	assert_string_equal(a, "jana@example.net");
	free(a);
	a = mail_address("=?UTF-8?Q?J=C3=A4na?= <jana@example.net>, other@example.net");
	assert_string_equal(a, "jana@example.net");
	free(a);
	assert_null(mail_address("Undisclosed recipients:;"));
	assert_null(mail_address("<not an address>"));
	assert_null(mail_address(""));

	a = mail_message_id("  <abc@example.com> (comment)");
	assert_string_equal(a, "<abc@example.com>");
	free(a);
	a = mail_message_id("abc@example.com");
	assert_string_equal(a, "<abc@example.com>");
	free(a);
	assert_null(mail_message_id("   "));
}

static void test_transfer_encodings(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	mail_decode_qp(&b, "caf=C3=A9 soft=\r\nbreak=  \nnext =3D ok =ZZ =", 43);
	assert_string_equal(b.ptr, "café softbreaknext = ok =ZZ ");
	buf_reset(&b);
	mail_decode_base64(&b, "aGVs\r\nbG8g\n d29y bGQ=", 21);
	assert_string_equal(b.ptr, "hello world");
	buf_reset(&b);
	mail_decode_base64(&b, "!!aGk*", 6);
	assert_string_equal(b.ptr, "hi");
	buf_release(&b);
}

static const char multipart[] =
	"From: Jana <jana@example.net>\r\n"
	"Subject: =?UTF-8?Q?Re:_unsubscribe?=\r\n"
	"Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
	"\r\n"
	"preamble\r\n"
	"--outer\r\n"
	"Content-Type: multipart/alternative; boundary=inner\r\n"
	"\r\n"
	"--inner\r\n"
	"Content-Type: text/plain; charset=\"ISO-8859-1\"\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"\r\n"
	"  Bitte abmelden, Gr=FC=DFe  \r\n"
	"second line\r\n"
	"--inner\r\n"
	"Content-Type: text/html; charset=utf-8\r\n"
	"\r\n"
	"<p>html only</p>\r\n"
	"--inner--\r\n"
	"--outer\r\n"
	"Content-Type: message/rfc822\r\n"
	"\r\n"
	"Subject: quoted\r\n"
	"\r\n"
	"quoted text\r\n"
	"--outer \r\n"
	"Content-Type: text/plain\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"dGhpcmQ=\r\n"
	"--outer--\r\n"
	"epilogue\r\n";

static void test_multipart(void **state)
{
	struct mail_part m;
	struct buf text = BUF_INIT;
	const char *first;
	size_t len;

	(void)state;
	parse(&m, multipart);
	assert_string_equal(m.type, "multipart/mixed");
	assert_int_equal(m.nparts, 3);
	assert_string_equal(m.parts[0].type, "multipart/alternative");
	assert_int_equal(m.parts[0].nparts, 2);
	assert_string_equal(m.parts[0].parts[0].charset, "iso-8859-1");
	assert_string_equal(m.parts[0].parts[0].body, "\r\n  Bitte abmelden, Gr\xfc\xdf" "e  \r\nsecond line");
	assert_string_equal(m.parts[1].type, "message/rfc822");
	assert_int_equal(m.parts[1].nparts, 1);
	assert_string_equal(mail_header(&m.parts[1].parts[0], "Subject"), "quoted");
	assert_string_equal(m.parts[2].body, "third");

	mail_text(&text, &m);
	assert_string_equal(text.ptr, "\r\n  Bitte abmelden, Grüße  \r\nsecond line\nthird");
	first = mail_first_line(text.ptr, &len);
	assert_int_equal(len, strlen("Bitte abmelden, Grüße"));
	assert_memory_equal(first, "Bitte abmelden, Grüße", len);
	buf_release(&text);
	mail_part_release(&m);

	/* html only: tags removed, entities decoded */
	parse(&m, "Content-Type: text/html\r\n\r\n<html><body><p>Please&nbsp;<b>unsubscribe</b> me &amp; mine</p><p>v1.x</p></body></html>");
	mail_text(&text, &m);
	assert_string_equal(text.ptr, "\nPlease unsubscribe me & mine\n\nv1.x\n");
	first = mail_first_line(text.ptr, &len);
	assert_memory_equal(first, "Please unsubscribe me & mine", len);
	buf_release(&text);
	mail_part_release(&m);
}

static void test_broken_mime(void **state)
{
	struct mail_part m;
	struct buf big = BUF_INIT;
	size_t i;

	(void)state;
	/* an unterminated multipart and a boundary that never comes */
	parse(&m, "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nonly part");
	assert_int_equal(m.nparts, 1);
	assert_string_equal(m.parts[0].body, "only part");
	mail_part_release(&m);
	parse(&m, "Content-Type: multipart/mixed; boundary=b\r\n\r\nno delimiter at all");
	assert_int_equal(m.nparts, 0);
	mail_part_release(&m);
	parse(&m, "Content-Type: multipart/mixed\r\n\r\n--\r\n");
	assert_int_equal(m.nparts, 0);
	mail_part_release(&m);
	parse(&m, "Content-Type: ;;; = \"\r\n\r\nx");
	assert_string_equal(m.type, "text/plain");
	mail_part_release(&m);
	mail_parse(&m, "", 0);
	assert_int_equal(m.nheaders, 0);
	mail_part_release(&m);

	/* nesting stops at MAIL_MAX_DEPTH */
	for (i = 0; i < 50; i++)
		buf_addf(&big, "Content-Type: message/rfc822\r\n\r\n");
	buf_adds(&big, "Subject: deep\r\n\r\nbody");
	mail_parse(&m, big.ptr, big.len);
	{
		const struct mail_part *p = &m;
		int depth = 0;

		while (p->nparts) {
			p = &p->parts[0];
			depth++;
		}
		assert_int_equal(depth, MAIL_MAX_DEPTH);
	}
	mail_part_release(&m);

	/* parts stop at MAIL_MAX_PARTS */
	buf_reset(&big);
	buf_adds(&big, "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (i = 0; i < 1000; i++)
		buf_adds(&big, "--b\r\n\r\nx\r\n");
	mail_parse(&m, big.ptr, big.len);
	assert_int_equal(m.nparts, MAIL_MAX_PARTS - 1);
	mail_part_release(&m);
	buf_release(&big);
}

static const char dsn_text[] =
	"From: MAILER-DAEMON@mx.example.net\r\n"
	"Subject: Undelivered Mail Returned to Sender\r\n"
	"Content-Type: multipart/report; report-type=\"Delivery-Status\";\r\n"
	"\tboundary=\"=_b\"\r\n"
	"\r\n"
	"--=_b\r\n"
	"Content-Type: text/plain\r\n"
	"\r\n"
	"Final-Recipient: rfc822; fake@example.org\r\n"
	"--=_b\r\n"
	"Content-Type: message/delivery-status\r\n"
	"\r\n"
	"Reporting-MTA: dns; mx.example.net\r\n"
	"\r\n"
	"\r\n"
	"Final-Recipient: rfc822; Jana.Novak@Example.NET\r\n"
	"Original-Recipient: rfc822;jana.novak@example.net\r\n"
	"Action: Failed\r\n"
	"Status: 5.1.1 (bad destination mailbox)\r\n"
	"Diagnostic-Code: smtp; 550 5.1.1 <jana.novak@example.net>:\r\n"
	"    Recipient address rejected\r\n"
	"\r\n"
	"Final-Recipient: rfc822; other@example.net\r\n"
	"Action: delayed\r\n"
	"Status: 4.4.7\r\n"
	"--=_b\r\n"
	"Content-Type: message/rfc822\r\n"
	"\r\n"
	"Message-ID: <0123abcd@example.com>\r\n"
	"X-Mailout-Campaign: december-update\r\n"
	"X-Mailout-Recipient: c-1001\r\n"
	"\r\n"
	"body\r\n"
	"--=_b--\r\n";

static void test_dsn(void **state)
{
	struct mail_part m;
	struct dsn d;

	(void)state;
	parse(&m, dsn_text);
	assert_int_equal(dsn_parse(&d, &m), 0);
	assert_string_equal(d.reporting_mta, "mx.example.net");
	assert_string_equal(d.message_id, "<0123abcd@example.com>");
	assert_string_equal(d.campaign, "december-update");
	assert_string_equal(d.recipient, "c-1001");
	assert_int_equal(d.count, 2);
	assert_string_equal(d.recipients[0].final_recipient, "jana.novak@example.net");
	assert_string_equal(d.recipients[0].original_recipient, "jana.novak@example.net");
	assert_string_equal(d.recipients[0].action, "failed");
	assert_string_equal(d.recipients[0].status, "5.1.1");
	assert_string_equal(d.recipients[0].diagnostic,
			    "550 5.1.1 <jana.novak@example.net>:    Recipient address rejected");
	assert_string_equal(d.recipients[1].final_recipient, "other@example.net");
	assert_null(d.recipients[1].original_recipient);
	assert_string_equal(d.recipients[1].action, "delayed");
	assert_string_equal(d.recipients[1].status, "4.4.7");
	assert_null(d.recipients[1].diagnostic);
	dsn_release(&d);
	mail_part_release(&m);
}

static void test_dsn_headers_only_and_nested(void **state)
{
	struct mail_part m;
	struct dsn d;

	(void)state;
	/* returned headers only, the report inside a multipart/mixed, a bad status */
	parse(&m, "Content-Type: multipart/mixed; boundary=o\r\n\r\n"
		  "--o\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n"
		  "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
		  "Final-Recipient: rfc822;<a@example.net>\r\nAction: failed\r\nStatus: 5.1\r\n"
		  "--r\r\nContent-Type: text/rfc822-headers\r\n\r\n"
		  "X-Mailout-Campaign: c\r\nX-Mailout-Recipient: r-1\r\n"
		  "--r--\r\n--o--\r\n");
	assert_int_equal(dsn_parse(&d, &m), 0);
	assert_null(d.message_id);
	assert_string_equal(d.campaign, "c");
	assert_string_equal(d.recipient, "r-1");
	assert_int_equal(d.count, 1);
	assert_string_equal(d.recipients[0].final_recipient, "a@example.net");
	assert_null(d.recipients[0].status);
	dsn_release(&d);
	mail_part_release(&m);
}

/* A report of two returned messages, the first of the given headers, the
 * second of others. */
static void parse_two_returned(struct mail_part *m, const char *first, const char *second)
{
	struct buf text = BUF_INIT;

	buf_addf(&text,
		 "Message-ID: <report.1@mx.example.net>\r\n"
		 "Content-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n"
		 "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
		 "Final-Recipient: rfc822;a@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n"
		 "--r\r\nContent-Type: text/rfc822-headers\r\n\r\n%s"
		 "--r\r\nContent-Type: message/rfc822\r\n\r\n%s\r\nbody\r\n"
		 "--r--\r\n",
		 first, second);
	mail_parse(m, text.ptr, text.len);
	buf_release(&text);
}

static void assert_returned(const struct dsn *d, const char *message_id, const char *campaign,
			    const char *recipient)
{
	if (message_id)
		assert_string_equal(d->message_id, message_id);
	else
		assert_null(d->message_id);
	if (campaign)
		assert_string_equal(d->campaign, campaign);
	else
		assert_null(d->campaign);
	if (recipient)
		assert_string_equal(d->recipient, recipient);
	else
		assert_null(d->recipient);
}

/* The identifying headers all come from one returned message: the first
 * with a Message-ID that is not the report's own, else the first with
 * X-Mailout headers. */
static void test_dsn_two_returned(void **state)
{
	struct mail_part m;
	struct dsn d;

	(void)state;
	parse_two_returned(&m, "X-Mailout-Recipient: r-1\r\n",
			   "Message-ID: <m-2@example.com>\r\nX-Mailout-Campaign: c2\r\n"
			   "X-Mailout-Recipient: r-2\r\n");
	assert_int_equal(dsn_parse(&d, &m), 0);
	assert_returned(&d, "<m-2@example.com>", "c2", "r-2");
	dsn_release(&d);
	mail_part_release(&m);

	parse_two_returned(&m, "Message-ID: <m-1@example.com>\r\nX-Mailout-Recipient: r-1\r\n",
			   "Message-ID: <m-2@example.com>\r\nX-Mailout-Campaign: c2\r\n"
			   "X-Mailout-Recipient: r-2\r\n");
	assert_int_equal(dsn_parse(&d, &m), 0);
	assert_returned(&d, "<m-1@example.com>", NULL, "r-1");
	dsn_release(&d);
	mail_part_release(&m);

	/* the report's own Message-ID does not name the returned message */
	parse_two_returned(&m, "Message-ID: <report.1@mx.example.net>\r\nX-Mailout-Recipient: r-1\r\n",
			   "Message-ID: <m-2@example.com>\r\nX-Mailout-Recipient: r-2\r\n");
	assert_int_equal(dsn_parse(&d, &m), 0);
	assert_returned(&d, "<m-2@example.com>", NULL, "r-2");
	dsn_release(&d);
	mail_part_release(&m);

	parse_two_returned(&m, "Message-ID: <report.1@mx.example.net>\r\nX-Mailout-Recipient: r-1\r\n",
			   "X-Mailout-Campaign: c2\r\nX-Mailout-Recipient: r-2\r\n");
	assert_int_equal(dsn_parse(&d, &m), 0);
	assert_returned(&d, NULL, NULL, "r-1");
	dsn_release(&d);
	mail_part_release(&m);

	parse_two_returned(&m, "Subject: x\r\n",
			   "X-Mailout-Campaign: c2\r\nX-Mailout-Recipient: r-2\r\n");
	assert_int_equal(dsn_parse(&d, &m), 0);
	assert_returned(&d, NULL, "c2", "r-2");
	dsn_release(&d);
	mail_part_release(&m);
}

static void test_not_dsn(void **state)
{
	struct mail_part m;
	struct dsn d;

	(void)state;
	parse(&m, "Content-Type: multipart/report; report-type=disposition-notification; boundary=b\r\n\r\n"
		  "--b\r\nContent-Type: message/disposition-notification\r\n\r\nFinal-Recipient: rfc822; a@example.net\r\n--b--\r\n");
	assert_int_equal(dsn_parse(&d, &m), -1);
	assert_int_equal(d.count, 0);
	assert_null(d.recipients);
	mail_part_release(&m);
	/* a report with no recipient block */
	parse(&m, "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
		  "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n--b--\r\n");
	assert_int_equal(dsn_parse(&d, &m), -1);
	mail_part_release(&m);
	parse(&m, "Subject: hello\r\n\r\nhi");
	assert_int_equal(dsn_parse(&d, &m), -1);
	mail_part_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_unfolded),
		cmocka_unit_test(test_encoded_words),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_transfer_encodings),
		cmocka_unit_test(test_multipart),
		cmocka_unit_test(test_broken_mime),
		cmocka_unit_test(test_dsn),
		cmocka_unit_test(test_dsn_headers_only_and_nested),
		cmocka_unit_test(test_dsn_two_returned),
		cmocka_unit_test(test_not_dsn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
