# SPDX-License-Identifier: GPL-2.0-or-later
"""The fallbacks for older kernels, exercised by making the new system calls
fail with ENOSYS (the payload's `nosys` shim installs a seccomp filter and
execs ward): clone3 (435), close_range (436), openat2 (437),
mount_setattr (442), pidfd_open (434), pidfd_send_signal (424)."""
import os
import signal
import subprocess

import pytest

NEW_SYSCALLS = "424,434,435,436,437,442"


def shimmed(ward, *args, **kw):
    return ward.run_raw([ward.wtest, "nosys", NEW_SYSCALLS, "--", ward.bin, *map(str, args)],
                        **kw)


def test_start_without_new_syscalls(ward):
    r = shimmed(ward, "run", "--bind", f"{ward.wtest}:/wtest:ro", "--", "/wtest", "ps")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1"]


def test_read_only_submounts_without_mount_setattr(ward, tmp_path):
    src = tmp_path / "data"
    (src / "sub").mkdir(parents=True)
    script = (f"mount -t tmpfs sub {src}/sub && exec {ward.wtest} nosys {NEW_SYSCALLS} -- "
              f"{ward.bin} run --bind {ward.wtest}:/wtest:ro --bind {src}:/data:ro -- "
              f"/wtest write /data /data/sub /usr")
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                       capture_output=True, text=True, env=ward.env(), timeout=60)
    assert r.returncode == 0, r.stderr
    assert dict(l.split() for l in r.stdout.splitlines()) == {
        "/data": "EROFS", "/data/sub": "EROFS", "/usr": "EROFS"}


def test_no_fd_leak_without_close_range(ward):
    leak = os.open("/", os.O_RDONLY)
    try:
        r = ward.run_raw([ward.wtest, "nosys", NEW_SYSCALLS, "--", ward.bin, "run", "--bind",
                          f"{ward.wtest}:/wtest:ro", "--", "/wtest", "fds"], pass_fds=(leak,))
    finally:
        os.close(leak)
    assert sorted(int(l.split()[0]) for l in r.stdout.splitlines()) == [0, 1, 2]


def test_exit_status_and_signals_without_pidfd(ward):
    r = shimmed(ward, "run", "--init", "--bind", f"{ward.wtest}:/wtest:ro", "--", "/wtest",
                "exit", "7")
    assert r.returncode == 7, r.stderr
    p = subprocess.Popen([ward.wtest, "nosys", NEW_SYSCALLS, "--", ward.bin, "run", "--init",
                          "--bind", f"{ward.wtest}:/wtest:ro", "--", "/wtest", "signals"],
                         stdout=subprocess.PIPE, text=True, env=ward.env())
    assert p.stdout.readline().strip() == "ready"
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=10) == 0
