/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cgroup v1 driver: one directory per joined hierarchy.
 *
 * Joining: the container process writes "0" to each hierarchy's `tasks`
 * file itself, through fds this side opened (join_v1_cgroups() in child.c).
 * Moving a single thread that is the caller does not take the kernel's global
 * cgroup_threadgroup_rwsem for writing; writing a PID to cgroup.procs does,
 * and its first write waits for an RCU grace period: 5-15 ms measured on the
 * development VM (kernel 6.18), against 0.02 ms for the self-move.  The
 * container process is single-threaded at that point, so moving its thread
 * moves the whole process.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

static bool hier_has(const struct cg_hier *h, const char *controller)
{
	const char *p = h->controllers;
	size_t n = strlen(controller);

	while ((p = strstr(p, controller))) {
		if ((p == h->controllers || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

static struct cg_hier *find_hier(struct ward_cgroup *cg, const char *controller)
{
	for (size_t i = 0; i < cg->sys.n_v1; i++)
		if (cg->sys.v1[i].dir && hier_has(&cg->sys.v1[i], controller))
			return &cg->sys.v1[i];
	return NULL;
}

/* The controllers every container joins: memory and pids (limits, OOM
 * accounting, a place to find stragglers), cpu and cpuacct (limits, usage),
 * freezer (a fork-safe kill).  The others cost a mkdir and an rmdir each
 * (a cpuset mkdir ~0.5 ms here) and are joined only when asked for:
 * devices when there are device rules (a container without a user
 * namespace), blkio for an I/O weight, cpuset, hugetlb. */
static bool hier_wanted(const struct cg_hier *h, const struct ward_resources *res)
{
	static const char *const always[] = {"memory", "pids", "cpu", "cpuacct", "freezer"};

	for (size_t i = 0; i < ARRAY_SIZE(always); i++)
		if (hier_has(h, always[i]))
			return true;
	if (!res)
		return false;
	if ((res->cpuset_cpus || res->cpuset_mems) && hier_has(h, "cpuset"))
		return true;
	if (res->n_hugepages && hier_has(h, "hugetlb"))
		return true;
	if (res->n_devices && hier_has(h, "devices"))
		return true;
	if ((res->io_weight != WARD_UNSET || res->blkio_weight != WARD_UNSET) &&
	    hier_has(h, "blkio"))
		return true;
	return false;
}

static char *parent_dir(const struct cg_hier *h, const char *parent)
{
	if (streq(parent, "self"))
		return cg_join_path(h->mountpoint, h->mount_root, h->self_path);
	if (startswith(parent, "self/")) {
		_cleanup_free_ char *self =
		    cg_join_path(h->mountpoint, h->mount_root, h->self_path);
		return self ? xasprintf("%s/%s", self, parent + 5) : NULL;
	}
	while (*parent == '/')
		parent++;
	return xasprintf("%s/%s", h->mountpoint, parent);
}

/* A new cpuset cgroup starts with no CPUs and no memory nodes; a task
 * cannot join it until both are copied from the parent. */
static int cpuset_inherit(const char *dir, ward_err *err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	_cleanup_free_ char *up = strdup(dir);
	char *slash;

	if (!up)
		return werr(err, ENOMEM, "cgroup");
	slash = strrchr(up, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *mine = NULL, *theirs = NULL;
		_cleanup_free_ char *pm = xasprintf("%s/%s", dir, files[i]);
		_cleanup_free_ char *pt = xasprintf("%s/%s", up, files[i]);
		int r;

		if (!pm || !pt)
			return werr(err, ENOMEM, "cgroup");
		if (read_file(pm, &mine, NULL) == 0 && *strstrip(mine))
			continue;
		r = read_file(pt, &theirs, NULL);
		if (r < 0)
			return werr(err, -r, "cgroup: read %s", pt);
		r = cg_write(dir, files[i], strstrip(theirs), err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int make_dir(const char *dir, bool *created, bool existing_ok, ward_err *err)
{
	if (mkdir(dir, 0755) == 0) {
		*created = true;
		return 0;
	}
	if (errno == EEXIST && existing_ok)
		return 0;
	if (errno == EEXIST)
		return werrx(err, EEXIST, "cgroup %s already exists", dir);
	return werr(err, errno, "cgroup: create %s", dir);
}

/* A leftover cgroup from a container that crashed under the same name is
 * reused if it is empty; one that still holds processes is refused. */
static int check_leftover(const char *dir, ward_err *err)
{
	_cleanup_free_ char *p = xasprintf("%s/cgroup.procs", dir);

	if (!p)
		return werr(err, ENOMEM, "cgroup");
	/* the processes of a container whose ward was just killed are being
	 * torn down by the kernel; give them a moment (v1 has no event) */
	for (int i = 0; i < 100; i++) {
		_cleanup_free_ char *procs = NULL;
		struct timespec ts = {0, 5000000};

		if (read_file(p, &procs, NULL) < 0 || !*strstrip(procs))
			return 0;
		nanosleep(&ts, NULL);
	}
	return werrx(err, EBUSY, "cgroup %s already exists and holds processes", dir);
}

int cg_v1_create(struct ward_cgroup *cg, const char *parent, const char *leaf, ward_err *err)
{
	for (size_t i = 0; i < cg->sys.n_v1; i++) {
		struct cg_hier *h = &cg->sys.v1[i];
		_cleanup_free_ char *base = NULL;
		bool created = false;
		int r;

		if (cg->opening) {
			base = parent_dir(h, parent);
			if (!base)
				return werr(err, ENOMEM, "cgroup");
			h->dir = xasprintf("%s/%s", base, leaf);
			if (!h->dir)
				return werr(err, ENOMEM, "cgroup");
			if (!path_exists(h->dir)) {
				free(h->dir);
				h->dir = NULL;
			}
			continue;
		}
		h->wanted = hier_wanted(h, cg->create_res);
		if (!h->wanted)
			continue;
		base = parent_dir(h, parent);
		if (!base)
			return werr(err, ENOMEM, "cgroup");
		/* an OCI cgroupsPath may name parents that do not exist yet */
		r = cg_mkdir_parents(h->mountpoint, base,
				     hier_has(h, "cpuset") ? cpuset_inherit : NULL, err);
		if (r < 0)
			return r;
		h->parents_created = r;
		h->dir = xasprintf("%s/%s", base, leaf);
		if (!h->dir)
			return werr(err, ENOMEM, "cgroup");
		r = make_dir(h->dir, &created, true, err);
		if (r < 0)
			return r;
		if (!created) {
			r = check_leftover(h->dir, err);
			if (r < 0) {
				free(h->dir);
				h->dir = NULL;
				return r;
			}
		}
		h->created = true;
		if (hier_has(h, "cpuset")) {
			r = cpuset_inherit(h->dir, err);
			if (r < 0)
				return r;
		}
		_cleanup_free_ char *tasks = xasprintf("%s/tasks", h->dir);
		if (!tasks)
			return werr(err, ENOMEM, "cgroup");
		h->tasks_fd = open(tasks, O_WRONLY | O_CLOEXEC);
		if (h->tasks_fd < 0)
			return werr(err, errno, "cgroup: open %s", tasks);
	}
	return 0;
}

static int write_i64(const char *dir, const char *file, int64_t v, ward_err *err)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return cg_write(dir, file, buf, err);
}

static bool file_exists_in(const char *dir, const char *file)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
	return p && access(p, F_OK) == 0;
}

static int apply_memory(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err)
{
	struct cg_hier *h = find_hier(cg, "memory");
	int r;

	if (!h)
		return 0;
	if (res->memory_limit != WARD_UNSET) {
		r = write_i64(h->dir, "memory.limit_in_bytes", res->memory_limit, err);
		if (r < 0)
			return r;
		/* memory+swap: without --memory-swap the container gets no
		 * swap at all, so the memory limit is a hard limit */
		int64_t memsw =
		    res->memory_swap == WARD_UNSET ? res->memory_limit : res->memory_swap;
		if (file_exists_in(h->dir, "memory.memsw.limit_in_bytes")) {
			r = write_i64(h->dir, "memory.memsw.limit_in_bytes", memsw, err);
			if (r < 0)
				return r;
		} else if (res->memory_swap != WARD_UNSET) {
			return werrx(err, ENOTSUP,
				     "cgroup: --memory-swap needs swap accounting "
				     "(memory.memsw), which this kernel does not have");
		}
	}
	if (res->memory_reservation != WARD_UNSET) {
		r = write_i64(h->dir, "memory.soft_limit_in_bytes", res->memory_reservation, err);
		if (r < 0)
			return r;
	}
	if (res->memory_swappiness != WARD_UNSET) {
		r = write_i64(h->dir, "memory.swappiness", res->memory_swappiness, err);
		if (r < 0)
			return r;
	}
	if (res->disable_oom_killer) {
		r = cg_write(h->dir, "memory.oom_control", "1", err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_cpu(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err)
{
	struct cg_hier *h = find_hier(cg, "cpu");
	int r;

	if (!h)
		return 0;
	if (res->cpu_period != WARD_UNSET) {
		r = write_i64(h->dir, "cpu.cfs_period_us", res->cpu_period, err);
		if (r < 0)
			return r;
	}
	if (res->cpu_quota != WARD_UNSET) {
		r = write_i64(h->dir, "cpu.cfs_quota_us", res->cpu_quota, err);
		if (r < 0)
			return r;
	}
	if (res->cpu_shares != WARD_UNSET || res->cpu_weight != WARD_UNSET) {
		int64_t shares = res->cpu_shares != WARD_UNSET
				     ? res->cpu_shares
				     : cg_weight_to_shares(res->cpu_weight);
		r = write_i64(h->dir, "cpu.shares", shares, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_cpuset(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err)
{
	struct cg_hier *h = find_hier(cg, "cpuset");
	int r;

	if (!h)
		return 0;
	if (res->cpuset_cpus) {
		r = cg_write(h->dir, "cpuset.cpus", res->cpuset_cpus, err);
		if (r < 0)
			return r;
	}
	if (res->cpuset_mems) {
		r = cg_write(h->dir, "cpuset.mems", res->cpuset_mems, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_blkio(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err)
{
	struct cg_hier *h = find_hier(cg, "blkio");
	int64_t w;

	if (!h || (res->io_weight == WARD_UNSET && res->blkio_weight == WARD_UNSET))
		return 0;
	w = res->blkio_weight != WARD_UNSET ? res->blkio_weight : res->io_weight;
	if (file_exists_in(h->dir, "blkio.weight"))
		return write_i64(h->dir, "blkio.weight", w, err);
	if (file_exists_in(h->dir, "blkio.bfq.weight")) {
		if (w > 1000)
			return werrx(err, ERANGE,
				     "cgroup: io weight %" PRId64
				     " is above the v1 BFQ scheduler's maximum 1000",
				     w);
		return write_i64(h->dir, "blkio.bfq.weight", w, err);
	}
	return werrx(err, ENOTSUP,
		     "cgroup: io weight needs blkio.weight or blkio.bfq.weight, "
		     "and this host's block I/O controller has neither");
}

static int apply_devices(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err)
{
	struct cg_hier *h = find_hier(cg, "devices");

	if (!h || !res->n_devices)
		return 0;
	for (size_t i = 0; i < res->n_devices; i++) {
		const struct ward_device_rule *d = &res->devices[i];
		char rule[64], maj[24], min[24];
		int r;

		if (d->major < 0)
			snprintf(maj, sizeof(maj), "*");
		else
			snprintf(maj, sizeof(maj), "%" PRId64, d->major);
		if (d->minor < 0)
			snprintf(min, sizeof(min), "*");
		else
			snprintf(min, sizeof(min), "%" PRId64, d->minor);
		if (d->type == 'a')
			snprintf(rule, sizeof(rule), "a");
		else
			snprintf(rule, sizeof(rule), "%c %s:%s %s", d->type, maj, min,
				 d->access[0] ? d->access : "rwm");
		r = cg_write(h->dir, d->allow ? "devices.allow" : "devices.deny", rule, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_pids_hugetlb(struct ward_cgroup *cg, const struct ward_resources *res,
			      ward_err *err)
{
	struct cg_hier *h = find_hier(cg, "pids");
	int r;

	if (h && res->pids_limit != WARD_UNSET) {
		r = res->pids_limit < 0 ? cg_write(h->dir, "pids.max", "max", err)
					: write_i64(h->dir, "pids.max", res->pids_limit, err);
		if (r < 0)
			return r;
	}
	h = find_hier(cg, "hugetlb");
	for (size_t i = 0; h && i < res->n_hugepages; i++) {
		_cleanup_free_ char *f =
		    xasprintf("hugetlb.%s.limit_in_bytes", res->hugepages[i].pagesize);
		if (!f)
			return werr(err, ENOMEM, "cgroup");
		r = write_i64(h->dir, f, (int64_t)res->hugepages[i].limit, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int cg_v1_apply(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err)
{
	int r;

	if ((r = apply_memory(cg, res, err)) < 0 || (r = apply_cpu(cg, res, err)) < 0 ||
	    (r = apply_cpuset(cg, res, err)) < 0 || (r = apply_blkio(cg, res, err)) < 0 ||
	    (r = apply_devices(cg, res, err)) < 0 || (r = apply_pids_hugetlb(cg, res, err)) < 0)
		return r;
	if (res->n_unified && cg->sys.layout == CG_LAYOUT_V1)
		return werrx(err, ENOTSUP,
			     "cgroup: unified (cgroup v2) keys such as '%s' need a "
			     "cgroup v2 host; this host has cgroup v1",
			     res->unified[0].key);
	return 0;
}

static int read_pids(const char *dir, pid_t *pids, size_t max, size_t *n)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ char *p = xasprintf("%s/cgroup.procs", dir);
	char *s, *save = NULL;
	int r;

	*n = 0;
	if (!p)
		return -ENOMEM;
	r = read_file(p, &buf, NULL);
	if (r < 0)
		return r;
	for (s = strtok_r(buf, "\n", &save); s && *n < max; s = strtok_r(NULL, "\n", &save)) {
		int v;
		if (parse_int(s, &v) == 0 && v > 0)
			pids[(*n)++] = v;
	}
	return 0;
}

static int freezer_set(struct cg_hier *h, const char *state, ward_err *err)
{
	int r = cg_write(h->dir, "freezer.state", state, err);

	if (r < 0)
		return r;
	/* FREEZING -> FROZEN completes asynchronously; v1 has no event for it */
	for (int i = 0; i < 1000; i++) {
		_cleanup_free_ char *cur = NULL;
		_cleanup_free_ char *p = xasprintf("%s/freezer.state", h->dir);
		struct timespec ts = {0, 1000000};

		if (!p)
			return werr(err, ENOMEM, "cgroup");
		if (read_file(p, &cur, NULL) == 0 && streq(strstrip(cur), state))
			return 0;
		nanosleep(&ts, NULL);
	}
	return werrx(err, ETIMEDOUT, "cgroup: %s did not reach %s", h->dir, state);
}

int cg_v1_kill_all(struct ward_cgroup *cg)
{
	struct cg_hier *h = find_hier(cg, "pids");
	struct cg_hier *fz = find_hier(cg, "freezer");
	ward_err ignored;

	if (!h)
		h = find_hier(cg, "memory");
	if (!h)
		return 0;
	{
		/* the usual case: the container's PID 1 is gone and the kernel
		 * took the rest of its PID namespace with it */
		pid_t pids[1];
		size_t n = 0;
		if (read_pids(h->dir, pids, 1, &n) < 0 || n == 0)
			return 0;
	}
	/* freeze first so that nothing forks while we kill */
	if (fz)
		freezer_set(fz, "FROZEN", &ignored);
	for (int round = 0; round < 100; round++) {
		pid_t pids[256];
		size_t n = 0;
		struct timespec ts = {0, 1000000};

		if (read_pids(h->dir, pids, ARRAY_SIZE(pids), &n) < 0 || n == 0)
			break;
		for (size_t i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		if (fz && round == 0)
			freezer_set(fz, "THAWED", &ignored);
		nanosleep(&ts, NULL);
	}
	if (fz)
		freezer_set(fz, "THAWED", &ignored);
	return 0;
}

int cg_v1_destroy(struct ward_cgroup *cg, ward_err *err)
{
	int ret = 0;

	for (size_t i = 0; i < cg->sys.n_v1; i++) {
		struct cg_hier *h = &cg->sys.v1[i];
		int r;

		if (h->tasks_fd >= 0) {
			close(h->tasks_fd);
			h->tasks_fd = -1;
		}
		if (!h->dir)
			continue;
		if (h->created) {
			r = cg_rmdir_retry(h->dir);
			if (r < 0 && ret == 0)
				ret = werr(err, -r, "cgroup: remove %s", h->dir);
			if (r == 0)
				h->created = false;
		}
		/* also when making the container's own cgroup failed */
		if (h->parents_created) {
			char *slash = strrchr(h->dir, '/');
			if (slash) {
				*slash = '\0';
				cg_rmdir_parents(h->dir, h->parents_created); /* if now empty */
				*slash = '/';
			}
			h->parents_created = 0;
		}
	}
	return ret;
}

int cg_v1_stats(struct ward_cgroup *cg, struct cg_stats *st)
{
	struct cg_hier *h;
	int64_t v;

	if ((h = find_hier(cg, "memory"))) {
		if (cg_read_i64(h->dir, "memory.usage_in_bytes", NULL, &v) == 0)
			st->memory_current = v;
		if (cg_read_i64(h->dir, "memory.max_usage_in_bytes", NULL, &v) == 0)
			st->memory_peak = v;
		if (cg_read_i64(h->dir, "memory.limit_in_bytes", NULL, &v) == 0)
			st->memory_limit = v >= (INT64_MAX / 2) ? -1 : v;
		if (cg_read_i64(h->dir, "memory.oom_control", "oom_kill", &v) == 0)
			st->oom_kills = v;
	}
	if ((h = find_hier(cg, "cpuacct")) && cg_read_i64(h->dir, "cpuacct.usage", NULL, &v) == 0)
		st->cpu_usage_usec = v / 1000;
	if ((h = find_hier(cg, "pids")) && cg_read_i64(h->dir, "pids.current", NULL, &v) == 0)
		st->pids_current = v;
	return 0;
}

int cg_v1_freeze(struct ward_cgroup *cg, bool frozen, ward_err *err)
{
	struct cg_hier *h = find_hier(cg, "freezer");

	if (!h)
		return werrx(err, ENOTSUP, "cgroup: the freezer controller is not mounted");
	return freezer_set(h, frozen ? "FROZEN" : "THAWED", err);
}

const struct cg_ops cg_ops_v1 = {
    .name = "v1",
    .create = cg_v1_create,
    .apply = cg_v1_apply,
    .kill_all = cg_v1_kill_all,
    .destroy = cg_v1_destroy,
    .stats = cg_v1_stats,
    .freeze = cg_v1_freeze,
};
