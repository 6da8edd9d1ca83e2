/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/netspec.h"
#include "spec/options.h"
#include "spec/parse.h"
#include "spec/seccomp_profile.h"
#include "util/cleanup.h"
#include "util/strutil.h"
#include "util/syscalls.h"

static int opt_name(struct run_settings *rs, const char *v, ward_err *err)
{
	if (!name_is_valid(v))
		return werrx(err, EINVAL,
			     "invalid name '%s': use letters, digits, '_', '.', '-' (at most 63, "
			     "starting with a letter or digit)",
			     v);
	free(rs->spec->name);
	rs->spec->name = strdup(v);
	return rs->spec->name ? 0 : werr(err, ENOMEM, "name");
}

static int opt_hostname(struct run_settings *rs, const char *v, ward_err *err)
{
	size_t n = strlen(v);

	if (n == 0 || n > 64)
		return werrx(err, EINVAL, "invalid hostname '%s': 1 to 64 characters", v);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '-' && v[i] != '.' && v[i] != '_')
			return werrx(err, EINVAL, "invalid hostname '%s'", v);
	free(rs->spec->hostname);
	rs->spec->hostname = strdup(v);
	rs->hostname_set = true;
	return rs->spec->hostname ? 0 : werr(err, ENOMEM, "hostname");
}

static int opt_rootfs(struct run_settings *rs, const char *v, ward_err *err)
{
	_cleanup_free_ char *real = realpath(v, NULL);
	struct stat st;

	if (!real)
		return werr(err, errno, "root filesystem %s", v);
	if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
		return werrx(err, ENOTDIR, "root filesystem %s is not a directory", v);
	if (streq(real, "/"))
		return werrx(err, EINVAL, "the host's / cannot be a container's root filesystem");
	free(rs->spec->rootfs);
	rs->spec->rootfs = TAKE_PTR(real);
	return 0;
}

static int opt_read_only(struct run_settings *rs, const char *v, ward_err *err)
{
	rs->spec->rootfs_readonly = true;
	return 0;
}

static int opt_ephemeral(struct run_settings *rs, const char *v, ward_err *err)
{
	(void)v;
	(void)err;
	rs->spec->rootfs_ephemeral = true;
	return 0;
}

static int opt_rootfs_idmap(struct run_settings *rs, const char *v, ward_err *err)
{
	(void)v;
	(void)err;
	rs->spec->rootfs_idmap = true;
	return 0;
}

static int check_dest(const char *dst, ward_err *err)
{
	if (dst[0] != '/')
		return werrx(err, EINVAL, "destination '%s' is not an absolute path", dst);
	if (strstr(dst, "/../") ||
	    strcmp(dst + strlen(dst) - (strlen(dst) >= 3 ? 3 : 0), "/..") == 0)
		return werrx(err, EINVAL, "destination '%s' contains '..'", dst);
	if (streq(dst, "/"))
		return werrx(err, EINVAL, "cannot mount over the container's /");
	return 0;
}

static int opt_bind(struct run_settings *rs, const char *v, ward_err *err)
{
	_cleanup_free_ char *copy = strdup(v);
	_cleanup_free_ char *src = NULL;
	char *dst, *mode;
	struct stat st;
	int r;

	if (!copy)
		return werr(err, ENOMEM, "bind");
	dst = strchr(copy, ':');
	if (!dst)
		return werrx(err, EINVAL, "'%s' is not SRC:DST[:ro|rw]", v);
	*dst++ = '\0';
	mode = strchr(dst, ':');
	if (mode)
		*mode++ = '\0';
	if (copy[0] != '/')
		return werrx(err, EINVAL, "source '%s' is not an absolute path", copy);
	r = check_dest(dst, err);
	if (r < 0)
		return r;
	if (mode && !streq(mode, "ro") && !streq(mode, "rw"))
		return werrx(err, EINVAL, "mode '%s' is not ro or rw", mode);
	if (stat(copy, &st) < 0)
		return werr(err, errno, "source %s", copy);
	src = realpath(copy, NULL);
	if (!src)
		return werr(err, errno, "source %s", copy);
	struct ward_mount m = {
	    .destination = dst,
	    .type = (char *)"bind",
	    .source = src,
	    .flags = MS_BIND | MS_REC,
	    .rec_attr_set = (mode && streq(mode, "ro")) ? MOUNT_ATTR_RDONLY : 0,
	};
	return spec_add_mount(rs->spec, &m, true) < 0 ? werr(err, ENOMEM, "bind") : 0;
}

static int opt_tmpfs(struct run_settings *rs, const char *v, ward_err *err)
{
	_cleanup_free_ char *copy = strdup(v);
	char data[128];
	char size[48] = "";
	unsigned long mode = 01777;
	char *opts, *save = NULL;
	int r;

	if (!copy)
		return werr(err, ENOMEM, "tmpfs");
	opts = strchr(copy, ':');
	if (opts)
		*opts++ = '\0';
	r = check_dest(copy, err);
	if (r < 0)
		return r;
	for (char *o = opts ? strtok_r(opts, ",", &save) : NULL; o;
	     o = strtok_r(NULL, ",", &save)) {
		if (startswith(o, "size=")) {
			int64_t sz;
			if (parse_size(o + 5, &sz) < 0 || sz <= 0)
				return werrx(err, EINVAL, "invalid size '%s'", o + 5);
			snprintf(size, sizeof(size), ",size=%" PRId64, sz);
		} else if (startswith(o, "mode=")) {
			char *end;
			if (!o[5] || o[5] == '-' || o[5] == '+')
				return werrx(err, EINVAL, "invalid mode '%s'", o + 5);
			mode = strtoul(o + 5, &end, 8);
			if (*end || mode > 07777)
				return werrx(err, EINVAL, "invalid mode '%s'", o + 5);
		} else {
			return werrx(err, EINVAL,
				     "unknown tmpfs option '%s' (size=BYTES, mode=OCTAL)", o);
		}
	}
	snprintf(data, sizeof(data), "mode=%lo%s", mode, size);
	struct ward_mount m = {
	    .destination = copy,
	    .type = (char *)"tmpfs",
	    .source = (char *)"tmpfs",
	    .data = data,
	    .flags = MS_NOSUID | MS_NODEV,
	};
	return spec_add_mount(rs->spec, &m, true) < 0 ? werr(err, ENOMEM, "tmpfs") : 0;
}

static int opt_env(struct run_settings *rs, const char *v, ward_err *err)
{
	const char *eq = strchr(v, '=');
	_cleanup_free_ char *kv = NULL;

	if (eq == v || !*v)
		return werrx(err, EINVAL, "'%s' is not KEY=VALUE", v);
	for (const char *p = v; p < (eq ? eq : v + strlen(v)); p++)
		if (isspace((unsigned char)*p))
			return werrx(err, EINVAL, "variable name in '%s' contains white space", v);
	if (!eq) {
		/* KEY alone passes the host's value on, as docker does */
		const char *host = getenv(v);
		if (!host)
			return 0;
		kv = xasprintf("%s=%s", v, host);
	} else {
		kv = strdup(v);
	}
	if (!kv)
		return werr(err, ENOMEM, "env");
	if (startswith(kv, "HOME="))
		rs->home_explicit = true;
	return spec_set_env(rs->spec, kv) < 0 ? werr(err, ENOMEM, "env") : 0;
}

static int opt_cwd(struct run_settings *rs, const char *v, ward_err *err)
{
	if (v[0] != '/')
		return werrx(err, EINVAL, "'%s' is not an absolute path", v);
	free(rs->spec->process.cwd);
	rs->spec->process.cwd = strdup(v);
	return rs->spec->process.cwd ? 0 : werr(err, ENOMEM, "cwd");
}

static int opt_user(struct run_settings *rs, const char *v, ward_err *err)
{
	const char *colon = strchr(v, ':');

	if (!*v || v == colon || (colon && !colon[1]))
		return werrx(err, EINVAL, "'%s' is not USER[:GROUP]", v);
	free(rs->spec->process.user);
	rs->spec->process.user = strdup(v);
	return rs->spec->process.user ? 0 : werr(err, ENOMEM, "user");
}

static int opt_init(struct run_settings *rs, const char *v, ward_err *err)
{
	rs->spec->init = true;
	return 0;
}

static int opt_tty(struct run_settings *rs, const char *v, ward_err *err)
{
	rs->spec->process.terminal = true;
	return 0;
}

static int opt_interactive(struct run_settings *rs, const char *v, ward_err *err)
{
	rs->spec->process.interactive = true;
	return 0;
}

static int opt_userns(struct run_settings *rs, const char *v, ward_err *err)
{
	struct ward_spec *s = rs->spec;
	struct ward_idmap m;

	if (streq(v, "auto") || streq(v, "host")) {
		if (rs->userns_explicit_seen)
			return werrx(err, EINVAL, "'%s' cannot be combined with explicit mappings",
				     v);
		s->userns_mode = streq(v, "auto") ? WUSERNS_AUTO : WUSERNS_HOST;
		s->ns[WNS_USER].enabled = s->userns_mode == WUSERNS_AUTO;
		return 0;
	}
	if (idmap_parse(v, &m) < 0)
		return werrx(err, EINVAL, "'%s' is not auto, host or INSIDE:HOST:COUNT", v);
	if (!rs->userns_explicit_seen) {
		free(s->uid_maps);
		free(s->gid_maps);
		s->uid_maps = s->gid_maps = NULL;
		s->n_uid_maps = s->n_gid_maps = 0;
	}
	rs->userns_explicit_seen = true;
	s->userns_mode = WUSERNS_EXPLICIT;
	s->ns[WNS_USER].enabled = true;
	if (spec_add_idmap(&s->uid_maps, &s->n_uid_maps, m.inside, m.outside, m.count) < 0 ||
	    spec_add_idmap(&s->gid_maps, &s->n_gid_maps, m.inside, m.outside, m.count) < 0)
		return werr(err, ENOMEM, "userns");
	return 0;
}

static int parse_caps(const char *v, uint64_t *set, ward_err *err)
{
	_cleanup_free_ char *copy = strdup(v);
	char *save = NULL;

	if (!copy)
		return werr(err, ENOMEM, "capabilities");
	*set = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int cap;
		if (strcasecmp(t, "all") == 0) {
			*set = ~0ULL;
			continue;
		}
		if (caps_from_name(t, &cap) < 0)
			return werrx(err, EINVAL, "unknown capability '%s'", t);
		*set |= 1ULL << cap;
	}
	return 0;
}

static int opt_cap_add(struct run_settings *rs, const char *v, ward_err *err)
{
	struct ward_caps *c = &rs->spec->process.caps;
	uint64_t set;
	int r = parse_caps(v, &set, err);

	if (r < 0)
		return r;
	c->bounding |= set;
	c->effective |= set;
	c->permitted |= set;
	return 0;
}

static int opt_cap_drop(struct run_settings *rs, const char *v, ward_err *err)
{
	struct ward_caps *c = &rs->spec->process.caps;
	uint64_t set;
	int r = parse_caps(v, &set, err);

	if (r < 0)
		return r;
	c->bounding &= ~set;
	c->effective &= ~set;
	c->permitted &= ~set;
	c->inheritable &= ~set;
	c->ambient &= ~set;
	return 0;
}

static int opt_seccomp(struct run_settings *rs, const char *v, ward_err *err)
{
	struct ward_seccomp *sc = NULL;
	int r;

	if (streq(v, "unconfined")) {
		seccomp_free(rs->spec->seccomp);
		rs->spec->seccomp = NULL;
		rs->spec->seccomp_default = false;
		free(rs->seccomp_file);
		rs->seccomp_file = NULL;
		return 0;
	}
	r = seccomp_profile_load_file(v, &sc, err);
	if (r < 0)
		return r;
	seccomp_free(rs->spec->seccomp);
	rs->spec->seccomp = sc;
	rs->spec->seccomp_default = false;
	/* remembered so that a config writer can name it again */
	free(rs->seccomp_file);
	rs->seccomp_file = realpath(v, NULL);
	return 0;
}

static bool lsm_enabled(const char *which)
{
	FILE *f = fopen("/sys/kernel/security/lsm", "re");
	char buf[512];

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strstr(buf, which) != NULL;
}

static int opt_security_opt(struct run_settings *rs, const char *v, ward_err *err)
{
	struct ward_process *p = &rs->spec->process;

	if (startswith(v, "apparmor=")) {
		if (streq(v + 9, "unconfined"))
			return 0;
		if (!lsm_enabled("apparmor"))
			return werrx(err, ENOTSUP, "AppArmor is not enabled on this host");
		free(p->apparmor_profile);
		p->apparmor_profile = strdup(v + 9);
		return p->apparmor_profile ? 0 : werr(err, ENOMEM, "security-opt");
	}
	if (startswith(v, "label=")) {
		if (streq(v + 6, "disable"))
			return 0;
		if (!lsm_enabled("selinux"))
			return werrx(err, ENOTSUP, "SELinux is not enabled on this host");
		free(p->selinux_label);
		p->selinux_label = strdup(v + 6);
		return p->selinux_label ? 0 : werr(err, ENOMEM, "security-opt");
	}
	if (streq(v, "no-new-privileges") || streq(v, "no-new-privileges=true")) {
		p->no_new_privs = true;
		return 0;
	}
	if (startswith(v, "seccomp="))
		return opt_seccomp(rs, v + 8, err);
	return werrx(err, EINVAL,
		     "unknown security option '%s' (apparmor=PROFILE, label=LABEL, "
		     "seccomp=FILE|unconfined, no-new-privileges)",
		     v);
}

static int size_opt(const char *v, int64_t *out, bool allow_minus_one, ward_err *err)
{
	if (allow_minus_one && streq(v, "-1")) {
		*out = -1;
		return 0;
	}
	if (parse_size(v, out) < 0)
		return werrx(err, EINVAL, "invalid size '%s' (BYTES[kKmMgG])", v);
	return 0;
}

static int opt_memory(struct run_settings *rs, const char *v, ward_err *err)
{
	int64_t b;
	int r = size_opt(v, &b, false, err);

	if (r < 0)
		return r;
	if (b < 6 * 1024 * 1024)
		return werrx(err, ERANGE, "memory limit %s is below the 6M minimum", v);
	rs->spec->res.memory_limit = b;
	return 0;
}

static int opt_memory_swap(struct run_settings *rs, const char *v, ward_err *err)
{
	return size_opt(v, &rs->spec->res.memory_swap, true, err);
}

static int opt_cpus(struct run_settings *rs, const char *v, ward_err *err)
{
	int64_t quota;
	uint64_t period;

	if (parse_cpus(v, &quota, &period) < 0)
		return werrx(err, EINVAL, "invalid CPU count '%s' (a number such as 0.5 or 2)", v);
	rs->spec->res.cpu_quota = quota;
	rs->spec->res.cpu_period = (int64_t)period;
	return 0;
}

static int int_range(const char *v, int64_t lo, int64_t hi, int64_t *out, ward_err *err)
{
	int64_t n;

	if (parse_i64(v, &n) < 0 || n < lo || n > hi)
		return werrx(err, EINVAL, "'%s' is not a number from %" PRId64 " to %" PRId64, v,
			     lo, hi);
	*out = n;
	return 0;
}

static int opt_cpu_weight(struct run_settings *rs, const char *v, ward_err *err)
{
	return int_range(v, 1, 10000, &rs->spec->res.cpu_weight, err);
}

static int opt_io_weight(struct run_settings *rs, const char *v, ward_err *err)
{
	return int_range(v, 1, 10000, &rs->spec->res.io_weight, err);
}

static int opt_pids_limit(struct run_settings *rs, const char *v, ward_err *err)
{
	if (streq(v, "-1") || streq(v, "max")) {
		rs->spec->res.pids_limit = -1;
		return 0;
	}
	return int_range(v, 1, 4194304, &rs->spec->res.pids_limit, err);
}

static int opt_cpuset_cpus(struct run_settings *rs, const char *v, ward_err *err)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	uint64_t mask;

	int maxcpu;

	if (parse_cpu_list(v, &mask) < 0)
		return werrx(err, EINVAL, "'%s' is not a CPU list such as 0-3,5", v);
	maxcpu = parse_cpu_list_max(v);
	if (ncpu > 0 && maxcpu >= ncpu)
		return werrx(err, EINVAL, "'%s' names a CPU this host does not have (CPUs 0-%ld)",
			     v, ncpu - 1);
	free(rs->spec->res.cpuset_cpus);
	rs->spec->res.cpuset_cpus = strdup(v);
	return rs->spec->res.cpuset_cpus ? 0 : werr(err, ENOMEM, "cpuset");
}

static struct ward_net_spec *net_of(struct run_settings *rs, ward_err *err)
{
	if (!rs->spec->net && !(rs->spec->net = net_spec_new()))
		werr(err, ENOMEM, "network");
	return rs->spec->net;
}

static int opt_net(struct run_settings *rs, const char *v, ward_err *err)
{
	struct ward_net_spec *n = net_of(rs, err);
	int r;

	if (!n)
		return -ENOMEM;
	r = net_parse_net(n, v, err);
	if (r < 0)
		return r;
	/* --net host: no network namespace of its own */
	rs->spec->ns[WNS_NET].enabled = n->ifs[0].type != WNET_HOST;
	return strv_push(&rs->nets, v) < 0 ? werr(err, ENOMEM, "net") : 0;
}

static int opt_ip(struct run_settings *rs, const char *v, ward_err *err)
{
	struct ward_net_spec *n = net_of(rs, err);
	return n ? net_parse_ip(n, v, false, err) : -ENOMEM;
}

static int opt_ip6(struct run_settings *rs, const char *v, ward_err *err)
{
	struct ward_net_spec *n = net_of(rs, err);
	return n ? net_parse_ip(n, v, true, err) : -ENOMEM;
}

static int opt_mac(struct run_settings *rs, const char *v, ward_err *err)
{
	struct ward_net_spec *n = net_of(rs, err);
	struct ward_netif *i = n ? net_spec_current(n, err) : NULL;
	int r;

	if (!i)
		return -ENOMEM;
	if (i->type == WNET_NONE || i->type == WNET_HOST)
		return werrx(err, EINVAL, "a MAC address needs a network interface, not --net %s",
			     net_type_name(i->type));
	r = net_parse_mac(v, i->mac, err);
	if (r < 0)
		return r;
	i->has_mac = true;
	return 0;
}

static int opt_dns(struct run_settings *rs, const char *v, ward_err *err)
{
	struct ward_net_spec *n = net_of(rs, err);
	return n ? net_parse_dns(n, v, err) : -ENOMEM;
}

static int opt_publish(struct run_settings *rs, const char *v, ward_err *err)
{
	struct ward_net_spec *n = net_of(rs, err);
	return n ? net_parse_publish(n, v, err) : -ENOMEM;
}

static int opt_allow_out(struct run_settings *rs, const char *v, ward_err *err)
{
	struct ward_net_spec *n = net_of(rs, err);
	return n ? net_parse_allow(n, v, err) : -ENOMEM;
}

static int opt_net_log(struct run_settings *rs, const char *v, ward_err *err)
{
	struct ward_net_spec *n = net_of(rs, err);

	if (!n)
		return -ENOMEM;
	n->net_log = true;
	return 0;
}

static int opt_config(struct run_settings *rs, const char *v, ward_err *err)
{
	return strv_push(&rs->config_files, v) < 0 ? werr(err, ENOMEM, "config") : 0;
}

static int opt_stop_signal(struct run_settings *rs, const char *v, ward_err *err)
{
	int sig;

	if (parse_signal(v, &sig) < 0)
		return werrx(err, EINVAL, "unknown signal '%s'", v);
	rs->spec->stop_signal = sig;
	return 0;
}

/* ---- config-only keys: lifecycle and the command ---- */

static int opt_start_auto(struct run_settings *rs, const char *v, ward_err *err)
{
	if (!*v || streq(v, "0") || streq(v, "false"))
		rs->life.autostart = false;
	else if (streq(v, "1") || streq(v, "true"))
		rs->life.autostart = true;
	else
		return werrx(err, EINVAL, "'%s' is not 0, 1, true or false", v);
	return 0;
}

static int opt_start_order(struct run_settings *rs, const char *v, ward_err *err)
{
	int64_t n = 0;
	int r = *v ? int_range(v, INT32_MIN, INT32_MAX, &n, err) : 0;

	if (r < 0)
		return r;
	rs->life.start_order = (int)n;
	return 0;
}

static int opt_start_delay(struct run_settings *rs, const char *v, ward_err *err)
{
	int64_t n = 0;
	int r = *v ? int_range(v, 0, 86400, &n, err) : 0;

	if (r < 0)
		return r;
	rs->life.start_delay_s = (int)n;
	return 0;
}

/* One or more group names separated by blanks; an empty value clears the
 * list (as LXC's lxc.group does). */
static int opt_group(struct run_settings *rs, const char *v, ward_err *err)
{
	_cleanup_free_ char *copy = strdup(v);
	char *save = NULL;

	if (!copy)
		return werr(err, ENOMEM, "group");
	if (!*v) {
		strv_free(rs->life.groups);
		rs->life.groups = NULL;
		return 0;
	}
	for (char *g = strtok_r(copy, " \t", &save); g; g = strtok_r(NULL, " \t", &save)) {
		if (!name_is_valid(g))
			return werrx(
			    err, EINVAL,
			    "invalid group '%s': use letters, digits, '_', '.', '-' (at most "
			    "63, starting with a letter or digit)",
			    g);
		if (!strv_contains(rs->life.groups, g) && strv_push(&rs->life.groups, g) < 0)
			return werr(err, ENOMEM, "group");
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int run_cmd_parse(const char *line, char ***argv, ward_err *err)
{
	_cleanup_strv_ char **out = NULL;
	_cleanup_free_ char *word = malloc(strlen(line) + 1);
	const char *p = line;

	if (!word)
		return werr(err, ENOMEM, "command");
	for (;;) {
		size_t n = 0;
		bool quoted = false;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		while (*p && (quoted || (*p != ' ' && *p != '\t'))) {
			char c = *p++;
			if (c == '"') {
				quoted = !quoted;
				continue;
			}
			if (c != '\\') {
				word[n++] = c;
				continue;
			}
			c = *p++;
			switch (c) {
			case '\\':
			case '"':
				word[n++] = c;
				break;
			case 'n':
				word[n++] = '\n';
				break;
			case 't':
				word[n++] = '\t';
				break;
			case 'r':
				word[n++] = '\r';
				break;
			case ' ':
				word[n++] = ' ';
				break;
			case 'x': {
				int hi = hexval(p[0]), lo = hi < 0 ? -1 : hexval(p[1]);
				if (hi < 0 || lo < 0)
					return werrx(err, EINVAL, "\\x needs two hex digits");
				if (!hi && !lo)
					return werrx(err, EINVAL,
						     "\\x00: an argument cannot hold a "
						     "NUL byte");
				word[n++] = (char)(hi * 16 + lo);
				p += 2;
				break;
			}
			case '\0':
				return werrx(err, EINVAL, "a backslash ends the command");
			default:
				return werrx(err, EINVAL,
					     "unknown escape '\\%c' (\\\\, \\\", \\n, \\t, "
					     "\\r, \\xHH, \\ and a blank)",
					     c);
			}
		}
		if (quoted)
			return werrx(err, EINVAL, "unterminated double quote");
		word[n] = '\0';
		if (strv_push(&out, word) < 0)
			return werr(err, ENOMEM, "command");
	}
	*argv = TAKE_PTR(out);
	return 0;
}

static bool word_needs_quotes(const char *w)
{
	if (!*w)
		return true;
	for (const unsigned char *p = (const unsigned char *)w; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '\\' || *p == 0x7f)
			return true;
	return false;
}

char *run_cmd_format(char *const *argv)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; argv && argv[i]; i++) {
		const unsigned char *p = (const unsigned char *)argv[i];
		if (i)
			fputc(' ', f);
		if (!word_needs_quotes(argv[i])) {
			fputs(argv[i], f);
			continue;
		}
		fputc('"', f);
		for (; *p; p++) {
			if (*p == '"' || *p == '\\')
				fprintf(f, "\\%c", *p);
			else if (*p == '\n')
				fputs("\\n", f);
			else if (*p == '\t')
				fputs("\\t", f);
			else if (*p == '\r')
				fputs("\\r", f);
			else if (*p < ' ' || *p == 0x7f)
				fprintf(f, "\\x%02x", *p);
			else
				fputc(*p, f);
		}
		fputc('"', f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int opt_cmd(struct run_settings *rs, const char *v, ward_err *err)
{
	char **argv = NULL;
	int r = run_cmd_parse(v, &argv, err);

	if (r < 0)
		return r;
	strv_free(rs->spec->process.args);
	rs->spec->process.args = argv;
	return 0;
}

static const struct run_option config_keys[] = {
    {"ward.start.auto", 0, true, "ward.start.auto", "0|1", opt_start_auto},
    {"ward.start.order", 0, true, "ward.start.order", "N", opt_start_order},
    {"ward.start.delay", 0, true, "ward.start.delay", "SECONDS", opt_start_delay},
    {"ward.group", 0, true, "ward.group", "GROUP...", opt_group},
    {"ward.cmd", 0, true, "ward.cmd", "COMMAND [ARG...]", opt_cmd},
};

static const struct run_option options[] = {
    {"name", 0, true, "ward.name", "NAME", opt_name},
    {"hostname", 0, true, "ward.hostname", "NAME", opt_hostname},
    {"rootfs", 0, true, "ward.rootfs", "DIR", opt_rootfs},
    {"read-only", 0, false, "ward.rootfs.readonly", NULL, opt_read_only},
    {"ephemeral", 0, false, "ward.rootfs.ephemeral", NULL, opt_ephemeral},
    {"rootfs-idmap", 0, false, "ward.rootfs.idmap", NULL, opt_rootfs_idmap},
    {"bind", 0, true, "ward.bind", "SRC:DST[:ro|rw]", opt_bind},
    {"tmpfs", 0, true, "ward.tmpfs", "DST[:size=BYTES]", opt_tmpfs},
    {"env", 'e', true, "ward.env", "KEY=VALUE", opt_env},
    {"cwd", 'w', true, "ward.cwd", "DIR", opt_cwd},
    {"user", 'u', true, "ward.user", "UID[:GID]", opt_user},
    {"init", 0, false, "ward.init", NULL, opt_init},
    {"tty", 't', false, "ward.tty", NULL, opt_tty},
    {"interactive", 'i', false, "ward.interactive", NULL, opt_interactive},
    {"config", 0, true, NULL, "FILE", opt_config},
    {"userns", 0, true, "ward.userns", "auto|host|IN:HOST:COUNT", opt_userns},
    {"cap-add", 0, true, "ward.cap.add", "CAP", opt_cap_add},
    {"cap-drop", 0, true, "ward.cap.drop", "CAP|all", opt_cap_drop},
    {"seccomp", 0, true, "ward.seccomp", "FILE|unconfined", opt_seccomp},
    {"security-opt", 0, true, "ward.security", "OPT", opt_security_opt},
    {"memory", 'm', true, "ward.memory", "BYTES", opt_memory},
    {"memory-swap", 0, true, "ward.memory.swap", "BYTES", opt_memory_swap},
    {"cpus", 0, true, "ward.cpus", "N.N", opt_cpus},
    {"cpu-weight", 0, true, "ward.cpu.weight", "N", opt_cpu_weight},
    {"cpuset-cpus", 0, true, "ward.cpuset.cpus", "LIST", opt_cpuset_cpus},
    {"pids-limit", 0, true, "ward.pids.limit", "N", opt_pids_limit},
    {"io-weight", 0, true, "ward.io.weight", "N", opt_io_weight},
    {"net", 0, true, "ward.net", "NETWORK", opt_net},
    {"ip", 0, true, "ward.ip", "ADDR", opt_ip},
    {"ip6", 0, true, "ward.ip6", "ADDR", opt_ip6},
    {"mac", 0, true, "ward.mac", "MAC", opt_mac},
    {"dns", 0, true, "ward.dns", "ADDR", opt_dns},
    {"publish", 'p', true, "ward.publish", "[HOSTIP:]HOSTPORT:PORT[/PROTO]", opt_publish},
    {"allow-out", 0, true, "ward.allow.out", "SPEC", opt_allow_out},
    {"net-log", 0, false, "ward.net.log", NULL, opt_net_log},
    {"stop-signal", 0, true, "ward.stop.signal", "SIGNAL", opt_stop_signal},
};

const struct run_option *run_options(size_t *n)
{
	*n = ARRAY_SIZE(options);
	return options;
}

const struct run_option *run_option_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (streq(options[i].name, name))
			return &options[i];
	return NULL;
}

const struct run_option *run_config_keys(size_t *n)
{
	*n = ARRAY_SIZE(config_keys);
	return config_keys;
}

const struct run_option *run_option_find_key(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (options[i].key && streq(options[i].key, key))
			return &options[i];
	for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++)
		if (streq(config_keys[i].key, key))
			return &config_keys[i];
	return NULL;
}

int run_option_apply(struct run_settings *rs, const struct run_option *o, const char *value,
		     ward_err *err)
{
	return o->apply(rs, value, err);
}

int run_settings_init(struct run_settings *rs, ward_err *err)
{
	memset(rs, 0, sizeof(*rs));
	rs->spec = spec_new();
	if (!rs->spec)
		return werr(err, ENOMEM, "spec");
	return spec_init_run_defaults(rs->spec, err);
}

static int generate_name(struct ward_spec *s, ward_err *err)
{
	uint32_t rnd;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint32_t)getpid() * 2654435761u;
	s->name = xasprintf("w%08x", rnd);
	return s->name ? 0 : werr(err, ENOMEM, "name");
}

int run_settings_finish(struct run_settings *rs, ward_err *err)
{
	struct ward_spec *s = rs->spec;
	int r;

	if (!s->name && (r = generate_name(s, err)) < 0)
		return r;
	if (s->rootfs_ephemeral && !s->rootfs)
		return werrx(
		    err, EINVAL,
		    "--ephemeral needs a root filesystem (--rootfs, or a template that has "
		    "one): the host template's root is a tmpfs already");
	if (s->rootfs_idmap && (!s->rootfs || s->userns_mode == WUSERNS_HOST))
		return werrx(err, EINVAL,
			     "--rootfs-idmap needs a root filesystem (--rootfs) and a user "
			     "namespace");
	if (!rs->hostname_set) {
		free(s->hostname);
		s->hostname = strdup(s->name);
		if (!s->hostname)
			return werr(err, ENOMEM, "hostname");
	}
	/* the default filesystem goes first so user mounts land on top */
	{
		struct ward_mount *user = s->mounts;
		size_t n_user = s->n_mounts;

		s->mounts = NULL;
		s->n_mounts = 0;
		r = spec_add_default_filesystem(s, err);
		for (size_t i = 0; r >= 0 && i < n_user; i++)
			if (spec_add_mount(s, &user[i], true) < 0)
				r = werr(err, ENOMEM, "mounts");
		for (size_t i = 0; i < n_user; i++)
			mount_entry_clear(&user[i]);
		free(user);
		if (r < 0)
			return r;
	}
	if (s->userns_mode == WUSERNS_HOST) {
		s->ns[WNS_USER].enabled = false;
		/* root inside is root outside: only the device cgroup keeps it
		 * from opening host devices it could create */
		if (!s->res.n_devices && spec_add_default_device_rules(s) < 0)
			return werr(err, ENOMEM, "device rules");
	}
	return spec_validate(s, err);
}

void run_settings_clear(struct run_settings *rs)
{
	spec_free(rs->spec);
	strv_free(rs->config_files);
	strv_free(rs->nets);
	strv_free(rs->life.groups);
	free(rs->seccomp_file);
	memset(rs, 0, sizeof(*rs));
}
