#!/usr/bin/env python3
"""Prints 'N passed, N failed[, N skipped]' over every TAP assertion of the runs given, after
one line per failing test: its name, its failing assertions and where its log is.

Arguments are meson test logs (testlog.json) or plain TAP files. In a meson log, a test that
failed without a 'not ok' line (crash, timeout) counts as one failure, and a test that passed
without TAP output (an exit-code test) as one pass."""
import json
import re
import sys

TAP = re.compile(r"^(not ok|ok)\b(.*)$", re.M)


def count(tap_text):
    oks = TAP.findall(tap_text)
    passed = sum(1 for s, rest in oks if s == "ok" and "# SKIP" not in rest)
    skipped = sum(1 for s, rest in oks if s == "ok" and "# SKIP" in rest)
    failed = sum(1 for s, _ in oks if s == "not ok")
    return passed, failed, skipped, bool(oks)


def report_failure(path, test):
    """One line per failing test of a meson log, so that a red total never hides its cause."""
    logdir = path.rsplit("/", 1)[0] if "/" in path else "."
    notok = [rest.strip(" -") for s, rest in TAP.findall(test.get("stdout") or "") if s == "not ok"]
    detail = "; ".join(notok[:3]) + (f"; ... ({len(notok)} in all)" if len(notok) > 3 else "")
    print(f"FAILED {test['name']} ({test['result']}): {detail or 'no failing assertion, see the log'}"
          f" [{logdir}/testlog.txt]")


def count_meson_log(path):
    totals = [0, 0, 0]
    with open(path) as log:
        for line in log:
            test = json.loads(line)
            passed, failed, skipped, any_tap = count(test.get("stdout") or "")
            ok = test["result"] in ("OK", "SKIP", "EXPECTEDFAIL")
            if not ok:
                report_failure(path, test)
            if not ok and failed == 0:
                failed = 1
            if ok and not any_tap:
                passed = 1
            for i, n in enumerate((passed, failed, skipped)):
                totals[i] += n
    return totals


totals = [0, 0, 0]
for path in sys.argv[1:]:
    if path.endswith(".json"):
        counts = count_meson_log(path)
    else:
        with open(path) as f:
            text = f.read()
        counts = count(text)[:3]
        for s, rest in TAP.findall(text):
            if s == "not ok":
                print(f"FAILED {rest.strip(' -')} [{path}]")
    for i, n in enumerate(counts):
        totals[i] += n
passed, failed, skipped = totals
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed else 0)
