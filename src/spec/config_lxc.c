/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The LXC keys of container config files (ward-config(5)), translated into
 * ward's settings.  What LXC means and ward cannot do is an error naming
 * the key; nothing is accepted and then ignored.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "net/netspec.h"
#include "net/network.h"
#include "spec/config_internal.h"
#include "spec/parse.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"
#include "util/syscalls.h"

#define NETIF_INDEX_MAX 1023
/* lxc.network.* interfaces come after every lxc.net.N one */
#define OLD_NETIF_BASE (NETIF_INDEX_MAX + 1)

static bool ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 15 || streq(s, ".") || streq(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]) ||
		    !isprint((unsigned char)s[i]))
			return false;
	return true;
}

static void net_ensure(struct run_settings *rs)
{
	if (!rs->spec->net)
		rs->spec->net = net_spec_new();
}

/* ---- lxc.mount.entry, lxc.mount.fstab, lxc.mount.auto ---- */

static bool is_oct(char ch)
{
	return ch >= '0' && ch <= '7';
}

/* Split an fstab line into blank-separated fields, decoding the octal
 * escapes fstab uses in paths (\040 is a space).  Returns the number of
 * fields, -1 when there are more than max. */
static int fstab_split(char *s, char **f, int max)
{
	int n = 0;

	for (;;) {
		char *w;
		char end;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return n;
		if (n == max)
			return -1;
		f[n++] = w = s;
		while (*s && *s != ' ' && *s != '\t') {
			int v = -1;
			if (s[0] == '\\' && is_oct(s[1]) && is_oct(s[2]) && is_oct(s[3]))
				v = (s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0');
			if (v > 0 && v < 256) {
				*w++ = (char)v;
				s += 4;
			} else {
				*w++ = *s++;
			}
		}
		end = *s;
		*w = '\0';
		if (!end)
			return n;
		s++;
	}
}

/* "lib" -> "/lib"; "/srv/vm1/lib" stays absolute (resolved at finish).
 * Otherwise the target is kept as written, as LXC does; ".." components
 * are refused. */
static int mount_target(const char *t, char **out, bool *abs, ward_err *err)
{
	const char *p = t;

	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return werrx(err, EINVAL, "target '%s' contains '..'", t);
		p += n;
		p += strspn(p, "/");
	}
	if (!t[strspn(t, "/")])
		return werrx(err, EINVAL, "target '%s' is the container's / itself", t);
	*abs = t[0] == '/';
	*out = *abs ? strdup(t) : xasprintf("/%s", t);
	return *out ? 0 : werr(err, ENOMEM, "mount");
}

/* the same path, but for repeated and trailing slashes */
static bool same_path(const char *a, const char *b)
{
	for (;;) {
		while (a[0] == '/' && (a[1] == '/' || !a[1]))
			a++;
		while (b[0] == '/' && (b[1] == '/' || !b[1]))
			b++;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
		a++;
		b++;
	}
}

struct mount_opts {
	bool bind, rbind, ro, nosuid, nodev, noexec, suid, dev, exec, optional;
	bool has_size, has_mode;
	int64_t size;
	unsigned long mode;
};

static int parse_mount_opts(char *opts, struct mount_opts *o, ward_err *err)
{
	static const struct {
		const char *name;
		size_t off;
	} flags[] = {
	    {"bind", offsetof(struct mount_opts, bind)},
	    {"rbind", offsetof(struct mount_opts, rbind)},
	    {"ro", offsetof(struct mount_opts, ro)},
	    {"nosuid", offsetof(struct mount_opts, nosuid)},
	    {"nodev", offsetof(struct mount_opts, nodev)},
	    {"noexec", offsetof(struct mount_opts, noexec)},
	    {"suid", offsetof(struct mount_opts, suid)},
	    {"dev", offsetof(struct mount_opts, dev)},
	    {"exec", offsetof(struct mount_opts, exec)},
	    {"optional", offsetof(struct mount_opts, optional)},
	};
	char *save = NULL;

	memset(o, 0, sizeof(*o));
	for (char *t = strtok_r(opts, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		bool known = false;
		/* ward makes every missing mount point (a file for a file,
		 * a directory otherwise) and relatime is the kernel's default */
		if (streq(t, "defaults") || streq(t, "rw") || streq(t, "relatime") ||
		    streq(t, "create=dir") || streq(t, "create=file"))
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
			if (streq(t, flags[i].name)) {
				*(bool *)((char *)o + flags[i].off) = true;
				known = true;
			}
		if (known)
			continue;
		if (startswith(t, "size=")) {
			if (parse_size(t + 5, &o->size) < 0 || o->size <= 0)
				return werrx(err, EINVAL, "invalid size '%s'", t + 5);
			o->has_size = true;
		} else if (startswith(t, "mode=")) {
			char *end;
			if (!is_oct(t[5]))
				return werrx(err, EINVAL, "invalid mode '%s'", t + 5);
			o->mode = strtoul(t + 5, &end, 8);
			if (*end || o->mode > 07777)
				return werrx(err, EINVAL, "invalid mode '%s'", t + 5);
			o->has_mode = true;
		} else {
			return werrx(err, EINVAL, "mount option '%s' is not supported by ward", t);
		}
	}
	return 0;
}

/* Filesystems ward always mounts itself, with its own hardening: an entry
 * asking for one of them at its usual place is that mount. */
static const struct {
	const char *type;
	const char *dest;
	bool ro_ok;
} own_mounts[] = {
    {"proc", "/proc", false},
    {"sysfs", "/sys", true},
    {"devpts", "/dev/pts", false},
    {"mqueue", "/dev/mqueue", false},
};

static int entry_bind(struct cfg_mount *cm, const char *src, const struct mount_opts *o,
		      ward_err *err)
{
	_cleanup_free_ char *real = NULL;
	struct stat st;

	if (o->has_size || o->has_mode)
		return werrx(err, EINVAL, "size= and mode= are tmpfs options");
	if (src[0] != '/')
		return werrx(err, EINVAL, "bind source '%s' is not an absolute path", src);
	if (stat(src, &st) < 0) {
		if (!(o->optional && errno == ENOENT))
			return werr(err, errno, "source %s", src);
	} else if (!(real = realpath(src, NULL))) {
		return werr(err, errno, "source %s", src);
	}
	cm->m.type = strdup("bind");
	cm->m.source = real ? TAKE_PTR(real) : strdup(src);
	cm->m.flags = MS_BIND | (o->rbind ? MS_REC : 0);
	cm->m.rec_attr_set = (o->ro ? MOUNT_ATTR_RDONLY : 0) | (o->nosuid ? MOUNT_ATTR_NOSUID : 0) |
			     (o->nodev ? MOUNT_ATTR_NODEV : 0) |
			     (o->noexec ? MOUNT_ATTR_NOEXEC : 0);
	cm->m.optional = o->optional;
	return cm->m.type && cm->m.source ? 0 : werr(err, ENOMEM, "mount");
}

/* The same shape as `ward.tmpfs` gives, so that either reads back as the
 * other. */
static int entry_tmpfs(struct cfg_mount *cm, const char *src, const struct mount_opts *o,
		       ward_err *err)
{
	char data[96];

	if (o->suid || o->dev)
		return werrx(err, EINVAL, "ward mounts every tmpfs nosuid,nodev");
	if (o->has_size)
		snprintf(data, sizeof(data), "mode=%lo,size=%" PRId64,
			 o->has_mode ? o->mode : 01777, o->size);
	else
		snprintf(data, sizeof(data), "mode=%lo", o->has_mode ? o->mode : 01777);
	cm->m.type = strdup("tmpfs");
	cm->m.source = strdup(src);
	cm->m.data = strdup(data);
	cm->m.flags = MS_NOSUID | MS_NODEV | (o->noexec ? MS_NOEXEC : 0) | (o->ro ? MS_RDONLY : 0);
	cm->m.optional = o->optional;
	return cm->m.type && cm->m.source && cm->m.data ? 0 : werr(err, ENOMEM, "mount");
}

static int entry_own(struct cfg_mount *cm, const char *type, const struct mount_opts *o,
		     ward_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(own_mounts); i++) {
		if (!streq(type, own_mounts[i].type))
			continue;
		if (o->bind || o->rbind || o->suid || o->dev || o->exec || o->has_size ||
		    o->has_mode || (o->ro && !own_mounts[i].ro_ok))
			return werrx(err, EINVAL,
				     "ward mounts its own %s on %s with its own options "
				     "(nosuid,nodev,noexec%s)",
				     type, own_mounts[i].dest, own_mounts[i].ro_ok ? ",ro" : "");
		cm->own = own_mounts[i].dest;
		return 0;
	}
	return werrx(err, EINVAL,
		     "filesystem type '%s' is not supported by ward (bind, rbind and tmpfs; "
		     "proc, sysfs, devpts and mqueue at their usual places)",
		     type);
}

static int mount_entry(struct config *c, const struct cfg_pos *pos, const char *value,
		       ward_err *err)
{
	_cleanup_free_ char *copy = strdup(value);
	struct cfg_mount cm = {0}, *nm;
	struct mount_opts o;
	char *f[6];
	int n, r;

	if (!copy)
		return werr(err, ENOMEM, "mount");
	n = fstab_split(copy, f, 6);
	if (n < 3)
		return werrx(err, EINVAL, "'%s' is not SOURCE TARGET TYPE [OPTIONS [DUMP PASS]]",
			     value);
	for (int i = 4; i < n; i++)
		for (const char *p = f[i]; *p; p++)
			if (!isdigit((unsigned char)*p))
				return werrx(err, EINVAL, "'%s' is not a number (dump and pass)",
					     f[i]);
	if (n > 3)
		r = parse_mount_opts(f[3], &o, err);
	else
		r = parse_mount_opts((char[]){"defaults"}, &o, err);
	if (r < 0)
		return r;
	r = mount_target(f[1], &cm.m.destination, &cm.abs_target, err);
	if (r < 0)
		return r;
	if (o.bind || o.rbind || streq(f[2], "bind") || streq(f[2], "rbind")) {
		o.rbind = o.rbind || streq(f[2], "rbind");
		r = entry_bind(&cm, f[0], &o, err);
	} else if (streq(f[2], "tmpfs")) {
		r = entry_tmpfs(&cm, f[0], &o, err);
	} else if (streq(f[2], "none")) {
		r = werrx(err, EINVAL, "type none needs the bind or rbind option");
	} else {
		r = entry_own(&cm, f[2], &o, err);
		if (r >= 0 && !cm.abs_target && !same_path(cm.m.destination, cm.own))
			r = werrx(err, EINVAL, "ward mounts %s only on %s", f[2], cm.own);
	}
	if (r >= 0 && (r = cfg_pos_save(&cm.pos, pos, err)) >= 0) {
		nm = realloc(c->mounts, (c->n_mounts + 1) * sizeof(*nm));
		if (!nm) {
			r = werr(err, ENOMEM, "mount");
		} else {
			c->mounts = nm;
			c->mounts[c->n_mounts++] = cm;
			return 0;
		}
	}
	mount_entry_clear(&cm.m);
	cfg_pos_clear(&cm.pos);
	return r;
}

static int lxc_mount_entry(struct config *c, const char *key, const char *value, ward_err *err)
{
	return mount_entry(c, &c->cur, value, err);
}

/* lxc.mount.fstab: a file of mount entries; errors name its own lines */
int cfg_lxc_fstab(struct config *c, const char *key, const char *value, ward_err *err)
{
	_cleanup_free_ char *path = cfg_path(c, value);
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	unsigned int line = 0;
	size_t len;
	int r;

	if (!path)
		return werr(err, ENOMEM, "config");
	if (!*value)
		return cfg_pos_errx(err, &c->cur, EINVAL, "no file given");
	r = read_file(path, &text, &len);
	if (r < 0)
		return werr(err, -r, "%s:%u: %s: %s", c->cur.file, c->cur.line, key, path);
	if (strlen(text) != len)
		return cfg_pos_errx(err, &c->cur, EINVAL, "%s holds a NUL byte", path);
	for (char *l = text; l; l = save) {
		char *nl = strchr(l, '\n');
		struct cfg_pos at = {path, ++line, (char *)key};
		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		l = strstrip(l);
		if (!*l || *l == '#')
			continue;
		r = mount_entry(c, &at, l, err);
		if (r < 0)
			return cfg_pos_wrap(err, &at);
	}
	return 0;
}

/* lxc.mount.auto names filesystems ward mounts anyway; only what ward
 * does is accepted. */
static int lxc_mount_auto(struct config *c, const char *key, const char *value, ward_err *err)
{
	_cleanup_free_ char *copy = strdup(value);
	char *save = NULL;

	if (!copy)
		return werr(err, ENOMEM, "config");
	for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (streq(t, "proc") || streq(t, "proc:mixed") || streq(t, "sys:ro"))
			continue;
		if (streq(t, "proc:rw"))
			return werrx(err, EINVAL,
				     "'%s': ward keeps /proc/sys read-only (proc:mixed)", t);
		if (streq(t, "sys") || startswith(t, "sys:"))
			return werrx(err, EINVAL, "'%s': ward mounts /sys read-only (sys:ro)", t);
		if (startswith(t, "cgroup"))
			return werrx(err, ENOTSUP,
				     "'%s': not implemented by ward (it mounts no cgroup "
				     "filesystem in the container)",
				     t);
		if (startswith(t, "shmounts:"))
			return werrx(err, ENOTSUP, "'%s': not implemented by ward", t);
		return werrx(err, EINVAL, "unknown value '%s' (proc:mixed, sys:ro)", t);
	}
	return 0;
}

/* ---- network interfaces ---- */

static struct cfg_netif *netif_get(struct config *c, unsigned long index, ward_err *err)
{
	struct cfg_netif *n;
	size_t at = 0;

	while (at < c->n_ifs && c->ifs[at].index < index)
		at++;
	if (at < c->n_ifs && c->ifs[at].index == index)
		return &c->ifs[at];
	n = realloc(c->ifs, (c->n_ifs + 1) * sizeof(*n));
	if (!n) {
		werr(err, ENOMEM, "network");
		return NULL;
	}
	c->ifs = n;
	memmove(&n[at + 1], &n[at], (c->n_ifs - at) * sizeof(*n));
	memset(&n[at], 0, sizeof(*n));
	n[at].index = index;
	c->n_ifs++;
	return &n[at];
}

static void netif_clear(struct cfg_netif *i)
{
	for (int f = 0; f < NF__MAX; f++) {
		free(i->val[f]);
		cfg_pos_clear(&i->pos[f]);
	}
}

void cfg_netifs_clear(struct config *c)
{
	for (size_t i = 0; i < c->n_ifs; i++)
		netif_clear(&c->ifs[i]);
	free(c->ifs);
	c->ifs = NULL;
	c->n_ifs = 0;
}

static const struct {
	const char *name;
	enum nf_field f;
} nf_names[] = {
    {"type", NF_TYPE},         {"link", NF_LINK},        {"flags", NF_FLAGS},
    {"name", NF_NAME},         {"hwaddr", NF_HWADDR},    {"ipv4", NF_IP4},
    {"ipv4.address", NF_IP4},  {"ipv4.gateway", NF_GW4}, {"ipv6", NF_IP6},
    {"ipv6.address", NF_IP6},  {"ipv6.gateway", NF_GW6}, {"veth.pair", NF_PAIR},
    {"macvlan.mode", NF_MODE}, {"vlan.id", NF_VLAN},
};

static const char *const lxc_types[] = {"veth", "macvlan", "vlan", "phys", "empty", "none", NULL};
static const char *const ward_types[] = {"network", "bridge", "macvlan", "vlan",
					 "phys",    "none",   "host",    NULL};

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (streq(*list, s))
			return true;
	return false;
}

/* LXC's hwaddr may hold 'x' digits to be filled at random. */
static int mac_fill(char *v, ward_err *err)
{
	uint8_t rnd[12];

	if (strlen(v) != 17 || !strpbrk(v, "xX"))
		return 0;
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return werr(err, errno, "random MAC address");
	for (int k = 0; k < 17; k++) {
		if (v[k] != 'x' && v[k] != 'X')
			continue;
		int d = rnd[(k / 3) * 2 + k % 3] & 0xf;
		if (k == 1) /* the first octet stays unicast */
			d &= 0xe;
		v[k] = "0123456789abcdef"[d];
	}
	return 0;
}

static int check_addr(const char *v, int family, bool prefix_ok, ward_err *err)
{
	unsigned char a[16];
	unsigned int prefix;
	int fam;

	if (net_parse_addr(v, &fam, a, &prefix, prefix_ok) < 0 || fam != family)
		return werrx(err, EINVAL, "'%s' is not an IPv%d address%s", v,
			     family == AF_INET ? 4 : 6, prefix_ok ? " (ADDR or ADDR/LEN)" : "");
	return 0;
}

/* One value of an interface, checked on its own; empty clears it. */
static int netif_set(struct cfg_netif *i, enum nf_field f, bool ward_names, char *v, ward_err *err)
{
	uint32_t id;
	uint8_t mac[6];
	int r;

	if (!*v) {
		if (f == NF_TYPE)
			return werrx(err, EINVAL, "an empty type");
		free(i->val[f]);
		i->val[f] = NULL;
		return 0;
	}
	switch (f) {
	case NF_TYPE:
		if (!in_list(ward_names ? ward_types : lxc_types, v))
			return werrx(err, EINVAL, "unknown type '%s' (%s)", v,
				     ward_names ? "network, bridge, macvlan, vlan, phys, none, host"
						: "veth, macvlan, vlan, phys, empty, none");
		i->ward_names = ward_names;
		break;
	case NF_LINK:
		if (!name_is_valid(v))
			return werrx(err, EINVAL, "'%s' is not an interface or network name", v);
		break;
	case NF_FLAGS:
		if (!streq(v, "up"))
			return werrx(err, EINVAL, "'%s': the only flag is up", v);
		break;
	case NF_NAME:
	case NF_PAIR:
		if (!ifname_ok(v))
			return werrx(err, EINVAL, "'%s' is not an interface name (1-15 characters)",
				     v);
		break;
	case NF_HWADDR:
		r = mac_fill(v, err);
		if (r < 0)
			return r;
		r = net_parse_mac(v, mac, err);
		if (r < 0)
			return r;
		break;
	case NF_IP4:
	case NF_IP6:
		if (i->val[f])
			return werrx(err, EEXIST, "ward gives an interface one IPv%d address (%s)",
				     f == NF_IP4 ? 4 : 6, i->val[f]);
		if (strpbrk(v, " \t"))
			return werrx(err, EINVAL,
				     "'%s': ward sets no broadcast address (give ADDR/LEN alone)",
				     v);
		r = check_addr(v, f == NF_IP4 ? AF_INET : AF_INET6, true, err);
		if (r < 0)
			return r;
		break;
	case NF_GW4:
	case NF_GW6:
		if (streq(v, "dev"))
			return cfg_not_implemented(err, "a device route as the gateway");
		if (!streq(v, "auto")) {
			r = check_addr(v, f == NF_GW4 ? AF_INET : AF_INET6, false, err);
			if (r < 0)
				return r;
		}
		break;
	case NF_MODE:
		if (!streq(v, "private") && !streq(v, "vepa") && !streq(v, "bridge") &&
		    !streq(v, "passthru"))
			return werrx(err, EINVAL,
				     "unknown macvlan mode '%s' (private, vepa, bridge, passthru)",
				     v);
		break;
	case NF_VLAN:
		if (parse_u32(v, &id) < 0 || id < 1 || id > 4094)
			return werrx(err, EINVAL, "'%s' is not a VLAN id (1-4094)", v);
		break;
	case NF__MAX:
		break;
	}
	free(i->val[f]);
	i->val[f] = strdup(v);
	return i->val[f] ? 0 : werr(err, ENOMEM, "network");
}

static int netif_key(struct config *c, struct cfg_netif *i, const char *sub, const char *value,
		     bool ward_names, ward_err *err)
{
	_cleanup_free_ char *v = strdup(value);

	if (!v)
		return werr(err, ENOMEM, "network");
	if (streq(sub, "mtu"))
		return cfg_not_implemented(err, "interfaces keep the kernel's default MTU");
	for (size_t k = 0; k < ARRAY_SIZE(nf_names); k++) {
		enum nf_field f = nf_names[k].f;
		int r;
		if (!streq(sub, nf_names[k].name))
			continue;
		r = netif_set(i, f, ward_names, v, err);
		return r < 0 ? r : cfg_pos_save(&i->pos[f], &c->cur, err);
	}
	return ward_names ? werrx(err, EINVAL, "unknown key") : cfg_not_implemented(err, NULL);
}

/* lxc.net.N.KEY and ward.net.N.KEY */
static int indexed_net_key(struct config *c, const char *rest, const char *value, bool ward_names,
			   ward_err *err)
{
	struct cfg_netif *i;
	unsigned long index = 0;
	const char *p = rest;

	if (!isdigit((unsigned char)*p))
		return ward_names ? werrx(err, EINVAL, "unknown key")
				  : cfg_not_implemented(err, NULL);
	while (isdigit((unsigned char)*p)) {
		index = index * 10 + (unsigned long)(*p++ - '0');
		if (index > NETIF_INDEX_MAX)
			return werrx(err, ERANGE, "interface numbers go from 0 to %d",
				     NETIF_INDEX_MAX);
	}
	if (*p != '.' || !p[1])
		return ward_names ? werrx(err, EINVAL, "unknown key")
				  : cfg_not_implemented(err, NULL);
	i = netif_get(c, index, err);
	return i ? netif_key(c, i, p + 1, value, ward_names, err) : -ENOMEM;
}

static int lxc_net(struct config *c, const char *key, const char *value, ward_err *err)
{
	struct cfg_netif *i;

	if (streq(key, "lxc.net") || streq(key, "lxc.network")) {
		/* an empty value drops every interface defined so far */
		if (*value)
			return werrx(err, EINVAL,
				     "only an empty value (no interfaces) is accepted");
		cfg_netifs_clear(c);
		c->n_old_ifs = 0;
		return 0;
	}
	if (startswith(key, "lxc.net."))
		return indexed_net_key(c, key + 8, value, false, err);
	/* lxc.network.*: each type line starts the next interface */
	key += strlen("lxc.network.");
	if (streq(key, "type")) {
		i = netif_get(c, OLD_NETIF_BASE + c->n_old_ifs, err);
		if (!i)
			return -ENOMEM;
		c->n_old_ifs++;
		return netif_key(c, i, key, value, false, err);
	}
	if (!c->n_old_ifs)
		return werrx(err, EINVAL, "comes before any lxc.network.type");
	i = netif_get(c, OLD_NETIF_BASE + c->n_old_ifs - 1, err);
	return i ? netif_key(c, i, key, value, false, err) : -ENOMEM;
}

/* Is NAME a ward network (LIB/networks/NAME.json)?  The default network
 * is, whether or not it was made yet. */
static bool ward_network(const struct config *c, const char *name)
{
	_cleanup_free_ char *path = NULL;

	if (streq(name, WARD_DEFAULT_NETWORK))
		return true;
	if (!c->rs->lib_dir || !name_is_valid(name))
		return false;
	path = xasprintf("%s/networks/%s.json", c->rs->lib_dir, name);
	return path && access(path, F_OK) == 0;
}

static const struct cfg_pos *netif_blame(const struct cfg_netif *i)
{
	for (int f = 0; f < NF__MAX; f++)
		if (i->val[f])
			return &i->pos[f];
	return &i->pos[NF_TYPE];
}

/* The `ward.net` value of an interface; NULL value for the default network
 * (ward.net.N.type = network without a link). */
static int netif_net_value(const struct config *c, const struct cfg_netif *i, char **value,
			   bool *veth, ward_err *err)
{
	const char *t = i->val[NF_TYPE], *link = i->val[NF_LINK];
	const struct cfg_pos *tp = &i->pos[NF_TYPE];
	bool needs_link = true;

	*value = NULL;
	*veth = streq(t, "veth") || streq(t, "network") || streq(t, "bridge");
	if (streq(t, "network") || streq(t, "none") || streq(t, "host"))
		needs_link = false;
	if (needs_link && !link)
		return cfg_pos_errx(err, tp, EINVAL, "a %s interface needs a link (%s)", t,
				    streq(t, "veth") ? "a bridge or a ward network"
						     : "a host interface");
	if (!needs_link && link && !streq(t, "network"))
		return cfg_pos_errx(err, &i->pos[NF_LINK], EINVAL, "a %s interface has no link", t);
	if (streq(t, "veth")) {
		if (ward_network(c, link))
			*value = strdup(link);
		else if (startswith(link, "wb-"))
			return cfg_pos_errx(err, &i->pos[NF_LINK], EINVAL,
					    "%s is a ward network's bridge: name the network",
					    link);
		else
			*value = xasprintf("bridge:%s", link);
	} else if (streq(t, "network")) {
		if (!link)
			return 0;
		*value = strdup(link);
	} else if (streq(t, "bridge") || streq(t, "phys")) {
		*value = xasprintf("%s:%s", t, link);
	} else if (streq(t, "macvlan")) {
		/* LXC's default mode is private, ward's bridge */
		*value = xasprintf("macvlan:%s:%s", link,
				   i->val[NF_MODE] ? i->val[NF_MODE]
				   : i->ward_names ? "bridge"
						   : "private");
	} else if (streq(t, "vlan")) {
		if (!i->val[NF_VLAN])
			return cfg_pos_errx(err, tp, EINVAL, "a vlan interface needs a vlan.id");
		*value = xasprintf("vlan:%s:%s", link, i->val[NF_VLAN]);
	} else {
		/* LXC's none shares the host's network, as ward's host does */
		*value = strdup(streq(t, "none") && !i->ward_names ? "host" : t);
	}
	return *value ? 0 : werr(err, ENOMEM, "network");
}

/* Values that only some types take. */
static int netif_check(const struct cfg_netif *i, bool veth, bool network, ward_err *err)
{
	const char *t = i->val[NF_TYPE];
	bool bare = streq(t, "none") || streq(t, "host");

	for (int f = NF_NAME; f < NF__MAX; f++) {
		if (!i->val[f])
			continue;
		if (bare)
			return cfg_pos_errx(err, &i->pos[f], EINVAL,
					    "an interface of type %s takes no %s", t,
					    i->pos[f].key);
		if ((f == NF_PAIR && !veth) || (f == NF_MODE && !streq(t, "macvlan")) ||
		    (f == NF_VLAN && !streq(t, "vlan")))
			return cfg_pos_errx(err, &i->pos[f], EINVAL, "not for a %s interface", t);
	}
	for (int k = 0; k < 2; k++) {
		enum nf_field f = k ? NF_GW6 : NF_GW4;
		const char *gw = i->val[f];
		if (!gw)
			continue;
		if (network && !streq(gw, "auto"))
			return cfg_pos_errx(
			    err, &i->pos[f], EINVAL,
			    "a ward network's gateway is its own (leave it out or say "
			    "auto)");
		if (!network && streq(gw, "auto"))
			return cfg_pos_errx(
			    err, &i->pos[f], EINVAL,
			    "auto would need the bridge's address: give the gateway's");
		if (!network && !i->val[k ? NF_IP6 : NF_IP4])
			return cfg_pos_errx(err, &i->pos[f], EINVAL, "a gateway needs an address");
	}
	return 0;
}

static int netif_apply(struct config *c, const struct cfg_netif *i, ward_err *err)
{
	static const struct {
		enum nf_field f;
		const char *key;
	} via_options[] = {{NF_IP4, "ward.ip"}, {NF_IP6, "ward.ip6"}, {NF_HWADDR, "ward.mac"}};
	_cleanup_free_ char *value = NULL;
	struct ward_net_spec *n;
	struct ward_netif *wi;
	bool veth, network;
	int r;

	r = netif_net_value(c, i, &value, &veth, err);
	if (r < 0)
		return r;
	network = value && !strchr(value, ':') && !streq(value, "host") && !streq(value, "none");
	network = network || (!value && streq(i->val[NF_TYPE], "network"));
	r = netif_check(i, veth, network, err);
	if (r < 0)
		return r;
	if (value) {
		r = cfg_apply(c, "ward.net", value, err);
		if (r < 0)
			return cfg_pos_wrap(err, &i->pos[NF_TYPE]);
	} else {
		/* the default network, as a `ward.ip` before any `ward.net` */
		net_ensure(c->rs);
		n = c->rs->spec->net;
		if (!n)
			return werr(err, ENOMEM, "network");
		if (n->n_ifs)
			return cfg_pos_errx(err, &i->pos[NF_TYPE], EINVAL,
					    "the default network without a link must be the only "
					    "interface (link = %s names it)",
					    WARD_DEFAULT_NETWORK);
		if (!net_spec_current(n, err))
			return -ENOMEM;
	}
	for (size_t k = 0; k < ARRAY_SIZE(via_options); k++) {
		const char *v = i->val[via_options[k].f];
		if (v && cfg_apply(c, via_options[k].key, v, err) < 0)
			return cfg_pos_wrap(err, &i->pos[via_options[k].f]);
	}
	n = c->rs->spec->net;
	wi = &n->ifs[n->n_ifs - 1];
	if ((i->val[NF_NAME] && !(wi->ifname = strdup(i->val[NF_NAME]))) ||
	    (i->val[NF_PAIR] && !(wi->host_ifname = strdup(i->val[NF_PAIR]))))
		return werr(err, ENOMEM, "network");
	if (i->val[NF_GW4] && !network)
		wi->has_gw4 = inet_pton(AF_INET, i->val[NF_GW4], &wi->gw4) == 1;
	if (i->val[NF_GW6] && !network)
		wi->has_gw6 = inet_pton(AF_INET6, i->val[NF_GW6], &wi->gw6) == 1;
	wi->up = i->val[NF_FLAGS] != NULL;
	return 0;
}

int cfg_finish_net(struct config *c, ward_err *err)
{
	size_t empty = 0;
	int r;

	for (size_t k = 0; k < c->n_ifs; k++) {
		const struct cfg_netif *i = &c->ifs[k];
		if (!i->val[NF_TYPE])
			return cfg_pos_errx(
			    err, netif_blame(i), EINVAL, "interface %lu has no type",
			    i->index >= OLD_NETIF_BASE ? i->index - OLD_NETIF_BASE : i->index);
		if (i->ward_names || !streq(i->val[NF_TYPE], "empty"))
			continue;
		/* LXC's empty: loopback only, which every container has */
		for (int f = NF_LINK; f < NF__MAX; f++)
			if (i->val[f])
				return cfg_pos_errx(err, &i->pos[f], EINVAL,
						    "an interface of type empty takes no %s",
						    i->pos[f].key);
		empty++;
	}
	for (size_t k = 0; k < c->n_ifs; k++) {
		const struct cfg_netif *i = &c->ifs[k];
		/* the take-over rule of `ward.ip` then `ward.net` would merge it
		 * with the next interface */
		if (i->ward_names && streq(i->val[NF_TYPE], "network") && !i->val[NF_LINK] &&
		    c->n_ifs - empty > 1)
			return cfg_pos_errx(err, &i->pos[NF_TYPE], EINVAL,
					    "the default network without a link must be the only "
					    "interface (link = %s names it)",
					    WARD_DEFAULT_NETWORK);
	}
	if (c->n_ifs && empty == c->n_ifs) {
		r = cfg_apply(c, "ward.net", "none", err);
		return r < 0 ? cfg_pos_wrap(err, &c->ifs[0].pos[NF_TYPE]) : 0;
	}
	for (size_t k = 0; k < c->n_ifs; k++) {
		if (!c->ifs[k].ward_names && streq(c->ifs[k].val[NF_TYPE], "empty"))
			continue;
		r = netif_apply(c, &c->ifs[k], err);
		if (r < 0)
			return r;
	}
	return 0;
}

int cfg_ward_net_key(struct config *c, const char *key, const char *value, ward_err *err)
{
	return indexed_net_key(c, key + strlen("ward.net."), value, true, err);
}

/* ---- lxc.cgroup.* and lxc.cgroup2.* ---- */

#define CG_V1 1u
#define CG_V2 2u

static int cg_number(const char *v, int64_t lo, int64_t hi, int64_t *out, ward_err *err)
{
	if (parse_i64(v, out) < 0 || *out < lo || *out > hi)
		return werrx(err, EINVAL, "'%s' is not a number from %" PRId64 " to %" PRId64, v,
			     lo, hi);
	return 0;
}

static int cg_memory(struct config *c, const char *v, ward_err *err)
{
	if (streq(v, "max") || streq(v, "-1")) {
		c->rs->spec->res.memory_limit = WARD_UNSET;
		return 0;
	}
	return cfg_apply(c, "ward.memory", v, err);
}

/* v1 memory.memsw.limit_in_bytes is memory plus swap, as ward's is */
static int cg_memsw(struct config *c, const char *v, ward_err *err)
{
	int r = cfg_apply(c, "ward.memory.swap", streq(v, "max") ? "-1" : v, err);

	if (r < 0)
		return r;
	c->swap_max = WARD_UNSET;
	c->memsw = true;
	return cfg_pos_save(&c->memsw_pos, &c->cur, err);
}

/* v2 memory.swap.max is swap alone: added to the memory limit at finish */
static int cg_swap_max(struct config *c, const char *v, ward_err *err)
{
	int64_t b;

	if (streq(v, "max") || streq(v, "-1"))
		b = -1;
	else if (parse_size(v, &b) < 0)
		return werrx(err, EINVAL, "invalid size '%s' (BYTES[kKmMgG] or max)", v);
	c->swap_max = b;
	c->memsw = false;
	return cfg_pos_save(&c->swap_pos, &c->cur, err);
}

static int cg_cpu_shares(struct config *c, const char *v, ward_err *err)
{
	return cg_number(v, 2, 262144, &c->rs->spec->res.cpu_shares, err);
}

static int cg_cfs_quota(struct config *c, const char *v, ward_err *err)
{
	int r;

	if (streq(v, "-1")) {
		c->cfs_quota = -1;
	} else if ((r = cg_number(v, 1000, INT64_MAX / 2, &c->cfs_quota, err)) < 0) {
		return r;
	}
	return cfg_pos_save(&c->cfs_pos, &c->cur, err);
}

static int cg_cfs_period(struct config *c, const char *v, ward_err *err)
{
	int r = cg_number(v, 1000, 1000000, &c->cfs_period, err);

	return r < 0 ? r : cfg_pos_save(&c->cfs_pos, &c->cur, err);
}

/* "max", "QUOTA", "max PERIOD" or "QUOTA PERIOD" (microseconds) */
static int cg_cpu_max(struct config *c, const char *v, ward_err *err)
{
	struct ward_resources *res = &c->rs->spec->res;
	char quota[32], period[32] = "100000", extra;
	int64_t q = -1, p;
	int n = sscanf(v, "%31s %31s %c", quota, period, &extra);

	if (n < 1 || n > 2)
		return werrx(err, EINVAL, "'%s' is not QUOTA [PERIOD] (or max [PERIOD])", v);
	if (!streq(quota, "max") && cg_number(quota, 1000, INT64_MAX / 2, &q, err) < 0)
		return -EINVAL;
	if (cg_number(period, 1000, 1000000, &p, err) < 0)
		return -EINVAL;
	res->cpu_quota = q < 0 ? WARD_UNSET : q;
	res->cpu_period = p;
	return 0;
}

static int cg_cpuset_mems(struct config *c, const char *v, ward_err *err)
{
	uint64_t mask;

	if (parse_cpu_list(v, &mask) < 0)
		return werrx(err, EINVAL, "'%s' is not a list of memory nodes such as 0-1,3", v);
	free(c->rs->spec->res.cpuset_mems);
	c->rs->spec->res.cpuset_mems = strdup(v);
	return c->rs->spec->res.cpuset_mems ? 0 : werr(err, ENOMEM, "cpuset");
}

static int cg_blkio_weight(struct config *c, const char *v, ward_err *err)
{
	return cg_number(v, 10, 1000, &c->rs->spec->res.blkio_weight, err);
}

/* "N" or "default N"; per-device weights are not ward's */
static int cg_io_weight(struct config *c, const char *v, ward_err *err)
{
	if (startswith(v, "default "))
		for (v += 8; *v == ' ' || *v == '\t'; v++)
			;
	if (strchr(v, ':'))
		return cfg_not_implemented(err, "per-device weights");
	return cfg_apply(c, "ward.io.weight", v, err);
}

/* ward's device policy is fixed: nothing but the nodes of its own /dev.
 * Denying everything says just that; anything else is not ward's to do. */
static int cg_devices(struct config *c, const char *v, ward_err *err)
{
	if (streq(c->cur.key + strlen(c->cur.key) - 4, "deny") && streq(v, "a"))
		return 0;
	return cfg_not_implemented(err, "ward allows only the devices of its own /dev: null, zero, "
					"full, random, urandom, tty and ptmx");
}

static int cg_alias(struct config *c, const char *ward_key, const char *v, ward_err *err)
{
	return cfg_apply(c, ward_key, v, err);
}

static const struct cg_key {
	const char *file;
	unsigned int versions;
	int (*fn)(struct config *c, const char *v, ward_err *err);
	const char *ward_key; /* a plain alias instead of fn */
} cg_keys[] = {
    {"memory.limit_in_bytes", CG_V1, cg_memory, NULL},
    {"memory.max", CG_V2, cg_memory, NULL},
    {"memory.memsw.limit_in_bytes", CG_V1, cg_memsw, NULL},
    {"memory.swap.max", CG_V2, cg_swap_max, NULL},
    {"cpu.shares", CG_V1, cg_cpu_shares, NULL},
    {"cpu.weight", CG_V2, NULL, "ward.cpu.weight"},
    {"cpu.cfs_quota_us", CG_V1, cg_cfs_quota, NULL},
    {"cpu.cfs_period_us", CG_V1, cg_cfs_period, NULL},
    {"cpu.max", CG_V2, cg_cpu_max, NULL},
    {"cpuset.cpus", CG_V1 | CG_V2, NULL, "ward.cpuset.cpus"},
    {"cpuset.mems", CG_V1 | CG_V2, cg_cpuset_mems, NULL},
    {"pids.max", CG_V1 | CG_V2, NULL, "ward.pids.limit"},
    {"blkio.weight", CG_V1, cg_blkio_weight, NULL},
    {"io.weight", CG_V2, cg_io_weight, NULL},
    {"devices.allow", CG_V1, cg_devices, NULL},
    {"devices.deny", CG_V1, cg_devices, NULL},
};

static int lxc_cgroup(struct config *c, const char *key, const char *value, ward_err *err)
{
	unsigned int v = startswith(key, "lxc.cgroup2.") ? CG_V2 : CG_V1;
	const char *file = key + (v == CG_V2 ? strlen("lxc.cgroup2.") : strlen("lxc.cgroup."));

	for (size_t i = 0; i < ARRAY_SIZE(cg_keys); i++) {
		const struct cg_key *k = &cg_keys[i];
		if (!streq(k->file, file))
			continue;
		if (!(k->versions & v))
			return werrx(err, EINVAL, "%s is a cgroup v%d file (lxc.%s.%s)", file,
				     v == CG_V2 ? 1 : 2, v == CG_V2 ? "cgroup" : "cgroup2", file);
		if (!*value)
			return werrx(err, EINVAL, "an empty value");
		return k->fn ? k->fn(c, value, err) : cg_alias(c, k->ward_key, value, err);
	}
	return cfg_not_implemented(err, NULL);
}

int cfg_finish_cgroup(struct config *c, ward_err *err)
{
	struct ward_resources *res = &c->rs->spec->res;

	if (c->cfs_quota != WARD_UNSET || c->cfs_period != WARD_UNSET) {
		if (c->cfs_quota != WARD_UNSET)
			res->cpu_quota = c->cfs_quota < 0 ? WARD_UNSET : c->cfs_quota;
		res->cpu_period = c->cfs_period != WARD_UNSET ? c->cfs_period : 100000;
	}
	if (c->memsw && res->memory_swap != -1 && res->memory_limit == WARD_UNSET)
		return cfg_pos_errx(err, &c->memsw_pos, EINVAL,
				    "needs a memory limit (lxc.cgroup.memory.limit_in_bytes)");
	if (c->swap_max != WARD_UNSET) {
		if (c->swap_max == -1) {
			res->memory_swap = -1;
		} else if (res->memory_limit == WARD_UNSET) {
			return cfg_pos_errx(err, &c->swap_pos, EINVAL,
					    "needs a memory limit (lxc.cgroup2.memory.max)");
		} else if (res->memory_limit > INT64_MAX - c->swap_max) {
			return cfg_pos_errx(err, &c->swap_pos, ERANGE,
					    "memory plus swap is too large");
		} else {
			res->memory_swap = res->memory_limit + c->swap_max;
		}
	}
	return 0;
}

/* ---- capabilities, id mappings, seccomp, the rest ---- */

static int lxc_caps(struct config *c, const char *key, const char *value, ward_err *err)
{
	bool keep = streq(key, "lxc.cap.keep");
	uint64_t *set = keep ? &c->cap_keep : &c->cap_drop;
	bool *given = keep ? &c->cap_keep_set : &c->cap_drop_set;
	_cleanup_free_ char *copy = strdup(value);
	char *save = NULL;

	if (!copy)
		return werr(err, ENOMEM, "capabilities");
	if (!*value) { /* an empty value forgets the list so far */
		*set = 0;
		*given = false;
		return 0;
	}
	for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		int cap;
		if (keep && streq(t, "none")) {
			*set = 0;
			continue;
		}
		if (caps_from_name(t, &cap) < 0)
			return werrx(err, EINVAL, "unknown capability '%s'", t);
		*set |= 1ULL << cap;
	}
	*given = true;
	return cfg_pos_save(keep ? &c->cap_keep_pos : &c->cap_drop_pos, &c->cur, err);
}

char *cfg_caps_list(uint64_t set)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool first = true;

	if (!f)
		return NULL;
	for (int cap = 0; cap < 64; cap++) {
		if (!(set & (1ULL << cap)))
			continue;
		fprintf(f, "%s%s", first ? "" : ",", caps_to_name(cap));
		first = false;
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* LXC starts from every capability; ward from its default set.  drop
 * removes from ward's set; keep names the whole set. */
int cfg_finish_caps(struct config *c, ward_err *err)
{
	_cleanup_free_ char *names = NULL;

	if (c->cap_drop_set && c->cap_keep_set)
		return cfg_pos_errx(err, &c->cap_keep_pos, EINVAL,
				    "lxc.cap.keep and lxc.cap.drop cannot both be given");
	if (c->cap_drop_set) {
		names = cfg_caps_list(c->cap_drop);
		if (!names)
			return werr(err, ENOMEM, "capabilities");
		if (*names && cfg_apply(c, "ward.cap.drop", names, err) < 0)
			return cfg_pos_wrap(err, &c->cap_drop_pos);
	}
	if (c->cap_keep_set) {
		names = cfg_caps_list(c->cap_keep);
		if (!names)
			return werr(err, ENOMEM, "capabilities");
		if (cfg_apply(c, "ward.cap.drop", "all", err) < 0 ||
		    (*names && cfg_apply(c, "ward.cap.add", names, err) < 0))
			return cfg_pos_wrap(err, &c->cap_keep_pos);
	}
	return 0;
}

static bool idmap_overlaps(const struct ward_idmap *m, size_t n, uint32_t in, uint32_t count)
{
	for (size_t i = 0; i < n; i++)
		if ((uint64_t)in < (uint64_t)m[i].inside + m[i].count &&
		    (uint64_t)m[i].inside < (uint64_t)in + count)
			return true;
	return false;
}

void cfg_idmaps_drop(struct run_settings *rs)
{
	struct ward_spec *s = rs->spec;

	free(s->uid_maps);
	free(s->gid_maps);
	s->uid_maps = s->gid_maps = NULL;
	s->n_uid_maps = s->n_gid_maps = 0;
	rs->userns_explicit_seen = false;
	if (s->userns_mode == WUSERNS_EXPLICIT) {
		s->userns_mode = WUSERNS_AUTO;
		s->ns[WNS_USER].enabled = true;
	}
}

/* "u|g|b INSIDE HOST COUNT"; an empty value drops the mappings so far */
static int lxc_idmap(struct config *c, const char *key, const char *value, ward_err *err)
{
	struct run_settings *rs = c->rs;
	struct ward_spec *s = rs->spec;
	char kind[4], in[16], host[16], count[16], extra;
	struct ward_idmap m;

	if (!*value) {
		cfg_idmaps_drop(rs);
		c->idmap = false;
		return 0;
	}
	if (sscanf(value, "%3s %15s %15s %15s %c", kind, in, host, count, &extra) != 4 ||
	    (!streq(kind, "u") && !streq(kind, "g") && !streq(kind, "b")) ||
	    parse_u32(in, &m.inside) < 0 || parse_u32(host, &m.outside) < 0 ||
	    parse_u32(count, &m.count) < 0 || m.count == 0)
		return werrx(err, EINVAL, "'%s' is not u|g INSIDE HOST COUNT", value);
	if ((uint64_t)m.inside + m.count > (uint64_t)UINT32_MAX + 1 ||
	    (uint64_t)m.outside + m.count > (uint64_t)UINT32_MAX + 1)
		return werrx(err, ERANGE, "'%s' goes past the last id", value);
	if (!rs->userns_explicit_seen)
		cfg_idmaps_drop(rs);
	if ((kind[0] != 'g' && idmap_overlaps(s->uid_maps, s->n_uid_maps, m.inside, m.count)) ||
	    (kind[0] != 'u' && idmap_overlaps(s->gid_maps, s->n_gid_maps, m.inside, m.count)))
		return werrx(err, EINVAL, "'%s' overlaps an earlier mapping", value);
	if ((kind[0] != 'g' &&
	     spec_add_idmap(&s->uid_maps, &s->n_uid_maps, m.inside, m.outside, m.count) < 0) ||
	    (kind[0] != 'u' &&
	     spec_add_idmap(&s->gid_maps, &s->n_gid_maps, m.inside, m.outside, m.count) < 0))
		return werr(err, ENOMEM, "idmap");
	rs->userns_explicit_seen = true;
	s->userns_mode = WUSERNS_EXPLICIT;
	s->ns[WNS_USER].enabled = true;
	if (c->idmap)
		return 0;
	c->idmap = true;
	return cfg_pos_save(&c->idmap_pos, &c->cur, err);
}

/* LXC's own policy language starts with a version line ("2"); ward reads
 * OCI (Docker) JSON profiles only. */
static int lxc_seccomp(struct config *c, const char *key, const char *value, ward_err *err)
{
	_cleanup_free_ char *path = cfg_path(c, value);
	_cleanup_free_ char *text = NULL;
	const char *p;

	if (!path)
		return werr(err, ENOMEM, "config");
	if (!*value)
		return werrx(err, EINVAL,
			     "no profile given (ward.seccomp = unconfined runs without "
			     "a filter)");
	if (read_file(path, &text, NULL) >= 0) {
		for (p = text; *p == ' ' || *p == '\t'; p++)
			;
		if ((*p == '1' || *p == '2') && (!p[1] || isspace((unsigned char)p[1])))
			return werrx(err, ENOTSUP,
				     "%s is in LXC's seccomp policy format, which ward does not "
				     "read: give an OCI (Docker) JSON profile",
				     path);
	}
	return cfg_apply(c, "ward.seccomp", path, err);
}

static int lxc_rootfs(struct config *c, const char *key, const char *value, ward_err *err)
{
	static const char *const backends[] = {"overlay", "overlayfs", "aufs", "btrfs", "zfs",
					       "lvm",     "loop",      "nbd",  "rbd",   NULL};
	_cleanup_free_ char *path = NULL;
	const char *colon = strchr(value, ':');
	int r;

	if (startswith(value, "dir:")) {
		value += 4;
	} else if (colon) {
		_cleanup_free_ char *kind = strndup(value, (size_t)(colon - value));
		if (kind && in_list(backends, kind))
			return cfg_not_implemented(err, "only directory root filesystems (dir:)");
	}
	path = cfg_path(c, value);
	if (!path)
		return werr(err, ENOMEM, "config");
	r = cfg_apply(c, "ward.rootfs", path, err);
	return r < 0 ? r : cfg_remember_rootfs(c, path, err);
}

static int lxc_rootfs_backend(struct config *c, const char *key, const char *value, ward_err *err)
{
	if (!*value || streq(value, "dir"))
		return 0;
	return cfg_not_implemented(err, "only directory root filesystems (dir)");
}

static int lxc_init_id(struct config *c, const char *key, const char *value, ward_err *err)
{
	uint32_t id;

	if (parse_u32(value, &id) < 0)
		return werrx(err, EINVAL, "'%s' is not a numeric id", value);
	if (key[strlen(key) - 3] == 'u')
		c->init_uid = id;
	else
		c->init_gid = id;
	return cfg_pos_save(&c->init_pos, &c->cur, err);
}

static const char *arch_canonical(const char *a)
{
	static const struct {
		const char *name, *machine;
	} arches[] = {
	    {"x86_64", "x86_64"},   {"amd64", "x86_64"},    {"i686", "i686"},
	    {"i586", "i686"},       {"i486", "i686"},       {"i386", "i686"},
	    {"x86", "i686"},        {"aarch64", "aarch64"}, {"arm64", "aarch64"},
	    {"armv7l", "armv7l"},   {"armhf", "armv7l"},    {"armel", "armv7l"},
	    {"ppc64le", "ppc64le"}, {"ppc64el", "ppc64le"}, {"s390x", "s390x"},
	    {"riscv64", "riscv64"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
		if (streq(a, arches[i].name))
			return arches[i].machine;
	return NULL;
}

static int lxc_arch(struct config *c, const char *key, const char *value, ward_err *err)
{
	struct utsname u;
	const char *want = arch_canonical(value);

	if (uname(&u) < 0)
		return werr(err, errno, "uname");
	if (want && streq(want, arch_canonical(u.machine) ?: u.machine))
		return 0;
	return werrx(err, ENOTSUP,
		     "'%s' is not this host's architecture (%s): ward runs the host's own", value,
		     u.machine);
}

static int lxc_zero_only(const char *value, const char *why, ward_err *err)
{
	uint32_t n;

	if (parse_u32(value, &n) < 0)
		return werrx(err, EINVAL, "'%s' is not a number", value);
	return n == 0 ? 0 : cfg_not_implemented(err, why);
}

static int lxc_tty(struct config *c, const char *key, const char *value, ward_err *err)
{
	return lxc_zero_only(value, "ward makes no /dev/ttyN consoles: only 0 is accepted", err);
}

static int lxc_pty(struct config *c, const char *key, const char *value, ward_err *err)
{
	return lxc_zero_only(value, "the container's devpts has no pty limit: only 0 is accepted",
			     err);
}

static int lxc_autodev(struct config *c, const char *key, const char *value, ward_err *err)
{
	if (streq(value, "1"))
		return 0;
	if (streq(value, "0"))
		return werrx(err, ENOTSUP, "ward always mounts its own small /dev (autodev = 1)");
	return werrx(err, EINVAL, "'%s' is not 0 or 1", value);
}

static int lxc_apparmor(struct config *c, const char *key, const char *value, ward_err *err)
{
	_cleanup_free_ char *opt = NULL;

	if (!*value || streq(value, "generated"))
		return cfg_not_implemented(err, "ward generates no AppArmor profile: name one, or "
						"unconfined");
	opt = xasprintf("apparmor=%s", value);
	return opt ? cfg_apply(c, "ward.security", opt, err) : werr(err, ENOMEM, "config");
}

static int lxc_selinux(struct config *c, const char *key, const char *value, ward_err *err)
{
	_cleanup_free_ char *opt = xasprintf("label=%s", value);

	if (!*value)
		return werrx(err, EINVAL, "an empty label");
	return opt ? cfg_apply(c, "ward.security", opt, err) : werr(err, ENOMEM, "config");
}

/* LXC's stop signal is the one that ends a halt that timed out: ward's is
 * always SIGKILL.  The signal `ward stop` sends first is lxc.signal.halt. */
static int lxc_signal_stop(struct config *c, const char *key, const char *value, ward_err *err)
{
	int sig;

	if (parse_signal(value, &sig) < 0)
		return werrx(err, EINVAL, "unknown signal '%s'", value);
	if (sig == SIGKILL)
		return 0;
	return cfg_not_implemented(err, "a stop that times out ends with SIGKILL; the signal `ward "
					"stop` sends first is lxc.signal.halt");
}

/* ---- the LXC keys ---- */

typedef int (*key_fn)(struct config *c, const char *key, const char *value, ward_err *err);

static const struct lxc_key {
	const char *name;
	const char *ward_key; /* a plain alias of this ward key */
	key_fn fn;
	bool prefix;
} lxc_keys[] = {
    {"lxc.utsname", "ward.hostname", NULL, false},
    {"lxc.uts.name", "ward.hostname", NULL, false},
    {"lxc.rootfs", NULL, lxc_rootfs, false},
    {"lxc.rootfs.path", NULL, lxc_rootfs, false},
    {"lxc.rootfs.backend", NULL, lxc_rootfs_backend, false},
    {"lxc.mount.entry", NULL, lxc_mount_entry, false},
    {"lxc.mount.auto", NULL, lxc_mount_auto, false},
    {"lxc.net", NULL, lxc_net, false},
    {"lxc.network", NULL, lxc_net, false},
    {"lxc.net.", NULL, lxc_net, true},
    {"lxc.network.", NULL, lxc_net, true},
    {"lxc.cgroup.", NULL, lxc_cgroup, true},
    {"lxc.cgroup2.", NULL, lxc_cgroup, true},
    {"lxc.cap.drop", NULL, lxc_caps, false},
    {"lxc.cap.keep", NULL, lxc_caps, false},
    {"lxc.idmap", NULL, lxc_idmap, false},
    {"lxc.id_map", NULL, lxc_idmap, false},
    {"lxc.seccomp.profile", NULL, lxc_seccomp, false},
    {"lxc.seccomp", NULL, lxc_seccomp, false},
    {"lxc.start.auto", "ward.start.auto", NULL, false},
    {"lxc.start.order", "ward.start.order", NULL, false},
    {"lxc.start.delay", "ward.start.delay", NULL, false},
    {"lxc.group", "ward.group", NULL, false},
    {"lxc.init.cmd", "ward.cmd", NULL, false},
    {"lxc.init_cmd", "ward.cmd", NULL, false},
    {"lxc.init.cwd", "ward.cwd", NULL, false},
    {"lxc.init.uid", NULL, lxc_init_id, false},
    {"lxc.init_uid", NULL, lxc_init_id, false},
    {"lxc.init.gid", NULL, lxc_init_id, false},
    {"lxc.init_gid", NULL, lxc_init_id, false},
    {"lxc.environment", "ward.env", NULL, false},
    {"lxc.arch", NULL, lxc_arch, false},
    {"lxc.tty.max", NULL, lxc_tty, false},
    {"lxc.tty", NULL, lxc_tty, false},
    {"lxc.pty.max", NULL, lxc_pty, false},
    {"lxc.pts", NULL, lxc_pty, false},
    {"lxc.autodev", NULL, lxc_autodev, false},
    {"lxc.apparmor.profile", NULL, lxc_apparmor, false},
    {"lxc.aa_profile", NULL, lxc_apparmor, false},
    {"lxc.selinux.context", NULL, lxc_selinux, false},
    {"lxc.se_context", NULL, lxc_selinux, false},
    {"lxc.signal.halt", "ward.stop.signal", NULL, false},
    {"lxc.haltsignal", "ward.stop.signal", NULL, false},
    {"lxc.signal.stop", NULL, lxc_signal_stop, false},
    {"lxc.stopsignal", NULL, lxc_signal_stop, false},
};

int cfg_lxc_key(struct config *c, const char *key, const char *value, ward_err *err)
{
	c->lxc = true;
	for (size_t i = 0; i < ARRAY_SIZE(lxc_keys); i++) {
		const struct lxc_key *k = &lxc_keys[i];
		if (k->prefix ? !startswith(key, k->name) : !streq(key, k->name))
			continue;
		return k->fn ? k->fn(c, key, value, err) : cfg_apply(c, k->ward_key, value, err);
	}
	return cfg_not_implemented(err, NULL);
}

/* ---- finishing the mounts ---- */

/* Mount entries, in their order, after everything else: an absolute
 * target needs the root filesystem, which may come later in the file. */
int cfg_finish_mounts(struct config *c, ward_err *err)
{
	const char *roots[2] = {c->rootfs, c->rs->spec->rootfs};

	for (size_t i = 0; i < c->n_mounts; i++) {
		struct cfg_mount *cm = &c->mounts[i];
		if (cm->abs_target) {
			const char *rel = NULL;
			char *dest;
			if (!roots[0] && !roots[1])
				return cfg_pos_errx(
				    err, &cm->pos, EINVAL,
				    "an absolute target (%s) needs the root filesystem "
				    "(lxc.rootfs.path)",
				    cm->m.destination);
			for (int k = 0; k < 2 && !rel; k++) {
				size_t l = roots[k] ? strlen(roots[k]) : 0;
				if (!l)
					continue;
				while (l > 1 && roots[k][l - 1] == '/')
					l--;
				if (!strncmp(cm->m.destination, roots[k], l) &&
				    cm->m.destination[l] == '/')
					rel = cm->m.destination + l;
			}
			if (!rel)
				return cfg_pos_errx(
				    err, &cm->pos, EINVAL,
				    "target %s is not inside the root filesystem %s",
				    cm->m.destination, roots[0] ? roots[0] : roots[1]);
			dest = strdup(rel);
			if (!dest)
				return werr(err, ENOMEM, "mount");
			free(cm->m.destination);
			cm->m.destination = dest;
		}
		if (cm->own) {
			if (!same_path(cm->m.destination, cm->own))
				return cfg_pos_errx(err, &cm->pos, EINVAL,
						    "ward mounts it only on %s", cm->own);
			continue;
		}
		if (spec_add_mount(c->rs->spec, &cm->m, true) < 0)
			return werr(err, ENOMEM, "mount");
	}
	return 0;
}
