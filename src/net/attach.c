/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "net/attach.h"
#include "net/ipam.h"
#include "net/network.h"
#include "net/nl.h"
#include "runtime/state.h"
#include "spec/spec.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/syscalls.h"

void net_plan_free(struct net_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->att[i].network);
	free(p->att);
	strv_free(p->dns);
	free(p->allow);
	free(p->publish);
	if (p->netns_fd >= 0)
		close(p->netns_fd);
	free(p);
}

void net_undo_default(const struct ward_ctx *ctx, const struct net_plan *p)
{
	if (p && p->made_default)
		network_default_undo(ctx);
}

static bool bridged(const struct net_attachment *a)
{
	return a->type == WNET_NETWORK || a->type == WNET_BRIDGE;
}

/* --- resolv.conf and hosts --- */

/* The host's resolvers, minus loopback ones (a 127.0.0.53 stub would be
 * the container's own loopback); systemd-resolved's upstream list when the
 * host only has its stub. */
static int host_resolvers(char ***out)
{
	static const char *const files[] = {"/etc/resolv.conf", "/run/systemd/resolve/resolv.conf"};

	for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
		_cleanup_free_ char *text = NULL;
		char *save = NULL;

		if (read_file(files[f], &text, NULL) < 0)
			continue;
		for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char addr[64];
			unsigned char a[16];
			int family;
			unsigned int prefix;

			if (sscanf(l, " nameserver %63s", addr) != 1 ||
			    net_parse_addr(addr, &family, a, &prefix, false) < 0)
				continue;
			if ((family == AF_INET && a[0] == 127) ||
			    (family == AF_INET6 && IN6_IS_ADDR_LOOPBACK((struct in6_addr *)a)))
				continue;
			if (!strv_contains(*out, addr) && strv_push(out, addr) < 0)
				return -ENOMEM;
		}
		if (*out && **out)
			return 0;
	}
	return 0;
}

static int write_etc_files(struct ward_container *c, struct net_plan *p, ward_err *err)
{
	_cleanup_free_ char *rc = xasprintf("%s/resolv.conf", c->state_dir);
	_cleanup_free_ char *hp = xasprintf("%s/hosts", c->state_dir);
	const char *host = c->spec->hostname ? c->spec->hostname : c->name;
	char buf[4096];
	size_t len = 0;
	int r;

	if (!rc || !hp)
		return werr(err, ENOMEM, "network");
	len +=
	    (size_t)snprintf(buf + len, sizeof(buf) - len, "# written by ward for %s\n", c->name);
	if (!p->dns || !p->dns[0])
		len += (size_t)snprintf(
		    buf + len, sizeof(buf) - len,
		    "# no resolver: the host has none but a local stub; use --dns\n");
	STRV_FOREACH (d, p->dns)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "nameserver %s\n", *d);
	r = write_file_atomic(rc, buf, strlen(buf), 0644);
	if (r < 0)
		return werr(err, -r, "write %s", rc);
	len = (size_t)snprintf(buf, sizeof(buf),
			       "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n");
	for (size_t i = 0; i < p->n; i++) {
		char a[INET6_ADDRSTRLEN];
		if (p->att[i].has4)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\t%s\n",
						net_addr_str(AF_INET, &p->att[i].ip4, a, sizeof(a)),
						host);
		if (p->att[i].has6)
			len += (size_t)snprintf(
			    buf + len, sizeof(buf) - len, "%s\t%s\n",
			    net_addr_str(AF_INET6, &p->att[i].ip6, a, sizeof(a)), host);
	}
	r = write_file_atomic(hp, buf, strlen(buf), 0644);
	if (r < 0)
		return werr(err, -r, "write %s", hp);
	{
		/* bound read-only; the container's unprivileged root could not
		 * make a missing mount point in a root-owned rootfs, so ward
		 * makes it; a --bind of the user's own to either path wins */
		struct ward_mount m = {.type = (char *)"bind",
				       .flags = MS_BIND,
				       .rec_attr_set = MOUNT_ATTR_RDONLY,
				       .create_as_host = true};
		const char *const dst[] = {"/etc/resolv.conf", "/etc/hosts"};
		const char *const src[] = {rc, hp};
		for (size_t i = 0; i < 2; i++) {
			bool given = false;
			for (size_t j = 0; j < c->spec->n_mounts; j++)
				given = given || streq(c->spec->mounts[j].destination, dst[i]);
			if (given)
				continue;
			m.source = (char *)src[i];
			m.destination = (char *)dst[i];
			if (spec_add_mount(c->spec, &m, false) < 0)
				return werr(err, ENOMEM, "network");
		}
	}
	return 0;
}

/* --- planning --- */

static int plan_network_if(struct ward_container *c, struct net_plan *p, struct net_attachment *a,
			   const struct ward_netif *i, ward_err *err)
{
	_cleanup_(network_freep) struct ward_network *n = NULL;
	_cleanup_close_ int hold = -1;
	struct ipam_request req = {0};
	int r;

	if (i->network) {
		r = network_load(c->ctx, i->network, &n, err);
	} else {
		/* until the lease below exists: a failed first start of
		 * another container must not remove ward0 under us */
		hold = network_default_hold(c->ctx);
		if (hold < 0)
			return werr(err, -hold, "default network %s: lock", WARD_DEFAULT_NETWORK);
		r = network_default(c->ctx, &n, &p->made_default, err);
	}
	if (r < 0)
		return r;
	r = network_up(c->ctx, n, false, err);
	if (r < 0)
		return r;
	a->network = strdup(n->name);
	if (!a->network)
		return werr(err, ENOMEM, "network");
	snprintf(a->link, sizeof(a->link), "%s", n->bridge);
	a->isolate = n->isolate;
	req.want4 = n->has4;
	req.want6 = n->has6;
	req.static4 = i->has_ip4;
	req.ip4 = i->ip4;
	req.static6 = i->has_ip6;
	req.ip6 = i->ip6;
	r = ipam_acquire(c->ctx, n, c->name, &req, err);
	if (r < 0)
		return r;
	a->leased = true;
	a->has4 = n->has4;
	a->ip4 = req.ip4;
	a->prefix4 = n->prefix4;
	a->gw4 = n->gw4;
	a->has_gw4 = n->has4;
	a->has6 = n->has6;
	a->ip6 = req.ip6;
	a->prefix6 = n->prefix6;
	a->gw6 = n->gw6;
	a->has_gw6 = n->has6;
	return 0;
}

static int plan_if(struct ward_container *c, struct net_plan *p, size_t k,
		   const struct ward_netif *i, struct nl_sock *nl, ward_err *err)
{
	struct net_attachment *a = &p->att[k];
	int r;

	a->type = i->type;
	snprintf(a->ifname, sizeof(a->ifname), "%s", i->ifname ? i->ifname : "");
	if (!a->ifname[0])
		snprintf(a->ifname, sizeof(a->ifname), "eth%zu", k);
	if (i->has_mac)
		memcpy(a->mac, i->mac, 6);
	else
		net_derive_mac(c->name, (unsigned)k, a->mac);
	if (i->host_ifname) {
		snprintf(a->host_ifname, sizeof(a->host_ifname), "%s", i->host_ifname);
	} else if (k == 0) {
		net_host_ifname(c->name, a->host_ifname);
	} else {
		char tmp[80];
		snprintf(tmp, sizeof(tmp), "%s.%zu", c->name, k);
		net_host_ifname(tmp, a->host_ifname);
	}
	a->macvlan_mode = i->macvlan_mode;
	a->vlan_id = i->vlan_id;
	if (i->type == WNET_NETWORK)
		return plan_network_if(c, p, a, i, err);
	/* everything else uses a host interface that must exist */
	snprintf(a->link, sizeof(a->link), "%s", i->link ? i->link : "");
	if (nl_link_index(nl, a->link) < 0)
		return werrx(err, ENODEV, "--net %s:%s: interface %s does not exist",
			     net_type_name(i->type), a->link, a->link);
	if (i->type == WNET_BRIDGE) {
		struct nl_link_info li;
		r = nl_link_get(nl, a->link, &li, err);
		if (r < 0)
			return r;
		if (!streq(li.kind, "bridge"))
			return werrx(err, EINVAL, "%s is not a bridge", a->link);
	}
	a->has4 = i->has_ip4;
	a->ip4 = i->ip4;
	a->prefix4 = i->prefix4 ? i->prefix4 : 24;
	a->has6 = i->has_ip6;
	a->ip6 = i->ip6;
	a->prefix6 = i->prefix6 ? i->prefix6 : 64;
	a->has_gw4 = i->has_gw4;
	a->gw4 = i->gw4;
	a->has_gw6 = i->has_gw6;
	a->gw6 = i->gw6;
	return 0;
}

/* dns in the allow-list: the resolvers given, on port 53; a resolver that is
 * the host itself (the gateway) is a host service */
static int plan_allow(struct net_plan *p, const struct ward_net_spec *ns, ward_err *err)
{
	size_t extra = ns->allow_dns ? 2 * strv_length(p->dns) : 0;

	p->allow = calloc(ns->n_allow + extra + 1, sizeof(*p->allow));
	if (!p->allow)
		return werr(err, ENOMEM, "allow-out");
	memcpy(p->allow, ns->allow, ns->n_allow * sizeof(*p->allow));
	p->n_allow = ns->n_allow;
	if (!ns->allow_dns)
		return 0;
	STRV_FOREACH (d, p->dns) {
		struct fw_allow a = {.port = 53};
		bool host = false;

		if (net_parse_addr(*d, &a.family, &a.addr, &a.prefix, false) < 0)
			continue;
		for (size_t k = 0; k < p->n; k++)
			if ((a.family == AF_INET && p->att[k].has_gw4 &&
			     a.addr.v4.s_addr == p->att[k].gw4.s_addr) ||
			    (a.family == AF_INET6 && p->att[k].has_gw6 &&
			     !memcmp(&a.addr.v6, &p->att[k].gw6, 16)))
				host = true;
		a.kind = host ? FW_ALLOW_HOST : FW_ALLOW_DSTSVC;
		if (host)
			a.family = 0;
		a.proto = IPPROTO_UDP;
		p->allow[p->n_allow++] = a;
		a.proto = IPPROTO_TCP;
		p->allow[p->n_allow++] = a;
	}
	return 0;
}

static void fill_fw(const struct ward_container *c, struct net_plan *p, size_t k)
{
	struct net_attachment *a = &p->att[k];
	struct fw_container *f = &a->fw;
	bool first = true;

	/* the policy (allow-list, publish, log) goes with the first bridged
	 * interface; further ones get anti-spoofing and the allow-list */
	for (size_t j = 0; j < k; j++)
		if (bridged(&p->att[j]))
			first = false;
	memset(f, 0, sizeof(*f));
	f->name = c->name;
	f->bridge = a->link;
	f->host_ifname = a->host_ifname;
	memcpy(f->mac, a->mac, 6);
	f->has4 = a->has4;
	f->ip4 = a->ip4;
	f->has6 = a->has6;
	f->ip6 = a->ip6;
	net_link_local(a->mac, &f->ll6);
	f->allow = p->allow;
	f->n_allow = p->n_allow;
	f->antispoof = true;
	if (first) {
		f->publish = p->publish;
		f->n_publish = p->n_publish;
		f->net_log = p->net_log;
	}
}

int net_plan(struct ward_container *c, ward_err *err)
{
	struct ward_spec *s = c->spec;
	struct ward_net_spec *ns = s->net;
	struct net_plan *p;
	struct nl_sock *nl = NULL;
	struct ward_netif dflt = {.type = WNET_NETWORK, .up = true};
	const struct ward_netif *ifs;
	size_t n_ifs;
	int r = 0;

	if (!s->ns[WNS_NET].enabled || s->ns[WNS_NET].path)
		return 0; /* --net host, or a namespace joined as it is */
	if (ns && ns->n_ifs) {
		ifs = ns->ifs;
		n_ifs = ns->n_ifs;
	} else {
		/* the library joins no network unless told: the CLI names
		 * the default (ward0) */
		const char *d = c->ctx->default_network ? c->ctx->default_network : "none";
		if (streq(d, "none"))
			return 0;
		if (!streq(d, WARD_DEFAULT_NETWORK))
			dflt.network = (char *)d;
		ifs = &dflt;
		n_ifs = 1;
	}
	if (n_ifs == 1 && ifs[0].type == WNET_NONE) {
		if (ns && (ns->n_publish || ns->n_allow || ns->allow_dns))
			return werrx(err, EINVAL,
				     "--publish and --allow-out need a network (not --net none)");
		return 0;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return werr(err, ENOMEM, "network");
	p->netns_fd = -1;
	p->att = calloc(n_ifs, sizeof(*p->att));
	if (!p->att) {
		free(p);
		return werr(err, ENOMEM, "network");
	}
	c->net = p;
	r = nl_open(&nl, err);
	for (size_t k = 0; r >= 0 && k < n_ifs; k++) {
		p->n = k + 1;
		r = plan_if(c, p, k, &ifs[k], nl, err);
	}
	nl_close(nl);
	if (r < 0)
		return r;
	wtime("net: interfaces and leases planned");
	if (ns && ns->n_publish && !bridged(&p->att[0]))
		return werrx(err, EINVAL,
			     "--publish needs the first interface on a ward network or bridge");
	if (ns && ns->dns && ns->dns[0])
		p->dns = strv_copy(ns->dns);
	else
		r = host_resolvers(&p->dns);
	if (r < 0)
		return werr(err, ENOMEM, "network");
	r = plan_allow(p, ns ? ns : &(struct ward_net_spec){0}, err);
	if (r < 0)
		return r;
	if (ns && ns->n_publish) {
		p->publish = calloc(ns->n_publish, sizeof(*p->publish));
		if (!p->publish)
			return werr(err, ENOMEM, "network");
		memcpy(p->publish, ns->publish, ns->n_publish * sizeof(*p->publish));
		p->n_publish = ns->n_publish;
	}
	p->net_log = ns && ns->net_log;
	for (size_t k = 0; k < p->n; k++)
		if (bridged(&p->att[k]))
			fill_fw(c, p, k);
	if (ns && ns->n_publish) {
		r = ipam_publish(c->ctx, c->name, ns->publish, ns->n_publish, err);
		if (r < 0)
			return r;
		p->published = true;
		wtime("net: ports published");
	}
	return write_etc_files(c, p, err);
}

/* --- setup, in the parent, after the clone --- */

/* Run fn inside the container's network namespace (for /proc/sys/net). */
static int in_netns(int target, int (*fn)(void *, ward_err *), void *data, ward_err *err)
{
	_cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int r;

	if (self < 0)
		return werr(err, errno, "open own network namespace");
	if (setns(target, CLONE_NEWNET) < 0)
		return werr(err, errno, "enter the container's network namespace");
	r = fn(data, err);
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* cannot go on in the wrong namespace */
	return r;
}

struct sysctl_job {
	const struct net_plan *p;
};

/* An interface that keeps IPv6: a ward bridge port with an IPv6 address,
 * or any interface on a LAN (macvlan, vlan, phys). */
static bool keeps_ipv6(const struct net_attachment *a)
{
	return !bridged(a) || a->has6;
}

/* What netlink cannot set: the IPv6 per-device settings, through
 * /proc/sys in the container's namespace.  Only for interfaces that keep
 * IPv6: each lookup of /proc/sys/net/ipv6/conf/eth0 walks one dentry per
 * network namespace with an eth0 (2.8 ms a start at 1000 containers). */
static int container_sysctls(void *data, ward_err *err)
{
	const struct net_plan *p = ((struct sysctl_job *)data)->p;

	for (size_t k = 0; k < p->n; k++) {
		const struct net_attachment *a = &p->att[k];
		char rel[80];
		int r;

		if (!keeps_ipv6(a))
			continue;
		/* routes are static: no router advertisements, no redirects */
		snprintf(rel, sizeof(rel), "ipv6/conf/%s/accept_ra", a->ifname);
		if ((r = sysctl_net_write(rel, "0", err)) < 0 && r != -ENOENT)
			return r;
		snprintf(rel, sizeof(rel), "ipv6/conf/%s/accept_redirects", a->ifname);
		if ((r = sysctl_net_write(rel, "0", err)) < 0 && r != -ENOENT)
			return r;
		/* on a LAN, announce the address at link up (arp_notify, set
		 * through netlink, is the IPv4 half) */
		if (!bridged(a)) {
			snprintf(rel, sizeof(rel), "ipv6/conf/%s/ndisc_notify", a->ifname);
			if ((r = sysctl_net_write(rel, "1", err)) < 0 && r != -ENOENT)
				return r;
		}
		/* on ward's bridges every MAC (and so link-local address) is
		 * unique by construction and enforced by anti-spoofing: skip
		 * the 1-2 s of duplicate address detection */
		if (bridged(a)) {
			snprintf(rel, sizeof(rel), "ipv6/conf/%s/accept_dad", a->ifname);
			if ((r = sysctl_net_write(rel, "0", err)) < 0 && r != -ENOENT)
				return r;
		}
	}
	return 0;
}

static int make_link(struct nl_sock *nl, struct net_attachment *a, int netns_fd, ward_err *err)
{
	int r;

	switch (a->type) {
	case WNET_NETWORK:
	case WNET_BRIDGE: {
		struct nl_link_change ch = NL_LINK_CHANGE_NONE;
		char rel[64];
		int br;

		r = nl_veth_add(nl, a->host_ifname, a->ifname, netns_fd, a->mac, err);
		if (r == -EEXIST) {
			/* a veth left from a previous run of this container
			 * lingers while the kernel tears its namespace down:
			 * remove it (acknowledged) and try again */
			r = nl_link_del(nl, a->host_ifname, err);
			if (r >= 0)
				r = nl_veth_add(nl, a->host_ifname, a->ifname, netns_fd, a->mac,
						err);
		}
		if (r < 0)
			return r;
		a->link_made = true;
		/* A bridge port needs no IPv6 of its own, set before the link
		 * goes up: no link-local address (DAD, listener reports), and
		 * no per-interface multicast route, which the kernel keeps in
		 * one list per prefix for all interfaces: adding and removing
		 * it walks the routes of every other port (about 1 ms per
		 * start at 1000 containers).  Without IPv6 in the kernel there
		 * is nothing to turn off. */
		snprintf(rel, sizeof(rel), "ipv6/conf/%s/disable_ipv6", a->host_ifname);
		r = sysctl_net_write(rel, "1", err);
		if (r < 0 && r != -ENOENT)
			return r;
		br = nl_link_index(nl, a->link);
		if (br < 0)
			return werr(err, -br, "bridge %s", a->link);
		ch.master = br;
		ch.up = 1;
		r = nl_link_set(nl, a->host_ifname, &ch, err);
		if (r < 0)
			return r;
		if (a->isolate) {
			/* Isolation.  Without br_netfilter, isolated ports
			 * exchange no frames and the host answers ARP for them,
			 * so all traffic between them is routed through the
			 * firewall.  With br_netfilter, bridged frames pass the
			 * inet hooks anyway (made sure of for this bridge), and
			 * port isolation would only break hairpin DNAT, which
			 * br_netfilter bridges straight from port to port. */
			if (network_br_netfilter())
				r = nl_bridge_nf_call(nl, a->link, true, err);
			else
				r = nl_bridge_port_isolated(nl, a->host_ifname, true, err);
			if (r < 0)
				return r;
			if (a->has6) {
				r = nl_neigh_proxy(nl, a->link, &a->ip6, true, err);
				if (r < 0)
					return r;
			}
		}
		return 0;
	}
	case WNET_MACVLAN:
		r = nl_macvlan_add(nl, a->ifname, a->link, a->macvlan_mode, netns_fd, a->mac, err);
		a->link_made = r >= 0;
		return r;
	case WNET_VLAN:
		r = nl_vlan_add(nl, a->ifname, a->link, a->vlan_id, netns_fd, a->mac, err);
		a->link_made = r >= 0;
		if (r == -EOPNOTSUPP)
			return werrx(err, EOPNOTSUPP,
				     "--net vlan:%s:%u: this kernel has no 802.1Q VLAN support "
				     "(module 8021q)",
				     a->link, a->vlan_id);
		return r;
	case WNET_PHYS: {
		struct nl_link_change ch = NL_LINK_CHANGE_NONE;
		ch.up = 0;
		r = nl_link_set(nl, a->link, &ch, err);
		if (r < 0)
			return r;
		ch = (struct nl_link_change)NL_LINK_CHANGE_NONE;
		ch.netns_fd = netns_fd;
		ch.name = a->ifname;
		r = nl_link_set(nl, a->link, &ch, err);
		a->link_made = r >= 0;
		return r;
	}
	case WNET_NONE:
	case WNET_HOST:
		return 0;
	}
	return 0;
}

static int configure_inside(struct nl_sock *cnl, struct net_attachment *a, bool routes,
			    ward_err *err)
{
	struct nl_link_change ch = NL_LINK_CHANGE_NONE;
	int r;

	if (a->type == WNET_NONE || a->type == WNET_HOST)
		return 0;
	/* Before the link goes up.  Routes are static: no ICMP redirects.
	 * On a LAN, announce the address at link up (a neighbour's stale
	 * entry from a previous holder is replaced at once); on ward's
	 * bridges the host forgets the entry at the stop instead, and a
	 * broadcast to every port of a big network is not free.  Without an
	 * IPv6 address, no link-local address: no multicast listener reports
	 * or DAD flooded to the network. */
	ch.accept_redirects4 = 0;
	ch.arp_notify = bridged(a) ? -1 : 1;
	ch.no_ipv6_ll = !keeps_ipv6(a);
	r = nl_link_set(cnl, a->ifname, &ch, err);
	if (r < 0)
		return r;
	ch = (struct nl_link_change)NL_LINK_CHANGE_NONE;
	if (a->has4) {
		r = nl_addr_add(cnl, a->ifname, AF_INET, &a->ip4, a->prefix4, false, err);
		if (r < 0)
			return r;
	}
	if (a->has6) {
		r = nl_addr_add(cnl, a->ifname, AF_INET6, &a->ip6, a->prefix6, true, err);
		if (r < 0)
			return r;
	}
	ch.up = 1;
	r = nl_link_set(cnl, a->ifname, &ch, err);
	if (r < 0)
		return r;
	if (routes && a->has4 && a->has_gw4) {
		r = nl_route_default(cnl, AF_INET, &a->gw4, a->ifname, err);
		if (r < 0)
			return r;
	}
	if (routes && a->has6 && a->has_gw6) {
		r = nl_route_default(cnl, AF_INET6, &a->gw6, a->ifname, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int net_reclaim(const struct ward_ctx *ctx, const char *name, ward_err *err)
{
	json_t *o = state_load(ctx, name);
	bool had = state_doc_has_network(o);

	json_decref(o);
	return net_reclaim_as(ctx, name, had, err);
}

int net_reclaim_as(const struct ward_ctx *ctx, const char *name, bool had_network, ward_err *err)
{
	struct fw_ctx *fw = NULL;
	struct nl_sock *nl = NULL;
	_cleanup_strv_ char **nets = NULL;
	ward_err e;
	int r = 0;

	/* The firewall and the host veths live in the caller's network
	 * namespace: touch them only for a container whose state says it had
	 * a network there.  (Without a state, `ward gc` still purges the
	 * firewall objects of every container that is not alive.) */
	if (!had_network)
		goto leases;
	r = fw_open(&fw, err);
	if (r >= 0) {
		r = fw_container_purge(fw, name, err);
		fw_close(fw);
	}
	if (nl_open(&nl, &e) == 0) {
		/* the first interface's host veth and up to 8 further ones */
		for (unsigned k = 0; k < 9; k++) {
			char host[16], tmp[96];
			if (k == 0)
				net_host_ifname(name, host);
			else {
				snprintf(tmp, sizeof(tmp), "%s.%u", name, k);
				net_host_ifname(tmp, host);
			}
			if (nl_link_index(nl, host) >= 0)
				nl_link_del(nl, host, &e);
		}
		nl_close(nl);
	}
leases:
	/* leases and published ports are files of the state root */
	if (network_list(ctx, &nets, &e) == 0)
		STRV_FOREACH (n, nets)
			ipam_release(ctx, *n, name, &e);
	ipam_unpublish(ctx, name, &e);
	return r < 0 ? r : 0;
}

int net_gc_firewall(const struct ward_ctx *ctx, char ***removed, ward_err *err)
{
	struct fw_ctx *fw = NULL;
	_cleanup_strv_ char **names = NULL;
	int r;

	if (removed)
		*removed = NULL;
	r = fw_open(&fw, err);
	if (r < 0)
		return r;
	r = fw_list_containers(fw, &names, err);
	STRV_FOREACH (n, names) {
		if (r < 0)
			break;
		if (state_is_alive(ctx, *n))
			continue;
		r = fw_container_purge(fw, *n, err);
		if (r >= 0 && removed)
			strv_push(removed, *n);
	}
	fw_close(fw);
	return r < 0 ? r : 0;
}

int net_setup(struct ward_container *c, ward_err *err)
{
	struct net_plan *p = c->net;
	struct nl_sock *nl = NULL, *cnl = NULL;
	struct fw_ctx *fw = NULL;
	char path[64];
	bool routes_done = false;
	int r;

	if (!p)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)c->pid);
	/* held until teardown: a phys interface must go back to us, not to
	 * the machine's first namespace, when the container ends */
	p->netns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (p->netns_fd < 0)
		return werr(err, errno, "open %s", path);
	/* 1. the policy, before any packet can flow; on a bridge that ward
	 * does not manage, ward's tables may not exist yet */
	r = fw_open(&fw, err);
	for (size_t k = 0; r >= 0 && k < p->n; k++)
		if (p->att[k].type == WNET_BRIDGE) {
			r = fw_ensure_base(fw, err);
			break;
		}
	for (size_t k = 0; r >= 0 && k < p->n; k++) {
		if (!bridged(&p->att[k]))
			continue;
		r = fw_container_add(fw, &p->att[k].fw, err);
		if (r == -EEXIST) {
			/* left by a container whose ward was killed: clear
			 * the objects of every container that is gone, once */
			ward_err e;
			wlog(WLOG_INFO, "firewall: %s; removing objects of stopped containers",
			     err->msg);
			if (net_gc_firewall(c->ctx, NULL, &e) >= 0)
				r = fw_container_add(fw, &p->att[k].fw, err);
		}
		if (r >= 0)
			p->att[k].firewalled = true;
	}
	fw_close(fw);
	if (r < 0)
		return werr_wrap(err, "firewall");
	wtime("net: firewall elements added");
	/* 2. the links */
	r = nl_open(&nl, err);
	for (size_t k = 0; r >= 0 && k < p->n; k++)
		r = make_link(nl, &p->att[k], p->netns_fd, err);
	nl_close(nl);
	if (r < 0)
		return r;
	wtime("net: links made");
	/* 3. inside */
	{
		struct sysctl_job job = {p};
		bool any = false;
		for (size_t k = 0; k < p->n; k++)
			any = any || keeps_ipv6(&p->att[k]);
		r = any ? in_netns(p->netns_fd, container_sysctls, &job, err) : 0;
		if (r < 0)
			return r;
	}
	wtime("net: container sysctls");
	r = nl_open_in_netns(p->netns_fd, &cnl, err);
	for (size_t k = 0; r >= 0 && k < p->n; k++) {
		bool routes = !routes_done && (p->att[k].has_gw4 || p->att[k].has_gw6);
		r = configure_inside(cnl, &p->att[k], routes, err);
		routes_done = routes_done || routes;
	}
	nl_close(cnl);
	return r;
}

int net_teardown(struct ward_container *c, ward_err *err)
{
	struct net_plan *p = c->net;
	struct fw_ctx *fw = NULL;
	struct nl_sock *nl = NULL;
	ward_err e;
	int ret = 0, r;

	if (!p)
		return 0;
	if (fw_open(&fw, &e) == 0) {
		for (size_t k = 0; k < p->n; k++) {
			if (!p->att[k].firewalled)
				continue;
			r = fw_container_del(fw, &p->att[k].fw, &e);
			if (r < 0 && ret == 0) {
				*err = e;
				ret = r;
			}
			p->att[k].firewalled = false;
		}
		fw_close(fw);
		wtime("firewall elements removed");
	}
	if (nl_open(&nl, &e) == 0) {
		for (size_t k = 0; k < p->n; k++) {
			struct net_attachment *a = &p->att[k];
			if (!a->link_made)
				continue;
			if (bridged(a)) {
				if (a->isolate && a->has6)
					nl_neigh_proxy(nl, a->link, &a->ip6, false, &e);
				/* The veth pair goes with the container's network
				 * namespace, which the kernel frees in the
				 * background once the last process and our fd are
				 * gone.  Deleting it, taking it off the bridge or
				 * changing its carrier makes the bridge walk all
				 * its ports, on our time (4 ms at 1000 ports; a
				 * delete also waits 20 ms for RCU).  Its firewall
				 * elements are gone, so a ward bridge drops every
				 * frame from it meanwhile (docs/firewall.md); the
				 * next start of the name deletes a pair that
				 * lingers. */
				r = 0;
				/* the next holder of the address has another MAC */
				if (a->has4)
					nl_neigh_del(nl, a->link, AF_INET, &a->ip4, &e);
				if (a->has6)
					nl_neigh_del(nl, a->link, AF_INET6, &a->ip6, &e);
			} else if (a->type == WNET_PHYS && p->netns_fd >= 0) {
				/* back to the host, under its own name, down */
				struct nl_sock *cnl = NULL;
				_cleanup_close_ int self =
				    open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
				r = nl_open_in_netns(p->netns_fd, &cnl, &e);
				if (r >= 0) {
					struct nl_link_change ch = NL_LINK_CHANGE_NONE;
					ch.up = 0;
					nl_link_set(cnl, a->ifname, &ch, &e);
					ch = (struct nl_link_change)NL_LINK_CHANGE_NONE;
					ch.netns_fd = self;
					ch.name = a->link;
					r = nl_link_set(cnl, a->ifname, &ch, &e);
					nl_close(cnl);
				}
			} else {
				r = 0; /* macvlan/vlan go with the namespace */
			}
			if (r < 0 && ret == 0) {
				*err = e;
				ret = r;
			}
			a->link_made = false;
		}
		nl_close(nl);
		wtime("net: links released");
	}
	for (size_t k = 0; k < p->n; k++) {
		struct net_attachment *a = &p->att[k];
		if (a->leased && a->network) {
			r = ipam_release(c->ctx, a->network, c->name, &e);
			if (r < 0 && ret == 0) {
				*err = e;
				ret = r;
			}
			a->leased = false;
		}
	}
	if (p->published) {
		ipam_unpublish(c->ctx, c->name, &e);
		p->published = false;
	}
	if (p->netns_fd >= 0) {
		close(p->netns_fd);
		p->netns_fd = -1;
	}
	return ret;
}

int net_stats(struct ward_container *c, struct net_stats *st, ward_err *err)
{
	struct net_plan *p = c->net;
	struct nl_sock *nl = NULL;
	struct fw_ctx *fw = NULL;
	int r;

	memset(st, 0, sizeof(*st));
	if (!p)
		return 0;
	r = nl_open(&nl, err);
	if (r < 0)
		return r;
	for (size_t k = 0; k < p->n; k++) {
		struct nl_link_info li;
		ward_err e;
		if (!bridged(&p->att[k]) || nl_link_get(nl, p->att[k].host_ifname, &li, &e) < 0)
			continue;
		/* the host side's receive is the container's transmit */
		st->tx_bytes += li.rx_bytes;
		st->rx_bytes += li.tx_bytes;
	}
	nl_close(nl);
	if (fw_open(&fw, err) == 0) {
		fw_container_counters(fw, c->name, &st->drops, err);
		fw_close(fw);
	}
	return 0;
}

static json_t *addr_json(int family, const void *a)
{
	char buf[INET6_ADDRSTRLEN];

	return json_string(net_addr_str(family, a, buf, sizeof(buf)));
}

static bool addr_from(json_t *o, const char *key, int family, void *out)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v && inet_pton(family, v, out) == 1;
}

json_t *net_plan_json(const struct net_plan *p)
{
	json_t *arr = json_array();

	for (size_t k = 0; p && k < p->n; k++) {
		const struct net_attachment *a = &p->att[k];
		char mac[18];
		json_t *o = json_object();

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", a->mac[0], a->mac[1],
			 a->mac[2], a->mac[3], a->mac[4], a->mac[5]);
		json_object_set_new(o, "ifname", json_string(a->ifname));
		json_object_set_new(o, "type", json_string(net_type_name(a->type)));
		json_object_set_new(o, "kind", json_integer(a->type));
		if (a->network)
			json_object_set_new(o, "network", json_string(a->network));
		if (bridged(a))
			json_object_set_new(o, "host_ifname", json_string(a->host_ifname));
		if (a->link[0])
			json_object_set_new(o, "link", json_string(a->link));
		json_object_set_new(o, "mac", json_string(mac));
		if (a->has4) {
			json_object_set_new(o, "ipv4", addr_json(AF_INET, &a->ip4));
			json_object_set_new(o, "prefix4", json_integer(a->prefix4));
		}
		if (a->has6) {
			json_object_set_new(o, "ipv6", addr_json(AF_INET6, &a->ip6));
			json_object_set_new(o, "prefix6", json_integer(a->prefix6));
		}
		if (a->has_gw4)
			json_object_set_new(o, "gateway4", addr_json(AF_INET, &a->gw4));
		if (a->has_gw6)
			json_object_set_new(o, "gateway6", addr_json(AF_INET6, &a->gw6));
		json_object_set_new(o, "isolate", json_boolean(a->isolate));
		json_object_set_new(o, "leased", json_boolean(a->leased));
		json_object_set_new(o, "firewalled", json_boolean(a->firewalled));
		json_object_set_new(o, "link_made", json_boolean(a->link_made));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* The parts of the plan only a teardown needs, next to the interfaces. */
static json_t *plan_policy_json(const struct net_plan *p)
{
	json_t *o = json_object(), *allow = json_array(), *pub = json_array();

	for (size_t i = 0; i < p->n_allow; i++) {
		const struct fw_allow *a = &p->allow[i];
		json_t *e =
		    json_pack("{s:i, s:i, s:i, s:i, s:i}", "kind", a->kind, "family", a->family,
			      "prefix", a->prefix, "proto", a->proto, "port", a->port);
		if (a->family)
			json_object_set_new(e, "addr", addr_json(a->family, &a->addr));
		json_array_append_new(allow, e);
	}
	for (size_t i = 0; i < p->n_publish; i++) {
		const struct fw_publish *q = &p->publish[i];
		json_t *e = json_pack("{s:i, s:b, s:i, s:i, s:i}", "family", q->family, "any_host",
				      q->any_host, "proto", q->proto, "host_port", q->host_port,
				      "port", q->container_port);
		if (!q->any_host)
			json_object_set_new(e, "host", addr_json(q->family, &q->host));
		json_array_append_new(pub, e);
	}
	json_object_set_new(o, "allow", allow);
	json_object_set_new(o, "publish", pub);
	json_object_set_new(o, "net_log", json_boolean(p->net_log));
	json_object_set_new(o, "published", json_boolean(p->published));
	return o;
}

json_t *net_state_json(const struct net_plan *p)
{
	json_t *o = plan_policy_json(p);

	json_object_set_new(o, "interfaces", net_plan_json(p));
	return o;
}

int net_plan_load(struct ward_container *c, json_t *j, int netns_fd, ward_err *err)
{
	json_t *ifs = json_object_get(j, "interfaces"), *allow = json_object_get(j, "allow"),
	       *pub = json_object_get(j, "publish"), *e;
	struct net_plan *p = calloc(1, sizeof(*p));
	size_t i;

	if (!p)
		return werr(err, ENOMEM, "network state");
	p->netns_fd = netns_fd;
	c->net = p;
	if (!json_is_array(ifs))
		return werrx(err, EINVAL, "network state: no interfaces");
	p->att = calloc(json_array_size(ifs) + 1, sizeof(*p->att));
	p->allow = calloc(json_array_size(allow) + 1, sizeof(*p->allow));
	p->publish = calloc(json_array_size(pub) + 1, sizeof(*p->publish));
	if (!p->att || !p->allow || !p->publish)
		return werr(err, ENOMEM, "network state");
	json_array_foreach (allow, i, e) {
		struct fw_allow *a = &p->allow[p->n_allow++];
		a->kind = (enum fw_allow_kind)json_integer_value(json_object_get(e, "kind"));
		a->family = (int)json_integer_value(json_object_get(e, "family"));
		a->prefix = (unsigned)json_integer_value(json_object_get(e, "prefix"));
		a->proto = (uint8_t)json_integer_value(json_object_get(e, "proto"));
		a->port = (uint16_t)json_integer_value(json_object_get(e, "port"));
		if (a->family)
			addr_from(e, "addr", a->family, &a->addr);
	}
	json_array_foreach (pub, i, e) {
		struct fw_publish *q = &p->publish[p->n_publish++];
		q->family = (int)json_integer_value(json_object_get(e, "family"));
		q->any_host = json_is_true(json_object_get(e, "any_host"));
		q->proto = (uint8_t)json_integer_value(json_object_get(e, "proto"));
		q->host_port = (uint16_t)json_integer_value(json_object_get(e, "host_port"));
		q->container_port = (uint16_t)json_integer_value(json_object_get(e, "port"));
		if (!q->any_host)
			addr_from(e, "host", q->family, &q->host);
	}
	p->net_log = json_is_true(json_object_get(j, "net_log"));
	p->published = json_is_true(json_object_get(j, "published"));
	json_array_foreach (ifs, i, e) {
		struct net_attachment *a = &p->att[p->n++];
		const char *v;
		a->type = (enum ward_netif_type)json_integer_value(json_object_get(e, "kind"));
		snprintf(a->ifname, sizeof(a->ifname), "%s",
			 json_string_value(json_object_get(e, "ifname")) ?: "");
		snprintf(a->host_ifname, sizeof(a->host_ifname), "%s",
			 json_string_value(json_object_get(e, "host_ifname")) ?: "");
		snprintf(a->link, sizeof(a->link), "%s",
			 json_string_value(json_object_get(e, "link")) ?: "");
		if ((v = json_string_value(json_object_get(e, "network"))) &&
		    !(a->network = strdup(v)))
			return werr(err, ENOMEM, "network state");
		if ((v = json_string_value(json_object_get(e, "mac"))))
			net_parse_mac(v, a->mac, &(ward_err){0});
		a->has4 = addr_from(e, "ipv4", AF_INET, &a->ip4);
		a->has6 = addr_from(e, "ipv6", AF_INET6, &a->ip6);
		a->prefix4 = (unsigned)json_integer_value(json_object_get(e, "prefix4"));
		a->prefix6 = (unsigned)json_integer_value(json_object_get(e, "prefix6"));
		a->has_gw4 = addr_from(e, "gateway4", AF_INET, &a->gw4);
		a->has_gw6 = addr_from(e, "gateway6", AF_INET6, &a->gw6);
		a->isolate = json_is_true(json_object_get(e, "isolate"));
		a->leased = json_is_true(json_object_get(e, "leased"));
		a->firewalled = json_is_true(json_object_get(e, "firewalled"));
		a->link_made = json_is_true(json_object_get(e, "link_made"));
	}
	for (size_t k = 0; k < p->n; k++)
		if (bridged(&p->att[k]))
			fill_fw(c, p, k);
	return 0;
}
