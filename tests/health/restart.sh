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

"$SLIPWAY" -c "$TMP/s.ini" -- sh -c "touch '$TMP/started'; exec sleep 60" 2>"$TMP/sup.log" &
sup=$!
sleep 0.7
"$SRCDIR/tests/lib/pg.sh" restart "$pgdir"
ok $? "PostgreSQL restarted (fast) under a waiting supervisor"
sleep 0.5
kill -0 "$sup"
ok $? "the supervisor is still waiting"
[ ! -e "$TMP/started" ]
ok $? "and has not started the server"
"$SLIPWAY" -q -c "$TMP/s.ini" --upgrade
is "$?" 0 "upgrade after the restart"
for _ in $(seq 300); do [ -e "$TMP/started" ] && break; sleep 0.01; done
[ -e "$TMP/started" ]
ok $? "the server starts after the upgrade"
like "$(cat "$TMP/sup.log")" "reconnecting" "the supervisor said it lost the connection and reconnected"
kill -TERM "$sup"
wait "$sup"
is "$?" 143 "server stopped by SIGTERM: 143"

done_testing
