/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading runtime-spec JSON: the loader (with its uint64 repair) and the
 * typed getters every part of the OCI parser uses.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/jparse.h"
#include "oci/oci_json.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/log.h"
#include "util/strutil.h"

/* ------------------------------------------------------------------ */
/* loading */

/* jansson holds integers as int64 and refuses anything larger, but Go
 * clients write uint64 fields such as an rlimit of RLIM_INFINITY as
 * 18446744073709551615.  Rewrite each integer literal in (INT64_MAX,
 * UINT64_MAX] outside strings as its two's complement; the uint64 getter
 * turns it back.  Returns NULL (and *out_len untouched) when nothing
 * needed rewriting. */
static char *repair_big_ints(const char *text, size_t len, size_t *out_len, bool *oom)
{
	char *out = NULL;
	size_t o = 0, copied = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		size_t start = i, end;
		unsigned long long v;
		char num[32], rep[32];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
			continue;
		}
		if (!isdigit((unsigned char)c) ||
		    (i > 0 && (text[i - 1] == '-' || text[i - 1] == '.' ||
			       isalnum((unsigned char)text[i - 1]))))
			continue;
		for (end = i; end < len && isdigit((unsigned char)text[end]); end++)
			;
		i = end - 1;
		/* a plain, non-negative integer of 19 or 20 digits */
		if (end - start < 19 || end - start > 20 ||
		    (end < len && (text[end] == '.' || text[end] == 'e' || text[end] == 'E')))
			continue;
		memcpy(num, text + start, end - start);
		num[end - start] = '\0';
		errno = 0;
		v = strtoull(num, NULL, 10);
		if (errno == ERANGE || v <= (unsigned long long)INT64_MAX)
			continue;
		if (!out) {
			/* each rewrite grows by at most one byte */
			out = malloc(len + len / 19 + 2);
			if (!out) {
				*oom = true;
				return NULL;
			}
		}
		memcpy(out + o, text + copied, start - copied);
		o += start - copied;
		snprintf(rep, sizeof(rep), "%" PRId64, (int64_t)v);
		memcpy(out + o, rep, strlen(rep));
		o += strlen(rep);
		copied = end;
	}
	if (!out)
		return NULL;
	memcpy(out + o, text + copied, len - copied);
	o += len - copied;
	out[o] = '\0';
	*out_len = o;
	return out;
}

json_t *oci_json_load(const char *text, size_t len, const char *name, ward_err *err)
{
	_cleanup_free_ char *fixed = NULL;
	size_t fixed_len = 0;
	bool oom = false;
	json_error_t jerr;
	json_t *root;

	fixed = repair_big_ints(text, len, &fixed_len, &oom);
	if (oom) {
		werr(err, ENOMEM, "%s", name);
		return NULL;
	}
	root = json_loadb(fixed ? fixed : text, fixed ? fixed_len : len, JSON_REJECT_DUPLICATES,
			  &jerr);
	if (!root) {
		/* jansson quotes the offending token, control characters and all */
		for (char *c = jerr.text; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
		werrx(err, EINVAL, "%s: line %d column %d: %s", name, jerr.line, jerr.column,
		      jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		werrx(err, EINVAL, "%s: expected a JSON object", name);
		return NULL;
	}
	return root;
}

json_t *oci_json_load_file(const char *path, const char *name, ward_err *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = read_file(path, &text, &len);

	if (r < 0) {
		werr(err, -r, "%s", name ? name : path);
		return NULL;
	}
	return oci_json_load(text, len, name ? name : path, err);
}

/* ------------------------------------------------------------------ */
/* locations and messages */

static void mark_cut(char *buf, int n)
{
	if (n >= JP_PATH_MAX)
		memcpy(buf + JP_PATH_MAX - 4, "...", 4);
}

void jp_key(char out[JP_PATH_MAX], const char *path, const char *key)
{
	char q[72];

	mark_cut(out,
		 snprintf(out, JP_PATH_MAX, "%s%s%s", path, *path ? "." : "", jp_quote(key, q)));
}

void jp_index(char out[JP_PATH_MAX], const char *path, size_t i)
{
	mark_cut(out, snprintf(out, JP_PATH_MAX, "%s[%zu]", path, i));
}

const char *jp_quote(const char *s, char buf[72])
{
	return str_for_message(s, buf, 68); /* 64 characters and "..." */
}

int jp_need(const struct jp *p, const char *path, json_t *obj, const char *key,
	    char kpath[JP_PATH_MAX], json_t **out)
{
	jp_key(kpath, path, key);
	*out = jp_get(obj, key);
	return *out ? 0 : jp_fail(p, kpath, "missing");
}

int jp_fail(const struct jp *p, const char *path, const char *fmt, ...)
{
	char msg[WARD_ERR_MSG_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path && *path)
		return werrx(p->err, EINVAL, "%s: %s: %s", p->name, path, msg);
	return werrx(p->err, EINVAL, "%s: %s", p->name, msg);
}

int jp_enomem(const struct jp *p)
{
	return werr(p->err, ENOMEM, "%s", p->name);
}

int jp_unsupported(const struct jp *p, const char *path)
{
	return werrx(p->err, ENOTSUP, "%s: %s: not supported by ward", p->name, path);
}

/* ------------------------------------------------------------------ */
/* getters */

json_t *jp_get(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return v && !json_is_null(v) ? v : NULL;
}

int jp_object(const struct jp *p, const char *path, json_t *v)
{
	return json_is_object(v) ? 0 : jp_fail(p, path, "expected an object");
}

int jp_array(const struct jp *p, const char *path, json_t *v)
{
	return json_is_array(v) ? 0 : jp_fail(p, path, "expected an array");
}

int jp_check_keys(const struct jp *p, const char *path, json_t *obj, const char *const *known)
{
	const char *key;
	json_t *v;
	int r = jp_object(p, path, obj);

	if (r < 0)
		return r;
	json_object_foreach (obj, key, v) {
		bool ok = false;

		for (size_t i = 0; known[i] && !ok; i++)
			ok = streq(known[i], key);
		/* runtime-spec (config.md, "Extensibility"): a runtime MUST
		 * NOT error on an unknown property but ignore it.  Keys the
		 * spec defines and ward cannot honour are in the callers'
		 * lists and refused there by name. */
		if (!ok && ward_log_enabled(WLOG_DEBUG)) {
			char kpath[JP_PATH_MAX];

			jp_key(kpath, path, key);
			wdebug("%s: %s: unknown key, ignored", p->name, kpath);
		}
	}
	return 0;
}

int jp_string(const struct jp *p, const char *path, json_t *v, const char **out)
{
	if (!json_is_string(v))
		return jp_fail(p, path, "expected a string");
	*out = json_string_value(v);
	if (strlen(*out) != json_string_length(v))
		return jp_fail(p, path, "string contains a NUL byte");
	return 0;
}

int jp_strdup(const struct jp *p, const char *path, json_t *v, char **out)
{
	const char *s;
	char *d;
	int r = jp_string(p, path, v, &s);

	if (r < 0)
		return r;
	d = strdup(s);
	if (!d)
		return jp_enomem(p);
	free(*out);
	*out = d;
	return 0;
}

int jp_bool(const struct jp *p, const char *path, json_t *v, bool *out)
{
	if (!json_is_boolean(v))
		return jp_fail(p, path, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

int jp_int(const struct jp *p, const char *path, json_t *v, int64_t min, int64_t max, int64_t *out)
{
	json_int_t i;

	if (!json_is_integer(v))
		return jp_fail(p, path, "expected an integer");
	i = json_integer_value(v);
	if (i < min || i > max)
		return jp_fail(p, path,
			       "%" JSON_INTEGER_FORMAT " is out of range (%" PRId64 " to %" PRId64
			       ")",
			       i, min, max);
	*out = i;
	return 0;
}

int jp_uint(const struct jp *p, const char *path, json_t *v, uint64_t max, uint64_t *out)
{
	json_int_t i;

	if (!json_is_integer(v))
		return jp_fail(p, path, "expected an integer");
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return jp_fail(
		    p, path, "%" JSON_INTEGER_FORMAT " is out of range (0 to %" PRIu64 ")", i, max);
	*out = (uint64_t)i;
	return 0;
}

int jp_uint64(const struct jp *p, const char *path, json_t *v, uint64_t *out)
{
	if (!json_is_integer(v))
		return jp_fail(p, path, "expected an integer");
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int jp_each_string(const struct jp *p, const char *path, json_t *v, jp_string_fn fn, void *data)
{
	char epath[JP_PATH_MAX];
	json_t *e;
	size_t i;

	if (!v)
		return 0;
	if (!json_is_array(v))
		return jp_fail(p, path, "expected an array of strings");
	json_array_foreach (v, i, e) {
		const char *s;
		int r;

		jp_index(epath, path, i);
		r = jp_string(p, epath, e, &s);
		if (r == 0)
			r = fn(p, epath, s, data);
		if (r < 0)
			return r;
	}
	return 0;
}

struct strv_job {
	bool nonempty;
	char ***out;
};

static int strv_add(const struct jp *p, const char *epath, const char *s, void *data)
{
	const struct strv_job *j = data;

	if (j->nonempty && !*s)
		return jp_fail(p, epath, "empty string");
	return strv_push(j->out, s) < 0 ? jp_enomem(p) : 0;
}

int jp_strv(const struct jp *p, const char *path, json_t *v, bool nonempty, char ***out)
{
	struct strv_job j = {nonempty, out};

	return jp_each_string(p, path, v, strv_add, &j);
}

int jp_kv_map(const struct jp *p, const char *path, json_t *v, struct ward_kv **out, size_t *n)
{
	const char *key;
	json_t *e;
	int r;

	if (!v)
		return 0;
	r = jp_object(p, path, v);
	if (r < 0)
		return r;
	json_object_foreach (v, key, e) {
		char kpath[JP_PATH_MAX];
		struct ward_kv *nk;
		const char *s;

		jp_key(kpath, path, key);
		r = jp_string(p, kpath, e, &s);
		if (r < 0)
			return r;
		nk = realloc(*out, (*n + 1) * sizeof(*nk));
		if (!nk)
			return jp_enomem(p);
		*out = nk;
		nk[*n].key = strdup(key);
		nk[*n].value = strdup(s);
		if (!nk[*n].key || !nk[*n].value) {
			free(nk[*n].key);
			free(nk[*n].value);
			return jp_enomem(p);
		}
		(*n)++;
	}
	return 0;
}

int jp_abs_path(const struct jp *p, const char *path, json_t *v, char **out)
{
	const char *s, *c;
	char q[72];
	int r = jp_string(p, path, v, &s);

	if (r < 0)
		return r;
	if (s[0] != '/')
		return jp_fail(p, path, "'%s' is not an absolute path", jp_quote(s, q));
	for (c = s; *c; c = strchrnul(c + 1, '/')) {
		const char *n = c + 1;
		size_t l = strcspn(n, "/");
		if ((l == 1 && n[0] == '.') || (l == 2 && n[0] == '.' && n[1] == '.'))
			return jp_fail(p, path, "'%s' has a '.' or '..' component", jp_quote(s, q));
	}
	return jp_strdup(p, path, v, out);
}

int jp_idmaps(const struct jp *p, const char *path, json_t *v, struct ward_idmap **maps, size_t *n)
{
	static const char *const keys[] = {"containerID", "hostID", "size", NULL};
	json_t *e;
	size_t i;
	int r;

	if (!v)
		return 0;
	r = jp_array(p, path, v);
	if (r < 0)
		return r;
	json_array_foreach (v, i, e) {
		char epath[JP_PATH_MAX], kpath[JP_PATH_MAX];
		uint64_t val[3];

		jp_index(epath, path, i);
		r = jp_check_keys(p, epath, e, keys);
		if (r < 0)
			return r;
		for (int k = 0; k < 3; k++) {
			json_t *f = jp_get(e, keys[k]);

			jp_key(kpath, epath, keys[k]);
			if (!f)
				return jp_fail(p, kpath, "missing");
			r = jp_uint(p, kpath, f, UINT32_MAX, &val[k]);
			if (r < 0)
				return r;
		}
		if (val[2] == 0)
			return jp_fail(p, kpath, "a mapping of no ids");
		if (val[0] + val[2] > (uint64_t)UINT32_MAX + 1 ||
		    val[1] + val[2] > (uint64_t)UINT32_MAX + 1)
			return jp_fail(p, epath, "the range goes past id 4294967295");
		if (spec_add_idmap(maps, n, (uint32_t)val[0], (uint32_t)val[1], (uint32_t)val[2]) <
		    0)
			return jp_enomem(p);
	}
	return 0;
}
