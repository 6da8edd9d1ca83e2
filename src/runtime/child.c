/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container side of a start: a fixed checklist, run in the freshly
 * cloned process.  Each step either succeeds or sends (step, errno, message)
 * to the parent and exits; the parent prints the one line.  The order
 * matters and is explained in docs/architecture.md ("The start, step by
 * step", child side; the numbers below are its steps).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/caps.h"
#include "runtime/child.h"
#include "runtime/exec.h"
#include "runtime/hooks.h"
#include "runtime/init.h"
#include "runtime/mounts.h"
#include "runtime/namespaces.h"
#include "runtime/seccomp.h"
#include "runtime/sync.h"
#include "runtime/tty.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/syscalls.h"

struct child {
	struct ward_container *c;
	const struct ward_spec *s;
	int sync;
	ward_err err;
	struct fs_ctx fs;
	int null_fd;       /* /dev/null for stdin when it is not attached */
	int state_fd;      /* the OCI state document, for hooks and the seccomp listener */
	int release_fd;    /* the exec FIFO's write end once released: errors go there */
	bool v1_joined;    /* the v1 cgroups were joined (early, for the hooks) */
	bool seccomp_done; /* the filter is loaded (see load_seccomp()) */
	char *seccomp_msg; /* what goes to the seccomp listener with the notify fd */
};

static _Noreturn void fail(struct child *ch, enum ward_step step)
{
	if (ch->err.code == 0)
		werr(&ch->err, EIO, "%s", step_name(step));
	sync_send_error(ch->sync, step, ch->err.code, ch->err.msg);
	/* released through the FIFO: whoever released us (`start`) waits for
	 * EOF there, which exec would have given, and reads this instead */
	if (ch->release_fd >= 0) {
		struct sync_msg m = {.type = SYNC_ERROR, .step = step, .errnum = ch->err.code};
		snprintf(m.msg, sizeof(m.msg), "%s", ch->err.msg);
		(void)!write(ch->release_fd, &m, sizeof(m));
	}
	_exit(125);
}

#define CHECK(ch, step, expr)                                                                      \
	do {                                                                                       \
		if ((expr) < 0)                                                                    \
			fail((ch), (step));                                                        \
	} while (0)

int child_reset_signals(void)
{
	sigset_t none;

	/* ward blocks signals to forward them; the container must start with
	 * a clean mask and default dispositions */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL);
}

static int loopback_up(ward_err *err)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;

	if (fd < 0)
		return werr(err, errno, "loopback: socket");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return werr(err, errno, "loopback: get flags");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return werr(err, errno, "loopback: set up");
	return 0;
}

static int become_container_root(ward_err *err)
{
	/* From here on files we create belong to the container's root, and
	 * host paths are reached only through fds opened before. */
	if (setresgid(0, 0, 0) < 0)
		return werr(err, errno, "setresgid 0");
	if (setgroups(0, NULL) < 0)
		return werr(err, errno, "setgroups");
	if (setresuid(0, 0, 0) < 0)
		return werr(err, errno, "setresuid 0");
	return 0;
}

int child_set_rlimits(const struct ward_process *p, ward_err *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
		if (setrlimit(p->rlimits[i].resource, &rl) < 0)
			return werr(err, errno, "setrlimit %d", p->rlimits[i].resource);
	}
	return 0;
}

_Static_assert(sizeof(gid_t) == sizeof(uint32_t), "additional gids are passed as they are");

int child_switch_user(const struct ward_process *p, ward_err *err)
{
	/* keep the permitted set across the uid change; caps_apply() then
	 * sets exactly what the spec asks for */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return werr(err, errno, "keep capabilities");
	if (setgroups(p->n_groups, (const gid_t *)p->groups) < 0)
		return werr(err, errno, "setgroups (%zu additional groups)", p->n_groups);
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return werr(err, errno, "setresgid %u", p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return werr(err, errno, "setresuid %u", p->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return werr(err, errno, "reset keep capabilities");
	return 0;
}

/* CVE-2024-21626: a cwd reached through a leaked host fd would sit outside
 * the container's root; getcwd() then reports it as unreachable. */
/* Is the working directory inside our root?  Walk up with ".." until the
 * root (yes) or a directory that is its own parent, a root that is not
 * ours (no).  For when getcwd() is denied by a seccomp profile already
 * loaded (OCI, without no_new_privs); 1, 0 or -errno. */
static int cwd_inside_root(void)
{
	struct stat root, cur, up;
	int fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC), r = -ELOOP;

	if (fd < 0 || stat("/", &root) < 0) {
		r = -errno;
		goto out;
	}
	for (int depth = 0; depth < 4096; depth++) {
		int parent;
		if (fstat(fd, &cur) < 0) {
			r = -errno;
			break;
		}
		if (cur.st_dev == root.st_dev && cur.st_ino == root.st_ino) {
			r = 1;
			break;
		}
		parent = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0 || fstat(parent, &up) < 0) {
			r = -errno;
			if (parent >= 0)
				close(parent);
			break;
		}
		close(fd);
		fd = parent;
		if (up.st_dev == cur.st_dev && up.st_ino == cur.st_ino) {
			r = 0;
			break;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	return r;
}

int child_enter_cwd(const char *cwd, ward_err *err)
{
	char buf[PATH_MAX];

	if (chdir(cwd) < 0)
		return werr(err, errno, "working directory %s", cwd);
	if (!getcwd(buf, sizeof(buf))) {
		int r;
		if (errno != EPERM && errno != EACCES)
			return werr(err, errno, "working directory %s", cwd);
		/* denied by the container's own seccomp profile: check by
		 * walking up instead (CVE-2024-21626 stays covered) */
		r = cwd_inside_root();
		if (r < 0)
			return werr(err, -r, "working directory %s", cwd);
		return r ? 0
			 : werrx(err, EPERM, "working directory %s is outside the container", cwd);
	}
	if (buf[0] != '/')
		return werrx(err, EPERM, "working directory %s is outside the container", cwd);
	return 0;
}

static int close_range_or_loop(unsigned int lo, unsigned int hi, ward_err *err)
{
	if (lo > hi)
		return 0;
	if (ward_close_range(lo, hi, 0) == 0)
		return 0;
	/* EPERM: a seccomp profile loaded before this step denies it */
	if (errno != ENOSYS && errno != EPERM)
		return werr(err, errno, "close_range");
	for (unsigned int fd = lo; fd <= hi && fd < 65536; fd++)
		close((int)fd);
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Close every fd above 2 except the N listed (-1 entries are ignored):
 * nothing of the host may reach the container (CVE-2024-21626). */
static int close_fds_except(unsigned int preserve, int *keep, size_t n, ward_err *err)
{
	unsigned int from = 3 + preserve;
	int r;

	qsort(keep, n, sizeof(*keep), cmp_int);
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < 3 || (unsigned)keep[i] < from)
			continue;
		r = close_range_or_loop(from, (unsigned)keep[i] - 1, err);
		if (r < 0)
			return r;
		from = (unsigned)keep[i] + 1;
	}
	return close_range_or_loop(from, ~0U, err);
}

int child_close_fds(unsigned int preserve, ward_err *err)
{
	return close_range_or_loop(3 + preserve, ~0U, err);
}

/* The fds the caller asked to keep (3..3+N-1) were close-on-exec in ward:
 * they become the container's. */
int child_preserve_fds(unsigned int preserve, const int *skip, size_t n_skip, ward_err *err)
{
	for (unsigned int fd = 3; fd < 3 + preserve; fd++) {
		int fl = fcntl((int)fd, F_GETFD);
		bool ours = false;
		for (size_t i = 0; i < n_skip; i++)
			ours = ours || skip[i] == (int)fd;
		if (ours)
			continue;
		if (fl < 0) {
			if (errno == EBADF)
				continue;
			return werr(err, errno, "preserve fd %u", fd);
		}
		if ((fl & FD_CLOEXEC) && fcntl((int)fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
			return werr(err, errno, "preserve fd %u", fd);
	}
	return 0;
}

int child_set_lsm_label(const struct ward_process *p, ward_err *err)
{
	if (p->apparmor_profile) {
		_cleanup_free_ char *v = xasprintf("exec %s", p->apparmor_profile);
		int fd = open("/proc/self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			fd = open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || !v || write(fd, v, strlen(v)) < 0) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			return werr(err, e, "apparmor profile %s", p->apparmor_profile);
		}
		close(fd);
	}
	if (p->selinux_label) {
		int fd = open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, p->selinux_label, strlen(p->selinux_label)) < 0) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			return werr(err, e, "selinux label %s", p->selinux_label);
		}
		close(fd);
	}
	return 0;
}

/*
 * Join the v1 cgroups by writing "0" to each hierarchy's `tasks` file, fds
 * the parent opened (the kernel checks the opener's credentials, so this
 * works after we became the container's user).  A thread moving itself
 * skips the kernel's global cgroup_threadgroup_rwsem, whose first write
 * lock waits for an RCU grace period: 5-15 ms for a write of our PID to
 * cgroup.procs from the parent, 0.02 ms for this (measured on this VM).
 * This happens before exec, so every limit holds from the first
 * instruction of the command.
 */
static int join_v1_cgroups(struct child *ch)
{
	int fds[CG_MAX_HIER];
	size_t n = 0;
	int r = 0;

	if (ch->v1_joined || !cgroup_needs_make(ch->c->cg))
		return 0;
	ch->v1_joined = true;
	if (sync_expect_fds(ch->sync, SYNC_CGROUP, fds, CG_MAX_HIER, &n, &ch->err) < 0)
		_exit(125); /* the parent failed and will report it */
	for (size_t i = 0; i < n; i++) {
		if (r == 0 && write(fds[i], "0", 1) != 1)
			r = werr(&ch->err, errno, "join cgroup %s", cgroup_describe(ch->c->cg));
		close(fds[i]);
	}
	return r;
}

/* The exec FIFO's write end stays open until exec (close-on-exec): the
 * releasing process reads EOF on success, or our error (fail()). */
static void wait_release(struct child *ch)
{
	struct ward_container *c = ch->c;

	if (c->opts.release == WARD_RELEASE_FIFO) {
		char path[64], b = 0;
		int fd;

		/* blocks until someone opens the FIFO for reading (start) */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", c->exec_fifo_fd);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, &b, 1) != 1) {
			werr(&ch->err, errno, "wait for start");
			fail(ch, STEP_READY);
		}
		ch->release_fd = fd;
		closep(&c->exec_fifo_fd);
		return;
	}
	{
		struct sync_msg m;
		if (sync_expect(ch->sync, SYNC_START, &m, &ch->err) < 0)
			_exit(125); /* the parent went away or failed: nothing to report */
	}
}

/* The containerProcessState document for the seccomp listener, made
 * before the filter is loaded (it may forbid what building it takes). */
static int prepare_seccomp_msg(struct child *ch)
{
	_cleanup_free_ char *state = NULL;
	const struct ward_seccomp *sc = ch->s->seccomp;
	struct stat st;
	json_t *doc, *msg;

	if (ch->c->seccomp_sock < 0 || ch->seccomp_msg)
		return 0;
	if (ch->state_fd < 0 || fstat(ch->state_fd, &st) < 0)
		return werr(&ch->err, EBADF, "seccomp listener: no state document");
	state = calloc(1, (size_t)st.st_size + 1);
	if (!state)
		return werr(&ch->err, ENOMEM, "seccomp listener");
	if (pread(ch->state_fd, state, (size_t)st.st_size, 0) != st.st_size)
		return werr(&ch->err, errno, "seccomp listener: read state document");
	doc = json_loads(state, 0, NULL);
	msg =
	    doc ? json_pack("{s:s, s:[s], s:O, s:s, s:O}", "ociVersion", WARD_OCI_STATE_VERSION,
			    "fds", "seccompFd", "pid", json_object_get(doc, "pid"), "metadata",
			    sc && sc->listener_metadata ? sc->listener_metadata : "", "state", doc)
		: NULL;
	if (msg)
		ch->seccomp_msg = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	json_decref(doc);
	return ch->seccomp_msg ? 0 : werr(&ch->err, ENOMEM, "seccomp listener");
}

static void set_personality(struct child *ch)
{
	const struct ward_spec *s = ch->s;

	if (s->has_personality)
		CHECK(ch, STEP_PERSONALITY,
		      personality(s->personality) < 0
			  ? werr(&ch->err, errno, "personality 0x%lx", s->personality)
			  : 0);
}

/*
 * Loading a filter takes CAP_SYS_ADMIN in our user namespace, or
 * no_new_privs.  With no_new_privs it is loaded last, just before exec, so
 * that the profile sees only the command's syscalls.  Without, it must be
 * loaded while we are still the container's root (as runc and crun do):
 * every step after it (user switch, capabilities, closing fds, the
 * release, startContainer hooks, --init) then runs under the profile, and
 * fails with the step's name if the profile denies what it needs.
 */
static void load_seccomp(struct child *ch)
{
	const struct ward_spec *s = ch->s;
	int r;

	if (!ch->c->bpf.insns || ch->seccomp_done)
		return;
	ch->seccomp_done = true;
	CHECK(ch, STEP_SECCOMP, prepare_seccomp_msg(ch));
	{
		int listener = -1;
		CHECK(ch, STEP_SECCOMP, seccomp_apply(&ch->c->bpf, &listener, &ch->err));
		/* runtime-spec "Seccomp listener": the notify fd and the
		 * state go to the socket at listenerPath */
		if (listener >= 0 && ch->seccomp_msg)
			CHECK(ch, STEP_SECCOMP,
			      (r = send_fd(ch->c->seccomp_sock, listener, ch->seccomp_msg,
					   strlen(ch->seccomp_msg))) < 0
				  ? werr(&ch->err, -r, "send the notify fd to %s",
					 s->seccomp->listener_path)
				  : 0);
		if (listener >= 0)
			close(listener);
		closep(&ch->c->seccomp_sock);
	}
}

static _Noreturn void exec_command(struct child *ch)
{
	const struct ward_process *p = &ch->s->process;
	int r;

	if (!ch->seccomp_done)
		set_personality(ch);
	load_seccomp(ch);
	r = exec_in_path(p->args, p->env);
	werr(&ch->err, -r, "exec %s", p->args[0]);
	fail(ch, STEP_EXEC);
}

static void setup_stdio(struct child *ch)
{
	const struct ward_create_opts *o = &ch->c->opts;

	for (int i = 0; i < 3; i++)
		if (o->stdio[i] >= 0 && o->stdio[i] != i)
			CHECK(ch, STEP_FDS,
			      dup2(o->stdio[i], i) < 0 ? werr(&ch->err, errno, "stdio") : 0);
	if (!ch->s->process.interactive && !ch->s->process.terminal && o->stdio[0] < 0 &&
	    ch->null_fd >= 0)
		CHECK(ch, STEP_FDS, dup2(ch->null_fd, 0) < 0 ? werr(&ch->err, errno, "stdin") : 0);
	closep(&ch->null_fd);
}

/* Steps 1-3: the cgroup, the namespaces the clone did not make, the id
 * maps, and what the parent sends before we build anything. */
static void enter_container(struct child *ch, int *idmapped_root)
{
	struct ward_container *c = ch->c;
	const struct ward_spec *s = ch->s;
	size_t n = 0;

	/* 1. the cgroup2 cgroup, if clone3 could not put us there */
	if (c->cg) {
		int r = cgroup_child_join_v2(c->cg, c->born_in_cgroup);
		if (r < 0) {
			werr(&ch->err, -r, "join cgroup %s", cgroup_describe(c->cg));
			fail(ch, STEP_CGROUP_JOIN);
		}
		cgroup_close_join_fds(c->cg);
	}
	/* 2. a user namespace joined by path, and the new namespaces made in
	 * it; a new PID namespace takes in only our children: the one we
	 * fork is the container process, a child of our parent's */
	if (c->join_user_fd >= 0) {
		int r = ns_child_join_user(s, c->join_user_fd, &ch->err);
		CHECK(ch, STEP_NAMESPACES, r);
		closep(&c->join_user_fd);
		if (r > 0) {
			int pidfd = -1;
			struct ward_clone_args a = {.flags = CLONE_PARENT | CLONE_PIDFD,
						    .pidfd = (uint64_t)(uintptr_t)&pidfd};
			long pid = ward_clone3(&a);
			if (pid < 0 && (errno == ENOSYS || errno == E2BIG || errno == EINVAL))
				pid = ward_clone_legacy(CLONE_PARENT, NULL);
			CHECK(ch, STEP_NAMESPACES,
			      pid < 0 ? werr(&ch->err, errno, "fork into the PID namespace") : 0);
			if (pid > 0)
				_exit(sync_send_pid(ch->sync, (pid_t)pid, pidfd) < 0 ? 125 : 0);
			prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		}
	}
	/* 3. the parent writes our id maps */
	if (s->ns[WNS_USER].enabled && !s->ns[WNS_USER].path) {
		if (sync_expect_fds(ch->sync, SYNC_IDMAP_DONE, idmapped_root, 1, &n, &ch->err) < 0)
			_exit(125);
		if (!n)
			*idmapped_root = -1;
	}
	if (ch->c->seccomp_sock >= 0 || s->hooks.n[WHOOK_CREATE_CONTAINER] ||
	    s->hooks.n[WHOOK_START_CONTAINER]) {
		if (sync_expect_fds(ch->sync, SYNC_STATE, &ch->state_fd, 1, &n, &ch->err) < 0)
			_exit(125);
		if (!n)
			ch->state_fd = -1;
	}
}

/* Steps 4-10: the container's filesystem and identity, up to the pivot. */
static void build_root(struct child *ch, int idmapped_root)
{
	const struct ward_spec *s = ch->s;
	struct ward_container *c = ch->c;
	bool userns = s->ns[WNS_USER].enabled;

	/* 4. nothing we mount propagates to the host, nor the other way
	 * (without a mount namespace, / is the caller's: fs_setup_root()
	 * makes only the new root private) */
	if (s->ns[WNS_MNT].enabled)
		CHECK(ch, STEP_PROPAGATION,
		      mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
			  ? werr(&ch->err, errno, "make / private")
			  : 0);
	/* 5. as host root: open what we need from the host, mount the root */
	fs_ctx_init(&ch->fs, s, c->rootfs_mnt, userns);
	ch->fs.idmapped_root = idmapped_root;
	CHECK(ch, STEP_OPEN_SOURCES, fs_open_sources(&ch->fs, &ch->err));
	ch->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	CHECK(ch, STEP_ROOT, fs_setup_root(&ch->fs, &ch->err));
	/* 6. become the container's root */
	if (userns) {
		CHECK(ch, STEP_IDENTITY, become_container_root(&ch->err));
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	}
	/* 7-8. the filesystem (an OCI cgroup mount binds our own v1 cgroups:
	 * join them first) */
	if (fs_has_cgroup_mount(s))
		CHECK(ch, STEP_CGROUP_JOIN, join_v1_cgroups(ch));
	CHECK(ch, STEP_MOUNTS, fs_mount_all(&ch->fs, &ch->err));
	CHECK(ch, STEP_DEVICES, fs_devices(&ch->fs, &ch->err));
	CHECK(ch, STEP_SYSCTL, fs_sysctl(&ch->fs, &ch->err));
	CHECK(ch, STEP_MASKS, fs_masks(&ch->fs, &ch->err));
	/* 9. identity of the machine */
	if (s->ns[WNS_UTS].enabled && s->hostname)
		CHECK(ch, STEP_HOSTNAME,
		      sethostname(s->hostname, strlen(s->hostname)) < 0
			  ? werr(&ch->err, errno, "sethostname %s", s->hostname)
			  : 0);
	if (s->ns[WNS_UTS].enabled && s->domainname)
		CHECK(ch, STEP_HOSTNAME,
		      setdomainname(s->domainname, strlen(s->domainname)) < 0
			  ? werr(&ch->err, errno, "setdomainname %s", s->domainname)
			  : 0);
	/* a joined network namespace is someone else's to configure */
	if (s->ns[WNS_NET].enabled && !s->ns[WNS_NET].path)
		CHECK(ch, STEP_LOOPBACK, loopback_up(&ch->err));
	/* 9a. the parent runs the prestart and createRuntime hooks now, in
	 * its namespaces; then createContainer hooks run here, in ours,
	 * still before the pivot (runtime-spec).  The v1 cgroups come first:
	 * the parent sent them before it ran the hooks. */
	if (s->hooks.n[WHOOK_PRESTART] || s->hooks.n[WHOOK_CREATE_RUNTIME]) {
		struct sync_msg m;
		CHECK(ch, STEP_CGROUP_JOIN, join_v1_cgroups(ch));
		if (sync_expect(ch->sync, SYNC_HOOKS_DONE, &m, &ch->err) < 0)
			_exit(125); /* a hook failed: the parent reports it */
	}
	if (s->hooks.n[WHOOK_CREATE_CONTAINER])
		CHECK(ch, STEP_CREATE_HOOKS,
		      hooks_run_fd(s->hooks.list[WHOOK_CREATE_CONTAINER],
				   s->hooks.n[WHOOK_CREATE_CONTAINER], ch->state_fd, NULL,
				   &ch->err) < 0
			  ? werr_wrap(&ch->err, "createContainer")
			  : 0);
	/* 10. into the new root */
	CHECK(ch, STEP_PIVOT, fs_pivot(&ch->fs, &ch->err));
	fs_ctx_close(&ch->fs);
}

/* Steps 10a-13: cgroups, limits, privileges, terminal, working directory. */
static void drop_privileges(struct child *ch)
{
	const struct ward_spec *s = ch->s;
	struct ward_container *c = ch->c;
	int keep[4] = {ch->sync, c->opts.release == WARD_RELEASE_FIFO ? c->exec_fifo_fd : -1,
		       ch->state_fd, c->seccomp_sock};
	unsigned int preserve = c->opts.preserve_fds;

	/* 10a. the v1 cgroups the parent made meanwhile, then a cgroup
	 * namespace rooted at them (needs CAP_SYS_ADMIN: before the caps go) */
	CHECK(ch, STEP_CGROUP_JOIN, join_v1_cgroups(ch));
	if (s->ns[WNS_CGROUP].enabled && !s->ns[WNS_CGROUP].path &&
	    (!cgroup_born_complete(c->cg) || ns_user_joined(s)))
		CHECK(ch, STEP_NAMESPACES,
		      unshare(CLONE_NEWCGROUP) < 0 ? werr(&ch->err, errno, "cgroup namespace") : 0);
	CHECK(ch, STEP_RLIMITS, child_set_rlimits(&s->process, &ch->err));
	/* 11. privileges: bounding set while we still hold CAP_SETPCAP */
	CHECK(ch, STEP_CAPS,
	      caps_drop_bounding(caps_for(s, &s->process).bounding, c->cap_last, &ch->err));
	/* 11. terminal (as container root, before the user switch) */
	if (s->process.terminal)
		CHECK(ch, STEP_TTY, tty_child_setup(ch->sync, &s->process, &ch->err));
	else
		/* a session of our own, so the caller's terminal is not our
		 * controlling terminal: no TIOCSTI into it (CVE-2017-5226) */
		CHECK(ch, STEP_TTY, setsid() < 0 ? werr(&ch->err, errno, "setsid") : 0);
	setup_stdio(ch);
	CHECK(ch, STEP_FDS, child_preserve_fds(preserve, keep, ARRAY_SIZE(keep), &ch->err));
	CHECK(ch, STEP_EXEC, child_set_lsm_label(&s->process, &ch->err));
	/* 12. without no_new_privs, the filter needs CAP_SYS_ADMIN: now;
	 * first the personality, which a profile may restrict (Docker's
	 * does) and which is ours to set, not the command's */
	if (!s->process.no_new_privs && c->bpf.insns) {
		set_personality(ch);
		load_seccomp(ch);
	}
	CHECK(ch, STEP_USER, child_switch_user(&s->process, &ch->err));
	/* changing credentials cleared the parent-death signal: set it again */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	{
		struct ward_caps k = caps_for(s, &s->process);
		CHECK(ch, STEP_CAPS, caps_apply(&k, c->cap_last, &ch->err));
	}
	if (s->process.no_new_privs)
		CHECK(ch, STEP_NO_NEW_PRIVS,
		      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0
			  ? werr(&ch->err, errno, "no_new_privs")
			  : 0);
	if (s->process.has_umask)
		umask((mode_t)s->process.umask);
	CHECK(ch, STEP_CWD, child_enter_cwd(s->process.cwd ? s->process.cwd : "/", &ch->err));
	CHECK(ch, STEP_FDS, close_fds_except(preserve, keep, ARRAY_SIZE(keep), &ch->err));
}

_Noreturn void child_main(struct ward_container *c, int sync_fd)
{
	struct child chs = {
	    .c = c, .s = c->spec, .sync = sync_fd, .null_fd = -1, .state_fd = -1, .release_fd = -1};
	struct child *ch = &chs;
	const struct ward_spec *s = c->spec;
	int idmapped_root = -1;

	/* the state lock belongs to our parent, not to the container */
	if (c->state_fd >= 0)
		close(c->state_fd);
	/* die with the parent while we are being set up */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	CHECK(ch, STEP_NONE,
	      child_reset_signals() < 0 ? werr(&ch->err, errno, "reset signals") : 0);
	enter_container(ch, &idmapped_root);
	build_root(ch, idmapped_root);
	drop_privileges(ch);
	/* 14. created: wait to be released.  A container that outlives its
	 * creator (the OCI create returns) must stop tying itself to it
	 * before saying it is ready: the creator may exit at once. */
	if (!c->opts.kill_with_parent)
		prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	CHECK(ch, STEP_READY,
	      sync_send(sync_fd, SYNC_READY) < 0 ? werr(&ch->err, EPIPE, "ready") : 0);
	wait_release(ch);
	/* 14a. startContainer hooks: in the container, before the command */
	if (s->hooks.n[WHOOK_START_CONTAINER])
		CHECK(ch, STEP_START_HOOKS,
		      hooks_run_fd(s->hooks.list[WHOOK_START_CONTAINER],
				   s->hooks.n[WHOOK_START_CONTAINER], ch->state_fd, NULL,
				   &ch->err) < 0
			  ? werr_wrap(&ch->err, "startContainer")
			  : 0);
	CHECK(ch, STEP_SECCOMP, prepare_seccomp_msg(ch));
	closep(&ch->state_fd);
	/* 15. --init: we stay as PID 1 and reap; the command runs as PID 2 */
	if (s->init) {
		sigset_t all, none;
		pid_t pid;

		/* Block every signal before the fork: a command that exits at
		 * once would otherwise send its SIGCHLD before the reaper blocks
		 * it, and an init drops a signal it neither blocks nor handles,
		 * leaving the reaper waiting for an exit that already happened. */
		sigfillset(&all);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &all, NULL);
		pid = fork();
		if (pid < 0) {
			werr(&ch->err, errno, "fork for init");
			fail(ch, STEP_INIT);
		}
		if (pid > 0) {
			wtime("init forked");
			close(sync_fd);
			closep(&ch->release_fd);
			closep(&c->seccomp_sock);
			/* the reaper's own listener goes unheard: closed (by a
			 * NULL), so a notify rule answers ENOSYS here instead
			 * of blocking PID 1 for good */
			if (c->bpf.insns && !ch->seccomp_done)
				seccomp_apply(&c->bpf, NULL, &ch->err);
			init_reaper(pid);
		}
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* our own process group, in the foreground of the terminal;
		 * SIGTTOU is blocked so a background tcsetpgrp is allowed */
		setpgid(0, 0);
		if (s->process.terminal) {
			sigset_t ttou, old;
			sigemptyset(&ttou);
			sigaddset(&ttou, SIGTTOU);
			sigprocmask(SIG_BLOCK, &ttou, &old);
			tcsetpgrp(0, getpid());
			sigprocmask(SIG_SETMASK, &old, NULL);
		}
	}
	exec_command(ch);
}
