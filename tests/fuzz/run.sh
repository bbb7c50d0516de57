#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined) straight from
# the sources they exercise, replays tests/fuzz/regressions/, then fuzzes each target for
# SECONDS (default 60) from a temporary copy of its seed corpus. Targets run one after the
# other: each uses a single core. Exits non-zero when any target finds a crash, a leak or a
# hang; the reproducer is kept in $FUZZ_ARTIFACTS (default: a directory the script names).
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
#
# Needs clang and libclang-rt-14-dev (the libFuzzer runtime), libinih-dev.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-60}
shift || true
CC=${CC:-clang}

# What each target compiles besides its own file and fuzz_common.c: only the pure parsing
# code, so no database, libuv or dlopen is involved.
declare -A sources=(
    [fuzz_config]="base/err.c config/config.c base/duration.c base/expand.c base/words.c base/version.c base/closest.c"
    [fuzz_migration_name]="base/err.c base/version.c base/log.c base/textpos.c migdir/migration.c migdir/placeholders.c migdir/sqlsplit.c migdir/scan.c migdir/name.c migdir/utf8.c"
    [fuzz_migration_file]="base/err.c base/version.c base/log.c base/textpos.c migdir/migration.c migdir/placeholders.c migdir/sqlsplit.c migdir/scan.c migdir/name.c migdir/utf8.c"
    [fuzz_sqlsplit]="base/err.c migdir/sqlsplit.c"
)
declare -A extra=(
    [fuzz_config]="-Wl,--wrap=fopen -linih"
)
declare -A dict=(
    [fuzz_config]=config.dict
    [fuzz_migration_file]=sql.dict
    [fuzz_sqlsplit]=sql.dict
)
targets=("$@")
((${#targets[@]})) || targets=(fuzz_config fuzz_migration_name fuzz_migration_file fuzz_sqlsplit)

work=$(mktemp -d "${TMPDIR:-/tmp}/slipway-fuzz.XXXXXX")
artifacts=${FUZZ_ARTIFACTS:-$work/artifacts}
mkdir -p "$artifacts" "$work/tmp"
keep=0
trap '[ "$keep" = 1 ] || rm -rf "$work"' EXIT

# The sources include version.h through cli.h only, but generate it as meson does so any
# source can be added to a target.
version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$root/meson.build" | head -n 1)
printf '#define SLIPWAY_VERSION "%s"\n' "$version" >"$work/version.h"

# -O1 -g: libFuzzer's recommendation (fast enough, readable stacks). UBSan findings must stop
# the run like ASan ones, hence -fno-sanitize-recover.
# shellcheck disable=SC2054 # the commas belong to -fsanitize=
cflags=(-std=c17 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
    -Wall -Wextra -I"$root/src" -I"$work" -I"$here")

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The targets' scratch files go here, removed with $work.
export TMPDIR=$work/tmp

failed=()
for t in "${targets[@]}"; do
    [ -n "${sources[$t]:-}" ] || { echo "unknown target $t" >&2; exit 2; }
    srcs=()
    for s in ${sources[$t]}; do srcs+=("$root/src/$s"); done
    echo "== $t: building"
    # shellcheck disable=SC2086 # extra holds several flags
    "$CC" "${cflags[@]}" -o "$work/$t" "$here/$t.c" "$here/fuzz_common.c" "${srcs[@]}" ${extra[$t]:-}

    flags=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/$t-")
    [ -n "${dict[$t]:-}" ] && flags+=(-dict="$here/${dict[$t]}")

    # Every earlier finding must stay fixed.
    regs=()
    [ -d "$here/regressions/$t" ] && mapfile -t regs < <(find "$here/regressions/$t" -type f | sort)
    if ((${#regs[@]})); then
        echo "== $t: replaying ${#regs[@]} regression input(s)"
        if ! "$work/$t" "${flags[@]}" "${regs[@]}" >"$work/$t.replay.log" 2>&1; then
            tail -n 40 "$work/$t.replay.log"
            failed+=("$t (regression)")
            continue
        fi
    fi

    corpus=$work/corpus-$t
    cp -r "$here/corpus/$t" "$corpus"
    echo "== $t: fuzzing for ${seconds}s"
    if "$work/$t" "${flags[@]}" -max_total_time="$seconds" "$corpus" >"$work/$t.log" 2>&1; then
        grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$work/$t.log" || true
        echo "== $t: no crash ($(find "$corpus" -type f | wc -l) corpus entries)"
    else
        tail -n 60 "$work/$t.log"
        failed+=("$t")
    fi
done

if ((${#failed[@]})); then
    keep=1
    echo "FAILED: ${failed[*]}; reproducers in $artifacts, logs in $work" >&2
    exit 1
fi
echo "all targets passed"
