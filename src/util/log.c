/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <stdlib.h>
#include <signal.h>
#include <time.h>

#include "util/log.h"

static ward_log_fn handler;
static void *handler_data;
static enum ward_log_level max_level = WLOG_NOTICE;

void ward_log_set_handler(ward_log_fn fn, void *data, enum ward_log_level max)
{
	handler = fn;
	handler_data = data;
	max_level = max;
}

int ward_log_enabled(enum ward_log_level level)
{
	return handler && level <= max_level;
}

void wlog(enum ward_log_level level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int saved = errno;

	if (!ward_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	handler(level, buf, handler_data);
	errno = saved;
}

void wtime(const char *phase)
{
	static struct timespec t0;
	static const char *crash_at, *pause_at;
	static bool looked;
	struct timespec t;

	/* Fault injection for the tests, at PHASE, one of the timeline's steps
	 * (`ward --debug` shows them): WARD_TEST_CRASH_AT=PHASE kills the
	 * process (SIGKILL, no cleanup) for the crash-safety tests, and
	 * WARD_TEST_PAUSE_AT=PHASE stops it for 300 ms there, to open the
	 * window of a race that a test asserts ward does not lose. */
	if (!looked) {
		crash_at = getenv("WARD_TEST_CRASH_AT");
		pause_at = getenv("WARD_TEST_PAUSE_AT");
		looked = true;
	}
	if (crash_at && strcmp(crash_at, phase) == 0)
		raise(SIGKILL);
	if (pause_at && strcmp(pause_at, phase) == 0) {
		struct timespec pause = {0, 300 * 1000 * 1000};
		while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
			;
	}
	if (!ward_log_enabled(WLOG_DEBUG))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	if (!t0.tv_sec && !t0.tv_nsec)
		t0 = t;
	wlog(WLOG_DEBUG, "%8.3f ms  %s",
	     (double)(t.tv_sec - t0.tv_sec) * 1e3 + (double)(t.tv_nsec - t0.tv_nsec) / 1e6, phase);
}
