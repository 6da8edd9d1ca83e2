/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/exec.h"

static const char *env_path(char *const envp[])
{
	for (char *const *e = envp; e && *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			return *e + 5;
	return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

int exec_in_path(char *const argv[], char *const envp[])
{
	const char *file = argv[0];
	const char *path, *p;
	bool eacces = false;

	if (strchr(file, '/')) {
		execve(file, argv, envp);
		return -errno;
	}
	path = env_path(envp);
	p = path;
	for (;;) {
		const char *end = strchr(p, ':');
		size_t dl = end ? (size_t)(end - p) : strlen(p);
		char full[PATH_MAX];

		if (dl == 0)
			snprintf(full, sizeof(full), "%s", file);
		else
			snprintf(full, sizeof(full), "%.*s/%s", (int)dl, p, file);
		execve(full, argv, envp);
		switch (errno) {
		case EACCES:
			eacces = true;
			break;
		case ENOENT:
		case ENOTDIR:
		case ESTALE:
		case ENODEV:
		case ETIMEDOUT:
			break;
		default:
			return -errno;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return eacces ? -EACCES : -ENOENT;
}
