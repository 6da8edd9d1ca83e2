/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the seccomp profile parser: arbitrary bytes go
 * through jansson and seccomp_profile_from_json(); a profile that parses is
 * serialized as well.  Beyond the sanitizers' checks it asserts the error
 * contract: a refused profile gives EINVAL and one line that names the
 * source.
 *
 *   clang -g -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. -Isrc \
 *     tests/fuzz/fuzz_seccomp_profile.c src/spec/seccomp_profile.c \
 *     src/spec/seccomp_default.c src/spec/spec.c src/net/netspec.c \
 *     src/util/{err,fileutil,log,strutil}.c \
 *     -lseccomp -ljansson -lcap -lm
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec/seccomp_profile.h"
#include "spec/spec.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_seccomp *sc = NULL;
	ward_err err = {0};
	json_error_t jerr;
	json_t *root;

	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return 0;
	if (seccomp_profile_from_json(root, "fuzz.json", &sc, &err) == 0) {
		char *buf = NULL;
		size_t len = 0;

		if (seccomp_profile_serialize(sc, ~0ULL, &buf, &len) == 0 && len == 0)
			abort();
		free(buf);
		seccomp_free(sc);
	} else if (err.code != EINVAL && err.code != ENOMEM) {
		abort();
	} else if (strncmp(err.msg, "fuzz.json: ", 11) != 0 || strchr(err.msg, '\n')) {
		abort();
	}
	json_decref(root);
	return 0;
}
