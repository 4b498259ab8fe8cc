"""Job shop and STG benchmarks: heuristic gaps to the published optima, z3 proof times.

    python benchmarks/bench_solvers.py jobshop [NAME ...] [--time-limit 60] [--z3]
    python benchmarks/bench_solvers.py stg [--size 50|100] [--procs 2 4] [--first K] [--limit N]
                                           [--z3] [--time-limit 60]

Every schedule passes `check_schedule` (inside `hpdsl.solvers.run`); the script also
asserts that no makespan is below the known optimum (or lower bound of an open instance)
and that no reported lower bound is above it.

Instances go through the real pipeline: converted to .hpm text, parsed, generated,
scheduled, checked. The instances ship in the repository's `benchdata/` (see its README).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

from hpdsl.benchdata import (DATA, jobshop_hpm, jssp_optima, parse_jobshop, parse_stg, stg_hpm,
                             stg_optima)
from hpdsl.generate import generate
from hpdsl.lang import checked_target, loads
from hpdsl.machine import Machine
from hpdsl.solvers import Options, run

HEURISTICS = ("serial", "heft", "dispatch", "cp", "fifo", "random", "portfolio")
JOBSHOP = ("ft06", "la01", "la02", "la03", "la04", "la05", "la16")


def graph_of(text: str, name: str):
    g = generate(checked_target(loads(text, f"{name}.hpm"), None))
    return g, Machine.of(g.hardware, g.devices)


def jobshop(args) -> None:
    optima = jssp_optima(DATA / "jssp_optima.csv")
    cols = HEURISTICS + (("z3",) if args.z3 else ())
    print("| instance | optimum | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 2) + "|")
    for name in args.instances or JOBSHOP:
        row = optima[name]
        js = parse_jobshop((DATA / row["path"]).read_text(), name)
        g, m = graph_of(jobshop_hpm(js), name)
        opt = row["optimum"]
        cells = []
        for s in cols:
            r = run(s, g, m, Options(time_limit=args.time_limit))
            span = r.makespan // 1000
            gap = f"{(span - opt) / opt:+.1%}" if opt else ""
            if s == "z3":
                bound = "" if r.status == "optimal" else f" (bound {r.lower_bound // 1000})"
                cells.append(f"{span} {r.status}{bound} {r.solve_seconds:.1f} s")
            else:
                cells.append(f"{span} ({gap})")
            # below a proven optimum (or an open instance's bound) is a wrong schedule;
            # a reported bound above it is a wrong proof
            assert span >= row["lb"], (name, s, span, row["lb"])
            assert r.lower_bound // 1000 <= row["ub"], (name, s, r.lower_bound, row["ub"])
            assert s != "z3" or r.status != "optimal" or span == opt, (name, span, opt)
        print(f"| {name} | {opt} | " + " | ".join(cells) + " |", flush=True)


def stg(args) -> None:
    files = sorted((DATA / f"stg/{args.size}").glob("rand*.stg"))[args.first:][: args.limit]
    cols = HEURISTICS + (("z3",) if args.z3 else ())
    print("| P | instances | optimal rows | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 3) + "|")
    for procs in args.procs:
        optima = stg_optima(DATA / f"stg/optimal/Case{args.size}_{procs}_OPT.csv")
        gaps = {h: [] for h in cols}
        hits = {h: 0 for h in cols}
        z3_status, z3_secs = [], []
        proven = 0
        for f in files:
            lb, ub = optima[f"{args.size}/{f.name}"]
            if lb != ub:
                continue          # only proven optima: a gap to an upper bound means little
            proven += 1
            g, m = graph_of(stg_hpm(parse_stg(f.read_text(), f.stem), procs), f.stem)
            for h in cols:
                r = run(h, g, m, Options(time_limit=args.time_limit if h == "z3" else 10))
                span = r.makespan // 1000
                assert span >= lb, (f.name, procs, h, span, lb)
                assert r.lower_bound // 1000 <= lb, (f.name, procs, h, r.lower_bound, lb)
                gaps[h].append((span - lb) / lb)
                hits[h] += span == lb
                if h == "z3":
                    assert r.status != "optimal" or span == lb, (f.name, procs, span, lb)
                    z3_status.append(r.status)
                    z3_secs.append(r.solve_seconds)
        cells = [f"{statistics.mean(gaps[h]):.2%} mean, {max(gaps[h]):.1%} max, "
                 f"{hits[h]} optimal" for h in HEURISTICS]
        if args.z3:
            cells.append(f"{z3_status.count('optimal')} proved, {max(gaps['z3']):.1%} max gap, "
                         f"{max(z3_secs):.1f} s max")
        print(f"| {procs} | {len(files)} | {proven} | " + " | ".join(cells) + " |", flush=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    j = sub.add_parser("jobshop")
    j.add_argument("instances", nargs="*")
    j.add_argument("--time-limit", type=float, default=60.0)
    j.add_argument("--z3", action="store_true", help="also prove the optimum with z3")
    s = sub.add_parser("stg")
    s.add_argument("--procs", type=int, nargs="+", default=[2, 4])
    s.add_argument("--size", type=int, choices=(50, 100), default=50, help="tasks per graph")
    s.add_argument("--first", type=int, default=0, help="skip the first K instances")
    s.add_argument("--limit", type=int, default=180, help="at most N instances (default all)")
    s.add_argument("--z3", action="store_true", help="also run z3 on every instance")
    s.add_argument("--time-limit", type=float, default=60.0, help="z3's limit per instance")
    args = p.parse_args()
    t0 = time.perf_counter()
    (jobshop if args.what == "jobshop" else stg)(args)
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
