/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the `ward run` option table (the same handlers parse
 * container config file values): the input is read as lines "NAME VALUE";
 * each is applied, then the spec is finished and validated.  Beyond the
 * sanitizers it asserts the error contract: a refused value leaves a
 * non-empty, single-line message and a positive errno.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec/options.h"
#include "spec/spec.h"
#include "util/err.h"
#include "util/strutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const ward_err *err)
{
	if (err->code <= 0 || !err->msg[0] || strchr(err->msg, '\n'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run_settings rs;
	ward_err err = {0};
	char *text, *line, *save = NULL;

	if (size > 4096)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (run_settings_init(&rs, &err) < 0) {
		free(text);
		return 0;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *value = strchr(line, ' ');
		const struct run_option *o;

		if (value)
			*value++ = '\0';
		o = run_option_find(line);
		/* options that read files or the host are left out: the
		 * fuzzer must not depend on the machine it runs on */
		if (!o || !strcmp(line, "rootfs") || !strcmp(line, "bind") ||
		    !strcmp(line, "seccomp") || !strcmp(line, "security-opt") ||
		    !strcmp(line, "config") || !strcmp(line, "env"))
			continue;
		if (o->has_arg && !value)
			continue;
		werr_clear(&err);
		if (run_option_apply(&rs, o, value ? value : "", &err) < 0)
			check_error(&err);
	}
	werr_clear(&err);
	if (!rs.spec->process.args)
		strv_push(&rs.spec->process.args, "/bin/true");
	if (run_settings_finish(&rs, &err) < 0)
		check_error(&err);
	run_settings_clear(&rs);
	free(text);
	return 0;
}
