#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Guard the machine's own network namespace around a test run.

  hostguard.py snapshot FILE        record links, nft ruleset, forwarding
  hostguard.py compare FILE JUNIT   compare with now; write the verdict as a
                                    one-case JUnit report (a failure lists
                                    what changed)

ward's tests must never change the root network namespace: every
networked test works in namespaces it makes itself.  This is the check
that they did not, so a slip fails the run instead of going unnoticed."""
import json
import re
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape


def state():
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True,
                           text=True).stdout
    rules = subprocess.run(["nft", "list", "ruleset"], capture_output=True,
                           text=True).stdout.strip()
    fwd = {}
    for p in ("ipv4/ip_forward", "ipv4/conf/all/forwarding", "ipv6/conf/all/forwarding"):
        try:
            fwd[p] = Path("/proc/sys/net", p).read_text().strip()
        except OSError:
            pass
    netns = sorted(n for n in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                             text=True).stdout.split()
                   if n.startswith("wt-"))
    return {"links": sorted(re.findall(r"^\d+: ([^:@]+)", links, re.M)),
            "ward_tables": [l for l in rules.splitlines()
                            if l.startswith("table ") and " ward" in l],
            "ruleset": rules, "forwarding": fwd, "test_netns": netns}


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "snapshot":
        Path(sys.argv[2]).write_text(json.dumps(state()))
        return 0
    if len(sys.argv) >= 4 and sys.argv[1] == "compare":
        before = json.loads(Path(sys.argv[2]).read_text())
        now = state()
        diffs = [f"{k}: {before[k]!r} -> {now[k]!r}" for k in before if before[k] != now[k]]
        case = '<testcase classname="hostguard" name="root network namespace unchanged"'
        if diffs:
            for d in diffs:
                print(f"HOST CHANGED: {d}", file=sys.stderr)
            body = f'{case}><failure message="{escape(diffs[0], {chr(34): "&quot;"})}">' \
                   f'{escape(chr(10).join(diffs))}</failure></testcase>'
        else:
            body = f"{case}/>"
        Path(sys.argv[3]).write_text(
            f'<?xml version="1.0"?>\n<testsuite name="hostguard" tests="1" '
            f'failures="{1 if diffs else 0}">{body}</testsuite>\n')
        return 1 if diffs else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
