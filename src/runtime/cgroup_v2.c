/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cgroup v2 driver.  The container's cgroup directory is opened before
 * clone so the child is born inside it (clone3 with CLONE_INTO_CGROUP): no
 * migration, no waiting on the global threadgroup lock.  In a hybrid layout
 * the same code manages the cgroup2 mount beside the v1 controllers.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "runtime/devbpf.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/fileutil.h"
#include "util/strutil.h"

static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while (p && (p = strstr(p, word))) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0' || p[n] == '\n'))
			return true;
		p += n;
	}
	return false;
}

static bool v2_has(const struct ward_cgroup *cg, const char *controller)
{
	return cg->sys.v2_controllers && word_in(cg->sys.v2_controllers, controller);
}

/* Which controllers this container needs enabled in the cgroup2 hierarchy:
 * only those its limits use.  Enabling a controller below a cgroup that
 * holds processes is impossible in cgroup v2 (the no-internal-process rule),
 * so asking for none when no limit is given keeps `--cgroup-parent self`
 * usable; memory and CPU usage are then read from the parent's view.  In a
 * hybrid layout only what v1 does not provide. */
static void wanted_controllers(const struct ward_cgroup *cg, const struct ward_resources *res,
			       char *out, size_t len)
{
	bool pure = cg->sys.layout == CG_LAYOUT_V2;

	out[0] = '\0';
	if (pure && res &&
	    (res->memory_limit != WARD_UNSET || res->memory_swap != WARD_UNSET ||
	     res->memory_reservation != WARD_UNSET) &&
	    v2_has(cg, "memory"))
		strncat(out, " +memory", len - strlen(out) - 1);
	if (pure && res && res->pids_limit != WARD_UNSET && v2_has(cg, "pids"))
		strncat(out, " +pids", len - strlen(out) - 1);
	if (pure && res &&
	    (res->cpu_quota != WARD_UNSET || res->cpu_weight != WARD_UNSET ||
	     res->cpu_shares != WARD_UNSET || res->cpu_period != WARD_UNSET) &&
	    v2_has(cg, "cpu"))
		strncat(out, " +cpu", len - strlen(out) - 1);
	if (res && (res->cpuset_cpus || res->cpuset_mems) && v2_has(cg, "cpuset") && pure)
		strncat(out, " +cpuset", len - strlen(out) - 1);
	if (res && (res->io_weight != WARD_UNSET || res->blkio_weight != WARD_UNSET) &&
	    v2_has(cg, "io") && pure)
		strncat(out, " +io", len - strlen(out) - 1);
	if (res && res->n_hugepages && v2_has(cg, "hugetlb"))
		strncat(out, " +hugetlb", len - strlen(out) - 1);
	if (pure && res && (res->cpu_burst != WARD_UNSET || res->cpu_idle != WARD_UNSET) &&
	    v2_has(cg, "cpu") && !strstr(out, "+cpu"))
		strncat(out, " +cpu", len - strlen(out) - 1);
	if (pure && res &&
	    (res->n_blkio_weight_devices || res->n_blkio_throttle[WBLKIO_READ_BPS] ||
	     res->n_blkio_throttle[WBLKIO_WRITE_BPS] || res->n_blkio_throttle[WBLKIO_READ_IOPS] ||
	     res->n_blkio_throttle[WBLKIO_WRITE_IOPS]) &&
	    v2_has(cg, "io") && !strstr(out, "+io"))
		strncat(out, " +io", len - strlen(out) - 1);
	if (res && res->n_rdma && v2_has(cg, "rdma"))
		strncat(out, " +rdma", len - strlen(out) - 1);
}

/* Enable each wanted controller in the subtree_control of every ancestor
 * from the hierarchy root down to `base`. */
static int enable_controllers(const char *mountpoint, const char *base, const char *wanted,
			      ward_err *err)
{
	_cleanup_free_ char *path = strdup(base);
	size_t mlen = strlen(mountpoint);
	char *p;

	if (!path)
		return werr(err, ENOMEM, "cgroup");
	if (!*wanted)
		return 0;
	p = path + mlen;
	for (;;) {
		char saved = *p;
		_cleanup_free_ char *cur = NULL;
		_cleanup_free_ char *sc = NULL;
		char todo[256] = "";
		char *save = NULL, *tok;
		_cleanup_free_ char *copy = strdup(wanted);

		*p = '\0';
		sc = xasprintf("%s/cgroup.subtree_control", path);
		if (!sc || !copy)
			return werr(err, ENOMEM, "cgroup");
		if (read_file(sc, &cur, NULL) < 0)
			cur = strdup("");
		for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			if (!cur || !word_in(cur, tok + 1)) {
				strncat(todo, " ", sizeof(todo) - strlen(todo) - 1);
				strncat(todo, tok, sizeof(todo) - strlen(todo) - 1);
			}
		if (*todo) {
			int r = write_file(sc, todo + 1);
			if (r == -EBUSY)
				return werrx(
				    err, EBUSY,
				    "cgroup: cannot enable controllers (%s) below %s: it holds "
				    "processes, and cgroup v2 allows controllers only below "
				    "cgroups without processes; choose another --cgroup-parent",
				    todo + 1, path);
			if (r < 0)
				return werr(err, -r, "cgroup: enable controllers (%s) in %s",
					    todo + 1, sc);
		}
		*p = saved;
		if (!saved)
			break;
		p = strchr(p + 1, '/');
		if (!p)
			p = path + strlen(path);
	}
	return 0;
}

static char *v2_parent_dir(const struct ward_cgroup *cg, const char *parent)
{
	if (streq(parent, "self"))
		return cg_join_path(cg->sys.v2_mountpoint, cg->sys.v2_mount_root,
				    cg->sys.v2_self_path);
	if (startswith(parent, "self/")) {
		_cleanup_free_ char *self = cg_join_path(
		    cg->sys.v2_mountpoint, cg->sys.v2_mount_root, cg->sys.v2_self_path);
		return self ? xasprintf("%s/%s", self, parent + 5) : NULL;
	}
	while (*parent == '/')
		parent++;
	return xasprintf("%s/%s", cg->sys.v2_mountpoint, parent);
}

int cg_v2_create(struct ward_cgroup *cg, const char *parent, const char *leaf, ward_err *err)
{
	char wanted[256];
	int r;

	free(cg->v2_parent_dir);
	cg->v2_parent_dir = v2_parent_dir(cg, parent);
	if (!cg->v2_parent_dir)
		return werr(err, ENOMEM, "cgroup");
	free(cg->v2_dir);
	cg->v2_dir = xasprintf("%s/%s", cg->v2_parent_dir, leaf);
	if (!cg->v2_dir)
		return werr(err, ENOMEM, "cgroup");
	if (cg->opening) {
		if (!path_exists(cg->v2_dir)) {
			free(cg->v2_dir);
			cg->v2_dir = NULL;
		}
		return 0;
	}
	/* an OCI cgroupsPath may name parents that do not exist yet */
	r = cg_mkdir_parents(cg->sys.v2_mountpoint, cg->v2_parent_dir, NULL, err);
	if (r < 0)
		return r;
	cg->v2_parents_created = r;
	wanted_controllers(cg, cg->create_res, wanted, sizeof(wanted));
	r = enable_controllers(cg->sys.v2_mountpoint, cg->v2_parent_dir, wanted, err);
	if (r < 0)
		return r;
	if (mkdir(cg->v2_dir, 0755) < 0) {
		_cleanup_free_ char *procs = NULL;
		_cleanup_free_ char *pp = xasprintf("%s/cgroup.procs", cg->v2_dir);

		if (errno != EEXIST)
			return werr(err, errno, "cgroup: create %s", cg->v2_dir);
		if (pp && read_file(pp, &procs, NULL) == 0 && *strstrip(procs))
			return werrx(err, EBUSY, "cgroup %s already exists and holds processes",
				     cg->v2_dir);
	}
	cg->v2_created = true;
	cg->v2_fd = open(cg->v2_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->v2_fd < 0)
		return werr(err, errno, "cgroup: open %s", cg->v2_dir);
	return 0;
}

static int write_i64(const char *dir, const char *file, int64_t v, ward_err *err)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return cg_write(dir, file, buf, err);
}

static int write_max(const char *dir, const char *file, int64_t v, ward_err *err)
{
	return v < 0 ? cg_write(dir, file, "max", err) : write_i64(dir, file, v, err);
}

static int apply_memory(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err)
{
	const char *d = cg->v2_dir;
	int r;

	if (res->memory_limit != WARD_UNSET) {
		int64_t usage;
		if (res->memory_check_before_update && res->memory_limit >= 0 &&
		    cg_read_i64(d, "memory.current", NULL, &usage) == 0 &&
		    usage > res->memory_limit)
			return werrx(err, EBUSY,
				     "cgroup: memory limit %" PRId64
				     " is below the current usage %" PRId64
				     " (linux.resources.memory.checkBeforeUpdate)",
				     res->memory_limit, usage);
		r = write_max(d, "memory.max", res->memory_limit, err);
		if (r < 0)
			return r;
		/* no swap unless --memory-swap asks for it (see the v1 driver) */
		_cleanup_free_ char *swp = xasprintf("%s/memory.swap.max", d);
		if (swp && access(swp, F_OK) == 0) {
			int64_t swap = 0;
			if (res->memory_swap == -1 || res->memory_limit < 0)
				swap = -1;
			else if (res->memory_swap != WARD_UNSET)
				swap = res->memory_swap - res->memory_limit;
			r = write_max(d, "memory.swap.max", swap, err);
			if (r < 0)
				return r;
		} else if (res->memory_swap != WARD_UNSET) {
			return werrx(err, ENOTSUP,
				     "cgroup: --memory-swap needs swap accounting "
				     "(memory.swap.max), which this kernel does not have");
		}
		/* an OOM kill takes the whole container, not one random
		 * process of it */
		_cleanup_free_ char *grp = xasprintf("%s/memory.oom.group", d);
		if (grp && access(grp, F_OK) == 0) {
			r = cg_write(d, "memory.oom.group", "1", err);
			if (r < 0)
				return r;
		}
	}
	if (res->memory_reservation != WARD_UNSET) {
		r = write_max(d, "memory.low", res->memory_reservation, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_cpu(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err)
{
	const char *d = cg->v2_dir;
	int r;

	if (res->cpu_quota != WARD_UNSET || res->cpu_period != WARD_UNSET) {
		char buf[64];
		int64_t period = res->cpu_period != WARD_UNSET ? res->cpu_period : 100000;

		if (res->cpu_quota == WARD_UNSET || res->cpu_quota < 0)
			snprintf(buf, sizeof(buf), "max %" PRId64, period);
		else
			snprintf(buf, sizeof(buf), "%" PRId64 " %" PRId64, res->cpu_quota, period);
		r = cg_write(d, "cpu.max", buf, err);
		if (r < 0)
			return r;
	}
	if (res->cpu_weight != WARD_UNSET || res->cpu_shares != WARD_UNSET) {
		int64_t w = res->cpu_weight != WARD_UNSET ? res->cpu_weight
							  : cg_shares_to_weight(res->cpu_shares);
		r = write_i64(d, "cpu.weight", w, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_misc(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err)
{
	const char *d = cg->v2_dir;
	int r;

	if (res->cpuset_cpus && (r = cg_write(d, "cpuset.cpus", res->cpuset_cpus, err)) < 0)
		return r;
	if (res->cpuset_mems && (r = cg_write(d, "cpuset.mems", res->cpuset_mems, err)) < 0)
		return r;
	if (res->pids_limit != WARD_UNSET &&
	    (r = write_max(d, "pids.max", res->pids_limit, err)) < 0)
		return r;
	if (res->io_weight != WARD_UNSET || res->blkio_weight != WARD_UNSET) {
		int64_t w = res->io_weight != WARD_UNSET
				? res->io_weight
				: 1 + (res->blkio_weight - 10) * 9999 / 990;
		_cleanup_free_ char *iow = xasprintf("%s/io.weight", d);
		if (iow && access(iow, F_OK) == 0) {
			char buf[32];
			snprintf(buf, sizeof(buf), "default %" PRId64, w);
			r = cg_write(d, "io.weight", buf, err);
		} else {
			_cleanup_free_ char *bfq = xasprintf("%s/io.bfq.weight", d);
			if (!bfq || access(bfq, F_OK) < 0)
				return werrx(err, ENOTSUP,
					     "cgroup: io weight needs io.weight or io.bfq.weight, "
					     "and this host's io controller has neither");
			if (w > 1000)
				return werrx(err, ERANGE,
					     "cgroup: io weight %" PRId64
					     " is above the BFQ scheduler's maximum 1000",
					     w);
			r = write_i64(d, "io.bfq.weight", w, err);
		}
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < res->n_hugepages; i++) {
		_cleanup_free_ char *f = xasprintf("hugetlb.%s.max", res->hugepages[i].pagesize);
		if (!f)
			return werr(err, ENOMEM, "cgroup");
		r = write_i64(d, f, (int64_t)res->hugepages[i].limit, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < res->n_unified; i++) {
		const char *k = res->unified[i].key;
		if (strchr(k, '/') || k[0] == '.')
			return werrx(err, EINVAL, "cgroup: unified key '%s' is not a file name", k);
		r = cg_write(d, k, res->unified[i].value, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* What cgroup v2 has no file for, refused by config.json key when set
 * (runc and crun ignore some of these on v2; ward says so instead). */
static const struct {
	const char *key;
	const char *why;
	size_t off;
} v2_refused[] = {
    {"memory.kernel", "memory.kmem.limit_in_bytes", offsetof(struct ward_resources, memory_kernel)},
    {"memory.kernelTCP", "memory.kmem.tcp.limit_in_bytes",
     offsetof(struct ward_resources, memory_kernel_tcp)},
    {"memory.swappiness", "memory.swappiness", offsetof(struct ward_resources, memory_swappiness)},
    {"cpu.realtimeRuntime", "cpu.rt_runtime_us", offsetof(struct ward_resources, cpu_rt_runtime)},
    {"cpu.realtimePeriod", "cpu.rt_period_us", offsetof(struct ward_resources, cpu_rt_period)},
    {"blockIO.leafWeight", "blkio.leaf_weight", offsetof(struct ward_resources, blkio_leaf_weight)},
    {"network.classID", "net_cls.classid", offsetof(struct ward_resources, net_cls_classid)},
};

static int refuse_v1_only(const char *key, const char *file, ward_err *err)
{
	return werrx(err, ENOTSUP,
		     "cgroup: linux.resources.%s is a cgroup v1 setting (%s) that cgroup v2, "
		     "this host's, does not have",
		     key, file);
}

static int check_v1_only(const struct ward_resources *res, ward_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(v2_refused); i++) {
		int64_t v;

		memcpy(&v, (const char *)res + v2_refused[i].off, sizeof(v));
		if (v != WARD_UNSET)
			return refuse_v1_only(v2_refused[i].key, v2_refused[i].why, err);
	}
	/* cgroup v2 is always hierarchical: only "false" cannot be had */
	if (res->memory_use_hierarchy == 0)
		return refuse_v1_only("memory.useHierarchy", "memory.use_hierarchy = 0", err);
	if (res->disable_oom_killer)
		return refuse_v1_only("memory.disableOOMKiller", "memory.oom_control", err);
	if (res->n_net_prio)
		return refuse_v1_only("network.priorities", "net_prio.ifpriomap", err);
	for (size_t i = 0; i < res->n_blkio_weight_devices; i++)
		if (res->blkio_weight_devices[i].leaf_weight != WARD_UNSET)
			return refuse_v1_only("blockIO.weightDevice.leafWeight",
					      "blkio.leaf_weight_device", err);
	return 0;
}

/* A file of a controller that may be absent (cpu.max.burst came in 5.14,
 * cpu.idle in 5.15): an error naming the key rather than a bare ENOENT. */
static int write_key(const char *dir, const char *key, const char *file, const char *value,
		     ward_err *err)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, file);

	if (!p)
		return werr(err, ENOMEM, "cgroup");
	if (access(p, F_OK) < 0)
		return werrx(err, ENOTSUP,
			     "cgroup: linux.resources.%s needs %s, which this host's cgroup v2 "
			     "does not have (is its controller enabled?)",
			     key, file);
	if (cg_write(dir, file, value, err) < 0)
		return werr_wrap(err, "linux.resources.%s", key);
	return 0;
}

static int apply_io_devices(const char *d, const struct ward_resources *res, ward_err *err)
{
	static const char *const throttle[WBLKIO__MAX][2] = {
	    [WBLKIO_READ_BPS] = {"blockIO.throttleReadBpsDevice", "rbps"},
	    [WBLKIO_WRITE_BPS] = {"blockIO.throttleWriteBpsDevice", "wbps"},
	    [WBLKIO_READ_IOPS] = {"blockIO.throttleReadIOPSDevice", "riops"},
	    [WBLKIO_WRITE_IOPS] = {"blockIO.throttleWriteIOPSDevice", "wiops"},
	};
	char buf[96];
	int r;

	for (size_t i = 0; i < res->n_blkio_weight_devices; i++) {
		const struct ward_blkio_weight_device *w = &res->blkio_weight_devices[i];
		_cleanup_free_ char *iow = xasprintf("%s/io.weight", d);
		bool bfq = iow && access(iow, F_OK) < 0;

		if (w->weight == WARD_UNSET)
			continue;
		/* io.weight is on the 1..10000 scale, io.bfq.weight on 1..1000 */
		snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRId64, w->major, w->minor,
			 bfq ? w->weight : 1 + (w->weight - 10) * 9999 / 990);
		r = write_key(d, "blockIO.weightDevice", bfq ? "io.bfq.weight" : "io.weight", buf,
			      err);
		if (r < 0)
			return r;
	}
	for (int k = 0; k < WBLKIO__MAX; k++)
		for (size_t i = 0; i < res->n_blkio_throttle[k]; i++) {
			const struct ward_blkio_throttle *t = &res->blkio_throttle[k][i];

			snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t->major,
				 t->minor, throttle[k][1], t->rate);
			r = write_key(d, throttle[k][0], "io.max", buf, err);
			if (r < 0)
				return r;
		}
	return 0;
}

static int apply_extra(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err)
{
	const char *d = cg->v2_dir;
	char buf[160];
	int r;

	if ((r = check_v1_only(res, err)) < 0)
		return r;
	if (res->cpu_burst != WARD_UNSET) {
		snprintf(buf, sizeof(buf), "%" PRId64, res->cpu_burst);
		if ((r = write_key(d, "cpu.burst", "cpu.max.burst", buf, err)) < 0)
			return r;
	}
	if (res->cpu_idle != WARD_UNSET) {
		snprintf(buf, sizeof(buf), "%" PRId64, res->cpu_idle);
		if ((r = write_key(d, "cpu.idle", "cpu.idle", buf, err)) < 0)
			return r;
	}
	if ((r = apply_io_devices(d, res, err)) < 0)
		return r;
	for (size_t i = 0; i < res->n_rdma; i++) {
		if (cg_rdma_line(&res->rdma[i], buf, sizeof(buf)) < 0)
			return werrx(err, EINVAL,
				     "cgroup: linux.resources.rdma: device name too long");
		if ((r = write_key(d, "rdma", "rdma.max", buf, err)) < 0)
			return r;
	}
	return 0;
}

/* Whether a cgroup v1 devices hierarchy takes the device rules (then the
 * v1 driver writes them; else the cgroup2 side gets a BPF program). */
static bool v1_devices(const struct ward_cgroup *cg)
{
	for (size_t i = 0; i < cg->sys.n_v1; i++)
		if (cg_hier_has(&cg->sys.v1[i], "devices"))
			return true;
	return false;
}

/* Whether we run in the initial user namespace (its uid_map maps all) */
static bool initial_userns(void)
{
	_cleanup_free_ char *map = NULL;
	unsigned long a, b, n;

	return read_file("/proc/self/uid_map", &map, NULL) == 0 &&
	       sscanf(map, "%lu %lu %lu", &a, &b, &n) == 3 && a == 0 && b == 0 && n == 4294967295UL;
}

static int apply_devices(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err)
{
	int r;

	if (!res->n_devices || v1_devices(cg))
		return 0;
	r = devbpf_attach(cg->v2_dir, res->devices, res->n_devices, err);
	if (r == -EPERM && !initial_userns()) {
		/* ward nested in a user namespace may not load BPF programs;
		 * the device policy of whoever made that namespace applies
		 * (as crun does rootless) */
		wlog(WLOG_WARNING, "cgroup: device rules not applied: %s", err->msg);
		return 0;
	}
	return r;
}

int cg_v2_apply(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err)
{
	int r;

	if (!cg->v2_dir)
		return 0;
	if (cg->sys.layout == CG_LAYOUT_HYBRID) {
		/* only hugetlb (and raw unified keys) live on the v2 side here */
		struct ward_resources only;
		int r2;

		spec_resources_init(&only);
		if (v2_has(cg, "hugetlb")) {
			only.hugepages = res->hugepages;
			only.n_hugepages = res->n_hugepages;
		}
		/* rdma, where this host put it in the cgroup2 hierarchy */
		if (v2_has(cg, "rdma")) {
			only.rdma = res->rdma;
			only.n_rdma = res->n_rdma;
		}
		only.unified = res->unified;
		only.n_unified = res->n_unified;
		r2 = apply_misc(cg, &only, err);
		if (r2 >= 0)
			r2 = apply_extra(cg, &only, err);
		return r2 < 0 ? r2 : apply_devices(cg, res, err);
	}
	/* an update may need a controller the container was created without:
	 * enable it above the container's cgroup (which holds no process) */
	if (res != cg->create_res) {
		char wanted[256];
		_cleanup_free_ char *up = strdup(cg->v2_dir);
		char *slash = up ? strrchr(up, '/') : NULL;

		if (!slash)
			return werr(err, ENOMEM, "cgroup");
		*slash = '\0';
		wanted_controllers(cg, res, wanted, sizeof(wanted));
		if (strncmp(up, cg->sys.v2_mountpoint, strlen(cg->sys.v2_mountpoint)) == 0 &&
		    (r = enable_controllers(cg->sys.v2_mountpoint, up, wanted, err)) < 0)
			return r;
	}
	if ((r = check_v1_only(res, err)) < 0 || (r = apply_memory(cg, res, err)) < 0 ||
	    (r = apply_cpu(cg, res, err)) < 0 || (r = apply_misc(cg, res, err)) < 0 ||
	    (r = apply_extra(cg, res, err)) < 0 || (r = apply_devices(cg, res, err)) < 0)
		return r;
	return 0;
}

/* Wait until cgroup.events says `key` has `want`, using the kernel's
 * notification (POLLPRI on cgroup.events) instead of polling. */
static int wait_event(const char *dir, const char *key, int64_t want, int timeout_ms)
{
	_cleanup_free_ char *p = xasprintf("%s/cgroup.events", dir);
	_cleanup_close_ int fd = p ? open(p, O_RDONLY | O_CLOEXEC) : -1;

	if (fd < 0)
		return -errno;
	for (;;) {
		int64_t v;
		struct pollfd pfd = {.fd = fd, .events = POLLPRI};

		if (cg_read_i64(dir, "cgroup.events", key, &v) == 0 && v == want)
			return 0;
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
	}
}

int cg_v2_kill_all(struct ward_cgroup *cg)
{
	ward_err ignored;

	if (!cg->v2_dir)
		return 0;
	{
		int64_t populated;
		if (cg_read_i64(cg->v2_dir, "cgroup.events", "populated", &populated) == 0 &&
		    populated == 0)
			return 0;
	}
	if (cg_write(cg->v2_dir, "cgroup.kill", "1", &ignored) < 0) {
		/* before 5.14: freeze, signal every process, thaw */
		_cleanup_free_ char *procs = NULL;
		_cleanup_free_ char *pp = xasprintf("%s/cgroup.procs", cg->v2_dir);
		char *save = NULL;

		cg_write(cg->v2_dir, "cgroup.freeze", "1", &ignored);
		if (pp && read_file(pp, &procs, NULL) == 0)
			for (char *s = strtok_r(procs, "\n", &save); s;
			     s = strtok_r(NULL, "\n", &save)) {
				int pid;
				if (parse_int(s, &pid) == 0 && pid > 0)
					kill(pid, SIGKILL);
			}
		cg_write(cg->v2_dir, "cgroup.freeze", "0", &ignored);
	}
	return wait_event(cg->v2_dir, "populated", 0, 5000);
}

int cg_v2_destroy(struct ward_cgroup *cg, ward_err *err)
{
	int r;

	if (cg->v2_fd >= 0) {
		close(cg->v2_fd);
		cg->v2_fd = -1;
	}
	if (cg->v2_dir && cg->v2_created) {
		r = cg_rmdir_retry(cg->v2_dir);
		if (r < 0)
			return werr(err, -r, "cgroup: remove %s", cg->v2_dir);
		cg->v2_created = false;
	}
	/* also when making the container's own cgroup failed */
	if (cg->v2_parents_created && cg->v2_parent_dir) {
		cg_rmdir_parents(cg->v2_parent_dir, cg->v2_parents_created); /* if now empty */
		cg->v2_parents_created = 0;
	}
	return 0;
}

int cg_v2_stats(struct ward_cgroup *cg, struct cg_stats *st)
{
	const char *d = cg->v2_dir;
	int64_t v;

	if (!d)
		return 0;
	if (cg_read_i64(d, "memory.current", NULL, &v) == 0)
		st->memory_current = v;
	if (cg_read_i64(d, "memory.peak", NULL, &v) == 0)
		st->memory_peak = v;
	if (cg_read_i64(d, "memory.max", NULL, &v) == 0)
		st->memory_limit = v;
	if (cg_read_i64(d, "memory.events", "oom_kill", &v) == 0)
		st->oom_kills = v;
	if (cg_read_i64(d, "cpu.stat", "usage_usec", &v) == 0)
		st->cpu_usage_usec = v;
	if (cg_read_i64(d, "pids.current", NULL, &v) == 0)
		st->pids_current = v;
	return 0;
}

int cg_v2_freeze(struct ward_cgroup *cg, bool frozen, ward_err *err)
{
	int r;

	if (!cg->v2_dir)
		return werrx(err, ENOENT, "cgroup: no cgroup2 directory");
	r = cg_write(cg->v2_dir, "cgroup.freeze", frozen ? "1" : "0", err);
	if (r < 0)
		return r;
	if (wait_event(cg->v2_dir, "frozen", frozen ? 1 : 0, 5000) < 0)
		return werrx(err, ETIMEDOUT, "cgroup: %s did not %s", cg->v2_dir,
			     frozen ? "freeze" : "thaw");
	return 0;
}

const struct cg_ops cg_ops_v2 = {
    .name = "v2",
    .create = cg_v2_create,
    .apply = cg_v2_apply,
    .kill_all = cg_v2_kill_all,
    .destroy = cg_v2_destroy,
    .stats = cg_v2_stats,
    .freeze = cg_v2_freeze,
};
