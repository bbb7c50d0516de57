#!/usr/bin/env bash
# Fleet-aware expand/contract (README "Fleet and contract migrations"): real supervisors of an old image heartbeat into
# slipway_fleet; an upgrade whose contract migration they still need applies what comes before
# it and exits 6 naming them; stopped replicas leave, a SIGKILLed one expires (fleet_ttl), and
# the waiting upgrade then goes on; the old image's health refuses the contracted schema;
# --force-contract; a role without rights on the registry; no connection held between beats.
# Every wait is on a row, a log line or a process, bounded generously; no fixed sleeps.
TEST_NAME=fleet
. "$SRCDIR/tests/upgrade/lib.sh"

OLD=$TMP/old NEW=$TMP/new CONF_OLD=$TMP/old.ini CONF_NEW=$TMP/new.ini
mkdir -p "$OLD" "$NEW"
echo "CREATE TABLE t (a int, b int);" >"$OLD/0001_t.sql"
cp "$OLD/0001_t.sql" "$NEW/"
echo "ALTER TABLE t ADD COLUMN c int; -- expand: the new release writes c" >"$NEW/0002_c.sql"
printf -- '-- the release before stopped reading b\n-- slipway:contract\nALTER TABLE t DROP COLUMN b;\n' \
    >"$NEW/0003_drop_b.sql"

# fleet_conf FILE IMAGE DIR: a short heartbeat and TTL, so that expiry is quick to reach.
fleet_conf() {
    {
        printf '[serve]\nheartbeat = 500ms\nimage = %s\n' "$2"
        printf '[database]\nurl = host=%s port=%s dbname=%s\nwait = 2s\n' "$PGHOST" "$PGPORT" "$DB"
        printf '[migrations]\ndir = %s\nfleet_ttl = 2s\n' "$3"
    } >"$1"
}
fleet_conf "$CONF_OLD" v1 "$OLD"
fleet_conf "$CONF_NEW" v2 "$NEW"
CONF=$CONF_NEW # sw (lib.sh) runs the new image

rows() { [ "$(q "SELECT count(*) FROM slipway_fleet WHERE image = '$1'")" = "$2" ]; }
logged() { grep -q -- "$2" "$1" 2>/dev/null; }

# serve NAME CONF [ENV...]: a supervisor running sleep, its log in $TMP/NAME.log.
declare -A PID
INST=()
serve() {
    local name=$1 conf=$2
    shift 2
    env SLIPWAY_SERVE_HEALTH_SOCKET="$TMP/$name.sock" "$@" \
        "$SLIPWAY" -c "$conf" -v -- sleep 1000 >/dev/null 2>"$TMP/$name.log" &
    PID[$name]=$!
}
# SIGKILL leaves a supervisor's server behind (nobody forwards it): kill the server first.
kill_replica() {
    local server
    server=$(pgrep -P "$1" -x sleep)
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    [ -n "$server" ] && kill -KILL "$server" 2>/dev/null
}
stop_all() { for p in "${PID[@]}"; do kill_replica "$p"; done; }
trap 'stop_all; cleanup_db; q_role "DROP ROLE IF EXISTS $ROLE"' EXIT
ROLE=fleet_norights_$$
q_role() { psql -X -A -t -q -d postgres -c "$1" >/dev/null 2>&1; }

"$SLIPWAY" -c "$CONF_OLD" --upgrade >"$LOG" 2>&1
is "$?" 0 "the old release's upgrade creates the tables"

# ---- three replicas of the old image register ---------------------------------------------
for n in a b c; do serve "$n" "$CONF_OLD"; done
wait_for 30 rows v1 3
ok $? "three supervisors of image v1 registered"
is "$(q "SELECT DISTINCT requires::text FROM slipway_fleet")" "{1}" \
    "each with the schema version its image requires"
for n in a b c; do
    instance=$(sed -n 's/.*fleet: registered as \([^ ]*\) .*/\1/p' "$TMP/$n.log")
    is "$(q "SELECT count(*) FROM slipway_fleet WHERE instance = '$instance'")" 1 \
        "replica $n logged its instance ($instance) and that row exists"
    INST[${#INST[@]}]=$instance
done

sw status
line=$(printf '%s\n' "$OUT" | grep "image v1, requires 1: 3 replicas:")
ok $? "status groups the live fleet by image and requirement"
for i in "${INST[@]}"; do like "$line" " $i" "the group lists $i"; done
sw status --json
is "$(printf '%s' "$OUT" | python3 -c 'import json,sys; f=json.load(sys.stdin)["fleet"]; print(f[0]["image"], f[0]["requires"], len(f[0]["instances"]))')" \
    "v1 1 3" "status --json: one group, image v1, requires 1, three instances"

# ---- heartbeats hold no connection between beats --------------------------------------------
# The beats go on (last_seen moves past a mark, several times), yet no fleet connection stays.
mark=$(q "SELECT now()")
beaten_since_mark() {
    [ "$(q "SELECT count(*) FROM slipway_fleet WHERE last_seen > '$mark'::timestamptz + interval '1 s'")" = 3 ]
}
wait_for 30 beaten_since_mark
ok $? "heartbeats refresh last_seen (three replicas, past a mark plus two beats)"
# A held connection would be as old as its replica: once every replica has run 6 s, a fleet
# backend older than 5 s would be one (a beat's own lasts milliseconds, or a second or two on
# a loaded machine).
old_enough() { [ "$(q "SELECT count(*) FROM slipway_fleet WHERE started < now() - interval '6 s'")" = 3 ]; }
wait_for 30 old_enough
old_conns=0
for _ in $(seq 20); do
    n=$(q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'slipway fleet%' AND backend_start < now() - interval '5 s'")
    old_conns=$((old_conns + n))
    sleep 0.1
done
is "$old_conns" 0 "no heartbeat connection outlives its beat (pg_stat_activity, 20 samples)"

# ---- the contract waits for them -----------------------------------------------------------
"$SLIPWAY" -c "$CONF_NEW" --upgrade >"$LOG" 2>&1
is "$?" 6 "upgrade with a contract migration the live fleet still needs: exit 6"
out=$(cat "$LOG")
like "$out" "0003_drop_b.sql is a contract migration (floor 2) and 3 live replicas" \
    "it names the contract migration, its floor and how many replicas"
for i in "${INST[@]}"; do like "$out" "image v1, instance $i, requires 1" "it names replica $i"; done
is "$(q "SELECT max(version)::text FROM slipway_migrations WHERE success")" "{2}" \
    "what came before the contract migration was applied"
is "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'b'")" 1 \
    "the contract migration was not"

SLIPWAY_MIGRATIONS_CONTRACT_WAIT=120s "$SLIPWAY" -c "$CONF_NEW" --upgrade >"$TMP/wait.log" 2>&1 &
up=$!
wait_for 30 logged "$TMP/wait.log" "waits for 3 older replicas"
ok $? "a waiting upgrade logs the replicas it waits for"
signal_and_wait "${PID[a]}" TERM >/dev/null
signal_and_wait "${PID[b]}" TERM >/dev/null
wait_for 30 rows v1 1
ok $? "two replicas stopped cleanly: their rows are gone"
wait_for 30 logged "$TMP/wait.log" "waits for 1 older replica"
ok $? "the upgrade now waits for the third only (re-checked, logged every 5 s)"
kill -0 "$up" 2>/dev/null
ok $? "and is still waiting"
kill_replica "${PID[c]}"
unset 'PID[c]'
wait_for 60 eval '! kill -0 $up 2>/dev/null'
wait "$up"
is "$?" 0 "once the SIGKILLed replica expired, the upgrade applied the contract migration"
like "$(cat "$TMP/wait.log")" "no replica requires less than 2 any more" "and said why it went on"
is "$(q "SELECT contract_floor::text FROM slipway_migrations WHERE version = '{3}'")" "{2}" \
    "the history records the contract migration's floor"
is "$(q "SELECT (m.applied_at - f.last_seen) >= interval '2 s' FROM slipway_migrations m, slipway_fleet f WHERE m.version = '{3}'")" t \
    "it ran only after the killed replica's last heartbeat was fleet_ttl old"

# ---- health: the old image refuses the contracted schema, the new one is fine ----------------
out=$(SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/none.sock "$SLIPWAY" -c "$CONF_OLD" health)
is "$?" 1 "the old image is unhealthy on the contracted schema"
is "$out" "database: contracted at 3 past this image (needs >= 2, this image requires 1)" \
    "with one line saying why"
out=$(SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/none.sock "$SLIPWAY" -c "$CONF_NEW" health)
is "$?" 0 "the new image is healthy"

# ---- --force-contract -------------------------------------------------------------------------
serve d "$CONF_NEW"
wait_for 30 rows v2 1
ok $? "a replica of image v2 (requires 3) registered"
printf -- '-- slipway:contract floor=4\nALTER TABLE t DROP COLUMN a;\n' >"$NEW/0004_drop_a.sql"
sw --upgrade
is "$RC" 6 "a contract migration with floor=4 waits for the replica requiring 3"
sw --upgrade --force-contract
is "$RC" 0 "--force-contract applies it anyway"
like "$OUT" "warning: --force-contract: applying 0004_drop_a.sql (floor 4) although 1 live replica" \
    "loudly, naming how many replicas"
like "$OUT" "image v2, instance" "and which"
is "$(q "SELECT contract_floor::text FROM slipway_migrations WHERE version = '{4}'")" "{4}" \
    "the explicit floor is recorded"
signal_and_wait "${PID[d]}" TERM >/dev/null
unset 'PID[d]'

# ---- a role without rights on the registry keeps serving, with one warning -------------------
q_role "CREATE ROLE $ROLE LOGIN"
q "GRANT CONNECT ON DATABASE \"$DB\" TO $ROLE" >/dev/null
sed "s/^url = .*/& user=$ROLE/" "$CONF_OLD" >"$TMP/norights.ini"
serve e "$TMP/norights.ini"
wait_for 30 logged "$TMP/e.log" "fleet: beat 4 "
ok $? "the replica without rights goes on beating"
is "$(grep -c 'warning: fleet: cannot register' "$TMP/e.log")" 1 "with exactly one warning"
like "$(cat "$TMP/e.log")" "permission denied for table slipway_fleet" "saying why"
like "$(cat "$TMP/e.log")" "the role needs SELECT, INSERT, UPDATE and DELETE on slipway_fleet" \
    "and which grants it needs"
pgrep -P "${PID[e]}" -x sleep >/dev/null
ok $? "its server is still running"
signal_and_wait "${PID[e]}" TERM >/dev/null
unset 'PID[e]'

done_testing
