/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <sys/time.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "manage/manage.h"
#include "net/attach.h"
#include "runtime/cgroup.h"
#include "runtime/state.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/syscalls.h"

/* the descriptors ward-monitor gets (see src/monitor/monitor.c) */
enum { MON_PIDFD = 3, MON_STATE, MON_MASTER, MON_LISTEN, MON_LOG, MON_NETNS, MON__END };

char *manage_store_dir(const struct ward_ctx *ctx, const char *name)
{
	return xasprintf("%s/containers/%s", ctx->lib_dir, name);
}

int manage_lock(const struct ward_ctx *ctx, const char *name, ward_err *err)
{
	_cleanup_free_ char *dir = xasprintf("%s/.locks", ctx->root_dir);
	_cleanup_free_ char *p = xasprintf("%s/.locks/%s", ctx->root_dir, name);
	int fd;

	if (!dir || !p)
		return werr(err, ENOMEM, "lock");
	if (mkdir_p(dir, 0700) < 0)
		return werr(err, errno, "lock: create %s", dir);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return werr(err, errno, "lock: open %s", p);
	if (flock(fd, LOCK_EX) < 0) {
		int e = errno;
		close(fd);
		return werr(err, e, "lock: %s", p);
	}
	return fd;
}

int manage_state(const struct ward_ctx *ctx, const char *name, struct manage_state *st)
{
	json_t *o;

	memset(st, 0, sizeof(*st));
	st->stop_signal = SIGTERM;
	if (!state_is_alive(ctx, name))
		return 0;
	o = state_load(ctx, name);
	if (!o)
		return 0; /* still being created */
	st->running = true;
	st->managed = json_is_true(json_object_get(o, "managed"));
	st->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	st->pid_start = (uint64_t)json_integer_value(json_object_get(o, "pid_start"));
	st->created = json_integer_value(json_object_get(o, "created"));
	if (json_integer_value(json_object_get(o, "stop_signal")) > 0)
		st->stop_signal = (int)json_integer_value(json_object_get(o, "stop_signal"));
	json_decref(o);
	return 0;
}

/* ---- start ---- */

static void notify(int fd, int code, const char *msg)
{
	char buf[1200];
	int n = snprintf(buf, sizeof(buf), "%d\n%s", code, msg ? msg : "");

	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	if (write_all(fd, buf, (size_t)n) < 0)
		return;
}

/* The console's listening socket, in the state directory (bound through
 * /proc/self/fd: the directory's path may be too long for sun_path). */
static int console_listen(const struct ward_container *c, ward_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return werr(err, errno, "console socket");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/console.sock", c->state_fd);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
		int e = errno;
		close(fd);
		return werr(err, e, "console socket in %s", c->state_dir);
	}
	return fd;
}

static int console_log(const struct ward_ctx *ctx, const char *name, ward_err *err)
{
	_cleanup_free_ char *dir = manage_store_dir(ctx, name);
	_cleanup_free_ char *p = dir ? xasprintf("%s/console.log", dir) : NULL;
	int fd;

	if (!p)
		return werr(err, ENOMEM, "console log");
	if (access(dir, F_OK) < 0) /* not in the store: no log kept */
		return open("/dev/null", O_WRONLY | O_CLOEXEC);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	return fd < 0 ? werr(err, errno, "console log %s", p) : fd;
}

/* Put fds[i] at 3 + i (closed when -1), 0 on /dev/null, 1 and 2 on the
 * log, and close everything else. */
static int hand_over(const int fds[MON__END - MON_PIDFD], int log_fd)
{
	int high[MON__END - MON_PIDFD];
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null < 0)
		return -errno;
	for (int i = 0; i < MON__END - MON_PIDFD; i++)
		high[i] = fds[i] >= 0 ? fcntl(fds[i], F_DUPFD_CLOEXEC, 64) : -1;
	if (dup2(null, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
		return -errno;
	for (int i = 0; i < MON__END - MON_PIDFD; i++) {
		if (high[i] >= 0) {
			if (dup2(high[i], MON_PIDFD + i) < 0)
				return -errno;
		} else {
			close(MON_PIDFD + i);
		}
	}
	ward_close_range(MON__END, ~0U, 0);
	return 0;
}

/* In the future monitor: create, start, report, become ward-monitor. */
static void monitor_main(const struct ward_ctx *ctx, struct ward_spec *spec,
			 const struct manage_start_opts *o, int report)
{
	struct ward_create_opts copts = {
	    .release = WARD_RELEASE_SYNC,
	    .kill_with_parent = true,
	    .write_state = true,
	    .managed = true,
	    .stdio = {-1, -1, -1},
	};
	struct ward_container *c = NULL;
	ward_err err = {0};
	int fds[MON__END - MON_PIDFD];
	int listen_fd, log_fd, r;

	log_fd = console_log(ctx, spec->name, &err);
	if (log_fd < 0)
		goto fail;
	spec->process.terminal = true; /* the console */
	r = container_create(ctx, spec, &copts, &c, &err);
	if (r < 0)
		goto fail;
	listen_fd = console_listen(c, &err);
	if (listen_fd < 0)
		goto fail_destroy;
	r = container_start(c, &err);
	if (r < 0) {
		ward_err ignored;
		notify(report, container_error_exit_code(c, r), err.msg);
		container_destroy(c, &ignored);
		_exit(1);
	}
	fds[MON_PIDFD - MON_PIDFD] = c->pidfd;
	fds[MON_STATE - MON_PIDFD] = c->state_fd;
	fds[MON_MASTER - MON_PIDFD] = c->pty_master;
	fds[MON_LISTEN - MON_PIDFD] = listen_fd;
	fds[MON_LOG - MON_PIDFD] = log_fd;
	fds[MON_NETNS - MON_PIDFD] = c->net ? c->net->netns_fd : -1;
	notify(report, 0, NULL);
	close(report);
	r = hand_over(fds, log_fd);
	if (r == 0)
		execv(o->monitor_exe,
		      (char *[]){(char *)"ward-monitor", (char *)o->ward_exe, spec->name, NULL});
	/* no monitor: the container dies with us, `ward gc` cleans up */
	fprintf(stderr, "ward: %s: exec %s: %s\n", spec->name, o->monitor_exe, strerror(errno));
	_exit(1);
fail_destroy : {
	ward_err ignored;
	container_destroy(c, &ignored);
}
fail:
	notify(report, 125, err.msg);
	_exit(1);
}

int manage_start(const struct ward_ctx *ctx, struct ward_spec *spec,
		 const struct manage_start_opts *o, ward_err *err)
{
	_cleanup_free_ char *answer = NULL;
	int p[2], code = 125;
	size_t len = 0;
	pid_t pid;
	char *msg;

	if (state_is_alive(ctx, spec->name))
		return werrx(err, EALREADY, "%s is already running", spec->name);
	if (access(o->monitor_exe, X_OK) < 0)
		return werr(err, errno, "monitor %s", o->monitor_exe);
	if (pipe2(p, O_CLOEXEC) < 0)
		return werr(err, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return werr(err, e, "fork");
	}
	if (pid == 0) {
		close(p[0]);
		setsid();
		signal(SIGPIPE, SIG_IGN);
		monitor_main(ctx, spec, o, p[1]);
	}
	close(p[1]);
	{
		char buf[1024];
		ssize_t n;
		while ((n = read(p[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
			char *grown;
			if (n < 0)
				continue;
			grown = realloc(answer, len + (size_t)n + 1);
			if (!grown)
				break;
			answer = grown;
			memcpy(answer + len, buf, (size_t)n);
			len += (size_t)n;
			answer[len] = '\0';
		}
	}
	close(p[0]);
	if (!answer) {
		waitpid(pid, NULL, 0);
		return werrx(err, EIO, "the monitor died during the start");
	}
	code = atoi(answer);
	if (code == 0)
		return 0;
	waitpid(pid, NULL, 0);
	msg = strchr(answer, '\n');
	werrx(err, EIO, "%s", msg ? msg + 1 : "start failed");
	/* 126/127 (the command cannot be executed / was not found) pass */
	return code == 126 || code == 127 ? -code : -EIO;
}

/* ---- teardown (in `ward __teardown`, run by the monitor) ---- */

static void record_exit(const struct ward_ctx *ctx, const char *name, const char *status, bool oom)
{
	_cleanup_free_ char *dir = manage_store_dir(ctx, name);
	_cleanup_free_ char *p = dir ? xasprintf("%s/last-exit.json", dir) : NULL;
	_cleanup_free_ char *text = NULL;
	json_t *o;

	if (!p || access(dir, F_OK) < 0)
		return;
	o = json_pack("{s:i, s:I, s:b}", "status", atoi(status), "stopped", (json_int_t)time(NULL),
		      "oom", oom);
	text = o ? json_dumps(o, JSON_SORT_KEYS) : NULL;
	json_decref(o);
	if (text)
		write_file_atomic(p, text, strlen(text), 0644);
}

int manage_teardown(const struct ward_ctx *ctx, const char *name, const char *status, ward_err *err)
{
	struct ward_container *c = calloc(1, sizeof(*c));
	_cleanup_free_ char *leaf = xasprintf("ward-%s", name);
	json_t *st;
	bool oom = false;
	int r;

	wtime("teardown");
	if (!c || !leaf) {
		free(c);
		return werr(err, ENOMEM, "teardown");
	}
	c->ctx = ctx;
	c->name = strdup(name);
	c->state_dir = xasprintf("%s/%s", ctx->root_dir, name);
	c->rootfs_mnt = xasprintf("%s/%s/rootfs", ctx->root_dir, name);
	c->sync_fd = c->pty_master = c->exec_fifo_fd = c->pidfd = -1;
	c->state_fd = fcntl(MON_STATE, F_GETFD) >= 0 ? MON_STATE : -1;
	if (!c->name || !c->state_dir || !c->rootfs_mnt) {
		container_free(c);
		return werr(err, ENOMEM, "teardown");
	}
	st = state_load(ctx, name);
	if (st && json_object_get(st, "net_state")) {
		int netns = fcntl(MON_NETNS, F_GETFD) >= 0 ? MON_NETNS : -1;
		r = net_plan_load(c, json_object_get(st, "net_state"), netns, err);
		if (r < 0)
			wlog(WLOG_WARNING, "%s: %s", name, err->msg);
	}
	json_decref(st);
	if (cgroup_open(ctx->cgroup_parent, leaf, &c->cg, err) < 0)
		c->cg = NULL;
	if (c->cg && cgroup_oom_kills(c->cg) > 0)
		oom = true;
	record_exit(ctx, name, status, oom);
	r = container_destroy(c, err);
	container_free(c);
	return r;
}

/* ---- signals and stop ---- */

/* A pidfd for the container's first process, checked against the state
 * file's start time; -ESRCH when it is not running. */
int manage_pidfd(const struct ward_ctx *ctx, const char *name, struct manage_state *st,
		 ward_err *err)
{
	uint64_t start = 0;
	int fd;

	manage_state(ctx, name, st);
	if (!st->running || st->pid <= 0)
		return werrx(err, ESRCH, "%s is not running", name);
	fd = ward_pidfd_open(st->pid, 0);
	if (fd < 0)
		return werrx(err, ESRCH, "%s is not running", name);
	/* the pidfd pins this process: if its start time is the recorded
	 * one, it is the container and not a process that reused the PID */
	if (proc_start_time(st->pid, &start) < 0 || start != st->pid_start) {
		close(fd);
		return werrx(err, ESRCH, "%s is not running", name);
	}
	return fd;
}

int manage_signal(const struct ward_ctx *ctx, const char *name, int sig, ward_err *err)
{
	struct manage_state st;
	_cleanup_close_ int fd = manage_pidfd(ctx, name, &st, err);

	if (fd < 0)
		return fd;
	if (ward_pidfd_send_signal(fd, sig, NULL, 0) < 0)
		return werr(err, errno, "signal %s", name);
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig;
}

int manage_wait_released(const struct ward_ctx *ctx, const char *name, int timeout_ms)
{
	_cleanup_free_ char *dir = xasprintf("%s/%s", ctx->root_dir, name);
	_cleanup_close_ int fd = -1;
	struct sigaction sa = {.sa_handler = on_alarm}, old_sa;
	struct itimerval it = {{0, 0}, {0, 0}}, old_it;
	int r;

	if (!dir)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* the owner holds an exclusive flock on the directory until its
	 * teardown ends: block on it (a poll costs ~1 ms more per stop), with
	 * SIGALRM (no SA_RESTART) for the timeout */
	if (timeout_ms >= 0) {
		sigaction(SIGALRM, &sa, &old_sa);
		it.it_value.tv_sec = timeout_ms / 1000;
		it.it_value.tv_usec = (timeout_ms % 1000) * 1000 + 1;
		setitimer(ITIMER_REAL, &it, &old_it);
	}
	r = flock(fd, LOCK_SH) < 0 ? -errno : 0;
	if (timeout_ms >= 0) {
		struct itimerval off = {{0, 0}, {0, 0}};
		setitimer(ITIMER_REAL, &off, NULL);
		sigaction(SIGALRM, &old_sa, NULL);
	}
	if (r == -EINTR)
		return -ETIMEDOUT;
	return r;
}

int manage_stop(const struct ward_ctx *ctx, const char *name, int sig, int timeout_s, ward_err *err)
{
	struct manage_state st;
	_cleanup_close_ int fd = manage_pidfd(ctx, name, &st, err);
	struct pollfd p;

	if (fd < 0) {
		/* exited on its own: its monitor may still be tearing down (and
		 * writing last-exit.json); stopped means that is over too.  (No
		 * PID yet: being created, perhaps by a `ward run` that holds its
		 * state for its whole life; nothing to wait for then.) */
		if (fd == -ESRCH && st.pid > 0)
			manage_wait_released(ctx, name, 60000);
		return fd;
	}
	if (ward_pidfd_send_signal(fd, sig ? sig : st.stop_signal, NULL, 0) < 0 && errno != ESRCH)
		return werr(err, errno, "signal %s", name);
	p = (struct pollfd){.fd = fd, .events = POLLIN};
	while (poll(&p, 1, timeout_s < 0 ? -1 : timeout_s * 1000) < 0 && errno == EINTR)
		;
	if (!(p.revents & POLLIN)) {
		wlog(WLOG_INFO, "%s: still running after %d s: SIGKILL", name, timeout_s);
		ward_pidfd_send_signal(fd, SIGKILL, NULL, 0);
	}
	/* the monitor reaps it and tears down; done when it lets go */
	if (manage_wait_released(ctx, name, 60000) < 0)
		return werrx(err, ETIMEDOUT, "%s: its teardown did not end within 60 s", name);
	return 0;
}

int manage_last_exit(const struct ward_ctx *ctx, const char *name, int *status, long long *when)
{
	_cleanup_free_ char *dir = manage_store_dir(ctx, name);
	_cleanup_free_ char *p = dir ? xasprintf("%s/last-exit.json", dir) : NULL;
	_cleanup_free_ char *text = NULL;
	json_t *o;

	if (!p || read_file(p, &text, NULL) < 0)
		return -ENOENT;
	o = json_loads(text, 0, NULL);
	if (!o)
		return -EINVAL;
	*status = (int)json_integer_value(json_object_get(o, "status"));
	*when = json_integer_value(json_object_get(o, "stopped"));
	json_decref(o);
	return 0;
}

/* ---- containers nobody holds (the OCI face) ---- */

json_t *manage_state_doc(const struct ward_ctx *ctx, const char *name)
{
	return state_load(ctx, name);
}

bool manage_pid_alive(pid_t pid, uint64_t start)
{
	char path[64];
	_cleanup_free_ char *buf = NULL;
	uint64_t now = 0;
	const char *p;

	if (pid <= 0 || proc_start_time(pid, &now) < 0 || now != start)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_file(path, &buf, NULL) < 0)
		return false;
	/* the state follows the command name, which may hold anything */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X' && p[2] != 'x';
}

int manage_pidfd_checked(pid_t pid, uint64_t start)
{
	int fd;

	if (pid <= 0)
		return -ESRCH;
	fd = ward_pidfd_open(pid, 0);
	if (fd < 0)
		return -ESRCH;
	/* checked after the pidfd pins the process: a PID reused in between
	 * has another start time */
	if (!manage_pid_alive(pid, start)) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

static bool path_is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

int manage_cgroup_from_dirs(char *const *dirs, struct ward_cgroup **out, ward_err *err)
{
	struct ward_cgroup *cg = calloc(1, sizeof(*cg));
	int r;

	if (!cg)
		return werr(err, ENOMEM, "cgroup");
	cg->v2_fd = -1;
	r = cg_system_detect(&cg->sys, err);
	if (r < 0) {
		free(cg);
		return r;
	}
	cg->ops = cg->sys.layout == CG_LAYOUT_V2       ? &cg_ops_v2
		  : cg->sys.layout == CG_LAYOUT_HYBRID ? &cg_ops_hybrid
						       : &cg_ops_v1;
	STRV_FOREACH (d, dirs) {
		/* the cgroup2 mount of a hybrid host may sit below the v1
		 * ones' parent (/sys/fs/cgroup/unified): test it first */
		if (cg->sys.v2_mountpoint && !cg->v2_dir &&
		    path_is_under(*d, cg->sys.v2_mountpoint)) {
			bool v1 = false;
			for (size_t i = 0; i < cg->sys.n_v1; i++)
				v1 = v1 || path_is_under(*d, cg->sys.v1[i].mountpoint);
			if (!v1) {
				cg->v2_dir = strdup(*d);
				cg->v2_created = true;
				if (!cg->v2_dir)
					goto nomem;
				continue;
			}
		}
		for (size_t i = 0; i < cg->sys.n_v1; i++) {
			struct cg_hier *h = &cg->sys.v1[i];
			if (h->dir || !path_is_under(*d, h->mountpoint))
				continue;
			h->dir = strdup(*d);
			h->created = true;
			if (!h->dir)
				goto nomem;
			break;
		}
	}
	*out = cg;
	return 0;
nomem:
	cgroup_free(cg);
	return werr(err, ENOMEM, "cgroup");
}

char **manage_cgroup_dirs(const struct ward_cgroup *cg)
{
	_cleanup_strv_ char **v = calloc(1, sizeof(char *));

	if (!v)
		return NULL;
	for (size_t i = 0; cg && i < cg->sys.n_v1; i++)
		if (cg->sys.v1[i].dir && strv_push(&v, cg->sys.v1[i].dir) < 0)
			return NULL;
	if (cg && cg->v2_dir && strv_push(&v, cg->v2_dir) < 0)
		return NULL;
	return TAKE_PTR(v);
}

int manage_destroy_unheld(const struct ward_ctx *ctx, const char *name, char *const *cgroup_dirs,
			  ward_err *err)
{
	struct ward_container *c = calloc(1, sizeof(*c));
	json_t *st = state_load(ctx, name);
	int r;

	if (!c) {
		json_decref(st);
		return werr(err, ENOMEM, "delete");
	}
	c->ctx = ctx;
	c->name = strdup(name);
	c->state_dir = xasprintf("%s/%s", ctx->root_dir, name);
	c->rootfs_mnt = xasprintf("%s/%s/rootfs", ctx->root_dir, name);
	c->sync_fd = c->pty_master = c->exec_fifo_fd = c->pidfd = c->state_fd = -1;
	if (st) {
		/* not our child: container_destroy() must not wait for it */
		int fd = manage_pidfd_checked(
		    (pid_t)json_integer_value(json_object_get(st, "pid")),
		    (uint64_t)json_integer_value(json_object_get(st, "pid_start")));
		if (fd >= 0) {
			ward_pidfd_send_signal(fd, SIGKILL, NULL, 0);
			close(fd);
		}
		json_decref(st);
	}
	if (!c->name || !c->state_dir || !c->rootfs_mnt) {
		container_free(c);
		return werr(err, ENOMEM, "delete");
	}
	if (cgroup_dirs && cgroup_dirs[0] &&
	    manage_cgroup_from_dirs(cgroup_dirs, &c->cg, err) < 0) {
		container_free(c);
		return -err->code;
	}
	r = container_destroy(c, err);
	container_free(c);
	return r;
}
