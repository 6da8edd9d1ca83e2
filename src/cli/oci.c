/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ward-oci: the ward binary under another name speaks runc's command line
 * (global options, the verb table, errors and the --log file, the state
 * record, and the verbs that only read: state, list, features, spec).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/oci_cli.h"
#include "config.h"
#include "manage/manage.h"
#include "oci/oci.h"
#include "oci/oci_json.h"
#include "runtime/cgroup.h"
#include "runtime/hooks.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/syscalls.h"

/* ---- errors and the log file ---- */

void oci_time_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char sec[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", sec, ts.tv_nsec);
}

/* One line in the --log file, opened for each line so that no descriptor
 * of ours is ever open while a container process is made. */
static void log_line(const struct oci_globals *g, const char *level, const char *msg)
{
	_cleanup_free_ char *line = NULL;
	char now[64];
	int fd;

	if (!g->log_path)
		return;
	oci_time_now(now, sizeof(now));
	if (g->log_json) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg, "time", now);
		char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		line = text ? xasprintf("%s\n", text) : NULL;
		free(text);
	} else {
		line = xasprintf("time=\"%s\" level=%s msg=\"%s\"\n", now, level, msg);
	}
	fd = open(g->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0 || !line) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (write_all(fd, line, strlen(line)) < 0) {
		/* nowhere else to say it: stderr has the message already */
	}
	close(fd);
}

static void report(const struct oci_globals *g, const char *level, const char *id, const char *msg)
{
	_cleanup_free_ char *full = id && *id ? xasprintf("%s: %s", id, msg) : NULL;
	const char *text = full ? full : msg;

	fprintf(stderr, "ward-oci: %s%s\n", streq(level, "warning") ? "warning: " : "", text);
	log_line(g, level, text);
}

int oci_fail(const struct oci_globals *g, const char *id, const char *fmt, ...)
{
	char msg[WARD_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(g, "error", id, msg);
	return 1;
}

int oci_fail_err(const struct oci_globals *g, const char *id, const ward_err *err)
{
	return oci_fail(g, id, "%s", err->msg);
}

void oci_warn(const struct oci_globals *g, const char *id, const char *fmt, ...)
{
	char msg[WARD_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(g, "warning", id, msg);
}

/* the library's progress and debug lines: to the log, and with --debug
 * to stderr too */
static void library_log(enum ward_log_level level, const char *msg, void *data)
{
	static const char *const names[] = {"error", "warning", "info", "info", "debug"};
	const struct oci_globals *g = data;

	if (g->debug || level <= WLOG_WARNING)
		fprintf(stderr, "ward-oci: %s%s\n", level == WLOG_WARNING ? "warning: " : "", msg);
	log_line(g, names[level], msg);
}

int oci_usage(const struct oci_globals *g, const char *verb, const char *synopsis)
{
	return oci_fail(g, NULL, "%s: usage: ward-oci %s", verb, synopsis);
}

bool oci_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 200 || streq(id, ".") || streq(id, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* ---- small helpers shared by the verbs ---- */

void oci_close_inherited_fds(int preserve)
{
	unsigned int from = 3 + (unsigned int)(preserve > 0 ? preserve : 0);

	/* a hole among the preserved fds is filled, so that no fd of ours
	 * lands there and reaches the container with them */
	for (unsigned int fd = 3; fd < from; fd++)
		if (fcntl((int)fd, F_GETFD) < 0 && errno == EBADF) {
			int null = open("/dev/null", O_RDWR);
			if (null >= 0 && null != (int)fd) {
				dup2(null, (int)fd);
				close(null);
			}
		}
	if (ward_close_range(from, ~0U, 0) == 0)
		return;
	for (unsigned int fd = from; fd < 65536; fd++)
		close((int)fd);
}

int oci_write_pid_file(const char *path, pid_t pid, ward_err *err)
{
	char text[32];
	int r;

	snprintf(text, sizeof(text), "%d", (int)pid);
	r = write_file_atomic(path, text, strlen(text), 0644);
	if (r < 0)
		return werr(err, -r, "pid file %s", path);
	return 0;
}

int oci_send_console(const char *socket_path, int master, ward_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int sock = -1;
	char name[64] = "/dev/ptmx";
	int n;

	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return werrx(err, ENAMETOOLONG, "--console-socket %s: path too long", socket_path);
	strcpy(sa.sun_path, socket_path);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return werr(err, errno, "--console-socket: socket");
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return werr(err, errno, "--console-socket %s: connect", socket_path);
	/* runc sends the terminal's name along; clients use it as a label */
	if (ioctl(master, TIOCGPTN, &n) == 0)
		snprintf(name, sizeof(name), "/dev/pts/%d", n);
	if (send_fd(sock, master, name, strlen(name)) < 0)
		return werr(err, errno, "--console-socket %s: send the terminal", socket_path);
	return 0;
}

/* ---- the state record ---- */

const char *oci_status_name(enum oci_status s)
{
	static const char *const names[] = {"creating", "created", "running", "paused", "stopped"};
	return names[s];
}

static bool cgroup_frozen(char *const *dirs)
{
	STRV_FOREACH (d, dirs) {
		_cleanup_free_ char *v1 = xasprintf("%s/freezer.state", *d);
		_cleanup_free_ char *v2 = xasprintf("%s/cgroup.freeze", *d);
		_cleanup_free_ char *text = NULL;

		if (v1 && read_file(v1, &text, NULL) == 0 && startswith(strstrip(text), "FROZEN"))
			return true;
		free(text);
		text = NULL;
		if (v2 && read_file(v2, &text, NULL) == 0 && streq(strstrip(text), "1"))
			return true;
	}
	return false;
}

int oci_record_load(const struct oci_globals *g, const char *id, struct oci_record *r,
		    ward_err *err)
{
	_cleanup_free_ char *dir = xasprintf("%s/%s", g->ctx.root_dir, id);
	_cleanup_free_ char *fifo = xasprintf("%s/%s/exec.fifo", g->ctx.root_dir, id);
	json_t *oci, *dirs, *x;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!dir || !fifo)
		return werr(err, ENOMEM, "state");
	if (!oci_id_valid(id) || !path_exists(dir))
		return werrx(err, ENOENT, "container %s does not exist", id);
	r->id = strdup(id);
	r->cgroup_dirs = calloc(1, sizeof(char *));
	if (!r->id || !r->cgroup_dirs)
		return werr(err, ENOMEM, "state");
	r->doc = manage_state_doc(&g->ctx, id);
	oci = json_object_get(r->doc, "oci");
	if (!r->doc || !oci) {
		r->status = OCI_CREATING;
		return 0;
	}
	r->pid = (pid_t)json_integer_value(json_object_get(r->doc, "pid"));
	r->pid_start = (uint64_t)json_integer_value(json_object_get(r->doc, "pid_start"));
	r->bundle = json_string_value(json_object_get(oci, "bundle"));
	dirs = json_object_get(oci, "cgroup_dirs");
	json_array_foreach (dirs, i, x)
		if (json_is_string(x) && strv_push(&r->cgroup_dirs, json_string_value(x)) < 0)
			return werr(err, ENOMEM, "state");
	if (!manage_pid_alive(r->pid, r->pid_start))
		r->status = OCI_STOPPED;
	else if (path_exists(fifo))
		r->status = OCI_CREATED;
	else if (cgroup_frozen(r->cgroup_dirs))
		r->status = OCI_PAUSED;
	else
		r->status = OCI_RUNNING;
	return 0;
}

void oci_record_clear(struct oci_record *r)
{
	free(r->id);
	json_decref(r->doc);
	strv_free(r->cgroup_dirs);
	memset(r, 0, sizeof(*r));
}

int oci_record_save(const struct oci_globals *g, const struct oci_record *r, ward_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s/state.json", g->ctx.root_dir, r->id);
	_cleanup_free_ char *text = json_dumps(r->doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc;

	if (!path || !text)
		return werr(err, ENOMEM, "state");
	rc = write_file_atomic(path, text, strlen(text), 0600);
	if (rc < 0)
		return werr(err, -rc, "state: write %s", path);
	return 0;
}

json_t *oci_state_json(const struct oci_record *r)
{
	json_t *oci = json_object_get(r->doc, "oci");
	json_t *ann = json_object_get(oci, "annotations");
	json_t *o = json_pack(
	    "{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s}", "ociVersion", OCI_SPEC_VERSION_MAX, "id",
	    r->id, "status", oci_status_name(r->status), "pid",
	    r->status == OCI_STOPPED ? 0 : (int)r->pid, "bundle", r->bundle ? r->bundle : "",
	    "rootfs", json_string_value(json_object_get(r->doc, "rootfs")) ?: "", "created",
	    json_string_value(json_object_get(oci, "created")) ?: "", "owner", "");

	if (o && json_is_object(ann) && json_object_size(ann))
		json_object_set(o, "annotations", ann);
	return o;
}

int oci_stored_spec(const struct oci_globals *g, const struct oci_record *r, struct ward_spec **out,
		    ward_err *err)
{
	_cleanup_free_ char *cfg = xasprintf("%s/%s/config.json", g->ctx.root_dir, r->id);
	json_t *doc;
	int rc;

	if (!cfg)
		return werr(err, ENOMEM, "state");
	doc = oci_json_load_file(cfg, "config.json", err);
	if (!doc)
		return -err->code;
	rc = oci_spec_from_json(doc, "config.json", r->bundle ? r->bundle : "/", r->id, out, err);
	json_decref(doc);
	return rc;
}

void oci_run_hooks(const struct oci_globals *g, const struct oci_record *r,
		   const struct ward_spec *spec, enum ward_hook_kind kind)
{
	bool post = kind == WHOOK_POSTSTOP;
	_cleanup_free_ char *state = NULL;
	ward_err err = {0};

	if (!spec->hooks.n[kind])
		return;
	if (hooks_state_json(spec, r->id, post ? "stopped" : "running", post ? 0 : r->pid, &state,
			     &err) < 0) {
		oci_warn(g, r->id, "%s hooks: %s", spec_hook_name(kind), err.msg);
		return;
	}
	/* each failure is reported as a warning through the log handler */
	hooks_run_warn(spec->hooks.list[kind], spec->hooks.n[kind], state, spec_hook_name(kind));
}

int oci_cgroup_open(const struct oci_record *r, struct ward_cgroup **cg, ward_err *err)
{
	if (!r->cgroup_dirs || !r->cgroup_dirs[0])
		return werrx(err, ENOENT, "the container has no cgroup");
	return manage_cgroup_from_dirs(r->cgroup_dirs, cg, err);
}

int oci_cgroup_pids(const struct oci_record *r, pid_t **out, ward_err *err)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;

	*out = NULL;
	/* every hierarchy holds every process; the first readable one says */
	STRV_FOREACH (d, r->cgroup_dirs) {
		_cleanup_free_ char *p = xasprintf("%s/cgroup.procs", *d);
		_cleanup_free_ char *text = NULL;
		char *save = NULL;

		if (!p)
			return werr(err, ENOMEM, "ps");
		if (read_file(p, &text, NULL) < 0)
			continue;
		for (char *s = strtok_r(text, "\n", &save); s; s = strtok_r(NULL, "\n", &save)) {
			int v;
			pid_t *grown;
			if (parse_int(s, &v) < 0 || v <= 0)
				continue;
			grown = realloc(pids, (n + 2) * sizeof(pid_t));
			if (!grown)
				return werr(err, ENOMEM, "ps");
			pids = grown;
			pids[n++] = v;
		}
		break;
	}
	if (!pids && !(pids = calloc(1, sizeof(pid_t))))
		return werr(err, ENOMEM, "ps");
	pids[n] = -1;
	*out = TAKE_PTR(pids);
	return 0;
}

/* ---- state, list, features, spec ---- */

static int print_json(json_t *o)
{
	char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

	if (!text)
		return -ENOMEM;
	puts(text);
	free(text);
	return 0;
}

static int oci_state(struct oci_globals *g, int argc, char **argv)
{
	struct oci_record r;
	ward_err err = {0};
	json_t *o;
	int rc;

	if (argc != 2)
		return oci_usage(g, "state", "state ID");
	if (oci_record_load(g, argv[1], &r, &err) < 0)
		return oci_fail_err(g, NULL, &err);
	o = oci_state_json(&r);
	rc = print_json(o) < 0 ? oci_fail(g, argv[1], "state: out of memory") : 0;
	json_decref(o);
	oci_record_clear(&r);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int oci_list(struct oci_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"quiet", no_argument, NULL, 'q'},
	    {NULL, 0, NULL, 0},
	};
	_cleanup_closedir_ DIR *d = NULL;
	_cleanup_strv_ char **ids = calloc(1, sizeof(char *));
	json_t *all = json_array();
	bool json = false, quiet = false;
	struct dirent *de;
	int c;

	while ((c = getopt_long(argc, argv, "+f:q", opts, NULL)) != -1) {
		if (c == 'f' && (streq(optarg, "json") || streq(optarg, "table")))
			json = streq(optarg, "json");
		else if (c == 'q')
			quiet = true;
		else {
			json_decref(all);
			return oci_usage(g, "list", "list [--format table|json] [-q]");
		}
	}
	d = opendir(g->ctx.root_dir);
	while (d && ids && (de = readdir(d)))
		if (de->d_name[0] != '.' && oci_id_valid(de->d_name))
			strv_push(&ids, de->d_name);
	if (!ids || !all) {
		json_decref(all);
		return oci_fail(g, NULL, "list: out of memory");
	}
	qsort(ids, strv_length(ids), sizeof(char *), by_name);
	if (!json && !quiet)
		printf("%-12s %-10s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	STRV_FOREACH (id, ids) {
		struct oci_record r;
		ward_err err;
		json_t *o;

		if (oci_record_load(g, *id, &r, &err) < 0)
			continue;
		o = oci_state_json(&r);
		if (quiet)
			printf("%s\n", *id);
		else if (!json && o)
			printf("%-12s %-10d %-10s %-40s %-30s %s\n", *id,
			       (int)json_integer_value(json_object_get(o, "pid")),
			       oci_status_name(r.status), r.bundle ? r.bundle : "",
			       json_string_value(json_object_get(o, "created")), "root");
		if (o)
			json_array_append_new(all, o);
		oci_record_clear(&r);
	}
	if (json && !quiet)
		print_json(all);
	json_decref(all);
	return 0;
}

static int oci_features_verb(struct oci_globals *g, int argc, char **argv)
{
	json_t *o;
	int rc;

	if (argc != 1)
		return oci_usage(g, "features", "features");
	o = oci_features();
	rc = print_json(o) < 0 ? oci_fail(g, NULL, "features: out of memory") : 0;
	json_decref(o);
	return rc;
}

static int oci_spec_verb(struct oci_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"bundle", required_argument, NULL, 'b'},
	    {"rootless", no_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	_cleanup_free_ char *path = NULL;
	const char *bundle = ".";
	bool rootless = false;
	json_t *o;
	int c, fd;

	while ((c = getopt_long(argc, argv, "+b:", opts, NULL)) != -1) {
		if (c == 'b')
			bundle = optarg;
		else if (c == 'r')
			rootless = true;
		else
			return oci_usage(g, "spec", "spec [--rootless] [--bundle DIR]");
	}
	if (optind != argc)
		return oci_usage(g, "spec", "spec [--rootless] [--bundle DIR]");
	path = xasprintf("%s/config.json", bundle);
	o = oci_default_config(rootless);
	if (!path || !o) {
		json_decref(o);
		return oci_fail(g, NULL, "spec: out of memory");
	}
	/* like runc: never overwrite a bundle's config */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		json_decref(o);
		return oci_fail(g, NULL, "spec: %s: %s", path,
				e == EEXIST ? "exists; remove it first" : strerror(e));
	}
	c = json_dumpfd(o, fd, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (c < 0 || write(fd, "\n", 1) != 1) {
		close(fd);
		unlink(path);
		return oci_fail(g, NULL, "spec: write %s: %s", path, strerror(errno));
	}
	close(fd);
	return 0;
}

/* ---- dispatch ---- */

struct oci_verb {
	const char *name;
	int (*run)(struct oci_globals *g, int argc, char **argv);
	const char *summary;
};

static int oci_help(struct oci_globals *g, int argc, char **argv);

static const struct oci_verb oci_verbs[] = {
    {"create", oci_create, "create a container from a bundle; it waits for `start`"},
    {"start", oci_start, "run the process of a created container"},
    {"run", oci_run, "create and start a container, wait for it and delete it"},
    {"state", oci_state, "print a container's state (runtime-spec JSON)"},
    {"kill", oci_kill, "send a signal to a container's process (or all with --all)"},
    {"delete", oci_delete, "remove a stopped container (--force: any)"},
    {"exec", oci_exec, "run another process in a container"},
    {"ps", oci_ps, "list the processes in a container's cgroup"},
    {"list", oci_list, "list the containers"},
    {"pause", oci_pause, "freeze every process of a container"},
    {"resume", oci_resume, "thaw a paused container"},
    {"update", oci_update, "change a container's cgroup limits"},
    {"features", oci_features_verb, "print what this runtime supports (JSON)"},
    {"spec", oci_spec_verb, "write a default config.json"},
    {"help", oci_help, "show this text"},
};

static int oci_help(struct oci_globals *g, int argc, char **argv)
{
	const char *page = help_page("oci");

	if (page) {
		fputs(page, stdout);
		return 0;
	}
	printf("usage: ward-oci [--root DIR] [--log FILE] [--log-format text|json] [--debug] "
	       "VERB ...\n\nverbs:\n");
	for (size_t i = 0; i < ARRAY_SIZE(oci_verbs); i++)
		printf("  %-9s %s\n", oci_verbs[i].name, oci_verbs[i].summary);
	return 0;
}

static int print_version(void)
{
	printf("ward-oci version %s\nspec: %s\n", WARD_VERSION, OCI_SPEC_VERSION_MAX);
	return 0;
}

int cli_oci_main(int argc, char **argv, char **envp)
{
	static const struct option opts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"log", required_argument, NULL, 'l'},
	    {"log-format", required_argument, NULL, 'f'},
	    {"debug", no_argument, NULL, 'd'},
	    {"systemd-cgroup", no_argument, NULL, 's'},
	    {"rootless", required_argument, NULL, 'R'},
	    {"criu", required_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	static struct oci_globals g = {
	    .ctx = {.root_dir = OCI_DEFAULT_ROOT, .default_network = NULL},
	};
	bool systemd = false;
	const char *rootless = NULL;
	char *lib;
	int c;

	g.ctx.cgroup_parent = getenv("WARD_CGROUP_PARENT") ?: "self";
	g.argv = argv;
	g.envp = envp;
	/* "+": stop at the verb; its options are its own */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			g.ctx.root_dir = optarg;
			break;
		case 'l':
			g.log_path = optarg;
			break;
		case 'f':
			if (!streq(optarg, "json") && !streq(optarg, "text"))
				return oci_fail(&g, NULL, "--log-format: '%s' is not text or json",
						optarg);
			g.log_json = streq(optarg, "json");
			break;
		case 'd':
			g.debug = true;
			break;
		case 's':
			systemd = true;
			break;
		case 'R':
			rootless = optarg;
			break;
		case 'C':
			break; /* checkpointing is not supported; the path is unused */
		case 'h':
			return oci_help(&g, 0, NULL);
		case 'v':
			return print_version();
		default:
			return oci_fail(&g, NULL,
					"unknown global option '%s' (try `ward-oci help`)",
					argv[optind - 1]);
		}
	}
	ward_log_set_handler(library_log, &g, g.debug ? WLOG_DEBUG : WLOG_INFO);
	if (systemd)
		return oci_fail(&g, NULL,
				"--systemd-cgroup: not supported: ward-oci manages cgroups "
				"through the cgroup file system (use the cgroupfs manager)");
	if (rootless && !streq(rootless, "auto") && !streq(rootless, "false"))
		return oci_fail(&g, NULL, "--rootless %s: not supported (auto or false)", rootless);
	if (g.ctx.root_dir[0] != '/')
		return oci_fail(&g, NULL, "--root %s: must be an absolute path", g.ctx.root_dir);
	/* no store; nothing of ward's own is kept there */
	g.ctx.lib_dir = lib = xasprintf("%s/.lib", g.ctx.root_dir);
	if (!lib)
		return oci_fail(&g, NULL, "out of memory");
	if (optind >= argc) {
		oci_help(&g, 0, NULL);
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(oci_verbs); i++) {
		if (!streq(oci_verbs[i].name, argv[optind]))
			continue;
		argc -= optind;
		argv += optind;
		optind = 0; /* the verb parses its own options from scratch */
		opterr = 0;
		return oci_verbs[i].run(&g, argc, argv);
	}
	return oci_fail(&g, NULL, "unknown command '%s' (try `ward-oci help`)", argv[optind]);
}
