"""The interactive Gantt page: its embedded data, its caption, and (with node) its script."""
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import hpdsl.gantt_html
from hpdsl.compare import CompareOptions, compare
from hpdsl.gantt_html import gantt_html
from hpdsl.gantt_rows import parse_view, rows_for
from hpdsl.generate import generate
from hpdsl.lang import checked_target, load
from hpdsl.machine import Machine

ROOT = Path(__file__).resolve().parents[1]


def run_of(spec, scheduler="heft"):
    g = generate(checked_target(load(str(ROOT / "examples" / spec)), None))
    c = compare(g, Machine.of(g.hardware, g.devices), CompareOptions(schedulers=(scheduler,)))
    return c, c.runs[0]


def data(page: str) -> dict:
    return json.loads(re.search(r"const D = (\{.*?\});\n", page).group(1))


def test_workload_tiles_carry_op_tile_worker_and_times():
    c, r = run_of("toy.hpm")
    res = r.result
    page, caption = gantt_html(c.graph, c.machine, res.start, res.end, r.schedule.worker, "t<1>")
    assert page.startswith("<!DOCTYPE html>") and "<title>t&lt;1&gt;</title>" in page
    assert "<script src" not in page and "http" not in page.split("<script>")[1]   # offline
    d = data(page)
    assert caption == "48 of 48 tasks drawn" and len(d["s"]) == 48
    assert d["rows"] == [w.name for w in c.machine.workers]
    assert d["ops"] == list(c.graph.ops) and len(d["colors"]) == len(d["ops"])
    k = d["k"].index(int(np.flatnonzero(c.graph.op == c.graph.ops.index("up"))[0]))
    t = d["k"][k]
    assert d["l"][k] == c.graph.label(t) and d["ops"][d["o"][k]] == "up"
    assert (d["s"][k], d["e"][k]) == (int(res.start[t]), int(res.end[t]))
    assert d["rows"][d["r"][k]] == c.machine.workers[int(r.schedule.worker[t])].name
    assert d["names"] is False   # a workload task's label is its tile: up[d0 e1 r0+4 c0+8]


def test_explicit_tasks_are_named_and_have_no_tile():
    c, r = run_of("diamond.hpm")
    page, _ = gantt_html(c.graph, c.machine, r.result.start, r.result.end, r.schedule.worker, "d")
    d = data(page)
    assert sorted(d["l"]) == ["left", "load", "merge", "right", "side"]
    assert d["names"] is True


def test_rows_and_the_task_limit(monkeypatch):
    c, r = run_of("toy.hpm")
    res = r.result
    shown = rows_for(c.machine, parse_view("1", None))
    page, caption = gantt_html(c.graph, c.machine, res.start, res.end, r.schedule.worker, "t",
                               shown=shown)
    d = data(page)
    assert all(n.startswith("d1.") for n in d["rows"])
    on1 = int((c.graph.device == 1).sum())
    assert caption == f"{on1} of 48 tasks drawn; device 1 of 2 shown (4 of 8 workers)"
    monkeypatch.setattr(hpdsl.gantt_html, "MAX_TASKS", 5)
    page, caption = gantt_html(c.graph, c.machine, res.start, res.end, r.schedule.worker, "t")
    d = data(page)
    assert len(d["s"]) == 5 and caption.startswith("5 of 48 tasks drawn; the earliest 5 drawn")
    assert max(d["s"]) <= sorted(res.start.tolist())[5]


PROBE = """
let ok = 0;
for (let i = 0; i < D.s.length; i++) {
  if (D.e[i] === D.s[i]) continue;
  const x = X((D.s[i] + D.e[i]) / 2), y = T + D.r[i] * H + H / 2;
  c.onmousemove({clientX: x, clientY: y, offsetX: x});
  if (tip.style.display === "block" && tip.textContent.includes(`task ${D.k[i]},`)
      && tip.textContent.includes(D.l[i] + "\\n")) ok++;
}
c.onwheel({preventDefault() {}, offsetX: 600, deltaY: -1}); c.ondblclick();
console.log(JSON.stringify({ok, bars: D.s.filter((s, i) => D.e[i] > s).length, tip: tip.textContent}));
"""
STUB = """
const els = {};
const ctx = new Proxy({}, {get: (o, k) => k in o ? o[k] : () => 0, set: (o, k, v) => (o[k] = v, true)});
const el = id => els[id] || (els[id] = {style: {}, getContext: () => ctx,
                                         getBoundingClientRect: () => ({left: 0, top: 0})});
global.document = {getElementById: el}; global.window = {innerWidth: 1240};
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="runs the page's script with node")
def test_the_script_runs_and_hovering_a_bar_names_its_task(tmp_path):
    c, r = run_of("toy.hpm")
    page, _ = gantt_html(c.graph, c.machine, r.result.start, r.result.end, r.schedule.worker, "t")
    script = page.split("<script>")[1].split("</script>")[0]
    (tmp_path / "page.js").write_text(STUB + script + PROBE)
    out = subprocess.run(["node", str(tmp_path / "page.js")], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["ok"] == got["bars"] == 48
    assert got["tip"].startswith("task ") and "\ntile " in got["tip"] and "\nstart " in got["tip"]
