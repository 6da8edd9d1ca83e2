/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cgroup v2 device program (runtime/devbpf.c), enforced by the kernel:
 * a cgroup2 cgroup below our own gets the program, a forked child moves
 * into it and opens device nodes; what the kernel lets through is compared
 * with the rules.  Works on a cgroup2-only host and on a hybrid one (the
 * program attaches to the cgroup2 hierarchy whatever the v1 side does).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/devbpf.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

#define RULE(a, t, maj, min, acc)                                                                  \
	{                                                                                          \
		.allow = (a), .type = (t), .major = (maj), .minor = (min), .access = acc           \
	}

/* our own cgroup2 directory, or NULL when there is no cgroup2 mount */
static char *own_cgroup2(void)
{
	_cleanup_free_ char *self = NULL, *mounts = NULL;
	char *mnt = NULL, *path = NULL, *line, *save = NULL;

	if (read_file("/proc/self/cgroup", &self, NULL) < 0 ||
	    read_file("/proc/self/mountinfo", &mounts, NULL) < 0)
		return NULL;
	for (line = strtok_r(self, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (startswith(line, "0::"))
			path = line + 3;
	save = NULL;
	for (line = strtok_r(mounts, "\n", &save); line && !mnt;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sep = strstr(line, " - cgroup2 ");
		char f[5][PATH_MAX / 4];
		if (sep && sscanf(line, "%s %s %s %s %s", f[0], f[1], f[2], f[3], f[4]) == 5)
			mnt = strdup(f[4]);
	}
	if (!mnt || !path)
		return free(mnt), NULL;
	line = xasprintf("%s%s", mnt, streq(path, "/") ? "" : path);
	free(mnt);
	return line;
}

/* In a child moved into DIR: each open's errno (0 for success) */
static void opens_in(const char *dir, const char *const *paths, const int *flags, int *got,
		     size_t n)
{
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		_cleanup_free_ char *procs = xasprintf("%s/cgroup.procs", dir);
		int res[16];
		if (!procs || write_file(procs, "0") < 0)
			_exit(2);
		for (size_t i = 0; i < n; i++) {
			int fd = open(paths[i], flags[i] | O_CLOEXEC);
			res[i] = fd < 0 ? errno : 0;
			if (fd >= 0)
				close(fd);
		}
		_exit(write(p[1], res, n * sizeof(int)) == (ssize_t)(n * sizeof(int)) ? 0 : 3);
	}
	close(p[1]);
	assert_int_equal(read(p[0], got, n * sizeof(int)), (ssize_t)(n * sizeof(int)));
	close(p[0]);
	{
		int st;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
}

static void test_kernel_enforces_the_rules(void **state)
{
	/* ward's shape: everything denied, then an allow-list; /dev/zero
	 * read-only; and a later deny taking /dev/full back */
	static const struct ward_device_rule rules[] = {
	    RULE(false, 'a', -1, -1, "rwm"), RULE(true, 'c', 1, 3, "rwm"),
	    RULE(true, 'c', 1, 5, "r"),      RULE(true, 'c', 1, 7, "rw"),
	    RULE(true, 'c', -1, -1, "m"),    RULE(false, 'c', 1, 7, "w"),
	};
	static const char *const paths[] = {"/dev/null", "/dev/zero", "/dev/zero",
					    "/dev/full", "/dev/full", "/dev/urandom"};
	static const int flags[] = {O_RDWR, O_RDONLY, O_WRONLY, O_RDONLY, O_WRONLY, O_RDONLY};
	static const int want[] = {0, 0, EPERM, 0, EPERM, EPERM};
	_cleanup_free_ char *own = own_cgroup2(), *dir = NULL;
	ward_err err = {0};
	int got[6];

	(void)state;
	if (!own)
		skip(); /* no cgroup2 hierarchy mounted */
	dir = xasprintf("%s/ward-devbpf-test-%d", own, (int)getpid());
	if (mkdir(dir, 0755) < 0) {
		print_message("cannot make a cgroup below %s (%m): skipped\n", own);
		skip();
	}
	if (devbpf_attach(dir, rules, ARRAY_SIZE(rules), &err) < 0) {
		rmdir(dir);
		/* EINVAL: a kernel without CONFIG_CGROUP_BPF; not the verifier
		 * refusing ward's program, which is a failure */
		if (err.code == EPERM || err.code == ENOSYS ||
		    (err.code == EINVAL && !strstr(err.msg, "refused"))) {
			print_message("no cgroup device programs here (%s): skipped\n", err.msg);
			skip();
		}
		fail_msg("%s", err.msg);
	}
	opens_in(dir, paths, flags, got, ARRAY_SIZE(paths));
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (got[i] != want[i]) {
			rmdir(dir);
			fail_msg("open %s (%s): errno %d, want %d", paths[i],
				 flags[i] == O_RDONLY   ? "r"
				 : flags[i] == O_WRONLY ? "w"
							: "rw",
				 got[i], want[i]);
		}
	/* an update replaces the program: now /dev/urandom is allowed (no
	 * access given: all of rwm, as on v1), and /dev/null no longer */
	{
		static const struct ward_device_rule upd[] = {RULE(true, 'c', 1, 9, "")};
		static const char *const p2[] = {"/dev/urandom", "/dev/null"};
		static const int f2[] = {O_RDWR, O_RDONLY};
		int g2[2];
		assert_int_equal(devbpf_attach(dir, upd, 1, &err), 0);
		opens_in(dir, p2, f2, g2, 2);
		assert_int_equal(g2[0], 0);
		assert_int_equal(g2[1], EPERM);
	}
	assert_int_equal(rmdir(dir), 0);
}

static void test_bad_rule_type(void **state)
{
	static const struct ward_device_rule rules[] = {RULE(true, 'x', -1, -1, "r")};
	struct bpf_insn *p = NULL;
	size_t n;

	(void)state;
	assert_int_equal(devbpf_build(rules, 1, &p, &n), -EINVAL);
	assert_null(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kernel_enforces_the_rules),
	    cmocka_unit_test(test_bad_rule_type),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
