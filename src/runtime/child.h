/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WARD_CHILD_H
#define WARD_CHILD_H

#include "runtime/container.h"

/* The container process from clone to exec; never returns. */
_Noreturn void child_main(struct ward_container *c, int sync_fd);

#endif
