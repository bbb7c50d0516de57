#!/usr/bin/env bash
# The database modes under hostile stdio: a closed stdin/stdout/stderr never aborts slipway,
# and a reader that goes away (`| head -n 1`) never stops an upgrade half-way.
TEST_NAME=stdio
. "$SRCDIR/tests/upgrade/lib.sh"

for i in 1 2 3 4 5; do echo "CREATE TABLE t$i (a int);" >"$MIG/000${i}_t$i.sql"; done

"$SLIPWAY" -c "$CONF" --upgrade >&- 2>"$LOG"
is $? 0 "--upgrade with stdout closed: exit 0"
for mode in status wait health; do
    for fd in 0 1 2; do
        case $fd in
        0) "$SLIPWAY" -c "$CONF" $mode <&- >/dev/null 2>&1 ;;
        1) "$SLIPWAY" -c "$CONF" $mode >&- 2>/dev/null ;;
        2) "$SLIPWAY" -c "$CONF" $mode 2>&- >/dev/null ;;
        esac
        is $? 0 "$mode with fd $fd closed: exit 0"
    done
done
q "DROP TABLE t1, t2, t3, t4, t5; DROP TABLE slipway_migrations" >/dev/null
"$SLIPWAY" -c "$CONF" health >&- 2>&-
is $? 1 "health with stdout and stderr closed, schema behind: exit 1 (health knows only 0 and 1)"

# The reader of slipway's output goes away after the first line: every migration still runs.
"$SLIPWAY" -c "$CONF" --upgrade 2>&1 | head -n 1 >/dev/null
is "${PIPESTATUS[0]}" 0 "--upgrade 2>&1 | head -n 1: slipway exits 0"
is "$(q "SELECT count(*) FROM slipway_migrations WHERE success")" 5 \
    "--upgrade 2>&1 | head -n 1: all five migrations applied"

done_testing
