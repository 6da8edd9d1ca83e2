/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ward's one error contract (see docs/architecture.md, "Errors"):
 *
 *  - A function that can fail returns a negative errno-style value (< 0) and
 *    fills the ward_err passed by its caller; it returns >= 0 on success.
 *  - The message names the step and the object ("mount /usr read-only"); when
 *    the failure came from the kernel, ": <strerror>" is appended.
 *  - Callers add context on the way up with werr_wrap() ("web: " + message).
 *  - Library code (everything outside src/cli) never prints and never exits;
 *    only the CLI turns a ward_err into one line on stderr and an exit code.
 */
#ifndef WARD_ERR_H
#define WARD_ERR_H

#include <errno.h>
#include <stdarg.h>

#define WARD_ERR_MSG_MAX 1024

typedef struct ward_err {
	int code; /* positive errno value, 0 when no error was recorded */
	char msg[WARD_ERR_MSG_MAX];
} ward_err;

/* Record a kernel/libc failure: message is "FMT: strerror(errnum)".
 * Returns -errnum (or -EIO if errnum <= 0). */
int werr(ward_err *e, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Record a synthetic failure (bad input, refused request): message is FMT
 * only, code is errnum.  Returns -errnum. */
int werrx(ward_err *e, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefix the existing message with FMT + ": ".  Returns -code. */
int werr_wrap(ward_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline void werr_clear(ward_err *e)
{
	if (e) {
		e->code = 0;
		e->msg[0] = '\0';
	}
}

/* -errno, or -EIO when errno is unexpectedly 0 */
static inline int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

#endif
