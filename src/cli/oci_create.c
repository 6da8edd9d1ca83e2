/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ward-oci create, start, run, kill, delete: a container's life.
 *
 * create sets the container up with container_create() and returns while
 * its first process waits on the exec FIFO; that process is left to the
 * caller's subreaper (conmon, the containerd shim), which reaps it and
 * learns its exit status.  start opens the FIFO; delete tears down from
 * the state record, since no ward process stays behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/capability.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/oci_cli.h"
#include "manage/manage.h"
#include "oci/oci.h"
#include "oci/oci_json.h"
#include "runtime/cgroup.h"
#include "runtime/hooks.h"
#include "runtime/selfexe.h"
#include "runtime/state.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/syscalls.h"

struct create_args {
	const char *id;
	const char *bundle;
	const char *pid_file;
	const char *console_socket;
	bool no_pivot;
	int preserve_fds;
	bool detach; /* run -d */
};

#define CREATE_OPTIONS                                                                             \
	"[--bundle DIR] [--pid-file FILE] [--console-socket SOCKET] [--no-pivot] "                 \
	"[--no-new-keyring] [--preserve-fds N] ID"

static int parse_create(struct oci_globals *g, int argc, char **argv, const char *verb,
			const char *synopsis, struct create_args *a)
{
	static const struct option opts[] = {
	    {"bundle", required_argument, NULL, 'b'},
	    {"pid-file", required_argument, NULL, 'p'},
	    {"console-socket", required_argument, NULL, 'c'},
	    {"no-pivot", no_argument, NULL, 'P'},
	    {"no-new-keyring", no_argument, NULL, 'K'},
	    {"preserve-fds", required_argument, NULL, 'f'},
	    {"detach", no_argument, NULL, 'd'},
	    {"no-subreaper", no_argument, NULL, 'S'},
	    {"keep", no_argument, NULL, 'k'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->bundle = ".";
	while ((c = getopt_long(argc, argv, "+b:d", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			a->bundle = optarg;
			break;
		case 'p':
			a->pid_file = optarg;
			break;
		case 'c':
			a->console_socket = optarg;
			break;
		case 'P':
			a->no_pivot = true;
			break;
		case 'K':
		case 'S':
		case 'k':
			break; /* no session keyring is ever made; nothing to keep */
		case 'f':
			if (parse_int(optarg, &a->preserve_fds) < 0 || a->preserve_fds < 0 ||
			    a->preserve_fds > 1024)
				return oci_fail(
				    g, NULL, "--preserve-fds: '%s' is not a count of fds", optarg);
			break;
		case 'd':
			if (streq(verb, "run")) {
				a->detach = true;
				break;
			}
			__attribute__((fallthrough));
		default:
			return oci_usage(g, verb, synopsis);
		}
	}
	if (optind != argc - 1)
		return oci_usage(g, verb, synopsis);
	a->id = argv[optind];
	if (!oci_id_valid(a->id))
		return oci_fail(g, NULL,
				"invalid container ID '%s' (letters, digits, _ + - . only; at most "
				"200)",
				a->id);
	return 0;
}

/* ROOT/ID's state.json gains what OCI asks about later: the bundle, the
 * annotations, the creation time, the cgroup directories; config.json is
 * kept beside it for exec. */
static int record_created(struct oci_globals *g, struct ward_container *c, const char *bundle,
			  json_t *config, ward_err *err)
{
	_cleanup_free_ char *cfg = xasprintf("%s/config.json", c->state_dir);
	_cleanup_strv_ char **dirs = manage_cgroup_dirs(c->cg);
	struct oci_record r = {.id = c->name};
	json_t *oci, *ann, *jd;
	char now[64];
	int rc;

	if (!cfg || !dirs)
		return werr(err, ENOMEM, "state");
	r.doc = manage_state_doc(&g->ctx, c->name);
	if (!r.doc)
		return werrx(err, EIO, "state: %s/state.json is missing", c->state_dir);
	oci_time_now(now, sizeof(now));
	ann = json_object_get(config, "annotations");
	jd = json_array();
	STRV_FOREACH (d, dirs)
		json_array_append_new(jd, json_string(*d));
	oci = json_pack("{s:s, s:s, s:o, s:o}", "bundle", bundle, "created", now, "annotations",
			json_is_object(ann) ? json_incref(ann) : json_object(), "cgroup_dirs", jd);
	if (!oci || json_object_set_new(r.doc, "oci", oci) < 0) {
		json_decref(r.doc);
		return werr(err, ENOMEM, "state");
	}
	if (json_dump_file(config, cfg, JSON_COMPACT) < 0) {
		json_decref(r.doc);
		return werr(err, errno ? errno : EIO, "state: write %s", cfg);
	}
	rc = oci_record_save(g, &r, err);
	json_decref(r.doc);
	return rc;
}

/* Everything but the release: the container waits on its FIFO after this. */
static int create_container(struct oci_globals *g, const struct create_args *a, bool run_mode,
			    struct ward_container **out, struct ward_spec **spec_out)
{
	struct ward_create_opts opts = {
	    .release = WARD_RELEASE_FIFO,
	    .kill_with_parent = false,
	    .write_state = true,
	    .stdio = {0, 1, 2},
	};
	_cleanup_(spec_freep) struct ward_spec *spec = NULL;
	_cleanup_free_ char *bundle = realpath(a->bundle, NULL);
	_cleanup_free_ char *cfg_path = NULL;
	_cleanup_close_ int lock = -1;
	struct ward_container *c = NULL;
	struct oci_record old;
	ward_err err = {0};
	json_t *config;
	int r;

	if (!bundle)
		return oci_fail(g, a->id, "bundle %s: %s", a->bundle, strerror(errno));
	lock = manage_lock(&g->ctx, a->id, &err);
	if (lock < 0)
		return oci_fail_err(g, a->id, &err);
	if (oci_record_load(g, a->id, &old, &err) == 0) {
		bool exists = old.status != OCI_CREATING;
		/* "creating" while we hold its lock: left by a create that was
		 * killed.  Removed here, so that the runtime does not reclaim
		 * it as one of ward's own (with their network) */
		if (!exists)
			manage_destroy_unheld(&g->ctx, a->id, old.cgroup_dirs, &err);
		oci_record_clear(&old);
		if (exists)
			return oci_fail(g, NULL, "container %s already exists", a->id);
	}
	/* parsed once: the spec, and the document kept for exec and hooks */
	cfg_path = xasprintf("%s/config.json", bundle);
	config = cfg_path ? oci_json_load_file(cfg_path, "config.json", &err) : NULL;
	if (!config)
		return oci_fail_err(g, a->id, &err);
	r = oci_spec_from_json(config, "config.json", bundle, a->id, &spec, &err);
	if (r < 0) {
		json_decref(config);
		return oci_fail_err(g, a->id, &err);
	}
	if (!spec->ns[WNS_MNT].enabled) {
		/* the runtime leaves CAP_SYS_CHROOT out (caps_for()) */
		uint64_t bit = 1ULL << CAP_SYS_CHROOT;
		const struct ward_caps *k = &spec->process.caps;

		wlog(WLOG_WARNING,
		     "%s: config.json: linux.namespaces has no mount namespace: the container "
		     "shares this mount table and is confined by chroot only%s",
		     a->id,
		     (k->bounding | k->permitted) & bit ? "; CAP_SYS_CHROOT, which would let it "
							  "out, is left out"
							: "");
	}
	if (!spec->ns[WNS_USER].enabled) {
		/* container root is host root, and our process waits in the
		 * container until `start`: no process in it may ever open our
		 * binary for writing (CVE-2019-5736, see selfexe.c) */
		r = selfexe_ensure_sealed(g->argv, g->envp);
		if (r < 0) {
			json_decref(config);
			werr(&err, -r, "protect the ward binary (CVE-2019-5736)");
			return oci_fail_err(g, a->id, &err);
		}
	}
	if (a->no_pivot)
		spec->no_pivot = true;
	if (spec->process.terminal && !a->console_socket && !run_mode) {
		json_decref(config);
		return oci_fail(g, a->id,
				"process.terminal is set: --console-socket is needed to hand "
				"over the terminal");
	}
	if (spec->process.terminal)
		opts.stdio[0] = opts.stdio[1] = opts.stdio[2] = -1;
	opts.preserve_fds = (unsigned int)a->preserve_fds;
	r = container_create(&g->ctx, spec, &opts, &c, &err);
	if (r < 0) {
		json_decref(config);
		return oci_fail_err(g, a->id, &err);
	}
	r = record_created(g, c, bundle, config, &err);
	json_decref(config);
	if (r >= 0 && spec->process.terminal && a->console_socket)
		r = oci_send_console(a->console_socket, c->pty_master, &err);
	if (r >= 0 && a->pid_file)
		r = oci_write_pid_file(a->pid_file, c->pid, &err);
	if (r < 0) {
		ward_err ignored;
		container_destroy(c, &ignored);
		container_free(c);
		return oci_fail_err(g, a->id, &err);
	}
	*out = c;
	*spec_out = TAKE_PTR(spec);
	return 0;
}

int oci_create(struct oci_globals *g, int argc, char **argv)
{
	struct create_args a;
	struct ward_container *c = NULL;
	struct ward_spec *spec = NULL;
	int r;

	r = parse_create(g, argc, argv, "create", "create " CREATE_OPTIONS, &a);
	if (r)
		return r;
	/* the clients' extra pipes (conmon's sync pipe on fd 3) are not the
	 * container's */
	oci_close_inherited_fds(a.preserve_fds);
	r = create_container(g, &a, false, &c, &spec);
	if (r)
		return r;
	/* leave the container waiting; its state is on disk */
	container_free(c);
	spec_free(spec);
	return 0;
}

/* ---- start ---- */

static const char *not_startable(enum oci_status s)
{
	switch (s) {
	case OCI_CREATED:
		return NULL;
	case OCI_CREATING:
		return "cannot start a container that is still being created";
	case OCI_RUNNING:
	case OCI_PAUSED:
		return "cannot start an already running container";
	case OCI_STOPPED:
		break;
	}
	return "cannot start a container that has stopped";
}

static int release_fifo(struct oci_globals *g, const struct oci_record *r, ward_err *err)
{
	return container_release_fifo(&g->ctx, r->id, r->pid, r->pid_start, err);
}

/* The poststart hooks run after the command is executed (runtime-spec):
 * ward learns that at the exec itself, before the new program ran one
 * instruction.  Give it the CPU first, until it exits or first waits
 * (state neither R nor D) or for at most 50 ms, so that a hook finds the
 * program started rather than racing its first steps (the validation
 * suite's poststart test reads the program's output before the hook's). */
static void let_the_command_run(const struct oci_record *r)
{
	for (int i = 0; i < 100; i++) {
		struct timespec half_ms = {0, 500 * 1000};
		uint64_t start;
		char st;

		if (proc_stat(r->pid, &st, &start) < 0 || start != r->pid_start ||
		    (st != 'R' && st != 'D'))
			return;
		nanosleep(&half_ms, NULL);
	}
}

static int release(struct oci_globals *g, const char *id)
{
	_cleanup_(spec_freep) struct ward_spec *spec = NULL;
	_cleanup_close_ int lock = -1;
	struct oci_record r;
	ward_err err = {0};
	const char *why;
	int rc;

	lock = manage_lock(&g->ctx, id, &err);
	if (lock < 0)
		return oci_fail_err(g, id, &err);
	if (oci_record_load(g, id, &r, &err) < 0)
		return oci_fail_err(g, NULL, &err);
	why = not_startable(r.status);
	if (!why && oci_stored_spec(g, &r, &spec, &err) < 0) {
		why = err.msg;
	} else if (!why && !spec->process.args) {
		/* it can never run: stopped, and start says why */
		_cleanup_close_ int fd = manage_pidfd_checked(r.pid, r.pid_start);
		if (fd >= 0)
			ward_pidfd_send_signal(fd, SIGKILL, NULL, 0);
		why = "config.json has no process to start";
	}
	if (why) {
		rc = oci_fail(g, id, "%s", why);
		oci_record_clear(&r);
		return rc;
	}
	rc = release_fifo(g, &r, &err);
	if (rc < 0)
		rc = oci_fail_err(g, id, &err);
	else if (spec->hooks.n[WHOOK_POSTSTART]) {
		let_the_command_run(&r);
		oci_run_hooks(g, &r, spec, WHOOK_POSTSTART);
	}
	oci_record_clear(&r);
	return rc;
}

int oci_start(struct oci_globals *g, int argc, char **argv)
{
	if (argc != 2)
		return oci_usage(g, "start", "start ID");
	return release(g, argv[1]);
}

/* ---- kill ---- */

static int signal_all(const struct oci_record *r, int sig, ward_err *err)
{
	_cleanup_free_ pid_t *pids = NULL;
	int rc = oci_cgroup_pids(r, &pids, err);

	if (rc < 0)
		return rc;
	for (pid_t *p = pids; *p > 0; p++)
		if (kill(*p, sig) < 0 && errno != ESRCH)
			return werr(err, errno, "signal %d", (int)*p);
	return 0;
}

int oci_kill(struct oci_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"all", no_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	_cleanup_close_ int pidfd = -1;
	struct oci_record r;
	ward_err err = {0};
	bool all = false;
	int sig = SIGTERM, c, rc = 0;

	while ((c = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
		if (c != 'a')
			return oci_usage(g, "kill", "kill [--all] ID [SIGNAL]");
		all = true;
	}
	if (argc - optind < 1 || argc - optind > 2)
		return oci_usage(g, "kill", "kill [--all] ID [SIGNAL]");
	if (argc - optind == 2 && parse_signal(argv[optind + 1], &sig) < 0)
		return oci_fail(g, NULL, "kill: unknown signal '%s'", argv[optind + 1]);
	if (oci_record_load(g, argv[optind], &r, &err) < 0)
		return oci_fail_err(g, NULL, &err);
	if (r.status == OCI_STOPPED || r.status == OCI_CREATING) {
		oci_record_clear(&r);
		return oci_fail(g, argv[optind], "container not running");
	}
	pidfd = manage_pidfd_checked(r.pid, r.pid_start);
	if (pidfd >= 0 && ward_pidfd_send_signal(pidfd, sig, NULL, 0) < 0 && errno != ESRCH)
		rc = werr(&err, errno, "signal %s", signal_name(sig));
	if (rc >= 0 && all)
		rc = signal_all(&r, sig, &err);
	oci_record_clear(&r);
	if (rc < 0)
		return oci_fail_err(g, argv[optind], &err);
	return 0;
}

/* ---- delete ---- */

/* SIGKILL for the first process, and wait until it is gone (it is not our
 * child: its pidfd turns readable when it exits). */
static void kill_and_wait(const struct oci_record *r)
{
	_cleanup_close_ int fd = manage_pidfd_checked(r->pid, r->pid_start);
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (fd < 0)
		return;
	ward_pidfd_send_signal(fd, SIGKILL, NULL, 0);
	if (r->status == OCI_PAUSED) {
		struct ward_cgroup *cg = NULL;
		ward_err ignored;
		if (oci_cgroup_open(r, &cg, &ignored) == 0)
			cgroup_freeze(cg, false, &ignored);
		cgroup_free(cg);
	}
	while (poll(&p, 1, 10000) < 0 && errno == EINTR)
		;
}

static int remove_container(struct oci_globals *g, struct oci_record *r)
{
	_cleanup_free_ char *lockfile = xasprintf("%s/.locks/%s", g->ctx.root_dir, r->id);
	_cleanup_(spec_freep) struct ward_spec *spec = NULL;
	ward_err err = {0};
	int rc;

	/* read before the state directory, and the config kept in it, go */
	if (r->doc && oci_stored_spec(g, r, &spec, &err) < 0)
		oci_warn(g, r->id, "poststop hooks: %s", err.msg);
	kill_and_wait(r);
	rc = manage_destroy_unheld(&g->ctx, r->id, r->cgroup_dirs, &err);
	if (rc < 0)
		return oci_fail_err(g, r->id, &err);
	if (lockfile)
		unlink(lockfile);
	if (spec)
		oci_run_hooks(g, r, spec, WHOOK_POSTSTOP);
	return 0;
}

int oci_delete(struct oci_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	_cleanup_close_ int lock = -1;
	struct oci_record r;
	ward_err err = {0};
	bool force = false;
	const char *id;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
		if (c != 'f')
			return oci_usage(g, "delete", "delete [--force] ID");
		force = true;
	}
	if (optind != argc - 1)
		return oci_usage(g, "delete", "delete [--force] ID");
	id = argv[optind];
	if (!oci_id_valid(id))
		return force ? 0 : oci_fail(g, NULL, "container %s does not exist", id);
	lock = manage_lock(&g->ctx, id, &err);
	if (lock < 0)
		return oci_fail_err(g, id, &err);
	if (oci_record_load(g, id, &r, &err) < 0) {
		/* containerd deletes twice, the second time with --force */
		return force ? 0 : oci_fail_err(g, NULL, &err);
	}
	/* the runtime spec: deleting a container that is not stopped is an
	 * error (runc and crun also delete a created one; containerd and
	 * podman pass --force when they mean it) */
	if (!force && r.status != OCI_STOPPED) {
		rc = oci_fail(g, id, "cannot delete a container that is not stopped: %s",
			      oci_status_name(r.status));
		oci_record_clear(&r);
		return rc;
	}
	rc = remove_container(g, &r);
	oci_record_clear(&r);
	return rc;
}

/* ---- run: create, start, wait, delete ---- */

int oci_run(struct oci_globals *g, int argc, char **argv)
{
	struct create_args a;
	struct ward_container *c = NULL;
	struct ward_spec *spec = NULL;
	struct ward_exit ex;
	struct oci_record rec;
	ward_err err = {0};
	int r;

	r = parse_create(g, argc, argv, "run", "run [-d] " CREATE_OPTIONS, &a);
	if (r)
		return r;
	oci_close_inherited_fds(a.preserve_fds);
	if (!a.detach)
		cli_block_forwarded_signals();
	r = create_container(g, &a, !a.detach, &c, &spec);
	if (r)
		return r;
	r = release(g, a.id);
	if (r || a.detach) {
		container_free(c);
		spec_free(spec);
		if (r && oci_record_load(g, a.id, &rec, &err) == 0) {
			remove_container(g, &rec);
			oci_record_clear(&rec);
		}
		return r;
	}
	/* the container is our child: supervise it as `ward run` does */
	r = container_supervise(c, &ex, &err);
	container_free(c);
	spec_free(spec);
	if (oci_record_load(g, a.id, &rec, &err) == 0) {
		remove_container(g, &rec);
		oci_record_clear(&rec);
	}
	if (r < 0)
		return oci_fail_err(g, a.id, &err);
	return ex.status;
}
