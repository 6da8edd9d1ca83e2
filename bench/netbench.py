#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for the networking benchmarks (stdlib only): bench/net-start.sh,
bench/fw-scale.py and bench/throughput.py.  Paired A/B runs of commands are
paired.py's job; this file has what is specific to networking.

As a module (fw-scale.py, throughput.py import it):
  Sandbox        network namespaces this benchmark makes itself, named
                 wb-ROLE-TAG, deleted again by close(); never the machine's
  hostguard_*    tools/hostguard.py around a run (the machine's own network
                 namespace must not change)
  busybox_rootfs the rootfs of bench/start.sh, plus what --net needs
  cgroup_sweep   remove ward-PREFIX* cgroups left beneath our own cgroup

As a command (net-start.sh uses these):
  netbench.py timeline --runs N --out FILE NAME CMD
      Run CMD (a `ward --debug run ...`; "{n}" becomes a unique number) N
      times and report the median time of every step ward's debug timeline
      prints, and the median time from the previous step.
  netbench.py leftovers NETNS
      What ward left in a sandbox namespace: wv-* links, counter objects,
      per-container set elements.  Exit status 1 if anything.
  netbench.py connrate [--cpu N] --block B --pairs P --out FILE NAME_A ADDR:PORT NAME_B ADDR:PORT
      A TCP client (run it in the LAN namespace): blocks of B sequential
      connections (connect, read the reply, close), A B A B ..., P pairs
      after 2 warm-up pairs.  Per block: connections/s and the median
      latency; the result is the median of the per-pair ratios A/B.
      --cpu pins the client to one CPU.
  netbench.py startsummary --meta JSON --pairs JSON... --timeline JSON... --out MD
      The summary table of net-start.sh.
"""
import argparse
import json
import os
import re
import secrets
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# sets that hold networks' elements, not containers' (tests/integration/netsandbox.py)
NETWORK_SETS = ("bridges", "open_self", "isolated_self", "nets4", "nets6", "nat_nets4",
                "nat_nets6", "nat_uplink4", "nat_uplink6")


def die(msg):
    print(f"netbench: {msg}", file=sys.stderr)
    sys.exit(1)


def sh(*args, check=True, timeout=60, **kw):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          check=check, timeout=timeout, **kw)


def quartiles(xs):
    if len(xs) < 4:
        return min(xs), max(xs)
    q = statistics.quantiles(xs, n=4)
    return q[0], q[2]


# ------------------------------------------------------------ hostguard --

def hostguard_snapshot(path):
    sh(sys.executable, REPO / "tools" / "hostguard.py", "snapshot", path)


def hostguard_compare(before, junit):
    """True when the machine's own network namespace is unchanged."""
    r = sh(sys.executable, REPO / "tools" / "hostguard.py", "compare", before, junit,
           check=False)
    if r.returncode != 0:
        print(r.stderr, file=sys.stderr)
    return r.returncode == 0


# -------------------------------------------------------------- sandbox --

class Sandbox:
    """Network namespaces named wb-ROLE-TAG that the benchmark makes itself.
    ward runs in them through `nsenter --net` (not `ip netns exec`, which
    remounts /sys and would hide the cgroup mounts)."""

    def __init__(self, tag=None):
        self.tag = tag or secrets.token_hex(3)
        self.names = []

    def ns(self, role):
        name = f"wb-{role}-{self.tag}"
        sh("ip", "netns", "add", name)
        self.names.append(name)
        sh("ip", "-n", name, "link", "set", "lo", "up")
        return name

    @staticmethod
    def enter(ns):
        return ["nsenter", f"--net=/run/netns/{ns}"]

    def run(self, ns, *args, **kw):
        return sh(*self.enter(ns), *args, **kw)

    def uplink(self, host, host_if, host_cidr, lan, lan_if, lan_cidr):
        """A veth between HOST and LAN with one address on each end."""
        sh("ip", "-n", host, "link", "add", host_if, "type", "veth", "peer", "name", lan_if,
           "netns", lan)
        sh("ip", "-n", host, "addr", "add", host_cidr, "dev", host_if)
        sh("ip", "-n", lan, "addr", "add", lan_cidr, "dev", lan_if)
        sh("ip", "-n", host, "link", "set", host_if, "up")
        sh("ip", "-n", lan, "link", "set", lan_if, "up")

    def close(self):
        for n in reversed(self.names):
            sh("ip", "netns", "del", n, check=False)
        self.names = []


def leftovers(ns, wait_s=60.0):
    """What ward left in namespace NS (netsandbox.Sandbox.leftovers): the veths
    of stopped containers go with their network namespaces, which the kernel
    frees in the background, so they are waited for (up to WAIT_S)."""
    problems = []
    deadline = time.time() + wait_s
    while True:
        links = sh(*Sandbox.enter(ns), "ip", "-o", "link", "show").stdout
        veths = re.findall(r"^\d+: (wv-[^:@]+)", links, re.M)
        if not veths or time.time() > deadline:
            break
        time.sleep(0.1)
    if veths:
        problems.append(f"{len(veths)} veths ({', '.join(veths[:5])}...)")
    n_ctr, n_el = nft_counts(ns)
    if n_ctr:
        problems.append(f"{n_ctr} counter objects")
    if n_el:
        problems.append(f"{n_el} per-container elements in ward's sets")
    return problems


def nft_counts(ns):
    """(counter objects, per-container set elements) in ward's tables of NS."""
    r = sh(*Sandbox.enter(ns), "nft", "-j", "list", "ruleset", check=False, timeout=120)
    try:
        data = json.loads(r.stdout)["nftables"]
    except (ValueError, KeyError):
        return 0, 0
    n_ctr = n_el = 0
    for item in data:
        c = item.get("counter")
        if c and c.get("table") == "ward" and c.get("name", "").startswith("ward_"):
            n_ctr += 1
        s = item.get("set") or item.get("map")
        if not s or s.get("table") != "ward" or s["name"] in NETWORK_SETS:
            continue
        n_el += len(s.get("elem", []))
    return n_ctr, n_el


def conntrack_count(ns):
    r = sh(*Sandbox.enter(ns), "cat", "/proc/sys/net/netfilter/nf_conntrack_count", check=False)
    return int(r.stdout.strip() or 0)


def veth_count(ns):
    links = sh(*Sandbox.enter(ns), "ip", "-o", "link", "show").stdout
    return len(re.findall(r"^\d+: wv-", links, re.M))


# --------------------------------------------------------------- rootfs --

def busybox_rootfs(d, wtest=None):
    """bench/start.sh's busybox rootfs, with /etc/hosts and /etc/resolv.conf
    (ward binds its own over them for --net NETWORK; in a user namespace it
    cannot create the mount points in a rootfs that belongs to host root)
    and, if given, the wtest payload at /wtest."""
    import shutil
    d = Path(d)
    for sub in ("bin", "etc", "proc", "sys", "dev", "tmp", "run", "var/tmp", "root"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    bb = shutil.which("busybox")
    if not bb or sh("ldd", bb, check=False).returncode == 0:
        die("need a static busybox (apt-get install busybox-static)")
    shutil.copy(bb, d / "bin" / "busybox")
    for a in sh(d / "bin" / "busybox", "--list").stdout.split():
        if a != "busybox":
            os.symlink("busybox", d / "bin" / a)
    (d / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (d / "etc" / "group").write_text("root:x:0:\n")
    (d / "etc" / "hosts").write_text("")
    (d / "etc" / "resolv.conf").write_text("")
    os.chmod(d / "tmp", 0o1777)
    os.chmod(d / "var" / "tmp", 0o1777)
    if wtest:
        shutil.copy(wtest, d / "wtest")
        os.chmod(d / "wtest", 0o755)
    return d


# -------------------------------------------------------------- cgroups --

def self_cgroup_dirs():
    """Our own cgroup directory in every mounted hierarchy."""
    r = sh(sys.executable, HERE / "paired.py", "cgpaths")
    return [Path(mp + (p if p != "/" else "")) for mp, p, _ in
            (l.split("\t") for l in r.stdout.splitlines())]


def cgroup_sweep(prefix):
    """Remove cgroups ward-PREFIX* beneath our own cgroup (after an
    interrupted run), killing what is still inside.  Returns what it found."""
    found = []
    for base in self_cgroup_dirs():
        if not base.is_dir():
            continue
        for d in base.glob(f"ward-{prefix}*"):
            found.append(str(d))
            for _ in range(20):
                try:
                    for pid in (d / "cgroup.procs").read_text().split():
                        try:
                            os.kill(int(pid), signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                    d.rmdir()
                    break
                except OSError:
                    time.sleep(0.05)
    return found


# ------------------------------------------------------------- timeline --

STEP = re.compile(r"^ward: debug:\s+([0-9.]+) ms\s+(.+?)\s*$")


def cmd_timeline(a):
    argv = shlex.split(a.cmd)
    runs = []
    n = os.getpid() * 1000
    for i in range(a.runs + 1):            # the first one is a warm-up
        n += 1
        r = subprocess.run([x.replace("{n}", str(n)) for x in argv], capture_output=True,
                           text=True, stdin=subprocess.DEVNULL, timeout=60)
        if r.returncode != 0:
            die(f"timeline: exit {r.returncode}: {a.cmd}\n{r.stderr}")
        steps = [(m.group(2), float(m.group(1))) for m in map(STEP.match, r.stderr.splitlines())
                 if m]
        if i:
            runs.append(steps)
    order, at, delta = [], {}, {}
    for steps in runs:
        prev = 0.0
        for name, t in steps:
            if name not in at:
                order.append(name)
                at[name], delta[name] = [], []
            at[name].append(t)
            delta[name].append(t - prev)
            prev = t
    res = {"name": a.name, "cmd": a.cmd, "runs": a.runs,
           "steps": [{"step": s, "median_ms": statistics.median(at[s]),
                      "median_delta_ms": statistics.median(delta[s]),
                      "max_delta_ms": max(delta[s]), "n": len(at[s])} for s in order]}
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
    print(f"  {a.name}: " + ", ".join(f"{s['step']} {s['median_ms']:.2f}"
                                      for s in res["steps"]) + " (ms, medians)")


def timeline_table(tls):
    """Markdown: one row per step, for each timeline its median time and the
    median time since the previous step."""
    order = []
    for t in tls:
        for s in t["steps"]:
            if s["step"] not in order:
                order.append(s["step"])
    L = ["| step | " + " | ".join(f"{t['name']}: at / +Δ ms" for t in tls) + " |",
         "|---|" + "---:|" * len(tls)]
    for step in order:
        cells = []
        for t in tls:
            s = next((x for x in t["steps"] if x["step"] == step), None)
            cells.append(f"{s['median_ms']:.2f} / +{s['median_delta_ms']:.2f}" if s else "–")
        L.append(f"| {step} | " + " | ".join(cells) + " |")
    return L


# ------------------------------------------------------------ leftovers --

def cmd_leftovers(a):
    p = leftovers(a.netns, a.wait)
    for x in p:
        print(f"  {a.netns}: left behind: {x}")
    sys.exit(1 if p else 0)


# ------------------------------------------------------------- connrate --

def one_conn(addr, timeout):
    t0 = time.perf_counter_ns()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        s.connect(addr)
        data = s.recv(512)
    finally:
        s.close()
    t1 = time.perf_counter_ns()
    if not data:
        raise OSError("empty reply")
    return (t1 - t0) / 1e6


def conn_block(addr, n, timeout, deadline):
    lat = []
    t0 = time.perf_counter_ns()
    for _ in range(n):
        if time.monotonic() > deadline:
            die("connrate: time limit reached")
        lat.append(one_conn(addr, timeout))
    t1 = time.perf_counter_ns()
    return n / ((t1 - t0) / 1e9), lat


def cmd_connrate(a):
    def parse(x):
        h, p = x.rsplit(":", 1)
        return (h, int(p))
    ta, tb = parse(a.addr_a), parse(a.addr_b)
    if a.cpu is not None:
        os.sched_setaffinity(0, {a.cpu})
    deadline = time.monotonic() + a.time_limit
    for _ in range(2):                       # warm-up pairs, not counted
        conn_block(ta, a.block, a.timeout, deadline)
        conn_block(tb, a.block, a.timeout, deadline)
    blocks = []
    for _ in range(a.pairs):
        ra, la = conn_block(ta, a.block, a.timeout, deadline)
        rb, lb = conn_block(tb, a.block, a.timeout, deadline)
        blocks.append({"a_rate": ra, "b_rate": rb, "a_lat_median_ms": statistics.median(la),
                       "b_lat_median_ms": statistics.median(lb), "a_lat_ms": la, "b_lat_ms": lb})
    rate_r = [b["a_rate"] / b["b_rate"] for b in blocks]
    lat_r = [b["a_lat_median_ms"] / b["b_lat_median_ms"] for b in blocks]
    all_a = [x for b in blocks for x in b["a_lat_ms"]]
    all_b = [x for b in blocks for x in b["b_lat_ms"]]
    res = {
        "a": a.name_a, "b": a.name_b, "addr_a": a.addr_a, "addr_b": a.addr_b,
        "block": a.block, "pairs": a.pairs,
        "rate_ratio_median": statistics.median(rate_r), "rate_ratio_iqr": quartiles(rate_r),
        "lat_ratio_median": statistics.median(lat_r), "lat_ratio_iqr": quartiles(lat_r),
        "a_rate_median": statistics.median(b["a_rate"] for b in blocks),
        "b_rate_median": statistics.median(b["b_rate"] for b in blocks),
        "a_lat_median_ms": statistics.median(all_a), "b_lat_median_ms": statistics.median(all_b),
        "a_lat_p90_ms": statistics.quantiles(all_a, n=10)[-1],
        "b_lat_p90_ms": statistics.quantiles(all_b, n=10)[-1],
        "blocks": blocks,
    }
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
    print(f"  connections {a.name_a}/{a.name_b}: rate ratio {res['rate_ratio_median']:.3f} "
          f"({res['a_rate_median']:.0f} / {res['b_rate_median']:.0f} conn/s), latency ratio "
          f"{res['lat_ratio_median']:.3f} ({res['a_lat_median_ms']:.3f} / "
          f"{res['b_lat_median_ms']:.3f} ms); {a.pairs} pairs of {a.block}")


# --------------------------------------------------- net-start summary --

def cmd_startsummary(a):
    meta = json.load(open(a.meta))
    pairs = [json.load(open(p)) for p in a.pairs]
    tls = [json.load(open(p)) for p in a.timeline]
    L = [f"## ward networked start-up benchmark, {meta['date']}", "",
         f"Machine: {meta['machine']}. ward {meta['ward']}; {meta['versions']}.",
         "Payload `/bin/true` on a busybox rootfs; every command runs in the sandbox's host "
         "network namespace; state directories on a private tmpfs; memory 64m, pids 100 "
         "for all.", "",
         "### paired ratios (A B A B ..., median of per-pair A/B wall time)", "",
         "| pair | pairs | median ratio | IQR | min / max | A / B median ms | CPU ratio |",
         "|---|---:|---:|---:|---:|---:|---:|"]
    for p in pairs:
        q1, q3 = p["ratio_q1"], p["ratio_q3"]
        L.append(f"| {p['a']}/{p['b']} | {p['pairs']} | **{p['ratio_median']:.2f}** | "
                 f"{q1:.2f}–{q3:.2f} | {p['ratio_min']:.2f} / {p['ratio_max']:.2f} | "
                 f"{p['a_median_ms']:.1f} / {p['b_median_ms']:.1f} | "
                 f"{(p['cpu_ratio_median'] or 0):.2f} |")
    L.append("")
    if tls:
        L.append(f"### `ward --debug run` timeline (median of {tls[0]['runs']} runs each)")
        L.append("")
        L += timeline_table(tls)
        L.append("")
    wc = [p for p in pairs if p["a"] == "ward-net" and p["b"] == "crun"]
    L.append("### target")
    L.append("")
    if wc:
        pooled = statistics.median(s["a_ms"] / s["b_ms"] for p in wc for s in p["samples"])
        n = sum(p["pairs"] for p in wc)
        passes = ", ".join(f"{p['ratio_median']:.2f}" for p in wc)
        L.append(f"- ward --net NET / crun (no network): paired median {pooled:.2f} over all "
                 f"{n} pairs (passes: {passes}; target ≤ 1.20): "
                 f"**{'met' if pooled <= 1.2 else 'NOT met'}**")
    for p in pairs:
        if p["a"] == "ward-net-bridge-up" and p["b"] == "crun":
            L.append(f"- the same with one resident container on the network (its bridge "
                     f"stays up): {p['ratio_median']:.2f} ({p['pairs']} pairs; target ≤ 1.20): "
                     f"**{'met' if p['ratio_median'] <= 1.2 else 'NOT met'}**")
    wn = [p for p in pairs if p["a"] == "ward-net" and p["b"] == "ward-none"]
    for p in wn:
        L.append(f"- the network's cost inside ward: ward --net NET / ward --net none "
                 f"{p['ratio_median']:.2f} ({p['a_median_ms'] - p['b_median_ms']:+.1f} ms "
                 f"between the medians)")
    L.append("")
    text = "\n".join(L)
    print(text)
    with open(a.out, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="verb", required=True)
    p = sub.add_parser("timeline")
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--out", required=True)
    p.add_argument("name"); p.add_argument("cmd")
    p = sub.add_parser("leftovers")
    p.add_argument("--wait", type=float, default=60.0)
    p.add_argument("netns")
    p = sub.add_parser("connrate")
    p.add_argument("--block", type=int, default=100)
    p.add_argument("--pairs", type=int, default=20)
    p.add_argument("--timeout", type=float, default=2.0, help="per connection, s")
    p.add_argument("--time-limit", type=float, default=300.0, help="whole run, s")
    p.add_argument("--cpu", type=int, help="pin the client to this CPU")
    p.add_argument("--out", required=True)
    p.add_argument("name_a"); p.add_argument("addr_a")
    p.add_argument("name_b"); p.add_argument("addr_b")
    p = sub.add_parser("startsummary")
    p.add_argument("--meta", required=True)
    p.add_argument("--pairs", nargs="+", default=[])
    p.add_argument("--timeline", nargs="*", default=[])
    p.add_argument("--out", required=True)
    a = ap.parse_args()
    {"timeline": cmd_timeline, "leftovers": cmd_leftovers, "connrate": cmd_connrate,
     "startsummary": cmd_startsummary}[a.verb](a)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
