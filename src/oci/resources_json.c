/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * linux.resources: cgroup limits into struct ward_resources (config.json
 * and `update --resources FILE`).  A zero where runc reads zero as "not
 * set" (memory limits, CPU quota and period, shares, block I/O weights, the
 * pids limit) stays WARD_UNSET here too, so a client's config means the
 * same under both runtimes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "oci/jparse.h"
#include "oci/oci_json.h"
#include "util/cleanup.h"
#include "util/strutil.h"

/* an optional int64 member: "unlimited" is -1, anything lower is refused;
 * ZERO_UNSET reads 0 as not set */
static int get_limit(const struct jp *p, const char *path, json_t *obj, const char *key,
		     bool zero_unset, int64_t *out)
{
	char kpath[JP_PATH_MAX];
	json_t *v = jp_get(obj, key);
	int64_t x;
	int r;

	if (!v)
		return 0;
	jp_key(kpath, path, key);
	r = jp_int(p, kpath, v, -1, INT64_MAX, &x);
	if (r < 0)
		return r;
	if (x != 0 || !zero_unset)
		*out = x;
	return 0;
}

/* an optional unsigned member up to MAX; ZERO_UNSET reads 0 as not set */
static int get_unsigned(const struct jp *p, const char *path, json_t *obj, const char *key,
			uint64_t max, bool zero_unset, int64_t *out)
{
	char kpath[JP_PATH_MAX];
	json_t *v = jp_get(obj, key);
	uint64_t x;
	int r;

	if (!v)
		return 0;
	jp_key(kpath, path, key);
	r = jp_uint(p, kpath, v, max, &x);
	if (r < 0)
		return r;
	if (x != 0 || !zero_unset)
		*out = (int64_t)x;
	return 0;
}

static int parse_memory(const struct jp *p, const char *path, json_t *v, struct ward_resources *res)
{
	static const char *const keys[] = {
	    "limit",
	    "reservation",
	    "swap",
	    "kernel",
	    "kernelTCP",
	    "swappiness",
	    "disableOOMKiller",
	    "useHierarchy",
	    "checkBeforeUpdate",
	    NULL,
	};
	char kpath[JP_PATH_MAX];
	json_t *e;
	bool b;
	int r;

	r = jp_check_keys(p, path, v, keys);
	if (r < 0)
		return r;
	if ((r = get_limit(p, path, v, "limit", true, &res->memory_limit)) < 0 ||
	    (r = get_limit(p, path, v, "reservation", true, &res->memory_reservation)) < 0 ||
	    (r = get_limit(p, path, v, "swap", true, &res->memory_swap)) < 0 ||
	    (r = get_limit(p, path, v, "kernel", true, &res->memory_kernel)) < 0 ||
	    (r = get_limit(p, path, v, "kernelTCP", true, &res->memory_kernel_tcp)) < 0)
		return r;
	if (res->memory_swap > 0 && res->memory_limit > 0 && res->memory_swap < res->memory_limit) {
		jp_key(kpath, path, "swap");
		return jp_fail(p, kpath,
			       "%" PRId64 " (memory plus swap) is below the memory limit %" PRId64,
			       res->memory_swap, res->memory_limit);
	}
	e = jp_get(v, "swappiness");
	if (e) {
		uint64_t sw;

		jp_key(kpath, path, "swappiness");
		r = jp_uint64(p, kpath, e, &sw);
		if (r < 0)
			return r;
		/* -1 is what Docker sends for "the kernel's default" */
		if (sw != UINT64_MAX) {
			if (sw > 100)
				return jp_fail(p, kpath, "%" PRIu64 " is out of range (0 to 100)",
					       sw);
			res->memory_swappiness = (int64_t)sw;
		}
	}
	if ((e = jp_get(v, "disableOOMKiller"))) {
		jp_key(kpath, path, "disableOOMKiller");
		if ((r = jp_bool(p, kpath, e, &res->disable_oom_killer)) < 0)
			return r;
	}
	if ((e = jp_get(v, "useHierarchy"))) {
		jp_key(kpath, path, "useHierarchy");
		if ((r = jp_bool(p, kpath, e, &b)) < 0)
			return r;
		res->memory_use_hierarchy = b;
	}
	if ((e = jp_get(v, "checkBeforeUpdate"))) {
		jp_key(kpath, path, "checkBeforeUpdate");
		if ((r = jp_bool(p, kpath, e, &res->memory_check_before_update)) < 0)
			return r;
	}
	return 0;
}

static int get_cpu_list(const struct jp *p, const char *path, json_t *obj, const char *key,
			char **out)
{
	char kpath[JP_PATH_MAX], q[72];
	json_t *v = jp_get(obj, key);
	const char *s;
	int r;

	if (!v)
		return 0;
	jp_key(kpath, path, key);
	r = jp_string(p, kpath, v, &s);
	if (r < 0)
		return r;
	if (!*s)
		return 0;
	if (parse_cpu_list(s, NULL) < 0)
		return jp_fail(p, kpath, "'%s' is not a list such as 0-3,7", jp_quote(s, q));
	return jp_strdup(p, kpath, v, out);
}

static int parse_cpu(const struct jp *p, const char *path, json_t *v, struct ward_resources *res)
{
	static const char *const keys[] = {
	    "shares",         "quota", "burst", "period", "realtimeRuntime",
	    "realtimePeriod", "cpus",  "mems",  "idle",   NULL,
	};
	char kpath[JP_PATH_MAX];
	json_t *e;
	int r;

	r = jp_check_keys(p, path, v, keys);
	if (r < 0)
		return r;
	if ((r = get_unsigned(p, path, v, "shares", INT64_MAX, true, &res->cpu_shares)) < 0 ||
	    (r = get_limit(p, path, v, "quota", true, &res->cpu_quota)) < 0 ||
	    (r = get_unsigned(p, path, v, "burst", INT64_MAX, false, &res->cpu_burst)) < 0 ||
	    (r = get_unsigned(p, path, v, "period", INT64_MAX, true, &res->cpu_period)) < 0 ||
	    (r = get_limit(p, path, v, "realtimeRuntime", true, &res->cpu_rt_runtime)) < 0 ||
	    (r = get_unsigned(p, path, v, "realtimePeriod", INT64_MAX, true, &res->cpu_rt_period)) <
		0 ||
	    (r = get_cpu_list(p, path, v, "cpus", &res->cpuset_cpus)) < 0 ||
	    (r = get_cpu_list(p, path, v, "mems", &res->cpuset_mems)) < 0)
		return r;
	if (res->cpu_burst != WARD_UNSET && res->cpu_quota > 0 && res->cpu_burst > res->cpu_quota) {
		jp_key(kpath, path, "burst");
		return jp_fail(p, kpath, "%" PRId64 " is above the quota %" PRId64, res->cpu_burst,
			       res->cpu_quota);
	}
	if ((e = jp_get(v, "idle"))) {
		jp_key(kpath, path, "idle");
		if ((r = jp_int(p, kpath, e, 0, 1, &res->cpu_idle)) < 0)
			return r;
	}
	return 0;
}

static int parse_pids(const struct jp *p, const char *path, json_t *v, struct ward_resources *res)
{
	static const char *const keys[] = {"limit", NULL};
	char kpath[JP_PATH_MAX];
	json_t *e;
	int64_t x;
	int r;

	r = jp_check_keys(p, path, v, keys);
	if (r < 0)
		return r;
	if ((r = jp_need(p, path, v, "limit", kpath, &e)) < 0)
		return r;
	r = jp_int(p, kpath, e, INT64_MIN, INT64_MAX, &x);
	if (r < 0)
		return r;
	/* runc: 0 is "not set", any negative value is "no limit" */
	if (x != 0)
		res->pids_limit = x < 0 ? -1 : x;
	return 0;
}

static int get_major_minor(const struct jp *p, const char *path, json_t *v, int64_t *major,
			   int64_t *minor)
{
	const char *names[2] = {"major", "minor"};
	int64_t *outs[2] = {major, minor};

	for (int i = 0; i < 2; i++) {
		char kpath[JP_PATH_MAX];
		json_t *e = jp_get(v, names[i]);
		int r;

		jp_key(kpath, path, names[i]);
		if (!e)
			return jp_fail(p, kpath, "missing");
		r = jp_int(p, kpath, e, 0, UINT32_MAX, outs[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int get_weight(const struct jp *p, const char *path, json_t *obj, const char *key,
		      int64_t *out)
{
	char kpath[JP_PATH_MAX];
	int64_t w = WARD_UNSET;
	int r = get_unsigned(p, path, obj, key, UINT16_MAX, true, &w);

	if (r < 0 || w == WARD_UNSET)
		return r;
	jp_key(kpath, path, key);
	if (w < 10 || w > 1000)
		return jp_fail(p, kpath, "%" PRId64 " is out of range (10 to 1000)", w);
	*out = w;
	return 0;
}

static int parse_weight_devices(const struct jp *p, const char *path, json_t *v,
				struct ward_resources *res)
{
	static const char *const keys[] = {"major", "minor", "weight", "leafWeight", NULL};
	json_t *e;
	size_t i;
	int r;

	if (!v)
		return 0;
	if ((r = jp_array(p, path, v)) < 0)
		return r;
	res->blkio_weight_devices =
	    calloc(json_array_size(v) + 1, sizeof(*res->blkio_weight_devices));
	if (!res->blkio_weight_devices)
		return jp_enomem(p);
	json_array_foreach (v, i, e) {
		struct ward_blkio_weight_device *d = &res->blkio_weight_devices[i];
		char epath[JP_PATH_MAX];

		jp_index(epath, path, i);
		*d = (struct ward_blkio_weight_device){.weight = WARD_UNSET,
						       .leaf_weight = WARD_UNSET};
		if ((r = jp_check_keys(p, epath, e, keys)) < 0 ||
		    (r = get_major_minor(p, epath, e, &d->major, &d->minor)) < 0 ||
		    (r = get_weight(p, epath, e, "weight", &d->weight)) < 0 ||
		    (r = get_weight(p, epath, e, "leafWeight", &d->leaf_weight)) < 0)
			return r;
		if (d->weight == WARD_UNSET && d->leaf_weight == WARD_UNSET)
			return jp_fail(p, epath, "needs a weight or a leafWeight");
		res->n_blkio_weight_devices++;
	}
	return 0;
}

static int parse_throttle(const struct jp *p, const char *path, json_t *v,
			  struct ward_blkio_throttle **out, size_t *n)
{
	static const char *const keys[] = {"major", "minor", "rate", NULL};
	json_t *e;
	size_t i;
	int r;

	if (!v)
		return 0;
	if ((r = jp_array(p, path, v)) < 0)
		return r;
	*out = calloc(json_array_size(v) + 1, sizeof(**out));
	if (!*out)
		return jp_enomem(p);
	json_array_foreach (v, i, e) {
		struct ward_blkio_throttle *t = &(*out)[i];
		char epath[JP_PATH_MAX], kpath[JP_PATH_MAX];
		json_t *rate;

		jp_index(epath, path, i);
		if ((r = jp_check_keys(p, epath, e, keys)) < 0 ||
		    (r = get_major_minor(p, epath, e, &t->major, &t->minor)) < 0)
			return r;
		if ((r = jp_need(p, epath, e, "rate", kpath, &rate)) < 0)
			return r;
		if ((r = jp_uint64(p, kpath, rate, &t->rate)) < 0)
			return r;
		(*n)++;
	}
	return 0;
}

static int parse_blkio(const struct jp *p, const char *path, json_t *v, struct ward_resources *res)
{
	static const char *const throttle_keys[WBLKIO__MAX] = {
	    [WBLKIO_READ_BPS] = "throttleReadBpsDevice",
	    [WBLKIO_WRITE_BPS] = "throttleWriteBpsDevice",
	    [WBLKIO_READ_IOPS] = "throttleReadIOPSDevice",
	    [WBLKIO_WRITE_IOPS] = "throttleWriteIOPSDevice",
	};
	static const char *const keys[] = {"weight",
					   "leafWeight",
					   "weightDevice",
					   "throttleReadBpsDevice",
					   "throttleWriteBpsDevice",
					   "throttleReadIOPSDevice",
					   "throttleWriteIOPSDevice",
					   NULL};
	char kpath[JP_PATH_MAX];
	int r;

	if ((r = jp_check_keys(p, path, v, keys)) < 0 ||
	    (r = get_weight(p, path, v, "weight", &res->blkio_weight)) < 0 ||
	    (r = get_weight(p, path, v, "leafWeight", &res->blkio_leaf_weight)) < 0)
		return r;
	jp_key(kpath, path, "weightDevice");
	r = parse_weight_devices(p, kpath, jp_get(v, "weightDevice"), res);
	if (r < 0)
		return r;
	for (int k = 0; k < WBLKIO__MAX; k++) {
		jp_key(kpath, path, throttle_keys[k]);
		r = parse_throttle(p, kpath, jp_get(v, throttle_keys[k]), &res->blkio_throttle[k],
				   &res->n_blkio_throttle[k]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* "2MB", "1GB", "64KB": the <hugepagesize> of the hugetlb files */
static bool pagesize_ok(const char *s)
{
	size_t d = strspn(s, "0123456789");

	if (d == 0 || d > 12 || s[0] == '0')
		return false;
	s += d;
	if (*s && strchr("KMGTPE", *s))
		s++;
	return streq(s, "B");
}

static int parse_hugepages(const struct jp *p, const char *path, json_t *v,
			   struct ward_resources *res)
{
	static const char *const keys[] = {"pageSize", "limit", NULL};
	json_t *e;
	size_t i;
	int r;

	if ((r = jp_array(p, path, v)) < 0)
		return r;
	res->hugepages = calloc(json_array_size(v) + 1, sizeof(*res->hugepages));
	if (!res->hugepages)
		return jp_enomem(p);
	json_array_foreach (v, i, e) {
		struct ward_hugepage_limit *h = &res->hugepages[i];
		char epath[JP_PATH_MAX], kpath[JP_PATH_MAX], q[72];
		json_t *f;

		jp_index(epath, path, i);
		if ((r = jp_check_keys(p, epath, e, keys)) < 0)
			return r;
		if ((r = jp_need(p, epath, e, "pageSize", kpath, &f)) < 0)
			return r;
		if ((r = jp_strdup(p, kpath, f, &h->pagesize)) < 0)
			return r;
		res->n_hugepages++;
		if (!pagesize_ok(h->pagesize))
			return jp_fail(p, kpath, "'%s' is not a size such as 2MB",
				       jp_quote(h->pagesize, q));
		if ((r = jp_need(p, epath, e, "limit", kpath, &f)) < 0)
			return r;
		if ((r = jp_uint64(p, kpath, f, &h->limit)) < 0)
			return r;
	}
	return 0;
}

static int parse_network(const struct jp *p, const char *path, json_t *v,
			 struct ward_resources *res)
{
	static const char *const keys[] = {"classID", "priorities", NULL};
	static const char *const prio_keys[] = {"name", "priority", NULL};
	char kpath[JP_PATH_MAX];
	json_t *prios, *e;
	size_t i;
	int r;

	if ((r = jp_check_keys(p, path, v, keys)) < 0 ||
	    (r = get_unsigned(p, path, v, "classID", UINT32_MAX, false, &res->net_cls_classid)) < 0)
		return r;
	jp_key(kpath, path, "priorities");
	prios = jp_get(v, "priorities");
	if (!prios)
		return 0;
	if ((r = jp_array(p, kpath, prios)) < 0)
		return r;
	res->net_prio = calloc(json_array_size(prios) + 1, sizeof(*res->net_prio));
	if (!res->net_prio)
		return jp_enomem(p);
	json_array_foreach (prios, i, e) {
		struct ward_net_prio *np = &res->net_prio[i];
		char epath[JP_PATH_MAX], fpath[JP_PATH_MAX];
		int64_t prio = 0;
		json_t *f;

		jp_index(epath, kpath, i);
		if ((r = jp_check_keys(p, epath, e, prio_keys)) < 0)
			return r;
		if ((r = jp_need(p, epath, e, "name", fpath, &f)) < 0)
			return r;
		if ((r = jp_strdup(p, fpath, f, &np->ifname)) < 0)
			return r;
		res->n_net_prio++;
		if (!*np->ifname || strlen(np->ifname) > 15 || strpbrk(np->ifname, " \t\n/"))
			return jp_fail(p, fpath, "not an interface name");
		jp_key(fpath, epath, "priority");
		if (!jp_get(e, "priority"))
			return jp_fail(p, fpath, "missing");
		if ((r = get_unsigned(p, epath, e, "priority", UINT32_MAX, false, &prio)) < 0)
			return r;
		np->priority = (uint32_t)prio;
	}
	return 0;
}

static int parse_rdma(const struct jp *p, const char *path, json_t *v, struct ward_resources *res)
{
	static const char *const keys[] = {"hcaHandles", "hcaObjects", NULL};
	const char *dev;
	json_t *e;
	int r;

	if ((r = jp_object(p, path, v)) < 0)
		return r;
	res->rdma = calloc(json_object_size(v) + 1, sizeof(*res->rdma));
	if (!res->rdma)
		return jp_enomem(p);
	json_object_foreach (v, dev, e) {
		struct ward_rdma_limit *l = &res->rdma[res->n_rdma];
		char epath[JP_PATH_MAX];

		jp_key(epath, path, dev);
		l->hca_handles = l->hca_objects = WARD_UNSET;
		l->device = strdup(dev);
		if (!l->device)
			return jp_enomem(p);
		res->n_rdma++;
		if (!*dev || strpbrk(dev, " \t\n/"))
			return jp_fail(p, epath, "not a device name");
		if ((r = jp_check_keys(p, epath, e, keys)) < 0 ||
		    (r = get_unsigned(p, epath, e, "hcaHandles", UINT32_MAX, false,
				      &l->hca_handles)) < 0 ||
		    (r = get_unsigned(p, epath, e, "hcaObjects", UINT32_MAX, false,
				      &l->hca_objects)) < 0)
			return r;
		if (l->hca_handles == WARD_UNSET && l->hca_objects == WARD_UNSET)
			return jp_fail(p, epath, "needs hcaHandles or hcaObjects");
	}
	return 0;
}

static int parse_unified(const struct jp *p, const char *path, json_t *v,
			 struct ward_resources *res)
{
	int r = jp_kv_map(p, path, v, &res->unified, &res->n_unified);

	if (r < 0)
		return r;
	for (size_t i = 0; i < res->n_unified; i++) {
		const char *k = res->unified[i].key;

		/* a file of the container's own cgroup directory */
		if (!*k || k[0] == '.' || strchr(k, '/') || !strchr(k, '.')) {
			char kpath[JP_PATH_MAX];

			jp_key(kpath, path, k);
			return jp_fail(p, kpath, "not a cgroup file name such as memory.high");
		}
	}
	return 0;
}

static int parse_device_rule(const struct jp *p, const char *path, json_t *v,
			     struct ward_device_rule *d)
{
	static const char *const keys[] = {"allow", "type", "major", "minor", "access", NULL};
	char kpath[JP_PATH_MAX], q[72];
	const char *s;
	json_t *e;
	int r;

	if ((r = jp_check_keys(p, path, v, keys)) < 0)
		return r;
	if ((r = jp_need(p, path, v, "allow", kpath, &e)) < 0)
		return r;
	if ((r = jp_bool(p, kpath, e, &d->allow)) < 0)
		return r;
	d->type = 'a';
	d->major = d->minor = -1;
	if ((e = jp_get(v, "type"))) {
		jp_key(kpath, path, "type");
		if ((r = jp_string(p, kpath, e, &s)) < 0)
			return r;
		if (*s && (s[1] || !strchr("acb", s[0])))
			return jp_fail(p, kpath, "'%s' is not a, c or b", jp_quote(s, q));
		if (*s)
			d->type = s[0];
	}
	if ((r = get_limit(p, path, v, "major", false, &d->major)) < 0 ||
	    (r = get_limit(p, path, v, "minor", false, &d->minor)) < 0)
		return r;
	if ((e = jp_get(v, "access"))) {
		jp_key(kpath, path, "access");
		if ((r = jp_string(p, kpath, e, &s)) < 0)
			return r;
		if (strlen(s) > 3 || strspn(s, "rwm") != strlen(s) ||
		    (s[0] && strchr(s + 1, s[0])) || (s[0] && s[1] && strchr(s + 2, s[1])))
			return jp_fail(p, kpath, "'%s' is not made of r, w and m", jp_quote(s, q));
		strcpy(d->access, s);
	}
	return 0;
}

static int parse_device_rules(const struct jp *p, const char *path, json_t *v,
			      struct ward_resources *res)
{
	json_t *e;
	size_t i;
	int r;

	if ((r = jp_array(p, path, v)) < 0)
		return r;
	res->devices = calloc(json_array_size(v) + 1, sizeof(*res->devices));
	if (!res->devices)
		return jp_enomem(p);
	json_array_foreach (v, i, e) {
		char epath[JP_PATH_MAX];

		jp_index(epath, path, i);
		r = parse_device_rule(p, epath, e, &res->devices[i]);
		if (r < 0)
			return r;
		res->n_devices++;
	}
	return 0;
}

int oci_add_default_device_rules(struct ward_resources *res)
{
	static const struct ward_device_rule rules[] = {
	    {true, 'c', -1, -1, "m"}, {true, 'b', -1, -1, "m"},    {true, 'c', 1, 3, "rwm"},
	    {true, 'c', 1, 5, "rwm"}, {true, 'c', 1, 7, "rwm"},    {true, 'c', 1, 8, "rwm"},
	    {true, 'c', 1, 9, "rwm"}, {true, 'c', 5, 0, "rwm"},    {true, 'c', 5, 1, "rwm"},
	    {true, 'c', 5, 2, "rwm"}, {true, 'c', 136, -1, "rwm"}, {true, 'c', 10, 200, "rwm"},
	};
	struct ward_device_rule *n =
	    realloc(res->devices, (res->n_devices + ARRAY_SIZE(rules)) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	memcpy(n + res->n_devices, rules, sizeof(rules));
	res->devices = n;
	res->n_devices += ARRAY_SIZE(rules);
	return 0;
}

int oci_parse_resources(const struct jp *p, const char *path, json_t *v, struct ward_resources *res)
{
	static const char *const keys[] = {
	    "devices",        "memory",  "cpu",  "pids",    "blockIO",
	    "hugepageLimits", "network", "rdma", "unified", NULL};
	static const struct {
		const char *key;
		int (*parse)(const struct jp *, const char *, json_t *, struct ward_resources *);
	} parts[] = {
	    {"devices", parse_device_rules},
	    {"memory", parse_memory},
	    {"cpu", parse_cpu},
	    {"pids", parse_pids},
	    {"blockIO", parse_blkio},
	    {"hugepageLimits", parse_hugepages},
	    {"network", parse_network},
	    {"rdma", parse_rdma},
	    {"unified", parse_unified},
	};
	int r;

	if (!v)
		return 0;
	r = jp_check_keys(p, path, v, keys);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		char kpath[JP_PATH_MAX];
		json_t *e = jp_get(v, parts[i].key);

		if (!e)
			continue;
		jp_key(kpath, path, parts[i].key);
		r = parts[i].parse(p, kpath, e, res);
		if (r < 0)
			return r;
	}
	return 0;
}

int oci_resources_from_json(json_t *obj, const char *name, struct ward_resources *res,
			    ward_err *err)
{
	struct jp p = {.name = name ? name : "resources", .err = err};
	int r;

	spec_resources_clear(res);
	if (!obj)
		return jp_fail(&p, NULL, "expected a JSON object");
	r = oci_parse_resources(&p, "", obj, res);
	if (r < 0)
		spec_resources_clear(res);
	return r;
}
