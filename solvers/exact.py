"""What the exact schedulers (`z3`, `cpsat`) share: the gcd scale, eligible workers with
their durations, classes of identical workers, reachability, the warm start, the size cap.

Every constant of a model (task times, latencies, the launch, link times) divides by
their common gcd: the numbers shrink (job shops in us instead of ns) and the problem
stays the same, since a left-shifted optimal schedule starts every task at a sum of
constants.
"""
from __future__ import annotations

import math
import os
import select
import signal
import threading
import time
from contextlib import contextmanager

import numpy as np

from hpdsl.errors import UserError
from hpdsl.schedule import Schedule
from hpdsl.solvers.context import Context
from hpdsl.solvers.listsched import portfolio
from hpdsl.solvers.options import Options


def refuse_above(ctx: Context, name: str, cap: int, flag: str) -> None:
    """A user error, before any model is built, when the graph has more than `cap` tasks."""
    if ctx.n > cap:
        raise UserError(f"graph '{ctx.graph.name}' has {ctx.n} tasks, more than the {cap} the "
                        f"exact scheduler '{name}' accepts; raise the limit ({flag}) or use a "
                        f"heuristic such as 'portfolio'")


def warm_start(ctx: Context, options: Options) -> Schedule:
    """The portfolio's schedule (deterministic: its restarts are counted)."""
    return portfolio(ctx.graph, ctx.machine, options)


def scale(ctx: Context) -> int:
    """The gcd of every constant of the model (1 when there are none)."""
    times, lat, link = ctx.times, ctx.pred_latency, ctx.link_ns
    consts = [int(v) for v in np.unique(times[times > 0])] + \
        [int(v) for v in np.unique(lat)] + [ctx.release] + \
        [int(v) for v in np.unique(link[link > 0])]
    return max(1, math.gcd(*consts)) if consts else 1


def eligible(ctx: Context, sc: int) -> list[dict[int, int]]:
    """Per task: {worker: duration / sc} over the workers of its device that can run it."""
    g, times = ctx.graph, ctx.times
    out = []
    for t in range(ctx.n):
        ws = {}
        for ci, pool in ctx.pools_of(int(g.kind[t]), int(g.device[t])):
            for w in pool:
                ws[w] = int(times[t, ci]) // sc
        out.append(ws)
    return out


def worker_classes(ctx: Context) -> dict[int, tuple[int, ...]]:
    """worker -> the identical workers of its class (same device, core type and queue)."""
    by = {}
    for w in ctx.machine.workers:
        by.setdefault((w.device, w.core_index, w.queue), []).append(w.id)
    return {w: tuple(ws) for ws in by.values() for w in ws}


def reach(ctx: Context) -> list[int]:
    """Bitset per task of the tasks reachable from it (for n up to a few thousand)."""
    g = ctx.graph
    out = [0] * ctx.n
    for lv in reversed(ctx.levels):
        for u in lv.tolist():
            r = 0
            for v in g.successors(u).tolist():
                r |= out[v] | (1 << v)
            out[u] = r
    return out


class Clock:
    """Seconds left of a time limit that started at construction."""

    def __init__(self, limit: float):
        self.t0 = time.perf_counter()
        self.limit = limit

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    @property
    def left(self) -> float:
        return self.limit - self.elapsed


def result(name: str, s: Schedule, status: str, lb: int, clock: Clock, note: str) -> Schedule:
    return Schedule(name, status, s.worker, s.start, s.end, lower_bound=int(lb),
                    solve_seconds=clock.elapsed, notes=(note,))


@contextmanager
def stop_on_ctrl_c(stop):
    """Inside: Ctrl-C calls `stop()` at once, and the KeyboardInterrupt follows as soon as
    the solver returns (the CLI then exits 130 and writes nothing).

    Python runs its SIGINT handler only between bytecodes of the main thread, which is
    inside the solver's C++ call; but its C-level handler writes the signal number to the
    wakeup fd at once, from any thread, and a watcher thread reads it and stops the
    solver. Both solvers would otherwise take SIGINT themselves and return their best
    schedule as if the time limit had passed (callers turn their handlers off)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    r, w = os.pipe()
    os.set_blocking(w, False)
    old = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    done = threading.Event()

    def watch():
        while not done.is_set():
            if select.select([r], [], [], 0.1)[0] and signal.SIGINT in os.read(r, 64):
                stop()

    th = threading.Thread(target=watch, name="hpdsl-ctrl-c", daemon=True)
    th.start()
    try:
        yield
    finally:
        done.set()
        th.join()
        signal.set_wakeup_fd(old)
        os.close(r)
        os.close(w)
