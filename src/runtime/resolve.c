/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Paths inside a container's root are resolved as if that root were "/":
 * an absolute symlink or a ".." never leaves it (the CVE-2021-30465 class,
 * where a symlink swapped into a mount destination mounted the host's root).
 * openat2(RESOLVE_IN_ROOT) does this in the kernel; without it (Linux < 5.6)
 * we walk one component at a time with O_NOFOLLOW and expand symlinks
 * ourselves, so a symlink swapped in between fails with ELOOP instead of
 * escaping.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/resolve.h"
#include "util/cleanup.h"
#include "util/strutil.h"
#include "util/syscalls.h"

static int openat2_state; /* 0 unknown, 1 works, -1 ENOSYS */

#define MAX_LINKS 40

static bool streq_dot(const char *c)
{
	return c[0] == '.' && c[1] == '\0';
}

/* The rest of a path below a component that does not exist is taken
 * literally; a ".." in it could only climb back through what we have not
 * resolved, so it is refused. */
static int append_rest(const char *resolved, const char *comp, const char *rest, char *out,
		       size_t outlen)
{
	size_t need = strlen(resolved) + 1 + strlen(comp) + strlen(rest) + 1;

	if (strstr(rest, "/../") ||
	    (strlen(rest) >= 3 && strcmp(rest + strlen(rest) - 3, "/..") == 0))
		return -ENOENT;
	if (need > outlen)
		return -ENAMETOOLONG;
	strcpy(out, resolved);
	strcat(out, "/");
	strcat(out, comp);
	strcat(out, rest);
	return 0;
}

/* Canonicalize `path` inside the root: symlinks expanded (relative to the
 * root for absolute targets), "." and ".." folded without climbing above
 * the root.  Components that do not exist are kept literally. */
static int canonicalize(int rootfd, const char *path, char *out, size_t outlen)
{
	char work[PATH_MAX * 2];
	char resolved[PATH_MAX] = "";
	int links = 0;
	char *p;

	if (strlen(path) >= sizeof(work) / 2)
		return -ENAMETOOLONG;
	strcpy(work, path);
	p = work;
	while (*p) {
		char comp[NAME_MAX + 1];
		size_t n;
		char link[PATH_MAX];
		ssize_t ln;
		_cleanup_close_ int dfd = -1;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		n = strcspn(p, "/");
		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, p, n);
		comp[n] = '\0';
		p += n;
		if (streq_dot(comp))
			continue;
		if (strcmp(comp, "..") == 0) {
			char *slash = strrchr(resolved, '/');
			/* as the kernel does: ".." needs what it leaves to be a
			 * directory that exists (ENOTDIR, ENOENT otherwise) */
			if (*resolved) {
				int d = openat(rootfd, resolved + 1,
					       O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (d < 0)
					return -errno;
				close(d);
			}
			if (slash)
				*slash = '\0';
			continue;
		}
		/* look at the component as it is now, without following it */
		dfd = *resolved ? openat(rootfd, resolved + 1,
					 O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
				: dup(rootfd);
		if (dfd < 0)
			return errno == ENOENT ? append_rest(resolved, comp, p, out, outlen)
					       : -errno;
		ln = readlinkat(dfd, comp, link, sizeof(link) - 1);
		if (ln < 0) {
			if (errno != EINVAL && errno != ENOENT)
				return -errno;
			if (strlen(resolved) + 1 + strlen(comp) >= sizeof(resolved))
				return -ENAMETOOLONG;
			strcat(resolved, "/");
			strcat(resolved, comp);
			continue;
		}
		link[ln] = '\0';
		if (++links > MAX_LINKS)
			return -ELOOP;
		/* splice the target in front of what is left */
		{
			char rest[PATH_MAX * 2];
			if ((size_t)ln + strlen(p) + 2 >= sizeof(rest))
				return -ENAMETOOLONG;
			strcpy(rest, link);
			strcat(rest, "/");
			strcat(rest, p);
			strcpy(work, rest);
			p = work;
			if (link[0] == '/')
				resolved[0] = '\0';
		}
	}
	if (strlen(resolved) + 1 >= outlen)
		return -ENAMETOOLONG;
	strcpy(out, *resolved ? resolved : "/");
	return 0;
}

int open_in_root(int rootfd, const char *path, int flags)
{
	char canon[PATH_MAX];
	int fd, r;

	if (openat2_state >= 0) {
		struct ward_open_how how = {
		    .flags = (uint64_t)(flags | O_CLOEXEC),
		    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		while (*path == '/')
			path++;
		fd = ward_openat2(rootfd, *path ? path : ".", &how);
		if (fd >= 0) {
			openat2_state = 1;
			return fd;
		}
		if (errno != ENOSYS)
			return -errno;
		openat2_state = -1;
	}
	r = canonicalize(rootfd, path, canon, sizeof(canon));
	if (r < 0)
		return r;
	if (streq(canon, "/"))
		fd = openat(rootfd, ".", flags | O_CLOEXEC);
	else
		fd = openat(rootfd, canon + 1, flags | O_NOFOLLOW | O_CLOEXEC);
	/* O_NOFOLLOW on O_PATH opens the link itself: a link here means one
	 * was swapped in after we looked */
	if (fd >= 0 && (flags & O_PATH)) {
		struct stat st;
		if (fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
			close(fd);
			return -ELOOP;
		}
	}
	return fd < 0 ? -errno : fd;
}

/* `prefix` (a path inside the root) names a symlink that resolves to
 * nothing: build the path it points at, followed by `rest`, so that the
 * caller creates the link's target -- inside the root, like everything else. */
static int follow_dangling(int rootfd, const char *prefix, const char *rest, char *out,
			   size_t outlen)
{
	_cleanup_free_ char *dir = strdup(prefix);
	_cleanup_close_ int parent = -1;
	char target[PATH_MAX];
	char *slash;
	ssize_t n;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	*slash = '\0';
	parent = open_in_root(rootfd, *dir ? dir : "/", O_PATH | O_DIRECTORY);
	if (parent < 0)
		return parent;
	n = readlinkat(parent, slash + 1, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (snprintf(out, outlen, "%s/%s%s", target[0] == '/' ? "" : dir, target, rest) >=
	    (int)outlen)
		return -ENAMETOOLONG;
	return 0;
}

static int mkpath_depth(int rootfd, const char *path, bool last_is_file, mode_t mode, int depth)
{
	char prefix[PATH_MAX];
	const char *p = path;
	size_t plen = 0;

	if (depth > MAX_LINKS)
		return -ELOOP;
	if (strlen(path) >= sizeof(prefix))
		return -ENAMETOOLONG;
	prefix[0] = '\0';
	for (;;) {
		size_t n;
		bool last;
		int fd;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		n = strcspn(p, "/");
		last = p[n] == '\0' || p[n + strspn(p + n, "/")] == '\0';
		prefix[plen++] = '/';
		memcpy(prefix + plen, p, n);
		plen += n;
		prefix[plen] = '\0';
		p += n;

		fd = open_in_root(rootfd, prefix, O_PATH);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (fd != -ENOENT)
			return fd;
		/* create the missing component inside its (resolved) parent */
		{
			char *slash = strrchr(prefix, '/');
			_cleanup_close_ int parent = -1;
			const char *name = slash + 1;
			int r;

			*slash = '\0';
			parent = open_in_root(rootfd, *prefix ? prefix : "/", O_PATH | O_DIRECTORY);
			*slash = '/';
			if (parent < 0)
				return parent;
			if (last && last_is_file) {
				int ffd = openat(
				    parent, name,
				    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
				r = ffd < 0 ? -errno : 0;
				if (ffd >= 0)
					close(ffd);
			} else {
				r = mkdirat(parent, name, last ? mode : 0755) < 0 ? -errno : 0;
			}
			/* EEXIST on a name that did not resolve: a dangling link;
			 * create what it points to, resolved in the root */
			if (r == -EEXIST) {
				char next[PATH_MAX];
				r = follow_dangling(rootfd, prefix, p, next, sizeof(next));
				if (r < 0)
					return r;
				return mkpath_depth(rootfd, next, last_is_file, mode, depth + 1);
			}
			if (r < 0)
				return r;
		}
	}
	return open_in_root(rootfd, path, O_PATH);
}

int mkpath_in_root(int rootfd, const char *path, bool last_is_file, mode_t mode)
{
	return mkpath_depth(rootfd, path, last_is_file, mode, 0);
}

int openat2_available(void)
{
	return openat2_state;
}

void resolve_force_fallback(bool on)
{
	openat2_state = on ? -1 : 0;
}
