#!/usr/bin/python3
"""Checks e-mail messages written by mailout.

    /usr/bin/python3 tests/tools/check_mime.py FILE.eml...

For each file: every line ends in CRLF; header lines are at most 998
characters, and at most 78 where there was whitespace to fold at; body
lines are at most 78 characters, quoted-printable lines at most 76 without
trailing whitespace; Python's email parser (policy.default) finds no defect
on the message, its parts or their headers; the parts are text/plain, or
multipart/alternative with text/plain first and text/html last, utf-8 and
quoted-printable; every encoded-word is at most 75 characters and decodes
on its own.  Prints one JSON line per file with the decoded subject, From
and To display names, and the text and html parts (line ends as \\n).
Defects go to stderr; the exit status is 1 if there was any.

Standard library only.
"""

import base64
import binascii
import email
import email.header
import email.policy
import email.utils
import json
import re
import sys

ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")


def fold_point(line):
    """Whether an overlong header line had whitespace to fold at by column 78."""
    start = 0
    if line[:1] in (b" ", b"\t"):
        start = len(line) - len(line.lstrip(b" \t"))
    else:
        colon = line.find(b":")
        start = colon + 1 if colon >= 0 else 0
        while start < len(line) and line[start:start + 1] in (b" ", b"\t"):
            start += 1
    for p in range(start + 1, min(len(line), 79)):
        if line[p:p + 1] in (b" ", b"\t"):
            return True
    return False


def check_lines(data, defects):
    if not data.endswith(b"\r\n"):
        defects.append("does not end in CRLF")
    lines = data.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    in_header = True
    for number, line in enumerate(lines, 1):
        if b"\n" in line or b"\r" in line:
            defects.append("line %d: bare CR or LF" % number)
        if len(line) > 998:
            defects.append("line %d: %d characters, more than 998" % (number, len(line)))
        elif len(line) > 78:
            if not in_header:
                defects.append("line %d: body line of %d characters, more than 78" % (number, len(line)))
            elif fold_point(line):
                defects.append("line %d: header line of %d characters not folded" % (number, len(line)))
        if in_header and line == b"":
            in_header = False


def check_encoded_words(data, defects):
    """Each encoded-word is at most 75 characters and decodes on its own:
    Python joins adjacent words before decoding, so it would not notice a
    UTF-8 sequence split between two of them."""
    head = data.split(b"\r\n\r\n", 1)[0]
    for match in ENCODED_WORD.finditer(head):
        word = match.group(0).decode("ascii", "replace")
        if len(match.group(0)) > 75:
            defects.append("encoded-word of %d characters: %s" % (len(match.group(0)), word))
        charset, kind, text = match.groups()
        try:
            if kind in (b"B", b"b"):
                raw = base64.b64decode(text, validate=True)
            else:
                raw = binascii.a2b_qp(text, header=True)
            raw.decode(charset.decode("ascii"))
        except (ValueError, LookupError) as e:
            defects.append("encoded-word does not decode on its own (%s): %s" % (e, word))


def check_qp(part, where, defects):
    raw = part.get_payload(decode=False)
    for number, line in enumerate(raw.splitlines(), 1):
        if len(line) > 76:
            defects.append("%s: quoted-printable line %d has %d characters" % (where, number, len(line)))
        if line.endswith((" ", "\t")):
            defects.append("%s: quoted-printable line %d ends in whitespace" % (where, number))


def check_leaf(part, want, where, defects):
    if part.get_content_type() != want:
        defects.append("%s: %s where %s was expected" % (where, part.get_content_type(), want))
    if (part.get_content_charset() or "").lower() != "utf-8":
        defects.append("%s: charset is not utf-8" % where)
    if part.get("Content-Transfer-Encoding", "").lower() != "quoted-printable":
        defects.append("%s: not quoted-printable" % where)
    else:
        check_qp(part, where, defects)
    return part.get_content().replace("\r\n", "\n")


def display_name(data, name):
    """The display name as RFC 2047 readers show it.  Python's own address
    parser keeps the whitespace between two adjacent encoded-words of a
    phrase, which RFC 2047 section 6.2 says to drop, so the name is decoded
    from the raw header with email.header instead."""
    raw = email.message_from_bytes(data, policy=email.policy.compat32)[name]
    if raw is None:
        return None
    phrase, _ = email.utils.parseaddr(re.sub(r"\r?\n([ \t])", r"\1", str(raw)))
    return str(email.header.make_header(email.header.decode_header(phrase)))


def check_file(path):
    defects = []
    with open(path, "rb") as f:
        data = f.read()
    check_lines(data, defects)
    check_encoded_words(data, defects)
    msg = email.message_from_bytes(data, policy=email.policy.default)
    for part in msg.walk():
        defects.extend("%s: %r" % (part.get_content_type(), d) for d in part.defects)
        for name, value in part.items():
            defects.extend("%s header: %r" % (name, d) for d in getattr(value, "defects", ()))
    text = html = None
    if msg.get_content_type() == "multipart/alternative":
        parts = list(msg.iter_parts())
        if len(parts) != 2:
            defects.append("multipart/alternative with %d parts, not 2" % len(parts))
        else:
            text = check_leaf(parts[0], "text/plain", "first part", defects)
            html = check_leaf(parts[1], "text/html", "last part", defects)
    else:
        text = check_leaf(msg, "text/plain", "message", defects)
    for name in ("Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "List-Unsubscribe"):
        if msg[name] is None:
            defects.append("no %s header" % name)
        elif len(msg.get_all(name)) != 1:
            defects.append("more than one %s header" % name)
    result = {
        "file": path,
        "subject": None if msg["Subject"] is None else str(msg["Subject"]),
        "from_name": display_name(data, "From"),
        "to_name": display_name(data, "To"),
        "text": text,
        "html": html,
    }
    for key, value in result.items():
        if isinstance(value, str) and "\ufffd" in value:
            defects.append("%s does not decode cleanly" % key)
    return result, defects


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: check_mime.py FILE.eml...\n")
        return 2
    status = 0
    for path in argv[1:]:
        try:
            result, defects = check_file(path)
        except (OSError, ValueError, LookupError) as e:
            result, defects = {"file": path}, ["cannot check: %s" % e]
        line = json.dumps(result, ensure_ascii=False) + "\n"
        sys.stdout.buffer.write(line.encode("utf-8"))
        for d in defects:
            sys.stderr.write("%s: %s\n" % (path, d))
        if defects:
            status = 1
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
