/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container's filesystem, assembled by the child from the spec's mount
 * table.  The steps run in this order (see docs/architecture.md):
 *
 *   fs_open_sources()   as host root: open every bind source and device node
 *   fs_setup_root()     as host root: mount the new root where we can reach it
 *   -- the child becomes container root (so new files belong to it) --
 *   fs_mount_all()      the mount table and symlinks, targets resolved in root
 *   fs_devices()        /dev: default nodes, spec devices, standard links
 *   fs_sysctl()         writes below the new /proc/sys
 *   fs_masks()          read-only paths, masked paths, read-only root
 *   fs_pivot()          pivot_root into it and detach the old root
 */
#ifndef WARD_MOUNTS_H
#define WARD_MOUNTS_H

#include <stdbool.h>

#include "spec/spec.h"
#include "util/err.h"

#define FS_N_DEFAULT_DEVS 6

struct fs_ctx {
	const struct ward_spec *spec;
	const char *rootfs_mnt; /* an empty directory the root is mounted on */
	bool userns;            /* the child is in a new user namespace */
	int rootfd;             /* O_PATH fd of the new root's mount */
	int *src_fds;           /* per spec mount: bind source (O_PATH) or -1 */
	int *dev_fds;           /* per spec device: host node (O_PATH) or -1 */
	int default_dev_fds[FS_N_DEFAULT_DEVS];
	int devnull_fd;
	int sys_fd;        /* host /sys, for when sysfs cannot be mounted */
	int idmapped_root; /* --rootfs-idmap: the detached idmapped tree, or -1 */
	bool selinux;      /* the host runs SELinux: the spec's mount label applies */
};

void fs_ctx_init(struct fs_ctx *f, const struct ward_spec *spec, const char *rootfs_mnt,
		 bool userns);
void fs_ctx_close(struct fs_ctx *f);

/* --rootfs-idmap, in the parent (init user namespace): a detached copy of
 * ROOTFS's mount tree, idmapped through the user namespace of PID. */
int fs_idmapped_tree(const char *rootfs, pid_t pid, int *out, ward_err *err);
/* Whether PATH's file system takes idmapped mounts here (a throwaway user
 * namespace mapping 0 to BASE is used to try): 1 yes, 0 no, < 0 error. */
int fs_idmap_supported(const char *path, uint32_t base);

int fs_open_sources(struct fs_ctx *f, ward_err *err);
int fs_setup_root(struct fs_ctx *f, ward_err *err);
int fs_mount_all(struct fs_ctx *f, ward_err *err);
int fs_devices(struct fs_ctx *f, ward_err *err);
int fs_sysctl(struct fs_ctx *f, ward_err *err);
int fs_masks(struct fs_ctx *f, ward_err *err);
int fs_pivot(struct fs_ctx *f, ward_err *err);

/* Set mount attributes on the mount whose root fd is `fd` (recursively or
 * not), with a mount(2) remount fallback for kernels without
 * mount_setattr(2).  `path` names it in errors. */
int fs_set_attrs(int fd, uint64_t attrs, bool recursive, const char *path, ward_err *err);

/* The spec has an OCI "cgroup" mount: the container must have joined its
 * v1 cgroups before fs_mount_all(), which binds them. */
bool fs_has_cgroup_mount(const struct ward_spec *s);

/* Bind-mount the pty slave at /dev/console (after pivot). */
int fs_bind_console(int slave_fd, ward_err *err);

#endif
