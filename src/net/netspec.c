/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/netspec.h"
#include "util/cleanup.h"
#include "util/strutil.h"

struct ward_net_spec *net_spec_new(void)
{
	return calloc(1, sizeof(struct ward_net_spec));
}

static void netif_clear(struct ward_netif *i)
{
	free(i->network);
	free(i->link);
	free(i->ifname);
	free(i->host_ifname);
}

void net_spec_free(struct ward_net_spec *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_ifs; i++)
		netif_clear(&n->ifs[i]);
	free(n->ifs);
	free(n->publish);
	free(n->allow);
	strv_free(n->dns);
	free(n);
}

static struct ward_netif *add_if(struct ward_net_spec *n, ward_err *err)
{
	struct ward_netif *ni = realloc(n->ifs, (n->n_ifs + 1) * sizeof(*ni));

	if (!ni) {
		werr(err, ENOMEM, "network");
		return NULL;
	}
	n->ifs = ni;
	memset(&ni[n->n_ifs], 0, sizeof(*ni));
	ni[n->n_ifs].up = true;
	return &ni[n->n_ifs++];
}

struct ward_netif *net_spec_current(struct ward_net_spec *n, ward_err *err)
{
	struct ward_netif *i;

	if (n->n_ifs)
		return &n->ifs[n->n_ifs - 1];
	/* --ip before any --net: it is for the default network */
	i = add_if(n, err);
	if (i)
		i->type = WNET_NETWORK; /* network NULL: the default one */
	return i;
}

const char *net_type_name(enum ward_netif_type t)
{
	static const char *const names[] = {
	    [WNET_NETWORK] = "veth", [WNET_BRIDGE] = "veth", [WNET_MACVLAN] = "macvlan",
	    [WNET_VLAN] = "vlan",    [WNET_PHYS] = "phys",   [WNET_NONE] = "none",
	    [WNET_HOST] = "host",
	};
	return names[t];
}

static bool ifname_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 15 || streq(s, ".") || streq(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]))
			return false;
	return true;
}

static int parse_macvlan_mode(const char *m, uint32_t *mode)
{
	static const struct {
		const char *name;
		uint32_t mode;
	} modes[] = {
	    {"private", MACVLAN_MODE_PRIVATE},
	    {"vepa", MACVLAN_MODE_VEPA},
	    {"bridge", MACVLAN_MODE_BRIDGE},
	    {"passthru", MACVLAN_MODE_PASSTHRU},
	};

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		if (streq(m, modes[i].name)) {
			*mode = modes[i].mode;
			return 0;
		}
	return -EINVAL;
}

static int parse_net(struct ward_net_spec *n, const char *v, ward_err *err)
{
	_cleanup_free_ char *copy = strdup(v);
	struct ward_netif *i;
	char *a, *b;

	if (!copy)
		return werr(err, ENOMEM, "network");
	/* none and host stand alone: no other interface makes sense with them */
	if (streq(v, "none") || streq(v, "host")) {
		if (n->n_ifs)
			return werrx(err, EINVAL, "'%s' cannot be combined with other --net values",
				     v);
		i = add_if(n, err);
		if (!i)
			return -ENOMEM;
		i->type = streq(v, "none") ? WNET_NONE : WNET_HOST;
		n->explicit_net = true;
		return 0;
	}
	if (n->n_ifs && (n->ifs[0].type == WNET_NONE || n->ifs[0].type == WNET_HOST))
		return werrx(err, EINVAL, "'%s' cannot be combined with --net %s", v,
			     net_type_name(n->ifs[0].type));
	/* an interface created by an earlier --ip for the default network is
	 * taken over by the first explicit --net */
	if (!n->explicit_net && n->n_ifs == 1 && n->ifs[0].type == WNET_NETWORK &&
	    !n->ifs[0].network)
		i = &n->ifs[0];
	else if (!(i = add_if(n, err)))
		return -ENOMEM;
	n->explicit_net = true;
	a = strchr(copy, ':');
	if (!a) {
		if (!name_is_valid(copy))
			return werrx(err, EINVAL, "'%s' is not a network name", v);
		i->type = WNET_NETWORK;
		i->network = strdup(copy);
		return i->network ? 0 : werr(err, ENOMEM, "network");
	}
	*a++ = '\0';
	b = strchr(a, ':');
	if (b)
		*b++ = '\0';
	if (!*a || !ifname_valid(a))
		return werrx(err, EINVAL, "'%s': '%s' is not an interface name", v, a);
	if (streq(copy, "macvlan")) {
		i->type = WNET_MACVLAN;
		i->macvlan_mode = MACVLAN_MODE_BRIDGE;
		if (b && parse_macvlan_mode(b, &i->macvlan_mode) < 0)
			return werrx(
			    err, EINVAL,
			    "'%s': unknown macvlan mode '%s' (private, vepa, bridge, passthru)", v,
			    b);
	} else if (streq(copy, "vlan")) {
		uint32_t id;
		i->type = WNET_VLAN;
		if (!b || parse_u32(b, &id) < 0 || id < 1 || id > 4094)
			return werrx(err, EINVAL, "'%s' is not vlan:PARENT:ID (ID 1-4094)", v);
		i->vlan_id = (uint16_t)id;
	} else if (streq(copy, "phys")) {
		i->type = WNET_PHYS;
		if (b)
			return werrx(err, EINVAL, "'%s' is not phys:IFNAME", v);
	} else if (streq(copy, "bridge")) {
		/* a bridge ward does not manage, attached to as it is */
		i->type = WNET_BRIDGE;
		if (b)
			return werrx(err, EINVAL, "'%s' is not bridge:IFNAME", v);
	} else {
		return werrx(err, EINVAL,
			     "'%s': unknown type '%s' (NETWORK, none, host, macvlan:, vlan:, "
			     "phys:, bridge:)",
			     v, copy);
	}
	i->link = strdup(a);
	return i->link ? 0 : werr(err, ENOMEM, "network");
}

/* A refused --net leaves the spec as it was: a new interface is dropped, a
 * taken-over default one gets its old settings back. */
int net_parse_net(struct ward_net_spec *n, const char *v, ward_err *err)
{
	size_t before = n->n_ifs;
	bool explicit_net = n->explicit_net;
	struct ward_netif saved = before ? n->ifs[0] : (struct ward_netif){0};
	int r = parse_net(n, v, err);

	if (r >= 0)
		return r;
	if (n->n_ifs > before) {
		netif_clear(&n->ifs[--n->n_ifs]);
	} else if (before == 1) {
		if (n->ifs[0].network != saved.network)
			free(n->ifs[0].network);
		if (n->ifs[0].link != saved.link)
			free(n->ifs[0].link);
		n->ifs[0] = saved;
	}
	n->explicit_net = explicit_net;
	return r;
}

int net_parse_addr(const char *s, int *family, void *addr, unsigned int *prefix, bool allow_prefix)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	uint32_t len = 0;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		if (!allow_prefix || parse_u32(slash + 1, &len) < 0)
			return -EINVAL;
		*slash = '\0';
	}
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*family = AF_INET;
		if (!slash)
			len = 32;
		if (len > 32)
			return -EINVAL;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		*family = AF_INET6;
		if (!slash)
			len = 128;
		if (len > 128)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (prefix)
		*prefix = len;
	return 0;
}

const char *net_addr_str(int family, const void *addr, char *buf, size_t len)
{
	if (!inet_ntop(family, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

int net_parse_ip(struct ward_net_spec *n, const char *v, bool v6, ward_err *err)
{
	struct ward_netif *i = net_spec_current(n, err);
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;
	unsigned int prefix;
	int family;

	if (!i)
		return -ENOMEM;
	if (i->type == WNET_NONE || i->type == WNET_HOST)
		return werrx(err, EINVAL, "an address needs a network interface, not --net %s",
			     net_type_name(i->type));
	if (net_parse_addr(v, &family, &a, &prefix, true) < 0 ||
	    family != (v6 ? AF_INET6 : AF_INET))
		return werrx(err, EINVAL, "'%s' is not an IPv%d address", v, v6 ? 6 : 4);
	if (v6) {
		i->has_ip6 = true;
		i->ip6 = a.v6;
		i->prefix6 = strchr(v, '/') ? prefix : 0;
	} else {
		i->has_ip4 = true;
		i->ip4 = a.v4;
		i->prefix4 = strchr(v, '/') ? prefix : 0;
	}
	return 0;
}

int net_parse_mac(const char *v, uint8_t mac[6], ward_err *err)
{
	unsigned int b[6];
	char tail;

	if (sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6 ||
	    strlen(v) != 17)
		return werrx(err, EINVAL, "'%s' is not a MAC address (aa:bb:cc:dd:ee:ff)", v);
	for (int k = 0; k < 6; k++)
		mac[k] = (uint8_t)b[k];
	if (mac[0] & 1)
		return werrx(err, EINVAL, "'%s' is a multicast MAC address", v);
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return werrx(err, EINVAL, "'%s' is the all-zero MAC address", v);
	return 0;
}

int net_parse_dns(struct ward_net_spec *n, const char *v, ward_err *err)
{
	unsigned char a[16];
	unsigned int prefix;
	int family;

	if (net_parse_addr(v, &family, a, &prefix, false) < 0)
		return werrx(err, EINVAL, "'%s' is not an IP address", v);
	return strv_push(&n->dns, v) < 0 ? werr(err, ENOMEM, "dns") : 0;
}

static int parse_proto(const char *s, uint8_t *proto)
{
	if (streq(s, "tcp"))
		*proto = IPPROTO_TCP;
	else if (streq(s, "udp"))
		*proto = IPPROTO_UDP;
	else if (streq(s, "sctp"))
		*proto = IPPROTO_SCTP;
	else
		return -EINVAL;
	return 0;
}

static int parse_port(const char *s, uint16_t *port)
{
	uint32_t p;

	if (parse_u32(s, &p) < 0 || p < 1 || p > 65535)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

/* "tcp/25" */
static int parse_svc(const char *s, uint8_t *proto, uint16_t *port)
{
	_cleanup_free_ char *c = strdup(s);
	char *slash;

	if (!c)
		return -ENOMEM;
	slash = strchr(c, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	if (parse_proto(c, proto) < 0 || parse_port(slash + 1, port) < 0)
		return -EINVAL;
	return 0;
}

int net_parse_publish(struct ward_net_spec *n, const char *v, ward_err *err)
{
	_cleanup_free_ char *c = strdup(v);
	struct fw_publish p = {.family = AF_INET, .any_host = true, .proto = IPPROTO_TCP};
	char *host = NULL, *ports, *proto, *colon;
	struct fw_publish *np;

	if (!c)
		return werr(err, ENOMEM, "publish");
	ports = c;
	if (c[0] == '[') { /* [fd00::1]:8080:80 */
		char *end = strchr(c, ']');
		if (!end || end[1] != ':')
			return werrx(err, EINVAL, "'%s' is not [HOSTIP6]:HOSTPORT:PORT", v);
		*end = '\0';
		host = c + 1;
		ports = end + 2;
	} else if (strchr(c, ':') != strrchr(c, ':')) { /* 10.0.0.1:8080:80 */
		colon = strchr(c, ':');
		*colon = '\0';
		host = c;
		ports = colon + 1;
	}
	proto = strchr(ports, '/');
	if (proto) {
		*proto++ = '\0';
		if (parse_proto(proto, &p.proto) < 0)
			return werrx(err, EINVAL, "'%s': unknown protocol '%s' (tcp, udp, sctp)", v,
				     proto);
	}
	colon = strchr(ports, ':');
	if (!colon)
		return werrx(err, EINVAL, "'%s' is not [HOSTIP:]HOSTPORT:PORT[/PROTO]", v);
	*colon = '\0';
	if (parse_port(ports, &p.host_port) < 0 || parse_port(colon + 1, &p.container_port) < 0)
		return werrx(err, EINVAL, "'%s': ports are numbers from 1 to 65535", v);
	if (host) {
		unsigned int prefix;
		if (net_parse_addr(host, &p.family, &p.host, &prefix, false) < 0)
			return werrx(err, EINVAL, "'%s': '%s' is not an IP address", v, host);
		p.any_host = false;
	}
	for (size_t i = 0; i < n->n_publish; i++) {
		const struct fw_publish *q = &n->publish[i];
		if (q->proto == p.proto && q->host_port == p.host_port &&
		    (q->any_host || p.any_host ||
		     (q->family == p.family && !memcmp(&q->host, &p.host, sizeof(p.host)))))
			return werrx(err, EEXIST, "'%s': host port %u is already published", v,
				     p.host_port);
	}
	np = realloc(n->publish, (n->n_publish + 1) * sizeof(*np));
	if (!np)
		return werr(err, ENOMEM, "publish");
	np[n->n_publish++] = p;
	n->publish = np;
	return 0;
}

static int push_allow(struct ward_net_spec *n, const struct fw_allow *a, ward_err *err)
{
	struct fw_allow *na = realloc(n->allow, (n->n_allow + 1) * sizeof(*na));

	if (!na)
		return werr(err, ENOMEM, "allow-out");
	na[n->n_allow++] = *a;
	n->allow = na;
	return 0;
}

int net_parse_allow(struct ward_net_spec *n, const char *v, ward_err *err)
{
	_cleanup_free_ char *c = strdup(v);
	struct fw_allow a = {0};
	char *addr = NULL, *svc = NULL;

	if (!c)
		return werr(err, ENOMEM, "allow-out");
	if (streq(v, "any")) {
		a.kind = FW_ALLOW_ANY;
		return push_allow(n, &a, err);
	}
	if (streq(v, "dns")) {
		n->allow_dns = true;
		return 0;
	}
	if (startswith(v, "host:")) {
		a.kind = FW_ALLOW_HOST;
		if (parse_svc(v + 5, &a.proto, &a.port) < 0)
			return werrx(err, EINVAL, "'%s' is not host:PROTO/PORT", v);
		return push_allow(n, &a, err);
	}
	if (c[0] == '[') { /* [ADDR6[/LEN]]:PROTO/PORT */
		char *end = strchr(c, ']');
		if (!end || end[1] != ':')
			return werrx(err, EINVAL, "'%s' is not [ADDR6[/LEN]]:PROTO/PORT", v);
		*end = '\0';
		addr = c + 1;
		svc = end + 2;
	} else if (strchr(c, ':') && strchr(c, '.') && strchr(c, '/')) { /* 10.0.0.0/8:tcp/25 */
		char *colon = strrchr(c, ':');
		*colon = '\0';
		addr = c;
		svc = colon + 1;
	} else if (!strchr(c, '.') && !strchr(c, ':')) { /* tcp/25 */
		svc = c;
	} else { /* 10.0.0.1, 10.0.0.0/8, fd00::/64 */
		addr = c;
	}
	if (addr) {
		if (net_parse_addr(addr, &a.family, &a.addr, &a.prefix, true) < 0)
			return werrx(err, EINVAL, "'%s': '%s' is not ADDR[/LEN]", v, addr);
	}
	if (svc && parse_svc(svc, &a.proto, &a.port) < 0)
		return werrx(err, EINVAL,
			     "'%s' is not PROTO/PORT, ADDR[/LEN], ADDR[/LEN]:PROTO/PORT, "
			     "host:PROTO/PORT, dns or any",
			     v);
	a.kind = addr && svc ? FW_ALLOW_DSTSVC : addr ? FW_ALLOW_DST : FW_ALLOW_SVC;
	return push_allow(n, &a, err);
}

void net_host_ifname(const char *container, char out[16])
{
	if (strlen(container) <= 12) {
		snprintf(out, 16, "wv-%s", container);
		return;
	}
	snprintf(out, 16, "wv-%.7s-%04x", container, str_hash32(container) & 0xffff);
}

void net_derive_mac(const char *container, unsigned int index, uint8_t mac[6])
{
	uint32_t a = str_hash32(container);
	uint32_t b = a ^ (0x9e3779b9u * (index + 1));

	/* 0x02: locally administered, unicast */
	mac[0] = 0x02;
	mac[1] = (uint8_t)(a >> 24);
	mac[2] = (uint8_t)(a >> 16);
	mac[3] = (uint8_t)(b >> 16);
	mac[4] = (uint8_t)(b >> 8);
	mac[5] = (uint8_t)b;
}

void net_link_local(const uint8_t mac[6], struct in6_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->s6_addr[0] = 0xfe;
	out->s6_addr[1] = 0x80;
	out->s6_addr[8] = mac[0] ^ 0x02;
	out->s6_addr[9] = mac[1];
	out->s6_addr[10] = mac[2];
	out->s6_addr[11] = 0xff;
	out->s6_addr[12] = 0xfe;
	out->s6_addr[13] = mac[3];
	out->s6_addr[14] = mac[4];
	out->s6_addr[15] = mac[5];
}
