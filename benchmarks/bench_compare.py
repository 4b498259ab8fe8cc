"""Time `hpdsl compare` stage by stage on the DeepSeek-V3 example, per tiling and scheduler.

    .venv/bin/python benchmarks/bench_compare.py [--targets fine,coarse] [--schedulers serial,heft]
                                                 [--set devices=16] [--json out.json]

For each tiling: generate, then per scheduler solve, lower and emulate, with wall times;
prints one line per run (emulated / predicted makespan, speedup over serial, exposed
communication) and, with --json, writes every `Comparison.to_dict()` to a file. This is
the measurement behind docs/compare.md; `hpdsl compare` with no arguments is its first
row set (tiling `fine`, serial and heft).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

SPEC = Path(__file__).resolve().parents[1] / "examples" / "deepseek_moe.hpm"


def main() -> None:
    from hpdsl.compare import CompareOptions, compare
    from hpdsl.generate import generate
    from hpdsl.lang import checked_target, load
    from hpdsl.machine import Machine
    from hpdsl.settings import parse_settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default=str(SPEC))
    ap.add_argument("--targets", default="fine,coarse")
    ap.add_argument("--schedulers", default="serial,heft")
    ap.add_argument("--set", dest="settings", action="append", default=[])
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()

    spec = load(args.spec)
    out = []
    for target in args.targets.split(","):
        t0 = time.perf_counter()
        g = generate(checked_target(spec, target, parse_settings(args.settings)))
        gen = time.perf_counter() - t0
        m = Machine.of(g.hardware, g.devices)
        t1 = time.perf_counter()
        c = compare(g, m, CompareOptions(schedulers=tuple(args.schedulers.split(","))), gen)
        total = time.perf_counter() - t1
        print(f"{target}: {g.n_tasks:,} tasks, {g.n_edges:,} edges, {g.devices} devices; "
              f"generate {gen:.2f} s, compare {total:.1f} s")
        for r in c.runs:
            if not r.ok:
                print(f"  {r.scheduler:<9} error: {r.error}")
                continue
            sp = c.speedup(r)
            exposed = (r.result.exposed_comm / r.activity.comm_ns) if r.activity.comm_ns else 0
            print(f"  {r.scheduler:<9} emulated {r.makespan / 1e6:8.3f} ms  predicted "
                  f"{r.schedule.makespan / 1e6:8.3f} ms  bound {r.schedule.lower_bound / 1e6:7.3f} ms  "
                  f"speedup {'-' if sp is None else f'{sp:.2f}x':>6}  exposed comm {exposed:4.0%}  "
                  f"solve {r.schedule.solve_seconds:6.2f} s  lower {r.lower_seconds:5.2f} s  "
                  f"emulate {r.emulate_seconds:6.2f} s  violations {len(r.result.errors)}")
        for line in c.summary:
            print(f"  {line}")
        out.append(c.to_dict())
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
