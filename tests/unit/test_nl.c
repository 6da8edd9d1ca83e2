/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rtnetlink (src/net/nl.c) against the running kernel.  Every test forks a
 * child that first unshares its network namespace and only then creates
 * links, so nothing here can reach the host's namespace; a second
 * namespace for "container" ends is made the same way and held by an fd.
 * The child checks with its own CHECK macros and exits non-zero on the
 * first failure (cmocka's asserts would unwind into the runner's copy in
 * the child).  What nl.c wrote is read back through nl_link_get() and,
 * where nl.c has no reader, through small dumps made here with libmnl,
 * or through sysfs.  Needs root (77 otherwise).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "net/nl.h"
#include "util/cleanup.h"
#include "util/strutil.h"

/* ------------------------------------------------------------------ */
/* Running in a namespace of our own */

static ward_err err;

static __attribute__((noreturn)) void fail_at(int line, const char *what, int r)
{
	fprintf(stderr, "test_nl.c:%d: %s", line, what);
	if (r)
		fprintf(stderr, " = %d (%s)", r, strerror(r < 0 ? -r : r));
	if (err.msg[0])
		fprintf(stderr, " [%s]", err.msg);
	fputc('\n', stderr);
	_exit(1);
}

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			fail_at(__LINE__, #c, 0);                                                  \
	} while (0)
/* a call that must succeed (>= 0) */
#define OK(call)                                                                                   \
	({                                                                                         \
		werr_clear(&err);                                                                  \
		int r_ = (call);                                                                   \
		if (r_ < 0)                                                                        \
			fail_at(__LINE__, #call, r_);                                              \
		r_;                                                                                \
	})
/* a call that must fail with exactly -e */
#define FAILS(call, e)                                                                             \
	do {                                                                                       \
		werr_clear(&err);                                                                  \
		int r_ = (call);                                                                   \
		if (r_ != -(e))                                                                    \
			fail_at(__LINE__, #call " != -" #e, r_);                                   \
	} while (0)

static void run_isolated(void (*body)(void), int extra_flags)
{
	int st = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* before anything else: everything below happens in here */
		if (unshare(CLONE_NEWNET | extra_flags) < 0) {
			perror("unshare");
			_exit(99);
		}
		body();
		/* exit(), not _exit(): a sanitizer build checks for leaks */
		exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static ino_t netns_ino(void)
{
	struct stat st;

	CHECK(stat("/proc/thread-self/ns/net", &st) == 0);
	return st.st_ino;
}

/* An fd of a new, empty network namespace; we stay where we are. */
static int new_netns(void)
{
	_cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int fd;

	CHECK(self >= 0);
	CHECK(unshare(CLONE_NEWNET) == 0);
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(setns(self, CLONE_NEWNET) == 0);
	return fd;
}

static int here_netns(void)
{
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0);
	return fd;
}

static struct nl_sock *open_here(void)
{
	struct nl_sock *s = NULL;

	OK(nl_open(&s, &err));
	return s;
}

static struct nl_sock *open_in(int netns)
{
	struct nl_sock *s = NULL;

	OK(nl_open_in_netns(netns, &s, &err));
	return s;
}

static struct nl_link_info link_get(struct nl_sock *s, const char *name)
{
	struct nl_link_info li;

	OK(nl_link_get(s, name, &li, &err));
	return li;
}

static void set_up(struct nl_sock *s, const char *name)
{
	struct nl_link_change c = NL_LINK_CHANGE_NONE;

	c.up = 1;
	OK(nl_link_set(s, name, &c, &err));
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ------------------------------------------------------------------ */
/* Our own small rtnetlink reader, independent of nl.c */

typedef int (*raw_cb)(const struct nlmsghdr *nlh, void *data);

/* One request on a fresh socket of the current namespace; the answer's
 * data messages go to cb.  Returns 0 or -errno from the kernel. */
static int raw_talk(uint16_t type, uint16_t flags, const void *hdr, size_t hdrlen,
		    void (*attrs)(struct nlmsghdr *nlh, const void *arg), const void *arg,
		    raw_cb cb, void *data)
{
	static char buf[32768];
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	struct nlmsghdr *nlh;
	unsigned int seq = 4242, portid;
	ssize_t n;
	int r = 0;

	CHECK(nl);
	CHECK(mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0);
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	memcpy(mnl_nlmsg_put_extra_header(nlh, hdrlen), hdr, hdrlen);
	if (attrs)
		attrs(nlh, arg);
	CHECK(mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) >= 0);
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		CHECK(n > 0);
		r = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (r <= MNL_CB_STOP)
			break;
	}
	r = r < 0 ? -errno : 0;
	mnl_socket_close(nl);
	return r;
}

struct attrs {
	const struct nlattr *tb[64];
};

static int attrs_cb(const struct nlattr *a, void *data)
{
	struct attrs *t = data;

	if (mnl_attr_get_type(a) < 64)
		t->tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static void linkname_attr(struct nlmsghdr *nlh, const void *arg)
{
	mnl_attr_put_strz(nlh, IFLA_IFNAME, arg);
}

struct kindname {
	const char *kind;
	const char *name;
};

static void newlink_attrs(struct nlmsghdr *nlh, const void *arg)
{
	const struct kindname *k = arg;
	struct nlattr *info;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, k->name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, k->kind);
	mnl_attr_nest_end(nlh, info);
}

static int no_data(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_OK;
}

/* An Ethernet link to hang macvlans and vlans on: a dummy, or an ifb on
 * kernels built without dummy. */
static void parent_add(const char *name)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct kindname k = {"dummy", name};
	uint16_t fl = NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	int r;

	r = raw_talk(RTM_NEWLINK, fl, &ifi, sizeof(ifi), newlink_attrs, &k, no_data, NULL);
	if (r == -EOPNOTSUPP) {
		k.kind = "ifb";
		r = raw_talk(RTM_NEWLINK, fl, &ifi, sizeof(ifi), newlink_attrs, &k, no_data, NULL);
	}
	CHECK(r == 0);
}

/* IFLA_INFO_DATA attribute `type` (u16 or u32) of a link */
struct info_data_q {
	uint16_t type;
	uint32_t value;
	bool found;
};

static int info_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct info_data_q *q = data;
	struct attrs a = {0}, info = {0}, d = {0};
	const struct nlattr *v;

	mnl_attr_parse(nlh, sizeof(struct ifinfomsg), attrs_cb, &a);
	if (!a.tb[IFLA_LINKINFO])
		return MNL_CB_OK;
	mnl_attr_parse_nested(a.tb[IFLA_LINKINFO], attrs_cb, &info);
	if (!info.tb[IFLA_INFO_DATA])
		return MNL_CB_OK;
	mnl_attr_parse_nested(info.tb[IFLA_INFO_DATA], attrs_cb, &d);
	if ((v = d.tb[q->type])) {
		q->found = true;
		q->value =
		    mnl_attr_get_payload_len(v) == 2 ? mnl_attr_get_u16(v) : mnl_attr_get_u32(v);
	}
	return MNL_CB_OK;
}

static uint32_t info_data(const char *link, uint16_t type)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct info_data_q q = {.type = type};

	CHECK(raw_talk(RTM_GETLINK, NLM_F_ACK, &ifi, sizeof(ifi), linkname_attr, link, info_data_cb,
		       &q) == 0);
	CHECK(q.found);
	return q.value;
}

/* An address of a link: found?, and its flags */
struct addr_q {
	int index;
	int family;
	const void *addr;
	unsigned int plen;
	bool found;
	uint32_t flags;
};

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct addr_q *q = data;
	struct attrs a = {0};
	const struct nlattr *at;
	size_t len = q->family == AF_INET ? 4 : 16;

	mnl_attr_parse(nlh, sizeof(*ifa), attrs_cb, &a);
	at = q->family == AF_INET ? a.tb[IFA_LOCAL] : a.tb[IFA_ADDRESS];
	if ((int)ifa->ifa_index != q->index || ifa->ifa_prefixlen != q->plen || !at ||
	    memcmp(mnl_attr_get_payload(at), q->addr, len) != 0)
		return MNL_CB_OK;
	q->found = true;
	q->flags = a.tb[IFA_FLAGS] ? mnl_attr_get_u32(a.tb[IFA_FLAGS]) : ifa->ifa_flags;
	return MNL_CB_OK;
}

static struct addr_q addr_find(int index, int family, const void *addr, unsigned int plen)
{
	struct ifaddrmsg ifa = {.ifa_family = (uint8_t)family};
	struct addr_q q = {.index = index, .family = family, .addr = addr, .plen = plen};

	CHECK(raw_talk(RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof(ifa), NULL, NULL, addr_cb, &q) == 0);
	return q;
}

/* The default route of a family in the main table */
struct route_q {
	bool found;
	int oif;
	uint8_t gw[16];
	unsigned int flags;
};

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct route_q *q = data;
	struct attrs a = {0};
	uint32_t table = rtm->rtm_table;

	mnl_attr_parse(nlh, sizeof(*rtm), attrs_cb, &a);
	if (a.tb[RTA_TABLE])
		table = mnl_attr_get_u32(a.tb[RTA_TABLE]);
	if (table != RT_TABLE_MAIN || rtm->rtm_dst_len != 0 || rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	q->found = true;
	q->flags = rtm->rtm_flags;
	if (a.tb[RTA_OIF])
		q->oif = (int)mnl_attr_get_u32(a.tb[RTA_OIF]);
	if (a.tb[RTA_GATEWAY])
		memcpy(q->gw, mnl_attr_get_payload(a.tb[RTA_GATEWAY]),
		       mnl_attr_get_payload_len(a.tb[RTA_GATEWAY]));
	return MNL_CB_OK;
}

static struct route_q default_route(int family)
{
	struct rtmsg rtm = {.rtm_family = (uint8_t)family};
	struct route_q q = {0};

	CHECK(raw_talk(RTM_GETROUTE, NLM_F_DUMP, &rtm, sizeof(rtm), NULL, NULL, route_cb, &q) == 0);
	return q;
}

/* Is there a proxy neighbour entry for addr on index? */
struct pneigh_q {
	int index;
	const struct in6_addr *addr;
	bool found;
};

static int pneigh_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	struct pneigh_q *q = data;
	struct attrs a = {0};

	mnl_attr_parse(nlh, sizeof(*ndm), attrs_cb, &a);
	if ((ndm->ndm_flags & NTF_PROXY) && ndm->ndm_ifindex == q->index && a.tb[NDA_DST] &&
	    memcmp(mnl_attr_get_payload(a.tb[NDA_DST]), q->addr, 16) == 0)
		q->found = true;
	return MNL_CB_OK;
}

static bool pneigh_exists(int index, const struct in6_addr *addr)
{
	struct ndmsg ndm = {.ndm_family = AF_INET6, .ndm_flags = NTF_PROXY};
	struct pneigh_q q = {index, addr, false};

	CHECK(raw_talk(RTM_GETNEIGH, NLM_F_DUMP, &ndm, sizeof(ndm), NULL, NULL, pneigh_cb, &q) ==
	      0);
	return q.found;
}

static struct in_addr ip4(const char *s)
{
	struct in_addr a;

	CHECK(inet_pton(AF_INET, s, &a) == 1);
	return a;
}

static struct in6_addr ip6(const char *s)
{
	struct in6_addr a;

	CHECK(inet_pton(AF_INET6, s, &a) == 1);
	return a;
}

static const uint8_t mac_a[6] = {0x02, 0x77, 0x61, 0x72, 0x64, 0x01};
static const uint8_t mac_b[6] = {0x02, 0x77, 0x61, 0x72, 0x64, 0x02};

/* ------------------------------------------------------------------ */

static void body_open_in_netns(void)
{
	_cleanup_close_ int other = new_netns();
	_cleanup_close_ int notnet = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
	struct nl_sock *here = open_here(), *there = NULL;
	ino_t ino = netns_ino();

	there = open_in(other);
	/* back where we were, and the socket talks to the other one */
	CHECK(netns_ino() == ino);
	OK(nl_bridge_add(there, "br-there", NULL, &err));
	CHECK(nl_link_index(there, "br-there") > 0);
	CHECK(nl_link_index(here, "br-there") == -ENODEV);
	/* if_nametoindex() would have asked this namespace */
	CHECK(if_nametoindex("br-there") == 0);

	/* a failed open leaves us where we were */
	CHECK(notnet >= 0);
	struct nl_sock *bad = NULL;
	FAILS(nl_open_in_netns(notnet, &bad, &err), EINVAL);
	CHECK(bad == NULL);
	CHECK(strstr(err.msg, "namespace"));
	CHECK(netns_ino() == ino);

	nl_close(there);
	nl_close(here);
	nl_close(NULL);
}

static void test_open_in_netns(void **state)
{
	run_isolated(body_open_in_netns, 0);
}

static void body_cloexec(void)
{
	struct nl_sock *s = open_here();
	char path[64], target[64];
	bool found = false;
	_cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	CHECK(d);
	/* the netlink socket is the only socket this child has */
	while ((e = readdir(d))) {
		ssize_t n;
		int fd;
		if (e->d_name[0] == '.')
			continue;
		fd = atoi(e->d_name);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (startswith(target, "socket:") && fd != dirfd(d)) {
			CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
			found = true;
		}
	}
	CHECK(found);
	nl_close(s);
}

static void test_cloexec(void **state)
{
	run_isolated(body_cloexec, 0);
}

static void body_bridge(void)
{
	struct nl_sock *s = open_here();
	struct nl_link_info li;

	OK(nl_bridge_add(s, "br-t0", mac_a, &err));
	li = link_get(s, "br-t0");
	CHECK(li.index > 0);
	CHECK(li.index == nl_link_index(s, "br-t0"));
	CHECK(streq(li.kind, "bridge"));
	CHECK(memcmp(li.mac, mac_a, 6) == 0);
	CHECK(!li.up);
	CHECK(li.master == 0);
	CHECK(li.mtu == 1500);
	set_up(s, "br-t0");
	CHECK(link_get(s, "br-t0").up);

	/* no MAC: the kernel's choice */
	OK(nl_bridge_add(s, "br-t1", NULL, &err));
	CHECK(streq(link_get(s, "br-t1").kind, "bridge"));
	nl_close(s);
}

static void test_bridge(void **state)
{
	run_isolated(body_bridge, 0);
}

static void body_veth_peer_netns(void)
{
	_cleanup_close_ int other = new_netns();
	struct nl_sock *s = open_here(), *c;
	struct nl_link_info host, peer;

	OK(nl_veth_add(s, "wv-web", "eth0", other, mac_b, &err));
	host = link_get(s, "wv-web");
	CHECK(streq(host.kind, "veth"));
	/* the peer is not here, under either name */
	CHECK(nl_link_index(s, "eth0") == -ENODEV);

	c = open_in(other);
	peer = link_get(c, "eth0");
	CHECK(streq(peer.kind, "veth"));
	CHECK(memcmp(peer.mac, mac_b, 6) == 0);
	CHECK(memcmp(host.mac, mac_b, 6) != 0);
	CHECK(!peer.up && !host.up);

	/* both ends in this namespace, kernel MACs */
	OK(nl_veth_add(s, "wv-x0", "wv-x1", -1, NULL, &err));
	CHECK(streq(link_get(s, "wv-x1").kind, "veth"));

	/* deleting one end takes the other, here and there */
	OK(nl_link_del(s, "wv-web", &err));
	CHECK(nl_link_index(c, "eth0") == -ENODEV);
	CHECK(nl_link_index(s, "wv-web") == -ENODEV);
	nl_close(c);
	nl_close(s);
}

static void test_veth_peer_netns(void **state)
{
	run_isolated(body_veth_peer_netns, 0);
}

/* Send one UDP datagram to 127.0.0.1 (lo must be up). */
static void udp_to_lo(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(9)};
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	sin.sin_addr = ip4("127.0.0.1");
	CHECK(fd >= 0);
	CHECK(sendto(fd, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin)) == 1);
}

static void body_link_set(void)
{
	struct nl_sock *s = open_here();
	struct nl_link_change c = NL_LINK_CHANGE_NONE;
	struct nl_link_info li, lo;
	int br;

	OK(nl_bridge_add(s, "br0", NULL, &err));
	OK(nl_veth_add(s, "wv-a", "wv-b", -1, NULL, &err));
	br = nl_link_index(s, "br0");
	CHECK(br > 0);

	/* nothing asked, nothing changed */
	li = link_get(s, "wv-a");
	OK(nl_link_set(s, "wv-a", &c, &err));
	CHECK(link_get(s, "wv-a").mtu == li.mtu);

	c.master = br;
	c.up = 1;
	c.mtu = 1400;
	c.mac = mac_a;
	OK(nl_link_set(s, "wv-a", &c, &err));
	li = link_get(s, "wv-a");
	CHECK(li.master == br);
	CHECK(li.up);
	CHECK(li.mtu == 1400);
	CHECK(memcmp(li.mac, mac_a, 6) == 0);

	c = (struct nl_link_change)NL_LINK_CHANGE_NONE;
	c.master = 0;
	c.up = 0;
	OK(nl_link_set(s, "wv-a", &c, &err));
	li = link_get(s, "wv-a");
	CHECK(li.master == 0);
	CHECK(!li.up);
	CHECK(li.mtu == 1400);

	/* rename (down) */
	c = (struct nl_link_change)NL_LINK_CHANGE_NONE;
	c.name = "wv-renamed";
	OK(nl_link_set(s, "wv-a", &c, &err));
	CHECK(nl_link_index(s, "wv-a") == -ENODEV);
	CHECK(link_get(s, "wv-renamed").index == li.index);

	/* counters: one datagram through lo */
	set_up(s, "lo");
	lo = link_get(s, "lo");
	udp_to_lo();
	li = link_get(s, "lo");
	CHECK(li.tx_packets >= lo.tx_packets + 1);
	CHECK(li.rx_packets >= lo.rx_packets + 1);
	CHECK(li.tx_bytes > lo.tx_bytes);
	CHECK(li.rx_bytes > lo.rx_bytes);
	nl_close(s);
}

static void test_link_set(void **state)
{
	run_isolated(body_link_set, 0);
}

static void body_macvlan(void)
{
	static const uint32_t modes[] = {MACVLAN_MODE_PRIVATE, MACVLAN_MODE_VEPA,
					 MACVLAN_MODE_BRIDGE, MACVLAN_MODE_PASSTHRU};
	_cleanup_close_ int other = new_netns();
	struct nl_sock *s = open_here(), *c = open_in(other);
	struct nl_link_info li;
	char parent[16], name[16];

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		/* passthru wants the parent for itself: one parent each */
		snprintf(parent, sizeof(parent), "par%zu", i);
		snprintf(name, sizeof(name), "mv%zu", i);
		parent_add(parent);
		OK(nl_macvlan_add(s, name, parent, modes[i], -1, mac_a, &err));
		li = link_get(s, name);
		CHECK(streq(li.kind, "macvlan"));
		if (modes[i] != MACVLAN_MODE_PASSTHRU)
			CHECK(memcmp(li.mac, mac_a, 6) == 0);
		CHECK(info_data(name, IFLA_MACVLAN_MODE) == modes[i]);
	}

	/* straight into another namespace, under the name it has there */
	parent_add("par-x");
	OK(nl_macvlan_add(s, "eth0", "par-x", MACVLAN_MODE_BRIDGE, other, mac_b, &err));
	CHECK(nl_link_index(s, "eth0") == -ENODEV);
	li = link_get(c, "eth0");
	CHECK(streq(li.kind, "macvlan"));
	CHECK(memcmp(li.mac, mac_b, 6) == 0);
	nl_close(c);
	nl_close(s);
}

static void test_macvlan(void **state)
{
	run_isolated(body_macvlan, 0);
}

static void body_vlan(void)
{
	struct nl_sock *s = open_here();
	int r;

	parent_add("par0");
	FAILS(nl_vlan_add(s, "par0.0", "par0", 0, -1, NULL, &err), EINVAL);
	FAILS(nl_vlan_add(s, "par0.4095", "par0", 4095, -1, NULL, &err), EINVAL);
	werr_clear(&err);
	r = nl_vlan_add(s, "par0.42", "par0", 42, -1, mac_a, &err);
	if (r == -EOPNOTSUPP) {
		/* a kernel without 8021q: the request still had to reach it */
		CHECK(strstr(err.msg, "add vlan par0.42 on par0: Operation not supported"));
		_exit(77);
	}
	CHECK(r == 0);
	CHECK(streq(link_get(s, "par0.42").kind, "vlan"));
	CHECK(memcmp(link_get(s, "par0.42").mac, mac_a, 6) == 0);
	CHECK(info_data("par0.42", IFLA_VLAN_ID) == 42);
	nl_close(s);
}

static void test_vlan(void **state)
{
	int st = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(99);
		body_vlan();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77) {
		fprintf(stderr, "test_vlan skipped: this kernel has no 802.1Q VLAN support "
				"(8021q)\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void body_move_netns(void)
{
	_cleanup_close_ int home = here_netns();
	_cleanup_close_ int other = new_netns();
	struct nl_sock *s = open_here(), *c = open_in(other);
	struct nl_link_change ch = NL_LINK_CHANGE_NONE;
	int index;

	OK(nl_veth_add(s, "wv-m0", "wv-m1", -1, NULL, &err));
	index = nl_link_index(s, "wv-m1");
	CHECK(index > 0);

	/* there as eth1 */
	ch.netns_fd = other;
	ch.name = "eth1";
	OK(nl_link_set(s, "wv-m1", &ch, &err));
	CHECK(nl_link_index(s, "wv-m1") == -ENODEV);
	CHECK(nl_link_index(s, "eth1") == -ENODEV);
	CHECK(streq(link_get(c, "eth1").kind, "veth"));

	/* and back under yet another name, up on arrival */
	ch.netns_fd = home;
	ch.name = "wv-back";
	ch.up = 1;
	OK(nl_link_set(c, "eth1", &ch, &err));
	CHECK(nl_link_index(c, "eth1") == -ENODEV);
	CHECK(link_get(s, "wv-back").up);

	/* the new name taken over there: the kernel says so */
	OK(nl_bridge_add(c, "taken", NULL, &err));
	ch = (struct nl_link_change)NL_LINK_CHANGE_NONE;
	ch.netns_fd = other;
	ch.name = "taken";
	FAILS(nl_link_set(s, "wv-back", &ch, &err), EEXIST);
	CHECK(strstr(err.msg, "set link wv-back: File exists"));
	/* the kernel moved it under its old name, then failed the rename
	 * (documented in nl.h) */
	CHECK(nl_link_index(s, "wv-back") == -ENODEV);
	CHECK(nl_link_index(c, "wv-back") > 0);
	nl_close(c);
	nl_close(s);
}

static void test_move_netns(void **state)
{
	run_isolated(body_move_netns, 0);
}

static void read_sys(const char *path, char *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	CHECK(fd >= 0);
	n = read(fd, buf, len - 1);
	CHECK(n > 0);
	buf[n] = '\0';
	strstrip(buf);
}

static void body_port_isolated(void)
{
	struct nl_sock *s = open_here();
	struct nl_link_change c = NL_LINK_CHANGE_NONE;
	char v[8];

	/* sysfs shows the namespace of whoever mounts it: ours, here */
	CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	CHECK(mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0);

	OK(nl_bridge_add(s, "br-iso", NULL, &err));
	OK(nl_veth_add(s, "wv-p", "wv-q", -1, NULL, &err));
	c.master = nl_link_index(s, "br-iso");
	OK(nl_link_set(s, "wv-p", &c, &err));
	CHECK(!link_get(s, "wv-p").isolated);

	OK(nl_bridge_port_isolated(s, "wv-p", true, &err));
	CHECK(link_get(s, "wv-p").isolated);
	read_sys("/sys/class/net/wv-p/brport/isolated", v, sizeof(v));
	CHECK(streq(v, "1"));

	OK(nl_bridge_port_isolated(s, "wv-p", false, &err));
	CHECK(!link_get(s, "wv-p").isolated);
	read_sys("/sys/class/net/wv-p/brport/isolated", v, sizeof(v));
	CHECK(streq(v, "0"));

	/* not a bridge port */
	werr_clear(&err);
	CHECK(nl_bridge_port_isolated(s, "wv-q", true, &err) < 0);
	CHECK(strstr(err.msg, "bridge port wv-q"));
	FAILS(nl_bridge_port_isolated(s, "nope", true, &err), ENODEV);
	nl_close(s);
}

static void test_port_isolated(void **state)
{
	run_isolated(body_port_isolated, CLONE_NEWNS);
}

/* veth wv-h here, up, with its peer eth0 up in `other` */
static struct nl_sock *veth_up(int other)
{
	struct nl_sock *s = open_here(), *c = open_in(other);

	OK(nl_veth_add(s, "wv-h", "eth0", other, NULL, &err));
	set_up(s, "wv-h");
	set_up(c, "eth0");
	nl_close(c);
	return s;
}

static void body_addresses(void)
{
	_cleanup_close_ int other = new_netns();
	struct nl_sock *s = veth_up(other);
	struct in_addr a4 = ip4("10.9.0.2");
	struct in6_addr a6 = ip6("fd00:9::2"), t6 = ip6("fd00:9::3");
	int idx = nl_link_index(s, "wv-h");
	struct addr_q q;

	OK(nl_addr_add(s, "wv-h", AF_INET, &a4, 24, false, &err));
	q = addr_find(idx, AF_INET, &a4, 24);
	CHECK(q.found);
	FAILS(nl_addr_add(s, "wv-h", AF_INET, &a4, 24, false, &err), EEXIST);
	CHECK(strstr(err.msg, "add address 10.9.0.2/24 to wv-h: File exists"));

	/* NODAD: usable at once, never tentative */
	OK(nl_addr_add(s, "wv-h", AF_INET6, &a6, 64, true, &err));
	q = addr_find(idx, AF_INET6, &a6, 64);
	CHECK(q.found);
	CHECK(q.flags & IFA_F_NODAD);
	CHECK(!(q.flags & IFA_F_TENTATIVE));
	/* the control: without it, a link with carrier starts tentative */
	OK(nl_addr_add(s, "wv-h", AF_INET6, &t6, 64, false, &err));
	q = addr_find(idx, AF_INET6, &t6, 64);
	CHECK(q.found);
	CHECK(q.flags & IFA_F_TENTATIVE);

	OK(nl_addr_del(s, "wv-h", AF_INET, &a4, 24, &err));
	CHECK(!addr_find(idx, AF_INET, &a4, 24).found);
	OK(nl_addr_del(s, "wv-h", AF_INET6, &a6, 64, &err));
	CHECK(!addr_find(idx, AF_INET6, &a6, 64).found);
	/* gone already, or its link gone: fine */
	OK(nl_addr_del(s, "wv-h", AF_INET, &a4, 24, &err));
	OK(nl_addr_del(s, "wv-h", AF_INET6, &a6, 64, &err));
	OK(nl_addr_del(s, "nope", AF_INET6, &a6, 64, &err));

	FAILS(nl_addr_add(s, "wv-h", AF_INET, &a4, 33, false, &err), EINVAL);
	FAILS(nl_addr_add(s, "wv-h", AF_UNIX, &a4, 8, false, &err), EAFNOSUPPORT);
	FAILS(nl_addr_add(s, "nope", AF_INET, &a4, 24, false, &err), ENODEV);
	CHECK(strstr(err.msg, "nope"));
	nl_close(s);
}

static void test_addresses(void **state)
{
	run_isolated(body_addresses, 0);
}

static void body_routes(void)
{
	_cleanup_close_ int other = new_netns();
	struct nl_sock *s = veth_up(other);
	int idx = nl_link_index(s, "wv-h");
	struct in_addr a4 = ip4("10.9.0.2"), gw4 = ip4("10.9.0.1"), far4 = ip4("192.0.2.1");
	struct in6_addr a6 = ip6("fd00:9::2"), ll6 = ip6("fe80::1"), far6 = ip6("2001:db8:ff::1");
	struct route_q q;

	CHECK(!default_route(AF_INET).found);
	OK(nl_addr_add(s, "wv-h", AF_INET, &a4, 24, false, &err));
	OK(nl_route_default(s, AF_INET, &gw4, "wv-h", &err));
	q = default_route(AF_INET);
	CHECK(q.found && q.oif == idx);
	CHECK(memcmp(q.gw, &gw4, 4) == 0);

	/* a gateway outside every prefix of the link (routed /32 style);
	 * it replaces the first */
	OK(nl_route_default(s, AF_INET, &far4, "wv-h", &err));
	q = default_route(AF_INET);
	CHECK(q.found && q.oif == idx);
	CHECK(memcmp(q.gw, &far4, 4) == 0);

	/* IPv6: a link-local gateway */
	OK(nl_addr_add(s, "wv-h", AF_INET6, &a6, 64, true, &err));
	OK(nl_route_default(s, AF_INET6, &ll6, "wv-h", &err));
	q = default_route(AF_INET6);
	CHECK(q.found && q.oif == idx);
	CHECK(memcmp(q.gw, &ll6, 16) == 0);
	/* and a global one outside the link's prefix */
	OK(nl_route_default(s, AF_INET6, &far6, "wv-h", &err));
	q = default_route(AF_INET6);
	CHECK(q.found && q.oif == idx);
	CHECK(memcmp(q.gw, &far6, 16) == 0);

	FAILS(nl_route_default(s, AF_INET, &gw4, "nope", &err), ENODEV);
	CHECK(strstr(err.msg, "default route via 10.9.0.1 dev nope: No such device"));
	nl_close(s);
}

static void test_routes(void **state)
{
	run_isolated(body_routes, 0);
}

static void body_routes_v6_only_ll(void)
{
	/* a link with nothing but its link-local address */
	_cleanup_close_ int other = new_netns();
	struct nl_sock *s = veth_up(other);
	struct in6_addr ll6 = ip6("fe80::1");

	OK(nl_route_default(s, AF_INET6, &ll6, "wv-h", &err));
	CHECK(default_route(AF_INET6).found);
	nl_close(s);
}

static void test_routes_v6_only_ll(void **state)
{
	run_isolated(body_routes_v6_only_ll, 0);
}

static void body_neigh_proxy(void)
{
	_cleanup_close_ int other = new_netns();
	struct nl_sock *s = veth_up(other);
	struct in6_addr a = ip6("fd00:9::42");
	int idx = nl_link_index(s, "wv-h");

	CHECK(!pneigh_exists(idx, &a));
	OK(nl_neigh_proxy(s, "wv-h", &a, true, &err));
	CHECK(pneigh_exists(idx, &a));
	/* again: replaced, not an error */
	OK(nl_neigh_proxy(s, "wv-h", &a, true, &err));
	OK(nl_neigh_proxy(s, "wv-h", &a, false, &err));
	CHECK(!pneigh_exists(idx, &a));
	OK(nl_neigh_proxy(s, "wv-h", &a, false, &err));
	OK(nl_neigh_proxy(s, "nope", &a, false, &err));
	FAILS(nl_neigh_proxy(s, "nope", &a, true, &err), ENODEV);
	nl_close(s);
}

static void test_neigh_proxy(void **state)
{
	run_isolated(body_neigh_proxy, 0);
}

static bool overlaps4(struct nl_sock *s, const char *a, unsigned int plen)
{
	struct in_addr x = ip4(a);
	bool o = false;

	OK(nl_route_overlaps(s, AF_INET, &x, plen, &o, &err));
	return o;
}

static bool overlaps6(struct nl_sock *s, const char *a, unsigned int plen)
{
	struct in6_addr x = ip6(a);
	bool o = true;

	OK(nl_route_overlaps(s, AF_INET6, &x, plen, &o, &err));
	return o;
}

static void body_overlap(void)
{
	_cleanup_close_ int other = new_netns();
	struct nl_sock *s = veth_up(other);
	struct in_addr a4 = ip4("10.77.0.1"), gw4 = ip4("10.77.0.254"), bad = ip4("1.2.3.4");
	struct in6_addr a6 = ip6("fd00:1:2:3::1");
	bool o;

	CHECK(!overlaps4(s, "10.77.0.0", 16));
	OK(nl_addr_add(s, "wv-h", AF_INET, &a4, 16, false, &err));
	OK(nl_route_default(s, AF_INET, &gw4, "wv-h", &err));
	CHECK(overlaps4(s, "10.77.0.0", 16)); /* the same */
	CHECK(overlaps4(s, "10.77.5.0", 24)); /* inside */
	CHECK(overlaps4(s, "10.0.0.0", 8));   /* around */
	CHECK(overlaps4(s, "10.77.255.255", 32));
	CHECK(!overlaps4(s, "10.78.0.0", 16)); /* next door */
	CHECK(!overlaps4(s, "10.76.0.0", 16));
	CHECK(overlaps4(s, "10.76.0.0", 15));   /* 10.76.0.0-10.77.255.255 */
	CHECK(!overlaps4(s, "172.16.0.0", 12)); /* the default route is not counted */
	CHECK(!overlaps4(s, "192.168.0.0", 16));

	OK(nl_addr_add(s, "wv-h", AF_INET6, &a6, 64, true, &err));
	CHECK(overlaps6(s, "fd00:1:2:3::", 64));
	CHECK(overlaps6(s, "fd00:1::", 32));
	CHECK(overlaps6(s, "fd00:1:2:3:4::", 80));
	CHECK(!overlaps6(s, "fd00:1:2:4::", 64));
	CHECK(!overlaps6(s, "fd00:2::", 48));
	/* fe80::/64 of the link is a route too */
	CHECK(overlaps6(s, "fe80::", 10));

	FAILS(nl_route_overlaps(s, AF_INET, &bad, 40, &o, &err), EINVAL);
	FAILS(nl_route_overlaps(s, AF_PACKET, &bad, 8, &o, &err), EAFNOSUPPORT);
	nl_close(s);
}

static void test_overlap(void **state)
{
	run_isolated(body_overlap, 0);
}

static int count_cb(const char *name, int index, const char *kind, void *data)
{
	int *n = data;

	CHECK(index > 0);
	if (streq(name, "br-e"))
		CHECK(streq(kind, "bridge"));
	if (startswith(name, "wv-e"))
		CHECK(streq(kind, "veth"));
	if (streq(name, "lo"))
		CHECK(streq(kind, ""));
	(*n)++;
	return 0;
}

static int stop_cb(const char *name, int index, const char *kind, void *data)
{
	(*(int *)data)++;
	return 1;
}

static int fail_cb(const char *name, int index, const char *kind, void *data)
{
	(*(int *)data)++;
	return -EPERM;
}

static void body_link_each(void)
{
	struct nl_sock *s = open_here();
	char name[16];
	int n = 0;

	OK(nl_bridge_add(s, "br-e", NULL, &err));
	FAILS(nl_veth_add(s, "wv-e0", "", -1, NULL, &err), EINVAL);
	/* enough links for the dump to span several datagrams */
	for (int i = 0; i < 60; i++) {
		char peer[16];
		snprintf(name, sizeof(name), "wv-e%da", i);
		snprintf(peer, sizeof(peer), "wv-e%db", i);
		OK(nl_veth_add(s, name, peer, -1, NULL, &err));
	}
	OK(nl_link_each(s, count_cb, &n, &err));
	CHECK(n == 1 + 1 + 120);

	n = 0;
	OK(nl_link_each(s, stop_cb, &n, &err));
	CHECK(n == 1);
	n = 0;
	FAILS(nl_link_each(s, fail_cb, &n, &err), EPERM);
	CHECK(n == 1);
	/* and the socket is still in step after a walk cut short */
	CHECK(nl_link_index(s, "br-e") > 0);
	n = 0;
	OK(nl_link_each(s, count_cb, &n, &err));
	CHECK(n == 122);
	nl_close(s);
}

static void test_link_each(void **state)
{
	run_isolated(body_link_each, 0);
}

static void body_errors(void)
{
	struct nl_sock *s = open_here();
	struct nl_link_info li;

	OK(nl_veth_add(s, "wv-web", "wv-web-c", -1, NULL, &err));
	FAILS(nl_veth_add(s, "wv-web", "other", -1, NULL, &err), EEXIST);
	CHECK(streq(err.msg, "netlink: add veth wv-web (peer other): File exists"));
	CHECK(err.code == EEXIST);
	OK(nl_bridge_add(s, "br-e", NULL, &err));
	FAILS(nl_bridge_add(s, "br-e", NULL, &err), EEXIST);
	CHECK(startswith(err.msg, "netlink: add bridge br-e: File exists"));

	OK(nl_link_del(s, "not-there", &err));
	OK(nl_link_del(s, "br-e", &err));
	OK(nl_link_del(s, "br-e", &err));

	FAILS(nl_macvlan_add(s, "mv0", "no-parent", MACVLAN_MODE_BRIDGE, -1, NULL, &err), ENODEV);
	CHECK(streq(err.msg, "netlink: add macvlan mv0: parent no-parent: No such device"));
	FAILS(nl_vlan_add(s, "v0", "no-parent", 5, -1, NULL, &err), ENODEV);

	FAILS(nl_link_get(s, "not-there", &li, &err), ENODEV);
	CHECK(streq(err.msg, "netlink: get link not-there: No such device"));
	CHECK(nl_link_index(s, "not-there") == -ENODEV);
	CHECK(nl_link_index(s, "a-name-longer-than-15") == -EINVAL);
	FAILS(nl_bridge_add(s, "a-name-longer-than-15", NULL, &err), EINVAL);
	CHECK(strstr(err.msg, "a-name-longer-than-15"));
	FAILS(nl_bridge_add(s, "", NULL, &err), EINVAL);
	/* the kernel's own refusal of a name, with its reason */
	FAILS(nl_bridge_add(s, "a/b", NULL, &err), EINVAL);
	CHECK(strstr(err.msg, "add bridge a/b: Invalid argument"));

	struct nl_link_change c = NL_LINK_CHANGE_NONE;
	c.mtu = 100000;
	FAILS(nl_link_set(s, "wv-web", &c, &err), EINVAL);
	CHECK(startswith(err.msg, "netlink: set link wv-web: Invalid argument"));
	c = (struct nl_link_change)NL_LINK_CHANGE_NONE;
	c.up = 1;
	FAILS(nl_link_set(s, "not-there", &c, &err), ENODEV);
	nl_close(s);
}

static void test_errors(void **state)
{
	run_isolated(body_errors, 0);
}

static void body_recreate(void)
{
	_cleanup_close_ int other = new_netns();
	struct nl_sock *s = open_here(), *c = open_in(other);

	OK(nl_bridge_add(s, "br0", NULL, &err));
	for (int i = 0; i < 100; i++) {
		struct nl_link_change ch = NL_LINK_CHANGE_NONE;
		/* the peer keeps its name in the other namespace too: the
		 * next add fails with EEXIST unless both are gone */
		OK(nl_veth_add(s, "wv-web", "eth0", other, mac_b, &err));
		ch.master = nl_link_index(s, "br0");
		ch.up = 1;
		OK(nl_link_set(s, "wv-web", &ch, &err));
		set_up(c, "eth0");
		OK(nl_link_del(s, "wv-web", &err));
		CHECK(nl_link_index(s, "wv-web") == -ENODEV);
		CHECK(nl_link_index(c, "eth0") == -ENODEV);
	}
	/* the same from the container's side, deleting the peer */
	for (int i = 0; i < 100; i++) {
		OK(nl_veth_add(s, "wv-web", "eth0", other, NULL, &err));
		OK(nl_link_del(c, "eth0", &err));
	}
	nl_close(c);
	nl_close(s);
}

static void test_recreate(void **state)
{
	run_isolated(body_recreate, 0);
}

/* One container's worth of calls, as the runtime makes them, timed. */
static void body_timing(void)
{
	enum { N = 100 };
	_cleanup_close_ int other = new_netns();
	struct nl_sock *s = open_here(), *c = open_in(other);
	struct in_addr a4 = ip4("10.88.0.2"), gw4 = ip4("10.88.0.1");
	struct in6_addr a6 = ip6("fd00:88::2"), gw6 = ip6("fd00:88::1");
	double t[6] = {0}, t0;

	OK(nl_bridge_add(s, "br0", NULL, &err));
	set_up(s, "br0");
	for (int i = 0; i < N; i++) {
		struct nl_link_change ch = NL_LINK_CHANGE_NONE;
		struct nl_sock *cc;

		t0 = now_ms();
		cc = open_in(other);
		t[0] += now_ms() - t0;
		nl_close(cc);

		t0 = now_ms();
		OK(nl_veth_add(s, "wv-web", "eth0", other, mac_b, &err));
		t[1] += now_ms() - t0;
		t0 = now_ms();
		ch.master = nl_link_index(s, "br0");
		ch.up = 1;
		OK(nl_link_set(s, "wv-web", &ch, &err));
		set_up(c, "lo");
		set_up(c, "eth0");
		t[2] += now_ms() - t0;
		t0 = now_ms();
		OK(nl_addr_add(c, "eth0", AF_INET, &a4, 24, false, &err));
		OK(nl_addr_add(c, "eth0", AF_INET6, &a6, 64, true, &err));
		t[3] += now_ms() - t0;
		t0 = now_ms();
		OK(nl_route_default(c, AF_INET, &gw4, "eth0", &err));
		OK(nl_route_default(c, AF_INET6, &gw6, "eth0", &err));
		t[4] += now_ms() - t0;

		t0 = now_ms();
		OK(nl_link_del(s, "wv-web", &err));
		t[5] += now_ms() - t0;
	}
	fprintf(stderr,
		"timing, mean of %d, ms: nl_open_in_netns %.3f | veth (peer in netns) %.3f + "
		"attach to bridge, up both ends and lo %.3f + 2 addresses %.3f + 2 default routes "
		"%.3f = %.3f | nl_link_del %.3f\n",
		N, t[0] / N, t[1] / N, t[2] / N, t[3] / N, t[4] / N,
		(t[1] + t[2] + t[3] + t[4]) / N, t[5] / N);
	nl_close(c);
	nl_close(s);
}

static void test_timing(void **state)
{
	run_isolated(body_timing, 0);
}

static void body_sysctl(void)
{
	char buf[32];

	/* a fresh namespace: its own value, not the host's */
	CHECK(sysctl_net_read("ipv4/conf/all/forwarding", buf, sizeof(buf)) == 0);
	CHECK(streq(buf, "0"));
	OK(sysctl_net_write("ipv4/conf/all/forwarding", "1", &err));
	CHECK(sysctl_net_read("ipv4/conf/all/forwarding", buf, sizeof(buf)) == 0);
	CHECK(streq(buf, "1"));
	OK(sysctl_net_write("ipv4/conf/lo/forwarding", "1\n", &err));

	FAILS(sysctl_net_write("ipv4/conf/nope/forwarding", "1", &err), ENOENT);
	CHECK(streq(err.msg, "sysctl: open /proc/sys/net/ipv4/conf/nope/forwarding: No such file "
			     "or directory"));
	FAILS(sysctl_net_write("ipv4/conf/all/forwarding", "x", &err), EINVAL);
	CHECK(strstr(err.msg, "write \"x\" to /proc/sys/net/ipv4/conf/all/forwarding"));
	FAILS(sysctl_net_write("../kernel/hostname", "x", &err), EINVAL);
	FAILS(sysctl_net_write("ipv4/../../kernel/hostname", "x", &err), EINVAL);
	FAILS(sysctl_net_write("/ipv4/ip_forward", "1", &err), EINVAL);
	CHECK(sysctl_net_read("ipv4/conf/nope/forwarding", buf, sizeof(buf)) == -ENOENT);
	CHECK(sysctl_net_read("../kernel/hostname", buf, sizeof(buf)) == -EINVAL);
	CHECK(sysctl_net_read("ipv4/ip_forward", buf, 0) == -EINVAL);
}

static void test_sysctl(void **state)
{
	run_isolated(body_sysctl, 0);
}

static bool can_unshare(void)
{
	int st = 0;
	pid_t pid = fork();

	if (pid < 0)
		return false;
	if (pid == 0)
		_exit(unshare(CLONE_NEWNET | CLONE_NEWNS) == 0 ? 0 : 1);
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_in_netns), cmocka_unit_test(test_cloexec),
	    cmocka_unit_test(test_bridge),        cmocka_unit_test(test_veth_peer_netns),
	    cmocka_unit_test(test_link_set),      cmocka_unit_test(test_macvlan),
	    cmocka_unit_test(test_vlan),          cmocka_unit_test(test_move_netns),
	    cmocka_unit_test(test_port_isolated), cmocka_unit_test(test_addresses),
	    cmocka_unit_test(test_routes),        cmocka_unit_test(test_routes_v6_only_ll),
	    cmocka_unit_test(test_neigh_proxy),   cmocka_unit_test(test_overlap),
	    cmocka_unit_test(test_link_each),     cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_recreate),      cmocka_unit_test(test_timing),
	    cmocka_unit_test(test_sysctl),
	};

	if (geteuid() != 0 || !can_unshare())
		return 77;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
