/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * OCI lifecycle hooks (runtime-spec config.md, "POSIX-platform Hooks").
 * Each hook is a program run with its own args and env (nothing of ours
 * is inherited, PATH included), the container's state document on stdin
 * and an optional timeout after which it is killed.  Where they run:
 *
 *   prestart, createRuntime   container_create(), in the runtime's
 *                             namespaces, once the container's exist and
 *                             before it pivots into its root
 *   createContainer           the container process, in its namespaces,
 *                             after its mounts and before pivot_root
 *   startContainer            the container process after it is released,
 *                             before the command is executed
 *   poststart, poststop       the caller (the `start` and `delete` verbs):
 *                             hooks_state_json() + hooks_run_warn()
 *
 * A failure of the first four fails the create or the start; failures of
 * poststart and poststop are warnings.
 */
#ifndef WARD_HOOKS_H
#define WARD_HOOKS_H

#include <stddef.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/err.h"

/* The runtime-spec version the state document complies with. */
#define WARD_OCI_STATE_VERSION "1.2.1"

/* The state document: {ociVersion, id, status, pid, bundle, annotations}.
 * pid <= 0 leaves it out (a stopped container).  *out is malloc'd. */
int hooks_state_json(const struct ward_spec *s, const char *id, const char *status, pid_t pid,
		     char **out, ward_err *err);

/* Run the hooks in order; the first that fails (non-zero exit, signal,
 * timeout, not executable) stops the list and is reported with the end of
 * its output. */
int hooks_run(const struct ward_hook *list, size_t n, const char *state_json, ward_err *err);
/* Run them all; each failure is logged as a warning naming KIND
 * ("poststop").  Returns how many failed. */
int hooks_run_warn(const struct ward_hook *list, size_t n, const char *state_json,
		   const char *kind);

/* The same from an fd holding the state document (read from offset 0 by
 * each hook), with the hooks' working directory (NULL: ours). */
int hooks_run_fd(const struct ward_hook *list, size_t n, int state_fd, const char *cwd,
		 ward_err *err);
/* A memfd holding the state document, for hooks_run_fd(). */
int hooks_state_memfd(const char *state_json, ward_err *err);

#endif
