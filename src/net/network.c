/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/firewall.h"
#include "net/ipam.h"
#include "net/netspec.h"
#include "net/network.h"
#include "net/nl.h"
#include "runtime/state.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/log.h"
#include "util/strutil.h"

void network_free(struct ward_network *n)
{
	if (!n)
		return;
	free(n->name);
	free(n->bridge);
	free(n->uplink);
	free(n);
}

void network_bridge_name(const char *network, char out[16])
{
	if (streq(network, WARD_DEFAULT_NETWORK))
		snprintf(out, 16, "%s", network);
	else if (strlen(network) <= 12)
		snprintf(out, 16, "wb-%s", network);
	else
		snprintf(out, 16, "wb-%.7s-%04x", network, str_hash32(network) & 0xffff);
}

static char *net_dir(const struct ward_ctx *ctx)
{
	return xasprintf("%s/networks", ctx->lib_dir);
}

static int lock_networks(const struct ward_ctx *ctx, ward_err *err)
{
	_cleanup_free_ char *dir = net_dir(ctx);
	_cleanup_free_ char *p = NULL;
	int fd, r;

	if (!dir)
		return werr(err, ENOMEM, "networks");
	r = mkdir_p(dir, 0755);
	if (r < 0)
		return werr(err, -r, "create %s", dir);
	p = xasprintf("%s/.lock", dir);
	if (!p)
		return werr(err, ENOMEM, "networks");
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return werr(err, errno, "open %s", p);
	if (flock(fd, LOCK_EX) < 0) {
		r = werr(err, errno, "lock %s", p);
		close(fd);
		return r;
	}
	return fd;
}

/* Starts that join the default network hold this lock shared from before
 * they load it until their lease exists; a failed first start removes the
 * network it made only if it can take the lock exclusively (nobody else
 * is between loading ward0 and holding a lease in it). */
static int lock_default(const struct ward_ctx *ctx, int op)
{
	_cleanup_free_ char *dir = net_dir(ctx);
	_cleanup_free_ char *p = dir ? xasprintf("%s/.default.lock", dir) : NULL;
	int fd;

	if (!p || mkdir_p(dir, 0755) < 0)
		return -ENOMEM;
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, op) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int network_default_hold(const struct ward_ctx *ctx)
{
	return lock_default(ctx, LOCK_SH);
}

void network_default_undo(const struct ward_ctx *ctx)
{
	_cleanup_close_ int fd = lock_default(ctx, LOCK_EX | LOCK_NB);
	ward_err e;

	if (fd < 0) {
		winfo("default network %s kept: another start is joining it", WARD_DEFAULT_NETWORK);
		return;
	}
	/* refused (and kept) while a container holds a lease in it */
	if (network_remove(ctx, WARD_DEFAULT_NETWORK, &e) < 0)
		winfo("default network %s kept: %s", WARD_DEFAULT_NETWORK, e.msg);
}

static const char *str(int family, const void *a, char *buf, size_t len)
{
	return net_addr_str(family, a, buf, len);
}

static int network_to_json(const struct ward_network *n, char **out)
{
	char s4[INET_ADDRSTRLEN], g4[INET_ADDRSTRLEN], s6[INET6_ADDRSTRLEN], g6[INET6_ADDRSTRLEN];
	json_t *o = json_object();

	if (!o)
		return -ENOMEM;
	json_object_set_new(o, "name", json_string(n->name));
	json_object_set_new(o, "bridge", json_string(n->bridge));
	json_object_set_new(o, "bridge_managed", json_boolean(n->bridge_managed));
	if (n->has4) {
		json_object_set_new(o, "subnet",
				    json_string(str(AF_INET, &n->subnet4, s4, sizeof(s4))));
		json_object_set_new(o, "prefix", json_integer(n->prefix4));
		json_object_set_new(o, "gateway",
				    json_string(str(AF_INET, &n->gw4, g4, sizeof(g4))));
	}
	if (n->has6) {
		json_object_set_new(o, "subnet6",
				    json_string(str(AF_INET6, &n->subnet6, s6, sizeof(s6))));
		json_object_set_new(o, "prefix6", json_integer(n->prefix6));
		json_object_set_new(o, "gateway6",
				    json_string(str(AF_INET6, &n->gw6, g6, sizeof(g6))));
	}
	json_object_set_new(o, "nat", json_boolean(n->nat));
	json_object_set_new(o, "isolate", json_boolean(n->isolate));
	if (n->uplink)
		json_object_set_new(o, "uplink", json_string(n->uplink));
	*out = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o);
	return *out ? 0 : -ENOMEM;
}

static int addr_field(json_t *o, const char *key, int family, void *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || inet_pton(family, json_string_value(v), out) != 1)
		return -EINVAL;
	return 0;
}

static int network_from_json(const char *text, const char *path, struct ward_network **out,
			     ward_err *err)
{
	json_error_t jerr;
	json_t *o = json_loads(text, 0, &jerr);
	struct ward_network *n = calloc(1, sizeof(*n));
	json_t *v;
	int r = 0;

	if (!o || !n) {
		json_decref(o);
		free(n);
		return werrx(err, EINVAL, "%s: not a network definition (%s)", path,
			     o ? "out of memory" : jerr.text);
	}
	n->name = strdup(json_string_value(json_object_get(o, "name")) ?: "");
	n->bridge = strdup(json_string_value(json_object_get(o, "bridge")) ?: "");
	n->bridge_managed = json_is_true(json_object_get(o, "bridge_managed"));
	n->nat = json_is_true(json_object_get(o, "nat"));
	n->isolate = json_is_true(json_object_get(o, "isolate"));
	if ((v = json_object_get(o, "uplink")) && json_is_string(v))
		n->uplink = strdup(json_string_value(v));
	if (json_object_get(o, "subnet")) {
		n->has4 = true;
		n->prefix4 = (unsigned)json_integer_value(json_object_get(o, "prefix"));
		if (addr_field(o, "subnet", AF_INET, &n->subnet4) < 0 ||
		    addr_field(o, "gateway", AF_INET, &n->gw4) < 0 || n->prefix4 > 32)
			r = -EINVAL;
	}
	if (json_object_get(o, "subnet6")) {
		n->has6 = true;
		n->prefix6 = (unsigned)json_integer_value(json_object_get(o, "prefix6"));
		if (addr_field(o, "subnet6", AF_INET6, &n->subnet6) < 0 ||
		    addr_field(o, "gateway6", AF_INET6, &n->gw6) < 0 || n->prefix6 > 128)
			r = -EINVAL;
	}
	json_decref(o);
	if (r < 0 || !n->name || !*n->name || !n->bridge || !*n->bridge) {
		network_free(n);
		return werrx(err, EINVAL, "%s: damaged network definition", path);
	}
	*out = n;
	return 0;
}

int network_load(const struct ward_ctx *ctx, const char *name, struct ward_network **out,
		 ward_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s/networks/%s.json", ctx->lib_dir, name);
	_cleanup_free_ char *text = NULL;
	int r;

	if (!path)
		return werr(err, ENOMEM, "network");
	if (!name_is_valid(name))
		return werrx(err, EINVAL, "'%s' is not a network name", name);
	r = read_file(path, &text, NULL);
	if (r == -ENOENT)
		return werrx(err, ENOENT, "network %s does not exist (ward net create)", name);
	if (r < 0)
		return werr(err, -r, "read %s", path);
	return network_from_json(text, path, out, err);
}

int network_list(const struct ward_ctx *ctx, char ***out, ward_err *err)
{
	_cleanup_free_ char *dir = net_dir(ctx);
	_cleanup_closedir_ DIR *d = NULL;
	char **names = NULL;
	struct dirent *de;

	*out = NULL;
	if (!dir)
		return werr(err, ENOMEM, "networks");
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : werr(err, errno, "read %s", dir);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l <= 5 || de->d_name[0] == '.' || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		if (strv_push_own(&names, strndup(de->d_name, l - 5)) < 0) {
			strv_free(names);
			return werr(err, ENOMEM, "networks");
		}
	}
	for (size_t i = 1; names && names[i]; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	*out = names;
	return 0;
}

static int save(const struct ward_ctx *ctx, const struct ward_network *n, ward_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s/networks/%s.json", ctx->lib_dir, n->name);
	_cleanup_free_ char *text = NULL;
	int r;

	if (!path || network_to_json(n, &text) < 0)
		return werr(err, ENOMEM, "network");
	r = write_file_atomic(path, text, strlen(text), 0644);
	if (r < 0)
		return werr(err, -r, "write %s", path);
	return 0;
}

/* --- subnet arithmetic --- */

static void mask_bits(unsigned char *a, size_t len, unsigned int prefix)
{
	for (size_t i = 0; i < len; i++) {
		unsigned int keep = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * i : 0;
		a[i] &= (unsigned char)(0xff00 >> keep);
	}
}

static bool in_subnet(int family, const void *addr, const void *subnet, unsigned int prefix)
{
	unsigned char a[16], s[16];
	size_t len = family == AF_INET ? 4 : 16;

	memcpy(a, addr, len);
	memcpy(s, subnet, len);
	mask_bits(a, len, prefix);
	mask_bits(s, len, prefix);
	return memcmp(a, s, len) == 0;
}

static bool overlap(int family, const void *a, unsigned int pa, const void *b, unsigned int pb)
{
	unsigned int p = pa < pb ? pa : pb;
	return in_subnet(family, a, b, p);
}

static int parse_subnet(const char *cidr, int family, void *addr, unsigned int *prefix,
			const char *flag, ward_err *err)
{
	unsigned char copy[16];
	int fam;
	size_t len = family == AF_INET ? 4 : 16;
	unsigned int maxp = family == AF_INET ? 30 : 126;

	if (!strchr(cidr, '/') || net_parse_addr(cidr, &fam, addr, prefix, true) < 0 ||
	    fam != family)
		return werrx(err, EINVAL, "%s: '%s' is not an IPv%d CIDR such as %s", flag, cidr,
			     family == AF_INET ? 4 : 6,
			     family == AF_INET ? "10.10.20.0/24" : "fd00:10:20::/64");
	if (*prefix > maxp || *prefix < (family == AF_INET ? 8u : 16u))
		return werrx(err, EINVAL, "%s: prefix /%u is out of range (/%u to /%u)", flag,
			     *prefix, family == AF_INET ? 8 : 16, maxp);
	memcpy(copy, addr, len);
	mask_bits(copy, len, *prefix);
	if (memcmp(copy, addr, len) != 0) {
		char b[INET6_ADDRSTRLEN];
		return werrx(err, EINVAL, "%s: '%s' has host bits set (did you mean %s/%u?)", flag,
			     cidr, net_addr_str(family, copy, b, sizeof(b)), *prefix);
	}
	return 0;
}

/* the first host address of the subnet */
static void first_host(int family, const void *subnet, void *out)
{
	size_t len = family == AF_INET ? 4 : 16;
	unsigned char *o = out;

	memcpy(o, subnet, len);
	o[len - 1] |= 1;
}

static bool is_edge(int family, const void *addr, const void *subnet, unsigned int prefix)
{
	unsigned char a[16], net[16], bcast[16];
	size_t len = family == AF_INET ? 4 : 16;

	memcpy(a, addr, len);
	memcpy(net, subnet, len);
	memcpy(bcast, subnet, len);
	for (unsigned int bit = prefix; bit < 8 * len; bit++)
		bcast[bit / 8] |= (unsigned char)(0x80 >> (bit % 8));
	return !memcmp(a, net, len) || (family == AF_INET && !memcmp(a, bcast, len));
}

static int check_overlaps(const struct ward_ctx *ctx, const struct ward_network *n,
			  struct nl_sock *nl, ward_err *err)
{
	_cleanup_strv_ char **names = NULL;
	char b[INET6_ADDRSTRLEN];
	int r;

	r = network_list(ctx, &names, err);
	if (r < 0)
		return r;
	STRV_FOREACH (nm, names) {
		_cleanup_(network_freep) struct ward_network *o = NULL;
		ward_err ignored;

		if (streq(*nm, n->name) || network_load(ctx, *nm, &o, &ignored) < 0)
			continue;
		if (n->has4 && o->has4 &&
		    overlap(AF_INET, &n->subnet4, n->prefix4, &o->subnet4, o->prefix4))
			return werrx(err, EEXIST, "subnet %s/%u overlaps network %s (%s/%u)",
				     net_addr_str(AF_INET, &n->subnet4, b, sizeof(b)), n->prefix4,
				     o->name, net_addr_str(AF_INET, &o->subnet4, b, sizeof(b)),
				     o->prefix4);
		if (n->has6 && o->has6 &&
		    overlap(AF_INET6, &n->subnet6, n->prefix6, &o->subnet6, o->prefix6))
			return werrx(err, EEXIST, "subnet %s/%u overlaps network %s",
				     net_addr_str(AF_INET6, &n->subnet6, b, sizeof(b)), n->prefix6,
				     o->name);
		if (streq(o->bridge, n->bridge))
			return werrx(err, EEXIST, "bridge %s is already network %s's", n->bridge,
				     o->name);
	}
	/* a subnet the host already routes elsewhere would shadow or be shadowed */
	if (n->has4) {
		bool ov = false;
		r = nl_route_overlaps(nl, AF_INET, &n->subnet4, n->prefix4, &ov, err);
		if (r < 0)
			return r;
		if (ov)
			return werrx(err, EEXIST, "subnet %s/%u overlaps a route of this host",
				     net_addr_str(AF_INET, &n->subnet4, b, sizeof(b)), n->prefix4);
	}
	if (n->has6) {
		bool ov = false;
		r = nl_route_overlaps(nl, AF_INET6, &n->subnet6, n->prefix6, &ov, err);
		if (r < 0)
			return r;
		if (ov)
			return werrx(err, EEXIST, "subnet %s/%u overlaps a route of this host",
				     net_addr_str(AF_INET6, &n->subnet6, b, sizeof(b)), n->prefix6);
	}
	return 0;
}

/* --- bringing a network up --- */

static char *marker_path(const struct ward_ctx *ctx, const char *name)
{
	return xasprintf("%s/.networks/%s.up", ctx->root_dir, name);
}

/* Turn a sysctl on, remembering the original value of global ones once so
 * that removing the last network can put it back. */
static int sysctl_on(const struct ward_ctx *ctx, const char *rel, bool remember, ward_err *err)
{
	char cur[32] = "";

	if (sysctl_net_read(rel, cur, sizeof(cur)) == 0 && streq(strstrip(cur), "1"))
		return 0;
	if (remember) {
		_cleanup_free_ char *key = xasprintf("%s/networks/.orig-%s", ctx->lib_dir, rel);
		if (!key)
			return werr(err, ENOMEM, "sysctl");
		for (char *p = key + strlen(ctx->lib_dir) + 16; *p; p++)
			if (*p == '/')
				*p = '.';
		if (!path_exists(key))
			write_file_atomic(key, cur, strlen(cur), 0644);
	}
	return sysctl_net_write(rel, "1", err);
}

bool network_br_netfilter(void)
{
	return access("/proc/sys/net/bridge/bridge-nf-call-iptables", F_OK) == 0;
}

static int bridge_sysctls(const struct ward_ctx *ctx, const struct ward_network *n, ward_err *err)
{
	char rel[96];
	int r;

	/* the host reaches published ports through 127.0.0.1 (DNAT + masquerade) */
	snprintf(rel, sizeof(rel), "ipv4/conf/%s/route_localnet", n->bridge);
	if ((r = sysctl_net_write(rel, "1", err)) < 0)
		return r;
	/* containers talking through the host must not be told to go direct */
	snprintf(rel, sizeof(rel), "ipv4/conf/%s/send_redirects", n->bridge);
	if ((r = sysctl_net_write(rel, "0", err)) < 0)
		return r;
	if (n->isolate) {
		/* isolated ports reach each other only through the host, which
		 * answers ARP for them (private VLAN proxy ARP) */
		snprintf(rel, sizeof(rel), "ipv4/conf/%s/proxy_arp", n->bridge);
		if ((r = sysctl_net_write(rel, "1", err)) < 0)
			return r;
		snprintf(rel, sizeof(rel), "ipv4/conf/%s/proxy_arp_pvlan", n->bridge);
		if ((r = sysctl_net_write(rel, "1", err)) < 0)
			return r;
		/* answer at once, not after a random delay of up to 0.8 s */
		snprintf(rel, sizeof(rel), "ipv4/neigh/%s/proxy_delay", n->bridge);
		if ((r = sysctl_net_write(rel, "0", err)) < 0)
			return r;
		if (n->has6) {
			snprintf(rel, sizeof(rel), "ipv6/conf/%s/proxy_ndp", n->bridge);
			if ((r = sysctl_net_write(rel, "1", err)) < 0)
				return r;
		}
	}
	/* forwarding: per interface with an uplink, else for the whole host */
	if (n->uplink) {
		snprintf(rel, sizeof(rel), "ipv4/conf/%s/forwarding", n->bridge);
		if ((r = sysctl_on(ctx, rel, false, err)) < 0)
			return r;
		snprintf(rel, sizeof(rel), "ipv4/conf/%s/forwarding", n->uplink);
		if ((r = sysctl_on(ctx, rel, false, err)) < 0)
			return r;
	} else if ((r = sysctl_on(ctx, "ipv4/ip_forward", true, err)) < 0) {
		return r;
	}
	if (n->has6) {
		char cur[8];
		snprintf(rel, sizeof(rel), "ipv6/conf/%s/force_forwarding", n->bridge);
		if (n->uplink && sysctl_net_read(rel, cur, sizeof(cur)) == 0) {
			if ((r = sysctl_net_write(rel, "1", err)) < 0)
				return r;
			snprintf(rel, sizeof(rel), "ipv6/conf/%s/force_forwarding", n->uplink);
			if ((r = sysctl_net_write(rel, "1", err)) < 0)
				return r;
		} else if ((r = sysctl_on(ctx, "ipv6/conf/all/forwarding", true, err)) < 0) {
			return r;
		}
	}
	return 0;
}

const char *network_forwarding_note(const struct ward_network *n)
{
	static char buf[256];

	if (n->uplink)
		snprintf(buf, sizeof(buf), "on for %s and %s only (per interface)", n->bridge,
			 n->uplink);
	else
		snprintf(buf, sizeof(buf),
			 "on for the whole host (net.ipv4.ip_forward=1%s): the network has no "
			 "--uplink",
			 n->has6 ? ", net.ipv6.conf.all.forwarding=1" : "");
	return buf;
}

static void fw_network_of(const struct ward_network *n, struct fw_network *f)
{
	*f = (struct fw_network){
	    .name = n->name,
	    .bridge = n->bridge,
	    .uplink = n->uplink,
	    .has4 = n->has4,
	    .has6 = n->has6,
	    .subnet4 = n->subnet4,
	    .prefix4 = n->prefix4,
	    .subnet6 = n->subnet6,
	    .prefix6 = n->prefix6,
	    .nat = n->nat,
	    .isolate = n->isolate,
	};
}

int network_up(const struct ward_ctx *ctx, const struct ward_network *n, bool force, ward_err *err)
{
	_cleanup_free_ char *marker = marker_path(ctx, n->name);
	struct nl_sock *nl = NULL;
	struct fw_ctx *fw = NULL;
	struct fw_network fn;
	int r;

	if (!marker)
		return werr(err, ENOMEM, "network");
	if (!force && path_exists(marker))
		return 0;
	r = nl_open(&nl, err);
	if (r < 0)
		return r;
	if (nl_link_index(nl, n->bridge) < 0) {
		uint8_t mac[6];
		if (!n->bridge_managed) {
			nl_close(nl);
			return werrx(err, ENODEV, "network %s: bridge %s does not exist", n->name,
				     n->bridge);
		}
		/* a fixed MAC: a bridge takes the lowest of its ports' MACs
		 * otherwise, and changes it whenever ports come and go */
		net_derive_mac(n->name, 0xffff, mac);
		r = nl_bridge_add(nl, n->bridge, mac, err);
		if (r < 0)
			goto out;
	}
	if (n->bridge_managed && n->has6) {
		/* the host must answer neighbour solicitations on the bridge
		 * at once, which it cannot while its link-local address is
		 * tentative: the bridge's MAC is ward's own, skip DAD */
		char rel[96];
		snprintf(rel, sizeof(rel), "ipv6/conf/%s/accept_dad", n->bridge);
		r = sysctl_net_write(rel, "0", err);
		if (r < 0 && r != -ENOENT)
			goto out;
	}
	{
		struct nl_link_change up = NL_LINK_CHANGE_NONE;
		up.up = 1;
		r = nl_link_set(nl, n->bridge, &up, err);
		if (r < 0)
			goto out;
	}
	if (n->has4) {
		r = nl_addr_add(nl, n->bridge, AF_INET, &n->gw4, n->prefix4, false, err);
		if (r == -EEXIST)
			r = 0;
		if (r < 0)
			goto out;
	}
	if (n->has6) {
		r = nl_addr_add(nl, n->bridge, AF_INET6, &n->gw6, n->prefix6, true, err);
		if (r == -EEXIST)
			r = 0;
		if (r < 0)
			goto out;
	}
	r = bridge_sysctls(ctx, n, err);
	if (r < 0)
		goto out;
	r = fw_open(&fw, err);
	if (r < 0)
		goto out;
	r = fw_ensure_base(fw, err);
	if (r < 0)
		goto out;
	fw_network_of(n, &fn);
	r = fw_network_add(fw, &fn, err);
	if (r == -EEXIST)
		r = 0;
	if (r < 0)
		goto out;
	{
		_cleanup_free_ char *dir = xasprintf("%s/.networks", ctx->root_dir);
		if (dir && mkdir_p(dir, 0755) == 0)
			write_file_atomic(marker, "", 0, 0644);
	}
out:
	if (r < 0)
		werr_wrap(err, "network %s", n->name);
	fw_close(fw);
	nl_close(nl);
	return r;
}

static int network_down(const struct ward_ctx *ctx, const struct ward_network *n, ward_err *err)
{
	_cleanup_free_ char *marker = marker_path(ctx, n->name);
	struct nl_sock *nl = NULL;
	struct fw_ctx *fw = NULL;
	struct fw_network fn;
	int r = 0;

	if (fw_open(&fw, err) == 0) {
		fw_network_of(n, &fn);
		r = fw_network_del(fw, &fn, err);
		fw_close(fw);
	}
	if (r >= 0 && n->bridge_managed && nl_open(&nl, err) == 0) {
		r = nl_link_del(nl, n->bridge, err);
		nl_close(nl);
	}
	if (marker)
		unlink(marker);
	return r;
}

int network_create(const struct ward_ctx *ctx, const char *name,
		   const struct network_create_opts *o, ward_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s/networks/%s.json", ctx->lib_dir, name);
	_cleanup_(network_freep) struct ward_network *n = calloc(1, sizeof(*n));
	_cleanup_close_ int lock = -1;
	struct nl_sock *nl = NULL;
	char br[16];
	int r;

	if (!path || !n)
		return werr(err, ENOMEM, "network");
	if (!name_is_valid(name))
		return werrx(err, EINVAL, "'%s' is not a network name", name);
	if (!o->subnet4 && !o->subnet6)
		return werrx(err, EINVAL, "--subnet (or --subnet6) is required");
	n->name = strdup(name);
	if (o->bridge) {
		if (strlen(o->bridge) > 15 || strchr(o->bridge, '/') || !*o->bridge)
			return werrx(err, EINVAL, "--bridge: '%s' is not an interface name",
				     o->bridge);
		n->bridge = strdup(o->bridge);
	} else {
		network_bridge_name(name, br);
		n->bridge = strdup(br);
	}
	n->nat = o->nat;
	n->isolate = o->isolate;
	if (o->uplink && !(n->uplink = strdup(o->uplink)))
		return werr(err, ENOMEM, "network");
	if (!n->name || !n->bridge)
		return werr(err, ENOMEM, "network");
	if (o->subnet4) {
		r = parse_subnet(o->subnet4, AF_INET, &n->subnet4, &n->prefix4, "--subnet", err);
		if (r < 0)
			return r;
		n->has4 = true;
		first_host(AF_INET, &n->subnet4, &n->gw4);
	}
	if (o->subnet6) {
		r = parse_subnet(o->subnet6, AF_INET6, &n->subnet6, &n->prefix6, "--subnet6", err);
		if (r < 0)
			return r;
		n->has6 = true;
		first_host(AF_INET6, &n->subnet6, &n->gw6);
	}
	if (o->gateway) {
		if (!n->has4 || inet_pton(AF_INET, o->gateway, &n->gw4) != 1 ||
		    !in_subnet(AF_INET, &n->gw4, &n->subnet4, n->prefix4) ||
		    is_edge(AF_INET, &n->gw4, &n->subnet4, n->prefix4))
			return werrx(err, EINVAL,
				     "--gateway: '%s' is not a host address of the subnet",
				     o->gateway);
	}
	if (o->gateway6) {
		if (!n->has6 || inet_pton(AF_INET6, o->gateway6, &n->gw6) != 1 ||
		    !in_subnet(AF_INET6, &n->gw6, &n->subnet6, n->prefix6) ||
		    is_edge(AF_INET6, &n->gw6, &n->subnet6, n->prefix6))
			return werrx(err, EINVAL,
				     "--gateway6: '%s' is not a host address of the subnet",
				     o->gateway6);
	}
	lock = lock_networks(ctx, err);
	if (lock < 0)
		return lock;
	if (path_exists(path))
		return werrx(err, EEXIST, "network %s already exists", name);
	r = nl_open(&nl, err);
	if (r < 0)
		return r;
	if (o->uplink && nl_link_index(nl, o->uplink) < 0) {
		nl_close(nl);
		return werrx(err, ENODEV, "--uplink: interface %s does not exist", o->uplink);
	}
	{
		struct nl_link_info li;
		ward_err e2;
		if (nl_link_get(nl, n->bridge, &li, &e2) == 0) {
			if (!streq(li.kind, "bridge")) {
				nl_close(nl);
				return werrx(err, EEXIST, "%s exists and is not a bridge",
					     n->bridge);
			}
			n->bridge_managed = false; /* somebody else's: used as it is */
		} else {
			n->bridge_managed = true;
		}
	}
	r = check_overlaps(ctx, n, nl, err);
	nl_close(nl);
	if (r < 0)
		return r;
	r = save(ctx, n, err);
	if (r < 0)
		return r;
	r = network_up(ctx, n, true, err);
	if (r < 0) {
		ward_err ignored;
		network_down(ctx, n, &ignored);
		unlink(path);
		return r;
	}
	return 0;
}

int network_default(const struct ward_ctx *ctx, struct ward_network **out, bool *made,
		    ward_err *err)
{
	/* Docker uses 172.17-31/16 and 192.168/16 pools, Podman 10.88/16 and
	 * 10.89.x/24, LXC 10.0.3/24, Kubernetes 10.42-43, 10.96/12, 10.244/16 */
	static const char *const candidates[] = {
	    "10.121.0.0/16", "10.122.0.0/16", "10.123.0.0/16",
	    "10.124.0.0/16", "10.125.0.0/16", "10.126.0.0/16",
	};
	ward_err e;
	int r;

	*made = false;
	r = network_load(ctx, WARD_DEFAULT_NETWORK, out, &e);
	if (r == 0 || r != -ENOENT) {
		if (r < 0)
			*err = e;
		return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(candidates); i++) {
		struct network_create_opts o = {.subnet4 = candidates[i], .nat = true};
		r = network_create(ctx, WARD_DEFAULT_NETWORK, &o, &e);
		if (r == 0 || (r == -EEXIST && strstr(e.msg, "already exists"))) {
			*made = r == 0;
			return network_load(ctx, WARD_DEFAULT_NETWORK, out, err);
		}
		if (r != -EEXIST) {
			*err = e;
			return werr_wrap(err, "default network %s", WARD_DEFAULT_NETWORK);
		}
		winfo("default network: %s is taken (%s)", candidates[i], e.msg);
	}
	return werrx(err, EEXIST,
		     "default network %s: every candidate subnet (10.121-126.0.0/16) is in use; "
		     "create it with ward net create %s --subnet CIDR",
		     WARD_DEFAULT_NETWORK, WARD_DEFAULT_NETWORK);
}

/* Put back what ward turned on for the whole host, once no network is left. */
static void restore_forwarding(const struct ward_ctx *ctx)
{
	static const char *const globals[] = {"ipv4/ip_forward", "ipv6/conf/all/forwarding"};

	for (size_t i = 0; i < ARRAY_SIZE(globals); i++) {
		_cleanup_free_ char *key =
		    xasprintf("%s/networks/.orig-%s", ctx->lib_dir, globals[i]);
		_cleanup_free_ char *val = NULL;
		ward_err ignored;

		if (!key)
			continue;
		for (char *p = key + strlen(ctx->lib_dir) + 16; *p; p++)
			if (*p == '/')
				*p = '.';
		if (read_file(key, &val, NULL) < 0)
			continue;
		sysctl_net_write(globals[i], strstrip(val), &ignored);
		unlink(key);
	}
}

int network_remove(const struct ward_ctx *ctx, const char *name, ward_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s/networks/%s.json", ctx->lib_dir, name);
	_cleanup_(network_freep) struct ward_network *n = NULL;
	_cleanup_close_ int lock = -1;
	_cleanup_strv_ char **users = NULL;
	_cleanup_strv_ char **rest = NULL;
	int r;

	if (!path)
		return werr(err, ENOMEM, "network");
	lock = lock_networks(ctx, err);
	if (lock < 0)
		return lock;
	r = network_load(ctx, name, &n, err);
	if (r < 0)
		return r;
	r = ipam_users(ctx, name, &users, err);
	if (r < 0)
		return r;
	if (users && users[0])
		return werrx(err, EBUSY, "network %s is in use by container %s", name, users[0]);
	r = network_down(ctx, n, err);
	if (r < 0)
		return r;
	ipam_forget(ctx, name);
	unlink(path);
	if (network_list(ctx, &rest, err) == 0 && (!rest || !rest[0])) {
		struct fw_ctx *fw = NULL;
		ward_err ignored;
		if (fw_open(&fw, &ignored) == 0) {
			/* containers on a bridge ward does not manage
			 * (--net bridge:IF) keep their policy in ward's tables
			 * without holding a network */
			_cleanup_strv_ char **holders = NULL;
			bool in_use = fw_list_containers(fw, &holders, &ignored) < 0;
			STRV_FOREACH (h, holders)
				in_use = in_use || state_is_alive(ctx, *h);
			if (!in_use)
				fw_remove_all(fw, &ignored);
			fw_close(fw);
		}
		restore_forwarding(ctx);
	}
	return 0;
}
