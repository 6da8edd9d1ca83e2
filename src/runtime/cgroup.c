/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/log.h"
#include "util/strutil.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape_octal(char *s)
{
	char *w = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

static bool is_v1_controller_option(const char *o)
{
	static const char *const not_controllers[] = {
	    "rw",
	    "ro",
	    "xattr",
	    "noprefix",
	    "clone_children",
	    "cpuset_v2_mode",
	    "none",
	    "favordynmods",
	    "nsdelegate",
	    "relatime",
	    "memory_localevents",
	    "memory_recursiveprot",
	    /* the kernel appends LSM and generic superblock options, e.g.
	     * "rw,seclabel,cpuacct,cpu" on SELinux hosts */
	    "seclabel",
	    "sync",
	    "dirsync",
	    "lazytime",
	    "mand",
	    "nosuid",
	    "nodev",
	    "noexec",
	    "noatime",
	    "nodiratime",
	};

	if (startswith(o, "release_agent="))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(not_controllers); i++)
		if (streq(o, not_controllers[i]))
			return false;
	return true;
}

/* Sorted, comma-joined controller list from a v1 mount's super options. */
char *controllers_from_superopts(const char *superopts)
{
	_cleanup_free_ char *copy = strdup(superopts);
	char *items[32];
	size_t n = 0, len = 0;
	char *save = NULL, *tok, *out;

	if (!copy)
		return NULL;
	for (tok = strtok_r(copy, ",", &save); tok && n < ARRAY_SIZE(items);
	     tok = strtok_r(NULL, ",", &save))
		if (is_v1_controller_option(tok))
			items[n++] = tok;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(items[j - 1], items[j]) > 0; j--) {
			char *t = items[j];
			items[j] = items[j - 1];
			items[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++)
		len += strlen(items[i]) + 1;
	out = calloc(1, len + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, items[i]);
	}
	return out;
}

void cg_system_clear(struct cg_system *sys)
{
	for (size_t i = 0; i < sys->n_v1; i++) {
		struct cg_hier *h = &sys->v1[i];
		free(h->controllers);
		free(h->mountpoint);
		free(h->mount_root);
		free(h->self_path);
		free(h->dir);
		if (h->tasks_fd >= 0)
			close(h->tasks_fd);
	}
	free(sys->v2_mountpoint);
	free(sys->v2_mount_root);
	free(sys->v2_self_path);
	free(sys->v2_controllers);
	memset(sys, 0, sizeof(*sys));
}

static int parse_mountinfo(struct cg_system *sys, const char *path, ward_err *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return werr(err, errno, "cgroups: read %s", path);
	while (getline(&line, &cap, f) > 0) {
		char *fields[12] = {0}, *save = NULL, *tok, *sep, *after;
		char fstype[64], superopts[512];
		int n = 0;

		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		after = sep + 3;
		if (sscanf(after, "%63s %*s %511s", fstype, superopts) != 2)
			continue;
		if (!streq(fstype, "cgroup") && !streq(fstype, "cgroup2"))
			continue;
		for (tok = strtok_r(line, " ", &save); tok && n < 12;
		     tok = strtok_r(NULL, " ", &save))
			fields[n++] = tok;
		if (n < 5)
			continue;
		unescape_octal(fields[3]);
		unescape_octal(fields[4]);
		if (streq(fstype, "cgroup2")) {
			if (sys->v2_mountpoint)
				continue; /* first one wins */
			sys->v2_mountpoint = strdup(fields[4]);
			sys->v2_mount_root = strdup(fields[3]);
			if (!sys->v2_mountpoint || !sys->v2_mount_root)
				return werr(err, ENOMEM, "cgroups");
			continue;
		}
		if (sys->n_v1 >= CG_MAX_HIER)
			continue;
		struct cg_hier *h = &sys->v1[sys->n_v1];
		h->controllers = controllers_from_superopts(superopts);
		h->mountpoint = strdup(fields[4]);
		h->mount_root = strdup(fields[3]);
		h->tasks_fd = -1;
		if (!h->controllers || !h->mountpoint || !h->mount_root)
			return werr(err, ENOMEM, "cgroups");
		/* a second mount of the same hierarchy adds nothing */
		bool dup = false;
		for (size_t i = 0; i < sys->n_v1; i++)
			if (streq(sys->v1[i].controllers, h->controllers))
				dup = true;
		if (dup || !*h->controllers) {
			free(h->controllers);
			free(h->mountpoint);
			free(h->mount_root);
			memset(h, 0, sizeof(*h));
			continue;
		}
		sys->n_v1++;
	}
	return 0;
}

static int parse_self_cgroup(struct cg_system *sys, const char *path, ward_err *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return werr(err, errno, "cgroups: read %s", path);
	while (getline(&line, &cap, f) > 0) {
		char *c1 = strchr(line, ':'), *c2, *cgpath;
		_cleanup_free_ char *ctl = NULL;

		if (!c1)
			continue;
		c2 = strchr(c1 + 1, ':');
		if (!c2)
			continue;
		*c2 = '\0';
		cgpath = c2 + 1;
		cgpath[strcspn(cgpath, "\n")] = '\0';
		if (c1[1] == '\0') { /* "0::/path" is the cgroup2 hierarchy */
			free(sys->v2_self_path);
			sys->v2_self_path = strdup(cgpath);
			continue;
		}
		/* normalized once, compared with each mount's (also normalized) */
		ctl = controllers_from_superopts(c1 + 1);
		if (!ctl)
			return werr(err, ENOMEM, "cgroups");
		for (size_t i = 0; i < sys->n_v1; i++)
			if (!sys->v1[i].self_path && streq(sys->v1[i].controllers, ctl))
				sys->v1[i].self_path = strdup(cgpath);
	}
	for (size_t i = 0; i < sys->n_v1; i++)
		if (!sys->v1[i].self_path && !(sys->v1[i].self_path = strdup("/")))
			return werr(err, ENOMEM, "cgroups");
	if (sys->v2_mountpoint && !sys->v2_self_path && !(sys->v2_self_path = strdup("/")))
		return werr(err, ENOMEM, "cgroups");
	return 0;
}

int cg_system_detect(struct cg_system *sys, ward_err *err)
{
	return cg_system_detect_from(sys, "/proc/self/mountinfo", "/proc/self/cgroup", true, err);
}

int cg_system_detect_from(struct cg_system *sys, const char *mountinfo, const char *self_cgroup,
			  bool read_controllers, ward_err *err)
{
	int r;

	memset(sys, 0, sizeof(*sys));
	r = parse_mountinfo(sys, mountinfo, err);
	if (r < 0)
		goto fail;
	r = parse_self_cgroup(sys, self_cgroup, err);
	if (r < 0)
		goto fail;
	if (sys->v2_mountpoint && sys->n_v1 == 0)
		sys->layout = CG_LAYOUT_V2;
	else if (sys->v2_mountpoint)
		sys->layout = CG_LAYOUT_HYBRID;
	else if (sys->n_v1 > 0)
		sys->layout = CG_LAYOUT_V1;
	else {
		r = werrx(err, ENOENT, "cgroups: no cgroup filesystem is mounted");
		goto fail;
	}
	if (sys->v2_mountpoint && read_controllers) {
		_cleanup_free_ char *ctl = NULL;
		_cleanup_free_ char *p = xasprintf("%s/cgroup.controllers", sys->v2_mountpoint);
		if (p && read_file(p, &ctl, NULL) == 0)
			sys->v2_controllers = strdup(strstrip(ctl));
		if (!sys->v2_controllers)
			sys->v2_controllers = strdup("");
	}
	if (sys->v2_mountpoint && !sys->v2_controllers)
		sys->v2_controllers = strdup("");
	return 0;
fail:
	cg_system_clear(sys);
	return r;
}

char *cg_join_path(const char *mountpoint, const char *mount_root, const char *rel)
{
	const char *tail = rel;
	size_t rl = strlen(mount_root);

	/* a hierarchy mounted from a sub-cgroup (inside a container) sees
	 * paths relative to that sub-cgroup */
	if (rl > 1 && strncmp(rel, mount_root, rl) == 0 && (rel[rl] == '/' || rel[rl] == '\0'))
		tail = rel + rl;
	while (*tail == '/')
		tail++;
	if (!*tail)
		return strdup(mountpoint);
	return xasprintf("%s/%s", mountpoint, tail);
}

int cg_write(const char *dir, const char *file, const char *value, ward_err *err)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
	int r;

	if (!p)
		return werr(err, ENOMEM, "cgroup");
	r = write_file(p, value);
	if (r < 0)
		return werr(err, -r, "cgroup: set %s to %s", p, value);
	return 0;
}

int cg_read_i64(const char *dir, const char *file, const char *key, int64_t *out)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
	_cleanup_free_ char *buf = NULL;
	char *s;
	int r;

	if (!p)
		return -ENOMEM;
	r = read_file(p, &buf, NULL);
	if (r < 0)
		return r;
	s = buf;
	if (key) {
		size_t kl = strlen(key);
		for (s = buf; s && *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL)
			if (strncmp(s, key, kl) == 0 && s[kl] == ' ')
				break;
		if (!s || !*s)
			return -ENOENT;
		s += strlen(key) + 1;
	}
	s[strcspn(s, "\n ")] = '\0';
	if (streq(s, "max")) {
		*out = -1;
		return 0;
	}
	return parse_i64(s, out);
}

int cg_mkdir_parents(const char *top, const char *dir,
		     int (*on_made)(const char *dir, ward_err *err), ward_err *err)
{
	_cleanup_free_ char *path = strdup(dir);
	size_t tlen = strlen(top);
	int made = 0;

	if (!path)
		return werr(err, ENOMEM, "cgroup");
	if (strncmp(path, top, tlen) != 0)
		return werrx(err, EINVAL, "cgroup %s is not below %s", dir, top);
	for (char *p = path + tlen;;) {
		while (*p == '/')
			p++;
		p = strchr(p, '/');
		if (p)
			*p = '\0';
		if (mkdir(path, 0755) == 0) {
			made++;
			if (on_made) {
				int r = on_made(path, err);
				if (r < 0) {
					cg_rmdir_parents(path, made);
					return r;
				}
			}
		} else if (errno != EEXIST) {
			int r = werr(err, errno, "cgroup: create %s", path);
			*strrchr(path, '/') = '\0'; /* not made: from its parent up */
			cg_rmdir_parents(path, made);
			return r;
		}
		if (!p)
			return made;
		*p = '/';
	}
}

int cg_rdma_line(const struct ward_rdma_limit *l, char *buf, size_t len)
{
	char h[24] = "max", o[24] = "max";
	int n;

	if (l->hca_handles != WARD_UNSET)
		snprintf(h, sizeof(h), "%" PRId64, l->hca_handles);
	if (l->hca_objects != WARD_UNSET)
		snprintf(o, sizeof(o), "%" PRId64, l->hca_objects);
	n = snprintf(buf, len, "%s hca_handle=%s hca_object=%s", l->device, h, o);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

void cg_rmdir_parents(const char *dir, int n)
{
	_cleanup_free_ char *path = strdup(dir);

	for (int i = 0; path && i < n; i++) {
		char *slash = strrchr(path, '/');
		if (rmdir(path) < 0 || !slash)
			return;
		*slash = '\0';
	}
}

/*
 * rmdir of a cgroup fails with EBUSY while the kernel still tears down the
 * last task (a zombie that has been reaped may still be charged for a few
 * microseconds).  Retry briefly instead of failing the whole teardown.
 */
int cg_rmdir_retry(const char *dir)
{
	for (int i = 0; i < 200; i++) {
		struct timespec ts = {0, 1000000};

		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return neg_errno();
		nanosleep(&ts, NULL);
	}
	return -EBUSY;
}

/* Between the v1 shares scale [2, 262144] and the v2 weight scale
 * [1, 10000], piecewise linear so that the bounds and the defaults (1024
 * and 100) map onto each other: a container given the default weight gets
 * the default share of the CPU on either kind of host.  (A single linear
 * map, as some runtimes use, sends the default 1024 to 39.) */
int64_t cg_shares_to_weight(int64_t shares)
{
	if (shares <= 0)
		return 100;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	if (shares <= 1024)
		return 1 + ((shares - 2) * 99 + 511) / 1022;
	return 100 + ((shares - 1024) * 9900 + 130560) / 261120;
}

int64_t cg_weight_to_shares(int64_t weight)
{
	if (weight <= 0)
		return 1024;
	if (weight > 10000)
		weight = 10000;
	if (weight <= 100)
		return 2 + ((weight - 1) * 1022 + 49) / 99;
	return 1024 + ((weight - 100) * 261120 + 4950) / 9900;
}

static const struct cg_ops *ops_for(enum cg_layout l)
{
	switch (l) {
	case CG_LAYOUT_V1:
		return &cg_ops_v1;
	case CG_LAYOUT_V2:
		return &cg_ops_v2;
	case CG_LAYOUT_HYBRID:
		return &cg_ops_hybrid;
	}
	return &cg_ops_v1;
}

static struct ward_cgroup *cgroup_alloc(ward_err *err)
{
	struct ward_cgroup *cg = calloc(1, sizeof(*cg));

	if (!cg) {
		werr(err, ENOMEM, "cgroups");
		return NULL;
	}
	cg->v2_fd = -1;
	if (cg_system_detect(&cg->sys, err) < 0) {
		free(cg);
		return NULL;
	}
	cg->ops = ops_for(cg->sys.layout);
	return cg;
}

static int check_parent(const char *parent, ward_err *err)
{
	if (!parent || !*parent)
		return werrx(err, EINVAL, "cgroup parent is empty");
	if (strstr(parent, "..") || strchr(parent, '\n'))
		return werrx(err, EINVAL, "cgroup parent '%s' is not a plain cgroup path", parent);
	return 0;
}

static bool have_controller(const struct ward_cgroup *cg, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < cg->sys.n_v1; i++) {
		const char *p = cg->sys.v1[i].controllers;
		while ((p = strstr(p, name))) {
			if ((p == cg->sys.v1[i].controllers || p[-1] == ',') &&
			    (p[n] == ',' || p[n] == '\0'))
				return true;
			p += n;
		}
	}
	if (cg->sys.v2_controllers) {
		const char *p = cg->sys.v2_controllers;
		while ((p = strstr(p, name))) {
			if ((p == cg->sys.v2_controllers || p[-1] == ' ') &&
			    (p[n] == ' ' || p[n] == '\0'))
				return true;
			p += n;
		}
	}
	return false;
}

/* Refuse a limit that no mounted controller can enforce, before anything
 * is created. */
static int check_controllers(const struct ward_cgroup *cg, const struct ward_resources *res,
			     ward_err *err)
{
	static const struct {
		const char *what;
		const char *controller;
	} checks[] = {
	    {"memory limit", "memory"}, {"cpu limit", "cpu"}, {"cpuset", "cpuset"},
	    {"pids limit", "pids"},     {"io weight", NULL},  {"hugepage limit", "hugetlb"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(checks); i++) {
		bool asked = false;
		const char *ctl = checks[i].controller;

		switch (i) {
		case 0:
			asked = res->memory_limit != WARD_UNSET || res->memory_swap != WARD_UNSET ||
				res->memory_reservation != WARD_UNSET;
			break;
		case 1:
			asked = res->cpu_quota != WARD_UNSET || res->cpu_weight != WARD_UNSET ||
				res->cpu_shares != WARD_UNSET || res->cpu_period != WARD_UNSET;
			break;
		case 2:
			asked = res->cpuset_cpus || res->cpuset_mems;
			break;
		case 3:
			asked = res->pids_limit != WARD_UNSET;
			break;
		case 4:
			asked = res->io_weight != WARD_UNSET || res->blkio_weight != WARD_UNSET;
			ctl = cg->sys.layout == CG_LAYOUT_V2 ? "io" : "blkio";
			break;
		case 5:
			asked = res->n_hugepages > 0;
			break;
		}
		if (asked && !have_controller(cg, ctl))
			return werrx(err, ENOTSUP,
				     "cgroup: a %s needs the %s controller, which this host does "
				     "not have",
				     checks[i].what, ctl);
	}
	return 0;
}

int cgroup_plan(const char *parent, const char *leaf, const struct ward_resources *res,
		struct ward_cgroup **out, ward_err *err)
{
	struct ward_cgroup *cg;
	int r;

	r = check_parent(parent, err);
	if (r < 0)
		return r;
	cg = cgroup_alloc(err);
	if (!cg)
		return -err->code;
	cg->create_res = res;
	cg->parent = strdup(parent);
	cg->leaf = strdup(leaf);
	if (!cg->parent || !cg->leaf) {
		cgroup_free(cg);
		return werr(err, ENOMEM, "cgroup");
	}
	r = check_controllers(cg, res, err);
	if (r >= 0 && cg->sys.layout == CG_LAYOUT_V2) {
		r = cg->ops->create(cg, parent, leaf, err);
		if (r >= 0)
			r = cg->ops->apply(cg, res, err);
	} else if (r >= 0 && cg->sys.layout == CG_LAYOUT_HYBRID) {
		r = cg_v2_create(cg, parent, leaf, err);
		if (r >= 0)
			r = cg_v2_apply(cg, res, err);
	}
	if (r < 0) {
		ward_err ignored;
		cg->ops->destroy(cg, &ignored);
		cgroup_free(cg);
		return r;
	}
	*out = cg;
	return 0;
}

bool cgroup_needs_make(const struct ward_cgroup *cg)
{
	return cg && cg->sys.layout != CG_LAYOUT_V2;
}

int cgroup_make(struct ward_cgroup *cg, ward_err *err)
{
	int r;

	if (!cgroup_needs_make(cg))
		return 0;
	r = cg_v1_create(cg, cg->parent, cg->leaf, err);
	if (r < 0)
		return r;
	return cg_v1_apply(cg, cg->create_res, err);
}

size_t cgroup_join_fds(const struct ward_cgroup *cg, int *fds, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; cg && i < cg->sys.n_v1 && n < max; i++)
		if (cg->sys.v1[i].tasks_fd >= 0)
			fds[n++] = cg->sys.v1[i].tasks_fd;
	return n;
}

int cgroup_create(const char *parent, const char *leaf, const struct ward_resources *res,
		  struct ward_cgroup **out, ward_err *err)
{
	struct ward_cgroup *cg = NULL;
	int r = cgroup_plan(parent, leaf, res, &cg, err);

	if (r < 0)
		return r;
	r = cgroup_make(cg, err);
	if (r < 0) {
		ward_err ignored;
		cg->ops->destroy(cg, &ignored);
		cgroup_free(cg);
		return r;
	}
	*out = cg;
	return 0;
}

int cgroup_open(const char *parent, const char *leaf, struct ward_cgroup **out, ward_err *err)
{
	struct ward_cgroup *cg;
	int r;

	r = check_parent(parent, err);
	if (r < 0)
		return r;
	cg = cgroup_alloc(err);
	if (!cg)
		return -err->code;
	cg->opening = true;
	/* create() on an existing tree only records the paths: mkdir's
	 * EEXIST is not an error and `created` stays false */
	r = cg->ops->create(cg, parent, leaf, err);
	if (r < 0) {
		cgroup_free(cg);
		return r;
	}
	/* whoever tears it down owns it now */
	for (size_t i = 0; i < cg->sys.n_v1; i++)
		if (cg->sys.v1[i].dir)
			cg->sys.v1[i].created = true;
	if (cg->v2_dir)
		cg->v2_created = true;
	*out = cg;
	return 0;
}

int cgroup_attach_self(struct ward_cgroup *cg, ward_err *err)
{
	int r;

	/* "0": the writer itself (a single-threaded process joining) */
	if (cg->v2_dir) {
		r = cg_write(cg->v2_dir, "cgroup.procs", "0", err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < cg->sys.n_v1; i++) {
		if (!cg->sys.v1[i].dir)
			continue;
		r = cg_write(cg->sys.v1[i].dir, "cgroup.procs", "0", err);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_clone_fd(const struct ward_cgroup *cg)
{
	return cg ? cg->v2_fd : -1;
}

bool cgroup_born_complete(const struct ward_cgroup *cg)
{
	return cg && cg->sys.layout == CG_LAYOUT_V2 && cg->v2_fd >= 0;
}

int cgroup_child_join_v2(struct ward_cgroup *cg, bool born_in_v2)
{
	int r;

	if (cg->v2_fd >= 0 && !born_in_v2) {
		/* clone3 was unavailable: move ourselves (the kernel's slow
		 * path, but only on kernels older than 5.7) */
		int fd = openat(cg->v2_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return neg_errno();
		if (write(fd, "0", 1) != 1) {
			r = neg_errno();
			close(fd);
			return r;
		}
		close(fd);
	}
	return 0;
}

void cgroup_close_join_fds(struct ward_cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->sys.n_v1; i++) {
		if (cg->sys.v1[i].tasks_fd >= 0) {
			close(cg->sys.v1[i].tasks_fd);
			cg->sys.v1[i].tasks_fd = -1;
		}
	}
	if (cg->v2_fd >= 0) {
		close(cg->v2_fd);
		cg->v2_fd = -1;
	}
}

int cgroup_update(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err)
{
	return cg->ops->apply(cg, res, err);
}

int cgroup_stats(struct ward_cgroup *cg, struct cg_stats *st)
{
	*st = (struct cg_stats){-1, -1, -1, -1, -1, -1};
	return cg->ops->stats(cg, st);
}

int64_t cgroup_oom_kills(struct ward_cgroup *cg)
{
	int64_t v;

	if (cg->sys.layout == CG_LAYOUT_V2) {
		if (cg->v2_dir && cg_read_i64(cg->v2_dir, "memory.events", "oom_kill", &v) == 0)
			return v;
		return -1;
	}
	for (size_t i = 0; i < cg->sys.n_v1; i++) {
		struct cg_hier *h = &cg->sys.v1[i];
		if (h->dir && strstr(h->controllers, "memory") &&
		    cg_read_i64(h->dir, "memory.oom_control", "oom_kill", &v) == 0)
			return v;
	}
	return -1;
}

int cgroup_freeze(struct ward_cgroup *cg, bool frozen, ward_err *err)
{
	return cg->ops->freeze(cg, frozen, err);
}

int cgroup_destroy(struct ward_cgroup *cg, ward_err *err)
{
	if (!cg)
		return 0;
	cgroup_close_join_fds(cg);
	cg->ops->kill_all(cg);
	return cg->ops->destroy(cg, err);
}

void cgroup_free(struct ward_cgroup *cg)
{
	if (!cg)
		return;
	cg_system_clear(&cg->sys);
	free(cg->parent);
	free(cg->leaf);
	free(cg->rel_path);
	free(cg->v2_dir);
	free(cg->v2_parent_dir);
	if (cg->v2_fd >= 0)
		close(cg->v2_fd);
	free(cg);
}

const char *cgroup_layout_name(const struct ward_cgroup *cg)
{
	return cg->ops->name;
}

const char *cgroup_describe(const struct ward_cgroup *cg)
{
	if (cg->v2_dir && cg->sys.layout == CG_LAYOUT_V2)
		return cg->v2_dir;
	for (size_t i = 0; i < cg->sys.n_v1; i++)
		if (cg->sys.v1[i].dir && strstr(cg->sys.v1[i].controllers, "memory"))
			return cg->sys.v1[i].dir;
	for (size_t i = 0; i < cg->sys.n_v1; i++)
		if (cg->sys.v1[i].dir)
			return cg->sys.v1[i].dir;
	return cg->v2_dir ? cg->v2_dir : "(none)";
}

/* The hybrid driver: v1 controllers plus the cgroup2 hierarchy, which the
 * container is born into (it also gives us cgroup.kill and cgroup.events). */
static int hybrid_create(struct ward_cgroup *cg, const char *parent, const char *leaf,
			 ward_err *err)
{
	int r = cg_v1_create(cg, parent, leaf, err);
	if (r < 0)
		return r;
	return cg_v2_create(cg, parent, leaf, err);
}

static int hybrid_apply(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err)
{
	int r = cg_v1_apply(cg, res, err);
	if (r < 0)
		return r;
	return cg_v2_apply(cg, res, err);
}

static int hybrid_kill_all(struct ward_cgroup *cg)
{
	cg_v2_kill_all(cg);
	return cg_v1_kill_all(cg);
}

static int hybrid_destroy(struct ward_cgroup *cg, ward_err *err)
{
	int r1 = cg_v1_destroy(cg, err);
	int r2 = cg_v2_destroy(cg, r1 < 0 ? NULL : err);
	return r1 < 0 ? r1 : r2;
}

static int hybrid_stats(struct ward_cgroup *cg, struct cg_stats *st)
{
	return cg_v1_stats(cg, st);
}

static int hybrid_freeze(struct ward_cgroup *cg, bool frozen, ward_err *err)
{
	return cg_v1_freeze(cg, frozen, err);
}

const struct cg_ops cg_ops_hybrid = {
    .name = "hybrid",
    .create = hybrid_create,
    .apply = hybrid_apply,
    .kill_all = hybrid_kill_all,
    .destroy = hybrid_destroy,
    .stats = hybrid_stats,
    .freeze = hybrid_freeze,
};
