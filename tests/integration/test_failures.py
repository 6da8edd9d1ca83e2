# SPDX-License-Identifier: GPL-2.0-or-later
"""A start that fails at any step prints one line naming the container, the
step and the reason, exits 125, and leaves nothing behind (the `ward`
fixture checks state, mounts, cgroups and processes after every test)."""
import os
import shutil
from pathlib import Path

import pytest

from conftest import is_v2_host, self_cgroup_dirs


def one_line(r):
    lines = r.stderr.strip().splitlines()
    # the once-per-root note about the default id range may precede it
    lines = [l for l in lines if "no range for root" not in l]
    assert len(lines) == 1, r.stderr
    return lines[0]


@pytest.mark.parametrize("args,expect", [
    (["--bind", "/nonexistent/src:/data"], "ward: --bind: source /nonexistent/src: No such file"),
    (["--bind", "relative:/data"], "ward: --bind: source 'relative' is not an absolute path"),
    (["--bind", "/tmp:data"], "ward: --bind: destination 'data' is not an absolute path"),
    (["--tmpfs", "/x:size=lots"], "ward: --tmpfs: invalid size 'lots'"),
    (["--memory", "1k"], "ward: --memory: memory limit 1k is below the 6M minimum"),
    (["--cpus", "0"], "ward: --cpus: invalid CPU count '0'"),
    (["--cpuset-cpus", "0-x"], "ward: --cpuset-cpus: '0-x' is not a CPU list"),
    (["--cpuset-cpus", "999"], "ward: --cpuset-cpus: '999' names a CPU this host does not have"),
    (["--pids-limit", "0"], "ward: --pids-limit: '0' is not a number from 1 to 4194304"),
    (["--cap-add", "NOPE"], "ward: --cap-add: unknown capability 'NOPE'"),
    (["--userns", "0:x:1"], "ward: --userns: '0:x:1' is not auto, host or INSIDE:HOST:COUNT"),
    (["--seccomp", "/nonexistent.json"], "ward: --seccomp: "),
    (["--security-opt", "bogus"], "ward: --security-opt: unknown security option 'bogus'"),
    (["--name", "bad/name"], "ward: --name: invalid name 'bad/name'"),
    (["--cwd", "tmp"], "ward: --cwd: 'tmp' is not an absolute path"),
    (["--memory-swap", "64m"], "ward: run: --memory-swap needs --memory"),
    (["--rootfs", "/nonexistent"], "ward: --rootfs: root filesystem /nonexistent: No such file"),
])
def test_bad_option_is_one_line_and_changes_nothing(ward, args, expect):
    r = ward.run("run", *args, "--", "/bin/true")
    assert r.returncode == 125
    assert one_line(r).startswith(expect), r.stderr


def test_missing_command(ward):
    r = ward.run("run")
    assert r.returncode == 125
    assert one_line(r) == "ward: run: no command given"


def test_child_side_failure_names_container_and_step(ward, tmp_path):
    # /usr is read-only in the host template: the mount point cannot be made
    r = ward.run("run", "--name", "failmount", "--bind", "/etc/hostname:/usr/no/such/place",
                 "--", "/bin/true")
    assert r.returncode == 125
    line = one_line(r)
    assert line.startswith("ward: failmount: mount /usr/no/such/place"), line
    assert "Read-only file system" in line


def test_rootfs_not_enterable_by_container_root(ward, tmp_path):
    d = tmp_path / "closed"
    d.mkdir(mode=0o700)
    os.chmod(d, 0o700)
    r = ward.run("run", "--name", "closed", "--rootfs", d, "--", "/bin/true")
    assert r.returncode == 125
    assert "cannot be entered by the container's root" in one_line(r)


def test_kernel_refused_limit_leaves_nothing(ward):
    """A cpuset parent restricted to CPU 0 makes the kernel refuse CPU 1."""
    if os.cpu_count() < 2:
        pytest.skip("needs two CPUs")
    if is_v2_host():
        pytest.skip("cgroup v2 accepts any cpuset below a restricted parent (no subset rule); "
                    "the QEMU tier tests a refused cgroup instead")
    cpuset = [d for d in self_cgroup_dirs() if (d / "cpuset.cpus").exists()]
    if not cpuset:
        pytest.skip("no cpuset controller on this host")
    parent = cpuset[0] / "wardtest-restricted"
    parent.mkdir()
    try:
        if (parent / "cpuset.mems").exists() and not (parent / "cpuset.mems").read_text().strip():
            (parent / "cpuset.mems").write_text((cpuset[0] / "cpuset.mems").read_text()
                                                if (cpuset[0] / "cpuset.mems").read_text().strip()
                                                else "0")
        (parent / "cpuset.cpus").write_text("0")
        r = ward.run("--cgroup-parent", "self/wardtest-restricted", "run", "--name", "refused",
                     "--cpuset-cpus", "1", "--", "/bin/true")
        assert r.returncode == 125
        line = one_line(r)
        assert line.startswith("ward: refused: cgroup: set ") and "cpuset.cpus" in line, line
        assert not list(parent.glob("ward-*"))
    finally:
        parent.rmdir()
    # ward made the parent in the other hierarchies and removed it again
    for d in self_cgroup_dirs():
        assert not (d / "wardtest-restricted").exists(), d


def test_bad_seccomp_profile_leaves_nothing(ward, tmp_path):
    prof = tmp_path / "prof.json"
    prof.write_text('{"defaultAction": "SCMP_ACT_NOPE"}')
    r = ward.run("run", "--seccomp", prof, "--", "/bin/true")
    assert r.returncode == 125
    line = one_line(r)
    assert "prof.json" in line and "SCMP_ACT_NOPE" in line, line
