/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The firewall's netlink side: libnftnl messages collected in a struct
 * fw_batch, sent between NFNL_MSG_BATCH_BEGIN and END as one nf_tables
 * transaction, and the kernel's answer turned into -errno and a message.
 *
 * The kernel processes a batch inside sendmsg() and reports an error for
 * every message that failed (the others only if they ask for an ACK), in
 * batch order, before the ACK of the last message; if any failed, none is
 * applied.  So only the last message asks for an ACK, and one receive
 * loop collects the failures and ends at that ACK.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "net/firewall_nl.h"
#include "util/cleanup.h"
#include "util/syscalls.h"

#define TABLE "ward"

/* Linux 6.3 added deletions that take "already gone" as success; the
 * headers of older distributions do not have them. */
#ifndef NFT_MSG_DESTROYTABLE
#define NFT_MSG_DESTROYTABLE   26
#define NFT_MSG_DESTROYCHAIN   27
#define NFT_MSG_DESTROYSETELEM 30
#define NFT_MSG_DESTROYOBJ     31
#endif
/* more than any one message we build needs (a rule is under 1 KiB) */
#define MSG_ROOM 4096
/* more than the kernel puts in one datagram (a dump fills up to 16 KiB) */
#define RECV_SIZE 32768

struct fw_op {
	size_t off, len; /* in fw_batch.buf */
	uint16_t type;   /* NFT_MSG_* */
	uint32_t seq;    /* of the last send */
	int error;       /* positive errno the kernel reported, 0 if none */
	bool skip;       /* left out (deletion of something already gone) */
	char what[160];
};

int fw_nl_open(struct fw_nl *nl, ward_err *err)
{
	struct timeval tv = {.tv_sec = 10};
	int one = 1, fd;

	nl->sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!nl->sock)
		return werr(err, errno, "firewall: netlink socket");
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return werr(err, e, "firewall: bind netlink socket");
	}
	fd = mnl_socket_get_fd(nl->sock);
	/* errors without a copy of the failed request; a kernel that never
	 * answers is an error, not a hang */
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	nl->destroy = -1;
	return 0;
}

/* The kernel frees deleted set elements, counters and chains after an RCU
 * grace period, and the release of a netfilter socket waits for pending
 * frees (nf_tables' URELEASE notifier flushes them): 10 ms here, on every
 * container stop.  So after a deletion the last reference to the socket
 * goes to a child that takes it over when we are done, waits until the
 * frees are done and exits; we do not wait for it.  It is born with no exit signal and reaped with
 * __WALL by the next close, or by init once we exit. */
static pid_t release_child;

static void release_in_background(struct mnl_socket *sock)
{
	int p[2];
	pid_t pid;

	if (release_child > 0 && waitpid(release_child, NULL, WNOHANG | __WALL) != 0)
		release_child = 0;
	if (pipe2(p, O_CLOEXEC) < 0) {
		mnl_socket_close(sock);
		return;
	}
	pid = (pid_t)syscall(SYS_clone, 0UL, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		unsigned int a = (unsigned)mnl_socket_get_fd(sock), b = (unsigned)p[0], t;
		char c;
		/* keeps only the socket, whose last reference it becomes once
		 * the parent closes its own (the pipe's EOF tells), and drops
		 * the rest at once: a caller reading our output to its end
		 * must not wait for this child */
		if (a > b) {
			t = a;
			a = b;
			b = t;
		}
		if (a > 0)
			ward_close_range(0, a - 1, 0);
		if (b > a + 1)
			ward_close_range(a + 1, b - 1, 0);
		ward_close_range(b + 1, ~0U, 0);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		/* The release flushes pending frees holding nf_tables' commit
		 * mutex, so an early one would make the next ward's firewall
		 * change wait out the grace period instead of us.  Let the
		 * kernel's own free work finish first (a grace period is
		 * ~10 ms here). */
		{
			struct timespec ts = {0, 100 * 1000 * 1000};
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
		syscall(SYS_exit, 0);
	}
	close(p[0]);
	mnl_socket_close(sock);
	close(p[1]);
	if (pid > 0 && release_child == 0)
		release_child = pid;
}

void fw_nl_close(struct fw_nl *nl)
{
	if (nl->sock && nl->deleted)
		release_in_background(nl->sock);
	else if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

/* ---- building ---- */

void fw_key_put(struct fw_key *k, const void *p, size_t n)
{
	size_t padded = (n + 3) & ~(size_t)3;

	if (k->len + padded > sizeof(k->b))
		return; /* cannot happen with the set types of firewall.c */
	memcpy(k->b + k->len, p, n);
	memset(k->b + k->len + n, 0, padded - n);
	k->len += (uint32_t)padded;
}

void fw_key_ifname(struct fw_key *k, const char *ifname)
{
	char name[IFNAMSIZ] = {0};

	strncpy(name, ifname, sizeof(name) - 1);
	fw_key_put(k, name, sizeof(name));
}

void fw_key_proto(struct fw_key *k, uint8_t proto)
{
	fw_key_put(k, &proto, 1);
}

void fw_key_port(struct fw_key *k, uint16_t port)
{
	uint16_t be = htons(port);

	fw_key_put(k, &be, 2);
}

void fw_batch_free(struct fw_batch *b)
{
	free(b->buf);
	free(b->ops);
	b->buf = NULL;
	b->ops = NULL;
}

/* Room for one more message, its header written; NULL when out of memory
 * (the batch then remembers it). */
__attribute__((format(printf, 5, 0))) static struct nlmsghdr *msg_start(struct fw_batch *b,
									uint16_t type, int family,
									uint16_t flags,
									const char *fmt, va_list ap)
{
	struct fw_op *op;

	if (b->nomem)
		return NULL;
	if (b->cap - b->len < MSG_ROOM) {
		size_t cap = b->cap * 2 + MSG_ROOM;
		char *buf = realloc(b->buf, cap);
		if (!buf)
			goto nomem;
		b->buf = buf;
		b->cap = cap;
	}
	if (b->n == b->n_cap) {
		size_t cap = b->n_cap * 2 + 16;
		struct fw_op *ops = realloc(b->ops, cap * sizeof(*ops));
		if (!ops)
			goto nomem;
		b->ops = ops;
		b->n_cap = cap;
	}
	op = &b->ops[b->n];
	memset(op, 0, sizeof(*op));
	op->off = b->len;
	op->type = type;
	vsnprintf(op->what, sizeof(op->what), fmt, ap);
	return nftnl_nlmsg_build_hdr(b->buf + b->len, type, (uint16_t)family, flags, 0);
nomem:
	b->nomem = true;
	return NULL;
}

static void msg_end(struct fw_batch *b, struct nlmsghdr *nlh)
{
	struct fw_op *op = &b->ops[b->n++];

	op->len = NLMSG_ALIGN(nlh->nlmsg_len);
	b->len += op->len;
}

__attribute__((format(printf, 5, 6))) static struct nlmsghdr *
msg_new(struct fw_batch *b, uint16_t type, int family, uint16_t flags, const char *fmt, ...)
{
	struct nlmsghdr *nlh;
	va_list ap;

	va_start(ap, fmt);
	nlh = msg_start(b, type, family, flags, fmt, ap);
	va_end(ap);
	return nlh;
}

static uint16_t add_flags(const struct fw_batch *b)
{
	return NLM_F_CREATE | (b->excl ? NLM_F_EXCL : 0);
}

void fw_op_elem(struct fw_batch *b, int family, const struct fw_elem *e, const char *comment,
		const char *fmt, ...)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *el = nftnl_set_elem_alloc();
	struct nftnl_udata_buf *ud = NULL;
	struct nlmsghdr *nlh;
	va_list ap;

	if (!s || !el)
		goto nomem;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, e->set);
	nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, e->key.b, e->key.len);
	if (e->key_end.len)
		nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY_END, e->key_end.b, e->key_end.len);
	if (e->flags)
		nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_FLAGS, e->flags);
	if (!b->del) {
		if (e->data.len)
			nftnl_set_elem_set(el, NFTNL_SET_ELEM_DATA, e->data.b, e->data.len);
		if (e->jump) {
			nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_VERDICT, (uint32_t)NFT_JUMP);
			nftnl_set_elem_set_str(el, NFTNL_SET_ELEM_CHAIN, e->jump);
		}
		if (e->obj)
			nftnl_set_elem_set_str(el, NFTNL_SET_ELEM_OBJREF, e->obj);
		if (comment) {
			/* what `nft add element ... { KEY comment "..." }` stores */
			ud = nftnl_udata_buf_alloc(FW_COMMENT_MAX);
			if (!ud || !nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_ELEM_COMMENT, comment))
				goto nomem;
			nftnl_set_elem_set(el, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(ud),
					   nftnl_udata_buf_len(ud));
		}
	}
	nftnl_set_elem_add(s, el);
	el = NULL;
	va_start(ap, fmt);
	nlh = msg_start(b, b->del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM, family,
			b->del ? 0 : add_flags(b), fmt, ap);
	va_end(ap);
	if (nlh) {
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		msg_end(b, nlh);
	}
	goto out;
nomem:
	b->nomem = true;
out:
	if (ud)
		nftnl_udata_buf_free(ud);
	if (el)
		nftnl_set_elem_free(el);
	if (s)
		nftnl_set_free(s);
}

void fw_op_counter(struct fw_batch *b, int family, const char *name)
{
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nlh;

	if (!o) {
		b->nomem = true;
		return;
	}
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, TABLE);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	if (!b->del) {
		/* the kernel wants the object's data, even all zero */
		nftnl_obj_set_u64(o, NFTNL_OBJ_CTR_PKTS, 0);
		nftnl_obj_set_u64(o, NFTNL_OBJ_CTR_BYTES, 0);
	}
	nlh = msg_new(b, b->del ? NFT_MSG_DELOBJ : NFT_MSG_NEWOBJ, family,
		      b->del ? 0 : NLM_F_CREATE, "counter %s", name);
	if (nlh) {
		nftnl_obj_nlmsg_build_payload(nlh, o);
		msg_end(b, nlh);
	}
	nftnl_obj_free(o);
}

/* Deleting a chain deletes its rules with it.  Adding one that exists is
 * no change: a container's interfaces share its chains and counters. */
void fw_op_chain(struct fw_batch *b, int family, const char *name)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (!c) {
		b->nomem = true;
		return;
	}
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nlh = msg_new(b, b->del ? NFT_MSG_DELCHAIN : NFT_MSG_NEWCHAIN, family,
		      b->del ? 0 : NLM_F_CREATE, "chain %s", name);
	if (nlh) {
		nftnl_chain_nlmsg_build_payload(nlh, c);
		msg_end(b, nlh);
	}
	nftnl_chain_free(c);
}

/* DELRULE with a chain and no handle: every rule of the chain goes */
void fw_op_flush(struct fw_batch *b, int family, const char *chain)
{
	struct nftnl_rule *r;
	struct nlmsghdr *nlh;

	if (b->del)
		return;
	r = nftnl_rule_alloc();
	if (!r) {
		b->nomem = true;
		return;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nlh = msg_new(b, NFT_MSG_DELRULE, family, 0, "rules of %s", chain);
	if (nlh) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		msg_end(b, nlh);
	}
	nftnl_rule_free(r);
}

void fw_op_table(struct fw_batch *b, int family, const char *name)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (!t) {
		b->nomem = true;
		return;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	nlh = msg_new(b, NFT_MSG_DELTABLE, family, 0, "table %s", name);
	if (nlh) {
		nftnl_table_nlmsg_build_payload(nlh, t);
		msg_end(b, nlh);
	}
	nftnl_table_free(t);
}

/* ---- rule expressions ---- */

static struct nftnl_expr *x_meta(uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	}
	return e;
}

static struct nftnl_expr *x_payload(uint32_t base, uint32_t offset, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	}
	return e;
}

static struct nftnl_expr *x_cmp(const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return e;
}

static struct nftnl_expr *x_mask(const void *mask, uint32_t len)
{
	static const uint8_t zero[16];
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
	}
	return e;
}

static struct nftnl_expr *x_accept(void)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
	}
	return e;
}

/* One rule of up to N expressions; a NULL expression means out of memory. */
static void rule_op(struct fw_batch *b, int family, const char *chain, struct nftnl_expr **x,
		    size_t n, const char *what)
{
	struct nftnl_rule *r = b->del ? NULL : nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	bool ok = r != NULL;

	for (size_t i = 0; i < n; i++) {
		if (!x[i] || !ok) {
			ok = false;
			if (x[i])
				nftnl_expr_free(x[i]);
			continue;
		}
		nftnl_rule_add_expr(r, x[i]);
	}
	if (!ok) {
		/* a deleting batch deletes the whole chain instead */
		b->nomem |= !b->del;
		if (r)
			nftnl_rule_free(r);
		return;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nlh = msg_new(b, NFT_MSG_NEWRULE, family, NLM_F_CREATE | NLM_F_APPEND, "rule in %s: %s",
		      chain, what);
	if (nlh) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		msg_end(b, nlh);
	}
	nftnl_rule_free(r);
}

void fw_op_rule_allow(struct fw_batch *b, const char *chain, const struct fw_allow *a)
{
	bool v4 = a->family == AF_INET;
	uint32_t len = v4 ? 4 : 16;
	uint8_t nfproto = v4 ? NFPROTO_IPV4 : NFPROTO_IPV6, mask[16] = {0}, net[16];
	uint16_t port = htons(a->port);
	struct nftnl_expr *x[10];
	char what[INET6_ADDRSTRLEN + 32];
	size_t n = 0;

	memcpy(net, &a->addr, len);
	for (uint32_t i = 0; i < len; i++) {
		unsigned int bits = a->prefix > i * 8 ? a->prefix - i * 8 : 0;
		mask[i] = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
		net[i] &= mask[i];
	}
	x[n++] = x_meta(NFT_META_NFPROTO);
	x[n++] = x_cmp(&nfproto, 1);
	/* daddr: offset 16 in an IPv4 header, 24 in an IPv6 one */
	x[n++] = x_payload(NFT_PAYLOAD_NETWORK_HEADER, v4 ? 16 : 24, len);
	x[n++] = x_mask(mask, len);
	x[n++] = x_cmp(net, len);
	if (a->kind == FW_ALLOW_DSTSVC) {
		x[n++] = x_meta(NFT_META_L4PROTO);
		x[n++] = x_cmp(&a->proto, 1);
		x[n++] = x_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
		x[n++] = x_cmp(&port, 2);
	}
	x[n++] = x_accept();
	inet_ntop(a->family, net, what, sizeof(what));
	snprintf(what + strlen(what), sizeof(what) - strlen(what), "/%u", a->prefix);
	rule_op(b, NFPROTO_INET, chain, x, n, what);
}

void fw_op_rule_log(struct fw_batch *b, int family, const char *chain, const char *prefix)
{
	struct nftnl_expr *x[2];

	x[0] = nftnl_expr_alloc("limit");
	if (x[0]) {
		nftnl_expr_set_u64(x[0], NFTNL_EXPR_LIMIT_RATE, 10);
		nftnl_expr_set_u64(x[0], NFTNL_EXPR_LIMIT_UNIT, 1);
		nftnl_expr_set_u32(x[0], NFTNL_EXPR_LIMIT_BURST, 5);
		nftnl_expr_set_u32(x[0], NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	}
	x[1] = nftnl_expr_alloc("log");
	if (x[1])
		nftnl_expr_set_str(x[1], NFTNL_EXPR_LOG_PREFIX, prefix);
	rule_op(b, family, chain, x, 2, "log");
}

/* ---- sending ---- */

static void note_reply(struct fw_batch *b, const uint32_t *idx, size_t active, uint32_t first,
		       uint32_t begin, const struct nlmsghdr *nlh, int *batch_err, bool *done)
{
	const struct nlmsgerr *e;

	if (nlh->nlmsg_type != NLMSG_ERROR ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nlmsgerr))
		return;
	e = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_seq == begin) {
		/* the batch as a whole (or its commit) failed */
		*batch_err = -e->error ? -e->error : EPROTO;
		*done = true;
	} else if (nlh->nlmsg_seq - first < active) {
		size_t i = nlh->nlmsg_seq - first;
		if (e->error)
			b->ops[idx[i]].error = -e->error;
		if (i == active - 1)
			*done = true;
	}
}

/* DEL* -> DESTROY* (same attributes) */
static void use_destroy(struct nlmsghdr *nlh)
{
	uint16_t type = NFNL_MSG_TYPE(nlh->nlmsg_type), to;

	switch (type) {
	case NFT_MSG_DELTABLE:
		to = NFT_MSG_DESTROYTABLE;
		break;
	case NFT_MSG_DELCHAIN:
		to = NFT_MSG_DESTROYCHAIN;
		break;
	case NFT_MSG_DELSETELEM:
		to = NFT_MSG_DESTROYSETELEM;
		break;
	case NFT_MSG_DELOBJ:
		to = NFT_MSG_DESTROYOBJ;
		break;
	default:
		return;
	}
	nlh->nlmsg_type = (uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | to);
}

/* One round: the messages not skipped, as one transaction.  Returns 0,
 * -errno for the batch as a whole (*failed = -1), or the first message's
 * error (*failed = its index). */
static int batch_send(struct fw_nl *nl, struct fw_batch *b, ssize_t *failed)
{
	const size_t hdr =
	    NLMSG_ALIGN(sizeof(struct nlmsghdr)) + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	_cleanup_free_ uint32_t *idx = calloc(b->n + 1, sizeof(*idx));
	_cleanup_free_ char *buf = NULL;
	char rbuf[RECV_SIZE];
	struct mnl_nlmsg_batch *mb;
	size_t active = 0, size = 2 * hdr;
	uint32_t begin, first;
	int fd = mnl_socket_get_fd(nl->sock), batch_err = 0;
	bool done = false;
	ssize_t n;

	*failed = -1;
	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < b->n; i++) {
		b->ops[i].error = 0;
		if (!b->ops[i].skip) {
			idx[active++] = (uint32_t)i;
			size += b->ops[i].len;
		}
	}
	if (!active)
		return 0;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	mb = mnl_nlmsg_batch_start(buf, size);
	if (!mb)
		return -ENOMEM;
	begin = nl->seq++;
	first = nl->seq;
	nftnl_batch_begin(mnl_nlmsg_batch_current(mb), begin);
	mnl_nlmsg_batch_next(mb);
	for (size_t i = 0; i < active; i++) {
		struct fw_op *op = &b->ops[idx[i]];
		struct nlmsghdr *nlh = mnl_nlmsg_batch_current(mb);

		memcpy(nlh, b->buf + op->off, op->len);
		nlh->nlmsg_seq = op->seq = nl->seq++;
		if (b->del && nl->destroy > 0)
			use_destroy(nlh);
		if (i == active - 1)
			nlh->nlmsg_flags |= NLM_F_ACK;
		mnl_nlmsg_batch_next(mb);
	}
	nftnl_batch_end(mnl_nlmsg_batch_current(mb), nl->seq++);
	mnl_nlmsg_batch_next(mb);
	n = mnl_socket_sendto(nl->sock, mnl_nlmsg_batch_head(mb), mnl_nlmsg_batch_size(mb));
	mnl_nlmsg_batch_stop(mb);
	if (n < 0)
		return neg_errno();

	/* until the last message's ACK; then whatever else is queued, so that
	 * nothing of this batch is left for the next one to read */
	for (;;) {
		int flags = done ? MSG_DONTWAIT : 0;
		n = recv(fd, rbuf, sizeof(rbuf), flags);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && done)
				break;
			return errno == EAGAIN ? -ETIMEDOUT : neg_errno();
		}
		int left = (int)n;
		for (const struct nlmsghdr *nlh = (void *)rbuf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left))
			note_reply(b, idx, active, first, begin, nlh, &batch_err, &done);
	}
	for (size_t i = 0; i < active; i++) {
		if (b->ops[idx[i]].error) {
			*failed = (ssize_t)idx[i];
			return -b->ops[idx[i]].error;
		}
	}
	return batch_err ? -batch_err : 0;
}

/* Does the kernel have NFT_MSG_DESTROY*?  Asks it to destroy a table that
 * does not exist: success on 6.3 and later, EINVAL (unknown message) before.
 * Nothing changes either way. */
static void probe_destroy(struct fw_nl *nl)
{
	struct fw_batch b = {.del = true};
	ssize_t failed;

	fw_op_table(&b, NFPROTO_INET, "ward-no-such-table");
	nl->destroy = 1;
	if (b.nomem || batch_send(nl, &b, &failed) < 0)
		nl->destroy = 0;
	fw_batch_free(&b);
}

/* A deletion that may fail and be left out: what is gone already, and a
 * counter or chain another interface of the container still uses. */
static bool leave_out(const struct fw_op *op)
{
	return op->error == ENOENT ||
	       (op->error == EBUSY && (op->type == NFT_MSG_DELOBJ || op->type == NFT_MSG_DELCHAIN));
}

int fw_nl_commit(struct fw_nl *nl, struct fw_batch *b, const char *subject, ward_err *err)
{
	if (b->nomem)
		return werr(err, ENOMEM, "firewall: %s", subject);
	if (b->del && nl->destroy < 0)
		probe_destroy(nl);
	/* Each round of a deletion leaves out what the last one found gone; a
	 * few rounds cover a concurrent deletion of the same objects.  With
	 * DESTROY only a missing table or set still fails that way.  (A failed
	 * transaction is expensive: the kernel's abort took 8 ms here.) */
	for (int round = 0; round < 4; round++) {
		ssize_t failed;
		int r = batch_send(nl, b, &failed);
		bool gone = false;

		if (r == 0) {
			nl->deleted = nl->deleted || b->del;
			return 0;
		}
		if (failed < 0)
			return werr(err, -r, "firewall: %s", subject);
		if (!b->del)
			return werr(err, -r, "firewall: %s: %s", subject, b->ops[failed].what);
		for (size_t i = 0; i < b->n; i++) {
			struct fw_op *op = &b->ops[i];
			if (op->skip || !op->error)
				continue;
			if (!leave_out(op))
				return werr(err, op->error, "firewall: %s: %s", subject, op->what);
			op->skip = true;
			gone = true;
		}
		if (!gone)
			return werr(err, -r, "firewall: %s", subject);
	}
	return werrx(err, EAGAIN, "firewall: %s: the ruleset keeps changing", subject);
}

/* ---- reading ---- */

/* One request; CB for each answer.  A GET asks for an ACK, a dump ends
 * with NLMSG_DONE. */
static int talk(struct fw_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	_cleanup_free_ char *buf = malloc(RECV_SIZE);
	uint32_t seq = nlh->nlmsg_seq;
	int r;

	if (!buf)
		return -ENOMEM;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return neg_errno();
	do {
		ssize_t n = mnl_socket_recvfrom(nl->sock, buf, RECV_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : neg_errno();
		}
		r = mnl_cb_run(buf, (size_t)n, seq, nl->portid, cb, data);
	} while (r > 0);
	return r < 0 ? neg_errno() : 0;
}

struct udata_comment {
	uint8_t type;
	char *buf;
	size_t len;
};

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	struct udata_comment *c = data;
	const char *v = nftnl_udata_get(attr);
	uint8_t len = nftnl_udata_len(attr);

	if (nftnl_udata_type(attr) == c->type && len > 0 && v[len - 1] == '\0')
		snprintf(c->buf, c->len, "%s", v);
	return MNL_CB_OK;
}

static void udata_comment(const void *ud, uint32_t len, char *buf, size_t size)
{
	/* comments are type 0 for tables and for elements alike */
	struct udata_comment c = {NFTNL_UDATA_SET_ELEM_COMMENT, buf, size};

	buf[0] = '\0';
	if (ud && len)
		nftnl_udata_parse(ud, len, comment_cb, &c);
}

struct table_reply {
	char *buf;
	size_t len;
};

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct table_reply *tr = data;
	struct nftnl_table *t = nftnl_table_alloc();
	const void *ud;
	uint32_t len = 0;

	if (!t)
		return MNL_CB_ERROR;
	if (nftnl_table_nlmsg_parse(nlh, t) == 0) {
		ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
		udata_comment(ud, len, tr->buf, tr->len);
	}
	nftnl_table_free(t);
	return MNL_CB_OK;
}

int fw_nl_table_comment(struct fw_nl *nl, int family, char *buf, size_t len)
{
	char req[MSG_ROOM];
	struct nftnl_table *t = nftnl_table_alloc();
	struct table_reply tr = {buf, len};
	struct nlmsghdr *nlh;

	if (!t)
		return -ENOMEM;
	buf[0] = '\0';
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, TABLE);
	nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETTABLE, (uint16_t)family, NLM_F_ACK, nl->seq++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	return talk(nl, nlh, table_cb, &tr);
}

struct obj_reply {
	uint64_t *pkts, *bytes;
	void (*name_cb)(const char *name, void *data);
	void *data;
};

static int obj_cb(const struct nlmsghdr *nlh, void *data)
{
	struct obj_reply * or = data;
	struct nftnl_obj *o = nftnl_obj_alloc();

	if (!o)
		return MNL_CB_ERROR;
	if (nftnl_obj_nlmsg_parse(nlh, o) == 0 &&
	    nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) == NFT_OBJECT_COUNTER) {
		if (or->pkts) {
			* or->pkts = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
			* or->bytes = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES);
		}
		if (or->name_cb)
			or->name_cb(nftnl_obj_get_str(o, NFTNL_OBJ_NAME), or->data);
	}
	nftnl_obj_free(o);
	return MNL_CB_OK;
}

static int obj_request(struct fw_nl *nl, int family, const char *name, uint16_t flags,
		       struct obj_reply * or)
{
	char req[MSG_ROOM];
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nlh;

	if (!o)
		return -ENOMEM;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, TABLE);
	if (name)
		nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETOBJ, (uint16_t)family, flags, nl->seq++);
	nftnl_obj_nlmsg_build_payload(nlh, o);
	nftnl_obj_free(o);
	return talk(nl, nlh, obj_cb, or);
}

int fw_nl_counter_get(struct fw_nl *nl, int family, const char *name, uint64_t *pkts,
		      uint64_t *bytes)
{
	struct obj_reply or = {.pkts = pkts, .bytes = bytes};

	return obj_request(nl, family, name, NLM_F_ACK, & or);
}

int fw_nl_counter_dump(struct fw_nl *nl, int family, void (*cb)(const char *name, void *data),
		       void *data)
{
	struct obj_reply or = {.name_cb = cb, .data = data};

	/* the kernel filters a dump by the table and type it is given */
	return obj_request(nl, family, NULL, NLM_F_DUMP, & or);
}

struct purge {
	struct fw_batch *b;
	int family;
	const char *set;
	const char *comment;
};

static int purge_elem_cb(struct nftnl_set_elem *el, void *data)
{
	struct purge *p = data;
	struct fw_elem e = {.set = p->set};
	char comment[FW_COMMENT_MAX];
	const void *v;
	uint32_t len = 0;

	v = nftnl_set_elem_get(el, NFTNL_SET_ELEM_USERDATA, &len);
	udata_comment(v, len, comment, sizeof(comment));
	if (strcmp(comment, p->comment) != 0)
		return 0;
	v = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &len);
	if (!v || len > sizeof(e.key.b))
		return 0;
	fw_key_put(&e.key, v, len);
	v = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY_END, &len);
	if (v && len <= sizeof(e.key_end.b))
		fw_key_put(&e.key_end, v, len);
	if (nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_FLAGS))
		e.flags = nftnl_set_elem_get_u32(el, NFTNL_SET_ELEM_FLAGS);
	fw_op_elem(p->b, p->family, &e, NULL, "%s element of %s", p->set, p->comment);
	return 0;
}

static int purge_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) == 0)
		nftnl_set_elem_foreach(s, purge_elem_cb, data);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

int fw_nl_plan_purge_set(struct fw_nl *nl, struct fw_batch *b, int family, const char *set,
			 const char *comment)
{
	char req[MSG_ROOM];
	struct nftnl_set *s = nftnl_set_alloc();
	struct purge p = {b, family, set, comment};
	struct nlmsghdr *nlh;

	if (!s)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nlh =
	    nftnl_nlmsg_build_hdr(req, NFT_MSG_GETSETELEM, (uint16_t)family, NLM_F_DUMP, nl->seq++);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return talk(nl, nlh, purge_cb, &p);
}
