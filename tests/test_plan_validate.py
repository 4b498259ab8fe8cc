"""The checks every plan format shares: the same mistake gives the same message in JSON and npz."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from hpdsl.errors import UserError
from hpdsl.plan import Plan, load_plan, load_plan_npz, lower, plan_to_json, plan_to_npz
from hpdsl.plan.validate import max_plan_bytes
from plan_cases import hardware, one_queue_fanin


def _broken(**arrays) -> Plan:
    """The fan-in plan with some arrays replaced: d0.C0.q = [exec 0, signal E, exec 1,
    signal E], d0.C1.q = [wait E 2, exec 2]."""
    hw, g, m, s = one_queue_fanin()
    return replace(lower(g, m, s), **{k: np.array(v) for k, v in arrays.items()})


@pytest.mark.parametrize("plan, message", [
    (_broken(arg=[0, 0, 7, 0, 0, 2]),
     "queue 'd0.C0.q' instruction 2: unknown task 7; task ids are 0..2"),
    (_broken(arg=[0, 0, 0, 0, 0, 2]),
     "queue 'd0.C0.q' instruction 2: task 0 (a) is executed twice; it is already executed at "
     "queue 'd0.C0.q' instruction 0"),
    (_broken(arg=[0, 0, 1, 0, 0, 1]),
     "queue 'd0.C1.q' instruction 1: task 1 (b) is executed twice; it is already executed at "
     "queue 'd0.C0.q' instruction 2"),
    (_broken(code=[0, 2, 2, 2, 1, 0], arg=[0, 0, 0, 0, 0, 2]), "task 1 (b) is never executed"),
    (_broken(count=[0, 1, 0, 2, 0, 0]),
     "queue 'd0.C1.q' instruction 0: a wait's \"count\" must be a positive integer, found 0"),
    (_broken(code=[0, 2, 0, 2, 3, 0], arg=[0, 0, 1, 0, -1, 2]),
     "queue 'd0.C1.q' instruction 0: a barrier needs a non-negative integer \"kernel\""),
    (_broken(event_device=[1]), "event 'd0.C0.q>d0' lives on device 1, but the machine has "
                                "devices 0..0"),
    (_broken(event_flag=[16]), "event 'd0.C0.q>d0' uses flag 16, but hardware 'H' has 16 sync "
                               "flags per device (flags 0..15)"),
    (_broken(event_flag=[-2]), "event 'd0.C0.q>d0' has negative flag -2"),
    (_broken(event_base=[-1]), "event 'd0.C0.q>d0' has \"base\" -1; it must be a non-negative "
                               "integer (the flag count the event starts from)"),
    # of two mistakes, the first in queue order: d0.C0.q's comes before d0.C1.q's
    (_broken(arg=[0, 0, 7, 0, 0, 2], count=[0, 1, 0, 2, 0, 0]),
     "queue 'd0.C0.q' instruction 2: unknown task 7"),
])
def test_json_and_npz_give_the_same_message(plan, message):
    hw, g, m, s = one_queue_fanin()
    g = replace(g, task_names=("a", "b", "c"))
    got = []
    for load, data in ((load_plan, plan_to_json(plan)), (load_plan_npz, plan_to_npz(plan))):
        with pytest.raises(UserError) as e:
            load(data, g, m, "p")
        got.append(str(e.value))
    assert got[0] == got[1]
    assert got[0].startswith("p: error: " + message)


EDITS = st.lists(st.one_of(
    st.tuples(st.sampled_from(["code", "arg", "count"]), st.integers(0, 5), st.integers(-2, 4)),
    st.tuples(st.sampled_from(["event_device", "event_flag", "event_base"]), st.just(0),
              st.sampled_from([-1, 0, 1, 2, 15, 16]))), max_size=3)


@settings(max_examples=80, deadline=None)
@given(edits=EDITS)
def test_any_edit_loads_alike_from_json_and_npz(edits):
    """Whatever a few edits make of the fan-in plan (within what JSON can write: waits and
    signals name a declared event), both formats load the same plan or fail alike."""
    arrays = {k: getattr(_broken(), k).tolist() for k in
              ("code", "arg", "count", "event_device", "event_flag", "event_base")}
    for field, i, v in edits:
        arrays[field][i] = min(max(v, 0), 3) if field == "code" else v
    arrays["arg"] = [0 if c in (1, 2) else a for c, a in zip(arrays["code"], arrays["arg"])]
    plan = _broken(**arrays)
    hw, g, m, s = one_queue_fanin()
    out = []
    for load, data in ((load_plan, plan_to_json(plan)), (load_plan_npz, plan_to_npz(plan))):
        try:
            q = load(data, g, m, "p")
            out.append([getattr(q, a).tolist() for a in ("ptr", "code", "arg", "count",
                                                         "event_device", "event_flag",
                                                         "event_base")])
        except UserError as e:
            out.append(str(e))
    assert out[0] == out[1]


def test_a_task_on_another_device_cannot_run():
    hw = hardware(cores=(("C", 1),))
    from hpdsl.machine import Machine
    from plan_cases import explicit

    g = explicit(hw, [1], [], ["C"], devices=2, device=[1])
    m = Machine.of(hw, 2)
    doc = {"version": 1, "queues": {"d0.C0.q": [{"op": "exec", "task": 0}]}, "events": {}}
    with pytest.raises(UserError, match=r"p: error: queue 'd0.C0.q' instruction 0: task 0 "
                                        r"\(t0\) cannot run on 'd0.C0.q'"):
        load_plan(json.dumps(doc), replace(g, task_names=("t0",)), m, "p")


def test_json_numbers_beyond_int64_are_quoted_as_written():
    hw, g, m, s = one_queue_fanin()
    doc = json.loads(plan_to_json(lower(g, m, s)))
    doc["queues"]["d0.C0.q"][0]["task"] = 10**30
    with pytest.raises(UserError, match=r"instruction 0: unknown task "
                                        r"1000000000000000000000000000000; task ids are 0..2"):
        load_plan(json.dumps(doc), g, m, "p")
    doc["queues"]["d0.C0.q"][0] = {"op": "barrier", "kernel": 2**31}
    with pytest.raises(UserError, match=r"instruction 0: a barrier's \"kernel\" 2147483648 is "
                                        r"above the limit of 2147483647"):
        load_plan(json.dumps(doc), g, m, "p")
    doc["queues"]["d0.C0.q"][0] = {"op": "exec", "task": 1.0}
    with pytest.raises(UserError, match=r"instruction 0: unknown task 1.0; task ids are 0..2"):
        load_plan(json.dumps(doc), g, m, "p")


def test_plan_files_are_bounded_by_the_task_count():
    assert max_plan_bytes(0) == 16 * 2**20
    assert max_plan_bytes(5) == 16 * 2**20 + 5 * 512
    assert max_plan_bytes(10**9) == 2**31
