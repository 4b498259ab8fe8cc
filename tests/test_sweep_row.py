"""Sweep rows: a compare run record flattened, speedups over serial, the column order."""
from __future__ import annotations

from hpdsl.sweep.row import (
    CRASHED,
    ERROR,
    HEAD,
    MIDDLE,
    columns,
    crashed,
    failed,
    flatten,
    why_failed,
    with_speedups,
)

RECORD = {"scheduler": "heft", "status": "heuristic", "makespan_ns": 50, "predicted_makespan_ns": 48,
          "lower_bound_ns": 40, "gap": 0.2, "solve_seconds": 0.1, "emulate_seconds": 0.2,
          "utilization": {"AIC": 0.5, "AIV": 0.25}, "violations": [{"kind": "x"}],
          "exposed_comm_ns": 3, "comm_ns": 9, "kernels": 1, "error": None, "why": ["..."],
          "ops": [{"op": "up"}], "notes": []}


def test_flatten_keeps_the_scalar_fields_and_spreads_utilization():
    row = flatten(RECORD)
    assert row["makespan_ns"] == 50 and row["gap"] == 0.2 and row["violations"] == 1
    assert (row["utilization.AIC"], row["utilization.AIV"]) == (0.5, 0.25)
    assert "why" not in row and "ops" not in row
    assert row["weights_hbm_bytes"] is None   # an emulator that reports no traffic: empty


def test_weight_traffic_is_summed_over_ops_when_the_record_has_it():
    traffic = {"up": {"weights_hbm_bytes": 100, "activations_hbm_bytes": 7},
               "down": {"weights_hbm_bytes": 20, "l2_hit_bytes": 3}}
    assert flatten({**RECORD, "traffic": traffic})["weights_hbm_bytes"] == 120


def test_a_run_with_an_error_is_a_failed_row():
    row = flatten({**RECORD, "status": "heuristic", "error": "needs 20 flags"})
    assert row["status"] == ERROR and failed(row) and why_failed(row) == "needs 20 flags"
    c = crashed({"devices": "2"}, "heft", "the worker died")
    assert c == {"devices": "2", "scheduler": "heft", "status": CRASHED, "error": "the worker died"}
    assert failed(c) and why_failed(c) == "crashed: the worker died" and not failed(flatten(RECORD))


def test_speedups_come_from_the_serial_row_of_the_same_grid_values():
    rows = [{"d": "1", "scheduler": "serial", "status": "baseline", "makespan_ns": 100},
            {"d": "1", "scheduler": "heft", "status": "heuristic", "makespan_ns": 40},
            {"d": "2", "scheduler": "serial", "status": ERROR, "makespan_ns": None},
            {"d": "2", "scheduler": "heft", "status": "heuristic", "makespan_ns": 40},
            {"d": "3", "scheduler": "heft", "status": "heuristic", "makespan_ns": 40}]
    out = with_speedups(rows, ("d",))
    assert [r["speedup_vs_serial"] for r in out] == [1.0, 2.5, None, None, None]
    assert "speedup_vs_serial" not in rows[0]   # a new list of new rows


def test_columns_order_grid_keys_head_cores_middle_extras_error():
    rows = [{"b": "x", "a": "y", "scheduler": "s", "utilization.MX": 1, "zeta": 1, "error": None},
            {"utilization.VX": 2, "alpha": 3}]
    cols = columns(("b", "a"), rows)
    assert cols == (["b", "a"] + list(HEAD) + ["utilization.MX", "utilization.VX"] + list(MIDDLE)
                    + ["zeta", "alpha", "error"])
