#!/usr/bin/env bash
# A rolling deploy with a migration, under load, measured: HAProxy in front of replicas that
# are slipway supervisors on this host, each running one release of tests/deploy/app.py (which
# writes and reads its release's columns), HAProxy routing only to those whose /readyz
# (health_listen) is 200, tests/deploy/load.py sending requests the whole time.
#   1. release 1 serves on 3 replicas;
#   2. release 2 (an expand migration): 3 release-2 replicas start gated (not ready), the
#      upgrade runs once, they turn ready, two release-1 replicas are drained and stopped;
#   3. release 3 (a contract migration, floor 2): its upgrade exits 6 naming the release-1
#      replica still alive; run again with contract_wait, it waits until that replica is
#      drained and stopped, then applies it; 3 release-3 replicas turn ready, release 2 goes;
#   4. roll back to release 2 on the release-3 schema: healthy, it serves; roll back to
#      release 1: its healthcheck refuses (below the contract's floor), it never takes traffic.
# Every replica registers in slipway_fleet (fleet = true, the default), its image label
# "release-N". Asserts 0 failed requests and prints the figures (requests, p50/p99, the time
# from the upgrade's COMMIT to the first request a release-2 replica served).
# No `set -e`: TAP assertions test exit statuses.
set -uo pipefail
. "$SRCDIR/tests/lib/tap.sh"
: "${PGHOST:?run under tests/run-all.sh (PGHOST/PGPORT from tests/lib/pg.sh)}"
PY=/usr/bin/python3 # Debian's, with python3-psycopg2
HERE=$SRCDIR/tests/deploy
DB=deploy_rolling_$$
URL=postgresql://postgres@127.0.0.1:$PGPORT/$DB
REPLICAS=(r1a r1b r1c r2a r2b r2c r3a r3b r3c) # r<release><letter>
declare -A SUP APP_PORT HEALTH_PORT
HAPROXY='' LOAD=''

bail() {
    echo "Bail out! $*"
    exit 1
}
cleanup() {
    local pid
    for pid in "${SUP[@]}" $LOAD $HAPROXY; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${SUP[@]}" $LOAD $HAPROXY; do wait "$pid" 2>/dev/null; done
    dropdb --if-exists --force "$DB" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
wait_until() { # SECONDS COMMAND...: polls COMMAND every 50 ms until it succeeds
    local deadline=$(($(date +%s) + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
}
command -v haproxy >/dev/null || bail "haproxy is not installed (tests/packages.txt)"
$PY -c 'import psycopg2' 2>/dev/null || bail "python3-psycopg2 is not installed (tests/packages.txt)"

# Free ports for everything that listens: the frontend, HAProxy's runtime API, and an app and a
# health port per replica (bound at once, then released: nothing else takes them that fast).
read -r FRONT STATS SPARE rest < <($PY -c '
import socket
socks = [socket.socket() for _ in range(21)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')
read -ra rest <<<"$rest"
for i in "${!REPLICAS[@]}"; do
    APP_PORT[${REPLICAS[$i]}]=${rest[$((2 * i))]}
    HEALTH_PORT[${REPLICAS[$i]}]=${rest[$((2 * i + 1))]}
done

# What each release's image ships: its migrations; the database URL is the same.
for r in 1 2 3; do
    printf '[database]\nurl = %s\n[migrations]\ndir = %s\n' "$URL" "$HERE/release-$r/migrations" \
        >"$TMP/release-$r.ini"
done
upgrade() { # RELEASE: `docker run IMAGE --upgrade` of that release; JSON log in $TMP/upgrade-R.log
    "$SLIPWAY" -c "$TMP/release-$1.ini" --log-format json --upgrade >"$TMP/upgrade-$1.log" 2>&1
}
logged() { grep -q -- "$2" "$1"; } # logged FILE TEXT

# replica_start NAME: `docker run IMAGE` of the replica's release: slipway gated on the schema
# (wait_for = database), /readyz on its health port, the app as its server.
replica_start() {
    local r=${1:1:1}
    SLIPWAY_SERVE_WAIT_FOR=database SLIPWAY_SERVE_STOP_SIGNAL=TERM SLIPWAY_SERVE_IMAGE=release-$r \
        SLIPWAY_SERVE_HEALTH_LISTEN=127.0.0.1:${HEALTH_PORT[$1]} \
        SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/$1.sock PGDATABASE=$DB \
        "$SLIPWAY" -c "$TMP/release-$r.ini" --log-format json -- \
        $PY "$HERE/app.py" "$r" "${APP_PORT[$1]}" "$1" >>"$TMP/$1.log" 2>&1 &
    SUP[$1]=$!
}
probe() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:${HEALTH_PORT[$1]}$2"; }
is_alive() { [ "$(probe "$1" /healthz)" = 200 ]; }

# HAProxy's runtime API (a TCP stats socket: bash can talk to it without socat).
hacmd() {
    exec 3<>"/dev/tcp/127.0.0.1/$STATS" || return 1
    printf '%s\n' "$*" >&3
    cat <&3
    exec 3<&-
}
# stat NAME COLUMN: a column of `show stat` for a server (or BACKEND): scur, status, wretr...
stat() {
    hacmd "show stat" | awk -F, -v s="$1" -v c="$2" '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == c || $i == "# " c) col = i }
        $1 == "app" && $2 == s { print $col }'
}
is_routed() { [ "$(stat "$1" status)" = UP ]; }
idle() { [ "$(stat "$1" scur)" = 0 ]; }

# served NAME: requests the load generator got answered by that replica so far.
served() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], 0))' \
    "$TMP/load.json.progress" "$1" 2>/dev/null || echo 0; }
served_at_least() { [ "$(served "$1")" -ge "$2" ]; }
# serves NAME: waits until NAME answered 50 more requests than when called.
serves() { wait_until 60 served_at_least "$1" $(($(served "$1") + 50)); }

# retire NAME: a graceful stop: HAProxy stops routing to it (drain) and waits for the requests
# in flight, then `docker stop` (TERM, forwarded to the app, which finishes and exits 0), sent
# at $term_ms.
retire() {
    hacmd "set server app/$1 state drain" >/dev/null
    wait_until 30 idle "$1"
    ok $? "$1: drained by HAProxy, no request in flight"
    term_ms=$(now_ms)
    kill -TERM "${SUP[$1]}"
    wait "${SUP[$1]}"
    is "$?" 0 "$1: stopped gracefully, exit 0"
    unset "SUP[$1]"
}
# hand_over WHY "NEW..." "OLD...": the new replicas turn routable (WHY), the old ones are
# retired, then the new ones serve alone.
hand_over() {
    local n
    for n in $2; do
        wait_until 30 is_routed "$n"
        ok $? "$n: $1, HAProxy routes to it"
    done
    for n in $3; do retire "$n"; done
    for n in $2; do
        serves "$n"
        ok $? "$n serves alone"
    done
}

createdb "$DB" || bail "createdb $DB failed"
upgrade 1
ok $? "release 1's upgrade: schema version 1"

{
    cat <<CFG
global
    stats socket ipv4@127.0.0.1:$STATS level admin
    maxconn 2000
    log stdout format raw local0 info
defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    # /readyz is 200 as soon as slipway started the server, which may not listen yet: a
    # connection refused marks that replica down at once and the request is retried on
    # another (counted below); at most 3 replicas start at once.
    retries 6
    option redispatch 1
frontend web
    bind 127.0.0.1:$FRONT
    default_backend app
backend app
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    # Probe every 100 ms; a replica turns routable on its first 200, unroutable after three
    # failures (the graceful stop does not wait for them: it drains the replica first).
    timeout check 2s
    default-server inter 100ms fastinter 100ms downinter 100ms rise 1 fall 3 observe layer4 error-limit 1 on-error mark-down
CFG
    for n in "${REPLICAS[@]}"; do
        echo "    server $n 127.0.0.1:${APP_PORT[$n]} check port ${HEALTH_PORT[$n]}"
    done
} >"$TMP/haproxy.cfg"
haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 &
HAPROXY=$!
wait_until 10 hacmd "show info"
ok $? "HAProxy runs, its health checks on each replica's /readyz"

# ---- 1. release 1 on three replicas, under load ---------------------------------------------
t_start=$(now_ms)
for n in r1a r1b r1c; do replica_start $n; done
for n in r1a r1b r1c; do
    wait_until 30 is_routed $n
    ok $? "$n: ready, HAProxy routes to it"
done
$PY "$HERE/load.py" "http://127.0.0.1:$FRONT/" 4 "$TMP/load.json" &
LOAD=$!
for n in r1a r1b r1c; do
    serves $n
    ok $? "$n serves requests under load"
done

# ---- 2. release 2: an expand migration --------------------------------------------------------
# First, why the gate matters: release 2's app on release 1's schema really fails.
PGDATABASE=$DB $PY "$HERE/app.py" 2 "$SPARE" probe >/dev/null 2>&1 &
probe_app=$!
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$SPARE/"
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SPARE/")" 500 \
    "release 2's app answers 500 on release 1's schema"
kill -TERM $probe_app
wait $probe_app

for n in r2a r2b r2c; do replica_start $n; done
for n in r2a r2b r2c; do
    wait_until 10 is_alive $n
    ok $? "$n: started, alive (/healthz 200)"
    is "$(probe $n /readyz)" 503 "$n: not ready before the upgrade (/readyz 503)"
    is "$(stat $n status)" DOWN "$n: HAProxy does not route to it"
done
is "$(for n in r2a r2b r2c; do pgrep -P "${SUP[$n]}"; done)" "" \
    "no release-2 app runs: the supervisors wait on the schema"

upgrade 2
rc=$?
is "$rc" 0 "release 2's upgrade, once, under load"
[ "$rc" = 0 ] || sed 's/^/#   /' "$TMP/upgrade-2.log"
# The COMMIT: the migration's transaction started at applied_at and took duration_ms.
commit_ms=$(psql -X -A -t -d "$DB" -c "SELECT (extract(epoch FROM applied_at) * 1000
    + duration_ms)::bigint FROM slipway_migrations WHERE version = '{2}'")
for n in r2a r2b r2c; do
    wait_until 30 is_routed $n
    ok $? "$n: ready after the upgrade, HAProxy routes to it"
done
for n in r2a r2b r2c; do
    serves $n
    ok $? "$n serves requests under load"
done
# From the COMMIT to each release-2 supervisor starting its server (the gate, on NOTIFY),
# and to its app serving (its own start-up: Python and psycopg2).
gate_ms=() app_ms=()
for n in r2a r2b r2c; do
    ts=$(sed -n 's/.*"ts":"\([^"]*\)".*starting the server.*/\1/p' "$TMP/$n.log" | head -n 1)
    gate_ms+=($(($(date -d "$ts" +%s%3N) - commit_ms)))
    app_ms+=($(($(sed -n 's/^app: .* at \([0-9]*\) ms$/\1/p' "$TMP/$n.log" | head -n 1) - commit_ms)))
done
# r1c stays: the replica of the old release a stuck rollout or a forgotten pool leaves behind.
for n in r1a r1b; do retire $n; done
serves r1c
ok $? "r1c (release 1) still serves on the release-2 schema"

# ---- 3. release 3: a contract migration, while a release-1 replica lives ----------------------
q() { psql -X -A -t -d "$DB" -c "$1"; }
fleet() { q "SELECT string_agg(image || ' ' || requires::text, ', ' ORDER BY image) FROM slipway_fleet"; }
fleet_is() { [ "$(fleet)" = "$1" ]; }
want_fleet="release-1 {1}, release-2 {2}, release-2 {2}, release-2 {2}"
wait_until 30 fleet_is "$want_fleet"
is "$(fleet)" "$want_fleet" "the fleet registry: one release-1 replica, three release-2 ones"
for n in r3a r3b r3c; do replica_start $n; done
for n in r3a r3b r3c; do
    wait_until 10 is_alive $n
    ok $? "$n: started, alive, not ready before its upgrade"
done
upgrade 3
is "$?" 6 "release 3's upgrade exits 6: its contract migration waits for release 1"
like "$(cat "$TMP/upgrade-3.log")" "image release-1, instance $(hostname)/" \
    "it names the release-1 replica it waits for"
is "$(q "SELECT count(*) FROM slipway_migrations WHERE version = '{3}'")" 0 \
    "the contract migration did not run"
serves r1c
ok $? "r1c still serves: its schema is intact"

SLIPWAY_MIGRATIONS_CONTRACT_WAIT=5m upgrade 3 &
contract=$!
wait_until 60 logged "$TMP/upgrade-3.log" "waits for 1 older replica"
ok $? "run with contract_wait, the upgrade waits for that replica"
kill -0 $contract 2>/dev/null
ok $? "and is still waiting while r1c lives"
retire r1c
r1c_term_ms=$term_ms
wait $contract
rc=$?
is "$rc" 0 "r1c gone (its row deleted on its clean stop), the contract migration ran"
[ "$rc" = 0 ] || sed 's/^/#   /' "$TMP/upgrade-3.log"
is "$(q "SELECT contract_floor::text || ' ' || (SELECT count(*) FROM items WHERE note IS NULL)
    FROM slipway_migrations WHERE version = '{3}'")" "{2} 0" \
    "its floor, 2, is in the history; every row has a note"
contract_ms=$(q "SELECT (extract(epoch FROM applied_at) * 1000)::bigint FROM slipway_migrations
    WHERE version = '{3}'")
hand_over "ready after the contract" "r3a r3b r3c" "r2a r2b r2c"

# ---- 4. roll back: to release 2 works, to release 1 is refused ---------------------------------
for n in r2a r2b r2c; do
    replica_start $n
    hacmd "set server app/$n state ready" >/dev/null
done
hand_over "(rollback to release 2) healthy on the contracted schema" "r2a r2b r2c" "r3a r3b r3c"
r1a_served=$(served r1a) # its requests of step 1
replica_start r1a
hacmd "set server app/r1a state ready" >/dev/null
wait_until 10 is_alive r1a
ok $? "r1a (rollback to release 1): its supervisor runs"
wait_until 30 logged "$TMP/r1a.log" "contracted at"
ok $? "r1a: its health check refuses the schema, contracted past release 1"
is "$(probe r1a /readyz)" 503 "r1a: not ready (/readyz 503)"
is "$(pgrep -P "${SUP[r1a]}")" "" "r1a: its app never started"
serves r2a
ok $? "r2a served 50 more requests meanwhile"
is "$(stat r1a status)" DOWN "r1a: HAProxy does not route to it"
is "$(served r1a)" "$r1a_served" "r1a: no request reached it"
kill -TERM "${SUP[r1a]}"
wait "${SUP[r1a]}"
unset 'SUP[r1a]'

kill -TERM $LOAD
wait $LOAD
LOAD=''
t_total=$((($(now_ms) - t_start) / 1000))
summary=$(cat "$TMP/load.json")
get() { $PY -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$summary" "$1"; }
first_r2=$($PY -c 'import json,sys; print(json.loads(sys.argv[1])["first_ms"]["2"])' "$summary")
is "$(get failed)" 0 "0 failed requests through the whole deploy and rollback"
if [ "$(get failed)" != 0 ]; then
    $PY -c 'import json,sys; [print("#  ", f) for f in json.loads(sys.argv[1])["failures"]]' "$summary"
    grep -v ' 200 ' "$TMP/haproxy.log" | tail -n 20 | sed 's/^/#   /'
fi
redispatched=$(stat BACKEND wredis)
echo "# $(get requests) requests in $(get seconds) s ($(get rps)/s, 4 clients): p50 $(get p50_ms) ms," \
    "p99 $(get p99_ms) ms, max $(get max_ms) ms; $redispatched connections refused by a starting app, redispatched by HAProxy"
echo "# from the upgrade's COMMIT: release-2 servers started ${gate_ms[*]} ms, apps serving" \
    "${app_ms[*]} ms, first request served by release 2 $((first_r2 - commit_ms)) ms; the contract migration began" \
    "$((contract_ms - r1c_term_ms)) ms after the last release-1 replica got SIGTERM; test ${t_total} s"

done_testing
