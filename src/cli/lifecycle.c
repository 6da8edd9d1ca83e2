/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ward start|stop|kill|console|__teardown: containers that outlive the command */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config.h"
#include "manage/manage.h"
#include "runtime/enter.h"
#include "runtime/selfexe.h"
#include "runtime/state.h"
#include "runtime/tty.h"
#include "spec/options.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

/* ward-monitor next to the ward binary in a build tree, else installed. */
static char *monitor_path(void)
{
	const char *env = getenv("WARD_MONITOR");
	const char *exe = getenv("WARD_EXE");
	char *p;

	if (env)
		return strdup(env);
	if (exe) {
		_cleanup_free_ char *dir = strdup(exe);
		char *slash = dir ? strrchr(dir, '/') : NULL;
		if (slash) {
			*slash = '\0';
			p = xasprintf("%s/../monitor/ward-monitor", dir);
			if (p && access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return xasprintf("%s/ward/ward-monitor", WARD_LIBEXECDIR);
}

/* Usage errors print one line; --help prints the page. */
static int usage(const char *verb, const char *line)
{
	cli_errorf(NULL, "%s: usage: %s", verb, line);
	return EXIT_WARD_FAILED;
}

static bool wants_help(int argc, char **argv, const char *verb)
{
	for (int i = 1; i < argc; i++) {
		if (streq(argv[i], "--"))
			break;
		if (streq(argv[i], "--help") || streq(argv[i], "-h")) {
			fputs(help_page(verb) ?: "", stdout);
			return true;
		}
	}
	return false;
}

int cli_start(struct cli_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"foreground", no_argument, NULL, 'F'},
	    {NULL, 0, NULL, 0},
	};
	struct run_settings rs;
	struct manage_start_opts mo = {0};
	_cleanup_free_ char *mon = NULL;
	_cleanup_close_ int lock = -1;
	bool foreground = false;
	ward_err err = {0};
	int c, r;

	if (wants_help(argc, argv, "start"))
		return 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "F", opts, NULL)) != -1) {
		if (c != 'F')
			return usage("start", "ward start NAME [-F|--foreground]");
		foreground = true;
	}
	if (optind != argc - 1)
		return usage("start", "ward start NAME [-F|--foreground]");
	if (foreground)
		return cli_run_stored(g, argv[optind]);
	lock = manage_lock(&g->ctx, argv[optind], &err);
	if (lock < 0) {
		cli_error(argv[optind], &err);
		return EXIT_WARD_FAILED;
	}
	if (state_is_alive(&g->ctx, argv[optind])) {
		cli_notice("%s: already running", argv[optind]);
		return 0;
	}
	r = cli_load_stored(g, argv[optind], &rs, &err);
	if (r < 0) {
		cli_error(argv[optind], &err);
		return EXIT_WARD_FAILED;
	}
	mon = monitor_path();
	mo.ward_exe = getenv("WARD_EXE");
	mo.monitor_exe = mon;
	if (!mo.ward_exe || !mon) {
		cli_errorf(argv[optind], "cannot find the ward binary or ward-monitor");
		run_settings_clear(&rs);
		return EXIT_WARD_FAILED;
	}
	r = manage_start(&g->ctx, rs.spec, &mo, &err);
	run_settings_clear(&rs);
	if (r == -EALREADY) {
		cli_notice("%s: already running", argv[optind]);
		return 0;
	}
	if (r < 0) {
		cli_error(argv[optind], &err);
		return r == -126 || r == -127 ? -r : EXIT_WARD_FAILED;
	}
	return 0;
}

int cli_stop(struct cli_globals *g, int argc, char **argv)
{
	_cleanup_close_ int lock = -1;
	ward_err err = {0};
	int timeout = 10, c;

	if (wants_help(argc, argv, "stop"))
		return 0;
	opterr = 0;
	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c != 't' || parse_int(optarg, &timeout) < 0 || timeout < 0 || timeout > 86400) {
			if (c == 't') {
				cli_errorf("-t", "'%s' is not a number of seconds (0 to 86400)",
					   optarg);
				return EXIT_WARD_FAILED;
			}
			return usage("stop", "ward stop NAME [-t SECONDS]");
		}
	}
	if (optind != argc - 1)
		return usage("stop", "ward stop NAME [-t SECONDS]");
	lock = manage_lock(&g->ctx, argv[optind], &err);
	if (lock < 0 || manage_stop(&g->ctx, argv[optind], 0, timeout, &err) < 0) {
		if (err.code == ESRCH) {
			cli_notice("%s: not running", argv[optind]);
			return 0;
		}
		cli_error(argv[optind], &err);
		return EXIT_WARD_FAILED;
	}
	return 0;
}

int cli_kill(struct cli_globals *g, int argc, char **argv)
{
	ward_err err = {0};
	int sig = SIGKILL;

	if (wants_help(argc, argv, "kill"))
		return 0;
	if (argc < 2 || argc > 3)
		return usage("kill", "ward kill NAME [SIGNAL]");
	if (argc == 3 && parse_signal(argv[2], &sig) < 0) {
		cli_errorf(NULL, "kill: unknown signal '%s'", argv[2]);
		return EXIT_WARD_FAILED;
	}
	if (manage_signal(&g->ctx, argv[1], sig, &err) < 0) {
		cli_error(argv[1], &err);
		return EXIT_WARD_FAILED;
	}
	return 0;
}

int cli_teardown(struct cli_globals *g, int argc, char **argv)
{
	ward_err err = {0};

	if (argc != 3)
		return usage("__teardown", "ward __teardown NAME STATUS (run by ward-monitor)");
	if (manage_teardown(&g->ctx, argv[1], argv[2], &err) < 0) {
		cli_error(argv[1], &err);
		return EXIT_WARD_FAILED;
	}
	return 0;
}

/* ---- console ---- */

#define DETACH_PREFIX 0x01 /* Ctrl-a, then q */

static void send_winsize(int sock)
{
	struct winsize ws;
	char msg[1 + sizeof(ws)];

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
		return;
	msg[0] = 'w';
	memcpy(msg + 1, &ws, sizeof(ws));
	send(sock, msg, sizeof(msg), MSG_NOSIGNAL);
}

int cli_console(struct cli_globals *g, int argc, char **argv)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dfd = -1, sock = -1, sfd = -1;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	bool raw, prefix = false, tty = isatty(STDIN_FILENO);
	sigset_t winch;

	if (wants_help(argc, argv, "console"))
		return 0;
	if (argc != 2)
		return usage("console", "ward console NAME");
	dir = xasprintf("%s/%s", g->ctx.root_dir, argv[1]);
	dfd = dir ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/console.sock", dfd);
	if (dfd < 0 || sock < 0 || !state_is_alive(&g->ctx, argv[1]) ||
	    connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		cli_errorf(argv[1], "no console: not running, or not started by `ward start`");
		return EXIT_WARD_FAILED;
	}
	if (tty)
		fprintf(stderr, "ward: connected to %s's console; Ctrl-a q detaches\r\n", argv[1]);
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, NULL);
	sfd = signalfd(-1, &winch, SFD_CLOEXEC);
	raw = tty_raw_enter(STDIN_FILENO);
	send_winsize(sock);
	for (bool in_open = true;;) {
		struct pollfd p[3] = {{.fd = sock, .events = POLLIN},
				      {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
				      {.fd = sfd, .events = POLLIN}};
		char buf[4097];
		ssize_t n;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) > 0)
				send_winsize(sock);
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(sock, buf, sizeof(buf), 0);
			if (n <= 0)
				break; /* the container is gone */
			if (buf[0] == 'd' && write_all(STDOUT_FILENO, buf + 1, (size_t)n - 1) < 0)
				break;
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			char out[4097];
			size_t o = 1;
			bool detach = false;
			n = read(STDIN_FILENO, buf, sizeof(buf) - 1);
			if (n <= 0) {
				in_open = false;
				continue;
			}
			out[0] = 'd';
			for (ssize_t i = 0; i < n; i++) {
				if (tty && prefix) {
					prefix = false;
					if (buf[i] == 'q') {
						detach = true;
						break;
					}
					if (buf[i] != DETACH_PREFIX)
						out[o++] = DETACH_PREFIX;
				} else if (tty && buf[i] == DETACH_PREFIX) {
					prefix = true;
					continue;
				}
				out[o++] = buf[i];
			}
			if (o > 1 && send(sock, out, o, MSG_NOSIGNAL) < 0)
				break;
			if (detach)
				break;
		}
	}
	if (raw)
		tty_raw_leave(STDIN_FILENO);
	if (tty)
		fprintf(stderr, "\r\nward: detached from %s\n", argv[1]);
	return 0;
}

int cli_attach(struct cli_globals *g, int argc, char **argv)
{
	struct run_settings rs;
	struct manage_state st;
	struct enter_opts eo = {0};
	_cleanup_close_ int pidfd = -1;
	ward_err err = {0};
	int r;

	if (argc >= 2 && (streq(argv[1], "--help") || streq(argv[1], "-h"))) {
		fputs(help_page("attach") ?: "", stdout);
		return 0;
	}
	if (argc < 2 || (argc > 2 && !streq(argv[2], "--")))
		return usage("attach", "ward attach NAME [-- COMMAND [ARG...]]");
	pidfd = manage_pidfd(&g->ctx, argv[1], &st, &err);
	if (pidfd < 0 || cli_load_stored(g, argv[1], &rs, &err) < 0) {
		cli_error(argv[1], &err);
		return EXIT_WARD_FAILED;
	}
	if (!rs.spec->ns[WNS_USER].enabled) {
		/* the joiner is a copy of us until it execs, in a container
		 * whose root is host root (CVE-2019-5736, see selfexe.c) */
		r = selfexe_ensure_sealed(g->argv0, g->envp);
		if (r < 0) {
			werr(&err, -r, "protect the ward binary (CVE-2019-5736)");
			cli_error(argv[1], &err);
			run_settings_clear(&rs);
			return EXIT_WARD_FAILED;
		}
	}
	eo.ctx = &g->ctx;
	eo.name = argv[1];
	eo.spec = rs.spec;
	eo.pidfd = pidfd;
	eo.pid = st.pid;
	eo.argv = argc > 3 ? argv + 3 : NULL;
	eo.tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	r = container_enter(&eo, &err);
	run_settings_clear(&rs);
	if (r < 0) {
		cli_error(argv[1], &err);
		return EXIT_WARD_FAILED;
	}
	return r;
}
