#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check that the C sources follow .clang-format; write a JUnit report (one
test case per file) to the path given, and list offending files."""
import subprocess
import sys
from xml.sax.saxutils import escape, quoteattr


def main():
    out = sys.argv[1]
    files = subprocess.run(["git", "ls-files", "src/*.c", "src/*.h", "tests/*.c"],
                           capture_output=True, text=True, check=True).stdout.split()
    cases = []
    bad = 0
    for f in files:
        r = subprocess.run(["clang-format", "--dry-run", "--Werror", f],
                           capture_output=True, text=True)
        if r.returncode != 0:
            bad += 1
            first = r.stderr.strip().splitlines()[:3]
            print(f"format: {f} differs from .clang-format (run `make format`)")
            cases.append(f'<testcase classname="format" name={quoteattr(f)}>'
                         f'<failure message="not formatted">{escape(chr(10).join(first))}'
                         f'</failure></testcase>')
        else:
            cases.append(f'<testcase classname="format" name={quoteattr(f)}/>')
    with open(out, "w") as fh:
        fh.write(f'<testsuite name="format" tests="{len(files)}" failures="{bad}">')
        fh.write("".join(cases))
        fh.write("</testsuite>\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
