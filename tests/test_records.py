"""The result records of DESIGN §7: the common fields, what each command adds, failed runs."""
from __future__ import annotations

from pathlib import Path

import pytest

from hpdsl.compare import Comparison, Run
from hpdsl.emulator import emulate
from hpdsl.generate import generate
from hpdsl.lang import checked_target, load
from hpdsl.machine import Machine
from hpdsl.plan import PlanHeader, lower
from hpdsl.records import Claim, comparison_record, emulate_record, run_record, schedule_record
from hpdsl.solvers import run

DIAMOND = str(Path(__file__).resolve().parents[1] / "examples" / "diamond.hpm")
COMMON = ["scheduler", "status", "makespan_ns", "predicted_makespan_ns", "lower_bound_ns",
          "solve_seconds", "utilization", "violations"]


@pytest.fixture(scope="module")
def fifo():
    """The diamond (load 2 us on CPU; left 5 and side 4 on ACC; right 3 and merge 1 on CPU)
    scheduled by fifo: CPU load 0-2, right 2-5, merge 9-10; ACC side 0-4, left 4-9."""
    g = generate(checked_target(load(DIAMOND), None))
    m = Machine.of(g.hardware)
    return g, m, run("fifo", g, m)


def test_schedule_record(fifo):
    g, m, s = fifo
    r = schedule_record(g, m, s)
    assert list(r)[:len(COMMON)] == COMMON
    assert (r["scheduler"], r["status"], r["makespan_ns"], r["predicted_makespan_ns"],
            r["lower_bound_ns"]) == ("fifo", "heuristic", 10_000, 10_000, 10_000)
    # CPU busy 2 + 3 + 1 = 6 us, ACC 4 + 5 = 9 us, of 10 us
    assert r["utilization"] == {"CPU": 0.6, "ACC": 0.9}
    assert r["violations"] == [] and r["tasks"] == 5 and r["notes"] == list(s.notes)
    assert r["solve_seconds"] == round(s.solve_seconds, 6)


def test_emulate_record_puts_the_plan_checkers_messages_first(fifo):
    g, m, s = fifo
    plan = lower(g, m, s)
    res = emulate(g, m, plan)
    r = emulate_record(plan.header, res, ["queue d0.CPU0.q waits for nothing"])
    assert list(r)[:len(COMMON)] == COMMON
    assert r["makespan_ns"] == r["predicted_makespan_ns"] == 10_000
    assert r["prediction_error"] is None   # an invalid plan's run measures no prediction
    assert emulate_record(plan.header, res, [])["prediction_error"] == 0.0
    assert r["utilization"] == schedule_record(g, m, s)["utilization"]
    assert r["violations"] == [{"kind": "plan", "severity": "error",
                                "message": "queue d0.CPU0.q waits for nothing"}]
    assert r["warnings"] == [] and r["exposed_comm_ns"] == 0
    assert r["starved_ns"] == {"CPU": 0.0, "ACC": 0.0}   # nothing ready waits beside an idle core
    assert r["ops"] == [{"op": "diamond", "first_start_ns": 0, "last_end_ns": 10_000,
                         "busy_ns": 15_000, "tasks": 5}]


def test_schedule_and_its_emulation_report_one_utilization():
    """One rule: where the emulation runs the plan as predicted, the two records agree to
    the last digit (list_gap's 33 us makespan makes shares like 15/33 that round)."""
    g = generate(checked_target(load(str(Path(DIAMOND).parent / "labs" / "list_gap.hpm")), None))
    m = Machine.of(g.hardware)
    s = run("dispatch", g, m)
    plan = lower(g, m, s)
    res = emulate(g, m, plan)
    assert res.makespan == s.makespan and (res.start == s.start).all()
    assert emulate_record(plan.header, res, [])["utilization"] == \
        schedule_record(g, m, s)["utilization"]


def test_a_plan_header_keeps_its_solve_time_unrounded():
    c = Claim.of_header(PlanHeader("heft", "heuristic", 12, 10, 0.123456789))
    assert c == Claim("heft", "heuristic", 12, 10, 0.123456789)


def test_a_failed_compare_run_keeps_the_common_fields(fifo):
    g, m, s = fifo
    c = Comparison(g, m, (Run("serial", schedule=s), Run("z3", error="too big")))
    ok, failed = (run_record(c, r) for r in c.runs)
    assert failed == {"scheduler": "z3", "status": "error", "makespan_ns": None,
                      "predicted_makespan_ns": None, "lower_bound_ns": None,
                      "solve_seconds": None, "utilization": {}, "violations": [],
                      "emulate_seconds": 0.0, "warnings": [], "error": "too big",
                      "speedup_vs_serial": None, "why": []}
    # not emulated: the predicted makespan stands in, no measurements
    assert ok["makespan_ns"] == 10_000 and ok["gap"] == 0.0 and "ops" not in ok
    d = comparison_record(c)
    assert d["results"] == [ok, failed] and (d["tasks"], d["edges"]) == (5, 5)
