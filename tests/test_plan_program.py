"""The plan value and its per-instruction queries."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from hpdsl.machine import Machine
from hpdsl.plan import BARRIER, EXEC, SIGNAL, WAIT, Plan, lower
from plan_cases import explicit, hardware, list_schedule, one_queue_fanin


def small():
    """q0: exec 0, signal E, barrier, exec 2; q1: wait E 1, exec 1, barrier; q2: barrier."""
    return Plan(queues=("q0", "q1", "q2"), ptr=[0, 4, 7, 8],
                code=[EXEC, SIGNAL, BARRIER, EXEC, WAIT, EXEC, BARRIER, BARRIER],
                arg=[0, 0, 1, 2, 0, 1, 1, 1], count=[0, 1, 0, 0, 1, 0, 0, 0],
                event_names=("E",), event_device=[0], event_flag=[3])


def test_queries():
    p = small()
    assert p.n_instructions == 8 and p.n_events == 1
    assert p.instruction_queue().tolist() == [0, 0, 0, 0, 1, 1, 1, 2]
    assert p.barriers_before().tolist() == [0, 0, 0, 1, 0, 0, 0, 0]
    assert p.previous_exec().tolist() == [0, 0, 0, 3, -1, 5, 5, -1]
    assert p.exec_index(4).tolist() == [0, 5, 3, -1]
    assert p.exec_queue(4).tolist() == [0, 1, 0, -1]
    assert p.exec_kernel(4).tolist() == [0, 0, 1, 0]
    assert p.signals_per_event().tolist() == [1]
    assert p.stream(1) == [("wait", 0, 1), ("exec", 1, 0), ("barrier", 1, 0)]
    assert p.flags_needed() == 1


def test_a_plan_is_immutable_and_typed():
    p = small()
    assert p.code.dtype == np.int8 and p.ptr.dtype == np.int64 and p.event_base.tolist() == [0]
    with pytest.raises(ValueError):
        p.code[0] = WAIT


def test_an_empty_plan():
    p = Plan(queues=("q0",), ptr=[0, 0], code=[], arg=[], count=[], event_names=(),
             event_device=[], event_flag=[])
    assert p.barriers_before().tolist() == [] and p.previous_exec().tolist() == []
    assert p.exec_queue(2).tolist() == [-1, -1] and p.exec_kernel(2).tolist() == [0, 0]
    assert p.flags_needed() == 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 2), min_size=3, max_size=3))
def test_lowered_plans_answer_the_schedule(kernels):
    hw, g, m, s = one_queue_fanin()
    k = np.maximum.accumulate(kernels)          # dependencies never go to an earlier kernel
    s = replace(s, kernel=np.array(k, np.int32))
    p = lower(g, m, s)
    assert p.exec_queue(3).tolist() == s.worker.tolist()
    rank = np.searchsorted(np.unique(k), k)
    assert p.exec_kernel(3).tolist() == rank.tolist()
    at = p.exec_index(3)
    assert p.code[at].tolist() == [EXEC] * 3 and p.arg[at].tolist() == [0, 1, 2]
    prev = p.previous_exec()
    sig = np.flatnonzero(p.code == SIGNAL)
    assert np.all(p.code[prev[sig]] == EXEC)     # every signal follows an exec of its queue


def test_list_schedules_lower_to_every_queue_of_the_machine():
    hw = hardware(cores=(("C", 2), ("D", 1)))
    g = explicit(hw, [1, 2, 3], [(0, 2)], ["C", "C", "D"])
    m = Machine.of(hw)
    p = lower(g, m, list_schedule(g, m))
    assert p.queues == ("d0.C0.q", "d0.C1.q", "d0.D0.q") and p.ptr[-1] == p.n_instructions
