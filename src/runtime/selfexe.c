/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CVE-2019-5736 protection (see selfexe.h).  Three ways to get there, the
 * first that works:
 *
 *   1. In place, no re-execution: clone a detached mount of our own binary
 *      (open_tree(OPEN_TREE_CLONE) on /proc/self/exe), make it read-only
 *      (mount_setattr), move every mapping of the binary onto a mapping of
 *      the same file through that mount (mremap over it: atomic, same
 *      inode, same page cache; writable and relocated pages keep their
 *      contents) and point /proc/self/exe at it
 *      (prctl(PR_SET_MM_EXE_FILE), which refuses while the old file is
 *      still mapped).  The mount is dissolved when we close it: nobody can
 *      make it writable again or attach it anywhere, and opening the file
 *      through it for writing fails with EROFS, also after we exit.
 *      Needs CAP_SYS_ADMIN (open_tree), Linux 5.12 (mount_setattr), and
 *      CAP_SYS_RESOURCE for PR_SET_MM_EXE_FILE or else PR_SET_MM_MAP with
 *      its exe_fd (CAP_SYS_ADMIN; CONFIG_CHECKPOINT_RESTORE).  About 25
 *      system calls against a second exec, ld.so and start-up: create
 *      took 4.4 ms instead of 5.7 (bench/README.md).
 *   2. Re-execute from that detached read-only mount (execveat), when the
 *      mapping swap is refused (an overlayfs binary, a seccomp filter).
 *   3. Re-execute from a sealed memfd copy, when the kernel has no
 *      open_tree or mount_setattr.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "runtime/selfexe.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/syscalls.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef PR_SET_MM
#define PR_SET_MM 35
#endif
#ifndef PR_SET_MM_EXE_FILE
#define PR_SET_MM_EXE_FILE 13
#endif
#ifndef PR_SET_MM_MAP
#define PR_SET_MM_MAP 14
#endif
#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif

#define WARD_MFD_EXEC 0x0010U /* MFD_EXEC */

#define WARD_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* Whether mount MNT_ID is missing from our mount table (a detached mount,
 * or one unmounted since): 1 yes, 0 no, -errno */
static int mount_is_detached(uint64_t mnt_id)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int r = 1;

	if (!f)
		return neg_errno();
	while (getline(&line, &cap, f) >= 0) {
		if (strtoull(line, NULL, 10) == mnt_id) {
			r = 0;
			break;
		}
	}
	if (r && ferror(f))
		r = -EIO;
	free(line);
	fclose(f);
	return r;
}

int selfexe_is_sealed(void)
{
	_cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct statvfs sv;
	struct statx stx;
	int seals;

	if (fd < 0)
		return neg_errno();
	seals = fcntl(fd, F_GET_SEALS);
	if (seals >= 0)
		return (seals & WARD_SEALS) == WARD_SEALS ? 1 : 0;
	if (errno != EINVAL)
		return neg_errno();
	/* not a memfd: a read-only mount that is not in ours (way 1 or 2
	 * done, in this process or before the exec).  This trusts that such a
	 * mount is not attached in a namespace a container can remount in,
	 * which only our caller could have arranged */
	if (fstatvfs(fd, &sv) < 0)
		return neg_errno();
	if (!(sv.f_flag & ST_RDONLY))
		return 0;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0)
		return neg_errno();
	if (!(stx.stx_mask & STATX_MNT_ID))
		return 0;
	return mount_is_detached(stx.stx_mnt_id);
}

/* A read-only, detached mount of the binary we run: an fd on the file
 * through it (O_RDONLY), or -errno */
static int open_detached_ro_self(void)
{
	struct ward_mount_attr attr = {
	    .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
	};
	_cleanup_close_ int tree = -1;
	char p[64];
	int fd;

	tree = ward_open_tree(AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return neg_errno();
	if (ward_mount_setattr(tree, "", AT_EMPTY_PATH, &attr) < 0)
		return neg_errno();
	snprintf(p, sizeof(p), "/proc/self/fd/%d", tree);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	/* closing the tree dissolves the mount: the fd keeps it alive,
	 * read-only for good and attached nowhere */
	return fd;
}

struct exe_map {
	unsigned long start, end, off;
	int prot;
};

#define MAX_EXE_MAPS 16

/* The mappings of the file DEV:INO in /proc/self/maps: count, or -errno */
static int exe_mappings(dev_t dev, ino_t ino, struct exe_map *m, int max)
{
	_cleanup_close_ int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	char buf[16384];
	size_t have = 0;
	int n = 0;

	if (fd < 0)
		return neg_errno();
	for (;;) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - 1 - have);
		char *line, *nl;

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		if (r == 0)
			break;
		have += (size_t)r;
		buf[have] = '\0';
		line = buf;
		while ((nl = strchr(line, '\n'))) {
			unsigned long s, e, off, ino2;
			unsigned int maj, min;
			char perms[5];

			*nl = '\0';
			if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu", &s, &e, perms, &off, &maj,
				   &min, &ino2) == 7 &&
			    ino2 == (unsigned long)ino && makedev(maj, min) == dev) {
				if (n == max || perms[3] != 'p')
					return -EBUSY;
				m[n].start = s;
				m[n].end = e;
				m[n].off = off;
				m[n].prot = (perms[0] == 'r' ? PROT_READ : 0) |
					    (perms[1] == 'w' ? PROT_WRITE : 0) |
					    (perms[2] == 'x' ? PROT_EXEC : 0);
				n++;
			}
			line = nl + 1;
		}
		have = (size_t)(buf + have - line);
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1)
			return -E2BIG;
	}
	return n;
}

/* Whether [START, END) may hold bytes that differ from the file: it
 * overlaps a writable or RELRO segment of our program headers (or they
 * cannot be found) */
static bool maybe_written(unsigned long start, unsigned long end)
{
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
	unsigned long n = getauxval(AT_PHNUM), bias = 0, i;
	bool found = false;

	if (!ph || !n)
		return true;
	for (i = 0; i < n; i++)
		if (ph[i].p_type == PT_PHDR) {
			bias = (unsigned long)ph - ph[i].p_vaddr;
			found = true;
		}
	if (!found)
		return true;
	for (i = 0; i < n; i++) {
		unsigned long s = bias + ph[i].p_vaddr, e = s + ph[i].p_memsz;

		if (!(ph[i].p_type == PT_GNU_RELRO ||
		      (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_W))))
			continue;
		if (s < end && e > start)
			return true;
	}
	return false;
}

struct ward_prctl_mm_map {
	uint64_t start_code, end_code, start_data, end_data, start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t auxv;
	uint32_t auxv_size, exe_fd;
};

/* /proc/self/exe := FD with PR_SET_MM_MAP, which needs CAP_SYS_ADMIN or
 * CAP_CHECKPOINT_RESTORE (PR_SET_MM_EXE_FILE needs CAP_SYS_RESOURCE): the
 * memory layout it also sets is the current one, read back from
 * /proc/self/stat */
static int set_exe_by_map(int fd)
{
	_cleanup_close_ int sfd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	unsigned long long v[52];
	struct ward_prctl_mm_map m;
	char buf[2048], *p, *q;
	ssize_t n;
	int f;

	if (sfd < 0)
		return neg_errno();
	n = read(sfd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n < 0 ? neg_errno() : -EIO;
	buf[n] = '\0';
	/* fields after the command, which may hold anything but ends at
	 * the last ')': field 3 onwards */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EIO;
	p += 2;
	memset(v, 0, sizeof(v));
	for (f = 3; f <= 51 && *p; f++) {
		if (f == 3) {
			p++; /* state letter */
		} else {
			errno = 0;
			v[f] = strtoull(p, &q, 10);
			if (q == p || errno)
				return -EIO;
			p = q;
		}
		if (*p == ' ')
			p++;
	}
	if (f <= 51)
		return -EIO;
	memset(&m, 0, sizeof(m));
	m.start_code = v[26];
	m.end_code = v[27];
	m.start_stack = v[28];
	m.start_data = v[45];
	m.end_data = v[46];
	m.start_brk = v[47];
	m.arg_start = v[48];
	m.arg_end = v[49];
	m.env_start = v[50];
	m.env_end = v[51];
	m.brk = (uint64_t)(unsigned long)sbrk(0);
	m.exe_fd = (uint32_t)fd;
	if (!m.start_code || !m.start_stack || !m.arg_start || m.brk < m.start_brk)
		return -EIO;
	if (prctl(PR_SET_MM, PR_SET_MM_MAP, (unsigned long)&m, sizeof(m), 0) < 0)
		return neg_errno();
	return 0;
}

/* memcpy of whole pages of our own image, redzones between globals
 * included: not instrumented (a sanitizer would call those reads
 * overflows), and word by word through volatile so that it does not
 * become a memcpy call again */
__attribute__((no_sanitize_address)) static void copy_pages(void *dst, const void *src, size_t len)
{
	volatile unsigned long *d = dst;
	const volatile unsigned long *s = src;
	size_t i;

	for (i = 0; i < len / sizeof(*d); i++)
		d[i] = s[i];
}

/* Way 1: every mapping of our binary re-made through FD (the same file on
 * a detached read-only mount), then /proc/self/exe set to FD.  0, or
 * -errno with nothing that matters changed (the mappings moved so far map
 * the same bytes). */
static int swap_in_place(int fd)
{
	struct exe_map m[MAX_EXE_MAPS];
	struct stat st;
	int n, i;

	if (fstat(fd, &st) < 0)
		return neg_errno();
	n = exe_mappings(st.st_dev, st.st_ino, m, MAX_EXE_MAPS);
	if (n <= 0)
		return n < 0 ? n : -ENOENT;
	for (i = 0; i < n; i++) {
		size_t len = m[i].end - m[i].start;
		void *old = (void *)m[i].start;
		void *t;

		if (!maybe_written(m[i].start, m[i].end)) {
			/* text, read-only data: never written (no text
			 * relocations), the same page cache: the same bytes */
			t = mmap(NULL, len, m[i].prot, MAP_PRIVATE, fd, (off_t)m[i].off);
			if (t == MAP_FAILED)
				return neg_errno();
		} else {
			/* data, relro: relocated or written since, so the new
			 * mapping gets the current bytes (copied-on-write pages
			 * for these pages only) */
			t = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
				 (off_t)m[i].off);
			if (t == MAP_FAILED)
				return neg_errno();
			if (!(m[i].prot & PROT_READ) && mprotect(old, len, PROT_READ) < 0) {
				munmap(t, len);
				return neg_errno();
			}
			copy_pages(t, old, len);
			if (mprotect(t, len, m[i].prot) < 0) {
				munmap(t, len);
				return neg_errno();
			}
		}
		/* atomic: the old range is replaced in one step */
		if (mremap(t, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, old) == MAP_FAILED) {
			munmap(t, len);
			return neg_errno();
		}
	}
	if (prctl(PR_SET_MM, PR_SET_MM_EXE_FILE, (unsigned long)fd, 0, 0) == 0)
		return 0;
	if (errno != EPERM)
		return neg_errno();
	return set_exe_by_map(fd);
}

static int memfd_copy_of_self(void)
{
	_cleanup_close_ int src = -1;
	int mfd;
	struct stat st;
	off_t off = 0;

	src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (src < 0 || fstat(src, &st) < 0)
		return neg_errno();
	/* MFD_EXEC: with vm.memfd_noexec set (Linux 6.3+) a memfd is not
	 * executable unless asked for; older kernels refuse the flag */
	mfd = memfd_create("ward", MFD_CLOEXEC | MFD_ALLOW_SEALING | WARD_MFD_EXEC);
	if (mfd < 0 && errno == EINVAL)
		mfd = memfd_create("ward", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return neg_errno();
	while (off < st.st_size) {
		ssize_t n = sendfile(mfd, src, NULL, (size_t)(st.st_size - off));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0) {
			errno = EIO;
			goto fail;
		}
		off += n;
	}
	/* F_SEAL_WRITE fails with EBUSY while the kernel still holds extra
	 * references to pages just written (per-CPU LRU batches; seen in 1 of
	 * 4 conformance runs): it only waits briefly itself, so try again */
	for (int i = 0;; i++) {
		struct timespec ms = {0, 1000 * 1000};
		if (fcntl(mfd, F_ADD_SEALS, WARD_SEALS) == 0)
			break;
		if (errno != EBUSY || i == 20)
			goto fail;
		nanosleep(&ms, NULL);
	}
	return mfd;
fail : {
	int e = errno;
	close(mfd);
	return -e;
}
}

int selfexe_ensure_sealed(char **argv, char **envp)
{
	_cleanup_close_ int fd = -1;
	int r = selfexe_is_sealed();

	if (r != 0)
		return r > 0 ? 0 : r;
	fd = open_detached_ro_self();
	if (fd >= 0) {
		if (!getenv("WARD_SELFEXE_REEXEC") && swap_in_place(fd) == 0)
			return 0;
		fexecve(fd, argv, envp);
		close(fd);
		fd = -1;
	}
	fd = memfd_copy_of_self();
	if (fd < 0)
		return fd;
	fexecve(fd, argv, envp);
	return neg_errno();
}
