"""`write_report`: a comparison as a self-contained folder — report.html, charts, traces.

    DIR/report.html          table, why, per scheduler a Gantt chart and utilization over time
    DIR/gantt_<s>.png        one per scheduler that produced a schedule
    DIR/gantt_<s>.html       the same chart, interactive: hover, zoom, pan (no network)
    DIR/util_<s>.png         emulated utilization over time per core type
    DIR/trace_<s>.json       Chrome trace of the emulated run (open in Perfetto)
    DIR/graph.svg            the task graph, for small graphs when Graphviz `dot` exists
    DIR/.hpdsl-report        the mark of a folder hpdsl wrote

The folder is built next to DIR under a temporary name and renamed into place at the
end, so a failure leaves the old DIR (or none), never half a report nor a temporary
folder. An existing DIR is replaced only when it is empty or holds the mark: a folder
that merely holds a report.html may be anything. A symbolic link DIR is followed.
"""
from __future__ import annotations

import html
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Callable


from hpdsl.errors import UserError
from hpdsl.fmt import duration
from hpdsl.progress import counter as progress_bar

MARK = ".hpdsl-report"
MARK_TEXT = ("This folder was written by hpdsl (--report). The next --report into it "
             "replaces it whole.\n")
GRAPH_DRAW_MAX_TASKS = 200
# Above this many tasks a trace keeps only the first TRACE_DEVICES devices: a full
# DeepSeek trace is ~80 MB per scheduler, more than Perfetto opens comfortably.
TRACE_FULL_MAX_TASKS = 50_000
TRACE_DEVICES = 2
CSS = """
body { font-family: -apple-system, Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1200px; color: #222; line-height: 1.4; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #e4e4e4; text-align: right; }
th:first-child, td:first-child, td.status { text-align: left; }
tr.best td { font-weight: bold; background: #eef7ee; }
td.bad { color: #b00; font-weight: bold; }
.why { background: #f6f6f9; padding: 0.6em 1em; border-left: 3px solid #88a; }
.note { color: #666; font-size: 0.9em; }
img { max-width: 100%; border: 1px solid #eee; }
code { background: #f2f2f2; padding: 0 0.2em; }
"""


def _safe(name: str) -> str:
    """A scheduler name as a file name part (names are identifiers, but be sure)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _table(c) -> str:
    cores = c.machine.core_types
    good = [r for r in c.runs if r.result is not None and r.result.ok]
    best = min(good, key=lambda r: r.makespan) if good else None
    head = (["scheduler", "status", "emulated", "predicted", "lower bound", "gap", "speedup vs. serial"]
            + [f"{k} busy" for k in cores] + ["exposed comm", "kernels", "solve time", "check"])
    out = ["<table>", "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    for r in c.runs:
        s, res = r.schedule, r.result
        cls = ' class="best"' if r is best else ""
        if s is None:
            cells = [r.scheduler, "error"] + ["-"] * (len(head) - 3) + ["no schedule"]
        else:
            lb = int(s.lower_bound)
            sp = c.speedup(r)
            exposed = "-"
            if res is not None and r.activity is not None and r.activity.comm_ns:
                exposed = f"{res.exposed_comm / r.activity.comm_ns:.0%}"
            check = ("no plan" if r.error else "not run" if res is None else
                     "ok" if res.ok else f"{len(res.errors)} violations")
            cells = ([r.scheduler, s.status, duration(r.makespan if res is not None else None),
                      duration(r.predicted), duration(lb), f"{(r.predicted - lb) / lb:.1%}" if lb else "-",
                      "-" if sp is None else f"{sp:.2f}x"]
                     + [f"{res.utilization.get(k, 0):.0%}" if res is not None else "-" for k in cores]
                     + [exposed, str(r.kernels), f"{s.solve_seconds:.2f} s", check])
        tds = []
        for i, x in enumerate(cells):
            klass = (' class="status"' if i == 1 else
                     ' class="bad"' if i == len(cells) - 1 and x not in ("ok",) else "")
            tds.append(f"<td{klass}>{html.escape(str(x))}</td>")
        out.append(f"<tr{cls}>" + "".join(tds) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _graph_svg(graph, folder: Path) -> str:
    """Draw the task graph into folder/graph.svg; return the HTML for it or why not."""
    if graph.n_tasks > GRAPH_DRAW_MAX_TASKS:
        return (f'<p class="note">The task graph has {graph.n_tasks:,} tasks; it is drawn only '
                f"up to {GRAPH_DRAW_MAX_TASKS} (see <code>hpdsl graph --stats</code>).</p>")
    if shutil.which("dot") is None:
        return ('<p class="note">The task graph drawing needs the <code>dot</code> program of '
                "Graphviz, which is not installed.</p>")
    import subprocess

    from hpdsl.export import to_dot

    svg = subprocess.run(["dot", "-Tsvg"], input=to_dot(graph).encode(), capture_output=True,
                         check=True, timeout=60).stdout
    (folder / "graph.svg").write_bytes(svg)
    return '<p><img src="graph.svg" alt="task graph"></p>'


def _scheduler_section(c, r, folder: Path, traces: bool, rows) -> str:
    from hpdsl.gantt import gantt, utilization_chart
    from hpdsl.gantt_html import gantt_html

    name = html.escape(r.scheduler)
    out = [f'<h2 id="{_safe(r.scheduler)}">{name}</h2>']
    if r.error:
        out.append(f"<p class=\"bad\">{html.escape(r.error)}</p>")
    s, res = r.schedule, r.result
    if s is None:
        return "\n".join(out)
    if r.why:
        out.append('<div class="why">' + "<br>".join(html.escape(w) for w in r.why) + "</div>")
    f = _safe(r.scheduler)
    if res is not None:
        start, end, span, what = res.start, res.end, res.makespan, "emulated"
    else:
        start, end, span, what = s.start, s.end, s.makespan, "predicted"
    title = f"{r.scheduler}: {what} schedule, makespan {duration(span)}"
    g = gantt(c.graph, c.machine, start, end, s.worker, title, span, rows)
    (folder / f"gantt_{f}.png").write_bytes(g.png)
    page, _ = gantt_html(c.graph, c.machine, start, end, s.worker, title, span, rows)
    (folder / f"gantt_{f}.html").write_text(page, encoding="utf-8")
    out.append(f'<p><img src="gantt_{f}.png" alt="Gantt chart of {name}"><br>'
               f'<span class="note">Gantt chart, {what} times: {html.escape(g.caption)}. '
               f'Interactive (hover for task, op, tile and times): '
               f'<a href="gantt_{f}.html">gantt_{f}.html</a>.</span></p>')
    u = utilization_chart(c.graph, c.machine, start, end, s.worker,
                          f"{r.scheduler}: busy workers per core type", span)
    (folder / f"util_{f}.png").write_bytes(u.png)
    out.append(f'<p><img src="util_{f}.png" alt="utilization of {name}"><br>'
               f'<span class="note">Utilization over time: {html.escape(u.caption)}.</span></p>')
    if res is not None:
        for v in res.findings:
            out.append(f'<p class="bad">{html.escape(v.severity)}: {html.escape(v.kind)}: '
                       f"{html.escape(v.message)}</p>")
        if traces and r.plan is not None:
            text, note = trace_text(c, r)
            (folder / f"trace_{f}.json").write_text(text)
            out.append(f'<p>Trace: <a href="trace_{f}.json">trace_{f}.json</a> (open it in '
                       f'<a href="https://ui.perfetto.dev">Perfetto</a> or chrome://tracing)'
                       f'{html.escape(note)}.</p>')
    return "\n".join(out)


def trace_text(c, r) -> tuple[str, str]:
    """The Chrome trace of run `r`, sampled to a few devices on big graphs; and a note."""
    import json

    from hpdsl.emulator.trace import chrome_trace, trace_events

    if c.graph.n_tasks <= TRACE_FULL_MAX_TASKS or c.machine.devices <= TRACE_DEVICES:
        return chrome_trace(c.graph, c.machine, r.plan, r.result), ""
    ev = [e for e in trace_events(c.graph, c.machine, r.plan, r.result)
          if e["pid"] < TRACE_DEVICES]
    ends = {}
    for e in ev:
        if e["ph"] in ("s", "f"):
            ends.setdefault(e["id"], set()).add(e["ph"])
    ev = [e for e in ev if e["ph"] not in ("s", "f") or len(ends[e["id"]]) == 2]
    shown = f"devices 0-{TRACE_DEVICES - 1}" if TRACE_DEVICES > 1 else "device 0"
    note = (f"; {shown} of {c.machine.devices} only, "
            f"the graph has {c.graph.n_tasks:,} tasks")
    return json.dumps({"traceEvents": ev, "displayTimeUnit": "ns",
                       "otherData": {"makespan_ns": r.result.makespan, "scheduler": r.scheduler,
                                     "devices_shown": TRACE_DEVICES}}), note


def render(c, folder: Path, spec_path: str = "", traces: bool = True, rows=None,
           command: str = "compare") -> str:
    """Write charts into `folder` and return the report's HTML text; `rows`: the Gantt
    rows (`hpdsl.gantt_rows.Rows`, default `rows_for`), `command`: what made it."""
    g = c.graph
    title = f"hpdsl {command}: {g.name}"
    parts = [f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
             f"</title>\n<style>{CSS}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>",
             f"<p>{html.escape(spec_path)} — {g.n_tasks:,} tasks, {g.n_edges:,} edges, "
             f"{g.devices} device(s), {len(c.machine.workers):,} workers "
             f"({html.escape(', '.join(c.machine.core_types))}).</p>",
             "<p class=\"note\">emulated: the plan run on the emulator (contention, sync "
             "latency, launches); predicted: the scheduler's own estimate; gap: predicted vs. "
             "the lower bound; exposed comm: share of send time with no compute beside it.</p>",
             _table(c)]
    for s, reason in c.skipped:
        parts.append(f'<p class="note">Skipped {html.escape(s)}: {html.escape(reason)}</p>')
    if c.summary:
        parts.append('<h2>Why</h2><div class="why">'
                     + "<br>".join(html.escape(x) for x in c.summary) + "</div>")
    with progress_bar(len(c.runs) + 1, "report") as bar:   # charts take the time
        parts.append("<h2>Task graph</h2>" + _graph_svg(g, folder))
        bar.advance()
        for r in c.runs:
            parts.append(_scheduler_section(c, r, folder, traces, rows))
            bar.advance()
    parts.append("</body></html>\n")
    return "\n".join(parts)


def check_report_dir(out_dir: str) -> Path:
    """The folder a report may be written to (symbolic links followed), or a UserError: an
    existing DIR is replaced only when it is empty or holds MARK (a report hpdsl wrote)."""
    dest = Path(os.path.realpath(out_dir))
    if dest.exists() and not dest.is_dir():
        raise UserError(f"cannot write the report to '{out_dir}': it is a file, not a folder")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / MARK).is_file():
        # replacing DIR deletes it: never do that to a folder this function did not write
        raise UserError(f"cannot write the report to '{out_dir}': the folder exists and is "
                        f"not a report hpdsl wrote (no {MARK} file in it); choose a new folder")
    if not dest.parent.is_dir():
        parent = Path(out_dir).parent
        raise UserError(f"cannot write the report to '{out_dir}': " +
                        (f"'{parent}' is a file, not a folder" if dest.parent.exists() else
                         f"folder '{parent}' does not exist"))
    return dest


def write_report(c, out_dir: str, spec_path: str = "", traces: bool = True,
                 progress: Callable[[str], None] | None = None, rows=None,
                 command: str = "compare") -> Path:
    """Write the report folder `out_dir` atomically (see the module docstring); return it.
    `rows` and `command` as in `render`."""
    def fill(tmp: Path) -> None:
        text = render(c, tmp, spec_path, traces, rows, command)
        (tmp / "report.html").write_text(text, encoding="utf-8")

    return write_folder(out_dir, fill, progress)


def write_folder(out_dir: str, fill: Callable[[Path], None],
                 progress: Callable[[str], None] | None = None) -> Path:
    """Make the report folder `out_dir` with `fill(folder)`, which writes report.html and
    whatever goes beside it, and put it in place atomically with the mark (see the module
    docstring)."""
    dest = check_report_dir(out_dir)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    except OSError as e:
        raise UserError(f"cannot write the report to '{out_dir}': {e.strerror}") from None
    try:
        fill(tmp)
        (tmp / MARK).write_text(MARK_TEXT, encoding="utf-8")
        os.chmod(tmp, 0o755)   # mkdtemp makes it private; a report is for reading
        _swap(tmp, dest)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, OSError):   # a full disk, a folder made read-only meanwhile
            raise UserError(f"cannot write the report to '{out_dir}': {e.strerror}") from None
        raise
    if progress:
        progress(f"report: {len(list(dest.iterdir()))} files in {dest}")
    return dest


def _swap(new: Path, dest: Path) -> None:
    """Put folder `new` at `dest`, the old `dest` (if any) removed; on failure the old one
    is back in place and no temporary folder is left."""
    if not dest.exists():
        os.replace(new, dest)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
    try:
        os.replace(dest, old / "report")
        try:
            os.replace(new, dest)
        except BaseException:
            os.replace(old / "report", dest)
            raise
    finally:
        shutil.rmtree(old, ignore_errors=True)
