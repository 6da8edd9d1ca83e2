/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The runtime's public face.  A start is split in two so that every front
 * end can use it:
 *
 *   container_create()  plans on the host side (ids, cgroup, seccomp),
 *                       clones the container process and lets it set itself
 *                       up; returns once it waits, fully set up, before exec
 *                       (the "created" state).
 *   container_start()   releases it: exec of the command.
 *
 * `ward run` calls both and supervises; `ward start` does the same from a
 * monitor process; the OCI face returns between the two and releases the
 * container later through the exec FIFO.
 */
#ifndef WARD_CONTAINER_H
#define WARD_CONTAINER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/cgroup.h"
#include "runtime/seccomp.h"
#include "spec/spec.h"
#include "util/err.h"

struct ward_ctx {
	const char *root_dir;        /* runtime state (--root) */
	const char *lib_dir;         /* store (--lib) */
	const char *cgroup_parent;   /* --cgroup-parent: "ward", "self", or a path */
	const char *default_network; /* for containers without --net: a network name, "none"
				      * (NULL: none; the CLI says "ward0") */
};

struct net_plan; /* src/net/attach.h */

enum ward_release {
	WARD_RELEASE_SYNC, /* container_start() from the same process */
	WARD_RELEASE_FIFO, /* any process opening the exec FIFO for reading */
};

struct ward_create_opts {
	enum ward_release release;
	bool kill_with_parent;     /* the container dies if its creator dies */
	bool write_state;          /* keep a state file under root_dir/NAME */
	int stdio[3];              /* fds for the container's 0,1,2; -1: inherit ours */
	bool managed;              /* started by `ward start`: a monitor supervises it */
	unsigned int preserve_fds; /* fds 3..3+N-1 of the caller go to the command */
};

/* The id of a failed start step, reported with the error. */
enum ward_step {
	STEP_NONE = 0,
	STEP_CGROUP_JOIN,
	STEP_WAIT_PARENT,
	STEP_NAMESPACES,
	STEP_PROPAGATION,
	STEP_OPEN_SOURCES,
	STEP_ROOT,
	STEP_IDENTITY,
	STEP_MOUNTS,
	STEP_DEVICES,
	STEP_SYSCTL,
	STEP_MASKS,
	STEP_HOSTNAME,
	STEP_LOOPBACK,
	STEP_CREATE_HOOKS,
	STEP_PIVOT,
	STEP_RLIMITS,
	STEP_TTY,
	STEP_CAPS,
	STEP_USER,
	STEP_NO_NEW_PRIVS,
	STEP_CWD,
	STEP_FDS,
	STEP_READY,
	STEP_START_HOOKS,
	STEP_INIT,
	STEP_PERSONALITY,
	STEP_SECCOMP,
	STEP_EXEC,
	STEP__MAX,
};

const char *step_name(enum ward_step s);

struct ward_container {
	const struct ward_ctx *ctx;
	struct ward_spec *spec; /* borrowed */
	char *name;
	char *state_dir;
	char *rootfs_mnt; /* where the child assembles its root */
	int state_fd;     /* O_DIRECTORY fd of state_dir, flock'ed while we own it */
	struct ward_cgroup *cg;
	struct net_plan *net;
	struct ward_bpf bpf;
	int cap_last;

	pid_t pid;
	int pidfd;
	uint64_t pid_start; /* start time, clock ticks since boot (/proc/PID/stat) */
	int sync_fd;        /* parent end of the sync socket */
	int pty_master;
	int exec_fifo_fd;
	bool born_in_cgroup;
	bool privileged_exe; /* /proc/self/exe protected (see selfexe.c) */
	/* open only during container_create(), for the child to use: */
	int join_user_fd; /* a user namespace joined by path */
	int seccomp_sock; /* connected to the seccomp listenerPath (its notify fd goes there) */

	/* failure detail from the child */
	enum ward_step failed_step;
	int failed_errno;

	struct ward_create_opts opts;
	bool created;
	bool started;
	bool used_default_subids;
	bool reclaimed;     /* its state dir was left by a ward that died */
	bool reclaimed_net; /* ... and that state recorded a network */
};

/* Exit of the container's first process. */
struct ward_exit {
	int status; /* exit code: own status, or 128+N */
	int signal; /* signal that killed it, 0 if it exited */
	bool oom;   /* the OOM killer acted in the container's cgroup */
	bool core;
};

/* Runs the spec's prestart, createRuntime and createContainer hooks; the
 * startContainer hooks run at the release.  poststart and poststop are the
 * caller's (runtime/hooks.h). */
int container_create(const struct ward_ctx *ctx, struct ward_spec *spec,
		     const struct ward_create_opts *opts, struct ward_container **out,
		     ward_err *err);
int container_start(struct ward_container *c, ward_err *err);
/* Release a container created with WARD_RELEASE_FIFO, from any process.
 * Returns once its command is executing, or with the error that stopped it
 * (a startContainer hook, the exec; the container process then exits).
 * pid and pid_start (its start time, as in the state) name the container
 * process: if it exits before it is released, -ESRCH; pid 0: not watched. */
int container_release_fifo(const struct ward_ctx *ctx, const char *name, pid_t pid,
			   uint64_t pid_start, ward_err *err);
/* Block until the container's first process exits (no I/O handling). */
int container_wait(struct ward_container *c, struct ward_exit *ex, ward_err *err);
/* Forward a signal to the container's first process (via its pidfd). */
int container_signal(struct ward_container *c, int sig);
/* Tear everything down: kill what is left, remove cgroup, state, mounts.
 * Safe to call at any point after container_create() returned, also twice. */
int container_destroy(struct ward_container *c, ward_err *err);
/* The signals a supervising ward forwards to the container (INT, TERM,
 * HUP, QUIT, USR1, USR2, WINCH): block them before create so none is lost. */
void container_forwarded_signals(sigset_t *set);
void container_free(struct ward_container *c);

/* Exit code for an error of container_create()/container_start(): 126 or
 * 127 for an exec failure, 125 otherwise. */
int container_error_exit_code(const struct ward_container *c, int r);

/* Supervise a running container in the foreground: forward signals, copy
 * terminal I/O, wait for the exit.  Used by `ward run` and `ward start -F`. */
int container_supervise(struct ward_container *c, struct ward_exit *ex, ward_err *err);

/* The default subordinate range used when /etc/subuid has none for root. */
#define WARD_DEFAULT_SUBID_START 1000000000U
#define WARD_SUBID_COUNT         65536U

#endif
