/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Seccomp: compile in the parent, apply in the child.
 *
 * seccomp_compile() evaluates the profile's conditions (capabilities,
 * architecture, kernel version), has libseccomp build one classic BPF
 * program per ABI, and chains them into a plain malloc'd array, which the
 * cloned child inherits.  seccomp_apply() runs in the child and only makes
 * the seccomp(2) call: no libseccomp, no allocation.
 *
 * Compiling the default profile for three ABIs costs several milliseconds,
 * a large share of a container start, so compiled programs are cached on
 * disk, keyed by the profile's canonical serialization plus the facts of
 * this host that the conditions looked at.  A cache entry is used only when
 * its stored key is byte-identical; the hash in the file name just finds it.
 *
 * Error messages name the step ("SCMP_ACT_ERRNO rule for read"); the caller
 * adds "seccomp" and the container.
 */
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "runtime/seccomp.h"
#include "spec/seccomp_profile.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/strutil.h"

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define CACHE_MAGIC   "WARDBPF1"
#define ABIS_MAX      32
#define CACHE_KEY_MAX (1U << 20)

/* The cache file: this header, the key, the program.  The checksum covers
 * key and program, so a torn or damaged file is recompiled, not loaded. */
struct cache_header {
	char magic[8];
	uint32_t key_len;
	uint32_t n_insns;
	uint32_t flags;
	uint32_t notify;
	uint64_t sum;
};
_Static_assert(sizeof(struct cache_header) == 32, "cache header has no padding");

void ward_bpf_clear(struct ward_bpf *b)
{
	if (!b)
		return;
	free(b->insns);
	memset(b, 0, sizeof(*b));
}

bool seccomp_rule_applies(const struct ward_seccomp_rule *rule, uint64_t caps, const char *arch,
			  uint64_t kernel)
{
	uint64_t min;

	if ((caps & rule->caps_incl) != rule->caps_incl || (caps & rule->caps_excl))
		return false;
	if (rule->arches_incl && rule->arches_incl[0] && !strv_contains(rule->arches_incl, arch))
		return false;
	if (strv_contains(rule->arches_excl, arch))
		return false;
	if (rule->min_kernel) {
		if (seccomp_kernel_version_parse(rule->min_kernel, false, &min) < 0 || kernel < min)
			return false;
	}
	return true;
}

static uint32_t scmp_action(enum ward_seccomp_action a, int errno_ret, int default_errno)
{
	uint16_t data = (uint16_t)(errno_ret >= 0 ? errno_ret : default_errno);

	switch (a) {
	case WSC_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case WSC_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case WSC_TRAP:
		return SCMP_ACT_TRAP;
	case WSC_ERRNO:
		return SCMP_ACT_ERRNO(data);
	case WSC_TRACE:
		return SCMP_ACT_TRACE(data);
	case WSC_ALLOW:
		return SCMP_ACT_ALLOW;
	case WSC_LOG:
		return SCMP_ACT_LOG;
	case WSC_NOTIFY:
		return SCMP_ACT_NOTIFY;
	}
	return SCMP_ACT_KILL_PROCESS;
}

static enum scmp_compare scmp_op(enum ward_seccomp_op op)
{
	switch (op) {
	case WSC_OP_NE:
		return SCMP_CMP_NE;
	case WSC_OP_LT:
		return SCMP_CMP_LT;
	case WSC_OP_LE:
		return SCMP_CMP_LE;
	case WSC_OP_EQ:
		return SCMP_CMP_EQ;
	case WSC_OP_GE:
		return SCMP_CMP_GE;
	case WSC_OP_GT:
		return SCMP_CMP_GT;
	case WSC_OP_MASKED_EQ:
		return SCMP_CMP_MASKED_EQ;
	}
	return _SCMP_CMP_MIN; /* libseccomp rejects it */
}

static uint64_t running_kernel(void)
{
	struct utsname u;
	uint64_t v;

	/* unparseable: treat as ancient, so minKernel rules stay off */
	if (uname(&u) < 0 || seccomp_kernel_version_parse(u.release, false, &v) < 0)
		return 0;
	return v;
}

/* The ABIs the filter covers, native first. */
struct abis {
	uint32_t token[ABIS_MAX];
	size_t n;
};

static void list_abis(const struct ward_seccomp *sc, struct abis *abis)
{
	uint32_t native = seccomp_arch_native();

	abis->n = 0;
	abis->token[abis->n++] = native;
	if (!sc->architectures || !sc->architectures[0]) {
		/* empty list: native plus the compat ABIs the kernel runs */
		if (native == SCMP_ARCH_X86_64) {
			abis->token[abis->n++] = SCMP_ARCH_X86;
			abis->token[abis->n++] = SCMP_ARCH_X32;
		}
		return;
	}
	STRV_FOREACH (a, sc->architectures) {
		uint32_t t = seccomp_arch_token(*a);
		bool dup = false;

		if (!t) /* an architecture this libseccomp predates */
			continue;
		for (size_t i = 0; i < abis->n; i++)
			dup = dup || abis->token[i] == t;
		if (!dup && abis->n < ARRAY_SIZE(abis->token))
			abis->token[abis->n++] = t;
	}
}

static int add_rules(scmp_filter_ctx ctx, uint32_t abi, const struct ward_seccomp *sc,
		     uint64_t caps, uint32_t default_action, bool *notify, ward_err *err)
{
	const char *arch = seccomp_arch_native_name();
	uint64_t kernel = running_kernel();

	for (size_t i = 0; i < sc->n_rules; i++) {
		const struct ward_seccomp_rule *rule = &sc->rules[i];
		struct scmp_arg_cmp cmp[6];
		uint32_t action;

		if (!seccomp_rule_applies(rule, caps, arch, kernel))
			continue;
		action = scmp_action(rule->action, rule->errno_ret, sc->default_errno);
		/* libseccomp refuses a rule that repeats the default action;
		 * it would change nothing anyway */
		if (action == default_action)
			continue;
		if (rule->n_args > ARRAY_SIZE(cmp))
			return werrx(err, EINVAL, "more than %zu argument comparisons",
				     ARRAY_SIZE(cmp));
		for (size_t j = 0; j < rule->n_args; j++)
			cmp[j] = (struct scmp_arg_cmp){
			    .arg = rule->args[j].index,
			    .op = scmp_op(rule->args[j].op),
			    .datum_a = rule->args[j].value,
			    .datum_b = rule->args[j].value_two,
			};
		STRV_FOREACH (name, rule->names) {
			int r;

			/* not a call of this ABI, or one libseccomp does not
			 * know yet: nothing to filter */
			if (seccomp_syscall_resolve_name_arch(abi, *name) < 0)
				continue;
			/* numbers are given in native terms; libseccomp
			 * translates them for the filter's ABI */
			r = seccomp_rule_add_array(ctx, action, seccomp_syscall_resolve_name(*name),
						   (unsigned int)rule->n_args,
						   rule->n_args ? cmp : NULL);
			/* EEXIST: an earlier rule already decides these calls
			 * (also one libseccomp derived itself, as for x86's
			 * socketcall(), which carries the arguments of socket()
			 * and friends in memory).  The first rule wins. */
			if (r == -EEXIST)
				continue;
			if (r < 0)
				return werr(err, -r, "%s rule for %s",
					    seccomp_action_name(rule->action), *name);
			if (rule->action == WSC_NOTIFY)
				*notify = true;
		}
	}
	return 0;
}

static int export_program(scmp_filter_ctx ctx, struct sock_filter **out, size_t *len, ward_err *err)
{
	_cleanup_close_ int fd = memfd_create("ward-seccomp", MFD_CLOEXEC);
	_cleanup_free_ struct sock_filter *insns = NULL;
	struct stat st;
	size_t size, done = 0;
	int r;

	if (fd < 0)
		return werr(err, errno, "memfd_create");
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return werr(err, -r, "export the filter");
	if (fstat(fd, &st) < 0)
		return werr(err, errno, "stat the exported filter");
	size = (size_t)st.st_size;
	if (size == 0 || size % sizeof(*insns) || size / sizeof(*insns) > BPF_MAXINSNS)
		return werrx(err, E2BIG, "the filter has %zu bytes, more than the kernel takes",
			     size);
	insns = malloc(size);
	if (!insns)
		return werr(err, ENOMEM, "compile the filter");
	while (done < size) {
		ssize_t n = pread(fd, (char *)insns + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return werr(err, n < 0 ? errno : EIO, "read the exported filter");
		done += (size_t)n;
	}
	*out = TAKE_PTR(insns);
	*len = size / sizeof(**out);
	return 0;
}

/* One ABI's program.  Calls of any other ABI end in `bad_arch`, a return
 * value no rule uses, which link_programs() turns into a jump. */
static int compile_abi(const struct ward_seccomp *sc, uint64_t caps, uint32_t abi,
		       uint32_t bad_arch, bool *notify, struct sock_filter **insns, size_t *len,
		       ward_err *err)
{
	uint32_t default_action = scmp_action(sc->default_action, -1, sc->default_errno);
	uint32_t native = seccomp_arch_native();
	scmp_filter_ctx ctx;
	int r;

	ctx = seccomp_init(default_action);
	if (!ctx)
		return werrx(err, EINVAL, "libseccomp refused the default action %s",
			     seccomp_action_name(sc->default_action));
	r = 0;
	if (abi != native) {
		r = seccomp_arch_add(ctx, abi);
		if (r == 0)
			r = seccomp_arch_remove(ctx, native);
	}
	/* ward sets no_new_privs itself, before the filter is loaded;
	 * the binary tree keeps lookups short with a few hundred rules */
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, bad_arch);
	if (r < 0)
		r = werr(err, -r, "set up the filter for architecture %u", abi);
	if (r == 0)
		r = add_rules(ctx, abi, sc, caps, default_action, notify, err);
	if (r == 0)
		r = export_program(ctx, insns, len, err);
	seccomp_release(ctx);
	return r;
}

/* A TRACE value that no rule and not the default action returns. */
static uint32_t unused_action(const struct ward_seccomp *sc)
{
	for (uint32_t data = 0xffff;; data--) {
		uint32_t v = SCMP_ACT_TRACE(data);
		bool used = scmp_action(sc->default_action, -1, sc->default_errno) == v;

		for (size_t i = 0; i < sc->n_rules && !used; i++)
			used = scmp_action(sc->rules[i].action, sc->rules[i].errno_ret,
					   sc->default_errno) == v;
		if (!used || data == 0)
			return v;
	}
}

/*
 * Chain the per-ABI programs: in each one, the return for "another ABI"
 * becomes a jump to the start of the next program; in the last one it
 * kills the process.  libseccomp can put several ABIs into one program
 * itself, but its generator slows down sharply with each ABI (22 ms for
 * the default profile on x86_64, x86 and x32 together, against 2-3 ms for
 * each on its own), and the chained result checks the same things.
 */
static int link_programs(struct sock_filter **progs, const size_t *lens, size_t n,
			 uint32_t bad_arch, struct ward_bpf *out, ward_err *err)
{
	struct sock_filter *all;
	size_t total = 0, start = 0;

	for (size_t i = 0; i < n; i++)
		total += lens[i];
	if (total > BPF_MAXINSNS)
		return werrx(err, E2BIG, "the filter has %zu instructions, the kernel takes %d",
			     total, BPF_MAXINSNS);
	all = malloc(total * sizeof(*all));
	if (!all)
		return werr(err, ENOMEM, "compile the filter");
	for (size_t i = 0; i < n; i++) {
		size_t next = start + lens[i];

		memcpy(all + start, progs[i], lens[i] * sizeof(*all));
		for (size_t pc = start; pc < next; pc++) {
			if (all[pc].code != (BPF_RET | BPF_K) || all[pc].k != bad_arch)
				continue;
			if (i + 1 == n)
				all[pc].k = SECCOMP_RET_KILL_PROCESS;
			else
				all[pc] = (struct sock_filter)BPF_JUMP(
				    BPF_JMP | BPF_JA, (uint32_t)(next - pc - 1), 0, 0);
		}
		start = next;
	}
	out->insns = all;
	out->len = (unsigned short)total;
	return 0;
}

static int profile_flags(const struct ward_seccomp *sc, unsigned int *flags, ward_err *err)
{
	*flags = 0;
	STRV_FOREACH (f, sc->flags) {
		unsigned int v = seccomp_flag_value(*f);
		if (!v)
			return werrx(err, EINVAL, "unknown flag \"%s\"", *f);
		*flags |= v;
	}
	return 0;
}

static int compile_filter(const struct ward_seccomp *sc, uint64_t caps, struct ward_bpf *out,
			  ward_err *err)
{
	struct sock_filter *progs[ABIS_MAX] = {NULL};
	size_t lens[ABIS_MAX] = {0};
	uint32_t bad_arch = unused_action(sc);
	bool notify = false;
	struct abis abis;
	unsigned int flags;
	int r;

	r = profile_flags(sc, &flags, err);
	if (r < 0)
		return r;
	list_abis(sc, &abis);
	for (size_t i = 0; i < abis.n && r == 0; i++)
		r = compile_abi(sc, caps, abis.token[i], bad_arch, &notify, &progs[i], &lens[i],
				err);
	if (r == 0)
		r = link_programs(progs, lens, abis.n, bad_arch, out, err);
	for (size_t i = 0; i < abis.n; i++)
		free(progs[i]);
	if (r < 0)
		return r;
	/* The flags belong to the seccomp(2) call, not to the program, and
	 * ward makes that call itself, so they travel beside it.  A listener
	 * and TSYNC together need TSYNC_ESRCH, or the two return values
	 * would clash. */
	if (notify && (flags & SECCOMP_FILTER_FLAG_TSYNC))
		flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	/* WAIT_KILLABLE_RECV qualifies the listener; without one the kernel
	 * refuses it, and it would mean nothing anyway */
	if (!notify)
		flags &= ~(unsigned int)SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	out->flags = flags;
	out->notify = notify;
	out->from_cache = false;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the compiled-filter cache */

static uint64_t fnv1a64(const void *p, size_t len)
{
	const unsigned char *data = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= data[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The profile's serialization plus what the compiler read from this host:
 * the native architecture and the kernel version (minKernel). */
static int cache_key(const struct ward_seccomp *sc, uint64_t caps, char **key, size_t *len)
{
	_cleanup_free_ char *ser = NULL;
	_cleanup_free_ char *host = NULL;
	struct utsname u;
	size_t ser_len, host_len;
	char *k;
	int r, n;

	r = seccomp_profile_serialize(sc, caps, &ser, &ser_len);
	if (r < 0)
		return r;
	if (uname(&u) < 0)
		return neg_errno();
	n = asprintf(&host, "host %s %zu:%s\n", seccomp_arch_native_name(), strlen(u.release),
		     u.release);
	if (n < 0)
		return -ENOMEM;
	host_len = (size_t)n;
	/* the serialization is binary (it contains NUL bytes): copy by length */
	if (ser_len + host_len > CACHE_KEY_MAX)
		return -E2BIG;
	k = malloc(ser_len + host_len + 1);
	if (!k)
		return -ENOMEM;
	memcpy(k, ser, ser_len);
	memcpy(k + ser_len, host, host_len + 1);
	*key = k;
	*len = ser_len + host_len;
	return 0;
}

static bool cache_load(const char *path, const char *key, size_t key_len, struct ward_bpf *out)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	struct cache_header h;
	struct stat st;
	size_t size, done = 0, want;

	if (fd < 0 || fstat(fd, &st) < 0)
		return false;
	/* a program from someone else's file would be trusted blindly */
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return false;
	size = (size_t)st.st_size;
	if (size < sizeof(h) || size > sizeof(h) + CACHE_KEY_MAX + BPF_MAXINSNS * 8)
		return false;
	buf = malloc(size);
	if (!buf)
		return false;
	while (done < size) {
		ssize_t n = pread(fd, buf + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, CACHE_MAGIC, sizeof(h.magic)) != 0 || h.key_len != key_len ||
	    h.n_insns == 0 || h.n_insns > BPF_MAXINSNS)
		return false;
	want = sizeof(h) + key_len + (size_t)h.n_insns * sizeof(struct sock_filter);
	if (size != want || memcmp(buf + sizeof(h), key, key_len) != 0 ||
	    fnv1a64(buf + sizeof(h), size - sizeof(h)) != h.sum)
		return false;
	out->insns = malloc((size_t)h.n_insns * sizeof(struct sock_filter));
	if (!out->insns)
		return false;
	memcpy(out->insns, buf + sizeof(h) + key_len,
	       (size_t)h.n_insns * sizeof(struct sock_filter));
	out->len = (unsigned short)h.n_insns;
	out->flags = h.flags;
	out->notify = h.notify != 0;
	out->from_cache = true;
	return true;
}

static void cache_store(const char *dir, const char *path, const char *key, size_t key_len,
			const struct ward_bpf *bpf)
{
	size_t prog = (size_t)bpf->len * sizeof(struct sock_filter);
	struct cache_header h = {
	    .key_len = (uint32_t)key_len,
	    .n_insns = bpf->len,
	    .flags = bpf->flags,
	    .notify = bpf->notify,
	};
	_cleanup_free_ char *buf = malloc(sizeof(h) + key_len + prog);

	if (!buf || mkdir_p(dir, 0700) < 0)
		return;
	memcpy(h.magic, CACHE_MAGIC, sizeof(h.magic));
	memcpy(buf + sizeof(h), key, key_len);
	memcpy(buf + sizeof(h) + key_len, bpf->insns, prog);
	h.sum = fnv1a64(buf + sizeof(h), key_len + prog);
	memcpy(buf, &h, sizeof(h));
	/* best effort: a cache that cannot be written only costs time */
	(void)write_file_atomic(path, buf, sizeof(h) + key_len + prog, 0600);
}

int seccomp_compile(const struct ward_seccomp *sc, uint64_t caps, const char *cache_dir,
		    struct ward_bpf *out, ward_err *err)
{
	_cleanup_free_ char *key = NULL, *path = NULL;
	size_t key_len = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if (!sc)
		return werrx(err, EINVAL, "no profile");
	if (cache_dir && cache_key(sc, caps, &key, &key_len) == 0) {
		path = xasprintf("%s/seccomp-%016" PRIx64 ".bpf", cache_dir, fnv1a64(key, key_len));
		if (path && cache_load(path, key, key_len, out))
			return 0;
	}
	r = compile_filter(sc, caps, out, err);
	if (r < 0)
		return r;
	if (path)
		cache_store(cache_dir, path, key, key_len, out);
	return 0;
}

/* This binary's GNU build-id (from its own ELF notes), or 0 bytes. */
struct build_id {
	unsigned char id[64];
	size_t len;
};

static int find_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
	struct build_id *b = data;

	if (info->dlpi_name && info->dlpi_name[0])
		return 0; /* only the main program */
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p, *end;

		if (ph->p_type != PT_NOTE)
			continue;
		p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)(const void *)p;
			const char *name = p + sizeof(*n);
			const char *desc = name + ((n->n_namesz + 3) & ~3u);

			if (desc + n->n_descsz > end)
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
			    memcmp(name, "GNU", 4) == 0 && n->n_descsz <= sizeof(b->id)) {
				memcpy(b->id, desc, n->n_descsz);
				b->len = n->n_descsz;
				return 1;
			}
			p = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return 0;
}

int seccomp_compile_default(uint64_t caps, const char *cache_dir, struct ward_bpf *out,
			    ward_err *err)
{
	static const char magic[16] = "wardsc-default\0";
	_cleanup_free_ char *host = NULL, *path = NULL, *key = NULL;
	struct build_id b = {0};
	struct ward_seccomp *sc;
	struct utsname u;
	size_t key_len = 0;
	uint64_t relevant;
	int r;

	memset(out, 0, sizeof(*out));
	dl_iterate_phdr(find_build_id, &b);
	/* without a build-id (or a cache) the profile itself is the key */
	if (b.len && cache_dir && uname(&u) == 0) {
		const struct scmp_version *ver = seccomp_version();
		uint64_t v[3];
		int n = asprintf(&host, "host %s %zu:%s\n", seccomp_arch_native_name(),
				 strlen(u.release), u.release);

		if (n < 0)
			return werr(err, ENOMEM, "seccomp");
		relevant = caps & seccomp_default_relevant_caps();
		v[0] = b.len;
		v[1] = relevant;
		v[2] = ver ? ((uint64_t)ver->major << 32 | (uint64_t)ver->minor << 16 | ver->micro)
			   : 0;
		key_len = sizeof(magic) + sizeof(v) + b.len + (size_t)n;
		key = malloc(key_len + 1);
		if (!key)
			return werr(err, ENOMEM, "seccomp");
		memcpy(key, magic, sizeof(magic));
		memcpy(key + sizeof(magic), v, sizeof(v));
		memcpy(key + sizeof(magic) + sizeof(v), b.id, b.len);
		memcpy(key + sizeof(magic) + sizeof(v) + b.len, host, (size_t)n + 1);
		path = xasprintf("%s/seccomp-%016" PRIx64 ".bpf", cache_dir, fnv1a64(key, key_len));
		if (path && cache_load(path, key, key_len, out))
			return 0;
	}
	sc = seccomp_default_profile();
	if (!sc)
		return werr(err, ENOMEM, "default seccomp profile");
	if (!key) {
		r = seccomp_compile(sc, caps, cache_dir, out, err);
		seccomp_free(sc);
		return r;
	}
	r = compile_filter(sc, caps, out, err);
	seccomp_free(sc);
	if (r < 0)
		return r;
	if (path)
		cache_store(cache_dir, path, key, key_len, out);
	return 0;
}

int seccomp_apply(const struct ward_bpf *bpf, int *listener_fd, ward_err *err)
{
	struct sock_fprog prog = {.len = bpf->len, .filter = bpf->insns};
	unsigned int flags = bpf->flags;
	long r;

	if (listener_fd)
		*listener_fd = -1;
	if (!bpf->insns || !bpf->len)
		return werrx(err, EINVAL, "no seccomp program to load");
	if (bpf->notify)
		flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	r = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (r < 0)
		return werr(err, errno, "load the seccomp filter");
	if (bpf->notify) {
		if (listener_fd)
			*listener_fd = (int)r;
		else
			close((int)r);
	} else if (r > 0) {
		/* TSYNC: thread r could not take the filter */
		return werrx(err, ESRCH, "load the seccomp filter: thread %ld has another one", r);
	}
	return 0;
}
