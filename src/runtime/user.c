/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/resolve.h"
#include "runtime/user.h"
#include "util/cleanup.h"
#include "util/strutil.h"

static FILE *open_etc(const struct ward_spec *s, const char *file)
{
	_cleanup_close_ int root = -1;
	int fd;

	if (!s->rootfs)
		return fopen(file, "re");
	root = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return NULL;
	fd = open_in_root(root, file, O_RDONLY);
	if (fd < 0)
		return NULL;
	return fdopen(fd, "re");
}

/* Split a passwd/group line into up to n ':'-separated fields. */
static int split(char *line, char **f, int n)
{
	int i = 0;

	line[strcspn(line, "\n")] = '\0';
	f[i++] = line;
	for (char *p = line; *p && i < n; p++)
		if (*p == ':') {
			*p = '\0';
			f[i++] = p + 1;
		}
	return i;
}

struct pwent {
	uint32_t uid, gid;
	char *name, *home;
};

static int find_passwd(const struct ward_spec *s, const char *who, bool numeric, uint32_t uid,
		       struct pwent *out)
{
	_cleanup_fclose_ FILE *f = open_etc(s, "/etc/passwd");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		char *fl[7];
		uint32_t u, g;

		if (split(line, fl, 7) < 7 || parse_u32(fl[2], &u) < 0 || parse_u32(fl[3], &g) < 0)
			continue;
		if (numeric ? u != uid : !streq(fl[0], who))
			continue;
		out->uid = u;
		out->gid = g;
		out->name = strdup(fl[0]);
		out->home = strdup(fl[5]);
		if (!out->name || !out->home) {
			free(out->name);
			free(out->home);
			return -ENOMEM;
		}
		return 1;
	}
	return 0;
}

static int find_group(const struct ward_spec *s, const char *name, uint32_t *gid)
{
	_cleanup_fclose_ FILE *f = open_etc(s, "/etc/group");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		char *fl[4];
		if (split(line, fl, 4) < 3 || !streq(fl[0], name))
			continue;
		return parse_u32(fl[2], gid) == 0 ? 1 : 0;
	}
	return 0;
}

/* Every group whose member list names `user`. */
static int supplementary(struct ward_spec *s, const char *user)
{
	_cleanup_fclose_ FILE *f = open_etc(s, "/etc/group");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		char *fl[4], *save = NULL;
		uint32_t g;

		if (split(line, fl, 4) < 4 || parse_u32(fl[2], &g) < 0)
			continue;
		for (char *m = strtok_r(fl[3], ",", &save); m; m = strtok_r(NULL, ",", &save)) {
			if (!streq(m, user))
				continue;
			uint32_t *ng = realloc(s->process.groups,
					       (s->process.n_groups + 1) * sizeof(uint32_t));
			if (!ng)
				return -ENOMEM;
			ng[s->process.n_groups++] = g;
			s->process.groups = ng;
		}
	}
	return 0;
}

int user_resolve(struct ward_spec *s, bool home_explicit, ward_err *err)
{
	_cleanup_free_ char *spec = NULL;
	struct pwent pw = {0};
	char *group;
	uint32_t uid, gid;
	bool have_pw = false;
	int r;

	if (!s->process.user)
		return 0;
	spec = strdup(s->process.user);
	if (!spec)
		return werr(err, ENOMEM, "user");
	group = strchr(spec, ':');
	if (group)
		*group++ = '\0';
	if (parse_u32(spec, &uid) == 0) {
		r = find_passwd(s, NULL, true, uid, &pw);
		have_pw = r > 0;
		gid = have_pw ? pw.gid : uid;
	} else {
		r = find_passwd(s, spec, false, 0, &pw);
		if (r < 0)
			return werr(err, -r, "user %s", spec);
		if (r == 0)
			return werrx(err, ENOENT, "user '%s' is not in the container's /etc/passwd",
				     spec);
		have_pw = true;
		uid = pw.uid;
		gid = pw.gid;
	}
	if (group && *group) {
		if (parse_u32(group, &gid) < 0) {
			r = find_group(s, group, &gid);
			if (r <= 0) {
				free(pw.name);
				free(pw.home);
				return werrx(err, ENOENT,
					     "group '%s' is not in the container's /etc/group",
					     group);
			}
		}
	}
	s->process.uid = uid;
	s->process.gid = gid;
	r = 0;
	if (have_pw) {
		r = supplementary(s, pw.name);
		if (r == 0 && !home_explicit && pw.home && *pw.home) {
			_cleanup_free_ char *h = xasprintf("HOME=%s", pw.home);
			r = h ? spec_set_env(s, h) : -ENOMEM;
		}
	}
	free(pw.name);
	free(pw.home);
	if (r < 0)
		return werr(err, -r, "user");
	return 0;
}
