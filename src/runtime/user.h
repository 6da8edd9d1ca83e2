/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WARD_USER_H
#define WARD_USER_H

#include "spec/spec.h"
#include "util/err.h"

/* Resolve process.user ("name", "uid", "uid:gid", "name:group") against the
 * container's own /etc/passwd and /etc/group (read inside its root, never
 * following a link out of it), set uid, gid, supplementary groups and HOME
 * (unless HOME was given explicitly). */
int user_resolve(struct ward_spec *s, bool home_explicit, ward_err *err);

#endif
