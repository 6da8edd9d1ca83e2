/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.json "mounts": each entry becomes a struct ward_mount the runtime
 * mounts in order (src/runtime/mounts.c).  Options are the runtime-spec's
 * table of mount(8) flags, propagation and recursive (mount_setattr)
 * attributes; anything else is filesystem data for mount(2) ("mode=755",
 * "size=64k"), on a bind mount too: the kernel ignores it there, as it does
 * under runc and crun.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "oci/jparse.h"
#include "util/cleanup.h"
#include "util/strutil.h"
#include "util/syscalls.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

/* Idmapped mounts (the "idmap"/"ridmap" options and a mount's
 * uidMappings/gidMappings) are refused until the runtime applies
 * ward_mount.uid_map/gid_map; features.json says so too. */
#define OCI_IDMAP_MOUNTS 0

enum opt_kind {
	OPT_NOOP,
	OPT_SET,     /* MS_* flag on */
	OPT_CLEAR,   /* MS_* flag off */
	OPT_PROP,    /* propagation, last one wins */
	OPT_REC_SET, /* MOUNT_ATTR_* on the whole subtree */
	OPT_REC_CLR,
	OPT_REC_ATIME, /* recursive atime mode: one of MOUNT_ATTR__ATIME */
	OPT_BIND,
	OPT_RBIND,
	OPT_IDMAP,
	OPT_UNSUPPORTED,
};

static const struct mount_opt {
	const char *name;
	enum opt_kind kind;
	unsigned long ms;
	uint64_t attr;
} mount_opts[] = {
    {"defaults", OPT_NOOP, 0, 0},
    {"bind", OPT_BIND, 0, 0},
    {"rbind", OPT_RBIND, 0, 0},
    {"ro", OPT_SET, MS_RDONLY, 0},
    {"rw", OPT_CLEAR, MS_RDONLY, 0},
    {"nosuid", OPT_SET, MS_NOSUID, 0},
    {"suid", OPT_CLEAR, MS_NOSUID, 0},
    {"nodev", OPT_SET, MS_NODEV, 0},
    {"dev", OPT_CLEAR, MS_NODEV, 0},
    {"noexec", OPT_SET, MS_NOEXEC, 0},
    {"exec", OPT_CLEAR, MS_NOEXEC, 0},
    {"sync", OPT_SET, MS_SYNCHRONOUS, 0},
    {"async", OPT_CLEAR, MS_SYNCHRONOUS, 0},
    {"dirsync", OPT_SET, MS_DIRSYNC, 0},
    {"mand", OPT_SET, MS_MANDLOCK, 0},
    {"nomand", OPT_CLEAR, MS_MANDLOCK, 0},
    {"noatime", OPT_SET, MS_NOATIME, 0},
    {"atime", OPT_CLEAR, MS_NOATIME, 0},
    {"nodiratime", OPT_SET, MS_NODIRATIME, 0},
    {"diratime", OPT_CLEAR, MS_NODIRATIME, 0},
    {"relatime", OPT_SET, MS_RELATIME, 0},
    {"norelatime", OPT_CLEAR, MS_RELATIME, 0},
    {"strictatime", OPT_SET, MS_STRICTATIME, 0},
    {"nostrictatime", OPT_CLEAR, MS_STRICTATIME, 0},
    {"lazytime", OPT_SET, MS_LAZYTIME, 0},
    {"nolazytime", OPT_CLEAR, MS_LAZYTIME, 0},
    {"iversion", OPT_SET, MS_I_VERSION, 0},
    {"noiversion", OPT_CLEAR, MS_I_VERSION, 0},
    {"silent", OPT_SET, MS_SILENT, 0},
    {"loud", OPT_CLEAR, MS_SILENT, 0},
    {"nosymfollow", OPT_SET, MS_NOSYMFOLLOW, 0},
    {"symfollow", OPT_CLEAR, MS_NOSYMFOLLOW, 0},
    {"shared", OPT_PROP, MS_SHARED, 0},
    {"rshared", OPT_PROP, MS_SHARED | MS_REC, 0},
    {"slave", OPT_PROP, MS_SLAVE, 0},
    {"rslave", OPT_PROP, MS_SLAVE | MS_REC, 0},
    {"private", OPT_PROP, MS_PRIVATE, 0},
    {"rprivate", OPT_PROP, MS_PRIVATE | MS_REC, 0},
    {"unbindable", OPT_PROP, MS_UNBINDABLE, 0},
    {"runbindable", OPT_PROP, MS_UNBINDABLE | MS_REC, 0},
    {"rro", OPT_REC_SET, 0, MOUNT_ATTR_RDONLY},
    {"rrw", OPT_REC_CLR, 0, MOUNT_ATTR_RDONLY},
    {"rnosuid", OPT_REC_SET, 0, MOUNT_ATTR_NOSUID},
    {"rsuid", OPT_REC_CLR, 0, MOUNT_ATTR_NOSUID},
    {"rnodev", OPT_REC_SET, 0, MOUNT_ATTR_NODEV},
    {"rdev", OPT_REC_CLR, 0, MOUNT_ATTR_NODEV},
    {"rnoexec", OPT_REC_SET, 0, MOUNT_ATTR_NOEXEC},
    {"rexec", OPT_REC_CLR, 0, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", OPT_REC_SET, 0, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", OPT_REC_CLR, 0, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", OPT_REC_SET, 0, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", OPT_REC_CLR, 0, MOUNT_ATTR_NOSYMFOLLOW},
    /* the atime mode is one value of the __ATIME field: "not noatime"
     * and "not strictatime" are the kernel's default, relatime; "not
     * relatime" is strictatime */
    {"rnoatime", OPT_REC_ATIME, 0, MOUNT_ATTR_NOATIME},
    {"ratime", OPT_REC_ATIME, 0, MOUNT_ATTR_RELATIME},
    {"rrelatime", OPT_REC_ATIME, 0, MOUNT_ATTR_RELATIME},
    {"rnorelatime", OPT_REC_ATIME, 0, MOUNT_ATTR_STRICTATIME},
    {"rstrictatime", OPT_REC_ATIME, 0, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", OPT_REC_ATIME, 0, MOUNT_ATTR_RELATIME},
    {"idmap", OPT_IDMAP, 0, 0},
    {"ridmap", OPT_IDMAP, 0, 0},
    /* remount changes an existing mount, which a fresh container has
     * none of; tmpcopyup (crun's) copies the image's files into a tmpfs */
    {"remount", OPT_UNSUPPORTED, 0, 0},
    {"tmpcopyup", OPT_UNSUPPORTED, 0, 0},
};

static const struct mount_opt *find_opt(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(mount_opts); i++)
		if (streq(mount_opts[i].name, name))
			return &mount_opts[i];
	return NULL;
}

int oci_mount_option_names(const char ***out, size_t *n)
{
	const char **v = calloc(ARRAY_SIZE(mount_opts), sizeof(*v));

	if (!v)
		return -ENOMEM;
	*n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(mount_opts); i++)
		if (mount_opts[i].kind != OPT_UNSUPPORTED &&
		    (mount_opts[i].kind != OPT_IDMAP || OCI_IDMAP_MOUNTS))
			v[(*n)++] = mount_opts[i].name;
	*out = v;
	return 0;
}

static void apply_opt(struct ward_mount *m, const struct mount_opt *o)
{
	switch (o->kind) {
	case OPT_SET:
		m->flags |= o->ms;
		break;
	case OPT_CLEAR:
		m->flags &= ~o->ms;
		break;
	case OPT_PROP:
		m->propagation = o->ms;
		break;
	case OPT_REC_SET:
		m->rec_attr_set |= o->attr;
		m->rec_attr_clr &= ~o->attr;
		break;
	case OPT_REC_CLR:
		m->rec_attr_clr |= o->attr;
		m->rec_attr_set &= ~o->attr;
		break;
	case OPT_REC_ATIME:
		m->rec_attr_set = (m->rec_attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | o->attr;
		m->rec_attr_clr |= MOUNT_ATTR__ATIME;
		break;
	case OPT_BIND:
		m->flags |= MS_BIND;
		break;
	case OPT_RBIND:
		m->flags |= MS_BIND | MS_REC;
		break;
	case OPT_NOOP:
	case OPT_IDMAP:
	case OPT_UNSUPPORTED:
		break;
	}
}

static int append_data(const struct jp *p, char **data, const char *opt)
{
	char *n = *data ? xasprintf("%s,%s", *data, opt) : strdup(opt);

	if (!n)
		return jp_enomem(p);
	free(*data);
	*data = n;
	return 0;
}

struct options_job {
	struct ward_mount *m;
	bool *idmap;
	char ***unknown;
};

static int add_option(const struct jp *p, const char *epath, const char *s, void *data)
{
	const struct options_job *j = data;
	const struct mount_opt *o;
	char q[72];

	if (!*s || strchr(s, ','))
		return jp_fail(p, epath, "'%s' is not one mount option", jp_quote(s, q));
	o = find_opt(s);
	if (!o)
		return strv_push(j->unknown, s) < 0 ? jp_enomem(p) : 0;
	if (o->kind == OPT_UNSUPPORTED)
		return jp_fail(p, epath, "mount option '%s' is not supported by ward", s);
	if (o->kind == OPT_IDMAP)
		*j->idmap = true;
	apply_opt(j->m, o);
	return 0;
}

static int parse_options(const struct jp *p, const char *path, json_t *v, struct ward_mount *m,
			 bool *idmap, char ***unknown)
{
	struct options_job j = {m, idmap, unknown};

	return jp_each_string(p, path, v, add_option, &j);
}

static int parse_mount(const struct jp *p, const char *path, json_t *v, const char *bundle,
		       struct ward_mount *m)
{
	static const char *const keys[] = {"destination", "type",        "source", "options",
					   "uidMappings", "gidMappings", NULL};
	_cleanup_strv_ char **unknown = NULL;
	char kpath[JP_PATH_MAX];
	bool idmap = false;
	const char *dst;
	json_t *e;
	int r;

	r = jp_check_keys(p, path, v, keys);
	if (r < 0)
		return r;

	if ((r = jp_need(p, path, v, "destination", kpath, &e)) < 0)
		return r;
	r = jp_string(p, kpath, e, &dst);
	if (r < 0)
		return r;
	if (!*dst)
		return jp_fail(p, kpath, "empty path");
	if (dst[0] != '/') {
		/* relative destinations are deprecated and relative to "/" */
		_cleanup_free_ char *abs = xasprintf("/%s", dst);
		json_t *tmp = abs ? json_string(abs) : NULL;

		if (!tmp)
			return jp_enomem(p);
		r = jp_abs_path(p, kpath, tmp, &m->destination);
		json_decref(tmp);
	} else {
		r = jp_abs_path(p, kpath, e, &m->destination);
	}
	if (r < 0)
		return r;
	if (strspn(m->destination, "/") == strlen(m->destination))
		return jp_fail(p, kpath, "cannot mount over the container's /");

	jp_key(kpath, path, "type");
	e = jp_get(v, "type");
	if (e && (r = jp_strdup(p, kpath, e, &m->type)) < 0)
		return r;
	if (m->type && !*m->type) {
		free(m->type);
		m->type = NULL;
	}
	jp_key(kpath, path, "options");
	r = parse_options(p, kpath, jp_get(v, "options"), m, &idmap, &unknown);
	if (r < 0)
		return r;

	if (jp_get(v, "uidMappings") || jp_get(v, "gidMappings") || idmap) {
		if (!OCI_IDMAP_MOUNTS) {
			jp_key(kpath, path, idmap ? "options" : "uidMappings");
			return jp_fail(p, kpath, "idmapped mounts are not supported by ward yet");
		}
		jp_key(kpath, path, "uidMappings");
		r = jp_idmaps(p, kpath, jp_get(v, "uidMappings"), &m->uid_map, &m->n_uid_map);
		if (r < 0)
			return r;
		jp_key(kpath, path, "gidMappings");
		r = jp_idmaps(p, kpath, jp_get(v, "gidMappings"), &m->gid_map, &m->n_gid_map);
		if (r < 0)
			return r;
		if (!m->n_uid_map != !m->n_gid_map)
			return jp_fail(p, path, "uidMappings and gidMappings go together");
	}

	/* a bind is named by its options; a "bind" type is taken at its word */
	if (m->type && streq(m->type, "bind"))
		m->flags |= MS_BIND;
	if (m->flags & MS_BIND) {
		free(m->type);
		m->type = strdup("bind");
		if (!m->type)
			return jp_enomem(p);
	} else if (!m->type) {
		jp_key(kpath, path, "type");
		return jp_fail(p, kpath, "missing (needed unless the mount is a bind)");
	}
	/* filesystem data, as the spec says; the kernel ignores it on a bind,
	 * and the validation suite gives binds "mode=755,size=1k" */
	STRV_FOREACH (u, unknown)
		if ((r = append_data(p, &m->data, *u)) < 0)
			return r;

	jp_key(kpath, path, "source");
	e = jp_get(v, "source");
	if (e) {
		const char *src;

		r = jp_string(p, kpath, e, &src);
		if (r < 0)
			return r;
		if (!*src)
			e = NULL;
		else if ((m->flags & MS_BIND) && src[0] != '/')
			/* a bind source may be relative to the bundle */
			m->source = xasprintf("%s/%s", bundle, src);
		else
			m->source = strdup(src);
		if (e && !m->source)
			return jp_enomem(p);
	}
	if (!m->source && (m->flags & MS_BIND))
		return jp_fail(p, kpath, "missing (a bind mount needs a source)");
	return 0;
}

int oci_parse_mounts(const struct jp *p, json_t *v, const char *bundle, struct ward_spec *s)
{
	json_t *e;
	size_t i;
	int r;

	if (!v)
		return 0;
	r = jp_array(p, "mounts", v);
	if (r < 0)
		return r;
	json_array_foreach (v, i, e) {
		struct ward_mount m = {0};
		char path[JP_PATH_MAX];

		jp_index(path, "mounts", i);
		r = parse_mount(p, path, e, bundle, &m);
		if (r >= 0 && spec_add_mount(s, &m, false) < 0)
			r = jp_enomem(p);
		mount_entry_clear(&m);
		if (r < 0)
			return r;
	}
	return 0;
}
