# examples/compose/docker-compose.yml, unchanged, under docker-compose (Debian's 1.29) on the
# engine tests/ship/docker.sh started, with the image it built (tagged slipway-demo:local, the
# example's name) and tests/ship/postgres-image tagged postgres:16-bookworm: no registry, no
# build. Compose's own network, a bridge, works without the engine's default bridge and
# iptables (containers reach each other on it; the published port goes through docker-proxy).
# Sourced by docker.sh after the image checks.
# shellcheck shell=bash

PROJECT=slipway-ci-$$
compose() { (cd "$SRCDIR/examples/compose" && docker-compose -p "$PROJECT" "$@"); }
container() { echo "${PROJECT}_$1_1"; }
state() { docker inspect -f "{{.State.$1}}" "$(container "$2")"; }
at_ns() { date -d "$(state "$1" "$2")" +%s%N; }
# The compose network's bridge, so that engine_stop removes it even if the engine is gone.
remember_bridge() {
    local id
    id=$(docker network inspect -f '{{.Id}}' "${PROJECT}_default" 2>/dev/null) &&
        echo "br-${id:0:12}" >>"$ENGINE/bridges"
}

docker tag "$IMAGE" slipway-demo:local
t0=$(date +%s)
out=$(compose up -d --no-build 2>&1)
rc=$?
remember_bridge
is "$rc" 0 "docker-compose up -d: postgres, then the upgrade, then web ($(($(date +%s) - t0)) s)"
[ "$rc" = 0 ] || printf '#   %s\n' "${out//$'\n'/$'\n'#   }"
is "$(state ExitCode upgrade)" 0 "the one-shot upgrade service exited 0"
like "$(compose logs --no-color upgrade 2>&1)" "schema version 3" "it applied the migrations"
[ "$(at_ns StartedAt web)" -gt "$(at_ns FinishedAt upgrade)" ]
ok $? "web started only after the upgrade finished (service_completed_successfully)"
healthy() { [ "$(health_of "$(container web)")" = healthy ]; }
t0=$(date +%s)
wait_until 120 healthy
ok $? "web turns healthy: the image's HEALTHCHECK, interval 10 s ($(($(date +%s) - t0)) s)"
wait_until 10 page
like "$(page 2>&1)" "slipway demo" "web serves on the published port 8080"
unlike "$(compose logs --no-color 2>&1)" "$(cat "$SRCDIR/examples/compose/postgres-password.txt")" \
    "the database password is in no container's log"
out=$(compose run --rm upgrade 2>&1)
is "$?" 0 "docker-compose run --rm upgrade: again, nothing to do, exit 0"
compose stop web >/dev/null 2>&1
is "$(state ExitCode web)" 0 "docker-compose stop web: SIGQUIT, nginx's graceful stop, exit 0"
compose down -v >/dev/null 2>&1
ok $? "docker-compose down -v"

# A release whose migration fails: a broken 0004 mounted into the upgrade service (an override
# file: the example stays as it is) on a fresh database.
printf 'SELECT * FROM no_such_table;\n' >"$TMP/0004_broken.sql"
cat >"$TMP/broken.yml" <<YAML
services:
  upgrade:
    volumes:
      - $TMP/0004_broken.sql:/app/migrations/0004_broken.sql:ro
YAML
out=$(compose -f docker-compose.yml -f "$TMP/broken.yml" up -d --no-build 2>&1)
rc=$?
remember_bridge
ok $((!rc)) "docker-compose up fails when the upgrade fails (exit $rc)"
like "$out" "exited with code 1" "docker-compose reports the upgrade's exit code"
is "$(state ExitCode upgrade)" 1 "the upgrade exited 1 (a migration failed)"
like "$(compose logs --no-color upgrade 2>&1)" "upgrade failed at 0004_broken.sql after 3 of 4" \
    "the first three migrations were applied, the broken one named"
is "$(compose ps -q web 2>&1)" "" "web was never created: the old release (none here) is left alone"
compose down -v >/dev/null 2>&1
