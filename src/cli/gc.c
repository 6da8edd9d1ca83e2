/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ward gc: clean up after containers whose ward was killed */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "net/attach.h"
#include "net/ipam.h"
#include "net/network.h"
#include "runtime/cgroup.h"
#include "runtime/state.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

/* The state directories under the root that no ward holds. */
static char **stale_containers(const struct ward_ctx *ctx)
{
	_cleanup_closedir_ DIR *d = opendir(ctx->root_dir);
	char **names = NULL;
	struct dirent *de;

	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		if (!state_is_alive(ctx, de->d_name))
			strv_push(&names, de->d_name);
	}
	return names;
}

static void remove_cgroup(const struct ward_ctx *ctx, const char *name)
{
	_cleanup_free_ char *leaf = xasprintf("ward-%s", name);
	struct ward_cgroup *cg = NULL;
	ward_err e;

	if (leaf && cgroup_open(ctx->cgroup_parent, leaf, &cg, &e) == 0) {
		cgroup_destroy(cg, &e);
		cgroup_free(cg);
	}
}

int cli_gc(struct cli_globals *g, int argc, char **argv)
{
	_cleanup_strv_ char **stale = NULL, **fw_removed = NULL, **nets = NULL;
	ward_err err = {0};
	int ret = 0, n = 0;

	if (argc > 1) {
		if (streq(argv[1], "--help") || streq(argv[1], "-h")) {
			fputs(help_page("gc") ?: "", stdout);
			return 0;
		}
		cli_errorf(NULL, "gc: unexpected argument '%s' (usage: ward gc)", argv[1]);
		return EXIT_WARD_FAILED;
	}
	stale = stale_containers(&g->ctx);
	STRV_FOREACH (name, stale) {
		_cleanup_free_ char *dir = xasprintf("%s/%s", g->ctx.root_dir, *name);
		if (net_reclaim(&g->ctx, *name, &err) < 0) {
			cli_error(*name, &err);
			ret = EXIT_WARD_FAILED;
		}
		remove_cgroup(&g->ctx, *name);
		if (dir) {
			state_detach_rootfs(dir);
			rm_rf(dir);
		}
		printf("removed container %s\n", *name);
		n++;
	}
	/* firewall objects of containers that left no state directory */
	if (net_gc_firewall(&g->ctx, &fw_removed, &err) < 0) {
		cli_error("firewall", &err);
		ret = EXIT_WARD_FAILED;
	}
	STRV_FOREACH (name, fw_removed) {
		if (!strv_contains(stale, *name)) {
			printf("removed firewall objects of %s\n", *name);
			n++;
		}
	}
	if (network_list(&g->ctx, &nets, &err) == 0) {
		STRV_FOREACH (net, nets) {
			int k = ipam_prune(&g->ctx, *net, &err);
			if (k > 0) {
				printf("released %d lease%s in network %s\n", k, k == 1 ? "" : "s",
				       *net);
				n++;
			}
		}
	}
	if (n == 0)
		printf("nothing to clean up\n");
	return ret;
}
