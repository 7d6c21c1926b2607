#!/usr/bin/env python3
"""flaky_http: a static file server for the end-to-end tests that can
misbehave on purpose, to show that downloads resume.

It serves --root over HTTP/1.0 with Range support (206 + Content-Range).
Rules pick files by the end of their URL path (a SHA-256 is enough):

  --cut SUFFIX:BYTES:COUNT    the first COUNT responses for SUFFIX send
                              BYTES bytes of body, then close the connection
  --stall SUFFIX:BYTES:COUNT  the first COUNT responses send BYTES bytes of
                              body, then hang (--stall-seconds), then close

Every request is logged to --log as one line, flushed at once:
  GET <path> range=<Range header or -> status=<code> action=<ok|cut|stall>
The chosen port is written to --port-file once the socket listens.
"""
import argparse
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 64 * 1024


class Rule:
    def __init__(self, kind, spec):
        suffix, nbytes, count = spec.rsplit(":", 2)
        self.kind = kind
        self.suffix = suffix
        self.nbytes = int(nbytes)
        self.left = int(count)


class State:
    def __init__(self, args):
        self.root = os.path.realpath(args.root)
        self.rules = [Rule("cut", s) for s in args.cut] + \
                     [Rule("stall", s) for s in args.stall]
        self.stall_seconds = args.stall_seconds
        self.lock = threading.Lock()
        self.log = open(args.log, "a", buffering=1)

    def take_rule(self, path):
        """The rule that applies to this response (consuming one use)."""
        with self.lock:
            for r in self.rules:
                if path.endswith(r.suffix) and r.left > 0:
                    r.left -= 1
                    return r
        return None

    def write_log(self, line):
        with self.lock:
            self.log.write(line + "\n")
            self.log.flush()


def parse_range(header, size):
    """(start, end) inclusive from "bytes=S-" or "bytes=S-E"; None if
    absent; "bad" if not satisfiable."""
    if header is None:
        return None
    if not header.startswith("bytes=") or "," in header:
        return "bad"
    first, _, last = header[6:].partition("-")
    try:
        if first == "":
            n = int(last)
            return (max(size - n, 0), size - 1) if n > 0 else "bad"
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return "bad"
    if start >= size or end < start:
        return "bad"
    return (start, min(end, size - 1))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "flaky_http"

    def log_message(self, fmt, *args):
        pass  # our own log only

    def do_GET(self):
        st = self.server.state
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        full = os.path.realpath(os.path.join(st.root, path.lstrip("/")))
        rng_hdr = self.headers.get("Range")
        if not full.startswith(st.root + os.sep) or not os.path.isfile(full):
            st.write_log("GET %s range=%s status=404 action=ok"
                         % (path, rng_hdr or "-"))
            self.send_error(404)
            return
        size = os.path.getsize(full)
        rng = parse_range(rng_hdr, size)
        if rng == "bad":
            st.write_log("GET %s range=%s status=416 action=ok"
                         % (path, rng_hdr))
            self.send_response(416)
            self.send_header("Content-Range", "bytes */%d" % size)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start, end = rng if rng else (0, size - 1)
        length = end - start + 1 if size > 0 else 0
        rule = st.take_rule(path)
        status = 206 if rng else 200
        st.write_log("GET %s range=%s status=%d action=%s"
                     % (path, rng_hdr or "-", status,
                        rule.kind if rule else "ok"))
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        if rng:
            self.send_header("Content-Range",
                             "bytes %d-%d/%d" % (start, end, size))
        self.end_headers()
        limit = length if rule is None else min(rule.nbytes, length)
        try:
            with open(full, "rb") as f:
                f.seek(start)
                left = limit
                while left > 0:
                    data = f.read(min(CHUNK, left))
                    if not data:
                        break
                    self.wfile.write(data)
                    left -= len(data)
            self.wfile.flush()
            if rule is not None and rule.kind == "stall":
                time.sleep(st.stall_seconds)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if rule is not None:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--cut", action="append", default=[])
    ap.add_argument("--stall", action="append", default=[])
    ap.add_argument("--stall-seconds", type=float, default=120.0)
    args = ap.parse_args()

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.state = State(args)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
