"""`hpdsl compare --report DIR`: the folder's contents, atomic writing, chart sampling."""
import json
import shutil
from pathlib import Path

import pytest

import hpdsl.gantt
import hpdsl.report
from hpdsl.cli import main
from hpdsl.compare import CompareOptions, compare
from hpdsl.errors import UserError
from hpdsl.gantt import gantt
from hpdsl.gantt_rows import MAX_ROWS, rows_for
from hpdsl.generate import generate
from hpdsl.lang import checked_target, load
from hpdsl.settings import parse_settings
from hpdsl.machine import Machine
from hpdsl.report import GRAPH_DRAW_MAX_TASKS, MARK, MARK_TEXT, write_report

ROOT = Path(__file__).resolve().parents[1]
TOY = str(ROOT / "examples" / "toy.hpm")
DIAMOND = str(ROOT / "examples" / "diamond.hpm")
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def toy():
    g = generate(checked_target(load(TOY), None))
    return compare(g, Machine.of(g.hardware, g.devices),
                   CompareOptions(schedulers=("serial", "heft")))


def test_report_folder_contents(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["compare", TOY, "-s", "serial,heft", "--report", str(out)]) == 0
    assert f"report: {out}/report.html" in capsys.readouterr().out
    names = {p.name for p in out.iterdir()}
    expected = {"report.html", "gantt_serial.png", "gantt_heft.png", "util_serial.png",
                "util_heft.png", "trace_serial.json", "trace_heft.json", "gantt_serial.html",
                "gantt_heft.html"}
    assert expected <= names
    if shutil.which("dot"):
        assert "graph.svg" in names
        assert (out / "graph.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    for n in names:
        if n.endswith(".png"):
            assert (out / n).read_bytes().startswith(PNG)
    trace = json.loads((out / "trace_heft.json").read_text())
    execs = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert len(execs) == 48
    page = (out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    for n in expected - {"report.html"}:
        assert f'"{n}"' in page      # every file is linked from the page
    assert "heft vs. serial:" in page and "<table>" in page
    # nothing left behind next to the folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


def test_report_gantt_options_choose_the_rows(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["compare", TOY, "-s", "heft", "--report", str(out), "--gantt-device", "1",
                 "--gantt-rows", "VX"]) == 0
    page = (out / "report.html").read_text()
    assert "device 1, rows VX (2 of 8 workers)" in page
    assert '"d1.VX0.vx"' in (out / "gantt_heft.html").read_text()
    assert main(["compare", TOY, "-s", "heft", "--report", str(out), "--gantt-device", "2"]) == 1
    assert "error: --gantt-device 2: the machine has 2 device(s), 0 to 1" in capsys.readouterr().err


def test_failing_report_leaves_no_folder(tmp_path, toy, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("chart failed")

    monkeypatch.setattr(hpdsl.gantt, "utilization_chart", broken)
    with pytest.raises(RuntimeError):
        write_report(toy, str(tmp_path / "rep"))
    assert list(tmp_path.iterdir()) == []


def test_failing_report_keeps_the_old_folder(tmp_path, toy, monkeypatch):
    old = tmp_path / "rep"
    old.mkdir()
    (old / "report.html").write_text("old")
    (old / MARK).write_text("")
    monkeypatch.setattr(hpdsl.gantt, "gantt", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        write_report(toy, str(old))
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]
    assert (old / "report.html").read_text() == "old"


def test_report_replaces_an_old_folder_whole(tmp_path, toy):
    old = tmp_path / "rep"
    write_report(toy, str(old), traces=False)
    assert (old / MARK).read_text() == MARK_TEXT
    (old / "stale.txt").write_text("from an earlier run")
    write_report(toy, str(old), traces=False)
    names = {p.name for p in old.iterdir()}
    assert "stale.txt" not in names and "report.html" in names and MARK in names
    assert not any(n.startswith("trace_") for n in names)
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]


def test_report_never_replaces_a_folder_it_did_not_write(tmp_path, toy):
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    # a report.html of its own does not make a folder hpdsl's (it used to be deleted whole)
    (mine / "report.html").write_text("my own page")
    with pytest.raises(UserError, match=r"cannot write the report to '.*notes': the folder "
                                        r"exists and is not a report hpdsl wrote \(no "
                                        r"\.hpdsl-report file in it\); choose a new folder"):
        write_report(toy, str(mine))
    assert (mine / "thesis.tex").read_text() == "precious"
    empty = tmp_path / "empty"
    empty.mkdir()
    write_report(toy, str(empty), traces=False)
    assert (empty / "report.html").is_file()


def test_graph_drawing_skipped_without_dot(tmp_path, toy, monkeypatch):
    import hpdsl.report as report

    monkeypatch.setattr(report.shutil, "which", lambda name: None)
    write_report(toy, str(tmp_path / "rep"), traces=False)
    page = (tmp_path / "rep" / "report.html").read_text()
    assert "needs the <code>dot</code> program of Graphviz, which is not installed" in page
    assert not (tmp_path / "rep" / "graph.svg").exists()


def test_report_path_errors(tmp_path, toy):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(UserError, match=r"cannot write the report to '.*file': it is a file, "
                                        r"not a folder"):
        write_report(toy, str(f))
    with pytest.raises(UserError, match=r"cannot write the report to '.*nope/rep': folder "
                                        r"'.*nope' does not exist"):
        write_report(toy, str(tmp_path / "nope" / "rep"))


def test_report_error_exits_1_without_traceback(tmp_path, capsys):
    assert main(["compare", DIAMOND, "-s", "heft", "--report", str(tmp_path / "a" / "b")]) == 1
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err


def test_big_graph_is_not_drawn(tmp_path):
    g = generate(checked_target(load(TOY), None, parse_settings(["devices=4", "tokens=256"])))
    assert g.n_tasks > GRAPH_DRAW_MAX_TASKS
    c = compare(g, Machine.of(g.hardware, g.devices), CompareOptions(schedulers=("heft",)))
    write_report(c, str(tmp_path / "rep"), traces=False)
    page = (tmp_path / "rep" / "report.html").read_text()
    assert f"it is drawn only up to {GRAPH_DRAW_MAX_TASKS}" in page
    assert not (tmp_path / "rep" / "graph.svg").exists()


def test_gantt_samples_devices_on_big_machines():
    spec = load(str(ROOT / "examples" / "deepseek_moe.hpm"))
    hw = spec.hardware["A3"] if isinstance(spec.hardware, dict) else next(
        h for h in spec.hardware if h.name == "A3")
    m = Machine.of(hw, 16)
    rows, note = rows_for(m)
    assert len(rows) == 72 <= MAX_ROWS
    assert set(m.worker_device[rows].tolist()) == {0}
    assert note == "device 0 of 16 shown (72 of 1152 workers)"
    small = Machine.of(hw, 1)
    assert rows_for(small)[1] == ""


def test_gantt_caption_counts_what_it_draws(toy):
    r = toy.run("heft")
    chart = gantt(toy.graph, toy.machine, r.result.start, r.result.end, r.schedule.worker, "t")
    assert chart.png.startswith(PNG)
    assert chart.caption == "48 of 48 tasks drawn"


def test_big_graph_traces_keep_a_few_devices(toy, monkeypatch):
    import hpdsl.report as report

    monkeypatch.setattr(report, "TRACE_FULL_MAX_TASKS", 10)
    monkeypatch.setattr(report, "TRACE_DEVICES", 1)
    text, note = report.trace_text(toy, toy.run("heft"))
    ev = json.loads(text)["traceEvents"]
    assert {e["pid"] for e in ev} == {0}
    assert 0 < sum(e["ph"] == "X" for e in ev) < 48
    flows = {}
    for e in ev:
        if e["ph"] in ("s", "f"):
            flows.setdefault(e["id"], []).append(e["ph"])
    assert all(sorted(v) == ["f", "s"] for v in flows.values())
    assert note == "; device 0 of 2 only, the graph has 48 tasks"


def test_report_under_a_file_or_failing_to_write_is_a_user_error(tmp_path, toy, monkeypatch):
    f = tmp_path / "afile"
    f.write_text("")
    with pytest.raises(UserError, match=r"^error: cannot write the report to '.*afile/rep': "
                                        r"'.*afile' is a file, not a folder$"):
        write_report(toy, str(f / "rep"))
    # an OSError while writing (a full disk) leaves nothing behind and exits 1, not a traceback
    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(hpdsl.gantt, "gantt", full)
    with pytest.raises(UserError, match=r"^error: cannot write the report to '.*rep': "
                                        r"No space left on device$"):
        write_report(toy, str(tmp_path / "rep"))
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]


def test_a_failed_swap_puts_the_old_report_back_and_leaves_no_folder(tmp_path, toy, monkeypatch):
    import os

    out = tmp_path / "rep"
    write_report(toy, str(out), traces=False)
    (out / "old.txt").write_text("the earlier report")
    real, calls = os.replace, []

    def second_fails(a, b):   # moving the old report aside works, the new one's move not
        calls.append((a, b))
        if len(calls) == 2:
            raise OSError(13, "Permission denied")
        real(a, b)

    monkeypatch.setattr(hpdsl.report.os, "replace", second_fails)
    with pytest.raises(UserError, match=r"cannot write the report to '.*rep': Permission denied"):
        write_report(toy, str(out), traces=False)
    # the old report is back, and neither a .rep.old-XXXX nor a .rep.tmp-XXXX folder is left
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]
    assert (out / "old.txt").read_text() == "the earlier report"


def test_report_through_a_symbolic_link_keeps_the_link(tmp_path, toy):
    import os

    (tmp_path / "real").mkdir()
    os.symlink("real", tmp_path / "link")
    write_report(toy, str(tmp_path / "link"), traces=False)
    assert os.path.islink(tmp_path / "link") and (tmp_path / "real" / "report.html").is_file()
