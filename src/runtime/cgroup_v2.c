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

int cg_v2_apply(struct ward_cgroup *cg, const struct ward_resources *res, ward_err *err)
{
	int r;

	if (!cg->v2_dir)
		return 0;
	if (cg->sys.layout == CG_LAYOUT_HYBRID) {
		/* only hugetlb (and raw unified keys) live on the v2 side here */
		struct ward_resources only = {
		    .memory_limit = WARD_UNSET,
		    .memory_swap = WARD_UNSET,
		    .memory_reservation = WARD_UNSET,
		    .memory_swappiness = WARD_UNSET,
		    .cpu_quota = WARD_UNSET,
		    .cpu_period = WARD_UNSET,
		    .cpu_weight = WARD_UNSET,
		    .cpu_shares = WARD_UNSET,
		    .pids_limit = WARD_UNSET,
		    .io_weight = WARD_UNSET,
		    .blkio_weight = WARD_UNSET,
		    .hugepages = v2_has(cg, "hugetlb") ? res->hugepages : NULL,
		    .n_hugepages = v2_has(cg, "hugetlb") ? res->n_hugepages : 0,
		    .unified = res->unified,
		    .n_unified = res->n_unified,
		};
		return apply_misc(cg, &only, err);
	}
	if ((r = apply_memory(cg, res, err)) < 0 || (r = apply_cpu(cg, res, err)) < 0 ||
	    (r = apply_misc(cg, res, err)) < 0)
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
