#!/usr/bin/env bash
# bench/serve/run.sh - serve mode against tini, dumb-init and catatonit, side by side, one run.
#
# Measures (see bench/README.md, "Serve mode"):
#   1. start-up:  `X -- /bin/true`, hyperfine without a shell, median in ms;
#   2. memory:    VmRSS of the supervisor while it supervises `sleep`, median of RSS_RUNS, KiB;
#   3. reaping:   X as PID 1 of a fresh PID namespace; orphans.c makes ORPHANS zombies, hands
#                 them all at once to PID 1 and exits only once all are reaped. Total wall
#                 time of the run; inside the namespace, the drain (hand-over to last reaped)
#                 in wall time and in CPU time of PID 1; medians of REAP_RUNS; zombies left;
#   4. idle:      context switches (voluntary + involuntary, all threads) of the supervisor
#                 during IDLE_S idle seconds - every wake-up costs at least one.
# Ratios are to tini. Goals for slipway (issues 2 and 17): start-up at most tini's, RSS within
# 1.10x of tini, reaping no slower than tini, 0 idle wake-ups.
#
# Prints a Markdown report on stdout and writes it to bench/results/serve.md (gitignored).
# Progress goes to stderr. Needs: bash, cc, hyperfine, jq, unshare, pgrep, tini, dumb-init,
# catatonit (Debian: apt-get install -y tini dumb-init catatonit hyperfine jq), and root (or
# unprivileged user namespaces) for the PID namespace.
#
# Environment knobs (defaults in brackets):
#   BENCH_SLIPWAY   slipway binary [build/release in build-bench/ with meson + ninja]
#   STARTUP_RUNS [1000]  STARTUP_ROUNDS [5]  STARTUP_WARMUP [20 per round]  RSS_RUNS [5]
#   ORPHANS [10000]  REAP_RUNS [9]  REAP_TOLERANCE [0.10]  IDLE_S [10]
# "Reaping no slower than tini" is judged on the CPU time PID 1 spends during the drain: the
# work of reaping, the only part of the run that depends on PID 1. The total wall time also
# holds ~1 s of fork() in the helper, and the drain's wall time (tens of ms) mostly measures
# scheduling when other jobs share the CPUs: both vary between runs more than supervisors
# differ, so they are shown but not judged. Goal: median CPU(slipway) <= median CPU(tini) *
# (1 + REAP_TOLERANCE); the report shows min..max so the noise is visible.

# shellcheck disable=SC2034 # arrays are read through namerefs (local -n) in the report
# shellcheck disable=SC2016 # backquotes in printf formats are Markdown, not expansions
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH=serve
# shellcheck source=../lib.sh
source "$here/../lib.sh" # strict mode, log/die, $tmp + cleanup, SLIPWAY_* unset, helpers
report_md=$results_dir/serve.md

STARTUP_RUNS=${STARTUP_RUNS:-1000}
STARTUP_WARMUP=${STARTUP_WARMUP:-20}
STARTUP_ROUNDS=${STARTUP_ROUNDS:-5}
RSS_RUNS=${RSS_RUNS:-5}
ORPHANS=${ORPHANS:-10000}
REAP_RUNS=${REAP_RUNS:-9}
REAP_TOLERANCE=${REAP_TOLERANCE:-0.10}
IDLE_S=${IDLE_S:-10}
# Keep our own knobs out of the supervisors' environment (lib.sh removed SLIPWAY_*).
export -n BENCH_SLIPWAY STARTUP_RUNS STARTUP_ROUNDS STARTUP_WARMUP RSS_RUNS ORPHANS REAP_RUNS \
    REAP_TOLERANCE IDLE_S 2>/dev/null || true

SUPERVISORS=(slipway tini dumb-init catatonit)
BASELINE=tini

# Every background supervisor goes into BG_PIDS, which cleanup (lib.sh) stops with its
# descendants on any exit. The PID namespace runs need no cleanup: when their PID 1 dies the
# kernel kills the whole namespace, and `timeout` bounds each run.

# ---------------------------------------------------------------------------------------------
# Preflight.
need "Debian: apt-get install -y tini dumb-init catatonit hyperfine jq" \
    cc hyperfine jq unshare pgrep timeout tini dumb-init catatonit

find_slipway
# A freshly linked binary sits in the page cache as dirty pages until written back, and
# smaps counts those as Private_Dirty of every process mapping them: flush it first.
sync "$slipway_bin" 2>/dev/null || sync
[[ -e /etc/slipway/slipway.ini ]] &&
    log "warning: /etc/slipway/slipway.ini exists; slipway reads it in every measure"

# The command line of each supervisor, as in a Dockerfile ENTRYPOINT. tini gets -s (child
# subreaper when not PID 1), which slipway and catatonit do by themselves; dumb-init has no
# such option (it only reaps orphans as PID 1). As PID 1 (reaping) -s changes nothing.
sup_cmd() { # NAME -> sets SUP to the argv prefix before the command
    case $1 in
    slipway) SUP=("$slipway_bin" --) ;;
    tini) SUP=(tini -s --) ;;
    dumb-init) SUP=(dumb-init --) ;;
    catatonit) SUP=(catatonit --) ;;
    *) die "unknown supervisor $1" ;;
    esac
}

# Unprivileged runs need a user namespace to own the PID namespace and mount /proc.
UNSHARE=(unshare --pid --fork --mount-proc)
[[ $(id -u) -eq 0 ]] || UNSHARE=(unshare --user --map-root-user --pid --fork --mount-proc)

log "compiling the orphan helper"
cc -O2 -Wall -Wextra -o "$tmp/orphans" "$here/orphans.c" || die "cannot compile orphans.c"

# Smoke test: each supervisor runs `true` and passes its exit code, so we never time an error.
for s in "${SUPERVISORS[@]}"; do
    sup_cmd "$s"
    "${SUP[@]}" /bin/true >"$tmp/smoke.out" 2>&1 ||
        { cat "$tmp/smoke.out" >&2; die "$s -- /bin/true failed"; }
    if "${SUP[@]}" /bin/false >/dev/null 2>&1; then die "$s -- /bin/false exited 0"; fi
done

# ---------------------------------------------------------------------------------------------
# Small numeric helpers besides lib.sh's (awk: bash has no floating point).
fmt() { awk -v v="$1" -v f="$2" 'BEGIN { printf f, v }'; }
now_ms() { local t=$EPOCHREALTIME; awk -v t="$t" 'BEGIN { printf "%.3f", t * 1000 }'; }

declare -A STARTUP_MED STARTUP_MEAN STARTUP_SD STARTUP_MIN RSS_MED RSS_RANGE PSS_MED PRIV_MED
declare -A REAP_MED REAP_RANGE REAP_SETUP REAP_DRAIN REAP_DRAIN_RANGE REAP_CPU REAP_CPU_RANGE REAP_ZOMBIES REAP_UNREAPED REAP_FAIL
declare -A IDLE_CS IDLE_VOL IDLE_INVOL

# ---------------------------------------------------------------------------------------------
# 1. Start-up: `X -- /bin/true`, no shell in between (-N). hyperfine runs each command's
#    runs in one block, so on a shared machine a burst of load lands on one supervisor only;
#    we split the runs into STARTUP_ROUNDS hyperfine calls with the order rotated each round
#    and pool the individual times of all rounds (hyperfine's JSON "times") before taking
#    the median, mean, stddev and min.
log "1/4 start-up: hyperfine, $STARTUP_RUNS runs each in $STARTUP_ROUNDS rounds"
runs_per_round=$(((STARTUP_RUNS + STARTUP_ROUNDS - 1) / STARTUP_ROUNDS))
n_sup=${#SUPERVISORS[@]}
for ((r = 0; r < STARTUP_ROUNDS; r++)); do
    hf_args=()
    for ((k = 0; k < n_sup; k++)); do
        s=${SUPERVISORS[(k + r) % n_sup]}
        sup_cmd "$s"
        # hyperfine -N splits the command shell-like; quote each word.
        hf_args+=(-n "$s" "$(printf '%q ' "${SUP[@]}" /bin/true)")
    done
    timeout 600 hyperfine -N --style basic --warmup "$STARTUP_WARMUP" --runs "$runs_per_round" \
        --export-json "$tmp/startup.$r.json" "${hf_args[@]}" >"$tmp/hyperfine.log" 2>&1 ||
        { cat "$tmp/hyperfine.log" >&2; die "hyperfine failed"; }
done
for s in "${SUPERVISORS[@]}"; do
    read -r med mean sd min < <(jq -rs --arg n "$s" '
        [.[].results[] | select(.command == $n) | .times[]] | sort | length as $l
        | (add / $l) as $mean
        | (if $l % 2 == 1 then .[($l - 1) / 2] else (.[$l / 2 - 1] + .[$l / 2]) / 2 end) as $med
        | ((map((. - $mean) * (. - $mean)) | add) / ([$l - 1, 1] | max) | sqrt) as $sd
        | "\($med * 1000) \($mean * 1000) \($sd * 1000) \(.[0] * 1000)"' "$tmp"/startup.*.json)
    [[ -n $med ]] || die "no start-up times for $s"
    STARTUP_MED[$s]=$med STARTUP_MEAN[$s]=$mean STARTUP_SD[$s]=$sd STARTUP_MIN[$s]=$min
done

# ---------------------------------------------------------------------------------------------
# Start one supervisor on `sleep SECONDS` in the background; its pid is in STARTED. The
# supervisor is the direct child of this shell (bash execs the last command of `&`).
start_bg() { # NAME SECONDS
    sup_cmd "$1"
    "${SUP[@]}" sleep "$2" </dev/null >/dev/null 2>&1 &
    STARTED=$!
    BG_PIDS+=("$STARTED")
}
ctxt() { # PID -> "voluntary involuntary" context switches summed over all its threads
    awk '/^voluntary_ctxt_switches/ { v += $2 } /^nonvoluntary_ctxt_switches/ { n += $2 }
         END { print v + 0, n + 0 }' /proc/"$1"/task/*/status
}

# 2. VmRSS while supervising sleep: all supervisors side by side, RSS_RUNS rounds, each read
#    0.5 s after the start (start-up finished, nothing else happening).
log "2/4 VmRSS: $RSS_RUNS rounds"
# VmRSS counts every resident page mapped, including libc pages shared with every other
# process. Details from smaps_rollup: Pss (each page divided among the processes mapping it)
# and Private_Dirty (heap, stack, written data: memory nobody else can share).
declare -A rss_samples pss_samples priv_samples
for ((r = 0; r < RSS_RUNS; r++)); do
    declare -A pid_of=()
    for s in "${SUPERVISORS[@]}"; do start_bg "$s" 30; pid_of[$s]=$STARTED; done
    pause 0.5
    for s in "${SUPERVISORS[@]}"; do
        kb=$(awk '/^VmRSS:/ { print $2 }' /proc/"${pid_of[$s]}"/status 2>/dev/null) ||
            die "$s exited before its VmRSS was read"
        rss_samples[$s]+="$kb "
        read -r pss priv < <(awk '/^Pss:/ { p = $2 } /^Private_Dirty:/ { v += $2 }
            END { print p + 0, v + 0 }' /proc/"${pid_of[$s]}"/smaps_rollup 2>/dev/null)
        pss_samples[$s]+="$pss " priv_samples[$s]+="$priv "
    done
    stop_all
done
for s in "${SUPERVISORS[@]}"; do
    RSS_MED[$s]=$(tr ' ' '\n' <<<"${rss_samples[$s]}" | grep . | median)
    RSS_RANGE[$s]=$(tr ' ' '\n' <<<"${rss_samples[$s]}" | grep . | minmax)
    PSS_MED[$s]=$(tr ' ' '\n' <<<"${pss_samples[$s]}" | grep . | median)
    PRIV_MED[$s]=$(tr ' ' '\n' <<<"${priv_samples[$s]}" | grep . | median)
done

# ---------------------------------------------------------------------------------------------
# 3. Reaping ORPHANS orphans as PID 1 of a fresh PID namespace. One warm-up run of 1,000
#    orphans per supervisor (also checks each works as PID 1), then REAP_RUNS rounds; the
#    order rotates every round so no supervisor always runs first or last.
reap_once() { # NAME N REPORT -> wall ms on stdout; the helper's exit status is returned
    local t0 t1 rc=0
    sup_cmd "$1"
    t0=$(now_ms)
    timeout -k 5 120 "${UNSHARE[@]}" "${SUP[@]}" "$tmp/orphans" "$2" "$3" \
        </dev/null >"$tmp/reap.out" 2>&1 || rc=$?
    t1=$(now_ms)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }'
    return "$rc"
}
log "3/4 reaping $ORPHANS orphans as PID 1: warm-up, then $REAP_RUNS rounds"
for s in "${SUPERVISORS[@]}"; do
    reap_once "$s" 1000 "$tmp/warm.report" >/dev/null ||
        { cat "$tmp/reap.out" "$tmp/warm.report" >&2 2>/dev/null; die "$s failed as PID 1"; }
done
declare -A wall_s setup_s drain_s cpu_s
report_val() { sed -n "s/.*\\<$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; } # KEY LINE -> value
for ((r = 0; r < REAP_RUNS; r++)); do
    for ((k = 0; k < n_sup; k++)); do
        s=${SUPERVISORS[(k + r) % n_sup]}
        rm -f "$tmp/reap.report"
        if wall=$(reap_once "$s" "$ORPHANS" "$tmp/reap.report"); then :; else
            REAP_FAIL[$s]=1
            log "  $s: run $((r + 1)) failed: $(cat "$tmp/reap.out" "$tmp/reap.report" 2>/dev/null)"
        fi
        line=$(cat "$tmp/reap.report" 2>/dev/null || echo "")
        wall_s[$s]+="$wall "
        setup_s[$s]+="$(report_val setup_ms "$line") "
        drain_s[$s]+="$(report_val drain_ms "$line") "
        cpu_s[$s]+="$(report_val pid1_cpu_ms "$line") "
        # Keep the worst run: any zombie or unreaped orphan in any run counts. A missing
        # report (helper killed by the timeout) is a failure.
        z=$(report_val zombies "$line") u=$(report_val unreaped "$line")
        [[ -n $z && -n $u ]] || { z=0 u=0 REAP_FAIL[$s]=1; }
        ((z > ${REAP_ZOMBIES[$s]:-0})) && REAP_ZOMBIES[$s]=$z
        ((u > ${REAP_UNREAPED[$s]:-0})) && REAP_UNREAPED[$s]=$u
        REAP_ZOMBIES[$s]=${REAP_ZOMBIES[$s]:-0} REAP_UNREAPED[$s]=${REAP_UNREAPED[$s]:-0}
        log "  round $((r + 1)) $s: ${wall} ms ($line)"
    done
done
for s in "${SUPERVISORS[@]}"; do
    REAP_MED[$s]=$(tr ' ' '\n' <<<"${wall_s[$s]}" | grep . | median)
    REAP_RANGE[$s]=$(tr ' ' '\n' <<<"${wall_s[$s]}" | grep . | minmax)
    REAP_SETUP[$s]=$(tr ' ' '\n' <<<"${setup_s[$s]}" | grep . | median)
    REAP_DRAIN[$s]=$(tr ' ' '\n' <<<"${drain_s[$s]}" | grep . | median)
    REAP_DRAIN_RANGE[$s]=$(tr ' ' '\n' <<<"${drain_s[$s]}" | grep . | minmax)
    REAP_CPU[$s]=$(tr ' ' '\n' <<<"${cpu_s[$s]}" | grep . | median)
    REAP_CPU_RANGE[$s]=$(tr ' ' '\n' <<<"${cpu_s[$s]}" | grep . | minmax)
done

# ---------------------------------------------------------------------------------------------
# 4. Idle wake-ups: all supervisors side by side on `sleep IDLE_S+5`; after 1 s to settle,
#    the context-switch delta over IDLE_S seconds. A process that sleeps in one blocking call
#    without timeout makes none; tini's sigtimedwait() with a 1 s timeout makes ~1 per second.
log "4/4 idle wake-ups: $IDLE_S s"
declare -A pid_of=() before=()
for s in "${SUPERVISORS[@]}"; do start_bg "$s" $((IDLE_S + 5)); pid_of[$s]=$STARTED; done
pause 1
for s in "${SUPERVISORS[@]}"; do before[$s]=$(ctxt "${pid_of[$s]}"); done
pause "$IDLE_S"
for s in "${SUPERVISORS[@]}"; do
    after=$(ctxt "${pid_of[$s]}") || die "$s exited during the idle measure"
    read -r v0 n0 <<<"${before[$s]}"
    read -r v1 n1 <<<"$after"
    IDLE_VOL[$s]=$((v1 - v0)) IDLE_INVOL[$s]=$((n1 - n0))
    IDLE_CS[$s]=$((v1 - v0 + n1 - n0))
done
stop_all

# ---------------------------------------------------------------------------------------------
# Report. Fixed column order and number formats, so two reports diff cleanly.
yesno() { if "$@"; then echo yes; else echo "**NO**"; fi; }
b=$BASELINE
cell() { # VALUE BASE FORMAT -> "value (ratio x)"
    printf '%s (%sx)' "$(fmt "$1" "$3")" "$(ratio "$1" "$2")"
}
row() { # LABEL ARRAY FORMAT GOAL MET
    local label=$1 line s
    local -n arr=$2
    line="| $label |"
    for s in "${SUPERVISORS[@]}"; do line+=" $(cell "${arr[$s]}" "${arr[$b]}" "$3") |"; done
    printf '%s %s | %s |\n' "$line" "$4" "$5"
}
plain_row() { # LABEL ARRAY GOAL MET
    local label=$1 line s
    local -n arr=$2
    line="| $label |"
    for s in "${SUPERVISORS[@]}"; do line+=" ${arr[$s]} |"; done
    printf '%s %s | %s |\n' "$line" "$3" "$4"
}

sl=slipway
met_startup=$(yesno le "$(ratio "${STARTUP_MED[$sl]}" "${STARTUP_MED[$b]}")" 1.00)
met_rss=$(yesno le "$(ratio "${RSS_MED[$sl]}" "${RSS_MED[$b]}")" 1.10)
met_reap=$(yesno le "${REAP_CPU[$sl]}" "$(awk -v t="${REAP_CPU[$b]}" -v e="$REAP_TOLERANCE" \
    'BEGIN { print t * (1 + e) }')")
reaped_ok() { [[ ${REAP_ZOMBIES[$sl]} -eq 0 && ${REAP_UNREAPED[$sl]} -eq 0 && -z ${REAP_FAIL[$sl]:-} ]]; }
met_zombies=$(yesno reaped_ok)
met_idle=$(yesno test "${IDLE_CS[$sl]}" -eq 0)
declare -A ZOMBIE_CELL IDLE_CELL
for s in "${SUPERVISORS[@]}"; do
    ZOMBIE_CELL[$s]="${REAP_ZOMBIES[$s]} / ${REAP_UNREAPED[$s]}${REAP_FAIL[$s]:+ (failed)}"
    IDLE_CELL[$s]="${IDLE_CS[$s]}"
done
orphans_fmt=$(sed -E ':a; s/([0-9])([0-9]{3})($|,)/\1,\2\3/; ta' <<<"$ORPHANS") # 10000 -> 10,000
tol_pct=$(awk -v e="$REAP_TOLERANCE" 'BEGIN { printf "%g", e * 100 }')

version_of() { # the Debian package version for the peers, --version for slipway
    case $1 in
    slipway) "$slipway_bin" --version 2>&1 | head -n 1 ;;
    *) dpkg-query -W -f '${Version}' "$1" 2>/dev/null || "$1" --version 2>&1 | head -n 1 ;;
    esac
}

{
    echo "## Serve mode: slipway against tini, dumb-init and catatonit"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), Linux $(uname -r)."
    printf 'Versions:'
    for s in "${SUPERVISORS[@]}"; do printf ' %s `%s`;' "$s" "$(version_of "$s")"; done
    echo
    echo
    printf '| Measure (ratio to %s) |' "$b"
    for s in "${SUPERVISORS[@]}"; do printf ' %s |' "$s"; done
    echo " Goal for slipway | Met |"
    printf '|---|'
    for s in "${SUPERVISORS[@]}"; do printf -- '--:|'; done
    echo "---|---|"
    row "Start-up \`X -- /bin/true\`, median ms" STARTUP_MED "%.3f" "<= 1.00x tini" "$met_startup"
    row "VmRSS supervising \`sleep\`, median KiB" RSS_MED "%d" "<= 1.10x tini" "$met_rss"
    row "Reap $orphans_fmt orphans as PID 1: run's total wall, median ms" REAP_MED "%.0f" \
        "(context)" "-"
    row "Reap $orphans_fmt orphans: drain wall (hand-over to last reaped), median ms" \
        REAP_DRAIN "%.1f" "(context)" "-"
    row "Reap $orphans_fmt orphans: PID 1 CPU time during the drain, median ms" \
        REAP_CPU "%.1f" "<= 1.00x tini (+${tol_pct}% noise)" "$met_reap"
    plain_row "Zombies / unreaped orphans left (worst run)" ZOMBIE_CELL "0 / 0" "$met_zombies"
    plain_row "Wake-ups in $IDLE_S idle s (context switches)" IDLE_CELL "0" "$met_idle"
    echo
    echo "Details:"
    echo
    printf '| Detail |'
    for s in "${SUPERVISORS[@]}"; do printf ' %s |' "$s"; done
    echo
    printf '|---|'
    for s in "${SUPERVISORS[@]}"; do printf -- '--:|'; done
    echo
    detail() { # LABEL FORMAT ARRAY [ARRAY2]: one value per supervisor, or "a ± b"
        local label=$1 f=$2 s out
        local -n one=$3
        local -n two=${4:-$3}
        printf '| %s |' "$label"
        for s in "${SUPERVISORS[@]}"; do
            out=$(fmt "${one[$s]}" "$f")
            [[ -z ${4:-} ]] || out+=" ± $(fmt "${two[$s]}" "$f")"
            printf ' %s |' "$out"
        done
        echo
    }
    detail "Start-up mean ± stddev, ms ($((runs_per_round * STARTUP_ROUNDS)) runs in $STARTUP_ROUNDS rounds)" "%.3f" STARTUP_MEAN STARTUP_SD
    # The minimum is the least disturbed by other load on the machine: its ratio is a check on
    # the median's when the machine is busy.
    printf '| Start-up min, ms (ratio to %s) |' "$b"
    for s in "${SUPERVISORS[@]}"; do printf ' %s |' "$(cell "${STARTUP_MIN[$s]}" "${STARTUP_MIN[$b]}" "%.3f")"; done
    echo
    printf '| VmRSS min..max, KiB (%d runs) |' "$RSS_RUNS"
    for s in "${SUPERVISORS[@]}"; do printf ' %s |' "${RSS_RANGE[$s]}"; done
    echo
    detail "Pss (shared pages divided among users), median KiB" "%d" PSS_MED
    detail "Private_Dirty, median KiB" "%d" PRIV_MED
    printf '| Reap wall min..max, ms (%d runs) |' "$REAP_RUNS"
    for s in "${SUPERVISORS[@]}"; do
        printf ' %s |' "$(awk -F'[.][.]' '{ printf "%.0f..%.0f", $1, $2 }' <<<"${REAP_RANGE[$s]}")"
    done
    echo
    printf '| Reap drain min..max, ms |'
    for s in "${SUPERVISORS[@]}"; do
        printf ' %s |' "$(awk -F'[.][.]' '{ printf "%.1f..%.1f", $1, $2 }' <<<"${REAP_DRAIN_RANGE[$s]}")"
    done
    echo
    printf '| Reap PID 1 CPU min..max, ms |'
    for s in "${SUPERVISORS[@]}"; do
        printf ' %s |' "$(awk -F'[.][.]' '{ printf "%.1f..%.1f", $1, $2 }' <<<"${REAP_CPU_RANGE[$s]}")"
    done
    echo
    detail "Reap: helper setup (PID 1 not involved), median ms" "%.0f" REAP_SETUP
    printf '| Idle: voluntary + involuntary switches |'
    for s in "${SUPERVISORS[@]}"; do printf ' %s + %s |' "${IDLE_VOL[$s]}" "${IDLE_INVOL[$s]}"; done
    echo
} >"$tmp/report.md"

mkdir -p "$results_dir"
cp "$tmp/report.md" "$report_md"
cat "$tmp/report.md"
log "written to ${report_md#"$root"/}"
