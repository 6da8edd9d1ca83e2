/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Container config files (ward-config(5)).  Lines are read in order: ward's
 * own keys go straight through the `ward run` option table, LXC keys are
 * translated into the same settings.  What needs the whole configuration
 * (network interfaces, mount entries, capabilities, swap, lxc.init.uid/gid)
 * is collected while reading and applied by config_finish(); each item keeps
 * the file, line and key it came from for its error message.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "net/netspec.h"
#include "spec/config_internal.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

#define CONFIG_SIZE_MAX (1024 * 1024)

/* ---- positions and errors ---- */

void cfg_pos_clear(struct cfg_pos *p)
{
	free(p->file);
	free(p->key);
	memset(p, 0, sizeof(*p));
}

int cfg_pos_save(struct cfg_pos *dst, const struct cfg_pos *src, ward_err *err)
{
	cfg_pos_clear(dst);
	dst->file = strdup(src->file);
	dst->key = strdup(src->key);
	dst->line = src->line;
	return dst->file && dst->key ? 0 : werr(err, ENOMEM, "config");
}

int cfg_pos_errx(ward_err *err, const struct cfg_pos *p, int code, const char *fmt, ...)
{
	char msg[WARD_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return werrx(err, code, "%s:%u: %s: %s", p->file, p->line, p->key, msg);
}

int cfg_pos_wrap(ward_err *err, const struct cfg_pos *p)
{
	return werr_wrap(err, "%s:%u: %s", p->file, p->line, p->key);
}

int cfg_not_implemented(ward_err *err, const char *why)
{
	return werrx(err, ENOTSUP, "not implemented by ward%s%s%s", why ? " (" : "", why ? why : "",
		     why ? ")" : "");
}

/* ---- small helpers ---- */

int cfg_apply(struct config *c, const char *key, const char *value, ward_err *err)
{
	const struct run_option *o = run_option_find_key(key);

	if (!o)
		return werrx(err, EINVAL, "no option has the key %s", key);
	return run_option_apply(c->rs, o, value, err);
}

char *cfg_path(const struct config *c, const char *v)
{
	if (v[0] == '/' || !v[0])
		return strdup(v);
	return xasprintf("%s/%s", c->dir ? c->dir : ".", v);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static int parse_flag(const char *v, bool *on)
{
	if (streq(v, "1") || streq(v, "true"))
		*on = true;
	else if (streq(v, "0") || streq(v, "false"))
		*on = false;
	else
		return -EINVAL;
	return 0;
}

/* ---- ward keys ---- */

static void off_read_only(struct run_settings *rs)
{
	rs->spec->rootfs_readonly = false;
}

static void off_init(struct run_settings *rs)
{
	rs->spec->init = false;
}

static void off_tty(struct run_settings *rs)
{
	rs->spec->process.terminal = false;
}

static void off_interactive(struct run_settings *rs)
{
	rs->spec->process.interactive = false;
}

static void off_net_log(struct run_settings *rs)
{
	if (rs->spec->net)
		rs->spec->net->net_log = false;
}

/* Flag options and how a config file turns each off again (`= 0`). */
static const struct {
	const char *key;
	void (*off)(struct run_settings *rs);
} flag_keys[] = {
    {"ward.rootfs.readonly", off_read_only}, {"ward.init", off_init},       {"ward.tty", off_tty},
    {"ward.interactive", off_interactive},   {"ward.net.log", off_net_log},
};

int cfg_remember_rootfs(struct config *c, const char *path, ward_err *err)
{
	free(c->rootfs);
	c->rootfs = strdup(path);
	return c->rootfs ? 0 : werr(err, ENOMEM, "config");
}

static int ward_key(struct config *c, const struct run_option *o, const char *value, ward_err *err)
{
	_cleanup_free_ char *path = NULL;
	bool on;
	int r;

	if (!o->has_arg) {
		if (parse_flag(value, &on) < 0)
			return werrx(err, EINVAL, "'%s' is not 1, 0, true or false", value);
		if (on)
			return run_option_apply(c->rs, o, NULL, err);
		for (size_t i = 0; i < ARRAY_SIZE(flag_keys); i++)
			if (streq(flag_keys[i].key, o->key)) {
				flag_keys[i].off(c->rs);
				return 0;
			}
		return werrx(err, EINVAL, "cannot be turned off");
	}
	/* paths in a config file are relative to its directory */
	if (streq(o->key, "ward.rootfs") ||
	    (streq(o->key, "ward.seccomp") && !streq(value, "unconfined")) ||
	    (streq(o->key, "ward.bind") && value[0] != '/')) {
		path = cfg_path(c, value);
		if (!path)
			return werr(err, ENOMEM, "config");
		value = path;
	}
	r = run_option_apply(c->rs, o, value, err);
	if (r >= 0 && streq(o->key, "ward.rootfs"))
		r = cfg_remember_rootfs(c, value, err);
	return r;
}

/* ---- reading ---- */

static int read_path(struct config *c, const char *path, const struct cfg_pos *from, ward_err *err);

static int include(struct config *c, const char *value, ward_err *err)
{
	struct cfg_pos at = c->cur;
	_cleanup_free_ char *path = NULL;

	if (!*value)
		return cfg_pos_errx(err, &at, EINVAL, "no file or directory given");
	path = cfg_path(c, value);
	if (!path)
		return werr(err, ENOMEM, "config");
	return read_path(c, path, &at, err);
}

static int dispatch(struct config *c, const char *key, const char *value, ward_err *err)
{
	const struct run_option *o;
	int r;

	/* these report the positions of their own lines */
	if (streq(key, "include") || streq(key, "lxc.include"))
		return include(c, value, err);
	if (streq(key, "lxc.mount.fstab") || streq(key, "lxc.mount")) {
		c->lxc = true;
		return cfg_lxc_fstab(c, key, value, err);
	}
	if (startswith(key, "lxc."))
		r = cfg_lxc_key(c, key, value, err);
	else if (startswith(key, "ward.net.") && isdigit((unsigned char)key[9]))
		r = cfg_ward_net_key(c, key, value, err);
	else if ((o = run_option_find_key(key)))
		r = ward_key(c, o, value, err);
	else
		r = werrx(err, EINVAL, "unknown key");
	return r < 0 ? cfg_pos_wrap(err, &c->cur) : r;
}

static int read_line(struct config *c, char *line, ward_err *err)
{
	char *s = strstrip(line), *eq, *key;

	if (!*s || *s == '#')
		return 0;
	eq = strchr(s, '=');
	if (!eq)
		return werrx(err, EINVAL, "%s:%u: %.64s: not a 'key = value' line", c->cur.file,
			     c->cur.line, s);
	*eq = '\0';
	key = strstrip(s);
	if (!*key)
		return werrx(err, EINVAL, "%s:%u: no key before '='", c->cur.file, c->cur.line);
	c->cur.key = key;
	return dispatch(c, key, strstrip(eq + 1), err);
}

/* text[len] must be '\0' */
static int read_text(struct config *c, const char *name, char *text, size_t len, ward_err *err)
{
	_cleanup_free_ char *dir = dir_of(name);
	struct cfg_pos saved = c->cur;
	const char *saved_dir = c->dir;
	char *p = text, *end = text + len;
	unsigned int line = 0;
	int r = 0;

	if (!dir)
		return werr(err, ENOMEM, "config");
	c->dir = dir;
	for (;;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e = nl ? nl : end;
		line++;
		c->cur = (struct cfg_pos){(char *)name, line, NULL};
		if (memchr(p, '\0', (size_t)(e - p))) {
			r = werrx(err, EINVAL, "%s:%u: the line holds a NUL byte", name, line);
			break;
		}
		*e = '\0';
		r = read_line(c, p, err);
		if (r < 0 || !nl)
			break;
		p = nl + 1;
	}
	c->cur = saved;
	c->dir = saved_dir;
	return r;
}

static int read_one(struct config *c, const char *path, const struct cfg_pos *from, ward_err *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = read_file(path, &text, &len);

	if (r < 0 && from)
		return werr(err, -r, "%s:%u: %s: %s", from->file, from->line, from->key, path);
	if (r < 0)
		return werr(err, -r, "%s", path);
	if (len > CONFIG_SIZE_MAX)
		return werrx(err, EFBIG, "%s: larger than %d bytes", path, CONFIG_SIZE_MAX);
	return read_text(c, path, text, len, err);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory: its *.conf files, in byte order of their names. */
static int read_dir(struct config *c, const char *path, const struct cfg_pos *from, ward_err *err)
{
	_cleanup_closedir_ DIR *d = opendir(path);
	_cleanup_strv_ char **names = NULL;
	struct dirent *de;

	if (!d && from)
		return werr(err, errno, "%s:%u: %s: %s", from->file, from->line, from->key, path);
	if (!d)
		return werr(err, errno, "%s", path);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l <= 5 || !streq(de->d_name + l - 5, ".conf"))
			continue;
		if (strv_push(&names, de->d_name) < 0)
			return werr(err, ENOMEM, "config");
	}
	if (names)
		qsort(names, strv_length(names), sizeof(*names), cmp_names);
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *file = xasprintf("%s/%s", path, *n);
		struct stat st;
		int r;
		if (!file)
			return werr(err, ENOMEM, "config");
		if (stat(file, &st) == 0 && S_ISDIR(st.st_mode))
			continue;
		r = read_path(c, file, from, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_path(struct config *c, const char *path, const struct cfg_pos *from, ward_err *err)
{
	_cleanup_free_ char *real = realpath(path, NULL);
	struct stat st;
	int r;

	if (!real || stat(real, &st) < 0) {
		if (from)
			return werr(err, errno, "%s:%u: %s: %s", from->file, from->line, from->key,
				    path);
		return werr(err, errno, "%s", path);
	}
	for (size_t i = 0; i < c->depth; i++)
		if (streq(c->stack[i], real))
			return werrx(err, ELOOP,
				     "%s:%u: %s: %s: include loop (%s is already being read)",
				     from ? from->file : path, from ? from->line : 0,
				     from ? from->key : "include", path, real);
	if (c->depth == INCLUDE_DEPTH_MAX)
		return werrx(err, ELOOP, "%s:%u: %s: %s: includes nest more than %d deep",
			     from ? from->file : path, from ? from->line : 0,
			     from ? from->key : "include", path, INCLUDE_DEPTH_MAX);
	c->stack[c->depth++] = TAKE_PTR(real);
	r = S_ISDIR(st.st_mode) ? read_dir(c, path, from, err) : read_one(c, path, from, err);
	free(c->stack[--c->depth]);
	return r;
}

/* ---- finishing ---- */

static int finish_ids(struct config *c, ward_err *err)
{
	struct ward_spec *s = c->rs->spec;
	char user[32];

	if (c->idmap && s->userns_mode == WUSERNS_EXPLICIT && (!s->n_uid_maps || !s->n_gid_maps))
		return cfg_pos_errx(err, &c->idmap_pos, EINVAL,
				    "a user namespace needs both u and g mappings");
	if (c->init_uid < 0 && c->init_gid < 0)
		return 0;
	if (c->init_gid < 0)
		snprintf(user, sizeof(user), "%" PRId64, c->init_uid);
	else
		snprintf(user, sizeof(user), "%" PRId64 ":%" PRId64,
			 c->init_uid < 0 ? 0 : c->init_uid, c->init_gid);
	return cfg_apply(c, "ward.user", user, err) < 0 ? cfg_pos_wrap(err, &c->init_pos) : 0;
}

/* ---- the interface ---- */

struct config *config_new(struct run_settings *rs)
{
	struct config *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->rs = rs;
	c->cfs_quota = c->cfs_period = c->swap_max = WARD_UNSET;
	c->init_uid = c->init_gid = -1;
	return c;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_mounts; i++) {
		mount_entry_clear(&c->mounts[i].m);
		cfg_pos_clear(&c->mounts[i].pos);
	}
	free(c->mounts);
	cfg_netifs_clear(c);
	for (size_t i = 0; i < c->depth; i++)
		free(c->stack[i]);
	free(c->rootfs);
	cfg_pos_clear(&c->cap_drop_pos);
	cfg_pos_clear(&c->cap_keep_pos);
	cfg_pos_clear(&c->cfs_pos);
	cfg_pos_clear(&c->swap_pos);
	cfg_pos_clear(&c->memsw_pos);
	cfg_pos_clear(&c->init_pos);
	cfg_pos_clear(&c->idmap_pos);
	free(c);
}

int config_read_file(struct config *c, const char *path, ward_err *err)
{
	if (c->finished)
		return werrx(err, EINVAL, "%s: the configuration is already complete", path);
	return read_path(c, path, NULL, err);
}

int config_read_buffer(struct config *c, const char *name, const char *text, size_t len,
		       ward_err *err)
{
	_cleanup_free_ char *copy = NULL;
	char *real;
	int r;

	if (c->finished)
		return werrx(err, EINVAL, "%s: the configuration is already complete", name);
	if (len > CONFIG_SIZE_MAX)
		return werrx(err, EFBIG, "%s: larger than %d bytes", name, CONFIG_SIZE_MAX);
	copy = malloc(len + 1);
	if (!copy)
		return werr(err, ENOMEM, "config");
	memcpy(copy, text, len);
	copy[len] = '\0';
	/* a file of that name, if there is one, must not include itself */
	real = c->depth < INCLUDE_DEPTH_MAX ? realpath(name, NULL) : NULL;
	if (real)
		c->stack[c->depth++] = real;
	r = read_text(c, name, copy, len, err);
	if (real)
		free(c->stack[--c->depth]);
	return r;
}

int config_finish(struct config *c, ward_err *err)
{
	struct ward_spec *s = c->rs->spec;
	int r;

	if (c->finished)
		return werrx(err, EINVAL, "the configuration is already complete");
	c->finished = true;
	if ((r = cfg_finish_net(c, err)) < 0 || (r = cfg_finish_mounts(c, err)) < 0 ||
	    (r = cfg_finish_caps(c, err)) < 0 || (r = cfg_finish_cgroup(c, err)) < 0 ||
	    (r = finish_ids(c, err)) < 0)
		return r;
	/* an LXC system container boots its init */
	if (c->lxc && s->rootfs && !s->process.args &&
	    strv_push(&s->process.args, "/sbin/init") < 0)
		return werr(err, ENOMEM, "command");
	return 0;
}

int config_apply_files(struct run_settings *rs, char *const *files, ward_err *err)
{
	_cleanup_(config_freep) struct config *c = config_new(rs);

	if (!c)
		return werr(err, ENOMEM, "config");
	STRV_FOREACH (f, files) {
		int r = config_read_file(c, *f, err);
		if (r < 0)
			return r;
	}
	return config_finish(c, err);
}

void config_cli_override(struct run_settings *rs, const char *option)
{
	struct ward_spec *s = rs->spec;

	if (streq(option, "net")) {
		struct ward_net_spec *n = s->net;
		/* the interfaces go; published ports, the allow-list, DNS stay */
		for (size_t i = 0; n && i < n->n_ifs; i++) {
			free(n->ifs[i].network);
			free(n->ifs[i].link);
			free(n->ifs[i].ifname);
			free(n->ifs[i].host_ifname);
		}
		if (n) {
			free(n->ifs);
			n->ifs = NULL;
			n->n_ifs = 0;
			n->explicit_net = false;
		}
		strv_free(rs->nets);
		rs->nets = NULL;
		s->ns[WNS_NET].enabled = true;
	} else if (streq(option, "userns")) {
		cfg_idmaps_drop(rs);
		s->userns_mode = WUSERNS_AUTO;
		s->ns[WNS_USER].enabled = true;
	}
}
