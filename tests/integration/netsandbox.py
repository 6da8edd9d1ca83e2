# SPDX-License-Identifier: GPL-2.0-or-later
"""Network sandboxes for ward's tests (DESIGN.md, "Testing on a shared machine").

A sandbox is two network namespaces the test makes itself: HOST, where ward
runs (as if it were the machine), and LAN, a neighbour on a veth uplink with
a client and servers.  Nothing is done in the machine's own network
namespace; every namespace is deleted afterwards, with whatever ward made in
it.  ward is entered with `nsenter --net` (not `ip netns exec`, which remounts
/sys and would hide the cgroup mounts).

Addresses: the uplink is 192.0.2.0/24 and 2001:db8:1::/64 (documentation
ranges): host 192.0.2.1, lan 192.0.2.2.  The LAN routes 10.0.0.0/8 and
fd00::/8 through the host, so containers of non-NAT networks are reachable
(when the firewall allows).
"""
import os
import re
import secrets
import signal
import subprocess
import time
from pathlib import Path

HOST_IP = "192.0.2.1"
LAN_IP = "192.0.2.2"
HOST_IP6 = "2001:db8:1::1"
LAN_IP6 = "2001:db8:1::2"


def sh(*args, check=True, **kw):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          check=check, timeout=kw.pop("timeout", 60), **kw)


def root_netns_snapshot():
    links = sh("ip", "-o", "link", "show").stdout
    names = sorted(re.findall(r"^\d+: ([^:@]+)", links, re.M))
    rules = sh("nft", "list", "ruleset", check=False).stdout.strip()
    fwd = Path("/proc/sys/net/ipv4/ip_forward").read_text().strip()
    return names, rules, fwd


# sets that hold networks' elements, not containers'
NETWORK_SETS = ("bridges", "open_self", "isolated_self", "nets4", "nets6", "nat_nets4",
                "nat_nets6", "nat_uplink4", "nat_uplink6")


class Sandbox:
    def __init__(self, ward):
        tag = secrets.token_hex(3)
        self.ward = ward
        self.host = f"wt-h-{tag}"
        self.lan = f"wt-l-{tag}"
        self.procs = []
        self.names = {}
        self.root_before = root_netns_snapshot()
        sh("ip", "netns", "add", self.host)
        sh("ip", "netns", "add", self.lan)
        for ns in (self.host, self.lan):
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", self.host, "link", "add", "up0", "type", "veth", "peer", "name", "lan0",
           "netns", self.lan)
        sh("ip", "-n", self.host, "addr", "add", f"{HOST_IP}/24", "dev", "up0")
        sh("ip", "-n", self.host, "addr", "add", f"{HOST_IP6}/64", "dev", "up0", "nodad")
        sh("ip", "-n", self.lan, "addr", "add", f"{LAN_IP}/24", "dev", "lan0")
        sh("ip", "-n", self.lan, "addr", "add", f"{LAN_IP6}/64", "dev", "lan0", "nodad")
        sh("ip", "-n", self.host, "link", "set", "up0", "up")
        sh("ip", "-n", self.lan, "link", "set", "lan0", "up")
        sh("ip", "-n", self.lan, "route", "add", "10.0.0.0/8", "via", HOST_IP)
        sh("ip", "-n", self.lan, "-6", "route", "add", "fd00::/8", "via", HOST_IP6)

    # --- running things ---
    def nsenter(self, ns):
        return ["nsenter", f"--net=/run/netns/{ns}"]

    def in_host(self, *args, **kw):
        return sh(*self.nsenter(self.host), *args, **kw)

    def in_lan(self, *args, **kw):
        return sh(*self.nsenter(self.lan), *args, **kw)

    def ward_cmd(self, *args):
        return [*self.nsenter(self.host), self.ward.bin, *map(str, args)]

    def run(self, *args, timeout=60, env=None, **kw):
        return subprocess.run(self.ward_cmd(*args), capture_output=True, text=True,
                              timeout=timeout, env=self.ward.env(env), **kw)

    def start(self, *args, env=None, **kw):
        """A long-running `ward run` (a service), stopped at teardown."""
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        kw.setdefault("text", True)
        p = subprocess.Popen(self.ward_cmd(*args), env=self.ward.env(env), **kw)
        self.procs.append(p)
        return p

    def service(self, name, *opts, cmd=None, wait=True):
        """`ward run --name NAME OPTS -- CMD` in the background, the payload at
        /wtest; returns once the container runs."""
        cmd = cmd or ["/wtest", "sleep", "3600"]
        p = self.start("run", "--name", name, "--bind", f"{self.ward.wtest}:/wtest:ro", *opts,
                       "--", *cmd)
        self.names[name] = p
        if wait:
            deadline = time.time() + 20
            state = self.ward.root / name / "state.json"
            while time.time() < deadline:
                if p.poll() is not None:
                    raise AssertionError(f"{name} exited {p.returncode}: {p.stderr.read()}")
                if state.exists() and '"running"' in state.read_text():
                    break
                time.sleep(0.02)
            else:
                raise AssertionError(f"{name} did not start")
            # a `wtest serve PORT` (also inside sh -c): wait until it listens
            for port in re.findall(r"/wtest serve (\d+)", " ".join(cmd)):
                self.wait_listening(name, int(port))
        return p

    def wait_listening(self, name, port, timeout=10):
        """Until a TCP socket listens on PORT in the container's netns."""
        want = f":{port:04X} "
        deadline = time.time() + timeout
        while time.time() < deadline:
            for f in ("tcp", "tcp6"):
                try:
                    lines = Path(f"/proc/{self.pid(name)}/net/{f}").read_text().splitlines()
                except OSError:
                    lines = []
                # local_address is field 2, state 0A is LISTEN
                if any(l.split()[1].endswith(want.strip()) and l.split()[3] == "0A"
                       for l in lines[1:]):
                    return
            time.sleep(0.01)
        raise AssertionError(f"{name}: nothing listens on port {port}")

    def pid(self, name):
        text = (self.ward.root / name / "state.json").read_text()
        return int(re.search(r'"pid": (\d+)', text).group(1))

    def exec_in(self, name, *cmd, check=False):
        """Run a command in a running container's network namespace (as the
        test, with all privileges: for observing, not for the container)."""
        return sh("nsenter", f"--net=/proc/{self.pid(name)}/ns/net", *cmd, check=check)

    def stop(self, name):
        """Stop a service the way an admin would: kill its process; ward
        notices, tears down and exits."""
        p = self.names.pop(name)
        try:
            os.kill(self.pid(name), signal.SIGKILL)
        except (OSError, AttributeError, ValueError):
            p.kill()
        p.wait(timeout=30)
        return p

    def stop_all(self):
        for name in list(self.names):
            self.stop(name)

    def serve_lan(self, port, text="lan", v6=False):
        """A TCP server on the LAN host; returns its Popen."""
        p = subprocess.Popen([*self.nsenter(self.lan), self.ward.wtest, "serve", str(port), text],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        assert p.stdout.readline().strip() == "listening"
        return p

    def serve_host(self, port, text="host"):
        p = subprocess.Popen([*self.nsenter(self.host), self.ward.wtest, "serve", str(port), text],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        assert p.stdout.readline().strip() == "listening"
        return p

    def lan_connect(self, addr, port, timeout_ms=1500):
        r = self.in_lan(self.ward.wtest, "connect", addr, port, timeout_ms, check=False)
        return r.stdout.strip()

    def host_connect(self, addr, port, timeout_ms=1500):
        r = self.in_host(self.ward.wtest, "connect", addr, port, timeout_ms, check=False)
        return r.stdout.strip()

    def lan_fetch(self, addr, port):
        """Connect and read what a `wtest serve` answers ("" on failure)."""
        code = ("import socket,sys\n"
                "s=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=2)\n"
                "print(s.recv(100).decode().strip())\n")
        r = self.in_lan("/usr/bin/python3", "-c", code, addr, port, check=False)
        return r.stdout.strip()

    # --- what ward left ---
    def leftovers(self):
        problems = []
        # a stopped container's veth pair goes with its network namespace,
        # which the kernel frees in the background (ward does not wait)
        for _ in range(150):
            links = self.in_host("ip", "-o", "link", "show").stdout
            veths = re.findall(r"^\d+: (wv-[^:@]+)", links, re.M)
            if not veths:
                break
            time.sleep(0.02)
        if veths:
            problems.append(f"veths {veths}")
        ruleset = self.in_host("nft", "-j", "list", "ruleset", check=False).stdout
        counters = re.findall(r'"counter": \{[^}]*"name": "(ward_[^"]+)"', ruleset)
        if counters:
            problems.append(f"counter objects {counters}")
        n = self.element_count()
        if n:
            problems.append(f"{n} per-container elements in ward's sets")
        # one file per lease (and an @CONTAINER index), per published port
        for d in self.ward.lib.glob("networks/*.leases.d"):
            held = sorted(p.name for p in d.iterdir() if not p.name.startswith("."))
            if held:
                problems.append(f"leases {d.name}: {held}")
        pub = self.ward.lib / "networks" / "published.d"
        if pub.exists():
            held = sorted(str(p.relative_to(pub)) for p in pub.rglob("*"))
            if held:
                problems.append(f"published ports {held}")
        return problems

    def element_count(self):
        """Per-container elements in ward's sets (the networks' own excluded)."""
        r = self.in_host("nft", "-j", "list", "ruleset", check=False)
        import json
        try:
            data = json.loads(r.stdout)["nftables"]
        except (ValueError, KeyError):
            return 0
        n = 0
        for item in data:
            s = item.get("set") or item.get("map")
            if not s or s.get("table") != "ward":
                continue
            if s["name"] in NETWORK_SETS:
                continue
            n += len(s.get("elem", []))
        return n

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
        for ns in (self.host, self.lan):
            sh("ip", "netns", "del", ns, check=False)
        after = root_netns_snapshot()
        assert after == self.root_before, \
            f"the machine's network namespace changed: {self.root_before} -> {after}"
