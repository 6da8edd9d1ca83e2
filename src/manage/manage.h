/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Containers that outlive the command that started them.
 *
 *   manage_start()     forks the future monitor, which creates and starts
 *                      the container (its child), reports back, and
 *                      executes ward-monitor in its own place;
 *   ward-monitor       relays the console, reaps the container, and
 *                      executes `ward __teardown`, i.e. manage_teardown():
 *                      network, cgroup, state, from the state file;
 *   manage_signal()    through a pidfd, after checking the process's start
 *                      time against the state file (a reused PID is never
 *                      signalled);
 *   manage_stop()      the stop signal, a wait, SIGKILL, then a wait until
 *                      the teardown released the state directory.
 *
 * Commands on one container are serialised by manage_lock() (an flock on
 * LIB/containers/NAME/.lock, or ROOT/.NAME.lock for containers not in the
 * store).
 */
#ifndef WARD_MANAGE_H
#define WARD_MANAGE_H

#include <stdbool.h>
#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/container.h"
#include "spec/spec.h"
#include "util/err.h"

struct manage_state {
	bool running; /* a ward holds the state directory */
	bool managed; /* ... and it is a monitor (ward start), not ward run */
	pid_t pid;    /* the container's first process */
	uint64_t pid_start;
	int stop_signal;
	long long created; /* seconds since the epoch */
};

/* What the state directory says; not running when there is none. */
int manage_state(const struct ward_ctx *ctx, const char *name, struct manage_state *st);

/* An exclusive lock for commands on NAME (returns the fd). */
int manage_lock(const struct ward_ctx *ctx, const char *name, ward_err *err);

/* LIB/containers/NAME (the store); NULL on ENOMEM. */
char *manage_store_dir(const struct ward_ctx *ctx, const char *name);

struct manage_start_opts {
	const char *ward_exe;    /* the ward binary, for the teardown */
	const char *monitor_exe; /* ward-monitor */
};

/* Start SPEC detached.  0 once its command runs; -EALREADY if it does
 * already; else the error of the step that failed (nothing is left). */
int manage_start(const struct ward_ctx *ctx, struct ward_spec *spec,
		 const struct manage_start_opts *o, ward_err *err);

/* `ward __teardown NAME STATUS`, run by the monitor with the state lock on
 * fd 4 and the container's network namespace on fd 8 (if any). */
int manage_teardown(const struct ward_ctx *ctx, const char *name, const char *status,
		    ward_err *err);

/* A pidfd for the container's first process, checked against the state
 * file (-ESRCH: not running). */
int manage_pidfd(const struct ward_ctx *ctx, const char *name, struct manage_state *st,
		 ward_err *err);
int manage_signal(const struct ward_ctx *ctx, const char *name, int sig, ward_err *err);
/* sig 0: the container's stop signal.  timeout_s < 0: wait forever. */
int manage_stop(const struct ward_ctx *ctx, const char *name, int sig, int timeout_s,
		ward_err *err);
/* Wait until nobody holds NAME's state directory (its teardown ended). */
int manage_wait_released(const struct ward_ctx *ctx, const char *name, int timeout_ms);

/* The last run of a stored container: "status" and "stopped" (epoch). */
int manage_last_exit(const struct ward_ctx *ctx, const char *name, int *status, long long *when);

/* ---- containers nobody holds (the OCI face) ----
 * `ward-oci create` returns while the container waits for `start`, so no
 * process holds its state directory and the flock says nothing: the
 * container's liveness is its first process, identified by PID and start
 * time. */

/* ROOT/NAME/state.json as written (NULL when absent or unreadable). */
json_t *manage_state_doc(const struct ward_ctx *ctx, const char *name);
/* Does PID still run with that start time?  A zombie does not: it has
 * exited and waits only for its parent (the client's subreaper). */
bool manage_pid_alive(pid_t pid, uint64_t start);
/* A pidfd for PID if manage_pid_alive(), else -ESRCH. */
int manage_pidfd_checked(pid_t pid, uint64_t start);
/* Re-open a cgroup recorded as its directories (one per hierarchy, as
 * manage_cgroup_dirs() lists them): cgroup_destroy() then kills what is left and
 * removes them. */
int manage_cgroup_from_dirs(char *const *dirs, struct ward_cgroup **out, ward_err *err);
/* The directories of a cgroup, in every hierarchy it has one (NULL on
 * ENOMEM). */
char **manage_cgroup_dirs(const struct ward_cgroup *cg);
/* Tear down a container nobody holds: SIGKILL for its first process (if
 * it is still that process), what is left in its cgroup, the cgroup, the
 * state directory.  Already gone is success, so it can run again. */
int manage_destroy_unheld(const struct ward_ctx *ctx, const char *name, char *const *cgroup_dirs,
			  ward_err *err);

#endif
