#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run the OCI runtime-tools validation suite against an OCI runtime.

  run.py --runtime PATH --junit FILE [--cache DIR] [--timeout S] [--budget S]
         [--logs DIR] [--expected FILE] [TEST...]
  run.py --prepare [--cache DIR]       only install, fetch and build
  run.py --list [--cache DIR]          the names of the test binaries

As root, on Debian.  Steps:
  1. packages: `scripts/deps.sh conformance` (Go, the golang-*-dev libraries
     the suite imports, busybox-static, iproute2);
  2. source: Debian's source package golang-github-opencontainers-runtime-
     tools, fetched with apt through a private deb-src list and private apt
     state in the cache (the system's apt configuration is left alone), the
     orig tarball checked against the archive's SHA-256;
  3. build: the validation test binaries and runtimetest, with Debian's Go
     in GOPATH mode, offline (GOPROXY=off), the one import Debian lacks
     (github.com/mndrix/tap-go) provided by tests/conformance/tap-go;
  4. a busybox-static rootfs tarball laid out like upstream's;
  5. the run: every test binary, one after the other, in private mount,
     cgroup and network namespaces (see "Isolation"), each with a timeout
     (--timeout, 60 s; the slowest binary takes ~20 s) and all within a
     budget (--budget, 900 s; binaries not started by then fail as not run);
  6. a JUnit report: one test case per test binary.  A binary with no
     failure passes; one whose failures tests/conformance/expected-failures
     explains (and whose condition holds on this machine) is skipped with
     the reason; any other failure fails.  The raw totals (TAP "ok" and
     "not ok" lines) are properties of the test suite and the last line
     printed, to compare with other runtimes (crun 1.8.1 on a machine like
     CI's: 3573 passed, 25 failed).

Steps 1-4 are cached in --cache (default /var/cache/ward-oci-suite, or
$WARD_CONFORMANCE_CACHE), keyed on the source version, the Go version and
BUILD_REV; from nothing, fetching and building take about 20 s (2 CPUs)
plus the package downloads, and a run of the 58 binaries 70-80 s.

When the machine cannot provide something the suite needs (not root, no
unshare, no cgroup hierarchy, the Debian archive unreachable with nothing
cached) the report holds one skipped test case saying what, and the exit
status is 0.  Exit status: 0 when nothing failed, 1 otherwise.

Isolation: the tests run in `unshare --mount --cgroup --net --propagation
private`.  Before unsharing, the runner makes a parent cgroup
"ward-conformance.PID" below its own cgroup in every hierarchy and enters it;
inside, the hierarchies are mounted again, so every cgroup the suite or the
runtime makes (including the suite's absolute "/cgrouptest") lands below
that parent.  After each test binary the processes left in those cgroups
(all started by this run) are killed and the cgroups removed; at the end the
parent goes too.  /run is a private tmpfs (runtime state never mixes with
the host's); "/" is made rshared inside, like a systemd host.  The private
network namespace gets lo and a veth pair (some tests read the first two
interfaces); nothing is done in the root network namespace: no addresses,
routes, firewall rules or sysctls.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SRCPKG = "golang-github-opencontainers-runtime-tools"
# upstream e931285 (0.9.0 + 109 commits), in trixie; bookworm's orig
# tarball is not on the mirrors.  The newest version found is the fallback.
PIN = "0.9.0.109.ge931285"
SUITES = "bookworm trixie sid"
BUILD_REV = "2"  # bump when the build recipe changes
DEFAULT_CACHE = "/var/cache/ward-oci-suite"
CRUN_REFERENCE = "crun 1.8.1 on a machine like CI's: 3573 passed, 25 failed"
V1_CONTROLLERS = {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls",
                  "net_prio", "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc"}
TAP_LOG_LIMIT = 64 * 1024  # bytes of TAP/stderr kept in the JUnit report per test


class Skip(Exception):
    """The machine cannot provide something the suite needs."""


class SetupError(Exception):
    """Obtaining or building the suite failed: a failure, not a skip."""


def log(msg):
    print(f"conformance: {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------- packages ----

def ensure_packages(cache):
    """scripts/deps.sh conformance: quiet when everything is installed."""
    r = subprocess.run([str(REPO / "scripts" / "deps.sh"), "conformance"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if r.returncode == 0:
        return
    (cache / "deps.log").write_text(r.stdout + r.stderr)
    if not archive_reachable(cache):
        raise Skip("the Debian archive is unreachable and the suite's packages are missing "
                   "(scripts/deps.sh conformance)")
    raise SetupError(f"scripts/deps.sh conformance failed: {(r.stdout + r.stderr).strip()[-300:]}")


# --------------------------------------------------------------- source ----

def apt_opts(cache):
    """apt options for the private deb-src list and state in the cache."""
    a = cache / "apt"
    return ["-o", "Dir::Etc::SourceList=/dev/null",
            "-o", f"Dir::Etc::SourceParts={a}/sources.list.d",
            "-o", f"Dir::State::Lists={a}/lists",
            "-o", f"Dir::Cache={a}/cache",
            "-o", "APT::Sandbox::User=root", "-o", "Acquire::Retries=2"]


def debian_mirror():
    """The archive URI the system's apt already uses for Debian main."""
    r = subprocess.run(["apt-get", "indextargets", "--format",
                        "$(REPO_URI) $(RELEASE) $(COMPONENT)"],
                       capture_output=True, text=True)
    rows = [l.split() for l in r.stdout.splitlines() if len(l.split()) == 3]
    codename = ""
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("VERSION_CODENAME="):
                codename = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    for uri, rel, comp in rows:
        if rel == codename and comp == "main":
            return uri
    for uri, rel, comp in rows:
        if comp == "main" and "security" not in uri:
            return uri
    raise Skip("no Debian archive in the apt configuration")


def write_src_list(cache):
    a = cache / "apt"
    for d in ("sources.list.d", "lists/partial", "cache/archives/partial"):
        (a / d).mkdir(parents=True, exist_ok=True)
    keyring = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
    text = (f"Types: deb-src\nURIs: {debian_mirror()}\nSuites: {SUITES}\nComponents: main\n"
            + (f"Signed-By: {keyring}\n" if keyring.exists() else ""))
    (a / "sources.list.d" / "ward-conformance.sources").write_text(text)


def apt_src_update(cache):
    write_src_list(cache)
    return subprocess.run(["apt-get", "-q", *apt_opts(cache), "update"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True)


# apt's words for "the archive cannot be reached" (as opposed to "it has
# no such file", which is a failure of this recipe, not of the machine)
UNREACHABLE = re.compile(r"Could not resolve|Temporary failure resolving|Could not connect|"
                         r"Connection timed out|Network is unreachable|No route to host|"
                         r"Connection refused|Unable to connect")


def archive_reachable(cache):
    r = apt_src_update(cache)
    return not UNREACHABLE.search(r.stdout + r.stderr)


def source_candidates(cache):
    """(version, sha256, orig tarball name) of every version of SRCPKG in the
    private indexes: the pinned one first, then newest first."""
    r = subprocess.run(["apt-cache", *apt_opts(cache), "showsrc", "--only-source", SRCPKG],
                       capture_output=True, text=True)
    found = {}
    for para in r.stdout.split("\n\n"):
        ver = re.search(r"^Version: (\S+)", para, re.M)
        sums = re.search(r"^Checksums-Sha256:\n((?: .*\n?)+)", para, re.M)
        if not ver or not sums:
            continue
        for line in sums.group(1).splitlines():
            f = line.split()
            if len(f) == 3 and ".orig.tar." in f[2]:
                found[ver.group(1)] = (f[0], f[2])
    vers = sorted(found, key=debian_version_key, reverse=True)
    vers.sort(key=lambda v: v.rsplit("-", 1)[0] != PIN and v != PIN)
    return [(v, *found[v]) for v in vers]


def debian_version_key(v):
    """Good enough ordering of Debian versions: numeric runs compare as numbers."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", v)]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_source(cache):
    """Unpacked source tree of SRCPKG in cache/src/VERSION; returns its path."""
    src = cache / "src"
    have = sorted((d for d in src.glob("*") if (d / "validation").is_dir()),
                  key=lambda d: (d.name.rsplit("-", 1)[0] == PIN, debian_version_key(d.name)))
    if have:
        return have[-1]
    log(f"fetching the {SRCPKG} source package from the Debian archive")
    r = apt_src_update(cache)
    (cache / "apt-update.log").write_text(r.stdout + r.stderr)
    cands = source_candidates(cache)
    if not cands:
        if UNREACHABLE.search(r.stdout + r.stderr):
            raise Skip(f"the Debian archive is unreachable (see {cache}/apt-update.log)")
        raise SetupError(f"no source package {SRCPKG} in {SUITES} (see {cache}/apt-update.log)")
    dl = cache / "dl"
    dl.mkdir(parents=True, exist_ok=True)
    for ver, want, orig in cands:
        r = subprocess.run(["apt-get", "-q", *apt_opts(cache), "source", "--download-only",
                            f"{SRCPKG}={ver}"], cwd=dl, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True)
        with open(cache / "source.log", "a") as f:
            f.write(r.stdout + r.stderr)
        tarball = dl / orig
        if not tarball.exists() or sha256(tarball) != want:
            tarball.unlink(missing_ok=True)
            continue
        tmp = Path(tempfile.mkdtemp(prefix=".unpack.", dir=cache))
        subprocess.run(["tar", "-xf", str(tarball), "-C", str(tmp), "--strip-components=1"],
                       check=True)
        if not (tmp / "validation").is_dir() or not (tmp / "cmd" / "runtimetest").is_dir():
            shutil.rmtree(tmp)
            continue
        src.mkdir(exist_ok=True)
        shutil.rmtree(src / ver, ignore_errors=True)
        tmp.rename(src / ver)
        shutil.rmtree(cache / "apt", ignore_errors=True)  # indexes no longer needed
        if ver.rsplit("-", 1)[0] != PIN:
            log(f"warning: using runtime-tools {ver} ({PIN} is not available)")
        return src / ver
    if UNREACHABLE.search((cache / "source.log").read_text()):
        raise Skip(f"the Debian archive is unreachable (see {cache}/source.log)")
    raise SetupError(f"could not download an orig tarball of {SRCPKG} (tried "
                     f"{', '.join(c[0] for c in cands)}; see {cache}/source.log)")


# ---------------------------------------------------------------- build ----

def go_version():
    r = subprocess.run(["go", "version"], capture_output=True, text=True)
    if r.returncode != 0:
        raise SetupError("go does not run (golang-go)")
    return r.stdout.strip()


def build_suite(cache, srcdir):
    """Build runtimetest and the validation binaries; returns the bin dir."""
    ver = srcdir.name
    bindir = cache / "bin" / ver
    tapsrc = (HERE / "tap-go" / "tap.go").read_bytes()
    stamp = (f"rev={BUILD_REV} src={ver} go={go_version()} "
             f"tap={hashlib.sha256(tapsrc).hexdigest()[:16]}")
    if ((bindir / ".stamp").exists() and (bindir / ".stamp").read_text() == stamp
            and (bindir / "runtimetest").exists() and (bindir / "validation").is_dir()):
        return bindir
    log(f"building the runtime-tools {ver} validation suite")
    t0 = time.monotonic()
    work = cache / "build"
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(bindir, ignore_errors=True)
    gopath = work / "gopath"
    tree = gopath / "src/github.com/opencontainers/runtime-tools"
    tree.parent.mkdir(parents=True)
    shutil.copytree(srcdir, tree, symlinks=True)
    tap = gopath / "src/github.com/mndrix/tap-go"
    tap.mkdir(parents=True)
    (tap / "tap.go").write_bytes(tapsrc)
    (bindir / "validation").mkdir(parents=True)
    # GOPATH mode, offline: our tree first, then Debian's golang-*-dev packages
    env = dict(os.environ, GO111MODULE="off", GOFLAGS="", GOENV="off", GOPROXY="off",
               GOTOOLCHAIN="local", GOPATH=f"{gopath}:/usr/share/gocode",
               GOCACHE=str(work / "gocache"), HOME=str(work))
    tests = sorted(d.name for d in (tree / "validation").iterdir()
                   if d.is_dir() and d.name != "util")
    try:
        version = (tree / "VERSION").read_text().strip()
    except OSError:
        version = "unknown"
    ldflags = f"-s -w -X main.version={version} -X main.gitCommit=debian-{ver}"
    steps = [
        # runtimetest runs inside the busybox rootfs: static
        (["go", "build", "-trimpath", "-tags", "netgo osusergo", "-ldflags", ldflags,
          "-o", str(bindir / "runtimetest"), "./cmd/runtimetest"], {"CGO_ENABLED": "0"}),
        (["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", str(bindir / "validation") + "/",
          *[f"./validation/{t}" for t in tests]], {}),
    ]
    with open(cache / "build.log", "w") as logf:
        for cmd, extra in steps:
            r = subprocess.run(cmd, cwd=tree, env=dict(env, **extra), stdin=subprocess.DEVNULL,
                               stdout=logf, stderr=subprocess.STDOUT)
            if r.returncode != 0:
                shutil.rmtree(bindir, ignore_errors=True)
                tail = (cache / "build.log").read_text()[-600:]
                raise SetupError(f"building the suite failed (see {cache}/build.log): {tail}")
    (bindir / ".stamp").write_text(stamp)
    shutil.rmtree(work, ignore_errors=True)
    log(f"built {len(tests)} test binaries in {time.monotonic() - t0:.0f}s")
    return bindir


def build_rootfs(cache):
    """rootfs-<arch>.tar.gz: static busybox with its applet links, /etc/passwd
    and /etc/group, like upstream's tarball.  busybox must be static: the
    hook tests run <bundle>/bin/sh on the host."""
    bb = Path("/bin/busybox")
    r = subprocess.run(["dpkg", "-L", "busybox-static"], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if line.endswith("/bin/busybox"):
            bb = Path(line)
    if not bb.exists():
        raise SetupError("busybox-static is not installed")
    bbver = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "busybox-static"],
                           capture_output=True, text=True).stdout
    arch = subprocess.run(["go", "env", "GOARCH"], capture_output=True, text=True,
                          env=dict(os.environ, GOENV="off")).stdout.strip() or "amd64"
    out = cache / f"rootfs-{arch}.tar.gz"
    stampf = cache / f"rootfs-{arch}.stamp"
    stamp = f"rev={BUILD_REV} busybox-static={bbver}"
    if out.exists() and stampf.exists() and stampf.read_text() == stamp:
        return out
    applets = subprocess.run([str(bb), "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    files = {
        "etc/passwd": "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/:/bin/false\n"
                      "bin:x:2:2:bin:/bin:/bin/false\nnobody:x:65534:65534:nobody:/:/bin/false\n",
        "etc/group": "root:x:0:\ndaemon:x:1:\nbin:x:2:\ntty:x:5:\nusers:x:100:\nnogroup:x:65534:\n",
    }
    entries = []  # (name, type, mode, data or link target), in a fixed order

    def add(name, kind, mode, data=None):
        entries.append((name, kind, mode, data))
    # "." too: extracting it gives the bundle directory (made 0700 by the
    # suite) mode 0755, which the user-namespace tests need to enter it
    for d, mode in ((".", 0o755), ("bin", 0o755), ("dev", 0o755), ("etc", 0o755), ("mnt", 0o755),
                    ("proc", 0o755), ("root", 0o700), ("sys", 0o755), ("tmp", 0o1777),
                    ("usr", 0o755)):
        add(d, tarfile.DIRTYPE, mode)
    add("bin/busybox", tarfile.REGTYPE, 0o755, bb.read_bytes())
    for a in sorted(set(applets) - {"busybox"}):
        add(f"bin/{a}", tarfile.SYMTYPE, 0o777, "busybox")
    add("sbin", tarfile.SYMTYPE, 0o777, "bin")
    add("usr/bin", tarfile.SYMTYPE, 0o777, "../bin")
    add("usr/sbin", tarfile.SYMTYPE, 0o777, "../bin")
    for name, text in files.items():
        add(name, tarfile.REGTYPE, 0o644, text.encode())
    tmp = out.with_suffix(".tmp")
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0,
                                               filename="") as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, kind, mode, data in sorted(entries, key=lambda e: e[0]):
            info = tarfile.TarInfo("./" + name if name != "." else ".")
            info.type, info.mode, info.mtime = kind, mode, 0
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if kind == tarfile.SYMTYPE:
                info.linkname = data
                tar.addfile(info)
            elif kind == tarfile.REGTYPE:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    tmp.rename(out)
    stampf.write_text(stamp)
    return out


# -------------------------------------------------------------- cgroups ----

def cgroup_mounts(hidden_too=False):
    """[(fstype, mountpoint, options, mount root)] of the cgroup hierarchies
    under /sys/fs/cgroup.  On a hybrid host the cgroup2 "unified" mount is
    left out (unless hidden_too): the suite checks v1 only, and runtimes
    treat a cgroup2 tree with controllers as a reason to refuse."""
    out = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, right = line.split(" - ", 1)
        lf, rf = left.split(), right.split()
        fstype, mnt, root = rf[0], lf[4], lf[3]
        if fstype not in ("cgroup", "cgroup2"):
            continue
        if mnt != "/sys/fs/cgroup" and not mnt.startswith("/sys/fs/cgroup/"):
            continue
        opts = [o for o in rf[2].split(",") if o not in ("rw", "ro")
                and not o.startswith("release_agent=")]
        out.append((fstype, mnt, ",".join(opts), root))
    if not hidden_too and any(m[0] == "cgroup" for m in out):
        out = [m for m in out if not (m[0] == "cgroup2" and m[1] != "/sys/fs/cgroup")]
    return out


def own_cgroup(fstype, opts):
    """Our cgroup path in the hierarchy of that mount (from /proc/self/cgroup)."""
    want = {o for o in opts.split(",") if o in V1_CONTROLLERS or o.startswith("name=")}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        hid, ctl, path = line.split(":", 2)
        if fstype == "cgroup2" and hid == "0" and ctl == "":
            return path
        if fstype == "cgroup" and want and set(ctl.split(",")) == want:
            return path
    return None


def copy_cpuset(parent, child):
    """A new v1 cpuset cgroup starts empty: give it its parent's CPUs and nodes."""
    for f in ("cpuset.cpus", "cpuset.mems"):
        if (child / f).exists():
            try:
                (child / f).write_text((parent / f).read_text())
            except OSError:
                pass


def cgroup_dirs(top):
    """Every cgroup directory at and below top, deepest first."""
    dirs = [Path(d) for d, _, _ in os.walk(top)]
    return sorted(dirs, key=lambda p: len(p.parts), reverse=True)


def reap_cgroups(top, keep=()):
    """Kill the processes in the cgroups at and below top (all of them started
    by this run), then remove those cgroups, except the paths in keep (which
    must hold no process of the tests).  True when nothing is left."""
    me = str(os.getpid())
    for _ in range(40):
        busy = False
        for d in cgroup_dirs(top):
            if d in keep:
                continue
            for f, v in (("freezer.state", "THAWED"), ("cgroup.freeze", "0"), ("cgroup.kill", "1")):
                if (d / f).exists():
                    try:
                        (d / f).write_text(v)
                    except OSError:
                        pass
            try:
                pids = (d / "cgroup.procs").read_text().split()
            except OSError:
                pids = []
            for pid in pids:
                if pid != me:
                    busy = True
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except OSError:
                        pass
        if busy:
            time.sleep(0.1)
        for d in cgroup_dirs(top):
            if d not in keep:
                try:
                    d.rmdir()
                except OSError:
                    pass
        if not top.exists() or all(d in keep for d in cgroup_dirs(top)):
            return True
        time.sleep(0.2)
    return False


# ----------------------------------------------------- machine conditions --

def probe_conditions(mounts, parents):
    """The machine properties named in expected-failures: True when the
    machine lacks the feature.  Probes use the run's own parent cgroups."""
    v1 = {m[1]: set(m[2].split(",")) for m in mounts if m[0] == "cgroup"}
    ctl = set().union(*v1.values()) if v1 else set()
    cond = {"always": True, "cgroup-v2-only": not v1}

    blkio = [p for p in parents if "blkio" in p[1]]
    cond["no-blkio-weight"] = not blkio or not all(
        (blkio[0][0] / f).exists() for f in ("blkio.weight", "blkio.leaf_weight"))
    cond["no-v1-hugetlb"] = "hugetlb" not in ctl
    cond["no-v1-net"] = not {"net_cls", "net_prio"} <= ctl

    # kmem: the file may still exist while the kernel ignores writes to it
    # (Linux 6.x); try a limit in a scratch cgroup below our parent.
    mem = [p for p in parents if "memory" in p[1]]
    cond["no-kmem-limit"] = True
    if mem:
        probe = mem[0][0] / "kmem-probe"
        try:
            probe.mkdir()
            f = probe / "memory.kmem.limit_in_bytes"
            f.write_text("104857600")
            cond["no-kmem-limit"] = int(f.read_text()) != 104857600
        except (OSError, ValueError):
            pass
        finally:
            try:
                probe.rmdir()
            except OSError:
                pass

    try:
        aa = Path("/sys/module/apparmor/parameters/enabled").read_text().strip()
    except OSError:
        aa = "N"
    cond["no-apparmor"] = aa != "Y"

    bnd = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapBnd:"):
            bnd = int(line.split()[1], 16)
    cond["no-cap-sys-resource"] = not bnd & (1 << 24)
    return cond


def load_expected(path):
    """{test: [(condition, max or None for any, reason)]} from expected-failures."""
    out = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        f = line.split(None, 3)
        if len(f) < 4 or not (f[2].isdigit() or f[2] == "*"):
            raise SetupError(f"{path}:{n}: want 'TEST CONDITION MAX REASON'")
        out.setdefault(f[0], []).append((f[1], None if f[2] == "*" else int(f[2]), f[3]))
    return out


# ------------------------------------------------------------------ TAP ----

def count_tap(tap, rc, name):
    """Counts of one test binary's output, by the rules of the yardstick:
    ok (not SKIP), not ok (not TODO), skipped, and a reason when the binary
    itself failed (exit status, no result, fewer results than planned).
    A stream with plan 1..0 and no result (the hook tests) counts one pass,
    or one failure when it carries a YAML "error"; a *_fail test that exits
    0 silently (the runtime refused, as it must) counts one pass."""
    ok = notok = skip = 0
    bad = []
    streams = []
    cur = None
    in_yaml = False
    for line in tap.splitlines():
        if line.startswith("TAP version"):
            cur = {"plan": None, "results": 0, "error": False}
            streams.append(cur)
            continue
        if cur is None and (line.startswith("ok") or line.startswith("not ok")
                            or line.startswith("1..")):
            cur = {"plan": None, "results": 0, "error": False}
            streams.append(cur)
        if re.match(r"ok(\s|$)", line):
            cur["results"] += 1
            if re.search(r"#\s*skip", line, re.I):
                skip += 1
            else:
                ok += 1
        elif re.match(r"not ok(\s|$)", line):
            cur["results"] += 1
            if re.search(r"#\s*todo", line, re.I):
                skip += 1
            else:
                notok += 1
        elif re.match(r"1\.\.\d+", line):
            cur["plan"] = int(line[3:].split()[0])
        elif line.startswith("  ---"):
            in_yaml = True
        elif line.startswith("  ..."):
            in_yaml = False
        elif in_yaml and re.match(r'\s*"error":', line) and cur:
            cur["error"] = True
    for s in streams:
        if s["results"] == 0 and s["plan"] == 0:
            if rc == 0:
                if s["error"]:
                    notok += 1
                else:
                    ok += 1
        elif s["results"] == 0:
            bad.append("no result")
        elif s["plan"] and s["results"] != s["plan"]:
            bad.append(f"plan {s['plan']}, got {s['results']}")
    reason = ""
    if rc == "timeout":
        reason = "timed out"
    elif rc < 0:
        reason = f"killed by signal {-rc}"
    elif rc != 0:
        reason = f"exit status {rc}"
    elif ok + notok + skip == 0 and not tap.strip() and name.endswith("_fail"):
        ok = 1
    elif ok + notok + skip == 0:
        reason = "no TAP result"
    elif bad:
        reason = "malformed TAP: " + ", ".join(bad)
    return ok, notok, skip, reason


# ---------------------------------------------------------------- inner ----

def sh(*cmd):
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)


def join_cgroups(dirs):
    """preexec_fn: move the new process into each of dirs."""
    def enter():
        for d in dirs:
            with open(os.path.join(d, "cgroup.procs"), "w") as f:
                f.write("0")
    return enter


def inner(cfg_path):
    """Runs inside the private namespaces: set them up, run each test."""
    cfg = json.loads(Path(cfg_path).read_text())
    mounts = [tuple(m) for m in cfg["mounts"]]
    cgroot = Path("/sys/fs/cgroup")

    # the hierarchies again, now seen from the new cgroup namespace: their
    # root is our parent cgroup
    links = {}
    if sh("stat", "-f", "-c", "%T", str(cgroot)).stdout.strip() == "tmpfs":
        links = {p.name: os.readlink(p) for p in cgroot.iterdir() if p.is_symlink()}
    for m in sorted(cfg["all_mounts"], key=lambda m: m[1], reverse=True):
        sh("umount", "-l", m[1])
    if sh("mountpoint", "-q", str(cgroot)).returncode == 0:
        sh("umount", "-l", str(cgroot))
    if not any(m[0] == "cgroup2" and m[1] == str(cgroot) for m in mounts):
        sh("mount", "-t", "tmpfs", "-o", "mode=755,nosuid,nodev,noexec", "tmpfs", str(cgroot))
    for fstype, mnt, opts, _ in mounts:
        os.makedirs(mnt, exist_ok=True)
        cmd = ["mount", "-t", fstype] + (["-o", opts] if opts else []) + [fstype, mnt]
        r = sh(*cmd)
        if r.returncode != 0:
            print(f"cannot mount {fstype} {opts} at {mnt}: {r.stderr.strip()}", file=sys.stderr)
            return 2
    for name, target in links.items():
        if not (cgroot / name).exists():
            os.symlink(target, cgroot / name)
    # the runner waits in "/runner"; "/cgrouptest" and the like are siblings
    for _, mnt, _, _ in mounts:
        os.makedirs(f"{mnt}/runner", exist_ok=True)
        copy_cpuset(Path(mnt), Path(mnt, "runner"))
        Path(mnt, "runner", "cgroup.procs").write_text(str(os.getpid()))

    sh("mount", "-t", "tmpfs", "-o", "mode=755,nosuid,nodev", "tmpfs", "/run")
    sh("mount", "--make-rshared", "/")
    # inside the private network namespace only
    sh("ip", "link", "set", "lo", "up")
    sh("ip", "link", "add", "wardconf0", "type", "veth", "peer", "name", "wardconf1")

    work, tmp, logs = Path(cfg["work"]), Path(cfg["tmp"]), Path(cfg["logs"])
    env = dict(os.environ, RUNTIME=cfg["runtime"], TMPDIR=str(tmp))
    results = {}
    deadline = time.monotonic() + cfg["budget"]
    for t in cfg["tests"]:
        left = deadline - time.monotonic()
        if left < 5:
            break  # the remaining tests are reported as not run
        test_cgroups = []
        for _, mnt, _, _ in mounts:
            d = Path(mnt, "test")
            d.mkdir(exist_ok=True)
            copy_cpuset(Path(mnt), d)
            test_cgroups.append(str(d))
        t0 = time.monotonic()
        with open(logs / f"{t}.tap", "wb") as out, open(logs / f"{t}.err", "wb") as err:
            p = subprocess.Popen([str(Path(cfg["bindir"], "validation", t))], cwd=work, env=env,
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                 start_new_session=True, preexec_fn=join_cgroups(test_cgroups))
            try:
                rc = p.wait(timeout=min(cfg["timeout"], left))
            except subprocess.TimeoutExpired:
                rc = "timeout"
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
                p.wait()
        dur = time.monotonic() - t0
        # leftovers: containers, monitors, cgroups, bundles
        clean = all(reap_cgroups(Path(mnt), keep={Path(mnt), Path(mnt, "runner")})
                    for _, mnt, _, _ in mounts)
        for x in tmp.iterdir():
            if x.is_dir() and not x.is_symlink():
                shutil.rmtree(x, ignore_errors=True)
            else:
                x.unlink(missing_ok=True)
        results[t] = {"rc": rc, "seconds": round(dur, 2), "clean": clean}
        Path(cfg["results"]).write_text(json.dumps(results))
    return 0


# ---------------------------------------------------------------- outer ----

class Run:
    """One run: the parent cgroups, the run directory, the namespace child."""

    def __init__(self, cache):
        self.cache = cache
        self.parents = []   # [(path, set of controllers/options)]
        self.rundir = None
        self.child = None

    def make_parents(self, mounts):
        name = f"ward-conformance.{os.getpid()}"
        for fstype, mnt, opts, root in mounts:
            own = own_cgroup(fstype, opts)
            if own is None:
                raise Skip(f"cannot find our own cgroup in the hierarchy at {mnt}")
            if root != "/" and own.startswith(root):
                own = own[len(root):] or "/"
            d = Path(mnt + own.rstrip("/")) / name
            try:
                d.mkdir()
            except OSError as e:
                raise Skip(f"cannot make a cgroup below our own in {mnt}: {e}")
            self.parents.append((d, set(opts.split(","))))
            copy_cpuset(d.parent, d)

    def cleanup(self):
        if self.child and self.child.poll() is None:
            log("interrupted: killing the tests and removing their cgroups")
            try:
                self.child.kill()
            except OSError:
                pass
            self.child.wait()
        for d, _ in self.parents:
            if not reap_cgroups(d):
                log(f"warning: could not remove cgroup {d}")
        if self.rundir:
            shutil.rmtree(self.rundir, ignore_errors=True)


def junit_skip(path, reason):
    Path(path).write_text(
        '<?xml version="1.0"?>\n<testsuite name="conformance" tests="1" skipped="1">'
        f'<testcase classname="conformance" name="runtime-tools validation">'
        f'<skipped message={quoteattr(reason)}/></testcase></testsuite>\n')


def junit_error(path, reason):
    Path(path).write_text(
        '<?xml version="1.0"?>\n<testsuite name="conformance" tests="1" errors="1">'
        f'<testcase classname="conformance" name="runtime-tools validation">'
        f'<error message={quoteattr(reason[:500])}>{escape(reason)}</error>'
        '</testcase></testsuite>\n')


def tail(path, limit=TAP_LOG_LIMIT):
    try:
        data = Path(path).read_bytes()
    except OSError:
        return ""
    if len(data) > limit:
        data = b"[...]\n" + data[-limit:]
    # keep the XML valid: drop control characters other than tab and newline
    return re.sub(r"[\x00-\x08\x0b-\x1f]", "", data.decode("utf-8", "replace"))


def prepare(cache):
    cache.mkdir(parents=True, exist_ok=True)
    ensure_packages(cache)
    srcdir = fetch_source(cache)
    bindir = build_suite(cache, srcdir)
    rootfs = build_rootfs(cache)
    tests = sorted(p.name for p in (bindir / "validation").iterdir() if os.access(p, os.X_OK))
    return srcdir, bindir, rootfs, tests


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--inner":
        return inner(sys.argv[2])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runtime", help="the OCI runtime binary")
    ap.add_argument("--junit", help="JUnit report to write")
    ap.add_argument("--cache", default=os.environ.get("WARD_CONFORMANCE_CACHE", DEFAULT_CACHE))
    ap.add_argument("--timeout", type=int,
                    default=int(os.environ.get("WARD_CONFORMANCE_TIMEOUT", "60")),
                    help="seconds per test binary (default 60; the slowest takes ~20)")
    ap.add_argument("--budget", type=int,
                    default=int(os.environ.get("WARD_CONFORMANCE_BUDGET", "900")),
                    help="seconds for the whole run (default 900); tests not started "
                         "by then fail as not run")
    ap.add_argument("--expected", default=str(HERE / "expected-failures"))
    ap.add_argument("--logs", help="per-test TAP and stderr (default CACHE/logs/RUNTIME)")
    ap.add_argument("--prepare", action="store_true", help="install, fetch and build only")
    ap.add_argument("--list", action="store_true", help="list the test binaries")
    ap.add_argument("tests", nargs="*", help="test binaries to run (default: all)")
    a = ap.parse_args()
    if not (a.prepare or a.list) and not (a.runtime and a.junit):
        ap.error("--runtime and --junit are needed")
    cache = Path(a.cache).resolve()

    run = Run(cache)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, f: sys.exit(128 + s))
    t_start = time.monotonic()
    try:
        if os.geteuid() != 0:
            raise Skip("needs root (namespaces, cgroups, mounts)")
        if not shutil.which("unshare"):
            raise Skip("unshare (util-linux) is not installed")
        runtime = None
        if a.runtime:
            runtime = Path(a.runtime).absolute()
            if not os.access(runtime, os.X_OK):
                raise SetupError(f"runtime {runtime} is not an executable")
        expected = load_expected(Path(a.expected))
        srcdir, bindir, rootfs, alltests = prepare(cache)
        t_prepared = time.monotonic()
        if a.list:
            print("\n".join(alltests))
            return 0
        if a.prepare:
            log(f"ready: runtime-tools {srcdir.name} in {bindir} "
                f"({t_prepared - t_start:.0f}s)")
            return 0
        tests = a.tests or alltests
        for t in tests:
            if t not in alltests:
                raise SetupError(f"no such test binary: {t}")
        for t in expected:
            if t not in alltests:
                log(f"warning: expected-failures names {t}, which the suite does not have")

        mounts = cgroup_mounts()
        if not mounts:
            raise Skip("no cgroup hierarchy is mounted under /sys/fs/cgroup")
        all_mounts = cgroup_mounts(hidden_too=True)
        run.make_parents(mounts)
        cond = probe_conditions(mounts, run.parents)

        # the run directory must be traversable by other users (uid mapping tests)
        run.rundir = Path(tempfile.mkdtemp(prefix="run.", dir=cache))
        logs = Path(a.logs or cache / "logs" / runtime.name).absolute()
        logs.mkdir(parents=True, exist_ok=True)
        for old in [*logs.glob("*.tap"), *logs.glob("*.err")]:
            old.unlink()
        work, tmp = run.rundir / "work", run.rundir / "tmp"
        for d in (work, tmp):
            d.mkdir()
        for d in (cache, run.rundir, work, tmp):
            d.chmod(0o755)
        shutil.copy2(bindir / "runtimetest", work / "runtimetest")
        shutil.copy2(rootfs, work / rootfs.name)
        cfg = {"mounts": mounts, "all_mounts": all_mounts, "runtime": str(runtime),
               "bindir": str(bindir), "work": str(work), "tmp": str(tmp), "logs": str(logs),
               "timeout": a.timeout, "budget": a.budget, "tests": tests,
               "results": str(run.rundir / "results.json")}
        (run.rundir / "config.json").write_text(json.dumps(cfg))

        rtver = subprocess.run([str(runtime), "--version"], capture_output=True, text=True,
                               stdin=subprocess.DEVNULL, timeout=10).stdout.strip()
        rtver = rtver.splitlines()[0] if rtver else "?"
        print(f"# runtime-tools {srcdir.name} validation suite against {runtime} ({rtver}), "
              f"timeout {a.timeout}s per test", flush=True)
        run.child = subprocess.Popen(
            ["unshare", "--mount", "--cgroup", "--net", "--propagation", "private", "--",
             sys.executable, str(Path(__file__).resolve()), "--inner",
             str(run.rundir / "config.json")],
            stdin=subprocess.DEVNULL, preexec_fn=join_cgroups([str(p[0]) for p in run.parents]))
        # wait with a bound: every test has its timeout, plus its cleanup
        try:
            rc = run.child.wait(timeout=a.budget + a.timeout + 120)
        except subprocess.TimeoutExpired:
            rc = "timeout"
        try:
            results = json.loads((run.rundir / "results.json").read_text())
        except (OSError, ValueError):
            results = {}
        t_end = time.monotonic()
        if rc != 0 and not results:
            raise SetupError(f"the test runner in the private namespaces failed (status {rc})")
        return report(a.junit, tests, results, logs, expected, cond, runtime, rtver, srcdir.name,
                      t_prepared - t_start, t_end - t_prepared)
    except Skip as e:
        log(f"skipped: {e}")
        if a.junit:
            junit_skip(a.junit, str(e))
        return 0
    except SetupError as e:
        log(f"error: {e}")
        if a.junit:
            junit_error(a.junit, str(e))
        return 1
    except Exception:  # a bug here: still leave a report that says so
        import traceback
        text = traceback.format_exc()
        log(f"internal error:\n{text}")
        if a.junit:
            junit_error(a.junit, f"internal error of run.py: {text}")
        return 1
    finally:
        run.cleanup()


def report(junit, tests, results, logs, expected, cond, runtime, rtver, srcver, t_prep, t_run):
    """Print one line per test binary and write the JUnit report."""
    tot_ok = tot_notok = tot_skip = 0
    npass = nfail = nxfail = 0
    raw_notok = 0
    xpass = []
    cases = []
    for t in tests:
        r = results.get(t)
        tap = tail(logs / f"{t}.tap", 1 << 30) if r else ""
        if r is None:
            ok, notok, skip, why = 0, 0, 0, "not run (time budget used up, or the runner stopped)"
            secs = 0.0
        else:
            ok, notok, skip, why = count_tap(tap, r["rc"], t)
            secs = r["seconds"]
            if not r["clean"]:
                why = (why + "; " if why else "") + "left processes or cgroups behind"
        fails = notok + (1 if why else 0)
        raw_notok += notok
        tot_ok, tot_notok, tot_skip = tot_ok + ok, tot_notok + fails, tot_skip + skip
        counts = f"{ok} ok, {notok} not ok, {skip} skip" + (f"; {why}" if why else "")
        entry = None
        for c, mx, reason in expected.get(t, []):
            if cond.get(c, False) and (mx is None or fails <= mx):
                entry = (c, mx, reason)
                break
        if fails == 0:
            status, npass = "PASS", npass + 1
            body = ""
            if t in expected and any(cond.get(c, False) for c, _, _ in expected[t]):
                status = "XPASS"
                xpass.append(t)
        elif entry:
            status, nxfail = "XFAIL", nxfail + 1
            msg = f"expected failure ({entry[0]}): {entry[2]} [{counts}]"
            body = f"<skipped message={quoteattr(msg)}/>"
        else:
            status, nfail = "FAIL", nfail + 1
            firsts = [l for l in tap.splitlines() if l.startswith("not ok")][:3]
            if why:  # the binary itself failed: its stderr says why
                firsts += [l for l in tail(logs / f"{t}.err").splitlines()
                           if l.strip() and not l.startswith("Clean: ")][:2]
            msg = counts + (": " + " | ".join(firsts) if firsts else "")
            if t in expected:
                msg += " (more than expected-failures explains, or its condition does not hold)"
            body = f"<failure message={quoteattr(msg[:1000])}>{escape(counts)}</failure>"
        props = (f'<properties><property name="ok" value="{ok}"/>'
                 f'<property name="not_ok" value="{notok}"/>'
                 f'<property name="skip" value="{skip}"/></properties>')
        out = f"<system-out>{escape(tail(logs / f'{t}.tap'))}</system-out>"
        err = f"<system-err>{escape(tail(logs / f'{t}.err'))}</system-err>"
        cases.append(f'<testcase classname="conformance" name={quoteattr(t)} time="{secs}">'
                     f'{props}{body}{out}{err}</testcase>')
        print(f"{status:5} {t:34} {ok:4} ok {notok:4} not-ok {skip:3} skip {secs:6.1f}s"
              + (f"  ({why})" if why else ""), flush=True)
    # passed/failed: by the counting rules above (a binary that exits non-zero
    # or times out adds one failure); tap_not_ok: the raw "not ok" lines
    props = {"runtime": f"{runtime} ({rtver})", "runtime-tools": srcver,
             "passed": tot_ok, "failed": tot_notok, "tap_not_ok": raw_notok,
             "tap_skip": tot_skip, "binaries": len(tests),
             "binaries_passed": npass, "binaries_expected_failures": nxfail,
             "binaries_failed": nfail, "reference": CRUN_REFERENCE,
             "prepare_seconds": round(t_prep, 1), "run_seconds": round(t_run, 1),
             "conditions": " ".join(sorted(c for c, v in cond.items() if v and c != "always"))}
    ptext = "".join(f"<property name={quoteattr(k)} value={quoteattr(str(v))}/>"
                    for k, v in props.items())
    Path(junit).write_text(
        f'<?xml version="1.0"?>\n<testsuite name="conformance" tests="{len(tests)}" '
        f'failures="{nfail}" skipped="{nxfail}" time="{t_run:.1f}">'
        f'<properties>{ptext}</properties>{"".join(cases)}</testsuite>\n')
    print(f"# machine lacks: {props['conditions'] or 'nothing the list names'}")
    print(f"# {len(tests)} test binaries: {npass} passed, {nxfail} expected failures, "
          f"{nfail} failed; prepare {t_prep:.0f}s, run {t_run:.0f}s; logs in {logs}")
    if xpass:
        print(f"# XPASS (on expected-failures, passed here: reconsider the entry): "
              f"{' '.join(xpass)}")
    print(f"# reference: {CRUN_REFERENCE}")
    print(f"conformance: {tot_ok} passed, {tot_notok} failed (TAP assertions)", flush=True)
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
