/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/caps.h"
#include "spec/parse.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

int caps_last_cap(void)
{
	_cleanup_free_ char *buf = NULL;
	int last;

	if (read_file("/proc/sys/kernel/cap_last_cap", &buf, NULL) < 0 ||
	    parse_int(strstrip(buf), &last) < 0)
		return CAP_LAST_CAP;
	return last;
}

int caps_drop_bounding(uint64_t keep, int last_cap, ward_err *err)
{
	for (int c = 0; c <= last_cap; c++) {
		if (keep & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return werr(err, errno, "drop %s from the bounding set", caps_to_name(c));
	}
	return 0;
}

int caps_apply(const struct ward_caps *c, int last_cap, ward_err *err)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	uint64_t valid = last_cap >= 63 ? ~0ULL : (1ULL << (last_cap + 1)) - 1;
	uint64_t eff = c->effective & valid, perm = c->permitted & valid,
		 inh = c->inheritable & valid;

	memset(data, 0, sizeof(data));
	data[0].effective = (uint32_t)eff;
	data[1].effective = (uint32_t)(eff >> 32);
	data[0].permitted = (uint32_t)perm;
	data[1].permitted = (uint32_t)(perm >> 32);
	data[0].inheritable = (uint32_t)inh;
	data[1].inheritable = (uint32_t)(inh >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return werr(err, errno, "set capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return werr(err, errno, "clear ambient capabilities");
	/* The kernel raises an ambient capability only if it is both
	 * permitted and inheritable.  `runc spec` and `crun spec` list
	 * ambient capabilities without inheritable ones, and both runtimes
	 * skip those that cannot be raised rather than fail: so do we. */
	for (int i = 0; i <= last_cap; i++) {
		if (!(c->ambient & (1ULL << i)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0 && errno != EPERM &&
		    errno != EINVAL)
			return werr(err, errno, "raise ambient %s", caps_to_name(i));
	}
	return 0;
}

struct ward_caps caps_for(const struct ward_spec *spec, const struct ward_process *p)
{
	struct ward_caps k = p->caps;
	uint64_t drop = spec->ns[WNS_MNT].enabled ? 0 : 1ULL << CAP_SYS_CHROOT;

	k.bounding &= ~drop;
	k.effective &= ~drop;
	k.permitted &= ~drop;
	k.inheritable &= ~drop;
	k.ambient &= ~drop;
	return k;
}
