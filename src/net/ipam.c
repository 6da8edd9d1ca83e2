/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Leases and published ports, one small file each, so that a start or a
 * stop costs the same with 1 or 1000 containers: no file that lists every
 * container is read or rewritten on the way (it was 1.2 ms per start and
 * 1.4 ms per stop at 1000 containers, measured).
 *
 *   LIB/networks/NAME.leases.d/ADDR         "CONTAINER ROOT": who holds ADDR
 *   LIB/networks/NAME.leases.d/@CONTAINER.4 its IPv4 address (.6: IPv6)
 *   LIB/networks/NAME.lock                  flock, held around each change
 *
 *   LIB/networks/published.d/PROTO-PORT/HOST "CONTAINER ROOT" (HOST: * or an
 *                                            address)
 *   LIB/networks/published.d/@CONTAINER      its "PROTO-PORT HOST" lines
 *   LIB/networks/published.lock
 *
 * A holder is alive while a ward holds the flock on ROOT/CONTAINER (see
 * state_is_alive()); only a clash costs that check, and a clash with a
 * holder that is gone takes its place.  An empty or unreadable holder file
 * (a ward killed between creating and filling it) counts as gone.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/ipam.h"
#include "net/netspec.h"
#include "runtime/state.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

/* the most addresses one dynamic search tries (an IPv6 /64 is not walked) */
#define SEARCH_MAX (1u << 20)

struct holder {
	char container[80];
	char root[4096];
};

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

/* The leases directory of NETWORK, opened (and made when create). */
static int open_dir(const struct ward_ctx *ctx, const char *network, bool create, ward_err *err)
{
	_cleanup_free_ char *p = xasprintf("%s/networks/%s.leases.d", ctx->lib_dir, network);
	int fd;

	if (!p)
		return werr(err, ENOMEM, "leases");
	if (create && mkdir_p(p, 0755) < 0)
		return werr(err, errno, "leases: create %s", p);
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT && !create ? -ENOENT
						  : werr(err, errno, "leases: open %s", p);
	return fd;
}

static int lock_network(const struct ward_ctx *ctx, const char *network, ward_err *err)
{
	_cleanup_free_ char *p = xasprintf("%s/networks/%s.lock", ctx->lib_dir, network);

	return lock_file(p, "leases", err);
}

/* 0 and the holder, -ENOENT when nobody holds NAME, or another -errno. */
static int read_holder(int dirfd, const char *name, struct holder *h)
{
	_cleanup_free_ char *text = NULL;
	int r = read_file_at(dirfd, name, &text, NULL);

	memset(h, 0, sizeof(*h));
	if (r < 0)
		return r;
	if (sscanf(text, "%79s %4095s", h->container, h->root) != 2)
		h->container[0] = '\0'; /* half-written: gone */
	return 0;
}

static bool holder_alive(const struct holder *h)
{
	struct ward_ctx c = {.root_dir = h->root};

	return h->container[0] && state_is_alive(&c, h->container);
}

static int write_at(int dirfd, const char *name, const char *text)
{
	char tmp[128];
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), ".tmp.%d", (int)getpid());
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return neg_errno();
	if (write_all(fd, text, strlen(text)) < 0)
		r = neg_errno();
	if (close(fd) < 0 && r == 0)
		r = neg_errno();
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = neg_errno();
	if (r < 0)
		unlinkat(dirfd, tmp, 0);
	return r;
}

/* Create NAME holding TEXT only if it does not exist: -EEXIST otherwise. */
static int create_at(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	int r = 0;

	if (fd < 0)
		return neg_errno();
	if (write_all(fd, text, strlen(text)) < 0)
		r = neg_errno();
	if (close(fd) < 0 && r == 0)
		r = neg_errno();
	return r;
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

/* How many host positions the search walks. */
static uint64_t positions(int family, unsigned int prefix)
{
	unsigned int host_bits = (family == AF_INET ? 32u : 128u) - prefix;

	return host_bits >= 20 ? SEARCH_MAX : (uint64_t)1 << host_bits;
}

struct fam {
	int family;
	char sfx; /* '4' or '6' */
	const void *subnet, *gw;
	unsigned int prefix;
	size_t len;
};

static void index_name(char *buf, size_t len, const char *container, char sfx)
{
	snprintf(buf, len, "@%s.%c", container, sfx);
}

/* The container's previous address in this family, if it still holds it. */
static bool previous(int dirfd, const struct fam *f, const char *container, char *addr, size_t len)
{
	char idx[100];
	_cleanup_free_ char *text = NULL;
	struct holder h;

	index_name(idx, sizeof(idx), container, f->sfx);
	if (read_file_at(dirfd, idx, &text, NULL) < 0)
		return false;
	snprintf(addr, len, "%s", text);
	addr[strcspn(addr, "\n")] = '\0';
	return addr[0] && read_holder(dirfd, addr, &h) == 0 && streq(h.container, container);
}

/* The index is a hint for the release (the address files are the truth),
 * so it is written in place: one file operation less on every start. */
static int record(int dirfd, const struct fam *f, const char *container, const char *addr)
{
	char idx[100];
	int fd, r = 0;

	index_name(idx, sizeof(idx), container, f->sfx);
	fd = openat(dirfd, idx, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return neg_errno();
	if (write_all(fd, addr, strlen(addr)) < 0)
		r = neg_errno();
	if (close(fd) < 0 && r == 0)
		r = neg_errno();
	return r;
}

/* Taking over ADDR from a holder that is gone: its index goes too. */
static void forget_holder(int dirfd, const struct fam *f, const struct holder *h, const char *addr)
{
	_cleanup_free_ char *text = NULL;
	char idx[100];

	if (!h->container[0])
		return;
	index_name(idx, sizeof(idx), h->container, f->sfx);
	if (read_file_at(dirfd, idx, &text, NULL) < 0)
		return;
	text[strcspn(text, "\n")] = '\0';
	if (streq(text, addr))
		unlinkat(dirfd, idx, 0);
}

static int take(const struct ward_ctx *ctx, const struct ward_network *n, int dirfd,
		const struct fam *f, const char *container, bool fixed, void *addr, ward_err *err)
{
	_cleanup_free_ char *me = xasprintf("%s %s\n", container, ctx->root_dir);
	char a[INET6_ADDRSTRLEN], prev[INET6_ADDRSTRLEN] = "";
	bool had = previous(dirfd, f, container, prev, sizeof(prev));
	struct holder h;
	int r;

	if (!me)
		return werr(err, ENOMEM, "leases");
	if (fixed) {
		net_addr_str(f->family, addr, a, sizeof(a));
		if (!in_subnet(f->family, addr, f->subnet, f->prefix) ||
		    host_part_zero_or_ones(f->family, addr, f->prefix))
			return werrx(err, EINVAL, "address %s is not a host address of network %s",
				     a, n->name);
		if (!memcmp(addr, f->gw, f->len))
			return werrx(err, EINVAL, "address %s is network %s's gateway", a, n->name);
		r = read_holder(dirfd, a, &h);
		if (r == 0 && !streq(h.container, container)) {
			if (holder_alive(&h))
				return werrx(err, EADDRINUSE,
					     "address %s is in use by container %s", a,
					     h.container);
			forget_holder(dirfd, f, &h, a);
		}
		r = write_at(dirfd, a, me);
	} else if (had) {
		/* the same address as last time: stable across restarts */
		inet_pton(f->family, prev, addr);
		snprintf(a, sizeof(a), "%s", prev);
		r = 0;
	} else {
		uint64_t size = positions(f->family, f->prefix), i = 0;
		/* The search starts at a place derived from the name: a name
		 * tends to get its address back, names spread over the subnet
		 * (so the first try is free as long as the subnet is not
		 * crowded), and an address just released is not the next one
		 * handed out.  Then the addresses of holders that are gone. */
		uint64_t start = str_hash32(container) % size;
		bool found = false;

		for (int pass = 0; pass < 2 && !found; pass++)
			for (uint64_t step = 1; step <= size && !found; step++) {
				i = (start + step) % size;
				if (!nth_host(f->family, f->subnet, f->prefix, i, addr) ||
				    host_part_zero_or_ones(f->family, addr, f->prefix) ||
				    !memcmp(addr, f->gw, f->len))
					continue;
				net_addr_str(f->family, addr, a, sizeof(a));
				if (pass == 0) {
					r = create_at(dirfd, a, me);
					if (r == 0)
						found = true;
					else if (r != -EEXIST)
						return werr(err, -r, "leases: create %s", a);
				} else if (read_holder(dirfd, a, &h) == 0 && !holder_alive(&h)) {
					forget_holder(dirfd, f, &h, a);
					r = write_at(dirfd, a, me);
					if (r < 0)
						return werr(err, -r, "leases: write %s", a);
					found = true;
				}
			}
		if (!found)
			return werrx(err, ENOSPC, "network %s has no free IPv%c address", n->name,
				     f->sfx);
		r = 0;
	}
	if (r < 0)
		return werr(err, -r, "leases: write %s", a);
	/* one lease per family: a previous one elsewhere goes */
	if (had && !streq(prev, a))
		unlinkat(dirfd, prev, 0);
	r = record(dirfd, f, container, a);
	if (r < 0)
		return werr(err, -r, "leases: write index of %s", container);
	return 0;
}

int ipam_acquire(const struct ward_ctx *ctx, const struct ward_network *n, const char *container,
		 struct ipam_request *req, ward_err *err)
{
	_cleanup_close_ int lock = lock_network(ctx, n->name, err);
	_cleanup_close_ int dirfd = -1;
	const struct fam f4 = {AF_INET, '4', &n->subnet4, &n->gw4, n->prefix4, 4};
	const struct fam f6 = {AF_INET6, '6', &n->subnet6, &n->gw6, n->prefix6, 16};
	int r = 0;

	if (lock < 0)
		return lock;
	if (req->static4 && !n->has4)
		return werrx(err, EINVAL, "network %s has no IPv4 subnet", n->name);
	if (req->static6 && !n->has6)
		return werrx(err, EINVAL, "network %s has no IPv6 subnet", n->name);
	dirfd = open_dir(ctx, n->name, true, err);
	if (dirfd < 0)
		return dirfd;
	if (req->want4 && n->has4)
		r = take(ctx, n, dirfd, &f4, container, req->static4, &req->ip4, err);
	if (r >= 0 && req->want6 && n->has6)
		r = take(ctx, n, dirfd, &f6, container, req->static6, &req->ip6, err);
	return r;
}

static void release_family(int dirfd, const char *container, char sfx)
{
	char idx[100], addr[INET6_ADDRSTRLEN + 2];
	_cleanup_free_ char *text = NULL;
	struct holder h;

	index_name(idx, sizeof(idx), container, sfx);
	if (read_file_at(dirfd, idx, &text, NULL) < 0)
		return;
	snprintf(addr, sizeof(addr), "%s", text);
	addr[strcspn(addr, "\n")] = '\0';
	if (addr[0] && read_holder(dirfd, addr, &h) == 0 && streq(h.container, container))
		unlinkat(dirfd, addr, 0);
	unlinkat(dirfd, idx, 0);
}

int ipam_release(const struct ward_ctx *ctx, const char *network, const char *container,
		 ward_err *err)
{
	_cleanup_close_ int lock = lock_network(ctx, network, err);
	_cleanup_close_ int dirfd = -1;

	if (lock < 0)
		return lock;
	dirfd = open_dir(ctx, network, false, err);
	if (dirfd == -ENOENT)
		return 0;
	if (dirfd < 0)
		return dirfd;
	release_family(dirfd, container, '4');
	release_family(dirfd, container, '6');
	return 0;
}

/* Each address file of the network: fn(dirfd, name, holder, data). */
static int each_lease(const struct ward_ctx *ctx, const char *network,
		      void (*fn)(int dirfd, const char *name, const struct holder *h, void *data),
		      void *data, ward_err *err)
{
	_cleanup_close_ int lock = lock_network(ctx, network, err);
	_cleanup_close_ int dirfd = -1;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	if (lock < 0)
		return lock;
	dirfd = open_dir(ctx, network, false, err);
	if (dirfd == -ENOENT)
		return 0;
	if (dirfd < 0)
		return dirfd;
	d = fdopendir(dup(dirfd));
	if (!d)
		return werr(err, errno, "leases of %s", network);
	while ((de = readdir(d))) {
		struct holder h;
		if (de->d_name[0] == '.' || de->d_name[0] == '@')
			continue;
		if (read_holder(dirfd, de->d_name, &h) == 0)
			fn(dirfd, de->d_name, &h, data);
	}
	return 0;
}

struct prune_ctx {
	int dropped;
};

static void prune_one(int dirfd, const char *name, const struct holder *h, void *data)
{
	struct prune_ctx *p = data;

	if (holder_alive(h))
		return;
	unlinkat(dirfd, name, 0);
	if (h->container[0]) {
		char idx[100];
		index_name(idx, sizeof(idx), h->container, strchr(name, ':') ? '6' : '4');
		unlinkat(dirfd, idx, 0);
	}
	p->dropped++;
}

int ipam_prune(const struct ward_ctx *ctx, const char *network, ward_err *err)
{
	struct prune_ctx p = {0};
	int r = each_lease(ctx, network, prune_one, &p, err);

	return r < 0 ? r : p.dropped;
}

static void user_one(int dirfd, const char *name, const struct holder *h, void *data)
{
	char ***names = data;

	(void)dirfd;
	(void)name;
	if (holder_alive(h) && !strv_contains(*names, h->container))
		strv_push(names, h->container);
}

int ipam_users(const struct ward_ctx *ctx, const char *network, char ***names, ward_err *err)
{
	*names = NULL;
	return each_lease(ctx, network, user_one, names, err);
}

static void count_one(int dirfd, const char *name, const struct holder *h, void *data)
{
	(void)dirfd;
	(void)name;
	(void)h;
	(*(int *)data)++;
}

int ipam_count(const struct ward_ctx *ctx, const char *network)
{
	ward_err e;
	int n = 0;

	return each_lease(ctx, network, count_one, &n, &e) < 0 ? -1 : n;
}

void ipam_forget(const struct ward_ctx *ctx, const char *network)
{
	_cleanup_free_ char *d = xasprintf("%s/networks/%s.leases.d", ctx->lib_dir, network);
	_cleanup_free_ char *l = xasprintf("%s/networks/%s.lock", ctx->lib_dir, network);

	if (d)
		rm_rf(d);
	if (l)
		unlink(l);
}

/* --- published ports --- */

static int lock_pub(const struct ward_ctx *ctx, ward_err *err)
{
	_cleanup_free_ char *p = xasprintf("%s/networks/published.lock", ctx->lib_dir);
	_cleanup_free_ char *dir = xasprintf("%s/networks", ctx->lib_dir);

	if (dir)
		mkdir_p(dir, 0755);
	return lock_file(p, "published ports", err);
}

static int open_pub_dir(const struct ward_ctx *ctx, ward_err *err)
{
	_cleanup_free_ char *p = xasprintf("%s/networks/published.d", ctx->lib_dir);
	int fd;

	if (!p)
		return werr(err, ENOMEM, "published ports");
	if (mkdir_p(p, 0755) < 0)
		return werr(err, errno, "published ports: create %s", p);
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? werr(err, errno, "published ports: open %s", p) : fd;
}

static const char *proto_name(uint8_t p)
{
	return p == IPPROTO_UDP ? "udp" : p == IPPROTO_SCTP ? "sctp" : "tcp";
}

/* Drop every entry CONTAINER holds (from its index). */
static void unpublish_at(int pubfd, const char *container)
{
	char idx[100], *save = NULL;
	_cleanup_free_ char *text = NULL;

	snprintf(idx, sizeof(idx), "@%s", container);
	if (read_file_at(pubfd, idx, &text, NULL) < 0)
		return;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char port[32], host[INET6_ADDRSTRLEN + 2], path[128];
		struct holder h;
		_cleanup_close_ int portfd = -1;

		if (sscanf(line, "%31s %47s", port, host) != 2 || strchr(port, '/') ||
		    strchr(host, '/'))
			continue;
		portfd = openat(pubfd, port, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (portfd < 0)
			continue;
		if (read_holder(portfd, host, &h) == 0 && streq(h.container, container))
			unlinkat(portfd, host, 0);
		snprintf(path, sizeof(path), "%s", port);
		unlinkat(pubfd, path, AT_REMOVEDIR); /* when it was the last */
	}
	unlinkat(pubfd, idx, 0);
}

/* Who of the port's entries clashes with HOST ("*" or an address). */
static int check_port(int pubfd, const char *port, const char *host, const char *container,
		      const struct fw_publish *p, ward_err *err)
{
	_cleanup_close_ int portfd =
	    openat(pubfd, port, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	if (portfd < 0)
		return errno == ENOENT ? 0 : werr(err, errno, "published ports: open %s", port);
	d = fdopendir(dup(portfd));
	if (!d)
		return werr(err, errno, "published ports: read %s", port);
	while ((de = readdir(d))) {
		struct holder h;
		if (de->d_name[0] == '.')
			continue;
		if (!streq(de->d_name, "*") && !streq(host, "*") && !streq(de->d_name, host))
			continue;
		if (read_holder(portfd, de->d_name, &h) < 0 || streq(h.container, container))
			continue;
		if (holder_alive(&h))
			return werrx(err, EADDRINUSE,
				     "port %u/%s is already published by container %s",
				     p->host_port, proto_name(p->proto), h.container);
		unlinkat(portfd, de->d_name, 0); /* its container is gone */
	}
	return 0;
}

int ipam_publish(const struct ward_ctx *ctx, const char *container, const struct fw_publish *p,
		 size_t n, ward_err *err)
{
	_cleanup_close_ int lock = -1, pubfd = -1;
	_cleanup_free_ char *me = xasprintf("%s %s\n", container, ctx->root_dir);
	char *lines = NULL;
	size_t lines_len = 0;
	FILE *f;
	int r = 0;

	if (!n)
		return 0;
	if (!me)
		return werr(err, ENOMEM, "published ports");
	lock = lock_pub(ctx, err);
	if (lock < 0)
		return lock;
	pubfd = open_pub_dir(ctx, err);
	if (pubfd < 0)
		return pubfd;
	unpublish_at(pubfd, container);
	/* all or none: check every port first */
	for (size_t i = 0; i < n && r >= 0; i++) {
		char port[32], host[INET6_ADDRSTRLEN];
		snprintf(port, sizeof(port), "%s-%u", proto_name(p[i].proto), p[i].host_port);
		if (p[i].any_host)
			snprintf(host, sizeof(host), "*");
		else
			net_addr_str(p[i].family, &p[i].host, host, sizeof(host));
		r = check_port(pubfd, port, host, container, &p[i], err);
	}
	if (r < 0)
		return r;
	f = open_memstream(&lines, &lines_len);
	if (!f)
		return werr(err, ENOMEM, "published ports");
	for (size_t i = 0; i < n && r >= 0; i++) {
		char port[32], host[INET6_ADDRSTRLEN];
		_cleanup_close_ int portfd = -1;
		snprintf(port, sizeof(port), "%s-%u", proto_name(p[i].proto), p[i].host_port);
		if (p[i].any_host)
			snprintf(host, sizeof(host), "*");
		else
			net_addr_str(p[i].family, &p[i].host, host, sizeof(host));
		if (mkdirat(pubfd, port, 0755) < 0 && errno != EEXIST) {
			r = werr(err, errno, "published ports: create %s", port);
			break;
		}
		portfd = openat(pubfd, port, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (portfd < 0) {
			r = werr(err, errno, "published ports: open %s", port);
			break;
		}
		r = write_at(portfd, host, me);
		if (r < 0) {
			werr(err, -r, "published ports: write %s/%s", port, host);
			break;
		}
		fprintf(f, "%s %s\n", port, host);
	}
	fclose(f);
	if (r >= 0) {
		char idx[100];
		snprintf(idx, sizeof(idx), "@%s", container);
		r = write_at(pubfd, idx, lines ? lines : "");
		if (r < 0)
			werr(err, -r, "published ports: write index of %s", container);
	}
	free(lines);
	if (r < 0)
		unpublish_at(pubfd, container);
	return r < 0 ? r : 0;
}

int ipam_unpublish(const struct ward_ctx *ctx, const char *container, ward_err *err)
{
	_cleanup_close_ int lock = lock_pub(ctx, err);
	_cleanup_close_ int pubfd = -1;

	if (lock < 0)
		return lock;
	pubfd = open_pub_dir(ctx, err);
	if (pubfd < 0)
		return pubfd;
	unpublish_at(pubfd, container);
	return 0;
}
