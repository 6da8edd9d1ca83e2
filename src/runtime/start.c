/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host side of a start: plan (state, ids, cgroup, seccomp), clone the
 * container process into its namespaces, write its id maps, and wait until
 * it reports that it is set up.  Everything made here is undone by
 * container_destroy(), which any failure path calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/attach.h"
#include "runtime/caps.h"
#include "runtime/child.h"
#include "runtime/idmap.h"
#include "runtime/state.h"
#include "runtime/mounts.h"
#include "runtime/sync.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/syscalls.h"

static const unsigned long ns_clone_flag[WNS__MAX] = {
    [WNS_USER] = CLONE_NEWUSER,     [WNS_MNT] = CLONE_NEWNS,    [WNS_PID] = CLONE_NEWPID,
    [WNS_NET] = CLONE_NEWNET,       [WNS_IPC] = CLONE_NEWIPC,   [WNS_UTS] = CLONE_NEWUTS,
    [WNS_CGROUP] = CLONE_NEWCGROUP, [WNS_TIME] = CLONE_NEWTIME,
};

static struct ward_container *container_new(const struct ward_ctx *ctx, struct ward_spec *spec,
					    const struct ward_create_opts *opts)
{
	struct ward_container *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ctx = ctx;
	c->spec = spec;
	c->name = strdup(spec->name);
	c->state_fd = -1;
	c->pidfd = -1;
	c->sync_fd = -1;
	c->pty_master = -1;
	c->exec_fifo_fd = -1;
	c->opts = *opts;
	if (!c->name) {
		free(c);
		return NULL;
	}
	return c;
}

static int plan_cgroup(struct ward_container *c, ward_err *err)
{
	_cleanup_free_ char *leaf = xasprintf("ward-%s", c->name);
	const char *parent = c->ctx->cgroup_parent ? c->ctx->cgroup_parent : "ward";
	int r;

	if (!leaf)
		return werr(err, ENOMEM, "cgroup");
	r = cgroup_plan(parent, leaf, &c->spec->res, &c->cg, err);
	if (r < 0)
		return r;
	if (!cgroup_needs_make(c->cg))
		wdebug("%s: cgroup %s (%s driver)", c->name, cgroup_describe(c->cg),
		       cgroup_layout_name(c->cg));
	return 0;
}

/* v1 hierarchies: made while the container process builds its filesystem,
 * then handed to it as open `tasks` files (see cgroup_v1.c). */
static int make_cgroup(struct ward_container *c, ward_err *err)
{
	int fds[CG_MAX_HIER];
	size_t n;
	int r;

	if (!cgroup_needs_make(c->cg))
		return 0;
	r = cgroup_make(c->cg, err);
	if (r < 0)
		return r;
	wdebug("%s: cgroup %s (%s driver)", c->name, cgroup_describe(c->cg),
	       cgroup_layout_name(c->cg));
	n = cgroup_join_fds(c->cg, fds, CG_MAX_HIER);
	r = sync_send_fds(c->sync_fd, SYNC_CGROUP, fds, n);
	if (r < 0)
		return werr(err, -r, "sync with container process");
	cgroup_close_join_fds(c->cg);
	return 0;
}

static int plan_seccomp(struct ward_container *c, ward_err *err)
{
	_cleanup_free_ char *cache = NULL;
	int r;

	if (!c->spec->seccomp && !c->spec->seccomp_default)
		return 0;
	cache = xasprintf("%s/.seccomp-cache", c->ctx->root_dir);
	if (!cache)
		return werr(err, ENOMEM, "seccomp");
	if (c->spec->seccomp)
		r = seccomp_compile(c->spec->seccomp, c->spec->process.caps.bounding, cache,
				    &c->bpf, err);
	else
		r = seccomp_compile_default(c->spec->process.caps.bounding, cache, &c->bpf, err);
	if (r < 0)
		return werr_wrap(err, "seccomp");
	wdebug("%s: seccomp filter of %u instructions%s", c->name, c->bpf.len,
	       c->bpf.from_cache ? " (cached)" : "");
	return 0;
}

static unsigned long clone_ns_flags(const struct ward_spec *s)
{
	unsigned long f = 0;

	for (int i = 0; i < WNS__MAX; i++)
		if (s->ns[i].enabled && !s->ns[i].path)
			f |= ns_clone_flag[i];
	return f;
}

/* clone3 into the cgroup with a pidfd; plain clone + pidfd_open when
 * clone3 is missing (Linux < 5.3) or refuses CLONE_INTO_CGROUP (< 5.7). */
static pid_t do_clone(struct ward_container *c, int *pidfd)
{
	unsigned long ns = clone_ns_flags(c->spec);
	int cgfd = cgroup_clone_fd(c->cg);
	struct ward_clone_args args = {
	    .flags = ns | CLONE_PIDFD,
	    .pidfd = (uint64_t)(uintptr_t)pidfd,
	    .exit_signal = SIGCHLD,
	};
	long pid;

	if (cgfd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgfd;
		c->born_in_cgroup = true;
	}
	if (!cgroup_born_complete(c->cg))
		args.flags &= ~(uint64_t)CLONE_NEWCGROUP; /* the child unshares it once joined */
	pid = ward_clone3(&args);
	if (pid >= 0 || (errno != ENOSYS && errno != E2BIG && errno != EINVAL))
		return (pid_t)pid;
	/* fallback */
	c->born_in_cgroup = false;
	pid = ward_clone_legacy((ns & ~CLONE_NEWCGROUP) | CLONE_PIDFD, pidfd);
	if (pid < 0 && errno == EINVAL) {
		*pidfd = -1;
		pid = ward_clone_legacy(ns & ~CLONE_NEWCGROUP, NULL);
		if (pid > 0)
			*pidfd = ward_pidfd_open((pid_t)pid, 0);
	}
	return (pid_t)pid;
}

static int write_id_maps(struct ward_container *c, ward_err *err)
{
	const struct ward_spec *s = c->spec;
	int r;

	r = idmap_write(c->pid, s->uid_maps, s->n_uid_maps, false, err);
	if (r < 0)
		return r;
	return idmap_write(c->pid, s->gid_maps, s->n_gid_maps, true, err);
}

static int wait_ready(struct ward_container *c, ward_err *err)
{
	for (;;) {
		struct sync_msg m;
		int fd = -1;
		int r = sync_recv(c->sync_fd, &m, &fd);

		if (r < 0)
			return werr(err, -r, "sync with container process");
		if (r == 0)
			return werrx(err, EPIPE, "container process exited during setup");
		switch (m.type) {
		case SYNC_PTY:
			if (fd < 0)
				return werrx(err, EPROTO, "terminal: no pty received");
			c->pty_master = fd;
			continue;
		case SYNC_READY:
			return 0;
		case SYNC_ERROR:
			c->failed_step = (enum ward_step)m.step;
			c->failed_errno = m.errnum;
			return werrx(err, m.errnum > 0 ? m.errnum : EIO, "%s", m.msg);
		default:
			if (fd >= 0)
				close(fd);
			return werrx(err, EPROTO, "sync: unexpected message %u", m.type);
		}
	}
}

/* In a user namespace the container's root is an unprivileged host uid:
 * a root directory it cannot enter fails later with a confusing error. */
static int check_rootfs_access(const struct ward_spec *s, ward_err *err)
{
	struct stat st;
	uint32_t root = s->n_uid_maps ? s->uid_maps[0].outside : 0;

	if (!s->rootfs || !s->ns[WNS_USER].enabled)
		return 0;
	if (stat(s->rootfs, &st) < 0)
		return werr(err, errno, "root filesystem %s", s->rootfs);
	if (st.st_uid == root || (st.st_mode & S_IXOTH))
		return 0;
	return werrx(err, EACCES,
		     "root filesystem %s (mode %04o, owner %u) cannot be entered by the "
		     "container's root (host uid %u); make it searchable (chmod o+x) or use "
		     "--userns host",
		     s->rootfs, st.st_mode & 07777, st.st_uid, root);
}

/* The created state across processes: the child, set up, blocks opening
 * this FIFO for writing; whoever opens it for reading releases it
 * (container_release_fifo()). */
static int make_exec_fifo(struct ward_container *c, ward_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s/exec.fifo", c->state_dir);

	if (!path)
		return werr(err, ENOMEM, "exec fifo");
	const struct ward_spec *s = c->spec;
	uint32_t uid = s->process.uid, gid = s->process.gid;

	if (mkfifo(path, 0600) < 0 && errno != EEXIST)
		return werr(err, errno, "create %s", path);
	/* the container process opens it as its own user, seen from the host
	 * through the id maps */
	if (s->ns[WNS_USER].enabled) {
		uid = idmap_to_host(s->uid_maps, s->n_uid_maps, uid);
		gid = idmap_to_host(s->gid_maps, s->n_gid_maps, gid);
	}
	if (chown(path, uid, gid) < 0)
		return werr(err, errno, "chown %s", path);
	c->exec_fifo_fd = open(path, O_PATH | O_CLOEXEC);
	if (c->exec_fifo_fd < 0)
		return werr(err, errno, "open %s", path);
	return 0;
}

int container_release_fifo(const struct ward_ctx *ctx, const char *name, ward_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s/exec.fifo", ctx->root_dir, name);
	_cleanup_close_ int fd = -1;
	char b;
	ssize_t n;

	if (!path)
		return werr(err, ENOMEM, "start");
	/* blocks until the container process opens its end, which it does as
	 * soon as it is set up; it then writes one byte and execs */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT
			   ? werrx(err, ENOENT, "container %s is not in the created state", name)
			   : werr(err, errno, "open %s", path);
	do
		n = read(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return werrx(err, EIO, "container %s exited before it was started", name);
	unlink(path);
	return 0;
}

int container_create(const struct ward_ctx *ctx, struct ward_spec *spec,
		     const struct ward_create_opts *opts, struct ward_container **out,
		     ward_err *err)
{
	struct ward_container *c;
	int sv[2] = {-1, -1};
	int r;

	wtime("create");
	r = check_rootfs_access(spec, err);
	if (r < 0)
		return r;
	c = container_new(ctx, spec, opts);
	if (!c)
		return werr(err, ENOMEM, "create container");
	r = state_acquire(c, err);
	if (r < 0)
		goto fail;
	c->cap_last = caps_last_cap();
	if (opts->release == WARD_RELEASE_FIFO) {
		r = make_exec_fifo(c, err);
		if (r < 0)
			goto fail;
	}
	wtime("state acquired");
	if (c->reclaimed) {
		/* the last ward of this name died without cleaning up */
		ward_err e;
		if (net_reclaim(ctx, c->name, &e) < 0)
			wwarn("%s: %s", c->name, e.msg);
	}
	r = net_plan(c, err);
	if (r < 0)
		goto fail;
	wtime("network planned");
	r = plan_cgroup(c, err);
	if (r < 0)
		goto fail;
	wtime("cgroup planned");
	r = plan_seccomp(c, err);
	if (r < 0)
		goto fail;
	wtime("seccomp ready");
	r = sync_pair(sv);
	if (r < 0) {
		werr(err, -r, "socketpair");
		goto fail;
	}
	fflush(NULL);
	c->pid = do_clone(c, &c->pidfd);
	if (c->pid < 0) {
		r = werr(err, errno, "clone");
		goto fail;
	}
	if (c->pid == 0) {
		close(sv[0]);
		child_main(c, sv[1]);
	}
	wtime("cloned");
	close(sv[1]);
	sv[1] = -1;
	c->sync_fd = sv[0];
	sv[0] = -1;
	if (spec->ns[WNS_USER].enabled && !spec->ns[WNS_USER].path) {
		r = write_id_maps(c, err);
		if (r < 0)
			goto fail;
		if (spec->rootfs_idmap) {
			_cleanup_close_ int tree = -1;
			r = fs_idmapped_tree(spec->rootfs, c->pid, &tree, err);
			if (r < 0)
				goto fail;
			r = sync_send_fd(c->sync_fd, SYNC_IDMAP_DONE, tree);
		} else {
			r = sync_send(c->sync_fd, SYNC_IDMAP_DONE);
		}
		if (r < 0) {
			werr(err, -r, "sync with container process");
			goto fail;
		}
	}
	if (spec->process.has_oom_score_adj) {
		char path[64], v[16];
		snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)c->pid);
		snprintf(v, sizeof(v), "%d", spec->process.oom_score_adj);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, v, strlen(v)) < 0) {
			r = werr(err, errno, "oom_score_adj");
			if (fd >= 0)
				close(fd);
			goto fail;
		}
		close(fd);
	}
	wtime("id maps written");
	r = make_cgroup(c, err);
	if (r < 0)
		goto fail;
	wtime("cgroup made");
	r = net_setup(c, err);
	if (r < 0)
		goto fail;
	wtime("network set up");
	r = wait_ready(c, err);
	if (r < 0)
		goto fail;
	wtime("container ready (created)");
	proc_start_time(c->pid, &c->pid_start);
	/* a container released from another process (the OCI face) needs its
	 * state on disk now; `ward run` writes it once, while the child execs */
	if (opts->write_state && opts->release != WARD_RELEASE_SYNC) {
		r = state_write(c, "created", err);
		if (r < 0)
			goto fail;
	}
	c->created = true;
	*out = c;
	return 0;
fail:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	{
		ward_err ignored;
		container_destroy(c, &ignored);
	}
	container_free(c);
	return r < 0 ? r : -EIO;
}

int container_start(struct ward_container *c, ward_err *err)
{
	struct sync_msg m;
	int r;

	if (c->opts.release != WARD_RELEASE_SYNC)
		return werrx(err, EINVAL, "container %s is released through its FIFO", c->name);
	r = sync_send(c->sync_fd, SYNC_START);
	if (r < 0)
		return werr(err, -r, "start");
	/* record the state while the child execs */
	if (c->opts.write_state) {
		r = state_write(c, "running", err);
		if (r < 0)
			return r;
	}
	/* EOF: the close-on-exec socket closed, so exec succeeded */
	r = sync_recv(c->sync_fd, &m, NULL);
	closep(&c->sync_fd);
	if (r < 0)
		return werr(err, -r, "start");
	if (r > 0 && m.type == SYNC_ERROR) {
		c->failed_step = (enum ward_step)m.step;
		c->failed_errno = m.errnum;
		return werrx(err, m.errnum > 0 ? m.errnum : EIO, "%s", m.msg);
	}
	c->started = true;
	wtime("exec done");
	return 0;
}

int container_error_exit_code(const struct ward_container *c, int r)
{
	if (c && c->failed_step == STEP_EXEC)
		return c->failed_errno == ENOENT ? 127 : 126;
	return 125;
}
