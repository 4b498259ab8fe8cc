"""Emulator throughput on the DeepSeek plan vs. an equivalent SimPy model of the same plan.

    .venv/bin/python benchmarks/bench_emulate.py [--devices 64] [--scheduler heft]
                                                 [--contended serial,heft-l2,heft]

Builds the fine-tiled DeepSeek-V3 graph (examples/deepseek_moe.hpm), schedules it, lowers
the plan, then runs it (1) on hpdsl's emulator without contention or cache model (the
cost model's times), (2) on a SimPy model with the same semantics (one process per
queue; exec = timeout; wait = a SimPy event per (counter, count); signal = a delayed
counter increment), checks both give the same makespan, and (3) on hpdsl's emulator with
bandwidth contention and the L2 cache model, for the plan of each scheduler in
--contended (what `hpdsl compare` does). Throughput is counted in plan
instructions executed per second, the same work for both engines. SimPy is a
benchmark-only dependency. Figures: docs/emulator.md, Performance.
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def simpy_model(graph, machine, plan):
    """Run `plan` in SimPy (no contention); return (makespan, seconds)."""
    import simpy

    from hpdsl.cost import task_times
    from hpdsl.plan.order import instruction_latency
    from hpdsl.plan import BARRIER, EXEC, SIGNAL, WAIT

    env = simpy.Environment()
    times = task_times(graph, machine)
    iq = plan.instruction_queue()
    code, arg, cnt = plan.code.tolist(), plan.arg.tolist(), plan.count.tolist()
    core = machine.worker_core[iq].tolist()
    lat = instruction_latency(plan, graph, machine).tolist()
    ptr = plan.ptr.tolist()
    counter = [0] * plan.n_events
    pending: list[dict] = [{} for _ in range(plan.n_events)]   # count -> simpy.Event
    end = [0]
    launch = machine.hardware.launch
    W = len(plan.queues)
    barrier = {"n": 0, "ev": env.event()}

    def arrive(e, delay):
        yield env.timeout(delay)
        counter[e] += 1
        ev = pending[e].pop(counter[e], None)
        if ev is not None:
            ev.succeed()

    def queue(q):
        yield env.timeout(launch)
        for i in range(ptr[q], ptr[q + 1]):
            c = code[i]
            if c == EXEC:
                yield env.timeout(int(times[arg[i], core[i]]))
                end[0] = max(end[0], env.now)
            elif c == WAIT:
                e = arg[i]
                if counter[e] < cnt[i]:
                    ev = pending[e].get(cnt[i])
                    if ev is None:
                        ev = pending[e][cnt[i]] = env.event()
                    yield ev
            elif c == SIGNAL:
                env.process(arrive(arg[i], lat[i]))
            elif c == BARRIER:
                b = barrier["ev"]
                barrier["n"] += 1
                if barrier["n"] == W:
                    barrier["n"], barrier["ev"] = 0, env.event()
                    yield env.timeout(launch)
                    b.succeed()
                else:
                    yield b

    for q in range(W):
        env.process(queue(q))
    t = time.perf_counter()
    env.run()
    return end[0], time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", default="64")
    ap.add_argument("--scheduler", default="heft")
    ap.add_argument("--spec", default="examples/deepseek_moe.hpm")
    ap.add_argument("--contended", default="serial,heft-l2,heft",
                    help="schedulers whose plans run (3) emulates with contention")
    ap.add_argument("--no-contention-run", action="store_true", help="skip run (3)")
    a = ap.parse_args()
    from hpdsl.emulator import EmulatorOptions, emulate
    from hpdsl.generate import generate
    from hpdsl.lang import checked_target, load
    from hpdsl.machine import Machine
    from hpdsl.plan import lower
    from hpdsl.settings import parse_settings
    from hpdsl.solvers import Options, run

    t = time.perf_counter()
    g = generate(checked_target(load(a.spec), "fine", parse_settings([f"devices={a.devices}"])))
    m = Machine.of(g.hardware, g.devices)
    print(f"graph      {g.n_tasks} tasks, {g.n_edges} edges, {g.devices} devices "
          f"({time.perf_counter() - t:.1f} s)")
    t = time.perf_counter()
    s = run(a.scheduler, g, m, Options())
    print(f"schedule   {a.scheduler}: {s.makespan} ns ({time.perf_counter() - t:.1f} s)")
    t = time.perf_counter()
    p = lower(g, m, s)
    print(f"lower      {p.n_instructions} instructions, {p.n_events} events, "
          f"{p.flags_needed()} flags/device ({time.perf_counter() - t:.1f} s)")
    t = time.perf_counter()
    # the SimPy model runs cost-model times: compare with the emulator's cache model off
    r = emulate(g, m, p, EmulatorOptions(contention=False, cache=False))
    ours = time.perf_counter() - t
    print(f"hpdsl      makespan {r.makespan} ns, {ours:.2f} s, "
          f"{p.n_instructions / ours:,.0f} instructions/s (incl. validation and metrics)")
    mk, theirs = simpy_model(g, m, p)
    print(f"simpy      makespan {mk} ns, {theirs:.2f} s, {p.n_instructions / theirs:,.0f} instructions/s")
    assert mk == r.makespan, "the SimPy model and the emulator disagree"
    print(f"ratio      {theirs / ours:.2f}x SimPy's throughput")
    if not a.no_contention_run:
        total = 0.0
        for name in a.contended.split(","):
            pc = p if name == a.scheduler else lower(g, m, run(name, g, m, Options()))
            t = time.perf_counter()
            rc = emulate(g, m, pc)
            dt = time.perf_counter() - t
            total += dt
            print(f"contended  {name}: makespan {rc.makespan} ns ({rc.prediction_error:+.1%} vs "
                  f"predicted), {dt:.2f} s, {pc.n_instructions / dt:,.0f} instructions/s, "
                  f"{rc.events_processed:,} heap events")
        print(f"contended  total {total:.2f} s")


if __name__ == "__main__":
    np.seterr(all="raise")
    main()
