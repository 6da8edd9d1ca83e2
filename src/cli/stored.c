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
#include "spec/options.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

/* TEMPORARY until src/spec/config.c lands: ward keys only. */
static int apply_config(struct run_settings *rs, const char *path, ward_err *err)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	int r = read_file(path, &text, NULL), line = 0;

	if (r < 0)
		return werr(err, -r, "%s", path);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(l, '='), *k = l, *v;
		const struct run_option *o;
		line++;
		if (!eq || l[0] == '#')
			continue;
		*eq = '\0';
		v = eq + 1;
		while (*k == ' ')
			k++;
		for (char *e = k + strlen(k); e > k && e[-1] == ' ';)
			*--e = '\0';
		while (*v == ' ')
			v++;
		if (streq(k, "ward.cmd")) {
			char *sv = NULL;
			strv_free(rs->spec->process.args);
			rs->spec->process.args = NULL;
			for (char *a = strtok_r(v, " ", &sv); a; a = strtok_r(NULL, " ", &sv))
				strv_push(&rs->spec->process.args, a);
			continue;
		}
		o = run_option_find_key(k);
		if (!o)
			return werrx(err, EINVAL, "%s:%d: %s: unknown key", path, line, k);
		r = run_option_apply(rs, o, o->has_arg ? v : NULL, err);
		if (r < 0)
			return werr_wrap(err, "%s:%d: %s", path, line, k);
	}
	return 0;
}

int cli_prepare_identity(struct cli_globals *g, struct run_settings *rs, ward_err *err)
{
	struct ward_spec *s = rs->spec;
	int r;

	if (s->userns_mode == WUSERNS_AUTO) {
		bool used_default = false;
		r = idmap_resolve_auto(s, "/etc/subuid", "/etc/subgid", &used_default, err);
		if (r < 0)
			return r;
	}
	(void)g;
	return user_resolve(s, rs->home_explicit, err);
}

int cli_load_stored(struct cli_globals *g, const char *name, struct run_settings *rs, ward_err *err)
{
	_cleanup_free_ char *dir = manage_store_dir(&g->ctx, name);
	_cleanup_free_ char *cfg = dir ? xasprintf("%s/config", dir) : NULL;
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
	r = apply_config(rs, cfg, err);
	if (r >= 0) {
		free(rs->spec->name);
		rs->spec->name = strdup(name);
		r = rs->spec->name ? 0 : werr(err, ENOMEM, "name");
	}
	if (r >= 0)
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

void cli_block_forwarded_signals(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
}
