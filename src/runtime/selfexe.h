/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WARD_SELFEXE_H
#define WARD_SELFEXE_H

/*
 * CVE-2019-5736: a process inside a container that can see a ward process
 * (its --init, an attach) could open /proc/PID/exe and, as host root, write
 * the ward binary on the host.  For containers whose root is host root
 * (--userns host) ward first makes /proc/self/exe a file nobody can write:
 * its binary on a detached read-only mount (opening it for writing fails
 * with EROFS, also after ward exits), switched to in place without
 * re-executing where the kernel and our capabilities allow it, else by
 * re-executing from that mount, else from a sealed memfd copy (see
 * selfexe.c).  In a user namespace the container's root is an
 * unprivileged host uid that cannot write the binary anyway, and this is
 * skipped.
 *
 * Returns 0 when /proc/self/exe is (now) protected; otherwise re-executes
 * (and does not return) or returns -errno.  WARD_SELFEXE_REEXEC in the
 * environment skips the in-place switch (to test the re-execution).
 */
int selfexe_ensure_sealed(char **argv, char **envp);
/* 1 when /proc/self/exe is a sealed memfd or a file on a read-only mount
 * that is in no mount table, 0 if not, -errno */
int selfexe_is_sealed(void);

#endif
