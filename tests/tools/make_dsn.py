#!/usr/bin/python3
"""Writes a delivery status notification (RFC 3464) as a receiving MTA would.

    make_dsn.py OUT --recipient ADDRESS --action failed --status 5.1.1
                [--diagnostic 'smtp; 550 5.1.1 User unknown']
                [--original EML | --message-id ID] [--campaign C --x-recipient R]
                [--headers-only]

The returned part is message/rfc822 with the original's headers (from EML,
or made up with --message-id and the X-Mailout headers given), or
text/rfc822-headers with --headers-only.
"""
import argparse
import hashlib


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--recipient", required=True)
    ap.add_argument("--action", default="failed")
    ap.add_argument("--status", required=True)
    ap.add_argument("--diagnostic")
    ap.add_argument("--original")
    ap.add_argument("--message-id")
    ap.add_argument("--campaign")
    ap.add_argument("--x-recipient")
    ap.add_argument("--headers-only", action="store_true")
    a = ap.parse_args()

    if a.original is not None:
        with open(a.original, "rb") as f:
            raw = f.read().decode("utf-8", "replace").replace("\r\n", "\n")
        headers = raw.split("\n\n", 1)[0].split("\n")
    else:
        headers = ["From: Alice Adams <alice@example.com>", "To: " + a.recipient,
                   "Subject: December update"]
        if a.message_id:
            headers.append("Message-ID: " + a.message_id)
        if a.campaign:
            headers.append("X-Mailout-Campaign: " + a.campaign)
        if a.x_recipient:
            headers.append("X-Mailout-Recipient: " + a.x_recipient)
    boundary = "=_dsn_boundary_4711"
    diag = ["Diagnostic-Code: " + a.diagnostic] if a.diagnostic else []
    returned_type = "text/rfc822-headers" if a.headers_only else "message/rfc822"
    returned = headers + ([""] if a.headers_only else ["", "(the message body)"])
    lines = [
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>",
        "To: alice@example.com",
        "Subject: Undelivered Mail Returned to Sender",
        "Date: Mon, 07 Dec 2026 10:05:00 +0000",
        "Message-ID: <dsn.%s@mx.example.net>" % hashlib.sha1(
            (a.recipient + a.status + a.action).encode()).hexdigest()[:16],
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        'Content-Type: multipart/report; report-type=delivery-status;',
        '\tboundary="%s"' % boundary,
        "",
        "This is a MIME-encapsulated message.",
        "",
        "--" + boundary,
        "Content-Description: Notification",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "I'm sorry to have to inform you that your message could not",
        "be delivered to one or more recipients.",
        "",
        "--" + boundary,
        "Content-Description: Delivery report",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; mx.example.net",
        "Arrival-Date: Mon, 07 Dec 2026 10:04:58 +0000",
        "",
        "Final-Recipient: rfc822; " + a.recipient,
        "Original-Recipient: rfc822;" + a.recipient,
        "Action: " + a.action,
        "Status: " + a.status,
    ] + diag + [
        "",
        "--" + boundary,
        "Content-Description: Undelivered Message",
        "Content-Type: " + returned_type,
        "",
    ] + returned + [
        "--" + boundary + "--",
        "",
    ]
    with open(a.out, "w", newline="") as f:
        f.write("\r\n".join(lines))


main()
