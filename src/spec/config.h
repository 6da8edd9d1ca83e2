/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Container config files (ward-config(5)): `key = value` lines, `#`
 * comments, includes, ward's own keys (every `ward run` option's key, through
 * run_option_apply(), plus the config-only ones) and the common LXC keys in
 * their old and new spellings.  Reading a config only fills run_settings:
 * nothing on the host changes.  Every error is one line naming the file,
 * the line and the key: "vm1.conf:7: lxc.net.0.ipv4.address: '10.0.0.300/24'
 * is not an IPv4 address".
 */
#ifndef WARD_CONFIG_H
#define WARD_CONFIG_H

#include <stddef.h>

#include "spec/options.h"
#include "util/err.h"

struct config;

struct config *config_new(struct run_settings *rs);
void config_free(struct config *c);
static inline void config_freep(struct config **c)
{
	config_free(*c);
}

/* Read one file (includes are followed; relative paths in it are relative
 * to its directory). */
int config_read_file(struct config *c, const char *path, ward_err *err);
/* The same from memory: `name` stands for the file in messages and its
 * directory anchors relative paths. */
int config_read_buffer(struct config *c, const char *name, const char *text, size_t len,
		       ward_err *err);
/* After the last file: what needs every file read (LXC interfaces, absolute
 * mount targets, capabilities, swap, lxc.init.uid/gid, /sbin/init as the
 * default command of an LXC system container). */
int config_finish(struct config *c, ward_err *err);

/* config_new + config_read_file for each + config_finish. */
int config_apply_files(struct run_settings *rs, char *const *files, ward_err *err);

/* The command line overrides config files.  For options that accumulate,
 * call this before applying a command-line option that was given: "net"
 * drops the interfaces the files defined, "userns" their id mappings.
 * Other names do nothing. */
void config_cli_override(struct run_settings *rs, const char *option);

/* Write settings (as options and config files leave them, before
 * run_settings_finish()) as config lines that read back to the same
 * settings: ward keys where they can say it, LXC keys where only they can.
 * Fails (EINVAL) on what no key can express. */
int config_write(const struct run_settings *rs, char **out, ward_err *err);

#endif
