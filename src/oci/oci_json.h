/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The OCI face's JSON helpers for the command line: loading a runtime-spec
 * document (config.json, `exec --process FILE`, `update --resources FILE`)
 * and reading a resources object.
 */
#ifndef WARD_OCI_JSON_H
#define WARD_OCI_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "spec/spec.h"
#include "util/err.h"

/* Parse TEXT (LEN bytes) as one JSON object; NAME names it in errors
 * ("config.json: line 3 column 7: ...").  Duplicate keys are refused.
 * The runtime-spec has uint64 fields (rlimits, seccomp values) that
 * clients fill with values above INT64_MAX, such as RLIM_INFINITY, which
 * jansson cannot hold: such an integer is read as its two's complement
 * (18446744073709551615 as -1), and the OCI readers read it back. */
json_t *oci_json_load(const char *text, size_t len, const char *name, ward_err *err);
/* The same from a file; NAME defaults to PATH. */
json_t *oci_json_load_file(const char *path, const char *name, ward_err *err);

/* A linux.resources object (`update --resources FILE`) into RES, which is
 * cleared first (spec_resources_clear()): what the object does not name
 * stays WARD_UNSET. */
int oci_resources_from_json(json_t *obj, const char *name, struct ward_resources *res,
			    ward_err *err);
/* ward's allow-list after a config's own device rules (runc's and crun's
 * default set); update adds it too, as create does */
int oci_add_default_device_rules(struct ward_resources *res);

#endif
