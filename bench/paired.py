#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for bench/start.sh (stdlib only).

  paired.py pairs  --pairs N [--gap-ms MS] --out FILE NAME_A CMD_A NAME_B CMD_B
      Run A and B in turn (A B A B ...), N pairs, after 3 warm-up pairs,
      with a pause of MS before each counted run (default none).
      "{n}" in a command becomes a number unique to each run (for names).
      Each time is fork-to-reap wall time of the whole command; CPU is the
      user+sys that wait4() reports for it (it includes the processes it
      waited for).  Writes per-pair samples and the median of the per-pair
      ratios A/B to FILE (JSON) and prints a one-line summary.

  paired.py rss    --runs N --out FILE NAME CMD
      Peak RSS with GNU time (`/usr/bin/time -f %M`), N runs; median in kB.

  paired.py cgpaths
      One line per mounted cgroup hierarchy: MOUNTPOINT<TAB>CALLER'S PATH<TAB>
      CONTROLLERS (v1), or with "cgroup2" as the controllers (v2).

  paired.py bundle BUNDLE ROOTFS CGPATH [SWAP]
      Edit BUNDLE/config.json from `crun spec` for the benchmark.

  paired.py probe  NAME CMD
      Start CMD (payload: sleep), find the payload from outside and print the
      namespaces, uid map, seccomp mode, capabilities and cgroup limits applied.

  paired.py summary --hyperfine JSON --pairs JSON... --rss JSON... --meta JSON --out MD
      Print the summary table and write it as markdown.

Commands are split with shlex and run without a shell, as hyperfine -N does.
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time


def die(msg):
    print(f"paired.py: {msg}", file=sys.stderr)
    sys.exit(1)


def run_once(argv):
    """Fork-to-reap wall time (ms) and CPU (ms) of one run; dies on failure."""
    t0 = time.perf_counter_ns()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    # read stderr until EOF (it is tiny or empty), then reap with wait4 for rusage
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    t1 = time.perf_counter_ns()
    p.returncode = os.waitstatus_to_exitcode(status)
    p.stderr.close()
    if p.returncode != 0:
        die(f"command failed (exit {p.returncode}): {shlex.join(argv)}\n"
            + err.decode(errors="replace"))
    return (t1 - t0) / 1e6, (ru.ru_utime + ru.ru_stime) * 1e3


def quartiles(xs):
    if len(xs) < 4:
        return min(xs), max(xs)
    q = statistics.quantiles(xs, n=4)
    return q[0], q[2]


def numbered(argv, n):
    """Replace {n} in each argument with a run number: container names must
    be unique per run, and a `sh -c` wrapper to make them would add the
    same ~1 ms to both sides of the ratio."""
    return [x.replace("{n}", str(n)) for x in argv]


def cmd_pairs(a):
    argv_a, argv_b = shlex.split(a.cmd_a), shlex.split(a.cmd_b)
    n = os.getpid() * 1000
    for _ in range(3):                       # warm-up pairs, not counted
        n += 1
        run_once(numbered(argv_a, n))
        run_once(numbered(argv_b, n))
    samples = []
    for _ in range(a.pairs):
        n += 1
        time.sleep(a.gap_ms / 1000)
        wa, ca = run_once(numbered(argv_a, n))
        time.sleep(a.gap_ms / 1000)
        wb, cb = run_once(numbered(argv_b, n))
        samples.append({"a_ms": wa, "b_ms": wb, "a_cpu_ms": ca, "b_cpu_ms": cb})
    ratios = [s["a_ms"] / s["b_ms"] for s in samples]
    cpu_ratios = [s["a_cpu_ms"] / s["b_cpu_ms"] for s in samples if s["b_cpu_ms"] > 0]
    q1, q3 = quartiles(ratios)
    res = {
        "a": a.name_a, "b": a.name_b, "cmd_a": a.cmd_a, "cmd_b": a.cmd_b,
        "pairs": a.pairs,
        "ratio_median": statistics.median(ratios),
        "ratio_q1": q1, "ratio_q3": q3,
        "ratio_min": min(ratios), "ratio_max": max(ratios),
        "cpu_ratio_median": statistics.median(cpu_ratios) if cpu_ratios else None,
        "a_median_ms": statistics.median(s["a_ms"] for s in samples),
        "b_median_ms": statistics.median(s["b_ms"] for s in samples),
        "a_cpu_median_ms": statistics.median(s["a_cpu_ms"] for s in samples),
        "b_cpu_median_ms": statistics.median(s["b_cpu_ms"] for s in samples),
        "samples": samples,
    }
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
    print(f"  {a.name_a}/{a.name_b}: median ratio {res['ratio_median']:.2f} "
          f"(IQR {q1:.2f}-{q3:.2f}, {a.pairs} pairs); medians {res['a_median_ms']:.1f} / "
          f"{res['b_median_ms']:.1f} ms; CPU ratio {res['cpu_ratio_median'] or 0:.2f}")


def cmd_rss(a):
    argv = shlex.split(a.cmd)
    vals = []
    with tempfile.NamedTemporaryFile("r", prefix="rss.") as tf:
        for _ in range(a.runs):
            r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf.name] + argv,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
            if r.returncode != 0:
                die(f"command failed (exit {r.returncode}): {a.cmd}\n"
                    + r.stderr.decode(errors="replace"))
            tf.seek(0)
            lines = [l for l in tf.read().split() if l.strip()]
            vals.append(int(lines[-1]))
    res = {"name": a.name, "cmd": a.cmd, "runs": a.runs, "kb": vals,
           "median_kb": statistics.median(vals), "min_kb": min(vals), "max_kb": max(vals)}
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
    print(f"  {a.name}: peak RSS median {res['median_kb'] / 1024:.1f} MiB "
          f"({min(vals)}-{max(vals)} kB, {a.runs} runs)")


def cmd_cgpaths(_a):
    mounts = []                       # (mountpoint, root, fstype, super options)
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.rstrip("\n").split(" - ", 1)
            lf, rf = left.split(), right.split()
            if rf[0] in ("cgroup", "cgroup2"):
                mounts.append((lf[4], lf[3], rf[0], rf[2] if len(rf) > 2 else ""))
    selfs = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            hid, ctrls, path = line.rstrip("\n").split(":", 2)
            selfs["cgroup2" if hid == "0" else ",".join(sorted(ctrls.split(",")))] = path
    for mp, root, fstype, opts in mounts:
        if fstype == "cgroup2":
            key = "cgroup2"
        else:
            known = {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls",
                     "blkio", "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc"}
            cs = [o for o in opts.split(",") if o in known or o.startswith("name=")]
            key = ",".join(sorted(cs))
        path = selfs.get(key)
        if path is None:
            continue
        if root != "/" and path.startswith(root):     # a mount of a sub-tree
            path = path[len(root):] or "/"
        print(f"{mp}\t{path}\t{key}")


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    kids = [int(k) for k in f.read().split()]
                out += kids
                todo += kids
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out


def cmd_probe(a):
    """Start CMD (its payload must be `sleep`), find the payload process from
    outside and report the isolation that was really applied to it."""
    cg = {mp: (path, key) for mp, path, key in
          (l.split("\t") for l in subprocess.run([sys.executable, __file__, "cgpaths"],
                                                 capture_output=True, text=True,
                                                 check=True).stdout.splitlines())}
    p = subprocess.Popen(shlex.split(a.cmd), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL)
    target = None
    for _ in range(300):
        for d in descendants(p.pid):
            try:
                if open(f"/proc/{d}/comm").read().strip() == "sleep":
                    target = d
            except FileNotFoundError:
                pass
        if target or p.poll() is not None:
            break
        time.sleep(0.01)
    if not target:
        p.wait()
        die(f"{a.name}: payload not found (exit {p.returncode}): {a.cmd}")
    me = os.getpid()
    ns = []
    for n in ("user", "mnt", "pid", "net", "uts", "ipc", "cgroup"):
        if os.readlink(f"/proc/{target}/ns/{n}") != os.readlink(f"/proc/{me}/ns/{n}"):
            ns.append(n)
    st = dict(l.split(":", 1) for l in open(f"/proc/{target}/status").read().splitlines()
              if ":" in l)
    capeff = int(st["CapEff"].strip(), 16)
    seccomp = {"0": "off", "1": "strict", "2": "filter"}[st["Seccomp"].strip()]
    uidmap = " ".join(open(f"/proc/{target}/uid_map").read().split())
    limits = []
    hier = {}
    for line in open(f"/proc/{target}/cgroup"):
        hid, ctrls, path = line.rstrip("\n").split(":", 2)
        hier["cgroup2" if hid == "0" else ctrls] = path
    for mp, (selfpath, key) in cg.items():
        path = hier.get(key)
        knob = {"memory": "memory.limit_in_bytes", "pids": "pids.max"}.get(key)
        if not knob or path is None:
            continue
        if path == selfpath:
            limits.append(f"{key}: caller's cgroup, no own limit")
            continue
        try:
            val = open(f"{mp}{path}/{knob}").read().strip()
        except OSError:
            val = "?"
        limits.append(f"{knob}={val} in {path}")
    p.wait()
    print(f"  {a.name}: new ns [{' '.join(ns)}]; uid_map '{uidmap}'; seccomp {seccomp} "
          f"(NoNewPrivs {st['NoNewPrivs'].strip()}); {bin(capeff).count('1')} caps; "
          f"{'; '.join(limits)}")


def cmd_bundle(a):
    """Edit the `crun spec` config.json in BUNDLE for the benchmark; also write
    config-probe.json (payload sleep 2) for the isolation probe."""
    path = os.path.join(a.bundle, "config.json")
    d = json.load(open(path))
    d["process"]["args"] = ["/bin/true"]
    d["process"]["terminal"] = False
    d["root"] = {"path": a.rootfs, "readonly": True}
    d["linux"]["cgroupsPath"] = a.cgpath
    res = d["linux"].setdefault("resources", {})
    res["memory"] = {"limit": 64 << 20}
    if a.swap:                   # ward gives no swap unless asked: memsw = limit
        res["memory"]["swap"] = 64 << 20
    res["pids"] = {"limit": 100}
    json.dump(d, open(path, "w"), indent=1)
    d["process"]["args"] = ["/bin/sleep", "2"]
    json.dump(d, open(os.path.join(a.bundle, "config-probe.json"), "w"), indent=1)


def fmt_ms(x):
    return f"{x:.1f}"


def cmd_summary(a):
    meta = json.load(open(a.meta))
    hf = json.load(open(a.hyperfine))["results"]
    pairs = [json.load(open(p)) for p in a.pairs]
    rss = {r["name"]: r for r in (json.load(open(p)) for p in a.rss)}
    L = []
    L.append(f"## ward start-up benchmark, {meta['date']}")
    L.append("")
    L.append(f"Machine: {meta['machine']}. ward {meta['ward']}; {meta['versions']}.")
    L.append(f"Payload `/bin/true` on a busybox rootfs (on disk); ward and crun are wrapped in "
             f"`sh -c 'exec ... $$'` for unique names (same cost for both); their state "
             f"directories are on {meta.get('state', '?')}.")
    L.append("")
    L.append(f"### hyperfine (one invocation, -N, {meta['warmup']} warm-up, "
             f"{meta['runs']} runs)")
    L.append("")
    L.append("| command | median ms | mean ± σ ms | min / max ms | user+sys ms (mean) |")
    L.append("|---|---:|---:|---:|---:|")
    for r in hf:
        L.append(f"| {r['command']} | {fmt_ms(r['median'] * 1e3)} | "
                 f"{fmt_ms(r['mean'] * 1e3)} ± {fmt_ms(r['stddev'] * 1e3)} | "
                 f"{fmt_ms(r['min'] * 1e3)} / {fmt_ms(r['max'] * 1e3)} | "
                 f"{fmt_ms((r['user'] + r['system']) * 1e3)} |")
    L.append("")
    L.append("### paired ratios (A B A B ..., median of per-pair A/B wall time)")
    L.append("")
    L.append("| pair | pairs | median ratio | IQR | min / max | A / B median ms | CPU ratio |")
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    for p in pairs:
        L.append(f"| {p['a']}/{p['b']} | {p['pairs']} | **{p['ratio_median']:.2f}** | "
                 f"{p['ratio_q1']:.2f}–{p['ratio_q3']:.2f} | "
                 f"{p['ratio_min']:.2f} / {p['ratio_max']:.2f} | "
                 f"{fmt_ms(p['a_median_ms'])} / {fmt_ms(p['b_median_ms'])} | "
                 f"{(p['cpu_ratio_median'] or 0):.2f} |")
    L.append("")
    L.append(f"### peak RSS (GNU time %M, largest single process, median of "
             f"{next(iter(rss.values()))['runs']} runs)")
    L.append("")
    L.append("| runtime | median | min / max |")
    L.append("|---|---:|---:|")
    for name, r in rss.items():
        L.append(f"| {name} | {r['median_kb'] / 1024:.2f} MiB ({r['median_kb']:.0f} kB) | "
                 f"{r['min_kb']} / {r['max_kb']} kB |")
    L.append("")
    wc = [p for p in pairs if p["a"] == "ward" and p["b"] == "crun"]
    verdict = []
    if wc:
        pooled = statistics.median(s["a_ms"] / s["b_ms"] for p in wc for s in p["samples"])
        n = sum(p["pairs"] for p in wc)
        ok_t = pooled <= 0.6
        passes = ", ".join("%.2f" % p["ratio_median"] for p in wc)
        verdict.append(f"time: ward/crun paired median {pooled:.2f} over all {n} pairs "
                       f"(passes: {passes}; target ≤ 0.60): "
                       f"**{'met' if ok_t else 'NOT met'}**")
    if "ward" in rss and "crun" in rss:
        ok_m = rss["ward"]["median_kb"] < rss["crun"]["median_kb"]
        verdict.append(f"memory: ward peak RSS {rss['ward']['median_kb']:.0f} kB vs crun "
                       f"{rss['crun']['median_kb']:.0f} kB (target: below crun): "
                       f"**{'met' if ok_m else 'NOT met'}**")
    L.append("### target")
    L.append("")
    for v in verdict:
        L.append(f"- {v}")
    L.append("")
    text = "\n".join(L)
    print(text)
    with open(a.out, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="verb", required=True)
    p = sub.add_parser("pairs")
    p.add_argument("--pairs", type=int, default=40)
    p.add_argument("--gap-ms", type=float, default=0,
                   help="pause before each run (lets the kernel finish the previous one's "
                        "asynchronous work)")
    p.add_argument("--out", required=True)
    p.add_argument("name_a"); p.add_argument("cmd_a")
    p.add_argument("name_b"); p.add_argument("cmd_b")
    p = sub.add_parser("rss")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--out", required=True)
    p.add_argument("name"); p.add_argument("cmd")
    sub.add_parser("cgpaths")
    p = sub.add_parser("bundle")
    p.add_argument("bundle"); p.add_argument("rootfs"); p.add_argument("cgpath")
    p.add_argument("swap", nargs="?", default="")
    p = sub.add_parser("probe")
    p.add_argument("name"); p.add_argument("cmd")
    p = sub.add_parser("summary")
    p.add_argument("--hyperfine", required=True)
    p.add_argument("--pairs", nargs="+", default=[])
    p.add_argument("--rss", nargs="+", default=[])
    p.add_argument("--meta", required=True)
    p.add_argument("--out", required=True)
    a = ap.parse_args()
    {"pairs": cmd_pairs, "rss": cmd_rss, "cgpaths": cmd_cgpaths, "probe": cmd_probe, "bundle": cmd_bundle, "summary": cmd_summary}[a.verb](a)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
