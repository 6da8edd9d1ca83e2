/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>

#include "spec/parse.h"
#include "util/cleanup.h"
#include "util/strutil.h"

int caps_from_name(const char *name, int *cap)
{
	char buf[64];
	cap_value_t v;
	char *back;
	bool same;

	if (!name || !*name || strlen(name) > 40)
		return -EINVAL;
	/* letters, digits and '_' only: libcap stops at the end of the longest
	 * name it knows, so "SYS_ADMIN NET_RAW" would otherwise be SYS_ADMIN */
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return -EINVAL;
	if (strncasecmp(name, "CAP_", 4) == 0)
		snprintf(buf, sizeof(buf), "%s", name);
	else
		snprintf(buf, sizeof(buf), "cap_%s", name);
	for (char *p = buf; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (cap_from_name(buf, &v) < 0 || v < 0 || v > 63)
		return -EINVAL;
	/* and the whole name: it must round-trip (libcap also takes numbers) */
	back = cap_to_name(v);
	same = back && strcmp(back, buf) == 0;
	cap_free(back);
	if (!same)
		return -EINVAL;
	*cap = v;
	return 0;
}

const char *caps_to_name(int cap)
{
	static char buf[64];
	char *n = cap_to_name((cap_value_t)cap);

	snprintf(buf, sizeof(buf), "%s", n ? n : "?");
	for (char *p = buf; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	cap_free(n);
	return buf;
}

int idmap_parse(const char *s, struct ward_idmap *out)
{
	_cleanup_free_ char *c = strdup(s);
	char *a, *b;

	if (!c)
		return -ENOMEM;
	a = strchr(c, ':');
	if (!a)
		return -EINVAL;
	*a++ = '\0';
	b = strchr(a, ':');
	if (!b)
		return -EINVAL;
	*b++ = '\0';
	if (parse_u32(c, &out->inside) < 0 || parse_u32(a, &out->outside) < 0 ||
	    parse_u32(b, &out->count) < 0 || out->count == 0)
		return -EINVAL;
	if ((uint64_t)out->inside + out->count > (uint64_t)UINT32_MAX + 1 ||
	    (uint64_t)out->outside + out->count > (uint64_t)UINT32_MAX + 1)
		return -ERANGE;
	return 0;
}
