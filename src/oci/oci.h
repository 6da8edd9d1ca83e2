/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The OCI face of ward: an OCI bundle's config.json (runtime-spec 1.0 to
 * 1.2) read into the same struct ward_spec that `ward run` options and
 * config files fill (one model, several faces).  Nothing on the host
 * changes while reading.  A key ward cannot honour is an error naming it
 * ("config.json: linux.intelRdt: not supported by ward"), never ignored.
 */
#ifndef WARD_OCI_H
#define WARD_OCI_H

#include <jansson.h>

#include "spec/spec.h"
#include "util/err.h"

#define OCI_SPEC_VERSION_MIN "1.0.0"
#define OCI_SPEC_VERSION_MAX "1.2.1"

/* BUNDLE/config.json into a new spec: root.path is resolved against
 * BUNDLE; the container's name is ID.  The spec has no defaults of ward's
 * own filling in what config.json leaves out (an OCI runtime does what the
 * file says: no default mounts, no default seccomp filter, no user
 * namespace unless linux.namespaces has one). */
int oci_spec_load(const char *bundle, const char *id, struct ward_spec **out, ward_err *err);
/* The same from a parsed document (tests, fuzzing); NAME names it in
 * errors. */
int oci_spec_from_json(json_t *doc, const char *name, const char *bundle, const char *id,
		       struct ward_spec **out, ward_err *err);
/* An OCI "process" object (config.json's, or `exec --process FILE`) into P
 * (cleared first). */
int oci_process_from_json(json_t *proc, const char *name, struct ward_process *p, ward_err *err);

/* `spec`: a default config.json (runc's shape: /bin/sh with a terminal,
 * rootfs "rootfs", the usual namespaces, mounts, masked and read-only
 * paths); ROOTLESS adds a user namespace with the caller's id mapped. */
json_t *oci_default_config(bool rootless);
/* `features`: the runtime-spec features document of this build. */
json_t *oci_features(void);

#endif
