# SPDX-License-Identifier: GPL-2.0-or-later
"""ward's firewall (src/net/firewall.c) under real traffic.

Every test builds its own small world of network namespaces with iproute2,
never touching the machine's own namespace:

    lan (192.168.77.2, .3, 192.168.78.2, fd00:77::2)
     |  veth
    host (up0 192.168.77.1; bridge wbr0 10.88.0.1, fd00:88::1)
     |  veth wv-a        |  veth wv-b
    a (10.88.0.2)       b (10.88.0.3)

and applies ward's rules in "host" with tests/unit/fwdrive (one fw_* call
per run).  Connections are made with small Python clients and servers run
through `ip netns exec`; a server answers with the peer address it saw.
Bridge port isolation and proxy_arp_pvlan, which ward's netlink layer sets
for isolated networks, are set here with ip(8) and sysctl.
"""
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("WARD_BUILD", REPO / "build"))
FWDRIVE = BUILD / "tests" / "unit" / "fwdrive"
PY = sys.executable or "python3"

# answers each TCP connection with the peer's address, on every port given
SERVER = r"""
import select, socket, sys
socks = []
for p in sys.argv[1:]:
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", int(p)))
    s.listen(64)
    socks.append(s)
print("ready", flush=True)
while True:
    for s in select.select(socks, [], [])[0]:
        c, addr = s.accept()
        host = addr[0][7:] if addr[0].startswith("::ffff:") else addr[0]
        try:
            c.sendall(host.encode() + b"\n")
        except OSError:
            pass
        c.close()
"""

# HOST PORT [SOURCE]: prints what the server said, or FAIL <reason>
CLIENT = r"""
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(0.8)
if len(sys.argv) > 3:
    s.bind((sys.argv[3], 0))
try:
    s.connect((host, port))
    print(s.recv(100).decode().strip() or "EMPTY")
except OSError as e:
    print("FAIL", type(e).__name__)
"""

MAC = {"a": "02:42:0a:58:00:02", "b": "02:42:0a:58:00:03"}
IP4 = {"a": "10.88.0.2", "b": "10.88.0.3"}
IP6 = {"a": "fd00:88::2", "b": "fd00:88::3"}
HOST4, UP4, LAN4 = "10.88.0.1", "192.168.77.1", "192.168.77.2"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


def run(argv, check=True):
    r = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, argv))}: {r.stdout}{r.stderr}")
    return r


class World:
    def __init__(self):
        self.tag = "ward-fwtest-" + secrets.token_hex(3)
        self.ns = {k: f"{self.tag}-{k}" for k in ("host", "a", "b", "lan")}
        self.procs = []

    def ex(self, where, *argv, check=True):
        return run(["ip", "netns", "exec", self.ns[where], *argv], check=check)

    def ip(self, where, *args):
        return self.ex(where, "ip", *args)

    def sysctl(self, where, *settings):
        for s in settings:
            self.ex(where, "sysctl", "-q", "-w", s)

    def build(self):
        for n in self.ns.values():
            run(["ip", "netns", "add", n])
        for k in self.ns:
            self.ip(k, "link", "set", "lo", "up")
        self.sysctl("host", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
        self.ip("host", "link", "add", "wbr0", "type", "bridge")
        self.ip("host", "addr", "add", f"{HOST4}/24", "dev", "wbr0")
        self.ip("host", "-6", "addr", "add", "fd00:88::1/64", "dev", "wbr0", "nodad")
        self.ip("host", "link", "set", "wbr0", "up")
        # what ward sets on its bridges: the host reaches published ports
        # through 127.0.0.1
        self.sysctl("host", "net.ipv4.conf.wbr0.route_localnet=1")
        for c in ("a", "b"):
            self.ip("host", "link", "add", f"wv-{c}", "type", "veth", "peer", "name", "eth0",
                    "netns", self.ns[c], "address", MAC[c])
            self.ip("host", "link", "set", f"wv-{c}", "master", "wbr0", "up")
            self.ip(c, "link", "set", "eth0", "up")
            self.ip(c, "addr", "add", f"{IP4[c]}/24", "dev", "eth0")
            self.ip(c, "-6", "addr", "add", f"{IP6[c]}/64", "dev", "eth0", "nodad")
            self.ip(c, "route", "add", "default", "via", HOST4)
            self.ip(c, "-6", "route", "add", "default", "via", "fd00:88::1")
        self.ip("host", "link", "add", "up0", "type", "veth", "peer", "name", "eth0",
                "netns", self.ns["lan"])
        self.ip("host", "addr", "add", f"{UP4}/24", "dev", "up0")
        self.ip("host", "-6", "addr", "add", "fd00:77::1/64", "dev", "up0", "nodad")
        self.ip("host", "link", "set", "up0", "up")
        self.ip("lan", "link", "set", "eth0", "up")
        for a in (f"{LAN4}/24", "192.168.77.3/24", "192.168.78.2/24"):
            self.ip("lan", "addr", "add", a, "dev", "eth0")
        self.ip("lan", "-6", "addr", "add", "fd00:77::2/64", "dev", "eth0", "nodad")
        self.ip("host", "route", "add", "192.168.78.0/24", "via", LAN4)
        # the lan can answer the containers' own addresses (so that NAT,
        # not routing, decides what the lan sees)
        self.ip("lan", "route", "add", "10.88.0.0/24", "via", UP4)
        self.ip("lan", "-6", "route", "add", "fd00:88::/64", "via", "fd00:77::1")

    def settle(self):
        """Wait until both families work end to end (IPv6 needs a moment
        for its neighbour discovery after the links come up)."""
        self.serve("lan", 7999)
        deadline = time.time() + 10
        for c, dst in (("a", "fd00:77::2"), ("b", "fd00:77::2"), ("a", LAN4), ("b", LAN4)):
            while not self.reaches(c, dst, 7999):
                assert time.time() < deadline, f"{c} cannot reach {dst}"

    def destroy(self):
        for p in self.procs:
            p.kill()
            p.wait()
        for n in self.ns.values():
            run(["ip", "netns", "del", n], check=False)

    def serve(self, where, *ports):
        p = subprocess.Popen(["ip", "netns", "exec", self.ns[where], PY, "-c", SERVER,
                              *map(str, ports)], stdout=subprocess.PIPE, text=True)
        self.procs.append(p)
        assert p.stdout.readline().strip() == "ready"

    def connect(self, where, host, port, source=None):
        args = [host, port] + ([source] if source else [])
        return self.ex(where, PY, "-c", CLIENT, *args).stdout.strip()

    def reaches(self, where, host, port, source=None):
        return not self.connect(where, host, port, source).startswith("FAIL")

    def fw(self, *args, check=True):
        return self.ex("host", FWDRIVE, *args, check=check)

    def network(self, *opts):
        self.fw("net-add", "n1", "wbr0", "subnet4=10.88.0.0/24", "subnet6=fd00:88::/64", *opts)

    def container(self, c, *opts):
        self.fw("add", c, f"port=wv-{c}", f"mac={MAC[c]}", f"ip4={IP4[c]}", f"ip6={IP6[c]}",
                *opts)

    def counters(self, c):
        out = self.fw("counters", c).stdout
        return {m[0]: int(m[1]) for m in re.findall(r"^(\w+) (\d+) \d+$", out, re.M)}


def root_ruleset():
    return run(["nft", "list", "ruleset"]).stdout


@pytest.fixture
def world():
    if not FWDRIVE.exists():
        pytest.skip(f"{FWDRIVE} is missing: build first")
    before = root_ruleset()
    w = World()
    try:
        w.build()
        w.settle()
        w.fw("ensure")
        yield w
    finally:
        w.destroy()
        # nothing of this ever reaches the machine's own namespace
        assert root_ruleset() == before
        assert w.tag not in run(["ip", "netns", "list"]).stdout


def test_egress_denied_by_default(world):
    world.network()
    world.container("a")
    world.serve("lan", 8000)
    world.serve("host", 9000)
    assert not world.reaches("a", LAN4, 8000)
    assert not world.reaches("a", HOST4, 9000)
    assert not world.reaches("a", "fd00:77::2", 8000)
    assert world.counters("a")["egress"] >= 3


# destinations: the lan's first address on two ports, a second address in
# the same /24, one in another /24, and a service on the host itself
DESTS = [(LAN4, 8000), (LAN4, 8001), ("192.168.77.3", 8000), ("192.168.78.2", 8000),
         (HOST4, 9000)]


@pytest.mark.parametrize("allow,expected", [
    ("tcp/8000", [1, 0, 1, 1, 0]),
    (LAN4, [1, 1, 0, 0, 0]),
    (f"{LAN4}:tcp/8001", [0, 1, 0, 0, 0]),
    ("192.168.77.0/24", [1, 1, 1, 0, 0]),
    ("192.168.77.0/24:tcp/8000", [1, 0, 1, 0, 0]),
    ("host:tcp/9000", [0, 0, 0, 0, 1]),
    ("any", [1, 1, 1, 1, 1]),
])
def test_egress_allow_list(world, allow, expected):
    world.network()
    world.container("a", f"allow={allow}")
    world.serve("lan", 8000, 8001)
    world.serve("host", 9000)
    got = [int(world.reaches("a", h, p)) for h, p in DESTS]
    assert got == expected, f"--allow-out {allow}: {list(zip(DESTS, got))}"


def test_egress_allow_list_ipv6(world):
    world.network()
    world.container("a", "allow=[fd00:77::/64]:tcp/8000")
    world.serve("lan", 8000, 8001)
    assert world.reaches("a", "fd00:77::2", 8000)
    assert not world.reaches("a", "fd00:77::2", 8001)
    assert not world.reaches("a", LAN4, 8000)


def test_inbound_from_lan_dropped(world):
    world.network()
    world.container("a", "allow=any")
    world.serve("a", 80)
    assert not world.reaches("lan", IP4["a"], 80)
    assert not world.reaches("lan", IP6["a"], 80)
    # the host itself cannot open connections to a container either
    assert not world.reaches("host", IP4["a"], 80)
    assert world.counters("a")["inbound"] >= 3
    # while the container's own connections get their answers
    world.serve("lan", 8000)
    assert world.reaches("a", LAN4, 8000)


def test_published_port(world):
    world.network()
    world.container("a", "publish=8080:80", f"publish={UP4}:8081:80")
    world.container("b")
    world.serve("a", 80, 81)
    # from the lan, to the host's address: the container sees the lan host
    assert world.connect("lan", UP4, 8080) == LAN4
    assert world.connect("lan", UP4, 8081) == LAN4
    # only what is published, and only to the address it is published on
    assert not world.reaches("lan", IP4["a"], 81)
    assert not world.reaches("b", HOST4, 8081)
    # from the host itself, also through 127.0.0.1
    assert world.reaches("host", UP4, 8080)
    assert world.reaches("host", "127.0.0.1", 8080)
    # hairpin: b through the host's address; a sees the host (masquerade),
    # or its answers would go straight to b and miss the translation
    assert world.connect("b", HOST4, 8080) == HOST4
    assert world.connect("b", UP4, 8080) == HOST4
    world.fw("del", "a", "port=wv-a", f"mac={MAC['a']}", f"ip4={IP4['a']}",
             f"ip6={IP6['a']}", "publish=8080:80", f"publish={UP4}:8081:80")
    assert not world.reaches("lan", UP4, 8080)


@pytest.mark.parametrize("opts,seen", [
    ((), IP4["a"]),
    (("nat",), UP4),
    (("nat", "uplink=up0"), UP4),
    (("nat", "uplink=nosuch0"), IP4["a"]),
])
def test_nat(world, opts, seen):
    world.network(*opts)
    world.container("a", "allow=any")
    world.serve("lan", 8000)
    assert world.connect("a", LAN4, 8000) == seen


def test_isolation(world):
    world.network("isolate")
    for c in ("a", "b"):
        world.ip("host", "link", "set", "dev", f"wv-{c}", "type", "bridge_slave", "isolated",
                 "on")
    # the host answers ARP for the other ports (at once: a proxy answers to
    # a broadcast only after up to proxy_delay, 0.8 s by default) and
    # routes between them without telling them to go direct
    world.sysctl("host", "net.ipv4.conf.wbr0.proxy_arp_pvlan=1", "net.ipv4.neigh.wbr0.proxy_delay=0",
                 "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.wbr0.send_redirects=0")
    world.container("a")
    world.container("b", "publish=8080:80")
    world.serve("b", 80, 81)
    # a published container port, straight to the container's address
    assert world.connect("a", IP4["b"], 80) == IP4["a"]
    before = world.counters("b")["inbound"]
    assert not world.reaches("a", IP4["b"], 81)
    assert world.counters("b")["inbound"] > before
    # unless a's allow-list names it
    world.fw("del", "a", "port=wv-a", f"mac={MAC['a']}", f"ip4={IP4['a']}", f"ip6={IP6['a']}")
    world.container("a", f"allow={IP4['b']}:tcp/81")
    assert world.connect("a", IP4["b"], 81) == IP4["a"]


def test_open_network(world):
    # without isolation the containers of a network talk freely (bridged,
    # and through br_netfilter also past ward's forward chain)
    world.network()
    world.container("a")
    world.container("b")
    world.serve("b", 81)
    assert world.connect("a", IP4["b"], 81) == IP4["a"]
    assert world.connect("a", IP6["b"], 81) == IP6["a"]


def test_antispoof(world):
    world.network()
    world.container("a", "allow=any")
    world.serve("lan", 8000)
    assert world.connect("a", LAN4, 8000) == IP4["a"]
    spoof = world.counters("a")["spoof"]

    # another MAC: nothing the container sends gets through
    world.ip("a", "link", "set", "eth0", "address", "02:42:0a:58:00:99")
    world.ip("a", "neigh", "flush", "all")
    assert not world.reaches("a", LAN4, 8000)
    assert world.counters("a")["spoof"] > spoof
    world.ip("a", "link", "set", "eth0", "address", MAC["a"])
    assert world.connect("a", LAN4, 8000) == IP4["a"]

    # another IPv4 address, or another IPv6 address
    spoof = world.counters("a")["spoof"]
    world.ip("a", "addr", "add", "10.88.0.99/24", "dev", "eth0")
    world.ip("a", "-6", "addr", "add", "fd00:88::99/64", "dev", "eth0", "nodad")
    assert not world.reaches("a", LAN4, 8000, source="10.88.0.99")
    assert not world.reaches("a", "fd00:77::2", 8000, source="fd00:88::99")
    assert world.counters("a")["spoof"] > spoof
    world.ip("a", "addr", "del", "10.88.0.99/24", "dev", "eth0")
    world.ip("a", "-6", "addr", "del", "fd00:88::99/64", "dev", "eth0")
    assert world.connect("a", LAN4, 8000) == IP4["a"]
    assert world.connect("a", "fd00:77::2", 8000) == IP6["a"]


def test_del_removes_everything(world):
    world.network("nat", "isolate")
    world.container("a", "allow=10.0.0.0/8", "allow=tcp/443", "publish=8080:80", "log")
    listing = world.ex("host", "nft", "list", "ruleset").stdout
    assert 'comment "a"' in listing and "chain egress_a" in listing
    world.fw("del", "a", "port=wv-a", f"mac={MAC['a']}", f"ip4={IP4['a']}", f"ip6={IP6['a']}",
             "allow=10.0.0.0/8", "allow=tcp/443", "publish=8080:80", "log")
    world.fw("net-del", "n1", "wbr0", "subnet4=10.88.0.0/24", "subnet6=fd00:88::/64", "nat",
             "isolate")
    listing = world.ex("host", "nft", "list", "ruleset").stdout
    assert "elements" not in listing
    assert not re.search(r"chain (egress|log|login)_a\b", listing)
    assert "ward_a_" not in listing
    world.fw("remove-all")
    assert world.ex("host", "nft", "list", "ruleset").stdout == ""
