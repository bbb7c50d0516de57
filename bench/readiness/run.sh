#!/usr/bin/env bash
# bench/readiness/run.sh - how fast gated servers start after an upgrade, and what one
# `slipway health` costs, on a private PostgreSQL this script starts and stops itself.
#
# Measures (see bench/README.md, "Readiness"):
#   a. gate latency: SUPERVISORS gated supervisors per round, each
#        slipway -c CONF_i -- sh -c 'date +%s%N >STARTED_i; exec sleep 600'
#      with `wait_for = database` and its own health_socket, on a fresh database. Once all
#      are waiting (each has a backend in pg_stat_activity, idle after its LISTEN and first
#      check), one `slipway --upgrade` applies MIGRATIONS migrations. For each supervisor: the
#      time from the COMMIT of the last migration to the server's first instruction (the
#      `date` in STARTED_i). The commit time is PostgreSQL's own commit timestamp of the
#      transaction that wrote the last history row (track_commit_timestamp = on,
#      pg_xact_commit_timestamp(xmin)): the real COMMIT, unlike applied_at (now(), the
#      transaction's start). Also shown: the same from the exit of the upgrade process, as a
#      shell script would see it (negative: the server started before the upgrader had
#      exited). ROUNDS rounds; median and slowest. Goal (issue 4): slowest <= 100 ms.
#      Each latency is split, with the supervisors' JSON log (--log-format json, ms
#      precision), into the gate opening ("dependencies ready") and the server's own start
#      (its spawn, exec of sh, then of date); then the same ROUNDS with 1 supervisor, to show what
#      10 servers starting at once on a few CPUs add.
#   b. health cost: one `slipway health` answered by a running supervisor over its
#      health_socket, vs the same with no supervisor listening (slipway connects and checks
#      the database itself), vs `psql -c 'select 1'`, with `/bin/true` and `slipway --version`
#      as references (the floor of any probe that execs a program). hyperfine without a shell, HEALTH_RUNS
#      runs per command in each of HEALTH_ROUNDS rounds (order rotated), pooled; median.
#      Goal: socket path <= 2 ms. And the new backends the socket path opens: log_connections
#      is on, and the "connection authorized" lines of the server log are counted during
#      COUNT_CALLS socket calls (goal: 0), then during COUNT_CALLS direct calls (should be
#      COUNT_CALLS: proves the count sees connections).
# All database access is over TCP to 127.0.0.1 with sslmode=disable.
#
# Prints a Markdown report on stdout and writes it to bench/results/readiness.md
# (gitignored); progress goes to stderr. Needs: bash, psql and the PostgreSQL server
# binaries (Debian: postgresql), hyperfine, jq.
#
# Environment knobs (defaults in brackets):
#   BENCH_SLIPWAY   slipway binary [release build in build-bench/ with meson + ninja]
#   BENCH_PG_PORT   port of the private PostgreSQL [25463]: below the ephemeral port
#                   range (32768-60999), so no client socket of another job can hold it
#   SUPERVISORS [10]  ROUNDS [5]  MIGRATIONS [3]  HEALTH_RUNS [100]  HEALTH_ROUNDS [3]
#   COUNT_CALLS [100]  CURVE ["1 10 100"]  CURVE_ROUNDS [3]
# The curve: the same as a. with each number of supervisors in CURVE, CURVE_ROUNDS rounds
# each. Goal (issue 17): slowest <= 100 ms at 100 supervisors.
# ~1-2 minutes on 2 busy CPUs with the defaults.

# shellcheck disable=SC2016 # backquotes in printf formats are Markdown, not expansions
BENCH=readiness
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" # strict mode, log/die, $tmp + cleanup, SLIPWAY_* unset, helpers
report_md=$results_dir/readiness.md

SUPERVISORS=${SUPERVISORS:-10}
ROUNDS=${ROUNDS:-5}
MIGRATIONS=${MIGRATIONS:-3}
HEALTH_RUNS=${HEALTH_RUNS:-100}
HEALTH_ROUNDS=${HEALTH_ROUNDS:-3}
COUNT_CALLS=${COUNT_CALLS:-100}
read -r -a CURVE <<<"${CURVE:-1 10 100}"
CURVE_ROUNDS=${CURVE_ROUNDS:-3}
pg_port=${BENCH_PG_PORT:-25463}

# Progress on the caller's stderr, also from a trap that runs while stderr is redirected.
exec {log_fd}>&2
# Every supervisor started in the background goes into BG_PIDS: on any exit (normal, error,
# Ctrl-C) cleanup (lib.sh) stops each with its server, then PostgreSQL, then the temp dir goes.

# ---------------------------------------------------------------------------------------------
# Preflight: tools and the slipway build.
need "Debian: apt-get install -y postgresql hyperfine jq procps" psql hyperfine jq pgrep
find_slipway

# ---------------------------------------------------------------------------------------------
# The private PostgreSQL (tests/lib/pg.sh), restarted once with track_commit_timestamp (it
# needs a restart) and log_connections on.
pg_start
server_log=$pg_dir/server.log
admin -c 'alter system set track_commit_timestamp = on' -c 'alter system set log_connections = on'
"$root/tests/lib/pg.sh" restart "$pg_dir" || die "cannot restart PostgreSQL"
[[ $(admin -c 'show track_commit_timestamp') == on ]] || die "track_commit_timestamp is not on"
[[ $(admin -c 'show log_connections') == on ]] || die "log_connections is not on"

# The migrations every round applies: small DDL.
mkdir -p "$tmp/migrations" "$tmp/conf" "$tmp/run"
for ((i = 1; i <= MIGRATIONS; i++)); do
    printf 'CREATE TABLE r_%04d (id bigint PRIMARY KEY, name text);\n' "$i" \
        >"$(printf '%s/migrations/%04d_r%04d.sql' "$tmp" "$i" "$i")"
done
conf() { # FILE DB SOCKET -> a config with the gate on the database and its health socket
    printf '[database]\nurl = %s\n[migrations]\ndir = %s\n[serve]\nwait_for = database\nhealth_socket = %s\n' \
        "$(url "$2")" "$tmp/migrations" "$3" >"$1"
}

# ---------------------------------------------------------------------------------------------
# Small numeric helpers besides lib.sh's (awk: bash has no floating point).
maxof() { sort -g | tail -n 1; }
ns_to_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", (a - b) / 1e6 }'; } # (a-b) ns in ms
# Polls a shell condition every 20 ms until it holds or SECONDS_MAX pass.
wait_until() { # SECONDS_MAX COMMAND...
    local max=$1 i
    shift
    for ((i = 0; i < max * 50; i++)); do
        "$@" && return 0
        sleep 0.02
    done
    return 1
}
# Load during a section: load_begin and load_end (lib.sh).
authorized() { grep -c 'connection authorized' "$server_log" || true; }

# ---------------------------------------------------------------------------------------------
# a. Gate latency. gate_rounds runs ROUNDS rounds with N supervisors under the tag TAG and
#    leaves, in $tmp/TAG.*: commit (COMMIT -> server start, per server), exit (upgrade exit
#    -> server start), gate (COMMIT -> the supervisor's "dependencies ready" log line, from
#    its JSON log, ms precision) and spawn (that line -> server start: spawn + exec of sh, then
#    of date), and the rows of the per-round table in ROWS_TAG (an array).
all_waiting() { # DB N -> true once N supervisors wait: idle after LISTEN + their first check
    local n
    n=$(admin -c "select count(*) from pg_stat_activity where datname = '$1'
        and application_name like 'slipway%' and state = 'idle' and query not like 'LISTEN%'")
    [[ $n == "$2" ]]
}
all_started() { # TAG ROUND N -> true once every server wrote its start time
    local i
    for ((i = 1; i <= $3; i++)); do [[ -s $tmp/run/$1.started.$2.$i ]] || return 1; done
}
iso_to_ns() { date -d "$1" +%s%N; } # 2026-01-01T00:00:00.123Z -> ns since the epoch
gate_rounds() { # TAG N [ROUNDS]
    local tag=$1 n=$2 rounds=${3:-$ROUNDS} r i db t t_start t_exit t_commit t_applied t_ready pid
    local -n rows=ROWS_$tag
    rows=()
    for f in commit exit gate spawn; do : >"$tmp/$tag.$f"; done
    for ((r = 1; r <= rounds; r++)); do
        db=ready_${tag}_$r
        admin -c "drop database if exists $db" -c "create database $db"
        for ((i = 1; i <= n; i++)); do
            conf "$tmp/conf/$tag.$r.$i.ini" "$db" "$tmp/run/$tag.health.$r.$i.sock"
            "$slipway_bin" --log-format json -c "$tmp/conf/$tag.$r.$i.ini" -- \
                sh -c 'date +%s%N >"$0"; exec sleep 600' "$tmp/run/$tag.started.$r.$i" \
                >"$tmp/run/$tag.supervisor.$r.$i.log" 2>&1 &
            BG_PIDS+=($!)
        done
        wait_until 60 all_waiting "$db" "$n" || die "$tag round $r: the supervisors are not all waiting after 60 s"
        all_started "$tag" "$r" "$n" && die "$tag round $r: a server started before the upgrade"
        t_start=${EPOCHREALTIME/./}
        "$slipway_bin" -q -c "$tmp/conf/$tag.$r.1.ini" --upgrade >"$tmp/run/$tag.upgrade.$r.log" 2>&1 ||
            { cat "$tmp/run/$tag.upgrade.$r.log" >&2; die "$tag round $r: the upgrade failed"; }
        t_exit=${EPOCHREALTIME/./}000 # µs -> ns
        wait_until 30 all_started "$tag" "$r" "$n" ||
            die "$tag round $r: not every server started within 30 s of the upgrade"
        # The COMMIT of the last migration (its history row's transaction), and its
        # applied_at (now(): the start of that transaction), in ns since the epoch.
        read -r t_commit t_applied < <(admin -F ' ' -d "$db" -c "select
            (extract(epoch from pg_xact_commit_timestamp(xmin)) * 1000000)::bigint * 1000,
            (extract(epoch from applied_at) * 1000000)::bigint * 1000
            from slipway_migrations order by version desc limit 1")
        : >"$tmp/$tag.commit.$r"
        for ((i = 1; i <= n; i++)); do
            t=$(cat "$tmp/run/$tag.started.$r.$i")
            t_ready=$(sed -n 's/^{"ts":"\([^"]*\)".*dependencies ready.*/\1/p' "$tmp/run/$tag.supervisor.$r.$i.log")
            [[ -n $t_ready ]] || die "$tag round $r: no 'dependencies ready' in supervisor $i's log"
            t_ready=$(iso_to_ns "$t_ready")
            ns_to_ms "$t" "$t_commit" >>"$tmp/$tag.commit.$r"
            ns_to_ms "$t" "$t_exit" >>"$tmp/$tag.exit"
            ns_to_ms "$t_ready" "$t_commit" >>"$tmp/$tag.gate"
            ns_to_ms "$t" "$t_ready" >>"$tmp/$tag.spawn"
        done
        cat "$tmp/$tag.commit.$r" >>"$tmp/$tag.commit"
        rows+=("$(printf '| %d | %.2f | %.2f | %.2f | %.0f |' "$r" \
            "$(median <"$tmp/$tag.commit.$r")" "$(maxof <"$tmp/$tag.commit.$r")" \
            "$(ns_to_ms "$t_commit" "$t_applied")" "$(ns_to_ms "$t_exit" "${t_start}000")")")
        log "  $n supervisor(s), round $r: commit->start median $(median <"$tmp/$tag.commit.$r") ms, slowest $(maxof <"$tmp/$tag.commit.$r") ms"
        stop_all
        admin -c "drop database $db with (force)"
    done
}
log "a. $SUPERVISORS gated supervisors x $ROUNDS rounds, then 1 x $ROUNDS; load $(loadavg)"
load_begin
# shellcheck disable=SC2034 # filled through the nameref in gate_rounds; ROWS_one is not shown
ROWS_many=() ROWS_one=()
gate_rounds many "$SUPERVISORS"
gate_rounds one 1
for n in "${CURVE[@]}"; do
    declare -ga "ROWS_c$n"
    log "a. curve: $n gated supervisors x $CURVE_ROUNDS rounds"
    gate_rounds "c$n" "$n" "$CURVE_ROUNDS"
done
# What starting the server costs by itself: sh, then date (what "spawn" includes).
hyperfine -N --style none --warmup 5 --runs 50 --export-json "$tmp/shdate.json" \
    "sh -c 'date +%s%N >/dev/null'" >"$tmp/hyperfine.log" 2>&1 || { cat "$tmp/hyperfine.log" >&2; die "hyperfine failed"; }
shdate_ms=$(jq '.results[0].median * 1000' "$tmp/shdate.json")
load_a=$(load_end)

# ---------------------------------------------------------------------------------------------
# b. Health cost. One database at the latest version, one supervisor gated on it (started at
#    once: nothing pending) answering on sock.ini's socket; direct.ini names a socket nobody
#    listens on, so slipway checks the database itself.
log "b. health: hyperfine $HEALTH_RUNS runs x $HEALTH_ROUNDS rounds; load $(loadavg)"
load_begin
db=health
admin -c "drop database if exists $db" -c "create database $db"
conf "$tmp/conf/sock.ini" "$db" "$tmp/run/health.sock"
conf "$tmp/conf/direct.ini" "$db" "$tmp/run/nobody.sock"
"$slipway_bin" -q -c "$tmp/conf/sock.ini" --upgrade >"$tmp/run/upgrade.health.log" 2>&1 ||
    { cat "$tmp/run/upgrade.health.log" >&2; die "upgrade of the health database failed"; }
"$slipway_bin" -c "$tmp/conf/sock.ini" -- sleep 600 >"$tmp/run/supervisor.health.log" 2>&1 &
BG_PIDS+=($!)
sock_up() { [[ -S $tmp/run/health.sock ]] && "$slipway_bin" -q -c "$tmp/conf/sock.ini" health >/dev/null 2>&1; }
wait_until 30 sock_up || die "the supervisor does not answer healthy on its socket"
"$slipway_bin" -q -c "$tmp/conf/direct.ini" health >/dev/null 2>&1 || die "the direct health check is not healthy"
# The supervisor registers in the fleet about a second after its server started, on a
# connection of its own: counted before, it is not a health call's.
registered() { [[ $(admin -d "$db" -Atc "select count(*) from slipway_fleet" 2>/dev/null) == 1 ]]; }
wait_until 30 registered || die "the supervisor did not register in slipway_fleet"

# New backends: socket calls first (the supervisor's answer is fresh: it re-checks the
# database, with one connection, only when a probe finds its answer older than 60 s).
before=$(authorized)
t0=${EPOCHREALTIME/./}
for ((i = 0; i < COUNT_CALLS; i++)); do
    "$slipway_bin" -q -c "$tmp/conf/sock.ini" health >/dev/null 2>&1 || die "socket health call failed"
done
t1=${EPOCHREALTIME/./}
sleep 0.2 # let the server write its log
conn_socket=$(($(authorized) - before))
socket_window_s=$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.2f", d / 1e6 }')
before=$(authorized)
for ((i = 0; i < COUNT_CALLS; i++)); do
    "$slipway_bin" -q -c "$tmp/conf/direct.ini" health >/dev/null 2>&1 || die "direct health call failed"
done
sleep 0.2
conn_direct=$(($(authorized) - before))

# shellcheck disable=SC2034 # read through a nameref in hyperfine_rounds (lib.sh)
declare -A HCMD=(
    [socket]="$slipway_bin -q -c $tmp/conf/sock.ini health"
    [direct]="$slipway_bin -q -c $tmp/conf/direct.ini health"
    [psql]="psql -X -q -d $(url "$db") -c 'select 1'"
    # References: the floor of any probe that execs a program, and slipway's own start-up.
    [true]="/bin/true"
    [version]="$slipway_bin --version"
)
HTOOLS=(socket direct psql true version)
before=$(authorized)
t0=${EPOCHREALTIME/./}
hyperfine_rounds "$HEALTH_ROUNDS" "$HEALTH_RUNS" 5 "$tmp/health" HCMD "${HTOOLS[@]}"
t1=${EPOCHREALTIME/./}
hf_window_s=$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.0f", d / 1e6 }')
sleep 0.2
conn_hf=$(($(authorized) - before))
stop_all
load_b=$(load_end)

# ---------------------------------------------------------------------------------------------
# Report.
report() {
    local max_c rounds_met=0 r f tool med base tag n
    printf '# Readiness benchmark\n\n'
    printf 'slipway %s, PostgreSQL %s (private instance, fsync off, TCP 127.0.0.1). %s CPUs; %s.\n\n' \
        "$("$slipway_bin" --version 2>&1 | awk '{ print $NF }')" "$(admin -c 'show server_version')" \
        "$(nproc)" "$(date -u '+%Y-%m-%d %H:%M UTC')"

    printf '## a. Commit to server start, %s gated supervisors\n\n' "$SUPERVISORS"
    printf '%s rounds; each: a fresh database, %s supervisors waiting (`wait_for = database`), one `slipway --upgrade` of %s migrations. ' \
        "$ROUNDS" "$SUPERVISORS" "$MIGRATIONS"
    printf 'Latency = the server'"'"'s first `date +%%s%%N` minus the COMMIT timestamp of the last migration (`pg_xact_commit_timestamp`). '
    printf 'Load average (1/5/15 min) %s.\n\n' "$load_a"
    printf '| Round | median ms | slowest ms | last migration: COMMIT - applied_at (tx start) ms | upgrade process wall ms |\n'
    printf '|---:|---:|---:|---:|---:|\n'
    for f in "${ROWS_many[@]}"; do printf '%s\n' "$f"; done
    printf '\n| From the COMMIT to | supervisors | starts | median ms | slowest ms | min..max |\n|---|---:|---:|---:|---:|---|\n'
    for tag in many one; do
        if [[ $tag == many ]]; then n=$SUPERVISORS; else n=1; fi
        printf '| server start | %d | %d | %.2f | %.2f | %s |\n' "$n" "$(wc -l <"$tmp/$tag.commit")" \
            "$(median <"$tmp/$tag.commit")" "$(maxof <"$tmp/$tag.commit")" "$(minmax_f %.2f <"$tmp/$tag.commit")"
        printf '| of which: the gate opens ("dependencies ready" logged, ms precision) | %d | | %.2f | %.2f | %s |\n' "$n" \
            "$(median <"$tmp/$tag.gate")" "$(maxof <"$tmp/$tag.gate")" "$(minmax_f %.2f <"$tmp/$tag.gate")"
        printf '| of which: then the spawn + exec of `sh`, then of `date` | %d | | %.2f | %.2f | %s |\n' "$n" \
            "$(median <"$tmp/$tag.spawn")" "$(maxof <"$tmp/$tag.spawn")" "$(minmax_f %.2f <"$tmp/$tag.spawn")"
    done
    printf '| server start, from the upgrade process'"'"'s exit (negative: started before it exited) | %d | | %.2f | %.2f | %s |\n' \
        "$SUPERVISORS" "$(median <"$tmp/many.exit")" "$(maxof <"$tmp/many.exit")" "$(minmax_f %.2f <"$tmp/many.exit")"
    printf '\n`sh -c '"'"'date +%%s%%N'"'"'` alone (hyperfine, median): %.2f ms.\n' "$shdate_ms"
    for ((r = 1; r <= ROUNDS; r++)); do
        le "$(maxof <"$tmp/many.commit.$r")" 100 && rounds_met=$((rounds_met + 1))
    done
    max_c=$(maxof <"$tmp/many.commit")
    if le "$max_c" 100; then f='**met**'; else f='**missed**'; fi
    printf '\nGoal: slowest of %s <= 100 ms after the COMMIT: %s (slowest of all rounds %.2f ms; met in %d of %d rounds).\n\n' \
        "$SUPERVISORS" "$f" "$max_c" "$rounds_met" "$ROUNDS"

    printf '### The curve: %s rounds per number of supervisors\n\n' "$CURVE_ROUNDS"
    printf '| supervisors | starts | COMMIT -> start median ms | slowest ms | gate opens, slowest ms |\n|---:|---:|---:|---:|---:|\n'
    for n in "${CURVE[@]}"; do
        printf '| %d | %d | %.2f | %.2f | %.2f |\n' "$n" "$(wc -l <"$tmp/c$n.commit")" \
            "$(median <"$tmp/c$n.commit")" "$(maxof <"$tmp/c$n.commit")" "$(maxof <"$tmp/c$n.gate")"
    done
    n=${CURVE[-1]}
    if le "$(maxof <"$tmp/c$n.commit")" 100; then f='**met**'; else f='**missed**'; fi
    printf '\nGoal: slowest of %s <= 100 ms after the COMMIT: %s.\n\n' "$n" "$f"

    base=$(median <"$tmp/health.psql")
    printf '## b. Cost of one `slipway health`\n\n'
    printf 'hyperfine -N (no shell), %s runs x %s rounds per command, order rotated, pooled; load average %s.\n\n' \
        "$HEALTH_RUNS" "$HEALTH_ROUNDS" "$load_b"
    printf '| Command | median ms | min..max | vs psql |\n|---|---:|---|---:|\n'
    for tool in "${HTOOLS[@]}"; do
        case $tool in
        socket) f='`slipway health`, supervisor answers over health_socket' ;;
        direct) f='`slipway health`, no supervisor: checks the database itself' ;;
        psql) f="\`psql -c 'select 1'\`" ;;
        true) f='`/bin/true` (reference: exec of a program that does nothing)' ;;
        version) f='`slipway --version` (reference: slipway start-up, no config)' ;;
        esac
        med=$(median <"$tmp/health.$tool")
        printf '| %s | %.2f | %s | %sx |\n' "$f" "$med" "$(minmax_f %.2f <"$tmp/health.$tool")" "$(ratio "$med" "$base")"
    done
    med=$(median <"$tmp/health.socket")
    if le "$med" 2; then f='**met**'; else f='**missed**'; fi
    printf '\nGoal: socket path <= 2 ms: %s (%.2f ms; %sx `/bin/true` measured alongside).\n\n' "$f" "$med" \
        "$(ratio "$med" "$(median <"$tmp/health.true")")"
    printf 'New backends (`log_connections`, "connection authorized" lines in the server log):\n\n'
    printf '| %s calls of | new backends |\n|---|---:|\n' "$COUNT_CALLS"
    printf '| `slipway health` over the socket (%s s) | %d |\n' "$socket_window_s" "$conn_socket"
    printf '| `slipway health` direct (check that the count works) | %d |\n' "$conn_direct"
    if ((conn_socket == 0)); then f='**met**'; else f='**missed**'; fi
    printf '\nGoal: 0 new backends on the socket path: %s. ' "$f"
    printf 'Over the whole hyperfine phase (%s s, every command): %d connections, of which %d are the %d direct + %d psql calls; ' \
        "$hf_window_s" "$conn_hf" $(((HEALTH_RUNS + 5) * HEALTH_ROUNDS * 2)) \
        $(((HEALTH_RUNS + 5) * HEALTH_ROUNDS)) $(((HEALTH_RUNS + 5) * HEALTH_ROUNDS))
    printf 'the rest are the supervisor'"'"'s re-checks (one when a probe finds its answer older than 60 s).\n'
}
mkdir -p "$results_dir"
report | tee "$report_md"
log "report written to $report_md"
