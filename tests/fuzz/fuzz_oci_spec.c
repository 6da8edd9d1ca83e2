/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the OCI config.json reader (src/oci): arbitrary
 * bytes go through oci_json_load() (with its uint64 repair) and
 * oci_spec_from_json(); the same document is also read as an `exec`
 * process and as an `update` resources object.  Beyond the sanitizers it
 * asserts the error contract: a refusal leaves a positive errno and one
 * line that names the document.  root.path is pointed at the harness's
 * own empty rootfs so that the result does not depend on the machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "oci/oci.h"
#include "oci/oci_json.h"
#include "spec/spec.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char bundle[64];

static void check_error(const ward_err *err, int r)
{
	if (r >= 0 || err->code <= 0 || -r != err->code || !err->msg[0] || strchr(err->msg, '\n') ||
	    strncmp(err->msg, "fuzz.json", 9) != 0)
		abort();
}

static const char *setup(void)
{
	char path[96];

	if (bundle[0])
		return bundle;
	snprintf(bundle, sizeof(bundle), "/tmp/ward-fuzz-oci.XXXXXX");
	if (!mkdtemp(bundle))
		abort();
	snprintf(path, sizeof(path), "%s/rootfs", bundle);
	if (mkdir(path, 0755) < 0)
		abort();
	return bundle;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *b = setup();
	struct ward_spec *s = NULL;
	struct ward_process p = {0};
	struct ward_resources res;
	ward_err err = {0};
	json_t *doc, *root;
	int r;

	doc = oci_json_load((const char *)data, size, "fuzz.json", &err);
	if (!doc) {
		check_error(&err, -err.code);
		return 0;
	}
	root = json_object_get(doc, "root");
	if (json_is_object(root) && json_is_string(json_object_get(root, "path")))
		json_object_set_new(root, "path", json_string("rootfs"));

	r = oci_spec_from_json(doc, "fuzz.json", b, "fuzz", &s, &err);
	if (r < 0)
		check_error(&err, r);
	else if (!s || !s->rootfs || !s->bundle)
		abort();
	spec_free(s);

	r = oci_process_from_json(doc, "fuzz.json", &p, &err);
	if (r < 0)
		check_error(&err, r);
	else if (!p.args || !p.args[0] || !p.cwd || p.cwd[0] != '/')
		abort();
	process_clear(&p);

	spec_resources_init(&res);
	r = oci_resources_from_json(doc, "fuzz.json", &res, &err);
	if (r < 0)
		check_error(&err, r);
	spec_resources_clear(&res);
	json_decref(doc);
	return 0;
}
