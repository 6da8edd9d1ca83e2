# Shell helpers shared by the benchmark scripts (sourced, not run).
# The sourcing script sets ME to its own name first, for messages.

die() { echo "$ME: $*" >&2; exit 1; }
say() { printf '\n== %s\n' "$*"; }

# busybox_rootfs DIR: the benchmarks' container root: busybox-static with
# its applet links, /etc/passwd and /etc/group for root, empty mount points.
busybox_rootfs() {
	local r=$1 a
	mkdir -p "$r"/{bin,etc,proc,sys,dev,tmp,run,var/tmp,root}
	cp "$(command -v busybox)" "$r/bin/busybox"
	for a in $("$r/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -s busybox "$r/bin/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
	echo 'root:x:0:' >"$r/etc/group"
	chmod 1777 "$r/tmp" "$r/var/tmp"
}

# remove_new_cgroups: the ancestors bench_cgroup_beneath_us listed in
# $BT/cg-new, deepest first (each only if empty).
remove_new_cgroups() {
	local d
	[ -s "$BT/cg-new" ] || return 0
	sort -r "$BT/cg-new" | while read -r d; do
		if [ -d "$d" ] && ! rmdir "$d" 2>/dev/null; then
			echo "$ME: warning: could not remove cgroup $d" >&2
		fi
	done
}

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

# bench_cgroup_beneath_us VAR NAME: the cgroupsPath a runtime under test gets,
# /OURS/NAME-PID (OURS: our memory cgroup, or our cgroup2 one; the other v1
# hierarchies have us at /, so it is beneath us there too), exported as VAR,
# with MEMCG_MOUNT (that cgroup's directory).  Its ancestors that do not exist
# yet are appended to $BT/cg-new, to be removed at the end.  Reads $BT/cgpaths
# (MOUNTPOINT<TAB>OUR PATH<TAB>CONTROLLER lines).
bench_cgroup_beneath_us() {
	local var=$1 name=$2 line self path mp key p part parts
	line=$(awk -F'\t' '$3=="memory"' "$BT/cgpaths" | head -n1)
	[ -n "$line" ] || line=$(awk -F'\t' '$3=="cgroup2"' "$BT/cgpaths" | head -n1)
	[ -n "$line" ] || die "no memory cgroup hierarchy"
	self=$(cut -f2 <<<"$line")
	export MEMCG_MOUNT
	MEMCG_MOUNT=$(cut -f1 <<<"$line")$self
	path="${self%/}/$name-$$"
	export "$var=$path"
	while IFS=$'\t' read -r mp self key; do
		case "$self" in /) ;; *) [ "${path#"${self%/}"/}" != "$path" ] ||
			echo "$ME: note: $path is not beneath our $key cgroup $self" >&2 ;; esac
		p=""
		IFS=/ read -ra parts <<<"${path#/}"
		for part in "${parts[@]::${#parts[@]}-1}"; do
			p="$p/$part"
			[ -d "$mp$p" ] || echo "$mp$p" >>"$BT/cg-new"
		done
	done <"$BT/cgpaths"
}
