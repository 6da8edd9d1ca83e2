/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for container config files (src/spec/config.c): the
 * input is read as a config file and finished.  Beyond the sanitizers it
 * asserts the error contract (a refusal leaves a positive errno and one
 * non-empty line) and the writer's: settings that config_write() accepts
 * read back without error and write out to the same text.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec/config.h"
#include "spec/options.h"
#include "util/err.h"
#include "util/strutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* keys that read files or the host's state: the fuzzer must not depend on
 * the machine it runs on */
static const char *const skipped[] = {
    "include",
    "lxc.include",
    "ward.rootfs",
    "lxc.rootfs",
    "lxc.rootfs.path",
    "ward.bind",
    "ward.seccomp",
    "lxc.seccomp",
    "lxc.seccomp.profile",
    "ward.security",
    "lxc.apparmor.profile",
    "lxc.aa_profile",
    "lxc.selinux.context",
    "lxc.se_context",
    "lxc.mount.fstab",
    "lxc.mount",
    "ward.env",
    "lxc.environment",
};

static void check_error(const ward_err *err)
{
	if (err->code <= 0 || !err->msg[0] || strchr(err->msg, '\n'))
		abort();
}

static bool is_skipped(const char *line, size_t len)
{
	const char *eq = memchr(line, '=', len), *k = line, *e;

	if (!eq)
		return false;
	for (e = eq; e > k && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'); e--)
		;
	while (k < e && (*k == ' ' || *k == '\t' || *k == '\r'))
		k++;
	for (size_t i = 0; i < sizeof(skipped) / sizeof(*skipped); i++)
		if ((size_t)(e - k) == strlen(skipped[i]) &&
		    !strncmp(k, skipped[i], (size_t)(e - k)))
			return true;
	return false;
}

/* The input without the lines of skipped keys. */
static char *filtered(const uint8_t *data, size_t size)
{
	char *out = malloc(size + 1), *o = out;
	const char *p = (const char *)data, *end = p + size;

	if (!out)
		return NULL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl + 1 : end;
		if (!is_skipped(p, (size_t)(e - p))) {
			memcpy(o, p, (size_t)(e - p));
			o += e - p;
		}
		p = e;
	}
	*o = '\0';
	return out;
}

static int read_config(struct run_settings *rs, const char *text, size_t len, ward_err *err)
{
	struct config *c = config_new(rs);
	int r;

	if (!c)
		return -1;
	r = config_read_buffer(c, "fuzz.conf", text, len, err);
	if (r >= 0)
		r = config_finish(c, err);
	config_free(c);
	return r;
}

static void write_and_read_back(const struct run_settings *rs)
{
	struct run_settings back;
	char *text = NULL, *again = NULL;
	ward_err err = {0};

	if (config_write(rs, &text, &err) < 0) {
		check_error(&err);
		return;
	}
	if (run_settings_init(&back, &err) < 0) {
		free(text);
		return;
	}
	/* what was written must read back, and write out the same */
	if (read_config(&back, text, strlen(text), &err) < 0 ||
	    config_write(&back, &again, &err) < 0 || strcmp(text, again) != 0)
		abort();
	run_settings_clear(&back);
	free(text);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run_settings rs;
	ward_err err = {0};
	char *text;

	if (size > 8192)
		return 0;
	text = filtered(data, size);
	if (!text)
		return 0;
	if (run_settings_init(&rs, &err) < 0) {
		free(text);
		return 0;
	}
	if (read_config(&rs, text, strlen(text), &err) < 0) {
		check_error(&err);
	} else {
		write_and_read_back(&rs);
		werr_clear(&err);
		if (!rs.spec->process.args)
			strv_push(&rs.spec->process.args, "/bin/true");
		if (run_settings_finish(&rs, &err) < 0)
			check_error(&err);
	}
	run_settings_clear(&rs);
	free(text);
	return 0;
}
