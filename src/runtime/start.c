/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host side of a start: plan (state, ids, cgroup, seccomp), clone the
 * container process into its namespaces, write its id maps, and wait until
 * it reports that it is set up.  Everything made here is undone by
 * container_destroy(), which any failure path calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/attach.h"
#include "runtime/caps.h"
#include "runtime/child.h"
#include "runtime/hooks.h"
#include "runtime/idmap.h"
#include "runtime/namespaces.h"
#include "runtime/state.h"
#include "runtime/mounts.h"
#include "runtime/sync.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/syscalls.h"

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
	c->join_user_fd = -1;
	c->seccomp_sock = -1;
	c->opts = *opts;
	if (!c->name) {
		free(c);
		return NULL;
	}
	return c;
}

/* The host side failed (a write to the child's /proc files, a send): if
 * the container process failed first, its report is already queued on the
 * sync socket and is the error to show.  Never blocks: only what is there
 * is read. */
static void prefer_child_error(struct ward_container *c, ward_err *err)
{
	for (;;) {
		struct pollfd p = {.fd = c->sync_fd, .events = POLLIN};
		struct sync_msg m;

		if (c->sync_fd < 0 || poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
			return;
		if (sync_recv(c->sync_fd, &m, NULL) <= 0)
			return;
		if (m.type == SYNC_ERROR) {
			c->failed_step = (enum ward_step)m.step;
			c->failed_errno = m.errnum;
			werrx(err, m.errnum > 0 ? m.errnum : EIO, "%s", m.msg);
			return;
		}
	}
}

/* A message to the container process could not be sent: it exited, most
 * likely after reporting why (a failed step); that report is the error. */
static int send_failed(struct ward_container *c, int r, ward_err *err)
{
	int code = werr(err, -r, "sync with container process");

	prefer_child_error(c, err);
	return c->failed_step ? -(c->failed_errno > 0 ? c->failed_errno : EIO) : code;
}

/* OCI cgroupsPath, as runc reads it: an absolute path from each
 * hierarchy's root, a relative one from our own cgroup; missing parents
 * are made (and removed with the container). */
static int cgroups_path(const char *path, char **parent, char **leaf, ward_err *err)
{
	_cleanup_free_ char *p = strdup(path);
	size_t n = p ? strlen(p) : 0;
	char *slash;

	if (!p)
		return werr(err, ENOMEM, "cgroup");
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	slash = strrchr(p, '/');
	*leaf = strdup(slash ? slash + 1 : p);
	if (slash)
		*slash = '\0';
	if (path[0] == '/')
		*parent = strdup(*p ? p : "/");
	else
		*parent = slash ? xasprintf("self/%s", p) : strdup("self");
	if (!*parent || !*leaf)
		return werr(err, ENOMEM, "cgroup");
	if (streq(*leaf, ".") || streq(*leaf, ".."))
		return werrx(err, EINVAL, "cgroupsPath '%s' does not name a cgroup", path);
	return 0;
}

static int plan_cgroup(struct ward_container *c, ward_err *err)
{
	_cleanup_free_ char *leaf = NULL, *own_parent = NULL;
	const char *parent = c->ctx->cgroup_parent ? c->ctx->cgroup_parent : "ward";
	int r;

	/* an empty cgroupsPath, or "/", is no path: ours then */
	if (c->spec->cgroup_path &&
	    strspn(c->spec->cgroup_path, "/") < strlen(c->spec->cgroup_path)) {
		r = cgroups_path(c->spec->cgroup_path, &own_parent, &leaf, err);
		if (r < 0)
			return r;
		parent = own_parent;
	} else if (!(leaf = xasprintf("ward-%s", c->name))) {
		return werr(err, ENOMEM, "cgroup");
	}
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
		return send_failed(c, r, err);
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

/* runtime-spec "Seccomp listener": the container process sends its notify
 * fd, with its state, to the socket at listenerPath.  The socket is
 * connected here, by the host's root in the host's namespaces; the child
 * only sends, with sendmsg(), once its filter is loaded: a filter handing
 * that call (or close) to the listener would wait for it forever. */
static int connect_seccomp_listener(struct ward_container *c, ward_err *err)
{
	const struct ward_seccomp *sc = c->spec->seccomp;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;

	if (!sc || !sc->listener_path || !c->bpf.notify)
		return 0;
	for (size_t i = 0; i < sc->n_rules; i++) {
		if (sc->rules[i].action != WSC_NOTIFY)
			continue;
		STRV_FOREACH (name, sc->rules[i].names)
			if (streq(*name, "sendmsg") || streq(*name, "close"))
				return werrx(err, EINVAL,
					     "seccomp: SCMP_ACT_NOTIFY for %s cannot be used: the "
					     "notify fd is handed to the listener with it",
					     *name);
	}
	if (strlen(sc->listener_path) >= sizeof(sa.sun_path))
		return werrx(err, ENAMETOOLONG, "seccomp listener %s: path too long",
			     sc->listener_path);
	memcpy(sa.sun_path, sc->listener_path, strlen(sc->listener_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return werr(err, errno, "seccomp listener: socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return werr(err, errno, "seccomp listener %s", sc->listener_path);
	c->seccomp_sock = TAKE_FD(fd);
	return 0;
}

/* clone3 into the cgroup with a pidfd; plain clone + pidfd_open when
 * clone3 is missing (Linux < 5.3) or refuses CLONE_INTO_CGROUP (< 5.7). */
static pid_t do_clone(struct ward_container *c, int *pidfd)
{
	unsigned long ns = ns_clone_flags(c->spec);
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

/* The child's next message during setup; its failure (the step and errno
 * it reports), its death or a broken socket as an error. */
static int recv_setup(struct ward_container *c, struct sync_msg *m, int *fd, ward_err *err)
{
	int r = sync_recv(c->sync_fd, m, fd);

	if (r < 0)
		return werr(err, -r, "sync with container process");
	if (r == 0)
		return werrx(err, EPIPE, "container process exited during setup");
	if (m->type == SYNC_ERROR) {
		c->failed_step = (enum ward_step)m->step;
		c->failed_errno = m->errnum;
		return werrx(err, m->errnum > 0 ? m->errnum : EIO, "%s", m->msg);
	}
	return 0;
}

/* With a joined user namespace and a new PID namespace, the process we
 * cloned forks the container process (a child of ours, CLONE_PARENT) and
 * exits: take the new one over. */
static int adopt_forked(struct ward_container *c, ward_err *err)
{
	struct sync_msg m;
	siginfo_t si;
	int fd = -1;
	int r = recv_setup(c, &m, &fd, err);

	if (r < 0)
		return r;
	if (m.type != SYNC_PID || m.value <= 0) {
		if (fd >= 0)
			close(fd);
		return werrx(err, EPROTO, "sync: unexpected message %u", m.type);
	}
	while ((c->pidfd >= 0 ? waitid(P_PIDFD, (id_t)c->pidfd, &si, WEXITED)
			      : waitid(P_PID, (id_t)c->pid, &si, WEXITED)) < 0 &&
	       errno == EINTR)
		;
	closep(&c->pidfd);
	c->pid = (pid_t)m.value;
	c->pidfd = fd >= 0 ? fd : ward_pidfd_open(c->pid, 0);
	return 0;
}

/* The runtime-spec state document ("created") in a sealed memfd, for the
 * hooks and the seccomp listener. */
static int state_memfd(struct ward_container *c, ward_err *err)
{
	_cleanup_free_ char *json = NULL;
	int r = hooks_state_json(c->spec, c->name, "created", c->pid, &json, err);

	return r < 0 ? r : hooks_state_memfd(json, err);
}

/* The state document for the createContainer and startContainer hooks
 * and the seccomp listener, which the child cannot make: it does not know
 * its PID as the host sees it. */
static int send_state(struct ward_container *c, ward_err *err)
{
	const struct ward_spec *s = c->spec;
	_cleanup_close_ int fd = -1;
	int r;

	if (c->seccomp_sock < 0 && !s->hooks.n[WHOOK_CREATE_CONTAINER] &&
	    !s->hooks.n[WHOOK_START_CONTAINER])
		return 0;
	fd = state_memfd(c, err);
	if (fd < 0)
		return fd;
	r = sync_send_fd(c->sync_fd, SYNC_STATE, fd);
	return r < 0 ? send_failed(c, r, err) : 0;
}

/* prestart (deprecated) and createRuntime: in our namespaces, while the
 * container process waits before its pivot_root. */
static int run_runtime_hooks(struct ward_container *c, ward_err *err)
{
	static const enum ward_hook_kind kinds[] = {WHOOK_PRESTART, WHOOK_CREATE_RUNTIME};
	const struct ward_hooks *h = &c->spec->hooks;
	_cleanup_close_ int fd = -1;
	int r;

	if (!h->n[WHOOK_PRESTART] && !h->n[WHOOK_CREATE_RUNTIME])
		return 0;
	fd = state_memfd(c, err);
	if (fd < 0)
		return fd;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		r = hooks_run_fd(h->list[kinds[i]], h->n[kinds[i]], fd, c->spec->bundle, err);
		if (r < 0)
			return werr_wrap(err, "%s", spec_hook_name(kinds[i]));
	}
	r = sync_send(c->sync_fd, SYNC_HOOKS_DONE);
	return r < 0 ? send_failed(c, r, err) : 0;
}

static int wait_ready(struct ward_container *c, ward_err *err)
{
	for (;;) {
		struct sync_msg m;
		int fd = -1;
		int r = recv_setup(c, &m, &fd, err);

		if (r < 0)
			return r;
		switch (m.type) {
		case SYNC_PTY:
			if (fd < 0)
				return werrx(err, EPROTO, "terminal: no pty received");
			c->pty_master = fd;
			continue;
		case SYNC_READY:
			return 0;
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
	if (ns_user_joined(s)) {
		int r = ns_userns_host_ids(s->ns[WNS_USER].path, uid, gid, &uid, &gid, err);
		if (r < 0)
			return werr_wrap(err, "exec fifo");
	} else if (s->ns[WNS_USER].enabled) {
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

/* The container process opens its end of the FIFO as soon as it is set up
 * and writes one byte; should it die first, nobody ever would: wait for
 * either, on the FIFO (opened without blocking) and a pidfd. */
static int wait_fifo_or_exit(int fd, int pidfd, const char *name, ward_err *err)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
				      {.fd = pidfd, .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return werr(err, errno, "start: poll");
		}
		if (p[0].revents)
			break;
		if (p[1].revents)
			return werrx(err, ESRCH, "container %s exited before it was started", name);
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		return werr(err, errno, "start");
	return 0;
}

int container_release_fifo(const struct ward_ctx *ctx, const char *name, pid_t pid,
			   uint64_t pid_start, ward_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s/exec.fifo", ctx->root_dir, name);
	_cleanup_close_ int fd = -1, pidfd = -1;
	struct sync_msg m;
	uint64_t start;
	char b;
	ssize_t n;

	if (!path)
		return werr(err, ENOMEM, "start");
	if (pid > 0) {
		/* checked once the pidfd pins the process: a reused PID has
		 * another start time */
		pidfd = ward_pidfd_open(pid, 0);
		if (pidfd < 0 && errno != ENOSYS)
			return werrx(err, ESRCH, "container %s exited before it was started", name);
		if (pidfd >= 0 && (proc_start_time(pid, &start) < 0 || start != pid_start))
			return werrx(err, ESRCH, "container %s exited before it was started", name);
	}
	/* without a pidfd (Linux < 5.3), blocks until the container process
	 * opens its end */
	fd = open(path, O_RDONLY | O_CLOEXEC | (pidfd >= 0 ? O_NONBLOCK : 0));
	if (fd < 0)
		return errno == ENOENT
			   ? werrx(err, ENOENT, "container %s is not in the created state", name)
			   : werr(err, errno, "open %s", path);
	if (pidfd >= 0) {
		int r = wait_fifo_or_exit(fd, pidfd, name, err);
		if (r < 0)
			return r;
	}
	do
		n = read(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return werrx(err, EIO, "container %s exited before it was started", name);
	unlink(path);
	/* the container process keeps its end open until its exec: EOF is
	 * success; a failure (a startContainer hook, the exec) comes as a
	 * message first */
	do
		n = read(fd, &m, sizeof(m));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(m) && m.type == SYNC_ERROR) {
		m.msg[sizeof(m.msg) - 1] = '\0';
		return werrx(err, m.errnum > 0 ? m.errnum : EIO, "%s", m.msg);
	}
	return 0;
}

/* The container process: cloned from inside the namespaces it joins, with
 * the sync socket's other end; adopted when it had to fork once more. */
static int spawn(struct ward_container *c, ward_err *err)
{
	struct ns_saved nss;
	int sv[2] = {-1, -1};
	int r = sync_pair(sv);

	if (r < 0)
		return werr(err, -r, "socketpair");
	ns_saved_init(&nss);
	r = ns_enter_for_clone(c->spec, &nss, &c->join_user_fd, err);
	if (r < 0) {
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	fflush(NULL);
	c->pid = do_clone(c, &c->pidfd);
	if (c->pid == 0) {
		ns_saved_close(&nss);
		close(sv[0]);
		child_main(c, sv[1]);
	}
	if (c->pid < 0) {
		ward_err ignored;
		r = werr(err, errno, "clone");
		ns_leave(&nss, &ignored);
	} else {
		/* back in our own namespaces; the container process keeps these */
		r = ns_leave(&nss, err);
	}
	closep(&c->join_user_fd);
	close(sv[1]);
	c->sync_fd = sv[0];
	if (r < 0)
		return r;
	wtime("cloned");
	return ns_child_forks(c->spec) ? adopt_forked(c, err) : 0;
}

/* A new user namespace: its maps, then the go-ahead (with the idmapped
 * root for --rootfs-idmap, which needs the namespace). */
static int send_id_maps(struct ward_container *c, ward_err *err)
{
	const struct ward_spec *s = c->spec;
	_cleanup_close_ int tree = -1;
	int r;

	if (!s->ns[WNS_USER].enabled || s->ns[WNS_USER].path)
		return 0;
	r = write_id_maps(c, err);
	if (r < 0)
		return r;
	if (s->rootfs_idmap) {
		r = fs_idmapped_tree(s->rootfs, c->pid, &tree, err);
		if (r < 0)
			return r;
	}
	r = sync_send_fd(c->sync_fd, SYNC_IDMAP_DONE, tree);
	return r < 0 ? send_failed(c, r, err) : 0;
}

static int set_oom_score_adj(struct ward_container *c, ward_err *err)
{
	char path[64], v[16];
	_cleanup_close_ int fd = -1;

	if (!c->spec->process.has_oom_score_adj)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)c->pid);
	snprintf(v, sizeof(v), "%d", c->spec->process.oom_score_adj);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, v, strlen(v)) < 0)
		return werr(err, errno, "oom_score_adj");
	return 0;
}

int container_create(const struct ward_ctx *ctx, struct ward_spec *spec,
		     const struct ward_create_opts *opts, struct ward_container **out,
		     ward_err *err)
{
	struct ward_container *c;
	int r;

	wtime("create");
	/* Without a mount namespace (an OCI config may ask for that: the
	 * container then inherits the caller's), the child assembles the root
	 * in the caller's mount table, below ROOT/NAME/rootfs, and chroots
	 * into it instead of pivoting; state_release() detaches it. */
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
		if (net_reclaim_as(ctx, c->name, c->reclaimed_net, &e) < 0)
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
	if (r >= 0)
		r = connect_seccomp_listener(c, err);
	if (r < 0)
		goto fail;
	wtime("seccomp ready");
	r = spawn(c, err);
	if (r >= 0)
		r = send_id_maps(c, err);
	if (r >= 0)
		r = send_state(c, err);
	closep(&c->seccomp_sock); /* the child's now */
	if (r >= 0)
		r = set_oom_score_adj(c, err);
	if (r < 0)
		goto fail;
	wtime("id maps written");
	r = make_cgroup(c, err);
	if (r < 0)
		goto fail;
	wtime("cgroup made");
	r = net_setup(c, err);
	if (r < 0)
		goto fail;
	wtime("network set up");
	r = run_runtime_hooks(c, err);
	if (r >= 0)
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
	if (!c->failed_step)
		prefer_child_error(c, err);
	closep(&c->join_user_fd);
	closep(&c->seccomp_sock);
	{
		ward_err ignored;
		container_destroy(c, &ignored);
	}
	net_undo_default(c->ctx, c->net);
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
		return send_failed(c, r, err);
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
