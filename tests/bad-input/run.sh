#!/usr/bin/env bash
# The bad-input catalogue: every directory of cases/ is one input slipway must refuse with a
# given exit code and a message naming the fault, having done nothing. TAP.
#
# A case holds:
#   slipway.ini     the config, run as `slipway -c case/slipway.ini ARGS` from the case's
#                   parent, so messages show stable paths; ${CASE} in it is the case's copy
#   args            ARGS, one line split on blanks; ${CASE} is replaced
#   expect_code     the exit code
#   expect_message  a fragment of stdout+stderr
#   migrations/     optional
#   canary          a case that could start a process (server, task) makes it write
#                   ${CASE}/ran (in args, slipway.ini or a script); the file must not appear
#   prepare         optional: generates what is not committed (50 MB, binary, odd names)
#   env             optional: NAME=VALUE lines added to slipway's environment
#   database        optional: run against a fresh database of its own, after which no table
#                   may exist besides slipway's own (empty) ones; "env": the database comes
#                   from SLIPWAY_DATABASE_URL; "config": the case's url is kept, and a bug
#                   falling back to libpq's defaults (PGDATABASE = the fresh one) would show
#
# Cases run on a copy in $TMP: generated files never land in the source tree.
# Needs $SLIPWAY and $SRCDIR (meson sets both); database cases need PGHOST/PGPORT/PGUSER
# (tests/run-all.sh) and are skipped without them.
. "$SRCDIR/tests/lib/tap.sh"
cases=$SRCDIR/tests/bad-input/cases

DB=
cleanup() {
    [ -z "$DB" ] || dropdb --if-exists --force "$DB" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

have_pg=0
[ -n "${PGHOST:-}" ] && command -v createdb >/dev/null && have_pg=1

skip() { # skip DESCRIPTION REASON
    TAP_N=$((TAP_N + 1))
    echo "ok $TAP_N - $1 # SKIP $2"
}

q() { psql -X -A -t -q -d "$DB" -c "$1"; }

# Tables besides slipway's own, and rows in those: anything applied leaves one or the other.
assert_nothing_applied() { # NAME
    local tables rows=0 t n
    tables=$(q "SELECT coalesce(string_agg(n.nspname || '.' || c.relname, ' '), '')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg_toast%'
          AND c.relname NOT IN ('slipway_migrations', 'slipway_tasks', 'slipway_fleet')")
    is "$tables" "" "$1: no table was created"
    for t in slipway_migrations slipway_tasks; do
        n=$(q "SELECT count(*) FROM $t" 2>/dev/null) || n=0
        rows=$((rows + n))
    done
    is "$rows" 0 "$1: no history or task row was recorded"
}

run_case() { # NAME
    local name=$1 work=$TMP/$1 mode='' line code want_code want_msg out
    local -a args env=(env -u SLIPWAY_CONFIG -u SLIPWAY_UPGRADE -u DATABASE_URL)

    mkdir -p "$work"
    cp -r "$cases/$name" "$work/case"
    export CASE=$work/case
    [ -f "$CASE/database" ] && mode=$(tr -d '[:space:]' <"$CASE/database")
    if [ -n "$mode" ] && [ "$have_pg" = 0 ]; then
        skip "$name" "no PostgreSQL (run under tests/run-all.sh)"
        return
    fi
    if [ -x "$CASE/prepare" ] && ! (cd "$CASE" && ./prepare) >"$work/prepare.log" 2>&1; then
        ok 1 "$name: prepare"
        sed 's/^/#   /' "$work/prepare.log"
        return
    fi

    if [ -n "$mode" ]; then
        DB="slipway_bad_${name//-/_}_$$"
        createdb "$DB" || { ok 1 "$name: createdb"; DB=; return; }
        # PGDATABASE too: slipway falling back to libpq's defaults must land in this database.
        env+=(PGDATABASE="$DB" SLIPWAY_DATABASE_WAIT=5s)
        [ "$mode" = env ] && env+=(SLIPWAY_DATABASE_URL="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$DB")
    else
        # Without a database of its own a case must not reach the shared server at all.
        env+=(-u PGHOST -u PGPORT -u PGUSER -u PGDATABASE)
    fi

    if [ -f "$CASE/env" ]; then
        while IFS= read -r line; do env+=("$line"); done <"$CASE/env"
    fi
    IFS= read -r line <"$CASE/args" || true
    # shellcheck disable=SC2016 # the literal text ${CASE} is what is replaced
    read -ra args <<<"${line//'${CASE}'/$CASE}"
    want_code=$(<"$CASE/expect_code")
    want_msg=$(<"$CASE/expect_message")

    (cd "$work" && timeout 120 "${env[@]}" "$SLIPWAY" -c case/slipway.ini "${args[@]}") \
        >"$work/out" 2>&1
    code=$?
    out=$(cat "$work/out")
    is "$code" "$want_code" "$name: exit code $want_code"
    like "$out" "$want_msg" "$name: message"
    # A case that could start a process (a server, a task) has it write $CASE/ran: a canary.
    if grep -rqs -- '/ran' "$CASE"; then
        [ ! -e "$CASE/ran" ]
        ok $? "$name: nothing was run (its canary did not run)"
    fi

    if [ -n "$mode" ]; then
        assert_nothing_applied "$name"
        dropdb --force "$DB"
        DB=
    fi
    rm -rf "$work" # the 50 MB case would otherwise stay until the end
}

for dir in "$cases"/*/; do
    run_case "$(basename "$dir")"
done
done_testing
