/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How ward reads the host's cgroup layout, without touching any cgroup:
 * the controller list of a v1 mount, the join of a mount and a cgroup path,
 * the v1/v2 weight scales, and cg_system_detect_from() on mountinfo and
 * /proc/self/cgroup files recorded from real hosts (tests/unit/fixtures/
 * cgroup/: this machine's hybrid layout, pure v2, plain v1, a container's
 * view of v1, no cgroups at all, escaped mount points, SELinux labels).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup.h"
#include "util/cleanup.h"
#include "util/strutil.h"

#define KNOWN_BUG(what)                                                                            \
	do {                                                                                       \
		if (!getenv("WARD_TEST_KNOWN_BUGS")) {                                             \
			print_message("known bug, skipped: %s\n", what);                           \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

/* ------------------------------------------------------------------ */
/* helpers */

static const char *fixture_dir(void)
{
	const char *d = getenv("WARD_TEST_FIXTURES");

	return d && *d ? d : WARD_TEST_FIXTURES;
}

/* Detect from fixtures/cgroup/NAME.mountinfo and NAME.cgroup. */
static int detect(const char *name, struct cg_system *sys, ward_err *err)
{
	char mi[4096], cg[4096];

	snprintf(mi, sizeof(mi), "%s/cgroup/%s.mountinfo", fixture_dir(), name);
	snprintf(cg, sizeof(cg), "%s/cgroup/%s.cgroup", fixture_dir(), name);
	return cg_system_detect_from(sys, mi, cg, false, err);
}

static void detect_ok(const char *name, struct cg_system *sys)
{
	ward_err err = {0};

	if (detect(name, sys, &err) != 0)
		fail_msg("%s: %s", name, err.msg);
}

static const struct cg_hier *hier(const struct cg_system *sys, const char *controllers)
{
	for (size_t i = 0; i < sys->n_v1; i++)
		if (streq(sys->v1[i].controllers, controllers))
			return &sys->v1[i];
	fail_msg("no v1 hierarchy \"%s\"", controllers);
	return NULL;
}

static void assert_hier(const struct cg_system *sys, size_t idx, const char *controllers,
			const char *mountpoint, const char *mount_root, const char *self_path)
{
	const struct cg_hier *h;

	assert_true(idx < sys->n_v1);
	h = &sys->v1[idx];
	assert_string_equal(h->controllers, controllers);
	assert_string_equal(h->mountpoint, mountpoint);
	assert_string_equal(h->mount_root, mount_root);
	assert_non_null(h->self_path);
	assert_string_equal(h->self_path, self_path);
	/* nothing is created or opened by detection */
	assert_null(h->dir);
	assert_int_equal(h->tasks_fd, -1);
	assert_false(h->wanted);
	assert_false(h->created);
}

/* ------------------------------------------------------------------ */
/* controllers_from_superopts */

static void test_controllers_from_superopts(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"rw,cpu,cpuacct", "cpu,cpuacct"},
	    {"rw,cpuacct,cpu", "cpu,cpuacct"},
	    {"rw,xattr,name=systemd", "name=systemd"},
	    {"rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd",
	     "name=systemd"},
	    {"rw,cpuset,clone_children", "cpuset"},
	    {"rw,noprefix,cpuset_v2_mode,cpuset", "cpuset"},
	    {"rw,net_cls,net_prio", "net_cls,net_prio"},
	    {"rw,net_prio,net_cls", "net_cls,net_prio"},
	    {"ro,memory", "memory"},
	    {"rw,memory,favordynmods", "memory"},
	    {"rw,pids", "pids"},
	    {"rw", ""},
	    {"rw,none,name=ward", "name=ward"},
	    /* cgroup2's own super options name no controller */
	    {"rw,nsdelegate,memory_recursiveprot,memory_localevents", ""},
	    {"rw,blkio,devices,freezer", "blkio,devices,freezer"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *c = controllers_from_superopts(cases[i].in);

		assert_non_null(c);
		if (!streq(c, cases[i].out))
			fail_msg("controllers_from_superopts(\"%s\") = \"%s\", want \"%s\"",
				 cases[i].in, c, cases[i].out);
	}
}

/* The kernel appends the LSM's mount options to the super options
 * (show_sb_opts(): "seclabel" under SELinux, also sync/dirsync/lazytime),
 * as on every RHEL/CentOS 7 host: they are not controllers. */
static void test_controllers_lsm_options(void **state)
{
	struct cg_system sys;
	char got[64];
	char *c;

	c = controllers_from_superopts("rw,seclabel,cpuacct,cpu");
	assert_non_null(c);
	snprintf(got, sizeof(got), "%s", c);
	free(c);
	assert_string_equal(got, "cpu,cpuacct");

	/* and so the self paths of an SELinux v1 host are found */
	detect_ok("selinux", &sys);
	assert_int_equal(sys.layout, CG_LAYOUT_V1);
	assert_int_equal(sys.n_v1, 3);
	assert_string_equal(hier(&sys, "memory")->self_path, "/user.slice");
	assert_string_equal(hier(&sys, "cpu,cpuacct")->self_path, "/user.slice");
	assert_string_equal(hier(&sys, "name=systemd")->self_path,
			    "/user.slice/user-1000.slice/session-1.scope");
	cg_system_clear(&sys);
}

/* ------------------------------------------------------------------ */
/* cg_join_path */

static void test_join_path(void **state)
{
	static const struct {
		const char *mp, *root, *rel, *out;
	} cases[] = {
	    {"/sys/fs/cgroup/memory", "/", "/a/b", "/sys/fs/cgroup/memory/a/b"},
	    {"/sys/fs/cgroup/memory", "/", "/", "/sys/fs/cgroup/memory"},
	    {"/sys/fs/cgroup/memory", "/", "", "/sys/fs/cgroup/memory"},
	    {"/sys/fs/cgroup/memory", "/", "a/b", "/sys/fs/cgroup/memory/a/b"},
	    {"/sys/fs/cgroup/memory", "/", "//a", "/sys/fs/cgroup/memory/a"},
	    /* a hierarchy mounted from a sub-cgroup (inside a container) */
	    {"/sys/fs/cgroup/memory", "/docker/xyz", "/docker/xyz/c", "/sys/fs/cgroup/memory/c"},
	    {"/sys/fs/cgroup/memory", "/docker/xyz", "/docker/xyz", "/sys/fs/cgroup/memory"},
	    {"/sys/fs/cgroup/memory", "/docker/xyz", "/docker/xyz/", "/sys/fs/cgroup/memory"},
	    /* only a whole-component prefix is the mount root */
	    {"/sys/fs/cgroup/memory", "/docker/xyz", "/docker/xyzzy/c",
	     "/sys/fs/cgroup/memory/docker/xyzzy/c"},
	    /* a path outside the mount root is taken as relative to the mount */
	    {"/sys/fs/cgroup/memory", "/docker/xyz", "/ward/c", "/sys/fs/cgroup/memory/ward/c"},
	    {"/sys/fs/cgroup", "/", "/user.slice/x.scope", "/sys/fs/cgroup/user.slice/x.scope"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *p = cg_join_path(cases[i].mp, cases[i].root, cases[i].rel);

		assert_non_null(p);
		if (!streq(p, cases[i].out))
			fail_msg("cg_join_path(\"%s\", \"%s\", \"%s\") = \"%s\", want \"%s\"",
				 cases[i].mp, cases[i].root, cases[i].rel, p, cases[i].out);
	}
}

/* ------------------------------------------------------------------ */
/* weights */

static void test_weight_bounds(void **state)
{
	assert_int_equal(cg_shares_to_weight(2), 1);
	assert_int_equal(cg_shares_to_weight(262144), 10000);
	assert_int_equal(cg_weight_to_shares(1), 2);
	assert_int_equal(cg_weight_to_shares(10000), 262144);
	/* unset (0 or negative) means the other scale's default */
	assert_int_equal(cg_shares_to_weight(0), 100);
	assert_int_equal(cg_weight_to_shares(0), 1024);

	/* monotonic, and inside the other scale, over the whole range */
	for (int64_t s = 2, prev = 0; s <= 262144; s += 97) {
		int64_t w = cg_shares_to_weight(s);

		assert_true(w >= 1 && w <= 10000);
		assert_true(w >= prev);
		prev = w;
	}
	for (int64_t w = 1, prev = 0; w <= 10000; w++) {
		int64_t s = cg_weight_to_shares(w);

		assert_true(s >= 2 && s <= 262144);
		assert_true(s > prev);
		prev = s;
	}
}

/* cgroup.c: "both map their defaults (1024 and 100) onto each other" */
static void test_weight_defaults(void **state)
{
	assert_int_equal(cg_shares_to_weight(1024), 100);
	assert_int_equal(cg_weight_to_shares(100), 1024);
}

/* ------------------------------------------------------------------ */
/* cg_system_detect_from */

/* this machine: v1 controllers one per mount, plus cgroup2 at unified */
static void test_detect_hybrid(void **state)
{
	static const char *const ctl[] = {"cpu",     "cpuacct", "cpuset", "memory",      "devices",
					  "freezer", "blkio",   "pids",   "name=systemd"};
	struct cg_system sys;

	detect_ok("hybrid", &sys);
	assert_int_equal(sys.layout, CG_LAYOUT_HYBRID);
	assert_int_equal(sys.n_v1, ARRAY_SIZE(ctl));
	for (size_t i = 0; i < ARRAY_SIZE(ctl); i++) {
		char mp[128];
		const char *dir = startswith(ctl[i], "name=") ? ctl[i] + 5 : ctl[i];
		const char *self =
		    streq(ctl[i], "memory") ? "/process_api/abd460ed10c461e43553068eb5fb66af" : "/";

		snprintf(mp, sizeof(mp), "/sys/fs/cgroup/%s", dir);
		/* in mountinfo order */
		assert_hier(&sys, i, ctl[i], mp, "/", self);
	}
	assert_string_equal(sys.v2_mountpoint, "/sys/fs/cgroup/unified");
	assert_string_equal(sys.v2_mount_root, "/");
	assert_string_equal(sys.v2_self_path, "/");
	/* read_controllers was false: nothing was read from the live mount */
	assert_string_equal(sys.v2_controllers, "");
	cg_system_clear(&sys);
	assert_int_equal(sys.n_v1, 0);
	assert_null(sys.v2_mountpoint);
}

static void test_detect_v2(void **state)
{
	struct cg_system sys;

	detect_ok("v2", &sys);
	assert_int_equal(sys.layout, CG_LAYOUT_V2);
	assert_int_equal(sys.n_v1, 0);
	assert_string_equal(sys.v2_mountpoint, "/sys/fs/cgroup");
	assert_string_equal(sys.v2_mount_root, "/");
	assert_string_equal(sys.v2_self_path, "/user.slice/x.scope");
	assert_string_equal(sys.v2_controllers, "");
	cg_system_clear(&sys);
}

static void test_detect_v1(void **state)
{
	struct cg_system sys;

	detect_ok("v1", &sys);
	assert_int_equal(sys.layout, CG_LAYOUT_V1);
	assert_null(sys.v2_mountpoint);
	assert_null(sys.v2_self_path);
	assert_null(sys.v2_controllers);
	/* the second mount of cpu,cpuacct (at /mnt/cpu-again) adds nothing */
	assert_int_equal(sys.n_v1, 6);
	assert_hier(&sys, 0, "name=systemd", "/sys/fs/cgroup/systemd", "/",
		    "/user.slice/user-1000.slice/session-2.scope");
	assert_hier(&sys, 1, "cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct", "/", "/user.slice");
	assert_hier(&sys, 2, "net_cls,net_prio", "/sys/fs/cgroup/net_cls,net_prio", "/", "/");
	assert_hier(&sys, 3, "memory", "/sys/fs/cgroup/memory", "/", "/user.slice/user-1000.slice");
	assert_hier(&sys, 4, "cpuset", "/sys/fs/cgroup/cpuset", "/", "/");
	assert_hier(&sys, 5, "pids", "/sys/fs/cgroup/pids", "/",
		    "/user.slice/user-1000.slice/session-2.scope");
	cg_system_clear(&sys);
}

/* inside a container: each v1 hierarchy is mounted from /docker/abc */
static void test_detect_nested(void **state)
{
	struct cg_system sys;
	const struct cg_hier *h;

	detect_ok("nested", &sys);
	assert_int_equal(sys.layout, CG_LAYOUT_V1);
	assert_int_equal(sys.n_v1, 4);
	assert_hier(&sys, 0, "name=systemd", "/sys/fs/cgroup/systemd", "/docker/abc",
		    "/docker/abc");
	assert_hier(&sys, 1, "memory", "/sys/fs/cgroup/memory", "/docker/abc", "/docker/abc");
	assert_hier(&sys, 2, "cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct", "/docker/abc",
		    "/docker/abc/inner");
	assert_hier(&sys, 3, "pids", "/sys/fs/cgroup/pids", "/docker/abc", "/docker/abc");

	/* the caller's cgroup directories, as the drivers compute them */
	h = hier(&sys, "memory");
	{
		_cleanup_free_ char *p = cg_join_path(h->mountpoint, h->mount_root, h->self_path);
		assert_string_equal(p, "/sys/fs/cgroup/memory");
	}
	h = hier(&sys, "cpu,cpuacct");
	{
		_cleanup_free_ char *p = cg_join_path(h->mountpoint, h->mount_root, h->self_path);
		assert_string_equal(p, "/sys/fs/cgroup/cpu,cpuacct/inner");
	}
	cg_system_clear(&sys);
}

static void test_detect_none(void **state)
{
	struct cg_system sys;
	ward_err err = {0};
	char mi[4096];

	assert_int_equal(detect("none", &sys, &err), -ENOENT);
	assert_int_equal(err.code, ENOENT);
	assert_string_equal(err.msg, "cgroups: no cgroup filesystem is mounted");
	/* nothing is left allocated on failure */
	assert_int_equal(sys.n_v1, 0);
	assert_null(sys.v2_mountpoint);
	assert_null(sys.v2_self_path);

	/* an unreadable mountinfo names the file and the kernel's reason */
	werr_clear(&err);
	snprintf(mi, sizeof(mi), "%s/cgroup/no-such.mountinfo", fixture_dir());
	assert_int_equal(cg_system_detect_from(&sys, mi, "/dev/null", false, &err), -ENOENT);
	{
		char want[4200];

		snprintf(want, sizeof(want), "cgroups: read %s: %s", mi, strerror(ENOENT));
		assert_string_equal(err.msg, want);
	}
	/* and so does an unreadable self cgroup file */
	werr_clear(&err);
	snprintf(mi, sizeof(mi), "%s/cgroup/v2.mountinfo", fixture_dir());
	assert_int_equal(cg_system_detect_from(&sys, mi, "/nonexistent/cgroup", false, &err),
			 -ENOENT);
	assert_string_equal(err.msg,
			    "cgroups: read /nonexistent/cgroup: No such file or directory");
	assert_null(sys.v2_mountpoint);
}

/* mountinfo escapes space, tab and backslash in paths as \ooo */
static void test_detect_escaped(void **state)
{
	struct cg_system sys;

	detect_ok("spaces", &sys);
	assert_int_equal(sys.layout, CG_LAYOUT_HYBRID);
	assert_int_equal(sys.n_v1, 2);
	assert_hier(&sys, 0, "cpu", "/sys/fs/cgroup/my cpu", "/", "/c d");
	assert_hier(&sys, 1, "memory", "/sys/fs/cgroup/tab\tand\\slash", "/", "/m");
	/* the first cgroup2 mount wins */
	assert_string_equal(sys.v2_mountpoint, "/mnt/cg v2");
	assert_string_equal(sys.v2_mount_root, "/a b");
	assert_string_equal(sys.v2_self_path, "/x");
	cg_system_clear(&sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_controllers_from_superopts),
	    cmocka_unit_test(test_controllers_lsm_options),
	    cmocka_unit_test(test_join_path),
	    cmocka_unit_test(test_weight_bounds),
	    cmocka_unit_test(test_weight_defaults),
	    cmocka_unit_test(test_detect_hybrid),
	    cmocka_unit_test(test_detect_v2),
	    cmocka_unit_test(test_detect_v1),
	    cmocka_unit_test(test_detect_nested),
	    cmocka_unit_test(test_detect_none),
	    cmocka_unit_test(test_detect_escaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
