"""Plan lowering: streams, events, waits and barriers from a schedule."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from hpdsl.machine import Machine
from hpdsl.plan import check_plan, load_plan, lower, plan_to_json
from hpdsl.schedule import Schedule
from plan_cases import explicit, hardware, list_schedule, local_then_send, one_queue_fanin


def test_list_schedule_is_valid_and_asap():
    hw = hardware(cores=(("C", 1), ("D", 1)), launch=7)
    g = explicit(hw, [5, 3, 2], [(0, 1), (0, 2)], ["C", "D", "C"])
    s = list_schedule(g, Machine.of(hw))
    assert s.start.tolist() == [7, 12, 12] and s.makespan == 15


def test_one_wait_per_producer_queue_keeps_latest():
    hw, g, m, s = one_queue_fanin()
    p = lower(g, m, s)
    assert p.stream(0) == [("exec", 0, 0), ("signal", 0, 1), ("exec", 1, 0), ("signal", 0, 2)]
    assert p.stream(1) == [("wait", 0, 2), ("exec", 2, 0)]
    assert p.event_names == ("d0.C0.q>d0",)
    assert p.header.makespan_ns == 11 and p.header.scheduler == "m"
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


def test_sends_use_a_counter_of_their_own_on_a_device():
    hw, g, m, s = local_then_send()
    p = lower(g, m, s)
    assert p.event_names == ("d0.C0.q>d0", "d0.C0.q>d0+data")
    assert p.stream(0) == [("exec", 0, 0), ("signal", 0, 1), ("exec", 1, 0), ("signal", 1, 1)]


def test_kernels_lower_to_barriers_in_every_queue():
    hw, g, m, s = one_queue_fanin()
    s = replace(s, kernel=np.array([0, 0, 1], np.int32))
    p = lower(g, m, s)
    assert p.n_events == 0
    assert p.stream(0) == [("exec", 0, 0), ("exec", 1, 0), ("barrier", 1, 0)]
    assert p.stream(1) == [("barrier", 1, 0), ("exec", 2, 0)]
    assert check_plan(p, g, m) == []
    assert '{"op": "barrier", "kernel": 1}' in plan_to_json(p)


def test_a_schedule_out_of_order_is_a_bug_not_a_user_error():
    hw, g, m, s = one_queue_fanin()
    with pytest.raises(ValueError, match="schedule puts a task in an earlier kernel than its "
                                         "dependency"):
        lower(g, m, replace(s, kernel=np.array([1, 1, 0], np.int32)))


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
    assert np.array_equal(p.exec_queue(g.n_tasks), s.worker)
    # no queue waits twice on one event for a count it already had
    for q in range(len(p.queues)):
        seen = {}
        for op, ev, c in p.stream(q):
            if op == "wait":
                assert c > seen.get(ev, 0)
                seen[ev] = c
