/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "net/ipam.h"
#include "net/netspec.h"
#include "runtime/state.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

struct lease {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;
	char *container;
	char *root;
};

struct leases {
	struct lease *l;
	size_t n;
};

static void leases_clear(struct leases *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		free(ls->l[i].container);
		free(ls->l[i].root);
	}
	free(ls->l);
	ls->l = NULL;
	ls->n = 0;
}

static char *path_of(const struct ward_ctx *ctx, const char *network, const char *ext)
{
	return xasprintf("%s/networks/%s.%s", ctx->lib_dir, network, ext);
}

/* An exclusive lock on PATH (created), held as long as the fd is open. */
static int lock_file(const char *path, const char *what, ward_err *err)
{
	int fd;

	if (!path)
		return werr(err, ENOMEM, "%s", what);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return werr(err, errno, "%s: open %s", what, path);
	if (flock(fd, LOCK_EX) < 0) {
		int e = errno;
		close(fd);
		return werr(err, e, "%s: lock %s", what, path);
	}
	return fd;
}

static int lock_network(const struct ward_ctx *ctx, const char *network, ward_err *err)
{
	_cleanup_free_ char *p = path_of(ctx, network, "lock");

	return lock_file(p, "leases", err);
}

static int load(const struct ward_ctx *ctx, const char *network, struct leases *ls, ward_err *err)
{
	_cleanup_free_ char *p = path_of(ctx, network, "leases");
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	int r;

	ls->l = NULL;
	ls->n = 0;
	if (!p)
		return werr(err, ENOMEM, "leases");
	r = read_file(p, &text, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return werr(err, -r, "leases: read %s", p);
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char fam[4], addr[64], cont[80], root[4096];
		struct lease l = {0};
		struct lease *nl;

		if (sscanf(line, "%3s %63s %79s %4095s", fam, addr, cont, root) != 4)
			continue;
		l.family = streq(fam, "6") ? AF_INET6 : AF_INET;
		if (inet_pton(l.family, addr, &l.a) != 1)
			continue;
		l.container = strdup(cont);
		l.root = strdup(root);
		nl = realloc(ls->l, (ls->n + 1) * sizeof(*nl));
		if (!nl || !l.container || !l.root) {
			free(l.container);
			free(l.root);
			free(nl ? nl : ls->l);
			ls->l = NULL;
			ls->n = 0;
			return werr(err, ENOMEM, "leases");
		}
		ls->l = nl;
		ls->l[ls->n++] = l;
	}
	return 0;
}

static int store(const struct ward_ctx *ctx, const char *network, const struct leases *ls,
		 ward_err *err)
{
	_cleanup_free_ char *p = path_of(ctx, network, "leases");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	if (!p || !f) {
		if (f)
			fclose(f);
		return werr(err, ENOMEM, "leases");
	}
	for (size_t i = 0; i < ls->n; i++) {
		char a[INET6_ADDRSTRLEN];
		fprintf(f, "%d %s %s %s\n", ls->l[i].family == AF_INET6 ? 6 : 4,
			net_addr_str(ls->l[i].family, &ls->l[i].a, a, sizeof(a)),
			ls->l[i].container, ls->l[i].root);
	}
	fclose(f);
	r = write_file_atomic(p, buf, len, 0644);
	free(buf);
	if (r < 0)
		return werr(err, -r, "leases: write %s", p);
	return 0;
}

static bool alive(const struct lease *l)
{
	struct ward_ctx c = {.root_dir = l->root};
	return state_is_alive(&c, l->container);
}

static void drop(struct leases *ls, size_t i)
{
	free(ls->l[i].container);
	free(ls->l[i].root);
	memmove(&ls->l[i], &ls->l[i + 1], (ls->n - i - 1) * sizeof(*ls->l));
	ls->n--;
}

/* The lease of that address, or -1. */
static ssize_t find(const struct leases *ls, int family, const void *a)
{
	size_t len = family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < ls->n; i++)
		if (ls->l[i].family == family && !memcmp(&ls->l[i].a, a, len))
			return (ssize_t)i;
	return -1;
}

static bool in_subnet(int family, const void *addr, const void *subnet, unsigned int prefix)
{
	const unsigned char *a = addr, *s = subnet;

	for (unsigned int bit = 0; bit < prefix; bit++) {
		unsigned char m = (unsigned char)(0x80 >> (bit % 8));
		if ((a[bit / 8] & m) != (s[bit / 8] & m))
			return false;
	}
	(void)family;
	return true;
}

static bool host_part_zero_or_ones(int family, const void *addr, unsigned int prefix)
{
	const unsigned char *a = addr;
	size_t len = family == AF_INET ? 4 : 16;
	bool zero = true, ones = true;

	for (unsigned int bit = prefix; bit < 8 * len; bit++) {
		bool set = a[bit / 8] & (0x80 >> (bit % 8));
		zero = zero && !set;
		ones = ones && set;
	}
	return zero || (family == AF_INET && ones);
}

/* Add i to the host part of the subnet; false when i does not fit. */
static bool nth_host(int family, const void *subnet, unsigned int prefix, uint64_t i, void *out)
{
	size_t len = family == AF_INET ? 4 : 16;
	unsigned int host_bits = 8 * (unsigned)len - prefix;
	unsigned char *o = out;

	if (host_bits < 64 && i >> host_bits)
		return false;
	memcpy(o, subnet, len);
	for (size_t k = 0; k < 8 && i; k++) {
		unsigned int sum = o[len - 1 - k] + (unsigned)(i & 0xff);
		o[len - 1 - k] = (unsigned char)sum;
		i = (i >> 8) + (sum >> 8);
	}
	return true;
}

static int lease_cmp(const void *a, const void *b)
{
	const struct lease *x = *(const struct lease *const *)a,
			   *y = *(const struct lease *const *)b;

	return memcmp(&x->a, &y->a, x->family == AF_INET ? 4 : 16);
}

/* The lowest host address of the subnet that no lease holds: the leases
 * sorted once, then walked alongside the candidates (O(n log n), not a
 * search of every lease for every candidate). */
static bool lowest_free(const struct leases *ls, int family, const void *subnet,
			unsigned int prefix, const void *gw, void *addr)
{
	size_t len = family == AF_INET ? 4 : 16, n = 0, j = 0;
	_cleanup_free_ const struct lease **sorted = calloc(ls->n + 1, sizeof(*sorted));

	if (!sorted)
		return false;
	for (size_t i = 0; i < ls->n; i++)
		if (ls->l[i].family == family)
			sorted[n++] = &ls->l[i];
	qsort(sorted, n, sizeof(*sorted), lease_cmp);
	for (uint64_t i = 1; nth_host(family, subnet, prefix, i, addr); i++) {
		if (!memcmp(addr, gw, len) || host_part_zero_or_ones(family, addr, prefix))
			continue;
		while (j < n && memcmp(&sorted[j]->a, addr, len) < 0)
			j++;
		if (j == n || memcmp(&sorted[j]->a, addr, len) != 0)
			return true;
		if (family == AF_INET6 && i > 1000000)
			break;
	}
	return false;
}

static int take(const struct ward_ctx *ctx, const struct ward_network *n, struct leases *ls,
		const char *container, int family, bool fixed, void *addr, ward_err *err)
{
	const void *subnet =
	    family == AF_INET ? (const void *)&n->subnet4 : (const void *)&n->subnet6;
	const void *gw = family == AF_INET ? (const void *)&n->gw4 : (const void *)&n->gw6;
	unsigned int prefix = family == AF_INET ? n->prefix4 : n->prefix6;
	size_t len = family == AF_INET ? 4 : 16;
	char b[INET6_ADDRSTRLEN];
	struct lease *nl;

	if (fixed) {
		ssize_t at;
		if (!in_subnet(family, addr, subnet, prefix) ||
		    host_part_zero_or_ones(family, addr, prefix))
			return werrx(err, EINVAL, "address %s is not a host address of network %s",
				     net_addr_str(family, addr, b, sizeof(b)), n->name);
		if (!memcmp(addr, gw, len))
			return werrx(err, EINVAL, "address %s is network %s's gateway",
				     net_addr_str(family, addr, b, sizeof(b)), n->name);
		at = find(ls, family, addr);
		if (at >= 0 && !streq(ls->l[at].container, container)) {
			if (alive(&ls->l[at]))
				return werrx(
				    err, EADDRINUSE, "address %s is in use by container %s",
				    net_addr_str(family, addr, b, sizeof(b)), ls->l[at].container);
			drop(ls, (size_t)at); /* its container is gone */
		} else if (at >= 0) {
			drop(ls, (size_t)at);
		}
	} else {
		bool found = lowest_free(ls, family, subnet, prefix, gw, addr);
		/* else the lowest a dead container holds */
		for (int pass = 1; pass < 2 && !found; pass++)
			for (uint64_t i = 1; nth_host(family, subnet, prefix, i, addr); i++) {
				ssize_t at;
				if (!memcmp(addr, gw, len) ||
				    host_part_zero_or_ones(family, addr, prefix))
					continue;
				at = find(ls, family, addr);
				if (at < 0) {
					found = true;
					break;
				}
				if (pass == 1 &&
				    (streq(ls->l[at].container, container) || !alive(&ls->l[at]))) {
					drop(ls, (size_t)at);
					found = true;
					break;
				}
				if (family == AF_INET6 && i > 1000000)
					break;
			}
		if (!found)
			return werrx(err, ENOSPC, "network %s has no free IPv%d address", n->name,
				     family == AF_INET ? 4 : 6);
	}
	nl = realloc(ls->l, (ls->n + 1) * sizeof(*nl));
	if (!nl)
		return werr(err, ENOMEM, "leases");
	ls->l = nl;
	memset(&ls->l[ls->n], 0, sizeof(*ls->l));
	ls->l[ls->n].family = family;
	memcpy(&ls->l[ls->n].a, addr, len);
	ls->l[ls->n].container = strdup(container);
	ls->l[ls->n].root = strdup(ctx->root_dir);
	ls->n++;
	if (!ls->l[ls->n - 1].container || !ls->l[ls->n - 1].root)
		return werr(err, ENOMEM, "leases");
	return 0;
}

int ipam_acquire(const struct ward_ctx *ctx, const struct ward_network *n, const char *container,
		 struct ipam_request *req, ward_err *err)
{
	_cleanup_close_ int lock = lock_network(ctx, n->name, err);
	struct leases ls;
	int r;

	if (lock < 0)
		return lock;
	r = load(ctx, n->name, &ls, err);
	if (r < 0)
		return r;
	/* a container has at most one lease per family in a network */
	for (size_t i = 0; i < ls.n;)
		if (streq(ls.l[i].container, container))
			drop(&ls, i);
		else
			i++;
	if (req->want4 && n->has4)
		r = take(ctx, n, &ls, container, AF_INET, req->static4, &req->ip4, err);
	else if (req->static4)
		r = werrx(err, EINVAL, "network %s has no IPv4 subnet", n->name);
	if (r >= 0 && req->want6 && n->has6)
		r = take(ctx, n, &ls, container, AF_INET6, req->static6, &req->ip6, err);
	else if (r >= 0 && req->static6)
		r = werrx(err, EINVAL, "network %s has no IPv6 subnet", n->name);
	if (r >= 0)
		r = store(ctx, n->name, &ls, err);
	leases_clear(&ls);
	return r;
}

int ipam_release(const struct ward_ctx *ctx, const char *network, const char *container,
		 ward_err *err)
{
	_cleanup_close_ int lock = lock_network(ctx, network, err);
	struct leases ls;
	bool changed = false;
	int r;

	if (lock < 0)
		return lock;
	r = load(ctx, network, &ls, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ls.n;)
		if (streq(ls.l[i].container, container)) {
			drop(&ls, i);
			changed = true;
		} else {
			i++;
		}
	if (changed)
		r = store(ctx, network, &ls, err);
	leases_clear(&ls);
	return r;
}

int ipam_prune(const struct ward_ctx *ctx, const char *network, ward_err *err)
{
	_cleanup_close_ int lock = lock_network(ctx, network, err);
	struct leases ls;
	int dropped = 0, r;

	if (lock < 0)
		return lock;
	r = load(ctx, network, &ls, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ls.n;)
		if (!alive(&ls.l[i])) {
			drop(&ls, i);
			dropped++;
		} else {
			i++;
		}
	if (dropped)
		r = store(ctx, network, &ls, err);
	leases_clear(&ls);
	return r < 0 ? r : dropped;
}

int ipam_users(const struct ward_ctx *ctx, const char *network, char ***names, ward_err *err)
{
	_cleanup_close_ int lock = lock_network(ctx, network, err);
	struct leases ls;
	int r;

	*names = NULL;
	if (lock < 0)
		return lock;
	r = load(ctx, network, &ls, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ls.n; i++)
		if (alive(&ls.l[i]) && !strv_contains(*names, ls.l[i].container))
			strv_push(names, ls.l[i].container);
	leases_clear(&ls);
	return 0;
}

int ipam_count(const struct ward_ctx *ctx, const char *network)
{
	struct leases ls;
	ward_err e;
	int n;

	if (load(ctx, network, &ls, &e) < 0)
		return -1;
	n = (int)ls.n;
	leases_clear(&ls);
	return n;
}

void ipam_forget(const struct ward_ctx *ctx, const char *network)
{
	_cleanup_free_ char *p = path_of(ctx, network, "leases");
	_cleanup_free_ char *l = path_of(ctx, network, "lock");

	if (p)
		unlink(p);
	if (l)
		unlink(l);
}

/* --- published ports --- */

static char *pub_path(const struct ward_ctx *ctx, const char *ext)
{
	return xasprintf("%s/networks/published%s", ctx->lib_dir, ext);
}

static int lock_pub(const struct ward_ctx *ctx, ward_err *err)
{
	_cleanup_free_ char *p = pub_path(ctx, ".lock");
	_cleanup_free_ char *dir = xasprintf("%s/networks", ctx->lib_dir);

	if (dir)
		mkdir_p(dir, 0755);
	return lock_file(p, "published ports", err);
}

static const char *proto_name(uint8_t p)
{
	return p == IPPROTO_UDP ? "udp" : p == IPPROTO_SCTP ? "sctp" : "tcp";
}

/* "tcp * 80 web /run/ward" or "udp 10.0.0.1 53 dns /run/ward" */
static void pub_line(FILE *f, const struct fw_publish *p, const char *container, const char *root)
{
	char a[INET6_ADDRSTRLEN];

	fprintf(f, "%s %s %u %s %s\n", proto_name(p->proto),
		p->any_host ? "*" : net_addr_str(p->family, &p->host, a, sizeof(a)), p->host_port,
		container, root);
}

int ipam_publish(const struct ward_ctx *ctx, const char *container, const struct fw_publish *p,
		 size_t n, ward_err *err)
{
	_cleanup_close_ int lock = -1;
	_cleanup_free_ char *path = pub_path(ctx, "");
	_cleanup_free_ char *text = NULL;
	char *out = NULL, *save = NULL;
	size_t outlen = 0;
	FILE *f;
	int r;

	if (!n)
		return 0;
	lock = lock_pub(ctx, err);
	if (lock < 0)
		return lock;
	if (!path)
		return werr(err, ENOMEM, "published ports");
	r = read_file(path, &text, NULL);
	if (r < 0 && r != -ENOENT)
		return werr(err, -r, "read %s", path);
	f = open_memstream(&out, &outlen);
	if (!f)
		return werr(err, ENOMEM, "published ports");
	for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char proto[8], host[64], owner[80], root[4096];
		unsigned int port;
		struct lease l = {0};

		if (sscanf(line, "%7s %63s %u %79s %4095s", proto, host, &port, owner, root) != 5)
			continue;
		bool clash = false;

		l.container = owner;
		l.root = root;
		/* our own old entries are dropped */
		if (streq(owner, container))
			continue;
		for (size_t i = 0; i < n && !clash; i++) {
			char a[INET6_ADDRSTRLEN];
			bool same_host =
			    streq(host, "*") || p[i].any_host ||
			    streq(host, net_addr_str(p[i].family, &p[i].host, a, sizeof(a)));
			clash = port == p[i].host_port && streq(proto, proto_name(p[i].proto)) &&
				same_host;
		}
		/* only a clash costs a liveness check (one per entry would make
		 * every start O(containers)); a clash with a container that is
		 * gone drops its entry */
		if (clash && alive(&l)) {
			fclose(f);
			free(out);
			return werrx(err, EADDRINUSE,
				     "port %u/%s is already published by container %s", port, proto,
				     owner);
		}
		if (clash)
			continue;
		fprintf(f, "%s\n", line);
	}
	for (size_t i = 0; i < n; i++)
		pub_line(f, &p[i], container, ctx->root_dir);
	fclose(f);
	r = write_file_atomic(path, out, outlen, 0644);
	free(out);
	if (r < 0)
		return werr(err, -r, "write %s", path);
	return 0;
}

int ipam_unpublish(const struct ward_ctx *ctx, const char *container, ward_err *err)
{
	_cleanup_close_ int lock = -1;
	_cleanup_free_ char *path = pub_path(ctx, "");
	_cleanup_free_ char *text = NULL;
	char *out = NULL, *save = NULL;
	size_t outlen = 0;
	FILE *f;
	int r;

	lock = lock_pub(ctx, err);
	if (lock < 0)
		return lock;
	if (!path)
		return werr(err, ENOMEM, "published ports");
	r = read_file(path, &text, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return werr(err, -r, "read %s", path);
	f = open_memstream(&out, &outlen);
	if (!f)
		return werr(err, ENOMEM, "published ports");
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char proto[8], host[64], owner[80];
		unsigned int port;
		if (sscanf(line, "%7s %63s %u %79s", proto, host, &port, owner) == 4 &&
		    streq(owner, container))
			continue;
		fprintf(f, "%s\n", line);
	}
	fclose(f);
	r = write_file_atomic(path, out, outlen, 0644);
	free(out);
	if (r < 0)
		return werr(err, -r, "write %s", path);
	return 0;
}
