/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A test-only driver of src/net/firewall.c: one fw_* call per run, its
 * arguments from the command line, so that tests/integration can set up
 * namespaces with iproute2 and apply ward's firewall inside them with
 * `ip netns exec`.  Also the benchmark quoted in docs/firewall.md.
 *
 *   fwdrive ensure | remove-all | list
 *   fwdrive net-add|net-del NAME BRIDGE [subnet4=CIDR] [subnet6=CIDR] [nat]
 *           [uplink=IF] [isolate]
 *   fwdrive add|del NAME [port=IF] [mac=MAC] [ip4=ADDR] [ip6=ADDR] [noll6]
 *           [allow=SPEC]... [publish=SPEC]... [noantispoof] [log]
 *   fwdrive counters NAME | purge NAME
 *   fwdrive bench N [chain] [log] [probe]
 *
 * allow= and publish= take --allow-out and --publish values.  Prints
 * ward's error message and exits 1 on failure.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/firewall.h"
#include "net/netspec.h"
#include "util/cleanup.h"
#include "util/strutil.h"

static int fail(const ward_err *err)
{
	fprintf(stderr, "fwdrive: %s\n", err->msg);
	return 1;
}

static const char *arg_val(const char *arg, const char *key)
{
	size_t n = strlen(key);

	return strncmp(arg, key, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

static int parse_network(int argc, char **argv, struct fw_network *n, ward_err *err)
{
	if (argc < 4)
		return werrx(err, EINVAL, "usage: net-add NAME BRIDGE [options]");
	*n = (struct fw_network){.name = argv[2], .bridge = argv[3]};
	for (int i = 4; i < argc; i++) {
		const char *v;
		int family;

		if ((v = arg_val(argv[i], "subnet4"))) {
			if (net_parse_addr(v, &family, &n->subnet4, &n->prefix4, true) < 0 ||
			    family != AF_INET)
				return werrx(err, EINVAL, "bad %s", argv[i]);
			n->has4 = true;
		} else if ((v = arg_val(argv[i], "subnet6"))) {
			if (net_parse_addr(v, &family, &n->subnet6, &n->prefix6, true) < 0 ||
			    family != AF_INET6)
				return werrx(err, EINVAL, "bad %s", argv[i]);
			n->has6 = true;
		} else if ((v = arg_val(argv[i], "uplink"))) {
			n->uplink = v;
		} else if (streq(argv[i], "nat")) {
			n->nat = true;
		} else if (streq(argv[i], "isolate")) {
			n->isolate = true;
		} else {
			return werrx(err, EINVAL, "unknown argument %s", argv[i]);
		}
	}
	return 0;
}

static int parse_container(int argc, char **argv, struct fw_container *c,
			   struct ward_net_spec *spec, ward_err *err)
{
	bool ll6 = true;
	int r;

	if (argc < 3)
		return werrx(err, EINVAL, "usage: add NAME [options]");
	*c = (struct fw_container){.name = argv[2], .antispoof = true, .bridge = "wbr0"};
	for (int i = 3; i < argc; i++) {
		const char *v;
		unsigned int prefix;
		int family;

		if ((v = arg_val(argv[i], "port"))) {
			c->host_ifname = v;
		} else if ((v = arg_val(argv[i], "bridge"))) {
			c->bridge = v;
		} else if ((v = arg_val(argv[i], "mac"))) {
			r = net_parse_mac(v, c->mac, err);
			if (r < 0)
				return r;
		} else if ((v = arg_val(argv[i], "ip4"))) {
			if (net_parse_addr(v, &family, &c->ip4, &prefix, false) < 0 ||
			    family != AF_INET)
				return werrx(err, EINVAL, "bad %s", argv[i]);
			c->has4 = true;
		} else if ((v = arg_val(argv[i], "ip6"))) {
			if (net_parse_addr(v, &family, &c->ip6, &prefix, false) < 0 ||
			    family != AF_INET6)
				return werrx(err, EINVAL, "bad %s", argv[i]);
			c->has6 = true;
		} else if ((v = arg_val(argv[i], "allow"))) {
			r = net_parse_allow(spec, v, err);
			if (r < 0)
				return r;
		} else if ((v = arg_val(argv[i], "publish"))) {
			r = net_parse_publish(spec, v, err);
			if (r < 0)
				return r;
		} else if (streq(argv[i], "noll6")) {
			ll6 = false;
		} else if (streq(argv[i], "noantispoof")) {
			c->antispoof = false;
		} else if (streq(argv[i], "log")) {
			c->net_log = true;
		} else {
			return werrx(err, EINVAL, "unknown argument %s", argv[i]);
		}
	}
	if (ll6)
		net_link_local(c->mac, &c->ll6);
	c->allow = spec->allow;
	c->n_allow = spec->n_allow;
	c->publish = spec->publish;
	c->n_publish = spec->n_publish;
	return 0;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Container I of the benchmark: addresses, a port, allow-list, publish. */
static void bench_container(struct fw_container *c, unsigned int i, int mode, char *name,
			    char *port, struct fw_allow *allow, struct fw_publish *pub)
{
	snprintf(name, 32, "bench%u", i);
	snprintf(port, 16, "wv-b%u", i);
	*c = (struct fw_container){
	    .name = name,
	    .bridge = "wbr0",
	    .host_ifname = port,
	    .mac = {0x02, 0x42, 0, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i},
	    .has4 = true,
	    .has6 = true,
	    .antispoof = true,
	    .net_log = mode & 2};
	c->ip4.s_addr = htonl(0x0a580000u + i + 2);
	inet_pton(AF_INET6, "fd00:ace::", &c->ip6);
	c->ip6.s6_addr[13] = (uint8_t)(i >> 16);
	c->ip6.s6_addr[14] = (uint8_t)(i >> 8);
	c->ip6.s6_addr[15] = (uint8_t)i;
	net_link_local(c->mac, &c->ll6);
	allow[0] = (struct fw_allow){.kind = FW_ALLOW_SVC, .proto = IPPROTO_TCP, .port = 443};
	allow[1] = (struct fw_allow){.kind = FW_ALLOW_DSTSVC,
				     .family = AF_INET,
				     .prefix = 32,
				     .proto = IPPROTO_UDP,
				     .port = 53};
	allow[1].addr.v4.s_addr = htonl(0x0a580001u);
	allow[2] = (struct fw_allow){.kind = FW_ALLOW_DST, .family = AF_INET, .prefix = 24};
	allow[2].addr.v4.s_addr = htonl(0xc0a80100u);
	c->allow = allow;
	c->n_allow = mode & 1 ? 3 : 2;
	*pub = (struct fw_publish){.family = AF_INET,
				   .any_host = true,
				   .proto = IPPROTO_TCP,
				   .host_port = (uint16_t)(10000 + i),
				   .container_port = 80};
	c->publish = pub;
	c->n_publish = 1;
}

/* N containers present, then ROUNDS adds and deletes of one more: the
 * median of each, and of fw_ensure_base on the existing tables. */
static int bench(struct fw_ctx *fw, unsigned int count, int mode, ward_err *err)
{
	enum { ROUNDS = 31 };
	double add[ROUNDS], del[ROUNDS], ens[ROUNDS], t;
	struct fw_allow allow[3];
	struct fw_publish pub;
	struct fw_container c;
	char name[32], port[16];
	int r;

	t = now_ms();
	r = fw_ensure_base(fw, err);
	if (r < 0)
		return r;
	printf("ensure_base (create): %.3f ms\n", now_ms() - t);
	for (unsigned int i = 0; i < count; i++) {
		/* "probe": only the measured container has chains */
		bench_container(&c, i, mode & 4 ? 0 : mode, name, port, allow, &pub);
		r = fw_container_add(fw, &c, err);
		if (r < 0)
			return r;
	}
	bench_container(&c, count, mode, name, port, allow, &pub);
	for (int k = 0; k < ROUNDS; k++) {
		t = now_ms();
		r = fw_ensure_base(fw, err);
		ens[k] = now_ms() - t;
		t = now_ms();
		if (r == 0)
			r = fw_container_add(fw, &c, err);
		add[k] = now_ms() - t;
		t = now_ms();
		if (r == 0)
			r = fw_container_del(fw, &c, err);
		del[k] = now_ms() - t;
		if (r < 0)
			return r;
	}
	/* deleting what is gone: the kernel aborts, the second round is empty */
	for (int k = 0; k < ROUNDS; k++) {
		t = now_ms();
		r = fw_container_del(fw, &c, err);
		ens[k] = now_ms() - t;
		if (r < 0)
			return r;
	}
	qsort(ens, ROUNDS, sizeof(double), cmp_double);
	printf("containers=%u del (already gone)=%.3f ms\n", count, ens[ROUNDS / 2]);
	r = fw_container_add(fw, &c, err);
	if (r < 0)
		return r;
	t = now_ms();
	r = fw_container_purge(fw, c.name, err);
	if (r < 0)
		return r;
	printf("containers=%u purge=%.3f ms\n", count, now_ms() - t);
	for (int k = 0; k < ROUNDS; k++) {
		t = now_ms();
		r = fw_ensure_base(fw, err);
		ens[k] = now_ms() - t;
		if (r < 0)
			return r;
	}
	qsort(add, ROUNDS, sizeof(double), cmp_double);
	qsort(del, ROUNDS, sizeof(double), cmp_double);
	qsort(ens, ROUNDS, sizeof(double), cmp_double);
	printf("containers=%u prefix-chain=%s log=%s%s add=%.3f ms del=%.3f ms "
	       "ensure_base (present)=%.3f ms\n",
	       count, mode & 1 ? "yes" : "no", mode & 2 ? "yes" : "no",
	       mode & 4 ? " (only the probe)" : "", add[ROUNDS / 2], del[ROUNDS / 2],
	       ens[ROUNDS / 2]);
	return 0;
}

int main(int argc, char **argv)
{
	struct ward_net_spec *spec = net_spec_new();
	struct fw_ctx *fw = NULL;
	ward_err err = {0};
	const char *cmd = argc > 1 ? argv[1] : "";
	int r;

	if (!spec || fw_open(&fw, &err) < 0)
		return fail(&err);
	if (streq(cmd, "ensure")) {
		r = fw_ensure_base(fw, &err);
	} else if (streq(cmd, "remove-all")) {
		r = fw_remove_all(fw, &err);
	} else if (streq(cmd, "net-add") || streq(cmd, "net-del")) {
		struct fw_network n;
		r = parse_network(argc, argv, &n, &err);
		if (r == 0)
			r = streq(cmd, "net-add") ? fw_network_add(fw, &n, &err)
						  : fw_network_del(fw, &n, &err);
	} else if (streq(cmd, "add") || streq(cmd, "del")) {
		struct fw_container c;
		r = parse_container(argc, argv, &c, spec, &err);
		if (r == 0)
			r = streq(cmd, "add") ? fw_container_add(fw, &c, &err)
					      : fw_container_del(fw, &c, &err);
	} else if (streq(cmd, "counters") && argc == 3) {
		struct fw_counters k;
		r = fw_container_counters(fw, argv[2], &k, &err);
		if (r == 0)
			printf("egress %llu %llu\ninbound %llu %llu\nspoof %llu %llu\n",
			       (unsigned long long)k.egress_packets,
			       (unsigned long long)k.egress_bytes,
			       (unsigned long long)k.inbound_packets,
			       (unsigned long long)k.inbound_bytes,
			       (unsigned long long)k.spoof_packets,
			       (unsigned long long)k.spoof_bytes);
	} else if (streq(cmd, "list")) {
		char **names = NULL;
		r = fw_list_containers(fw, &names, &err);
		STRV_FOREACH (s, names)
			printf("%s\n", *s);
		strv_free(names);
	} else if (streq(cmd, "purge") && argc == 3) {
		r = fw_container_purge(fw, argv[2], &err);
	} else if (streq(cmd, "bench") && argc >= 3) {
		int mode = 0;
		for (int i = 3; i < argc; i++)
			mode |= streq(argv[i], "chain")   ? 1
				: streq(argv[i], "log")   ? 2
				: streq(argv[i], "probe") ? 4
							  : 0;
		r = bench(fw, (unsigned int)atoi(argv[2]), mode, &err);
	} else {
		fprintf(stderr, "usage: see the comment at the top of tests/unit/fwdrive.c\n");
		r = werrx(&err, EINVAL, "unknown command '%s'", cmd);
	}
	fw_close(fw);
	net_spec_free(spec);
	return r < 0 ? fail(&err) : 0;
}
