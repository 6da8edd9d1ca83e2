/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsers for values that several front ends share. */
#ifndef WARD_PARSE_H
#define WARD_PARSE_H

#include "spec/spec.h"

/* "NET_ADMIN", "cap_net_admin", "CAP_NET_ADMIN" -> bit number */
int caps_from_name(const char *name, int *cap);
/* "CAP_NET_ADMIN"; a static buffer */
const char *caps_to_name(int cap);
/* "INSIDE:OUTSIDE:COUNT" */
int idmap_parse(const char *s, struct ward_idmap *out);

#endif
