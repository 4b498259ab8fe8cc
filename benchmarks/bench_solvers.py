"""Job shop and STG benchmarks: heuristic gaps to the published optima, z3 proof times.

    python benchmarks/bench_solvers.py jobshop [--time-limit 60] [--z3]
    python benchmarks/bench_solvers.py stg [--procs 2 4] [--limit N]

Instances go through the real pipeline: converted to .hpm text, parsed, generated,
scheduled, checked. The data set is the `shared/benchdata` folder beside the repository.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from hpdsl.benchdata import jobshop_hpm, jssp_optima, parse_jobshop, parse_stg, stg_hpm, stg_optima
from hpdsl.generate import generate
from hpdsl.lang import loads
from hpdsl.machine import Machine
from hpdsl.solvers import Options, run

DATA = Path(__file__).resolve().parents[2] / "shared" / "benchdata"
HEURISTICS = ("serial", "heft", "dispatch", "cp", "fifo", "random", "portfolio")
JOBSHOP = ("ft06", "la01", "la02", "la03", "la04", "la05", "la16")


def graph_of(text: str, name: str):
    g = generate(loads(text, f"{name}.hpm"), None, {})
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
                cells.append(f"{span} {r.status} {r.solve_seconds:.1f} s")
            else:
                cells.append(f"{span} ({gap})")
            assert opt is None or span >= opt, (name, s, span, opt)
        print(f"| {name} | {opt} | " + " | ".join(cells) + " |", flush=True)


def stg(args) -> None:
    files = sorted((DATA / "stg/50").glob("rand*.stg"))[: args.limit]
    print("| P | instances | optimal rows | " + " | ".join(HEURISTICS) + " |")
    print("|---" * (len(HEURISTICS) + 3) + "|")
    for procs in args.procs:
        optima = stg_optima(DATA / f"stg/optimal/Case50_{procs}_OPT.csv")
        gaps = {h: [] for h in HEURISTICS}
        hits = {h: 0 for h in HEURISTICS}
        proven = 0
        for f in files:
            lb, ub = optima[f"50/{f.name}"]
            if lb != ub:
                continue          # only proven optima: a gap to an upper bound means little
            proven += 1
            g, m = graph_of(stg_hpm(parse_stg(f.read_text(), f.stem), procs), f.stem)
            for h in HEURISTICS:
                span = run(h, g, m, Options(time_limit=10)).makespan // 1000
                assert span >= lb, (f.name, procs, h, span, lb)
                gaps[h].append((span - lb) / lb)
                hits[h] += span == lb
        cells = [f"{statistics.mean(gaps[h]):.2%} mean, {max(gaps[h]):.1%} max, "
                 f"{hits[h]} optimal" for h in HEURISTICS]
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
    s.add_argument("--limit", type=int, default=180, help="first N instances (default all)")
    args = p.parse_args()
    if not DATA.exists():
        print(f"benchmark data set not found at {DATA}", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    (jobshop if args.what == "jobshop" else stg)(args)
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
