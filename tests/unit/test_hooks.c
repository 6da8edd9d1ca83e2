/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * OCI hooks without a container (runtime/hooks.c): the state document,
 * what a hook gets (stdin, argv, env and nothing else), how a failure,
 * a signal and a timeout are reported.  The hooks are /bin/sh scripts.
 */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/hooks.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/ward-test-hooks-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	rm_rf(dir);
	return 0;
}

/* A hook running `sh -c SCRIPT` with ENV (NULL-terminated, may be NULL). */
static struct ward_hook sh_hook(const char *script, char **env, int timeout)
{
	struct ward_hook h = {.path = (char *)"/bin/sh", .env = env, .timeout = timeout};

	assert_int_equal(strv_push(&h.args, "sh"), 0);
	assert_int_equal(strv_push(&h.args, "-c"), 0);
	assert_int_equal(strv_push(&h.args, script), 0);
	return h;
}

static char *slurp(const char *name)
{
	char path[128], *text = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(read_file(path, &text, NULL), 0);
	return text;
}

static void test_state_document(void **state)
{
	struct ward_spec s = {.bundle = (char *)"/b"};
	struct ward_kv ann[] = {{(char *)"k", (char *)"v"}, {(char *)"x.y", (char *)""}};
	char *text = NULL;
	ward_err err = {0};
	json_t *o;

	assert_int_equal(hooks_state_json(&s, "c1", "created", 42, &text, &err), 0);
	o = json_loads(text, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "ociVersion")),
			    WARD_OCI_STATE_VERSION);
	assert_string_equal(json_string_value(json_object_get(o, "id")), "c1");
	assert_string_equal(json_string_value(json_object_get(o, "status")), "created");
	assert_int_equal(json_integer_value(json_object_get(o, "pid")), 42);
	assert_string_equal(json_string_value(json_object_get(o, "bundle")), "/b");
	assert_null(json_object_get(o, "annotations"));
	json_decref(o);
	free(text);

	/* stopped: no pid; annotations when there are some */
	s.annotations = ann;
	s.n_annotations = 2;
	assert_int_equal(hooks_state_json(&s, "c1", "stopped", 0, &text, &err), 0);
	o = json_loads(text, 0, NULL);
	assert_null(json_object_get(o, "pid"));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(o, "annotations"), "x.y")), "");
	json_decref(o);
	free(text);
}

static void test_hook_gets_state_args_and_env_only(void **state)
{
	char script[256], *env[] = {(char *)"ONLY=this", NULL}, *out;
	struct ward_hook h[2];
	ward_err err = {0};

	snprintf(script, sizeof(script), "cat > %s/in; env > %s/env; echo \"$0\" > %s/argv0", dir,
		 dir, dir);
	h[0] = sh_hook(script, env, 0);
	/* the second reads the state from its start again */
	snprintf(script, sizeof(script), "cat > %s/in2", dir);
	h[1] = sh_hook(script, NULL, 0);
	assert_int_equal(hooks_run(h, 2, "{\"id\":\"x\"}", &err), 0);
	out = slurp("in");
	assert_string_equal(out, "{\"id\":\"x\"}");
	free(out);
	out = slurp("in2");
	assert_string_equal(out, "{\"id\":\"x\"}");
	free(out);
	out = slurp("env");
	assert_non_null(strstr(out, "ONLY=this\n"));
	assert_null(strstr(out, "\nPATH=")); /* nothing of ours, PATH included */
	assert_false(startswith(out, "PATH="));
	free(out);
	out = slurp("argv0");
	assert_string_equal(out, "sh\n");
	free(out);
	strv_free(h[0].args);
	strv_free(h[1].args);
}

static void test_failure_stops_the_list(void **state)
{
	char script[256];
	struct ward_hook h[2];
	ward_err err = {0};

	h[0] = sh_hook("echo first line; echo 'it broke' >&2; exit 3", NULL, 0);
	snprintf(script, sizeof(script), "touch %s/second", dir);
	h[1] = sh_hook(script, NULL, 0);
	assert_int_equal(hooks_run(h, 2, "{}", &err), -ECANCELED);
	assert_string_equal(err.msg, "hook /bin/sh: exited with status 3: it broke");
	assert_false(path_exists(script + strlen("touch ")));
	/* warnings: every hook runs, failures are counted */
	assert_int_equal(hooks_run_warn(h, 2, "{}", "poststop"), 1);
	assert_true(path_exists(script + strlen("touch ")));
	strv_free(h[0].args);
	strv_free(h[1].args);
}

static void test_signal_and_timeout(void **state)
{
	struct ward_hook h = sh_hook("kill -9 $$", NULL, 0);
	ward_err err = {0};
	struct timespec a, b;

	assert_int_equal(hooks_run(&h, 1, "{}", &err), -ECANCELED);
	assert_string_equal(err.msg, "hook /bin/sh: killed by signal 9");
	strv_free(h.args);

	/* a child that keeps the output pipe open does not hold us up */
	h = sh_hook("sleep 3 & sleep 30", NULL, 1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(hooks_run(&h, 1, "{}", &err), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_string_equal(err.msg, "hook /bin/sh: timed out after 1 s");
	assert_true(b.tv_sec - a.tv_sec < 5);
	strv_free(h.args);
}

static void test_not_runnable(void **state)
{
	struct ward_hook h = {.path = (char *)"/nonexistent/hook"};
	struct ward_hook rel = {.path = (char *)"bin/true"};
	ward_err err = {0};

	assert_int_equal(hooks_run(&h, 1, "{}", &err), -ECANCELED);
	assert_string_equal(err.msg, "hook /nonexistent/hook: exited with status 127: exec "
				     "/nonexistent/hook: No such file or directory");
	assert_int_equal(hooks_run(&rel, 1, "{}", &err), -EINVAL);
	assert_string_equal(err.msg, "hook bin/true: not an absolute path");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_state_document),
	    cmocka_unit_test_setup_teardown(test_hook_gets_state_args_and_env_only, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_failure_stops_the_list, setup, teardown),
	    cmocka_unit_test(test_signal_and_timeout),
	    cmocka_unit_test(test_not_runnable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
