/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runtime state under --root: one directory per running container,
 * ROOT/NAME, locked (flock) by the process that supervises it.  A directory
 * whose lock nobody holds was left by a ward that died; it is reclaimed.
 */
#ifndef WARD_STATE_H
#define WARD_STATE_H

#include <jansson.h>

#include "runtime/container.h"

int state_acquire(struct ward_container *c, ward_err *err);
/* Is a container of that name running under ctx->root_dir (its state
 * directory exists and its lock is held)? */
bool state_is_alive(const struct ward_ctx *ctx, const char *name);
/* ROOT/NAME/state.json as written (NULL when absent or unreadable). */
json_t *state_load(const struct ward_ctx *ctx, const char *name);
/* Does a state document record a network (a non-empty "net")? */
bool state_doc_has_network(const json_t *doc);
int state_write(struct ward_container *c, const char *status, ward_err *err);
void state_release(struct ward_container *c);

/* Start time of a process in clock ticks since boot (field 22 of
 * /proc/PID/stat), the part of its identity a reused PID cannot fake. */
int proc_start_time(pid_t pid, uint64_t *out);
/* Detach what a container without a mount namespace mounted on
 * STATE_DIR/rootfs (in the caller's mount table); nothing otherwise. */
void state_detach_rootfs(const char *state_dir);
/* /proc/PID/stat: the state letter (R, S, D, Z, ...; STATE may be NULL)
 * and the start time in clock ticks after boot */
int proc_stat(pid_t pid, char *state, uint64_t *start);

#endif
