#!/usr/bin/env python3
"""Receives webhook POSTs for the end-to-end tests: each JSON body becomes
one line of LOG. Usage: webhook_sink.py PORT LOG"""
import http.server
import sys

PORT, LOG = int(sys.argv[1]), sys.argv[2]


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(LOG, "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(204)
        self.end_headers()


http.server.HTTPServer(("127.0.0.1", PORT), H).serve_forever()
