#!/usr/bin/python3
"""A tiny OAuth2 token endpoint for mailout's tests (RFC 6749 section 6,
refresh-token grant).  Runs in the foreground; prints "READY <port>".

    /usr/bin/python3 tests/tools/oauth_server.py --port 0 --client-id ID \
        --client-secret SECRET --grant 'REFRESH_TOKEN=ACCESS_TOKEN' [--grant ...]

A POST with grant_type=refresh_token, the client's id and secret and a known
refresh_token gets 200 {"access_token": ACCESS_TOKEN, "expires_in": 3600, ...}
with every "/" written as "\\/" and a decoy "access_token" nested deeper, so a
client's JSON reading is put to the test.  A wrong client gets 401
{"error": "invalid_client"}, anything else 400 {"error": "invalid_grant"}.
SIGTERM/SIGINT -> clean exit.
"""
import argparse, json, signal, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


def make_handler(client_id, client_secret, grants):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, status, body):
            data = json.dumps(body).replace("/", "\\/").encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in
                    parse_qs(self.rfile.read(length).decode(), keep_blank_values=True).items()}
            if (self.headers.get("Content-Type", "") != "application/x-www-form-urlencoded"
                    or form.get("grant_type") != "refresh_token"):
                return self.answer(400, {"error": "unsupported_grant_type"})
            if form.get("client_id") != client_id or form.get("client_secret") != client_secret:
                return self.answer(401, {"error": "invalid_client",
                                         "error_description": "Unauthorized"})
            token = grants.get(form.get("refresh_token"))
            if token is None:
                return self.answer(400, {"error": "invalid_grant",
                                         "error_description": "Bad Request"})
            self.answer(200, {"token_type": "Bearer", "expires_in": 3600,
                              "scope": "https://mail.example.com/",
                              "extra": {"list": [1, -2.5e3, True, None,
                                                 {"access_token": "decoy"}], "s": "\u00e9\"\\"},
                              "access_token": token})

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 binds a free port")
    ap.add_argument("--client-id", default="mailout")
    ap.add_argument("--client-secret", default="secret")
    ap.add_argument("--grant", action="append", default=[], help="REFRESH_TOKEN=ACCESS_TOKEN")
    a = ap.parse_args()
    grants = dict(g.split("=", 1) for g in a.grant)
    server = ThreadingHTTPServer((a.host, a.port),
                                 make_handler(a.client_id, a.client_secret, grants))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdout.write(f"READY {server.server_address[1]}\n")
    sys.stdout.flush()
    stop = threading.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda *_: stop.set())
    stop.wait()
    server.shutdown()


if __name__ == "__main__":
    main()
