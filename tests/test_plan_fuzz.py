"""Mutated plan JSON: every outcome is a loaded plan (which then checks and emulates) or a
UserError, never another exception, and the loader's memory stays bounded."""
from __future__ import annotations

import copy
import json
import tracemalloc

from hypothesis import HealthCheck, given, settings, strategies as st

from hpdsl.emulator import emulate
from hpdsl.errors import UserError
from hpdsl.lang import checked_target, load
from hpdsl.generate import generate
from hpdsl.machine import Machine
from hpdsl.plan import Plan, check_plan, load_plan, lower, plan_to_json
from hpdsl.solvers import Options, run

GRAPH = generate(checked_target(load("examples/toy.hpm"), None))
MACHINE = Machine.of(GRAPH.hardware, GRAPH.devices)
BASES = {name: json.loads(plan_to_json(lower(GRAPH, MACHINE, run(name, GRAPH, MACHINE, Options()))))
         for name in ("serial", "heft")}   # serial: barriers; heft: events across devices

VALUES = st.one_of(
    st.integers(-3, 60), st.sampled_from([2**31 - 1, 2**31, 2**63, -2**63 - 1, 10**30]),
    st.booleans(), st.none(), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["exec", "wait", "signal", "barrier", "d0.MX0.mx", "d0.MX0.mx>d0", "",
                     "x" * 200]),
    st.lists(st.integers(0, 3), max_size=3), st.dictionaries(st.sampled_from(["a", "op"]),
                                                             st.integers(0, 3), max_size=2))


def _places(doc):
    """(container, key) of every value in the document, in a fixed order."""
    out, todo = [], [doc]
    while todo:
        c = todo.pop()
        items = c.items() if isinstance(c, dict) else enumerate(c)
        for k, v in items:
            out.append((c, k))
            if isinstance(v, (dict, list)):
                todo.append(v)
    return out


@st.composite
def mutated(draw):
    doc = copy.deepcopy(BASES[draw(st.sampled_from(sorted(BASES)))])
    for _ in range(draw(st.integers(1, 4))):
        places = _places(doc)
        c, k = places[draw(st.integers(0, len(places) - 1))]
        op = draw(st.sampled_from(["replace", "delete", "duplicate", "move"]))
        if op == "replace":
            c[k] = draw(VALUES)
        elif op == "delete":
            del c[k]
        elif op == "duplicate" and isinstance(c, list):
            c.insert(k, copy.deepcopy(c[k]))
        elif op == "move" and isinstance(c, list) and len(c) > 1:
            c.insert(draw(st.integers(0, len(c) - 1)), c.pop(k))
    text = json.dumps(doc)
    if draw(st.integers(0, 9)) == 0:   # now and then, broken text
        i = draw(st.integers(0, len(text)))
        text = text[:i] + draw(st.sampled_from(["", "}", "[", "9" * 5000, "\x00", "NaN"])) + text[i + 1:]
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_plans_load_or_are_user_errors(text):
    tracemalloc.start()
    try:
        plan = load_plan(text, GRAPH, MACHINE, "p.json")
    except UserError as e:
        plan = None
        assert str(e).startswith("p.json") and len(str(e)) < 2000
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 64 * 2**20   # a 7 KB plan: bounded however it is mangled
    if plan is not None:       # what loads is safe to check and to run
        assert isinstance(plan, Plan)
        check_plan(plan, GRAPH, MACHINE)
        emulate(GRAPH, MACHINE, plan)
