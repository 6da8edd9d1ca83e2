/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config.h"
#include "util/log.h"
#include "util/strutil.h"

static const struct cli_verb verbs[] = {
    {"run", cli_run, "run a command in a new container, in the foreground"},
    {"net", cli_net, "create, list, inspect and remove networks"},
    {"info", cli_info, "show what a running container is and did"},
    {"gc", cli_gc, "clean up after containers whose ward was killed"},
    {"create", cli_create, "create a container in the store (config, ids, root filesystem)"},
    {"destroy", cli_destroy, "remove a container from the store"},
    {"ls", cli_ls, "list the containers in the store"},
    {"autostart", cli_autostart, "start (or stop) every container marked to start at boot"},
    {"start", cli_start, "start a stored container, supervised in the background"},
    {"stop", cli_stop, "stop a running container: its stop signal, then SIGKILL"},
    {"kill", cli_kill, "send a signal to a running container"},
    {"attach", cli_attach, "run a command inside a running container"},
    {"console", cli_console, "connect to a started container's console"},
    {"__teardown", cli_teardown, NULL},
    {"help", cli_help, "show help for a verb"},
    {"version", cli_version, "show the version"},
};

void cli_error(const char *object, const ward_err *err)
{
	if (object && *object)
		fprintf(stderr, "ward: %s: %s\n", object, err->msg);
	else
		fprintf(stderr, "ward: %s\n", err->msg);
}

void cli_errorf(const char *object, const char *fmt, ...)
{
	ward_err e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	cli_error(object, &e);
}

void cli_notice(const char *fmt, ...)
{
	va_list ap;

	fputs("ward: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void log_handler(enum ward_log_level level, const char *msg, void *data)
{
	static const char *const prefix[] = {"error: ", "warning: ", "", "", "debug: "};

	fprintf(stderr, "ward: %s%s\n", prefix[level], msg);
}

static int parse_log_level(const char *s)
{
	static const char *const names[] = {"error", "warning", "notice", "info", "debug"};

	for (int i = 0; i < 5; i++)
		if (streq(s, names[i]))
			return i;
	return -1;
}

int cli_version(struct cli_globals *g, int argc, char **argv)
{
	printf("ward %s\n", WARD_VERSION);
	return 0;
}

static const struct cli_verb *find_verb(const char *name)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (streq(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

void help_usage(void)
{
	printf("usage: ward [--root DIR] [--lib DIR] [--cgroup-parent PATH] [--log-level LEVEL] "
	       "VERB ...\n\nverbs:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (verbs[i].summary) /* internal verbs have none */
			printf("  %-10s %s\n", verbs[i].name, verbs[i].summary);
	printf("\n`ward help VERB` describes a verb; see also ward(1).\n");
}

int cli_help(struct cli_globals *g, int argc, char **argv)
{
	const char *text;

	if (argc < 2) {
		text = help_page("ward");
		if (text)
			fputs(text, stdout);
		else
			help_usage();
		return 0;
	}
	text = help_page(argv[1]);
	if (!text) {
		cli_errorf(NULL, "help: no such verb '%s'", argv[1]);
		return EXIT_WARD_FAILED;
	}
	fputs(text, stdout);
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	static const struct option opts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"lib", required_argument, NULL, 'l'},
	    {"cgroup-parent", required_argument, NULL, 'c'},
	    {"log-level", required_argument, NULL, 'L'},
	    {"debug", no_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct cli_globals g = {
	    .ctx =
		{
		    .root_dir = getenv("WARD_ROOT") ? getenv("WARD_ROOT") : WARD_DEFAULT_ROOT,
		    .lib_dir = getenv("WARD_LIB") ? getenv("WARD_LIB") : WARD_DEFAULT_LIB,
		    .cgroup_parent =
			getenv("WARD_CGROUP_PARENT") ? getenv("WARD_CGROUP_PARENT") : "ward",
		    .default_network =
			getenv("WARD_DEFAULT_NETWORK") ? getenv("WARD_DEFAULT_NETWORK") : "ward0",
		},
	    .log_level = WLOG_NOTICE,
	    .argv0 = argv,
	    .envp = envp,
	};
	const struct cli_verb *verb;
	const char *base = strrchr(argv[0], '/');
	int c;

	/* the same binary as ward-oci speaks runc's command line */
	if (streq(base ? base + 1 : argv[0], "ward-oci"))
		return cli_oci_main(argc, argv, envp);

	/* the binary's own path, for processes that must run ward again
	 * (a started container's teardown); read before the CVE-2019-5736
	 * protection points /proc/self/exe elsewhere (a detached read-only
	 * mount, or a memfd), and kept across a re-execution */
	if (!getenv("WARD_EXE")) {
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0 && self[0] == '/') {
			self[n] = '\0';
			setenv("WARD_EXE", self, 1);
		}
	}
	if (getenv("WARD_LOG_LEVEL") && parse_log_level(getenv("WARD_LOG_LEVEL")) >= 0)
		g.log_level = parse_log_level(getenv("WARD_LOG_LEVEL"));
	/* "+": stop at the verb; its options are its own */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			g.ctx.root_dir = optarg;
			break;
		case 'l':
			g.ctx.lib_dir = optarg;
			break;
		case 'c':
			g.ctx.cgroup_parent = optarg;
			break;
		case 'L':
			g.log_level = parse_log_level(optarg);
			if (g.log_level < 0) {
				cli_errorf(NULL,
					   "--log-level: unknown level '%s' (error, warning, "
					   "notice, info, debug)",
					   optarg);
				return EXIT_WARD_FAILED;
			}
			break;
		case 'd':
			g.log_level = WLOG_DEBUG;
			break;
		case 'h':
			help_usage();
			return 0;
		case 'V':
			return cli_version(&g, 0, NULL);
		default:
			return EXIT_WARD_FAILED;
		}
	}
	ward_log_set_handler(log_handler, NULL, (enum ward_log_level)g.log_level);
	if (optind >= argc) {
		help_usage();
		return EXIT_WARD_FAILED;
	}
	if (g.ctx.root_dir[0] != '/' || g.ctx.lib_dir[0] != '/') {
		cli_errorf(NULL, "--root and --lib must be absolute paths");
		return EXIT_WARD_FAILED;
	}
	verb = find_verb(argv[optind]);
	if (!verb) {
		cli_errorf(NULL, "unknown verb '%s' (try `ward help`)", argv[optind]);
		return EXIT_WARD_FAILED;
	}
	argc -= optind;
	argv += optind;
	optind = 0; /* let the verb parse its own options from scratch */
	return verb->run(&g, argc, argv);
}
