/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/selfexe.h"
#include "util/cleanup.h"
#include "util/err.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

#define WARD_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int selfexe_is_sealed(void)
{
	_cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int seals;

	if (fd < 0)
		return neg_errno();
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0)
		return errno == EINVAL ? 0 : neg_errno();
	return (seals & WARD_SEALS) == WARD_SEALS ? 1 : 0;
}

int selfexe_ensure_sealed(char **argv, char **envp)
{
	_cleanup_close_ int src = -1;
	_cleanup_close_ int mfd = -1;
	struct stat st;
	off_t off = 0;
	int r = selfexe_is_sealed();

	if (r != 0)
		return r > 0 ? 0 : r;
	src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (src < 0 || fstat(src, &st) < 0)
		return neg_errno();
	mfd = memfd_create("ward", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return neg_errno();
	while (off < st.st_size) {
		ssize_t n = sendfile(mfd, src, NULL, (size_t)(st.st_size - off));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		if (n == 0)
			return -EIO;
		off += n;
	}
	if (fcntl(mfd, F_ADD_SEALS, WARD_SEALS) < 0)
		return neg_errno();
	fexecve(mfd, argv, envp);
	return neg_errno();
}
