/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The library never prints.  It reports progress and debug detail through
 * wlog(), which does nothing until the CLI installs a handler.
 */
#ifndef WARD_LOG_H
#define WARD_LOG_H

enum ward_log_level {
	WLOG_ERROR = 0,
	WLOG_WARNING = 1,
	WLOG_NOTICE = 2,
	WLOG_INFO = 3,
	WLOG_DEBUG = 4,
};

typedef void (*ward_log_fn)(enum ward_log_level level, const char *msg, void *data);

void ward_log_set_handler(ward_log_fn fn, void *data, enum ward_log_level max);
int ward_log_enabled(enum ward_log_level level);
void wlog(enum ward_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define wdebug(...) wlog(WLOG_DEBUG, __VA_ARGS__)
/* a debug line with the milliseconds since the first wtime() call */
void wtime(const char *phase);
#define winfo(...)   wlog(WLOG_INFO, __VA_ARGS__)
#define wnotice(...) wlog(WLOG_NOTICE, __VA_ARGS__)
#define wwarn(...)   wlog(WLOG_WARNING, __VA_ARGS__)

#endif
