"""Plan JSON: `plan_to_json` and `load_plan`, whose every message is pinned here."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from hpdsl.errors import UserError
from hpdsl.machine import Machine
from hpdsl.plan import load_plan, lower, plan_to_json
from plan_cases import explicit, hardware, one_queue_fanin, relay


def test_json_round_trip():
    hw, g, m, s = one_queue_fanin()
    p = lower(g, m, s)
    q = load_plan(plan_to_json(p), g, m, "p.json")
    for a in ("ptr", "code", "arg", "count", "event_device", "event_flag", "event_base"):
        assert np.array_equal(getattr(p, a), getattr(q, a)), a
    assert q.event_names == p.event_names and q.header == p.header
    assert json.loads(plan_to_json(p))["schedule"]["makespan_ns"] == 11


def test_json_text_is_one_line_per_queue():
    hw, g, m, s = one_queue_fanin()
    assert plan_to_json(lower(g, m, s)) == (
        '{"version": 1,\n "queues": {\n'
        '    "d0.C0.q": [{"op": "exec", "task": 0}, {"op": "signal", "event": "d0.C0.q>d0"}, '
        '{"op": "exec", "task": 1}, {"op": "signal", "event": "d0.C0.q>d0"}],\n'
        '    "d0.C1.q": [{"op": "wait", "event": "d0.C0.q>d0", "count": 2}, {"op": "exec", "task": 2}]\n'
        ' },\n "events": {\n    "d0.C0.q>d0": {"device": 0, "flag": 0}\n },\n'
        ' "schedule": {"scheduler": "m", "status": "feasible", "makespan_ns": 11, '
        '"lower_bound_ns": 0, "solve_seconds": 0.0}}\n')


def test_bases_survive_json_and_bad_ones_are_user_errors():
    hw, g, m, s = relay()
    p = lower(g, m, s, share_flags=True)
    text = plan_to_json(p)
    assert '"base": 1' in text
    assert load_plan(text, g, m).event_base.tolist() == [0, 1]
    with pytest.raises(UserError, match=r"plan.json: error: event 'd0.C1.q>d0' has \"base\" -1; "
                                        r"it must be a non-negative integer \(the flag count the "
                                        r"event starts from\)"):
        load_plan(text.replace('"base": 1', '"base": -1'), g, m, "plan.json")

def _doc():
    hw, g, m, s = one_queue_fanin()
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




@pytest.mark.parametrize("doc, message", [
    ([], "a plan must be a JSON object with 'version', 'queues' and 'events'"),
    ({"version": 1, "queues": {}, "events": []},
     "'events' must be an object mapping event names to {device, flag}"),
    ({"version": 1, "queues": {}, "events": {"x": {"device": 0, "flag": -1}}},
     "event 'x' has negative flag -1"),
    ({"version": 1, "queues": {"d0.C0.q": {}}, "events": {}},
     "queue 'd0.C0.q' must be a list of instructions"),
    ({"version": 1, "queues": {}, "events": {}}, "task 0 (a) is never executed (and 2 more)"),
])
def test_load_plan_structure_errors(doc, message):
    g, m, _ = _doc()
    g = replace(g, task_names=("a", "b", "c"))
    with pytest.raises(UserError) as e:
        load_plan(json.dumps(doc), g, m, "p.json")
    assert str(e.value) == "p.json: error: " + message


# hand edits that once crashed the loader with a traceback, or were accepted
@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(version=True), "unsupported plan version true; this hpdsl reads version 1"),
    (lambda d: d.update(version=1.0), "unsupported plan version 1.0; this hpdsl reads version 1"),
    (lambda d: d["queues"]["d0.C1.q"].__setitem__(0, {"op": "wait", "event": {"a": 1}}),
     "queue 'd0.C1.q' instruction 0: unknown event {\"a\": 1}; declare it in \"events\" "
     "(valid: 'd0.C0.q>d0')"),
    (lambda d: d["queues"]["d0.C1.q"].__setitem__(0, {"op": "signal", "event": ["x"]}),
     "queue 'd0.C1.q' instruction 0: unknown event [\"x\"]; declare it in \"events\" "
     "(valid: 'd0.C0.q>d0')"),
    (lambda d: d["queues"]["d0.C1.q"].append({"op": "barrier", "kernel": 2**31}),
     "queue 'd0.C1.q' instruction 2: a barrier's \"kernel\" 2147483648 is above the limit of "
     "2147483647"),
    (lambda d: d["queues"]["d0.C1.q"].append({"op": "barrier", "kernel": 10**30}),
     "queue 'd0.C1.q' instruction 2: a barrier's \"kernel\" 1000000000000000000000000000000 is "
     "above the limit of 2147483647"),
    (lambda d: d["queues"]["d0.C1.q"].append({"op": "exec", "task": 10**30}),
     "queue 'd0.C1.q' instruction 2: unknown task 1000000000000000000000000000000; task ids "
     "are 0..2"),
    (lambda d: d["events"].update({"x": {"device": 10**30, "flag": 0}}),
     "event 'x' lives on device 1000000000000000000000000000000, but the machine has devices 0..0"),
    (lambda d: d["events"].update({"x": {"device": True, "flag": 0}}),
     "event 'x' must be {\"device\": D, \"flag\": F} with integers"),
])
def test_load_plan_hostile_edits(edit, message):
    g, m, doc = _doc()
    edit(doc)
    with pytest.raises(UserError) as e:
        load_plan(json.dumps(doc), g, m, "p.json")
    assert str(e.value) == "p.json: error: " + message


def test_load_plan_integer_of_too_many_digits_is_located():
    # Python refuses to convert it with a ValueError that is no JSONDecodeError
    g, m, _ = _doc()
    text = '{"version": 1,\n "queues": {"d0.C0.q": [{"op": "exec", "task": ' + "9" * 5000 + "}]}}"
    with pytest.raises(UserError) as e:
        load_plan(text, g, m, "p.json")
    assert str(e.value) == "p.json:2:48: error: not a plan: an integer has more than 4300 digits"
