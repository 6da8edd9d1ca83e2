# SPDX-License-Identifier: GPL-2.0-or-later
"""What an OCI config.json asks of the runtime beyond `ward run`'s options:
hooks, devices, personality, time namespace offsets, namespaces joined by
path, umask and additional groups, the seccomp listener, the mount label.

`ward run` has no option for these, so tests/unit/ocidrive builds the spec
as `ward run` would, adds the OCI extras from a JSON file and runs the
container's life through the runtime's C API (create, start, poststart
hooks, wait, destroy, poststop hooks).  Every test checks what the kernel
shows: a hook's marker with the state it read on stdin and the namespaces
it ran in, a device node's type, numbers and mode, `uname -m`, the clocks,
/proc/PID/ns links.

Namespaces to join are held by `unshare ... sleep` processes started here
(and killed here); each is checked to differ from ours before a container
joins it, so the machine's own namespaces are never handed to a container.
"""
import array
import errno
import fcntl
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

import conftest
from conftest import BUILD, CGROUP_PARENT, is_v2_host, self_cgroup_dirs

OCIDRIVE = BUILD / "tests" / "unit" / "ocidrive"
SH = "/bin/sh"


@pytest.fixture
def drive(ward, tmp_path):
    """Run a container through ocidrive: drive(cfg) -> CompletedProcess."""
    if not OCIDRIVE.exists():
        pytest.skip(f"{OCIDRIVE} is not built")
    count = [0]

    def run(cfg, timeout=60):
        count[0] += 1
        full = {"root": str(ward.root), "name": f"oci{count[0]}",
                "cgroup_parent": CGROUP_PARENT}
        full.update(cfg)
        f = tmp_path / f"cfg{count[0]}.json"
        f.write_text(json.dumps(full))
        return subprocess.run([str(OCIDRIVE), str(f)], capture_output=True, text=True,
                              timeout=timeout)
    return run


@pytest.fixture
def shared():
    """A directory anyone may reach and write: hooks inside a user namespace
    run as an unprivileged host uid (pytest's tmp_path is 0700)."""
    d = Path(tempfile.mkdtemp(prefix="ward-oci-"))
    os.chmod(d, 0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def ns_link(pid, kind):
    return os.readlink(f"/proc/{pid}/ns/{kind}")


def sh_hook(script, **kw):
    h = {"path": SH, "args": ["sh", "-c", script]}
    h.update(kw)
    return h


# ---- hooks ----------------------------------------------------------------

def marker_hook(d, kind):
    """Appends its kind to d/order, keeps its stdin (the state) and the
    namespaces and environment it ran with."""
    return sh_hook(f"umask 0; cat > {d}/{kind}.json; echo {kind} >> {d}/order; "
                   f"readlink /proc/self/ns/mnt > {d}/{kind}.mnt; env > {d}/{kind}.env",
                   env=[f"HOOK_KIND={kind}"])


@pytest.mark.parametrize("release", ["sync", "fifo"])
def test_hooks_run_in_order_with_the_state(drive, shared, release):
    kinds = ["prestart", "createRuntime", "createContainer", "poststart", "poststop"]
    hooks = {k: [marker_hook(shared, k)] for k in kinds}
    # startContainer runs in the container: its marker goes through a bind
    hooks["startContainer"] = [marker_hook("/out", "startContainer")]
    r = drive({"release": release, "bundle": str(shared), "annotations": {"org.test": "yes"},
               "options": [["bind", f"{shared}:/out"]],
               "args": [SH, "-c", "echo command >> /out/order; readlink /proc/self/ns/mnt"],
               "hooks": hooks})
    assert r.returncode == 0, r.stderr
    container_mnt = r.stdout.strip()
    pid = int(r.stderr.split("ocidrive: created ")[1].split()[0])
    order = (shared / "order").read_text().split()
    assert order[:4] == ["prestart", "createRuntime", "createContainer", "startContainer"]
    assert sorted(order[4:6]) == ["command", "poststart"]
    assert order[6:] == ["poststop"]
    expect = {"prestart": "created", "createRuntime": "created", "createContainer": "created",
              "startContainer": "created", "poststart": "running", "poststop": "stopped"}
    for kind, status in expect.items():
        st = json.loads((shared / f"{kind}.json").read_text())
        assert st["ociVersion"] and st["id"].startswith("oci"), st
        assert st["status"] == status, (kind, st)
        assert st["bundle"] == str(shared)
        assert st["annotations"] == {"org.test": "yes"}
        if status == "stopped":
            assert "pid" not in st
        else:
            assert st["pid"] == pid, (kind, st)
        env = (shared / f"{kind}.env").read_text()
        assert f"HOOK_KIND={kind}" in env
        assert "PATH=" not in env.replace("PWD=", ""), (kind, env)
    mine = os.readlink("/proc/self/ns/mnt")
    # runtime namespace: prestart, createRuntime, poststart, poststop
    for kind in ("prestart", "createRuntime", "poststart", "poststop"):
        assert (shared / f"{kind}.mnt").read_text().strip() == mine, kind
    # the container's: createContainer (before pivot_root), startContainer
    for kind in ("createContainer", "startContainer"):
        assert (shared / f"{kind}.mnt").read_text().strip() == container_mnt, kind
    assert container_mnt != mine


def test_a_hook_cannot_rewrite_the_state_for_the_next(drive, shared):
    # the first hook tries to overwrite its stdin (the shared state memfd)
    # through a fresh open; the second must still read the real document
    tamper = sh_hook(f"umask 0; (printf '{{}}' > /proc/self/fd/0) 2> {shared}/tamper.err; "
                     f"echo $? > {shared}/tamper.rc")
    hooks = {"prestart": [tamper, marker_hook(shared, "prestart")]}
    r = drive({"bundle": str(shared), "args": [SH, "-c", "true"], "hooks": hooks})
    assert r.returncode == 0, r.stderr
    assert (shared / "tamper.rc").read_text().strip() != "0"
    assert "not permitted" in (shared / "tamper.err").read_text()
    st = json.loads((shared / "prestart.json").read_text())
    assert st["status"] == "created" and st["id"].startswith("oci"), st


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer"])
def test_failing_create_hook_fails_the_create(drive, shared, kind):
    r = drive({"args": [SH, "-c", "touch /ran"],
               "hooks": {kind: [sh_hook("echo boom >&2; exit 3")]}})
    assert r.returncode == 125
    assert f"create: {kind}: hook {SH}: exited with status 3: boom" in r.stderr, r.stderr
    assert "created" not in r.stderr


def test_hook_timeout_kills_it(drive, shared):
    t = time.monotonic()
    r = drive({"args": ["/bin/true"],
               "hooks": {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "30"],
                                            "timeout": 1}]}})
    assert r.returncode == 125
    assert "createRuntime: hook /bin/sleep: timed out after 1 s" in r.stderr
    assert time.monotonic() - t < 10


def test_hook_that_cannot_run_is_an_error(drive):
    r = drive({"args": ["/bin/true"], "hooks": {"prestart": [{"path": "/nonexistent/hook"}]}})
    assert r.returncode == 125
    assert "exec /nonexistent/hook: No such file or directory" in r.stderr


@pytest.mark.parametrize("release", ["sync", "fifo"])
def test_failing_start_container_hook_kills_the_container(drive, shared, release):
    r = drive({"release": release, "options": [["bind", f"{shared}:/out"]],
               "args": [SH, "-c", "touch /out/ran"],
               "hooks": {"startContainer": [sh_hook("echo no >&2; exit 2")],
                         "poststart": [sh_hook(f"touch {shared}/poststart")]}})
    assert r.returncode == 125, r.stderr
    assert "start: startContainer: hook /bin/sh: exited with status 2: no" in r.stderr
    assert not (shared / "ran").exists()
    assert not (shared / "poststart").exists()


def test_poststart_and_poststop_failures_are_warnings(drive, shared):
    r = drive({"args": [SH, "-c", "exit 7"],
               "hooks": {"poststart": [sh_hook("exit 1"), sh_hook(f"touch {shared}/ps2")],
                         "poststop": [sh_hook("exit 4"), sh_hook(f"touch {shared}/pst2")]}})
    assert r.returncode == 7, r.stderr
    assert "warning: poststart hook /bin/sh: exited with status 1" in r.stderr
    assert "warning: poststop hook /bin/sh: exited with status 4" in r.stderr
    # the hooks after a failing one still run
    assert (shared / "ps2").exists() and (shared / "pst2").exists()


# ---- devices --------------------------------------------------------------

STAT = "stat -c '%n %F %t:%T %a %u:%g'"


def test_devices_made_with_mknod_without_user_namespace(drive):
    r = drive({"options": [["userns", "host"]],
               "args": [SH, "-c", f"{STAT} /dev/mine /dev/fifo0 /dev/null /dev/zero /dev/ptmx; "
                        "echo data > /dev/mine && head -c 3 /dev/zero | od -An -tx1"],
               "devices": [
                   {"path": "/dev/mine", "type": "c", "major": 1, "minor": 3, "mode": 0o666,
                    "uid": 12, "gid": 34},
                   {"path": "/dev/fifo0", "type": "p", "mode": 0o604},
                   # one of the default set, given its own mode: replaces it
                   {"path": "/dev/null", "type": "c", "major": 1, "minor": 3, "mode": 0o660}]})
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "/dev/mine character special file 1:3 666 12:34"
    assert lines[1] == "/dev/fifo0 fifo 0:0 604 0:0"
    assert lines[2] == "/dev/null character special file 1:3 660 0:0"
    assert lines[3].startswith("/dev/zero character special file 1:5 666")
    assert lines[4].startswith("/dev/ptmx symbolic link")
    assert lines[5].split() == ["00", "00", "00"]


def test_devices_bound_from_the_host_in_a_user_namespace(drive):
    # device nodes made in a user namespace do not work: the host's is bound
    r = drive({"args": [SH, "-c", f"{STAT} /dev/full /dev/tty; head -c 2 /dev/full | od -An -tx1"],
               "devices": [{"path": "/dev/full", "type": "c", "major": 1, "minor": 7,
                            "mode": 0o666}]})
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("/dev/full character special file 1:7 ")
    assert lines[1].startswith("/dev/tty character special file 5:0 ")
    assert lines[2].split() == ["00", "00"]


def test_device_missing_on_the_host_in_a_user_namespace(drive):
    r = drive({"args": ["/bin/true"],
               "devices": [{"path": "/dev/ward-no-such-device", "type": "c", "major": 1,
                            "minor": 3, "mode": 0o666}]})
    assert r.returncode == 125
    assert "devices: /dev/ward-no-such-device does not exist on the host" in r.stderr


# ---- personality, umask, groups, mount label -----------------------------

@pytest.mark.parametrize("persona,machine", [(0x0008, ("i686", "i386")), (0x0000, ("x86_64",))])
def test_personality(drive, persona, machine):
    if os.uname().machine != "x86_64":
        pytest.skip("x86_64 host only")
    r = drive({"personality": persona, "args": [SH, "-c", "uname -m"]})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() in machine


def test_umask_and_additional_groups(drive):
    groups = list(range(1000, 1100))   # more than 64: all of them
    r = drive({"umask": 0o027, "groups": groups,
               "args": [SH, "-c", "umask; id -G; mkdir /tmp/d; stat -c %a /tmp/d"]})
    assert r.returncode == 0, r.stderr
    out = r.stdout.split("\n")
    assert out[0] == "0027"
    assert set(groups) <= set(int(g) for g in out[1].split())
    assert out[2] == "750"


@pytest.mark.skipif(os.path.exists("/sys/fs/selinux/enforce"), reason="SELinux is on here")
def test_mount_label_has_no_effect_without_selinux(drive):
    r = drive({"mount_label": "system_u:object_r:container_file_t:s0:c1,c2",
               "args": [SH, "-c", "grep -c context= /proc/self/mountinfo || true"]})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "0"


# ---- cgroupsPath -----------------------------------------------------------

def test_cgroups_path_with_parents_to_make(drive, shared):
    """A relative cgroupsPath is taken from our own cgroup (as runc does);
    the parents it names are made, and removed with the container."""
    if is_v2_host():
        pytest.skip("v1/hybrid layout (the v2 tests run below a delegated parent)")
    base = conftest.CGROUP_PARENT.split("self/", 1)[1]
    # a prestart hook looks at the container process from the host
    look = sh_hook("pid=$(sed 's/.*\"pid\":\\([0-9]*\\).*/\\1/'); "
                   f"cat /proc/$pid/cgroup > {shared}/cgroup")
    r = drive({"cgroups_path": f"{base}/testdir/cgrouptest/container",
               "hooks": {"prestart": [look]}, "args": ["/bin/true"]})
    assert r.returncode == 0, r.stderr
    seen = (shared / "cgroup").read_text().splitlines()
    pids = [l.split(":", 2)[2] for l in seen if ":pids:" in l or l.startswith("0::")]
    assert pids and all(p.endswith(f"/{base}/testdir/cgrouptest/container") for p in pids), seen
    for d in self_cgroup_dirs():
        assert not (d / base / "testdir").exists(), d


# ---- time namespace -------------------------------------------------------

CLOCKS = ("/usr/bin/python3", "-c",
          "import time; print(time.clock_gettime(time.CLOCK_MONOTONIC), "
          "time.clock_gettime(time.CLOCK_BOOTTIME)); "
          "print(open('/proc/self/timens_offsets').read().split())")


def test_time_namespace_offsets(drive):
    day = 86400
    before = time.clock_gettime(time.CLOCK_MONOTONIC), time.clock_gettime(time.CLOCK_BOOTTIME)
    r = drive({"namespaces": {"time": None},
               "time_offsets": {"monotonic": [day, 0], "boottime": [2 * day, 500]},
               "args": list(CLOCKS)})
    assert r.returncode == 0, r.stderr
    after = time.clock_gettime(time.CLOCK_MONOTONIC), time.clock_gettime(time.CLOCK_BOOTTIME)
    mono, boot = map(float, r.stdout.splitlines()[0].split())
    assert before[0] + day <= mono <= after[0] + day
    assert before[1] + 2 * day <= boot <= after[1] + 2 * day
    assert r.stdout.splitlines()[1] == str(["monotonic", str(day), "0",
                                            "boottime", str(2 * day), "500"]).replace('"', "'")
    # ours are untouched
    assert abs(time.clock_gettime(time.CLOCK_MONOTONIC) - after[0]) < 60


def test_time_offsets_without_a_time_namespace(drive):
    r = drive({"time_offsets": {"monotonic": [10, 0]}, "args": ["/bin/true"]})
    assert r.returncode == 125
    assert "time offsets need a new time namespace" in r.stderr


# ---- namespaces joined by path --------------------------------------------

class Holder:
    """`unshare FLAGS sleep`: a process holding namespaces to join."""

    def __init__(self, *flags, fork=False):
        argv = ["unshare", *flags] + (["--fork", "--kill-child"] if fork else []) + \
            ["sleep", "600"]
        self.proc = subprocess.Popen(argv)
        self.pid = self.proc.pid
        deadline = time.time() + 5
        # wait until unshare has made them (and, with --fork, its child exists)
        while time.time() < deadline:
            kids = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
            try:
                made = all(ns_link(self.pid, f) != ns_link("self", f)
                           for f in self.kinds(flags))
            except FileNotFoundError:
                # pid_for_children reads ENOENT between the unshare and
                # the fork of the namespace's first process
                made = False
            if made and (not fork or kids):
                self.inner = int(kids[0]) if fork else self.pid
                return
            time.sleep(0.01)
        self.close()
        raise AssertionError(f"unshare {flags} did not start")

    @staticmethod
    def kinds(flags):
        names = {"--net": "net", "--uts": "uts", "--ipc": "ipc", "--mount": "mnt",
                 "--cgroup": "cgroup", "--pid": "pid_for_children", "--user": "user",
                 "--time": "time_for_children"}
        return [names[f] for f in flags if f in names]

    def path(self, kind):
        p = f"/proc/{self.pid}/ns/{kind}"
        # never a namespace of the machine's own
        assert ns_link(self.pid, kind) != ns_link("self", kind), kind
        return p

    def close(self):
        inner = getattr(self, "inner", self.pid)
        if inner != self.pid:
            try:
                os.kill(inner, 9)
            except ProcessLookupError:
                pass
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def holder():
    made = []

    def make(*flags, fork=False):
        h = Holder(*flags, fork=fork)
        made.append(h)
        return h
    yield make
    for h in made:
        h.close()


LINKS = "for n in net uts ipc pid mnt cgroup time user; do readlink /proc/self/ns/$n; done"


def links(out):
    return {l.split(":")[0]: l for l in out.splitlines() if l.endswith("]")}


def test_new_user_namespace_joins_a_network_namespace(drive, holder):
    # podman --userns=auto in bridge mode: the container's own user
    # namespace, the network namespace netavark prepared (the host's)
    h = holder("--net")
    r = drive({"namespaces": {"net": h.path("net")},
               "args": [SH, "-c", LINKS + "; ip -o link show"]})
    assert r.returncode == 0, r.stderr
    ln = links(r.stdout)
    assert ln["net"] == ns_link(h.pid, "net")
    assert ln["user"] != ns_link("self", "user")
    # not ward's to configure: its loopback stays down, nothing is added
    seen = [l for l in r.stdout.splitlines() if ": <" in l]
    assert len(seen) == 1 and seen[0].startswith("1: lo: <LOOPBACK>"), seen


def test_join_every_kind_by_path(drive, holder):
    h = holder("--net", "--uts", "--ipc", "--cgroup", "--mount", "--pid", "--time", fork=True)
    before = {k: ns_link("self", k) for k in ("net", "uts", "mnt", "pid_for_children", "time")}
    r = drive({"options": [["userns", "host"], ["hostname", "joined"]],
               "namespaces": {"net": h.path("net"), "uts": h.path("uts"), "ipc": h.path("ipc"),
                              "cgroup": h.path("cgroup"), "mnt": h.path("mnt"),
                              "pid": h.path("pid_for_children"),
                              "time": h.path("time_for_children")},
               "args": [SH, "-c", LINKS + "; hostname; echo $$"]})
    assert r.returncode == 0, r.stderr
    ln = links(r.stdout)
    for kind in ("net", "uts", "ipc", "cgroup", "mnt"):
        assert ln[kind] == ns_link(h.pid, kind), kind
    assert ln["pid"] == ns_link(h.pid, "pid_for_children")
    assert ln["time"] == ns_link(h.pid, "time_for_children")
    # PID 1 there is the holder's child: the container is another process
    assert int(r.stdout.split()[-1]) > 1
    assert subprocess.run(["nsenter", "-t", str(h.inner), "-u", "hostname"], capture_output=True,
                          text=True).stdout.strip() == "joined"
    # and we are back in ours
    assert before == {k: ns_link("self", k) for k in before}
    assert os.uname().nodename != "joined"


def test_join_a_user_namespace(drive, holder, shared):
    h = holder("--user", "--net")
    # as the host's root we may give it any map
    Path(f"/proc/{h.pid}/uid_map").write_text("0 3000000 65536")
    Path(f"/proc/{h.pid}/gid_map").write_text("0 3000000 65536")
    for release in ("sync", "fifo"):
        r = drive({"release": release,
                   "namespaces": {"user": h.path("user"), "net": h.path("net")},
                   "args": [SH, "-c", LINKS + "; cat /proc/self/uid_map; echo $$; id -u"]})
        assert r.returncode == 0, (release, r.stderr)
        ln = links(r.stdout)
        assert ln["user"] == ns_link(h.pid, "user")
        assert ln["net"] == ns_link(h.pid, "net")
        # a new PID namespace made inside it: the container is its PID 1
        assert ln["pid"] != ns_link("self", "pid")
        out = r.stdout.splitlines()
        assert out[-3].split() == ["0", "3000000", "65536"]
        assert out[-2:] == ["1", "0"]


def test_bad_namespace_paths(drive, holder, tmp_path):
    h = holder("--net")
    r = drive({"namespaces": {"uts": h.path("net")}, "args": ["/bin/true"]})
    assert r.returncode == 125
    assert "uts namespace /proc/%d/ns/net: a namespace of another kind" % h.pid in r.stderr
    r = drive({"namespaces": {"net": str(tmp_path / "nothing")}, "args": ["/bin/true"]})
    assert r.returncode == 125
    assert "network namespace %s: No such file or directory" % (tmp_path / "nothing") in r.stderr
    (tmp_path / "file").write_text("")
    r = drive({"namespaces": {"ipc": str(tmp_path / "file")}, "args": ["/bin/true"]})
    assert "not a namespace file" in r.stderr


# ---- seccomp listener -----------------------------------------------------

SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100   # _IOWR('!', 0, struct seccomp_notif)
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101   # _IOWR('!', 1, struct seccomp_notif_resp)


class Listener(threading.Thread):
    """The seccomp agent: receives the notify fd and the state, answers the
    first notification with EXDEV."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(1)
        self.sock.settimeout(30)
        self.payload = self.fd_kind = self.error = None
        self.syscall = None

    def run(self):
        try:
            conn, _ = self.sock.accept()
            fds = array.array("i")
            msg, anc, _, _ = conn.recvmsg(1 << 16, socket.CMSG_LEN(4))
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(data[:4])
            self.payload = json.loads(msg)
            fd = fds[0]
            self.fd_kind = os.readlink(f"/proc/self/fd/{fd}")
            notif = bytearray(80)
            fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, notif)
            nid, _, _, self.syscall = struct.unpack_from("QIIi", notif)
            resp = bytearray(struct.pack("QqiI", nid, 0, -errno.EXDEV, 0))
            fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp)
            os.close(fd)
            conn.close()
        except Exception as e:   # reported by the test
            self.error = e


def test_seccomp_listener_gets_the_notify_fd(drive, tmp_path):
    sock = tmp_path / "agent.sock"
    agent = Listener(sock)
    agent.start()
    r = drive({"bundle": str(tmp_path),
               "seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                           "syscalls": [{"names": ["mkdir", "mkdirat"],
                                         "action": "SCMP_ACT_NOTIFY"}]},
               "listener_path": str(sock), "listener_metadata": "agent=test",
               "args": [SH, "-c", "mkdir /tmp/x 2>&1; echo rc=$?"]})
    agent.join(10)
    assert agent.error is None, agent.error
    assert r.returncode == 0, r.stderr
    assert "Invalid cross-device link" in r.stdout and "rc=1" in r.stdout
    assert agent.fd_kind == "anon_inode:seccomp notify"
    assert agent.syscall in (83, 258)    # mkdir, mkdirat (x86_64)
    p = agent.payload
    pid = int(r.stderr.split("ocidrive: created ")[1].split()[0])
    assert p["fds"] == ["seccompFd"] and p["metadata"] == "agent=test"
    assert p["pid"] == pid
    assert p["state"]["id"].startswith("oci") and p["state"]["pid"] == pid
    assert p["state"]["bundle"] == str(tmp_path)


def test_seccomp_listener_that_is_not_there(drive, tmp_path):
    r = drive({"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                           "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]},
               "listener_path": str(tmp_path / "none.sock"), "args": ["/bin/true"]})
    assert r.returncode == 125
    assert f"seccomp listener {tmp_path}/none.sock: No such file or directory" in r.stderr


def test_seccomp_notify_on_sendmsg_is_refused(drive, tmp_path):
    r = drive({"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                           "syscalls": [{"names": ["sendmsg"], "action": "SCMP_ACT_NOTIFY"}]},
               "listener_path": str(tmp_path / "a.sock"), "args": ["/bin/true"]})
    assert r.returncode == 125
    assert "SCMP_ACT_NOTIFY for sendmsg cannot be used" in r.stderr


# ---- seccomp without no_new_privs ----------------------------------------

@pytest.mark.parametrize("init", [False, True])
def test_seccomp_without_no_new_privs(drive, init):
    """The kernel loads a filter without no_new_privs only for a holder of
    CAP_SYS_ADMIN: it is loaded before the user switch.  The profile
    restricts personality() to 0 (as Docker's restricts it to a few
    values): the spec's LINUX32 is set by ward before the filter, so it
    still applies; and --init's reaper runs under the same filter."""
    if os.uname().machine != "x86_64":
        pytest.skip("x86_64 host only")
    profile = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["syslog"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
        {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
         "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_NE"}]},
    ]}
    options = [["bind", f"{conftest.WTEST}:/wtest:ro"]] + ([["init", None]] if init else [])
    cfg = {"no_new_privs": False, "seccomp": profile, "personality": 0x0008,
           "options": options,
           "args": ["/wtest", "syscall", "syslog"]}
    r = drive(cfg)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "syslog EACCES\n", r.stdout
    cfg["args"] = [SH, "-c", "uname -m; grep -E '^(NoNewPrivs|Seccomp):' /proc/$$/status; "
                   "grep -E '^Seccomp:' /proc/1/status"]
    r = drive(cfg)
    assert r.returncode == 0, r.stderr
    lines = [l.split() for l in r.stdout.splitlines()]
    assert lines[0][0] in ("i686", "i386"), r.stdout
    assert lines[1:3] == [["NoNewPrivs:", "0"], ["Seccomp:", "2"]], r.stdout
    # PID 1 is the command, or --init's reaper: filtered either way
    assert lines[3] == ["Seccomp:", "2"], r.stdout
