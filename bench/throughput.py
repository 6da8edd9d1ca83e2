#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/throughput.py: TCP throughput into a ward container through DNAT,
against the same veth+bridge path with no firewall at all.

  ward      iperf3 -s in `ward run --net bn --publish 5201:5201 -- iperf3 -s`
            (the host template: the host's /usr, read-only); the client in the
            LAN namespace connects to the host address 192.0.2.1:5201, which
            ward's rules DNAT to the container (conntrack, nat, filter,
            br_netfilter, the bridge anti-spoofing chain).
  baseline  the same shape made by hand with `ip`: a "container" namespace
            with a veth on a bridge in a "host" namespace, IP forwarding on
            in that host namespace only, the LAN routing the container subnet
            to it; the client connects to the container address directly.  No
            nftables rules anywhere (no conntrack either).
Both hosts hang off one LAN namespace (two uplinks), so one client process
alternates: ward, baseline, ward, baseline, ... (RUNS pairs of iperf3 -t
TIME -O 1, after one warm-up pair).  The result is the median of the
per-pair ratios ward/baseline, and the median Gbit/s of each.  With
--reverse the same again with iperf3 -R (the container sends).
Target: ward >= 0.9x baseline.

  sudo bench/throughput.py               # ward from ../build/src/cli/ward
  sudo bench/throughput.py --runs 10 --time 5 --reverse
  sudo WARD=/path/to/ward bench/throughput.py

Needs root, python3 (stdlib), iperf3, iproute2, nftables, util-linux.
Builds nothing: run `make` first.  Results: bench/out/throughput-*.json and
throughput-summary.md.

Network safety: every namespace is one this script makes (wb-l-TAG, wb-h-TAG,
wb-b-TAG, wb-c-TAG), entered with nsenter --net, deleted at the end, also on
failure or Ctrl-C; the only sysctl written is ip_forward inside wb-b-TAG.
tools/hostguard.py checks before and after that the machine's own network
namespace did not change.  ward runs with --cgroup-parent self and its state
in a temporary directory.
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import netbench  # noqa: E402
from netbench import Sandbox, sh  # noqa: E402

WARD_HOST, WARD_LAN = "192.0.2.1", "192.0.2.2"
BASE_HOST, BASE_LAN = "198.51.100.1", "198.51.100.2"
BASE_SUBNET, BASE_GW, BASE_CTR = "10.20.0.0/24", "10.20.0.1", "10.20.0.2"


def log(msg):
    print(msg, flush=True)


def listening(pid, port, timeout=10):
    want = f":{port:04X}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        for f in ("tcp", "tcp6"):
            try:
                lines = Path(f"/proc/{pid}/net/{f}").read_text().splitlines()
            except OSError:
                lines = []
            if any(l.split()[1].endswith(want) and l.split()[3] == "0A" for l in lines[1:]):
                return True
        time.sleep(0.02)
    return False


def iperf(lan, addr, secs, reverse):
    argv = [*Sandbox.enter(lan), "iperf3", "-c", addr, "-t", str(secs), "-O", "1", "-J"]
    if reverse:
        argv.append("-R")
    last = None
    for _ in range(3):                      # the server may still be busy
        r = subprocess.run(argv, capture_output=True, text=True, timeout=secs + 30)
        try:
            d = json.loads(r.stdout)
        except ValueError:
            d = {"error": r.stderr.strip() or "no output"}
        if r.returncode == 0 and "error" not in d:
            end = d["end"]
            return {"gbps": end["sum_received"]["bits_per_second"] / 1e9,
                    "retransmits": end.get("sum_sent", {}).get("retransmits"),
                    "cpu_local": end.get("cpu_utilization_percent", {}).get("host_total"),
                    "cpu_remote": end.get("cpu_utilization_percent", {}).get("remote_total")}
        last = d.get("error")
        time.sleep(1)
    raise RuntimeError(f"iperf3 -c {addr} failed: {last}")


def link_info(ns, ifname):
    """The settings of a link that matter for throughput, as one string.
    NS is a sandbox namespace name or a /proc/PID/ns/net path."""
    path = ns if ns.startswith("/") else f"/run/netns/{ns}"
    r = sh("nsenter", f"--net={path}", "ip", "-d", "-j", "link", "show", "dev", ifname)
    d = json.loads(r.stdout)[0]
    return ", ".join(f"{k} {d.get(k)}" for k in (
        "mtu", "qdisc", "txqlen", "gso_max_size", "gso_max_segs", "gro_max_size",
        "num_tx_queues", "num_rx_queues"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=8, help="ward/baseline pairs")
    ap.add_argument("--time", type=int, default=4, help="seconds per iperf3 run (+1 omitted)")
    ap.add_argument("--reverse", action="store_true", help="also iperf3 -R")
    ap.add_argument("--out", default=str(HERE / "out"))
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("throughput: run as root")
    for t in ("ip", "nft", "nsenter", "iperf3"):
        if not shutil.which(t):
            sys.exit(f"throughput: missing {t}")
    ward_src = Path(os.environ.get("WARD", HERE.parent / "build" / "src" / "cli" / "ward"))
    if not ward_src.exists():
        sys.exit(f"throughput: {ward_src} is missing: run make (or set WARD)")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)

    def on_signal(sig, _frame):
        raise KeyboardInterrupt(f"signal {sig}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    tmp = Path(tempfile.mkdtemp(prefix="ward-bench-tp."))
    os.chmod(tmp, 0o755)
    sb = Sandbox()
    name = f"tp{sb.tag}"
    root, lib = tmp / "root", tmp / "lib"
    hg = tmp / "hostguard.json"
    netbench.hostguard_snapshot(hg)
    wproc = bproc = None
    rc = 0
    wh = None
    try:
        ward = tmp / "ward"
        shutil.copy(ward_src, ward)

        def ward_argv(*args):
            return [*Sandbox.enter(wh), str(ward), "--root", str(root), "--lib", str(lib),
                    "--cgroup-parent", "self", *map(str, args)]

        lan, wh, bh, bc = sb.ns("l"), sb.ns("h"), sb.ns("b"), sb.ns("c")
        sb.uplink(wh, "up0", f"{WARD_HOST}/24", lan, "lan0", f"{WARD_LAN}/24")
        sb.uplink(bh, "up0", f"{BASE_HOST}/24", lan, "lan1", f"{BASE_LAN}/24")
        # the baseline: bridge br0 in bh, the "container" bc on a veth
        sh("ip", "-n", lan, "route", "add", BASE_SUBNET, "via", BASE_HOST)
        sh("ip", "-n", bh, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", bh, "addr", "add", f"{BASE_GW}/24", "dev", "br0")
        sh("ip", "-n", bh, "link", "set", "br0", "up")
        sh("ip", "-n", bh, "link", "add", "vb0", "type", "veth", "peer", "name", "eth0",
           "netns", bc)
        sh("ip", "-n", bh, "link", "set", "vb0", "master", "br0", "up")
        sh("ip", "-n", bc, "addr", "add", f"{BASE_CTR}/24", "dev", "eth0")
        sh("ip", "-n", bc, "link", "set", "eth0", "up")
        sh("ip", "-n", bc, "route", "add", "default", "via", BASE_GW)
        # /proc/sys/net is the namespace of the process that opens it
        sh(*Sandbox.enter(bh), "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward")
        fwd = sh(*Sandbox.enter(bh), "cat", "/proc/sys/net/ipv4/ip_forward").stdout.strip()
        if fwd != "1":
            raise RuntimeError("could not turn forwarding on in the baseline host namespace")
        if sh(*Sandbox.enter(bh), "nft", "list", "ruleset").stdout.strip():
            raise RuntimeError("the baseline host namespace has nftables rules")

        r = subprocess.run(ward_argv("net", "create", "bn", "--subnet", "10.10.16.0/21"),
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"net create: {r.stderr}")
        wlog = open(tmp / "ward-run.err", "w")
        wproc = subprocess.Popen(ward_argv("run", "--name", name, "--net", "bn", "--publish",
                                           "5201:5201", "--", "iperf3", "-s"),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=wlog)
        bproc = subprocess.Popen([*Sandbox.enter(bc), "iperf3", "-s"], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        wpid = None
        while time.time() < deadline and wpid is None:
            if wproc.poll() is not None:
                raise RuntimeError(f"ward run exited {wproc.returncode}: "
                                   f"{(tmp / 'ward-run.err').read_text()}")
            try:
                st = (root / name / "state.json").read_text()
                if '"running"' in st:
                    wpid = int(re.search(r'"pid": (\d+)', st).group(1))
            except OSError:
                pass
            time.sleep(0.02)
        if not wpid or not listening(wpid, 5201):
            raise RuntimeError("iperf3 -s in the ward container does not listen")
        if not listening(bproc.pid, 5201):
            raise RuntimeError("the baseline iperf3 -s does not listen")
        links = {"ward": {"host side": link_info(wh, f"wv-{name}"),
                          "container side": link_info(f"/proc/{wpid}/ns/net", "eth0")},
                 "baseline": {"host side": link_info(bh, "vb0"),
                              "container side": link_info(bc, "eth0")}}
        log(f"sandbox: LAN {lan}; ward host {wh} ({WARD_HOST}:5201 -> container); baseline "
            f"host {bh}, container {bc} ({BASE_CTR}:5201); temp {tmp}")
        log(f"links: ward wv-{name} {links['ward']['host side']}; "
            f"baseline vb0 {links['baseline']['host side']}")

        results = {}
        for reverse in ([False, True] if a.reverse else [False]):
            key = "reverse" if reverse else "forward"
            log(f"\n== {key}: {a.runs} pairs of iperf3 -t {a.time} -O 1"
                f"{' -R' if reverse else ''} (one warm-up pair)")
            iperf(lan, WARD_HOST, 2, reverse)
            iperf(lan, BASE_CTR, 2, reverse)
            pairs = []
            for i in range(a.runs):
                w = iperf(lan, WARD_HOST, a.time, reverse)
                b = iperf(lan, BASE_CTR, a.time, reverse)
                pairs.append({"ward": w, "baseline": b, "ratio": w["gbps"] / b["gbps"]})
                log(f"  pair {i + 1}: ward {w['gbps']:.2f} Gbit/s (retr {w['retransmits']}), "
                    f"baseline {b['gbps']:.2f} Gbit/s (retr {b['retransmits']}), "
                    f"ratio {pairs[-1]['ratio']:.3f}")
                if wproc.poll() is not None:
                    raise RuntimeError("the ward container ended during the runs")
            ratios = [p["ratio"] for p in pairs]
            results[key] = {
                "pairs": pairs, "ratio_median": statistics.median(ratios),
                "ratio_iqr": netbench.quartiles(ratios),
                "ward_gbps_median": statistics.median(p["ward"]["gbps"] for p in pairs),
                "baseline_gbps_median": statistics.median(p["baseline"]["gbps"] for p in pairs),
                "ward_retr_median": statistics.median(p["ward"]["retransmits"] or 0
                                                      for p in pairs),
                "baseline_retr_median": statistics.median(p["baseline"]["retransmits"] or 0
                                                          for p in pairs),
            }

        # stop: kill the container's process, ward tears down and exits
        os.kill(wpid, signal.SIGKILL)
        wproc.wait(timeout=60)
        wret = wproc.returncode
        wproc = None
        bproc.kill()
        bproc.wait(timeout=10)
        bproc = None
        bad = netbench.leftovers(wh, wait_s=60)
        if (root / name).exists():
            bad.append("state dir")
        r = subprocess.run(ward_argv("net", "rm", "bn"), capture_output=True, text=True)
        if r.returncode != 0:
            bad.append(f"net rm: {r.stderr.strip()}")
        if sh(*Sandbox.enter(wh), "nft", "list", "ruleset").stdout.strip():
            bad.append("ruleset not empty after net rm")
        cleanup = ("ward container stopped (ward run exit %s); nothing left in the sandbox" % wret
                   if not bad else "LEFT BEHIND: " + "; ".join(bad))
        log(f"\n  {cleanup}")

        rev = subprocess.run(["git", "-C", str(HERE.parent), "describe", "--always", "--dirty"],
                             capture_output=True, text=True).stdout.strip() or "unknown"
        meta = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{os.cpu_count()} vCPU, kernel {os.uname().release}",
            "ward": f"tree {rev}, sha256 {sh('sha256sum', ward).stdout[:12]}",
            "iperf3": sh("iperf3", "--version").stdout.splitlines()[0],
            "runs": a.runs, "time": a.time, "links": links, "cleanup": cleanup,
        }
        (out / "throughput-results.json").write_text(json.dumps(
            {"meta": meta, "results": results}, indent=1))
        L = [f"## ward throughput benchmark, {meta['date']}", "",
             f"Machine: {meta['machine']}. ward {meta['ward']}; {meta['iperf3']}.", "",
             f"iperf3 from the LAN namespace, {a.runs} pairs of `-t {a.time} -O 1` (ward, "
             "baseline, ward, ...); ratio = median of per-pair ward/baseline.", "",
             "| direction | ward Gbit/s (median) | baseline Gbit/s (median) | ratio ward/baseline "
             "| IQR | retransmits ward / baseline (median) |",
             "|---|---:|---:|---:|---:|---:|"]
        for key, res in results.items():
            q1, q3 = res["ratio_iqr"]
            L.append(f"| {key} ({'container sends, -R' if key == 'reverse' else 'LAN sends'}) "
                     f"| {res['ward_gbps_median']:.2f} | {res['baseline_gbps_median']:.2f} | "
                     f"**{res['ratio_median']:.3f}** | {q1:.3f}–{q3:.3f} | "
                     f"{res['ward_retr_median']:.0f} / {res['baseline_retr_median']:.0f} |")
        L += ["", "### target", ""]
        for key, res in results.items():
            L.append(f"- {key}: ward/baseline {res['ratio_median']:.3f} (target ≥ 0.90): "
                     f"**{'met' if res['ratio_median'] >= 0.9 else 'NOT met'}**")
        L += ["", "Links (`ip -d link`):", ""]
        for who in ("ward", "baseline"):
            for side in ("host side", "container side"):
                L.append(f"- {who}, {side}: {links[who][side]}")
        L += ["", f"Cleanup: {cleanup}", ""]
        text = "\n".join(L)
        print(text)
        (out / "throughput-summary.md").write_text(text)
        if bad:
            rc = 1
    except (KeyboardInterrupt, RuntimeError, subprocess.SubprocessError, OSError) as e:
        print(f"throughput: {type(e).__name__}: {e}", file=sys.stderr)
        rc = 130 if isinstance(e, KeyboardInterrupt) else 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if wproc is not None and wproc.poll() is None:
            try:
                st = (root / name / "state.json").read_text()
                os.kill(int(re.search(r'"pid": (\d+)', st).group(1)), signal.SIGKILL)
                wproc.wait(timeout=30)
            except (OSError, AttributeError, ValueError, subprocess.TimeoutExpired):
                wproc.kill()            # last resort: skips ward's teardown
                wproc.wait(timeout=10)
        if bproc is not None and bproc.poll() is None:
            bproc.kill()
            bproc.wait(timeout=10)
        sb.close()
        netbench.cgroup_sweep(name)
        if netbench.hostguard_compare(hg, tmp / "hostguard.xml"):
            log("hostguard: the machine's network namespace is unchanged")
        else:
            print("throughput: HOSTGUARD: the machine's network namespace changed",
                  file=sys.stderr)
            rc = rc or 3
        shutil.rmtree(tmp, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
