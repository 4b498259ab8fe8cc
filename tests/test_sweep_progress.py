"""Sweep progress: a bar where `hpdsl.progress` draws bars, one line per point elsewhere."""
from __future__ import annotations

import io
import sys

from hpdsl import progress
from hpdsl.sweep.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


OK = {"status": "heuristic", "makespan_ns": 61_237}
BAD = {"status": "error", "error": "file:1:2: error: experts 4 is not divisible\nmore"}


def test_on_a_terminal_the_bar_counts_done_failed_running_and_shows_the_dashboard(monkeypatch):
    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(progress, "DELAY_S", 0)
    p = Progress(4, 1, 0)
    p.say("before the start")
    p.start("http://127.0.0.1:8787/status")
    p.tick(2)
    assert p.status() == "0 failed, 2 running, dashboard http://127.0.0.1:8787/status"
    p.rows([OK, BAD], ["a", "b"])
    p.say("a message")
    assert p._bar.n == 3 and p.status().startswith("1 failed, 2 running")
    p.close()
    text = err.getvalue()
    assert "hpdsl: sweep" in text and "3/4" in text and "1 failed, 2 running" in text
    assert "hpdsl: a message\n" in text and "hpdsl: sweep: 2/4" not in text   # no point lines
    assert text.startswith("hpdsl: before the start\n")


def test_elsewhere_one_line_per_point_and_no_bar(capsys):
    p = Progress(2, 0, 0)
    p.start()
    p.tick(1)
    p.rows([OK, BAD], ["devices=1 heft", "devices=3 heft"])
    p.close()
    assert p._bar is None and capsys.readouterr().err == (
        "hpdsl: sweep: 1/2 devices=1 heft: makespan 61.2 us\n"
        "hpdsl: sweep: 2/2 devices=3 heft: file:1:2: error: experts 4 is not divisible\n")


def test_no_bars_from_the_stages_of_a_point(monkeypatch):
    from pathlib import Path

    from hpdsl.lang import load
    from hpdsl.sweep.grid import Point
    from hpdsl.sweep.task import Job, run_point

    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(progress, "DELAY_S", 0)
    toy = Path(__file__).resolve().parents[1] / "examples" / "toy.hpm"
    assert run_point(Job(load(str(toy))), Point((), "heft"))["error"] is None
    assert err.getvalue() == ""
