"""`heft-l2`: HEFT that earns its weight reuse in L2 — experts one after another.

A tile-level plan overlaps the all-to-all with the matmuls, but `heft` takes tiles as
their data arrives, and with rank-aware sends every device receives a chunk of each of
its local experts in every round: its matmul queues interleave all of them, and every
expert's weights must stay in L2 at once to be reused (16 x 58.7 MB of GMM1 weights
per A3 die against 192 MiB of L2 in the DeepSeek layer). This scheduler orders by expert
*waves* instead — wave k holds every device's k-th local expert:

- ranks are HEFT's upward ranks computed with each op's mean task time, so the tasks of
  one op tie, whatever their row counts, and the op structure alone orders the ops;
- ties go to the earlier wave, then to the earlier data arrival, then to the rank-aware
  send order (RATR), then to the lower task id (tiles of a row block, in column order).

So every source sends its chunks for wave 0 first (in RATR order, to every device), then
wave 1, ...: each device receives its local experts one after another, and its matmul
queues take them in that order. Two experts' weights in flight at a time is what L2
must hold. On graphs without experts (explicit graphs) it is `heft` with op-level ranks.

Sends use few queues. Sends running at once share their links (the emulator shares a
link fairly, as the hardware's DMA does), so 48 vector queues each starting a chunk at
once would all finish late and mix the waves again. A device's sends therefore use only
as many queues as keep its link busy at the predicted send times, twice over for slack:
2 x ceil(the longest send's time / its link time); queue order then keeps the waves.
"""
from __future__ import annotations

import numpy as np

from hpdsl.schedule import Schedule
from hpdsl.solvers.context import Context
from hpdsl.solvers.listsched import list_schedule, portfolio


def expert_wave(ctx: Context) -> np.ndarray:
    """int64 per task: its expert's index among its device's experts (-1 without expert).

    An expert's device is where its compute tasks run (a dispatch chunk is on the sender's
    device, a combine chunk on the expert's)."""
    g = ctx.graph
    wave = np.full(ctx.n, -1, np.int64)
    own = (g.expert >= 0) & (g.dst < 0)
    if not own.any():
        return wave
    home = np.full(int(g.expert.max()) + 1, -1, np.int64)
    home[g.expert[own]] = g.device[own]
    experts = np.flatnonzero(home >= 0)
    order = experts[np.lexsort((experts, home[experts]))]
    first = np.searchsorted(home[order], home[order])          # first slot of its device
    local = np.full(len(home), -1, np.int64)
    local[order] = np.arange(len(order)) - first
    has = g.expert >= 0
    wave[has] = local[g.expert[has]]
    return wave


def op_rank(ctx: Context) -> np.ndarray:
    """Upward rank with every task costing its op's mean time (plus edge latencies)."""
    g = ctx.graph
    counts = np.bincount(g.op, minlength=len(g.ops))
    mean = np.bincount(g.op, weights=ctx.mean_time, minlength=len(g.ops)) / np.maximum(counts, 1)
    cost = mean[g.op]
    return cost + ctx.tail(cost, lat=True)


def send_queues(ctx: Context) -> dict[int, int]:
    """Task kind -> queues per pool its sends may use (module docstring); {} without sends."""
    g, link = ctx.graph, ctx.link_ns
    out = {}
    for k in np.unique(g.kind[link > 0]).tolist():
        sel = (g.kind == k) & (link > 0)
        # at least one queue: a send that takes no time on its worker still needs one
        out[k] = max(1, 2 * int(np.ceil((ctx.min_time[sel] / link[sel]).max())))
    return out


def heft_l2(graph, machine, options) -> Schedule:
    ctx = Context.of(graph, machine)
    key = np.stack([-op_rank(ctx), expert_wave(ctx).astype(np.float64)], axis=1)
    return list_schedule(ctx, key, "heft-l2", tie=ctx.ratr, queues=send_queues(ctx))


def best_start(graph, machine, options) -> Schedule:
    """The shorter of the portfolio's and heft-l2's schedules (the portfolio's on a tie):
    where the local searches start. On MoE layers heft-l2's expert order is often the
    shorter one (grouped routing at 16 dies: 8.52 against 10.60 ms), elsewhere the
    portfolio's."""
    a, b = portfolio(graph, machine, options), heft_l2(graph, machine, options)
    return b if b.makespan < a.makespan else a
