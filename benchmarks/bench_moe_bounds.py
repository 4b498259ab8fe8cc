"""Lower bounds against the heuristics on the DeepSeek MoE layer, per routing.

    python benchmarks/bench_moe_bounds.py [--devices 16] [--schedulers heft-l2,heft,serial]

Per routing: the graph's size, each bound (`solvers.bounds.bounds`) with the seconds it
took, and each scheduler's makespan with its gap to the best bound.
"""
from __future__ import annotations

import argparse
import time

from hpdsl.generate import generate
from hpdsl.lang import checked_target, load
from hpdsl.machine import Machine
from hpdsl.settings import parse_settings
from hpdsl.solvers import Options, run
from hpdsl.solvers.bounds import bounds
from hpdsl.solvers.context import Context
from hpdsl.examples import __file__ as EXAMPLES

ROUTINGS = ["balanced seed 7", "zipf 1.2", "grouped 8"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=16)
    ap.add_argument("--schedulers", default="heft-l2,heft,serial")
    ap.add_argument("--routings", default=";".join(ROUTINGS))
    a = ap.parse_args()
    spec = load(EXAMPLES.replace("__init__.py", "deepseek_moe.hpm"))
    for routing in a.routings.split(";"):
        sets = [f"routing={routing}", f"devices={a.devices}"]
        target = checked_target(spec, "fine", parse_settings(sets))
        graph = generate(target, 10**7)
        machine = Machine.of(graph.hardware, graph.devices)
        ctx = Context.of(graph, machine)
        t0 = time.perf_counter()
        b = bounds(ctx)
        bt = time.perf_counter() - t0
        parts = ", ".join(f"{k} {v}" for k, v in b.parts().items())
        print(f"{routing}: {graph.n_tasks} tasks; bound {b.value} ns ({parts}) in {bt:.2f} s")
        for name in a.schedulers.split(","):
            s = run(name, graph, machine, Options())
            gap = 100 * (s.makespan - b.value) / b.value
            print(f"  {name}: {s.makespan} ns, gap {gap:.1f}% ({s.solve_seconds:.1f} s)")


if __name__ == "__main__":
    main()
