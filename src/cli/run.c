/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "runtime/idmap.h"
#include "runtime/selfexe.h"
#include "runtime/user.h"
#include "spec/config.h"
#include "spec/options.h"
#include "util/cleanup.h"
#include "util/strutil.h"

#define OPT_BASE  1000
#define OPT_EXTRA 2000

struct applied {
	const struct run_option *o;
	const char *value;
};

static int apply_recorded(struct run_settings *rs, struct applied *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ward_err err = {0};
		char flag[64];
		bool first = true;

		/* the command line replaces what config files accumulated */
		for (size_t j = 0; j < i; j++)
			if (list[j].o == list[i].o)
				first = false;
		if (first && rs->config_files)
			config_cli_override(rs, list[i].o->name);
		if (run_option_apply(rs, list[i].o, list[i].value, &err) < 0) {
			snprintf(flag, sizeof(flag), "--%s", list[i].o->name);
			cli_error(flag, &err);
			return -EINVAL;
		}
	}
	return 0;
}

int cli_parse_run_options(const char *verb, int argc, char **argv, struct run_settings *rs,
			  const struct cli_extra_opt *extra, size_t n_extra, void *data)
{
	size_t n;
	const struct run_option *ro = run_options(&n);
	_cleanup_free_ struct option *lo = calloc(n + n_extra + 2, sizeof(*lo));
	_cleanup_free_ struct applied *list = calloc((size_t)argc + 1, sizeof(*list));
	size_t n_list = 0;
	char shorts[64] = "+h";
	int c;

	if (!lo || !list)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		lo[i].name = ro[i].name;
		lo[i].has_arg = ro[i].has_arg ? required_argument : no_argument;
		lo[i].val = OPT_BASE + (int)i;
		if (ro[i].short_name) {
			char s[3] = {(char)ro[i].short_name, ro[i].has_arg ? ':' : '\0', '\0'};
			strcat(shorts, s);
		}
	}
	for (size_t i = 0; i < n_extra; i++) {
		lo[n + i].name = extra[i].name;
		lo[n + i].has_arg = extra[i].has_arg ? required_argument : no_argument;
		lo[n + i].val = OPT_EXTRA + (int)i;
	}
	lo[n + n_extra] = (struct option){"help", no_argument, NULL, 'h'};
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		const struct run_option *o = NULL;

		if (c == 'h') {
			const char *text = help_page(verb);
			fputs(text ? text : "see ward help\n", stdout);
			return 1;
		}
		if (c == '?' || c == ':') {
			if (optopt && optopt < OPT_BASE)
				cli_errorf(NULL, "%s: %s -%c", verb,
					   c == ':' ? "missing value for" : "unknown option",
					   optopt);
			else if (optopt >= OPT_EXTRA)
				cli_errorf(NULL, "%s: missing value for --%s", verb,
					   extra[optopt - OPT_EXTRA].name);
			else if (optopt >= OPT_BASE)
				cli_errorf(NULL, "%s: missing value for --%s", verb,
					   ro[optopt - OPT_BASE].name);
			else
				cli_errorf(NULL, "%s: unknown option '%s'", verb, argv[optind - 1]);
			return -EINVAL;
		}
		if (c >= OPT_EXTRA) {
			const struct cli_extra_opt *x = &extra[c - OPT_EXTRA];
			if (x->fn(data, optarg) < 0)
				return -EINVAL;
			continue;
		}
		if (c >= OPT_BASE)
			o = &ro[c - OPT_BASE];
		else
			for (size_t i = 0; i < n; i++)
				if (ro[i].short_name == c)
					o = &ro[i];
		if (!o)
			return -EINVAL;
		if (streq(o->name, "config")) {
			/* files first, whatever their place on the line */
			ward_err err = {0};
			if (run_option_apply(rs, o, optarg, &err) < 0) {
				cli_error("--config", &err);
				return -EINVAL;
			}
			continue;
		}
		list[n_list++] = (struct applied){o, optarg};
	}
	if (rs->config_files) {
		ward_err err = {0};
		if (config_apply_files(rs, rs->config_files, &err) < 0) {
			cli_error(NULL, &err);
			return -EINVAL;
		}
	}
	return apply_recorded(rs, list, n_list);
}

/* Say once per boot (per --root) that ward picked its own id range. */
static void note_default_subids(const struct cli_globals *g, const struct ward_spec *s)
{
	_cleanup_free_ char *marker = xasprintf("%s/.subid-notice", g->ctx.root_dir);
	int fd;

	if (!marker || access(marker, F_OK) == 0)
		return;
	cli_notice("/etc/subuid and /etc/subgid have no range for root; containers map their "
		   "ids to host ids %u-%u (see ward-run(1), USER NAMESPACES)",
		   s->uid_maps[0].outside, s->uid_maps[0].outside + s->uid_maps[0].count - 1);
	if (mkdir(g->ctx.root_dir, 0711) < 0 && errno != EEXIST)
		return;
	fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
}

void cli_block_forwarded_signals(void)
{
	sigset_t set;

	/* blocked before the container exists so that none is lost; the
	 * container process resets its mask */
	container_forwarded_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
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
		if (used_default)
			note_default_subids(g, s);
	}
	return user_resolve(s, rs->home_explicit, err);
}

int cli_run(struct cli_globals *g, int argc, char **argv)
{
	struct run_settings rs;
	struct ward_create_opts opts = {
	    .release = WARD_RELEASE_SYNC,
	    .kill_with_parent = true,
	    .write_state = true,
	    .stdio = {-1, -1, -1},
	};
	struct ward_container *c = NULL;
	struct ward_exit ex;
	ward_err err = {0};
	int r, status;

	if (run_settings_init(&rs, &err) < 0) {
		cli_error("run", &err);
		return EXIT_WARD_FAILED;
	}
	rs.lib_dir = g->ctx.lib_dir; /* ward networks named by config files */
	r = cli_parse_run_options("run", argc, argv, &rs, NULL, 0, NULL);
	if (r != 0) {
		run_settings_clear(&rs);
		return r > 0 ? 0 : EXIT_WARD_FAILED;
	}
	if (optind < argc) {
		rs.spec->process.args = strv_copy(argv + optind);
		if (!rs.spec->process.args) {
			run_settings_clear(&rs);
			return EXIT_WARD_FAILED;
		}
	}
	if (run_settings_finish(&rs, &err) < 0) {
		cli_error("run", &err);
		run_settings_clear(&rs);
		return EXIT_WARD_FAILED;
	}
	if (!rs.spec->ns[WNS_USER].enabled) {
		/* container root is host root: no process in the container
		 * may ever open our binary for writing (CVE-2019-5736, see
		 * selfexe.c) */
		r = selfexe_ensure_sealed(g->argv0, g->envp);
		if (r < 0) {
			werr(&err, -r, "protect the ward binary (CVE-2019-5736)");
			cli_error(rs.spec->name, &err);
			run_settings_clear(&rs);
			return EXIT_WARD_FAILED;
		}
	}
	if (cli_prepare_identity(g, &rs, &err) < 0) {
		cli_error(rs.spec->name, &err);
		run_settings_clear(&rs);
		return EXIT_WARD_FAILED;
	}
	cli_block_forwarded_signals();
	r = container_create(&g->ctx, rs.spec, &opts, &c, &err);
	if (r < 0) {
		cli_error(rs.spec->name, &err);
		run_settings_clear(&rs);
		return EXIT_WARD_FAILED;
	}
	r = container_start(c, &err);
	if (r < 0) {
		ward_err ignored;
		status = container_error_exit_code(c, r);
		cli_error(rs.spec->name, &err);
		container_destroy(c, &ignored);
		container_free(c);
		run_settings_clear(&rs);
		return status;
	}
	r = container_supervise(c, &ex, &err);
	if (r < 0) {
		cli_error(rs.spec->name, &err);
		status = EXIT_WARD_FAILED;
	} else {
		status = ex.status;
		if (ex.oom && rs.spec->res.memory_limit != WARD_UNSET)
			cli_errorf(rs.spec->name,
				   "killed by the out-of-memory killer (memory limit %lld MiB)",
				   (long long)(rs.spec->res.memory_limit >> 20));
		else if (ex.oom)
			cli_errorf(rs.spec->name, "killed by the out-of-memory killer");
	}
	{
		ward_err derr = {0};
		if (container_destroy(c, &derr) < 0)
			cli_error(rs.spec->name, &derr);
	}
	container_free(c);
	run_settings_clear(&rs);
	return status;
}
