#!/usr/bin/env bash
# The top-level Dockerfile, built and run the way a container engine would, on a machine
# without one (../shared/CONTAINER-TESTING.md): podman builds it with chroot isolation from a
# debootstrap base; `docker run` is the image's ENTRYPOINT + CMD as PID 1 of new PID and mount
# namespaces, chrooted into the read-only mounted image as its USER, with a tmpfs on each
# writable directory, on the host network (PostgreSQL on 127.0.0.1, nginx on :8080);
# `docker exec` is nsenter into them. Needs root; installs podman and debootstrap if missing.
# No `set -e`: TAP assertions test exit statuses.
set -uo pipefail
. "$SRCDIR/tests/ship/lib.sh"
: "${PGHOST:?run under tests/run-all.sh (PGHOST/PGPORT from tests/lib/pg.sh)}"

IMAGE=localhost/slipway-ci:test
BASE_TAG=docker.io/library/debian:bookworm-slim # what FROM debian:bookworm-slim resolves to
BASE_CACHE=/var/cache/slipway-ci/bookworm-rootfs.tar
PORT=8080 # entrypoint/nginx/nginx.conf
DB=ship_container_$$
URL=postgresql://postgres@127.0.0.1:$PGPORT/$DB
LOG=$TMP/container.log
UNSHARE='' SUP=''

cleanup() {
    # --kill-child: the namespace's PID 1, hence everything in it, dies with unshare.
    [ -n "$UNSHARE" ] && kill -KILL "$UNSHARE" 2>/dev/null && wait "$UNSHARE" 2>/dev/null
    local image
    for image in "${MOUNTED[@]}"; do podman image unmount "$image" >/dev/null 2>&1; done
    dropdb --if-exists --force "$DB" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || bail "needs root: podman build, namespaces, chroot"
need_packages podman debootstrap

# debian:bookworm-slim without a registry: a debootstrap minbase tree, trimmed like the slim
# image (every Dockerfile runs apt-get update itself) and cached as a tarball across runs.
base_image() {
    podman image exists "$BASE_TAG" && return 0
    if [ ! -s "$BASE_CACHE" ]; then
        local root=$TMP/rootfs
        debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian \
            >"$TMP/debootstrap.log" 2>&1 || { show_log "$TMP/debootstrap.log"; return 1; }
        rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*
        mkdir -p "$(dirname "$BASE_CACHE")"
        tar -C "$root" -cf "$BASE_CACHE.tmp" . && mv "$BASE_CACHE.tmp" "$BASE_CACHE" || return 1
        rm -rf "$root"
    fi
    podman import -q "$BASE_CACHE" localhost/debian-base:bookworm >/dev/null &&
        podman tag localhost/debian-base:bookworm "$BASE_TAG"
}
t0=$(date +%s)
base_image
rc=$?
ok $rc "base image $BASE_TAG ($(($(date +%s) - t0)) s)"
[ $rc = 0 ] || bail "no base image"

# build_image TAG CONTEXT [PODMAN ARGS...]: one TAP line with the time it took.
# --format docker: the OCI format has no HEALTHCHECK and podman would drop it.
build_image() {
    local t0 rc dockerfile=${2#"$SRCDIR"}/Dockerfile
    t0=$(date +%s)
    podman build --pull=never --isolation=chroot --format docker -t "$1" "${@:3}" "$2" \
        >"$TMP/build.log" 2>&1
    rc=$?
    ok $rc "podman build of ${dockerfile#/}${3:+ $3 $4} ($(($(date +%s) - t0)) s)"
    [ $rc = 0 ] || { show_log "$TMP/build.log" 40; bail "$1 did not build"; }
}
# The build stage is tagged too, so that pruning what earlier runs left (each source change
# makes new layers) keeps its apt layer cached.
build_image localhost/slipway-ci:build "$SRCDIR" --target build
build_image "$IMAGE" "$SRCDIR"
podman image prune -f >/dev/null

# use_image IMAGE: what `docker run` takes from it, as bash arrays and strings (IMG_*), and
# MNT, where it is mounted (read-only).
MOUNTED=()
use_image() {
    eval "$(podman image inspect "$1" | python3 -c '
import json, shlex, sys
img = json.load(sys.stdin)[0]
cfg = img["Config"]
def arr(name, v): print("%s=(%s)" % (name, " ".join(shlex.quote(x) for x in v or [])))
arr("IMG_ENTRYPOINT", cfg.get("Entrypoint"))
arr("IMG_CMD", cfg.get("Cmd"))
arr("IMG_ENV", cfg.get("Env"))
arr("IMG_HEALTH", (img.get("Healthcheck") or {}).get("Test"))
for k in ("User", "WorkingDir", "StopSignal"):
    print("IMG_%s=%s" % (k.upper(), shlex.quote(cfg.get(k) or "")))
')"
    uid=${IMG_USER%%:*} gid=${IMG_USER#*:}
    MNT=$(podman image mount "$1") || bail "podman image mount $1 failed"
    MOUNTED+=("$1")
}
use_image "$IMAGE"
is "${IMG_ENTRYPOINT[*]}" slipway 'ENTRYPOINT ["slipway"]'
is "$(printf '%s|' "${IMG_CMD[@]}")" 'nginx|-g|daemon off;|' 'CMD ["nginx", "-g", "daemon off;"]'
is "${IMG_HEALTH[*]}" "CMD slipway health" 'HEALTHCHECK CMD ["slipway", "health"]'
is "$IMG_STOPSIGNAL" SIGQUIT "STOPSIGNAL SIGQUIT, nginx's graceful stop"
[[ $uid =~ ^[1-9][0-9]*$ && $gid =~ ^[0-9]+$ ]]
ok $? "USER is numeric and not root ($IMG_USER), for Kubernetes' runAsNonRoot"

# The namespace side of `docker run`: /proc, a minimal /dev and a tmpfs on each writable
# directory over the read-only image, then chroot as the image's user, in its WorkingDir,
# with only the given environment. Arguments: MNT UID GID WORKDIR DIRS ENV... ARGV...
CONTAINER_INIT='
set -e
mnt=$1 uid=$2 gid=$3 wd=$4 dirs=$5
shift 5
mount -t proc proc "$mnt/proc"
mount -t tmpfs -o mode=0755,size=1m tmpfs "$mnt/dev"
for n in null zero full random urandom tty; do
    : >"$mnt/dev/$n"
    mount --bind "/dev/$n" "$mnt/dev/$n"
done
ln -s /proc/self/fd "$mnt/dev/fd"
ln -s fd/0 "$mnt/dev/stdin"
ln -s fd/1 "$mnt/dev/stdout"
ln -s fd/2 "$mnt/dev/stderr"
for d in $dirs; do
    case $d in
    /tmp) mount -t tmpfs -o mode=1777 tmpfs "$mnt$d" ;;
    *) mount -t tmpfs -o "mode=0755,uid=$uid,gid=$gid" tmpfs "$mnt$d" ;;
    esac
done
exec chroot --userspec="$uid:$gid" "$mnt" /usr/bin/env -i --chdir="$wd" "$@"
'
# docker_run_argv [ARG...]: sets ARGV to `docker run IMAGE ARG...` (the image's CMD when
# there is no ARG), with the extra environment in the CENV array.
CENV=()
docker_run_argv() {
    local args=("$@")
    ((${#args[@]})) || args=("${IMG_CMD[@]}")
    ARGV=(unshare --pid --fork --mount --kill-child -- sh -c "$CONTAINER_INIT" container-init
        "$MNT" "$uid" "$gid" "${IMG_WORKDIR:-/}" "$IMAGE_WRITABLE_DIRS"
        "${IMG_ENV[@]}" "${CENV[@]}" "${IMG_ENTRYPOINT[@]}" "${args[@]}")
}

# docker_run ARG...: in the foreground; sets RC and OUT.
docker_run() {
    docker_run_argv "$@"
    OUT=$("${ARGV[@]}" 2>&1)
    RC=$?
}

# docker_run_detached: `docker run -d IMAGE` (its CMD); sets UNSHARE (our child) and SUP
# (slipway, PID 1 inside). The container log goes to $LOG, owned by the image's user as a log
# pipe would be writable by it (nginx reopens /dev/stdout for its access log).
docker_run_detached() {
    docker_run_argv
    : >"$LOG"
    chown "$uid:$gid" "$LOG"
    "${ARGV[@]}" >>"$LOG" 2>&1 &
    UNSHARE=$!
    wait_until 10 is_slipway_up
}
is_slipway_up() {
    SUP=$(pgrep -P "$UNSHARE" | head -n 1)
    [ -n "$SUP" ] && [ "$(cat "/proc/$SUP/comm" 2>/dev/null)" = slipway ]
}

# docker_exec CMD...: into the running container (its namespaces, root, cwd, user and env).
docker_exec() {
    nsenter --target "$SUP" --mount --pid --root --wd --setuid "$uid" --setgid "$gid" \
        /usr/bin/env -i "${IMG_ENV[@]}" "${CENV[@]}" "$@"
}
healthcheck() { docker_exec "${IMG_HEALTH[@]:1}" >/dev/null 2>&1; }
page() { curl -fsS --max-time 2 "http://127.0.0.1:$PORT/"; }

# docker_stop SIGNAL WANT WHAT: what the engine does with STOPSIGNAL; slipway must exit with
# WANT within 5 s, and the PID namespace must be gone with it.
docker_stop() {
    local ns t0 rc secs left
    ns=$(readlink "/proc/$SUP/ns/pid")
    t0=$(now_ms)
    kill -"$1" "$SUP"
    wait "$UNSHARE"
    rc=$?
    secs=$((($(now_ms) - t0) / 1000))
    UNSHARE=
    is "$rc" "$2" "SIG$1: $3"
    ok $((secs > 5)) "SIG$1: slipway exits promptly (${secs} s)"
    left=$(for p in /proc/[0-9]*; do
        [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] && echo "${p#/proc/}"
    done)
    is "$left" "" "SIG$1: no process is left in the container"
}

# nginx_stop SIGNAL WHAT: docker_stop for the nginx image, which exits 0 on TERM and QUIT;
# its master must have logged its own exit (at notice level) before slipway, PID 1, exited:
# otherwise the kernel killed it when the namespace ended.
nginx_stop() {
    local master
    master=$(pgrep -P "$SUP" -x nginx)
    master=$(awk '/^NSpid:/ { print $NF }' "/proc/$master/status")
    docker_stop "$1" 0 "$2"
    grep -q "\[notice\] $master#$master: exit\$" "$LOG"
    ok $? "SIG$1: nginx's master finished its shutdown before slipway exited"
}

docker_run --version
is "$RC" 0 "docker run IMAGE --version"
like "$OUT" "slipway " "prints the version"
docker_run check
is "$RC" 0 "docker run IMAGE check: the default config and /app/migrations are valid"
like "$OUT" "3 migrations" "the sample migrations are found"
unlike "$(chroot "$MNT" ldd /usr/local/bin/slipway)" libpq \
    "slipway does not link libpq (loaded only when a database is needed)"

page >/dev/null 2>&1 && bail "something already listens on 127.0.0.1:$PORT"
createdb "$DB" || bail "createdb $DB failed"
CENV=("DATABASE_URL=$URL")

# A new release starts before its upgrade ran: it must not serve, and must be unhealthy.
docker_run_detached
rc=$?
ok $rc "docker run IMAGE: slipway is PID 1 of the container"
[ $rc = 0 ] || { show_log "$LOG"; bail "slipway did not start"; }
wait_until 10 docker_exec test -S /run/slipway/health.sock
ok $? "the supervisor listens on health_socket"
healthcheck
is "$?" 1 "HEALTHCHECK exits 1 before the upgrade"
sleep 1
page >/dev/null 2>&1
ok $((!$?)) "nginx does not start before the schema is there (wait_for = database)"

# The one-shot upgrade, as compose's `command: ["--upgrade"]` or a Kubernetes Job runs it.
docker_run --upgrade
is "$RC" 0 "docker run IMAGE --upgrade against the PostgreSQL on the host"
[ "$RC" = 0 ] || printf '#   %s\n' "${OUT//$'\n'/$'\n'#   }"
like "$OUT" "0003_orders_customer_index.sql" "the no-transaction migration was applied"
is "$(psql -X -A -t -d "$DB" -c "SELECT array_to_string(max(version), '.') FROM slipway_migrations WHERE success")" 3 \
    "the schema is at version 3"

wait_until 10 page
ok $? "nginx serves once the upgrade committed"
like "$(page 2>&1)" "slipway demo" "the image's page"
healthcheck
is "$?" 0 "HEALTHCHECK exits 0 after the upgrade"
docker_exec slipway status >"$TMP/status.log" 2>&1
is "$?" 0 "docker exec: slipway status"
master=$(pgrep -P "$SUP" -x nginx)
ok $? "nginx runs as slipway's child"
is "$(awk '/^Uid:/ { print $2 }' "/proc/$master/status")" "$uid" "nginx runs as the image's user"
nginx_stop QUIT "docker stop: nginx's graceful stop, slipway passes its 0 on"

# A restart on the current schema serves at once; SIGTERM is nginx's fast shutdown.
docker_run --upgrade
is "$RC" 0 "a second --upgrade has nothing to do and exits 0"
docker_run_detached
wait_until 10 page
ok $? "a restarted container serves at once on the current schema"
nginx_stop TERM "nginx's fast shutdown, slipway passes its 0 on"
[ "$TAP_FAILED" = 0 ] || show_log "$LOG" 40

# examples/maintenance: its Dockerfile on top of this image; `kubectl exec ... slipway task`
# is nsenter into the running `slipway -- sleep infinity`.
build_image localhost/slipway-ci:maintenance "$SRCDIR/examples/maintenance" \
    --build-arg "APP_IMAGE=$IMAGE"
use_image localhost/slipway-ci:maintenance
docker_run_detached
ok $? "the maintenance container runs slipway -- sleep infinity"
docker_exec slipway task analyze-orders --rerun >"$TMP/exec.log" 2>&1
rc=$?
is "$rc" 0 "docker exec: slipway task analyze-orders --rerun"
[ "$rc" = 0 ] || show_log "$TMP/exec.log"
like "$(cat "$LOG")" 'analyzing "public.orders"' "the task's output is in the container log"
docker_exec slipway task analyze-orders >"$TMP/exec.log" 2>&1
like "$(cat "$TMP/exec.log")" "nothing to do" "without --rerun a task at its version does not run"
docker_stop TERM 0 "sleep killed by it, 143 mapped to 0 by exit_code_map"
[ "$TAP_FAILED" = 0 ] || show_log "$LOG" 20

done_testing
