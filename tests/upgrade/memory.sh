#!/usr/bin/env bash
# Memory follows the largest file, not the directory: `check`, `status` and `--upgrade` keep
# one file's body at a time (issue 17). And since the upgrade reads each body again right
# before it runs it, a file changed after the plan was made is refused as drift, not run, and
# reading it again costs one openat.
TEST_NAME=memory
. "$SRCDIR/tests/upgrade/lib.sh"

# Peak RSS is what the kernel counted (GNU time's %M), whatever the machine's speed. Under
# AddressSanitizer freed memory stays in quarantine: the figure says nothing there.
if [ -n "${ASAN_OPTIONS:-}" ]; then
    echo "1..0 # SKIP peak RSS under AddressSanitizer"
    exit 0
fi

# peak ARGS...: runs slipway as sw does (RC, OUT); PEAK: its peak RSS in KiB.
peak() {
    /usr/bin/time -f %M -o "$TMP/rss" "$SLIPWAY" -c "$CONF" "$@" >"$LOG" 2>&1
    RC=$?
    OUT=$(cat "$LOG")
    PEAK=$(tail -n 1 "$TMP/rss")
}

# 256 KiB files: a table each and 4,096 comment lines (cheap for lint and the server alike).
line=$(printf -- '-- %061d' 0)
for i in $(seq 4096); do printf '%s\n' "$line"; done >"$TMP/comments"
file() { { printf 'CREATE TABLE t%d (id int);\n' "$1"; cat "$TMP/comments"; } >"$MIG/$(printf %04d "$1")_t.sql"; }

file 1
peak check
one_check=$PEAK
is "$RC" 0 "check of one 256 KiB file exits 0"
peak status
one_status=$PEAK
like "$OUT" "pending" "status of one file shows it pending"
for i in $(seq 2 64); do file "$i"; done
peak check
big_check=$PEAK
is "$RC" 0 "check of 64 such files (16 MiB) exits 0"
peak status
big_status=$PEAK
like "$OUT" "pending      0064_t.sql" "status of 64 files shows them pending"

# Read whole and kept, 64 files cost 2 x 16 MiB more than one (the content and the SQL of
# each): 33.4 and 33.7 MiB more, measured. One body at a time: 0.1 and 0.7 MiB more (the set's
# names and checksums). 4 MiB sits 8x below the first and over 5x above the second.
bound=4096
[ $((big_check - one_check)) -lt $bound ]
ok $? \
    "check: 64 files peak $big_check KiB, one file $one_check KiB: less than $bound KiB more"
[ $((big_status - one_status)) -lt $bound ]
ok $? \
    "status: 64 files peak $big_status KiB, one file $one_status KiB: less than $bound KiB more"

# --- COPY data: one copy of it, not two --------------------------------------------------------
# pg_dump's `COPY ... FROM stdin` with 12.5 MiB of rows (the limit is 16 MiB a file): the body
# is held once, and its data go out 64 KiB at a time, each flushed before the next. Queued all
# at once, they piled up in libpq's output buffer as fast as memcpy while the server parsed
# rows: a second copy. So did moving the data out of the text (measured: 25.7 MiB above the
# small COPY's peak, then 23.4 with one of the two fixes; 14.1 with both).
rm -f "$MIG"/*.sql
copy_file() { # VERSION ROWS: a table and ROWS rows of 40 bytes in one COPY
    {
        printf 'CREATE TABLE c%d (id int, note text);\nCOPY c%d (id, note) FROM stdin;\n' "$1" "$1"
        seq -f '%.0f' 1 "$2" | sed 's/$/\tabcdefghijklmnopqrstuvwxyz0123456789/'
        printf '\\.\n'
    } >"$MIG/$(printf %04d "$1")_c.sql"
}
copy_file 1 1000
peak --upgrade
small_copy=$PEAK
is "$RC" 0 "an upgrade with a small COPY exits 0"
copy_file 2 300000
big=$(($(stat -c %s "$MIG/0002_c.sql") / 1024))
peak --upgrade
is "$RC" 0 "an upgrade with a $big KiB COPY exits 0"
is "$(q "SELECT count(*) FROM c2")" 300000 "every row arrived"
bound=$((big + 4096))
[ $((PEAK - small_copy)) -lt $bound ]
ok $? "COPY of $big KiB: peak $PEAK KiB, small COPY $small_copy KiB: less than $bound KiB more"
# what follows starts from versions 1 and 2 again
dropdb --force "$DB" && createdb "$DB"
ok $? "a fresh database"

# --- a file changed between the plan and its turn -------------------------------------------
# 0001 waits for a lock this test holds; meanwhile 0002 changes on disk; then the lock goes.
rm -f "$MIG"/*.sql
q "CREATE TABLE gate (id int)" >/dev/null
printf 'SELECT count(*) FROM gate;\n' >"$MIG/0001_wait.sql"
printf 'CREATE TABLE t2 (id int);\n' >"$MIG/0002_t2.sql"
psql -X -q -d "$DB" -c "BEGIN; LOCK TABLE gate; SELECT pg_sleep(300)" >/dev/null 2>&1 &
holder=$!
holding() { [ "$(running 'BEGIN; LOCK TABLE gate%')" = 1 ]; }
wait_for 30 holding
ok $? "a session holds the gate"
"$SLIPWAY" -c "$CONF" --upgrade >"$LOG" 2>&1 &
up=$!
waiting() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM gate%'")" = 1 ]; }
wait_for 30 waiting
ok $? "the upgrade runs 0001, waiting for the gate (0002 planned)"
before=$(sha256sum "$MIG/0002_t2.sql" | cut -d' ' -f1)
printf 'CREATE TABLE t2_changed (id int);\n' >"$MIG/0002_t2.sql"
after=$(sha256sum "$MIG/0002_t2.sql" | cut -d' ' -f1)
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'BEGIN; LOCK TABLE gate%'" >/dev/null
wait "$holder"
wait_exit "$up" 60
is "$RC" 5 "the upgrade exits 5 (drift)"
OUT=$(cat "$LOG")
like "$OUT" "0002_t2.sql: changed since it was read: checksum $before, now $after" \
    "one line names the file and both checksums"
is "$(q "SELECT string_agg(version::text, ',') FROM slipway_migrations WHERE success")" "{1}" \
    "0001 is recorded, 0002 is not"
is "$(q "SELECT count(*) FROM pg_tables WHERE tablename IN ('t2', 't2_changed')")" 0 \
    "neither the planned nor the changed 0002 ran"

# --- the bodies read again: one open of the directory, not one per read ------------------------
# Each pending body is read by lint, then by the upgrade itself: two opens and closes of the
# directory per file, half of the system calls that reading a migration costs, until the set
# kept its directory open.
dropdb --force "$DB" && createdb "$DB"
rm -f "$MIG"/*.sql
for i in $(seq 20); do printf 'CREATE TABLE r%d (id int);\n' "$i" >"$MIG/$(printf %04d "$i")_r.sql"; done
strace -f -qq -e trace=open,openat,sendto,recvfrom -o "$TMP/opens" "$SLIPWAY" -c "$CONF" --upgrade >"$LOG" 2>&1
is "$?" 0 "an upgrade of 20 files under strace exits 0"
is "$(grep -c '_r\.sql"' "$TMP/opens")" 60 "each file is read three times: checksum, lint, run"
dir_opens=$(grep -c "\"$MIG/*\".*O_DIRECTORY" "$TMP/opens")
[ "$dir_opens" -le 2 ]
ok $? "the migrations dir is opened $dir_opens times (at most 2: the scan, the set), not once a read"

# The files are read while the server starts the session: after the startup packet went out
# (the first sendto, "user" among its first bytes) and before the server's first answer was
# read, not before the connection began. read_while_connecting LOG DESCRIPTION: that order, in
# an strace log of the system calls in the order they were made.
read_while_connecting() {
    local order startup first_file answer
    order=$(awk '/sendto\(.*user/ && !s { s = NR } /_r\.sql"/ && !f { f = NR }
                 /recvfrom\(/ && !/EAGAIN/ && s && !r { r = NR } END { print s + 0, f + 0, r + 0 }' "$1")
    read -r startup first_file answer <<<"$order"
    [ "$startup" -gt 0 ] && [ "$startup" -lt "$first_file" ] && [ "$first_file" -lt "$answer" ]
    ok $? "$2 (lines $order)"
}
read_while_connecting "$TMP/opens" "startup packet, then the first file, then the server's first answer"
# The same over TCP with sslmode=prefer: libpq first asks for SSL (the server here says no at
# once); the files wait for the startup packet, which comes after that answer.
dropdb --force "$DB" && createdb "$DB"
sed -i "s/^url = .*/url = host=127.0.0.1 port=$PGPORT dbname=$DB sslmode=prefer/" "$CONF"
strace -f -qq -e trace=openat,sendto,recvfrom -o "$TMP/tcp" "$SLIPWAY" -c "$CONF" --upgrade >"$LOG" 2>&1
is "$?" 0 "the same upgrade over TCP, sslmode=prefer, exits 0"
read_while_connecting "$TMP/tcp" "over TCP too: startup packet, first file, first answer"

done_testing
