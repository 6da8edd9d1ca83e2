/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.json (runtime-spec 1.0 to 1.2) into struct ward_spec.  The file is
 * taken as the whole truth: no ward default mounts, masked paths, seccomp
 * filter or user namespace are added; only the default devices every OCI
 * runtime supplies are.  Every key the spec defines is either honoured or
 * refused with "not supported by ward"; a key it does not define is
 * ignored, as the spec requires, and logged at debug level with its JSON
 * path.  Cross-field rules the spec states (a
 * hostname needs a UTS namespace, mappings need a user namespace,
 * duplicated namespaces or rlimits) are checked here, before anything on
 * the host changes.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "oci/jparse.h"
#include "oci/oci.h"
#include "oci/oci_json.h"
#include "spec/parse.h"
#include "spec/seccomp_profile.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strutil.h"

/* ------------------------------------------------------------------ */
/* ociVersion */

/* "1.0.2-dev", "1.2.0+build": major.minor.patch with an optional
 * pre-release and build; ward reads every 1.x (the spec keeps 1.x
 * compatible, and a key from a later 1.x that ward does not know is still
 * refused by name). */
static int check_version(const struct jp *p, json_t *doc)
{
	json_t *v = jp_get(doc, "ociVersion");
	unsigned long part[3];
	const char *s, *c;
	char q[72];
	int r;

	if (!v)
		return jp_fail(p, "ociVersion", "missing");
	r = jp_string(p, "ociVersion", v, &s);
	if (r < 0)
		return r;
	c = s;
	for (int i = 0; i < 3; i++) {
		char *end;

		if (*c < '0' || *c > '9' || (c[0] == '0' && c[1] >= '0' && c[1] <= '9'))
			goto bad;
		part[i] = strtoul(c, &end, 10);
		c = end;
		if (i < 2 && *c++ != '.')
			goto bad;
	}
	if (*c && *c != '-' && *c != '+')
		goto bad;
	if (*c && (!c[1] || strspn(c + 1, "0123456789abcdefghijklmnopqrstuvwxyz"
					  "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-+") != strlen(c + 1)))
		goto bad;
	if (part[0] != 1)
		return jp_fail(
		    p, "ociVersion",
		    "'%s' is not supported (ward reads runtime-spec " OCI_SPEC_VERSION_MIN
		    " to " OCI_SPEC_VERSION_MAX ")",
		    jp_quote(s, q));
	return 0;
bad:
	return jp_fail(p, "ociVersion", "'%s' is not a version such as 1.2.0", jp_quote(s, q));
}

/* ------------------------------------------------------------------ */
/* process */

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

static int parse_rlimits(const struct jp *p, const char *path, json_t *v, struct ward_process *pr)
{
	static const char *const keys[] = {"type", "soft", "hard", NULL};
	json_t *e;
	size_t i;
	int r;

	if ((r = jp_array(p, path, v)) < 0)
		return r;
	pr->rlimits = calloc(json_array_size(v) + 1, sizeof(*pr->rlimits));
	if (!pr->rlimits)
		return jp_enomem(p);
	json_array_foreach (v, i, e) {
		struct ward_rlimit *rl = &pr->rlimits[i];
		char epath[JP_PATH_MAX], kpath[JP_PATH_MAX], q[72];
		const char *type;
		json_t *f;
		size_t k;

		jp_index(epath, path, i);
		if ((r = jp_check_keys(p, epath, e, keys)) < 0)
			return r;
		if ((r = jp_need(p, epath, e, "type", kpath, &f)) < 0)
			return r;
		if ((r = jp_string(p, kpath, f, &type)) < 0)
			return r;
		for (k = 0; k < ARRAY_SIZE(rlimit_names); k++)
			if (streq(type, rlimit_names[k].name))
				break;
		if (k == ARRAY_SIZE(rlimit_names))
			return jp_fail(p, kpath, "unknown rlimit '%s'", jp_quote(type, q));
		rl->resource = rlimit_names[k].resource;
		for (size_t j = 0; j < i; j++)
			if (pr->rlimits[j].resource == rl->resource)
				return jp_fail(p, kpath, "%s is set twice", type);
		if ((r = jp_need(p, epath, e, "soft", kpath, &f)) < 0)
			return r;
		if ((r = jp_uint64(p, kpath, f, &rl->soft)) < 0)
			return r;
		if ((r = jp_need(p, epath, e, "hard", kpath, &f)) < 0)
			return r;
		if ((r = jp_uint64(p, kpath, f, &rl->hard)) < 0)
			return r;
		if (rl->soft > rl->hard)
			return jp_fail(p, epath,
				       "soft limit %" PRIu64 " is above the hard limit %" PRIu64,
				       rl->soft, rl->hard);
		pr->n_rlimits++;
	}
	return 0;
}

/* One capability set.  runtime-spec 1.1 and later: a value that cannot be
 * mapped to a kernel capability "MUST be logged as a warning" and the
 * runtime "SHOULD NOT fail" (1.0 said it must fail; runc and crun, and now
 * ward, follow the newer text for every ociVersion): a name libcap does not
 * know (the validation suite's CAP_TEST) is left out with a warning.  A name
 * libcap knows but the running kernel does not is kept, and the runtime
 * leaves out bits above cap_last_cap when it sets the sets. */
static int add_cap(const struct jp *p, const char *epath, const char *s, void *data)
{
	uint64_t *set = data;
	char q[72];
	int cap;

	if (!startswith(s, "CAP_") || caps_from_name(s, &cap) < 0)
		wlog(WLOG_WARNING, "%s: %s: unknown capability '%s', left out", p->name, epath,
		     jp_quote(s, q));
	else
		*set |= 1ULL << cap;
	return 0;
}

static int parse_cap_set(const struct jp *p, const char *path, json_t *v, uint64_t *set)
{
	return jp_each_string(p, path, v, add_cap, set);
}

static int parse_caps(const struct jp *p, const char *path, json_t *v, struct ward_caps *caps)
{
	static const char *const keys[] = {"bounding",  "effective", "inheritable",
					   "permitted", "ambient",   NULL};
	uint64_t *sets[] = {&caps->bounding, &caps->effective, &caps->inheritable, &caps->permitted,
			    &caps->ambient};
	int r;

	if ((r = jp_check_keys(p, path, v, keys)) < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
		char kpath[JP_PATH_MAX];

		jp_key(kpath, path, keys[i]);
		if ((r = parse_cap_set(p, kpath, jp_get(v, keys[i]), sets[i])) < 0)
			return r;
	}
	return 0;
}

static int parse_user(const struct jp *p, const char *path, json_t *v, struct ward_process *pr)
{
	static const char *const keys[] = {"uid",      "gid", "umask", "additionalGids",
					   "username", NULL};
	char kpath[JP_PATH_MAX];
	uint64_t n;
	json_t *e;
	int r;

	if ((r = jp_check_keys(p, path, v, keys)) < 0)
		return r;
	jp_key(kpath, path, "uid");
	if ((e = jp_get(v, "uid"))) {
		if ((r = jp_uint(p, kpath, e, UINT32_MAX, &n)) < 0)
			return r;
		pr->uid = (uint32_t)n;
	}
	jp_key(kpath, path, "gid");
	if ((e = jp_get(v, "gid"))) {
		if ((r = jp_uint(p, kpath, e, UINT32_MAX, &n)) < 0)
			return r;
		pr->gid = (uint32_t)n;
	}
	jp_key(kpath, path, "umask");
	if ((e = jp_get(v, "umask"))) {
		if ((r = jp_uint(p, kpath, e, 0777, &n)) < 0)
			return r;
		pr->has_umask = true;
		pr->umask = (uint32_t)n;
	}
	jp_key(kpath, path, "additionalGids");
	if ((e = jp_get(v, "additionalGids"))) {
		json_t *g;
		size_t i;

		if ((r = jp_array(p, kpath, e)) < 0)
			return r;
		pr->groups = calloc(json_array_size(e) + 1, sizeof(*pr->groups));
		if (!pr->groups)
			return jp_enomem(p);
		json_array_foreach (e, i, g) {
			char gpath[JP_PATH_MAX];

			jp_index(gpath, kpath, i);
			if ((r = jp_uint(p, gpath, g, UINT32_MAX, &n)) < 0)
				return r;
			pr->groups[pr->n_groups++] = (uint32_t)n;
		}
	}
	if (jp_get(v, "username")) {
		jp_key(kpath, path, "username");
		return jp_unsupported(p, kpath);
	}
	return 0;
}

static int parse_env(const struct jp *p, const char *path, json_t *v, char ***env)
{
	int r = jp_strv(p, path, v, false, env);

	if (r < 0)
		return r;
	for (size_t i = 0; *env && (*env)[i]; i++) {
		const char *eq = strchr((*env)[i], '=');

		if (!eq || eq == (*env)[i]) {
			char epath[JP_PATH_MAX], q[72];

			jp_index(epath, path, i);
			return jp_fail(p, epath, "'%s' is not KEY=VALUE", jp_quote((*env)[i], q));
		}
	}
	return 0;
}

static int parse_console_size(const struct jp *p, const char *path, json_t *v,
			      struct ward_process *pr)
{
	static const char *const keys[] = {"height", "width", NULL};
	unsigned int *dims[] = {&pr->console_height, &pr->console_width};
	int r;

	if ((r = jp_check_keys(p, path, v, keys)) < 0)
		return r;
	for (int i = 0; i < 2; i++) {
		char kpath[JP_PATH_MAX];
		json_t *e = jp_get(v, keys[i]);
		uint64_t n;

		jp_key(kpath, path, keys[i]);
		if (!e)
			return jp_fail(p, kpath, "missing");
		if ((r = jp_uint(p, kpath, e, UINT16_MAX, &n)) < 0)
			return r;
		*dims[i] = (unsigned int)n;
	}
	return 0;
}

/* an optional string member; "" reads as unset */
static int get_opt_string(const struct jp *p, const char *path, json_t *obj, const char *key,
			  char **out)
{
	char kpath[JP_PATH_MAX];
	json_t *e = jp_get(obj, key);
	int r;

	if (!e)
		return 0;
	jp_key(kpath, path, key);
	r = jp_strdup(p, kpath, e, out);
	if (r >= 0 && !**out) {
		free(*out);
		*out = NULL;
	}
	return r;
}

static int get_opt_bool(const struct jp *p, const char *path, json_t *obj, const char *key,
			bool *out)
{
	char kpath[JP_PATH_MAX];
	json_t *e = jp_get(obj, key);

	if (!e)
		return 0;
	jp_key(kpath, path, key);
	return jp_bool(p, kpath, e, out);
}

static int parse_process(const struct jp *p, const char *path, json_t *v, struct ward_process *pr)
{
	static const char *const keys[] = {
	    "terminal",
	    "consoleSize",
	    "user",
	    "args",
	    "commandLine",
	    "env",
	    "cwd",
	    "capabilities",
	    "rlimits",
	    "noNewPrivileges",
	    "apparmorProfile",
	    "oomScoreAdj",
	    "scheduler",
	    "selinuxLabel",
	    "ioPriority",
	    "execCPUAffinity",
	    NULL,
	};
	/* scheduler(7) policies, I/O priorities and exec CPU affinity: the
	 * runtime does not apply them yet, so they are refused */
	static const char *const unsupported[] = {"commandLine", "scheduler", "ioPriority",
						  "execCPUAffinity"};
	char kpath[JP_PATH_MAX], q[72];
	json_t *e;
	int r;

	if ((r = jp_check_keys(p, path, v, keys)) < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++)
		if (jp_get(v, unsupported[i])) {
			jp_key(kpath, path, unsupported[i]);
			return jp_unsupported(p, kpath);
		}

	jp_key(kpath, path, "args");
	if ((r = jp_strv(p, kpath, jp_get(v, "args"), false, &pr->args)) < 0)
		return r;
	if (!pr->args || !pr->args[0][0])
		return jp_fail(p, kpath, pr->args ? "the command is empty" : "missing");

	if ((r = jp_need(p, path, v, "cwd", kpath, &e)) < 0)
		return r;
	if ((r = jp_strdup(p, kpath, e, &pr->cwd)) < 0)
		return r;
	if (pr->cwd[0] != '/')
		return jp_fail(p, kpath, "'%s' is not an absolute path", jp_quote(pr->cwd, q));

	jp_key(kpath, path, "env");
	if ((r = parse_env(p, kpath, jp_get(v, "env"), &pr->env)) < 0)
		return r;
	if ((r = get_opt_bool(p, path, v, "terminal", &pr->terminal)) < 0)
		return r;
	/* the size of a terminal that is not asked for is ignored, as the
	 * spec says, but it must still be well formed */
	jp_key(kpath, path, "consoleSize");
	if ((e = jp_get(v, "consoleSize")) && (r = parse_console_size(p, kpath, e, pr)) < 0)
		return r;
	if (!pr->terminal)
		pr->console_height = pr->console_width = 0;
	jp_key(kpath, path, "user");
	if ((e = jp_get(v, "user")) && (r = parse_user(p, kpath, e, pr)) < 0)
		return r;
	jp_key(kpath, path, "capabilities");
	if ((e = jp_get(v, "capabilities")) && (r = parse_caps(p, kpath, e, &pr->caps)) < 0)
		return r;
	jp_key(kpath, path, "rlimits");
	if ((e = jp_get(v, "rlimits")) && (r = parse_rlimits(p, kpath, e, pr)) < 0)
		return r;
	if ((r = get_opt_bool(p, path, v, "noNewPrivileges", &pr->no_new_privs)) < 0)
		return r;
	jp_key(kpath, path, "oomScoreAdj");
	if ((e = jp_get(v, "oomScoreAdj"))) {
		int64_t adj;

		if ((r = jp_int(p, kpath, e, -1000, 1000, &adj)) < 0)
			return r;
		pr->has_oom_score_adj = true;
		pr->oom_score_adj = (int)adj;
	}
	if ((r = get_opt_string(p, path, v, "apparmorProfile", &pr->apparmor_profile)) < 0 ||
	    (r = get_opt_string(p, path, v, "selinuxLabel", &pr->selinux_label)) < 0)
		return r;
	return 0;
}

int oci_process_from_json(json_t *proc, const char *name, struct ward_process *out, ward_err *err)
{
	struct jp p = {.name = name ? name : "process", .err = err};
	struct ward_process pr = {0};
	int r;

	if (!proc)
		return jp_fail(&p, NULL, "expected a JSON object");
	r = parse_process(&p, "", proc, &pr);
	if (r < 0) {
		process_clear(&pr);
		return r;
	}
	process_clear(out);
	*out = pr;
	return 0;
}

/* ------------------------------------------------------------------ */
/* root, hooks */

static int parse_root(const struct jp *p, json_t *v, const char *bundle, struct ward_spec *s)
{
	static const char *const keys[] = {"path", "readonly", NULL};
	_cleanup_free_ char *joined = NULL;
	char *real;
	const char *path;
	struct stat st;
	json_t *e;
	char q[72];
	int r;

	if (!v)
		return jp_fail(p, "root", "missing");
	if ((r = jp_check_keys(p, "root", v, keys)) < 0)
		return r;
	if (!(e = jp_get(v, "path")))
		return jp_fail(p, "root.path", "missing");
	if ((r = jp_string(p, "root.path", e, &path)) < 0)
		return r;
	if (!*path)
		return jp_fail(p, "root.path", "empty path");
	if ((r = get_opt_bool(p, "root", v, "readonly", &s->rootfs_readonly)) < 0)
		return r;
	joined = path[0] == '/' ? strdup(path) : xasprintf("%s/%s", bundle, path);
	if (!joined)
		return jp_enomem(p);
	real = realpath(joined, NULL);
	if (!real)
		return werr(p->err, errno, "%s: root.path: %s", p->name, jp_quote(joined, q));
	s->rootfs = real;
	if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
		return jp_fail(p, "root.path", "%s is not a directory", jp_quote(real, q));
	if (streq(real, "/"))
		return jp_fail(p, "root.path", "the host's / cannot be a container's root");
	return 0;
}

static int parse_hook(const struct jp *p, const char *path, json_t *v, struct ward_hook *h)
{
	static const char *const keys[] = {"path", "args", "env", "timeout", NULL};
	char kpath[JP_PATH_MAX], q[72];
	const char *hp;
	json_t *e;
	int r;

	if ((r = jp_check_keys(p, path, v, keys)) < 0)
		return r;
	if ((r = jp_need(p, path, v, "path", kpath, &e)) < 0)
		return r;
	if ((r = jp_string(p, kpath, e, &hp)) < 0)
		return r;
	if (hp[0] != '/')
		return jp_fail(p, kpath, "'%s' is not an absolute path", jp_quote(hp, q));
	if (!(h->path = strdup(hp)))
		return jp_enomem(p);
	jp_key(kpath, path, "args");
	if ((r = jp_strv(p, kpath, jp_get(v, "args"), false, &h->args)) < 0)
		return r;
	jp_key(kpath, path, "env");
	if ((r = parse_env(p, kpath, jp_get(v, "env"), &h->env)) < 0)
		return r;
	jp_key(kpath, path, "timeout");
	if ((e = jp_get(v, "timeout"))) {
		int64_t t;

		if ((r = jp_int(p, kpath, e, 1, INT_MAX, &t)) < 0)
			return r;
		h->timeout = (int)t;
	}
	return 0;
}

static int parse_hooks(const struct jp *p, json_t *v, struct ward_hooks *hooks)
{
	const char *keys[WHOOK__MAX + 1];
	int r;

	for (int k = 0; k < WHOOK__MAX; k++)
		keys[k] = spec_hook_name(k);
	keys[WHOOK__MAX] = NULL;
	if ((r = jp_check_keys(p, "hooks", v, keys)) < 0)
		return r;
	for (int k = 0; k < WHOOK__MAX; k++) {
		char kpath[JP_PATH_MAX];
		json_t *list = jp_get(v, spec_hook_name(k)), *e;
		size_t i;

		if (!list)
			continue;
		jp_key(kpath, "hooks", spec_hook_name(k));
		if ((r = jp_array(p, kpath, list)) < 0)
			return r;
		hooks->list[k] = calloc(json_array_size(list) + 1, sizeof(*hooks->list[k]));
		if (!hooks->list[k])
			return jp_enomem(p);
		json_array_foreach (list, i, e) {
			char epath[JP_PATH_MAX];

			jp_index(epath, kpath, i);
			/* counted first: a half-filled hook is freed with the rest */
			hooks->n[k]++;
			if ((r = parse_hook(p, epath, e, &hooks->list[k][i])) < 0)
				return r;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* linux */

static const char *const ns_names[WNS__MAX] = {
    [WNS_USER] = "user", [WNS_MNT] = "mount", [WNS_PID] = "pid",       [WNS_NET] = "network",
    [WNS_IPC] = "ipc",   [WNS_UTS] = "uts",   [WNS_CGROUP] = "cgroup", [WNS_TIME] = "time",
};

static int parse_namespaces(const struct jp *p, const char *path, json_t *v, struct ward_spec *s)
{
	static const char *const keys[] = {"type", "path", NULL};
	json_t *e;
	size_t i;
	int r;

	if ((r = jp_array(p, path, v)) < 0)
		return r;
	json_array_foreach (v, i, e) {
		char epath[JP_PATH_MAX], kpath[JP_PATH_MAX], q[72];
		const char *type;
		json_t *f;
		int t;

		jp_index(epath, path, i);
		if ((r = jp_check_keys(p, epath, e, keys)) < 0)
			return r;
		if ((r = jp_need(p, epath, e, "type", kpath, &f)) < 0)
			return r;
		if ((r = jp_string(p, kpath, f, &type)) < 0)
			return r;
		for (t = 0; t < WNS__MAX; t++)
			if (streq(type, ns_names[t]))
				break;
		if (t == WNS__MAX)
			return jp_fail(p, kpath, "unknown namespace type '%s'", jp_quote(type, q));
		if (s->ns[t].enabled)
			return jp_fail(p, kpath, "the %s namespace is listed twice", type);
		s->ns[t].enabled = true;
		jp_key(kpath, epath, "path");
		if ((f = jp_get(e, "path"))) {
			const char *np;

			if ((r = jp_string(p, kpath, f, &np)) < 0)
				return r;
			if (!*np)
				continue;
			if (np[0] != '/')
				return jp_fail(p, kpath, "'%s' is not an absolute path",
					       jp_quote(np, q));
			if (!(s->ns[t].path = strdup(np)))
				return jp_enomem(p);
		}
	}
	return 0;
}

static int parse_devices(const struct jp *p, const char *path, json_t *v, struct ward_spec *s)
{
	static const char *const keys[] = {"path",     "type", "major", "minor",
					   "fileMode", "uid",  "gid",   NULL};
	json_t *e;
	size_t i;
	int r;

	if ((r = jp_array(p, path, v)) < 0)
		return r;
	s->devices = calloc(json_array_size(v) + 1, sizeof(*s->devices));
	if (!s->devices)
		return jp_enomem(p);
	json_array_foreach (v, i, e) {
		struct ward_device *d = &s->devices[i];
		char epath[JP_PATH_MAX], kpath[JP_PATH_MAX], q[72];
		const char *type;
		uint64_t n;
		json_t *f;

		jp_index(epath, path, i);
		if ((r = jp_check_keys(p, epath, e, keys)) < 0)
			return r;
		if ((r = jp_need(p, epath, e, "path", kpath, &f)) < 0)
			return r;
		if ((r = jp_abs_path(p, kpath, f, &d->path)) < 0)
			return r;
		s->n_devices++;
		for (size_t j = 0; j < i; j++)
			if (streq(s->devices[j].path, d->path))
				return jp_fail(p, kpath, "%s is listed twice",
					       jp_quote(d->path, q));
		if ((r = jp_need(p, epath, e, "type", kpath, &f)) < 0)
			return r;
		if ((r = jp_string(p, kpath, f, &type)) < 0)
			return r;
		if (!type[0] || type[1] || !strchr("cbup", type[0]))
			return jp_fail(p, kpath, "'%s' is not c, b, u or p", jp_quote(type, q));
		d->type = type[0];
		for (int k = 0; k < 2; k++) {
			const char *key = k ? "minor" : "major";
			int64_t *out = k ? &d->minor : &d->major;

			jp_key(kpath, epath, key);
			if (!(f = jp_get(e, key))) {
				if (d->type != 'p')
					return jp_fail(p, kpath, "missing");
				continue;
			}
			if ((r = jp_int(p, kpath, f, 0, UINT32_MAX, out)) < 0)
				return r;
		}
		/* the permission bits only: Go clients may write os.FileMode's
		 * type bits above them */
		d->mode = 0666;
		jp_key(kpath, epath, "fileMode");
		if ((f = jp_get(e, "fileMode"))) {
			if ((r = jp_uint(p, kpath, f, UINT32_MAX, &n)) < 0)
				return r;
			d->mode = (uint32_t)n & 07777;
		}
		jp_key(kpath, epath, "uid");
		if ((f = jp_get(e, "uid"))) {
			if ((r = jp_uint(p, kpath, f, UINT32_MAX, &n)) < 0)
				return r;
			d->uid = (uint32_t)n;
		}
		jp_key(kpath, epath, "gid");
		if ((f = jp_get(e, "gid"))) {
			if ((r = jp_uint(p, kpath, f, UINT32_MAX, &n)) < 0)
				return r;
			d->gid = (uint32_t)n;
		}
	}
	return 0;
}

/* Only sysctls of a namespace the container has of its own: anything else
 * would change the host (runc's rule). */
static int check_sysctl(const struct jp *p, const char *path, const struct ward_spec *s,
			const char *key)
{
	static const char *const ipc_keys[] = {
	    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
	    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
	};
	char kpath[JP_PATH_MAX], q[72];
	int ns = -1;

	jp_key(kpath, path, key);
	if (!*key || key[0] == '.' || key[0] == '/' || strstr(key, "..") ||
	    strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/") !=
		strlen(key))
		return jp_fail(p, kpath, "not a sysctl name");
	for (size_t i = 0; i < ARRAY_SIZE(ipc_keys); i++)
		if (streq(key, ipc_keys[i]))
			ns = WNS_IPC;
	if (startswith(key, "fs.mqueue."))
		ns = WNS_IPC;
	else if (startswith(key, "net."))
		ns = WNS_NET;
	else if (streq(key, "kernel.hostname") || streq(key, "kernel.domainname"))
		ns = WNS_UTS;
	if (ns < 0)
		return jp_fail(p, kpath, "'%s' is not in a namespace of the container's own",
			       jp_quote(key, q));
	if (!s->ns[ns].enabled)
		return jp_fail(p, kpath, "needs a %s namespace", ns_names[ns]);
	return 0;
}

static int parse_time_offsets(const struct jp *p, const char *path, json_t *v, struct ward_spec *s)
{
	static const char *const clocks[WTIME__MAX] = {
	    [WTIME_MONOTONIC] = "monotonic", [WTIME_BOOTTIME] = "boottime"};
	static const char *const keys[] = {"secs", "nanosecs", NULL};
	const char *clock;
	json_t *e;
	int r;

	if ((r = jp_object(p, path, v)) < 0)
		return r;
	json_object_foreach (v, clock, e) {
		char cpath[JP_PATH_MAX], kpath[JP_PATH_MAX];
		struct ward_time_offset *o = NULL;
		json_t *f;
		uint64_t ns;

		jp_key(cpath, path, clock);
		for (int c = 0; c < WTIME__MAX; c++)
			if (streq(clock, clocks[c]))
				o = &s->time_offsets[c];
		if (!o)
			return jp_fail(p, cpath, "unknown clock (monotonic, boottime)");
		if ((r = jp_check_keys(p, cpath, e, keys)) < 0)
			return r;
		o->set = true;
		jp_key(kpath, cpath, "secs");
		if ((f = jp_get(e, "secs")) &&
		    (r = jp_int(p, kpath, f, INT64_MIN, INT64_MAX, &o->secs)) < 0)
			return r;
		jp_key(kpath, cpath, "nanosecs");
		if ((f = jp_get(e, "nanosecs"))) {
			if ((r = jp_uint(p, kpath, f, 999999999, &ns)) < 0)
				return r;
			o->nanosecs = (uint32_t)ns;
		}
	}
	return 0;
}

static int parse_personality(const struct jp *p, const char *path, json_t *v, struct ward_spec *s)
{
	static const char *const keys[] = {"domain", "flags", NULL};
	char kpath[JP_PATH_MAX], q[72];
	const char *domain;
	json_t *e;
	int r;

	if ((r = jp_check_keys(p, path, v, keys)) < 0)
		return r;
	if ((r = jp_need(p, path, v, "domain", kpath, &e)) < 0)
		return r;
	if ((r = jp_string(p, kpath, e, &domain)) < 0)
		return r;
	if (streq(domain, "LINUX"))
		s->personality = PER_LINUX;
	else if (streq(domain, "LINUX32"))
		s->personality = PER_LINUX32;
	else
		return jp_fail(p, kpath, "unknown domain '%s' (LINUX, LINUX32)",
			       jp_quote(domain, q));
	s->has_personality = true;
	jp_key(kpath, path, "flags");
	if ((e = jp_get(v, "flags"))) {
		_cleanup_strv_ char **flags = NULL;

		if ((r = jp_strv(p, kpath, e, false, &flags)) < 0)
			return r;
		/* the spec defines none */
		if (flags) {
			char fpath[JP_PATH_MAX];

			jp_index(fpath, kpath, 0);
			return jp_fail(p, fpath, "unknown personality flag '%s'",
				       jp_quote(flags[0], q));
		}
	}
	return 0;
}

static int parse_propagation(const struct jp *p, const char *path, json_t *v, unsigned long *out)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} modes[] = {
	    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
	    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
	    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
	    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
	};
	const char *m;
	char q[72];
	int r = jp_string(p, path, v, &m);

	if (r < 0 || !*m)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		if (streq(m, modes[i].name)) {
			*out = modes[i].flags;
			return 0;
		}
	return jp_fail(p, path, "unknown propagation '%s' (shared, slave, private, unbindable)",
		       jp_quote(m, q));
}

/* A copy of OBJ (sharing the values) without the keys outside KNOWN, which are logged
 * (jp_check_keys) and dropped */
static json_t *known_only(const struct jp *p, const char *path, json_t *obj,
			  const char *const *known)
{
	json_t *c;

	if (jp_check_keys(p, path, obj, known) < 0)
		return NULL;
	c = json_object();
	if (!c)
		return NULL;
	for (size_t i = 0; known[i]; i++) {
		json_t *e = json_object_get(obj, known[i]);

		if (e && json_object_set(c, known[i], e) < 0) {
			json_decref(c);
			return NULL;
		}
	}
	return c;
}

/* The OCI subset of the profile format, as a copy for the shared parser:
 * that parser also takes Docker's archMap, includes, excludes and
 * comments, and refuses keys it does not know, while config.json's
 * unknown keys are to be ignored, so both are dropped here (at the top,
 * in each rule and in each argument). */
static int oci_seccomp_copy(const struct jp *p, const char *path, json_t *v, json_t **out)
{
	static const char *const keys[] = {
	    "defaultAction", "defaultErrnoRet",  "architectures", "flags",
	    "listenerPath",  "listenerMetadata", "syscalls",      NULL};
	static const char *const rule_keys[] = {"names", "action", "errnoRet", "args", NULL};
	static const char *const arg_keys[] = {"index", "value", "valueTwo", "op", NULL};
	char kpath[JP_PATH_MAX];
	json_t *calls, *e;
	size_t i;
	int r;

	*out = NULL;
	if ((r = jp_object(p, path, v)) < 0)
		return r;
	_cleanup_(json_decrefp) json_t *c = known_only(p, path, v, keys);
	if (!c)
		return jp_enomem(p);
	calls = json_object_get(c, "syscalls");
	if (json_is_array(calls)) {
		json_t *nc = json_array();

		if (!nc || json_object_set_new(c, "syscalls", nc) < 0)
			return jp_enomem(p);
		jp_key(kpath, path, "syscalls");
		json_array_foreach (calls, i, e) {
			char epath[JP_PATH_MAX], apath[JP_PATH_MAX];
			json_t *rule, *args;

			jp_index(epath, kpath, i);
			if (!json_is_object(e)) {
				if (json_array_append(nc, e) < 0)
					return jp_enomem(p);
				continue;
			}
			rule = known_only(p, epath, e, rule_keys);
			if (!rule || json_array_append_new(nc, rule) < 0)
				return jp_enomem(p);
			args = json_object_get(rule, "args");
			if (json_is_array(args)) {
				json_t *na = json_array(), *a;
				size_t j;

				if (!na || json_object_set_new(rule, "args", na) < 0)
					return jp_enomem(p);
				jp_key(apath, epath, "args");
				json_array_foreach (args, j, a) {
					char ipath[JP_PATH_MAX];
					json_t *ca;

					jp_index(ipath, apath, j);
					ca = json_is_object(a) ? known_only(p, ipath, a, arg_keys)
							       : json_incref(a);
					if (!ca || json_array_append_new(na, ca) < 0)
						return jp_enomem(p);
				}
			}
		}
	}
	*out = c;
	c = NULL;
	return 0;
}

static bool takes_errno(enum ward_seccomp_action a)
{
	return a == WSC_ERRNO || a == WSC_TRACE;
}

static int parse_seccomp(const struct jp *p, const char *path, json_t *v, struct ward_spec *s)
{
	char where[JP_PATH_MAX + 64], kpath[JP_PATH_MAX];
	_cleanup_(json_decrefp) json_t *copy = NULL;
	bool notify = false;
	int r;

	if ((r = oci_seccomp_copy(p, path, v, &copy)) < 0)
		return r;
	snprintf(where, sizeof(where), "%s: %s", p->name, path);
	if ((r = seccomp_profile_from_json(copy, where, &s->seccomp, p->err)) < 0)
		return r;
	/* the spec: an errno for an action that returns none is an error */
	if (jp_get(v, "defaultErrnoRet") && !takes_errno(s->seccomp->default_action)) {
		jp_key(kpath, path, "defaultErrnoRet");
		return jp_fail(p, kpath, "%s returns no errno",
			       seccomp_action_name(s->seccomp->default_action));
	}
	for (size_t i = 0; i < s->seccomp->n_rules; i++) {
		const struct ward_seccomp_rule *rule = &s->seccomp->rules[i];
		char epath[JP_PATH_MAX];

		if (rule->errno_ret >= 0 && !takes_errno(rule->action)) {
			jp_key(kpath, path, "syscalls");
			jp_index(epath, kpath, i);
			jp_key(kpath, epath, "errnoRet");
			return jp_fail(p, kpath, "%s returns no errno",
				       seccomp_action_name(rule->action));
		}
		notify |= rule->action == WSC_NOTIFY;
	}
	if (notify && !s->seccomp->listener_path) {
		jp_key(kpath, path, "listenerPath");
		return jp_fail(p, kpath, "missing (SCMP_ACT_NOTIFY sends its fd there)");
	}
	return 0;
}

static int parse_linux(const struct jp *p, json_t *v, struct ward_spec *s)
{
	static const char *const keys[] = {
	    "uidMappings",   "gidMappings", "sysctl",   "resources",         "cgroupsPath",
	    "namespaces",    "devices",     "seccomp",  "rootfsPropagation", "maskedPaths",
	    "readonlyPaths", "mountLabel",  "intelRdt", "personality",       "timeOffsets",
	    "memoryPolicy",  "netDevices",  NULL,
	};
	/* Intel RDT (resctrl), NUMA memory policy and moving host network
	 * devices in: ward does none of them */
	static const char *const unsupported[] = {"intelRdt", "memoryPolicy", "netDevices"};
	char kpath[JP_PATH_MAX];
	json_t *e;
	int r;

	if ((r = jp_check_keys(p, "linux", v, keys)) < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++)
		if (jp_get(v, unsupported[i])) {
			jp_key(kpath, "linux", unsupported[i]);
			return jp_unsupported(p, kpath);
		}
	if ((e = jp_get(v, "namespaces")) &&
	    (r = parse_namespaces(p, "linux.namespaces", e, s)) < 0)
		return r;
	if ((r = jp_idmaps(p, "linux.uidMappings", jp_get(v, "uidMappings"), &s->uid_maps,
			   &s->n_uid_maps)) < 0 ||
	    (r = jp_idmaps(p, "linux.gidMappings", jp_get(v, "gidMappings"), &s->gid_maps,
			   &s->n_gid_maps)) < 0)
		return r;
	if ((r = jp_kv_map(p, "linux.sysctl", jp_get(v, "sysctl"), &s->sysctl, &s->n_sysctl)) < 0)
		return r;
	for (size_t i = 0; i < s->n_sysctl; i++)
		if ((r = check_sysctl(p, "linux.sysctl", s, s->sysctl[i].key)) < 0)
			return r;
	if ((r = oci_parse_resources(p, "linux.resources", jp_get(v, "resources"), &s->res)) < 0)
		return r;
	/* the client's device rules first, then the nodes every container
	 * gets (a rule list that starts with "deny all" still reaches them) */
	if (s->res.n_devices && oci_add_default_device_rules(&s->res) < 0)
		return jp_enomem(p);
	if ((r = get_opt_string(p, "linux", v, "cgroupsPath", &s->cgroup_path)) < 0)
		return r;
	if ((e = jp_get(v, "devices")) && (r = parse_devices(p, "linux.devices", e, s)) < 0)
		return r;
	if ((e = jp_get(v, "seccomp")) && (r = parse_seccomp(p, "linux.seccomp", e, s)) < 0)
		return r;
	if ((e = jp_get(v, "rootfsPropagation")) &&
	    (r = parse_propagation(p, "linux.rootfsPropagation", e, &s->rootfs_propagation)) < 0)
		return r;
	for (int k = 0; k < 2; k++) {
		const char *key = k ? "readonlyPaths" : "maskedPaths";
		char ***list = k ? &s->readonly_paths : &s->masked_paths;
		json_t *a = jp_get(v, key), *f;
		size_t i;

		if (!a)
			continue;
		jp_key(kpath, "linux", key);
		if ((r = jp_array(p, kpath, a)) < 0)
			return r;
		json_array_foreach (a, i, f) {
			char epath[JP_PATH_MAX];
			char *path = NULL;

			jp_index(epath, kpath, i);
			if ((r = jp_abs_path(p, epath, f, &path)) < 0)
				return r;
			if (strv_push_own(list, path) < 0)
				return jp_enomem(p);
		}
	}
	if ((r = get_opt_string(p, "linux", v, "mountLabel", &s->mount_label)) < 0)
		return r;
	if ((e = jp_get(v, "personality")) &&
	    (r = parse_personality(p, "linux.personality", e, s)) < 0)
		return r;
	if ((e = jp_get(v, "timeOffsets")) &&
	    (r = parse_time_offsets(p, "linux.timeOffsets", e, s)) < 0)
		return r;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the whole document */

static int check_hostname(const struct jp *p, const char *key, const char *v,
			  const struct ward_spec *s)
{
	char q[72];

	if (!v)
		return 0;
	if (strlen(v) > 64)
		return jp_fail(p, key, "'%s' is longer than 64 characters", jp_quote(v, q));
	if (!s->ns[WNS_UTS].enabled)
		return jp_fail(p, key, "needs a uts namespace");
	return 0;
}

/* What the spec ties together, checked once everything is read. */
static int check_spec(const struct jp *p, struct ward_spec *s)
{
	bool timens_offsets =
	    s->time_offsets[WTIME_MONOTONIC].set || s->time_offsets[WTIME_BOOTTIME].set;
	int r;

	if ((r = check_hostname(p, "hostname", s->hostname, s)) < 0 ||
	    (r = check_hostname(p, "domainname", s->domainname, s)) < 0)
		return r;
	if (s->ns[WNS_USER].enabled) {
		s->userns_mode = WUSERNS_EXPLICIT;
		/* a joined namespace comes with its maps */
		if (!s->ns[WNS_USER].path && (!s->n_uid_maps || !s->n_gid_maps))
			return jp_fail(p, s->n_uid_maps ? "linux.gidMappings" : "linux.uidMappings",
				       "missing (a new user namespace needs uidMappings and "
				       "gidMappings)");
	} else {
		s->userns_mode = WUSERNS_HOST;
		if (s->n_uid_maps || s->n_gid_maps)
			return jp_fail(p, s->n_uid_maps ? "linux.uidMappings" : "linux.gidMappings",
				       "set without a user namespace");
	}
	if (timens_offsets && (!s->ns[WNS_TIME].enabled || s->ns[WNS_TIME].path))
		return jp_fail(p, "linux.timeOffsets",
			       s->ns[WNS_TIME].enabled ? "cannot change a joined time namespace"
						       : "needs a new time namespace");
	return 0;
}

static int parse_doc(const struct jp *p, json_t *doc, const char *bundle, struct ward_spec *s)
{
	static const char *const keys[] = {
	    "ociVersion", "process", "root",        "hostname", "domainname",
	    "mounts",     "hooks",   "annotations", "linux",    "solaris",
	    "windows",    "vm",      "zos",         "freebsd",  NULL,
	};
	static const char *const other_platforms[] = {"solaris", "windows", "vm", "zos", "freebsd"};
	json_t *e;
	int r;

	if ((r = jp_object(p, NULL, doc)) < 0 || (r = check_version(p, doc)) < 0 ||
	    (r = jp_check_keys(p, "", doc, keys)) < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(other_platforms); i++)
		if (jp_get(doc, other_platforms[i]))
			return jp_unsupported(p, other_platforms[i]);
	if ((r = parse_root(p, jp_get(doc, "root"), bundle, s)) < 0)
		return r;
	/* no process is allowed at create: the CLI refuses to start it */
	if ((e = jp_get(doc, "process")) && (r = parse_process(p, "process", e, &s->process)) < 0)
		return r;
	if ((r = get_opt_string(p, "", doc, "hostname", &s->hostname)) < 0 ||
	    (r = get_opt_string(p, "", doc, "domainname", &s->domainname)) < 0)
		return r;
	if ((r = oci_parse_mounts(p, jp_get(doc, "mounts"), bundle, s)) < 0)
		return r;
	if ((e = jp_get(doc, "hooks")) && (r = parse_hooks(p, e, &s->hooks)) < 0)
		return r;
	if ((r = jp_kv_map(p, "annotations", jp_get(doc, "annotations"), &s->annotations,
			   &s->n_annotations)) < 0)
		return r;
	if ((e = jp_get(doc, "linux")) && (r = parse_linux(p, e, s)) < 0)
		return r;
	return check_spec(p, s);
}

int oci_spec_from_json(json_t *doc, const char *name, const char *bundle, const char *id,
		       struct ward_spec **out, ward_err *err)
{
	struct jp p = {.name = name ? name : "config.json", .err = err};
	_cleanup_(spec_freep) struct ward_spec *s = spec_new();
	int r;

	if (!s)
		return jp_enomem(&p);
	s->bundle = realpath(bundle ? bundle : ".", NULL);
	if (!s->bundle)
		return werr(err, errno, "bundle %s", bundle ? bundle : ".");
	if (id && !(s->name = strdup(id)))
		return jp_enomem(&p);
	/* an OCI runtime does what the file says, and nothing of its own */
	s->seccomp_default = false;
	s->default_devices = true;
	r = parse_doc(&p, doc, s->bundle, s);
	if (r < 0)
		return r;
	*out = TAKE_PTR(s);
	return 0;
}

int oci_spec_load(const char *bundle, const char *id, struct ward_spec **out, ward_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s/config.json", bundle ? bundle : ".");
	json_t *doc;
	int r;

	if (!path)
		return werr(err, ENOMEM, "config.json");
	doc = oci_json_load_file(path, "config.json", err);
	if (!doc)
		return -err->code;
	r = oci_spec_from_json(doc, "config.json", bundle, id, out, err);
	json_decref(doc);
	return r;
}
