"""tabu of an earlier git revision beside today's, on job shops and on the MoE layer.

    python benchmarks/bench_tabu.py [NAME ...] [--iterations 2000] [--seconds 10]
                                    [--moe-devices 16] [--moe-s 60] [--commit REV]

Per job shop: each version with a fixed iteration budget (its makespan and seconds:
the same input gives the same result, so the two differ by their moves and their speed)
and with a time limit and no budget (its makespan and gap to the optimum). Then the
DeepSeek MoE layer (tiling fine, `--moe-devices` dies) under balanced, zipf 1.2 and
grouped 8 routing, each version for `--moe-s` seconds: iterations done, makespan
against heft's and each version's own start (`--moe-s 0` skips it; `moe` as the only
instance skips the job shops). Default instances: la01-la40. Makespans in us; REV defaults to
the last revision with the full re-evaluation per move.
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hpdsl.benchdata import DATA, jobshop_hpm, jssp_optima, parse_jobshop
from hpdsl.generate import generate
from hpdsl.lang import checked_target, load
from hpdsl.machine import Machine
from hpdsl.settings import parse_settings
from hpdsl.solvers import Options, register, run
from hpdsl.examples import __file__ as EXAMPLES

sys.path.insert(0, str(Path(__file__).parent))
from bench_solvers import graph_of  # noqa: E402

OLD = "8ec4e11"


def old_tabu(rev: str):
    """tabu.py and tabu_graph.py of `rev`, loaded as modules of their own."""
    def show(path):
        return subprocess.run(["git", "show", f"{rev}:{path}"], check=True,
                              capture_output=True, text=True).stdout
    mods = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, path, fix in (("tabu_graph_old", "solvers/tabu_graph.py", None),
                                ("tabu_old", "solvers/tabu.py", "hpdsl.solvers.tabu_graph")):
            src = show(path)
            if fix:
                src = src.replace(fix, "tabu_graph_old")
            p = Path(tmp) / f"{name}.py"
            p.write_text(src)
            spec = importlib.util.spec_from_file_location(name, p)
            mods[name] = importlib.util.module_from_spec(spec)
            sys.modules[name] = mods[name]
            spec.loader.exec_module(mods[name])
    return mods["tabu_old"].tabu


def jobshops(args) -> None:
    optima = jssp_optima(DATA / "jssp_optima.csv")
    print(f"| instance | optimum | old, {args.iterations} it. | new, {args.iterations} it. | "
          f"old, {args.seconds:g} s | new, {args.seconds:g} s |")
    print("|---" * 6 + "|", flush=True)
    gaps = {"tabu-old": [], "tabu": []}
    for name in args.instances or [f"la{i:02d}" for i in range(1, 41)]:
        row = optima[name]
        js = parse_jobshop((DATA / row["path"]).read_text(), name)
        g, m = graph_of(jobshop_hpm(js), name)
        cells = []
        for s in ("tabu-old", "tabu"):
            r = run(s, g, m, Options(tabu_iterations=args.iterations, time_limit=1e9))
            cells.append(f"{r.makespan // 1000} in {r.solve_seconds:.1f} s")
        for s in ("tabu-old", "tabu"):
            r = run(s, g, m, Options(tabu_iterations=0, time_limit=args.seconds))
            gap = r.makespan / 1000 / row["optimum"] - 1
            gaps[s].append(gap)
            cells.append(f"{r.makespan // 1000} ({gap:+.1%})")
        print(f"| {name} | {row['optimum']} | " + " | ".join(cells) + " |", flush=True)
    print(f"| mean gap | | | | {statistics.mean(gaps['tabu-old']):.2%} | "
          f"{statistics.mean(gaps['tabu']):.2%} |")


def moe(args) -> None:
    spec = load(EXAMPLES.replace("__init__.py", "deepseek_moe.hpm"))
    for routing in ("balanced seed 7", "zipf 1.2", "grouped 8"):
        target = checked_target(spec, "fine", parse_settings(
            [f"routing={routing}", f"devices={args.moe_devices}"]))
        graph = generate(target, 10**7)
        machine = Machine.of(graph.hardware, graph.devices)
        heft = run("heft", graph, machine)
        print(f"{routing}: {graph.n_tasks:,} tasks, heft {heft.makespan / 1e3:,.3f} us, "
              f"bound {heft.lower_bound / 1e3:,.3f} us", flush=True)
        for s in ("tabu-old", "tabu"):
            t0 = time.perf_counter()
            r = run(s, graph, machine, Options(tabu_iterations=0, time_limit=args.moe_s))
            print(f"  {s}: {r.makespan / 1e3:,.3f} us ({r.makespan / heft.makespan - 1:+.2%} "
                  f"vs heft, {r.makespan / r.lower_bound - 1:+.2%} vs the bound) in "
                  f"{time.perf_counter() - t0:.1f} s: {r.notes[0]}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instances", nargs="*")
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--moe-devices", type=int, default=16)
    ap.add_argument("--moe-s", type=float, default=60.0)
    ap.add_argument("--commit", default=OLD)
    args = ap.parse_args()
    register("tabu-old", f"tabu of {args.commit}", old_tabu(args.commit))
    if args.instances != ["moe"]:
        jobshops(args)
    if args.moe_s > 0:
        moe(args)


if __name__ == "__main__":
    main()
