/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The `ward run` options as a table.  The command line and container
 * config files both go through run_option_apply(), so a flag and its config
 * key can never disagree.  A handler validates its value completely:
 * nothing on the host is touched until every option has been accepted.
 */
#ifndef WARD_OPTIONS_H
#define WARD_OPTIONS_H

#include <stdbool.h>

#include "spec/spec.h"
#include "util/err.h"

struct run_settings {
	struct ward_spec *spec;
	bool home_explicit;
	bool hostname_set;
	bool userns_explicit_seen;
	char **config_files; /* --config, in order */
	char **nets;         /* --net values, in order (networking consumes them) */
};

struct run_option {
	const char *name; /* long option, without "--" */
	int short_name;   /* 0 when none */
	bool has_arg;
	const char *key; /* config file key ("ward.memory") */
	const char *metavar;
	int (*apply)(struct run_settings *rs, const char *value, ward_err *err);
};

const struct run_option *run_options(size_t *n);
const struct run_option *run_option_find(const char *name);
const struct run_option *run_option_find_key(const char *key);
/* Apply one option; errors are for the CLI to prefix with "--NAME: ". */
int run_option_apply(struct run_settings *rs, const struct run_option *o, const char *value,
		     ward_err *err);

int run_settings_init(struct run_settings *rs, ward_err *err);
/* Fill in what the options left open: a name, the hostname, the default
 * filesystem.  Then validate the whole spec. */
int run_settings_finish(struct run_settings *rs, ward_err *err);
void run_settings_clear(struct run_settings *rs);

#endif
