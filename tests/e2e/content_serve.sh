#!/usr/bin/env bash
# GET and HEAD /content/<sha256> over keep-alive connections, as agents and
# downstream servers fetch files: the header is held back until the file's
# bytes join it (MSG_MORE in sluiced's content sender on the plain
# listener, TCP_CORK in libmicrohttpd's answers there after a JSON request)
# and released when the answer completes, so nothing waits for the
# kernel's 200 ms cork timer: many
# small and large answers, HEADs, ranges, 304s and JSON answers in turn on
# one connection arrive byte-exact and quickly. The same over the TLS
# listener (no cork there). Each answer leaves its access log line and its
# count in the metrics.
. "$(dirname "$0")/lib.sh"

DATA=$TMP/data
# Sizes not a multiple of any segment size: the last segment is partial,
# the one a cork left in place would hold back.
put_content "$DATA" small 50001
put_content "$DATA" large 3000017 # more than one sendfile() of either sender (2 MiB, 128 KiB)
put_content "$DATA" empty 0

PKI=$TMP/pki
mkdir -p "$PKI"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$PKI/key.pem" -out "$PKI/cert.pem" -days 2 -subj "/CN=sluiced" \
	-addext "subjectAltName=IP:127.0.0.1" >"$PKI/openssl.log" 2>&1 ||
	fail "openssl: $(tail -n 3 "$PKI/openssl.log")"
TLS_PORT=$(free_port)
# tls.plain = all: the plain listener serves everything (the JSON answers
# below share its connections with the files).
start_server "$DATA" "[tls]
cert = $PKI/cert.pem
key = $PKI/key.pem
listen = 127.0.0.1:$TLS_PORT
plain = all"
wait_port "$TLS_PORT"
HTTPS=https://127.0.0.1:$TLS_PORT

# fetch BASE [CURL ARGS]: 40 small GETs, a large one, a HEAD, an empty
# file, a range, a 304 and a JSON answer in between, in turn on one
# connection; checks every answer and that one connection carried them.
fetch() {
	local base=$1 args=() i n=0 t0 t1 out=$TMP/fetch
	shift
	rm -rf "$out" && mkdir -p "$out"
	for ((i = 0; i < 20; i++)); do
		args+=(-o "$out/s$i" "$base/content/$SHA_small")
	done
	args+=(-o "$out/large" "$base/content/$SHA_large")
	args+=(-o "$out/healthz" "$base/healthz")
	for ((i = 20; i < 40; i++)); do
		args+=(-o "$out/s$i" "$base/content/$SHA_small")
	done
	args+=(-o "$out/empty" "$base/content/$SHA_empty")
	args+=(-o "$out/large2" "$base/content/$SHA_large")
	t0=$(date +%s%N)
	curl -sS "$@" -w '%{num_connects} %{http_code} %{size_download}\n' \
		"${args[@]}" >"$out/w" || fail "curl $base: $(tail -n 3 "$out/w")"
	# HEAD, a range and a conditional GET, also on one connection
	curl -sS "$@" -w '%{num_connects} %{http_code} %{size_download}\n' \
		-I -o "$out/head" "$base/content/$SHA_large" \
		--next "$@" -o "$out/range" -r 131000-131099 \
		-w '%{num_connects} %{http_code} %{size_download}\n' \
		"$base/content/$SHA_large" \
		--next "$@" -o "$out/nm" -H "If-None-Match: \"$SHA_small\"" \
		-w '%{num_connects} %{http_code} %{size_download}\n' \
		"$base/content/$SHA_small" >>"$out/w" ||
		fail "curl HEAD/range/304 $base"
	t1=$(date +%s%N)
	# 47 answers; a tail held by the cork would cost 200 ms each.
	[ $(((t1 - t0) / 1000000)) -lt 4000 ] ||
		fail "47 answers took $(((t1 - t0) / 1000000)) ms on $base"
	while read -r c code size; do
		n=$((n + c))
		case $code in 200 | 206 | 304) ;; *) fail "$base: HTTP $code" ;; esac
	done <"$out/w"
	[ "$(wc -l <"$out/w")" = 47 ] || fail "$base: $(wc -l <"$out/w") answers"
	[ "$n" -le 2 ] || fail "$base: $n connections for two curl runs"
	for ((i = 0; i < 40; i++)); do
		cmp -s "$out/s$i" "$TMP/small.bin" || fail "$base: small answer $i differs"
	done
	cmp -s "$out/large" "$TMP/large.bin" || fail "$base: large answer differs"
	cmp -s "$out/large2" "$TMP/large.bin" || fail "$base: second large answer differs"
	[ -f "$out/empty" ] && [ ! -s "$out/empty" ] || fail "$base: empty file"
	grep -q '"status"' "$out/healthz" || fail "$base: healthz: $(cat "$out/healthz")"
	grep -qi "^content-length: 3000017" "$out/head" || fail "$base: HEAD: $(cat "$out/head")"
	grep -qi "^etag: \"$SHA_large\"" "$out/head" || fail "$base: HEAD etag"
	cmp -s "$out/range" <(tail -c +131001 "$TMP/large.bin" | head -c 100) ||
		fail "$base: range bytes differ"
	[ "$(sed -n 46p "$out/w" | cut -d' ' -f2)" = 206 ] || fail "$base: range status"
	[ "$(sed -n 47p "$out/w" | cut -d' ' -f2)" = 304 ] || fail "$base: If-None-Match status"
}

fetch "$SERVER_URL"
fetch "$HTTPS" --cacert "$PKI/cert.pem"

# Two downloads at once on their own connections, a large and many small:
# neither waits for the other.
curl -sS -o "$TMP/par_large" "$SERVER_URL/content/$SHA_large" &
p=$!
for ((i = 0; i < 10; i++)); do
	curl -sS -o "$TMP/par_s" "$SERVER_URL/content/$SHA_small" ||
		fail "small GET beside a large one"
	cmp -s "$TMP/par_s" "$TMP/small.bin" || fail "small answer beside a large one"
done
wait "$p" || fail "large GET beside small ones"
cmp -s "$TMP/par_large" "$TMP/large.bin" || fail "large answer beside small ones"

# A file replaced or removed on disk is never answered from the worker
# threads' caches of ready answers: 12 connections of their own (so every
# worker thread has served the file) and 12 answers on one connection
# each time, before and after the file changes under its name.
# every_answer NAME EXPECTED: all of them are EXPECTED's bytes, or 404
# when EXPECTED is "gone".
every_answer() {
	local sha=$1 want=$2 i args=() code
	for ((i = 0; i < 12; i++)); do
		code=$(curl -sS -o "$TMP/ev$i" -w '%{http_code}' \
			"$SERVER_URL/content/$sha") || fail "GET $sha"
		args+=(-o "$TMP/ka$i" "$SERVER_URL/content/$sha")
		if [ "$want" = gone ]; then
			[ "$code" = 404 ] || fail "removed file answered $code"
		else
			[ "$code" = 200 ] && cmp -s "$TMP/ev$i" "$want" ||
				fail "answer $i is not $want's bytes (HTTP $code)"
		fi
	done
	curl -sS -w '%{http_code}\n' "${args[@]}" >"$TMP/ka.w" ||
		fail "keep-alive GETs of $sha"
	# a HEAD answered from the same cached response: its length, no body
	if [ "$want" != gone ]; then
		curl -sS -I -o "$TMP/ev.head" "$SERVER_URL/content/$sha" ||
			fail "HEAD $sha"
		grep -qi "^content-length: $(stat -c %s "$want")" "$TMP/ev.head" ||
			fail "HEAD of a cached answer: $(cat "$TMP/ev.head")"
	fi
	for ((i = 0; i < 12; i++)); do
		if [ "$want" = gone ]; then
			[ "$(sed -n "$((i + 1))p" "$TMP/ka.w")" = 404 ] ||
				fail "removed file answered on keep-alive: $(cat "$TMP/ka.w")"
		else
			cmp -s "$TMP/ka$i" "$want" ||
				fail "keep-alive answer $i is not $want's bytes"
		fi
	done
}
f=$DATA/content/${SHA_small:0:2}/$SHA_small
every_answer "$SHA_small" "$TMP/small.bin"
# replaced by rename, same size (another inode)
head -c 50001 /dev/urandom >"$TMP/small2.bin"
cp "$TMP/small2.bin" "$f.tmp" && mv "$f.tmp" "$f"
every_answer "$SHA_small" "$TMP/small2.bin"
# rewritten in place, same size (same inode, a new modification time)
head -c 50001 /dev/urandom >"$TMP/small3.bin"
cat "$TMP/small3.bin" >"$f"
every_answer "$SHA_small" "$TMP/small3.bin"
# replaced by a shorter file
head -c 7000 /dev/urandom >"$TMP/small4.bin"
cp "$TMP/small4.bin" "$f.tmp" && mv "$f.tmp" "$f"
every_answer "$SHA_small" "$TMP/small4.bin"
# removed, then back
rm "$f"
every_answer "$SHA_small" gone
cp "$TMP/small.bin" "$f"
every_answer "$SHA_small" "$TMP/small.bin"

# Cached answers carry one Date header of the second they leave in (the
# worker thread's own, renewed once a second, in place of
# libmicrohttpd's), also a cached answer first made seconds before.
for ((i = 0; i < 3; i++)); do
	curl -sS -D "$TMP/dates" -o /dev/null "$SERVER_URL/content/$SHA_small" \
		-o /dev/null "$SERVER_URL/content/$SHA_small" ||
		fail "GET for the Date header"
	now=$(date +%s)
	tr -d '\r' <"$TMP/dates" | grep -i '^date: ' >"$TMP/dates.l" || true
	[ "$(wc -l <"$TMP/dates.l")" = 2 ] ||
		fail "two answers, Date headers: $(cat "$TMP/dates")"
	while read -r _ d; do
		[[ $d =~ ^(Mon|Tue|Wed|Thu|Fri|Sat|Sun),\ [0-3][0-9]\ [A-Z][a-z][a-z]\ [0-9]{4}\ [0-2][0-9]:[0-5][0-9]:[0-6][0-9]\ GMT$ ]] ||
			fail "Date is not an IMF-fixdate: $d"
		t=$(date -d "$d" +%s) || fail "Date $d"
		[ $((now - t)) -ge 0 ] && [ $((now - t)) -le 2 ] ||
			fail "Date $d is $((now - t)) s from now"
	done <"$TMP/dates.l"
	sleep 1.2
done

# A request header of 6 KB (long cookies, a proxy's additions) is
# answered, over TLS too; one of 12 KB is over a connection's 8 KB memory
# pool and is refused, and the server goes on.
pad=$(head -c 6000 /dev/zero | tr '\0' a)
for base in "$SERVER_URL" "$HTTPS"; do
	code=$(curl -sS --cacert "$PKI/cert.pem" -o "$TMP/big_hdr" \
		-w '%{http_code}' -H "X-Pad: $pad" "$base/content/$SHA_small") ||
		fail "GET with a 6 KB header from $base"
	[ "$code" = 200 ] && cmp -s "$TMP/big_hdr" "$TMP/small.bin" ||
		fail "6 KB request header on $base: HTTP $code"
done
pad=$(head -c 12000 /dev/zero | tr '\0' a)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Pad: $pad" \
	"$SERVER_URL/content/$SHA_small") || true
[ "$code" != 200 ] || fail "a 12 KB request header was answered"
curl -sS -o "$TMP/after_big" "$SERVER_URL/content/$SHA_small" &&
	cmp -s "$TMP/after_big" "$TMP/small.bin" ||
	fail "no answer after a refused 12 KB header"

# The access log and the metrics saw them.
grep -q "access 127.0.0.1 GET /content/$SHA_small 200 50001 " "$SERVER_LOG" ||
	fail "no access line for the small file"
grep -q "access 127.0.0.1 HEAD /content/$SHA_large 200 0 " "$SERVER_LOG" ||
	fail "no access line for the HEAD"
grep -q "access 127.0.0.1 GET /content/$SHA_large 206 100 " "$SERVER_LOG" ||
	fail "no access line for the range"
metrics=$(curl -sS -H "Authorization: Bearer $ADMIN_TOKEN" "$SERVER_URL/metrics") ||
	fail "GET /metrics"
grep -q 'route="/content/\*"' <<<"$metrics" ||
	fail "no content route in the metrics: $(grep -m3 content <<<"$metrics")"
server_alive
stop_server
echo "content_serve: ok"
