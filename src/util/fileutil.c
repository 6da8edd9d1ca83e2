/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

int read_file_at(int dirfd, const char *path, char **out, size_t *len)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	size_t cap = 0, n = 0;

	if (fd < 0)
		return neg_errno();
	for (;;) {
		ssize_t r;

		if (cap - n < 4096) {
			char *nb;
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	*out = TAKE_PTR(buf);
	return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t r = write(fd, p, len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int write_file_at(int dirfd, const char *path, const char *data)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	size_t len = strlen(data);
	ssize_t r;

	if (fd < 0)
		return neg_errno();
	/* one write: cgroup and proc files take the whole value or nothing */
	r = write(fd, data, len);
	if (r < 0)
		return neg_errno();
	if ((size_t)r != len)
		return -EIO;
	return 0;
}

int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int fd, r;

	if (!tmp)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return neg_errno();
	r = write_all(fd, data, len);
	if (close(fd) < 0 && r == 0)
		r = neg_errno();
	if (r == 0 && rename(tmp, path) < 0)
		r = neg_errno();
	if (r < 0)
		unlink(tmp);
	return r;
}

int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);
	char *s;

	if (!p)
		return -ENOMEM;
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return neg_errno();
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return neg_errno();
	return 0;
}

static int rm_rf_children(int dfd, dev_t dev)
{
	_cleanup_closedir_ DIR *d = fdopendir(dfd);
	struct dirent *de;
	int ret = 0;

	if (!d) {
		close(dfd);
		return neg_errno();
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				ret = neg_errno();
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			struct statx sx;
			int cfd;

			/* never descend into a mount point: another file system,
			 * or a bind mount of this one (same st_dev) */
			if (st.st_dev != dev)
				continue;
			if (statx(dirfd(d), de->d_name, AT_SYMLINK_NOFOLLOW, 0, &sx) == 0 &&
			    (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
			    (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
				continue;
			cfd = openat(dirfd(d), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd >= 0) {
				int r = rm_rf_children(cfd, dev);
				if (r < 0)
					ret = r;
			}
			if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
				ret = neg_errno();
		} else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
			ret = neg_errno();
		}
	}
	return ret;
}

int rm_rf(const char *path)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : neg_errno();
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 && errno != ENOENT ? neg_errno() : 0;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : neg_errno();
	r = rm_rf_children(fd, st.st_dev);
	if (rmdir(path) < 0 && errno != ENOENT)
		return r < 0 ? r : neg_errno();
	return r;
}

bool path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

int send_fds(int sock, const int *fds, size_t n, const void *data, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_PASS_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;

	if (n > MAX_PASS_FDS)
		return -E2BIG;
	memset(&u, 0, sizeof(u));
	if (n > 0) {
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	for (;;) {
		ssize_t r = sendmsg(sock, &msg, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return neg_errno();
		return 0;
	}
}

int send_fd(int sock, int fd, const void *data, size_t len)
{
	return send_fds(sock, &fd, fd >= 0 ? 1 : 0, data, len);
}

int recv_fds(int sock, int *fds, size_t max, size_t *n, void *data, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_PASS_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = data, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	ssize_t r;

	*n = 0;
	do
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return neg_errno();
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t k;
		int got[MAX_PASS_FDS];

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (k > MAX_PASS_FDS)
			k = MAX_PASS_FDS;
		memcpy(got, CMSG_DATA(c), k * sizeof(int));
		for (size_t i = 0; i < k; i++) {
			if (*n < max)
				fds[(*n)++] = got[i];
			else
				close(got[i]); /* more than asked for: not ours to keep */
		}
	}
	return (int)r;
}

int recv_fd(int sock, int *fd, void *data, size_t len)
{
	size_t n;
	int r = recv_fds(sock, fd, 1, &n, data, len);

	if (n == 0)
		*fd = -1;
	return r;
}
