#!/usr/bin/env bash
# Installs the Debian packages of tests/packages.txt that are missing (needs root).
set -euo pipefail
missing=()
while read -r p; do
    case "$p" in '#'* | '') continue ;; esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done <"$(dirname "$0")/packages.txt"
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
