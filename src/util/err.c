/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "util/err.h"

__attribute__((format(printf, 4, 0))) static void vset(ward_err *e, int errnum, int with_strerror,
						       const char *fmt, va_list ap)
{
	int n;

	if (!e)
		return;
	e->code = errnum > 0 ? errnum : EIO;
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	if (n < 0)
		n = 0;
	if (with_strerror && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, ": %s", strerror(e->code));
}

int werr(ward_err *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	int saved = errnum > 0 ? errnum : EIO;

	va_start(ap, fmt);
	vset(e, saved, 1, fmt, ap);
	va_end(ap);
	return -saved;
}

int werrx(ward_err *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	int saved = errnum > 0 ? errnum : EINVAL;

	va_start(ap, fmt);
	vset(e, saved, 0, fmt, ap);
	va_end(ap);
	return -saved;
}

int werr_wrap(ward_err *e, const char *fmt, ...)
{
	char prefix[WARD_ERR_MSG_MAX];
	char old[WARD_ERR_MSG_MAX];
	va_list ap;

	if (!e)
		return -EIO;
	if (e->code <= 0)
		e->code = EIO;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	snprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, old);
	return -e->code;
}
