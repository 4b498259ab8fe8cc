"""`hpdsl compare` and the stage behind it: table, --json, why, scheduler choice, errors."""
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpdsl.cli import main
from hpdsl.compare import BIG_GRAPH_TASKS, CompareOptions, choose, compare, scheduler_names
from hpdsl.errors import UserError
from hpdsl.gantt import busy_curve
from hpdsl.generate import generate
from hpdsl.lang import checked_target, load
from hpdsl.machine import Machine

ROOT = Path(__file__).resolve().parents[1]
TOY = str(ROOT / "examples" / "toy.hpm")
DIAMOND = str(ROOT / "examples" / "diamond.hpm")
KEYS = {"scheduler", "status", "makespan_ns", "predicted_makespan_ns", "lower_bound_ns",
        "solve_seconds", "utilization", "violations"}


def _json(capsys, argv, code=0):
    assert main(argv) == code
    cap = capsys.readouterr()
    return json.loads(cap.out), cap.err


@pytest.fixture(scope="module")
def toy():
    g = generate(checked_target(load(TOY), None))
    m = Machine.of(g.hardware, g.devices)
    return compare(g, m, CompareOptions(schedulers=("serial", "heft", "cp")))


def test_json_on_toy_has_the_contract_fields(capsys):
    d, err = _json(capsys, ["compare", TOY, "--schedulers", "serial,heft,fifo", "--json"])
    assert [r["scheduler"] for r in d["results"]] == ["serial", "heft", "fifo"]
    assert d["tasks"] == 48 and d["devices"] == 2
    for r in d["results"]:
        assert KEYS <= set(r)
        assert r["violations"] == []
        assert set(r["utilization"]) == {"MX", "VX"}
        assert all(0.0 <= u <= 1.0 for u in r["utilization"].values())
        assert r["predicted_makespan_ns"] >= r["lower_bound_ns"] > 0
        assert r["makespan_ns"] > 0 and r["why"]
    serial, heft = d["results"][0], d["results"][1]
    assert [o["op"] for o in serial["ops"]] == ["dispatch", "up", "act", "down", "combine"]
    assert sum(o["tasks"] for o in heft["ops"]) == 48
    assert serial["status"] == "baseline" and serial["speedup_vs_serial"] == 1.0
    assert serial["kernels"] == 5 and heft["kernels"] == 1
    assert heft["speedup_vs_serial"] == pytest.approx(serial["makespan_ns"] / heft["makespan_ns"])
    # tile-level schedules beat the kernel-by-kernel baseline on the emulator
    assert heft["makespan_ns"] < serial["makespan_ns"]
    # one progress line per stage with its timing, on stderr
    assert "generated tiny: 48 tasks" in err
    assert "serial: emulated makespan" in err and "heft: baseline" not in err
    assert "heft: heuristic schedule" in err


def test_table_on_toy(capsys):
    assert main(["compare", TOY, "-s", "serial,heft"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("tiny (") and "48 tasks" in lines[0]
    head = next(l for l in lines if l.startswith("scheduler"))
    for col in ("status", "emulated us", "predicted us", "bound us", "gap", "speedup",
                "MX busy", "VX busy", "exposed comm", "solve s", "check"):
        assert col in head
    table = lines[:next(i for i, l in enumerate(lines) if l.startswith("HBM reads"))]
    rows = [l.split() for l in table if l.startswith(("serial ", "heft "))]
    assert [r[0] for r in rows] == ["serial", "heft"]
    traffic = lines[len(table):]
    assert [l.split()[0] for l in traffic[1:3]] == ["serial", "heft"]
    assert traffic[0].split() == ["HBM", "reads", "dispatch", "up", "act", "down", "combine",
                                  "total"]
    assert rows[0][1] == "baseline" and rows[0][-1] == "ok" and rows[0][6] == "1.00x"
    assert "why:" in out
    assert "serial: MX idle" in out and "5 kernel launches = 25 us" in out
    assert "heft vs. serial:" in out and "4 fewer kernel launches (-20 us)" in out


def test_default_schedulers_on_diamond_include_z3(capsys):
    d, _ = _json(capsys, ["compare", DIAMOND, "--json"])
    names = [r["scheduler"] for r in d["results"]]
    assert names == ["serial", "heft-l2", "heft", "fifo", "dispatch", "cp", "z3"]
    z3 = d["results"][-1]
    assert z3["status"] == "optimal"
    assert z3["makespan_ns"] == z3["predicted_makespan_ns"] == z3["lower_bound_ns"] == 10_000
    assert d["skipped"] == []
    for r in d["results"]:   # nothing beats the optimum
        assert r["makespan_ns"] >= z3["makespan_ns"]


def test_choose_skips_slow_schedulers_on_big_graphs():
    big = SimpleNamespace(n_tasks=BIG_GRAPH_TASKS + 1)
    names, skipped = choose(big, CompareOptions())
    assert names == ("serial", "heft-l2", "heft")
    assert [s for s, _ in skipped] == ["fifo", "dispatch", "cp", "z3"]
    assert all("--schedulers" in why for _, why in skipped)
    names, skipped = choose(SimpleNamespace(n_tasks=150), CompareOptions(z3_default_tasks=100))
    assert "z3" not in names and skipped[0][0] == "z3"
    # asked for by name: run as asked, duplicates dropped
    names, skipped = choose(big, CompareOptions(schedulers=("z3", "heft", "z3")))
    assert names == ("z3", "heft") and skipped == ()


def test_unknown_scheduler_is_a_user_error(capsys):
    assert main(["compare", TOY, "--schedulers", "serial,hefft"]) == 1
    err = capsys.readouterr().err
    assert "unknown scheduler 'hefft'" in err and "did you mean 'heft'" in err
    assert "Traceback" not in err


def test_empty_scheduler_list_is_a_user_error(capsys):
    assert main(["compare", TOY, "--schedulers", " , "]) == 1
    assert capsys.readouterr().err.strip() == "error: --schedulers needs at least one scheduler name"
    with pytest.raises(UserError):
        scheduler_names(())


def test_a_scheduler_that_refuses_becomes_an_error_row(capsys):
    d, err = _json(capsys, ["compare", TOY, "-s", "serial,z3", "--max-z3-tasks", "10", "--json"], 1)
    z3 = d["results"][1]
    assert z3["status"] == "error" and z3["makespan_ns"] is None
    assert "48 tasks, more than the 10 the exact scheduler 'z3' accepts" in z3["error"]
    assert "z3: no schedule:" in err
    # the table still shows the others, but the command fails: a scheduler asked for erred
    assert main(["compare", TOY, "-s", "serial,z3", "--max-z3-tasks", "10"]) == 1
    cap = capsys.readouterr()
    assert any(l.startswith("z3 ") and "no schedule" in l for l in cap.out.splitlines())
    assert any(l.startswith("serial ") for l in cap.out.splitlines())
    assert cap.err.splitlines()[-1] == "hpdsl: failed: z3 (no schedule, no plan or an invalid plan)"


def test_set_overrides_reach_the_graph(capsys):
    d, _ = _json(capsys, ["compare", TOY, "-s", "heft", "--set", "devices=4", "--json"])
    assert d["devices"] == 4 and d["workers"] == 16


def test_hardware_figures_reach_the_emulator(capsys):
    base, _ = _json(capsys, ["compare", TOY, "-s", "serial", "--json"])
    slow, _ = _json(capsys, ["compare", TOY, "-s", "serial", "--set", "hw.link.bandwidth=1GB/s",
                             "--set", "hw.MX.count=1", "--json"])
    assert slow["workers"] == base["workers"] - 2
    assert slow["results"][0]["makespan_ns"] > base["results"][0]["makespan_ns"]
    assert main(["compare", TOY, "--set", "hw.link.bandwidth=1"]) == 1
    assert "link bandwidth needs a bandwidth unit" in capsys.readouterr().err


def test_comparison_value(toy):
    assert [r.scheduler for r in toy.runs] == ["serial", "heft", "cp"]
    assert toy.run("nope") is None
    assert toy.speedup(toy.run("serial")) == 1.0
    # which heuristic wins on the toy is not the point: the best one is named and contrasted
    best = min((r for r in toy.runs if r.scheduler != "serial"), key=lambda r: r.makespan)
    assert any(s.startswith(f"{best.scheduler} vs. serial:") for s in toy.summary)
    assert any(s.startswith(f"best: {best.scheduler}") for s in toy.summary)
    for r in toy.runs:
        assert r.ok and r.result.ok and r.makespan == r.result.makespan
        assert all(line.startswith(f"{r.scheduler}: ") for line in r.why)


def test_idle_is_one_minus_busy_with_one_worker_per_type():
    g = generate(checked_target(load(DIAMOND), None))
    m = Machine.of(g.hardware, g.devices)
    c = compare(g, m, CompareOptions(schedulers=("serial", "heft")))
    for r in c.runs:
        a = r.activity
        for core, u in r.result.utilization.items():
            assert a.idle[core] == pytest.approx(1 - u)
        assert a.comm_ns == 0


def test_activity_attributes_idle_time_to_the_running_op(toy):
    a = toy.run("serial").activity
    # in the serial baseline the matrix cores are idle while the vector op (act) runs
    assert a.idle_while["MX"]["act"] > 0
    assert "up" not in a.idle_while["MX"] and "down" not in a.idle_while["MX"]
    for core in ("MX", "VX"):
        assert a.idle_empty[core] + sum(a.idle_while[core].values()) >= a.idle[core] - 1e-9
    assert set(a.busy_by_op) == set(toy.graph.ops)
    assert all(0 < f <= 1 for f in a.busy_by_op.values())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 300)), min_size=1, max_size=30),
       st.integers(1, 40))
def test_busy_curve_sums_to_the_busy_time(intervals, bins):
    start = np.array([s for s, _ in intervals], np.float64)
    end = start + np.array([d for _, d in intervals], np.float64)
    edges = np.linspace(0, end.max() + 1, bins + 1)
    b = busy_curve(start, end, edges)
    assert b.sum() == pytest.approx((end - start).sum())
    assert (b >= -1e-9).all()


@st.composite
def dag_specs(draw):
    """A random explicit graph on 1-2 instances of two core types, as .hpm text.

    The launch cost is at least the sync latency, as on real hardware (A3: 20 us vs.
    2 us); see test_barrier_without_launch_keeps_the_sync_latency for the other case.
    """
    n = draw(st.integers(2, 9))
    counts = draw(st.tuples(st.integers(1, 2), st.integers(1, 2)))
    latency = draw(st.sampled_from([0, 1]))
    launch = latency + draw(st.sampled_from([0, 1]))
    lines = [f"hardware R {{ core A count {counts[0]}\n core B count {counts[1]}\n"
             f" sync flags 64 latency {latency} us\n launch {launch} us }}", "graph g on R {"]
    for i in range(n):
        after = draw(st.lists(st.integers(0, i - 1), max_size=3, unique=True)) if i else []
        core = draw(st.sampled_from("AB"))
        t = draw(st.integers(1, 9))
        lines.append(f"  task t{i} on {core} takes {t} us"
                     + (" after " + ", ".join(f"t{a}" for a in after) if after else ""))
    lines.append("}")
    return "\n".join(lines)


@settings(max_examples=15, deadline=None)
@given(dag_specs())
def test_every_plan_is_valid_and_nothing_beats_the_optimum(text):
    from hpdsl.lang import loads

    g = generate(checked_target(loads(text, "random.hpm"), None))
    m = Machine.of(g.hardware, g.devices)
    c = compare(g, m, CompareOptions(time_limit=5))
    assert [r.scheduler for r in c.runs] == ["serial", "heft-l2", "heft", "fifo", "dispatch", "cp",
                                             "z3"]
    for r in c.runs:
        assert r.ok and r.result.ok, r.scheduler
        # an explicit graph moves no data: the emulator reproduces the prediction exactly
        assert r.makespan == r.schedule.makespan >= r.schedule.lower_bound
        assert all(0.0 <= u <= 1.0 + 1e-9 for u in r.result.utilization.values())
    z3 = c.run("z3")
    if z3.schedule.status == "optimal":
        assert all(z3.makespan <= r.makespan for r in c.runs)
    d = c.to_dict()
    assert all(KEYS <= set(r) for r in d["results"])


def test_barrier_with_launch_below_the_sync_latency_is_sound():
    # a barrier is a host synchronization: t2 (after t0, next kernel) starts a launch after
    # the barrier, with no sync latency on top; the validator and the schedule agree
    from hpdsl.lang import loads

    text = ("hardware R { core A count 2\n core B count 1\n sync flags 64 latency 1 us }\n"
            "graph g on R {\n task t0 on A takes 1 us\n task t1 on A takes 1 us\n"
            " task t2 on B takes 1 us after t0\n}")
    g = generate(checked_target(loads(text, "barrier.hpm"), None))
    c = compare(g, Machine.of(g.hardware, g.devices), CompareOptions(schedulers=("serial",)))
    assert c.runs[0].result.ok
    assert c.runs[0].result.makespan == c.runs[0].schedule.makespan == 2000


def test_a_tie_with_serial_names_the_others_only(capsys):
    # one task: every scheduler places it alike, so nothing beats serial
    from hpdsl.compare import CompareOptions, compare
    from hpdsl.generate import generate
    from hpdsl.lang import checked_target, loads
    from hpdsl.machine import Machine
    g = generate(checked_target(loads("hardware H { core A count 1 }\n"
                                      "graph g on H { task t on A takes 1 us }", "one.hpm"), None))
    c = compare(g, Machine.of(g.hardware), CompareOptions(schedulers=("serial", "heft")))
    assert c.summary[0] == "no scheduler beats serial here: heft ties with it"
