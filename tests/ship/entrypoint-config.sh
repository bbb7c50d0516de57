#!/usr/bin/env bash
# The image's config, entrypoint/slipway.ini, checked offline outside the image exactly as its
# comment and the README say: from the repository root, with the migrations this repository
# ships in place of the image's /app/migrations, no database and no network.
. "$SRCDIR/tests/lib/tap.sh"
cd "$SRCDIR" || exit 1

INI=entrypoint/slipway.ini
# The documented command line: the comment's, and the README's (which wraps it over two lines).
from_ini=$(sed -n 's/^;[[:space:]]*\(SLIPWAY_MIGRATIONS_DIR=.* check\)$/\1/p' "$INI")
from_readme=$(grep -A1 'SLIPWAY_MIGRATIONS_DIR=entrypoint/migrations' README.md | tr '\n' ' ' |
    sed -n 's/.*`\(SLIPWAY_MIGRATIONS_DIR=[^`]*check\)`.*/\1/p')
like "$from_ini" "slipway -c $INI check" "the config's comment gives the offline check's command"
is "$from_readme" "$from_ini" "the README gives the same command"

# offline CMD...: no PG*, no DATABASE_URL, libpq's defaults point at nothing.
offline() {
    env -i PATH="$PATH" PGHOST=/nonexistent PGSERVICEFILE=/nonexistent "$@" >"$TMP/out" 2>&1
    RC=$?
    OUT=$(cat "$TMP/out")
}
# The command as documented, with `slipway` being the binary under test.
read -r -a words <<<"${from_ini/slipway -c/$SLIPWAY -c}"
offline "${words[@]}"
is "$RC" 0 "the documented offline check passes"
n=$(find entrypoint/migrations -name '*.sql' | wc -l)
like "$OUT" "entrypoint/migrations: $n migrations" "it read the $n migrations the image ships"
like "$OUT" "$INI: OK" "it says the config is OK"

# It does check: without the override it looks for the image's /app/migrations (absent here),
# and a mistyped key in a copy of the config is refused.
offline "$SLIPWAY" -c "$INI" check
is "$RC" 2 "outside the image, without SLIPWAY_MIGRATIONS_DIR: exit 2"
like "$OUT" "/app/migrations" "naming the image's migrations directory"
sed 's/^stop_timeout = /stop_timout = /' "$INI" >"$TMP/typo.ini"
offline env SLIPWAY_MIGRATIONS_DIR=entrypoint/migrations "$SLIPWAY" -c "$TMP/typo.ini" check
is "$RC" 2 "a mistyped key in the config: exit 2"
like "$OUT" "unknown key 'stop_timout' in [serve] (did you mean 'stop_timeout'?)" "naming the key"
done_testing
