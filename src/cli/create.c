/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ward create|destroy|ls: containers in the store */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "manage/manage.h"
#include "net/attach.h"
#include "runtime/mounts.h"
#include "runtime/state.h"
#include "spec/config.h"
#include "spec/options.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

/* ---- create ---- */

static int unshift_dir(struct cli_globals *g, const char *name, ward_err *err);

enum template_kind { TPL_NONE, TPL_HOST, TPL_BUSYBOX, TPL_DIR, TPL_TAR };

struct create_args {
	enum template_kind kind;
	char *arg; /* dir: and tar: paths */
	bool tar_absolute_symlinks;
};

static int take_tar_absolute(void *data, const char *v)
{
	(void)v;
	((struct create_args *)data)->tar_absolute_symlinks = true;
	return 0;
}

static int take_template(void *data, const char *v)
{
	struct create_args *a = data;

	free(a->arg);
	a->arg = NULL;
	if (streq(v, "host"))
		a->kind = TPL_HOST;
	else if (streq(v, "busybox"))
		a->kind = TPL_BUSYBOX;
	else if (startswith(v, "dir:") && v[4])
		a->kind = TPL_DIR, a->arg = strdup(v + 4);
	else if (startswith(v, "tar:") && v[4])
		a->kind = TPL_TAR, a->arg = strdup(v + 4);
	else {
		cli_errorf("--template", "'%s' is not host, busybox, dir:PATH or tar:FILE", v);
		return -EINVAL;
	}
	if ((a->kind == TPL_DIR || a->kind == TPL_TAR) && !a->arg)
		return -ENOMEM;
	return 0;
}

static int apply_named(struct run_settings *rs, const char *opt, const char *value, ward_err *err)
{
	const struct run_option *o = run_option_find(opt);

	if (!o)
		return werrx(err, EINVAL, "internal: no option %s", opt);
	return run_option_apply(rs, o, value, err);
}

/* The settings must start: re-read what is written, as `ward start` will,
 * and finish them (every check `ward run` makes). */
static int check_written(struct cli_globals *g, const char *name, const char *text, ward_err *err)
{
	struct run_settings rs;
	_cleanup_(config_freep) struct config *c = NULL;
	int r = run_settings_init(&rs, err);

	if (r < 0)
		return r;
	rs.lib_dir = g->ctx.lib_dir;
	c = config_new(&rs);
	if (!c)
		r = werr(err, ENOMEM, "config");
	if (r >= 0)
		r = config_read_buffer(c, "config", text, strlen(text), err);
	if (r >= 0)
		r = config_finish(c, err);
	if (r >= 0 && !rs.spec->name && !(rs.spec->name = strdup(name)))
		r = werr(err, ENOMEM, "name");
	if (r >= 0)
		r = run_settings_finish(&rs, err);
	run_settings_clear(&rs);
	return r;
}

/* Fill the rootfs of a template that has one; point the settings at it. */
static int make_rootfs(struct cli_globals *g, const char *name, const struct create_args *a,
		       struct run_settings *rs, uint32_t uid, uint32_t gid, ward_err *err)
{
	_cleanup_free_ char *dir = NULL, *rootfs = NULL, *canon = NULL;
	int r;

	if (a->kind == TPL_DIR) {
		r = template_dir(a->arg, &canon, err);
		if (r >= 0)
			r = apply_named(rs, "rootfs", canon, err);
		if (r < 0 || rs->spec->userns_mode != WUSERNS_AUTO)
			return r;
		/* its files appear owned by the container's ids: through an
		 * idmapped mount where the file system takes one, else by
		 * shifting their owners now (and back at destroy) */
		if (fs_idmap_supported(canon, uid) == 1)
			return apply_named(rs, "rootfs-idmap", NULL, err);
		r = store_dir(&g->ctx, name, &dir);
		if (r < 0)
			return werr(err, -r, "store");
		rootfs = xasprintf("%s/shifted", dir);
		if (!rootfs)
			return werr(err, ENOMEM, "rootfs");
		r = write_file_atomic(rootfs, canon, strlen(canon), 0600);
		if (r < 0)
			return werr(err, -r, "write %s", rootfs);
		cli_notice("%s: %s takes no idmapped mount: its owners are shifted to host ids "
			   "%u and up (ward destroy shifts them back)",
			   name, canon, uid);
		r = rootfs_chown_shift(canon, 0, 0, uid, gid, err);
		return r < 0 ? r : 0;
	}
	if (a->kind != TPL_BUSYBOX && a->kind != TPL_TAR)
		return 0;
	r = store_dir(&g->ctx, name, &dir);
	if (r < 0)
		return werr(err, -r, "store");
	rootfs = xasprintf("%s/rootfs", dir);
	if (!rootfs)
		return werr(err, ENOMEM, "rootfs");
	if (a->kind == TPL_BUSYBOX) {
		r = template_busybox(rootfs, uid, gid, err);
	} else {
		struct store_bar bar = {.fd = STDERR_FILENO, .label = a->arg};
		struct tar_opts to = {
		    .flags = a->tar_absolute_symlinks ? TAR_ABSOLUTE_SYMLINKS : 0,
		    .progress = store_progress_bar,
		    .progress_data = &bar,
		};
		r = template_tar(a->arg, rootfs, uid, gid, &to, err);
		if (r > 0)
			cli_notice("%s: %d device nodes and sockets in %s skipped (ward gives the "
				   "container its own /dev)",
				   name, r, a->arg);
	}
	return r < 0 ? r : apply_named(rs, "rootfs", rootfs, err);
}

/* Give the container its own block of subordinate ids, written into its
 * config as its id mapping. */
static int own_ids(struct cli_globals *g, const char *name, struct run_settings *rs, uint32_t *uid,
		   uint32_t *gid, char **extra, ward_err *err)
{
	_cleanup_free_ char *map = NULL;
	int r = subid_alloc(&g->ctx, name, NULL, NULL, uid, gid, err);

	if (r < 0)
		return r;
	if (r == 1)
		cli_notice("/etc/subuid and /etc/subgid have no range for root; %s gets host ids "
			   "%u-%u (see ward-create(1))",
			   name, *uid, *uid + WARD_SUBID_COUNT - 1);
	if (*uid == *gid) {
		map = xasprintf("0:%u:%u", *uid, WARD_SUBID_COUNT);
		return map ? apply_named(rs, "userns", map, err) : werr(err, ENOMEM, "ids");
	}
	/* different blocks for uids and gids: only LXC's key says that */
	*extra = xasprintf("lxc.idmap = u 0 %u %u\nlxc.idmap = g 0 %u %u\n", *uid, WARD_SUBID_COUNT,
			   *gid, WARD_SUBID_COUNT);
	return *extra ? 0 : werr(err, ENOMEM, "ids");
}

static int create_in_store(struct cli_globals *g, const char *name, struct create_args *a,
			   struct run_settings *rs, ward_err *err)
{
	_cleanup_free_ char *dir = NULL, *cfg = NULL, *text = NULL, *extra = NULL, *all = NULL;
	uint32_t uid = 0, gid = 0;
	int r;

	if (rs->spec->userns_mode == WUSERNS_AUTO) {
		r = own_ids(g, name, rs, &uid, &gid, &extra, err);
		if (r < 0)
			return r;
	}
	r = make_rootfs(g, name, a, rs, uid, gid, err);
	if (r < 0)
		return r;
	r = config_write(rs, &text, err);
	if (r < 0)
		return r;
	all = xasprintf("# ward container %s (ward-config(5))\n%s%s", name, text, extra ?: "");
	if (!all)
		return werr(err, ENOMEM, "config");
	r = check_written(g, name, all, err);
	if (r < 0)
		return r;
	r = store_dir(&g->ctx, name, &dir);
	if (r < 0)
		return werr(err, -r, "store");
	cfg = xasprintf("%s/config", dir);
	if (!cfg)
		return werr(err, ENOMEM, "config");
	r = write_file_atomic(cfg, all, strlen(all), 0600);
	return r < 0 ? werr(err, -r, "write %s", cfg) : 0;
}

static const char create_usage[] =
    "ward create NAME [--template host|busybox|dir:PATH|tar:FILE] [--ephemeral] "
    "[run options] [--] [COMMAND [ARG...]]";

int cli_create(struct cli_globals *g, int argc, char **argv)
{
	static const struct cli_extra_opt extra[] = {
	    {"template", true, take_template},
	    {"tar-absolute-symlinks", false, take_tar_absolute},
	};
	struct create_args a = {.kind = TPL_NONE};
	struct run_settings rs;
	_cleanup_close_ int lock = -1;
	const char *name;
	ward_err err = {0};
	int r, status = EXIT_WARD_FAILED;

	if (argc >= 2 && (streq(argv[1], "--help") || streq(argv[1], "-h"))) {
		fputs(help_page("create") ?: "", stdout);
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-') {
		cli_errorf(NULL, "create: usage: %s", create_usage);
		return EXIT_WARD_FAILED;
	}
	name = argv[1];
	if (!name_is_valid(name)) {
		cli_errorf(NULL,
			   "create: '%s' is not a container name (letters, digits, '_', '.', '-'; "
			   "at most 63, starting with a letter or digit)",
			   name);
		return EXIT_WARD_FAILED;
	}
	if (run_settings_init(&rs, &err) < 0) {
		cli_error(name, &err);
		return EXIT_WARD_FAILED;
	}
	rs.lib_dir = g->ctx.lib_dir; /* ward networks named by config files */
	/* argv[1] stands where getopt expects the program's name */
	r = cli_parse_run_options("create", argc - 1, argv + 1, &rs, extra, ARRAY_SIZE(extra), &a);
	if (r != 0) {
		status = r > 0 ? 0 : EXIT_WARD_FAILED;
		goto out;
	}
	if (optind < argc - 1) {
		strv_free(rs.spec->process.args);
		rs.spec->process.args = strv_copy(argv + 1 + optind);
		if (!rs.spec->process.args)
			goto out;
	}
	if (rs.spec->name && !streq(rs.spec->name, name)) {
		cli_errorf("--name", "'%s' differs from the container's name '%s'", rs.spec->name,
			   name);
		goto out;
	}
	if (a.kind != TPL_NONE && a.kind != TPL_HOST && rs.spec->rootfs) {
		cli_errorf("--template", "a template with a root filesystem and --rootfs (or "
					 "lxc.rootfs) exclude each other");
		goto out;
	}
	if (rs.spec->rootfs_ephemeral && !rs.spec->rootfs &&
	    (a.kind == TPL_NONE || a.kind == TPL_HOST)) {
		cli_errorf("--ephemeral", "needs a root filesystem (--template busybox, dir:PATH, "
					  "tar:FILE or --rootfs): the host template's root is a "
					  "tmpfs already");
		goto out;
	}
	lock = manage_lock(&g->ctx, name, &err);
	if (lock < 0 || store_create_dir(&g->ctx, name, &err) < 0) {
		cli_error(name, &err);
		goto out;
	}
	if (create_in_store(g, name, &a, &rs, &err) < 0) {
		ward_err ignored;
		cli_error(name, &err);
		/* a dir: tree shifted already goes back before its ids are freed */
		if (unshift_dir(g, name, &ignored) == 0 &&
		    store_remove(&g->ctx, name, &ignored) == 0)
			subid_free(&g->ctx, name, &ignored);
		goto out;
	}
	status = 0;
out:
	free(a.arg);
	run_settings_clear(&rs);
	return status;
}

/* ---- destroy ---- */

/* A dir: template whose owners create shifted: shift them back. */
static int unshift_dir(struct cli_globals *g, const char *name, ward_err *err)
{
	_cleanup_free_ char *dir = NULL, *marker = NULL, *path = NULL;
	uint32_t uid, gid;
	int r;

	if (store_dir(&g->ctx, name, &dir) < 0 || !(marker = xasprintf("%s/shifted", dir)))
		return werr(err, ENOMEM, "store");
	r = read_file(marker, &path, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return werr(err, -r, "read %s", marker);
	if (subid_lookup(&g->ctx, name, &uid, &gid) < 0)
		return werrx(err, ENOENT, "%s: the container has no ids to shift back from", path);
	r = rootfs_chown_shift(path, uid, gid, 0, 0, err);
	if (r < 0)
		return r;
	return unlink(marker) < 0 ? werr(err, errno, "remove %s", marker) : 0;
}

int cli_destroy(struct cli_globals *g, int argc, char **argv)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int lock = -1;
	const char *name = NULL;
	bool force = false;
	ward_err err = {0};

	for (int i = 1; i < argc; i++) {
		if (streq(argv[i], "--help") || streq(argv[i], "-h")) {
			fputs(help_page("destroy") ?: "", stdout);
			return 0;
		}
		if (streq(argv[i], "-f") || streq(argv[i], "--force"))
			force = true;
		else if (!name && argv[i][0] != '-')
			name = argv[i];
		else {
			cli_errorf(NULL, "destroy: usage: ward destroy NAME [-f|--force]");
			return EXIT_WARD_FAILED;
		}
	}
	if (!name) {
		cli_errorf(NULL, "destroy: usage: ward destroy NAME [-f|--force]");
		return EXIT_WARD_FAILED;
	}
	if (store_dir(&g->ctx, name, &dir) < 0) {
		cli_errorf(NULL, "destroy: '%s' is not a container name", name);
		return EXIT_WARD_FAILED;
	}
	if (access(dir, F_OK) < 0) {
		cli_errorf(name, "no such container");
		return EXIT_WARD_FAILED;
	}
	lock = manage_lock(&g->ctx, name, &err);
	if (lock < 0) {
		cli_error(name, &err);
		return EXIT_WARD_FAILED;
	}
	if (state_is_alive(&g->ctx, name)) {
		if (!force) {
			cli_errorf(name, "is running: stop it first, or destroy -f to kill it");
			return EXIT_WARD_FAILED;
		}
		if (manage_stop(&g->ctx, name, SIGKILL, 0, &err) < 0 && err.code != ESRCH) {
			cli_error(name, &err);
			return EXIT_WARD_FAILED;
		}
	}
	if (unshift_dir(g, name, &err) < 0) {
		cli_error(name, &err);
		return EXIT_WARD_FAILED;
	}
	/* leases and published ports a killed teardown may have left */
	if (net_reclaim(&g->ctx, name, &err) < 0)
		cli_error(name, &err);
	/* ids are freed only once no file of the store carries them */
	if (store_remove(&g->ctx, name, &err) < 0 || subid_free(&g->ctx, name, &err) < 0) {
		cli_error(name, &err);
		return EXIT_WARD_FAILED;
	}
	return 0;
}

/* ---- ls ---- */

struct ls_row {
	char *name;
	const char *state;
	bool autostart;
	int order;
	char *groups;
	char *ipv4, *ipv6;
	bool unprivileged;
};

static void ls_row_clear(struct ls_row *r)
{
	free(r->name);
	free(r->groups);
	free(r->ipv4);
	free(r->ipv6);
}

static void append(char **list, const char *v)
{
	char *n = *list ? xasprintf("%s,%s", *list, v) : strdup(v);

	if (n) {
		free(*list);
		*list = n;
	}
}

/* Addresses: what the running container has, else what its config fixes. */
static void ls_addresses(struct cli_globals *g, struct ls_row *row, struct run_settings *rs)
{
	_cleanup_free_ char *p = xasprintf("%s/%s/state.json", g->ctx.root_dir, row->name);
	_cleanup_free_ char *text = NULL;
	json_t *o, *net, *a;
	size_t i;

	if (streq(row->state, "running") && p && read_file(p, &text, NULL) == 0 &&
	    (o = json_loads(text, 0, NULL))) {
		net = json_object_get(o, "net");
		json_array_foreach (net, i, a) {
			const char *v4 = json_string_value(json_object_get(a, "ipv4"));
			const char *v6 = json_string_value(json_object_get(a, "ipv6"));
			if (v4)
				append(&row->ipv4, v4);
			if (v6)
				append(&row->ipv6, v6);
		}
		json_decref(o);
		return;
	}
	for (size_t k = 0; rs->spec->net && k < rs->spec->net->n_ifs; k++) {
		const struct ward_netif *f = &rs->spec->net->ifs[k];
		char buf[64];
		if (f->has_ip4 && net_addr_str(AF_INET, &f->ip4, buf, sizeof(buf)))
			append(&row->ipv4, buf);
		if (f->has_ip6 && net_addr_str(AF_INET6, &f->ip6, buf, sizeof(buf)))
			append(&row->ipv6, buf);
	}
}

static int ls_collect(struct cli_globals *g, struct ls_row **rows, size_t *n)
{
	_cleanup_free_ char *top = xasprintf("%s/containers", g->ctx.lib_dir);
	_cleanup_(closedirp) DIR *d = top ? opendir(top) : NULL;
	struct dirent *de;

	*rows = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct ls_row row = {0};
		struct run_settings rs;
		ward_err err = {0};
		struct ls_row *grown;

		if (de->d_name[0] == '.' || !name_is_valid(de->d_name))
			continue;
		row.name = strdup(de->d_name);
		row.state = state_is_alive(&g->ctx, de->d_name) ? "running" : "stopped";
		if (cli_read_stored(g, de->d_name, &rs, &err) == 0) {
			row.autostart = rs.life.autostart;
			row.order = rs.life.start_order;
			for (size_t k = 0; rs.life.groups && rs.life.groups[k]; k++)
				append(&row.groups, rs.life.groups[k]);
			row.unprivileged = rs.spec->userns_mode != WUSERNS_HOST;
			ls_addresses(g, &row, &rs);
			run_settings_clear(&rs);
		} else {
			row.state = "broken";
		}
		grown = realloc(*rows, (*n + 1) * sizeof(**rows));
		if (!grown || !row.name) {
			ls_row_clear(&row);
			return -ENOMEM;
		}
		*rows = grown;
		(*rows)[(*n)++] = row;
	}
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ls_row *)a)->name, ((const struct ls_row *)b)->name);
}

int cli_ls(struct cli_globals *g, int argc, char **argv)
{
	struct ls_row *rows = NULL;
	size_t n = 0;
	bool fancy = false, json = g->json;
	int r;

	for (int i = 1; i < argc; i++) {
		if (streq(argv[i], "--fancy") || streq(argv[i], "-f"))
			fancy = true;
		else if (streq(argv[i], "--json"))
			json = true;
		else if (streq(argv[i], "--help") || streq(argv[i], "-h")) {
			fputs(help_page("ls") ?: "", stdout);
			return 0;
		} else {
			cli_errorf(NULL, "ls: usage: ward ls [--fancy] [--json]");
			return EXIT_WARD_FAILED;
		}
	}
	r = ls_collect(g, &rows, &n);
	if (r < 0) {
		cli_errorf(NULL, "ls: %s/containers: %s", g->ctx.lib_dir, strerror(-r));
		return EXIT_WARD_FAILED;
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	if (json) {
		json_t *arr = json_array();
		char *t;
		for (size_t i = 0; i < n; i++) {
			json_t *o =
			    json_pack("{s:s, s:s, s:b, s:i, s:b}", "name", rows[i].name, "state",
				      rows[i].state, "autostart", rows[i].autostart, "start_order",
				      rows[i].order, "unprivileged", rows[i].unprivileged);
			json_t *gr = json_array(), *v4 = json_array(), *v6 = json_array();
			_cleanup_free_ char *gs = rows[i].groups ? strdup(rows[i].groups) : NULL;
			_cleanup_free_ char *s4 = rows[i].ipv4 ? strdup(rows[i].ipv4) : NULL;
			_cleanup_free_ char *s6 = rows[i].ipv6 ? strdup(rows[i].ipv6) : NULL;
			char *save;
			for (char *w = gs ? strtok_r(gs, ",", &save) : NULL; w;
			     w = strtok_r(NULL, ",", &save))
				json_array_append_new(gr, json_string(w));
			for (char *w = s4 ? strtok_r(s4, ",", &save) : NULL; w;
			     w = strtok_r(NULL, ",", &save))
				json_array_append_new(v4, json_string(w));
			for (char *w = s6 ? strtok_r(s6, ",", &save) : NULL; w;
			     w = strtok_r(NULL, ",", &save))
				json_array_append_new(v6, json_string(w));
			json_object_set_new(o, "groups", gr);
			json_object_set_new(o, "ipv4", v4);
			json_object_set_new(o, "ipv6", v6);
			json_array_append_new(arr, o);
		}
		t = json_dumps(arr, JSON_INDENT(2));
		puts(t ?: "[]");
		free(t);
		json_decref(arr);
	} else if (fancy) {
		printf("%-20s %-8s %-9s %-12s %-18s %-24s %s\n", "NAME", "STATE", "AUTOSTART",
		       "GROUPS", "IPV4", "IPV6", "UNPRIVILEGED");
		for (size_t i = 0; i < n; i++)
			printf("%-20s %-8s %-9s %-12s %-18s %-24s %s\n", rows[i].name,
			       rows[i].state, rows[i].autostart ? "yes" : "no",
			       rows[i].groups ?: "-", rows[i].ipv4 ?: "-", rows[i].ipv6 ?: "-",
			       rows[i].unprivileged ? "yes" : "no");
	} else {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", rows[i].name);
	}
	for (size_t i = 0; i < n; i++)
		ls_row_clear(&rows[i]);
	free(rows);
	return 0;
}
