#!/usr/bin/env bash
# sluiced's HTTPS listener ([tls]) with certificates made here by openssl:
# a certificate from the configured CA works for curl, the CLI and the
# agent; one from another CA, an expired one and one for another host name
# are refused; TLS 1.1 is refused; the plain listener serves only
# /content/ (tls.plain = content); SIGHUP loads a renewed certificate and
# keeps the running one when the new files do not load; a key that does
# not match the certificate stops sluiced at start with a clear error.
. "$(dirname "$0")/lib.sh"

PKI=$TMP/pki
mkdir -p "$PKI"
ossl() { openssl "$@" >>"$PKI/openssl.log" 2>&1 || fail "openssl $*"; }

# make_ca NAME
make_ca() {
	ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$PKI/$1.key" -out "$PKI/$1.pem" -days 2 -subj "/CN=$1"
}
# make_cert NAME CA SAN DAYS
make_cert() {
	ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$PKI/$1.key" -out "$PKI/$1.csr" -subj "/CN=sluiced"
	printf 'subjectAltName=%s\n' "$3" >"$PKI/$1.ext"
	ossl x509 -req -in "$PKI/$1.csr" -CA "$PKI/$2.pem" -CAkey "$PKI/$2.key" \
		-CAcreateserial -days "$4" -extfile "$PKI/$1.ext" -out "$PKI/$1.pem"
}
make_ca ca
make_ca otherca
make_cert good ca "DNS:localhost,IP:127.0.0.1" 1
make_cert expired ca "DNS:localhost,IP:127.0.0.1" -1
make_cert otherhost ca "DNS:other.example" 1
make_cert untrusted otherca "DNS:localhost,IP:127.0.0.1" 1

TLS_PORT=$(free_port)
# tls_server CERT [PLAIN]: restart sluiced with that certificate
tls_server() {
	[ -n "${SERVER_PID:-}" ] && stop_server
	start_server "$TMP/data" "[tls]
cert = $PKI/$1.pem
key = $PKI/$1.key
listen = 127.0.0.1:$TLS_PORT
plain = ${2:-content}"
	wait_port "$TLS_PORT"
	grep -q "listening on 127.0.0.1:$TLS_PORT (TLS)" "$SERVER_LOG" ||
		fail "no TLS listener in the log"
}
HTTPS=https://127.0.0.1:$TLS_PORT

tls_server good
# curl and the CLI with the CA: answered
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$PKI/ca.pem" \
	-H "Authorization: Bearer $ADMIN_TOKEN" "$HTTPS/v1/admin/groups") ||
	fail "curl over TLS"
[ "$code" = 200 ] || fail "GET groups over TLS: $code"
out=$("$SLUICE" --server "$HTTPS" --ca-file "$PKI/ca.pem" groups 2>&1) ||
	fail "CLI over TLS: $out"
grep -q "All Computers" <<<"$out" || fail "CLI groups: $out"
out=$(SLUICE_CA_FILE=$PKI/ca.pem "$SLUICE" --server "https://localhost:$TLS_PORT" groups 2>&1) ||
	fail "CLI over TLS by host name (SLUICE_CA_FILE): $out"
# without the CA (the system's trust store does not know it): refused
rc=0
out=$("$SLUICE" --server "$HTTPS" groups 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -qi "certificate" <<<"$out" || fail "untrusted CA accepted: rc=$rc $out"
# another CA's file: refused
rc=0
out=$("$SLUICE" --server "$HTTPS" --ca-file "$PKI/otherca.pem" groups 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -qi "certificate" <<<"$out" || fail "wrong CA accepted: rc=$rc $out"
# TLS 1.1 and older: refused by the server
if curl -sS -o /dev/null --cacert "$PKI/ca.pem" --tlsv1.0 --tls-max 1.1 \
	"$HTTPS/v1/admin/groups" 2>/dev/null; then
	fail "TLS 1.1 accepted"
fi
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$PKI/ca.pem" --tlsv1.2 --tls-max 1.2 \
	-H "Authorization: Bearer $ADMIN_TOKEN" "$HTTPS/v1/admin/groups") || fail "TLS 1.2"
[ "$code" = 200 ] || fail "TLS 1.2: $code"
# plain HTTP: content only
api GET /v1/admin/groups
[ "$HTTP_STATUS" = 403 ] && grep -q "serves only /content/" <<<"$BODY" ||
	fail "admin API over plain HTTP: $HTTP_STATUS $BODY"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$SERVER_URL/content/$(printf '%064d' 0)")
[ "$code" = 404 ] || fail "content over plain HTTP: $code"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -d '{}' "$SERVER_URL/v1/agent/register")
[ "$code" = 403 ] || fail "agent register over plain HTTP: $code"

if [ -n "${TLS_AGENT_TEST:-1}" ]; then
	# the agent registers over TLS with ca_file; refuses another CA
	KEY=$("$SLUICE" --server "$HTTPS" --ca-file "$PKI/ca.pem" enrollment create --uses 2) ||
		fail "enrollment create over TLS"
	"$SLUICE" catalog init "$TMP/cat" >/dev/null
	PUB=$(ls "$TMP"/cat/public/keys/*.pub | head -n 1)
	mkdir -p "$TMP/root" "$TMP/st1" "$TMP/st2"
	conf() {
		cat <<EOF2
[agent]
server = $HTTPS
state_dir = $TMP/$1
root = $TMP/root
trusted_keys = $PUB
enrollment_key = $KEY
ca_file = $PKI/$2.pem
EOF2
	}
	conf st1 ca >"$TMP/a1.conf"
	conf st2 otherca >"$TMP/a2.conf"
	"$AGENT" --config "$TMP/a1.conf" detect >"$TMP/a1.log" 2>&1 ||
		fail "agent over TLS: $(cat "$TMP/a1.log")"
	grep -q "registered with $HTTPS" "$TMP/a1.log" || fail "agent log: $(cat "$TMP/a1.log")"
	if "$AGENT" --config "$TMP/a2.conf" detect >"$TMP/a2.log" 2>&1; then
		fail "agent trusted another CA's certificate"
	fi
	grep -qi "certificate" "$TMP/a2.log" || fail "agent error: $(cat "$TMP/a2.log")"
fi

# expired: refused
tls_server expired
rc=0
out=$("$SLUICE" --server "$HTTPS" --ca-file "$PKI/ca.pem" groups 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -qi "expired" <<<"$out" || fail "expired certificate accepted: rc=$rc $out"

# another host name: refused (the CA is right)
tls_server otherhost
rc=0
out=$("$SLUICE" --server "$HTTPS" --ca-file "$PKI/ca.pem" groups 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -Eqi "certificate|host ?name|subject" <<<"$out" ||
	fail "certificate for another host accepted: rc=$rc $out"

# tls.plain = all: the admin API over plain HTTP too
tls_server good all
api GET /v1/admin/groups
[ "$HTTP_STATUS" = 200 ] || fail "plain = all: $HTTP_STATUS"

# SIGHUP reads the certificate and key again: new connections get the new
# pair; a pair that does not load is logged and the running one stays.
served() { # the SHA-256 fingerprint of the certificate the server serves
	openssl s_client -connect "127.0.0.1:$TLS_PORT" </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256
}
fp() { openssl x509 -noout -fingerprint -sha256 -in "$1"; }
hup_wait() { # PATTERN: SIGHUP, then wait for PATTERN in a new log line
	local n i
	n=$(grep -c "" "$SERVER_LOG")
	kill -HUP "$SERVER_PID"
	for ((i = 0; i < 100; i++)); do
		tail -n +"$((n + 1))" "$SERVER_LOG" | grep -q "$1" && return 0
		sleep 0.1
	done
	fail "no '$1' in the log after SIGHUP"
}
cp "$PKI/good.pem" "$PKI/live.pem"
cp "$PKI/good.key" "$PKI/live.key"
tls_server live
[ "$(served)" = "$(fp "$PKI/good.pem")" ] || fail "served: $(served)"
make_cert renewed ca "DNS:localhost,IP:127.0.0.1" 1
cp "$PKI/renewed.pem" "$PKI/live.pem"
cp "$PKI/renewed.key" "$PKI/live.key"
hup_wait "reload: TLS certificate and key read again from $PKI/live.pem"
[ "$(served)" = "$(fp "$PKI/renewed.pem")" ] ||
	fail "after SIGHUP the old certificate is served: $(served)"
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$PKI/ca.pem" \
	-H "Authorization: Bearer $ADMIN_TOKEN" "$HTTPS/v1/admin/groups") ||
	fail "curl after the reload"
[ "$code" = 200 ] || fail "GET groups after the reload: $code"
# a key that does not match: refused, the renewed pair stays
cp "$PKI/untrusted.key" "$PKI/live.key"
hup_wait "reload: tls.cert and tls.key: The certificate and the given key do not match. (the running certificate stays)"
[ "$(served)" = "$(fp "$PKI/renewed.pem")" ] ||
	fail "a mismatched pair replaced the certificate: $(served)"
# not PEM at all: the same
echo "not a certificate" >"$PKI/live.pem"
hup_wait "reload: tls.cert $PKI/live.pem: no PEM certificate (the running certificate stays)"
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$PKI/ca.pem" \
	-H "Authorization: Bearer $ADMIN_TOKEN" "$HTTPS/v1/admin/groups") ||
	fail "curl after a failed reload"
[ "$code" = 200 ] || fail "GET groups after a failed reload: $code"
[ "$(served)" = "$(fp "$PKI/renewed.pem")" ] || fail "served: $(served)"
server_alive
stop_server

# a key that does not belong to the certificate: sluiced does not start
cat >"$TMP/bad.ini" <<EOF2
[server]
listen = 127.0.0.1:$(free_port)
data = $TMP/data
user = root
[tls]
cert = $PKI/good.pem
key = $PKI/untrusted.key
listen = 127.0.0.1:$TLS_PORT
EOF2
rc=0
out=$("$SLUICED" --config "$TMP/bad.ini" 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "tls.cert and tls.key: The certificate and the given key do not match" <<<"$out" ||
	fail "mismatched key: rc=$rc $out"
echo "tls: ok"
