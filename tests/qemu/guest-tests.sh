#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# guest-tests.sh: ward's cgroup v2 tests, run by the QEMU guest's init
# (busybox sh) on a cgroup2-only hierarchy.  Prints TAP on the console:
#   ok N - NAME
#   not ok N - NAME # reason
#   ok N - NAME # SKIP reason
# and WARD-QEMU-DONE when it is through.  tests/qemu/run.sh boots the guest;
# tests/integration/test_cgroup_v2.py expects the names listed in TESTS.
#
# Every test asserts what the kernel does (the files of the container's
# cgroup, what the container observes, what was killed), and that nothing
# (cgroup directory, state directory) is left behind.
#
# shellcheck disable=SC2317  # the test_* functions are called through run_test

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
CG=/sys/fs/cgroup
PARENT=wardtest          # WARD_CGROUP_PARENT, relative to the hierarchy root
PDIR=$CG/$PARENT
STATE=/run/ward          # ward's default --root
T=/tmp/wardtest
RUN_TIMEOUT=60           # seconds a foreground ward run may take
TESTS="ward-runs v2-driver cgroup-namespace born-in-cgroup memory-max-written pids-max-written
memory-oom-kill pids-limit cpuset-cpus cpu-max cpu-weight io-weight device-program cleanup-after-exit
refused-cgroup-leaves-nothing refused-cgroup-removes-its-parent created-parent-removed
cpuset-outside-parent internal-process-rule cgroup-parent-self oci-cgroup-mount
oci-v1-keys-refused oci-update-enables-controller no-leftovers"

n=0
failed=0
why=

tap_ok() { n=$((n + 1)); echo "ok $n - $1"; }
tap_not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1 # $(printf '%s' "$2" | tr '\n#' ' _' | cut -c1-400)"
}
tap_skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# diagnostics: TAP comment lines
diag() { printf '%s\n' "$@" | sed 's/^/#   /'; }

# a test function returns 0 (pass), 1 (fail, $why says why) or 2 (skip, $why)
fail() { why=$*; return 1; }
run_test() {
	name=$1
	why=
	"test_$(echo "$name" | tr '-' '_')"
	case $? in
	0) tap_ok "$name" ;;
	2) tap_skip "$name" "$why" ;;
	*) tap_not_ok "$name" "${why:-failed}" ;;
	esac
}

one_line() { tr '\n' ' ' <"$1" | cut -c1-300; }

# ward $wglobal run NAME [ward-run options...] -- CMD...: output in
# $T/NAME.out, $T/NAME.err, status in $rc
wglobal=
wrun() {
	_n=$1
	shift
	timeout -s KILL "$RUN_TIMEOUT" ward $wglobal run --name "$_n" "$@" \
		>"$T/$_n.out" 2>"$T/$_n.err" </dev/null
	rc=$?
}

# what ward left of container NAME under the cgroup directory DIR
leftovers() {
	_l=
	for _d in "$2"/ward-*; do
		[ -d "$_d" ] && _l="$_l $_d"
	done
	[ -e "$STATE/$1" ] && _l="$_l $STATE/$1"
	echo "$_l"
}
# fail unless nothing of NAME is left under DIR (default $PDIR)
assert_clean() {
	_left=$(leftovers "$1" "${2:-$PDIR}")
	[ -z "$_left" ] || fail "left behind:$_left"
}

# start a container in the background: ward's PID in $bgpid
start_bg() {
	_n=$1
	shift
	ward run --name "$_n" "$@" >"$T/$_n.out" 2>"$T/$_n.err" </dev/null &
	bgpid=$!
}
# wait until container NAME runs (state "running"); its host PID in $cpid
wait_running() {
	_i=0
	cpid=
	while [ $_i -lt 300 ]; do
		if grep -q '"status": *"running"' "$STATE/$1/state.json" 2>/dev/null; then
			cpid=$(sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' "$STATE/$1/state.json")
			[ -n "$cpid" ] && return 0
		fi
		kill -0 "$bgpid" 2>/dev/null || break
		sleep 0.1
		_i=$((_i + 1))
	done
	wait "$bgpid"
	fail "container $1 did not start (ward exit $?): $(one_line "$T/$1.err")"
}
# kill the background container NAME through its cgroup and wait for ward
stop_bg() {
	echo 1 >"$PDIR/ward-$1/cgroup.kill" 2>/dev/null || kill -KILL "$cpid" 2>/dev/null
	wait "$bgpid"
	rc=$?
}
# the cgroup file FILE of the running container NAME, or FAIL
cgfile() { cat "$PDIR/ward-$1/$2" 2>/dev/null || echo "(cannot read $PDIR/ward-$1/$2)"; }

###########################################################################

test_ward_runs() {
	wrun runs -- wtest exit 7
	[ "$rc" = 7 ] || fail "ward run -- wtest exit 7: status $rc: $(one_line "$T/runs.err")" || return 1
	assert_clean runs
}

test_v2_driver() {
	ward --debug run --name drv -- wtest cat /proc/self/cgroup >"$T/drv.out" 2>"$T/drv.err" </dev/null
	rc=$?
	[ "$rc" = 0 ] || fail "status $rc: $(one_line "$T/drv.err")" || return 1
	grep -q "drv: cgroup $PDIR/ward-drv (v2 driver)" "$T/drv.err" ||
		fail "no 'cgroup $PDIR/ward-drv (v2 driver)' debug line: $(grep cgroup "$T/drv.err" | one_line /dev/stdin)" ||
		return 1
	assert_clean drv
}

test_cgroup_namespace() {
	wrun cgns -- wtest cat /proc/self/cgroup
	[ "$rc" = 0 ] || fail "status $rc: $(one_line "$T/cgns.err")" || return 1
	[ "$(cat "$T/cgns.out")" = "0::/" ] ||
		fail "/proc/self/cgroup in the container is '$(one_line "$T/cgns.out")', not '0::/'" || return 1
	assert_clean cgns
}

test_born_in_cgroup() {
	start_bg born --memory 64m --pids-limit 50 -- wtest sleep 30
	wait_running born || return 1
	_d=$PDIR/ward-born
	_err=
	[ -d "$_d" ] || _err="$_err; no $_d"
	grep -qx "$cpid" "$_d/cgroup.procs" 2>/dev/null ||
		_err="$_err; $_d/cgroup.procs holds '$(one_line "$_d/cgroup.procs" 2>/dev/null)', not the container's PID $cpid"
	_own=$(cat "/proc/$cpid/cgroup" 2>/dev/null)
	[ "$_own" = "0::/$PARENT/ward-born" ] ||
		_err="$_err; /proc/$cpid/cgroup is '$_own', not '0::/$PARENT/ward-born'"
	# the limits, for the two tests that follow
	born_memory_max=$(cgfile born memory.max)
	born_pids_max=$(cgfile born pids.max)
	born_swap_max=$(cgfile born memory.swap.max)
	born_oom_group=$(cgfile born memory.oom.group)
	stop_bg born
	[ "$rc" = 137 ] || _err="$_err; killed through cgroup.kill, ward exited $rc, not 137"
	[ -z "$_err" ] || fail "${_err#; }" || return 1
	assert_clean born
}

test_memory_max_written() {
	[ -n "$born_memory_max" ] || fail "born-in-cgroup did not run" || return 1
	[ "$born_memory_max" = 67108864 ] ||
		fail "--memory 64m: memory.max is '$born_memory_max', not 67108864" || return 1
	# no swap unless --memory-swap (only if this kernel accounts swap)
	case $born_swap_max in
	"(cannot read"*) ;;
	0) ;;
	*) fail "--memory without --memory-swap: memory.swap.max is '$born_swap_max', not 0"; return 1 ;;
	esac
	# an OOM kill takes the whole container
	[ "$born_oom_group" = 1 ] || fail "memory.oom.group is '$born_oom_group', not 1"
}

test_pids_max_written() {
	[ -n "$born_pids_max" ] || fail "born-in-cgroup did not run" || return 1
	[ "$born_pids_max" = 50 ] || fail "--pids-limit 50: pids.max is '$born_pids_max', not 50"
}

oom_kills() { sed -n 's/^oom_kill \([0-9]*\)/\1/p' "$PDIR/memory.events" 2>/dev/null; }

test_memory_oom_kill() {
	_before=$(oom_kills)
	wrun oom --memory 32m -- wtest hog 200
	_after=$(oom_kills)
	_err=
	[ "$rc" = 137 ] || _err="$_err; status $rc, not 137 (SIGKILL)"
	grep -q "out-of-memory" "$T/oom.err" ||
		_err="$_err; stderr does not mention the out-of-memory killer: '$(one_line "$T/oom.err")'"
	grep -q "allocated" "$T/oom.out" && _err="$_err; the hog allocated 200 MB under a 32 MB limit"
	# memory.events of the parent counts its descendants' OOM kills
	if [ -n "$_before" ] && [ -n "$_after" ]; then
		[ "$_after" -gt "$_before" ] ||
			_err="$_err; $PDIR/memory.events oom_kill stayed at $_after"
	else
		_err="$_err; cannot read oom_kill from $PDIR/memory.events"
	fi
	[ -z "$_err" ] || fail "${_err#; }" || return 1
	assert_clean oom
}

test_pids_limit() {
	wrun pids --pids-limit 20 -- wtest forks 100
	[ "$rc" = 0 ] || fail "status $rc: $(one_line "$T/pids.err")" || return 1
	_k=$(sed -n 's/^forked \([0-9]*\)$/\1/p' "$T/pids.out")
	[ -n "$_k" ] || fail "no 'forked N' line: '$(one_line "$T/pids.out")'" || return 1
	[ "$_k" -lt 20 ] || fail "--pids-limit 20: forked $_k children" || return 1
	[ "$_k" -gt 0 ] || fail "--pids-limit 20: not even one fork succeeded" || return 1
	assert_clean pids
}

test_cpuset_cpus() {
	[ "$(nproc --all 2>/dev/null || nproc)" -ge 2 ] || { why="the guest has one CPU (boot it with -smp 2)"; return 2; }
	wrun cpuset --cpuset-cpus 1 -- wtest cpus
	[ "$rc" = 0 ] || fail "status $rc: $(one_line "$T/cpuset.err")" || return 1
	[ "$(cat "$T/cpuset.out")" = 1 ] ||
		fail "--cpuset-cpus 1: the container may run on CPUs '$(one_line "$T/cpuset.out")'" || return 1
	wrun cpuset0 --cpuset-cpus 0 -- wtest cpus
	[ "$rc" = 0 ] && [ "$(cat "$T/cpuset0.out")" = 0 ] ||
		fail "--cpuset-cpus 0: status $rc, CPUs '$(one_line "$T/cpuset0.out")' $(one_line "$T/cpuset0.err")" ||
		return 1
	assert_clean cpuset
}

test_cpu_max() {
	start_bg cpumax --cpus 0.5 -- wtest sleep 30
	wait_running cpumax || return 1
	_v=$(cgfile cpumax cpu.max)
	stop_bg cpumax
	[ "$_v" = "50000 100000" ] || fail "--cpus 0.5: cpu.max is '$_v', not '50000 100000'" || return 1
	assert_clean cpumax
}

test_cpu_weight() {
	start_bg cpuw --cpu-weight 500 -- wtest sleep 30
	wait_running cpuw || return 1
	_v=$(cgfile cpuw cpu.weight)
	stop_bg cpuw
	[ "$_v" = 500 ] || fail "--cpu-weight 500: cpu.weight is '$_v'" || return 1
	assert_clean cpuw
}

test_io_weight() {
	# the parent is a child of the root, where io is enabled: it has
	# io.weight exactly when the kernel has io weight support
	if [ ! -e "$PDIR/io.weight" ]; then
		why="no io.weight: the guest's block layer has no io controller support"
		return 2
	fi
	start_bg iow --io-weight 300 -- wtest sleep 30
	wait_running iow || return 1
	_v=$(cgfile iow io.weight)
	stop_bg iow
	[ "$_v" = "default 300" ] || fail "--io-weight 300: io.weight is '$_v', not 'default 300'" || return 1
	assert_clean iow
}

# cgroup v2 has no devices.allow: ward attaches a BPF device program.  Root
# in a container without a user namespace, with CAP_MKNOD, makes /dev/kmsg's
# node (1:11): creating or opening it must be refused, /dev/zero still works.
test_device_program() {
	wrun devs --userns host --cap-add MKNOD -- /bin/sh -c \
		'if mknod /dev/k c 1 11 2>/dev/null; then { (exec 3>/dev/k) 2>/dev/null && echo OPENED || echo DENIED; }; else echo NO-MKNOD; fi; head -c 1 /dev/zero | wc -c'
	_out=$(tr '\n' ' ' <"$T/devs.out")
	[ "$rc" = 0 ] || fail "status $rc ($(one_line "$T/devs.err"))" || return 1
	case $_out in
	"NO-MKNOD 1 " | "DENIED 1 ") ;;
	*) fail "the container reached /dev/kmsg or lost /dev/zero: '$_out'" || return 1 ;;
	esac
	diag "mknod/open of 1:11 and a read of /dev/zero: $_out"
	assert_clean devs
}

test_cleanup_after_exit() {
	_err=
	# (a PID 1 cannot signal itself to death: the raises run under --init)
	for _c in "exit 0:0" "exit 3:3" "--init raise 9:137" "--init raise 15:143"; do
		_cmd=${_c%:*}
		_want=${_c#*:}
		_init=
		case $_cmd in --init*) _init=--init; _cmd=${_cmd#--init } ;; esac
		wrun clean $_init --memory 64m --pids-limit 30 --cpus 1 -- wtest $_cmd
		[ "$rc" = "$_want" ] || _err="$_err; wtest $_cmd: status $rc, not $_want ($(one_line "$T/clean.err"))"
		_left=$(leftovers clean "$PDIR")
		[ -z "$_left" ] || _err="$_err; after wtest $_cmd:$_left left"
	done
	# killed from outside, with stray processes in the container
	start_bg clean2 --init -- /bin/sh -c 'sleep 300 & sleep 300 & wtest sleep 300'
	if wait_running clean2; then
		sleep 0.3
		kill -TERM "$bgpid"
		wait "$bgpid"
		rc=$?
		diag "SIGTERM to ward (--init, stray processes): ward exited $rc"
		[ "$rc" != 125 ] || _err="$_err; SIGTERM to ward: status 125 ($(one_line "$T/clean2.err"))"
		_left=$(leftovers clean2 "$PDIR")
		[ -z "$_left" ] || _err="$_err; after SIGTERM to ward:$_left left"
	else
		_err="$_err; $why"
	fi
	[ -z "$_err" ] || fail "${_err#; }"
}

# Limits the kernel refuses.  cgroup v2 accepts every limit ward's options
# can express once ward has validated them (any online CPU in cpuset.cpus,
# even outside the parent's: see cpuset-outside-parent; any memory.max,
# pids.max, cpu.max, weights), so the refusal here is of the cgroup itself:
# the parent's cgroup.max.descendants / cgroup.max.depth, set by the
# delegating side, make mkdir fail with EAGAIN.
LDIR=$CG/wardtest-limited
test_refused_cgroup_leaves_nothing() {
	mkdir -p "$LDIR"
	echo 0 >"$LDIR/cgroup.max.descendants"
	wglobal="--cgroup-parent ${LDIR#"$CG"/}"
	wrun refused --memory 64m --cpuset-cpus 1 -- wtest exit 0
	wglobal=
	_err=
	[ "$rc" = 125 ] || _err="$_err; status $rc, not 125"
	_lines=$(wc -l <"$T/refused.err")
	[ "$_lines" = 1 ] || _err="$_err; $_lines lines on stderr"
	grep -q "refused" "$T/refused.err" || _err="$_err; the message does not name the container"
	grep -q "ward-refused" "$T/refused.err" || _err="$_err; the message does not name the cgroup"
	_left=$(leftovers refused "$LDIR")
	[ -z "$_left" ] || _err="$_err; left behind:$_left"
	rmdir "$LDIR"
	[ -z "$_err" ] || fail "${_err#; }: $(one_line "$T/refused.err")"
}

test_refused_cgroup_removes_its_parent() {
	# --cgroup-parent LDIR/sub: ward creates sub itself (depth 1), then
	# the kernel refuses sub/ward-NAME (depth 2 > cgroup.max.depth 1);
	# ward must remove the parent it made as well
	mkdir -p "$LDIR"
	echo 1 >"$LDIR/cgroup.max.depth"
	wglobal="--cgroup-parent ${LDIR#"$CG"/}/sub"
	wrun deep --memory 64m -- wtest exit 0
	wglobal=
	_err=
	[ "$rc" = 125 ] || _err="$_err; status $rc, not 125"
	_lines=$(wc -l <"$T/deep.err")
	[ "$_lines" = 1 ] || _err="$_err; $_lines lines on stderr"
	grep -q "deep" "$T/deep.err" || _err="$_err; the message does not name the container"
	[ -d "$LDIR/sub" ] && _err="$_err; the parent cgroup $LDIR/sub that ward created is left behind"
	[ -e "$STATE/deep" ] && _err="$_err; left behind: $STATE/deep"
	rmdir "$LDIR/sub" 2>/dev/null
	rmdir "$LDIR"
	[ -z "$_err" ] || fail "${_err#; }: $(one_line "$T/deep.err")"
}

test_created_parent_removed() {
	# a parent that does not exist yet: ward creates it and removes it
	# with the last container
	rmdir "$CG/wardtest-new" 2>/dev/null
	wglobal="--cgroup-parent wardtest-new"
	wrun newparent --memory 64m -- wtest cat /proc/self/cgroup
	wglobal=
	_err=
	[ "$rc" = 0 ] || _err="$_err; status $rc"
	[ "$(cat "$T/newparent.out")" = "0::/" ] || _err="$_err; /proc/self/cgroup is '$(one_line "$T/newparent.out")'"
	[ -d "$CG/wardtest-new" ] && _err="$_err; $CG/wardtest-new is left behind (holding:$(leftovers newparent "$CG/wardtest-new"))"
	[ -e "$STATE/newparent" ] && _err="$_err; left behind: $STATE/newparent"
	[ -z "$_err" ] || fail "${_err#; }: $(one_line "$T/newparent.err")"
}

CSDIR=$CG/wardtest-cs
test_cpuset_outside_parent() {
	# cgroup v2 accepts a cpuset.cpus outside the parent's (unlike v1),
	# and confines the cgroup to the parent's CPUs.  ward may refuse
	# (status 125, nothing left) or run the container; either way it
	# must never run on a CPU the parent does not have.
	mkdir -p "$CSDIR"
	echo 0 >"$CSDIR/cpuset.cpus"
	wglobal="--cgroup-parent ${CSDIR#"$CG"/}"
	wrun outside --cpuset-cpus 1 -- wtest cpus
	wglobal=
	diag "parent cpuset.cpus 0, --cpuset-cpus 1: ward status $rc, container CPUs '$(one_line "$T/outside.out")', stderr '$(one_line "$T/outside.err")'"
	case $rc in
	0) [ "$(cat "$T/outside.out")" = 0 ] ||
		fail "the container runs on CPUs '$(one_line "$T/outside.out")' although its parent has only CPU 0" ||
		return 1 ;;
	125) grep -q cpuset "$T/outside.err" || fail "status 125 without naming cpuset: $(one_line "$T/outside.err")" ||
		return 1 ;;
	*) fail "status $rc: $(one_line "$T/outside.err")"; return 1 ;;
	esac
	assert_clean outside "$CSDIR" || return 1
	rmdir "$CSDIR"
}

BUSY=$CG/wardtest-busy
test_internal_process_rule() {
	# a parent that holds a process and has no controllers enabled: v2's
	# no-internal-process rule forbids enabling memory for its children
	mkdir -p "$BUSY"
	sleep 600 &
	_sleeper=$!
	echo "$_sleeper" >"$BUSY/cgroup.procs"
	wglobal="--cgroup-parent ${BUSY#"$CG"/}"
	wrun busy --memory 32m -- wtest exit 0
	wglobal=
	_err=
	[ "$rc" = 125 ] || _err="$_err; status $rc, not 125"
	_lines=$(wc -l <"$T/busy.err")
	[ "$_lines" = 1 ] || _err="$_err; $_lines lines on stderr"
	grep -q "holds processes" "$T/busy.err" || _err="$_err; the message does not say the parent holds processes"
	grep -q "busy" "$T/busy.err" || _err="$_err; the message does not name the container"
	_left=$(leftovers busy "$BUSY")
	[ -z "$_left" ] || _err="$_err; left behind:$_left"
	[ -z "$(cat "$BUSY/cgroup.subtree_control")" ] ||
		_err="$_err; $BUSY/cgroup.subtree_control now '$(cat "$BUSY/cgroup.subtree_control")'"
	grep -qx "$_sleeper" "$BUSY/cgroup.procs" || _err="$_err; the parent's process was moved"
	kill "$_sleeper"
	wait "$_sleeper" 2>/dev/null
	rmdir "$BUSY"
	[ -z "$_err" ] || fail "${_err#; }: $(one_line "$T/busy.err")"
}

test_cgroup_parent_self() {
	# the test shell sits in the leaf $SHELLCG: a v2 cgroup with processes
	# cannot have children with controllers, so ward either manages or
	# says so clearly; nothing may be left behind either way
	_sc_before=$(cat "$SHELLCG/cgroup.subtree_control")
	ward --cgroup-parent self run --name self -- wtest cat /proc/self/cgroup \
		>"$T/self.out" 2>"$T/self.err" </dev/null
	rc=$?
	diag "--cgroup-parent self from the leaf $SHELLCG: status $rc, stdout '$(one_line "$T/self.out")', stderr '$(one_line "$T/self.err")'"
	_err=
	case $rc in
	0) [ "$(cat "$T/self.out")" = "0::/" ] || _err="$_err; /proc/self/cgroup is '$(one_line "$T/self.out")'" ;;
	125) grep -q "holds processes" "$T/self.err" || _err="$_err; status 125 without the clear message" ;;
	*) _err="$_err; status $rc" ;;
	esac
	_left=$(leftovers self "$SHELLCG")
	[ -z "$_left" ] || _err="$_err; left behind:$_left"
	[ "$(cat "$SHELLCG/cgroup.subtree_control")" = "$_sc_before" ] ||
		_err="$_err; $SHELLCG/cgroup.subtree_control changed to '$(cat "$SHELLCG/cgroup.subtree_control")'"
	grep -qx "$$" "$SHELLCG/cgroup.procs" || _err="$_err; the test shell was moved out of $SHELLCG"
	[ -z "$_err" ] || fail "${_err#; }: $(one_line "$T/self.err")"
}

# ---- through ward-oci (the same binary under that name) ----

OCI=$T/oci/ward-oci
oci_setup() {
	[ -x "$OCI" ] && return 0
	mkdir -p "$T/oci/rootfs/bin" "$T/oci/rootfs/proc" "$T/oci/rootfs/sys" "$T/oci/rootfs/dev"
	cp /bin/busybox "$T/oci/rootfs/bin/busybox"
	for _a in sh cat sleep grep true echo; do ln -sf busybox "$T/oci/rootfs/bin/$_a"; done
	ln -sf "$(command -v ward)" "$OCI"
}
# oci_bundle DIR CMD RESOURCES-JSON EXTRA-MOUNTS-JSON [NO-CGROUP-NS]
oci_bundle() {
	_cgns=', {"type": "cgroup"}'
	[ -n "$5" ] && _cgns=
	mkdir -p "$1"
	cat >"$1/config.json" <<EOF2
{"ociVersion": "1.0.2",
 "process": {"args": ["/bin/sh", "-c", "$2"], "cwd": "/", "env": ["PATH=/bin"],
             "user": {"uid": 0, "gid": 0}},
 "root": {"path": "$T/oci/rootfs", "readonly": true},
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}$4],
 "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"},
                          {"type": "uts"}$_cgns],
           "resources": $3}}
EOF2
}
# oci_run ID BUNDLE: create, start, wait until it is gone, delete; output
# in $T/ID.out, errors in $T/ID.err, create's status in $rc
oci_run() {
	"$OCI" --root "$T/oci/root" create --bundle "$2" "$1" >"$T/$1.out" 2>"$T/$1.err" </dev/null
	rc=$?
	[ "$rc" = 0 ] || return 0
	"$OCI" --root "$T/oci/root" start "$1" 2>>"$T/$1.err"
	_i=0
	while [ $_i -lt 300 ] && ! "$OCI" --root "$T/oci/root" state "$1" 2>/dev/null |
		grep -q '"stopped"'; do
		sleep 0.1
		_i=$((_i + 1))
	done
	"$OCI" --root "$T/oci/root" delete --force "$1" 2>>"$T/$1.err"
}

test_oci_cgroup_mount() {
	oci_setup
	# a cgroup2 mount inside the container's cgroup namespace: its own
	# cgroup's files at /sys/fs/cgroup, read-only as asked
	_cmd="cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max.burst;"
	_cmd="$_cmd grep ' /sys/fs/cgroup ' /proc/self/mountinfo;"
	_cmd="$_cmd echo 9 > /sys/fs/cgroup/pids.max || echo refused"
	oci_bundle "$T/oci/b1" "$_cmd" \
		'{"pids": {"limit": 42}, "cpu": {"quota": 20000, "period": 100000, "burst": 1000}}' \
		', {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["ro", "nosuid"]}'
	oci_run ocimnt "$T/oci/b1"
	[ "$rc" = 0 ] || fail "create: status $rc: $(one_line "$T/ocimnt.err")" || return 1
	_out=$(cat "$T/ocimnt.out")
	diag "$_out"
	_err=
	[ "$(sed -n 1p "$T/ocimnt.out")" = 42 ] || _err="$_err; pids.max is not 42"
	[ "$(sed -n 2p "$T/ocimnt.out")" = 1000 ] || _err="$_err; cpu.max.burst is not 1000"
	sed -n 3p "$T/ocimnt.out" | grep -q ' / /sys/fs/cgroup ro,.* - cgroup2 ' ||
		_err="$_err; /sys/fs/cgroup is not a read-only cgroup2 mount rooted at the container's cgroup"
	[ "$(sed -n 4p "$T/ocimnt.out")" = refused ] || _err="$_err; pids.max was writable"
	[ -z "$_err" ] || fail "${_err#; }: $(one_line "$T/ocimnt.out")" || return 1
	assert_clean ocimnt || return 1
	# without a cgroup namespace: the container's cgroup directory bound
	oci_bundle "$T/oci/b1n" "cat /sys/fs/cgroup/pids.max; grep ' /sys/fs/cgroup ' /proc/self/mountinfo" \
		'{"pids": {"limit": 43}}' \
		', {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["rw"]}' nons
	oci_run ocimnt2 "$T/oci/b1n"
	[ "$rc" = 0 ] || fail "create (no cgroup namespace): status $rc: $(one_line "$T/ocimnt2.err")" || return 1
	diag "$(cat "$T/ocimnt2.out")"
	[ "$(sed -n 1p "$T/ocimnt2.out")" = 43 ] &&
		sed -n 2p "$T/ocimnt2.out" | grep -q " /$PARENT/ward-ocimnt2 /sys/fs/cgroup rw,.* - cgroup2 " ||
		fail "no cgroup namespace: not the container's cgroup bound: $(one_line "$T/ocimnt2.out")" || return 1
	assert_clean ocimnt2
}

test_oci_v1_keys_refused() {
	oci_setup
	oci_bundle "$T/oci/b2" "true" '{"memory": {"limit": 67108864, "kernelTCP": 16777216}}' ''
	oci_run ocikmem "$T/oci/b2"
	[ "$rc" = 1 ] || fail "memory.kernelTCP on cgroup v2: status $rc, not 1" || return 1
	grep -q "linux.resources.memory.kernelTCP" "$T/ocikmem.err" ||
		fail "the error does not name the key: $(one_line "$T/ocikmem.err")" || return 1
	assert_clean ocikmem
}

test_oci_update_enables_controller() {
	oci_setup
	# created without limits (no controller enabled for it), then updated
	oci_bundle "$T/oci/b3" "sleep 30" '{}' ''
	"$OCI" --root "$T/oci/root" create --bundle "$T/oci/b3" ociupd >"$T/ociupd.out" 2>"$T/ociupd.err" </dev/null ||
		fail "create: $(one_line "$T/ociupd.err")" || return 1
	"$OCI" --root "$T/oci/root" update --pids-limit 33 ociupd 2>>"$T/ociupd.err"
	rc=$?
	_v=$(cgfile ociupd pids.max)
	"$OCI" --root "$T/oci/root" delete --force ociupd 2>>"$T/ociupd.err"
	[ "$rc" = 0 ] || fail "update: status $rc: $(one_line "$T/ociupd.err")" || return 1
	[ "$_v" = 33 ] || fail "update --pids-limit 33: pids.max is '$_v'" || return 1
	assert_clean ociupd
}

test_no_leftovers() {
	_l=
	for _d in $CG/ward-* $CG/*/ward-* $CG/*/*/ward-*; do
		[ -d "$_d" ] && _l="$_l $_d"
	done
	for _d in "$STATE"/*; do
		[ -d "$_d" ] && _l="$_l $_d"
	done
	[ -z "$_l" ] || fail "left behind:$_l"
}

###########################################################################

mkdir -p "$T"
# the test shell and everything it starts sit in a leaf cgroup: cgroup v2
# lets a cgroup hold processes or have children with controllers, not both
SHELLCG=$CG/wardtest-shell
mkdir -p "$SHELLCG"
echo $$ >"$SHELLCG/cgroup.procs"
mkdir -p "$PDIR"
export WARD_CGROUP_PARENT=$PARENT
# the guest has no netfilter modules: these tests are about cgroups
export WARD_DEFAULT_NETWORK=none
unset WARD_ROOT WARD_LIB WARD_LOG_LEVEL

echo "# ward $(ward version 2>&1 | head -n 1)"
echo "1..$(echo $TESTS | wc -w)"
for t in $TESTS; do
	run_test "$t"
done
if [ "$failed" -gt 0 ]; then
	echo "# $failed of $n tests failed; ward's stderr per container:"
	for f in "$T"/*.err; do
		[ -s "$f" ] && diag "$(basename "$f" .err): $(one_line "$f")"
	done
fi
echo "WARD-QEMU-DONE failed=$failed total=$n"
exit $((failed > 0))
