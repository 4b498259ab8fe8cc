"""Sweep results files: CSV and Parquet, written atomically, read back typed for resume."""
from __future__ import annotations

import pytest

from hpdsl.errors import UserError
from hpdsl.sweep.results import read_results, write_results

ROWS = [{"devices": "2", "routing": "zipf 1.2", "scheduler": "serial", "status": "baseline",
         "makespan_ns": 100, "gap": 0.25, "utilization.MX": 0.5, "error": None, "paper": 1},
        {"devices": "2", "routing": "zipf 1.2", "scheduler": "heft", "status": "error",
         "makespan_ns": None, "error": "a, \"quoted\"\nmessage", "paper": 2.5}]
KEYS = ("devices", "routing")


@pytest.mark.parametrize("name", ["r.csv", "r.parquet"])
def test_round_trip_keeps_values_and_types(tmp_path, name):
    path = str(tmp_path / name)
    assert read_results(path) is None
    write_results(path, KEYS, ROWS)
    keys, rows = read_results(path)
    assert keys == KEYS
    for got, want in zip(rows, ROWS):
        assert {k: v for k, v in got.items() if v is not None} == {
            k: v for k, v in want.items() if v is not None}
    assert rows[0]["devices"] == "2" and isinstance(rows[0]["makespan_ns"], int)
    assert [p.name for p in tmp_path.iterdir()] == [name]   # no temporary file left


def test_csv_is_deterministic_text(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    write_results(str(a), KEYS, ROWS)
    write_results(str(b), KEYS, list(ROWS))
    assert a.read_bytes() == b.read_bytes()
    assert a.read_text().splitlines()[0].startswith("devices,routing,scheduler,status,makespan_ns")


def test_a_file_that_is_no_results_file_is_refused(tmp_path):
    foreign = tmp_path / "notes.csv"
    foreign.write_text("a,b\n1,2\n")
    with pytest.raises(UserError, match=r"'.*notes.csv' is not the results file of a sweep \(no "
                                        r"'scheduler' column\); delete it or choose another -o"):
        read_results(str(foreign))
    broken = tmp_path / "r.parquet"
    broken.write_text("not parquet")
    with pytest.raises(UserError, match=r"cannot read the results file '.*r.parquet' to resume "
                                        r"from it: .*; delete it or choose another -o"):
        read_results(str(broken))
