/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container store (src/store): tarball extraction and its refusals,
 * the busybox and dir: templates, the ownership shift, the store's
 * directories and their removal, the progress bar and the subordinate id
 * registry.  Runs as root in a directory of its own under /tmp; tarballs
 * are built here with libarchive's writer; mounts are made only in a
 * forked child's private mount namespace.  Nothing here reads /etc/subuid.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "runtime/container.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/log.h"
#include "util/strutil.h"

#define UID 200000U
#define GID 300000U
#define T0  1600000000

/* ------------------------------------------------------------------ */
/* a temporary directory per test */

struct tmp {
	char dir[64];
	char lib[PATH_MAX];
	char rootfs[PATH_MAX];
	char tar[PATH_MAX];
	struct ward_ctx ctx;
	const void *arg; /* the test's own (a case of a table) */
};

static int tmp_setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	t->arg = *state;
	snprintf(t->dir, sizeof(t->dir), "/tmp/ward-test-store.XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	snprintf(t->lib, sizeof(t->lib), "%s/lib", t->dir);
	snprintf(t->rootfs, sizeof(t->rootfs), "%s/rootfs", t->dir);
	snprintf(t->tar, sizeof(t->tar), "%s/t.tar", t->dir);
	t->ctx.lib_dir = t->lib;
	*state = t;
	return 0;
}

static int tmp_teardown(void **state)
{
	struct tmp *t = *state;

	rm_rf(t->dir);
	free(t);
	return 0;
}

/* DIR/REL, in one of a few buffers that are reused in turn */
static const char *path_in(const struct tmp *t, const char *rel)
{
	static char paths[16][PATH_MAX];
	static unsigned next;
	char *p = paths[next++ % ARRAY_SIZE(paths)];

	snprintf(p, PATH_MAX, "%s/%s", t->dir, rel);
	return p;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* failures reported at the caller's line */
static void gone_at(const char *path, const char *file, int line)
{
	struct stat st;

	if (lstat(path, &st) == 0 || errno != ENOENT) {
		print_error("%s exists (or cannot be looked at)\n", path);
		_fail(file, line);
	}
}
#define assert_gone(path) gone_at(path, __FILE__, __LINE__)

static void contains_at(const char *hay, const char *needle, const char *file, int line)
{
	if (!strstr(hay, needle)) {
		print_error("\"%s\" does not contain \"%s\"\n", hay, needle);
		_fail(file, line);
	}
}
#define assert_contains(hay, needle) contains_at(hay, needle, __FILE__, __LINE__)

static void write_text(const char *path, const char *text)
{
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
}

/* ------------------------------------------------------------------ */
/* building tarballs */

struct ent {
	const char *name;
	mode_t mode; /* type and permissions; 0: a regular file 0644 */
	int64_t uid, gid;
	const char *data;     /* a regular file's contents */
	size_t size;          /* of DATA when it holds NULs (0: strlen) */
	const char *link;     /* a symlink's target */
	const char *hardlink; /* a hard link's target */
	dev_t rdev;
	int64_t mtime; /* 0: T0 */
	long mtime_nsec;
	const char *xattr; /* one extended attribute */
	const void *xval;
	size_t xlen;
};

static int add_filter(struct archive *a, const char *comp)
{
	if (streq(comp, "none"))
		return ARCHIVE_OK;
	if (streq(comp, "gzip"))
		return archive_write_add_filter_gzip(a);
	if (streq(comp, "bzip2"))
		return archive_write_add_filter_bzip2(a);
	if (streq(comp, "xz"))
		return archive_write_add_filter_xz(a);
	if (streq(comp, "zstd"))
		return archive_write_add_filter_zstd(a);
	return ARCHIVE_FATAL;
}

/* Write ENTS (up to one with a NULL name) to PATH compressed with COMP.
 * false when this libarchive cannot compress with COMP by itself. */
static bool make_tar(const char *path, const char *comp, const struct ent *ents, size_t n)
{
	struct archive *a = archive_write_new();

	assert_non_null(a);
	/* pax: long names, extended attributes, times to the nanosecond */
	assert_int_equal(archive_write_set_format_pax(a), ARCHIVE_OK);
	/* built in, not an external program (which the reader does not run) */
	if (add_filter(a, comp) != ARCHIVE_OK) {
		archive_write_free(a);
		return false;
	}
	if (archive_write_open_filename(a, path) != ARCHIVE_OK)
		fail_msg("open %s: %s", path, archive_error_string(a));
	for (size_t i = 0; i < n && ents[i].name; i++) {
		const struct ent *x = &ents[i];
		struct archive_entry *e = archive_entry_new();
		mode_t mode = x->mode ? x->mode : (S_IFREG | 0644);
		size_t size = 0;

		archive_entry_set_pathname(e, x->name);
		archive_entry_set_mode(e, mode);
		archive_entry_set_uid(e, x->uid);
		archive_entry_set_gid(e, x->gid);
		archive_entry_set_mtime(e, x->mtime ? x->mtime : T0, x->mtime_nsec);
		if (x->link)
			archive_entry_set_symlink(e, x->link);
		if (x->hardlink)
			archive_entry_set_hardlink(e, x->hardlink);
		if (S_ISCHR(mode) || S_ISBLK(mode))
			archive_entry_set_rdev(e, x->rdev);
		if (S_ISREG(mode) && !x->hardlink && x->data)
			size = x->size ? x->size : strlen(x->data);
		archive_entry_set_size(e, (la_int64_t)size);
		if (x->xattr)
			archive_entry_xattr_add_entry(e, x->xattr, x->xval, x->xlen);
		if (archive_write_header(a, e) < ARCHIVE_WARN)
			fail_msg("%s: %s", x->name, archive_error_string(a));
		if (size && archive_write_data(a, x->data, size) != (la_ssize_t)size)
			fail_msg("%s: %s", x->name, archive_error_string(a));
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return true;
}

#define MAKE_TAR(path, comp, ...)                                                                  \
	({                                                                                         \
		const struct ent _e[] = {__VA_ARGS__};                                             \
		make_tar(path, comp, _e, ARRAY_SIZE(_e));                                          \
	})

/* ------------------------------------------------------------------ */
/* tar: a whole tree, there and back */

#define FILE_MODE(m) (S_IFREG | (m))
#define DIR_MODE(m)  (S_IFDIR | (m))
#define LNK          (S_IFLNK | 0777)

static void assert_owner(const char *path, uid_t u, gid_t g)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		fail_msg("lstat %s: %s", path, strerror(errno));
	if (st.st_uid != u || st.st_gid != g)
		fail_msg("%s is owned by %u:%u, not %u:%u", path, (unsigned)st.st_uid,
			 (unsigned)st.st_gid, (unsigned)u, (unsigned)g);
}

static void assert_mode(const char *path, mode_t mode)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		fail_msg("lstat %s: %s", path, strerror(errno));
	if (st.st_mode != mode)
		fail_msg("%s has mode 0%o, not 0%o", path, (unsigned)st.st_mode, (unsigned)mode);
}

static void assert_file(const char *path, const char *data, size_t len)
{
	_cleanup_free_ char *got = NULL;
	size_t n = 0;

	if (read_file(path, &got, &n) < 0)
		fail_msg("read %s: %s", path, strerror(errno));
	assert_int_equal(n, len);
	assert_memory_equal(got, data, len);
}

static void assert_symlink(const char *path, const char *target)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		fail_msg("readlink %s: %s", path, strerror(errno));
	buf[n] = '\0';
	assert_string_equal(buf, target);
}

struct calls {
	int n, finals;
	uint64_t last_done, last_total;
	bool last_final;
};

static void count_progress(uint64_t done, uint64_t total, bool final, void *data)
{
	struct calls *c = data;

	c->n++;
	c->finals += final;
	c->last_done = done;
	c->last_total = total;
	c->last_final = final;
}

static void test_roundtrip(void **state)
{
	struct tmp *t = *state;
	const char *comp = t->arg;
	/* v2 file capabilities: CAP_NET_RAW permitted and effective */
	static const unsigned char caps_v2[20] = {0x01, 0x00, 0x00, 0x02, 0x00, 0x20};
	static char big[300000];
	struct calls calls = {0};
	struct tar_opts opts = {.progress = count_progress, .progress_data = &calls};
	unsigned char caps[64];
	char p[PATH_MAX];
	struct stat st, st2;
	ward_err err = {0};
	ssize_t n;
	int r;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + i / 251);
	if (!MAKE_TAR(
		t->tar, comp, {"./", DIR_MODE(0755)}, {"etc/", DIR_MODE(0755), .mtime = T0 + 10},
		{"etc/passwd", .data = "root:x:0:0:root:/root:/bin/sh\n"},
		{"etc/empty", FILE_MODE(0600)}, {"usr/bin/su", FILE_MODE(04755), .data = "su"},
		{"usr/bin/sg", FILE_MODE(02755), .gid = 42, .data = "sg"},
		{"usr/bin/su2", FILE_MODE(04755), .hardlink = "usr/bin/su"},
		{"usr/bin/ping", FILE_MODE(0755), .data = "ping", .xattr = "security.capability",
		 .xval = caps_v2, .xlen = sizeof(caps_v2)},
		{"usr/bin/tagged", .data = "t", .xattr = "user.ward", .xval = "yes", .xlen = 3},
		{"usr/bin/trusted", .data = "t", .xattr = "trusted.ward", .xval = "no", .xlen = 2},
		{"home/user/", DIR_MODE(0700), 1000, 1000},
		{"home/user/f", FILE_MODE(0600), 1000, 1000, .data = "mine", .mtime = 1234567890,
		 .mtime_nsec = 500000000},
		{"home/user/big", .data = big, .size = sizeof(big)},
		{"bin/busybox", FILE_MODE(0755), .data = "bb"}, {"bin/sh", LNK, .link = "busybox"},
		{"lib/up", LNK, 5, 6, .link = "../etc/passwd"}, {"run/fifo", S_IFIFO | 0620, 7, 8},
		{"tmp/", DIR_MODE(01777)}, {"./implicit//deep/./file", .data = "x"},
		{"again", .data = "first"}, {"again", .data = "second"})) {
		print_message("libarchive here cannot write %s by itself: skipped\n", comp);
		skip();
	}
	r = template_tar(t->tar, t->rootfs, UID, GID, &opts, &err);
	if (r != 0)
		fail_msg("template_tar: %d %s", r, err.msg);

	assert_mode(t->rootfs, DIR_MODE(0755));
	assert_owner(t->rootfs, UID, GID);
#define AT(rel) (snprintf(p, sizeof(p), "%s/%s", t->rootfs, rel), p)
	assert_file(AT("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n", 30);
	assert_mode(p, FILE_MODE(0644));
	assert_owner(p, UID, GID);
	assert_file(AT("etc/empty"), "", 0);
	assert_mode(p, FILE_MODE(0600));
	assert_mode(AT("usr/bin/su"), FILE_MODE(04755));
	assert_owner(p, UID, GID);
	assert_mode(AT("usr/bin/sg"), FILE_MODE(02755));
	assert_owner(p, UID, GID + 42);
	/* the hard link: one inode, two names */
	assert_int_equal(lstat(AT("usr/bin/su"), &st), 0);
	assert_int_equal(lstat(AT("usr/bin/su2"), &st2), 0);
	assert_int_equal(st.st_ino, st2.st_ino);
	assert_int_equal(st.st_nlink, 2);
	/* capabilities: a v3 one of the container's root */
	n = getxattr(AT("usr/bin/ping"), "security.capability", caps, sizeof(caps));
	assert_int_equal(n, 24);
	assert_int_equal(caps[3], 0x03);
	assert_int_equal(caps[0], 0x01); /* effective */
	assert_int_equal(caps[5], 0x20); /* CAP_NET_RAW */
	assert_int_equal(caps[20] | caps[21] << 8 | caps[22] << 16 | (uint32_t)caps[23] << 24, UID);
	n = getxattr(AT("usr/bin/tagged"), "user.ward", caps, sizeof(caps));
	assert_int_equal(n, 3);
	assert_memory_equal(caps, "yes", 3);
	assert_int_equal(getxattr(AT("usr/bin/trusted"), "trusted.ward", caps, sizeof(caps)), -1);
	/* owner 1000 in the tarball: UID+1000 on disk */
	assert_owner(AT("home/user"), UID + 1000, GID + 1000);
	assert_mode(p, DIR_MODE(0700));
	assert_owner(AT("home/user/f"), UID + 1000, GID + 1000);
	assert_file(p, "mine", 4);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, 1234567890);
	assert_int_equal(st.st_mtim.tv_nsec, 500000000);
	assert_file(AT("home/user/big"), big, sizeof(big));
	/* a directory's time is set after what is made in it */
	assert_int_equal(lstat(AT("etc"), &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, T0 + 10);
	assert_symlink(AT("bin/sh"), "busybox");
	assert_owner(p, UID, GID);
	assert_symlink(AT("lib/up"), "../etc/passwd");
	assert_owner(p, UID + 5, GID + 6);
	assert_mode(AT("run/fifo"), S_IFIFO | 0620);
	assert_owner(p, UID + 7, GID + 8);
	assert_mode(AT("tmp"), DIR_MODE(01777));
	/* parents no entry names: the container's root's, 0755 */
	assert_mode(AT("implicit"), DIR_MODE(0755));
	assert_owner(p, UID, GID);
	assert_mode(AT("implicit/deep"), DIR_MODE(0755));
	assert_file(AT("implicit/deep/file"), "x", 1);
	assert_file(AT("again"), "second", 6);
#undef AT
	/* progress: first not final, one final last, bytes of the file */
	assert_true(calls.n >= 2);
	assert_int_equal(calls.finals, 1);
	assert_true(calls.last_final);
	assert_int_equal(stat(t->tar, &st), 0);
	assert_int_equal(calls.last_total, (uint64_t)st.st_size);
	assert_true(calls.last_done > 0 && calls.last_done <= calls.last_total);
}

/* Implicit parents are 0755 whatever the umask. */
static void test_tar_umask(void **state)
{
	struct tmp *t = *state;
	char p[PATH_MAX];
	ward_err err = {0};
	mode_t old;
	int r;

	assert_true(MAKE_TAR(t->tar, "none", {"a/b/file", .data = "x"}));
	old = umask(077);
	r = template_tar(t->tar, t->rootfs, UID, GID, NULL, &err);
	umask(old);
	assert_int_equal(r, 0);
	snprintf(p, sizeof(p), "%s/a/b", t->rootfs);
	assert_mode(p, DIR_MODE(0755));
}

/* ------------------------------------------------------------------ */
/* tar: refusals */

struct refusal {
	const char *title;
	struct ent ents[5];
	unsigned flags;
	const char *entry; /* named in the message */
	const char *why;   /* also in the message */
};

static const struct refusal refusals[] = {
    {"refuse_dotdot", {{"../evil", .data = "x"}}, 0, "../evil", "\"..\" component"},
    {"refuse_absolute", {{"/abs", .data = "x"}}, 0, "/abs", "absolute name"},
    {"refuse_dotdot_inside", {{"a/../../x", .data = "x"}}, 0, "a/../../x", "\"..\""},
    {"refuse_hardlink_absolute",
     {{"f", .data = "x"}, {"h", .hardlink = "/etc/passwd"}},
     0,
     "h",
     "/etc/passwd"},
    {"refuse_hardlink_dotdot", {{"h", .hardlink = "../x"}}, 0, "h", "../x"},
    {"refuse_hardlink_through_symlink",
     {{"sub/f", .data = "x"}, {"d", LNK, .link = "sub"}, {"h", .hardlink = "d/f"}},
     0,
     "h",
     "d/f"},
    {"refuse_hardlink_root", {{"h", .hardlink = "./"}}, 0, "h", "root"},
    /* a/b/l stays in the root from a/b; the same link at the top does not */
    {"refuse_hardlink_to_climbing_symlink",
     {{"a/b/l", LNK, .link = "../../x"}, {"h", LNK, .hardlink = "a/b/l"}},
     0,
     "h",
     "outside"},
    {"refuse_symlink_climbs", {{"a/b/l", LNK, .link = "../../.."}}, 0, "a/b/l", "outside"},
    {"refuse_symlink_climbs_at_root", {{"l", LNK, .link = "x/../.."}}, 0, "l", "outside"},
    {"refuse_symlink_absolute",
     {{"l", LNK, .link = "/etc/passwd"}},
     0,
     "l",
     "absolute symlink target"},
    {"refuse_write_through_symlink",
     {{"sub/", DIR_MODE(0755)}, {"d", LNK, .link = "sub"}, {"d/evil", .data = "x"}},
     0,
     "d/evil",
     "symlink"},
    {"refuse_dir_through_symlink",
     {{"sub/", DIR_MODE(0755)}, {"d", LNK, .link = "sub"}, {"d/x/", DIR_MODE(0755)}},
     0,
     "d/x",
     "symlink"},
    {"refuse_lexical_pair",
     {{"s/l", LNK, .link = ".."}, {"e", LNK, .link = "s/l/.."}, {"e/x", .data = "x"}},
     0,
     "e/x",
     "symlink"},
    {"refuse_lexical_pair_deep",
     {{"s/l", LNK, .link = ".."}, {"s/l/x", .data = "x"}},
     0,
     "s/l/x",
     "symlink"},
    {"refuse_uid_70000", {{"f", .uid = 70000, .data = "x"}}, 0, "f", "70000"},
    {"refuse_gid_70000", {{"f", .gid = 70000, .data = "x"}}, 0, "f", "70000"},
    {"refuse_below_a_file",
     {{"f", .data = "x"}, {"f/x", .data = "x"}},
     0,
     "f/x",
     "not a directory"},
    {"refuse_file_over_dir",
     {{"x/", DIR_MODE(0755)}, {"x", .data = "x"}},
     0,
     "x",
     "directory of that name"},
    {"refuse_root_not_dir", {{".", .data = "x"}}, 0, ".", "root"},
    {"refuse_late",
     {{"a/b/c", .data = "x"},
      {"a/d/", DIR_MODE(0700)},
      {"a/b/e", LNK, .link = "c"},
      {"zz/../../evil", .data = "x"}},
     0,
     "zz/../../evil",
     "\"..\""},
};

static void test_refusal(void **state)
{
	struct tmp *t = *state;
	const struct refusal *c = t->arg;
	struct tar_opts opts = {.flags = c->flags};
	ward_err err = {0};
	int r;

	assert_true(make_tar(t->tar, "none", c->ents, ARRAY_SIZE(c->ents)));
	r = template_tar(t->tar, t->rootfs, UID, GID, &opts, &err);
	if (r >= 0)
		fail_msg("%s: accepted (%d)", c->title, r);
	assert_int_equal(-r, err.code);
	assert_contains(err.msg, t->tar);
	assert_contains(err.msg, c->entry);
	assert_contains(err.msg, c->why);
	assert_gone(t->rootfs);
}

/* A name deeper than a template makes. */
static void test_refuse_deep_name(void **state)
{
	struct tmp *t = *state;
	char name[700] = "";
	ward_err err = {0};
	int r;

	for (int i = 0; i < 300; i++)
		strcat(name, "a/");
	strcat(name, "f");
	assert_true(MAKE_TAR(t->tar, "none", {name, .data = "x"}));
	r = template_tar(t->tar, t->rootfs, UID, GID, NULL, &err);
	assert_true(r < 0);
	assert_contains(err.msg, "too deep");
	assert_gone(t->rootfs);
}

/* `d -> /tmp` then `d/evil`: refused, and nothing is written in /tmp. */
static void test_refuse_through_absolute_symlink(void **state)
{
	struct tmp *t = *state;
	struct tar_opts opts = {.flags = TAR_ABSOLUTE_SYMLINKS};
	char evil[PATH_MAX], outside[PATH_MAX], name[PATH_MAX];
	ward_err err = {0};
	int r;

	/* a name of our own in /tmp, so that finding it proves the escape */
	snprintf(name, sizeof(name), "d/%s-evil", strrchr(t->dir, '/') + 1);
	snprintf(evil, sizeof(evil), "/tmp/%s-evil", strrchr(t->dir, '/') + 1);
	snprintf(outside, sizeof(outside), "%s/outside", t->dir);
	assert_int_equal(mkdir(outside, 0755), 0);
	assert_true(MAKE_TAR(t->tar, "none", {"d", LNK, .link = "/tmp"}, {name, .data = "x"}));
	r = template_tar(t->tar, t->rootfs, UID, GID, &opts, &err);
	assert_true(r < 0);
	assert_contains(err.msg, t->tar);
	assert_contains(err.msg, name);
	assert_contains(err.msg, "symlink");
	assert_gone(evil);
	assert_gone(t->rootfs);

	/* the same through a directory entry and a hard link */
	assert_true(MAKE_TAR(t->tar, "none", {"f", .data = "x"}, {"d", LNK, .link = outside},
			     {"d/x/", DIR_MODE(0755)}));
	assert_true(template_tar(t->tar, t->rootfs, UID, GID, &opts, &err) < 0);
	assert_contains(err.msg, "d/x");
	assert_true(MAKE_TAR(t->tar, "none", {"f", .data = "x"}, {"d", LNK, .link = outside},
			     {"d/h", .hardlink = "f"}));
	assert_true(template_tar(t->tar, t->rootfs, UID, GID, &opts, &err) < 0);
	assert_contains(err.msg, "d/h");
	/* a symlink replaced by a file is replaced, never written through */
	assert_true(MAKE_TAR(t->tar, "none", {"d", LNK, .link = outside}, {"d", .data = "mine"}));
	assert_int_equal(template_tar(t->tar, t->rootfs, UID, GID, &opts, &err), 0);
	snprintf(name, sizeof(name), "%s/d", t->rootfs);
	assert_file(name, "mine", 4);
	{
		DIR *d = opendir(outside);
		int entries = 0;
		assert_non_null(d);
		for (struct dirent *de; (de = readdir(d));)
			entries += de->d_name[0] != '.';
		closedir(d);
		assert_int_equal(entries, 0);
	}
}

/* Absolute symlink targets: accepted with TAR_ABSOLUTE_SYMLINKS, and ".."
 * stops at the container's root. */
static void test_absolute_symlinks_accepted(void **state)
{
	struct tmp *t = *state;
	struct tar_opts opts = {.flags = TAR_ABSOLUTE_SYMLINKS};
	char p[PATH_MAX];
	ward_err err = {0};

	assert_true(MAKE_TAR(t->tar, "gzip", {"bin/busybox", .data = "bb"},
			     {"bin/ls", LNK, .link = "/bin/busybox"},
			     {"etc/alt", LNK, .link = "/../../etc/passwd"}));
	assert_int_equal(template_tar(t->tar, t->rootfs, UID, GID, &opts, &err), 0);
	snprintf(p, sizeof(p), "%s/bin/ls", t->rootfs);
	assert_symlink(p, "/bin/busybox");
	snprintf(p, sizeof(p), "%s/etc/alt", t->rootfs);
	assert_symlink(p, "/../../etc/passwd");
	/* links inside the tree that stay inside it lexically */
	assert_int_equal(rm_rf(t->rootfs), 0);
	assert_true(MAKE_TAR(t->tar, "none", {"a/b/l", LNK, .link = "../../x"},
			     {"a/c", LNK, .link = "./b/../b"}, {"top", LNK, .link = "."}));
	assert_int_equal(template_tar(t->tar, t->rootfs, UID, GID, NULL, &err), 0);
}

/* Character and block devices are skipped and counted, hard links to them
 * too. */
static void test_devices_skipped(void **state)
{
	struct tmp *t = *state;
	char p[PATH_MAX];
	ward_err err = {0};
	int r;

	assert_true(MAKE_TAR(t->tar, "none", {"dev/null", S_IFCHR | 0666, .rdev = makedev(1, 3)},
			     {"dev/sda", S_IFBLK | 0660, .rdev = makedev(8, 0)},
			     {"dev/null2", S_IFCHR | 0666, .hardlink = "dev/null"},
			     {"dev/null3", S_IFCHR | 0666, .hardlink = "dev/null2"},
			     {"etc/f", .data = "x"},
			     /* a device replaced by a file: links to it are made */
			     {"dev/zero", S_IFCHR | 0666, .rdev = makedev(1, 5)},
			     {"dev/zero", .data = "z"}, {"zero", .hardlink = "dev/zero"}));
	r = template_tar(t->tar, t->rootfs, UID, GID, NULL, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(r, 5);
	snprintf(p, sizeof(p), "%s/zero", t->rootfs);
	assert_file(p, "z", 1);
	snprintf(p, sizeof(p), "%s/dev/null", t->rootfs);
	assert_gone(p);
	snprintf(p, sizeof(p), "%s/dev/null2", t->rootfs);
	assert_gone(p);
	snprintf(p, sizeof(p), "%s/etc/f", t->rootfs);
	assert_file(p, "x", 1);
}

/* What is not a tarball, or not there, leaves nothing. */
static void test_tar_bad_input(void **state)
{
	struct tmp *t = *state;
	_cleanup_free_ char *trailing = xasprintf("%s/", t->rootfs);
	ward_err err = {0};

	assert_true(template_tar(t->tar, t->rootfs, UID, GID, NULL, &err) < 0);
	assert_contains(err.msg, t->tar);
	assert_gone(t->rootfs);
	assert_true(template_tar(t->dir, t->rootfs, UID, GID, NULL, &err) < 0);
	assert_contains(err.msg, "not a regular file");
	assert_gone(t->rootfs);
	write_text(t->tar, "this is not a tarball, not even a compressed one\n");
	assert_true(template_tar(t->tar, t->rootfs, UID, GID, NULL, &err) < 0);
	assert_contains(err.msg, t->tar);
	assert_gone(t->rootfs);
	/* a truncated tarball, and a rootfs named with a trailing slash */
	{
		static char big[100000];
		struct stat st;
		assert_true(MAKE_TAR(t->tar, "none", {"a", .data = "x"},
				     {"b", .data = big, .size = sizeof(big)}));
		assert_int_equal(stat(t->tar, &st), 0);
		assert_int_equal(truncate(t->tar, st.st_size / 2), 0);
		assert_true(template_tar(t->tar, trailing, UID, GID, NULL, &err) < 0);
		assert_contains(err.msg, t->tar);
		assert_gone(t->rootfs);
	}
	/* ids that leave no room for a block */
	assert_true(MAKE_TAR(t->tar, "none", {"a", .data = "x"}));
	assert_int_equal(template_tar(t->tar, t->rootfs, UINT32_MAX - 10, GID, NULL, &err),
			 -ERANGE);
	assert_gone(t->rootfs);
	/* a rootfs that exists is refused and left as it was */
	assert_int_equal(mkdir(t->rootfs, 0700), 0);
	write_text(path_in(t, "rootfs/keep"), "keep");
	assert_int_equal(template_tar(t->tar, t->rootfs, UID, GID, NULL, &err), -EEXIST);
	assert_true(exists(path_in(t, "rootfs/keep")));
}

/* Every compression the reader is built with. */
static void test_tar_compressions(void **state)
{
	struct tmp *t = *state;
	static const char *const comps[] = {"none", "gzip", "bzip2", "xz", "zstd"};
	char p[PATH_MAX];
	ward_err err = {0};

	for (size_t i = 0; i < ARRAY_SIZE(comps); i++) {
		if (!MAKE_TAR(t->tar, comps[i], {"etc/hostname", .data = "box\n"})) {
			print_message("libarchive here cannot write %s by itself\n", comps[i]);
			continue;
		}
		if (template_tar(t->tar, t->rootfs, UID, GID, NULL, &err) != 0)
			fail_msg("%s: %s", comps[i], err.msg);
		snprintf(p, sizeof(p), "%s/etc/hostname", t->rootfs);
		assert_file(p, "box\n", 4);
		assert_int_equal(rm_rf(t->rootfs), 0);
	}
}

/* ------------------------------------------------------------------ */
/* the progress bar */

static int read_all_nb(int fd, char *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		ssize_t k = read(fd, buf + n, size - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	return (int)n;
}

/* Read FD into BUF until it holds NEEDLE (a terminal's output arrives
 * through the line discipline's work queue: not at once). */
static void read_until(int fd, char *buf, size_t size, const char *needle)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int tries = 0; tries < 200 && !strstr(buf, needle); tries++) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t k;
		if (poll(&pfd, 1, 10) <= 0)
			continue;
		k = read(fd, buf + n, size - 1 - n);
		if (k > 0) {
			n += (size_t)k;
			buf[n] = '\0';
		}
	}
	assert_contains(buf, needle);
}

static void test_progress_bar(void **state)
{
	struct store_bar bar = {0};
	char buf[4096];
	int p[2], master, slave;

	(void)state;
	/* not a terminal: never a byte */
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	bar.fd = p[1];
	bar.label = "t.tar";
	store_progress_bar(0, 100, false, &bar);
	usleep((STORE_BAR_DELAY_MS + 50) * 1000);
	store_progress_bar(50, 100, false, &bar);
	store_progress_bar(100, 100, true, &bar);
	assert_int_equal(read_all_nb(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
	close(p[1]);

	/* a terminal: only after the delay, cleared at the end */
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
		print_message("no pseudo-terminal here: the terminal half skipped\n");
		if (master >= 0)
			close(master);
		return;
	}
	slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(slave >= 0);
	assert_int_equal(fcntl(master, F_SETFL, O_NONBLOCK), 0);
	memset(&bar, 0, sizeof(bar));
	bar.fd = slave;
	bar.label = "t.tar";
	store_progress_bar(0, 100, false, &bar);
	store_progress_bar(10, 100, false, &bar);
	usleep(20000);
	assert_int_equal(read_all_nb(master, buf, sizeof(buf)), 0);
	usleep((STORE_BAR_DELAY_MS + 50) * 1000);
	store_progress_bar(50, 100, false, &bar);
	read_until(master, buf, sizeof(buf), " 50%");
	assert_contains(buf, "t.tar");
	store_progress_bar(100, 100, true, &bar);
	read_until(master, buf, sizeof(buf), "\r\033[K");
	/* a quick operation draws nothing at all */
	memset(&bar, 0, sizeof(bar));
	bar.fd = slave;
	store_progress_bar(0, 100, false, &bar);
	store_progress_bar(100, 100, true, &bar);
	usleep(20000);
	assert_int_equal(read_all_nb(master, buf, sizeof(buf)), 0);
	close(slave);
	close(master);
}

/* A failed extraction reports progress to its end too. */
static void test_progress_on_failure(void **state)
{
	struct tmp *t = *state;
	struct calls calls = {0};
	struct tar_opts opts = {.progress = count_progress, .progress_data = &calls};
	ward_err err = {0};

	assert_true(MAKE_TAR(t->tar, "gzip", {"a", .data = "x"}, {"../b", .data = "x"}));
	assert_true(template_tar(t->tar, t->rootfs, UID, GID, &opts, &err) < 0);
	assert_true(calls.n >= 2);
	assert_int_equal(calls.finals, 1);
	assert_true(calls.last_final);
}

/* ------------------------------------------------------------------ */
/* busybox */

static int count_not_owned(int dfd, uid_t u, gid_t g, int *entries)
{
	DIR *d = fdopendir(dfd);
	int bad = 0;

	assert_non_null(d);
	for (struct dirent *de; (de = readdir(d));) {
		struct stat st;
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		assert_int_equal(fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW), 0);
		(*entries)++;
		if (st.st_uid != u || st.st_gid != g) {
			print_message("%s is owned by %u:%u\n", de->d_name, (unsigned)st.st_uid,
				      (unsigned)st.st_gid);
			bad++;
		}
		if (S_ISDIR(st.st_mode)) {
			int fd = openat(dirfd(d), de->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			assert_true(fd >= 0);
			bad += count_not_owned(fd, u, g, entries);
		}
	}
	closedir(d);
	return bad;
}

static void test_busybox(void **state)
{
	struct tmp *t = *state;
	char p[PATH_MAX];
	ward_err err = {0};
	int r, fd, entries = 0;

	if (!exists(BUSYBOX_PATH)) {
		print_message("%s is missing (apt-get install busybox-static): skipped\n",
			      BUSYBOX_PATH);
		skip();
	}
	r = template_busybox(t->rootfs, UID, GID, &err);
	if (r != 0)
		fail_msg("template_busybox: %s", err.msg);
#define AT(rel) (snprintf(p, sizeof(p), "%s/%s", t->rootfs, rel), p)
	assert_mode(AT("bin/busybox"), FILE_MODE(0755));
	assert_symlink(AT("bin/sh"), "busybox");
	assert_symlink(AT("usr/bin/env"), "../../bin/busybox");
	assert_symlink(AT("sbin/ifconfig"), "../bin/busybox");
	assert_symlink(AT("usr/sbin/chroot"), "../../bin/busybox");
	assert_true(exists(AT("etc/passwd")));
	assert_true(exists(AT("etc/group")));
	assert_true(exists(AT("etc/hosts")));
	assert_true(exists(AT("etc/resolv.conf")));
	assert_gone(AT("linuxrc"));
	assert_mode(AT("tmp"), DIR_MODE(01777));
	assert_mode(AT("var/tmp"), DIR_MODE(01777));
	assert_mode(AT("root"), DIR_MODE(0700));
	for (const char *const *d = (const char *const[]){"dev", "proc", "sys", "run", "home",
							  "usr/bin", "usr/sbin", "sbin", NULL};
	     *d; d++) {
		struct stat st;
		assert_int_equal(lstat(AT(*d), &st), 0);
		assert_true(S_ISDIR(st.st_mode));
	}
#undef AT
	assert_mode(t->rootfs, DIR_MODE(0755));
	assert_owner(t->rootfs, UID, GID);
	fd = open(t->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(count_not_owned(fd, UID, GID, &entries), 0);
	assert_true(entries > 200);
	/* a second time: the rootfs exists */
	assert_int_equal(template_busybox(t->rootfs, UID, GID, &err), -EEXIST);
	assert_true(exists(p));
}

static void test_busybox_refused(void **state)
{
	struct tmp *t = *state;
	const char *text = path_in(t, "text"), *missing = path_in(t, "missing");
	ward_err err = {0};

	/* a dynamically linked program */
	assert_int_equal(template_busybox_from("/bin/true", t->rootfs, UID, GID, &err), -ENOEXEC);
	assert_contains(err.msg, "dynamically linked");
	assert_gone(t->rootfs);
	write_text(text, "#!/bin/sh\n");
	assert_int_equal(template_busybox_from(text, t->rootfs, UID, GID, &err), -ENOEXEC);
	assert_contains(err.msg, "not an ELF");
	assert_gone(t->rootfs);
	assert_int_equal(template_busybox_from(missing, t->rootfs, UID, GID, &err), -ENOENT);
	assert_contains(err.msg, "busybox-static");
	assert_gone(t->rootfs);
}

/* ------------------------------------------------------------------ */
/* dir: */

static int notices;

static void count_notice(enum ward_log_level level, const char *msg, void *data)
{
	notices += level == WLOG_NOTICE && strstr(msg, "neither");
}

static void test_template_dir(void **state)
{
	struct tmp *t = *state;
	const char *empty = path_in(t, "empty"), *file = path_in(t, "file"),
		   *root = path_in(t, "root"), *link = path_in(t, "link");
	_cleanup_free_ char *up = xasprintf("%s/../../../../../..", t->dir);
	char *canon = NULL;
	ward_err err = {0};

	assert_int_equal(template_dir("/", NULL, &err), -EINVAL);
	assert_contains(err.msg, "host's /");
	assert_int_equal(template_dir(up, NULL, &err), -EINVAL);
	assert_contains(err.msg, "host's /");
	assert_int_equal(mkdir(empty, 0755), 0);
	assert_int_equal(template_dir(empty, NULL, &err), -EINVAL);
	assert_contains(err.msg, "empty");
	write_text(file, "x");
	assert_int_equal(template_dir(file, NULL, &err), -ENOTDIR);
	assert_contains(err.msg, file);
	assert_int_equal(template_dir("relative/rootfs", NULL, &err), -EINVAL);
	assert_contains(err.msg, "absolute");
	assert_int_equal(template_dir("", NULL, &err), -EINVAL);
	assert_int_equal(template_dir(NULL, NULL, &err), -EINVAL);
	assert_true(template_dir("/nonexistent/ward/rootfs", NULL, &err) < 0);

	/* a rootfs, through a symlink: the resolved path */
	assert_int_equal(mkdir(root, 0755), 0);
	write_text(path_in(t, "root/init"), "x");
	assert_int_equal(symlink(root, link), 0);
	assert_int_equal(template_dir(link, &canon, &err), 0);
	assert_string_equal(canon, root);
	free(canon);
	/* no shell: accepted, with a notice */
	notices = 0;
	ward_log_set_handler(count_notice, NULL, WLOG_NOTICE);
	assert_int_equal(template_dir(root, NULL, &err), 0);
	assert_int_equal(notices, 1);
	/* bin/sh through an absolute symlink read in the rootfs, not on the
	 * host (merged /usr: bin -> /usr/bin) */
	assert_int_equal(mkdir(path_in(t, "root/ward-elsewhere"), 0755), 0);
	write_text(path_in(t, "root/ward-elsewhere/sh"), "x");
	assert_int_equal(symlink("/ward-elsewhere", path_in(t, "root/bin")), 0);
	assert_int_equal(template_dir(root, NULL, &err), 0);
	ward_log_set_handler(NULL, NULL, WLOG_ERROR);
	assert_int_equal(notices, 1);
}

/* ------------------------------------------------------------------ */
/* rootfs_chown_shift */

#define FROM 100000U
#define TO   110000U /* overlapping FROM's block: a second shift would show */

static void mk(const char *path, mode_t mode, uid_t u, gid_t g)
{
	if (S_ISDIR(mode))
		assert_int_equal(mkdir(path, 0700), 0);
	else if (S_ISFIFO(mode))
		assert_int_equal(mkfifo(path, 0600), 0);
	else
		write_text(path, "x");
	assert_int_equal(lchown(path, u, g), 0);
	assert_int_equal(chmod(path, mode & 07777), 0);
}

static void test_chown_shift(void **state)
{
	struct tmp *t = *state;
	/* a v3 capability of FROM's root */
	unsigned char caps[24] = {0x01, 0x00, 0x00, 0x03, 0x00, 0x20}, got[64];
	char p[PATH_MAX];
	struct stat st;
	ward_err err = {0};
	int r;

#define AT(rel) (snprintf(p, sizeof(p), "%s/%s", t->rootfs, rel), p)
	caps[20] = FROM & 0xff;
	caps[21] = (FROM >> 8) & 0xff;
	caps[22] = (FROM >> 16) & 0xff;
	mk(t->rootfs, DIR_MODE(0755), FROM, FROM);
	mk(AT("bin"), DIR_MODE(02775), FROM, FROM + 5);
	mk(AT("bin/su"), FILE_MODE(04755), FROM, FROM);
	mk(AT("bin/sg"), FILE_MODE(02755), FROM + 1, FROM + 42);
	mk(AT("bin/ping"), FILE_MODE(0755), FROM, FROM);
	assert_int_equal(setxattr(p, "security.capability", caps, sizeof(caps), 0), 0);
	mk(AT("bin/a"), FILE_MODE(0644), FROM + 7, FROM + 7);
	assert_int_equal(link(AT("bin/a"), path_in(t, "rootfs/bin/b")), 0);
	mk(AT("host"), FILE_MODE(0644), 1000, 1000);
	mk(AT("half"), FILE_MODE(0644), FROM + 3, 1000);
	mk(AT("fifo"), S_IFIFO | 0600, FROM + 2, FROM + 2);
	/* a symlink to a file outside, both owned in the block */
	mk(path_in(t, "outside"), FILE_MODE(0644), FROM + 3, FROM + 3);
	assert_int_equal(symlink(path_in(t, "outside"), AT("out")), 0);
	assert_int_equal(lchown(p, FROM + 3, FROM + 3), 0);
	/* a file also linked from outside the tree */
	mk(path_in(t, "linked"), FILE_MODE(0644), FROM + 4, FROM + 4);
	assert_int_equal(link(path_in(t, "linked"), AT("linked")), 0);
	assert_int_equal(link(path_in(t, "linked"), AT("bin/linked")), 0);
	/* hard links in different directories, all in the tree */
	mk(AT("bin/c"), FILE_MODE(0644), FROM + 8, FROM + 8);
	assert_int_equal(link(AT("bin/c"), path_in(t, "rootfs/c")), 0);

	r = rootfs_chown_shift(t->rootfs, FROM, FROM, TO, TO, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(r, 3); /* host, half and linked */
	assert_owner(t->rootfs, TO, TO);
	assert_owner(AT("bin"), TO, TO + 5);
	assert_mode(p, DIR_MODE(02775));
	assert_owner(AT("bin/su"), TO, TO);
	assert_mode(p, FILE_MODE(04755));
	assert_owner(AT("bin/sg"), TO + 1, TO + 42);
	assert_mode(p, FILE_MODE(02755));
	assert_int_equal(getxattr(AT("bin/ping"), "security.capability", got, sizeof(got)), 24);
	assert_int_equal(got[20] | got[21] << 8 | got[22] << 16 | (uint32_t)got[23] << 24, TO);
	assert_int_equal(got[5], 0x20);
	/* shifted once, not once per name */
	assert_owner(AT("bin/a"), TO + 7, TO + 7);
	assert_owner(AT("bin/b"), TO + 7, TO + 7);
	assert_owner(AT("bin/c"), TO + 8, TO + 8);
	assert_owner(AT("linked"), FROM + 4, FROM + 4);
	assert_owner(AT("host"), 1000, 1000);
	assert_owner(AT("half"), TO + 3, 1000);
	assert_owner(AT("fifo"), TO + 2, TO + 2);
	assert_owner(AT("out"), TO + 3, TO + 3);
	assert_int_equal(lstat(AT("out"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_owner(path_in(t, "outside"), FROM + 3, FROM + 3);
#undef AT
	/* back to the host's ids: ownership yes, privileges no */
	r = rootfs_chown_shift(t->rootfs, TO, TO, 0, 0, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
#define AT(rel) (snprintf(p, sizeof(p), "%s/%s", t->rootfs, rel), p)
	assert_owner(AT("bin/su"), 0, 0);
	assert_mode(p, FILE_MODE(0755));
	assert_owner(AT("bin/sg"), 1, 42);
	assert_mode(p, FILE_MODE(0755));
	assert_owner(AT("bin"), 0, 5);
	assert_mode(p, DIR_MODE(02775));
	assert_int_equal(getxattr(AT("bin/ping"), "security.capability", got, sizeof(got)), -1);
	assert_int_equal(errno, ENODATA);
	/* and from the host's ids to a container's: kept */
	assert_int_equal(chmod(AT("bin/su"), 04755), 0);
	/* linked: also named outside */
	assert_int_equal(rootfs_chown_shift(t->rootfs, 0, 0, FROM, FROM, &err), 1);
	assert_owner(AT("bin/su"), FROM, FROM);
	assert_mode(p, FILE_MODE(04755));
#undef AT
	/* a block that does not fit; a rootfs that is a symlink */
	assert_int_equal(rootfs_chown_shift(t->rootfs, TO, TO, UINT32_MAX - 100, TO, &err),
			 -ERANGE);
	assert_int_equal(symlink(t->rootfs, path_in(t, "rootlink")), 0);
	assert_true(rootfs_chown_shift(path_in(t, "rootlink"), FROM, FROM, TO, TO, &err) < 0);
	assert_owner(t->rootfs, FROM, FROM);
}

/* A tree deeper than the fds a process may hold, shifted there and back. */
static void test_chown_shift_deep(void **state)
{
	struct tmp *t = *state;
	struct rlimit old, low;
	ward_err err = {0};
	struct stat st;
	int fd, r;

	mk(t->rootfs, DIR_MODE(0755), FROM, FROM);
	fd = open(t->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (int i = 0; i < 600; i++) {
		int next;
		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		assert_int_equal(fchownat(fd, "d", FROM + 1, FROM + 1, 0), 0);
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	assert_int_equal(mkfifoat(fd, "bottom", 0600), 0);
	assert_int_equal(fchownat(fd, "bottom", FROM + 2, FROM + 2, 0), 0);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	r = rootfs_chown_shift(t->rootfs, FROM, FROM, TO, TO, &err);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	if (r < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(fstatat(fd, "bottom", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_uid, TO + 2);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_uid, TO + 1);
	close(fd);
	assert_int_equal(rootfs_chown_shift(t->rootfs, TO, TO, FROM, FROM, &err), 0);
	assert_owner(t->rootfs, FROM, FROM);
}

/* ------------------------------------------------------------------ */
/* in a private mount namespace */

/* Run FN in a forked child with a mount namespace of its own (its mounts
 * go with it); a message it returns fails the test. */
typedef const char *(*ns_fn)(struct tmp *t);

static void in_mount_ns(struct tmp *t, ns_fn fn)
{
	char msg[512] = "";
	int p[2], st;
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *m;
		close(p[0]);
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(77);
		m = fn(t);
		if (m && write(p[1], m, strlen(m)) < 0)
			_exit(2);
		_exit(m ? 1 : 0);
	}
	close(p[1]);
	n = read(p[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		print_message("no private mount namespace here (unshare): skipped\n");
		skip();
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("in the mount namespace: %s", msg[0] ? msg : "died");
}

#define NS_CHECK(cond, ...)                                                                        \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			static char _m[512];                                                       \
			snprintf(_m, sizeof(_m), __VA_ARGS__);                                     \
			return _m;                                                                 \
		}                                                                                  \
	} while (0)

static const char *shift_mount(struct tmp *t)
{
	const char *mnt = path_in(t, "rootfs/mnt"), *f = path_in(t, "rootfs/mnt/f"),
		   *bound = path_in(t, "rootfs/bound"), *src = path_in(t, "src");
	struct stat st;
	ward_err err = {0};
	int r;

	NS_CHECK(mkdir(t->rootfs, 0755) == 0 && chown(t->rootfs, FROM, FROM) == 0, "mkdir");
	NS_CHECK(mkdir(mnt, 0755) == 0 && chown(mnt, FROM, FROM) == 0, "mkdir mnt");
	NS_CHECK(mount("tmpfs", mnt, "tmpfs", 0, "size=1m") == 0, "mount tmpfs: %m");
	NS_CHECK(write_file_atomic(f, "x", 1, 0644) == 0 && chown(f, FROM + 1, FROM + 1) == 0,
		 "write %s", f);
	NS_CHECK(chown(mnt, FROM, FROM) == 0, "chown");
	/* a file bind-mounted from outside the tree */
	NS_CHECK(write_file_atomic(src, "x", 1, 0644) == 0 && chown(src, FROM + 9, FROM + 9) == 0,
		 "src");
	NS_CHECK(write_file_atomic(bound, "y", 1, 0644) == 0, "bound");
	NS_CHECK(mount(src, bound, NULL, MS_BIND, NULL) == 0, "bind: %m");
	r = rootfs_chown_shift(t->rootfs, FROM, FROM, TO, TO, &err);
	NS_CHECK(r >= 0, "shift: %s", err.msg);
	NS_CHECK(stat(f, &st) == 0 && st.st_uid == FROM + 1, "the mount was entered");
	NS_CHECK(stat(src, &st) == 0 && st.st_uid == FROM + 9, "the bound file was changed");
	NS_CHECK(stat(t->rootfs, &st) == 0 && st.st_uid == TO, "the root was not shifted");
	umount2(bound, MNT_DETACH);
	umount2(mnt, MNT_DETACH);
	return NULL;
}

static void test_chown_shift_mounts(void **state)
{
	in_mount_ns(*state, shift_mount);
}

/* ------------------------------------------------------------------ */
/* the store's directories */

static void test_store_dirs(void **state)
{
	struct tmp *t = *state;
	const char *top = path_in(t, "lib/containers");
	_cleanup_free_ char *dir = NULL;
	struct stat st;
	ward_err err = {0};

	assert_int_equal(store_dir(&t->ctx, "../x", &dir), -EINVAL);
	assert_int_equal(store_dir(&t->ctx, "web", &dir), 0);
	assert_string_equal(dir, path_in(t, "lib/containers/web"));
	assert_int_equal(store_create_dir(&t->ctx, "web", &err), 0);
	assert_int_equal(lstat(top, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(lstat(dir, &st), 0);
	assert_int_equal(st.st_mode, DIR_MODE(0700));
	assert_int_equal(store_create_dir(&t->ctx, "web", &err), -EEXIST);
	assert_string_equal(err.msg, "container web already exists");
	assert_int_equal(store_create_dir(&t->ctx, "a/b", &err), -EINVAL);
	assert_int_equal(store_create_dir(&t->ctx, "", &err), -EINVAL);
	assert_int_equal(store_remove(&t->ctx, "..", &err), -EINVAL);
	/* a containers directory an older ward left 0755 */
	assert_int_equal(chmod(top, 0755), 0);
	assert_int_equal(store_create_dir(&t->ctx, "db", &err), 0);
	assert_int_equal(lstat(top, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	/* removal, twice; a store that was never made */
	assert_int_equal(store_remove(&t->ctx, "web", &err), 0);
	assert_gone(dir);
	assert_int_equal(store_remove(&t->ctx, "web", &err), 0);
	t->ctx.lib_dir = "/nonexistent/ward-lib";
	assert_int_equal(store_remove(&t->ctx, "web", &err), 0);
}

/* Removal goes through whatever the container made and follows no
 * symlink out of it. */
static void test_store_remove_symlinks(void **state)
{
	struct tmp *t = *state;
	const char *out = path_in(t, "outside"), *keep = path_in(t, "outside/keep");
	_cleanup_free_ char *dir = NULL;
	char p[PATH_MAX];
	ward_err err = {0};

	assert_int_equal(mkdir(out, 0755), 0);
	write_text(keep, "keep");
	assert_int_equal(store_create_dir(&t->ctx, "web", &err), 0);
	assert_int_equal(store_dir(&t->ctx, "web", &dir), 0);
#define AT(rel) (snprintf(p, sizeof(p), "%s/%s", dir, rel), p)
	assert_int_equal(mkdir(AT("rootfs"), 0755), 0);
	assert_int_equal(symlink(out, AT("rootfs/abs")), 0);
	assert_int_equal(symlink("../../../../outside", AT("rootfs/rel")), 0);
	assert_int_equal(symlink(keep, AT("rootfs/file")), 0);
	assert_int_equal(mkdir(AT("rootfs/locked"), 0), 0);
	write_text(AT("rootfs/locked/f"), "x");
	assert_int_equal(chmod(p, 0), 0);
	assert_int_equal(lchown(p, UID + 5, GID + 5), 0);
	assert_int_equal(mkfifo(AT("rootfs/fifo"), 0600), 0);
	assert_int_equal(chmod(AT("rootfs/locked"), 0), 0);
#undef AT
	assert_int_equal(store_remove(&t->ctx, "web", &err), 0);
	assert_gone(dir);
	assert_file(keep, "keep", 4);

	/* the container's directory itself a symlink: the link goes */
	assert_int_equal(symlink(out, dir), 0);
	assert_int_equal(store_remove(&t->ctx, "web", &err), 0);
	assert_gone(dir);
	assert_file(keep, "keep", 4);
}

/* A tree deeper than the fds a process may hold. */
static void test_store_remove_deep(void **state)
{
	struct tmp *t = *state;
	_cleanup_free_ char *dir = NULL;
	struct rlimit old, low;
	ward_err err = {0};
	int fd, r;

	assert_int_equal(store_create_dir(&t->ctx, "deep", &err), 0);
	assert_int_equal(store_dir(&t->ctx, "deep", &dir), 0);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (int i = 0; i < 600; i++) {
		int next;
		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		if (i % 50 == 0) {
			int f = openat(fd, "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			assert_true(f >= 0);
			close(f);
		}
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	close(fd);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	r = store_remove(&t->ctx, "deep", &err);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	if (r < 0)
		fail_msg("%s", err.msg);
	assert_gone(dir);
}

static const char *remove_mount(struct tmp *t)
{
	const char *src = path_in(t, "src");
	_cleanup_free_ char *dir = NULL, *mnt = NULL, *f = NULL, *bound = NULL, *after = NULL;
	ward_err err = {0};
	int r;

	NS_CHECK(store_create_dir(&t->ctx, "web", &err) == 0, "%s", err.msg);
	NS_CHECK(store_dir(&t->ctx, "web", &dir) == 0, "store_dir");
	mnt = xasprintf("%s/rootfs/z/mnt", dir);
	f = xasprintf("%s/f", mnt);
	bound = xasprintf("%s/rootfs/bound", dir);
	after = xasprintf("%s/rootfs/zz", dir);
	NS_CHECK(mkdir_p(mnt, 0755) == 0, "mkdir %s", mnt);
	NS_CHECK(mount("tmpfs", mnt, "tmpfs", 0, "size=1m") == 0, "mount tmpfs: %m");
	NS_CHECK(write_file_atomic(f, "x", 1, 0644) == 0, "write %s", f);
	NS_CHECK(write_file_atomic(after, "x", 1, 0644) == 0, "write %s", after);
	r = store_remove(&t->ctx, "web", &err);
	NS_CHECK(r == -EBUSY, "store_remove: %d %s", r, err.msg);
	NS_CHECK(strstr(err.msg, mnt), "the message names not the mount point: %s", err.msg);
	NS_CHECK(path_exists(f), "the mount was entered");
	NS_CHECK(!path_exists(after), "the rest was not removed");
	umount2(mnt, MNT_DETACH);
	NS_CHECK(store_remove(&t->ctx, "web", &err) == 0, "store_remove after umount: %s", err.msg);
	NS_CHECK(!path_exists(dir), "%s is still there", dir);

	/* a file bind-mounted over one of the container's */
	NS_CHECK(store_create_dir(&t->ctx, "web", &err) == 0, "%s", err.msg);
	NS_CHECK(mkdir_p(after, 0755) == 0, "mkdir");
	NS_CHECK(write_file_atomic(src, "keep", 4, 0644) == 0, "src");
	NS_CHECK(write_file_atomic(bound, "y", 1, 0644) == 0, "bound");
	NS_CHECK(mount(src, bound, NULL, MS_BIND, NULL) == 0, "bind: %m");
	r = store_remove(&t->ctx, "web", &err);
	NS_CHECK(r == -EBUSY, "store_remove of a bound file: %d %s", r, err.msg);
	NS_CHECK(strstr(err.msg, bound), "the message names not the bound file: %s", err.msg);
	umount2(bound, MNT_DETACH);
	NS_CHECK(path_exists(src), "the bound file's source is gone");

	/* the container's directory a mount point */
	NS_CHECK(store_remove(&t->ctx, "web", &err) == 0, "%s", err.msg);
	NS_CHECK(store_create_dir(&t->ctx, "web", &err) == 0, "%s", err.msg);
	NS_CHECK(mount("tmpfs", dir, "tmpfs", 0, "size=1m") == 0, "mount tmpfs: %m");
	NS_CHECK(write_file_atomic(f = (free(f), xasprintf("%s/f", dir)), "x", 1, 0644) == 0, "f");
	r = store_remove(&t->ctx, "web", &err);
	NS_CHECK(r == -EBUSY, "store_remove of a mount point: %d %s", r, err.msg);
	NS_CHECK(path_exists(f), "the mount was entered");
	umount2(dir, MNT_DETACH);
	return NULL;
}

static void test_store_remove_mounts(void **state)
{
	in_mount_ns(*state, remove_mount);
}

/* rm_rf (the state directory's removal) never descends into a mount
 * point, also not a bind mount of the same file system, whose st_dev is
 * the directory's own: a container without a mount namespace has its
 * bundle's rootfs bound below its state directory. */
static const char *rm_rf_bind(struct tmp *t)
{
	const char *src = path_in(t, "bundle");
	const char *state = path_in(t, "state");
	_cleanup_free_ char *keep = xasprintf("%s/keep", src);
	_cleanup_free_ char *mnt = xasprintf("%s/rootfs", state);
	struct stat a, b;

	NS_CHECK(mkdir_p(src, 0755) == 0 && mkdir_p(mnt, 0755) == 0, "mkdir");
	NS_CHECK(write_file_atomic(keep, "x", 1, 0644) == 0, "write %s", keep);
	NS_CHECK(mount(src, mnt, NULL, MS_BIND, NULL) == 0, "bind: %m");
	NS_CHECK(stat(src, &a) == 0 && stat(mnt, &b) == 0 && a.st_dev == b.st_dev,
		 "the bind is not of the same file system");
	rm_rf(state);
	NS_CHECK(path_exists(keep), "rm_rf went into the bind mount and removed %s", keep);
	umount2(mnt, MNT_DETACH);
	NS_CHECK(rm_rf(state) == 0 && !path_exists(state), "%s not removed", state);
	return NULL;
}

static void test_rm_rf_stops_at_binds(void **state)
{
	in_mount_ns(*state, rm_rf_bind);
}

/* ------------------------------------------------------------------ */
/* subordinate ids */

struct ids {
	char subuid[PATH_MAX], subgid[PATH_MAX];
};

static void fake_subids(struct tmp *t, struct ids *f, const char *u, const char *g)
{
	snprintf(f->subuid, sizeof(f->subuid), "%s/subuid", t->dir);
	snprintf(f->subgid, sizeof(f->subgid), "%s/subgid", t->dir);
	write_text(f->subuid, u);
	write_text(f->subgid, g);
}

static bool disjoint(uint32_t a, uint32_t b)
{
	return (uint64_t)a + WARD_SUBID_COUNT <= b || (uint64_t)b + WARD_SUBID_COUNT <= a;
}

static void test_subid_alloc(void **state)
{
	struct tmp *t = *state;
	struct ids f;
	uint32_t u1, g1, u2, g2, u, g;
	ward_err err = {0};

	fake_subids(t, &f, "alice:100000:65536\nroot:300000:655360\n", "0:500000:655360\n");
	assert_int_equal(subid_lookup(&t->ctx, "a", &u, &g), -ENOENT);
	assert_int_equal(subid_alloc(&t->ctx, "a", f.subuid, f.subgid, &u1, &g1, &err), 0);
	assert_int_equal(subid_alloc(&t->ctx, "b", f.subuid, f.subgid, &u2, &g2, &err), 0);
	assert_int_equal(u1, 300000);
	assert_int_equal(g1, 500000);
	assert_true(disjoint(u1, u2));
	assert_true(disjoint(g1, g2));
	assert_true(u2 >= 300000 && u2 + WARD_SUBID_COUNT <= 300000 + 655360);
	/* the same name: the same blocks */
	assert_int_equal(subid_alloc(&t->ctx, "a", f.subuid, f.subgid, &u, &g, &err), 0);
	assert_int_equal(u, u1);
	assert_int_equal(g, g1);
	assert_int_equal(subid_lookup(&t->ctx, "a", &u, &g), 0);
	assert_int_equal(u, u1);
	assert_int_equal(g, g1);
	/* freed: gone, and the next name gets its blocks */
	assert_int_equal(subid_free(&t->ctx, "a", &err), 0);
	assert_int_equal(subid_free(&t->ctx, "a", &err), 0);
	assert_int_equal(subid_lookup(&t->ctx, "a", &u, &g), -ENOENT);
	assert_int_equal(subid_alloc(&t->ctx, "c", f.subuid, f.subgid, &u, &g, &err), 0);
	assert_int_equal(u, u1);
	assert_int_equal(g, g1);
	assert_int_equal(subid_alloc(&t->ctx, "../x", f.subuid, f.subgid, &u, &g, &err), -EINVAL);
	/* the longest name there is */
	{
		const char *longest =
		    "a23456789012345678901234567890123456789012345678901234567890123";
		uint32_t lu, lg;
		assert_int_equal(strlen(longest), 63);
		assert_int_equal(subid_alloc(&t->ctx, longest, f.subuid, f.subgid, &lu, &lg, &err),
				 0);
		assert_int_equal(subid_lookup(&t->ctx, longest, &u, &g), 0);
		assert_int_equal(u, lu);
		assert_int_equal(subid_alloc(&t->ctx, longest, f.subuid, f.subgid, &u, &g, &err),
				 0);
		assert_int_equal(u, lu);
		assert_int_equal(g, lg);
	}
	assert_int_equal(subid_free(&t->ctx, "never", &err), 0);
}

static void test_subid_enospc(void **state)
{
	struct tmp *t = *state;
	struct ids f;
	uint32_t u1, g1, u2, g2, u, g;
	ward_err err = {0};

	fake_subids(t, &f, "root:100000:131072\n", "root:100000:131072\n");
	assert_int_equal(subid_alloc(&t->ctx, "a", f.subuid, f.subgid, &u1, &g1, &err), 0);
	assert_int_equal(subid_alloc(&t->ctx, "b", f.subuid, f.subgid, &u2, &g2, &err), 0);
	assert_true(disjoint(u1, u2));
	assert_int_equal(subid_alloc(&t->ctx, "c", f.subuid, f.subgid, &u, &g, &err), -ENOSPC);
	assert_contains(err.msg, "no free block of 65536 subordinate uids in root's range");
	assert_contains(err.msg, f.subuid);
	assert_int_equal(subid_lookup(&t->ctx, "c", &u, &g), -ENOENT);
	/* the failed name left nothing behind */
	assert_int_equal(subid_free(&t->ctx, "b", &err), 0);
	assert_int_equal(subid_alloc(&t->ctx, "c", f.subuid, f.subgid, &u, &g, &err), 0);
	assert_int_equal(u, u2);
	/* a range smaller than a block holds none */
	fake_subids(t, &f, "root:100000:65535\n", "root:100000:131072\n");
	assert_int_equal(subid_alloc(&t->ctx, "d", f.subuid, f.subgid, &u, &g, &err), -ENOSPC);
}

static void test_subid_default(void **state)
{
	struct tmp *t = *state;
	struct ids f;
	uint32_t u1, g1, u2, g2;
	ward_err err = {0};

	/* no root line in subuid: ward's range, moved past what is listed */
	fake_subids(t, &f, "alice:100000:65536\nbob:1000000000:100000\n", "root:100000:655360\n");
	assert_int_equal(subid_alloc(&t->ctx, "a", f.subuid, f.subgid, &u1, &g1, &err), 1);
	assert_int_equal(u1, g1);
	assert_true(u1 >= 1000100000);
	assert_int_equal(subid_alloc(&t->ctx, "b", f.subuid, f.subgid, &u2, &g2, &err), 1);
	assert_int_equal(u2, g2);
	assert_true(disjoint(u1, u2));
	assert_int_equal(subid_alloc(&t->ctx, "a", f.subuid, f.subgid, &u2, &g2, &err), 1);
	assert_int_equal(u2, u1);
	/* files that do not exist: the default range itself */
	snprintf(f.subuid, sizeof(f.subuid), "%s/none-u", t->dir);
	snprintf(f.subgid, sizeof(f.subgid), "%s/none-g", t->dir);
	assert_int_equal(subid_alloc(&t->ctx, "c", f.subuid, f.subgid, &u2, &g2, &err), 1);
	assert_true(u2 >= WARD_DEFAULT_SUBID_START);
	assert_true(disjoint(u1, u2));
}

/* What a ward killed half way leaves, sorted out. */
static void test_subid_crash(void **state)
{
	struct tmp *t = *state;
	const char *reg = path_in(t, "lib/subids.d");
	char p[PATH_MAX];
	struct ids f;
	uint32_t u, g, u2, g2;
	ward_err err = {0};

#define AT(rel) (snprintf(p, sizeof(p), "%s/%s", reg, rel), p)
	fake_subids(t, &f, "root:100000:655360\n", "root:100000:655360\n");
	assert_int_equal(mkdir_p(reg, 0755), 0);
	/* killed while writing the record: an empty one */
	write_text(AT("@a"), "");
	assert_int_equal(subid_lookup(&t->ctx, "a", &u, &g), -ENOENT);
	assert_int_equal(subid_alloc(&t->ctx, "a", f.subuid, f.subgid, &u, &g, &err), 0);
	assert_int_equal(u, 100000);
	assert_int_equal(subid_lookup(&t->ctx, "a", &u2, &g2), 0);
	/* killed after the record: no block files */
	write_text(AT("@b"), "165536 165536\n");
	assert_int_equal(subid_lookup(&t->ctx, "b", &u, &g), -ENOENT);
	assert_int_equal(subid_free(&t->ctx, "b", &err), 0);
	assert_gone(AT("@b"));
	/* killed while writing a block file: an empty one, which must not
	 * hold the block for ever */
	write_text(AT("@c"), "165536 165536\n");
	write_text(AT("u165536"), "");
	assert_int_equal(subid_lookup(&t->ctx, "c", &u, &g), -ENOENT);
	assert_int_equal(subid_free(&t->ctx, "c", &err), 0);
	assert_gone(AT("u165536"));
	assert_int_equal(subid_alloc(&t->ctx, "d", f.subuid, f.subgid, &u, &g, &err), 0);
	assert_int_equal(u, 165536);
	assert_int_equal(g, 165536);
	/* the same, sorted out by allocating the name again */
	write_text(AT("@e"), "231072 231072\n");
	write_text(AT("u231072"), "e\n");
	write_text(AT("g231072"), "");
	assert_int_equal(subid_alloc(&t->ctx, "e", f.subuid, f.subgid, &u, &g, &err), 0);
	assert_int_equal(u, 231072);
	assert_int_equal(g, 231072);
	assert_int_equal(subid_lookup(&t->ctx, "e", &u2, &g2), 0);
	/* a record naming a block another container holds does not take it */
	write_text(AT("@f"), "100000 100000\n");
	assert_int_equal(subid_free(&t->ctx, "f", &err), 0);
	assert_int_equal(subid_lookup(&t->ctx, "a", &u, &g), 0);
	assert_int_equal(u, 100000);
	/* a garbled record */
	write_text(AT("@g"), "12x 7\n");
	assert_int_equal(subid_alloc(&t->ctx, "g", f.subuid, f.subgid, &u, &g, &err), 0);
	assert_true(disjoint(u, 100000) && disjoint(u, 165536) && disjoint(u, 231072));
#undef AT
}

/* Twenty wards allocating at once get twenty disjoint blocks. */
static void test_subid_concurrent(void **state)
{
	struct tmp *t = *state;
	enum { N = 20 };
	uint32_t us[N], gs[N];
	struct ids f;
	int go[2], res[2];
	pid_t pids[N];

	fake_subids(t, &f, "root:100000:1310720\n", "root:2000000:1310720\n");
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	assert_int_equal(pipe2(res, O_CLOEXEC), 0);
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			uint32_t out[3] = {(uint32_t)i, 0, 0};
			ward_err err = {0};
			char name[16], c;
			close(go[1]);
			/* all start together: when the parent closes the pipe */
			if (read(go[0], &c, 1) < 0)
				_exit(3);
			snprintf(name, sizeof(name), "c%d", i);
			if (subid_alloc(&t->ctx, name, f.subuid, f.subgid, &out[1], &out[2],
					&err) != 0)
				_exit(1);
			if (write(res[1], out, sizeof(out)) != sizeof(out))
				_exit(2);
			_exit(0);
		}
	}
	close(go[0]);
	close(res[1]);
	close(go[1]);
	for (int i = 0; i < N; i++) {
		uint32_t in[3];
		assert_int_equal(read(res[0], in, sizeof(in)), sizeof(in));
		assert_true(in[0] < N);
		us[in[0]] = in[1];
		gs[in[0]] = in[2];
	}
	close(res[0]);
	for (int i = 0; i < N; i++) {
		int st;
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	for (int i = 0; i < N; i++) {
		char name[16];
		uint32_t u, g;
		assert_true(us[i] >= 100000 && us[i] + WARD_SUBID_COUNT <= 100000 + 1310720);
		assert_true(gs[i] >= 2000000 && gs[i] + WARD_SUBID_COUNT <= 2000000 + 1310720);
		for (int j = 0; j < i; j++) {
			assert_true(disjoint(us[i], us[j]));
			assert_true(disjoint(gs[i], gs[j]));
		}
		snprintf(name, sizeof(name), "c%d", i);
		assert_int_equal(subid_lookup(&t->ctx, name, &u, &g), 0);
		assert_int_equal(u, us[i]);
		assert_int_equal(g, gs[i]);
	}
}

/* ------------------------------------------------------------------ */

#define T(f) cmocka_unit_test_setup_teardown(f, tmp_setup, tmp_teardown)
#define TP(name, f, arg)                                                                           \
	{                                                                                          \
		name, f, tmp_setup, tmp_teardown, (void *)(arg)                                    \
	}

int main(void)
{
	static const char *const comps[] = {"gzip", "xz", "zstd", "none", "bzip2"};
	static const struct CMUnitTest fixed[] = {
	    T(test_tar_umask),
	    T(test_refuse_deep_name),
	    T(test_refuse_through_absolute_symlink),
	    T(test_absolute_symlinks_accepted),
	    T(test_devices_skipped),
	    T(test_tar_bad_input),
	    T(test_tar_compressions),
	    cmocka_unit_test(test_progress_bar),
	    T(test_progress_on_failure),
	    T(test_busybox),
	    T(test_busybox_refused),
	    T(test_template_dir),
	    T(test_chown_shift),
	    T(test_chown_shift_deep),
	    T(test_chown_shift_mounts),
	    T(test_store_dirs),
	    T(test_store_remove_symlinks),
	    T(test_store_remove_deep),
	    T(test_store_remove_mounts),
	    T(test_rm_rf_stops_at_binds),
	    T(test_subid_alloc),
	    T(test_subid_enospc),
	    T(test_subid_default),
	    T(test_subid_crash),
	    T(test_subid_concurrent),
	};
	struct CMUnitTest tests[ARRAY_SIZE(fixed) + ARRAY_SIZE(comps) + ARRAY_SIZE(refusals)];
	char names[ARRAY_SIZE(comps)][32];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(comps); i++) {
		snprintf(names[i], sizeof(names[i]), "test_roundtrip_%s", comps[i]);
		tests[n++] = (struct CMUnitTest)TP(names[i], test_roundtrip, comps[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(refusals); i++)
		tests[n++] = (struct CMUnitTest)TP(refusals[i].title, test_refusal, &refusals[i]);
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		tests[n++] = fixed[i];
	if (geteuid() != 0) {
		print_message("test_store needs root (it chowns to subordinate ids): skipped\n");
		return 77;
	}
	umask(022);
	return _cmocka_run_group_tests("test_store", tests, n, NULL, NULL);
}
