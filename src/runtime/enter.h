/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `ward attach`: a new process inside a running container, with the same
 * restrictions as its first one.  The namespaces are joined through the
 * container's pidfd (one setns() for all of them), the cgroup by writing
 * to its cgroup.procs, then the process gets the container's identity,
 * rlimits, bounding set, capabilities, no_new_privs, LSM label and seccomp
 * filter, as in the start's checklist (child.c), and execs.
 */
#ifndef WARD_ENTER_H
#define WARD_ENTER_H

#include <stdbool.h>

#include "runtime/container.h"

struct enter_opts {
	const struct ward_ctx *ctx;
	const char *name;
	const struct ward_spec *spec; /* the container's settings */
	int pidfd;                    /* of its first process */
	pid_t pid;
	char *const *argv;         /* NULL: the container's shell, /bin/sh */
	bool tty;                  /* a pty from the container's devpts, relayed */
	unsigned int preserve_fds; /* the caller's fds 3..3+N-1 go to the command */
};

/* Returns the command's exit status (128+N for signal N), 126/127 when it
 * cannot be executed, or -errno with err set when ward failed. */
int container_enter(const struct enter_opts *o, ward_err *err);

#endif
