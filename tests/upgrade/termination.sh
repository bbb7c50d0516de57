#!/usr/bin/env bash
# The termination message: --upgrade, task and serve mode write their one-line summary (and,
# after a failure, the first error) to $SLIPWAY_TERMINATION_LOG, or to /dev/termination-log when
# it exists; health does not touch it; an empty SLIPWAY_TERMINATION_LOG turns it off.
# No `set -e`: TAP assertions test exit statuses.
TEST_NAME=termination
. "$SRCDIR/tests/upgrade/lib.sh"

TERM_LOG=$TMP/termination-log
export SLIPWAY_TERMINATION_LOG=$TERM_LOG
msg() { cat "$TERM_LOG" 2>/dev/null; }

write_config '[task "seed"]' 'command = true' 'version = 1' \
    '[task "broken"]' "command = sh -c 'exit 3'" 'version = 1' 'required = false'
printf 'CREATE TABLE a (id int);\n' >"$MIG/0001_a.sql"
printf 'CREATE TABLE b (id int);\n' >"$MIG/0002_b.sql"

sw task seed
is "$RC" 0 "task seed runs"
like "$(msg)" "task 'seed' done in " "task: the summary is written (file created)"
like "$(msg)" ", version 1 recorded" "task: with the version"
is "$(wc -l <"$TERM_LOG")" 1 "one line"
sw task broken
is "$RC" 1 "task broken fails"
is "$(msg)" "task 'broken' failed: exited with status 3" "task: the failure"

sed -i '/broken/,$d' "$CONF"
sw --upgrade
is "$RC" 0 "upgrade"
like "$(msg)" "upgrade done: 2 migrations applied in " "upgrade: the summary"
like "$(msg)" "s, schema version 2" "upgrade: with the schema version"
sw --upgrade
is "$(msg)" "nothing to do: schema version 2" "a second upgrade: nothing to do"

printf 'CREATE TABLE c (id int);\n' >"$MIG/0003_c.sql"
printf 'CREATE TABLE d (id int);\nSELECT nope;\n' >"$MIG/0004_d.sql"
printf 'CREATE TABLE e (id int);\n' >"$MIG/0005_e.sql"
sw --upgrade
is "$RC" 1 "a failing migration: exit 1"
like "$(msg)" "upgrade failed at 0004_d.sql after 1 of 3 migrations in " "failure: where, how far"
like "$(msg)" "s, schema version 3, 2 pending: 0004_d.sql:2: " "failure: the figures, then the file and line"
like "$(msg)" 'column "nope" does not exist' "failure: the server's error"
is "$(wc -l <"$TERM_LOG")" 1 "still one line"

# health is a probe: it must not overwrite the message of the container's main process.
echo keep >"$TERM_LOG"
sw health
is "$(msg)" keep "health leaves the message alone"
SLIPWAY_TERMINATION_LOG= "$SLIPWAY" -c "$CONF" --upgrade >/dev/null 2>&1
is "$(msg)" keep "an empty SLIPWAY_TERMINATION_LOG writes nothing"

printf '[serve]\nbogus = 1\n' >"$TMP/bad.ini"
"$SLIPWAY" -c "$TMP/bad.ini" --upgrade 2>/dev/null
is "$?" 2 "a config error: exit 2"
is "$(msg)" "$TMP/bad.ini:2: unknown key 'bogus' in [serve]" "the config error is the message"

"$SLIPWAY" -c /dev/null -- sh -c 'exit 3' 2>/dev/null
is "$?" 3 "serve: the server's exit code"
is "$(msg)" "server exited with status 3: exit code 3" "serve: how the server ended"
"$SLIPWAY" -c /dev/null -- sh -c 'kill -9 $$' 2>/dev/null
is "$?" 137 "serve: killed"
is "$(msg)" "server killed by signal 9: exit code 137" "serve: the signal"
"$SLIPWAY" -c /dev/null -- /no/such/server 2>/dev/null
is "$?" 127 "serve: not found"
like "$(msg)" "exit code 127: cannot run '/no/such/server'" "serve: with the cause"

# The default path, when it exists: a /dev of our own in a private mount namespace (root).
unset SLIPWAY_TERMINATION_LOG
if [ ! -e /dev/termination-log ]; then
    out=$("$SLIPWAY" -c "$CONF" task seed 2>&1)
    unlike "$out" "termination" "no /dev/termination-log: nothing written, nothing said"
fi
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
    mkdir "$TMP/dev"
    cp -a /dev/null /dev/urandom "$TMP/dev/"
    : >"$TMP/dev/termination-log"
    unshare --mount --propagation private sh -c \
        'mount --bind "$1/dev" /dev && "$2" -c "$3" task seed' sh "$TMP" "$SLIPWAY" "$CONF" >/dev/null 2>&1
    is "$?" 0 "task seed with a /dev/termination-log"
    like "$(cat "$TMP/dev/termination-log")" "task 'seed' is at version 1 already: nothing to do" \
        "written to /dev/termination-log"
fi

done_testing
