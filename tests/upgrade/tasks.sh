#!/usr/bin/env bash
# [task] sections: run once per version after the migrations, recorded on success; a failed
# or timed-out task exits 1 naming it; signals reach the task's process group, SIGKILL after
# stop_timeout; `slipway task NAME [--rerun]`.
TEST_NAME=tasks
. "$SRCDIR/tests/upgrade/lib.sh"

printf 'CREATE TABLE t (x int);\n' >"$MIG/0001_t.sql"
runs=$TMP/runs.log
count_task() { # VERSION
    printf '[task "count"]\ncommand = sh -c "echo run-$0 >> %s" %s\nversion = %s\n' "$runs" "$1" "$1"
}
nruns() { if [ -f "$runs" ]; then wc -l <"$runs"; else echo 0; fi; }

write_config "$(count_task 1)"
sw --upgrade
is "$RC" 0 "upgrade with a task exits 0"
is "$(nruns)" 1 "the task ran once"
like "$OUT" "task 'count' done in" "its end is logged"
like "$OUT" "1 migration applied in" "summary"
is "$(q "SELECT version FROM slipway_tasks WHERE name = 'count'")" 1 "its version is recorded"
sw --upgrade
is "$(nruns)" 1 "an up-to-date task does not run again"
like "$OUT" "nothing to do" "nothing to do"

write_config "$(count_task 2)"
sw --upgrade
is "$RC" 0 "a newer task version runs"
is "$(nruns)" 2 "the task ran again"
is "$(q "SELECT version FROM slipway_tasks WHERE name = 'count'")" 2 "version 2 recorded"

sw task count
is "$RC" 0 "task NAME when up to date exits 0"
like "$OUT" "already" "and says so"
is "$(nruns)" 2 "without running it"
sw task count --rerun
is "$RC" 0 "task NAME --rerun exits 0"
is "$(nruns)" 3 "and runs it"
sw task nosuch
is "$RC" 2 "an unknown task is a usage error"

write_config "$(count_task 2)" '[task "bad"]' 'command = sh -c "exit 3"' 'version = 1'
sw --upgrade
is "$RC" 1 "a failed task exits 1"
like "$OUT" "task 'bad' failed: exited with status 3" "naming the task and how it ended"
is "$(q "SELECT count(*) FROM slipway_tasks WHERE name = 'bad'")" 0 "no version recorded"

write_config '[task "missing"]' 'command = /nonexistent/tool' 'version = 1'
sw --upgrade
is "$RC" 1 "a task that cannot be executed exits 1"
like "$OUT" "task 'missing' failed: cannot run '/nonexistent/tool'" "with the reason"

write_config '[task "slow"]' 'command = sleep 30' 'version = 1' 'timeout = 500ms'
t0=$(now_ms)
# Bounded: a timeout that never fires must fail these checks, not wait out the sleep.
timeout -s KILL 10 "$SLIPWAY" -c "$CONF" --upgrade >"$LOG" 2>&1
RC=$? OUT=$(cat "$LOG")
elapsed=$(($(now_ms) - t0))
is "$RC" 1 "a task over its timeout exits 1"
like "$OUT" "task 'slow' failed: timed out after 500 ms" "says it timed out"
[ "$elapsed" -lt 5000 ]
ok $? "killed at the timeout (${elapsed} ms)"

# Task scripts say they are ready (traps set) by writing their pid.
marker=$TMP/term.log
cat >"$TMP/trap.sh" <<SH
trap 'echo got-TERM > $marker; exit 0' TERM
echo \$\$ >$TMP/trap.ready
while :; do sleep 0.1; done
SH
write_config '[task "trap"]' "command = sh $TMP/trap.sh" 'version = 1'
"$SLIPWAY" -c "$CONF" --upgrade >"$LOG" 2>&1 &
pid=$!
wait_for 30 test -s "$TMP/trap.ready"
ok $? "the task runs"
is "$(advisory_locks)" 1 "the upgrade lock is held while a task runs"
signal_and_wait "$pid" TERM
is "$RC" 143 "SIGTERM during a task exits 143"
is "$(cat "$marker" 2>/dev/null)" got-TERM "the task received SIGTERM"
is "$(q "SELECT count(*) FROM slipway_tasks WHERE name = 'trap'")" 0 "a stopped task is not recorded"

cat >"$TMP/stubborn.sh" <<SH
trap '' TERM
echo \$\$ >$TMP/stubborn.ready
exec sleep 30
SH
write_config '[serve]' 'stop_timeout = 500ms' '[task "stubborn"]' "command = sh $TMP/stubborn.sh" 'version = 1'
"$SLIPWAY" -c "$CONF" --upgrade >"$LOG" 2>&1 &
pid=$!
wait_for 30 test -s "$TMP/stubborn.ready"
task=$(cat "$TMP/stubborn.ready")
alive "$task"
ok $? "the TERM-ignoring task runs (pid $task)"
signal_and_wait "$pid" TERM
is "$RC" 143 "a task ignoring SIGTERM: exit 143"
[ "$ELAPSED" -ge 400 ] && [ "$ELAPSED" -lt 3000 ]
ok $? "after stop_timeout = 500ms (${ELAPSED} ms)"
like "$(cat "$LOG")" "killing it" "the SIGKILL is logged"
! alive "$task"
ok $? "no task process is left"

done_testing
