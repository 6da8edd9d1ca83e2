/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rootfs_chown_shift(): move a tree from one block of 65536 ids to another,
 * for a rootfs re-used by a container with another block, or a host-owned
 * tree given to a container.  The walk goes through directory fds only,
 * opens nothing through a symlink and stays on the tree's mount.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "runtime/container.h"
#include "store/internal.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/strutil.h"

struct shift {
	uint32_t from_uid, from_gid, to_uid, to_gid;
	uint64_t mnt;
	void *seen; /* tsearch tree of the inodes of hard-linked files done */
	int left;   /* entries with an id outside the block */
	ward_err *err;
};

static int cmp_ino(const void *a, const void *b)
{
	ino_t x = *(const ino_t *)a, y = *(const ino_t *)b;

	return x < y ? -1 : x > y;
}

/* Already shifted through another of its names? */
static int seen_before(struct shift *s, ino_t ino, bool *seen)
{
	ino_t *k = malloc(sizeof(*k)), **found;

	if (!k)
		return -ENOMEM;
	*k = ino;
	found = tsearch(k, &s->seen, cmp_ino);
	if (!found) {
		free(k);
		return -ENOMEM;
	}
	*seen = *found != k;
	if (*seen)
		free(k);
	return 0;
}

static bool in_block(uint32_t id, uint32_t from)
{
	return id >= from && id - from < WARD_SUBID_COUNT;
}

/* The new owner of NI; false when an id stays (outside the block). */
static bool new_owner(struct shift *s, const struct node_info *ni, uid_t *u, gid_t *g)
{
	bool ok = true;

	*u = ni->uid;
	*g = ni->gid;
	if (in_block(ni->uid, s->from_uid))
		*u = s->to_uid + (ni->uid - s->from_uid);
	else
		ok = false;
	if (in_block(ni->gid, s->from_gid))
		*g = s->to_gid + (ni->gid - s->from_gid);
	else
		ok = false;
	return ok;
}

/* chown FD (a real open file or directory) keeping set-id bits and file
 * capabilities, which a chown drops. */
static int shift_fd(struct shift *s, int fd, const struct node_info *ni, const char *path)
{
	unsigned char caps[64], v3[FCAPS_V3_SIZE];
	ssize_t n = -1;
	uid_t u;
	gid_t g;

	if (!new_owner(s, ni, &u, &g))
		s->left++;
	if (u == ni->uid && g == ni->gid)
		return 0;
	if (S_ISREG(ni->mode)) {
		n = fgetxattr(fd, FCAPS_XATTR, caps, sizeof(caps));
		if (n < 0 && errno != ENODATA && errno != ENOTSUP)
			return werr(s->err, errno, "read the capabilities of %s", path);
	}
	if (fchown(fd, u, g) < 0)
		return werr(s->err, errno, "chown %s", path);
	if ((ni->mode & (S_ISUID | S_ISGID)) && fchmod(fd, ni->mode & 07777) < 0)
		return werr(s->err, errno, "chmod %s", path);
	if (n > 0) {
		uint32_t root;
		if (fcaps_to_v3(caps, (size_t)n, &root, 0, v3) < 0)
			return werrx(s->err, EINVAL, "%s: malformed file capabilities", path);
		if (in_block(root, s->from_uid))
			root = s->to_uid + (root - s->from_uid);
		fcaps_to_v3(caps, (size_t)n, &(uint32_t){0}, root, v3);
		if (fsetxattr(fd, FCAPS_XATTR, v3, sizeof(v3), 0) < 0)
			return werr(s->err, errno, "restore the capabilities of %s", path);
	}
	return 0;
}

static int shift_dir(struct shift *s, int dfd, const char *path, int depth);

static int shift_entry(struct shift *s, int dfd, const char *name, const char *path, int depth)
{
	struct node_info ni;
	_cleanup_close_ int fd = -1;
	int r;

	r = node_info_at(dfd, name, &ni);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return werr(s->err, -r, "stat %s", path);
	if (S_ISDIR(ni.mode) && ni.mnt != s->mnt)
		return 0; /* a mount point: not ours to change */
	if (!S_ISDIR(ni.mode) && ni.nlink > 1) {
		bool seen;
		if (seen_before(s, ni.ino, &seen) < 0)
			return werr(s->err, ENOMEM, "chown %s", path);
		if (seen)
			return 0;
	}
	if (S_ISDIR(ni.mode) || S_ISREG(ni.mode)) {
		struct node_info now;
		fd = openat(dfd, name,
			    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOATIME);
		if (fd < 0)
			return errno == ENOENT ? 0 : werr(s->err, errno, "open %s", path);
		r = node_info_at(fd, "", &now);
		if (r < 0)
			return werr(s->err, -r, "stat %s", path);
		if (now.ino != ni.ino || now.mnt != ni.mnt)
			return werrx(s->err, EAGAIN, "chown %s: it changed during the walk", path);
		r = shift_fd(s, fd, &ni, path);
		if (r < 0 || !S_ISDIR(ni.mode))
			return r;
		return shift_dir(s, TAKE_FD(fd), path, depth + 1);
	}
	/* symlinks, FIFOs, sockets, devices: by name, never followed */
	{
		uid_t u;
		gid_t g;
		if (!new_owner(s, &ni, &u, &g))
			s->left++;
		if ((u != ni.uid || g != ni.gid) &&
		    fchownat(dfd, name, u, g, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
			return werr(s->err, errno, "chown %s", path);
	}
	return 0;
}

/* Shift everything in the directory DFD (consumed). */
static int shift_dir(struct shift *s, int dfd, const char *path, int depth)
{
	_cleanup_closedir_ DIR *d = fdopendir(dfd);
	struct dirent *de;

	if (!d) {
		close(dfd);
		return werr(s->err, errno, "open %s", path);
	}
	if (depth > 4096)
		return werrx(s->err, ELOOP, "chown %s: the tree is too deep", path);
	while ((errno = 0, de = readdir(d))) {
		_cleanup_free_ char *sub = NULL;
		int r;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		sub = xasprintf("%s/%s", path, de->d_name);
		if (!sub)
			return werr(s->err, ENOMEM, "chown %s", path);
		r = shift_entry(s, dirfd(d), de->d_name, sub, depth);
		if (r < 0)
			return r;
	}
	if (errno)
		return werr(s->err, errno, "read directory %s", path);
	return 0;
}

int rootfs_chown_shift(const char *rootfs, uint32_t from_uid, uint32_t from_gid, uint32_t to_uid,
		       uint32_t to_gid, ward_err *err)
{
	struct shift s = {from_uid, from_gid, to_uid, to_gid, 0, NULL, 0, err};
	struct node_info ni;
	int fd, r;

	if ((uint64_t)to_uid + WARD_SUBID_COUNT > UINT32_MAX ||
	    (uint64_t)to_gid + WARD_SUBID_COUNT > UINT32_MAX)
		return werrx(err, ERANGE, "chown %s: ids %u:%u leave no room for 65536 ids", rootfs,
			     to_uid, to_gid);
	fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return werr(err, errno, "open rootfs %s", rootfs);
	r = node_info_at(fd, "", &ni);
	if (r < 0) {
		close(fd);
		return werr(err, -r, "stat %s", rootfs);
	}
	s.mnt = ni.mnt;
	r = shift_fd(&s, fd, &ni, rootfs);
	if (r < 0)
		close(fd);
	else
		r = shift_dir(&s, fd, rootfs, 0);
	tdestroy(s.seen, free);
	return r < 0 ? r : s.left;
}
