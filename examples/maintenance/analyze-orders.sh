#!/bin/sh
# Maintenance task: refreshes the planner statistics of the orders table. It reads the
# database URL from where slipway does (a secret file, or the environment).
set -eu
if [ -n "${SLIPWAY_DATABASE_URL_FILE:-}" ]; then
    url=$(cat "$SLIPWAY_DATABASE_URL_FILE")
else
    url=${SLIPWAY_DATABASE_URL:-${DATABASE_URL:-}}
fi
exec psql "$url" -X -q -v ON_ERROR_STOP=1 -c 'ANALYZE VERBOSE orders'
