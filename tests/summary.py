#!/usr/bin/env python3
"""Prints 'N passed, N failed[, N skipped]' over every TAP assertion of the runs given, after one
line per failing test (its name, its failing assertions and where its log is) and one per skip
(what and why).

Arguments are meson test logs (testlog.json) or plain TAP files. In a meson log, a test that
failed without a 'not ok' line (crash, timeout) counts as one failure, and a test that passed
without TAP output (an exit-code test) as one pass. A skip is never silent: each 'ok ... # SKIP'
line, each '1..0 # SKIP' plan and each test meson reports as skipped counts as one, and is
named with its reason on the final line."""
import json
import re
import sys

TAP = re.compile(r"^(not ok|ok)\b(.*)$", re.M)
SKIP = re.compile(r"#\s*SKIP\b\s*(.*)$", re.I)
SKIPPED_PLAN = re.compile(r"^1\.\.0\s*#\s*SKIP\b\s*(.*)$", re.M | re.I)


def count(tap_text, name):
    """(passed, failed, skip descriptions, any TAP line) of one TAP stream."""
    passed = failed = 0
    skips = []
    for status, rest in TAP.findall(tap_text):
        skip = SKIP.search(rest)
        if status == "not ok":
            failed += 1
        elif skip:
            what = re.sub(r"^\s*\d*\s*-?\s*", "", rest[: skip.start()]).strip()
            skips.append(f"{name}: {what or 'test'} ({skip.group(1).strip() or 'no reason given'})")
        else:
            passed += 1
    for reason in SKIPPED_PLAN.findall(tap_text):
        skips.append(f"{name}: all of it ({reason.strip() or 'no reason given'})")
    return passed, failed, skips, passed + failed + len(skips) > 0


def report_failure(path, test):
    """One line per failing test of a meson log, so that a red total never hides its cause."""
    logdir = path.rsplit("/", 1)[0] if "/" in path else "."
    notok = [rest.strip(" -") for s, rest in TAP.findall(test.get("stdout") or "") if s == "not ok"]
    detail = "; ".join(notok[:3]) + (f"; ... ({len(notok)} in all)" if len(notok) > 3 else "")
    print(f"FAILED {test['name']} ({test['result']}): {detail or 'no failing assertion, see the log'}"
          f" [{logdir}/testlog.txt]")


def count_meson_log(path):
    passed = failed = 0
    skips = []
    with open(path) as log:
        for line in log:
            test = json.loads(line)
            p, f, s, any_tap = count(test.get("stdout") or "", test["name"])
            if test["result"] == "SKIP" and not s:
                s = [f"{test['name']}: all of it (skipped without a reason)"]
            ok = test["result"] in ("OK", "SKIP", "EXPECTEDFAIL")
            if not ok:
                report_failure(path, test)
            if not ok and f == 0:
                f = 1
            if ok and not any_tap and not s:
                p = 1
            passed, failed, skips = passed + p, failed + f, skips + s
    return passed, failed, skips


passed = failed = 0
skips = []
for path in sys.argv[1:]:
    try:
        open(path).close()
    except OSError as err:
        # A step that died before writing its results failed, even if nothing else says so.
        print(f"FAILED {path}: no results ({err.strerror})")
        failed += 1
        continue
    if path.endswith(".json"):
        p, f, s = count_meson_log(path)
    else:
        with open(path) as tap:
            text = tap.read()
        p, f, s, _ = count(text, path)
        for status, rest in TAP.findall(text):
            if status == "not ok":
                print(f"FAILED {rest.strip(' -')} [{path}]")
    passed, failed, skips = passed + p, failed + f, skips + s
# Every skip by name, then the closing line alone (CI reads it as it is).
for skip in skips:
    print(f"SKIPPED {skip}")
print(f"{passed} passed, {failed} failed" + (f", {len(skips)} skipped" if skips else ""))
sys.exit(1 if failed else 0)
