/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/init.h"

_Noreturn void init_reaper(pid_t child)
{
	sigset_t all;
	int status = 0;
	bool child_done = false;

	/* nobody inside may read or trace this process: it runs ward's code */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Block everything and take signals with sigwaitinfo.  A blocked
	 * signal is queued even for a namespace's init, which would otherwise
	 * drop every signal it has no handler for. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (;;) {
		siginfo_t si;
		int sig;

		/* Reap first: the caller blocked signals before the fork, but a
		 * reaper that starts after the child exited must not wait for a
		 * SIGCHLD to learn it. */
		for (;;) {
			int st;
			pid_t p = waitpid(-1, &st, WNOHANG);
			if (p <= 0)
				break;
			if (p == child) {
				child_done = true;
				status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			}
		}
		if (child_done)
			_exit(status);
		sig = sigwaitinfo(&all, &si);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			_exit(125);
		}
		if (sig != SIGCHLD && sig != SIGKILL && sig != SIGSTOP)
			kill(child, sig);
	}
}
