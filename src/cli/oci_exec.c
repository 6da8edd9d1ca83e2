/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ward-oci exec: another process in a running container, through
 * container_enter() (the same path as `ward attach`).
 *
 * The clients run exec detached (--detach --pid-file): they wait for the
 * process in the pid file as its subreaper and take its exit status.
 * container_enter() waits for the command itself, so exec forks a waiter
 * that runs it and exits with the command's status; the pid file names the
 * waiter, which becomes the subreaper's child when ward-oci returns.  The
 * waiter first joins the container's cgroup, so that the processes
 * container_enter() makes are born there (its own lookup of the cgroup
 * knows only `ward run`'s naming).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/oci_cli.h"
#include "manage/manage.h"
#include "oci/oci.h"
#include "oci/oci_json.h"
#include "runtime/enter.h"
#include "runtime/selfexe.h"
#include "spec/parse.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

#define EXEC_SYNOPSIS                                                                              \
	"exec [--process FILE] [-t] [--console-socket SOCKET] [-d] [--pid-file FILE] "             \
	"[--cwd DIR] [-e KEY=VALUE] [-u UID[:GID]] [-g GID] [--cap CAP] [--no-new-privs] ID "      \
	"[COMMAND [ARG...]]"

struct exec_args {
	const char *id;
	const char *process_file;
	const char *console_socket;
	const char *pid_file;
	const char *cwd;
	const char *user;
	const char *apparmor;
	const char *label;
	char **env;
	char **caps;
	char **gids;
	char **argv; /* borrowed from the command line */
	bool tty;
	bool detach;
	bool no_new_privs;
	int preserve_fds;
};

static void exec_args_clear(struct exec_args *a)
{
	strv_free(a->env);
	strv_free(a->caps);
	strv_free(a->gids);
}

static int parse_exec(struct oci_globals *g, int argc, char **argv, struct exec_args *a)
{
	static const struct option opts[] = {
	    {"process", required_argument, NULL, 'p'},
	    {"tty", no_argument, NULL, 't'},
	    {"console-socket", required_argument, NULL, 'C'},
	    {"detach", no_argument, NULL, 'd'},
	    {"pid-file", required_argument, NULL, 'P'},
	    {"cwd", required_argument, NULL, 'w'},
	    {"env", required_argument, NULL, 'e'},
	    {"user", required_argument, NULL, 'u'},
	    {"additional-gids", required_argument, NULL, 'g'},
	    {"cap", required_argument, NULL, 'c'},
	    {"no-new-privs", no_argument, NULL, 'n'},
	    {"preserve-fds", required_argument, NULL, 'f'},
	    {"apparmor", required_argument, NULL, 'a'},
	    {"process-label", required_argument, NULL, 'l'},
	    {"ignore-paused", no_argument, NULL, 'i'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(a, 0, sizeof(*a));
	while ((c = getopt_long(argc, argv, "+p:tdu:e:g:c:", opts, NULL)) != -1) {
		int r = 0;
		switch (c) {
		case 'p':
			a->process_file = optarg;
			break;
		case 't':
			a->tty = true;
			break;
		case 'C':
			a->console_socket = optarg;
			break;
		case 'd':
			a->detach = true;
			break;
		case 'P':
			a->pid_file = optarg;
			break;
		case 'w':
			a->cwd = optarg;
			break;
		case 'e':
			r = strchr(optarg, '=') ? strv_push(&a->env, optarg) : -EINVAL;
			break;
		case 'u':
			a->user = optarg;
			break;
		case 'g':
			r = strv_push(&a->gids, optarg);
			break;
		case 'c':
			r = strv_push(&a->caps, optarg);
			break;
		case 'n':
			a->no_new_privs = true;
			break;
		case 'f':
			if (parse_int(optarg, &a->preserve_fds) < 0 || a->preserve_fds < 0 ||
			    a->preserve_fds > 1024)
				r = -EINVAL;
			break;
		case 'a':
			a->apparmor = optarg;
			break;
		case 'l':
			a->label = optarg;
			break;
		case 'i':
			break;
		default:
			return oci_usage(g, "exec", EXEC_SYNOPSIS);
		}
		if (r < 0)
			return oci_fail(g, NULL, "exec: bad value '%s' for %s", optarg,
					argv[optind - 1]);
	}
	if (optind >= argc)
		return oci_usage(g, "exec", EXEC_SYNOPSIS);
	a->id = argv[optind];
	a->argv = argv + optind + 1;
	if (!a->process_file && !a->argv[0])
		return oci_fail(g, a->id, "exec: a command or --process FILE is needed");
	return 0;
}

/* KEY=VALUE replaces KEY's entry, else is appended. */
static int env_set(char ***env, const char *kv)
{
	size_t klen = strcspn(kv, "=");

	for (char **e = *env; e && *e; e++)
		if (strncmp(*e, kv, klen) == 0 && (*e)[klen] == '=') {
			char *copy = strdup(kv);
			if (!copy)
				return -ENOMEM;
			free(*e);
			*e = copy;
			return 0;
		}
	return strv_push(env, kv);
}

static int apply_flags(const struct exec_args *a, struct ward_process *p, ward_err *err)
{
	if (a->argv[0]) {
		char **args = strv_copy(a->argv);
		if (!args)
			return werr(err, ENOMEM, "exec");
		strv_free(p->args);
		p->args = args;
	}
	if (a->tty)
		p->terminal = true;
	if (a->cwd) {
		free(p->cwd);
		if (!(p->cwd = strdup(a->cwd)))
			return werr(err, ENOMEM, "exec");
	}
	STRV_FOREACH (e, a->env)
		if (env_set(&p->env, *e) < 0)
			return werr(err, ENOMEM, "exec");
	if (a->user) {
		char *colon = strchr(a->user, ':');
		_cleanup_free_ char *uid =
		    strndup(a->user, colon ? (size_t)(colon - a->user) : strlen(a->user));
		if (!uid || parse_u32(uid, &p->uid) < 0 ||
		    (colon && parse_u32(colon + 1, &p->gid) < 0))
			return werrx(err, EINVAL, "--user %s: not UID[:GID] in numbers", a->user);
	}
	STRV_FOREACH (gid, a->gids) {
		uint32_t v, *grown;
		if (parse_u32(*gid, &v) < 0)
			return werrx(err, EINVAL, "--additional-gids %s: not a number", *gid);
		grown = realloc(p->groups, (p->n_groups + 1) * sizeof(*grown));
		if (!grown)
			return werr(err, ENOMEM, "exec");
		p->groups = grown;
		p->groups[p->n_groups++] = v;
	}
	STRV_FOREACH (name, a->caps) {
		int cap;
		if (caps_from_name(*name, &cap) < 0)
			return werrx(err, EINVAL, "--cap %s: unknown capability", *name);
		/* as runc: bounding, effective and permitted; ambient only
		 * when the process has inheritable capabilities at all */
		p->caps.bounding |= 1ULL << cap;
		p->caps.effective |= 1ULL << cap;
		p->caps.permitted |= 1ULL << cap;
		if (p->caps.inheritable)
			p->caps.ambient |= 1ULL << cap;
	}
	if (a->no_new_privs)
		p->no_new_privs = true;
	if (a->apparmor) {
		free(p->apparmor_profile);
		if (!(p->apparmor_profile = strdup(a->apparmor)))
			return werr(err, ENOMEM, "exec");
	}
	if (a->label) {
		free(p->selinux_label);
		if (!(p->selinux_label = strdup(a->label)))
			return werr(err, ENOMEM, "exec");
	}
	return 0;
}

/* The spec container_enter() needs: the container's seccomp filter (from
 * the config.json kept at create) and the process to run. */
static int exec_spec(struct oci_globals *g, const struct oci_record *r, const struct exec_args *a,
		     struct ward_spec **out, ward_err *err)
{
	_cleanup_(spec_freep) struct ward_spec *ctr = NULL;
	_cleanup_(spec_freep) struct ward_spec *s = spec_new();
	json_t *doc;
	int rc;

	if (!s)
		return werr(err, ENOMEM, "exec");
	rc = oci_stored_spec(g, r, &ctr, err);
	if (rc < 0)
		return rc;
	s->name = strdup(r->id);
	s->seccomp = TAKE_PTR(ctr->seccomp);
	s->seccomp_default = ctr->seccomp_default;
	if (a->process_file) {
		doc = oci_json_load_file(a->process_file, NULL, err);
		if (!doc)
			return -err->code;
		rc = oci_process_from_json(doc, a->process_file, &s->process, err);
		json_decref(doc);
		if (rc < 0)
			return rc;
	} else {
		/* runc's default: the container's own process, with the flags */
		s->process = ctr->process;
		memset(&ctr->process, 0, sizeof(ctr->process));
	}
	rc = apply_flags(a, &s->process, err);
	if (rc < 0)
		return rc;
	if (!s->name)
		return werr(err, ENOMEM, "exec");
	*out = TAKE_PTR(s);
	return 0;
}

/* In the waiter: move into every hierarchy's cgroup of the container. */
static int join_cgroup(char *const *dirs, ward_err *err)
{
	STRV_FOREACH (d, dirs) {
		_cleanup_free_ char *p = xasprintf("%s/cgroup.procs", *d);
		int r;

		if (!p)
			return werr(err, ENOMEM, "exec");
		r = write_file(p, "0");
		if (r < 0)
			return werr(err, -r, "join cgroup %s", *d);
	}
	return 0;
}

/* The client's terminal: a pty whose master goes to --console-socket (by
 * ward-oci itself, before it returns: conmon stops listening once the
 * runtime has exited) and whose slave the waiter makes its controlling
 * terminal and stdio; container_enter() relays it to the pty it makes in
 * the container.  Returns the slave. */
static int console_terminal(const char *socket_path, ward_err *err)
{
	_cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	_cleanup_close_ int slave = -1;
	int unlock = 0, r;

	if (master < 0 || ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return werr(err, errno, "terminal: /dev/ptmx");
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return werr(err, errno, "terminal: open the pty");
	r = oci_send_console(socket_path, master, err);
	if (r < 0)
		return r;
	return TAKE_FD(slave);
}

static int take_terminal(int slave, ward_err *err)
{
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return werr(err, errno, "terminal: controlling terminal");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return werr(err, errno, "terminal: stdio");
	if (slave > 2)
		close(slave);
	return 0;
}

static _Noreturn void waiter(struct oci_globals *g, const struct oci_record *r,
			     const struct ward_spec *s, int slave, unsigned int preserve_fds)
{
	struct enter_opts eo = {
	    .ctx = &g->ctx,
	    .name = r->id,
	    .spec = s,
	    .pid = r->pid,
	    .argv = s->process.args,
	    .tty = s->process.terminal,
	    .preserve_fds = preserve_fds,
	};
	ward_err err = {0};
	int rc;

	eo.pidfd = manage_pidfd_checked(r->pid, r->pid_start);
	if (eo.pidfd < 0) {
		oci_fail(g, r->id, "exec: the container is not running");
		_exit(126);
	}
	rc = join_cgroup(r->cgroup_dirs, &err);
	if (rc >= 0 && slave >= 0)
		rc = take_terminal(slave, &err);
	if (rc >= 0)
		rc = container_enter(&eo, &err);
	if (rc < 0) {
		oci_fail_err(g, r->id, &err);
		_exit(126);
	}
	_exit(rc);
}

int oci_exec(struct oci_globals *g, int argc, char **argv)
{
	_cleanup_(spec_freep) struct ward_spec *s = NULL;
	struct exec_args a;
	struct oci_record r;
	ward_err err = {0};
	_cleanup_close_ int slave = -1;
	int rc, status = 0;
	pid_t pid;

	rc = parse_exec(g, argc, argv, &a);
	if (rc) {
		exec_args_clear(&a);
		return rc;
	}
	oci_close_inherited_fds(a.preserve_fds);
	if (oci_record_load(g, a.id, &r, &err) < 0) {
		exec_args_clear(&a);
		return oci_fail_err(g, NULL, &err);
	}
	if (r.status != OCI_RUNNING && r.status != OCI_CREATED)
		rc = oci_fail(g, a.id, "cannot exec in a %s container", oci_status_name(r.status));
	else if (exec_spec(g, &r, &a, &s, &err) < 0)
		rc = oci_fail_err(g, a.id, &err);
	else if (s->process.terminal && a.detach && !a.console_socket)
		rc = oci_fail(g, a.id,
			      "exec: a terminal for a detached process needs "
			      "--console-socket");
	if (!rc && !json_is_true(json_object_get(r.doc, "userns"))) {
		/* the processes that join the container are copies of us until
		 * they exec: protected first (CVE-2019-5736, see selfexe.c) */
		int e = selfexe_ensure_sealed(g->argv, g->envp);
		if (e < 0)
			rc = oci_fail(g, a.id, "protect the ward binary (CVE-2019-5736): %s",
				      strerror(-e));
	}
	if (rc) {
		oci_record_clear(&r);
		exec_args_clear(&a);
		return rc;
	}
	if (s->process.terminal && a.console_socket) {
		slave = console_terminal(a.console_socket, &err);
		if (slave < 0) {
			rc = oci_fail_err(g, a.id, &err);
			oci_record_clear(&r);
			exec_args_clear(&a);
			return rc;
		}
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rc = oci_fail(g, a.id, "exec: fork: %s", strerror(errno));
	} else if (pid == 0) {
		waiter(g, &r, s, slave, (unsigned int)a.preserve_fds);
	} else if (a.pid_file && oci_write_pid_file(a.pid_file, pid, &err) < 0) {
		kill(pid, SIGKILL);
		rc = oci_fail_err(g, a.id, &err);
	} else if (!a.detach) {
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				break;
		rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	oci_record_clear(&r);
	exec_args_clear(&a);
	return rc;
}
