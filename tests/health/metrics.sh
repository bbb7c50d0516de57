#!/usr/bin/env bash
# GET /metrics with a real Prometheus: Debian's prometheus scrapes a gated supervisor, and its
# HTTP API shows slipway_schema_version change after an upgrade; promtool accepts the output and
# the README's alert rules; a scrape opens no database connection; how fast a scrape answers.
# No `set -e`: TAP assertions test exit statuses.
TEST_NAME=metrics
. "$SRCDIR/tests/upgrade/lib.sh"

command -v prometheus >/dev/null && command -v promtool >/dev/null ||
    { echo "Bail out! prometheus missing (tests/packages.txt)"; exit 1; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
SW_PORT=$(free_port)
PROM_PORT=$(free_port)
PROM=http://127.0.0.1:$PROM_PORT

# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds; 1 on timeout.
wait_until() {
    local end=$(($(date +%s) + $1))
    shift
    until "$@"; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.1
    done
}

# promql QUERY [WANT [SECONDS]]: the samples of an instant query, one "labels value" per line,
# sorted; with WANT, polls (one process, every 0.1 s) until they are WANT, 1 if they never are.
promql() {
    python3 - "$PROM" "$@" <<'EOF'
import json, sys, time, urllib.parse, urllib.request
prom, query = sys.argv[1], sys.argv[2]
want = sys.argv[3] if len(sys.argv) > 3 else None
end = time.monotonic() + (float(sys.argv[4]) if len(sys.argv) > 4 else 60)
def samples():
    url = prom + "/api/v1/query?" + urllib.parse.urlencode({"query": query})
    d = json.load(urllib.request.urlopen(url, timeout=10))
    assert d["status"] == "success", d
    rows = []
    for r in d["data"]["result"]:
        m = {k: v for k, v in r["metric"].items() if k not in ("__name__", "instance", "job")}
        rows.append(",".join("%s=%s" % kv for kv in sorted(m.items())) + " " + r["value"][1])
    return "\n".join(sorted(rows))
got = samples()
while want is not None and got != want and time.monotonic() < end:
    time.sleep(0.1)
    got = samples()
print(got)
sys.exit(0 if want is None or got == want else 1)
EOF
}

scrape() { curl -s "http://127.0.0.1:$SW_PORT/metrics"; }

# Schema version 1 first; the image then ships 0002 and requires it.
printf 'CREATE TABLE a (id int);\n' >"$MIG/0001_a.sql"
sw --upgrade
is "$RC" 0 "schema version 1 applied"
printf 'CREATE TABLE b (id int);\n' >"$MIG/0002_b.sql"
write_config '[serve]' 'wait_for = database' "health_listen = 127.0.0.1:$SW_PORT" \
    "health_socket = $TMP/health.sock" 'image = shop:2.0'

"$SLIPWAY" -c "$CONF" -- sh -c "echo started >'$TMP/started'; exec sleep 300" 2>"$TMP/serve.log" &
SERVE_PID=$!
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 200ms
  scrape_timeout: 150ms
scrape_configs:
  - job_name: slipway
    static_configs:
      - targets: ['127.0.0.1:$SW_PORT']
EOF
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$TMP/prometheus.log" 2>&1 &
PROM_PID=$!
trap 'kill "$SERVE_PID" "$PROM_PID" 2>/dev/null; wait; cleanup_db' EXIT

scrape_has() { scrape | grep -qxF "$1"; }
wait_until 60 scrape_has 'slipway_schema_version{version="1"} 1'
ok $? "the gated supervisor serves /metrics: schema version 1"
scrape >"$TMP/gated.prom"
promtool check metrics <"$TMP/gated.prom" >"$TMP/promtool.out" 2>&1
ok $? "promtool check metrics accepts the output while gated"
sed 's/^/# /' "$TMP/promtool.out"
like "$(cat "$TMP/gated.prom")" 'slipway_build_info{version="' "build info"
like "$(cat "$TMP/gated.prom")" 'image="shop:2.0",requires="2"} 1' "build info: image label and required version"
like "$(cat "$TMP/gated.prom")" 'slipway_migrations_pending 1' "one migration pending"
like "$(cat "$TMP/gated.prom")" 'slipway_dependency_up{name="database"} 1' "database up"
like "$(cat "$TMP/gated.prom")" 'slipway_dependency_compatible{name="database"} 0' "database not compatible yet"
like "$(cat "$TMP/gated.prom")" 'slipway_child_up 0' "no server while gated"

wait_until 60 curl -sf "$PROM/-/ready" -o /dev/null
ok $? "prometheus is ready"
got=$(promql 'slipway_schema_version' 'version=1 1')
ok $? "prometheus scraped schema version 1 (got: $got)"
is "$(promql 'slipway_build_info')" "image=shop:2.0,requires=2,version=$("$SLIPWAY" --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1) 1" \
    "prometheus has the build info"

sw --upgrade
is "$RC" 0 "the upgrade applies 0002"
got=$(promql 'slipway_schema_version' 'version=2 2')
ok $? "prometheus sees schema version 2 after the upgrade (got: $got)"
got=$(promql 'slipway_dependency_compatible' 'name=database 1')
ok $? "and the database compatible (got: $got)"
got=$(promql 'slipway_child_up' ' 1')
ok $? "and the server up (got: $got)"
is "$(promql 'slipway_migrations_pending')" " 0" "nothing pending"
[ -e "$TMP/started" ]
ok $? "the server was started"
scrape | promtool check metrics >"$TMP/promtool.out" 2>&1
ok $? "promtool check metrics accepts the output while serving"

# A scrape opens no database connection: pg_stat_database counts the sessions that ended in
# our database. A direct health check (no socket) is one session and shows the count moves;
# 1000 scrapes between two such checks add nothing to it.
sessions() { psql -X -A -t -q -d postgres -c "SELECT sessions FROM pg_stat_database WHERE datname = '$DB'"; }
direct_health() { SLIPWAY_SERVE_HEALTH_SOCKET=$TMP/none.sock "$SLIPWAY" -c "$CONF" health >/dev/null; }
s0=$(sessions)
direct_health
wait_until 30 test "$(sessions)" -gt "$s0"
ok $? "a direct health check is seen as a session"
s1=$(sessions)
# 1000 scrapes, timed (connection included): measured and reported, not asserted.
python3 - "$SW_PORT" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
times = []
for _ in range(1000):
    t = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    while s.recv(65536):
        pass
    s.close()
    times.append(time.perf_counter() - t)
times.sort()
print("# scrape round trip over 1000: median %.0f us, p99 %.0f us" % (times[500] * 1e6, times[990] * 1e6))
EOF
direct_health
wait_until 30 test "$(sessions)" -gt "$s1"
is "$(sessions)" $((s1 + 1)) "1000 scrapes opened no session (only the second health check did)"

# The README's example alerts are valid rules.
python3 - "$SRCDIR/README.md" >"$TMP/rules.yml" <<'EOF'
import re, sys
blocks = re.findall(r"```yaml\n(.*?)```", open(sys.argv[1]).read(), re.S)
print(next(b for b in blocks if b.startswith("groups:")))
EOF
promtool check rules "$TMP/rules.yml" >"$TMP/promtool.out" 2>&1
ok $? "promtool check rules accepts the README's alerts"
grep -q 'SUCCESS: [1-9][0-9]* rules found' "$TMP/promtool.out"
ok $? "the README has alert rules"
sed 's/^/# /' "$TMP/promtool.out"

kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
is "$?" 143 "the supervisor stops on SIGTERM"

done_testing
