"""Sync flags per device with and without flag sharing, and the lowering time.

    .venv/bin/python benchmarks/bench_flags.py [--devices 16,32,64]
        [--routing "balanced,zipf 1.2,grouped 8"] [--scheduler heft]

For each setting: the fine-tiled DeepSeek-V3 layer (examples/deepseek_moe.hpm) is
scheduled, then lowered three ways: no sharing (every event of a kernel and device its own
flag), sharing everywhere (`share_flags=True`), and the default (sharing only on devices
that need more flags than the hardware has). Prints the most flags any device needs and
the seconds each lowering took (and, for the default, the turn events it added); the
hardware's limit is lifted for the first two so that they report the need instead of
refusing the plan. Figures: docs/plans.md.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace


def main() -> None:
    from hpdsl.errors import UserError
    from hpdsl.generate import generate
    from hpdsl.lang import checked_target, load
    from hpdsl.machine import Machine
    from hpdsl.plan import check_plan, lower
    from hpdsl.solvers import Options, run
    from hpdsl.settings import parse_settings

    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", default="examples/deepseek_moe.hpm")
    ap.add_argument("--devices", default="16,32,64")
    ap.add_argument("--routing", default="balanced,zipf 1.2,grouped 8")
    ap.add_argument("--scheduler", default="heft")
    ap.add_argument("--check", action="store_true", help="also run check_plan on the default plan")
    a = ap.parse_args()
    spec = load(a.spec)
    print(f"{'devices':>7} {'routing':<10} {'tasks':>8} {'events':>7} {'flags':>6} "
          f"{'shared':>6} {'limit':>5} {'lower s':>8} {'shared s':>8} {'default':>22}")
    for d in a.devices.split(","):
        for routing in a.routing.split(","):
            g = generate(checked_target(spec, "fine",
                                        parse_settings([f"devices={d}", f"routing={routing}"])))
            m = Machine.of(g.hardware, g.devices)
            free = Machine.of(replace(g.hardware, sync_flags=1 << 30), g.devices)
            s = run(a.scheduler, g, m, Options())
            t = time.perf_counter()
            p0 = lower(g, free, s, share_flags=False)
            t0 = time.perf_counter() - t
            t = time.perf_counter()
            p1 = lower(g, free, s, share_flags=True)
            t1 = time.perf_counter() - t
            t = time.perf_counter()
            try:
                p = lower(g, m, s)
                turns = sum("+turn" in e for e in p.event_names)
                res = f"ok {p.flags_needed()} flags, {turns} turns, {time.perf_counter() - t:.1f} s"
                if a.check:
                    t = time.perf_counter()
                    bad = check_plan(p, g, m)
                    res += f", check {'ok' if not bad else bad[0]} {time.perf_counter() - t:.1f} s"
            except UserError:
                res = f"refused ({time.perf_counter() - t:.1f} s)"
            print(f"{d:>7} {routing:<10} {g.n_tasks:>8} {p0.n_events:>7} {p0.flags_needed():>6} "
                  f"{p1.flags_needed():>6} {g.hardware.sync_flags:>5} {t0:>8.1f} {t1:>8.1f} {res:>22}",
                  flush=True)


if __name__ == "__main__":
    main()
