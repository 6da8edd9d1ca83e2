/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stddef.h>

#include "cli/cli.h"
#include "util/strutil.h"

/* generated at build time from the man pages in docs/man (tools/man2help.py) */
struct help_entry {
	const char *verb;
	const char *text;
};
extern const struct help_entry ward_help_pages[];

const char *help_page(const char *verb)
{
	for (const struct help_entry *e = ward_help_pages; e->verb; e++)
		if (streq(e->verb, verb))
			return e->text;
	return NULL;
}
