#!/usr/bin/env bash
# bench/lint/run.sh - `slipway check` (lint with libpg_query) against squawk (squawk-cli from
# npm, a Rust linter for PostgreSQL migrations), side by side on the same files.
#
# Two sets of migrations, each a directory both tools read:
#   fixtures  one file per `fires RULE 'SQL'` case of tests/lint/rules.sh (the statement on
#             line 2, after an existing table is created by 0001_base.sql)
#   gen       GEN_N generated migrations: mostly clean (tables, rows, indexes on new tables,
#             functions, CREATE INDEX CONCURRENTLY in no-transaction files), with breaking
#             and locking statements every few files, one statement a line.
# Measures (see bench/README.md, "Lint"):
#   time       hyperfine -N (no shell): each tool over each whole set, RUNS runs in each of
#              ROUNDS rounds with the order rotated, pooled; min, median, max and the ratio
#              of medians. Goal (issue 14): slipway lints GEN_N files well under a second,
#              faster than squawk.
#   agreement  per slipway rule, findings at the same file and line by both tools (squawk's
#              rules mapped to slipway's, table RULE_MAP below), by slipway only, by squawk
#              only. The reasons for each difference are in the README ("Benchmarks").
# squawk runs with --assume-in-transaction (each file in a transaction, as slipway runs
# them) and its default rules; its native binary is called directly (the npm command is a
# Node wrapper).
#
# Prints a Markdown report and writes it to bench/results/lint.md (gitignored). Needs:
# hyperfine, jq, npm (squawk-cli installed once into BENCH_TOOLS_DIR).
#
# Environment knobs (defaults in brackets):
#   BENCH_SLIPWAY    slipway binary [release build in build-bench/]
#   BENCH_TOOLS_DIR  npm prefix for squawk-cli [bench/node_modules/.tools]
#   GEN_N [1000]  ROUNDS [5]  RUNS [3]

# shellcheck disable=SC2016 # backquotes in printf formats are Markdown, not expansions
BENCH=lint
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
report_md=$results_dir/lint.md

GEN_N=${GEN_N:-1000}
ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-3}
tools_dir=${BENCH_TOOLS_DIR:-$root/bench/node_modules/.tools}
SQUAWK_VERSION=2.66.0
squawk_bin=$tools_dir/node_modules/@squawk-cli/linux-x64/bin/squawk

# squawk rule -> the slipway rules that flag the same statement for the same reason.
declare -A RULE_MAP=(
    [syntax-error]='psql-meta-command unknown-syntax'
    [ban-concurrent-index-creation-in-transaction]='needs-no-transaction'
    [transaction-nesting]='transaction-control'
    [ban-drop-table]='drop-table'
    [ban-drop-column]='drop-column'
    [renaming-column]='rename'
    [renaming-table]='rename'
    [changing-column-type]='column-type table-rewrite'
    [adding-not-nullable-field]='set-not-null'
    [adding-required-field]='add-not-null-column'
    [require-concurrent-index-creation]='index-not-concurrent'
    [constraint-missing-not-valid]='constraint-not-valid'
    [adding-field-with-default]='table-rewrite'
)

need "Debian: apt-get install -y hyperfine jq npm" hyperfine jq
find_slipway
if [[ ! -x $squawk_bin ]]; then
    need "Debian: apt-get install -y npm" npm
    log "installing squawk-cli@$SQUAWK_VERSION into $tools_dir"
    mkdir -p "$tools_dir"
    npm install --prefix "$tools_dir" --no-audit --no-fund "squawk-cli@$SQUAWK_VERSION" \
        >"$tmp/npm.log" 2>&1 || { tail -n 20 "$tmp/npm.log" >&2; die "npm install failed"; }
fi
[[ -x $squawk_bin ]] || die "squawk binary not found at $squawk_bin"

# ---------------------------------------------------------------------------------------------
# The sets.
# shellcheck disable=SC2120,SC2034 # set -- inside; NOTX is read by the eval'd case lines
fixtures_set() { # the `fires` cases of tests/lint/rules.sh, one file each
    local dir=$tmp/sets/fixtures k=2 line rule sql header
    local NOTX='-- slipway:no-transaction' # rules.sh's name for the marker its cases use
    mkdir -p "$dir"
    printf 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n' >"$dir/0001_base.sql"
    while IFS= read -r line; do
        eval "set -- ${line#fires }"
        rule=$1 sql=$2 header=${3:--- a migration}
        printf '%s\n%s\n' "$header" "$sql" >"$(printf '%s/%04d_%s.sql' "$dir" "$k" "$rule")"
        k=$((k + 1))
    done < <(grep '^fires ' "$root/tests/lint/rules.sh")
    echo "$dir"
}

gen_set() { # GEN_N migrations, one statement a line
    local dir=$tmp/sets/gen i f
    mkdir -p "$dir"
    for ((i = 1; i <= GEN_N; i++)); do
        f=$(printf '%s/%04d_m%d.sql' "$dir" "$i" "$i")
        if ((i % 50 == 0)); then
            printf -- '-- slipway:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t%d_a ON t%d (a);\n' \
                $((i - 1)) $((i - 1)) >"$f"
            continue
        fi
        {
            printf -- '-- migration %d\n' "$i"
            printf 'CREATE TABLE t%d (id bigint PRIMARY KEY, a text, b int);\n' "$i"
            printf "INSERT INTO t%d (a, b) VALUES ('x', 1);\n" "$i"
            printf 'CREATE INDEX t%d_b ON t%d (b);\n' "$i" "$i"
            ((i % 15)) || printf 'CREATE OR REPLACE FUNCTION f%d() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;\n' "$i"
            ((i % 10 != 3 || i < 2)) || printf 'ALTER TABLE t%d ADD COLUMN c text;\n' $((i - 1))
            ((i % 20 != 7 || i < 6)) || printf 'ALTER TABLE t%d DROP COLUMN b;\n' $((i - 5))
            ((i % 25 != 11)) || printf 'CREATE INDEX t%d_a ON t%d (a);\n' $((i - 3)) $((i - 3))
            ((i % 40 != 13)) || printf 'ALTER TABLE t%d ALTER COLUMN a SET NOT NULL;\n' $((i - 2))
            ((i % 33 != 5)) || printf 'ALTER TABLE t%d ADD CONSTRAINT c%d CHECK (b > 0);\n' $((i - 4)) "$i"
            ((i % 100 != 17)) || printf 'ALTER TABLE t%d RENAME COLUMN a TO a2;\n' $((i - 1))
            ((i % 125 != 19)) || printf 'ALTER TABLE t%d ALTER COLUMN b TYPE bigint;\n' $((i - 1))
            ((i % 200 != 21)) || printf 'DROP TABLE t%d;\n' $((i - 7))
            ((i % 90 != 45)) || printf 'ALTER TABLE t%d ADD COLUMN u uuid DEFAULT gen_random_uuid();\n' $((i - 1))
        } >"$f"
    done
    echo "$dir"
}

log "writing the sets"
# shellcheck disable=SC2119 # fixtures_set takes no arguments
declare -A SET_DIR=([fixtures]=$(fixtures_set) [gen]=$(gen_set))
SETS=(fixtures gen)
for set in "${SETS[@]}"; do
    printf '[migrations]\ndir = %s\n' "${SET_DIR[$set]}" >"$tmp/$set.ini"
done

# ---------------------------------------------------------------------------------------------
# Findings as "FILE LINE RULE" lines (slipway's rule names), one file per tool and set.
mkdir -p "$tmp/found"
for set in "${SETS[@]}"; do
    dir=${SET_DIR[$set]}
    { "$slipway_bin" -c "$tmp/$set.ini" check 2>&1 || true; } | # exit 5: errors found
        sed -n 's/^\([^: ]*\.sql\):\([0-9]*\): \([a-z-]*\): .*/\1 \2 \3/p' | sort -u >"$tmp/found/$set.slipway"
    # the pattern as the timed command passes it (squawk expands it; a directory finds nothing)
    { "$squawk_bin" --assume-in-transaction --reporter json "$dir/*.sql" 2>/dev/null || true; } |
        jq -r --arg d "$dir/" '.[] | "\(.file | ltrimstr($d)) \(.line + 1) \(.rule_name)"' \
            >"$tmp/found/$set.squawk-raw"
    [[ -s $tmp/found/$set.squawk-raw ]] || die "squawk found nothing in the $set set"
    # A squawk rule that maps to several slipway rules counts for the one slipway reported
    # there, if any (else for the first): one finding is never both an agreement and a miss.
    while read -r file line rule; do
        all=${RULE_MAP[$rule]:-} match=
        [[ -n $all ]] || continue
        for mapped in $all; do
            grep -qxF "$file $line $mapped" "$tmp/found/$set.slipway" && match+=" $mapped"
        done
        for mapped in ${match:-${all%% *}}; do echo "$file $line $mapped"; done
    done <"$tmp/found/$set.squawk-raw" | sort -u >"$tmp/found/$set.squawk"
done

# ---------------------------------------------------------------------------------------------
# Time.
mkdir -p "$tmp/samples"
load_begin
for set in "${SETS[@]}"; do
    # shellcheck disable=SC2034 # read by hyperfine_rounds through a nameref
    declare -A CMD=(
        [slipway]="$slipway_bin -q -c $tmp/$set.ini check"
        [squawk]="$squawk_bin --assume-in-transaction '${SET_DIR[$set]}/*.sql'"
    )
    log "timing the $set set: $ROUNDS rounds x $RUNS runs"
    HF_IGNORE_FAILURE=1 hyperfine_rounds "$ROUNDS" "$RUNS" 1 "$tmp/samples/$set" CMD slipway squawk
done
LOAD_TIME=$(load_end)

# ---------------------------------------------------------------------------------------------
# Report.
med_of() { median <"$tmp/samples/$1"; }
range_of() { awk '{ printf "%.1f\n", $1 }' "$tmp/samples/$1" | minmax; }
report() {
    local set n r both s_only q_only
    printf '# Lint benchmark\n\n'
    printf 'slipway %s (`check`, libpg_query %s) vs squawk %s (`--assume-in-transaction`, default rules); ' \
        "$("$slipway_bin" --version 2>&1 | awk '{ print $NF }')" \
        "$(dpkg-query -W -f '${Version}' libpg-query1504.0 2>/dev/null || echo '?')" \
        "$("$squawk_bin" --version | awk '{ print $NF }')"
    printf '%s CPUs; %s; load average (1/5/15 min) during the timing %s.\n\n' "$(nproc)" \
        "$(date -u '+%Y-%m-%d %H:%M UTC')" "$LOAD_TIME"

    printf '## Time, wall-clock ms (hyperfine -N, %s rounds x %s runs, order rotated, pooled)\n\n' "$ROUNDS" "$RUNS"
    printf '| set | files | slipway median (min..max) | squawk median (min..max) | slipway / squawk |\n|---|--:|---|---|--:|\n'
    for set in "${SETS[@]}"; do
        n=$(find "${SET_DIR[$set]}" -name '*.sql' | wc -l)
        printf '| %s | %s | %.1f (%s) | %.1f (%s) | %sx |\n' "$set" "$n" \
            "$(med_of "$set.slipway")" "$(range_of "$set.slipway")" \
            "$(med_of "$set.squawk")" "$(range_of "$set.squawk")" \
            "$(ratio "$(med_of "$set.slipway")" "$(med_of "$set.squawk")")"
    done

    for set in "${SETS[@]}"; do
        printf '\n## Agreement, %s set (findings at the same file and line)\n\n' "$set"
        printf '| slipway rule | squawk rule(s) | both | slipway only | squawk only |\n|---|---|--:|--:|--:|\n'
        awk '{ print $3 }' "$tmp/found/$set.slipway" "$tmp/found/$set.squawk" | sort -u >"$tmp/rules"
        while read -r r; do
            both=$(comm -12 "$tmp/found/$set.slipway" "$tmp/found/$set.squawk" | grep -c -- " $r\$" || true)
            s_only=$(comm -23 "$tmp/found/$set.slipway" "$tmp/found/$set.squawk" | grep -c -- " $r\$" || true)
            q_only=$(comm -13 "$tmp/found/$set.slipway" "$tmp/found/$set.squawk" | grep -c -- " $r\$" || true)
            printf '| `%s` | %s | %s | %s | %s |\n' "$r" \
                "$(for k in "${!RULE_MAP[@]}"; do [[ " ${RULE_MAP[$k]} " == *" $r "* ]] && printf '`%s` ' "$k"; done | sed 's/ $//')" \
                "$both" "$s_only" "$q_only"
        done <"$tmp/rules"
        printf '\nsquawk rules with no slipway counterpart (not compared): %s\n' \
            "$(awk '{ print $3 }' "$tmp/found/$set.squawk-raw" | sort | uniq -c |
                awk -v m=" ${!RULE_MAP[*]} " 'index(m, " " $2 " ") == 0 { printf "%s`%s` %d", sep, $2, $1; sep = ", " }')"
    done
}
mkdir -p "$results_dir"
report | tee "$report_md"
log "report written to $report_md"
