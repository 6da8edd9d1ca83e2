#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/start.sh: start-up latency and peak memory of `ward run` against crun,
# bubblewrap and a bare `unshare`, all running /bin/true on one busybox rootfs.
#
# Runs as root.  INSTALL=1 apt-get installs what is missing (hyperfine crun
# bubblewrap busybox-static time).  The ward binary is $WARD, or
# ../build/src/cli/ward next to this script; it is copied first so that a
# rebuild during the run does not change what is measured.
#
# Knobs: RUNS (hyperfine runs, 40), WARMUP (3), PAIRS (pairs per paired pass,
# 50), RSS_RUNS (10), OUT (bench/out), PROBE (1: show the isolation each
# runtime really applied, from outside), STATE_TMPFS (1: both runtimes keep
# their state dirs, ward's --root and crun's --root, on a private tmpfs as
# on a host with /run on tmpfs; 0: on the disk, in the temporary dir).
#
# Everything runs inside `unshare -m --propagation private`, where the
# cgroup2 mount at /sys/fs/cgroup/unified (hybrid layout, which crun 1.8
# refuses) is unmounted and replaced by a small private tmpfs; see
# bench/README.md.  Cgroups are created only beneath this script's own cgroup
# in each hierarchy and removed at the end, also on Ctrl-C.  Nothing touches
# the root network namespace: every runtime gets its own.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY="$HERE/paired.py"

ME=start.sh
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# ---------------------------------------------------------------- cgroups --
# cgroup_sweep: remove the cgroups this run (or crun, for it) created.
#   - crun's cgroup, $CRUN_CG, in every hierarchy, and the ancestors of it
#     that did not exist before the run (listed in $BT/cg-new);
#   - ward's, ward-$WARD_PREFIX*, under our own cgroup in every hierarchy.
# Processes still inside are killed first (only after an interrupted run).

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
if [ "${1:-}" = --inner ]; then
	# In the private mount namespace.  Hide the cgroup2 mount of a hybrid
	# layout; a tmpfs goes in its place so that nothing written there can
	# land in the host's /sys/fs/cgroup tmpfs underneath.
	if [ "$(findmnt -n -o FSTYPE /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2 ] &&
		grep -q ' - cgroup ' /proc/self/mountinfo; then
		umount /sys/fs/cgroup/unified
		mount -t tmpfs -o size=64k,mode=755,nosuid,nodev,noexec bench-unified /sys/fs/cgroup/unified
	fi

	inner_cleanup() {
		local id
		trap - EXIT INT TERM HUP
		set +e
		if [ -n "${STATE:-}" ] && [ -d "$STATE/crun" ]; then
			for id in $(crun --root "$STATE/crun" list -q 2>/dev/null); do
				crun --root "$STATE/crun" delete -f "$id" >/dev/null 2>&1 || true
			done
		fi
		cgroup_sweep
	}
	trap inner_cleanup EXIT
	trap 'exit 130' INT TERM HUP

	W="$BT/ward"
	STATE="$BT/state"
	ROOTFS="$BT/rootfs"
	BUNDLE="$BT/bundle"
	# Both runtimes keep their state under $STATE.  By default that is a
	# tmpfs private to this mount namespace, as /run is on most hosts (it is
	# not on this VM, where /run is on the root ext4 disk); STATE_TMPFS=0
	# keeps it on the disk under $BT instead.
	mkdir -p "$STATE"
	if [ "${STATE_TMPFS:-1}" = 1 ]; then
		mount -t tmpfs -o size=64m,mode=755,nosuid,nodev bench-state "$STATE"
	fi
	export WARD_CGROUP_PARENT=self WARD_ROOT="$STATE/ward-root" WARD_LIB="$STATE/ward-lib"

	# ---- busybox rootfs, shared by every runtime
	busybox_rootfs "$ROOTFS"

	# ---- OCI bundle for crun on the same rootfs
	mkdir -p "$BUNDLE"
	(cd "$BUNDLE" && crun spec)
	swap=""
	[ -e "$MEMCG_MOUNT/memory.memsw.limit_in_bytes" ] && swap=1
	python3 "$PY" bundle "$BUNDLE" "$ROOTFS" "$CRUN_CG" "$swap"

	# ---- the commands.  Both need a unique name per run.  hyperfine gets it
	# from a `sh -c` wrapper ($$ is left for sh), so both pay the same ~1 ms
	# of sh; the paired runs, whose ratio is the result, substitute {n}
	# themselves and run the runtimes directly.
	WARD_ARGS="--net none --rootfs $ROOTFS --memory 64m --pids-limit 100"
	C_WARD="sh -c 'exec $W run --name $WARD_PREFIX\$\$ $WARD_ARGS -- /bin/true'"
	C_CRUN="sh -c 'exec crun --root $STATE/crun run --bundle $BUNDLE $CRUN_PREFIX\$\$'"
	D_WARD="$W run --name ${WARD_PREFIX}{n} $WARD_ARGS -- /bin/true"
	D_CRUN="crun --root $STATE/crun run --bundle $BUNDLE ${CRUN_PREFIX}{n}"
	C_BWRAP="bwrap --unshare-all --ro-bind $ROOTFS / --proc /proc --dev /dev /bin/true"
	C_UNSHARE="unshare --mount --pid --fork --net --uts --ipc --mount-proc true"

	say "sanity: one run of each"
	for c in "$C_WARD" "$C_CRUN" "$C_BWRAP" "$C_UNSHARE"; do
		echo "  \$ $c"
		if ! err=$(eval "$c" 2>&1 </dev/null); then
			echo "$err" >&2
			die "this command failed; nothing was measured"
		fi
		[ -z "$err" ] || echo "$err" | sed 's/^/    /'
	done

	if [ "${PROBE:-1}" = 1 ]; then
		say "isolation actually applied (payload: sleep 2, inspected from outside)"
		python3 "$PY" probe ward "sh -c 'exec $W run --name $WARD_PREFIX\$\$ $WARD_ARGS -- /bin/sleep 2'"
		python3 "$PY" probe crun "sh -c 'exec crun --root $STATE/crun run --bundle $BUNDLE --config $BUNDLE/config-probe.json ${CRUN_PREFIX}\$\$'"
		python3 "$PY" probe bwrap "bwrap --unshare-all --ro-bind $ROOTFS / --proc /proc --dev /dev /bin/sleep 2"
		python3 "$PY" probe unshare "unshare --mount --pid --fork --net --uts --ipc --mount-proc sleep 2"
	fi

	say "hyperfine: ${RUNS} runs, ${WARMUP} warm-up, -N"
	hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --style basic \
		--export-json "$OUT/start-hyperfine.json" \
		--export-markdown "$OUT/start-hyperfine.md" \
		-n ward "$C_WARD" -n crun "$C_CRUN" -n bwrap "$C_BWRAP" -n unshare "$C_UNSHARE"

	say "paired runs: A B A B ..., ${PAIRS} pairs each (3 warm-up pairs)"
	python3 "$PY" pairs --pairs "$PAIRS" --out "$OUT/start-pairs-ward-crun-1.json" ward "$D_WARD" crun "$D_CRUN"
	python3 "$PY" pairs --pairs "$PAIRS" --out "$OUT/start-pairs-ward-bwrap.json" ward "$D_WARD" bwrap "$C_BWRAP"
	python3 "$PY" pairs --pairs "$PAIRS" --out "$OUT/start-pairs-ward-crun-2.json" ward "$D_WARD" crun "$D_CRUN"

	say "peak RSS: GNU time %M, ${RSS_RUNS} runs each"
	python3 "$PY" rss --runs "$RSS_RUNS" --out "$OUT/start-rss-ward.json" ward "$C_WARD"
	python3 "$PY" rss --runs "$RSS_RUNS" --out "$OUT/start-rss-crun.json" crun "$C_CRUN"
	python3 "$PY" rss --runs "$RSS_RUNS" --out "$OUT/start-rss-bwrap.json" bwrap "$C_BWRAP"
	python3 "$PY" rss --runs "$RSS_RUNS" --out "$OUT/start-rss-unshare.json" unshare "$C_UNSHARE"

	say "summary"
	python3 "$PY" summary --meta "$BT/meta.json" --hyperfine "$OUT/start-hyperfine.json" \
		--pairs "$OUT/start-pairs-ward-crun-1.json" "$OUT/start-pairs-ward-crun-2.json" \
		"$OUT/start-pairs-ward-bwrap.json" \
		--rss "$OUT/start-rss-ward.json" "$OUT/start-rss-crun.json" \
		"$OUT/start-rss-bwrap.json" "$OUT/start-rss-unshare.json" \
		--out "$OUT/start-summary.md"
	echo
	echo "written: $OUT/start-summary.md (and start-*.json, start-hyperfine.md)"
	exit 0
fi

# ================================================================== outer ==
[ "$(id -u)" = 0 ] || die "run as root"

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v crun >/dev/null || need+=(crun)
command -v bwrap >/dev/null || need+=(bubblewrap)
# the rootfs needs a static busybox (Debian's busybox package is dynamic)
command -v busybox >/dev/null && ! ldd "$(command -v busybox)" >/dev/null 2>&1 ||
	need+=(busybox-static)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
	if [ "${INSTALL:-0}" = 1 ]; then
		apt-get install -y --no-install-recommends "${need[@]}"
	else
		die "missing: ${need[*]} (INSTALL=1 installs them)"
	fi
fi
for t in unshare findmnt python3 mktemp; do command -v "$t" >/dev/null || die "missing $t"; done

WARD_SRC=${WARD:-$HERE/../build/src/cli/ward}
[ -x "$WARD_SRC" ] || die "no ward binary at $WARD_SRC (build it, or set WARD)"
WARD_SRC=$(realpath "$WARD_SRC")

export RUNS=${RUNS:-40} WARMUP=${WARMUP:-3} PAIRS=${PAIRS:-50} RSS_RUNS=${RSS_RUNS:-10}
export OUT=${OUT:-$HERE/out}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")

BT=$(mktemp -d /tmp/ward-bench-start.XXXXXX)
export BT
case "$BT$OUT$WARD_SRC" in *[[:space:]\'\"\\]*) die "paths must not contain spaces or quotes";; esac
chmod 755 "$BT"

outer_cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	set +e
	cgroup_sweep                 # again, in case the inner cleanup was cut short
	rm -rf --one-file-system "$BT"
	exit "$rc"
}
trap outer_cleanup EXIT
trap 'exit 130' INT TERM HUP

cp "$WARD_SRC" "$BT/ward"
export WARD_PREFIX="wb$$-" CRUN_PREFIX="cb$$-"

# The cgroup hierarchies as the benchmark namespace will see them (the hidden
# cgroup2 mount left out), with this process's own path in each.
python3 "$PY" cgpaths >"$BT/cgpaths.all"
if grep -q $'\tcgroup2$' "$BT/cgpaths.all" && grep -qv $'\tcgroup2$' "$BT/cgpaths.all"; then
	grep -v $'\tcgroup2$' "$BT/cgpaths.all" >"$BT/cgpaths" || true
	LAYOUT="hybrid (cgroup v1 controllers + cgroup2 at /sys/fs/cgroup/unified; the cgroup2 mount is hidden in the benchmark's mount namespace, so both runtimes see pure v1)"
elif grep -q $'\tcgroup2$' "$BT/cgpaths.all"; then
	cp "$BT/cgpaths.all" "$BT/cgpaths"
	LAYOUT="cgroup v2"
else
	cp "$BT/cgpaths.all" "$BT/cgpaths"
	LAYOUT="cgroup v1"
fi

# crun's cgroupsPath (cgroupfs manager) is one path, taken from each
# hierarchy's root.  It goes under our memory cgroup (or cgroup2 one): the
# other v1 hierarchies have us at /, so it is beneath us there too.  Its
# ancestors that do not exist yet are noted, to be removed at the end.
bench_cgroup_beneath_us CRUN_CG bench-crun

ward_rev=$(git -C "$HERE/.." describe --always --dirty 2>/dev/null || echo unknown)
ward_built=$(date -r "$WARD_SRC" '+%Y-%m-%d %H:%M')
python3 - "$BT/meta.json" <<EOF
import json, sys
json.dump({
 "date": "$(date '+%Y-%m-%d %H:%M %Z')",
 "machine": "$(nproc) vCPU, $(awk '/MemTotal/{printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo), kernel $(uname -r), cgroups: $LAYOUT",
 "ward": "tree $ward_rev, binary built $ward_built, sha256 $(sha256sum "$BT/ward" | cut -c1-12)",
 "state": "$( [ "${STATE_TMPFS:-1}" = 1 ] && echo "a private tmpfs" || echo "the root disk (ext4)")",
 "versions": "$(crun --version | head -n1); bubblewrap $(bwrap --version | awk '{print $2}'); $(unshare --version); $(hyperfine --version)",
 "runs": $RUNS, "warmup": $WARMUP, "pairs": $PAIRS,
}, open(sys.argv[1], "w"), indent=1)
EOF

echo "ward:    $WARD_SRC (copied to $BT/ward; $ward_rev, built $ward_built)"
echo "layout:  $LAYOUT"
echo "cgroups: ward under its caller's cgroup (WARD_CGROUP_PARENT=self), crun at $CRUN_CG"
echo "temp:    $BT"

set +e
unshare -m --propagation private -- "$BASH" "$0" --inner
rc=$?
set -e
exit "$rc"
