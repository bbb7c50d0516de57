#!/usr/bin/env bash
# The HTTP probe server as Kubernetes', Docker's and load balancers' probes use it: HEAD,
# query strings, bare LF line ends, unknown and lower-case methods, over-long requests, idle
# connections (a header timeout, and a cap that drops the oldest idle one so that neither the
# probes nor `slipway health` on the unix socket are starved).
. "$SRCDIR/tests/lib/tap.sh"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SOCK=$TMP/health.sock

# raw REQUEST: sends REQUEST (printf format) and prints the whole answer (up to 5 s).
raw() {
    python3 - "$PORT" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
out = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except (socket.timeout, ConnectionResetError) as e:
    out += f"<{type(e).__name__}>".encode()
sys.stdout.write(out.decode("latin-1").replace("\r", ""))
PY
}

# Under ulimit -n 128: idle connections beyond the cap must not exhaust the descriptors.
(ulimit -n 128; exec env SLIPWAY_SERVE_HEALTH_LISTEN=127.0.0.1:$PORT SLIPWAY_SERVE_HEALTH_SOCKET=$SOCK \
    "$SLIPWAY" -- sh -c "touch \"$TMP/up\"; while [ ! -f \"$TMP/stop\" ]; do sleep 0.05; done") &
BG=$!
for _ in $(seq 3000); do [ -f "$TMP/up" ] && [ -S "$SOCK" ] && break; sleep 0.01; done
ok $? "supervisor up with health_listen and health_socket"

like "$(raw 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')" $'200 OK' "GET /healthz: 200"
like "$(raw 'GET /healthz?probe=1 HTTP/1.1\r\n\r\n')" $'200 OK' "a query string is ignored: 200"
out=$(raw 'HEAD /healthz HTTP/1.1\r\n\r\n')
like "$out" $'200 OK' "HEAD /healthz: 200"
like "$out" "Content-Length: 6" "HEAD: the GET reply's Content-Length"
unlike "$out" "alive" "HEAD: no body"
like "$(raw 'GET /healthz HTTP/1.0\n\n')" $'200 OK' "bare LF line ends are answered"
out=$(raw 'get /healthz HTTP/1.1\r\n\r\n')
like "$out" "405 Method Not Allowed" "lower-case method: 405 (methods are case-sensitive)"
like "$out" "Allow: GET, HEAD" "405 says what is allowed"
like "$(raw 'POST /healthz HTTP/1.1\r\n\r\n')" "405" "POST: 405"
like "$(raw 'GET /nope HTTP/1.1\r\n\r\n')" "404" "unknown path: 404"
long=$(head -c 100000 /dev/zero | tr '\0' x)
like "$(raw "GET /$long HTTP/1.1\\r\\n\\r\\n")" "431 Request Header Fields Too Large" "a 100 KB request line: 431"

# An idle connection is closed by the server (header timeout), not kept forever.
out=$(python3 - "$PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(60)
t = time.monotonic()
try:
    print("closed" if s.recv(1) == b"" else "data", end="")
except socket.timeout:
    print("still open after 60 s", end="")
except ConnectionResetError:
    print("closed", end="")
PY
)
is "$out" closed "an idle connection is closed by the server"

# 300 idle connections (more than the 256 cap, more than the 128 descriptors): probes on both
# the HTTP port and the unix socket are still answered.
python3 - "$PORT" "$TMP/idle-up" "$TMP/idle-done" <<'PY' &
import os, resource, socket, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
conns = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(300)]
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
PY
IDLE=$!
for _ in $(seq 3000); do [ -f "$TMP/idle-up" ] && break; sleep 0.01; done
ok $? "300 idle connections open"
like "$(raw 'GET /healthz HTTP/1.1\r\n\r\n')" "200 OK" "with 300 idle connections: GET /healthz still 200"
out=$(SLIPWAY_SERVE_HEALTH_SOCKET=$SOCK "$SLIPWAY" -c /dev/null health 2>&1)
is $? 0 "with 300 idle connections: slipway health over the socket still answers (exit 0)"
unlike "$out" "unexpected answer" "with 300 idle connections: a real answer ($out)"
touch "$TMP/idle-done"
wait "$IDLE"

touch "$TMP/stop"
wait "$BG"
is $? 0 "supervisor exits 0"

done_testing
