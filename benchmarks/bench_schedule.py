"""Scheduling at scale: HEFT (and the serial baseline) on the DeepSeek-V3 MoE layer.

    python benchmarks/bench_schedule.py [--devices 64] [--tiling fine] [--schedulers heft,serial]

Prints graph size and, per scheduler, solve time, tasks/s, makespan vs the lower bound,
and the time to lower the schedule into a plan.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hpdsl.generate import generate
from hpdsl.lang import checked_target, load
from hpdsl.machine import Machine
from hpdsl.settings import parse_settings
from hpdsl.solvers import Options, run

SPEC = Path(__file__).resolve().parents[1] / "examples" / "deepseek_moe.hpm"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--devices", type=int, default=64)
    p.add_argument("--tiling", default="fine")
    p.add_argument("--schedulers", default="heft,serial")
    args = p.parse_args()
    t0 = time.perf_counter()
    g = generate(checked_target(load(str(SPEC)), args.tiling,
                                parse_settings([f"devices={args.devices}"])))
    m = Machine.of(g.hardware, g.devices)
    print(f"graph: {g.n_tasks:,} tasks, {g.n_edges:,} edges, {g.devices} devices, "
          f"{len(m.workers):,} workers; generated in {time.perf_counter() - t0:.1f} s", flush=True)
    for name in args.schedulers.split(","):
        s = run(name, g, m, Options())
        line = (f"{name}: {s.solve_seconds:.1f} s ({g.n_tasks / s.solve_seconds:,.0f} tasks/s), "
                f"makespan {s.makespan / 1000:,.1f} us, lower bound {s.lower_bound / 1000:,.1f} us")
        try:
            from hpdsl.plan import lower
            t1 = time.perf_counter()
            plan = lower(g, m, s)
            line += f", plan lowered in {time.perf_counter() - t1:.1f} s"
            del plan
        except ImportError:
            pass
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
