/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to the firewall: nf_tables messages built with libnftnl, sent
 * as one batch (one transaction) over one NETLINK_NETFILTER socket, and
 * the few reads the firewall needs.  Not for use outside src/net/firewall*.c.
 */
#ifndef WARD_FIREWALL_NL_H
#define WARD_FIREWALL_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/firewall.h"
#include "util/err.h"

#define FW_NAME_MAX    96  /* the object and chain names the firewall makes */
#define FW_COMMENT_MAX 256 /* NFT_USERDATA_MAXLEN */

struct mnl_socket;

struct fw_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	int destroy;  /* the kernel has NFT_MSG_DESTROY*: 1 yes, 0 no, -1 not known yet */
	bool deleted; /* a deletion was committed through this socket */
};

int fw_nl_open(struct fw_nl *nl, ward_err *err);
void fw_nl_close(struct fw_nl *nl);

/* A set key or data in the kernel's layout: each part of a concatenation
 * takes a multiple of 4 bytes, zero-padded. */
struct fw_key {
	uint8_t b[64];
	uint32_t len;
};
void fw_key_put(struct fw_key *k, const void *p, size_t n);
void fw_key_ifname(struct fw_key *k, const char *ifname); /* 16 bytes, NUL-padded */
void fw_key_proto(struct fw_key *k, uint8_t proto);
void fw_key_port(struct fw_key *k, uint16_t port); /* host order in, network order out */

struct fw_elem {
	const char *set;
	struct fw_key key;
	struct fw_key key_end; /* a range's last key (concatenations with intervals) */
	struct fw_key data;    /* map data */
	uint32_t flags;        /* NFT_SET_ELEM_INTERVAL_END */
	const char *jump;      /* verdict maps: jump to this chain */
	const char *obj;       /* objref maps: this object */
};

struct fw_op;

/* The messages of one transaction, in order. */
struct fw_batch {
	bool del;  /* deletions, where "already gone" is success */
	bool excl; /* additions fail on anything that exists already */
	char *buf;
	size_t len, cap;
	struct fw_op *ops;
	size_t n, n_cap;
	bool nomem; /* an allocation failed: commit reports ENOMEM */
};
void fw_batch_free(struct fw_batch *b);

/* Each adds one message: NEW* or, in a deleting batch, DEL*.  COMMENT (an
 * element's comment, in nft's userdata format) only matters for additions;
 * FMT names the element in error messages. */
void fw_op_elem(struct fw_batch *b, int family, const struct fw_elem *e, const char *comment,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void fw_op_counter(struct fw_batch *b, int family, const char *name);
void fw_op_chain(struct fw_batch *b, int family, const char *name);
void fw_op_table(struct fw_batch *b, int family, const char *name);  /* deletion only */
void fw_op_flush(struct fw_batch *b, int family, const char *chain); /* addition only */
/* in an inet chain: "ip[6] daddr ADDR/LEN [meta l4proto P th dport N] accept" */
void fw_op_rule_allow(struct fw_batch *b, const char *chain, const struct fw_allow *a);
/* "limit rate 10/second log prefix PREFIX" */
void fw_op_rule_log(struct fw_batch *b, int family, const char *chain, const char *prefix);

/* Send the batch as one transaction and wait for the kernel's verdict.
 * A deleting batch drops the messages that failed with ENOENT (and the
 * counters and chains still in use, EBUSY) and tries again without them.
 * Errors read "firewall: SUBJECT: ELEMENT: strerror". */
int fw_nl_commit(struct fw_nl *nl, struct fw_batch *b, const char *subject, ward_err *err);

/* The comment of table FAMILY ward ("" if none); -ENOENT if no such table. */
int fw_nl_table_comment(struct fw_nl *nl, int family, char *buf, size_t len);
int fw_nl_counter_get(struct fw_nl *nl, int family, const char *name, uint64_t *pkts,
		      uint64_t *bytes);
/* CB for the name of every counter object of table FAMILY ward */
int fw_nl_counter_dump(struct fw_nl *nl, int family, void (*cb)(const char *name, void *data),
		       void *data);
/* Add to B (a deleting batch) every element of SET whose comment is COMMENT. */
int fw_nl_plan_purge_set(struct fw_nl *nl, struct fw_batch *b, int family, const char *set,
			 const char *comment);

#endif
