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
#include <stddef.h>
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

bool cg_hier_has(const struct cg_hier *h, const char *controller)
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
		if (cg->sys.v1[i].dir && cg_hier_has(&cg->sys.v1[i], controller))
			return &cg->sys.v1[i];
	return NULL;
}

/* The controllers every container joins: memory and pids (limits, OOM
 * accounting, a place to find stragglers), cpu and cpuacct (limits, usage),
 * freezer (a fork-safe kill).  The others cost a mkdir and an rmdir each
 * (a cpuset mkdir ~0.5 ms here) and are joined only when asked for:
 * devices when there are device rules (a container without a user
 * namespace), blkio for an I/O weight, cpuset, hugetlb. */
bool cg_v1_hier_wanted(const struct cg_hier *h, const struct ward_resources *res)
{
	static const char *const always[] = {"memory", "pids", "cpu", "cpuacct", "freezer"};

	for (size_t i = 0; i < ARRAY_SIZE(always); i++)
		if (cg_hier_has(h, always[i]))
			return true;
	if (!res)
		return false;
	if ((res->cpuset_cpus || res->cpuset_mems) && cg_hier_has(h, "cpuset"))
		return true;
	if (res->n_hugepages && cg_hier_has(h, "hugetlb"))
		return true;
	if (res->n_devices && cg_hier_has(h, "devices"))
		return true;
	if ((res->io_weight != WARD_UNSET || res->blkio_weight != WARD_UNSET ||
	     res->blkio_leaf_weight != WARD_UNSET || res->n_blkio_weight_devices ||
	     res->n_blkio_throttle[WBLKIO_READ_BPS] || res->n_blkio_throttle[WBLKIO_WRITE_BPS] ||
	     res->n_blkio_throttle[WBLKIO_READ_IOPS] || res->n_blkio_throttle[WBLKIO_WRITE_IOPS]) &&
	    cg_hier_has(h, "blkio"))
		return true;
	if (res->net_cls_classid != WARD_UNSET && cg_hier_has(h, "net_cls"))
		return true;
	if (res->n_net_prio && cg_hier_has(h, "net_prio"))
		return true;
	if (res->n_rdma && cg_hier_has(h, "rdma"))
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
		h->wanted = cg_v1_hier_wanted(h, cg->create_res);
		if (!h->wanted)
			continue;
		base = parent_dir(h, parent);
		if (!base)
			return werr(err, ENOMEM, "cgroup");
		/* an OCI cgroupsPath may name parents that do not exist yet */
		r = cg_mkdir_parents(h->mountpoint, base,
				     cg_hier_has(h, "cpuset") ? cpuset_inherit : NULL, err);
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
		if (cg_hier_has(h, "cpuset")) {
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
		int64_t usage;
		if (res->memory_check_before_update && res->memory_limit >= 0 &&
		    cg_read_i64(h->dir, "memory.usage_in_bytes", NULL, &usage) == 0 &&
		    usage > res->memory_limit)
			return werrx(err, EBUSY,
				     "cgroup: memory limit %" PRId64
				     " is below the current usage %" PRId64
				     " (linux.resources.memory.checkBeforeUpdate)",
				     res->memory_limit, usage);
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

/*
 * The OCI face's less common limits: each is one cgroup file.  A limit
 * that is set is written, or refused with an error naming its config.json
 * key when this host has no controller or no file for it (memory.kmem.*
 * went away in kernel 6.x); none is skipped.
 */
struct v1_file {
	const char *key; /* in linux.resources */
	const char *controller;
	const char *file;
	size_t off; /* of the int64_t in struct ward_resources */
};

#define RES_OFF(field) offsetof(struct ward_resources, field)

static const struct v1_file v1_files[] = {
    {"memory.useHierarchy", "memory", "memory.use_hierarchy", RES_OFF(memory_use_hierarchy)},
    {"memory.kernel", "memory", "memory.kmem.limit_in_bytes", RES_OFF(memory_kernel)},
    {"memory.kernelTCP", "memory", "memory.kmem.tcp.limit_in_bytes", RES_OFF(memory_kernel_tcp)},
    {"cpu.burst", "cpu", "cpu.cfs_burst_us", RES_OFF(cpu_burst)},
    /* the period first: a runtime above the current period is refused */
    {"cpu.realtimePeriod", "cpu", "cpu.rt_period_us", RES_OFF(cpu_rt_period)},
    {"cpu.realtimeRuntime", "cpu", "cpu.rt_runtime_us", RES_OFF(cpu_rt_runtime)},
    {"cpu.idle", "cpu", "cpu.idle", RES_OFF(cpu_idle)},
    {"blockIO.leafWeight", "blkio", "blkio.leaf_weight", RES_OFF(blkio_leaf_weight)},
    {"network.classID", "net_cls", "net_cls.classid", RES_OFF(net_cls_classid)},
};

static int64_t res_i64(const struct ward_resources *res, size_t off)
{
	int64_t v;

	memcpy(&v, (const char *)res + off, sizeof(v));
	return v;
}

/* The directory of CONTROLLER's hierarchy holding FILE, or an error naming
 * the key. */
static int v1_target(struct ward_cgroup *cg, const char *key, const char *controller,
		     const char *file, const char **dir, ward_err *err)
{
	struct cg_hier *h = find_hier(cg, controller);

	if (!h)
		return werrx(err, ENOTSUP,
			     "cgroup: linux.resources.%s needs the %s controller, which this "
			     "host does not have mounted",
			     key, controller);
	if (!file_exists_in(h->dir, file))
		return werrx(err, ENOTSUP,
			     "cgroup: linux.resources.%s needs %s, which this kernel does not "
			     "have",
			     key, file);
	*dir = h->dir;
	return 0;
}

static int v1_write_key(struct ward_cgroup *cg, const char *key, const char *controller,
			const char *file, const char *value, ward_err *err)
{
	const char *dir;
	int r = v1_target(cg, key, controller, file, &dir, err);

	if (r >= 0 && (r = cg_write(dir, file, value, err)) < 0)
		werr_wrap(err, "linux.resources.%s", key);
	return r;
}

static int apply_blkio_devices(struct ward_cgroup *cg, const struct ward_resources *res,
			       ward_err *err)
{
	static const char *const throttle[WBLKIO__MAX][2] = {
	    [WBLKIO_READ_BPS] = {"blockIO.throttleReadBpsDevice", "blkio.throttle.read_bps_device"},
	    [WBLKIO_WRITE_BPS] = {"blockIO.throttleWriteBpsDevice",
				  "blkio.throttle.write_bps_device"},
	    [WBLKIO_READ_IOPS] = {"blockIO.throttleReadIOPSDevice",
				  "blkio.throttle.read_iops_device"},
	    [WBLKIO_WRITE_IOPS] = {"blockIO.throttleWriteIOPSDevice",
				   "blkio.throttle.write_iops_device"},
	};
	char buf[96];
	int r;

	for (size_t i = 0; i < res->n_blkio_weight_devices; i++) {
		const struct ward_blkio_weight_device *d = &res->blkio_weight_devices[i];
		struct cg_hier *h = find_hier(cg, "blkio");
		const char *file = h && !file_exists_in(h->dir, "blkio.weight_device") &&
					   file_exists_in(h->dir, "blkio.bfq.weight_device")
				       ? "blkio.bfq.weight_device"
				       : "blkio.weight_device";

		if (d->weight != WARD_UNSET) {
			snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRId64, d->major,
				 d->minor, d->weight);
			r = v1_write_key(cg, "blockIO.weightDevice", "blkio", file, buf, err);
			if (r < 0)
				return r;
		}
		if (d->leaf_weight != WARD_UNSET) {
			snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRId64, d->major,
				 d->minor, d->leaf_weight);
			r = v1_write_key(cg, "blockIO.weightDevice", "blkio",
					 "blkio.leaf_weight_device", buf, err);
			if (r < 0)
				return r;
		}
	}
	for (int k = 0; k < WBLKIO__MAX; k++)
		for (size_t i = 0; i < res->n_blkio_throttle[k]; i++) {
			const struct ward_blkio_throttle *t = &res->blkio_throttle[k][i];

			snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRIu64, t->major,
				 t->minor, t->rate);
			r = v1_write_key(cg, throttle[k][0], "blkio", throttle[k][1], buf, err);
			if (r < 0)
				return r;
		}
	return 0;
}

static int apply_net_rdma(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err)
{
	char buf[160];
	int r;

	for (size_t i = 0; i < res->n_net_prio; i++) {
		snprintf(buf, sizeof(buf), "%s %" PRIu32, res->net_prio[i].ifname,
			 res->net_prio[i].priority);
		r = v1_write_key(cg, "network.priorities", "net_prio", "net_prio.ifpriomap", buf,
				 err);
		if (r < 0)
			return r;
	}
	/* on a hybrid host rdma may be a cgroup2 controller: the v2 half
	 * writes it then */
	if (res->n_rdma && !find_hier(cg, "rdma") && cg->sys.layout == CG_LAYOUT_HYBRID &&
	    cg->sys.v2_controllers && strstr(cg->sys.v2_controllers, "rdma"))
		return 0;
	for (size_t i = 0; i < res->n_rdma; i++) {
		r = cg_rdma_line(&res->rdma[i], buf, sizeof(buf));
		if (r < 0)
			return werrx(err, EINVAL,
				     "cgroup: linux.resources.rdma: device name too long");
		r = v1_write_key(cg, "rdma", "rdma", "rdma.max", buf, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_extra(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err)
{
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(v1_files); i++) {
		const struct v1_file *f = &v1_files[i];
		int64_t v = res_i64(res, f->off);
		const char *dir;

		if (v == WARD_UNSET)
			continue;
		r = v1_target(cg, f->key, f->controller, f->file, &dir, err);
		if (r < 0)
			return r;
		r = write_i64(dir, f->file, v, err);
		if (r < 0)
			return werr_wrap(err, "linux.resources.%s", f->key);
		/* since 5.16 the kernel takes a kmem limit and does not enforce
		 * it (memory.kmem.limit_in_bytes reads back unlimited): say so */
		if (f->off == RES_OFF(memory_kernel)) {
			int64_t now;
			if (cg_read_i64(dir, f->file, NULL, &now) == 0 && now != v)
				wwarn("cgroup: linux.resources.memory.kernel: this kernel no "
				      "longer enforces kernel memory limits (%s reads %" PRId64 ")",
				      f->file, now);
		}
	}
	r = apply_blkio_devices(cg, res, err);
	if (r < 0)
		return r;
	return apply_net_rdma(cg, res, err);
}

/* A limit for a hierarchy the container was not put in (ward joins
 * cpuset, blkio, devices, hugetlb... only when created with such a limit):
 * `update` cannot apply it, and says so rather than skip it. */
static int check_joined(const struct ward_cgroup *cg, const struct ward_resources *res,
			ward_err *err)
{
	for (size_t i = 0; i < cg->sys.n_v1; i++) {
		const struct cg_hier *h = &cg->sys.v1[i];

		if (!h->dir && h->controllers[0] && cg_v1_hier_wanted(h, res) &&
		    !strstr(h->controllers, "name="))
			return werrx(err, ENOTSUP,
				     "cgroup: the container has no %s cgroup (it was created "
				     "without a limit that needs one), so this limit cannot be "
				     "set now",
				     h->controllers);
	}
	return 0;
}

int cg_v1_apply(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err)
{
	int r;

	if ((r = check_joined(cg, res, err)) < 0)
		return r;

	if ((r = apply_memory(cg, res, err)) < 0 || (r = apply_cpu(cg, res, err)) < 0 ||
	    (r = apply_cpuset(cg, res, err)) < 0 || (r = apply_blkio(cg, res, err)) < 0 ||
	    (r = apply_devices(cg, res, err)) < 0 || (r = apply_pids_hugetlb(cg, res, err)) < 0 ||
	    (r = apply_extra(cg, res, err)) < 0)
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
