/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WARD_RESOLVE_H
#define WARD_RESOLVE_H

#include <stdbool.h>
#include <sys/types.h>

/* Open PATH (absolute or relative, resolved as if rootfd were "/") with
 * FLAGS; never leaves the root, never follows /proc magic links.  Returns an
 * fd or -errno. */
int open_in_root(int rootfd, const char *path, int flags);
/* mkdir -p PATH inside the root (the last component as an empty file when
 * last_is_file) and return an O_PATH fd to it, or -errno.  A dangling
 * symlink on the way is followed, inside the root, and its target made. */
int mkpath_in_root(int rootfd, const char *path, bool last_is_file, mode_t mode);
/* 1 when openat2 is in use, -1 when the fallback is, 0 before first use */
int openat2_available(void);
/* unit tests: use the component-by-component resolver even with openat2 */
void resolve_force_fallback(bool on);

#endif
