/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The documents ward-oci writes rather than reads: `spec`'s default
 * config.json (runc's shape) and `features`, the runtime-spec features
 * document, which says what this build's parser accepts and its runtime
 * applies.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "oci/jparse.h"
#include "oci/oci.h"
#include "spec/parse.h"
#include "spec/seccomp_profile.h"
#include "util/cleanup.h"
#include "util/strutil.h"

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

static const char *const default_masked[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
};

static const char *const default_readonly[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static json_t *strv_json(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *default_mounts(bool rootless)
{
	/* a rootless container cannot mount a sysfs of its own without a
	 * network namespace, nor give devpts a group it does not map */
	json_t *sys = rootless ? json_pack("{s:s, s:s, s:s, s:[s, s, s, s, s]}", "destination",
					   "/sys", "type", "none", "source", "/sys", "options",
					   "rbind", "nosuid", "noexec", "nodev", "ro")
			       : json_pack("{s:s, s:s, s:s, s:[s, s, s, s]}", "destination", "/sys",
					   "type", "sysfs", "source", "sysfs", "options", "nosuid",
					   "noexec", "nodev", "ro");
	json_t *pts =
	    rootless ? json_pack("{s:s, s:s, s:s, s:[s, s, s, s, s]}", "destination", "/dev/pts",
				 "type", "devpts", "source", "devpts", "options", "nosuid",
				 "noexec", "newinstance", "ptmxmode=0666", "mode=0620")
		     : json_pack("{s:s, s:s, s:s, s:[s, s, s, s, s, s]}", "destination", "/dev/pts",
				 "type", "devpts", "source", "devpts", "options", "nosuid",
				 "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5");

	return json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s, s:[s, s, s, s]}, o, "
			 "{s:s, s:s, s:s, s:[s, s, s, s, s]}, {s:s, s:s, s:s, s:[s, s, s]}, o, "
			 "{s:s, s:s, s:s, s:[s, s, s, s, s]}]",
			 "destination", "/proc", "type", "proc", "source", "proc", /* */
			 "destination", "/dev", "type", "tmpfs", "source", "tmpfs", "options",
			 "nosuid", "strictatime", "mode=755", "size=65536k", /* */
			 pts,                                                /* */
			 "destination", "/dev/shm", "type", "tmpfs", "source", "shm", "options",
			 "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", /* */
			 "destination", "/dev/mqueue", "type", "mqueue", "source", "mqueue",
			 "options", "nosuid", "noexec", "nodev", /* */
			 sys,                                    /* */
			 "destination", "/sys/fs/cgroup", "type", "cgroup", "source", "cgroup",
			 "options", "nosuid", "noexec", "nodev", "relatime", "ro");
}

json_t *oci_default_config(bool rootless)
{
	json_t *caps =
	    json_pack("[s, s, s]", "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
	json_t *ns = json_pack("[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}]", "type", "pid", "type", "ipc",
			       "type", "uts", "type", "mount", "type", "cgroup");
	json_t *lx, *doc;

	if (!caps || !ns) {
		json_decref(caps);
		json_decref(ns);
		return NULL;
	}
	/* a rootless container has no network of its own to reach anything
	 * with; the rootful one gets a (closed) network namespace */
	if (json_array_append_new(ns, json_pack("{s:s}", "type", rootless ? "user" : "network")) <
	    0) {
		json_decref(caps);
		json_decref(ns);
		return NULL;
	}
	lx = json_pack("{s:o, s:o, s:o}", "namespaces", ns, "maskedPaths",
		       strv_json(default_masked, ARRAY_SIZE(default_masked)), "readonlyPaths",
		       strv_json(default_readonly, ARRAY_SIZE(default_readonly)));
	if (lx && rootless) {
		if (json_object_set_new(lx, "uidMappings",
					json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
						  (json_int_t)geteuid(), "size", 1)) < 0 ||
		    json_object_set_new(lx, "gidMappings",
					json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
						  (json_int_t)getegid(), "size", 1)) < 0) {
			json_decref(lx);
			lx = NULL;
		}
	} else if (lx && json_object_set_new(lx, "resources",
					     json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0,
						       "access", "rwm")) < 0) {
		json_decref(lx);
		lx = NULL;
	}
	if (!lx) {
		json_decref(caps);
		return NULL;
	}
	doc = json_pack("{s:s, s:{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s, s:{s:O, s:O, s:o}, "
			"s:[{s:s, s:i, s:i}], s:b}, s:{s:s, s:b}, s:s, s:o, s:o}",
			"ociVersion", OCI_SPEC_VERSION_MAX,
			/* process */
			"process", "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh", "env",
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm", "cwd", "/", "capabilities", "bounding", caps, "permitted",
			caps, "effective", caps, "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024,
			"soft", 1024, "noNewPrivileges", 1,
			/* the rest */
			"root", "path", "rootfs", "readonly", 1, "hostname", "ward", "mounts",
			default_mounts(rootless), "linux", lx);
	return doc;
}

/* ------------------------------------------------------------------ */
/* features */

static json_t *cap_names(void)
{
	json_t *a = json_array();

	for (int c = 0; a && c < 64; c++) {
		const char *n = caps_to_name(c);
		int back;

		/* libcap names a number it does not know by its digits */
		if (!startswith(n, "CAP_") || caps_from_name(n, &back) < 0 || back != c)
			continue;
		if (json_array_append_new(a, json_string(n)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Does this kernel take FLAG?  A filter of NULL fails with EFAULT once
 * the flags passed the kernel's check, and with EINVAL if they did not;
 * nothing is installed either way. */
static bool kernel_takes_seccomp_flag(unsigned int flag)
{
	if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
		flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	return syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

static json_t *seccomp_features(void)
{
	static const char *const actions[] = {
	    "SCMP_ACT_ALLOW",        "SCMP_ACT_ERRNO",       "SCMP_ACT_KILL",
	    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
	    "SCMP_ACT_NOTIFY",       "SCMP_ACT_TRACE",       "SCMP_ACT_TRAP",
	};
	static const char *const operators[] = {
	    "SCMP_CMP_EQ", "SCMP_CMP_GE",        "SCMP_CMP_GT", "SCMP_CMP_LE",
	    "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE",
	};
	static const char *const arch_names[] = {
	    "SCMP_ARCH_AARCH64",     "SCMP_ARCH_ARM",    "SCMP_ARCH_LOONGARCH64",
	    "SCMP_ARCH_M68K",        "SCMP_ARCH_MIPS",   "SCMP_ARCH_MIPS64",
	    "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
	    "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
	    "SCMP_ARCH_PPC",         "SCMP_ARCH_PPC64",  "SCMP_ARCH_PPC64LE",
	    "SCMP_ARCH_RISCV64",     "SCMP_ARCH_S390",   "SCMP_ARCH_S390X",
	    "SCMP_ARCH_SH",          "SCMP_ARCH_SHEB",   "SCMP_ARCH_X32",
	    "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",
	};
	static const char *const flags[] = {
	    "SECCOMP_FILTER_FLAG_TSYNC",
	    "SECCOMP_FILTER_FLAG_LOG",
	    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
	    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
	};
	json_t *archs = json_array(), *supported = json_array();

	for (size_t i = 0; archs && i < ARRAY_SIZE(arch_names); i++)
		if (seccomp_arch_token(arch_names[i]) &&
		    json_array_append_new(archs, json_string(arch_names[i])) < 0)
			goto fail;
	for (size_t i = 0; supported && i < ARRAY_SIZE(flags); i++)
		if (kernel_takes_seccomp_flag(seccomp_flag_value(flags[i])) &&
		    json_array_append_new(supported, json_string(flags[i])) < 0)
			goto fail;
	if (!archs || !supported)
		goto fail;
	return json_pack("{s:b, s:o, s:o, s:o, s:o, s:o}", "enabled", 1, "actions",
			 strv_json(actions, ARRAY_SIZE(actions)), "operators",
			 strv_json(operators, ARRAY_SIZE(operators)), "archs", archs, "knownFlags",
			 strv_json(flags, ARRAY_SIZE(flags)), "supportedFlags", supported);
fail:
	json_decref(archs);
	json_decref(supported);
	return NULL;
}

json_t *oci_features(void)
{
	static const char *const hooks[] = {"prestart",       "createRuntime", "createContainer",
					    "startContainer", "poststart",     "poststop"};
	static const char *const namespaces[] = {"cgroup", "ipc",  "mount", "network",
						 "pid",    "time", "user",  "uts"};
	const struct scmp_version *v = seccomp_version();
	_cleanup_free_ const char **opts = NULL;
	char libseccomp[48];
	size_t n_opts = 0;
	json_t *linux_doc;

	if (oci_mount_option_names(&opts, &n_opts) < 0)
		return NULL;
	snprintf(libseccomp, sizeof(libseccomp), "%u.%u.%u", v ? v->major : 0, v ? v->minor : 0,
		 v ? v->micro : 0);
	/* rdma, net_cls/net_prio and the other OCI-only limits are parsed
	 * into struct ward_resources; the cgroup drivers apply them or refuse
	 * the start */
	linux_doc = json_pack("{s:o, s:o, s:{s:b, s:b, s:b, s:b, s:b}, s:o, s:{s:b}, s:{s:b}, "
			      "s:{s:b}, s:{s:{s:b}}}",
			      "namespaces", strv_json(namespaces, ARRAY_SIZE(namespaces)),
			      "capabilities", cap_names(), "cgroup", "v1", 1, "v2", 1, "systemd", 0,
			      "systemdUser", 0, "rdma", 0, "seccomp", seccomp_features(),
			      "apparmor", "enabled", 1, "selinux", "enabled", 1, "intelRdt",
			      "enabled", 0, "mountExtensions", "idmap", "enabled", 0);
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:{s:s, s:s}}", "ociVersionMin",
			 OCI_SPEC_VERSION_MIN, "ociVersionMax", OCI_SPEC_VERSION_MAX, "hooks",
			 strv_json(hooks, ARRAY_SIZE(hooks)), "mountOptions",
			 strv_json((const char *const *)opts, n_opts), "linux", linux_doc,
			 "annotations", "io.github.seccomp.libseccomp.version", libseccomp,
			 "org.ward.version", WARD_VERSION);
}
