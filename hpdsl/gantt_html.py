"""The interactive Gantt chart: one self-contained HTML file, a canvas and a page of JavaScript.

The same rows and colours as the PNG (`hpdsl.gantt_rows`, `hpdsl.gantt.op_colors`); the
page adds hover (task, op, tile label, worker, start, end, duration), zoom (mouse wheel), pan
(drag) and reset (double click). It needs no network and no library: the tasks are
embedded as JSON arrays and drawn on a canvas, so a device with ten thousand tiles stays
smooth, where an SVG element or a plotting library's object per task would not (plotly,
the usual choice, would also add its 3.5 MB script to every chart of a report).
"""
from __future__ import annotations

import html
import json

import numpy as np

from hpdsl.fmt import time_unit
from hpdsl.gantt_rows import Rows, placed, rows_for
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine

MAX_TASKS = 200_000   # beyond this the page gets slow to load; the earliest are kept

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: -apple-system, Helvetica, Arial, sans-serif; margin: 1em; color: #222; }}
h1 {{ font-size: 1.1em; }} .note {{ color: #666; font-size: 0.85em; }}
#legend span {{ display: inline-block; margin-right: 1em; font-size: 0.85em; }}
#legend i {{ display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em;
             vertical-align: -0.1em; }}
canvas {{ border: 1px solid #ddd; cursor: crosshair; }}
#tip {{ position: fixed; display: none; background: #fff; border: 1px solid #888;
        padding: 0.3em 0.6em; font-size: 0.8em; pointer-events: none; white-space: pre; }}
</style></head><body>
<h1>{title}</h1>
<p class="note">{caption}. Wheel: zoom, drag: pan, double click: reset.</p>
<div id="legend"></div><canvas id="c"></canvas><div id="tip"></div>
<script>
const D = {data};
const L = 150, T = 8, B = 28, H = Math.max(3, Math.min(22, Math.floor(640 / D.rows.length)));
const c = document.getElementById("c"), g = c.getContext("2d"), tip = document.getElementById("tip");
const n = D.s.length, byRow = D.rows.map(() => []);
for (let i = 0; i < n; i++) byRow[D.r[i]].push(i);
byRow.forEach(a => a.sort((x, y) => D.s[x] - D.s[y]));
let t0 = 0, t1 = Math.max(D.span, 1), drag = null;
document.getElementById("legend").innerHTML = D.ops.map((o, k) =>
  `<span><i style="background:${{D.colors[k]}}"></i>${{o}}</span>`).join("");
function size() {{ c.width = Math.max(400, window.innerWidth - 40);
  c.height = T + B + H * D.rows.length; draw(); }}
const X = t => L + (t - t0) / (t1 - t0) * (c.width - L - 8);
const Tm = x => t0 + (x - L) / (c.width - L - 8) * (t1 - t0);
const fmt = ns => (ns / D.scale).toLocaleString(undefined, {{maximumFractionDigits: 3}}) + " " + D.unit;
function draw() {{
  g.clearRect(0, 0, c.width, c.height);
  g.font = "10px sans-serif"; g.textBaseline = "middle";
  const step = Math.max(1, Math.ceil(12 / H));
  for (let r = 0; r < D.rows.length; r++) {{
    if (r % 2) {{ g.fillStyle = "#f7f7f7"; g.fillRect(L, T + r * H, c.width - L, H); }}
    if (r % step === 0) {{ g.fillStyle = "#333"; g.fillText(D.rows[r], 4, T + r * H + H / 2); }}
  }}
  g.save(); g.beginPath(); g.rect(L, 0, c.width - L, c.height); g.clip();
  for (let i = 0; i < n; i++) {{
    if (D.e[i] < t0 || D.s[i] > t1) continue;
    const x0 = X(D.s[i]), w = Math.max(1, X(D.e[i]) - x0), y = T + D.r[i] * H;
    g.fillStyle = D.colors[D.o[i]]; g.fillRect(x0, y + 1, w, Math.max(1, H - 2));
    if (D.names && w > 30 && H >= 10) {{ g.fillStyle = "#000"; g.fillText(D.l[i], x0 + 2, y + H / 2); }}
  }}
  g.restore();
  const y = T + H * D.rows.length, ticks = 8, dt = (t1 - t0) / ticks;
  g.fillStyle = "#333"; g.fillRect(L, y, c.width - L, 1);
  for (let k = 0; k <= ticks; k++) {{
    const t = t0 + k * dt, x = X(t);
    g.fillRect(x, y, 1, 4); g.fillText(fmt(t), Math.min(x, c.width - 60), y + 14);
  }}
}}
function hit(ev) {{
  const b = c.getBoundingClientRect(), x = ev.clientX - b.left, r = Math.floor((ev.clientY - b.top - T) / H);
  if (x < L || r < 0 || r >= D.rows.length) return -1;
  const t = Tm(x), a = byRow[r], slack = (t1 - t0) / (c.width - L) * 2;
  let lo = 0, hi = a.length - 1, k = -1;   // the last bar starting at or before t
  while (lo <= hi) {{ const m = (lo + hi) >> 1; if (D.s[a[m]] <= t) {{ k = m; lo = m + 1; }} else hi = m - 1; }}
  if (k >= 0 && D.e[a[k]] >= t) return a[k];                  // on a bar
  if (k + 1 < a.length && D.s[a[k + 1]] <= t + slack) return a[k + 1];   // a bar too thin to aim at
  return k >= 0 && D.e[a[k]] >= t - slack ? a[k] : -1;
}}
c.onmousemove = ev => {{
  if (drag) {{ const d = Tm(drag) - Tm(ev.offsetX); t0 += d; t1 += d; drag = ev.offsetX; draw(); return; }}
  const i = hit(ev);
  if (i < 0) {{ tip.style.display = "none"; return; }}
  tip.textContent = (D.names ? `${{D.l[i]}}\\n` : "") + `task ${{D.k[i]}}, op ${{D.ops[D.o[i]]}}\\n` +
    (D.names ? "" : `tile ${{D.l[i]}}\\n`) + `worker ${{D.rows[D.r[i]]}}\\nstart ${{fmt(D.s[i])}}, end ${{fmt(D.e[i])}}\\nduration ${{fmt(D.e[i] - D.s[i])}}`;
  tip.style.left = (ev.clientX + 14) + "px"; tip.style.top = (ev.clientY + 10) + "px"; tip.style.display = "block";
}};
c.onwheel = ev => {{ ev.preventDefault(); const t = Tm(ev.offsetX), f = ev.deltaY > 0 ? 1.25 : 0.8;
  t0 = t - (t - t0) * f; t1 = t + (t1 - t) * f; draw(); }};
c.onmousedown = ev => {{ drag = ev.offsetX; }};
window.onmouseup = () => {{ drag = null; }};
c.ondblclick = () => {{ t0 = 0; t1 = Math.max(D.span, 1); draw(); }};
c.onmouseleave = () => {{ tip.style.display = "none"; }};
window.onresize = size; size();
</script></body></html>
"""


def gantt_html(graph: TaskGraph, machine: Machine, start: np.ndarray, end: np.ndarray,
               worker: np.ndarray, title: str, makespan: int | None = None,
               shown: Rows | None = None) -> tuple[str, str]:
    """The page and its caption: the rows of `shown` (default `rows_for(machine)`), each
    task that ran on them a bar with its label, id, op, tile and times on hover."""
    from matplotlib.colors import to_hex

    from hpdsl.gantt import op_colors

    shown = rows_for(machine) if shown is None else shown
    t, row = placed(shown, len(machine.workers), start, worker)
    cut = ""
    if len(t) > MAX_TASKS:
        keep = np.sort(np.argsort(start[t], kind="stable")[:MAX_TASKS])
        t, row = t[keep], row[keep]
        cut = f"; the earliest {MAX_TASKS:,} drawn"
    span = int(makespan if makespan is not None else (end.max() if len(end) else 0))
    unit, scale = time_unit(span)
    explicit = graph.task_names is not None
    tl = t.tolist()
    labels = [graph.label(k) for k in tl]
    data = {"rows": [machine.workers[w].name for w in shown.ids.tolist()],
            "ops": list(graph.ops), "colors": [to_hex(c) for c in op_colors(graph)],
            "span": span, "unit": unit, "scale": scale, "names": explicit,
            "r": row.tolist(), "s": start[t].tolist(), "e": np.maximum(end[t], start[t]).tolist(),
            "o": graph.op[t].tolist(), "k": tl, "l": labels}   # explicit graphs: task names
    caption = (f"{len(t):,} of {graph.n_tasks:,} tasks drawn{cut}"
               + (f"; {shown.note}" if shown.note else ""))
    # '</' would end the script element early; JSON allows the escaped form
    text = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    page = PAGE.format(title=html.escape(title), caption=html.escape(caption), data=text)
    return page, caption

