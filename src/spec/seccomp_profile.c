/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The JSON seccomp profile: the OCI runtime-spec linux.seccomp object and
 * Docker's profile format, which adds archMap, includes/excludes and a
 * single "name" per entry.  The parser is strict about structure (unknown
 * keys, wrong types, unknown action/op/arch/flag strings are errors naming
 * the JSON location) and lenient about syscall names, because profiles list
 * calls of every architecture; the compiler skips names it cannot resolve.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "spec/seccomp_profile.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* Bumped whenever the serialization or the compiler's interpretation of a
 * profile changes, so stale cache entries stop matching. */
#define SERIALIZE_VERSION 2

#define PATH_MAX_LEN 128

static const struct {
	const char *name;
	enum ward_seccomp_action action;
} action_names[] = {
    {"SCMP_ACT_KILL", WSC_KILL_THREAD}, /* the historical name */
    {"SCMP_ACT_KILL_THREAD", WSC_KILL_THREAD},
    {"SCMP_ACT_KILL_PROCESS", WSC_KILL_PROCESS},
    {"SCMP_ACT_TRAP", WSC_TRAP},
    {"SCMP_ACT_ERRNO", WSC_ERRNO},
    {"SCMP_ACT_TRACE", WSC_TRACE},
    {"SCMP_ACT_ALLOW", WSC_ALLOW},
    {"SCMP_ACT_LOG", WSC_LOG},
    {"SCMP_ACT_NOTIFY", WSC_NOTIFY},
};

static const struct {
	const char *name;
	enum ward_seccomp_op op;
} op_names[] = {
    {"SCMP_CMP_NE", WSC_OP_NE},
    {"SCMP_CMP_LT", WSC_OP_LT},
    {"SCMP_CMP_LE", WSC_OP_LE},
    {"SCMP_CMP_EQ", WSC_OP_EQ},
    {"SCMP_CMP_GE", WSC_OP_GE},
    {"SCMP_CMP_GT", WSC_OP_GT},
    {"SCMP_CMP_MASKED_EQ", WSC_OP_MASKED_EQ},
};

/* Every architecture the OCI spec names, with Docker's (Go's) spelling
 * and libseccomp's.  Architectures this libseccomp does not know are still
 * accepted: a profile written for all platforms lists them. */
static const struct {
	const char *oci;
	const char *docker;
	const char *libseccomp;
} arch_names[] = {
    {"SCMP_ARCH_X86", "x86", "x86"},
    {"SCMP_ARCH_X86_64", "amd64", "x86_64"},
    {"SCMP_ARCH_X32", "x32", "x32"},
    {"SCMP_ARCH_ARM", "arm", "arm"},
    {"SCMP_ARCH_AARCH64", "arm64", "aarch64"},
    {"SCMP_ARCH_MIPS", "mips", "mips"},
    {"SCMP_ARCH_MIPS64", "mips64", "mips64"},
    {"SCMP_ARCH_MIPS64N32", "mips64n32", "mips64n32"},
    {"SCMP_ARCH_MIPSEL", "mipsel", "mipsel"},
    {"SCMP_ARCH_MIPSEL64", "mipsel64", "mipsel64"},
    {"SCMP_ARCH_MIPSEL64N32", "mipsel64n32", "mipsel64n32"},
    {"SCMP_ARCH_PPC", "ppc", "ppc"},
    {"SCMP_ARCH_PPC64", "ppc64", "ppc64"},
    {"SCMP_ARCH_PPC64LE", "ppc64le", "ppc64le"},
    {"SCMP_ARCH_S390", "s390", "s390"},
    {"SCMP_ARCH_S390X", "s390x", "s390x"},
    {"SCMP_ARCH_PARISC", "parisc", "parisc"},
    {"SCMP_ARCH_PARISC64", "parisc64", "parisc64"},
    {"SCMP_ARCH_RISCV64", "riscv64", "riscv64"},
    {"SCMP_ARCH_LOONGARCH64", "loong64", "loongarch64"},
    {"SCMP_ARCH_M68K", "m68k", "m68k"},
    {"SCMP_ARCH_SH", "sh", "sh"},
    {"SCMP_ARCH_SHEB", "sheb", "sheb"},
};

static const struct {
	const char *name;
	unsigned int value;
} flag_names[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

const char *seccomp_action_name(enum ward_seccomp_action a)
{
	/* skip the alias so KILL_THREAD prints under its current name */
	for (size_t i = 1; i < ARRAY_SIZE(action_names); i++)
		if (action_names[i].action == a)
			return action_names[i].name;
	return "SCMP_ACT_?";
}

const char *seccomp_arch_canonical(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(arch_names); i++)
		if (strcasecmp(name, arch_names[i].oci) == 0 ||
		    strcasecmp(name, arch_names[i].docker) == 0 ||
		    strcasecmp(name, arch_names[i].libseccomp) == 0)
			return arch_names[i].oci;
	/* Go calls 32-bit x86 "386" */
	if (streq(name, "386") || streq(name, "i386"))
		return "SCMP_ARCH_X86";
	return NULL;
}

uint32_t seccomp_arch_token(const char *canonical)
{
	for (size_t i = 0; i < ARRAY_SIZE(arch_names); i++)
		if (streq(canonical, arch_names[i].oci))
			return seccomp_arch_resolve_name(arch_names[i].libseccomp);
	return 0;
}

const char *seccomp_arch_native_name(void)
{
	uint32_t native = seccomp_arch_native();

	for (size_t i = 0; i < ARRAY_SIZE(arch_names); i++)
		if (seccomp_arch_resolve_name(arch_names[i].libseccomp) == native)
			return arch_names[i].oci;
	return "SCMP_ARCH_NATIVE";
}

unsigned int seccomp_flag_value(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(flag_names); i++)
		if (streq(name, flag_names[i].name))
			return flag_names[i].value;
	return 0;
}

int seccomp_kernel_version_parse(const char *s, bool whole, uint64_t *out)
{
	uint64_t part[3] = {0, 0, 0};
	size_t n = 0;

	for (;;) {
		uint64_t v = 0;

		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (uint64_t)(*s++ - '0');
			if (v > 0xffff)
				return -EINVAL;
		}
		part[n++] = v;
		if (n == 3 || *s != '.' || !isdigit((unsigned char)s[1]))
			break;
		s++;
	}
	if (n < 2 || (whole && *s))
		return -EINVAL;
	*out = part[0] << 32 | part[1] << 16 | part[2];
	return 0;
}

/* ------------------------------------------------------------------ */
/* parser */

struct parser {
	const char *where;
	ward_err *err;
};

/* User strings end up in one-line messages: keep them short and printable. */
static const char *quote(const char *s, char buf[72])
{
	return str_for_message(s, buf, 68);
}

static int perr(const struct parser *p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int perr(const struct parser *p, const char *path, const char *fmt, ...)
{
	char msg[WARD_ERR_MSG_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path && *path)
		return werrx(p->err, EINVAL, "%s: %s: %s", p->where, path, msg);
	return werrx(p->err, EINVAL, "%s: %s", p->where, msg);
}

static int enomem(const struct parser *p)
{
	return werr(p->err, ENOMEM, "%s", p->where);
}

/* A location that does not fit is shown cut, marked with "..." */
static void path_mark_cut(char *buf, int n)
{
	if (n >= PATH_MAX_LEN)
		memcpy(buf + PATH_MAX_LEN - 4, "...", 4);
}

/* path + "." + key, or just key at the top level */
static void path_key(char *buf, const char *path, const char *key)
{
	path_mark_cut(buf, snprintf(buf, PATH_MAX_LEN, "%s%s%s", path, *path ? "." : "", key));
}

static void path_index(char *buf, const char *path, size_t i)
{
	path_mark_cut(buf, snprintf(buf, PATH_MAX_LEN, "%s[%zu]", path, i));
}

static int check_keys(const struct parser *p, const char *path, json_t *obj,
		      const char *const *known)
{
	const char *key;
	json_t *v;
	char q[72];

	json_object_foreach (obj, key, v) {
		bool ok = false;

		for (size_t i = 0; known[i] && !ok; i++)
			ok = streq(known[i], key);
		if (!ok)
			return perr(p, path, "unknown key \"%s\"", quote(key, q));
	}
	return 0;
}

static int get_string(const struct parser *p, const char *path, json_t *v, const char **out)
{
	if (!json_is_string(v))
		return perr(p, path, "expected a string");
	*out = json_string_value(v);
	if (strlen(*out) != json_string_length(v))
		return perr(p, path, "string contains a NUL byte");
	return 0;
}

static int get_uint(const struct parser *p, const char *path, json_t *v, uint64_t max,
		    uint64_t *out)
{
	json_int_t i;

	if (!json_is_integer(v))
		return perr(p, path, "expected an integer");
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return perr(p, path, "%" JSON_INTEGER_FORMAT " is out of range (0 to %" PRIu64 ")",
			    i, max);
	*out = (uint64_t)i;
	return 0;
}

/* An array of strings (JSON null counts as empty).  canon, if given, maps
 * each element to its stored form and returns NULL for an invalid one. */
static int get_strv(const struct parser *p, const char *path, json_t *v, const char *what,
		    const char *(*canon)(const char *), char ***out)
{
	char epath[PATH_MAX_LEN];
	size_t i;
	json_t *e;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return perr(p, path, "expected an array of strings");
	json_array_foreach (v, i, e) {
		const char *s, *stored;
		char q[72];
		int r;

		path_index(epath, path, i);
		r = get_string(p, epath, e, &s);
		if (r < 0)
			return r;
		stored = canon ? canon(s) : s;
		if (!stored)
			return perr(p, epath, "unknown %s \"%s\"", what, quote(s, q));
		if (!canon && !*s)
			return perr(p, epath, "empty %s", what);
		if (strv_push(out, stored) < 0)
			return enomem(p);
	}
	return 0;
}

static const char *canon_flag(const char *s)
{
	return seccomp_flag_value(s) ? s : NULL;
}

static int parse_action(const struct parser *p, const char *path, json_t *v,
			enum ward_seccomp_action *out)
{
	const char *s;
	char q[72];
	int r = get_string(p, path, v, &s);

	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(action_names); i++)
		if (streq(s, action_names[i].name)) {
			*out = action_names[i].action;
			return 0;
		}
	return perr(p, path, "unknown action \"%s\"", quote(s, q));
}

/* errnoRet: the errno of an ERRNO action, or the 16-bit message of a
 * TRACE action. */
static int parse_errno(const struct parser *p, const char *path, json_t *v,
		       enum ward_seccomp_action action, int *out)
{
	uint64_t n;
	int r = get_uint(p, path, v, action == WSC_ERRNO ? 4095 : 65535, &n);

	if (r < 0)
		return r;
	*out = (int)n;
	return 0;
}

static int parse_caps(const struct parser *p, const char *path, json_t *v, uint64_t *out)
{
	char epath[PATH_MAX_LEN];
	size_t i;
	json_t *e;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return perr(p, path, "expected an array of strings");
	json_array_foreach (v, i, e) {
		char full[80], q[72];
		cap_value_t cap;
		const char *s;
		int r;

		path_index(epath, path, i);
		r = get_string(p, epath, e, &s);
		if (r < 0)
			return r;
		/* libcap also takes numbers; a profile names capabilities */
		snprintf(full, sizeof(full), "%s%s", strncasecmp(s, "CAP_", 4) == 0 ? "" : "cap_",
			 s);
		if (!isalpha((unsigned char)s[0]) || strlen(s) > 64 ||
		    cap_from_name(full, &cap) < 0 || cap < 0 || cap > 63)
			return perr(p, epath, "unknown capability \"%s\"", quote(s, q));
		*out |= 1ULL << cap;
	}
	return 0;
}

static int parse_filter(const struct parser *p, const char *path, json_t *v, bool includes,
			struct ward_seccomp_rule *rule)
{
	static const char *const incl_keys[] = {"caps", "arches", "minKernel", NULL};
	static const char *const excl_keys[] = {"caps", "arches", NULL};
	char kpath[PATH_MAX_LEN];
	json_t *e;
	int r;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return perr(p, path, "expected an object");
	r = check_keys(p, path, v, includes ? incl_keys : excl_keys);
	if (r < 0)
		return r;
	path_key(kpath, path, "caps");
	r = parse_caps(p, kpath, json_object_get(v, "caps"),
		       includes ? &rule->caps_incl : &rule->caps_excl);
	if (r < 0)
		return r;
	path_key(kpath, path, "arches");
	r = get_strv(p, kpath, json_object_get(v, "arches"), "architecture", seccomp_arch_canonical,
		     includes ? &rule->arches_incl : &rule->arches_excl);
	if (r < 0)
		return r;
	e = json_object_get(v, "minKernel");
	if (includes && e && !json_is_null(e)) {
		const char *s;
		char q[72];
		uint64_t ver;

		path_key(kpath, path, "minKernel");
		r = get_string(p, kpath, e, &s);
		if (r < 0)
			return r;
		if (seccomp_kernel_version_parse(s, true, &ver) < 0)
			return perr(p, kpath, "invalid kernel version \"%s\"", quote(s, q));
		rule->min_kernel = strdup(s);
		if (!rule->min_kernel)
			return enomem(p);
	}
	return 0;
}

static int parse_arg(const struct parser *p, const char *path, json_t *v,
		     struct ward_seccomp_arg *arg)
{
	static const char *const keys[] = {"index", "value", "valueTwo", "op", NULL};
	char kpath[PATH_MAX_LEN], q[72];
	const char *op;
	uint64_t n;
	json_t *e;
	int r;

	if (!json_is_object(v))
		return perr(p, path, "expected an object");
	r = check_keys(p, path, v, keys);
	if (r < 0)
		return r;

	path_key(kpath, path, "index");
	e = json_object_get(v, "index");
	if (!e)
		return perr(p, kpath, "missing");
	r = get_uint(p, kpath, e, 5, &n);
	if (r < 0)
		return r;
	arg->index = (unsigned int)n;

	path_key(kpath, path, "value");
	e = json_object_get(v, "value");
	if (!e)
		return perr(p, kpath, "missing");
	r = get_uint(p, kpath, e, UINT64_MAX, &arg->value);
	if (r < 0)
		return r;

	path_key(kpath, path, "valueTwo");
	e = json_object_get(v, "valueTwo");
	if (e && !json_is_null(e)) {
		r = get_uint(p, kpath, e, UINT64_MAX, &arg->value_two);
		if (r < 0)
			return r;
	}

	path_key(kpath, path, "op");
	e = json_object_get(v, "op");
	if (!e)
		return perr(p, kpath, "missing");
	r = get_string(p, kpath, e, &op);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(op_names); i++)
		if (streq(op, op_names[i].name))
			arg->op = op_names[i].op;
	if (!arg->op)
		return perr(p, kpath, "unknown operator \"%s\"", quote(op, q));
	return 0;
}

static int parse_rule(const struct parser *p, const char *path, json_t *v,
		      struct ward_seccomp_rule *rule)
{
	static const char *const keys[] = {"names",   "name",     "action",   "errnoRet", "args",
					   "comment", "includes", "excludes", NULL};
	char kpath[PATH_MAX_LEN];
	json_t *names, *name, *e;
	int r;

	if (!json_is_object(v))
		return perr(p, path, "expected an object");
	r = check_keys(p, path, v, keys);
	if (r < 0)
		return r;

	names = json_object_get(v, "names");
	name = json_object_get(v, "name");
	if (names && json_is_null(names))
		names = NULL;
	if (name && json_is_null(name))
		name = NULL;
	if (names && name)
		return perr(p, path, "both \"name\" and \"names\" are set");
	if (name) {
		const char *s;

		path_key(kpath, path, "name");
		r = get_string(p, kpath, name, &s);
		if (r < 0)
			return r;
		if (!*s)
			return perr(p, kpath, "empty syscall name");
		if (strv_push(&rule->names, s) < 0)
			return enomem(p);
	} else if (names) {
		path_key(kpath, path, "names");
		r = get_strv(p, kpath, names, "syscall name", NULL, &rule->names);
		if (r < 0)
			return r;
	}
	if (strv_length(rule->names) == 0)
		return perr(p, path, "no syscall names");

	path_key(kpath, path, "action");
	e = json_object_get(v, "action");
	if (!e)
		return perr(p, kpath, "missing");
	r = parse_action(p, kpath, e, &rule->action);
	if (r < 0)
		return r;

	e = json_object_get(v, "errnoRet");
	if (e && !json_is_null(e)) {
		path_key(kpath, path, "errnoRet");
		r = parse_errno(p, kpath, e, rule->action, &rule->errno_ret);
		if (r < 0)
			return r;
	}

	e = json_object_get(v, "args");
	if (e && !json_is_null(e)) {
		size_t i;
		json_t *a;

		path_key(kpath, path, "args");
		if (!json_is_array(e))
			return perr(p, kpath, "expected an array");
		if (json_array_size(e) > 6)
			return perr(p, kpath, "more than 6 argument comparisons");
		rule->args = calloc(json_array_size(e) + 1, sizeof(*rule->args));
		if (!rule->args)
			return enomem(p);
		json_array_foreach (e, i, a) {
			char apath[PATH_MAX_LEN];

			path_index(apath, kpath, i);
			r = parse_arg(p, apath, a, &rule->args[i]);
			if (r < 0)
				return r;
			rule->n_args++;
		}
	}

	e = json_object_get(v, "comment");
	if (e && !json_is_null(e) && !json_is_string(e)) {
		path_key(kpath, path, "comment");
		return perr(p, kpath, "expected a string");
	}

	path_key(kpath, path, "includes");
	r = parse_filter(p, kpath, json_object_get(v, "includes"), true, rule);
	if (r < 0)
		return r;
	path_key(kpath, path, "excludes");
	return parse_filter(p, kpath, json_object_get(v, "excludes"), false, rule);
}

/* Docker's archMap: pick the entry of the architecture we run on. */
static int parse_arch_map(const struct parser *p, json_t *v, struct ward_seccomp *sc)
{
	static const char *const keys[] = {"architecture", "subArchitectures", NULL};
	const char *native = seccomp_arch_native_name();
	bool found = false;
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return perr(p, "archMap", "expected an array");
	json_array_foreach (v, i, e) {
		char path[PATH_MAX_LEN], kpath[PATH_MAX_LEN], q[72];
		_cleanup_strv_ char **subs = NULL;
		const char *arch, *canon;
		int r;

		path_index(path, "archMap", i);
		if (!json_is_object(e))
			return perr(p, path, "expected an object");
		r = check_keys(p, path, e, keys);
		if (r < 0)
			return r;
		path_key(kpath, path, "architecture");
		if (!json_object_get(e, "architecture"))
			return perr(p, kpath, "missing");
		r = get_string(p, kpath, json_object_get(e, "architecture"), &arch);
		if (r < 0)
			return r;
		canon = seccomp_arch_canonical(arch);
		if (!canon)
			return perr(p, kpath, "unknown architecture \"%s\"", quote(arch, q));
		path_key(kpath, path, "subArchitectures");
		r = get_strv(p, kpath, json_object_get(e, "subArchitectures"), "architecture",
			     seccomp_arch_canonical, &subs);
		if (r < 0)
			return r;
		if (found || !streq(canon, native))
			continue;
		found = true;
		if (strv_push(&sc->architectures, canon) < 0)
			return enomem(p);
		STRV_FOREACH (s, subs)
			if (!strv_contains(sc->architectures, *s) &&
			    strv_push(&sc->architectures, *s) < 0)
				return enomem(p);
	}
	/* A map without our architecture: filter the native ABI only. */
	if (!found && strv_push(&sc->architectures, native) < 0)
		return enomem(p);
	return 0;
}

static int parse_profile(const struct parser *p, json_t *obj, struct ward_seccomp *sc)
{
	static const char *const keys[] = {
	    "defaultAction", "defaultErrnoRet",  "architectures", "archMap", "flags",
	    "listenerPath",  "listenerMetadata", "syscalls",      NULL,
	};
	json_t *e, *arch_map, *entry;
	size_t i;
	int r;

	if (!json_is_object(obj))
		return perr(p, NULL, "expected a JSON object");
	r = check_keys(p, NULL, obj, keys);
	if (r < 0)
		return r;

	e = json_object_get(obj, "defaultAction");
	if (!e)
		return perr(p, "defaultAction", "missing");
	r = parse_action(p, "defaultAction", e, &sc->default_action);
	if (r < 0)
		return r;
	/* the kernel has no "notify unless a rule matches" mode */
	if (sc->default_action == WSC_NOTIFY)
		return perr(p, "defaultAction", "SCMP_ACT_NOTIFY cannot be the default action");

	sc->default_errno = EPERM; /* the OCI default */
	e = json_object_get(obj, "defaultErrnoRet");
	if (e && !json_is_null(e)) {
		r = parse_errno(p, "defaultErrnoRet", e, sc->default_action, &sc->default_errno);
		if (r < 0)
			return r;
	}

	r = get_strv(p, "architectures", json_object_get(obj, "architectures"), "architecture",
		     seccomp_arch_canonical, &sc->architectures);
	if (r < 0)
		return r;
	arch_map = json_object_get(obj, "archMap");
	if (arch_map && !json_is_null(arch_map)) {
		if (sc->architectures)
			return perr(p, "archMap", "cannot be combined with \"architectures\"");
		r = parse_arch_map(p, arch_map, sc);
		if (r < 0)
			return r;
	}

	r = get_strv(p, "flags", json_object_get(obj, "flags"), "flag", canon_flag, &sc->flags);
	if (r < 0)
		return r;

	e = json_object_get(obj, "listenerPath");
	if (e && !json_is_null(e)) {
		const char *s;

		r = get_string(p, "listenerPath", e, &s);
		if (r < 0)
			return r;
		sc->listener_path = strdup(s);
		if (!sc->listener_path)
			return enomem(p);
	}
	e = json_object_get(obj, "listenerMetadata");
	if (e && !json_is_null(e)) {
		const char *s;

		r = get_string(p, "listenerMetadata", e, &s);
		if (r < 0)
			return r;
		if (!sc->listener_path)
			return perr(p, "listenerMetadata", "set without \"listenerPath\"");
		sc->listener_metadata = strdup(s);
		if (!sc->listener_metadata)
			return enomem(p);
	}

	e = json_object_get(obj, "syscalls");
	if (!e || json_is_null(e))
		return 0;
	if (!json_is_array(e))
		return perr(p, "syscalls", "expected an array");
	if (json_array_size(e) == 0)
		return 0;
	sc->rules = calloc(json_array_size(e), sizeof(*sc->rules));
	if (!sc->rules)
		return enomem(p);
	json_array_foreach (e, i, entry) {
		char path[PATH_MAX_LEN];
		struct ward_seccomp_rule *rule = &sc->rules[sc->n_rules++];

		rule->errno_ret = -1;
		path_index(path, "syscalls", i);
		r = parse_rule(p, path, entry, rule);
		if (r < 0)
			return r;
	}
	return 0;
}

int seccomp_profile_from_json(json_t *obj, const char *where, struct ward_seccomp **out,
			      ward_err *err)
{
	struct parser p = {.where = where ? where : "seccomp profile", .err = err};
	struct ward_seccomp *sc = calloc(1, sizeof(*sc));
	int r;

	if (!sc)
		return enomem(&p);
	r = parse_profile(&p, obj, sc);
	if (r < 0) {
		seccomp_free(sc);
		return r;
	}
	*out = sc;
	return 0;
}

int seccomp_profile_load_file(const char *path, struct ward_seccomp **out, ward_err *err)
{
	_cleanup_free_ char *text = NULL;
	json_error_t jerr;
	json_t *root;
	size_t len;
	int r;

	r = read_file(path, &text, &len);
	if (r < 0)
		return werr(err, -r, "seccomp profile %s", path);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return werrx(err, EINVAL, "%s: line %d column %d: %s", path, jerr.line, jerr.column,
			     jerr.text);
	r = seccomp_profile_from_json(root, path, out, err);
	json_decref(root);
	return r;
}

/* ------------------------------------------------------------------ */
/* serialization */

/* A growing byte buffer.  The serialization is binary and written by hand:
 * it is built on every container start to look the compiled filter up, and
 * stdio formatting made it half of ward's user-space work (callgrind). */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put_bytes(struct sbuf *b, const void *data, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *np;
		while (cap < b->len + n)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put_u64(struct sbuf *b, uint64_t v)
{
	put_bytes(b, &v, sizeof(v));
}

/* Strings carry their length first, so no two different profiles can
 * produce the same bytes; NULL is a length no string can have. */
static void put_str(struct sbuf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	put_u64(b, s ? n : UINT64_MAX);
	put_bytes(b, s, n);
}

static void put_strv(struct sbuf *b, char *const *v)
{
	put_u64(b, strv_length(v));
	STRV_FOREACH (s, v)
		put_str(b, *s);
}

int seccomp_profile_serialize(const struct ward_seccomp *sc, uint64_t caps, char **out, size_t *len)
{
	const struct scmp_version *ver = seccomp_version();
	static const char magic[8] = "wardsc\0";
	struct sbuf b = {0};
	uint64_t relevant = 0;

	/* Only capabilities some rule asks about change the result; leaving
	 * the others out lets containers with different but equivalent
	 * capability sets share one cached filter. */
	for (size_t i = 0; i < sc->n_rules; i++)
		relevant |= sc->rules[i].caps_incl | sc->rules[i].caps_excl;

	put_bytes(&b, magic, sizeof(magic));
	put_u64(&b, SERIALIZE_VERSION);
	put_u64(&b,
		ver ? ((uint64_t)ver->major << 32 | (uint64_t)ver->minor << 16 | ver->micro) : 0);
	put_u64(&b, caps & relevant);
	put_u64(&b, (uint64_t)sc->default_action);
	put_u64(&b, (uint64_t)(int64_t)sc->default_errno);
	put_strv(&b, sc->architectures);
	put_strv(&b, sc->flags);
	put_u64(&b, sc->n_rules);
	for (size_t i = 0; i < sc->n_rules; i++) {
		const struct ward_seccomp_rule *rule = &sc->rules[i];
		uint64_t kver = 0;

		put_u64(&b, (uint64_t)rule->action);
		put_u64(&b, (uint64_t)(int64_t)rule->errno_ret);
		put_u64(&b, rule->caps_incl);
		put_u64(&b, rule->caps_excl);
		put_strv(&b, rule->names);
		put_u64(&b, rule->n_args);
		for (size_t j = 0; j < rule->n_args; j++) {
			const struct ward_seccomp_arg *a = &rule->args[j];

			put_u64(&b, a->index);
			put_u64(&b, (uint64_t)a->op);
			put_u64(&b, a->value);
			put_u64(&b, a->value_two);
		}
		put_strv(&b, rule->arches_incl);
		put_strv(&b, rule->arches_excl);
		/* the version, not its spelling: "4.8" and "4.8.0" are one */
		if (rule->min_kernel &&
		    seccomp_kernel_version_parse(rule->min_kernel, false, &kver) < 0)
			kver = UINT64_MAX;
		put_u64(&b, rule->min_kernel ? kver : 0);
	}
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}
