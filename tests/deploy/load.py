#!/usr/bin/python3
"""A bounded load generator for the rolling deploy: WORKERS threads send GET requests to URL
back to back (a new connection each, as independent clients would) until SIGTERM, then write
a JSON summary to OUT. Every answer other than a 200 with the release's body is a failure,
and so is a connection error or a request slower than the timeout.

    load.py URL WORKERS OUT

While it runs, OUT.progress is rewritten every 100 ms with the requests served so far by each
replica ({"r1a": 120, ...}), for the test to synchronise on.
"""
import http.client
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

url, workers, out = urllib.parse.urlsplit(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
stop = threading.Event()
lock = threading.Lock()
latencies = []  # seconds, every successful request
failures = []  # (time, what) of every failed request
served = {}  # replica -> requests it served
first = {}  # release -> epoch ms of the first answer from it


def one_request():
    t0 = time.monotonic()
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        conn.request("GET", url.path or "/", headers={"Connection": "close"})
        resp = conn.getresponse()
        body = resp.read().decode(errors="replace")
        release, replica = resp.getheader("X-Release"), resp.getheader("X-Replica")
        if resp.status != 200 or not body.startswith("release "):
            return t0, None, "HTTP %d from %s: %s" % (resp.status, replica, body.strip()[:200])
        return t0, (release, replica), None
    except (OSError, http.client.HTTPException) as e:
        return t0, None, "%s: %s" % (type(e).__name__, e)
    finally:
        conn.close()


def worker():
    while not stop.is_set():
        t0, ok, error = one_request()
        done = time.monotonic()
        with lock:
            if error:
                failures.append((time.time(), error))
                continue
            latencies.append(done - t0)
            release, replica = ok
            served[replica] = served.get(replica, 0) + 1
            first.setdefault(release, int(time.time() * 1000))


def percentile(values, p):
    return values[min(len(values) - 1, int(len(values) * p))] * 1000 if values else 0


signal.signal(signal.SIGTERM, lambda *_: stop.set())
threads = [threading.Thread(target=worker) for _ in range(workers)]
for t in threads:
    t.start()
started = time.monotonic()
while not stop.wait(0.1):
    with lock:
        progress = json.dumps(served)
    with open(out + ".progress.tmp", "w") as f:
        f.write(progress)
    os.replace(out + ".progress.tmp", out + ".progress")
for t in threads:
    t.join()
elapsed = time.monotonic() - started
latencies.sort()
summary = {
    "requests": len(latencies) + len(failures),
    "failed": len(failures),
    "failures": ["%.3f %s" % f for f in failures[:20]],
    "seconds": round(elapsed, 1),
    "rps": round((len(latencies) + len(failures)) / elapsed),
    "p50_ms": round(percentile(latencies, 0.50), 1),
    "p99_ms": round(percentile(latencies, 0.99), 1),
    "max_ms": round(percentile(latencies, 1.0), 1),
    "served": served,
    "first_ms": first,
}
with open(out, "w") as f:
    json.dump(summary, f)
