/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A test-only driver of the runtime for what an OCI config.json asks that
 * `ward run` has no option for (hooks, devices, personality, time offsets,
 * namespaces joined by path, umask, seccomp listener, mount label): it
 * builds a spec the way `ward run` does, applies the extras from a JSON
 * file, and runs the container's whole life through the C API, like an
 * OCI runtime would (create, start, poststart hooks, wait, destroy,
 * poststop hooks).  Driven by tests/integration/test_runtime_oci.py.
 *
 *   ocidrive FILE.json
 *
 * FILE.json:
 *   "root": DIR                     state root (--root), required
 *   "cgroup_parent": PARENT         --cgroup-parent (default "self")
 *   "name": NAME, "args": [...]     the container and its command
 *   "options": [[OPT, VALUE], ...]  `ward run` options (VALUE null: a flag)
 *   "release": "sync" | "fifo"      container_start() or the exec FIFO
 *   "bundle": DIR, "annotations": {..}
 *   "hooks": {"prestart": [{"path", "args", "env", "timeout"}], ...}
 *   "devices": [{"path", "type", "major", "minor", "mode", "uid", "gid"}]
 *   "namespaces": {"net": PATH | null (new) | false (none), ...}
 *   "time_offsets": {"monotonic": [S, NS], "boottime": [S, NS]}
 *   "personality": NUMBER, "umask": NUMBER, "groups": [GID, ...]
 *   "no_new_privs": BOOL            (default: `ward run`'s, true)
 *   "seccomp": PROFILE, "listener_path": PATH, "listener_metadata": STR
 *   "mount_label": STR, "cgroups_path": PATH
 *
 * Exits with the command's status; on a runtime error prints
 * "ocidrive: STEP: MESSAGE" on stderr and exits 125.
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/idmap.h"
#include "spec/options.h"
#include "spec/seccomp_profile.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strutil.h"

static const char *const ns_names[WNS__MAX] = {
    [WNS_USER] = "user", [WNS_MNT] = "mnt", [WNS_PID] = "pid",       [WNS_NET] = "net",
    [WNS_IPC] = "ipc",   [WNS_UTS] = "uts", [WNS_CGROUP] = "cgroup", [WNS_TIME] = "time",
};

static void log_stderr(enum ward_log_level level, const char *msg, void *data)
{
	if (level <= WLOG_WARNING)
		fprintf(stderr, "ocidrive: %s%s\n", level == WLOG_WARNING ? "warning: " : "", msg);
}

static char **strv_from_json(json_t *a)
{
	char **v = NULL;
	size_t i;
	json_t *e;

	json_array_foreach (a, i, e) {
		if (strv_push(&v, json_string_value(e)) < 0)
			abort();
	}
	if (!v)
		v = calloc(1, sizeof(char *));
	return v;
}

static char *dup_or_null(json_t *s)
{
	return json_is_string(s) ? strdup(json_string_value(s)) : NULL;
}

static void apply_hooks(struct ward_spec *s, json_t *hooks)
{
	for (int k = 0; k < WHOOK__MAX; k++) {
		json_t *list = json_object_get(hooks, spec_hook_name(k)), *h;
		size_t i;

		if (!json_is_array(list))
			continue;
		s->hooks.list[k] = calloc(json_array_size(list) + 1, sizeof(struct ward_hook));
		json_array_foreach (list, i, h) {
			struct ward_hook *w = &s->hooks.list[k][i];
			w->path = dup_or_null(json_object_get(h, "path"));
			if (json_object_get(h, "args"))
				w->args = strv_from_json(json_object_get(h, "args"));
			if (json_object_get(h, "env"))
				w->env = strv_from_json(json_object_get(h, "env"));
			w->timeout = (int)json_integer_value(json_object_get(h, "timeout"));
		}
		s->hooks.n[k] = json_array_size(list);
	}
}

static void apply_devices(struct ward_spec *s, json_t *devs)
{
	size_t i;
	json_t *d;

	s->devices = calloc(json_array_size(devs) + 1, sizeof(*s->devices));
	json_array_foreach (devs, i, d) {
		struct ward_device *w = &s->devices[i];
		const char *type = json_string_value(json_object_get(d, "type"));
		w->path = dup_or_null(json_object_get(d, "path"));
		w->type = type ? type[0] : 'c';
		w->major = json_integer_value(json_object_get(d, "major"));
		w->minor = json_integer_value(json_object_get(d, "minor"));
		w->mode = (uint32_t)json_integer_value(json_object_get(d, "mode"));
		w->uid = (uint32_t)json_integer_value(json_object_get(d, "uid"));
		w->gid = (uint32_t)json_integer_value(json_object_get(d, "gid"));
	}
	s->n_devices = json_array_size(devs);
}

static int apply_extras(struct ward_spec *s, json_t *cfg, ward_err *err)
{
	json_t *v, *ns = json_object_get(cfg, "namespaces");
	const char *key;

	free(s->bundle);
	s->bundle = dup_or_null(json_object_get(cfg, "bundle"));
	json_object_foreach (json_object_get(cfg, "annotations"), key, v) {
		s->annotations =
		    realloc(s->annotations, (s->n_annotations + 1) * sizeof(struct ward_kv));
		s->annotations[s->n_annotations].key = strdup(key);
		s->annotations[s->n_annotations++].value = strdup(json_string_value(v));
	}
	apply_hooks(s, json_object_get(cfg, "hooks"));
	if (json_is_array(json_object_get(cfg, "devices")))
		apply_devices(s, json_object_get(cfg, "devices"));
	for (int i = 0; i < WNS__MAX; i++) {
		v = json_object_get(ns, ns_names[i]);
		if (!v)
			continue;
		free(s->ns[i].path);
		s->ns[i].path = dup_or_null(v);
		s->ns[i].enabled = !json_is_false(v);
	}
	if ((v = json_object_get(cfg, "time_offsets"))) {
		static const char *const clocks[WTIME__MAX] = {"monotonic", "boottime"};
		for (int k = 0; k < WTIME__MAX; k++) {
			json_t *o = json_object_get(v, clocks[k]);
			if (!o)
				continue;
			s->time_offsets[k].set = true;
			s->time_offsets[k].secs = json_integer_value(json_array_get(o, 0));
			s->time_offsets[k].nanosecs =
			    (uint32_t)json_integer_value(json_array_get(o, 1));
		}
	}
	if ((v = json_object_get(cfg, "personality"))) {
		s->has_personality = true;
		s->personality = (unsigned long)json_integer_value(v);
	}
	if ((v = json_object_get(cfg, "no_new_privs")))
		s->process.no_new_privs = json_is_true(v);
	if ((v = json_object_get(cfg, "umask"))) {
		s->process.has_umask = true;
		s->process.umask = (uint32_t)json_integer_value(v);
	}
	if ((v = json_object_get(cfg, "groups"))) {
		size_t i;
		json_t *g;
		free(s->process.groups);
		s->process.groups = calloc(json_array_size(v) + 1, sizeof(uint32_t));
		json_array_foreach (v, i, g) {
			s->process.groups[i] = (uint32_t)json_integer_value(g);
		}
		s->process.n_groups = json_array_size(v);
	}
	if ((v = json_object_get(cfg, "seccomp"))) {
		seccomp_free(s->seccomp);
		s->seccomp = NULL;
		if (seccomp_profile_from_json(v, "seccomp", &s->seccomp, err) < 0)
			return -1;
		s->seccomp_default = false;
		s->seccomp->listener_path = dup_or_null(json_object_get(cfg, "listener_path"));
		s->seccomp->listener_metadata =
		    dup_or_null(json_object_get(cfg, "listener_metadata"));
	}
	if ((v = json_object_get(cfg, "cgroups_path"))) {
		free(s->cgroup_path);
		s->cgroup_path = dup_or_null(v);
	}
	if ((v = json_object_get(cfg, "mount_label"))) {
		free(s->mount_label);
		s->mount_label = dup_or_null(v);
	}
	return 0;
}

static int build_spec(json_t *cfg, struct run_settings *rs, ward_err *err)
{
	json_t *opt, *arg;
	size_t i;
	bool dflt;

	if (run_settings_init(rs, err) < 0)
		return -1;
	if (run_option_apply(rs, run_option_find("name"),
			     json_string_value(json_object_get(cfg, "name")), err) < 0)
		return -1;
	json_array_foreach (json_object_get(cfg, "options"), i, opt) {
		const char *name = json_string_value(json_array_get(opt, 0));
		const struct run_option *o = run_option_find(name);
		if (!o)
			return werrx(err, EINVAL, "unknown option %s", name);
		if (run_option_apply(rs, o, json_string_value(json_array_get(opt, 1)), err) < 0)
			return werr_wrap(err, "--%s", name);
	}
	json_array_foreach (json_object_get(cfg, "args"), i, arg) {
		if (strv_push(&rs->spec->process.args, json_string_value(arg)) < 0)
			return werr(err, ENOMEM, "args");
	}
	if (run_settings_finish(rs, err) < 0)
		return -1;
	if (idmap_resolve_auto(rs->spec, "/etc/subuid", "/etc/subgid", &dflt, err) < 0)
		return -1;
	return apply_extras(rs->spec, cfg, err);
}

static int fail(struct ward_container *c, const char *what, const ward_err *err)
{
	fprintf(stderr, "ocidrive: %s: %s%s%s\n", what, err->msg, c && c->failed_step ? " @" : "",
		c && c->failed_step ? step_name(c->failed_step) : "");
	return 125;
}

/* `start` from another process, as the OCI face does it. */
static int release_fifo(const struct ward_ctx *ctx, const char *name, pid_t pid, uint64_t start)
{
	int st;
	pid_t p = fork();

	if (p == 0) {
		ward_err e = {0};
		if (container_release_fifo(ctx, name, pid, start, &e) < 0) {
			fprintf(stderr, "ocidrive: start: %s\n", e.msg);
			_exit(1);
		}
		_exit(0);
	}
	if (p < 0 || waitpid(p, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void post_hooks(struct ward_spec *s, enum ward_hook_kind k, const char *status, pid_t pid)
{
	_cleanup_free_ char *json = NULL;
	ward_err e;

	if (!s->hooks.n[k])
		return;
	if (hooks_state_json(s, s->name, status, pid, &json, &e) < 0) {
		fprintf(stderr, "ocidrive: %s\n", e.msg);
		return;
	}
	hooks_run_warn(s->hooks.list[k], s->hooks.n[k], json, spec_hook_name(k));
}

int main(int argc, char **argv)
{
	struct run_settings rs = {0};
	struct ward_create_opts o = {
	    .kill_with_parent = true, .write_state = true, .stdio = {-1, -1, -1}};
	struct ward_container *c = NULL;
	struct ward_exit ex;
	struct ward_ctx ctx;
	ward_err err = {0};
	json_error_t je;
	json_t *cfg;
	bool fifo;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: ocidrive FILE.json\n");
		return 2;
	}
	ward_log_set_handler(log_stderr, NULL, WLOG_WARNING);
	cfg = json_load_file(argv[1], 0, &je);
	if (!cfg) {
		fprintf(stderr, "ocidrive: %s: %s\n", argv[1], je.text);
		return 2;
	}
	ctx = (struct ward_ctx){.root_dir = json_string_value(json_object_get(cfg, "root")),
				.lib_dir = json_string_value(json_object_get(cfg, "root")),
				.cgroup_parent =
				    json_is_string(json_object_get(cfg, "cgroup_parent"))
					? json_string_value(json_object_get(cfg, "cgroup_parent"))
					: "self",
				.default_network = "none"};
	fifo = json_is_string(json_object_get(cfg, "release")) &&
	       streq(json_string_value(json_object_get(cfg, "release")), "fifo");
	o.release = fifo ? WARD_RELEASE_FIFO : WARD_RELEASE_SYNC;
	if (build_spec(cfg, &rs, &err) < 0)
		return fail(NULL, "spec", &err);
	r = container_create(&ctx, rs.spec, &o, &c, &err);
	if (r < 0)
		return fail(NULL, "create", &err);
	fprintf(stderr, "ocidrive: created %d\n", (int)c->pid);
	if (fifo)
		r = release_fifo(&ctx, c->name, c->pid, c->pid_start) < 0 ? -EIO : 0;
	else
		r = container_start(c, &err);
	if (r < 0 && !fifo) {
		ward_err ignored;
		r = fail(c, "start", &err);
		container_destroy(c, &ignored);
		container_free(c);
		return r;
	}
	if (r == 0)
		post_hooks(rs.spec, WHOOK_POSTSTART, "running", c->pid);
	r = container_wait(c, &ex, &err);
	if (r < 0)
		return fail(c, "wait", &err);
	if (container_destroy(c, &err) < 0)
		return fail(c, "destroy", &err);
	container_free(c);
	post_hooks(rs.spec, WHOOK_POSTSTOP, "stopped", 0);
	run_settings_clear(&rs);
	json_decref(cfg);
	return ex.status;
}
