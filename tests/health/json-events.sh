#!/usr/bin/env bash
# --log-format json: the typical commands of the upgrade, serve and health tests (an upgrade,
# a failed migration, a resumed no-transaction file, checksum drift, a wait on the lock, tasks,
# a gated supervisor, health/status/check/wait) write only JSON lines on stderr, and every event
# has the fields the README's table lists, with their types. No `set -e`: TAP assertions test
# exit statuses.
TEST_NAME=jsonev
. "$SRCDIR/tests/upgrade/lib.sh"

N=0
# js EXPECTED_RC ARGS...: slipway with our config and JSON logs; stderr kept in $TMP/logs/.
js() {
    local want=$1
    shift
    N=$((N + 1))
    mkdir -p "$TMP/logs"
    "$SLIPWAY" -c "$CONF" --log-format json "$@" >"$TMP/logs/$N.out" 2>"$TMP/logs/$N.err"
    is "$?" "$want" "$* exits $want"
}

write_config 'lock_wait = 1s' '[task "seed"]' 'command = true' 'version = 1' \
    '[task "broken"]' "command = sh -c 'exit 3'" 'version = 1' 'required = false'
printf 'CREATE TABLE a (id int);\n' >"$MIG/0001_a.sql"
printf -- '-- slipway:no-transaction\nCREATE TABLE n1 (id int);\nCREATE TABLE n2 (id int);\n' >"$MIG/0002_n.sql"

js 0 check
js 1 health
js 0 task seed
js 0 task seed
js 1 task broken
js 0 status
sed -i '/broken/,$d' "$CONF" # the broken task would fail every upgrade from here on
js 0 --upgrade
js 0 --upgrade
js 0 -v health

# A failing migration, then a no-transaction file that fails midway and resumes.
printf 'CREATE TABLE b (id int);\nSELECT nope;\n' >"$MIG/0003_b.sql"
js 1 --upgrade
printf 'CREATE TABLE b (id int);\n' >"$MIG/0003_b.sql"
printf -- '-- slipway:no-transaction\nCREATE TABLE m1 (id int);\nSELECT nope;\n' >"$MIG/0004_m.sql"
js 1 --upgrade
printf -- '-- slipway:no-transaction\nCREATE TABLE m1 (id int);\nSELECT 1;\n' >"$MIG/0004_m.sql"
js 0 --upgrade # resumes at the second statement
echo '-- changed' >>"$MIG/0001_a.sql"
js 5 --upgrade # drift
js 0 --upgrade --repair-checksums

# A wait on the lock held by someone else.
psql -X -q -d "$DB" -c "SELECT pg_advisory_lock(1936484720, hashtext('slipway_migrations')), pg_sleep(60)" \
    >/dev/null 2>&1 &
HOLDER=$!
for _ in $(seq 100); do [ "$(advisory_locks)" = 1 ] && break; sleep 0.1; done
is "$(advisory_locks)" 1 "a session holds the upgrade lock"
printf 'CREATE TABLE c (id int);\n' >"$MIG/0005_c.sql"
js 4 --upgrade
# The holder's backend is ended (killing psql would leave its pg_sleep running on).
q "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())" >/dev/null
wait "$HOLDER" 2>/dev/null
for _ in $(seq 100); do [ "$(advisory_locks)" = 0 ] && break; sleep 0.1; done
is "$(advisory_locks)" 0 "the lock is free again"

# A gated supervisor: waits, starts the server after the upgrade, reports its exit.
write_config '[serve]' 'wait_for = database' "health_socket = $TMP/h.sock"
N=$((N + 1))
"$SLIPWAY" -c "$CONF" --log-format json -v -- sh -c 'exit 7' 2>"$TMP/logs/$N.err" &
SERVE=$!
for _ in $(seq 100); do [ -S "$TMP/h.sock" ] && break; sleep 0.1; done
js 1 health
js 3 wait --timeout 100ms
js 0 --upgrade
wait "$SERVE"
is "$?" 7 "the gated server ran and exited 7"

python3 - "$TMP"/logs/*.err >"$TMP/check.out" <<'EOF'
import json, re, sys

S, I, SN = "str", "int", "str|null"
FIELDS = {
    "log": {},
    "migration_applied": {"migration": S, "version": S, "duration_ms": I, "index": I, "total": I},
    "migration_failed": {"migration": S, "version": S, "line": I, "error": S},
    "migration_resumed": {"migration": S, "statement": I},
    "migration_incomplete": {"migration": S, "statement": I},
    "checksum_drift": {"migration": S, "version": S, "recorded_checksum": S, "file_checksum": S},
    "upgrade_done": {"applied": I, "pending": I, "duration_ms": I, "tasks_run": I, "schema_version": SN,
                     "lock_wait_ms": I},
    "upgrade_nothing_to_do": {"applied": I, "pending": I, "schema_version": SN, "lock_wait_ms": I},
    "upgrade_failed": {"migration": S, "applied": I, "pending": I, "duration_ms": I, "schema_version": SN,
                       "lock_wait_ms": I},
    "upgrade_stopped": {"migration": S, "applied": I, "pending": I, "duration_ms": I, "schema_version": SN,
                        "lock_wait_ms": I},
    "lock_waiting": [{"waited_ms": I, "holder": S, "holder_pid": I, "holder_client": S, "holder_since": S},
                     {"waited_ms": I, "holder": "null"},
                     {"waited_ms": I, "holder": "null", "error": S}],
    "lock_timeout": {"waited_ms": I},
    "lock_wait_stopped": {"waited_ms": I, "signal": I},
    "task_started": {"task": S, "version": S},
    "task_done": {"task": S, "version": S, "duration_ms": I, "exit_code": I},
    "task_failed": {"task": S, "exit_code": I, "error": S},
    "task_stopped": {"task": S, "signal": I, "exit_code": I},
    "task_nothing_to_do": {"task": S, "version": S},
    "dependency_waiting": {"reason": S, "schema_version": SN},
    "dependencies_ready": {},
    "server_started": {"pid": I},
    "server_exited": {"exit_code": I, "signal": I},
}
# signals: tests/upgrade/signal.sh, tests/upgrade/termination.sh
EXPECTED = set(FIELDS) - {"upgrade_stopped", "task_stopped", "lock_wait_stopped"}

def typed(v, t):
    return any({"str": isinstance(v, str), "null": v is None,
                "int": isinstance(v, int) and not isinstance(v, bool)}[x] for x in t.split("|"))

def check(obj):
    base = {"ts", "level", "event", "msg"}
    if not base <= obj.keys():
        return "missing %s" % (base - obj.keys())
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", obj["ts"]):
        return "bad ts"
    if obj["level"] not in ("error", "warn", "info", "debug"):
        return "bad level"
    spec = FIELDS.get(obj["event"])
    if spec is None:
        return "unknown event"
    rest = {k: v for k, v in obj.items() if k not in base}
    for s in spec if isinstance(spec, list) else [spec]:
        if rest.keys() == s.keys() and all(typed(rest[k], t) for k, t in s.items()):
            return None
    return "fields do not match the table"

n, seen, bad = 0, set(), []
for path in sys.argv[1:]:
    for i, line in enumerate(open(path), 1):
        n += 1
        try:
            obj = json.loads(line)
        except ValueError as e:
            bad.append("%s:%d: not JSON (%s): %s" % (path, i, e, line.strip()))
            continue
        why = check(obj)
        if why:
            bad.append("%s:%d: %s: %s" % (path, i, why, line.strip()))
        seen.add(obj.get("event"))
# One "STATUS description" line per assertion (0: passed), comments as "# ...".
def ok(cond, what):
    print("%d %s" % (0 if cond else 1, what))
ok(n > 0 and not bad, "every one of %d lines is JSON with the fields of its event" % n)
for b in bad:
    print("#   " + b)
for ev in sorted(EXPECTED):
    ok(ev in seen, "event %s seen" % ev)
EOF
ok $? "the checker ran"
while read -r status what; do
    case $status in
    '#') echo "# $what" ;;
    *) ok "$status" "$what" ;;
    esac
done <"$TMP/check.out"

done_testing
