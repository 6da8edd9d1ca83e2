# Shell helpers shared by the benchmark scripts (sourced, not run).
# The sourcing script sets ME to its own name first, for messages.

die() { echo "$ME: $*" >&2; exit 1; }
say() { printf '\n== %s\n' "$*"; }

# Remove cgroup directory $1, killing what is still inside first (only after
# an interrupted run); retried while the kernel finishes reaping.
cg_kill_rmdir() {
	local d=$1 i pid
	[ -d "$d" ] || return 0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		if [ -r "$d/cgroup.procs" ]; then
			while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$d/cgroup.procs"
		fi
		rmdir "$d" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "$ME: warning: could not remove cgroup $d" >&2
}
