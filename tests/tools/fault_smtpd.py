#!/usr/bin/python3
"""Fault-injecting test SMTP server for mailout's tests (aiosmtpd, Debian
python3-aiosmtpd 1.4.3).  Run it with /usr/bin/python3 (a python3 earlier on
PATH may not see Debian's modules).

Runs in the foreground (not a daemon); a test backgrounds it:

    /usr/bin/python3 tests/tools/fault_smtpd.py --port 0 --spool DIR [--auth user:pass] \
        [--fault 'bad@example.org=550 5.1.1 No such user'] \
        [--fault 'busy@example.org=451 4.3.0 Try again later'] \
        [--data-fault 'X-Fail-Data=554 5.6.0 Content rejected'] [--delay 0.05] \
        [--data-delay 'slow@example.org=65'] [--rcpt-delay 'slow@example.org=3'] \
        [--drop-after N] [--drop-data N] [--sent-imap HOST:PORT:PASSWORD[:MAILBOX]] [--quiet]

Prints "READY <port>" on stdout once listening (--port 0 binds a free port and
prints the one it got), so a harness can wait for it.
Fault rules (recipient glob = full SMTP reply) may also come from --fault-file,
re-read on every RCPT, so a test can change faults at runtime without a restart.
Every accepted message is written to <spool>/<n>.eml and one line is appended to
<spool>/log.tsv:  conn_id  peer_port  mail_from  rcpts  bytes  auth_user
(auth_user is "user/MECHANISM" or "-").  <spool>/quit.tsv gets the conn_id of
every connection that said QUIT.  A new conn_id/peer_port per message
means the client did NOT reuse the connection.  Connection 1 is the server's
own start-up probe.  --delay S waits S seconds before the reply to the final '.'
of every message; --data-delay 'rcpt-glob=S' only for messages to a matching
recipient (a slow content filter), the longest matching wait; --rcpt-delay
'rcpt-glob=S' waits before the reply to RCPT TO for a matching address.  --drop-after N aborts a connection, without a reply, when
its MAIL number N+1 arrives: a connection that died while the client kept it.
--drop-data N aborts the connection, without a reply and without accepting
the message, at the end of the server's N-th DATA: a message the server never
accepted although the client sent it whole.
--sent-imap files every accepted message, before the reply, into the Sent
mailbox (default "Sent") of the IMAP user named by the envelope sender, with
IMAP APPEND (the password is every user's): a provider that keeps a copy of
each SMTP submission, as Gmail and Microsoft 365 do.

Authentication: --auth user:pass offers AUTH PLAIN and LOGIN; --xoauth2
user:token also offers XOAUTH2 (SASL initial response or 334 continuation);
--reject-auth answers every AUTH with "535 5.7.8 Authentication credentials
invalid".
TLS: --tls-name NAME makes a self-signed certificate for NAME with the openssl
command (<spool>/cert.pem, <spool>/key.pem; a client trusts cert.pem as its CA
file); --tls starttls offers and requires STARTTLS, --tls implicit speaks TLS
from the first byte (smtps).
SIGTERM/SIGINT -> clean exit.
"""
import argparse, asyncio, base64, binascii, fnmatch, itertools, logging, os, signal
import imaplib, socket, ssl, subprocess, sys, threading, warnings

# aiosmtpd 1.4.3 logs "Session.login_data is deprecated" (its own internal use) and
# warns about AUTH without TLS; both are noise on loopback.
logging.getLogger("mail.log").setLevel(logging.ERROR)
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

_conn_ids = itertools.count(1)
REJECT_AUTH = "535 5.7.8 Authentication credentials invalid"


class CountingSMTP(SMTP):
    """SMTP session subclass that tags each TCP connection with an id."""
    def connection_made(self, transport):
        super().connection_made(transport)
        if not hasattr(self, "conn_id"):      # STARTTLS calls this again: same connection
            self.conn_id = next(_conn_ids)
            self.event_handler.log(f"CONNECT conn={self.conn_id} peer={self.session.peer}")
        self.session.conn_id = self.conn_id

    def connection_lost(self, exc):
        cid = getattr(self.session, "conn_id", "?") if self.session else "?"
        self.event_handler.log(f"DISCONNECT conn={cid}")
        super().connection_lost(exc)

    async def smtp_QUIT(self, arg):
        self.event_handler.note_quit(self.session.conn_id)
        await super().smtp_QUIT(arg)

    async def auth_XOAUTH2(self, _, args):
        """SASL XOAUTH2: base64("user=U\\x01auth=Bearer T\\x01\\x01")."""
        if len(args) == 1:
            blob = await self.challenge_auth("")
            if not isinstance(blob, bytes):
                return AuthResult(success=False, handled=True)
        else:
            try:
                blob = base64.b64decode(args[1].encode(), validate=True)
            except (binascii.Error, ValueError):
                await self.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        fields = dict(f.split(b"=", 1) for f in blob.split(b"\x01") if b"=" in f)
        user = fields.get(b"user", b"")
        auth = fields.get(b"auth", b"")
        token = auth[len(b"Bearer "):] if auth.startswith(b"Bearer ") else b""
        return self._authenticate("XOAUTH2", LoginPassword(user, token))


class FaultHandler:
    def __init__(self, spool, faults, fault_file, data_faults, quiet, delay=0.0, drop_after=0,
                 drop_data=0, sent_imap=None, data_delays=(), rcpt_delays=()):
        self.spool, self.faults, self.fault_file = spool, faults, fault_file
        self.drop_after = drop_after
        self.drop_data, self.datas = drop_data, 0
        self.sent_imap, self.imap = sent_imap, {}
        self.delay = delay
        self.data_delays = data_delays
        self.rcpt_delays = rcpt_delays
        self.data_faults, self.quiet = data_faults, quiet
        self.n = 0
        self.lock = threading.Lock()
        os.makedirs(spool, exist_ok=True)

    def log(self, msg):
        if not self.quiet:
            print(msg, flush=True)

    def note_quit(self, conn_id):
        with open(os.path.join(self.spool, "quit.tsv"), "a") as f:
            f.write(f"{conn_id}\n")

    def _rules(self):
        rules = list(self.faults)
        if self.fault_file and os.path.exists(self.fault_file):
            with open(self.fault_file) as f:
                rules += [l.strip() for l in f if "=" in l and not l.startswith("#")]
        return [tuple(r.split("=", 1)) for r in rules]

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        session.mails = getattr(session, "mails", 0) + 1
        if self.drop_after and session.mails > self.drop_after:
            self.log(f"MAIL {address} -> DROP conn={session.conn_id}")
            server.transport.abort()          # no reply: a connection that died unnoticed
            return "421 4.4.2 Connection dropped"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        for pattern, secs in self.rcpt_delays:
            if fnmatch.fnmatch(address.lower(), pattern.lower()):
                await asyncio.sleep(float(secs))
                break
        for pattern, reply in self._rules():
            if fnmatch.fnmatch(address.lower(), pattern.lower()):
                self.log(f"RCPT {address} -> FAULT {reply}")
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def file_sent(self, user, body):
        """APPENDs body to user's Sent mailbox, on one connection per user."""
        host, port, password, mailbox = self.sent_imap
        for attempt in (0, 1):
            try:
                if user not in self.imap:
                    conn = imaplib.IMAP4(host, int(port))
                    conn.login(user, password)
                    self.imap[user] = conn
                typ, data = self.imap[user].append(mailbox, None, None, body)
                if typ != "OK":
                    raise RuntimeError(f"APPEND {mailbox} for {user}: {typ} {data}")
                return
            except (imaplib.IMAP4.abort, OSError):
                self.imap.pop(user, None)
                if attempt:
                    raise

    async def handle_DATA(self, server, session, envelope):
        delay = max([self.delay] + [float(secs) for pattern, secs in self.data_delays
                                    if any(fnmatch.fnmatch(r.lower(), pattern.lower())
                                           for r in envelope.rcpt_tos)])
        if delay:
            await asyncio.sleep(delay)   # a slow server, so a test can kill a client mid-run
        body = envelope.content  # bytes (decode_data=False)
        with self.lock:
            self.datas += 1
            drop = self.datas == self.drop_data
        if drop:
            self.log(f"DATA #{self.datas} -> DROP conn={session.conn_id}")
            server.transport.abort()          # the whole message arrived, no reply, not accepted
            return "421 4.4.2 Connection dropped"
        for marker, reply in self.data_faults:
            if marker.encode() in body:
                self.log(f"DATA -> FAULT {reply}")
                return reply
        if self.sent_imap:
            with self.lock:
                self.file_sent(envelope.mail_from, body)
        with self.lock:
            self.n += 1
            n = self.n
        with open(os.path.join(self.spool, f"{n}.eml"), "wb") as f:
            f.write(body)
        user = (f"{session.auth_data.login.decode()}/{getattr(session, 'auth_mech', '?')}"
                if isinstance(session.auth_data, LoginPassword) else "-")
        with open(os.path.join(self.spool, "log.tsv"), "a") as f:
            f.write(f"{session.conn_id}\t{session.peer[1]}\t{envelope.mail_from}\t"
                    f"{','.join(envelope.rcpt_tos)}\t{len(body)}\t{user}\n")
        self.log(f"MSG #{n} conn={session.conn_id} from={envelope.mail_from} "
                 f"to={envelope.rcpt_tos} bytes={len(body)} auth={user}")
        return "250 Message accepted for delivery"


def make_authenticator(creds, xoauth2, reject):
    logins = {}
    if creds:
        user, pw = creds.split(":", 1)
        logins[("PLAIN", user)] = logins[("LOGIN", user)] = pw
    if xoauth2:
        user, token = xoauth2.split(":", 1)
        logins[("XOAUTH2", user)] = token
    def auth(server, session, envelope, mechanism, auth_data):
        ok = False
        if isinstance(auth_data, LoginPassword) and not reject:
            want = logins.get((mechanism, auth_data.login.decode()))
            ok = want is not None and auth_data.password.decode() == want
        session.auth_mech = mechanism                  # PLAIN, LOGIN or XOAUTH2
        # auth_data must be passed back, else session.auth_data stays None
        return AuthResult(success=ok, handled=False, auth_data=auth_data,
                          message=None if ok else REJECT_AUTH)
    return auth


def make_certificate(spool, name):
    cert, key = os.path.join(spool, "cert.pem"), os.path.join(spool, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName=DNS:{name}"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


class MyController(Controller):
    """Listens on a socket bound beforehand, so --port 0 needs no guessing."""
    def __init__(self, handler, sock, **kw):
        self.sock = sock
        super().__init__(handler, hostname=sock.getsockname()[0],
                         port=sock.getsockname()[1], **kw)

    def factory(self):
        return CountingSMTP(self.handler, **self.SMTP_kwargs)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self.sock,
                                       ssl=self.ssl_context)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=2525, help="0 binds a free port")
    ap.add_argument("--spool", default="./spool")
    ap.add_argument("--auth", help="user:pass; enables AUTH PLAIN/LOGIN (no TLS needed)")
    ap.add_argument("--xoauth2", help="user:token; enables AUTH XOAUTH2")
    ap.add_argument("--reject-auth", action="store_true", help="refuse every AUTH with 535")
    ap.add_argument("--auth-required", action="store_true", help="reject MAIL before AUTH")
    ap.add_argument("--tls", choices=["starttls", "implicit"])
    ap.add_argument("--tls-name", default="localhost", help="certificate name for --tls")
    ap.add_argument("--fault", action="append", default=[], help="'rcpt-glob=NNN text'")
    ap.add_argument("--fault-file")
    ap.add_argument("--data-fault", action="append", default=[], help="'marker=NNN text'")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--delay", type=float, default=0.0, help="seconds to wait before answering DATA")
    ap.add_argument("--data-delay", action="append", default=[],
                    help="'rcpt-glob=S': wait S seconds before the final reply to such a message")
    ap.add_argument("--rcpt-delay", action="append", default=[],
                    help="'rcpt-glob=S': wait S seconds before the reply to RCPT TO")
    ap.add_argument("--drop-after", type=int, default=0,
                    help="abort a connection without a reply at its MAIL number N+1")
    ap.add_argument("--drop-data", type=int, default=0,
                    help="abort the connection at the end of the N-th DATA, message not accepted")
    ap.add_argument("--sent-imap", help="HOST:PORT:PASSWORD[:MAILBOX]: APPEND accepted messages "
                    "to the Sent mailbox of the IMAP user named by the envelope sender")
    a = ap.parse_args()
    if a.quiet:   # also a client that gives up during the TLS handshake (a test)
        logging.getLogger("mail.log").setLevel(logging.CRITICAL)

    handler = FaultHandler(a.spool, a.fault, a.fault_file,
                           [tuple(d.split("=", 1)) for d in a.data_fault], a.quiet, a.delay,
                           a.drop_after, a.drop_data,
                           (a.sent_imap.split(":", 3) + ["Sent"])[:4] if a.sent_imap else None,
                           [tuple(d.split("=", 1)) for d in a.data_delay],
                           [tuple(d.split("=", 1)) for d in a.rcpt_delay])
    kw = dict(decode_data=False, enable_SMTPUTF8=True)
    if a.auth or a.xoauth2 or a.reject_auth:
        kw.update(authenticator=make_authenticator(a.auth, a.xoauth2, a.reject_auth),
                  auth_require_tls=False,          # plain loopback: default True hides AUTH
                  auth_required=a.auth_required)
        if not a.xoauth2:
            kw.update(auth_exclude_mechanism=["XOAUTH2"])
    else:
        kw.update(auth_exclude_mechanism=["XOAUTH2"])
    if a.tls:
        ctx = make_certificate(a.spool, a.tls_name)
        if a.tls == "starttls":
            kw.update(tls_context=ctx, require_starttls=True)
        else:
            kw.update(ssl_context=ctx)
    sock = socket.socket(socket.AF_INET6 if ":" in a.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((a.host, a.port))
    sock.listen(128)
    ctl = MyController(handler, sock, ready_timeout=10, **kw)
    ctl.start()
    sys.stdout.write(f"READY {sock.getsockname()[1]}\n")   # one write: no interleaving
    sys.stdout.flush()
    stop = threading.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda *_: stop.set())
    stop.wait()
    ctl.stop()


if __name__ == "__main__":
    main()
