"""Job shops against their optima: portfolio, tabu, lns, cpsat, z3 and plain CP-SAT side by side.

    python benchmarks/bench_exact.py [NAME ...] [--tabu-s 10] [--lns-s 10] [--cpsat-s 60] [--z3-s 60]
                                     [--workers N] [--skip z3,...]
    python benchmarks/bench_exact.py z3-formulations [NAME ...] [--z3-s 30] [--commit REV]

Default instances: la01-la40, ft10, orb01-orb10, abz5-abz9 (benchdata/jsplib; the full
table takes about 3 hours of one 2-core machine). Plain CP-SAT is the textbook model a
user would write: one interval per operation, NoOverlap per machine, the job order,
minimize the last end; no hint, the same workers and time limit as `cpsat`. Every hpdsl
schedule passes `check_schedule` (in `hpdsl.solvers.run`); the script asserts that no
makespan is below the optimum and no bound above it. Makespans in us.

`z3-formulations` runs the z3 scheduler of git revision REV (default: the last one with
the Boolean-presence model) beside today's, for docs/solvers.md.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ortools.sat.python import cp_model

from hpdsl.benchdata import DATA, jobshop_hpm, jssp_optima, parse_jobshop
from hpdsl.solvers import Options, register, run

sys.path.insert(0, str(Path(__file__).parent))
from bench_solvers import graph_of  # noqa: E402

DEFAULT = ([f"la{i:02d}" for i in range(1, 41)] + ["ft10"] + [f"orb{i:02d}" for i in range(1, 11)]
           + [f"abz{i}" for i in range(5, 10)])
OLD_Z3 = "9488f0b"


def plain_cpsat(js, workers: int, limit: float) -> tuple[int, str, int, float]:
    """(makespan, status, bound, seconds) of the textbook model, fed the instance directly."""
    m = cp_model.CpModel()
    horizon = sum(d for ops in js.jobs for _, d in ops)
    per_machine, ends = {}, []
    for j, ops in enumerate(js.jobs):
        prev = None
        for k, (mach, d) in enumerate(ops):
            s = m.NewIntVar(0, horizon, f"s{j}_{k}")
            per_machine.setdefault(mach, []).append(m.NewFixedSizeIntervalVar(s, d, f"i{j}_{k}"))
            if prev is not None:
                m.Add(s >= prev)
            prev = s + d
        ends.append(prev)
    for ivs in per_machine.values():
        m.AddNoOverlap(ivs)
    c = m.NewIntVar(0, horizon, "makespan")
    m.AddMaxEquality(c, ends)
    m.Minimize(c)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.max_time_in_seconds = limit
    t0 = time.perf_counter()
    code = solver.Solve(m)
    status = "optimal" if code == cp_model.OPTIMAL else "feasible"
    return int(solver.ObjectiveValue()), status, int(solver.BestObjectiveBound()), \
        time.perf_counter() - t0


def exact_cell(span, status, bound, seconds):
    return f"{span} {status}" + ("" if status == "optimal" else f" (bound {bound})") + \
        f" {seconds:.1f} s"


def table(args) -> None:
    optima = jssp_optima(DATA / "jssp_optima.csv")
    cols = [c for c in ("portfolio", "tabu", "lns", "cpsat", "z3", "plain CP-SAT")
            if c not in args.skip.split(",")]
    print("| instance | optimum | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 2) + "|", flush=True)
    gaps = {c: [] for c in cols}
    proofs = {c: 0 for c in cols}
    for name in args.instances or DEFAULT:
        row = optima[name]
        js = parse_jobshop((DATA / row["path"]).read_text(), name)
        g, m = graph_of(jobshop_hpm(js), name)
        opt, cells = row["optimum"], []
        for c in cols:
            if c == "plain CP-SAT":
                span, status, bound, sec = plain_cpsat(js, args.workers, args.cpsat_s)
            else:
                limit = {"tabu": args.tabu_s, "lns": args.lns_s, "cpsat": args.cpsat_s,
                         "z3": args.z3_s}.get(c, 60)
                r = run(c, g, m, Options(time_limit=limit, solver_workers=args.workers,
                                         tabu_iterations=0, lns_iterations=0,
                                         deterministic=False))
                span, status = r.makespan // 1000, r.status
                bound, sec = r.lower_bound // 1000, r.solve_seconds
                assert r.lower_bound // 1000 <= row["ub"], (name, c, r.lower_bound)
            assert span >= row["lb"], (name, c, span)
            # an open instance (no proven optimum): the gap to its best known makespan, left
            # out of the mean
            ref = opt if opt is not None else row["ub"]
            if opt is not None:
                gaps[c].append((span - opt) / opt)
            proofs[c] += status == "optimal"
            gap = f"({(span - ref) / ref:+.1%}{'' if opt is not None else ' vs best known'})"
            cells.append(exact_cell(span, status, bound, sec) + f" {gap}"
                         if c in ("cpsat", "z3", "plain CP-SAT") else f"{span} {gap}")
        shown = opt if opt is not None else f"open ({row['lb']}-{row['ub']})"
        print(f"| {name} | {shown} | " + " | ".join(cells) + " |", flush=True)
    print("| mean gap, proofs | | " + " | ".join(
        f"{statistics.mean(gaps[c]) if gaps[c] else 0:.2%}, {proofs[c]} proved" for c in cols)
          + " |")


def formulations(args) -> None:
    """Today's z3 beside the one of an earlier revision, one instance after the other."""
    src = subprocess.run(["git", "show", f"{args.commit}:solvers/z3opt.py"], check=True,
                         capture_output=True, text=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "z3old.py")
        Path(path).write_text(src)
        spec = importlib.util.spec_from_file_location("z3old", path)
        old = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(old)
    register("z3-old", f"z3 of {args.commit}", old.z3opt)
    optima = jssp_optima(DATA / "jssp_optima.csv")
    for name in args.instances or ("ft06", "la01", "la02", "la03", "la04", "la16"):
        js = parse_jobshop((DATA / optima[name]["path"]).read_text(), name)
        g, m = graph_of(jobshop_hpm(js), name)
        for s in ("z3-old", "z3"):
            r = run(s, g, m, Options(time_limit=args.z3_s))
            print(f"{name} {s}: {exact_cell(r.makespan // 1000, r.status, r.lower_bound // 1000, r.solve_seconds)}",
                  flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instances", nargs="*")
    ap.add_argument("--tabu-s", type=float, default=10.0)
    ap.add_argument("--cpsat-s", type=float, default=60.0)
    ap.add_argument("--z3-s", type=float, default=60.0)
    ap.add_argument("--lns-s", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--skip", default="", help="comma-separated columns to leave out")
    ap.add_argument("--commit", default=OLD_Z3)
    args = ap.parse_args()
    if args.instances[:1] == ["z3-formulations"]:
        args.instances = args.instances[1:]
        formulations(args)
    else:
        table(args)


if __name__ == "__main__":
    main()
