/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Address leases of a network and the published-port registry, one small
 * file per lease and per published port under LIB/networks (layout in
 * ipam.c), each change under an exclusive lock, so concurrent starts never
 * hand out one address or port twice and a start costs the same with 1 or
 * 1000 containers.  A lease whose container no longer runs (its state
 * directory under the recorded --root is gone or unlocked) is taken over
 * when its address is needed.
 */
#ifndef WARD_IPAM_H
#define WARD_IPAM_H

#include <netinet/in.h>
#include <stdbool.h>

#include "net/firewall.h"
#include "net/network.h"

struct ipam_request {
	bool want4, want6;
	bool static4, static6; /* the given address, else the last one or a free one */
	struct in_addr ip4;
	struct in6_addr ip6;
};

int ipam_acquire(const struct ward_ctx *ctx, const struct ward_network *n, const char *container,
		 struct ipam_request *req, ward_err *err);
/* Release every lease of the container in the network; none is fine. */
int ipam_release(const struct ward_ctx *ctx, const char *network, const char *container,
		 ward_err *err);
/* Containers, still running, that hold a lease (a strv, maybe empty). */
int ipam_users(const struct ward_ctx *ctx, const char *network, char ***names, ward_err *err);
/* Number of leases held, by running containers or not (tests, gc). */
int ipam_count(const struct ward_ctx *ctx, const char *network);
void ipam_forget(const struct ward_ctx *ctx, const char *network);

/* The published-port registry: one host port is
 * published by one running container.  Registers all of them or none. */
int ipam_publish(const struct ward_ctx *ctx, const char *container, const struct fw_publish *p,
		 size_t n, ward_err *err);
int ipam_unpublish(const struct ward_ctx *ctx, const char *container, ward_err *err);

/* Drop the leases of containers that are not running; returns how many. */
int ipam_prune(const struct ward_ctx *ctx, const char *network, ward_err *err);

#endif
