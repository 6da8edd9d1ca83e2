/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config_write(): settings back into config lines.  ward's keys say what
 * they can; LXC keys what only they can (u and g mappings that differ, a
 * non-recursive bind, cpu.shares...); anything else is refused rather than
 * dropped.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "net/netspec.h"
#include "spec/config_internal.h"
#include "spec/parse.h"
#include "util/cleanup.h"
#include "util/strutil.h"
#include "util/syscalls.h"

struct writer {
	FILE *f;
	ward_err *err;
	int r;
};

__attribute__((format(printf, 3, 4))) static void emit(struct writer *w, const char *key,
						       const char *fmt, ...)
{
	_cleanup_free_ char *v = NULL;
	va_list ap;
	int n;

	if (w->r < 0)
		return;
	va_start(ap, fmt);
	n = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (n < 0) {
		v = NULL;
		w->r = werr(w->err, ENOMEM, "config");
		return;
	}
	/* a value is one line, and the reader trims its ends */
	if (strpbrk(v, "\n\r") ||
	    (n && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1])))) {
		w->r = werrx(w->err, EINVAL,
			     "%s: the value has a line break or blanks at an end, which a config "
			     "line cannot hold",
			     key);
		return;
	}
	fprintf(w->f, "%s = %s\n", key, v);
}

static void refuse(struct writer *w, const char *what)
{
	if (w->r >= 0)
		w->r = werrx(w->err, EINVAL, "%s: no config key can express it", what);
}

static char *escape_fstab(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (; *s; s++) {
		if (isspace((unsigned char)*s) || *s == '\\')
			fprintf(f, "\\%03o", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void emit_entry(struct writer *w, const char *src, const char *dest, const char *type,
		       const char *opts)
{
	_cleanup_free_ char *s = escape_fstab(src);
	_cleanup_free_ char *d = escape_fstab(dest + 1);

	if (!s || !d) {
		if (w->r >= 0)
			w->r = werr(w->err, ENOMEM, "config");
		return;
	}
	emit(w, "lxc.mount.entry", "%s %s %s %s 0 0", s, d, type, opts);
}

/* "mode=OCTAL[,size=BYTES]", as ward.tmpfs and tmpfs entries make it */
static bool tmpfs_data(const char *data, unsigned long *mode, int64_t *size)
{
	char *end;

	*size = -1;
	if (!data || !startswith(data, "mode=") || (data[5] < '0' || data[5] > '7'))
		return false;
	*mode = strtoul(data + 5, &end, 8);
	if (!*end)
		return true;
	return startswith(end, ",size=") && parse_i64(end + 6, size) == 0 && *size > 0;
}

/* Whether ward.bind or ward.tmpfs says m exactly.  When one mount needs
 * an lxc.mount.entry, every mount is written so: entries are applied
 * after the whole file, and the order of mounts matters. */
static bool mount_ward_form(const struct ward_mount *m)
{
	unsigned long mode;
	int64_t sz;

	if (!m->type || !m->source || m->optional || m->rec_attr_clr ||
	    strpbrk(m->destination, ": \t") || strpbrk(m->source, ": \t"))
		return false;
	if (streq(m->type, "bind"))
		return m->flags == (MS_BIND | MS_REC) && !m->data &&
		       (m->rec_attr_set & ~(uint64_t)MOUNT_ATTR_RDONLY) == 0;
	return streq(m->type, "tmpfs") && streq(m->source, "tmpfs") && !m->rec_attr_set &&
	       m->flags == (MS_NOSUID | MS_NODEV) && tmpfs_data(m->data, &mode, &sz);
}

static void write_mount(struct writer *w, const struct ward_mount *m, bool ward_form)
{
	const uint64_t attrs =
	    MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	char opts[128], size[32] = "";
	unsigned long mode;
	int64_t sz;

	/* an entry's target is relative: "//x" cannot be said there */
	if (m->propagation || m->rec_attr_clr || m->n_uid_map || m->n_gid_map ||
	    m->create_as_host || m->host_template || m->destination[0] != '/' || !m->type ||
	    (!ward_form && m->destination[1] == '/'))
		return refuse(w, m->destination);
	if (streq(m->type, "bind")) {
		if (m->data || (m->flags & ~(unsigned long)(MS_BIND | MS_REC)) ||
		    !(m->flags & MS_BIND) || (m->rec_attr_set & ~attrs) || !m->source ||
		    m->source[0] != '/')
			return refuse(w, m->destination);
		if (ward_form)
			return emit(w, "ward.bind", "%s:%s%s", m->source, m->destination,
				    m->rec_attr_set ? ":ro" : "");
		snprintf(opts, sizeof(opts), "%s%s%s%s%s%s", m->flags & MS_REC ? "rbind" : "bind",
			 m->rec_attr_set & MOUNT_ATTR_RDONLY ? ",ro" : "",
			 m->rec_attr_set & MOUNT_ATTR_NOSUID ? ",nosuid" : "",
			 m->rec_attr_set & MOUNT_ATTR_NODEV ? ",nodev" : "",
			 m->rec_attr_set & MOUNT_ATTR_NOEXEC ? ",noexec" : "",
			 m->optional ? ",optional" : "");
		return emit_entry(w, m->source, m->destination, "none", opts);
	}
	if (!streq(m->type, "tmpfs") || !tmpfs_data(m->data, &mode, &sz) || !m->source ||
	    m->rec_attr_set || (m->flags & (MS_NOSUID | MS_NODEV)) != (MS_NOSUID | MS_NODEV) ||
	    (m->flags & ~(unsigned long)(MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY)))
		return refuse(w, m->destination);
	if (sz > 0)
		snprintf(size, sizeof(size), ",size=%" PRId64, sz);
	if (ward_form)
		return emit(w, "ward.tmpfs", "%s:mode=%lo%s", m->destination, mode, size);
	snprintf(opts, sizeof(opts), "%snosuid,nodev%s%s,mode=%lo%s",
		 m->flags & MS_RDONLY ? "ro," : "", m->flags & MS_NOEXEC ? ",noexec" : "",
		 m->optional ? ",optional" : "", mode, size);
	emit_entry(w, m->source, m->destination, "tmpfs", opts);
}

static void write_caps(struct writer *w, const struct ward_caps *c, uint64_t dflt)
{
	uint64_t s = c->bounding, known = 0, add, drop;
	_cleanup_free_ char *add_names = NULL, *drop_names = NULL;

	if (c->effective != s || c->permitted != s || c->inheritable || c->ambient)
		return refuse(w, "capabilities other than one set for all");
	for (int cap = 0; cap < 64; cap++) {
		int back;
		if (caps_from_name(caps_to_name(cap), &back) == 0 && back == cap)
			known |= 1ULL << cap;
	}
	if ((s & ~known) == ~known) { /* everything, perhaps minus some */
		emit(w, "ward.cap.add", "all");
		add = 0;
		drop = ~s;
	} else if ((s & ~known) == 0) {
		add = s & ~dflt;
		drop = dflt & ~s;
	} else {
		return refuse(w, "capabilities without names");
	}
	if (s == 0 && dflt) {
		emit(w, "ward.cap.drop", "all");
		return;
	}
	drop_names = cfg_caps_list(drop);
	add_names = cfg_caps_list(add);
	if (!drop_names || !add_names) {
		if (w->r >= 0)
			w->r = werr(w->err, ENOMEM, "config");
		return;
	}
	if (*drop_names)
		emit(w, "ward.cap.drop", "%s", drop_names);
	if (*add_names)
		emit(w, "ward.cap.add", "%s", add_names);
}

static bool maps_overlap(const struct ward_idmap *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if ((uint64_t)m[i].inside < (uint64_t)m[j].inside + m[j].count &&
			    (uint64_t)m[j].inside < (uint64_t)m[i].inside + m[i].count)
				return true;
	return false;
}

static void write_userns(struct writer *w, const struct ward_spec *s)
{
	bool same = s->n_uid_maps == s->n_gid_maps &&
		    (!s->n_uid_maps ||
		     !memcmp(s->uid_maps, s->gid_maps, s->n_uid_maps * sizeof(*s->uid_maps)));

	if (s->ns[WNS_USER].path || s->ns[WNS_USER].enabled != (s->userns_mode != WUSERNS_HOST))
		return refuse(w, "user namespace");
	if (s->userns_mode == WUSERNS_HOST)
		emit(w, "ward.userns", "host");
	if (s->userns_mode != WUSERNS_EXPLICIT)
		return;
	/* the kernel refuses them, and lxc.idmap does too */
	if (maps_overlap(s->uid_maps, s->n_uid_maps) || maps_overlap(s->gid_maps, s->n_gid_maps))
		return refuse(w, "overlapping id mappings");
	for (size_t i = 0; same && i < s->n_uid_maps; i++)
		emit(w, "ward.userns", "%u:%u:%u", s->uid_maps[i].inside, s->uid_maps[i].outside,
		     s->uid_maps[i].count);
	for (size_t i = 0; !same && i < s->n_uid_maps; i++)
		emit(w, "lxc.idmap", "u %u %u %u", s->uid_maps[i].inside, s->uid_maps[i].outside,
		     s->uid_maps[i].count);
	for (size_t i = 0; !same && i < s->n_gid_maps; i++)
		emit(w, "lxc.idmap", "g %u %u %u", s->gid_maps[i].inside, s->gid_maps[i].outside,
		     s->gid_maps[i].count);
}

static void write_process(struct writer *w, const struct run_settings *rs,
			  const struct ward_spec *d)
{
	const struct ward_spec *s = rs->spec;
	const struct ward_process *p = &s->process;

	STRV_FOREACH (e, p->env) {
		bool dflt = strv_contains(d->process.env, *e);
		if (!dflt || (rs->home_explicit && startswith(*e, "HOME=")))
			emit(w, "ward.env", "%s", *e);
	}
	if (p->cwd && (!d->process.cwd || !streq(p->cwd, d->process.cwd)))
		emit(w, "ward.cwd", "%s", p->cwd);
	if (p->user)
		emit(w, "ward.user", "%s", p->user);
	if (s->init)
		emit(w, "ward.init", "1");
	if (p->terminal)
		emit(w, "ward.tty", "1");
	if (p->interactive)
		emit(w, "ward.interactive", "1");
	if (p->no_new_privs != d->process.no_new_privs || p->n_groups || p->n_rlimits ||
	    p->has_oom_score_adj || p->console_height || p->console_width)
		refuse(w, "process settings");
	write_userns(w, s);
	write_caps(w, &p->caps, d->process.caps.bounding);
	if (!s->seccomp && !s->seccomp_default)
		emit(w, "ward.seccomp", "unconfined");
	else if (s->seccomp && rs->seccomp_file && !s->seccomp_default)
		emit(w, "ward.seccomp", "%s", rs->seccomp_file);
	else if (s->seccomp)
		refuse(w, "a seccomp profile not read from a file");
	if (p->apparmor_profile)
		emit(w, "ward.security", "apparmor=%s", p->apparmor_profile);
	if (p->selinux_label)
		emit(w, "ward.security", "label=%s", p->selinux_label);
}

/* quota/period as ward.cpus says it, when it can */
static bool cpus_text(int64_t quota, int64_t period, char *buf, size_t len)
{
	int64_t q;
	uint64_t per;
	size_t n;

	if (period != 100000 || quota < 1000)
		return false;
	snprintf(buf, len, "%" PRId64 ".%05" PRId64, quota / 100000, quota % 100000);
	n = strlen(buf);
	while (buf[n - 1] == '0')
		buf[--n] = '\0';
	if (buf[n - 1] == '.')
		buf[--n] = '\0';
	return parse_cpus(buf, &q, &per) == 0 && q == quota && per == 100000;
}

static void write_resources(struct writer *w, const struct ward_resources *r)
{
	char cpus[32];

	if (r->memory_limit != WARD_UNSET)
		emit(w, "ward.memory", "%" PRId64, r->memory_limit);
	if (r->memory_swap != WARD_UNSET)
		emit(w, "ward.memory.swap", "%" PRId64, r->memory_swap);
	if (r->cpu_quota != WARD_UNSET &&
	    cpus_text(r->cpu_quota, r->cpu_period, cpus, sizeof(cpus)))
		emit(w, "ward.cpus", "%s", cpus);
	else if (r->cpu_period != WARD_UNSET && r->cpu_quota == WARD_UNSET)
		emit(w, "lxc.cgroup2.cpu.max", "max %" PRId64, r->cpu_period);
	else if (r->cpu_period != WARD_UNSET && r->cpu_quota >= 0)
		emit(w, "lxc.cgroup2.cpu.max", "%" PRId64 " %" PRId64, r->cpu_quota, r->cpu_period);
	else if (r->cpu_quota != WARD_UNSET)
		refuse(w, "a CPU quota without a period");
	if (r->cpu_weight != WARD_UNSET)
		emit(w, "ward.cpu.weight", "%" PRId64, r->cpu_weight);
	if (r->cpu_shares != WARD_UNSET)
		emit(w, "lxc.cgroup.cpu.shares", "%" PRId64, r->cpu_shares);
	if (r->cpuset_cpus)
		emit(w, "ward.cpuset.cpus", "%s", r->cpuset_cpus);
	if (r->cpuset_mems)
		emit(w, "lxc.cgroup2.cpuset.mems", "%s", r->cpuset_mems);
	if (r->pids_limit == -1)
		emit(w, "ward.pids.limit", "max");
	else if (r->pids_limit != WARD_UNSET)
		emit(w, "ward.pids.limit", "%" PRId64, r->pids_limit);
	if (r->io_weight != WARD_UNSET)
		emit(w, "ward.io.weight", "%" PRId64, r->io_weight);
	if (r->blkio_weight != WARD_UNSET)
		emit(w, "lxc.cgroup.blkio.weight", "%" PRId64, r->blkio_weight);
	if (r->memory_reservation != WARD_UNSET || r->memory_swappiness != WARD_UNSET ||
	    r->disable_oom_killer || r->n_hugepages || r->n_devices || r->n_unified)
		refuse(w, "resource limits");
}

static const char *macvlan_mode_name(uint32_t mode)
{
	switch (mode) {
	case MACVLAN_MODE_PRIVATE:
		return "private";
	case MACVLAN_MODE_VEPA:
		return "vepa";
	case MACVLAN_MODE_BRIDGE:
		return "bridge";
	case MACVLAN_MODE_PASSTHRU:
		return "passthru";
	}
	return NULL;
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "sctp";
}

/* An interface that `ward.net`, `ward.ip`, `ward.ip6` and `ward.mac` say
 * completely (else ward.net.N.* keys do). */
static bool netif_simple(const struct ward_net_spec *n, size_t k)
{
	const struct ward_netif *i = &n->ifs[k];

	if (i->ifname || i->host_ifname || i->has_gw4 || i->has_gw6 || !i->up)
		return false;
	return i->type != WNET_NETWORK || i->network || (k == 0 && !n->explicit_net);
}

/* ward.net's value and ward.net.N.type's for an interface */
static char *netif_describe(const struct ward_netif *i, const char **type)
{
	static const char *const types[] = {
	    [WNET_NETWORK] = "network", [WNET_BRIDGE] = "bridge", [WNET_MACVLAN] = "macvlan",
	    [WNET_VLAN] = "vlan",       [WNET_PHYS] = "phys",     [WNET_NONE] = "none",
	    [WNET_HOST] = "host",
	};
	const char *mode = macvlan_mode_name(i->macvlan_mode);

	*type = types[i->type];
	switch (i->type) {
	case WNET_NETWORK:
		return i->network ? strdup(i->network) : NULL;
	case WNET_BRIDGE:
	case WNET_PHYS:
		return xasprintf("%s:%s", *type, i->link);
	case WNET_MACVLAN:
		return xasprintf("macvlan:%s:%s", i->link, mode);
	case WNET_VLAN:
		return xasprintf("vlan:%s:%u", i->link, i->vlan_id);
	case WNET_NONE:
	case WNET_HOST:
		return strdup(*type);
	}
	return NULL;
}

/* "/LEN", or nothing for the network's own prefix */
static void prefix_text(char *buf, size_t len, unsigned int prefix)
{
	if (prefix)
		snprintf(buf, len, "/%u", prefix);
	else
		buf[0] = '\0';
}

static void write_netif(struct writer *w, const struct ward_net_spec *n, size_t k, bool simple)
{
	const struct ward_netif *i = &n->ifs[k];
	_cleanup_free_ char *value = NULL;
	char key[64], a[INET6_ADDRSTRLEN], pfx[8];
	const char *type;
	bool bare = i->type == WNET_NONE || i->type == WNET_HOST;

	if ((i->type == WNET_MACVLAN && !macvlan_mode_name(i->macvlan_mode)) ||
	    (i->type == WNET_NETWORK && (i->has_gw4 || i->has_gw6)) ||
	    (bare && (i->has_mac || i->has_ip4 || i->has_ip6 || i->ifname || i->host_ifname)) ||
	    (i->link && (i->type == WNET_NETWORK || bare)) ||
	    (!i->link && i->type != WNET_NETWORK && !bare))
		return refuse(w, "network interface");
	value = netif_describe(i, &type);
	if (!value && !(i->type == WNET_NETWORK && !i->network)) {
		if (w->r >= 0)
			w->r = werr(w->err, ENOMEM, "network");
		return;
	}
#define NKEY(sub) (snprintf(key, sizeof(key), "ward.net.%zu.%s", k, sub), key)
	if (simple && value)
		emit(w, "ward.net", "%s", value);
	if (!simple) {
		emit(w, NKEY("type"), "%s", type);
		if (i->type == WNET_NETWORK && i->network)
			emit(w, NKEY("link"), "%s", i->network);
		else if (i->link)
			emit(w, NKEY("link"), "%s", i->link);
		if (i->type == WNET_MACVLAN)
			emit(w, NKEY("macvlan.mode"), "%s", macvlan_mode_name(i->macvlan_mode));
		if (i->type == WNET_VLAN)
			emit(w, NKEY("vlan.id"), "%u", i->vlan_id);
	}
	if (i->has_ip4) {
		prefix_text(pfx, sizeof(pfx), i->prefix4);
		emit(w, simple ? "ward.ip" : NKEY("ipv4.address"), "%s%s",
		     net_addr_str(AF_INET, &i->ip4, a, sizeof(a)), pfx);
	}
	if (i->has_ip6) {
		prefix_text(pfx, sizeof(pfx), i->prefix6);
		emit(w, simple ? "ward.ip6" : NKEY("ipv6.address"), "%s%s",
		     net_addr_str(AF_INET6, &i->ip6, a, sizeof(a)), pfx);
	}
	if (i->has_mac)
		emit(w, simple ? "ward.mac" : NKEY("hwaddr"), "%02x:%02x:%02x:%02x:%02x:%02x",
		     i->mac[0], i->mac[1], i->mac[2], i->mac[3], i->mac[4], i->mac[5]);
	if (simple)
		return;
	if (i->has_gw4)
		emit(w, NKEY("ipv4.gateway"), "%s", net_addr_str(AF_INET, &i->gw4, a, sizeof(a)));
	if (i->has_gw6)
		emit(w, NKEY("ipv6.gateway"), "%s", net_addr_str(AF_INET6, &i->gw6, a, sizeof(a)));
	if (i->ifname)
		emit(w, NKEY("name"), "%s", i->ifname);
	if (i->host_ifname)
		emit(w, NKEY("veth.pair"), "%s", i->host_ifname);
	if (i->up)
		emit(w, NKEY("flags"), "up");
#undef NKEY
}

static void write_allow(struct writer *w, const struct fw_allow *al)
{
	char a[INET6_ADDRSTRLEN];
	bool v6 = al->family == AF_INET6;

	if (al->kind == FW_ALLOW_DST || al->kind == FW_ALLOW_DSTSVC) {
		net_addr_str(al->family, &al->addr, a, sizeof(a));
		if (v6 && strchr(a, '.'))
			return refuse(w, "an allow-list entry");
	}
	switch (al->kind) {
	case FW_ALLOW_ANY:
		return emit(w, "ward.allow.out", "any");
	case FW_ALLOW_SVC:
		return emit(w, "ward.allow.out", "%s/%u", proto_name(al->proto), al->port);
	case FW_ALLOW_DST:
		return emit(w, "ward.allow.out", "%s/%u", a, al->prefix);
	case FW_ALLOW_DSTSVC:
		return emit(w, "ward.allow.out", "%s%s/%u%s:%s/%u", v6 ? "[" : "", a, al->prefix,
			    v6 ? "]" : "", proto_name(al->proto), al->port);
	case FW_ALLOW_HOST:
		return emit(w, "ward.allow.out", "host:%s/%u", proto_name(al->proto), al->port);
	}
}

static void write_net(struct writer *w, const struct ward_spec *s)
{
	const struct ward_net_spec *n = s->net;
	bool simple = true, host = n && n->n_ifs && n->ifs[0].type == WNET_HOST;
	char a[INET6_ADDRSTRLEN];

	if (s->ns[WNS_NET].path || s->ns[WNS_NET].enabled == host)
		return refuse(w, "network namespace");
	if (!n)
		return;
	for (size_t k = 0; k < n->n_ifs; k++)
		simple = simple && netif_simple(n, k);
	for (size_t k = 0; k < n->n_ifs; k++)
		write_netif(w, n, k, simple);
	STRV_FOREACH (d, n->dns)
		emit(w, "ward.dns", "%s", *d);
	for (size_t k = 0; k < n->n_publish; k++) {
		const struct fw_publish *p = &n->publish[k];
		if (p->any_host)
			emit(w, "ward.publish", "%u:%u/%s", p->host_port, p->container_port,
			     proto_name(p->proto));
		else
			emit(w, "ward.publish", "%s%s%s:%u:%u/%s", p->family == AF_INET6 ? "[" : "",
			     net_addr_str(p->family, &p->host, a, sizeof(a)),
			     p->family == AF_INET6 ? "]" : "", p->host_port, p->container_port,
			     proto_name(p->proto));
	}
	for (size_t k = 0; k < n->n_allow; k++)
		write_allow(w, &n->allow[k]);
	if (n->allow_dns)
		emit(w, "ward.allow.out", "dns");
	if (n->net_log)
		emit(w, "ward.net.log", "1");
}

static char *join_words(char *const *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	STRV_FOREACH (p, v)
		fprintf(f, "%s%s", p == v ? "" : " ", *p);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* What the options and config keys leave untouched, checked so that
 * nothing is lost without a word. */
static void write_check_rest(struct writer *w, const struct ward_spec *s, const struct ward_spec *d)
{
	for (int k = 0; k < WNS__MAX; k++)
		if (k != WNS_USER && k != WNS_NET &&
		    (s->ns[k].path || s->ns[k].enabled != d->ns[k].enabled))
			return refuse(w, "namespaces");
	if (s->domainname || s->rootfs_propagation || s->no_pivot || s->n_links || s->n_devices ||
	    s->masked_paths || s->readonly_paths || s->n_sysctl || s->cgroup_path || s->mount_label)
		return refuse(w, "filesystem and kernel settings");
	for (int k = 0; k < WHOOK__MAX; k++)
		if (s->hooks.n[k])
			return refuse(w, "hooks");
}

int config_write(const struct run_settings *rs, char **out, ward_err *err)
{
	_cleanup_(spec_freep) struct ward_spec *d = spec_new();
	const struct ward_spec *s = rs->spec;
	const struct run_lifecycle *l = &rs->life;
	struct writer w = {.err = err};
	bool ward_form = true;
	char *buf = NULL;
	size_t len = 0;

	*out = NULL;
	if (!d)
		return werr(err, ENOMEM, "config");
	w.r = spec_init_run_defaults(d, err);
	if (w.r < 0)
		return w.r;
	w.f = open_memstream(&buf, &len);
	if (!w.f)
		return werr(err, ENOMEM, "config");
	fprintf(w.f, "# ward container config, see ward-config(5)\n");
	write_check_rest(&w, s, d);
	if (s->name)
		emit(&w, "ward.name", "%s", s->name);
	if (rs->hostname_set && s->hostname)
		emit(&w, "ward.hostname", "%s", s->hostname);
	if (s->rootfs)
		emit(&w, "ward.rootfs", "%s", s->rootfs);
	if (s->rootfs_readonly)
		emit(&w, "ward.rootfs.readonly", "1");
	if (s->rootfs_ephemeral)
		emit(&w, "ward.rootfs.ephemeral", "1");
	if (s->rootfs_idmap)
		emit(&w, "ward.rootfs.idmap", "1");
	for (size_t k = 0; k < s->n_mounts; k++)
		ward_form = ward_form && mount_ward_form(&s->mounts[k]);
	for (size_t k = 0; k < s->n_mounts; k++)
		write_mount(&w, &s->mounts[k], ward_form);
	write_process(&w, rs, d);
	write_resources(&w, &s->res);
	write_net(&w, s);
	if (l->autostart)
		emit(&w, "ward.start.auto", "1");
	if (l->start_order)
		emit(&w, "ward.start.order", "%d", l->start_order);
	if (l->start_delay_s)
		emit(&w, "ward.start.delay", "%d", l->start_delay_s);
	if (l->groups) {
		_cleanup_free_ char *g = join_words(l->groups);
		if (g)
			emit(&w, "ward.group", "%s", g);
		else if (w.r >= 0)
			w.r = werr(err, ENOMEM, "config");
	}
	if (s->stop_signal != d->stop_signal) {
		const char *name = signal_name(s->stop_signal);
		if (startswith(name, "SIG"))
			emit(&w, "ward.stop.signal", "%s", name);
		else
			emit(&w, "ward.stop.signal", "%d", s->stop_signal);
	}
	if (s->process.args && s->process.args[0]) {
		_cleanup_free_ char *cmd = run_cmd_format(s->process.args);
		if (cmd)
			emit(&w, "ward.cmd", "%s", cmd);
		else if (w.r >= 0)
			w.r = werr(err, ENOMEM, "config");
	}
	if (fclose(w.f) != 0 && w.r >= 0)
		w.r = werr(err, ENOMEM, "config");
	if (w.r < 0) {
		free(buf);
		return w.r;
	}
	*out = buf;
	return 0;
}
