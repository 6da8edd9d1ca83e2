# SPDX-License-Identifier: GPL-2.0-or-later
"""Networking and the host firewall, with real traffic, in sandboxes: a
network namespace that plays the host (ward runs there) and one that plays
the LAN (a client and servers).  Never the machine's own namespace."""
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ward_cgroups
from netsandbox import HOST_IP, HOST_IP6, LAN_IP, LAN_IP6, sh

DMZ = "10.10.20.0/24"


def dmz(sb, *extra):
    r = sb.run("net", "create", "dmz", "--subnet", DMZ, *extra)
    assert r.returncode == 0, r.stderr
    return r


def one_line(r):
    lines = [l for l in r.stderr.strip().splitlines() if "no range for root" not in l]
    assert len(lines) == 1, r.stderr
    return lines[0]


# --- networks ---

def test_net_create_ls_info_rm(sb):
    dmz(sb, "--nat")
    r = sb.run("net", "ls", "--json")
    nets = json.loads(r.stdout)
    assert [n["name"] for n in nets] == ["dmz"]
    assert nets[0]["subnet"] == DMZ and nets[0]["gateway"] == "10.10.20.1"
    assert nets[0]["bridge"] == "wb-dmz" and nets[0]["nat"] is True
    links = sb.in_host("ip", "-o", "addr", "show", "dev", "wb-dmz").stdout
    assert "10.10.20.1/24" in links
    info = sb.run("net", "info", "dmz").stdout
    assert "forwarding" in info and "whole host" in info
    assert sb.in_host("cat", "/proc/sys/net/ipv4/ip_forward").stdout.strip() == "1"
    assert sb.run("net", "rm", "dmz").returncode == 0
    assert "wb-dmz" not in sb.in_host("ip", "-o", "link").stdout
    # the last network gone: ward's tables and the forwarding it turned on too
    assert sb.in_host("nft", "list", "ruleset").stdout.strip() == ""
    assert sb.in_host("cat", "/proc/sys/net/ipv4/ip_forward").stdout.strip() == "0"


def test_uplink_forwarding_is_per_interface(sb):
    dmz(sb, "--uplink", "up0")
    assert sb.in_host("cat", "/proc/sys/net/ipv4/ip_forward").stdout.strip() == "0"
    assert sb.in_host("cat", "/proc/sys/net/ipv4/conf/wb-dmz/forwarding").stdout.strip() == "1"
    assert sb.in_host("cat", "/proc/sys/net/ipv4/conf/up0/forwarding").stdout.strip() == "1"
    assert "per interface" in sb.run("net", "info", "dmz").stdout


@pytest.mark.parametrize("args,expect", [
    (["net", "create", "b", "--subnet", "10.10.20.128/25"], "overlaps network dmz"),
    (["net", "create", "b", "--subnet", "192.0.2.0/25"], "overlaps a route of this host"),
    (["net", "create", "b", "--subnet", "10.30.0.5/24"], "has host bits set"),
    (["net", "create", "b", "--subnet", "10.30.0.0/24", "--gateway", "10.31.0.1"],
     "--gateway"),
    (["net", "create", "b", "--subnet", "10.30.0.0/24", "--uplink", "nope0"],
     "--uplink: interface nope0 does not exist"),
    (["net", "create", "dmz", "--subnet", "10.40.0.0/24"], "network dmz already exists"),
    (["run", "--net", "dmz", "--ip", "10.99.0.5", "--", "/bin/true"], "not a host address"),
    (["run", "--net", "dmz", "--ip", "10.10.20.1", "--", "/bin/true"], "gateway"),
    (["run", "--net", "nosuch", "--", "/bin/true"], "network nosuch does not exist"),
    (["run", "--net", "macvlan:nope0", "--", "/bin/true"], "interface nope0 does not exist"),
    (["run", "--net", "dmz", "--allow-out", "tcp/99999", "--", "/bin/true"], "--allow-out"),
    (["run", "--net", "dmz", "--allow-out", "10.0.0.0/8:icmp/1", "--", "/bin/true"],
     "--allow-out"),
    (["run", "--net", "dmz", "--publish", "80", "--", "/bin/true"], "--publish"),
    (["run", "--net", "none", "--publish", "8080:80", "--", "/bin/true"], "need a network"),
])
def test_bad_input_changes_nothing(sb, args, expect):
    dmz(sb)
    before = (sb.in_host("nft", "list", "ruleset").stdout,
              sb.in_host("ip", "-o", "link").stdout,
              sorted(p.name for p in sb.ward.lib.rglob("*")))
    r = sb.run(*args)
    assert r.returncode == 125, r.stdout + r.stderr
    assert expect in one_line(r), r.stderr
    after = (sb.in_host("nft", "list", "ruleset").stdout,
             sb.in_host("ip", "-o", "link").stdout,
             sorted(p.name for p in sb.ward.lib.rglob("*")))
    # leases file may have been created empty; nothing else changes
    assert after[0] == before[0] and after[1] == before[1]


@pytest.mark.parametrize("args,expect", [
    # refused while planning the network
    (["--ip", "10.99.0.5"], "not a host address"),
    # refused inside the container, once its veth is on the bridge
    (["--bind", "/etc/hostname:/usr/no/such/place"], "mount /usr/no/such/place"),
])
def test_failed_first_start_leaves_no_default_network(sb, args, expect):
    # the first start without --net makes ward0; when that start fails,
    # the host must be as it was: no network, bridge, tables or forwarding
    def host():
        # a failed container's host veth goes with its namespace, which
        # the kernel frees in the background: wait for it
        for _ in range(100):
            links = sb.in_host("ip", "-o", "link").stdout
            if "wv-" not in links:
                break
            time.sleep(0.05)
        return (sb.in_host("nft", "list", "ruleset").stdout, links,
                sb.in_host("cat", "/proc/sys/net/ipv4/ip_forward").stdout,
                sb.run("net", "ls", "--json").stdout)
    env = {"WARD_DEFAULT_NETWORK": None}    # the CLI's default: ward0
    before = host()
    r = sb.run("run", *args, "--", "/bin/true", env=env)
    assert r.returncode == 125, r.stdout + r.stderr
    assert expect in one_line(r), r.stderr
    assert host() == before
    # and a good first start still makes it, and keeps it
    assert sb.run("run", "--", "/bin/true", env=env).returncode == 0
    assert [n["name"] for n in json.loads(sb.run("net", "ls", "--json").stdout)] == ["ward0"]
    assert sb.run("net", "rm", "ward0").returncode == 0


def test_last_network_gone_keeps_the_policy_of_bridge_containers(sb):
    """A container on an admin's bridge (--net bridge:IF) holds no ward
    network but keeps its anti-spoofing in ward's tables: removing the last
    ward network, or a failed first start undoing ward0, must leave them."""
    sb.in_host("ip", "link", "add", "br0", "type", "bridge")
    sb.in_host("ip", "addr", "add", "10.0.0.1/24", "dev", "br0")
    sb.in_host("ip", "link", "set", "br0", "up")
    sb.service("onbr", "--net", "bridge:br0", "--ip", "10.0.0.2")
    policy = lambda: sb.in_host("nft", "list", "table", "bridge", "ward").stdout
    assert "onbr" in policy()
    dmz(sb)
    assert sb.run("net", "rm", "dmz").returncode == 0
    assert "onbr" in policy()
    r = sb.run("run", "--ip", "10.99.0.5", "--", "/bin/true", env={"WARD_DEFAULT_NETWORK": None})
    assert r.returncode == 125, r.stderr
    assert "onbr" in policy()
    assert sb.run("net", "ls", "--json").stdout.strip() == "[]"


def test_address_in_use_and_port_already_published(sb):
    dmz(sb)
    sb.service("web", "--net", "dmz", "--ip", "10.10.20.10", "--publish", "8080:80")
    r = sb.run("run", "--net", "dmz", "--ip", "10.10.20.10", "--", "/bin/true")
    assert r.returncode == 125
    assert "10.10.20.10 is in use by container web" in one_line(r)
    r = sb.run("run", "--net", "dmz", "--publish", "8080:81", "--", "/bin/true")
    assert r.returncode == 125
    assert "8080/tcp is already published by container web" in one_line(r)


# --- the seed scenario ---

def test_seed_scenario(sb):
    dmz(sb)
    sb.service("web", "--net", "dmz", "--ip", "10.10.20.10", "--publish", "8080:80",
               cmd=["/wtest", "serve", "80", "hello"])
    sb.serve_lan(2525, "smtp")
    # the LAN fetches the page through the host address
    assert sb.lan_fetch(HOST_IP, 8080).startswith("hello from 192.0.2.2")
    # not an unpublished port, not the container's address directly
    assert sb.lan_connect(HOST_IP, 8081) in ("ECONNREFUSED", "ETIMEDOUT")
    assert sb.lan_connect("10.10.20.10", 80) == "ETIMEDOUT"
    # the container cannot connect out
    r = sb.run("run", "--net", "dmz", "--bind", f"{sb.ward.wtest}:/wtest:ro", "--", "/wtest",
               "connect", LAN_IP, "2525", "1000")
    assert r.stdout.strip() == "ETIMEDOUT", r.stdout + r.stderr


def test_allow_out_opens_exactly_that_port(sb):
    dmz(sb)
    sb.serve_lan(2525)
    sb.serve_lan(2526)
    r = sb.run("run", "--net", "dmz", "--allow-out", "tcp/2525", "--bind",
               f"{sb.ward.wtest}:/wtest:ro", "--", "/bin/sh", "-c",
               f"/wtest connect {LAN_IP} 2525 1000; /wtest connect {LAN_IP} 2526 1000")
    assert r.stdout.split() == ["OK", "ETIMEDOUT"], r.stdout + r.stderr


@pytest.mark.parametrize("spec,ok,blocked", [
    (LAN_IP, [2525, 2526], []),
    ("192.0.2.0/24", [2525, 2526], []),
    (f"{LAN_IP}:tcp/2526", [2526], [2525]),
    ("192.0.2.0/28:tcp/2525", [2525], [2526]),
    ("any", [2525, 2526], []),
])
def test_allow_out_forms(sb, spec, ok, blocked):
    dmz(sb)
    sb.serve_lan(2525)
    sb.serve_lan(2526)
    script = "; ".join(f"/wtest connect {LAN_IP} {p} 1000" for p in (2525, 2526))
    r = sb.run("run", "--net", "dmz", "--allow-out", spec, "--bind",
               f"{sb.ward.wtest}:/wtest:ro", "--", "/bin/sh", "-c", script)
    res = dict(zip((2525, 2526), r.stdout.split()))
    for p in ok:
        assert res[p] == "OK", (spec, res, r.stderr)
    for p in blocked:
        assert res[p] == "ETIMEDOUT", (spec, res)


def test_host_services_are_outbound_too(sb):
    dmz(sb)
    sb.serve_host(5000, "hostsvc")
    sb.serve_host(5001, "other")
    script = "/wtest connect 10.10.20.1 5000 1000; /wtest connect 10.10.20.1 5001 1000"
    r = sb.run("run", "--net", "dmz", "--bind", f"{sb.ward.wtest}:/wtest:ro", "--", "/bin/sh",
               "-c", script)
    assert r.stdout.split() == ["ETIMEDOUT", "ETIMEDOUT"], r.stdout + r.stderr
    r = sb.run("run", "--net", "dmz", "--allow-out", "host:tcp/5000", "--bind",
               f"{sb.ward.wtest}:/wtest:ro", "--", "/bin/sh", "-c", script)
    assert r.stdout.split() == ["OK", "ETIMEDOUT"], r.stdout + r.stderr


def test_allow_out_dns_is_the_given_resolvers(sb):
    dmz(sb)
    sb.serve_lan(53, "dns")
    sb.serve_lan(54, "other")
    r = sb.run("run", "--net", "dmz", "--dns", LAN_IP, "--allow-out", "dns", "--bind",
               f"{sb.ward.wtest}:/wtest:ro", "--", "/bin/sh", "-c",
               f"cat /etc/resolv.conf; /wtest connect {LAN_IP} 53 1000; "
               f"/wtest connect {LAN_IP} 54 1000")
    assert f"nameserver {LAN_IP}" in r.stdout
    assert r.stdout.split()[-2:] == ["OK", "ETIMEDOUT"], r.stdout + r.stderr


def test_resolv_conf_never_the_loopback_stub(sb):
    dmz(sb)
    r = sb.run("run", "--net", "dmz", "--", "/bin/cat", "/etc/resolv.conf", "/etc/hosts")
    assert r.returncode == 0, r.stderr
    assert "127.0.0.53" not in r.stdout
    assert re.search(r"10\.10\.20\.\d+\s+\S+", r.stdout)


def test_network_files_in_a_rootfs_without_them(sb, rootfs, tmp_path):
    """A --rootfs without /etc/hosts and /etc/resolv.conf: ward makes the
    mount points (its unprivileged container root could not), binds its
    own files read-only, and a --bind of the user's own wins."""
    import shutil
    root = tmp_path / "rootfs"
    shutil.copytree(rootfs, root, symlinks=True)
    for f in ("hosts", "resolv.conf"):
        (root / "etc" / f).unlink(missing_ok=True)
    dmz(sb)
    r = sb.run("run", "--net", "dmz", "--rootfs", root, "--", "/bin/cat", "/etc/resolv.conf",
               "/etc/hosts")
    assert r.returncode == 0, r.stderr
    assert re.search(r"10\.10\.20\.\d+\s+\S+", r.stdout), r.stdout
    st = (root / "etc" / "hosts").stat()
    assert st.st_uid == 0 and st.st_size == 0      # an empty mount point, host root's
    mine = tmp_path / "my-resolv.conf"
    mine.write_text("nameserver 192.0.2.53\n")
    r = sb.run("run", "--net", "dmz", "--rootfs", root, "--bind", f"{mine}:/etc/resolv.conf:ro",
               "--", "/bin/cat", "/etc/resolv.conf")
    assert r.stdout == "nameserver 192.0.2.53\n", r.stdout + r.stderr


def test_nat_masquerades_allowed_egress(sb):
    dmz(sb, "--nat")
    sb.serve_lan(2525, "smtp")
    r = sb.run("run", "--net", "dmz", "--allow-out", "tcp/2525", "--bind",
               f"{sb.ward.wtest}:/wtest:ro", "--", "/wtest", "fetch", LAN_IP, "2525")
    assert r.stdout.strip() == f"smtp from {HOST_IP}", r.stdout + r.stderr


def test_without_nat_the_container_keeps_its_address(sb):
    dmz(sb)
    sb.serve_lan(2525, "smtp")
    r = sb.run("run", "--net", "dmz", "--ip", "10.10.20.44", "--allow-out", "tcp/2525",
               "--bind", f"{sb.ward.wtest}:/wtest:ro", "--", "/wtest", "fetch", LAN_IP, "2525")
    assert r.stdout.strip() == "smtp from 10.10.20.44", r.stdout + r.stderr


def test_hairpin_and_host_local_access(sb):
    dmz(sb)
    sb.service("web", "--net", "dmz", "--publish", "8080:80",
               cmd=["/wtest", "serve", "80", "hello"])
    # from the host itself, through its address and through 127.0.0.1
    r = sb.in_host(sb.ward.wtest, "fetch", HOST_IP, "8080", check=False)
    assert r.stdout.startswith("hello"), r.stdout
    r = sb.in_host(sb.ward.wtest, "fetch", "127.0.0.1", "8080", check=False)
    assert r.stdout.startswith("hello"), r.stdout
    # from another container through the host address (hairpin)
    r = sb.run("run", "--net", "dmz", "--bind", f"{sb.ward.wtest}:/wtest:ro", "--", "/wtest",
               "fetch", HOST_IP, "8080")
    assert r.stdout.startswith("hello"), r.stdout + r.stderr


def test_containers_of_one_network_reach_each_other(sb):
    dmz(sb)
    sb.service("a", "--net", "dmz", "--ip", "10.10.20.11", cmd=["/wtest", "serve", "7000", "a"])
    r = sb.run("run", "--net", "dmz", "--bind", f"{sb.ward.wtest}:/wtest:ro", "--", "/wtest",
               "fetch", "10.10.20.11", "7000")
    assert r.stdout.startswith("a from 10.10.20."), r.stdout + r.stderr


def test_isolate_blocks_container_to_container(sb):
    dmz(sb, "--isolate")
    sb.service("a", "--net", "dmz", "--ip", "10.10.20.11", "--publish", "7001:7001",
               cmd=["/bin/sh", "-c", "/wtest serve 7000 a & exec /wtest serve 7001 pub"])
    b = ["run", "--net", "dmz", "--bind", f"{sb.ward.wtest}:/wtest:ro"]
    r = sb.run(*b, "--", "/wtest", "fetch", "10.10.20.11", "7000", "1000")
    assert r.stdout.startswith("ERR"), r.stdout
    # a published port of the neighbour: directly and through the host
    r = sb.run(*b, "--", "/wtest", "fetch", "10.10.20.11", "7001", "2000")
    assert r.stdout.startswith("pub"), r.stdout + r.stderr
    r = sb.run(*b, "--", "/wtest", "fetch", HOST_IP, "7001", "2000")
    assert r.stdout.startswith("pub"), r.stdout + r.stderr
    # an allow-listed flow
    r = sb.run(*b, "--allow-out", "10.10.20.11:tcp/7000", "--", "/wtest", "fetch",
               "10.10.20.11", "7000", "2000")
    assert r.stdout.startswith("a from"), r.stdout + r.stderr


# --- anti-spoofing ---

SPOOF_CAPS = ["--cap-add", "NET_ADMIN", "--cap-add", "NET_RAW"]


def drops(sb, name):
    r = sb.run("info", name, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout).get("dropped_packets", {})


def test_spoofed_mac_and_ip_are_dropped(sb):
    dmz(sb)
    sb.serve_lan(2525, "smtp")
    sb.service("evil", "--net", "dmz", "--ip", "10.10.20.66", "--allow-out", "tcp/2525",
               *SPOOF_CAPS)
    run_in = lambda script: sb.exec_in("evil", "/bin/sh", "-c", script)
    # baseline: the allowed port works
    assert run_in(f"{sb.ward.wtest} connect {LAN_IP} 2525 1000").stdout.strip() == "OK"
    before = drops(sb, "evil").get("spoof", 0)
    # another MAC: dropped
    r = run_in("ip link set eth0 address 02:aa:bb:cc:dd:ee && "
               f"{sb.ward.wtest} connect {LAN_IP} 2525 1000")
    assert r.stdout.strip() == "ETIMEDOUT", r.stdout + r.stderr
    mac = json.loads(sb.run("info", "evil", "--json").stdout)["net"][0]["mac"]
    assert run_in(f"ip link set eth0 address {mac} && "
                  f"{sb.ward.wtest} connect {LAN_IP} 2525 1000").stdout.strip() == "OK"
    # another IP: dropped
    r = run_in("ip -4 addr flush dev eth0 && ip addr add 10.10.20.99/24 dev eth0 && "
               "ip route add default via 10.10.20.1 && "
               f"{sb.ward.wtest} connect {LAN_IP} 2525 1000")
    assert r.stdout.strip() == "ETIMEDOUT", r.stdout + r.stderr
    assert run_in("ip -4 addr flush dev eth0 && ip addr add 10.10.20.66/24 dev eth0 && "
                  "ip route add default via 10.10.20.1 && "
                  f"{sb.ward.wtest} connect {LAN_IP} 2525 1000").stdout.strip() == "OK"
    assert drops(sb, "evil").get("spoof", 0) > before


def test_gratuitous_arp_for_a_neighbour_is_dropped(sb):
    dmz(sb)
    sb.service("victim", "--net", "dmz", "--ip", "10.10.20.20",
               cmd=["/wtest", "serve", "7000", "victim"])
    sb.service("evil", "--net", "dmz", "--ip", "10.10.20.66", *SPOOF_CAPS)
    before = drops(sb, "evil").get("spoof", 0)
    r = sb.exec_in("evil", sb.ward.wtest, "garp", "eth0", "10.10.20.20")
    assert r.stdout.strip() == "sent", r.stdout + r.stderr
    time.sleep(0.2)
    # the host (gateway) still maps the victim's address to the victim's MAC
    evil_mac = json.loads(sb.run("info", "evil", "--json").stdout)["net"][0]["mac"]
    neigh = sb.in_host("ip", "neigh", "show", "10.10.20.20").stdout
    assert evil_mac not in neigh, neigh
    assert sb.lan_connect("10.10.20.20", 7000) == "ETIMEDOUT"  # never reachable directly
    assert drops(sb, "evil").get("spoof", 0) > before


# --- interfaces ---

def test_host_link_names_are_predictable(sb):
    dmz(sb)
    sb.service("web", "--net", "dmz")
    sb.service("a-rather-long-container-name", "--net", "dmz")
    links = sb.in_host("ip", "-o", "link").stdout
    assert "wv-web" in links
    long = re.findall(r"(wv-a-rathe-[0-9a-f]{4})", links)
    assert long and len(long[0]) <= 15
    info = json.loads(sb.run("info", "web", "--json").stdout)
    assert info["net"][0]["host_ifname"] == "wv-web"


def test_quick_restart_of_the_same_container(sb):
    dmz(sb)
    for _ in range(5):
        r = sb.run("run", "--name", "again", "--net", "dmz", "--ip", "10.10.20.30", "--",
                   "/bin/true")
        assert r.returncode == 0, r.stderr


def test_none_and_host(sb):
    r = sb.run("run", "--net", "none", "--bind", f"{sb.ward.wtest}:/wtest:ro", "--", "/wtest",
               "ifaces")
    assert r.stdout.split() == ["lo", "up"], r.stdout
    r = sb.run("run", "--net", "host", "--bind", f"{sb.ward.wtest}:/wtest:ro", "--", "/wtest",
               "ifaces")
    assert "up0" in r.stdout


def test_macvlan_modes(sb):
    for mode, reach in (("bridge", True), ("vepa", False), ("private", False)):
        a = f"mv-a-{mode}"
        sb.service(a, "--net", f"macvlan:up0:{mode}", "--ip", "192.0.2.50/24",
                   cmd=["/wtest", "serve", "7000", "a"])
        r = sb.run("run", "--net", f"macvlan:up0:{mode}", "--ip", "192.0.2.51/24", "--bind",
                   f"{sb.ward.wtest}:/wtest:ro", "--", "/wtest", "fetch", "192.0.2.50", "7000",
                   "1000")
        assert r.stdout.startswith("a from") == reach, (mode, r.stdout, r.stderr)
        # the LAN reaches a macvlan child; the parent's own host does not
        assert sb.lan_fetch("192.0.2.50", 7000).startswith("a from"), mode
        assert sb.host_connect("192.0.2.50", 7000, 500) != "OK"
        sb.stop(a)


def test_vlan(sb):
    probe = sb.in_lan("ip", "link", "add", "link", "lan0", "name", "lan0.100", "type", "vlan",
                      "id", "100", check=False)
    if probe.returncode != 0:
        # ward must say so clearly, exit 125, and leave nothing
        r = sb.run("run", "--net", "vlan:up0:100", "--", "/bin/true")
        assert r.returncode == 125 and "vlan" in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) <= 2, r.stderr
        pytest.skip("kernel has no 802.1Q VLAN support (8021q): " + probe.stderr.strip())
    sb.in_lan("ip", "addr", "add", "198.51.100.2/24", "dev", "lan0.100")
    sb.in_lan("ip", "link", "set", "lan0.100", "up")
    sb.serve_lan(7100, "vlan")
    r = sb.run("run", "--net", "vlan:up0:100", "--ip", "198.51.100.5/24", "--bind",
               f"{sb.ward.wtest}:/wtest:ro", "--", "/wtest", "fetch", "198.51.100.2", "7100")
    assert r.stdout.startswith("vlan from 198.51.100.5"), r.stdout + r.stderr


def test_phys_interface_comes_back(sb):
    sb.in_host("ip", "link", "add", "phy0", "type", "veth", "peer", "name", "phy0p")
    r = sb.run("run", "--net", "phys:phy0", "--bind", f"{sb.ward.wtest}:/wtest:ro", "--",
               "/wtest", "ifaces")
    assert "eth0" in r.stdout, r.stdout + r.stderr
    links = sb.in_host("ip", "-o", "link").stdout
    assert re.search(r"\d+: phy0[@:]", links), links


# --- IPv6 ---

def test_ipv6_publish_egress_and_spoof(sb):
    dmz(sb, "--subnet6", "fd00:10:20::/64")
    sb.service("web6", "--net", "dmz", "--ip6", "fd00:10:20::10",
               "--publish", f"[{HOST_IP6}]:8080:80", "--allow-out", "[2001:db8:1::2]:tcp/2525",
               *SPOOF_CAPS, cmd=["/wtest", "serve", "80", "hello6"])
    sb.serve_lan(2525, "smtp")
    sb.serve_lan(2526, "other")
    assert sb.lan_fetch(HOST_IP6, 8080).startswith("hello6")
    assert sb.lan_connect("fd00:10:20::10", 80) == "ETIMEDOUT"
    run_in = lambda script: sb.exec_in("web6", "/bin/sh", "-c", script)
    assert run_in(f"{sb.ward.wtest} connect {LAN_IP6} 2525 1000").stdout.strip() == "OK"
    assert run_in(f"{sb.ward.wtest} connect {LAN_IP6} 2526 1000").stdout.strip() == "ETIMEDOUT"
    before = drops(sb, "web6").get("spoof", 0)
    r = run_in("ip -6 addr add fd00:10:20::99/64 dev eth0 nodad && "
               "ip -6 addr del fd00:10:20::10/64 dev eth0; "
               f"{sb.ward.wtest} connect {LAN_IP6} 2525 1000")
    assert r.stdout.strip() == "ETIMEDOUT", r.stdout + r.stderr
    assert drops(sb, "web6").get("spoof", 0) > before
    # its own address back: the allowed flow works again
    r = run_in("ip -6 addr add fd00:10:20::10/64 dev eth0 nodad && "
               "ip -6 addr del fd00:10:20::99/64 dev eth0; "
               f"{sb.ward.wtest} connect {LAN_IP6} 2525 1000")
    assert r.stdout.strip() == "OK", r.stdout + r.stderr


# --- scale and cleanup ---

def test_fifty_containers_in_parallel(sb):
    dmz(sb)
    # each prints its address, then waits on its stdin: all 50 run at once
    procs = [sb.start("run", "-i", "--name", f"p{i}", "--net", "dmz", "--", "/bin/sh", "-c",
                      "ip -4 -o addr show eth0; read x; exit 0", stdin=subprocess.PIPE)
             for i in range(50)]
    addrs = []
    for p in procs:
        line = p.stdout.readline()
        m = re.search(r"inet (10\.10\.20\.\d+)/24", line)
        assert m, (line, p.poll(), p.poll() is not None and p.stderr.read())
        addrs.append(m.group(1))
    assert len(set(addrs)) == 50, f"duplicate addresses: {sorted(addrs)}"
    # while they run: one veth and one set of elements each
    veths = re.findall(r"wv-p\d+", sb.in_host("ip", "-o", "link").stdout)
    assert len(set(veths)) == 50
    assert sb.element_count() >= 50
    for p in procs:
        p.stdin.close()
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read()
    # after they stop: nothing of them remains (counted)
    assert sb.element_count() == 0
    # (their veths go with their namespaces, freed by the kernel meanwhile)
    assert not sb.leftovers()
    assert not sb.leftovers()


# --- a ward that dies, and the host firewall around ward's ---

def kill_ward(sb, name):
    """SIGKILL the ward process itself (not the container): no teardown runs;
    the container dies with it (its parent-death signal)."""
    p = sb.names.pop(name)
    p.kill()
    p.wait(timeout=10)
    for _ in range(100):
        if not sb.in_host("ip", "-o", "link", "show", "dev", sb_host_ifname(name),
                          check=False).stdout:
            break
        time.sleep(0.02)


def sb_host_ifname(name):
    return f"wv-{name}"


def test_after_a_crash_gc_removes_everything(sb):
    dmz(sb)
    sb.service("web", "--net", "dmz", "--ip", "10.10.20.10", "--publish", "8080:80")
    kill_ward(sb, "web")
    assert sb.element_count() > 0          # left behind: no teardown ran
    assert (sb.ward.root / "web").exists()
    r = sb.run("gc")
    assert r.returncode == 0, r.stderr
    assert "removed container web" in r.stdout
    assert sb.element_count() == 0
    assert not (sb.ward.root / "web").exists()
    assert not sb.leftovers()
    assert sb.run("gc").stdout.strip() == "nothing to clean up"


def test_after_a_crash_the_next_start_cleans_up(sb):
    dmz(sb)
    sb.service("web", "--net", "dmz", "--ip", "10.10.20.10", "--publish", "8080:80",
               cmd=["/wtest", "serve", "80", "first"])
    kill_ward(sb, "web")
    # same name, same address, same port: the stale objects go first
    sb.service("web", "--net", "dmz", "--ip", "10.10.20.10", "--publish", "8080:80",
               cmd=["/wtest", "serve", "80", "second"])
    assert sb.lan_fetch(HOST_IP, 8080).startswith("second")
    sb.stop("web")
    assert sb.element_count() == 0
    # another name on the address a dead container's firewall objects hold
    sb.service("old", "--net", "dmz", "--ip", "10.10.20.11")
    kill_ward(sb, "old")
    import shutil
    shutil.rmtree(sb.ward.root / "old")     # its state is gone too (say, /run was lost)
    sb.service("new", "--net", "dmz", "--ip", "10.10.20.11")
    sb.stop("new")
    assert sb.element_count() == 0
    # with its state lost, nothing names old's (empty) cgroup any more
    for d in map(Path, ward_cgroups()):
        if d.name == "ward-old":
            for _ in range(100):
                try:
                    d.rmdir()
                    break
                except OSError:
                    time.sleep(0.02)


def test_a_foreign_ward_table_is_refused_and_left_alone(sb):
    sb.in_host("nft", "add table inet ward; add chain inet ward mine { type filter hook "
               "input priority 0; policy accept; }")
    before = sb.in_host("nft", "list", "ruleset").stdout
    links = sb.in_host("ip", "-o", "link").stdout
    r = sb.run("net", "create", "dmz", "--subnet", DMZ)
    assert r.returncode == 125
    assert "table inet ward exists but is not" in one_line(r), r.stderr
    assert sb.in_host("nft", "list", "ruleset").stdout == before
    assert sb.in_host("ip", "-o", "link").stdout == links


def test_other_tables_are_never_touched(sb):
    # a host firewall and a Docker-like NAT table, in place before ward
    sb.in_host("nft", "add table inet hostfw; add chain inet hostfw input { type filter hook "
               "input priority 0; policy accept; }; add rule inet hostfw input tcp dport 22 "
               "counter accept; add table ip nat; add chain ip nat POSTROUTING { type nat "
               "hook postrouting priority 100; }; add rule ip nat POSTROUTING ip saddr "
               "172.17.0.0/16 masquerade")
    def others():
        out = sb.in_host("nft", "list", "ruleset").stdout
        return re.sub(r"table (inet|bridge) ward \{.*?\n\}\n?", "", out, flags=re.S)
    before = others()
    dmz(sb, "--nat")
    sb.service("web", "--net", "dmz", "--publish", "8080:80", "--allow-out", "tcp/25",
               cmd=["/wtest", "serve", "80", "hi"])
    assert sb.lan_fetch(HOST_IP, 8080).startswith("hi")
    sb.stop("web")
    assert sb.run("net", "rm", "dmz").returncode == 0
    assert others() == before
    assert "table inet ward" not in sb.in_host("nft", "list", "ruleset").stdout


def test_net_log_wires_drops_to_a_rate_limited_log(sb):
    dmz(sb)
    sb.service("quiet", "--net", "dmz")
    sb.service("noisy", "--net", "dmz", "--net-log")
    out = sb.in_host("nft", "list", "ruleset").stdout
    for reason in ("egress", "inbound", "spoof"):
        assert re.search(r'limit rate 10/second (burst \d+ packets )?log prefix '
                         rf'"ward noisy {reason}: "', out), (reason, out)
        assert f"ward quiet {reason}" not in out
    ip = json.loads(sb.run("info", "noisy", "--json").stdout)["net"][0]["ipv4"]
    assert re.search(rf"{re.escape(ip)} comment \"noisy\" : jump log_noisy", out)
    assert '"wv-noisy" comment "noisy" : jump log_noisy' in out
    # a drop is still counted, and logged where the kernel logs for this
    # namespace (nf_log_all_netns, or the machine's own namespace)
    kmsg = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    os.lseek(kmsg, 0, os.SEEK_END)
    before = drops(sb, "noisy").get("egress", 0)
    r = sb.exec_in("noisy", sb.ward.wtest, "connect", LAN_IP, "2525", "500")
    assert r.stdout.strip() == "ETIMEDOUT"
    assert drops(sb, "noisy").get("egress", 0) > before
    if Path("/proc/sys/net/netfilter/nf_log_all_netns").read_text().strip() == "1":
        lines = []
        while True:
            try:
                lines.append(os.read(kmsg, 8192).decode(errors="replace"))
            except BlockingIOError:
                break
        assert any("ward noisy egress: " in l for l in lines), lines
    os.close(kmsg)


def test_default_network_ward0_avoids_routes_and_other_runtimes(sb):
    # a route of this host inside 10.121.0.0/16: ward0 must take the next /16
    sb.in_host("ip", "route", "add", "10.121.7.0/24", "via", LAN_IP)
    env = {"WARD_DEFAULT_NETWORK": None}
    r = sb.run("run", "--bind", f"{sb.ward.wtest}:/wtest:ro", "--", "/bin/sh", "-c",
               "ip -4 -o addr show eth0", env=env)
    assert r.returncode == 0, r.stderr
    assert re.search(r"inet 10\.122\.\d+\.\d+/16", r.stdout), r.stdout
    info = json.loads(sb.run("net", "info", "ward0", "--json").stdout)
    assert info["subnet"] == "10.122.0.0/16" and info["nat"] is True
    # not Docker's 172.17/16, Podman's 10.88/16 or LXC's 10.0.3/24
    for taken in ("172.17.", "10.88.", "10.0.3."):
        assert not info["subnet"].startswith(taken)
    # a second container joins the same network, with its own address
    r2 = sb.run("run", "--", "/bin/sh", "-c", "ip -4 -o addr show eth0", env=env)
    assert re.search(r"inet 10\.122\.", r2.stdout), r2.stdout
    assert sb.run("net", "rm", "ward0").returncode == 0


def test_leases_follow_the_name_and_survive_a_full_subnet(sb):
    # a /29 has 5 addresses besides the gateway
    assert sb.run("net", "create", "tiny", "--subnet", "10.30.0.0/29").returncode == 0
    show = ["--", "/bin/sh", "-c", "ip -4 -o addr show eth0"]
    addr = lambda: re.search(r"inet (\S+)/29", sb.run("run", "--name", "alpha", "--net", "tiny",
                                                        *show).stdout).group(1)
    assert addr() == addr()         # a name gets its address back while it is free
    for i in range(5):
        sb.service(f"t{i}", "--net", "tiny")
    r = sb.run("run", "--net", "tiny", "--", "/bin/true")
    assert r.returncode == 125 and "network tiny has no free IPv4 address" in r.stderr
    sb.stop("t2")
    sb.service("t5", "--net", "tiny")   # the one freed is found
    sb.stop_all()
    assert sb.run("net", "rm", "tiny").returncode == 0


def test_interface_settings_inside(sb):
    """No redirects; no IPv6 link-local (so no multicast chatter) on an
    IPv4-only network; IPv6 without RA or DAD delays on an IPv6 one."""
    dmz(sb)
    r = sb.run("run", "--net", "dmz", "--", "/bin/sh", "-c",
               "cat /proc/sys/net/ipv4/conf/eth0/accept_redirects; ip -6 -o addr show dev eth0")
    assert r.stdout.split("\n")[0] == "0" and "inet6" not in r.stdout, r.stdout + r.stderr
    assert sb.run("net", "create", "six", "--subnet", "10.40.0.0/24", "--subnet6",
                  "fd00:40::/64").returncode == 0
    r = sb.run("run", "--net", "six", "--", "/bin/sh", "-c",
               "cat /proc/sys/net/ipv6/conf/eth0/accept_ra /proc/sys/net/ipv6/conf/eth0/accept_dad;"
               " ip -6 -o addr show dev eth0")
    lines = r.stdout.splitlines()
    assert lines[:2] == ["0", "0"], r.stdout + r.stderr
    assert "fe80::" in r.stdout and "tentative" not in r.stdout and "fd00:40::" in r.stdout
    # the host's ends of the veths have no IPv6 at all (no address, and no
    # multicast route per port: those share one list for all ports), on an
    # IPv4-only network and on an IPv6 one alike
    sb.service("idle", "--net", "dmz")
    sb.service("idle6", "--net", "six", "--ip6", "fd00:40::10",
               cmd=["/wtest", "serve", "7000", "six"])
    for port in ("wv-idle", "wv-idle6"):
        assert "inet6" not in sb.in_host("ip", "-6", "-o", "addr", "show", "dev", port).stdout
        assert sb.in_host("cat", f"/proc/sys/net/ipv6/conf/{port}/disable_ipv6").stdout == "1\n"
        routes = sb.in_host("ip", "-6", "route", "show", "table", "all", "dev", port).stdout
        assert routes.strip() == "", routes
    # ... while IPv6 still crosses the bridge from port to port
    r = sb.run("run", "--net", "six", "--bind", f"{sb.ward.wtest}:/wtest:ro", "--", "/wtest",
               "connect", "fd00:40::10", "7000", "2000")
    assert r.stdout.strip() == "OK", r.stdout + r.stderr


def test_bridges_do_no_multicast_snooping(sb):
    """No querier lives on a ward network, so its bridge floods multicast
    anyway; snooping would only cost per-port work at every start and stop
    and let a container posing as querier steer its neighbours' traffic."""
    dmz(sb)
    detail = sb.in_host("ip", "-d", "link", "show", "wb-dmz").stdout
    assert "mcast_snooping 0" in detail, detail


def test_a_stopped_containers_lingering_veth_passes_nothing(sb):
    """ward leaves a stopped container's veth pair to the kernel, which frees
    it with the namespace; if something still holds that namespace (here:
    this test), its port must pass no frame."""
    dmz(sb)
    sb.service("b", "--net", "dmz", "--ip", "10.10.20.21", cmd=["/wtest", "serve", "7000", "b"])
    sb.service("a", "--net", "dmz", "--ip", "10.10.20.20")
    probe = [sb.ward.wtest, "connect", "10.10.20.21", "7000", "1000"]
    held = os.open(f"/proc/{sb.pid('a')}/ns/net", os.O_RDONLY)
    try:
        enter = ["nsenter", f"--net=/proc/self/fd/{held}"]
        assert sh(*enter, *probe, pass_fds=(held,)).stdout.strip() == "OK"
        sb.stop("a")
        # the namespace lives on (we hold it), and so does its veth pair
        assert "wv-a" in sb.in_host("ip", "-o", "link", "show", "wv-a", check=False).stdout
        r = sh(*enter, *probe, pass_fds=(held,), check=False)
        assert r.stdout.strip() == "ETIMEDOUT", r.stdout + r.stderr
        # a new start of "a" replaces the lingering veth of its name
        r = sb.run("run", "--name", "a", "--net", "dmz", "--ip", "10.10.20.20",
                   "--bind", f"{sb.ward.wtest}:/wtest:ro", "--", "/wtest",
                   "connect", "10.10.20.21", "7000", "1000")
        assert r.returncode == 0 and r.stdout.strip() == "OK", r.stdout + r.stderr
    finally:
        os.close(held)
