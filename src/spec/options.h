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

/* When and with what a stored container starts (ward.start.*, ward.group;
 * LXC's lxc.start.* and lxc.group).  `ward run` ignores them. */
struct run_lifecycle {
	bool autostart;    /* ward.start.auto */
	int start_order;   /* ward.start.order: lower starts first */
	int start_delay_s; /* ward.start.delay: seconds to wait after starting it */
	char **groups;     /* ward.group, in order, no duplicates */
};

struct run_settings {
	struct ward_spec *spec;
	bool home_explicit;
	bool hostname_set;
	bool userns_explicit_seen;
	char **config_files; /* --config, in order */
	char **nets;         /* --net values, in order (networking consumes them) */
	struct run_lifecycle life;
	char *seccomp_file; /* the profile file ward.seccomp loaded (NULL: none) */
	/* LIB (--lib), not owned: config files find ward networks there
	 * (lxc.net.N.link = NAME); NULL knows only the default one */
	const char *lib_dir;
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
/* Keys that only config files have (no command-line flag): ward.start.auto,
 * ward.start.order, ward.start.delay, ward.group, ward.cmd.  Their `name` is
 * the key itself. */
const struct run_option *run_config_keys(size_t *n);
/* A config key: the options' keys and the config-only ones. */
const struct run_option *run_option_find_key(const char *key);
/* Apply one option; errors are for the CLI to prefix with "--NAME: ". */
int run_option_apply(struct run_settings *rs, const struct run_option *o, const char *value,
		     ward_err *err);

/* ward.cmd: one line, the command and its arguments.  Words are separated
 * by blanks; double quotes group; backslash escapes, inside quotes or not:
 * \\ \" \n \t \r \xHH and, outside quotes, a blank.  run_cmd_format() quotes
 * what needs it so that run_cmd_parse() gives the same words back. */
int run_cmd_parse(const char *line, char ***argv, ward_err *err);
char *run_cmd_format(char *const *argv);

int run_settings_init(struct run_settings *rs, ward_err *err);
/* Fill in what the options left open: a name, the hostname, the default
 * filesystem.  Then validate the whole spec. */
int run_settings_finish(struct run_settings *rs, ward_err *err);
void run_settings_clear(struct run_settings *rs);

#endif
