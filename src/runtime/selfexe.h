/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WARD_SELFEXE_H
#define WARD_SELFEXE_H

/*
 * CVE-2019-5736: a process inside a container that can see a ward process
 * (its --init, an attach) could open /proc/PID/exe and, as host root, write
 * the ward binary on the host.  For containers whose root is host root
 * (--userns host) ward re-executes itself from a sealed in-memory copy
 * first, so /proc/PID/exe is that copy, which nobody can write.  In a user
 * namespace the container's root is an unprivileged host uid that cannot
 * write the binary anyway, and this is skipped.
 *
 * Returns 0 when already running from a sealed copy; otherwise re-executes
 * (and does not return) or returns -errno.
 */
int selfexe_ensure_sealed(char **argv, char **envp);
/* 1 when /proc/self/exe is a sealed memfd, 0 if not, -errno */
int selfexe_is_sealed(void);

#endif
