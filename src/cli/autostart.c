/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ward autostart [--stop] [--group G[,G...]] [--list] [-t S]: boot and shutdown */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "manage/manage.h"
#include "runtime/state.h"
#include "spec/options.h"
#include "util/cleanup.h"
#include "util/strutil.h"

struct auto_entry {
	char *name;
	int order;
	int delay_s;
	int group_rank; /* position of its first selected group; 0 without --group */
};

static int entry_cmp(const void *a, const void *b)
{
	const struct auto_entry *x = a, *y = b;

	if (x->group_rank != y->group_rank)
		return x->group_rank < y->group_rank ? -1 : 1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The rank of the first of GROUPS (NULL: any) that the container is in;
 * -1 when it is in none of them. */
static int group_rank(char **groups, char **mine)
{
	if (!groups)
		return 0;
	for (size_t i = 0; groups[i]; i++)
		if (strv_contains(mine, groups[i]))
			return (int)i;
	return -1;
}

static int collect(struct cli_globals *g, char **groups, struct auto_entry **out, size_t *n)
{
	_cleanup_free_ char *top = xasprintf("%s/containers", g->ctx.lib_dir);
	_cleanup_closedir_ DIR *d = top ? opendir(top) : NULL;
	struct dirent *de;

	*out = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct run_settings rs;
		ward_err err = {0};
		struct auto_entry *grown;
		int rank;

		if (de->d_name[0] == '.' || !name_is_valid(de->d_name))
			continue;
		if (cli_read_stored(g, de->d_name, &rs, &err) < 0) {
			cli_error(de->d_name, &err);
			continue;
		}
		rank = group_rank(groups, rs.life.groups);
		if (rs.life.autostart && rank >= 0) {
			grown = realloc(*out, (*n + 1) * sizeof(**out));
			if (!grown) {
				run_settings_clear(&rs);
				return -ENOMEM;
			}
			*out = grown;
			(*out)[*n] = (struct auto_entry){strdup(de->d_name), rs.life.start_order,
							 rs.life.start_delay_s, rank};
			if (!(*out)[(*n)++].name) {
				run_settings_clear(&rs);
				return -ENOMEM;
			}
		}
		run_settings_clear(&rs);
	}
	qsort(*out, *n, sizeof(**out), entry_cmp);
	return 0;
}

/* Run `ward start NAME` / `ward stop NAME` in a child so that one
 * container's failure is its own. */
static int run_verb(struct cli_globals *g, const char *verb, const char *name, int timeout_s)
{
	char t[16];
	char *args[] = {(char *)verb, (char *)name, NULL, NULL, NULL};

	optind = 0; /* getopt starts over (glibc) */

	if (streq(verb, "stop")) {
		snprintf(t, sizeof(t), "%d", timeout_s);
		args[2] = (char *)"-t";
		args[3] = t;
		return cli_stop(g, 4, args);
	}
	return cli_start(g, 2, args);
}

static const char autostart_usage[] =
    "ward autostart [--stop] [--group GROUP[,GROUP...]] [--list] [-t SECONDS]";

int cli_autostart(struct cli_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"stop", no_argument, NULL, 's'}, {"group", required_argument, NULL, 'g'},
	    {"list", no_argument, NULL, 'L'}, {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	_cleanup_strv_ char **groups = NULL;
	struct auto_entry *list = NULL;
	bool stop = false, only_list = false;
	int timeout = 10, c, r, failed = 0;
	size_t n = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "sg:Lt:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			stop = true;
			break;
		case 'L':
			only_list = true;
			break;
		case 'g': {
			_cleanup_free_ char *copy = strdup(optarg);
			char *save = NULL;
			for (char *w = copy ? strtok_r(copy, ",", &save) : NULL; w;
			     w = strtok_r(NULL, ",", &save))
				if (strv_push(&groups, w) < 0)
					return EXIT_WARD_FAILED;
			break;
		}
		case 't':
			if (parse_int(optarg, &timeout) < 0 || timeout < 0 || timeout > 86400) {
				cli_errorf("-t", "'%s' is not a number of seconds (0 to 86400)",
					   optarg);
				return EXIT_WARD_FAILED;
			}
			break;
		case 'h':
			fputs(help_page("autostart") ?: "", stdout);
			return 0;
		default:
			cli_errorf(NULL, "autostart: usage: %s", autostart_usage);
			return EXIT_WARD_FAILED;
		}
	}
	if (optind != argc) {
		cli_errorf(NULL, "autostart: usage: %s", autostart_usage);
		return EXIT_WARD_FAILED;
	}
	r = collect(g, groups, &list, &n);
	if (r < 0) {
		cli_errorf(NULL, "autostart: %s/containers: %s", g->ctx.lib_dir, strerror(-r));
		return EXIT_WARD_FAILED;
	}
	for (size_t k = 0; k < n; k++) {
		/* stopping goes the other way round, without delays */
		struct auto_entry *e = &list[stop ? n - 1 - k : k];
		if (only_list) {
			printf("%s %d\n", e->name, stop ? 0 : e->delay_s);
			continue;
		}
		if (stop ? !state_is_alive(&g->ctx, e->name) : state_is_alive(&g->ctx, e->name))
			continue;
		if (run_verb(g, stop ? "stop" : "start", e->name, timeout) != 0) {
			failed++;
			continue;
		}
		if (!stop && e->delay_s > 0 && k + 1 < n) {
			struct timespec ts = {e->delay_s, 0};
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
	}
	for (size_t k = 0; k < n; k++)
		free(list[k].name);
	free(list);
	if (failed) {
		cli_errorf(NULL, "autostart: %d container%s failed to %s", failed,
			   failed == 1 ? "" : "s", stop ? "stop" : "start");
		return EXIT_WARD_FAILED;
	}
	return 0;
}
