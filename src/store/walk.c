/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The walk over a tree that removal and the ownership shift share.  It
 * holds one directory open at a time, whatever the depth: a container can
 * nest directories far deeper than the fds a process may hold (or its
 * stack recurse), and must not be able to make its tree impossible to
 * destroy or shift back.  It goes down by name (O_NOFOLLOW, staying on the
 * tree's mount) and back up through "..", checking that ".." is the
 * directory it came from.  Each directory is read once, in full, before
 * anything below it: its subdirectories to go into are kept by name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "store/internal.h"
#include "util/cleanup.h"
#include "util/strutil.h"

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

/* ---- the walk ---- */

struct tree_level {
	ino_t ino;
	size_t path_len; /* of the walk's path up to this directory */
	char **todo;     /* subdirectories to go into, [next, n) still to */
	size_t next, n, cap;
};

int tree_walk_fail(struct tree_walk *w, int r, const char *name, const char *why)
{
	char nb[MSG_NAME_MAX];

	if (w->ret < 0)
		return r;
	w->ret = r;
	msg_name(name ? name : "", nb, sizeof(nb));
	if (why)
		werrx(w->err, -r, "%s %s%s%s: %s", w->verb, w->path, name ? "/" : "", nb, why);
	else
		werr(w->err, -r, "%s %s%s%s", w->verb, w->path, name ? "/" : "", nb);
	return r;
}

/* One level more, for the directory INO named NAME ("": the top). */
static int walk_push(struct tree_walk *w, ino_t ino, const char *name)
{
	size_t len = w->depth ? w->lv[w->depth - 1].path_len : 0, nlen = strlen(name);

	if (w->depth == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct tree_level *nl = realloc(w->lv, cap * sizeof(*nl));
		if (!nl)
			return tree_walk_fail(w, -ENOMEM, NULL, NULL);
		w->lv = nl;
		w->cap = cap;
	}
	if (*name) {
		if (w->path_cap < len + nlen + 2) {
			size_t cap = (len + nlen + 2) * 2;
			char *np = realloc(w->path, cap);
			if (!np)
				return tree_walk_fail(w, -ENOMEM, NULL, NULL);
			w->path = np;
			w->path_cap = cap;
		}
		w->path[len++] = '/';
		memcpy(w->path + len, name, nlen + 1);
		len += nlen;
	} else
		len = strlen(w->path);
	w->lv[w->depth++] = (struct tree_level){.ino = ino, .path_len = len};
	return 0;
}

static void walk_pop(struct tree_walk *w)
{
	struct tree_level *l = &w->lv[--w->depth];

	for (size_t i = 0; i < l->n; i++)
		free(l->todo[i]);
	free(l->todo);
	if (w->depth)
		w->path[w->lv[w->depth - 1].path_len] = '\0';
}

static int todo_add(struct tree_level *l, const char *name)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **nt = realloc(l->todo, cap * sizeof(*nt));
		if (!nt)
			return -ENOMEM;
		l->todo = nt;
		l->cap = cap;
	}
	l->todo[l->n] = strdup(name);
	if (!l->todo[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

/* Hand each entry of DFD (the top level's directory) to the caller and
 * list the subdirectories it wants to go into. */
static int walk_scan(struct tree_walk *w, int dfd)
{
	struct tree_level *l = &w->lv[w->depth - 1];
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd;

	/* a new open file description: this read starts at the beginning */
	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		int r = neg_errno();
		if (fd >= 0)
			close(fd);
		return tree_walk_fail(w, r, NULL, NULL);
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
			tree_walk_fail(w, r, de->d_name, NULL);
			continue;
		}
		r = w->entry(w, dirfd(d), de->d_name, &ni);
		if (r == 1 && todo_add(l, de->d_name) < 0)
			return tree_walk_fail(w, -ENOMEM, NULL, NULL);
	}
	if (errno)
		return tree_walk_fail(w, neg_errno(), NULL, NULL);
	return 0;
}

/* Go down from *FD into NAME: 1 when entered, 0 when not (gone, or a
 * failure recorded), -errno when the walk cannot go on. */
static int walk_down(struct tree_walk *w, int *fd, const char *name)
{
	struct node_info ni;
	int cfd, r;

	cfd = openat(*fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (cfd < 0) {
		if (errno != ENOENT)
			tree_walk_fail(w, neg_errno(), name, NULL);
		return 0;
	}
	/* what we opened is still on our mount (no swap since the scan) */
	r = node_info_at(cfd, "", &ni);
	if (r < 0 || ni.mnt != w->mnt) {
		close(cfd);
		tree_walk_fail(w, r < 0 ? r : -EBUSY, name, r < 0 ? NULL : MOUNT_IN_THE_WAY);
		return 0;
	}
	r = walk_push(w, ni.ino, name);
	if (r < 0) {
		close(cfd);
		return r;
	}
	close(*fd);
	*fd = cfd;
	if (w->enter)
		w->enter(w, cfd, &ni);
	return 1;
}

/* Go up from *FD, whose walk is over. */
static int walk_up(struct tree_walk *w, int *fd)
{
	const struct tree_level *parent = &w->lv[w->depth - 2];
	_cleanup_free_ char *name = strdup(w->path + parent->path_len + 1);
	struct node_info ni;
	int up, r;

	if (!name)
		return tree_walk_fail(w, -ENOMEM, NULL, NULL);
	up = openat(*fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (up < 0)
		return tree_walk_fail(w, neg_errno(), "..", NULL);
	r = node_info_at(up, "", &ni);
	if (r < 0 || ni.ino != parent->ino || ni.mnt != w->mnt) {
		close(up);
		return tree_walk_fail(w, r < 0 ? r : -EAGAIN, NULL,
				      r < 0 ? NULL : "the tree was moved during the walk");
	}
	close(*fd);
	*fd = up;
	walk_pop(w);
	if (w->leave)
		w->leave(w, up, name);
	return 0;
}

int tree_walk_run(struct tree_walk *w, int top, const char *display)
{
	struct node_info ni;
	int fd, r;

	w->ret = 0;
	r = node_info_at(top, "", &ni);
	if (r < 0)
		return werr(w->err, -r, "%s %s", w->verb, display);
	fd = fcntl(top, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return werr(w->err, errno, "%s %s", w->verb, display);
	w->mnt = ni.mnt;
	w->top_len = strlen(display);
	w->path = strdup(display);
	w->path_cap = w->top_len + 1;
	if (!w->path) {
		close(fd);
		return werr(w->err, ENOMEM, "%s %s", w->verb, display);
	}
	r = walk_push(w, ni.ino, "");
	if (r == 0) {
		if (w->enter)
			w->enter(w, fd, &ni);
		walk_scan(w, fd);
	}
	while (r == 0) {
		struct tree_level *l = &w->lv[w->depth - 1];

		if (l->next < l->n) {
			r = walk_down(w, &fd, l->todo[l->next++]);
			if (r == 1) {
				walk_scan(w, fd);
				r = 0;
			}
		} else if (w->depth > 1)
			r = walk_up(w, &fd);
		else
			break;
	}
	close(fd);
	while (w->depth)
		walk_pop(w);
	free(w->lv);
	free(w->path);
	w->lv = NULL;
	w->path = NULL;
	w->cap = w->path_cap = 0;
	return w->ret;
}

/* ---- removal ---- */

static int rm_entry(struct tree_walk *w, int dfd, const char *name, const struct node_info *ni)
{
	if (S_ISDIR(ni->mode)) {
		/* a mount point: left alone, and the removal fails */
		if (ni->mnt != w->mnt)
			return tree_walk_fail(w, -EBUSY, name, MOUNT_IN_THE_WAY);
		return 1;
	}
	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
		return tree_walk_fail(w, neg_errno(), name,
				      errno == EBUSY ? MOUNT_IN_THE_WAY : NULL);
	return 0;
}

static int rm_leave(struct tree_walk *w, int parentfd, const char *name)
{
	/* not empty after a failure below it: that one is reported */
	if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return tree_walk_fail(w, neg_errno(), name, NULL);
	return 0;
}

int tree_remove_at(int parentfd, const char *name, const char *display, ward_err *err)
{
	struct tree_walk w = {.entry = rm_entry, .leave = rm_leave, .verb = "remove", .err = err};
	struct node_info pi, ni, now;
	_cleanup_close_ int fd = -1;
	int r;

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
	if (r < 0)
		return werr(err, -r, "remove %s", display);
	if (now.ino != ni.ino || now.mnt != ni.mnt)
		return werrx(err, EBUSY, "remove %s: it is a mount point", display);
	r = tree_walk_run(&w, fd, display);
	if (r < 0)
		return r;
	if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return werr(err, errno, "remove %s", display);
	return 0;
}
