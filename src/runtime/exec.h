/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WARD_EXEC_H
#define WARD_EXEC_H

/* execve argv[0], searching the PATH of the container's environment (not
 * ward's: glibc's execvpe would use ours).  Returns -errno only on failure;
 * EACCES wins over ENOENT as with the shell. */
int exec_in_path(char *const argv[], char *const envp[]);

#endif
