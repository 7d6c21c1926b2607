#!/usr/bin/env bash
# Reporting that loses nothing: with the server stopped the agent still
# installs from its stored view (files come straight from the catalog in
# storage mode "none") and keeps states and events queued; after the server
# restarts they arrive, exactly once. A batch whose answer was lost
# (simulated by restoring the agent's database from before the
# acknowledgement) is sent again and stored once (event ids). An install
# interrupted by a killed agent is reported as failed on the next start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

U1=cccccccc-0000-4000-8000-000000000001
U2=cccccccc-0000-4000-8000-000000000002
U3=cccccccc-0000-4000-8000-000000000003

catalog_setup
mk() { # ID SCRIPT-BODY
	mkdir -p "$TMP/files/$1"
	printf '%s\n' "$2" >"$TMP/files/$1/install.sh"
	define $1 "Queued $1" \
		"{\"is_installed\":{\"type\":\"file_exists\",\"path\":\"/opt/$1\"},\"is_installable\":{\"type\":\"true\"}}" \
		'{"handler":"script","arguments":["install.sh"]}'
	add $1 "$TMP/files/$1/install.sh"
}
mk $U1 'mkdir -p "$SLUICE_ROOT/opt"; touch "$SLUICE_ROOT/opt/'$U1'"'
mk $U2 'echo "failing on purpose"; exit 7'
# U3 waits for a gate file, so the agent can be killed while it runs.
mk $U3 'echo $$ > "$SLUICE_ROOT/started"; while [ ! -e "$SLUICE_ROOT/go" ]; do sleep 0.1; done; mkdir -p "$SLUICE_ROOT/opt"; touch "$SLUICE_ROOT/opt/'$U3'"'

up() {
	start_server "$DATA" "[upstream]
url = file://$CAT/public
trusted_keys = $KEY
syncs_per_day = 0
[storage]
mode = none"
	if [ -f "$ACONF" ]; then
		sed -i "s|^server = .*|server = $SERVER_URL|" "$ACONF"
	fi
}
queued() { # TABLE
	sqlite3 "$STATE/agent.db" "SELECT count(*) FROM $1"
}
server_events() { # ID KIND
	server_sql "$DATA" \
		"SELECT count(*) FROM events WHERE update_id='$1' AND kind='$2'"
}

up
admin_sync
api POST /v1/admin/groups '{"name":"web"}'
agent_conf
approve $U1 install
approve $U2 install
agent detect || agent_fail "detect"
[ "$(state_of $U1)" = needed ] || agent_fail "U1 before: $(state_of $U1)"

# --- offline: install, queue ------------------------------------------------
stop_server
agent install && agent_fail "install with the server down must exit non-zero"
[ -e "$ROOT/opt/$U1" ] || agent_fail "U1 not installed offline"
grep -q "report not sent" "$AGENT_LOG" || agent_fail "no 'report not sent' line"
[ "$(queued queue_events)" = 2 ] || agent_fail "queued events: $(queued queue_events)"
[ "$(queued queue_states)" = 2 ] || agent_fail "queued states: $(queued queue_states)"
# A detection while still offline re-queues states, never duplicates.
agent detect && agent_fail "detect offline must exit non-zero"
[ "$(queued queue_events)" = 2 ] || agent_fail "events after detect: $(queued queue_events)"
[ "$(queued queue_states)" = 2 ] || agent_fail "states after detect: $(queued queue_states)"
sqlite3 "$STATE/agent.db" ".backup '$TMP/agent-before-ack.db'"

# --- back online: everything arrives once -----------------------------------
up
agent detect || agent_fail "detect online"
[ "$(state_of $U1)" = installed ] || agent_fail "U1: $(state_of $U1)"
[ "$(state_of $U2)" = failed ] || agent_fail "U2: $(state_of $U2)"
[ "$(detail_of $U2)" = "exit code 7" ] || agent_fail "U2 detail: $(detail_of $U2)"
[ "$(server_events $U1 install)" = 1 ] || agent_fail "U1 events: $(server_events $U1 install)"
[ "$(server_events $U2 install)" = 1 ] || agent_fail "U2 events: $(server_events $U2 install)"
[ "$(queued queue_events)" = 0 ] || agent_fail "queue not empty"
[ "$(queued queue_states)" = 0 ] || agent_fail "state queue not empty"

# The answer to that report "was lost": the same batch is sent again.
rm -f "$STATE/agent.db-wal" "$STATE/agent.db-shm"
cp "$TMP/agent-before-ack.db" "$STATE/agent.db"
agent detect || agent_fail "detect after restore"
grep -q "reported 2 state(s) and 2 event(s) (0 new)" "$AGENT_LOG" ||
	agent_fail "the resent events were not recognised as known"
[ "$(server_events $U1 install)" = 1 ] || agent_fail "U1 event duplicated"
[ "$(server_events $U2 install)" = 1 ] || agent_fail "U2 event duplicated"

# --- an install interrupted by a dead agent -------------------------------
approve $U3 install
"$AGENT" install --config "$ACONF" >>"$AGENT_LOG" 2>&1 &
APID=$!
for ((i = 0; i < 200; i++)); do
	[ -s "$ROOT/started" ] && break
	sleep 0.1
done
[ -s "$ROOT/started" ] || agent_fail "U3 did not start"
kill -KILL $APID
wait $APID 2>/dev/null || true
# The installer leads its own process group; end it by that id.
kill -KILL -- "-$(cat "$ROOT/started")" 2>/dev/null || true
[ "$(queued journal)" = 1 ] || agent_fail "no journal row while U3 ran"
stop_server
agent detect && agent_fail "offline detect must exit non-zero"
grep -q "interrupted when the agent stopped" "$AGENT_LOG" ||
	agent_fail "journal not recovered"
[ "$(queued journal)" = 0 ] || agent_fail "journal row left"

up
agent detect || agent_fail "detect after the crash"
[ "$(state_of $U3)" = failed ] || agent_fail "U3: $(state_of $U3)"
[ "$(detail_of $U3)" = "interrupted: agent stopped during install; result unknown" ] ||
	agent_fail "U3 detail: $(detail_of $U3)"
[ "$(server_events $U3 install)" = 1 ] || agent_fail "U3 events: $(server_events $U3 install)"

# Retried at the next install, it now completes.
touch "$ROOT/go"
agent install && agent_fail "U2 still fails: install must exit non-zero"
[ "$(state_of $U3)" = installed ] || agent_fail "U3 after retry: $(state_of $U3)"
[ "$(server_events $U3 install)" = 2 ] || agent_fail "U3 events after retry"
echo ok
