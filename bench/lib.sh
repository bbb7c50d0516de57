# shellcheck shell=bash
# bench/lib.sh - what bench/*/run.sh share. Each script sets BENCH (its name: "serve",
# "upgrade", "readiness") and sources this file:
#   BENCH=serve
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# On sourcing: strict mode and the C locale, $root and $results_dir, log/die, the temp dir
# $tmp (and $pg_dir inside it) with the cleanup trap, and SLIPWAY_* removed from the
# environment. The rest are functions the scripts call.

# shellcheck disable=SC2034 # root, results_dir and pg_dir are for the scripts that source this
# shellcheck disable=SC2154 # pg_port (pg_start, url) is set by the scripts that use them
set -euo pipefail
export LC_ALL=C # decimal points and sort order independent of the caller's locale

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
results_dir=$root/bench/results

# Debian's /usr/bin/psql is a Perl wrapper (pg_wrapper) that picks a cluster's version and
# then runs the real psql: ~40 ms of Perl start-up on every call here, which a floor or a
# peer measured with psql must not include. The newest server version's binaries go first
# on PATH (the version tests/lib/pg.sh starts), so `psql` is the client itself, for every
# tool that starts one (sqitch too).
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -z $pg_bin ]] || PATH=$pg_bin:$PATH

# slipway reads SLIPWAY_<SECTION>_<KEY> and SLIPWAY_CONFIG, which would change what is
# measured: keep the caller's out of every process the benchmark starts.
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep '^SLIPWAY' || true)

# Progress goes to the caller's stderr. A script whose traps may run while stderr is
# redirected opens a copy first (exec {log_fd}>&2) so that log still reaches the caller.
log_fd=2
log() { printf '%s-bench: %s\n' "$BENCH" "$*" >&"$log_fd"; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# Cleanup: every process a script starts in the background is recorded in BG_PIDS. On any exit
# (normal, error, Ctrl-C) cleanup stops them and their descendants, then the private
# PostgreSQL if one was started (pg_start), then removes the temp dir.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/slipway-bench-$BENCH.XXXXXX")
pg_dir=$tmp/pg
pg_started=false
PG_EXTRA_DIRS=() # servers started by pg_start_durable
BG_PIDS=()
PAUSE_PID=

descendants() { # PID -> all its descendants' pids, depth first
    local child
    for child in $(pgrep -P "$1" 2>/dev/null || true); do
        descendants "$child"
        echo "$child"
    done
}

# Stop a supervisor politely (SIGTERM, which every supervisor forwards to its child and exits
# with), then SIGKILL it and everything below it if it has not exited within 3 s.
stop_supervisor() {
    local pid=$1 i tree
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    tree=$(descendants "$pid")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 30; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    # shellcheck disable=SC2086 # $tree is a list of pids
    kill -KILL "$pid" $tree 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
stop_all() { # stops every process in BG_PIDS, in the order they were started
    local pid
    for pid in "${BG_PIDS[@]}"; do stop_supervisor "$pid"; done
    BG_PIDS=()
}

# Sleep in the background and wait for it: unlike a foreground sleep, `wait` returns as soon
# as a trapped signal arrives, so Ctrl-C or kill stops the benchmark at once.
pause() {
    sleep "$1" &
    PAUSE_PID=$!
    wait "$PAUSE_PID"
    PAUSE_PID=
}

cleanup() {
    trap - EXIT INT TERM
    [[ -z $PAUSE_PID ]] || kill "$PAUSE_PID" 2>/dev/null || true
    stop_all
    if $pg_started; then "$root/tests/lib/pg.sh" stop "$pg_dir" || true; fi
    local d
    for d in "${PG_EXTRA_DIRS[@]}"; do "$root/tests/lib/pg.sh" stop "$d" || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Preflight.
need() { # HINT TOOL... -> dies "TOOL not found (HINT)" for the first TOOL not on PATH
    local hint=$1 tool
    shift
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "$tool not found ($hint)"
    done
}

# Sets slipway_bin to the absolute path of the binary to measure: BENCH_SLIPWAY, or else a
# release build in its own directory, build-bench/ (shared by all the benchmarks), so that a
# developer's debug build is never measured.
find_slipway() {
    slipway_bin=${BENCH_SLIPWAY:-}
    if [[ -z $slipway_bin ]]; then
        log "building slipway (release) in build-bench/"
        if [[ ! -f $root/build-bench/build.ninja ]]; then
            meson setup "$root/build-bench" "$root" -Dbuildtype=release >"$tmp/build.log" 2>&1 ||
                { cat "$tmp/build.log" >&2; die "meson setup failed"; }
        fi
        ninja -C "$root/build-bench" slipway >>"$tmp/build.log" 2>&1 ||
            { tail -n 30 "$tmp/build.log" >&2; die "build failed"; }
        slipway_bin=$root/build-bench/slipway
    fi
    [[ -x $slipway_bin ]] || die "slipway binary $slipway_bin is not executable"
    slipway_bin=$(cd "$(dirname "$slipway_bin")" && pwd)/$(basename "$slipway_bin")
}

# ---------------------------------------------------------------------------------------------
# The private PostgreSQL (tests/lib/pg.sh: initdb in $pg_dir, fsync off), on PORT; exports
# PGHOST, PGPORT, PGUSER and PGDATABASE for psql. Stopped by cleanup.
pg_start() { # uses pg_port
    local pg_env
    chmod 755 "$tmp" # the server runs as postgres and keeps its data and socket in here
    log "starting PostgreSQL on port $pg_port"
    pg_env=$("$root/tests/lib/pg.sh" start "$pg_dir" "$pg_port") ||
        { tail -n 5 "$pg_dir/server.log" >&2 2>/dev/null; die "cannot start PostgreSQL (port $pg_port in use? set BENCH_PG_PORT)"; }
    pg_started=true
    eval "$pg_env"
}
# A second private PostgreSQL on PORT with fsync, synchronous_commit and full_page_writes on,
# as users run it; its directory is DIR. The caller switches to it with pg_use.
pg_start_durable() { # DIR PORT
    log "starting a durable PostgreSQL (fsync on) on port $2"
    SLIPWAY_PG_DURABLE=1 "$root/tests/lib/pg.sh" start "$1" "$2" >/dev/null ||
        { tail -n 5 "$1/server.log" >&2 2>/dev/null; die "cannot start PostgreSQL on port $2"; }
    PG_EXTRA_DIRS+=("$1")
}
pg_use() { pg_port=$2 PGHOST=$1 PGPORT=$2; } # DIR PORT: url and admin now talk to that server
url() { printf 'postgresql://postgres@127.0.0.1:%s/%s?sslmode=disable' "$pg_port" "$1"; } # DB -> URL over TCP
admin() { # psql over the Unix socket, quiet (no NOTICE for "drop database if exists")
    PGOPTIONS='-c client_min_messages=warning' psql -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"
}

# ---------------------------------------------------------------------------------------------
# Small numeric helpers (awk: bash has no floating point).
median() { # numbers on stdin -> median (mean of the two middle values for an even count)
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
minmax_f() { # FORMAT: numbers on stdin -> "min..max", both printed with FORMAT
    sort -g | awk -v f="$1" 'NR == 1 { lo = $1 } { hi = $1 } END { printf f ".." f, lo, hi }'
}
minmax() { minmax_f %s; } # numbers on stdin -> "min..max", as read
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; } # a <= b, as floats

# ---------------------------------------------------------------------------------------------
# Load during a section: load_begin at its start, load_end at its end prints the load average
# (1/5/15 min) before -> after, and how busy all CPUs were (/proc/stat, this benchmark
# included): "L1 L5 L15 -> L1 L5 L15; CPUs busy N% of the time".
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
load_begin() { LOAD0="$(loadavg)"; read -r CPU_B0 CPU_T0 < <(cpu_ticks); }
load_end() {
    local b1 t1
    read -r b1 t1 < <(cpu_ticks)
    printf '%s -> %s; CPUs busy %s of the time' "$LOAD0" "$(loadavg)" \
        "$(awk -v b=$((b1 - CPU_B0)) -v t=$((t1 - CPU_T0)) 'BEGIN { printf "%.0f%%", (t > 0 ? 100 * b / t : 0) }')"
}

# ---------------------------------------------------------------------------------------------
# hyperfine without a shell over several commands, in ROUNDS rounds with the order rotated
# each round (so a burst of load from other jobs does not always hit the same command), each
# command's times pooled: one line per run, in ms, appended to PREFIX.NAME. CMDS names an
# associative array NAME -> command line; the JSON of round r is in PREFIX.r.json.
# HF_IGNORE_FAILURE=1: a non-zero exit is not an error (linters exit 1 on findings).
hyperfine_rounds() { # ROUNDS RUNS WARMUP PREFIX CMDS NAME...
    local rounds=$1 runs=$2 warmup=$3 prefix=$4 r k name ms
    local -n cmds=$5
    shift 5
    local names=("$@") hf_args
    for ((r = 0; r < rounds; r++)); do
        hf_args=()
        for ((k = 0; k < ${#names[@]}; k++)); do
            name=${names[(k + r) % ${#names[@]}]}
            hf_args+=(-n "$name" "${cmds[$name]}")
        done
        hyperfine -N ${HF_IGNORE_FAILURE:+--ignore-failure} --style none --warmup "$warmup" --runs "$runs" --export-json "$prefix.$r.json" \
            "${hf_args[@]}" >"$tmp/hyperfine.log" 2>&1 || { cat "$tmp/hyperfine.log" >&2; die "hyperfine failed"; }
        jq -r '.results[] | .command as $c | .times[] | "\($c) \(. * 1000)"' "$prefix.$r.json" |
            while read -r name ms; do printf '%s\n' "$ms" >>"$prefix.$name"; done
    done
}
