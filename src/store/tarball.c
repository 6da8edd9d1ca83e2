/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tar:FILE.  libarchive reads (and decompresses) the tarball; the tree is
 * written here, not by archive_write_disk: that one works relative to the
 * process's cwd and follows what it finds there with checks of its own,
 * while this writer only ever walks the new rootfs through directory fds,
 * one component at a time with O_NOFOLLOW, and so cannot be led outside by
 * any symlink, whatever the archive planted before.  The rules (store.h):
 *
 *   name            normalised ("./a//b/" -> "a/b"); absolute or with a ".."
 *                   component: refused; deeper than STORE_MAX_DEPTH: refused
 *   parents         walked with O_NOFOLLOW; a missing one is made (0755, the
 *                   container's root); a symlink on the way: refused
 *   hard link       target normalised like a name (absolute or "..":
 *                   refused), linked from its own walk (linkat never follows)
 *   symlink         target read lexically from the link's directory: one
 *                   that climbs above the root is refused; an absolute one
 *                   is refused unless TAR_ABSOLUTE_SYMLINKS
 *   owner           N -> UID+N for N < 65536, refused otherwise
 *   devices/sockets skipped and counted
 *   an existing entry of the same name is replaced (a directory only by a
 *   directory); directory times are set at the end, after their contents.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "runtime/container.h"
#include "store/internal.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/dynlib.h"
#include "util/fileutil.h"
#include "util/log.h"
#include "util/strutil.h"

/*
 * libarchive is loaded when a tarball is unpacked, not with every ward
 * command: with what it links (libxml2, ICU, libstdc++) it costs about 2 ms
 * at every exec of ward (3.05 ms against 0.93 ms for an empty program
 * linked with and without it, perf stat -r 100), and `ward stop` execs ward
 * twice.  The calls below go through these pointers.
 */
#define LA_FUNCS(X)                                                                                \
	X(archive_entry_atime)                                                                     \
	X(archive_entry_atime_is_set)                                                              \
	X(archive_entry_atime_nsec)                                                                \
	X(archive_entry_filetype)                                                                  \
	X(archive_entry_gid)                                                                       \
	X(archive_entry_hardlink)                                                                  \
	X(archive_entry_is_encrypted)                                                              \
	X(archive_entry_mtime)                                                                     \
	X(archive_entry_mtime_is_set)                                                              \
	X(archive_entry_mtime_nsec)                                                                \
	X(archive_entry_pathname)                                                                  \
	X(archive_entry_perm)                                                                      \
	X(archive_entry_size)                                                                      \
	X(archive_entry_size_is_set)                                                               \
	X(archive_entry_symlink)                                                                   \
	X(archive_entry_uid)                                                                       \
	X(archive_entry_xattr_next)                                                                \
	X(archive_entry_xattr_reset)                                                               \
	X(archive_error_string)                                                                    \
	X(archive_filter_bytes)                                                                    \
	X(archive_read_data_block)                                                                 \
	X(archive_read_free)                                                                       \
	X(archive_read_new)                                                                        \
	X(archive_read_next_header)                                                                \
	X(archive_read_open_fd)                                                                    \
	X(archive_read_support_format_gnutar)                                                      \
	X(archive_read_support_format_tar)                                                         \
	X(archive_read_support_filter_bzip2)                                                       \
	X(archive_read_support_filter_gzip)                                                        \
	X(archive_read_support_filter_lzma)                                                        \
	X(archive_read_support_filter_xz)                                                          \
	X(archive_read_support_filter_zstd)

static struct {
#define LA_PTR(f) __typeof__(f) *f;
	LA_FUNCS(LA_PTR)
#undef LA_PTR
} la;

static int la_load(ward_err *err)
{
	static void *lib;
#define LA_SYM(f) {#f, (void **)&la.f},
	static const struct dynlib_sym syms[] = {LA_FUNCS(LA_SYM)};
#undef LA_SYM
	int r = dynlib_load(&lib, "libarchive.so.13", "libarchive (Debian: libarchive13)", syms,
			    ARRAY_SIZE(syms), err);

	return r < 0 ? werr_wrap(err, "tar") : 0;
}

#define archive_entry_atime                la.archive_entry_atime
#define archive_entry_atime_is_set         la.archive_entry_atime_is_set
#define archive_entry_atime_nsec           la.archive_entry_atime_nsec
#define archive_entry_filetype             la.archive_entry_filetype
#define archive_entry_gid                  la.archive_entry_gid
#define archive_entry_hardlink             la.archive_entry_hardlink
#define archive_entry_is_encrypted         la.archive_entry_is_encrypted
#define archive_entry_mtime                la.archive_entry_mtime
#define archive_entry_mtime_is_set         la.archive_entry_mtime_is_set
#define archive_entry_mtime_nsec           la.archive_entry_mtime_nsec
#define archive_entry_pathname             la.archive_entry_pathname
#define archive_entry_perm                 la.archive_entry_perm
#define archive_entry_size                 la.archive_entry_size
#define archive_entry_size_is_set          la.archive_entry_size_is_set
#define archive_entry_symlink              la.archive_entry_symlink
#define archive_entry_uid                  la.archive_entry_uid
#define archive_entry_xattr_next           la.archive_entry_xattr_next
#define archive_entry_xattr_reset          la.archive_entry_xattr_reset
#define archive_error_string               la.archive_error_string
#define archive_filter_bytes               la.archive_filter_bytes
#define archive_read_data_block            la.archive_read_data_block
#define archive_read_free                  la.archive_read_free
#define archive_read_new                   la.archive_read_new
#define archive_read_next_header           la.archive_read_next_header
#define archive_read_open_fd               la.archive_read_open_fd
#define archive_read_support_format_gnutar la.archive_read_support_format_gnutar
#define archive_read_support_format_tar    la.archive_read_support_format_tar
#define archive_read_support_filter_bzip2  la.archive_read_support_filter_bzip2
#define archive_read_support_filter_gzip   la.archive_read_support_filter_gzip
#define archive_read_support_filter_lzma   la.archive_read_support_filter_lzma
#define archive_read_support_filter_xz     la.archive_read_support_filter_xz
#define archive_read_support_filter_zstd   la.archive_read_support_filter_zstd

/* ---- names ---- */

/* Normalise an entry or hard-link name into OUT (same size as IN + 1):
 * empty and "." components dropped.  NULL, or a reason for refusal. */
static const char *norm_name(const char *in, char *out, int *depth)
{
	const char *p = in;
	size_t n = 0;
	int d = 0;

	if (!in || !*in)
		return "an empty name is refused";
	if (in[0] == '/')
		return "an absolute name is refused";
	while (*p) {
		const char *e = strchrnul(p, '/');
		size_t len = (size_t)(e - p);

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return "a \"..\" component is refused";
		if (len > 0 && !(len == 1 && p[0] == '.')) {
			if (n)
				out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
			if (++d > STORE_MAX_DEPTH)
				return "the name is too deep";
		}
		p = *e ? e + 1 : e;
	}
	out[n] = '\0';
	*depth = d;
	return NULL;
}

/* Does a symlink at NAME (normalised, DEPTH components) with TARGET stay in
 * the root when read lexically?  NULL, or a reason for refusal. */
static const char *check_symlink(int depth, const char *target, unsigned flags)
{
	const char *p = target;
	int level = depth - 1; /* the link's directory */

	if (!target || !*target)
		return "an empty symlink target is refused";
	if (target[0] == '/') {
		if (!(flags & TAR_ABSOLUTE_SYMLINKS))
			return "an absolute symlink target is refused";
		level = 0; /* in the container's root; ".." stops there */
	}
	while (*p) {
		const char *e = strchrnul(p, '/');
		size_t len = (size_t)(e - p);

		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (level == 0 && target[0] != '/')
				return "the symlink points outside the rootfs";
			if (level > 0)
				level--;
		} else if (len > 0 && !(len == 1 && p[0] == '.'))
			level++;
		p = *e ? e + 1 : e;
	}
	return NULL;
}

/* ---- the walk: a stack of directory fds under the root ---- */

struct walk {
	int root;   /* O_RDONLY, the rootfs */
	size_t n;   /* components on the stack */
	char *path; /* their names, joined with '/' */
	size_t path_cap;
	size_t ends[STORE_MAX_DEPTH]; /* end of component i in path */
	int fds[STORE_MAX_DEPTH];     /* O_PATH fd of the first i+1 components */
	uint32_t uid, gid;
};

static void walk_pop_to(struct walk *w, size_t n)
{
	while (w->n > n)
		close(w->fds[--w->n]);
	if (w->path)
		w->path[n ? w->ends[n - 1] : 0] = '\0';
}

static int walk_top(const struct walk *w)
{
	return w->n ? w->fds[w->n - 1] : w->root;
}

/* Make DIR (normalised, no ".."), which may be "", the top of the stack,
 * creating missing directories when CREATE.  On failure *BAD is the length
 * of the prefix of DIR that failed, and *WHY may say why in words. */
static int walk_to(struct walk *w, const char *dir, bool create, const char **why, size_t *bad)
{
	size_t keep = 0, off = 0, dlen = strlen(dir);

	*why = NULL;
	*bad = 0;
	/* the components the stack shares with DIR stay */
	while (keep < w->n) {
		size_t end = w->ends[keep];
		if (end > dlen || memcmp(w->path, dir, end) != 0 ||
		    (dir[end] != '/' && dir[end] != '\0'))
			break;
		off = end;
		keep++;
	}
	walk_pop_to(w, keep);
	if (w->path_cap < dlen + 1) {
		char *np = realloc(w->path, dlen + 1);
		if (!np)
			return -ENOMEM;
		w->path = np;
		w->path_cap = dlen + 1;
		w->path[off] = '\0';
	}
	while (off < dlen) {
		size_t start = off ? off + 1 : 0, end = start;
		const char *comp;
		int fd;

		while (end < dlen && dir[end] != '/')
			end++;
		memcpy(w->path, dir, end);
		w->path[end] = '\0';
		comp = w->path + start;
		fd = openat(walk_top(w), comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && create) {
			/* 0755 whatever the umask; made here, so no symlink */
			if (mkdirat(walk_top(w), comp, 0700) < 0 ||
			    fchownat(walk_top(w), comp, w->uid, w->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
			    fchmodat(walk_top(w), comp, 0755, 0) < 0)
				goto fail;
			fd = openat(walk_top(w), comp,
				    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0) {
			if (errno == ENOTDIR || errno == ELOOP) {
				struct stat st;
				if (fstatat(walk_top(w), comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISLNK(st.st_mode))
					*why = "is a symlink: refusing to write through it";
				else
					*why = "is not a directory";
				errno = ENOTDIR;
			}
			goto fail;
		}
		w->fds[w->n] = fd;
		w->ends[w->n] = end;
		w->n++;
		off = end;
	}
	return 0;
fail : {
	int r = neg_errno();
	size_t end = off ? off + 1 : 0;
	while (end < dlen && dir[end] != '/')
		end++;
	*bad = end;
	walk_pop_to(w, w->n);
	return r;
}
}

/* ---- extraction ---- */

struct dirtime {
	char *name;
	struct timespec ts[2];
};

struct xtract {
	const char *tarball;
	unsigned flags;
	uint32_t uid, gid;
	struct walk w;
	struct dirtime *dirs;
	size_t n_dirs, cap_dirs;
	void *skipped; /* tsearch tree of the devices not made, for links to them */
	int n_skipped;
	char *name; /* normalised name of the current entry */
	char *aux;  /* normalised hard-link target */
	char msgbuf[MSG_NAME_MAX];
	ward_err *err;
	/* progress */
	struct archive *a;
	uint64_t total;
	struct timespec last;
	const struct tar_opts *opts;
	bool drawn; /* progress was called */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* "TARBALL: entry "NAME": WHY" */
static int refuse(struct xtract *x, const char *entry, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int refuse(struct xtract *x, const char *entry, int code, const char *fmt, ...)
{
	char why[512], nb[MSG_NAME_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return werrx(x->err, code, "%s: entry \"%s\": %s", x->tarball,
		     msg_name(entry, nb, sizeof(nb)), why);
}

static int fail_sys(struct xtract *x, const char *entry, int e, const char *what)
{
	char nb[MSG_NAME_MAX];

	return werr(x->err, e, "%s: entry \"%s\": %s", x->tarball, msg_name(entry, nb, sizeof(nb)),
		    what);
}

static int64_t ms_between(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

static void progress(struct xtract *x, bool final)
{
	struct timespec now;
	int64_t done;

	if (!x->opts || !x->opts->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* at most 10 a second */
	if (!final && x->drawn && ms_between(&x->last, &now) < 100)
		return;
	x->last = now;
	x->drawn = true;
	done = archive_filter_bytes(x->a, -1);
	if (done < 0)
		done = 0;
	x->opts->progress((uint64_t)done, x->total, final, x->opts->progress_data);
}

static void times_of(struct archive_entry *e, struct timespec ts[2])
{
	if (archive_entry_mtime_is_set(e)) {
		ts[1].tv_sec = archive_entry_mtime(e);
		ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	} else
		ts[1].tv_nsec = UTIME_OMIT;
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	} else
		ts[0] = ts[1];
}

/* The parent of x->name on the stack; *BASE its last component. */
static int to_parent(struct xtract *x, const char **base)
{
	char *slash = strrchr(x->name, '/');
	char nb[MSG_NAME_MAX];
	const char *why;
	size_t bad;
	int r;

	if (!slash) {
		walk_pop_to(&x->w, 0);
		*base = x->name;
		return 0;
	}
	*slash = '\0';
	r = walk_to(&x->w, x->name, true, &why, &bad);
	if (r < 0) {
		char c = x->name[bad];
		x->name[bad] = '\0';
		msg_name(x->name, nb, sizeof(nb));
		x->name[bad] = c;
		*slash = '/';
		if (why)
			return refuse(x, x->name, EPERM, "\"%s\" %s", nb, why);
		return werr(x->err, -r, "%s: entry \"%s\": make directory \"%s\"", x->tarball,
			    msg_name(x->name, x->msgbuf, sizeof(x->msgbuf)), nb);
	}
	*slash = '/';
	*base = slash + 1;
	return 0;
}

/* Make room for a new non-directory at (PFD, BASE): an existing
 * non-directory goes; a directory stays and is an error. */
static int make_room(struct xtract *x, int pfd, const char *base)
{
	struct stat st;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : fail_sys(x, x->name, errno, "stat");
	if (S_ISDIR(st.st_mode))
		return refuse(x, x->name, EEXIST, "a directory of that name is already there");
	if (unlinkat(pfd, base, 0) < 0 && errno != ENOENT)
		return fail_sys(x, x->name, errno, "replace");
	return 0;
}

static int owner_of(struct xtract *x, struct archive_entry *e, uid_t *u, gid_t *g)
{
	int64_t eu = archive_entry_uid(e), eg = archive_entry_gid(e);

	if (eu < 0 || eu >= (int64_t)WARD_SUBID_COUNT || eg < 0 || eg >= (int64_t)WARD_SUBID_COUNT)
		return refuse(x, archive_entry_pathname(e), ERANGE,
			      "owner %lld:%lld is outside the container's 65536 ids", (long long)eu,
			      (long long)eg);
	*u = x->uid + (uint32_t)eu;
	*g = x->gid + (uint32_t)eg;
	return 0;
}

/* user.* as they are; security.capability as a v3 capability of the
 * container's root; the rest (trusted.*, security.selinux, ...) not. */
static int apply_xattrs(struct xtract *x, struct archive_entry *e, int fd)
{
	const char *key;
	const void *val;
	size_t len;

	if (archive_entry_xattr_reset(e) == 0)
		return 0;
	while (archive_entry_xattr_next(e, &key, &val, &len) == ARCHIVE_OK) {
		if (streq(key, FCAPS_XATTR)) {
			unsigned char v3[FCAPS_V3_SIZE];
			uint32_t root;
			if (fcaps_to_v3(val, len, &root, 0, v3) < 0 || root >= WARD_SUBID_COUNT)
				return refuse(x, x->name, EINVAL, "malformed file capabilities");
			fcaps_to_v3(val, len, &root, x->uid + root, v3);
			if (fsetxattr(fd, key, v3, sizeof(v3), 0) < 0)
				return fail_sys(x, x->name, errno, "set file capabilities");
		} else if (startswith(key, "user.")) {
			if (fsetxattr(fd, key, val, len, 0) < 0 && errno != ENOTSUP)
				return fail_sys(x, x->name, errno, "set extended attributes");
		}
	}
	return 0;
}

static int extract_file(struct xtract *x, struct archive_entry *e, int pfd, const char *base,
			uid_t u, gid_t g)
{
	_cleanup_close_ int fd = -1;
	struct timespec ts[2];
	int64_t end = 0;
	int r;

	r = make_room(x, pfd, base);
	if (r < 0)
		return r;
	fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
		    0600);
	if (fd < 0)
		return fail_sys(x, x->name, errno, "create");
	for (;;) {
		const void *buf;
		size_t size;
		la_int64_t off;

		r = archive_read_data_block(x->a, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return refuse(x, x->name, EIO, "read: %s", archive_error_string(x->a));
		for (size_t done = 0; done < size;) {
			ssize_t n = pwrite(fd, (const char *)buf + done, size - done,
					   (off_t)off + (off_t)done);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return fail_sys(x, x->name, errno, "write");
			}
			done += (size_t)n;
		}
		if (off + (int64_t)size > end)
			end = off + (int64_t)size;
		progress(x, false);
	}
	/* a sparse file ending in a hole */
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > end &&
	    ftruncate(fd, (off_t)archive_entry_size(e)) < 0)
		return fail_sys(x, x->name, errno, "write");
	if (fchown(fd, u, g) < 0)
		return fail_sys(x, x->name, errno, "chown");
	if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
		return fail_sys(x, x->name, errno, "chmod");
	r = apply_xattrs(x, e, fd);
	if (r < 0)
		return r;
	times_of(e, ts);
	if (futimens(fd, ts) < 0)
		return fail_sys(x, x->name, errno, "set times");
	return 0;
}

static int extract_dir(struct xtract *x, struct archive_entry *e, int pfd, const char *base,
		       uid_t u, gid_t g)
{
	_cleanup_close_ int fd = -1;
	struct dirtime *dt;
	int r;

	if (*base == '\0') /* the root itself */
		fd = fcntl(pfd, F_DUPFD_CLOEXEC, 3);
	else {
		if (mkdirat(pfd, base, 0700) < 0 && errno != EEXIST)
			return fail_sys(x, x->name, errno, "create");
		fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && (errno == ENOTDIR || errno == ELOOP)) {
			/* a file or symlink of that name: the directory wins */
			if (unlinkat(pfd, base, 0) < 0 || mkdirat(pfd, base, 0700) < 0)
				return fail_sys(x, x->name, errno, "replace");
			fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
	}
	if (fd < 0)
		return fail_sys(x, x->name, errno, "open");
	if (fchown(fd, u, g) < 0)
		return fail_sys(x, x->name, errno, "chown");
	if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
		return fail_sys(x, x->name, errno, "chmod");
	r = apply_xattrs(x, e, fd);
	if (r < 0)
		return r;
	/* times last, when nothing more is made in it */
	if (x->n_dirs == x->cap_dirs) {
		size_t cap = x->cap_dirs ? x->cap_dirs * 2 : 64;
		struct dirtime *nd = realloc(x->dirs, cap * sizeof(*nd));
		if (!nd)
			return fail_sys(x, x->name, ENOMEM, "create");
		x->dirs = nd;
		x->cap_dirs = cap;
	}
	dt = &x->dirs[x->n_dirs];
	dt->name = strdup(x->name);
	if (!dt->name)
		return fail_sys(x, x->name, ENOMEM, "create");
	times_of(e, dt->ts);
	x->n_dirs++;
	return 0;
}

static int extract_symlink(struct xtract *x, struct archive_entry *e, int pfd, const char *base,
			   int depth, uid_t u, gid_t g)
{
	const char *target = archive_entry_symlink(e), *why;
	struct timespec ts[2];
	char nb[MSG_NAME_MAX];
	int r;

	why = check_symlink(depth, target, x->flags);
	if (why)
		return refuse(x, x->name, EPERM, "symlink to \"%s\": %s",
			      msg_name(target, nb, sizeof(nb)), why);
	r = make_room(x, pfd, base);
	if (r < 0)
		return r;
	if (symlinkat(target, pfd, base) < 0)
		return fail_sys(x, x->name, errno, "create symlink");
	if (fchownat(pfd, base, u, g, AT_SYMLINK_NOFOLLOW) < 0)
		return fail_sys(x, x->name, errno, "chown");
	times_of(e, ts);
	if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return fail_sys(x, x->name, errno, "set times");
	return 0;
}

static int extract_fifo(struct xtract *x, struct archive_entry *e, int pfd, const char *base,
			uid_t u, gid_t g)
{
	struct timespec ts[2];
	int r = make_room(x, pfd, base);

	if (r < 0)
		return r;
	if (mknodat(pfd, base, S_IFIFO | 0600, 0) < 0)
		return fail_sys(x, x->name, errno, "create");
	if (fchownat(pfd, base, u, g, AT_SYMLINK_NOFOLLOW) < 0)
		return fail_sys(x, x->name, errno, "chown");
	if (fchmodat(pfd, base, archive_entry_perm(e) & 07777, 0) < 0)
		return fail_sys(x, x->name, errno, "chmod");
	times_of(e, ts);
	if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return fail_sys(x, x->name, errno, "set times");
	return 0;
}

/* A hard link to a symlink is that symlink again at another depth: its
 * target must stay in the root from there too. */
static int check_linked_symlink(struct xtract *x, int tfd, const char *tbase, int depth,
				const char *what)
{
	char target[PATH_MAX], nb[MSG_NAME_MAX];
	const char *why;
	struct stat st;
	ssize_t n;

	if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return fail_sys(x, x->name, errno, what);
	if (!S_ISLNK(st.st_mode))
		return 0;
	n = readlinkat(tfd, tbase, target, sizeof(target));
	if (n < 0)
		return fail_sys(x, x->name, errno, what);
	if ((size_t)n >= sizeof(target))
		return refuse(x, x->name, ENAMETOOLONG, "%s: the symlink's target is too long",
			      what);
	target[n] = '\0';
	why = check_symlink(depth, target, x->flags);
	if (why)
		return refuse(x, x->name, EPERM, "%s, a symlink to \"%s\": %s", what,
			      msg_name(target, nb, sizeof(nb)), why);
	return 0;
}

static int extract_hardlink(struct xtract *x, const char *target, const char *base, int ndepth)
{
	struct walk tw = {.root = x->w.root, .uid = x->uid, .gid = x->gid};
	char nb[MSG_NAME_MAX], what[MSG_NAME_MAX + 32];
	const char *why, *tbase;
	char *slash, *aux;
	size_t bad;
	int depth, r = 0;

	aux = realloc(x->aux, strlen(target) + 1);
	if (!aux)
		return werr(x->err, ENOMEM, "%s", x->tarball);
	x->aux = aux;
	why = norm_name(target, x->aux, &depth);
	if (why)
		return refuse(x, x->name, EPERM, "hard link to \"%s\": %s",
			      msg_name(target, nb, sizeof(nb)), why);
	msg_name(x->aux, nb, sizeof(nb));
	snprintf(what, sizeof(what), "hard link to \"%s\"", nb);
	if (depth == 0)
		return refuse(x, x->name, EPERM, "%s: the root cannot be linked", what);
	if (tfind(x->aux, &x->skipped, cmp_str))
		return 1; /* to a device node we did not make */
	/* the target's directory, walked on its own (the stack holds ours) */
	slash = strrchr(x->aux, '/');
	tbase = x->aux;
	if (slash) {
		*slash = '\0';
		r = walk_to(&tw, x->aux, false, &why, &bad);
		*slash = '/';
		tbase = slash + 1;
		if (r < 0)
			r = why ? refuse(x, x->name, EPERM, "%s: a symlink or file is on its way",
					 what)
				: fail_sys(x, x->name, -r, what);
	}
	if (r == 0)
		r = check_linked_symlink(x, walk_top(&tw), tbase, ndepth, what);
	if (r == 0)
		r = make_room(x, walk_top(&x->w), base);
	if (r == 0 && linkat(walk_top(&tw), tbase, walk_top(&x->w), base, 0) < 0)
		r = fail_sys(x, x->name, errno, what);
	walk_pop_to(&tw, 0);
	free(tw.path);
	return r;
}

/* Remember x->name, a device not made. */
static int skip_add(struct xtract *x)
{
	char *copy = strdup(x->name), **found;

	found = copy ? tsearch(copy, &x->skipped, cmp_str) : NULL;
	if (!found) {
		free(copy);
		return werr(x->err, ENOMEM, "%s", x->tarball);
	}
	if (*found != copy)
		free(copy);
	return 0;
}

/* x->name is made after all: links to it are links to what it is now. */
static void skip_forget(struct xtract *x)
{
	char **found = x->skipped ? tfind(x->name, &x->skipped, cmp_str) : NULL;
	char *key;

	if (found) {
		key = *found;
		tdelete(x->name, &x->skipped, cmp_str);
		free(key);
	}
}

static int extract_entry(struct xtract *x, struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e), *why, *base = NULL, *hl;
	mode_t type = archive_entry_filetype(e);
	char *nn;
	int depth = 0, r;
	uid_t u = 0;
	gid_t g = 0;

	if (!name)
		return werrx(x->err, EINVAL, "%s: an entry without a name (or not in this locale)",
			     x->tarball);
	nn = realloc(x->name, strlen(name) + 1);
	if (!nn)
		return werr(x->err, ENOMEM, "%s", x->tarball);
	x->name = nn;
	why = norm_name(name, x->name, &depth);
	if (why)
		return refuse(x, name, EPERM, "%s", why);
	if (archive_entry_is_encrypted(e))
		return refuse(x, name, ENOTSUP, "encrypted entries are not supported");
	r = owner_of(x, e, &u, &g);
	if (r < 0)
		return r;
	if (depth == 0) {
		if (type != AE_IFDIR)
			return refuse(x, name, EPERM, "the root can only be a directory");
		walk_pop_to(&x->w, 0);
		return extract_dir(x, e, x->w.root, "", u, g);
	}
	r = to_parent(x, &base);
	if (r < 0)
		return r;
	hl = archive_entry_hardlink(e);
	if (hl) {
		r = extract_hardlink(x, hl, base, depth);
		if (r == 1) {
			/* a link to a device we did not make is one too */
			r = skip_add(x);
			if (r < 0)
				return r;
			goto skip;
		}
		if (r == 0)
			skip_forget(x);
		return r;
	}
	if (type != AE_IFCHR && type != AE_IFBLK && type != AE_IFSOCK)
		skip_forget(x);
	switch (type) {
	case AE_IFREG:
		return extract_file(x, e, walk_top(&x->w), base, u, g);
	case AE_IFDIR:
		return extract_dir(x, e, walk_top(&x->w), base, u, g);
	case AE_IFLNK:
		return extract_symlink(x, e, walk_top(&x->w), base, depth, u, g);
	case AE_IFIFO:
		return extract_fifo(x, e, walk_top(&x->w), base, u, g);
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFSOCK:
		r = skip_add(x);
		if (r < 0)
			return r;
		goto skip;
	default:
		return refuse(x, name, EPERM, "unknown file type 0%o", (unsigned)type);
	}
skip:
	x->n_skipped++;
	return 0;
}

/* Directory times, now that nothing more is made in them (in the
 * tarball's order: a directory named twice gets its last entry's). */
static int set_dir_times(struct xtract *x)
{
	for (size_t i = 0; i < x->n_dirs; i++) {
		struct dirtime *dt = &x->dirs[i];
		char *slash = strrchr(dt->name, '/');
		const char *why, *base = dt->name;
		size_t bad;
		int r = 0;

		if (!*dt->name) {
			if (futimens(x->w.root, dt->ts) < 0)
				r = -errno;
		} else {
			if (slash) {
				*slash = '\0';
				r = walk_to(&x->w, dt->name, false, &why, &bad);
				*slash = '/';
				base = slash + 1;
			} else
				walk_pop_to(&x->w, 0);
			if (r == 0 &&
			    utimensat(walk_top(&x->w), base, dt->ts, AT_SYMLINK_NOFOLLOW) < 0)
				r = -errno;
		}
		if (r < 0 && r != -ENOENT) {
			char nb[MSG_NAME_MAX];
			return werr(x->err, -r, "%s: entry \"%s\": set times", x->tarball,
				    msg_name(dt->name, nb, sizeof(nb)));
		}
	}
	return 0;
}

/* Register a decompressor only when libarchive has it built in (never an
 * external program, which it would otherwise run). */
static void add_filter(struct archive *a, int (*fn)(struct archive *))
{
	struct archive *probe = archive_read_new();
	int r = probe ? fn(probe) : ARCHIVE_FATAL;

	if (probe)
		archive_read_free(probe);
	if (r == ARCHIVE_OK)
		fn(a);
}

static void xtract_free(struct xtract *x)
{
	walk_pop_to(&x->w, 0);
	free(x->w.path);
	for (size_t i = 0; i < x->n_dirs; i++)
		free(x->dirs[i].name);
	free(x->dirs);
	tdestroy(x->skipped, free);
	free(x->name);
	free(x->aux);
	if (x->a)
		archive_read_free(x->a);
	if (x->w.root >= 0)
		close(x->w.root);
}

int template_tar(const char *tarball, const char *rootfs, uint32_t uid, uint32_t gid,
		 const struct tar_opts *opts, ward_err *err)
{
	struct xtract x = {.tarball = tarball,
			   .flags = opts ? opts->flags : 0,
			   .uid = uid,
			   .gid = gid,
			   .w = {.root = -1, .uid = uid, .gid = gid},
			   .err = err,
			   .opts = opts};
	_cleanup_close_ int tfd = -1;
	struct stat st;
	int r;

	r = la_load(err);
	if (r < 0)
		return r;

	if ((uint64_t)uid + WARD_SUBID_COUNT > UINT32_MAX ||
	    (uint64_t)gid + WARD_SUBID_COUNT > UINT32_MAX)
		return werrx(err, ERANGE, "%s: ids %u:%u leave no room for 65536 ids", tarball, uid,
			     gid);
	tfd = open(tarball, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (tfd < 0)
		return werr(err, errno, "open %s", tarball);
	if (fstat(tfd, &st) < 0)
		return werr(err, errno, "stat %s", tarball);
	if (!S_ISREG(st.st_mode))
		return werrx(err, EINVAL, "%s is not a regular file", tarball);
	x.total = (uint64_t)st.st_size;
	x.a = archive_read_new();
	if (!x.a)
		return werr(err, ENOMEM, "%s", tarball);
	add_filter(x.a, archive_read_support_filter_gzip);
	add_filter(x.a, archive_read_support_filter_bzip2);
	add_filter(x.a, archive_read_support_filter_xz);
	add_filter(x.a, archive_read_support_filter_lzma);
	add_filter(x.a, archive_read_support_filter_zstd);
	archive_read_support_format_tar(x.a);
	archive_read_support_format_gnutar(x.a);
	if (archive_read_open_fd(x.a, tfd, 1 << 17) != ARCHIVE_OK) {
		r = werrx(err, EINVAL, "%s: %s", tarball, archive_error_string(x.a));
		archive_read_free(x.a);
		return r;
	}

	x.w.root = rootfs_create(rootfs, uid, gid, 0755, err);
	if (x.w.root < 0) {
		r = x.w.root;
		x.w.root = -1;
		archive_read_free(x.a);
		return r;
	}
	progress(&x, false);
	for (;;) {
		struct archive_entry *e;

		r = archive_read_next_header(x.a, &e);
		if (r == ARCHIVE_EOF) {
			r = 0;
			break;
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			r = werrx(err, EINVAL, "%s: %s", tarball, archive_error_string(x.a));
			break;
		}
		r = extract_entry(&x, e);
		if (r < 0)
			break;
		progress(&x, false);
	}
	if (r == 0)
		r = set_dir_times(&x);
	progress(&x, true);
	if (r == 0) {
		int skipped = x.n_skipped;
		if (skipped)
			winfo("%s: %d device nodes, sockets and links to them skipped", tarball,
			      skipped);
		xtract_free(&x);
		return skipped;
	}
	xtract_free(&x);
	rootfs_discard(rootfs);
	return r;
}

/* ---- the progress bar ---- */

void store_progress_bar(uint64_t done, uint64_t total, bool final, void *data)
{
	struct store_bar *b = data;
	char line[160], bar[31];
	struct timespec now;
	int64_t ms;
	unsigned pct;
	size_t fill;
	int n;

	if (!b || !isatty(b->fd))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	if (!b->first_ms)
		b->first_ms = ms ? ms : 1;
	if (final) {
		if (b->drawn)
			(void)!write(b->fd, "\r\033[K", 4);
		b->drawn = false;
		b->first_ms = 0;
		return;
	}
	/* nothing for what ends in a blink */
	if (ms - b->first_ms < STORE_BAR_DELAY_MS)
		return;
	if (total == 0)
		total = 1;
	if (done > total)
		done = total;
	pct = (unsigned)(done * 100 / total);
	fill = (size_t)(done * (sizeof(bar) - 1) / total);
	memset(bar, '#', fill);
	memset(bar + fill, '.', sizeof(bar) - 1 - fill);
	bar[sizeof(bar) - 1] = '\0';
	n = snprintf(line, sizeof(line), "\r%.40s [%s] %3u%% %.1f/%.1f MiB\033[K",
		     b->label ? b->label : "", bar, pct, (double)done / 1048576.0,
		     (double)total / 1048576.0);
	if (n > 0 &&
	    write_all(b->fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) == 0)
		b->drawn = true;
}
