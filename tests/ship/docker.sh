#!/usr/bin/env bash
# The top-level Dockerfile under a real Docker engine (Debian's dockerd, started here:
# tests/ship/docker-lib.sh): built with `docker build`, upgraded with `docker run IMAGE
# --upgrade` against the test PostgreSQL, served with `docker run -d` on a read-only root:
# Docker's own HEALTHCHECK goes starting -> unhealthy -> healthy around the upgrade, `docker
# kill -s HUP` reaches nginx, `docker stop` (STOPSIGNAL QUIT) exits 0 within the grace period;
# the maintenance example on top of it; then examples/compose with docker-compose
# (tests/ship/docker-compose.sh). Needs root; the image is built once for all of it.
# No `set -e`: TAP assertions test exit statuses.
set -uo pipefail
. "$SRCDIR/tests/ship/lib.sh"
. "$SRCDIR/tests/ship/docker-lib.sh"
: "${PGHOST:?run under tests/run-all.sh (PGHOST/PGPORT from tests/lib/pg.sh)}"

IMAGE=slipway-ci:test
PORT=8080 # entrypoint/nginx/nginx.conf
DB=ship_docker_$$
# Over TCP: with --network host the container shares the host's 127.0.0.1, not its sockets.
URL=postgresql://postgres@127.0.0.1:$PGPORT/$DB
WEB=slipway-web-$$
ENGINE='' EVENTS='' PG_BUILD='' TTY_RUN=''

cleanup() {
    [ -n "$EVENTS" ] && kill "$EVENTS" 2>/dev/null
    [ -n "$PG_BUILD" ] && kill "$PG_BUILD" 2>/dev/null
    [ -n "$TTY_RUN" ] && kill "$TTY_RUN" 2>/dev/null
    [ -n "$ENGINE" ] && engine_stop "$ENGINE"
    dropdb --if-exists --force "$DB" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 143' TERM # meson's timeout: stop the engine on the way out

[ "$(id -u)" = 0 ] || bail "needs root: dockerd"
need_packages docker.io docker-compose debootstrap
page() { curl -fsS --max-time 2 "http://127.0.0.1:$PORT/"; }
page >/dev/null 2>&1 && bail "something already listens on 127.0.0.1:$PORT"

t0=$(date +%s)
engine_start
ok $? "dockerd started with its own data root and socket ($(($(date +%s) - t0)) s)"
[ -S "${DOCKER_HOST#unix://}" ] || bail "no Docker engine"
t0=$(date +%s)
engine_base_image
ok $? "debian:bookworm-slim and the images of the last run from /var/cache/slipway-ci\
 ($((${#CACHE_FROM[@]} / 2)) cached, $(($(date +%s) - t0)) s)"

# The compose test's PostgreSQL image builds meanwhile (it needs only the base image).
pg_build_start=$(date +%s)
engine_build postgres:16-bookworm "$SRCDIR/tests/ship/postgres-image" &
PG_BUILD=$!
t0=$(date +%s)
# The build stage is tagged too: the next run reuses its apt layer.
engine_build slipway-ci:build "$SRCDIR" --target build &&
    engine_build "$IMAGE" "$SRCDIR" --cache-from slipway-ci:build
engine_built "$IMAGE" $? $(($(date +%s) - t0)) "of the top-level Dockerfile"

inspect() { docker inspect -f "$1" "${2:-$IMAGE}"; }
is "$(inspect '{{json .Config.Entrypoint}}')" '["slipway"]' 'ENTRYPOINT ["slipway"]'
is "$(inspect '{{json .Config.Cmd}}')" '["nginx","-g","daemon off;"]' 'CMD ["nginx", "-g", "daemon off;"]'
is "$(inspect '{{json .Config.Healthcheck.Test}}')" '["CMD","slipway","health"]' \
    'HEALTHCHECK CMD ["slipway", "health"]'
is "$(inspect '{{.Config.StopSignal}}')" SIGQUIT "STOPSIGNAL SIGQUIT, nginx's graceful stop"
user=$(inspect '{{.Config.User}}')
[[ $user =~ ^[1-9][0-9]*:[0-9]+$ ]]
ok $? "USER is numeric and not root ($user), for Kubernetes' runAsNonRoot"
uid=${user%%:*} gid=${user#*:}

out=$(docker run --rm "$IMAGE" --version 2>&1)
ok $? "docker run IMAGE --version"
like "$out" "slipway " "prints the version"
out=$(docker run --rm "$IMAGE" check 2>&1)
ok $? "docker run IMAGE check: the default config and /app/migrations are valid"
like "$out" "3 migrations" "the sample migrations are found"
unlike "$(docker run --rm --entrypoint ldd "$IMAGE" /usr/local/bin/slipway 2>&1)" libpq \
    "slipway does not link libpq (loaded only when a database is needed)"

createdb "$DB" || bail "createdb $DB failed"

# `docker run -d` on a read-only root filesystem, a tmpfs on each directory the image's user
# writes to (what the Kubernetes examples mount as emptyDirs). A quick healthcheck: a probe
# every second, failures ignored for the first 5 s (starting), then one makes it unhealthy.
tmpfs=()
for d in $IMAGE_WRITABLE_DIRS; do
    case $d in
    /tmp) tmpfs+=(--tmpfs "$d:mode=1777") ;;
    *) tmpfs+=(--tmpfs "$d:mode=0755,uid=$uid,gid=$gid") ;;
    esac
done
# Every health transition the engine reports, in order, so that none can be missed (--since
# replays what happened before the stream was open).
docker events --since "$(date +%s)" --filter "container=$WEB" --filter event=health_status \
    --format '{{.Status}}' >"$TMP/health.events" 2>&1 &
EVENTS=$!
docker run -d --name "$WEB" --network host --read-only "${tmpfs[@]}" \
    --health-interval 1s --health-retries 1 --health-start-period 5s \
    -e "DATABASE_URL=$URL" "$IMAGE" >/dev/null
rc=$?
ok $rc "docker run -d --read-only IMAGE: a new release starts before its upgrade ran"
[ $rc = 0 ] || bail "the container did not start"
is "$(health_of "$WEB")" starting "HEALTHCHECK: starting"
events() { tr -d '\r' <"$TMP/health.events" | sed 's/^health_status: //' | paste -sd' '; }
saw() { [ "$(events)" = "$1" ]; }
wait_until 60 saw unhealthy
ok $? "HEALTHCHECK: unhealthy while the schema is behind (events: $(events))"
like "$(inspect '{{json .State.Health.Log}}' "$WEB")" "schema version none is behind, this image needs 3" \
    "the probe says why"
docker exec "$WEB" test -S /run/slipway/health.sock
ok $? "the supervisor answers on health_socket (a tmpfs on the read-only root)"
top=$(docker top "$WEB" -o pid,ppid,user,args)
like "$top" "slipway nginx" "slipway is the container's PID 1, waiting on the gate"
unlike "$top" "nginx: master" "nginx does not start before the schema is there (wait_for = database)"

# The one-shot upgrade, as compose's `command: ["--upgrade"]` or a Kubernetes Job runs it.
out=$(docker run --rm --network host -e "DATABASE_URL=$URL" "$IMAGE" --upgrade 2>&1)
rc=$?
is "$rc" 0 "docker run IMAGE --upgrade against the PostgreSQL on the host"
[ "$rc" = 0 ] || printf '#   %s\n' "${out//$'\n'/$'\n'#   }"
like "$out" "0003_orders_customer_index.sql" "the no-transaction migration was applied"
is "$(psql -X -A -t -d "$DB" -c "SELECT array_to_string(max(version), '.') FROM slipway_migrations WHERE success")" 3 \
    "the schema is at version 3"

wait_until 60 saw "unhealthy healthy"
ok $? "HEALTHCHECK: healthy after the upgrade (events: $(events))"
wait_until 10 page
ok $? "nginx serves once the upgrade committed"
like "$(page 2>&1)" "slipway demo" "the image's page"
top=$(docker top "$WEB" -o pid,ppid,user,args)
sup=$(awk '$4 == "slipway" { print $1 }' <<<"$top")
master=$(awk '/nginx: master/ { print $2 " " $3 }' <<<"$top")
is "$master" "$sup www-data" "nginx runs as slipway's child, as the image's user"
docker exec "$WEB" slipway status >"$TMP/status.log" 2>&1
ok $? "docker exec: slipway status"

# A signal that is not a stop signal is forwarded and the server keeps running: nginx reloads
# its configuration on HUP. (QUIT is this image's STOPSIGNAL, nginx's graceful stop: `docker
# kill -s QUIT` stops it, as `docker stop` does.)
logged() { docker logs "$WEB" 2>&1 | grep -q "$1"; }
docker kill -s HUP "$WEB" >/dev/null
wait_until 10 logged 'signal 1 (SIGHUP) received from 1, reconfiguring'
ok $? "docker kill -s HUP: forwarded by PID 1, nginx reloads"
wait_until 10 logged 'gracefully shutting down'
ok $? "nginx replaced its workers"
is "$(inspect '{{.State.Running}}' "$WEB")" true "the container still runs after HUP"
page >/dev/null 2>&1
ok $? "and still serves"

# docker_stop WHAT: `docker stop` (the image's STOPSIGNAL, 10 s grace); slipway exits 0 by
# itself (not the engine's SIGKILL: that would be 137) after nginx's master finished its own
# shutdown (nginx logs its exit: otherwise the kernel killed it when PID 1 exited).
docker_stop() {
    local master t0 ms
    master=$(docker exec "$WEB" cat /run/nginx/nginx.pid)
    t0=$(now_ms)
    docker stop "$WEB" >/dev/null
    ms=$(($(now_ms) - t0))
    is "$(inspect '{{.State.ExitCode}}' "$WEB")" 0 "docker stop: $1, exit code 0 in $ms ms"
    ok $((ms >= 10000)) "docker stop: within the 10 s grace period, no SIGKILL from the engine"
    docker logs "$WEB" >"$TMP/web.log" 2>&1
    grep -q "\[notice\] $master#$master: exit\$" "$TMP/web.log"
    ok $? "docker stop: nginx's master finished its shutdown before slipway exited"
}
docker_stop "SIGQUIT, nginx's graceful stop"

# A restart on the current schema serves at once; SIGTERM is nginx's fast shutdown.
docker start "$WEB" >/dev/null
wait_until 30 page
ok $? "docker start: a restarted container serves at once on the current schema"
docker kill -s TERM "$WEB" >/dev/null
is "$(timeout 30 docker wait "$WEB")" 0 "docker kill -s TERM: nginx's fast shutdown, slipway passes its 0 on"
[ "$TAP_FAILED" = 0 ] || show_log "$TMP/web.log" 40

# `docker run -it IMAGE bash` on a terminal (script(1) gives it one): slipway hands the
# terminal's foreground to bash, so bash has job control and Ctrl-C stops what runs in the
# foreground, not the container.
TTY=slipway-tty-$$
mkfifo "$TMP/tty.in"
script -qfec "/usr/bin/docker run -it --rm --name $TTY -e SLIPWAY_SERVE_WAIT_FOR= $IMAGE bash --norc --noprofile -i" \
    /dev/null <"$TMP/tty.in" >"$TMP/tty.out" 2>&1 &
TTY_RUN=$!
exec 4>"$TMP/tty.in"
type_line() { printf '%s\r' "$1" >&4; }
shows() { grep -q "$1" "$TMP/tty.out"; }
type_line 'case $- in *m*) echo "mon""itor=on" ;; esac'
wait_until 30 shows "monitor=on"
ok $? "docker run -it IMAGE bash: job control (set -o monitor)"
type_line 'sleep 300'
in_foreground() { docker top "$TTY" | grep -q 'sleep 300'; }
wait_until 10 in_foreground
printf '\003' >&4
type_line 'echo "after=$?"'
wait_until 10 shows "after=130"
ok $? "Ctrl-C interrupts the foreground job (sleep: 130), bash and the container go on"
type_line 'sleep 301 & jobs'
wait_until 10 shows "Running *sleep 301"
ok $? "a background job, listed by jobs"
type_line 'kill %1; exit 7'
exec 4>&-
wait "$TTY_RUN"
rc=$?
TTY_RUN=''
is "$rc" 7 "bash's exit code is the container's"
unlike "$(cat "$TMP/tty.out")" "no job control" "bash did not fall back to no job control"

# examples/maintenance: its Dockerfile on top of this image, `docker exec ... slipway task`.
t0=$(date +%s)
engine_build slipway-ci:maintenance "$SRCDIR/examples/maintenance" --build-arg "APP_IMAGE=$IMAGE"
engine_built slipway-ci:maintenance $? $(($(date +%s) - t0)) "of examples/maintenance"
MAINT=slipway-maint-$$
docker run -d --name "$MAINT" --network host -e "DATABASE_URL=$URL" slipway-ci:maintenance >/dev/null
ok $? "the maintenance container runs slipway -- sleep infinity"
docker exec "$MAINT" slipway task analyze-orders --rerun >"$TMP/exec.log" 2>&1
rc=$?
is "$rc" 0 "docker exec: slipway task analyze-orders --rerun"
[ "$rc" = 0 ] || show_log "$TMP/exec.log"
like "$(docker logs "$MAINT" 2>&1)" 'analyzing "public.orders"' "the task's output is in the container log"
like "$(docker exec "$MAINT" slipway task analyze-orders 2>&1)" "nothing to do" \
    "without --rerun a task at its version does not run"
docker stop "$MAINT" >/dev/null
is "$(inspect '{{.State.ExitCode}}' "$MAINT")" 0 "docker stop: sleep killed by SIGTERM, 143 mapped to 0"

# examples/compose with docker-compose, on the same engine and image.
wait "$PG_BUILD"
rc=$?
PG_BUILD=''
engine_built postgres:16-bookworm $rc $(($(date +%s) - pg_build_start)) \
    "of tests/ship/postgres-image (in parallel)"
. "$SRCDIR/tests/ship/docker-compose.sh"

t0=$(date +%s)
engine_save_images
ok $? "the images are cached for the next run ($(($(date +%s) - t0)) s)"

done_testing
