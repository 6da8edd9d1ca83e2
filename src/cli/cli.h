/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command line.  This is the only layer that prints for the user and
 * the only one that decides exit codes (see ward(1), "EXIT STATUS").
 */
#ifndef WARD_CLI_H
#define WARD_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/container.h"
#include "util/err.h"

#define EXIT_WARD_FAILED 125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND   127

struct cli_globals {
	struct ward_ctx ctx;
	int log_level;
	bool json;
	char **argv0; /* the original argv, for re-exec */
	char **envp;
};

struct cli_verb {
	const char *name;
	int (*run)(struct cli_globals *g, int argc, char **argv);
	const char *summary;
};

/* Print "ward: [OBJECT: ]MESSAGE" on stderr. */
void cli_error(const char *object, const ward_err *err);
void cli_errorf(const char *object, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cli_run(struct cli_globals *g, int argc, char **argv);
int cli_net(struct cli_globals *g, int argc, char **argv);
int cli_info(struct cli_globals *g, int argc, char **argv);
int cli_gc(struct cli_globals *g, int argc, char **argv);
int cli_start(struct cli_globals *g, int argc, char **argv);
int cli_stop(struct cli_globals *g, int argc, char **argv);
int cli_kill(struct cli_globals *g, int argc, char **argv);
int cli_console(struct cli_globals *g, int argc, char **argv);
int cli_attach(struct cli_globals *g, int argc, char **argv);
int cli_create(struct cli_globals *g, int argc, char **argv);
int cli_destroy(struct cli_globals *g, int argc, char **argv);
int cli_ls(struct cli_globals *g, int argc, char **argv);
int cli_autostart(struct cli_globals *g, int argc, char **argv);
int cli_teardown(struct cli_globals *g, int argc, char **argv);
/* The binary run as `ward-oci`: runc's command line (src/cli/oci.c). */
int cli_oci_main(int argc, char **argv, char **envp);

struct run_settings;
/* An option a verb adds to the `ward run` options (ward create's
 * --template).  FN prints its own error and returns < 0 on a bad value. */
struct cli_extra_opt {
	const char *name;
	bool has_arg;
	int (*fn)(void *data, const char *value);
};
/* Parse `ward run`'s options (and EXTRA) into RS: --config files first,
 * then the other options in order, each overriding what the files said.
 * Prints its own errors.  Returns 0 (optind at the command), 1 when --help
 * was printed, or < 0. */
int cli_parse_run_options(const char *verb, int argc, char **argv, struct run_settings *rs,
			  const struct cli_extra_opt *extra, size_t n_extra, void *data);
/* The settings of a container in the store as its config says (not
 * finished: no defaults filled in). */
int cli_read_stored(struct cli_globals *g, const char *name, struct run_settings *rs,
		    ward_err *err);
/* The settings of a container in the store, finished and with its ids
 * resolved, ready for container_create(). */
int cli_load_stored(struct cli_globals *g, const char *name, struct run_settings *rs,
		    ward_err *err);
int cli_prepare_identity(struct cli_globals *g, struct run_settings *rs, ward_err *err);
int cli_run_stored(struct cli_globals *g, const char *name);
/* Block the signals a foreground container gets forwarded (before create). */
void cli_block_forwarded_signals(void);
int cli_help(struct cli_globals *g, int argc, char **argv);
int cli_version(struct cli_globals *g, int argc, char **argv);

/* `ward help VERB` text; NULL when there is no page. */
const char *help_page(const char *verb);
void help_usage(void);

#endif
