/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Libraries ward loads only when it needs them (dlopen): linked, their
 * dependencies cost every exec of ward time and memory (libarchive, with
 * libxml2, ICU and libstdc++, ~2 ms; libnftables, with libxtables and
 * libgmp, ~0.15 ms and ~0.5 MB).  A user lists its functions once with an
 * X-macro, keeps them in a struct of typed pointers, and calls through it.
 */
#ifndef WARD_DYNLIB_H
#define WARD_DYNLIB_H

#include <stddef.h>

#include "util/err.h"

struct dynlib_sym {
	const char *name;
	void **slot; /* where the address goes (a function pointer's storage) */
};

/* Load SONAME once (*HANDLE caches it) and resolve every symbol; WHAT names
 * the library in errors ("libarchive", with the Debian package to
 * install).  Nothing is kept on failure. */
int dynlib_load(void **handle, const char *soname, const char *what, const struct dynlib_sym *syms,
		size_t n, ward_err *err);

#endif
