/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Container config files (src/spec/config.h, ward-config(5)): the classic
 * LXC "vm1" config gives the same spec in its old and new spellings; every
 * LXC key family has a good value and a refused one, and every refusal is
 * one line naming file, line and key; includes follow directories and
 * relative paths and stop at loops; config_write() reads back to the same
 * settings.  Nothing here touches the network or changes the host.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/if_link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "net/netspec.h"
#include "spec/config.h"
#include "spec/options.h"
#include "spec/spec.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"
#include "util/syscalls.h"

#define CAPBIT(c) (1ULL << (c))

/* ------------------------------------------------------------------ */
/* fixture: fresh settings, a scratch directory with a root filesystem
 * and a store that defines the ward network "web" */

struct fx {
	struct run_settings rs;
	char dir[96];
	char rootfs[128];
	char lib[128];
	char conf[128]; /* DIR/t.conf: the name test texts are read as */
};

static const char *fixtures(void)
{
	const char *d = getenv("WARD_TEST_FIXTURES");

	return d && *d ? d : WARD_TEST_FIXTURES;
}

static char *fixture(const char *name)
{
	char *p = xasprintf("%s/config/%s", fixtures(), name);

	assert_non_null(p);
	return p;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	ward_err err = {0};
	char tmpl[] = "/tmp/ward-test-config.XXXXXX";
	_cleanup_free_ char *real = NULL;
	char path[256];

	if (!f || !mkdtemp(tmpl) || !(real = realpath(tmpl, NULL)) || strlen(real) > 80)
		return -1;
	strcpy(f->dir, real);
	snprintf(f->rootfs, sizeof(f->rootfs), "%s/rootfs", f->dir);
	snprintf(f->lib, sizeof(f->lib), "%s/lib", f->dir);
	snprintf(f->conf, sizeof(f->conf), "%s/t.conf", f->dir);
	snprintf(path, sizeof(path), "%s/networks", f->lib);
	if (mkdir(f->rootfs, 0755) < 0 || mkdir_p(path, 0755) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/networks/web.json", f->lib);
	if (write_file_atomic(path, "{}\n", 3, 0644) < 0)
		return -1;
	if (run_settings_init(&f->rs, &err) < 0) {
		print_error("run_settings_init: %s\n", err.msg);
		return -1;
	}
	f->rs.lib_dir = f->lib;
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

/* fresh settings for a second read in the same test */
static void fx_reset(struct fx *f)
{
	ward_err err = {0};

	run_settings_clear(&f->rs);
	assert_int_equal(run_settings_init(&f->rs, &err), 0);
	f->rs.lib_dir = f->lib;
}

/* ROOT in a test text stands for the fixture's root filesystem */
static char *expand(const struct fx *f, const char *text)
{
	size_t n = 0;
	char *out, *o;

	for (const char *p = text; (p = strstr(p, "ROOT")); p += 4)
		n++;
	out = o = malloc(strlen(text) + n * strlen(f->rootfs) + 1);
	assert_non_null(out);
	for (const char *p = text; *p;) {
		if (startswith(p, "ROOT")) {
			o = stpcpy(o, f->rootfs);
			p += 4;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

/* Read TEXT as the file NAME, then finish. */
static int read_as(struct run_settings *rs, const char *name, const char *text, ward_err *err)
{
	_cleanup_(config_freep) struct config *c = config_new(rs);
	int r;

	assert_non_null(c);
	r = config_read_buffer(c, name, text, strlen(text), err);
	return r < 0 ? r : config_finish(c, err);
}

static void read_ok(struct fx *f, const char *text)
{
	_cleanup_free_ char *t = expand(f, text);
	ward_err err = {0};

	if (read_as(&f->rs, f->conf, t, &err) < 0)
		fail_msg("%s\n--> %s", t, err.msg);
}

/* The message is one line, names the file and line, and says why. */
static void check_error(const ward_err *err, const char *where, const char *why)
{
	assert_true(err->code > 0);
	assert_null(strchr(err->msg, '\n'));
	if (where && !startswith(err->msg, where))
		fail_msg("'%s' does not start with '%s'", err->msg, where);
	if (why && !strstr(err->msg, why))
		fail_msg("'%s' does not say '%s'", err->msg, why);
}

/* ------------------------------------------------------------------ */
/* the classic vm1 config */

static char *fixture_text(const struct fx *f, const char *name)
{
	_cleanup_free_ char *path = fixture(name);
	_cleanup_free_ char *text = NULL;
	char *out, *o;

	assert_int_equal(read_file(path, &text, NULL), 0);
	/* /srv/vm1 is the test's root filesystem */
	out = o = malloc(strlen(text) * 4 + 256);
	assert_non_null(out);
	for (const char *p = text; *p;) {
		if (startswith(p, "/srv/vm1")) {
			o = stpcpy(o, f->rootfs);
			p += 8;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

static void read_fixture(struct fx *f, const char *name)
{
	_cleanup_free_ char *path = fixture(name);
	_cleanup_free_ char *text = fixture_text(f, name);
	ward_err err = {0};

	if (read_as(&f->rs, path, text, &err) < 0)
		fail_msg("%s: %s", name, err.msg);
}

static const struct ward_mount *find_mount(const struct ward_spec *s, const char *dest)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (streq(s->mounts[i].destination, dest))
			return &s->mounts[i];
	return NULL;
}

static void check_vm1(struct fx *f)
{
	const struct ward_spec *s = f->rs.spec;
	const struct ward_netif *i;
	static const char *const binds[] = {"/lib", "/bin", "/usr", "/sbin"};
	const struct ward_mount *m;
	char a[INET6_ADDRSTRLEN];

	assert_string_equal(s->hostname, "vm1");
	assert_true(f->rs.hostname_set);
	assert_string_equal(s->rootfs, f->rootfs);
	/* four read-only binds, in order, then /dev/shm; /proc is ward's own */
	assert_int_equal(s->n_mounts, 5);
	for (size_t k = 0; k < 4; k++) {
		_cleanup_free_ char *real = realpath(binds[k], NULL);
		m = &s->mounts[k];
		assert_string_equal(m->destination, binds[k]);
		assert_string_equal(m->type, "bind");
		assert_string_equal(m->source, real);
		assert_int_equal(m->flags, MS_BIND); /* bind, not rbind */
		assert_int_equal(m->rec_attr_set, MOUNT_ATTR_RDONLY);
		assert_false(m->optional);
	}
	m = &s->mounts[4];
	assert_string_equal(m->destination, "/dev/shm");
	assert_string_equal(m->type, "tmpfs");
	assert_string_equal(m->data, "mode=1777");
	assert_int_equal(m->flags, MS_NOSUID | MS_NODEV);
	assert_null(find_mount(s, "/proc"));
	/* a veth on br0, which is not a ward network */
	assert_non_null(s->net);
	assert_int_equal(s->net->n_ifs, 1);
	assert_true(s->net->explicit_net);
	i = &s->net->ifs[0];
	assert_int_equal(i->type, WNET_BRIDGE);
	assert_string_equal(i->link, "br0");
	assert_string_equal(i->ifname, "eth0");
	assert_true(i->up);
	assert_true(i->has_mac);
	assert_memory_equal(i->mac, ((uint8_t[]){0x4a, 0x49, 0x43, 0x49, 0x79, 0xbf}), 6);
	assert_true(i->has_ip4);
	assert_string_equal(net_addr_str(AF_INET, &i->ip4, a, sizeof(a)), "10.0.0.2");
	assert_int_equal(i->prefix4, 24);
	assert_false(i->has_gw4);
	assert_true(s->ns[WNS_NET].enabled);
	/* a system container: its init */
	assert_int_equal(strv_length(s->process.args), 1);
	assert_string_equal(s->process.args[0], "/sbin/init");
}

static void test_vm1_old(void **state)
{
	struct fx *f = *state;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	read_fixture(f, "vm1.conf");
	check_vm1(f);
	/* reading made no mount point: the root filesystem is still empty */
	d = opendir(f->rootfs);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			fail_msg("%s/%s appeared", f->rootfs, de->d_name);
}

static void test_vm1_new(void **state)
{
	struct fx *f = *state;

	read_fixture(f, "vm1-new.conf");
	check_vm1(f);
}

/* ------------------------------------------------------------------ */
/* spec comparison, for old/new equivalence and config_write round trips */

static void same_str(const char *what, const char *a, const char *b)
{
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
		fail_msg("%s: '%s' != '%s'", what, a ? a : "(null)", b ? b : "(null)");
}

static void same_strv(const char *what, char *const *a, char *const *b)
{
	assert_int_equal(strv_length(a), strv_length(b));
	for (size_t i = 0; a && a[i]; i++)
		same_str(what, a[i], b[i]);
}

static void same_netif(const struct ward_netif *a, const struct ward_netif *b)
{
	assert_int_equal(a->type, b->type);
	same_str("network", a->network, b->network);
	same_str("link", a->link, b->link);
	same_str("ifname", a->ifname, b->ifname);
	same_str("host_ifname", a->host_ifname, b->host_ifname);
	assert_int_equal(a->macvlan_mode, b->macvlan_mode);
	assert_int_equal(a->vlan_id, b->vlan_id);
	assert_int_equal(a->has_mac, b->has_mac);
	assert_memory_equal(a->mac, b->mac, 6);
	assert_int_equal(a->has_ip4, b->has_ip4);
	assert_int_equal(a->has_ip6, b->has_ip6);
	assert_memory_equal(&a->ip4, &b->ip4, sizeof(a->ip4));
	assert_memory_equal(&a->ip6, &b->ip6, sizeof(a->ip6));
	assert_int_equal(a->prefix4, b->prefix4);
	assert_int_equal(a->prefix6, b->prefix6);
	assert_int_equal(a->has_gw4, b->has_gw4);
	assert_int_equal(a->has_gw6, b->has_gw6);
	assert_memory_equal(&a->gw4, &b->gw4, sizeof(a->gw4));
	assert_memory_equal(&a->gw6, &b->gw6, sizeof(a->gw6));
	assert_int_equal(a->up, b->up);
}

static void same_net(const struct ward_net_spec *a, const struct ward_net_spec *b)
{
	size_t na = a ? a->n_ifs : 0, nb = b ? b->n_ifs : 0;

	assert_int_equal(na, nb);
	if (!a || !b) {
		/* an empty spec and none at all are the same */
		const struct ward_net_spec *n = a ? a : b;
		if (n) {
			assert_int_equal(n->n_publish + n->n_allow + strv_length(n->dns), 0);
			assert_false(n->net_log || n->allow_dns);
		}
		return;
	}
	assert_int_equal(a->explicit_net, b->explicit_net);
	for (size_t i = 0; i < na; i++)
		same_netif(&a->ifs[i], &b->ifs[i]);
	assert_int_equal(a->n_publish, b->n_publish);
	if (a->n_publish)
		assert_memory_equal(a->publish, b->publish, a->n_publish * sizeof(*a->publish));
	assert_int_equal(a->n_allow, b->n_allow);
	if (a->n_allow)
		assert_memory_equal(a->allow, b->allow, a->n_allow * sizeof(*a->allow));
	assert_int_equal(a->allow_dns, b->allow_dns);
	same_strv("dns", a->dns, b->dns);
	assert_int_equal(a->net_log, b->net_log);
}

static void same_settings(const struct run_settings *ra, const struct run_settings *rb)
{
	const struct ward_spec *a = ra->spec, *b = rb->spec;

	same_str("name", a->name, b->name);
	same_str("hostname", a->hostname, b->hostname);
	assert_int_equal(ra->hostname_set, rb->hostname_set);
	same_str("rootfs", a->rootfs, b->rootfs);
	assert_int_equal(a->rootfs_readonly, b->rootfs_readonly);
	assert_int_equal(a->n_mounts, b->n_mounts);
	for (size_t i = 0; i < a->n_mounts; i++) {
		const struct ward_mount *x = &a->mounts[i], *y = &b->mounts[i];
		same_str("destination", x->destination, y->destination);
		same_str("type", x->type, y->type);
		same_str("source", x->source, y->source);
		same_str("data", x->data, y->data);
		assert_int_equal(x->flags, y->flags);
		assert_int_equal(x->rec_attr_set, y->rec_attr_set);
		assert_int_equal(x->optional, y->optional);
	}
	same_strv("env", a->process.env, b->process.env);
	assert_int_equal(ra->home_explicit, rb->home_explicit);
	same_str("cwd", a->process.cwd, b->process.cwd);
	same_str("user", a->process.user, b->process.user);
	assert_int_equal(a->init, b->init);
	assert_int_equal(a->process.terminal, b->process.terminal);
	assert_int_equal(a->process.interactive, b->process.interactive);
	assert_memory_equal(&a->process.caps, &b->process.caps, sizeof(a->process.caps));
	assert_int_equal(a->userns_mode, b->userns_mode);
	assert_int_equal(a->n_uid_maps, b->n_uid_maps);
	assert_int_equal(a->n_gid_maps, b->n_gid_maps);
	if (a->n_uid_maps)
		assert_memory_equal(a->uid_maps, b->uid_maps, a->n_uid_maps * sizeof(*a->uid_maps));
	if (a->n_gid_maps)
		assert_memory_equal(a->gid_maps, b->gid_maps, a->n_gid_maps * sizeof(*a->gid_maps));
	for (int k = 0; k < WNS__MAX; k++)
		assert_int_equal(a->ns[k].enabled, b->ns[k].enabled);
	assert_int_equal(a->seccomp_default, b->seccomp_default);
	assert_int_equal(a->seccomp == NULL, b->seccomp == NULL);
	same_str("seccomp_file", ra->seccomp_file, rb->seccomp_file);
	same_str("apparmor", a->process.apparmor_profile, b->process.apparmor_profile);
	assert_int_equal(a->res.memory_limit, b->res.memory_limit);
	assert_int_equal(a->res.memory_swap, b->res.memory_swap);
	assert_int_equal(a->res.cpu_quota, b->res.cpu_quota);
	assert_int_equal(a->res.cpu_period, b->res.cpu_period);
	assert_int_equal(a->res.cpu_weight, b->res.cpu_weight);
	assert_int_equal(a->res.cpu_shares, b->res.cpu_shares);
	same_str("cpuset_cpus", a->res.cpuset_cpus, b->res.cpuset_cpus);
	same_str("cpuset_mems", a->res.cpuset_mems, b->res.cpuset_mems);
	assert_int_equal(a->res.pids_limit, b->res.pids_limit);
	assert_int_equal(a->res.io_weight, b->res.io_weight);
	assert_int_equal(a->res.blkio_weight, b->res.blkio_weight);
	same_net(a->net, b->net);
	assert_int_equal(a->stop_signal, b->stop_signal);
	same_strv("args", a->process.args, b->process.args);
	assert_int_equal(ra->life.autostart, rb->life.autostart);
	assert_int_equal(ra->life.start_order, rb->life.start_order);
	assert_int_equal(ra->life.start_delay_s, rb->life.start_delay_s);
	same_strv("groups", ra->life.groups, rb->life.groups);
}

static void test_vm1_old_new_same(void **state)
{
	struct fx *f = *state;
	struct run_settings other;
	_cleanup_free_ char *path = fixture("vm1-new.conf");
	_cleanup_free_ char *text = fixture_text(f, "vm1-new.conf");
	ward_err err = {0};

	read_fixture(f, "vm1.conf");
	assert_int_equal(run_settings_init(&other, &err), 0);
	assert_int_equal(read_as(&other, path, text, &err), 0);
	same_settings(&f->rs, &other);
	run_settings_clear(&other);
}

/* ------------------------------------------------------------------ */
/* refusals: one line, FILE:LINE: KEY: reason */

struct bad {
	const char *text;
	const char *where; /* the message starts with DIR/ + this */
	const char *why;
};

static const char *other_arch(void)
{
	struct utsname u;

	uname(&u);
	return streq(u.machine, "x86_64") ? "arm64" : "amd64";
}

static void check_bad(struct fx *f, const struct bad *b)
{
	_cleanup_free_ char *t = expand(f, b->text);
	_cleanup_free_ char *where = xasprintf("%s/%s", f->dir, b->where);
	ward_err err = {0};

	fx_reset(f);
	if (read_as(&f->rs, f->conf, t, &err) >= 0)
		fail_msg("accepted:\n%s", t);
	check_error(&err, where, b->why);
}

static void test_refused(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *arch = xasprintf("lxc.arch = %s", other_arch());
	const struct bad bad[] = {
	    /* the file's own syntax, unknown and unimplemented keys */
	    {"just some words", "t.conf:1: just some words: ", "not a 'key = value' line"},
	    {"\n\n = 3", "t.conf:3: ", "no key before '='"},
	    {"ward.frobnicate = 1", "t.conf:1: ward.frobnicate: ", "unknown key"},
	    {"# c\nfrobnicate = 1", "t.conf:2: frobnicate: ", "unknown key"},
	    {"lxc.hook.pre-start = /bin/true",
	     "t.conf:1: lxc.hook.pre-start: ", "not implemented by ward"},
	    {"lxc.log.level = 1", "t.conf:1: lxc.log.level: ", "not implemented by ward"},
	    {"lxc.log.file = /tmp/x", "t.conf:1: lxc.log.file: ", "not implemented by ward"},
	    {"lxc.console.path = none", "t.conf:1: lxc.console.path: ", "not implemented by ward"},
	    {"lxc.prlimit.nofile = 1024",
	     "t.conf:1: lxc.prlimit.nofile: ", "not implemented by ward"},
	    /* ward keys: the option's own message */
	    {"ward.memory = 64m\n\nward.memory = 1k",
	     "t.conf:3: ward.memory: ", "below the 6M minimum"},
	    {"ward.init = maybe", "t.conf:1: ward.init: ", "'maybe' is not 1, 0, true or false"},
	    {"ward.cmd = /bin/echo \"open", "t.conf:1: ward.cmd: ", "unterminated double quote"},
	    {"ward.net.0.type = veth", "t.conf:1: ward.net.0.type: ", "unknown type 'veth'"},
	    {"ward.net.0.colour = blue", "t.conf:1: ward.net.0.colour: ", "unknown key"},
	    {"ward.net.0.type = network\nward.net.1.type = host",
	     "t.conf:1: ward.net.0.type: ", "must be the only interface"},
	    {"ward.net = web\nward.net.0.type = network",
	     "t.conf:2: ward.net.0.type: ", "must be the only interface"},
	    /* lxc.uts.name */
	    {"lxc.uts.name = not ok!", "t.conf:1: lxc.uts.name: ", "invalid hostname"},
	    {"lxc.utsname =", "t.conf:1: lxc.utsname: ", "invalid hostname"},
	    /* lxc.rootfs */
	    {"lxc.rootfs.path = /nonexistent/ward-test",
	     "t.conf:1: lxc.rootfs.path: ", "No such file or directory"},
	    {"lxc.rootfs.path = overlay:/a:/b", "t.conf:1: lxc.rootfs.path: ",
	     "not implemented by ward (only directory root filesystems"},
	    {"lxc.rootfs.backend = btrfs",
	     "t.conf:1: lxc.rootfs.backend: ", "not implemented by ward"},
	    /* lxc.mount.entry */
	    {"lxc.mount.entry = /usr usr none ro,bind,hidepid=2 0 0",
	     "t.conf:1: lxc.mount.entry: ", "mount option 'hidepid=2' is not supported by ward"},
	    {"lxc.mount.entry = /usr ../usr none bind 0 0",
	     "t.conf:1: lxc.mount.entry: ", "contains '..'"},
	    {"lxc.mount.entry = /dev/sda1 mnt ext4 defaults 0 0",
	     "t.conf:1: lxc.mount.entry: ", "filesystem type 'ext4' is not supported"},
	    {"lxc.mount.entry = /usr", "t.conf:1: lxc.mount.entry: ", "is not SOURCE TARGET TYPE"},
	    {"lxc.mount.entry = /usr usr none ro 0 0",
	     "t.conf:1: lxc.mount.entry: ", "type none needs the bind or rbind option"},
	    {"lxc.mount.entry = /nonexistent/x x none bind 0 0",
	     "t.conf:1: lxc.mount.entry: ", "source /nonexistent/x: No such file"},
	    {"lxc.mount.entry = tmpfs tmp tmpfs size=lots 0 0",
	     "t.conf:1: lxc.mount.entry: ", "invalid size 'lots'"},
	    {"lxc.mount.entry = proc mnt/proc proc defaults 0 0",
	     "t.conf:1: lxc.mount.entry: ", "ward mounts proc only on /proc"},
	    {"lxc.mount.entry = /usr /usr none bind 0 0",
	     "t.conf:1: lxc.mount.entry: ", "needs the root filesystem"},
	    {"lxc.rootfs.path = ROOT\nlxc.mount.entry = /usr /elsewhere/usr none bind 0 0",
	     "t.conf:2: lxc.mount.entry: ", "is not inside the root filesystem"},
	    {"lxc.mount.entry = /usr usr none bind 0 0 7",
	     "t.conf:1: lxc.mount.entry: ", "is not SOURCE TARGET TYPE"},
	    /* lxc.mount.auto */
	    {"lxc.mount.auto = proc:rw", "t.conf:1: lxc.mount.auto: ", "/proc/sys read-only"},
	    {"lxc.mount.auto = proc:mixed sys:mixed",
	     "t.conf:1: lxc.mount.auto: ", "'sys:mixed': ward mounts /sys read-only"},
	    {"lxc.mount.auto = cgroup:mixed",
	     "t.conf:1: lxc.mount.auto: ", "not implemented by ward"},
	    /* lxc.net.N */
	    {"lxc.net.0.type = bogus", "t.conf:1: lxc.net.0.type: ", "unknown type 'bogus'"},
	    {"lxc.net.0.type = veth\nlxc.net.0.ipv4.address = 10.0.0.300/24",
	     "t.conf:2: lxc.net.0.ipv4.address: ", "'10.0.0.300/24' is not an IPv4 address"},
	    {"lxc.net.0.ipv4.address = 10.0.0.2/24 10.0.0.255",
	     "t.conf:1: lxc.net.0.ipv4.address: ", "ward sets no broadcast address"},
	    {"lxc.net.0.ipv4.address = 10.0.0.2/24\nlxc.net.0.ipv4.address = 10.0.0.3/24",
	     "t.conf:2: lxc.net.0.ipv4.address: ", "one IPv4 address"},
	    {"lxc.net.0.type = veth",
	     "t.conf:1: lxc.net.0.type: ", "a veth interface needs a link"},
	    {"lxc.net.0.type = veth\nlxc.net.0.link = wb-web",
	     "t.conf:2: lxc.net.0.link: ", "is a ward network's bridge"},
	    {"lxc.net.0.type = vlan\nlxc.net.0.link = eth0",
	     "t.conf:1: lxc.net.0.type: ", "needs a vlan.id"},
	    {"lxc.net.0.link = br0", "t.conf:1: lxc.net.0.link: ", "interface 0 has no type"},
	    {"lxc.net.0.mtu = 1400", "t.conf:1: lxc.net.0.mtu: ", "not implemented by ward"},
	    {"lxc.net.0.script.up = /bin/true",
	     "t.conf:1: lxc.net.0.script.up: ", "not implemented by ward"},
	    {"lxc.net.0.flags = down", "t.conf:1: lxc.net.0.flags: ", "the only flag is up"},
	    {"lxc.net.0.hwaddr = 01:00:00:00:00:01", "t.conf:1: lxc.net.0.hwaddr: ", "multicast"},
	    {"lxc.net.0.type = veth\nlxc.net.0.link = br0\nlxc.net.0.vlan.id = 3",
	     "t.conf:3: lxc.net.0.vlan.id: ", "not for a veth interface"},
	    {"lxc.net.0.type = veth\nlxc.net.0.link = web\nlxc.net.0.ipv4.gateway = 10.9.0.1",
	     "t.conf:3: lxc.net.0.ipv4.gateway: ", "a ward network's gateway is its own"},
	    {"lxc.net.0.type = veth\nlxc.net.0.link = br0\nlxc.net.0.ipv4.gateway = 10.9.0.1",
	     "t.conf:3: lxc.net.0.ipv4.gateway: ", "a gateway needs an address"},
	    {"lxc.net.0.type = none\nlxc.net.0.ipv4.address = 10.0.0.2",
	     "t.conf:2: lxc.net.0.ipv4.address: ", "an interface of type none takes no"},
	    {"lxc.net.0.type = veth\nlxc.net.0.link = br0\nlxc.net.1.type = none",
	     "t.conf:3: lxc.net.1.type: ", "cannot be combined"},
	    {"lxc.net.99999.type = veth",
	     "t.conf:1: lxc.net.99999.type: ", "interface numbers go from 0"},
	    /* lxc.network.* */
	    {"lxc.network.link = br0",
	     "t.conf:1: lxc.network.link: ", "comes before any lxc.network.type"},
	    {"lxc.network = x", "t.conf:1: lxc.network: ", "only an empty value"},
	    /* lxc.cgroup.* / lxc.cgroup2.* */
	    {"lxc.cgroup2.memory.max = lots",
	     "t.conf:1: lxc.cgroup2.memory.max: ", "invalid size 'lots'"},
	    {"lxc.cgroup.memory.max = 1G", "t.conf:1: lxc.cgroup.memory.max: ",
	     "memory.max is a cgroup v2 file (lxc.cgroup2.memory.max)"},
	    {"lxc.cgroup2.cpu.shares = 512",
	     "t.conf:1: lxc.cgroup2.cpu.shares: ", "is a cgroup v1 file"},
	    {"lxc.cgroup2.hugetlb.2MB.max = 1G",
	     "t.conf:1: lxc.cgroup2.hugetlb.2MB.max: ", "not implemented by ward"},
	    {"lxc.cgroup.devices.allow = c 10:200 rwm",
	     "t.conf:1: lxc.cgroup.devices.allow: ", "not implemented by ward"},
	    {"lxc.cgroup2.memory.swap.max = 1G",
	     "t.conf:1: lxc.cgroup2.memory.swap.max: ", "needs a memory limit"},
	    {"lxc.cgroup.memory.memsw.limit_in_bytes = 1G",
	     "t.conf:1: lxc.cgroup.memory.memsw.limit_in_bytes: ", "needs a memory limit"},
	    {"lxc.cgroup2.io.weight = 8:0 100",
	     "t.conf:1: lxc.cgroup2.io.weight: ", "per-device weights"},
	    {"lxc.cgroup2.cpu.max = 10 20 30",
	     "t.conf:1: lxc.cgroup2.cpu.max: ", "is not QUOTA [PERIOD]"},
	    {"lxc.cgroup.cpu.shares = 1",
	     "t.conf:1: lxc.cgroup.cpu.shares: ", "not a number from 2 to 262144"},
	    {"lxc.cgroup2.pids.max = many", "t.conf:1: lxc.cgroup2.pids.max: ", "is not a number"},
	    /* lxc.cap.* */
	    {"lxc.cap.drop = sys_admin frobnicate",
	     "t.conf:1: lxc.cap.drop: ", "unknown capability 'frobnicate'"},
	    {"lxc.cap.drop = sys_admin\nlxc.cap.keep = chown",
	     "t.conf:2: lxc.cap.keep: ", "cannot both be given"},
	    /* lxc.idmap */
	    {"lxc.idmap = x 0 100000 65536", "t.conf:1: lxc.idmap: ", "is not u|g"},
	    {"lxc.idmap = u 0 100000 0", "t.conf:1: lxc.idmap: ", "is not u|g"},
	    {"lxc.id_map = u 0 100000 65536", "t.conf:1: lxc.id_map: ", "both u and g"},
	    {"lxc.idmap = b 0 100000 65536\nlxc.idmap = u 1000 200000 1",
	     "t.conf:2: lxc.idmap: ", "overlaps"},
	    /* lxc.seccomp.profile */
	    {"lxc.seccomp.profile = /nonexistent.json", "t.conf:1: lxc.seccomp.profile: ", NULL},
	    {"lxc.seccomp.profile =", "t.conf:1: lxc.seccomp.profile: ", "no profile given"},
	    /* lxc.start.*, lxc.group */
	    {"lxc.start.auto = maybe", "t.conf:1: lxc.start.auto: ", "is not 0, 1, true or false"},
	    {"lxc.start.delay = -5", "t.conf:1: lxc.start.delay: ", "is not a number"},
	    {"lxc.group = web bad/group", "t.conf:1: lxc.group: ", "invalid group 'bad/group'"},
	    /* lxc.init.* and lxc.environment */
	    {"lxc.init.cwd = relative", "t.conf:1: lxc.init.cwd: ", "is not an absolute path"},
	    {"lxc.init.uid = root", "t.conf:1: lxc.init.uid: ", "is not a numeric id"},
	    {"lxc.init.cmd = /sbin/init \\q", "t.conf:1: lxc.init.cmd: ", "unknown escape"},
	    {"lxc.environment = =x", "t.conf:1: lxc.environment: ", "is not KEY=VALUE"},
	    /* lxc.include */
	    {"lxc.include = missing.conf", "t.conf:1: lxc.include: ", "No such file or directory"},
	    {"include =", "t.conf:1: include: ", "no file or directory given"},
	    /* the rest */
	    {arch, "t.conf:1: lxc.arch: ", "is not this host's architecture"},
	    {"lxc.tty.max = 4", "t.conf:1: lxc.tty.max: ", "no /dev/ttyN"},
	    {"lxc.pty.max = 1024", "t.conf:1: lxc.pty.max: ", "not implemented by ward"},
	    {"lxc.autodev = 0", "t.conf:1: lxc.autodev: ", "always mounts its own small /dev"},
	    {"lxc.apparmor.profile = generated",
	     "t.conf:1: lxc.apparmor.profile: ", "not implemented by ward"},
	    {"lxc.selinux.context =", "t.conf:1: lxc.selinux.context: ", "an empty label"},
	    {"lxc.signal.stop = SIGTERM", "t.conf:1: lxc.signal.stop: ", "not implemented by ward"},
	    {"lxc.signal.halt = SIGFROB", "t.conf:1: lxc.signal.halt: ", "unknown signal"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		check_bad(f, &bad[i]);
}

/* an error in an included file names that file, not the includer */
static void test_refused_in_include(void **state)
{
	_cleanup_free_ char *top = fixture("include-bad.conf");
	_cleanup_free_ char *where = fixture("sub/bad.conf:3: ward.cpus: ");
	struct fx *f = *state;
	ward_err err = {0};

	assert_true(config_apply_files(&f->rs, (char *[]){top, NULL}, &err) < 0);
	check_error(&err, where, "invalid CPU count 'lots'");
}

static void test_refused_fstab(void **state)
{
	_cleanup_free_ char *where = fixture("bad.fstab:3: lxc.mount.fstab: ");
	_cleanup_free_ char *name = fixture("t.conf");
	struct fx *f = *state;
	ward_err err = {0};

	assert_true(read_as(&f->rs, name, "lxc.mount.fstab = bad.fstab", &err) < 0);
	check_error(&err, where, "mount option 'uid=0' is not supported by ward");
}

static void test_refused_seccomp_lxc_format(void **state)
{
	_cleanup_free_ char *name = fixture("t.conf");
	_cleanup_free_ char *where = xasprintf("%s:2: lxc.seccomp.profile: ", name);
	struct fx *f = *state;
	ward_err err = {0};

	assert_true(read_as(&f->rs, name,
			    "# LXC's own policy language\n"
			    "lxc.seccomp.profile = lxc-seccomp.txt",
			    &err) < 0);
	check_error(&err, where, "is in LXC's seccomp policy format");
	assert_int_equal(err.code, ENOTSUP);
}

/* ------------------------------------------------------------------ */
/* accepted values, family by family */

static void test_lxc_mounts(void **state)
{
	struct fx *f = *state;
	const struct ward_spec *s = f->rs.spec;
	const struct ward_mount *m;
	_cleanup_free_ char *usr = realpath("/usr", NULL);

	read_ok(f,
		"lxc.mount.entry = /usr ROOT/usr none rbind,ro,nosuid,create=dir 0 0\n"
		"lxc.mount.entry = /nonexistent/ward-test opt/x none bind,optional 0 0\n"
		"lxc.mount.entry = none run/lock tmpfs size=1m,mode=0755,noexec 0 0\n"
		"lxc.mount.entry = sysfs sys sysfs ro 0 0\n"
		"lxc.mount.entry = mqueue dev/mqueue mqueue rw,relatime,create=dir,optional 0 0\n"
		"lxc.mount.entry = /usr my\\040dir none bind 0 0\n"
		"lxc.mount.auto = proc:mixed sys:ro\n"
		"lxc.rootfs.path = ROOT\n");
	assert_int_equal(s->n_mounts, 4);
	/* absolute target: inside the root filesystem named after it */
	m = find_mount(s, "/usr");
	assert_non_null(m);
	assert_string_equal(m->source, usr);
	assert_int_equal(m->flags, MS_BIND | MS_REC);
	assert_int_equal(m->rec_attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID);
	m = find_mount(s, "/opt/x");
	assert_non_null(m);
	assert_true(m->optional);
	assert_string_equal(m->source, "/nonexistent/ward-test");
	m = find_mount(s, "/run/lock");
	assert_non_null(m);
	assert_string_equal(m->type, "tmpfs");
	assert_string_equal(m->data, "mode=755,size=1048576");
	assert_int_equal(m->flags, MS_NOSUID | MS_NODEV | MS_NOEXEC);
	assert_non_null(find_mount(s, "/my dir"));
	/* ward's own /sys and /dev/mqueue: no mount of the config's */
	assert_null(find_mount(s, "/sys"));
	assert_null(find_mount(s, "/dev/mqueue"));
	/* mount entries keep their order */
	assert_string_equal(s->mounts[0].destination, "/usr");
	assert_string_equal(s->mounts[3].destination, "/my dir");
}

static void test_lxc_fstab(void **state)
{
	_cleanup_free_ char *name = fixture("t.conf");
	struct fx *f = *state;
	const struct ward_mount *m;
	ward_err err = {0};

	if (read_as(&f->rs, name, "lxc.mount = vm1.fstab", &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(f->rs.spec->n_mounts, 2);
	m = find_mount(f->rs.spec, "/tmp");
	assert_non_null(m);
	assert_string_equal(m->data, "mode=1777,size=16777216");
	assert_non_null(find_mount(f->rs.spec, "/usr"));
}

static void test_lxc_net(void **state)
{
	struct fx *f = *state;
	const struct ward_net_spec *n;
	const struct ward_netif *i;
	char a[INET6_ADDRSTRLEN];

	/* written out of order: interfaces go by number */
	read_ok(f, "lxc.net.1.type = macvlan\n"
		   "lxc.net.1.link = eth0\n"
		   "lxc.net.1.macvlan.mode = vepa\n"
		   "lxc.net.1.ipv4.address = 192.168.1.50/24\n"
		   "lxc.net.1.ipv4.gateway = 192.168.1.1\n"
		   "lxc.net.1.ipv6.address = fd00::50/64\n"
		   "lxc.net.1.ipv6.gateway = fd00::1\n"
		   "lxc.net.1.name = lan0\n"
		   "lxc.net.1.flags = up\n"
		   "lxc.net.0.type = veth\n"
		   "lxc.net.0.link = web\n"
		   "lxc.net.0.ipv4.address = 10.1.0.5\n"
		   "lxc.net.0.ipv4.gateway = auto\n"
		   "lxc.net.0.veth.pair = vweb0\n"
		   "lxc.net.0.flags = up\n"
		   "lxc.net.2.type = vlan\n"
		   "lxc.net.2.link = eth0\n"
		   "lxc.net.2.vlan.id = 42\n"
		   "lxc.net.3.type = phys\n"
		   "lxc.net.3.link = eth9\n"
		   "lxc.net.3.hwaddr = 4a:49:43:xx:xx:xx\n"
		   "lxc.net.4.type = macvlan\n"
		   "lxc.net.4.link = eth1\n"
		   "lxc.net.5.type = empty\n");
	n = f->rs.spec->net;
	assert_non_null(n);
	assert_int_equal(n->n_ifs, 5);
	/* a veth whose link names a ward network joins that network */
	i = &n->ifs[0];
	assert_int_equal(i->type, WNET_NETWORK);
	assert_string_equal(i->network, "web");
	assert_string_equal(i->host_ifname, "vweb0");
	assert_true(i->has_ip4);
	assert_int_equal(i->prefix4, 0);
	assert_false(i->has_gw4); /* auto: the network's own */
	assert_true(i->up);
	i = &n->ifs[1];
	assert_int_equal(i->type, WNET_MACVLAN);
	assert_string_equal(i->link, "eth0");
	assert_int_equal(i->macvlan_mode, MACVLAN_MODE_VEPA);
	assert_string_equal(i->ifname, "lan0");
	assert_true(i->has_gw4);
	assert_string_equal(net_addr_str(AF_INET, &i->gw4, a, sizeof(a)), "192.168.1.1");
	assert_true(i->has_ip6);
	assert_int_equal(i->prefix6, 64);
	assert_true(i->has_gw6);
	assert_string_equal(net_addr_str(AF_INET6, &i->gw6, a, sizeof(a)), "fd00::1");
	i = &n->ifs[2];
	assert_int_equal(i->type, WNET_VLAN);
	assert_int_equal(i->vlan_id, 42);
	assert_false(i->up); /* no flags = up */
	i = &n->ifs[3];
	assert_int_equal(i->type, WNET_PHYS);
	assert_string_equal(i->link, "eth9");
	assert_true(i->has_mac);
	assert_memory_equal(i->mac, ((uint8_t[]){0x4a, 0x49, 0x43}), 3);
	/* LXC's macvlan mode is private unless said */
	assert_int_equal(n->ifs[4].macvlan_mode, MACVLAN_MODE_PRIVATE);
	assert_int_equal(strv_length(f->rs.nets), 5);
	assert_true(f->rs.spec->ns[WNS_NET].enabled);
}

static void test_lxc_net_kinds(void **state)
{
	struct fx *f = *state;
	const struct ward_net_spec *n;

	/* empty alone: loopback only */
	read_ok(f, "lxc.net.0.type = empty");
	n = f->rs.spec->net;
	assert_int_equal(n->n_ifs, 1);
	assert_int_equal(n->ifs[0].type, WNET_NONE);
	/* LXC's none is the host's network */
	fx_reset(f);
	read_ok(f, "lxc.network.type = none\n");
	assert_int_equal(f->rs.spec->net->ifs[0].type, WNET_HOST);
	assert_false(f->rs.spec->ns[WNS_NET].enabled);
	/* the default network by name, and an empty value forgets interfaces */
	fx_reset(f);
	read_ok(f, "lxc.net.0.type = veth\nlxc.net.0.link = br7\nlxc.net =\n"
		   "lxc.network.type = veth\nlxc.network.link = ward0\n"
		   "lxc.network.type = veth\nlxc.network.link = br1\n");
	n = f->rs.spec->net;
	assert_int_equal(n->n_ifs, 2);
	assert_int_equal(n->ifs[0].type, WNET_NETWORK);
	assert_string_equal(n->ifs[0].network, "ward0");
	assert_int_equal(n->ifs[1].type, WNET_BRIDGE);
	assert_string_equal(n->ifs[1].link, "br1");
	/* without a store, only the default network is known */
	fx_reset(f);
	f->rs.lib_dir = NULL;
	read_ok(f, "lxc.net.0.type = veth\nlxc.net.0.link = web\n");
	assert_int_equal(f->rs.spec->net->ifs[0].type, WNET_BRIDGE);
}

static void test_ward_net_keys(void **state)
{
	struct fx *f = *state;
	const struct ward_net_spec *n;

	read_ok(f, "ward.net.0.type = network\n"
		   "ward.net.0.link = web\n"
		   "ward.net.0.name = eth7\n"
		   "ward.net.0.flags = up\n"
		   "ward.net.1.type = bridge\n"
		   "ward.net.1.link = br1\n"
		   "ward.net.1.ipv4.address = 192.168.5.2/24\n"
		   "ward.net.1.ipv4.gateway = 192.168.5.1\n"
		   "ward.net.2.type = macvlan\n"
		   "ward.net.2.link = eth0\n"
		   "ward.publish = 8080:80\n");
	n = f->rs.spec->net;
	assert_int_equal(n->n_ifs, 3);
	assert_int_equal(n->ifs[0].type, WNET_NETWORK);
	assert_string_equal(n->ifs[0].network, "web");
	assert_string_equal(n->ifs[0].ifname, "eth7");
	assert_int_equal(n->ifs[1].type, WNET_BRIDGE);
	assert_true(n->ifs[1].has_gw4);
	assert_int_equal(n->ifs[2].macvlan_mode, MACVLAN_MODE_BRIDGE);
	assert_int_equal(n->n_publish, 1);
	/* network without a link: the default network, as ward.ip alone */
	fx_reset(f);
	read_ok(f, "ward.net.0.type = network\nward.net.0.ipv4.address = 10.121.0.9\n");
	n = f->rs.spec->net;
	assert_int_equal(n->n_ifs, 1);
	assert_null(n->ifs[0].network);
	assert_false(n->explicit_net);
	assert_true(n->ifs[0].has_ip4);
	/* ward's none is loopback only */
	fx_reset(f);
	read_ok(f, "ward.net.0.type = none");
	assert_int_equal(f->rs.spec->net->ifs[0].type, WNET_NONE);
	assert_true(f->rs.spec->ns[WNS_NET].enabled);
}

static void test_lxc_cgroup(void **state)
{
	struct fx *f = *state;
	const struct ward_resources *r = &f->rs.spec->res;

	read_ok(f, "lxc.cgroup.memory.limit_in_bytes = 256M\n"
		   "lxc.cgroup.memory.memsw.limit_in_bytes = 512M\n"
		   "lxc.cgroup.cpu.shares = 512\n"
		   "lxc.cgroup.cpu.cfs_quota_us = 50000\n"
		   "lxc.cgroup.cpu.cfs_period_us = 200000\n"
		   "lxc.cgroup.cpuset.cpus = 0\n"
		   "lxc.cgroup.pids.max = 100\n"
		   "lxc.cgroup.blkio.weight = 500\n"
		   "lxc.cgroup.devices.deny = a\n");
	assert_int_equal(r->memory_limit, 256LL << 20);
	assert_int_equal(r->memory_swap, 512LL << 20);
	assert_int_equal(r->cpu_shares, 512);
	assert_int_equal(r->cpu_quota, 50000);
	assert_int_equal(r->cpu_period, 200000);
	assert_string_equal(r->cpuset_cpus, "0");
	assert_int_equal(r->pids_limit, 100);
	assert_int_equal(r->blkio_weight, 500);
	assert_int_equal(r->n_devices, 0);
	fx_reset(f);
	r = &f->rs.spec->res;
	read_ok(f, "lxc.cgroup2.memory.swap.max = 64M\n"
		   "lxc.cgroup2.memory.max = 128M\n"
		   "lxc.cgroup2.cpu.weight = 200\n"
		   "lxc.cgroup2.cpu.max = 150000 100000\n"
		   "lxc.cgroup2.cpuset.mems = 0\n"
		   "lxc.cgroup2.pids.max = max\n"
		   "lxc.cgroup2.io.weight = default 300\n");
	/* swap.max is swap alone: ward's memory_swap is memory plus swap */
	assert_int_equal(r->memory_limit, 128LL << 20);
	assert_int_equal(r->memory_swap, 192LL << 20);
	assert_int_equal(r->cpu_weight, 200);
	assert_int_equal(r->cpu_quota, 150000);
	assert_int_equal(r->cpu_period, 100000);
	assert_string_equal(r->cpuset_mems, "0");
	assert_int_equal(r->pids_limit, -1);
	assert_int_equal(r->io_weight, 300);
	fx_reset(f);
	r = &f->rs.spec->res;
	read_ok(f, "lxc.cgroup2.memory.max = 128M\nlxc.cgroup2.memory.max = max\n"
		   "lxc.cgroup2.cpu.max = max\n");
	assert_int_equal(r->memory_limit, WARD_UNSET);
	assert_int_equal(r->cpu_quota, WARD_UNSET);
}

static void test_lxc_caps(void **state)
{
	struct fx *f = *state;
	const struct ward_caps *c = &f->rs.spec->process.caps;
	uint64_t dflt = spec_default_caps();

	read_ok(f, "lxc.cap.drop = sys_chroot\nlxc.cap.drop = kill setfcap\n");
	assert_int_equal(c->bounding,
			 dflt & ~(CAPBIT(CAP_SYS_CHROOT) | CAPBIT(CAP_KILL) | CAPBIT(CAP_SETFCAP)));
	assert_int_equal(c->effective, c->bounding);
	fx_reset(f);
	c = &f->rs.spec->process.caps;
	read_ok(f, "lxc.cap.keep = chown net_admin\n");
	assert_int_equal(c->bounding, CAPBIT(CAP_CHOWN) | CAPBIT(CAP_NET_ADMIN));
	assert_int_equal(c->permitted, c->bounding);
	fx_reset(f);
	c = &f->rs.spec->process.caps;
	read_ok(f, "lxc.cap.keep = chown\nlxc.cap.keep = none\n");
	assert_int_equal(c->bounding, 0);
	/* an empty drop forgets the list */
	fx_reset(f);
	c = &f->rs.spec->process.caps;
	read_ok(f, "lxc.cap.drop = chown\nlxc.cap.drop =\nlxc.cap.keep = chown\n");
	assert_int_equal(c->bounding, CAPBIT(CAP_CHOWN));
}

static void test_lxc_idmap(void **state)
{
	struct fx *f = *state;
	const struct ward_spec *s = f->rs.spec;

	read_ok(f, "ward.userns = host\n"
		   "lxc.idmap = u 0 100000 65536\n"
		   "lxc.id_map = g 0 200000 65536\n"
		   "lxc.idmap = g 65536 300000 1\n");
	assert_int_equal(s->userns_mode, WUSERNS_EXPLICIT);
	assert_true(s->ns[WNS_USER].enabled);
	assert_int_equal(s->n_uid_maps, 1);
	assert_int_equal(s->n_gid_maps, 2);
	assert_int_equal(s->uid_maps[0].outside, 100000);
	assert_int_equal(s->gid_maps[1].inside, 65536);
	assert_int_equal(s->gid_maps[1].outside, 300000);
	/* b: both */
	fx_reset(f);
	s = f->rs.spec;
	read_ok(f, "lxc.idmap = b 0 100000 1000");
	assert_int_equal(s->n_uid_maps, 1);
	assert_int_equal(s->n_gid_maps, 1);
}

static void test_lxc_misc(void **state)
{
	_cleanup_free_ char *name = fixture("t.conf");
	_cleanup_free_ char *profile = fixture("seccomp.json");
	_cleanup_free_ char *real = realpath(profile, NULL);
	struct fx *f = *state;
	const struct ward_spec *s = f->rs.spec;
	struct utsname u;
	char text[1024];
	ward_err err = {0};

	assert_int_equal(uname(&u), 0);
	snprintf(text, sizeof(text),
		 "lxc.arch = %s\n"
		 "lxc.start.auto = 1\n"
		 "lxc.start.order = -3\n"
		 "lxc.start.delay = 5\n"
		 "lxc.group = web db\n"
		 "lxc.group = web\n"
		 "lxc.init.cmd = /bin/sh -c \"sleep 1\"\n"
		 "lxc.init.cwd = /srv\n"
		 "lxc.init.uid = 1000\n"
		 "lxc.init.gid = 100\n"
		 "lxc.environment = LANG=C.UTF-8\n"
		 "lxc.tty.max = 0\n"
		 "lxc.pty.max = 0\n"
		 "lxc.autodev = 1\n"
		 "lxc.apparmor.profile = unconfined\n"
		 "lxc.signal.halt = SIGRTMIN+3\n"
		 "lxc.signal.stop = SIGKILL\n"
		 "lxc.seccomp.profile = seccomp.json\n",
		 u.machine);
	if (read_as(&f->rs, name, text, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(f->rs.life.autostart);
	assert_int_equal(f->rs.life.start_order, -3);
	assert_int_equal(f->rs.life.start_delay_s, 5);
	assert_int_equal(strv_length(f->rs.life.groups), 2);
	assert_int_equal(strv_length(s->process.args), 3);
	assert_string_equal(s->process.args[2], "sleep 1");
	assert_string_equal(s->process.cwd, "/srv");
	assert_string_equal(s->process.user, "1000:100");
	assert_string_equal(spec_get_env(s, "LANG"), "C.UTF-8");
	assert_null(s->process.apparmor_profile);
	assert_int_equal(s->stop_signal, SIGRTMIN + 3);
	assert_non_null(s->seccomp);
	assert_false(s->seccomp_default);
	assert_string_equal(f->rs.seccomp_file, real);
	/* no rootfs: not a system container, no default init */
	fx_reset(f);
	read_ok(f, "lxc.init.uid = 7");
	assert_string_equal(f->rs.spec->process.user, "7");
	assert_null(f->rs.spec->process.args);
}

/* ward keys: flags take 1/0, paths are relative to the file */
static void test_ward_keys(void **state)
{
	struct fx *f = *state;
	const struct ward_spec *s = f->rs.spec;

	read_ok(f, "ward.init = 1\n"
		   "ward.tty = true\n"
		   "ward.rootfs.readonly = 1\n"
		   "ward.net.log = 1\n"
		   "ward.init = 0\n"
		   "ward.rootfs.readonly = false\n"
		   "ward.rootfs = rootfs\n"
		   "ward.name = web\n"
		   "ward.start.auto = 1\n");
	assert_false(s->init);
	assert_true(s->process.terminal);
	assert_false(s->rootfs_readonly);
	assert_true(s->net->net_log);
	assert_string_equal(s->rootfs, f->rootfs);
	assert_string_equal(s->name, "web");
	/* ward.rootfs is not LXC: no /sbin/init */
	assert_null(s->process.args);
}

/* ------------------------------------------------------------------ */
/* includes */

static void test_include_dir_and_relative(void **state)
{
	_cleanup_free_ char *top = fixture("include-main.conf");
	struct fx *f = *state;
	const struct ward_spec *s = f->rs.spec;
	ward_err err = {0};

	if (config_apply_files(&f->rs, (char *[]){top, NULL}, &err) < 0)
		fail_msg("%s", err.msg);
	/* include.d: *.conf only, in name order */
	assert_string_equal(s->name, "inc");
	assert_string_equal(spec_get_env(s, "FROM_DIR"), "20");
	/* common/memory.conf, and cpus.conf next to it */
	assert_int_equal(s->res.memory_limit, 64LL << 20);
	assert_int_equal(s->res.cpu_quota, 50000);
	assert_string_equal(s->hostname, "main");
}

static void test_include_loop(void **state)
{
	_cleanup_free_ char *a = fixture("loop-a.conf");
	_cleanup_free_ char *b = fixture("loop-b.conf");
	_cleanup_free_ char *self = fixture("self.conf");
	_cleanup_free_ char *where_b = xasprintf("%s:1: include: ", b);
	_cleanup_free_ char *where_self = xasprintf("%s:1: lxc.include: ", self);
	struct fx *f = *state;
	ward_err err = {0};

	assert_true(config_apply_files(&f->rs, (char *[]){a, NULL}, &err) < 0);
	check_error(&err, where_b, "include loop");
	assert_int_equal(err.code, ELOOP);
	fx_reset(f);
	assert_true(config_apply_files(&f->rs, (char *[]){self, NULL}, &err) < 0);
	check_error(&err, where_self, "include loop");
}

static void test_include_depth(void **state)
{
	struct fx *f = *state;
	char path[256], text[64];
	ward_err err = {0};

	/* d0 includes d1 ... d9: no loop, but too deep */
	for (int i = 0; i < 10; i++) {
		snprintf(path, sizeof(path), "%s/d%d.conf", f->dir, i);
		snprintf(text, sizeof(text), "include = d%d.conf\n", i + 1);
		assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
	}
	snprintf(path, sizeof(path), "%s/d0.conf", f->dir);
	assert_true(config_apply_files(&f->rs, (char *[]){path, NULL}, &err) < 0);
	check_error(&err, NULL, "includes nest more than 8 deep");
	snprintf(path, sizeof(path), "%s/d7.conf:1: include: ", f->dir);
	check_error(&err, path, NULL);
}

/* several files: later ones override, accumulating keys accumulate */
static void test_several_files(void **state)
{
	struct fx *f = *state;
	char a[256], b[256];
	ward_err err = {0};

	snprintf(a, sizeof(a), "%s/a.conf", f->dir);
	snprintf(b, sizeof(b), "%s/b.conf", f->dir);
	assert_int_equal(write_file_atomic(a, "ward.memory = 64m\nward.env = A=1\n", 33, 0644), 0);
	assert_int_equal(write_file_atomic(b, "ward.memory = 128m\nward.env = B=2\n", 34, 0644), 0);
	if (config_apply_files(&f->rs, (char *[]){a, b, NULL}, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(f->rs.spec->res.memory_limit, 128LL << 20);
	assert_string_equal(spec_get_env(f->rs.spec, "A"), "1");
	assert_string_equal(spec_get_env(f->rs.spec, "B"), "2");
}

/* ------------------------------------------------------------------ */
/* the command line over config files */

static void test_cli_override(void **state)
{
	struct fx *f = *state;
	const struct ward_spec *s = f->rs.spec;
	ward_err err = {0};

	read_ok(f, "lxc.net.0.type = veth\nlxc.net.0.link = br0\n"
		   "ward.publish = 8080:80\n"
		   "lxc.idmap = u 0 100000 65536\nlxc.idmap = g 0 100000 65536\n");
	config_cli_override(&f->rs, "net");
	assert_int_equal(s->net->n_ifs, 0);
	assert_int_equal(s->net->n_publish, 1);
	assert_null(f->rs.nets);
	assert_int_equal(run_option_apply(&f->rs, run_option_find("net"), "none", &err), 0);
	assert_int_equal(s->net->ifs[0].type, WNET_NONE);
	config_cli_override(&f->rs, "userns");
	assert_int_equal(s->userns_mode, WUSERNS_AUTO);
	assert_int_equal(s->n_uid_maps, 0);
	/* auto is accepted again: the files' mappings are gone */
	assert_int_equal(run_option_apply(&f->rs, run_option_find("userns"), "auto", &err), 0);
	config_cli_override(&f->rs, "memory"); /* nothing to do */
}

/* ------------------------------------------------------------------ */
/* config_write */

/* write, read back into fresh settings, compare; the second writing is
 * the same text */
static void round_trip(struct fx *f, char **text_out)
{
	struct run_settings back;
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *again = NULL;
	ward_err err = {0};

	if (config_write(&f->rs, &text, &err) < 0)
		fail_msg("config_write: %s", err.msg);
	assert_int_equal(run_settings_init(&back, &err), 0);
	back.lib_dir = f->lib;
	if (read_as(&back, f->conf, text, &err) < 0)
		fail_msg("%s\n--> %s", text, err.msg);
	same_settings(&f->rs, &back);
	assert_int_equal(config_write(&back, &again, &err), 0);
	assert_string_equal(text, again);
	run_settings_clear(&back);
	if (text_out) {
		free(*text_out);
		*text_out = TAKE_PTR(text);
	}
}

static void test_write_ward_keys(void **state)
{
	_cleanup_free_ char *profile = fixture("seccomp.json");
	_cleanup_free_ char *text = NULL;
	struct fx *f = *state;
	char conf[2048];

	snprintf(conf, sizeof(conf),
		 "ward.name = web\n"
		 "ward.hostname = web.example\n"
		 "ward.rootfs = ROOT\n"
		 "ward.rootfs.readonly = 1\n"
		 "ward.bind = /usr:/opt/usr:ro\n"
		 "ward.bind = /etc:/host-etc\n"
		 "ward.tmpfs = /scratch:size=8m,mode=700\n"
		 "ward.env = HOME=/root\n"
		 "ward.env = LANG=C\n"
		 "ward.cwd = /srv\n"
		 "ward.user = 1000:1000\n"
		 "ward.init = 1\n"
		 "ward.interactive = 1\n"
		 "ward.userns = 0:100000:65536\n"
		 "ward.cap.drop = chown,kill\n"
		 "ward.cap.add = net_admin\n"
		 "ward.seccomp = %s\n"
		 "ward.memory = 256m\n"
		 "ward.memory.swap = 512m\n"
		 "ward.cpus = 1.25\n"
		 "ward.cpu.weight = 50\n"
		 "ward.cpuset.cpus = 0\n"
		 "ward.pids.limit = 64\n"
		 "ward.io.weight = 20\n"
		 "ward.net = web\n"
		 "ward.ip = 10.1.0.7/16\n"
		 "ward.mac = 02:00:00:00:00:07\n"
		 "ward.net = macvlan:eth0:private\n"
		 "ward.ip6 = fd00::7\n"
		 "ward.dns = 1.1.1.1\n"
		 "ward.publish = 127.0.0.1:8080:80/tcp\n"
		 "ward.publish = [::1]:8443:443\n"
		 "ward.publish = 5353:53/udp\n"
		 "ward.allow.out = tcp/25\n"
		 "ward.allow.out = 10.0.0.0/8\n"
		 "ward.allow.out = 10.0.0.0/8:udp/53\n"
		 "ward.allow.out = [fd00::/8]:tcp/80\n"
		 "ward.allow.out = host:tcp/22\n"
		 "ward.allow.out = dns\n"
		 "ward.net.log = 1\n"
		 "ward.stop.signal = SIGRTMIN+3\n"
		 "ward.start.auto = 1\n"
		 "ward.start.order = 4\n"
		 "ward.start.delay = 2\n"
		 "ward.group = web db\n"
		 "ward.cmd = /bin/sh -c \"echo hi\"\n",
		 profile);
	read_ok(f, conf);
	round_trip(f, &text);
	/* ward keys say all of it */
	assert_null(strstr(text, "lxc."));
	assert_non_null(strstr(text, "ward.bind = /usr:/opt/usr:ro\n"));
	assert_non_null(strstr(text, "ward.cpus = 1.25\n"));
	assert_non_null(strstr(text, "ward.cmd = /bin/sh -c \"echo hi\"\n"));
}

static void test_write_lxc_keys(void **state)
{
	_cleanup_free_ char *text = NULL;
	struct fx *f = *state;

	/* settings only LXC keys (or ward.net.N.*) can say */
	read_ok(f, "lxc.rootfs.path = ROOT\n"
		   "lxc.mount.entry = /usr usr none bind,nodev,optional 0 0\n"
		   "lxc.mount.entry = tmpfs my\\040tmp tmpfs ro,noexec 0 0\n"
		   "lxc.idmap = u 0 100000 65536\n"
		   "lxc.idmap = g 0 200000 65536\n"
		   "lxc.cgroup.cpu.shares = 256\n"
		   "lxc.cgroup.blkio.weight = 100\n"
		   "lxc.cgroup2.cpuset.mems = 0\n"
		   "lxc.cgroup2.cpu.max = 12345 50000\n"
		   "lxc.cap.keep = chown\n"
		   "lxc.net.0.type = veth\n"
		   "lxc.net.0.link = br0\n"
		   "lxc.net.0.name = eth0\n"
		   "lxc.net.0.ipv4.address = 10.0.0.2/24\n"
		   "lxc.net.0.ipv4.gateway = 10.0.0.1\n"
		   "lxc.net.0.ipv6.address = fd00::2/64\n"
		   "lxc.net.0.ipv6.gateway = fd00::1\n"
		   "lxc.net.0.veth.pair = vm1host\n"
		   "lxc.net.0.flags = up\n"
		   "lxc.net.1.type = vlan\n"
		   "lxc.net.1.link = eth0\n"
		   "lxc.net.1.vlan.id = 7\n");
	round_trip(f, &text);
	assert_non_null(strstr(text, "lxc.mount.entry = /usr usr none bind,nodev,optional 0 0\n"));
	assert_non_null(strstr(text, "lxc.mount.entry = tmpfs my\\040tmp tmpfs "));
	assert_non_null(strstr(text, "lxc.idmap = g 0 200000 65536\n"));
	assert_non_null(strstr(text, "lxc.cgroup2.cpu.max = 12345 50000\n"));
	assert_non_null(strstr(text, "ward.net.0.veth.pair = vm1host\n"));
	assert_non_null(strstr(text, "ward.net.1.type = vlan\n"));
	assert_non_null(strstr(text, "ward.cap.drop = CAP_DAC_OVERRIDE,"));
	assert_null(strstr(text, "ward.cap.add"));
}

static void test_write_vm1(void **state)
{
	_cleanup_free_ char *text = NULL;
	struct fx *f = *state;

	read_fixture(f, "vm1.conf");
	round_trip(f, &text);
	assert_non_null(strstr(text, "ward.cmd = /sbin/init\n"));
	assert_non_null(strstr(text, "lxc.mount.entry = /usr usr none bind,ro 0 0\n"));
	/* one mount needs an entry: all are entries, in their order */
	assert_non_null(
	    strstr(text, "lxc.mount.entry = tmpfs dev/shm tmpfs nosuid,nodev,mode=1777 0 0\n"));
	assert_null(strstr(text, "ward.tmpfs"));
}

static void test_write_defaults_and_implicit_net(void **state)
{
	_cleanup_free_ char *text = NULL;
	struct fx *f = *state;

	/* nothing set: nothing but the header */
	round_trip(f, &text);
	assert_string_equal(text, "# ward container config, see ward-config(5)\n");
	/* an address for the default network, a host userns, no caps */
	read_ok(f, "ward.ip = 10.121.0.5\nward.userns = host\nward.cap.drop = all\n"
		   "ward.seccomp = unconfined\nward.pids.limit = max\n");
	round_trip(f, &text);
	assert_null(strstr(text, "ward.net ="));
	assert_non_null(strstr(text, "ward.ip = 10.121.0.5\n"));
	/* all capabilities, minus one */
	fx_reset(f);
	read_ok(f, "ward.cap.add = all\nward.cap.drop = sys_admin\n");
	round_trip(f, NULL);
	/* the default network with a name of its own: ward.net.N keys */
	fx_reset(f);
	read_ok(f, "ward.net.0.type = network\nward.net.0.name = eth3\n"
		   "ward.net.0.ipv4.address = 10.121.0.5\n");
	round_trip(f, &text);
	assert_non_null(strstr(text, "ward.net.0.name = eth3\n"));
	fx_reset(f);
	read_ok(f, "ward.net = host\n");
	round_trip(f, NULL);
}

static void test_write_refuses(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *text = NULL;
	ward_err err = {0};

	f->rs.spec->domainname = strdup("example.org");
	assert_int_equal(config_write(&f->rs, &text, &err), -EINVAL);
	assert_null(text);
	check_error(&err, NULL, "no config key can express it");
	fx_reset(f);
	read_ok(f, "ward.env = A=one\n");
	spec_set_env(f->rs.spec, "B=two\nlines");
	assert_int_equal(config_write(&f->rs, &text, &err), -EINVAL);
	check_error(&err, "ward.env: ", "line break");
	fx_reset(f);
	f->rs.spec->res.memory_swappiness = 10;
	assert_int_equal(config_write(&f->rs, &text, &err), -EINVAL);
	check_error(&err, "resource limits", NULL);
}

/* ward.cmd: words with blanks, quotes, backslashes and control characters
 * come back as they were */
static void test_cmd_quoting(void **state)
{
	static const char *const argv[] = {
	    "/bin/printf", "%s|%s\\n",       "two words", "",     "say \"hi\"",
	    "back\\slash", "tab\there",      "new\nline", "\x01", "trailing ",
	    " leading",    "#not-a-comment", "a=b",       NULL,
	};
	_cleanup_free_ char *text = NULL;
	struct fx *f = *state;

	for (size_t i = 0; argv[i]; i++)
		assert_int_equal(strv_push(&f->rs.spec->process.args, argv[i]), 0);
	/* round_trip() compares the words one by one */
	round_trip(f, &text);
	assert_int_equal(strv_length(f->rs.spec->process.args), ARRAY_SIZE(argv) - 1);
	assert_non_null(strstr(text, "ward.cmd = /bin/printf "));
	assert_null(strchr(strstr(text, "ward.cmd = "), '\t'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_vm1_old, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_vm1_new, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_vm1_old_new_same, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_refused, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_refused_in_include, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_refused_fstab, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_refused_seccomp_lxc_format, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_lxc_mounts, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_lxc_fstab, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_lxc_net, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_lxc_net_kinds, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_ward_net_keys, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_lxc_cgroup, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_lxc_caps, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_lxc_idmap, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_lxc_misc, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_ward_keys, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_include_dir_and_relative, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_include_loop, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_include_depth, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_several_files, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_cli_override, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_write_ward_keys, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_write_lxc_keys, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_write_vm1, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_write_defaults_and_implicit_net, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_write_refuses, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_cmd_quoting, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
