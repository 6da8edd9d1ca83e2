/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Named networks: a bridge, a subnet (IPv4 and/or IPv6), a gateway address
 * on the bridge, and a policy (nat, isolate, uplink).  Definitions live in
 * LIB/networks/NAME.json; the bridge, its addresses and the firewall's
 * network elements are (re)made on demand ("up"), and a marker under ROOT
 * (a tmpfs: gone after a reboot) says they are there.
 */
#ifndef WARD_NETWORK_H
#define WARD_NETWORK_H

#include <netinet/in.h>
#include <stdbool.h>

#include "runtime/container.h"
#include "util/err.h"

#define WARD_DEFAULT_NETWORK "ward0"

struct ward_network {
	char *name;
	char *bridge;
	bool bridge_managed; /* ward created the bridge and removes it */
	bool has4, has6;
	struct in_addr subnet4, gw4;
	unsigned int prefix4;
	struct in6_addr subnet6, gw6;
	unsigned int prefix6;
	bool nat;
	bool isolate;
	char *uplink;
};

void network_free(struct ward_network *n);
static inline void network_freep(struct ward_network **n)
{
	network_free(*n);
}

int network_load(const struct ward_ctx *ctx, const char *name, struct ward_network **out,
		 ward_err *err);
/* Names of every defined network (NULL-terminated strv, sorted). */
int network_list(const struct ward_ctx *ctx, char ***out, ward_err *err);

struct network_create_opts {
	const char *subnet4; /* CIDR */
	const char *subnet6;
	const char *bridge;
	const char *gateway; /* IPv4 or IPv6, inside its subnet */
	const char *gateway6;
	const char *uplink;
	bool nat, isolate;
};
/* Validate, save and bring the network up.  On failure nothing remains. */
int network_create(const struct ward_ctx *ctx, const char *name,
		   const struct network_create_opts *o, ward_err *err);
/* The default network, created on first use on a private /16 that collides
 * with no route of this host (and not with Docker's, Podman's, LXC's or
 * Kubernetes' usual ranges).  *made says whether this call created it. */
int network_default(const struct ward_ctx *ctx, struct ward_network **out, bool *made,
		    ward_err *err);
/* Make sure the bridge, its addresses, the forwarding it needs and the
 * firewall's network elements exist (cheap when the marker says so). */
int network_up(const struct ward_ctx *ctx, const struct ward_network *n, bool force, ward_err *err);
/* Held (shared) by a start from before it loads the default network until
 * its lease exists: returns an fd to close, or -errno. */
int network_default_hold(const struct ward_ctx *ctx);
/* After a failed start that created the default network: remove it, unless
 * another start is joining it or a container holds a lease in it. */
void network_default_undo(const struct ward_ctx *ctx);
/* Remove a network: refused while a container uses it. */
int network_remove(const struct ward_ctx *ctx, const char *name, ward_err *err);

/* How forwarding was turned on for this network (for `ward net info`). */
const char *network_forwarding_note(const struct ward_network *n);

/* Whether bridged frames can pass through the inet hooks here
 * (br_netfilter is loaded: /proc/sys/net/bridge exists in this netns). */
bool network_br_netfilter(void);

/* Bridge name for a network: "ward0" for the default one, else "wb-" +
 * name, shortened with a hash like host veth names. */
void network_bridge_name(const char *network, char out[16]);

#endif
