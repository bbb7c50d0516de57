#!/usr/bin/env bash
# Exit status passes through slipway as PID 1: codes 0..255, 128+N for a child killed by
# signal N, exit_code_map, 127/126 on exec failure.
. "$SRCDIR/tests/lib/tap.sh"

pid1() { unshare --pid --fork --mount-proc "$SLIPWAY" "$@"; }

bad=""
for code in $(seq 0 255); do
    pid1 -- sh -c "exit $code"
    got=$?
    [ "$got" -eq "$code" ] || bad="$bad $code->$got"
done
is "$bad" "" "exit codes 0..255 pass through as PID 1"

for sig in HUP INT QUIT ILL ABRT FPE KILL SEGV PIPE ALRM TERM USR1 USR2; do
    n=$(kill -l "$sig")
    pid1 -- sh -c "kill -$sig \$\$"
    is "$?" "$((128 + n))" "child killed by SIG$sig gives $((128 + n))"
done

printf '[serve]\nexit_code_map = 143:0, 3:42\n' >"$TMP/map.ini"
pid1 -c "$TMP/map.ini" -- sh -c 'kill -TERM $$'
is "$?" 0 "exit_code_map 143:0 maps a SIGTERM death to 0"
pid1 -c "$TMP/map.ini" -- sh -c 'exit 3'
is "$?" 42 "exit_code_map 3:42"
pid1 -c "$TMP/map.ini" -- sh -c 'exit 4'
is "$?" 4 "unmapped codes are unchanged"

out=$(pid1 -- /nonexistent/server 2>&1)
is "$?" 127 "command not found: 127"
like "$out" "cannot run '/nonexistent/server': command not found" "not-found message"
like "$out" "server not started: exit code 127" "not found: the summary says the server never ran"
out=$(pid1 -- no-such-command-anywhere 2>&1)
is "$?" 127 "PATH lookup failure: 127"
chmod 0644 "$TMP/map.ini"
out=$(pid1 -- "$TMP/map.ini" 2>&1)
is "$?" 126 "not executable: 126"
like "$out" "Permission denied" "not-executable message says why"

# A script without "#!" runs with /bin/sh, as execvp, shells and tini run it.
printf 'exit 6\n' >"$TMP/noshebang"
chmod +x "$TMP/noshebang"
pid1 -- "$TMP/noshebang"
is "$?" 6 "a script without #! runs with /bin/sh, its exit code passed on"

printf '[serve]\ncommand = sh -c "exit 9"\n' >"$TMP/cmd.ini"
"$SLIPWAY" -c "$TMP/cmd.ini"
is "$?" 9 "[serve] command is run when no COMMAND is given"
"$SLIPWAY" -c "$TMP/cmd.ini" -- sh -c 'exit 8'
is "$?" 8 "COMMAND on the command line replaces [serve] command"
printf '[serve]\ncommand = exit 5\nshell = true\n' >"$TMP/shell.ini"
"$SLIPWAY" -c "$TMP/shell.ini"
is "$?" 5 "shell = true runs the command through /bin/sh -c"
out=$("$SLIPWAY" -c /dev/null 2>&1)
is "$?" 2 "nothing to serve: exit 2"
like "$out" "nothing to serve" "nothing to serve message"

done_testing
