/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/mounts.h"
#include "runtime/cgroup.h"
#include "runtime/resolve.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"
#include "util/syscalls.h"

static const struct {
	const char *name;
	unsigned int major, minor;
} default_devs[FS_N_DEFAULT_DEVS] = {
    {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static const struct {
	const char *path;
	const char *target;
} dev_links[] = {
    {"/dev/ptmx", "pts/ptmx"},          {"/dev/fd", "/proc/self/fd"},
    {"/dev/stdin", "/proc/self/fd/0"},  {"/dev/stdout", "/proc/self/fd/1"},
    {"/dev/stderr", "/proc/self/fd/2"},
};

#define FDPATH_MAX 32
static void fdpath(char buf[FDPATH_MAX], int fd)
{
	snprintf(buf, FDPATH_MAX, "/proc/self/fd/%d", fd);
}

static bool is_bind(const struct ward_mount *m)
{
	return (m->type && streq(m->type, "bind")) || (m->flags & MS_BIND);
}

void fs_ctx_init(struct fs_ctx *f, const struct ward_spec *spec, const char *rootfs_mnt,
		 bool userns)
{
	memset(f, 0, sizeof(*f));
	f->spec = spec;
	f->rootfs_mnt = rootfs_mnt;
	f->userns = userns;
	f->rootfd = -1;
	f->devnull_fd = -1;
	f->sys_fd = -1;
	f->idmapped_root = -1;
	for (int i = 0; i < FS_N_DEFAULT_DEVS; i++)
		f->default_dev_fds[i] = -1;
}

void fs_ctx_close(struct fs_ctx *f)
{
	int *fds[] = {&f->rootfd, &f->devnull_fd, &f->sys_fd, &f->idmapped_root};

	for (size_t i = 0; f->src_fds && i < f->spec->n_mounts; i++)
		if (f->src_fds[i] >= 0)
			close(f->src_fds[i]);
	free(f->src_fds);
	f->src_fds = NULL;
	for (size_t i = 0; f->dev_fds && i < f->spec->n_devices; i++)
		if (f->dev_fds[i] >= 0)
			close(f->dev_fds[i]);
	free(f->dev_fds);
	f->dev_fds = NULL;
	for (int i = 0; i < FS_N_DEFAULT_DEVS; i++)
		closep(&f->default_dev_fds[i]);
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		closep(fds[i]);
}

int fs_open_sources(struct fs_ctx *f, ward_err *err)
{
	const struct ward_spec *s = f->spec;

	f->src_fds = calloc(s->n_mounts ? s->n_mounts : 1, sizeof(int));
	f->dev_fds = calloc(s->n_devices ? s->n_devices : 1, sizeof(int));
	if (!f->src_fds || !f->dev_fds)
		return werr(err, ENOMEM, "open mount sources");
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct ward_mount *m = &s->mounts[i];

		f->src_fds[i] = -1;
		if (!is_bind(m))
			continue;
		f->src_fds[i] = open(m->source, O_PATH | O_CLOEXEC);
		if (f->src_fds[i] < 0 && !(errno == ENOENT && m->optional))
			return werr(err, errno, "bind %s: open source %s", m->destination,
				    m->source);
	}
	for (size_t i = 0; i < s->n_devices; i++) {
		f->dev_fds[i] = -1;
		if (f->userns)
			f->dev_fds[i] = open(s->devices[i].path, O_PATH | O_CLOEXEC);
	}
	if (s->default_devices)
		for (int i = 0; i < FS_N_DEFAULT_DEVS; i++) {
			char p[32];
			snprintf(p, sizeof(p), "/dev/%s", default_devs[i].name);
			f->default_dev_fds[i] = open(p, O_PATH | O_CLOEXEC);
			if (f->default_dev_fds[i] < 0)
				return werr(err, errno, "devices: open host %s", p);
		}
	f->devnull_fd = open("/dev/null", O_PATH | O_CLOEXEC);
	if (f->devnull_fd < 0)
		return werr(err, errno, "open /dev/null");
	f->sys_fd = open("/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* only a mount label needs to know (a syscall fewer on every start) */
	if (s->mount_label) {
		struct statfs sfs;
		f->selinux =
		    statfs("/sys/fs/selinux", &sfs) == 0 && (uint32_t)sfs.f_type == SELINUX_MAGIC;
	}
	return 0;
}

/* --ephemeral: a tmpfs on MNT holds the overlay's upper and work
 * directories; the overlay is then stacked on MNT itself.  Both go with
 * the mount namespace.  In a user namespace the files of the tmpfs must
 * belong to ids of that namespace, so from here on the file system
 * identity is the container's root (which is also whose credentials the
 * overlay keeps for copy-up); the paths are handed over as
 * /proc/self/fd links, opened before, because the container's root may not
 * search the directories above them. */
static int mount_ephemeral_root(int lower, const char *rootfs, const char *mnt, bool userns,
				int *rootfd, ward_err *err)
{
	_cleanup_free_ char *parent_path = strdup(mnt);
	char *slash = parent_path ? strrchr(parent_path, '/') : NULL;
	_cleanup_close_ int top = -1, parent = -1;
	_cleanup_free_ char *opts = NULL, *target = NULL;
	struct stat st;

	if (fstat(lower, &st) < 0)
		return werr(err, errno, "--ephemeral: stat root filesystem %s", rootfs);
	if (!slash || slash == parent_path)
		return werrx(err, EINVAL, "--ephemeral: %s is not a state directory path", mnt);
	/* the new root is opened from its parent at the end: its ancestors
	 * may be closed to the container's root */
	*slash = '\0';
	parent = open(parent_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0)
		return werr(err, errno, "--ephemeral: open %s", parent_path);
	if (mount("ward-ephemeral", mnt, "tmpfs", MS_NOSUID | MS_NODEV,
		  userns ? "mode=0755,uid=0,gid=0" : "mode=0755") < 0)
		return werr(err, errno, "--ephemeral: mount the tmpfs upper layer on %s", mnt);
	top = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return werr(err, errno, "--ephemeral: open %s", mnt);
	if (userns) {
		setfsgid(0);
		setfsuid(0);
	}
	/* the upper root takes the lower root's mode, so / looks the same */
	if (mkdirat(top, "upper", st.st_mode & 07777) < 0 || mkdirat(top, "work", 0700) < 0)
		return werr(err, errno, "--ephemeral: create the overlay's directories");
	if (fchmodat(top, "upper", st.st_mode & 07777, 0) < 0)
		return werr(err, errno, "--ephemeral: set the mode of the upper layer");
	opts = xasprintf("lowerdir=/proc/self/fd/%d,upperdir=/proc/self/fd/%d/upper,"
			 "workdir=/proc/self/fd/%d/work",
			 lower, top, top);
	target = xasprintf("/proc/self/fd/%d", top);
	if (!opts || !target)
		return werr(err, ENOMEM, "ephemeral root");
	if (mount("ward-overlay", target, "overlay", MS_NODEV, opts) < 0)
		return werr(err, errno, "--ephemeral: mount an overlay over %s", rootfs);
	*rootfd = openat(parent, slash + 1, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*rootfd < 0)
		return werr(err, errno, "--ephemeral: open the new root %s", mnt);
	return 0;
}

int fs_idmapped_tree(const char *rootfs, pid_t pid, int *out, ward_err *err)
{
	char ns_path[64];
	_cleanup_close_ int ns = -1, tree = -1;
	struct ward_mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP};

	snprintf(ns_path, sizeof(ns_path), "/proc/%d/ns/user", (int)pid);
	ns = open(ns_path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return werr(err, errno, "--rootfs-idmap: open %s", ns_path);
	tree = ward_open_tree(AT_FDCWD, rootfs, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return werr(err, errno, "--rootfs-idmap: copy the mount tree of %s", rootfs);
	a.userns_fd = (uint64_t)ns;
	if (ward_mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) < 0)
		return werr(err, errno,
			    "--rootfs-idmap: idmap %s (its file system, or a mount below it, "
			    "does not take idmapped mounts on this kernel)",
			    rootfs);
	*out = TAKE_FD(tree);
	return 0;
}

int fs_idmap_supported(const char *path, uint32_t base)
{
	char map[64], p[64];
	int pipefd[2], r = 0;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (pid == 0) {
		char c;
		close(pipefd[1]);
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		/* until the parent is done with our user namespace */
		(void)!read(pipefd[0], &c, 1);
		_exit(0);
	}
	close(pipefd[0]);
	/* the child unshares right away; wait until it did */
	for (int i = 0; i < 500; i++) {
		char a[64], b[64];
		ssize_t la, lb;
		snprintf(p, sizeof(p), "/proc/%d/ns/user", (int)pid);
		la = readlink(p, a, sizeof(a));
		lb = readlink("/proc/self/ns/user", b, sizeof(b));
		if (la > 0 && lb > 0 && (la != lb || memcmp(a, b, (size_t)la) != 0))
			break;
		usleep(1000);
	}
	snprintf(map, sizeof(map), "0 %u 65536\n", base);
	snprintf(p, sizeof(p), "/proc/%d/uid_map", (int)pid);
	if (write_file(p, map) < 0)
		r = -EPERM;
	snprintf(p, sizeof(p), "/proc/%d/gid_map", (int)pid);
	if (r == 0 && write_file(p, map) < 0)
		r = -EPERM;
	if (r == 0) {
		int tree = -1;
		ward_err e;
		r = fs_idmapped_tree(path, pid, &tree, &e) == 0 ? 1 : 0;
		if (tree >= 0)
			close(tree);
	}
	close(pipefd[1]);
	waitpid(pid, NULL, 0);
	return r;
}

int fs_setup_root(struct fs_ctx *f, ward_err *err)
{
	const struct ward_spec *s = f->spec;
	bool own_ns = s->ns[WNS_MNT].enabled;

	/* In the caller's mount namespace only a plain rootfs is assembled:
	 * the other roots are ward's own options, which always have one. */
	if (!own_ns && (!s->rootfs || s->rootfs_ephemeral || s->rootfs_idmap))
		return werrx(err, EINVAL, "this root file system needs a mount namespace");
	if (f->idmapped_root >= 0) {
		/* --rootfs-idmap: the tree the parent made, put in place */
		if (ward_move_mount(f->idmapped_root, "", AT_FDCWD, f->rootfs_mnt,
				    MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return werr(err, errno, "attach the idmapped root filesystem %s",
				    s->rootfs);
		closep(&f->idmapped_root);
	}
	if (s->rootfs && s->rootfs_ephemeral) {
		/* the lower layer: the idmapped tree just attached, or the rootfs */
		_cleanup_close_ int lower = open(s->rootfs_idmap ? f->rootfs_mnt : s->rootfs,
						 O_PATH | O_DIRECTORY | O_CLOEXEC);
		int r = lower < 0
			    ? werr(err, errno, "--ephemeral: open root filesystem %s", s->rootfs)
			    : mount_ephemeral_root(lower, s->rootfs, f->rootfs_mnt, f->userns,
						   &f->rootfd, err);
		if (r < 0)
			return r;
	} else if (s->rootfs_idmap) {
		/* attached above */
	} else if (s->rootfs) {
		/* In the caller's namespace the state directory may sit on a
		 * shared mount (/run on systemd): a mount attached there would
		 * be copied into every peer namespace.  First a self-bind made
		 * private, so the root attached on it is ours alone. */
		if (!own_ns && (mount(f->rootfs_mnt, f->rootfs_mnt, NULL, MS_BIND, NULL) < 0 ||
				mount(NULL, f->rootfs_mnt, NULL, MS_PRIVATE, NULL) < 0))
			return werr(err, errno, "make %s a private mount", f->rootfs_mnt);
		if (mount(s->rootfs, f->rootfs_mnt, NULL, MS_BIND | MS_REC, NULL) < 0)
			return werr(err, errno, "bind root filesystem %s", s->rootfs);
		/* and nothing mounted below the new root reaches root.path,
		 * whose peer group the bind joined */
		if (!own_ns && mount(NULL, f->rootfs_mnt, NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			return werr(err, errno, "make %s private", f->rootfs_mnt);
	} else {
		/* the host template's skeleton: small, made read-only once
		 * populated; uid=0 is the container's root in its user ns */
		const char *opts =
		    f->userns ? "mode=0755,size=1m,uid=0,gid=0" : "mode=0755,size=1m";
		if (mount("ward-root", f->rootfs_mnt, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
			return werr(err, errno, "mount root tmpfs on %s", f->rootfs_mnt);
	}
	if (f->rootfd < 0)
		f->rootfd = open(f->rootfs_mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f->rootfd < 0)
		return werr(err, errno, "open new root %s", f->rootfs_mnt);
	/* still host root: make the missing mount points of ward's own files
	 * and of the default file systems (/proc, /sys, /dev, /tmp, ...;
	 * resolved inside the root, so the rootfs cannot redirect them) */
	for (size_t i = 0; s->rootfs && i < s->n_mounts; i++) {
		const struct ward_mount *m = &s->mounts[i];
		_cleanup_close_ int fd = -1;
		if (!m->create_as_host)
			continue;
		fd = open_in_root(f->rootfd, m->destination, O_PATH | O_CLOEXEC);
		if (fd >= 0)
			continue;
		fd =
		    mkpath_in_root(f->rootfd, m->destination, is_bind(m), is_bind(m) ? 0644 : 0755);
		if (fd < 0)
			return werr(err, -fd, "mount %s: create mount point", m->destination);
	}
	return 0;
}

static uint64_t ms_to_attr(unsigned long ms)
{
	uint64_t a = 0;

	if (ms & MS_RDONLY)
		a |= MOUNT_ATTR_RDONLY;
	if (ms & MS_NOSUID)
		a |= MOUNT_ATTR_NOSUID;
	if (ms & MS_NODEV)
		a |= MOUNT_ATTR_NODEV;
	if (ms & MS_NOEXEC)
		a |= MOUNT_ATTR_NOEXEC;
	if (ms & MS_NOATIME)
		a |= MOUNT_ATTR_NOATIME;
	if (ms & MS_NODIRATIME)
		a |= MOUNT_ATTR_NODIRATIME;
	return a;
}

static unsigned long attr_to_ms(uint64_t a)
{
	unsigned long ms = 0;

	if (a & MOUNT_ATTR_RDONLY)
		ms |= MS_RDONLY;
	if (a & MOUNT_ATTR_NOSUID)
		ms |= MS_NOSUID;
	if (a & MOUNT_ATTR_NODEV)
		ms |= MS_NODEV;
	if (a & MOUNT_ATTR_NOEXEC)
		ms |= MS_NOEXEC;
	if ((a & MOUNT_ATTR__ATIME) == MOUNT_ATTR_NOATIME)
		ms |= MS_NOATIME;
	if (a & MOUNT_ATTR_NODIRATIME)
		ms |= MS_NODIRATIME;
	return ms;
}

/* Flags a remount must keep: in a user namespace, the kernel refuses to
 * clear flags the mount had when it was locked (EPERM).  By fd: the path
 * may not be reachable by the container's root. */
static unsigned long locked_flags(int fd)
{
	struct statvfs sv;
	unsigned long ms = 0;

	if (fstatvfs(fd, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_RDONLY)
		ms |= MS_RDONLY;
	if (sv.f_flag & ST_NOSUID)
		ms |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		ms |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		ms |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		ms |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		ms |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		ms |= MS_RELATIME;
	return ms;
}

static int remount_one(int fd, unsigned long add)
{
	char p[FDPATH_MAX];

	fdpath(p, fd);
	if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | add | locked_flags(fd), NULL) < 0)
		return -errno;
	return 0;
}

/* Fallback for recursive attributes without mount_setattr: remount the
 * mount and every mount below it (found in mountinfo, opened beneath fd). */
static int remount_tree(int fd, unsigned long add)
{
	char self[FDPATH_MAX], top[PATH_MAX];
	_cleanup_fclose_ FILE *mi = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, tl;
	ssize_t n;
	int r;

	r = remount_one(fd, add);
	if (r < 0)
		return r;
	fdpath(self, fd);
	n = readlink(self, top, sizeof(top) - 1);
	if (n < 0)
		return -errno;
	top[n] = '\0';
	tl = strlen(top);
	mi = fopen("/proc/self/mountinfo", "re");
	if (!mi)
		return -errno;
	while (getline(&line, &cap, mi) > 0) {
		char mp[PATH_MAX];
		int sub;

		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		if (strncmp(mp, top, tl) != 0 || mp[tl] != '/')
			continue;
		sub = open_in_root(fd, mp + tl, O_PATH);
		if (sub == -ENOENT)
			continue;
		if (sub < 0)
			return sub;
		r = remount_one(sub, add);
		close(sub);
		if (r < 0)
			return r;
	}
	return 0;
}

int fs_set_attrs(int fd, uint64_t attrs, bool recursive, const char *path, ward_err *err)
{
	static int have_setattr = 1;
	struct ward_mount_attr a = {.attr_set = attrs};
	int r;

	if (!attrs)
		return 0;
	if ((attrs & MOUNT_ATTR__ATIME) != 0)
		a.attr_clr |= MOUNT_ATTR__ATIME;
	if (have_setattr) {
		if (ward_mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0),
				       &a) == 0)
			return 0;
		if (errno != ENOSYS)
			return werr(err, errno, "mount %s: set %s", path,
				    attrs & MOUNT_ATTR_RDONLY ? "read-only" : "flags");
		have_setattr = 0;
	}
	r = recursive ? remount_tree(fd, attr_to_ms(attrs)) : remount_one(fd, attr_to_ms(attrs));
	if (r < 0)
		return werr(err, -r, "mount %s: set %s", path,
			    attrs & MOUNT_ATTR_RDONLY ? "read-only" : "flags");
	return 0;
}

/* Does the directory that would hold `dest` exist in the root? */
static bool parent_exists(int rootfd, const char *dest)
{
	_cleanup_free_ char *p = strdup(dest);
	char *slash;
	int fd;

	if (!p)
		return false;
	slash = strrchr(p, '/');
	if (!slash || slash == p)
		return true;
	*slash = '\0';
	fd = open_in_root(rootfd, p, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* linux.mountLabel: the SELinux context of the file systems that take a
 * context= option.  Without SELinux on the host there is no label to give
 * (the kernel would refuse the option), so, as crun does, it has no
 * effect. */
static bool takes_label(const char *type)
{
	static const char *const types[] = {"tmpfs", "devpts", "mqueue", "ramfs", "shm"};

	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (streq(type, types[i]))
			return true;
	return false;
}

static int mount_special(struct fs_ctx *f, const struct ward_mount *m, int tgt, ward_err *err)
{
	char tp[FDPATH_MAX];
	unsigned long flags = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
	const char *label = f->spec->mount_label;
	_cleanup_free_ char *labelled = NULL;
	const char *opts = m->data;

	if (label && f->selinux && takes_label(m->type)) {
		labelled = m->data && *m->data ? xasprintf("%s,context=\"%s\"", m->data, label)
					       : xasprintf("context=\"%s\"", label);
		if (!labelled)
			return werr(err, ENOMEM, "mount %s", m->destination);
		opts = labelled;
	}
	fdpath(tp, tgt);
	if (mount(m->source ? m->source : m->type, tp, m->type, flags, opts) == 0)
		return 0;
	/* sysfs needs a network namespace of our own in a user namespace;
	 * without one, the host's /sys is bound read-only instead */
	if (errno == EPERM && streq(m->type, "sysfs") && f->sys_fd >= 0) {
		char sp[FDPATH_MAX];
		int nfd;

		fdpath(sp, f->sys_fd);
		if (mount(sp, tp, NULL, MS_BIND | MS_REC, NULL) < 0)
			return werr(err, errno, "mount %s (bind of host /sys)", m->destination);
		nfd = open_in_root(f->rootfd, m->destination, O_PATH);
		if (nfd < 0)
			return werr(err, -nfd, "mount %s", m->destination);
		int r = fs_set_attrs(nfd,
				     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
					 MOUNT_ATTR_NOEXEC,
				     true, m->destination, err);
		close(nfd);
		return r;
	}
	/* devpts: gid=5 needs group 5 mapped in the user namespace */
	if (errno == EINVAL && streq(m->type, "devpts") && m->data && strstr(m->data, "gid=")) {
		char data[256];
		char *p, *save = NULL;

		data[0] = '\0';
		_cleanup_free_ char *copy = strdup(m->data);
		if (!copy)
			return werr(err, ENOMEM, "mount %s", m->destination);
		for (p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
			if (startswith(p, "gid="))
				continue;
			if (*data)
				strncat(data, ",", sizeof(data) - strlen(data) - 1);
			strncat(data, p, sizeof(data) - strlen(data) - 1);
		}
		if (mount(m->source ? m->source : m->type, tp, m->type, flags, data) == 0)
			return 0;
	}
	return werr(err, errno, "mount %s (%s)", m->destination, m->type);
}

/*
 * The OCI "cgroup" mount type.  Mounting the v1 cgroup file system with no
 * options asks for every controller in one hierarchy, which the kernel
 * refuses (EBUSY) on a host that has them mounted one per hierarchy; and a
 * fresh v1 mount, or a cgroup2 mount outside a cgroup namespace, would show
 * the host's whole tree.  So, as runc and crun do:
 *
 *   cgroup2 only    inside a cgroup namespace rooted at the container's
 *                   cgroup (our cgroup reads "/"), a new cgroup2 mount;
 *                   otherwise a bind of the container's cgroup directory.
 *   v1 / hybrid     a tmpfs, and in it one directory per hierarchy (named as
 *                   the host names its mount point: "memory", "cpu,cpuacct",
 *                   "systemd", and "unified" for a hybrid host's cgroup2)
 *                   with the container's own cgroup bound on it, plus links
 *                   for co-mounted controllers ("cpu" -> "cpu,cpuacct").
 *
 * Both views are rooted at the container's cgroup, as a cgroup namespace
 * would show them.  The container's v1 cgroups are joined before the mount
 * table runs (child.c), so /proc/self/cgroup names them.  A hierarchy the
 * container does not join (ward joins cpuset, hugetlb, devices, blkio only
 * when a limit needs them) shows the caller's cgroup: it is bound read-only
 * whatever the mount asks, so the container cannot change its caller's
 * limits.
 */
#define CGMOUNT_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

static bool joins_hier(const struct ward_spec *s, const char *controllers)
{
	struct cg_hier h = {.controllers = (char *)controllers};

	return cg_v1_hier_wanted(&h, &s->res);
}

static int bind_cgroup_dir(int dirfd, const char *name, const char *src, bool ro, const char *dest,
			   ward_err *err)
{
	char sp[FDPATH_MAX], tp[FDPATH_MAX];
	_cleanup_close_ int sfd = -1, tfd = -1, mfd = -1;
	uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;

	sfd = open(src, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0)
		return werr(err, errno, "mount %s: open %s", dest, src);
	if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return werr(err, errno, "mount %s: create %s", dest, name);
	tfd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0)
		return werr(err, errno, "mount %s: open %s", dest, name);
	fdpath(sp, sfd);
	fdpath(tp, tfd);
	if (mount(sp, tp, NULL, MS_BIND, NULL) < 0)
		return werr(err, errno, "mount %s: bind %s", dest, src);
	/* the new mount, not the directory under it */
	mfd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (mfd < 0)
		return werr(err, errno, "mount %s: reopen %s", dest, name);
	return fs_set_attrs(mfd, attrs | (ro ? MOUNT_ATTR_RDONLY : 0), false, dest, err);
}

static int link_comounted(int dirfd, const char *name, const char *controllers, const char *dest,
			  ward_err *err)
{
	_cleanup_free_ char *copy = strdup(controllers);
	char *save = NULL;

	if (!copy)
		return werr(err, ENOMEM, "mount %s", dest);
	if (!strchr(controllers, ','))
		return 0;
	for (char *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save))
		if (!streq(c, name) && !strchr(c, '=') && symlinkat(name, dirfd, c) < 0 &&
		    errno != EEXIST)
			return werr(err, errno, "mount %s: link %s", dest, c);
	return 0;
}

static int mount_cgroup_v1(struct fs_ctx *f, const struct ward_mount *m,
			   const struct cg_system *sys, int tgt, ward_err *err)
{
	char tp[FDPATH_MAX];
	bool ro = m->flags & MS_RDONLY;
	_cleanup_close_ int top = -1;
	int r;

	fdpath(tp, tgt);
	if (mount("tmpfs", tp, "tmpfs", CGMOUNT_FLAGS, "mode=755") < 0)
		return werr(err, errno, "mount %s (tmpfs for cgroup)", m->destination);
	top = open_in_root(f->rootfd, m->destination, O_PATH | O_DIRECTORY);
	if (top < 0)
		return werr(err, -top, "mount %s: reopen", m->destination);
	for (size_t i = 0; i < sys->n_v1; i++) {
		const struct cg_hier *h = &sys->v1[i];
		const char *name = strrchr(h->mountpoint, '/');
		_cleanup_free_ char *src = NULL;

		name = name ? name + 1 : h->mountpoint;
		if (!*name || !h->self_path)
			continue;
		src = cg_join_path(h->mountpoint, h->mount_root, h->self_path);
		if (!src)
			return werr(err, ENOMEM, "mount %s", m->destination);
		r = bind_cgroup_dir(top, name, src, ro || !joins_hier(f->spec, h->controllers),
				    m->destination, err);
		if (r < 0)
			return r;
		r = link_comounted(top, name, h->controllers, m->destination, err);
		if (r < 0)
			return r;
	}
	if (sys->v2_mountpoint && sys->v2_self_path) {
		const char *name = strrchr(sys->v2_mountpoint, '/');
		_cleanup_free_ char *src =
		    cg_join_path(sys->v2_mountpoint, sys->v2_mount_root, sys->v2_self_path);

		if (!src)
			return werr(err, ENOMEM, "mount %s", m->destination);
		name = name && name[1] ? name + 1 : "unified";
		r = bind_cgroup_dir(top, name, src, ro, m->destination, err);
		if (r < 0)
			return r;
	}
	return ro ? fs_set_attrs(top, MOUNT_ATTR_RDONLY, false, m->destination, err) : 0;
}

static int mount_cgroup(struct fs_ctx *f, const struct ward_mount *m, int tgt, ward_err *err)
{
	struct cg_system sys;
	char tp[FDPATH_MAX];
	int r;

	r = cg_system_detect(&sys, err);
	if (r < 0)
		return werr_wrap(err, "mount %s", m->destination);
	fdpath(tp, tgt);
	if (sys.layout != CG_LAYOUT_V2) {
		r = mount_cgroup_v1(f, m, &sys, tgt, err);
	} else if (!sys.v2_self_path || streq(sys.v2_self_path, "/")) {
		r = mount("cgroup2", tp, "cgroup2", CGMOUNT_FLAGS | (m->flags & MS_RDONLY), NULL);
		if (r < 0)
			r = werr(err, errno, "mount %s (cgroup2)", m->destination);
	} else {
		/* no cgroup namespace of ours: bind our cgroup on the parent of
		 * the destination's directory, under the destination's name */
		_cleanup_free_ char *src =
		    cg_join_path(sys.v2_mountpoint, sys.v2_mount_root, sys.v2_self_path);
		_cleanup_free_ char *up = strdup(m->destination);
		char *slash = up ? strrchr(up, '/') : NULL;
		_cleanup_close_ int upfd = -1;

		if (!src || !slash) {
			r = werr(err, ENOMEM, "mount %s", m->destination);
			goto out;
		}
		*slash = '\0';
		upfd = open_in_root(f->rootfd, *up ? up : "/", O_PATH | O_DIRECTORY);
		r = upfd < 0 ? werr(err, -upfd, "mount %s", m->destination)
			     : bind_cgroup_dir(upfd, slash + 1, src, m->flags & MS_RDONLY,
					       m->destination, err);
	}
out:
	cg_system_clear(&sys);
	return r;
}

bool fs_has_cgroup_mount(const struct ward_spec *s)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (s->mounts[i].type && streq(s->mounts[i].type, "cgroup") &&
		    !is_bind(&s->mounts[i]))
			return true;
	return false;
}

static int mount_entry(struct fs_ctx *f, size_t i, ward_err *err)
{
	const struct ward_mount *m = &f->spec->mounts[i];
	_cleanup_close_ int tgt = -1;
	_cleanup_close_ int top = -1;
	bool bind = is_bind(m);
	bool file = false;
	uint64_t attrs;
	int r;

	if (bind && f->src_fds[i] < 0)
		return 0; /* optional source that does not exist */
	if (m->optional && !parent_exists(f->rootfd, m->destination))
		return 0;
	if (bind) {
		struct stat st;
		if (fstat(f->src_fds[i], &st) < 0)
			return werr(err, errno, "bind %s", m->destination);
		file = !S_ISDIR(st.st_mode);
	}
	tgt = mkpath_in_root(f->rootfd, m->destination, file, 0755);
	if (tgt == -ENOLINK)
		return werrx(err, ENOLINK, "mount %s: a component is a dangling symlink",
			     m->destination);
	if (tgt == -EROFS || tgt == -EACCES)
		return werr(err, -tgt, "mount %s: create mount point", m->destination);
	if (tgt < 0)
		return werr(err, -tgt, "mount %s: resolve in root", m->destination);
	if (bind) {
		char sp[FDPATH_MAX], tp[FDPATH_MAX];

		fdpath(sp, f->src_fds[i]);
		fdpath(tp, tgt);
		if (mount(sp, tp, NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0)
			return werr(err, errno, "bind %s on %s", m->source, m->destination);
	} else if (m->type && streq(m->type, "cgroup")) {
		r = mount_cgroup(f, m, tgt, err);
		if (r < 0)
			return r;
	} else {
		r = mount_special(f, m, tgt, err);
		if (r < 0)
			return r;
	}
	/* a handle on the mount we just made, for attributes and propagation */
	attrs = bind ? ms_to_attr(m->flags) : 0;
	if (!attrs && !m->rec_attr_set && !m->propagation && f->spec->ns[WNS_MNT].enabled)
		return 0;
	top = open_in_root(f->rootfd, m->destination, O_PATH);
	if (top < 0)
		return werr(err, -top, "mount %s: reopen", m->destination);
	if (!f->spec->ns[WNS_MNT].enabled) {
		/* the caller's mount table: a bind joined its source's peer
		 * group, so what ward mounts below it (masks, read-only
		 * paths, nested mounts) would appear on the host path too */
		char tp[FDPATH_MAX];
		fdpath(tp, top);
		if (mount(NULL, tp, NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			return werr(err, errno, "mount %s: make private", m->destination);
	}
	if (attrs && (r = fs_set_attrs(top, attrs, false, m->destination, err)) < 0)
		return r;
	if (m->rec_attr_set &&
	    (r = fs_set_attrs(top, m->rec_attr_set, true, m->destination, err)) < 0)
		return r;
	if (m->propagation) {
		char tp[FDPATH_MAX];
		fdpath(tp, top);
		if (mount(NULL, tp, NULL, m->propagation, NULL) < 0)
			return werr(err, errno, "mount %s: set propagation", m->destination);
	}
	return 0;
}

static int make_link(int rootfd, const char *path, const char *target, ward_err *err)
{
	_cleanup_free_ char *dir = strdup(path);
	_cleanup_close_ int dfd = -1;
	char *slash;

	if (!dir)
		return werr(err, ENOMEM, "symlink %s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return werrx(err, EINVAL, "symlink %s: not an absolute path", path);
	*slash = '\0';
	dfd = *dir ? mkpath_in_root(rootfd, dir, false, 0755) : dup(rootfd);
	if (dfd < 0)
		return werr(err, dfd == -1 ? errno : -dfd, "symlink %s", path);
	if (symlinkat(target, dfd, slash + 1) < 0 && errno != EEXIST)
		return werr(err, errno, "symlink %s -> %s", path, target);
	return 0;
}

int fs_mount_all(struct fs_ctx *f, ward_err *err)
{
	const struct ward_spec *s = f->spec;
	int r;

	for (size_t i = 0; i < s->n_mounts; i++) {
		r = mount_entry(f, i, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < s->n_links; i++) {
		r = make_link(f->rootfd, s->links[i].path, s->links[i].target, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int bind_node(struct fs_ctx *f, int hostfd, const char *path, ward_err *err)
{
	char sp[FDPATH_MAX], tp[FDPATH_MAX];
	_cleanup_close_ int tgt = mkpath_in_root(f->rootfd, path, true, 0666);

	if (tgt < 0)
		return werr(err, -tgt, "devices: create %s", path);
	fdpath(sp, hostfd);
	fdpath(tp, tgt);
	if (mount(sp, tp, NULL, MS_BIND, NULL) < 0)
		return werr(err, errno, "devices: bind %s", path);
	/* without a mount namespace, not a peer of the host's node */
	if (!f->spec->ns[WNS_MNT].enabled) {
		_cleanup_close_ int top = open_in_root(f->rootfd, path, O_PATH);
		if (top < 0)
			return werr(err, -top, "devices: reopen %s", path);
		fdpath(tp, top);
		if (mount(NULL, tp, NULL, MS_PRIVATE, NULL) < 0)
			return werr(err, errno, "devices: %s: make private", path);
	}
	return 0;
}

static int make_node(struct fs_ctx *f, size_t i, ward_err *err)
{
	const struct ward_device *d = &f->spec->devices[i];
	_cleanup_free_ char *dir = strdup(d->path);
	_cleanup_close_ int dfd = -1;
	mode_t type;
	char *slash;

	if (f->userns) {
		/* device nodes made in a user namespace do not work: bind the
		 * host's node instead */
		if (f->dev_fds[i] < 0)
			return werrx(err, ENOENT, "devices: %s does not exist on the host",
				     d->path);
		return bind_node(f, f->dev_fds[i], d->path, err);
	}
	if (!dir)
		return werr(err, ENOMEM, "devices");
	slash = strrchr(dir, '/');
	if (!slash)
		return werrx(err, EINVAL, "devices: %s is not an absolute path", d->path);
	*slash = '\0';
	dfd = mkpath_in_root(f->rootfd, *dir ? dir : "/", false, 0755);
	if (dfd < 0)
		return werr(err, -dfd, "devices: %s", d->path);
	switch (d->type) {
	case 'c':
	case 'u':
		type = S_IFCHR;
		break;
	case 'b':
		type = S_IFBLK;
		break;
	case 'p':
		type = S_IFIFO;
		break;
	default:
		return werrx(err, EINVAL, "devices: %s has unknown type '%c'", d->path, d->type);
	}
	{
		/* O_PATH dirfds are fine for mknodat, but the reopened real
		 * directory makes fchownat's AT_EMPTY_PATH-free call simple */
		_cleanup_close_ int real = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int at = real >= 0 ? real : dfd;
		unlinkat(at, slash + 1, 0);
		if (mknodat(at, slash + 1, type | (d->mode & 07777),
			    makedev((unsigned)d->major, (unsigned)d->minor)) < 0)
			return werr(err, errno, "devices: mknod %s", d->path);
		if (fchownat(at, slash + 1, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
			return werr(err, errno, "devices: chown %s", d->path);
		/* the mode as given, not as our umask left it (chown first: it
		 * may clear set-id bits) */
		if (fchmodat(at, slash + 1, d->mode & 07777, 0) < 0)
			return werr(err, errno, "devices: chmod %s", d->path);
	}
	return 0;
}

/* A /dev bound from elsewhere (the host's) is taken as it is, as runc and
 * crun do; otherwise the default nodes go into the container's /dev. */
static bool dev_is_bound(const struct ward_spec *s)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (streq(s->mounts[i].destination, "/dev") && is_bind(&s->mounts[i]))
			return true;
	return false;
}

/* A spec device of the same path replaces a default one. */
static bool in_spec_devices(const struct ward_spec *s, const char *path)
{
	for (size_t i = 0; i < s->n_devices; i++)
		if (streq(s->devices[i].path, path))
			return true;
	return false;
}

int fs_devices(struct fs_ctx *f, ward_err *err)
{
	const struct ward_spec *s = f->spec;
	int r;

	if (s->default_devices && !dev_is_bound(s)) {
		for (int i = 0; i < FS_N_DEFAULT_DEVS; i++) {
			char p[32];
			snprintf(p, sizeof(p), "/dev/%s", default_devs[i].name);
			if (in_spec_devices(s, p))
				continue;
			r = bind_node(f, f->default_dev_fds[i], p, err);
			if (r < 0)
				return r;
		}
		for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++) {
			if (in_spec_devices(s, dev_links[i].path))
				continue;
			r = make_link(f->rootfd, dev_links[i].path, dev_links[i].target, err);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < s->n_devices; i++) {
		r = make_node(f, i, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int fs_sysctl(struct fs_ctx *f, ward_err *err)
{
	const struct ward_spec *s = f->spec;

	for (size_t i = 0; i < s->n_sysctl; i++) {
		char path[PATH_MAX];
		_cleanup_close_ int fd = -1;
		const char *v = s->sysctl[i].value;

		snprintf(path, sizeof(path), "/proc/sys/%s", s->sysctl[i].key);
		for (char *p = path + strlen("/proc/sys/"); *p; p++)
			if (*p == '.')
				*p = '/';
		fd = open_in_root(f->rootfd, path, O_WRONLY);
		if (fd < 0)
			return werr(err, -fd, "sysctl %s", s->sysctl[i].key);
		if (write(fd, v, strlen(v)) < 0)
			return werr(err, errno, "sysctl %s = %s", s->sysctl[i].key, v);
	}
	return 0;
}

static int make_readonly(struct fs_ctx *f, const char *path, ward_err *err)
{
	_cleanup_close_ int fd = open_in_root(f->rootfd, path, O_PATH);
	_cleanup_close_ int top = -1;
	char p[FDPATH_MAX];

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return werr(err, -fd, "read-only %s", path);
	fdpath(p, fd);
	if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
		return werr(err, errno, "read-only %s: bind", path);
	top = open_in_root(f->rootfd, path, O_PATH);
	if (top < 0)
		return werr(err, -top, "read-only %s", path);
	return fs_set_attrs(
	    top, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, true,
	    path, err);
}

static int make_masked(struct fs_ctx *f, const char *path, ward_err *err)
{
	_cleanup_close_ int fd = open_in_root(f->rootfd, path, O_PATH);
	char p[FDPATH_MAX], np[FDPATH_MAX];
	struct stat st;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return werr(err, -fd, "mask %s", path);
	if (fstat(fd, &st) < 0)
		return werr(err, errno, "mask %s", path);
	fdpath(p, fd);
	if (S_ISDIR(st.st_mode)) {
		if (mount("ward-mask", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "size=0,mode=0555") < 0)
			return werr(err, errno, "mask %s", path);
		return 0;
	}
	fdpath(np, f->devnull_fd);
	if (mount(np, p, NULL, MS_BIND, NULL) < 0)
		return werr(err, errno, "mask %s", path);
	/* reads see an empty file; the mount itself is read-only */
	{
		_cleanup_close_ int top = open_in_root(f->rootfd, path, O_PATH);
		if (top < 0)
			return werr(err, -top, "mask %s", path);
		return fs_set_attrs(top, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC,
				    false, path, err);
	}
}

int fs_masks(struct fs_ctx *f, ward_err *err)
{
	const struct ward_spec *s = f->spec;
	int r;

	STRV_FOREACH (p, s->readonly_paths) {
		r = make_readonly(f, *p, err);
		if (r < 0)
			return r;
	}
	STRV_FOREACH (p, s->masked_paths) {
		r = make_masked(f, *p, err);
		if (r < 0)
			return r;
	}
	/* the host template's skeleton is never writable; a rootfs only when
	 * asked (--read-only, root.readonly) */
	if (!s->rootfs || s->rootfs_readonly) {
		r = fs_set_attrs(f->rootfd, MOUNT_ATTR_RDONLY, false, "/", err);
		if (r < 0)
			return r;
	}
	return 0;
}

int fs_pivot(struct fs_ctx *f, ward_err *err)
{
	if (fchdir(f->rootfd) < 0)
		return werr(err, errno, "pivot_root: enter new root");
	if (!f->spec->ns[WNS_MNT].enabled) {
		/* the caller's mount namespace: its root stays its own, ours
		 * is a chroot (the mounts stay reachable from outside it, as
		 * the spec's "inherit the runtime's namespace" implies) */
		if (chroot(".") < 0)
			return werr(err, errno, "chroot");
	} else if (f->spec->no_pivot) {
		/* for roots that cannot be pivoted (an initramfs): move the
		 * new root over / and chroot into it */
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			return werr(err, errno, "move root");
		if (chroot(".") < 0)
			return werr(err, errno, "chroot");
	} else {
		/* pivot onto itself, then detach the old root stacked below:
		 * no directory for the old root is needed in the container */
		if (ward_pivot_root(".", ".") < 0)
			return werr(err, errno, "pivot_root");
		if (umount2(".", MNT_DETACH) < 0)
			return werr(err, errno, "detach old root");
	}
	if (chdir("/") < 0)
		return werr(err, errno, "chdir /");
	if (f->spec->rootfs_propagation &&
	    mount(NULL, "/", NULL, f->spec->rootfs_propagation, NULL) < 0)
		return werr(err, errno, "set root propagation");
	closep(&f->rootfd);
	return 0;
}

int fs_bind_console(int slave_fd, ward_err *err)
{
	char sp[FDPATH_MAX];
	int fd = open("/dev/console", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		if (errno == EROFS || errno == ENOENT)
			return 0; /* no writable /dev: no console node */
		return werr(err, errno, "create /dev/console");
	}
	close(fd);
	fdpath(sp, slave_fd);
	if (mount(sp, "/dev/console", NULL, MS_BIND, NULL) < 0)
		return werr(err, errno, "bind /dev/console");
	return 0;
}
