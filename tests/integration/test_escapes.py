# SPDX-License-Identifier: GPL-2.0-or-later
"""The known runtime escapes, each blocked:

  CVE-2019-5736   writing the runtime binary through /proc/PID/exe
  CVE-2024-21626  a host fd leaked into the container, or a cwd outside it
  CVE-2021-30465  a symlink in the rootfs redirecting a mount destination
"""
import errno
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import container_pid, kill_container


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.mark.parametrize("userns", ["auto", "host"])
def test_runtime_binary_not_writable_from_inside(ward, userns):
    before = sha(ward.bin)
    r = ward.jail("exe-write", "1", opts=["--init", "--userns", userns])
    assert r.returncode == 0, r.stderr
    assert "write OK" not in r.stdout, r.stdout
    assert sha(ward.bin) == before


# how ward makes its /proc/PID/exe unwritable (src/runtime/selfexe.c): in
# place (the binary on a detached read-only mount), by re-executing from
# that mount, or -- without open_tree (428) and mount_setattr (442) -- from
# a sealed memfd copy
@pytest.mark.parametrize("way", ["in-place", "reexec", "memfd"])
def test_privileged_init_runs_from_a_protected_copy(ward, way):
    name = "sealed"
    argv = ward.cmd("run", "--name", name, "--userns", "host", "--init",
                    "--bind", f"{ward.wtest}:/wtest:ro", "--", "/wtest", "sleep", "30")
    if way == "memfd":
        argv = [ward.wtest, "nosys", "428,442", "--", *argv]
    env = ward.env({"WARD_SELFEXE_REEXEC": "1" if way == "reexec" else None})
    p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        pid = container_pid(ward, name)
        # PID 1 of the container is ward's init: it must not be the host
        # file as the host sees it
        exe = os.readlink(f"/proc/{pid}/exe")
        assert exe != os.path.realpath(ward.bin), exe
        fd = os.open(f"/proc/{pid}/exe", os.O_PATH)
    finally:
        kill_container(ward, name, p)
    try:
        if way == "memfd":
            assert exe.startswith("/memfd:ward"), exe
            w = os.open(f"/proc/self/fd/{fd}", os.O_WRONLY)
            try:
                with pytest.raises(PermissionError):
                    os.write(w, b"x")   # sealed
            finally:
                os.close(w)
        else:
            # ward has exited: no ETXTBSY any more, the mount says no
            with pytest.raises(OSError) as e:
                os.open(f"/proc/self/fd/{fd}", os.O_WRONLY)
            assert e.value.errno == errno.EROFS
    finally:
        os.close(fd)


def test_no_host_fd_leaks_into_the_container(ward, tmp_path):
    leak = os.open("/", os.O_RDONLY)  # inheritable, like a careless caller's fd
    leak2 = os.open(tmp_path, os.O_RDONLY)
    try:
        r = ward.run("run", "--bind", f"{ward.wtest}:/wtest:ro", "--", "/wtest", "fds",
                     pass_fds=(leak, leak2))
    finally:
        os.close(leak)
        os.close(leak2)
    assert r.returncode == 0, r.stderr
    fds = sorted(int(l.split()[0]) for l in r.stdout.splitlines())
    assert fds == [0, 1, 2], r.stdout


def test_cwd_through_a_leaked_fd_is_refused(ward):
    leak = os.open("/", os.O_RDONLY)
    try:
        r = ward.run("run", "--cwd", f"/proc/self/fd/{leak}", "--", "/bin/true",
                     pass_fds=(leak,))
    finally:
        os.close(leak)
    assert r.returncode == 125, r.stdout
    assert "outside the container" in r.stderr or "working directory" in r.stderr


@pytest.fixture
def evil_rootfs(rootfs, tmp_path):
    """A copy of the busybox rootfs whose would-be mount points are symlinks
    pointing out of it, relatively and absolutely."""
    d = tmp_path / "evilroot"
    shutil.copytree(rootfs, d, symlinks=True)
    os.chmod(d, 0o755)
    host_target = tmp_path / "hosttarget"
    host_target.mkdir()
    rel = os.path.relpath(host_target, d)  # ../../..../hosttarget from inside d
    os.symlink("../" * 12 + str(host_target).lstrip("/"), d / "rel")
    os.symlink(str(host_target), d / "abs")
    os.symlink("/proc/self/root/" + str(host_target).lstrip("/"), d / "magic")
    return d, host_target


@pytest.mark.parametrize("nosys", [False, True], ids=["openat2", "fallback-resolver"])
def test_mount_destination_symlinks_stay_in_root(ward, evil_rootfs, tmp_path, nosys):
    root, host_target = evil_rootfs
    src = tmp_path / "payload"
    src.mkdir()
    (src / "marker").write_text("x")
    os.chmod(src, 0o755)
    os.chmod(src / "marker", 0o644)
    inside = "/" + str(host_target).lstrip("/")
    cmd = ["run", "--rootfs", root, "--bind", f"{src}:/rel", "--bind", f"{src}:/abs",
           "--", "/wtest", "read", f"{inside}/marker"]
    if nosys:
        # openat2 (437) fails with ENOSYS: ward resolves component by component
        r = ward.run_raw([ward.wtest, "nosys", "437", "--", ward.bin, *map(str, cmd)])
    else:
        r = ward.run(*cmd)
    assert r.returncode == 0, r.stderr
    # the binds landed on the same path *inside* the root...
    assert r.stdout.split() == [f"{inside}/marker", "OK"], r.stdout
    # ...and never on the host directory the links point at
    assert list(host_target.iterdir()) == []


def test_magic_link_destination_is_refused(ward, evil_rootfs, tmp_path):
    root, host_target = evil_rootfs
    r = ward.run("run", "--name", "magic", "--rootfs", root, "--bind", f"{tmp_path}:/magic",
                 "--", "/bin/true")
    # /proc/self/root/... does not exist inside the not-yet-mounted root, or
    # is a magic link openat2 refuses: either way no mount outside the root
    assert list(host_target.iterdir()) == []
    if r.returncode != 0:
        assert r.returncode == 125 and "magic" in r.stderr


def test_no_tiocsti_into_the_callers_terminal(ward):
    """Without -t the container must not share ward's controlling terminal,
    or it could push keystrokes into the shell that started it."""
    import pty
    import subprocess
    master, slave = pty.openpty()
    p = subprocess.Popen(ward.cmd("run", "-i", "--bind", f"{ward.wtest}:/wtest:ro", "--",
                                  "/wtest", "tiocsti"),
                         stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=ward.env(), text=True, start_new_session=True,
                         preexec_fn=lambda: __import__("fcntl").ioctl(0, __import__("termios").TIOCSCTTY, 0))
    out, err = p.communicate(timeout=30)
    os.close(slave)
    os.close(master)
    assert p.returncode == 0, err
    assert out.strip() == "tiocsti EPERM", out
