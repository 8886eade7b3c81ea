#!/usr/bin/env python3
"""A smart-HTTP git server for tests: `git http-backend` behind HTTP Basic
authentication, like a forge that takes a token as the password.

    git_http_server.py PROJECT_ROOT TOKEN [--user NAME]

Serves the repositories under PROJECT_ROOT at http://127.0.0.1:PORT/NAME.git,
to user NAME (default x-access-token) with password TOKEN; anything else gets
401.  Binds a free port and prints "READY <port>".  Each request is appended
to PROJECT_ROOT/requests.log as "METHOD PATH STATUS".
"""
import argparse
import base64
import http.server
import os
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("token")
    ap.add_argument("--user", default="x-access-token")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    expected = "Basic " + base64.b64encode(
        (args.user + ":" + args.token).encode()).decode()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def do_GET(self):
            self.backend()

        def do_POST(self):
            self.backend()

        def read_body(self):
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = bytearray()
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline().strip():
                            pass
                        return bytes(data)
                    data += self.rfile.read(size)
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def record(self, status):
            with open(os.path.join(root, "requests.log"), "a") as f:
                f.write("%s %s %d\n" % (self.command, self.path, status))

        def backend(self):
            body = self.read_body()
            if self.headers.get("Authorization") != expected:
                self.record(401)
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path, _, query = self.path.partition("?")
            env = dict(os.environ,
                       GIT_PROJECT_ROOT=root, GIT_HTTP_EXPORT_ALL="1",
                       PATH_INFO=path, QUERY_STRING=query,
                       REQUEST_METHOD=self.command,
                       CONTENT_TYPE=self.headers.get("Content-Type", ""),
                       CONTENT_LENGTH=str(len(body)),
                       REMOTE_USER=args.user, REMOTE_ADDR="127.0.0.1",
                       GATEWAY_INTERFACE="CGI/1.1")
            if self.headers.get("Content-Encoding"):
                env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
            if self.headers.get("Git-Protocol"):
                env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
            out = subprocess.run(["git", "http-backend"], input=body, env=env,
                                 stdout=subprocess.PIPE, check=False).stdout
            head, _, rest = out.partition(b"\r\n\r\n")
            status, headers = 200, []
            for line in head.split(b"\r\n"):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "status":
                    status = int(value.split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self.record(status)
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(rest)))
            self.end_headers()
            self.wfile.write(rest)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("READY %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
