/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/container.h"
#include "runtime/idmap.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

/* Calls fn for every well-formed "name:start:count" line. */
static int subid_each(const char *file,
		      int (*fn)(const char *name, uint32_t start, uint32_t count, void *data),
		      void *data)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return errno == ENOENT ? 0 : neg_errno();
	for (;;) {
		char *name, *c1, *c2;
		uint32_t start, count;
		int r;

		errno = 0;
		if (getline(&line, &cap, f) < 0) {
			if (errno && errno != ENOENT)
				return neg_errno(); /* e.g. EISDIR: not "no entry" */
			break;
		}
		name = strstrip(line);
		if (!*name || *name == '#')
			continue;
		c1 = strchr(name, ':');
		if (!c1)
			continue;
		c2 = strchr(c1 + 1, ':');
		if (!c2)
			continue;
		*c1 = *c2 = '\0';
		if (parse_u32(c1 + 1, &start) < 0 || parse_u32(c2 + 1, &count) < 0 || count == 0)
			continue;
		r = fn(name, start, count, data);
		if (r != 0)
			return r;
	}
	return 0;
}

struct find_data {
	const char *user;
	uid_t uid;
	struct subid_range *out;
};

static int find_cb(const char *name, uint32_t start, uint32_t count, void *data)
{
	struct find_data *d = data;
	char num[16];

	snprintf(num, sizeof(num), "%u", (unsigned)d->uid);
	if (!streq(name, d->user) && !streq(name, num))
		return 0;
	d->out->start = start;
	d->out->count = count;
	return 1;
}

int subid_find(const char *file, const char *user, uid_t uid, struct subid_range *out)
{
	struct find_data d = {user, uid, out};

	return subid_each(file, find_cb, &d);
}

struct overlap_data {
	uint64_t lo, hi; /* candidate [lo, hi) */
	uint64_t bump;   /* largest end of an overlapping entry, or 0 */
};

static int overlap_cb(const char *name, uint32_t start, uint32_t count, void *data)
{
	struct overlap_data *d = data;
	uint64_t s = start, e = (uint64_t)start + count;

	if (s < d->hi && d->lo < e && e > d->bump)
		d->bump = e;
	return 0;
}

int subid_default(const char *subuid, const char *subgid, uint32_t start, uint32_t count,
		  uint32_t *out)
{
	uint64_t lo = start;

	for (int tries = 0; tries < 1024; tries++) {
		struct overlap_data d = {lo, lo + count, 0};
		int r;

		if (lo + count > UINT32_MAX)
			return -ERANGE;
		r = subid_each(subuid, overlap_cb, &d);
		if (r == 0)
			r = subid_each(subgid, overlap_cb, &d);
		if (r < 0)
			return r;
		if (!d.bump) {
			*out = (uint32_t)lo;
			return 0;
		}
		/* move past the entry we hit, keeping 64k alignment */
		lo = (d.bump + 65535) & ~(uint64_t)65535;
	}
	return -ERANGE;
}

int idmap_resolve_auto(struct ward_spec *s, const char *subuid, const char *subgid,
		       bool *used_default, ward_err *err)
{
	struct subid_range ru = {0}, rg = {0};
	int fu, fg, r;

	*used_default = false;
	fu = subid_find(subuid, "root", 0, &ru);
	if (fu < 0)
		return werr(err, -fu, "read %s", subuid);
	fg = subid_find(subgid, "root", 0, &rg);
	if (fg < 0)
		return werr(err, -fg, "read %s", subgid);
	if (fu == 0 || fg == 0) {
		uint32_t start;
		r = subid_default(subuid, subgid, WARD_DEFAULT_SUBID_START, WARD_SUBID_COUNT,
				  &start);
		if (r < 0)
			return werr(err, -r, "choose a default subordinate id range");
		ru = rg = (struct subid_range){start, WARD_SUBID_COUNT};
		*used_default = true;
	}
	if (ru.count < 65536 || rg.count < 65536)
		return werrx(
		    err, ERANGE,
		    "the subordinate id range for root (%u ids in %s, %u in %s) is smaller "
		    "than the 65536 a container needs",
		    ru.count, subuid, rg.count, subgid);
	free(s->uid_maps);
	free(s->gid_maps);
	s->uid_maps = s->gid_maps = NULL;
	s->n_uid_maps = s->n_gid_maps = 0;
	if (spec_add_idmap(&s->uid_maps, &s->n_uid_maps, 0, ru.start, 65536) < 0 ||
	    spec_add_idmap(&s->gid_maps, &s->n_gid_maps, 0, rg.start, 65536) < 0)
		return werr(err, ENOMEM, "id maps");
	return 0;
}

int idmap_write(pid_t pid, const struct ward_idmap *maps, size_t n, bool gid, ward_err *err)
{
	char path[64], buf[4096];
	size_t len = 0;
	int r;

	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", maps[i].inside,
				 maps[i].outside, maps[i].count);
		if (w < 0 || (size_t)w >= sizeof(buf) - len)
			return werrx(err, E2BIG, "too many id mappings");
		len += (size_t)w;
	}
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, gid ? "gid_map" : "uid_map");
	r = write_file(path, buf);
	if (r < 0)
		return werr(err, -r, "write %s mapping", gid ? "gid" : "uid");
	return 0;
}

uint32_t idmap_to_host(const struct ward_idmap *maps, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (id >= maps[i].inside && id - maps[i].inside < maps[i].count)
			return maps[i].outside + (id - maps[i].inside);
	return UINT32_MAX;
}
