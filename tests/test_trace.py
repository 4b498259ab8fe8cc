"""Chrome trace export and the `hpdsl emulate` command."""
from __future__ import annotations

import json

import numpy as np

from hpdsl.cli import main
from hpdsl.emulator import emulate
from hpdsl.emulator.trace import chrome_trace
from hpdsl.machine import Machine
from hpdsl.plan import lower
from hpdsl.schedule import Schedule
from plan_cases import explicit, hardware


def test_trace_has_processes_threads_tasks_and_flows():
    hw = hardware(cores=(("C", 2),))
    g = explicit(hw, [10, 1], [(0, 1)], ["C", "C"])
    m = Machine.of(hw)
    s = Schedule("m", "feasible", np.array([0, 1], np.int32), np.array([0, 10]), np.array([10, 11]))
    p = lower(g, m, s)
    doc = json.loads(chrome_trace(g, m, p, emulate(g, m, p)))
    ev = doc["traceEvents"]
    names = {e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
    assert names == {"d0.C0.q", "d0.C1.q"}
    tasks = [e for e in ev if e["ph"] == "X"]
    assert [(e["tid"], e["ts"], e["dur"]) for e in tasks] == [(0, 0.0, 0.01), (1, 0.01, 0.001)]
    s_, f_ = [e for e in ev if e["ph"] == "s"], [e for e in ev if e["ph"] == "f"]
    assert len(s_) == len(f_) == 1 and s_[0]["id"] == f_[0]["id"] and s_[0]["tid"] == 0 and f_[0]["tid"] == 1


def test_emulate_command(tmp_path, capsys):
    plan, trace = tmp_path / "p.json", tmp_path / "t.json"
    assert main(["schedule", "examples/diamond.hpm", "-s", "heft", "-o", str(plan)]) == 0
    capsys.readouterr()
    assert main(["emulate", "examples/diamond.hpm", str(plan), "--json", "--trace", str(trace)]) == 0
    r = json.loads(capsys.readouterr().out)["results"][0]
    assert r["makespan_ns"] == r["predicted_makespan_ns"] and r["violations"] == []
    assert set(r["utilization"]) == {"CPU", "ACC"}
    assert json.loads(trace.read_text())["traceEvents"]
    # break the plan: drop every wait -> exit 1 with the findings
    doc = json.loads(plan.read_text())
    for q in doc["queues"].values():
        q[:] = [i for i in q if i["op"] != "wait"]
    plan.write_text(json.dumps(doc))
    assert main(["emulate", "examples/diamond.hpm", str(plan)]) == 1
    out = capsys.readouterr().out
    assert "INVALID" in out and "missing-sync" in out


def test_emulate_command_missing_plan_file(capsys):
    assert main(["emulate", "examples/diamond.hpm", "nope.json"]) == 1
    assert "error: cannot read plan 'nope.json': No such file or directory" in capsys.readouterr().err


def test_emulate_command_plan_not_utf8(tmp_path, capsys):
    plan = tmp_path / "p.json"
    plan.write_bytes(b'{"version": 1,\n "queues": {"\xff": []}}')
    assert main(["emulate", "examples/diamond.hpm", str(plan)]) == 1
    err = capsys.readouterr().err
    assert f"{plan}:2:14: error: plan '{plan}' is not UTF-8 text (byte 0xff cannot be decoded)" in err


def test_emulate_command_endless_plan_is_refused_bounded(capsys):
    import os
    import pytest

    if not os.path.exists("/dev/zero"):
        pytest.skip("needs /dev/zero")
    assert main(["emulate", "examples/diamond.hpm", "/dev/zero"]) == 1
    err = capsys.readouterr().err
    assert "error: plan '/dev/zero' is larger than 67129344 bytes, more than any plan for this " \
           "graph of 5 tasks takes" in err
