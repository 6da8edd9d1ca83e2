# SPDX-License-Identifier: GPL-2.0-or-later
"""CVE-2019-5736 with ward-oci: a ward process waiting in a container with
no user namespace (a created, not yet started, container whose pid
namespace is another container's, as in a pod) must not hand that other
container a way to write the ward binary on the host through
/proc/PID/exe -- not while it runs (ETXTBSY would do) and not after it has
exited (EROFS: /proc/self/exe is on a detached read-only mount, or a sealed
memfd).  Both ways of getting there are run: switching in place (the
default) and re-executing (WARD_SELFEXE_REEXEC=1)."""
import errno
import hashlib
import os
import time
from pathlib import Path

import pytest

from test_oci import Oci, config, ok


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def wait_for(pred, timeout=10, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def oci(tmp_path, rootfs):
    o = Oci(tmp_path, rootfs)
    yield o
    if o.root.exists():
        for d in o.root.iterdir():
            if not d.name.startswith("."):
                o.run("delete", "--force", d.name)


# The attacker: root in a container with no user namespace, even with
# CAP_SYS_PTRACE; it opens the exe of the ward process that joins its pid
# namespace, then, once that process is gone, tries to reopen it for writing
ATTACK = r"""
while [ ! -e /x/pid ]; do sleep 0.02; done
p=$(cat /x/pid)
exec 3</proc/$p/exe || { echo open-failed >/x/result; exit 0; }
{ echo x >>/proc/self/fd/3; } 2>/x/alive && echo WROTE-ALIVE >>/x/result
touch /x/opened
while [ ! -e /x/go ]; do sleep 0.02; done
{ echo x >>/proc/self/fd/3; } 2>/x/dead && echo WROTE-DEAD >>/x/result
touch /x/done
sleep 3600
"""


@pytest.mark.parametrize("reexec", [None, "1"], ids=["in-place", "reexec"])
def test_waiting_ward_exe_not_writable_from_a_sharing_container(oci, tmp_path, reexec):
    before = sha(oci.bin)
    x = tmp_path / "x"
    x.mkdir()
    caps = config(oci.rootfs, [])["process"]["capabilities"]["bounding"] + ["CAP_SYS_PTRACE"]

    def attacker(c):
        c["process"]["capabilities"] = {k: caps for k in ("bounding", "effective",
                                                          "permitted")}
        c["mounts"].append({"destination": "/x", "type": "bind", "source": str(x),
                            "options": ["rbind", "rw"]})

    a = oci.bundle(["/bin/sh", "-c", ATTACK], attacker)
    env = {"WARD_SELFEXE_REEXEC": reexec}
    ok(oci.create("a", a, env=env))
    ok(oci.run("start", "a"))
    apid = oci.state("a")["pid"]

    b = oci.bundle(["/bin/true"], lambda c: c["linux"].update(namespaces=[
        {"type": "pid", "path": f"/proc/{apid}/ns/pid"}, {"type": "network"},
        {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]))
    ok(oci.create("b", b, env=env))
    bpid = oci.state("b")["pid"]
    # the waiting ward process: not the host binary by path
    exe = os.readlink(f"/proc/{bpid}/exe")
    assert exe != os.path.realpath(oci.bin)
    if exe.startswith("/memfd:"):
        pytest.skip("no open_tree/mount_setattr here: the memfd fallback (test_escapes.py)")
    status = Path(f"/proc/{bpid}/status").read_text()
    inner = status.split("NSpid:")[1].split("\n")[0].split()[-1]
    (x / "pid").write_text(inner)
    wait_for(lambda: (x / "opened").exists() or (x / "result").exists(), what="the attacker")
    assert not (x / "result").exists(), (x / "result").read_text()
    alive = (x / "alive").read_text()
    assert "Text file busy" in alive or "Read-only file system" in alive, alive

    # ward's process ends (deleted before start); the attacker keeps its fd
    ok(oci.run("delete", "--force", "b"))
    wait_for(lambda: not os.path.exists(f"/proc/{bpid}"), what="b's process to end")
    (x / "go").write_text("")
    wait_for(lambda: (x / "done").exists(), what="the attacker's second try")
    assert not (x / "result").exists(), (x / "result").read_text()
    dead = (x / "dead").read_text()
    assert "Read-only file system" in dead, dead
    assert sha(oci.bin) == before
    ok(oci.run("delete", "--force", "a"))


@pytest.mark.parametrize("reexec", [None, "1"], ids=["in-place", "reexec"])
def test_exe_of_a_waiting_container_is_read_only_after_exit(oci, tmp_path, reexec):
    """The same from the host side: hold /proc/PID/exe of a created
    container's ward process (O_PATH), end it, reopen for writing."""
    before = sha(oci.bin)
    b = oci.bundle(["/bin/true"])
    ok(oci.create("c", b, env={"WARD_SELFEXE_REEXEC": reexec}))
    pid = oci.state("c")["pid"]
    if os.readlink(f"/proc/{pid}/exe").startswith("/memfd:"):
        ok(oci.run("delete", "--force", "c"))
        pytest.skip("no open_tree/mount_setattr here: the memfd fallback (test_escapes.py)")
    fd = os.open(f"/proc/{pid}/exe", os.O_PATH)
    try:
        # the same file, through a mount that is in no mount table
        st, host = os.fstat(fd), os.stat(oci.bin)
        assert (st.st_dev, st.st_ino) == (host.st_dev, host.st_ino)
        mnt_ids = {l.split()[0] for l in Path("/proc/self/mountinfo").read_text().splitlines()}
        fdinfo = Path(f"/proc/self/fdinfo/{fd}").read_text()
        mnt_id = fdinfo.split("mnt_id:")[1].split()[0]
        assert mnt_id not in mnt_ids
        assert os.statvfs(f"/proc/self/fd/{fd}").f_flag & os.ST_RDONLY
        ok(oci.run("delete", "--force", "c"))
        wait_for(lambda: not os.path.exists(f"/proc/{pid}"), what="the process to end")
        with pytest.raises(OSError) as e:
            os.open(f"/proc/self/fd/{fd}", os.O_WRONLY)
        assert e.value.errno == errno.EROFS
    finally:
        os.close(fd)
    assert sha(oci.bin) == before
