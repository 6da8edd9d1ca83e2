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

/*
 * The walk holds one directory open at a time, whatever the depth: a
 * container can nest directories far deeper than the fds a process may
 * hold (or its stack recurse), and must not be able to make itself
 * impossible to destroy.  It goes down by name (O_NOFOLLOW, staying on the
 * tree's mount) and back up through "..", checking that ".." is the
 * directory it came from.  Each directory is read once: what is not a
 * directory is removed on the way, its subdirectories are kept in a list.
 */
struct rm_level {
	ino_t ino;
	size_t path_len; /* of rm.path up to this directory */
	char **todo;     /* subdirectories still to remove */
	size_t next;
};

struct rm {
	ward_err *err;
	int ret; /* the first failure */
	uint64_t mnt;
	char *path; /* of the current directory, for messages */
	size_t path_cap;
	struct rm_level *lv;
	size_t depth, cap;
};

/* Record the first failure: "remove PATH[/NAME]: WHY" (WHY NULL:
 * strerror).  Returns R. */
static int rm_fail(struct rm *c, int r, const char *name, const char *why)
{
	char nb[MSG_NAME_MAX];

	if (c->ret < 0)
		return r;
	c->ret = r;
	msg_name(name ? name : "", nb, sizeof(nb));
	if (why)
		werrx(c->err, -r, "remove %s%s%s: %s", c->path, name ? "/" : "", nb, why);
	else
		werr(c->err, -r, "remove %s%s%s", c->path, name ? "/" : "", nb);
	return r;
}

#define MOUNT_IN_THE_WAY "a mount point is in the way"

/* Enter the directory INO named NAME ("" for the top): one more level. */
static int rm_push(struct rm *c, ino_t ino, const char *name)
{
	size_t len = c->depth ? c->lv[c->depth - 1].path_len : 0, nlen = strlen(name);

	if (c->depth == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct rm_level *nl = realloc(c->lv, cap * sizeof(*nl));
		if (!nl)
			return rm_fail(c, -ENOMEM, NULL, NULL);
		c->lv = nl;
		c->cap = cap;
	}
	if (*name) {
		if (c->path_cap < len + nlen + 2) {
			size_t cap = (len + nlen + 2) * 2;
			char *np = realloc(c->path, cap);
			if (!np)
				return rm_fail(c, -ENOMEM, NULL, NULL);
			c->path = np;
			c->path_cap = cap;
		}
		c->path[len++] = '/';
		memcpy(c->path + len, name, nlen + 1);
		len += nlen;
	} else
		len = strlen(c->path);
	c->lv[c->depth++] = (struct rm_level){.ino = ino, .path_len = len};
	return 0;
}

static void rm_pop(struct rm *c)
{
	struct rm_level *l = &c->lv[--c->depth];

	strv_free(l->todo);
	if (c->depth)
		c->path[c->lv[c->depth - 1].path_len] = '\0';
}

/* Remove what is not a directory in DFD (the top level's directory) and
 * list its subdirectories on the same mount.  A mount point is a failure
 * that leaves it alone and lets the walk go on with the rest. */
static int rm_scan(struct rm *c, int dfd)
{
	struct rm_level *l = &c->lv[c->depth - 1];
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd;

	/* a new open file description: this read starts at the beginning */
	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		int r = neg_errno();
		if (fd >= 0)
			close(fd);
		return rm_fail(c, r, NULL, NULL);
	}
	while ((errno = 0, de = readdir(d))) {
		struct node_info ni;
		int r;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		r = node_info_at(dirfd(d), de->d_name, &ni);
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			rm_fail(c, r, de->d_name, NULL);
			continue;
		}
		if (S_ISDIR(ni.mode)) {
			if (ni.mnt != c->mnt)
				rm_fail(c, -EBUSY, de->d_name, MOUNT_IN_THE_WAY);
			else if (strv_push(&l->todo, de->d_name) < 0)
				return rm_fail(c, -ENOMEM, NULL, NULL);
			continue;
		}
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
			rm_fail(c, neg_errno(), de->d_name,
				errno == EBUSY ? MOUNT_IN_THE_WAY : NULL);
	}
	if (errno)
		return rm_fail(c, neg_errno(), NULL, NULL);
	return 0;
}

/* Go down from *FD into NAME: 1 when entered, 0 when not (gone, or a
 * failure recorded), -errno when the walk cannot go on. */
static int rm_down(struct rm *c, int *fd, const char *name)
{
	struct node_info ni;
	int cfd, r;

	cfd = openat(*fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (cfd < 0) {
		if (errno != ENOENT)
			rm_fail(c, neg_errno(), name, NULL);
		return 0;
	}
	/* what we opened is still on our mount (no swap since the scan) */
	r = node_info_at(cfd, "", &ni);
	if (r < 0 || ni.mnt != c->mnt) {
		close(cfd);
		rm_fail(c, r < 0 ? r : -EBUSY, name, r < 0 ? NULL : MOUNT_IN_THE_WAY);
		return 0;
	}
	r = rm_push(c, ni.ino, name);
	if (r < 0) {
		close(cfd);
		return r;
	}
	close(*fd);
	*fd = cfd;
	return 1;
}

/* Go up from *FD, emptied, and remove it. */
static int rm_up(struct rm *c, int *fd)
{
	const struct rm_level *parent = &c->lv[c->depth - 2];
	_cleanup_free_ char *name = strdup(c->path + parent->path_len + 1);
	struct node_info ni;
	int up, r;

	if (!name)
		return rm_fail(c, -ENOMEM, NULL, NULL);
	up = openat(*fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (up < 0)
		return rm_fail(c, neg_errno(), "..", NULL);
	r = node_info_at(up, "", &ni);
	if (r < 0 || ni.ino != parent->ino || ni.mnt != c->mnt) {
		close(up);
		return rm_fail(c, r < 0 ? r : -EAGAIN, NULL,
			       r < 0 ? NULL : "the tree was moved during the removal");
	}
	close(*fd);
	*fd = up;
	rm_pop(c);
	if (unlinkat(up, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		/* not empty after a failure below: that one is reported */
		rm_fail(c, neg_errno(), name, NULL);
	return 0;
}

int tree_remove_at(int parentfd, const char *name, const char *display, ward_err *err)
{
	struct rm c = {.err = err};
	struct node_info pi, ni, now;
	int fd = -1, r;

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
	r = node_info_at(fd, "", &now);
	if (r < 0 || now.ino != ni.ino || now.mnt != ni.mnt) {
		close(fd);
		return r < 0 ? werr(err, -r, "remove %s", display)
			     : werrx(err, EBUSY, "remove %s: it is a mount point", display);
	}
	c.mnt = ni.mnt;
	c.path = strdup(display);
	if (!c.path) {
		close(fd);
		return werr(err, ENOMEM, "remove %s", display);
	}
	c.path_cap = strlen(display) + 1;
	r = rm_push(&c, ni.ino, "");
	if (r == 0)
		rm_scan(&c, fd);
	while (r == 0) {
		struct rm_level *l = &c.lv[c.depth - 1];

		if (l->todo && l->todo[l->next]) {
			r = rm_down(&c, &fd, l->todo[l->next++]);
			if (r == 1) {
				rm_scan(&c, fd);
				r = 0;
			}
		} else if (c.depth > 1)
			r = rm_up(&c, &fd);
		else
			break;
	}
	close(fd);
	while (c.depth)
		rm_pop(&c);
	free(c.lv);
	free(c.path);
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
		return werrx(err, EINVAL, "invalid container name '%s'", msg_name(name, buf, sizeof(buf)));
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
