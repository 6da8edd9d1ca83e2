/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The firewall's transactions against the real kernel: what fw_* put into
 * ward's tables, read back with libnftables listings, and that deleting
 * removes every trace.  Each test runs in a child process in a network
 * namespace of its own (never the host's).  Needs root; skipped otherwise.
 * Traffic through the rules is tested in tests/integration/test_firewall_unit.py.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <nftables/libnftables.h>

#include "net/firewall.h"
#include "net/netspec.h"
#include "util/cleanup.h"
#include "util/strutil.h"

/* cmocka's asserts cannot leave a forked child; these end it instead */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)
#define CHECK_OK(call)                                                                             \
	do {                                                                                       \
		werr_clear(&err);                                                                  \
		if ((call) < 0) {                                                                  \
			fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, err.msg);    \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

static ward_err err;

/* Run BODY in a child in a new network namespace; its exit status. */
static int in_netns(void (*body)(void))
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0) {
			perror("unshare(CLONE_NEWNET)");
			_exit(2);
		}
		body();
		exit(0); /* not _exit: a sanitizer build checks for leaks here */
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *nft(const char *cmd, int *rc)
{
	struct nft_ctx *n = nft_ctx_new(NFT_CTX_DEFAULT);
	char *out;
	int r;

	CHECK(n);
	nft_ctx_buffer_output(n);
	nft_ctx_buffer_error(n);
	r = nft_run_cmd_from_buffer(n, cmd);
	if (rc)
		*rc = r;
	else if (r != 0)
		fprintf(stderr, "nft %s: %s\n", cmd, nft_ctx_get_error_buffer(n));
	out = strdup(r == 0 ? nft_ctx_get_output_buffer(n) : nft_ctx_get_error_buffer(n));
	nft_ctx_free(n);
	CHECK(out);
	return out;
}

static char *listing(void)
{
	return nft("list ruleset", NULL);
}

static void nft_ok(const char *cmd)
{
	int rc;
	_cleanup_free_ char *out = nft(cmd, &rc);

	if (rc != 0)
		fprintf(stderr, "nft %s: %s\n", cmd, out);
	CHECK(rc == 0);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static int count_in_listing(const char *needle)
{
	_cleanup_free_ char *l = listing();

	return count(l, needle);
}

static struct fw_ctx *open_base(void)
{
	struct fw_ctx *fw;

	CHECK_OK(fw_open(&fw, &err));
	CHECK_OK(fw_ensure_base(fw, &err));
	return fw;
}

/* The container most tests use, with every kind of element. */
static struct fw_allow web_allow[] = {
    {.kind = FW_ALLOW_SVC, .proto = IPPROTO_TCP, .port = 443},
    {.kind = FW_ALLOW_DST, .family = AF_INET, .prefix = 32}, /* 1.2.3.4 */
    {.kind = FW_ALLOW_DSTSVC,
     .family = AF_INET,
     .prefix = 24, /* 10.9.0.0/24:tcp/80 */
     .proto = IPPROTO_TCP,
     .port = 80},
    {.kind = FW_ALLOW_HOST, .proto = IPPROTO_UDP, .port = 53},
};
static struct fw_publish web_publish[] = {
    {.family = AF_INET,
     .any_host = true,
     .proto = IPPROTO_TCP,
     .host_port = 8080,
     .container_port = 80},
    {.family = AF_INET, .proto = IPPROTO_TCP, .host_port = 8081, .container_port = 80},
};

static struct fw_container container(const char *name, const char *port, uint8_t last)
{
	struct fw_container c = {.name = name,
				 .bridge = "wbr0",
				 .host_ifname = port,
				 .mac = {0x02, 0x42, 0x0a, 0x58, 0x00, last},
				 .has4 = true,
				 .has6 = true,
				 .antispoof = true,
				 .net_log = true};

	c.ip4.s_addr = htonl(0x0a580000u | last);
	inet_pton(AF_INET6, "fd00:88::", &c.ip6);
	c.ip6.s6_addr[15] = last;
	net_link_local(c.mac, &c.ll6);
	inet_pton(AF_INET, "1.2.3.4", &web_allow[1].addr.v4);
	inet_pton(AF_INET, "10.9.0.0", &web_allow[2].addr.v4);
	inet_pton(AF_INET, "192.0.2.1", &web_publish[1].host.v4);
	c.allow = web_allow;
	c.n_allow = ARRAY_SIZE(web_allow);
	c.publish = web_publish;
	c.n_publish = ARRAY_SIZE(web_publish);
	return c;
}

/*
 * The elements of container("web", "wv-web", 2), one line each, as nft
 * lists them (the address 10.88.0.2, fd00:88::2, link-local
 * fe80::42:aff:fe58:2):
 *   inet, IPv4:  egress_ctr4, inbound_ctr4, netlog4, netlog_in4,
 *                egress_chain4, egress_svc4, egress_dst4, host_svc4,
 *                publish_any4, publish_host4, published4 (once for two
 *                publishes of port 80)                                  11
 *   inet, IPv6:  egress_ctr6, inbound_ctr6, netlog6, netlog_in6 for both
 *                addresses, egress_svc6, host_svc6 for both              11
 *   bridge:      ports, port_mac, port_ip4, port_ip6 x2, port_na6 x2,
 *                spoof_ctr, spoof_log                                     9
 */
#define WEB_ELEMENTS 31

static void body_ensure_base_twice(void)
{
	struct fw_ctx *fw = open_base(), *fw2;
	_cleanup_free_ char *l1 = listing(), *l2 = NULL, *l3 = NULL;

	CHECK(count(l1, "table inet ward {") == 1);
	CHECK(count(l1, "table bridge ward {") == 1);
	CHECK(count(l1, "chain forward {") == 1);
	CHECK(count(l1, "chain prerouting {") == 1); /* bridge */
	CHECK(count(l1, "chain nat_pre {") == 1);
	CHECK_OK(fw_ensure_base(fw, &err));
	/* a second context (another ward process) leaves it alone too */
	CHECK_OK(fw_open(&fw2, &err));
	CHECK_OK(fw_ensure_base(fw2, &err));
	l2 = listing();
	CHECK(streq(l1, l2));
	CHECK_OK(fw_remove_all(fw2, &err));
	l3 = listing();
	CHECK(count(l3, "ward") == 0);
	CHECK_OK(fw_remove_all(fw2, &err)); /* nothing left: still success */
	fw_close(fw2);
	fw_close(fw);
}

static void test_ensure_base_twice(void **state)
{
	assert_int_equal(in_netns(body_ensure_base_twice), 0);
}

static void body_foreign_table(void)
{
	struct fw_ctx *fw;

	nft_ok("add table inet ward");
	CHECK_OK(fw_open(&fw, &err));
	CHECK(fw_ensure_base(fw, &err) == -EEXIST);
	CHECK(strstr(err.msg, "firewall: table inet ward exists"));
	CHECK(count_in_listing("chain") == 0); /* untouched */
	fw_close(fw);
}

static void test_foreign_table(void **state)
{
	assert_int_equal(in_netns(body_foreign_table), 0);
}

static void body_network(void)
{
	struct fw_ctx *fw = open_base();
	struct fw_network n1 = {.name = "n1",
				.bridge = "wbr0",
				.has4 = true,
				.has6 = true,
				.prefix4 = 24,
				.prefix6 = 64,
				.nat = true};
	struct fw_network n2 = {.name = "n2",
				.bridge = "wbr1",
				.uplink = "eth0",
				.has4 = true,
				.prefix4 = 24,
				.nat = true,
				.isolate = true};
	_cleanup_free_ char *l = NULL;

	inet_pton(AF_INET, "10.88.0.0", &n1.subnet4);
	inet_pton(AF_INET6, "fd00:88::", &n1.subnet6);
	inet_pton(AF_INET, "10.88.1.0", &n2.subnet4); /* adjacent to n1 */
	CHECK_OK(fw_network_add(fw, &n1, &err));
	CHECK_OK(fw_network_add(fw, &n2, &err));
	l = listing();
	/* bridges, open_self, nets4, nets6, nat_nets4, nat_nets6 */
	CHECK(count(l, "comment \"network n1\"") == 6);
	CHECK(count(l, "\"wbr0\" . \"wbr0\" comment") == 1);
	CHECK(count(l, "10.88.0.0/24 comment \"network n1\"") == 2);
	CHECK(count(l, "fd00:88::/64 comment \"network n1\"") == 2);
	/* bridges, isolated_self, nets4, nat_uplink4 */
	CHECK(count(l, "comment \"network n2\"") == 4);
	CHECK(count(l, "10.88.1.0/24 . \"eth0\" comment \"network n2\"") == 1);
	/* the same network again is no change */
	CHECK_OK(fw_network_add(fw, &n1, &err));
	CHECK(count_in_listing("comment \"network n1\"") == 6);
	CHECK_OK(fw_network_del(fw, &n1, &err));
	free(l);
	l = listing();
	CHECK(count(l, "network n1") == 0);
	CHECK(count(l, "10.88.0.") == 0);
	CHECK(count(l, "comment \"network n2\"") == 4);
	CHECK_OK(fw_network_del(fw, &n1, &err));
	CHECK_OK(fw_network_del(fw, &n2, &err));
	CHECK(count_in_listing("comment") == 2); /* the two tables' own */
	fw_close(fw);
}

static void test_network(void **state)
{
	assert_int_equal(in_netns(body_network), 0);
}

static void body_container(void)
{
	struct fw_ctx *fw = open_base();
	struct fw_container c = container("web", "wv-web", 2);
	struct fw_counters k;
	_cleanup_free_ char *l = NULL;
	_cleanup_strv_ char **names = NULL;

	CHECK_OK(fw_container_add(fw, &c, &err));
	l = listing();
	CHECK(count(l, "comment \"web\"") == WEB_ELEMENTS);
	CHECK(count(l, "counter ward_web_egress {") == 1);
	CHECK(count(l, "counter ward_web_inbound {") == 1);
	CHECK(count(l, "counter ward_web_spoof {") == 1);
	CHECK(count(l, "chain egress_web {") == 1);
	CHECK(count(l, "chain log_web {") == 2); /* inet and bridge */
	CHECK(count(l, "chain login_web {") == 1);
	CHECK(count(l, "log prefix \"ward web egress: \"") == 1);
	CHECK(count(l, "log prefix \"ward web inbound: \"") == 1);
	CHECK(count(l, "log prefix \"ward web spoof: \"") == 1);
	/* keys as nft decodes them */
	CHECK(count(l, "10.88.0.2 . tcp . 443 comment \"web\"") == 1);
	CHECK(count(l, "10.88.0.2 . 1.2.3.4 comment \"web\"") == 1);
	CHECK(count(l, "tcp . 8080 comment \"web\" : 10.88.0.2 . 80") == 1);
	CHECK(count(l, "192.0.2.1 . tcp . 8081 comment \"web\" : 10.88.0.2 . 80") == 1);
	CHECK(count(l, "fe80::42:aff:fe58:2 . udp . 53 comment \"web\"") == 1);
	CHECK(count(l, "\"wv-web\" . 02:42:0a:58:00:02 comment \"web\"") == 1);
	CHECK(count(l, "\"wv-web\" . 0xfe8000000000000000420afffe580002 comment \"web\"") == 1);
	CHECK(count(l, "10.88.0.2 comment \"web\" : jump egress_web") == 1);
	CHECK(count(l, "ip daddr 10.9.0.0/24 tcp dport 80 accept") == 1);

	CHECK_OK(fw_container_counters(fw, "web", &k, &err));
	CHECK(k.egress_packets == 0 && k.inbound_packets == 0 && k.spoof_packets == 0);
	CHECK_OK(fw_list_containers(fw, &names, &err));
	CHECK(strv_length(names) == 1 && streq(names[0], "web"));

	CHECK_OK(fw_container_del(fw, &c, &err));
	CHECK(count_in_listing("web") == 0);
	/* already gone is success */
	CHECK_OK(fw_container_del(fw, &c, &err));
	CHECK_OK(fw_container_counters(fw, "web", &k, &err));
	CHECK(k.egress_packets == 0 && k.egress_bytes == 0);
	fw_close(fw);
}

static void test_container(void **state)
{
	assert_int_equal(in_netns(body_container), 0);
}

/* Elements that fw_container_add() built can be deleted by nft from their
 * text: the key bytes are exactly what nft makes of that text. */
static void body_keys_match_nft(void)
{
	static const char *const elems[] = {
	    "inet ward egress_ctr4 { 10.88.0.2 }",
	    "inet ward egress_svc4 { 10.88.0.2 . tcp . 443 }",
	    "inet ward egress_svc6 { fd00:88::2 . tcp . 443 }",
	    "inet ward egress_dst4 { 10.88.0.2 . 1.2.3.4 }",
	    "inet ward host_svc4 { 10.88.0.2 . udp . 53 }",
	    "inet ward host_svc6 { fe80::42:aff:fe58:2 . udp . 53 }",
	    "inet ward publish_any4 { tcp . 8080 }",
	    "inet ward publish_host4 { 192.0.2.1 . tcp . 8081 }",
	    "inet ward published4 { 10.88.0.2 . tcp . 80 }",
	    "bridge ward ports { \"wv-web\" }",
	    "bridge ward port_mac { \"wv-web\" . 02:42:0a:58:00:02 }",
	    "bridge ward port_ip4 { \"wv-web\" . 10.88.0.2 }",
	    "bridge ward port_ip6 { \"wv-web\" . fe80::42:aff:fe58:2 }",
	    "bridge ward port_na6 { \"wv-web\" . 0xfd000088000000000000000000000002 }",
	};
	struct fw_ctx *fw = open_base();
	struct fw_container c = container("web", "wv-web", 2);
	char cmd[256];

	CHECK_OK(fw_container_add(fw, &c, &err));
	for (size_t i = 0; i < ARRAY_SIZE(elems); i++) {
		snprintf(cmd, sizeof(cmd), "delete element %s", elems[i]);
		nft_ok(cmd);
	}
	CHECK(count_in_listing("comment \"web\"") == WEB_ELEMENTS - (int)ARRAY_SIZE(elems));
	/* and the other way round: what nft adds, fw_container_del() finds */
	for (size_t i = 0; i < ARRAY_SIZE(elems); i++) {
		if (strstr(elems[i], "ctr4"))
			snprintf(
			    cmd, sizeof(cmd),
			    "add element inet ward egress_ctr4 { 10.88.0.2 : ward_web_egress }");
		else if (strstr(elems[i], "publish_"))
			snprintf(cmd, sizeof(cmd), "add element %.*s : 10.88.0.2 . 80 }",
				 (int)(strlen(elems[i]) - 2), elems[i]);
		else
			snprintf(cmd, sizeof(cmd), "add element %s", elems[i]);
		nft_ok(cmd);
	}
	CHECK_OK(fw_container_del(fw, &c, &err));
	CHECK(count_in_listing("web") == 0);
	CHECK(count_in_listing("10.88.0.2") == 0);
	fw_close(fw);
}

static void test_keys_match_nft(void **state)
{
	assert_int_equal(in_netns(body_keys_match_nft), 0);
}

static void body_prefix_chain(void)
{
	struct fw_ctx *fw = open_base();
	struct fw_allow allow[3] = {
	    {.kind = FW_ALLOW_DST, .family = AF_INET, .prefix = 20},
	    {.kind = FW_ALLOW_DSTSVC,
	     .family = AF_INET6,
	     .prefix = 64,
	     .proto = IPPROTO_UDP,
	     .port = 53},
	    {.kind = FW_ALLOW_DST, .family = AF_INET6, .prefix = 128},
	};
	struct fw_container c = {
	    .name = "pfx", .has4 = true, .has6 = true, .allow = allow, .n_allow = 3};
	_cleanup_free_ char *l = NULL;

	inet_pton(AF_INET, "172.16.5.0", &allow[0].addr.v4); /* host bits go */
	inet_pton(AF_INET6, "fd00:1::", &allow[1].addr.v6);
	inet_pton(AF_INET6, "fd00:2::7", &allow[2].addr.v6);
	inet_pton(AF_INET, "10.88.0.9", &c.ip4);
	inet_pton(AF_INET6, "fd00:88::9", &c.ip6);
	CHECK_OK(fw_container_add(fw, &c, &err));
	l = listing();
	CHECK(count(l, "chain egress_pfx {") == 1);
	CHECK(count(l, "ip daddr 172.16.0.0/20 accept") == 1);
	CHECK(count(l, "ip6 daddr fd00:1::/64 udp dport 53 accept") == 1);
	CHECK(count(l, "10.88.0.9 comment \"pfx\" : jump egress_pfx") == 1);
	CHECK(count(l, "fd00:88::9 comment \"pfx\" : jump egress_pfx") == 1);
	CHECK(count(l, "fd00:88::9 . fd00:2::7 comment \"pfx\"") == 1); /* a /128: a set */
	CHECK(count(l, "ward_pfx_spoof") == 0);                         /* no antispoof */
	CHECK(count(l, "log_pfx") == 0);                                /* no net_log */
	CHECK_OK(fw_container_del(fw, &c, &err));
	CHECK(count_in_listing("pfx") == 0);
	fw_close(fw);
}

static void test_prefix_chain(void **state)
{
	assert_int_equal(in_netns(body_prefix_chain), 0);
}

static void body_duplicate(void)
{
	struct fw_ctx *fw = open_base();
	struct fw_container c = container("web", "wv-web", 2);
	struct fw_container other = container("other", "wv-other", 2); /* same addresses */

	CHECK_OK(fw_container_add(fw, &c, &err));
	CHECK(fw_container_add(fw, &c, &err) == -EEXIST);
	CHECK(streq(err.msg,
		    "firewall: add container web: egress_ctr4 element 10.88.0.2: File exists"));
	CHECK(fw_container_add(fw, &other, &err) == -EEXIST);
	CHECK(startswith(err.msg, "firewall: add container other: egress_ctr4 element 10.88.0.2"));
	/* the failed transactions changed nothing */
	CHECK(count_in_listing("comment \"web\"") == WEB_ELEMENTS);
	CHECK(count_in_listing("other") == 0);
	fw_close(fw);
}

static void test_duplicate(void **state)
{
	assert_int_equal(in_netns(body_duplicate), 0);
}

/* ward adds a container once per interface, under one name: the counters
 * and chains are shared, and stay until the last interface goes. */
static void body_two_interfaces(void)
{
	struct fw_ctx *fw = open_base();
	struct fw_container c1 = container("web", "wv-web", 2);
	struct fw_container c2 = container("web", "wv-web1", 0x12);
	_cleanup_free_ char *l = NULL;

	c2.bridge = "wbr1";
	c2.has6 = false;
	c2.ip4.s_addr = htonl(0x0a590002u); /* 10.89.0.2 */
	c2.publish = NULL;
	c2.n_publish = 0;
	c2.net_log = false;
	CHECK_OK(fw_container_add(fw, &c1, &err));
	CHECK_OK(fw_container_add(fw, &c2, &err));
	l = listing();
	CHECK(count(l, "counter ward_web_egress {") == 1);
	CHECK(count(l, "counter ward_web_spoof {") == 1);
	CHECK(count(l, "ip daddr 10.9.0.0/24 tcp dport 80 accept") == 1); /* not twice */
	CHECK(count(l, "10.89.0.2 comment \"web\" : \"ward_web_egress\"") == 1);
	CHECK(count(l, "10.89.0.2 comment \"web\" : jump egress_web") == 1);
	CHECK(count(l, "\"wv-web1\" comment \"web\" : \"ward_web_spoof\"") == 1);
	/* the first interface goes; what the second uses stays */
	CHECK_OK(fw_container_del(fw, &c1, &err));
	free(l);
	l = listing();
	CHECK(count(l, "10.88.0.2") == 0 && count(l, "\"wv-web\"") == 0);
	CHECK(count(l, "counter ward_web_egress {") == 1);
	CHECK(count(l, "counter ward_web_spoof {") == 1);
	CHECK(count(l, "chain egress_web {") == 1);
	CHECK(count(l, "log_web") == 0); /* only the first had net_log */
	CHECK(count(l, "comment \"web\"") > 0);
	CHECK_OK(fw_container_del(fw, &c2, &err));
	CHECK(count_in_listing("web") == 0);
	fw_close(fw);
}

static void test_two_interfaces(void **state)
{
	assert_int_equal(in_netns(body_two_interfaces), 0);
}

static void body_purge_and_list(void)
{
	struct fw_ctx *fw = open_base();
	struct fw_container a = container("alpha", "wv-alpha", 2);
	struct fw_container b = container("beta", "wv-beta", 3);
	_cleanup_strv_ char **names = NULL, **after = NULL;

	web_publish[0].host_port = 9090; /* one host port per container */
	web_publish[1].host_port = 9091;
	CHECK_OK(fw_container_add(fw, &a, &err));
	web_publish[0].host_port = 8080;
	web_publish[1].host_port = 8081;
	CHECK_OK(fw_container_add(fw, &b, &err));
	CHECK_OK(fw_list_containers(fw, &names, &err));
	CHECK(strv_length(names) == 2 && strv_contains(names, "alpha") &&
	      strv_contains(names, "beta"));
	/* known by name only, as after a crash */
	CHECK_OK(fw_container_purge(fw, "alpha", &err));
	CHECK(count_in_listing("alpha") == 0);
	CHECK(count_in_listing("comment \"beta\"") == WEB_ELEMENTS);
	CHECK_OK(fw_list_containers(fw, &after, &err));
	CHECK(strv_length(after) == 1 && streq(after[0], "beta"));
	CHECK_OK(fw_container_purge(fw, "alpha", &err));
	CHECK_OK(fw_container_purge(fw, "beta", &err));
	CHECK(count_in_listing("beta") == 0);
	fw_close(fw);
}

static void test_purge_and_list(void **state)
{
	assert_int_equal(in_netns(body_purge_and_list), 0);
}

static void body_del_after_remove_all(void)
{
	struct fw_ctx *fw = open_base();
	struct fw_container c = container("web", "wv-web", 2);
	struct fw_network n = {.name = "n1", .bridge = "wbr0", .has4 = true, .prefix4 = 24};
	_cleanup_strv_ char **names = NULL;

	inet_pton(AF_INET, "10.88.0.0", &n.subnet4);
	CHECK_OK(fw_container_add(fw, &c, &err));
	CHECK_OK(fw_remove_all(fw, &err));
	CHECK_OK(fw_container_del(fw, &c, &err));
	CHECK_OK(fw_network_del(fw, &n, &err));
	CHECK_OK(fw_container_purge(fw, "web", &err));
	CHECK_OK(fw_list_containers(fw, &names, &err));
	CHECK(names && !names[0]);
	CHECK(fw_container_add(fw, &c, &err) == -ENOENT);
	CHECK(startswith(err.msg, "firewall: add container web: "));
	fw_close(fw);
}

static void test_del_after_remove_all(void **state)
{
	assert_int_equal(in_netns(body_del_after_remove_all), 0);
}

static void body_invalid(void)
{
	struct fw_ctx *fw = open_base();
	struct fw_container c = container("web", "wv-web", 2);
	struct fw_counters k;

	c.name = "-bad";
	CHECK(fw_container_add(fw, &c, &err) == -EINVAL);
	c.name = "web";
	c.has6 = false;
	web_publish[0].family = AF_INET6;
	CHECK(fw_container_add(fw, &c, &err) == -EINVAL);
	CHECK(strstr(err.msg, "has no such address"));
	web_publish[0].family = AF_INET;
	c.host_ifname = "a-name-far-too-long";
	CHECK(fw_container_add(fw, &c, &err) == -EINVAL);
	CHECK(fw_container_counters(fw, "a/b", &k, &err) == -EINVAL);
	CHECK(count_in_listing("web") == 0);
	fw_close(fw);
}

static void test_invalid(void **state)
{
	assert_int_equal(in_netns(body_invalid), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ensure_base_twice), cmocka_unit_test(test_foreign_table),
	    cmocka_unit_test(test_network),           cmocka_unit_test(test_container),
	    cmocka_unit_test(test_keys_match_nft),    cmocka_unit_test(test_prefix_chain),
	    cmocka_unit_test(test_duplicate),         cmocka_unit_test(test_two_interfaces),
	    cmocka_unit_test(test_purge_and_list),    cmocka_unit_test(test_del_after_remove_all),
	    cmocka_unit_test(test_invalid),
	};

	if (geteuid() != 0) {
		printf("skipped: needs root (network namespaces, nftables)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
