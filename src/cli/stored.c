/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Containers in the store: their settings from LIB/containers/NAME/config */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "manage/manage.h"
#include "runtime/idmap.h"
#include "runtime/user.h"
#include "spec/config.h"
#include "spec/options.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

int cli_read_stored(struct cli_globals *g, const char *name, struct run_settings *rs, ward_err *err)
{
	_cleanup_free_ char *dir = manage_store_dir(&g->ctx, name);
	_cleanup_free_ char *cfg = dir ? xasprintf("%s/config", dir) : NULL;
	char *files[] = {cfg, NULL};
	int r;

	if (!cfg)
		return werr(err, ENOMEM, "config");
	if (!name_is_valid(name))
		return werrx(err, EINVAL, "'%s' is not a container name", name);
	if (access(dir, F_OK) < 0)
		return werrx(err, ENOENT, "no such container (ward create %s ...)", name);
	r = run_settings_init(rs, err);
	if (r < 0)
		return r;
	rs->lib_dir = g->ctx.lib_dir;
	r = config_apply_files(rs, files, err);
	if (r >= 0 && rs->spec->name && !streq(rs->spec->name, name))
		r = werrx(err, EINVAL, "%s: ward.name is '%s', not the container's name", cfg,
			  rs->spec->name);
	if (r >= 0 && !rs->spec->name && !(rs->spec->name = strdup(name)))
		r = werr(err, ENOMEM, "name");
	if (r < 0)
		run_settings_clear(rs);
	return r;
}

int cli_load_stored(struct cli_globals *g, const char *name, struct run_settings *rs, ward_err *err)
{
	int r = cli_read_stored(g, name, rs, err);

	if (r < 0)
		return r;
	r = run_settings_finish(rs, err);
	if (r >= 0)
		r = cli_prepare_identity(g, rs, err);
	if (r < 0)
		run_settings_clear(rs);
	return r;
}

/* ward start -F: in the foreground, as `ward run` does. */
int cli_run_stored(struct cli_globals *g, const char *name)
{
	struct ward_create_opts opts = {
	    .release = WARD_RELEASE_SYNC,
	    .kill_with_parent = true,
	    .write_state = true,
	    .stdio = {-1, -1, -1},
	};
	struct run_settings rs;
	struct ward_container *c = NULL;
	struct ward_exit ex;
	ward_err err = {0};
	_cleanup_close_ int lock = manage_lock(&g->ctx, name, &err);
	int r, status = EXIT_WARD_FAILED;

	if (lock < 0 || cli_load_stored(g, name, &rs, &err) < 0) {
		cli_error(name, &err);
		return EXIT_WARD_FAILED;
	}
	cli_block_forwarded_signals();
	r = container_create(&g->ctx, rs.spec, &opts, &c, &err);
	if (r >= 0)
		r = container_start(c, &err);
	if (r < 0) {
		ward_err ignored;
		status = c ? container_error_exit_code(c, r) : EXIT_WARD_FAILED;
		cli_error(name, &err);
		if (c)
			container_destroy(c, &ignored);
	} else if (container_supervise(c, &ex, &err) < 0) {
		cli_error(name, &err);
	} else {
		status = ex.status;
	}
	if (c && r >= 0) {
		ward_err derr = {0};
		if (container_destroy(c, &derr) < 0)
			cli_error(name, &derr);
	}
	container_free(c);
	run_settings_clear(&rs);
	return status;
}
