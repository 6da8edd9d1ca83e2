/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A container's network, in three steps that match the start:
 *
 *   net_plan()      before the clone: resolve every interface (networks
 *                   brought up, addresses leased, names and MACs derived,
 *                   published ports registered), write resolv.conf and
 *                   hosts and add their binds to the spec.  Bad input and
 *                   taken addresses fail here, before anything runs.
 *   net_setup()     after the clone, in the parent, while the child builds
 *                   its filesystem: the firewall elements first (no packet
 *                   leaves before its policy exists), then the links, then
 *                   the container side (addresses, routes) through a netlink
 *                   socket opened in its namespace.
 *   net_teardown()  firewall elements, links, leases; safe to run twice.
 */
#ifndef WARD_ATTACH_H
#define WARD_ATTACH_H

#include <netinet/in.h>
#include <stdbool.h>

#include "net/netspec.h"
#include "runtime/container.h"

struct net_attachment {
	enum ward_netif_type type;
	char ifname[16];      /* inside */
	char host_ifname[16]; /* host side of a veth */
	char link[16];        /* bridge, parent or moved interface */
	char *network;        /* ward network name (WNET_NETWORK) */
	uint32_t macvlan_mode;
	uint16_t vlan_id;
	uint8_t mac[6];
	bool has4, has6;
	struct in_addr ip4, gw4;
	struct in6_addr ip6, gw6;
	unsigned int prefix4, prefix6;
	bool has_gw4, has_gw6;
	bool isolate;
	bool leased;     /* holds leases in `network` */
	bool firewalled; /* fw_container_add done */
	bool link_made;  /* the link exists (veth/macvlan/vlan) or was moved (phys) */
	struct fw_container fw;
};

struct net_plan {
	struct net_attachment *att;
	size_t n;
	char **dns;
	struct fw_allow *allow; /* resolved allow-list (dns expanded) */
	size_t n_allow;
	struct fw_publish *publish; /* the published ports (owned copy) */
	size_t n_publish;
	bool net_log;
	int netns_fd;      /* the container's network namespace, held to the end */
	bool published;    /* holds entries in the published-port registry */
	bool made_default; /* this start created the default network */
};

int net_plan(struct ward_container *c, ward_err *err);
int net_setup(struct ward_container *c, ward_err *err);
int net_teardown(struct ward_container *c, ward_err *err);
void net_plan_free(struct net_plan *p);
/* After a start that failed: remove the default network again if that
 * start created it and no container uses it, so that bad input leaves
 * the host as it was. */
void net_undo_default(const struct ward_ctx *ctx, const struct net_plan *p);

/* What a container that is gone (its ward killed) may have left in the
 * network: firewall objects (found by name), lingering host veths, leases
 * and published ports.  Used at the next start of the same name and by
 * `ward gc`.  Only the firewall's failure is reported. */
int net_reclaim(const struct ward_ctx *ctx, const char *name, ward_err *err);
/* The same when the caller knows whether the dead container had a network
 * (its state may be gone already). */
int net_reclaim_as(const struct ward_ctx *ctx, const char *name, bool had_network, ward_err *err);
/* Remove the firewall objects of every container that has some but is not
 * running under ctx's root; *removed (may be NULL) gets their names. */
int net_gc_firewall(const struct ward_ctx *ctx, char ***removed, ward_err *err);

/* Per-container firewall counters and link counters, for `ward info`. */
struct net_stats {
	uint64_t rx_bytes, tx_bytes;
	struct fw_counters drops;
};
int net_stats(struct ward_container *c, struct net_stats *st, ward_err *err);

/* The plan as JSON, for the state file (a new reference): what `ward info`
 * shows, and all a later process needs to tear the network down (the
 * monitor of a started container hands the teardown to a new ward). */
#include <jansson.h>
json_t *net_plan_json(const struct net_plan *p);
/* Everything: {"interfaces": net_plan_json(), "allow", "publish", ...}. */
json_t *net_state_json(const struct net_plan *p);
/* The plan back from net_plan_json(), as c->net, with netns_fd (may be -1:
 * a namespace that is gone has taken its links with it). */
int net_plan_load(struct ward_container *c, json_t *j, int netns_fd, ward_err *err);

#endif
