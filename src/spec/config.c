/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PLACEHOLDER: being replaced by the real parser (see config.h). */
#include <errno.h>
#include <stdlib.h>

#include "spec/config.h"

int config_apply_files(struct run_settings *rs, char *const *files, ward_err *err)
{
	(void)rs;
	(void)files;
	return werrx(err, ENOTSUP, "config files are not supported yet");
}

void config_cli_override(struct run_settings *rs, const char *option)
{
	(void)rs;
	(void)option;
}

int config_write(const struct run_settings *rs, char **out, ward_err *err)
{
	(void)rs;
	*out = NULL;
	return werrx(err, ENOTSUP, "config files are not supported yet");
}

struct config *config_new(struct run_settings *rs)
{
	(void)rs;
	return NULL;
}

void config_free(struct config *c)
{
	(void)c;
}

int config_read_buffer(struct config *c, const char *name, const char *text, size_t len,
		       ward_err *err)
{
	(void)c;
	(void)name;
	(void)text;
	(void)len;
	return werrx(err, ENOTSUP, "config files are not supported yet");
}

int config_finish(struct config *c, ward_err *err)
{
	(void)c;
	return werrx(err, ENOTSUP, "config files are not supported yet");
}
