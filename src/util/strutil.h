/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WARD_STRUTIL_H
#define WARD_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/err.h"

/* NULL-terminated string vectors */
size_t strv_length(char *const *v);
int strv_push(char ***v, const char *s); /* copies s; -ENOMEM on failure */
int strv_push_own(char ***v, char *s);   /* takes s */
char **strv_copy(char *const *v);
bool strv_contains(char *const *v, const char *s);
#define STRV_FOREACH(s, v) for (char *const *s = (v); s && *s; s++)

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}
static inline bool startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Strict number parsers: whole string, no sign surprises, range-checked. */
int parse_u64(const char *s, uint64_t *out);
int parse_i64(const char *s, int64_t *out);
int parse_u32(const char *s, uint32_t *out);
int parse_int(const char *s, int *out);

/* "64m", "1G", "512k", "1048576" -> bytes (binary units, like docker). */
int parse_size(const char *s, int64_t *out);
/* "1.5" -> quota/period in microseconds against a 100ms period. */
int parse_cpus(const char *s, int64_t *quota, uint64_t *period);
/* "0-3,5" -> validated list; returns -EINVAL on syntax errors. */
int parse_cpu_list(const char *s, uint64_t *mask_out);
/* the highest CPU number a (valid) list names */
int parse_cpu_list_max(const char *s);
/* "SIGTERM", "TERM", "15" -> 15 */
int parse_signal(const char *s, int *sig);
const char *signal_name(int sig);

/* Container and network names: [A-Za-z0-9][A-Za-z0-9_.-]{0,62} */
bool name_is_valid(const char *s);

/* Trim ASCII whitespace in place; returns s. */
char *strstrip(char *s);

/* S made safe for a one-line message, in BUF of SIZE bytes: what is not a
 * printable ASCII character becomes '?', and more than SIZE - 4 characters
 * are cut with "...".  Returns BUF. */
const char *str_for_message(const char *s, char *buf, size_t size);

/* FNV-1a, 32 bits: short stable names derived from long ones. */
uint32_t str_hash32(const char *s);

#endif
