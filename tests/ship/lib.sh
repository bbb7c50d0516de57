# Shared by the tests/ship/ tests: TAP helpers and facts about the image that the Docker test
# exercises and the examples rely on. Source it.
# shellcheck shell=bash
. "$SRCDIR/tests/lib/tap.sh"

# The only directories the image's user writes to (Dockerfile): the Docker test mounts a
# tmpfs on each over the read-only image, and the Kubernetes examples mount an emptyDir on each.
IMAGE_WRITABLE_DIRS="/run/slipway /run/nginx /var/lib/nginx /tmp"

# bail MESSAGE: stop the whole test loudly (TAP "Bail out!" is a failure, never a skip).
bail() {
    echo "Bail out! $*"
    exit 1
}

# need_packages PKG...: apt-get installs the Debian packages that are missing (needs root).
need_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    [ "$(id -u)" = 0 ] || bail "missing ${missing[*]} and not root to install them"
    echo "# installing ${missing[*]}"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" ||
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "${missing[@]}"; }; } >"$TMP/apt.log" 2>&1 ||
        { sed 's/^/# /' "$TMP/apt.log" | tail -n 20; bail "apt-get install ${missing[*]} failed"; }
}

# show_log FILE [LINES]: the end of a log as TAP comments, after a failure.
show_log() {
    tail -n "${2:-25}" "$1" | sed 's/^/#   /'
}

# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_until() {
    local deadline=$(($(date +%s) + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

# debian:bookworm-slim without a registry: a debootstrap minbase tree, trimmed like the slim
# image (every Dockerfile runs apt-get update itself), cached as a tarball across runs.
# base_rootfs: makes sure $BASE_CACHE exists (about 2 minutes the first time, on a lock so
# that two tests never debootstrap at once).
BASE_CACHE=/var/cache/slipway-ci/bookworm-rootfs.tar
base_rootfs() {
    mkdir -p "$(dirname "$BASE_CACHE")" || return 1
    (
        flock 9 || exit 1
        [ -s "$BASE_CACHE" ] && exit 0
        root=$TMP/rootfs
        debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian \
            >"$TMP/debootstrap.log" 2>&1 || { show_log "$TMP/debootstrap.log"; exit 1; }
        rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*
        tar -C "$root" -cf "$BASE_CACHE.tmp" . && mv "$BASE_CACHE.tmp" "$BASE_CACHE" || exit 1
        rm -rf "$root"
    ) 9>"$BASE_CACHE.lock"
}
