/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The OCI face's reader (src/oci): config.json into struct ward_spec.  A
 * fixture with every section of runtime-spec 1.2 is checked field by field;
 * `spec`'s own default (rootful and rootless) reads back; and each kind of
 * bad bundle (invalid JSON, no root, a wrong ociVersion, an unknown
 * namespace type, a bad capability or rlimit,
 * a relative cwd, an unsupported section) gives exactly one line naming
 * the key; unknown keys at every depth are ignored (and logged at debug
 * level), as the spec requires.  Nothing here changes the host.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/oci.h"
#include "oci/oci_json.h"
#include "spec/seccomp_profile.h"
#include "spec/spec.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/syscalls.h"

#define CAPBIT(c) (1ULL << (c))

/* ------------------------------------------------------------------ */
/* fixture: a bundle directory with an empty rootfs */

struct fx {
	char bundle[96];
	char rootfs[128];
};

static struct fx *F;

static const char *fixtures(void)
{
	const char *d = getenv("WARD_TEST_FIXTURES");

	return d && *d ? d : WARD_TEST_FIXTURES;
}

static int fx_setup(void **state)
{
	char tmpl[] = "/tmp/ward-test-oci.XXXXXX";
	_cleanup_free_ char *real = NULL;

	F = calloc(1, sizeof(*F));
	if (!F || !mkdtemp(tmpl) || !(real = realpath(tmpl, NULL)) || strlen(real) > 80)
		return -1;
	strcpy(F->bundle, real);
	snprintf(F->rootfs, sizeof(F->rootfs), "%s/rootfs", F->bundle);
	if (mkdir(F->rootfs, 0755) < 0)
		return -1;
	*state = F;
	return 0;
}

static int fx_teardown(void **state)
{
	rm_rf(F->bundle);
	free(F);
	F = NULL;
	return 0;
}

/* TEXT as config.json of the fixture's bundle */
static int parse(const char *text, struct ward_spec **out, ward_err *err)
{
	json_t *doc = oci_json_load(text, strlen(text), "config.json", err);
	int r;

	*out = NULL;
	if (!doc)
		return -err->code;
	r = oci_spec_from_json(doc, "config.json", F->bundle, "t1", out, err);
	json_decref(doc);
	return r;
}

#define NS_MIN   "\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"pid\"}]"
#define PROC_MIN "\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}"

/* a minimal config with PROCESS (a "process": {...} member or ""), more
 * top-level members TOP and more linux members LINUX (each "" or text
 * starting with a comma) */
static char *config(const char *process, const char *top, const char *lx)
{
	char *c =
	    xasprintf("{\"ociVersion\": \"1.0.2-dev\", \"root\": {\"path\": \"rootfs\"}%s%s%s, "
		      "\"linux\": {" NS_MIN "%s}}",
		      *process ? ", " : "", process, top, lx);

	assert_non_null(c);
	return c;
}

static struct ward_spec *good(const char *process, const char *top, const char *lx)
{
	_cleanup_free_ char *c = config(process, top, lx);
	struct ward_spec *s = NULL;
	ward_err err = {0};

	if (parse(c, &s, &err) < 0)
		fail_msg("%s\n  for %s", err.msg, c);
	return s;
}

static void bad_text(const char *text, const char *want)
{
	struct ward_spec *s = NULL;
	ward_err err = {0};
	int r = parse(text, &s, &err);

	if (r >= 0)
		fail_msg("accepted: %s", text);
	assert_null(s);
	assert_true(err.code > 0);
	assert_null(strchr(err.msg, '\n'));
	if (!streq(err.msg, want))
		fail_msg("got  '%s'\nwant '%s'", err.msg, want);
}

static void bad(const char *process, const char *top, const char *lx, const char *want)
{
	_cleanup_free_ char *c = config(process, top, lx);

	bad_text(c, want);
}

static char *fixture_text(const char *name)
{
	_cleanup_free_ char *p = xasprintf("%s/oci/%s", fixtures(), name);
	char *text = NULL;
	size_t len;

	assert_non_null(p);
	assert_int_equal(read_file(p, &text, &len), 0);
	return text;
}

static const struct ward_mount *find_mount(const struct ward_spec *s, const char *dst)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (streq(s->mounts[i].destination, dst))
			return &s->mounts[i];
	fail_msg("no mount on %s", dst);
	return NULL;
}

static const char *kv_get(const struct ward_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (streq(kv[i].key, key))
			return kv[i].value;
	return NULL;
}

/* runtime-spec 1.1: a capability that cannot be mapped is a warning, and
 * left out of the set; a wrong type is still an error */
static void test_unknown_capabilities_left_out(void **state)
{
	_cleanup_(spec_freep) struct ward_spec *s =
	    good("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"capabilities\": {"
		 "\"bounding\": [\"CAP_KILL\", \"CAP_TEST\"], \"ambient\": [\"kill\"], "
		 "\"effective\": [\"CAP_40\", \"CAP_CHOWN\"]}}",
		 "", "");

	(void)state;
	assert_int_equal(s->process.caps.bounding, CAPBIT(CAP_KILL));
	assert_int_equal(s->process.caps.ambient, 0);
	assert_int_equal(s->process.caps.effective, CAPBIT(CAP_CHOWN));
	bad("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"capabilities\": {"
	    "\"bounding\": [\"CAP_KILL\", 7]}}",
	    "", "", "config.json: process.capabilities.bounding[1]: expected a string");
}

/* ------------------------------------------------------------------ */
/* the full example, section by section */

static void test_full_process(void **state)
{
	_cleanup_free_ char *text = fixture_text("full.json");
	_cleanup_(spec_freep) struct ward_spec *s = NULL;
	const struct ward_process *p;
	ward_err err = {0};

	if (parse(text, &s, &err) < 0)
		fail_msg("%s", err.msg);
	p = &s->process;
	assert_string_equal(s->name, "t1");
	assert_string_equal(s->bundle, F->bundle);
	assert_true(p->terminal);
	assert_int_equal(p->console_height, 25);
	assert_int_equal(p->console_width, 80);
	assert_int_equal(p->uid, 1);
	assert_int_equal(p->gid, 2);
	assert_true(p->has_umask);
	assert_int_equal(p->umask, 022);
	assert_int_equal(p->n_groups, 2);
	assert_int_equal(p->groups[0], 5);
	assert_int_equal(p->groups[1], 6);
	assert_null(p->user);
	assert_int_equal(strv_length(p->args), 3);
	assert_string_equal(p->args[2], "echo hi");
	assert_int_equal(strv_length(p->env), 2);
	assert_string_equal(p->env[1], "TERM=xterm");
	assert_string_equal(p->cwd, "/root");
	assert_int_equal(p->caps.bounding,
			 CAPBIT(CAP_AUDIT_WRITE) | CAPBIT(CAP_KILL) | CAPBIT(CAP_NET_BIND_SERVICE));
	assert_int_equal(p->caps.permitted, CAPBIT(CAP_AUDIT_WRITE) | CAPBIT(CAP_KILL));
	assert_int_equal(p->caps.inheritable, CAPBIT(CAP_KILL));
	assert_int_equal(p->caps.effective, CAPBIT(CAP_KILL));
	assert_int_equal(p->caps.ambient, CAPBIT(CAP_NET_BIND_SERVICE));
	assert_int_equal(p->n_rlimits, 2);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(p->rlimits[0].soft, 512);
	assert_int_equal(p->rlimits[0].hard, 1024);
	/* 18446744073709551615, beyond jansson's int64, reads as infinity */
	assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
	assert_true(p->rlimits[1].soft == RLIM_INFINITY);
	assert_true(p->rlimits[1].hard == UINT64_MAX);
	assert_true(p->no_new_privs);
	assert_true(p->has_oom_score_adj);
	assert_int_equal(p->oom_score_adj, 100);
	assert_string_equal(p->apparmor_profile, "acme_secure_profile");
	assert_string_equal(p->selinux_label, "system_u:system_r:svirt_lxc_net_t:s0:c124,c675");
}

static void test_full_root_mounts_hooks(void **state)
{
	_cleanup_free_ char *text = fixture_text("full.json");
	_cleanup_(spec_freep) struct ward_spec *s = NULL;
	_cleanup_free_ char *data_src = xasprintf("%s/volumes/testing", F->bundle);
	const struct ward_mount *m;
	ward_err err = {0};

	if (parse(text, &s, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(s->rootfs, F->rootfs);
	assert_true(s->rootfs_readonly);
	assert_string_equal(s->hostname, "slartibartfast");
	assert_string_equal(s->domainname, "example.org");
	/* OCI mounts only, in order: no ward defaults, masks or seccomp */
	assert_int_equal(s->n_mounts, 6);
	assert_string_equal(s->mounts[0].destination, "/proc");
	assert_string_equal(s->mounts[5].destination, "/sys/fs/cgroup");
	assert_false(s->seccomp_default);
	assert_true(s->default_devices);

	m = find_mount(s, "/proc");
	assert_string_equal(m->type, "proc");
	assert_string_equal(m->source, "proc");
	assert_int_equal(m->flags, 0);
	assert_null(m->data);

	m = find_mount(s, "/dev");
	assert_string_equal(m->type, "tmpfs");
	assert_int_equal(m->flags, MS_NOSUID | MS_STRICTATIME);
	assert_string_equal(m->data, "mode=755,size=65536k");

	m = find_mount(s, "/dev/pts");
	assert_int_equal(m->flags, MS_NOSUID | MS_NOEXEC);
	assert_string_equal(m->data, "newinstance,ptmxmode=0666,mode=0620,gid=5");

	/* rbind, relative source, "rw" then "rro", rslave */
	m = find_mount(s, "/data");
	assert_string_equal(m->type, "bind");
	assert_string_equal(m->source, data_src);
	assert_int_equal(m->flags, MS_BIND | MS_REC | MS_NOSUID);
	assert_int_equal(m->rec_attr_set, MOUNT_ATTR_RDONLY);
	assert_int_equal(m->propagation, MS_SLAVE | MS_REC);
	assert_null(m->data);

	/* a "bind" type without a bind option is a (non-recursive) bind */
	m = find_mount(s, "/etc/hosts");
	assert_string_equal(m->type, "bind");
	assert_int_equal(m->flags, MS_BIND | MS_RDONLY);
	assert_int_equal(m->propagation, MS_PRIVATE);

	m = find_mount(s, "/sys/fs/cgroup");
	assert_string_equal(m->type, "cgroup");
	assert_int_equal(m->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY);

	/* hooks */
	assert_int_equal(s->hooks.n[WHOOK_PRESTART], 1);
	assert_string_equal(s->hooks.list[WHOOK_PRESTART][0].path, "/usr/bin/fix-mounts");
	assert_int_equal(strv_length(s->hooks.list[WHOOK_PRESTART][0].args), 2);
	assert_string_equal(s->hooks.list[WHOOK_PRESTART][0].env[0], "key1=value1");
	assert_int_equal(s->hooks.list[WHOOK_PRESTART][0].timeout, 0);
	assert_int_equal(s->hooks.n[WHOOK_CREATE_RUNTIME], 1);
	assert_int_equal(s->hooks.n[WHOOK_CREATE_CONTAINER], 1);
	assert_int_equal(s->hooks.list[WHOOK_CREATE_CONTAINER][0].timeout, 5);
	assert_int_equal(s->hooks.n[WHOOK_START_CONTAINER], 1);
	assert_int_equal(s->hooks.n[WHOOK_POSTSTART], 2);
	assert_string_equal(s->hooks.list[WHOOK_POSTSTART][1].path, "/bin/true");
	assert_int_equal(s->hooks.n[WHOOK_POSTSTOP], 1);
	assert_string_equal(s->hooks.list[WHOOK_POSTSTOP][0].args[1], "-f");

	assert_int_equal(s->n_annotations, 2);
	assert_string_equal(kv_get(s->annotations, s->n_annotations, "com.example.key2"), "value2");
}

static void test_full_linux(void **state)
{
	_cleanup_free_ char *text = fixture_text("full.json");
	_cleanup_(spec_freep) struct ward_spec *s = NULL;
	const struct ward_seccomp *sc;
	ward_err err = {0};

	if (parse(text, &s, &err) < 0)
		fail_msg("%s", err.msg);
	for (int i = 0; i < WNS__MAX; i++)
		assert_true(s->ns[i].enabled);
	assert_string_equal(s->ns[WNS_NET].path, "/var/run/netns/neta");
	assert_null(s->ns[WNS_PID].path);
	assert_int_equal(s->userns_mode, WUSERNS_EXPLICIT);
	assert_int_equal(s->n_uid_maps, 1);
	assert_int_equal(s->uid_maps[0].inside, 0);
	assert_int_equal(s->uid_maps[0].outside, 1000);
	assert_int_equal(s->uid_maps[0].count, 32000);
	assert_int_equal(s->n_gid_maps, 2);
	assert_int_equal(s->gid_maps[1].inside, 40000);
	assert_int_equal(s->gid_maps[1].outside, 50000);

	assert_true(s->time_offsets[WTIME_MONOTONIC].set);
	assert_int_equal(s->time_offsets[WTIME_MONOTONIC].secs, 86400);
	assert_int_equal(s->time_offsets[WTIME_MONOTONIC].nanosecs, 5);
	assert_true(s->time_offsets[WTIME_BOOTTIME].set);
	assert_int_equal(s->time_offsets[WTIME_BOOTTIME].secs, -10);

	assert_int_equal(s->n_sysctl, 3);
	assert_string_equal(kv_get(s->sysctl, s->n_sysctl, "net.ipv4.ip_forward"), "1");
	assert_string_equal(kv_get(s->sysctl, s->n_sysctl, "kernel.shmmax"), "4096");

	assert_string_equal(s->cgroup_path, "/myRuntime/myContainer");

	assert_int_equal(s->n_devices, 3);
	assert_string_equal(s->devices[0].path, "/dev/fuse");
	assert_int_equal(s->devices[0].type, 'c');
	assert_int_equal(s->devices[0].major, 10);
	assert_int_equal(s->devices[0].minor, 229);
	assert_int_equal(s->devices[0].mode, 0666);
	assert_int_equal(s->devices[1].type, 'b');
	assert_int_equal(s->devices[1].mode, 0660);
	assert_int_equal(s->devices[1].uid, 3);
	assert_int_equal(s->devices[1].gid, 4);
	assert_int_equal(s->devices[2].type, 'p');
	assert_int_equal(s->devices[2].mode, 0666);

	sc = s->seccomp;
	assert_non_null(sc);
	assert_int_equal(sc->default_action, WSC_ERRNO);
	assert_int_equal(sc->default_errno, 38);
	assert_int_equal(strv_length(sc->architectures), 2);
	assert_string_equal(sc->flags[0], "SECCOMP_FILTER_FLAG_LOG");
	assert_string_equal(sc->listener_path, "/run/seccomp-agent.socket");
	assert_string_equal(sc->listener_metadata, "metadata");
	assert_int_equal(sc->n_rules, 3);
	assert_int_equal(sc->rules[0].errno_ret, 1);
	assert_int_equal(sc->rules[1].n_args, 1);
	assert_int_equal(sc->rules[1].args[0].op, WSC_OP_EQ);
	assert_int_equal(sc->rules[2].action, WSC_NOTIFY);

	assert_int_equal(s->rootfs_propagation, MS_SLAVE);
	assert_int_equal(strv_length(s->masked_paths), 2);
	assert_string_equal(s->masked_paths[0], "/proc/kcore");
	assert_int_equal(strv_length(s->readonly_paths), 2);
	assert_string_equal(s->readonly_paths[1], "/proc/sysrq-trigger");
	assert_string_equal(s->mount_label, "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811");
	assert_true(s->has_personality);
	assert_int_equal(s->personality, PER_LINUX32);
}

static void test_full_resources(void **state)
{
	_cleanup_free_ char *text = fixture_text("full.json");
	_cleanup_(spec_freep) struct ward_spec *s = NULL;
	const struct ward_resources *r;
	ward_err err = {0};

	if (parse(text, &s, &err) < 0)
		fail_msg("%s", err.msg);
	r = &s->res;
	/* the config's three rules, then ward's default allow-list */
	assert_int_equal(r->n_devices, 3 + 12);
	assert_false(r->devices[0].allow);
	assert_int_equal(r->devices[0].type, 'a');
	assert_int_equal(r->devices[0].major, -1);
	assert_string_equal(r->devices[0].access, "rwm");
	assert_true(r->devices[1].allow);
	assert_int_equal(r->devices[1].type, 'c');
	assert_int_equal(r->devices[1].major, 10);
	assert_int_equal(r->devices[1].minor, 229);
	assert_string_equal(r->devices[1].access, "rw");
	assert_int_equal(r->devices[2].minor, -1);
	assert_true(r->devices[3].allow);
	assert_string_equal(r->devices[3].access, "m");

	assert_int_equal(r->memory_limit, 536870912);
	assert_int_equal(r->memory_reservation, 536870912);
	assert_int_equal(r->memory_swap, 1073741824);
	assert_int_equal(r->memory_kernel, -1);
	assert_int_equal(r->memory_kernel_tcp, 4194304);
	assert_int_equal(r->memory_swappiness, 0);
	assert_true(r->disable_oom_killer);
	assert_int_equal(r->memory_use_hierarchy, 1);

	assert_int_equal(r->cpu_shares, 1024);
	assert_int_equal(r->cpu_quota, 1000000);
	assert_int_equal(r->cpu_burst, 100000);
	assert_int_equal(r->cpu_period, 500000);
	assert_int_equal(r->cpu_rt_runtime, 950000);
	assert_int_equal(r->cpu_rt_period, 1000000);
	assert_string_equal(r->cpuset_cpus, "0-1");
	assert_string_equal(r->cpuset_mems, "0");
	assert_int_equal(r->cpu_idle, 1);
	assert_true(r->cpu_weight == WARD_UNSET);

	assert_int_equal(r->pids_limit, 32771);

	assert_int_equal(r->blkio_weight, 10);
	assert_int_equal(r->blkio_leaf_weight, 20);
	assert_int_equal(r->n_blkio_weight_devices, 2);
	assert_int_equal(r->blkio_weight_devices[0].major, 8);
	assert_int_equal(r->blkio_weight_devices[0].leaf_weight, 300);
	assert_int_equal(r->blkio_weight_devices[1].minor, 16);
	assert_true(r->blkio_weight_devices[1].leaf_weight == WARD_UNSET);
	assert_int_equal(r->n_blkio_throttle[WBLKIO_READ_BPS], 1);
	assert_int_equal(r->blkio_throttle[WBLKIO_READ_BPS][0].rate, 600);
	assert_int_equal(r->n_blkio_throttle[WBLKIO_WRITE_BPS], 0);
	assert_int_equal(r->n_blkio_throttle[WBLKIO_WRITE_IOPS], 1);
	assert_int_equal(r->blkio_throttle[WBLKIO_WRITE_IOPS][0].minor, 16);

	assert_int_equal(r->n_hugepages, 2);
	assert_string_equal(r->hugepages[0].pagesize, "2MB");
	assert_true(r->hugepages[0].limit == 9223372036854772000ULL);
	assert_string_equal(r->hugepages[1].pagesize, "64KB");

	assert_int_equal(r->net_cls_classid, 1048577);
	assert_int_equal(r->n_net_prio, 2);
	assert_string_equal(r->net_prio[1].ifname, "eth1");
	assert_int_equal(r->net_prio[1].priority, 1000);

	assert_int_equal(r->n_rdma, 2);
	for (size_t i = 0; i < r->n_rdma; i++) {
		if (streq(r->rdma[i].device, "mlx5_1")) {
			assert_int_equal(r->rdma[i].hca_handles, 3);
			assert_int_equal(r->rdma[i].hca_objects, 10000);
		} else {
			assert_string_equal(r->rdma[i].device, "mlx4_0");
			assert_true(r->rdma[i].hca_handles == WARD_UNSET);
		}
	}
	assert_int_equal(r->n_unified, 2);
	assert_string_equal(kv_get(r->unified, r->n_unified, "memory.high"), "1073741824");
}

/* ------------------------------------------------------------------ */
/* spec's default, and the smallest configs */

static void write_config(json_t *doc)
{
	_cleanup_free_ char *p = xasprintf("%s/config.json", F->bundle);

	assert_int_equal(json_dump_file(doc, p, JSON_INDENT(2)), 0);
}

static void test_default_config(void **state)
{
	_cleanup_(spec_freep) struct ward_spec *s = NULL;
	json_t *doc = oci_default_config(false);
	ward_err err = {0};

	assert_non_null(doc);
	write_config(doc);
	json_decref(doc);
	if (oci_spec_load(F->bundle, "dflt", &s, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(s->name, "dflt");
	assert_string_equal(s->process.args[0], "sh");
	assert_true(s->process.terminal);
	assert_true(s->process.no_new_privs);
	assert_int_equal(s->process.caps.bounding,
			 CAPBIT(CAP_AUDIT_WRITE) | CAPBIT(CAP_KILL) | CAPBIT(CAP_NET_BIND_SERVICE));
	assert_int_equal(s->process.caps.inheritable, 0);
	assert_int_equal(s->process.n_rlimits, 1);
	assert_int_equal(s->n_mounts, 7);
	assert_string_equal(s->mounts[6].type, "cgroup");
	assert_true(s->rootfs_readonly);
	assert_false(s->ns[WNS_USER].enabled);
	assert_int_equal(s->userns_mode, WUSERNS_HOST);
	assert_true(s->ns[WNS_NET].enabled);
	assert_true(s->ns[WNS_CGROUP].enabled);
	assert_false(s->ns[WNS_TIME].enabled);
	assert_true(strv_contains(s->masked_paths, "/proc/kcore"));
	assert_true(strv_contains(s->readonly_paths, "/proc/sys"));
	/* deny all, then ward's defaults */
	assert_int_equal(s->res.n_devices, 13);
	assert_false(s->res.devices[0].allow);
	assert_null(s->seccomp);
}

static void test_default_config_rootless(void **state)
{
	_cleanup_(spec_freep) struct ward_spec *s = NULL;
	json_t *doc = oci_default_config(true);
	ward_err err = {0};

	assert_non_null(doc);
	write_config(doc);
	json_decref(doc);
	if (oci_spec_load(F->bundle, "rl", &s, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(s->ns[WNS_USER].enabled);
	assert_false(s->ns[WNS_NET].enabled);
	assert_int_equal(s->userns_mode, WUSERNS_EXPLICIT);
	assert_int_equal(s->n_uid_maps, 1);
	assert_int_equal(s->uid_maps[0].outside, geteuid());
	assert_int_equal(s->uid_maps[0].count, 1);
	assert_int_equal(s->gid_maps[0].outside, getegid());
	assert_int_equal(s->res.n_devices, 0);
	assert_string_equal(find_mount(s, "/sys")->type, "bind");
	assert_null(strstr(find_mount(s, "/dev/pts")->data, "gid="));
}

static void test_minimal_and_no_process(void **state)
{
	_cleanup_(spec_freep) struct ward_spec *s = good("", "", "");
	_cleanup_(spec_freep) struct ward_spec *s2 = good(PROC_MIN, "", "");

	/* no process: allowed at create, refused by `start` */
	assert_null(s->process.args);
	assert_int_equal(s->n_mounts, 0);
	assert_int_equal(s->userns_mode, WUSERNS_HOST);
	assert_false(s->ns[WNS_NET].enabled);
	assert_true(s->ns[WNS_PID].enabled);
	assert_int_equal(s->res.n_devices, 0);
	assert_null(s->hostname);
	assert_true(s->res.memory_limit == WARD_UNSET);
	assert_string_equal(s2->process.args[0], "sh");
	assert_int_equal(s2->process.caps.bounding, 0);
	assert_false(s2->process.has_umask);
	assert_false(s2->process.has_oom_score_adj);
}

static void test_versions(void **state)
{
	static const char *const ok[] = {"1.0.0", "1.0.2", "1.0.2-dev",  "1.1.0+dev",
					 "1.2.1", "1.3.0", "1.10.0-rc.1"};
	static const struct {
		const char *v, *msg;
	} no[] = {
	    {"\"2.0.0\"", "config.json: ociVersion: '2.0.0' is not supported (ward reads "
			  "runtime-spec 1.0.0 to 1.2.1)"},
	    {"\"0.5.0\"", "config.json: ociVersion: '0.5.0' is not supported (ward reads "
			  "runtime-spec 1.0.0 to 1.2.1)"},
	    {"\"1.0\"", "config.json: ociVersion: '1.0' is not a version such as 1.2.0"},
	    {"\"01.0.0\"", "config.json: ociVersion: '01.0.0' is not a version such as 1.2.0"},
	    {"\"1.0.0-\"", "config.json: ociVersion: '1.0.0-' is not a version such as 1.2.0"},
	    {"\"v1.0.0\"", "config.json: ociVersion: 'v1.0.0' is not a version such as 1.2.0"},
	    {"1", "config.json: ociVersion: expected a string"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		_cleanup_free_ char *t = xasprintf(
		    "{\"ociVersion\": \"%s\", \"root\": {\"path\": \"rootfs\"}, \"linux\": {" NS_MIN
		    "}}",
		    ok[i]);
		_cleanup_(spec_freep) struct ward_spec *s = NULL;
		ward_err err = {0};

		if (parse(t, &s, &err) < 0)
			fail_msg("%s: %s", ok[i], err.msg);
	}
	for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
		_cleanup_free_ char *t = xasprintf(
		    "{\"ociVersion\": %s, \"root\": {\"path\": \"rootfs\"}, \"linux\": {" NS_MIN
		    "}}",
		    no[i].v);

		bad_text(t, no[i].msg);
	}
	bad_text("{\"root\": {\"path\": \"rootfs\"}}", "config.json: ociVersion: missing");
}

/* ------------------------------------------------------------------ */
/* bad bundles: one clear line each */

static void test_invalid_json(void **state)
{
	bad_text("{\"ociVersion\": \"1.0.0\",", "config.json: line 1 column 23: "
						"string or '}' expected near end of file");
	bad_text("[1, 2]", "config.json: expected a JSON object");
	bad_text("{\"ociVersion\": \"1.0.0\", \"ociVersion\": \"1.0.0\"}",
		 "config.json: line 1 column 36: duplicate object key near '\"ociVersion\"'");
	/* beyond uint64: still jansson's error */
	bad_text("{\"a\": 184467440737095516150}",
		 "config.json: line 1 column 27: too big integer");
}

static void test_root(void **state)
{
	bad_text("{\"ociVersion\": \"1.0.0\", \"linux\": {" NS_MIN "}}",
		 "config.json: root: missing");
	bad_text("{\"ociVersion\": \"1.0.0\", \"root\": {}}", "config.json: root.path: missing");
	bad_text("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"\"}}",
		 "config.json: root.path: empty path");
	{
		_cleanup_free_ char *want = xasprintf(
		    "config.json: root.path: %s/nothere: No such file or directory", F->bundle);

		bad_text("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"nothere\"}}", want);
	}
	{
		_cleanup_free_ char *file = xasprintf("%s/afile", F->bundle);
		_cleanup_free_ char *want =
		    xasprintf("config.json: root.path: %s is not a directory", file);

		assert_int_equal(write_file_atomic(file, "x", 1, 0644), 0);
		bad_text("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"afile\"}}", want);
	}
	bad_text("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"/\"}, \"linux\": {" NS_MIN
		 "}}",
		 "config.json: root.path: the host's / cannot be a container's root");
	/* an absolute root.path is used as it is */
	{
		_cleanup_free_ char *t =
		    xasprintf("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": "
			      "\"%s\"}, \"linux\": {" NS_MIN "}}",
			      F->rootfs);
		_cleanup_(spec_freep) struct ward_spec *s = NULL;
		ward_err err = {0};

		assert_int_equal(parse(t, &s, &err), 0);
		assert_string_equal(s->rootfs, F->rootfs);
	}
}

/* debug lines of wlog(), kept for test_unknown_keys */
static char debug_log[4096];

static void log_keep(enum ward_log_level level, const char *msg, void *data)
{
	size_t n = strlen(debug_log);

	if (level == WLOG_DEBUG)
		snprintf(debug_log + n, sizeof(debug_log) - n, "%s\n", msg);
}

/* runtime-spec (config.md, "Extensibility"): a runtime MUST NOT error on
 * an unknown property and MUST ignore it.  Each one parses, what it sits
 * beside is still read, and a debug line names its path. */
static struct ward_spec *ignored(const char *process, const char *top, const char *lx,
				 const char *path)
{
	_cleanup_free_ char *want = xasprintf("config.json: %s: unknown key, ignored\n", path);
	struct ward_spec *s;

	debug_log[0] = '\0';
	ward_log_set_handler(log_keep, NULL, WLOG_DEBUG);
	s = good(process, top, lx);
	ward_log_set_handler(NULL, NULL, WLOG_ERROR);
	if (!strstr(debug_log, want))
		fail_msg("no '%s' in debug log:\n%s", want, debug_log);
	return s;
}

static void test_unknown_keys(void **state)
{
	struct ward_spec *sp;

	sp = ignored("", ", \"rooot\": {}", "", "rooot");
	assert_string_equal(sp->rootfs + strlen(sp->rootfs) - strlen("/rootfs"), "/rootfs");
	spec_free(sp);
	/* the suite's misc_props: an unknown top-level key beside a process */
	sp = ignored(PROC_MIN, ", \"unknown\": \"unknown\"", "", "unknown");
	spec_free(sp);
	sp = ignored("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"tty\": true}", "", "",
		     "process.tty");
	assert_false(sp->process.terminal);
	spec_free(sp);
	sp = ignored("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 7, "
		     "\"name\": \"x\"}}",
		     "", "", "process.user.name");
	assert_int_equal(sp->process.uid, 7);
	spec_free(sp);
	spec_free(ignored("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"capabilities\": "
			  "{\"all\": []}}",
			  "", "", "process.capabilities.all"));
	spec_free(ignored("", "", ", \"resources\": {\"memroy\": {\"limit\": 1}}",
			  "linux.resources.memroy"));
	sp = ignored("", "", ", \"resources\": {\"memory\": {\"limits\": 1, \"limit\": 4194304}}",
		     "linux.resources.memory.limits");
	assert_int_equal(sp->res.memory_limit, 4194304);
	spec_free(sp);
	spec_free(ignored("", "",
			  ", \"resources\": {\"blockIO\": {\"weightDevice\": [{\"major\": 8, "
			  "\"minor\": 0, \"weight\": 10, \"x\": 1}]}}",
			  "linux.resources.blockIO.weightDevice[0].x"));
	spec_free(ignored("",
			  ", \"mounts\": [{\"destination\": \"/x\", \"type\": \"tmpfs\", "
			  "\"source\": \"tmpfs\", \"opts\": []}]",
			  "", "mounts[0].opts"));
	sp = ignored("", ", \"hooks\": {\"prestart\": [{\"path\": \"/x\", \"timeOut\": 1}]}", "",
		     "hooks.prestart[0].timeOut");
	assert_int_equal(sp->hooks.n[WHOOK_PRESTART], 1);
	spec_free(sp);
	spec_free(ignored("", ", \"hooks\": {\"preStart\": []}", "", "hooks.preStart"));
	/* seccomp: unknown keys are dropped before the shared profile parser,
	 * which would otherwise read Docker's archMap and comment or refuse
	 * what it does not know */
	sp = ignored(
	    "", "",
	    ", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
	    "[{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"comment\": \"x\", "
	    "\"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\", \"opx\": 1}]}]}",
	    "linux.seccomp.syscalls[0].comment");
	assert_non_null(strstr(debug_log, "linux.seccomp.syscalls[0].args[0].opx: unknown key"));
	assert_int_equal(sp->seccomp->n_rules, 1);
	assert_int_equal(sp->seccomp->rules[0].n_args, 1);
	spec_free(sp);
	sp = ignored("", "",
		     ", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"archMap\": "
		     "[{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": "
		     "[\"SCMP_ARCH_X86\"]}]}",
		     "linux.seccomp.archMap");
	assert_true(!sp->seccomp->architectures || !sp->seccomp->architectures[0]);
	spec_free(sp);
	spec_free(ignored("", "", ", \"namespaces2\": []", "linux.namespaces2"));
	spec_free(ignored("", "", ", \"personality\": {\"domain\": \"LINUX\", \"flag\": []}",
			  "linux.personality.flag"));
	/* a known key ward cannot honour is still refused by name, also
	 * beside an unknown one */
	bad("", ", \"zzz\": 1", ", \"intelRdt\": {\"closID\": \"x\"}",
	    "config.json: linux.intelRdt: not supported by ward");
	/* an unknown key still has to be valid JSON, and a known one of
	 * the wrong type is still an error */
	bad("", ", \"hostname\": 1", "", "config.json: hostname: expected a string");
	/* annotations are free-form, but strings */
	{
		_cleanup_(spec_freep) struct ward_spec *s =
		    good("", ", \"annotations\": {\"any.thing\": \"x\", \"org.a\": \"\"}", "");
		assert_int_equal(s->n_annotations, 2);
	}
	bad("", ", \"annotations\": {\"a\": 1}", "",
	    "config.json: annotations.a: expected a string");
}

static void test_unsupported(void **state)
{
	static const struct {
		const char *process, *top, *lx, *msg;
	} cases[] = {
	    {"", "", ", \"intelRdt\": {\"closID\": \"x\"}",
	     "config.json: linux.intelRdt: not supported by ward"},
	    {"", "", ", \"memoryPolicy\": {\"mode\": \"MPOL_BIND\"}",
	     "config.json: linux.memoryPolicy: not supported by ward"},
	    {"", "", ", \"netDevices\": {\"eth0\": {}}",
	     "config.json: linux.netDevices: not supported by ward"},
	    {"", ", \"windows\": {\"layerFolders\": []}", "",
	     "config.json: windows: not supported by ward"},
	    {"", ", \"solaris\": {}", "", "config.json: solaris: not supported by ward"},
	    {"", ", \"vm\": {\"kernel\": {\"path\": \"/k\"}}", "",
	     "config.json: vm: not supported by ward"},
	    {"", ", \"zos\": {}", "", "config.json: zos: not supported by ward"},
	    {"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"scheduler\": {\"policy\": "
	     "\"SCHED_FIFO\"}}",
	     "", "", "config.json: process.scheduler: not supported by ward"},
	    {"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"ioPriority\": {\"class\": "
	     "\"IOPRIO_CLASS_RT\", \"priority\": 1}}",
	     "", "", "config.json: process.ioPriority: not supported by ward"},
	    {"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"execCPUAffinity\": {\"final\": "
	     "\"0\"}}",
	     "", "", "config.json: process.execCPUAffinity: not supported by ward"},
	    {"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"commandLine\": \"cmd.exe\"}", "",
	     "", "config.json: process.commandLine: not supported by ward"},
	    {"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"username\": \"x\"}}",
	     "", "", "config.json: process.user.username: not supported by ward"},
	    {"",
	     ", \"mounts\": [{\"destination\": \"/x\", \"source\": \"/tmp\", \"options\": "
	     "[\"rbind\", \"idmap\"]}]",
	     "", "config.json: mounts[0].options: idmapped mounts are not supported by ward yet"},
	    {"",
	     ", \"mounts\": [{\"destination\": \"/x\", \"source\": \"/tmp\", \"options\": "
	     "[\"rbind\"], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}]",
	     "",
	     "config.json: mounts[0].uidMappings: idmapped mounts are not supported by ward yet"},
	    {"",
	     ", \"mounts\": [{\"destination\": \"/x\", \"type\": \"tmpfs\", \"options\": "
	     "[\"tmpcopyup\"]}]",
	     "",
	     "config.json: mounts[0].options[0]: mount option 'tmpcopyup' is not supported "
	     "by ward"},
	    {"",
	     ", \"mounts\": [{\"destination\": \"/x\", \"type\": \"tmpfs\", \"options\": "
	     "[\"remount\"]}]",
	     "",
	     "config.json: mounts[0].options[0]: mount option 'remount' is not supported by "
	     "ward"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		bad(cases[i].process, cases[i].top, cases[i].lx, cases[i].msg);
	/* null is absent, as in Go */
	{
		_cleanup_(spec_freep) struct ward_spec *s =
		    good("", ", \"windows\": null", ", \"intelRdt\": null");
		assert_non_null(s);
	}
}

static void test_process_errors(void **state)
{
	static const struct {
		const char *process, *msg;
	} cases[] = {
	    {"\"process\": {\"args\": [\"sh\"], \"cwd\": \"tmp\"}",
	     "config.json: process.cwd: 'tmp' is not an absolute path"},
	    {"\"process\": {\"args\": [\"sh\"]}", "config.json: process.cwd: missing"},
	    {"\"process\": {\"cwd\": \"/\"}", "config.json: process.args: missing"},
	    {"\"process\": {\"args\": [], \"cwd\": \"/\"}", "config.json: process.args: missing"},
	    {"\"process\": {\"args\": [\"\"], \"cwd\": \"/\"}",
	     "config.json: process.args: the command is empty"},
	    {"\"process\": {\"args\": \"sh\", \"cwd\": \"/\"}",
	     "config.json: process.args: expected an array of strings"},
	    {"\"process\": {\"args\": [\"sh\", 1], \"cwd\": \"/\"}",
	     "config.json: process.args[1]: expected a string"},
	    {"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"env\": [\"A=1\", \"B\"]}",
	     "config.json: process.env[1]: 'B' is not KEY=VALUE"},
	    {"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": [{\"type\": "
	     "\"RLIMIT_FOO\", \"soft\": 1, \"hard\": 1}]}",
	     "config.json: process.rlimits[0].type: unknown rlimit 'RLIMIT_FOO'"},
	    {"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": [{\"type\": "
	     "\"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 1}, {\"type\": \"RLIMIT_NOFILE\", "
	     "\"soft\": 2, \"hard\": 2}]}",
	     "config.json: process.rlimits[1].type: RLIMIT_NOFILE is set twice"},
	    {"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": [{\"type\": "
	     "\"RLIMIT_NOFILE\", \"soft\": 10, \"hard\": 1}]}",
	     "config.json: process.rlimits[0]: soft limit 10 is above the hard limit 1"},
	    {"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": [{\"type\": "
	     "\"RLIMIT_NOFILE\", \"soft\": 1}]}",
	     "config.json: process.rlimits[0].hard: missing"},
	    {"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": [{\"type\": "
	     "\"RLIMIT_NOFILE\", \"soft\": 1.5, \"hard\": 2}]}",
	     "config.json: process.rlimits[0].soft: expected an integer"},
	    {"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"oomScoreAdj\": 1001}",
	     "config.json: process.oomScoreAdj: 1001 is out of range (-1000 to 1000)"},
	    {"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": -1}}",
	     "config.json: process.user.uid: -1 is out of range (0 to 4294967295)"},
	    {"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"umask\": 512}}",
	     "config.json: process.user.umask: 512 is out of range (0 to 511)"},
	    {"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"terminal\": 1}",
	     "config.json: process.terminal: expected true or false"},
	    {"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"consoleSize\": {\"height\": 1}}",
	     "config.json: process.consoleSize.width: missing"},
	    {"\"process\": [1]", "config.json: process: expected an object"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		bad(cases[i].process, "", "", cases[i].msg);
	/* a console size without a terminal is ignored */
	{
		_cleanup_(spec_freep) struct ward_spec *s =
		    good("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"consoleSize\": "
			 "{\"height\": "
			 "10, \"width\": 20}}",
			 "", "");
		assert_int_equal(s->process.console_height, 0);
	}
}

static void test_namespaces(void **state)
{
#define head                                                                                       \
	"{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"rootfs\"}%s, \"linux\": "              \
	"{\"namespaces\": "                                                                        \
	"[%s]%s}}"
	static const struct {
		const char *top, *ns, *lx, *msg;
	} cases[] = {
	    {"", "{\"type\": \"mount\"}, {\"type\": \"pidd\"}", "",
	     "config.json: linux.namespaces[1].type: unknown namespace type 'pidd'"},
	    {"", "{\"type\": \"mount\"}, {\"type\": \"pid\"}, {\"type\": \"pid\"}", "",
	     "config.json: linux.namespaces[2].type: the pid namespace is listed twice"},
	    {"", "{\"type\": \"mount\"}, {\"path\": \"/x\"}", "",
	     "config.json: linux.namespaces[1].type: missing"},
	    {"", "{\"type\": \"mount\"}, {\"type\": \"network\", \"path\": \"run/netns/x\"}", "",
	     "config.json: linux.namespaces[1].path: 'run/netns/x' is not an absolute path"},
	    {", \"hostname\": \"h\"", "{\"type\": \"mount\"}", "",
	     "config.json: hostname: needs a uts namespace"},
	    {", \"domainname\": \"d\"", "{\"type\": \"mount\"}", "",
	     "config.json: domainname: needs a uts namespace"},
	    {", \"hostname\": "
	     "\"01234567890123456789012345678901234567890123456789012345678901234\"",
	     "{\"type\": \"mount\"}, {\"type\": \"uts\"}", "",
	     "config.json: hostname: "
	     "'01234567890123456789012345678901234567890123456789012345678901"
	     "23...' is longer than 64 characters"},
	    {"", "{\"type\": \"mount\"}, {\"type\": \"user\"}", "",
	     "config.json: linux.uidMappings: missing (a new user namespace needs uidMappings and "
	     "gidMappings)"},
	    {"", "{\"type\": \"mount\"}, {\"type\": \"user\"}",
	     ", \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]",
	     "config.json: linux.gidMappings: missing (a new user namespace needs uidMappings and "
	     "gidMappings)"},
	    {"", "{\"type\": \"mount\"}",
	     ", \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]",
	     "config.json: linux.uidMappings: set without a user namespace"},
	    {"", "{\"type\": \"mount\"}, {\"type\": \"user\"}",
	     ", \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 0}]",
	     "config.json: linux.uidMappings[0].size: a mapping of no ids"},
	    {"", "{\"type\": \"mount\"}, {\"type\": \"user\"}",
	     ", \"uidMappings\": [{\"containerID\": 4294967295, \"hostID\": 1000, \"size\": 2}]",
	     "config.json: linux.uidMappings[0]: the range goes past id 4294967295"},
	    {"", "{\"type\": \"mount\"}, {\"type\": \"user\"}",
	     ", \"uidMappings\": [{\"containerID\": 0, \"size\": 2}]",
	     "config.json: linux.uidMappings[0].hostID: missing"},
	    {"", "{\"type\": \"mount\"}", ", \"timeOffsets\": {\"monotonic\": {\"secs\": 1}}",
	     "config.json: linux.timeOffsets: needs a new time namespace"},
	    {"", "{\"type\": \"mount\"}, {\"type\": \"time\", \"path\": \"/proc/1/ns/time\"}",
	     ", \"timeOffsets\": {\"boottime\": {\"secs\": 1}}",
	     "config.json: linux.timeOffsets: cannot change a joined time namespace"},
	    {"", "{\"type\": \"mount\"}, {\"type\": \"time\"}",
	     ", \"timeOffsets\": {\"realtime\": {\"secs\": 1}}",
	     "config.json: linux.timeOffsets.realtime: unknown clock (monotonic, boottime)"},
	    {"", "{\"type\": \"mount\"}, {\"type\": \"time\"}",
	     ", \"timeOffsets\": {\"boottime\": {\"nanosecs\": 1000000000}}",
	     "config.json: linux.timeOffsets.boottime.nanosecs: 1000000000 is out of range (0 to "
	     "999999999)"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *t = xasprintf(head, cases[i].top, cases[i].ns, cases[i].lx);
		bad_text(t, cases[i].msg);
	}
	/* a user namespace joined by path needs no maps */
	{
		_cleanup_free_ char *t =
		    xasprintf(head, "",
			      "{\"type\": \"mount\"}, {\"type\": \"user\", \"path\": "
			      "\"/proc/1/ns/user\"}",
			      "");
		_cleanup_(spec_freep) struct ward_spec *s = NULL;
		ward_err err = {0};

		if (parse(t, &s, &err) < 0)
			fail_msg("%s", err.msg);
		assert_int_equal(s->userns_mode, WUSERNS_EXPLICIT);
		assert_string_equal(s->ns[WNS_USER].path, "/proc/1/ns/user");
		assert_int_equal(s->n_uid_maps, 0);
	}
	/* an empty path is no path */
	{
		_cleanup_free_ char *t =
		    xasprintf(head, "", "{\"type\": \"mount\", \"path\": \"\"}", "");
		_cleanup_(spec_freep) struct ward_spec *s = NULL;
		ward_err err = {0};

		assert_int_equal(parse(t, &s, &err), 0);
		assert_null(s->ns[WNS_MNT].path);
	}
	/* every namespace inherited (the suite's linux_ns_itype), or the
	 * mount namespace joined (linux_ns_path): the runtime's business */
	{
		_cleanup_free_ char *t = xasprintf(head, "", "", "");
		_cleanup_(spec_freep) struct ward_spec *s = NULL;
		ward_err err = {0};

		assert_int_equal(parse(t, &s, &err), 0);
		for (int i = 0; i < WNS__MAX; i++)
			assert_false(s->ns[i].enabled);
		assert_int_equal(s->userns_mode, WUSERNS_HOST);
	}
	{
		_cleanup_free_ char *t =
		    xasprintf(head, "", "{\"type\": \"mount\", \"path\": \"/proc/1/ns/mnt\"}", "");
		_cleanup_(spec_freep) struct ward_spec *s = NULL;
		ward_err err = {0};

		assert_int_equal(parse(t, &s, &err), 0);
		assert_true(s->ns[WNS_MNT].enabled);
		assert_string_equal(s->ns[WNS_MNT].path, "/proc/1/ns/mnt");
	}
#undef head
}

static void test_mounts(void **state)
{
	static const struct {
		const char *mounts, *msg;
	} cases[] = {
	    {"[{\"type\": \"tmpfs\"}]", "config.json: mounts[0].destination: missing"},
	    {"[{\"destination\": \"/x\", \"options\": [\"bind\"]}]",
	     "config.json: mounts[0].source: missing (a bind mount needs a source)"},
	    {"[{\"destination\": \"/x\", \"source\": \"x\"}]",
	     "config.json: mounts[0].type: missing (needed unless the mount is a bind)"},
	    {"[{\"destination\": \"/\", \"type\": \"tmpfs\"}]",
	     "config.json: mounts[0].destination: cannot mount over the container's /"},
	    {"[{\"destination\": \"/a/../b\", \"type\": \"tmpfs\"}]",
	     "config.json: mounts[0].destination: '/a/../b' has a '.' or '..' component"},
	    {"[{\"destination\": \"/a\", \"type\": \"tmpfs\", \"options\": [\"size=1,mode=1\"]}]",
	     "config.json: mounts[0].options[0]: 'size=1,mode=1' is not one mount option"},
	    {"[{\"destination\": \"/a\", \"type\": \"tmpfs\", \"options\": [\"\"]}]",
	     "config.json: mounts[0].options[0]: '' is not one mount option"},
	    {"{}", "config.json: mounts: expected an array"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *top = xasprintf(", \"mounts\": %s", cases[i].mounts);
		bad("", top, "", cases[i].msg);
	}
	{
		_cleanup_(spec_freep) struct ward_spec *s =
		    good("",
			 ", \"mounts\": [{\"destination\": \"relative/dir\", \"type\": \"tmpfs\", "
			 "\"options\": [\"ro\", \"rw\", \"nodev\", \"dev\", \"rnoatime\", "
			 "\"rrelatime\", "
			 "\"rnosuid\", \"rsuid\", \"nosymfollow\", \"defaults\", \"uid=0\"]}, "
			 "{\"destination\": \"/m\", \"type\": \"mqueue\", \"source\": \"mqueue\"}, "
			 "{\"destination\": \"/m\", \"type\": \"tmpfs\", \"source\": \"\"}]",
			 "");
		const struct ward_mount *m = &s->mounts[0];

		assert_string_equal(m->destination, "/relative/dir");
		assert_int_equal(m->flags, 256 /* MS_NOSYMFOLLOW */);
		assert_int_equal(m->rec_attr_set, MOUNT_ATTR_RELATIME);
		assert_int_equal(m->rec_attr_clr, MOUNT_ATTR__ATIME | MOUNT_ATTR_NOSUID);
		assert_string_equal(m->data, "uid=0");
		/* the same destination twice stacks, in order */
		assert_int_equal(s->n_mounts, 3);
		assert_string_equal(s->mounts[1].type, "mqueue");
		assert_string_equal(s->mounts[2].type, "tmpfs");
		assert_null(s->mounts[2].source);
	}
	/* unknown options of a bind are data too (the suite's "mounts" test
	 * gives its binds tmpfs options) */
	{
		_cleanup_(spec_freep) struct ward_spec *s =
		    good("",
			 ", \"mounts\": [{\"destination\": \"/mnt/etc\", \"source\": \"/etc\", "
			 "\"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=1k\", "
			 "\"rbind\", \"runbindable\"]}]",
			 "");
		const struct ward_mount *m = &s->mounts[0];

		assert_string_equal(m->type, "bind");
		assert_string_equal(m->source, "/etc");
		assert_int_equal(m->flags, MS_BIND | MS_REC | MS_NOSUID | MS_STRICTATIME);
		assert_int_equal(m->propagation, MS_UNBINDABLE | MS_REC);
		assert_string_equal(m->data, "mode=755,size=1k");
	}
}

static void test_linux_errors(void **state)
{
	static const struct {
		const char *lx, *msg;
	} cases[] = {
	    {", \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}",
	     "config.json: linux.sysctl.net.ipv4.ip_forward: needs a network namespace"},
	    {", \"sysctl\": {\"kernel.shmmax\": \"1\"}",
	     "config.json: linux.sysctl.kernel.shmmax: needs a ipc namespace"},
	    {", \"sysctl\": {\"vm.swappiness\": \"1\"}",
	     "config.json: linux.sysctl.vm.swappiness: 'vm.swappiness' is not in a namespace of "
	     "the "
	     "container's own"},
	    {", \"sysctl\": {\"net/../../x\": \"1\"}",
	     "config.json: linux.sysctl.net/../../x: not a sysctl name"},
	    {", \"sysctl\": {\"net.a\": 1}", "config.json: linux.sysctl.net.a: expected a string"},
	    {", \"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1}]",
	     "config.json: linux.devices[0].minor: missing"},
	    {", \"devices\": [{\"path\": \"/dev/x\", \"type\": \"x\", \"major\": 1, \"minor\": 1}]",
	     "config.json: linux.devices[0].type: 'x' is not c, b, u or p"},
	    {", \"devices\": [{\"path\": \"dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 1}]",
	     "config.json: linux.devices[0].path: 'dev/x' is not an absolute path"},
	    {", \"devices\": [{\"path\": \"/dev/x\", \"type\": \"p\"}, {\"path\": \"/dev/x\", "
	     "\"type\": \"p\"}]",
	     "config.json: linux.devices[1].path: /dev/x is listed twice"},
	    {", \"rootfsPropagation\": \"rshare\"",
	     "config.json: linux.rootfsPropagation: unknown propagation 'rshare' (shared, slave, "
	     "private, unbindable)"},
	    {", \"maskedPaths\": [\"proc/kcore\"]",
	     "config.json: linux.maskedPaths[0]: 'proc/kcore' is not an absolute path"},
	    {", \"readonlyPaths\": \"/proc/sys\"",
	     "config.json: linux.readonlyPaths: expected an array"},
	    {", \"personality\": {\"domain\": \"LINUX64\"}",
	     "config.json: linux.personality.domain: unknown domain 'LINUX64' (LINUX, LINUX32)"},
	    {", \"personality\": {\"domain\": \"LINUX\", \"flags\": [\"ADDR_NO_RANDOMIZE\"]}",
	     "config.json: linux.personality.flags[0]: unknown personality flag "
	     "'ADDR_NO_RANDOMIZE'"},
	    {", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_KILL\", \"defaultErrnoRet\": 1}",
	     "config.json: linux.seccomp.defaultErrnoRet: SCMP_ACT_KILL_THREAD returns no errno"},
	    {", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
	     "[\"mkdir\"], \"action\": \"SCMP_ACT_LOG\", \"errnoRet\": 1}]}",
	     "config.json: linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_LOG returns no errno"},
	    {", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
	     "[\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
	     "config.json: linux.seccomp.listenerPath: missing (SCMP_ACT_NOTIFY sends its fd "
	     "there)"},
	    {", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOWED\"}",
	     "config.json: linux.seccomp: defaultAction: unknown action \"SCMP_ACT_ALLOWED\""},
	    {", \"seccomp\": {\"syscalls\": []}",
	     "config.json: linux.seccomp: defaultAction: missing"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		bad("", "", cases[i].lx, cases[i].msg);
	/* what each namespace allows */
	{
		_cleanup_free_ char *t = xasprintf(
		    "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"rootfs\"}, \"linux\": "
		    "{\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"network\"}, {\"type\": "
		    "\"ipc\"}, {\"type\": \"uts\"}], \"sysctl\": {\"net.core.somaxconn\": \"10\", "
		    "\"fs.mqueue.msg_max\": \"10\", \"kernel.sem\": \"1 2 3 4\", "
		    "\"kernel.domainname\": \"x\"}}}");
		_cleanup_(spec_freep) struct ward_spec *s = NULL;
		ward_err err = {0};

		if (parse(t, &s, &err) < 0)
			fail_msg("%s", err.msg);
		assert_int_equal(s->n_sysctl, 4);
	}
	{
		_cleanup_(spec_freep) struct ward_spec *s =
		    good("", "",
			 ", \"rootfsPropagation\": \"rprivate\", \"personality\": "
			 "{\"domain\": \"LINUX\", \"flags\": []}, \"cgroupsPath\": \"\"");
		assert_int_equal(s->rootfs_propagation, MS_PRIVATE | MS_REC);
		assert_true(s->has_personality);
		assert_int_equal(s->personality, PER_LINUX);
		assert_null(s->cgroup_path);
	}
}

static void test_hook_errors(void **state)
{
	bad("", ", \"hooks\": {\"poststop\": [{\"args\": [\"x\"]}]}", "",
	    "config.json: hooks.poststop[0].path: missing");
	bad("", ", \"hooks\": {\"poststop\": [{\"path\": \"bin/x\"}]}", "",
	    "config.json: hooks.poststop[0].path: 'bin/x' is not an absolute path");
	bad("",
	    ", \"hooks\": {\"poststart\": [{\"path\": \"/x\"}, {\"path\": \"/x\", \"timeout\": "
	    "0}]}",
	    "", "config.json: hooks.poststart[1].timeout: 0 is out of range (1 to 2147483647)");
	bad("", ", \"hooks\": {\"createRuntime\": {\"path\": \"/x\"}}", "",
	    "config.json: hooks.createRuntime: expected an array");
	bad("", ", \"hooks\": {\"startContainer\": [{\"path\": \"/x\", \"env\": [\"=x\"]}]}", "",
	    "config.json: hooks.startContainer[0].env[0]: '=x' is not KEY=VALUE");
}

static void test_resource_errors(void **state)
{
	static const struct {
		const char *res, *msg;
	} cases[] = {
	    {"{\"memory\": {\"swappiness\": 101}}",
	     "config.json: linux.resources.memory.swappiness: 101 is out of range (0 to 100)"},
	    {"{\"memory\": {\"limit\": -2}}",
	     "config.json: linux.resources.memory.limit: -2 is out of range (-1 to "
	     "9223372036854775807)"},
	    {"{\"memory\": {\"limit\": 100, \"swap\": 50}}",
	     "config.json: linux.resources.memory.swap: 50 (memory plus swap) is below the memory "
	     "limit 100"},
	    {"{\"memory\": {\"disableOOMKiller\": \"yes\"}}",
	     "config.json: linux.resources.memory.disableOOMKiller: expected true or false"},
	    {"{\"cpu\": {\"cpus\": \"0-\"}}",
	     "config.json: linux.resources.cpu.cpus: '0-' is not a list such as 0-3,7"},
	    {"{\"cpu\": {\"idle\": 2}}",
	     "config.json: linux.resources.cpu.idle: 2 is out of range (0 to 1)"},
	    {"{\"cpu\": {\"quota\": 1000, \"burst\": 2000}}",
	     "config.json: linux.resources.cpu.burst: 2000 is above the quota 1000"},
	    {"{\"pids\": {}}", "config.json: linux.resources.pids.limit: missing"},
	    {"{\"blockIO\": {\"weight\": 5}}",
	     "config.json: linux.resources.blockIO.weight: 5 is out of range (10 to 1000)"},
	    {"{\"blockIO\": {\"weightDevice\": [{\"major\": 8, \"minor\": 0}]}}",
	     "config.json: linux.resources.blockIO.weightDevice[0]: needs a weight or a "
	     "leafWeight"},
	    {"{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"rate\": 1}]}}",
	     "config.json: linux.resources.blockIO.throttleReadBpsDevice[0].minor: missing"},
	    {"{\"hugepageLimits\": [{\"pageSize\": \"2M\", \"limit\": 1}]}",
	     "config.json: linux.resources.hugepageLimits[0].pageSize: '2M' is not a size such as "
	     "2MB"},
	    {"{\"hugepageLimits\": [{\"pageSize\": \"2MB\"}]}",
	     "config.json: linux.resources.hugepageLimits[0].limit: missing"},
	    {"{\"network\": {\"priorities\": [{\"name\": \"a b\", \"priority\": 1}]}}",
	     "config.json: linux.resources.network.priorities[0].name: not an interface name"},
	    {"{\"network\": {\"classID\": -1}}",
	     "config.json: linux.resources.network.classID: -1 is out of range (0 to 4294967295)"},
	    {"{\"rdma\": {\"mlx\": {}}}",
	     "config.json: linux.resources.rdma.mlx: needs hcaHandles or hcaObjects"},
	    {"{\"unified\": {\"../cgroup.procs\": \"1\"}}",
	     "config.json: linux.resources.unified.../cgroup.procs: not a cgroup file name such as "
	     "memory.high"},
	    {"{\"devices\": [{\"allow\": true, \"type\": \"x\"}]}",
	     "config.json: linux.resources.devices[0].type: 'x' is not a, c or b"},
	    {"{\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]}",
	     "config.json: linux.resources.devices[0].access: 'rwx' is not made of r, w and m"},
	    {"{\"devices\": [{\"allow\": true, \"access\": \"rr\"}]}",
	     "config.json: linux.resources.devices[0].access: 'rr' is not made of r, w and m"},
	    {"{\"devices\": [{\"type\": \"c\"}]}",
	     "config.json: linux.resources.devices[0].allow: missing"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *lx = xasprintf(", \"resources\": %s", cases[i].res);
		bad("", "", lx, cases[i].msg);
	}
	/* runc's zeros: not set */
	{
		_cleanup_(spec_freep) struct ward_spec *s =
		    good("", "",
			 ", \"resources\": {\"memory\": {\"limit\": 0, \"swappiness\": "
			 "18446744073709551615}, \"cpu\": {\"shares\": 0, \"quota\": 0, "
			 "\"cpus\": \"\"}, \"pids\": {\"limit\": 0}, \"blockIO\": "
			 "{\"weight\": 0}}");
		assert_true(s->res.memory_limit == WARD_UNSET);
		assert_true(s->res.memory_swappiness == WARD_UNSET);
		assert_true(s->res.cpu_shares == WARD_UNSET);
		assert_true(s->res.cpu_quota == WARD_UNSET);
		assert_null(s->res.cpuset_cpus);
		assert_true(s->res.pids_limit == WARD_UNSET);
		assert_true(s->res.blkio_weight == WARD_UNSET);
	}
	{
		_cleanup_(spec_freep) struct ward_spec *s =
		    good("", "",
			 ", \"resources\": {\"pids\": {\"limit\": -5}, \"memory\": "
			 "{\"limit\": -1, \"swap\": -1}}");
		assert_int_equal(s->res.pids_limit, -1);
		assert_int_equal(s->res.memory_limit, -1);
		assert_int_equal(s->res.memory_swap, -1);
	}
}

/* ------------------------------------------------------------------ */
/* the other entry points */

static void test_process_from_json(void **state)
{
	struct ward_process p = {0};
	ward_err err = {0};
	json_t *doc;
	static const char exec_json[] =
	    "{\"args\": [\"ls\", \"-l\"], \"cwd\": \"/tmp\", \"env\": [\"A=b\"], "
	    "\"user\": {\"uid\": 5, \"gid\": 6}, \"terminal\": false, "
	    "\"capabilities\": {\"bounding\": [\"CAP_CHOWN\"]}, \"noNewPrivileges\": true}";

	doc = oci_json_load(exec_json, strlen(exec_json), "process.json", &err);
	assert_non_null(doc);
	assert_int_equal(oci_process_from_json(doc, "process.json", &p, &err), 0);
	json_decref(doc);
	assert_string_equal(p.args[1], "-l");
	assert_string_equal(p.cwd, "/tmp");
	assert_int_equal(p.uid, 5);
	assert_int_equal(p.caps.bounding, CAPBIT(CAP_CHOWN));
	assert_true(p.no_new_privs);

	/* refused: P keeps what it had; the message names the file */
	doc = json_pack("{s:[s], s:s}", "args", "ls", "cwd", "tmp");
	assert_int_equal(oci_process_from_json(doc, "process.json", &p, &err), -EINVAL);
	assert_string_equal(err.msg, "process.json: cwd: 'tmp' is not an absolute path");
	json_decref(doc);
	assert_string_equal(p.cwd, "/tmp");
	/* an unknown key is ignored (runtime-spec), the rest is read */
	doc = json_pack("{s:[s], s:s, s:b}", "args", "ls", "cwd", "/", "tty", 1);
	assert_int_equal(oci_process_from_json(doc, "process.json", &p, &err), 0);
	assert_string_equal(p.cwd, "/");
	assert_false(p.terminal);
	json_decref(doc);
	process_clear(&p);
	assert_null(p.args);
}

static void test_resources_from_json(void **state)
{
	struct ward_resources res;
	ward_err err = {0};
	json_t *doc;
	static const char upd[] =
	    "{\"memory\": {\"limit\": 1048576}, \"cpu\": {\"quota\": 50000, \"period\": 100000}, "
	    "\"pids\": {\"limit\": 10}}";

	spec_resources_init(&res);
	doc = oci_json_load(upd, strlen(upd), "resources.json", &err);
	assert_non_null(doc);
	assert_int_equal(oci_resources_from_json(doc, "resources.json", &res, &err), 0);
	json_decref(doc);
	assert_int_equal(res.memory_limit, 1048576);
	assert_int_equal(res.cpu_quota, 50000);
	assert_int_equal(res.pids_limit, 10);
	assert_true(res.memory_swap == WARD_UNSET);
	assert_int_equal(res.n_devices, 0);

	/* an unknown key is ignored; a refused update leaves RES unset */
	doc = json_pack("{s:{s:i}}", "memory", "limt", 1);
	assert_int_equal(oci_resources_from_json(doc, "resources.json", &res, &err), 0);
	json_decref(doc);
	assert_true(res.memory_limit == WARD_UNSET);
	doc = json_pack("{s:{s:s}}", "memory", "limit", "x");
	assert_int_equal(oci_resources_from_json(doc, "resources.json", &res, &err), -EINVAL);
	assert_string_equal(err.msg, "resources.json: memory.limit: expected an integer");
	json_decref(doc);
	assert_true(res.memory_limit == WARD_UNSET);
	spec_resources_clear(&res);
}

static void test_load_errors(void **state)
{
	_cleanup_(spec_freep) struct ward_spec *s = NULL;
	_cleanup_free_ char *p = xasprintf("%s/config.json", F->bundle);
	ward_err err = {0};

	assert_int_equal(oci_spec_load(F->bundle, "x", &s, &err), -ENOENT);
	assert_string_equal(err.msg, "config.json: No such file or directory");
	assert_int_equal(write_file_atomic(p, "{\"ociVersion\": 1", 16, 0644), 0);
	assert_int_equal(oci_spec_load(F->bundle, "x", &s, &err), -EINVAL);
	assert_string_equal(err.msg,
			    "config.json: line 1 column 16: '}' expected near end of file");
	assert_null(s);
	assert_int_equal(oci_spec_load("/nonexistent-ward-bundle", "x", &s, &err), -ENOENT);
}

static void test_big_integers(void **state)
{
	/* a big number inside a string is left alone; beyond 2^64 stays an error */
	_cleanup_(spec_freep) struct ward_spec *s = good(
	    "\"process\": {\"args\": [\"echo\", \"18446744073709551615\"], \"cwd\": \"/\", "
	    "\"rlimits\": [{\"type\": \"RLIMIT_AS\", \"soft\": 9223372036854775808, \"hard\": "
	    "18446744073709551615}]}",
	    ", \"annotations\": {\"n\": \"9223372036854775808 \\\"18446744073709551615\"}", "");

	assert_string_equal(s->process.args[1], "18446744073709551615");
	assert_true(s->process.rlimits[0].soft == 9223372036854775808ULL);
	assert_true(s->process.rlimits[0].hard == UINT64_MAX);
	assert_string_equal(s->annotations[0].value, "9223372036854775808 \"18446744073709551615");
	/* but a uint32 field is no uint64 */
	bad("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": "
	    "18446744073709551615}}",
	    "", "", "config.json: process.user.uid: -1 is out of range (0 to 4294967295)");
	bad("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": [{\"type\": "
	    "\"RLIMIT_AS\", \"soft\": 1e3, \"hard\": 1}]}",
	    "", "", "config.json: process.rlimits[0].soft: expected an integer");
}

static void test_features(void **state)
{
	json_t *f = oci_features();
	json_t *opts, *lx;
	bool has_rro = false, has_idmap = false;
	size_t i;
	json_t *e;

	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "ociVersionMin")), "1.0.0");
	assert_string_equal(json_string_value(json_object_get(f, "ociVersionMax")),
			    OCI_SPEC_VERSION_MAX);
	assert_int_equal(json_array_size(json_object_get(f, "hooks")), 6);
	opts = json_object_get(f, "mountOptions");
	json_array_foreach (opts, i, e) {
		has_rro |= streq(json_string_value(e), "rro");
		has_idmap |= streq(json_string_value(e), "idmap");
	}
	assert_true(has_rro);
	assert_false(has_idmap);
	lx = json_object_get(f, "linux");
	assert_int_equal(json_array_size(json_object_get(lx, "namespaces")), 8);
	assert_true(json_array_size(json_object_get(lx, "capabilities")) >= 38);
	assert_true(json_is_true(json_object_get(json_object_get(lx, "cgroup"), "v1")));
	assert_true(json_is_false(json_object_get(json_object_get(lx, "cgroup"), "systemd")));
	assert_true(json_is_true(json_object_get(json_object_get(lx, "seccomp"), "enabled")));
	assert_true(json_array_size(json_object_get(json_object_get(lx, "seccomp"), "archs")) > 0);
	assert_true(json_is_false(json_object_get(json_object_get(lx, "intelRdt"), "enabled")));
	assert_true(json_is_false(json_object_get(
	    json_object_get(json_object_get(lx, "mountExtensions"), "idmap"), "enabled")));
	assert_non_null(json_object_get(json_object_get(f, "annotations"),
					"io.github.seccomp.libseccomp.version"));
	json_decref(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_full_process, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_capabilities_left_out, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_full_root_mounts_hooks, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_full_linux, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_full_resources, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_default_config, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_default_config_rootless, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_minimal_and_no_process, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_versions, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_json, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_root, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_keys, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_unsupported, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_process_errors, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_namespaces, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_mounts, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_linux_errors, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_hook_errors, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_resource_errors, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_process_from_json, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_resources_from_json, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_load_errors, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_big_integers, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_features, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
