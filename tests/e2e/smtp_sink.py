#!/usr/bin/env python3
"""A real SMTP server for the end-to-end tests (Debian's python3-aiosmtpd):
every message received is written to DIR/N.eml with its envelope in
DIR/N.json ({"from", "to", "tls", "auth"}).
Usage: smtp_sink.py PORT DIR [CERT KEY USER:PASSWORD]
With CERT/KEY it offers STARTTLS and requires it, and AUTH PLAIN/LOGIN
with USER:PASSWORD."""
import json
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out, exist_ok=True)


class Handler:
    n = 0

    async def handle_DATA(self, server, session, envelope):
        Handler.n += 1
        base = os.path.join(out, str(Handler.n))
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".json", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "tls": session.ssl is not None,
                       "auth": session.authenticated}, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 OK"


kw = {}
if len(sys.argv) > 3:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    user, pw = sys.argv[5].split(":", 1)

    def auth(server, session, envelope, mechanism, data):
        ok = (isinstance(data, LoginPassword) and
              data.login.decode() == user and data.password.decode() == pw)
        return AuthResult(success=ok)

    kw = dict(tls_context=ctx, require_starttls=True, authenticator=auth,
              auth_require_tls=True, auth_required=True)

c = Controller(Handler(), hostname="127.0.0.1", port=port, **kw)
c.start()
print("ready", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    c.stop()
