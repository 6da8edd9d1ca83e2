/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running OCI hooks: fork, give the hook the state document on stdin (a
 * memfd, rewound for each hook) and a pipe on stdout and stderr, exec it
 * with its own argv and env, then wait on its pidfd and the pipe in one
 * poll loop until it exits or its timeout passes (then SIGKILL).  The end
 * of what it printed goes into the error message: a failing hook usually
 * says why on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/child.h"
#include "runtime/hooks.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/log.h"
#include "util/syscalls.h"

#define HOOK_OUTPUT_MAX 1024

int hooks_state_json(const struct ward_spec *s, const char *id, const char *status, pid_t pid,
		     char **out, ward_err *err)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "ociVersion", WARD_OCI_STATE_VERSION, "id",
			      id, "status", status, "bundle", s->bundle ? s->bundle : "");

	*out = NULL;
	if (!o)
		return werr(err, ENOMEM, "state document");
	if (pid > 0)
		json_object_set_new(o, "pid", json_integer(pid));
	if (s->n_annotations) {
		json_t *a = json_object();
		for (size_t i = 0; a && i < s->n_annotations; i++)
			json_object_set_new(a, s->annotations[i].key,
					    json_string(s->annotations[i].value));
		json_object_set_new(o, "annotations", a);
	}
	*out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return *out ? 0 : werr(err, ENOMEM, "state document");
}

int hooks_state_memfd(const char *state_json, ward_err *err)
{
	_cleanup_close_ int fd = memfd_create("ward-state", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return werr(err, errno, "hooks: memfd_create");
	if (write_all(fd, state_json, strlen(state_json)) < 0)
		return werr(err, errno, "hooks: write state");
	/* every hook, and the seccomp agent, reads the same document: none
	 * may rewrite it for the next */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
		return werr(err, errno, "hooks: seal the state");
	return TAKE_FD(fd);
}

/* An fd of at least 3, so that dup2() onto 0-2 never leaves it in place. */
static int fd_above_stdio(int fd)
{
	return fd >= 3 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static _Noreturn void hook_exec(const struct ward_hook *h, int state_fd, int out_fd,
				const char *cwd)
{
	static char *const no_env[] = {NULL};
	char *const default_argv[] = {h->path, NULL};
	int in = fd_above_stdio(state_fd), out = fd_above_stdio(out_fd);

	child_reset_signals();
	if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	if (ward_close_range(3, ~0U, 0) < 0)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	if (cwd && chdir(cwd) < 0) {
		dprintf(2, "chdir %s: %s\n", cwd, strerror(errno));
		_exit(127);
	}
	execve(h->path, h->args && h->args[0] ? h->args : default_argv, h->env ? h->env : no_env);
	dprintf(2, "exec %s: %s\n", h->path, strerror(errno));
	_exit(127);
}

struct output {
	char buf[HOOK_OUTPUT_MAX];
	size_t len;
};

/* Keep the last HOOK_OUTPUT_MAX bytes; returns read()'s result. */
static ssize_t output_read(int fd, struct output *o)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));
	size_t k;

	if (n <= 0)
		return n;
	k = (size_t)n;
	if (k >= sizeof(o->buf)) {
		memcpy(o->buf, tmp + k - sizeof(o->buf), sizeof(o->buf));
		o->len = sizeof(o->buf);
	} else {
		size_t keep = o->len + k > sizeof(o->buf) ? sizeof(o->buf) - k : o->len;
		memmove(o->buf, o->buf + o->len - keep, keep);
		memcpy(o->buf + keep, tmp, k);
		o->len = keep + k;
	}
	return n;
}

/* The last non-empty line the hook printed, for the error message. */
static const char *output_last_line(struct output *o)
{
	char *end, *start;

	o->buf[o->len < sizeof(o->buf) ? o->len : sizeof(o->buf) - 1] = '\0';
	end = o->buf + strlen(o->buf);
	while (end > o->buf && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r'))
		*--end = '\0';
	start = strrchr(o->buf, '\n');
	return start ? start + 1 : o->buf;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for the hook's exit (pidfd, or the pipe's EOF without one) while
 * collecting its output; kill it at the deadline.  Returns true when the
 * timeout struck. */
static bool hook_wait(pid_t pid, int pidfd, int out_fd, int timeout, struct output *o)
{
	int64_t deadline = timeout > 0 ? now_ms() + (int64_t)timeout * 1000 : -1;
	struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = out_fd, .events = POLLIN}};

	for (;;) {
		int wait = -1, r;

		if (deadline >= 0) {
			int64_t left = deadline - now_ms();
			wait = left > 0 ? (int)left : 0;
		}
		if (p[0].fd < 0 && p[1].fd < 0)
			return false;
		r = poll(p, 2, wait);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			if (pidfd < 0 || ward_pidfd_send_signal(pidfd, SIGKILL, NULL, 0) < 0)
				kill(pid, SIGKILL);
			return true;
		}
		if (r < 0)
			return false;
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = output_read(out_fd, o);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				p[1].fd = -1;
		}
		if (p[0].revents & POLLIN)
			return false;
	}
}

static int run_one(const struct ward_hook *h, int state_fd, const char *cwd, ward_err *err)
{
	_cleanup_close_ int out_r = -1, pidfd = -1;
	struct output o = {.len = 0};
	int pipefd[2], status = 0;
	bool timed_out;
	pid_t pid;

	if (!h->path || h->path[0] != '/')
		return werrx(err, EINVAL, "hook %s: not an absolute path", h->path ? h->path : "");
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return werr(err, errno, "hook %s: pipe", h->path);
	if (lseek(state_fd, 0, SEEK_SET) < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return werr(err, errno, "hook %s: rewind state", h->path);
	}
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		hook_exec(h, state_fd, pipefd[1], cwd);
	}
	close(pipefd[1]);
	out_r = pipefd[0];
	if (pid < 0)
		return werr(err, errno, "hook %s: fork", h->path);
	pidfd = ward_pidfd_open(pid, 0);
	fcntl(out_r, F_SETFL, O_NONBLOCK);
	timed_out = hook_wait(pid, pidfd, out_r, h->timeout, &o);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return werr(err, errno, "hook %s: wait", h->path);
	while (output_read(out_r, &o) > 0)
		;
	if (timed_out)
		return werrx(err, ETIMEDOUT, "hook %s: timed out after %d s", h->path, h->timeout);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	{
		const char *line = output_last_line(&o);
		char what[64];

		if (WIFEXITED(status))
			snprintf(what, sizeof(what), "exited with status %d", WEXITSTATUS(status));
		else
			snprintf(what, sizeof(what), "killed by signal %d", WTERMSIG(status));
		return werrx(err, ECANCELED, "hook %s: %s%s%s", h->path, what, *line ? ": " : "",
			     line);
	}
}

int hooks_run_fd(const struct ward_hook *list, size_t n, int state_fd, const char *cwd,
		 ward_err *err)
{
	for (size_t i = 0; i < n; i++) {
		int r = run_one(&list[i], state_fd, cwd, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int hooks_run(const struct ward_hook *list, size_t n, const char *state_json, ward_err *err)
{
	_cleanup_close_ int fd = -1;

	if (!n)
		return 0;
	fd = hooks_state_memfd(state_json, err);
	if (fd < 0)
		return fd;
	return hooks_run_fd(list, n, fd, NULL, err);
}

int hooks_run_warn(const struct ward_hook *list, size_t n, const char *state_json, const char *kind)
{
	_cleanup_close_ int fd = -1;
	ward_err e;
	int failed = 0;

	if (!n)
		return 0;
	fd = hooks_state_memfd(state_json, &e);
	if (fd < 0) {
		wwarn("%s hooks: %s", kind, e.msg);
		return (int)n;
	}
	for (size_t i = 0; i < n; i++)
		if (run_one(&list[i], fd, NULL, &e) < 0) {
			wwarn("%s %s", kind, e.msg);
			failed++;
		}
	return failed;
}
