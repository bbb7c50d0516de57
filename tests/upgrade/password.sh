#!/usr/bin/env bash
# The database password never appears in any output: text and JSON logs, status, every
# error path (wrong password, unparseable url, a failing migration, verbose mode).
TEST_NAME=password
. "$SRCDIR/tests/upgrade/lib.sh"

role="pw_role_$$"
pw="Zq9xSecretPw$$"
bad="Wr0ngSecretPw$$"
q "CREATE ROLE $role LOGIN PASSWORD '$pw'" >/dev/null
q "ALTER DATABASE $DB OWNER TO $role" >/dev/null
cleanup_role() {
    cleanup_db
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS $role" 2>/dev/null
}
trap cleanup_role EXIT

printf 'CREATE TABLE p (x int);\n' >"$MIG/0001_p.sql"
all=$TMP/all-output.log
: >"$all"

# run URL EXPECTED_RC DESCRIPTION ARGS...
run() {
    local url=$1 want=$2 desc=$3
    shift 3
    printf '[database]\nurl = %s\nwait = 1s\n[migrations]\ndir = %s\n' "$url" "$MIG" >"$CONF"
    sw "$@"
    cat "$LOG" >>"$all"
    is "$RC" "$want" "$desc"
}

uri="postgresql://$role:$pw@127.0.0.1:$PGPORT/$DB"
kv="host=127.0.0.1 port=$PGPORT dbname=$DB user=$role password=$pw"
run "$uri" 0 "upgrade with a password in a URI" --upgrade
run "$uri" 0 "verbose JSON upgrade" -v --log-format json --upgrade
run "$kv" 0 "status with a password in key=value form" status
run "$kv" 0 "status --json" status --json
run "$kv" 0 "verbose status" -v --log-format json status
run "postgresql://$role:$bad@127.0.0.1:$PGPORT/$DB" 3 "a wrong password exits 3" --upgrade
like "$OUT" "password authentication failed" "and says why"
run "postgresql://$role:$bad@127.0.0.1:$PGPORT/$DB" 3 "same in JSON" --log-format json --upgrade
run "host=127.0.0.1 port=$PGPORT dbname=$DB user=$role password=$bad" 3 \
    "a wrong password in key=value form exits 3" -v status --json
run "postgresql://$role:$pw@127.0.0.1:$PGPORT/$DB?bogus_option=$pw" 2 \
    "an unparseable url is a configuration error" --upgrade
run "postgresql://$role:$pw%zz@127.0.0.1:$PGPORT/$DB" 2 "a bad percent-encoding too" --upgrade
run "host=127.0.0.1 port=$PGPORT password='$pw" 2 "an unterminated quote too" --upgrade
printf 'SELECT * FROM missing_table;\n' >"$MIG/0002_fails.sql"
run "$uri" 1 "a failing migration" --log-format json --upgrade
rm "$MIG/0002_fails.sql"
# The server's error quotes the failing value: here the password itself (a migration that
# sets a role's password from the same secret, say). The database layer blanks it out.
printf "SELECT '%s'::int;\n" "$pw" >"$MIG/0002_echo.sql"
run "$uri" 1 "a migration whose error quotes the password" --upgrade
like "$OUT" 'invalid input syntax for type integer: "***"' "the server's message is shown, the password blanked out"
rm "$MIG/0002_echo.sql"
DATABASE_URL=$uri SLIPWAY_MIGRATIONS_DIR=$MIG "$SLIPWAY" -c /dev/null --log-format json status --json >>"$all" 2>&1
is "$?" 0 "status with DATABASE_URL"


# ---- a password nested in another value ---------------------------------------------------
# libpq expands only the url itself: a database name that is in turn a connection string is
# taken literally, sent to the server as the name, and echoed by libpq and the server. Its
# password must stay hidden all the same, in every form: a URI's user:password (plain and
# percent-encoded), a key=value string, a URI query parameter, nested twice, one so long that
# the server cuts it, and a top-level URI whose percent-encoded path decodes to a URI. Each
# secret is distinct, so a leak names its form.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
DEAD_PORT=$(free_port)
export SLIPWAY_TERMINATION_LOG=$TMP/termination-log
nested=$TMP/nested-output.log
: >"$nested"
# form NAME: sets NDB (the nested database name, as the url quotes it) and SECRETS (every text
# that must not appear: the password, and its raw form when that differs).
form() {
    case $1 in
    uri) SECRETS="NestUriPw$$" NDB="postgresql://x:NestUriPw$$@h/z" ;;
    encoded) SECRETS="NestEncPw$$ NestEnc%50w$$" NDB="postgresql://x:NestEnc%50w$$@h/z" ;;
    kv) SECRETS="NestKvPw$$" NDB="host=h password=NestKvPw$$" ;;
    query) SECRETS="NestQryPw$$" NDB="postgresql://h/z?password=NestQryPw$$" ;;
    twice) SECRETS="NestTwicePw$$" NDB="dbname=\\'postgresql://x:NestTwicePw$$@h/z\\'" ;;
    # the server cuts a database name to 63 bytes: its message shows a part of the value
    long) SECRETS="NestLongPw$$" NDB="postgresql://x:NestLongPw$$@a-long-host-name.example.com:5432/a_long_db" ;;
    esac
}
# nested_run URL WANT_RC DESC ARGS...: like run, one attempt (wait = 0), output to $nested;
# the termination log (when written) goes there too.
nested_run() {
    local url=$1 want=$2 desc=$3
    shift 3
    printf '[database]\nurl = %s\nwait = 0\n[migrations]\ndir = %s\n' "$url" "$MIG" >"$CONF"
    rm -f "$SLIPWAY_TERMINATION_LOG"
    sw "$@"
    { cat "$LOG"; cat "$SLIPWAY_TERMINATION_LOG" 2>/dev/null; } >>"$nested"
    is "$RC" "$want" "$desc: exit $want"
}
# no_secret WHAT: none of $SECRETS in the output collected since the last call
no_secret() {
    local s leaked=
    [ -s "$nested" ] || leaked="(no output captured)"
    for s in $SECRETS; do
        grep -F -- "$s" "$nested" | sed 's/^/#   leak: /'
        grep -qF -- "$s" "$nested" && leaked="$leaked $s"
    done
    is "$leaked" "" "$WHAT: the nested password appears nowhere ($(wc -l <"$nested") lines)"
    : >"$nested"
}
for f in uri encoded kv query twice long; do
    form "$f"
    for server in unreachable wrong-password no-such-database; do
        case $server in
        unreachable) url="host=127.0.0.1 port=$DEAD_PORT user=$role dbname='$NDB'" ;;
        wrong-password) url="host=127.0.0.1 port=$PGPORT user=$role password=$bad dbname='$NDB'" ;;
        no-such-database) url="host=$PGHOST port=$PGPORT dbname='$NDB'" ;;
        esac
        WHAT="$f, $server"
        nested_run "$url" 3 "$WHAT: upgrade" --upgrade
        nested_run "$url" 3 "$WHAT: verbose JSON status" -v --log-format json status --json
        nested_run "$url" 1 "$WHAT: health" health
        case $server in
        unreachable) like "$OUT" "Connection refused" "$WHAT: says why" ;;
        wrong-password) like "$OUT" "password authentication failed" "$WHAT: says why" ;;
        no-such-database) like "$OUT" "does not exist" "$WHAT: says why" ;;
        esac
        no_secret
    done
done
# A top-level URI whose path decodes to a URI with a password.
SECRETS="NestPathPw$$"
WHAT="percent-encoded path"
nested_run "postgresql://127.0.0.1:$DEAD_PORT/postgresql%3A%2F%2Fx%3ANestPathPw$$%40h%2Fz" 3 \
    "$WHAT: upgrade" -v --log-format json --upgrade
nested_run "postgresql://127.0.0.1:$DEAD_PORT/postgresql%3A%2F%2Fx%3ANestPathPw$$%40h%2Fz" 3 \
    "$WHAT: status" status
no_secret

# Reachable and connected: a database whose name is the nested URI really exists. Every
# channel then carries real content: upgrade, status, JSON logs, the termination message, and
# a gated supervisor's /healthz, /readyz, /metrics and `health` over its socket.
form uri
WHAT="connected to a database named like a URI"
psql -X -q -d postgres -c "CREATE DATABASE \"$NDB\"" ||
    { echo "Bail out! cannot create the database named $NDB"; exit 1; }
cleanup_nested() {
    [ -n "${SERVE_PID:-}" ] && kill -KILL "$SERVE_PID" 2>/dev/null
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$NDB\" WITH (FORCE)" 2>/dev/null
    cleanup_role
}
trap cleanup_nested EXIT
url="host=$PGHOST port=$PGPORT dbname='$NDB'"
nested_run "$url" 0 "$WHAT: upgrade" -v --log-format json --upgrade
nested_run "$url" 0 "$WHAT: status" status
like "$OUT" "dbname=" "$WHAT: status describes the connection"
nested_run "$url" 0 "$WHAT: status --json" -v --log-format json status --json
SW_PORT=$(free_port)
printf '[serve]\nwait_for = database\nhealth_listen = 127.0.0.1:%s\nhealth_socket = %s\n' \
    "$SW_PORT" "$TMP/health.sock" >>"$CONF"
"$SLIPWAY" -v -c "$CONF" -- sh -c "echo started >'$TMP/started'; exec sleep 300" \
    >>"$nested" 2>&1 &
SERVE_PID=$!
wait_for 30 test -s "$TMP/started"
ok $? "$WHAT: the gated server started"
for path in healthz readyz metrics; do
    curl -s "http://127.0.0.1:$SW_PORT/$path" >>"$nested"
done
like "$(cat "$nested")" "slipway_healthy 1" "$WHAT: /metrics was scraped"
"$SLIPWAY" -c "$CONF" health >>"$nested" 2>&1
is "$?" 0 "$WHAT: health over the socket"
signal_and_wait "$SERVE_PID" TERM
cat "$SLIPWAY_TERMINATION_LOG" >>"$nested" 2>/dev/null
is "$RC" 143 "$WHAT: the supervisor stops on TERM"
like "$(cat "$nested")" "exit code 143" "$WHAT: its summary is there"
no_secret
unset SLIPWAY_TERMINATION_LOG

[ -s "$all" ]
ok $? "output was captured ($(wc -l <"$all") lines)"
unlike "$(cat "$all")" "$pw" "the password appears nowhere"
unlike "$(cat "$all")" "$bad" "the wrong password appears nowhere"
like "$(cat "$all")" "user=$role" "connection descriptions are there, without it"

done_testing
