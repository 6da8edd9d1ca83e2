/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "net/attach.h"
#include "runtime/state.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

static int lock_root(const char *root, ward_err *err)
{
	_cleanup_free_ char *p = xasprintf("%s/.lock", root);
	int fd;

	if (!p)
		return werr(err, ENOMEM, "state");
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return werr(err, errno, "state: open %s", p);
	if (flock(fd, LOCK_EX) < 0) {
		int e = errno;
		close(fd);
		return werr(err, e, "state: lock %s", p);
	}
	return fd;
}

static int acquire(struct ward_container *c, ward_err *err)
{
	const char *root = c->ctx->root_dir;
	_cleanup_close_ int lock = -1;
	int r;

	r = mkdir_p(root, 0711);
	if (r < 0)
		return werr(err, -r, "state directory %s", root);
	lock = lock_root(root, err);
	if (lock < 0)
		return lock;
	c->state_dir = xasprintf("%s/%s", root, c->name);
	c->rootfs_mnt = xasprintf("%s/%s/rootfs", root, c->name);
	if (!c->state_dir || !c->rootfs_mnt)
		return werr(err, ENOMEM, "state");
	if (mkdir(c->state_dir, 0711) < 0) {
		if (errno != EEXIST)
			return werr(err, errno, "state: create %s", c->state_dir);
		c->state_fd = open(c->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (c->state_fd < 0)
			return werr(err, errno, "state: open %s", c->state_dir);
		if (flock(c->state_fd, LOCK_EX | LOCK_NB) < 0) {
			closep(&c->state_fd);
			return werrx(err, EEXIST, "a container named %s is already running",
				     c->name);
		}
		/* nobody holds it: left behind by a ward that died; whether it
		 * had a network is read before the state goes (the reclaim of
		 * its firewall objects and veths depends on it) */
		closep(&c->state_fd);
		c->reclaimed = true;
		{
			json_t *o = state_load(c->ctx, c->name);
			c->reclaimed_net = state_doc_has_network(o);
			json_decref(o);
		}
		state_detach_rootfs(c->state_dir);
		r = rm_rf(c->state_dir);
		if (r < 0)
			return werr(err, -r, "state: reclaim stale %s", c->state_dir);
		if (mkdir(c->state_dir, 0711) < 0)
			return werr(err, errno, "state: create %s", c->state_dir);
	}
	c->state_fd = open(c->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (c->state_fd < 0 || flock(c->state_fd, LOCK_EX | LOCK_NB) < 0) {
		r = werr(err, errno, "state: lock %s", c->state_dir);
		rmdir(c->state_dir);
		return r;
	}
	if (mkdir(c->rootfs_mnt, 0700) < 0 && errno != EEXIST) {
		r = werr(err, errno, "state: create %s", c->rootfs_mnt);
		rmdir(c->state_dir);
		return r;
	}
	return 0;
}

int state_acquire(struct ward_container *c, ward_err *err)
{
	int r = acquire(c, err);

	/* not ours (another container of that name runs, or nothing was
	 * made): state_release() must leave the directory alone */
	if (r < 0) {
		free(c->state_dir);
		c->state_dir = NULL;
		free(c->rootfs_mnt);
		c->rootfs_mnt = NULL;
	}
	return r;
}

json_t *state_load(const struct ward_ctx *ctx, const char *name)
{
	_cleanup_free_ char *p = xasprintf("%s/%s/state.json", ctx->root_dir, name);

	return p ? json_load_file(p, 0, NULL) : NULL;
}

bool state_doc_has_network(const json_t *doc)
{
	const json_t *net = json_object_get(doc, "net");

	return json_is_array(net) && json_array_size(net) > 0;
}

bool state_is_alive(const struct ward_ctx *ctx, const char *name)
{
	_cleanup_free_ char *dir = xasprintf("%s/%s", ctx->root_dir, name);
	_cleanup_close_ int fd = -1;

	if (!dir)
		return true; /* when in doubt, it is alive */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno != ENOENT;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		return errno == EWOULDBLOCK;
	return false; /* nobody holds it: left by a ward that died */
}

void state_detach_rootfs(const char *state_dir)
{
	_cleanup_free_ char *p = xasprintf("%s/rootfs", state_dir);

	/* mounted only for a container without a mount namespace of its own:
	 * the rootfs bind stacked on a private self-bind (see fs_setup_root);
	 * each umount2 detaches one level with everything below it (EINVAL,
	 * not a mount point, ends it: at once for every other container) */
	for (int i = 0; p && i < 4; i++)
		if (umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
			break;
}

int proc_start_time(pid_t pid, uint64_t *out)
{
	return proc_stat(pid, NULL, out);
}

int proc_stat(pid_t pid, char *state, uint64_t *start)
{
	char path[64];
	_cleanup_free_ char *buf = NULL;
	char *p;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	r = read_file(path, &buf, NULL);
	if (r < 0)
		return r;
	/* the command name may contain anything, ")" included: skip to the
	 * last ")" and count fields from there (field 3 follows it) */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -EINVAL;
	p++;
	if (state)
		*state = p[1];
	for (int field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EINVAL;
	}
	return sscanf(p + 1, "%lu", (unsigned long *)start) == 1 ? 0 : -EINVAL;
}

int state_write(struct ward_container *c, const char *status, ward_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s/state.json", c->state_dir);
	_cleanup_free_ char *text = NULL;
	json_t *o;
	int r;

	if (!path)
		return werr(err, ENOMEM, "state");
	o = json_pack("{s:s, s:s, s:i, s:I, s:I, s:s?, s:s, s:s, s:b}", "name", c->name, "status",
		      status, "pid", (int)c->pid, "pid_start", (json_int_t)c->pid_start, "created",
		      (json_int_t)time(NULL), "rootfs", c->spec->rootfs, "cgroup",
		      c->cg ? cgroup_describe(c->cg) : "", "cgroup_driver",
		      c->cg ? cgroup_layout_name(c->cg) : "none", "userns",
		      c->spec->ns[WNS_USER].enabled);
	if (!o)
		return werr(err, ENOMEM, "state");
	json_object_set_new(o, "stop_signal",
			    json_integer(c->spec ? c->spec->stop_signal : SIGTERM));
	json_object_set_new(o, "managed", json_boolean(c->opts.managed));
	if (c->net) {
		json_object_set_new(o, "net", net_plan_json(c->net));
		json_object_set_new(o, "net_state", net_state_json(c->net));
	}
	text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o);
	if (!text)
		return werr(err, ENOMEM, "state");
	r = write_file_atomic(path, text, strlen(text), 0600);
	if (r < 0)
		return werr(err, -r, "state: write %s", path);
	return 0;
}

void state_release(struct ward_container *c)
{
	ward_err ignored;
	/* held (and released by the cleanup) around the removal */
	_cleanup_close_ int lock = c->state_dir ? lock_root(c->ctx->root_dir, &ignored) : -1;

	(void)lock;
	if (c->state_dir) {
		_cleanup_free_ char *p = xasprintf("%s/state.json", c->state_dir);
		if (p)
			unlink(p);
		if (c->rootfs_mnt) {
			state_detach_rootfs(c->state_dir);
			rmdir(c->rootfs_mnt);
		}
		rm_rf(c->state_dir);
	}
	closep(&c->state_fd);
}
