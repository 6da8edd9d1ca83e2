#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/fw-scale.py: does a ward network cost more with 1000 containers on it
than with one?

With 1, 100 and 1000 containers attached to one network it measures
  (a) start + stop of one more container: the fork-to-reap time of
      `ward run --net bn --publish 9000:7000 --allow-out tcp/443 -- /bin/true`
      (start, firewall elements in, veth, exec, exit, teardown), and
  (b) TCP connections from a LAN namespace to a container's published port,
      through DNAT on the host address: N sequential connections (connect,
      read the reply, close), connections/s and median latency.  The client
      and both servers are pinned to one CPU (--cpu): otherwise the latency
      has two modes (about 35 and 90 us here) depending on whether the
      scheduler puts the server on the client's CPU, and which one a block
      gets swamps any difference.
Target: at 1000, both within 1.1x of at 1.

Before (a) at each level it waits (up to --ct-settle s) until the
conntrack entries of the previous connections (TIME_WAIT, 120 s) have
expired: every container stop sets a link down, and the kernel's masquerade
notifier then walks the whole conntrack table in a kworker, which on 2
vCPUs slows the stop by several ms (measured: +4.5 ms with 8000 entries).

Paired, because this shared VM is noisy: there are two "hosts", two network
namespaces each with its own ward network, ward tables and ward state:
  REF    always holds one container (the server),
  SCALE  holds the server plus 0, 99, 999 sleepers (`/wtest sleep 3600`,
         each with its own --publish and --allow-out tcp/443), made with
         `ward create` and run by `ward start` under their monitors, as
         services run (until 2026-11-22 they were 999 foreground `ward run`
         processes: 999 copies of the dynamically linked ward, whose shared
         pages this VM's DAMON (kdamond) walks, 14-18% of a CPU at 1000
         against 3% with the monitors).
Both hang off one LAN namespace (REF at 192.0.2.1, SCALE at 198.51.100.1).
At each level, SCALE and REF run in turn (A B A B ...) and the result is the
median of the per-pair ratios SCALE/REF (bench/paired.py for (a), the
client in bench/netbench.py for (b)).  At level 1 the ratio is the control
(the two hosts are alike; it should be about 1.0); "vs level 1" divides each
level's ratio by it.  Things shared by the whole machine (1000 cgroups
beneath ours, 2000 processes, 1000 network namespaces) weigh on both sides
alike, so they cancel in the ratio; the absolute medians of REF across the
levels show them.

  sudo bench/fw-scale.py                       # ward from ../build/src/cli/ward
  sudo bench/fw-scale.py --levels 1,100 --pairs 20   # a quicker run
  sudo WARD=/path/to/ward bench/fw-scale.py

Needs root, python3 (stdlib), iproute2, nftables, util-linux (nsenter) and
busybox-static; about 3 MB of memory per container (3 GB at 1000).  Builds
nothing: run `make` first.  Results: bench/out/fw-scale-*.json and
fw-scale-summary.md.

Network safety: every namespace is one this script makes (wb-l-TAG,
wb-r-TAG, wb-s-TAG), entered with nsenter --net, deleted at the end, also on
failure or Ctrl-C; tools/hostguard.py checks before and after that the
machine's own network namespace did not change.  ward runs with
WARD_CGROUP_PARENT=self and WARD_ROOT/WARD_LIB in a temporary directory.
"""
import argparse
import concurrent.futures
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

SUBNET = "10.10.16.0/21"          # 2046 addresses: room for 1000 and more
REF_HOST, REF_LAN = "192.0.2.1", "192.0.2.2"
SCL_HOST, SCL_LAN = "198.51.100.1", "198.51.100.2"


def log(msg):
    print(msg, flush=True)


def meminfo(key="MemAvailable"):
    for line in open("/proc/meminfo"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


class Side:
    """One ward "host": its namespace, state directories and containers."""

    def __init__(self, label, ns, tmp, ward, rootfs, prefix):
        self.label, self.ns, self.ward, self.rootfs = label, ns, ward, rootfs
        self.dir = Path(tmp) / label
        self.root, self.lib, self.logs = self.dir / "root", self.dir / "lib", self.dir / "logs"
        self.logs.mkdir(parents=True)
        self.prefix = prefix                  # container names: PREFIX-...
        self.env = dict(os.environ, WARD_ROOT=str(self.root), WARD_LIB=str(self.lib),
                        WARD_CGROUP_PARENT="self")
        self.env.pop("WARD_LOG_LEVEL", None)
        self.procs = {}                       # name -> Popen of its `ward run`
        self.managed = []                     # names made with `ward create` + `ward start`

    def argv(self, *args):
        return [*Sandbox.enter(self.ns), str(self.ward), "--root", str(self.root),
                "--lib", str(self.lib), "--cgroup-parent", "self", *map(str, args)]

    def shell_cmd(self, *args):
        """The same as one command line, for paired.py and netbench.py
        timeline: `nsenter --net=... ward --root ... --lib ... ...`."""
        return " ".join(self.argv(*args))

    def ward_run(self, *args, **kw):
        return subprocess.run(self.argv(*args), capture_output=True, text=True,
                              env=self.env, timeout=kw.pop("timeout", 60), **kw)

    def start(self, name, opts, cmd):
        with open(self.logs / f"{name}.err", "w") as err:
            p = subprocess.Popen(self.argv("run", "--name", name, "--net", "bn", "--rootfs",
                                           self.rootfs, *opts, "--", *cmd),
                                 env=self.env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=err)
        self.procs[name] = p
        return p

    def state(self, name):
        try:
            return (self.root / name / "state.json").read_text()
        except OSError:
            return ""

    def pid(self, name):
        m = re.search(r'"pid": (\d+)', self.state(name))
        return int(m.group(1)) if m else None

    def wait_running(self, names, timeout=60):
        deadline = time.time() + timeout
        todo = set(names)
        while todo:
            for n in list(todo):
                p = self.procs[n]
                if p.poll() is not None:
                    err = (self.logs / f"{n}.err").read_text()
                    raise RuntimeError(f"{self.label}: {n} exited {p.returncode}: {err}")
                if '"running"' in self.state(n):
                    todo.discard(n)
            if todo and time.time() > deadline:
                raise RuntimeError(f"{self.label}: {sorted(todo)[:5]} did not start")
            if todo:
                time.sleep(0.01)

    def wait_listening(self, name, port, timeout=10):
        want = f":{port:04X}"
        deadline = time.time() + timeout
        while time.time() < deadline:
            for f in ("tcp", "tcp6"):
                try:
                    lines = Path(f"/proc/{self.pid(name)}/net/{f}").read_text().splitlines()
                except OSError:
                    lines = []
                if any(l.split()[1].endswith(want) and l.split()[3] == "0A" for l in lines[1:]):
                    return
            time.sleep(0.01)
        raise RuntimeError(f"{self.label}: {name}: nothing listens on {port}")

    def create_start(self, name, opts, cmd):
        """A stored container under its monitor, as services run: `ward
        create` then `ward start`, which returns once it runs."""
        for verb in (["create", name, "--net", "bn", "--rootfs", self.rootfs, *opts, "--", *cmd],
                     ["start", name]):
            r = self.ward_run(*verb)
            if r.returncode != 0:
                raise RuntimeError(f"{self.label}: ward {verb[0]} {name}: {r.stderr.strip()}")
        self.managed.append(name)

    def stop_managed(self, names):
        """`ward stop -t 0` and `ward destroy`; returns the names that failed."""
        bad = []
        for n in names:
            r = self.ward_run("stop", n, "-t", "0")
            d = self.ward_run("destroy", n, "-f")
            if r.returncode != 0 or d.returncode != 0:
                bad.append(n)
            else:
                self.managed.remove(n)
        return bad

    def running_count(self):
        return (sum(1 for n in self.procs if '"running"' in self.state(n)
                    and self.procs[n].poll() is None)
                + sum(1 for n in self.managed if '"running"' in self.state(n)))

    def stop(self, names, timeout=60):
        """Stop containers as netsandbox.Sandbox.stop does: SIGKILL the
        container's process; its `ward run` notices, tears down and exits."""
        for n in names:
            pid = self.pid(n)
            if pid and self.procs[n].poll() is None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        bad = []
        deadline = time.time() + timeout
        for n in names:
            p = self.procs.pop(n)
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                bad.append(n)
                self.procs[n] = p
        return bad

    def kill_all(self):
        """Last resort at cleanup: SIGKILL the `ward run` processes still
        there (that skips ward's teardown; the namespaces' deletion and the
        cgroup sweep clean up after it)."""
        for p in self.procs.values():
            if p.poll() is None:
                p.kill()
        for p in self.procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.procs.clear()


def grow(side, upto, batch, opts_for, cmd):
    """Create and start sleepers s1..s(UPTO-1) that are not there yet, BATCH
    at a time (each under its monitor, as services run)."""
    have = set(side.managed)
    want = [f"{side.prefix}-s{i}" for i in range(1, upto)]
    todo = [n for n in want if n not in have]
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(batch) as ex:
        list(ex.map(lambda n: side.create_start(n, opts_for(int(n.rsplit("-s", 1)[1])), cmd),
                    todo))
    return len(todo), time.monotonic() - t0


def run_py(*args, **kw):
    r = subprocess.run([sys.executable, *map(str, args)], text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"failed: {' '.join(map(str, args))}")
    return r


def summary(meta, levels, out):
    L = [f"## ward firewall scale benchmark, {meta['date']}", "",
         f"Machine: {meta['machine']}. ward {meta['ward']}; {meta['versions']}.", "",
         "Two ward hosts (network namespaces) on one LAN: REF holds 1 container, SCALE holds "
         "N (a server plus N-1 sleepers, each with a published port and `--allow-out "
         "tcp/443`). SCALE and REF measured in turn (A B A B ...); ratio = median of the "
         "per-pair SCALE/REF ratios; \"vs level 1\" divides by the ratio at N = 1 (the "
         "control). The start/stop commands run under `nsenter --net=...` "
         f"(about {meta['wrapper_ms']:.1f} ms of the time, on both sides); "
         + (f"each run of (a) follows a pause of {meta.get('gap_ms', 0):.0f} ms (the kernel frees "
            "the previous run's namespace asynchronously)." if meta.get("gap_ms")
            else "the runs of (a) follow each other back to back."), "",
         "### (a) start + stop of one more container "
         "(`ward run --net bn --publish 9000:7000 --allow-out tcp/443 -- /bin/true`)", "",
         "| N on the network | pairs | SCALE / REF median ms | ratio SCALE/REF | IQR | "
         "vs level 1 | CPU ratio | SCALE median vs at N = 1 (unpaired) |",
         "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    base = levels[0]
    for lv in levels:
        p = lv["start"]
        L.append(f"| {lv['n']} | {p['pairs']} | {p['a_median_ms']:.1f} / {p['b_median_ms']:.1f} "
                 f"| **{p['ratio_median']:.3f}** | {p['ratio_q1']:.2f}–{p['ratio_q3']:.2f} | "
                 f"**{p['ratio_median'] / base['start']['ratio_median']:.3f}** | "
                 f"{(p['cpu_ratio_median'] or 0):.2f} | "
                 f"{p['a_median_ms'] / base['start']['a_median_ms']:.2f} |")
    L += ["", "### (b) TCP connections from the LAN to a published port (DNAT through the "
          "host address; connect, read the reply, close; sequential; the client and both "
          f"servers pinned to CPU {meta['cpu']})", "",
          f"| N on the network | blocks × conns | SCALE / REF conn/s | rate ratio | vs level 1 | "
          "SCALE / REF median latency ms | latency ratio | vs level 1 | p90 latency ms SCALE / REF |",
          "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for lv in levels:
        c, b = lv["conn"], base["conn"]
        L.append(f"| {lv['n']} | {c['pairs']} × {c['block']} | {c['a_rate_median']:.0f} / "
                 f"{c['b_rate_median']:.0f} | **{c['rate_ratio_median']:.3f}** | "
                 f"**{c['rate_ratio_median'] / b['rate_ratio_median']:.3f}** | "
                 f"{c['a_lat_median_ms']:.3f} / {c['b_lat_median_ms']:.3f} | "
                 f"**{c['lat_ratio_median']:.3f}** | "
                 f"**{c['lat_ratio_median'] / b['lat_ratio_median']:.3f}** | "
                 f"{c['a_lat_p90_ms']:.3f} / {c['b_lat_p90_ms']:.3f} |")
    L += ["", "### the SCALE host at each level", "",
          "| N | started (s, batches of %d) | veths | counter objects | per-container elements "
          "| MemAvailable GiB | conntrack entries SCALE / REF before (a) |" % meta["batch"],
          "|---:|---:|---:|---:|---:|---:|---:|"]
    for lv in levels:
        L.append(f"| {lv['n']} | {lv['grow_s']:.1f} for {lv['grown']} | {lv['veths']} | "
                 f"{lv['counters']} | {lv['elements']} | {lv['mem_avail'] / 2**30:.2f} | "
                 f"{lv['conntrack'][0]} / {lv['conntrack'][1]} |")
    if levels[0].get("timeline_scale"):
        L += ["", f"### `ward --debug run` timelines of the start/stop command "
              f"(median of {levels[0]['timeline_scale']['runs']} runs; at each level "
              "SCALE's, then REF's as the control)", ""]
        tls = []
        for lv in levels:
            tls += [lv["timeline_scale"], lv["timeline_ref"]]
        L += netbench.timeline_table(tls)
    top = levels[-1]
    s_vs = top["start"]["ratio_median"] / base["start"]["ratio_median"]
    r_vs = base["conn"]["rate_ratio_median"] / top["conn"]["rate_ratio_median"]
    l_vs = top["conn"]["lat_ratio_median"] / base["conn"]["lat_ratio_median"]
    L += ["", "### target (at the largest N, within 1.1× of N = 1; paired ratios, "
          "normalised by the control at N = 1)", ""]
    for what, v in (("start + stop time", s_vs),
                    ("connection rate (slowdown: rate at N = 1 / rate at N)", r_vs),
                    ("connection latency", l_vs)):
        L.append(f"- {what}: {v:.3f}× at N = {top['n']} vs N = {base['n']}: "
                 f"**{'met' if v <= 1.1 else 'NOT met'}**")
    L += ["", f"Cleanup: {meta.get('cleanup', '?')}", ""]
    text = "\n".join(L)
    print(text)
    Path(out).write_text(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--levels", default="1,100,1000")
    ap.add_argument("--batch", type=int, default=8, help="containers started at once")
    ap.add_argument("--pairs", type=int, default=40, help="start/stop pairs per level")
    ap.add_argument("--gap-ms", type=float, default=300,
                    help="pause before each start/stop run of (a), so that the kernel's "
                         "asynchronous teardown of the previous run's namespace does not "
                         "land in the next run (0: back to back)")
    ap.add_argument("--conn-block", type=int, default=250)
    ap.add_argument("--conn-pairs", type=int, default=40)
    ap.add_argument("--timeline-runs", type=int, default=20)
    ap.add_argument("--cpu", type=int, default=1,
                    help="CPU of the connection client and both servers")
    ap.add_argument("--ct-settle", type=float, default=150,
                    help="max s to wait, before a level, for conntrack entries to expire")
    ap.add_argument("--out", default=str(HERE / "out"))
    a = ap.parse_args()
    levels = sorted({int(x) for x in a.levels.split(",")})
    if levels[0] < 1:
        sys.exit("fw-scale: levels start at 1 (the server)")
    if os.geteuid() != 0:
        sys.exit("fw-scale: run as root")
    for t in ("ip", "nft", "nsenter", "busybox"):
        if not shutil.which(t):
            sys.exit(f"fw-scale: missing {t}")
    ward_src = Path(os.environ.get("WARD", HERE.parent / "build" / "src" / "cli" / "ward"))
    wtest_src = HERE.parent / "build" / "tests" / "wtest"
    mon_src = Path(os.environ.get("WARD_MONITOR",
                                  ward_src.parent.parent / "monitor" / "ward-monitor"))
    for p in (ward_src, wtest_src, mon_src):
        if not p.exists():
            sys.exit(f"fw-scale: {p} is missing: run make (or set WARD)")
    need = levels[-1] * 3.5 * 2**20 + 2 * 2**30
    if meminfo() < need:
        sys.exit(f"fw-scale: need about {need / 2**30:.1f} GiB available for {levels[-1]} "
                 f"containers, have {meminfo() / 2**30:.1f}")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)

    def on_signal(sig, _frame):
        raise KeyboardInterrupt(f"signal {sig}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    tmp = Path(tempfile.mkdtemp(prefix="ward-bench-fw."))
    os.chmod(tmp, 0o755)
    sb = Sandbox()
    prefix = f"f{sb.tag}"
    sides = []
    hg = tmp / "hostguard.json"
    netbench.hostguard_snapshot(hg)
    rc = 0
    try:
        ward = tmp / "ward"
        shutil.copy(ward_src, ward)          # others rebuild build/ meanwhile
        monitor = tmp / "ward-monitor"
        shutil.copy(mon_src, monitor)
        wtest = tmp / "wtest"
        shutil.copy(wtest_src, wtest)
        rootfs = netbench.busybox_rootfs(tmp / "rootfs", wtest)

        lan = sb.ns("l")
        ref_ns, scl_ns = sb.ns("r"), sb.ns("s")
        sb.uplink(ref_ns, "up0", f"{REF_HOST}/24", lan, "lan0", f"{REF_LAN}/24")
        sb.uplink(scl_ns, "up0", f"{SCL_HOST}/24", lan, "lan1", f"{SCL_LAN}/24")
        ref = Side("ref", ref_ns, tmp, ward, rootfs, f"{prefix}r")
        scl = Side("scale", scl_ns, tmp, ward, rootfs, f"{prefix}s")
        sides = [ref, scl]
        for s in sides:
            s.env["WARD_MONITOR"] = str(monitor)
        log(f"sandbox: LAN {lan}, REF {ref_ns} ({REF_HOST}), SCALE {scl_ns} ({SCL_HOST}); "
            f"temp {tmp}")

        for s in sides:
            r = s.ward_run("net", "create", "bn", "--subnet", SUBNET)
            if r.returncode != 0:
                raise RuntimeError(f"{s.label}: net create: {r.stderr}")
            s.start(f"{s.prefix}-srv", ["--publish", "8080:7000", "--cpuset-cpus", str(a.cpu)],
                    ["/wtest", "serve", "7000", s.label])
            s.wait_running([f"{s.prefix}-srv"])
            s.wait_listening(f"{s.prefix}-srv", 7000)
        for host, label in ((REF_HOST, "ref"), (SCL_HOST, "scale")):
            r = sh(*Sandbox.enter(lan), wtest, "fetch", host, "8080", check=False)
            if not r.stdout.startswith(f"{label} from {SCL_LAN if label == 'scale' else REF_LAN}"):
                raise RuntimeError(f"LAN -> {host}:8080 answered {r.stdout!r}")
        log(f"sanity: the LAN reaches both servers through DNAT")

        # the wrapper paired.py runs on both sides, alone
        wr = []
        for _ in range(20):
            t0 = time.perf_counter()
            subprocess.run([*Sandbox.enter(scl_ns), "/bin/true"], check=True)
            wr.append((time.perf_counter() - t0) * 1e3)

        sleeper_opts = lambda i: ["--publish", f"{20000 + i}:7000", "--allow-out", "tcp/443"]
        one_more = ["--net", "bn", "--rootfs", rootfs, "--publish", "9000:7000",
                    "--allow-out", "tcp/443", "--", "/bin/true"]
        results = []
        for n in levels:
            log(f"\n== level {n}: growing SCALE to {n} containers ({a.batch} at a time)")
            grown, secs = grow(scl, n, a.batch, sleeper_opts, ["/wtest", "sleep", "3600"])
            running = scl.running_count()
            veths = netbench.veth_count(scl_ns)
            counters, elements = netbench.nft_counts(scl_ns)
            log(f"  started {grown} in {secs:.1f} s; running {running}, veths {veths}, "
                f"counter objects {counters}, per-container elements {elements}, "
                f"MemAvailable {meminfo() / 2**30:.2f} GiB")
            if running != n or veths != n:
                raise RuntimeError(f"SCALE should have {n} running containers and veths, "
                                   f"has {running} and {veths}")
            if ref.running_count() != 1 or netbench.veth_count(ref_ns) != 1:
                raise RuntimeError("REF should have exactly one container")
            lv = {"n": n, "grown": grown, "grow_s": secs, "veths": veths,
                  "counters": counters, "elements": elements, "mem_avail": meminfo()}
            # the previous level's connections leave conntrack entries in
            # TIME_WAIT; each container stop makes the kernel walk the
            # conntrack table (masquerade cleanup), so wait until they expire
            t0 = time.monotonic()
            while (time.monotonic() - t0 < a.ct_settle and
                   netbench.conntrack_count(scl_ns) + netbench.conntrack_count(ref_ns) > 2):
                time.sleep(2)
            lv["conntrack"] = [netbench.conntrack_count(scl_ns), netbench.conntrack_count(ref_ns)]
            if time.monotonic() - t0 > 1:
                log(f"  waited {time.monotonic() - t0:.0f} s for conntrack entries to expire; "
                    f"now SCALE {lv['conntrack'][0]}, REF {lv['conntrack'][1]}")
            f_start = out / f"fw-scale-start-{n}.json"
            run_py(HERE / "paired.py", "pairs", "--pairs", a.pairs, "--gap-ms", a.gap_ms,
                   "--out", f_start,
                   "scale", scl.shell_cmd("run", "--name", f"{scl.prefix}-x{{n}}", *one_more),
                   "ref", ref.shell_cmd("run", "--name", f"{ref.prefix}-x{{n}}", *one_more))
            lv["start"] = json.loads(f_start.read_text())
            f_conn = out / f"fw-scale-conn-{n}.json"
            if a.timeline_runs:
                for s in (scl, ref):
                    f_tl = out / f"fw-scale-timeline-{n}-{s.label}.json"
                    run_py(HERE / "netbench.py", "timeline", "--runs", a.timeline_runs,
                           "--out", f_tl, f"{s.label.upper()} N={n if s is scl else 1}",
                           s.shell_cmd("--debug", "run", "--name", f"{s.prefix}-t{{n}}",
                                       *one_more))
                    lv[f"timeline_{s.label}"] = json.loads(f_tl.read_text())
            # last, as its TIME_WAIT conntrack entries (120 s) make every
            # container stop slower (see the README)
            subprocess.run([*Sandbox.enter(lan), sys.executable, HERE / "netbench.py",
                            "connrate", "--cpu", str(a.cpu), "--block", str(a.conn_block),
                            "--pairs", str(a.conn_pairs), "--out", str(f_conn), "scale",
                            f"{SCL_HOST}:8080", "ref", f"{REF_HOST}:8080"],
                           check=True, timeout=600)
            lv["conn"] = json.loads(f_conn.read_text())
            results.append(lv)
            if scl.running_count() != n:
                raise RuntimeError("a SCALE container died during the measurements")

        log("\n== stopping everything")
        t0 = time.monotonic()
        names = list(scl.managed)
        with concurrent.futures.ThreadPoolExecutor(a.batch) as ex:
            failed = sum(ex.map(scl.stop_managed, [names[k::a.batch] for k in range(a.batch)]),
                         [])
        failed += scl.stop(list(scl.procs))
        failed += ref.stop(list(ref.procs))
        stop_s = time.monotonic() - t0
        if failed:
            raise RuntimeError(f"containers that did not stop: {failed[:5]}")
        bad = []
        for s in sides:
            for p in netbench.leftovers(s.ns, wait_s=300):
                bad.append(f"{s.label}: {p}")
            st = [p.name for p in s.root.iterdir()] if s.root.exists() else []
            if [x for x in st if not x.startswith(".")]:
                bad.append(f"{s.label}: state dirs {st[:5]}")
            r = s.ward_run("net", "rm", "bn")
            if r.returncode != 0:
                bad.append(f"{s.label}: net rm: {r.stderr.strip()}")
            rules = sh(*Sandbox.enter(s.ns), "nft", "list", "ruleset").stdout.strip()
            if rules:
                bad.append(f"{s.label}: ruleset not empty after net rm")
        cg = netbench.cgroup_sweep(prefix)
        if cg:
            bad.append(f"cgroups left: {cg[:5]}")
        cleanup = (f"{sum(l['grown'] for l in results) + 2} containers stopped in {stop_s:.1f} s; "
                   + ("nothing left (no wv-* links, no counter objects or per-container "
                      "elements, no state, no cgroups; both rulesets empty after `ward net rm`)"
                      if not bad else "LEFT BEHIND: " + "; ".join(bad)))
        log(f"  {cleanup}")

        rev = subprocess.run(["git", "-C", str(HERE.parent), "describe", "--always", "--dirty"],
                             capture_output=True, text=True).stdout.strip() or "unknown"
        meta = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{os.cpu_count()} vCPU, {meminfo('MemTotal') / 2**30:.0f} GiB RAM, "
                       f"kernel {os.uname().release}",
            "ward": f"tree {rev}, binary sha256 {sh('sha256sum', ward).stdout[:12]}",
            "versions": sh("nft", "--version").stdout.strip(),
            "batch": a.batch, "wrapper_ms": statistics.median(wr), "cleanup": cleanup,
            "cpu": a.cpu, "gap_ms": a.gap_ms,
        }
        (out / "fw-scale-results.json").write_text(json.dumps(
            {"meta": meta, "levels": results}, indent=1, default=str))
        summary(meta, results, out / "fw-scale-summary.md")
        if bad:
            rc = 1
    except (KeyboardInterrupt, RuntimeError, subprocess.SubprocessError) as e:
        print(f"fw-scale: {type(e).__name__}: {e}", file=sys.stderr)
        rc = 130 if isinstance(e, KeyboardInterrupt) else 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for s in sides:
            if s.managed:
                s.stop_managed(list(s.managed))
            if s.procs:
                names = list(s.procs)
                for k in range(0, len(names), 50):
                    s.stop(names[k:k + 50], timeout=30)
                s.kill_all()
        sb.close()
        netbench.cgroup_sweep(prefix)
        if netbench.hostguard_compare(hg, tmp / "hostguard.xml"):
            log("hostguard: the machine's network namespace is unchanged")
        else:
            print("fw-scale: HOSTGUARD: the machine's network namespace changed", file=sys.stderr)
            rc = rc or 3
        shutil.rmtree(tmp, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
