"""Plan file formats at scale: sizes, write and load times of JSON and npz, and what
`hpdsl emulate` spends its time on.

    .venv/bin/python benchmarks/bench_plan_io.py [--devices 64] [--scheduler heft] [--no-json]

Builds the fine-tiled DeepSeek graph (examples/deepseek_moe.hpm), schedules and lowers
it, writes the plan in both formats to a temporary folder, then times each step of
`hpdsl emulate` (generate, read and validate the plan, `check_plan`, `emulate`) for the
npz file and reads the JSON file too; asserts that both files load to the same plan and
that the npz plan emulates to the same record as the lowered one. Figures: docs/plans.md,
Plan files.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np


def timed(label: str, f, *args):
    """f(*args), printing its wall and CPU seconds (on a loaded machine the CPU figure is
    the steadier one)."""
    t, c = time.perf_counter(), time.process_time()
    out = f(*args)
    print(f"{label:<28} {time.perf_counter() - t:6.2f} s wall {time.process_time() - c:6.2f} s cpu",
          flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", default="64")
    ap.add_argument("--scheduler", default="heft")
    ap.add_argument("--spec", default="examples/deepseek_moe.hpm")
    ap.add_argument("--no-json", action="store_true", help="skip writing and reading JSON")
    a = ap.parse_args()
    from hpdsl.emulator import emulate
    from hpdsl.generate import generate
    from hpdsl.lang import checked_target, load
    from hpdsl.machine import Machine
    from hpdsl.plan import check_plan, lower, plan_to_json, plan_to_npz, read_plan
    from hpdsl.records import emulate_record
    from hpdsl.settings import parse_settings
    from hpdsl.solvers import Options, run

    target = checked_target(load(a.spec), "fine", parse_settings([f"devices={a.devices}"]))
    g = timed("generate", generate, target)
    m = Machine.of(g.hardware, g.devices)
    p = lower(g, m, run(a.scheduler, g, m, Options()))
    print(f"plan                         {p.n_instructions:,} instructions, {p.n_events:,} events, "
          f"{len(p.queues):,} queues")
    with tempfile.TemporaryDirectory() as tmp:
        files = {"npz": os.path.join(tmp, "p.npz"), "json": os.path.join(tmp, "p.json")}
        formats = ("npz",) if a.no_json else ("npz", "json")
        for fmt in formats:
            data = timed(f"write {fmt}", plan_to_npz if fmt == "npz" else plan_to_json, p)
            with open(files[fmt], "wb" if fmt == "npz" else "w") as f:
                f.write(data)
            print(f"size {fmt:<23} {os.path.getsize(files[fmt]) / 1e6:6.1f} MB")
        loaded = {fmt: timed(f"read and validate {fmt}", read_plan, files[fmt], g, m)
                  for fmt in formats}
    for fmt, q in loaded.items():
        for k in ("ptr", "code", "arg", "count", "event_device", "event_flag", "event_base"):
            assert np.array_equal(getattr(q, k), getattr(p, k)), (fmt, k)
        assert q.event_names == p.event_names and q.queues == p.queues, fmt
    static = timed("check_plan", check_plan, loaded["npz"], g, m)
    r = timed("emulate", emulate, g, m, loaded["npz"])
    assert emulate_record(p.header, r, static) == emulate_record(p.header, emulate(g, m, p), static)
    print(f"emulated makespan            {r.makespan:,} ns (the lowered plan's: identical)")


if __name__ == "__main__":
    main()
