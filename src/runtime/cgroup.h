/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cgroups: one interface, three drivers chosen from the host's layout.
 *
 *   v2      one cgroup2 hierarchy at /sys/fs/cgroup.  The container is born
 *           in its cgroup with clone3(CLONE_INTO_CGROUP).
 *   v1      one hierarchy per controller.  The container process moves
 *           itself by writing "0" to each hierarchy's `tasks` file before it
 *           drops its host identity (see cgroup_child_join()).
 *   hybrid  v1 controllers plus a cgroup2 mount (e.g. /sys/fs/cgroup/unified)
 *           holding a few controllers: both of the above.
 *
 * The parent plans (creates the directories, writes the limits, opens the
 * files the child will write); the child only joins.
 */
#ifndef WARD_CGROUP_H
#define WARD_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/err.h"

enum cg_layout {
	CG_LAYOUT_V1,
	CG_LAYOUT_V2,
	CG_LAYOUT_HYBRID,
};

#define CG_MAX_HIER 16

/* One v1 hierarchy (a mount of the cgroup v1 filesystem). */
struct cg_hier {
	char *controllers;   /* "memory", "cpu,cpuacct", "name=systemd" */
	char *mountpoint;    /* /sys/fs/cgroup/memory */
	char *mount_root;    /* the "root" field of mountinfo, usually "/" */
	char *self_path;     /* the caller's cgroup in this hierarchy */
	char *dir;           /* the container's cgroup directory (after create) */
	int tasks_fd;        /* opened by the parent, written by the child */
	bool wanted;         /* the container joins this hierarchy */
	bool created;        /* we made dir (and must remove it) */
	int parents_created; /* levels of the parent path we made (the deepest ones) */
};

struct cg_system {
	enum cg_layout layout;
	struct cg_hier v1[CG_MAX_HIER];
	size_t n_v1;
	char *v2_mountpoint; /* cgroup2 mount: /sys/fs/cgroup or the unified one */
	char *v2_mount_root;
	char *v2_self_path;
	char *v2_controllers; /* contents of the root's cgroup.controllers */
};

struct ward_cgroup {
	const struct cg_ops *ops;
	bool opening; /* cgroup_open(): record paths of an existing cgroup */
	char *parent; /* as given: "ward", "self", "self/sub", a path */
	char *leaf;
	const struct ward_resources *create_res; /* what create() prepares for */
	struct cg_system sys;
	char *rel_path; /* the cgroup, relative to the parent resolution */
	char *v2_dir;   /* the container's cgroup2 directory, if any */
	int v2_fd;      /* O_DIRECTORY fd for CLONE_INTO_CGROUP */
	bool v2_created;
	int v2_parents_created; /* as cg_hier.parents_created */
	char *v2_parent_dir;
};

struct cg_stats {
	int64_t memory_current; /* bytes, -1 unknown */
	int64_t memory_peak;
	int64_t memory_limit;
	int64_t cpu_usage_usec;
	int64_t pids_current;
	int64_t oom_kills; /* processes killed by the OOM killer in this cgroup */
};

struct cg_ops {
	const char *name;
	int (*create)(struct ward_cgroup *cg, const char *parent, const char *leaf, ward_err *err);
	int (*apply)(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err);
	int (*kill_all)(struct ward_cgroup *cg);
	int (*destroy)(struct ward_cgroup *cg, ward_err *err);
	int (*stats)(struct ward_cgroup *cg, struct cg_stats *st);
	int (*freeze)(struct ward_cgroup *cg, bool frozen, ward_err *err);
};

/* Read the host's layout from /proc/self/mountinfo and /proc/self/cgroup. */
int cg_system_detect(struct cg_system *sys, ward_err *err);
/* The same from given files (unit tests); read_controllers: also read the
 * cgroup2 root's cgroup.controllers from the live mount. */
int cg_system_detect_from(struct cg_system *sys, const char *mountinfo, const char *self_cgroup,
			  bool read_controllers, ward_err *err);
/* "rw,cpu,cpuacct" -> "cpu,cpuacct" (sorted, non-controller options dropped) */
char *controllers_from_superopts(const char *superopts);
void cg_system_clear(struct cg_system *sys);

/* Create the container's cgroup as PARENT/LEAF, PARENT being relative to
 * each hierarchy's root, or "self" for the caller's own cgroup (in every
 * hierarchy), and apply the limits.  On failure nothing is left behind. */
int cgroup_create(const char *parent, const char *leaf, const struct ward_resources *res,
		  struct ward_cgroup **out, ward_err *err);
/* The same in two halves, so that the v1 half can run while the container
 * process sets itself up.  cgroup_plan() checks the request and creates
 * what the process must be born into (the cgroup2 part); cgroup_make()
 * creates the v1 hierarchies' cgroups (nothing on a pure v2 host).  On
 * failure of either, cgroup_destroy() + cgroup_free() undo what was made. */
int cgroup_plan(const char *parent, const char *leaf, const struct ward_resources *res,
		struct ward_cgroup **out, ward_err *err);
bool cgroup_needs_make(const struct ward_cgroup *cg);
int cgroup_make(struct ward_cgroup *cg, ward_err *err);
/* The v1 `tasks` fds the container process writes "0" to (after make). */
size_t cgroup_join_fds(const struct ward_cgroup *cg, int *fds, size_t max);
/* Re-open an existing container cgroup (for stop/info/gc after restart). */
int cgroup_open(const char *parent, const char *leaf, struct ward_cgroup **out, ward_err *err);

/* The fd for clone3(CLONE_INTO_CGROUP), or -1 when the child must join. */
int cgroup_clone_fd(const struct ward_cgroup *cg);
/* Move the calling process into every hierarchy of an opened cgroup
 * (`ward attach`). */
int cgroup_attach_self(struct ward_cgroup *cg, ward_err *err);
/* True when clone3(CLONE_INTO_CGROUP) alone places the child in all of its
 * cgroups (pure v2), so it may get CLONE_NEWCGROUP at clone time. */
bool cgroup_born_complete(const struct ward_cgroup *cg);
/* Called in the child when clone3 could not place it in its cgroup2 cgroup
 * (kernels older than 5.7): move the calling process there.  No allocation. */
int cgroup_child_join_v2(struct ward_cgroup *cg, bool born_in_v2);
/* Close the parent-opened fds (both sides call it once they are done). */
void cgroup_close_join_fds(struct ward_cgroup *cg);

int cgroup_update(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err);
int cgroup_stats(struct ward_cgroup *cg, struct cg_stats *st);
/* Just the OOM kill count (one file read); -1 when unknown. */
int64_t cgroup_oom_kills(struct ward_cgroup *cg);
int cgroup_freeze(struct ward_cgroup *cg, bool frozen, ward_err *err);
/* Kill every process left in the cgroup and remove it.  ENOENT is success,
 * so this can run again after a crash. */
int cgroup_destroy(struct ward_cgroup *cg, ward_err *err);
void cgroup_free(struct ward_cgroup *cg);
const char *cgroup_layout_name(const struct ward_cgroup *cg);
/* A directory that identifies the container's cgroup (for messages). */
const char *cgroup_describe(const struct ward_cgroup *cg);

/* helpers shared by the drivers (cgroup.c) */
int cg_write(const char *dir, const char *file, const char *value, ward_err *err);
int cg_read_i64(const char *dir, const char *file, const char *key, int64_t *out);
char *cg_join_path(const char *mountpoint, const char *mount_root, const char *rel);
int cg_rmdir_retry(const char *dir);
/* Make DIR with its missing ancestors below TOP (a cgroup mount point);
 * ON_MADE runs for each one made, the shallowest first.  Returns how many
 * were made, or < 0. */
int cg_mkdir_parents(const char *top, const char *dir,
		     int (*on_made)(const char *dir, ward_err *err), ward_err *err);
/* "DEVICE hca_handle=N hca_object=N" ("max" where unset) for rdma.max;
 * < 0 when it does not fit. */
int cg_rdma_line(const struct ward_rdma_limit *l, char *buf, size_t len);
/* Remove the N deepest levels of DIR, each only if empty. */
void cg_rmdir_parents(const char *dir, int n);

extern const struct cg_ops cg_ops_v1;
extern const struct cg_ops cg_ops_v2;
extern const struct cg_ops cg_ops_hybrid;

/* Whether a container with limits RES joins the v1 hierarchy H (only
 * h->controllers is read). */
bool cg_v1_hier_wanted(const struct cg_hier *h, const struct ward_resources *res);
/* Whether v1 hierarchy H carries CONTROLLER (its comma-separated list). */
bool cg_hier_has(const struct cg_hier *h, const char *controller);

/* driver internals exposed for the hybrid driver */
int cg_v1_create(struct ward_cgroup *cg, const char *parent, const char *leaf, ward_err *err);
int cg_v1_apply(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err);
int cg_v1_kill_all(struct ward_cgroup *cg);
int cg_v1_destroy(struct ward_cgroup *cg, ward_err *err);
int cg_v1_stats(struct ward_cgroup *cg, struct cg_stats *st);
int cg_v1_freeze(struct ward_cgroup *cg, bool frozen, ward_err *err);
int cg_v2_create(struct ward_cgroup *cg, const char *parent, const char *leaf, ward_err *err);
int cg_v2_apply(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err);
int cg_v2_kill_all(struct ward_cgroup *cg);
int cg_v2_destroy(struct ward_cgroup *cg, ward_err *err);
int cg_v2_stats(struct ward_cgroup *cg, struct cg_stats *st);
int cg_v2_freeze(struct ward_cgroup *cg, bool frozen, ward_err *err);

/* weight conversions between the v1 and v2 scales */
int64_t cg_shares_to_weight(int64_t shares);
int64_t cg_weight_to_shares(int64_t weight);

#endif
