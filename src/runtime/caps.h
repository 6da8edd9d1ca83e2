/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WARD_CAPS_H
#define WARD_CAPS_H

#include <stdint.h>

#include "spec/spec.h"
#include "util/err.h"

/* The highest capability the running kernel knows (parent side). */
int caps_last_cap(void);

/* Child side, in this order: drop the bounding set (needs CAP_SETPCAP),
 * then after the user switch set the process sets and the ambient set. */
int caps_drop_bounding(uint64_t keep, int last_cap, ward_err *err);
int caps_apply(const struct ward_caps *c, int last_cap, ward_err *err);
/* The sets SPEC's process gets: its own, less CAP_SYS_CHROOT when it has
 * no mount namespace of its own (a chroot is all that holds it then, and
 * that capability leaves a chroot at will). */
struct ward_caps caps_for(const struct ward_spec *spec, const struct ward_process *p);

#endif
