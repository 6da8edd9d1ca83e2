/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/capability.h>

#include "spec/seccomp_profile.h"
#include "spec/spec.h"
#include "util/cleanup.h"
#include "util/strutil.h"
#include "util/syscalls.h"

struct ward_spec *spec_new(void)
{
	struct ward_spec *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	spec_resources_init(&s->res);
	s->stop_signal = SIGTERM;
	return s;
}

void spec_resources_init(struct ward_resources *res)
{
	memset(res, 0, sizeof(*res));
	res->memory_limit = WARD_UNSET;
	res->memory_swap = WARD_UNSET;
	res->memory_reservation = WARD_UNSET;
	res->memory_swappiness = WARD_UNSET;
	res->cpu_quota = WARD_UNSET;
	res->cpu_period = WARD_UNSET;
	res->cpu_weight = WARD_UNSET;
	res->cpu_shares = WARD_UNSET;
	res->pids_limit = WARD_UNSET;
	res->io_weight = WARD_UNSET;
	res->blkio_weight = WARD_UNSET;
	res->memory_kernel = WARD_UNSET;
	res->memory_kernel_tcp = WARD_UNSET;
	res->memory_use_hierarchy = WARD_UNSET;
	res->cpu_burst = WARD_UNSET;
	res->cpu_rt_runtime = WARD_UNSET;
	res->cpu_rt_period = WARD_UNSET;
	res->cpu_idle = WARD_UNSET;
	res->blkio_leaf_weight = WARD_UNSET;
	res->net_cls_classid = WARD_UNSET;
}

static void kv_free(struct ward_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void spec_resources_clear(struct ward_resources *res)
{
	free(res->cpuset_cpus);
	free(res->cpuset_mems);
	for (size_t i = 0; i < res->n_hugepages; i++)
		free(res->hugepages[i].pagesize);
	free(res->hugepages);
	free(res->devices);
	kv_free(res->unified, res->n_unified);
	free(res->blkio_weight_devices);
	for (int k = 0; k < WBLKIO__MAX; k++)
		free(res->blkio_throttle[k]);
	for (size_t i = 0; i < res->n_net_prio; i++)
		free(res->net_prio[i].ifname);
	free(res->net_prio);
	for (size_t i = 0; i < res->n_rdma; i++)
		free(res->rdma[i].device);
	free(res->rdma);
	spec_resources_init(res);
}

void process_clear(struct ward_process *p)
{
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->groups);
	free(p->user);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	memset(p, 0, sizeof(*p));
}

void mount_entry_clear(struct ward_mount *m)
{
	free(m->destination);
	free(m->type);
	free(m->source);
	free(m->data);
	free(m->uid_map);
	free(m->gid_map);
	memset(m, 0, sizeof(*m));
}

void seccomp_free(struct ward_seccomp *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->n_rules; i++) {
		strv_free(sc->rules[i].names);
		free(sc->rules[i].args);
		strv_free(sc->rules[i].arches_incl);
		strv_free(sc->rules[i].arches_excl);
		free(sc->rules[i].min_kernel);
	}
	free(sc->rules);
	strv_free(sc->architectures);
	strv_free(sc->flags);
	free(sc->listener_path);
	free(sc->listener_metadata);
	free(sc);
}

static void hooks_clear(struct ward_hooks *h)
{
	for (int k = 0; k < WHOOK__MAX; k++) {
		for (size_t i = 0; i < h->n[k]; i++) {
			free(h->list[k][i].path);
			strv_free(h->list[k][i].args);
			strv_free(h->list[k][i].env);
		}
		free(h->list[k]);
	}
}

void net_spec_free(struct ward_net_spec *n); /* src/net/netspec.c */

void spec_free(struct ward_spec *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->hostname);
	free(s->domainname);
	free(s->rootfs);
	free(s->bundle);
	for (size_t i = 0; i < s->n_mounts; i++)
		mount_entry_clear(&s->mounts[i]);
	free(s->mounts);
	for (size_t i = 0; i < s->n_links; i++) {
		free(s->links[i].path);
		free(s->links[i].target);
	}
	free(s->links);
	for (size_t i = 0; i < s->n_devices; i++)
		free(s->devices[i].path);
	free(s->devices);
	strv_free(s->masked_paths);
	strv_free(s->readonly_paths);
	for (int i = 0; i < WNS__MAX; i++)
		free(s->ns[i].path);
	free(s->uid_maps);
	free(s->gid_maps);
	process_clear(&s->process);
	spec_resources_clear(&s->res);
	free(s->cgroup_path);
	seccomp_free(s->seccomp);
	kv_free(s->sysctl, s->n_sysctl);
	hooks_clear(&s->hooks);
	free(s->mount_label);
	kv_free(s->annotations, s->n_annotations);
	net_spec_free(s->net);
	free(s);
}

static char *strdup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static struct ward_idmap *idmap_dup(const struct ward_idmap *m, size_t n)
{
	struct ward_idmap *c;

	if (!m || !n)
		return NULL;
	c = calloc(n, sizeof(*c));
	if (c)
		memcpy(c, m, n * sizeof(*c));
	return c;
}

int spec_remove_mount(struct ward_spec *s, const char *destination)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		if (!streq(s->mounts[i].destination, destination))
			continue;
		mount_entry_clear(&s->mounts[i]);
		memmove(&s->mounts[i], &s->mounts[i + 1],
			(s->n_mounts - i - 1) * sizeof(*s->mounts));
		s->n_mounts--;
		return 1;
	}
	return 0;
}

int spec_add_mount(struct ward_spec *s, const struct ward_mount *m, bool replace)
{
	struct ward_mount c = *m, *nm;

	if (replace)
		spec_remove_mount(s, m->destination);
	c.destination = strdup_or_null(m->destination);
	c.type = strdup_or_null(m->type);
	c.source = strdup_or_null(m->source);
	c.data = strdup_or_null(m->data);
	c.uid_map = idmap_dup(m->uid_map, m->n_uid_map);
	c.gid_map = idmap_dup(m->gid_map, m->n_gid_map);
	if (!c.destination || (m->type && !c.type) || (m->source && !c.source) ||
	    (m->data && !c.data)) {
		mount_entry_clear(&c);
		return -ENOMEM;
	}
	nm = realloc(s->mounts, (s->n_mounts + 1) * sizeof(*nm));
	if (!nm) {
		mount_entry_clear(&c);
		return -ENOMEM;
	}
	s->mounts = nm;
	s->mounts[s->n_mounts++] = c;
	return 0;
}

int spec_add_link(struct ward_spec *s, const char *path, const char *target)
{
	struct ward_link *nl = realloc(s->links, (s->n_links + 1) * sizeof(*nl));

	if (!nl)
		return -ENOMEM;
	s->links = nl;
	nl[s->n_links].path = strdup(path);
	nl[s->n_links].target = strdup(target);
	if (!nl[s->n_links].path || !nl[s->n_links].target) {
		free(nl[s->n_links].path);
		free(nl[s->n_links].target);
		return -ENOMEM;
	}
	s->n_links++;
	return 0;
}

int spec_add_idmap(struct ward_idmap **maps, size_t *n, uint32_t inside, uint32_t outside,
		   uint32_t count)
{
	struct ward_idmap *nm = realloc(*maps, (*n + 1) * sizeof(*nm));

	if (!nm)
		return -ENOMEM;
	nm[*n] = (struct ward_idmap){.inside = inside, .outside = outside, .count = count};
	*maps = nm;
	(*n)++;
	return 0;
}

int spec_set_env(struct ward_spec *s, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);

	for (char **p = s->process.env; p && *p; p++) {
		if (strncmp(*p, kv, klen) == 0 && ((*p)[klen] == '=' || (*p)[klen] == '\0')) {
			char *d = strdup(kv);
			if (!d)
				return -ENOMEM;
			free(*p);
			*p = d;
			return 0;
		}
	}
	return strv_push(&s->process.env, kv);
}

const char *spec_get_env(const struct ward_spec *s, const char *key)
{
	size_t klen = strlen(key);

	STRV_FOREACH (p, s->process.env) {
		if (strncmp(*p, key, klen) == 0 && (*p)[klen] == '=')
			return *p + klen + 1;
	}
	return NULL;
}

uint64_t spec_default_caps(void)
{
	/* Docker's default set without CAP_NET_RAW (raw sockets are how a
	 * container forges frames) and CAP_MKNOD (device nodes are ward's job).
	 * See docs/architecture.md, "Privileges". */
	static const int caps[] = {
	    CAP_CHOWN,       CAP_DAC_OVERRIDE, CAP_FOWNER,  CAP_FSETID,           CAP_KILL,
	    CAP_SETGID,      CAP_SETUID,       CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
	    CAP_AUDIT_WRITE, CAP_SETFCAP,
	};
	uint64_t set = 0;

	for (size_t i = 0; i < ARRAY_SIZE(caps); i++)
		set |= 1ULL << caps[i];
	return set;
}

/*
 * The mount table every ward container starts from.  Order matters: entries
 * are mounted in this order, parents before children.
 */
struct default_mount {
	const char *destination;
	const char *type;
	const char *source;
	unsigned long flags;
	const char *data;
	bool rootfs_too; /* also for --rootfs containers (else host template only) */
};

static const struct default_mount default_mounts[] = {
    {"/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true},
    {"/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME, "mode=755,size=65536k",
     true},
    {"/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
     "newinstance,ptmxmode=0666,mode=0620,gid=5", true},
    {"/dev/shm", "tmpfs", "shm", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k", true},
    {"/dev/mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true},
    {"/sys", "sysfs", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL, true},
    {"/tmp", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", true},
    {"/var/tmp", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", true},
    {"/run", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755", true},
};

/* Host directories the host template shares read-only. */
static const char *const host_template_dirs[] = {
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc",
};

static const char *const default_masked[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/key-users",
    "/proc/kmsg",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/proc/kpagecount",
    "/proc/kpageflags",
    "/proc/kpagecgroup",
    "/proc/sysrq-trigger",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
    "/sys/kernel/debug",
    "/sys/kernel/tracing",
};

static const char *const default_readonly[] = {
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
};

static int add_host_template(struct ward_spec *s, ward_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(host_template_dirs); i++) {
		const char *d = host_template_dirs[i];
		char target[4096];
		struct stat st;
		ssize_t n;

		if (lstat(d, &st) < 0) {
			if (errno == ENOENT)
				continue;
			return werr(err, errno, "host template: inspect %s", d);
		}
		if (S_ISLNK(st.st_mode)) {
			/* keep /bin -> usr/bin as a link, so the container
			 * sees the layout the host has */
			n = readlink(d, target, sizeof(target) - 1);
			if (n < 0)
				return werr(err, errno, "host template: read link %s", d);
			target[n] = '\0';
			if (spec_add_link(s, d, target) < 0)
				return werr(err, ENOMEM, "host template");
			continue;
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		struct ward_mount m = {
		    .destination = (char *)d,
		    .type = (char *)"bind",
		    .source = (char *)d,
		    .flags = MS_BIND | MS_REC,
		    .rec_attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
		    .host_template = true,
		};
		if (spec_add_mount(s, &m, true) < 0)
			return werr(err, ENOMEM, "host template");
	}
	return 0;
}

int spec_add_default_filesystem(struct ward_spec *s, ward_err *err)
{
	bool host_template = s->rootfs == NULL;

	if (host_template) {
		int r = add_host_template(s, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(default_mounts); i++) {
		const struct default_mount *d = &default_mounts[i];
		struct ward_mount m = {
		    .destination = (char *)d->destination,
		    .type = (char *)d->type,
		    .source = (char *)d->source,
		    .data = (char *)d->data,
		    .flags = d->flags,
		};

		if (!host_template && !d->rootfs_too)
			continue;
		/* /var/tmp is only useful where the rootfs has a /var */
		if (!host_template && streq(d->destination, "/var/tmp"))
			m.optional = true;
		/* a rootfs that lacks a mount point of ward's gets it */
		else if (!host_template)
			m.create_as_host = true;
		if (spec_add_mount(s, &m, true) < 0)
			return werr(err, ENOMEM, "default mounts");
	}
	for (size_t i = 0; i < ARRAY_SIZE(default_masked); i++)
		if (strv_push(&s->masked_paths, default_masked[i]) < 0)
			return werr(err, ENOMEM, "default masked paths");
	for (size_t i = 0; i < ARRAY_SIZE(default_readonly); i++)
		if (strv_push(&s->readonly_paths, default_readonly[i]) < 0)
			return werr(err, ENOMEM, "default read-only paths");
	s->default_devices = true;
	return 0;
}

int spec_add_default_device_rules(struct ward_spec *s)
{
	/* deny everything, then allow the nodes ward puts in /dev */
	static const struct ward_device_rule rules[] = {
	    {false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}, {true, 'c', 1, 5, "rwm"},
	    {true, 'c', 1, 7, "rwm"},    {true, 'c', 1, 8, "rwm"}, {true, 'c', 1, 9, "rwm"},
	    {true, 'c', 5, 0, "rwm"},    {true, 'c', 5, 1, "rwm"}, {true, 'c', 5, 2, "rwm"},
	    {true, 'c', 136, -1, "rwm"},
	};
	struct ward_device_rule *n =
	    realloc(s->res.devices, (s->res.n_devices + ARRAY_SIZE(rules)) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	memcpy(n + s->res.n_devices, rules, sizeof(rules));
	s->res.devices = n;
	s->res.n_devices += ARRAY_SIZE(rules);
	return 0;
}

int spec_init_run_defaults(struct ward_spec *s, ward_err *err)
{
	uint64_t caps = spec_default_caps();
	static const char *const env[] = {
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	    "HOME=/root",
	    "container=ward",
	};

	for (int i = 0; i < WNS__MAX; i++)
		s->ns[i].enabled = i != WNS_TIME;
	s->userns_mode = WUSERNS_AUTO;
	s->process.caps = (struct ward_caps){
	    .bounding = caps,
	    .effective = caps,
	    .permitted = caps,
	};
	s->process.no_new_privs = true;
	for (size_t i = 0; i < ARRAY_SIZE(env); i++)
		if (strv_push(&s->process.env, env[i]) < 0)
			return werr(err, ENOMEM, "defaults");
	s->process.cwd = strdup("/");
	if (!s->process.cwd)
		return werr(err, ENOMEM, "defaults");
	/* the default profile is built only if its compiled filter is not
	 * cached (see seccomp_compile_default()) */
	s->seccomp = NULL;
	s->seccomp_default = true;
	return 0;
}

int spec_validate(const struct ward_spec *s, ward_err *err)
{
	if (!s->process.args || !s->process.args[0] || !*s->process.args[0])
		return werrx(err, EINVAL, "no command given");
	if (s->process.cwd && s->process.cwd[0] != '/')
		return werrx(err, EINVAL, "working directory '%s' is not an absolute path",
			     s->process.cwd);
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct ward_mount *m = &s->mounts[i];
		if (!m->destination || m->destination[0] != '/')
			return werrx(err, EINVAL, "mount destination '%s' is not an absolute path",
				     m->destination ? m->destination : "");
	}
	if (s->userns_mode == WUSERNS_EXPLICIT && (!s->n_uid_maps || !s->n_gid_maps))
		return werrx(err, EINVAL, "user namespace needs both uid and gid mappings");
	if (s->res.memory_swap != WARD_UNSET && s->res.memory_swap != -1) {
		if (s->res.memory_limit == WARD_UNSET)
			return werrx(err, EINVAL, "--memory-swap needs --memory");
		if (s->res.memory_swap < s->res.memory_limit)
			return werrx(err, EINVAL,
				     "--memory-swap (memory plus swap) is smaller than --memory");
	}
	if (s->process.terminal && !s->process.args)
		return werrx(err, EINVAL, "no command given");
	return 0;
}

const char *spec_hook_name(enum ward_hook_kind k)
{
	static const char *const names[WHOOK__MAX] = {
	    [WHOOK_PRESTART] = "prestart",
	    [WHOOK_CREATE_RUNTIME] = "createRuntime",
	    [WHOOK_CREATE_CONTAINER] = "createContainer",
	    [WHOOK_START_CONTAINER] = "startContainer",
	    [WHOOK_POSTSTART] = "poststart",
	    [WHOOK_POSTSTOP] = "poststop",
	};

	return (int)k >= 0 && k < WHOOK__MAX ? names[k] : "hook";
}
