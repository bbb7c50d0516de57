#!/usr/bin/env bash
# A database restart while a supervisor waits on wait_for: it reconnects with backoff and
# still starts the server within moments of the upgrade. Uses a PostgreSQL of its own, since
# restarting the shared one would disturb the other tests.
. "$SRCDIR/tests/lib/tap.sh"

port=$((28000 + $$ % 4000)) # below the ephemeral range (32768+)
pgdir=$TMP/pg
chmod 755 "$TMP"
eval "$("$SRCDIR/tests/lib/pg.sh" start "$pgdir" "$port")"
trap '"$SRCDIR/tests/lib/pg.sh" stop "$pgdir"; rm -rf "$TMP"' EXIT
mkdir -p "$TMP/mig"
printf 'CREATE TABLE a (id int);\n' >"$TMP/mig/0001_a.sql"
cat >"$TMP/s.ini" <<INI
[serve]
wait_for = database
health_socket = $TMP/health.sock
[database]
url = host=$pgdir port=$port dbname=postgres user=postgres
wait = 30s
[migrations]
dir = $TMP/mig
INI

# The supervisor's waiting connection, as the server sees it.
waiting() {
    psql -X -A -t -q -h "$pgdir" -p "$port" -U postgres -d postgres -c \
        "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'slipway wait%'" 2>/dev/null
}
waiting_is() { [ "$(waiting)" = "$1" ]; }

"$SLIPWAY" -c "$TMP/s.ini" -- sh -c "touch '$TMP/started'; exec sleep 60" 2>"$TMP/sup.log" &
sup=$!
wait_for 30 waiting_is 1
ok $? "the supervisor is connected and waiting"
"$SRCDIR/tests/lib/pg.sh" restart "$pgdir"
ok $? "PostgreSQL restarted (fast) under a waiting supervisor"
wait_for 30 grep -q reconnecting "$TMP/sup.log" && wait_for 30 waiting_is 1
ok $? "the supervisor noticed, reconnected and waits again"
alive "$sup" && [ ! -e "$TMP/started" ]
ok $? "and has not started the server"
"$SLIPWAY" -q -c "$TMP/s.ini" --upgrade
is "$?" 0 "upgrade after the restart"
wait_for 10 test -e "$TMP/started"
ok $? "the server starts after the upgrade"
like "$(cat "$TMP/sup.log")" "reconnecting" "the supervisor said it lost the connection and reconnected"
signal_and_wait "$sup" TERM
is "$RC" 143 "server stopped by SIGTERM: 143"

done_testing
