"""Sweep progress: a redrawn bar on a terminal, one line per finished point elsewhere."""
from __future__ import annotations

import io

from hpdsl.sweep.progress import Progress


class Tty(io.StringIO):
    def isatty(self):
        return True


OK = {"status": "heuristic", "makespan_ns": 61_237}
BAD = {"status": "error", "error": "file:1:2: error: experts 4 is not divisible\nmore"}


def test_on_a_terminal_the_bar_counts_done_failed_running_and_shows_the_dashboard():
    out = Tty()
    p = Progress(4, 1, 0, out)
    p.dashboard = "http://127.0.0.1:8787/status"
    p.tick(2)
    assert p.line() == ("sweep [######..................] 1/4 done, 0 failed, 2 running, ETA ? "
                        "| dashboard http://127.0.0.1:8787/status")
    p.rows([OK, BAD], ["a", "b"])
    assert "3/4 done, 1 failed, 2 running, ETA " in p.line() and "ETA ?" not in p.line()
    p.say("a message")
    p.close()
    text = out.getvalue()
    assert "\r\x1b[Khpdsl: a message\n" in text and text.endswith("\n")
    assert "hpdsl: sweep: 2/4" not in text   # no per-point lines on a terminal


def test_elsewhere_one_line_per_point_and_no_bar():
    out = io.StringIO()
    p = Progress(2, 0, 0, out)
    p.tick(1)
    p.rows([OK, BAD], ["devices=1 heft", "devices=3 heft"])
    p.close()
    assert out.getvalue() == (
        "hpdsl: sweep: 1/2 devices=1 heft: makespan 61.2 us\n"
        "hpdsl: sweep: 2/2 devices=3 heft: file:1:2: error: experts 4 is not divisible\n")
