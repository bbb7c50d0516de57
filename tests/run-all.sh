#!/usr/bin/env bash
# Every test: installs what is missing (Debian), builds with -Werror, starts a private
# PostgreSQL, runs `meson test`, prints "N passed, N failed[, N skipped]". Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${SLIPWAY_SKIP_DEPS:-}" = 1 ] || tests/deps.sh
build=${BUILD_DIR:-build}
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" --werror -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C "$build" >/dev/null

pgdir=$(mktemp -d /tmp/slipway-pg.XXXXXX)
cleanup() { tests/lib/pg.sh stop "$pgdir"; rm -rf "$pgdir"; }
trap cleanup EXIT
eval "$(tests/lib/pg.sh start "$pgdir" "${SLIPWAY_TEST_PGPORT:-25432}")"

rc=0
meson test -C "$build" --print-errorlogs --num-processes "$(nproc)" "$@" >"$build/test-output.txt" 2>&1 || rc=$?
tail -n 15 "$build/test-output.txt"
python3 tests/summary.py "$build/meson-logs/testlog.json" || rc=1
exit "$rc"
