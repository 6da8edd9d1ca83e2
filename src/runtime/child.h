/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WARD_CHILD_H
#define WARD_CHILD_H

#include "runtime/container.h"

/* The container process from clone to exec; never returns. */
_Noreturn void child_main(struct ward_container *c, int sync_fd);

/* Steps of the checklist that `ward attach` repeats for a process joining a
 * running container (src/runtime/enter.c). */
int child_reset_signals(void);
int child_set_rlimits(const struct ward_process *p, ward_err *err);
int child_switch_user(const struct ward_process *p, ward_err *err);
int child_enter_cwd(const char *cwd, ward_err *err);
/* Close every fd from 3 + preserve up; clear close-on-exec on 3..3+preserve-1
 * (--preserve-fds), but for the `n_skip` fds in `skip` (ward's own). */
int child_close_fds(unsigned int preserve, ward_err *err);
int child_preserve_fds(unsigned int preserve, const int *skip, size_t n_skip, ward_err *err);
int child_set_lsm_label(const struct ward_process *p, ward_err *err);

#endif
