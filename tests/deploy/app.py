#!/usr/bin/python3
"""The rolling deploy's app server: one release of a small app that writes and reads the
columns of its release on every request, so that it really fails on a schema it was not
written for. Run by slipway as its server.

    app.py RELEASE PORT NAME        (the database from libpq's PG* environment)

GET / inserts a row and reads it back: 200 with X-Release and X-Replica headers, or 500 with
the database error. SIGTERM: stop accepting, finish the requests in flight, exit 0.
"""
import socket
import sys

release, port, name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
# The port first, before the imports and the database connections, which take long on a busy
# machine: slipway's /readyz is 200 once it started the app, and a connection that arrives
# meanwhile waits in the backlog instead of being refused.
listener = socket.create_server(("127.0.0.1", port), backlog=128)

import http.server  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import psycopg2  # noqa: E402
import psycopg2.pool  # noqa: E402


# Release 1 knows items(name); releases 2 and 3 also write and read items.note (release 3 only
# ships a contract migration: every row has a note).
if release == 1:
    WRITE = "INSERT INTO items (name) VALUES (%s) RETURNING id"
    READ = "SELECT name FROM items WHERE id = %s"
else:
    WRITE = "INSERT INTO items (name, note) VALUES (%s, 'release ' || %s) RETURNING id"
    READ = "SELECT name || ' / ' || note FROM items WHERE id = %s"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        conn = pool.getconn()
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(WRITE, (name, str(release)) if release > 1 else (name,))
                cur.execute(READ, cur.fetchone())
                code, body = 200, "release %d: %s\n" % (release, cur.fetchone()[0])
            pool.putconn(conn)
        except psycopg2.Error as e:
            pool.putconn(conn, close=True)
            code, body = 500, "release %d: %s" % (release, e)
        self.send_response(code)
        self.send_header("X-Release", str(release))
        self.send_header("X-Replica", name)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, fmt, *args):
        pass  # one line per request would be most of the test's output


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler, bind_and_activate=False)
server.socket.close()
server.socket = listener
pool = psycopg2.pool.ThreadedConnectionPool(4, 16, "")
# Threads are joined by server_close(): the requests in flight are finished before the exit.
server.daemon_threads = False
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
print("app: release %d serving on 127.0.0.1:%d as %s at %d ms" % (release, port, name, time.time() * 1000),
      flush=True)
server.serve_forever()
server.server_close()
print("app: %s stopped" % name, flush=True)
