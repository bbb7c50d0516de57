# Shared bits of the fault-injection tests (tests/faults/*.sh). Source it after tap.sh or
# tests/upgrade/lib.sh.
#
# Counts: modest in CI; `--long` as the first argument (or SLIPWAY_FAULTS_LONG=1) selects the
# bigger ones. SLIPWAY_FAULTS_SEED=N replays a run's random choices (the seed is printed).
# shellcheck shell=bash
FAULTS_LONG=0
if [ "${1:-}" = --long ] || [ "${SLIPWAY_FAULTS_LONG:-0}" = 1 ]; then FAULTS_LONG=1; fi
FAULTS_SEED=${SLIPWAY_FAULTS_SEED:-$(( (RANDOM ^ $$) % 32768 ))}
RANDOM=$FAULTS_SEED
echo "# mode: $([ "$FAULTS_LONG" = 1 ] && echo long || echo ci), seed: $FAULTS_SEED (SLIPWAY_FAULTS_SEED to replay)"

# by_mode CI_VALUE LONG_VALUE
by_mode() { if [ "$FAULTS_LONG" = 1 ]; then echo "$2"; else echo "$1"; fi; }

# rand_ms LO HI: a random integer in [LO, HI].
rand_ms() { echo $(($1 + (RANDOM * 32768 + RANDOM) % ($2 - $1 + 1))); }

# sleep_ms N
sleep_ms() { sleep "$(($1 / 1000)).$(printf %03d $(($1 % 1000)))"; }

# wait_until TIMEOUT_MS COMMAND...: polls COMMAND every 10 ms; 0 once it succeeds.
wait_until() {
    local deadline=$(($(now_ms) + $1))
    shift
    until "$@"; do
        [ "$(now_ms)" -lt "$deadline" ] || return 1
        sleep 0.01
    done
}

# free_port: a TCP port nobody listens on (for a private PostgreSQL, or a dead address).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# stray_lines TEXT: how many lines of slipway's output are not its own one-line messages
# ("slipway: ..."): a multi-line libpq error pasted into a message shows up here.
stray_lines() { printf '%s\n' "$1" | grep -cv '^slipway: '; }

# snapshot DB FILE: what an upgrade leaves, comparable between runs: the normalised schema dump,
# the history rows, the task versions and the data (sorted: physical row order differs after
# replayed UPDATEs, content must not; slipway's own tables without their timestamps).
snapshot() {
    local filter=(-e '/^--/d' -e '/^SET /d' -e '/^SELECT pg_catalog.set_config/d'
        -e '/^\\restrict/d' -e '/^\\unrestrict/d' -e '/^$/d')
    {
        echo "== schema"
        pg_dump --schema-only -d "$1" | sed "${filter[@]}"
        echo "== history"
        psql -X -A -t -q -d "$1" -c \
            "SELECT version, name, checksum, success, statements_done FROM slipway_migrations ORDER BY version"
        echo "== tasks"
        psql -X -A -t -q -d "$1" -c "SELECT name, version FROM slipway_tasks ORDER BY name"
        echo "== data"
        pg_dump --data-only --exclude-table=slipway_migrations --exclude-table=slipway_tasks \
            -d "$1" | sed "${filter[@]}" | LC_ALL=C sort
    } >"$2"
}

# same_state DB_A DB_B DESCRIPTION: one TAP line, the diff as comments when they differ.
same_state() {
    snapshot "$1" "$TMP/a.snap"
    snapshot "$2" "$TMP/b.snap"
    cmp -s "$TMP/a.snap" "$TMP/b.snap"
    ok $? "$3"
    diff "$TMP/a.snap" "$TMP/b.snap" | head -n 30 | sed 's/^/#   /'
}
