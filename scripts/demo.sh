#!/bin/sh
# ward's demo, from a fresh Debian 12 machine, as root: installs what it
# needs, builds, and walks through a jailed command, explaining each step.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh demo
make --no-print-directory all >/dev/null
exec scripts/demo-run.sh
