/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WARD_DEVBPF_H
#define WARD_DEVBPF_H

#include <linux/bpf.h>
#include <stddef.h>

#include "spec/spec.h"
#include "util/err.h"

/* The BPF_PROG_TYPE_CGROUP_DEVICE program for RULES (in order, later ones
 * overriding earlier ones; no match denies), in a new array. */
int devbpf_build(const struct ward_device_rule *rules, size_t n, struct bpf_insn **out,
		 size_t *len);

/* Load it and attach it to the cgroup2 directory CGROUP_DIR, replacing
 * the device programs attached there before (an update). */
int devbpf_attach(const char *cgroup_dir, const struct ward_device_rule *rules, size_t n,
		  ward_err *err);

#endif
