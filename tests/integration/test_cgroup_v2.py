# SPDX-License-Identifier: GPL-2.0-or-later
"""ward's cgroup v2 driver, tested for real in a QEMU guest.

The development machine has a cgroup v1/hybrid layout, so this tier boots
a Debian cloud kernel under QEMU (software emulation is enough) with a
cgroup2-only hierarchy (cgroup_no_v1=all) and an initramfs that carries
ward, its libraries and wtest.  tests/qemu/run.sh does the booting and
prints the guest's TAP lines; tests/qemu/guest-tests.sh is what runs in the
guest.  The guest boots once per session; each guest test is one pytest
test here, so a guest test that never reported fails too.

Environment: WARD_BUILD (build directory), WARD_QEMU_KERNEL (kernel image),
WARD_QEMU_TIMEOUT (seconds, default 240).
"""
import glob
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("WARD_BUILD", REPO / "build"))
RUN_SH = REPO / "tests" / "qemu" / "run.sh"
TIMEOUT = int(os.environ.get("WARD_QEMU_TIMEOUT", "240"))

# The guest's tests, in the order tests/qemu/guest-tests.sh runs them
# (its TESTS list).
GUEST_TESTS = [
    "ward-runs",
    "v2-driver",
    "cgroup-namespace",
    "born-in-cgroup",
    "memory-max-written",
    "pids-max-written",
    "memory-oom-kill",
    "pids-limit",
    "cpuset-cpus",
    "cpu-max",
    "cpu-weight",
    "io-weight",
    "device-program",
    "cleanup-after-exit",
    "refused-cgroup-leaves-nothing",
    "refused-cgroup-removes-its-parent",
    "created-parent-removed",
    "cpuset-outside-parent",
    "internal-process-rule",
    "cgroup-parent-self",
    "oci-cgroup-mount",
    "oci-v1-keys-refused",
    "oci-update-enables-controller",
    "no-leftovers",
]

TAP_LINE = re.compile(r"^(ok|not ok) (\d+) - (\S+)(?: # (.*))?$")


def _kernel():
    k = os.environ.get("WARD_QEMU_KERNEL")
    if k:
        return k
    found = glob.glob("/boot/vmlinuz-*-cloud-amd64")

    def version_key(path):
        v = path[len("/boot/vmlinuz-"):]
        return [int(x) if x.isdigit() else x for x in re.split(r"[.-]", v)]

    return max(found, key=version_key) if found else None


def _missing():
    """What this machine lacks to run the tier, or None."""
    if not shutil.which("qemu-system-x86_64"):
        return ("qemu-system-x86_64 is not installed (the machine lacks QEMU: "
                "apt-get install qemu-system-x86)")
    k = _kernel()
    if not k:
        return ("no guest kernel: the machine lacks /boot/vmlinuz-*-cloud-amd64 "
                "(apt-get install linux-image-cloud-amd64, or set WARD_QEMU_KERNEL)")
    if not os.access(k, os.R_OK):
        return f"the guest kernel {k} is not readable"
    busybox = os.environ.get("WARD_QEMU_BUSYBOX", "/bin/busybox")
    if not os.access(busybox, os.X_OK):
        return f"{busybox} is missing (the machine lacks busybox-static)"
    for tool in ("cpio", "gzip", "ldd"):
        if not shutil.which(tool):
            return f"{tool} is not installed (needed to build the guest's initramfs)"
    return None


class GuestRun:
    def __init__(self, proc, log):
        self.proc = proc
        self.log = log
        self.results = {}  # name -> (ok, directive)
        self.done = False
        for line in proc.stdout.splitlines():
            line = line.rstrip("\r")
            if line.startswith("WARD-QEMU-DONE"):
                self.done = True
            m = TAP_LINE.match(line)
            if m:
                self.results[m.group(3)] = (m.group(1) == "ok", m.group(4) or "")

    def context(self):
        tail = "\n".join(self.proc.stdout.splitlines()[-40:])
        return (f"run.sh exit status {self.proc.returncode}; console log {self.log}\n"
                f"--- run.sh output (tail) ---\n{tail}\n--- stderr ---\n{self.proc.stderr[-2000:]}")


@pytest.fixture(scope="session")
def guest(tmp_path_factory):
    why = _missing()
    if why:
        pytest.skip(why)
    out = tmp_path_factory.mktemp("qemu")
    env = dict(os.environ, WARD_QEMU_OUT=str(out), WARD_QEMU_TIMEOUT=str(TIMEOUT))
    kernel = _kernel()
    if kernel:
        env["WARD_QEMU_KERNEL"] = kernel
    try:
        proc = subprocess.run([str(RUN_SH), str(BUILD)], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, env=env,
                              timeout=TIMEOUT + 120)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"tests/qemu/run.sh did not return within {TIMEOUT + 120}s: {e}")
    if proc.returncode == 77:
        pytest.skip(proc.stderr.strip() or "run.sh: something the tier needs is missing")
    return GuestRun(proc, out / "console.log")


@pytest.mark.parametrize("name", GUEST_TESTS)
def test_guest(guest, name):
    if name not in guest.results:
        state = ("the guest finished (WARD-QEMU-DONE) without reporting it" if guest.done
                 else "the guest did not finish (no WARD-QEMU-DONE)")
        pytest.fail(f"no TAP line for {name}: {state}\n{guest.context()}")
    ok, directive = guest.results[name]
    if ok and directive.upper().startswith("SKIP"):
        pytest.skip(directive[4:].strip() or "skipped in the guest")
    if not ok:
        pytest.fail(f"guest test {name} failed: {directive}\n{guest.context()}")


def test_guest_finished(guest):
    """The guest ran to the end and reported no test we do not know."""
    assert guest.done, f"no WARD-QEMU-DONE from the guest\n{guest.context()}"
    unknown = sorted(set(guest.results) - set(GUEST_TESTS))
    assert not unknown, f"guest tests missing from GUEST_TESTS: {unknown}"
