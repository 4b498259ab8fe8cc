"""Charts for reports: a Gantt chart per schedule and utilization over time (matplotlib, Agg).

Big machines are sampled, not squeezed: a Gantt chart draws the rows `hpdsl.gantt_rows`
chooses (by default at most 96: whole devices from device 0 on, or every core type's
first instances of device 0), and says so in its caption. Rectangles are drawn as one
PolyCollection, so a device with ten thousand tiles draws in about a second.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hpdsl.fmt import time_unit
from hpdsl.gantt_rows import Rows, placed, rows_for
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine

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


def gantt(graph: TaskGraph, machine: Machine, start: np.ndarray, end: np.ndarray,
          worker: np.ndarray, title: str, makespan: int | None = None,
          shown: Rows | None = None) -> Chart:
    """One row per worker of `shown` (default: `rows_for(machine)`), one rectangle per
    task coloured by op, time left to right."""
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    plt = _plt()
    shown = rows_for(machine) if shown is None else shown
    rows, note = shown
    t, y = placed(shown, len(machine.workers), start, worker)
    y = y.astype(np.float64)
    span = int(makespan if makespan is not None else (end.max() if len(end) else 0))
    unit, scale = time_unit(span)
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
