/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
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

	if (!name || !*name || strlen(name) > 40)
		return -EINVAL;
	if (strncasecmp(name, "CAP_", 4) == 0)
		snprintf(buf, sizeof(buf), "%s", name);
	else
		snprintf(buf, sizeof(buf), "cap_%s", name);
	for (char *p = buf; *p; p++)
		*p = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
	if (cap_from_name(buf, &v) < 0 || v < 0 || v > 63)
		return -EINVAL;
	/* libcap also accepts plain numbers; names only here */
	if (buf[4] >= '0' && buf[4] <= '9')
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
