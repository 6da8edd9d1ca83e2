/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ward's host firewall (nftables).  ward owns two tables, `inet ward` and
 * `bridge ward`; it never touches another table, a global policy or a rule
 * it did not create.  The rules are static and look per-container data up
 * in sets and maps keyed by address, port and interface, so the cost of a
 * packet, and of starting one more container, does not grow with the
 * number of containers.  A container start adds only its elements (and its
 * counters, and at most its own chains) in one atomic transaction; its stop
 * removes them in one.  See docs/firewall.md for the layout.
 *
 * The static part is installed with libnftables (text); the per-container
 * transactions are built with libnftnl and sent as one netlink batch, which
 * needs no listing of what is already there (libnftables would list every
 * counter object first: 0.05 ms per change at 1 container, 0.74 ms at 1000,
 * measured here).
 */
#ifndef WARD_FIREWALL_H
#define WARD_FIREWALL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

struct fw_ctx;

/* Bound to the network namespace current at open time. */
int fw_open(struct fw_ctx **out, ward_err *err);
void fw_close(struct fw_ctx *fw);

/* Create ward's tables, chains and sets if they are missing (idempotent;
 * an existing, complete ward ruleset is left alone). */
int fw_ensure_base(struct fw_ctx *fw, ward_err *err);
/* Remove ward's tables entirely (when the last network goes). */
int fw_remove_all(struct fw_ctx *fw, ward_err *err);

struct fw_network {
	const char *name;   /* ward network name */
	const char *bridge; /* its bridge's ifname */
	const char *uplink; /* NAT only out of this interface; NULL: any */
	bool has4, has6;
	struct in_addr subnet4;
	unsigned int prefix4;
	struct in6_addr subnet6;
	unsigned int prefix6;
	bool nat;     /* masquerade allowed egress */
	bool isolate; /* containers of this network reach each other only through
		       * published ports and allow-listed flows */
};
int fw_network_add(struct fw_ctx *fw, const struct fw_network *n, ward_err *err);
int fw_network_del(struct fw_ctx *fw, const struct fw_network *n, ward_err *err);

enum fw_allow_kind {
	FW_ALLOW_ANY,    /* any destination, the host included */
	FW_ALLOW_SVC,    /* PROTO/PORT to any destination */
	FW_ALLOW_DST,    /* ADDR[/LEN], any protocol and port */
	FW_ALLOW_DSTSVC, /* ADDR[/LEN]:PROTO/PORT */
	FW_ALLOW_HOST,   /* host:PROTO/PORT: a service on the host itself */
};

struct fw_allow {
	enum fw_allow_kind kind;
	int family; /* AF_INET/AF_INET6 for DST, DSTSVC; 0 for the others (both families) */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	unsigned int prefix; /* 32 / 128 for a single address */
	uint8_t proto;       /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP */
	uint16_t port;       /* host byte order */
};

struct fw_publish {
	int family;    /* AF_INET or AF_INET6 */
	bool any_host; /* every local address of the host */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} host;
	uint8_t proto;
	uint16_t host_port, container_port; /* host byte order */
};

struct fw_container {
	const char *name;        /* the container (log prefixes, counter names) */
	const char *bridge;      /* bridge ifname of its network */
	const char *host_ifname; /* its bridge port (host side of the veth) */
	uint8_t mac[6];
	bool has4, has6;
	struct in_addr ip4;
	struct in6_addr ip6;
	struct in6_addr ll6; /* its IPv6 link-local address (EUI-64 from mac) */
	const struct fw_allow *allow;
	size_t n_allow;
	const struct fw_publish *publish;
	size_t n_publish;
	bool antispoof; /* on for every bridged veth */
	bool net_log;   /* log drops, rate-limited, prefix "ward NAME REASON: " */
};

/* One transaction each. */
int fw_container_add(struct fw_ctx *fw, const struct fw_container *c, ward_err *err);
/* Removes whatever of c is present; "already gone" is success. */
int fw_container_del(struct fw_ctx *fw, const struct fw_container *c, ward_err *err);

struct fw_counters {
	uint64_t egress_packets, egress_bytes;
	uint64_t inbound_packets, inbound_bytes;
	uint64_t spoof_packets, spoof_bytes;
};
int fw_container_counters(struct fw_ctx *fw, const char *name, struct fw_counters *out,
			  ward_err *err);

/* Names of containers that have objects in ward's tables (from the counter
 * objects), for `ward gc`.  *names is a NULL-terminated strv. */
int fw_list_containers(struct fw_ctx *fw, char ***names, ward_err *err);
/* Remove every object of a container known only by name (after a crash:
 * the elements are found through their comment). */
int fw_container_purge(struct fw_ctx *fw, const char *name, ward_err *err);

#endif
