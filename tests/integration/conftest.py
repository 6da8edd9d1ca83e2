# SPDX-License-Identifier: GPL-2.0-or-later
"""Fixtures for ward's integration tests.

Everything runs as root on a shared machine, so every test:
  - keeps ward's state in a temporary --root and --lib,
  - places cgroups beneath the test process's own cgroup (--cgroup-parent self),
  - never touches the root network namespace,
and checks afterwards that nothing was left behind.
"""
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("WARD_BUILD", REPO / "build"))
WARD = BUILD / "src" / "cli" / "ward"
WTEST = BUILD / "tests" / "wtest"
CGROUP_ROOT = Path("/sys/fs/cgroup")


# The cgroup parent handed to ward.  "self" (beneath the test process's own
# cgroup) works on v1 and hybrid hosts.  On a pure cgroup v2 host a cgroup
# that holds processes cannot have controllers enabled below it, so the test
# process moves itself into a leaf of its own cgroup and ward gets a sibling
# of that leaf, with the controllers enabled: still beneath our own cgroup.
#
# On v1 and hybrid hosts the parent is a directory of this test session's own
# (self/ward-tests-PID, which ward makes and removes as it needs it), so that
# the leftover checks see this session's containers only, not those of
# another test run on the same machine.
SESSION_CGROUP = f"ward-tests-{os.getpid()}"
CGROUP_PARENT = f"self/{SESSION_CGROUP}"
_V2_SETUP = None


def _setup_v2_delegation():
    global CGROUP_PARENT, _V2_SETUP
    with open("/proc/self/cgroup") as f:
        own = f.read().strip().split("::", 1)[1]
    base = CGROUP_ROOT / own.lstrip("/")
    leaf = base / "ward-tests-runner"
    parent = base / "ward-tests-parent"
    leaf.mkdir(exist_ok=True)
    # every process of our cgroup must move: the rule is about the cgroup
    for pid in (base / "cgroup.procs").read_text().split():
        try:
            (leaf / "cgroup.procs").write_text(pid)
        except OSError:
            pass
    wanted = [c for c in ("memory", "pids", "cpu", "cpuset", "io")
              if c in (base / "cgroup.controllers").read_text().split()]
    (base / "cgroup.subtree_control").write_text(" ".join("+" + c for c in wanted))
    parent.mkdir(exist_ok=True)
    (parent / "cgroup.subtree_control").write_text(" ".join("+" + c for c in wanted))
    CGROUP_PARENT = str(parent.relative_to(CGROUP_ROOT))
    _V2_SETUP = (base, leaf, parent)


def pytest_configure(config):
    if os.geteuid() != 0:
        raise pytest.UsageError("ward's integration tests run as root")
    for p in (WARD, WTEST):
        if not p.exists():
            raise pytest.UsageError(f"{p} is missing: build first (make)")
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        _setup_v2_delegation()


def pytest_unconfigure(config):
    for d in self_cgroup_dirs():
        try:
            (d / SESSION_CGROUP).rmdir()
        except OSError:
            pass
    if _V2_SETUP:
        base, leaf, parent = _V2_SETUP
        try:
            parent.rmdir()
        except OSError:
            pass


class Ward:
    """Runs the ward binary with a private state root."""

    def __init__(self, root, lib):
        self.root = Path(root)
        self.lib = Path(lib)
        self.bin = str(WARD)
        self.wtest = str(WTEST)

    def env(self, extra=None):
        e = dict(os.environ)
        # containers without --net get loopback only: these tests run in the
        # machine's own network namespace, which must never get a bridge
        e.update(WARD_ROOT=str(self.root), WARD_LIB=str(self.lib),
                 WARD_CGROUP_PARENT=CGROUP_PARENT, WARD_DEFAULT_NETWORK="none")
        e.pop("WARD_LOG_LEVEL", None)
        for k, v in (extra or {}).items():
            if v is None:
                e.pop(k, None)   # None: unset (ward's own default)
            else:
                e[k] = v
        return e

    def cmd(self, *args):
        return [self.bin, *map(str, args)]

    def run(self, *args, timeout=60, input=None, env=None, **kw):
        return subprocess.run(self.cmd(*args), capture_output=True, text=True,
                              timeout=timeout, input=input, env=self.env(env), **kw)

    def run_raw(self, argv, timeout=60, env=None, **kw):
        return subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                              timeout=timeout, env=self.env(env), **kw)

    def popen(self, *args, env=None, **kw):
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        kw.setdefault("text", True)
        return subprocess.Popen(self.cmd(*args), env=self.env(env), **kw)

    def jail(self, *wtest_args, opts=(), **kw):
        """ward run with the payload bound at /wtest (host template)."""
        return self.run("run", "--bind", f"{self.wtest}:/wtest:ro", *opts, "--",
                        "/wtest", *wtest_args, **kw)


@pytest.fixture
def ward(tmp_path):
    root = tmp_path / "root"
    lib = tmp_path / "lib"
    w = Ward(root, lib)
    yield w
    problems = leftovers(w)
    assert not problems, f"ward left things behind: {problems}"


@pytest.fixture
def sb(ward):
    """A network sandbox (netsandbox.py): ward runs in its "host" namespace;
    afterwards nothing of ward's may be left in it."""
    from netsandbox import Sandbox
    s = Sandbox(ward)
    try:
        yield s
        s.stop_all()
        problems = s.leftovers()
        assert not problems, f"ward left in the sandbox: {problems}"
    finally:
        s.close()


@pytest.fixture(scope="session")
def rootfs():
    """A busybox root filesystem with the test payload at /wtest."""
    d = Path(tempfile.mkdtemp(prefix="ward-rootfs-"))
    os.chmod(d, 0o755)
    for sub in ("bin", "etc", "proc", "sys", "dev", "tmp", "run", "var/tmp", "root"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    shutil.copy("/bin/busybox", d / "bin" / "busybox")
    for applet in ("sh", "true", "false", "echo", "cat", "ls", "id", "hostname", "sleep",
                   "ps", "mount", "env", "pwd", "stat", "touch", "mkdir"):
        os.symlink("busybox", d / "bin" / applet)
    shutil.copy(WTEST, d / "wtest")
    (d / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/sh\n")
    (d / "etc" / "group").write_text("root:x:0:\nwww:x:33:\nstaff:x:50:www\n")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def self_cgroup_dirs():
    """The caller's own cgroup directory in every mounted hierarchy."""
    mounts = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            fields = pre.split()
            fstype, _, superopts = post.split()[:3]
            if fstype == "cgroup2":
                mounts.setdefault("", fields[4])
            elif fstype == "cgroup":
                ctl = sorted(o for o in superopts.split(",")
                             if o not in ("rw", "ro", "xattr", "clone_children",
                                          "noprefix", "cpuset_v2_mode", "favordynmods")
                             and not o.startswith("release_agent"))
                mounts.setdefault(",".join(ctl), fields[4])
    dirs = []
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctl, path = line.rstrip("\n").split(":", 2)
            key = ",".join(sorted(ctl.split(","))) if ctl else ""
            if key in mounts:
                dirs.append(Path(mounts[key] + path))
    return dirs


def container_cgroup_bases():
    """Where ward puts containers' cgroups in these tests (PARENT, per
    hierarchy)."""
    if _V2_SETUP:
        return [_V2_SETUP[2]]
    return [d / SESSION_CGROUP for d in self_cgroup_dirs()]


def is_v2_host():
    return _V2_SETUP is not None


def ward_cgroups():
    """Every cgroup directory named ward-* beneath our own cgroups."""
    found = []
    bases = [d / SESSION_CGROUP for d in self_cgroup_dirs()]
    if _V2_SETUP:
        bases = [_V2_SETUP[0]]
    for base in bases:
        if not base.exists():
            continue
        for dirpath, dirnames, _ in os.walk(base):
            depth = len(Path(dirpath).relative_to(base).parts)
            for d in dirnames:
                if d.startswith("ward-") and not d.startswith("ward-tests-"):
                    found.append(os.path.join(dirpath, d))
            if depth >= 2:
                dirnames[:] = []
    return found


def leftovers(w, name=None):
    """What a ward run may have left: state, mounts, cgroups, processes."""
    problems = []
    if w.root.exists():
        extra = [p.name for p in w.root.iterdir()
                 if not p.name.startswith(".")]
        if extra:
            problems.append(f"state dirs {extra}")
    with open("/proc/self/mountinfo") as f:
        mnts = [l.split()[4] for l in f if str(w.root) in l.split()[4]]
    if mnts:
        problems.append(f"mounts {mnts}")
    # a container process may take a moment to be reaped by the kernel
    for _ in range(50):
        cgs = ward_cgroups()
        if not cgs:
            break
        time.sleep(0.02)
    if cgs:
        problems.append(f"cgroups {cgs}")
    procs = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            cg = (p / "cgroup").read_text()
        except OSError:
            continue
        # this session's containers only (another test run may be going)
        scope = _V2_SETUP[2].name if _V2_SETUP else SESSION_CGROUP
        if re.search(r"/" + re.escape(scope) + r"/ward-" +
                     (re.escape(name) if name else r"[\w.-]+") + r"(/|$)", cg, re.M):
            procs.append(p.name)
    if procs:
        problems.append(f"processes {procs}")
    return problems


def container_pid(w, name, timeout=10):
    """PID of a running container, from its state file."""
    deadline = time.time() + timeout
    f = w.root / name / "state.json"
    while time.time() < deadline:
        try:
            text = f.read_text()
        except OSError:
            text = ""
        if '"running"' in text:
            return int(re.search(r'"pid": (\d+)', text).group(1))
        time.sleep(0.02)
    raise AssertionError(f"container {name} did not start")


def kill_container(w, name, proc):
    """End a container the way an admin would: kill its process, let ward
    notice and clean up."""
    try:
        os.kill(container_pid(w, name), 9)
    except (ProcessLookupError, AssertionError):
        proc.kill()
    return proc.wait(timeout=20)


def status_field(text, key):
    m = re.search(rf"^{key}:\s*(\S+)", text, re.M)
    return m.group(1) if m else None


def default_caps_mask():
    names = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
             "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "AUDIT_WRITE", "SETFCAP"]
    bits = {"CHOWN": 0, "DAC_OVERRIDE": 1, "FOWNER": 3, "FSETID": 4, "KILL": 5,
            "SETGID": 6, "SETUID": 7, "SETPCAP": 8, "NET_BIND_SERVICE": 10,
            "SYS_CHROOT": 18, "AUDIT_WRITE": 29, "SETFCAP": 31}
    return sum(1 << bits[n] for n in names)


def subid_start():
    """Host uid that container root maps to under --userns auto."""
    try:
        for line in open("/etc/subuid"):
            name, start, count = line.strip().split(":")
            if name in ("root", "0"):
                return int(start)
    except (OSError, ValueError):
        pass
    return None
