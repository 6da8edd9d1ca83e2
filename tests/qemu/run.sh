#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run.sh [BUILD_DIR]: ward's cgroup v2 test tier.  Boots a Debian cloud
# kernel in QEMU (software emulation is enough) with a cgroup2-only
# hierarchy and an initramfs holding ward and wtest, runs
# tests/qemu/guest-tests.sh there, and prints its TAP lines.
#
# Exit status: 0 when every test passed, 1 when one failed or the guest did
# not finish (no WARD-QEMU-DONE), 77 when something needed is missing
# (qemu-system-x86_64, a kernel), 2 on a usage error.
#
# Environment:
#   WARD_QEMU_KERNEL   kernel image (default: newest /boot/vmlinuz-*-cloud-amd64)
#   WARD_QEMU_TIMEOUT  seconds before the guest is killed (default 240)
#   WARD_QEMU_OUT      directory for the initramfs and console.log
#                      (default: tests/qemu/out, which git ignores)
#   WARD_QEMU_ACCEL    QEMU accelerator (default tcg; kvm where allowed)
#   WARD_QEMU_SMP      guest CPUs (default 2: the cpuset test needs two)
#
# Needs no stdin and no network: the console goes to a file, the guest has
# no network card.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-$repo/build}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
timeout_s=${WARD_QEMU_TIMEOUT:-240}
out=${WARD_QEMU_OUT:-$here/out}
accel=${WARD_QEMU_ACCEL:-tcg}
smp=${WARD_QEMU_SMP:-2}

qemu=$(command -v qemu-system-x86_64 || true)
if [ -z "$qemu" ]; then
	echo "SKIP: qemu-system-x86_64 is not installed (Debian: apt-get install qemu-system-x86)" >&2
	exit 77
fi
kernel=${WARD_QEMU_KERNEL:-}
if [ -z "$kernel" ]; then
	# newest first by version order
	kernel=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)
fi
if [ -z "$kernel" ] || [ ! -r "$kernel" ]; then
	echo "SKIP: no readable kernel for the guest: ${kernel:-no /boot/vmlinuz-*-cloud-amd64} (Debian: apt-get install linux-image-cloud-amd64, or set WARD_QEMU_KERNEL)" >&2
	exit 77
fi
if [ ! -x "$build/src/cli/ward" ] || [ ! -x "$build/tests/wtest" ]; then
	echo "run.sh: $build has no src/cli/ward or tests/wtest (ninja -C $build)" >&2
	exit 2
fi

mkdir -p "$out"
initrd=$out/initramfs.cpio.gz
log=$out/console.log
rm -f "$log"
if ! "$here/build-initramfs.sh" "$build" "$initrd"; then
	echo "run.sh: building the initramfs failed" >&2
	exit 1
fi

echo "# kernel $kernel, accel $accel, $smp CPUs, timeout ${timeout_s}s, console in $log"
start=$(date +%s)
# -no-reboot + panic=-1: a guest panic ends QEMU at once instead of hanging
timeout --kill-after=10 "$timeout_s" "$qemu" \
	-nodefaults -no-user-config \
	-machine pc,accel="$accel" -cpu max -m 1024 -smp "$smp" \
	-nic none -display none -monitor none -no-reboot \
	-serial "file:$log" \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 cgroup_no_v1=all WARD_QEMU_GUEST_TIMEOUT=$((timeout_s - 20))" \
	</dev/null
qrc=$?
end=$(date +%s)
echo "# qemu exited with status $qrc after $((end - start))s"
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "# the guest did not power off within ${timeout_s}s"
fi
if [ ! -s "$log" ]; then
	echo "not ok - no console output from the guest (see $log)"
	exit 1
fi

# the TAP lines and comments (CRs from the serial line removed)
tr -d '\r' <"$log" | grep -E '^(ok |not ok |1\.\.|# |WARD-QEMU-DONE)'
if ! tr -d '\r' <"$log" | grep -q '^WARD-QEMU-DONE'; then
	echo "# no WARD-QEMU-DONE: the guest tests did not finish; the end of the console:"
	tr -d '\r' <"$log" | tail -n 30 | sed 's/^/#   /'
	exit 1
fi
if tr -d '\r' <"$log" | grep -q '^not ok '; then
	exit 1
fi
if [ "$qrc" != 0 ]; then
	exit 1
fi
exit 0
