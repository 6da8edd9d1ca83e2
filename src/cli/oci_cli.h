/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ward-oci: runc's command line over ward's runtime (the OCI face).  Shared
 * between src/cli/oci*.c only; the entry point is in cli.h.
 *
 * A container's state lives in ROOT/ID (default /run/ward-oci/ID): ward's
 * state.json, extended with an "oci" object (bundle, annotations, creation
 * time, cgroup directories), a copy of config.json (for exec) and, while it
 * waits for `start`, the exec FIFO.  Nobody holds the state directory once
 * `create` returns, so liveness is the first process itself (PID and start
 * time, see manage_pid_alive()).
 */
#ifndef WARD_CLI_OCI_H
#define WARD_CLI_OCI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/container.h"
#include "util/err.h"

#define OCI_DEFAULT_ROOT "/run/ward-oci"

struct oci_globals {
	struct ward_ctx ctx; /* root_dir: --root; no default network */
	const char *log_path;
	bool log_json;
	bool debug;
	char **argv, **envp; /* as given, to re-execute from a sealed copy */
};

enum oci_status {
	OCI_CREATING,
	OCI_CREATED,
	OCI_RUNNING,
	OCI_PAUSED,
	OCI_STOPPED,
};

/* What ROOT/ID says about a container, and what its process says now. */
struct oci_record {
	char *id;
	json_t *doc; /* state.json (NULL while it is being created) */
	pid_t pid;
	uint64_t pid_start;
	const char *bundle; /* in doc */
	char **cgroup_dirs;
	enum oci_status status;
};

/* Report a failure: one line on stderr ("ward-oci: ID: message") and, with
 * --log, a line in the log file (JSON with --log-format json, as runc
 * writes it; podman and containerd read it back).  Returns 1, the exit
 * status of a failed command (as runc and crun). */
int oci_fail(const struct oci_globals *g, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int oci_fail_err(const struct oci_globals *g, const char *id, const ward_err *err);
/* A warning (stderr and log); the command goes on. */
void oci_warn(const struct oci_globals *g, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* runc's rule for IDs: [A-Za-z0-9_+.-]+, not "." or "..", at most 200. */
bool oci_id_valid(const char *id);
/* Usage error of VERB: one line, exit status 1. */
int oci_usage(const struct oci_globals *g, const char *verb, const char *synopsis);

/* Load ROOT/ID: -ENOENT (err set) when there is no such container. */
int oci_record_load(const struct oci_globals *g, const char *id, struct oci_record *r,
		    ward_err *err);
void oci_record_clear(struct oci_record *r);
/* Write r->doc back to ROOT/ID/state.json (atomically). */
int oci_record_save(const struct oci_globals *g, const struct oci_record *r, ward_err *err);
const char *oci_status_name(enum oci_status s);
/* The runtime-spec state document (runc's fields). */
json_t *oci_state_json(const struct oci_record *r);
/* The container's spec as its config.json said at create (the copy kept
 * in ROOT/ID): the hooks, the seccomp filter, the process exec starts
 * from. */
int oci_stored_spec(const struct oci_globals *g, const struct oci_record *r, struct ward_spec **out,
		    ward_err *err);
/* Run the poststart or poststop hooks of SPEC; a failure is a warning. */
void oci_run_hooks(const struct oci_globals *g, const struct oci_record *r,
		   const struct ward_spec *spec, enum ward_hook_kind kind);
/* The container's cgroup, re-opened from its recorded directories. */
int oci_cgroup_open(const struct oci_record *r, struct ward_cgroup **cg, ward_err *err);
/* The PIDs in the container's cgroup (a -1 terminated array). */
int oci_cgroup_pids(const struct oci_record *r, pid_t **out, ward_err *err);

/* Close every fd above 2 but 3..3+preserve-1 (the fds a client hands to
 * the container). */
void oci_close_inherited_fds(int preserve);
/* Write PID to PATH the way runc does (a temporary file renamed over). */
int oci_write_pid_file(const char *path, pid_t pid, ward_err *err);
/* Send a terminal's master to the client's --console-socket (SCM_RIGHTS). */
int oci_send_console(const char *socket_path, int master, ward_err *err);
/* Time in RFC 3339 with nanoseconds, UTC (as Go prints it). */
void oci_time_now(char *buf, size_t len);

/* the verbs */
int oci_create(struct oci_globals *g, int argc, char **argv);
int oci_start(struct oci_globals *g, int argc, char **argv);
int oci_run(struct oci_globals *g, int argc, char **argv);
int oci_delete(struct oci_globals *g, int argc, char **argv);
int oci_kill(struct oci_globals *g, int argc, char **argv);
int oci_exec(struct oci_globals *g, int argc, char **argv);
int oci_ps(struct oci_globals *g, int argc, char **argv);
int oci_pause(struct oci_globals *g, int argc, char **argv);
int oci_resume(struct oci_globals *g, int argc, char **argv);
int oci_update(struct oci_globals *g, int argc, char **argv);

#endif
