/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-container subordinate id blocks: the registry described in store.h.
 * An allocation reads the registry's directory once (under the lock) and
 * takes the first block of root's range that overlaps no recorded block;
 * the files are created with O_EXCL all the same.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/container.h"
#include "runtime/idmap.h"
#include "store/internal.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

#define BLOCK WARD_SUBID_COUNT

struct blocks {
	uint32_t *start;
	size_t n, cap;
};

static void blocks_free(struct blocks *b)
{
	free(b->start);
}

static int blocks_add(struct blocks *b, uint32_t start)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		uint32_t *ns = realloc(b->start, cap * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		b->start = ns;
		b->cap = cap;
	}
	b->start[b->n++] = start;
	return 0;
}

/* The recorded block overlapping [start, start + BLOCK), or NULL. */
static const uint32_t *blocks_overlap(const struct blocks *b, uint64_t start)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->start[i] < start + BLOCK && start < (uint64_t)b->start[i] + BLOCK)
			return &b->start[i];
	return NULL;
}

/* LIB/subids.d, opened (made when CREATE). */
static int open_registry(const struct ward_ctx *ctx, bool create, ward_err *err)
{
	_cleanup_free_ char *p = xasprintf("%s/subids.d", ctx->lib_dir);
	int fd, r;

	if (!p)
		return werr(err, ENOMEM, "subordinate ids");
	if (create) {
		r = mkdir_p(p, 0755);
		if (r < 0)
			return werr(err, -r, "subordinate ids: create %s", p);
	}
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT && !create ? -ENOENT
						  : werr(err, errno, "subordinate ids: open %s", p);
	return fd;
}

static int lock_registry(const struct ward_ctx *ctx, ward_err *err)
{
	_cleanup_free_ char *p = xasprintf("%s/subids.lock", ctx->lib_dir);
	int fd, r;

	if (!p)
		return werr(err, ENOMEM, "subordinate ids");
	r = mkdir_p(ctx->lib_dir, 0755);
	if (r < 0)
		return werr(err, -r, "subordinate ids: create %s", ctx->lib_dir);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return werr(err, errno, "subordinate ids: open %s", p);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return werr(err, e, "subordinate ids: lock %s", p);
		}
	}
	return fd;
}

/* Read the first line of NAME in DIRFD into BUF (stripped). */
static int read_small(int dirfd, const char *name, char *buf, size_t size)
{
	_cleanup_free_ char *text = NULL;
	int r = read_file_at(dirfd, name, &text, NULL);

	if (r < 0)
		return r;
	snprintf(buf, size, "%s", strstrip(text));
	return 0;
}

static int create_small(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	int r;

	if (fd < 0)
		return neg_errno();
	r = write_all(fd, text, strlen(text));
	if (close(fd) < 0 && r == 0)
		r = neg_errno();
	if (r < 0)
		unlinkat(dirfd, name, 0);
	return r;
}

/* Does block file KIND START (e.g. "u", 100000) belong to NAME?  With
 * HALF, an empty one (a ward killed between creating and writing it) is
 * taken as NAME's too. */
static bool block_of(int dirfd, char kind, uint32_t start, const char *name, bool half)
{
	char file[16], holder[80];

	snprintf(file, sizeof(file), "%c%" PRIu32, kind, start);
	if (read_small(dirfd, file, holder, sizeof(holder)) < 0)
		return false;
	return streq(holder, name) || (half && !*holder);
}

static bool block_is(int dirfd, char kind, uint32_t start, const char *name)
{
	return block_of(dirfd, kind, start, name, false);
}

/* NAME's record: 0 and both ids, -ENOENT, -EBADMSG when unreadable. */
static int read_record(int dirfd, const char *name, uint32_t *uid, uint32_t *gid)
{
	char file[80], text[64], extra;
	int r;

	snprintf(file, sizeof(file), "@%s", name);
	r = read_small(dirfd, file, text, sizeof(text));
	if (r < 0)
		return r;
	if (sscanf(text, "%" SCNu32 " %" SCNu32 " %c", uid, gid, &extra) != 2)
		return -EBADMSG;
	return 0;
}

/* Remove NAME's record and the block files that name it, or are empty:
 * the record is written before its block files, so an empty block file
 * its record points to is the one this allocation was writing when it
 * died (and were it another's half allocation, that one is unusable
 * anyway and sorted out the same way).  Left, it would hold its block
 * for ever. */
static int drop_record(int dirfd, const char *name, ward_err *err)
{
	char file[80];
	uint32_t uid, gid;
	int r = read_record(dirfd, name, &uid, &gid);

	if (r == -ENOENT)
		return 0;
	if (r < 0 && r != -EBADMSG)
		return werr(err, -r, "subordinate ids of %s: read @%s", name, name);
	if (r == 0) {
		char f[16];
		if (block_of(dirfd, 'u', uid, name, true)) {
			snprintf(f, sizeof(f), "u%" PRIu32, uid);
			if (unlinkat(dirfd, f, 0) < 0 && errno != ENOENT)
				return werr(err, errno, "subordinate ids of %s: remove %s", name,
					    f);
		}
		if (block_of(dirfd, 'g', gid, name, true)) {
			snprintf(f, sizeof(f), "g%" PRIu32, gid);
			if (unlinkat(dirfd, f, 0) < 0 && errno != ENOENT)
				return werr(err, errno, "subordinate ids of %s: remove %s", name,
					    f);
		}
	}
	snprintf(file, sizeof(file), "@%s", name);
	if (unlinkat(dirfd, file, 0) < 0 && errno != ENOENT)
		return werr(err, errno, "subordinate ids of %s: remove %s", name, file);
	return 0;
}

/* Every recorded uid and gid block. */
static int read_blocks(int dirfd, struct blocks *u, struct blocks *g, ward_err *err)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return werr(err, errno, "subordinate ids: read the registry");
	}
	while ((errno = 0, de = readdir(d))) {
		uint32_t start;
		if ((de->d_name[0] != 'u' && de->d_name[0] != 'g') ||
		    parse_u32(de->d_name + 1, &start) < 0)
			continue;
		if (blocks_add(de->d_name[0] == 'u' ? u : g, start) < 0)
			return werr(err, ENOMEM, "subordinate ids");
	}
	if (errno)
		return werr(err, errno, "subordinate ids: read the registry");
	return 0;
}

/* The first block of [lo, lo + count) free in B, or -ENOSPC. */
static int first_free(const struct blocks *b, uint32_t lo, uint32_t count, uint32_t *out)
{
	uint64_t end = (uint64_t)lo + count;

	/* (uid_t)-1 is no id; a range listed past it ends there */
	if (end > UINT32_MAX)
		end = UINT32_MAX;

	for (uint64_t s = lo; s + BLOCK <= end; s += BLOCK)
		if (!blocks_overlap(b, s)) {
			*out = (uint32_t)s;
			return 0;
		}
	return -ENOSPC;
}

/* The first block at or above WARD_DEFAULT_SUBID_START, moved past any
 * range listed in either file, that overlaps no recorded uid or gid block. */
static int default_free(const char *subuid, const char *subgid, const struct blocks *u,
			const struct blocks *g, uint32_t *out)
{
	uint64_t cand = WARD_DEFAULT_SUBID_START;

	for (;;) {
		const uint32_t *hit;
		uint32_t s;
		int r;

		if (cand + BLOCK > UINT32_MAX)
			return -ENOSPC;
		r = subid_default(subuid, subgid, (uint32_t)cand, BLOCK, &s);
		if (r < 0)
			return r == -ERANGE ? -ENOSPC : r;
		hit = blocks_overlap(u, s);
		if (!hit)
			hit = blocks_overlap(g, s);
		if (!hit) {
			*out = s;
			return 0;
		}
		cand = (uint64_t)*hit + BLOCK;
	}
}

int subid_alloc(const struct ward_ctx *ctx, const char *name, const char *subuid,
		const char *subgid, uint32_t *uid, uint32_t *gid, ward_err *err)
{
	_cleanup_close_ int lock = -1, dfd = -1;
	struct subid_range ru = {0}, rg = {0};
	struct blocks bu = {0}, bg = {0};
	char file[80], text[80], f[16]; /* a name is at most 63 characters */
	bool dflt;
	int fu, fg, r;

	if (!name_is_valid(name))
		return werrx(err, EINVAL, "subordinate ids: invalid container name");
	if (!subuid)
		subuid = SUBUID_PATH;
	if (!subgid)
		subgid = SUBGID_PATH;
	fu = subid_find(subuid, "root", 0, &ru);
	if (fu < 0)
		return werr(err, -fu, "read %s", subuid);
	fg = subid_find(subgid, "root", 0, &rg);
	if (fg < 0)
		return werr(err, -fg, "read %s", subgid);
	dflt = fu == 0 || fg == 0;

	lock = lock_registry(ctx, err);
	if (lock < 0)
		return lock;
	dfd = open_registry(ctx, true, err);
	if (dfd < 0)
		return dfd;

	/* allocated before (or half way by a ward that died) */
	r = read_record(dfd, name, uid, gid);
	if (r == 0 && block_is(dfd, 'u', *uid, name) && block_is(dfd, 'g', *gid, name))
		return dflt ? 1 : 0;
	if (r != -ENOENT) {
		r = drop_record(dfd, name, err);
		if (r < 0)
			return r;
	}

	r = read_blocks(dfd, &bu, &bg, err);
	if (r < 0)
		goto out;
	if (dflt) {
		r = default_free(subuid, subgid, &bu, &bg, uid);
		if (r < 0) {
			r = r == -ENOSPC ? werrx(err, ENOSPC,
						 "no free block of 65536 subordinate ids above %u",
						 WARD_DEFAULT_SUBID_START)
					 : werr(err, -r, "choose a subordinate id block");
			goto out;
		}
		*gid = *uid;
	} else {
		if (first_free(&bu, ru.start, ru.count, uid) < 0) {
			r = werrx(err, ENOSPC,
				  "no free block of 65536 subordinate uids in root's range "
				  "%u-%" PRIu64 " in %s (%zu blocks taken)",
				  ru.start, (uint64_t)ru.start + ru.count - 1, subuid, bu.n);
			goto out;
		}
		if (first_free(&bg, rg.start, rg.count, gid) < 0) {
			r = werrx(err, ENOSPC,
				  "no free block of 65536 subordinate gids in root's range "
				  "%u-%" PRIu64 " in %s (%zu blocks taken)",
				  rg.start, (uint64_t)rg.start + rg.count - 1, subgid, bg.n);
			goto out;
		}
	}

	/* the record first: a ward killed after it leaves something
	 * subid_free() and the next subid_alloc() understand */
	snprintf(file, sizeof(file), "@%s", name);
	snprintf(text, sizeof(text), "%" PRIu32 " %" PRIu32 "\n", *uid, *gid);
	r = create_small(dfd, file, text);
	if (r < 0) {
		r = werr(err, -r, "subordinate ids of %s: create %s", name, file);
		goto out;
	}
	snprintf(text, sizeof(text), "%s\n", name);
	snprintf(f, sizeof(f), "u%" PRIu32, *uid);
	r = create_small(dfd, f, text);
	if (r == 0) {
		snprintf(f, sizeof(f), "g%" PRIu32, *gid);
		r = create_small(dfd, f, text);
	}
	if (r < 0) {
		r = werr(err, -r, "subordinate ids of %s: create %s", name, f);
		drop_record(dfd, name, &(ward_err){0});
		goto out;
	}
	r = dflt ? 1 : 0;
out:
	blocks_free(&bu);
	blocks_free(&bg);
	return r;
}

int subid_free(const struct ward_ctx *ctx, const char *name, ward_err *err)
{
	_cleanup_close_ int lock = -1, dfd = -1;

	if (!name_is_valid(name))
		return werrx(err, EINVAL, "subordinate ids: invalid container name");
	dfd = open_registry(ctx, false, err);
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	lock = lock_registry(ctx, err);
	if (lock < 0)
		return lock;
	return drop_record(dfd, name, err);
}

int subid_lookup(const struct ward_ctx *ctx, const char *name, uint32_t *uid, uint32_t *gid)
{
	_cleanup_close_ int dfd = -1;
	ward_err ignored;
	int r;

	if (!name_is_valid(name))
		return -EINVAL;
	dfd = open_registry(ctx, false, &ignored);
	if (dfd < 0)
		return dfd;
	r = read_record(dfd, name, uid, gid);
	if (r < 0)
		return r == -EBADMSG ? -ENOENT : r;
	if (!block_is(dfd, 'u', *uid, name) || !block_is(dfd, 'g', *gid, name))
		return -ENOENT;
	return 0;
}
