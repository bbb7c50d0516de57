#!/usr/bin/env bash
# valgrind --leak-check=full over serve (exit codes, a forwarded signal, the stop_timeout
# SIGKILL, orphans reaped as PID 1), upgrade (a small mixed migration set and a task against a
# fresh database, then the error paths: a failing migration, checksum drift), status, task,
# health and check. Each run must exit with its own code and leave valgrind's log empty:
# --error-exitcode=1 alone cannot tell a valgrind error from slipway's own exit 1. TAP.
#
#   tests/valgrind.sh        (as root: the PID 1 case uses unshare)
#
# Uses $SLIPWAY when set (e.g. by meson), else builds BUILD_DIR (default build); uses the
# PostgreSQL of PGHOST/PGPORT/PGUSER when set, else starts a private one (tests/lib/pg.sh).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
if [ -z "${SLIPWAY:-}" ]; then
    build=${BUILD_DIR:-build}
    [ -f "$build/build.ninja" ] || meson setup "$build" -Dbuildtype=debugoptimized >/dev/null
    ninja -C "$build" >/dev/null || exit 1
    SLIPWAY=$PWD/$build/slipway
fi
export SLIPWAY SRCDIR=${SRCDIR:-$PWD}
. tests/lib/tap.sh

pgdir=
DB=slipway_valgrind_$$
cleanup() {
    dropdb --if-exists --force "$DB" 2>/dev/null
    if [ -n "$pgdir" ]; then
        tests/lib/pg.sh stop "$pgdir"
        rm -rf "$pgdir"
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
if [ -z "${PGHOST:-}" ]; then
    pgdir=$(mktemp -d /tmp/slipway-pg.XXXXXX)
    pgenv=$(tests/lib/pg.sh start "$pgdir" "${SLIPWAY_TEST_PGPORT:-25452}") || exit 1
    eval "$pgenv"
fi
export PGDATABASE=postgres

# --child-silent-after-fork: between fork and exec the child is still under valgrind, and
# an exec failure's _exit would report the parent's heap as its own.
VG=(valgrind --quiet --leak-check=full --error-exitcode=1 --child-silent-after-fork=yes
    --log-file="$TMP/vg.%p.log")
CONF=$TMP/slipway.ini
MIG=$TMP/mig

# Checks the exit code and that valgrind said nothing, printing its log when it did.
check_run() { # check_run CODE WANT DESCRIPTION
    local logs
    is "$1" "$2" "$3: exit code $2"
    logs=$(cat "$TMP"/vg.*.log 2>/dev/null)
    is "$logs" "" "$3: valgrind reports nothing"
    [ -z "$logs" ] || head -n 60 <<<"$logs" | sed 's/^/#   /'
    rm -f "$TMP"/vg.*.log
}

vg() { # vg WANT DESCRIPTION SLIPWAY-ARGS...
    local want=$1 what=$2
    shift 2
    "${VG[@]}" "$SLIPWAY" -c "$CONF" "$@" >"$TMP/out" 2>&1
    check_run $? "$want" "$what"
}

wait_file() { # wait_file FILE: up to 30 s (valgrind starts slowly)
    for _ in $(seq 300); do
        [ -e "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

# ---- serve ----
printf '[migrations]\ndir = %s\n' "$MIG" >"$CONF"
mkdir -p "$MIG"
vg 0 "serve: -- true" -- true
vg 3 "serve: exit code passed on" -- sh -c 'exit 3'
# No exec-failure case: the forked child is still under valgrind when its exec fails, and
# its _exit(127) becomes --error-exitcode (its copy of our heap counts as leaked).

"${VG[@]}" "$SLIPWAY" -c "$CONF" -- sh -c "touch $TMP/ready; exec sleep 600" >"$TMP/out" 2>&1 &
pid=$!
wait_file "$TMP/ready"
kill -TERM "$pid"
wait "$pid"
check_run $? 143 "serve: SIGTERM forwarded"

rm -f "$TMP/ready"
SLIPWAY_SERVE_STOP_TIMEOUT=500ms "${VG[@]}" "$SLIPWAY" -c "$CONF" -- \
    sh -c "trap '' TERM; touch $TMP/ready; while :; do sleep 1; done" >"$TMP/out" 2>&1 &
pid=$!
wait_file "$TMP/ready"
kill -TERM "$pid"
wait "$pid"
check_run $? 137 "serve: SIGKILL after stop_timeout"

# As PID 1, the orphans of the child are reparented to slipway and reaped by it.
unshare --pid --fork --mount-proc "${VG[@]}" "$SLIPWAY" -c "$CONF" -- \
    sh -c '(sleep 0.5 &); (sleep 0.5 &); exit 4' >"$TMP/out" 2>&1
check_run $? 4 "serve as PID 1: orphans reaped"

# ---- upgrade, status, task, health, check ----
createdb "$DB" || { echo "Bail out! createdb $DB failed"; exit 1; }
cat >"$CONF" <<INI
[database]
url = host=$PGHOST port=$PGPORT user=$PGUSER dbname=$DB
wait = 5s
[migrations]
dir = $MIG
[task "seed"]
command = sh -c 'echo seeded'
version = 1
INI
printf 'CREATE TABLE t1 (id int PRIMARY KEY, v text);\n' >"$MIG/0001_t1.sql"
printf -- '-- slipway:no-transaction\nCREATE INDEX CONCURRENTLY t1_v ON t1 (v);\nCREATE INDEX CONCURRENTLY t1_v2 ON t1 (v, id);\n' \
    >"$MIG/V2__index.sql"
printf -- '-- migrate:up\nCREATE TABLE t3 (id int);\n-- migrate:down\nDROP TABLE t3;\n' \
    >"$MIG/20240101000000_t3.sql"

vg 0 "check" check
vg 0 "upgrade: migrations and a task" --upgrade
like "$(cat "$TMP/out")" "seeded" "the task ran"
vg 0 "upgrade: nothing to do" --upgrade
vg 0 "status" status
vg 0 "status --json" status --json
vg 0 "task --rerun" task seed --rerun
vg 0 "health" health

printf 'SELEC 1;\n' >"$MIG/20240102000000_bad.sql"
vg 1 "upgrade: a failing migration" --upgrade
rm "$MIG/20240102000000_bad.sql"
printf 'CREATE TABLE t1 (id int PRIMARY KEY, v text, w text);\n' >"$MIG/0001_t1.sql"
vg 5 "upgrade: checksum drift" --upgrade

done_testing
