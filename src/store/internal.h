/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the files of src/store; not part of its interface. */
#ifndef WARD_STORE_INTERNAL_H
#define WARD_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

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

/* Remove NAME in PARENTFD and everything below it, never following a
 * symlink, never below a mount point (which makes it fail, -EBUSY, naming
 * DISPLAY/...).  ENOENT is success. */
int tree_remove_at(int parentfd, const char *name, const char *display, ward_err *err);

/* S for an error message: control characters become '?', long names are
 * cut ("..."). */
const char *msg_name(const char *s, char *buf, size_t size);
#define MSG_NAME_MAX 256

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
