"""`run_sweep` without a cluster: what resume skips, the order and speedups of the file,
and how often it is written."""
from __future__ import annotations

from pathlib import Path

import pytest

import hpdsl.sweep.run as run_mod
from hpdsl.errors import UserError
from hpdsl.lang import load
from hpdsl.sweep.engine import Cluster
from hpdsl.sweep.grid import parse_grid, points
from hpdsl.sweep.results import read_results, write_results
from hpdsl.sweep.run import Sweep, run_sweep
from hpdsl.sweep.task import Job

TOY = str(Path(__file__).resolve().parents[1] / "examples" / "toy.hpm")
NOWHERE = Cluster("tcp://127.0.0.1:1", timeout=0.5)   # reaching it is an error


def _row(d, s, ms, status="heuristic"):
    return {"devices": d, "scheduler": s, "status": status, "makespan_ns": ms}


def test_a_grid_found_whole_in_the_file_runs_nothing_and_is_put_in_grid_order(tmp_path):
    out = str(tmp_path / "r.csv")
    stale = _row("8", "serial", 1, "baseline")
    write_results(out, ("devices",), [stale, _row("2", "heft", 50), _row("2", "serial", 100, "baseline"),
                                      _row("1", "serial", 80, "baseline"), _row("1", "heft", 40)])
    sweep = Sweep(Job(load(TOY)), parse_grid(["devices=1,2"]), ("serial", "heft"), out)
    o = run_sweep(sweep, NOWHERE)
    assert (o.ran, o.skipped, o.failed) == (0, 4, [])
    assert [(r["devices"], r["scheduler"], r["speedup_vs_serial"]) for r in o.rows] == [
        ("1", "serial", 1.0), ("1", "heft", 2.0), ("2", "serial", 1.0), ("2", "heft", 2.0)]
    _, rows = read_results(out)
    assert [(r["devices"], r["scheduler"]) for r in rows][-1] == ("8", "serial")   # kept, last


def test_crashed_rows_run_again_and_stay_until_replaced(tmp_path):
    out = str(tmp_path / "r.csv")
    write_results(out, ("devices",), [_row("1", "serial", 80, "baseline"),
                                      _row("2", "serial", None, "crashed")])
    sweep = Sweep(Job(load(TOY)), parse_grid(["devices=1,2"]), ("serial",), out)
    with pytest.raises(UserError, match="cannot reach the Dask scheduler"):
        run_sweep(sweep, NOWHERE)   # it tried: the crashed point is to run again
    # the file is untouched; running the point needs a cluster (tests/test_sweep_engine.py)
    assert [r["status"] for r in read_results(out)[1]] == ["baseline", "crashed"]


def test_the_file_is_written_at_most_every_write_s(tmp_path, monkeypatch):
    out = str(tmp_path / "r.csv")
    sweep = Sweep(Job(load(TOY)), parse_grid(["devices=1,2"]), ("serial",), out)
    book = run_mod._Book(sweep, points(sweep.axes, sweep.schedulers), {})
    monkeypatch.setattr(run_mod, "WRITE_S", 3600.0)
    book.add([_row("1", "serial", 80, "baseline")])          # the first write is at once
    book.add([_row("2", "serial", 90, "baseline")])          # the next waits
    assert len(read_results(out)[1]) == 1 and book.dirty
    monkeypatch.setattr(run_mod, "WRITE_S", 0.0)
    book.flush()
    assert len(read_results(out)[1]) == 2 and not book.dirty
