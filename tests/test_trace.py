"""Chrome trace export and the `hpdsl emulate` command.

Expected times are the schedules' own, worked out by hand (trace times are in us).
"""
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
    hw = hardware(cores=(("C", 2),))                 # no sync latency: emulated = scheduled
    g = explicit(hw, [10, 1], [(0, 1)], ["C", "C"])
    m = Machine.of(hw)
    # task 0 on worker 0 over 0-10 ns, task 1 on worker 1 over 10-11 ns
    s = Schedule("m", "feasible", np.array([0, 1], np.int32), np.array([0, 10]), np.array([10, 11]))
    p = lower(g, m, s)
    doc = json.loads(chrome_trace(g, m, p, emulate(g, m, p)))
    assert doc["displayTimeUnit"] == "ns" and doc["otherData"] == {"makespan_ns": 11,
                                                                   "scheduler": "m"}
    ev = doc["traceEvents"]
    assert [e["args"]["name"] for e in ev if e["name"] == "process_name"] == ["device 0"]
    names = {e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
    assert names == {"d0.C0.q", "d0.C1.q"}
    tasks = [e for e in ev if e["ph"] == "X"]
    # 0 ns for 10 ns = 0.0 us for 0.01 us; 10 ns for 1 ns = 0.01 us for 0.001 us
    assert [(e["tid"], e["ts"], e["dur"], e["args"]["task"]) for e in tasks] == \
        [(0, 0.0, 0.01, 0), (1, 0.01, 0.001, 1)]
    assert {(e["name"], e["cat"], e["pid"]) for e in tasks} == {("g", "C", 0)}
    s_, f_ = [e for e in ev if e["ph"] == "s"], [e for e in ev if e["ph"] == "f"]
    assert len(s_) == len(f_) == 1 and s_[0]["id"] == f_[0]["id"] and s_[0]["tid"] == 0 and f_[0]["tid"] == 1
    # the arrow leaves when task 0 ends (10 ns) and lands when task 1 starts (10 ns)
    assert (s_[0]["ts"], f_[0]["ts"], f_[0]["bp"]) == (0.01, 0.01, "e")


def test_emulate_command(tmp_path, capsys):
    plan, trace = tmp_path / "p.json", tmp_path / "t.json"
    assert main(["schedule", "examples/diamond.hpm", "-s", "heft", "-o", str(plan)]) == 0
    capsys.readouterr()
    assert main(["emulate", "examples/diamond.hpm", str(plan), "--json", "--trace", str(trace)]) == 0
    r = json.loads(capsys.readouterr().out)["results"][0]
    # heft on the diamond (one CPU, one ACC, no sync latency), by hand: CPU load 0-2 us,
    # right 2-5, merge 11-12; ACC left 2-7 (after load), side 7-11. The emulator runs it so.
    assert (r["scheduler"], r["makespan_ns"], r["predicted_makespan_ns"]) == ("heft", 12_000,
                                                                            12_000)
    assert r["violations"] == [] and r["warnings"] == [] and r["prediction_error"] == 0.0
    # CPU busy 2 + 3 + 1 = 6 us of 12, ACC 5 + 4 = 9 us of 12
    assert r["utilization"] == {"CPU": 0.5, "ACC": 0.75}
    # side is ready at 0 but the ACC idles until left starts at 2 us
    assert r["starved_ns"] == {"CPU": 0.0, "ACC": 2000.0} and r["exposed_comm_ns"] == 0
    assert r["ops"] == [{"op": "diamond", "first_start_ns": 0, "last_end_ns": 12_000,
                         "busy_ns": 15_000, "tasks": 5}]
    tasks = [e for e in json.loads(trace.read_text())["traceEvents"] if e["ph"] == "X"]
    assert sorted((e["args"]["tile"], e["tid"], e["ts"], e["dur"]) for e in tasks) == [
        ("left", 1, 2.0, 5.0), ("load", 0, 0.0, 2.0), ("merge", 0, 11.0, 1.0),
        ("right", 0, 2.0, 3.0), ("side", 1, 7.0, 4.0)]
    # an explicit graph has no ops: its slices carry the tasks' own names
    assert all(e["name"] == e["args"]["tile"] for e in tasks)
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
    assert "error: cannot read plan 'nope.json': it does not exist" in capsys.readouterr().err


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
    # not read at all: only a regular file is a plan (the size bound: tests/test_emulate.py)
    assert err == "error: cannot read plan '/dev/zero': it is a character device, not a regular file\n"


def test_emulate_report_for_a_hand_edited_plan(tmp_path, capsys):
    # heft's diamond plan with `side` moved in front of `left` on the ACC queue (and its
    # signal order kept): side 0-4 us, left 4-9, merge 9-10: the optimum, 10 us
    plan, edited, rep = tmp_path / "p.json", tmp_path / "e.json", tmp_path / "rep"
    assert main(["schedule", "examples/diamond.hpm", "-s", "heft", "-o", str(plan)]) == 0
    doc = json.loads(plan.read_text())
    q = doc["queues"]["d0.ACC0.ACC"]
    doc["queues"]["d0.ACC0.ACC"] = [q[3], q[0], q[1], q[2], q[4]]
    edited.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["emulate", "examples/diamond.hpm", str(edited), "--report", str(rep),
                 "--gantt-rows", "ACC,CPU"]) == 0
    out = capsys.readouterr().out
    assert "emulated     10.000 us" in out and f"report       {rep}/report.html" in out
    names = {p.name for p in rep.iterdir()}
    assert {"report.html", "gantt_heft.png", "gantt_heft.html", "util_heft.png",
            "trace_heft.json"} <= names
    page = (rep / "report.html").read_text()
    # the scheduler's claims come from the plan's header: predicted 12 us, bound 10 us
    assert "<title>hpdsl emulate: diamond</title>" in page
    assert "<td>10 us</td><td>12 us</td><td>10 us</td><td>20.0%</td>" in page
    assert "best: heft, emulated 10 us; lower bound 10 us" in page
    trace = json.loads((rep / "trace_heft.json").read_text())
    side = next(e for e in trace["traceEvents"] if e.get("name") == "side")
    assert (side["ts"], side["dur"]) == (0.0, 4.0)


def test_emulate_report_of_a_broken_plan_shows_its_findings(tmp_path, capsys):
    plan, rep = tmp_path / "p.json", tmp_path / "rep"
    assert main(["schedule", "examples/diamond.hpm", "-s", "heft", "-o", str(plan)]) == 0
    doc = json.loads(plan.read_text())
    for q in doc["queues"].values():
        q[:] = [i for i in q if i["op"] != "wait"]
    plan.write_text(json.dumps(doc))
    assert main(["emulate", "examples/diamond.hpm", str(plan), "--report", str(rep)]) == 1
    page = (rep / "report.html").read_text()
    assert "error: missing-sync: " in page and "the plan is wrong, its times mean nothing" in page


def test_gantt_options_need_a_report(capsys):
    assert main(["emulate", "examples/diamond.hpm", "p.json", "--gantt-device", "0"]) == 1
    assert ("error: --gantt-device and --gantt-rows choose what a report draws; add --report "
            "DIR") in capsys.readouterr().err
