#!/usr/bin/env python3
"""Prints 'N passed, N failed, N skipped' over every TAP assertion in meson's test log.

A test that failed without a 'not ok' line (crash, timeout) counts as one failure."""
import json
import re
import sys

passed = failed = skipped = 0
with open(sys.argv[1]) as log:
    for line in log:
        test = json.loads(line)
        out = test.get("stdout") or ""
        oks = re.findall(r"^(not ok|ok)\b(.*)$", out, re.M)
        t_pass = sum(1 for s, rest in oks if s == "ok" and "# SKIP" not in rest)
        t_skip = sum(1 for s, rest in oks if s == "ok" and "# SKIP" in rest)
        t_fail = sum(1 for s, _ in oks if s == "not ok")
        if test["result"] not in ("OK", "SKIP", "EXPECTEDFAIL") and t_fail == 0:
            t_fail = 1
        if not oks and test["result"] == "OK":
            t_pass = 1
        passed, failed, skipped = passed + t_pass, failed + t_fail, skipped + t_skip
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed else 0)
