#!/usr/bin/env python3
"""Hold many connections to a server, as a hostile client would.

usage: hold_conns.py HOST PORT SECONDS READY_FILE SPEC...

Each SPEC is KIND:PREFIX:ADDRS:PER_ADDR, e.g. idle:127.0.1:100:50 opens 50
connections from each of 127.0.1.1 .. 127.0.1.100. KIND is
  idle  connect and send nothing
  slow  send a request line, then one header byte a second, never the end
Connections the server closes are opened again (an attacker keeps up the
pressure). When every connection has been tried once, READY_FILE gets a
line "open N"; at the end a line "held N reopened M" per kind is printed.
Everything stays on 127.0.0.0/8.
"""
import errno
import selectors
import socket
import sys
import time


def main():
    host, port, secs, ready = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    specs = []
    for s in sys.argv[5:]:
        kind, prefix, addrs, per = s.split(":")
        specs.append((kind, prefix, int(addrs), int(per)))
    sel = selectors.DefaultSelector()
    conns = {}  # sock -> (kind, src)
    reopened = {"idle": 0, "slow": 0}

    def open_one(kind, src):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((src, 0))
            err = s.connect_ex((host, port))
        except OSError:
            s.close()
            return False
        if err not in (0, errno.EINPROGRESS):
            s.close()
            return False
        conns[s] = (kind, src)
        sel.register(s, selectors.EVENT_READ)
        return True

    def drop(s):
        sel.unregister(s)
        conns.pop(s, None)
        s.close()

    for kind, prefix, addrs, per in specs:
        for a in range(1, addrs + 1):
            src = "%s.%d" % (prefix, a)
            for _ in range(per):
                open_one(kind, src)
    with open(ready, "w") as f:
        f.write("open %d\n" % len(conns))
    started = {}
    end = time.monotonic() + secs
    last_dribble = 0.0
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                kind, src = conns[s]
                drop(s)
                reopened[kind] += 1
                open_one(kind, src)
        now = time.monotonic()
        if now - last_dribble >= 1.0:
            last_dribble = now
            for s, (kind, src) in list(conns.items()):
                if kind != "slow":
                    continue
                msg = b"x" if s in started else b"GET /v1/admin/groups HTTP/1.1\r\nX-A: "
                try:
                    s.send(msg)
                    started[s] = True
                except OSError:
                    pass
    held = {"idle": 0, "slow": 0}
    for kind, _ in conns.values():
        held[kind] += 1
    for k in ("idle", "slow"):
        print("%s held %d reopened %d" % (k, held[k], reopened[k]))


if __name__ == "__main__":
    main()
