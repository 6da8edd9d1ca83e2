/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rtnetlink through libmnl: one small layer that builds requests (nested
 * attributes included), sends one request per change, waits for the
 * kernel's ACK and returns the kernel's own error as -errno.  Never runs
 * ip(8).  Every function works on the network namespace its socket was
 * opened in.
 */
#ifndef WARD_NL_H
#define WARD_NL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

struct nl_sock;

/* NETLINK_ROUTE socket in the calling thread's current network namespace. */
int nl_open(struct nl_sock **out, ward_err *err);
/* The same in another network namespace (an fd of /proc/PID/ns/net): the
 * caller's namespace is entered for the socket() call only and restored. */
int nl_open_in_netns(int netns_fd, struct nl_sock **out, ward_err *err);
void nl_close(struct nl_sock *s); /* NULL is fine; keeps errno */
static inline void nl_closep(struct nl_sock **s)
{
	nl_close(*s);
}

/* ifindex (> 0), -ENODEV when there is no such link, or another -errno */
int nl_link_index(struct nl_sock *s, const char *ifname);

struct nl_link_info {
	int index;
	int master; /* ifindex of the master (bridge), 0 if none */
	bool up;
	uint8_t mac[6];
	unsigned int mtu;
	char kind[32]; /* "veth", "bridge", "macvlan", ... ("" when unknown) */
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
	bool isolated; /* bridge port with IFLA_BRPORT_ISOLATED (false: not a port) */
};
int nl_link_get(struct nl_sock *s, const char *ifname, struct nl_link_info *out, ward_err *err);

/* Delete a link and return once the kernel confirmed it (the ACK of
 * RTM_DELLINK comes after the unregistration).  A link that does not exist
 * is success. */
int nl_link_del(struct nl_sock *s, const char *ifname, ward_err *err);

/* A bridge (optionally with a fixed MAC). EEXIST is an error: callers check
 * first. */
int nl_bridge_add(struct nl_sock *s, const char *name, const uint8_t *mac, ward_err *err);

/* A veth pair in one request: HOST here, PEER created directly in the
 * namespace peer_netns_fd with the MAC peer_mac (NULL: kernel's choice). */
int nl_veth_add(struct nl_sock *s, const char *host, const char *peer, int peer_netns_fd,
		const uint8_t *peer_mac, ward_err *err);

/* macvlan / vlan on PARENT, created directly in netns_fd (-1: here) under
 * NAME.  mode: MACVLAN_MODE_PRIVATE/VEPA/BRIDGE/PASSTHRU. */
int nl_macvlan_add(struct nl_sock *s, const char *name, const char *parent, uint32_t mode,
		   int netns_fd, const uint8_t *mac, ward_err *err);
int nl_vlan_add(struct nl_sock *s, const char *name, const char *parent, uint16_t id, int netns_fd,
		const uint8_t *mac, ward_err *err);

/* Changes to one link; fields left at their "unset" value are not sent. */
struct nl_link_change {
	int up;             /* 1 up, 0 down, -1 unchanged */
	int master;         /* ifindex; 0 detach; -1 unchanged */
	unsigned int mtu;   /* 0 unchanged */
	const uint8_t *mac; /* NULL unchanged */
	int netns_fd;       /* move to that namespace; -1 unchanged */
	const char *name;   /* rename (only with the link down or moving); NULL unchanged */
	/* Per-device settings through netlink rather than /proc/sys: a sysctl
	 * lookup of "eth0" walks one dentry per network namespace that has an
	 * eth0 (2.8 ms a start with 1000 containers, measured) */
	int accept_redirects4; /* IPv4 accept_redirects: 0/1; -1 unchanged */
	int arp_notify;        /* IPv4 arp_notify: 0/1; -1 unchanged */
	bool no_ipv6_ll;       /* IPv6 address generation mode "none": no
				* link-local, hence no DAD or listener reports
				* (set before the link goes up) */
};
#define NL_LINK_CHANGE_NONE                                                                        \
	{                                                                                          \
		.up = -1, .master = -1, .netns_fd = -1, .accept_redirects4 = -1, .arp_notify = -1  \
	}
/* One RTM_SETLINK, which the kernel does not apply atomically: with
 * netns_fd and name, a link whose old name is free over there moves under
 * it and is renamed after, so a new name taken there fails with -EEXIST
 * and leaves the link moved under its old name. */
int nl_link_set(struct nl_sock *s, const char *ifname, const struct nl_link_change *c,
		ward_err *err);

/* Bridge port flag: isolated ports exchange frames only with non-isolated
 * ones (IFLA_BRPORT_ISOLATED). */
int nl_bridge_port_isolated(struct nl_sock *s, const char *ifname, bool on, ward_err *err);

/* Bridge option: pass bridged IPv4/IPv6 frames through the inet hooks
 * (IFLA_BR_NF_CALL_IPTABLES/IP6TABLES; effective where br_netfilter is
 * loaded). */
int nl_bridge_nf_call(struct nl_sock *s, const char *bridge, bool on, ward_err *err);

/* family AF_INET (struct in_addr *) or AF_INET6 (struct in6_addr *).
 * nodad: IFA_F_NODAD for IPv6 (usable at once, no 1 s tentative phase).
 * An address already there is -EEXIST; deleting one that is not (or on a
 * link that is gone) is success. */
int nl_addr_add(struct nl_sock *s, const char *ifname, int family, const void *addr,
		unsigned int prefixlen, bool nodad, ward_err *err);
int nl_addr_del(struct nl_sock *s, const char *ifname, int family, const void *addr,
		unsigned int prefixlen, ward_err *err);

/* Default route via gw on ifname, replacing any default route of that
 * family in the main table.  The gateway is taken as on-link (it may lie
 * outside the link's prefixes; IPv6 link-local gateways work too); the
 * link must be up.  gw NULL: a device route (scope link). */
int nl_route_default(struct nl_sock *s, int family, const void *gw, const char *ifname,
		     ward_err *err);

/* Proxy neighbour entry (NTF_PROXY) for an IPv6 address on ifname.
 * Deleting one that is not there is success. */
/* Forget the host's neighbour entry for ADDR on IFNAME (a container that
 * stopped: its successor on that address may have another MAC).  Absent is
 * success. */
int nl_neigh_del(struct nl_sock *s, const char *ifname, int family, const void *addr,
		 ward_err *err);
int nl_neigh_proxy(struct nl_sock *s, const char *ifname, const struct in6_addr *addr, bool add,
		   ward_err *err);

/* Call fn for each link (name, index, kind); for gc and `ward net ls`.
 * fn returns 0 to go on, > 0 to stop (success), < 0 to stop with that
 * error. */
int nl_link_each(struct nl_sock *s,
		 int (*fn)(const char *name, int index, const char *kind, void *data), void *data,
		 ward_err *err);

/* Does an IPv4/IPv6 prefix overlap any route in the main table here?
 * Default routes (prefix length 0) are not counted. */
int nl_route_overlaps(struct nl_sock *s, int family, const void *addr, unsigned int prefixlen,
		      bool *overlaps, ward_err *err);

/* Write /proc/sys/net/REL (e.g. "ipv4/conf/br0/forwarding") in the current
 * netns with one write(2); read it into buf (NUL-terminated, trailing
 * newline removed).  Both return 0 or -errno; a REL with a ".." component
 * is -EINVAL. */
int sysctl_net_write(const char *rel, const char *value, ward_err *err);
int sysctl_net_read(const char *rel, char *buf, size_t len);

#endif
