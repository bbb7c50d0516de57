#!/usr/bin/env bash
# The whole test suite on an AddressSanitizer + UndefinedBehaviorSanitizer build (leak
# detection on), against a private PostgreSQL as tests/run-all.sh does. Any sanitizer report
# fails the run, even one from a process whose test passed (a test that only checks an exit
# code or part of the output would otherwise hide it): reports go to files and are printed.
#
#   tests/sanitize.sh [MESON TEST ARGS...]     e.g. --suite serve
#
# SANITIZE_BUILD_DIR (default build-sanitize), SLIPWAY_TEST_PGPORT (default 25442, not run-all's, so
# both can run at once), CC (default clang: with gcc 12, UBSan ignores log_path and reports
# only on stderr, which tests often capture; the final scan of the test log still sees those
# that reach it, and halt_on_error makes every one change an exit code).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${SLIPWAY_SKIP_DEPS:-}" = 1 ] || tests/deps.sh
build=${SANITIZE_BUILD_DIR:-build-sanitize}
if [ ! -f "$build/build.ninja" ]; then
    command -v "${CC:-clang}" >/dev/null && export CC=${CC:-clang}
    # b_lundef=false: with clang the sanitizer runtime is not linked into shared objects.
    # Frame pointers make every report's stack readable at a negligible cost.
    meson setup "$build" -Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
        -Db_lundef=false -Dc_args=-fno-omit-frame-pointer >/dev/null
fi
rm -f "$build/sanitizer.tap"
ninja -C "$build" >/dev/null

work=$(mktemp -d /tmp/slipway-sanitize.XXXXXX)
# A directory of its own: pg.sh hands it to the postgres user, which cannot enter $work.
pgdir=$(mktemp -d /tmp/slipway-pg.XXXXXX)
cleanup() { tests/lib/pg.sh stop "$pgdir"; rm -rf "$work" "$pgdir"; }
trap cleanup EXIT
pgenv=$(tests/lib/pg.sh start "$pgdir" "${SLIPWAY_TEST_PGPORT:-25442}") # fails the script
eval "$pgenv"

# Leaks that are not slipway's: libpq and its ~25 libraries are dlopen'ed and never closed,
# by design (src/pg/dynlib.c), and keep their own process-lifetime allocations.
cat >"$work/lsan.supp" <<'SUPP'
leak:libpq.so
leak:libcrypto.so
leak:libssl.so
leak:libgssapi_krb5.so
leak:libkrb5.so
leak:libldap
leak:liblber
leak:libgnutls.so
SUPP
mkdir "$work/reports"
# halt_on_error: the first error ends the process (the default for ASan, not for UBSan).
# The exit code stays non-zero and distinct (23 is LSan's, 86 ours for the rest).
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:exitcode=86:log_path=$work/reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=86:log_path=$work/reports/ubsan"
export LSAN_OPTIONS="suppressions=$work/lsan.supp"

rc=0
# Sanitized code runs 2-5x slower: the multiplier keeps meson's timeouts meaningful. valgrind
# cannot run an ASan binary: its suite is tests/valgrind.sh's, on a plain build. The ship
# suite builds its own binaries (the image, the demo): nothing sanitized to run there; the
# deploy suite measures a rolling deploy under load, which sanitized replicas would distort;
# the memory suite measures peak RSS, which ASan's quarantine of freed memory makes meaningless.
meson test -C "$build" --print-errorlogs --num-processes "$(nproc)" --timeout-multiplier 3 \
    --no-suite valgrind --no-suite ship --no-suite deploy --no-suite memory "$@" >"$build/test-output.txt" 2>&1 || rc=$?
tail -n 15 "$build/test-output.txt"
python3 tests/summary.py "$build/meson-logs/testlog.json" || rc=1

# One TAP line for the reports, so that the final total counts them (a run with a report must
# not end on "N passed, 0 failed"). The log scan matches the sanitizers' own report shapes
# ("file.c:12:3: runtime error:", "==123==ERROR: AddressSanitizer"), not the words alone,
# which a test's name may contain.
tap=$build/sanitizer.tap
report_re='\.(c|h):[0-9]+:[0-9]+: runtime error:|==[0-9]+==ERROR: (Address|Leak)Sanitizer'
shopt -s nullglob
reports=("$work"/reports/*)
if ((${#reports[@]})); then
    rc=1
    echo "not ok - sanitizers: ${#reports[@]} report(s)" >"$tap"
    echo "${#reports[@]} sanitizer report(s):"
    for r in "${reports[@]}"; do
        echo "---- $(basename "$r")"
        cat "$r"
    done
elif grep -qE "$report_re" "$build/meson-logs/testlog.txt"; then
    rc=1
    echo "not ok - sanitizers: reports in $build/meson-logs/testlog.txt" >"$tap"
    echo "sanitizer reports in $build/meson-logs/testlog.txt:"
    grep -nE "$report_re" "$build/meson-logs/testlog.txt"
else
    echo "ok - sanitizers: no report" >"$tap"
    echo "no sanitizer report"
fi
exit "$rc"
