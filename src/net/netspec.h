/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network part of a container spec: its interfaces and its firewall
 * policy, as the options and config keys describe them.  Parsing only:
 * nothing here looks at the host (src/net/attach.c does, at start).
 */
#ifndef WARD_NETSPEC_H
#define WARD_NETSPEC_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "net/firewall.h"
#include "util/err.h"

enum ward_netif_type {
	WNET_NETWORK, /* a veth on a ward network's bridge (default) */
	WNET_BRIDGE,  /* a veth on a bridge ward does not manage (LXC's link = br0) */
	WNET_MACVLAN, /* macvlan:PARENT[:MODE] */
	WNET_VLAN,    /* vlan:PARENT:ID */
	WNET_PHYS,    /* phys:IFNAME: a host interface moved in and back */
	WNET_NONE,    /* loopback only */
	WNET_HOST,    /* the host's network stack (unsafe) */
};

struct ward_netif {
	enum ward_netif_type type;
	char *network;         /* WNET_NETWORK: the network's name */
	char *link;            /* WNET_BRIDGE: bridge; MACVLAN/VLAN: parent; PHYS: host ifname */
	uint32_t macvlan_mode; /* MACVLAN_MODE_* */
	uint16_t vlan_id;
	char *ifname;      /* name inside (eth0, eth1, ...); NULL: ethN by position */
	char *host_ifname; /* host side of the veth; NULL: derived from the container name */
	bool has_mac;
	uint8_t mac[6];
	bool has_ip4, has_ip6; /* static addresses */
	struct in_addr ip4;
	struct in6_addr ip6;
	unsigned int prefix4, prefix6; /* 0: the network's */
	bool has_gw4, has_gw6;
	struct in_addr gw4;
	struct in6_addr gw6;
	bool up; /* LXC flags = up; ward's interfaces are always up */
};

struct ward_net_spec {
	struct ward_netif *ifs;
	size_t n_ifs;
	bool explicit_net; /* a --net was given (else the default network) */
	struct fw_publish *publish;
	size_t n_publish;
	struct fw_allow *allow;
	size_t n_allow;
	bool allow_dns; /* --allow-out dns: the resolvers the container was given */
	char **dns;     /* --dns ADDR, in order */
	bool net_log;
};

struct ward_net_spec *net_spec_new(void);
void net_spec_free(struct ward_net_spec *n);

/* The interface the next --ip/--ip6/--mac apply to: the last --net's, or
 * the default network's one, created on demand. */
struct ward_netif *net_spec_current(struct ward_net_spec *n, ward_err *err);

/* --net NETWORK|none|host|macvlan:PARENT[:MODE]|vlan:PARENT:ID|phys:IFNAME */
int net_parse_net(struct ward_net_spec *n, const char *v, ward_err *err);
int net_parse_ip(struct ward_net_spec *n, const char *v, bool v6, ward_err *err);
int net_parse_mac(const char *v, uint8_t mac[6], ward_err *err);
int net_parse_dns(struct ward_net_spec *n, const char *v, ward_err *err);
/* [HOSTIP:]HOSTPORT:PORT[/tcp|/udp|/sctp] (an IPv6 HOSTIP in brackets) */
int net_parse_publish(struct ward_net_spec *n, const char *v, ward_err *err);
/* PROTO/PORT | ADDR[/LEN] | ADDR[/LEN]:PROTO/PORT | [ADDR6[/LEN]]:PROTO/PORT |
 * host:PROTO/PORT | dns | any */
int net_parse_allow(struct ward_net_spec *n, const char *v, ward_err *err);

/* Addresses: "10.0.0.1" or "fd00::1" with an optional "/LEN". */
int net_parse_addr(const char *s, int *family, void *addr, unsigned int *prefix, bool allow_prefix);
const char *net_addr_str(int family, const void *addr, char *buf, size_t len);
/* The host veth name for a container: "wv-" + name, or when that is longer
 * than 15 characters "wv-" + 7 characters of the name + "-" + 4 hex digits
 * of a hash of the whole name. */
void net_host_ifname(const char *container, char out[16]);
/* A locally administered unicast MAC derived from the container name and
 * the interface index (stable across restarts). */
void net_derive_mac(const char *container, unsigned int index, uint8_t mac[6]);
/* The EUI-64 link-local address of a MAC. */
void net_link_local(const uint8_t mac[6], struct in6_addr *out);
const char *net_type_name(enum ward_netif_type t);

#endif
