#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Add up JUnit XML reports (cmocka, pytest, the format check) and print the
total as the last line: "N passed, M failed".  Skips are listed before it
with their reasons.  --programs FILE names a meson test report whose
entries are whole test programs: only its failures count (a program that
crashed wrote no report of its own).  Exit status 1 when anything failed or
a report is missing."""
import glob
import sys
import xml.etree.ElementTree as ET


def main():
    passed = failed = 0
    skipped = []
    missing = []
    args = sys.argv[1:]
    reports = []
    while args:
        a = args.pop(0)
        if a == "--programs":
            path = args.pop(0)
            try:
                root = ET.parse(path).getroot()
            except (OSError, ET.ParseError):
                missing.append(path)
                continue
            for case in root.iter("testcase"):
                if case.find("failure") is not None or case.find("error") is not None:
                    failed += 1
                    print(f"FAILED program {case.get('name', '')} ({path})")
            continue
        reports.extend(sorted(glob.glob(a)) or [a])
    for path in reports:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError):
            missing.append(path)
            continue
        for case in root.iter("testcase"):
            name = f"{case.get('classname', '')}::{case.get('name', '')}"
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
                print(f"FAILED {name}")
            elif case.find("skipped") is not None:
                sk = case.find("skipped")
                why = sk.get("message") or "(cmocka records no reason: see the test's log)"
                skipped.append(f"{name}: {why}")
            else:
                passed += 1
    for s in skipped:
        print(f"skipped {s}")
    for m in missing:
        print(f"missing report {m} (that stage did not run)")
        failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
