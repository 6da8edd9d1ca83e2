#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Add up JUnit XML reports (meson test, pytest) and print the total as the
last line: "N passed, M failed".  Skips are listed before it with reasons.
Exit status 1 when anything failed or a report is missing."""
import sys
import xml.etree.ElementTree as ET


def main():
    passed = failed = 0
    skipped = []
    missing = []
    for path in sys.argv[1:]:
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
                skipped.append(f"{name}: {sk.get('message', '')}")
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
