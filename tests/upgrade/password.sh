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

[ -s "$all" ]
ok $? "output was captured ($(wc -l <"$all") lines)"
unlike "$(cat "$all")" "$pw" "the password appears nowhere"
unlike "$(cat "$all")" "$bad" "the wrong password appears nowhere"
like "$(cat "$all")" "user=$role" "connection descriptions are there, without it"

done_testing
