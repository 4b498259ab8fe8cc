"""`hpdsl.progress`: bars on a terminal only, never in --json runs, on every long stage."""
import io
import json
import sys
from pathlib import Path

from hpdsl import progress
from hpdsl.cli import main

ROOT = Path(__file__).resolve().parents[1]
TOY = str(ROOT / "examples" / "toy.hpm")


class Terminal(io.StringIO):
    def isatty(self):
        return True


def _terminal(monkeypatch) -> Terminal:
    """From now on stderr is a terminal, and bars show at once. (Called in the test body:
    pytest's capturing sets sys.stderr again after fixtures have run.)"""
    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(progress, "DELAY_S", 0)
    return err


def test_off_when_stderr_is_not_a_terminal(capsys):
    with progress.counter(10, "work") as bar:
        bar.advance(4)
        bar.advance()
    assert type(bar) is progress.Counter and bar.done == 5
    assert capsys.readouterr().err == ""


def test_a_bar_on_a_terminal(monkeypatch):
    terminal = _terminal(monkeypatch)
    with progress.counter(5000, "work") as bar:
        for _ in range(5000):
            bar.advance()
    assert isinstance(bar, progress.Bar) and bar.done == 5000
    assert "hpdsl: work" in terminal.getvalue() and bar._bar.n == 5000


def test_quiet_turns_bars_off_and_nests(monkeypatch):
    _terminal(monkeypatch)
    with progress.quiet():
        with progress.quiet(False):
            assert not progress.enabled()
        assert type(progress.counter(5, "x")) is progress.Counter
    assert progress.enabled()
    assert type(progress.counter(0, "nothing to do")) is progress.Counter


def test_generation_and_scheduling_show_bars(monkeypatch, capsys):
    terminal = _terminal(monkeypatch)
    assert main(["schedule", TOY, "-s", "heft"]) == 0
    shown = terminal.getvalue()
    assert "hpdsl: generate tiny" in shown and "hpdsl: schedule heft" in shown
    assert "makespan" in capsys.readouterr().out


def test_never_in_a_json_run(monkeypatch, capsys):
    terminal = _terminal(monkeypatch)
    assert main(["schedule", TOY, "-s", "serial", "--json"]) == 0
    assert "hpdsl: schedule" not in terminal.getvalue()
    assert "hpdsl: generate" not in terminal.getvalue()
    assert json.loads(capsys.readouterr().out)["results"][0]["scheduler"] == "serial"


def test_reports_show_a_bar(monkeypatch, tmp_path):
    terminal = _terminal(monkeypatch)
    assert main(["compare", TOY, "-s", "serial", "--report", str(tmp_path / "r")]) == 0
    assert "hpdsl: report" in terminal.getvalue() and "hpdsl: schedule serial" in terminal.getvalue()
