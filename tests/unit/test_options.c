/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The `ward run` option table (src/spec/options.h): every option with a
 * good value changes the spec field it documents; every bad value is
 * refused with the handler's exact message; run_settings_finish() fills in
 * the name, the hostname and the default filesystem (user mounts on top),
 * and validates the whole spec.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/if_link.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/netspec.h"
#include "spec/options.h"
#include "spec/seccomp_profile.h"
#include "spec/spec.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"
#include "util/syscalls.h"

#define KNOWN_BUG(what)                                                                            \
	do {                                                                                       \
		if (!getenv("WARD_TEST_KNOWN_BUGS")) {                                             \
			print_message("known bug, skipped: %s\n", what);                           \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

#define CAPBIT(c) (1ULL << (c))

/* ------------------------------------------------------------------ */
/* fixture: fresh run settings and a scratch directory */

struct fx {
	struct run_settings rs;
	char dir[64];  /* scratch directory (realpath'd) */
	char file[80]; /* a regular file in it */
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	ward_err err = {0};
	char tmpl[] = "/tmp/ward-test-options.XXXXXX";
	_cleanup_free_ char *real = NULL;

	if (!f || !mkdtemp(tmpl))
		return -1;
	real = realpath(tmpl, NULL);
	if (!real || strlen(real) >= sizeof(f->dir))
		return -1;
	strcpy(f->dir, real);
	snprintf(f->file, sizeof(f->file), "%s/file", f->dir);
	if (write_file_atomic(f->file, "x", 1, 0644) < 0)
		return -1;
	if (run_settings_init(&f->rs, &err) < 0) {
		print_error("run_settings_init: %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	run_settings_clear(&f->rs);
	rm_rf(f->dir);
	free(f);
	return 0;
}

static const struct run_option *opt(const char *name)
{
	const struct run_option *o = run_option_find(name);

	if (!o)
		fail_msg("no option --%s", name);
	return o;
}

static void apply_ok(struct run_settings *rs, const char *name, const char *value)
{
	ward_err err = {0};

	if (run_option_apply(rs, opt(name), value, &err) != 0)
		fail_msg("--%s %s: %s", name, value ? value : "(none)", err.msg);
	assert_int_equal(err.code, 0);
}

static const struct ward_mount *find_mount(const struct ward_spec *s, const char *dest)
{
	const struct ward_mount *found = NULL;

	for (size_t i = 0; i < s->n_mounts; i++) {
		if (!streq(s->mounts[i].destination, dest))
			continue;
		if (found)
			fail_msg("two mounts on %s", dest);
		found = &s->mounts[i];
	}
	return found;
}

static ssize_t mount_index(const struct ward_spec *s, const char *dest)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (streq(s->mounts[i].destination, dest))
			return (ssize_t)i;
	return -1;
}

static void set_command(struct run_settings *rs)
{
	assert_int_equal(strv_push(&rs->spec->process.args, "/bin/true"), 0);
}

/* ------------------------------------------------------------------ */
/* the table itself */

static void test_table(void **state)
{
	size_t n;
	const struct run_option *all = run_options(&n);
	static const struct {
		const char *name;
		int short_name;
	} shorts[] = {{"env", 'e'}, {"cwd", 'w'},         {"user", 'u'},
		      {"tty", 't'}, {"interactive", 'i'}, {"memory", 'm'}};

	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(all[i].name);
		assert_non_null(all[i].apply);
		assert_ptr_equal(run_option_find(all[i].name), &all[i]);
		if (all[i].key)
			assert_ptr_equal(run_option_find_key(all[i].key), &all[i]);
		/* a metavar exactly when there is a value to describe */
		assert_int_equal(all[i].has_arg, all[i].metavar != NULL);
		for (size_t j = i + 1; j < n; j++) {
			assert_false(streq(all[i].name, all[j].name));
			assert_false(all[i].key && all[j].key && streq(all[i].key, all[j].key));
			assert_false(all[i].short_name && all[i].short_name == all[j].short_name);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(shorts); i++)
		assert_int_equal(opt(shorts[i].name)->short_name, shorts[i].short_name);
	assert_null(run_option_find("nope"));
	assert_null(run_option_find("--memory"));
	assert_null(run_option_find(""));
	assert_null(run_option_find_key("ward.nope"));
	assert_null(run_option_find_key("memory"));
	assert_ptr_equal(run_option_find_key("ward.memory"), opt("memory"));
	assert_null(opt("config")->key); /* a config file cannot include another */
	assert_false(opt("read-only")->has_arg);
	assert_true(opt("memory")->has_arg);
}

static void test_init_defaults(void **state)
{
	struct fx *f = *state;
	const struct ward_spec *s = f->rs.spec;

	assert_non_null(s);
	assert_null(s->name);
	assert_int_equal(s->userns_mode, WUSERNS_AUTO);
	assert_true(s->ns[WNS_USER].enabled);
	assert_true(s->ns[WNS_NET].enabled);
	assert_false(s->ns[WNS_TIME].enabled);
	assert_int_equal(s->process.caps.bounding, spec_default_caps());
	assert_int_equal(s->process.caps.inheritable, 0);
	assert_true(s->process.no_new_privs);
	assert_string_equal(s->process.cwd, "/");
	assert_string_equal(spec_get_env(s, "HOME"), "/root");
	/* the built-in profile, built only when its filter is not cached */
	assert_null(s->seccomp);
	assert_true(s->seccomp_default);
	assert_int_equal(s->stop_signal, SIGTERM);
	assert_true(s->res.memory_limit == WARD_UNSET);
	assert_int_equal(s->n_mounts, 0);
	assert_false(f->rs.hostname_set);
	assert_false(f->rs.home_explicit);
}

/* ------------------------------------------------------------------ */
/* every option with a good value */

typedef void (*good_fn)(struct fx *f);

static void good_name(struct fx *f)
{
	apply_ok(&f->rs, "name", "web-1");
	assert_string_equal(f->rs.spec->name, "web-1");
	apply_ok(&f->rs, "name", "web-2"); /* the last one wins */
	assert_string_equal(f->rs.spec->name, "web-2");
}

static void good_hostname(struct fx *f)
{
	apply_ok(&f->rs, "hostname", "box.example_1");
	assert_string_equal(f->rs.spec->hostname, "box.example_1");
	assert_true(f->rs.hostname_set);
}

static void good_rootfs(struct fx *f)
{
	char in[256], want[256];

	snprintf(want, sizeof(want), "%s/root", f->dir);
	assert_int_equal(mkdir(want, 0755), 0);
	/* stored canonical */
	snprintf(in, sizeof(in), "%s/./root/", f->dir);
	apply_ok(&f->rs, "rootfs", in);
	assert_string_equal(f->rs.spec->rootfs, want);
}

static void good_read_only(struct fx *f)
{
	assert_false(f->rs.spec->rootfs_readonly);
	apply_ok(&f->rs, "read-only", NULL);
	assert_true(f->rs.spec->rootfs_readonly);
}

static void good_ephemeral(struct fx *f)
{
	ward_err err = {0};

	assert_false(f->rs.spec->rootfs_ephemeral);
	apply_ok(&f->rs, "ephemeral", NULL);
	assert_true(f->rs.spec->rootfs_ephemeral);
	/* without a root filesystem there is nothing to put an overlay on */
	assert_int_equal(run_settings_finish(&f->rs, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "--ephemeral needs a root filesystem"));
}

static void good_rootfs_idmap(struct fx *f)
{
	ward_err err = {0};

	apply_ok(&f->rs, "rootfs-idmap", NULL);
	assert_true(f->rs.spec->rootfs_idmap);
	/* nothing to idmap without a root filesystem */
	assert_int_equal(run_settings_finish(&f->rs, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "--rootfs-idmap needs a root filesystem"));
}

static void good_bind(struct fx *f)
{
	char v[256];
	const struct ward_mount *m;

	snprintf(v, sizeof(v), "%s/../%s:/data:ro", f->dir, strrchr(f->dir, '/') + 1);
	apply_ok(&f->rs, "bind", v);
	m = find_mount(f->rs.spec, "/data");
	assert_non_null(m);
	assert_string_equal(m->type, "bind");
	assert_string_equal(m->source, f->dir); /* canonical */
	assert_int_equal(m->flags, MS_BIND | MS_REC);
	assert_int_equal(m->rec_attr_set, MOUNT_ATTR_RDONLY);
	assert_false(m->host_template);

	/* rw or no mode: writable; the same destination is replaced */
	snprintf(v, sizeof(v), "%s:/data:rw", f->file);
	apply_ok(&f->rs, "bind", v);
	m = find_mount(f->rs.spec, "/data");
	assert_string_equal(m->source, f->file);
	assert_int_equal(m->rec_attr_set, 0);
	snprintf(v, sizeof(v), "%s:/other", f->dir);
	apply_ok(&f->rs, "bind", v);
	assert_int_equal(find_mount(f->rs.spec, "/other")->rec_attr_set, 0);
	assert_int_equal(f->rs.spec->n_mounts, 2);
}

static void good_tmpfs(struct fx *f)
{
	const struct ward_mount *m;

	apply_ok(&f->rs, "tmpfs", "/scratch");
	m = find_mount(f->rs.spec, "/scratch");
	assert_non_null(m);
	assert_string_equal(m->type, "tmpfs");
	assert_string_equal(m->source, "tmpfs");
	assert_string_equal(m->data, "mode=1777");
	assert_int_equal(m->flags, MS_NOSUID | MS_NODEV);

	apply_ok(&f->rs, "tmpfs", "/scratch:size=64m");
	assert_string_equal(find_mount(f->rs.spec, "/scratch")->data, "mode=1777,size=67108864");
	apply_ok(&f->rs, "tmpfs", "/scratch:mode=700,size=1k");
	assert_string_equal(find_mount(f->rs.spec, "/scratch")->data, "mode=700,size=1024");
	apply_ok(&f->rs, "tmpfs", "/scratch:mode=0");
	assert_string_equal(find_mount(f->rs.spec, "/scratch")->data, "mode=0");
	assert_int_equal(f->rs.spec->n_mounts, 1);
}

static void good_env(struct fx *f)
{
	struct ward_spec *s = f->rs.spec;
	size_t n = strv_length(s->process.env);

	apply_ok(&f->rs, "env", "FOO=bar");
	assert_string_equal(spec_get_env(s, "FOO"), "bar");
	assert_int_equal(strv_length(s->process.env), n + 1);
	/* replaces, keeps everything after the first '=' */
	apply_ok(&f->rs, "env", "FOO=a=b");
	assert_string_equal(spec_get_env(s, "FOO"), "a=b");
	apply_ok(&f->rs, "env", "PATH=/x");
	assert_string_equal(spec_get_env(s, "PATH"), "/x");
	apply_ok(&f->rs, "env", "EMPTY=");
	assert_string_equal(spec_get_env(s, "EMPTY"), "");
	assert_int_equal(strv_length(s->process.env), n + 2);
	assert_false(f->rs.home_explicit);

	/* KEY alone passes the host's value on, or nothing */
	assert_int_equal(setenv("WARD_TEST_PASSED", "from host", 1), 0);
	apply_ok(&f->rs, "env", "WARD_TEST_PASSED");
	assert_string_equal(spec_get_env(s, "WARD_TEST_PASSED"), "from host");
	unsetenv("WARD_TEST_PASSED");
	unsetenv("WARD_TEST_NOT_SET");
	apply_ok(&f->rs, "env", "WARD_TEST_NOT_SET");
	assert_null(spec_get_env(s, "WARD_TEST_NOT_SET"));
	assert_int_equal(strv_length(s->process.env), n + 3);

	apply_ok(&f->rs, "env", "HOME=/home/me");
	assert_true(f->rs.home_explicit);
	assert_string_equal(spec_get_env(s, "HOME"), "/home/me");
}

static void good_cwd(struct fx *f)
{
	apply_ok(&f->rs, "cwd", "/srv/app");
	assert_string_equal(f->rs.spec->process.cwd, "/srv/app");
}

static void good_user(struct fx *f)
{
	apply_ok(&f->rs, "user", "1000:1000");
	assert_string_equal(f->rs.spec->process.user, "1000:1000");
	apply_ok(&f->rs, "user", "nobody");
	assert_string_equal(f->rs.spec->process.user, "nobody");
}

static void good_init(struct fx *f)
{
	assert_false(f->rs.spec->init);
	apply_ok(&f->rs, "init", NULL);
	assert_true(f->rs.spec->init);
}

static void good_tty(struct fx *f)
{
	assert_false(f->rs.spec->process.terminal);
	apply_ok(&f->rs, "tty", NULL);
	assert_true(f->rs.spec->process.terminal);
}

static void good_interactive(struct fx *f)
{
	assert_false(f->rs.spec->process.interactive);
	apply_ok(&f->rs, "interactive", NULL);
	assert_true(f->rs.spec->process.interactive);
}

static void good_config(struct fx *f)
{
	apply_ok(&f->rs, "config", "a.conf");
	apply_ok(&f->rs, "config", "/etc/ward/b.conf");
	assert_int_equal(strv_length(f->rs.config_files), 2);
	assert_string_equal(f->rs.config_files[0], "a.conf");
	assert_string_equal(f->rs.config_files[1], "/etc/ward/b.conf");
}

static void good_userns(struct fx *f)
{
	struct ward_spec *s = f->rs.spec;

	apply_ok(&f->rs, "userns", "host");
	assert_int_equal(s->userns_mode, WUSERNS_HOST);
	assert_false(s->ns[WNS_USER].enabled);
	apply_ok(&f->rs, "userns", "auto");
	assert_int_equal(s->userns_mode, WUSERNS_AUTO);
	assert_true(s->ns[WNS_USER].enabled);
	apply_ok(&f->rs, "userns", "0:100000:65536");
	assert_int_equal(s->userns_mode, WUSERNS_EXPLICIT);
	assert_true(s->ns[WNS_USER].enabled);
	assert_true(f->rs.userns_explicit_seen);
	assert_int_equal(s->n_uid_maps, 1);
	assert_int_equal(s->n_gid_maps, 1);
	assert_int_equal(s->uid_maps[0].outside, 100000);
	assert_int_equal(s->gid_maps[0].count, 65536);
}

static void good_cap_add(struct fx *f)
{
	const struct ward_caps *c = &f->rs.spec->process.caps;
	uint64_t def = spec_default_caps();

	assert_false(def & CAPBIT(CAP_NET_ADMIN));
	apply_ok(&f->rs, "cap-add", "NET_ADMIN");
	assert_int_equal(c->bounding, def | CAPBIT(CAP_NET_ADMIN));
	assert_int_equal(c->effective, def | CAPBIT(CAP_NET_ADMIN));
	assert_int_equal(c->permitted, def | CAPBIT(CAP_NET_ADMIN));
	/* not inheritable or ambient: only the container's root gets them */
	assert_int_equal(c->inheritable, 0);
	assert_int_equal(c->ambient, 0);
	apply_ok(&f->rs, "cap-add", "cap_sys_ptrace,CAP_SYS_NICE");
	assert_int_equal(c->bounding, def | CAPBIT(CAP_NET_ADMIN) | CAPBIT(CAP_SYS_PTRACE) |
					  CAPBIT(CAP_SYS_NICE));
	apply_ok(&f->rs, "cap-add", "ALL");
	assert_true(c->bounding == ~0ULL);
}

static void good_cap_drop(struct fx *f)
{
	struct ward_caps *c = &f->rs.spec->process.caps;
	uint64_t def = spec_default_caps();

	c->inheritable = c->ambient = CAPBIT(CAP_CHOWN) | CAPBIT(CAP_KILL);
	apply_ok(&f->rs, "cap-drop", "CHOWN");
	assert_int_equal(c->bounding, def & ~CAPBIT(CAP_CHOWN));
	assert_int_equal(c->effective, def & ~CAPBIT(CAP_CHOWN));
	assert_int_equal(c->permitted, def & ~CAPBIT(CAP_CHOWN));
	assert_int_equal(c->inheritable, CAPBIT(CAP_KILL));
	assert_int_equal(c->ambient, CAPBIT(CAP_KILL));
	apply_ok(&f->rs, "cap-drop", "all");
	assert_int_equal(c->bounding, 0);
	assert_int_equal(c->effective, 0);
	assert_int_equal(c->permitted, 0);
	assert_int_equal(c->inheritable, 0);
	assert_int_equal(c->ambient, 0);
}

static const char custom_profile[] =
    "{\"defaultAction\": \"SCMP_ACT_ALLOW\","
    " \"syscalls\": [{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\"}]}";

static void write_profile(struct fx *f, char *path, size_t len)
{
	snprintf(path, len, "%s/profile.json", f->dir);
	assert_int_equal(write_file_atomic(path, custom_profile, strlen(custom_profile), 0644), 0);
}

static void good_seccomp(struct fx *f)
{
	char path[256];

	write_profile(f, path, sizeof(path));
	apply_ok(&f->rs, "seccomp", path);
	assert_non_null(f->rs.spec->seccomp);
	assert_int_equal(f->rs.spec->seccomp->default_action, WSC_ALLOW);
	assert_int_equal(f->rs.spec->seccomp->n_rules, 1);
	assert_string_equal(f->rs.spec->seccomp->rules[0].names[0], "getcwd");
	assert_false(f->rs.spec->seccomp_default);
	apply_ok(&f->rs, "seccomp", "unconfined");
	assert_null(f->rs.spec->seccomp);
	assert_false(f->rs.spec->seccomp_default);
}

static void good_security_opt(struct fx *f)
{
	struct ward_process *p = &f->rs.spec->process;
	char v[300];

	p->no_new_privs = false;
	apply_ok(&f->rs, "security-opt", "no-new-privileges");
	assert_true(p->no_new_privs);
	p->no_new_privs = false;
	apply_ok(&f->rs, "security-opt", "no-new-privileges=true");
	assert_true(p->no_new_privs);

	/* "unconfined" and "disable" need no LSM and change nothing */
	apply_ok(&f->rs, "security-opt", "apparmor=unconfined");
	assert_null(p->apparmor_profile);
	apply_ok(&f->rs, "security-opt", "label=disable");
	assert_null(p->selinux_label);

	snprintf(v, sizeof(v), "seccomp=");
	write_profile(f, v + strlen(v), sizeof(v) - strlen(v));
	apply_ok(&f->rs, "security-opt", v);
	assert_int_equal(f->rs.spec->seccomp->default_action, WSC_ALLOW);
	apply_ok(&f->rs, "security-opt", "seccomp=unconfined");
	assert_null(f->rs.spec->seccomp);
}

static void good_memory(struct fx *f)
{
	apply_ok(&f->rs, "memory", "64m");
	assert_int_equal(f->rs.spec->res.memory_limit, 64LL << 20);
	apply_ok(&f->rs, "memory", "6m"); /* the minimum */
	assert_int_equal(f->rs.spec->res.memory_limit, 6LL << 20);
	apply_ok(&f->rs, "memory", "2G");
	assert_int_equal(f->rs.spec->res.memory_limit, 2LL << 30);
	assert_true(f->rs.spec->res.memory_swap == WARD_UNSET);
}

static void good_memory_swap(struct fx *f)
{
	apply_ok(&f->rs, "memory-swap", "128m");
	assert_int_equal(f->rs.spec->res.memory_swap, 128LL << 20);
	apply_ok(&f->rs, "memory-swap", "-1");
	assert_int_equal(f->rs.spec->res.memory_swap, -1);
	assert_true(f->rs.spec->res.memory_limit == WARD_UNSET);
}

static void good_cpus(struct fx *f)
{
	apply_ok(&f->rs, "cpus", "1.5");
	assert_int_equal(f->rs.spec->res.cpu_quota, 150000);
	assert_int_equal(f->rs.spec->res.cpu_period, 100000);
	apply_ok(&f->rs, "cpus", "0.5");
	assert_int_equal(f->rs.spec->res.cpu_quota, 50000);
}

static void good_cpu_weight(struct fx *f)
{
	apply_ok(&f->rs, "cpu-weight", "500");
	assert_int_equal(f->rs.spec->res.cpu_weight, 500);
	apply_ok(&f->rs, "cpu-weight", "1");
	assert_int_equal(f->rs.spec->res.cpu_weight, 1);
	apply_ok(&f->rs, "cpu-weight", "10000");
	assert_int_equal(f->rs.spec->res.cpu_weight, 10000);
	assert_true(f->rs.spec->res.cpu_shares == WARD_UNSET);
}

static void good_cpuset_cpus(struct fx *f)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	char all[32];

	apply_ok(&f->rs, "cpuset-cpus", "0");
	assert_string_equal(f->rs.spec->res.cpuset_cpus, "0");
	snprintf(all, sizeof(all), "0-%ld", ncpu - 1);
	apply_ok(&f->rs, "cpuset-cpus", all);
	assert_string_equal(f->rs.spec->res.cpuset_cpus, all);
}

static void good_pids_limit(struct fx *f)
{
	apply_ok(&f->rs, "pids-limit", "100");
	assert_int_equal(f->rs.spec->res.pids_limit, 100);
	apply_ok(&f->rs, "pids-limit", "max");
	assert_int_equal(f->rs.spec->res.pids_limit, -1);
	apply_ok(&f->rs, "pids-limit", "4194304");
	assert_int_equal(f->rs.spec->res.pids_limit, 4194304);
	apply_ok(&f->rs, "pids-limit", "-1");
	assert_int_equal(f->rs.spec->res.pids_limit, -1);
}

static void good_io_weight(struct fx *f)
{
	apply_ok(&f->rs, "io-weight", "50");
	assert_int_equal(f->rs.spec->res.io_weight, 50);
	assert_true(f->rs.spec->res.blkio_weight == WARD_UNSET);
}

static void good_net(struct fx *f)
{
	struct ward_spec *s = f->rs.spec;

	ward_err err = {0};

	apply_ok(&f->rs, "net", "host");
	assert_false(s->ns[WNS_NET].enabled);
	assert_int_equal(s->net->ifs[0].type, WNET_HOST);
	/* host and none stand alone */
	assert_int_equal(run_option_apply(&f->rs, opt("net"), "none", &err), -EINVAL);
	assert_string_equal(err.msg, "'none' cannot be combined with other --net values");
	assert_int_equal(run_option_apply(&f->rs, opt("net"), "dmz", &err), -EINVAL);
	assert_false(s->ns[WNS_NET].enabled);
	assert_int_equal(strv_length(f->rs.nets), 1);
	assert_string_equal(f->rs.nets[0], "host");
}

static void good_net_interfaces(struct fx *f)
{
	struct ward_net_spec *n;

	apply_ok(&f->rs, "net", "dmz");
	apply_ok(&f->rs, "net", "macvlan:eth0:private");
	apply_ok(&f->rs, "net", "vlan:eth0:42");
	apply_ok(&f->rs, "net", "phys:eth9");
	n = f->rs.spec->net;
	assert_non_null(n);
	assert_int_equal(n->n_ifs, 4);
	assert_int_equal(n->ifs[0].type, WNET_NETWORK);
	assert_string_equal(n->ifs[0].network, "dmz");
	assert_int_equal(n->ifs[1].type, WNET_MACVLAN);
	assert_string_equal(n->ifs[1].link, "eth0");
	assert_int_equal(n->ifs[1].macvlan_mode, MACVLAN_MODE_PRIVATE);
	assert_int_equal(n->ifs[2].type, WNET_VLAN);
	assert_int_equal(n->ifs[2].vlan_id, 42);
	assert_int_equal(n->ifs[3].type, WNET_PHYS);
	assert_true(f->rs.spec->ns[WNS_NET].enabled);
}

static void good_ip(struct fx *f)
{
	struct ward_net_spec *n;

	/* before any --net: the default network's interface */
	apply_ok(&f->rs, "ip", "10.10.20.10");
	apply_ok(&f->rs, "net", "dmz");
	n = f->rs.spec->net;
	assert_int_equal(n->n_ifs, 1);
	assert_string_equal(n->ifs[0].network, "dmz");
	assert_true(n->ifs[0].has_ip4);
	assert_int_equal(ntohl(n->ifs[0].ip4.s_addr), 0x0a0a140a);
	assert_int_equal(n->ifs[0].prefix4, 0);
	/* after a second --net: that one's */
	apply_ok(&f->rs, "net", "lan");
	apply_ok(&f->rs, "ip", "10.0.5.2/16");
	assert_int_equal(n->ifs[1].prefix4, 16);
	assert_false(n->ifs[1].has_ip6);
}

static void good_ip6(struct fx *f)
{
	struct ward_net_spec *n;

	apply_ok(&f->rs, "ip6", "fd00:10::5");
	n = f->rs.spec->net;
	assert_true(n->ifs[0].has_ip6);
	assert_false(n->ifs[0].has_ip4);
	assert_int_equal(n->ifs[0].ip6.s6_addr[0], 0xfd);
	assert_int_equal(n->ifs[0].ip6.s6_addr[15], 5);
}

static void good_mac(struct fx *f)
{
	struct ward_net_spec *n;

	apply_ok(&f->rs, "mac", "02:00:0A:0b:0c:0d");
	n = f->rs.spec->net;
	assert_true(n->ifs[0].has_mac);
	assert_int_equal(n->ifs[0].mac[0], 2);
	assert_int_equal(n->ifs[0].mac[3], 0x0b);
	assert_int_equal(n->ifs[0].mac[5], 0x0d);
}

static void good_dns(struct fx *f)
{
	apply_ok(&f->rs, "dns", "192.0.2.53");
	apply_ok(&f->rs, "dns", "2001:db8::53");
	assert_int_equal(strv_length(f->rs.spec->net->dns), 2);
	assert_string_equal(f->rs.spec->net->dns[1], "2001:db8::53");
}

static void good_publish(struct fx *f)
{
	struct ward_net_spec *n;

	apply_ok(&f->rs, "publish", "8080:80");
	apply_ok(&f->rs, "publish", "192.0.2.1:53:53/udp");
	apply_ok(&f->rs, "publish", "[2001:db8::1]:443:443");
	n = f->rs.spec->net;
	assert_int_equal(n->n_publish, 3);
	assert_true(n->publish[0].any_host);
	assert_int_equal(n->publish[0].host_port, 8080);
	assert_int_equal(n->publish[0].container_port, 80);
	assert_int_equal(n->publish[0].proto, IPPROTO_TCP);
	assert_false(n->publish[1].any_host);
	assert_int_equal(n->publish[1].family, AF_INET);
	assert_int_equal(n->publish[1].proto, IPPROTO_UDP);
	assert_int_equal(n->publish[2].family, AF_INET6);
	assert_int_equal(n->publish[2].host_port, 443);
}

static void good_allow_out(struct fx *f)
{
	static const struct {
		const char *v;
		enum fw_allow_kind kind;
		int family;
		unsigned int prefix;
		uint8_t proto;
		uint16_t port;
	} cases[] = {
	    {"tcp/25", FW_ALLOW_SVC, 0, 0, IPPROTO_TCP, 25},
	    {"udp/123", FW_ALLOW_SVC, 0, 0, IPPROTO_UDP, 123},
	    {"192.0.2.7", FW_ALLOW_DST, AF_INET, 32, 0, 0},
	    {"10.0.0.0/8", FW_ALLOW_DST, AF_INET, 8, 0, 0},
	    {"10.10.20.1:tcp/3128", FW_ALLOW_DSTSVC, AF_INET, 32, IPPROTO_TCP, 3128},
	    {"10.0.0.0/8:tcp/25", FW_ALLOW_DSTSVC, AF_INET, 8, IPPROTO_TCP, 25},
	    {"fd00::/64", FW_ALLOW_DST, AF_INET6, 64, 0, 0},
	    {"[fd00::1]:udp/53", FW_ALLOW_DSTSVC, AF_INET6, 128, IPPROTO_UDP, 53},
	    {"host:tcp/5432", FW_ALLOW_HOST, 0, 0, IPPROTO_TCP, 5432},
	    {"any", FW_ALLOW_ANY, 0, 0, 0, 0},
	};
	struct ward_net_spec *n;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		apply_ok(&f->rs, "allow-out", cases[i].v);
	apply_ok(&f->rs, "allow-out", "dns");
	n = f->rs.spec->net;
	assert_true(n->allow_dns);
	assert_int_equal(n->n_allow, ARRAY_SIZE(cases));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct fw_allow *a = &n->allow[i];
		if (a->kind != cases[i].kind || a->proto != cases[i].proto ||
		    a->port != cases[i].port ||
		    (cases[i].family &&
		     (a->family != cases[i].family || a->prefix != cases[i].prefix)))
			fail_msg("--allow-out %s: kind %d family %d/%u proto %u port %u",
				 cases[i].v, a->kind, a->family, a->prefix, a->proto, a->port);
	}
}

static void good_net_log(struct fx *f)
{
	apply_ok(&f->rs, "net-log", NULL);
	assert_true(f->rs.spec->net->net_log);
}

static void good_stop_signal(struct fx *f)
{
	apply_ok(&f->rs, "stop-signal", "KILL");
	assert_int_equal(f->rs.spec->stop_signal, SIGKILL);
	apply_ok(&f->rs, "stop-signal", "SIGUSR1");
	assert_int_equal(f->rs.spec->stop_signal, SIGUSR1);
	apply_ok(&f->rs, "stop-signal", "2");
	assert_int_equal(f->rs.spec->stop_signal, SIGINT);
}

static const struct {
	const char *name;
	good_fn fn;
} good_cases[] = {
    {"name", good_name},
    {"hostname", good_hostname},
    {"rootfs", good_rootfs},
    {"read-only", good_read_only},
    {"ephemeral", good_ephemeral},
    {"rootfs-idmap", good_rootfs_idmap},
    {"bind", good_bind},
    {"tmpfs", good_tmpfs},
    {"env", good_env},
    {"cwd", good_cwd},
    {"user", good_user},
    {"init", good_init},
    {"tty", good_tty},
    {"interactive", good_interactive},
    {"config", good_config},
    {"userns", good_userns},
    {"cap-add", good_cap_add},
    {"cap-drop", good_cap_drop},
    {"seccomp", good_seccomp},
    {"security-opt", good_security_opt},
    {"memory", good_memory},
    {"memory-swap", good_memory_swap},
    {"cpus", good_cpus},
    {"cpu-weight", good_cpu_weight},
    {"cpuset-cpus", good_cpuset_cpus},
    {"pids-limit", good_pids_limit},
    {"io-weight", good_io_weight},
    {"net", good_net},
    {"net", good_net_interfaces},
    {"ip", good_ip},
    {"ip6", good_ip6},
    {"mac", good_mac},
    {"dns", good_dns},
    {"publish", good_publish},
    {"allow-out", good_allow_out},
    {"net-log", good_net_log},
    {"stop-signal", good_stop_signal},
};

static void test_every_option_good(void **state)
{
	size_t n;
	const struct run_option *all = run_options(&n);

	/* every option in the table has a case here */
	for (size_t i = 0; i < n; i++) {
		bool covered = false;

		for (size_t j = 0; j < ARRAY_SIZE(good_cases); j++)
			covered = covered || streq(good_cases[j].name, all[i].name);
		if (!covered)
			fail_msg("--%s has no test case", all[i].name);
	}
	for (size_t j = 0; j < ARRAY_SIZE(good_cases); j++) {
		void *fs = NULL;

		/* each case on fresh settings */
		assert_int_equal(fx_setup(&fs), 0);
		good_cases[j].fn(fs);
		fx_teardown(&fs);
	}
}

/* ------------------------------------------------------------------ */
/* bad values: the handler's exact message ("@" stands for the scratch
 * directory) */

#define LONG65 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* clang-format off */
static const struct {
	const char *name, *value;
	int code;
	const char *msg;
} bad_cases[] = {
	{"name", "-x", EINVAL, "invalid name '-x': use letters, digits, '_', '.', '-' (at most 63, starting with a letter or digit)"},
	{"name", "", EINVAL, "invalid name '': use letters, digits, '_', '.', '-' (at most 63, starting with a letter or digit)"},
	{"name", "a/b", EINVAL, "invalid name 'a/b': use letters, digits, '_', '.', '-' (at most 63, starting with a letter or digit)"},
	{"hostname", "", EINVAL, "invalid hostname '': 1 to 64 characters"},
	{"hostname", LONG65, EINVAL, "invalid hostname '" LONG65 "': 1 to 64 characters"},
	{"hostname", "a b", EINVAL, "invalid hostname 'a b'"},
	{"hostname", "host/x", EINVAL, "invalid hostname 'host/x'"},
	{"rootfs", "@/missing", ENOENT, "root filesystem @/missing: No such file or directory"},
	{"rootfs", "@/file", ENOTDIR, "root filesystem @/file is not a directory"},
	{"rootfs", "/", EINVAL, "the host's / cannot be a container's root filesystem"},
	{"rootfs", "@/../../../../..", EINVAL, "the host's / cannot be a container's root filesystem"},
	{"bind", "nocolon", EINVAL, "'nocolon' is not SRC:DST[:ro|rw]"},
	{"bind", "rel:/x", EINVAL, "source 'rel' is not an absolute path"},
	{"bind", "@:rel", EINVAL, "destination 'rel' is not an absolute path"},
	{"bind", "@:", EINVAL, "destination '' is not an absolute path"},
	{"bind", "@:/a/../b", EINVAL, "destination '/a/../b' contains '..'"},
	{"bind", "@:/a/..", EINVAL, "destination '/a/..' contains '..'"},
	{"bind", "@:/..", EINVAL, "destination '/..' contains '..'"},
	{"bind", "@:/", EINVAL, "cannot mount over the container's /"},
	{"bind", "@:/x:rx", EINVAL, "mode 'rx' is not ro or rw"},
	{"bind", "@:/x:", EINVAL, "mode '' is not ro or rw"},
	{"bind", "@:/x:ro:rw", EINVAL, "mode 'ro:rw' is not ro or rw"},
	{"bind", "@/missing:/x", ENOENT, "source @/missing: No such file or directory"},
	{"bind", "@/file/x:/x", ENOTDIR, "source @/file/x: Not a directory"},
	{"tmpfs", "rel", EINVAL, "destination 'rel' is not an absolute path"},
	{"tmpfs", "/:size=1m", EINVAL, "cannot mount over the container's /"},
	{"tmpfs", "/x/../y", EINVAL, "destination '/x/../y' contains '..'"},
	{"tmpfs", "/x:size=abc", EINVAL, "invalid size 'abc'"},
	{"tmpfs", "/x:size=0", EINVAL, "invalid size '0'"},
	{"tmpfs", "/x:size=", EINVAL, "invalid size ''"},
	{"tmpfs", "/x:size=-1", EINVAL, "invalid size '-1'"},
	{"tmpfs", "/x:mode=99", EINVAL, "invalid mode '99'"},
	{"tmpfs", "/x:mode=", EINVAL, "invalid mode ''"},
	{"tmpfs", "/x:mode=17777", EINVAL, "invalid mode '17777'"},
	{"tmpfs", "/x:mode=rwx", EINVAL, "invalid mode 'rwx'"},
	{"tmpfs", "/x:uid=0", EINVAL, "unknown tmpfs option 'uid=0' (size=BYTES, mode=OCTAL)"},
	{"tmpfs", "/x:size=1m,exec", EINVAL, "unknown tmpfs option 'exec' (size=BYTES, mode=OCTAL)"},
	{"env", "=x", EINVAL, "'=x' is not KEY=VALUE"},
	{"env", "", EINVAL, "'' is not KEY=VALUE"},
	{"env", "A B=c", EINVAL, "variable name in 'A B=c' contains white space"},
	{"env", "A\tB", EINVAL, "variable name in 'A\tB' contains white space"},
	{"cwd", "srv", EINVAL, "'srv' is not an absolute path"},
	{"cwd", "", EINVAL, "'' is not an absolute path"},
	{"user", "", EINVAL, "'' is not USER[:GROUP]"},
	{"user", ":1", EINVAL, "':1' is not USER[:GROUP]"},
	{"user", "1:", EINVAL, "'1:' is not USER[:GROUP]"},
	{"userns", "x", EINVAL, "'x' is not auto, host or INSIDE:HOST:COUNT"},
	{"userns", "", EINVAL, "'' is not auto, host or INSIDE:HOST:COUNT"},
	{"userns", "0:0:0", EINVAL, "'0:0:0' is not auto, host or INSIDE:HOST:COUNT"},
	{"userns", "4294967295:0:2", EINVAL, "'4294967295:0:2' is not auto, host or INSIDE:HOST:COUNT"},
	{"userns", "AUTO", EINVAL, "'AUTO' is not auto, host or INSIDE:HOST:COUNT"},
	{"cap-add", "NOPE", EINVAL, "unknown capability 'NOPE'"},
	{"cap-add", "CHOWN,NOPE", EINVAL, "unknown capability 'NOPE'"},
	{"cap-add", "12", EINVAL, "unknown capability '12'"},
	{"cap-drop", "bogus", EINVAL, "unknown capability 'bogus'"},
	{"seccomp", "@/missing.json", ENOENT, "seccomp profile @/missing.json: No such file or directory"},
	{"seccomp", "@/array.json", EINVAL, "@/array.json: expected a JSON object"},
	{"security-opt", "bogus", EINVAL, "unknown security option 'bogus' (apparmor=PROFILE, label=LABEL, seccomp=FILE|unconfined, no-new-privileges)"},
	{"security-opt", "no-new-privileges=false", EINVAL, "unknown security option 'no-new-privileges=false' (apparmor=PROFILE, label=LABEL, seccomp=FILE|unconfined, no-new-privileges)"},
	{"security-opt", "seccomp=@/missing.json", ENOENT, "seccomp profile @/missing.json: No such file or directory"},
	{"memory", "abc", EINVAL, "invalid size 'abc' (BYTES[kKmMgG])"},
	{"memory", "-1", EINVAL, "invalid size '-1' (BYTES[kKmMgG])"},
	{"memory", "", EINVAL, "invalid size '' (BYTES[kKmMgG])"},
	{"memory", "1m", ERANGE, "memory limit 1m is below the 6M minimum"},
	{"memory", "6291455", ERANGE, "memory limit 6291455 is below the 6M minimum"},
	{"memory-swap", "x", EINVAL, "invalid size 'x' (BYTES[kKmMgG])"},
	{"memory-swap", "-2", EINVAL, "invalid size '-2' (BYTES[kKmMgG])"},
	{"cpus", "0", EINVAL, "invalid CPU count '0' (a number such as 0.5 or 2)"},
	{"cpus", "x", EINVAL, "invalid CPU count 'x' (a number such as 0.5 or 2)"},
	{"cpus", "2000", EINVAL, "invalid CPU count '2000' (a number such as 0.5 or 2)"},
	{"cpu-weight", "0", EINVAL, "'0' is not a number from 1 to 10000"},
	{"cpu-weight", "10001", EINVAL, "'10001' is not a number from 1 to 10000"},
	{"cpu-weight", "abc", EINVAL, "'abc' is not a number from 1 to 10000"},
	{"cpu-weight", "5.5", EINVAL, "'5.5' is not a number from 1 to 10000"},
	{"cpuset-cpus", "a", EINVAL, "'a' is not a CPU list such as 0-3,5"},
	{"cpuset-cpus", "3-1", EINVAL, "'3-1' is not a CPU list such as 0-3,5"},
	{"pids-limit", "0", EINVAL, "'0' is not a number from 1 to 4194304"},
	{"pids-limit", "-2", EINVAL, "'-2' is not a number from 1 to 4194304"},
	{"pids-limit", "4194305", EINVAL, "'4194305' is not a number from 1 to 4194304"},
	{"pids-limit", "maximum", EINVAL, "'maximum' is not a number from 1 to 4194304"},
	{"io-weight", "10001", EINVAL, "'10001' is not a number from 1 to 10000"},
	{"io-weight", "0", EINVAL, "'0' is not a number from 1 to 10000"},
	{"net", "", EINVAL, "'' is not a network name"},
	{"net", "a b", EINVAL, "'a b' is not a network name"},
	{"net", "macvlan:", EINVAL, "'macvlan:': '' is not an interface name"},
	{"net", "macvlan:eth0:loud", EINVAL, "'macvlan:eth0:loud': unknown macvlan mode 'loud' (private, vepa, bridge, passthru)"},
	{"net", "vlan:eth0:4095", EINVAL, "'vlan:eth0:4095' is not vlan:PARENT:ID (ID 1-4094)"},
	{"net", "vlan:eth0", EINVAL, "'vlan:eth0' is not vlan:PARENT:ID (ID 1-4094)"},
	{"net", "phys:eth0:1", EINVAL, "'phys:eth0:1' is not phys:IFNAME"},
	{"net", "tun:x", EINVAL, "'tun:x': unknown type 'tun' (NETWORK, none, host, macvlan:, vlan:, phys:, bridge:)"},
	{"ip", "10.0.0.300", EINVAL, "'10.0.0.300' is not an IPv4 address"},
	{"ip", "fd00::1", EINVAL, "'fd00::1' is not an IPv4 address"},
	{"ip6", "10.0.0.1", EINVAL, "'10.0.0.1' is not an IPv6 address"},
	{"mac", "02:00:00:00:00", EINVAL, "'02:00:00:00:00' is not a MAC address (aa:bb:cc:dd:ee:ff)"},
	{"mac", "01:00:5e:00:00:01", EINVAL, "'01:00:5e:00:00:01' is a multicast MAC address"},
	{"mac", "00:00:00:00:00:00", EINVAL, "'00:00:00:00:00:00' is the all-zero MAC address"},
	{"dns", "resolver", EINVAL, "'resolver' is not an IP address"},
	{"publish", "80", EINVAL, "'80' is not [HOSTIP:]HOSTPORT:PORT[/PROTO]"},
	{"publish", "0:80", EINVAL, "'0:80': ports are numbers from 1 to 65535"},
	{"publish", "80:80/icmp", EINVAL, "'80:80/icmp': unknown protocol 'icmp' (tcp, udp, sctp)"},
	{"publish", "web:80:80", EINVAL, "'web:80:80': 'web' is not an IP address"},
	{"allow-out", "tcp/", EINVAL, "'tcp/' is not PROTO/PORT, ADDR[/LEN], ADDR[/LEN]:PROTO/PORT, host:PROTO/PORT, dns or any"},
	{"allow-out", "tcp/99999", EINVAL, "'tcp/99999' is not PROTO/PORT, ADDR[/LEN], ADDR[/LEN]:PROTO/PORT, host:PROTO/PORT, dns or any"},
	{"allow-out", "10.0.0.0/33", EINVAL, "'10.0.0.0/33': '10.0.0.0/33' is not ADDR[/LEN]"},
	{"allow-out", "host:25", EINVAL, "'host:25' is not host:PROTO/PORT"},
	{"allow-out", "[fd00::1]", EINVAL, "'[fd00::1]' is not [ADDR6[/LEN]]:PROTO/PORT"},
	{"stop-signal", "NOPE", EINVAL, "unknown signal 'NOPE'"},
	{"stop-signal", "0", EINVAL, "unknown signal '0'"},
};
/* clang-format on */

/* "@" -> the scratch directory */
static void expand(const struct fx *f, const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 1 < len; in++) {
		if (*in == '@') {
			o += (size_t)snprintf(out + o, len - o, "%s", f->dir);
			continue;
		}
		out[o++] = *in;
	}
	out[o < len ? o : len - 1] = '\0';
}

static void test_every_option_bad(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		void *fs = NULL;
		struct fx *f;
		char value[512], msg[1024], path[256];
		ward_err err = {0};
		int r;

		assert_int_equal(fx_setup(&fs), 0);
		f = fs;
		snprintf(path, sizeof(path), "%s/array.json", f->dir);
		assert_int_equal(write_file_atomic(path, "[]", 2, 0644), 0);
		expand(f, bad_cases[i].value, value, sizeof(value));
		expand(f, bad_cases[i].msg, msg, sizeof(msg));
		r = run_option_apply(&f->rs, opt(bad_cases[i].name), value, &err);
		if (r != -bad_cases[i].code || err.code != bad_cases[i].code ||
		    !streq(err.msg, msg))
			fail_msg("--%s '%s': r=%d code=%d msg \"%s\"\n  want r=%d msg \"%s\"",
				 bad_cases[i].name, value, r, err.code, err.msg, -bad_cases[i].code,
				 msg);
		fx_teardown(&fs);
	}
}

/* A refused value changes nothing. */
static void test_bad_changes_nothing(void **state)
{
	struct fx *f = *state;
	struct ward_spec *s = f->rs.spec;
	ward_err err = {0};
	uint64_t bounding = s->process.caps.bounding;
	size_t env = strv_length(s->process.env);

	assert_true(run_option_apply(&f->rs, opt("memory"), "1m", &err) < 0);
	assert_true(s->res.memory_limit == WARD_UNSET);
	/* the valid names before the bad one are not applied either */
	assert_true(run_option_apply(&f->rs, opt("cap-drop"), "CHOWN,NOPE", &err) < 0);
	assert_int_equal(s->process.caps.bounding, bounding);
	assert_true(run_option_apply(&f->rs, opt("cap-add"), "NET_ADMIN,NOPE", &err) < 0);
	assert_int_equal(s->process.caps.bounding, bounding);
	assert_true(run_option_apply(&f->rs, opt("tmpfs"), "/x:size=1m,bogus", &err) < 0);
	assert_int_equal(s->n_mounts, 0);
	assert_true(run_option_apply(&f->rs, opt("env"), "A B=c", &err) < 0);
	assert_int_equal(strv_length(s->process.env), env);
	assert_true(run_option_apply(&f->rs, opt("net"), "a b", &err) < 0);
	assert_null(f->rs.nets);
	assert_true(!s->net || s->net->n_ifs == 0);
	/* an --ip's default interface survives a refused --net unchanged */
	assert_int_equal(run_option_apply(&f->rs, opt("ip"), "10.0.0.9", &err), 0);
	assert_true(run_option_apply(&f->rs, opt("net"), "vlan:eth0:0", &err) < 0);
	assert_int_equal(s->net->n_ifs, 1);
	assert_int_equal(s->net->ifs[0].type, WNET_NETWORK);
	assert_null(s->net->ifs[0].network);
	assert_null(s->net->ifs[0].link);
	assert_false(s->net->explicit_net);
	assert_true(run_option_apply(&f->rs, opt("hostname"), "a b", &err) < 0);
	assert_false(f->rs.hostname_set);
	assert_null(s->hostname);
	assert_true(run_option_apply(&f->rs, opt("seccomp"), "/nonexistent/p.json", &err) < 0);
	assert_true(s->seccomp_default);
	assert_true(run_option_apply(&f->rs, opt("stop-signal"), "NOPE", &err) < 0);
	assert_int_equal(s->stop_signal, SIGTERM);
}

static void test_cpuset_beyond_host(void **state)
{
	struct fx *f = *state;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	ward_err err = {0};
	char v[32], want[128];

	if (ncpu <= 0 || ncpu >= 1024)
		skip();
	snprintf(v, sizeof(v), "0,%ld", ncpu);
	snprintf(want, sizeof(want), "'%s' names a CPU this host does not have (CPUs 0-%ld)", v,
		 ncpu - 1);
	assert_int_equal(run_option_apply(&f->rs, opt("cpuset-cpus"), v, &err), -EINVAL);
	assert_string_equal(err.msg, want);
	assert_null(f->rs.spec->res.cpuset_cpus);
}

/* AppArmor and SELinux profiles are accepted only where the LSM is on. */
static void test_lsm_options(void **state)
{
	struct fx *f = *state;
	struct ward_process *p = &f->rs.spec->process;
	char lsm[512] = "";
	FILE *fp = fopen("/sys/kernel/security/lsm", "re");
	ward_err err = {0};
	int r;

	if (fp) {
		if (!fgets(lsm, sizeof(lsm), fp))
			lsm[0] = '\0';
		fclose(fp);
	}
	r = run_option_apply(&f->rs, opt("security-opt"), "apparmor=ward-test", &err);
	if (strstr(lsm, "apparmor")) {
		assert_int_equal(r, 0);
		assert_string_equal(p->apparmor_profile, "ward-test");
	} else {
		assert_int_equal(r, -ENOTSUP);
		assert_string_equal(err.msg, "AppArmor is not enabled on this host");
		assert_null(p->apparmor_profile);
	}
	werr_clear(&err);
	r = run_option_apply(&f->rs, opt("security-opt"), "label=type:ward_t", &err);
	if (strstr(lsm, "selinux")) {
		assert_int_equal(r, 0);
		assert_string_equal(p->selinux_label, "type:ward_t");
	} else {
		assert_int_equal(r, -ENOTSUP);
		assert_string_equal(err.msg, "SELinux is not enabled on this host");
		assert_null(p->selinux_label);
	}
}

/* Every tmpfs option is kept, whatever the order. */
static void test_tmpfs_size_then_mode(void **state)
{
	struct fx *f = *state;
	const struct ward_mount *m;

	apply_ok(&f->rs, "tmpfs", "/x:size=64m,mode=700");
	m = find_mount(f->rs.spec, "/x");
	assert_non_null(m);
	assert_non_null(strstr(m->data, "size=67108864"));
	assert_non_null(strstr(m->data, "mode=700"));
	assert_null(strstr(m->data, "1777"));
}

/* A list that is not comma-separated names is refused, not cut short. */
static void test_cap_drop_space_separated(void **state)
{
	struct fx *f = *state;
	ward_err err = {0};
	int r;

	f->rs.spec->process.caps.bounding |= CAPBIT(CAP_NET_RAW) | CAPBIT(CAP_SYS_ADMIN);
	r = run_option_apply(&f->rs, opt("cap-drop"), "SYS_ADMIN NET_RAW", &err);
	assert_int_equal(r, -EINVAL);
	assert_string_equal(err.msg, "unknown capability 'SYS_ADMIN NET_RAW'");
}

/* ------------------------------------------------------------------ */
/* capability order, user namespaces */

static void test_caps_order(void **state)
{
	struct fx *f = *state;
	const struct ward_caps *c = &f->rs.spec->process.caps;

	/* add, then drop all: nothing */
	apply_ok(&f->rs, "cap-add", "NET_ADMIN");
	apply_ok(&f->rs, "cap-drop", "ALL");
	assert_int_equal(c->bounding, 0);
	assert_int_equal(c->effective, 0);
	assert_int_equal(c->permitted, 0);
	/* drop all, then add: exactly the added one */
	apply_ok(&f->rs, "cap-add", "NET_ADMIN");
	assert_int_equal(c->bounding, CAPBIT(CAP_NET_ADMIN));
	assert_int_equal(c->effective, CAPBIT(CAP_NET_ADMIN));
	assert_int_equal(c->permitted, CAPBIT(CAP_NET_ADMIN));
	/* drop and add the same one: the later wins */
	apply_ok(&f->rs, "cap-drop", "net_admin");
	assert_int_equal(c->bounding, 0);
	apply_ok(&f->rs, "cap-add", "CAP_NET_ADMIN");
	assert_int_equal(c->bounding, CAPBIT(CAP_NET_ADMIN));
	/* dropping what is not there is harmless */
	apply_ok(&f->rs, "cap-drop", "SYS_ADMIN");
	assert_int_equal(c->bounding, CAPBIT(CAP_NET_ADMIN));
	/* a list in one value */
	apply_ok(&f->rs, "cap-add", "CHOWN,KILL");
	assert_int_equal(c->bounding, CAPBIT(CAP_NET_ADMIN) | CAPBIT(CAP_CHOWN) | CAPBIT(CAP_KILL));
}

static void test_userns_modes(void **state)
{
	struct fx *f = *state;
	struct ward_spec *s = f->rs.spec;
	ward_err err = {0};

	/* explicit maps accumulate, uid and gid alike */
	apply_ok(&f->rs, "userns", "0:100000:1000");
	apply_ok(&f->rs, "userns", "1000:200000:64536");
	assert_int_equal(s->userns_mode, WUSERNS_EXPLICIT);
	assert_int_equal(s->n_uid_maps, 2);
	assert_int_equal(s->n_gid_maps, 2);
	assert_int_equal(s->uid_maps[0].inside, 0);
	assert_int_equal(s->uid_maps[0].outside, 100000);
	assert_int_equal(s->uid_maps[0].count, 1000);
	assert_int_equal(s->uid_maps[1].inside, 1000);
	assert_int_equal(s->uid_maps[1].outside, 200000);
	assert_int_equal(s->gid_maps[1].count, 64536);

	/* and cannot be mixed with auto or host */
	assert_int_equal(run_option_apply(&f->rs, opt("userns"), "auto", &err), -EINVAL);
	assert_string_equal(err.msg, "'auto' cannot be combined with explicit mappings");
	assert_int_equal(run_option_apply(&f->rs, opt("userns"), "host", &err), -EINVAL);
	assert_string_equal(err.msg, "'host' cannot be combined with explicit mappings");
	assert_int_equal(s->userns_mode, WUSERNS_EXPLICIT);
	assert_int_equal(s->n_uid_maps, 2);
}

static void test_userns_explicit_replaces_stale(void **state)
{
	struct fx *f = *state;
	struct ward_spec *s = f->rs.spec;

	/* maps from elsewhere (a config's defaults) do not survive the first
	 * explicit mapping */
	assert_int_equal(spec_add_idmap(&s->uid_maps, &s->n_uid_maps, 5, 5, 5), 0);
	apply_ok(&f->rs, "userns", "auto");
	apply_ok(&f->rs, "userns", "0:100000:65536");
	assert_int_equal(s->n_uid_maps, 1);
	assert_int_equal(s->uid_maps[0].outside, 100000);
	assert_int_equal(s->n_gid_maps, 1);
}

/* ------------------------------------------------------------------ */
/* run_settings_finish */

static const char *const default_dests[] = {
    "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/tmp", "/var/tmp", "/run",
};

static void finish_ok(struct fx *f)
{
	ward_err err = {0};

	if (run_settings_finish(&f->rs, &err) != 0)
		fail_msg("run_settings_finish: %s", err.msg);
}

static void assert_defaults_in_order(const struct ward_spec *s)
{
	ssize_t prev = -1;

	for (size_t i = 0; i < ARRAY_SIZE(default_dests); i++) {
		ssize_t at = mount_index(s, default_dests[i]);

		if (at < 0)
			fail_msg("no default mount on %s", default_dests[i]);
		if (at <= prev)
			fail_msg("%s is mounted before its predecessor", default_dests[i]);
		prev = at;
	}
}

static void test_finish_defaults(void **state)
{
	struct fx *f = *state;
	const struct ward_spec *s = f->rs.spec;
	const struct ward_mount *m;
	struct stat st;

	set_command(&f->rs);
	finish_ok(f);

	/* a generated name: "w" and 8 hex digits, a valid name */
	assert_non_null(s->name);
	assert_true(name_is_valid(s->name));
	assert_int_equal(strlen(s->name), 9);
	assert_int_equal(s->name[0], 'w');
	assert_int_equal(strspn(s->name + 1, "0123456789abcdef"), 8);
	assert_string_equal(s->hostname, s->name);

	assert_defaults_in_order(s);
	m = find_mount(s, "/proc");
	assert_string_equal(m->type, "proc");
	assert_int_equal(m->flags, MS_NOSUID | MS_NODEV | MS_NOEXEC);
	m = find_mount(s, "/sys");
	assert_string_equal(m->type, "sysfs");
	assert_true(m->flags & MS_RDONLY);
	assert_string_equal(find_mount(s, "/dev/pts")->type, "devpts");
	assert_string_equal(find_mount(s, "/tmp")->type, "tmpfs");
	assert_false(find_mount(s, "/var/tmp")->optional);

	/* the host template comes first: /usr is a read-only bind */
	if (lstat("/usr", &st) == 0 && S_ISDIR(st.st_mode)) {
		ssize_t at = mount_index(s, "/usr");

		assert_true(at >= 0 && at < mount_index(s, "/proc"));
		m = &s->mounts[at];
		assert_string_equal(m->type, "bind");
		assert_true(m->host_template);
		assert_true(m->rec_attr_set & MOUNT_ATTR_RDONLY);
	}
	assert_true(strv_contains(s->masked_paths, "/proc/kcore"));
	assert_true(strv_contains(s->readonly_paths, "/proc/sys"));
	assert_true(s->default_devices);
	assert_true(s->ns[WNS_USER].enabled);

	/* two containers get two names */
	{
		void *fs = NULL;
		struct fx *g;

		assert_int_equal(fx_setup(&fs), 0);
		g = fs;
		set_command(&g->rs);
		finish_ok(g);
		assert_string_not_equal(g->rs.spec->name, s->name);
		fx_teardown(&fs);
	}
}

static void test_finish_names(void **state)
{
	struct fx *f = *state;

	/* an explicit name is kept, and the hostname follows it */
	apply_ok(&f->rs, "name", "web");
	set_command(&f->rs);
	finish_ok(f);
	assert_string_equal(f->rs.spec->name, "web");
	assert_string_equal(f->rs.spec->hostname, "web");

	/* an explicit hostname is kept */
	{
		void *fs = NULL;
		struct fx *g;

		assert_int_equal(fx_setup(&fs), 0);
		g = fs;
		apply_ok(&g->rs, "hostname", "box");
		set_command(&g->rs);
		finish_ok(g);
		assert_string_equal(g->rs.spec->hostname, "box");
		assert_true(name_is_valid(g->rs.spec->name));
		fx_teardown(&fs);
	}
}

static void test_finish_user_mounts(void **state)
{
	struct fx *f = *state;
	const struct ward_spec *s = f->rs.spec;
	char v[256];
	ssize_t data, tmp, run;
	size_t n_tmp = 0;

	snprintf(v, sizeof(v), "%s:/data:ro", f->dir);
	apply_ok(&f->rs, "bind", v);
	apply_ok(&f->rs, "tmpfs", "/tmp:size=1m");
	apply_ok(&f->rs, "tmpfs", "/proc/x");
	set_command(&f->rs);
	finish_ok(f);

	data = mount_index(s, "/data");
	tmp = mount_index(s, "/tmp");
	run = mount_index(s, "/run");
	/* after every default, in the order given */
	assert_true(run >= 0);
	assert_true(data > run);
	assert_true(tmp > data);
	assert_true(mount_index(s, "/proc/x") > tmp);
	assert_int_equal(mount_index(s, "/proc/x"), (ssize_t)s->n_mounts - 1);
	/* the user's /tmp replaced the default one */
	for (size_t i = 0; i < s->n_mounts; i++)
		n_tmp += streq(s->mounts[i].destination, "/tmp");
	assert_int_equal(n_tmp, 1);
	assert_string_equal(s->mounts[tmp].data, "mode=1777,size=1048576");
	assert_int_equal(s->mounts[data].rec_attr_set, MOUNT_ATTR_RDONLY);
	assert_string_equal(s->mounts[data].source, f->dir);
	/* the other defaults are still there */
	for (size_t i = 0; i < ARRAY_SIZE(default_dests); i++)
		assert_true(mount_index(s, default_dests[i]) >= 0);
}

static void test_finish_rootfs(void **state)
{
	struct fx *f = *state;
	const struct ward_spec *s = f->rs.spec;
	char root[256];

	snprintf(root, sizeof(root), "%s/root", f->dir);
	assert_int_equal(mkdir(root, 0755), 0);
	apply_ok(&f->rs, "rootfs", root);
	set_command(&f->rs);
	finish_ok(f);
	/* no host template with a root filesystem of one's own */
	for (size_t i = 0; i < s->n_mounts; i++)
		assert_false(s->mounts[i].host_template);
	assert_int_equal(mount_index(s, "/usr"), -1);
	assert_int_equal(s->n_links, 0);
	assert_defaults_in_order(s);
	/* /var/tmp only where the rootfs has a /var */
	assert_true(find_mount(s, "/var/tmp")->optional);
}

static void test_finish_errors(void **state)
{
	struct fx *f = *state;
	ward_err err = {0};

	/* no command */
	assert_int_equal(run_settings_finish(&f->rs, &err), -EINVAL);
	assert_string_equal(err.msg, "no command given");

	/* --memory-swap needs --memory */
	{
		void *fs = NULL;
		struct fx *g;

		assert_int_equal(fx_setup(&fs), 0);
		g = fs;
		set_command(&g->rs);
		apply_ok(&g->rs, "memory-swap", "128m");
		werr_clear(&err);
		assert_int_equal(run_settings_finish(&g->rs, &err), -EINVAL);
		assert_string_equal(err.msg, "--memory-swap needs --memory");
		fx_teardown(&fs);
	}
	/* ... and must not be below it */
	{
		void *fs = NULL;
		struct fx *g;

		assert_int_equal(fx_setup(&fs), 0);
		g = fs;
		set_command(&g->rs);
		apply_ok(&g->rs, "memory", "128m");
		apply_ok(&g->rs, "memory-swap", "64m");
		werr_clear(&err);
		assert_int_equal(run_settings_finish(&g->rs, &err), -EINVAL);
		assert_string_equal(err.msg,
				    "--memory-swap (memory plus swap) is smaller than --memory");
		fx_teardown(&fs);
	}
	/* unlimited swap needs no memory limit; equal is fine */
	{
		void *fs = NULL;
		struct fx *g;

		assert_int_equal(fx_setup(&fs), 0);
		g = fs;
		set_command(&g->rs);
		apply_ok(&g->rs, "memory-swap", "-1");
		finish_ok(g);
		fx_teardown(&fs);
		assert_int_equal(fx_setup(&fs), 0);
		g = fs;
		set_command(&g->rs);
		apply_ok(&g->rs, "memory", "64m");
		apply_ok(&g->rs, "memory-swap", "64m");
		finish_ok(g);
		fx_teardown(&fs);
	}
}

static void test_finish_userns(void **state)
{
	struct fx *f = *state;

	/* --userns host: no user namespace */
	apply_ok(&f->rs, "userns", "host");
	set_command(&f->rs);
	f->rs.spec->ns[WNS_USER].enabled = true; /* whatever set it since */
	finish_ok(f);
	assert_int_equal(f->rs.spec->userns_mode, WUSERNS_HOST);
	assert_false(f->rs.spec->ns[WNS_USER].enabled);

	/* explicit maps reach the finished spec */
	{
		void *fs = NULL;
		struct fx *g;

		assert_int_equal(fx_setup(&fs), 0);
		g = fs;
		apply_ok(&g->rs, "userns", "0:100000:65536");
		apply_ok(&g->rs, "userns", "65536:300000:1");
		set_command(&g->rs);
		finish_ok(g);
		assert_int_equal(g->rs.spec->userns_mode, WUSERNS_EXPLICIT);
		assert_true(g->rs.spec->ns[WNS_USER].enabled);
		assert_int_equal(g->rs.spec->n_uid_maps, 2);
		assert_int_equal(g->rs.spec->n_gid_maps, 2);
		fx_teardown(&fs);
	}
	/* an explicit mode with a map missing is refused */
	{
		void *fs = NULL;
		struct fx *g;
		ward_err err = {0};

		assert_int_equal(fx_setup(&fs), 0);
		g = fs;
		apply_ok(&g->rs, "userns", "0:100000:65536");
		free(g->rs.spec->gid_maps);
		g->rs.spec->gid_maps = NULL;
		g->rs.spec->n_gid_maps = 0;
		set_command(&g->rs);
		assert_int_equal(run_settings_finish(&g->rs, &err), -EINVAL);
		assert_string_equal(err.msg, "user namespace needs both uid and gid mappings");
		fx_teardown(&fs);
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    T(test_init_defaults),
	    cmocka_unit_test(test_every_option_good),
	    cmocka_unit_test(test_every_option_bad),
	    T(test_bad_changes_nothing),
	    T(test_cpuset_beyond_host),
	    T(test_lsm_options),
	    T(test_tmpfs_size_then_mode),
	    T(test_cap_drop_space_separated),
	    T(test_caps_order),
	    T(test_userns_modes),
	    T(test_userns_explicit_replaces_stale),
	    T(test_finish_defaults),
	    T(test_finish_names),
	    T(test_finish_user_mounts),
	    T(test_finish_rootfs),
	    T(test_finish_errors),
	    T(test_finish_userns),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
