# SPDX-License-Identifier: GPL-2.0-or-later
"""Resource limits the kernel really enforces, on this host's cgroup layout.

The cgroup v2 driver is exercised for real in a QEMU guest
(test_cgroup_v2.py); these tests run on whatever this machine has.
"""
import os
import re
import signal
import time
from pathlib import Path

import pytest

from conftest import container_cgroup_bases, container_pid, kill_container


def cgroup_dirs(name):
    """The container's cgroup directory in each hierarchy, while it runs."""
    return [d / f"ward-{name}" for d in container_cgroup_bases()
            if (d / f"ward-{name}").exists()]


def find_dir(name, controller_file):
    for d in cgroup_dirs(name):
        if (d / controller_file).exists():
            return d
    return None


def test_memory_limit_oom_kill_is_reported(ward):
    r = ward.jail("hog", "300", opts=["--memory", "32m"])
    assert r.returncode == 128 + signal.SIGKILL, (r.returncode, r.stdout, r.stderr)
    assert "out-of-memory" in r.stderr
    assert "allocated" not in r.stdout


def test_memory_below_limit_is_fine(ward):
    r = ward.jail("hog", "16", opts=["--memory", "64m"])
    assert r.returncode == 0, r.stderr
    assert "allocated 16 MB" in r.stdout


def test_pids_limit_stops_a_fork_bomb(ward):
    r = ward.jail("forks", "200", opts=["--pids-limit", "20"])
    assert r.returncode == 0, r.stderr
    n = int(re.search(r"forked (\d+)", r.stdout).group(1))
    assert 10 <= n < 20, r.stdout


@pytest.mark.skipif(os.cpu_count() < 2, reason="needs two CPUs to restrict to one")
def test_cpuset_is_honoured(ward):
    r = ward.jail("cpus", opts=["--cpuset-cpus", "1"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1"
    r = ward.jail("cpus", opts=["--cpuset-cpus", "0"])
    assert r.stdout.strip() == "0"


def test_limits_are_written_to_the_cgroup(ward):
    name = "limits"
    p = ward.popen("run", "--name", name, "--bind", f"{ward.wtest}:/wtest:ro",
                   "--memory", "48m", "--pids-limit", "33", "--cpus", "0.5",
                   "--cpu-weight", "200", "--", "/wtest", "sleep", "30")
    try:
        container_pid(ward, name)
        mem = find_dir(name, "memory.limit_in_bytes") or find_dir(name, "memory.max")
        assert mem is not None
        if (mem / "memory.limit_in_bytes").exists():
            assert int((mem / "memory.limit_in_bytes").read_text()) == 48 << 20
            # no swap unless asked for: memory+swap equals memory
            if (mem / "memory.memsw.limit_in_bytes").exists():
                assert int((mem / "memory.memsw.limit_in_bytes").read_text()) == 48 << 20
        else:
            assert int((mem / "memory.max").read_text()) == 48 << 20
        pids = find_dir(name, "pids.max")
        assert (pids / "pids.max").read_text().strip() == "33"
        cpu = find_dir(name, "cpu.cfs_quota_us")
        if cpu:
            assert (cpu / "cpu.cfs_quota_us").read_text().strip() == "50000"
            assert (cpu / "cpu.cfs_period_us").read_text().strip() == "100000"
            # weight 200 on the v2 scale: above the default (100 = 1024 shares),
            # 100/9900 of the way from 1024 to 262144 shares
            assert int((cpu / "cpu.shares").read_text()) == 1024 + (100 * 261120 + 4950) // 9900
        else:
            cpu = find_dir(name, "cpu.max")
            assert (cpu / "cpu.max").read_text().split() == ["50000", "100000"]
        # the container's process is in every one of its cgroups
        state = (ward.root / name / "state.json").read_text()
        pid = re.search(r'"pid": (\d+)', state).group(1)
        for d in cgroup_dirs(name):
            assert pid in (d / "cgroup.procs").read_text().split(), d
    finally:
        kill_container(ward, name, p)


def test_hybrid_host_places_container_in_cgroup2_too(ward):
    unified = Path("/sys/fs/cgroup/unified")
    if not unified.is_dir() or not (unified / "cgroup.procs").exists():
        pytest.skip("no cgroup2 mount beside the v1 controllers (not a hybrid host)")
    name = "hybrid"
    p = ward.popen("run", "--name", name, "--bind", f"{ward.wtest}:/wtest:ro", "--", "/wtest",
                   "sleep", "30")
    try:
        container_pid(ward, name)
        d = [x for x in cgroup_dirs(name) if str(x).startswith(str(unified))]
        assert d, "no cgroup2 directory for the container"
        assert (d[0] / "cgroup.procs").read_text().strip(), "container not in its cgroup2 cgroup"
    finally:
        kill_container(ward, name, p)


def test_cgroup_namespace_hides_the_host_path(ward):
    r = ward.jail("cat", "/proc/self/cgroup")
    for line in r.stdout.splitlines():
        assert line.split(":", 2)[2] == "/", line


def test_io_weight(ward):
    name = "iow"
    p = ward.popen("run", "--name", name, "--bind", f"{ward.wtest}:/wtest:ro",
                   "--io-weight", "300", "--", "/wtest", "sleep", "30")
    try:
        time.sleep(0.2)
        if p.poll() is not None:
            err = p.stderr.read()
            assert "io weight" in err, err
            pytest.skip(f"this host's block I/O controller has no weight: {err.strip()}")
        container_pid(ward, name)
        d = (find_dir(name, "blkio.bfq.weight") or find_dir(name, "blkio.weight")
             or find_dir(name, "io.weight"))
        f = next(x for x in ("blkio.bfq.weight", "blkio.weight", "io.weight")
                 if (d / x).exists())
        assert "300" in (d / f).read_text()
    finally:
        kill_container(ward, name, p)


def test_device_cgroup_for_containers_without_userns(ward):
    """Root inside is root outside with --userns host: the device cgroup
    (v1 devices.deny/allow, or on cgroup v2 ward's BPF device program)
    must still refuse a device node it creates -- here /dev/kmsg (1:11),
    which root could otherwise open to write into the host's kernel log --
    while the nodes ward provides keep working."""
    v1 = any((d / "devices.allow").exists() for d in container_cgroup_bases())
    with open("/proc/self/mountinfo") as f:
        v2 = any(" - cgroup2 " in line for line in f)
    if not v1 and not v2:
        pytest.skip("the kernel offers no device control: no cgroup v1 devices "
                    "controller and no cgroup2 hierarchy")
    r = ward.run("run", "--userns", "host", "--cap-add", "MKNOD", "--", "/bin/sh", "-c",
                 "if mknod /dev/k c 1 11 2>/dev/null; then"
                 "  { (exec 3>/dev/k) 2>/dev/null && echo OPENED || echo DENIED; };"
                 " else echo NO-MKNOD; fi; head -c 1 /dev/zero | wc -c")
    assert r.returncode == 0, r.stderr
    # refused when the node is created (ward denies "m" too) or opened
    assert r.stdout.split() in (["NO-MKNOD", "1"], ["DENIED", "1"]), r.stdout
