# SPDX-License-Identifier: GPL-2.0-or-later
"""Containers that outlive the command: create, start, attach, console, info,
ls, stop, kill, destroy, autostart, config files (LXC's too), templates, and
crash safety.  Containers with a network run in a sandbox (netsandbox.py);
the others have loopback only.  Every test checks that nothing is left."""
import contextlib
import io
import json
import os
import pty
import re
import select
import signal
import tarfile
import threading
import time
from pathlib import Path

import pytest

from conftest import WTEST, leftovers
from netsandbox import HOST_IP, LAN_IP, sh

SLEEP = ["/wtest", "sleep", "3600"]


def ok(r):
    assert r.returncode == 0, f"exit {r.returncode}: {r.stderr}"
    return r


def one_line(r):
    lines = [l for l in r.stderr.strip().splitlines() if "no range for root" not in l]
    assert len(lines) == 1, r.stderr
    return lines[0]


@contextlib.contextmanager
def on_a_pty(w, *args):
    """`ward ARGS` with a pty as its terminal: (pid, master fd); killed
    and closed at the end whatever happened."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(w.bin, [w.bin, *args], w.env())
    try:
        yield pid, fd
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.close(fd)


def state(w, name):
    """`ward info NAME --json`; W may be a Sandbox (ward in its host netns)."""
    return json.loads(ok(w.run("info", name, "--json")).stdout)


def store_empty(w):
    """The store has no container and no subordinate id block left."""
    problems = []
    cdir = w.lib / "containers"
    if cdir.exists() and list(cdir.iterdir()):
        problems.append(f"containers {[p.name for p in cdir.iterdir()]}")
    sdir = w.lib / "subids.d"
    if sdir.exists() and list(sdir.iterdir()):
        problems.append(f"subid blocks {[p.name for p in sdir.iterdir()]}")
    return problems


def monitors(w):
    """ward-monitor processes of this test's root."""
    found = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            cmd = (p / "cmdline").read_bytes().split(b"\0")
            env = (p / "environ").read_bytes()
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"ward-monitor") and str(w.root).encode() in env:
            found.append(int(p.name))
    return found


def wait_monitors(w, n, timeout=10):
    """The monitors of this root once there are N: `ward start` returns when
    the container runs, a moment before its monitor process has executed
    ward-monitor (and after a stop, the monitor may still be tearing down)."""
    deadline = time.time() + timeout
    found = monitors(w)
    while len(found) != n and time.time() < deadline:
        time.sleep(0.02)
        found = monitors(w)
    return found


@pytest.fixture
def lw(ward):
    """ward, plus: every container created is stopped and destroyed at the
    end, and the store must then be empty."""
    created = []
    ward.created = created
    yield ward
    for name in created:
        ward.run("stop", name, "-t", "0")
        ward.run("destroy", name, "-f")
    assert not store_empty(ward), store_empty(ward)
    assert not wait_monitors(ward, 0), f"monitors left: {monitors(ward)}"


def create(w, name, *args, cmd=SLEEP, bind_wtest=True, runner=None):
    runner = runner or w.run
    extra = ["--bind", f"{WTEST}:/wtest:ro"] if bind_wtest else []
    r = runner("create", name, *args, *extra, "--", *cmd)
    if r.returncode == 0:
        w.created.append(name)
    return r


# --- the whole lifecycle, per template ---

def busybox_tar(path, compression="gz", extra=None):
    """A rootfs tarball made from the host's static busybox."""
    mode = {"gz": "w:gz", "xz": "w:xz", "plain": "w"}[compression]
    with tarfile.open(path, mode) as t:
        for d in ("bin", "etc", "proc", "sys", "dev", "tmp", "run", "root"):
            i = tarfile.TarInfo(d)
            i.type, i.mode = tarfile.DIRTYPE, 0o755
            t.addfile(i)
        t.add("/bin/busybox", "bin/busybox")
        for a in ("sh", "ls", "cat", "id", "sleep", "echo", "stat"):
            i = tarfile.TarInfo(f"bin/{a}")
            i.type, i.linkname = tarfile.SYMTYPE, "busybox"
            t.addfile(i)
        data = b"root:x:0:0:root:/root:/bin/sh\nwww:x:33:33::/:/bin/sh\n"
        i = tarfile.TarInfo("etc/passwd")
        i.size = len(data)
        t.addfile(i, io.BytesIO(data))
        i = tarfile.TarInfo("etc/owned-by-33")
        i.uid = i.gid = 33
        t.addfile(i, io.BytesIO(b""))
        for info, blob in (extra or []):
            t.addfile(info, io.BytesIO(blob) if blob is not None else None)
    return path


@pytest.mark.parametrize("template", ["host", "busybox", "tar", "dir", "ephemeral"])
def test_lifecycle_per_template(lw, tmp_path, template):
    w = lw
    args, cmd = [], SLEEP
    if template == "host":
        args = ["--template", "host"]
    elif template == "busybox":
        args, cmd = ["--template", "busybox"], ["/bin/sleep", "3600"]
    elif template == "tar":
        args = ["--template", f"tar:{busybox_tar(tmp_path / 'rootfs.tar.gz')}"]
        cmd = ["/bin/sleep", "3600"]
    elif template == "dir":
        d = tmp_path / "rootdir"
        d.mkdir()
        with tarfile.open(busybox_tar(tmp_path / "r.tar")) as t:
            t.extractall(d)
        args, cmd = ["--template", f"dir:{d}"], ["/bin/sleep", "3600"]
    else:
        args, cmd = ["--template", "busybox", "--ephemeral"], ["/bin/sleep", "3600"]
    r = create(w, "c1", *args, cmd=cmd, bind_wtest=template == "host")
    ok(r)
    cfg = (w.lib / "containers" / "c1" / "config").read_text()
    assert "ward.cmd" in cfg
    # its own id block, written into its config
    m = re.search(r"^ward\.userns = 0:(\d+):65536$", cfg, re.M)
    assert m, cfg
    base = int(m.group(1))
    # listed, stopped
    assert ok(w.run("ls")).stdout.split() == ["c1"]
    assert state(w, "c1")["state"] == "stopped"
    ok(w.run("start", "c1"))
    st = state(w, "c1")
    assert st["state"] == "running" and st["pid"] > 0
    pid = st["pid"]
    # the container's root is the first id of its block
    uid_map = Path(f"/proc/{pid}/uid_map").read_text().split()
    assert uid_map[:3] == ["0", str(base), "65536"]
    listed = json.loads(ok(w.run("ls", "--json")).stdout)
    assert [(c["name"], c["state"], c["unprivileged"]) for c in listed] == \
        [("c1", "running", True)]
    fancy = ok(w.run("ls", "--fancy")).stdout.splitlines()
    assert fancy[0].split() == ["NAME", "STATE", "AUTOSTART", "GROUPS", "IPV4", "IPV6",
                                "UNPRIVILEGED"]
    assert fancy[1].split()[:3] == ["c1", "running", "no"]
    assert fancy[1].split()[-1] == "yes"
    if template in ("busybox", "tar"):
        rootfs = w.lib / "containers" / "c1" / "rootfs"
        assert (rootfs / "bin" / "busybox").stat().st_uid == base
        if template == "tar":
            # the tarball's owner 33 is the container's 33
            assert (rootfs / "etc" / "owned-by-33").stat().st_uid == base + 33
            r = ok(w.run("attach", "c1", "--", "/bin/stat", "-c", "%u", "/etc/owned-by-33"))
            assert r.stdout.strip() == "33"
    if template == "ephemeral":
        ok(w.run("attach", "c1", "--", "/bin/sh", "-c", "echo x > /written"))
        assert not (w.lib / "containers" / "c1" / "rootfs" / "written").exists()
        ok(w.run("stop", "c1", "-t", "1"))
        ok(w.run("start", "c1"))
        r = w.run("attach", "c1", "--", "/bin/cat", "/written")
        assert r.returncode != 0, "an ephemeral container kept a file across runs"
    ok(w.run("stop", "c1", "-t", "1"))
    st = state(w, "c1")
    assert st["state"] == "stopped"
    assert "last_exit_status" in st
    assert not leftovers(w), leftovers(w)
    assert not wait_monitors(w, 0)
    ok(w.run("destroy", "c1"))
    w.created.remove("c1")
    assert not store_empty(w), store_empty(w)
    assert w.run("info", "c1").returncode == 125
    if template == "dir":
        assert (d / "bin" / "busybox").exists(), "destroy touched a dir: template's tree"


def test_create_errors_change_nothing(lw, tmp_path):
    w = lw
    ok(create(w, "dup"))
    before = sorted(str(p) for p in w.lib.rglob("*"))
    cases = [
        (["dup"], "already exists"),
        (["x1", "--template", "nosuch"], "--template"),
        (["x2", "--template", "host", "--ephemeral"], "--ephemeral"),
        (["x3", "--memory", "lots"], "--memory"),
        (["x4", "--template", f"dir:{tmp_path}/missing"], "missing"),
        (["x5", "--template", f"tar:{tmp_path}/missing.tar"], "missing.tar"),
        (["x6", "--name", "other"], "--name"),
        (["bad/name"], "not a container name"),
    ]
    for args, frag in cases:
        r = w.run("create", *args, "--", "/bin/true")
        assert r.returncode == 125, (args, r.stderr)
        assert frag in one_line(r), (args, r.stderr)
    assert sorted(str(p) for p in w.lib.rglob("*")) == before


def test_destroy_refuses_running_without_force(lw):
    w = lw
    ok(create(w, "d1"))
    ok(w.run("start", "d1"))
    r = w.run("destroy", "d1")
    assert r.returncode == 125 and "running" in one_line(r)
    assert state(w, "d1")["state"] == "running"
    ok(w.run("destroy", "d1", "-f"))
    w.created.remove("d1")
    assert not leftovers(w) and not store_empty(w)
    assert w.run("destroy", "d1").returncode == 125


# --- running containers ---

def ns_inodes(pid):
    return {n: os.readlink(f"/proc/{pid}/ns/{n}")
            for n in ("mnt", "pid", "net", "uts", "ipc", "user", "cgroup")}


def status_fields(text, *keys):
    out = {}
    for line in text.splitlines():
        k, _, v = line.partition(":")
        if k in keys:
            out[k] = v.strip()
    return out


def test_attach_joins_namespaces_with_same_restrictions(lw):
    w = lw
    ok(create(w, "a1", "--cap-drop", "chown"))
    ok(w.run("start", "a1"))
    pid = state(w, "a1")["pid"]
    # a long-lived attached process, so its /proc entry can be compared
    p = w.popen("attach", "a1", "--", "/wtest", "sleep", "60")
    try:
        deadline = time.time() + 10
        apid = None
        while time.time() < deadline and not apid:
            for q in Path("/proc").iterdir():
                if q.name.isdigit() and int(q.name) != pid:
                    try:
                        if (q / "cmdline").read_bytes().startswith(b"/wtest\0sleep\0060") or \
                           (q / "cmdline").read_bytes() == b"/wtest\0sleep\x0060\0":
                            apid = int(q.name)
                    except OSError:
                        pass
            time.sleep(0.05)
        assert apid, "the attached process did not appear"
        assert ns_inodes(apid) == ns_inodes(pid)
        keys = ("CapEff", "CapBnd", "CapPrm", "Seccomp", "NoNewPrivs", "Uid", "Gid")
        a = status_fields(Path(f"/proc/{apid}/status").read_text(), *keys)
        c = status_fields(Path(f"/proc/{pid}/status").read_text(), *keys)
        assert a == c
        assert a["Seccomp"] == "2" and a["NoNewPrivs"] == "1"
        assert Path(f"/proc/{apid}/uid_map").read_text() == Path(f"/proc/{pid}/uid_map").read_text()
        assert Path(f"/proc/{apid}/cgroup").read_text() == Path(f"/proc/{pid}/cgroup").read_text()
        # the dropped capability is missing inside too
        assert int(a["CapEff"], 16) & 1 == 0
    finally:
        p.kill()
        p.wait()
    # exit codes come through; a missing command is 127
    assert w.run("attach", "a1", "--", "/wtest", "exit", "7").returncode == 7
    assert w.run("attach", "a1", "--", "/nonexistent").returncode == 127
    ok(w.run("stop", "a1", "-t", "1"))
    r = w.run("attach", "a1", "--", "/wtest", "exit", "0")
    assert r.returncode == 125 and "not running" in one_line(r)


def read_until(fd, pattern, timeout=10):
    buf = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if re.search(pattern, buf):
                return buf
    raise AssertionError(f"{pattern!r} not seen in {buf!r}")


def test_console_through_a_pty(lw):
    w = lw
    ok(create(w, "con", "-t", cmd=["/bin/sh"]))
    ok(w.run("start", "con"))
    with on_a_pty(w, "console", "con") as (pid, fd):
        time.sleep(0.3)
        os.write(fd, b"echo hello-$((6*7))\r")
        read_until(fd, rb"hello-42")
        os.write(fd, b"\x01q")   # Ctrl-a q detaches
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    # the container runs on after the detach, and its output was logged
    assert state(w, "con")["state"] == "running"
    # an interactive attach gets a terminal of the container's own
    with on_a_pty(w, "attach", "con", "--", "/bin/sh") as (pid, fd):
        os.write(fd, b"tty; echo sum-$((2+3))\r")
        out = read_until(fd, rb"sum-5")
        assert re.search(rb"/dev/pts/\d+", out), out
        os.write(fd, b"exit 3\r")
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 3
    log = (w.lib / "containers" / "con" / "console.log").read_bytes()
    assert b"hello-42" in log
    ok(w.run("stop", "con", "-t", "1"))


def test_stop_escalates_to_kill_and_kill_sends_signals(lw):
    w = lw
    # a command that ignores the stop signal (SIGTERM)
    ok(create(w, "st", cmd=["/bin/sh", "-c", "trap '' TERM; echo \"ready\"; while :; do sleep 1; done"]))
    ok(w.run("start", "st"))
    t0 = time.monotonic()
    ok(w.run("stop", "st", "-t", "1"))
    st = state(w, "st")
    assert st["state"] == "stopped"
    assert st["last_exit_status"] == 128 + signal.SIGKILL
    assert time.monotonic() - t0 < 30
    # kill with a named signal reaches the container: it exits 128+N
    ok(create(w, "k1", "--init"))
    ok(w.run("start", "k1"))
    ok(w.run("kill", "k1", "USR1"))
    deadline = time.time() + 10
    while state(w, "k1")["state"] == "running" and time.time() < deadline:
        time.sleep(0.05)
    assert state(w, "k1")["last_exit_status"] == 128 + signal.SIGUSR1
    r = w.run("kill", "k1", "TERM")
    assert r.returncode == 125 and "not running" in one_line(r)
    assert not leftovers(w)


def test_two_starts_at_once(lw):
    w = lw
    ok(create(w, "twice"))
    for _ in range(3):
        procs = [w.popen("start", "twice") for _ in range(2)]
        outs = [p.communicate(timeout=60) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outs
        said = [e for _, e in outs if "already running" in e]
        assert len(said) == 1, outs
        assert len(wait_monitors(w, 1)) == 1
        ok(w.run("stop", "twice", "-t", "0"))
    assert not leftovers(w)


def test_parallel_lifecycles_of_twenty(lw):
    w = lw
    names = [f"p{i:02d}" for i in range(20)]
    errors = []

    def cycle(n):
        for verb in (("create", n, "--bind", f"{WTEST}:/wtest:ro", "--", *SLEEP),
                     ("start", n), ("stop", n, "-t", "1"), ("destroy", n)):
            r = w.run(*verb)
            if r.returncode:
                errors.append((verb, r.stderr))
                return

    threads = [threading.Thread(target=cycle, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert not leftovers(w) and not store_empty(w)


# --- config files ---

def test_config_file_settings_and_command_line_override(lw, tmp_path):
    w = lw
    inc = tmp_path / "common.conf"
    inc.write_text("# shared\nward.memory = 64M\nward.env = FROM=include\n")
    conf = tmp_path / "app.conf"
    conf.write_text(f"include = {inc.name}\nward.hostname = from-file\n"
                    "ward.pids.limit = 50\n")
    ok(create(w, "cf", "--config", conf, "--hostname", "from-cli",
              cmd=["/wtest", "hostname"]))
    ok(w.run("start", "-F", "cf"))
    r = ok(w.run("start", "-F", "cf"))
    assert r.stdout.strip() == "from-cli"


BAD_CONFIGS = [
    ("ward.memory = lots\n", 1, "ward.memory"),
    ("\n# c\nward.nosuch = 1\n", 3, "ward.nosuch"),
    ("lxc.utsname = ok\nlxc.net.0.ipv4.address = 10.0.0.300/24\n", 2,
     "lxc.net.0.ipv4.address"),
    ("lxc.cgroup.memory.limit_in_bytes = many\n", 1, "lxc.cgroup.memory.limit_in_bytes"),
    ("lxc.cap.drop = sys_nonsense\n", 1, "lxc.cap.drop"),
    ("lxc.idmap = x 0 100000 65536\n", 1, "lxc.idmap"),
    ("lxc.hook.pre-start = /bin/true\n", 1, "lxc.hook.pre-start"),
    ("lxc.mount.entry = /nonexistent-src opt none bind 0 0\nlxc.rootfs.path = /\n",
     None, "lxc.mount.entry"),
    ("include = missing.conf\n", 1, "missing.conf"),
    ("just some words\n", 1, "bad.conf:1"),
    ("ward.start.auto = maybe\n", 1, "ward.start.auto"),
    ("ward.cmd = \"unterminated\n", 1, "ward.cmd"),
]


@pytest.mark.parametrize("text,line,key", BAD_CONFIGS)
def test_bad_config_one_line_nothing_created(lw, tmp_path, text, line, key):
    w = lw
    conf = tmp_path / "bad.conf"
    conf.write_text(text)
    r = w.run("create", "bc", "--config", conf)
    assert r.returncode == 125
    msg = one_line(r)
    assert key in msg, msg
    if line is not None:
        assert f"bad.conf:{line}:" in msg, msg
    assert not (w.lib / "containers" / "bc").exists()
    assert not store_empty(w)
    # ward run says the same and starts nothing
    r = w.run("run", "--config", conf, "--", "/bin/true")
    assert r.returncode == 125 and key in one_line(r)
    assert not leftovers(w)


VM1 = """\
lxc.utsname = vm1
lxc.rootfs = {rootfs}
lxc.mount.entry = /lib lib none ro,bind 0 0
lxc.mount.entry = /bin bin none ro,bind 0 0
lxc.mount.entry = /usr usr none ro,bind 0 0
lxc.mount.entry = /sbin sbin none ro,bind 0 0
lxc.mount.entry = proc proc proc nodev,noexec,nosuid 0 0
lxc.mount.entry = tmpfs dev/shm tmpfs defaults 0 0
lxc.network.type = veth
lxc.network.flags = up
lxc.network.link = br0
lxc.network.hwaddr = 4a:49:43:49:79:bf
lxc.network.ipv4 = 10.0.0.2/24
lxc.network.name = eth0
"""


def vm1_rootfs(tmp_path):
    root = tmp_path / "vm1"
    for d in ("lib", "bin", "usr", "sbin", "proc", "dev/shm", "etc", "tmp", "wtest-dir"):
        (root / d).mkdir(parents=True)
    # a usr-merged host keeps the dynamic loader under /usr/lib64
    if Path("/lib64").is_symlink() or Path("/lib64").exists():
        os.symlink("usr/lib64", root / "lib64")
    (root / "wtest-dir" / "wtest").touch()
    os.chmod(root, 0o755)
    return root


def test_vm1_lxc_config_runs_as_written(sb, tmp_path):
    # br0 is the admin's bridge, not ward's: ward attaches to it as it is
    sb.in_host("ip", "link", "add", "br0", "type", "bridge")
    sb.in_host("ip", "addr", "add", "10.0.0.1/24", "dev", "br0")
    sb.in_host("ip", "link", "set", "br0", "up")
    root = vm1_rootfs(tmp_path)
    conf = tmp_path / "lxc.conf"
    conf.write_text(VM1.format(rootfs=root))
    sb.serve_host(8080, "br0-host")
    script = ("cat /proc/sys/kernel/hostname; cat /sys/class/net/eth0/address; "
              "grep -c ' /dev/shm tmpfs' /proc/mounts; "
              "touch /usr/x 2>/dev/null && echo usr-writable || echo usr-ro; "
              "/wtest-dir/wtest fetch 10.0.0.1 8080")
    r = sb.run("run", "--config", conf, "--bind", f"{WTEST}:/wtest-dir/wtest:ro",
               "--", "/bin/sh", "-c", script)
    assert r.returncode == 0, r.stderr
    out = r.stdout.split()
    assert out[0] == "vm1"
    assert out[1] == "4a:49:43:49:79:bf"
    assert out[2] == "1"
    assert out[3] == "usr-ro"
    assert "br0-host from 10.0.0.2" in r.stdout
    # the bridge is still the admin's, with nothing of the container left on it
    # (the veth goes with the container's netns, which the kernel frees
    # in the background)
    for _ in range(150):
        links = sb.in_host("ip", "-o", "link", "show", "master", "br0").stdout
        if not links.strip():
            break
        time.sleep(0.02)
    assert links.strip() == ""
    assert sb.in_host("ip", "-o", "link", "show", "br0").returncode == 0
    assert not list(root.joinpath("dev", "shm").iterdir())


def test_vm1_new_spellings_create_and_start(ward, sb, tmp_path):
    w = ward
    sb.in_host("ip", "link", "add", "br0", "type", "bridge")
    sb.in_host("ip", "addr", "add", "10.0.0.1/24", "dev", "br0")
    sb.in_host("ip", "link", "set", "br0", "up")
    root = vm1_rootfs(tmp_path)
    text = VM1.format(rootfs=root)
    for old, new in (("lxc.utsname", "lxc.uts.name"), ("lxc.rootfs", "lxc.rootfs.path"),
                     ("lxc.network.ipv4", "lxc.net.0.ipv4.address"),
                     ("lxc.network.", "lxc.net.0.")):
        text = text.replace(old + " ", new + " ").replace(old, new) \
            if old.endswith(".") else text.replace(old + " ", new + " ")
    assert "lxc.network" not in text and "lxc.net.0.link = br0" in text
    conf = tmp_path / "new.conf"
    conf.write_text(text)
    r = sb.run("create", "vm1", "--config", conf, "--bind", f"{WTEST}:/wtest-dir/wtest:ro",
               "--", "/wtest-dir/wtest", "sleep", "3600")
    assert r.returncode == 0, r.stderr
    try:
        ok(sb.run("start", "vm1"))
        pid = state(sb, "vm1")["pid"]
        addrs = sh("nsenter", f"--net=/proc/{pid}/ns/net", "ip", "-o", "addr", "show",
                   "eth0").stdout
        assert "10.0.0.2/24" in addrs
        fancy = ok(sb.run("ls", "--fancy")).stdout.splitlines()[1].split()
        assert fancy[0] == "vm1" and fancy[1] == "running" and "10.0.0.2" in fancy[4]
        ok(sb.run("stop", "vm1", "-t", "1"))
    finally:
        sb.run("stop", "vm1", "-t", "0")
        ok(sb.run("destroy", "vm1"))
    assert not store_empty(w)


# --- with a network: info counters, crash safety ---

def test_network_lifecycle_and_info_counters(ward, sb):
    w = ward
    ok(sb.run("net", "create", "dmz", "--subnet", "10.10.20.0/24"))
    r = sb.run("create", "web", "--net", "dmz", "--ip", "10.10.20.10", "--publish",
               "8080:80", "--bind", f"{WTEST}:/wtest:ro", "--",
               "/wtest", "serve", "80", "hello-web")
    assert r.returncode == 0, r.stderr
    try:
        ok(sb.run("start", "web"))
        sb.wait_listening("web", 80)
        before = state(sb, "web")
        assert before["state"] == "running"
        assert any(n.get("ipv4", "").startswith("10.10.20.10") for n in before["net"])
        for _ in range(5):
            assert sb.lan_fetch(HOST_IP, 8080).startswith("hello-web")
        after = state(sb, "web")
        assert after["rx_bytes"] > before["rx_bytes"]
        assert after["tx_bytes"] > before["tx_bytes"]
        # an outbound connection is dropped, and counted
        r = sb.run("attach", "web", "--", "/wtest", "connect", LAN_IP, "9", "300")
        assert r.stdout.strip() == "ETIMEDOUT", r.stdout + r.stderr
        assert state(sb, "web")["dropped_packets"]["egress"] > \
            before["dropped_packets"]["egress"]
        assert "10.10.20.10" in ok(sb.run("ls", "--fancy")).stdout
        ok(sb.run("stop", "web", "-t", "1"))
        assert sb.leftovers() == []
        # restart: same address, published again
        ok(sb.run("start", "web"))
        sb.wait_listening("web", 80)
        assert sb.lan_fetch(HOST_IP, 8080).startswith("hello-web")
        ok(sb.run("stop", "web", "-t", "1"))
    finally:
        sb.run("stop", "web", "-t", "0")
        ok(sb.run("destroy", "web"))
    ok(sb.run("net", "rm", "dmz"))
    assert not store_empty(w)


CRASH_POINTS = ["create", "state acquired", "seccomp ready", "cgroup planned",
                "network planned", "cgroup made", "cloned", "id maps written",
                "net: interfaces and leases planned", "net: links made",
                "net: container sysctls", "net: firewall elements added",
                "net: ports published", "network set up", "container ready (created)"]


def test_crash_at_every_start_step_then_gc(ward, sb):
    w = ward
    ok(sb.run("net", "create", "dmz", "--subnet", "10.10.20.0/24"))
    r = sb.run("create", "cr", "--net", "dmz", "--publish", "8081:80", "--bind",
               f"{WTEST}:/wtest:ro", "--", *SLEEP)
    assert r.returncode == 0, r.stderr
    try:
        for point in CRASH_POINTS:
            r = sb.run("start", "cr", env={"WARD_TEST_CRASH_AT": point})
            assert r.returncode != 0, f"{point}: start survived its crash"
            # the truth, whatever was left
            assert state(sb, "cr")["state"] == "stopped", point
            ok(sb.run("gc"))
            problems = sb.leftovers() + leftovers(w)
            assert not problems, f"after a crash at '{point}': {problems}"
            assert not wait_monitors(w, 0), point
            # and it starts normally afterwards
            ok(sb.run("start", "cr"))
            ok(sb.run("stop", "cr", "-t", "0"))
        # the monitor itself killed: the container goes with it
        ok(sb.run("start", "cr"))
        pid = state(sb, "cr")["pid"]
        for m in wait_monitors(w, 1):
            os.kill(m, signal.SIGKILL)
        deadline = time.time() + 10
        while Path(f"/proc/{pid}").exists() and time.time() < deadline:
            time.sleep(0.05)
        assert state(sb, "cr")["state"] == "stopped"
        ok(sb.run("gc"))
        problems = sb.leftovers() + leftovers(w)
        assert not problems, f"after killing the monitor: {problems}"
        # gc leaves a running container alone
        ok(sb.run("start", "cr"))
        ok(sb.run("gc"))
        assert state(sb, "cr")["state"] == "running"
        ok(sb.run("stop", "cr", "-t", "0"))
    finally:
        sb.run("stop", "cr", "-t", "0")
        ok(sb.run("destroy", "cr"))
    ok(sb.run("net", "rm", "dmz"))


# --- autostart ---

def test_autostart_order_groups_and_stop(lw, tmp_path):
    w = lw
    specs = {"late": (30, "web"), "early": (-5, "db"), "mid": (10, "web"), "off": (0, "")}
    for name, (order, group) in specs.items():
        conf = tmp_path / f"{name}.conf"
        auto = "0" if name == "off" else "1"
        conf.write_text(f"ward.start.auto = {auto}\nward.start.order = {order}\n"
                        + (f"ward.group = {group}\n" if group else ""))
        ok(create(w, name, "--config", conf))
    listed = ok(w.run("autostart", "--list")).stdout.split()
    assert listed[::2] == ["early", "mid", "late"]
    listed = ok(w.run("autostart", "--list", "--group", "web")).stdout.split()
    assert listed[::2] == ["mid", "late"]
    ok(w.run("autostart"))
    created = {}
    for name in ("early", "mid", "late"):
        st = state(w, name)
        assert st["state"] == "running"
        created[name] = Path(f"/proc/{st['pid']}/stat").read_text().split()[21]
    assert int(created["early"]) <= int(created["mid"]) <= int(created["late"])
    assert state(w, "off")["state"] == "stopped"
    ok(w.run("autostart", "--stop", "-t", "1"))
    for name in specs:
        assert state(w, name)["state"] == "stopped"
    assert not leftovers(w)
    assert Path(__file__).resolve().parents[2].joinpath(
        "contrib", "ward-autostart.service").exists()


# --- tarballs that try to escape ---

def evil(kind):
    if kind == "dotdot":
        i = tarfile.TarInfo("../escaped")
        return [(i, b"x")], "../escaped"
    if kind == "abs-symlink":
        i = tarfile.TarInfo("etc/evil")
        i.type, i.linkname = tarfile.SYMTYPE, "/etc/shadow"
        return [(i, None)], "etc/evil"
    if kind == "abs-name":
        i = tarfile.TarInfo("/tmp/ward-abs-escape")
        return [(i, b"x")], "ward-abs-escape"
    if kind == "hardlink-out":
        i = tarfile.TarInfo("etc/hl")
        i.type, i.linkname = tarfile.LNKTYPE, "../../etc/passwd"
        return [(i, None)], "etc/hl"
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["dotdot", "abs-symlink", "abs-name", "hardlink-out"])
def test_tarball_escapes_refused(lw, tmp_path, kind):
    w = lw
    extra, frag = evil(kind)
    tb = busybox_tar(tmp_path / "evil.tar.gz", extra=extra)
    r = w.run("create", "ev", "--template", f"tar:{tb}", "--", "/bin/sh")
    assert r.returncode == 125
    msg = one_line(r)
    assert "evil.tar.gz" in msg and frag in msg, msg
    assert not (w.lib / "containers" / "ev").exists()
    assert not (tmp_path / "escaped").exists()
    assert not Path("/tmp/ward-abs-escape").exists()
    assert not store_empty(w)


def test_destroy_waits_for_the_teardown_of_a_container_that_just_exited(ward, sb):
    """A container that exits on its own is torn down by its monitor, which
    records the exit in the store; destroy -f right then (the monitor held
    for 300 ms at the start of its teardown) must wait for it instead of
    racing it for the container's directory, and so must stop."""
    w = ward
    pause = {"WARD_TEST_PAUSE_AT": "teardown"}
    for verb in (["stop", "gone"], ["destroy", "-f", "gone"]):
        ok(sb.run("create", "gone", "--bind", f"{WTEST}:/wtest:ro", "--", "/wtest", "exit", "3"))
        ok(sb.run("start", "gone", env=pause))
        time.sleep(0.1)  # exited; its teardown is paused
        ok(sb.run(*verb))
        if verb[0] == "stop":
            st = state(sb, "gone")
            assert st["state"] == "stopped" and st["last_exit_status"] == 3, st
            ok(sb.run("destroy", "gone"))
        assert not (w.lib / "containers" / "gone").exists()
        assert not sb.leftovers() and not leftovers(w)


def test_reclaim_leaves_the_network_alone_without_a_network(ward, sb):
    """destroy (and gc) reclaim what a container's network left in the
    caller's network namespace only if its state says it had one: a link
    of someone else's that happens to carry the name ward would give the
    container's host veth survives a container without a network."""
    sb.in_host("ip", "link", "add", "wv-nonet", "type", "veth", "peer", "name", "xx-nonet")
    try:
        ok(sb.run("create", "nonet", "--bind", f"{WTEST}:/wtest:ro", "--", "/wtest", "exit", "0"))
        ok(sb.run("start", "nonet"))
        ok(sb.run("destroy", "-f", "nonet"))
        links = sb.in_host("ip", "-o", "link", "show").stdout
        assert "wv-nonet" in links, "ward deleted a link it never made"
    finally:
        sb.in_host("ip", "link", "del", "wv-nonet", check=False)
