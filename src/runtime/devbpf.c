/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device rules on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program.
 *
 * cgroup v2 has no devices.allow/devices.deny files; the kernel asks a BPF
 * program attached to the cgroup instead, for every open and mknod of a
 * device node.  The program is generated here from the rule list:
 *
 *   r2 = type, r3 = access, r4 = major, r5 = minor   (from the context)
 *   for each rule, the last one first:
 *       if it does not match, jump to the next one
 *       return its verdict
 *   return 0 (deny)
 *
 * Later rules override earlier ones, as with devices.allow/deny written in
 * order (and as runc and crun read the list): the first match from the end
 * decides.  An allow rule matches when it grants every access asked for; a
 * deny rule when it takes away any of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/devbpf.h"
#include "util/cleanup.h"

/* the instruction encodings used below */
#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV_REG(dst, src)    INSN(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_IMM(dst, imm)    INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define AND_IMM(dst, imm)    INSN(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH_IMM(dst, imm)    INSN(BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, o) INSN(BPF_JMP | BPF_JNE | BPF_K, dst, 0, o, imm)
#define JEQ_IMM(dst, imm, o) INSN(BPF_JMP | BPF_JEQ | BPF_K, dst, 0, o, imm)
#define EXIT()               INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

enum { R0, R1, R2, R3, R4, R5 };

/* An empty access means all three, as the v1 driver writes it ("rwm") */
static unsigned access_bits(const char *access)
{
	unsigned a = 0;

	if (!*access)
		return BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
	for (const char *p = access; *p; p++)
		a |= *p == 'r'   ? BPF_DEVCG_ACC_READ
		     : *p == 'w' ? BPF_DEVCG_ACC_WRITE
		     : *p == 'm' ? BPF_DEVCG_ACC_MKNOD
				 : 0;
	return a;
}

#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

/* One rule's tests, each jumping over the rest of the block when it does
 * not match; the block ends with the verdict.  Returns the count written. */
static size_t emit_rule(const struct ward_device_rule *d, struct bpf_insn *out, bool *always)
{
	struct bpf_insn t[10];
	unsigned acc = access_bits(d->access);
	size_t n = 0, tests;

	/* the jump offsets need the block's length: tests first, patched */
	if (d->type == 'c' || d->type == 'b')
		t[n++] = JNE_IMM(R2, d->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, 0);
	if (acc != ACC_ALL) {
		t[n++] = MOV_REG(R0, R3);
		if (d->allow) {
			/* an access the rule does not grant was asked for */
			t[n++] = AND_IMM(R0, (int32_t)(~acc & ACC_ALL));
			t[n++] = JNE_IMM(R0, 0, 0);
		} else {
			/* none of the accesses it takes away was asked for */
			t[n++] = AND_IMM(R0, (int32_t)acc);
			t[n++] = JEQ_IMM(R0, 0, 0);
		}
	}
	if (d->major >= 0)
		t[n++] = JNE_IMM(R4, (int32_t)d->major, 0);
	if (d->minor >= 0)
		t[n++] = JNE_IMM(R5, (int32_t)d->minor, 0);
	tests = n;
	*always = tests == 0;
	t[n++] = MOV_IMM(R0, d->allow ? 1 : 0);
	t[n++] = EXIT();
	for (size_t i = 0; i < tests; i++)
		if (BPF_CLASS(t[i].code) == BPF_JMP)
			t[i].off = (int16_t)(n - i - 1); /* to the next block */
	memcpy(out, t, n * sizeof(*t));
	return n;
}

int devbpf_build(const struct ward_device_rule *rules, size_t n, struct bpf_insn **out, size_t *len)
{
	struct bpf_insn *p = calloc(8 + n * 10, sizeof(*p));
	bool always = false;
	size_t k = 0;

	if (!p)
		return -ENOMEM;
	p[k++] = LDX_W(R2, R1, offsetof(struct bpf_cgroup_dev_ctx, access_type));
	p[k++] = MOV_REG(R3, R2);
	p[k++] = AND_IMM(R2, 0xffff);
	p[k++] = RSH_IMM(R3, 16);
	p[k++] = LDX_W(R4, R1, offsetof(struct bpf_cgroup_dev_ctx, major));
	p[k++] = LDX_W(R5, R1, offsetof(struct bpf_cgroup_dev_ctx, minor));
	for (size_t i = 0; i < n; i++)
		if (rules[i].type != 'a' && rules[i].type != 'c' && rules[i].type != 'b') {
			free(p);
			return -EINVAL;
		}
	for (size_t i = n; i-- > 0;) {
		k += emit_rule(&rules[i], p + k, &always);
		/* a rule that matches everything decides for the rules before
		 * it: the verifier refuses unreachable code */
		if (always)
			break;
	}
	if (!always) {
		p[k++] = MOV_IMM(R0, 0);
		p[k++] = EXIT();
	}
	*out = p;
	*len = k;
	return 0;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* The IDs of the device programs attached to CGFD now. */
static int attached(int cgfd, uint32_t *ids, uint32_t *n)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.query.target_fd = (uint32_t)cgfd;
	a.query.attach_type = BPF_CGROUP_DEVICE;
	a.query.prog_ids = (uint64_t)(uintptr_t)ids;
	a.query.prog_cnt = *n;
	if (sys_bpf(BPF_PROG_QUERY, &a) < 0)
		return -errno;
	*n = a.query.prog_cnt;
	return 0;
}

int devbpf_attach(const char *cgroup_dir, const struct ward_device_rule *rules, size_t n,
		  ward_err *err)
{
	_cleanup_free_ struct bpf_insn *insns = NULL;
	_cleanup_close_ int cgfd = -1, prog = -1;
	uint32_t old[64], n_old = 64;
	union bpf_attr a;
	size_t len;
	int r;

	r = devbpf_build(rules, n, &insns, &len);
	if (r < 0)
		return werr(err, -r, "cgroup: device rules");
	cgfd = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return werr(err, errno, "cgroup: open %s", cgroup_dir);
	/* an update replaces the program the create attached */
	if (attached(cgfd, old, &n_old) < 0)
		n_old = 0;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = (uint32_t)len;
	a.license = (uint64_t)(uintptr_t) "GPL";
	prog = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (prog < 0 && errno == EINVAL) {
		/* the verifier refused it (ward's bug): its last word, once */
		static char log[4096];
		char *last;
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = sizeof(log);
		a.log_level = 1;
		log[0] = '\0';
		prog = (int)sys_bpf(BPF_PROG_LOAD, &a);
		if (prog < 0) {
			size_t l = strlen(log);
			while (l && log[l - 1] == '\n')
				log[--l] = '\0';
			last = strrchr(log, '\n');
			return werrx(err, EINVAL,
				     "cgroup: the kernel refused the device program: %s",
				     last ? last + 1 : log);
		}
	}
	if (prog < 0)
		return werr(err, errno, "cgroup: load the device program (%zu instructions)", len);
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)cgfd;
	a.attach_bpf_fd = (uint32_t)prog;
	a.attach_type = BPF_CGROUP_DEVICE;
	a.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
		return werr(err, errno, "cgroup: attach the device program to %s", cgroup_dir);
	for (uint32_t i = 0; i < n_old && i < 64; i++) {
		_cleanup_close_ int fd = -1;

		memset(&a, 0, sizeof(a));
		a.prog_id = old[i];
		fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
		if (fd < 0)
			continue;
		memset(&a, 0, sizeof(a));
		a.target_fd = (uint32_t)cgfd;
		a.attach_bpf_fd = (uint32_t)fd;
		a.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_DETACH, &a) < 0)
			return werr(err, errno, "cgroup: detach the old device program of %s",
				    cgroup_dir);
	}
	return 0;
}
