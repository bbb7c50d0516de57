#!/usr/bin/env bash
# Mutation check: each one-line breakage of tests/mutants/mutants.list must make one of the
# tests named beside it fail. A mutant the suite survives means the suite cannot see that
# breakage: a test to fix (or a mutant that changes nothing, to remove).
#
#   tests/mutants/run.sh [NAME...]       all mutants, or the named ones
#
# The tree is copied to a scratch dir (build dirs and .git left out) and built once there;
# each mutant is applied with sed, rebuilt incrementally (one file and the links), its tests
# run with meson's timeouts cut to SLIPWAY_MUTANT_TIMEOUT (a fraction, default 0.25) and
# stopped at the first failure (SLIPWAY_TAP_BAIL, --maxfail 1), and the file restored. TAP on
# stdout, one line per mutant naming the assertion that caught it.
# Needs the test PostgreSQL: uses PGHOST/PGPORT when set, else starts one on
# SLIPWAY_MUTANT_PGPORT (default 25452). SLIPWAY_MUTANT_DIR keeps the scratch tree and its
# build between runs (faster when adding a mutant).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
multiplier=${SLIPWAY_MUTANT_TIMEOUT:-0.25}
keep=${SLIPWAY_MUTANT_DIR:-}
scratch=${keep:-$(mktemp -d /tmp/slipway-mutants.XXXXXX)}
pgdir=
cleanup() {
    [ -z "$pgdir" ] || { "$root/tests/lib/pg.sh" stop "$pgdir"; rm -rf "$pgdir"; }
    [ -n "$keep" ] || rm -rf "$scratch"
}
trap cleanup EXIT

if [ -z "${PGHOST:-}" ]; then
    pgdir=$(mktemp -d /tmp/slipway-pg.XXXXXX)
    eval "$("$root/tests/lib/pg.sh" start "$pgdir" "${SLIPWAY_MUTANT_PGPORT:-25452}")"
fi

# The scratch tree: a fresh copy of the sources each run; the build dir survives when kept.
mkdir -p "$scratch/tree"
(cd "$root" && tar --exclude='./build*' --exclude=./.git -cf - .) | tar -C "$scratch/tree" -xf -
build=$scratch/tree/build-mutants
list=$scratch/tree/tests/mutants/mutants.list # the copy's: sources and list stay in step
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$scratch/tree" -Dbuildtype=debugoptimized >"$scratch/setup.log" 2>&1 ||
        { cat "$scratch/setup.log"; exit 1; }
fi
t0=$(date +%s)
if ! ninja -C "$build" >"$scratch/build.log" 2>&1; then
    echo "Bail out! the unmutated tree does not build"
    tail -n 20 "$scratch/build.log"
    exit 1
fi
echo "# scratch tree built in $(($(date +%s) - t0)) s"

# A mutant may leave processes behind (a reaper that reaps nothing, a test cut short by its
# timeout): every process running a binary of the scratch build is ended before the next.
end_leftovers() {
    local p exe
    for p in /proc/[0-9]*; do
        exe=$(readlink "$p/exe" 2>/dev/null) || continue
        case "$exe" in "$build"/*) kill -KILL "${p#/proc/}" 2>/dev/null ;; esac
    done
}

# verdict LOG: "caught|survived: detail" from a meson testlog.json.
verdict() {
    python3 - "$1" <<'PY'
import json, re, sys
caught = []
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["result"] in ("OK", "SKIP", "EXPECTEDFAIL"):
        continue
    first = re.search(r"^not ok\b.*$", t.get("stdout") or "", re.M)
    caught.append(f'{t["name"]}: ' + (first.group(0) if first else t["result"].lower()))
print("caught: " + caught[0] if caught else "survived")
PY
}

n=0 failed=0 caught=0 survived=0
start=$(date +%s)
while IFS='|' read -r name file tests script; do
    name=$(echo "$name" | xargs)
    case "$name" in '' | '#'*) continue ;; esac
    file=$(echo "$file" | xargs) tests=$(echo "$tests" | xargs) script=${script# }
    [ $# -eq 0 ] || [[ " $* " == *" $name "* ]] || continue
    n=$((n + 1))
    src=$scratch/tree/$file
    cp "$src" "$scratch/original"
    result=
    if ! sed -i -e "$script" "$src" 2>"$scratch/sed.log"; then
        result="error: sed: $(cat "$scratch/sed.log")"
    elif cmp -s "$src" "$scratch/original"; then
        result="error: the expression no longer matches $file (update the mutant)"
    elif ! ninja -C "$build" >"$scratch/build.log" 2>&1; then
        result="error: the mutant does not build"
    else
        t0=$(date +%s)
        # shellcheck disable=SC2086 # TESTS is a list of meson test names
        SLIPWAY_TAP_BAIL=1 meson test -C "$build" --no-rebuild --timeout-multiplier "$multiplier" \
            --num-processes "$(nproc)" --maxfail 1 $tests >"$scratch/test.log" 2>&1 || true
        result="$(verdict "$build/meson-logs/testlog.json") ($(($(date +%s) - t0)) s)"
    fi
    # A fresh mtime (no cp -p): ninja rebuilds the restored file along with the next mutant.
    cp "$scratch/original" "$src"
    end_leftovers
    case "$result" in
    caught*) caught=$((caught + 1)); echo "ok $n - $name ($file) $result" ;;
    survived*) survived=$((survived + 1)) failed=$((failed + 1))
        echo "not ok $n - $name ($file): $tests passed: $result" ;;
    *) failed=$((failed + 1)); echo "not ok $n - $name ($file) $result" ;;
    esac
done <"$list"
# A kept tree's objects must match its sources again before the next run copies them in.
[ -z "$keep" ] || ninja -C "$build" >/dev/null 2>&1 || true
echo "# $caught caught, $survived survived, $((n - caught - survived)) errors in $(($(date +%s) - start)) s"
echo "1..$n"
[ "$failed" -eq 0 ]
