"""Plan lowering, the plan JSON loader and the static plan checker."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from hpdsl.errors import UserError
from hpdsl.machine import Machine
from hpdsl.plan import EXEC, WAIT, Plan, lower
from hpdsl.plan import check_plan
from hpdsl.plan import load_plan, plan_to_json
from hpdsl.schedule import Schedule
from plan_cases import explicit, hardware, list_schedule


def fanin():
    """a, b on C0 (in that order) and c on C1 after both: one wait covers both."""
    hw = hardware(cores=(("C", 2),))
    g = explicit(hw, [5, 5, 1], [(0, 2), (1, 2)], ["C", "C", "C"])
    m = Machine.of(hw)
    s = Schedule("m", "feasible", np.array([0, 0, 1], np.int32), np.array([0, 5, 10]),
                 np.array([5, 10, 11]))
    return hw, g, m, s


def test_one_wait_per_producer_queue_keeps_latest():
    hw, g, m, s = fanin()
    p = lower(g, m, s)
    assert p.stream(0) == [("exec", 0, 0), ("signal", 0, 1), ("exec", 1, 0), ("signal", 0, 2)]
    assert p.stream(1) == [("wait", 0, 2), ("exec", 2, 0)]
    assert check_plan(p, g, m) == []


def test_wait_implied_by_earlier_wait_on_same_queue_is_dropped():
    hw = hardware(cores=(("C", 2),))
    # a on C0; b and c on C1 both need a: only b waits
    g = explicit(hw, [5, 1, 1], [(0, 1), (0, 2)], ["C"] * 3)
    m = Machine.of(hw)
    s = Schedule("m", "feasible", np.array([0, 1, 1], np.int32), np.array([0, 5, 6]), np.array([5, 6, 7]))
    p = lower(g, m, s)
    assert [i[0] for i in p.stream(1)] == ["wait", "exec", "exec"]


def test_same_queue_dependencies_need_no_events():
    hw = hardware(cores=(("C", 1),))
    g = explicit(hw, [1, 1], [(0, 1)], ["C", "C"])
    p = lower(g, Machine.of(hw), list_schedule(g, Machine.of(hw)))
    assert p.n_events == 0 and p.stream(0) == [("exec", 0, 0), ("exec", 1, 0)]


def test_too_few_flags_is_a_user_error():
    hw, g, m, s = fanin()
    hw1 = replace(hw, sync_flags=0)
    with pytest.raises(UserError, match=r"the plan needs 1 sync flags on device 0 but hardware "
                                        r"'H' has 0 per device"):
        lower(g, Machine.of(hw1), s)


def test_kernels_lower_to_barriers_in_every_queue():
    hw, g, m, s = fanin()
    s = replace(s, kernel=np.array([0, 0, 1], np.int32))
    p = lower(g, m, s)
    assert p.n_events == 0
    assert p.stream(0) == [("exec", 0, 0), ("exec", 1, 0), ("barrier", 1, 0)]
    assert p.stream(1) == [("barrier", 1, 0), ("exec", 2, 0)]
    assert check_plan(p, g, m) == []
    assert '{"op": "barrier", "kernel": 1}' in plan_to_json(p)


def test_json_round_trip():
    hw, g, m, s = fanin()
    p = lower(g, m, s)
    q = load_plan(plan_to_json(p), g, m, "p.json")
    for a in ("ptr", "code", "arg", "count", "event_device", "event_flag"):
        assert np.array_equal(getattr(p, a), getattr(q, a)), a
    assert q.event_names == p.event_names and q.header == p.header
    assert json.loads(plan_to_json(p))["schedule"]["makespan_ns"] == 11


def _doc():
    hw, g, m, s = fanin()
    return g, m, json.loads(plan_to_json(lower(g, m, s)))


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(version=2), "p.json: error: unsupported plan version 2; this hpdsl reads version 1"),
    (lambda d: d["queues"].update({"d0.C1.x": []}), "unknown queue 'd0.C1.x' (did you mean 'd0.C1.q'?"),
    (lambda d: d["queues"]["d0.C1.q"].append({"op": "jump"}),
     "queue 'd0.C1.q' instruction 2: expected an object with \"op\" one of exec, wait, signal, barrier, found \"jump\""),
    (lambda d: d["queues"]["d0.C1.q"].append({"op": "exec", "task": 7}),
     "queue 'd0.C1.q' instruction 2: unknown task 7; task ids are 0..2"),
    (lambda d: d["queues"]["d0.C1.q"].append({"op": "exec", "task": 0}),
     "queue 'd0.C1.q' instruction 2: task 0 (a) is executed twice; it is already executed at queue 'd0.C0.q' instruction 0"),
    (lambda d: d["queues"]["d0.C1.q"].pop(), "task 2 (c) is never executed"),
    (lambda d: d["queues"]["d0.C1.q"].__setitem__(0, {"op": "wait", "event": "nope", "count": 1}),
     "queue 'd0.C1.q' instruction 0: unknown event \"nope\"; declare it in \"events\""),
    (lambda d: d["queues"]["d0.C1.q"].__setitem__(0, {"op": "wait", "event": "d0.C0.q>d0", "count": 0}),
     "queue 'd0.C1.q' instruction 0: a wait's \"count\" must be a positive integer, found 0"),
    (lambda d: d["queues"]["d0.C1.q"].append({"op": "barrier"}),
     "queue 'd0.C1.q' instruction 2: a barrier needs a non-negative integer \"kernel\""),
    (lambda d: d["events"].update({"x": {"device": 3, "flag": 0}}),
     "event 'x' lives on device 3, but the machine has devices 0..0"),
    (lambda d: d["events"].update({"x": {"device": 0}}),
     "event 'x' must be {\"device\": D, \"flag\": F} with integers"),
    (lambda d: d.update(queues=[]), "'queues' must be an object mapping queue names to instruction lists"),
    # hand edits that once crashed the loader
    (lambda d: d["queues"]["d0.C1.q"].__setitem__(0, {"op": "wait", "event": "d0.C0.q>d0", "count": 10**12}),
     "queue 'd0.C1.q' instruction 0: a wait's \"count\" 1000000000000 is above the limit of 2147483647"),
    (lambda d: d["events"].update({"x": {"device": 0, "flag": 10**15}}),
     "event 'x' uses flag 1000000000000000, but hardware 'H' has 16 sync flags per device (flags 0..15)"),
    (lambda d: d["events"].update({"x": {"device": 0, "flag": 0, "base": 10**30}}),
     "event 'x' has \"base\" 1000000000000000000000000000000; it must be a non-negative integer"),
    (lambda d: d.update(schedule="x"), "\"schedule\" must be an object, found \"x\""),
    (lambda d: d["schedule"].update(makespan_ns="x"),
     "\"schedule\" field \"makespan_ns\" must be a non-negative integer, found \"x\""),
    (lambda d: d["schedule"].update(lower_bound_ns=-5),
     "\"schedule\" field \"lower_bound_ns\" must be a non-negative integer, found -5"),
    (lambda d: d["schedule"].update(makespan_ns=10**400),
     "\"schedule\" field \"makespan_ns\" must be a non-negative integer, found 1000000000"),
    (lambda d: d["schedule"].update(status=3), "\"schedule\" field \"status\" must be a string, found 3"),
    (lambda d: d["schedule"].update(solve_seconds=[]),
     "\"schedule\" field \"solve_seconds\" must be a non-negative number, found []"),
])
def test_load_plan_errors(edit, message):
    g, m, doc = _doc()
    g = replace(g, task_names=("a", "b", "c"))
    edit(doc)
    with pytest.raises(UserError) as e:
        load_plan(json.dumps(doc), g, m, "p.json")
    assert message in str(e.value)
    assert str(e.value).startswith("p.json: error: ")


def test_unknown_queue_on_a_big_machine_names_the_nearest_only():
    hw = hardware(cores=(("C", 30),))
    g = explicit(hw, [1], [], ["C"])
    doc = {"version": 1, "queues": {"d0.C29.x": []}, "events": {}}
    with pytest.raises(UserError) as e:
        load_plan(json.dumps(doc), g, Machine.of(hw), "p.json")
    assert str(e.value) == ("p.json: error: unknown queue 'd0.C29.x' (did you mean 'd0.C29.q'?) "
                            "(queues are named d<device>.<core><instance>.<queue>, e.g. 'd0.C0.q')")


def test_load_plan_bad_json_is_located():
    g, m, _ = _doc()
    with pytest.raises(UserError, match=r"p.json:1:2: error: not valid JSON"):
        load_plan("{oops", g, m, "p.json")


def test_load_plan_deeply_nested_json_is_a_user_error():
    g, m, _ = _doc()
    with pytest.raises(UserError, match=r"^p.json: error: not a plan: the JSON is nested too deeply$"):
        load_plan("[" * 100_000 + "]" * 100_000, g, m, "p.json")


def test_load_plan_rejects_task_on_wrong_core():
    hw = hardware(cores=(("C", 1), ("D", 1)))
    g = explicit(hw, [1], [], ["C"])
    m = Machine.of(hw)
    doc = {"version": 1, "queues": {"d0.D0.q": [{"op": "exec", "task": 0}]}, "events": {}}
    with pytest.raises(UserError, match="instruction 0: task 0 .* cannot run on 'd0.D0.q'"):
        load_plan(json.dumps(doc), g, m, "p.json")


def test_check_plan_finds_a_removed_wait():
    hw, g, m, s = fanin()
    p = lower(g, m, s)
    keep = np.flatnonzero(p.code != WAIT)
    broken = replace(p, ptr=np.array([0, 4, 5]), code=p.code[keep], arg=p.arg[keep], count=p.count[keep])
    msgs = check_plan(broken, g, m)
    assert len(msgs) == 2 and all("has no signal after it that the consumer's queue waits for" in x for x in msgs)


def test_check_plan_count_too_low_is_caught():
    hw, g, m, s = fanin()
    p = lower(g, m, s)
    cnt = p.count.copy()
    cnt[p.code == WAIT] = 1          # covers a, but not b
    msgs = check_plan(replace(p, count=cnt), g, m)
    assert len(msgs) == 1 and "task 1" in msgs[0]


def test_check_plan_wrong_order_on_one_queue():
    hw = hardware(cores=(("C", 1),))
    g = explicit(hw, [1, 1], [(0, 1)], ["C", "C"])
    m = Machine.of(hw)
    p = Plan(queues=("d0.C0.q",), ptr=np.array([0, 2]), code=np.array([EXEC, EXEC]),
             arg=np.array([1, 0]), count=np.zeros(2), event_names=(), event_device=np.zeros(0),
             event_flag=np.zeros(0))
    assert "executes it after the task that needs it" in check_plan(p, g, m)[0]


@st.composite
def dags(draw):
    n = draw(st.integers(1, 14))
    edges = [(u, v) for v in range(n) for u in range(v) if draw(st.booleans()) and draw(st.booleans())]
    cores = [draw(st.sampled_from("CD")) for _ in range(n)]
    times = [draw(st.integers(0, 9)) for _ in range(n)]
    return times, edges, cores, draw(st.integers(1, 3)), draw(st.integers(0, 1000))


@settings(max_examples=60, deadline=None)
@given(dags())
def test_lowered_plans_pass_the_checker_and_round_trip(case):
    times, edges, cores, k, seed = case
    hw = hardware(cores=(("C", k), ("D", 2)))
    g = explicit(hw, times, edges, cores)
    m = Machine.of(hw)
    rng = np.random.default_rng(seed)
    s = list_schedule(g, m, pick=lambda t, ok, free: ok[rng.integers(len(ok))])
    p = lower(g, m, s)
    assert check_plan(p, g, m) == []
    assert np.array_equal(load_plan(plan_to_json(p), g, m).code, p.code)
    # no queue waits twice on one event for a count it already had
    for q in range(len(p.queues)):
        seen = {}
        for op, ev, c in p.stream(q):
            if op == "wait":
                assert c > seen.get(ev, 0)
                seen[ev] = c
