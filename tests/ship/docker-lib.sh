# A private Docker engine for the tests (../shared/CONTAINER-TESTING.md): Debian's dockerd,
# started by the test with its data, runtime state and socket in a temp dir, no default
# bridge and no iptables rules, stopped by PID at the end. Source it after lib.sh.
# shellcheck shell=bash

# Debian's client, whatever else is first on PATH: it is the one that matches dockerd.
docker() { /usr/bin/docker "$@"; }

ENGINE_PREFIX=/tmp/slipway-docker.

# engine_stop DIR: stops the engine that lives in DIR (its containers first, so that their
# mounts and network interfaces go with them) and removes DIR. Also what clears an engine a
# killed test left behind.
engine_stop() {
    local dir=$1 pid i
    pid=$(cat "$dir/dockerd.pid" 2>/dev/null)
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
        (
            export DOCKER_HOST=unix://$dir/docker.sock
            # shellcheck disable=SC2046 # one word per container id
            docker rm -f $(docker ps -aq) >/dev/null 2>&1
            docker network prune -f >/dev/null 2>&1
        )
        kill -TERM "$pid"
        for ((i = 0; i < 300; i++)); do
            [ -d "/proc/$pid" ] || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
    fi
    # The compose networks' bridges, in case the engine died before it could remove them.
    local bridge
    while read -r bridge; do
        ip link delete "$bridge" 2>/dev/null
    done <"$dir/bridges" 2>/dev/null
    # Overlay and shm mounts an engine killed mid-run leaves; deepest first.
    findmnt -rn -o TARGET | grep -F "$dir/" | sort -r | xargs -r umount -l 2>/dev/null
    rm -rf "$dir"
}

# engine_start: a fresh engine; sets ENGINE (its directory) and exports DOCKER_HOST. Engines
# whose test is gone are stopped and removed first, so a killed run does not break the next.
engine_start() {
    local dir owner
    for dir in "$ENGINE_PREFIX"*; do
        [ -d "$dir" ] || continue
        owner=$(cat "$dir/owner" 2>/dev/null)
        [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null && continue
        echo "# removing the engine a previous run left in $dir"
        engine_stop "$dir"
    done
    ENGINE=$(mktemp -d "${ENGINE_PREFIX}XXXXXX") || return 1
    echo $$ >"$ENGINE/owner"
    export DOCKER_HOST=unix://$ENGINE/docker.sock
    dockerd --data-root "$ENGINE/data" --exec-root "$ENGINE/x" -H "$DOCKER_HOST" \
        --pidfile "$ENGINE/dockerd.pid" --bridge=none --iptables=false --ip6tables=false \
        >"$ENGINE/dockerd.log" 2>&1 &
    wait_until 60 docker version || { show_log "$ENGINE/dockerd.log"; return 1; }
}

# The images the tests build, saved after a run so that the next one reuses their layers
# (apt-get install takes most of a build): one file per version of the Dockerfiles, refreshed
# weekly (security updates). Source changes only rebuild the layers from `COPY . .` on.
ENGINE_IMAGES=(debian:bookworm-slim slipway-ci:build slipway-ci:test postgres:16-bookworm)
image_cache() {
    local sum
    sum=$(cat "$SRCDIR/Dockerfile" "$SRCDIR/examples/maintenance/Dockerfile" \
        "$SRCDIR"/tests/ship/postgres-image/* | sha256sum)
    echo "${BASE_CACHE%/*}/docker-images-${sum:0:12}.tar"
}

# engine_base_image: debian:bookworm-slim and the cached images, or, without a cache, the
# base imported from the cached debootstrap tarball. Sets CACHE_FROM (`docker build` args).
engine_base_image() {
    local cache
    cache=$(image_cache)
    CACHE_FROM=()
    if [ -n "$(find "$cache" -mtime -7 2>/dev/null)" ] && docker load -q -i "$cache" >/dev/null; then
        local image
        for image in "${ENGINE_IMAGES[@]:1}"; do CACHE_FROM+=(--cache-from "$image"); done
        return 0
    fi
    base_rootfs && docker import "$BASE_CACHE" debian:bookworm-slim >/dev/null
}

# engine_save_images: writes the cache for the next run, unless it is current.
engine_save_images() {
    local cache
    cache=$(image_cache)
    [ -n "$(find "$cache" -mtime -7 2>/dev/null)" ] && return 0
    rm -f "${BASE_CACHE%/*}"/docker-images-*.tar
    docker save -o "$cache.tmp" "${ENGINE_IMAGES[@]}" && mv "$cache.tmp" "$cache"
}

# engine_build TAG CONTEXT [ARGS...]: `docker build --network host` (the engine has no bridge
# for RUN steps) with the cached images' layers; output in $TMP/build-TAG.log. Several can run
# in the background at once.
engine_build() {
    docker build --network host "${CACHE_FROM[@]}" -t "$1" "${@:3}" "$2" \
        >"$TMP/build-${1//[:\/]/_}.log" 2>&1
}

# engine_built TAG RC SECONDS WHAT: the TAP line for a build, its log when it failed.
engine_built() {
    ok "$2" "docker build $4 ($3 s)"
    [ "$2" = 0 ] || { show_log "$TMP/build-${1//[:\/]/_}.log" 40; bail "$1 did not build"; }
}

# health_of CONTAINER: Docker's own HEALTHCHECK state (starting, healthy, unhealthy).
health_of() { docker inspect -f '{{.State.Health.Status}}' "$1"; }
