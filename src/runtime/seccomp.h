/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Plan in the parent, apply in the child: seccomp_compile() turns a profile
 * into a BPF program before the container process is cloned (through
 * libseccomp, or from the compiled-filter cache); the child only hands the
 * finished program to the kernel with seccomp_apply().
 */
#ifndef WARD_RUNTIME_SECCOMP_H
#define WARD_RUNTIME_SECCOMP_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#include "spec/spec.h"
#include "util/err.h"

struct ward_bpf {
	struct sock_filter *insns;
	unsigned short len;
	unsigned int flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
	bool notify;        /* the profile has SCMP_ACT_NOTIFY rules */
	bool from_cache;
};

/* Compile `sc` for a process whose bounding set is `caps`.  cache_dir may be
 * NULL (no cache); otherwise compiled filters are stored there and reused
 * when the canonical profile serialization matches byte for byte. */
int seccomp_compile(const struct ward_seccomp *sc, uint64_t caps, const char *cache_dir,
		    struct ward_bpf *out, ward_err *err);

/* The same for ward's built-in profile, without building it when its
 * filter is cached: the cache key is then this binary's build-id (the
 * profile is compiled in), the relevant capability bits and the host. */
int seccomp_compile_default(uint64_t caps, const char *cache_dir, struct ward_bpf *out,
			    ward_err *err);

/* Load the program into the calling thread (needs no_new_privs or
 * CAP_SYS_ADMIN).  With a notify profile *listener_fd receives the
 * user-notification fd; otherwise it is set to -1. */
int seccomp_apply(const struct ward_bpf *bpf, int *listener_fd, ward_err *err);

void ward_bpf_clear(struct ward_bpf *b);

/* Whether a rule's includes/excludes hold for a process whose bounding set
 * is `caps`, on the native architecture `arch` (canonical SCMP_ARCH_* name)
 * and a kernel of version `kernel` (seccomp_kernel_version_parse()). */
bool seccomp_rule_applies(const struct ward_seccomp_rule *rule, uint64_t caps, const char *arch,
			  uint64_t kernel);

#endif
