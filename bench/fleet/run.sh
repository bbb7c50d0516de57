#!/usr/bin/env bash
# bench/fleet/run.sh - what the fleet heartbeat costs PostgreSQL: REPLICAS supervisors, each
#   slipway -c CONF -- sleep 7201   ([serve] heartbeat = HEARTBEAT, its own health_socket)
# registered in slipway_fleet on a private PostgreSQL (TCP, sslmode=disable). Once all are
# registered, for WINDOW seconds:
#   - backends: pg_stat_activity sampled every 100 ms, connections named "slipway fleet%"
#     (max and mean): no connection is held between beats, so only beats in flight show;
#   - server CPU: utime+stime of the postmaster, its live children and its reaped children
#     (cutime+cstime: the short-lived backends), from /proc, over the window;
#   - supervisors' CPU: the same for the REPLICAS slipway processes (their worker threads
#     included);
#   - beats: how far last_seen moved (rows refreshed per second).
# The per-beat cost is scaled to the default heartbeat (30 s) in the report.
# Prints a Markdown report and writes it to bench/results/fleet.md (gitignored).
#
# Environment knobs (defaults in brackets):
#   BENCH_SLIPWAY   slipway binary [release build in build-bench/]
#   BENCH_PG_PORT   port of the private PostgreSQL [25464]
#   REPLICAS [100]  HEARTBEAT [10s]  WINDOW [30]
BENCH=fleet
now_ms() { date +%s%3N; }
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
need "Debian: postgresql" psql
pg_port=${BENCH_PG_PORT:-25464}
replicas=${REPLICAS:-100} heartbeat=${HEARTBEAT:-10s} window=${WINDOW:-30}
report_md=$results_dir/fleet.md

find_slipway
pg_start
admin -c "ALTER SYSTEM SET max_connections = 300" >/dev/null
"$root/tests/lib/pg.sh" restart "$pg_dir"
mkdir -p "$tmp/mig"
echo "CREATE TABLE t (a int);" >"$tmp/mig/0001_t.sql"
printf '[serve]\nheartbeat = %s\nimage = bench\n[database]\nurl = %s\n[migrations]\ndir = %s\n' \
    "$heartbeat" "$(url postgres)" "$tmp/mig" >"$tmp/slipway.ini"
"$slipway_bin" -c "$tmp/slipway.ini" --upgrade 2>"$tmp/upgrade.log" || die "upgrade failed"

log "starting $replicas supervisors (heartbeat $heartbeat)"
sup_pids=()
for ((i = 0; i < replicas; i++)); do
    # (an unusual duration: these sleeps are easy to tell from anyone else's in ps)
    SLIPWAY_SERVE_HEALTH_SOCKET=$tmp/h$i.sock "$slipway_bin" -c "$tmp/slipway.ini" -q -- sleep 7201 &
    BG_PIDS+=($!)
    sup_pids+=($!)
done
for ((i = 0; i < 600; i++)); do
    [[ $(admin -c "SELECT count(*) FROM slipway_fleet") == "$replicas" ]] && break
    sleep 0.1
done
[[ $(admin -c "SELECT count(*) FROM slipway_fleet") == "$replicas" ]] || die "not all registered"

hz=$(getconf CLK_TCK)
postmaster=$(head -1 "$pg_dir/data/postmaster.pid")
ticks() { # PID... -> utime+stime of each (and cutime+cstime with -c first)
    local children=0 sum=0 pid f
    [[ $1 == -c ]] && { children=1; shift; }
    for pid in "$@"; do
        f=$(cut -d' ' -f14-17 "/proc/$pid/stat" 2>/dev/null) || continue
        read -r u s cu cs <<<"$f"
        sum=$((sum + u + s + children * (cu + cs)))
    done
    echo "$sum"
}
server_ticks() { echo $(($(ticks -c "$postmaster") + $(ticks $(pgrep -P "$postmaster")))); }

# One sampling session (psql \watch every 100 ms), not a psql per sample: each would be a
# backend of its own, measured with the rest.
mark=$(admin -c "SELECT now()")
s0=$(server_ticks) c0=$(ticks "${sup_pids[@]}") t0=$(now_ms)
printf '%s\n\\watch 0.1\n' "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'slipway fleet%'" |
    psql -X -q -At -d postgres >"$tmp/samples" 2>/dev/null &
watcher=$!
BG_PIDS+=($watcher)
pause "$window"
kill "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true
s1=$(server_ticks) c1=$(ticks "${sup_pids[@]}") t1=$(now_ms)
mapfile -t samples < <(grep -E '^[0-9]+$' "$tmp/samples")
beats=$(admin -c "SELECT count(*) FROM slipway_fleet WHERE last_seen > '$mark'")
elapsed_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
backends_max=$(printf '%s\n' "${samples[@]}" | sort -n | tail -1)
backends_mean=$(printf '%s\n' "${samples[@]}" | awk '{ s += $1 } END { printf "%.2f", s / NR }')
server_pct=$(awk -v d=$((s1 - s0)) -v hz="$hz" -v e="$elapsed_s" 'BEGIN { printf "%.1f", 100 * d / hz / e }')
sup_pct=$(awk -v d=$((c1 - c0)) -v hz="$hz" -v e="$elapsed_s" 'BEGIN { printf "%.1f", 100 * d / hz / e }')
hb_s=$(awk -v h="$heartbeat" 'BEGIN { v = h + 0; if (h ~ /ms$/) v /= 1000; print v }')
per_beat_ms=$(awk -v d=$((s1 - s0)) -v hz="$hz" -v n="$replicas" -v e="$elapsed_s" -v hb="$hb_s" \
    'BEGIN { printf "%.2f", 1000 * d / hz / (n * e / hb) }')
at30=$(awk -v p="$server_pct" -v hb="$hb_s" 'BEGIN { printf "%.2f", p * hb / 30 }')

# Reference, once the supervisors are gone: what one short connection (psql over TCP, one
# SELECT) costs the server on this machine.
stop_all
ref_n=50
r0=$(server_ticks)
for ((i = 0; i < ref_n; i++)); do psql -X -q -At -d "$(url postgres)" -c 'SELECT 1' >/dev/null; done
r1=$(server_ticks)
ref_ms=$(awk -v d=$((r1 - r0)) -v hz="$hz" -v n="$ref_n" 'BEGIN { printf "%.2f", 1000 * d / hz / n }')

mkdir -p "$results_dir"
{
    echo "# Fleet heartbeat: $replicas replicas, heartbeat $heartbeat, ${elapsed_s} s window"
    echo
    echo "| measure | value |"
    echo "|---|--:|"
    echo "| replicas registered | $replicas |"
    echo "| rows refreshed in the window | $beats |"
    echo "| fleet backends in pg_stat_activity, max of ${#samples[@]} samples | $backends_max |"
    echo "| fleet backends, mean | $backends_mean |"
    echo "| PostgreSQL CPU (all processes), % of one core | $server_pct |"
    echo "| PostgreSQL CPU per beat, ms | $per_beat_ms |"
    echo "| PostgreSQL CPU scaled to heartbeat = 30s, % of one core | $at30 |"
    echo "| the $replicas supervisors' CPU, % of one core | $sup_pct |"
    echo "| reference: PostgreSQL CPU per psql connection (SELECT 1), ms | $ref_ms |"
} | tee "$report_md"
