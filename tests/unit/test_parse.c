/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shared value parsers: sizes, CPU counts and lists, signals, names,
 * the string-vector helpers (src/util/strutil.h), and capability names and
 * id mappings (src/spec/parse.h).  Every parser is fed its good forms and
 * the bad ones it must refuse, with the exact negative errno.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/parse.h"
#include "util/cleanup.h"
#include "util/strutil.h"

/* A check of documented behaviour that ward gets wrong today.  Skipped
 * unless WARD_TEST_KNOWN_BUGS is set, so the suite stays green until the
 * fix lands; remove the line together with the fix. */
#define KNOWN_BUG(what)                                                                            \
	do {                                                                                       \
		if (!getenv("WARD_TEST_KNOWN_BUGS")) {                                             \
			print_message("known bug, skipped: %s\n", what);                           \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

#define KiB 1024LL
#define MiB (1024LL * KiB)
#define GiB (1024LL * MiB)
#define TiB (1024LL * GiB)

/* ------------------------------------------------------------------ */
/* parse_size */

static void test_size_good(void **state)
{
	static const struct {
		const char *in;
		int64_t bytes;
	} good[] = {
	    {"64m", 64 * MiB},
	    {"64M", 64 * MiB},
	    {"1G", GiB},
	    {"1g", GiB},
	    {"512k", 512 * KiB},
	    {"512K", 512 * KiB},
	    {"1.5g", 3 * GiB / 2},
	    {"1048576", 1048576},
	    {"0", 0},
	    {"64MiB", 64 * MiB},
	    {"64mb", 64 * MiB},
	    {"64MB", 64 * MiB},
	    {"64kib", 64 * KiB},
	    {"100b", 100},
	    {"100B", 100},
	    {"2t", 2 * TiB},
	    {".5k", 512},
	    {"0.25m", 256 * KiB},
	    {"8388607T", 8388607 * TiB},
	};

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		int64_t v = -7;
		int r = parse_size(good[i].in, &v);

		if (r != 0 || v != good[i].bytes)
			fail_msg("parse_size(\"%s\"): r=%d v=%" PRId64 ", want %" PRId64,
				 good[i].in, r, v, good[i].bytes);
	}
}

static void test_size_bad(void **state)
{
	static const struct {
		const char *in;
		int r;
	} bad[] = {
	    {"", -EINVAL},         {"abc", -EINVAL},
	    {"-1", -EINVAL},       {"12x", -EINVAL},
	    {" 12", -EINVAL},      {"12 ", -EINVAL},
	    {"m", -EINVAL},        {"+5", -EINVAL},
	    {"12mm", -EINVAL},     {"12bb", -EINVAL},
	    {"12ib", -EINVAL},     {"12kbx", -EINVAL},
	    {"1e400", -EINVAL},    {"9999999999999999999", -ERANGE},
	    {"9000000T", -ERANGE}, {"100000000000g", -ERANGE},
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int64_t v = -7;
		int r = parse_size(bad[i].in, &v);

		if (r != bad[i].r)
			fail_msg("parse_size(\"%s\"): r=%d, want %d", bad[i].in, r, bad[i].r);
		/* a refused value leaves the output alone */
		assert_int_equal(v, -7);
	}
	assert_int_equal(parse_size(NULL, &(int64_t){0}), -EINVAL);
}

/* 2^63 bytes passes the "v * mult > INT64_MAX" check (INT64_MAX rounds up
 * to 2^63 as a double), and the conversion back to int64_t overflows. */
static void test_size_overflow_edge(void **state)
{
	static const char *const in[] = {"9223372036854775807", "9223372036854775808", "8388608T",
					 "8192P" /* not a unit: EINVAL */};

	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		int64_t v = 0;
		int r = parse_size(in[i], &v);

		if (r == 0 && v < 0)
			fail_msg("parse_size(\"%s\") = 0 with %" PRId64, in[i], v);
		assert_true(r == 0 || r == -ERANGE || r == -EINVAL);
	}
}

/* ------------------------------------------------------------------ */
/* parse_cpus */

static void test_cpus(void **state)
{
	static const struct {
		const char *in;
		int64_t quota;
	} good[] = {
	    {"0.5", 50000}, {"2", 200000},       {"1.5", 150000},  {".25", 25000},
	    {"0.01", 1000}, {"1024", 102400000}, {"0.333", 33300},
	};
	static const struct {
		const char *in;
		int r;
	} bad[] = {
	    {"0", -ERANGE},  {"-1", -EINVAL},     {"x", -EINVAL},     {"1e9", -ERANGE},
	    {"", -EINVAL},   {"1024.5", -ERANGE}, {"0.009", -ERANGE}, {"2cpus", -EINVAL},
	    {"1 ", -EINVAL}, {"nan", -EINVAL},    {"inf", -EINVAL},
	};

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		int64_t quota = 0;
		uint64_t period = 0;

		if (parse_cpus(good[i].in, &quota, &period) != 0)
			fail_msg("parse_cpus(\"%s\") refused", good[i].in);
		assert_int_equal(period, 100000);
		if (quota != good[i].quota)
			fail_msg("parse_cpus(\"%s\"): quota %" PRId64 ", want %" PRId64, good[i].in,
				 quota, good[i].quota);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int64_t quota = 0;
		uint64_t period = 0;
		int r = parse_cpus(bad[i].in, &quota, &period);

		if (r != bad[i].r)
			fail_msg("parse_cpus(\"%s\"): r=%d, want %d", bad[i].in, r, bad[i].r);
	}
}

/* ------------------------------------------------------------------ */
/* CPU lists */

static void test_cpu_list(void **state)
{
	static const struct {
		const char *in;
		uint64_t mask;
		int max;
	} good[] = {
	    {"0-3,5", 0x2f, 5},
	    {"1", 0x2, 1},
	    {"0", 0x1, 0},
	    {"0-0", 0x1, 0},
	    {"7,2-3", 0x8c, 7},
	    {"63", 1ULL << 63, 63},
	    /* CPUs above 63 are valid but not in the 64-bit mask */
	    {"62-70", 3ULL << 62, 70},
	    {"1023", 0, 1023},
	};
	static const struct {
		const char *in;
		int r;
	} bad[] = {
	    {"3-1", -ERANGE},  {"a", -EINVAL},      {"-", -EINVAL},
	    {"", -EINVAL},     {",1", -EINVAL},     {"1,,2", -EINVAL},
	    {"1-", -EINVAL},   {"1-a", -EINVAL},    {"0-3-5", -EINVAL},
	    {"1 ", -EINVAL},   {" 1", -EINVAL},     {"1;2", -EINVAL},
	    {"1024", -ERANGE}, {"0-1024", -ERANGE}, {"99999999999999999999999", -ERANGE},
	};

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		uint64_t mask = 0xdead;

		if (parse_cpu_list(good[i].in, &mask) != 0)
			fail_msg("parse_cpu_list(\"%s\") refused", good[i].in);
		if (mask != good[i].mask)
			fail_msg("parse_cpu_list(\"%s\"): mask %#" PRIx64 ", want %#" PRIx64,
				 good[i].in, mask, good[i].mask);
		assert_int_equal(parse_cpu_list_max(good[i].in), good[i].max);
		/* the mask is optional */
		assert_int_equal(parse_cpu_list(good[i].in, NULL), 0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t mask = 0xdead;
		int r = parse_cpu_list(bad[i].in, &mask);

		if (r != bad[i].r)
			fail_msg("parse_cpu_list(\"%s\"): r=%d, want %d", bad[i].in, r, bad[i].r);
		assert_int_equal(mask, 0xdead);
	}
	assert_int_equal(parse_cpu_list(NULL, NULL), -EINVAL);
}

/* A trailing comma is refused like a leading or a doubled one. */
static void test_cpu_list_trailing_comma(void **state)
{
	uint64_t mask = 0;

	assert_int_equal(parse_cpu_list("1,", &mask), -EINVAL);
	assert_int_equal(parse_cpu_list("0-3,", &mask), -EINVAL);
}

/* ------------------------------------------------------------------ */
/* signals */

static void test_signal(void **state)
{
	static const struct {
		const char *in;
		int sig;
	} good[] = {
	    {"TERM", SIGTERM},
	    {"SIGTERM", SIGTERM},
	    {"sigterm", SIGTERM},
	    {"term", SIGTERM},
	    {"15", SIGTERM},
	    {"KILL", SIGKILL},
	    {"SIGHUP", SIGHUP},
	    {"9", SIGKILL},
	    {"usr1", SIGUSR1},
	    {"SIGWINCH", SIGWINCH},
	    {"IOT", SIGABRT},
	    {"POLL", SIGIO},
	    {"1", 1},
	    {"64", 64},
	};
	static const char *const bad[] = {
	    "0",       "99",    "NOPE",    "",        "-15",    "65",         "SIG",
	    "SIGNOPE", "TERMX", "RTMIN-1", "RTMAX+1", "RTMINX", "SIGSIGTERM",
	};
	int sig;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		sig = -1;
		if (parse_signal(good[i].in, &sig) != 0 || sig != good[i].sig)
			fail_msg("parse_signal(\"%s\") = %d, want %d", good[i].in, sig,
				 good[i].sig);
	}
	/* real-time signals, relative to the C library's SIGRTMIN/SIGRTMAX */
	assert_int_equal(parse_signal("RTMIN+2", &sig), 0);
	assert_int_equal(sig, SIGRTMIN + 2);
	assert_int_equal(parse_signal("SIGRTMIN", &sig), 0);
	assert_int_equal(sig, SIGRTMIN);
	assert_int_equal(parse_signal("rtmax-1", &sig), 0);
	assert_int_equal(sig, SIGRTMAX - 1);
	assert_int_equal(parse_signal("RTMAX", &sig), 0);
	assert_int_equal(sig, SIGRTMAX);

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		sig = -1;
		if (parse_signal(bad[i], &sig) != -EINVAL)
			fail_msg("parse_signal(\"%s\") accepted (%d)", bad[i], sig);
		assert_int_equal(sig, -1);
	}
	assert_int_equal(parse_signal(NULL, &sig), -EINVAL);

	assert_string_equal(signal_name(SIGTERM), "SIGTERM");
	assert_string_equal(signal_name(SIGKILL), "SIGKILL");
	{
		char want[32];

		snprintf(want, sizeof(want), "signal %d", SIGRTMIN + 2);
		assert_string_equal(signal_name(SIGRTMIN + 2), want);
	}
	/* every name signal_name() produces parses back */
	for (int s = 1; s < SIGRTMIN; s++) {
		const char *n = signal_name(s);
		char copy[32];

		if (startswith(n, "signal "))
			continue;
		snprintf(copy, sizeof(copy), "%s", n);
		assert_int_equal(parse_signal(copy, &sig), 0);
		assert_int_equal(sig, s);
	}
}

/* ------------------------------------------------------------------ */
/* names and strings */

static void test_name_is_valid(void **state)
{
	static const char *const good[] = {"a",       "A",      "0",  "web", "web-1",
					   "a.b_c-d", "9lives", "x_", "a..b"};
	static const char *const bad[] = {"",    "-a",  "_a",          ".a",  "a b", "a/b",
					  "a:b", "a\n", "caf\xc3\xa9", "a@b", "..",  "a\tb"};
	char name[80];

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (!name_is_valid(good[i]))
			fail_msg("name_is_valid(\"%s\") refused", good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (name_is_valid(bad[i]))
			fail_msg("name_is_valid(\"%s\") accepted", bad[i]);
	assert_false(name_is_valid(NULL));

	/* 63 characters at most */
	memset(name, 'n', 63);
	name[63] = '\0';
	assert_true(name_is_valid(name));
	name[63] = 'n';
	name[64] = '\0';
	assert_false(name_is_valid(name));
}

static void test_strstrip(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"  a b \t\n", "a b"},  {"abc", "abc"}, {"", ""},
	    {" \t\r\n\v\f", ""},    {"\nx", "x"},   {"x\n", "x"},
	    {" in ner ", "in ner"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char buf[32];
		char *r;

		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		r = strstrip(buf);
		assert_string_equal(r, cases[i].out);
		/* in place: the result points into the buffer */
		assert_true(r >= buf && r < buf + sizeof(buf));
	}
}

static void test_strv(void **state)
{
	_cleanup_strv_ char **v = NULL;
	_cleanup_strv_ char **copy = NULL;
	char *owned = strdup("three");
	size_t n = 0;
	char buf[8] = "one";

	assert_int_equal(strv_length(NULL), 0);
	assert_false(strv_contains(NULL, "x"));
	STRV_FOREACH (s, (char **)NULL)
		fail_msg("STRV_FOREACH iterated an empty vector");

	assert_int_equal(strv_push(&v, buf), 0);
	/* strv_push copies */
	strcpy(buf, "XXX");
	assert_int_equal(strv_push(&v, "two"), 0);
	assert_non_null(owned);
	assert_int_equal(strv_push_own(&v, owned), 0);
	assert_int_equal(strv_length(v), 3);
	assert_string_equal(v[0], "one");
	assert_string_equal(v[1], "two");
	assert_ptr_equal(v[2], owned); /* taken, not copied */
	assert_null(v[3]);
	assert_true(strv_contains(v, "two"));
	assert_false(strv_contains(v, "tw"));
	assert_false(strv_contains(v, "XXX"));
	/* push_own(NULL) is the failed-allocation case */
	assert_int_equal(strv_push_own(&v, NULL), -ENOMEM);
	assert_int_equal(strv_length(v), 3);

	STRV_FOREACH (s, v)
		n++;
	assert_int_equal(n, 3);

	copy = strv_copy(v);
	assert_non_null(copy);
	assert_int_equal(strv_length(copy), 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(copy[i], v[i]);
		assert_ptr_not_equal(copy[i], v[i]);
	}
	assert_null(copy[3]);

	/* a copy of nothing is an empty vector, not NULL */
	{
		_cleanup_strv_ char **empty = strv_copy(NULL);
		assert_non_null(empty);
		assert_null(empty[0]);
	}
	strv_free(NULL);
}

static void test_strict_numbers(void **state)
{
	uint64_t u64;
	int64_t i64;
	uint32_t u32;
	int i;

	assert_int_equal(parse_u64("18446744073709551615", &u64), 0);
	assert_true(u64 == UINT64_MAX);
	assert_int_equal(parse_u64("18446744073709551616", &u64), -ERANGE);
	assert_int_equal(parse_u64("-1", &u64), -EINVAL);
	assert_int_equal(parse_u64(" 1", &u64), -EINVAL);
	assert_int_equal(parse_u64("1x", &u64), -EINVAL);
	assert_int_equal(parse_i64("-9223372036854775808", &i64), 0);
	assert_true(i64 == INT64_MIN);
	assert_int_equal(parse_i64("9223372036854775808", &i64), -ERANGE);
	assert_int_equal(parse_i64("", &i64), -EINVAL);
	assert_int_equal(parse_i64("-", &i64), -EINVAL);
	assert_int_equal(parse_u32("4294967295", &u32), 0);
	assert_int_equal(u32, UINT32_MAX);
	assert_int_equal(parse_u32("4294967296", &u32), -ERANGE);
	assert_int_equal(parse_int("-2147483648", &i), 0);
	assert_int_equal(i, INT32_MIN);
	assert_int_equal(parse_int("2147483648", &i), -ERANGE);
}

/* ------------------------------------------------------------------ */
/* capabilities */

static void test_caps_from_name(void **state)
{
	static const struct {
		const char *in;
		int cap;
	} good[] = {
	    {"NET_ADMIN", CAP_NET_ADMIN},     {"cap_net_admin", CAP_NET_ADMIN},
	    {"CAP_NET_ADMIN", CAP_NET_ADMIN}, {"net_admin", CAP_NET_ADMIN},
	    {"Cap_Net_Admin", CAP_NET_ADMIN}, {"CHOWN", CAP_CHOWN},
	    {"sys_admin", CAP_SYS_ADMIN},     {"CAP_CHECKPOINT_RESTORE", 40},
	};
	static const char *const bad[] = {
	    "",           "NOPE",     "12",        "CAP_12",
	    "cap_",       "CAP_NOPE", "NET ADMIN", "NET_ADMINX",
	    "NET_ADMIN_", "cap_all",  "all",       "CAP_NET_ADMIN_CAP_NET_ADMIN_CAP_NET_ADMIN",
	};

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		int cap = -1;

		if (caps_from_name(good[i].in, &cap) != 0 || cap != good[i].cap)
			fail_msg("caps_from_name(\"%s\") = %d, want %d", good[i].in, cap,
				 good[i].cap);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int cap = -1;

		if (caps_from_name(bad[i], &cap) != -EINVAL)
			fail_msg("caps_from_name(\"%s\") accepted (%d)", bad[i], cap);
		assert_int_equal(cap, -1);
	}
	assert_int_equal(caps_from_name(NULL, &(int){0}), -EINVAL);
}

/* A name is the whole string: libcap's cap_from_name() stops at the end of
 * the longest name it knows and ignores the rest. */
static void test_caps_from_name_trailing_junk(void **state)
{
	static const char *const bad[] = {
	    "NET_ADMIN ", "net_admin junk", "SYS_ADMIN NET_RAW", "chown,kill",
	    "CHOWN\n",    "NET_ADMIN=ep",   "sys_admin.",        "cap_net_admin-",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int cap = -1;

		if (caps_from_name(bad[i], &cap) != -EINVAL)
			fail_msg("caps_from_name(\"%s\") accepted (%d)", bad[i], cap);
	}
}

static void test_caps_round_trip(void **state)
{
	for (int c = 0; c <= 40; c++) {
		char name[64];
		int back = -1;

		snprintf(name, sizeof(name), "%s", caps_to_name(c));
		if (!startswith(name, "CAP_"))
			fail_msg("caps_to_name(%d) = \"%s\"", c, name);
		for (const char *p = name; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				fail_msg("caps_to_name(%d) = \"%s\" is not upper case", c, name);
		assert_int_equal(caps_from_name(name, &back), 0);
		assert_int_equal(back, c);
		/* and without the prefix, in lower case */
		for (char *p = name; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		back = -1;
		assert_int_equal(caps_from_name(name + 4, &back), 0);
		assert_int_equal(back, c);
	}
	assert_string_equal(caps_to_name(CAP_NET_ADMIN), "CAP_NET_ADMIN");
	assert_string_equal(caps_to_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
}

/* ------------------------------------------------------------------ */
/* id mappings */

static void test_idmap_parse(void **state)
{
	static const struct {
		const char *in;
		int r;
	} bad[] = {
	    {"0:x:1", -EINVAL},
	    {"1:2", -EINVAL},
	    {"0:0:0", -EINVAL},
	    {"", -EINVAL},
	    {"::", -EINVAL},
	    {"0:0:", -EINVAL},
	    {"-1:0:1", -EINVAL},
	    {"0:0:1:1", -EINVAL},
	    {"0 :0:1", -EINVAL},
	    {"4294967296:0:1", -EINVAL},
	    {"4294967295:0:2", -ERANGE},
	    {"0:4294967295:2", -ERANGE},
	    {"2:0:4294967295", -ERANGE},
	};
	struct ward_idmap m;

	assert_int_equal(idmap_parse("0:100000:65536", &m), 0);
	assert_int_equal(m.inside, 0);
	assert_int_equal(m.outside, 100000);
	assert_int_equal(m.count, 65536);

	/* the very last id fits, one more does not */
	assert_int_equal(idmap_parse("4294967295:0:1", &m), 0);
	assert_int_equal(m.inside, UINT32_MAX);
	assert_int_equal(idmap_parse("0:0:4294967295", &m), 0);
	assert_int_equal(m.count, UINT32_MAX);
	assert_int_equal(idmap_parse("1:0:4294967295", &m), 0);
	assert_int_equal(idmap_parse("0:1:4294967295", &m), 0);

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = idmap_parse(bad[i].in, &m);

		if (r != bad[i].r)
			fail_msg("idmap_parse(\"%s\"): r=%d, want %d", bad[i].in, r, bad[i].r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_size_good),
	    cmocka_unit_test(test_size_bad),
	    cmocka_unit_test(test_size_overflow_edge),
	    cmocka_unit_test(test_cpus),
	    cmocka_unit_test(test_cpu_list),
	    cmocka_unit_test(test_cpu_list_trailing_comma),
	    cmocka_unit_test(test_signal),
	    cmocka_unit_test(test_name_is_valid),
	    cmocka_unit_test(test_strstrip),
	    cmocka_unit_test(test_strv),
	    cmocka_unit_test(test_strict_numbers),
	    cmocka_unit_test(test_caps_from_name),
	    cmocka_unit_test(test_caps_from_name_trailing_junk),
	    cmocka_unit_test(test_caps_round_trip),
	    cmocka_unit_test(test_idmap_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
