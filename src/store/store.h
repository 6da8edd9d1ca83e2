/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container store: what a created container has on disk, under the lib
 * directory (--lib, ctx->lib_dir), while it exists (created, running or not).
 *
 *   LIB/containers/              0700 root: its rootfs trees hold set-id
 *                                files owned by subordinate ids, which no
 *                                host user may reach
 *   LIB/containers/NAME/         0700 root
 *   LIB/containers/NAME/config   written by the config code
 *   LIB/containers/NAME/rootfs/  the busybox and tar: templates; owned by
 *                                the container's ids (its root: the start of
 *                                its subordinate block)
 *   LIB/subids.d/, subids.lock   the subordinate id registry (below)
 *
 * Templates fill a rootfs that does not exist yet; on any failure nothing is
 * left (the partial tree is removed).  Every walk here is relative to an
 * open directory, one component at a time with O_NOFOLLOW: nothing is
 * written, chowned or removed through a symlink, and no walk crosses a
 * mount point.
 */
#ifndef WARD_STORE_H
#define WARD_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/container.h"
#include "util/err.h"

/* ---- the store ---- */

/* LIB/containers/NAME, allocated.  -EINVAL for an invalid name, -ENOMEM. */
int store_dir(const struct ward_ctx *ctx, const char *name, char **out);

/* Create LIB/containers/NAME (and LIB/containers) exclusively:
 * "container NAME already exists" (-EEXIST) when it does.  LIB/containers
 * must not be a symlink; it is made 0700 again if something changed it. */
int store_create_dir(const struct ward_ctx *ctx, const char *name, ward_err *err);

/* Remove LIB/containers/NAME and everything in it, whoever owns the files,
 * however deep (one directory open at a time).  Symlinks are removed,
 * never followed; a mount point found inside (a directory, or a file
 * bind-mounted over one) is left alone (nothing below it is touched), the
 * rest is removed, and the removal fails naming it (-EBUSY).  A container
 * that does not exist is success (teardown can run twice). */
int store_remove(const struct ward_ctx *ctx, const char *name, ward_err *err);

/* ---- templates ---- */

/* busybox: a small rootfs from the host's busybox-static (/bin/busybox,
 * Debian package busybox-static; a dynamically linked busybox is refused):
 * bin/busybox, one relative symlink per applet where `busybox --list-full`
 * puts it (bin/, sbin/, usr/bin/, usr/sbin/), etc/passwd and etc/group (root,
 * nobody), placeholders etc/hosts and etc/resolv.conf (ward binds its own
 * over them), empty dev proc sys run tmp var/tmp root home.  ROOTFS must not
 * exist; everything in it is owned by UID:GID. */
#define BUSYBOX_PATH "/bin/busybox"
int template_busybox(const char *rootfs, uint32_t uid, uint32_t gid, ward_err *err);
/* The same from another busybox binary (tests). */
int template_busybox_from(const char *busybox, const char *rootfs, uint32_t uid, uint32_t gid,
			  ward_err *err);

/* Progress of a long operation: DONE of TOTAL units (bytes of the compressed
 * tarball read), called at the start, then at most 10 times a second, and
 * one last time with FINAL set when it ends (successfully or not). */
typedef void (*store_progress_fn)(uint64_t done, uint64_t total, bool final, void *data);

/* A one-line progress bar for store_progress_fn: DATA is a struct
 * store_bar (zeroed, then fd and label set).  It draws only when fd is a
 * terminal, only once the operation has taken STORE_BAR_DELAY_MS, and
 * clears its line at the end.  (The library never prints on its own: the
 * CLI passes this with its stderr.) */
#define STORE_BAR_DELAY_MS 300
struct store_bar {
	int fd;
	const char *label; /* e.g. the tarball's name */
	/* the bar's own */
	int64_t first_ms;
	bool drawn;
};
void store_progress_bar(uint64_t done, uint64_t total, bool final, void *data);

enum {
	/* Accept absolute symlink targets ("/bin/busybox"): they are read in
	 * the container's root, as the kernel does after pivot_root and as
	 * ward resolves every path it opens in a rootfs (RESOLVE_IN_ROOT).
	 * Without it they are refused, which refuses most distribution
	 * tarballs (Alpine's applet links, Debian's /etc/alternatives). */
	TAR_ABSOLUTE_SYMLINKS = 1 << 0,
};

struct tar_opts {
	unsigned flags;             /* TAR_* */
	store_progress_fn progress; /* NULL: none */
	void *progress_data;
};

/* tar:FILE: unpack a tarball (plain, gzip, bzip2, xz, zstd; tar/pax/GNU
 * formats only) into ROOTFS, which must not exist.  Each entry's owner is
 * shifted into the container's block: id N becomes UID+N (GID+N); N >= 65536
 * is refused.  Refused, with one line naming the tarball and the entry:
 *  - an absolute name, or one with a ".." component;
 *  - a hard link whose target is absolute or has a ".." component, or is
 *    a symlink whose target would climb above the rootfs from the new
 *    name's directory;
 *  - a symlink whose target climbs above the rootfs when read lexically from
 *    the link's directory ("../../.."), and, unless TAR_ABSOLUTE_SYMLINKS,
 *    an absolute target;
 *  - an entry that would be written through a symlink already in the tree
 *    (`d -> x` then `d/evil`): the tree is only ever walked with O_NOFOLLOW,
 *    whatever the links say, so even links that pass the lexical rule
 *    together (`s/l -> ..`, `e -> s/l/..`) lead nowhere outside;
 *  - encrypted entries and unknown types.
 * Character and block devices and sockets are skipped (a container in a user
 * namespace cannot use device nodes made on disk; ward gives it /dev), and
 * so are hard links to them.  Modes (set-id bits too), times and FIFOs are
 * kept; of the extended attributes only user.* and security.capability (made
 * a v3 capability owned by the container's root) are; ACLs are not.
 * Returns the number of entries skipped (>= 0); on any error the partial
 * rootfs is removed.  OPTS may be NULL. */
int template_tar(const char *tarball, const char *rootfs, uint32_t uid, uint32_t gid,
		 const struct tar_opts *opts, ward_err *err);

/* dir:PATH: check an existing rootfs used in place: an absolute path to a
 * directory (a symlink to one is resolved), neither the host's / nor empty.
 * A rootfs without bin/sh or sbin/init is accepted (a single static program
 * is a rootfs) but noted through wlog().  *CANONICAL (if not NULL) gets the
 * resolved path, for the config. */
int template_dir(const char *path, char **canonical, ward_err *err);

/* ---- ownership ---- */

/* Shift the owners of the tree at ROOTFS (itself included) from the block
 * at FROM_UID/FROM_GID to the one at TO_UID/TO_GID (65536 ids each): id
 * FROM+N becomes TO+N; ids outside the block stay as they are.  lchown
 * semantics (symlinks are changed, never followed), one filesystem (mount
 * points, directories or files, are not entered or changed), hard-linked
 * files shifted once and only when all their names are in the tree (one
 * also linked from outside is left alone, with a wlog() notice), set-id
 * bits and file capabilities (their root id too) kept, except where they
 * would go to the host's own ids (TO 0-65535: a tree a container could
 * write to, shifted back, must not give the host a set-uid-root program
 * or capabilities of its root): those are dropped.  Any depth.  On a
 * failure the walk goes on and the first one is returned.  Returns the
 * number of entries left alone (an id outside the block, or a name
 * outside the tree; >= 0). */
int rootfs_chown_shift(const char *rootfs, uint32_t from_uid, uint32_t from_gid, uint32_t to_uid,
		       uint32_t to_gid, ward_err *err);

/* ---- subordinate ids ---- */

/*
 * Each container of the store gets its own block of WARD_SUBID_COUNT (65536)
 * uids and gids: no two containers share one.  Blocks are carved, one after
 * the other, from root's range in SUBUID and SUBGID (the first "root:" or
 * "0:" line of each; a range may hold several blocks), or, when either file
 * has none for root, from WARD_DEFAULT_SUBID_START upward, moved past every
 * range either file lists (subid_default() in idmap.c), the same block for
 * uids and gids.
 *
 * The registry, changed under an flock on LIB/subids.lock:
 *   LIB/subids.d/@NAME   "UID GID": NAME's blocks (written first)
 *   LIB/subids.d/uSTART  "NAME": the uid block at START is NAME's
 *   LIB/subids.d/gSTART  "NAME": the gid block at START is NAME's
 * created with O_EXCL; a candidate block is free when it overlaps no
 * recorded one (so an edited /etc/subuid cannot make two blocks overlap).
 * A ward killed half way leaves @NAME with zero, one or both block files;
 * subid_alloc() of the same name and subid_free() both sort that out.
 * The ids stay allocated until subid_free(), i.e. while the container
 * exists: allocate after store_create_dir(), free in store destroy.
 */
#define SUBUID_PATH "/etc/subuid"
#define SUBGID_PATH "/etc/subgid"

/* Allocate NAME's blocks (SUBUID/SUBGID NULL: the files above).  Returns
 * 0 when they come from root's ranges, 1 when from ward's default range (the
 * caller may say so once); an already allocated NAME gets its blocks again.
 * -ENOSPC: "no free block of 65536 subordinate uids in root's range ...". */
int subid_alloc(const struct ward_ctx *ctx, const char *name, const char *subuid,
		const char *subgid, uint32_t *uid, uint32_t *gid, ward_err *err);
/* Release NAME's blocks; one that is not allocated is success. */
int subid_free(const struct ward_ctx *ctx, const char *name, ward_err *err);
/* NAME's blocks: 0, -ENOENT when it has none, or another -errno. */
int subid_lookup(const struct ward_ctx *ctx, const char *name, uint32_t *uid, uint32_t *gid);

#endif
