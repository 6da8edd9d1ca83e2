/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the parts of the config reader share: config.c reads files and
 * ward's own keys, config_lxc.c translates the LXC keys, config_write.c
 * writes settings back as keys.  Only src/spec/config*.c include this.
 */
#ifndef WARD_CONFIG_INTERNAL_H
#define WARD_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "spec/config.h"

#define INCLUDE_DEPTH_MAX 8

/* Where a setting came from.  config->cur borrows its strings from the
 * reader; saved copies own theirs. */
struct cfg_pos {
	char *file;
	unsigned int line;
	char *key;
};

enum nf_field {
	NF_TYPE,
	NF_LINK,
	NF_FLAGS,
	NF_NAME,
	NF_HWADDR,
	NF_IP4,
	NF_GW4,
	NF_IP6,
	NF_GW6,
	NF_PAIR,
	NF_MODE,
	NF_VLAN,
	NF__MAX,
};

/* One interface of lxc.net.N.*, lxc.network.* or ward.net.N.*: the values
 * as written (checked one by one), combined at config_finish(). */
struct cfg_netif {
	unsigned long index;
	bool ward_names; /* typed by ward.net.N.type: ward's vocabulary */
	char *val[NF__MAX];
	struct cfg_pos pos[NF__MAX];
};

struct cfg_mount {
	struct ward_mount m;
	bool abs_target; /* m.destination is a host path inside the rootfs */
	const char *own; /* proc, sysfs, devpts, mqueue: ward's own mount there */
	struct cfg_pos pos;
};

struct config {
	struct run_settings *rs;
	struct cfg_pos cur; /* the line being read */
	const char *dir;    /* its file's directory: relative paths start there */
	char *stack[INCLUDE_DEPTH_MAX];
	size_t depth;
	bool lxc; /* an lxc.* key was read */
	bool finished;
	char *rootfs; /* the root filesystem as the config named it */

	struct cfg_mount *mounts;
	size_t n_mounts;
	struct cfg_netif *ifs; /* sorted by index */
	size_t n_ifs;
	unsigned long n_old_ifs;

	uint64_t cap_drop, cap_keep;
	bool cap_drop_set, cap_keep_set;
	struct cfg_pos cap_drop_pos, cap_keep_pos;

	int64_t cfs_quota, cfs_period; /* lxc.cgroup.cpu.cfs_*_us (WARD_UNSET) */
	struct cfg_pos cfs_pos;
	int64_t swap_max; /* lxc.cgroup2.memory.swap.max: WARD_UNSET, -1 or bytes */
	struct cfg_pos swap_pos;
	bool memsw;
	struct cfg_pos memsw_pos;

	int64_t init_uid, init_gid; /* -1: not given */
	struct cfg_pos init_pos;
	bool idmap;
	struct cfg_pos idmap_pos;
};

/* config.c: positions, errors, helpers */
void cfg_pos_clear(struct cfg_pos *p);
int cfg_pos_save(struct cfg_pos *dst, const struct cfg_pos *src, ward_err *err);
/* "FILE:LINE: KEY: message" */
int cfg_pos_errx(ward_err *err, const struct cfg_pos *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int cfg_pos_wrap(ward_err *err, const struct cfg_pos *p);
/* "not implemented by ward[ (why)]" */
int cfg_not_implemented(ward_err *err, const char *why);
/* run_option_apply() by config key */
int cfg_apply(struct config *c, const char *key, const char *value, ward_err *err);
/* v relative to the directory of the file being read */
char *cfg_path(const struct config *c, const char *v);
int cfg_remember_rootfs(struct config *c, const char *path, ward_err *err);

/* config_lxc.c */
int cfg_lxc_key(struct config *c, const char *key, const char *value, ward_err *err);
/* lxc.mount.fstab: positions its own errors (the fstab file's lines) */
int cfg_lxc_fstab(struct config *c, const char *key, const char *value, ward_err *err);
int cfg_ward_net_key(struct config *c, const char *key, const char *value, ward_err *err);
void cfg_netifs_clear(struct config *c);
void cfg_idmaps_drop(struct run_settings *rs);
char *cfg_caps_list(uint64_t set); /* "CAP_A,CAP_B" */
int cfg_finish_net(struct config *c, ward_err *err);
int cfg_finish_mounts(struct config *c, ward_err *err);
int cfg_finish_caps(struct config *c, ward_err *err);
int cfg_finish_cgroup(struct config *c, ward_err *err);

#endif
