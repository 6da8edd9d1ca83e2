#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/lifecycle.sh: ward's container lifecycle against LXC's, on one busybox
# rootfs, with `sleep 3600` (busybox) as the container's command:
#
#   1. start + stop:  `ward start C` + `ward stop C -t 0`
#                     against `lxc-start -n C -d` + `lxc-stop -n C -k`
#   2. attach:        `ward attach C -- /bin/true` against
#                     `lxc-attach -n C -- /bin/true`, on running containers
#   3. memory:        what stays with a running container: ward-monitor
#                     against LXC's "[lxc monitor]" and a foreground
#                     `crun run`; for one container and summed over
#                     CONTAINERS (10) running at once
#
# Stop is SIGKILL on both sides (see bench/README.md): `sleep` runs as the
# container's PID 1 and has no SIGTERM handler, so `ward stop -t 0` (the stop
# signal, then SIGKILL at once) and `lxc-stop -k` (SIGKILL) both end it with
# SIGKILL, and both return once the container's monitor has torn it down.
#
# Runs as root.  INSTALL=1 apt-get installs what is missing (hyperfine lxc
# busybox-static crun) with --no-install-recommends, and checks that the lxc
# package made no bridge and no firewall rule (the lxc-net service is never
# started by this script).  The ward binary is $WARD, or
# ../build/src/cli/ward next to this script, and ward-monitor is
# $WARD_MONITOR or ../build/src/monitor/ward-monitor; both are copied first
# so that a rebuild during the run does not change what is measured.
#
# Knobs: RUNS (hyperfine runs, 40), WARMUP (3), PAIRS (start+stop pairs per
# pass, 100; two passes), ATTACH_PAIRS (100), IDLE_RUNS (20: starts per
# runtime and idle gap), CONTAINERS (10: how many run at once for the memory
# total), CRUN (1: measure crun's process too; 0: skip), STATE_TMPFS (1:
# ward's store and state, LXC's lxcpath and LXC's /run/lxc lock dir on a
# private tmpfs; 0: on the disk in the temp dir), OUT (bench/out).
#
# Everything runs inside `unshare -m --propagation private`, so that the
# state tmpfs and a private /run/lxc (LXC keeps its locks there) are seen by
# nothing else.  The hybrid cgroup layout is left as it is for ward and LXC;
# crun alone (for its memory figure) runs in a further mount namespace where
# the cgroup2 mount is hidden, because crun 1.8 refuses the hybrid layout,
# and with --cgroup-manager=disabled.  Cgroups are created only beneath this
# script's own cgroup in each hierarchy (ward: WARD_CGROUP_PARENT=self; LXC:
# lxc.cgroup.relative = 1) and removed at the end, also on Ctrl-C.  No network
# device is made anywhere: ward runs with --net none and LXC with
# lxc.net.0.type = empty (each gets a network namespace holding only lo).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY="$HERE/paired.py"

ME=lifecycle.sh
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# ---------------------------------------------------------------- cgroups --
# Remove a cgroup and everything beneath it, deepest first, killing what is
# left inside (only after an interrupted run: these are our containers').
cg_kill_rmdir() {
	local top=$1 d pid i left
	[ -d "$top" ] || return 0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		left=0
		while read -r d; do
			if [ -r "$d/cgroup.procs" ]; then
				while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$d/cgroup.procs"
			fi
			rmdir "$d" 2>/dev/null || left=1
		done < <(find "$top" -depth -type d 2>/dev/null)
		[ "$left" = 0 ] && return 0
		sleep 0.05
	done
	echo "lifecycle.sh: warning: could not remove cgroup $top" >&2
}

# Our cgroups in every hierarchy: ward's ward-$PFX*, LXC's lxc.payload.$PFX*
# and lxc.monitor.$PFX*, and LXC's lxc.pivot if this run made it.
cgroup_sweep() {
	local mp self key d i
	[ -s "$BT/cgpaths" ] || return 0
	while IFS=$'\t' read -r mp self key; do
		for d in "$mp${self%/}/ward-$PFX"* "$mp${self%/}/lxc.payload.$PFX"* \
			"$mp${self%/}/lxc.monitor.$PFX"*; do
			if [ -d "$d" ]; then cg_kill_rmdir "$d"; fi
		done
		d="$mp${self%/}/lxc.pivot"
		if [ -d "$d" ] && ! grep -qxF "$d" "$BT/pivot-before" 2>/dev/null; then
			# LXC's monitor moves itself there before it removes its own
			# cgroup, and exits a moment after lxc-stop returns: wait
			for i in $(seq 40); do rmdir "$d" 2>/dev/null && break; sleep 0.05; done
			[ ! -d "$d" ] || echo "lifecycle.sh: warning: could not remove cgroup $d" >&2
		fi
	done <"$BT/cgpaths"
	return 0
}

# ================================================================== inner ==
if [ "${1:-}" = --inner ]; then
	W="$BT/ward"
	STATE="$BT/state"
	ROOTFS="$BT/rootfs"
	LP="$STATE/lxc"
	CRUN_ROOT="$STATE/crun"
	mkdir -p "$STATE" "$BT/run-lxc"
	if [ "${STATE_TMPFS:-1}" = 1 ]; then
		mount -t tmpfs -o size=64m,mode=755,nosuid,nodev bench-state "$STATE"
		mount -t tmpfs -o size=1m,mode=755,nosuid,nodev,noexec bench-run-lxc /run/lxc
	else
		mount --bind "$BT/run-lxc" /run/lxc
	fi
	mkdir -p "$LP" "$CRUN_ROOT"
	export WARD_CGROUP_PARENT=self WARD_ROOT="$STATE/ward-root" WARD_LIB="$STATE/ward-lib"
	export WARD_MONITOR="$BT/ward-monitor"

	WARD_NAMES=() LXC_NAMES=() CRUN_PIDS=() CRUN_IDS=()

	inner_cleanup() {
		local n p
		trap - EXIT INT TERM HUP
		set +e
		# a crun run ends when its container does; kill what is left
		for n in "${CRUN_IDS[@]}"; do crun --root "$CRUN_ROOT" delete -f "$n" >/dev/null 2>&1; done
		sleep 0.2
		for p in "${CRUN_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
		for p in "${CRUN_PIDS[@]}"; do wait "$p" 2>/dev/null; done
		for n in "${WARD_NAMES[@]}"; do
			"$W" destroy -f "$n" >/dev/null 2>&1 || echo "lifecycle.sh: warning: ward destroy -f $n failed" >&2
		done
		for n in "${LXC_NAMES[@]}"; do
			lxc-stop -P "$LP" -n "$n" -k >/dev/null 2>&1
			# lxc-destroy also deletes a dir: rootfs, even one outside
			# the lxcpath, and ours is shared with ward: drop that line
			if [ -f "$LP/$n/config" ]; then
				sed -i '/^lxc\.rootfs\.path/d' "$LP/$n/config"
				lxc-destroy -P "$LP" -n "$n" >/dev/null 2>&1 ||
					echo "lifecycle.sh: warning: lxc-destroy $n failed" >&2
			fi
		done
		cgroup_sweep
	}
	trap inner_cleanup EXIT
	trap 'exit 130' INT TERM HUP

	# ---- busybox rootfs, shared by ward, LXC and crun
	busybox_rootfs "$ROOTFS"

	# ---- containers.  ward: in its store (WARD_LIB), the rootfs used in
	# place.  LXC: a config in our lxcpath, the distribution's common and
	# userns includes (as `lxc-create` gives an unprivileged container),
	# its own 65536 uids and gids as ward gives each container, no network
	# device.  Both run /bin/sleep 3600 as PID 1.
	ward_create() {
		local n=$1
		WARD_NAMES+=("$n")
		# (without the once-per-container note about ward's default id range)
		"$W" create "$n" --template "dir:$ROOTFS" --net none -- /bin/sleep 3600 >/dev/null \
			2> >(grep -v 'have no range for root' >&2) || die "ward create $n failed"
	}
	lxc_create() {
		local n=$1 i=$2 base
		base=$((1200000000 + i * 65536))
		LXC_NAMES+=("$n")
		mkdir -p "$LP/$n"
		cat >"$LP/$n/config" <<-EOF
			lxc.include = /usr/share/lxc/config/common.conf
			lxc.include = /usr/share/lxc/config/userns.conf
			lxc.uts.name = $n
			lxc.rootfs.path = dir:$ROOTFS
			lxc.net.0.type = empty
			lxc.idmap = u 0 $base 65536
			lxc.idmap = g 0 $base 65536
			lxc.cgroup.relative = 1
			lxc.init.cmd = /bin/sleep 3600
			lxc.apparmor.profile = unconfined
		EOF
	}
	WC="${PFX}w0" LC="${PFX}l0"
	W_START="$W start $WC" W_STOP="$W stop $WC -t 0"
	L_START="lxc-start -P $LP -n $LC -d" L_STOP="lxc-stop -P $LP -n $LC -k"
	W_ATTACH="$W attach $WC -- /bin/true" L_ATTACH="lxc-attach -P $LP -n $LC -- /bin/true"

	say "sanity: create, start, attach, stop once on each side"
	ward_create "$WC"
	lxc_create "$LC" 0
	python3 "$LC_PY" sanity --ward "$W" --lxcpath "$LP" --out "$OUT/lifecycle-sanity.json" \
		"$WC" "$LC" || die "sanity check failed; nothing was measured"

	say "hyperfine: ${RUNS} runs, ${WARMUP} warm-up (shell mode: hyperfine subtracts the shell's start-up)"
	# start alone (prepared by a stop), stop alone (prepared by a start), and
	# the cycle; `|| true` because stopping a stopped LXC container fails
	hyperfine --warmup "$WARMUP" --runs "$RUNS" --style basic \
		--export-json "$OUT/lifecycle-hyperfine.json" \
		--export-markdown "$OUT/lifecycle-hyperfine.md" \
		--prepare "$W_STOP >/dev/null 2>&1 || true" -n "ward start" "$W_START" \
		--prepare "$L_STOP >/dev/null 2>&1 || true" -n "lxc start" "$L_START" \
		--prepare "$W_START" -n "ward stop" "$W_STOP" \
		--prepare "$L_START" -n "lxc stop" "$L_STOP" \
		--prepare "$W_STOP >/dev/null 2>&1 || true" -n "ward start+stop" "$W_START && $W_STOP" \
		--prepare "$L_STOP >/dev/null 2>&1 || true" -n "lxc start+stop" "$L_START && $L_STOP"
	$W_STOP >/dev/null 2>&1 || true
	$L_STOP >/dev/null 2>&1 || true

	say "paired start+stop cycles: ward, lxc, ward, lxc ..., 2 passes of ${PAIRS} pairs (3 warm-up pairs each)"
	for pass in 1 2; do
		python3 "$LC_PY" cycle --pairs "$PAIRS" --out "$OUT/lifecycle-cycle-$pass.json" \
			ward "$W_START" "$W_STOP" lxc "$L_START" "$L_STOP"
	done

	say "start after back-to-back cycles and after 50 ms idle, each runtime alone (${IDLE_RUNS} runs)"
	python3 "$LC_PY" idle --runs "$IDLE_RUNS" --out "$OUT/lifecycle-idle.json" \
		ward "$W_START" "$W_STOP" lxc "$L_START" "$L_STOP"

	say "attach: both containers running"
	$W_START
	$L_START
	hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --style basic \
		--export-json "$OUT/lifecycle-attach-hyperfine.json" \
		--export-markdown "$OUT/lifecycle-attach-hyperfine.md" \
		-n "ward attach" "$W_ATTACH" -n "lxc-attach" "$L_ATTACH"
	python3 "$PY" pairs --pairs "$ATTACH_PAIRS" --out "$OUT/lifecycle-attach-pairs.json" \
		ward "$W_ATTACH" lxc "$L_ATTACH"

	say "memory: ${CONTAINERS} containers of each running at once"
	for ((i = 1; i < CONTAINERS; i++)); do
		ward_create "${PFX}w$i"
		lxc_create "${PFX}l$i" "$i"
		"$W" start "${PFX}w$i"
		lxc-start -P "$LP" -n "${PFX}l$i" -d
	done
	if [ "${CRUN:-1}" = 1 ]; then
		# crun has no monitor of its own: with `crun run` in the foreground,
		# the crun process stays as the container's parent, which is the
		# closest thing.  crun 1.8 refuses the hybrid cgroup layout, so it
		# runs where the cgroup2 mount is hidden, without cgroups.
		mkdir -p "$BT/bundle"
		(cd "$BT/bundle" && crun spec)
		python3 - "$BT/bundle/config.json" "$ROOTFS" <<-'EOF'
			import json, sys
			d = json.load(open(sys.argv[1]))
			d["process"]["args"] = ["/bin/sleep", "3600"]
			d["process"]["terminal"] = False
			d["root"] = {"path": sys.argv[2], "readonly": True}
			d["linux"].pop("resources", None)
			json.dump(d, open(sys.argv[1], "w"), indent=1)
		EOF
		cat >"$BT/crun-run" <<-EOF
			#!/bin/sh
			if [ "\$(findmnt -n -o FSTYPE /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2 ]; then
			  umount /sys/fs/cgroup/unified &&
			  mount -t tmpfs -o size=64k,mode=755,nosuid,nodev,noexec bench-unified /sys/fs/cgroup/unified || exit 1
			fi
			exec crun --root "$CRUN_ROOT" --cgroup-manager=disabled run --bundle "$BT/bundle" "\$1"
		EOF
		chmod 755 "$BT/crun-run"
		for ((i = 0; i < CONTAINERS; i++)); do
			CRUN_IDS+=("${PFX}c$i")
			unshare -m --propagation private "$BT/crun-run" "${PFX}c$i" </dev/null >/dev/null 2>"$BT/crun-$i.err" &
			CRUN_PIDS+=($!)
		done
	fi
	python3 "$LC_PY" rss --ward "$W" --lxcpath "$LP" --out "$OUT/lifecycle-rss.json" \
		--ward-names "$(IFS=,; echo "${WARD_NAMES[*]}")" \
		--lxc-names "$(IFS=,; echo "${LXC_NAMES[*]}")" \
		--crun-pids "$(IFS=,; echo "${CRUN_PIDS[*]}")"
	for n in "${CRUN_IDS[@]}"; do crun --root "$CRUN_ROOT" kill "$n" KILL >/dev/null 2>&1 || true; done
	for p in "${CRUN_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	CRUN_PIDS=()

	say "summary"
	python3 "$LC_PY" summary --meta "$BT/meta.json" --out "$OUT/lifecycle-summary.md" \
		--hyperfine "$OUT/lifecycle-hyperfine.json" "$OUT/lifecycle-attach-hyperfine.json" \
		--cycle "$OUT/lifecycle-cycle-1.json" "$OUT/lifecycle-cycle-2.json" --attach "$OUT/lifecycle-attach-pairs.json" \
		--rss "$OUT/lifecycle-rss.json" --sanity "$OUT/lifecycle-sanity.json" \
		--idle "$OUT/lifecycle-idle.json"
	echo
	echo "written: $OUT/lifecycle-summary.md (and lifecycle-*.json, lifecycle-*hyperfine.md)"
	exit 0
fi

# ================================================================== outer ==
[ "$(id -u)" = 0 ] || die "run as root"

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v lxc-start >/dev/null || need+=(lxc)
[ "${CRUN:-1}" = 0 ] || command -v crun >/dev/null || need+=(crun)
# the rootfs needs a static busybox (Debian's busybox package is dynamic)
command -v busybox >/dev/null && ! ldd "$(command -v busybox)" >/dev/null 2>&1 ||
	need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
	[ "${INSTALL:-0}" = 1 ] || die "missing: ${need[*]} (INSTALL=1 installs them)"
	links_before=$(ip -o link show | awk -F': ' '{print $2}' | sort)
	nft_before=$(nft list ruleset 2>/dev/null | sha256sum)
	# no recommends: lxc recommends lxcfs, debootstrap, uidmap and more; a
	# policy-rc.d, where there is one, keeps lxc-net from being started
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
	if ip link show lxcbr0 >/dev/null 2>&1 && ! grep -qx lxcbr0 <<<"$links_before"; then
		echo "lifecycle.sh: installing lxc started lxc-net (lxcbr0 appeared); stopping it" >&2
		/usr/libexec/lxc/lxc-net stop || true
		ip link show lxcbr0 >/dev/null 2>&1 && die "lxcbr0 is still there; remove it by hand"
	fi
	[ "$(nft list ruleset 2>/dev/null | sha256sum)" = "$nft_before" ] ||
		echo "lifecycle.sh: warning: the nftables ruleset changed during the install" >&2
fi
for t in unshare findmnt python3 mktemp lxc-attach lxc-info lxc-destroy; do
	command -v "$t" >/dev/null || die "missing $t"
done

WARD_SRC=${WARD:-$HERE/../build/src/cli/ward}
MON_SRC=${WARD_MONITOR:-$(dirname "$WARD_SRC")/../monitor/ward-monitor}
[ -x "$WARD_SRC" ] || die "no ward binary at $WARD_SRC (build it, or set WARD)"
[ -x "$MON_SRC" ] || die "no ward-monitor at $MON_SRC (build it, or set WARD_MONITOR)"
WARD_SRC=$(realpath "$WARD_SRC")
MON_SRC=$(realpath "$MON_SRC")

export RUNS=${RUNS:-40} WARMUP=${WARMUP:-3} PAIRS=${PAIRS:-100} ATTACH_PAIRS=${ATTACH_PAIRS:-100}
export CONTAINERS=${CONTAINERS:-10} IDLE_RUNS=${IDLE_RUNS:-20}
[ "$CONTAINERS" -ge 1 ] || die "CONTAINERS must be at least 1"
export OUT=${OUT:-$HERE/out}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")

BT=$(mktemp -d /tmp/ward-bench-lifecycle.XXXXXX)
export BT PY
export LC_PY="$BT/lifecycle.py"
case "$BT$OUT$WARD_SRC$MON_SRC" in *[[:space:]\'\"\\]*) die "paths must not contain spaces or quotes";; esac
chmod 755 "$BT"
export PFX="lcb$$-"

# LXC, run as root, writes its id maps itself unless newuidmap/newgidmap
# are on PATH (the uidmap package, which podman pulls in): then it runs them,
# and they refuse any range /etc/subuid does not give root.  This script
# does not edit /etc/subuid: it runs with a PATH whose /usr/bin and /bin
# are copies made of symlinks without those two.
mkdir "$BT/path"
for d in /usr/local/bin /usr/bin /bin; do
	[ -d "$d" ] || continue
	for f in "$d"/*; do
		case ${f##*/} in newuidmap | newgidmap) continue ;; esac
		[ -e "$BT/path/${f##*/}" ] || ln -s "$f" "$BT/path/${f##*/}"
	done
done
ORIG_PATH=$PATH
export PATH="$BT/path:/usr/local/sbin:/usr/sbin:/sbin"

# LXC keeps its locks in /run/lxc/lock/<lxcpath>; the inner namespace mounts
# a private directory there, which needs the mount point.  A run that made
# /run/lxc removes it at the end, and removing it would take the mount away
# from another run's namespace: so runs take turns, with an flock on the
# directory (re-checked after the wait, in case the run before removed it).
RUN_LXC_MADE=0
while :; do
	if [ ! -d /run/lxc ] && mkdir /run/lxc 2>/dev/null; then RUN_LXC_MADE=1; fi
	exec 9</run/lxc
	if ! flock -n 9; then
		echo "lifecycle.sh: another lifecycle.sh is running; waiting for it" >&2
		flock 9
	fi
	[ "$(stat -c %d:%i /run/lxc 2>/dev/null)" = "$(stat -L -c %d:%i /proc/self/fd/9)" ] && break
	exec 9<&-
	RUN_LXC_MADE=0
done

links_start=$(ip -o link show | awk -F': ' '{print $2}' | sort)
nft_start=$(nft list ruleset 2>/dev/null | sha256sum || true)

outer_cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	set +e
	PATH=$ORIG_PATH # the run's PATH lives in $BT, which goes below
	cgroup_sweep                 # again, in case the inner cleanup was cut short
	rm -rf --one-file-system "$BT"
	[ "$RUN_LXC_MADE" = 1 ] && rmdir /run/lxc 2>/dev/null
	if [ "$(ip -o link show | awk -F': ' '{print $2}' | sort)" != "$links_start" ]; then
		echo "lifecycle.sh: warning: the root namespace's links changed during the run (another user?)" >&2
	fi
	if [ "$(nft list ruleset 2>/dev/null | sha256sum || true)" != "$nft_start" ]; then
		echo "lifecycle.sh: warning: the nftables ruleset changed during the run (another user?)" >&2
	fi
	exit "$rc"
}
trap outer_cleanup EXIT
trap 'exit 130' INT TERM HUP

cp "$WARD_SRC" "$BT/ward"
cp "$MON_SRC" "$BT/ward-monitor"

# every cgroup hierarchy, with our path in each (cgroup2 included: ward and
# LXC see the hybrid layout as it is)
python3 "$PY" cgpaths >"$BT/cgpaths"
while IFS=$'\t' read -r mp self key; do
	d="$mp${self%/}/lxc.pivot"
	[ -d "$d" ] && echo "$d"
done <"$BT/cgpaths" >"$BT/pivot-before" || true

# ---- the helper: paired cycles, sanity, monitor memory, summary
cat >"$LC_PY" <<'PYEOF'
"""lifecycle.sh's helper (stdlib only).

  cycle   --pairs N --out F  NAME_A START_A STOP_A  NAME_B START_B STOP_B
      A start, A stop, B start, B stop, N times after 3 warm-up rounds; each
      step fork-to-reap wall time and wait4() user+sys; per-pair ratios A/B
      for start, stop and the whole cycle.
  sanity  --ward W --lxcpath P --out F  WARD_NAME LXC_NAME
      start, attach, stop each once; checks that the monitor is the
      container's parent, and what is left the moment stop returns.
  rss     --ward W --lxcpath P --out F --ward-names A,B --lxc-names A,B --crun-pids P,Q
      VmRSS/VmHWM/Pss of each running container's monitor process.
  summary --meta F --out MD --hyperfine J J --cycle J --attach J --rss J --sanity J
"""
import argparse, json, os, shlex, statistics, subprocess, sys, tempfile, time


def die(msg):
    print(f"lifecycle.py: {msg}", file=sys.stderr)
    sys.exit(1)


ERR = tempfile.TemporaryFile()


def run_once(argv):
    """Fork-to-reap wall time and wait4() CPU, in ms.  stderr goes to a file,
    not a pipe: a daemon that inherits it must not hold up the measurement."""
    ERR.seek(0)
    ERR.truncate()
    t0 = time.perf_counter_ns()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=ERR)
    _, status, ru = os.wait4(p.pid, 0)
    t1 = time.perf_counter_ns()
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        ERR.seek(0)
        die(f"command failed (exit {rc}): {shlex.join(argv)}\n" + ERR.read().decode(errors="replace"))
    return (t1 - t0) / 1e6, (ru.ru_utime + ru.ru_stime) * 1e3


def quartiles(xs):
    if len(xs) < 4:
        return min(xs), max(xs)
    q = statistics.quantiles(xs, n=4)
    return q[0], q[2]


def stats(xs):
    q1, q3 = quartiles(xs)
    return {"median": statistics.median(xs), "q1": q1, "q3": q3, "min": min(xs), "max": max(xs)}


def cmd_cycle(a):
    A = [shlex.split(a.start_a), shlex.split(a.stop_a)]
    B = [shlex.split(a.start_b), shlex.split(a.stop_b)]
    for _ in range(3):
        for argv in A + B:
            run_once(argv)
    samples = []
    for _ in range(a.pairs):
        s = {}
        for side, cmds in (("a", A), ("b", B)):
            for step, argv in zip(("start", "stop"), cmds):
                w, c = run_once(argv)
                s[f"{side}_{step}_ms"], s[f"{side}_{step}_cpu_ms"] = w, c
        samples.append(s)
    res = {"a": a.name_a, "b": a.name_b, "pairs": a.pairs,
           "cmds": [a.start_a, a.stop_a, a.start_b, a.stop_b], "samples": samples}
    for step in ("start", "stop", "cycle"):
        def val(s, side, kind=""):
            if step == "cycle":
                return s[f"{side}_start{kind}_ms"] + s[f"{side}_stop{kind}_ms"]
            return s[f"{side}_{step}{kind}_ms"]
        res[step] = {
            "ratio": stats([val(s, "a") / val(s, "b") for s in samples]),
            "cpu_ratio_median": statistics.median(
                val(s, "a", "_cpu") / val(s, "b", "_cpu") for s in samples
                if val(s, "b", "_cpu") > 0),
            "a_ms": stats([val(s, "a") for s in samples]),
            "b_ms": stats([val(s, "b") for s in samples]),
            "a_cpu_ms": statistics.median(val(s, "a", "_cpu") for s in samples),
            "b_cpu_ms": statistics.median(val(s, "b", "_cpu") for s in samples),
        }
        r = res[step]
        print(f"  {step:5} {a.name_a}/{a.name_b}: median ratio {r['ratio']['median']:.2f} "
              f"(IQR {r['ratio']['q1']:.2f}-{r['ratio']['q3']:.2f}); medians "
              f"{r['a_ms']['median']:.1f} / {r['b_ms']['median']:.1f} ms; "
              f"CPU {r['a_cpu_ms']:.1f} / {r['b_cpu_ms']:.1f} ms")
    json.dump(res, open(a.out, "w"), indent=1)


def cmd_idle(a):
    """Each runtime alone: start, stop, then GAP of idle before the next start,
    for GAP = 0 and 50 ms.  Shows how much a start depends on what ran just
    before it (LXC's cgroup.procs writes wait for an RCU grace period when
    nothing wrote one shortly before)."""
    res = {}
    for name, start, stop in ((a.name_a, a.start_a, a.stop_a), (a.name_b, a.start_b, a.stop_b)):
        start, stop = shlex.split(start), shlex.split(stop)
        for gap in (0, 50):
            xs = []
            for i in range(a.runs + 2):
                w, _ = run_once(start)
                run_once(stop)
                if i >= 2:
                    xs.append(w)
                time.sleep(gap / 1e3)
            res[f"{name}/{gap}"] = stats(xs)
            print(f"  {name} start, {gap:2d} ms idle before it: median {statistics.median(xs):.1f} ms "
                  f"(IQR {res[f'{name}/{gap}']['q1']:.1f}-{res[f'{name}/{gap}']['q3']:.1f}, {a.runs} runs)")
    json.dump(res, open(a.out, "w"), indent=1)


def ppid(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().replace(b"\0", b" ").decode(errors="replace").strip()


def comm(pid):
    with open(f"/proc/{pid}/comm") as f:
        return f.read().strip()


def mem(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0])
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Pss", "Private_Clean", "Private_Dirty"):
                out[k] = int(v.split()[0])
    out["Private"] = out.pop("Private_Clean", 0) + out.pop("Private_Dirty", 0)
    return out


def ward_pid(ward, name):
    r = subprocess.run([ward, "info", name, "--json"], capture_output=True, text=True)
    if r.returncode != 0:
        die(f"ward info {name} --json failed: {r.stderr.strip()}")
    d = json.loads(r.stdout)
    pid = d.get("pid") if isinstance(d, dict) else None
    if not pid:
        die(f"no pid in `ward info {name} --json`: {r.stdout[:300]}")
    return int(pid)


def lxc_pid(lxcpath, name):
    r = subprocess.run(["lxc-info", "-P", lxcpath, "-n", name, "-pH"],
                       capture_output=True, text=True)
    if r.returncode != 0 or not r.stdout.strip():
        die(f"lxc-info {name}: {r.stderr.strip()}")
    return int(r.stdout.strip())


def monitor_of(kind, pid):
    """The container's parent, checked to be the monitor we expect."""
    m = ppid(pid)
    if kind == "ward" and comm(m) != "ward-monitor":
        die(f"the parent of ward's container {pid} is {m} ({cmdline(m)}), not ward-monitor")
    if kind == "lxc" and not cmdline(m).startswith("[lxc monitor]"):
        die(f"the parent of LXC's container {pid} is {m} ({cmdline(m)}), not [lxc monitor]")
    return m


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def cgroups_of(pid):
    """{hierarchy key as `paired.py cgpaths` names it: path}"""
    out = {}
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            hid, ctrls, path = line.rstrip("\n").split(":", 2)
            out["cgroup2" if hid == "0" else ",".join(sorted(ctrls.split(",")))] = path
    return out


def hierarchies():
    """[(mount point, our own path, key)]"""
    with open(os.path.join(os.environ["BT"], "cgpaths")) as f:
        return [tuple(l.rstrip("\n").split("\t")) for l in f]


def own_cgroups(pid):
    """The cgroups of PID that are not ours, as host paths."""
    cg = cgroups_of(pid)
    return sorted(mp + cg[key] for mp, self_, key in hierarchies()
                  if key in cg and cg[key] != self_)


def short_cg(pid):
    """PID's cgroup in the memory hierarchy, relative to ours ('.' = ours)."""
    cg = cgroups_of(pid)
    selfs = {key: self_ for _, self_, key in hierarchies()}
    for key in ("memory", "cgroup2"):
        if key in cg and key in selfs:
            return os.path.relpath(cg[key], selfs[key])
    return "?"


def cmd_sanity(a):
    res = {}
    for kind, name in (("ward", a.ward_name), ("lxc", a.lxc_name)):
        if kind == "ward":
            start = [a.ward, "start", name]
            attach = [a.ward, "attach", name, "--", "/bin/sh", "-c", "echo $$; id -u; cat /proc/self/uid_map"]
            stop = [a.ward, "stop", name, "-t", "0"]
            getpid = lambda: ward_pid(a.ward, name)
        else:
            start = ["lxc-start", "-P", a.lxcpath, "-n", name, "-d"]
            attach = ["lxc-attach", "-P", a.lxcpath, "-n", name, "--", "/bin/sh", "-c",
                      "echo $$; id -u; cat /proc/self/uid_map"]
            stop = ["lxc-stop", "-P", a.lxcpath, "-n", name, "-k"]
            getpid = lambda: lxc_pid(a.lxcpath, name)
        run_once(start)
        pid = getpid()
        mon = monitor_of(kind, pid)
        r = subprocess.run(attach, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            die(f"{kind} attach failed ({r.returncode}): {r.stderr.strip()}")
        out = r.stdout.split("\n")
        with open(f"/proc/{pid}/uid_map") as f:
            uidmap = " ".join(f.read().split())
        with open(f"/proc/{pid}/status") as f:
            st = dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)
        ns = sorted(n for n in os.listdir(f"/proc/{pid}/ns")
                    if os.readlink(f"/proc/{pid}/ns/{n}") != os.readlink(f"/proc/self/ns/{n}"))
        cg = own_cgroups(pid)
        cg_short, mon_cg_short = short_cg(pid), short_cg(mon)
        mon_cmd = cmdline(mon)
        # stop, then look at once: the monitor, the container, its cgroups
        w, _ = run_once(stop)
        leftover = {"monitor_alive": alive(mon), "init_alive": alive(pid)}
        leftover["cgroups_left"] = [c for c in cg if os.path.isdir(c)]
        res[kind] = {
            "pid": pid, "monitor": mon, "monitor_cmdline": mon_cmd,
            "attach_output": out[:3], "uid_map": uidmap, "new_ns": ns,
            "seccomp": st.get("Seccomp", "?").strip(), "nonewprivs": st.get("NoNewPrivs", "?").strip(),
            "capeff_count": bin(int(st.get("CapEff", "0"), 16)).count("1"),
            "container_cgroups": cg, "container_cgroup": cg_short,
            "monitor_cgroup": mon_cg_short,
            "stop_ms": w, "after_stop": leftover,
        }
        print(f"  {kind}: init {pid} (parent {mon}: {mon_cmd[:70]}); attach saw pid/uid "
              f"{'/'.join(out[:2])}; uid_map '{uidmap}'; new ns [{' '.join(ns)}]; seccomp "
              f"{res[kind]['seccomp']}; {res[kind]['capeff_count']} caps; cgroup {cg_short} "
              f"(in {len(cg)} hierarchies), the monitor's {mon_cg_short}")
        print(f"  {kind}: stop took {w:.1f} ms; right after it returned: monitor "
              f"{'ALIVE' if leftover['monitor_alive'] else 'gone'}, init "
              f"{'ALIVE' if leftover['init_alive'] else 'gone'}, cgroups left: "
              f"{', '.join(leftover['cgroups_left']) or 'none'}")
    json.dump(res, open(a.out, "w"), indent=1)


def cmd_rss(a):
    # give every crun a moment to have its container running
    crun = [int(p) for p in a.crun_pids.split(",") if p]
    deadline = time.time() + 10
    for p in crun:
        while time.time() < deadline:
            try:
                kids = open(f"/proc/{p}/task/{p}/children").read().split()
                if kids and comm(int(kids[0])) == "sleep" and comm(p) == "crun":
                    break
            except (FileNotFoundError, ValueError):
                pass
            time.sleep(0.02)
        else:
            die(f"crun process {p} has no running container after 10 s")
    time.sleep(0.5)            # let every monitor settle into its loop
    res = {"ward": [], "lxc": [], "crun": []}
    for n in [x for x in a.ward_names.split(",") if x]:
        pid = ward_pid(a.ward, n)
        m = monitor_of("ward", pid)
        res["ward"].append({"name": n, "init": pid, "monitor": m, **mem(m)})
    for n in [x for x in a.lxc_names.split(",") if x]:
        pid = lxc_pid(a.lxcpath, n)
        m = monitor_of("lxc", pid)
        res["lxc"].append({"name": n, "init": pid, "monitor": m, **mem(m)})
    for p in crun:
        res["crun"].append({"name": cmdline(p).split()[-1], "monitor": p, **mem(p)})
    for k, rows in res.items():
        if not rows:
            continue
        print(f"  {k:4}: {len(rows)} running; monitor VmRSS median "
              f"{statistics.median(r['VmRSS'] for r in rows)} kB, Pss median "
              f"{statistics.median(r['Pss'] for r in rows)} kB; sum VmRSS "
              f"{sum(r['VmRSS'] for r in rows)} kB, sum Pss {sum(r['Pss'] for r in rows)} kB")
    json.dump(res, open(a.out, "w"), indent=1)


def hf_rows(path):
    return json.load(open(path))["results"]


def cmd_summary(a):
    meta = json.load(open(a.meta))
    cycs = [json.load(open(c)) for c in a.cycle]
    att = json.load(open(a.attach))
    rss = json.load(open(a.rss))
    san = json.load(open(a.sanity))
    L = [f"## ward lifecycle vs LXC, {meta['date']}", "",
         f"Machine: {meta['machine']}. ward {meta['ward']}; {meta['versions']}. "
         f"State (ward's store and state, LXC's lxcpath and lock dir) on {meta['state']}.",
         "", "Container: busybox rootfs, `/bin/sleep 3600` as PID 1, no network device "
         "(ward `--net none`, LXC `lxc.net.0.type = empty`); stop is SIGKILL on both sides.",
         "", "### What each side ran (checked from outside)", "",
         "| | new namespaces | uid map | seccomp | caps | init's cgroup (beneath ours) | monitor's cgroup | left when stop returned |",
         "|---|---|---|---|---:|---|---|---|"]
    for k, s in san.items():
        left = s["after_stop"]
        lf = []
        if left["monitor_alive"]:
            lf.append("monitor still alive")
        if left["init_alive"]:
            lf.append("init still alive")
        if left["cgroups_left"]:
            lf.append(f"{len(left['cgroups_left'])} cgroup dirs")
        L.append(f"| {k} | {' '.join(s['new_ns'])} | {s['uid_map']} | "
                 f"{'filter' if s['seccomp'] == '2' else s['seccomp']} | {s['capeff_count']} | "
                 f"{s['container_cgroup']} ({len(s['container_cgroups'])} hierarchies) | "
                 f"{s['monitor_cgroup']} | {', '.join(lf) or 'nothing'} |")
    L += ["", f"### hyperfine ({meta['warmup']} warm-up, {meta['runs']} runs; lifecycle in shell "
          "mode with a `--prepare` that puts the container in the state the command needs; "
          "attach with -N)", "",
          "| command | median ms | mean ± σ ms | min / max ms | user+sys ms (mean) |",
          "|---|---:|---:|---:|---:|"]
    for path in a.hyperfine:
        for r in hf_rows(path):
            L.append(f"| {r['command']} | {r['median'] * 1e3:.1f} | {r['mean'] * 1e3:.1f} ± "
                     f"{r['stddev'] * 1e3:.1f} | {r['min'] * 1e3:.1f} / {r['max'] * 1e3:.1f} | "
                     f"{(r['user'] + r['system']) * 1e3:.1f} |")
    L += ["", "### paired ratios ward/LXC (median of per-pair ratios of wall time)", "",
          "| what | pass | pairs | median ratio | IQR | min / max | ward / LXC median ms | "
          "ward / LXC IQR ms | CPU ward / LXC ms | CPU ratio |",
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def side(s, step, x, kind=""):
        if step == "cycle":
            return s[f"{x}_start{kind}_ms"] + s[f"{x}_stop{kind}_ms"]
        return s[f"{x}_{step}{kind}_ms"]

    pooled = {}
    for step in ("start", "stop", "cycle"):
        name = step if step != "cycle" else "start+stop"
        for i, cyc in enumerate(cycs, 1):
            r = cyc[step]
            L.append(f"| {name} | {i} | {cyc['pairs']} | "
                     f"**{r['ratio']['median']:.2f}** | {r['ratio']['q1']:.2f}–{r['ratio']['q3']:.2f} | "
                     f"{r['ratio']['min']:.2f} / {r['ratio']['max']:.2f} | "
                     f"{r['a_ms']['median']:.1f} / {r['b_ms']['median']:.1f} | "
                     f"{r['a_ms']['q1']:.1f}–{r['a_ms']['q3']:.1f} / {r['b_ms']['q1']:.1f}–{r['b_ms']['q3']:.1f} | "
                     f"{r['a_cpu_ms']:.1f} / {r['b_cpu_ms']:.1f} | {r['cpu_ratio_median']:.2f} |")
        ss = [s for c in cycs for s in c["samples"]]
        ratios = [side(s, step, "a") / side(s, step, "b") for s in ss]
        q1, q3 = quartiles(ratios)
        pooled[step] = statistics.median(ratios)
        L.append(f"| {name} | pooled | {len(ss)} | **{pooled[step]:.2f}** | {q1:.2f}–{q3:.2f} | "
                 f"{min(ratios):.2f} / {max(ratios):.2f} | "
                 f"{statistics.median(side(s, step, 'a') for s in ss):.1f} / "
                 f"{statistics.median(side(s, step, 'b') for s in ss):.1f} | | "
                 f"{statistics.median(side(s, step, 'a', '_cpu') for s in ss):.1f} / "
                 f"{statistics.median(side(s, step, 'b', '_cpu') for s in ss):.1f} | |")
    L.append(f"| attach | 1 | {att['pairs']} | **{att['ratio_median']:.2f}** | "
             f"{att['ratio_q1']:.2f}–{att['ratio_q3']:.2f} | {att['ratio_min']:.2f} / "
             f"{att['ratio_max']:.2f} | {att['a_median_ms']:.1f} / {att['b_median_ms']:.1f} | | "
             f"{att['a_cpu_median_ms']:.1f} / {att['b_cpu_median_ms']:.1f} | "
             f"{(att['cpu_ratio_median'] or 0):.2f} |")
    idle = json.load(open(a.idle))
    L += ["", "### start alone: back to back, and after 50 ms idle (median ms, IQR)", "",
          "| runtime | start right after its own stop | start after 50 ms idle |", "|---|---:|---:|"]
    for k in ("ward", "lxc"):
        z, g = idle[f"{k}/0"], idle[f"{k}/50"]
        L.append(f"| {k} | {z['median']:.1f} ({z['q1']:.1f}–{z['q3']:.1f}) | "
                 f"{g['median']:.1f} ({g['q1']:.1f}–{g['q3']:.1f}) |")
    L += ["", "### memory of what stays with a running container", "",
          "| | process | n | VmRSS median kB | Pss median kB | private median kB | sum VmRSS kB | sum Pss kB |",
          "|---|---|---:|---:|---:|---:|---:|---:|"]
    proc = {"ward": "ward-monitor", "lxc": "[lxc monitor]", "crun": "crun run (foreground)"}
    for k in ("ward", "lxc", "crun"):
        rows = rss.get(k) or []
        if not rows:
            continue
        L.append(f"| {k} | {proc[k]} | {len(rows)} | "
                 f"{statistics.median(r['VmRSS'] for r in rows):.0f} | "
                 f"{statistics.median(r['Pss'] for r in rows):.0f} | "
                 f"{statistics.median(r['Private'] for r in rows):.0f} | "
                 f"{sum(r['VmRSS'] for r in rows)} | {sum(r['Pss'] for r in rows)} |")
    w1 = rss["ward"][0]["VmRSS"]
    l1 = rss["lxc"][0]["VmRSS"]
    L += ["", "### ratios and target", "",
          f"- start+stop ward/LXC (pooled over {len(cycs)} passes): **{pooled['cycle']:.2f}** "
          f"(start {pooled['start']:.2f}, stop {pooled['stop']:.2f})",
          f"- attach ward/LXC: **{att['ratio_median']:.2f}**",
          f"- monitor VmRSS ward/LXC: **{w1 / l1:.2f}** ({w1} / {l1} kB; over "
          f"{len(rss['ward'])} containers {sum(r['VmRSS'] for r in rss['ward'])} / "
          f"{sum(r['VmRSS'] for r in rss['lxc'])} kB)",
          f"- target monitor RSS ≤ 1 MB (1024 kB): {w1} kB, "
          f"**{'met' if w1 <= 1024 else 'NOT met'}**", ""]
    text = "\n".join(L)
    print(text)
    open(a.out, "w").write(text)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="verb", required=True)
    p = sub.add_parser("cycle")
    p.add_argument("--pairs", type=int, default=40)
    p.add_argument("--out", required=True)
    for x in ("name_a", "start_a", "stop_a", "name_b", "start_b", "stop_b"):
        p.add_argument(x)
    p = sub.add_parser("idle")
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--out", required=True)
    for x in ("name_a", "start_a", "stop_a", "name_b", "start_b", "stop_b"):
        p.add_argument(x)
    p = sub.add_parser("sanity")
    p.add_argument("--ward", required=True); p.add_argument("--lxcpath", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("ward_name"); p.add_argument("lxc_name")
    p = sub.add_parser("rss")
    p.add_argument("--ward", required=True); p.add_argument("--lxcpath", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--ward-names", required=True); p.add_argument("--lxc-names", required=True)
    p.add_argument("--crun-pids", default="")
    p = sub.add_parser("summary")
    p.add_argument("--meta", required=True); p.add_argument("--out", required=True)
    p.add_argument("--hyperfine", nargs="+", required=True)
    p.add_argument("--cycle", nargs="+", required=True); p.add_argument("--attach", required=True)
    p.add_argument("--rss", required=True); p.add_argument("--sanity", required=True)
    p.add_argument("--idle", required=True)
    a = ap.parse_args()
    {"cycle": cmd_cycle, "idle": cmd_idle, "sanity": cmd_sanity, "rss": cmd_rss, "summary": cmd_summary}[a.verb](a)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
PYEOF

ward_rev=$(git -C "$HERE/.." describe --always --dirty 2>/dev/null || echo unknown)
ward_built=$(date -r "$WARD_SRC" '+%Y-%m-%d %H:%M')
crun_v=$(command -v crun >/dev/null && crun --version | head -n1 || echo "crun not used")
python3 - "$BT/meta.json" <<EOF
import json, sys
json.dump({
 "date": "$(date -u '+%Y-%m-%d %H:%M UTC')",
 "machine": "$(nproc) vCPU, $(awk '/MemTotal/{printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo), kernel $(uname -r)",
 "ward": "tree $ward_rev, binary built $ward_built, sha256 $(sha256sum "$BT/ward" | cut -c1-12), ward-monitor $(stat -c %s "$BT/ward-monitor") bytes",
 "state": "$( [ "${STATE_TMPFS:-1}" = 1 ] && echo "a private tmpfs" || echo "the root disk (ext4)")",
 "versions": "LXC $(lxc-start --version); $crun_v; $(hyperfine --version)",
 "runs": $RUNS, "warmup": $WARMUP, "pairs": $PAIRS,
}, open(sys.argv[1], "w"), indent=1)
EOF

echo "ward:    $WARD_SRC (copied to $BT/ward; $ward_rev, built $ward_built)"
echo "monitor: $MON_SRC (copied to $BT/ward-monitor)"
echo "cgroups: ward and LXC beneath our own cgroup in every hierarchy (names $PFX*)"
echo "temp:    $BT"

set +e
unshare -m --propagation private -- "$BASH" "$0" --inner 9<&-
rc=$?
set -e
exit "$rc"
