/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rootfs_chown_shift(): move a tree from one block of 65536 ids to another,
 * for a rootfs re-used by a container with another block, or a host-owned
 * tree given to a container (and back).  The walk (walk.c) goes through
 * directory fds only, opens nothing through a symlink and stays on the
 * tree's mount.
 *
 * A file with several names is shifted once, after the walk, and only when
 * all its names were found in the tree: a hard link from outside (a dir:
 * rootfs on the host's file system, a link to /etc/shadow in it) would
 * otherwise hand a host file to the container's root.
 */
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
#include "util/log.h"
#include "util/strutil.h"

/* A file with several names, shifted after the walk. */
struct linked {
	ino_t ino;
	uint64_t nlink, seen;
	char *rel; /* the first name found, relative to the top */
};

struct shift {
	uint32_t from_uid, from_gid, to_uid, to_gid;
	void *seen; /* tsearch tree of struct linked, by inode */
	struct linked **linked;
	size_t n_linked, cap_linked;
	int left; /* entries with an id outside the block */
};

static int cmp_ino(const void *a, const void *b)
{
	ino_t x = ((const struct linked *)a)->ino, y = ((const struct linked *)b)->ino;

	return x < y ? -1 : x > y;
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

/* Is an id of the block at START one of the host's own (0-65535)? */
static bool host_block(uint32_t start)
{
	return start < WARD_SUBID_COUNT;
}

/* chown FD (a real open file or directory) keeping set-id bits and file
 * capabilities, which a chown drops, unless the file goes to the host's
 * own ids: a tree a container could write to (a dir: rootfs shifted back
 * at destroy) must not hand the host a set-uid-root program or one with
 * capabilities of the host's root.  SHOWN: its name in the walk's
 * directory, for messages (NULL: that directory itself). */
static int shift_fd(struct tree_walk *w, int fd, const struct node_info *ni, const char *shown)
{
	struct shift *s = w->data;
	unsigned char caps[64], v3[FCAPS_V3_SIZE];
	mode_t keep = ni->mode & 07777;
	ssize_t n = -1;
	uid_t u;
	gid_t g;

	if (!new_owner(s, ni, &u, &g))
		s->left++;
	if (u == ni->uid && g == ni->gid)
		return 0;
	if (!S_ISDIR(ni->mode)) { /* on a directory, set-gid only passes its group on */
		if (u != ni->uid && host_block(s->to_uid))
			keep &= ~(mode_t)S_ISUID;
		if (g != ni->gid && host_block(s->to_gid))
			keep &= ~(mode_t)S_ISGID;
	}
	if (S_ISREG(ni->mode)) {
		n = fgetxattr(fd, FCAPS_XATTR, caps, sizeof(caps));
		if (n < 0 && errno != ENODATA && errno != ENOTSUP)
			return tree_walk_fail(w, neg_errno(), shown, NULL);
	}
	if (fchown(fd, u, g) < 0)
		return tree_walk_fail(w, neg_errno(), shown, NULL);
	if ((ni->mode & (S_ISUID | S_ISGID)) && fchmod(fd, keep) < 0)
		return tree_walk_fail(w, neg_errno(), shown, NULL);
	if (n > 0) {
		uint32_t root;
		if (fcaps_to_v3(caps, (size_t)n, &root, 0, v3) < 0)
			return tree_walk_fail(w, -EINVAL, shown, "malformed file capabilities");
		if (in_block(root, s->from_uid)) {
			root = s->to_uid + (root - s->from_uid);
			if (host_block(root)) {
				/* the chown dropped them; make sure */
				if (fremovexattr(fd, FCAPS_XATTR) < 0 && errno != ENODATA)
					return tree_walk_fail(w, neg_errno(), shown,
							      "remove file capabilities");
				return 0;
			}
		}
		fcaps_to_v3(caps, (size_t)n, &(uint32_t){0}, root, v3);
		if (fsetxattr(fd, FCAPS_XATTR, v3, sizeof(v3), 0) < 0)
			return tree_walk_fail(w, neg_errno(), shown, "restore file capabilities");
	}
	return 0;
}

/* Shift what is not a directory: NAME in DFD, as NI describes it (SHOWN
 * in messages). */
static int shift_node(struct tree_walk *w, int dfd, const char *name, const char *shown,
		      const struct node_info *ni)
{
	struct shift *s = w->data;
	struct node_info now;
	_cleanup_close_ int fd = -1;
	uid_t u;
	gid_t g;
	int r;

	if (S_ISREG(ni->mode)) {
		fd = openat(dfd, name,
			    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOATIME);
		if (fd < 0)
			return errno == ENOENT ? 0 : tree_walk_fail(w, neg_errno(), shown, NULL);
		r = node_info_at(fd, "", &now);
		if (r < 0)
			return tree_walk_fail(w, r, shown, NULL);
		if (now.ino != ni->ino || now.mnt != ni->mnt)
			return tree_walk_fail(w, -EAGAIN, shown, "it changed during the walk");
		return shift_fd(w, fd, ni, shown);
	}
	/* symlinks, FIFOs, sockets, devices: by name, never followed */
	if (!new_owner(s, ni, &u, &g))
		s->left++;
	if ((u != ni->uid || g != ni->gid) && fchownat(dfd, name, u, g, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno != ENOENT)
		return tree_walk_fail(w, neg_errno(), shown, NULL);
	return 0;
}

/* One more name of a file with several: counted, shifted after the walk. */
static int shift_later(struct tree_walk *w, const char *name, const struct node_info *ni)
{
	struct shift *s = w->data;
	struct linked key = {.ino = ni->ino}, *l, **found;

	found = tfind(&key, &s->seen, cmp_ino);
	if (found) {
		(*found)->seen++;
		return 0;
	}
	if (s->n_linked == s->cap_linked) {
		size_t cap = s->cap_linked ? s->cap_linked * 2 : 64;
		struct linked **nl = realloc(s->linked, cap * sizeof(*nl));
		if (!nl)
			return tree_walk_fail(w, -ENOMEM, name, NULL);
		s->linked = nl;
		s->cap_linked = cap;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return tree_walk_fail(w, -ENOMEM, name, NULL);
	l->ino = ni->ino;
	l->nlink = ni->nlink;
	l->seen = 1;
	l->rel =
	    w->path[w->top_len] ? xasprintf("%s/%s", w->path + w->top_len + 1, name) : strdup(name);
	if (!l->rel || !tsearch(l, &s->seen, cmp_ino)) {
		free(l->rel);
		free(l);
		return tree_walk_fail(w, -ENOMEM, name, NULL);
	}
	s->linked[s->n_linked++] = l;
	return 0;
}

static int shift_entry(struct tree_walk *w, int dfd, const char *name, const struct node_info *ni)
{
	/* a mount point, a file bind-mounted over one too: not ours to change */
	if (ni->mnt != w->mnt)
		return 0;
	if (S_ISDIR(ni->mode))
		return 1; /* shifted when entered */
	if (ni->nlink > 1)
		return shift_later(w, name, ni);
	return shift_node(w, dfd, name, name, ni);
}

static int shift_enter(struct tree_walk *w, int fd, const struct node_info *ni)
{
	return shift_fd(w, fd, ni, NULL);
}

/* After the walk: the files with several names, found again from TOP by
 * their first name, one component at a time. */
static int shift_linked(struct tree_walk *w, int top, struct linked *l)
{
	struct shift *s = w->data;
	_cleanup_close_ int dfd = fcntl(top, F_DUPFD_CLOEXEC, 3);
	char *rel = l->rel, *slash;
	struct node_info ni;
	int r;

	if (l->seen < l->nlink) {
		/* a name outside the tree: not the container's to own */
		s->left++;
		wnotice("%s/%s: left to its owner: it has %llu names, %llu of them in the tree",
			w->path, l->rel, (unsigned long long)l->nlink, (unsigned long long)l->seen);
		return 0;
	}
	if (dfd < 0)
		return tree_walk_fail(w, neg_errno(), l->rel, NULL);
	while ((slash = strchr(rel, '/'))) {
		int next;
		*slash = '\0';
		next = openat(dfd, rel, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		*slash = '/';
		if (next < 0)
			return errno == ENOENT ? 0 : tree_walk_fail(w, neg_errno(), l->rel, NULL);
		close(dfd);
		dfd = next;
		rel = slash + 1;
	}
	r = node_info_at(dfd, rel, &ni);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return tree_walk_fail(w, r, l->rel, NULL);
	if (ni.ino != l->ino || ni.mnt != w->mnt)
		return tree_walk_fail(w, -EAGAIN, l->rel, "it changed during the walk");
	return shift_node(w, dfd, rel, l->rel, &ni);
}

static void linked_free(void *p)
{
	struct linked *l = p;

	free(l->rel);
	free(l);
}

int rootfs_chown_shift(const char *rootfs, uint32_t from_uid, uint32_t from_gid, uint32_t to_uid,
		       uint32_t to_gid, ward_err *err)
{
	struct shift s = {from_uid, from_gid, to_uid, to_gid};
	struct tree_walk w = {
	    .entry = shift_entry, .enter = shift_enter, .verb = "chown", .err = err, .data = &s};
	_cleanup_close_ int fd = -1;
	int r;

	if ((uint64_t)to_uid + WARD_SUBID_COUNT > UINT32_MAX ||
	    (uint64_t)to_gid + WARD_SUBID_COUNT > UINT32_MAX)
		return werrx(err, ERANGE, "chown %s: ids %u:%u leave no room for 65536 ids", rootfs,
			     to_uid, to_gid);
	fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return werr(err, errno, "open rootfs %s", rootfs);
	r = tree_walk_run(&w, fd, rootfs);
	/* the messages of what follows name paths from the top */
	w.path = (char *)rootfs;
	for (size_t i = 0; i < s.n_linked; i++) {
		int k = shift_linked(&w, fd, s.linked[i]);
		if (k < 0 && r == 0)
			r = k;
	}
	w.path = NULL;
	tdestroy(s.seen, linked_free);
	free(s.linked);
	return r < 0 ? r : s.left;
}
