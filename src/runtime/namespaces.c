/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/namespaces.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/syscalls.h"

static const struct {
	const char *name; /* as OCI and /proc/PID/ns call it */
	const char *own;  /* which of ours to return to */
	int flag;
} kinds[WNS__MAX] = {
    [WNS_USER] = {"user", "user", CLONE_NEWUSER},
    [WNS_MNT] = {"mount", "mnt", CLONE_NEWNS},
    [WNS_PID] = {"pid", "pid_for_children", CLONE_NEWPID},
    [WNS_NET] = {"network", "net", CLONE_NEWNET},
    [WNS_IPC] = {"ipc", "ipc", CLONE_NEWIPC},
    [WNS_UTS] = {"uts", "uts", CLONE_NEWUTS},
    [WNS_CGROUP] = {"cgroup", "cgroup", CLONE_NEWCGROUP},
    [WNS_TIME] = {"time", "time", CLONE_NEWTIME},
};

static bool is_new(const struct ward_spec *s, int i)
{
	return s->ns[i].enabled && !s->ns[i].path;
}

static bool is_joined(const struct ward_spec *s, int i)
{
	return s->ns[i].enabled && s->ns[i].path;
}

bool ns_user_joined(const struct ward_spec *s)
{
	return is_joined(s, WNS_USER);
}

bool ns_child_forks(const struct ward_spec *s)
{
	return ns_user_joined(s) && is_new(s, WNS_PID);
}

void ns_saved_init(struct ns_saved *sv)
{
	for (int i = 0; i < WNS__MAX; i++)
		sv->own[i] = -1;
	sv->cwd = -1;
}

void ns_saved_close(struct ns_saved *sv)
{
	for (int i = 0; i < WNS__MAX; i++)
		closep(&sv->own[i]);
	closep(&sv->cwd);
}

unsigned long ns_clone_flags(const struct ward_spec *s)
{
	unsigned long f = 0;

	/* with a joined user namespace the child makes the new ones once
	 * inside it, so that they belong to it */
	if (ns_user_joined(s))
		return 0;
	/* the time namespace comes from the parent (ns_enter_for_clone) */
	for (int i = 0; i < WNS__MAX; i++)
		if (i != WNS_TIME && is_new(s, i))
			f |= (unsigned long)kinds[i].flag;
	return f;
}

/* Open a namespace file and check that it is one of the kind asked for:
 * setns() would only say EINVAL. */
static int open_ns(const struct ward_spec *s, int i, ward_err *err)
{
	const char *path = s->ns[i].path;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	int type;

	if (fd < 0)
		return werr(err, errno, "%s namespace %s", kinds[i].name, path);
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0)
		return werrx(err, EINVAL, "%s namespace %s: not a namespace file", kinds[i].name,
			     path);
	if (type != kinds[i].flag)
		return werrx(err, EINVAL, "%s namespace %s: a namespace of another kind",
			     kinds[i].name, path);
	return TAKE_FD(fd);
}

/* A new time namespace for our children, with the offsets written while
 * nothing is in it yet (the kernel freezes them when a first process
 * enters). */
static int new_time_ns(const struct ward_spec *s, ward_err *err)
{
	static const char *const clock_names[WTIME__MAX] = {
	    [WTIME_MONOTONIC] = "monotonic",
	    [WTIME_BOOTTIME] = "boottime",
	};
	_cleanup_close_ int fd = -1;

	if (unshare(CLONE_NEWTIME) < 0)
		return werr(err, errno, "time namespace");
	for (int k = 0; k < WTIME__MAX; k++) {
		const struct ward_time_offset *o = &s->time_offsets[k];
		char line[96];

		if (!o->set)
			continue;
		if (fd < 0)
			fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return werr(err, errno, "time namespace: open /proc/self/timens_offsets");
		snprintf(line, sizeof(line), "%s %" PRId64 " %" PRIu32 "\n", clock_names[k],
			 o->secs, o->nanosecs);
		if (write(fd, line, strlen(line)) < 0)
			return werr(err, errno,
				    "time namespace: %s offset %" PRId64 "s %" PRIu32 "ns",
				    clock_names[k], o->secs, o->nanosecs);
	}
	return 0;
}

static int enter_all(const struct ward_spec *s, struct ns_saved *sv, int fds[WNS__MAX],
		     ward_err *err)
{
	bool new_time = is_new(s, WNS_TIME);
	int r;

	/* ours first: /proc/self may not be the same after a setns */
	for (int i = 0; i < WNS__MAX; i++) {
		char p[64];
		if (i == WNS_USER || (fds[i] < 0 && !(i == WNS_TIME && new_time)))
			continue;
		snprintf(p, sizeof(p), "/proc/self/ns/%s", kinds[i].own);
		sv->own[i] = open(p, O_RDONLY | O_CLOEXEC);
		if (sv->own[i] < 0)
			return werr(err, errno, "open %s", p);
	}
	if (fds[WNS_MNT] >= 0) {
		sv->cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (sv->cwd < 0)
			return werr(err, errno, "open the working directory");
	}
	for (int i = 0; i < WNS__MAX; i++) {
		if (i == WNS_USER || i == WNS_MNT || fds[i] < 0)
			continue;
		if (setns(fds[i], kinds[i].flag) < 0)
			return werr(err, errno, "join %s namespace %s", kinds[i].name,
				    s->ns[i].path);
	}
	if (new_time) {
		r = new_time_ns(s, err);
		if (r < 0)
			return r;
	}
	/* last: the paths above are resolved in our own mount namespace */
	if (fds[WNS_MNT] >= 0 && setns(fds[WNS_MNT], CLONE_NEWNS) < 0)
		return werr(err, errno, "join mount namespace %s", s->ns[WNS_MNT].path);
	return 0;
}

int ns_enter_for_clone(const struct ward_spec *s, struct ns_saved *sv, int *user_fd, ward_err *err)
{
	int fds[WNS__MAX];
	int r = 0;

	*user_fd = -1;
	for (int i = 0; i < WNS__MAX; i++)
		fds[i] = -1;
	for (int k = 0; k < WTIME__MAX; k++)
		if (s->time_offsets[k].set && !is_new(s, WNS_TIME))
			return werrx(err, EINVAL, "time offsets need a new time namespace");
	for (int i = 0; i < WNS__MAX && r >= 0; i++)
		if (is_joined(s, i)) {
			fds[i] = open_ns(s, i, err);
			r = fds[i] < 0 ? fds[i] : 0;
		}
	if (r >= 0)
		r = enter_all(s, sv, fds, err);
	if (r >= 0)
		*user_fd = TAKE_FD(fds[WNS_USER]);
	for (int i = 0; i < WNS__MAX; i++)
		closep(&fds[i]);
	if (r < 0) {
		ward_err ignored;
		ns_leave(sv, &ignored);
	}
	return r;
}

int ns_leave(struct ns_saved *sv, ward_err *err)
{
	int r = 0;

	if (sv->own[WNS_MNT] >= 0) {
		if (setns(sv->own[WNS_MNT], CLONE_NEWNS) < 0)
			r = werr(err, errno, "return to our mount namespace");
		else if (sv->cwd >= 0 && fchdir(sv->cwd) < 0)
			r = werr(err, errno, "return to our working directory");
	}
	for (int i = 0; i < WNS__MAX; i++) {
		if (i == WNS_MNT || sv->own[i] < 0)
			continue;
		if (setns(sv->own[i], kinds[i].flag) < 0 && r == 0)
			r = werr(err, errno, "return to our %s namespace", kinds[i].name);
	}
	ns_saved_close(sv);
	return r;
}

int ns_child_join_user(const struct ward_spec *s, int user_fd, ward_err *err)
{
	unsigned long f = 0;
	static const int later[] = {WNS_MNT, WNS_PID, WNS_NET, WNS_IPC, WNS_UTS};

	if (setns(user_fd, CLONE_NEWUSER) < 0)
		return werr(err, errno, "join user namespace %s", s->ns[WNS_USER].path);
	for (size_t i = 0; i < ARRAY_SIZE(later); i++)
		if (is_new(s, later[i]))
			f |= (unsigned long)kinds[later[i]].flag;
	if (f && unshare((int)f) < 0)
		return werr(err, errno, "new namespaces in user namespace %s",
			    s->ns[WNS_USER].path);
	return (f & CLONE_NEWPID) ? 1 : 0;
}

/* One id through a /proc/PID/{uid,gid}_map text; UINT32_MAX if unmapped. */
static uint32_t map_id(const char *text, uint32_t id)
{
	unsigned long inside, outside, count;
	const char *p = text;
	int used;

	while (sscanf(p, "%lu %lu %lu%n", &inside, &outside, &count, &used) == 3) {
		if (id >= inside && id - inside < count)
			return (uint32_t)(outside + (id - inside));
		p += used;
	}
	return UINT32_MAX;
}

int ns_userns_host_ids(const char *path, uint32_t uid, uint32_t gid, uint32_t *host_uid,
		       uint32_t *host_gid, ward_err *err)
{
	_cleanup_free_ char *umap = NULL, *gmap = NULL;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	int go[2], r = 0;
	char p[64], c = 0;
	pid_t pid;

	if (fd < 0)
		return werr(err, errno, "user namespace %s", path);
	if (pipe2(go, O_CLOEXEC) < 0)
		return werr(err, errno, "pipe");
	pid = fork();
	if (pid == 0) {
		/* joined: say so, then wait for the parent to be done */
		close(go[0]);
		if (setns(fd, CLONE_NEWUSER) < 0 || write(go[1], "j", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(go[1]);
	if (pid < 0) {
		close(go[0]);
		return werr(err, errno, "fork");
	}
	if (read(go[0], &c, 1) != 1)
		r = werrx(err, EPERM, "user namespace %s: cannot be joined", path);
	close(go[0]);
	snprintf(p, sizeof(p), "/proc/%d/uid_map", (int)pid);
	if (r == 0 && read_file(p, &umap, NULL) < 0)
		r = werr(err, errno, "read %s", p);
	snprintf(p, sizeof(p), "/proc/%d/gid_map", (int)pid);
	if (r == 0 && read_file(p, &gmap, NULL) < 0)
		r = werr(err, errno, "read %s", p);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return r;
	*host_uid = map_id(umap, uid);
	*host_gid = map_id(gmap, gid);
	return 0;
}
