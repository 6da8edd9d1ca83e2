# SPDX-License-Identifier: GPL-2.0-or-later
"""config.json's cgroup side through ward-oci: the OCI "cgroup" mount type
(what the container sees at /sys/fs/cgroup), the less common limits of
linux.resources (written, or refused by key), and `update`.

Every test reads what the kernel shows: the container's /proc/self/mountinfo
and cgroup files from inside, the container's cgroup files from the host.
"""
import json
from pathlib import Path

import pytest

from conftest import is_v2_host, ward_cgroups
from test_oci import SLEEP, cgroup_file, ok, one_error, oci  # noqa: F401  (fixture)

CGROUP_MOUNT = {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                "options": ["nosuid", "noexec", "nodev", "relatime"]}


def host_hierarchies():
    """{directory name under /sys/fs/cgroup: controllers} of the host's
    cgroup mounts (the cgroup2 one of a hybrid host as "")."""
    found = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        pre, _, post = line.partition(" - ")
        mnt = pre.split()[4]
        fstype, _, opts = post.split()[:3]
        if fstype in ("cgroup", "cgroup2") and mnt.startswith("/sys/fs/cgroup/"):
            found[mnt.rsplit("/", 1)[1]] = opts if fstype == "cgroup" else ""
    return found


def run_to_end(oci, cid, bundle, tmp_path):
    out = tmp_path / f"{cid}.out"
    ok(oci.create(cid, bundle, stdout=out))
    ok(oci.run("start", cid))
    oci.wait_status(cid, "stopped")
    ok(oci.run("delete", cid))
    return out.read_text()


def cgroup_mounts(mountinfo):
    """{mount point: (root, mount options)} of what is under /sys/fs/cgroup."""
    seen = {}
    for line in mountinfo.splitlines():
        f = line.split()
        if len(f) > 5 and f[4].startswith("/sys/fs/cgroup"):
            seen[f[4]] = (f[3], f[5].split(","))
    return seen


@pytest.mark.parametrize("mode", ["ro", "rw"])
def test_cgroup_mount_shows_the_containers_own_cgroups(oci, tmp_path, mode):
    if is_v2_host():
        script = ("cat /proc/self/mountinfo; echo ==; cat /sys/fs/cgroup/pids.max; "
                  "echo 77 > /sys/fs/cgroup/pids.max && echo wrote; "
                  "cat /sys/fs/cgroup/pids.max")
    else:
        script = ("cat /proc/self/mountinfo; echo ==; cat /sys/fs/cgroup/pids/pids.max; "
                  "echo 77 > /sys/fs/cgroup/pids/pids.max && echo wrote; "
                  "cat /sys/fs/cgroup/pids/pids.max; ls /sys/fs/cgroup; "
                  "cat /sys/fs/cgroup/memory/memory.limit_in_bytes")

    def mutate(c):
        m = dict(CGROUP_MOUNT, options=CGROUP_MOUNT["options"] + [mode])
        c["mounts"].append(m)
        c["linux"]["namespaces"].append({"type": "cgroup"})
        c["linux"]["resources"] = {"pids": {"limit": 123}, "memory": {"limit": 48 << 20}}
    out = run_to_end(oci, "m1", oci.bundle(["/bin/sh", "-c", script], mutate), tmp_path)
    info, _, rest = out.partition("==\n")
    lines = rest.splitlines()
    mounts = cgroup_mounts(info)
    assert lines[0] == "123", out
    if mode == "ro":
        assert "wrote" not in lines and lines[1] == "123", out
    else:
        assert lines[1:3] == ["wrote", "77"], out
    if is_v2_host():
        # a cgroup2 mount in the cgroup namespace: rooted at the container's
        assert mounts["/sys/fs/cgroup"][0] == "/", mounts
        assert (mode == "ro") == ("ro" in mounts["/sys/fs/cgroup"][1]), mounts
        return
    # v1 / hybrid: a tmpfs with a directory per host hierarchy
    hier = host_hierarchies()
    names = lines[2 if mode == "ro" else 3:-1]
    assert set(hier) <= set(names), (hier, names)
    assert int(lines[-1]) == 48 << 20
    for name, ctls in hier.items():
        root, opts = mounts[f"/sys/fs/cgroup/{name}"]
        assert root == "/", (name, mounts)  # the container's own cgroup
        joined = any(c in ctls.split(",") for c in ("memory", "pids", "cpu", "cpuacct", "freezer")) \
            or ctls == ""
        assert ("ro" in opts) == (mode == "ro" or not joined), (name, opts)
    assert "ro" in mounts["/sys/fs/cgroup"][1] or mode == "rw"
    # co-mounted controllers get links (cpu -> cpu,cpuacct)
    for name in hier:
        for c in name.split(",") if "," in name else ():
            assert c in names, (c, names)


def test_cgroup_mount_without_a_cgroup_namespace(oci, tmp_path):
    """Without a cgroup namespace the view is still the container's own
    cgroup, bound (not a fresh mount of the host's whole tree)."""
    f = "pids.max" if is_v2_host() else "pids/pids.max"

    def mutate(c):
        c["mounts"].append(dict(CGROUP_MOUNT, options=CGROUP_MOUNT["options"] + ["ro"]))
        c["linux"]["resources"] = {"pids": {"limit": 321}}
    out = run_to_end(oci, "m2", oci.bundle(["/bin/cat", f"/sys/fs/cgroup/{f}"], mutate),
                     tmp_path)
    assert out.strip() == "321"


def v1_only():
    if is_v2_host():
        pytest.skip("cgroup v1 files")


def test_v1_resources_written(oci):
    v1_only()
    res = {"memory": {"limit": 64 << 20, "kernelTCP": 16 << 20},
           "cpu": {"quota": 50000, "period": 100000, "burst": 10000, "idle": 1,
                   "realtimePeriod": 500000, "realtimeRuntime": 0}}
    b = oci.bundle(SLEEP, lambda c: c["linux"].update(resources=res))
    ok(oci.create("r1", b))
    pid = oci.state("r1")["pid"]
    want = {("memory", "memory.kmem.tcp.limit_in_bytes"): 16 << 20,
            ("cpu", "cpu.cfs_burst_us"): 10000, ("cpu", "cpu.idle"): 1,
            ("cpu", "cpu.rt_period_us"): 500000, ("cpu", "cpu.rt_runtime_us"): 0}
    for (ctl, name), v in want.items():
        assert int(cgroup_file(pid, ctl, name).read_text()) == v, name
    # update writes them too, and the flags win over the file (as runc)
    upd = oci.tmp / "upd.json"
    upd.write_text(json.dumps({"memory": {"limit": 40 << 20, "kernelTCP": 8 << 20},
                               "cpu": {"burst": 5000}}))
    ok(oci.run("update", f"--resources={upd}", "--memory", "32m", "r1"))
    assert int(cgroup_file(pid, "memory", "memory.kmem.tcp.limit_in_bytes").read_text()) \
        == 8 << 20
    assert int(cgroup_file(pid, "memory", "memory.limit_in_bytes").read_text()) == 32 << 20
    assert int(cgroup_file(pid, "cpu", "cpu.cfs_burst_us").read_text()) == 5000
    ok(oci.run("delete", "--force", "r1"))


def test_update_of_a_hierarchy_the_container_is_not_in(oci):
    """A cpuset limit for a container created without one cannot be
    applied: an error, not a silent success."""
    v1_only()
    if "cpuset" not in ",".join(host_hierarchies().values()):
        pytest.skip("no v1 cpuset hierarchy")
    ok(oci.create("r2", oci.bundle(SLEEP)))
    r = oci.run("update", "--cpuset-cpus", "0", "r2")
    assert "no cpuset cgroup" in one_error(r)
    ok(oci.run("delete", "--force", "r2"))


def refused_cases():
    hier = ",".join(host_hierarchies().values()).split(",")
    cases = []
    if "net_cls" not in hier:
        cases.append(({"network": {"classID": 7}}, "network.classID"))
    if "net_prio" not in hier:
        cases.append(({"network": {"priorities": [{"name": "lo", "priority": 3}]}},
                      "network.priorities"))
    if "rdma" not in hier:
        cases.append(({"rdma": {"mlx5_0": {"hcaHandles": 3}}}, "rdma"))
    if not any(Path(f"/sys/fs/cgroup/blkio/{f}").exists()
               for f in ("blkio.leaf_weight", "blkio.weight")):
        cases.append(({"blockIO": {"leafWeight": 300}}, "blockIO.leafWeight"))
    return cases or [pytest.param(None, None, marks=pytest.mark.skip("all present"))]


@pytest.mark.parametrize("res,key", refused_cases())
def test_limit_the_host_cannot_take_is_refused_by_key(oci, res, key):
    v1_only()
    b = oci.bundle(SLEEP, lambda c: c["linux"].update(resources=res))
    line = one_error(oci.create("r3", b))
    assert f"linux.resources.{key}" in line, line
    assert not (oci.root / "r3").exists()
    assert not ward_cgroups()
