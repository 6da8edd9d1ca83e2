/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Seccomp profiles as data: ward's built-in default, and the OCI/Docker JSON
 * profile format read from a file (--seccomp FILE, lxc.seccomp.profile) or
 * from an OCI config.json's linux.seccomp object.  Compiling a profile to BPF
 * is src/runtime/seccomp.c's job.
 */
#ifndef WARD_SECCOMP_PROFILE_H
#define WARD_SECCOMP_PROFILE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"
#include "util/err.h"

/* ward's default profile (docs/seccomp.md); NULL on ENOMEM. */
struct ward_seccomp *seccomp_default_profile(void);
/* The capabilities the default profile's rules test: the only bits of a
 * container's bounding set its compiled filter depends on. */
uint64_t seccomp_default_relevant_caps(void);

/* Parse a profile in the OCI runtime-spec / Docker JSON format.  `where`
 * names the source in error messages ("profile.json", "config.json"). */
int seccomp_profile_from_json(json_t *obj, const char *where, struct ward_seccomp **out,
			      ward_err *err);
int seccomp_profile_load_file(const char *path, struct ward_seccomp **out, ward_err *err);

/* Canonical byte serialization of everything that affects the compiled
 * filter (the profile plus the capability set its conditions see).  Two
 * profiles compile to the same BPF iff their serializations are equal; the
 * compiled-filter cache compares these byte for byte. */
int seccomp_profile_serialize(const struct ward_seccomp *sc, uint64_t caps, char **out,
			      size_t *len);

const char *seccomp_action_name(enum ward_seccomp_action a);

/* The canonical SCMP_ARCH_* name for an architecture given in the OCI form
 * ("SCMP_ARCH_X86_64"), Docker's form ("amd64") or libseccomp's ("x86_64");
 * NULL if the name is unknown. */
const char *seccomp_arch_canonical(const char *name);
/* libseccomp's token for a canonical name; 0 when this libseccomp does not
 * know the architecture. */
uint32_t seccomp_arch_token(const char *canonical);
/* The canonical name of the architecture ward itself runs on. */
const char *seccomp_arch_native_name(void);

/* SECCOMP_FILTER_FLAG_* value of a profile flag name; 0 if unknown. */
unsigned int seccomp_flag_value(const char *name);

/* "4.8" or "5.10.2" -> major << 32 | minor << 16 | patch.  With `whole`
 * the string must be exactly that; without it trailing text such as
 * "-1-amd64" in a uname release is ignored.  -EINVAL on bad input. */
int seccomp_kernel_version_parse(const char *s, bool whole, uint64_t *out);

#endif
