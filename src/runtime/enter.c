/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/caps.h"
#include "runtime/cgroup.h"
#include "runtime/child.h"
#include "runtime/enter.h"
#include "runtime/exec.h"
#include "runtime/seccomp.h"
#include "runtime/tty.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"
#include "util/syscalls.h"

static const struct {
	const char *name;
	int flag;
} ns_files[] = {
    {"user", CLONE_NEWUSER},     {"mnt", CLONE_NEWNS},    {"pid", CLONE_NEWPID},
    {"net", CLONE_NEWNET},       {"uts", CLONE_NEWUTS},   {"ipc", CLONE_NEWIPC},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

/* The namespaces of PID that are not ours (joining one's own user
 * namespace is an error, and the others would be no-ops). */
static int foreign_namespaces(pid_t pid)
{
	int flags = 0;

	for (size_t i = 0; i < sizeof(ns_files) / sizeof(ns_files[0]); i++) {
		char theirs[64], ours[64];
		struct stat a, b;
		snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", (int)pid, ns_files[i].name);
		snprintf(ours, sizeof(ours), "/proc/self/ns/%s", ns_files[i].name);
		if (stat(theirs, &a) == 0 && stat(ours, &b) == 0 &&
		    (a.st_ino != b.st_ino || a.st_dev != b.st_dev))
			flags |= ns_files[i].flag;
	}
	return flags;
}

_Noreturn static void die(const char *name, const ward_err *err)
{
	fprintf(stderr, "ward: %s: %s\n", name, err->msg);
	_exit(125);
}

/* In the container's namespaces (and PID namespace: a child of the
 * joiner): become its process and exec. */
_Noreturn static void become(const struct enter_opts *o, const struct ward_bpf *bpf, int last_cap,
			     int pty_sock)
{
	const struct ward_process *p = &o->spec->process;
	static char *const shell[] = {(char *)"/bin/sh", NULL};
	char *const *argv = o->argv && o->argv[0] ? o->argv : shell;
	_cleanup_strv_ char **env = strv_copy(p->env);
	ward_err err = {0};
	int r;

	child_reset_signals();
	/* a session of our own: the caller's terminal is never ours */
	if (setsid() < 0) {
		werr(&err, errno, "setsid");
		die(o->name, &err);
	}
	if (o->tty) {
		int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), slave;
		if (master < 0 || unlockpt(master) < 0 ||
		    (slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY)) < 0) {
			werr(&err, errno, "terminal: the container's /dev/pts/ptmx");
			die(o->name, &err);
		}
		if (send_fd(pty_sock, master, "p", 1) < 0) {
			werr(&err, EPIPE, "terminal: hand over the pty");
			die(o->name, &err);
		}
		close(master);
		if (ioctl(slave, TIOCSCTTY, 0) < 0 || dup2(slave, 0) < 0 || dup2(slave, 1) < 0 ||
		    dup2(slave, 2) < 0) {
			werr(&err, errno, "terminal");
			die(o->name, &err);
		}
		if (slave > 2)
			close(slave);
		/* the caller's terminal type, unless the container sets one */
		if (getenv("TERM")) {
			bool has = false;
			STRV_FOREACH (e, env)
				has = has || startswith(*e, "TERM=");
			if (!has) {
				_cleanup_free_ char *t = xasprintf("TERM=%s", getenv("TERM"));
				if (t)
					strv_push(&env, t);
			}
		}
	}
	if (pty_sock >= 0)
		close(pty_sock);
	r = child_set_rlimits(p, &err);
	if (r >= 0)
		r = caps_drop_bounding(caps_for(o->spec, p).bounding, last_cap, &err);
	if (r >= 0)
		r = child_preserve_fds(o->preserve_fds, NULL, 0, &err);
	if (r >= 0)
		r = child_set_lsm_label(p, &err);
	/* without no_new_privs the filter needs CAP_SYS_ADMIN, which the
	 * user switch drops: load it now, as the start does (child.c) */
	if (r >= 0 && bpf->insns && !p->no_new_privs)
		r = seccomp_apply(bpf, NULL, &err);
	if (r >= 0)
		r = child_switch_user(p, &err);
	if (r >= 0) {
		struct ward_caps k = caps_for(o->spec, p);
		r = caps_apply(&k, last_cap, &err);
	}
	if (r >= 0 && p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = werr(&err, errno, "no_new_privs");
	if (r >= 0)
		r = child_enter_cwd(p->cwd ? p->cwd : "/", &err);
	if (r >= 0)
		r = child_close_fds(o->preserve_fds, &err);
	if (r >= 0 && bpf->insns && p->no_new_privs)
		r = seccomp_apply(bpf, NULL, &err);
	if (r < 0)
		die(o->name, &err);
	r = exec_in_path(argv, env);
	fprintf(stderr, "ward: %s: exec %s: %s\n", o->name, argv[0], strerror(-r));
	_exit(r == -ENOENT ? 127 : 126);
}

/* The joiner: cgroup, namespaces, container root; then a child to run the
 * command (only children enter the PID namespace); its status is ours. */
_Noreturn static void join(const struct enter_opts *o, struct ward_cgroup *cg,
			   const struct ward_bpf *bpf, int last_cap, int pty_sock)
{
	int flags = foreign_namespaces(o->pid);
	ward_err err = {0};
	siginfo_t si;
	pid_t pid;

	if (cg && cgroup_attach_self(cg, &err) < 0)
		die(o->name, &err);
	if (!(flags & CLONE_NEWNS)) {
		/* in our own mount namespace (an OCI config without one) the
		 * container lives in a chroot: enter that instead */
		char p[64];
		struct stat theirs, ours;
		int rfd;

		snprintf(p, sizeof(p), "/proc/%d/root", (int)o->pid);
		rfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rfd < 0 || fstat(rfd, &theirs) < 0 || stat("/", &ours) < 0) {
			werr(&err, errno, "open the root of %d", (int)o->pid);
			die(o->name, &err);
		}
		if ((theirs.st_dev != ours.st_dev || theirs.st_ino != ours.st_ino) &&
		    (fchdir(rfd) < 0 || chroot(".") < 0)) {
			werr(&err, errno, "enter the root of %d", (int)o->pid);
			die(o->name, &err);
		}
		close(rfd);
	}
	/* what was read by PID above was the container's only if the pidfd
	 * still names a live process: else a reused PID may have answered */
	if (ward_pidfd_send_signal(o->pidfd, 0, NULL, 0) < 0) {
		werr(&err, errno, "the container's process %d is gone", (int)o->pid);
		die(o->name, &err);
	}
	if (flags && setns(o->pidfd, flags) < 0) {
		werr(&err, errno, "join the namespaces of %d", (int)o->pid);
		die(o->name, &err);
	}
	if ((flags & CLONE_NEWUSER) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		werr(&err, errno, "become the container's root");
		die(o->name, &err);
	}
	pid = fork();
	if (pid < 0) {
		werr(&err, errno, "fork");
		die(o->name, &err);
	}
	if (pid == 0)
		become(o, bpf, last_cap, pty_sock);
	if (pty_sock >= 0)
		close(pty_sock);
	/* the parent-death signal ties the command to ward attach */
	while (waitid(P_PID, (id_t)pid, &si, WEXITED) < 0)
		if (errno != EINTR)
			_exit(125);
	_exit(si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status);
}

static ssize_t relay(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 ? -errno : 0;
	return write_all(to, buf, (size_t)n) < 0 ? -EPIPE : n;
}

/* Caller's terminal <-> the pty in the container, until the joiner exits. */
static void relay_terminal(int master, pid_t joiner)
{
	_cleanup_close_ int sfd = -1;
	sigset_t winch;
	bool raw = tty_raw_enter(STDIN_FILENO), in_open = true;

	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, NULL);
	sfd = signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
	tty_copy_winsize(STDIN_FILENO, master);
	for (;;) {
		struct pollfd p[3] = {{.fd = master, .events = POLLIN},
				      {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
				      {.fd = sfd, .events = POLLIN}};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) > 0)
				tty_copy_winsize(STDIN_FILENO, master);
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = relay(master, STDOUT_FILENO);
			if (n == 0 || (n < 0 && n != -EAGAIN && n != -EINTR))
				break; /* every process closed the slave */
		}
		if (p[1].revents & (POLLIN | POLLHUP) && relay(STDIN_FILENO, master) <= 0)
			in_open = false;
	}
	if (raw)
		tty_raw_leave(STDIN_FILENO);
	(void)joiner;
}

int container_enter(const struct enter_opts *o, ward_err *err)
{
	_cleanup_free_ char *leaf = xasprintf("ward-%s", o->name);
	_cleanup_free_ char *cache = xasprintf("%s/.seccomp-cache", o->ctx->root_dir);
	struct ward_cgroup *cg = NULL;
	struct ward_bpf bpf = {0};
	int sv[2] = {-1, -1}, last_cap = caps_last_cap(), r;
	siginfo_t si;
	pid_t pid;

	if (!leaf || !cache)
		return werr(err, ENOMEM, "attach");
	/* the same filter as the container's first process */
	if (o->spec->seccomp)
		r = seccomp_compile(o->spec->seccomp, o->spec->process.caps.bounding, cache, &bpf,
				    err);
	else if (o->spec->seccomp_default)
		r = seccomp_compile_default(o->spec->process.caps.bounding, cache, &bpf, err);
	else
		r = 0;
	if (r < 0)
		return werr_wrap(err, "seccomp");
	if (cgroup_open(o->ctx->cgroup_parent, leaf, &cg, err) < 0)
		cg = NULL; /* none to join (no limits, v2 without delegation) */
	if (o->tty && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = werr(err, errno, "socketpair");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = werr(err, errno, "fork");
		goto out;
	}
	if (pid == 0) {
		if (sv[0] >= 0)
			close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		join(o, cg, &bpf, last_cap, sv[1]);
	}
	if (sv[1] >= 0)
		closep(&sv[1]);
	if (o->tty) {
		int master = -1;
		char tag;
		if (recv_fd(sv[0], &master, &tag, 1) > 0 && master >= 0) {
			relay_terminal(master, pid);
			close(master);
		}
	}
	while (waitid(P_PID, (id_t)pid, &si, WEXITED) < 0)
		if (errno != EINTR) {
			r = werr(err, errno, "wait");
			goto out;
		}
	r = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	cgroup_free(cg);
	ward_bpf_clear(&bpf);
	return r;
}
