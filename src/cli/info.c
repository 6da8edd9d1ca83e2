/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ward info NAME: what a running container is and what it did. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "manage/manage.h"
#include "net/firewall.h"
#include "net/nl.h"
#include "runtime/cgroup.h"
#include "runtime/state.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

static void add_counters(json_t *o, const char *name)
{
	struct fw_ctx *fw = NULL;
	struct fw_counters fc;
	ward_err e;

	if (fw_open(&fw, &e) < 0)
		return;
	if (fw_container_counters(fw, name, &fc, &e) == 0) {
		json_t *d = json_object();
		json_object_set_new(d, "egress", json_integer((json_int_t)fc.egress_packets));
		json_object_set_new(d, "inbound", json_integer((json_int_t)fc.inbound_packets));
		json_object_set_new(d, "spoof", json_integer((json_int_t)fc.spoof_packets));
		json_object_set_new(o, "dropped_packets", d);
	}
	fw_close(fw);
}

static void add_link_stats(json_t *o, json_t *net)
{
	struct nl_sock *nl = NULL;
	uint64_t rx = 0, tx = 0;
	size_t i;
	json_t *a;
	ward_err e;

	if (!json_is_array(net) || nl_open(&nl, &e) < 0)
		return;
	json_array_foreach (net, i, a) {
		struct nl_link_info li;
		const char *h = json_string_value(json_object_get(a, "host_ifname"));
		if (h && nl_link_get(nl, h, &li, &e) == 0) {
			/* the host end receives what the container sends */
			tx += li.rx_bytes;
			rx += li.tx_bytes;
		}
	}
	nl_close(nl);
	json_object_set_new(o, "rx_bytes", json_integer((json_int_t)rx));
	json_object_set_new(o, "tx_bytes", json_integer((json_int_t)tx));
	json_object_set_new(o, "total_bytes", json_integer((json_int_t)(rx + tx)));
}

static void add_cgroup_stats(json_t *o, const struct cli_globals *g, const char *name)
{
	_cleanup_free_ char *leaf = xasprintf("ward-%s", name);
	struct ward_cgroup *cg = NULL;
	struct cg_stats st;
	ward_err e;

	if (!leaf || cgroup_open(g->ctx.cgroup_parent, leaf, &cg, &e) < 0)
		return;
	if (cgroup_stats(cg, &st) == 0) {
		if (st.memory_current >= 0)
			json_object_set_new(o, "memory_bytes", json_integer(st.memory_current));
		if (st.memory_peak >= 0)
			json_object_set_new(o, "memory_peak_bytes", json_integer(st.memory_peak));
		if (st.cpu_usage_usec >= 0)
			json_object_set_new(o, "cpu_usec", json_integer(st.cpu_usage_usec));
		if (st.pids_current >= 0)
			json_object_set_new(o, "tasks", json_integer(st.pids_current));
	}
	/* opened, not owned: never removed from here */
	cgroup_free(cg);
}

static void print_net(json_t *v)
{
	size_t i;
	json_t *a;

	json_array_foreach (v, i, a) {
		const char *net = json_string_value(json_object_get(a, "network"));
		const char *host = json_string_value(json_object_get(a, "host_ifname"));
		const char *v4 = json_string_value(json_object_get(a, "ipv4"));
		const char *v6 = json_string_value(json_object_get(a, "ipv6"));

		printf("%-16s %s", i ? "" : "interfaces",
		       json_string_value(json_object_get(a, "ifname")) ?: "?");
		if (v4)
			printf(" %s", v4);
		if (v6)
			printf(" %s", v6);
		printf(" mac %s (", json_string_value(json_object_get(a, "mac")) ?: "?");
		if (net)
			printf("network %s", net);
		else
			printf("%s %s", json_string_value(json_object_get(a, "type")) ?: "?",
			       json_string_value(json_object_get(a, "link")) ?: "");
		if (host)
			printf(", host link %s", host);
		printf(")\n");
	}
}

/* The human view: the useful keys in a fixed order, units spelled out. */
static void print_human(json_t *o)
{
	static const struct {
		const char *key, *label, *unit;
	} rows[] = {
	    {"name", "name", NULL},
	    {"state", "state", NULL},
	    {"pid", "pid", NULL},
	    {"uptime_seconds", "uptime", "s"},
	    {"userns", "user namespace", NULL},
	    {"cgroup", "cgroup", NULL},
	    {"memory_bytes", "memory", "bytes"},
	    {"memory_peak_bytes", "memory peak", "bytes"},
	    {"cpu_usec", "cpu time", "us"},
	    {"tasks", "tasks", NULL},
	    {"net", NULL, NULL},
	    {"rx_bytes", "received", "bytes"},
	    {"tx_bytes", "sent", "bytes"},
	    {"dropped_packets", "dropped packets", NULL},
	    {"last_exit_status", "last exit", NULL},
	};

	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		json_t *v = json_object_get(o, rows[r].key);
		if (!v)
			continue;
		if (!rows[r].label) {
			if (json_is_array(v))
				print_net(v);
			continue;
		}
		printf("%-16s ", rows[r].label);
		if (json_is_object(v)) {
			const char *k2;
			json_t *v2;
			const char *sep = "";
			json_object_foreach (v, k2, v2) {
				printf("%s%s %" JSON_INTEGER_FORMAT, sep, k2,
				       json_integer_value(v2));
				sep = ", ";
			}
		} else if (json_is_string(v)) {
			printf("%s", json_string_value(v));
		} else if (json_is_integer(v)) {
			printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
		} else if (json_is_boolean(v)) {
			printf("%s", json_is_true(v) ? "yes" : "no");
		}
		if (rows[r].unit)
			printf(" %s", rows[r].unit);
		printf("\n");
	}
}

/* A container in the store that does not run: what is known of it. */
static int info_stopped(struct cli_globals *g, const char *name, bool json)
{
	json_t *o = json_pack("{s:s, s:s}", "name", name, "state", "stopped");
	long long when = 0;
	int status = 0;

	if (!o)
		return EXIT_WARD_FAILED;
	if (manage_last_exit(&g->ctx, name, &status, &when) == 0) {
		json_object_set_new(o, "last_exit_status", json_integer(status));
		json_object_set_new(o, "last_stopped", json_integer(when));
	}
	if (json) {
		char *t = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
		puts(t ? t : "{}");
		free(t);
	} else {
		printf("%-16s %s\n%-16s stopped\n", "name", name, "state");
		if (when) {
			char buf[64];
			time_t t = (time_t)when;
			strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
			printf("%-16s %d (stopped %s)\n", "last exit", status, buf);
		}
	}
	json_decref(o);
	return 0;
}

int cli_info(struct cli_globals *g, int argc, char **argv)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	const char *name = NULL;
	bool json = false;
	json_error_t jerr;
	json_t *o;

	for (int i = 1; i < argc; i++) {
		if (streq(argv[i], "--json"))
			json = true;
		else if (!name)
			name = argv[i];
		else {
			cli_errorf(NULL, "info: usage: ward info NAME [--json]");
			return EXIT_WARD_FAILED;
		}
	}
	if (!name) {
		cli_errorf(NULL, "info: usage: ward info NAME [--json]");
		return EXIT_WARD_FAILED;
	}
	path = xasprintf("%s/%s/state.json", g->ctx.root_dir, name);
	if (!path || read_file(path, &text, NULL) < 0 || !state_is_alive(&g->ctx, name)) {
		_cleanup_free_ char *store = manage_store_dir(&g->ctx, name);
		if (store && access(store, F_OK) == 0)
			return info_stopped(g, name, json);
		cli_errorf(name, "no such container");
		return EXIT_WARD_FAILED;
	}
	o = json_loads(text, 0, &jerr);
	if (!o) {
		cli_errorf(name, "%s: %s", path, jerr.text);
		return EXIT_WARD_FAILED;
	}
	json_object_set_new(
	    o, "state", json_string(json_string_value(json_object_get(o, "status")) ?: "running"));
	json_object_del(o, "status");
	{
		json_int_t created = json_integer_value(json_object_get(o, "created"));
		if (created > 0)
			json_object_set_new(o, "uptime_seconds",
					    json_integer((json_int_t)time(NULL) - created));
	}
	add_cgroup_stats(o, g, name);
	add_link_stats(o, json_object_get(o, "net"));
	add_counters(o, name);
	{
		long long when = 0;
		int status = 0;
		if (manage_last_exit(&g->ctx, name, &status, &when) == 0) {
			json_object_set_new(o, "last_exit_status", json_integer(status));
			json_object_set_new(o, "last_stopped", json_integer(when));
		}
	}
	if (json) {
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
		puts(s ? s : "{}");
		free(s);
	} else {
		print_human(o);
	}
	json_decref(o);
	return 0;
}
