/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parent/child handshake: a SOCK_SEQPACKET socketpair, close-on-exec on
 * both ends.  The child reports each failure as (step, errno, message) and
 * the parent prints one line; a successful exec closes the child's end, so
 * EOF after SYNC_START means the command is running.
 */
#ifndef WARD_SYNC_H
#define WARD_SYNC_H

#include <stdint.h>
#include <sys/types.h>

#include "runtime/container.h"

enum sync_type {
	SYNC_IDMAP_DONE = 1, /* parent -> child: id maps written, go on */
	SYNC_START,          /* parent -> child: exec now */
	SYNC_READY,          /* child -> parent: set up, waiting (created) */
	SYNC_ERROR,          /* child -> parent: a step failed */
	SYNC_PTY,            /* child -> parent: the pty master, as SCM_RIGHTS */
	SYNC_CGROUP,         /* parent -> child: the v1 cgroup files to join, as SCM_RIGHTS */
	SYNC_STATE,          /* parent -> child: the OCI state document (a memfd) */
	SYNC_HOOKS_DONE,     /* parent -> child: prestart and createRuntime hooks ran */
	SYNC_PID,            /* child -> parent: the container process it forked, and its pidfd */
};

struct sync_msg {
	uint32_t type;
	int32_t step;
	int32_t errnum;
	int32_t value; /* SYNC_PID: the pid */
	char msg[600];
};

int sync_pair(int fds[2]);
int sync_send(int fd, enum sync_type type);
int sync_send_fd(int fd, enum sync_type type, int passfd);
int sync_send_fds(int fd, enum sync_type type, const int *fds, size_t n);
/* SYNC_PID: pid, with its pidfd (-1: none). */
int sync_send_pid(int fd, pid_t pid, int pidfd);
/* Receive a message of `type` with up to `max` fds. */
int sync_expect_fds(int fd, enum sync_type type, int *fds, size_t max, size_t *n, ward_err *err);
/* Send an error from the child; msg may be NULL (then the step and errno
 * make the message). */
int sync_send_error(int fd, enum ward_step step, int errnum, const char *msg);
/* Receive one message; returns 1 with a message, 0 on EOF, -errno on
 * failure.  *passfd gets an fd sent along (or -1). */
int sync_recv(int fd, struct sync_msg *m, int *passfd);
/* Receive, expecting `type`; anything else is turned into a ward_err. */
int sync_expect(int fd, enum sync_type type, struct sync_msg *m, ward_err *err);

#endif
