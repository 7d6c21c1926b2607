#!/usr/bin/env python3
"""Raw HTTP/1.1 on loopback against sluiced's content sender
(content_sender.sh): pipelined and split heads, heads that arrive late,
connections that turn to other requests, Connection: close, the answers
left to libmicrohttpd (404, 416, HTTP/1.0), a download abandoned half way,
many downloads at once past the sender's share of connections, and a
reader that stops reading. Prints one "ok NAME" line per case; any
difference raises."""
import socket
import sys
import threading
import time

HOST, PORT = sys.argv[1], int(sys.argv[2])
SMALL, LARGE = sys.argv[3], sys.argv[4]
IDLE = int(sys.argv[5])
DATA = {}
for name, path in ((SMALL, sys.argv[6]), (LARGE, sys.argv[7])):
    with open(path, "rb") as f:
        DATA[name] = f.read()
MISSING = "0" * 64


def conn():
    s = socket.create_connection((HOST, PORT), timeout=20)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def req(path, method="GET", extra="", version="HTTP/1.1"):
    return (f"{method} {path} {version}\r\nHost: {HOST}:{PORT}\r\n"
            f"{extra}\r\n").encode()


class Reader:
    def __init__(self, s):
        self.s, self.buf = s, bytearray()

    def fill(self):
        d = self.s.recv(1 << 20)
        if not d:
            raise EOFError("connection closed")
        self.buf += d

    def response(self, head=False):
        """(status, headers, body) of the next answer."""
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        end = self.buf.index(b"\r\n\r\n")
        lines = self.buf[:end].decode().split("\r\n")
        del self.buf[:end + 4]
        status = int(lines[0].split()[1])
        hdrs = {}
        for l in lines[1:]:
            k, v = l.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
        n = 0 if head or status == 304 else int(hdrs.get("content-length", 0))
        while len(self.buf) < n:
            self.fill()
        body = bytes(self.buf[:n])
        del self.buf[:n]
        return status, hdrs, body

    def closed(self):
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
                self.buf += d
        except socket.timeout:
            return False


def expect(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: {got!r}, expected {want!r}")


def check(r, status, body=None, head=False, what=""):
    st, hdrs, b = r.response(head)
    expect(st, status, what + " status")
    if body is not None:
        expect(len(b), len(body), what + " length")
        expect(b == body, True, what + " bytes")
    return hdrs


def pipelined():
    s = conn()
    r = Reader(s)
    s.sendall(req(f"/content/{SMALL}") + req(f"/content/{LARGE}", "HEAD") +
              req(f"/content/{LARGE}", extra="Range: bytes=5-14\r\n") +
              req("/healthz") +
              req(f"/content/{SMALL}", extra=f'If-None-Match: "{SMALL}"\r\n') +
              req(f"/content/{SMALL}"))
    check(r, 200, DATA[SMALL], what="GET")
    h = check(r, 200, head=True, what="HEAD")
    expect(h["content-length"], str(len(DATA[LARGE])), "HEAD length")
    h = check(r, 206, DATA[LARGE][5:15], what="range")
    expect(h["content-range"], f"bytes 5-14/{len(DATA[LARGE])}", "range")
    check(r, 200, b'{"status":"ok"}', what="healthz")
    h = check(r, 304, what="If-None-Match")
    expect(h["etag"], f'"{SMALL}"', "304 etag")
    check(r, 200, DATA[SMALL], what="GET after JSON")
    s.close()
    # Many at once: answered a few in a row, the rest after other events.
    s = conn()
    r = Reader(s)
    s.sendall(req(f"/content/{SMALL}") * 300)
    for i in range(300):
        check(r, 200, DATA[SMALL], what=f"pipelined {i}")
    s.close()
    print("ok pipelined")


def split_and_late():
    whole = req(f"/content/{SMALL}")
    # within the sender's wait for a head, and past it
    for pause in (0.05, 0.6):
        s = conn()
        r = Reader(s)
        s.sendall(whole[:20])
        time.sleep(pause)
        s.sendall(whole[20:])
        check(r, 200, DATA[SMALL], what=f"head split by {pause}s")
        s.sendall(whole)
        check(r, 200, DATA[SMALL], what=f"next after {pause}s")
        s.close()
    s = conn()
    r = Reader(s)
    time.sleep(0.6)
    s.sendall(whole)
    check(r, 200, DATA[SMALL], what="after an idle start")
    # idle past the sender's wait for the next head (5 s), within the
    # idle timeout
    time.sleep(5.5)
    s.sendall(whole)
    check(r, 200, DATA[SMALL], what="after 5.5 s idle")
    s.close()
    print("ok split and late heads")


def turns():
    s = conn()
    r = Reader(s)
    for path, want in ((f"/content/{SMALL}", DATA[SMALL]),
                       ("/healthz", b'{"status":"ok"}'),
                       (f"/content/{LARGE}", DATA[LARGE])):
        s.sendall(req(path))
        check(r, 200, want, what=path)
    s.close()
    s = conn()
    r = Reader(s)
    s.sendall(req(f"/content/{SMALL}", extra="Connection: close\r\n"))
    h = check(r, 200, DATA[SMALL], what="Connection: close")
    expect(h.get("connection", "").lower(), "close", "Connection header")
    s.settimeout(5)
    expect(r.closed(), True, "closed after Connection: close")
    s.close()
    print("ok connections that change their requests")


def left_to_libmicrohttpd():
    s = conn()
    r = Reader(s)
    s.sendall(req(f"/content/{MISSING}"))
    st, _, body = r.response()
    expect(st, 404, "missing file")
    expect(b"not in the store" in body, True, "404 message")
    s.sendall(req(f"/content/{SMALL}", extra="Range: bytes=999999999-\r\n"))
    h = check(r, 416, what="unsatisfiable range")
    expect(h["content-range"], f"bytes */{len(DATA[SMALL])}", "416 range")
    s.sendall(req(f"/content/{SMALL}?x=1"))
    check(r, 200, DATA[SMALL], what="with a query")
    s.close()
    s = conn()
    r = Reader(s)
    s.sendall(req(f"/content/{SMALL}", version="HTTP/1.0"))
    check(r, 200, DATA[SMALL], what="HTTP/1.0")
    s.close()
    print("ok answers left to libmicrohttpd")


def abandoned():
    s = conn()
    s.sendall(req(f"/content/{LARGE}"))
    got = 0
    while got < 65536:
        got += len(s.recv(65536))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
    s.close()  # a reset half way
    s = conn()
    r = Reader(s)
    s.sendall(req(f"/content/{LARGE}"))
    check(r, 200, DATA[LARGE], what="after an abandoned download")
    s.close()
    print("ok abandoned download")


def many():
    errors = []

    def one(i):
        try:
            s = conn()
            r = Reader(s)
            for _ in range(3):
                s.sendall(req(f"/content/{LARGE}"))
                check(r, 200, DATA[LARGE], what=f"download {i}")
            s.close()
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(f"{i}: {e}")

    ts = [threading.Thread(target=one, args=(i,)) for i in range(12)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise AssertionError("; ".join(errors))
    print("ok 12 downloads at once")


def stalled():
    s = conn()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(req(f"/content/{LARGE}"))
    time.sleep(IDLE + 2.5)
    s.settimeout(10)
    r = Reader(s)
    expect(r.closed(), True, "a stalled reader's connection closed")
    if len(r.buf) >= len(DATA[LARGE]):
        raise AssertionError("the whole file fit in the socket buffers")
    s.close()
    print("ok stalled reader cut")


for case in (pipelined, split_and_late, turns, left_to_libmicrohttpd,
             abandoned, many, stalled):
    case()
