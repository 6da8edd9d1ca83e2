/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container's namespaces: made new by clone(), joined by path, or (the
 * time namespace) prepared by the parent.
 *
 * Joining happens where the kernel allows it with the least machinery:
 *
 *  - Every namespace but the user namespace is joined by the *parent*
 *    around the clone (ns_enter_for_clone() ... ns_leave()): the container
 *    process is born in them.  That is the only way for pid and time (a
 *    process never changes its own), and it lets a container with a new
 *    user namespace join a network namespace owned by the host's (what
 *    podman does with --userns and a bridge): once in its new user
 *    namespace the child could no longer enter it.
 *  - A new time namespace is unshared by the parent too, so that its
 *    offsets are written before any process is in it.
 *  - A joined user namespace is entered by the child (setns cannot be
 *    undone), which then unshares the new namespaces so that they belong
 *    to it; a new PID namespace then needs one more fork
 *    (ns_child_join_user()).
 */
#ifndef WARD_NAMESPACES_H
#define WARD_NAMESPACES_H

#include <stdbool.h>

#include "spec/spec.h"
#include "util/err.h"

struct ns_saved {
	int own[WNS__MAX]; /* the parent's own namespaces to return to, or -1 */
	int cwd;           /* the parent's cwd, when it entered a mount namespace */
};

void ns_saved_init(struct ns_saved *sv);
/* Close the fds without returning (in the cloned child). */
void ns_saved_close(struct ns_saved *sv);

/* Namespace flags for clone(). */
unsigned long ns_clone_flags(const struct ward_spec *s);

/* In the parent, before the clone: enter the namespaces joined by path
 * (not user: its fd is opened into *user_fd for the child), and make a new
 * time namespace with the spec's offsets for our children. */
int ns_enter_for_clone(const struct ward_spec *s, struct ns_saved *sv, int *user_fd, ward_err *err);
/* After the clone, also after a failure: back into our own namespaces. */
int ns_leave(struct ns_saved *sv, ward_err *err);

/* In the child, with a user namespace joined by path: enter it and unshare
 * the new namespaces (but the cgroup namespace, made after the cgroups are
 * joined).  Returns 1 when a new PID namespace was unshared: the caller
 * must fork to be in it. */
int ns_child_join_user(const struct ward_spec *s, int user_fd, ward_err *err);
/* Whether the container process is a grandchild (see above). */
bool ns_child_forks(const struct ward_spec *s);
/* Whether the child unshares the cgroup namespace itself (it is not made
 * by clone). */
bool ns_user_joined(const struct ward_spec *s);

/* The host ids of UID and GID of the user namespace at PATH (read from
 * the maps of a short-lived process that joins it). */
int ns_userns_host_ids(const char *path, uint32_t uid, uint32_t gid, uint32_t *host_uid,
		       uint32_t *host_gid, ward_err *err);

#endif
