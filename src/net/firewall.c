/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ward's nftables firewall: the static ruleset, networks and containers.
 * The static part is text run through libnftables once; everything per
 * network and per container is a libnftnl batch (firewall_nl.c).  The
 * layout and the reasons behind it are in docs/firewall.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <nftables/libnftables.h>

#include "net/firewall.h"
#include "net/firewall_nl.h"
#include "util/cleanup.h"
#include "util/dynlib.h"
#include "util/strutil.h"

/* libnftables makes only ward's tables (once per network or bridge); it
 * is loaded then, not with every ward command (see util/dynlib.h). */
#define NFT_FUNCS(X)                                                                               \
	X(nft_ctx_new)                                                                             \
	X(nft_ctx_free)                                                                            \
	X(nft_ctx_buffer_output)                                                                   \
	X(nft_ctx_buffer_error)                                                                    \
	X(nft_ctx_get_error_buffer)                                                                \
	X(nft_run_cmd_from_buffer)

static struct {
#define NFT_PTR(f) __typeof__(f) *f;
	NFT_FUNCS(NFT_PTR)
#undef NFT_PTR
} nftlib;

static int nftlib_load(ward_err *err)
{
	static void *lib;
#define NFT_SYM(f) {#f, (void **)&nftlib.f},
	static const struct dynlib_sym syms[] = {NFT_FUNCS(NFT_SYM)};
#undef NFT_SYM
	int r = dynlib_load(&lib, "libnftables.so.1", "libnftables (Debian: libnftables1)", syms,
			    ARRAY_SIZE(syms), err);

	return r < 0 ? werr_wrap(err, "firewall") : 0;
}

#define nft_ctx_new              nftlib.nft_ctx_new
#define nft_ctx_free             nftlib.nft_ctx_free
#define nft_ctx_buffer_output    nftlib.nft_ctx_buffer_output
#define nft_ctx_buffer_error     nftlib.nft_ctx_buffer_error
#define nft_ctx_get_error_buffer nftlib.nft_ctx_get_error_buffer
#define nft_run_cmd_from_buffer  nftlib.nft_run_cmd_from_buffer

/*
 * The static ruleset.  Everything that varies per network or container is
 * looked up in the sets and maps declared here; the rules never change.
 *
 * Notes on nft 1.0.6 and this kernel: `fwd` is a keyword; there is no
 * `icmpv6 taddr`, so the neighbour-advert target is matched as raw
 * transport-header bits; the bridge family has no conntrack, so the bridge
 * table is stateless; element counters do not count lookups, so counters
 * are named objects picked through objref maps.  With br_netfilter (built
 * in here, on by default in every namespace) frames bridged between two
 * ports of one bridge pass the inet forward hook as bridge -> bridge, which
 * is what open_self lets through for networks without isolation.
 */
static const char inet_body[] =
    "set bridges { type ifname; }\n"
    "set open_self { type ifname . ifname; }\n"
    "set isolated_self { type ifname . ifname; }\n"
    "set nets4 { type ipv4_addr; flags interval; }\n"
    "set nets6 { type ipv6_addr; flags interval; }\n"
    "set nat_nets4 { type ipv4_addr; flags interval; }\n"
    "set nat_nets6 { type ipv6_addr; flags interval; }\n"
    "set nat_uplink4 { type ipv4_addr . ifname; flags interval; }\n"
    "set nat_uplink6 { type ipv6_addr . ifname; flags interval; }\n"
    "set egress_any4 { type ipv4_addr; }\n"
    "set egress_any6 { type ipv6_addr; }\n"
    "set egress_svc4 { type ipv4_addr . inet_proto . inet_service; }\n"
    "set egress_svc6 { type ipv6_addr . inet_proto . inet_service; }\n"
    "set egress_dst4 { type ipv4_addr . ipv4_addr; }\n"
    "set egress_dst6 { type ipv6_addr . ipv6_addr; }\n"
    "set egress_dstsvc4 { type ipv4_addr . ipv4_addr . inet_proto . inet_service; }\n"
    "set egress_dstsvc6 { type ipv6_addr . ipv6_addr . inet_proto . inet_service; }\n"
    "set host_svc4 { type ipv4_addr . inet_proto . inet_service; }\n"
    "set host_svc6 { type ipv6_addr . inet_proto . inet_service; }\n"
    "map egress_chain4 { type ipv4_addr : verdict; }\n"
    "map egress_chain6 { type ipv6_addr : verdict; }\n"
    "map publish_any4 { type inet_proto . inet_service : ipv4_addr . inet_service; }\n"
    "map publish_any6 { type inet_proto . inet_service : ipv6_addr . inet_service; }\n"
    "map publish_host4 { type ipv4_addr . inet_proto . inet_service : "
    "ipv4_addr . inet_service; }\n"
    "map publish_host6 { type ipv6_addr . inet_proto . inet_service : "
    "ipv6_addr . inet_service; }\n"
    "set published4 { type ipv4_addr . inet_proto . inet_service; }\n"
    "set published6 { type ipv6_addr . inet_proto . inet_service; }\n"
    "map egress_ctr4 { type ipv4_addr : counter; }\n"
    "map egress_ctr6 { type ipv6_addr : counter; }\n"
    "map inbound_ctr4 { type ipv4_addr : counter; }\n"
    "map inbound_ctr6 { type ipv6_addr : counter; }\n"
    "map netlog4 { type ipv4_addr : verdict; }\n"
    "map netlog6 { type ipv6_addr : verdict; }\n"
    "map netlog_in4 { type ipv4_addr : verdict; }\n"
    "map netlog_in6 { type ipv6_addr : verdict; }\n"
    /* published ports: to any local address, or to one host address */
    "chain nat_pre {\n"
    " type nat hook prerouting priority dstnat; policy accept;\n"
    " fib daddr type local dnat ip to meta l4proto . th dport map @publish_any4\n"
    " fib daddr type local dnat ip6 to meta l4proto . th dport map @publish_any6\n"
    " dnat ip to ip daddr . meta l4proto . th dport map @publish_host4\n"
    " dnat ip6 to ip6 daddr . meta l4proto . th dport map @publish_host6\n"
    "}\n"
    /* the same for the host's own connections (nft 1.0.6 has no name for
     * -100 on the output hook) */
    "chain nat_out {\n"
    " type nat hook output priority -100; policy accept;\n"
    " fib daddr type local dnat ip to meta l4proto . th dport map @publish_any4\n"
    " fib daddr type local dnat ip6 to meta l4proto . th dport map @publish_any6\n"
    " dnat ip to ip daddr . meta l4proto . th dport map @publish_host4\n"
    " dnat ip6 to ip6 daddr . meta l4proto . th dport map @publish_host6\n"
    "}\n"
    /* hairpin (a container to a published port of its own bridge: the reply
     * must come back through the host), the host through 127.0.0.1
     * (route_localnet), and --nat networks */
    "chain nat_post {\n"
    " type nat hook postrouting priority srcnat; policy accept;\n"
    " oifname @bridges ct status dnat ip saddr @nets4 masquerade\n"
    " oifname @bridges ct status dnat ip6 saddr @nets6 masquerade\n"
    " oifname @bridges ip saddr 127.0.0.0/8 masquerade\n"
    " oifname != @bridges ip saddr @nat_nets4 masquerade\n"
    " oifname != @bridges ip6 saddr @nat_nets6 masquerade\n"
    " ip saddr . oifname @nat_uplink4 masquerade\n"
    " ip6 saddr . oifname @nat_uplink6 masquerade\n"
    "}\n"
    /* a container's allow-list: accepts, or returns */
    "chain allow_out {\n"
    " ip saddr @egress_any4 accept\n"
    " ip6 saddr @egress_any6 accept\n"
    " ip saddr . meta l4proto . th dport @egress_svc4 accept\n"
    " ip6 saddr . meta l4proto . th dport @egress_svc6 accept\n"
    " ip saddr . ip daddr @egress_dst4 accept\n"
    " ip6 saddr . ip6 daddr @egress_dst6 accept\n"
    " ip saddr . ip daddr . meta l4proto . th dport @egress_dstsvc4 accept\n"
    " ip6 saddr . ip6 daddr . meta l4proto . th dport @egress_dstsvc6 accept\n"
    " ip saddr vmap @egress_chain4\n"
    " ip6 saddr vmap @egress_chain6\n"
    "}\n"
    "chain drop_out {\n"
    " ip saddr vmap @netlog4\n"
    " ip6 saddr vmap @netlog6\n"
    " counter name ip saddr map @egress_ctr4\n"
    " counter name ip6 saddr map @egress_ctr6\n"
    " drop\n"
    "}\n"
    "chain drop_in {\n"
    " ip daddr vmap @netlog_in4\n"
    " ip6 daddr vmap @netlog_in6\n"
    " counter name ip daddr map @inbound_ctr4\n"
    " counter name ip6 daddr map @inbound_ctr6\n"
    " drop\n"
    "}\n"
    "chain to_ward {\n"
    " ct status dnat accept\n"
    " iifname . oifname @open_self accept\n"
    " iifname . oifname @isolated_self ip daddr . meta l4proto . th dport @published4 accept\n"
    " iifname . oifname @isolated_self ip6 daddr . meta l4proto . th dport @published6 accept\n"
    " iifname . oifname @isolated_self jump allow_out\n"
    " goto drop_in\n"
    "}\n"
    "chain from_ward {\n"
    " jump allow_out\n"
    " goto drop_out\n"
    "}\n"
    "chain forward {\n"
    " type filter hook forward priority filter; policy accept;\n"
    " ct state established,related accept\n"
    " oifname @bridges goto to_ward\n"
    " iifname @bridges goto from_ward\n"
    "}\n"
    "chain host_in {\n"
    " ct state established,related accept\n"
    " icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept\n"
    " ip saddr . meta l4proto . th dport @host_svc4 accept\n"
    " ip6 saddr . meta l4proto . th dport @host_svc6 accept\n"
    " ip saddr @egress_any4 accept\n"
    " ip6 saddr @egress_any6 accept\n"
    " goto drop_out\n"
    "}\n"
    "chain input {\n"
    " type filter hook input priority filter; policy accept;\n"
    " iifname @bridges goto host_in\n"
    "}\n"
    "chain host_out {\n"
    " ct status dnat accept\n"
    " goto drop_in\n"
    "}\n"
    "chain output {\n"
    " type filter hook output priority filter; policy accept;\n"
    " oifname @bridges ct state new goto host_out\n"
    "}\n";

/*
 * Anti-spoofing on the container ports, before anything else sees a frame.
 * An IPv6 host sends neighbour solicitations (DAD) and, per RFC 3590, MLD
 * reports from :: while its link-local address is still tentative; both
 * pass, everything else must carry one of the port's own addresses.  A
 * frame from a ward veth ("wv-*") that is not (any more) a container's port
 * is dropped: a stopped container's veth, which the kernel frees in the
 * background, passes nothing meanwhile.
 */
static const char bridge_body[] =
    "set ports { type ifname; }\n"
    "set port_mac { type ifname . ether_addr; }\n"
    "set port_ip4 { type ifname . ipv4_addr; }\n"
    "set port_ip6 { type ifname . ipv6_addr; }\n"
    "set port_na6 { typeof iifname . @th,64,128; }\n"
    "map spoof_ctr { type ifname : counter; }\n"
    "map spoof_log { type ifname : verdict; }\n"
    "chain prerouting {\n"
    " type filter hook prerouting priority -300; policy accept;\n"
    " iifname @ports goto port\n"
    " iifname \"wv-*\" drop\n"
    "}\n"
    "chain port {\n"
    " iifname . ether saddr != @port_mac goto spoof\n"
    " ether type arp goto port_arp\n"
    " ether type ip goto port_ip4\n"
    " ether type ip6 goto port_ip6\n"
    " goto spoof\n"
    "}\n"
    "chain port_arp {\n"
    " iifname . arp saddr ether != @port_mac goto spoof\n"
    " iifname . arp saddr ip != @port_ip4 goto spoof\n"
    "}\n"
    "chain port_ip4 {\n"
    " iifname . ip saddr != @port_ip4 goto spoof\n"
    " udp sport 67 goto spoof\n"
    "}\n"
    "chain port_ip6 {\n"
    " icmpv6 type { nd-router-advert, nd-redirect } goto spoof\n"
    " udp sport 547 goto spoof\n"
    " ip6 saddr :: icmpv6 type { nd-neighbor-solicit, mld2-listener-report } return\n"
    " iifname . ip6 saddr != @port_ip6 goto spoof\n"
    " icmpv6 type nd-neighbor-advert iifname . @th,64,128 != @port_na6 goto spoof\n"
    "}\n"
    "chain spoof {\n"
    " iifname vmap @spoof_log\n"
    " counter name iifname map @spoof_ctr\n"
    " drop\n"
    "}\n";

/* Every set of each table, for fw_container_purge(). */
static const char *const inet_sets[] = {
    "bridges",        "open_self",      "isolated_self", "nets4",         "nets6",
    "nat_nets4",      "nat_nets6",      "nat_uplink4",   "nat_uplink6",   "egress_any4",
    "egress_any6",    "egress_svc4",    "egress_svc6",   "egress_dst4",   "egress_dst6",
    "egress_dstsvc4", "egress_dstsvc6", "host_svc4",     "host_svc6",     "egress_chain4",
    "egress_chain6",  "publish_any4",   "publish_any6",  "publish_host4", "publish_host6",
    "published4",     "published6",     "egress_ctr4",   "egress_ctr6",   "inbound_ctr4",
    "inbound_ctr6",   "netlog4",        "netlog6",       "netlog_in4",    "netlog_in6",
};
static const char *const bridge_sets[] = {
    "ports", "port_mac", "port_ip4", "port_ip6", "port_na6", "spoof_ctr", "spoof_log",
};

static const struct fw_table {
	int family;
	const char *name; /* nft's name of the family */
	const char *body;
} tables[] = {
    {NFPROTO_INET, "inet", inet_body},
    {NFPROTO_BRIDGE, "bridge", bridge_body},
};

struct fw_ctx {
	struct fw_nl nl;
	struct nft_ctx *nft; /* only to create the tables, made on demand */
	dev_t ns_dev;        /* the network namespace of fw_open() */
	ino_t ns_ino;
};

static int netns_id(dev_t *dev, ino_t *ino)
{
	struct stat st;

	if (stat("/proc/thread-self/ns/net", &st) < 0)
		return neg_errno();
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

int fw_open(struct fw_ctx **out, ward_err *err)
{
	struct fw_ctx *fw = calloc(1, sizeof(*fw));
	int r;

	if (!fw)
		return werr(err, ENOMEM, "firewall: open");
	r = netns_id(&fw->ns_dev, &fw->ns_ino);
	if (r < 0) {
		free(fw);
		return werr(err, -r, "firewall: open: /proc/thread-self/ns/net");
	}
	r = fw_nl_open(&fw->nl, err);
	if (r < 0) {
		free(fw);
		return r;
	}
	*out = fw;
	return 0;
}

void fw_close(struct fw_ctx *fw)
{
	if (!fw)
		return;
	if (fw->nft)
		nft_ctx_free(fw->nft);
	fw_nl_close(&fw->nl);
	free(fw);
}

/* ---- the static ruleset ---- */

/* The table's comment tells that it is complete and of this exact layout:
 * it is set in the transaction that creates the table with all its
 * content, and it carries a hash of that content. */
static void table_mark(const struct fw_table *t, char *buf, size_t len)
{
	uint64_t h = 14695981039346656037ull;

	for (const char *p = t->body; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 1099511628211ull;
	}
	snprintf(buf, len, "ward %016llx", (unsigned long long)h);
}

/* libnftables' report, first line, without its "Error: " */
static void nft_first_error(struct nft_ctx *nft, char *buf, size_t len)
{
	const char *e = nft_ctx_get_error_buffer(nft);
	size_t n;

	if (!e || !*e)
		e = "failed";
	if (startswith(e, "Error: "))
		e += strlen("Error: ");
	n = strcspn(e, "\n");
	snprintf(buf, len, "%.*s", (int)n, e);
}

static int nft_ctx_get(struct fw_ctx *fw, ward_err *err)
{
	dev_t dev;
	ino_t ino;
	int r;

	if (fw->nft)
		return 0;
	/* libnftables opens its socket now, in the current namespace */
	r = netns_id(&dev, &ino);
	if (r < 0)
		return werr(err, -r, "firewall: /proc/thread-self/ns/net");
	if (dev != fw->ns_dev || ino != fw->ns_ino)
		return werrx(err, EXDEV,
			     "firewall: called in another network namespace than "
			     "fw_open()");
	r = nftlib_load(err);
	if (r < 0)
		return r;
	fw->nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!fw->nft)
		return werr(err, ENOMEM, "firewall: libnftables context");
	if (nft_ctx_buffer_output(fw->nft) < 0 || nft_ctx_buffer_error(fw->nft) < 0) {
		nft_ctx_free(fw->nft);
		fw->nft = NULL;
		return werr(err, ENOMEM, "firewall: libnftables buffers");
	}
	return 0;
}

/* 1: the table exists with this layout; 0: it does not exist */
static int table_check(struct fw_ctx *fw, const struct fw_table *t, ward_err *err)
{
	char mark[32], comment[FW_COMMENT_MAX];
	int r;

	r = fw_nl_table_comment(&fw->nl, t->family, comment, sizeof(comment));
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return werr(err, -r, "firewall: get table %s ward", t->name);
	table_mark(t, mark, sizeof(mark));
	if (!streq(comment, mark))
		return werrx(err, EEXIST,
			     "firewall: table %s ward exists but is not this version's (\"%s\", "
			     "expected \"%s\"); remove it with `nft delete table %s ward`",
			     t->name, comment, mark, t->name);
	return 1;
}

static int table_create(struct fw_ctx *fw, const struct fw_table *t, ward_err *err)
{
	_cleanup_free_ char *text = NULL;
	char mark[32], msg[256];
	int r;

	r = nft_ctx_get(fw, err);
	if (r < 0)
		return r;
	table_mark(t, mark, sizeof(mark));
	/* `create` fails when another ward made the table meanwhile: the whole
	 * transaction is then dropped, and the table checked again. */
	text = xasprintf("create table %s ward { comment \"%s\"; }\ntable %s ward {\n%s}\n",
			 t->name, mark, t->name, t->body);
	if (!text)
		return werr(err, ENOMEM, "firewall: table %s ward", t->name);
	if (nft_run_cmd_from_buffer(fw->nft, text) == 0)
		return 0;
	nft_first_error(fw->nft, msg, sizeof(msg));
	r = table_check(fw, t, err);
	if (r > 0)
		return 0;
	if (r == 0)
		return werrx(err, EIO, "firewall: create table %s ward: %s", t->name, msg);
	return r;
}

int fw_ensure_base(struct fw_ctx *fw, ward_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		int r = table_check(fw, &tables[i], err);
		if (r == 0)
			r = table_create(fw, &tables[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

int fw_remove_all(struct fw_ctx *fw, ward_err *err)
{
	_cleanup_(fw_batch_free) struct fw_batch b = {.del = true};

	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		fw_op_table(&b, tables[i].family, "ward");
	return fw_nl_commit(&fw->nl, &b, "remove tables", err);
}

/* ---- keys ---- */

static const char *addr_str(int af, const void *a, char *buf)
{
	if (!inet_ntop(af, a, buf, INET6_ADDRSTRLEN))
		snprintf(buf, INET6_ADDRSTRLEN, "?");
	return buf;
}

static const char *proto_str(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_SCTP:
		return "sctp";
	}
	return "?";
}

static bool ifname_ok(const char *s)
{
	return s && *s && strlen(s) < IFNAMSIZ && !strchr(s, '/');
}

static bool proto_ok(uint8_t p)
{
	return p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_SCTP;
}

static size_t af_len(int af)
{
	return af == AF_INET ? 4 : 16;
}

static bool addr_zero(const struct in6_addr *a)
{
	static const struct in6_addr zero;

	return memcmp(a, &zero, sizeof(zero)) == 0;
}

/* first address of ADDR/PREFIX, and the last */
static void prefix_range(int af, const void *addr, unsigned int prefix, uint8_t *first,
			 uint8_t *last)
{
	size_t len = af_len(af);

	memcpy(first, addr, len);
	for (size_t i = 0; i < len; i++) {
		unsigned int bits = prefix > i * 8 ? prefix - (unsigned int)i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
		first[i] &= mask;
		last[i] = first[i] | (uint8_t)~mask;
	}
}

/* big-endian ADDR + 1; false when it wraps around */
static bool addr_next(uint8_t *a, size_t len)
{
	for (size_t i = len; i-- > 0;)
		if (++a[i] != 0)
			return true;
	return false;
}

/* ---- networks ---- */

static int network_check(const struct fw_network *n, ward_err *err)
{
	if (!n->name || !*n->name || !ifname_ok(n->bridge))
		return werrx(err, EINVAL, "firewall: network %s: bad name or bridge",
			     n->name ? n->name : "(null)");
	if (n->uplink && !ifname_ok(n->uplink))
		return werrx(err, EINVAL, "firewall: network %s: bad uplink '%s'", n->name,
			     n->uplink);
	if ((n->has4 && n->prefix4 > 32) || (n->has6 && n->prefix6 > 128))
		return werrx(err, EINVAL, "firewall: network %s: bad prefix length", n->name);
	return 0;
}

/* An interval set holds a network as two elements: its first address,
 * and the first one after it flagged as an interval end (none when the
 * network reaches the end of the address space). */
static void plan_interval(struct fw_batch *b, const char *set, int af, const void *addr,
			  unsigned int prefix, const char *comment)
{
	struct fw_elem start = {.set = set}, end = {.set = set, .flags = NFT_SET_ELEM_INTERVAL_END};
	uint8_t first[16], last[16];
	char s[INET6_ADDRSTRLEN];

	prefix_range(af, addr, prefix, first, last);
	fw_key_put(&start.key, first, af_len(af));
	fw_op_elem(b, NFPROTO_INET, &start, comment, "%s element %s/%u", set,
		   addr_str(af, first, s), prefix);
	if (addr_next(last, af_len(af))) {
		fw_key_put(&end.key, last, af_len(af));
		/* the kernel takes no userdata on an interval end */
		fw_op_elem(b, NFPROTO_INET, &end, NULL, "%s element %s/%u (end)", set,
			   addr_str(af, first, s), prefix);
	}
}

/* a pipapo set of ADDR/PREFIX . IFNAME: one element with a key range */
static void plan_uplink(struct fw_batch *b, const char *set, int af, const void *addr,
			unsigned int prefix, const char *ifname, const char *comment)
{
	struct fw_elem e = {.set = set};
	uint8_t first[16], last[16];
	char s[INET6_ADDRSTRLEN];

	prefix_range(af, addr, prefix, first, last);
	fw_key_put(&e.key, first, af_len(af));
	fw_key_ifname(&e.key, ifname);
	fw_key_put(&e.key_end, last, af_len(af));
	fw_key_ifname(&e.key_end, ifname);
	fw_op_elem(b, NFPROTO_INET, &e, comment, "%s element %s/%u . %s", set,
		   addr_str(af, first, s), prefix, ifname);
}

static void plan_network(struct fw_batch *b, const struct fw_network *n, const char *comment)
{
	struct fw_elem br = {.set = "bridges"};
	struct fw_elem self = {.set = n->isolate ? "isolated_self" : "open_self"};

	fw_key_ifname(&br.key, n->bridge);
	fw_op_elem(b, NFPROTO_INET, &br, comment, "bridges element %s", n->bridge);

	fw_key_ifname(&self.key, n->bridge);
	fw_key_ifname(&self.key, n->bridge);
	fw_op_elem(b, NFPROTO_INET, &self, comment, "%s element %s . %s", self.set, n->bridge,
		   n->bridge);
	for (int v6 = 0; v6 <= 1; v6++) {
		int af = v6 ? AF_INET6 : AF_INET;
		const void *a = v6 ? (const void *)&n->subnet6 : (const void *)&n->subnet4;
		unsigned int prefix = v6 ? n->prefix6 : n->prefix4;

		if (!(v6 ? n->has6 : n->has4))
			continue;
		plan_interval(b, v6 ? "nets6" : "nets4", af, a, prefix, comment);
		if (n->nat && n->uplink)
			plan_uplink(b, v6 ? "nat_uplink6" : "nat_uplink4", af, a, prefix, n->uplink,
				    comment);
		else if (n->nat)
			plan_interval(b, v6 ? "nat_nets6" : "nat_nets4", af, a, prefix, comment);
	}
}

static int network_commit(struct fw_ctx *fw, const struct fw_network *n, bool del, ward_err *err)
{
	_cleanup_(fw_batch_free) struct fw_batch b = {.del = del};
	char comment[FW_COMMENT_MAX], subject[128];
	int r;

	r = network_check(n, err);
	if (r < 0)
		return r;
	/* the space keeps it apart from every container name */
	snprintf(comment, sizeof(comment), "network %s", n->name);
	snprintf(subject, sizeof(subject), "%s network %s", del ? "delete" : "add", n->name);
	plan_network(&b, n, comment);
	return fw_nl_commit(&fw->nl, &b, subject, err);
}

/* Adding what is already there with the same content is success: a network
 * outlives ward processes and may be added again after a crash. */
int fw_network_add(struct fw_ctx *fw, const struct fw_network *n, ward_err *err)
{
	return network_commit(fw, n, false, err);
}

int fw_network_del(struct fw_ctx *fw, const struct fw_network *n, ward_err *err)
{
	return network_commit(fw, n, true, err);
}

/* ---- containers ---- */

struct cnames {
	char egress[FW_NAME_MAX], inbound[FW_NAME_MAX], spoof[FW_NAME_MAX];
	char chain[FW_NAME_MAX], log_out[FW_NAME_MAX], log_in[FW_NAME_MAX];
};

/* Object and chain names of a container.  Container names are
 * [A-Za-z0-9][A-Za-z0-9_.-]{0,62}, which nftables takes as they are; the
 * fixed prefixes and suffixes keep any two containers' names apart. */
static void cnames_init(struct cnames *n, const char *name)
{
	snprintf(n->egress, sizeof(n->egress), "ward_%s_egress", name);
	snprintf(n->inbound, sizeof(n->inbound), "ward_%s_inbound", name);
	snprintf(n->spoof, sizeof(n->spoof), "ward_%s_spoof", name);
	snprintf(n->chain, sizeof(n->chain), "egress_%s", name);
	snprintf(n->log_out, sizeof(n->log_out), "log_%s", name);
	snprintf(n->log_in, sizeof(n->log_in), "login_%s", name);
}

static int container_check(const struct fw_container *c, ward_err *err)
{
	if (!c->name || !name_is_valid(c->name))
		return werrx(err, EINVAL, "firewall: '%s' is not a valid container name",
			     c->name ? c->name : "(null)");
	if (c->antispoof && !ifname_ok(c->host_ifname))
		return werrx(err, EINVAL, "firewall: container %s: bad bridge port name", c->name);
	for (size_t i = 0; i < c->n_allow; i++) {
		const struct fw_allow *a = &c->allow[i];
		bool addr = a->kind == FW_ALLOW_DST || a->kind == FW_ALLOW_DSTSVC;
		bool svc = a->kind != FW_ALLOW_ANY && a->kind != FW_ALLOW_DST;

		if (a->kind > FW_ALLOW_HOST ||
		    (addr && a->family != AF_INET && a->family != AF_INET6) ||
		    (addr && a->prefix > (a->family == AF_INET ? 32u : 128u)) ||
		    (svc && (!proto_ok(a->proto) || a->port == 0)))
			return werrx(err, EINVAL, "firewall: container %s: bad allow-out entry %zu",
				     c->name, i + 1);
	}
	for (size_t i = 0; i < c->n_publish; i++) {
		const struct fw_publish *p = &c->publish[i];

		if ((p->family != AF_INET && p->family != AF_INET6) || !proto_ok(p->proto) ||
		    !p->host_port || !p->container_port)
			return werrx(err, EINVAL, "firewall: container %s: bad publish entry %zu",
				     c->name, i + 1);
		if (!(p->family == AF_INET ? c->has4 : c->has6))
			return werrx(err, EINVAL,
				     "firewall: container %s: publishes %s/%u over IPv%c but has "
				     "no such address",
				     c->name, proto_str(p->proto), p->host_port,
				     p->family == AF_INET ? '4' : '6');
	}
	return 0;
}

static bool allow_same(const struct fw_allow *a, const struct fw_allow *b)
{
	if (a->kind != b->kind || a->family != b->family || a->proto != b->proto ||
	    a->port != b->port || a->prefix != b->prefix)
		return false;
	return !a->family || !memcmp(&a->addr, &b->addr, af_len(a->family));
}

/* An entry equal to an earlier one adds nothing (and would clash with it). */
static bool allow_dup(const struct fw_container *c, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (allow_same(&c->allow[j], &c->allow[i]))
			return true;
	return false;
}

/* a destination prefix shorter than one address: a rule in egress_NAME */
static bool allow_in_chain(const struct fw_allow *a, int af)
{
	return (a->kind == FW_ALLOW_DST || a->kind == FW_ALLOW_DSTSVC) && a->family == af &&
	       a->prefix < (af == AF_INET ? 32u : 128u);
}

static bool has_chain(const struct fw_container *c, int af)
{
	if (!(af == AF_INET ? c->has4 : c->has6))
		return false;
	for (size_t i = 0; i < c->n_allow; i++)
		if (allow_in_chain(&c->allow[i], af))
			return true;
	return false;
}

/* The addresses of one family a container sends from: its own address
 * (forwarded traffic), and for IPv6 also its link-local one (which only
 * ever talks to the host). */
struct csrc {
	int af;
	char sfx; /* of the set names */
	const void *addr;
	const void *extra; /* the link-local address, or NULL */
};

static int csrc_get(const struct fw_container *c, int af, struct csrc *s)
{
	memset(s, 0, sizeof(*s));
	s->af = af;
	s->sfx = af == AF_INET ? '4' : '6';
	if (af == AF_INET) {
		s->addr = c->has4 ? &c->ip4 : NULL;
	} else {
		s->addr = c->has6 ? &c->ip6 : NULL;
		if (!addr_zero(&c->ll6) && !(c->has6 && !memcmp(&c->ll6, &c->ip6, 16)))
			s->extra = &c->ll6;
	}
	return s->addr || s->extra;
}

/* set name with the family's suffix */
#define SETNAME(buf, base, s) (snprintf(buf, sizeof(buf), "%s%c", base, (s)->sfx), buf)

/* A container's counters and chains.  ward calls fw_container_add() once
 * per interface of a container, with the same name: the second call finds
 * them and only replaces the chains' rules (with the same ones), and
 * fw_container_del() of all but the last interface leaves them in place
 * (the kernel refuses to delete them while another interface's elements
 * refer to them). */
static void plan_refs(struct fw_batch *b, const struct fw_container *c, const struct cnames *n)
{
	fw_op_counter(b, NFPROTO_INET, n->egress);
	fw_op_counter(b, NFPROTO_INET, n->inbound);
	if (c->antispoof)
		fw_op_counter(b, NFPROTO_BRIDGE, n->spoof);
	if (has_chain(c, AF_INET) || has_chain(c, AF_INET6)) {
		fw_op_chain(b, NFPROTO_INET, n->chain);
		fw_op_flush(b, NFPROTO_INET, n->chain);
		for (size_t i = 0; i < c->n_allow; i++) {
			const struct fw_allow *a = &c->allow[i];
			if (!allow_dup(c, i) && has_chain(c, a->family) &&
			    allow_in_chain(a, a->family))
				fw_op_rule_allow(b, n->chain, a);
		}
	}
	if (c->net_log) {
		char prefix[FW_NAME_MAX + 32];

		fw_op_chain(b, NFPROTO_INET, n->log_out);
		fw_op_flush(b, NFPROTO_INET, n->log_out);
		snprintf(prefix, sizeof(prefix), "ward %s egress: ", c->name);
		fw_op_rule_log(b, NFPROTO_INET, n->log_out, prefix);
		fw_op_chain(b, NFPROTO_INET, n->log_in);
		fw_op_flush(b, NFPROTO_INET, n->log_in);
		snprintf(prefix, sizeof(prefix), "ward %s inbound: ", c->name);
		fw_op_rule_log(b, NFPROTO_INET, n->log_in, prefix);
		if (c->antispoof) {
			fw_op_chain(b, NFPROTO_BRIDGE, n->log_out);
			fw_op_flush(b, NFPROTO_BRIDGE, n->log_out);
			snprintf(prefix, sizeof(prefix), "ward %s spoof: ", c->name);
			fw_op_rule_log(b, NFPROTO_BRIDGE, n->log_out, prefix);
		}
	}
}

/* An element keyed by one source address: counters, logging, allow-any. */
static void plan_addr_elem(struct fw_batch *b, const struct fw_container *c, const char *base,
			   const struct csrc *s, const void *addr, const char *obj,
			   const char *jump)
{
	struct fw_elem e = {.obj = obj, .jump = jump};
	char set[32], a[INET6_ADDRSTRLEN];

	e.set = SETNAME(set, base, s);
	fw_key_put(&e.key, addr, af_len(s->af));
	fw_op_elem(b, NFPROTO_INET, &e, c->name, "%s element %s", set, addr_str(s->af, addr, a));
}

static void plan_allow(struct fw_batch *b, const struct fw_container *c, const struct csrc *s,
		       const struct fw_allow *al)
{
	const void *srcs[2] = {s->addr, s->extra};
	struct fw_elem e = {0};
	char set[32], a[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	size_t len = af_len(s->af);

	switch (al->kind) {
	case FW_ALLOW_ANY:
		/* "any" includes the host, which the link-local address reaches */
		for (int i = 0; i < 2; i++)
			if (srcs[i])
				plan_addr_elem(b, c, "egress_any", s, srcs[i], NULL, NULL);
		return;
	case FW_ALLOW_HOST:
		for (int i = 0; i < 2; i++) {
			struct fw_elem h = {.set = SETNAME(set, "host_svc", s)};
			if (!srcs[i])
				continue;
			fw_key_put(&h.key, srcs[i], len);
			fw_key_proto(&h.key, al->proto);
			fw_key_port(&h.key, al->port);
			fw_op_elem(b, NFPROTO_INET, &h, c->name, "%s element %s . %s . %u", set,
				   addr_str(s->af, srcs[i], a), proto_str(al->proto), al->port);
		}
		return;
	case FW_ALLOW_SVC:
		if (!s->addr)
			return;
		e.set = SETNAME(set, "egress_svc", s);
		fw_key_put(&e.key, s->addr, len);
		fw_key_proto(&e.key, al->proto);
		fw_key_port(&e.key, al->port);
		fw_op_elem(b, NFPROTO_INET, &e, c->name, "%s element %s . %s . %u", set,
			   addr_str(s->af, s->addr, a), proto_str(al->proto), al->port);
		return;
	case FW_ALLOW_DST:
	case FW_ALLOW_DSTSVC:
		if (!s->addr || al->family != s->af || allow_in_chain(al, s->af))
			return;
		e.set = SETNAME(set, al->kind == FW_ALLOW_DST ? "egress_dst" : "egress_dstsvc", s);
		fw_key_put(&e.key, s->addr, len);
		fw_key_put(&e.key, &al->addr, len);
		if (al->kind == FW_ALLOW_DSTSVC) {
			fw_key_proto(&e.key, al->proto);
			fw_key_port(&e.key, al->port);
		}
		fw_op_elem(b, NFPROTO_INET, &e, c->name, "%s element %s . %s", set,
			   addr_str(s->af, s->addr, a), addr_str(s->af, &al->addr, d));
		return;
	}
}

static void plan_publish(struct fw_batch *b, const struct fw_container *c, const struct csrc *s,
			 size_t idx)
{
	const struct fw_publish *p = &c->publish[idx];
	struct fw_elem e = {0}, pub = {0};
	char set[32], a[INET6_ADDRSTRLEN], h[INET6_ADDRSTRLEN];
	size_t len = af_len(s->af);

	if (p->any_host) {
		e.set = SETNAME(set, "publish_any", s);
		snprintf(h, sizeof(h), "*");
	} else {
		e.set = SETNAME(set, "publish_host", s);
		fw_key_put(&e.key, &p->host, len);
		addr_str(s->af, &p->host, h);
	}
	fw_key_proto(&e.key, p->proto);
	fw_key_port(&e.key, p->host_port);
	if (!b->del) {
		fw_key_put(&e.data, s->addr, len);
		fw_key_port(&e.data, p->container_port);
	}
	fw_op_elem(b, NFPROTO_INET, &e, c->name, "%s element %s . %s . %u", set, h,
		   proto_str(p->proto), p->host_port);
	/* two host ports may lead to one container port */
	for (size_t j = 0; j < idx; j++) {
		const struct fw_publish *q = &c->publish[j];
		if (q->family == p->family && q->proto == p->proto &&
		    q->container_port == p->container_port)
			return;
	}
	pub.set = SETNAME(set, "published", s);
	fw_key_put(&pub.key, s->addr, len);
	fw_key_proto(&pub.key, p->proto);
	fw_key_port(&pub.key, p->container_port);
	fw_op_elem(b, NFPROTO_INET, &pub, c->name, "%s element %s . %s . %u", set,
		   addr_str(s->af, s->addr, a), proto_str(p->proto), p->container_port);
}

static void plan_family(struct fw_batch *b, const struct fw_container *c, const struct cnames *n,
			int af)
{
	struct csrc s;
	const void *srcs[2];

	if (!csrc_get(c, af, &s))
		return;
	srcs[0] = s.addr;
	srcs[1] = s.extra;
	for (int i = 0; i < 2; i++) {
		if (!srcs[i])
			continue;
		plan_addr_elem(b, c, "egress_ctr", &s, srcs[i], n->egress, NULL);
		plan_addr_elem(b, c, "inbound_ctr", &s, srcs[i], n->inbound, NULL);
		if (c->net_log) {
			plan_addr_elem(b, c, "netlog", &s, srcs[i], NULL, n->log_out);
			plan_addr_elem(b, c, "netlog_in", &s, srcs[i], NULL, n->log_in);
		}
	}
	if (has_chain(c, af))
		plan_addr_elem(b, c, "egress_chain", &s, s.addr, NULL, n->chain);
	for (size_t i = 0; i < c->n_allow; i++)
		if (!allow_dup(c, i))
			plan_allow(b, c, &s, &c->allow[i]);
	for (size_t i = 0; i < c->n_publish; i++)
		if (c->publish[i].family == af)
			plan_publish(b, c, &s, i);
}

/* the bridge port: its MAC and addresses, its counter and log */
static void plan_port(struct fw_batch *b, const struct fw_container *c, const struct cnames *n)
{
	const char *port = c->host_ifname;
	const struct in6_addr *a6[2] = {c->has6 ? &c->ip6 : NULL,
					addr_zero(&c->ll6) ? NULL : &c->ll6};
	struct fw_elem e;
	char a[INET6_ADDRSTRLEN];

	e = (struct fw_elem){.set = "ports"};
	fw_key_ifname(&e.key, port);
	fw_op_elem(b, NFPROTO_BRIDGE, &e, c->name, "ports element %s", port);
	e = (struct fw_elem){.set = "port_mac"};
	fw_key_ifname(&e.key, port);
	fw_key_put(&e.key, c->mac, 6);
	fw_op_elem(b, NFPROTO_BRIDGE, &e, c->name,
		   "port_mac element %s . %02x:%02x:%02x:%02x:%02x:%02x", port, c->mac[0],
		   c->mac[1], c->mac[2], c->mac[3], c->mac[4], c->mac[5]);
	if (c->has4) {
		e = (struct fw_elem){.set = "port_ip4"};
		fw_key_ifname(&e.key, port);
		fw_key_put(&e.key, &c->ip4, 4);
		fw_op_elem(b, NFPROTO_BRIDGE, &e, c->name, "port_ip4 element %s . %s", port,
			   addr_str(AF_INET, &c->ip4, a));
	}
	if (a6[0] && a6[1] && !memcmp(a6[0], a6[1], 16))
		a6[1] = NULL;
	for (int i = 0; i < 2; i++) {
		if (!a6[i])
			continue;
		/* the same key bytes for the address and for the raw NA target */
		for (int na = 0; na <= 1; na++) {
			e = (struct fw_elem){.set = na ? "port_na6" : "port_ip6"};
			fw_key_ifname(&e.key, port);
			fw_key_put(&e.key, a6[i], 16);
			fw_op_elem(b, NFPROTO_BRIDGE, &e, c->name, "%s element %s . %s", e.set,
				   port, addr_str(AF_INET6, a6[i], a));
		}
	}
	e = (struct fw_elem){.set = "spoof_ctr", .obj = n->spoof};
	fw_key_ifname(&e.key, port);
	fw_op_elem(b, NFPROTO_BRIDGE, &e, c->name, "spoof_ctr element %s", port);
	if (c->net_log) {
		e = (struct fw_elem){.set = "spoof_log", .jump = n->log_out};
		fw_key_ifname(&e.key, port);
		fw_op_elem(b, NFPROTO_BRIDGE, &e, c->name, "spoof_log element %s", port);
	}
}

static void plan_elems(struct fw_batch *b, const struct fw_container *c, const struct cnames *n)
{
	plan_family(b, c, n, AF_INET);
	plan_family(b, c, n, AF_INET6);
	if (c->antispoof)
		plan_port(b, c, n);
}

/* Objects and chains before the elements that refer to them, on the way
 * in; after them on the way out. */
int fw_container_add(struct fw_ctx *fw, const struct fw_container *c, ward_err *err)
{
	_cleanup_(fw_batch_free) struct fw_batch b = {.excl = true};
	char subject[128];
	struct cnames n;
	int r;

	r = container_check(c, err);
	if (r < 0)
		return r;
	cnames_init(&n, c->name);
	plan_refs(&b, c, &n);
	plan_elems(&b, c, &n);
	snprintf(subject, sizeof(subject), "add container %s", c->name);
	return fw_nl_commit(&fw->nl, &b, subject, err);
}

int fw_container_del(struct fw_ctx *fw, const struct fw_container *c, ward_err *err)
{
	_cleanup_(fw_batch_free) struct fw_batch b = {.del = true};
	char subject[128];
	struct cnames n;
	int r;

	r = container_check(c, err);
	if (r < 0)
		return r;
	cnames_init(&n, c->name);
	plan_elems(&b, c, &n);
	plan_refs(&b, c, &n);
	snprintf(subject, sizeof(subject), "delete container %s", c->name);
	return fw_nl_commit(&fw->nl, &b, subject, err);
}

/* ---- reading back ---- */

int fw_container_counters(struct fw_ctx *fw, const char *name, struct fw_counters *out,
			  ward_err *err)
{
	struct cnames n;
	const struct {
		int family;
		const char *obj;
		uint64_t *pkts, *bytes;
	} ctrs[] = {
	    {NFPROTO_INET, n.egress, &out->egress_packets, &out->egress_bytes},
	    {NFPROTO_INET, n.inbound, &out->inbound_packets, &out->inbound_bytes},
	    {NFPROTO_BRIDGE, n.spoof, &out->spoof_packets, &out->spoof_bytes},
	};

	if (!name || !name_is_valid(name))
		return werrx(err, EINVAL, "firewall: '%s' is not a valid container name",
			     name ? name : "(null)");
	cnames_init(&n, name);
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < ARRAY_SIZE(ctrs); i++) {
		int r = fw_nl_counter_get(&fw->nl, ctrs[i].family, ctrs[i].obj, ctrs[i].pkts,
					  ctrs[i].bytes);
		if (r < 0 && r != -ENOENT)
			return werr(err, -r, "firewall: container %s: read counter %s", name,
				    ctrs[i].obj);
	}
	return 0;
}

struct owner_list {
	char **names;
	int error;
};

/* "ward_NAME_egress" -> NAME */
static void counter_owner(const char *obj, void *data)
{
	static const char *const sfx[] = {"_egress", "_inbound", "_spoof"};
	struct owner_list *l = data;
	size_t len = strlen(obj);

	if (l->error || !startswith(obj, "ward_"))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(sfx); i++) {
		size_t sl = strlen(sfx[i]);
		_cleanup_free_ char *name = NULL;

		if (len <= 5 + sl || strcmp(obj + len - sl, sfx[i]) != 0)
			continue;
		name = strndup(obj + 5, len - 5 - sl);
		if (!name) {
			l->error = -ENOMEM;
			return;
		}
		if (!name_is_valid(name) || strv_contains(l->names, name))
			return;
		if (strv_push(&l->names, name) < 0)
			l->error = -ENOMEM;
		return;
	}
}

int fw_list_containers(struct fw_ctx *fw, char ***names, ward_err *err)
{
	struct owner_list l = {0};

	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		int r = fw_nl_counter_dump(&fw->nl, tables[i].family, counter_owner, &l);
		if (r == -ENOENT)
			continue;
		if (r == 0)
			r = l.error;
		if (r < 0) {
			strv_free(l.names);
			return werr(err, -r, "firewall: list counters of table %s ward",
				    tables[i].name);
		}
	}
	if (!l.names) {
		l.names = calloc(1, sizeof(char *));
		if (!l.names)
			return werr(err, ENOMEM, "firewall: list containers");
	}
	*names = l.names;
	return 0;
}

int fw_container_purge(struct fw_ctx *fw, const char *name, ward_err *err)
{
	_cleanup_(fw_batch_free) struct fw_batch b = {.del = true};
	char subject[128];
	struct cnames n;

	if (!name || !name_is_valid(name))
		return werrx(err, EINVAL, "firewall: '%s' is not a valid container name",
			     name ? name : "(null)");
	cnames_init(&n, name);
	snprintf(subject, sizeof(subject), "purge container %s", name);
	for (size_t i = 0; i < ARRAY_SIZE(inet_sets) + ARRAY_SIZE(bridge_sets); i++) {
		bool inet = i < ARRAY_SIZE(inet_sets);
		const char *set = inet ? inet_sets[i] : bridge_sets[i - ARRAY_SIZE(inet_sets)];
		int family = inet ? NFPROTO_INET : NFPROTO_BRIDGE;
		int r = fw_nl_plan_purge_set(&fw->nl, &b, family, set, name);
		if (r < 0 && r != -ENOENT)
			return werr(err, -r, "firewall: %s: list set %s", subject, set);
	}
	fw_op_chain(&b, NFPROTO_INET, n.chain);
	fw_op_chain(&b, NFPROTO_INET, n.log_out);
	fw_op_chain(&b, NFPROTO_INET, n.log_in);
	fw_op_chain(&b, NFPROTO_BRIDGE, n.log_out);
	fw_op_counter(&b, NFPROTO_INET, n.egress);
	fw_op_counter(&b, NFPROTO_INET, n.inbound);
	fw_op_counter(&b, NFPROTO_BRIDGE, n.spoof);
	return fw_nl_commit(&fw->nl, &b, subject, err);
}
