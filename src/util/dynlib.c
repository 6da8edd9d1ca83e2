/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <errno.h>

#include "util/dynlib.h"

int dynlib_load(void **handle, const char *soname, const char *what, const struct dynlib_sym *syms,
		size_t n, ward_err *err)
{
	void *h;

	if (*handle)
		return 0;
	h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return werrx(err, ENOENT, "cannot load %s (%s)", what, dlerror());
	for (size_t i = 0; i < n; i++) {
		*syms[i].slot = dlsym(h, syms[i].name);
		if (!*syms[i].slot) {
			dlclose(h);
			return werrx(err, ENOENT, "%s (%s) has no %s", what, soname, syms[i].name);
		}
	}
	*handle = h;
	return 0;
}
