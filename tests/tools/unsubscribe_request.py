#!/usr/bin/python3
"""Builds the mail a mail client sends for a message's List-Unsubscribe mailto.

    unsubscribe_request.py EML OUT [--from ADDRESS] [--forge | --cut] [--in-body]

Reads the List-Unsubscribe header of EML (a message as mailout sends it),
takes its mailto: entry and writes to OUT the request: To the mailto
address, Subject its subject= field (URL-decoded), From the recipient of
EML (or --from).  --forge changes one character of the token's signature,
--cut drops its last one; --in-body leaves the subject plain and puts the
subject text in the body, as some clients do.
"""
import argparse
import email
import hashlib
import email.policy
import email.utils
import re
import sys
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("eml")
    ap.add_argument("out")
    ap.add_argument("--from", dest="sender")
    ap.add_argument("--forge", action="store_true")
    ap.add_argument("--cut", action="store_true")
    ap.add_argument("--in-body", action="store_true")
    a = ap.parse_args()
    with open(a.eml, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    header = str(msg["List-Unsubscribe"] or "")
    m = re.search(r"<mailto:([^>]*)>", header.replace("\r\n", "").replace("\n", ""))
    if not m:
        sys.exit("no mailto entry in List-Unsubscribe: %r" % header)
    url = urllib.parse.urlsplit("mailto:" + m.group(1))
    to = urllib.parse.unquote(url.path)
    subject = urllib.parse.parse_qs(url.query).get("subject", ["unsubscribe"])[0]
    if a.forge:
        # the last character of the signature, changed to another base64url one
        last = subject[-1]
        subject = subject[:-1] + ("A" if last != "A" else "B")
    if a.cut:
        subject = subject[:-1]
    sender = a.sender or email.utils.parseaddr(str(msg["To"]))[1]
    body = "Please remove me from this list.\r\n"
    if a.in_body:
        body = subject + "\r\n"
        subject = "Please unsubscribe"
    lines = [
        "From: " + sender,
        "To: " + to,
        "Subject: " + subject,
        "Date: Mon, 07 Dec 2026 10:00:00 +0000",
        "Message-ID: <%s@client.example.net>" % hashlib.sha1(
            (sender + subject + body).encode()).hexdigest()[:16],
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        body,
    ]
    with open(a.out, "w", newline="") as f:
        f.write("\r\n".join(lines))


main()
