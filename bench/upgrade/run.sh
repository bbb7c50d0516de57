#!/usr/bin/env bash
# bench/upgrade/run.sh - `slipway --upgrade` against dbmate, node-pg-migrate, sqitch and psql,
# side by side in one run, on a private PostgreSQL this script starts and stops itself.
#
# Measures (see bench/README.md, "Upgrade"):
#   a. tool overhead: TRIVIAL_N migrations of `SELECT 1;`, each tool applying all of them to a
#      fresh database; median of RUNS_A wall times. Goal (issue 3): slipway <= 0.5x dbmate.
#   b. DDL: DDL_N migrations, each `CREATE TABLE t_i (...); CREATE INDEX ...;`, applied to a
#      fresh database; median of RUNS_B. The floor is psql running each file on its own,
#      `psql -1 -f FILE`, one process (and one connection) per file as a shell loop would.
#      Also shown: one `psql -1 -f` over all files concatenated (one transaction, no
#      history), the lower bound. Goal (issue 17): slipway <= 1.03x that bound.
#   d. the floor: CREATE_N migrations of one `CREATE TABLE` each, on this server (fsync off)
#      and on a second one with fsync, synchronous_commit and full_page_writes on (as users
#      run PostgreSQL), rounds interleaved across both servers. The floor is the same
#      statements sent by one psql session, one transaction each (`BEGIN; CREATE TABLE …;
#      COMMIT;` x CREATE_N): what the server itself costs. Goals (issue 17): with fsync on,
#      slipway <= 1.05x the floor (median of the per-round ratios); with fsync off (the
#      tool's own overhead shows) slipway <= 0.30x dbmate in every round.
#   c. no-op: the DDL_N files on disk, all applied (the databases left by b): one
#      `slipway --upgrade` with nothing to do against one `psql -c 'select 1'` (connect, one
#      query, exit); dbmate's, node-pg-migrate's and sqitch's no-op too. hyperfine without a
#      shell, NOOP_RUNS runs per command in each of NOOP_ROUNDS rounds (order rotated),
#      pooled; median. Goal: slipway <= 2x psql.
# In a and b every tool gets its own fresh database per run (created outside the timing), the
# runs of one round go in rotating tool order (so a burst of load from other jobs on a shared
# machine does not always hit the same tool), and each run is checked afterwards (history
# rows, tables) so that a tool failing fast is never timed as a fast tool.
#
# Every tool connects over TCP to 127.0.0.1 with sslmode=disable, with its output sent to a
# file, and runs with its working directory in the temp dir (dbmate reads ./.env,
# node-pg-migrate ./config). Each migration runs in its own transaction, with its history row
# in it for slipway, dbmate and node-pg-migrate: slipway and dbmate do that by default;
# node-pg-migrate is run with --no-single-transaction (its default wraps the whole batch in
# one transaction). sqitch: see below.
# dbmate runs with --no-dump-schema (otherwise it runs pg_dump after each migrate) and is
# the Go binary the npm package ships, called directly (the package's `dbmate` command is a
# Node wrapper that adds ~50 ms of Node start-up to every call).
# sqitch (Debian's package, Perl) gets a generated project per set: sqitch.conf (engine pg),
# sqitch.plan with one change per migration, deploy/NAME.sql = the same SQL wrapped in
# `BEGIN; ... COMMIT;` (a sqitch deploy script brings its own transaction), no revert or
# verify scripts, run with `deploy --no-verify` against `db:` + the same URL. Its model: for
# each change it opens a transaction on its own DBI connection and locks its registry
# (sqitch.changes), runs the deploy script in a new `psql` process (a process start and a
# connection per change, like the psql-per-file floor), then writes the registry rows
# (changes, events) and commits. So the change and its history row are two transactions on
# two connections, and each change costs a psql start; its numbers include that. Its
# history is the `sqitch` schema it creates in the target database on the first deploy.
#
# Prints a Markdown report on stdout and writes it to bench/results/upgrade.md (gitignored);
# progress goes to stderr. Needs: bash, psql and the PostgreSQL server binaries (Debian:
# postgresql), hyperfine, jq, node + npm (for dbmate and node-pg-migrate, installed once into
# BENCH_TOOLS_DIR from the npm registry), sqitch and libdbd-pg-perl (Debian; optional).
#
# Environment knobs (defaults in brackets):
#   BENCH_SLIPWAY    slipway binary [release build in build-bench/ with meson + ninja]
#   BENCH_TOOLS_DIR  npm prefix for dbmate and node-pg-migrate [bench/node_modules/.tools]
#   BENCH_PG_PORT    port of the private PostgreSQL [25462]: below the ephemeral port
#                    range (32768-60999), so no client socket of another job can hold it
#   BENCH_NPM        1: include node-pg-migrate, 0: leave it out [1]
#   BENCH_SQITCH     1: include sqitch, 0: leave it out [1]
#   RUNS_A [5]  RUNS_B [5]  RUNS_D [5]  TRIVIAL_N [400]  DDL_N [1000]  CREATE_N [400]
#   NOOP_RUNS [10]  NOOP_ROUNDS [3]
# Every ratio is also given per round (the runs of one round ran side by side): min, median
# and max of those ratios, so one lucky or unlucky run cannot decide a goal.
# ~6-8 minutes on 2 CPUs with the defaults without sqitch, most of it psql's one process per
# file; sqitch adds ~15 minutes (0.1-0.2 s per change, 11,000 changes).
#
# Machine load: each section reports the load average (1/5/15 min) before -> after, and the
# share of CPU time the whole machine was busy during it (/proc/stat, this benchmark
# included: it keeps about one CPU busy, so on 2 CPUs ~50% means nobody else ran). On a
# shared machine compare the min..max columns too, and rerun when other jobs were busy.

# shellcheck disable=SC2016 # backquotes in printf formats are Markdown, not expansions
BENCH=upgrade
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" # strict mode, log/die, $tmp + cleanup, SLIPWAY_* unset, helpers
report_md=$results_dir/upgrade.md

RUNS_A=${RUNS_A:-5}
RUNS_B=${RUNS_B:-5}
RUNS_D=${RUNS_D:-5}
CREATE_N=${CREATE_N:-400}
TRIVIAL_N=${TRIVIAL_N:-400}
DDL_N=${DDL_N:-1000}
NOOP_RUNS=${NOOP_RUNS:-10}
NOOP_ROUNDS=${NOOP_ROUNDS:-3}
BENCH_NPM=${BENCH_NPM:-1}
BENCH_SQITCH=${BENCH_SQITCH:-1}
pg_port=${BENCH_PG_PORT:-25462}
durable_port=$((pg_port + 10))
tools_dir=${BENCH_TOOLS_DIR:-$root/bench/node_modules/.tools}
DBMATE_VERSION=2.36.0
NPM_PG_MIGRATE_VERSION=9.0.0
# dbmate reads DATABASE_URL: the caller's may not change what is measured (nor may SLIPWAY_*,
# which lib.sh removed).
unset DATABASE_URL
# Likewise sqitch's SQITCH_* (target, password, config files...); its user and system config
# files (~/.sqitch/sqitch.conf, /etc/sqitch/sqitch.conf) are replaced by nothing, so only the
# generated project's sqitch.conf applies.
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep '^SQITCH' || true)
export SQITCH_USER_CONFIG=/dev/null SQITCH_SYSTEM_CONFIG=/dev/null

# Progress on the caller's stderr, also from a trap that runs while stderr is redirected.
exec {log_fd}>&2
# Every tool runs in the foreground: cleanup (lib.sh) has only the private PostgreSQL to stop.

# ---------------------------------------------------------------------------------------------
# Preflight: tools, the slipway build, dbmate and node-pg-migrate.
need "Debian: apt-get install -y postgresql hyperfine jq" psql hyperfine jq

find_slipway

# dbmate and node-pg-migrate from the npm registry, once, into a gitignored prefix. dbmate's
# package pulls its Linux binary in as an optional dependency (@dbmate/linux-x64).
dbmate_bin=$tools_dir/node_modules/@dbmate/linux-x64/bin/dbmate
npm_pg_migrate=$tools_dir/node_modules/node-pg-migrate/bin/node-pg-migrate.js
want_npm=()
[[ -x $dbmate_bin ]] || want_npm+=("dbmate@$DBMATE_VERSION")
[[ $BENCH_NPM != 1 || -f $npm_pg_migrate ]] || want_npm+=("node-pg-migrate@$NPM_PG_MIGRATE_VERSION" pg)
if ((${#want_npm[@]})); then
    command -v npm >/dev/null || die "npm not found (Debian: apt-get install -y npm)"
    log "installing ${want_npm[*]} into $tools_dir"
    mkdir -p "$tools_dir"
    npm install --prefix "$tools_dir" --no-audit --no-fund "${want_npm[@]}" >"$tmp/npm.log" 2>&1 ||
        { tail -n 20 "$tmp/npm.log" >&2; die "npm install failed"; }
fi
[[ -x $dbmate_bin ]] || die "dbmate binary not found at $dbmate_bin"
TOOLS=(slipway dbmate)
has_tool() { [[ " ${TOOLS[*]} " == *" $1 "* ]]; } # TOOL: is it measured in this run?
if [[ $BENCH_NPM == 1 ]]; then
    if command -v node >/dev/null && [[ -f $npm_pg_migrate ]]; then
        TOOLS+=(node-pg-migrate)
    else
        log "warning: node-pg-migrate not available, left out"
    fi
fi
if [[ $BENCH_SQITCH == 1 ]]; then
    if command -v sqitch >/dev/null && perl -MDBD::Pg -e 1 2>/dev/null; then
        TOOLS+=(sqitch)
    else
        log "warning: sqitch or DBD::Pg not installed (Debian: apt-get install -y sqitch libdbd-pg-perl), left out"
    fi
fi

# ---------------------------------------------------------------------------------------------
# The private PostgreSQL (tests/lib/pg.sh: initdb in the temp dir, fsync off).
pg_start
admin -c 'select 1' >/dev/null || die "PostgreSQL does not answer"

# ---------------------------------------------------------------------------------------------
# Migration sets: the same SQL in each tool's naming format.
#   slipway:          0001_m0001.sql
#   dbmate:           20240101000001_m0001.sql with -- migrate:up / -- migrate:down
#   node-pg-migrate:  1704067200001_m0001.sql with -- Up Migration / -- Down Migration
#   sqitch:           sqitch/deploy/m0001.sql with -- m0001, BEGIN; / COMMIT;; one plan line each
#   psql:             the slipway files, one after the other; concat.sql: all of them
gen_set() { # NAME COUNT KIND(trivial|ddl|create)
    local n=$2 kind=$3 i sql d=$tmp/sets/$1
    mkdir -p "$d/slipway" "$d/dbmate" "$d/node-pg-migrate" "$d/sqitch/deploy"
    : >"$d/concat.sql"
    : >"$d/session.sql"
    printf '[core]\n\tengine = pg\n\tplan_file = sqitch.plan\n\ttop_dir = .\n[user]\n\tname = bench\n\temail = bench@example.invalid\n' \
        >"$d/sqitch/sqitch.conf"
    printf '%%syntax-version=1.0.0\n%%project=bench\n\n' >"$d/sqitch/sqitch.plan"
    for ((i = 1; i <= n; i++)); do
        if [[ $kind == trivial ]]; then
            sql='SELECT 1;'
        elif [[ $kind == create ]]; then
            printf -v sql 'CREATE TABLE t_%04d (id int);' "$i"
        else
            printf -v sql 'CREATE TABLE t_%04d (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());\nCREATE INDEX t_%04d_name ON t_%04d (name);' "$i" "$i" "$i"
        fi
        printf '%s\n' "$sql" >"$(printf '%s/slipway/%04d_m%04d.sql' "$d" "$i" "$i")"
        printf -- '-- migrate:up\n%s\n\n-- migrate:down\n' "$sql" \
            >"$(printf '%s/dbmate/%d_m%04d.sql' "$d" $((20240101000000 + i)) "$i")"
        printf -- '-- Up Migration\n%s\n-- Down Migration\n' "$sql" \
            >"$(printf '%s/node-pg-migrate/%d_m%04d.sql' "$d" $((1704067200000 + i)) "$i")"
        # sqitch refuses two changes with the same deploy script (its registry keeps one
        # script hash per project): a comment naming the change keeps the trivial set's apart.
        printf -- '-- m%04d\nBEGIN;\n%s\nCOMMIT;\n' "$i" "$sql" >"$(printf '%s/sqitch/deploy/m%04d.sql' "$d" "$i")"
        printf 'm%04d 2024-01-01T00:00:00Z bench <bench@example.invalid>\n' "$i" >>"$d/sqitch/sqitch.plan"
        printf '%s\n' "$sql" >>"$d/concat.sql"
        printf 'BEGIN;\n%s\nCOMMIT;\n' "$sql" >>"$d/session.sql"
    done
}
log "generating $TRIVIAL_N trivial and $DDL_N DDL migrations"
gen_set trivial "$TRIVIAL_N" trivial
gen_set ddl "$DDL_N" ddl
gen_set create "$CREATE_N" create

# ---------------------------------------------------------------------------------------------
# Running one tool on one database. Output goes to a file, shown if the tool fails.
cd "$tmp" # dbmate reads ./.env and node-pg-migrate ./config: keep the caller's away
mkdir -p "$tmp/conf" "$tmp/samples"
slipway_conf() { # DB SET -> path of a config file for it
    local f=$tmp/conf/$1.ini
    printf '[database]\nurl = %s\n[migrations]\ndir = %s\n' "$(url "$1")" "$tmp/sets/$2/slipway" >"$f"
    printf '%s' "$f"
}
run_tool() { # TOOL DB SET: apply SET to DB
    local tool=$1 db=$2 set=$3 f d=$tmp/sets/$3
    case $tool in
    slipway) "$slipway_bin" -q -c "$tmp/conf/$db.ini" --upgrade ;;
    dbmate) "$dbmate_bin" --url "$(url "$db")" -d "$d/dbmate" --no-dump-schema migrate ;;
    node-pg-migrate)
        DATABASE_URL=$(url "$db") node "$npm_pg_migrate" up -m "$d/node-pg-migrate" \
            --no-single-transaction --no-verbose ;;
    sqitch) sqitch -C "$d/sqitch" deploy --no-verify "db:$(url "$db")" ;;
    psql-per-file)
        for f in "$d"/slipway/*.sql; do
            psql -X -q -v ON_ERROR_STOP=1 -1 -d "$(url "$db")" -f "$f" || return 1
        done ;;
    psql-concat) psql -X -q -v ON_ERROR_STOP=1 -1 -d "$(url "$db")" -f "$d/concat.sql" ;;
    psql-session) psql -X -q -v ON_ERROR_STOP=1 -d "$(url "$db")" -f "$d/session.sql" ;;
    *) die "unknown tool $tool" ;;
    esac
}
# After a run: the tool's history table holds every migration and, for the DDL set, every
# table exists. Catches a tool that "finished" without doing the work.
verify() { # TOOL DB SET COUNT
    local tool=$1 db=$2 set=$3 n=$4 got
    case $tool in
    slipway) got=$(admin -d "$db" -c 'select count(*) from slipway_migrations where success') ;;
    dbmate) got=$(admin -d "$db" -c 'select count(*) from schema_migrations') ;;
    node-pg-migrate) got=$(admin -d "$db" -c 'select count(*) from pgmigrations') ;;
    sqitch) got=$(admin -d "$db" -c 'select count(*) from sqitch.changes') ;;
    *) got=$n ;; # psql keeps no history
    esac
    [[ $got == "$n" ]] || die "$tool on $db: $got history rows, expected $n"
    if [[ $set == ddl || $set == create ]]; then
        got=$(admin -d "$db" -c "select count(*) from pg_class where relkind = 'r' and relname like 't\\_%'")
        [[ $got == "$n" ]] || die "$tool on $db: $got tables, expected $n"
    fi
}
# Times one run of TOOL on a fresh database, in ms, appended to samples/SET.TOOL. The
# database is created (and a slipway config written) before the clock starts.
timed_run() { # TOOL SET COUNT ROUND -> leaves database DB_NAME
    local tool=$1 set=$2 n=$3 r=$4 t0 t1
    DB_NAME=$(printf 'b_%s_%s_%d' "$set" "${tool//-/_}" "$r")
    admin -c "drop database if exists $DB_NAME" -c "create database $DB_NAME"
    slipway_conf "$DB_NAME" "$set" >/dev/null
    t0=${EPOCHREALTIME/./}
    if ! run_tool "$tool" "$DB_NAME" "$set" >"$tmp/run.log" 2>&1; then
        tail -n 20 "$tmp/run.log" >&2
        die "$tool failed on the $set set (round $r)"
    fi
    t1=${EPOCHREALTIME/./}
    verify "$tool" "$DB_NAME" "$set" "$n"
    awk -v d=$((t1 - t0)) 'BEGIN { printf "%.1f\n", d / 1000 }' >>"$tmp/samples/${SAMPLE_SET:-$set}.$tool"
}

# ---------------------------------------------------------------------------------------------
# Samples of one measure (median, minmax: lib.sh).
med_of() { median <"$tmp/samples/$1"; }
range_of() { minmax <"$tmp/samples/$1"; }
# Line r of every sample file is round r, whose runs went side by side: the ratio of A to B
# in each round -> "min / median / max".
round_ratios() { # SAMPLES_A SAMPLES_B
    paste "$tmp/samples/$1" "$tmp/samples/$2" | awk '$2 > 0 { printf "%.3f\n", $1 / $2 }' >"$tmp/ratios"
    printf '%s / %s / %s' "$(sort -g "$tmp/ratios" | head -n 1)" "$(median <"$tmp/ratios")" "$(sort -g "$tmp/ratios" | tail -n 1)"
}
ratio_max() { paste "$tmp/samples/$1" "$tmp/samples/$2" | awk '$2 > 0 { r = $1 / $2; if (r > m) m = r } END { printf "%.3f", m }'; }
ratio_med() { paste "$tmp/samples/$1" "$tmp/samples/$2" | awk '$2 > 0 { printf "%.3f\n", $1 / $2 }' | median; }

# Runs every tool `runs` times on SET, rotating the order each round. The last round's
# databases stay (section c uses the DDL ones); earlier rounds' are dropped.
declare -A LAST_DB
bench_set() { # SET COUNT RUNS TOOL...
    local set=$1 n=$2 runs=$3 r k tool
    shift 3
    local tools=("$@")
    for ((r = 1; r <= runs; r++)); do
        for ((k = 0; k < ${#tools[@]}; k++)); do
            tool=${tools[(k + r - 1) % ${#tools[@]}]}
            log "  $set round $r/$runs: $tool"
            timed_run "$tool" "$set" "$n" "$r"
            if ((r < runs)); then admin -c "drop database $DB_NAME"; else LAST_DB[$set.$tool]=$DB_NAME; fi
        done
    done
}

# Load during each section (load_begin, load_end: lib.sh), for the report.
declare -A LOAD

# a. tool overhead.
log "a. $TRIVIAL_N trivial migrations, $RUNS_A runs per tool; load $(loadavg)"
load_begin
bench_set trivial "$TRIVIAL_N" "$RUNS_A" "${TOOLS[@]}" psql-per-file
LOAD[a]=$(load_end)

# b. DDL.
log "b. $DDL_N DDL migrations, $RUNS_B runs per tool; load $(loadavg)"
load_begin
bench_set ddl "$DDL_N" "$RUNS_B" "${TOOLS[@]}" psql-per-file psql-concat
LOAD[b]=$(load_end)

# d. the floor, on both servers, rounds interleaved across them.
pg_start_durable "$tmp/pg-durable" "$durable_port"
fast_dir=$PGHOST fast_port=$pg_port
D_TOOLS=(slipway dbmate)
if has_tool sqitch; then D_TOOLS+=(sqitch); fi
D_TOOLS+=(psql-session)
log "d. $CREATE_N CREATE TABLE migrations, fsync off and on, $RUNS_D rounds; load $(loadavg)"
load_begin
for ((r = 1; r <= RUNS_D; r++)); do
    for server in fast durable; do
        if [[ $server == fast ]]; then pg_use "$fast_dir" "$fast_port"; else pg_use "$tmp/pg-durable" "$durable_port"; fi
        for ((k = 0; k < ${#D_TOOLS[@]}; k++)); do
            tool=${D_TOOLS[(k + r - 1) % ${#D_TOOLS[@]}]}
            log "  create/$server round $r/$RUNS_D: $tool"
            SAMPLE_SET=create-$server timed_run "$tool" create "$CREATE_N" "$r"
            admin -c "drop database $DB_NAME"
        done
    done
done
pg_use "$fast_dir" "$fast_port"
LOAD[d]=$(load_end)

# c. no-op upgrade on the DDL databases of b's last round, all DDL_N applied.
log "c. no-op with $DDL_N applied, hyperfine $NOOP_RUNS runs x $NOOP_ROUNDS rounds; load $(loadavg)"
load_begin
declare -A NOOP_CMD
NOOP_CMD[slipway]="$slipway_bin -q -c $tmp/conf/${LAST_DB[ddl.slipway]}.ini --upgrade"
NOOP_CMD[dbmate]="$dbmate_bin --url $(url "${LAST_DB[ddl.dbmate]}") -d $tmp/sets/ddl/dbmate --no-dump-schema migrate"
if [[ -n ${LAST_DB[ddl.node-pg-migrate]:-} ]]; then
    # hyperfine -N passes no per-command environment: the URL comes in through -d VAR.
    export BENCH_NPM_URL
    BENCH_NPM_URL=$(url "${LAST_DB[ddl.node-pg-migrate]}")
    NOOP_CMD[node-pg-migrate]="node $npm_pg_migrate up -d BENCH_NPM_URL -m $tmp/sets/ddl/node-pg-migrate --no-single-transaction --no-verbose"
fi
if [[ -n ${LAST_DB[ddl.sqitch]:-} ]]; then
    NOOP_CMD[sqitch]="sqitch -C $tmp/sets/ddl/sqitch deploy --no-verify db:$(url "${LAST_DB[ddl.sqitch]}")"
fi
NOOP_CMD[psql]="psql -X -q -d $(url postgres) -c 'select 1'"
NOOP_TOOLS=("${TOOLS[@]}" psql)
# A no-op must really be a no-op and succeed: run each once, checked, before timing.
for tool in "${NOOP_TOOLS[@]}"; do
    bash -c "${NOOP_CMD[$tool]}" >"$tmp/run.log" 2>&1 || { cat "$tmp/run.log" >&2; die "$tool no-op failed"; }
done
hyperfine_rounds "$NOOP_ROUNDS" "$NOOP_RUNS" 2 "$tmp/samples/noop" NOOP_CMD "${NOOP_TOOLS[@]}"
# The databases are still at DDL_N: nothing was applied by the no-op runs.
for tool in "${TOOLS[@]}"; do verify "$tool" "${LAST_DB[ddl.$tool]}" ddl "$DDL_N"; done
LOAD[c]=$(load_end)

# ---------------------------------------------------------------------------------------------
# Report.
pg_version=$(admin -c 'show server_version')
dbmate_version=$("$dbmate_bin" --version 2>&1 | awk '{ print $NF }')
npm_version=$(jq -r .version "$tools_dir/node_modules/node-pg-migrate/package.json" 2>/dev/null || echo n/a)
sqitch_version=n/a
if has_tool sqitch; then sqitch_version=$(sqitch --version | awk '{ print $NF }'); fi
pass() { if le "$1" "$2"; then echo "**met**"; else echo "**missed**"; fi; }
# Judged on the ratio of the medians; the ratio of the fastest runs is shown too: on a shared
# machine it is the one least touched by other jobs.
goal_line() { # TEXT SAMPLES BASE_SAMPLES LIMIT
    local r_med r_min
    r_med=$(ratio "$(med_of "$2")" "$(med_of "$3")")
    r_min=$(ratio "$(sort -g "$tmp/samples/$2" | head -n 1)" "$(sort -g "$tmp/samples/$3" | head -n 1)")
    printf '\nGoal: %s: %s (%sx the median; fastest runs: %sx).\n\n' "$1" "$(pass "$r_med" "$4")" "$r_med" "$r_min"
}
label() {
    case $1 in
    slipway) echo 'slipway `--upgrade`' ;;
    dbmate) echo 'dbmate `migrate`' ;;
    node-pg-migrate) echo 'node-pg-migrate `up`' ;;
    sqitch) echo 'sqitch `deploy` (one psql per change)' ;;
    psql-per-file) echo 'psql `-1 -f FILE` per file (floor)' ;;
    psql-concat) echo 'psql `-1 -f` all files concatenated (one transaction, no history; not a migration tool)' ;;
    psql) echo "psql \`-c 'select 1'\` (floor)" ;;
    psql-session) echo 'psql, one session, `BEGIN; …; COMMIT;` per migration (floor)' ;;
    esac
}

report() {
    local tool med n base
    printf '# Upgrade benchmark\n\n'
    printf 'slipway %s vs dbmate %s (Go binary from npm), node-pg-migrate %s (Node %s), sqitch %s (Debian), psql %s; ' \
        "$("$slipway_bin" --version 2>&1 | awk '{ print $NF }')" "$dbmate_version" "$npm_version" \
        "$(node --version 2>/dev/null || echo n/a)" "$sqitch_version" "$(psql --version | awk '{ print $3 }')"
    printf 'PostgreSQL %s (private instance, fsync off, TCP 127.0.0.1, sslmode=disable). ' "$pg_version"
    printf '%s CPUs; %s. Times are wall-clock milliseconds.\n\n' "$(nproc)" "$(date -u '+%Y-%m-%d %H:%M UTC')"

    n=$TRIVIAL_N
    base=$(med_of trivial.dbmate)
    printf '## a. Tool overhead: %s trivial migrations (`SELECT 1;`), fresh database\n\n' "$n"
    printf 'Median of %s runs per tool; load average (1/5/15 min) %s.\n\n' "$RUNS_A" "${LOAD[a]}"
    printf '| Tool | median ms | min..max | per migration ms | vs dbmate |\n|---|---:|---|---:|---:|\n'
    for tool in "${TOOLS[@]}" psql-per-file; do
        med=$(med_of "trivial.$tool")
        printf '| %s | %.0f | %s | %s | %sx |\n' "$(label "$tool")" "$med" "$(range_of "trivial.$tool")" \
            "$(awk -v m="$med" -v n="$n" 'BEGIN { printf "%.2f", m / n }')" "$(ratio "$med" "$base")"
    done
    goal_line 'slipway <= 0.5x dbmate' trivial.slipway trivial.dbmate 0.5
    printf 'Per round, slipway / dbmate: %s (min / median / max).\n\n' "$(round_ratios trivial.slipway trivial.dbmate)"

    n=$DDL_N
    base=$(med_of ddl.psql-per-file)
    printf '## b. %s small DDL migrations (`CREATE TABLE` + `CREATE INDEX`), fresh database\n\n' "$n"
    printf 'Median of %s runs per tool; load average %s.\n\n' "$RUNS_B" "${LOAD[b]}"
    printf '| Tool | median ms | min..max | per migration ms | vs psql per file |\n|---|---:|---|---:|---:|\n'
    for tool in "${TOOLS[@]}" psql-per-file psql-concat; do
        med=$(med_of "ddl.$tool")
        printf '| %s | %.0f | %s | %s | %sx |\n' "$(label "$tool")" "$med" "$(range_of "ddl.$tool")" \
            "$(awk -v m="$med" -v n="$n" 'BEGIN { printf "%.2f", m / n }')" "$(ratio "$med" "$base")"
    done
    goal_line 'slipway within 3% of one `psql -1` over all files (<= 1.03x)' ddl.slipway ddl.psql-concat 1.03
    printf 'Per round, slipway / psql concatenated: %s; slipway / psql per file: %s (min / median / max).\n\n' \
        "$(round_ratios ddl.slipway ddl.psql-concat)" "$(round_ratios ddl.slipway ddl.psql-per-file)"

    printf '## d. The floor: %s `CREATE TABLE` migrations, fsync off and on\n\n' "$CREATE_N"
    printf '%s rounds, each running every tool on both servers side by side; load average %s.\n' "$RUNS_D" "${LOAD[d]}"
    printf 'Floor: the same statements sent by one psql session, one transaction each.\n\n'
    printf '| Server | Tool | median ms | min..max | per migration ms | per round vs floor (min / median / max) | per round vs dbmate |\n|---|---|---:|---|---:|---|---|\n'
    for server in durable fast; do
        for tool in "${D_TOOLS[@]}"; do
            med=$(med_of "create-$server.$tool")
            printf '| fsync %s | %s | %.0f | %s | %s | %s | %s |\n' "$([[ $server == durable ]] && echo on || echo off)" \
                "$(label "$tool")" "$med" "$(range_of "create-$server.$tool")" \
                "$(awk -v m="$med" -v n="$CREATE_N" 'BEGIN { printf "%.2f", m / n }')" \
                "$(round_ratios "create-$server.$tool" "create-$server.psql-session")" \
                "$(round_ratios "create-$server.$tool" "create-$server.dbmate")"
        done
    done
    printf '\nGoal: fsync on, slipway <= 1.05x the floor (median of the per-round ratios): %s (%sx).\n' \
        "$(pass "$(ratio_med create-durable.slipway create-durable.psql-session)" 1.05)" "$(ratio_med create-durable.slipway create-durable.psql-session)"
    printf 'Goal: fsync off, slipway <= 0.30x dbmate in every round: %s (worst round %sx).\n\n' \
        "$(pass "$(ratio_max create-fast.slipway create-fast.dbmate)" 0.30)" "$(ratio_max create-fast.slipway create-fast.dbmate)"

    base=$(med_of noop.psql)
    printf '## c. No-op upgrade, %s files on disk, all applied\n\n' "$DDL_N"
    printf 'hyperfine -N (no shell), %s runs x %s rounds per command, order rotated, pooled; load average %s.\n\n' \
        "$NOOP_RUNS" "$NOOP_ROUNDS" "${LOAD[c]}"
    printf '| Command | median ms | min..max | vs psql |\n|---|---:|---|---:|\n'
    for tool in "${NOOP_TOOLS[@]}"; do
        med=$(med_of "noop.$tool")
        printf '| %s | %.1f | %s | %sx |\n' "$(label "$tool")" "$med" \
            "$(awk '{ printf "%.1f\n", $1 }' "$tmp/samples/noop.$tool" | minmax)" "$(ratio "$med" "$base")"
    done
    goal_line 'slipway no-op <= 2x one `psql -c`' noop.slipway noop.psql 2
}
mkdir -p "$results_dir"
report | tee "$report_md"
log "report written to $report_md"
