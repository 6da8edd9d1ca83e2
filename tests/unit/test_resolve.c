/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Path resolution inside a container root (src/runtime/resolve.h): a
 * temporary directory plays the root, with absolute, relative, escaping,
 * looping and dangling symlinks in it.  Every result is checked by inode
 * against what the path must mean inside the root, and every case runs
 * twice: with openat2(RESOLVE_IN_ROOT) and with the component-by-component
 * fallback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/resolve.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

#define KNOWN_BUG(what)                                                                            \
	do {                                                                                       \
		if (!getenv("WARD_TEST_KNOWN_BUGS")) {                                             \
			print_message("known bug, skipped: %s\n", what);                           \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

/* ------------------------------------------------------------------ */
/* fixture */

struct fx {
	char top[64];     /* the temporary directory */
	char root[96];    /* top/root: the container root */
	char outside[96]; /* a name next to the root, that must never appear */
	int rootfd;
};

static void mk(const char *root, const char *rel, bool dir)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (dir ? mkdir(p, 0755) : write_file_atomic(p, rel, strlen(rel), 0644))
		fail_msg("create %s: %s", p, strerror(errno));
}

static void ln(const char *root, const char *target, const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (symlink(target, p) < 0)
		fail_msg("symlink %s: %s", p, strerror(errno));
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->top, sizeof(f->top), "/tmp/ward-test-resolve.XXXXXX");
	if (!mkdtemp(f->top))
		return -1;
	snprintf(f->root, sizeof(f->root), "%s/root", f->top);
	snprintf(f->outside, sizeof(f->outside), "%s/escaped", f->top);
	if (mkdir(f->root, 0755) < 0)
		return -1;
	f->rootfd = open(f->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f->rootfd < 0)
		return -1;
	resolve_force_fallback(false);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	resolve_force_fallback(false);
	close(f->rootfd);
	rm_rf(f->top);
	free(f);
	return 0;
}

/* The tree every open_in_root case uses. */
static void build_tree(struct fx *f)
{
	const char *r = f->root;

	mk(r, "dir", true);
	mk(r, "dir/sub", true);
	mk(r, "dir/file", false);
	mk(r, "etc", true);
	mk(r, "etc/marker", false);
	mk(r, "tmp", true);
	ln(r, "/etc", "abs");                 /* absolute: inside the root */
	ln(r, "../../../../tmp", "esc");      /* relative, climbing out */
	ln(r, "../../../../escaped", "esc2"); /* to the name next to the root */
	ln(r, "loop2", "loop1");              /* a loop */
	ln(r, "loop1", "loop2");
	ln(r, "self", "self");
	ln(r, "/nonexistent/target", "dangling");
	ln(r, "../..", "dir/up");
	ln(r, "/../../etc", "dir/abs_up");
	ln(r, "dir/sub", "rel");
	ln(r, "abs", "chain");
	ln(r, "/", "slash");
	/* a file outside the root, under the name the escapes aim at */
	if (write_file_atomic(f->outside, "outside", 7, 0644) < 0)
		fail_msg("write %s", f->outside);
}

static void stat_in_root(const struct fx *f, const char *rel, struct stat *st)
{
	int r = *rel ? fstatat(f->rootfd, rel, st, AT_SYMLINK_NOFOLLOW) : fstat(f->rootfd, st);

	if (r < 0)
		fail_msg("stat %s/%s: %s", f->root, rel, strerror(errno));
}

static void assert_same_file(int fd, const struct stat *want, const char *what)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	if (st.st_dev != want->st_dev || st.st_ino != want->st_ino)
		fail_msg("%s: opened inode %lu, want %lu", what, (unsigned long)st.st_ino,
			 (unsigned long)want->st_ino);
}

static const char *mode_name(bool fallback)
{
	return fallback ? "fallback" : "openat2";
}

/* ------------------------------------------------------------------ */
/* open_in_root */

/* clang-format off */
static const struct {
	const char *path;
	int flags;
	const char *want; /* path inside the root it must open, or NULL */
	int err;	  /* else this -errno */
} open_cases[] = {
	{"dir", O_PATH, "dir", 0},
	{"/dir/file", O_PATH, "dir/file", 0},
	{"dir//sub/.", O_PATH | O_DIRECTORY, "dir/sub", 0},
	{"/", O_PATH, "", 0},
	{"", O_PATH, "", 0},
	{".", O_PATH | O_DIRECTORY, "", 0},
	{"../../..", O_PATH, "", 0},
	{"/../dir/../../dir/file", O_RDONLY, "dir/file", 0},
	/* an absolute symlink is resolved inside the root */
	{"abs", O_PATH, "etc", 0},
	{"abs/marker", O_RDONLY, "etc/marker", 0},
	{"/abs/../dir", O_PATH, "dir", 0},
	{"chain/marker", O_RDONLY, "etc/marker", 0},
	{"slash/dir/file", O_PATH, "dir/file", 0},
	{"dir/abs_up/marker", O_PATH, "etc/marker", 0},
	/* so is a relative one that climbs past the top */
	{"esc", O_PATH | O_DIRECTORY, "tmp", 0},
	{"esc/../..", O_PATH, "", 0},
	{"dir/up", O_PATH, "", 0},
	{"dir/up/etc/marker", O_PATH, "etc/marker", 0},
	{"rel/../file", O_RDONLY, "dir/file", 0},
	/* what the root does not have */
	{"esc2", O_PATH, NULL, -ENOENT},
	{"../escaped", O_PATH, NULL, -ENOENT},
	{"dir/up/../escaped", O_RDONLY, NULL, -ENOENT},
	{"loop1", O_PATH, NULL, -ELOOP},
	{"loop2/x", O_PATH, NULL, -ELOOP},
	{"self", O_RDONLY, NULL, -ELOOP},
	{"dangling", O_PATH, NULL, -ENOENT},
	{"dangling/x", O_PATH, NULL, -ENOENT},
	{"missing", O_PATH, NULL, -ENOENT},
	{"missing/x/y", O_PATH, NULL, -ENOENT},
	{"dir/file/x", O_PATH, NULL, -ENOTDIR},
	{"dir/file", O_RDONLY | O_DIRECTORY, NULL, -ENOTDIR},
	{"abs/marker", O_PATH | O_DIRECTORY, NULL, -ENOTDIR},
};
/* clang-format on */

static void run_open_cases(struct fx *f, bool fallback)
{
	resolve_force_fallback(fallback);
	for (size_t i = 0; i < ARRAY_SIZE(open_cases); i++) {
		int fd = open_in_root(f->rootfd, open_cases[i].path, open_cases[i].flags);
		char what[160];

		snprintf(what, sizeof(what), "%s: open_in_root(\"%s\")", mode_name(fallback),
			 open_cases[i].path);
		if (!open_cases[i].want) {
			if (fd != open_cases[i].err)
				fail_msg("%s = %d, want %d", what, fd, open_cases[i].err);
			continue;
		}
		if (fd < 0)
			fail_msg("%s: %s", what, strerror(-fd));
		{
			struct stat want;

			stat_in_root(f, open_cases[i].want, &want);
			assert_same_file(fd, &want, what);
		}
		/* close-on-exec always */
		assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		if ((open_cases[i].flags & O_ACCMODE) == O_RDONLY &&
		    !(open_cases[i].flags & O_PATH) && !(open_cases[i].flags & O_DIRECTORY)) {
			char buf[64] = "";
			ssize_t n = read(fd, buf, sizeof(buf) - 1);

			/* the fixture files contain their own name in the root */
			assert_true(n > 0);
			buf[n] = '\0';
			assert_string_equal(buf, open_cases[i].want);
		}
		close(fd);
	}
	if (fallback)
		assert_int_equal(openat2_available(), -1);
	resolve_force_fallback(false);
}

static void test_open_openat2(void **state)
{
	struct fx *f = *state;

	build_tree(f);
	assert_int_equal(openat2_available(), 0);
	run_open_cases(f, false);
	/* resolve_force_fallback(false) forgets what was learnt */
	assert_int_equal(openat2_available(), 0);
	{
		int fd = open_in_root(f->rootfd, "dir", O_PATH);

		assert_true(fd >= 0);
		close(fd);
		/* known after the first use: 1, or -1 on kernels before 5.6 */
		assert_true(openat2_available() == 1 || openat2_available() == -1);
	}
}

static void test_open_fallback(void **state)
{
	struct fx *f = *state;

	build_tree(f);
	run_open_cases(f, true);
	assert_int_equal(openat2_available(), 0); /* reset */
}

/* A /proc magic link is never followed, even where the root has one:
 * openat2 refuses it, the fallback reads it as a plain symlink (whose text
 * then resolves inside the root); neither reaches the link's real target. */
static void test_open_magic_links(void **state)
{
	int procfd = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
	static const char *const links[] = {"cwd", "root", "exe", "cwd/.", "root/etc"};

	assert_true(procfd >= 0);
	for (int fb = 0; fb < 2; fb++) {
		resolve_force_fallback(fb);
		for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
			char real[64];
			struct stat target, got;
			int fd = open_in_root(procfd, links[i], O_PATH);

			snprintf(real, sizeof(real), "/proc/self/%s", links[i]);
			assert_int_equal(stat(real, &target), 0);
			if (!fb && fd != -ELOOP)
				fail_msg("openat2: /proc/self/%s: %d, want -ELOOP", links[i], fd);
			if (fd < 0)
				continue;
			assert_int_equal(fstat(fd, &got), 0);
			close(fd);
			if (got.st_dev == target.st_dev && got.st_ino == target.st_ino)
				fail_msg("%s: /proc/self/%s was followed", mode_name(fb), links[i]);
		}
	}
	resolve_force_fallback(false);
	close(procfd);
}

/* The fallback gives the kernel's answer for ".." after a component that is
 * not a directory or does not exist. */
static void test_fallback_dotdot_semantics(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *path;
		int err;
	} cases[] = {
	    {"dir/file/../file", -ENOTDIR},
	    {"dir/missing/../file", -ENOENT},
	};

	build_tree(f);
	/* the kernel's answers */
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(open_in_root(f->rootfd, cases[i].path, O_PATH), cases[i].err);
	resolve_force_fallback(true);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int fd = open_in_root(f->rootfd, cases[i].path, O_PATH);

		if (fd >= 0)
			close(fd);
		if (fd != cases[i].err)
			fail_msg("fallback: open_in_root(\"%s\") = %d, want %d", cases[i].path, fd,
				 cases[i].err);
	}
	resolve_force_fallback(false);
}

/* ------------------------------------------------------------------ */
/* mkpath_in_root */

static void assert_fd_is(struct fx *f, int fd, const char *rel, mode_t type)
{
	struct stat want, got;

	if (fd < 0)
		fail_msg("mkpath %s: %s", rel, strerror(-fd));
	stat_in_root(f, rel, &want);
	assert_int_equal(want.st_mode & S_IFMT, type);
	assert_int_equal(fstat(fd, &got), 0);
	assert_true(got.st_ino == want.st_ino && got.st_dev == want.st_dev);
	close(fd);
}

static void run_mkpath(struct fx *f, bool fallback)
{
	char host_abs[128];
	struct stat st;
	int fd, fd2;

	resolve_force_fallback(fallback);
	mk(f->root, "dir", true);
	mk(f->root, "dir/file", false);

	/* nested directories, the last one with the given mode */
	fd = mkpath_in_root(f->rootfd, "/a/b/c", false, 0700);
	assert_fd_is(f, fd, "a/b/c", S_IFDIR);
	stat_in_root(f, "a/b/c", &st);
	assert_int_equal(st.st_mode & 07777, 0700);
	stat_in_root(f, "a/b", &st);
	assert_int_equal(st.st_mode & 07777, 0755);
	/* again: nothing to do, the same directory */
	fd = mkpath_in_root(f->rootfd, "a//b/c/", false, 0700);
	assert_fd_is(f, fd, "a/b/c", S_IFDIR);

	/* a file as the last component */
	fd = mkpath_in_root(f->rootfd, "/x/y/file", true, 0755);
	assert_fd_is(f, fd, "x/y/file", S_IFREG);
	stat_in_root(f, "x/y/file", &st);
	assert_int_equal(st.st_size, 0);
	/* an existing file is kept */
	fd = mkpath_in_root(f->rootfd, "/dir/file", true, 0755);
	assert_fd_is(f, fd, "dir/file", S_IFREG);
	stat_in_root(f, "dir/file", &st);
	assert_int_equal(st.st_size, strlen("dir/file"));

	/* a dangling absolute symlink: its target is made inside the root */
	snprintf(host_abs, sizeof(host_abs), "/ward-test-made-%d", (int)getpid());
	{
		char target[160];

		snprintf(target, sizeof(target), "%s/here", host_abs);
		ln(f->root, target, "dlink");
	}
	fd = mkpath_in_root(f->rootfd, "/dlink/sub", false, 0755);
	{
		char rel[160];

		snprintf(rel, sizeof(rel), "%s/here/sub", host_abs + 1);
		assert_fd_is(f, fd, rel, S_IFDIR);
	}
	assert_false(path_exists(host_abs));
	/* and through the link now */
	fd = open_in_root(f->rootfd, "dlink/sub", O_PATH | O_DIRECTORY);
	assert_true(fd >= 0);
	close(fd);

	/* a dangling relative one that climbs out: clamped to the root */
	ln(f->root, "../../../../escaped", "drel");
	fd = mkpath_in_root(f->rootfd, "drel", false, 0755);
	assert_fd_is(f, fd, "escaped", S_IFDIR);
	assert_false(path_exists(f->outside));

	/* a dangling link as the last component of a file path */
	ln(f->root, "dir/target.txt", "dfile");
	fd = mkpath_in_root(f->rootfd, "dfile", true, 0644);
	assert_fd_is(f, fd, "dir/target.txt", S_IFREG);

	/* a chain of dangling links */
	ln(f->root, "d2", "d1");
	ln(f->root, "/final", "d2");
	fd = mkpath_in_root(f->rootfd, "d1/leaf", false, 0755);
	assert_fd_is(f, fd, "final/leaf", S_IFDIR);

	/* loops */
	ln(f->root, "loop2", "loop1");
	ln(f->root, "loop1", "loop2");
	assert_int_equal(mkpath_in_root(f->rootfd, "loop1", false, 0755), -ELOOP);
	assert_int_equal(mkpath_in_root(f->rootfd, "loop1/x/y", false, 0755), -ELOOP);
	assert_int_equal(mkpath_in_root(f->rootfd, "loop2", true, 0644), -ELOOP);

	/* a file in the middle */
	assert_int_equal(mkpath_in_root(f->rootfd, "dir/file/x", false, 0755), -ENOTDIR);

	/* an existing symlink to a directory is followed, not replaced */
	ln(f->root, "/a/b", "tob");
	fd = mkpath_in_root(f->rootfd, "tob/c/new", false, 0755);
	assert_fd_is(f, fd, "a/b/c/new", S_IFDIR);
	fd2 = open_in_root(f->rootfd, "tob", O_PATH);
	assert_true(fd2 >= 0);
	close(fd2);
	assert_false(path_exists(host_abs));
	resolve_force_fallback(false);
}

static void test_mkpath_openat2(void **state)
{
	run_mkpath(*state, false);
}

static void test_mkpath_fallback(void **state)
{
	run_mkpath(*state, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_openat2, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_open_fallback, fx_setup, fx_teardown),
	    cmocka_unit_test(test_open_magic_links),
	    cmocka_unit_test_setup_teardown(test_fallback_dotdot_semantics, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_mkpath_openat2, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_mkpath_fallback, fx_setup, fx_teardown),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
