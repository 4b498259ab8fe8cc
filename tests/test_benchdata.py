"""Job shop and STG converters: through the real language and generator."""
import pytest

from hpdsl.benchdata import (jobshop_hpm, jssp_optima, parse_jobshop, parse_stg, stg_hpm,
                             stg_optima)
from hpdsl.errors import UserError
from hpdsl.generate import generate
from hpdsl.lang import checked_target, loads
from hpdsl.machine import Machine
from hpdsl.solvers import Options, run
from solvers_graphs import BENCHDATA

needs_data = pytest.mark.skipif(not BENCHDATA.exists(), reason="benchmark data set absent")

TINY = "# two jobs\n2 2\n0 3 1 4\n1 2 0 5\n"
STG = "3\n0 0 0\n1 4 1 0\n2 2 1 0\n3 5 2 1 2\n4 0 1 3\n# meta\n"


def test_jobshop_round_trips_through_the_language():
    js = parse_jobshop(TINY, "tiny")
    assert js.jobs == (((0, 3), (1, 4)), ((1, 2), (0, 5)))
    g = generate(checked_target(loads(jobshop_hpm(js), "tiny.hpm"), None))
    assert g.n_tasks == 4 and g.n_edges == 2
    assert sorted(g.fixed_ns.tolist()) == [2000, 3000, 4000, 5000]
    s = run("z3", g, Machine.of(g.hardware, g.devices))
    assert s.makespan == 8000 and s.status == "optimal"


def test_stg_keeps_the_dummies_and_the_edges():
    st = parse_stg(STG, "s")
    assert st.times == (0, 4, 2, 5, 0) and st.preds[3] == (1, 2)
    g = generate(checked_target(loads(stg_hpm(st, 2), "s.hpm"), None))
    assert g.n_tasks == 5 and g.n_edges == 5
    s = run("heft", g, Machine.of(g.hardware, g.devices))
    assert s.makespan == 9000


@pytest.mark.parametrize("text, message", [
    ("2\n", "a job shop instance starts with a line 'jobs machines'"),
    ("2 2\n0 3 1 4\n", "expected 2 job lines, found 1"),
    ("1 2\n0 3 1\n", "a job line holds 2 pairs 'machine duration', found 3 numbers"),
    ("1 2\n0 3 2 4\n", r"machine 2 with duration 4 is out of range \(machines 0..1, durations >= 0\)"),
    ("1 x\n", "expected integers, found '1 x'"),
])
def test_jobshop_format_errors(text, message):
    with pytest.raises(UserError, match=message):
        parse_jobshop(text, "bad", "bad.txt")


@pytest.mark.parametrize("text, message", [
    ("1 2\n", "an STG file starts with a line holding the task count"),
    ("2\n0 0 0\n1 1 1 0\n", r"expected 4 task lines \(with the two dummies\), found 2"),
    ("1\n0 0 0\n1 1 2 0\n2 0 1 1\n", "expected 'id time n_preds preds...' for task 1"),
    ("1\n0 0 0\n1 1 1 2\n2 0 1 1\n", "task 1 names a predecessor that is not an earlier task"),
])
def test_stg_format_errors(text, message):
    with pytest.raises(UserError, match=message):
        parse_stg(text, "bad", "bad.stg")


def test_errors_are_located():
    with pytest.raises(UserError) as e:
        parse_jobshop("1 2\n0 3 1\n", "bad", "bad.txt")
    assert str(e.value).startswith("bad.txt:2:1: error:")


@needs_data
def test_optima_tables_read():
    js = jssp_optima(BENCHDATA / "jssp_optima.csv")
    assert js["ft06"]["optimum"] == 55 and js["la16"]["optimum"] == 945
    assert js["abz8"]["optimum"] is None and js["abz8"]["lb"] == 648
    opt = stg_optima(BENCHDATA / "stg/optimal/Case50_2_OPT.csv")
    assert opt["50/rand0000.stg"] == (131, 131)
    assert len(opt) == 180


@needs_data
def test_ft06_through_the_language_is_solved_to_optimum():
    js = parse_jobshop((BENCHDATA / "jsplib/instances/ft06").read_text(), "ft06")
    g = generate(checked_target(loads(jobshop_hpm(js), "ft06.hpm"), None))
    s = run("z3", g, Machine.of(g.hardware, g.devices), Options(time_limit=60))
    assert s.makespan == 55_000 and s.status == "optimal"
