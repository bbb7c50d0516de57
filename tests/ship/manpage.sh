#!/usr/bin/env bash
# doc/slipway.1 renders without a groff warning and documents what the binary accepts: every
# command and option of `slipway --help` and every config key of src/config/config.c.
# No `set -e`: TAP assertions test exit statuses.
set -uo pipefail
. "$SRCDIR/tests/ship/lib.sh"
MAN=$SRCDIR/doc/slipway.1
command -v groff >/dev/null || need_packages groff-base

warnings=$(groff -man -ww -z "$MAN" 2>&1)
is "$warnings" "" "groff renders it without warnings"
text=$(groff -man -Tutf8 -P-c -P-b -P-u "$MAN" 2>/dev/null | sed 's/\xe2\x80\x90/-/g')
like "$text" "EXIT STATUS" "it has an EXIT STATUS section"

# Commands and options as the binary spells them in its usage.
words=$("$SLIPWAY" --help | grep -oE '(^|[ |[])(--?[a-z][a-z-]*|health|status|wait|check|task)\b' |
    tr -d ' |[' | sort -u)
undocumented=
for w in $words; do
    grep -qF -- "$w" <<<"$text" || undocumented="$undocumented $w"
done
is "$undocumented" "" "every command and option of slipway --help is documented"

# Config keys: the key tables of src/config/config.c ({"name", K_TYPE, ...}), one per line.
keys=$(grep -oE '^\s*\{"[a-z_]+", K_[A-Z0-9]+' "$SRCDIR/src/config/config.c" | grep -oE '"[a-z_]+"' | tr -d '"' | sort -u)
[ -n "$keys" ]
ok $? "found the config keys in src/config/config.c"
undocumented=
for k in $keys; do
    grep -qE -- "^ +$k( |$)" <<<"$text" || undocumented="$undocumented $k"
done
is "$undocumented" "" "every config key has an entry"

done_testing
