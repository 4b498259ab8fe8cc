"""Proportional against max-min bandwidth sharing: makespans and emulation time, one run.

    .venv/bin/python benchmarks/bench_sharing.py [--devices 16] [--routing "zipf 1.2"]
                                                 [--schedulers serial,heft-l2,heft]

Builds the fine DeepSeek layer (examples/deepseek_moe.hpm) with the given routing,
schedules it with each scheduler, and emulates every plan (contention and the L2 cache
model, as `hpdsl compare` does) under both sharing rules, back to back. Prints per plan
and rule the makespan and the emulation's wall time, and the makespan ratio. Figures and
the decision they support: docs/emulator.md, Contention model.
"""
from __future__ import annotations

import argparse
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", default="16")
    ap.add_argument("--routing", default="zipf 1.2")
    ap.add_argument("--schedulers", default="serial,heft-l2,heft")
    ap.add_argument("--spec", default="examples/deepseek_moe.hpm")
    a = ap.parse_args()
    from hpdsl.emulator import EmulatorOptions, emulate
    from hpdsl.emulator.demand import SHARING
    from hpdsl.generate import generate
    from hpdsl.lang import checked_target, load
    from hpdsl.machine import Machine
    from hpdsl.plan import lower
    from hpdsl.settings import parse_settings
    from hpdsl.solvers import Options, run

    sets = parse_settings([f"devices={a.devices}", f"routing={a.routing}"])
    g = generate(checked_target(load(a.spec), "fine", sets))
    m = Machine.of(g.hardware, g.devices)
    print(f"graph      {g.n_tasks} tasks, {g.devices} devices, routing {a.routing}")
    for name in a.schedulers.split(","):
        p = lower(g, m, run(name, g, m, Options()))
        mk = {}
        for rule in SHARING:
            t = time.perf_counter()
            r = emulate(g, m, p, EmulatorOptions(sharing=rule))
            dt = time.perf_counter() - t
            mk[rule] = r.makespan
            print(f"{name:<8} {rule:<13} makespan {r.makespan:>11,} ns  {dt:6.2f} s  "
                  f"{r.events_processed:,} heap events", flush=True)
        a_, b_ = (mk[x] for x in SHARING)
        print(f"{name:<8} {SHARING[1]} / {SHARING[0]}: {b_ / a_:.4f}", flush=True)


if __name__ == "__main__":
    main()
