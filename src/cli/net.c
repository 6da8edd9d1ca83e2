/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ward net create|ls|info|rm */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "net/ipam.h"
#include "net/netspec.h"
#include "net/network.h"
#include "util/cleanup.h"
#include "util/strutil.h"

static int net_create(struct cli_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"subnet", required_argument, NULL, 's'},   {"subnet6", required_argument, NULL, '6'},
	    {"bridge", required_argument, NULL, 'b'},   {"gateway", required_argument, NULL, 'g'},
	    {"gateway6", required_argument, NULL, 'G'}, {"nat", no_argument, NULL, 'n'},
	    {"isolate", no_argument, NULL, 'i'},        {"uplink", required_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
	};
	struct network_create_opts o = {0};
	ward_err err = {0};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.subnet4 = optarg;
			break;
		case '6':
			o.subnet6 = optarg;
			break;
		case 'b':
			o.bridge = optarg;
			break;
		case 'g':
			if (strchr(optarg, ':'))
				o.gateway6 = optarg;
			else
				o.gateway = optarg;
			break;
		case 'G':
			o.gateway6 = optarg;
			break;
		case 'n':
			o.nat = true;
			break;
		case 'i':
			o.isolate = true;
			break;
		case 'u':
			o.uplink = optarg;
			break;
		case 'h':
			fputs(help_page("net") ?: "", stdout);
			return 0;
		default:
			cli_errorf(NULL, "net create: %s '%s'",
				   c == ':' ? "missing value for" : "unknown option",
				   argv[optind - 1]);
			return EXIT_WARD_FAILED;
		}
	}
	if (optind != argc - 1) {
		cli_errorf(NULL, "net create: usage: ward net create NAME --subnet CIDR [options]");
		return EXIT_WARD_FAILED;
	}
	if (network_create(&g->ctx, argv[optind], &o, &err) < 0) {
		cli_error("net create", &err);
		return EXIT_WARD_FAILED;
	}
	return 0;
}

static json_t *network_json(const struct ward_ctx *ctx, const struct ward_network *n)
{
	char a[64];
	json_t *o = json_object();
	_cleanup_strv_ char **users = NULL;
	ward_err e;

	json_object_set_new(o, "name", json_string(n->name));
	json_object_set_new(o, "bridge", json_string(n->bridge));
	json_object_set_new(o, "bridge_managed", json_boolean(n->bridge_managed));
	if (n->has4) {
		char cidr[80];
		snprintf(cidr, sizeof(cidr), "%s/%u",
			 net_addr_str(AF_INET, &n->subnet4, a, sizeof(a)), n->prefix4);
		json_object_set_new(o, "subnet", json_string(cidr));
		json_object_set_new(o, "gateway",
				    json_string(net_addr_str(AF_INET, &n->gw4, a, sizeof(a))));
	}
	if (n->has6) {
		char cidr[80];
		snprintf(cidr, sizeof(cidr), "%s/%u",
			 net_addr_str(AF_INET6, &n->subnet6, a, sizeof(a)), n->prefix6);
		json_object_set_new(o, "subnet6", json_string(cidr));
		json_object_set_new(o, "gateway6",
				    json_string(net_addr_str(AF_INET6, &n->gw6, a, sizeof(a))));
	}
	json_object_set_new(o, "nat", json_boolean(n->nat));
	json_object_set_new(o, "isolate", json_boolean(n->isolate));
	json_object_set_new(o, "uplink", n->uplink ? json_string(n->uplink) : json_null());
	json_object_set_new(o, "forwarding", json_string(network_forwarding_note(n)));
	if (ipam_users(ctx, n->name, &users, &e) == 0) {
		json_t *arr = json_array();
		STRV_FOREACH (u, users)
			json_array_append_new(arr, json_string(*u));
		json_object_set_new(o, "containers", arr);
	}
	return o;
}

static bool want_json(int *argc, char **argv)
{
	bool json = false;
	int w = 0;

	for (int i = 0; i < *argc; i++) {
		if (streq(argv[i], "--json"))
			json = true;
		else
			argv[w++] = argv[i];
	}
	*argc = w;
	return json;
}

static int net_ls(struct cli_globals *g, int argc, char **argv)
{
	_cleanup_strv_ char **names = NULL;
	bool json = want_json(&argc, argv);
	json_t *arr = json_array();
	ward_err err = {0};

	if (network_list(&g->ctx, &names, &err) < 0) {
		cli_error("net ls", &err);
		json_decref(arr);
		return EXIT_WARD_FAILED;
	}
	if (!json)
		printf("%-16s %-16s %-20s %-24s %-4s %-8s\n", "NAME", "BRIDGE", "SUBNET", "SUBNET6",
		       "NAT", "ISOLATE");
	STRV_FOREACH (nm, names) {
		_cleanup_(network_freep) struct ward_network *n = NULL;
		json_t *o;

		if (network_load(&g->ctx, *nm, &n, &err) < 0) {
			cli_error(*nm, &err);
			continue;
		}
		o = network_json(&g->ctx, n);
		if (json) {
			json_array_append_new(arr, o);
			continue;
		}
		printf("%-16s %-16s %-20s %-24s %-4s %-8s\n", n->name, n->bridge,
		       json_string_value(json_object_get(o, "subnet")) ?: "-",
		       json_string_value(json_object_get(o, "subnet6")) ?: "-",
		       n->nat ? "yes" : "no", n->isolate ? "yes" : "no");
		json_decref(o);
	}
	if (json) {
		char *s = json_dumps(arr, JSON_INDENT(2));
		puts(s ? s : "[]");
		free(s);
	}
	json_decref(arr);
	return 0;
}

static int net_info(struct cli_globals *g, int argc, char **argv)
{
	_cleanup_(network_freep) struct ward_network *n = NULL;
	bool json = want_json(&argc, argv);
	ward_err err = {0};
	json_t *o;
	const char *key;
	json_t *v;

	if (argc != 2) {
		cli_errorf(NULL, "net info: usage: ward net info NAME [--json]");
		return EXIT_WARD_FAILED;
	}
	if (network_load(&g->ctx, argv[1], &n, &err) < 0) {
		cli_error("net info", &err);
		return EXIT_WARD_FAILED;
	}
	o = network_json(&g->ctx, n);
	if (json) {
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
		puts(s ? s : "{}");
		free(s);
		json_decref(o);
		return 0;
	}
	json_object_foreach (o, key, v) {
		char *s;
		if (json_is_string(v)) {
			printf("%-16s %s\n", key, json_string_value(v));
			continue;
		}
		if (json_is_array(v)) {
			size_t i;
			json_t *e;
			printf("%-16s", key);
			json_array_foreach (v, i, e)
				printf("%s%s", i ? ", " : " ", json_string_value(e));
			printf("%s\n", json_array_size(v) ? "" : " -");
			continue;
		}
		s = json_dumps(v, JSON_ENCODE_ANY);
		printf("%-16s %s\n", key, s ? s : "?");
		free(s);
	}
	json_decref(o);
	return 0;
}

static int net_rm(struct cli_globals *g, int argc, char **argv)
{
	ward_err err = {0};
	int ret = 0;

	if (argc < 2) {
		cli_errorf(NULL, "net rm: usage: ward net rm NAME...");
		return EXIT_WARD_FAILED;
	}
	for (int i = 1; i < argc; i++)
		if (network_remove(&g->ctx, argv[i], &err) < 0) {
			cli_error("net rm", &err);
			ret = EXIT_WARD_FAILED;
		}
	return ret;
}

int cli_net(struct cli_globals *g, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct cli_globals *, int, char **);
	} sub[] = {
	    {"create", net_create}, {"ls", net_ls}, {"list", net_ls},
	    {"info", net_info},     {"rm", net_rm}, {"remove", net_rm},
	};

	if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
		fputs(help_page("net") ?: "usage: ward net create|ls|info|rm\n", stdout);
		return argc < 2 ? EXIT_WARD_FAILED : 0;
	}
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (streq(argv[1], sub[i].name)) {
			optind = 0;
			return sub[i].fn(g, argc - 1, argv + 1);
		}
	cli_errorf(NULL, "net: unknown command '%s' (create, ls, info, rm)", argv[1]);
	return EXIT_WARD_FAILED;
}
