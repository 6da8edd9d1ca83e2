# SPDX-License-Identifier: GPL-2.0-or-later
"""ward-oci: runc's command line over ward's runtime.  Each verb, driven as
podman (conmon) and containerd (the shim) drive it: create returns while the
container waits, its process is left to the caller's subreaper, exec runs
detached, errors go to a JSON log.  Bad bundles give one clear error and
leave nothing behind.  Containers have a network namespace with loopback
only; their cgroups are beneath the test's own cgroup."""
import array
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import conftest
from conftest import BUILD, Ward, is_v2_host, leftovers, ward_cgroups

WARD_OCI = BUILD / "src" / "cli" / "ward-oci"

# The client side of conmon and the containerd shim: a subreaper that runs
# ward-oci commands and reaps what they leave behind, with its exit status.
SUBREAPER = r"""
import ctypes, json, os, subprocess, sys, time
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
steps, pidfile = json.loads(sys.argv[1]), sys.argv[2]
for argv in steps:
    # files, not pipes: the container keeps create's stdio open
    with open(pidfile + ".err", "w+") as err:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=err)
        if r.returncode:
            err.seek(0)
            print(json.dumps({"failed": argv, "stderr": err.read()}))
            sys.exit(0)
pid = int(open(pidfile).read())
deadline = time.time() + 20
while True:
    got, status = os.waitpid(-1, 0)
    if got == pid:
        break
print(json.dumps({"pid": pid, "exited": os.WIFEXITED(status),
                  "status": os.WEXITSTATUS(status) if os.WIFEXITED(status)
                  else os.WTERMSIG(status)}))
"""


class Oci(Ward):
    """ward-oci with a private --root; bundles on the session rootfs."""

    def __init__(self, tmp, rootfs):
        super().__init__(tmp / "root", tmp / "lib")
        self.tmp = tmp
        self.rootfs = rootfs
        self.bin = str(WARD_OCI)
        self.n = 0

    def cmd(self, *args):
        return [self.bin, "--root", str(self.root), *map(str, args)]

    def env(self, extra=None):
        """No PATH, no HOME: podman runs some verbs with an empty
        environment."""
        e = {"WARD_CGROUP_PARENT": conftest.CGROUP_PARENT}
        e.update({k: v for k, v in (extra or {}).items() if v is not None})
        return e

    def bundle(self, args, mutate=None, name=None):
        self.n += 1
        b = self.tmp / (name or f"bundle{self.n}")
        b.mkdir()
        cfg = config(self.rootfs, args)
        if mutate:
            mutate(cfg)
        (b / "config.json").write_text(json.dumps(cfg))
        return b

    def create(self, cid, bundle, *opts, stdout=None, env=None, pass_fds=()):
        """ward-oci create: its stdio becomes the container's, so they are
        files here (a pipe would stay open as long as the container)."""
        out = stdout or self.tmp / f"{cid}.out"
        err = self.tmp / f"{cid}.err"
        with open(out, "a") as o, open(err, "w") as e:
            r = subprocess.run(self.cmd("create", "--bundle", bundle, *opts, cid),
                               stdin=subprocess.DEVNULL, stdout=o, stderr=e, timeout=60,
                               env=self.env(env), pass_fds=pass_fds)
        return subprocess.CompletedProcess(r.args, r.returncode, Path(out).read_text(),
                                           err.read_text())

    def state(self, cid):
        return json.loads(ok(self.run("state", cid)).stdout)

    def wait_status(self, cid, want, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            st = self.state(cid)["status"]
            if st == want:
                return
            time.sleep(0.02)
        raise AssertionError(f"{cid}: status {st}, not {want}")

    def subreaper(self, steps, pidfile):
        r = subprocess.run([sys.executable, "-c", SUBREAPER,
                            json.dumps([self.cmd(*s) for s in steps]), str(pidfile)],
                           capture_output=True, text=True, timeout=60, env=self.env())
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)


def config(rootfs, args):
    caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL", "CAP_SETGID",
            "CAP_SETUID", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"]
    return {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": args,
            "env": ["PATH=/bin", "TERM=xterm"],
            "cwd": "/",
            "capabilities": {k: caps for k in ("bounding", "effective", "permitted")},
            "noNewPrivileges": True,
        },
        "root": {"path": str(rootfs), "readonly": True},
        "hostname": "oci-test",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "nodev"]},
        ],
        "linux": {
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
            "maskedPaths": ["/proc/kcore", "/sys/firmware"],
            "readonlyPaths": ["/proc/sys"],
        },
    }


def ok(r):
    assert r.returncode == 0, f"exit {r.returncode}: {r.stderr}"
    return r


def one_error(r):
    """runc's contract: exit status 1 and one line saying why."""
    assert r.returncode == 1, f"exit {r.returncode}: {r.stdout} {r.stderr}"
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("ward-oci: ")
    return lines[0]


SLEEP = ["/wtest", "sleep", "3600"]
TRAP = ["/bin/sh", "-c", "trap 'echo got-term; exit 7' TERM; echo up; "
        "while :; do sleep 0.05; done"]


@pytest.fixture
def oci(tmp_path, rootfs):
    o = Oci(tmp_path, rootfs)
    yield o
    # whatever a failed test left: force-delete it first, then check
    if o.root.exists():
        for d in o.root.iterdir():
            if not d.name.startswith("."):
                o.run("delete", "--force", d.name)
    problems = leftovers(o)
    assert not problems, f"ward-oci left things behind: {problems}"


# ---- the lifecycle ----

def test_create_waits_until_start(oci, tmp_path):
    out = tmp_path / "out"
    b = oci.bundle(["/bin/sh", "-c", "echo ran; hostname"])
    ok(oci.create("c1", b, "--pid-file", tmp_path / "pid", stdout=out))
    st = oci.state("c1")
    assert st["status"] == "created"
    assert st["id"] == "c1" and st["bundle"] == str(b)
    assert st["pid"] == int((tmp_path / "pid").read_text())
    time.sleep(0.2)
    assert out.read_text() == "", "the command ran before start"
    ok(oci.run("start", "c1"))
    oci.wait_status("c1", "stopped")
    assert out.read_text() == "ran\noci-test\n"
    assert oci.state("c1")["pid"] == 0
    ok(oci.run("delete", "c1"))
    assert one_error(oci.run("state", "c1")).endswith("container c1 does not exist")


def test_exit_status_goes_to_the_callers_subreaper(oci, tmp_path):
    b = oci.bundle(["/bin/sh", "-c", "exit 42"])
    res = oci.subreaper([["create", "--bundle", b, "--pid-file", tmp_path / "pid", "c1"],
                         ["start", "c1"]], tmp_path / "pid")
    assert res == {"pid": res["pid"], "exited": True, "status": 42}
    ok(oci.run("delete", "c1"))


def test_stopped_before_its_parent_reaps_it(oci, tmp_path):
    """A zombie has exited: state says stopped, delete accepts it."""
    b = oci.bundle(["/bin/true"])
    r = subprocess.Popen([sys.executable, "-c", "import ctypes,sys,time;"
                          "ctypes.CDLL(None).prctl(36,1,0,0,0);"
                          "import subprocess;"
                          "subprocess.run(sys.argv[1:], check=True);"
                          "print('created', flush=True); time.sleep(30)",
                          *oci.cmd("create", "--bundle", b, "c1")],
                         stdout=subprocess.PIPE, text=True, env=oci.env())
    try:
        assert r.stdout.readline() == "created\n"
        ok(oci.run("start", "c1"))
        oci.wait_status("c1", "stopped")
        ok(oci.run("delete", "c1"))
    finally:
        r.kill()
        r.wait()


def test_run_foreground(oci):
    b = oci.bundle(["/bin/sh", "-c", "echo hello; exit 3"])
    r = oci.run("run", "--bundle", b, "r1")
    assert r.returncode == 3, r.stderr
    assert r.stdout == "hello\n"
    assert not (oci.root / "r1").exists()


def test_state_list_ps(oci, tmp_path):
    b = oci.bundle(SLEEP, lambda c: c.update(annotations={"org.example": "x"}))
    ok(oci.create("c1", b))
    ok(oci.create("c2", b))
    ok(oci.run("start", "c2"))
    st = oci.state("c1")
    assert st["ociVersion"].startswith("1.")
    assert st["annotations"] == {"org.example": "x"}
    assert st["created"].endswith("Z")
    assert ok(oci.run("list", "-q")).stdout.split() == ["c1", "c2"]
    listed = {c["id"]: c["status"] for c in json.loads(ok(oci.run("list", "--format", "json")).stdout)}
    assert listed == {"c1": "created", "c2": "running"}
    assert "running" in ok(oci.run("list")).stdout
    pids = json.loads(ok(oci.run("ps", "--format", "json", "c2")).stdout)
    assert oci.state("c2")["pid"] in pids
    assert "sleep" in ok(oci.run("ps", "c2")).stdout
    ok(oci.run("delete", "--force", "c1"))
    ok(oci.run("delete", "--force", "c2"))
    assert ok(oci.run("list", "-q")).stdout == ""


@pytest.mark.parametrize("sig", ["TERM", "SIGTERM", "15", None])
def test_kill_signal_forms(oci, tmp_path, sig):
    out = tmp_path / "out"
    b = oci.bundle(TRAP)
    ok(oci.create("k1", b, stdout=out))
    ok(oci.run("start", "k1"))
    deadline = time.time() + 5
    while "up" not in out.read_text() and time.time() < deadline:
        time.sleep(0.02)
    ok(oci.run("kill", "k1", *([sig] if sig else [])))
    oci.wait_status("k1", "stopped")
    assert "got-term" in out.read_text()
    ok(oci.run("delete", "k1"))


def test_kill_all_and_errors(oci):
    b = oci.bundle(["/bin/sh", "-c", "sleep 3600 & sleep 3600"])
    ok(oci.create("k1", b))
    ok(oci.run("start", "k1"))
    assert "unknown signal 'NOPE'" in one_error(oci.run("kill", "k1", "NOPE"))
    ok(oci.run("kill", "--all", "k1", "KILL"))
    oci.wait_status("k1", "stopped")
    assert one_error(oci.run("kill", "k1", "KILL")).endswith("container not running")
    ok(oci.run("delete", "k1"))
    assert "does not exist" in one_error(oci.run("kill", "nosuch"))


def test_delete_rules(oci):
    b = oci.bundle(SLEEP)
    ok(oci.create("d1", b))
    # created and running containers are not stopped: an error, no effect
    assert "not stopped: created" in one_error(oci.run("delete", "d1"))
    ok(oci.run("start", "d1"))
    assert "not stopped: running" in one_error(oci.run("delete", "d1"))
    assert oci.state("d1")["status"] == "running"
    ok(oci.run("delete", "--force", "d1"))
    assert not (oci.root / "d1").exists()
    # containerd deletes twice, the second time with --force
    ok(oci.run("delete", "--force", "d1"))
    assert "does not exist" in one_error(oci.run("delete", "d1"))


def test_start_rules(oci):
    b = oci.bundle(["/bin/true"])
    assert "does not exist" in one_error(oci.run("start", "s1"))
    ok(oci.create("s1", b))
    assert "already exists" in one_error(oci.create("s1", b))
    ok(oci.run("start", "s1"))
    oci.wait_status("s1", "stopped")
    assert "has stopped" in one_error(oci.run("start", "s1"))
    ok(oci.run("delete", "s1"))


def test_pause_resume(oci):
    b = oci.bundle(SLEEP)
    ok(oci.create("p1", b))
    ok(oci.run("start", "p1"))
    assert "not paused" in one_error(oci.run("resume", "p1"))
    ok(oci.run("pause", "p1"))
    assert oci.state("p1")["status"] == "paused"
    freezer = cgroup_file(oci.state("p1")["pid"], "freezer", "freezer.state")
    assert freezer.read_text().strip() == "FROZEN"
    ok(oci.run("resume", "p1"))
    assert freezer.read_text().strip() == "THAWED"
    assert oci.state("p1")["status"] == "running"
    ok(oci.run("pause", "p1"))
    # a paused container is killed and thawed by delete --force
    ok(oci.run("delete", "--force", "p1"))


def cgroup_file(pid, controller, name):
    """FILE of PID's cgroup in the v1 hierarchy holding CONTROLLER."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, ctls, path = line.split(":", 2)
        if controller in ctls.split(","):
            return Path(f"/sys/fs/cgroup/{controller}{path}") / name
    pytest.skip(f"no v1 {controller} hierarchy")


def test_update_limits(oci, tmp_path):
    b = oci.bundle(SLEEP, lambda c: c["linux"].update(
        resources={"memory": {"limit": 64 << 20}}))
    ok(oci.create("u1", b))
    ok(oci.run("start", "u1"))
    pid = oci.state("u1")["pid"]
    mem = cgroup_file(pid, "memory", "memory.limit_in_bytes")
    assert int(mem.read_text()) == 64 << 20
    res = tmp_path / "res.json"
    res.write_text(json.dumps({"memory": {"limit": 48 << 20}, "pids": {"limit": 99}}))
    ok(oci.run("update", f"--resources={res}", "u1"))
    assert int(mem.read_text()) == 48 << 20
    assert cgroup_file(pid, "pids", "pids.max").read_text().strip() == "99"
    ok(oci.run("update", "--pids-limit", "77", "--memory", "40m", "u1"))
    assert cgroup_file(pid, "pids", "pids.max").read_text().strip() == "77"
    assert int(mem.read_text()) == 40 << 20
    ok(oci.run("update", "-r", "-", "u1", input=json.dumps({"pids": {"limit": 55}})))
    assert cgroup_file(pid, "pids", "pids.max").read_text().strip() == "55"
    assert "not a number" in one_error(oci.run("update", "--memory", "lots", "u1"))
    ok(oci.run("delete", "--force", "u1"))


def test_cgroups_path(oci):
    """cgroupsPath: relative to the caller's own cgroup (as runc), absolute
    from the hierarchy's root; recorded at create, so delete removes it."""
    if is_v2_host():
        path = f"/{conftest.CGROUP_PARENT}/ward-oci-cg"
    else:
        path = f"{conftest.SESSION_CGROUP}/ward-oci-cg"
    b = oci.bundle(SLEEP, lambda c: c["linux"].update(cgroupsPath=path))
    ok(oci.create("g1", b))
    pid = oci.state("g1")["pid"]
    mine = [l.split(":", 2)[2] for l in Path(f"/proc/{pid}/cgroup").read_text().splitlines()
            if ":memory:" in l or ":pids:" in l or l.startswith("0::")]
    assert mine and all(p.endswith("/ward-oci-cg") for p in mine), mine
    assert any(c.endswith("/ward-oci-cg") for c in ward_cgroups())
    ok(oci.run("delete", "--force", "g1"))
    assert not any(c.endswith("/ward-oci-cg") for c in ward_cgroups())


# ---- exec ----

def test_exec_foreground(oci, tmp_path):
    b = oci.bundle(SLEEP)
    ok(oci.create("e1", b))
    ok(oci.run("start", "e1"))
    r = oci.run("exec", "e1", "/bin/sh", "-c", "hostname; exit 3")
    assert (r.returncode, r.stdout) == (3, "oci-test\n"), r.stderr
    r = ok(oci.run("exec", "--cwd", "/proc", "-e", "FOO=bar", "-u", "33:50", "e1",
                   "/bin/sh", "-c", "pwd; echo $FOO; id -u; id -g"))
    assert r.stdout.split() == ["/proc", "bar", "33", "50"]
    # the same namespaces and cgroup as the container's first process
    pid = oci.state("e1")["pid"]
    r = ok(oci.run("exec", "e1", "/wtest", "cat", "/proc/self/cgroup"))
    assert r.stdout == Path(f"/proc/{pid}/cgroup").read_text()
    assert oci.run("exec", "e1", "/nonexistent").returncode == 127
    proc = tmp_path / "process.json"
    proc.write_text(json.dumps({"args": ["/bin/sh", "-c", "echo $A; exit 5"], "cwd": "/",
                                "env": ["A=from-file", "PATH=/bin"],
                                "user": {"uid": 0, "gid": 0}}))
    r = oci.run("exec", "--process", proc, "e1")
    assert (r.returncode, r.stdout) == (5, "from-file\n"), r.stderr
    ok(oci.run("delete", "--force", "e1"))


def test_exec_detached_status_goes_to_the_subreaper(oci, tmp_path):
    b = oci.bundle(SLEEP)
    ok(oci.create("e1", b))
    ok(oci.run("start", "e1"))
    res = oci.subreaper([["exec", "-d", "--pid-file", tmp_path / "epid", "e1",
                          "/bin/sh", "-c", "sleep 0.2; exit 9"]], tmp_path / "epid")
    assert (res["exited"], res["status"]) == (True, 9), res
    ok(oci.run("delete", "--force", "e1"))


def test_exec_in_stopped_container(oci):
    b = oci.bundle(["/bin/true"])
    ok(oci.create("e2", b))
    ok(oci.run("start", "e2"))
    oci.wait_status("e2", "stopped")
    assert "cannot exec in a stopped container" in one_error(oci.run("exec", "e2", "/bin/true"))
    ok(oci.run("delete", "e2"))


# ---- terminals ----

def recv_master(listener):
    """The terminal's master, sent before the command returned: conmon
    stops listening once the runtime has exited."""
    listener.setblocking(False)
    conn, _ = listener.accept()
    conn.setblocking(True)
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(256, socket.CMSG_SPACE(fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:fds.itemsize])
    conn.close()
    assert fds, "no fd received"
    return fds[0], msg


def read_all(fd, timeout=10):
    out = b""
    deadline = time.time() + timeout
    os.set_blocking(fd, False)
    while time.time() < deadline:
        try:
            chunk = os.read(fd, 4096)
        except BlockingIOError:
            time.sleep(0.02)
            continue
        except OSError:  # EIO: every slave is closed
            break
        if not chunk:
            break
        out += chunk
    return out.decode(errors="replace")


def test_console_socket(oci, tmp_path):
    sock_path = str(tmp_path / "console.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(1)
    b = oci.bundle(["/bin/sh", "-c", "tty; echo done"],
                   lambda c: c["process"].update(terminal=True))
    # a terminal needs somewhere to go
    assert "--console-socket" in one_error(oci.create("t1", b))
    assert not (oci.root / "t1").exists()
    ok(oci.create("t1", b, "--console-socket", sock_path))
    master, name = recv_master(listener)
    assert name.startswith(b"/dev/pts/")
    ok(oci.run("start", "t1"))
    text = read_all(master)
    os.close(master)
    assert "/dev/" in text and "done" in text, text
    oci.wait_status("t1", "stopped")
    # exec with a terminal for a detached process: its master goes there too
    ok(oci.run("delete", "t1"))
    listener.close()


def test_exec_tty_console_socket(oci, tmp_path):
    sock_path = str(tmp_path / "exec.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(1)
    b = oci.bundle(SLEEP)
    ok(oci.create("t2", b))
    ok(oci.run("start", "t2"))
    assert "--console-socket" in one_error(oci.run("exec", "-d", "-t", "t2", "/bin/tty"))
    ok(oci.run("exec", "-d", "-t", "--console-socket", sock_path, "--pid-file",
               tmp_path / "pid", "t2", "/bin/sh", "-c", "tty; sleep 0.2"))
    master, _ = recv_master(listener)
    text = read_all(master)
    os.close(master)
    assert "/dev/pts/" in text, text
    ok(oci.run("delete", "--force", "t2"))
    listener.close()


# ---- what clients rely on ----

def test_no_environment_and_no_stray_fds(oci, tmp_path):
    """podman runs delete with no PATH; conmon passes an extra pipe on
    fd 3, which the container must not see."""
    out = tmp_path / "out"
    b = oci.bundle(["/wtest", "fds"])
    rd, wr = os.pipe()
    try:
        ok(oci.create("f1", b, stdout=out, env={}, pass_fds=(rd, wr)))
    finally:
        os.close(rd)
        os.close(wr)
    ok(oci.run("start", "f1"))
    oci.wait_status("f1", "stopped")
    fds = sorted(int(l.split()[0]) for l in out.read_text().splitlines())
    assert fds == [0, 1, 2], out.read_text()
    r = subprocess.run(oci.cmd("delete", "--force", "f1"), capture_output=True, text=True,
                       env={}, timeout=30)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_errors_go_to_the_log(oci, tmp_path, fmt):
    log = tmp_path / "log"
    r = oci.run_raw([oci.bin, "--root", oci.root, "--log", log, f"--log-format={fmt}",
                     "start", "nosuch"])
    assert one_error(r) == "ward-oci: container nosuch does not exist"
    line = log.read_text().splitlines()[-1]
    if fmt == "json":
        entry = json.loads(line)
        assert entry["level"] == "error"
        assert entry["msg"] == "container nosuch does not exist"
        assert entry["time"].endswith("Z")
    else:
        assert 'level=error msg="container nosuch does not exist"' in line


def test_global_options(oci):
    assert "--systemd-cgroup" in one_error(oci.run("--systemd-cgroup", "list"))
    ok(oci.run("--rootless", "false", "list"))
    assert "--rootless" in one_error(oci.run("--rootless", "true", "list"))
    assert "unknown command" in one_error(oci.run("frobnicate"))
    r = ok(oci.run_raw([oci.bin, "--version"]))
    assert r.stdout.startswith("ward-oci version ") and "spec: 1." in r.stdout


def test_features_and_spec(oci, tmp_path):
    f = json.loads(ok(oci.run("features")).stdout)
    assert f["ociVersionMin"] == "1.0.0"
    d = tmp_path / "specdir"
    d.mkdir()
    ok(oci.run("spec", "--bundle", d))
    cfg = json.loads((d / "config.json").read_text())
    assert cfg["root"]["path"] == "rootfs"
    assert "exists" in one_error(oci.run("spec", "--bundle", d))


def test_hooks_poststart_poststop(oci, tmp_path):
    log = tmp_path / "hooks.log"

    def hooks(c):
        c["hooks"] = {k: [{"path": "/bin/sh", "args": ["sh", "-c", f"cat >> {log}; echo >> {log}"]}]
                      for k in ("poststart", "poststop")}
    b = oci.bundle(SLEEP, hooks)
    ok(oci.create("h1", b))
    ok(oci.run("start", "h1"))
    states = [json.loads(l) for l in log.read_text().splitlines() if l]
    assert [s["status"] for s in states] == ["running"]
    assert states[0]["id"] == "h1" and states[0]["pid"] == oci.state("h1")["pid"]
    ok(oci.run("delete", "--force", "h1"))
    states = [json.loads(l) for l in log.read_text().splitlines() if l]
    assert [s["status"] for s in states] == ["running", "stopped"]


def test_poststart_hook_finds_the_program_started(oci, tmp_path):
    """poststart hooks run after the program is executed: ward lets it
    run until it first waits (here: after a few ms of work and writing its
    file, in sleep; 50 ms at most) before it runs them, so a hook sees what
    the program did first."""
    seen = tmp_path / "seen"
    mark = f"/tmp/started-{os.getpid()}"  # in the session's shared rootfs

    def hooks(c):
        c["root"]["readonly"] = False
        c["hooks"] = {"poststart": [{"path": "/bin/sh", "args": [
            "sh", "-c", f"cat {oci.rootfs}{mark} > {seen} 2>&1"]}]}
        c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/tmp"]

    try:
        for i in range(5):
            # a few milliseconds of work (runnable all along) first
            b = oci.bundle(["/bin/sh", "-c", "i=0; while [ $i -lt 1000 ]; do i=$((i+1)); done; "
                            f"echo run{i} > {mark}; exec /wtest sleep 60"], hooks)
            ok(oci.create(f"p{i}", b))
            ok(oci.run("start", f"p{i}"))
            assert seen.read_text() == f"run{i}\n", f"round {i}: the hook ran first"
            ok(oci.run("delete", "--force", f"p{i}"))
    finally:
        Path(f"{oci.rootfs}{mark}").unlink(missing_ok=True)


# ---- bad bundles: one error, nothing left ----

def missing_root(c):
    c["root"]["path"] = "/nonexistent/rootfs"


def unknown_namespace(c):
    c["linux"]["namespaces"].append({"type": "bogus"})


def wrong_version(c):
    c["ociVersion"] = "2.0.0"


@pytest.mark.parametrize("mutate,words", [
    (missing_root, "/nonexistent/rootfs"),
    (unknown_namespace, "bogus"),
    (wrong_version, "2.0.0"),
])
def test_bad_bundle(oci, mutate, words):
    b = oci.bundle(["/bin/true"], mutate)
    line = one_error(oci.create("bad", b))
    assert words in line, line
    assert not (oci.root / "bad").exists()
    assert not ward_cgroups()


# Run inside a mount and network namespace of the test's own (so the
# machine's mount table never sees the container's mounts): a container
# whose config.json lists no namespace at all inherits the caller's, the
# mount namespace included (the suite's linux_ns_itype).
NO_NAMESPACES = r"""
import json, os, subprocess, sys, time
cmd, bundle, bad, share, rootfs = (json.loads(sys.argv[1]), sys.argv[2], sys.argv[3],
                                    sys.argv[4], sys.argv[5])
# as on a systemd host: every mount shared, and a peer namespace (a
# service's private one) that would receive what propagates
subprocess.run(["mount", "--make-rshared", "/"], check=True)
peer = subprocess.Popen(["unshare", "--mount", "--propagation", "unchanged", "sleep", "60"])
time.sleep(0.2)
def peer_mounts():
    return [l.split() for l in open(f"/proc/{peer.pid}/mountinfo")]
def run(*a):
    if a[0] != "create":
        return subprocess.run(cmd + list(a), capture_output=True, text=True, timeout=60)
    # the container keeps create's stdio: files, not pipes
    with open(bundle + ".err", "w+") as err:
        r = subprocess.run(cmd + list(a), stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=err, timeout=60)
        err.seek(0)
        return subprocess.CompletedProcess(r.args, r.returncode, "", err.read())
def mounts():
    return sorted(l.split()[4] for l in open("/proc/self/mountinfo"))
out = {"before": mounts()}
out["create"] = run("create", "--bundle", bundle, "n1").returncode
pid = json.loads(run("state", "n1").stdout)["pid"]
kinds = ("cgroup", "ipc", "mnt", "net", "pid", "user", "uts")
out["same_ns"] = [k for k in kinds
                  if os.readlink(f"/proc/{pid}/ns/{k}") == os.readlink(f"/proc/self/ns/{k}")]
out["root"] = os.readlink(f"/proc/{pid}/root")
out["during"] = len(mounts()) - len(out["before"])
# nothing ward mounted below a bind reached the bind's source, and the
# peer got neither the root's tree nor the root itself
out["on_source"] = os.path.ismount(os.path.join(share, "sub"))
state_root = os.readlink(f"/proc/{pid}/root")
out["in_peer"] = [f[4] for f in peer_mounts()
                  if f[4].startswith(state_root + "/") or
                  (f[4] == state_root and f[3].rstrip("/").endswith(os.path.basename(rootfs)))]
r = run("exec", "n1", "/bin/sh", "-c", "test -x /wtest && head -c 3 /proc/1/comm; echo")
out["exec"] = [r.returncode, r.stdout.strip(), r.stderr]
r = run("exec", "n1", "/wtest", "status", "CapBnd")
out["capbnd"] = r.stdout.strip()
run("kill", "n1", "KILL")
for _ in range(500):
    if json.loads(run("state", "n1").stdout)["status"] == "stopped":
        break
    time.sleep(0.01)
out["delete"] = run("delete", "n1").returncode
out["after"] = mounts()
r = run("create", "--bundle", bad, "n2")
out["bad"] = [r.returncode, r.stderr.strip()]
out["after_bad"] = mounts()
peer.kill()
print(json.dumps(out))
"""


def test_no_namespaces_inherits_the_callers(oci):
    """Every namespace inherited, the mount namespace too: the root is
    assembled in the caller's mount table (below the state directory) and
    entered with chroot, exec lands in it, and delete (or a failed create)
    takes every mount away again."""
    share = oci.tmp / "share"
    (share / "sub").mkdir(parents=True)

    def none(c):
        c["linux"]["namespaces"] = []
        del c["hostname"]
        c["process"]["capabilities"]["bounding"].append("CAP_SYS_CHROOT")
        # a bind of a (shared) host directory with a tmpfs ward mounts below it
        c["mounts"] += [{"destination": "/data", "type": "bind", "source": str(share),
                         "options": ["rbind"]},
                        {"destination": "/data/sub", "type": "tmpfs", "source": "tmpfs"}]

    def bad(c):
        none(c)
        c["mounts"].append({"destination": "/nowhere", "type": "bind",
                            "source": "/nonexistent-source", "options": ["bind"]})

    good_b, bad_b = oci.bundle(SLEEP, none), oci.bundle(SLEEP, bad)
    r = subprocess.run(["unshare", "--mount", "--net", "--propagation", "private",
                        sys.executable, "-c", NO_NAMESPACES, json.dumps(oci.cmd()),
                        str(good_b), str(bad_b), str(share), str(oci.rootfs)],
                       capture_output=True, text=True, timeout=120, env=oci.env())
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["create"] == 0
    assert out["same_ns"] == ["cgroup", "ipc", "mnt", "net", "pid", "user", "uts"], out
    assert out["root"].startswith(str(oci.root)), out["root"]
    assert out["during"] >= 5, "the container's mounts are in the caller's table"
    # exec entered the chroot: /wtest is the bundle's, PID 1 the host's init
    assert out["exec"][0] == 0 and out["exec"][1] != "", out["exec"]
    assert not out["on_source"], "a mount below the bind appeared on the host directory"
    assert out["in_peer"] == [], f"propagated to a peer namespace: {out['in_peer']}"
    # CAP_SYS_CHROOT would leave the chroot: never granted here
    assert int(out["capbnd"].split()[1], 16) & (1 << 18) == 0, out["capbnd"]
    assert out["delete"] == 0
    assert out["after"] == out["before"], set(out["after"]) ^ set(out["before"])
    assert out["bad"][0] == 1 and "/nonexistent-source" in out["bad"][1], out["bad"]
    assert out["after_bad"] == out["before"], set(out["after_bad"]) ^ set(out["before"])


def unknown_keys(c):
    c["unknown"] = "unknown"
    c["process"]["frobnicate"] = {"x": 1}
    c["linux"]["resources"] = {"memory": {"limits": 1}, "nosuch": []}
    c["mounts"][0]["extra"] = True


def test_unknown_keys_are_ignored(oci, tmp_path):
    """runtime-spec: unknown properties MUST be ignored (the suite's
    misc_props); --debug names each one."""
    b = oci.bundle(["/bin/sh", "-c", "echo hello"], unknown_keys)
    r = oci.run("--debug", "run", "--bundle", b, "u1")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello\n"
    for path in ("unknown", "process.frobnicate", "linux.resources.memory.limits",
                 "linux.resources.nosuch", "mounts[0].extra"):
        assert f"config.json: {path}: unknown key, ignored" in r.stderr, r.stderr
    assert not (oci.root / "u1").exists()


def intel_rdt(c):
    c["unknown"] = 1
    c["linux"]["intelRdt"] = {"closID": "x"}


@pytest.mark.parametrize("mutate,words", [
    (intel_rdt, "linux.intelRdt: not supported by ward"),
])
def test_known_but_unsupported_is_refused(oci, mutate, words):
    """A key the spec defines and ward cannot honour is still an error."""
    b = oci.bundle(["/bin/true"], mutate)
    line = one_error(oci.create("bad", b))
    assert words in line, line
    assert not (oci.root / "bad").exists()
    assert not ward_cgroups()


def test_unknown_capability_is_a_warning(oci):
    """runtime-spec 1.1: a capability that cannot be mapped to the kernel is
    logged as a warning and the container still runs (1.0 said fail; runc
    and crun follow the newer text, and so does ward).  It is left out:
    the sets hold exactly the known names."""
    def caps(c):
        for key in ("bounding", "effective", "permitted"):
            c["process"]["capabilities"][key] = ["CAP_KILL", "CAP_TEST"]

    b = oci.bundle(["/wtest", "status", "CapBnd", "CapEff", "CapPrm"], caps)
    r = oci.run("run", "--bundle", b, "c1")
    assert r.returncode == 0, r.stderr
    assert ("config.json: process.capabilities.bounding[1]: unknown capability "
            "'CAP_TEST', left out") in r.stderr, r.stderr
    assert set(status_caps(r.stdout).values()) == {1 << 5}, r.stdout  # CAP_KILL only
    assert not (oci.root / "c1").exists()


def test_invalid_json(oci, tmp_path):
    b = tmp_path / "broken"
    b.mkdir()
    (b / "config.json").write_text('{"ociVersion": "1.0.2", "process": ')
    line = one_error(oci.create("bad", b))
    assert "config.json" in line
    assert not (oci.root / "bad").exists()


def test_bad_ids_and_usage(oci, tmp_path):
    b = oci.bundle(["/bin/true"])
    assert "invalid container ID" in one_error(oci.create("../x", b))
    assert "usage" in one_error(oci.run("create", "--bundle", b))
    assert "bundle" in one_error(oci.create("x1", tmp_path / "nope"))


# ---- seccomp, capabilities and fds as the clients' configs have them ----

def seccomp_without_nnp(c):
    """A profile and noNewPrivileges false (podman's default without
    --security-opt no-new-privileges): the filter must be loaded while
    ward is still privileged.  It also denies close_range, which ward's
    own last steps use (they fall back to closing fds one by one)."""
    c["process"]["noNewPrivileges"] = False
    c["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [
            {"names": ["syslog"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
            {"names": ["close_range"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
        ]}


def test_seccomp_without_no_new_privileges(oci, tmp_path):
    out = tmp_path / "out"
    b = oci.bundle(["/bin/sh", "-c", "/wtest syscall syslog; "
                    "/wtest status NoNewPrivs Seccomp; /wtest fds"], seccomp_without_nnp)
    ok(oci.create("s1", b, stdout=out))
    ok(oci.run("start", "s1"))
    oci.wait_status("s1", "stopped")
    lines = out.read_text().splitlines()
    # EACCES is the profile's (without it: EPERM, no CAP_SYSLOG)
    assert lines[0] == "syslog EACCES", lines
    assert [l.split() for l in lines[1:3]] == [["NoNewPrivs:", "0"], ["Seccomp:", "2"]]
    assert sorted(int(l.split()[0]) for l in lines[3:]) == [0, 1, 2], lines
    ok(oci.run("delete", "s1"))
    # exec loads the same filter, also without no_new_privs
    b = oci.bundle(SLEEP, seccomp_without_nnp)
    ok(oci.create("s2", b))
    ok(oci.run("start", "s2"))
    r = ok(oci.run("exec", "s2", "/bin/sh", "-c",
                   "/wtest syscall syslog; /wtest status NoNewPrivs Seccomp"))
    assert [l.split() for l in r.stdout.splitlines()] == [
        ["syslog", "EACCES"], ["NoNewPrivs:", "0"], ["Seccomp:", "2"]], r.stdout
    ok(oci.run("delete", "--force", "s2"))


def test_profile_denying_getcwd_still_checks_the_working_directory(oci, tmp_path):
    """The runtime-tools seccomp profile denies getcwd; without
    noNewPrivileges the filter is in before ward checks the working
    directory, which it then does by walking up with ".." instead."""
    def deny_getcwd(c):
        seccomp_without_nnp(c)
        c["linux"]["seccomp"]["syscalls"].append(
            {"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1})
        c["process"]["cwd"] = "/tmp"
    out = tmp_path / "out"
    b = oci.bundle(["/wtest", "cwd"], deny_getcwd)
    ok(oci.create("g1", b, stdout=out))
    ok(oci.run("start", "g1"))
    oci.wait_status("g1", "stopped")
    # the command itself cannot call getcwd: the filter is really in
    assert "EPERM" in out.read_text() or "Operation not permitted" in out.read_text(), \
        out.read_text()
    ok(oci.run("delete", "g1"))


def status_caps(text):
    return {l.split(":")[0]: int(l.split()[1], 16) for l in text.splitlines()}


def test_ambient_capabilities(oci, tmp_path):
    """`ward-oci spec` and `crun spec` list ambient capabilities without
    inheritable ones: the kernel cannot raise those, and they are skipped
    (as runc and crun do); the ones that are also inheritable are raised."""
    CAP_KILL, CAP_NET_BIND_SERVICE = 5, 10

    def spec_default(c):
        c["process"]["capabilities"]["ambient"] = list(c["process"]["capabilities"]["bounding"])

    def with_inheritable(c):
        spec_default(c)
        c["process"]["capabilities"]["inheritable"] = ["CAP_KILL", "CAP_NET_BIND_SERVICE"]
        c["process"]["user"] = {"uid": 1000, "gid": 1000}

    for cid, mutate, amb in (("a1", spec_default, 0),
                             ("a2", with_inheritable,
                              1 << CAP_KILL | 1 << CAP_NET_BIND_SERVICE)):
        b = oci.bundle(["/wtest", "status", "CapInh", "CapEff", "CapAmb"], mutate)
        r = oci.run("run", "--bundle", b, cid)
        assert r.returncode == 0, r.stderr
        caps = status_caps(r.stdout)
        assert caps["CapAmb"] == amb, r.stdout
        if amb:
            # uid 1000 keeps exactly its ambient set across the exec
            assert caps["CapInh"] == amb and caps["CapEff"] == amb, r.stdout


def test_preserve_fds(oci, tmp_path):
    """--preserve-fds N: the caller's fds 3..3+N-1 reach the command (and
    nothing above them), for create and for exec."""
    out, via = tmp_path / "out", tmp_path / "via"
    via.write_text("")
    os.chmod(via, 0o666)

    def fd3_is_via():
        fd = os.open(via, os.O_WRONLY | os.O_APPEND)
        if fd != 3:
            os.dup2(fd, 3)
            os.close(fd)
        os.set_inheritable(3, True)

    b = oci.bundle(["/bin/sh", "-c", "echo from-create >&3; exec /wtest fds"])
    # files, not pipes: the container keeps create's stdio open
    with open(out, "w") as o, open(tmp_path / "err", "w") as e:
        r = subprocess.run(oci.cmd("create", "--preserve-fds", "1", "--bundle", b, "p1"),
                           stdin=subprocess.DEVNULL, stdout=o, stderr=e, env=oci.env(),
                           preexec_fn=fd3_is_via, close_fds=False, timeout=60)
    assert r.returncode == 0, (tmp_path / "err").read_text()
    ok(oci.run("start", "p1"))
    oci.wait_status("p1", "stopped")
    fds = {int(l.split()[0]): l.split()[1] for l in out.read_text().splitlines()}
    assert sorted(fds) == [0, 1, 2, 3], fds
    assert via.read_text() == "from-create\n"
    ok(oci.run("delete", "p1"))
    b = oci.bundle(SLEEP)
    ok(oci.create("p2", b))
    ok(oci.run("start", "p2"))
    r = subprocess.run(oci.cmd("exec", "--preserve-fds", "1", "p2", "/bin/sh", "-c",
                               "echo from-exec >&3; exec /wtest fds"),
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       env=oci.env(), preexec_fn=fd3_is_via, close_fds=False, timeout=60)
    assert r.returncode == 0, r.stderr
    assert sorted(int(l.split()[0]) for l in r.stdout.splitlines()) == [0, 1, 2, 3], r.stdout
    assert via.read_text() == "from-create\nfrom-exec\n"
    ok(oci.run("delete", "--force", "p2"))


def test_early_child_failure_is_reported(oci, tmp_path):
    """The container process fails while ward still has messages for it:
    the user reads the child's reason, not ward's broken pipe."""
    def bad_mount(c):
        c["mounts"].append({"destination": "/x", "type": "bind",
                            "source": str(tmp_path / "missing"), "options": ["rbind"]})
        c["hooks"] = {"prestart": [{"path": "/bin/true"}]}
    b = oci.bundle(["/bin/true"], bad_mount)
    line = one_error(oci.create("f1", b))
    assert "missing" in line and "Broken pipe" not in line, line
    assert not (oci.root / "f1").exists()
