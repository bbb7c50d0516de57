#!/usr/bin/env bash
# bench/memory/run.sh - peak memory of `status`, `check` and `--upgrade` against the size of
# the migrations directory (issue 17: the peak must follow the largest file, not the
# directory), on a private PostgreSQL this script starts and stops itself.
#
# The directory: FILES files of about FILE_KIB KiB each (INSERTs of one 8 KB row), plus one BIG_MIB MiB file (one COPY FROM stdin, as pg_dump writes it). Peak RSS is
# GNU time's %M (KiB), one run each: it does not depend on the machine's speed.
#   status and check: the whole directory, applied (status compares every checksum).
#   --upgrade: the big file alone pending, on the applied rest.
#
# Prints a Markdown table on stdout and writes it to bench/results/memory.md (gitignored).
# Environment knobs: BENCH_SLIPWAY [release build in build-bench/], BENCH_PG_PORT [25466],
# FILES [2000], FILE_KIB [66], BIG_MIB [15].
# shellcheck disable=SC2016 # backquotes in printf formats are Markdown, not expansions
BENCH=memory
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

FILES=${FILES:-2000}
FILE_KIB=${FILE_KIB:-66}
BIG_MIB=${BIG_MIB:-15}
pg_port=${BENCH_PG_PORT:-25466}

need "Debian: apt-get install -y postgresql time python3" psql python3
[[ -x /usr/bin/time ]] || die "GNU time not found (Debian: apt-get install -y time)"
find_slipway
pg_start

dir=$tmp/migrations
log "generating $FILES files of $FILE_KIB KiB and one of $BIG_MIB MiB"
python3 - "$dir" "$FILES" "$FILE_KIB" "$BIG_MIB" <<'PY'
import os, sys
d, n, kib, big = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
os.makedirs(d)
row = "INSERT INTO t{0} (v) VALUES ('" + "x" * 8000 + "');\n"
for i in range(1, n + 1):
    body = "CREATE TABLE t%d (v text);\n" % i + row.format(i) * (kib * 1024 // len(row))
    open("%s/%05d_m.sql" % (d, i), "w").write(body)
line = "x" * 99 + "\n"
with open("%s/%05d_big.sql" % (d, n + 1), "w") as f:
    f.write("CREATE TABLE big (v text);\nCOPY big (v) FROM stdin;\n")
    f.write(line * (big * 1024 * 1024 // len(line) - 1))
    f.write("\\.\n")
PY
dir_mb=$(du -sm "$dir" | cut -f1)
big_kib=$(($(stat -c %s "$dir"/*_big.sql) / 1024))

db=memory
admin -c "drop database if exists $db" -c "create database $db"
conf=$tmp/slipway.ini
printf '[database]\nurl = %s\n[migrations]\ndir = %s\n' "$(url "$db")" "$dir" >"$conf"
peak() { # COMMAND... -> peak RSS in KiB
    /usr/bin/time -f %M -o "$tmp/rss" "$@" >"$tmp/out.log" 2>&1 ||
        { tail -n 20 "$tmp/out.log" >&2; die "failed: $*"; }
    tail -n 1 "$tmp/rss"
}
load_begin
mv "$dir"/*_big.sql "$tmp/big.sql"
log "applying the $FILES small files"
"$slipway_bin" -q -c "$conf" --upgrade >"$tmp/out.log" 2>&1 || { tail "$tmp/out.log" >&2; die "upgrade failed"; }
mv "$tmp/big.sql" "$dir/$(printf '%05d' $((FILES + 1)))_big.sql"
log "measuring"
declare -A kib
for c in check status --upgrade; do kib[$c]=$(peak "$slipway_bin" -q -c "$conf" "$c"); done
load=$(load_end)

{
    printf '## Memory (%s, %s)\n\n' "$(date -u +%Y-%m-%d)" "$load"
    printf 'Directory: %s MB in %s files + one %s KiB file (largest). Goal: status/check <= 2x the largest file (%s KiB).\n\n' \
        "$dir_mb" "$FILES" "$big_kib" $((2 * big_kib))
    printf '| command | peak RSS (KiB) | x largest file | met |\n|---|---|---|---|\n'
    for c in check status; do
        v=${kib[$c]}
        printf '| `%s` | %s | %s | %s |\n' "$c" "$v" "$(ratio "$v" "$big_kib")" "$(le "$v" $((2 * big_kib)) && echo met || echo no)"
    done
    printf '| `--upgrade` (the big file pending) | %s | %s | - |\n' "${kib[--upgrade]}" "$(ratio "${kib[--upgrade]}" "$big_kib")"
} | tee "$results_dir/memory.md"
