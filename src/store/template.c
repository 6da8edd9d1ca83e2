/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The busybox and dir: templates (tar: is in tarball.c).  busybox builds a
 * rootfs of a dozen directories, a few files and one symlink per applet,
 * all made relative to the new rootfs's directory fd; the applet list comes
 * from running the host's static busybox itself (`--list-full`, no shell).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/internal.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/syscalls.h"

/* ---- busybox ---- */

/* Is the ELF file FD statically linked (no PT_INTERP)?  1 yes, 0 no,
 * -errno / -ENOEXEC when it is not a 64- or 32-bit ELF file. */
static int elf_is_static(int fd)
{
	unsigned char ident[EI_NIDENT];
	uint64_t phoff;
	unsigned phnum, phentsize;

	if (pread(fd, ident, sizeof(ident), 0) != (ssize_t)sizeof(ident))
		return -ENOEXEC;
	if (memcmp(ident, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	if (ident[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr eh;
		if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
			return -ENOEXEC;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
	} else if (ident[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr eh;
		if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
			return -ENOEXEC;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
	} else
		return -ENOEXEC;
	if (phnum > 4096 || phentsize < sizeof(uint32_t))
		return -ENOEXEC;
	for (unsigned i = 0; i < phnum; i++) {
		uint32_t type;
		if (pread(fd, &type, sizeof(type), (off_t)(phoff + (uint64_t)i * phentsize)) !=
		    (ssize_t)sizeof(type))
			return -ENOEXEC;
		if (type == PT_INTERP)
			return 0;
	}
	return 1;
}

/* Run BUSYBOX ARG and read what it prints (at most 1 MiB). */
static int run_list(const char *busybox, const char *arg, char **out)
{
	_cleanup_free_ char *buf = NULL;
	posix_spawn_file_actions_t fa;
	char *argv[] = {(char *)"busybox", (char *)arg, NULL};
	char *envp[] = {(char *)"PATH=/nonexistent", NULL};
	int p[2], st, r;
	size_t n = 0, cap = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return neg_errno();
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	r = posix_spawn(&pid, busybox, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		return -r;
	}
	for (;;) {
		ssize_t k;
		if (cap - n < 4096) {
			char *nb;
			if (cap >= (1 << 20)) {
				r = -EFBIG;
				break;
			}
			cap = cap ? cap * 2 : 16384;
			nb = realloc(buf, cap);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
		}
		k = read(p[0], buf + n, cap - n - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = neg_errno();
			break;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return neg_errno();
	if (r < 0)
		return r;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -EPROTO;
	buf[n] = '\0';
	*out = TAKE_PTR(buf);
	return 0;
}

struct bb {
	int root;
	uint32_t uid, gid;
	const char *rootfs;
	ward_err *err;
};

/* mkdir -p NAME (relative, no ".."), owned by the container's root. */
static int bb_mkdir(struct bb *b, const char *name, mode_t mode)
{
	_cleanup_free_ char *p = strdup(name);
	_cleanup_close_ int dfd = -1;
	int cur = b->root;
	char *s, *comp;

	if (!p)
		return werr(b->err, ENOMEM, "busybox rootfs");
	for (comp = p; comp; comp = s) {
		int fd;
		s = strchr(comp, '/');
		if (s)
			*s++ = '\0';
		if (mkdirat(cur, comp, 0700) == 0) {
			if (fchownat(cur, comp, b->uid, b->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
			    fchmodat(cur, comp, s ? 0755 : mode, 0) < 0)
				return werr(b->err, errno, "create %s/%s", b->rootfs, name);
		} else if (errno != EEXIST)
			return werr(b->err, errno, "create %s/%s", b->rootfs, name);
		fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return werr(b->err, errno, "open %s/%s", b->rootfs, name);
		closep(&dfd);
		dfd = cur = fd;
	}
	return 0;
}

/* Create NAME (in an existing directory) with CONTENT and MODE. */
static int bb_file(struct bb *b, const char *name, const char *content, mode_t mode)
{
	int fd = openat(b->root, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int r = 0;

	if (fd < 0)
		return werr(b->err, errno, "create %s/%s", b->rootfs, name);
	if (write_all(fd, content, strlen(content)) < 0 || fchown(fd, b->uid, b->gid) < 0 ||
	    fchmod(fd, mode) < 0)
		r = werr(b->err, errno, "write %s/%s", b->rootfs, name);
	close(fd);
	return r;
}

static int copy_fd(int in, int out)
{
	off_t off = 0;

	for (;;) {
		ssize_t n = sendfile(out, in, &off, 1 << 20);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return neg_errno();
		if (n == 0)
			return 0;
	}
}

/* An applet's link from `--list-full` ("usr/bin/wget"), relative to
 * bin/busybox. */
static int bb_applet(struct bb *b, const char *path)
{
	_cleanup_free_ char *dir = NULL, *target = NULL;
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	size_t depth = 0;
	int dfd = -1, r = 0;

	/* a line we do not understand is not a link we make */
	if (!*path || path[0] == '/' || strstr(path, "..") || !*base || streq(path, "bin/busybox"))
		return 0;
	for (const char *p = path; *p; p++)
		if (*p == '/')
			depth++;
		else if ((unsigned char)*p < 0x20)
			return 0;
	if (depth == 0)
		return 0; /* --list: no directories */
	dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return werr(b->err, ENOMEM, "busybox rootfs");
	if (streq(dir, "bin"))
		target = strdup("busybox");
	else {
		size_t len = depth * 3 + sizeof("bin/busybox");
		target = calloc(1, len);
		if (target) {
			for (size_t i = 0; i < depth; i++)
				strcat(target, "../");
			strcat(target, "bin/busybox");
		}
	}
	if (!target)
		return werr(b->err, ENOMEM, "busybox rootfs");
	r = bb_mkdir(b, dir, 0755);
	if (r < 0)
		return r;
	dfd = openat(b->root, dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return werr(b->err, errno, "open %s/%s", b->rootfs, dir);
	if (symlinkat(target, dfd, base) < 0) {
		if (errno != EEXIST)
			r = werr(b->err, errno, "create %s/%s", b->rootfs, path);
	} else if (fchownat(dfd, base, b->uid, b->gid, AT_SYMLINK_NOFOLLOW) < 0)
		r = werr(b->err, errno, "chown %s/%s", b->rootfs, path);
	close(dfd);
	return r;
}

static const char *const bb_dirs[][2] = {
    {"bin", "0755"},  {"sbin", "0755"}, {"usr/bin", "0755"}, {"usr/sbin", "0755"},
    {"etc", "0755"},  {"dev", "0755"},  {"proc", "0555"},    {"sys", "0555"},
    {"run", "0755"},  {"tmp", "1777"},  {"var/tmp", "1777"}, {"root", "0700"},
    {"home", "0755"},
};

static const char *const bb_files[][3] = {
    {"etc/passwd", "0644",
     "root:x:0:0:root:/root:/bin/sh\n"
     "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
    {"etc/group", "0644", "root:x:0:\nnobody:x:65534:\n"},
    {"etc/shadow", "0640", "root:*:1::::::\nnobody:*:1::::::\n"},
    /* ward binds the container's own over these two */
    {"etc/hosts", "0644", "127.0.0.1\tlocalhost\n::1\tlocalhost\n"},
    {"etc/resolv.conf", "0644", ""},
    {"etc/profile", "0644",
     "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"},
};

/* The applets of BUSYBOX, one path a line (*FULL: with their directory).
 * Everything about the binary is checked here, before a rootfs is made. */
static int busybox_check(const char *busybox, int *in, char **list, bool *full, ward_err *err)
{
	_cleanup_close_ int fd = open(busybox, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int r;

	if (fd < 0)
		return werr(err, errno, "open %s (install busybox-static)", busybox);
	r = elf_is_static(fd);
	if (r < 0)
		return werrx(err, ENOEXEC, "%s is not an ELF executable", busybox);
	if (r == 0)
		return werrx(err, ENOEXEC,
			     "%s is dynamically linked and would not run in a rootfs of its own "
			     "(install busybox-static)",
			     busybox);
	*full = true;
	r = run_list(busybox, "--list-full", list);
	if (r < 0) {
		*full = false;
		r = run_list(busybox, "--list", list);
	}
	if (r < 0)
		return werr(err, -r, "list the applets of %s", busybox);
	*in = TAKE_FD(fd);
	return 0;
}

static int busybox_fill(struct bb *b, int in, char *list, bool full)
{
	_cleanup_close_ int out = -1, bin = -1;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(bb_dirs); i++) {
		r = bb_mkdir(b, bb_dirs[i][0], (mode_t)strtoul(bb_dirs[i][1], NULL, 8));
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(bb_files); i++) {
		r = bb_file(b, bb_files[i][0], bb_files[i][2],
			    (mode_t)strtoul(bb_files[i][1], NULL, 8));
		if (r < 0)
			return r;
	}
	bin = openat(b->root, "bin", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (bin < 0)
		return werr(b->err, errno, "open %s/bin", b->rootfs);
	out = openat(bin, "busybox", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return werr(b->err, errno, "create %s/bin/busybox", b->rootfs);
	r = copy_fd(in, out);
	if (r < 0)
		return werr(b->err, -r, "copy busybox to %s/bin/busybox", b->rootfs);
	if (fchown(out, b->uid, b->gid) < 0 || fchmod(out, 0755) < 0)
		return werr(b->err, errno, "chown %s/bin/busybox", b->rootfs);

	for (char *line = list, *next; line && *line; line = next) {
		_cleanup_free_ char *path = NULL;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line = strstrip(line);
		if (!full && strchr(line, '/'))
			continue;
		path = full ? strdup(line) : xasprintf("bin/%s", line);
		if (!path)
			return werr(b->err, ENOMEM, "busybox rootfs");
		r = bb_applet(b, path);
		if (r < 0)
			return r;
	}
	return 0;
}

int template_busybox_from(const char *busybox, const char *rootfs, uint32_t uid, uint32_t gid,
			  ward_err *err)
{
	struct bb b = {-1, uid, gid, rootfs, err};
	_cleanup_close_ int in = -1;
	_cleanup_free_ char *list = NULL;
	bool full;
	int r;

	r = busybox_check(busybox, &in, &list, &full, err);
	if (r < 0)
		return r;
	b.root = rootfs_create(rootfs, uid, gid, 0755, err);
	if (b.root < 0)
		return b.root;
	r = busybox_fill(&b, in, list, full);
	close(b.root);
	if (r < 0)
		rootfs_discard(rootfs);
	return r < 0 ? r : 0;
}

int template_busybox(const char *rootfs, uint32_t uid, uint32_t gid, ward_err *err)
{
	return template_busybox_from(BUSYBOX_PATH, rootfs, uid, gid, err);
}

/* ---- dir: ---- */

/* Is there something at PATH in the tree at ROOT, its symlinks read in
 * that tree (a merged-/usr rootfs has bin -> usr/bin, or /usr/bin), the
 * last one not followed? */
static bool exists_in_root(int root, const char *path)
{
	struct ward_open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
				    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int fd = ward_openat2(root, path, &how);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	if (errno != ENOSYS && errno != EPERM)
		return false;
	/* without openat2 (or under a seccomp filter refusing it): the
	 * host's view, which is only a hint */
	return faccessat(root, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int template_dir(const char *path, char **canonical, ward_err *err)
{
	_cleanup_free_ char *real = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	struct stat st, root;
	struct dirent *de;
	bool empty = true;
	int fd;

	if (!path || path[0] != '/')
		return werrx(err, EINVAL, "rootfs %s: an absolute path is needed",
			     path ? path : "(null)");
	real = realpath(path, NULL);
	if (!real)
		return werr(err, errno, "rootfs %s", path);
	fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return werr(err, errno == ENOTDIR ? ENOTDIR : errno, "rootfs %s", path);
	if (fstat(fd, &st) < 0 || stat("/", &root) < 0) {
		close(fd);
		return werr(err, errno, "rootfs %s", path);
	}
	if (st.st_dev == root.st_dev && st.st_ino == root.st_ino) {
		close(fd);
		return werrx(err, EINVAL, "rootfs %s is the host's /", path);
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return werr(err, errno, "rootfs %s", path);
	}
	while ((errno = 0, de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
			empty = false;
			break;
		}
	if (empty && errno)
		return werr(err, errno, "rootfs %s", path);
	if (empty)
		return werrx(err, EINVAL, "rootfs %s is empty", path);
	if (!exists_in_root(dirfd(d), "bin/sh") && !exists_in_root(dirfd(d), "sbin/init"))
		wnotice("rootfs %s has neither /bin/sh nor /sbin/init", path);
	if (canonical)
		*canonical = TAKE_PTR(real);
	return 0;
}
