# SPDX-License-Identifier: GPL-2.0-or-later
"""ward run: namespaces, filesystem, identity, privileges, exit codes."""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import default_caps_mask, leftovers, status_field, subid_start


def test_pid1_and_no_host_process_visible(ward):
    r = ward.jail("ps")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1"], "the container must see only itself"


def test_init_is_pid1_and_the_command_its_only_child(ward):
    r = ward.jail("ps", opts=["--init"])
    assert r.returncode == 0, r.stderr
    pids = sorted(int(p) for p in r.stdout.split())
    assert len(pids) == 2 and pids[0] == 1, pids


def test_hostname_defaults_to_name_and_is_private(ward):
    r = ward.jail("hostname", opts=["--name", "jailtest"])
    assert r.stdout.strip() == "jailtest"
    r = ward.jail("hostname", opts=["--hostname", "other.example"])
    assert r.stdout.strip() == "other.example"
    assert os.uname().nodename not in ("jailtest", "other.example")


def test_host_template_is_read_only(ward):
    r = ward.jail("write", "/usr", "/etc", "/bin", "/lib", "/", "/usr/bin")
    assert r.returncode == 0, r.stderr
    for line in r.stdout.splitlines():
        path, res = line.split()
        assert res == "EROFS", f"{path} is writable: {res}"


def test_symlinked_dirs_stay_links(ward):
    r = ward.run("run", "--", "/bin/sh", "-c", "readlink /bin; readlink /lib")
    host = [os.readlink(p) if os.path.islink(p) else None for p in ("/bin", "/lib")]
    out = r.stdout.split()
    for h in host:
        if h:
            assert h in out


def test_writable_mounts_are_only_the_scratch_ones(ward):
    r = ward.jail("rw-mounts")
    assert r.returncode == 0, r.stderr
    allowed = {"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/tmp", "/var/tmp",
               "/run", "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
               "/dev/tty"}
    writable = set(r.stdout.split())
    assert writable <= allowed, f"unexpected writable mounts: {writable - allowed}"


def test_tmpfs_are_writable(ward):
    r = ward.jail("write", "/tmp", "/var/tmp", "/run", "/dev/shm")
    assert r.returncode == 0, r.stderr
    assert all(l.endswith(" OK") for l in r.stdout.splitlines()), r.stdout


def test_read_only_bind_is_read_only_for_submounts(ward, tmp_path):
    src = tmp_path / "data"
    (src / "sub").mkdir(parents=True)
    (src / "file").write_text("x")
    os.chmod(src / "file", 0o666)
    # the submount exists only in a private mount namespace made for the test
    script = (f"mount -t tmpfs sub {src}/sub && exec {ward.bin} run "
              f"--bind {ward.wtest}:/wtest:ro --bind {src}:/data:ro -- "
              f"/wtest write /data /data/sub /data/file")
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                       capture_output=True, text=True, env=ward.env(), timeout=60)
    assert r.returncode == 0, r.stderr
    res = dict(l.split() for l in r.stdout.splitlines())
    assert res == {"/data": "EROFS", "/data/sub": "EROFS", "/data/file": "EROFS"}


def test_rw_bind_is_writable_and_owned_by_container_root(ward, tmp_path):
    src = tmp_path / "rw"
    src.mkdir()
    os.chmod(src, 0o777)
    r = ward.run("run", "--bind", f"{src}:/data", "--", "/bin/sh", "-c",
                 "echo hi > /data/f")
    assert r.returncode == 0, r.stderr
    st = os.stat(src / "f")
    start = subid_start()
    expected = start if start is not None else 1000000000
    assert st.st_uid == expected, "container root must be an unprivileged host uid"


def test_proc_masked_and_read_only(ward):
    r = ward.jail("read", "/proc/keys", "/proc/timer_list", "/proc/kmsg", "/proc/sysrq-trigger",
                  "/proc/acpi")
    res = dict(l.split() for l in r.stdout.splitlines())
    for p in ("/proc/keys", "/proc/timer_list", "/proc/kmsg", "/proc/sysrq-trigger"):
        assert res[p] in ("EMPTY", "ENOENT"), f"{p} readable: {res[p]}"
    r = ward.jail("write", "/proc/sys/kernel/hostname", "/proc/sys/net/core/somaxconn",
                  "/proc/sysrq-trigger", "/sys", "/sys/kernel")
    res = dict(l.split() for l in r.stdout.splitlines())
    assert res["/proc/sys/kernel/hostname"] in ("EROFS", "EACCES")
    assert res["/proc/sys/net/core/somaxconn"] in ("EROFS", "EACCES")
    # absent on kernels without CONFIG_MAGIC_SYSRQ
    assert res["/proc/sysrq-trigger"] in ("EROFS", "EACCES", "ENOENT")
    assert res["/sys"] in ("EROFS", "EACCES")
    assert res["/sys/kernel"] in ("EROFS", "EACCES")


def test_dev_contents(ward):
    r = ward.run("run", "--", "/bin/ls", "-A", "/dev")
    assert r.returncode == 0, r.stderr
    assert set(r.stdout.split()) == {"fd", "full", "mqueue", "null", "ptmx", "pts", "random",
                                     "shm", "stderr", "stdin", "stdout", "tty", "urandom",
                                     "zero"}
    r = ward.run("run", "--", "/bin/sh", "-c",
                 "readlink /dev/ptmx /dev/fd; head -c 4 /dev/zero | wc -c; echo x > /dev/null")
    assert r.stdout.split() == ["pts/ptmx", "/proc/self/fd", "4"], r.stdout + r.stderr


def test_kernel_log_not_readable(ward):
    r = ward.jail("kmsg")
    res = dict(l.split() for l in r.stdout.splitlines())
    assert res["/dev/kmsg"] == "ENOENT"
    assert res["syslog"] == "EPERM"


def test_uid0_maps_to_subordinate_range(ward):
    r = ward.jail("cat", "/proc/self/uid_map", "/proc/self/gid_map")
    rows = [l.split() for l in r.stdout.splitlines()]
    start = subid_start() or 1000000000
    assert rows[0] == ["0", str(start), "65536"]
    assert rows[1][0] == "0" and int(rows[1][2]) == 65536
    # and a default range is announced once per state root
    assert "no range for root" in r.stderr or subid_start() is not None or \
        (ward.root / ".subid-notice").exists()


def test_userns_host_is_root(ward):
    r = ward.jail("cat", "/proc/self/uid_map", opts=["--userns", "host"])
    assert r.stdout.split() == ["0", "0", "4294967295"]


def test_default_capabilities(ward):
    r = ward.jail("status", "CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb", "NoNewPrivs",
                  "Seccomp")
    assert r.returncode == 0, r.stderr
    mask = default_caps_mask()
    for k in ("CapEff", "CapPrm", "CapBnd"):
        assert int(status_field(r.stdout, k), 16) == mask, k
    assert int(status_field(r.stdout, "CapInh"), 16) == 0
    assert int(status_field(r.stdout, "CapAmb"), 16) == 0
    assert status_field(r.stdout, "NoNewPrivs") == "1"
    assert status_field(r.stdout, "Seccomp") == "2"


def test_cap_add_and_drop(ward):
    r = ward.jail("status", "CapEff", "CapBnd", opts=["--cap-drop", "all"])
    assert int(status_field(r.stdout, "CapEff"), 16) == 0
    assert int(status_field(r.stdout, "CapBnd"), 16) == 0
    r = ward.jail("status", "CapEff", opts=["--cap-add", "NET_ADMIN", "--cap-drop", "chown"])
    eff = int(status_field(r.stdout, "CapEff"), 16)
    assert eff & (1 << 12) and not eff & 1
    r = ward.jail("syscall", "raw_socket", "mknod")
    res = dict(l.split() for l in r.stdout.splitlines())
    assert res["raw_socket"] == "EPERM", "no CAP_NET_RAW by default"
    assert res["mknod"] == "EPERM", "no CAP_MKNOD by default"


def test_non_root_user_has_no_effective_caps(ward, rootfs):
    r = ward.run("run", "--rootfs", rootfs, "--user", "www", "--", "/wtest", "status", "Uid",
                 "Gid", "Groups", "CapEff", "CapBnd")
    assert r.returncode == 0, r.stderr
    assert status_field(r.stdout, "Uid") == "33"
    assert status_field(r.stdout, "Gid") == "33"
    assert "50" in r.stdout.split("Groups:")[1].split("\n")[0]
    assert int(status_field(r.stdout, "CapEff"), 16) == 0
    r = ward.run("run", "--rootfs", rootfs, "--user", "1234:5678", "--", "/wtest", "status",
                 "Uid", "Gid")
    assert status_field(r.stdout, "Uid") == "1234"
    assert status_field(r.stdout, "Gid") == "5678"


def test_env_and_cwd(ward):
    r = ward.run("run", "--env", "FOO=bar baz", "--cwd", "/tmp", "--", "/bin/sh", "-c",
                 'echo "$FOO"; pwd; echo "$container"')
    assert r.stdout.splitlines() == ["bar baz", "/tmp", "ward"]


def test_seccomp_blocks_dangerous_calls(ward):
    calls = ["kexec_load", "init_module", "finit_module", "open_by_handle_at", "bpf",
             "perf_event_open", "keyctl", "add_key", "userfaultfd", "mount", "umount2",
             "pivot_root", "swapon", "unshare_user", "setns", "syslog", "iopl"]
    r = ward.jail("syscall", *calls, "unknown", "clone3", "getpid")
    res = dict(l.split() for l in r.stdout.splitlines())
    for c in calls:
        assert res[c] == "EPERM", f"{c}: {res[c]}"
    assert res["unknown"] == "ENOSYS", "a syscall the profile does not know fails with ENOSYS"
    assert res["clone3"] == "ENOSYS", "clone3 cannot be filtered by flags: ENOSYS, libc falls back"
    assert res["getpid"] == "OK"


def test_seccomp_unconfined(ward):
    r = ward.jail("status", "Seccomp", opts=["--seccomp", "unconfined"])
    assert status_field(r.stdout, "Seccomp") == "0"


def test_seccomp_profile_file(ward, tmp_path):
    prof = tmp_path / "p.json"
    prof.write_text('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": ['
                    '{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42}]}')
    r = ward.jail("syscall", "getpid", "bpf", opts=["--seccomp", prof])
    assert r.returncode == 0, r.stderr
    res = dict(l.split() for l in r.stdout.splitlines())
    assert res["getpid"] == "E42"
    assert res["bpf"] != "OK" or True  # allowed by this profile; bpf itself may still refuse


def test_bad_seccomp_file_is_one_line(ward, tmp_path):
    prof = tmp_path / "bad.json"
    prof.write_text('{"defaultAction": "SCMP_ACT_ALLOW",\n "syscalls": [ }')
    r = ward.jail("exit", "0", opts=["--seccomp", prof])
    assert r.returncode == 125
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(prof.name) in lines[0] and "line 2" in lines[0], r.stderr


def test_exit_codes(ward, tmp_path):
    assert ward.jail("exit", "0").returncode == 0
    assert ward.jail("exit", "42").returncode == 42
    # a signal a process sends itself as PID 1 is ignored by the kernel, so
    # the command runs as PID 2 under --init here
    assert ward.jail("raise", "9", opts=["--init"]).returncode == 128 + 9
    assert ward.jail("raise", "15", opts=["--init"]).returncode == 128 + 15
    r = ward.run("run", "--", "/no/such/command")
    assert r.returncode == 127 and "No such file" in r.stderr
    r = ward.run("run", "--", "nosuchcommand-in-path")
    assert r.returncode == 127
    noexec = tmp_path / "noexec"
    noexec.write_text("#!/bin/sh\necho hi\n")
    os.chmod(noexec, 0o644)
    r = ward.run("run", "--bind", f"{noexec}:/x", "--", "/x")
    assert r.returncode == 126 and "Permission denied" in r.stderr
    r = ward.run("run", "--no-such-option", "--", "/bin/true")
    assert r.returncode == 125
    r = ward.run("run", "--memory", "lots", "--", "/bin/true")
    assert r.returncode == 125
    assert r.stderr.strip() == "ward: --memory: invalid size 'lots' (BYTES[kKmMgG])"


def test_signals_are_forwarded(ward):
    p = ward.popen("run", "--bind", f"{ward.wtest}:/wtest:ro", "--", "/wtest", "signals")
    assert p.stdout.readline().strip() == "ready"
    got = []
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
                signal.SIGWINCH):
        p.send_signal(sig)
        line = p.stdout.readline().strip()
        got.append(line)
        assert line == f"got {int(sig)}", (sig, line)
    p.send_signal(signal.SIGTERM)
    assert p.stdout.readline().strip() == f"got {int(signal.SIGTERM)}"
    assert p.wait(timeout=10) == 0


def test_sigterm_without_handler_with_init(ward):
    # with --init, TERM reaches a command that has no handler and kills it
    p = ward.popen("run", "--init", "--bind", f"{ward.wtest}:/wtest:ro", "--", "/wtest",
                   "sleep", "60")
    time.sleep(0.3)
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=10) == 128 + signal.SIGTERM


@pytest.mark.parametrize("cmd,status", [(["exit", "7"], 7), (["raise", "9"], 137)])
def test_init_sees_a_command_that_exits_at_once(ward, cmd, status):
    """The command may exit before the init has set itself up to wait
    (WARD_TEST_PAUSE_AT holds the init for 300 ms after its fork): its exit
    must still be seen, not waited for until someone kills ward."""
    r = ward.jail(*cmd, opts=["--init"], env={"WARD_TEST_PAUSE_AT": "init forked"},
                  timeout=20)
    assert r.returncode == status, r.stderr
    assert not leftovers(ward)


def test_init_reaps_zombies(ward):
    r = ward.jail("zombies", "3", opts=["--init"])
    assert r.stdout.strip() == "zombies 0", r.stdout + r.stderr
    # without --init the command is PID 1 and must reap them itself
    r = ward.jail("zombies", "3")
    assert r.stdout.strip() == "zombies 3"


def test_tty(ward):
    import fcntl
    import pty
    import struct
    import termios
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 77, 0, 0))
    p = subprocess.Popen(ward.cmd("run", "-t", "-i", "--", "/bin/sh", "-c",
                                  "tty; stty size; test -t 0 && echo isatty"),
                         stdin=slave, stdout=slave, stderr=slave, env=ward.env(),
                         start_new_session=True)
    os.close(slave)
    out = b""
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    rc = p.wait(timeout=10)
    os.close(master)
    text = out.decode(errors="replace")
    assert rc == 0, text
    assert re.search(r"/dev/pts/\d+", text), text
    assert "33 77" in text
    assert "isatty" in text


def test_rootfs_and_read_only(ward, rootfs):
    r = ward.run("run", "--rootfs", rootfs, "--", "/wtest", "write", "/tmp", "/run")
    res = dict(l.split() for l in r.stdout.splitlines())
    assert res == {"/tmp": "OK", "/run": "OK"}, r.stderr
    r = ward.run("run", "--rootfs", rootfs, "--read-only", "--", "/wtest", "write", "/", "/etc",
                 "/tmp")
    res = dict(l.split() for l in r.stdout.splitlines())
    assert res["/"] == "EROFS" and res["/etc"] == "EROFS" and res["/tmp"] == "OK"


def test_two_runs_with_one_name_conflict(ward):
    p = ward.popen("run", "--name", "dup", "--bind", f"{ward.wtest}:/wtest:ro", "--", "/wtest",
                   "sleep", "30")
    try:
        for _ in range(100):
            if (ward.root / "dup" / "state.json").exists():
                break
            time.sleep(0.02)
        before = sorted(x.name for x in (ward.root / "dup").iterdir())
        r = ward.jail("exit", "0", opts=["--name", "dup"])
        assert r.returncode == 125
        assert "already running" in r.stderr
        # the refused run leaves the running container's state alone
        assert sorted(x.name for x in (ward.root / "dup").iterdir()) == before
        assert "state.json" in before
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=10)
    # ward itself was killed: its container died with it (pdeathsig); the
    # stale state is reclaimed by the next run of that name
    r = ward.jail("exit", "0", opts=["--name", "dup"])
    assert r.returncode == 0, r.stderr


def test_seccomp_cache_keeps_profiles_apart(ward, tmp_path):
    """Compiled filters are cached under the state root: each profile and
    capability set must get its own filter, in any order."""
    prof = tmp_path / "p.json"
    prof.write_text('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": ['
                    '{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42}]}')
    default = ward.jail("syscall", "getpid", "bpf")
    custom = ward.jail("syscall", "getpid", "bpf", opts=["--seccomp", prof])
    admin = ward.jail("syscall", "getpid", "unshare_net", opts=["--cap-add", "SYS_ADMIN"])
    again = ward.jail("syscall", "getpid", "bpf")
    assert default.stdout.split() == ["getpid", "OK", "bpf", "EPERM"]
    assert custom.stdout.split()[:2] == ["getpid", "E42"]
    # with CAP_SYS_ADMIN the default profile allows namespace calls
    assert admin.stdout.split() == ["getpid", "OK", "unshare_net", "OK"], admin.stdout
    assert again.stdout == default.stdout
    assert len(list((ward.root / ".seccomp-cache").iterdir())) == 3
