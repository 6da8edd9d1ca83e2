#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ward's network demo: the seed scenario, explained as it goes.

A web server jailed on a private segment behind the host firewall, its page
fetched from the LAN through the published port; its attempt to connect out
refused; a mail relay allowed exactly one port out; a spoofing attempt
dropped, with the counters to show it.

It all happens in a sandbox: two network namespaces this script makes, one
playing the host (ward runs there) and one playing the LAN.  The machine's
own network namespace is never touched, and everything is deleted at the end.
"""
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE / "tests" / "integration"))
import netsandbox  # noqa: E402

BUILD = Path(os.environ.get("WARD_BUILD", HERE / "build"))
TTY = sys.stdout.isatty()
B, D, N = ("\033[1m", "\033[2m", "\033[0m") if TTY else ("", "", "")
step = 0


def say(title, *lines):
    global step
    step += 1
    print(f"\n{B}{step}. {title}{N}")
    for line in lines:
        print(f"   {line}")
    sys.stdout.flush()


def shown(where, argv, out):
    print(f"{D}   [{where}] $ {' '.join(argv)}{N}")
    for line in out.rstrip("\n").splitlines():
        print(f"     {line}")
    sys.stdout.flush()


class DemoWard:
    """What netsandbox needs to know about ward: where it is, its state."""

    def __init__(self, root):
        self.root = Path(root) / "run"
        self.lib = Path(root) / "lib"
        self.bin = str(BUILD / "src" / "cli" / "ward")
        self.wtest = str(BUILD / "tests" / "wtest")

    def env(self, extra=None):
        e = dict(os.environ)
        e.update(WARD_ROOT=str(self.root), WARD_LIB=str(self.lib), WARD_CGROUP_PARENT="self")
        e.pop("WARD_DEFAULT_NETWORK", None)
        e.update(extra or {})
        return e


def main():
    tmp = tempfile.mkdtemp(prefix="ward-demo-net.")
    os.chmod(tmp, 0o711)
    w = DemoWard(tmp)
    sb = netsandbox.Sandbox(w)
    try:
        scenario(sb, w)
    finally:
        sb.close()
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{B}done.{N}  The sandbox is gone; the machine's network was never touched.")
    print("   See `ward help run` (network options) and `ward help net`.")


def ward(sb, *args, show=True):
    r = sb.run(*args)
    if show:
        shown("host", ["ward", *args], r.stdout + r.stderr)
    return r


def lan(sb, *argv):
    r = sb.in_lan(*argv, check=False)
    shown("lan", [os.path.basename(argv[0]), *argv[1:]], r.stdout + r.stderr)
    return r.stdout.strip()


def drops(sb, name):
    info = json.loads(sb.run("info", name, "--json").stdout)
    return info.get("dropped_packets", {})


def scenario(sb, w):
    wt = w.wtest
    print(f"{B}ward network demo{N}: the seed scenario, in a sandbox of two network namespaces:")
    print(f"   'host' ({sb.host}), where ward runs, with uplink address {netsandbox.HOST_IP};")
    print(f"   'lan'  ({sb.lan}), a neighbour at {netsandbox.LAN_IP} running a client and servers.")

    say("A private segment",
        "`ward net create` makes a bridge with the gateway address and installs ward's",
        "own nftables tables (inet ward, bridge ward).  No other table is touched.")
    ward(sb, "net", "create", "dmz", "--subnet", "10.10.20.0/24")
    ward(sb, "net", "info", "dmz")

    say("A web server jailed on it, port 80 published",
        "One command: its own filesystem view, process tree and network stack, a veth on",
        "the dmz bridge, address 10.10.20.10, and a DNAT rule for port 80 on the host.")
    print(f"{D}   [host] $ ward run --name web --net dmz --ip 10.10.20.10 --publish 80:80 "
          f"-- /wtest serve 80 'hello from the jailed web server' &{N}")
    sb.service("web", "--net", "dmz", "--ip", "10.10.20.10", "--publish", "80:80",
               cmd=["/wtest", "serve", "80", "hello from the jailed web server"])
    r = sb.run("info", "web")
    shown("host", ["ward", "info", "web"], r.stdout)

    say("The LAN fetches the page through the host's address",
        "The LAN client connects to the host's uplink address; ward's DNAT sends it on.")
    lan(sb, wt, "fetch", netsandbox.HOST_IP, "80")

    say("...and nothing else of the container is reachable",
        "An unpublished port is the host's own (nothing listens there: refused), and the",
        "container's address, routed directly from the LAN, is dropped by the firewall.")
    lan(sb, wt, "connect", netsandbox.HOST_IP, "8080", "1000")
    lan(sb, wt, "connect", "10.10.20.10", "80", "1000")

    sb.serve_lan(25, "220 lan mail server")
    sb.serve_lan(8080, "lan web server")
    say("A compromised web server cannot probe the network",
        "Egress is default-deny: the web container opens no connection of its own to",
        "the LAN (nor to the host's services).  Replies to its visitors still pass.")
    r = sb.exec_in("web", wt, "connect", netsandbox.LAN_IP, "25", "1000")
    shown("web", ["/wtest", "connect", netsandbox.LAN_IP, "25"], r.stdout)
    r = sb.exec_in("web", wt, "connect", netsandbox.HOST_IP, "22", "1000")
    shown("web", ["/wtest", "connect", netsandbox.HOST_IP, "22"], r.stdout)
    d = drops(sb, "web")
    print(f"     ward info web: dropped egress={d.get('egress', 0)}")

    say("A mail relay may send mail, and nothing else",
        "`--allow-out tcp/25` opens exactly that: port 25 anywhere, every other port shut.")
    print(f"{D}   [host] $ ward run --name relay --net dmz --allow-out tcp/25 -- ... &{N}")
    sb.service("relay", "--net", "dmz", "--allow-out", "tcp/25")
    r = sb.exec_in("relay", wt, "fetch", netsandbox.LAN_IP, "25", "1000")
    shown("relay", ["/wtest", "fetch", netsandbox.LAN_IP, "25"], r.stdout)
    r = sb.exec_in("relay", wt, "connect", netsandbox.LAN_IP, "8080", "1000")
    shown("relay", ["/wtest", "connect", netsandbox.LAN_IP, "8080"], r.stdout)

    say("Spoofing is dropped",
        "Suppose an attacker is root in the relay with CAP_NET_ADMIN (the demo acts as",
        "root in the relay's network namespace).  They take the web server's address",
        "(10.10.20.10) to impersonate it...")
    before = drops(sb, "relay").get("spoof", 0)
    script = ("ip addr flush dev eth0 && ip addr add 10.10.20.10/24 dev eth0 && "
              "ip route add default via 10.10.20.1 && "
              f"{wt} connect {netsandbox.LAN_IP} 25 1000")
    r = sb.exec_in("relay", "/bin/sh", "-c", script)
    shown("relay", ["ip addr flush dev eth0; ip addr add 10.10.20.10/24 dev eth0;",
                    "ip route add default via 10.10.20.1; /wtest connect",
                    netsandbox.LAN_IP, "25"], r.stdout + r.stderr)
    print("   ...and announce it with a gratuitous ARP, to steal the neighbours' traffic:")
    r = sb.exec_in("relay", wt, "garp", "eth0", "10.10.20.10")
    shown("relay", ["/wtest", "garp", "eth0", "10.10.20.10"], r.stdout)
    time.sleep(0.2)
    web_mac = json.loads(sb.run("info", "web", "--json").stdout)["net"][0]["mac"]
    print(f"   The bridge dropped both.  The host still maps 10.10.20.10 to the web server's")
    print(f"   MAC ({web_mac}), and the LAN still gets the real web server's page:")
    r = sb.in_host("ip", "neigh", "show", "10.10.20.10", check=False)
    shown("host", ["ip", "neigh", "show", "10.10.20.10"], r.stdout)
    lan(sb, wt, "fetch", netsandbox.HOST_IP, "80")
    after = drops(sb, "relay").get("spoof", 0)
    print(f"     ward info relay: dropped spoof {before} -> {after}")

    say("Managed over its life",
        "`ward create` stores a container (its config, its own subordinate ids); `ward start`",
        "runs it in the background under a small monitor; `ward attach` enters it with the",
        "same namespaces, cgroup, capabilities and seccomp filter; `ward stop` and",
        "`ward destroy` undo everything.")
    ward(sb, "create", "shop", "--net", "dmz", "--ip", "10.10.20.20", "--publish", "8081:80",
         "--init", "--bind", f"{wt}:/wtest:ro", "--", "/wtest", "serve", "80",
         "hello from the shop, a managed container")
    ward(sb, "start", "shop")
    sb.wait_listening("shop", 80)
    ward(sb, "ls", "--fancy")
    lan(sb, wt, "fetch", netsandbox.HOST_IP, "8081")
    ward(sb, "attach", "shop", "--", "/wtest", "ps")
    ward(sb, "stop", "shop", "-t", "5")
    ward(sb, "info", "shop")
    ward(sb, "destroy", "shop")

    say("Stopping cleans up everything",
        "When the containers stop, their veths, set elements, counters and leases go.")
    sb.stop_all()
    ward(sb, "net", "rm", "dmz")
    left = sb.leftovers()
    print(f"   left behind: {left or 'nothing'}")


if __name__ == "__main__":
    main()
