#!/usr/bin/env bash
# Command line and configuration errors: one line, the file and line or value, exit 2
# (health: 1, Docker reserves the rest).
. "$SRCDIR/tests/lib/tap.sh"

out=$("$SLIPWAY" --version)
like "$out" "slipway " "--version prints the version"
out=$("$SLIPWAY" --help)
like "$out" "--upgrade" "--help shows usage"

out=$("$SLIPWAY" --bogus 2>&1)
is "$?" 2 "unknown option: 2"
like "$out" "unknown option '--bogus'" "unknown option named"
out=$("$SLIPWAY" --upgrade -- nginx 2>&1)
is "$?" 2 "--upgrade with a COMMAND: 2"
out=$("$SLIPWAY" -c /no/such/file.ini -- true 2>&1)
is "$?" 2 "missing -c file: 2"
like "$out" "/no/such/file.ini: No such file or directory" "missing file named"
out=$(SLIPWAY_CONFIG=/no/such/env.ini "$SLIPWAY" -- true 2>&1)
is "$?" 2 "missing \$SLIPWAY_CONFIG file: 2"

printf '[serve]\ncommand = true\nbogus = 1\n' >"$TMP/bad.ini"
out=$("$SLIPWAY" -c "$TMP/bad.ini" 2>&1)
is "$?" 2 "unknown key: 2"
is "$out" "slipway: $TMP/bad.ini:3: unknown key 'bogus' in [serve]" "unknown key: exact one-line message"
out=$("$SLIPWAY" -c "$TMP/bad.ini" health 2>&1)
is "$?" 1 "health with a bad config exits 1, never 2"
out=$("$SLIPWAY" -c "$TMP/bad.ini" check 2>&1)
is "$?" 2 "check with a bad config: 2"

printf '[serve]\nstop_timeout = 10\n' >"$TMP/dur.ini"
out=$("$SLIPWAY" -c "$TMP/dur.ini" check 2>&1)
is "$?" 2 "bad duration: 2"
like "$out" "dur.ini:2: bad value '10' for stop_timeout" "bad duration: file, line, value"
printf '[serve]\ncommand = nginx -g "daemon off;\n' >"$TMP/quote.ini"
out=$("$SLIPWAY" -c "$TMP/quote.ini" check 2>&1)
is "$?" 2 "unterminated quote: 2"
like "$out" "quote.ini:2: command: unterminated double quote" "unterminated quote: file and line"
printf '[database]\nurl = ${SLIPWAY_TEST_UNSET_VAR}\n' >"$TMP/var.ini"
out=$(env -u SLIPWAY_TEST_UNSET_VAR "$SLIPWAY" -c "$TMP/var.ini" check 2>&1)
is "$?" 2 "unset variable: 2"
like "$out" "var.ini:2: url: \${SLIPWAY_TEST_UNSET_VAR} is not set" "unset variable named"
printf '[database]\nurl_file = %s/nope\n' "$TMP" >"$TMP/secret.ini"
out=$("$SLIPWAY" -c "$TMP/secret.ini" check 2>&1)
is "$?" 2 "unreadable url_file: 2"
like "$out" "secret.ini:2: url_file: cannot read '$TMP/nope'" "unreadable secret named"
out=$(SLIPWAY_SERVE_STOP_TIMEOUT=soon "$SLIPWAY" -c /dev/null check 2>&1)
is "$?" 2 "bad value from the environment: 2"
like "$out" "environment SLIPWAY_SERVE_STOP_TIMEOUT: bad value 'soon'" "environment variable named"

printf '[migrations]\nlock_timeout = 1000h\n' >"$TMP/lt.ini"
out=$("$SLIPWAY" -c "$TMP/lt.ini" check 2>&1)
is "$?" 2 "lock_timeout beyond PostgreSQL's range: 2, before anything runs"
like "$out" "lt.ini:2: lock_timeout is longer than PostgreSQL allows" "names the file, line and key"

mkdir -p "$TMP/mig"
printf 'create table t (id int);\n' >"$TMP/mig/0001_t.sql"
printf '[migrations]\ndir = %s/mig\n' "$TMP" >"$TMP/ok.ini"
out=$("$SLIPWAY" -c "$TMP/ok.ini" check 2>&1)
is "$?" 0 "check: valid config and migrations"
like "$out" "1 migrations" "check reports the migrations"
printf 'x' >"$TMP/mig/V1__dup.sql"
out=$("$SLIPWAY" -c "$TMP/ok.ini" check 2>&1)
is "$?" 2 "check: duplicate version is 2"
like "$out" "duplicate version 1" "duplicate version named"

done_testing
