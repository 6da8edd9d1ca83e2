/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store's directories (see store.h) and the walks every template
 * shares: removing a tree without following symlinks or crossing mounts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "store/internal.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

/* ---- small helpers ---- */

const char *msg_name(const char *s, char *buf, size_t size)
{
	size_t i = 0, n = 0;

	if (!s)
		s = "(null)";
	for (; s[i] && n + 4 < size; i++)
		buf[n++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	if (s[i]) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

int node_info_at(int dirfd, const char *name, struct node_info *out)
{
	static int no_statx;
	int flags = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | (*name ? 0 : AT_EMPTY_PATH);
	struct stat st;

	if (!no_statx) {
		struct statx sx;

		if (statx(dirfd, name, flags,
			  STATX_TYPE | STATX_MODE | STATX_INO | STATX_NLINK | STATX_UID |
			      STATX_GID | STATX_MNT_ID,
			  &sx) == 0) {
			out->mode = sx.stx_mode;
			out->ino = sx.stx_ino;
			out->nlink = sx.stx_nlink;
			out->uid = sx.stx_uid;
			out->gid = sx.stx_gid;
			if (sx.stx_mask & STATX_MNT_ID)
				out->mnt = sx.stx_mnt_id;
			else /* before Linux 5.8: the device, in a space of its own */
				out->mnt =
				    (1ULL << 63) | makedev(sx.stx_dev_major, sx.stx_dev_minor);
			return 0;
		}
		if (errno != ENOSYS)
			return neg_errno();
		no_statx = 1;
	}
	if (fstatat(dirfd, name, &st, flags) < 0)
		return neg_errno();
	out->mode = st.st_mode;
	out->ino = st.st_ino;
	out->nlink = st.st_nlink;
	out->uid = st.st_uid;
	out->gid = st.st_gid;
	out->mnt = (1ULL << 63) | st.st_dev;
	return 0;
}

/* ---- removal ---- */

struct rm {
	ward_err *err;
	int ret;
};

/* Record the first failure: "remove PATH: WHY" (WHY NULL: strerror). */
static void rm_fail(struct rm *c, int r, const char *path, const char *why)
{
	if (c->ret < 0)
		return;
	c->ret = r;
	if (why)
		werrx(c->err, -r, "remove %s: %s", path, why);
	else
		werr(c->err, -r, "remove %s", path);
}

#define MOUNT_IN_THE_WAY "a mount point is in the way"

/* Empty the directory DFD (consumed), on mount MNT; PATH names it. */
static void rm_children(int dfd, uint64_t mnt, const char *path, struct rm *c)
{
	_cleanup_closedir_ DIR *d = fdopendir(dfd);
	struct dirent *de;

	if (!d) {
		close(dfd);
		rm_fail(c, neg_errno(), path, NULL);
		return;
	}
	while ((errno = 0, de = readdir(d))) {
		_cleanup_free_ char *sub = NULL;
		struct node_info ni;
		int r, cfd;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		sub = xasprintf("%s/%s", path, de->d_name);
		if (!sub) {
			rm_fail(c, -ENOMEM, path, NULL);
			return;
		}
		r = node_info_at(dirfd(d), de->d_name, &ni);
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			rm_fail(c, r, sub, NULL);
			continue;
		}
		if (!S_ISDIR(ni.mode)) {
			if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
				rm_fail(c, neg_errno(), sub,
					errno == EBUSY ? MOUNT_IN_THE_WAY : NULL);
			continue;
		}
		if (ni.mnt != mnt) {
			rm_fail(c, -EBUSY, sub, MOUNT_IN_THE_WAY);
			continue;
		}
		cfd = openat(dirfd(d), de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		if (cfd < 0) {
			if (errno != ENOENT)
				rm_fail(c, neg_errno(), sub, NULL);
			continue;
		}
		/* what we opened is still on our mount (no swap in between) */
		if (node_info_at(cfd, "", &ni) < 0 || ni.mnt != mnt) {
			close(cfd);
			rm_fail(c, -EBUSY, sub, MOUNT_IN_THE_WAY);
			continue;
		}
		rm_children(cfd, mnt, sub, c);
		if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			rm_fail(c, neg_errno(), sub, NULL);
	}
	if (errno)
		rm_fail(c, neg_errno(), path, NULL);
}

int tree_remove_at(int parentfd, const char *name, const char *display, ward_err *err)
{
	struct rm c = {err, 0};
	struct node_info pi, ni;
	int fd, r;

	r = node_info_at(parentfd, name, &ni);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return werr(err, -r, "remove %s", display);
	if (!S_ISDIR(ni.mode)) {
		if (unlinkat(parentfd, name, 0) < 0 && errno != ENOENT)
			return werr(err, errno, "remove %s", display);
		return 0;
	}
	r = node_info_at(parentfd, "", &pi);
	if (r < 0)
		return werr(err, -r, "remove %s", display);
	if (pi.mnt != ni.mnt)
		return werrx(err, EBUSY, "remove %s: it is a mount point", display);
	fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? 0 : werr(err, errno, "remove %s", display);
	rm_children(fd, ni.mnt, display, &c);
	if (c.ret < 0)
		return c.ret;
	if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return werr(err, errno, "remove %s", display);
	return 0;
}

/* ---- rootfs creation for templates ---- */

int rootfs_create(const char *path, uint32_t uid, uint32_t gid, mode_t mode, ward_err *err)
{
	int fd;

	if (!path || path[0] == '\0')
		return werrx(err, EINVAL, "empty rootfs path");
	if (mkdir(path, 0700) < 0) {
		if (errno == EEXIST)
			return werrx(err, EEXIST, "rootfs %s already exists", path);
		return werr(err, errno, "create rootfs %s", path);
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		rmdir(path);
		return werr(err, e, "create rootfs %s", path);
	}
	return fd;
}

void rootfs_discard(const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	_cleanup_close_ int pfd = -1;
	int saved = errno;
	ward_err ignored;
	char *slash;

	if (!dir)
		goto out;
	slash = strrchr(dir, '/');
	if (slash == dir)
		pfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	else if (slash) {
		*slash = '\0';
		pfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else
		pfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd >= 0)
		tree_remove_at(pfd, slash ? slash + 1 : dir, path, &ignored);
out:
	errno = saved;
}

/* ---- file capabilities ---- */

#define VFS_CAP_REVISION_MASK_ 0xFF000000U
#define VFS_CAP_REV1           0x01000000U
#define VFS_CAP_REV2           0x02000000U
#define VFS_CAP_REV3           0x03000000U

static uint32_t le32_get(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void le32_put(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

int fcaps_to_v3(const void *in, size_t len, uint32_t *root_in, uint32_t rootid,
		unsigned char out[FCAPS_V3_SIZE])
{
	const unsigned char *p = in;
	uint32_t magic, rev;

	if (len < 4)
		return -EINVAL;
	magic = le32_get(p);
	rev = magic & VFS_CAP_REVISION_MASK_;
	memset(out, 0, FCAPS_V3_SIZE);
	if (rev == VFS_CAP_REV1 && len == 12) {
		memcpy(out + 4, p + 4, 8);
		*root_in = 0;
	} else if (rev == VFS_CAP_REV2 && len == 20) {
		memcpy(out + 4, p + 4, 16);
		*root_in = 0;
	} else if (rev == VFS_CAP_REV3 && len == 24) {
		memcpy(out + 4, p + 4, 16);
		*root_in = le32_get(p + 20);
	} else
		return -EINVAL;
	le32_put(out, VFS_CAP_REV3 | (magic & ~VFS_CAP_REVISION_MASK_));
	le32_put(out + 20, rootid);
	return 0;
}

/* ---- the store ---- */

int store_dir(const struct ward_ctx *ctx, const char *name, char **out)
{
	if (!name_is_valid(name))
		return -EINVAL;
	*out = xasprintf("%s/containers/%s", ctx->lib_dir, name);
	return *out ? 0 : -ENOMEM;
}

int store_create_dir(const struct ward_ctx *ctx, const char *name, ward_err *err)
{
	_cleanup_free_ char *top = NULL, *dir = NULL;
	char buf[MSG_NAME_MAX];
	int r;

	r = store_dir(ctx, name, &dir);
	if (r == -EINVAL)
		return werrx(err, EINVAL, "invalid container name '%s'",
			     msg_name(name, buf, sizeof(buf)));
	if (r < 0)
		return werr(err, -r, "container %s", name);
	top = xasprintf("%s/containers", ctx->lib_dir);
	if (!top)
		return werr(err, ENOMEM, "container %s", name);
	/* LIB itself may be a symlink an administrator chose; below it, not */
	r = mkdir_p(ctx->lib_dir, 0755);
	if (r < 0)
		return werr(err, -r, "create %s", ctx->lib_dir);
	if (mkdir(top, 0700) < 0 && errno != EEXIST)
		return werr(err, errno, "create %s", top);
	if (mkdir(dir, 0700) < 0) {
		if (errno == EEXIST)
			return werrx(err, EEXIST, "container %s already exists", name);
		return werr(err, errno, "create %s", dir);
	}
	return 0;
}

int store_remove(const struct ward_ctx *ctx, const char *name, ward_err *err)
{
	_cleanup_free_ char *top = NULL, *dir = NULL;
	_cleanup_close_ int fd = -1;
	char buf[MSG_NAME_MAX];
	int r;

	r = store_dir(ctx, name, &dir);
	if (r == -EINVAL)
		return werrx(err, EINVAL, "invalid container name '%s'",
			     msg_name(name, buf, sizeof(buf)));
	if (r < 0)
		return werr(err, -r, "container %s", name);
	top = xasprintf("%s/containers", ctx->lib_dir);
	if (!top)
		return werr(err, ENOMEM, "container %s", name);
	fd = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : werr(err, errno, "open %s", top);
	return tree_remove_at(fd, name, dir, err);
}
