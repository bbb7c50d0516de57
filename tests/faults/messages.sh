#!/usr/bin/env bash
# An unreachable database as a new user sees it: one line saying so (not two), no "for 0 ms"
# after a single attempt, libpq's sentences joined as sentences; health prints its reason once,
# on stdout.
. "$SRCDIR/tests/lib/tap.sh"
. "$SRCDIR/tests/faults/lib.sh"
PORT=$(free_port)
mkdir -p "$TMP/mig"
echo "SELECT 1;" >"$TMP/mig/0001_a.sql"
printf '[database]\nurl = host=127.0.0.1 port=%s dbname=x\nwait = 0\n[migrations]\ndir = %s\n[serve]\nhealth_socket =\n' \
    "$PORT" "$TMP/mig" >"$TMP/dead.ini"

out=$("$SLIPWAY" -c "$TMP/dead.ini" --upgrade 2>&1)
is $? 3 "--upgrade, database down: exit 3"
is "$(grep -c 'Connection refused' <<<"$out")" 1 "the reason is printed once"
unlike "$out" "for 0 ms" "no 'unreachable for 0 ms' after one attempt"
like "$out" "Connection refused. Is the server running" "libpq's two sentences joined as sentences"

"$SLIPWAY" -c "$TMP/dead.ini" health >"$TMP/out" 2>"$TMP/err"
is $? 1 "health, database down: 1"
is "$(wc -l <"$TMP/out")" 1 "health: one line on stdout"
like "$(cat "$TMP/out")" "unreachable" "health: stdout says the database is unreachable"
is "$(cat "$TMP/err")" "" "health: nothing repeated on stderr"

sed -i 's/^wait = 0/wait = 300ms/' "$TMP/dead.ini"
out=$("$SLIPWAY" -c "$TMP/dead.ini" --upgrade 2>&1)
is "$(grep -c 'unreachable' <<<"$out")" 1 "with retries: the final 'unreachable' line once"
like "$out" "retrying in" "with retries: each retry is logged"

done_testing
