"""Scheduling at scale: HEFT (and the serial baseline) on the DeepSeek-V3 MoE layer.

    python benchmarks/bench_schedule.py [--devices 64] [--tiling fine] [--schedulers heft,serial]
    python benchmarks/bench_schedule.py --layered 10x5000x3 [--schedulers heft]

Prints graph size and, per scheduler, solve time, tasks/s, makespan vs the lower bound,
and the time to lower the schedule into a plan. `--layered LAYERSxWIDTHxFAN` schedules a
synthetic wide layered graph instead (two core types of 8 and 16 instances on 4 devices,
FAN random edges into each task from the layer before; 10x5000x3 is 50k tasks and 135k
edges, which HEFT should schedule in well under 20 s).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from hpdsl.generate import generate
from hpdsl.graph import TaskGraph
from hpdsl.lang import checked_target, load
from hpdsl.machine import Machine
from hpdsl.settings import parse_settings
from hpdsl.solvers import Options, run
from hpdsl.spec import CoreType, Hardware, Queue

SPEC = Path(__file__).resolve().parents[1] / "examples" / "deepseek_moe.hpm"


def layered(n_layers: int, width: int, fan: int, devices: int = 4) -> TaskGraph:
    """A wide layered graph over two core types, `fan` edges into each task (seed 1)."""
    rng = np.random.default_rng(1)
    n = n_layers * width
    layer = np.arange(n) // width
    src, dst = [], []
    for L in range(1, n_layers):
        v = np.arange(L * width, (L + 1) * width)
        for _ in range(fan):
            src.append(rng.integers((L - 1) * width, L * width, size=width))
            dst.append(v)
    hw = Hardware("Big", (CoreType("X", 8, (Queue("q", ("*",)),)),
                          CoreType("Y", 16, (Queue("q", ("*",)),))))
    return TaskGraph.build(name="big", hardware=hw, devices=devices, ops=("big",),
                           kinds=("X", "Y"), cores=(("X",), ("Y",)), op=np.zeros(n, np.int32),
                           kind=(layer % 2).astype(np.int16),
                           device=(np.arange(n) % devices).astype(np.int32),
                           src=np.concatenate(src) if src else [],
                           dst_edges=np.concatenate(dst) if dst else [],
                           fixed_ns=rng.integers(1, 1000, n))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--devices", type=int, default=64)
    p.add_argument("--tiling", default="fine")
    p.add_argument("--schedulers", default="heft,serial")
    p.add_argument("--layered", metavar="LxWxF", help="a synthetic layered graph instead")
    args = p.parse_args()
    t0 = time.perf_counter()
    if args.layered:
        g = layered(*(int(x) for x in args.layered.split("x")))
    else:
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
