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
#include "spec/options.h"
#include "util/cleanup.h"
#include "util/strutil.h"

#define OPT_BASE 1000

/* Build getopt_long's table from the shared option table. */
static int parse_run_options(int argc, char **argv, struct run_settings *rs)
{
	size_t n;
	const struct run_option *ro = run_options(&n);
	struct option *lo = calloc(n + 2, sizeof(*lo));
	char shorts[64] = "+h";
	int c, ret = 0;

	if (!lo)
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
	lo[n] = (struct option){"help", no_argument, NULL, 'h'};
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		const struct run_option *o = NULL;
		ward_err err = {0};
		char flag[64];

		if (c == 'h') {
			const char *text = help_page("run");
			fputs(text ? text : "usage: ward run [OPTIONS] [--] COMMAND [ARG...]\n",
			      stdout);
			ret = 1;
			break;
		}
		if (c == '?' || c == ':') {
			if (optopt && optopt < OPT_BASE)
				cli_errorf(NULL, "run: %s -%c",
					   c == ':' ? "missing value for" : "unknown option",
					   optopt);
			else if (optopt >= OPT_BASE)
				cli_errorf(NULL, "run: missing value for --%s",
					   ro[optopt - OPT_BASE].name);
			else
				cli_errorf(NULL, "run: unknown option '%s'", argv[optind - 1]);
			ret = -EINVAL;
			break;
		}
		if (c >= OPT_BASE)
			o = &ro[c - OPT_BASE];
		else
			for (size_t i = 0; i < n; i++)
				if (ro[i].short_name == c)
					o = &ro[i];
		if (!o) {
			ret = -EINVAL;
			break;
		}
		if (run_option_apply(rs, o, optarg, &err) < 0) {
			snprintf(flag, sizeof(flag), "--%s", o->name);
			cli_error(flag, &err);
			ret = -EINVAL;
			break;
		}
	}
	free(lo);
	return ret;
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

static void block_forwarded_signals(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
	sigset_t set;

	/* blocked before the container exists so that none is lost; the
	 * container process resets its mask */
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static int prepare_identity(struct cli_globals *g, struct run_settings *rs, ward_err *err)
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
	r = parse_run_options(argc, argv, &rs);
	if (r != 0) {
		run_settings_clear(&rs);
		return r > 0 ? 0 : EXIT_WARD_FAILED;
	}
	if (rs.config_files) {
		cli_errorf("--config", "container config files are not supported yet");
		run_settings_clear(&rs);
		return EXIT_WARD_FAILED;
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
		/* container root is host root: run from a sealed copy of
		 * ourselves (CVE-2019-5736); this re-executes once */
		r = selfexe_ensure_sealed(g->argv0, g->envp);
		if (r < 0) {
			werr(&err, -r, "protect the ward binary (sealed copy)");
			cli_error(rs.spec->name, &err);
			run_settings_clear(&rs);
			return EXIT_WARD_FAILED;
		}
	}
	if (prepare_identity(g, &rs, &err) < 0) {
		cli_error(rs.spec->name, &err);
		run_settings_clear(&rs);
		return EXIT_WARD_FAILED;
	}
	block_forwarded_signals();
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
