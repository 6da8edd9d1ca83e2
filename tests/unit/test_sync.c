/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parent/child handshake (src/runtime/sync.h) over a real socketpair:
 * message round trips, errors with their step, errno and text, an fd
 * passed along, EOF once the other end is gone, and sync_expect() turning
 * whatever arrives into the ward_err the CLI prints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/container.h"
#include "runtime/sync.h"
#include "util/cleanup.h"
#include "util/strutil.h"

static int pair_setup(void **state)
{
	int *fds = malloc(2 * sizeof(int));

	if (!fds || sync_pair(fds) < 0)
		return -1;
	*state = fds;
	return 0;
}

static int pair_teardown(void **state)
{
	int *fds = *state;

	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	free(fds);
	return 0;
}

static int count_fds(void)
{
	_cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	return n;
}

/* ------------------------------------------------------------------ */

static void test_pair(void **state)
{
	int *fds = *state;
	int type = 0;
	socklen_t len = sizeof(type);

	assert_int_equal(getsockopt(fds[0], SOL_SOCKET, SO_TYPE, &type, &len), 0);
	assert_int_equal(type, SOCK_SEQPACKET);
	assert_true(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(fds[1], F_GETFD) & FD_CLOEXEC);
}

static void test_round_trip(void **state)
{
	int *fds = *state;
	static const enum sync_type types[] = {SYNC_IDMAP_DONE, SYNC_START, SYNC_READY};
	struct sync_msg m;
	int passfd = 7;

	/* one message per send, in order, both ways */
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		assert_int_equal(sync_send(fds[0], types[i]), 0);
	assert_int_equal(sync_send(fds[1], SYNC_READY), 0);
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		memset(&m, 0x55, sizeof(m));
		assert_int_equal(sync_recv(fds[1], &m, &passfd), 1);
		assert_int_equal(m.type, types[i]);
		assert_int_equal(m.step, 0);
		assert_int_equal(m.errnum, 0);
		assert_string_equal(m.msg, "");
		assert_int_equal(passfd, -1);
	}
	assert_int_equal(sync_recv(fds[0], &m, NULL), 1);
	assert_int_equal(m.type, SYNC_READY);
}

static void test_error_message(void **state)
{
	int *fds = *state;
	struct sync_msg m;
	char longmsg[1000];

	assert_int_equal(
	    sync_send_error(fds[1], STEP_MOUNTS, EACCES, "mount /usr read-only: Permission denied"),
	    0);
	assert_int_equal(sync_recv(fds[0], &m, NULL), 1);
	assert_int_equal(m.type, SYNC_ERROR);
	assert_int_equal(m.step, STEP_MOUNTS);
	assert_int_equal(m.errnum, EACCES);
	assert_string_equal(m.msg, "mount /usr read-only: Permission denied");

	/* no message: the step and errno make one */
	assert_int_equal(sync_send_error(fds[1], STEP_PIVOT, EINVAL, NULL), 0);
	assert_int_equal(sync_recv(fds[0], &m, NULL), 1);
	assert_int_equal(m.step, STEP_PIVOT);
	assert_int_equal(m.errnum, EINVAL);
	assert_string_equal(m.msg, "pivot_root: Invalid argument");

	/* a long message is cut, still terminated */
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	assert_int_equal(sync_send_error(fds[1], STEP_EXEC, ENOENT, longmsg), 0);
	assert_int_equal(sync_recv(fds[0], &m, NULL), 1);
	assert_int_equal(strlen(m.msg), sizeof(m.msg) - 1);
	assert_int_equal(strspn(m.msg, "x"), sizeof(m.msg) - 1);
}

/* The child fails and exits with a message of ours unread (the v1 cgroup
 * fds, sent while it builds its filesystem): the kernel reports ECONNRESET
 * first, and the child's error must still come through. */
static void test_error_after_unread_message(void **state)
{
	int *fds = *state;
	struct sync_msg m;

	assert_int_equal(sync_send(fds[0], SYNC_START), 0); /* never read */
	assert_int_equal(
	    sync_send_error(fds[1], STEP_MOUNTS, EACCES,
			    "mount /etc/resolv.conf: create mount point: Permission denied"),
	    0);
	close(fds[1]);
	fds[1] = -1;
	assert_int_equal(sync_recv(fds[0], &m, NULL), 1);
	assert_int_equal(m.type, SYNC_ERROR);
	assert_string_equal(m.msg, "mount /etc/resolv.conf: create mount point: Permission denied");
	assert_int_equal(sync_recv(fds[0], &m, NULL), 0); /* then EOF */
}

static void test_pass_fd(void **state)
{
	int *fds = *state;
	int p[2], passfd = -1, before;
	struct stat a, b;
	struct sync_msg m;
	char buf[8] = "";

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(sync_send_fd(fds[1], SYNC_PTY, p[0]), 0);
	assert_int_equal(sync_recv(fds[0], &m, &passfd), 1);
	assert_int_equal(m.type, SYNC_PTY);
	assert_true(passfd >= 0);
	assert_int_not_equal(passfd, p[0]);
	/* the same open file, close-on-exec on arrival */
	assert_int_equal(fstat(passfd, &a), 0);
	assert_int_equal(fstat(p[0], &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	assert_true(fcntl(passfd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(write(p[1], "hi", 2), 2);
	assert_int_equal(read(passfd, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "hi", 2);
	close(passfd);

	/* an fd nobody asked for is closed, not leaked */
	before = count_fds();
	assert_int_equal(sync_send_fd(fds[1], SYNC_PTY, p[0]), 0);
	assert_int_equal(sync_recv(fds[0], &m, NULL), 1);
	assert_int_equal(m.type, SYNC_PTY);
	assert_int_equal(count_fds(), before);

	/* sync_send_fd with -1 is a plain message */
	assert_int_equal(sync_send_fd(fds[1], SYNC_READY, -1), 0);
	passfd = 7;
	assert_int_equal(sync_recv(fds[0], &m, &passfd), 1);
	assert_int_equal(passfd, -1);
	close(p[0]);
	close(p[1]);
}

static void test_eof(void **state)
{
	int *fds = *state;
	struct sync_msg m;

	/* what was sent before the close still arrives, then EOF */
	assert_int_equal(sync_send(fds[1], SYNC_READY), 0);
	close(fds[1]);
	fds[1] = -1;
	assert_int_equal(sync_recv(fds[0], &m, NULL), 1);
	assert_int_equal(m.type, SYNC_READY);
	assert_int_equal(sync_recv(fds[0], &m, NULL), 0);
	assert_int_equal(sync_recv(fds[0], &m, NULL), 0);
	/* sending to a closed peer fails, without SIGPIPE */
	assert_int_equal(sync_send(fds[0], SYNC_START), -EPIPE);
	/* a bad descriptor is an error, not EOF */
	assert_int_equal(sync_recv(-1, &m, NULL), -EBADF);
}

static void test_expect(void **state)
{
	int *fds = *state;
	struct sync_msg m;
	ward_err err = {0};

	assert_int_equal(sync_send(fds[1], SYNC_READY), 0);
	assert_int_equal(sync_expect(fds[0], SYNC_READY, &m, &err), 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(m.type, SYNC_READY);

	/* an ERROR message becomes the error, with its errno */
	assert_int_equal(
	    sync_send_error(fds[1], STEP_CAPS, EPERM, "capabilities: drop CAP_X: nope"), 0);
	assert_int_equal(sync_expect(fds[0], SYNC_READY, &m, &err), -EPERM);
	assert_int_equal(err.code, EPERM);
	assert_string_equal(err.msg, "capabilities: drop CAP_X: nope");
	assert_int_equal(m.step, STEP_CAPS);

	/* without an errno it is still an error */
	werr_clear(&err);
	assert_int_equal(sync_send_error(fds[1], STEP_USER, 0, "user: no such user"), 0);
	assert_int_equal(sync_expect(fds[0], SYNC_READY, &m, &err), -EIO);
	assert_string_equal(err.msg, "user: no such user");

	/* the wrong message */
	werr_clear(&err);
	assert_int_equal(sync_send(fds[1], SYNC_START), 0);
	assert_int_equal(sync_expect(fds[0], SYNC_READY, &m, &err), -EPROTO);
	assert_string_equal(err.msg, "sync: unexpected message 2 (wanted 3)");

	/* EOF during setup */
	werr_clear(&err);
	close(fds[1]);
	fds[1] = -1;
	assert_int_equal(sync_expect(fds[0], SYNC_READY, &m, &err), -EPIPE);
	assert_int_equal(err.code, EPIPE);
	assert_string_equal(err.msg, "container process exited during setup");

	/* a failed receive */
	werr_clear(&err);
	assert_int_equal(sync_expect(-1, SYNC_READY, &m, &err), -EBADF);
	assert_string_equal(err.msg, "sync with container process: Bad file descriptor");
}

/* The way the runtime uses it: a child reports a failed step and exits. */
static void test_child_reports(void **state)
{
	int *fds = *state;
	struct sync_msg m;
	ward_err err = {0};
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (sync_send(fds[1], SYNC_READY) < 0 ||
		    sync_expect(fds[1], SYNC_START, &m, &err) < 0)
			_exit(1);
		sync_send_error(fds[1], STEP_EXEC, ENOENT, NULL);
		_exit(0);
	}
	close(fds[1]);
	fds[1] = -1;
	assert_int_equal(sync_expect(fds[0], SYNC_READY, &m, &err), 0);
	assert_int_equal(sync_send(fds[0], SYNC_START), 0);
	assert_int_equal(sync_expect(fds[0], SYNC_READY, &m, &err), -ENOENT);
	assert_string_equal(err.msg, "exec: No such file or directory");
	assert_int_equal(m.step, STEP_EXEC);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(sync_recv(fds[0], &m, NULL), 0);
}

static void test_step_names(void **state)
{
	for (int s = STEP_NONE; s < STEP__MAX; s++) {
		const char *n = step_name((enum ward_step)s);

		assert_non_null(n);
		if (!*n)
			fail_msg("step %d has an empty name", s);
		/* each step is told apart in messages */
		for (int t = STEP_NONE; t < s; t++)
			if (streq(n, step_name((enum ward_step)t)))
				fail_msg("steps %d and %d are both \"%s\"", t, s, n);
	}
	assert_string_equal(step_name(STEP_NONE), "start");
	assert_string_equal(step_name(STEP_MOUNTS), "mount");
	assert_string_equal(step_name(STEP_SECCOMP), "seccomp");
	/* out of range: the generic name */
	assert_string_equal(step_name(STEP__MAX), "start");
	assert_string_equal(step_name((enum ward_step) - 1), "start");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, pair_setup, pair_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_pair),
	    T(test_round_trip),
	    T(test_error_message),
	    T(test_pass_fd),
	    T(test_eof),
	    T(test_expect),
	    T(test_child_reports),
	    T(test_error_after_unread_message),
	    cmocka_unit_test(test_step_names),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
