/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rtnetlink for ward (see nl.h).  Every change is one request with NLM_F_ACK;
 * nl_talk() sends it and reads until the kernel's answer for that sequence
 * number (an NLMSG_ERROR for requests, NLMSG_DONE for dumps), so the caller
 * gets the kernel's own errno, plus its extended-ACK text in the message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "net/nl.h"
#include "util/cleanup.h"
#include "util/strutil.h"

/* The kernel sizes each dump datagram after the reader's buffer, up to
 * 32 KiB (and more when one message needs it, e.g. a link with many VFs):
 * a datagram larger than this arrives truncated and is reported as
 * ENOSPC instead of being parsed half. */
#define NL_RX_SIZE 32768

struct nl_sock {
	struct mnl_socket *mnl;
	unsigned int portid;
	unsigned int seq;
	size_t req_size;
	char *req;     /* one request, MNL_SOCKET_BUFFER_SIZE */
	char *rx;      /* NL_RX_SIZE */
	char ext[256]; /* extended ACK text of the last answer */
	bool intr;     /* the last dump was interrupted by a change */
};

/* ------------------------------------------------------------------ */
/* Requests */

/* A request under construction; an attribute that does not fit marks it
 * full instead of writing past the buffer, and nl_talk() refuses it. */
struct nl_msg {
	struct nlmsghdr *nlh;
	size_t cap;
	bool full;
};

static struct nl_msg msg_new(struct nl_sock *s, uint16_t type, uint16_t flags, const void *hdr,
			     size_t hdrlen)
{
	struct nl_msg m = {.cap = s->req_size};

	m.nlh = mnl_nlmsg_put_header(s->req);
	m.nlh->nlmsg_type = type;
	m.nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	memcpy(mnl_nlmsg_put_extra_header(m.nlh, hdrlen), hdr, hdrlen);
	return m;
}

static void msg_put(struct nl_msg *m, uint16_t type, size_t len, const void *data)
{
	if (!m->full && !mnl_attr_put_check(m->nlh, m->cap, type, len, data))
		m->full = true;
}

static void msg_put_u8(struct nl_msg *m, uint16_t type, uint8_t v)
{
	msg_put(m, type, sizeof(v), &v);
}

static void msg_put_u16(struct nl_msg *m, uint16_t type, uint16_t v)
{
	msg_put(m, type, sizeof(v), &v);
}

static void msg_put_u32(struct nl_msg *m, uint16_t type, uint32_t v)
{
	msg_put(m, type, sizeof(v), &v);
}

static void msg_put_str(struct nl_msg *m, uint16_t type, const char *str)
{
	msg_put(m, type, strlen(str) + 1, str);
}

/* A family header inside a nested attribute (VETH_INFO_PEER). */
static void msg_put_hdr(struct nl_msg *m, const void *hdr, size_t len)
{
	if (m->full || m->nlh->nlmsg_len + MNL_ALIGN(len) > m->cap) {
		m->full = true;
		return;
	}
	memcpy(mnl_nlmsg_put_extra_header(m->nlh, len), hdr, len);
}

static struct nlattr *msg_nest(struct nl_msg *m, uint16_t type)
{
	struct nlattr *nest = NULL;

	if (!m->full && !(nest = mnl_attr_nest_start_check(m->nlh, m->cap, type)))
		m->full = true;
	return nest;
}

static void msg_nest_end(struct nl_msg *m, struct nlattr *nest)
{
	if (nest && !m->full)
		mnl_attr_nest_end(m->nlh, nest);
}

/* ------------------------------------------------------------------ */
/* Answers */

/* > 0 from a callback ends the walk early (the rest of the answer is still
 * read), < 0 ends it with that error. */
typedef int (*nl_cb)(const struct nlmsghdr *nlh, void *data);

struct nl_wait {
	unsigned int seq;
	nl_cb cb;
	void *data;
	int cb_ret;
	bool cb_stop;
	bool done;
	int error; /* positive errno from the kernel */
};

struct attr_tb {
	const struct nlattr **tb;
	unsigned int max;
};

static int attr_tb_cb(const struct nlattr *a, void *data)
{
	struct attr_tb *t = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

/* Index the attributes after a family header of hdrlen bytes; the kernel
 * may send types newer than our headers know, which are left out. */
static bool attrs_parse(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb,
			unsigned int max)
{
	struct attr_tb t = {tb, max};

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (mnl_nlmsg_get_payload_len(nlh) < hdrlen)
		return false;
	mnl_attr_parse(nlh, (unsigned int)hdrlen, attr_tb_cb, &t);
	return true;
}

static void attrs_parse_nested(const struct nlattr *nest, const struct nlattr **tb,
			       unsigned int max)
{
	struct attr_tb t = {tb, max};

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (nest)
		mnl_attr_parse_nested(nest, attr_tb_cb, &t);
}

static bool attr_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return false;
	*v = mnl_attr_get_u32(a);
	return true;
}

static bool attr_u8(const struct nlattr *a, uint8_t *v)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U8) < 0)
		return false;
	*v = mnl_attr_get_u8(a);
	return true;
}

/* Copy a string attribute, cut to the buffer; "" when absent. */
static void attr_str(const struct nlattr *a, char *buf, size_t size)
{
	size_t len = 0;

	if (a) {
		len = mnl_attr_get_payload_len(a);
		if (len >= size)
			len = size - 1;
		memcpy(buf, mnl_attr_get_payload(a), len);
	}
	buf[len] = '\0';
}

/* The errno of an NLMSG_ERROR or NLMSG_DONE and, with NLM_F_ACK_TLVS, the
 * kernel's text for it (NLMSGERR_ATTR_MSG). */
static void answer_parse(struct nl_sock *s, struct nl_wait *w, const struct nlmsghdr *nlh)
{
	size_t plen = mnl_nlmsg_get_payload_len(nlh);
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off;
	int code;

	w->done = true;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		if (plen < sizeof(*e)) {
			w->error = EBADMSG;
			return;
		}
		code = e->error;
		off = sizeof(*e);
		/* without NETLINK_CAP_ACK the whole request is echoed */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= sizeof(e->msg))
			off += e->msg.nlmsg_len - sizeof(e->msg);
	} else {
		/* a dump's NLMSG_DONE carries its status (0 from old kernels
		 * that send no payload at all) */
		code = 0;
		if (plen >= sizeof(int))
			memcpy(&code, mnl_nlmsg_get_payload(nlh), sizeof(int));
		off = sizeof(int);
	}
	w->error = code < 0 ? -code : 0;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || MNL_ALIGN(off) > plen)
		return;
	if (attrs_parse(nlh, off, tb, NLMSGERR_ATTR_MAX) && tb[NLMSGERR_ATTR_MSG] &&
	    mnl_attr_validate(tb[NLMSGERR_ATTR_MSG], MNL_TYPE_NUL_STRING) == 0)
		attr_str(tb[NLMSGERR_ATTR_MSG], s->ext, sizeof(s->ext));
}

/*
 * Walk one datagram ourselves rather than with mnl_cb_run(): that stops at
 * the first message it does not like (an NLM_F_DUMP_INTR part, a reply to
 * an earlier request abandoned after an error) and leaves the rest of the
 * answer, the closing NLMSG_DONE included, unread.  Here answers to other
 * sequence numbers are skipped and the walk always reaches our own end.
 */
static void datagram_walk(struct nl_sock *s, struct nl_wait *w, const void *buf, int len)
{
	const struct nlmsghdr *nlh = buf;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_seq != w->seq || !mnl_nlmsg_portid_ok(nlh, s->portid))
			continue;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			s->intr = true;
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
		case NLMSG_OVERRUN:
			break;
		case NLMSG_ERROR:
		case NLMSG_DONE:
			answer_parse(s, w, nlh);
			return;
		default:
			if (w->cb && !w->cb_stop) {
				int r = w->cb(nlh, w->data);
				if (r != 0) {
					w->cb_stop = true;
					w->cb_ret = r < 0 ? r : 0;
				}
			}
			break;
		}
	}
}

/* One datagram from the kernel.  Datagrams from anyone else are dropped:
 * a socket opened in a container's namespace can be written to by a
 * process there holding CAP_NET_ADMIN, and a forged ACK must not pass for
 * the kernel's. */
static ssize_t nl_recv(struct nl_sock *s)
{
	struct sockaddr_nl addr;
	struct iovec iov = {.iov_base = s->rx, .iov_len = NL_RX_SIZE};
	struct msghdr mh = {
	    .msg_name = &addr,
	    .msg_namelen = sizeof(addr),
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	};
	ssize_t n;

	for (;;) {
		mh.msg_namelen = sizeof(addr);
		n = recvmsg(mnl_socket_get_fd(s->mnl), &mh, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		if (mh.msg_flags & MSG_TRUNC)
			return -ENOSPC;
		if (mh.msg_namelen != sizeof(addr) || addr.nl_pid != 0)
			continue;
		return n;
	}
}

/* Send the request and read its whole answer.  Returns the kernel's error
 * (-errno), or the first error a callback returned, or 0. */
static int nl_talk(struct nl_sock *s, struct nl_msg *m, nl_cb cb, void *data)
{
	struct nl_wait w = {.cb = cb, .data = data};

	s->ext[0] = '\0';
	s->intr = false;
	if (m->full)
		return -EMSGSIZE;
	if (++s->seq == 0)
		s->seq = 1;
	w.seq = m->nlh->nlmsg_seq = s->seq;
	if (mnl_socket_sendto(s->mnl, m->nlh, m->nlh->nlmsg_len) < 0)
		return neg_errno();
	while (!w.done) {
		ssize_t n = nl_recv(s);
		if (n < 0)
			return (int)n;
		datagram_walk(s, &w, s->rx, (int)n);
	}
	if (w.error)
		return -w.error;
	return w.cb_ret;
}

/* "netlink: STEP: strerror (kernel's extended ACK text)" */
__attribute__((format(printf, 4, 5))) static int nl_fail(struct nl_sock *s, ward_err *err, int r,
							 const char *fmt, ...)
{
	char step[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(step, sizeof(step), fmt, ap);
	va_end(ap);
	r = werr(err, -r, "netlink: %s", step);
	if (err && s && s->ext[0]) {
		size_t len = strlen(err->msg);
		snprintf(err->msg + len, sizeof(err->msg) - len, " (%s)", s->ext);
	}
	return r;
}

static bool ifname_ok(const char *name)
{
	return name && name[0] && strlen(name) < IFNAMSIZ;
}

static int bad_ifname(ward_err *err, const char *step, const char *name)
{
	return werrx(err, EINVAL, "netlink: %s: bad interface name \"%s\"", step, name ? name : "");
}

/* ------------------------------------------------------------------ */
/* Sockets */

int nl_open(struct nl_sock **out, ward_err *err)
{
	struct nl_sock *s;
	int on = 1, r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return werr(err, ENOMEM, "netlink: open socket");
	s->req_size = MNL_SOCKET_BUFFER_SIZE;
	s->req = malloc(s->req_size);
	s->rx = malloc(NL_RX_SIZE);
	if (!s->req || !s->rx) {
		r = werr(err, ENOMEM, "netlink: open socket");
		goto fail;
	}
	s->mnl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!s->mnl) {
		r = werr(err, errno, "netlink: open socket");
		goto fail;
	}
	/* Both are optional: the kernel's error text for messages, and ACKs
	 * that do not echo the whole request back. */
	(void)mnl_socket_setsockopt(s->mnl, NETLINK_EXT_ACK, &on, sizeof(on));
	(void)mnl_socket_setsockopt(s->mnl, NETLINK_CAP_ACK, &on, sizeof(on));
	if (mnl_socket_bind(s->mnl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = werr(err, errno, "netlink: bind socket");
		goto fail;
	}
	s->portid = mnl_socket_get_portid(s->mnl);
	*out = s;
	return 0;
fail:
	nl_close(s);
	return r;
}

int nl_open_in_netns(int netns_fd, struct nl_sock **out, ward_err *err)
{
	_cleanup_close_ int self = -1;
	struct nl_sock *s = NULL;
	int r;

	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return werr(err, errno, "netlink: open /proc/thread-self/ns/net");
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return werr(err, errno, "netlink: enter network namespace");
	/* a netlink socket belongs to the namespace it was created in, for
	 * good: after the way back it still talks to the target */
	r = nl_open(&s, err);
	if (setns(self, CLONE_NEWNET) < 0) {
		int e = errno;
		nl_close(s);
		return werr(err, e, "netlink: return to the original network namespace");
	}
	if (r < 0)
		return r;
	*out = s;
	return 0;
}

void nl_close(struct nl_sock *s)
{
	int saved = errno;

	if (!s)
		return;
	if (s->mnl)
		mnl_socket_close(s->mnl);
	free(s->req);
	free(s->rx);
	free(s);
	errno = saved;
}

/* ------------------------------------------------------------------ */
/* Links */

static int link_index_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type == RTM_NEWLINK && mnl_nlmsg_get_payload_len(nlh) >= sizeof(*ifi))
		*(int *)data = ifi->ifi_index;
	return 0;
}

/* RTM_GETLINK by name, answered on the socket's own namespace
 * (if_nametoindex() would ask the caller's). */
static struct nl_msg getlink_msg(struct nl_sock *s, const char *ifname, bool stats)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_msg m = msg_new(s, RTM_GETLINK, NLM_F_ACK, &ifi, sizeof(ifi));

	msg_put_str(&m, IFLA_IFNAME, ifname);
	if (!stats)
		msg_put_u32(&m, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return m;
}

int nl_link_index(struct nl_sock *s, const char *ifname)
{
	struct nl_msg m;
	int index = 0, r;

	if (!ifname_ok(ifname))
		return -EINVAL;
	m = getlink_msg(s, ifname, false);
	r = nl_talk(s, &m, link_index_cb, &index);
	if (r < 0)
		return r;
	return index > 0 ? index : -ENODEV;
}

static void linkinfo_parse(const struct nlattr *linkinfo, struct nl_link_info *out)
{
	const struct nlattr *info[IFLA_INFO_MAX + 1], *port[IFLA_BRPORT_MAX + 1];
	char slave_kind[32];
	uint8_t v;

	attrs_parse_nested(linkinfo, info, IFLA_INFO_MAX);
	attr_str(info[IFLA_INFO_KIND], out->kind, sizeof(out->kind));
	attr_str(info[IFLA_INFO_SLAVE_KIND], slave_kind, sizeof(slave_kind));
	if (!streq(slave_kind, "bridge"))
		return;
	attrs_parse_nested(info[IFLA_INFO_SLAVE_DATA], port, IFLA_BRPORT_MAX);
	if (attr_u8(port[IFLA_BRPORT_ISOLATED], &v))
		out->isolated = v != 0;
}

static int link_get_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1];
	struct nl_link_info *out = data;
	struct rtnl_link_stats64 st = {0};
	uint32_t v;

	if (nlh->nlmsg_type != RTM_NEWLINK || !attrs_parse(nlh, sizeof(*ifi), tb, IFLA_MAX))
		return 0;
	memset(out, 0, sizeof(*out));
	out->index = ifi->ifi_index;
	out->up = ifi->ifi_flags & IFF_UP;
	if (attr_u32(tb[IFLA_MASTER], &v))
		out->master = (int)v;
	if (attr_u32(tb[IFLA_MTU], &v))
		out->mtu = v;
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == sizeof(out->mac))
		memcpy(out->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), sizeof(out->mac));
	linkinfo_parse(tb[IFLA_LINKINFO], out);
	if (tb[IFLA_STATS64]) {
		/* newer kernels append counters; the first ones never move */
		size_t len = mnl_attr_get_payload_len(tb[IFLA_STATS64]);
		memcpy(&st, mnl_attr_get_payload(tb[IFLA_STATS64]),
		       len < sizeof(st) ? len : sizeof(st));
	}
	out->rx_bytes = st.rx_bytes;
	out->tx_bytes = st.tx_bytes;
	out->rx_packets = st.rx_packets;
	out->tx_packets = st.tx_packets;
	return 0;
}

int nl_link_get(struct nl_sock *s, const char *ifname, struct nl_link_info *out, ward_err *err)
{
	struct nl_msg m;
	int r;

	if (!ifname_ok(ifname))
		return bad_ifname(err, "get link", ifname);
	memset(out, 0, sizeof(*out));
	m = getlink_msg(s, ifname, true);
	r = nl_talk(s, &m, link_get_cb, out);
	if (r == 0 && out->index <= 0)
		r = -ENODEV;
	if (r < 0)
		return nl_fail(s, err, r, "get link %s", ifname);
	return 0;
}

int nl_link_del(struct nl_sock *s, const char *ifname, ward_err *err)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_msg m;
	int r;

	if (!ifname_ok(ifname))
		return bad_ifname(err, "delete link", ifname);
	m = msg_new(s, RTM_DELLINK, NLM_F_ACK, &ifi, sizeof(ifi));
	msg_put_str(&m, IFLA_IFNAME, ifname);
	/* The ACK is sent after rtnl_unlock(), which has run the
	 * unregistration to the end (netdev_run_todo): the name, and a veth
	 * peer's name in its namespace, are free for a new link by then. */
	r = nl_talk(s, &m, NULL, NULL);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return nl_fail(s, err, r, "delete link %s", ifname);
	return 0;
}

/* A new link: the attributes every kind shares, and the kind's own
 * IFLA_INFO_DATA from its entry in the table below. */
struct link_new {
	const char *kind;
	const char *name;
	const uint8_t *mac;
	int netns_fd; /* -1: here */
	int parent;   /* IFLA_LINK, 0: none */
	const void *arg;
};

struct link_kind {
	const char *kind;
	void (*data)(struct nl_msg *m, const struct link_new *l);
};

struct veth_arg {
	const char *peer;
	int netns_fd;
	const uint8_t *mac;
};

static void veth_data(struct nl_msg *m, const struct link_new *l)
{
	const struct veth_arg *v = l->arg;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nlattr *peer = msg_nest(m, VETH_INFO_PEER);

	/* the peer is described like a link of its own: its ifinfomsg,
	 * then its attributes */
	msg_put_hdr(m, &ifi, sizeof(ifi));
	msg_put_str(m, IFLA_IFNAME, v->peer);
	if (v->mac)
		msg_put(m, IFLA_ADDRESS, 6, v->mac);
	if (v->netns_fd >= 0)
		msg_put_u32(m, IFLA_NET_NS_FD, (uint32_t)v->netns_fd);
	msg_nest_end(m, peer);
}

static void macvlan_data(struct nl_msg *m, const struct link_new *l)
{
	msg_put_u32(m, IFLA_MACVLAN_MODE, *(const uint32_t *)l->arg);
}

static void vlan_data(struct nl_msg *m, const struct link_new *l)
{
	msg_put_u16(m, IFLA_VLAN_ID, *(const uint16_t *)l->arg);
}

/* No multicast snooping on ward's bridges.  Nothing on a ward network is
 * a multicast querier, and without one the bridge floods multicast to
 * every port anyway; snooping would only add per-port state and timers
 * (work at every port change that grows with the number of ports) and let
 * a container that claims to be the querier steer what its neighbours
 * receive. */
static void bridge_data(struct nl_msg *m, const struct link_new *l)
{
	(void)l;
	msg_put_u8(m, IFLA_BR_MCAST_SNOOPING, 0);
}

static const struct link_kind link_kinds[] = {
    {"bridge", bridge_data},
    {"veth", veth_data},
    {"macvlan", macvlan_data},
    {"vlan", vlan_data},
};

static int link_new(struct nl_sock *s, const struct link_new *l)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	const struct link_kind *k = NULL;
	struct nlattr *info, *data;
	struct nl_msg m;

	for (size_t i = 0; i < ARRAY_SIZE(link_kinds); i++)
		if (streq(link_kinds[i].kind, l->kind))
			k = &link_kinds[i];
	if (!k)
		return -EOPNOTSUPP;
	m = msg_new(s, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, &ifi, sizeof(ifi));
	msg_put_str(&m, IFLA_IFNAME, l->name);
	if (l->mac)
		msg_put(&m, IFLA_ADDRESS, 6, l->mac);
	if (l->parent > 0)
		msg_put_u32(&m, IFLA_LINK, (uint32_t)l->parent);
	if (l->netns_fd >= 0)
		msg_put_u32(&m, IFLA_NET_NS_FD, (uint32_t)l->netns_fd);
	info = msg_nest(&m, IFLA_LINKINFO);
	msg_put_str(&m, IFLA_INFO_KIND, k->kind);
	if (k->data) {
		data = msg_nest(&m, IFLA_INFO_DATA);
		k->data(&m, l);
		msg_nest_end(&m, data);
	}
	msg_nest_end(&m, info);
	return nl_talk(s, &m, NULL, NULL);
}

int nl_bridge_add(struct nl_sock *s, const char *name, const uint8_t *mac, ward_err *err)
{
	struct link_new l = {.kind = "bridge", .name = name, .mac = mac, .netns_fd = -1};
	int r;

	if (!ifname_ok(name))
		return bad_ifname(err, "add bridge", name);
	r = link_new(s, &l);
	if (r < 0)
		return nl_fail(s, err, r, "add bridge %s", name);
	return 0;
}

int nl_veth_add(struct nl_sock *s, const char *host, const char *peer, int peer_netns_fd,
		const uint8_t *peer_mac, ward_err *err)
{
	struct veth_arg v = {.peer = peer, .netns_fd = peer_netns_fd, .mac = peer_mac};
	struct link_new l = {.kind = "veth", .name = host, .netns_fd = -1, .arg = &v};
	int r;

	if (!ifname_ok(host))
		return bad_ifname(err, "add veth", host);
	if (!ifname_ok(peer))
		return bad_ifname(err, "add veth", peer);
	r = link_new(s, &l);
	if (r < 0)
		return nl_fail(s, err, r, "add veth %s (peer %s)", host, peer);
	return 0;
}

/* macvlan and vlan: a child of PARENT, which is looked up here */
static int child_link_add(struct nl_sock *s, struct link_new *l, const char *parent, ward_err *err)
{
	int r;

	if (!ifname_ok(l->name))
		return werrx(err, EINVAL, "netlink: add %s: bad interface name \"%s\"", l->kind,
			     l->name ? l->name : "");
	r = parent ? nl_link_index(s, parent) : -EINVAL;
	if (r < 0)
		return nl_fail(s, err, r, "add %s %s: parent %s", l->kind, l->name,
			       parent ? parent : "(none)");
	l->parent = r;
	r = link_new(s, l);
	if (r < 0)
		return nl_fail(s, err, r, "add %s %s on %s", l->kind, l->name, parent);
	return 0;
}

int nl_macvlan_add(struct nl_sock *s, const char *name, const char *parent, uint32_t mode,
		   int netns_fd, const uint8_t *mac, ward_err *err)
{
	struct link_new l = {
	    .kind = "macvlan", .name = name, .mac = mac, .netns_fd = netns_fd, .arg = &mode};

	return child_link_add(s, &l, parent, err);
}

int nl_vlan_add(struct nl_sock *s, const char *name, const char *parent, uint16_t id, int netns_fd,
		const uint8_t *mac, ward_err *err)
{
	struct link_new l = {
	    .kind = "vlan", .name = name, .mac = mac, .netns_fd = netns_fd, .arg = &id};

	if (id == 0 || id >= 4095)
		return werrx(err, EINVAL, "netlink: add vlan %s: bad id %u", name ? name : "",
			     (unsigned int)id);
	return child_link_add(s, &l, parent, err);
}

int nl_link_set(struct nl_sock *s, const char *ifname, const struct nl_link_change *c,
		ward_err *err)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_msg m;
	int r;

	if (!ifname_ok(ifname))
		return bad_ifname(err, "set link", ifname);
	if (c->name && !ifname_ok(c->name))
		return bad_ifname(err, "rename link", c->name);
	/* by index, so that IFLA_IFNAME means "rename" */
	r = nl_link_index(s, ifname);
	if (r < 0)
		return nl_fail(s, err, r, "set link %s", ifname);
	ifi.ifi_index = r;
	if (c->up >= 0) {
		ifi.ifi_flags = c->up ? IFF_UP : 0;
		ifi.ifi_change = IFF_UP;
	}
	m = msg_new(s, RTM_SETLINK, NLM_F_ACK, &ifi, sizeof(ifi));
	/* The kernel applies these in its own order: the namespace first,
	 * then MAC, MTU, name and master, the flags last (so "rename and up"
	 * works on a link that is down). */
	if (c->netns_fd >= 0)
		msg_put_u32(&m, IFLA_NET_NS_FD, (uint32_t)c->netns_fd);
	if (c->mac)
		msg_put(&m, IFLA_ADDRESS, 6, c->mac);
	if (c->mtu)
		msg_put_u32(&m, IFLA_MTU, c->mtu);
	if (c->name)
		msg_put_str(&m, IFLA_IFNAME, c->name);
	if (c->master >= 0)
		msg_put_u32(&m, IFLA_MASTER, (uint32_t)c->master);
	if (c->accept_redirects4 >= 0 || c->arp_notify >= 0 || c->no_ipv6_ll) {
		struct nlattr *spec = msg_nest(&m, IFLA_AF_SPEC);
		if (c->accept_redirects4 >= 0 || c->arp_notify >= 0) {
			struct nlattr *inet = msg_nest(&m, AF_INET);
			struct nlattr *conf = msg_nest(&m, IFLA_INET_CONF);
			if (c->accept_redirects4 >= 0)
				msg_put_u32(&m, IPV4_DEVCONF_ACCEPT_REDIRECTS,
					    (uint32_t)c->accept_redirects4);
			if (c->arp_notify >= 0)
				msg_put_u32(&m, IPV4_DEVCONF_ARP_NOTIFY, (uint32_t)c->arp_notify);
			msg_nest_end(&m, conf);
			msg_nest_end(&m, inet);
		}
		if (c->no_ipv6_ll) {
			struct nlattr *inet6 = msg_nest(&m, AF_INET6);
			msg_put_u8(&m, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
			msg_nest_end(&m, inet6);
		}
		msg_nest_end(&m, spec);
	}
	r = nl_talk(s, &m, NULL, NULL);
	if (r < 0)
		return nl_fail(s, err, r, "set link %s", ifname);
	return 0;
}

int nl_bridge_port_isolated(struct nl_sock *s, const char *ifname, bool on, ward_err *err)
{
	struct ifinfomsg ifi = {.ifi_family = AF_BRIDGE};
	struct nlattr *prot;
	struct nl_msg m;
	int r;

	if (!ifname_ok(ifname))
		return bad_ifname(err, "isolate bridge port", ifname);
	r = nl_link_index(s, ifname);
	if (r < 0)
		return nl_fail(s, err, r, "isolate bridge port %s", ifname);
	ifi.ifi_index = r;
	m = msg_new(s, RTM_SETLINK, NLM_F_ACK, &ifi, sizeof(ifi));
	/* NLA_F_NESTED (set by the nest) is what tells the bridge this is a
	 * set of port flags and not the old single-byte STP state */
	prot = msg_nest(&m, IFLA_PROTINFO);
	msg_put_u8(&m, IFLA_BRPORT_ISOLATED, on ? 1 : 0);
	msg_nest_end(&m, prot);
	r = nl_talk(s, &m, NULL, NULL);
	if (r < 0)
		return nl_fail(s, err, r, "%s bridge port %s", on ? "isolate" : "unisolate",
			       ifname);
	return 0;
}

int nl_bridge_nf_call(struct nl_sock *s, const char *bridge, bool on, ward_err *err)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nlattr *info, *data;
	struct nl_msg m;
	int r;

	if (!ifname_ok(bridge))
		return bad_ifname(err, "set bridge options", bridge);
	r = nl_link_index(s, bridge);
	if (r < 0)
		return nl_fail(s, err, r, "set bridge options of %s", bridge);
	ifi.ifi_index = r;
	m = msg_new(s, RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof(ifi));
	info = msg_nest(&m, IFLA_LINKINFO);
	msg_put_str(&m, IFLA_INFO_KIND, "bridge");
	data = msg_nest(&m, IFLA_INFO_DATA);
	msg_put_u8(&m, IFLA_BR_NF_CALL_IPTABLES, on ? 1 : 0);
	msg_put_u8(&m, IFLA_BR_NF_CALL_IP6TABLES, on ? 1 : 0);
	msg_nest_end(&m, data);
	msg_nest_end(&m, info);
	r = nl_talk(s, &m, NULL, NULL);
	if (r < 0)
		return nl_fail(s, err, r, "set bridge options of %s", bridge);
	return 0;
}

struct link_each_ctx {
	int (*fn)(const char *name, int index, const char *kind, void *data);
	void *data;
};

static int link_each_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1];
	struct link_each_ctx *c = data;
	struct nl_link_info info = {0};
	char name[IFNAMSIZ];

	if (nlh->nlmsg_type != RTM_NEWLINK || !attrs_parse(nlh, sizeof(*ifi), tb, IFLA_MAX) ||
	    !tb[IFLA_IFNAME])
		return 0;
	attr_str(tb[IFLA_IFNAME], name, sizeof(name));
	linkinfo_parse(tb[IFLA_LINKINFO], &info);
	return c->fn(name, ifi->ifi_index, info.kind, c->data);
}

int nl_link_each(struct nl_sock *s,
		 int (*fn)(const char *name, int index, const char *kind, void *data), void *data,
		 ward_err *err)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct link_each_ctx c = {fn, data};
	struct nl_msg m;
	int r;

	m = msg_new(s, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof(ifi));
	msg_put_u32(&m, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	/* An interrupted dump (NLM_F_DUMP_INTR) may miss or repeat a link
	 * that changed meanwhile; fn has seen the others, so it is not
	 * restarted: gc runs again anyway. */
	r = nl_talk(s, &m, link_each_cb, &c);
	if (r < 0)
		return nl_fail(s, err, r, "list links");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Addresses, routes, neighbours */

static int addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : -EAFNOSUPPORT;
}

/* "10.0.0.1/24" for messages */
static const char *addr_fmt(int family, const void *addr, unsigned int plen, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (addr)
		inet_ntop(family, addr, a, sizeof(a));
	if (plen > 128)
		snprintf(buf, size, "%s", a);
	else
		snprintf(buf, size, "%s/%u", a, plen);
	return buf;
}

static int addr_req(struct nl_sock *s, uint16_t type, uint16_t flags, int index, int family,
		    const void *addr, unsigned int plen, bool nodad)
{
	struct ifaddrmsg ifa = {
	    .ifa_family = (uint8_t)family,
	    .ifa_prefixlen = (uint8_t)plen,
	    .ifa_index = (uint32_t)index,
	    .ifa_scope = RT_SCOPE_UNIVERSE,
	};
	int len = addr_len(family);
	struct nl_msg m;

	if (family == AF_INET) {
		const uint8_t *b = addr;
		if (b[0] == 127)
			ifa.ifa_scope = RT_SCOPE_HOST;
	}
	if (nodad && family == AF_INET6)
		ifa.ifa_flags = IFA_F_NODAD;
	m = msg_new(s, type, flags | NLM_F_ACK, &ifa, sizeof(ifa));
	if (family == AF_INET) {
		msg_put(&m, IFA_LOCAL, (size_t)len, addr);
		msg_put(&m, IFA_ADDRESS, (size_t)len, addr);
		if (type == RTM_NEWADDR && plen < 31) {
			struct in_addr brd;
			memcpy(&brd, addr, sizeof(brd));
			brd.s_addr |= htonl(plen ? 0xffffffffu >> plen : 0xffffffffu);
			msg_put(&m, IFA_BROADCAST, sizeof(brd), &brd);
		}
	} else {
		msg_put(&m, IFA_ADDRESS, (size_t)len, addr);
	}
	if (ifa.ifa_flags)
		msg_put_u32(&m, IFA_FLAGS, ifa.ifa_flags);
	return nl_talk(s, &m, NULL, NULL);
}

static int addr_check(int family, const void *addr, unsigned int plen)
{
	int len = addr_len(family);

	if (len < 0)
		return len;
	if (!addr || plen > (unsigned int)len * 8)
		return -EINVAL;
	return 0;
}

int nl_addr_add(struct nl_sock *s, const char *ifname, int family, const void *addr,
		unsigned int prefixlen, bool nodad, ward_err *err)
{
	char a[INET6_ADDRSTRLEN + 8];
	int r;

	addr_fmt(family, addr, prefixlen, a, sizeof(a));
	if (!ifname_ok(ifname))
		return bad_ifname(err, "add address", ifname);
	r = addr_check(family, addr, prefixlen);
	if (r < 0)
		return nl_fail(NULL, err, r, "add address %s to %s", a, ifname);
	r = nl_link_index(s, ifname);
	if (r >= 0)
		r = addr_req(s, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, r, family, addr, prefixlen,
			     nodad);
	if (r < 0)
		return nl_fail(s, err, r, "add address %s to %s", a, ifname);
	return 0;
}

int nl_addr_del(struct nl_sock *s, const char *ifname, int family, const void *addr,
		unsigned int prefixlen, ward_err *err)
{
	char a[INET6_ADDRSTRLEN + 8];
	int r;

	addr_fmt(family, addr, prefixlen, a, sizeof(a));
	if (!ifname_ok(ifname))
		return bad_ifname(err, "delete address", ifname);
	r = addr_check(family, addr, prefixlen);
	if (r < 0)
		return nl_fail(NULL, err, r, "delete address %s from %s", a, ifname);
	r = nl_link_index(s, ifname);
	if (r >= 0)
		r = addr_req(s, RTM_DELADDR, 0, r, family, addr, prefixlen, false);
	/* gone already, or with its link */
	if (r == -EADDRNOTAVAIL || r == -ENODEV)
		return 0;
	if (r < 0)
		return nl_fail(s, err, r, "delete address %s from %s", a, ifname);
	return 0;
}

int nl_route_default(struct nl_sock *s, int family, const void *gw, const char *ifname,
		     ward_err *err)
{
	struct rtmsg rtm = {
	    .rtm_family = (uint8_t)family,
	    .rtm_table = RT_TABLE_MAIN,
	    .rtm_protocol = RTPROT_BOOT,
	    .rtm_scope = RT_SCOPE_UNIVERSE,
	    .rtm_type = RTN_UNICAST,
	};
	int len = addr_len(family), index;
	char a[INET6_ADDRSTRLEN + 8];
	struct nl_msg m;
	int r;

	addr_fmt(family, gw, 255, a, sizeof(a));
	if (!ifname_ok(ifname))
		return bad_ifname(err, "add default route", ifname);
	if (len < 0)
		return nl_fail(NULL, err, len, "add default route via %s", a);
	index = nl_link_index(s, ifname);
	if (index < 0)
		return nl_fail(s, err, index, "add default route via %s dev %s", a, ifname);
	if (gw) {
		/* The gateway need not be inside a prefix of the link (a
		 * routed /32 or /128, a global IPv6 gateway next to a
		 * link-local-only link): it is on this link by
		 * construction, which RTNH_F_ONLINK states.  The kernel
		 * ignores it for IPv6 link-local gateways. */
		rtm.rtm_flags = RTNH_F_ONLINK;
	} else {
		rtm.rtm_scope = RT_SCOPE_LINK;
	}
	/* REPLACE: a namespace has one default route per family, ours */
	m = msg_new(s, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK, &rtm, sizeof(rtm));
	msg_put_u32(&m, RTA_TABLE, RT_TABLE_MAIN);
	if (gw)
		msg_put(&m, RTA_GATEWAY, (size_t)len, gw);
	msg_put_u32(&m, RTA_OIF, (uint32_t)index);
	r = nl_talk(s, &m, NULL, NULL);
	if (r < 0)
		return nl_fail(s, err, r, "add default route via %s dev %s", a, ifname);
	return 0;
}

int nl_neigh_proxy(struct nl_sock *s, const char *ifname, const struct in6_addr *addr, bool add,
		   ward_err *err)
{
	struct ndmsg ndm = {
	    .ndm_family = AF_INET6,
	    .ndm_flags = NTF_PROXY,
	    .ndm_state = NUD_PERMANENT,
	};
	const char *verb = add ? "add" : "delete";
	char a[INET6_ADDRSTRLEN + 8];
	struct nl_msg m;
	int r;

	addr_fmt(AF_INET6, addr, 255, a, sizeof(a));
	if (!ifname_ok(ifname))
		return bad_ifname(err, "proxy neighbour", ifname);
	if (!addr)
		return nl_fail(NULL, err, -EINVAL, "%s proxy neighbour on %s", verb, ifname);
	r = nl_link_index(s, ifname);
	if (r < 0) {
		if (!add && r == -ENODEV)
			return 0;
		return nl_fail(s, err, r, "%s proxy neighbour %s on %s", verb, a, ifname);
	}
	ndm.ndm_ifindex = r;
	m = msg_new(s, add ? RTM_NEWNEIGH : RTM_DELNEIGH,
		    add ? NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK : NLM_F_ACK, &ndm, sizeof(ndm));
	msg_put(&m, NDA_DST, sizeof(*addr), addr);
	r = nl_talk(s, &m, NULL, NULL);
	if (!add && r == -ENOENT)
		return 0;
	if (r < 0)
		return nl_fail(s, err, r, "%s proxy neighbour %s on %s", verb, a, ifname);
	return 0;
}

int nl_neigh_del(struct nl_sock *s, const char *ifname, int family, const void *addr, ward_err *err)
{
	struct ndmsg ndm = {.ndm_family = (uint8_t)family};
	char a[INET6_ADDRSTRLEN + 8];
	struct nl_msg m;
	int r;

	if (!ifname_ok(ifname))
		return bad_ifname(err, "delete neighbour", ifname);
	if (!addr || (family != AF_INET && family != AF_INET6))
		return nl_fail(NULL, err, -EINVAL, "delete neighbour on %s", ifname);
	addr_fmt(family, addr, 255, a, sizeof(a));
	r = nl_link_index(s, ifname);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return nl_fail(s, err, r, "delete neighbour %s on %s", a, ifname);
	ndm.ndm_ifindex = r;
	m = msg_new(s, RTM_DELNEIGH, NLM_F_ACK, &ndm, sizeof(ndm));
	msg_put(&m, NDA_DST, family == AF_INET ? 4 : 16, addr);
	r = nl_talk(s, &m, NULL, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return nl_fail(s, err, r, "delete neighbour %s on %s", a, ifname);
	return 0;
}

struct overlap_ctx {
	int family;
	const uint8_t *addr;
	unsigned int plen;
	bool hit;
};

/* Do a/alen and b/blen share their first min(alen, blen) bits? */
static bool prefixes_overlap(const uint8_t *a, unsigned int alen, const uint8_t *b,
			     unsigned int blen)
{
	unsigned int n = alen < blen ? alen : blen;
	unsigned int bytes = n / 8, bits = n % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	return ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

static int overlap_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1];
	struct overlap_ctx *c = data;
	uint32_t table;

	if (nlh->nlmsg_type != RTM_NEWROUTE || !attrs_parse(nlh, sizeof(*rtm), tb, RTA_MAX))
		return 0;
	if (!attr_u32(tb[RTA_TABLE], &table))
		table = rtm->rtm_table;
	/* the default route covers everything and so says nothing */
	if (rtm->rtm_family != c->family || table != RT_TABLE_MAIN || rtm->rtm_dst_len == 0)
		return 0;
	if (!tb[RTA_DST] || mnl_attr_get_payload_len(tb[RTA_DST]) != (uint16_t)addr_len(c->family))
		return 0;
	if (prefixes_overlap(c->addr, c->plen, mnl_attr_get_payload(tb[RTA_DST]),
			     rtm->rtm_dst_len)) {
		c->hit = true;
		return 1;
	}
	return 0;
}

int nl_route_overlaps(struct nl_sock *s, int family, const void *addr, unsigned int prefixlen,
		      bool *overlaps, ward_err *err)
{
	struct rtmsg rtm = {.rtm_family = (uint8_t)family};
	struct overlap_ctx c = {.family = family, .addr = addr, .plen = prefixlen};
	char a[INET6_ADDRSTRLEN + 8];
	struct nl_msg m;
	int r;

	addr_fmt(family, addr, prefixlen, a, sizeof(a));
	r = addr_check(family, addr, prefixlen);
	if (r < 0)
		return nl_fail(NULL, err, r, "check routes for %s", a);
	/* a dump interrupted by a change may have missed a route: ask
	 * again, a few times, before trusting a "no" */
	for (int tries = 0; tries < 5; tries++) {
		c.hit = false;
		m = msg_new(s, RTM_GETROUTE, NLM_F_DUMP, &rtm, sizeof(rtm));
		r = nl_talk(s, &m, overlap_cb, &c);
		if (r < 0)
			return nl_fail(s, err, r, "check routes for %s", a);
		if (c.hit || !s->intr)
			break;
	}
	*overlaps = c.hit;
	return 0;
}

/* ------------------------------------------------------------------ */
/* sysctl */

static int sysctl_path(const char *rel, char *buf, size_t size)
{
	const char *p;

	if (!rel || !rel[0] || rel[0] == '/')
		return -EINVAL;
	/* names come from interface names, which cannot hold "/", but a
	 * ".." component must never walk out of /proc/sys/net */
	for (p = rel; p; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (startswith(p, "..") && (p[2] == '/' || p[2] == '\0'))
			return -EINVAL;
	}
	if ((size_t)snprintf(buf, size, "/proc/sys/net/%s", rel) >= size)
		return -ENAMETOOLONG;
	return 0;
}

int sysctl_net_write(const char *rel, const char *value, ward_err *err)
{
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX];
	size_t len = strlen(value);
	ssize_t n;
	int r;

	r = sysctl_path(rel, path, sizeof(path));
	if (r < 0)
		return werr(err, -r, "sysctl: net/%s", rel ? rel : "");
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return werr(err, errno, "sysctl: open %s", path);
	/* one write: procfs parses each write(2) as a whole value */
	n = write(fd, value, len);
	if (n < 0)
		return werr(err, errno, "sysctl: write \"%s\" to %s", value, path);
	if ((size_t)n != len)
		return werrx(err, EIO, "sysctl: write \"%s\" to %s: short write", value, path);
	return 0;
}

int sysctl_net_read(const char *rel, char *buf, size_t len)
{
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX];
	ssize_t n;
	int r;

	if (!buf || len == 0)
		return -EINVAL;
	buf[0] = '\0';
	r = sysctl_path(rel, path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return neg_errno();
	n = read(fd, buf, len - 1);
	if (n < 0)
		return neg_errno();
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}
