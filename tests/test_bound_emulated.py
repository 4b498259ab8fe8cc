"""The lower bound shown beside an emulated makespan never exceeds it.

The cost-model bound uses the schedulers' times, whose HBM part is an estimate; the
emulator's L2 can beat it. On the DeepSeek layer at 4 dies heft-l2's plan emulates below
the cost-model bound (8.69 ms against 9.99 ms), and the floor bound (`bounds(...,
emulated=True)`, from `cost.floor_times`) stays below it.
"""
import json
from pathlib import Path

from hpdsl.cli import main
from hpdsl.compare import CompareOptions, compare, contrast
from hpdsl.generate import generate
from hpdsl.lang import checked_target, load
from hpdsl.machine import Machine
from hpdsl.settings import parse_settings
from hpdsl.solvers.bounds import bounds
from hpdsl.solvers.context import Context

DEEPSEEK = str(Path(__file__).resolve().parents[1] / "examples" / "deepseek_moe.hpm")


def test_emulated_makespan_is_at_least_the_emulation_bound_where_the_cost_bound_crosses_it():
    target = checked_target(load(DEEPSEEK), "coarse", parse_settings(["devices=4"]))
    g = generate(target)
    m = Machine.of(g.hardware, g.devices)
    c = compare(g, m, CompareOptions(schedulers=("heft-l2",)))
    run = c.runs[0]
    ctx = Context.of(g, m)
    cost, floor = bounds(ctx).value, bounds(ctx, emulated=True).value
    assert run.makespan < cost                  # the case this bound exists for
    assert floor <= run.makespan
    assert floor <= cost and run.schedule.lower_bound >= cost
    line = next(s for s in contrast(c) if s.startswith("best:"))
    assert "the bound on any emulation" in line and "emulated +" in line


def test_emulate_prints_both_bounds(tmp_path, capsys):
    plan = tmp_path / "p.json"
    assert main(["schedule", DEEPSEEK, "--target", "coarse", "--set", "devices=4", "-s",
                 "heft-l2", "-o", str(plan)]) == 0
    capsys.readouterr()
    assert main(["emulate", DEEPSEEK, str(plan), "--target", "coarse", "--set", "devices=4",
                 "--json"]) == 0
    d = json.loads(capsys.readouterr().out)["results"][0]
    assert d["emulated_lower_bound_ns"] <= d["makespan_ns"] < d["lower_bound_ns"]
