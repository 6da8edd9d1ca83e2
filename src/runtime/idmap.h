/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WARD_IDMAP_H
#define WARD_IDMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/err.h"

struct subid_range {
	uint32_t start;
	uint32_t count;
};

/* The first range for `user` (or its numeric `uid`) in a subuid/subgid
 * file.  Returns 1 when found, 0 when not, -errno on read errors. */
int subid_find(const char *file, const char *user, uid_t uid, struct subid_range *out);
/* A default range of `count` ids at or above `start` that overlaps no
 * entry of either file. */
int subid_default(const char *subuid, const char *subgid, uint32_t start, uint32_t count,
		  uint32_t *out);

/* Fill spec->uid_maps/gid_maps for --userns auto.  *used_default tells the
 * caller that /etc/subuid had nothing for root and ward's default range was
 * chosen (docs/architecture.md, "User namespaces"). */
int idmap_resolve_auto(struct ward_spec *s, const char *subuid, const char *subgid,
		       bool *used_default, ward_err *err);

/* Write /proc/PID/{uid,gid}_map. */
int idmap_write(pid_t pid, const struct ward_idmap *maps, size_t n, bool gid, ward_err *err);

/* Map a container id to the host (UINT32_MAX when unmapped). */
uint32_t idmap_to_host(const struct ward_idmap *maps, size_t n, uint32_t id);

#endif
