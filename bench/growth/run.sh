#!/usr/bin/env bash
# bench/growth/run.sh - how slipway's costs grow with the work, on a private PostgreSQL this
# script starts and stops itself. Every curve should be flat or linear.
#
# Measures (see bench/README.md, "Growth"):
#   a. migrations: for each N in SIZES, N one-table migrations (`CREATE TABLE g_i (id int);`):
#      the first `--upgrade` on a fresh database (wall ms, ms per migration), then a no-op
#      `--upgrade`, `status` and `check` on the same directory; the peak RSS of each
#      (GNU time's %M, KiB). Median of RUNS runs each.
#   b. health under load: one supervisor answering `slipway health` on its health_socket,
#      PROBE_RATE probes per second for PROBE_S seconds from a paced client that speaks the
#      socket protocol exactly as `slipway health` does (connect, read one line): latency p50 /
#      p99 / max, probes answered, and the supervisor's VmRSS before and after. A client
#      process instead of 1,000 execs a second of `slipway health`, which alone would take both
#      CPUs of a small machine: what grows, if anything, is the supervisor.
# The gated-supervisor curve (1, 10, 100 supervisors, COMMIT -> every server started) is in
# bench/readiness/run.sh (CURVE).
#
# Prints a Markdown report on stdout and writes it to bench/results/growth.md (gitignored);
# progress goes to stderr. Needs: bash, psql and the PostgreSQL server binaries, GNU time
# (Debian: time), python3.
#
# Environment knobs (defaults in brackets):
#   BENCH_SLIPWAY  slipway binary [release build in build-bench/]
#   BENCH_PG_PORT  port of the private PostgreSQL [25464]
#   SIZES ["10 100 1000 10000"]  RUNS [3]  PROBE_RATE [1000]  PROBE_S [30]

# shellcheck disable=SC2016 # backquotes in printf formats are Markdown, not expansions
BENCH=growth
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
report_md=$results_dir/growth.md

read -r -a SIZES <<<"${SIZES:-10 100 1000 10000}"
RUNS=${RUNS:-3}
PROBE_RATE=${PROBE_RATE:-1000}
PROBE_S=${PROBE_S:-30}
pg_port=${BENCH_PG_PORT:-25464}
exec {log_fd}>&2

need "Debian: apt-get install -y postgresql time python3" psql python3
[[ -x /usr/bin/time ]] || die "GNU time not found (Debian: apt-get install -y time)"
find_slipway
pg_start

# One command, timed, with its peak RSS: appends "ms kib" to samples/NAME.
measure() { # NAME COMMAND...
    local name=$1 t0 t1 kib
    shift
    t0=${EPOCHREALTIME/./}
    /usr/bin/time -f %M -o "$tmp/rss" "$@" >"$tmp/out.log" 2>&1 ||
        { tail -n 20 "$tmp/out.log" >&2; die "$name failed: $*"; }
    t1=${EPOCHREALTIME/./}
    kib=$(tail -n 1 "$tmp/rss")
    printf '%s %s\n' "$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.1f", d / 1000 }')" "$kib" >>"$tmp/samples/$name"
}
col_median() { awk -v c="$2" '{ print $c }' "$tmp/samples/$1" | median; } # NAME COLUMN

# ---------------------------------------------------------------------------------------------
# a. Migrations.
mkdir -p "$tmp/samples" "$tmp/conf"
load_begin
for n in "${SIZES[@]}"; do
    dir=$tmp/m$n
    mkdir -p "$dir"
    for ((i = 1; i <= n; i++)); do
        printf 'CREATE TABLE g_%05d (id int);\n' "$i" >"$(printf '%s/%05d_g%05d.sql' "$dir" "$i" "$i")"
    done
    for ((r = 1; r <= RUNS; r++)); do
        db=growth_${n}_$r
        admin -c "drop database if exists $db" -c "create database $db"
        conf=$tmp/conf/$db.ini
        printf '[database]\nurl = %s\n[migrations]\ndir = %s\n' "$(url "$db")" "$dir" >"$conf"
        log "a. $n migrations, run $r/$RUNS"
        measure "first.$n" "$slipway_bin" -q -c "$conf" --upgrade
        [[ $(admin -d "$db" -c 'select count(*) from slipway_migrations where success') == "$n" ]] ||
            die "$n migrations: not all recorded"
        measure "noop.$n" "$slipway_bin" -q -c "$conf" --upgrade
        measure "status.$n" "$slipway_bin" -q -c "$conf" status
        measure "check.$n" "$slipway_bin" -q -c "$conf" check
        admin -c "drop database $db"
    done
done
load_a=$(load_end)

# ---------------------------------------------------------------------------------------------
# b. Health under load.
db=growth_health
admin -c "drop database if exists $db" -c "create database $db"
conf=$tmp/conf/health.ini
sock=$tmp/health.sock
printf '[database]\nurl = %s\n[migrations]\ndir = %s\n[serve]\nwait_for = database\nhealth_socket = %s\n' \
    "$(url "$db")" "$tmp/m${SIZES[0]}" "$sock" >"$conf"
"$slipway_bin" -q -c "$conf" --upgrade >"$tmp/out.log" 2>&1 || { cat "$tmp/out.log" >&2; die "upgrade failed"; }
"$slipway_bin" -q -c "$conf" -- sleep 3600 >"$tmp/supervisor.log" 2>&1 &
sup=$!
BG_PIDS+=("$sup")
for ((i = 0; i < 500; i++)); do "$slipway_bin" -q -c "$conf" health >/dev/null 2>&1 && break; sleep 0.02; done
"$slipway_bin" -q -c "$conf" health >/dev/null 2>&1 || die "the supervisor does not answer healthy"
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$sup/status"; }
rss_before=$(rss)
log "b. $PROBE_RATE probes/s for $PROBE_S s"
load_begin
python3 - "$sock" "$PROBE_RATE" "$PROBE_S" >"$tmp/probes" <<'PY'
import socket, sys, time
path, rate, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
lat, bad = [], 0
start = time.monotonic()
for i in range(int(rate * secs)):
    due = start + i / rate          # paced: a slow answer does not slow the schedule down
    now = time.monotonic()
    if due > now:
        time.sleep(due - now)
    t0 = time.monotonic()
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(600)
            if not chunk:
                break
            data += chunk
        if not data.startswith(b"0 "):
            bad += 1
    except OSError:
        bad += 1
    finally:
        s.close()
    lat.append((time.monotonic() - t0) * 1000)
lat.sort()
pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(len(lat), bad, "%.3f %.3f %.3f" % (pick(0.5), pick(0.99), lat[-1]),
      "%.1f" % (time.monotonic() - start))
PY
load_b=$(load_end)
rss_after=$(rss)
read -r probes bad p50 p99 pmax elapsed <"$tmp/probes"

# ---------------------------------------------------------------------------------------------
# Report.
report() {
    local n base_first base_noop
    printf '# Growth benchmark\n\n'
    printf 'slipway %s, PostgreSQL %s (private instance, fsync off, TCP 127.0.0.1). %s CPUs; %s.\n\n' \
        "$("$slipway_bin" --version 2>&1 | awk '{ print $NF }')" "$(admin -c 'show server_version')" \
        "$(nproc)" "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf '## a. Migrations\n\nMedian of %s runs; peak RSS from GNU time (KiB); load average %s.\n\n' "$RUNS" "$load_a"
    printf '| migrations | first upgrade ms | per migration ms | RSS KiB | no-op ms | RSS KiB | status ms | RSS KiB | check ms | RSS KiB |\n'
    printf '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
    for n in "${SIZES[@]}"; do
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" \
            "$(col_median "first.$n" 1)" "$(awk -v m="$(col_median "first.$n" 1)" -v n="$n" 'BEGIN { printf "%.2f", m / n }')" \
            "$(col_median "first.$n" 2)" "$(col_median "noop.$n" 1)" "$(col_median "noop.$n" 2)" \
            "$(col_median "status.$n" 1)" "$(col_median "status.$n" 2)" \
            "$(col_median "check.$n" 1)" "$(col_median "check.$n" 2)"
    done
    n=${SIZES[-1]}
    base_first=$(col_median "first.${SIZES[0]}" 1) base_noop=$(col_median "noop.${SIZES[0]}" 1)
    printf '\nFrom %s to %s migrations (x%s): first upgrade x%s, no-op x%s.\n\n' "${SIZES[0]}" "$n" \
        "$(ratio "$n" "${SIZES[0]}")" "$(ratio "$(col_median "first.$n" 1)" "$base_first")" \
        "$(ratio "$(col_median "noop.$n" 1)" "$base_noop")"
    printf '## b. `slipway health` over the socket, %s probes/s for %s s\n\n' "$PROBE_RATE" "$PROBE_S"
    printf 'Load average %s.\n\n' "$load_b"
    printf '| probes | not healthy or failed | elapsed s | p50 ms | p99 ms | max ms | supervisor VmRSS before -> after KiB |\n'
    printf '|---:|---:|---:|---:|---:|---:|---|\n'
    printf '| %s | %s | %s | %s | %s | %s | %s -> %s |\n\n' "$probes" "$bad" "$elapsed" "$p50" "$p99" "$pmax" "$rss_before" "$rss_after"
}
mkdir -p "$results_dir"
report | tee "$report_md"
log "report written to $report_md"
