/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the OCI parser: walking a JSON document with its location in
 * hand.  Every value is read through these helpers so that every refusal
 * is one line naming the document and the JSON path of the value:
 * "config.json: linux.resources.memroy: unknown key".  JSON null reads as
 * absent, as the Go bindings of the runtime-spec (and so runc) read it.
 */
#ifndef WARD_OCI_JPARSE_H
#define WARD_OCI_JPARSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "spec/spec.h"
#include "util/err.h"

#define JP_PATH_MAX 160

struct jp {
	const char *name; /* the document: "config.json", "process.json" */
	ward_err *err;
};

/* PATH.KEY (or KEY at the top) and PATH[I]; a location that does not fit
 * is cut and marked "..." */
void jp_key(char out[JP_PATH_MAX], const char *path, const char *key);
void jp_index(char out[JP_PATH_MAX], const char *path, size_t i);

int jp_fail(const struct jp *p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int jp_enomem(const struct jp *p);
/* "PATH: not supported by ward" */
int jp_unsupported(const struct jp *p, const char *path);
/* A user string made safe for a one-line message (printable, cut at 64). */
const char *jp_quote(const char *s, char buf[72]);

/* OBJ's member KEY; NULL when absent or JSON null. */
json_t *jp_get(json_t *obj, const char *key);
/* OBJ's member KEY, which must be there (else "PATH.KEY: missing"), in
 * *OUT; KPATH receives PATH.KEY for the getter that reads it. */
int jp_need(const struct jp *p, const char *path, json_t *obj, const char *key,
	    char kpath[JP_PATH_MAX], json_t **out);
/* OBJ must be an object; a key not in KNOWN (NULL-terminated) is ignored
 * and logged at debug level (runtime-spec: unknown properties MUST be
 * ignored). */
int jp_check_keys(const struct jp *p, const char *path, json_t *obj, const char *const *known);
int jp_object(const struct jp *p, const char *path, json_t *v);
int jp_array(const struct jp *p, const char *path, json_t *v);
/* The getters fail with a message naming PATH on a wrong type or range. */
int jp_string(const struct jp *p, const char *path, json_t *v, const char **out);
int jp_strdup(const struct jp *p, const char *path, json_t *v, char **out);
int jp_bool(const struct jp *p, const char *path, json_t *v, bool *out);
int jp_int(const struct jp *p, const char *path, json_t *v, int64_t min, int64_t max, int64_t *out);
int jp_uint(const struct jp *p, const char *path, json_t *v, uint64_t max, uint64_t *out);
/* uint64 in the spec: a value above INT64_MAX arrives as its two's
 * complement (see oci_json_load()), so a negative integer reads as
 * 2^64 + value: -1 is UINT64_MAX (RLIM_INFINITY). */
int jp_uint64(const struct jp *p, const char *path, json_t *v, uint64_t *out);
/* An array of strings (each non-empty when NONEMPTY) appended to *OUT. */
int jp_strv(const struct jp *p, const char *path, json_t *v, bool nonempty, char ***out);
/* FN for each string of the array V at PATH (absent: nothing), with the
 * element's own path; a non-string, or FN's error, ends it. */
typedef int (*jp_string_fn)(const struct jp *p, const char *epath, const char *s, void *data);
int jp_each_string(const struct jp *p, const char *path, json_t *v, jp_string_fn fn, void *data);
/* A map of strings to strings. */
int jp_kv_map(const struct jp *p, const char *path, json_t *v, struct ward_kv **out, size_t *n);
/* An absolute path without "." or ".." components, as given. */
int jp_abs_path(const struct jp *p, const char *path, json_t *v, char **out);
/* linux.uidMappings-style arrays appended to *MAPS. */
int jp_idmaps(const struct jp *p, const char *path, json_t *v, struct ward_idmap **maps, size_t *n);

/* the other parts of the config.json reader */
int oci_parse_mounts(const struct jp *p, json_t *v, const char *bundle, struct ward_spec *s);
/* The mount options ward applies (for features.json), in a new array of
 * static strings. */
int oci_mount_option_names(const char ***out, size_t *n);
int oci_parse_resources(const struct jp *p, const char *path, json_t *v,
			struct ward_resources *res);
/* oci_add_default_device_rules() is in oci_json.h (null, zero, full,
 * random, urandom, tty, console, ptmx, pts, tun, and mknod of any node) */

#endif
