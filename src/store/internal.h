/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the files of src/store; not part of its interface. */
#ifndef WARD_STORE_INTERNAL_H
#define WARD_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"
#include "util/strutil.h"

/* Deepest tree a template creates (components of one name). */
#define STORE_MAX_DEPTH 256

/* What identifies the mount (id, or device without statx) of (DIRFD, NAME)
 * (NAME "": DIRFD itself), never following a symlink; also its mode, inode
 * and link count when the pointers are not NULL.  -errno. */
struct node_info {
	uint64_t mnt;
	mode_t mode;
	ino_t ino;
	uint64_t nlink;
	uid_t uid;
	gid_t gid;
};
int node_info_at(int dirfd, const char *name, struct node_info *out);

/* A walk over the tree at a directory (walk.c): one directory open at a
 * time whatever the depth, never through a symlink, never into a
 * directory on another mount.  The caller sets the hooks, VERB and ERR. */
struct tree_level;
struct tree_walk {
	/* Each entry of a directory (not "." and ".."), DFD being that
	 * directory: 1 to go into it (a directory on the walk's mount), 0
	 * not, -errno after tree_walk_fail().  The walk goes on either way. */
	int (*entry)(struct tree_walk *w, int dfd, const char *name, const struct node_info *ni);
	/* A directory just entered (the top too), FD its own: NULL for none */
	int (*enter)(struct tree_walk *w, int fd, const struct node_info *ni);
	/* A directory whose walk is over, from its parent (not the top) */
	int (*leave)(struct tree_walk *w, int parentfd, const char *name);
	const char *verb; /* for messages: "remove", "chown" */
	ward_err *err;
	void *data;
	/* the walk's own */
	uint64_t mnt;   /* of the top */
	char *path;     /* of the directory being read: DISPLAY/... */
	size_t top_len; /* of DISPLAY in path */
	size_t path_cap;
	struct tree_level *lv;
	size_t depth, cap;
	int ret;
};
/* Walk the tree at TOP (an O_RDONLY directory fd, not consumed), named
 * DISPLAY in messages.  0, or the first failure (-errno, ERR filled). */
int tree_walk_run(struct tree_walk *w, int top, const char *display);
/* Record a failure, unless one was: "VERB PATH[/NAME][: WHY]" (WHY NULL:
 * strerror(-R)).  Returns R. */
int tree_walk_fail(struct tree_walk *w, int r, const char *name, const char *why);
#define MOUNT_IN_THE_WAY "a mount point is in the way"

/* Remove NAME in PARENTFD and everything below it, never following a
 * symlink, never below a mount point (which makes it fail, -EBUSY, naming
 * DISPLAY/...).  ENOENT is success. */
int tree_remove_at(int parentfd, const char *name, const char *display, ward_err *err);

/* S for an error message (see str_for_message()) */
#define msg_name(s, buf, size) str_for_message((s), (buf), (size))
#define MSG_NAME_MAX           256

/* security.capability, the kernel's vfs_cap_data: any revision in, the v3
 * form with ROOTID out (24 bytes).  *ROOT_IN gets the root id the input
 * had (0 for v1 and v2, which belong to the initial namespace's root).
 * -EINVAL for a malformed value. */
#define FCAPS_XATTR   "security.capability"
#define FCAPS_V3_SIZE 24
int fcaps_to_v3(const void *in, size_t len, uint32_t *root_in, uint32_t rootid,
		unsigned char out[FCAPS_V3_SIZE]);

/* mkdir PATH exclusively, owned by UID:GID with MODE, and open it
 * (O_RDONLY|O_DIRECTORY|O_NOFOLLOW).  -EEXIST when it exists. */
int rootfs_create(const char *path, uint32_t uid, uint32_t gid, mode_t mode, ward_err *err);
/* Remove a rootfs made by a template that failed (keeps errno). */
void rootfs_discard(const char *path);

#endif
