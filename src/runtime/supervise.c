/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * After the start: wait for the container, forward signals to it, copy
 * terminal I/O, and tear everything down.  One poll loop over the pidfd,
 * a signalfd and the pty; no sleeping, no threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/attach.h"
#include "runtime/container.h"
#include "runtime/seccomp.h"
#include "runtime/state.h"
#include "runtime/tty.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/log.h"
#include "util/syscalls.h"

int container_signal(struct ward_container *c, int sig)
{
	if (c->pidfd >= 0) {
		if (ward_pidfd_send_signal(c->pidfd, sig, NULL, 0) == 0)
			return 0;
		if (errno != ENOSYS)
			return neg_errno();
	}
	if (c->pid > 0 && kill(c->pid, sig) < 0)
		return neg_errno();
	return 0;
}

static int reap(struct ward_container *c, siginfo_t *si)
{
	memset(si, 0, sizeof(*si));
	for (;;) {
		int r = c->pidfd >= 0 ? waitid(P_PIDFD, (id_t)c->pidfd, si, WEXITED)
				      : waitid(P_PID, (id_t)c->pid, si, WEXITED);
		if (r == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EINVAL && c->pidfd >= 0) { /* P_PIDFD needs Linux 5.4 */
			closep(&c->pidfd);
			continue;
		}
		return neg_errno();
	}
}

int container_wait(struct ward_container *c, struct ward_exit *ex, ward_err *err)
{
	siginfo_t si;
	int r;

	memset(ex, 0, sizeof(*ex));
	r = reap(c, &si);
	if (r < 0)
		return werr(err, -r, "wait for container");
	c->pid = 0; /* reaped: the PID may be reused from now on */
	if (si.si_code == CLD_EXITED) {
		ex->status = si.si_status;
	} else {
		ex->signal = si.si_status;
		ex->core = si.si_code == CLD_DUMPED;
		ex->status = 128 + si.si_status;
	}
	if (c->cg && cgroup_oom_kills(c->cg) > 0)
		ex->oom = true;
	return 0;
}

void container_forwarded_signals(sigset_t *set)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

	sigemptyset(set);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(set, sigs[i]);
}

int container_destroy(struct ward_container *c, ward_err *err)
{
	int ret = 0;

	if (!c)
		return 0;
	closep(&c->sync_fd);
	closep(&c->pty_master);
	closep(&c->exec_fifo_fd);
	if (c->pid > 0) {
		siginfo_t si;
		container_signal(c, SIGKILL);
		reap(c, &si);
		c->pid = 0;
	}
	closep(&c->pidfd);
	wtime("destroy");
	if (c->net) {
		ward_err e;
		int r = net_teardown(c, &e);
		if (r < 0 && ret == 0) {
			*err = e;
			ret = r;
		}
	}
	wtime("network torn down");
	if (c->cg) {
		ward_err e;
		int r = cgroup_destroy(c->cg, &e);
		if (r < 0 && ret == 0) {
			*err = e;
			ret = r;
		}
		cgroup_free(c->cg);
		c->cg = NULL;
	}
	wtime("cgroup removed");
	state_release(c);
	wtime("state removed");
	return ret;
}

void container_free(struct ward_container *c)
{
	if (!c)
		return;
	closep(&c->sync_fd);
	closep(&c->pty_master);
	closep(&c->exec_fifo_fd);
	closep(&c->pidfd);
	closep(&c->state_fd);
	cgroup_free(c->cg);
	net_plan_free(c->net);
	ward_bpf_clear(&c->bpf);
	free(c->name);
	free(c->state_dir);
	free(c->rootfs_mnt);
	free(c);
}

/* copy what is readable from `from` to `to`; returns bytes copied, 0 at
 * EOF, -errno on error (EAGAIN when nothing was there) */
static ssize_t pump(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 ? -errno : 0;
	if (write_all(to, buf, (size_t)n) < 0)
		return -EPIPE;
	return n;
}

int container_supervise(struct ward_container *c, struct ward_exit *ex, ward_err *err)
{
	_cleanup_close_ int sfd = -1;
	sigset_t fwd;
	bool raw = false, stdin_open = true;
	int master = c->pty_master;
	int r;

	/* the caller blocked them before create (a no-op then) */
	container_forwarded_signals(&fwd);
	sigprocmask(SIG_BLOCK, &fwd, NULL);
	sfd = signalfd(-1, &fwd, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return werr(err, errno, "signalfd");
	if (master >= 0) {
		raw = tty_raw_enter(STDIN_FILENO);
		tty_copy_winsize(STDIN_FILENO, master);
		fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	}
	for (;;) {
		struct pollfd p[4] = {
		    {.fd = c->pidfd, .events = POLLIN},
		    {.fd = sfd, .events = POLLIN},
		    {.fd = master, .events = POLLIN},
		    {.fd = (master >= 0 && stdin_open) ? STDIN_FILENO : -1, .events = POLLIN},
		};

		if (c->pidfd < 0) /* no pidfd: reap blocks below */
			break;
		r = poll(p, 4, -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = werr(err, errno, "poll");
			goto out;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGWINCH && master >= 0)
					tty_copy_winsize(STDIN_FILENO, master);
				else
					container_signal(c, (int)si.ssi_signo);
			}
		}
		if (master >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = pump(master, STDOUT_FILENO);
			if (n == 0 || (n < 0 && n != -EAGAIN)) {
				/* the slave side is gone: every process closed it */
				master = -1;
			}
		}
		if (p[3].revents & (POLLIN | POLLHUP)) {
			ssize_t n = pump(STDIN_FILENO, master);
			if (n <= 0 && n != -EAGAIN)
				stdin_open = false;
		}
		if (p[0].revents & POLLIN)
			break;
	}
	/* drain what the container wrote last */
	while (master >= 0 && pump(master, STDOUT_FILENO) > 0)
		;
	wtime("container exited");
	r = container_wait(c, ex, err);
out:
	if (raw)
		tty_raw_leave(STDIN_FILENO);
	return r;
}
