"""`hpdsl schedule` and `hpdsl schedulers` end to end."""
import json
from pathlib import Path

import pytest

from hpdsl.cli import main
from hpdsl.solvers import REGISTRY

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_schedulers_lists_every_name(capsys):
    assert main(["schedulers"]) == 0
    out = capsys.readouterr().out
    for name, info in REGISTRY.items():
        assert f"{name}" in out and info.description in out


def test_schedule_json_result(capsys):
    assert main(["schedule", str(EXAMPLES / "diamond.hpm"), "--scheduler", "z3", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)["results"][0]
    assert r["scheduler"] == "z3" and r["status"] == "optimal"
    assert r["makespan_ns"] == r["predicted_makespan_ns"] == r["lower_bound_ns"] == 10000
    assert r["violations"] == []
    assert set(r["utilization"]) == {"CPU", "ACC"}
    assert r["utilization"]["CPU"] == 0.6          # 6 us busy of 10


def test_schedule_summary_and_plan(tmp_path, capsys):
    plan = tmp_path / "plan.json"
    assert main(["schedule", str(EXAMPLES / "toy.hpm"), "-s", "serial", "-o", str(plan)]) == 0
    out = capsys.readouterr().out
    assert "scheduler    serial (baseline)" in out and "lower bound" in out
    assert "queues" in json.loads(plan.read_text())


def test_unknown_scheduler_exits_1_with_the_valid_names(capsys):
    assert main(["schedule", str(EXAMPLES / "diamond.hpm"), "-s", "heft2"]) == 1
    err = capsys.readouterr().err
    assert "error: unknown scheduler 'heft2' (did you mean 'heft'?" in err


def test_z3_refusal_exits_1(capsys):
    assert main(["schedule", str(EXAMPLES / "toy.hpm"), "-s", "z3", "--max-z3-tasks", "10"]) == 1
    assert "more than the 10 the exact scheduler 'z3' accepts" in capsys.readouterr().err


@pytest.mark.parametrize("cmd, args, message", [
    ("schedule", ["-s", "z3", "--time-limit", "nan"], "--time-limit must be a finite number of seconds >= 0, got nan"),
    ("schedule", ["-s", "z3", "--time-limit", "inf"], "--time-limit must be a finite number of seconds >= 0, got inf"),
    ("schedule", ["-s", "z3", "--time-limit", "-1"], "--time-limit must be a finite number of seconds >= 0, got -1"),
    ("schedule", ["-s", "random", "--seed", "-1"], "--seed must be a whole number >= 0, got -1"),
    ("schedule", ["-s", "random", "--seeds", "0"], "--seeds must be a whole number >= 1, got 0"),
    ("compare", ["--seeds", "-2"], "--seeds must be a whole number >= 1, got -2"),
    ("schedule", ["-s", "z3", "--max-z3-tasks", "-5"], "--max-z3-tasks must be a whole number >= 0, got -5"),
    ("compare", ["--time-limit", "nan"], "--time-limit must be a finite number of seconds >= 0, got nan"),
    ("compare", ["--z3-default-tasks", "-3"], "--z3-default-tasks must be a whole number >= 0, got -3"),
    ("schedule", ["-s", "cpsat", "--max-cpsat-tasks", "-1"], "--max-cpsat-tasks must be a whole number >= 0, got -1"),
    ("schedule", ["-s", "cpsat", "--solver-workers", "-2"], "--solver-workers must be a whole number >= 0, got -2"),
])
def test_solver_options_out_of_range_exit_1(cmd, args, message, capsys):
    # these were tracebacks (nan/inf into z3's timeout, a negative numpy seed)
    assert main([cmd, str(EXAMPLES / "diamond.hpm"), *args]) == 1
    assert capsys.readouterr().err.strip() == f"error: {message}"


def test_a_slow_list_rule_on_a_big_graph_says_so_up_front():
    from hpdsl.generate import generate
    from hpdsl.lang import checked_target, load
    from hpdsl.machine import Machine
    from hpdsl.solvers import Options, run

    g = generate(checked_target(load(str(EXAMPLES / "toy.hpm")), None))
    said = []
    run("cp", g, Machine.of(g.hardware, g.devices), Options(nondelay_max_tasks=10, progress=said.append))
    assert said == ["cp: 48 tasks; this non-delay list rule can take minutes to hours above 10 tasks "
                    "(heft and fifo take seconds)"]
    said.clear()
    run("heft", g, Machine.of(g.hardware, g.devices), Options(nondelay_max_tasks=10, progress=said.append))
    assert said == []


def test_random_with_seeds_keeps_the_best_and_says_which(capsys):
    ft06 = str(EXAMPLES / "ft06.hpm")
    assert main(["schedule", ft06, "-s", "random", "--seed", "5", "--seeds", "4", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)["results"][0]
    each = []
    for seed in range(5, 9):
        assert main(["schedule", ft06, "-s", "random", "--seed", str(seed), "--json"]) == 0
        each.append(json.loads(capsys.readouterr().out)["results"][0]["makespan_ns"])
    assert r["makespan_ns"] == min(each)
    first = 5 + each.index(min(each))
    assert r["notes"] == [f"best of seeds 5..8: seed {first}, makespan {min(each)} ns"]
