#!/bin/sh
# The whole test suite, from a fresh Debian 12 machine, as root:
# installs what it needs, builds, runs `make check`.  The last line is the
# total, "N passed, M failed".
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh test
make --no-print-directory all >/dev/null
exec make --no-print-directory check
