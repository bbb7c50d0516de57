# Shared setup of the upgrade tests: TAP helpers, a database of our own (dropped on exit),
# a migrations dir and a config pointing at both. Source it after setting TEST_NAME.
# shellcheck shell=bash
. "$SRCDIR/tests/lib/tap.sh"
: "${PGHOST:?run under tests/run-all.sh (PGHOST/PGPORT from tests/lib/pg.sh)}"
export PGDATABASE=postgres
DB="t_${TEST_NAME}_$$"
MIG=$TMP/mig
CONF=$TMP/slipway.ini
LOG=$TMP/out.log
mkdir -p "$MIG"
createdb "$DB" || { echo "Bail out! createdb $DB failed"; exit 1; }
cleanup_db() {
    dropdb --if-exists --force "$DB" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup_db EXIT

# write_config [EXTRA INI LINES...]: [database] + [migrations] sections, then the extra lines
# (more keys of [migrations] first, as they follow its header; then other sections).
write_config() {
    {
        printf '[database]\nurl = host=%s port=%s dbname=%s\nwait = 2s\n' "$PGHOST" "$PGPORT" "$DB"
        printf '[migrations]\ndir = %s\n' "$MIG"
        printf '%s\n' "$@"
    } >"$CONF"
}

# sw ARGS...: runs slipway with our config, stdout+stderr in $LOG; sets RC.
sw() {
    "$SLIPWAY" -c "$CONF" "$@" >"$LOG" 2>&1
    RC=$?
    OUT=$(cat "$LOG")
}

# q SQL: one value (or rows) from our database.
q() { psql -X -A -t -q -d "$DB" -c "$1"; }

write_config

# Advisory locks held in our database (other tests run in parallel on the same server).
advisory_locks() {
    q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
}

# Other sessions of our database running a query LIKE $1.
running() {
    q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '$1' AND pid <> pg_backend_pid()"
}

# wait_running PATTERN: until the server runs a query matching PATTERN (10 s at most)
wait_running() {
    for _ in $(seq 100); do
        [ "$(running "$1")" = 1 ] && return 0
        sleep 0.1
    done
    return 1
}
