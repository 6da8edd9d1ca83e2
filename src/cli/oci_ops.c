/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ward-oci ps, pause, resume, update: a container's cgroup */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/oci_cli.h"
#include "manage/manage.h"
#include "oci/oci_json.h"
#include "runtime/cgroup.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

int oci_ps(struct oci_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	_cleanup_free_ pid_t *pids = NULL;
	struct oci_record r;
	ward_err err = {0};
	bool json = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c != 'f' || (!streq(optarg, "json") && !streq(optarg, "table")))
			return oci_usage(g, "ps", "ps [--format table|json] ID");
		json = streq(optarg, "json");
	}
	if (optind >= argc)
		return oci_usage(g, "ps", "ps [--format table|json] ID");
	if (oci_record_load(g, argv[optind], &r, &err) < 0)
		return oci_fail_err(g, NULL, &err);
	rc = oci_cgroup_pids(&r, &pids, &err);
	oci_record_clear(&r);
	if (rc < 0)
		return oci_fail_err(g, argv[optind], &err);
	if (json) {
		fputc('[', stdout);
		for (pid_t *p = pids; *p > 0; p++)
			printf("%s%d", p == pids ? "" : ",", (int)*p);
		fputs("]\n", stdout);
		return 0;
	}
	printf("%-8s %s\n", "PID", "CMD");
	for (pid_t *p = pids; *p > 0; p++) {
		char path[64];
		_cleanup_free_ char *cmd = NULL;
		size_t len = 0;

		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)*p);
		if (read_file(path, &cmd, &len) < 0)
			continue;
		for (size_t i = 0; len && i < len - 1; i++)
			if (cmd[i] == '\0')
				cmd[i] = ' ';
		printf("%-8d %s\n", (int)*p, cmd);
	}
	return 0;
}

static int freeze(struct oci_globals *g, int argc, char **argv, bool frozen)
{
	const char *verb = frozen ? "pause" : "resume";
	_cleanup_close_ int lock = -1;
	struct ward_cgroup *cg = NULL;
	struct oci_record r;
	ward_err err = {0};
	int rc = 0;

	if (argc != 2)
		return oci_usage(g, verb, frozen ? "pause ID" : "resume ID");
	lock = manage_lock(&g->ctx, argv[1], &err);
	if (lock < 0)
		return oci_fail_err(g, argv[1], &err);
	if (oci_record_load(g, argv[1], &r, &err) < 0)
		return oci_fail_err(g, NULL, &err);
	if (frozen && r.status != OCI_RUNNING && r.status != OCI_CREATED)
		rc = oci_fail(g, argv[1], "cannot pause a %s container", oci_status_name(r.status));
	else if (!frozen && r.status != OCI_PAUSED)
		rc = oci_fail(g, argv[1], "container not paused");
	else if (oci_cgroup_open(&r, &cg, &err) < 0 || cgroup_freeze(cg, frozen, &err) < 0)
		rc = oci_fail_err(g, argv[1], &err);
	cgroup_free(cg);
	oci_record_clear(&r);
	return rc;
}

int oci_pause(struct oci_globals *g, int argc, char **argv)
{
	return freeze(g, argc, argv, true);
}

int oci_resume(struct oci_globals *g, int argc, char **argv)
{
	return freeze(g, argc, argv, false);
}

/* ---- update ---- */

static int set_flag(struct ward_resources *res, int opt, const char *v, ward_err *err)
{
	int64_t n;
	int r;

	if (opt == 'C' || opt == 'M') {
		char **dst = opt == 'C' ? &res->cpuset_cpus : &res->cpuset_mems;
		free(*dst);
		*dst = strdup(v);
		return *dst ? 0 : werr(err, ENOMEM, "update");
	}
	r = opt == 'm' || opt == 's' || opt == 'V' ? parse_size(v, &n) : parse_i64(v, &n);
	if (r < 0 && streq(v, "-1")) {
		n = -1;
		r = 0;
	}
	if (r < 0)
		return werrx(err, EINVAL, "update: '%s' is not a number", v);
	switch (opt) {
	case 'm':
		res->memory_limit = n;
		break;
	case 's':
		res->memory_swap = n;
		break;
	case 'V':
		res->memory_reservation = n;
		break;
	case 'q':
		res->cpu_quota = n;
		break;
	case 'p':
		res->cpu_period = n;
		break;
	case 'S':
		res->cpu_shares = n;
		break;
	case 'P':
		res->pids_limit = n;
		break;
	case 'b':
		res->blkio_weight = n;
		break;
	}
	return 0;
}

static int read_resources(const char *path, struct ward_resources *res, ward_err *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	json_t *doc;
	int r;

	if (streq(path, "-")) {
		r = read_file("/dev/stdin", &text, &len);
		if (r < 0)
			return werr(err, -r, "--resources -: read stdin");
		doc = oci_json_load(text, len, "--resources -", err);
	} else {
		doc = oci_json_load_file(path, NULL, err);
	}
	if (!doc)
		return -err->code;
	r = oci_resources_from_json(doc, "--resources", res, err);
	json_decref(doc);
	/* the same default devices as create adds after a config's own rules
	 * (a cgroup v2 update replaces the whole device program) */
	if (r >= 0 && res->n_devices && oci_add_default_device_rules(res) < 0)
		return werr(err, ENOMEM, "--resources");
	return r;
}

int oci_update(struct oci_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"resources", required_argument, NULL, 'R'},
	    {"memory", required_argument, NULL, 'm'},
	    {"memory-swap", required_argument, NULL, 's'},
	    {"memory-reservation", required_argument, NULL, 'V'},
	    {"cpu-quota", required_argument, NULL, 'q'},
	    {"cpu-period", required_argument, NULL, 'p'},
	    {"cpu-share", required_argument, NULL, 'S'},
	    {"cpuset-cpus", required_argument, NULL, 'C'},
	    {"cpuset-mems", required_argument, NULL, 'M'},
	    {"pids-limit", required_argument, NULL, 'P'},
	    {"blkio-weight", required_argument, NULL, 'b'},
	    {NULL, 0, NULL, 0},
	};
	static const char synopsis[] =
	    "update [--resources FILE|-] [--memory N] [--memory-swap N] [--cpu-quota N] "
	    "[--cpu-period N] [--cpu-share N] [--cpuset-cpus L] [--pids-limit N] ID";
	struct ward_resources res;
	_cleanup_close_ int lock = -1;
	struct ward_cgroup *cg = NULL;
	const char *file = NULL;
	struct oci_record r = {0};
	ward_err err = {0};
	int c, rc = 0;

	spec_resources_init(&res);
	while (rc == 0 && (c = getopt_long(argc, argv, "+r:", opts, NULL)) != -1) {
		if (c == 'R' || c == 'r')
			file = optarg;
		else if (c == '?' || c == ':')
			rc = oci_usage(g, "update", synopsis);
	}
	if (!rc && optind != argc - 1)
		rc = oci_usage(g, "update", synopsis);
	if (!rc && file && read_resources(file, &res, &err) < 0)
		rc = oci_fail_err(g, NULL, &err);
	/* as runc: the flags override what the file says */
	for (optind = 0; rc == 0 && (c = getopt_long(argc, argv, "+r:", opts, NULL)) != -1;)
		if (c != 'R' && c != 'r' && set_flag(&res, c, optarg, &err) < 0)
			rc = oci_fail_err(g, NULL, &err);
	if (!rc && (lock = manage_lock(&g->ctx, argv[optind], &err)) < 0)
		rc = oci_fail_err(g, argv[optind], &err);
	if (!rc && oci_record_load(g, argv[optind], &r, &err) < 0)
		rc = oci_fail_err(g, NULL, &err);
	if (!rc && r.status == OCI_STOPPED)
		rc = oci_fail(g, argv[optind], "cannot update a stopped container");
	if (!rc && (oci_cgroup_open(&r, &cg, &err) < 0 || cgroup_update(cg, &res, &err) < 0))
		rc = oci_fail_err(g, argv[optind], &err);
	cgroup_free(cg);
	oci_record_clear(&r);
	spec_resources_clear(&res);
	return rc;
}
