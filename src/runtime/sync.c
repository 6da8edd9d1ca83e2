/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/sync.h"
#include "util/fileutil.h"

static const char *const step_names[STEP__MAX] = {
    [STEP_NONE] = "start",
    [STEP_CGROUP_JOIN] = "join cgroup",
    [STEP_WAIT_PARENT] = "wait for id maps",
    [STEP_NAMESPACES] = "namespaces",
    [STEP_PROPAGATION] = "mount propagation",
    [STEP_OPEN_SOURCES] = "open mount sources",
    [STEP_ROOT] = "root filesystem",
    [STEP_IDENTITY] = "become container root",
    [STEP_MOUNTS] = "mount",
    [STEP_DEVICES] = "devices",
    [STEP_SYSCTL] = "sysctl",
    [STEP_MASKS] = "mask paths",
    [STEP_HOSTNAME] = "hostname",
    [STEP_LOOPBACK] = "loopback",
    [STEP_CREATE_HOOKS] = "createContainer hooks",
    [STEP_PIVOT] = "pivot_root",
    [STEP_RLIMITS] = "rlimits",
    [STEP_TTY] = "terminal",
    [STEP_CAPS] = "capabilities",
    [STEP_USER] = "user",
    [STEP_NO_NEW_PRIVS] = "no_new_privs",
    [STEP_CWD] = "working directory",
    [STEP_FDS] = "close file descriptors",
    [STEP_READY] = "ready",
    [STEP_START_HOOKS] = "startContainer hooks",
    [STEP_INIT] = "init",
    [STEP_PERSONALITY] = "personality",
    [STEP_SECCOMP] = "seccomp",
    [STEP_EXEC] = "exec",
};

const char *step_name(enum ward_step s)
{
	if ((int)s < 0 || s >= STEP__MAX || !step_names[s])
		return "start";
	return step_names[s];
}

int sync_pair(int fds[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
		return neg_errno();
	return 0;
}

int sync_send(int fd, enum sync_type type)
{
	return sync_send_fd(fd, type, -1);
}

int sync_send_fd(int fd, enum sync_type type, int passfd)
{
	struct sync_msg m = {.type = type};

	return send_fd(fd, passfd, &m, sizeof(m));
}

int sync_send_fds(int fd, enum sync_type type, const int *fds, size_t n)
{
	struct sync_msg m = {.type = type};

	return send_fds(fd, fds, n, &m, sizeof(m));
}

int sync_send_pid(int fd, pid_t pid, int pidfd)
{
	struct sync_msg m = {.type = SYNC_PID, .value = (int32_t)pid};

	return send_fd(fd, pidfd, &m, sizeof(m));
}

int sync_expect_fds(int fd, enum sync_type type, int *fds, size_t max, size_t *n, ward_err *err)
{
	struct sync_msg m;
	int r;

	memset(&m, 0, sizeof(m));
	r = recv_fds(fd, fds, max, n, &m, sizeof(m));
	if (r < 0)
		return werr(err, -r, "sync with ward");
	if (r == 0)
		return werrx(err, EPIPE, "ward went away during setup");
	m.msg[sizeof(m.msg) - 1] = '\0';
	if (m.type != (uint32_t)type)
		return werrx(err, EPROTO, "sync: unexpected message %u (wanted %u)", m.type,
			     (unsigned)type);
	return 0;
}

int sync_send_error(int fd, enum ward_step step, int errnum, const char *msg)
{
	struct sync_msg m = {.type = SYNC_ERROR, .step = step, .errnum = errnum};

	if (msg)
		snprintf(m.msg, sizeof(m.msg), "%s", msg);
	else
		snprintf(m.msg, sizeof(m.msg), "%s: %s", step_name(step), strerror(errnum));
	return send_fd(fd, -1, &m, sizeof(m));
}

int sync_recv(int fd, struct sync_msg *m, int *passfd)
{
	int tmp = -1;
	int r;

	memset(m, 0, sizeof(*m));
	r = recv_fd(fd, passfd ? passfd : &tmp, m, sizeof(*m));
	/* A peer that exits with our last message unread makes the kernel
	 * report ECONNRESET once, before the messages it sent us (its error
	 * report among them): read on.  The peer is gone, so this ends with a
	 * message or EOF and never blocks. */
	if (r == -ECONNRESET)
		r = recv_fd(fd, passfd ? passfd : &tmp, m, sizeof(*m));
	if (tmp >= 0)
		close(tmp);
	if (r < 0)
		return r == -ECONNRESET ? 0 : r;
	if (r == 0)
		return 0;
	m->msg[sizeof(m->msg) - 1] = '\0';
	return 1;
}

int sync_expect(int fd, enum sync_type type, struct sync_msg *m, ward_err *err)
{
	int r = sync_recv(fd, m, NULL);

	if (r < 0)
		return werr(err, -r, "sync with container process");
	if (r == 0)
		return werrx(err, EPIPE, "container process exited during setup");
	if (m->type == SYNC_ERROR)
		return werrx(err, m->errnum > 0 ? m->errnum : EIO, "%s", m->msg);
	if (m->type != (uint32_t)type)
		return werrx(err, EPROTO, "sync: unexpected message %u (wanted %u)", m->type,
			     (unsigned)type);
	return 0;
}
