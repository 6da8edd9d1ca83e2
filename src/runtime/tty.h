/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WARD_TTY_H
#define WARD_TTY_H

#include <stdbool.h>

#include "spec/spec.h"
#include "util/err.h"

/* In the child, after pivot_root: open a pty pair on the container's own
 * devpts, hand the master to the parent over the sync socket, bind the slave
 * on /dev/console and make it the controlling terminal and stdio. */
int tty_child_setup(int sync_fd, const struct ward_process *p, ward_err *err);

/* Parent side: put our terminal in raw mode (returns false if stdin is
 * not a terminal), and put it back. */
bool tty_raw_enter(int fd);
void tty_raw_leave(int fd);
/* Copy our terminal's window size to the pty master. */
void tty_copy_winsize(int from, int master);

#endif
