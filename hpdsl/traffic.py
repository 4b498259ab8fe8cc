"""Off-chip traffic as people read it: per op, what the plan moved against what it must.

The emulator's L2 model counts, per op, the weight and activation bytes read from HBM,
the bytes written back and the L2 hits (`Result.traffic`); `hpdsl.blocks.compulsory`
gives the bytes no order avoids (weights once, the layer input once). This module turns
them into lines for the `emulate` summary, the `compare` table and the why lines:

    up re-read its weights 16x: 16 experts in flight, L2 holds 3

"in flight" is the most experts whose tiles of that op had started and not all ended at
one moment on one device; "L2 holds" is how many experts' weights of that op fit in a
device's L2 at once.
"""
from __future__ import annotations

import numpy as np

from hpdsl.blocks import WEIGHT
from hpdsl.fmt import si
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine

REREAD_WORTH_SAYING = 1.2     # weights read this many times over their size, or more


def reads(t: dict) -> int:
    """HBM bytes an op read (weights and activations)."""
    return t["weights_hbm_bytes"] + t["activations_hbm_bytes"]


def ratio(t: dict, compulsory: int) -> float | None:
    """HBM reads over the compulsory bytes (None where nothing is compulsory)."""
    return reads(t) / compulsory if compulsory else None


def op_lines(traffic: dict, compulsory: dict) -> list[str]:
    """One line per op: 'up  HBM read 15.2 GB (1.01x compulsory: weights ...), ...'."""
    out = []
    for op, t in traffic.items():
        r = ratio(t, compulsory.get(op, 0))
        times = f" = {r:.2f}x compulsory" if r is not None else ""
        out.append(f"{op:<9} HBM read {si(reads(t), 'B')}{times} (weights "
                   f"{si(t['weights_hbm_bytes'], 'B')}, activations "
                   f"{si(t['activations_hbm_bytes'], 'B')}), written back "
                   f"{si(t['writeback_hbm_bytes'], 'B')}, L2 hits {si(t['l2_hit_bytes'], 'B')}")
    return out


def weights_of(graph: TaskGraph) -> tuple[np.ndarray, np.ndarray]:
    """Per op: its distinct weight bytes, and the most weight bytes one expert (or device)
    of it has."""
    d, n = graph.data, len(graph.ops)
    total, per = np.zeros(n, np.int64), np.zeros(n, np.int64)
    if d is None:
        return total, per
    rt = np.repeat(np.arange(graph.n_tasks), np.diff(d.read_ptr))
    w = d.kind[d.read] == WEIGHT
    for k in range(n):
        blocks = np.unique(d.read[w & (graph.op[rt] == k)])
        if len(blocks):
            total[k] = d.bytes[blocks].sum()
            owner = np.where(d.expert[blocks] >= 0, d.expert[blocks], -1 - d.device[blocks])
            _, inv = np.unique(owner, return_inverse=True)
            per[k] = np.bincount(inv.reshape(-1), weights=d.bytes[blocks]).max()
    return total, per


def in_flight(graph: TaskGraph, start: np.ndarray, end: np.ndarray, op: int) -> int:
    """The most experts (or devices' dense weights) whose tiles of `op` had started and not
    all ended at one moment, on any device."""
    sel = np.flatnonzero((graph.op == op) & (start >= 0))
    if len(sel) == 0:
        return 0
    owner = np.where(graph.expert[sel] >= 0, graph.expert[sel], -1).astype(np.int64)
    key = graph.device[sel].astype(np.int64) * (int(owner.max()) + 2) + owner + 1
    uk, inv = np.unique(key, return_inverse=True)
    inv = inv.reshape(-1)
    first = np.full(len(uk), np.iinfo(np.int64).max)
    last = np.zeros(len(uk), np.int64)
    np.minimum.at(first, inv, start[sel])
    np.maximum.at(last, inv, end[sel])
    dev = uk // (int(owner.max()) + 2)
    # per device, +1 at an expert's first start, -1 at its last end (an end before a start
    # at one instant: the expert is done)
    t = np.r_[first, last]
    delta = np.r_[np.ones(len(uk), np.int64), -np.ones(len(uk), np.int64)]
    g = np.r_[dev, dev]
    o = np.lexsort((delta, t, g))
    run = np.cumsum(delta[o])
    base = np.zeros(len(o), np.int64)
    new = np.r_[True, g[o][1:] != g[o][:-1]]
    base[new] = run[new] - delta[o][new]
    return int((run - np.maximum.accumulate(base)).max())


def reread_lines(graph: TaskGraph, machine: Machine, traffic: dict, start, end) -> list[str]:
    """'up re-read its weights 3.8x: 16 experts in flight, L2 holds 3', for every op whose
    weights were read at least REREAD_WORTH_SAYING times over."""
    total, per = weights_of(graph)
    cache = machine.hardware.cache
    out = []
    for k, op in enumerate(graph.ops):
        t = traffic.get(op)
        if t is None or not total[k]:
            continue
        x = t["weights_hbm_bytes"] / total[k]
        if x < REREAD_WORTH_SAYING:
            continue
        if cache is None:
            out.append(f"{op} read its weights {x:.2g}x: the hardware has no L2 to keep them")
            continue
        n = in_flight(graph, start, end, k)
        out.append(f"{op} re-read its weights {x:.2g}x: {n} expert{'s' if n != 1 else ''} in "
                   f"flight, L2 holds {int(cache.size // per[k]) if per[k] else 0}")
    return out


def table(rows: list[tuple[str, dict]], compulsory: dict) -> list[str]:
    """HBM reads per scheduler (rows) and op (columns), each with its ratio to the
    compulsory bytes, and the total: the traffic table of `compare`."""
    rows = [(name, t) for name, t in rows if t]
    if not rows:
        return []
    ops = list(rows[0][1])
    head = ["HBM reads"] + ops + ["total"]
    body = []
    for name, t in rows:
        cells = []
        for op in ops:
            r = ratio(t[op], compulsory.get(op, 0))
            cells.append(si(reads(t[op]), "B") + (f" {r:.2f}x" if r is not None else ""))
        total = sum(reads(v) for v in t.values())
        need = sum(compulsory.values())
        cells.append(si(total, "B") + (f" {total / need:.2f}x" if need else ""))
        body.append([name] + cells)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    fmt = lambda row: "  ".join(str(x).ljust(w) if i == 0 else str(x).rjust(w)   # noqa: E731
                                for i, (x, w) in enumerate(zip(row, widths))).rstrip()
    return [fmt(head)] + [fmt(r) for r in body] + [
        "(x: times the compulsory bytes, every weight and layer-input block once)"]
