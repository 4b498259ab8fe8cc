"""Charts for reports: a Gantt chart per schedule and utilization over time (matplotlib, Agg).

Big machines are sampled, not squeezed: a Gantt chart shows at most `MAX_ROWS` worker
rows (whole devices from device 0 on, or the first workers of device 0), and says so in
its caption. Rectangles are drawn as one PolyCollection, so a device with ten thousand
tiles draws in about a second.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hpdsl.fmt import time_unit
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine

MAX_ROWS = 96
BINS = 240


@dataclass(frozen=True, slots=True)
class Chart:
    """A drawn chart: PNG bytes and the caption that says what it shows (and leaves out)."""

    png: bytes
    caption: str


def _plt():
    import matplotlib

    matplotlib.use("Agg")   # no display needed; safe to call repeatedly
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def op_colors(graph: TaskGraph) -> list:
    """One colour per op (tab10, then tab20), the same in every chart of a report."""
    plt = _plt()
    cmap = plt.get_cmap("tab10" if len(graph.ops) <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(len(graph.ops))]


def rows_shown(machine: Machine) -> tuple[np.ndarray, str]:
    """The worker ids a Gantt chart draws, and a note when that is not all of them."""
    n = len(machine.workers)
    if n <= MAX_ROWS:
        return np.arange(n), ""
    per_dev = n // machine.devices
    if per_dev <= MAX_ROWS:
        k = MAX_ROWS // per_dev
        rows = np.flatnonzero(machine.worker_device < k)
        return rows, (f"devices 0-{k - 1} of {machine.devices} shown ({len(rows)} of {n} "
                      f"workers); the others run the same kind of stream" if k > 1 else
                      f"device 0 of {machine.devices} shown ({len(rows)} of {n} workers)")
    rows = np.arange(MAX_ROWS)
    return rows, f"the first {MAX_ROWS} of {n} workers (device 0) shown"


def gantt(graph: TaskGraph, machine: Machine, start: np.ndarray, end: np.ndarray,
          worker: np.ndarray, title: str, makespan: int | None = None) -> Chart:
    """One row per worker, one rectangle per task coloured by op, time left to right."""
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    plt = _plt()
    rows, note = rows_shown(machine)
    row_of = np.full(len(machine.workers), -1, np.int64)
    row_of[rows] = np.arange(len(rows))
    ran = (start >= 0) & (row_of[worker] >= 0)
    t = np.flatnonzero(ran)
    span = int(makespan if makespan is not None else (end.max() if len(end) else 0))
    unit, scale = time_unit(span)
    y = row_of[worker[t]].astype(np.float64)
    x0, x1 = start[t] / scale, np.maximum(end[t], start[t]) / scale
    verts = np.stack([np.c_[x0, y - 0.4], np.c_[x1, y - 0.4],
                      np.c_[x1, y + 0.4], np.c_[x0, y + 0.4]], axis=1)
    colors = op_colors(graph)
    height = min(2 + 0.16 * len(rows), 16)
    fig, ax = plt.subplots(figsize=(11, height))
    if len(t):
        ax.add_collection(PolyCollection(verts, facecolors=[colors[o] for o in graph.op[t]],
                                         edgecolors="none" if len(t) > 2000 else "white",
                                         linewidths=0.3))
    ax.set_xlim(0, max(span / scale, 1e-9))
    ax.set_ylim(len(rows) - 0.5, -0.5)
    names = [machine.workers[w].name for w in rows]
    step = max(1, len(rows) // 40)   # label every step-th row so labels stay readable
    ax.set_yticks(range(0, len(rows), step))
    ax.set_yticklabels(names[::step], fontsize=7)
    ax.set_xlabel(f"time ({unit})")
    ax.set_title(title, fontsize=10)
    used = sorted(set(graph.op[t].tolist()))
    if len(used) > 1 or graph.task_names is None:
        ax.legend(handles=[Patch(color=colors[o], label=graph.ops[o]) for o in used],
                  fontsize=8, loc="upper left", bbox_to_anchor=(1.005, 1))
    if graph.task_names is not None and len(t) <= 60:   # small explicit graphs: name tasks
        for k, tk in enumerate(t.tolist()):
            ax.text((x0[k] + x1[k]) / 2, y[k], graph.task_names[tk], ha="center",
                    va="center", fontsize=7, clip_on=True)
    caption = f"{len(t):,} of {graph.n_tasks:,} tasks drawn" + (f"; {note}" if note else "")
    return Chart(_png(fig), caption)


def busy_curve(start: np.ndarray, end: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Busy time of a set of intervals inside each bin [edges[i], edges[i+1])."""
    s, e = np.sort(start), np.sort(end)
    cs, ce = np.r_[0.0, np.cumsum(s, dtype=np.float64)], np.r_[0.0, np.cumsum(e, dtype=np.float64)]
    # F(x) = sum over intervals of |[s, e] ∩ [0, x]| = sum_{s<=x}(x - s) - sum_{e<=x}(x - e)
    ks, ke = np.searchsorted(s, edges, "right"), np.searchsorted(e, edges, "right")
    f = (ks * edges - cs[ks]) - (ke * edges - ce[ke])
    return np.diff(f)


def utilization_chart(graph: TaskGraph, machine: Machine, start: np.ndarray, end: np.ndarray,
                      worker: np.ndarray, title: str, makespan: int | None = None) -> Chart:
    """Fraction of each core type's workers busy over time (all devices, BINS bins)."""
    plt = _plt()
    span = int(makespan if makespan is not None else (end.max() if len(end) else 0))
    unit, scale = time_unit(span)
    edges = np.linspace(0, max(span, 1), BINS + 1)
    width = edges[1] - edges[0]
    ran = start >= 0
    fig, ax = plt.subplots(figsize=(11, 2.6))
    core = machine.worker_core[worker]
    for ci, name in enumerate(machine.core_types):
        sel = ran & (core == ci)
        count = int((machine.worker_core == ci).sum())
        frac = busy_curve(start[sel].astype(np.float64), end[sel].astype(np.float64),
                          edges) / (width * max(count, 1))
        ax.step(edges[:-1] / scale, frac, where="post", label=f"{name} ({count} workers)")
    ax.set_xlim(0, max(span / scale, 1e-9))
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("busy fraction")
    ax.set_xlabel(f"time ({unit})")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.005, 1))
    return Chart(_png(fig), f"mean over all {machine.devices} device(s), {BINS} time bins")
