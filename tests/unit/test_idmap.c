/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * User namespace id maps: reading /etc/subuid-style files, choosing ward's
 * default range around the entries they hold, filling a spec for
 * --userns auto, and mapping container ids to host ids.  All files are
 * temporary ones; nothing here reads /etc or writes /proc.
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

#include "runtime/container.h"
#include "runtime/idmap.h"
#include "spec/spec.h"
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
/* a temporary directory per test */

struct tmp {
	char dir[64];
	char path[4][PATH_MAX];
};

static int tmp_setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/ward-test-idmap.XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
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

/* Write CONTENT to a file in the test's directory; returns its path (kept
 * in slot I).  CONTENT NULL: only the path, for a file that does not exist. */
static const char *tmpfile_with(struct tmp *t, int i, const char *name, const char *content)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", t->dir, name);
	memcpy(t->path[i], p, sizeof(p));
	if (content && write_file_atomic(t->path[i], content, strlen(content), 0644) < 0)
		fail_msg("cannot write %s", t->path[i]);
	return t->path[i];
}

/* ------------------------------------------------------------------ */
/* subid_find */

static const char subuid_text[] = "# subordinate ids\n"
				  "#zed:800000:65536\n"
				  "alice:100000:65536\n"
				  "\n"
				  "bad line without colons\n"
				  "bob:x:65536\n"
				  "carol:200000\n"
				  "dave:300000:0\n"
				  "frank:-1:5\n"
				  "gina:4294967296:1\n"
				  "1001:400000:65536\n"
				  "   erin:500000:65536   \n"
				  "root:600000:65536\n"
				  "root:700000:65536\n"
				  "last:900000:131072"; /* no newline at the end */

static void test_find(void **state)
{
	struct tmp *t = *state;
	const char *f = tmpfile_with(t, 0, "subuid", subuid_text);
	static const struct {
		const char *user;
		uid_t uid;
		int r;
		uint32_t start, count;
	} cases[] = {
	    {"alice", 5000, 1, 100000, 65536},
	    /* by numeric uid when the name has no entry */
	    {"nobody-here", 1001, 1, 400000, 65536},
	    /* the first matching line wins, by name or by uid */
	    {"alice", 1001, 1, 100000, 65536},
	    {"root", 0, 1, 600000, 65536},
	    /* white space around a line is ignored */
	    {"erin", 5000, 1, 500000, 65536},
	    {"last", 5000, 1, 900000, 131072},
	    /* malformed lines and comments are skipped */
	    {"bob", 5000, 0, 0, 0},
	    {"carol", 5000, 0, 0, 0},
	    {"dave", 5000, 0, 0, 0},
	    {"frank", 5000, 0, 0, 0},
	    {"gina", 5000, 0, 0, 0},
	    {"#zed", 5000, 0, 0, 0},
	    {"zed", 5000, 0, 0, 0},
	    /* whole names only */
	    {"ali", 5000, 0, 0, 0},
	    {"alice2", 5000, 0, 0, 0},
	    {"100", 100, 0, 0, 0},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct subid_range r = {7, 7};
		int ret = subid_find(f, cases[i].user, cases[i].uid, &r);

		if (ret != cases[i].r)
			fail_msg("subid_find(%s, %u) = %d, want %d", cases[i].user,
				 (unsigned)cases[i].uid, ret, cases[i].r);
		if (ret == 1) {
			assert_int_equal(r.start, cases[i].start);
			assert_int_equal(r.count, cases[i].count);
		} else {
			/* not found: the output is left alone */
			assert_int_equal(r.start, 7);
			assert_int_equal(r.count, 7);
		}
	}
}

static void test_find_missing_file(void **state)
{
	struct tmp *t = *state;
	struct subid_range r = {7, 7};

	assert_int_equal(subid_find(tmpfile_with(t, 0, "absent", NULL), "root", 0, &r), 0);
	assert_int_equal(r.start, 7);
	/* an empty file is no different */
	assert_int_equal(subid_find(tmpfile_with(t, 1, "empty", ""), "root", 0, &r), 0);
}

/* "-errno on read errors": a file that opens but cannot be read. */
static void test_find_read_error(void **state)
{
	struct tmp *t = *state;
	struct subid_range r = {7, 7};

	assert_int_equal(subid_find(t->dir, "root", 0, &r), -EISDIR);
}

/* ------------------------------------------------------------------ */
/* subid_default */

#define START WARD_DEFAULT_SUBID_START /* 1000000000, not 64k-aligned */
#define COUNT WARD_SUBID_COUNT

static uint32_t default_for(struct tmp *t, const char *uids, const char *gids, uint32_t start,
			    uint32_t count)
{
	const char *fu = tmpfile_with(t, 0, "subuid", uids);
	const char *fg = tmpfile_with(t, 1, "subgid", gids);
	uint32_t out = 7;
	int r = subid_default(fu, fg, start, count, &out);

	if (r != 0)
		fail_msg("subid_default: %d", r);
	return out;
}

static void test_default(void **state)
{
	struct tmp *t = *state;
	uint32_t out = 7;

	/* no files: the start as it is */
	assert_int_equal(subid_default(tmpfile_with(t, 0, "nouid", NULL),
				       tmpfile_with(t, 1, "nogid", NULL), START, COUNT, &out),
			 0);
	assert_int_equal(out, START);

	/* entries that only touch the candidate do not overlap it */
	assert_int_equal(default_for(t, "a:999934464:65536\nb:1000065536:10\n", "c:0:1000000000\n",
				     START, COUNT),
			 START);

	/* an overlap in subuid pushes the range past it, to the next 64k boundary */
	assert_int_equal(default_for(t, "x:1000000000:100\n", "", START, COUNT), 1000013824);
	assert_int_equal(default_for(t, "x:1000065535:1\n", "", START, COUNT), 1000079360);
	/* the same from subgid alone */
	assert_int_equal(default_for(t, "", "x:999999999:2\n", START, COUNT), 1000013824);
	/* both files, one after the other: the new candidate hits subgid's entry */
	assert_int_equal(default_for(t, "x:1000000000:100\n", "y:1000013824:70000\n", START, COUNT),
			 1000144896);
	/* a range that ends on a boundary needs no rounding */
	assert_int_equal(default_for(t, "x:999000000:1013824\n", "", START, COUNT), 1000013824);
	/* several overlaps at once: past all of them */
	assert_int_equal(default_for(t, "x:1000000000:10\nz:1000060000:100000\n",
				     "y:1000000100:10\n", START, COUNT),
			 1000210432);
	/* an aligned start stays */
	assert_int_equal(default_for(t, "x:1000000000:100\n", "", 1000013824, COUNT), 1000013824);
}

static void test_default_out_of_range(void **state)
{
	struct tmp *t = *state;
	const char *fu = tmpfile_with(t, 0, "subuid", "");
	const char *fg = tmpfile_with(t, 1, "subgid", "top:4290000000:4967295\n");
	uint32_t out = 7;

	/* the range itself does not fit below 2^32 - 1 */
	assert_int_equal(subid_default(fu, fg, UINT32_MAX - 1000, COUNT, &out), -ERANGE);
	/* the last possible range fits */
	assert_int_equal(
	    subid_default(fu, tmpfile_with(t, 2, "nogid", NULL), UINT32_MAX - COUNT, COUNT, &out),
	    0);
	assert_int_equal(out, UINT32_MAX - COUNT);
	/* entries push the range to the top */
	out = 7;
	assert_int_equal(subid_default(fu, fg, 4290000000U, COUNT, &out), -ERANGE);
	assert_int_equal(out, 7);
}

/* ------------------------------------------------------------------ */
/* idmap_resolve_auto */

static struct ward_spec *spec_with_stale_maps(void)
{
	struct ward_spec *s = spec_new();

	assert_non_null(s);
	assert_int_equal(spec_add_idmap(&s->uid_maps, &s->n_uid_maps, 5, 5, 5), 0);
	assert_int_equal(spec_add_idmap(&s->uid_maps, &s->n_uid_maps, 6, 6, 6), 0);
	assert_int_equal(spec_add_idmap(&s->gid_maps, &s->n_gid_maps, 5, 5, 5), 0);
	return s;
}

static void assert_map(const struct ward_idmap *maps, size_t n, uint32_t outside)
{
	assert_int_equal(n, 1);
	assert_int_equal(maps[0].inside, 0);
	assert_int_equal(maps[0].outside, outside);
	assert_int_equal(maps[0].count, 65536);
}

static void test_auto_root_entry(void **state)
{
	struct tmp *t = *state;
	_cleanup_(spec_freep) struct ward_spec *s = spec_with_stale_maps();
	const char *fu = tmpfile_with(t, 0, "subuid", "alice:1:65536\nroot:100000:65536\n");
	const char *fg = tmpfile_with(t, 1, "subgid", "root:300000:131072\n");
	ward_err err = {0};
	bool used_default = true;

	assert_int_equal(idmap_resolve_auto(s, fu, fg, &used_default, &err), 0);
	assert_false(used_default);
	/* the stale maps are replaced; a larger range still maps 65536 ids */
	assert_map(s->uid_maps, s->n_uid_maps, 100000);
	assert_map(s->gid_maps, s->n_gid_maps, 300000);
}

static void test_auto_default(void **state)
{
	struct tmp *t = *state;
	ward_err err = {0};
	bool used_default = false;

	/* no root entry anywhere: ward's range, clear of alice's */
	{
		_cleanup_(spec_freep) struct ward_spec *s = spec_with_stale_maps();
		const char *fu = tmpfile_with(t, 0, "subuid", "alice:1000000000:65536\n");
		const char *fg = tmpfile_with(t, 1, "subgid", NULL);

		assert_int_equal(idmap_resolve_auto(s, fu, fg, &used_default, &err), 0);
		assert_true(used_default);
		assert_map(s->uid_maps, s->n_uid_maps, 1000079360);
		assert_map(s->gid_maps, s->n_gid_maps, 1000079360);
	}
	/* root only in subuid: both maps use the default range */
	{
		_cleanup_(spec_freep) struct ward_spec *s = spec_new();
		const char *fu = tmpfile_with(t, 0, "subuid2", "root:100000:65536\n");
		const char *fg = tmpfile_with(t, 1, "subgid2", "bob:1000000000:5\n");

		used_default = false;
		assert_int_equal(idmap_resolve_auto(s, fu, fg, &used_default, &err), 0);
		assert_true(used_default);
		assert_map(s->uid_maps, s->n_uid_maps, 1000013824);
		assert_map(s->gid_maps, s->n_gid_maps, 1000013824);
	}
	/* no room left for a default range */
	{
		_cleanup_(spec_freep) struct ward_spec *s = spec_with_stale_maps();
		const char *fu = tmpfile_with(t, 0, "subuid3", "all:0:4294967295\n");
		const char *fg = tmpfile_with(t, 1, "subgid3", "");

		assert_int_equal(idmap_resolve_auto(s, fu, fg, &used_default, &err), -ERANGE);
		assert_int_equal(err.code, ERANGE);
		assert_string_equal(err.msg, "choose a default subordinate id range: "
					     "Numerical result out of range");
		/* the spec is untouched */
		assert_int_equal(s->n_uid_maps, 2);
		assert_int_equal(s->n_gid_maps, 1);
	}
}

static void test_auto_too_small(void **state)
{
	struct tmp *t = *state;
	_cleanup_(spec_freep) struct ward_spec *s = spec_with_stale_maps();
	const char *fu = tmpfile_with(t, 0, "subuid", "root:100000:1000\n");
	const char *fg = tmpfile_with(t, 1, "subgid", "root:300000:65536\n");
	ward_err err = {0};
	bool used_default = true;
	char want[WARD_ERR_MSG_MAX];

	assert_int_equal(idmap_resolve_auto(s, fu, fg, &used_default, &err), -ERANGE);
	assert_false(used_default);
	assert_int_equal(err.code, ERANGE);
	snprintf(want, sizeof(want),
		 "the subordinate id range for root (1000 ids in %s, 65536 in %s) is smaller "
		 "than the 65536 a container needs",
		 fu, fg);
	assert_string_equal(err.msg, want);
	assert_int_equal(s->n_uid_maps, 2);
	assert_int_equal(s->uid_maps[0].outside, 5);

	/* one short in subgid */
	werr_clear(&err);
	fu = tmpfile_with(t, 0, "subuid", "root:100000:65536\n");
	fg = tmpfile_with(t, 1, "subgid", "root:300000:65535\n");
	assert_int_equal(idmap_resolve_auto(s, fu, fg, &used_default, &err), -ERANGE);
	assert_non_null(strstr(err.msg, "(65536 ids in "));
	assert_non_null(strstr(err.msg, ", 65535 in "));
}

/* ------------------------------------------------------------------ */
/* idmap_to_host, idmap_write's size check */

static void test_to_host(void **state)
{
	static const struct ward_idmap maps[] = {
	    {.inside = 0, .outside = 100000, .count = 65536},
	    {.inside = 65536, .outside = 500000, .count = 10},
	    {.inside = UINT32_MAX - 1, .outside = 7, .count = 1},
	};

	assert_int_equal(idmap_to_host(maps, 3, 0), 100000);
	assert_int_equal(idmap_to_host(maps, 3, 1000), 101000);
	assert_int_equal(idmap_to_host(maps, 3, 65535), 165535);
	assert_int_equal(idmap_to_host(maps, 3, 65536), 500000);
	assert_int_equal(idmap_to_host(maps, 3, 65545), 500009);
	assert_int_equal(idmap_to_host(maps, 3, 65546), UINT32_MAX);
	assert_int_equal(idmap_to_host(maps, 3, UINT32_MAX - 1), 7);
	assert_int_equal(idmap_to_host(maps, 3, UINT32_MAX), UINT32_MAX);
	assert_int_equal(idmap_to_host(maps, 1, 65536), UINT32_MAX);
	assert_int_equal(idmap_to_host(NULL, 0, 0), UINT32_MAX);
}

static void test_write_too_many(void **state)
{
	struct ward_idmap maps[200];
	ward_err err = {0};

	for (size_t i = 0; i < ARRAY_SIZE(maps); i++)
		maps[i] = (struct ward_idmap){UINT32_MAX - 1, UINT32_MAX - 1, 1};
	/* refused before anything is written (pid 0 does not exist) */
	assert_int_equal(idmap_write(0, maps, ARRAY_SIZE(maps), false, &err), -E2BIG);
	assert_string_equal(err.msg, "too many id mappings");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_find, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_find_missing_file, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_find_read_error, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_default, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_default_out_of_range, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_auto_root_entry, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_auto_default, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_auto_too_small, tmp_setup, tmp_teardown),
	    cmocka_unit_test(test_to_host),
	    cmocka_unit_test(test_write_too_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
