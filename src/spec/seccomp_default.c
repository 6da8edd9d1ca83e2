/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ward's built-in seccomp profile (docs/seccomp.md, "The default profile").
 *
 * An allow-list.  A syscall the list does not name fails with ENOSYS: that
 * is what a kernel without the call would say, so libc and programs take
 * their fallback paths for calls added after this list was written.  Calls
 * that exist but that a container must not make are named explicitly and
 * fail with EPERM, the answer of a kernel that refuses; some of them are
 * allowed when the container holds the capability that makes them safe to
 * use, so one profile serves every capability set.
 *
 * Rules take effect on the native ABI and, with `architectures` left empty,
 * on the compat ABIs (x86 and x32 on x86_64); names that do not exist on an
 * ABI, or that this libseccomp does not know yet, are skipped when the
 * filter is compiled.
 */
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "spec/seccomp_profile.h"
#include "util/cleanup.h"
#include "util/strutil.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

#define CAP(c)     (1ULL << (c))
#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* clone() flags that create namespaces.  CLONE_NEWTIME is left out: in
 * clone()'s flags that bit belongs to the exit signal, only clone3() and
 * unshare() can ask for a time namespace. */
#define CLONE_NS_FLAGS                                                                             \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
	 CLONE_NEWCGROUP)

struct group {
	const char *const *names;
	enum ward_seccomp_action action;
	int errno_ret;
	uint64_t caps_incl;
	uint64_t caps_excl;
	const char *min_kernel;
	bool has_arg; /* the default profile needs at most one comparison */
	struct ward_seccomp_arg arg;
};

/* clang-format off */
#define ALLOW(n)	     {.names = (n), .action = WSC_ALLOW}
#define DENY(n)		     {.names = (n), .action = WSC_ERRNO, .errno_ret = EPERM}
#define ALLOW_WITH(n, caps)  {.names = (n), .action = WSC_ALLOW, .caps_incl = (caps)}
#define DENY_WITHOUT(n, caps) \
	{.names = (n), .action = WSC_ERRNO, .errno_ret = EPERM, .caps_excl = (caps)}
#define ALLOW_IF(n, a)	     {.names = (n), .action = WSC_ALLOW, .has_arg = true, .arg = a}
#define DENY_IF(n, a) \
	{.names = (n), .action = WSC_ERRNO, .errno_ret = EPERM, .has_arg = true, .arg = a}
#define EQ(i, v)	     {.index = (i), .op = WSC_OP_EQ, .value = (v)}
#define MASKED_EQ(i, mask, v) \
	{.index = (i), .op = WSC_OP_MASKED_EQ, .value = (mask), .value_two = (v)}

/* A comparison that every value passes.  libseccomp tests the equality
 * comparisons (EQ, MASKED_EQ) of an argument before its range comparisons,
 * so this one only catches what the specific rules of the same syscall did
 * not: it gives "the listed values, EPERM for everything else", which a
 * default action of ENOSYS cannot.  test_seccomp.c checks the behaviour on
 * the running kernel, the i386 ABI included. */
#define ANY_VALUE(i)	     {.index = (i), .op = WSC_OP_GE, .value = 0}

/* Everything an ordinary service, shell or libc needs.  Where the kernel
 * already checks a capability (chroot, mknod of devices, sethostname in the
 * container's UTS namespace, mbind across processes...) the call is allowed
 * and the kernel decides. */
static const char *const allowed[] = {
	/* file descriptors and I/O */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
	"preadv2", "pwritev2", "open", "openat", "openat2", "creat", "close", "close_range",
	"lseek", "_llseek", "dup", "dup2", "dup3", "fcntl", "fcntl64", "ioctl", "flock",
	"fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "truncate", "truncate64",
	"ftruncate", "ftruncate64", "fallocate", "fadvise64", "fadvise64_64", "readahead",
	"sendfile", "sendfile64", "splice", "tee", "vmsplice", "copy_file_range",
	"memfd_create", "memfd_secret", "pipe", "pipe2",
	/* files and directories */
	"stat", "stat64", "fstat", "fstat64", "lstat", "lstat64", "newfstatat", "fstatat64",
	"statx", "statfs", "statfs64", "fstatfs", "fstatfs64", "access", "faccessat",
	"faccessat2", "readlink", "readlinkat", "getdents", "getdents64", "getcwd", "chdir",
	"fchdir", "chroot", "rename", "renameat", "renameat2", "mkdir", "mkdirat", "rmdir",
	"link", "linkat", "unlink", "unlinkat", "symlink", "symlinkat", "mknod", "mknodat",
	"chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "chown32", "fchown", "fchown32",
	"lchown", "lchown32", "fchownat", "umask", "utime", "utimes", "futimesat", "utimensat",
	"utimensat_time64", "setxattr", "lsetxattr", "fsetxattr", "getxattr", "lgetxattr",
	"fgetxattr", "listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr",
	"fremovexattr", "setxattrat", "getxattrat", "listxattrat", "removexattrat",
	"file_getattr", "file_setattr", "inotify_init", "inotify_init1", "inotify_add_watch",
	"inotify_rm_watch", "fanotify_mark", "statmount", "listmount",
	/* waiting for events */
	"poll", "ppoll", "ppoll_time64", "select", "_newselect", "pselect6", "pselect6_time64",
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
	"epoll_pwait2", "eventfd", "eventfd2", "signalfd", "signalfd4", "timerfd_create",
	"timerfd_settime", "timerfd_settime64", "timerfd_gettime", "timerfd_gettime64",
	"io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents",
	"io_pgetevents_time64",
	/* memory */
	"brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync",
	"mlock", "mlock2", "munlock", "mlockall", "munlockall", "remap_file_pages",
	"pkey_mprotect", "pkey_alloc", "pkey_free", "membarrier", "get_mempolicy",
	"set_mempolicy", "set_mempolicy_home_node", "mbind", "migrate_pages", "move_pages",
	"map_shadow_stack", "mseal", "cachestat",
	/* processes and threads (clone and clone3 are below) */
	"fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid",
	"waitpid", "kill", "tkill", "tgkill", "getpid", "getppid", "gettid", "getpgid",
	"setpgid", "getpgrp", "getsid", "setsid", "set_tid_address", "set_robust_list",
	"get_robust_list", "rseq", "restart_syscall", "prctl", "arch_prctl",
	"get_thread_area", "set_thread_area", "capget", "capset", "seccomp",
	"pidfd_open", "pidfd_send_signal", "process_mrelease", "uretprobe",
	"landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
	"lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules",
	/* credentials */
	"getuid", "getuid32", "geteuid", "geteuid32", "getgid", "getgid32", "getegid",
	"getegid32", "setuid", "setuid32", "setgid", "setgid32", "setreuid", "setreuid32",
	"setregid", "setregid32", "setresuid", "setresuid32", "setresgid", "setresgid32",
	"getresuid", "getresuid32", "getresgid", "getresgid32", "getgroups", "getgroups32",
	"setgroups", "setgroups32", "setfsuid", "setfsuid32", "setfsgid", "setfsgid32",
	/* scheduling and limits */
	"getrlimit", "ugetrlimit", "setrlimit", "prlimit64", "getrusage", "getpriority",
	"setpriority", "nice", "sched_yield", "sched_getaffinity", "sched_setaffinity",
	"sched_getparam", "sched_setparam", "sched_getscheduler", "sched_setscheduler",
	"sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
	"sched_rr_get_interval_time64", "sched_getattr", "sched_setattr", "ioprio_get",
	"ioprio_set", "getcpu",
	/* signals */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend",
	"rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
	"sigaction", "sigprocmask", "sigreturn", "sigpending", "sigsuspend", "signal",
	"sigaltstack", "pause",
	/* futexes */
	"futex", "futex_time64", "futex_waitv", "futex_wake", "futex_wait", "futex_requeue",
	/* time: reading it, sleeping, timers; adjtimex and clock_adjtime only change
	 * the clock with CAP_SYS_TIME in the initial namespace, which a container
	 * does not get, and glibc's ntp_gettime() reads through adjtimex */
	"time", "gettimeofday", "clock_gettime", "clock_gettime64", "clock_getres",
	"clock_getres_time64", "clock_nanosleep", "clock_nanosleep_time64", "nanosleep",
	"alarm", "getitimer", "setitimer", "timer_create", "timer_settime", "timer_settime64",
	"timer_gettime", "timer_gettime64", "timer_getoverrun", "timer_delete", "times",
	"adjtimex", "clock_adjtime", "clock_adjtime64",
	/* System V and POSIX IPC (namespaced) */
	"ipc", "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop",
	"semtimedop_time64", "semctl", "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open",
	"mq_unlink", "mq_timedsend", "mq_timedsend_time64", "mq_timedreceive",
	"mq_timedreceive_time64", "mq_notify", "mq_getsetattr",
	/* sockets (socket itself is below) */
	"socketcall", "socketpair", "bind", "connect", "listen", "accept", "accept4",
	"getsockname", "getpeername", "sendto", "recvfrom", "send", "recv", "sendmsg",
	"recvmsg", "sendmmsg", "recvmmsg", "recvmmsg_time64", "shutdown", "setsockopt",
	"getsockopt",
	/* the system, as seen from the container's namespaces */
	"uname", "sysinfo", "getrandom", "sethostname", "setdomainname",
	NULL,
};

/* Never allowed, whatever the capabilities: global kernel state that no
 * namespace covers (modules come with CAP_SYS_MODULE below), known
 * attack surface, or calls that are obsolete anyway. */
static const char *const denied[] = {
	"kexec_load", "kexec_file_load", /* replace the running kernel */
	"keyctl", "add_key", "request_key", /* the keyrings are not namespaced */
	"userfaultfd", /* stalls kernel threads at will; a staple of exploits */
	"io_uring_setup", "io_uring_enter", "io_uring_register", /* its requests skip this filter */
	"swapon", "swapoff", "lookup_dcookie", "nfsservctl", "uselib", "ustat", "sysfs",
	"_sysctl", "vm86", "vm86old",
	NULL,
};

static const struct group groups[] = {
	ALLOW(allowed),
	DENY(denied),

	/* ptrace could be used to get around seccomp before 4.8 */
	{.names = NAMES("ptrace"), .action = WSC_ALLOW, .min_kernel = "4.8"},
	ALLOW_WITH(NAMES("ptrace"), CAP(CAP_SYS_PTRACE)),

	/* plain and 32-bit Linux (each also with UNAME26) and the query; no
	 * persona that turns off address-space randomisation or makes data
	 * executable */
	ALLOW_IF(NAMES("personality"), EQ(0, 0x0)),
	ALLOW_IF(NAMES("personality"), EQ(0, 0x8)),
	ALLOW_IF(NAMES("personality"), EQ(0, 0x20000)),
	ALLOW_IF(NAMES("personality"), EQ(0, 0x20008)),
	ALLOW_IF(NAMES("personality"), EQ(0, 0xffffffff)),
	DENY_IF(NAMES("personality"), ANY_VALUE(0)),

	/* vsock reaches the hypervisor whatever the network namespace.  The
	 * mask matters: the kernel reads the family as an int, so a value
	 * with high bits set must not slip past the comparison. */
	DENY_IF(NAMES("socket"), MASKED_EQ(0, 0xffffffff, AF_VSOCK)),
	ALLOW_IF(NAMES("socket"), ANY_VALUE(0)),

	/* Namespaces are for CAP_SYS_ADMIN: clone() without namespace flags
	 * (flags are the first argument on x86), no unshare() or setns().
	 * clone3() passes its flags in memory where no filter can read them,
	 * so it gets ENOSYS and libc falls back to clone(). */
	{.names = NAMES("clone"), .action = WSC_ALLOW, .caps_excl = CAP(CAP_SYS_ADMIN),
	 .has_arg = true, .arg = MASKED_EQ(0, CLONE_NS_FLAGS, 0)},
	{.names = NAMES("clone"), .action = WSC_ERRNO, .errno_ret = EPERM,
	 .caps_excl = CAP(CAP_SYS_ADMIN), .has_arg = true, .arg = ANY_VALUE(0)},
	{.names = NAMES("clone3"), .action = WSC_ERRNO, .errno_ret = ENOSYS,
	 .caps_excl = CAP(CAP_SYS_ADMIN)},
	ALLOW_WITH(NAMES("clone", "clone3"), CAP(CAP_SYS_ADMIN)),

	/* mounts, namespaces, quotas, fanotify: CAP_SYS_ADMIN */
#define SYS_ADMIN_CALLS                                                                       \
	NAMES("mount", "umount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount",    \
	      "fspick", "move_mount", "open_tree", "open_tree_attr", "mount_setattr",         \
	      "unshare", "setns", "quotactl", "quotactl_fd", "fanotify_init")
	DENY_WITHOUT(SYS_ADMIN_CALLS, CAP(CAP_SYS_ADMIN)),
	ALLOW_WITH(SYS_ADMIN_CALLS, CAP(CAP_SYS_ADMIN)),
#undef SYS_ADMIN_CALLS

	DENY_WITHOUT(NAMES("bpf"), CAP(CAP_SYS_ADMIN) | CAP(CAP_BPF)),
	ALLOW_WITH(NAMES("bpf"), CAP(CAP_SYS_ADMIN)),
	ALLOW_WITH(NAMES("bpf"), CAP(CAP_BPF)),
	DENY_WITHOUT(NAMES("perf_event_open"), CAP(CAP_SYS_ADMIN) | CAP(CAP_PERFMON)),
	ALLOW_WITH(NAMES("perf_event_open"), CAP(CAP_SYS_ADMIN)),
	ALLOW_WITH(NAMES("perf_event_open"), CAP(CAP_PERFMON)),

	/* file handles bypass the mount namespace's view of the filesystem
	 * (the "shocker" escape) */
	DENY_WITHOUT(NAMES("open_by_handle_at", "name_to_handle_at"), CAP(CAP_DAC_READ_SEARCH)),
	ALLOW_WITH(NAMES("open_by_handle_at", "name_to_handle_at"), CAP(CAP_DAC_READ_SEARCH)),

	DENY_WITHOUT(NAMES("reboot"), CAP(CAP_SYS_BOOT)),
	ALLOW_WITH(NAMES("reboot"), CAP(CAP_SYS_BOOT)),
	DENY_WITHOUT(NAMES("init_module", "finit_module", "delete_module"), CAP(CAP_SYS_MODULE)),
	ALLOW_WITH(NAMES("init_module", "finit_module", "delete_module"), CAP(CAP_SYS_MODULE)),
	DENY_WITHOUT(NAMES("process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
			   "process_madvise"),
		     CAP(CAP_SYS_PTRACE)),
	ALLOW_WITH(NAMES("process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
			 "process_madvise"),
		   CAP(CAP_SYS_PTRACE)),
	DENY_WITHOUT(NAMES("settimeofday", "stime", "clock_settime", "clock_settime64"),
		     CAP(CAP_SYS_TIME)),
	ALLOW_WITH(NAMES("settimeofday", "stime", "clock_settime", "clock_settime64"),
		   CAP(CAP_SYS_TIME)),
	DENY_WITHOUT(NAMES("syslog"), CAP(CAP_SYSLOG)),
	ALLOW_WITH(NAMES("syslog"), CAP(CAP_SYSLOG)),
	DENY_WITHOUT(NAMES("acct"), CAP(CAP_SYS_PACCT)),
	ALLOW_WITH(NAMES("acct"), CAP(CAP_SYS_PACCT)),
	DENY_WITHOUT(NAMES("iopl", "ioperm"), CAP(CAP_SYS_RAWIO)),
	ALLOW_WITH(NAMES("iopl", "ioperm"), CAP(CAP_SYS_RAWIO)),
	DENY_WITHOUT(NAMES("vhangup"), CAP(CAP_SYS_TTY_CONFIG)),
	ALLOW_WITH(NAMES("vhangup"), CAP(CAP_SYS_TTY_CONFIG)),
};
/* clang-format on */

static int add_group(struct ward_seccomp_rule *rule, const struct group *g)
{
	rule->names = strv_copy((char *const *)g->names);
	if (!rule->names)
		return -ENOMEM;
	rule->action = g->action;
	rule->errno_ret = g->action == WSC_ERRNO ? g->errno_ret : -1;
	rule->caps_incl = g->caps_incl;
	rule->caps_excl = g->caps_excl;
	if (g->min_kernel) {
		rule->min_kernel = strdup(g->min_kernel);
		if (!rule->min_kernel)
			return -ENOMEM;
	}
	if (g->has_arg) {
		rule->args = malloc(sizeof(*rule->args));
		if (!rule->args)
			return -ENOMEM;
		rule->args[0] = g->arg;
		rule->n_args = 1;
	}
	return 0;
}

uint64_t seccomp_default_relevant_caps(void)
{
	uint64_t caps = 0;

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		caps |= groups[i].caps_incl | groups[i].caps_excl;
	return caps;
}

struct ward_seccomp *seccomp_default_profile(void)
{
	struct ward_seccomp *sc = calloc(1, sizeof(*sc));

	if (!sc)
		return NULL;
	sc->default_action = WSC_ERRNO;
	sc->default_errno = ENOSYS;
	sc->rules = calloc(ARRAY_SIZE(groups), sizeof(*sc->rules));
	if (!sc->rules)
		goto fail;
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++) {
		if (add_group(&sc->rules[sc->n_rules++], &groups[i]) < 0)
			goto fail;
	}
	return sc;
fail:
	seccomp_free(sc);
	return NULL;
}
