"""`--report DIR` of a sweep: makespan and speedup against each grid key, and the table.

For every grid key there is one chart per figure (emulated makespan; speedup over serial
when serial is in the sweep) with one line per scheduler, a panel per combination of the
other keys' values (the first MAX_PANELS of them). Values stand in grid order, as typed.
The charts are inline SVG, so `DIR/report.html` is one self-contained file; the folder is
replaced atomically (`hpdsl.report.write_folder`).
"""
from __future__ import annotations

import html
import io
import itertools
import math
from pathlib import Path

from hpdsl.fmt import time_unit
from hpdsl.report import CSS, write_folder
from hpdsl.sweep.grid import Axis
from hpdsl.sweep.results import cell
from hpdsl.sweep.row import SERIAL, columns, failed

MAX_PANELS = 12
PANEL_COLUMNS = 4


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "hpdsl"   # the same ids in every run: identical output
    plt.rcParams["svg.fonttype"] = "none"    # text as text: smaller, faster, searchable
    return plt


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    _plt().close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _panels(axes: tuple[Axis, ...], key: str) -> list[tuple[tuple[str, str], ...]]:
    others = [a for a in axes if a.key != key]
    combos = itertools.product(*(a.values for a in others))
    return [tuple(zip((a.key for a in others), c)) for c in itertools.islice(combos, MAX_PANELS)]


def _chart(axes, schedulers, rows, key: str, figure: str, scale: float, ylabel: str) -> str:
    plt = _plt()
    axis = next(a for a in axes if a.key == key)
    panels = _panels(axes, key)
    ncols = min(len(panels), PANEL_COLUMNS)
    nrows = math.ceil(len(panels) / ncols)
    fig, grid = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.2 * nrows), squeeze=False)
    index = {(tuple(str(r.get(a.key)) for a in axes), r.get("scheduler")): r for r in rows}
    xs = range(len(axis.values))
    for ax, panel in zip(grid.flat, panels):
        fixed = dict(panel)
        for s in schedulers:
            if figure == "speedup_vs_serial" and s == SERIAL:
                continue
            ys = []
            for v in axis.values:
                r = index.get((tuple(fixed.get(a.key, v) for a in axes), s))
                y = None if r is None or failed(r) else r.get(figure)
                ys.append(float("nan") if y is None else y / scale)
            ax.plot(xs, ys, marker="o", label=s)
        if figure == "speedup_vs_serial":
            ax.axhline(1.0, color="#999", linestyle="--", linewidth=1)
        ax.set_xticks(list(xs), list(axis.values), rotation=30 if len(axis.values) > 4 else 0)
        ax.set_xlabel(key)
        ax.set_ylabel(ylabel)
        ax.set_title(", ".join(f"{k}={v}" for k, v in panel), fontsize=9)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    for ax in list(grid.flat)[len(panels):]:
        ax.set_visible(False)
    fig.tight_layout()
    return _svg(fig)


def _table(keys, rows: list[dict]) -> str:
    cols = columns(keys, rows)
    out = ["<table>", "<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cols) + "</tr>"]
    for r in rows:
        cls = ' class="bad"' if failed(r) else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(cell(r.get(c)))}</td>"
                                          for c in cols) + "</tr>")
    return "\n".join(out + ["</table>"])


def render(axes: tuple[Axis, ...], schedulers: tuple[str, ...], rows: list[dict],
           title: str) -> str:
    """The report's HTML text: a chart per grid key and figure, then the table."""
    keys = tuple(a.key for a in axes)
    unit, scale = time_unit(max((r.get("makespan_ns") or 0 for r in rows), default=0))
    grid = ", ".join(f"{a.key} ({len(a.values)})" for a in axes) or "no grid keys"
    parts = [(f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>"
              f"{html.escape(title)}</title>\n<style>{CSS}tr.bad td {{ color: #b00; }}\n"
              f"</style></head><body>"),
             f"<h1>{html.escape(title)}</h1>",
             (f"<p>{len(rows)} rows: {html.escape(grid)} x schedulers "
              f"{html.escape(', '.join(schedulers))}; {sum(map(failed, rows))} failed.</p>")]
    figures = [("makespan_ns", scale, f"emulated makespan ({unit})")]
    if SERIAL in schedulers and len(schedulers) > 1:
        figures.append(("speedup_vs_serial", 1.0, "speedup over serial"))
    for a in axes:
        panels = len(_panels(axes, a.key))
        more = math.prod(len(b.values) for b in axes if b.key != a.key) - panels
        parts.append(f"<h2>against {html.escape(a.key)}</h2>")
        if more > 0:
            parts.append(f'<p class="note">the first {panels} combinations of the other '
                         f"keys; {more} more are in the table</p>")
        for figure, sc, label in figures:
            parts.append(_chart(axes, schedulers, rows, a.key, figure, sc, label))
    parts += ["<h2>Results</h2>", _table(keys, rows), "</body></html>\n"]
    return "\n".join(parts)


def write_sweep_report(out_dir: str, axes, schedulers, rows, title: str, progress=None) -> Path:
    """Write `out_dir/report.html` (see the module docstring); return the folder."""
    def fill(tmp: Path) -> None:
        (tmp / "report.html").write_text(render(axes, schedulers, rows, title), encoding="utf-8")

    return write_folder(out_dir, fill, progress)
