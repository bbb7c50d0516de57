#!/usr/bin/env bash
# The layering of src/ (README "Design"): a folder includes headers only from itself and from
# folders listed before it in meson.build's subsystem list; main.c sits above them all.
set -uo pipefail
. "$SRCDIR/tests/lib/tap.sh"
cd "$SRCDIR" || exit 1
mapfile -t order < <(sed -n "s/^foreach dir : \[\(.*\)\]$/\1/p" meson.build | tr -d "' " | tr ',' '\n')
((${#order[@]} > 3))
ok $? "meson.build lists the subsystems in order (${order[*]})"
rank() { local i; for i in "${!order[@]}"; do [ "${order[$i]}" = "$1" ] && echo "$i" && return; done; echo -1; }
for dir in "${order[@]}"; do
    mine=$(rank "$dir") bad=''
    while IFS=: read -r file _ inc; do
        used=${inc#*\"}
        used=${used%%/*}
        r=$(rank "$used")
        ((r < 0 || r > mine)) && bad+=" $file->$used"
    done < <(grep -Hn '^#include "[a-z0-9_]*/' src/"$dir"/*.[ch])
    [ -z "$bad" ]
    ok $? "src/$dir includes only from itself and lower folders${bad:+:$bad}"
done
stray=$(find src -mindepth 1 -maxdepth 1 -type f ! -name main.c ! -name meson.build)
[ -z "$stray" ]
ok $? "src/ holds only main.c besides the subsystem folders${stray:+: $stray}"
done_testing
