/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container spec: one model that every front end fills in (the `ward run`
 * options, container config files with their LXC aliases, OCI config.json)
 * and that the runtime consumes.  It says *what* the container is; how it is
 * built lives in src/runtime.  Everything here is plain data owned by the
 * spec and released by spec_free().
 */
#ifndef WARD_SPEC_H
#define WARD_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

#define WARD_UNSET INT64_MIN

enum ward_ns_type {
	WNS_USER = 0, /* first: the others are created owned by it */
	WNS_MNT,
	WNS_PID,
	WNS_NET,
	WNS_IPC,
	WNS_UTS,
	WNS_CGROUP,
	WNS_TIME,
	WNS__MAX,
};

struct ward_ns {
	bool enabled; /* the container gets its own (new or joined) namespace */
	char *path;   /* join this one instead of creating one */
};

struct ward_idmap {
	uint32_t inside;
	uint32_t outside;
	uint32_t count;
};

struct ward_mount {
	char *destination;   /* absolute path inside the container */
	char *type;          /* "bind", "tmpfs", "proc", "sysfs", "devpts", "mqueue", ... */
	char *source;        /* host path for binds, fs source otherwise */
	char *data;          /* filesystem options passed to mount(2) */
	unsigned long flags; /* MS_* flags applied when mounting */
	unsigned long
	    propagation;       /* MS_PRIVATE / MS_SLAVE / MS_SHARED / MS_UNBINDABLE (| MS_REC) */
	uint64_t rec_attr_set; /* MOUNT_ATTR_* applied to the whole subtree (rro, rnosuid...) */
	uint64_t rec_attr_clr;
	bool optional;       /* skip silently when the source does not exist */
	bool host_template;  /* part of the host template, not user supplied */
	bool create_as_host; /* ward's own file: a missing mount point is made as host root */
	struct ward_idmap *uid_map; /* idmapped mount (NULL: none) */
	size_t n_uid_map;
	struct ward_idmap *gid_map;
	size_t n_gid_map;
};

struct ward_link {
	char *path;   /* symlink to create inside the container */
	char *target; /* what it points to */
};

struct ward_device {
	char *path;
	char type; /* 'c', 'b', 'u' or 'p' */
	int64_t major, minor;
	uint32_t mode;
	uint32_t uid, gid;
};

struct ward_rlimit {
	int resource;
	uint64_t soft, hard;
};

struct ward_caps {
	uint64_t bounding;
	uint64_t effective;
	uint64_t inheritable;
	uint64_t permitted;
	uint64_t ambient;
};

struct ward_process {
	char **args;
	char **env;
	char *cwd;
	uint32_t uid, gid;
	uint32_t *groups;
	size_t n_groups;
	char *user; /* as given (name or number) until the runtime resolves it */
	struct ward_caps caps;
	bool no_new_privs;
	bool terminal;    /* allocate a pty from the container's devpts */
	bool interactive; /* keep stdin attached */
	unsigned int console_height, console_width;
	struct ward_rlimit *rlimits;
	size_t n_rlimits;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *apparmor_profile;
	char *selinux_label;
	/* OCI process.user.umask: umask(2) before exec; without it the umask
	 * ward was started with is kept */
	bool has_umask;
	uint32_t umask;
};

struct ward_device_rule {
	bool allow;
	char type;            /* 'a', 'c', 'b' */
	int64_t major, minor; /* -1 = any */
	char access[4];       /* subset of "rwm" */
};

struct ward_kv {
	char *key;
	char *value;
};

struct ward_hugepage_limit {
	char *pagesize; /* "2MB" */
	uint64_t limit;
};

/* OCI linux.resources.blockIO.weightDevice: v1 blkio.weight_device and
 * blkio.leaf_weight_device ("MAJOR:MINOR WEIGHT"); v2 io.weight
 * ("MAJOR:MINOR WEIGHT").  Each weight is WARD_UNSET when not given (at
 * least one of the two is set). */
struct ward_blkio_weight_device {
	int64_t major, minor;
	int64_t weight;      /* 10..1000 */
	int64_t leaf_weight; /* 10..1000, v1 only */
};

/* OCI blockIO throttle*Device: v1 blkio.throttle.{read,write}_{bps,iops}_device,
 * v2 io.max ("MAJOR:MINOR rbps=.. wbps=.. riops=.. wiops=.."). */
enum ward_blkio_throttle_kind {
	WBLKIO_READ_BPS,
	WBLKIO_WRITE_BPS,
	WBLKIO_READ_IOPS,
	WBLKIO_WRITE_IOPS,
	WBLKIO__MAX,
};

struct ward_blkio_throttle {
	int64_t major, minor;
	uint64_t rate; /* bytes or I/O operations per second */
};

/* OCI linux.resources.network.priorities: v1 net_prio.ifpriomap
 * ("IFNAME PRIO"). */
struct ward_net_prio {
	char *ifname;
	uint32_t priority;
};

/* OCI linux.resources.rdma: rdma.max ("DEVICE hca_handle=N hca_object=N");
 * a limit is WARD_UNSET when not given ("max"). */
struct ward_rdma_limit {
	char *device;
	int64_t hca_handles;
	int64_t hca_objects;
};

/* Resource limits.  Integers are WARD_UNSET when not requested. */
struct ward_resources {
	int64_t memory_limit; /* bytes */
	int64_t memory_swap;  /* memory + swap, bytes (docker/OCI v1 semantics); -1 = unlimited */
	int64_t memory_reservation;
	int64_t memory_swappiness;
	bool disable_oom_killer;
	int64_t cpu_quota;  /* microseconds per period; -1 = unlimited */
	int64_t cpu_period; /* microseconds */
	int64_t cpu_weight; /* cgroup v2 scale 1..10000 */
	int64_t cpu_shares; /* cgroup v1 scale 2..262144 */
	char *cpuset_cpus;
	char *cpuset_mems;
	int64_t pids_limit;   /* -1 = unlimited */
	int64_t io_weight;    /* cgroup v2 scale 1..10000 */
	int64_t blkio_weight; /* cgroup v1 scale 10..1000 */
	struct ward_hugepage_limit *hugepages;
	size_t n_hugepages;
	struct ward_device_rule *devices;
	size_t n_devices;
	struct ward_kv *unified; /* raw cgroup v2 "file = value" pairs */
	size_t n_unified;

	/* Filled by the OCI face only (src/oci); integers are WARD_UNSET when
	 * not requested.  Each is a cgroup file the drivers must write or
	 * refuse with an error, never skip. */
	int64_t memory_kernel;           /* v1 memory.kmem.limit_in_bytes (deprecated by OCI) */
	int64_t memory_kernel_tcp;       /* v1 memory.kmem.tcp.limit_in_bytes */
	int64_t memory_use_hierarchy;    /* v1 memory.use_hierarchy: 0 or 1 */
	bool memory_check_before_update; /* update: refuse a limit below the current usage */
	int64_t cpu_burst;               /* microseconds: v1 cpu.cfs_burst_us, v2 cpu.max.burst */
	int64_t cpu_rt_runtime;          /* microseconds: v1 cpu.rt_runtime_us (-1 = unlimited) */
	int64_t cpu_rt_period;           /* microseconds: v1 cpu.rt_period_us */
	int64_t cpu_idle;                /* v2 cpu.idle: 0 or 1 */
	int64_t blkio_leaf_weight;       /* v1 blkio.leaf_weight, 10..1000 */
	struct ward_blkio_weight_device *blkio_weight_devices;
	size_t n_blkio_weight_devices;
	struct ward_blkio_throttle *blkio_throttle[WBLKIO__MAX];
	size_t n_blkio_throttle[WBLKIO__MAX];
	int64_t net_cls_classid; /* v1 net_cls.classid */
	struct ward_net_prio *net_prio;
	size_t n_net_prio;
	struct ward_rdma_limit *rdma;
	size_t n_rdma;
};

enum ward_seccomp_action {
	WSC_KILL_THREAD,
	WSC_KILL_PROCESS,
	WSC_TRAP,
	WSC_ERRNO,
	WSC_TRACE,
	WSC_ALLOW,
	WSC_LOG,
	WSC_NOTIFY,
};

enum ward_seccomp_op {
	WSC_OP_NE = 1,
	WSC_OP_LT,
	WSC_OP_LE,
	WSC_OP_EQ,
	WSC_OP_GE,
	WSC_OP_GT,
	WSC_OP_MASKED_EQ,
};

struct ward_seccomp_arg {
	unsigned int index;
	uint64_t value;
	uint64_t value_two;
	enum ward_seccomp_op op;
};

struct ward_seccomp_rule {
	char **names;
	enum ward_seccomp_action action;
	int errno_ret; /* -1: the profile's default errno */
	struct ward_seccomp_arg *args;
	size_t n_args;
	/* Docker-profile conditions, evaluated when the filter is compiled:
	 * the rule applies only if every cap in caps_incl is in the
	 * container's bounding set, none of caps_excl is, and the native
	 * architecture is (not) listed. */
	uint64_t caps_incl;
	uint64_t caps_excl;
	char **arches_incl;
	char **arches_excl;
	char *min_kernel; /* "4.8": rule applies on that kernel or newer */
};

struct ward_seccomp {
	enum ward_seccomp_action default_action;
	int default_errno;
	char **architectures; /* "SCMP_ARCH_X86_64", ... (empty: native + compat) */
	char **flags;         /* "SECCOMP_FILTER_FLAG_LOG", ... */
	char *listener_path;
	char *listener_metadata;
	struct ward_seccomp_rule *rules;
	size_t n_rules;
};

struct ward_hook {
	char *path;
	char **args;
	char **env;
	int timeout; /* seconds, 0 = none */
};

enum ward_hook_kind {
	WHOOK_PRESTART,
	WHOOK_CREATE_RUNTIME,
	WHOOK_CREATE_CONTAINER,
	WHOOK_START_CONTAINER,
	WHOOK_POSTSTART,
	WHOOK_POSTSTOP,
	WHOOK__MAX,
};

/* The OCI name of a hook kind ("prestart", ...; "hook" when out of range). */
const char *spec_hook_name(enum ward_hook_kind k);

struct ward_hooks {
	struct ward_hook *list[WHOOK__MAX];
	size_t n[WHOOK__MAX];
};

struct ward_net_spec; /* src/net: interfaces and firewall policy */

/* OCI linux.timeOffsets: the clocks of a new time namespace shifted by this
 * much (/proc/PID/timens_offsets, "monotonic SECS NANOSECS", written before
 * the first process enters it); only with ns[WNS_TIME] enabled, no path. */
enum ward_time_clock {
	WTIME_MONOTONIC,
	WTIME_BOOTTIME,
	WTIME__MAX,
};

struct ward_time_offset {
	bool set;
	int64_t secs;
	uint32_t nanosecs; /* < 1000000000 */
};

enum ward_userns_mode {
	WUSERNS_AUTO,     /* a subordinate range chosen by ward */
	WUSERNS_HOST,     /* no user namespace: container root is host root */
	WUSERNS_EXPLICIT, /* uid_maps/gid_maps as given */
};

struct ward_spec {
	char *name;
	char *hostname;
	char *domainname;

	/* root filesystem: NULL means the host template (a tmpfs skeleton
	 * with the host's system directories bound read-only) */
	char *rootfs;
	bool rootfs_readonly;
	/* an overlay over rootfs with a tmpfs upper layer: writes are
	 * discarded when the container's mount namespace goes */
	bool rootfs_ephemeral;
	/* show the rootfs's files through an idmapped mount of it: on-disk
	 * id N is the container's id N (needs a user namespace) */
	bool rootfs_idmap;
	unsigned long rootfs_propagation; /* 0: rprivate */
	bool no_pivot;

	struct ward_mount *mounts;
	size_t n_mounts;
	struct ward_link *links;
	size_t n_links;
	struct ward_device *devices;
	size_t n_devices;
	bool default_devices; /* null, zero, full, random, urandom, tty, ptmx, ... */
	char **masked_paths;
	char **readonly_paths;

	struct ward_ns ns[WNS__MAX];
	enum ward_userns_mode userns_mode;
	struct ward_idmap *uid_maps;
	size_t n_uid_maps;
	struct ward_idmap *gid_maps;
	size_t n_gid_maps;

	struct ward_process process;
	struct ward_resources res;
	char *cgroup_path; /* explicit cgroup (OCI cgroupsPath); NULL: parent + name */

	struct ward_seccomp *seccomp; /* a profile; NULL with seccomp_default false: unconfined */
	bool seccomp_default;         /* ward's built-in profile (built only when not cached) */
	struct ward_kv *sysctl;
	size_t n_sysctl;
	struct ward_hooks hooks;
	char *mount_label;
	/* OCI: the bundle directory (absolute), reported in the state
	 * document hooks read on stdin */
	char *bundle;
	/* OCI annotations (informational), reported in the state document */
	struct ward_kv *annotations;
	size_t n_annotations;
	/* OCI linux.personality: personality(2) before exec when set
	 * (PER_LINUX or PER_LINUX32) */
	bool has_personality;
	unsigned long personality;
	struct ward_time_offset time_offsets[WTIME__MAX];

	bool init; /* run ward's minimal reaper as PID 1 */
	int stop_signal;
	struct ward_net_spec *net;
};

struct ward_spec *spec_new(void);
void spec_free(struct ward_spec *s);
static inline void spec_freep(struct ward_spec **s)
{
	spec_free(*s);
}

void mount_entry_clear(struct ward_mount *m);
/* Free what P owns and zero it. */
void process_clear(struct ward_process *p);
/* Every limit WARD_UNSET, no lists; and free what RES owns, leaving it
 * initialised. */
void spec_resources_init(struct ward_resources *res);
void spec_resources_clear(struct ward_resources *res);
/* Append a copy of m (strings duplicated); replaces an entry with the same
 * destination when replace is true. */
int spec_add_mount(struct ward_spec *s, const struct ward_mount *m, bool replace);
int spec_remove_mount(struct ward_spec *s, const char *destination);
int spec_add_link(struct ward_spec *s, const char *path, const char *target);
int spec_add_idmap(struct ward_idmap **maps, size_t *n, uint32_t inside, uint32_t outside,
		   uint32_t count);
int spec_set_env(struct ward_spec *s, const char *kv); /* KEY=VALUE, replaces KEY */
const char *spec_get_env(const struct ward_spec *s, const char *key);
void seccomp_free(struct ward_seccomp *sc);

/* The filesystem layout every ward container starts from (see
 * docs/architecture.md, "Mount table"): /proc with masks, /sys read-only, a
 * small /dev, and the fresh tmpfs mounts.  With rootfs == NULL the host
 * template's read-only binds and symlinks are added too. */
int spec_add_default_filesystem(struct ward_spec *s, ward_err *err);
/* The device cgroup allow-list for containers without a user namespace:
 * nothing but the nodes of ward's /dev (v1 devices controller). */
int spec_add_default_device_rules(struct ward_spec *s);
/* The defaults of a `ward run` container, before any option is applied. */
int spec_init_run_defaults(struct ward_spec *s, ward_err *err);
/* Check cross-field consistency once all options are in. */
int spec_validate(const struct ward_spec *s, ward_err *err);

/* The default capability set (docs/architecture.md, "Privileges"). */
uint64_t spec_default_caps(void);

#endif
