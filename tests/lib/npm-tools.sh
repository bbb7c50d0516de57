#!/usr/bin/env bash
# The peer migration tools from the npm registry, installed once into a cache shared by the
# tests and kept between runs: dbmate (its Go binary, shipped in @dbmate/linux-x64) and
# node-pg-migrate with pg. Prints the exports the tests use:
#   eval "$(tests/lib/npm-tools.sh)"   # DBMATE=... NODE_PG_MIGRATE=...
# Needs node and npm. Set SLIPWAY_NPM_CACHE to move the cache.
set -euo pipefail
prefix=${SLIPWAY_NPM_CACHE:-/var/cache/slipway-ci/npm-tools}
dbmate=$prefix/node_modules/@dbmate/linux-x64/bin/dbmate
npm_pg_migrate=$prefix/node_modules/node-pg-migrate/bin/node-pg-migrate.js
if [ ! -x "$dbmate" ] || [ ! -f "$npm_pg_migrate" ]; then
    command -v npm >/dev/null || { echo "npm not found" >&2; exit 1; }
    mkdir -p "$prefix"
    # One install at a time: tests running in parallel share the cache.
    exec 9>"$prefix.lock"
    flock 9
    if [ ! -x "$dbmate" ] || [ ! -f "$npm_pg_migrate" ]; then
        npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
            dbmate@2.36.0 node-pg-migrate@9.0.0 pg@8 >&2
    fi
fi
echo "export DBMATE='$dbmate' NODE_PG_MIGRATE='$npm_pg_migrate'"
