"""One sweep point, run in this process: the row equals what `compare` reports."""
from __future__ import annotations

import json
from pathlib import Path

from hpdsl.lang import load

from hpdsl.cli import main
from hpdsl.sweep.grid import Point
from hpdsl.sweep.row import ERROR
from hpdsl.sweep.task import Job, run_point

TOY = str(Path(__file__).resolve().parents[1] / "examples" / "toy.hpm")


def test_a_point_row_is_the_compare_record_flattened(capsys):
    p = Point((("devices", "1"), ("routing", "zipf 1.2"), ("hw.link.bandwidth", "5GB/s")), "heft")
    row = run_point(Job(load(TOY), settings=("tokens=32",)), p)
    assert main(["compare", TOY, "-s", "heft", "--json", "--set", "devices=1", "--set",
                 "routing=zipf 1.2", "--set", "hw.link.bandwidth=5GB/s", "--set", "tokens=32"]) == 0
    want = json.loads(capsys.readouterr().out)
    r = want["results"][0]
    assert (row["devices"], row["routing"], row["scheduler"]) == ("1", "zipf 1.2", "heft")
    for k in ("status", "makespan_ns", "predicted_makespan_ns", "lower_bound_ns", "kernels",
              "exposed_comm_ns", "comm_ns"):
        assert row[k] == r[k], k
    assert row["utilization.MX"] == r["utilization"]["MX"] and row["tasks"] == want["tasks"]
    assert row["error"] is None and row["seconds"] > 0 and row["peak_rss_bytes"] > 0


def test_an_invalid_point_is_a_row_with_the_language_message():
    row = run_point(Job(load(TOY)), Point((("devices", "3"),), "serial"))
    assert row["status"] == ERROR and row["devices"] == "3"
    assert "experts 4 is not divisible by devices 3" in row["error"]
    row = run_point(Job(load(TOY)), Point((("hw.link.bandwidth", "5"),), "serial"))
    assert "link bandwidth needs a bandwidth unit" in row["error"]
    row = run_point(Job(load(TOY)), Point((("target", "nope"),), "serial"))
    assert "no tiling or graph named 'nope'" in row["error"]


def test_a_scheduler_that_refuses_the_graph_is_a_failed_row():
    row = run_point(Job(load(TOY), max_z3_tasks=10), Point((), "z3"))
    assert row["status"] == ERROR and "z3" in row["error"]


def test_extra_columns_come_from_the_study_function():
    def extra(graph, machine, run):
        return {"ops": len(graph.ops), "emulated": run.result is not None}

    row = run_point(Job(load(TOY), extra=extra), Point((), "serial"))
    assert (row["ops"], row["emulated"]) == (5, True)
