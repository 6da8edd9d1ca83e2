#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/oci.sh: ward-oci against crun on one OCI bundle (busybox, /bin/true).
#
#   1. `run` (create + start + wait + delete in one command), paired;
#   2. `create` + `start` as two commands, paired, timed each and together,
#      with the wait and the `delete` timed as well (a subreaper reaps the
#      container, as conmon or the containerd shim does);
#   3. optionally (PODMAN=1, the default) `podman run --rm` with
#      `--runtime ward-oci` against `--runtime crun`, end to end, through
#      /work/shared/tools/real-clients.sh --time N --pair (its sandbox:
#      private mount, pid and net namespaces; see real-clients.md).
#
# Runs as root.  The binary is $WARD_OCI, or ../build/src/cli/ward-oci next
# to this script; it is copied (as a file named ward-oci: the name selects
# the face) so that a rebuild during the run does not change what is
# measured.
#
# Knobs: PAIRS (pairs per pass, 100), PASSES (2), OUT (bench/out), STRIP
# (1: the copy is stripped, as a package installs it; 0: as built),
# STATE_TMPFS (1: both runtimes' --root on a private tmpfs), CRUN_CGROUPS
# (1; 0: crun --cgroup-manager=disabled, no cgroup work), PODMAN (1),
# PODMAN_RUNS (20, per runtime), REAL_CLIENTS (the tool's path).
#
# Like start.sh, parts 1 and 2 run inside `unshare -m --propagation
# private`, where the hybrid layout's cgroup2 mount (which crun 1.8 refuses)
# is replaced by a small private tmpfs; both runtimes then see pure cgroup
# v1 and get the same config.json, whose cgroupsPath lies beneath this
# script's own cgroup in every hierarchy.  Cgroups are removed at the end,
# also on Ctrl-C.  Nothing touches the root network namespace.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY="$HERE/paired.py"

ME=oci.sh
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# ---------------------------------------------------------------- cgroups --

cgroup_sweep() {
	local mp self key d
	[ -s "$BT/cgpaths" ] || return 0
	while IFS=$'\t' read -r mp self key; do
		cg_kill_rmdir "$mp$BENCH_CG"
	done <"$BT/cgpaths"
	remove_new_cgroups
	return 0
}

# The create+start driver: a subreaper, like conmon and the containerd shim.
# For each pair it runs, for ward-oci then crun (or the other way round on
# odd pairs, so that neither always follows the other):
#   create --bundle B --pid-file F ID   (timed)
#   start ID                            (timed)
#   wait for the container's process    (timed: start returns before it ends)
#   delete ID                           (timed)
# Wall time fork-to-reap; CPU is the user+sys of the runtime processes
# (getrusage(RUSAGE_CHILDREN) deltas, which include the container's /bin/true
# on both sides).
write_driver() {
	cat >"$1" <<'EOF'
import ctypes, json, os, resource, statistics, subprocess, sys, time
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)   # PR_SET_CHILD_SUBREAPER
pairs, out, tmp = int(sys.argv[1]), sys.argv[2], sys.argv[3]
sides = json.loads(sys.argv[4])          # [[name, [argv prefix]], ...] with {bundle}
bundle = sys.argv[5]
null = os.open("/dev/null", os.O_RDWR)

def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r.ru_utime + r.ru_stime) * 1e3

def call(argv):
    errf = os.path.join(tmp, "err")
    with open(errf, "w+") as err:
        t0 = time.perf_counter_ns()
        p = subprocess.Popen(argv, stdin=null, stdout=null, stderr=err)
        while True:                       # reap it, and any container it orphaned
            got, st = os.waitpid(-1, 0)
            if got == p.pid:
                break
            reaped[got] = (time.perf_counter_ns(), st)
        t1 = time.perf_counter_ns()
        p.returncode = os.waitstatus_to_exitcode(st)
        if p.returncode:
            err.seek(0)
            sys.exit(f"failed (exit {p.returncode}): {' '.join(argv)}\n{err.read()}")
    return (t1 - t0) / 1e6

def cycle(prefix, cid):
    pidf = os.path.join(tmp, cid + ".pid")
    c0 = cpu()
    t_create = call(prefix + ["create", "--bundle", bundle, "--pid-file", pidf, cid])
    pid = int(open(pidf).read())
    t_start = call(prefix + ["start", cid])
    t0 = time.perf_counter_ns()
    if pid not in reaped:
        while True:
            got, st = os.waitpid(-1, 0)
            reaped[got] = (time.perf_counter_ns(), st)
            if got == pid:
                break
    t_wait = (time.perf_counter_ns() - t0) / 1e6
    st = reaped.pop(pid)[1]
    if os.waitstatus_to_exitcode(st) != 0:
        sys.exit(f"{cid}: the container exited {os.waitstatus_to_exitcode(st)}")
    t_delete = call(prefix + ["delete", cid])
    os.unlink(pidf)
    return {"create": t_create, "start": t_start, "wait": t_wait, "delete": t_delete,
            "create+start": t_create + t_start,
            "all": t_create + t_start + t_wait + t_delete, "cpu": cpu() - c0}

reaped = {}
n = os.getpid() * 1000
samples = []
for i in range(pairs + 3):
    n += 1
    order = sides if i % 2 == 0 else sides[::-1]
    got = {name: cycle(prefix, f"{name[0]}{n}") for name, prefix in order}
    if i >= 3:                            # 3 warm-up pairs
        samples.append(got)
a, b = sides[0][0], sides[1][0]
res = {"a": a, "b": b, "pairs": pairs, "samples": samples, "ratio": {}, "median_ms": {}}
def q(xs):
    xs = sorted(xs); k = len(xs)
    return xs[k // 4], xs[(3 * k) // 4]
print(f"  {a}/{b}, {pairs} pairs (order alternating):")
for key in ("create", "start", "create+start", "wait", "delete", "all", "cpu"):
    r = [s[a][key] / s[b][key] for s in samples if s[b][key] > 0]
    ma = statistics.median(s[a][key] for s in samples)
    mb = statistics.median(s[b][key] for s in samples)
    q1, q3 = q(r)
    res["ratio"][key] = {"median": statistics.median(r), "q1": q1, "q3": q3}
    res["median_ms"][key] = [ma, mb]
    print(f"    {key:13s} ratio {statistics.median(r):.2f} (IQR {q1:.2f}-{q3:.2f}); "
          f"medians {ma:.1f} / {mb:.1f} ms")
json.dump(res, open(out, "w"), indent=1)
EOF
}

# ================================================================== inner ==
if [ "${1:-}" = --inner ]; then
	if [ "$(findmnt -n -o FSTYPE /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2 ] &&
		grep -q ' - cgroup ' /proc/self/mountinfo; then
		umount /sys/fs/cgroup/unified
		mount -t tmpfs -o size=64k,mode=755,nosuid,nodev,noexec bench-unified /sys/fs/cgroup/unified
	fi

	inner_cleanup() {
		local id
		trap - EXIT INT TERM HUP
		set +e
		if [ -d "$STATE/crun" ]; then
			for id in $(crun --root "$STATE/crun" list -q 2>/dev/null); do
				crun --root "$STATE/crun" delete -f "$id" >/dev/null 2>&1 || true
			done
		fi
		if [ -d "$STATE/ward" ]; then
			for id in $("$W" --root "$STATE/ward" list -q 2>/dev/null); do
				"$W" --root "$STATE/ward" delete --force "$id" >/dev/null 2>&1 || true
			done
		fi
		cgroup_sweep
	}
	STATE="$BT/state"
	W="$BT/ward-oci"
	trap inner_cleanup EXIT
	trap 'exit 130' INT TERM HUP

	ROOTFS="$BT/rootfs"
	BUNDLE="$BT/bundle"
	mkdir -p "$STATE"
	if [ "${STATE_TMPFS:-1}" = 1 ]; then
		mount -t tmpfs -o size=64m,mode=755,nosuid,nodev bench-state "$STATE"
	fi
	mkdir -p "$STATE/ward" "$STATE/crun"

	# ---- busybox rootfs (as start.sh builds it)
	busybox_rootfs "$ROOTFS"

	# ---- one bundle for both: `crun spec`, edited as start.sh edits it
	mkdir -p "$BUNDLE"
	(cd "$BUNDLE" && crun spec)
	swap=""
	[ -e "$MEMCG_MOUNT/memory.memsw.limit_in_bytes" ] && swap=1
	python3 "$PY" bundle "$BUNDLE" "$ROOTFS" "$BENCH_CG" "$swap"

	CRUN="crun --root $STATE/crun"
	# CRUN_CGROUPS=0: crun does no cgroup work at all (as lifecycle.sh ran
	# it); ward-oci still does what config.json says
	[ "${CRUN_CGROUPS:-1}" = 1 ] || CRUN="$CRUN --cgroup-manager=disabled"
	R_WARD="$W --root $STATE/ward run --bundle $BUNDLE w{n}"
	R_CRUN="$CRUN run --bundle $BUNDLE c{n}"

	say "sanity: one run of each"
	for c in "${R_WARD//\{n\}/0}" "${R_CRUN//\{n\}/0}"; do
		echo "  \$ $c"
		if ! err=$($c 2>&1 </dev/null); then
			echo "$err" >&2
			die "this command failed; nothing was measured"
		fi
		[ -z "$err" ] || echo "$err" | sed 's/^/    /'
	done

	say "run (create+start+wait+delete in one command): ${PASSES} x ${PAIRS} pairs"
	runs=()
	for p in $(seq 1 "$PASSES"); do
		python3 "$PY" pairs --pairs "$PAIRS" --out "$OUT/oci-run-$p.json" \
			ward-oci "$R_WARD" crun "$R_CRUN"
		runs+=("$OUT/oci-run-$p.json")
	done

	say "create + start (+ wait + delete), a subreaper reaping: ${PASSES} x ${PAIRS} pairs"
	write_driver "$BT/driver.py"
	mkdir -p "$BT/drv"
	sides=$(python3 -c 'import json,sys; print(json.dumps([["ward-oci",[sys.argv[1],"--root",sys.argv[2]+"/ward"]],["crun",sys.argv[3].split()]]))' "$W" "$STATE" "$CRUN")
	cs=()
	for p in $(seq 1 "$PASSES"); do
		python3 "$BT/driver.py" "$PAIRS" "$OUT/oci-create-start-$p.json" "$BT/drv" "$sides" "$BUNDLE"
		cs+=("$OUT/oci-create-start-$p.json")
	done

	python3 - "$OUT/oci-summary.md" "$BT/meta.json" "${runs[@]}" -- "${cs[@]}" <<'EOF'
import json, statistics, sys
out, meta = sys.argv[1], json.load(open(sys.argv[2]))
i = sys.argv.index("--")
runs, cs = sys.argv[3:i], sys.argv[i + 1:]
L = [f"date {meta['date']}; {meta['machine']}", f"ward-oci: {meta['ward']}",
     f"{meta['versions']}; state on {meta['state']}", "",
     "| what | pass | median ratio ward-oci/crun | IQR | ward-oci / crun median ms |",
     "|---|---:|---:|---:|---:|"]
pool = []
for k, f in enumerate(runs, 1):
    d = json.load(open(f))
    pool += [s["a_ms"] / s["b_ms"] for s in d["samples"]]
    L.append(f"| run | {k} | {d['ratio_median']:.2f} | {d['ratio_q1']:.2f}-{d['ratio_q3']:.2f} "
             f"| {d['a_median_ms']:.1f} / {d['b_median_ms']:.1f} |")
L.append(f"| run | pooled | **{statistics.median(pool):.2f}** | | |")
for key in ("create", "start", "create+start", "wait", "delete", "all", "cpu"):
    pool = []
    for k, f in enumerate(cs, 1):
        d = json.load(open(f))
        r = d["ratio"][key]
        pool += [s["ward-oci"][key] / s["crun"][key] for s in d["samples"] if s["crun"][key] > 0]
        ma, mb = d["median_ms"][key]
        L.append(f"| {key} | {k} | {r['median']:.2f} | {r['q1']:.2f}-{r['q3']:.2f} | {ma:.1f} / {mb:.1f} |")
    L.append(f"| {key} | pooled | **{statistics.median(pool):.2f}** | | |")
open(out, "w").write("\n".join(L) + "\n")
print("\n".join(L))
EOF
	exit 0
fi

# ================================================================== outer ==
[ "$(id -u)" = 0 ] || die "run as root"
for t in unshare findmnt python3 mktemp crun busybox; do
	command -v "$t" >/dev/null || die "missing $t"
done
ldd "$(command -v busybox)" >/dev/null 2>&1 && die "busybox must be static (busybox-static)"

SRC=${WARD_OCI:-$HERE/../build/src/cli/ward-oci}
[ -x "$SRC" ] || die "no ward-oci binary at $SRC (build it, or set WARD_OCI)"
SRC=$(realpath "$SRC")        # ward-oci is a hard link to ward: the copy is named ward-oci

export PAIRS=${PAIRS:-100} PASSES=${PASSES:-2}
export OUT=${OUT:-$HERE/out}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")

BT=$(mktemp -d /tmp/ward-bench-oci.XXXXXX)
export BT
case "$BT$OUT" in *[[:space:]\'\"\\]*) die "paths must not contain spaces or quotes";; esac
chmod 755 "$BT"

outer_cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	set +e
	cgroup_sweep
	rm -rf --one-file-system "$BT"
	exit "$rc"
}
trap outer_cleanup EXIT
trap 'exit 130' INT TERM HUP

cp "$SRC" "$BT/ward-oci"
# STRIP=1 (default): measure the binary as a package installs it (crun from
# Debian is stripped).  It matters here: with no user namespace in
# config.json, ward-oci copies itself into a sealed memfd and re-executes
# (CVE-2019-5736), and the build tree's binary is 3x larger with -g.
if [ "${STRIP:-1}" = 1 ]; then
	command -v strip >/dev/null || die "STRIP=1 needs strip (binutils), or set STRIP=0"
	strip "$BT/ward-oci"
fi

python3 "$PY" cgpaths >"$BT/cgpaths.all"
if grep -q $'\tcgroup2$' "$BT/cgpaths.all" && grep -qv $'\tcgroup2$' "$BT/cgpaths.all"; then
	grep -v $'\tcgroup2$' "$BT/cgpaths.all" >"$BT/cgpaths" || true
	LAYOUT="hybrid, the cgroup2 mount hidden in the benchmark's mount namespace (both runtimes see pure v1)"
else
	cp "$BT/cgpaths.all" "$BT/cgpaths"
	LAYOUT=$(grep -q $'\tcgroup2$' "$BT/cgpaths" && echo "cgroup v2" || echo "cgroup v1")
fi

# One cgroupsPath for both runtimes (they never run at the same time), beneath
# our memory (or cgroup2) cgroup, and so beneath us in every hierarchy here.
bench_cgroup_beneath_us BENCH_CG bench-oci

rev=$(git -C "$HERE/.." describe --always --dirty 2>/dev/null || echo unknown)
built=$(date -r "$SRC" '+%Y-%m-%d %H:%M')
python3 - "$BT/meta.json" <<EOF
import json, sys
json.dump({
 "date": "$(date -u '+%Y-%m-%d %H:%M UTC')",
 "machine": "$(nproc) vCPU, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), cgroups: $LAYOUT",
 "ward": "tree $rev, binary built $built, $( [ "${STRIP:-1}" = 1 ] && echo stripped || echo "not stripped") ($(stat -c %s "$BT/ward-oci") bytes), sha256 $(sha256sum "$BT/ward-oci" | cut -c1-12)",
 "state": "$( [ "${STATE_TMPFS:-1}" = 1 ] && echo "a private tmpfs" || echo "the root disk")",
 "versions": "$(crun --version | head -n1)$( [ "${CRUN_CGROUPS:-1}" = 1 ] || echo ", crun with --cgroup-manager=disabled")",
}, open(sys.argv[1], "w"))
EOF

echo "ward-oci: $SRC (copied; $rev, built $built)"
echo "layout:   $LAYOUT"
echo "cgroups:  both runtimes at $BENCH_CG"
echo "temp:     $BT"

set +e
unshare -m --propagation private -- "$BASH" "$0" --inner
rc=$?
set -e
[ "$rc" = 0 ] || exit "$rc"

if [ "${PODMAN:-1}" = 1 ]; then
	RC=${REAL_CLIENTS:-/work/shared/tools/real-clients.sh}
	say "podman run --rm (and ctr run --rm) end to end, paired: $RC --time ${PODMAN_RUNS:-20} --pair crun ward-oci"
	if [ -x "$RC" ]; then
		# from the temp dir: the tool leaves a stray empty file named
		# "oom" in its working directory
		(cd "$BT" && "$RC" --time "${PODMAN_RUNS:-20}" --pair "$(command -v crun)" \
			"$BT/ward-oci" >"$OUT/oci-podman.txt" 2>&1) || true
		grep -E '^(FAIL|time|[0-9]+ passed)' "$OUT/oci-podman.txt" || true
		# the tool times the clients whatever its checks said: a runtime
		# that fails `podman run` would be timed failing
		for c in podman ctr; do
			if grep -q "^FAIL $c-run-true" "$OUT/oci-podman.txt"; then
				echo "oci.sh: $c cannot run a container with ward-oci here; its end-to-end figure is not valid" >&2
			fi
		done
		grep -q "timing: .* failed" "$OUT/oci-podman.txt" &&
			echo "oci.sh: some timed runs failed (see $OUT/oci-podman.txt)" >&2
	else
		echo "oci.sh: $RC not found; end-to-end part skipped" >&2
	fi
fi
exit 0
