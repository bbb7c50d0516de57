#!/usr/bin/env bash
# PostgreSQL restarted, then down for a while, under heartbeating supervisors (a server of
# its own: restarting the shared one would disturb the other tests). They serve on, never
# block (a stop signal during the outage is forwarded at once), warn once, and re-register
# when the server is back. /metrics shows the fleet as the last beat read it, also while the
# server is down: a scrape never needs the database.
. "$SRCDIR/tests/lib/tap.sh"
. "$SRCDIR/tests/faults/lib.sh"

port=$(free_port)
pgdir=$TMP/pg
chmod 755 "$TMP"
declare -A PID
cleanup() {
    for p in "${PID[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    "$SRCDIR/tests/lib/pg.sh" stop "$pgdir" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
eval "$("$SRCDIR/tests/lib/pg.sh" start "$pgdir" "$port")" || { echo "Bail out! cannot start PostgreSQL"; exit 1; }
pg_ctl() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$SLIPWAY_TEST_PGBIN/pg_ctl" "$@"; else "$SLIPWAY_TEST_PGBIN/pg_ctl" "$@"; fi; }

mkdir -p "$TMP/mig"
echo "CREATE TABLE t (a int);" >"$TMP/mig/0001_t.sql"
CONF=$TMP/slipway.ini
cat >"$CONF" <<INI
[serve]
heartbeat = 300ms
image = v1
[database]
url = host=$pgdir port=$port dbname=postgres user=postgres
connect_timeout = 2s
[migrations]
dir = $TMP/mig
INI
q() { psql -X -A -t -q -d postgres -c "$1" 2>/dev/null; }
"$SLIPWAY" -c "$CONF" --upgrade >/dev/null 2>&1
is "$?" 0 "upgrade creates the registry"

http_port=$(free_port)
for n in a b; do
    listen=
    [ "$n" = a ] && listen=127.0.0.1:$http_port
    SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/$n.sock SLIPWAY_SERVE_HEALTH_LISTEN=$listen \
        "$SLIPWAY" -c "$CONF" -v -- sleep 1000 >/dev/null 2>"$TMP/$n.log" &
    PID[$n]=$!
done
registered() { [ "$(q "SELECT count(*) FROM slipway_fleet")" = 2 ]; }
wait_until 30000 registered
ok $? "two supervisors registered"
FLEET_METRIC='slipway_fleet_replicas{image="v1",requires="1"} 2'
metrics_show_both() { curl -sf "http://127.0.0.1:$http_port/metrics" | grep -qxF "$FLEET_METRIC"; }
wait_until 30000 metrics_show_both
ok $? "/metrics of replica a: $FLEET_METRIC (read by its heartbeat)"

# 1. A fast restart (every session terminated): the beats go on afterwards.
"$SRCDIR/tests/lib/pg.sh" restart "$pgdir"
ok $? "PostgreSQL restarted (fast) under heartbeating supervisors"
mark=$(q "SELECT now()")
refreshed() { [ "$(q "SELECT count(*) FROM slipway_fleet WHERE last_seen > '$mark'")" = 2 ]; }
wait_until 30000 refreshed
ok $? "both replicas beat again after the restart"

# 2. Down for a while: each warns once and serves on; a stop signal is not held up.
# (the restart above may have cost a beat a warning too: only what follows the stop counts)
from_a=$(($(wc -l <"$TMP/a.log") + 1)) from_b=$(($(wc -l <"$TMP/b.log") + 1))
since_stop() { if [ "$1" = a ]; then tail -n +"$from_a" "$TMP/a.log"; else tail -n +"$from_b" "$TMP/b.log"; fi; }
pg_ctl -D "$SLIPWAY_TEST_PGDATA" -m fast -w stop >/dev/null
warned() { since_stop a | grep -q "warning: fleet: cannot register" && since_stop b | grep -q "warning: fleet: cannot register"; }
wait_until 30000 warned
ok $? "with the server down, each supervisor warns"
beats_after_warning() { [ "$(since_stop a | sed -n '/warning: fleet: cannot register/,$p' | grep -c 'fleet: beat ')" -ge 3 ]; }
wait_until 30000 beats_after_warning
ok $? "and keeps beating"
metrics=$(curl -sf "http://127.0.0.1:$http_port/metrics")
ok $? "/metrics answers with the database down"
like "$metrics" "$FLEET_METRIC" "showing the fleet as last seen"
is "$(since_stop a | grep -c 'warning: fleet: cannot register')" 1 "once: one warning for the whole outage"
pgrep -P "${PID[a]}" -x sleep >/dev/null
ok $? "its server is still running"
signal_and_wait "${PID[b]}" TERM
unset 'PID[b]'
is "$RC" 143 "a stop signal during the outage reaches the server (128+15)"
((ELAPSED < 10000))
ok $? "and the supervisor exits without hanging on the database (${ELAPSED} ms)"

pg_ctl -D "$SLIPWAY_TEST_PGDATA" -l "$pgdir/server.log" -w -t 60 start >/dev/null
ok $? "PostgreSQL back"
mark=$(q "SELECT now()")
again() { since_stop a | grep -q "fleet: registered again as"; }
wait_until 30000 again
ok $? "the surviving replica registers again"
one_fresh() { [ "$(q "SELECT count(*) FROM slipway_fleet WHERE last_seen > '$mark'")" = 1 ]; }
wait_until 30000 one_fresh
ok $? "its row is fresh again (the one stopped during the outage is left to expire)"

done_testing
