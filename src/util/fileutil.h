/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WARD_FILEUTIL_H
#define WARD_FILEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Read a whole file (NUL-terminated); -errno on failure. */
int read_file_at(int dirfd, const char *path, char **out, size_t *len);
static inline int read_file(const char *path, char **out, size_t *len)
{
	return read_file_at(-100 /* AT_FDCWD */, path, out, len);
}
/* Write a whole string to an existing file, one write(2); -errno. */
int write_file_at(int dirfd, const char *path, const char *data);
static inline int write_file(const char *path, const char *data)
{
	return write_file_at(-100, path, data);
}
/* Create a file atomically (tmp + rename) with mode. */
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);
int mkdir_p(const char *path, mode_t mode);
/* Remove a directory tree without crossing mount points; ENOENT is success. */
int rm_rf(const char *path);
bool path_exists(const char *path);
/* Write all of buf, retrying on EINTR/short writes. */
int write_all(int fd, const void *buf, size_t len);
/* Send / receive fds (SCM_RIGHTS) over a unix socket with a small payload.
 * recv_*: -errno, or the payload bytes (0 at EOF); fds beyond `max` are
 * closed. */
#define MAX_PASS_FDS 16
int send_fds(int sock, const int *fds, size_t n, const void *data, size_t len);
int recv_fds(int sock, int *fds, size_t max, size_t *n, void *data, size_t len);
int send_fd(int sock, int fd, const void *data, size_t len); /* fd -1: none */
int recv_fd(int sock, int *fd, void *data, size_t len);      /* *fd -1: none */

#endif
