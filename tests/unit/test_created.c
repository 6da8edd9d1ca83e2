/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The runtime's "created" state through its C API: container_create()
 * returns with the container process fully set up but not yet executing
 * its command; container_start() (same process) or container_release_fifo()
 * (any process) releases it.  Needs root (real namespaces and cgroups);
 * skipped otherwise.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/container.h"
#include "runtime/idmap.h"
#include "spec/options.h"
#include "util/fileutil.h"
#include "util/strutil.h"

struct fixture {
	char root[64];
	struct ward_ctx ctx;
	struct run_settings rs;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	ward_err err = {0};
	bool dflt;

	snprintf(f->root, sizeof(f->root), "/tmp/ward-test-created-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	chmod(f->root, 0711);
	f->ctx = (struct ward_ctx){.root_dir = f->root,
				   .lib_dir = f->root,
				   .cgroup_parent = "self",
				   .default_network = "none"};
	assert_int_equal(run_settings_init(&f->rs, &err), 0);
	assert_int_equal(run_option_apply(&f->rs, run_option_find("name"), "created-test", &err),
			 0);
	assert_int_equal(strv_push(&f->rs.spec->process.args, "/bin/sh"), 0);
	assert_int_equal(strv_push(&f->rs.spec->process.args, "-c"), 0);
	assert_int_equal(strv_push(&f->rs.spec->process.args, "exit 7"), 0);
	assert_int_equal(run_settings_finish(&f->rs, &err), 0);
	assert_int_equal(idmap_resolve_auto(f->rs.spec, "/etc/subuid", "/etc/subgid", &dflt, &err),
			 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	run_settings_clear(&f->rs);
	rm_rf(f->root);
	free(f);
	return 0;
}

/* The process exists, in the container, but still runs ward's code. */
static void assert_created(struct ward_container *c, const char *self_exe)
{
	char path[64], exe[PATH_MAX];
	ssize_t n;

	assert_true(c->created);
	assert_true(c->pid > 0);
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)c->pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_string_equal(exe, self_exe);
}

static void self_exe(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	assert_true(n > 0);
	buf[n] = '\0';
}

static void test_created_then_start(void **state)
{
	struct fixture *f = *state;
	struct ward_create_opts o = {.release = WARD_RELEASE_SYNC,
				     .kill_with_parent = true,
				     .write_state = true,
				     .stdio = {-1, -1, -1}};
	struct ward_container *c = NULL;
	struct ward_exit ex;
	ward_err err = {0};
	char me[PATH_MAX];

	self_exe(me, sizeof(me));
	assert_int_equal(container_create(&f->ctx, f->rs.spec, &o, &c, &err), 0);
	assert_created(c, me);
	/* it stays there: nothing runs until released */
	usleep(100000);
	assert_created(c, me);
	assert_int_equal(container_start(c, &err), 0);
	assert_int_equal(container_wait(c, &ex, &err), 0);
	assert_int_equal(ex.status, 7);
	assert_int_equal(container_destroy(c, &err), 0);
	container_free(c);
	assert_false(path_exists("/tmp/ward-test-created-never"));
}

static void test_created_released_by_another_process(void **state)
{
	struct fixture *f = *state;
	struct ward_create_opts o = {.release = WARD_RELEASE_FIFO,
				     .kill_with_parent = true,
				     .write_state = true,
				     .stdio = {-1, -1, -1}};
	struct ward_container *c = NULL;
	struct ward_exit ex;
	ward_err err = {0};
	char me[PATH_MAX], fifo[128];
	pid_t releaser;
	int st;

	self_exe(me, sizeof(me));
	assert_int_equal(container_create(&f->ctx, f->rs.spec, &o, &c, &err), 0);
	assert_created(c, me);
	snprintf(fifo, sizeof(fifo), "%s/created-test/exec.fifo", f->root);
	assert_true(path_exists(fifo));
	/* the state file says "created" before anyone releases it */
	{
		char sp[128], *text = NULL;
		snprintf(sp, sizeof(sp), "%s/created-test/state.json", f->root);
		assert_int_equal(read_file(sp, &text, NULL), 0);
		assert_non_null(strstr(text, "\"created\""));
		free(text);
	}
	releaser = fork();
	assert_true(releaser >= 0);
	if (releaser == 0) {
		ward_err e = {0};
		_exit(container_release_fifo(&f->ctx, "created-test", c->pid, c->pid_start, &e) == 0
			  ? 0
			  : 1);
	}
	assert_int_equal(waitpid(releaser, &st, 0), releaser);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(container_wait(c, &ex, &err), 0);
	assert_int_equal(ex.status, 7);
	assert_false(path_exists(fifo));
	assert_int_equal(container_destroy(c, &err), 0);
	container_free(c);
}

static void test_release_of_unknown_container(void **state)
{
	struct fixture *f = *state;
	ward_err err = {0};

	assert_int_equal(container_release_fifo(&f->ctx, "nosuch", 0, 0, &err), -ENOENT);
	assert_string_equal(err.msg, "container nosuch is not in the created state");
}

/* A container process that dies before anyone released it never opens its
 * end of the FIFO: the release sees it exit instead of blocking forever. */
static void test_release_of_dead_container(void **state)
{
	struct fixture *f = *state;
	struct ward_create_opts o = {.release = WARD_RELEASE_FIFO,
				     .kill_with_parent = true,
				     .write_state = true,
				     .stdio = {-1, -1, -1}};
	struct ward_container *c = NULL;
	ward_err err = {0};
	pid_t releaser;
	int st;

	assert_int_equal(container_create(&f->ctx, f->rs.spec, &o, &c, &err), 0);
	/* it may be blocked in its open of the FIFO already: kill it there */
	usleep(50000);
	assert_int_equal(container_signal(c, SIGKILL), 0);
	/* dead (a zombie, not reaped), not just signalled: else a release
	 * racing the signal may still open the FIFO with it */
	{
		siginfo_t si;
		assert_int_equal(waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOWAIT), 0);
	}
	releaser = fork();
	assert_true(releaser >= 0);
	if (releaser == 0) {
		ward_err e = {0};
		alarm(5); /* the bug: blocked in open() for ever */
		_exit(container_release_fifo(&f->ctx, "created-test", c->pid, c->pid_start, &e) ==
			      -ESRCH
			  ? 0
			  : 1);
	}
	assert_int_equal(waitpid(releaser, &st, 0), releaser);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* a pid that is not the container's (another start time): refused */
	assert_int_equal(container_release_fifo(&f->ctx, "created-test", getpid(), 1, &err),
			 -ESRCH);
	assert_int_equal(container_destroy(c, &err), 0);
	container_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_created_then_start, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_created_released_by_another_process, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_release_of_unknown_container, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release_of_dead_container, setup, teardown),
	};

	if (geteuid() != 0) {
		printf("skipped: needs root (real namespaces and cgroups)\n");
		return 77;
	}
	/* forwarded signals are not used here; keep defaults */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
