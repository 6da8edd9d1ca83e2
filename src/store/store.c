/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store's directories (see store.h) and what the templates share:
 * making and discarding a rootfs, file capabilities, names in messages.
 * The walk that removes a tree is in walk.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/internal.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

/* ---- small helpers ---- */

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
	char *slash, *base;

	if (!dir)
		goto out;
	/* "x/rootfs/" names x/rootfs */
	for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
		dir[n - 1] = '\0';
	slash = strrchr(dir, '/');
	base = slash ? slash + 1 : dir;
	if (!*base || streq(base, ".") || streq(base, ".."))
		goto out;
	if (slash == dir)
		pfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	else if (slash) {
		*slash = '\0';
		pfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else
		pfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd >= 0)
		tree_remove_at(pfd, base, path, &ignored);
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
	_cleanup_close_ int tfd = -1, fd = -1;
	char buf[MSG_NAME_MAX];
	struct stat st;
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
	tfd = open(top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0)
		return werr(err, errno == ELOOP ? ENOTDIR : errno, "open %s", top);
	/* whatever made it before (or the umask): no host user may enter */
	if (fstat(tfd, &st) < 0 || ((st.st_mode & 07777) != 0700 && fchmod(tfd, 0700) < 0))
		return werr(err, errno, "chmod %s", top);
	if (mkdirat(tfd, name, 0700) < 0) {
		if (errno == EEXIST)
			return werrx(err, EEXIST, "container %s already exists", name);
		return werr(err, errno, "create %s", dir);
	}
	fd = openat(tfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0700) < 0)
		return werr(err, errno, "create %s", dir);
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
	fd = open(top, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : werr(err, errno, "open %s", top);
	return tree_remove_at(fd, name, dir, err);
}
