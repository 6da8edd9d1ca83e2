#!/bin/sh
# ward's demo, explained as it goes.  Part 1 (scripts/demo-net.py): the
# seed scenario, a web server jailed on a private segment behind the host
# firewall, in a sandbox of network namespaces.  Part 2: a shell command
# jailed in the host template, and what the jail can and cannot see and do.
#
# It runs in a sandbox: state in a temporary --root, cgroups beneath this
# shell's own cgroup, no network (--net none).  Nothing is left afterwards.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=${WARD_BUILD:-$here/build}
ward=$build/src/cli/ward
wtest=$build/tests/wtest
[ -x "$ward" ] || { echo "build first: make" >&2; exit 1; }

WARD_ROOT=$(mktemp -d /tmp/ward-demo.XXXXXX)
WARD_CGROUP_PARENT=self
# this part runs in the machine's network namespace: loopback only
WARD_DEFAULT_NETWORK=none
export WARD_ROOT WARD_CGROUP_PARENT WARD_DEFAULT_NETWORK
trap 'rm -rf "$WARD_ROOT"' EXIT INT TERM
chmod 711 "$WARD_ROOT"

if [ -t 1 ]; then b=$(printf '\033[1m'); d=$(printf '\033[2m'); n=$(printf '\033[0m'); else b= d= n=; fi
step=0
say() {
	step=$((step + 1))
	printf '\n%s%d. %s%s\n' "$b" "$step" "$1" "$n"
	shift
	for line in "$@"; do printf '   %s\n' "$line"; done
}
show() {
	printf '%s   $ %s%s\n' "$d" "$*" "$n"
	"$@" 2>&1 | sed 's/^/     /'
}
status=$WARD_ROOT/.status
jail() {
	printf '%s   $ ward run %s%s\n' "$d" "$*" "$n"
	{ "$ward" run --bind "$wtest:/wtest:ro" "$@" 2>&1; echo $? >"$status"; } | sed 's/^/     /'
}

# Part 1: ward's main job, the seed scenario, in a sandbox of network
# namespaces (scripts/demo-net.py).  Part 2 below: what a jail looks like
# from the inside.
WARD_BUILD=$build /usr/bin/python3 "$here/scripts/demo-net.py" || exit 1
printf '\n%sPart 2%s: inside the jail. One command jails a process; here is what it sees.\n' "$b" "$n"
echo "   state: $WARD_ROOT   cgroups: beneath $(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup || echo self)"

say "Its own process tree and hostname" \
	"The command is PID 1 of a new PID namespace and sees no host process." \
	"It gets its own UTS namespace: the hostname is the container's name."
jail --name demo-web -- /bin/sh -c 'echo "hostname: $(hostname)"; echo "my pid: $$"; echo "processes I can see:"; ps -e -o pid=,comm='

say "The host's system, read-only" \
	"By default the container is an 'application container': the host's /usr, /etc and" \
	"/lib* are bound read-only (no disk used), with fresh tmpfs on /tmp, /run, /var/tmp."
jail -- /bin/sh -c 'ls /; touch /usr/evil 2>&1; touch /etc/evil 2>&1; echo scratch > /tmp/ok && echo "/tmp is writable (tmpfs, gone at exit)"'

say "Root inside is nobody outside" \
	"A user namespace maps root in the container to an unprivileged host id, so" \
	"host files owned by root stay out of reach even for the container's root."
jail -- /bin/sh -c 'id; echo "uid map (inside, host, count): $(cat /proc/self/uid_map)"; cat /etc/shadow 2>&1 | head -1'

say "Few privileges" \
	"Capabilities are cut to a small set (no NET_RAW, MKNOD, SYS_ADMIN), no_new_privs is" \
	"set, and a seccomp filter denies the dangerous system calls with EPERM."
jail -- /wtest status CapEff CapBnd NoNewPrivs Seccomp
jail -- /wtest syscall mount kexec_load bpf unshare_user raw_socket keyctl
jail -- /wtest kmsg

say "/proc and /sys tell no secrets" \
	"Sensitive /proc files are masked, /proc/sys and /sys are read-only."
jail -- /wtest read /proc/keys /proc/timer_list /proc/kmsg
jail -- /wtest write /proc/sys/kernel/hostname /sys/kernel

say "Limits the kernel enforces" \
	"Memory, processes and CPUs are limited through cgroups.  A memory hog is" \
	"killed by the OOM killer, and ward says so; a fork bomb hits the pids limit."
jail --memory 32m -- /wtest hog 200
echo "     (exit status $(cat "$status"): 128 + 9, killed by SIGKILL)"
jail --pids-limit 20 -- /wtest forks 500
jail --cpuset-cpus 0 -- /wtest cpus

say "Exit codes and signals pass through" \
	"The container's own status is ward's; 128+N when it died of signal N."
"$ward" run -- /bin/sh -c 'exit 42'
echo "     ward run -- sh -c 'exit 42'  ->  exit status $?"
"$ward" run -- /no/such/program 2>/dev/null
echo "     ward run -- /no/such/program  ->  exit status $? (not found)"

say "Bad input changes nothing" \
	"A wrong option or a failing step prints one line and exits 125."
show "$ward" run --bind /does/not/exist:/data -- /bin/true
show "$ward" run --memory lots -- /bin/true

say "Nothing left behind" \
	"Every container above is gone: no state, no cgroup, no mount, no process."
left=$(find "$WARD_ROOT" -mindepth 1 -maxdepth 1 ! -name '.*' | wc -l)
cgs=$(find /sys/fs/cgroup -maxdepth 4 -name 'ward-*' 2>/dev/null | wc -l)
echo "   state directories: $left   ward cgroups: $cgs"
printf '\n%sdone.%s  See `ward help run` and README.md for more.\n' "$b" "$n"
