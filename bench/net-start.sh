#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/net-start.sh: start-up latency of a networked container.
# `ward run --net NET -- /bin/true` (a veth on a ward bridge, its firewall
# elements, addresses, routes, and all of it removed again on exit) against
# crun running the same payload without network (crun's default config: a
# new, empty network namespace) and against `ward run --net none`.  Paired
# runs (A B A B ..., median of the per-pair ratios, bench/paired.py), on the
# busybox rootfs of bench/start.sh, same memory and pids limits for all.
# Target: ward --net NET <= 1.2x crun without network.
#
#   sudo bench/net-start.sh               # ward from ../build/src/cli/ward
#   sudo WARD=/path/to/ward bench/net-start.sh
#
# Knobs: PAIRS (pairs per paired pass, 50), TIMELINE_RUNS (runs of
# `ward --debug run` whose step times are reported, 30), OUT (bench/out).
# Needs root, crun, busybox-static, iproute2, nftables, util-linux, python3.
# It builds nothing: run `make` first.
#
# Network safety: everything runs in two network namespaces this script
# makes (wb-h-TAG, the "host" where ward and crun run, and wb-l-TAG, a LAN
# on its uplink), entered with nsenter --net; they are deleted at the end,
# also on failure or Ctrl-C.  tools/hostguard.py checks before and after
# that the machine's own network namespace did not change.  As in
# bench/start.sh the commands run inside `unshare -m --propagation private`
# with the cgroup2 mount of a hybrid layout hidden (crun 1.8 refuses it),
# cgroups are made only beneath our own and removed at the end.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY="$HERE/paired.py"
NB="$HERE/netbench.py"
SUBNET=10.10.16.0/21

ME=net-start.sh
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# ---------------------------------------------------------------- cgroups --
# as in bench/start.sh: crun's $CRUN_CG in every hierarchy plus its
# ancestors that did not exist before ($BT/cg-new), and ward-$WARD_PREFIX*
# beneath our own cgroup.

cgroup_sweep() {
	local mp self key d
	[ -s "$BT/cgpaths" ] || return 0
	while IFS=$'\t' read -r mp self key; do
		for d in "$mp${self%/}/ward-$WARD_PREFIX"*; do
			if [ -d "$d" ]; then cg_kill_rmdir "$d"; fi
		done
		cg_kill_rmdir "$mp$CRUN_CG"
	done <"$BT/cgpaths"
	remove_new_cgroups
	return 0
}

# ================================================================== inner ==
# In the sandbox's host network namespace and a private mount namespace.
if [ "${1:-}" = --inner ]; then
	if [ "$(findmnt -n -o FSTYPE /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2 ] &&
		grep -q ' - cgroup ' /proc/self/mountinfo; then
		umount /sys/fs/cgroup/unified
		mount -t tmpfs -o size=64k,mode=755,nosuid,nodev,noexec bench-unified /sys/fs/cgroup/unified
	fi

	# stop the resident container as an admin would: kill its process;
	# its `ward run` notices, tears down and exits
	stop_resident() {
		local pid
		[ -n "${RES_WARD:-}" ] || return 0
		pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$WARD_ROOT/${WARD_PREFIX}resident/state.json" 2>/dev/null | head -n1)
		if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
		wait "$RES_WARD" 2>/dev/null || true
		RES_WARD=
	}

	inner_cleanup() {
		local id
		trap - EXIT INT TERM HUP
		set +e
		stop_resident
		if [ -n "${STATE:-}" ] && [ -d "$STATE/crun" ]; then
			for id in $(crun --root "$STATE/crun" list -q 2>/dev/null); do
				crun --root "$STATE/crun" delete -f "$id" >/dev/null 2>&1 || true
			done
		fi
		if [ -n "${NET_MADE:-}" ]; then
			python3 "$NB" leftovers --wait 30 "$HOSTNS" || echo "net-start.sh: ward left things in the sandbox (see above)" >&2
			"$W" net rm bn >/dev/null || echo "net-start.sh: warning: ward net rm bn failed" >&2
		fi
		cgroup_sweep
	}
	trap inner_cleanup EXIT
	trap 'exit 130' INT TERM HUP

	W="$BT/ward"
	STATE="$BT/state"
	ROOTFS="$BT/rootfs"
	BUNDLE="$BT/bundle"
	mkdir -p "$STATE"
	mount -t tmpfs -o size=64m,mode=755,nosuid,nodev bench-state "$STATE"
	export WARD_CGROUP_PARENT=self WARD_ROOT="$STATE/ward-root" WARD_LIB="$STATE/ward-lib"

	# ---- busybox rootfs (bench/start.sh's, plus /etc/hosts and
	# /etc/resolv.conf: ward binds its own there for --net NETWORK, and
	# cannot create the mount points as the container's unprivileged root)
	python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import netbench; netbench.busybox_rootfs(sys.argv[2])' "$HERE" "$ROOTFS"

	# ---- OCI bundle for crun on the same rootfs (crun spec: a new netns)
	mkdir -p "$BUNDLE"
	(cd "$BUNDLE" && crun spec)
	swap=""
	[ -e "$MEMCG_MOUNT/memory.memsw.limit_in_bytes" ] && swap=1
	python3 "$PY" bundle "$BUNDLE" "$ROOTFS" "$CRUN_CG" "$swap"
	grep -q '"type": "network"' "$BUNDLE/config.json" || die "crun's default config has no network namespace"

	# ---- the network
	"$W" net create bn --subnet "$SUBNET" >/dev/null
	NET_MADE=1

	LIMITS="--rootfs $ROOTFS --memory 64m --pids-limit 100"
	D_WNET="$W run --name ${WARD_PREFIX}n{n} --net bn $LIMITS -- /bin/true"
	D_WNONE="$W run --name ${WARD_PREFIX}o{n} --net none $LIMITS -- /bin/true"
	D_CRUN="crun --root $STATE/crun run --bundle $BUNDLE ${CRUN_PREFIX}{n}"
	T_WNET="$W --debug run --name ${WARD_PREFIX}tn{n} --net bn $LIMITS -- /bin/true"
	T_WNONE="$W --debug run --name ${WARD_PREFIX}to{n} --net none $LIMITS -- /bin/true"

	say "sanity: one run of each (in network namespace $HOSTNS)"
	for c in "$D_WNET" "$D_WNONE" "$D_CRUN"; do
		c=${c//\{n\}/0}
		echo "  \$ $c"
		if ! err=$($c 2>&1 </dev/null); then
			echo "$err" >&2
			die "this command failed; nothing was measured"
		fi
		[ -z "$err" ] || echo "$err" | sed 's/^/    /'
	done
	# the networked container really has its address and route
	got=$("$W" run --name "${WARD_PREFIX}chk" --net bn --rootfs "$ROOTFS" -- /bin/sh -c \
		'ip -4 -o addr show eth0; ip route' 2>&1 </dev/null) || die "check run failed: $got"
	echo "$got" | sed 's/^/    /'
	echo "$got" | grep -q 'inet 10\.10\.' || die "the container had no address on bn"

	say "paired runs: A B A B ..., ${PAIRS} pairs each (3 warm-up pairs)"
	python3 "$PY" pairs --pairs "$PAIRS" --out "$OUT/net-start-pairs-wnet-crun-1.json" ward-net "$D_WNET" crun "$D_CRUN"
	python3 "$PY" pairs --pairs "$PAIRS" --out "$OUT/net-start-pairs-wnet-wnone.json" ward-net "$D_WNET" ward-none "$D_WNONE"
	python3 "$PY" pairs --pairs "$PAIRS" --out "$OUT/net-start-pairs-wnet-crun-2.json" ward-net "$D_WNET" crun "$D_CRUN"

	say "ward --debug timelines: ${TIMELINE_RUNS} runs each"
	python3 "$NB" timeline --runs "$TIMELINE_RUNS" --out "$OUT/net-start-timeline-wnet.json" "ward --net bn" "$T_WNET"
	python3 "$NB" timeline --runs "$TIMELINE_RUNS" --out "$OUT/net-start-timeline-wnone.json" "ward --net none" "$T_WNONE"

	# The same with one other container on the network.  On an empty
	# network the bridge loses its carrier when the last port goes and
	# regains it with the next (IPv6 addrconf, routes); with a resident
	# container it stays up.
	say "with one resident container on bn (the bridge stays up): ${PAIRS} pairs"
	"$W" run --name "${WARD_PREFIX}resident" --net bn $LIMITS -- /bin/sleep 3600 </dev/null >/dev/null 2>"$BT/resident.err" &
	RES_WARD=$!
	for _ in $(seq 1 200); do
		grep -qs '"running"' "$WARD_ROOT/${WARD_PREFIX}resident/state.json" && break
		kill -0 "$RES_WARD" 2>/dev/null || die "the resident container exited: $(cat "$BT/resident.err")"
		sleep 0.05
	done
	grep -qs '"running"' "$WARD_ROOT/${WARD_PREFIX}resident/state.json" || die "the resident container did not start"
	python3 "$PY" pairs --pairs "$PAIRS" --out "$OUT/net-start-pairs-wnetup-crun.json" ward-net-bridge-up "$D_WNET" crun "$D_CRUN"
	python3 "$NB" timeline --runs "$TIMELINE_RUNS" --out "$OUT/net-start-timeline-wnetup.json" "ward --net bn, bridge up" "$T_WNET"
	stop_resident

	say "summary"
	python3 "$NB" startsummary --meta "$BT/meta.json" \
		--pairs "$OUT/net-start-pairs-wnet-crun-1.json" "$OUT/net-start-pairs-wnet-crun-2.json" \
		"$OUT/net-start-pairs-wnet-wnone.json" "$OUT/net-start-pairs-wnetup-crun.json" \
		--timeline "$OUT/net-start-timeline-wnet.json" "$OUT/net-start-timeline-wnetup.json" \
		"$OUT/net-start-timeline-wnone.json" \
		--out "$OUT/net-start-summary.md"
	echo
	echo "written: $OUT/net-start-summary.md (and net-start-*.json)"
	exit 0
fi

# ================================================================== outer ==
[ "$(id -u)" = 0 ] || die "run as root"
for t in crun busybox ip nft nsenter unshare findmnt python3 mktemp; do
	command -v "$t" >/dev/null || die "missing $t"
done
! ldd "$(command -v busybox)" >/dev/null 2>&1 || die "busybox is not static (apt-get install busybox-static)"

WARD_SRC=${WARD:-$HERE/../build/src/cli/ward}
[ -x "$WARD_SRC" ] || die "no ward binary at $WARD_SRC (run make, or set WARD)"
WARD_SRC=$(realpath "$WARD_SRC")

export PAIRS=${PAIRS:-50} TIMELINE_RUNS=${TIMELINE_RUNS:-30}
export OUT=${OUT:-$HERE/out}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")

BT=$(mktemp -d /tmp/ward-bench-netstart.XXXXXX)
export BT
case "$BT$OUT$WARD_SRC" in *[[:space:]\'\"\\]*) die "paths must not contain spaces or quotes";; esac
chmod 755 "$BT"

TAG=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
export HOSTNS="wb-h-$TAG" LANNS="wb-l-$TAG"
NS_MADE=()

outer_cleanup() {
	local rc=$? ns
	trap - EXIT INT TERM HUP
	set +e
	cgroup_sweep
	for ns in "${NS_MADE[@]}"; do ip netns del "$ns" 2>/dev/null; done
	if [ -s "$BT/hostguard.json" ]; then
		if python3 "$HERE/../tools/hostguard.py" compare "$BT/hostguard.json" "$BT/hostguard.xml"; then
			echo "hostguard: the machine's network namespace is unchanged"
		else
			echo "net-start.sh: HOSTGUARD: the machine's network namespace changed (see above)" >&2
			[ "$rc" != 0 ] || rc=3
		fi
	fi
	rm -rf --one-file-system "$BT"
	exit "$rc"
}
trap outer_cleanup EXIT
trap 'exit 130' INT TERM HUP

python3 "$HERE/../tools/hostguard.py" snapshot "$BT/hostguard.json"
cp "$WARD_SRC" "$BT/ward"
export WARD_PREFIX="wn$$-" CRUN_PREFIX="cn$$-"

# ---- the sandbox: host and LAN namespaces on a veth uplink (as
# tests/integration/netsandbox.py, with our own wb- prefix)
for ns in "$HOSTNS" "$LANNS"; do
	ip netns add "$ns"
	NS_MADE+=("$ns")
	ip -n "$ns" link set lo up
done
ip -n "$HOSTNS" link add up0 type veth peer name lan0 netns "$LANNS"
ip -n "$HOSTNS" addr add 192.0.2.1/24 dev up0
ip -n "$LANNS" addr add 192.0.2.2/24 dev lan0
ip -n "$HOSTNS" link set up0 up
ip -n "$LANNS" link set lan0 up
ip -n "$LANNS" route add 10.0.0.0/8 via 192.0.2.1

# ---- cgroups, as in bench/start.sh
python3 "$PY" cgpaths >"$BT/cgpaths.all"
if grep -q $'\tcgroup2$' "$BT/cgpaths.all" && grep -qv $'\tcgroup2$' "$BT/cgpaths.all"; then
	grep -v $'\tcgroup2$' "$BT/cgpaths.all" >"$BT/cgpaths" || true
	LAYOUT="hybrid (cgroup2 mount hidden in the benchmark's mount namespace)"
elif grep -q $'\tcgroup2$' "$BT/cgpaths.all"; then
	cp "$BT/cgpaths.all" "$BT/cgpaths"
	LAYOUT="cgroup v2"
else
	cp "$BT/cgpaths.all" "$BT/cgpaths"
	LAYOUT="cgroup v1"
fi
bench_cgroup_beneath_us CRUN_CG bench-crun

ward_rev=$(git -C "$HERE/.." describe --always --dirty 2>/dev/null || echo unknown)
ward_built=$(date -r "$WARD_SRC" '+%Y-%m-%d %H:%M')
python3 - "$BT/meta.json" <<EOF
import json, sys
json.dump({
 "date": "$(date -u '+%Y-%m-%d %H:%M UTC')",
 "machine": "$(nproc) vCPU, $(awk '/MemTotal/{printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo), kernel $(uname -r), cgroups: $LAYOUT",
 "ward": "tree $ward_rev, binary built $ward_built, sha256 $(sha256sum "$BT/ward" | cut -c1-12)",
 "versions": "$(crun --version | head -n1); $(nft --version)",
 "pairs": $PAIRS,
}, open(sys.argv[1], "w"), indent=1)
EOF

echo "ward:    $WARD_SRC (copied to $BT/ward; $ward_rev, built $ward_built)"
echo "sandbox: $HOSTNS (ward and crun run here), $LANNS; network bn $SUBNET"
echo "layout:  $LAYOUT"
echo "temp:    $BT"

set +e
nsenter --net="/run/netns/$HOSTNS" unshare -m --propagation private -- "$BASH" "$0" --inner
rc=$?
set -e
exit "$rc"
