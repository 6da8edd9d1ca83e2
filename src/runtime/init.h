/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WARD_INIT_H
#define WARD_INIT_H

#include <sys/types.h>

/* ward's minimal init (--init): PID 1 of the container.  Forwards every
 * catchable signal to `child`, reaps every zombie that is reparented to it,
 * and exits with child's status (128+N for a signal) when child exits. */
_Noreturn void init_reaper(pid_t child);
/* (call it with every signal blocked since before the fork of `child`) */

#endif
