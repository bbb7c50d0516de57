#!/usr/bin/env bash
# slipway in two minutes, on a fresh Debian machine: `sudo bash entrypoint/demo.sh`.
#
# Installs the Debian packages (as root), builds slipway, starts a private PostgreSQL in a temp
# dir, starts nginx under slipway gated on the schema (`wait_for = database`), shows the
# healthcheck at 1, runs `slipway --upgrade` on entrypoint/migrations, shows it at 0 and nginx
# answering, then waits for Ctrl-C and stops everything. Works as a normal user too when the
# packages are already installed.
#
#   --ci (or no terminal on stdin): run through, stop and exit; 0 when every step did what it
#        should. Environment: DEMO_HTTP_PORT (8081), DEMO_HEALTH_PORT (8082), DEMO_PG_PORT
#        (25433), DEMO_BUILD_DIR (build-demo).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
http_port=${DEMO_HTTP_PORT:-8081}
health_port=${DEMO_HEALTH_PORT:-8082}
pg_port=${DEMO_PG_PORT:-25433}
build=${DEMO_BUILD_DIR:-$repo/build-demo}
interactive=true
# nginx is in /usr/sbin, which a normal user's PATH lacks on Debian.
export PATH=$PATH:/usr/sbin:/sbin
[ "${1:-}" = --ci ] || [ ! -t 0 ] && interactive=false

bold='' plain=''
[ -t 1 ] && bold=$'\033[1m' plain=$'\033[0m'
say() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
# show CMD...: prints a command as the user would type it, then runs it.
show() {
    printf '$ %s\n' "$*"
    "$@"
}
fail() {
    printf 'demo: %s\n' "$*" >&2
    exit 1
}
# quietly CMD...: its output only if it fails.
quietly() {
    local out
    out=$("$@" 2>&1) || fail "$* failed:"$'\n'"$out"
}
# health: the healthcheck's exit code, printed the way the next line of the demo reads it.
health() {
    local rc=0
    "$slipway" -c "$conf" health || rc=$?
    echo "slipway health -> $rc"
    return "$rc"
}
readyz() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$health_port/readyz" || true; }
page() { curl -fsS --max-time 2 "http://127.0.0.1:$http_port/"; }
wait_for() { # wait_for SECONDS COMMAND...
    local i
    for ((i = 0; i < $1 * 10; i++)); do
        "${@:2}" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

say "Debian packages"
if [ "$(id -u)" = 0 ]; then
    echo "those of tests/packages.txt that are missing (a few minutes on a fresh machine)"
    "$repo/tests/deps.sh"
else
    for c in meson ninja cc pkg-config nginx curl psql; do
        command -v "$c" >/dev/null || fail "$c is missing: run me once with sudo to install the packages"
    done
    [ -d /usr/lib/postgresql ] || fail "PostgreSQL is missing: run me once with sudo"
fi

say "Build"
[ -f "$build/build.ninja" ] || quietly meson setup "$build" "$repo" --buildtype=release
quietly ninja -C "$build" slipway
slipway=$build/slipway
"$slipway" --version

# Everything else lives in one temp dir, removed on exit. 0755 so that the postgres user (and
# nginx's workers when run as root) can reach their parts of it.
tmp=$(mktemp -d /tmp/slipway-demo.XXXXXX)
chmod 755 "$tmp"
conf=$tmp/slipway.ini
server_pid=
cleanup() {
    trap - EXIT INT TERM
    if [ -n "$server_pid" ]; then
        say "Stopping: SIGTERM to slipway, which forwards it to nginx"
        kill -TERM "$server_pid" 2>/dev/null || true
        local rc=0
        wait "$server_pid" || rc=$?
        echo "slipway exited with $rc"
    fi
    "$repo/tests/lib/pg.sh" stop "$tmp/pg" || true
    rm -rf "$tmp"
    echo "demo: stopped, $tmp removed"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "A private PostgreSQL on 127.0.0.1:$pg_port (data in $tmp/pg)"
# setsid: Ctrl-C in this terminal reaches this script, which stops things in order.
eval "$(setsid "$repo/tests/lib/pg.sh" start "$tmp/pg" "$pg_port")"
createdb slipway_demo
url=postgresql://postgres@127.0.0.1:$pg_port/slipway_demo

# A copy of the sample migrations, so that you can add files to it and try again.
cp -r "$repo/entrypoint/migrations" "$tmp/migrations"
cat >"$conf" <<EOF
[serve]
wait_for = database
health_socket = $tmp/health.sock
health_listen = 127.0.0.1:$health_port
[database]
url = $url
[migrations]
dir = $tmp/migrations
EOF

# The image's nginx.conf, with this machine's ports and paths: everything under $tmp, so that
# nginx runs without root and without touching the system's nginx.
mkdir -p "$tmp/nginx/html"
cp "$repo/entrypoint/nginx/index.html" "$tmp/nginx/html/"
sed -e "s|listen 8080|listen 127.0.0.1:$http_port|" \
    -e "s|/run/nginx/nginx.pid|$tmp/nginx/nginx.pid|" \
    -e "s|/var/www/html|$tmp/nginx/html|" \
    -e "s|^http {|http {\n    client_body_temp_path $tmp/nginx/body;\n    proxy_temp_path $tmp/nginx/proxy;\n    fastcgi_temp_path $tmp/nginx/fastcgi;\n    uwsgi_temp_path $tmp/nginx/uwsgi;\n    scgi_temp_path $tmp/nginx/scgi;|" \
    "$repo/entrypoint/nginx/nginx.conf" >"$tmp/nginx/nginx.conf"

say "Config ($conf)"
cat "$conf"
show "$slipway" -c "$conf" check

say "nginx under slipway, gated on the schema (log: $tmp/server.log)"
if page >/dev/null 2>&1; then fail "something already answers on port $http_port: set DEMO_HTTP_PORT"; fi
printf '$ %s\n' "slipway -c $conf -- nginx -p $tmp/nginx/ -c nginx.conf -g 'daemon off;' &"
setsid "$slipway" -c "$conf" -- nginx -p "$tmp/nginx/" -c nginx.conf -g 'daemon off;' \
    >"$tmp/server.log" 2>&1 &
server_pid=$!
wait_for 10 test -S "$tmp/health.sock" || fail "slipway did not start: $(cat "$tmp/server.log")"
health && fail "healthy before the upgrade"
echo "GET /readyz -> $(readyz)"
if page >/dev/null 2>&1; then fail "nginx answers before the upgrade"; fi
echo "nginx is not started yet: the schema this build needs is not there"

say "The upgrade: every migration once, then exit"
show "$slipway" -c "$conf" --upgrade

say "After the upgrade"
wait_for 10 page || fail "nginx did not start: $(cat "$tmp/server.log")"
health || fail "unhealthy after the upgrade"
echo "GET /readyz -> $(readyz)"
printf '$ curl http://127.0.0.1:%s/\n' "$http_port"
page | sed -n 's|.*<h1>\(.*\)</h1>.*|\1|p'
show "$slipway" -c "$conf" status

say "Try next, in another terminal while the demo runs"
cat <<EOF
  curl http://127.0.0.1:$http_port/
  curl http://127.0.0.1:$health_port/readyz        # what a Kubernetes readinessProbe sees
  $slipway -c $conf status --json
  psql $url -c 'TABLE slipway_migrations'
  # a new migration: the next --upgrade applies just that one
  echo 'ALTER TABLE orders ADD COLUMN note text;' > $tmp/migrations/0004_order_note.sql
  $slipway -c $conf --upgrade
  # the container image, its compose/Kubernetes/Helm recipes: see examples/ and README.md
EOF

if $interactive; then
    say "Running. Ctrl-C stops nginx, slipway and PostgreSQL and removes $tmp"
    wait "$server_pid" || true
    server_pid=
fi
