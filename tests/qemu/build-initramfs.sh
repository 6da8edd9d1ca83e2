#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build-initramfs.sh BUILD_DIR OUT.cpio.gz
#
# The initramfs of ward's QEMU test tier: busybox (static) and its applet
# links, ward with every shared library it loads (and the loader), the static
# test payload wtest, a root-only /etc, and a two-stage init:
#
#   /init          stage 1, on the kernel's initramfs rootfs.  pivot_root(2)
#                  refuses (EINVAL) to move a root that is the rootfs, and
#                  ward pivot_roots into every container, so stage 1 copies
#                  the tree into a tmpfs and switch_roots into it.
#   /etc/ward-qemu/stage2
#                  PID 1 on the tmpfs: mounts proc, sys, devtmpfs, devpts,
#                  tmpfs on /run and /tmp and a cgroup2-only hierarchy on
#                  /sys/fs/cgroup, runs /tests/guest-tests.sh, powers off.
#
# Needs: busybox (static), cpio, gzip, ldd.  Runs unprivileged (the kernel's
# built-in initramfs supplies /dev/console).
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 BUILD_DIR OUT.cpio.gz" >&2
	exit 2
fi
build=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
ward=$build/src/cli/ward
wtest=$build/tests/wtest
busybox=${WARD_QEMU_BUSYBOX:-/bin/busybox}

for f in "$ward" "$wtest" "$busybox"; do
	if [ ! -x "$f" ]; then
		echo "$0: $f is missing (build ward first: ninja -C $build)" >&2
		exit 1
	fi
done
if ldd "$busybox" >/dev/null 2>&1; then
	echo "$0: $busybox is not static (install busybox-static)" >&2
	exit 1
fi
if ldd "$wtest" >/dev/null 2>&1; then
	echo "$0: $wtest is not static" >&2
	exit 1
fi
for t in cpio gzip ldd; do
	command -v "$t" >/dev/null || { echo "$0: $t is not installed" >&2; exit 1; }
done

root=$(mktemp -d "${TMPDIR:-/tmp}/ward-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT INT TERM

for d in bin sbin usr/bin usr/sbin lib lib64 etc/ward-qemu proc sys dev run tmp \
	var/lib/ward var/tmp root newroot tests; do
	mkdir -p "$root/$d"
done
chmod 0700 "$root/root"
chmod 1777 "$root/tmp" "$root/var/tmp"

# busybox and one link per applet, where busybox would install it
cp "$busybox" "$root/bin/busybox"
"$busybox" --list-full | while read -r applet; do
	[ -e "$root/$applet" ] || [ -L "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

# ward and the libraries it needs, at the paths ldd resolves them to
install -m 0755 "$ward" "$root/usr/bin/ward"
install -m 0755 "$wtest" "$root/usr/bin/wtest"
ldd "$ward" | while read -r a b c _; do
	case "$a" in
	linux-vdso.so*|linux-gate.so*) continue ;;
	/*) lib=$a ;;                # the loader: "/lib64/ld-linux-x86-64.so.2 (0x...)"
	*) [ "$b" = "=>" ] || continue
	   [ "$c" != "not" ] || { echo "$0: $ward: $a not found" >&2; exit 1; }
	   lib=$c ;;
	esac
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
# the loader also under its canonical name when ldd printed another path
interp=$(readelf -l "$ward" 2>/dev/null | sed -n 's/.*interpreter: \(.*\)]/\1/p')
if [ -n "$interp" ] && [ ! -e "$root$interp" ]; then
	mkdir -p "$root$(dirname "$interp")"
	cp -L "$interp" "$root$interp"
fi

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
echo ward-qemu >"$root/etc/hostname"

cat >"$root/init" <<'EOF'
#!/bin/busybox sh
# stage 1: leave the initramfs rootfs, which pivot_root(2) cannot move
/bin/busybox mount -t tmpfs -o mode=0755 newroot /newroot || exec /bin/busybox sh
for e in /*; do
	case "$e" in
	/newroot|/proc|/sys|/dev|/init) continue ;;
	esac
	/bin/busybox cp -a "$e" /newroot/
done
/bin/busybox mkdir -p /newroot/proc /newroot/sys /newroot/dev
exec /bin/busybox switch_root /newroot /etc/ward-qemu/stage2
EOF

cat >"$root/etc/ward-qemu/stage2" <<'EOF'
#!/bin/sh
# stage 2: PID 1 on a tmpfs root; a cgroup2-only hierarchy
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
umask 022
mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5 devpts /dev/pts
ln -sf pts/ptmx /dev/ptmx
mount -t tmpfs -o nosuid,nodev,mode=1777 shm /dev/shm
mount -t tmpfs -o nosuid,nodev,mode=0755 run /run
mount -t tmpfs -o nosuid,nodev,mode=1777 tmp /tmp
# the mount options systemd uses on cgroup2-only hosts
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup ||
	mount -t cgroup2 cgroup2 /sys/fs/cgroup
exec </dev/console >/dev/console 2>&1
# kernel messages (the OOM killer's report) would tear the TAP lines apart
dmesg -n 1
hostname ward-qemu
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
	echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control
done
echo "# kernel $(uname -r), cmdline: $(cat /proc/cmdline)"
echo "# cgroup2 root controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
echo "# cgroup2 root subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
awk '$3 == "cgroup" { print "# unexpected cgroup v1 mount: " $0 }' /proc/mounts
# a guest-side guard in case a test hangs (the host has its own timeout)
( sleep "${WARD_QEMU_GUEST_TIMEOUT:-600}"; echo "# guest watchdog: tests took too long"; sync; poweroff -f ) &
sh /tests/guest-tests.sh
echo "# guest-tests.sh exited with status $?"
sync
poweroff -f
EOF
chmod 0755 "$root/init" "$root/etc/ward-qemu/stage2"

install -m 0755 "$here/guest-tests.sh" "$root/tests/guest-tests.sh"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
