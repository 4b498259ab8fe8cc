"""The sweep report: a chart per grid key and figure, the table, one self-contained file."""
from __future__ import annotations

from hpdsl.sweep.grid import Axis
from hpdsl.sweep.report import MAX_PANELS, render, write_sweep_report

AXES = (Axis("devices", ("1", "2")), Axis("routing", ("balanced", "zipf 1.2")))


def _rows():
    rows = []
    for d in ("1", "2"):
        for r in ("balanced", "zipf 1.2"):
            for s, ms in (("serial", 100), ("heft", 60)):
                rows.append({"devices": d, "routing": r, "scheduler": s, "status": "heuristic",
                             "makespan_ns": ms * int(d) * 1000, "speedup_vs_serial": 100 / ms})
    rows[-1].update(status="error", makespan_ns=None, error="<bad & wrong>")
    return rows


def test_report_has_makespan_and_speedup_charts_per_key_and_the_table():
    text = render(AXES, ("serial", "heft"), _rows(), "hpdsl sweep: toy")
    assert text.count("<svg") == 4   # 2 keys x (makespan, speedup)
    assert "<h2>against devices</h2>" in text and "<h2>against routing</h2>" in text
    assert "emulated makespan (us)" in text and "speedup over serial" in text
    assert "&lt;bad &amp; wrong&gt;" in text and '<tr class="bad">' in text
    assert "<img" not in text and "src=" not in text   # nothing outside the file
    assert render(AXES, ("serial", "heft"), _rows(), "t") == render(AXES, ("serial", "heft"),
                                                                     _rows(), "t")


def test_without_serial_there_is_no_speedup_chart_and_many_panels_are_capped():
    axes = (Axis("devices", tuple(str(i) for i in range(1, 3))),
            Axis("tokens", tuple(str(i) for i in range(1, MAX_PANELS + 3))))
    rows = [{"devices": d, "tokens": t, "scheduler": "heft", "status": "heuristic",
             "makespan_ns": 5} for d in axes[0].values for t in axes[1].values]
    text = render(axes, ("heft",), rows, "t")
    assert text.count("<svg") == 2 and "speedup over serial" not in text
    assert "the first 12 combinations of the other keys; 2 more are in the table" in text


def test_the_report_folder_is_written_whole(tmp_path):
    out = write_sweep_report(str(tmp_path / "rep"), AXES, ("serial", "heft"), _rows(), "t")
    assert sorted(p.name for p in out.iterdir()) == [".hpdsl-report", "report.html"]   # + the mark
