#!/usr/bin/env python3
"""A small HTTP forward proxy for the end-to-end tests: plain HTTP only,
Basic proxy authentication, one log line per request ("METHOD URL") so a
test can see what went through it. Usage: proxy.py PORT USER:PASSWORD LOG"""
import base64
import http.client
import http.server
import socketserver
import sys
import urllib.parse

PORT, CRED, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
WANT = "Basic " + base64.b64encode(CRED.encode()).decode()
HOP = {"connection", "keep-alive", "proxy-authorization", "proxy-connection",
       "te", "trailers", "transfer-encoding", "upgrade"}


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def relay(self):
        with open(LOG, "a") as f:
            f.write(f"{self.command} {self.path} "
                    f"auth={'ok' if self.headers.get('Proxy-Authorization') == WANT else 'no'}\n")
        if self.headers.get("Proxy-Authorization") != WANT:
            self.send_response(407)
            self.send_header("Proxy-Authenticate", 'Basic realm="test"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        u = urllib.parse.urlsplit(self.path)
        body = None
        if "Content-Length" in self.headers:
            body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        c = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=60)
        path = u.path + ("?" + u.query if u.query else "")
        c.request(self.command, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        c.close()

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = relay


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


Server(("127.0.0.1", PORT), Proxy).serve_forever()
