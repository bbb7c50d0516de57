#!/usr/bin/env bash
# Every test, as CI runs them (needs root; Debian):
#   1. installs what is missing (tests/packages.txt), builds with --werror, starts a private
#      PostgreSQL and runs `meson test`: unit, serve (PID 1 in PID namespaces), upgrade,
#      health, faults, bad-input, fuzz replays, valgrind, ship (the image under a Docker
#      engine the test starts), deploy (a rolling deploy behind HAProxy);
#   2. fuzzes each libFuzzer target for SLIPWAY_FUZZ_SECONDS (default 60);
#   3. runs the mutation check (tests/mutants): every one-line breakage listed must be caught;
#   4. runs the whole suite again on an ASan+UBSan build (tests/sanitize.sh);
# then prints one line per failing test and per skip, then "N passed, N failed[, N skipped]".
# SLIPWAY_QUICK=1 runs step 1 only; arguments go to `meson test` (e.g. --suite serve).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${SLIPWAY_SKIP_DEPS:-}" = 1 ] || tests/deps.sh
export SLIPWAY_SKIP_DEPS=1
build=${BUILD_DIR:-build}
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" --werror -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C "$build" >/dev/null
logs=("$build/meson-logs/testlog.json")
rc=0

pgdir=$(mktemp -d /tmp/slipway-pg.XXXXXX)
cleanup() { tests/lib/pg.sh stop "$pgdir"; rm -rf "$pgdir"; }
trap cleanup EXIT
pgenv=$(tests/lib/pg.sh start "$pgdir" "${SLIPWAY_TEST_PGPORT:-25432}")
(
    eval "$pgenv"
    meson test -C "$build" --print-errorlogs --num-processes "$(nproc)" "$@" \
        >"$build/test-output.txt" 2>&1
) || rc=1
tail -n 12 "$build/test-output.txt"

if [ "${SLIPWAY_QUICK:-}" != 1 ] && [ $# -eq 0 ]; then
    # One TAP line per fuzz target, so that the totals below count them.
    fuzz_tap=$build/fuzz.tap
    : >"$fuzz_tap"
    for target in fuzz_config fuzz_migration_name fuzz_migration_file fuzz_sqlsplit; do
        if tests/fuzz/run.sh "${SLIPWAY_FUZZ_SECONDS:-60}" "$target" >"$build/$target.log" 2>&1; then
            echo "ok - $target: ${SLIPWAY_FUZZ_SECONDS:-60} s without a crash, leak or hang" >>"$fuzz_tap"
        else
            echo "not ok - $target (see $build/$target.log)" >>"$fuzz_tap"
            tail -n 20 "$build/$target.log"
            rc=1
        fi
    done
    cat "$fuzz_tap"
    (eval "$pgenv" && tests/mutants/run.sh) >"$build/mutants.tap" 2>"$build/mutants.log" || rc=1
    grep -E '^(not ok|# )' "$build/mutants.tap" || true
    tests/sanitize.sh >"$build/sanitize-output.txt" 2>&1 || rc=1
    tail -n 4 "$build/sanitize-output.txt"
    sanitize_build=${SANITIZE_BUILD_DIR:-build-sanitize}
    logs+=("$sanitize_build/meson-logs/testlog.json" "$sanitize_build/sanitizer.tap" "$fuzz_tap"
        "$build/mutants.tap")
fi
python3 tests/summary.py "${logs[@]}" || rc=1
exit "$rc"
