"""The shape every lowered plan has, which a plan file must have too (`hpdsl.plan.shape`,
run by `validate` for every format); each message pinned here. The cases are decoded
arrays, as any reader hands them over."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from hpdsl.errors import Loc, UserError
from hpdsl.plan import BARRIER, lower
from hpdsl.plan.program import PlanHeader
from hpdsl.plan.validate import Decoded, validate
from plan_cases import local_then_send, one_queue_fanin


def _decoded(p) -> Decoded:
    a = lambda v: np.array(v, np.int64)
    return Decoded(p.queues, a(p.ptr), a(p.code), a(p.arg), a(p.count), p.event_names,
                   a(p.event_device), a(p.event_flag), a(p.event_base), PlanHeader())


def _fails(d: Decoded, g, m) -> str:
    with pytest.raises(UserError) as e:
        validate(d, g, m, Loc("p.npz"))
    return str(e.value).removeprefix("p.npz: error: ")


def _kernels():
    """a, b on C0 in kernel 0 and c on C1 in kernel 1: a barrier in each queue."""
    hw, g, m, s = one_queue_fanin()
    return g, m, _decoded(lower(g, m, replace(s, kernel=np.array([0, 0, 1], np.int32))))


def test_barrier_kernels_rise_and_match_in_every_queue():
    g, m, d = _kernels()
    assert validate(d, g, m, Loc("p")).stream(0)[-1] == ("barrier", 1, 0)
    # a kernel repeated: its barrier twice in queue 0 (and queue 1 then has fewer)
    code, arg = np.r_[d.code[:3], BARRIER, d.code[3:]], np.r_[d.arg[:3], 1, d.arg[3:]]
    twice = d._replace(code=code, arg=arg, count=np.zeros(len(code), np.int64),
                       ptr=np.array([0, 4, 6]))
    assert _fails(twice, g, m) == ("queue 'd0.C1.q' has 1 barriers, queue 'd0.C0.q' has 2; "
                                   "every queue must reach every barrier")
    code, arg = np.r_[code[:4], BARRIER, code[4:]], np.r_[arg[:4], 1, arg[4:]]
    both = d._replace(code=code, arg=arg, count=np.zeros(len(code), np.int64),
                      ptr=np.array([0, 4, 7]))
    assert _fails(both, g, m) == ("queue 'd0.C0.q' instruction 3: barrier kernel 1 follows "
                                  "kernel 1; kernel numbers rise along a queue (each kernel "
                                  "starts once)")
    # another kernel number in one queue
    arg = d.arg.copy()
    arg[3] = 5
    assert _fails(d._replace(arg=arg), g, m) == (
        "queue 'd0.C1.q' instruction 0: barrier 0 starts kernel 5, but barrier 0 of queue "
        "'d0.C0.q' starts kernel 1; every queue holds the same barriers")


def test_a_wait_on_another_devices_counter_is_refused():
    hw, g, m, s = local_then_send()
    d = _decoded(lower(g, m, s))
    assert validate(d, g, m, Loc("p")).n_events == 2
    moved = d._replace(event_device=np.array([1, 0], np.int64))
    assert _fails(moved, g, m) == (
        "queue 'd0.C1.q' instruction 0: waits for event 'd0.C0.q>d0', which lives on device 1; "
        "a queue waits only for counters on its own device (lowering puts each event on the "
        "device of the queues that wait for it)")


def test_an_event_nothing_uses_is_refused():
    hw, g, m, s = one_queue_fanin()
    d = _decoded(lower(g, m, s))
    z = np.zeros(1, np.int64)
    extra = d._replace(event_names=d.event_names + ("x",), event_device=np.r_[d.event_device, z],
                       event_flag=np.r_[d.event_flag, z], event_base=np.r_[d.event_base, z])
    assert _fails(extra, g, m) == ("event 'x' is declared, but no instruction signals or waits "
                                   "for it")
